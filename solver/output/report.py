"""``report.html``: one self-contained page that shows a plan to a bureau.

The page is SVG and HTML written directly, with a few lines of plain JavaScript for
sorting the tables and switching the chart's indicator. No charting library: a
bundled runtime (plotly's is about 3.5 MB) would make the report too big to e-mail and
would still have to be inlined for offline machines; the charts needed here (bars, a
standard line, two flow matrices, points and lines on a projected map) are a few
hundred lines of SVG. Nothing is loaded from the network: no fonts, no tiles, no
scripts. Every string taken from the input is HTML-escaped.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from .. import __version__
from ..rules.indicators import MAX_CV, STANDARD_MIN
from .i18n import code, column, label, text
from .notice import has_notice, notice_table
from .plan_view import PlanView
from .workbook import coefficient_rows, diagnosis_rows

QUOTA_RULES = (
    "teacher_rotation_min",
    "key_share_of_rotated_min",
    "principal_rotation_min",
    "urban_to_rural_min",
    "rural_to_urban_min",
    "strong_to_weak_min",
)
LOCALITIES = ("urban", "town", "rural")
TIERS = ("strong", "average", "weak")
LOCALITY_COLOUR = {"urban": "#1f4e79", "town": "#d08c00", "rural": "#2e8540"}


def esc(v: Any) -> str:
    """HTML-escaped text of ``v`` (quotes too: safe in attributes)."""
    return html.escape("" if v is None else str(v), quote=True)


def _num(v: Any, nd: int = 2) -> str:
    if v is None or (isinstance(v, float) and (math.isnan(v) or math.isinf(v))):
        return "–"
    if isinstance(v, int) or (isinstance(v, float) and v.is_integer() and nd == 0):
        return f"{int(v):,}"
    return f"{float(v):,.{nd}f}"


CSS = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI","PingFang SC","Microsoft YaHei","Noto Sans CJK SC","WenQuanYi Zen Hei",sans-serif;
margin:0;background:#f4f6f9;color:#1d2733;font-size:14px;line-height:1.45}
header{background:#1f4e79;color:#fff;padding:22px 32px 18px}
header h1{margin:0 0 4px;font-size:24px;font-weight:600}
header .sub{opacity:.85;font-size:13px}
main{max-width:1180px;margin:0 auto;padding:20px 24px 40px}
section{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.08);padding:18px 22px;margin:0 0 18px}
h2{font-size:17px;margin:0 0 10px;color:#1f4e79}
.note{color:#5b6775;font-size:12px;margin:-4px 0 10px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:12px}
.card{border:1px solid #e1e6ec;border-radius:8px;padding:12px 14px;background:#fbfcfd}
.card .label{font-size:12px;color:#5b6775;text-transform:uppercase;letter-spacing:.03em}
.card .value{font-size:28px;font-weight:600;margin:2px 0;color:#1d2733}
.card .detail{font-size:12px;color:#5b6775}
.ok{color:#2e8540}.bad{color:#c0392b}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{padding:5px 8px;border-bottom:1px solid #e6eaef;text-align:left;vertical-align:top}
th{background:#eef2f6;font-weight:600;white-space:nowrap}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
table.sortable th{cursor:pointer;user-select:none}
table.sortable th:after{content:" \\2195";color:#9aa6b2;font-size:11px}
table.sortable th.asc:after{content:" \\2191";color:#1f4e79}
table.sortable th.desc:after{content:" \\2193";color:#1f4e79}
td.low{background:#fde2d8}
#schools td:nth-child(2){white-space:nowrap}
.coef td.ok{background:#e3f4e6;color:#1d5e2a}.coef td.bad{background:#fde2d8;color:#8e2a1e}
.wrap{overflow-x:auto}
.tabs button{border:1px solid #c5d0db;background:#fff;border-radius:14px;padding:3px 12px;margin:0 6px 8px 0;cursor:pointer;font:inherit;font-size:12px}
.tabs button.on{background:#1f4e79;color:#fff;border-color:#1f4e79}
.legend{font-size:12px;color:#5b6775;margin:4px 0 0}
.legend span{display:inline-block;margin-right:14px}
.sw{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:4px;vertical-align:-1px}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:18px}
@media (max-width:800px){.grid2{grid-template-columns:1fr}}
.matrix td{text-align:right;min-width:64px}
.diag li{margin-bottom:6px}
footer{color:#8a96a3;font-size:12px;text-align:center;padding:0 0 24px}
svg text{font-family:inherit}
@media print{body{background:#fff}section{box-shadow:none;border:1px solid #ddd;break-inside:avoid}}
"""

