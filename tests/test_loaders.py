"""Loading a district folder or workbook: normalisation, encodings, and every problem located."""

import csv
import datetime as dt
import os
import shutil
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from benchmarks.loading import write_synthetic_district
from solver.errors import InputError, Problem
from solver.input.data import SUBJECTS, District
from solver.input.loaders import district_tables, load_district, read_table_file, write_district

TINY = Path(__file__).parent / "data" / "tiny"
AS_OF = dt.date(2025, 9, 1)
TABLES = ("schools", "staff", "demand", "pins")

# The contract's Chinese headers (staff.school_id has none in the contract; 学校代码 is accepted).
ZH_HEADERS = {
    "schools.csv": {
        "school_id": "学校代码",
        "name": "学校名称",
        "zone": "学区",
        "group": "教育集团",
        "level": "学段",
        "locality": "城乡类型",
        "tier": "办学水平",
        "students": "在校生数",
    },
    "staff.csv": {
        "staff_id": "工号",
        "name": "姓名",
        "role": "岗位",
        "subject": "学科",
        "key_level": "骨干级别",
        "on_payroll": "在编在岗",
        "exempt_reason": "暂缓原因",
    },
}


# --------------------------------------------------------------------------- helpers


def copy_tiny(tmp_path: Path) -> Path:
    dst = tmp_path / "district"
    shutil.copytree(TINY, dst)
    return dst


