"""The top-level plan.xlsx and report.html of a multi-year plan (`lungang plan`): one
assignments sheet per year, the coverage per year, a year selector."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from chromium import Browser
from click.testing import CliRunner
from test_horizon import _cycle, _district, _scenario_file

from solver.cli import main
from solver.load import load
from solver.validate import validate_horizon_dir

CJK = re.compile(r"[\u4e00-\u9fff]")


def _plan(tmp_path: Path, extra: str = "") -> Path:
    """Three schools, six teachers, one of them eligible from year 2 only; coverage 1
    over 2 years (so year 1 cannot cover everyone)."""
    schools, staff = _cycle(3, 2)
    staff[1]["school_start_date"] = "2019-10-01"
    _district(tmp_path, schools, staff)
    f = _scenario_file(tmp_path, "[horizon]\ncoverage_min = 1.0\n" + extra)
    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["plan", str(f), "--years", "2", "--out", str(out)])
    assert r.exit_code == 0, r.output
    sc, d = load(f)
    assert validate_horizon_dir(out, d, sc) == []
    return out


@pytest.fixture(scope="module")
def plan(tmp_path_factory) -> Path:
    return _plan(tmp_path_factory.mktemp("horizon-handoff"))


def test_workbook_has_one_assignments_sheet_per_year(plan: Path):
    """plan.xlsx at the top: summary, years, then each year's assignments, equal to that
    year's assignments.csv (post school and stint end included, the stint end a date)."""
    wb = openpyxl.load_workbook(plan / "plan.xlsx")
    assert wb.sheetnames == ["summary", "years", "assignments year 1", "assignments year 2"]
    stints = 0
    for y in (1, 2):
        ws = wb[f"assignments year {y}"]
        assert ws.freeze_panes == "A2" and ws.auto_filter.ref
        rows = list(ws.iter_rows(values_only=True))
        got = pd.DataFrame(rows[1:], columns=rows[0]).set_index("staff_id")
        want = pd.read_csv(plan / f"year{y}" / "assignments.csv", dtype=str, keep_default_na=False)
        want = want.set_index("staff_id")
        assert list(got.index) == list(want.index)
        assert got["to_school"].tolist() == want["to_school"].tolist()
        assert got["moved"].tolist() == (want["moved"] == "true").tolist()
        assert got["post_school_id"].tolist() == want["post_school_id"].tolist()
        ends = [None if v == "" else dt.date.fromisoformat(v) for v in want["stint_end"]]
        assert [v.date() if v is not None else None for v in got["stint_end"]] == ends
        stints += int(want["stint_end"].ne("").sum())
    assert stints == 6  # coverage 1: everyone moves once, with a stint end


def test_years_sheet_gives_the_coverage_per_year(plan: Path):
    """The years sheet: per year eligible, moved and the coverage reached by its end;
    year 1 cannot cover the teacher eligible from year 2 only, year 2 reaches 100% (the
    coverage of horizon.json)."""
    info = json.loads((plan / "horizon.json").read_text(encoding="utf-8"))
    ws = openpyxl.load_workbook(plan / "plan.xlsx")["years"]
    rows = list(ws.iter_rows(values_only=True))
    head = list(rows[0])
    assert head[:6] == ["year", "as of", "binding", "eligible", "moved", "returns"]
    years = [dict(zip(head, r, strict=True)) for r in rows[1:]]
    assert [r["year"] for r in years] == [1, 2]
    for r, p in zip(years, info["per_year"], strict=True):
        assert (r["eligible"], r["moved"], r["returns"]) == (
            p["eligible"],
            p["moved"],
            p["returns"],
        )
    cov = info["coverage"]
    assert years[-1]["covered so far"] == cov["moved_of_movable"] == cov["movable"] == 6
    assert years[0]["covered so far"] == info["per_year"][0]["moved"] < 6
    assert years[0]["coverage so far"] == pytest.approx(years[0]["covered so far"] / 6)
    assert years[-1]["coverage so far"] == 1.0
    assert years[0]["required by the end"] == cov["required"] == 6


def test_report_has_a_year_selector_and_the_coverage(plan: Path):
    """report.html at the top renders in headless Chromium without a JavaScript error:
    the coverage per year, a button per year that shows that year only, each year's
    link to its own report (which exists), nothing requested from the network."""
    info = json.loads((plan / "horizon.json").read_text(encoding="utf-8"))
    with Browser() as b:
        page = b.open((plan / "report.html").as_uri())
        assert page.eval("document.body.getAttribute('data-ready')") == "1"
        cov = page.eval(
            "Array.from(document.querySelectorAll('#coverage-table tbody tr'))"
            ".map(r => r.cells[8].textContent)"
        )
        first = 100 * info["per_year"][0]["moved"] / 6
        assert cov == [f"{first:.1f}%", "100.0%"]
        assert page.eval("document.querySelectorAll('#coverage-chart rect.cov').length") == 2
        assert page.eval("document.querySelectorAll('#year-tabs button').length") == 2
        shown = "Array.from(document.querySelectorAll('[data-panel=year-tabs]')).map(p => p.style.display !== 'none')"
        assert page.eval(shown) == [True, False]
        page.eval("document.querySelectorAll('#year-tabs button')[1].click()")
        assert page.eval(shown) == [False, True]
        moved2 = page.eval("document.querySelector('#y2-moved .value').textContent")
        assert moved2 == str(info["per_year"][1]["moved"])
        rows2 = page.eval("document.querySelectorAll('#moves-y2 tbody tr').length")
        assert rows2 == info["per_year"][1]["moved"]
        links = page.eval(
            "Array.from(document.querySelectorAll('[data-panel=year-tabs] a')).map(a => a.href)"
        )
        assert links == [(plan / f"year{y}" / "report.html").as_uri() for y in (1, 2)]
        assert all((plan / f"year{y}" / "report.html").is_file() for y in (1, 2))
        assert page.errors() == []
        assert [u for u in page.requests() if not u.startswith(("file:", "data:"))] == []
        page.close()


def test_horizon_handoff_in_chinese(tmp_path: Path):
    """[output] lang = "zh": Chinese sheet names and headers in the top-level workbook and a
    Chinese report (学年, 覆盖率) with no English table header."""
    out = _plan(tmp_path, '[output]\nlang = "zh"\n')
    wb = openpyxl.load_workbook(out / "plan.xlsx")
    assert wb.sheetnames == ["概况", "各学年", "交流名单（第1学年）", "交流名单（第2学年）"]
    for ws in wb.worksheets:
        for c in ws[1]:
            assert CJK.search(str(c.value)), (ws.title, c.value)
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "各学年覆盖率" in page and "第2学年" in page and 'lang="zh-CN"' in page
    for h in re.findall(r"<th(?:\s[^>]*)?>(.*?)</th>", page):
        assert not re.search(r"[A-Za-z]{2,}", h), h