JS = """
(function(){
  function val(td){var v=td.getAttribute('data-v');if(v===null)v=td.textContent;
    var n=parseFloat(v);return isNaN(n)?v.toLowerCase():n;}
  document.querySelectorAll('table.sortable').forEach(function(t){
    t.querySelectorAll('th').forEach(function(th,i){
      th.addEventListener('click',function(){
        var asc=!th.classList.contains('asc');
        t.querySelectorAll('th').forEach(function(h){h.classList.remove('asc','desc');});
        th.classList.add(asc?'asc':'desc');
        var body=t.tBodies[0],rows=Array.prototype.slice.call(body.rows);
        rows.sort(function(a,b){var x=val(a.cells[i]),y=val(b.cells[i]);
          if(typeof x!==typeof y){x=String(x);y=String(y);}
          return (x<y?-1:x>y?1:0)*(asc?1:-1);});
        rows.forEach(function(r){body.appendChild(r);});
      });
    });
  });
  document.querySelectorAll('.tabs').forEach(function(bar){
    bar.querySelectorAll('button').forEach(function(b){
      b.addEventListener('click',function(){
        bar.querySelectorAll('button').forEach(function(x){x.classList.toggle('on',x===b);});
        document.querySelectorAll('[data-panel="'+bar.id+'"]').forEach(function(p){
          p.style.display=p.getAttribute('data-key')===b.getAttribute('data-key')?'':'none';});
      });
    });
  });
  document.body.setAttribute('data-ready','1');
})();
"""


def _table(
    headers: list[str], rows: Iterable[list[str]], cls: str = "", numeric: set[int] = frozenset()
) -> str:
    """A table from escaped cell HTML (``rows`` are lists of ready ``<td>`` contents)."""
    head = "".join(
        f'<th class="{"n" if j in numeric else ""}">{h}</th>' for j, h in enumerate(headers)
    )
    body = "".join("<tr>" + "".join(r) + "</tr>" for r in rows)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _td(v: Any, nd: int | None = None, cls: str = "") -> str:
    if nd is None:
        return f'<td class="{cls}">{esc(v)}</td>'
    sort = "" if v is None or (isinstance(v, float) and math.isnan(v)) else f' data-v="{v}"'
    return f'<td class="n {cls}"{sort}>{_num(v, nd)}</td>'


def _rules_by_name(view: PlanView) -> dict[str, dict[str, Any]]:
    return {r.get("rule"): r for r in (view.explain or {}).get("rules", [])}


def _kpis(view: PlanView, lang: str) -> str:
    s = view.summary
    counts = s.get("counts", {})
    eligible = counts.get("eligible", 0)
    moved = counts.get("moved", 0)
    el_by = counts.get("eligible_by_stream", {})
    mv_by = counts.get("moved_by_stream", {})
    streams = [k for k in ("principal", "key", "ordinary") if k in el_by or k in mv_by]
    by = " · ".join(
        f"{esc(code('stream', k, lang))} {mv_by.get(k, 0)}/{el_by.get(k, 0)}" for k in streams
    )
    rules = _rules_by_name(view)
    quotas = [rules[r] for r in QUOTA_RULES if r in rules and rules[r].get("required") is not None]
    quotas = [q for q in quotas if (q.get("setting") or 0) > 0]
    met = sum(1 for q in quotas if (q.get("achieved") or 0) >= q["required"])
    q_detail = "<br>".join(
        f"{esc(code('rule', q['rule'], lang) if lang == 'zh' else q['rule'])}: "
        f"{esc(q.get('achieved'))} ≥ {esc(q['required'])}"
        for q in quotas
    )
    gap = s.get("gap")
    status = s.get("status", "")
    cards = [
        ("kpi-eligible", text("eligible", lang), _num(eligible, 0), _staff_line(counts, lang)),
        ("kpi-moved", text("moved", lang), _num(moved, 0), by),
        (
            "kpi-quotas",
            text("quotas", lang),
            f"{met}/{len(quotas)}" if quotas else "–",
            q_detail,
        ),
        (
            "kpi-status",
            text("status", lang),
            esc(code("status", status, lang)),
            f"{esc(text('gap', lang))} {_pct(gap)}"
            + (
                f"<br>{esc(text('kept_only', lang))}"
                if s.get("bound_scope") == "kept_candidates"
                else ""
            ),
        ),
    ]
    html_cards = "".join(
        f'<div class="card" id="{cid}"><div class="label">{esc(label)}</div>'
        f'<div class="value">{value}</div><div class="detail">{detail}</div></div>'
        for cid, label, value, detail in cards
    )
    return (
        f'<section id="kpis"><h2>{esc(text("report.kpis", lang))}</h2>'
        f'<div class="cards">{html_cards}</div>'
        f'<h2 style="margin-top:16px">{esc(text("coef_title", lang))}</h2>'
        f"{_coef_table(view, lang)}</section>"
    )