def read_rows(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def write_rows(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> None:
    with open(path, "w", newline="", encoding=encoding) as f:
        csv.writer(f).writerows(rows)


def set_cell(folder: Path, file: str, row: int, column: str, value: str) -> None:
    """Set one cell; ``row`` as Excel numbers it (header = 1)."""
    rows = read_rows(folder / file)
    rows[row - 1][rows[0].index(column)] = value
    write_rows(folder / file, rows)


def drop_columns(folder: Path, file: str, *columns: str) -> None:
    rows = read_rows(folder / file)
    keep = [j for j, h in enumerate(rows[0]) if h not in columns]
    write_rows(folder / file, [[r[j] for j in keep] for r in rows])


def append_row(folder: Path, file: str, **values: str) -> int:
    """Append a row (copying row 2 for the columns not given); return its row number."""
    rows = read_rows(folder / file)
    new = list(rows[1])
    for k, v in values.items():
        new[rows[0].index(k)] = v
    rows.append(new)
    write_rows(folder / file, rows)
    return len(rows)


def problems_of(path, as_of=AS_OF) -> list[Problem]:
    with pytest.raises(InputError) as err:
        load_district(path, as_of=as_of)
    return err.value.problems


def the_problem(problems: list[Problem], file, row, column) -> Problem:
    found = [p for p in problems if p.file == str(file) and p.row == row and p.column == column]
    assert len(found) == 1, "\n".join(map(str, problems))
    return found[0]


def assert_same_district(a: District, b: District) -> None:
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_index_type=True)


def csv_to_workbook(folder: Path, book: Path, sheet_names: dict[str, str] | None = None) -> None:
    """A workbook as Excel would save it: numbers, real date cells and booleans, not text."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for table in ("schools", "staff", "demand"):
        rows = read_rows(folder / f"{table}.csv")
        ws = wb.create_sheet((sheet_names or {}).get(table, table))
        ws.append(rows[0])
        for r in rows[1:]:
            cells = []
            for h, v in zip(rows[0], r, strict=True):
                if v == "":
                    cells.append(None)
                elif h.endswith("_date"):
                    cells.append(dt.datetime.fromisoformat(v))
                elif h in ("on_payroll", "above_standard_qualification"):
                    cells.append(v == "true")
                elif h in ("lat", "lon", "home_lat", "home_lon", "rural_years"):
                    cells.append(float(v))
                elif h in (
                    "students",
                    "junior_students",
                    "principal_posts",
                    "vice_principal_posts",
                    "required",
                ):
                    cells.append(int(v))
                else:
                    cells.append(v)
            ws.append(cells)
    wb.save(book)


@pytest.fixture
def tiny() -> District:
    return load_district(TINY, as_of=AS_OF)


# --------------------------------------------------------------------------- the happy path


def test_tiny_fixture_loads_with_normalised_schools(tiny):
    """Schools: indexed by id in file order, defaults filled, students split by level."""
    s = tiny.schools
    assert list(s.index) == ["S01", "S02", "S03", "S04"]
    assert s.index.name == "school_id"
    assert list(s.columns) == [
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
    ]
    assert s.loc["S01", "name"] == "东风小学"
    assert s.loc["S03", "group"] == "" and s.loc["S01", "group"] == "G1"
    assert s.loc["S04", "tier"] == "average"  # empty -> default
    assert s.loc["S01", "lat"] == pytest.approx(39.915)
    assert s[["students", "primary_students", "junior_students"]].to_dict("index") == {
        "S01": {"students": 820, "primary_students": 820, "junior_students": 0},
        "S02": {"students": 640, "primary_students": 0, "junior_students": 640},
        "S03": {"students": 540, "primary_students": 360, "junior_students": 180},
        "S04": {"students": 300, "primary_students": 300, "junior_students": 0},
    }
    assert s["principal_posts"].tolist() == [1, 1, 1, 1]
    # S01 and S02: empty -> current count (1 and 0); S03 and S04 as given
    assert s["vice_principal_posts"].tolist() == [1, 0, 1, 2]
    for col in (
        "students",
        "junior_students",
        "primary_students",
        "principal_posts",
        "vice_principal_posts",
    ):
        assert s[col].dtype == np.int64
    assert s["lat"].dtype == np.float64 and s["lon"].dtype == np.float64
    assert all(
        pd.api.types.is_string_dtype(s[c])
        for c in ("name", "zone", "group", "level", "locality", "tier")
    )


def test_tiny_fixture_loads_with_normalised_staff(tiny):
    """Staff: defaults filled, home location from the school, dates as datetime64[ns]."""
    t = tiny.staff
    assert len(t) == 29 and t.index[0] == "T0101" and t.index[-1] == "T0406"
    assert t.index.name == "staff_id"
    assert t.loc["T0101", "subject"] == ""  # principal without subject
    assert t.loc["T0104", "key_level"] == "none"  # empty -> default
    assert t.loc["T0307", "on_payroll"] is np.True_  # empty -> default True
    assert not t.loc["T0205", "on_payroll"]
    assert t.loc["T0107", "title"] == "none"
    assert t.loc["T0104", "rural_years"] == 0.0 and t.loc["T0105", "rural_years"] == 1.5
    assert (t.loc["T0101", "home_lat"], t.loc["T0101", "home_lon"]) == (39.920, 116.410)
    assert (t.loc["T0102", "home_lat"], t.loc["T0102", "home_lon"]) == (39.915, 116.404)  # S01
    assert (t.loc["T0402", "home_lat"], t.loc["T0402", "home_lon"]) == (39.956, 116.322)  # S04
    assert (
        t.loc["T0109", "exempt_reason"] == "serious illness"
        and t.loc["T0108", "exempt_reason"] == ""
    )
    assert t.loc["T0104", "gender"] == "F" and t.loc["T0101", "gender"] == ""
    assert t.loc["T0101", "school_start_date"] == pd.Timestamp("2014-08-20")
    assert pd.isna(t.loc["T0104", "retirement_date"])
    assert t.loc["T0104", "birth_date"] == pd.Timestamp("1995-03-12")
    for col in ("school_start_date", "retirement_date", "birth_date"):
        assert t[col].dtype == "datetime64[ns]"
    assert t["on_payroll"].dtype == bool and t["above_standard_qualification"].dtype == bool
    assert t["rural_years"].dtype == np.float64
    assert set(t["subject"]) <= set(SUBJECTS) | {""}
    assert (t["role"] == "principal").sum() == 4
    assert tiny.demand.to_dict("list") == {
        "school_id": ["S03", "S04"],
        "subject": ["math", "pe"],
        "required": [2, 1],
    }
    assert tiny.demand["required"].dtype == np.int64
    assert tiny.pins.empty and list(tiny.pins.columns) == ["staff_id", "action", "school_id"]
    assert tiny.demand_matrix().loc["S03", "math"] == 2
    assert tiny.source == str(TINY)


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8-sig"])
def test_same_data_in_other_encodings_loads_identically(tmp_path, tiny, encoding):
    """GB18030 (Excel in China) and UTF-8 with BOM give the same district as UTF-8."""
    folder = copy_tiny(tmp_path)
    for f in ("schools.csv", "staff.csv", "demand.csv"):
        write_rows(folder / f, read_rows(folder / f), encoding=encoding)
    raw = (folder / "staff.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
    assert_same_district(load_district(folder, as_of=AS_OF), tiny)


def test_chinese_headers_load_identically(tmp_path, tiny):
    """The contract's Chinese headers (学校代码, 工号, 岗位 ...) are read as the English ones."""
    folder = copy_tiny(tmp_path)
    for f, mapping in ZH_HEADERS.items():
        rows = read_rows(folder / f)
        rows[0] = [mapping.get(h, h) for h in rows[0]]
        write_rows(folder / f, rows, encoding="gb18030")
    assert "学校代码" in read_table_file(folder / "schools.csv").columns
    assert_same_district(load_district(folder, as_of=AS_OF), tiny)


def test_workbook_with_excel_cells_loads_identically(tmp_path, tiny):
    """One .xlsx with real date, number and boolean cells gives the same district."""
    book = tmp_path / "tiny.xlsx"
    csv_to_workbook(TINY, book)
    d = load_district(book, as_of=AS_OF)
    assert_same_district(d, tiny)
    assert d.source == str(book)


def test_workbook_with_chinese_sheet_names_loads(tmp_path, tiny):
    """Sheets may be named 学校 and 教职工."""
    book = tmp_path / "tiny.xlsx"
    csv_to_workbook(TINY, book, {"schools": "学校", "staff": "教职工"})
    assert_same_district(load_district(book, as_of=AS_OF), tiny)


def test_lenient_values_are_normalised(tmp_path, tiny):
    """是/否, YES/0, 2014/8/20, Chinese codes (校长, 数学, 女, 小学) and padded cells are accepted."""
    folder = copy_tiny(tmp_path)
    set_cell(folder, "staff.csv", 2, "on_payroll", "是")
    set_cell(folder, "staff.csv", 15, "on_payroll", "否")
    set_cell(folder, "staff.csv", 2, "above_standard_qualification", "YES")
    set_cell(folder, "staff.csv", 3, "above_standard_qualification", "1")
    set_cell(folder, "staff.csv", 2, "school_start_date", "2014/8/20")
    set_cell(folder, "staff.csv", 2, "role", "校长")
    set_cell(folder, "staff.csv", 6, "subject", " 数学 ")
    set_cell(folder, "staff.csv", 6, "key_level", "区级")
    set_cell(folder, "staff.csv", 5, "gender", "女")
    set_cell(folder, "staff.csv", 7, "gender", "m")
    set_cell(folder, "schools.csv", 2, "level", "小学")
    set_cell(folder, "schools.csv", 3, "locality", "URBAN")
    set_cell(folder, "schools.csv", 2, "students", "820.0")
    assert_same_district(load_district(folder, as_of=AS_OF), tiny)


def test_blank_lines_are_skipped_but_rows_keep_their_numbers(tmp_path):
    """An empty line is ignored, and problems after it still carry the line number Excel shows."""
    folder = copy_tiny(tmp_path)
    rows = read_rows(folder / "staff.csv")
    rows.insert(3, [])  # becomes line 4; T0103 moves to line 5
    rows.insert(6, [""] * len(rows[0]))  # a row of empty cells, line 7
    write_rows(folder / "staff.csv", rows)
    assert len(load_district(folder, as_of=AS_OF).staff) == 29
    set_cell(folder, "staff.csv", 5, "role", "janitor")
    p = the_problem(problems_of(folder), folder / "staff.csv", 5, "role")
    assert p.value == "janitor"


def test_pins_are_loaded_and_normalised(tmp_path):
    """Valid pins load; a school_id given with stay/move is dropped."""
    folder = copy_tiny(tmp_path)
    write_rows(
        folder / "pins.csv",
        [
            ["staff_id", "action", "school_id"],
            ["T0101", "stay", ""],
            ["T0103", "to", "S03"],
            ["T0104", "MOVE", "S02"],
        ],
    )
    pins = load_district(folder, as_of=AS_OF).pins
    assert pins.to_dict("list") == {
        "staff_id": ["T0101", "T0103", "T0104"],
        "action": ["stay", "to", "move"],
        "school_id": ["", "S03", ""],
    }


# --------------------------------------------------------------------------- one bad cell, one problem

# (file, row, column edited, bad value, column reported or None = same, words of the message)
BAD_CELLS = [
    ("schools.csv", 3, "level", "middle", None, "unknown level"),
    ("schools.csv", 2, "locality", "suburb", None, "unknown locality"),
    ("schools.csv", 2, "tier", "excellent", None, "unknown tier"),
    ("schools.csv", 2, "zone", "", None, "missing value"),
    ("schools.csv", 2, "lat", "95", None, "out of range"),
    ("schools.csv", 3, "lon", "-200.5", None, "out of range"),
    ("schools.csv", 2, "lat", "north", None, "not a number"),
    ("schools.csv", 5, "students", "0", None, "out of range"),
    ("schools.csv", 5, "students", "12.5", None, "not an integer"),
    ("schools.csv", 4, "junior_students", "", None, "required for nine_year"),
    ("schools.csv", 4, "junior_students", "540", None, "out of range"),
    ("schools.csv", 4, "junior_students", "0", None, "out of range"),
    ("schools.csv", 4, "junior_students", "many", None, "not an integer"),
    ("schools.csv", 3, "principal_posts", "-1", None, "out of range"),
    ("staff.csv", 2, "staff_id", "", None, "missing value"),
    ("staff.csv", 8, "role", "janitor", None, "unknown role"),
    ("staff.csv", 6, "key_level", "national", None, "unknown key_level"),
    ("staff.csv", 6, "title", "doctor", None, "unknown title"),
    ("staff.csv", 6, "subject", "latin", None, "unknown subject"),
    ("staff.csv", 7, "gender", "X", None, "unknown gender"),
    ("staff.csv", 6, "school_id", "S99", None, "unknown school"),
    ("staff.csv", 8, "subject", "", None, "required for teachers"),
    ("staff.csv", 2, "home_lat", "91", None, "out of range"),
    ("staff.csv", 2, "home_lon", "181", None, "out of range"),
    ("staff.csv", 2, "home_lon", "", "home_lon", "home_lat given without home_lon"),
    ("staff.csv", 22, "school_start_date", "2019-13-45", None, "not a date"),
    ("staff.csv", 22, "school_start_date", "", None, "missing value"),
    ("staff.csv", 22, "retirement_date", "31/12/2040", None, "not a date"),
    ("staff.csv", 5, "birth_date", "1995-02-30", None, "not a date"),
    ("staff.csv", 22, "school_start_date", "2026-01-01", None, "date in the future"),
    ("staff.csv", 8, "retirement_date", "", None, "birth_date and gender"),
    ("staff.csv", 5, "gender", "", "retirement_date", "birth_date and gender"),
    ("staff.csv", 9, "rural_years", "-1", None, "out of range"),
    ("staff.csv", 9, "on_payroll", "maybe", None, "not a true/false value"),
    ("staff.csv", 9, "above_standard_qualification", "2", None, "not a true/false value"),
    ("demand.csv", 2, "school_id", "S99", None, "unknown school"),
    ("demand.csv", 3, "subject", "latin", None, "unknown subject"),
    ("demand.csv", 3, "required", "-2", None, "out of range"),
]


@pytest.mark.parametrize(
    ("file", "row", "column", "value", "reported", "words"),
    BAD_CELLS,
    ids=[f"{c[0]}-{c[2]}-{c[3] or 'empty'}" for c in BAD_CELLS],
)
def test_bad_cell_is_reported_with_file_row_column_and_value(
    tmp_path, file, row, column, value, reported, words
):
    """Each bad cell yields exactly one problem naming the file, the Excel row and the column."""
    folder = copy_tiny(tmp_path)
    set_cell(folder, file, row, column, value)
    problems = problems_of(folder)
    assert len(problems) == 1, "\n".join(map(str, problems))
    p = the_problem(problems, folder / file, row, reported or column)
    assert words in p.message
    if reported is None:
        assert p.value == value
        assert p.expected


def test_chinese_header_is_named_as_in_the_file(tmp_path):
    """With Chinese headers the problem names the column as the file spells it."""
    folder = copy_tiny(tmp_path)
    set_cell(folder, "staff.csv", 8, "role", "janitor")
    rows = read_rows(folder / "staff.csv")
    rows[0] = [ZH_HEADERS["staff.csv"].get(h, h) for h in rows[0]]
    write_rows(folder / "staff.csv", rows, encoding="gb18030")
    p = the_problem(problems_of(folder), folder / "staff.csv", 8, "岗位")
    assert p.value == "janitor" and "principal" in p.expected


def test_bad_cell_in_workbook_names_sheet_and_row(tmp_path):
    """In a workbook the file is reported as book.xlsx[sheet], rows as Excel numbers them."""
    folder = copy_tiny(tmp_path)
    set_cell(folder, "staff.csv", 12, "key_level", "national")
    book = tmp_path / "bad.xlsx"
    csv_to_workbook(folder, book)
    p = the_problem(problems_of(book), f"{book}[staff]", 12, "key_level")
    assert p.value == "national"


def test_missing_required_columns_are_named(tmp_path):
    """A missing required column is one problem naming it (no row)."""
    folder = copy_tiny(tmp_path)
    drop_columns(folder, "schools.csv", "zone")
    drop_columns(folder, "staff.csv", "role")
    problems = problems_of(folder)
    assert len(problems) == 2, "\n".join(map(str, problems))
    assert "missing" in the_problem(problems, folder / "schools.csv", None, "zone").message
    assert "学区" in the_problem(problems, folder / "schools.csv", None, "zone").message
    assert "missing" in the_problem(problems, folder / "staff.csv", None, "role").message


def test_no_retirement_nor_birth_columns_is_one_problem(tmp_path):
    """Without retirement_date and without birth_date the file is reported once, naming both."""
    folder = copy_tiny(tmp_path)
    drop_columns(folder, "staff.csv", "retirement_date", "birth_date")
    problems = problems_of(folder)
    assert len(problems) == 1
    p = the_problem(problems, folder / "staff.csv", None, "retirement_date")
    assert "birth_date" in p.message and "gender" in p.message


def test_duplicate_school_id_names_both_rows(tmp_path):
    """A repeated school_id is reported on the repeat, naming both rows."""
    folder = copy_tiny(tmp_path)
    row = append_row(folder, "schools.csv", school_id="S02", name="又一个")
    assert row == 6
    problems = problems_of(folder)
    assert len(problems) == 1
    p = the_problem(problems, folder / "schools.csv", 6, "school_id")
    assert "rows 3 and 6" in p.message and p.value == "S02"


def test_duplicate_staff_id_names_both_rows(tmp_path):
    """A repeated staff_id is reported on the repeat, naming both rows."""
    folder = copy_tiny(tmp_path)
    row = append_row(folder, "staff.csv", staff_id="T0105", role="teacher", subject="math")
    p = the_problem(problems_of(folder), folder / "staff.csv", row, "staff_id")
    assert f"rows 6 and {row}" in p.message


def test_more_principals_than_posts(tmp_path):
    """Two principals at S01 (1 post by default): reported on the second, naming both rows."""
    folder = copy_tiny(tmp_path)
    set_cell(folder, "staff.csv", 4, "role", "principal")
    problems = problems_of(folder)
    assert len(problems) == 1
    p = the_problem(problems, folder / "staff.csv", 4, "role")
    assert "rows 2 and 4" in p.message and "principal_posts is 1" in p.message


def test_principal_posts_allow_more(tmp_path):
    """principal_posts = 2 makes two principals valid."""
    folder = copy_tiny(tmp_path)
    set_cell(folder, "staff.csv", 4, "role", "principal")
    set_cell(folder, "schools.csv", 2, "principal_posts", "2")
    assert load_district(folder, as_of=AS_OF).schools.loc["S01", "principal_posts"] == 2


def test_more_vice_principals_than_posts(tmp_path):
    """S03 allows 1 vice principal; a second one is reported."""
    folder = copy_tiny(tmp_path)
    set_cell(folder, "staff.csv", 20, "role", "vice_principal")
    problems = problems_of(folder)
    assert len(problems) == 1
    p = the_problem(problems, folder / "staff.csv", 20, "role")
    assert "vice_principal_posts is 1" in p.message and "rows 19 and 20" in p.message


def test_future_start_date_against_today_when_no_as_of(tmp_path):
    """Without as_of, a start date after today is 'in the future'."""
    folder = copy_tiny(tmp_path)
    set_cell(folder, "staff.csv", 3, "school_start_date", "2199-01-01")
    p = the_problem(problems_of(folder, as_of=None), folder / "staff.csv", 3, "school_start_date")
    assert "future" in p.message


def test_bad_pins_are_all_reported(tmp_path):
    """Unknown staff, unknown school, 'to' without school, bad action and repeats in pins.csv."""
    folder = copy_tiny(tmp_path)
    write_rows(
        folder / "pins.csv",
        [
            ["staff_id", "action", "school_id"],
            ["T0101", "stay", ""],
            ["T9999", "move", ""],
            ["T0103", "to", "S99"],
            ["T0104", "to", ""],
            ["T0105", "jump", ""],
            ["T0101", "move", ""],
        ],
    )
    problems = problems_of(folder)
    pins = folder / "pins.csv"
    assert len(problems) == 5, "\n".join(map(str, problems))
    assert "unknown staff" in the_problem(problems, pins, 3, "staff_id").message
    assert the_problem(problems, pins, 4, "school_id").value == "S99"
    assert "required for action 'to'" in the_problem(problems, pins, 5, "school_id").message
    assert the_problem(problems, pins, 6, "action").value == "jump"
    assert "rows 2 and 7" in the_problem(problems, pins, 7, "staff_id").message


def test_several_problems_are_all_reported(tmp_path):
    """Problems in several files and columns come back together, in file and row order."""
    folder = copy_tiny(tmp_path)
    set_cell(folder, "schools.csv", 3, "level", "middle")
    set_cell(folder, "schools.csv", 5, "lat", "190")
    set_cell(folder, "staff.csv", 10, "school_start_date", "someday")
    set_cell(folder, "staff.csv", 6, "subject", "latin")
    set_cell(folder, "staff.csv", 25, "school_id", "S77")
    set_cell(folder, "demand.csv", 2, "required", "-1")
    problems = problems_of(folder)
    located = [(Path(p.file).name, p.row, p.column) for p in problems]
    assert located == [
        ("schools.csv", 3, "level"),
        ("schools.csv", 5, "lat"),
        ("staff.csv", 6, "subject"),
        ("staff.csv", 10, "school_start_date"),
        ("staff.csv", 25, "school_id"),
        ("demand.csv", 2, "required"),
    ]


def test_missing_files_and_paths(tmp_path):
    """A missing staff.csv, a missing folder and a wrong file type are each reported."""
    folder = copy_tiny(tmp_path)
    (folder / "staff.csv").unlink()
    problems = problems_of(folder)
    assert [(p.file, "not found" in p.message) for p in problems] == [
        (str(folder / "staff.csv"), True)
    ]
    assert problems_of(tmp_path / "nowhere")[0].file == str(tmp_path / "nowhere")
    assert "xlsx" in problems_of(folder / "schools.csv")[0].message


def test_row_with_too_many_cells_is_located(tmp_path):
    """A CSV row longer than its header is reported with its row number."""
    folder = copy_tiny(tmp_path)
    rows = read_rows(folder / "staff.csv")
    rows[6].append("stray")
    write_rows(folder / "staff.csv", rows)
    p = the_problem(problems_of(folder), folder / "staff.csv", 7, None)
    assert "more than the header" in p.message


def test_problem_file_is_the_path_as_given(tmp_path, monkeypatch):
    """A relative path stays relative in problems: district/staff.csv."""
    folder = copy_tiny(tmp_path)
    set_cell(folder, "staff.csv", 8, "role", "janitor")
    monkeypatch.chdir(tmp_path)
    p = problems_of("district")[0]
    assert p.file == os.path.join("district", "staff.csv")
    assert str(p).startswith(os.path.join("district", "staff.csv") + ", row 8, column 'role'")


def test_loading_writes_nothing(tmp_path, monkeypatch):
    """Neither a good nor a bad load creates or changes any file."""
    folder = copy_tiny(tmp_path)
    book = tmp_path / "tiny.xlsx"
    csv_to_workbook(TINY, book)
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)

    def snapshot():
        return {
            p: (p.stat().st_mtime_ns, p.read_bytes()) for p in tmp_path.rglob("*") if p.is_file()
        }

    before = snapshot()
    load_district(folder, as_of=AS_OF)
    load_district(book, as_of=AS_OF)
    assert snapshot() == before
    set_cell(folder, "staff.csv", 8, "role", "janitor")
    before = snapshot()
    problems_of(folder)
    assert snapshot() == before
    assert list(cwd.iterdir()) == []


