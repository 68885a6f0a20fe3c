"""Reading a district (a folder of CSV files or one ``.xlsx`` workbook) into a :class:`District`.

This is the one boundary where files become data (``docs/input.md`` documents every
table and column). Every cell is read as text first, then checked and converted, so
that a problem can name the file, the row as Excel shows it (header = row 1), the column as
the file spells it and the bad value. Per-column checks (types, ranges, allowed values) are
pandera schemas run with ``lazy=True``; checks that span columns or tables are written by
hand. All problems are collected and raised together as one :class:`InputError`.

Accepted beyond the strict format (lenient, unambiguous; ``docs/input.md`` says so too):

- headers are matched after stripping, case-insensitively, with spaces or ``-`` read as
  ``_``; a few extra Chinese headers are accepted (see ``*_COLUMNS`` below);
- enum values are matched case-insensitively, and common Chinese values are accepted
  (``小学``, ``乡村``, ``校长``, ``区级``, ``数学``, ``女`` ...);
- dates may be written year first with ``-``, ``/`` or ``.`` (``2019/9/1``), optionally
  followed by a time of day (ignored); Excel date cells are accepted in workbooks;
- integers may carry a zero fraction (``300.0``), as some exports write them;
- ``junior_students`` is only read for ``nine_year`` schools.

Loading never writes anything.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

try:  # pandera >= 0.24
    import pandera.pandas as pa
except ImportError:  # pragma: no cover - older pandera
    import pandera as pa

from ..errors import InputError, Problem
from .data import KEY_LEVELS, LEVELS, LOCALITIES, ROLES, SUBJECTS, TIERS, TITLES, District

__all__ = [
    "DEMAND_COLUMNS",
    "HISTORY_COLUMNS",
    "PREFERENCES_COLUMNS",
    "PINS_COLUMNS",
    "SCHOOL_COLUMNS",
    "STAFF_COLUMNS",
    "PIN_ACTIONS",
    "load_district",
    "read_table_file",
    "district_tables",
    "write_district",
]

PIN_ACTIONS: tuple[str, ...] = ("stay", "move", "to")
#: Upper bounds of the integer columns: far above any school, and small enough that every
#: sum and product the model forms stays exact.
MAX_STUDENTS = 1_000_000
MAX_POSTS = 100
MAX_DEMAND = 100_000
GENDERS: tuple[str, ...] = ("F", "M")

Kind = Literal["text", "enum", "int", "float", "bool", "date"]


# --------------------------------------------------------------------------- column specs


@dataclass(frozen=True)
class Col:
    """One column of an input table."""

    name: str
    kind: Kind = "text"
    required: bool = True  # the column must be in the file
    nullable: bool = True  # a cell may be empty
    aliases: tuple[str, ...] = ()  # other accepted headers (Chinese)
    choices: tuple[str, ...] = ()  # enum values
    value_aliases: Mapping[str, str] = field(default_factory=dict)  # lower-case value -> choice
    lo: float | None = None
    lo_open: bool = False
    hi: float | None = None
    default: object = None
    by_hand: bool = False  # checked by hand (depends on another column), not by the schema

    def expected(self) -> str:
        """What a valid cell looks like, in words."""
        if self.kind == "enum":
            return "one of " + " | ".join(self.choices)
        if self.kind == "bool":
            return "true or false (also 1/0, yes/no, 是/否)"
        if self.kind == "date":
            return "a date YYYY-MM-DD"
        if self.kind in ("int", "float"):
            noun = "an integer" if self.kind == "int" else "a number"
            if self.lo is not None and self.hi is not None:
                return f"{noun} between {_num(self.lo)} and {_num(self.hi)}"
            if self.lo is not None:
                return f"{noun} {'>' if self.lo_open else '>='} {_num(self.lo)}"
            return noun
        return "a value"


@dataclass(frozen=True)
class TableSpec:
    name: str
    file: str
    sheets: tuple[str, ...]
    columns: tuple[Col, ...]
    required: bool = True

    def column(self, name: str) -> Col:
        return next(c for c in self.columns if c.name == name)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


_LEVEL_ZH = {
    "小学": "primary",
    "初中": "junior",
    "九年一贯制": "nine_year",
    "九年一贯": "nine_year",
}
_LOCALITY_ZH = {
    "城区": "urban",
    "城市": "urban",
    "镇区": "town",
    "乡镇": "town",
    "乡村": "rural",
    "农村": "rural",
}
_TIER_ZH = {"优质": "strong", "一般": "average", "薄弱": "weak"}
_ROLE_ZH = {"校长": "principal", "副校长": "vice_principal", "教师": "teacher"}
_KEY_ZH = {"无": "none", "区级": "district", "市级": "municipal", "特级": "special"}
_TITLE_ZH = {
    "无": "none",
    "初级": "junior",
    "中级": "intermediate",
    "高级": "senior",
    "正高级": "professor",
}
_GENDER_ZH = {"f": "F", "m": "M", "女": "F", "男": "M"}
_SUBJECT_ZH = {
    "语文": "chinese",
    "数学": "math",
    "英语": "english",
    "科学": "science",
    "物理": "physics",
    "化学": "chemistry",
    "生物": "biology",
    "历史": "history",
    "地理": "geography",
    "道德与法治": "morality",
    "道法": "morality",
    "思想品德": "morality",
    "体育": "pe",
    "体育与健康": "pe",
    "音乐": "music",
    "美术": "art",
    "信息技术": "it",
    "心理健康": "psychology",
    "心理": "psychology",
    "其他": "other",
}
_ACTION_ZH = {"留任": "stay", "交流": "move", "指定": "to"}

SCHOOL_COLUMNS: tuple[Col, ...] = (
    Col("school_id", nullable=False, aliases=("学校代码",)),
    Col("name", aliases=("学校名称",)),
    Col("zone", nullable=False, aliases=("学区",)),
    Col("group", required=False, aliases=("教育集团",)),
    Col(
        "level", "enum", nullable=False, aliases=("学段",), choices=LEVELS, value_aliases=_LEVEL_ZH
    ),
    Col(
        "locality",
        "enum",
        nullable=False,
        aliases=("城乡类型",),
        choices=LOCALITIES,
        value_aliases=_LOCALITY_ZH,
    ),
    Col(
        "tier",
        "enum",
        required=False,
        aliases=("办学水平",),
        choices=TIERS,
        value_aliases=_TIER_ZH,
        default="average",
    ),
    Col("lat", "float", nullable=False, aliases=("纬度",), lo=-90, hi=90),
    Col("lon", "float", nullable=False, aliases=("经度",), lo=-180, hi=180),
    Col(
        "students",
        "int",
        nullable=False,
        aliases=("在校生数",),
        lo=0,
        lo_open=True,
        hi=MAX_STUDENTS,
    ),
    Col("junior_students", "int", required=False, aliases=("初中在校生数",), by_hand=True),
    Col(
        "principal_posts",
        "int",
        required=False,
        aliases=("校长职数",),
        lo=0,
        hi=MAX_POSTS,
        default=1,
    ),
    Col("vice_principal_posts", "int", required=False, aliases=("副校长职数",), lo=0, hi=MAX_POSTS),
)

STAFF_COLUMNS: tuple[Col, ...] = (
    Col("staff_id", nullable=False, aliases=("工号",)),
    Col("name", aliases=("姓名",)),
    Col("school_id", nullable=False, aliases=("学校代码",)),
    Col("role", "enum", nullable=False, aliases=("岗位",), choices=ROLES, value_aliases=_ROLE_ZH),
    Col("subject", "enum", aliases=("学科",), choices=SUBJECTS, value_aliases=_SUBJECT_ZH),
    Col(
        "key_level",
        "enum",
        required=False,
        aliases=("骨干级别",),
        choices=KEY_LEVELS,
        value_aliases=_KEY_ZH,
        default="none",
    ),
    Col("school_start_date", "date", nullable=False, aliases=("入校日期",)),
    Col("retirement_date", "date", required=False, aliases=("退休日期",)),
    Col("birth_date", "date", required=False, aliases=("出生日期",)),
    Col(
        "gender",
        "enum",
        required=False,
        aliases=("性别",),
        choices=GENDERS,
        value_aliases=_GENDER_ZH,
        default="",
    ),
    Col("on_payroll", "bool", required=False, aliases=("在编在岗",), default=True),
    Col(
        "title",
        "enum",
        required=False,
        aliases=("职称",),
        choices=TITLES,
        value_aliases=_TITLE_ZH,
        default="none",
    ),
    Col(
        "above_standard_qualification",
        "bool",
        required=False,
        aliases=("学历高于规定",),
        default=False,
    ),
    Col(
        "rural_years", "float", required=False, aliases=("乡村任教年限",), lo=0, hi=80, default=0.0
    ),
    Col("home_lat", "float", required=False, aliases=("家庭纬度",), lo=-90, hi=90),
    Col("home_lon", "float", required=False, aliases=("家庭经度",), lo=-180, hi=180),
    Col("exempt_reason", required=False, aliases=("暂缓原因",)),
    # Multi-year plans: the school holding the post (default: school_id), the end of the
    # stint served now, the first appointment and a senior-title application.
    Col("post_school_id", required=False, aliases=("编制学校",)),
    Col("stint_end", "date", required=False, aliases=("交流期满",)),
    Col("hire_date", "date", required=False, aliases=("入职日期",)),
    Col("title_applicant", "bool", required=False, aliases=("拟评高级",), default=False),
)

DEMAND_COLUMNS: tuple[Col, ...] = (
    Col("school_id", nullable=False, aliases=("学校代码",)),
    Col(
        "subject",
        "enum",
        nullable=False,
        aliases=("学科",),
        choices=SUBJECTS,
        value_aliases=_SUBJECT_ZH,
    ),
    Col("required", "int", nullable=False, aliases=("需求人数",), lo=0, hi=MAX_DEMAND),
)

PINS_COLUMNS: tuple[Col, ...] = (
    Col("staff_id", nullable=False, aliases=("工号",)),
    Col(
        "action",
        "enum",
        nullable=False,
        aliases=("操作",),
        choices=PIN_ACTIONS,
        value_aliases=_ACTION_ZH,
    ),
    Col("school_id", required=False, aliases=("学校代码",)),
)

HISTORY_COLUMNS: tuple[Col, ...] = (
    Col("staff_id", nullable=False, aliases=("工号",)),
    Col("school_id", nullable=False, aliases=("学校代码",)),
    Col("start_date", "date", nullable=False, aliases=("开始日期",)),
    Col("end_date", "date", aliases=("结束日期",)),
)

#: Upper bound of a wish's rank: far above any district's list of wishes.
MAX_RANK = 1000

PREFERENCES_COLUMNS: tuple[Col, ...] = (
    Col("staff_id", nullable=False, aliases=("工号",)),
    Col("rank", "int", nullable=False, aliases=("志愿序号", "志愿"), lo=1, hi=MAX_RANK),
    Col("school_id", nullable=False, aliases=("学校代码", "志愿学校")),
)

SCHOOLS = TableSpec("schools", "schools.csv", ("schools", "学校"), SCHOOL_COLUMNS)
STAFF = TableSpec("staff", "staff.csv", ("staff", "教职工"), STAFF_COLUMNS)
DEMAND = TableSpec("demand", "demand.csv", ("demand", "需求"), DEMAND_COLUMNS, required=False)
PINS = TableSpec("pins", "pins.csv", ("pins", "锁定"), PINS_COLUMNS, required=False)
HISTORY = TableSpec(
    "history", "history.csv", ("history", "任职经历"), HISTORY_COLUMNS, required=False
)
PREFERENCES = TableSpec(
    "preferences",
    "preferences.csv",
    ("preferences", "志愿"),
    PREFERENCES_COLUMNS,
    required=False,
)
TABLES: tuple[TableSpec, ...] = (SCHOOLS, STAFF, DEMAND, PINS, HISTORY, PREFERENCES)

SCHOOL_OUT = (
    "name",
    "zone",
    "group",
    "level",
    "locality",
    "tier",
    "lat",
    "lon",
    "students",
    "junior_students",
    "primary_students",
    "principal_posts",
    "vice_principal_posts",
)
STAFF_OUT = (
    "name",
    "school_id",
    "role",
    "subject",
    "key_level",
    "school_start_date",
    "retirement_date",
    "birth_date",
    "gender",
    "on_payroll",
    "title",
    "above_standard_qualification",
    "rural_years",
    "home_lat",
    "home_lon",
    "exempt_reason",
    "post_school_id",
    "stint_end",
    "hire_date",
    "title_applicant",
)
#: Staff columns of multi-year plans: written by :func:`district_tables` only when some
#: row differs from the default, so a district without them writes as before.
STAFF_HORIZON_OUT = ("post_school_id", "stint_end", "hire_date", "title_applicant")


# --------------------------------------------------------------------------- parsing cells

# ASCII digits only (Python's \\d also matches other scripts' digits, which pandas cannot
# convert): full-width digits are turned into ASCII ones by NFKC before parsing.
_INT_RE = r"[+-]?[0-9]+(?:\.0*)?"
_DATE_RE = (
    r"^([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})"
    r"(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]*)?)?)?$"
)
#: Integers at or above this size are not exact in float64 and are refused.
_INT_EXACT = 2.0**53
_BOOLS = {
    "true": True,
    "false": False,
    "1": True,
    "0": False,
    "yes": True,
    "no": False,
    "是": True,
    "否": False,
}


def _parse_int(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Values (float, NaN when empty or bad) and a mask that is True for good or empty cells."""
    ok = s.str.fullmatch(_INT_RE).fillna(True).astype(bool)
    v = pd.to_numeric(s.where(ok), errors="coerce").astype("float64")
    # a matched cell that pandas still cannot convert, or one too large to be exact
    ok &= ~((s.notna() & v.isna()) | (v.abs() >= _INT_EXACT))
    return v.where(ok), ok


