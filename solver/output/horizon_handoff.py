"""The hand-on files of a multi-year plan (``lungang plan``): ``DIR/plan.xlsx`` and
``DIR/report.html`` at the top of the horizon folder.

Each year's folder keeps its own ``plan.xlsx`` and ``report.html`` (a year is a
complete plan folder). The top-level workbook has the horizon's summary, a row per
year (eligible, moved, returns, and the coverage reached by the end of that year) and
one assignments sheet per year (with each person's post school and stint end); the
top-level report has the horizon's key figures, the coverage per year against the
target, and a year selector that shows each year's figures, coefficients and moves,
with a relative link to that year's own report. Both are written inside the horizon
folder's atomic write, with the same writers as a single year's files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook

from .. import __version__
from ..plan.horizon import HorizonResult
from ..search.horizon import movable_people
from .i18n import code, text
from .plan_view import PlanView, read_plan_view
from .report import CSS, JS, _coef_table, _moves_table, esc
from .workbook import _assignments_sheet, _Sheet

#: Columns of the years sheet (and the coverage table of the report).
YEAR_COLUMNS = (
    "year",
    "as_of",
    "binding",
    "eligible",
    "moved",
    "returns",
    "covered_so_far",
    "movable",
    "coverage_so_far",
    "required",
)


def coverage_by_year(result: HorizonResult) -> list[dict[str, Any]]:
    """Per year, the coverage reached by the end of it: of the people the coverage rule
    counts (eligible in some year with a permitted school: ``movable``), how many
    moved in that year or before (``covered_so_far``), that share, and the number the
    rule requires by the end of the horizon."""
    counted = movable_people(result.states, result.scenarios)
    eligible_any: set[str] = set()
    for res in result.years:
        eligible_any |= set(res.assignments.index.astype(str))
    counted &= eligible_any
    required = result.coverage.get("required")
    rows, moved = [], set()
    for y, (sc, res) in enumerate(zip(result.scenarios, result.years, strict=True), start=1):
        a = res.assignments
        went = set(a.index[a["moved"].to_numpy(dtype=bool)].astype(str))
        moved |= went
        back = result.returns[y - 1] if y - 1 < len(result.returns) else []
        covered = len(moved & counted)
        rows.append(
            {
                "year": y,
                "as_of": sc.as_of,
                "binding": y == 1,
                "eligible": len(a),
                "moved": len(went),
                "returns": len(back),
                "covered_so_far": covered,
                "movable": len(counted),
                "coverage_so_far": covered / len(counted) if counted else 1.0,
                "required": required,
            }
        )
    return rows


def year_views(folder: Path, result: HorizonResult) -> list[PlanView]:
    """The view of each year folder ``folder/yearN`` as written (with the stint columns)."""
    return [
        read_plan_view(Path(folder) / f"year{y}", state)
        for y, state in enumerate(result.states, start=1)
    ]


# ----------------------------------------------------------------------- plan.xlsx


def _horizon_sheet(wb: Workbook, info: dict[str, Any], lang: str) -> None:
    from .i18n import column

    sh = _Sheet(wb, text("sheet.summary", lang), [column("item", lang), column("value", lang)])
    name = info.get("scenario", {}).get("scenario", {}).get("name", "")
    sh.add([text("scenario", lang), name])
    sh.add([text("status", lang), code("status", info.get("status"), lang)])
    sh.add([text("hz.method", lang), text(f"hz.method.{info.get('method')}", lang)])
    sh.add([text("hz.years", lang), info.get("years")])
    for key in ("objective", "best_bound", "gap", "solve_seconds"):
        if key in info:
            sh.add([text(key, lang), info[key]])
    cov = info.get("coverage", {})
    sh.add([text("hz.movable", lang), cov.get("movable")])
    sh.add([text("hz.covered", lang), cov.get("moved_of_movable")])
    sh.add([text("hz.required", lang), cov.get("required")])
    sh.add([text("hz.coverage_min", lang), cov.get("coverage_min")])
    sh.add([text("hz.reached", lang), code("bool", bool(cov.get("reached")), lang)])
    sh.close()


def _years_sheet(wb: Workbook, rows: list[dict[str, Any]], lang: str) -> None:
    sh = _Sheet(wb, text("sheet.years", lang), [text(f"hz.col.{c}", lang) for c in YEAR_COLUMNS])
    for r in rows:
        cells = [r[c] for c in YEAR_COLUMNS]
        cells[2] = code("bool", r["binding"], lang)
        sh.add(cells)
    sh.close({YEAR_COLUMNS.index("coverage_so_far"): "0.0%"})


def write_horizon_workbook(
    path: Path,
    info: dict[str, Any],
    rows: list[dict[str, Any]],
    views: list[PlanView],
    lang: str = "en",
) -> Path:
    """Write the horizon's ``plan.xlsx``: summary, years, one assignments sheet per year.

    Parameters
    ----------
    path
        The workbook (inside the horizon folder's atomic write; not atomic by itself).
    info
        ``horizon.json`` (:func:`solver.output.horizon_folder.horizon_summary`).
    rows
        :func:`coverage_by_year`.
    views
        :func:`year_views`.
    lang
        ``"en"`` or ``"zh"``.
    """
    wb = Workbook(write_only=True)
    _horizon_sheet(wb, info, lang)
    _years_sheet(wb, rows, lang)
    for y, view in enumerate(views, start=1):
        if view.assignments is not None:
            _assignments_sheet(wb, view, lang, title=text("sheet.assignments_year", lang, year=y))
    wb.save(path)
    return Path(path)


# --------------------------------------------------------------------- report.html


def _coverage_chart(rows: list[dict[str, Any]], info: dict[str, Any], lang: str) -> str:
    """Bars of the coverage reached by the end of each year, and the target line."""
    cov_min = float(info.get("coverage", {}).get("coverage_min") or 0.0)
    w, h, left, top, bw = 120 + 90 * len(rows), 180, 40, 10, 46
    y = lambda v: top + h - h * min(max(v, 0.0), 1.0)  # noqa: E731
    out = [f'<svg id="coverage-chart" viewBox="0 0 {w} {top + h + 30}" width="{w}" role="img">']
    for k in range(5):
        v = k / 4
        out.append(
            f'<line x1="{left}" x2="{w - 10}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#e6eaef"/>'
            f'<text x="{left - 6}" y="{y(v) + 4:.1f}" font-size="10" text-anchor="end" '
            f'fill="#5b6775">{100 * v:.0f}%</text>'
        )
    for i, r in enumerate(rows):
        x = left + 20 + i * 90
        v = float(r["coverage_so_far"])
        out.append(
            f'<rect class="cov" x="{x}" y="{y(v):.1f}" width="{bw}" height="{top + h - y(v):.1f}" '
            f'fill="#1f77b4"><title>{esc(f"{100 * v:.1f}%")}</title></rect>'
            f'<text x="{x + bw / 2}" y="{y(v) - 4:.1f}" font-size="11" text-anchor="middle">'
            f"{100 * v:.0f}%</text>"
            f'<text x="{x + bw / 2}" y="{top + h + 16}" font-size="11" text-anchor="middle">'
            f"{esc(text('hz.year', lang, year=r['year']))}</text>"
        )
    if cov_min > 0:
        out.append(
            f'<line x1="{left}" x2="{w - 10}" y1="{y(cov_min):.1f}" y2="{y(cov_min):.1f}" '
            'stroke="#c0392b" stroke-width="1.5" stroke-dasharray="4 2"/>'
        )
    out.append("</svg>")
    return "".join(out)


def _coverage_section(rows: list[dict[str, Any]], info: dict[str, Any], lang: str) -> str:
    heads = "".join(f"<th>{esc(text(f'hz.col.{c}', lang))}</th>" for c in YEAR_COLUMNS)
    body = []
    for r in rows:
        cells = [
            esc(r["year"]),
            esc(r["as_of"].isoformat() if hasattr(r["as_of"], "isoformat") else r["as_of"]),
            esc(code("bool", r["binding"], lang)),
            *(f"{int(r[c]):,}" for c in ("eligible", "moved", "returns", "covered_so_far")),
            f"{int(r['movable']):,}",
            f"{100 * r['coverage_so_far']:.1f}%",
            "–" if r["required"] is None else f"{int(r['required']):,}",
        ]
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    cov = info.get("coverage", {})
    note = text(
        "hz.coverage_note",
        lang,
        required=cov.get("required", 0),
        movable=cov.get("movable", 0),
        coverage_min=f"{100 * float(cov.get('coverage_min') or 0):.0f}%",
    )
    return (
        f'<section id="coverage"><h2>{esc(text("hz.coverage", lang))}</h2>'
        f'<p class="note">{esc(note)}</p>{_coverage_chart(rows, info, lang)}'
        f'<div class="wrap"><table id="coverage-table"><thead><tr>{heads}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div></section>"
    )


def _year_panel(y: int, view: PlanView, per_year: dict[str, Any], lang: str) -> str:
    counts = view.summary.get("counts", {})
    el_by, mv_by = counts.get("eligible_by_stream", {}), counts.get("moved_by_stream", {})
    by = " · ".join(
        f"{code('stream', k, lang)} {mv_by.get(k, 0)}/{el_by.get(k, 0)}"
        for k in ("principal", "key", "ordinary")
        if k in el_by or k in mv_by
    )
    cards = [
        ("eligible", text("eligible", lang), counts.get("eligible", 0), ""),
        ("moved", text("moved", lang), counts.get("moved", 0), by),
        ("returns", text("hz.col.returns", lang), per_year.get("returns", 0), ""),
    ]
    html_cards = "".join(
        f'<div class="card" id="y{y}-{cid}"><div class="label">{esc(lab)}</div>'
        f'<div class="value">{esc(value)}</div><div class="detail">{esc(detail)}</div></div>'
        for cid, lab, value, detail in cards
    )
    binding = text("hz.binding" if y == 1 else "hz.provisional", lang)
    moves = _moves_table(view, lang).replace('id="moves"', f'id="moves-y{y}"', 1)
    return (
        f'<div data-panel="year-tabs" data-key="{y}" style="{"" if y == 1 else "display:none"}">'
        f'<section id="year-{y}"><h2>{esc(text("hz.year", lang, year=y))} · {esc(binding)}</h2>'
        f'<p class="note"><a href="year{y}/report.html">{esc(text("hz.year_report", lang))}</a>'
        f" · {esc(text('as_of', lang))} {esc(per_year.get('as_of', ''))}</p>"
        f'<div class="cards">{html_cards}</div>'
        f'<h2 style="margin-top:16px">{esc(text("coef_title", lang))}</h2>'
        f"{_coef_table(view, lang)}</section>{moves}</div>"
    )


def render_horizon_report(
    info: dict[str, Any], rows: list[dict[str, Any]], views: list[PlanView], lang: str = "en"
) -> str:
    """The horizon's ``report.html`` as a string (see the module docstring)."""
    name = info.get("scenario", {}).get("scenario", {}).get("name", "")
    title = f"{text('hz.title', lang)}: {name}"
    cov = info.get("coverage", {})
    gap = info.get("gap")
    cards = [
        (
            "kpi-years",
            text("hz.years", lang),
            info.get("years"),
            text(f"hz.method.{info.get('method')}", lang),
        ),
        (
            "kpi-coverage",
            text("hz.coverage", lang),
            f"{cov.get('moved_of_movable', 0)}/{cov.get('movable', 0)}",
            f"{text('hz.required', lang)} {cov.get('required', 0)} · "
            f"{text('hz.reached', lang)}: {code('bool', bool(cov.get('reached')), lang)}",
        ),
        (
            "kpi-status",
            text("status", lang),
            code("status", info.get("status"), lang),
            f"{text('gap', lang)} {'–' if gap is None else f'{100 * float(gap):.2f}%'}",
        ),
    ]
    html_cards = "".join(
        f'<div class="card" id="{cid}"><div class="label">{esc(lab)}</div>'
        f'<div class="value">{esc(value)}</div><div class="detail">{esc(detail)}</div></div>'
        for cid, lab, value, detail in cards
    )
    per_year = info.get("per_year", [])
    buttons = "".join(
        f'<button data-key="{y}" class="{"on" if y == 1 else ""}">'
        f"{esc(text('hz.year', lang, year=y))}</button>"
        for y in range(1, len(views) + 1)
    )
    panels = "".join(
        _year_panel(y, view, per_year[y - 1] if y - 1 < len(per_year) else {}, lang)
        for y, view in enumerate(views, start=1)
    )
    return (
        f'<!DOCTYPE html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}"><head>'
        '<meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"
        f'<header><h1>{esc(title)}</h1><div class="sub">'
        f"{esc(text('report.generated', lang, version=__version__))}</div></header><main>"
        f'<section id="kpis"><h2>{esc(text("report.kpis", lang))}</h2>'
        f'<div class="cards">{html_cards}</div></section>'
        f"{_coverage_section(rows, info, lang)}"
        f'<section id="years"><h2>{esc(text("hz.select", lang))}</h2>'
        f'<div class="tabs" id="year-tabs">{buttons}</div></section>{panels}</main>'
        f"<footer>lungang {esc(__version__)}</footer><script>{JS}</script></body></html>\n"
    )


def write_horizon_handoff(
    folder: Path, info: dict[str, Any], result: HorizonResult, lang: str
) -> None:
    """Write ``plan.xlsx`` and ``report.html`` at the top of the horizon folder ``folder``
    (its year folders already written; not atomic by itself: called inside the horizon
    folder's atomic write)."""
    folder = Path(folder)
    rows = coverage_by_year(result)
    views = year_views(folder, result)
    write_horizon_workbook(folder / "plan.xlsx", info, rows, views, lang)
    page = render_horizon_report(info, rows, views, lang)
    (folder / "report.html").write_text(page, encoding="utf-8")