# --------------------------------------------------------------------------- writing


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_write_district_round_trips(tmp_path, fmt):
    """write_district then load_district gives the same district, with English headers."""
    folder = copy_tiny(tmp_path)
    write_rows(folder / "pins.csv", [["staff_id", "action", "school_id"], ["T0103", "to", "S03"]])
    d = load_district(folder, as_of=AS_OF)
    out = write_district(d, tmp_path / "out", fmt=fmt)
    if fmt == "csv":
        assert sorted(p.name for p in out.iterdir()) == [
            "demand.csv",
            "pins.csv",
            "schools.csv",
            "staff.csv",
        ]
        assert read_rows(out / "schools.csv")[0][:3] == ["school_id", "name", "zone"]
    else:
        assert out == tmp_path / "out" / "district.xlsx"
    assert_same_district(load_district(out, as_of=AS_OF), d)


def test_district_tables_use_contract_columns(tiny):
    """Tables to write: contract headers, ISO dates, junior_students only for nine_year."""
    tables = district_tables(tiny)
    assert set(tables) == {"schools", "staff", "demand"}
    assert "primary_students" not in tables["schools"].columns
    assert tables["schools"]["junior_students"].tolist() == ["", "", "180", ""]
    staff = tables["staff"].set_index("staff_id")
    assert (
        staff.loc["T0104", "retirement_date"] == ""
        and staff.loc["T0104", "birth_date"] == "1995-03-12"
    )
    assert staff.loc["T0205", "on_payroll"] == "false"


