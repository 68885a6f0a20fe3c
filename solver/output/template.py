"""``lungang template``: an input workbook for planners to fill in.

One sheet per input table of :mod:`solver.loaders` (headers as the loaders accept them,
in English or Chinese), a sample row that loads as it is, drop-down lists for every
code column and for the staff sheet's school ids, a notes sheet explaining each column
and a codes sheet holding the lists. A workbook filled in from it is read by
``load_district`` without edits.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from ..input.loaders import TABLES
from .i18n import code, code_list, column, text

#: Rows the drop-downs cover (a district has at most a few tens of thousands of staff).
ROWS = 50_000

#: The code list of each enum column (the loaders' value lists).
CODE_LISTS = {
    "level": "level",
    "locality": "locality",
    "tier": "tier",
    "role": "role",
    "subject": "subject",
    "key_level": "key_level",
    "title": "title",
    "gender": "gender",
    "action": "action",
    "on_payroll": "bool",
    "above_standard_qualification": "bool",
}

#: What each column means (notes sheet), English and Chinese.
MEANING: dict[str, tuple[str, str]] = {
    "school_id": ("unique school code", "学校唯一代码"),
    "name": ("name", "名称或姓名"),
    "zone": ("zone (学区) the school belongs to", "所属学区"),
    "group": ("education group, may be empty", "所属教育集团，可空"),
    "level": ("school level", "学段"),
    "locality": ("urban, town or rural", "城区、镇区或乡村"),
    "tier": ("school tier, default average", "办学水平，默认一般"),
    "lat": ("latitude, WGS84 degrees", "纬度（WGS84，度）"),
    "lon": ("longitude, WGS84 degrees", "经度（WGS84，度）"),
    "students": ("enrolment, integer > 0", "在校生数，正整数"),
    "junior_students": (
        "junior part of students, nine-year schools only",
        "九年一贯制学校的初中在校生数",
    ),
    "principal_posts": ("principal posts, default 1", "校长职数，默认 1"),
    "vice_principal_posts": (
        "vice principal posts, default: current count",
        "副校长职数，默认现有人数",
    ),
    "staff_id": ("unique staff number", "工号，唯一"),
    "role": ("principal, vice principal or teacher", "校长、副校长或教师"),
    "subject": ("subject; required for teachers", "任教学科，教师必填"),
    "key_level": ("key-teacher level, default none", "骨干级别，默认无"),
    "school_start_date": (
        "joined the current school (or post, for cadres)",
        "到本校（干部：任现职）日期",
    ),
    "retirement_date": (
        "retirement date, or give birth date and gender",
        "退休日期，或填写出生日期和性别",
    ),
    "birth_date": ("date of birth", "出生日期"),
    "gender": ("F or M (for the retirement age)", "性别（用于推算退休年龄）"),
    "on_payroll": ("on payroll and at work, default true", "是否在编在岗，默认是"),
    "title": ("professional title, default none", "职称，默认无"),
    "above_standard_qualification": ("degree above the required one", "学历是否高于规定学历"),
    "rural_years": ("years served at rural or weak schools", "已在乡村或薄弱学校任教年数"),
    "home_lat": ("home latitude, optional", "家庭住址纬度，选填"),
    "home_lon": ("home longitude, optional", "家庭住址经度，选填"),
    "exempt_reason": (
        "a listed exemption keeps the person in place; empty when none",
        "暂缓交流原因，无则留空",
    ),
    "post_school_id": (
        "the school holding the post (编制); empty: the current school",
        "编制所在学校，空则为当前学校",
    ),
    "stint_end": (
        "end of the current stint; not eligible before it",
        "本次交流期满日期，期满前不参加交流",
    ),
    "hire_date": ("first appointment as a teacher (new-hire rule)", "入职日期（新教师规则）"),
    "title_applicant": (
        "applies for a senior title within the plan's years",
        "是否拟申报高级职称",
    ),
    "start_date": ("start of an earlier posting", "任职开始日期"),
    "end_date": ("end of that posting; empty: ongoing", "任职结束日期，空则至今"),
    "required": ("head count wanted after rotation", "交流后需要的人数"),
    "action": ("stay, move, or to (a given school)", "留任、交流或指定学校"),
}

_SAMPLE: dict[str, dict[str, object]] = {
    "schools": {
        "school_id": "S001",
        "name": "第一小学",
        "zone": "东区",
        "group": "",
        "level": "primary",
        "locality": "urban",
        "tier": "average",
        "lat": 39.9,
        "lon": 116.4,
        "students": 600,
        "principal_posts": 1,
        "vice_principal_posts": 0,
    },
    "staff": {
        "staff_id": "T0001",
        "name": "张老师",
        "school_id": "S001",
        "role": "principal",
        "subject": "chinese",
        "key_level": "none",
        "school_start_date": dt.date(2015, 9, 1),
        "retirement_date": dt.date(2040, 9, 1),
        "on_payroll": "true",
        "title": "senior",
        "above_standard_qualification": "true",
        "rural_years": 0,
    },
    "demand": {"school_id": "S001", "subject": "chinese", "required": 0},
    "pins": {"staff_id": "T0001", "action": "stay", "school_id": ""},
}

HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
SAMPLE_FILL = PatternFill("solid", fgColor="FFF2CC")


def _zh_header(col) -> str:
    zh = next((a for a in col.aliases if any("\u4e00" <= ch <= "\u9fff" for ch in a)), None)
    return zh or col.name


def _codes_sheet(wb: Workbook, lang: str) -> dict[str, str]:
    """The codes sheet; returns each code list's cell range, for the drop-downs."""
    codes = wb.create_sheet(text("sheet.codes", lang))
    ranges: dict[str, str] = {}
    for j, kind in enumerate(sorted(set(CODE_LISTS.values())), start=1):
        values = code_list(kind, lang)
        codes.cell(1, j, kind).font = Font(bold=True)
        for i, v in enumerate(values, start=2):
            codes.cell(i, j, v).data_type = "s"
        letter = get_column_letter(j)
        ranges[kind] = f"{quote_sheetname(codes.title)}!${letter}$2:${letter}${len(values) + 1}"
        codes.column_dimensions[letter].width = 16
    return ranges