def _staff_line(counts: dict[str, Any], lang: str) -> str:
    parts = []
    if "staff" in counts:
        parts.append(f"{esc(text('staff', lang))} {_num(counts['staff'], 0)}")
    if "schools" in counts:
        parts.append(f"{esc(text('schools_n', lang))} {_num(counts['schools'], 0)}")
    return " · ".join(parts)


def _pct(g: Any) -> str:
    if g is None or (isinstance(g, float) and math.isnan(g)):
        return "–"
    return f"{100 * float(g):.2f}%"


def _coef_table(view: PlanView, lang: str) -> str:
    rows = []
    for r in coefficient_rows(view.summary):
        cells = [
            _td(code("indicator", r["indicator"], lang)),
            _td(code("level", r["level"], lang)),
        ]
        for k, m in (("cv_before", "meets_before"), ("cv_after", "meets_after")):
            cls = "" if r[m] is None else ("ok" if r[m] else "bad")
            cells.append(_td(r[k], 3, cls))
        arrow = ""
        if r["cv_before"] is not None and r["cv_after"] is not None:
            d = r["cv_after"] - r["cv_before"]
            arrow = f"{'▼' if d < 0 else '▲' if d > 0 else '='} {abs(d):.3f}"
        cells.append(f'<td class="n">{esc(arrow)}</td>')
        cells.append(_td(r["max_cv"], 2))
        rows.append(cells)
    heads = [
        esc(label("indicator", lang)),
        esc(label("level", lang)),
        esc(label("cv_before", lang)),
        esc(label("cv_after", lang)),
        "Δ",
        esc(text("report.threshold", lang)),
    ]
    return _table(heads, rows, "coef", {2, 3, 4, 5})


def _chart(view: PlanView, lang: str) -> str:
    """Per school, each indicator before (grey) and after (blue), with the standard."""
    s = view.schools
    balance = view.summary.get("scenario", {}).get("balance", {}).get("indicator", "key_per_100")
    first = balance if isinstance(balance, str) else (balance or ["key_per_100"])[0]
    inds = [first, *[i for i in STANDARD_MIN if i != first]]
    buttons = "".join(
        f'<button data-key="{i}" class="{"on" if i == first else ""}">'
        f"{esc(code('indicator', i, lang))}</button>"
        for i in inds
    )
    order = s.assign(_lv=s["level"].map({"primary": 0, "nine_year": 1, "junior": 2}))
    panels = []
    for ind in inds:
        o = order.sort_values(["_lv", f"{ind}_before"], kind="stable")
        panels.append(
            f'<div data-panel="chart-tabs" data-key="{ind}" '
            f'style="{"" if ind == first else "display:none"}">{_bars(o, ind, lang)}</div>'
        )
    legend = (
        f'<div class="legend"><span><i class="sw" style="background:#b8c2cc"></i>'
        f"{esc(text('report.legend_before', lang))}</span>"
        f'<span><i class="sw" style="background:#1f77b4"></i>'
        f"{esc(text('report.legend_after', lang))}</span>"
        f'<span><i class="sw" style="background:#c0392b;height:2px"></i>'
        f"{esc(text('report.standard', lang))}</span></div>"
    )
    return (
        f'<section id="chart"><h2>{esc(text("report.chart", lang))}</h2>'
        f'<p class="note">{esc(text("report.chart_note", lang))}</p>'
        f'<div class="tabs" id="chart-tabs">{buttons}</div>'
        f'<div class="wrap">{"".join(panels)}</div>{legend}</section>'
    )


