"""The batch's hand-on files: the city workbook ``batch.xlsx`` and report ``batch.html``.

Both show the rows of ``batch.csv`` (:func:`solver.output.batch_table.batch_frame`): the
workbook every column, one row per district and the city row, written with the same
sheet writer as ``plan.xlsx`` (header frozen, filter on, widths fitted, input text as
text cells); the report the city's key figures and a sortable table of the districts,
each name a relative link to the district's own ``report.html`` (or, when its rules
cannot all hold, its ``diagnosis.json``), so that the batch folder can be copied or
zipped as a whole. The page is self-contained like ``report.html`` (the same inline
CSS and script, nothing loaded from the network) and every input string is
HTML-escaped.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd
from openpyxl import Workbook

from .. import __version__
from ..rules.indicators import MAX_CV, STANDARD_MIN
from .batch_table import CITY, COLUMNS, LEVELS
from .i18n import batch_column, batch_status, code, text
from .plan_folder import write_file_atomically
from .report import CSS, JS, esc
from .workbook import _Sheet

#: Files of a district folder the city report links to, in order of preference.
DISTRICT_PAGES = ("report.html", "diagnosis.json")

#: Columns of ``batch.csv`` that are whole numbers, and those with decimals.
_INT_COLUMNS = (
    "schools",
    "staff",
    "eligible",
    "moved",
    "moved_principal",
    "moved_key",
    "moved_ordinary",
)


def _value(v: Any) -> Any:
    """A cell value: ``None`` for every kind of missing."""
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return None
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    return v


def _planned_of(frame: pd.DataFrame) -> tuple[int, int]:
    districts = frame[frame["scenario"] != CITY]
    return int(districts["status"].isin(["optimal", "feasible"]).sum()), len(districts)


def _status_cell(row: pd.Series, frame: pd.DataFrame, lang: str) -> str:
    if row["scenario"] == CITY:
        if lang != "zh":
            return str(row["status"])
        planned, n = _planned_of(frame)
        return text("batch.planned_of", lang, planned=planned, n=n)
    return batch_status(row["status"], lang)


def write_batch_workbook(path: Path, frame: pd.DataFrame, lang: str = "en") -> Path:
    """Write ``batch.xlsx`` atomically: the rows of ``batch.csv``, same columns and order.

    Parameters
    ----------
    path
        The workbook to write.
    frame
        :func:`~solver.output.batch_table.batch_frame` (the districts and the city row).
    lang
        ``"zh"``: Chinese sheet name, headers and statuses; the cells that come from
        the input (scenario names, files, messages) are written as they are, as text.
    """

    def fill(tmp: Path) -> None:
        wb = Workbook(write_only=True)
        sh = _Sheet(wb, text("sheet.batch", lang), [batch_column(c, lang) for c in COLUMNS])
        for _, r in frame.reindex(columns=list(COLUMNS)).iterrows():
            cells = [_value(r[c]) for c in COLUMNS]
            cells[COLUMNS.index("status")] = _status_cell(r, frame, lang)
            if r["scenario"] == CITY and lang == "zh":
                cells[0] = text("batch.city", lang)
            for c in _INT_COLUMNS:
                j = COLUMNS.index(c)
                cells[j] = None if cells[j] is None else int(cells[j])
            j = COLUMNS.index("resumed")
            cells[j] = None if cells[j] is None else bool(cells[j])
            sh.add(cells)
        formats = {j: "0.000" for j, c in enumerate(COLUMNS) if c.startswith("cv_")}
        formats |= {COLUMNS.index("gap"): "0.00%"}
        sh.close(formats)
        wb.save(tmp)

    return write_file_atomically(Path(path), fill)


# ----------------------------------------------------------------------- batch.html


def district_page(out: Path, folder: Any) -> str | None:
    """The relative link from ``out/batch.html`` to a district's page, when it exists."""
    folder = _value(folder)
    if not folder:
        return None
    for name in DISTRICT_PAGES:
        if (Path(out) / str(folder) / name).is_file():
            return f"{quote(str(folder))}/{name}"
    return None


def _n(v: Any, nd: int = 0) -> str:
    v = _value(v)
    if v is None:
        return "–"
    return f"{int(v):,}" if nd == 0 else f"{float(v):.{nd}f}"


def _td(v: Any, nd: int | None = None, cls: str = "") -> str:
    if nd is None:
        return f'<td class="{cls}">{esc(v)}</td>'
    v = _value(v)
    sort = "" if v is None else f' data-v="{float(v)}"'
    return f'<td class="n {cls}"{sort}>{_n(v, nd)}</td>'