def _drop_down(ws, letter: str, source: str, lang: str) -> None:
    # a warning, not a stop: the loaders also accept the other language's codes
    dv = DataValidation(type="list", formula1=source, allow_blank=True, errorStyle="warning")
    dv.showErrorMessage = True
    dv.error = text("tpl.not_in_list", lang)
    dv.add(f"{letter}2:{letter}{ROWS}")
    ws.add_data_validation(dv)


def _sample_cell(ws, j: int, col, lang: str, sample: dict[str, object]) -> None:
    v = sample.get(col.name)
    if isinstance(v, str) and col.name in CODE_LISTS and v:
        v = code(CODE_LISTS[col.name], v, lang)
    cell = ws.cell(2, j, None if v == "" else v)
    if isinstance(v, str):
        cell.data_type = "s"
    if isinstance(v, dt.date):
        cell.number_format = "yyyy-mm-dd"
    cell.fill = SAMPLE_FILL


def _table_sheet(wb: Workbook, spec, index: int, lang: str, ranges: dict[str, str]) -> list:
    """One input table's sheet; returns its rows of the notes sheet."""
    zh = lang == "zh"
    ws = wb.create_sheet(text(f"sheet.in.{spec.name}", lang), index=index)
    sample = _SAMPLE.get(spec.name, {})
    cols = [c for c in spec.columns if c.name in sample or c.required]
    cols += [c for c in spec.columns if c not in cols and c.name not in ("birth_date", "gender")]
    notes = []
    for j, c in enumerate(cols, start=1):
        header = _zh_header(c) if zh else c.name
        h = ws.cell(1, j, header)
        h.font, h.fill = Font(bold=True, color="FFFFFF"), HEADER_FILL
        _sample_cell(ws, j, c, lang, sample)
        letter = get_column_letter(j)
        ws.column_dimensions[letter].width = max(12, len(header) * (2 if zh else 1) + 4)
        kind = CODE_LISTS.get(c.name)
        if kind:
            _drop_down(ws, letter, f"={ranges[kind]}", lang)
        elif c.name == "school_id" and spec.name != "schools":
            schools = quote_sheetname(text("sheet.in.schools", lang))
            _drop_down(ws, letter, f"={schools}!$A$2:$A${ROWS}", lang)
        if c.kind == "date":
            for i in range(3, 200):
                ws.cell(i, j).number_format = "yyyy-mm-dd"
        en, zh_meaning = MEANING.get(c.name, ("", ""))
        allowed = ", ".join(code_list(kind, lang)) if kind else ""
        need = text("tpl.required" if c.required and not c.nullable else "tpl.optional", lang)
        notes.append((ws.title, header, zh_meaning if zh else en, allowed, need))
    ws.freeze_panes = "A2"
    return notes


def _notes_sheet(wb: Workbook, index: int, rows: list, lang: str) -> None:
    notes = wb.create_sheet(text("sheet.notes", lang), index=index)
    notes.cell(1, 1, text("tpl.notes_title", lang)).alignment = Alignment(wrap_text=True)
    notes.merge_cells("A1:E1")
    notes.row_dimensions[1].height = 48
    heads = [column("table", lang), column("column", lang), column("meaning", lang)]
    heads += [column("allowed", lang), ""]
    for j, h in enumerate(heads, start=1):
        c = notes.cell(2, j, h)
        c.font, c.fill = Font(bold=True, color="FFFFFF"), HEADER_FILL
    for i, row in enumerate(rows, start=3):
        for j, v in enumerate(row, start=1):
            notes.cell(i, j, v).data_type = "s"
    for letter, w in zip("ABCDE", (10, 28, 50, 60, 8), strict=True):
        notes.column_dimensions[letter].width = w
    notes.freeze_panes = "A3"


def write_template(path: Path, lang: str = "en") -> Path:
    """Write the input template workbook to ``path`` (not atomic by itself).

    Parameters
    ----------
    path
        The ``.xlsx`` file to write.
    lang
        ``"zh"``: Chinese sheet names, headers and code values (all accepted by the
        loaders); ``"en"``: the contract's names and codes.

    Returns
    -------
    Path
        ``path``.
    """
    wb = Workbook()
    wb.remove(wb.active)
    ranges = _codes_sheet(wb, lang)
    notes = []
    for i, spec in enumerate(TABLES):
        notes += _table_sheet(wb, spec, i, lang, ranges)
    _notes_sheet(wb, len(TABLES), notes, lang)
    wb.active = 0
    wb.save(path)
    return Path(path)