def _bars(s: pd.DataFrame, ind: str, lang: str) -> str:
    n = len(s)
    left, top, h = 44, 12, 240
    step = max(9.0, (1090.0 - left - 10) / max(n, 1))
    w = left + step * n + 10
    label_h = 58 if n <= 60 else 0
    before = s[f"{ind}_before"].astype(float).to_numpy()
    after = s[f"{ind}_after"].astype(float).to_numpy()
    std = [
        max(
            STANDARD_MIN[ind].get(p, 0.0)
            for p in (("primary", "junior") if lv == "nine_year" else (lv,))
        )
        for lv in s["level"]
    ]
    finite = [v for v in [*before, *after, *std] if v == v and not math.isinf(v)]
    vmax = max(finite or [1.0]) * 1.08 or 1.0
    y = lambda v: top + h - h * (v / vmax)  # noqa: E731
    out = [
        f'<svg viewBox="0 0 {w:.0f} {top + h + label_h + 8}" width="100%" '
        f'style="min-width:{min(w, 700):.0f}px" role="img" aria-label="{esc(ind)}">'
    ]
    for k in range(5):  # grid and axis labels
        v = vmax * k / 4
        out.append(
            f'<line x1="{left}" x2="{w - 6:.0f}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#e6eaef"/>'
            f'<text x="{left - 6}" y="{y(v) + 4:.1f}" font-size="10" text-anchor="end" '
            f'fill="#5b6775">{v:.1f}</text>'
        )
    bw = step * 0.38
    names = s["name"].astype(str).tolist()
    for i, sid in enumerate(s.index):
        x0 = left + i * step + step * 0.1
        tip = (
            f"{sid} {names[i]}: {text('report.legend_before', lang)} {_num(before[i])}, "
            f"{text('report.legend_after', lang)} {_num(after[i])}"
        )
        out.append(f"<g><title>{esc(tip)}</title>")
        for j, (v, colour) in enumerate(((before[i], "#b8c2cc"), (after[i], "#1f77b4"))):
            if v == v:
                out.append(
                    f'<rect x="{x0 + j * bw:.1f}" y="{y(v):.1f}" width="{bw:.1f}" '
                    f'height="{max(top + h - y(v), 0):.1f}" fill="{colour}"/>'
                )
        out.append(
            f'<line x1="{left + i * step:.1f}" x2="{left + (i + 1) * step:.1f}" '
            f'y1="{y(std[i]):.1f}" y2="{y(std[i]):.1f}" stroke="#c0392b" '
            f'stroke-width="1.5" stroke-dasharray="4 2"/></g>'
        )
        if label_h:
            cx = left + i * step + step / 2
            out.append(
                f'<text x="{cx:.1f}" y="{top + h + 10}" font-size="10" fill="#3b4652" '
                f'text-anchor="end" transform="rotate(-55 {cx:.1f} {top + h + 10})">'
                f"{esc(sid)}</text>"
            )
    out.append(
        f'<line x1="{left}" x2="{w - 6:.0f}" y1="{top + h}" y2="{top + h}" stroke="#8a96a3"/></svg>'
    )
    return "".join(out)


def _moves(view: PlanView) -> pd.DataFrame:
    a = view.assignments
    return a[a["moved"].astype(bool)] if a is not None else pd.DataFrame()


def _matrix(view: PlanView, attr: str, values: tuple[str, ...], lang: str) -> str:
    m = _moves(view)
    cat = view.schools[attr].astype(str)
    frm = cat.reindex(m["from_school"].astype(str)).to_numpy()
    to = cat.reindex(m["to_school"].astype(str)).to_numpy()
    counts = pd.crosstab(pd.Series(frm, name="f"), pd.Series(to, name="t"))
    counts = counts.reindex(index=list(values), columns=list(values), fill_value=0)
    top = max(int(counts.to_numpy().max()) if counts.size else 0, 1)
    heads = [esc(text("report.from_to", lang)), *[esc(code(attr, v, lang)) for v in values]]
    heads.append(esc(text("report.total", lang)))
    rows = []
    for f in values:
        cells = [f"<th>{esc(code(attr, f, lang))}</th>"]
        for t in values:
            n = int(counts.loc[f, t])
            alpha = 0.08 + 0.72 * n / top if n else 0
            style = f' style="background:rgba(31,78,121,{alpha:.2f});color:{"#fff" if alpha > 0.45 else "inherit"}"'
            cells.append(f'<td class="n"{style}>{n}</td>')
        cells.append(f'<td class="n"><b>{int(counts.loc[f].sum())}</b></td>')
        rows.append(cells)
    return _table(heads, rows, "matrix", set(range(1, len(values) + 2)))