def _cv_cell(r: pd.Series, ind: str, lvl: str) -> str:
    b, a = _value(r[f"cv_{ind}_{lvl}_before"]), _value(r[f"cv_{ind}_{lvl}_after"])
    shown = a if a is not None else b
    cls = "" if shown is None else ("ok" if shown <= MAX_CV[lvl] + 1e-12 else "bad")
    body = "–" if b is None else f"{b:.3f}" + ("" if a is None else f" → {a:.3f}")
    sort = "" if shown is None else f' data-v="{shown}"'
    return f'<td class="n {cls}"{sort}>{esc(body)}</td>'


def _cards(frame: pd.DataFrame, lang: str) -> str:
    city = frame[frame["scenario"] == CITY].iloc[0]
    planned, n = _planned_of(frame)
    cards = [
        ("kpi-planned", text("batch.planned", lang), f"{planned}/{n}", ""),
        (
            "kpi-staff",
            text("staff", lang),
            _n(city["staff"]),
            f"{text('schools_n', lang)} {_n(city['schools'])}",
        ),
        ("kpi-eligible", text("eligible", lang), _n(city["eligible"]), ""),
        (
            "kpi-moved",
            text("moved", lang),
            _n(city["moved"]),
            " · ".join(
                f"{code('stream', s, lang)} {_n(city[f'moved_{s}'])}"
                for s in ("principal", "key", "ordinary")
            ),
        ),
    ]
    return "".join(
        f'<div class="card" id="{cid}"><div class="label">{esc(lab)}</div>'
        f'<div class="value">{esc(value)}</div><div class="detail">{esc(detail)}</div></div>'
        for cid, lab, value, detail in cards
    )


def render_batch_report(frame: pd.DataFrame, out: Path, lang: str = "en", title: str = "") -> str:
    """``batch.html`` as a string: the city's figures and the districts' table.

    Parameters
    ----------
    frame
        :func:`~solver.output.batch_table.batch_frame`.
    out
        The batch folder (where the page goes): a district's link is made only when its
        page exists there.
    lang
        ``"en"`` or ``"zh"``.
    title
        The page's title (default: "Batch of N districts").
    """
    planned, n = _planned_of(frame)
    title = title or text("batch.title", lang, n=n)
    cvs = [(ind, lvl) for ind in STANDARD_MIN for lvl in LEVELS]
    heads = [
        batch_column("scenario", lang),
        batch_column("status", lang),
        batch_column("staff", lang),
        batch_column("eligible", lang),
        batch_column("moved", lang),
        *[f"{code('indicator', i, lang)} {code('level', lv, lang)}" for i, lv in cvs],
        batch_column("gap", lang),
        batch_column("task_seconds", lang),
        batch_column("message", lang),
    ]
    rows = []
    for _, r in frame[frame["scenario"] != CITY].iterrows():
        link = district_page(out, r["folder"])
        name = esc(r["scenario"])
        cell = f'<a href="{esc(link)}">{name}</a>' if link else name
        ok = r["status"] in ("optimal", "feasible")
        gap = _value(r["gap"])
        rows.append(
            f'<td data-v="{esc(r["scenario"])}">{cell}</td>'
            + _td(batch_status(r["status"], lang), cls="ok" if ok else "bad")
            + _td(r["staff"], 0)
            + _td(r["eligible"], 0)
            + _td(r["moved"], 0)
            + "".join(_cv_cell(r, i, lv) for i, lv in cvs)
            + (
                f'<td class="n" data-v="{gap}">{100 * gap:.2f}%</td>'
                if gap is not None
                else _td(None, 2)
            )
            + _td(r["task_seconds"], 1)
            + _td(_value(r["message"]) or "")
        )
    head = "".join(f"<th>{esc(h)}</th>" for h in heads)
    body = "".join(f"<tr>{r}</tr>" for r in rows)
    table = (
        f'<table class="sortable" id="districts"><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table>"
    )
    return (
        f'<!DOCTYPE html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}"><head>'
        '<meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"
        f'<header><h1>{esc(title)}</h1><div class="sub">'
        f"{esc(text('batch.planned_of', lang, planned=planned, n=n))} · "
        f"{esc(text('report.generated', lang, version=__version__))}</div></header><main>"
        f'<section id="kpis"><h2>{esc(text("batch.kpis", lang))}</h2>'
        f'<div class="cards">{_cards(frame, lang)}</div></section>'
        f'<section id="district-table"><h2>{esc(text("batch.districts", lang))}</h2>'
        f'<p class="note">{esc(text("batch.districts_note", lang))}</p>'
        f'<div class="wrap">{table}</div></section></main>'
        f"<footer>lungang {esc(__version__)} · {esc(text('coef_title', lang))}</footer>"
        f"<script>{JS}</script></body></html>\n"
    )


def write_batch_report(path: Path, frame: pd.DataFrame, lang: str = "en", title: str = "") -> Path:
    """Write ``batch.html`` atomically (UTF-8); links are relative to its folder."""
    page = render_batch_report(frame, Path(path).parent, lang, title)
    return write_file_atomically(Path(path), lambda p: p.write_text(page, encoding="utf-8"))
