"""The batch's city workbook (batch.xlsx) and city report (batch.html), and the batch's
output checks. One embedded-cluster batch of demo districts (work limit 5): one with a
hostile name and a plan, one infeasible, one with a bad staff table."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path
from urllib.parse import unquote

import openpyxl
import pytest
from chromium import Browser
from click.testing import CliRunner
from test_batch import DEMO_DATA, TINY, scenario

from solver.batch.run import run_batch
from solver.cli import main
from solver.load import load
from solver.output.batch_handoff import write_batch_report, write_batch_workbook
from solver.output.batch_table import CITY, COLUMNS, batch_frame
from solver.safe_text import unescape_formula
from solver.validate import validate_plan_dir

HOSTILE = '=HYPERLINK("http://x","<img src=x onerror=alert(1)>")'
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> tuple[Path, dict[str, Path], object]:
    tmp = tmp_path_factory.mktemp("batch-handoff")
    data = tmp / "data"
    shutil.copytree(DEMO_DATA, data / "demo")
    bad = data / "bad"
    shutil.copytree(TINY, bad)
    staff = (bad / "staff.csv").read_text(encoding="utf-8").splitlines()
    staff[1] = staff[1].replace(",principal,", ",janitor,", 1)
    (bad / "staff.csv").write_text("\n".join(staff) + "\n", encoding="utf-8")
    sc = tmp / "scenarios"
    sc.mkdir()
    hostile = scenario(sc, "H", data / "demo")
    text = hostile.read_text(encoding="utf-8")
    name = HOSTILE.replace("\\", "\\\\").replace('"', '\\"')
    hostile.write_text(re.sub(r'^name = "H"$', f'name = "{name}"', text, flags=re.M), "utf-8")
    paths = {
        "H": hostile,
        "X": scenario(sc, "X", data / "demo", teacher_rotation_min=1.0, school_outflow_max=0.0),
        "C": scenario(sc, "C", bad),
    }
    out = tmp / "out"
    outcome = run_batch(list(paths.values()), out, workers=1, progress=False)
    assert [r["status"] for r in outcome.rows] == ["optimal", "infeasible", "bad_input"]
    sc_h, district = load(hostile)
    assert validate_plan_dir(out / outcome.rows[0]["folder"], district, sc_h) == []
    return out, paths, outcome


def csv_rows(out: Path) -> list[dict[str, str]]:
    with (out / "batch.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_workbook_equals_batch_csv(batch):
    """batch.xlsx: one sheet, the columns of batch.csv in order, the same cells (numbers
    as numbers, the hostile name as a text cell, never a formula), header frozen and
    filtered."""
    out, _, _ = batch
    wb = openpyxl.load_workbook(out / "batch.xlsx")
    assert wb.sheetnames == ["batch"]
    ws = wb["batch"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(COLUMNS))}5"
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == list(COLUMNS)
    expect = csv_rows(out)
    assert len(rows) - 1 == len(expect) == 4
    for got, want in zip(rows[1:], expect, strict=True):
        for col, v in zip(COLUMNS, got, strict=True):
            w = unescape_formula(want[col])
            if w == "":
                assert v is None, (col, v)
            elif isinstance(v, bool):
                assert w == ("true" if v else "false"), col
            elif isinstance(v, int | float):
                assert v == pytest.approx(float(w), rel=1e-12, abs=1e-12), col
            else:
                assert v == w, col
    assert rows[1][0] == HOSTILE and expect[0]["scenario"] == "'" + HOSTILE
    assert isinstance(rows[1][COLUMNS.index("staff")], int)
    assert isinstance(rows[1][COLUMNS.index("cv_key_per_100_primary_after")], float)
    for row in ws.iter_rows():
        for c in row:
            assert c.data_type != "f", c.coordinate
    assert rows[-1][0] == CITY


def test_workbook_in_chinese(batch, tmp_path):
    """--lang zh: a Chinese sheet name and headers (no English word), statuses in Chinese."""
    out, _, outcome = batch
    frame = batch_frame(outcome.rows)
    write_batch_workbook(tmp_path / "b.xlsx", frame, lang="zh")
    wb = openpyxl.load_workbook(tmp_path / "b.xlsx")
    assert wb.sheetnames == ["全市汇总"]
    ws = wb.active
    heads = [c.value for c in ws[1]]
    assert len(heads) == len(COLUMNS)
    for h in heads:
        assert CJK.search(h) and not re.search(r"[A-Za-z]{2}", h.replace("MB", "")), h
    assert [ws.cell(r, 2).value for r in range(2, 6)] == [
        "最优",
        "无可行方案",
        "输入有误",
        "3 个区中 1 个有方案",
    ]
    assert ws.cell(2, 1).value == HOSTILE and ws.cell(2, 1).data_type == "s"


def test_report_links_each_district_and_escapes_names(batch):
    """batch.html: self-contained, the hostile name escaped, each district with a page
    linked relatively to a file that exists (the plan's report, the diagnosis), the bad
    district not linked."""
    out, _, outcome = batch
    page = (out / "batch.html").read_text(encoding="utf-8")
    assert "<img" not in page and "&lt;img src=x" in page
    assert not re.search(r"(src|href)=\"(https?:)?//", page)
    links = re.findall(r'<a href="([^"]+)"', page)
    folders = [r["folder"] for r in outcome.rows]
    assert [unquote(u) for u in links] == [
        f"{folders[0]}/report.html",
        f"{folders[1]}/diagnosis.json",
    ]
    for u in links:
        assert not u.startswith(("/", "file:")) and (out / unquote(u)).is_file()


def test_report_renders_in_chromium(batch):
    """Headless Chromium: no JavaScript error, the city's figures, one row per district,
    the links resolve to existing files, the sorting script works, nothing requested but
    the file."""
    out, _, outcome = batch
    rows = {r["scenario"]: r for r in csv_rows(out)}
    with Browser() as b:
        page = b.open((out / "batch.html").as_uri())
        assert page.eval("document.body.getAttribute('data-ready')") == "1"
        assert page.eval("document.querySelector('#kpi-planned .value').textContent") == "1/3"
        assert page.eval("document.querySelector('#kpi-moved .value').textContent") == (
            f"{int(rows[CITY]['moved']):,}"
        )
        names = page.eval(
            "Array.from(document.querySelectorAll('#districts tbody tr'))"
            ".map(r => r.cells[0].textContent)"
        )
        assert names == [HOSTILE, "X", "C"]
        hrefs = page.eval("Array.from(document.querySelectorAll('#districts a')).map(a => a.href)")
        assert len(hrefs) == 2
        for h in hrefs:
            assert h.startswith(out.as_uri() + "/")
            assert Path(unquote(h[len("file://") :])).is_file()
        assert page.eval("document.querySelectorAll('img, iframe, script[src]').length") == 0
        page.eval("document.querySelectorAll('#districts th')[0].click()")  # by name
        names = page.eval(
            "Array.from(document.querySelectorAll('#districts tbody tr'))"
            ".map(r => r.cells[0].textContent)"
        )
        assert names == [HOSTILE, "C", "X"]
        assert page.errors() == []
        assert [u for u in page.requests() if not u.startswith(("file:", "data:"))] == []
        page.close()


def test_report_in_chinese(batch, tmp_path):
    """A Chinese city report: Chinese headers, no English word in them."""
    out, _, outcome = batch
    target = out / "batch-zh.html"
    write_batch_report(target, batch_frame(outcome.rows), lang="zh")
    page = target.read_text(encoding="utf-8")
    target.unlink()
    assert 'lang="zh-CN"' in page and "全市" in page
    heads = re.findall(r"<th(?:\s[^>]*)?>(.*?)</th>", page)
    assert len(heads) == 5 + 6 + 3
    for h in heads:
        assert CJK.search(h) and not re.search(r"[A-Za-z]{2}", h), h


def test_tables_never_overwrite_an_input(tmp_path):
    """A district's data workbook named batch.xlsx in the batch folder is refused before
    anything runs (the city workbook would replace it); so is a batch folder inside a
    data folder. Nothing is written."""
    from solver.input.loaders import load_district, write_district

    out = tmp_path / "out"
    book = write_district(load_district(DEMO_DATA), out / "batch.xlsx", fmt="xlsx")
    sc = scenario(tmp_path, "A", book)
    before = book.read_bytes()
    res = CliRunner().invoke(main, ["batch", str(sc), "--out", str(out)])
    assert res.exit_code == 2, res.output
    assert f"--out {out / 'batch.xlsx'}: is the input {book}" in res.output
    assert sorted(p.name for p in out.iterdir()) == ["batch.xlsx"]
    assert book.read_bytes() == before
    data = tmp_path / "data"
    shutil.copytree(DEMO_DATA, data)
    sc = scenario(tmp_path, "B", data)
    res = CliRunner().invoke(main, ["batch", str(sc), "--out", str(data / "out")])
    assert res.exit_code == 2 and "would overwrite the input" in res.output
    assert not (data / "out").exists()


def test_a_foreign_folder_of_a_district_name_is_kept(tmp_path):
    """A folder of a district's name that lungang did not write is never removed, even
    when that district ends without a folder of its own (bad input)."""
    bad = tmp_path / "bad"
    shutil.copytree(TINY, bad)
    staff = (bad / "staff.csv").read_text(encoding="utf-8").splitlines()
    staff[1] = staff[1].replace(",principal,", ",janitor,", 1)
    (bad / "staff.csv").write_text("\n".join(staff) + "\n", encoding="utf-8")
    sc = scenario(tmp_path, "C", bad)
    out = tmp_path / "out"
    (out / "C").mkdir(parents=True)
    (out / "C" / "notes.txt").write_text("mine", encoding="utf-8")
    outcome = run_batch([sc], out, workers=1, progress=False, resume=True)
    assert outcome.rows[0]["status"] == "bad_input"
    assert (out / "C" / "notes.txt").read_text(encoding="utf-8") == "mine"