def _key_by(view: PlanView, lang: str) -> str:
    s = view.schools
    rows = []
    for attr, values in (("locality", LOCALITIES), ("tier", TIERS)):
        for v in values:
            sel = s[s[attr].astype(str) == v]
            if not len(sel):
                continue
            b, a = int(sel["key_teachers_before"].sum()), int(sel["key_teachers_after"].sum())
            stud = float(sel["students"].sum())
            rows.append(
                [
                    _td(code(attr, v, lang)),
                    _td(len(sel), 0),
                    _td(b, 0),
                    _td(a, 0),
                    _td(100 * b / stud if stud else None, 2),
                    _td(100 * a / stud if stud else None, 2),
                ]
            )
    heads = [
        "",
        esc(label("schools", lang)),
        esc(label("key_teachers_before", lang)),
        esc(label("key_teachers_after", lang)),
        esc(label("key_per_100_before", lang)),
        esc(label("key_per_100_after", lang)),
    ]
    return _table(heads, rows, "", {1, 2, 3, 4, 5})


def _flows(view: PlanView, lang: str) -> str:
    return (
        f'<section id="flows"><h2>{esc(text("report.flows", lang))}</h2><div class="grid2">'
        f'<div><h3 style="font-size:14px">{esc(text("report.flows_locality", lang))}</h3>'
        f"{_matrix(view, 'locality', LOCALITIES, lang)}</div>"
        f'<div><h3 style="font-size:14px">{esc(text("report.flows_tier", lang))}</h3>'
        f"{_matrix(view, 'tier', TIERS, lang)}</div></div>"
        f'<h3 style="font-size:14px">{esc(text("report.key_by", lang))}</h3>'
        f"{_key_by(view, lang)}</section>"
    )