def _parse_float(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    v = pd.to_numeric(s, errors="coerce").astype("float64")
    ok = s.isna() | np.isfinite(v)
    return v.where(ok), ok


def _parse_bool(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    v = s.str.lower().map(_BOOLS)
    return v, s.isna() | v.notna()


def _parse_date(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    v = pd.to_datetime(s, format="%Y-%m-%d", errors="coerce")  # fast path: ISO dates
    rest = s.notna() & v.isna()
    if rest.any():  # 2019/9/1, 2019.09.01, 2019-09-01 00:00:00
        parts = s[rest].str.extract(_DATE_RE).astype("float64")
        parts.columns = ["year", "month", "day"]
        parts = parts.where(parts["year"].between(1900, 2200), axis=0)
        v = v.astype("datetime64[s]")
        v[rest] = pd.to_datetime(parts, errors="coerce").astype("datetime64[s]")
    v = v.where(v.dt.year.between(1900, 2200)).astype("datetime64[ns]")
    return v, s.isna() | v.notna()


_PARSERS: dict[str, Callable[[pd.Series], tuple[pd.Series, pd.Series]]] = {
    "int": _parse_int,
    "float": _parse_float,
    "bool": _parse_bool,
    "date": _parse_date,
}


def _nfkc(s: pd.Series) -> pd.Series:
    """Full-width digits, letters and signs (as a Chinese spreadsheet may hold them) as
    ASCII: Unicode NFKC, then stripped (an ideographic space becomes a space)."""
    return s.str.normalize("NFKC").str.strip()


def _normalise_enum(s: pd.Series, col: Col) -> pd.Series:
    """Lower-case, then map accepted aliases (``女``, ``f`` -> ``F``, ``小学`` -> ``primary``)."""
    low = s.str.lower()
    if not col.value_aliases:
        return low
    return low.map(dict(col.value_aliases)).fillna(low).astype("str")


def _schema_checks(col: Col) -> list[pa.Check]:
    """The pandera checks of one column (empty cells are left to ``nullable``)."""
    if col.kind == "enum":
        return [pa.Check.isin(list(col.choices), error=f"{col.name}: {col.expected()}")]
    if col.kind not in _PARSERS:
        return []
    parse = _PARSERS[col.kind]
    checks = [pa.Check(lambda s, p=parse: p(s)[1], name="type", error=f"{col.name}: type")]
    if col.lo is not None or col.hi is not None:
        lo, hi, lo_open = col.lo, col.hi, col.lo_open

        def within(s: pd.Series, p=parse) -> pd.Series:
            v = p(s)[0]
            good = pd.Series(True, index=s.index)
            if lo is not None:
                good &= ~(v <= lo) if lo_open else ~(v < lo)
            if hi is not None:
                good &= ~(v > hi)
            return good

        checks.append(pa.Check(within, name="range", error=f"{col.name}: range"))
    return checks


# --------------------------------------------------------------------------- reading files


class TableReadError(ValueError):
    """A table that cannot be read as text (encoding, CSV syntax, a damaged workbook),
    located at ``row`` (as in Excel: the header is row 1) and ``column`` when known."""

    def __init__(self, message: str, row: int | None = None, column: str | None = None):
        self.row, self.column = row, column
        super().__init__(message)


def _row_of(data: bytes | str, offset: int) -> int:
    """The line (= row, without multi-line cells) of a byte or character offset."""
    return data[:offset].count(b"\n" if isinstance(data, bytes) else "\n") + 1


#: Share of a GB18030 file's non-ASCII characters that may lie outside GB2312 (the 6,763
#: common hanzi and symbols; rarer name characters such as 喆 or 堃 are outside it). A
#: Shift-JIS or Latin-1 file read as GB18030 decodes to characters that mostly are.
GARBLED_SHARE = 0.25


def _decode(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 (with or without BOM), else GB18030 (as Excel saves CSV
    in China), checked to be plausible Chinese text.

    Raises :class:`TableReadError` naming the encoding assumed and the row: text that is
    neither, UTF-16, or GB18030 that reads as garbled text.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise TableReadError(
            "UTF-16 text (Excel's 'Unicode text'): save the table as 'CSV UTF-8' or as .xlsx"
        )
    bom = data.startswith(b"\xef\xbb\xbf")
    try:
        return data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError as exc:
        if bom:
            raise TableReadError(
                f"starts with a UTF-8 mark but byte 0x{data[exc.start]:02x} is not UTF-8: "
                "save the file again as 'CSV UTF-8'",
                row=_row_of(data, exc.start),
            ) from None
        first_bad = exc.start
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise TableReadError(
            f"neither UTF-8 (byte 0x{data[first_bad]:02x} on row {_row_of(data, first_bad)}) "
            f"nor GB18030 (byte 0x{data[exc.start]:02x}): save the file as 'CSV UTF-8'",
            row=_row_of(data, exc.start),
        ) from None
    wide = [(i, c) for i, c in enumerate(text) if ord(c) > 0x7F]
    odd = [(i, c) for i, c in wide if not _common_chinese(c)]
    if len(odd) >= 3 and len(odd) > GARBLED_SHARE * len(wide):
        i, c = odd[0]
        raise TableReadError(
            f"not UTF-8, so read as GB18030, but {len(odd)} of its {len(wide)} non-ASCII "
            f"characters are rare or private-use ones (first {c!r}), as when a Shift-JIS or "
            "Latin-1 file is read as GB18030: save the file as 'CSV UTF-8'",
            row=_row_of(text, i),
        )
    return text, "GB18030"


def _common_chinese(c: str) -> bool:
    try:
        c.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


#: Characters no table cell holds: C0 and C1 controls but tab, line feed and carriage
#: return, DEL, the replacement character of a failed decoding, and private-use code points.
_BAD_CHARS = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd\ue000-\uf8ff]"


def bad_char_problems(frame: pd.DataFrame, label: str, encoding: str | None) -> list[Problem]:
    """One problem per cell (or header) holding a control or replacement character."""
    read_as = f" (read as {encoding})" if encoding else ""
    out = []
    for pos, h in enumerate(frame.columns):
        if re.search(_BAD_CHARS, str(h)):
            out.append(
                Problem(
                    file=label,
                    row=1,
                    column=repr(str(h)),
                    message=f"header holds a control or replacement character{read_as}",
                )
            )
        s = frame.iloc[:, pos]
        bad = s.str.contains(_BAD_CHARS, regex=True, na=False)
        for r in s.index[bad.to_numpy()][:20]:
            c = re.search(_BAD_CHARS, s.at[r]).group()
            out.append(
                Problem(
                    file=label,
                    row=int(r),
                    column=str(h),
                    value=s.at[r][:40],
                    message=(
                        f"holds the control or replacement character U+{ord(c):04X}{read_as}; "
                        "is the file binary, or saved in another encoding?"
                    ),
                )
            )
    return out


def _cell_text(v: object) -> str:
    """A workbook cell as the text a CSV export would hold."""
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dt.datetime):
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _frame_from_rows(rows: list[list[str]]) -> pd.DataFrame:
    """Header row + data rows (all text) -> a frame indexed by the row number as in Excel."""
    if not rows:
        return pd.DataFrame()
    header = [str(h).strip() for h in rows[0]]
    width = len(header)
    body = [list(r[:width]) + [""] * (width - len(r)) for r in rows[1:]]
    columns = [h if h else f"_unnamed_{i}" for i, h in enumerate(header)]
    frame = pd.DataFrame(body, columns=columns, index=pd.RangeIndex(2, len(body) + 2), dtype="str")
    return frame


class RowWidthError(ValueError):
    """Rows with more cells than the header (``rows``: (row number, cells) pairs)."""

    def __init__(self, width: int, rows: list[tuple[int, int]]):
        self.width, self.rows = width, rows
        super().__init__(
            f"rows with more cells than the header ({width}): " + ", ".join(str(r) for r, _ in rows)
        )


def _ragged(text: str) -> RowWidthError | None:
    """Find the rows that made the CSV parser fail (slow path, only on error)."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return None
    width = len(rows[0])
    wide = [(i, len(r)) for i, r in enumerate(rows, start=1) if len(r) > width]
    return RowWidthError(width, wide) if wide else None


def _sheet_frame(wb, sheet: str) -> pd.DataFrame:
    if sheet not in wb.sheetnames:
        raise ValueError(f"no sheet named {sheet!r}")
    return _frame_from_rows(
        [[_cell_text(v) for v in row] for row in wb[sheet].iter_rows(values_only=True)]
    )


def _tidy(frame: pd.DataFrame) -> pd.DataFrame:
    """Strip every cell and drop the rows that are entirely empty."""
    if frame.empty:
        return frame
    frame = frame.fillna("").apply(lambda s: s.str.strip())
    return frame[(frame != "").any(axis=1)]


def _open_workbook(path: Path):
    import openpyxl

    return openpyxl.load_workbook(path, read_only=True, data_only=True)


def read_table_file(path: str | Path, sheet: str | None = None) -> pd.DataFrame:
    """One table as text: a CSV file, or the sheet ``sheet`` of an ``.xlsx`` workbook.

    Every cell is a ``str`` (``""`` when empty), values and headers are stripped, and the
    index is the row number as Excel shows it (the header is row 1). Rows that are entirely
    empty are dropped (their numbers are skipped, not reused). A workbook cell is turned into
    the text a CSV export would hold (dates ``YYYY-MM-DD``, ``300.0`` -> ``300``).

    Raises :class:`RowWidthError` (a CSV row longer than the header),
    :class:`TableReadError` (encoding, other CSV syntax, a damaged workbook), ``ValueError``
    (unknown sheet) or ``OSError`` (unreadable file).
    """
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        try:
            wb = _open_workbook(path)
        except Exception as exc:  # zip or xml errors of a broken workbook
            raise TableReadError(f"cannot open workbook: {_brief(exc)}") from None
        try:
            return _read_sheet(wb, wb.sheetnames[0] if sheet is None else sheet)
        finally:
            wb.close()
    return _read_csv_text(_decode(path.read_bytes())[0])


def _brief(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= 200 else text[:200] + "..."


def _read_sheet(wb, sheet: str) -> pd.DataFrame:
    """A sheet as text; a damaged sheet (truncated XML, bad cell) is a TableReadError."""
    if sheet not in wb.sheetnames:
        raise ValueError(f"no sheet named {sheet!r}")
    try:
        return _tidy(_sheet_frame(wb, sheet))
    except Exception as exc:  # openpyxl raises ParseError, KeyError, zip errors ...
        raise TableReadError(
            f"the workbook is damaged: sheet {sheet!r} cannot be read ({type(exc).__name__}: "
            f"{_brief(exc)}); open and save it again in Excel"
        ) from None


def _csv_syntax_error(text: str, exc: Exception) -> TableReadError:
    """The CSV parser's complaint, located at the row (as in Excel) where it starts."""
    msg = str(exc)
    m = re.search(r"EOF inside string starting at row (\d+)", msg)
    if m:  # pandas counts rows from 0 (header=None: row 0 is the header, Excel's row 1)
        return TableReadError(
            'a quoted cell opened on this row (a stray ") is never closed', row=int(m.group(1)) + 1
        )
    reader = csv.reader(io.StringIO(text), strict=True)
    try:
        for _ in reader:
            pass
    except csv.Error as err:  # line_num: lines read so far, the bad record's last line
        return TableReadError(f"not a valid CSV file: {err}", row=reader.line_num)
    return TableReadError(f"not a valid CSV file: {msg}")


def _read_csv_text(text: str) -> pd.DataFrame:
    if not text.strip():
        return pd.DataFrame()
    try:
        grid = pd.read_csv(
            io.StringIO(text), header=None, dtype=str, keep_default_na=False, skip_blank_lines=False
        )
    except pd.errors.ParserError as exc:
        raise _ragged(text) or _csv_syntax_error(text, exc) from None
    grid.index = pd.RangeIndex(1, len(grid) + 1)
    header = [str(h).strip() for h in grid.iloc[0]]
    frame = grid.iloc[1:].copy()
    frame.columns = [h if h else f"_unnamed_{i}" for i, h in enumerate(header)]
    return _tidy(frame.astype("str"))


def _folder_workbook(folder: Path) -> Path | None:
    """The one workbook of a folder that holds no table as CSV (None: read the CSV files).

    ``lungang generate --format xlsx`` writes ``district.xlsx`` into a folder, so a
    scenario's ``data`` may name that folder. Excel's lock files (``~$*.xlsx``) and
    hidden files are not workbooks. Several workbooks are an error naming them.
    """
    names = {f.name.lower() for f in folder.iterdir() if f.is_file()}
    if any(spec.file in names for spec in TABLES):
        return None
    books = sorted(
        f
        for f in folder.iterdir()
        if f.is_file() and f.suffix.lower() == ".xlsx" and not f.name.startswith(("~$", "."))
    )
    if len(books) > 1:
        raise InputError(
            Problem(
                file=str(folder),
                message=(
                    "no schools.csv here, and several workbooks: "
                    + ", ".join(b.name for b in books)
                    + "; name one of them in the scenario's `data`"
                ),
            )
        )
    return books[0] if books else None


@dataclass
class _Source:
    """Where the tables come from: a folder of CSV files or one workbook (opened once)."""

    path: Path
    label: str
    workbook: object = None  # an openpyxl read-only workbook

    @classmethod
    def open(cls, path: str | Path) -> _Source:
        label = str(path)
        p = Path(path)
        if not p.exists():
            raise InputError(
                Problem(
                    file=label,
                    message="district data not found (expected a folder "
                    "with schools.csv and staff.csv, or an .xlsx workbook)",
                )
            )
        if p.is_dir():
            book = _folder_workbook(p)
            if book is None:
                return cls(p, str(p))
            p, label = book, str(book)
        if p.suffix.lower() != ".xlsx":
            raise InputError(
                Problem(file=label, message="expected a folder of CSV files or an .xlsx workbook")
            )
        try:
            wb = _open_workbook(p)
        except Exception as exc:  # zip or xml errors of a broken workbook
            raise InputError(Problem(file=label, message=f"cannot open workbook: {exc}")) from None
        return cls(p, label, workbook=wb)

    def close(self) -> None:
        if self.workbook is not None:
            self.workbook.close()

    def read(self, file: Path, sheet: str | None) -> tuple[pd.DataFrame, str | None]:
        """The table as text, and the encoding it was read in (None for a workbook)."""
        if self.workbook is not None and sheet is not None:
            return _read_sheet(self.workbook, sheet), None
        text, encoding = _decode(file.read_bytes())
        return _read_csv_text(text), encoding

    def locate(self, spec: TableSpec) -> tuple[Path, str | None, str] | None:
        """(file, sheet, label for problems) of a table, or None when absent."""
        if self.workbook is not None:
            wanted = [s.lower() for s in spec.sheets]
            for name in self.workbook.sheetnames:
                if name.strip().lower() in wanted:
                    return self.path, name, f"{self.label}[{name}]"
            return None
        exact = self.path / spec.file
        if exact.is_file():
            return exact, None, str(exact)
        for f in sorted(self.path.iterdir()):
            if f.is_file() and f.name.lower() == spec.file:
                return f, None, str(f)
        return None

    def missing_label(self, spec: TableSpec) -> str:
        return (
            f"{self.label}[{spec.name}]"
            if self.workbook is not None
            else str(self.path / spec.file)
        )


# --------------------------------------------------------------------------- one table


@dataclass
class _Table:
    """A table after the per-column checks: typed values indexed by row number."""

    spec: TableSpec
    file: str
    raw: pd.DataFrame  # canonical column names, stripped text
    frame: pd.DataFrame  # canonical column names, typed; bad cells are NA
    headers: dict[str, str]  # canonical name -> header as in the file
    absent: set[str]  # columns not in the file
    bad: dict[str, pd.Series]  # column -> mask of cells that failed a check

    def header(self, name: str) -> str:
        return self.headers.get(name, name)

    def good(self, *names: str) -> pd.Series:
        """Rows where all the named columns are present in the file and passed their checks."""
        mask = pd.Series(True, index=self.frame.index)
        for n in names:
            if n in self.absent:
                return pd.Series(False, index=self.frame.index)
            if n in self.bad:
                mask &= ~self.bad[n]
        return mask

    def problem(
        self,
        row: int | None,
        name: str,
        message: str,
        expected: str | None = None,
        value: object = None,
    ) -> Problem:
        if value is None and row is not None and name in self.raw.columns:
            value = self.raw.at[row, name]
        return Problem(
            file=self.file,
            row=None if row is None else int(row),
            column=self.header(name),
            value=value,
            expected=expected,
            message=message,
        )


def _column_letter(pos: int) -> str:
    """Excel's name of the column at 0-based ``pos`` (A, B, ..., Z, AA, ...)."""
    name = ""
    pos += 1
    while pos:
        pos, r = divmod(pos - 1, 26)
        name = chr(65 + r) + name
    return name


def _header_key(h: str) -> str:
    return h.strip().lower().replace(" ", "_").replace("-", "_")


def _match_headers(
    raw: pd.DataFrame, spec: TableSpec, file: str, problems: list[Problem]
) -> tuple[dict[str, str], dict[str, int]]:
    """Column name -> the file's header for it (English or Chinese), and -> its position
    (headers may repeat: a repeated column is a problem)."""
    lookup: dict[str, str] = {}
    for col in spec.columns:
        for h in (col.name, *col.aliases):
            lookup[_header_key(h)] = col.name
    headers: dict[str, str] = {}
    position: dict[str, int] = {}  # canonical name -> column position (headers may repeat)
    for pos, h in enumerate(raw.columns):
        name = lookup.get(_header_key(h))
        if name is None:
            continue  # extra columns are allowed and ignored
        if name in headers:
            first = headers[name]
            same = "the same header" if first == h else f"both mean '{name}'"
            problems.append(
                Problem(
                    file=file,
                    row=1,
                    column=h,
                    value=h,
                    message=(
                        f"column {_column_letter(pos)} '{h}' repeats column "
                        f"{_column_letter(position[name])} '{first}' ({same}): keep one"
                    ),
                )
            )
            continue
        headers[name] = h
        position[name] = pos
    return headers, position


def _validate_table(
    raw: pd.DataFrame, spec: TableSpec, file: str, problems: list[Problem]
) -> _Table:
    """Match headers, run the pandera schema, convert the columns to their types."""
    headers, position = _match_headers(raw, spec, file, problems)
    absent = {c.name for c in spec.columns if c.name not in headers}
    for col in spec.columns:
        if col.required and col.name in absent:
            also = f" (or {' / '.join(col.aliases)})" if col.aliases else ""
            problems.append(
                Problem(
                    file=file,
                    column=col.name,
                    message=f"required column '{col.name}'{also} is missing",
                )
            )

    text = pd.DataFrame(index=raw.index)
    for col in spec.columns:
        text[col.name] = (
            raw.iloc[:, position[col.name]]
            if col.name in headers
            else pd.Series("", index=raw.index, dtype="str")
        )
    text = text.astype("str")
    clean = text.where(text != "")
    for col in spec.columns:
        if col.kind != "text":  # numbers, dates, flags and codes: full-width forms as ASCII
            clean[col.name] = _nfkc(clean[col.name])
        if col.kind == "enum":
            clean[col.name] = _normalise_enum(clean[col.name], col)

    schema = pa.DataFrameSchema(
        {
            c.name: pa.Column(None, nullable=c.nullable, checks=_schema_checks(c))
            for c in spec.columns
            if c.name not in absent and not c.by_hand
        },
        strict=False,
    )
    bad = {c.name: pd.Series(False, index=raw.index) for c in spec.columns}
    try:
        schema.validate(clean, lazy=True)
    except pa.errors.SchemaErrors as err:
        _map_failures(err.failure_cases, spec, file, text, headers, bad, problems)

    frame = pd.DataFrame(index=raw.index)
    for col in spec.columns:
        s = clean[col.name].where(~bad[col.name])
        if col.kind in _PARSERS:
            v = _PARSERS[col.kind](s)[0]
            if col.kind == "int":
                v = v.astype("Int64")
            elif col.kind == "bool":
                v = v.astype("boolean")
            frame[col.name] = v
        else:
            frame[col.name] = s.astype("str")
    return _Table(spec, file, text, frame, headers, absent, bad)


def _map_failures(
    fc: pd.DataFrame,
    spec: TableSpec,
    file: str,
    text: pd.DataFrame,
    headers: dict[str, str],
    bad: dict[str, pd.Series],
    problems: list[Problem],
) -> None:
    """pandera failure cases -> :class:`Problem` s (one per bad cell)."""
    for rec in fc.itertuples(index=False):
        name, check, row = rec.column, str(rec.check), rec.index
        col = spec.column(name) if name in bad else None
        header = headers.get(name, name)
        if col is None or row is None or pd.isna(row):
            problems.append(
                Problem(
                    file=file,
                    column=header,
                    message=f"failed check {check}",
                    value=rec.failure_case,
                )
            )
            continue
        row = int(row)
        if bad[name].at[row]:
            continue  # one problem per cell
        bad[name].at[row] = True
        value = text.at[row, name]
        if check == "not_nullable":
            message = "missing value"
        elif col.kind == "enum":
            message = f"unknown {name}"
        elif check.endswith(": range"):
            message = "out of range"
        else:
            message = {
                "int": "not an integer",
                "float": "not a number",
                "bool": "not a true/false value",
                "date": "not a date",
            }.get(col.kind, "bad value")
        problems.append(
            Problem(
                file=file,
                row=row,
                column=header,
                value=value,
                expected=col.expected(),
                message=message,
            )
        )


# --------------------------------------------------------------------------- cross checks


def _rows_text(rows: list[int]) -> str:
    rows = [str(r) for r in rows]
    return rows[0] if len(rows) == 1 else ", ".join(rows[:-1]) + " and " + rows[-1]


def _duplicates(t: _Table, keys: list[str], what: str, problems: list[Problem]) -> pd.Series:
    """Report every repeat of ``keys``; return the mask of the first occurrences and unique rows."""
    ok = t.good(*keys)
    for k in keys:
        ok &= t.frame[k].notna() & (t.frame[k] != "")
    sub = t.frame.loc[ok, keys]
    dup = sub.duplicated(keep=False)
    if dup.any():
        groups = sub[dup].groupby(keys if len(keys) > 1 else keys[0], sort=False).groups
        for key, rows in groups.items():
            rows = sorted(int(r) for r in rows)
            label = key if isinstance(key, str) else " / ".join(map(str, key))
            for r in rows[1:]:
                problems.append(
                    t.problem(
                        r,
                        keys[-1],
                        f"duplicate {what} {label!r}: on rows {_rows_text(rows)}",
                        expected=f"a unique {what}",
                    )
                )
    return ok & ~sub.duplicated(keep="first").reindex(t.frame.index, fill_value=True)


def _check_schools(t: _Table, problems: list[Problem]) -> None:
    f = t.frame
    _duplicates(t, ["school_id"], "school_id", problems)
    nine = t.good("level") & (f["level"] == "nine_year")
    if not nine.any():
        return
    raw = t.raw["junior_students"]
    value, ok = _parse_int(_nfkc(raw.where(raw != "")))
    students = f["students"].astype("float64")
    expected = "an integer with 0 < junior_students < students (nine_year schools)"
    missing = nine & (raw == "")
    not_int = nine & ~missing & ~ok
    out = nine & ~missing & ok & students.notna() & ~((value > 0) & (value < students))
    for r in f.index[missing]:
        problems.append(
            t.problem(
                r,
                "junior_students",
                "missing value: required for nine_year schools",
                expected=expected,
                value="",
            )
        )
    for r in f.index[not_int]:
        problems.append(t.problem(r, "junior_students", "not an integer", expected=expected))
    for r in f.index[out]:
        problems.append(
            t.problem(
                r,
                "junior_students",
                "out of range",
                expected=(
                    f"an integer between 1 and {int(students[r]) - 1} (0 < junior_students < students)"
                ),
            )
        )
    t.bad["junior_students"] |= missing | not_int | out
    f["junior_students"] = value.where(~(missing | not_int | out)).astype("Int64")


def _unknown_refs(
    t: _Table,
    col: str,
    rows: pd.Series,
    ref: _Table | None,
    ref_col: str,
    noun: str,
    problems: list[Problem],
) -> pd.Series:
    """Report the ``rows`` of ``t`` whose ``col`` is not a ``ref_col`` of table ``ref``.

    Returns the mask of those rows (all false when ``ref`` or its column is missing)."""
    if ref is None or ref_col in ref.absent:
        return pd.Series(False, index=t.frame.index)
    unknown = rows & ~t.frame[col].isin(ref.frame[ref_col].dropna())
    for r in t.frame.index[unknown]:
        problems.append(t.problem(r, col, f"unknown {noun}", expected=f"a {ref_col} of {ref.file}"))
    return unknown


def _check_staff(
    t: _Table, schools: _Table | None, as_of: dt.date, problems: list[Problem]
) -> None:
    f = t.frame
    _duplicates(t, ["staff_id"], "staff_id", problems)
    rows = t.good("school_id") & f["school_id"].notna()
    t.bad["school_id"] |= _unknown_refs(
        t, "school_id", rows, schools, "school_id", "school", problems
    )

    if "subject" not in t.absent:
        no_subject = t.good("role") & (f["role"] == "teacher") & (t.raw["subject"] == "")
        for r in f.index[no_subject]:
            problems.append(
                t.problem(
                    r,
                    "subject",
                    "missing subject: required for teachers",
                    expected=STAFF.column("subject").expected(),
                    value="",
                )
            )

    start = f["school_start_date"]
    future = start > pd.Timestamp(as_of)
    for r in f.index[future]:
        problems.append(
            t.problem(
                r,
                "school_start_date",
                f"date in the future (after {as_of.isoformat()})",
                expected=f"a date on or before {as_of.isoformat()}",
            )
        )

    if "retirement_date" in t.absent and ({"birth_date", "gender"} & t.absent):
        problems.append(
            Problem(
                file=t.file,
                column="retirement_date",
                message=(
                    "no retirement_date column: give retirement_date, or both birth_date and gender"
                ),
            )
        )
    else:
        no_ret = f["retirement_date"].isna() & ~t.bad["retirement_date"]
        no_birth = (f["birth_date"].isna() & ~t.bad["birth_date"]) | (
            (f["gender"].isna() | (f["gender"] == "")) & ~t.bad["gender"]
        )
        for r in f.index[no_ret & no_birth]:
            problems.append(
                t.problem(
                    r,
                    "retirement_date",
                    ("missing retirement_date, and no birth_date and gender to derive it"),
                    expected="retirement_date, or both birth_date and gender",
                    value="",
                )
            )

    lat_given = f["home_lat"].notna() | t.bad["home_lat"]
    lon_given = f["home_lon"].notna() | t.bad["home_lon"]
    for r in f.index[lat_given & ~lon_given]:
        problems.append(
            t.problem(
                r,
                "home_lon",
                "home_lat given without home_lon",
                expected="both home_lat and home_lon, or neither",
                value="",
            )
        )
    for r in f.index[lon_given & ~lat_given]:
        problems.append(
            t.problem(
                r,
                "home_lat",
                "home_lon given without home_lat",
                expected="both home_lat and home_lon, or neither",
                value="",
            )
        )


def _check_post_school(t: _Table, schools: _Table | None, problems: list[Problem]) -> None:
    """``post_school_id``, when given, names a school of the schools table."""
    if "post_school_id" in t.absent:
        return
    f = t.frame
    given = f["post_school_id"].notna() & (f["post_school_id"] != "")
    t.bad["post_school_id"] |= _unknown_refs(
        t, "post_school_id", given, schools, "school_id", "school", problems
    )


def _check_history(t: _Table, staff: _Table | None, problems: list[Problem]) -> None:
    """Each posting names a staff member of the staff table and ends after it starts.

    A posting's school need not be in the schools table (a school outside the district
    or closed since): it then only counts towards nothing."""
    f = t.frame
    rows = t.good("staff_id") & f["staff_id"].notna()
    _unknown_refs(t, "staff_id", rows, staff, "staff_id", "staff member", problems)
    ends = t.good("start_date", "end_date") & f["end_date"].notna()
    before = ends & (f["end_date"] < f["start_date"])
    for r in f.index[before]:
        problems.append(
            t.problem(
                r,
                "end_date",
                "posting ends before it starts",
                expected="an end_date on or after start_date, or empty (ongoing)",
            )
        )


def _check_preferences(
    t: _Table, staff: _Table | None, schools: _Table | None, problems: list[Problem]
) -> None:
    """Each wish names a staff member and a school of the district, once per person, and
    each person's ranks are distinct (they need not be consecutive: the order counts)."""
    f = t.frame
    rows = t.good("staff_id") & f["staff_id"].notna()
    t.bad["staff_id"] |= _unknown_refs(
        t, "staff_id", rows, staff, "staff_id", "staff member", problems
    )
    rows = t.good("school_id") & f["school_id"].notna()
    t.bad["school_id"] |= _unknown_refs(
        t, "school_id", rows, schools, "school_id", "school", problems
    )
    _duplicates(t, ["staff_id", "rank"], "staff_id and rank", problems)
    _duplicates(t, ["staff_id", "school_id"], "staff_id and school_id", problems)


def _check_posts(staff: _Table, schools: _Table, problems: list[Problem]) -> None:
    """No school has more principals (vice principals) than posts."""
    s = schools.frame
    first = s["school_id"].notna() & ~s["school_id"].duplicated(keep="first")
    by_id = s[first].set_index("school_id")
    f = staff.frame
    ok = staff.good("role", "school_id") & f["school_id"].isin(by_id.index)
    for role, col in (("principal", "principal_posts"), ("vice_principal", "vice_principal_posts")):
        posts = by_id[col].astype("Float64")
        if role == "principal":
            posts = posts.fillna(1)
        # a bad posts value is reported already: no check against it
        posts = posts.where(~schools.bad[col][first].set_axis(by_id.index))
        holders = f[ok & (f["role"] == role)]
        if holders.empty:
            continue
        counts = holders.groupby("school_id", sort=False).size()
        limit = posts.reindex(counts.index)
        over = counts[limit.notna().to_numpy() & (counts > limit.fillna(np.inf)).to_numpy()]
        for sid, n in over.items():
            rows = [int(r) for r in holders.index[holders["school_id"] == sid]]
            lim = int(limit[sid])
            default = (
                " (the default)" if col in schools.absent or pd.isna(by_id.at[sid, col]) else ""
            )
            noun = role.replace("_", " ") + ("s" if n != 1 else "")
            problems.append(
                staff.problem(
                    rows[lim],
                    "role",
                    (
                        f"school {sid!r} has {n} {noun} (rows {_rows_text(rows)}) but {col} is {lim}{default}"
                    ),
                    expected=f"at most {lim} {role} at school {sid!r} ({col} in {schools.file})",
                )
            )


def _check_demand(t: _Table, schools: _Table | None, problems: list[Problem]) -> None:
    f = t.frame
    rows = t.good("school_id") & f["school_id"].notna()
    _unknown_refs(t, "school_id", rows, schools, "school_id", "school", problems)
    _duplicates(t, ["school_id", "subject"], "school_id and subject", problems)


def _check_pins(
    t: _Table, staff: _Table | None, schools: _Table | None, problems: list[Problem]
) -> None:
    f = t.frame
    rows = t.good("staff_id") & f["staff_id"].notna()
    _unknown_refs(t, "staff_id", rows, staff, "staff_id", "staff member", problems)
    _duplicates(t, ["staff_id"], "pin for staff_id", problems)
    to = t.good("action") & (f["action"] == "to")
    no_school = to & (f["school_id"].isna() | (f["school_id"] == ""))
    for r in f.index[no_school]:
        problems.append(
            t.problem(
                r,
                "school_id",
                "missing school_id: required for action 'to'",
                expected="the school_id the person must go to",
                value="",
            )
        )
    _unknown_refs(t, "school_id", to & ~no_school, schools, "school_id", "school", problems)


# --------------------------------------------------------------------------- normalising


def _fill(t: _Table, name: str) -> pd.Series:
    """A column with the spec's default in empty cells."""
    col = t.spec.column(name)
    s = t.frame[name]
    if col.default is not None:
        s = s.fillna(col.default)
    if col.kind == "int":
        return s.astype("int64") if s.notna().all() else s
    if col.kind == "bool":
        return s.astype(bool)
    if col.kind in ("text", "enum"):
        return s.fillna("").astype("str")
    return s


def _normalise(
    schools: _Table,
    staff: _Table,
    demand: _Table | None,
    pins: _Table | None,
    source: str,
    history: _Table | None = None,
    preferences: _Table | None = None,
) -> District:
    s = schools.frame
    level = s["level"]
    students = s["students"].astype("int64")
    given_junior = s["junior_students"].fillna(0).astype("int64")
    junior = np.where(level == "nine_year", given_junior, np.where(level == "junior", students, 0))
    out_s = pd.DataFrame(index=pd.Index(s["school_id"].astype("str"), name="school_id"))
    for name in ("name", "zone", "group", "level", "locality", "tier"):
        out_s[name] = _fill(schools, name).set_axis(out_s.index)
    out_s["lat"] = s["lat"].to_numpy(dtype="float64")
    out_s["lon"] = s["lon"].to_numpy(dtype="float64")
    out_s["students"] = students.to_numpy()
    out_s["junior_students"] = junior.astype("int64")
    out_s["primary_students"] = (students.to_numpy() - junior).astype("int64")
    out_s["principal_posts"] = _fill(schools, "principal_posts").to_numpy(dtype="int64")

    f = staff.frame
    vice_now = f.loc[f["role"] == "vice_principal", "school_id"].value_counts()
    vp = s["vice_principal_posts"].astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    current = vice_now.reindex(out_s.index, fill_value=0).to_numpy()
    out_s["vice_principal_posts"] = np.where(np.isnan(vp), current, vp).astype("int64")

    out_t = pd.DataFrame(index=pd.Index(f["staff_id"].astype("str"), name="staff_id"))
    for name in STAFF_OUT:
        col = STAFF.column(name)
        if name in ("home_lat", "home_lon"):
            school_pos = out_s.index.get_indexer(f["school_id"])
            fallback = out_s[name.removeprefix("home_")].to_numpy()[school_pos]
            v = f[name].to_numpy(dtype="float64", na_value=np.nan)
            out_t[name] = np.where(np.isnan(v), fallback, v)
        elif name == "post_school_id":
            post = _fill(staff, name).set_axis(out_t.index)
            out_t[name] = post.where(post != "", out_t["school_id"]).astype("str")
        elif col.kind == "date":
            out_t[name] = f[name].to_numpy(dtype="datetime64[ns]")
        elif col.kind == "float":
            out_t[name] = _fill(staff, name).to_numpy(dtype="float64")
        elif col.kind == "bool":
            out_t[name] = _fill(staff, name).to_numpy(dtype=bool)
        else:
            out_t[name] = _fill(staff, name).set_axis(out_t.index)

    if demand is not None and len(demand.frame):
        out_d = pd.DataFrame(
            {
                "school_id": demand.frame["school_id"].astype("str").to_numpy(),
                "subject": demand.frame["subject"].astype("str").to_numpy(),
                "required": demand.frame["required"].to_numpy(dtype="int64"),
            }
        )
    else:
        out_d = pd.DataFrame(
            {
                "school_id": pd.Series([], dtype="str"),
                "subject": pd.Series([], dtype="str"),
                "required": pd.Series([], dtype="int64"),
            }
        )
    if pins is not None and len(pins.frame):
        action = pins.frame["action"].astype("str")
        out_p = pd.DataFrame(
            {
                "staff_id": pins.frame["staff_id"].astype("str").to_numpy(),
                "action": action.to_numpy(),
                "school_id": pins.frame["school_id"]
                .fillna("")
                .where(action == "to", "")
                .astype("str")
                .to_numpy(),
            }
        ).astype("str")
    else:
        out_p = pd.DataFrame(
            {c: pd.Series([], dtype="str") for c in ("staff_id", "action", "school_id")}
        )
    if history is not None and len(history.frame):
        h = history.frame
        out_h = pd.DataFrame(
            {
                "staff_id": h["staff_id"].astype("str").to_numpy(),
                "school_id": h["school_id"].astype("str").to_numpy(),
                "start_date": h["start_date"].to_numpy(dtype="datetime64[ns]"),
                "end_date": h["end_date"].to_numpy(dtype="datetime64[ns]"),
            }
        )
    else:
        out_h = empty_history()
    out_w = District.__dataclass_fields__["preferences"].default_factory()
    if preferences is not None and len(preferences.frame):
        w = preferences.frame
        out_w = (
            pd.DataFrame(
                {
                    "staff_id": w["staff_id"].astype("str").to_numpy(),
                    "rank": w["rank"].to_numpy(dtype="int64"),
                    "school_id": w["school_id"].astype("str").to_numpy(),
                }
            )
            .sort_values(["staff_id", "rank"], kind="stable")
            .reset_index(drop=True)
        )
    return District(
        schools=out_s,
        staff=out_t,
        demand=out_d,
        pins=out_p,
        source=source,
        history=out_h,
        preferences=out_w,
    )


def empty_history() -> pd.DataFrame:
    """A history table without rows (``staff_id, school_id, start_date, end_date``)."""
    return pd.DataFrame(
        {
            "staff_id": pd.Series([], dtype="str"),
            "school_id": pd.Series([], dtype="str"),
            "start_date": pd.Series([], dtype="datetime64[ns]"),
            "end_date": pd.Series([], dtype="datetime64[ns]"),
        }
    )


# --------------------------------------------------------------------------- public API


def _read_table(src: _Source, spec: TableSpec, problems: list[Problem]) -> _Table | None:
    """Find, read and check one table; None (with the problem recorded) when unusable."""
    where = src.locate(spec)
    if where is None:
        if spec.required:
            what = (
                f"sheet '{spec.sheets[0]}' (or '{spec.sheets[1]}')"
                if src.workbook is not None
                else "file"
            )
            problems.append(
                Problem(file=src.missing_label(spec), message=f"required {what} not found")
            )
        return None
    file, sheet, label = where
    try:
        raw, encoding = src.read(file, sheet)
    except RowWidthError as exc:
        problems.extend(
            Problem(
                file=label,
                row=r,
                value=n,
                expected=f"at most {exc.width} cells, as in the header",
                message=f"{n} cells, more than the header's {exc.width}",
            )
            for r, n in exc.rows
        )
        return None
    except TableReadError as exc:
        problems.append(Problem(file=label, row=exc.row, column=exc.column, message=str(exc)))
        return None
    except OSError as exc:
        problems.append(Problem(file=label, message=f"cannot read: {exc.strerror or exc}"))
        return None
    except ValueError as exc:
        problems.append(Problem(file=label, message=f"cannot read: {_brief(exc)}"))
        return None
    if raw.columns.empty:
        problems.append(Problem(file=label, message="empty: no header row"))
        return None
    garbled = bad_char_problems(raw, label, encoding)
    if garbled:
        problems.extend(garbled)
        return None
    if raw.empty and spec.name in ("schools", "staff"):
        problems.append(Problem(file=label, message=f"no {spec.name} rows"))
    return _validate_table(raw, spec, label, problems)


def load_district(path: str | Path, as_of: dt.date | None = None) -> District:
    """Read, check and normalise a district: a folder of CSV files or one ``.xlsx`` workbook.

    Parameters
    ----------
    path
        A folder with ``schools.csv``, ``staff.csv`` and optionally ``demand.csv`` and
        ``pins.csv``; or a workbook with the sheets ``schools`` (``学校``), ``staff``
        (``教职工``) and optionally ``demand`` and ``pins``; or a folder with no such CSV
        file that holds exactly one workbook (several are an error naming them). Problems
        name the files as
        ``<path>/schools.csv`` or ``<path>[sheet]``, built from ``path`` as given.
    as_of
        A ``school_start_date`` after this date is an error (default: today).

    Returns
    -------
    District
        Normalised as its docstring describes: frames indexed by ``school_id`` /
        ``staff_id`` in file order, text as ``str`` dtype, counts ``int64``, coordinates
        and ``rural_years`` ``float64``, flags ``bool``, dates ``datetime64[ns]``.

    Raises
    ------
    InputError
        With one :class:`Problem` per problem found (file, row as in Excel, column as in
        the file, the bad value and what was expected).
    """
    as_of = as_of or dt.date.today()
    src = _Source.open(path)
    problems: list[Problem] = []
    try:
        tables = {spec.name: _read_table(src, spec, problems) for spec in TABLES}
    finally:
        src.close()

    schools, staff, demand, pins, history, preferences = (tables[s.name] for s in TABLES)
    if schools is not None:
        _check_schools(schools, problems)
    if staff is not None:
        _check_staff(staff, schools, as_of, problems)
        _check_post_school(staff, schools, problems)
        if (
            schools is not None
            and not ({"school_id"} & (schools.absent | staff.absent))
            and "role" not in staff.absent
        ):
            _check_posts(staff, schools, problems)
    if demand is not None:
        _check_demand(demand, schools, problems)
    if pins is not None:
        _check_pins(pins, staff, schools, problems)
    if history is not None:
        _check_history(history, staff, problems)
    if preferences is not None:
        _check_preferences(preferences, staff, schools, problems)
    if problems or schools is None or staff is None:
        order = {t: i for i, t in enumerate(tables)}

        def key(p: Problem) -> tuple[int, int]:
            table = next((n for n, t in tables.items() if t is not None and t.file == p.file), None)
            return order.get(table, -1), p.row or 0

        raise InputError(sorted(problems, key=key))
    return _normalise(
        schools,
        staff,
        demand,
        pins,
        source=str(path),
        history=history,
        preferences=preferences,
    )


def _dates_text(s: pd.Series) -> pd.Series:
    return s.dt.strftime("%Y-%m-%d").fillna("").astype("str")


def district_tables(district: District) -> dict[str, pd.DataFrame]:
    """The district as the input tables of ``docs/input.md`` (English headers), ready to write.

    Dates are ``YYYY-MM-DD`` text (``""`` when absent), flags ``true`` / ``false``,
    ``junior_students`` is given for ``nine_year`` schools only; ``demand`` and ``pins``
    are included only when they have rows.
    """
    s = district.schools
    schools = s.reset_index()[
        [
            "school_id",
            "name",
            "zone",
            "group",
            "level",
            "locality",
            "tier",
            "lat",
            "lon",
            "students",
        ]
    ].copy()
    nine = (s["level"] == "nine_year").to_numpy()
    schools["junior_students"] = np.where(nine, s["junior_students"].astype(str).to_numpy(), "")
    schools["principal_posts"] = s["principal_posts"].to_numpy()
    schools["vice_principal_posts"] = s["vice_principal_posts"].to_numpy()

    staff = district.staff.reset_index()[["staff_id", *STAFF_OUT]].copy()
    st = district.staff
    unused = {
        "post_school_id": bool((st["post_school_id"] == st["school_id"]).all()),
        "stint_end": bool(st["stint_end"].isna().all()),
        "hire_date": bool(st["hire_date"].isna().all()),
        "title_applicant": not bool(st["title_applicant"].any()),
    }
    staff = staff.drop(columns=[c for c in STAFF_HORIZON_OUT if unused[c]])
    for name in ("school_start_date", "retirement_date", "birth_date", "stint_end", "hire_date"):
        if name in staff:
            staff[name] = _dates_text(staff[name])
    for name in ("on_payroll", "above_standard_qualification", "title_applicant"):
        if name in staff:
            staff[name] = np.where(staff[name].to_numpy(dtype=bool), "true", "false")
    out = {"schools": schools, "staff": staff}
    if len(district.demand):
        out["demand"] = district.demand[["school_id", "subject", "required"]].reset_index(drop=True)
    if len(district.pins):
        out["pins"] = district.pins[["staff_id", "action", "school_id"]].reset_index(drop=True)
    if len(district.history):
        h = district.history[["staff_id", "school_id", "start_date", "end_date"]].copy()
        h["start_date"] = _dates_text(h["start_date"])
        h["end_date"] = _dates_text(h["end_date"])
        out["history"] = h.reset_index(drop=True)
    if len(district.preferences):
        out["preferences"] = district.preferences[["staff_id", "rank", "school_id"]].reset_index(
            drop=True
        )
    return out


def write_district(
    district: District,
    out: str | Path,
    fmt: Literal["csv", "xlsx"] = "csv",
    encoding: str = "utf-8",
) -> Path:
    """Write a district with the English headers of ``docs/input.md``; :func:`load_district` reads it back.

    ``fmt="csv"``: ``out`` is a folder (created if needed) that receives ``schools.csv``,
    ``staff.csv`` and, when not empty, ``demand.csv`` and ``pins.csv``. ``fmt="xlsx"``:
    ``out`` is the workbook (or, if it is not named ``*.xlsx``, a folder that receives
    ``district.xlsx``) with one sheet per table. Returns the folder or workbook written.
    """
    out = Path(out)
    tables = district_tables(district)
    if fmt == "csv":
        out.mkdir(parents=True, exist_ok=True)
        for name, frame in tables.items():
            frame.to_csv(out / f"{name}.csv", index=False, encoding=encoding)
        return out
    if fmt == "xlsx":
        book = out if out.suffix.lower() == ".xlsx" else out / "district.xlsx"
        book.parent.mkdir(parents=True, exist_ok=True)
        with pd.ExcelWriter(book, engine="openpyxl") as writer:
            for name, frame in tables.items():
                frame.to_excel(writer, sheet_name=name, index=False)
        return book
    raise ValueError(f"fmt must be 'csv' or 'xlsx', not {fmt!r}")
