"""``plan.xlsx``: the plan as a workbook a planner can filter, print and hand on.

Written with openpyxl (already a dependency, and the reader the tests use) in its
write-only mode, which streams rows to the file: a 9,000-staff plan takes about a
second. Every sheet has its header row frozen, a filter on it and fitted column widths;
numbers are number cells and dates date cells. Every string is written as an inline
text cell: a name like ``=HYPERLINK(...)`` stays text and is never evaluated (openpyxl
would otherwise store any string starting with ``=`` as a formula).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ..input.assignments import PLACEMENT_COLUMNS
from ..rules.indicators import MAX_CV, STANDARD_MIN
from .i18n import code, column, sheet, text
from .notice import has_notice, notice_table
from .plan_view import PlanView

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
#: Cells under the national standard value, or coefficients over their threshold.
LOW_FILL = PatternFill("solid", fgColor="F8CBAD")
OK_FILL = PatternFill("solid", fgColor="C6EFCE")
WRAP = Alignment(wrap_text=True, vertical="top")

#: Columns of the assignments sheet (the CSV's, with school names on both sides).
ASSIGNMENT_SHEET_COLUMNS = [
    "staff_id",
    "name",
    "role",
    "stream",
    "subject",
    "key_level",
    "from_school",
    "from_name",
    "to_school",
    "to_name",
    "moved",
    "distance_km",
]
#: Code columns whose values are translated with ``lang="zh"``.
CODE_COLUMNS = {
    "role": "role",
    "stream": "stream",
    "subject": "subject",
    "key_level": "key_level",
    "level": "level",
    "locality": "locality",
    "tier": "tier",
}


def _plain(v: Any) -> Any:
    """A value openpyxl writes as the right cell type (``None`` for missing numbers)."""
    if v is None:
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    if isinstance(v, pd.Timestamp):
        return None if pd.isna(v) else v.to_pydatetime()
    if isinstance(v, dict | list | tuple):
        return json.dumps(v, ensure_ascii=False)
    return v


class _Sheet:
    """A write-only sheet with a styled, frozen, filtered header and fitted widths."""

    def __init__(self, wb: Workbook, title: str, headers: Sequence[str]) -> None:
        self.ws = wb.create_sheet(title)
        self.headers = list(headers)
        self.widths = [_width(h) + 2 for h in self.headers]
        self.rows: list[list[Any]] = []
        self.wrap: set[int] = set()

    def add(self, values: Iterable[Any], fills: dict[int, PatternFill] | None = None) -> None:
        row = []
        for j, v in enumerate(values):
            v = _plain(v)
            if j < len(self.widths) and len(self.rows) < 3000:
                self.widths[j] = max(self.widths[j], _width(v))
            if isinstance(v, str) or (fills and j in fills) or j in self.wrap:
                row.append(self._cell(v, fills.get(j) if fills else None, j in self.wrap))
            elif isinstance(v, dt.date):
                c = WriteOnlyCell(self.ws, v)
                c.number_format = "yyyy-mm-dd"
                row.append(c)
            else:
                row.append(v)
        self.rows.append(row)

    def _cell(self, v: Any, fill: PatternFill | None, wrap: bool) -> Cell:
        if isinstance(v, str):
            v = ILLEGAL_CHARACTERS_RE.sub("", v)
        c = WriteOnlyCell(self.ws, v)
        if isinstance(v, str):
            c.data_type = "s"  # text, never a formula
        if fill is not None:
            c.fill = fill
        if wrap:
            c.alignment = WRAP
        return c

    def close(self, number_formats: dict[int, str] | None = None) -> None:
        ws = self.ws
        for j, w in enumerate(self.widths, start=1):
            ws.column_dimensions[get_column_letter(j)].width = min(max(w, 6), 60)
        ws.freeze_panes = "A2"
        last = get_column_letter(max(len(self.headers), 1))
        ws.auto_filter.ref = f"A1:{last}{len(self.rows) + 1}"
        header = []
        for h in self.headers:
            c = WriteOnlyCell(ws, h)
            c.data_type = "s"
            c.font = HEADER_FONT
            c.fill = HEADER_FILL
            header.append(c)
        ws.append(header)
        for row in self.rows:
            if number_formats:
                for j, fmt in number_formats.items():
                    if j >= len(row):
                        continue
                    if isinstance(row[j], float):
                        row[j] = WriteOnlyCell(ws, row[j])
                    if isinstance(row[j], Cell) and isinstance(row[j].value, float):
                        row[j].number_format = fmt
            ws.append(row)


def _width(v: Any) -> int:
    """Display width of a value: CJK characters count twice."""
    if v is None:
        return 0
    if isinstance(v, float):
        return 8
    s = str(v)
    if "\n" in s:
        s = max(s.split("\n"), key=len)
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in s[:80])


def _as_of(view: PlanView) -> dt.date | None:
    raw = view.summary.get("scenario", {}).get("scenario", {}).get("as_of")
    try:
        return dt.date.fromisoformat(str(raw)) if raw else None
    except ValueError:
        return None


def _summary_sheet(wb: Workbook, view: PlanView, lang: str) -> None:
    s = view.summary
    sh = _Sheet(wb, sheet("summary", lang), [column("item", lang), column("value", lang)])
    sh.add([text("scenario", lang), view.name])
    sh.add([text("as_of", lang), _as_of(view)])
    sh.add([text("status", lang), code("status", s.get("status"), lang)])
    for key in ("objective", "best_bound", "bound_scope", "gap", "solve_seconds"):
        if key in s:
            sh.add([text(key, lang), s[key]])
    counts = s.get("counts", {})
    for key, label in (("staff", "staff"), ("schools", "schools_n"), ("eligible", "eligible")):
        if key in counts:
            sh.add([text(label, lang), counts[key]])
    if "moved" in counts:
        sh.add([text("moved", lang), counts["moved"]])
        for stream, n in counts.get("moved_by_stream", {}).items():
            sh.add([f"{text('moved', lang)}: {code('stream', stream, lang)}", n])
    sh.close()


#: Columns a multi-year plan's assignments add (``lungang plan``), shown when present.
STINT_COLUMNS = ["post_school_id", "stint_end"]


def _assignments_sheet(wb: Workbook, view: PlanView, lang: str, title: str | None = None) -> None:
    a = view.assignments.reset_index()
    names = view.school_names
    a["from_name"] = names.reindex(a["from_school"].astype(str)).fillna("").to_numpy()
    a["to_name"] = names.reindex(a["to_school"].astype(str)).fillna("").to_numpy()
    a["moved"] = a["moved"].astype(bool)
    # placement's points, lottery and wish ranks; a multi-year plan's post and stint end
    extra = [c for c in PLACEMENT_COLUMNS if c in a.columns]
    names_ = ASSIGNMENT_SHEET_COLUMNS + extra + [c for c in STINT_COLUMNS if c in a.columns]
    for c in PLACEMENT_COLUMNS:
        if c in a.columns:
            a[c] = [None if v is pd.NA or v != v else v for v in a[c].tolist()]
    if "stint_end" in a.columns:  # a date cell, empty for those who stay
        a["stint_end"] = [_date_or_none(v) for v in a["stint_end"]]
    heads = [column(c, lang, "staff") for c in names_]
    sh = _Sheet(wb, title or sheet("assignments", lang), heads)
    cols = [a[c].tolist() for c in names_]
    kinds = [CODE_COLUMNS.get(c) for c in names_]
    moved_j = names_.index("moved")
    for row in zip(*cols, strict=True):
        out = list(row)
        if lang == "zh":
            out = [code(k, v, lang) if k else v for k, v in zip(kinds, out, strict=True)]
            out[moved_j] = code("bool", row[moved_j], lang)
        sh.add(out)
    sh.close({ASSIGNMENT_SHEET_COLUMNS.index("distance_km"): "0.00"})


def _date_or_none(v: Any) -> dt.date | None:
    try:
        return (
            dt.date.fromisoformat(str(v)) if v is not None and str(v) not in ("", "nan") else None
        )
    except ValueError:
        return None


def school_sheet_columns(schools: pd.DataFrame) -> list[str]:
    """The columns of the schools sheet: the plan's ``schools.csv`` and the
    student-teacher ratio before and after."""
    cols = [c for c in schools.columns]
    for side in ("before", "after"):
        if f"students_per_teacher_{side}" not in cols:
            cols.append(f"students_per_teacher_{side}")
    return ["school_id", *cols]


def _schools_sheet(wb: Workbook, view: PlanView, lang: str) -> None:
    s = view.schools.copy()
    for side in ("before", "after"):
        t = s[f"teachers_{side}"].astype(float)
        s[f"students_per_teacher_{side}"] = s["students"].astype(float) / t.where(t > 0)
    s = s.reset_index()
    cols = school_sheet_columns(view.schools)
    sh = _Sheet(wb, sheet("schools", lang), [column(c, lang) for c in cols])
    checks = [
        (cols.index(f"{ind}_{side}"), ind)
        for ind in STANDARD_MIN
        for side in ("before", "after")
        if f"{ind}_{side}" in cols
    ]
    for rec in s[cols].itertuples(index=False):
        row = list(rec)
        level = str(row[cols.index("level")])
        parts = ("primary", "junior") if level == "nine_year" else (level,)
        fills = {}
        for j, ind in checks:
            v = row[j]
            need = max(STANDARD_MIN[ind].get(p, 0.0) for p in parts)
            if v == v and v < need - 1e-12:
                fills[j] = LOW_FILL
        if lang == "zh":
            row = [
                code(CODE_COLUMNS[c], v, lang) if c in CODE_COLUMNS else v
                for c, v in zip(cols, row, strict=True)
            ]
        sh.add(row, fills)
    fmt = {j: "0.00" for j, c in enumerate(cols) if "_per_100" in c or "per_teacher" in c}
    sh.close(fmt)


def coefficient_rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """Per indicator and level: the coefficient before and after and the threshold."""
    rows = []
    for ind, by_level in summary.get("coefficients", {}).items():
        for lvl, v in by_level.items():
            b, a = v.get("before"), v.get("after")
            m = MAX_CV.get(lvl)
            rows.append(
                {
                    "indicator": ind,
                    "level": lvl,
                    "cv_before": b,
                    "cv_after": a,
                    "max_cv": m,
                    "meets_before": None if b is None or m is None else b <= m,
                    "meets_after": None if a is None or m is None else a <= m,
                }
            )
    return rows


def _coefficients_sheet(wb: Workbook, view: PlanView, lang: str) -> None:
    names = ["indicator", "level", "cv_before", "cv_after", "max_cv", "meets_before", "meets_after"]
    sh = _Sheet(wb, sheet("coefficients", lang), [column(c, lang) for c in names])
    for r in coefficient_rows(view.summary):
        fills = {
            j: (OK_FILL if r[k] else LOW_FILL)
            for j, k in ((5, "meets_before"), (6, "meets_after"))
            if r[k] is not None
        }
        row = [r[c] for c in names]
        row[0] = code("indicator", r["indicator"], lang) if lang == "zh" else r["indicator"]
        row[1] = code("level", r["level"], lang) if lang == "zh" else r["level"]
        for j in (5, 6):
            if row[j] is not None and lang == "zh":
                row[j] = code("bool", row[j], lang)
        sh.add(row, fills)
    sh.close({2: "0.000", 3: "0.000", 4: "0.00"})


def _terms_sheet(wb: Workbook, view: PlanView, lang: str) -> None:
    names = ["term", "weight", "value", "weighted"]
    sh = _Sheet(wb, sheet("terms", lang), [column(c, lang) for c in names])
    detail = (view.explain or {}).get("terms", {})
    for t, v in view.summary.get("terms", {}).items():
        w, val = v.get("weight"), v.get("value")
        weighted = detail.get(t, {}).get("weighted")
        if weighted is None and w is not None and val is not None:
            weighted = w * val
        sh.add([code("term", t, lang) if lang == "zh" else t, w, val, weighted])
    sh.close()


def _rules_sheet(wb: Workbook, view: PlanView, lang: str) -> None:
    names = ["rule", "setting", "required", "achieved", "binding", "text"]
    sh = _Sheet(wb, sheet("rules", lang), [column(c, lang) for c in names])
    sh.wrap = {5}
    for r in (view.explain or {}).get("rules", []):
        rule = r.get("rule")
        binding = r.get("binding")
        sh.add(
            [
                code("rule", rule, lang) if lang == "zh" else rule,
                r.get("setting"),
                r.get("required"),
                r.get("achieved"),
                code("bool", binding, lang) if lang == "zh" else binding,
                r.get("text", ""),
            ]
        )
    sh.close()


def person_decision(p: dict[str, Any], names: pd.Series, lang: str) -> str:
    """``moves to <school>`` or ``stays``."""
    if not p.get("moved"):
        return text("stays", lang)
    to = str(p.get("to_school", ""))
    name = names.get(to, "")
    return text("moves_to", lang, school=f"{to} {name}".strip())


def _people_sheet(wb: Workbook, view: PlanView, lang: str) -> None:
    names = [
        "staff_id",
        "name",
        "stream",
        "from_school",
        "from_name",
        "decision",
        "permitted_schools",
        "alternative",
        "reasons",
    ]
    sh = _Sheet(wb, sheet("people", lang), [column(c, lang, "staff") for c in names])
    sh.wrap = {8}
    school_names = view.school_names
    for p in (view.explain or {}).get("people", []):
        reasons = p.get("reasons")
        if reasons is None:
            why = text("not_analysed", lang)
        else:
            why = "\n".join(str(r.get("text", "")) for r in reasons)
        alt = p.get("alternative") or {}
        frm = str(p.get("from_school", ""))
        sh.add(
            [
                p.get("staff_id"),
                p.get("name"),
                code("stream", p.get("stream"), lang) if lang == "zh" else p.get("stream"),
                frm,
                school_names.get(frm, ""),
                person_decision(p, school_names, lang),
                p.get("permitted_schools"),
                alt.get("text", p.get("note", "")),
                why,
            ]
        )
    sh.close()


def diagnosis_rows(diagnosis: dict[str, Any]) -> list[dict[str, Any]]:
    """The findings and the relaxations of a diagnosis as flat rows."""
    rows = []
    for f in diagnosis.get("findings", []):
        rows.append(
            {
                "kind": "finding",
                "rule": ", ".join(f.get("rules", [f.get("rule", "")])),
                "text": f.get("text", ""),
                "schools": ", ".join(map(str, f.get("schools", []))),
                "subjects": ", ".join(map(str, f.get("subjects", []))),
                "staff": ", ".join(map(str, f.get("staff", []))),
            }
        )
    for r in diagnosis.get("relaxations", []):
        rows.append(
            {
                "kind": "relaxation",
                "rule": r.get("key", r.get("rule", "")),
                "text": r.get("text", ""),
                "schools": "",
                "subjects": "",
                "staff": "",
            }
        )
    if not rows and diagnosis.get("message"):
        rows.append({"kind": "message", "rule": ", ".join(diagnosis.get("rules", []))})
        rows[-1].update(text=diagnosis["message"], schools="", subjects="", staff="")
    return rows


_DIAG_ZH = {
    "kind": "类型",
    "finding": "冲突",
    "relaxation": "可行的调整",
    "message": "说明",
    "subjects": "学科",
    "staff": "教职工",
}


def _diagnosis_sheet(wb: Workbook, view: PlanView, lang: str) -> None:
    names = ["kind", "rule", "text", "schools", "subjects", "staff"]
    zh = lang == "zh"
    heads = [_DIAG_ZH.get(c, column(c, lang)) if zh else c for c in names]
    sh = _Sheet(wb, sheet("diagnosis", lang), heads)
    sh.wrap = {2}
    for r in diagnosis_rows(view.diagnosis or {}):
        row = [r[c] for c in names]
        if zh:
            row[0] = _DIAG_ZH.get(row[0], row[0])
        sh.add(row)
    sh.close()


def _notice_sheet(wb: Workbook, view: PlanView, lang: str) -> None:
    """The public notice (公示名单) of a placed plan (:mod:`solver.output.notice`)."""
    table = notice_table(view, lang)
    sh = _Sheet(wb, sheet("notice", lang), list(table.columns))
    for row in table.itertuples(index=False):
        sh.add([None if v is pd.NA else v for v in row])
    sh.close()


def _part_time_sheet(wb: Workbook, view: PlanView, lang: str) -> None:
    """``part_time.csv`` (``[forms]``): one row per share, school names added."""
    pt = view.extra.get("part_time")
    if pt is None:
        return
    names = view.school_names
    cols = ["staff_id", "name", "subject", "home_school", "to_school", "to_name", "share", "form"]
    sh = _Sheet(wb, sheet("part_time", lang), [column(c, lang, "staff") for c in cols])
    for r in pt.itertuples(index=False):
        row = [
            r.staff_id,
            r.name,
            code("subject", r.subject, lang),
            r.home_school,
            r.to_school,
            names.get(str(r.to_school), ""),
            float(r.share),
            code("form", r.form, lang),
        ]
        sh.add(row)
    sh.close({cols.index("share"): "0.0"})


def write_workbook(view: PlanView, path: Path, lang: str = "en") -> Path:
    """Write ``plan.xlsx`` of ``view`` to ``path``.

    Sheets: summary, assignments (school names on both sides), schools (before and
    after, the three indicators and the student-teacher ratio; cells under the national
    standard value filled red), coefficients (per indicator and level, against 0.50 /
    0.45), terms, rules and people (from ``explain.json``), notice (公示名单) for plans that
    use placement, and diagnosis when the rules cannot all hold. Sheet names and headers follow ``lang``.

    Parameters
    ----------
    view
        The plan (:mod:`solver.plan_view`).
    path
        The workbook to write (replaced if it exists; not atomic by itself).
    lang
        ``"en"`` or ``"zh"``.
    """
    wb = Workbook(write_only=True)
    _summary_sheet(wb, view, lang)
    if view.assignments is not None:
        _assignments_sheet(wb, view, lang)
        _schools_sheet(wb, view, lang)
        _coefficients_sheet(wb, view, lang)
        _terms_sheet(wb, view, lang)
        _rules_sheet(wb, view, lang)
        _people_sheet(wb, view, lang)
        _part_time_sheet(wb, view, lang)
    if has_notice(view):
        _notice_sheet(wb, view, lang)
    if view.diagnosis is not None:
        _diagnosis_sheet(wb, view, lang)
    wb.save(path)
    return Path(path)