def _map(view: PlanView, lang: str) -> str:
    """Schools and moves on an equirectangular projection (no tiles: plain SVG)."""
    c = view.coords
    if c is None or not len(c):
        return ""
    lat = c["lat"].astype(float)
    lon = c["lon"].astype(float)
    k = math.cos(math.radians(float(lat.mean())))
    xs, ys = (lon - lon.mean()) * k, -(lat - lat.mean())
    span = max(float(xs.max() - xs.min()), 1e-9), max(float(ys.max() - ys.min()), 1e-9)
    W, pad = 1000.0, 34.0
    H = min(640.0, max(340.0, (W - 2 * pad) * span[1] / span[0] + 2 * pad))
    scale = min((W - 2 * pad) / span[0], (H - 2 * pad) / span[1])
    ox = pad + (W - 2 * pad - span[0] * scale) / 2 - float(xs.min()) * scale
    oy = pad + (H - 2 * pad - span[1] * scale) / 2 - float(ys.min()) * scale
    px = {sid: (ox + xs[sid] * scale, oy + ys[sid] * scale) for sid in c.index}
    out = [
        f'<svg viewBox="0 0 {W:.0f} {H:.0f}" width="100%" role="img" '
        f'style="background:#f7f9fb;border-radius:6px">'
        "<defs>"
        + "".join(
            f'<marker id="arr-{k}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="4" '
            f'markerHeight="4" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" '
            f'fill="{colour}"/></marker>'
            for k, colour in (("rural", "#2e8540"), ("other", "#d35400"))
        )
        + "</defs>"
    ]
    m = _moves(view)
    pairs = m.groupby([m["from_school"].astype(str), m["to_school"].astype(str)]).size()
    loc = view.schools["locality"].astype(str) if view.schools is not None else c["locality"]
    dense = len(pairs) > 150  # a big district: thinner, fainter lines, smaller dots
    opacity = ".3" if dense else ".6"
    for (f, t), n in pairs.items():
        if f not in px or t not in px:
            continue
        (x1, y1), (x2, y2) = px[f], px[t]
        to_rural = loc.get(t) == "rural" and loc.get(f) != "rural"
        colour = "#2e8540" if to_rural else "#d35400"
        width = (0.8 + 1.2 * math.sqrt(n)) * (0.6 if dense else 1.0)
        tip = f"{f} → {t}: {text('report.moves_n', lang, n=int(n))}"
        # an arc bending to the right of its direction: A→B and B→A stay apart
        cx = (x1 + x2) / 2 + 0.18 * (y2 - y1)
        cy = (y1 + y2) / 2 - 0.18 * (x2 - x1)
        out.append(
            f'<path d="M{x1:.1f},{y1:.1f} Q{cx:.1f},{cy:.1f} {x2:.1f},{y2:.1f}" fill="none" '
            f'stroke="{colour}" stroke-opacity="{opacity}" stroke-width="{width:.1f}" '
            f'marker-end="url(#arr-{"rural" if to_rural else "other"})"><title>{esc(tip)}</title></path>'
        )
    students = view.schools["students"].astype(float) if view.schools is not None else None
    smax = float(students.max()) if students is not None and len(students) else 1.0
    label = len(c) <= 40
    for sid, row in c.iterrows():
        x, y = px[sid]
        big = 1.0 if len(c) <= 60 else 0.55
        r = (
            big * (4 + 6 * math.sqrt(float(students.get(sid, 0)) / smax))
            if students is not None
            else 5
        )
        colour = LOCALITY_COLOUR.get(str(row["locality"]), "#555")
        tip = f"{sid} {row['name']} · {code('locality', row['locality'], lang)} · {code('tier', row['tier'], lang)}"
        out.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{colour}" fill-opacity=".85" '
            f'stroke="#fff" stroke-width="1.2"><title>{esc(tip)}</title></circle>'
        )
        if label:
            out.append(
                f'<text x="{x + r + 2:.1f}" y="{y + 4:.1f}" font-size="11" fill="#1d2733">'
                f"{esc(sid)}</text>"
            )
    out.append(_scale_bar(scale, H))
    out.append("</svg>")
    legend = "".join(
        f'<span><i class="sw" style="background:{LOCALITY_COLOUR[v]};border-radius:50%"></i>'
        f"{esc(code('locality', v, lang))}</span>"
        for v in LOCALITIES
    )
    legend += (
        f'<span><i class="sw" style="background:#2e8540;height:3px"></i>'
        f"→ {esc(code('locality', 'rural', lang))}</span>"
        f'<span><i class="sw" style="background:#d35400;height:3px"></i>'
        f"{esc(text('report.other_moves', lang))}</span>"
    )
    return (
        f'<section id="map"><h2>{esc(text("report.map", lang))}</h2>'
        f'<p class="note">{esc(text("report.map_note", lang))}</p>{"".join(out)}'
        f'<div class="legend">{legend}</div></section>'
    )


def _scale_bar(scale: float, height: float) -> str:
    """A scale bar of a round number of kilometres (1 degree of latitude = 111.2 km)."""
    per_km = scale / 111.195
    km = next((k for k in (0.5, 1, 2, 5, 10, 20, 50, 100, 200) if k * per_km >= 60), 500)
    w = km * per_km
    y = height - 16
    return (
        f'<g><line x1="20" x2="{20 + w:.1f}" y1="{y}" y2="{y}" stroke="#3b4652" stroke-width="2"/>'
        f'<line x1="20" x2="20" y1="{y - 4}" y2="{y + 4}" stroke="#3b4652"/>'
        f'<line x1="{20 + w:.1f}" x2="{20 + w:.1f}" y1="{y - 4}" y2="{y + 4}" stroke="#3b4652"/>'
        f'<text x="{20 + w / 2:.1f}" y="{y - 6}" font-size="11" text-anchor="middle" '
        f'fill="#3b4652">{km:g} km</text></g>'
    )