# --------------------------------------------------------------------------- scale


def test_twenty_thousand_staff_load(tmp_path):
    """20,000 staff at 150 schools load, every home filled in (the time it takes is
    measured by ``python -m benchmarks.loading``, against a baseline, not here)."""
    write_synthetic_district(tmp_path, n_staff=20_000, n_schools=150)
    d = load_district(tmp_path, as_of=AS_OF)
    assert len(d.staff) == 20_000 and len(d.schools) == 150
    assert d.staff["home_lat"].notna().all()


# --------------------------------------------------------------------------- a folder with a workbook


def test_folder_holding_one_workbook_reads_it(tmp_path, tiny):
    """A folder with no CSV table and one workbook (as `generate --format xlsx` writes
    it) loads as that workbook; an Excel lock file beside it is not a workbook."""
    folder = tmp_path / "district"
    folder.mkdir()
    csv_to_workbook(TINY, folder / "district.xlsx")
    (folder / "~$district.xlsx").write_bytes(b"lock")
    assert_same_district(load_district(folder, as_of=AS_OF), tiny)


def test_folder_with_several_workbooks_names_them(tmp_path):
    """Several workbooks and no CSV: one problem naming the folder and each workbook."""
    folder = tmp_path / "district"
    folder.mkdir()
    for name in ("b.xlsx", "a.xlsx"):
        csv_to_workbook(TINY, folder / name)
    problems = problems_of(folder)
    assert len(problems) == 1
    assert problems[0].file == str(folder)
    assert "several workbooks: a.xlsx, b.xlsx" in problems[0].message


def test_csv_files_win_over_a_workbook_in_the_same_folder(tmp_path, tiny):
    """A folder with schools.csv and staff.csv is read as CSV even if a workbook lies
    there too (here a broken one, which would fail to open)."""
    folder = copy_tiny(tmp_path)
    (folder / "old.xlsx").write_bytes(b"not a workbook")
    assert_same_district(load_district(folder, as_of=AS_OF), tiny)