def _school_table(view: PlanView, lang: str) -> str:
    s = view.schools
    inds = list(STANDARD_MIN)
    heads = [
        label("school_id", lang),
        label("name", lang),
        label("level", lang),
        label("locality", lang),
        label("tier", lang),
        label("students", lang),
        label("teachers_before", lang),
        label("teachers_after", lang),
    ]
    for ind in inds:
        heads += [label(f"{ind}_before", lang), label(f"{ind}_after", lang)]
    heads += [
        label("students_per_teacher_after", lang),
        label("inflow", lang),
        label("outflow", lang),
    ]
    rows = []
    for sid, r in s.iterrows():
        level = str(r["level"])
        parts = ("primary", "junior") if level == "nine_year" else (level,)
        cells = [
            _td(sid),
            _td(r["name"]),
            _td(code("level", level, lang)),
            _td(code("locality", r["locality"], lang)),
            _td(code("tier", r["tier"], lang)),
            _td(int(r["students"]), 0),
            _td(int(r["teachers_before"]), 0),
            _td(int(r["teachers_after"]), 0),
        ]
        for ind in inds:
            need = max(STANDARD_MIN[ind].get(p, 0.0) for p in parts)
            for side in ("before", "after"):
                v = float(r[f"{ind}_{side}"])
                cells.append(_td(v, 2, "low" if v < need - 1e-12 else ""))
        t = float(r["teachers_after"])
        cells.append(_td(float(r["students"]) / t if t > 0 else None, 1))
        cells += [_td(int(r["inflow"]), 0), _td(int(r["outflow"]), 0)]
        rows.append(cells)
    numeric = set(range(5, len(heads)))
    return (
        f'<section id="schools"><h2>{esc(text("report.table", lang))}</h2>'
        f'<p class="note">{esc(text("report.table_note", lang))}</p><div class="wrap">'
        f"{_table([esc(h) for h in heads], rows, 'sortable', numeric)}</div></section>"
    )


def _moves_table(view: PlanView, lang: str) -> str:
    """Everyone who moves: from where to where, sortable."""
    m = _moves(view)
    names = view.school_names
    rows = []
    for sid, r in m.iterrows():
        f, t = str(r["from_school"]), str(r["to_school"])
        rows.append(
            [
                _td(sid),
                _td(r["name"]),
                _td(code("stream", r["stream"], lang)),
                _td(code("subject", r["subject"], lang)),
                _td(f"{f} {names.get(f, '')}"),
                _td(f"{t} {names.get(t, '')}"),
                _td(float(r["distance_km"]), 1),
            ]
        )
    heads = [
        label("staff_id", lang),
        label("name", lang, "staff"),
        label("stream", lang),
        label("subject", lang),
        label("from_school", lang),
        label("to_school", lang),
        label("distance_km", lang),
    ]
    return (
        f'<section id="moves"><h2>{esc(text("report.moves", lang))} ({len(rows)})</h2>'
        f'<p class="note">{esc(text("report.table_note", lang))}</p><div class="wrap">'
        f"{_table([esc(h) for h in heads], rows, 'sortable', {6})}</div></section>"
    )


def _part_time(view: PlanView, lang: str) -> str:
    """``[forms]``: the part-time and guidance shares, and the post-filling moves."""
    pt = view.extra.get("part_time")
    forms = view.summary.get("forms")
    if pt is None and not forms:
        return ""
    names = view.school_names
    rows = [
        [
            _td(r.staff_id),
            _td(r.name),
            _td(code("subject", r.subject, lang)),
            _td(f"{r.home_school} {names.get(str(r.home_school), '')}"),
            _td(f"{r.to_school} {names.get(str(r.to_school), '')}"),
            _td(float(r.share), 1),
            _td(code("form", r.form, lang)),
        ]
        for r in (pt.itertuples(index=False) if pt is not None else [])
    ]
    heads = [
        label("staff_id", lang),
        label("name", lang, "staff"),
        label("subject", lang),
        column("home_school", lang),
        label("to_school", lang),
        column("share", lang),
        column("form", lang),
    ]
    n_pf = int((forms or {}).get("post_filling", 0))
    pf = f'<p class="note">{esc(text("report.post_filling", lang, n=n_pf))}</p>' if n_pf else ""
    if (forms or {}).get("training_to_lead") is not None:
        n_tr = int(forms["training_to_lead"])
        pf += f'<p class="note">{esc(text("report.training_to_lead", lang, n=n_tr))}</p>'
    return (
        f'<section id="part_time"><h2>{esc(text("report.part_time", lang))} ({len(rows)})</h2>'
        f'<p class="note">{esc(text("report.part_time_note", lang))}</p>{pf}<div class="wrap">'
        f"{_table([esc(h) for h in heads], rows, 'sortable', {5})}</div></section>"
    )


def _rules(view: PlanView, lang: str) -> str:
    rules = (view.explain or {}).get("rules", [])
    if not rules:
        return ""
    rows = [
        [
            _td(code("rule", r.get("rule"), lang) if lang == "zh" else r.get("rule")),
            _td(code("bool", r.get("binding"), lang)),
            _td(r.get("text", "")),
        ]
        for r in rules
    ]
    heads = [esc(label("rule", lang)), esc(label("binding", lang)), esc(label("text", lang))]
    return (
        f'<section id="rules"><h2>{esc(text("report.rules", lang))}</h2>'
        f"{_table(heads, rows)}</section>"
    )


def _placement(view: PlanView, lang: str) -> str:
    """The placement's fairness figures and its public notice (公示名单)."""
    pl = view.summary.get("placement")
    if not pl or not has_notice(view):
        return ""
    mech = pl.get("mechanism", "")
    hist = pl.get("wish_rank_histogram", {})
    facts = [
        (text("placement.mechanism", lang), mech),
        (text("placement.lottery_seed", lang), repr(pl.get("lottery_seed", ""))),
        (
            text("placement.first_wish", lang),
            f"{hist.get('1', 0)} / {pl.get('ordinary_movers', 0)}",
        ),
        (
            text("placement.justified_envy", lang),
            f"{pl.get('justified_envy', 0)} (+{pl.get('forced_envy', 0)} forced)",
        ),
        (text("placement.blocking_pairs", lang), pl.get("blocking_pairs", 0)),
    ]
    items = "".join(f"<li><b>{esc(k)}</b>: {esc(v)}</li>" for k, v in facts)
    table = notice_table(view, lang)
    rows = [[_td(None if v is pd.NA else v) for v in r] for r in table.itertuples(index=False)]
    return (
        f'<section id="placement"><h2>{esc(text("placement.notice_title", lang))}</h2>'
        f"<ul>{items}</ul>{_table([esc(c) for c in table.columns], rows)}</section>"
    )


def _diagnosis(view: PlanView, lang: str) -> str:
    d = view.diagnosis
    if not d:
        return ""
    items = "".join(
        f"<li><b>{esc(r['rule'])}</b>: {esc(r['text'])}"
        + (
            f"<br><small>{esc(label('schools', lang))}: {esc(r['schools'])}</small>"
            if r["schools"]
            else ""
        )
        + "</li>"
        for r in diagnosis_rows(d)
    )
    return (
        f'<section id="diagnosis"><h2>{esc(text("report.diagnosis", lang))}</h2>'
        f'<ul class="diag">{items}</ul></section>'
    )


def render_report(view: PlanView, lang: str = "en") -> str:
    """The report page of ``view`` as an HTML string (see the module docstring)."""
    as_of = view.summary.get("scenario", {}).get("scenario", {}).get("as_of", "")
    sub = " · ".join(
        p
        for p in (
            f"{esc(text('as_of', lang))} {esc(as_of)}" if as_of else "",
            f"{esc(text('status', lang))}: {esc(code('status', view.summary.get('status'), lang))}",
            esc(text("report.generated", lang, version=__version__)),
        )
        if p
    )
    parts = []
    if view.assignments is not None and view.schools is not None:
        parts += [
            _kpis(view, lang),
            _chart(view, lang),
            _flows(view, lang),
            _map(view, lang),
            _school_table(view, lang),
            _moves_table(view, lang),
            _part_time(view, lang),
            _rules(view, lang),
            _placement(view, lang),
        ]
    parts.append(_diagnosis(view, lang))
    title = f"{text('report.title', lang)}: {view.name}"
    return (
        f'<!DOCTYPE html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}"><head>'
        '<meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"
        f'<header><h1>{esc(title)}</h1><div class="sub">{sub}</div></header>'
        f"<main>{''.join(parts)}</main>"
        f"<footer>lungang {esc(__version__)} · {esc(text('coef_title', lang))} "
        f"· {esc(', '.join(f'{k} {v:.2f}' for k, v in MAX_CV.items()))}</footer>"
        f"<script>{JS}</script></body></html>\n"
    )


def write_report(view: PlanView, path: Path, lang: str = "en") -> Path:
    """Write ``report.html`` of ``view`` to ``path`` (UTF-8; not atomic by itself)."""
    Path(path).write_text(render_report(view, lang), encoding="utf-8")
    return Path(path)
