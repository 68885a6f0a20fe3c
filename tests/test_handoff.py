"""plan.xlsx, report.html, `lungang report`, `lungang template` and the [output] keys."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from chromium import Browser
from click.testing import CliRunner

from solver.cli import main
from solver.input.loaders import STAFF_COLUMNS, TABLES, load_district

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "scenarios" / "demo.toml"
HOSTILE_SCHOOL = '=HYPERLINK("http://x","y")'
HOSTILE_PERSON = "<img src=x onerror=alert(1)>"
HOSTILE_ZONE = "@SUM(1+1)"
CJK = re.compile(r"[\u4e00-\u9fff]")


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def hostile_scenario(tmp_path: Path, extra: str = "") -> Path:
    """The demo district with hostile names (a formula school, an HTML person), and its
    scenario in tmp_path."""
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data" / "demo", data)
    schools = pd.read_csv(data / "schools.csv", dtype=str, keep_default_na=False)
    schools.loc[schools["school_id"] == "S02", "name"] = HOSTILE_SCHOOL
    schools.loc[schools["school_id"] == "S02", "group"] = HOSTILE_ZONE
    schools.to_csv(data / "schools.csv", index=False)
    staff = pd.read_csv(data / "staff.csv", dtype=str, keep_default_na=False)
    staff.loc[staff["staff_id"] == "E021", "name"] = HOSTILE_PERSON  # moves in the demo plan
    staff.to_csv(data / "staff.csv", index=False)
    text = DEMO.read_text(encoding="utf-8").replace(
        'data = "../data/demo"', f'data = "{data.as_posix()}"'
    )
    if extra:  # the demo's own [output] section is its last: replace it
        text = text.split("\n[output]")[0]
    f = tmp_path / "scenario.toml"
    f.write_text(text + extra, encoding="utf-8")
    return f


@pytest.fixture(scope="module")
def plan(tmp_path_factory) -> Path:
    """The hostile demo solved to optimality, with plan.xlsx and report.html."""
    tmp = tmp_path_factory.mktemp("handoff")
    sc = hostile_scenario(tmp)
    out = tmp / "plan"
    r = run("solve", str(sc), "--out", str(out))
    assert r.exit_code == 0, r.output
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["status"] == "optimal"
    r = run("validate", str(sc), str(out))
    assert r.exit_code == 0, r.output
    return out


def sheet_frame(ws) -> pd.DataFrame:
    rows = list(ws.iter_rows(values_only=True))
    return pd.DataFrame(rows[1:], columns=rows[0])


def test_plan_folder_holds_workbook_and_report(plan: Path):
    """A solve writes plan.xlsx and report.html next to the CSVs, and nothing temporary."""
    names = sorted(p.name for p in plan.iterdir())
    assert {"plan.xlsx", "report.html", "assignments.csv", "summary.json"} <= set(names)
    assert not [n for n in names if n.startswith(".")]
    assert not [p for p in plan.parent.iterdir() if p.name.startswith(".")]


def test_workbook_matches_the_csvs(plan: Path):
    """Every sheet's figures equal the plan's CSV and JSON files; school names on both sides."""
    wb = openpyxl.load_workbook(plan / "plan.xlsx")
    assert wb.sheetnames == [
        "summary",
        "assignments",
        "schools",
        "coefficients",
        "terms",
        "rules",
        "people",
    ]
    csv = pd.read_csv(plan / "assignments.csv", dtype=str, keep_default_na=False)
    xl = sheet_frame(wb["assignments"])
    assert xl["staff_id"].tolist() == csv["staff_id"].tolist()
    assert xl["to_school"].tolist() == csv["to_school"].tolist()
    assert xl["moved"].tolist() == (csv["moved"] == "true").tolist()
    assert xl["distance_km"].tolist() == pytest.approx(csv["distance_km"].astype(float).tolist())
    district = load_district(plan.parent / "data", as_of=dt.date(2025, 9, 1))
    names = district.schools["name"]
    assert xl["from_name"].tolist() == names.reindex(xl["from_school"]).tolist()
    assert xl["to_name"].tolist() == names.reindex(xl["to_school"]).tolist()
    assert xl["name"].tolist() == district.staff["name"].reindex(xl["staff_id"]).tolist()

    schools = pd.read_csv(plan / "schools.csv", dtype={"school_id": str}).set_index("school_id")
    xs = sheet_frame(wb["schools"]).set_index("school_id")
    assert xs.index.tolist() == schools.index.tolist()
    for col in schools.columns:
        if pd.api.types.is_numeric_dtype(schools[col]):
            assert xs[col].astype(float).tolist() == pytest.approx(schools[col].tolist()), col
    ratio = schools["students"] / schools["teachers_after"]
    assert xs["students_per_teacher_after"].tolist() == pytest.approx(ratio.tolist())

    summary = json.loads((plan / "summary.json").read_text(encoding="utf-8"))
    coef = sheet_frame(wb["coefficients"])
    assert len(coef) == 6
    for _, r in coef.iterrows():
        want = summary["coefficients"][r["indicator"]][r["level"]]
        assert r["cv_before"] == pytest.approx(want["before"])
        assert r["cv_after"] == pytest.approx(want["after"])
        assert r["max_cv"] == {"primary": 0.5, "junior": 0.45}[r["level"]]
        assert r["meets_after"] == (want["after"] <= r["max_cv"])
    terms = sheet_frame(wb["terms"]).set_index("term")
    for t, v in summary["terms"].items():
        assert terms.loc[t, "value"] == pytest.approx(v["value"])
    explain = json.loads((plan / "explain.json").read_text(encoding="utf-8"))
    rules = sheet_frame(wb["rules"])
    assert rules["rule"].tolist() == [r["rule"] for r in explain["rules"]]
    people = sheet_frame(wb["people"])
    assert people["staff_id"].tolist() == [p["staff_id"] for p in explain["people"]]
    moved = {p["staff_id"]: p["to_school"] for p in explain["people"] if p["moved"]}
    for _, r in people.iterrows():
        if r["staff_id"] in moved:
            assert r["decision"].startswith(f"moves to {moved[r['staff_id']]}")
        else:
            assert r["decision"] == "stays"
        assert r["reasons"]


def test_workbook_sheets_are_frozen_filtered_and_formula_free(plan: Path):
    """Header frozen and filtered on every sheet; no cell anywhere is a formula."""
    wb = openpyxl.load_workbook(plan / "plan.xlsx")
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2", ws.title
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:"), ws.title
        assert ws.column_dimensions["A"].width > 6
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
    with zipfile.ZipFile(plan / "plan.xlsx") as z:
        for n in z.namelist():
            if n.startswith("xl/worksheets/"):
                assert "<f>" not in z.read(n).decode("utf-8") and "<f " not in z.read(n).decode()


def test_hostile_names_are_text_cells(plan: Path):
    """A formula-like school name and an HTML person name are plain text in the workbook."""
    wb = openpyxl.load_workbook(plan / "plan.xlsx")
    found = {HOSTILE_SCHOOL: 0, HOSTILE_PERSON: 0, HOSTILE_ZONE: 0}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.value in found:
                    assert c.data_type == "s"
                    found[c.value] += 1
    assert found[HOSTILE_SCHOOL] >= 3  # schools sheet, and both sides of assignments
    assert found[HOSTILE_PERSON] >= 2  # assignments and people
    assert found[HOSTILE_ZONE] == 1


def test_schools_below_standard_are_highlighted(plan: Path):
    """Exactly the indicator cells under the national standard value are filled."""
    from solver.rules.indicators import STANDARD_MIN

    ws = openpyxl.load_workbook(plan / "plan.xlsx")["schools"]
    head = [c.value for c in ws[1]]
    highlighted = below = 0
    for row in ws.iter_rows(min_row=2):
        level = row[head.index("level")].value
        for ind, std in STANDARD_MIN.items():
            need = max(std.values()) if level == "nine_year" else std[level]
            for side in ("before", "after"):
                c = row[head.index(f"{ind}_{side}")]
                low = c.value < need - 1e-12
                filled = c.fill.fgColor.rgb == "00F8CBAD"
                assert low == filled, (ind, side, c.value)
                below += low
                highlighted += filled
    assert below > 0 and highlighted == below


def test_report_is_self_contained_and_escaped(plan: Path):
    """report.html refers to nothing outside itself and escapes every input string."""
    page = (plan / "report.html").read_text(encoding="utf-8")
    assert HOSTILE_PERSON not in page and "<img" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert html_escaped(HOSTILE_SCHOOL) in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "@import" not in page and "<link" not in page
    assert re.findall(r"url\(([^)]*)\)", page) and all(
        u.startswith("#") for u in re.findall(r"url\(([^)]*)\)", page)
    )
    assert (plan / "report.html").stat().st_size < 2_000_000


def html_escaped(s: str) -> str:
    import html

    return html.escape(s, quote=True)


def test_report_renders_in_chromium(plan: Path):
    """Headless Chromium shows the demo's figures, runs the sorting script without an
    error, injects no element from a name, and requests nothing but the file."""
    summary = json.loads((plan / "summary.json").read_text(encoding="utf-8"))
    counts = summary["counts"]
    with Browser() as b:
        page = b.open((plan / "report.html").as_uri())
        assert page.eval("document.body.getAttribute('data-ready')") == "1"
        assert page.eval("document.querySelector('#kpi-eligible .value').textContent") == str(
            counts["eligible"]
        )
        assert page.eval("document.querySelector('#kpi-moved .value').textContent") == str(
            counts["moved"]
        )
        coef = page.eval(
            "Array.from(document.querySelectorAll('table.coef tbody tr'))"
            ".map(r => Array.from(r.cells).map(c => c.textContent))"
        )
        key_primary = summary["coefficients"]["key_per_100"]["primary"]
        assert ["key teachers", "primary", f"{key_primary['before']:.3f}"] == coef[2][:3]
        assert coef[2][3] == f"{key_primary['after']:.3f}"
        assert page.eval("document.querySelectorAll('img, iframe').length") == 0
        assert page.eval("document.querySelectorAll('#map circle').length") == 12
        n_rows = page.eval("document.querySelectorAll('#schools tbody tr').length")
        assert n_rows == counts["schools"]
        # sort the school table by students, descending (two clicks)
        page.eval("document.querySelectorAll('#schools th')[5].click()")
        page.eval("document.querySelectorAll('#schools th')[5].click()")
        students = page.eval(
            "Array.from(document.querySelectorAll('#schools tbody tr'))"
            ".map(r => Number(r.cells[5].getAttribute('data-v')))"
        )
        assert students == sorted(students, reverse=True) and len(set(students)) > 1
        # switch the chart to another indicator
        page.eval("document.querySelectorAll('#chart-tabs button')[1].click()")
        shown = page.eval(
            "Array.from(document.querySelectorAll('[data-panel=chart-tabs]'))"
            ".map(p => p.style.display !== 'none')"
        )
        assert shown == [False, True, False]
        assert page.errors() == []
        assert [u for u in page.requests() if not u.startswith(("file:", "data:"))] == []
        page.close()


def test_report_lang_zh_has_no_english_header(plan: Path, tmp_path: Path):
    """`lungang report --lang zh`: Chinese sheet names, headers and report text."""
    zh = tmp_path / "zh"
    shutil.copytree(plan, zh)
    r = run("report", str(zh), "--lang", "zh")
    assert r.exit_code == 0, r.output
    wb = openpyxl.load_workbook(zh / "plan.xlsx")
    assert wb.sheetnames == ["概况", "交流名单", "学校", "差异系数", "目标项", "规则", "人员说明"]
    for ws in wb.worksheets:
        for c in ws[1]:
            assert CJK.search(str(c.value)), (ws.title, c.value)
    a = sheet_frame(wb["交流名单"])
    assert a.columns[:3].tolist() == ["工号", "姓名", "岗位"]
    assert "姓名" in [c.value for c in wb["人员说明"][1]]
    assert set(a["交流类别"]) <= {"干部", "骨干教师", "普通教师"}
    assert set(a["是否交流"]) == {"是", "否"}
    page = (zh / "report.html").read_text(encoding="utf-8")
    assert "差异系数" in page and "骨干教师" in page and 'lang="zh-CN"' in page
    heads = re.findall(r"<th(?:\s[^>]*)?>(.*?)</th>", page)
    assert heads
    for h in heads:
        assert not re.search(r"[A-Za-z]{2,}", h), h
    # English CSVs are untouched by a report rewrite
    assert (zh / "assignments.csv").read_bytes() == (plan / "assignments.csv").read_bytes()


def test_report_rewrite_is_atomic(plan: Path, tmp_path: Path, monkeypatch):
    """A failing report leaves the old plan.xlsx and report.html as they were."""
    folder = tmp_path / "p"
    shutil.copytree(plan, folder)
    before = {n: (folder / n).read_bytes() for n in ("plan.xlsx", "report.html")}
    import solver.output.handoff

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(solver.output.handoff, "write_report", boom)
    with pytest.raises(RuntimeError):
        CliRunner().invoke(main, ["report", str(folder), "--lang", "zh"], catch_exceptions=False)
    assert {n: (folder / n).read_bytes() for n in before} == before
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in plan.iterdir())


def test_report_of_a_folder_that_is_not_a_plan(tmp_path: Path):
    """An empty folder is bad input (exit 2) and gets nothing written."""
    r = run("report", str(tmp_path))
    assert r.exit_code == 2
    assert "not a plan folder" in r.output
    assert list(tmp_path.iterdir()) == []


def test_diagnosis_folder_gets_a_diagnosis_sheet(tmp_path: Path):
    """An infeasible scenario's diagnosis.json becomes a workbook and a report."""
    sc = hostile_scenario(tmp_path)
    text = sc.read_text(encoding="utf-8").replace(
        "teacher_rotation_min = 0.10 ", "teacher_rotation_min = 0.60 "
    )
    sc.write_text(text, encoding="utf-8")
    folder = tmp_path / "infeasible"
    folder.mkdir()
    r = run(
        "solve",
        str(sc),
        "--out",
        str(tmp_path / "none"),
        "--diagnosis",
        str(folder / "diagnosis.json"),
    )
    assert r.exit_code == 3
    assert not (tmp_path / "none").exists()
    r = run("report", str(folder), "--scenario", str(sc))
    assert r.exit_code == 0, r.output
    wb = openpyxl.load_workbook(folder / "plan.xlsx")
    assert wb.sheetnames == ["summary", "diagnosis"]
    d = sheet_frame(wb["diagnosis"])
    assert "teacher_rotation_min" in " ".join(d["rule"])
    assert "quotas.teacher_rotation_min" in d["rule"].tolist()
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert "Why no plan exists" in page and "teacher_rotation_min" in page


def test_output_keys_lang_and_csv_encoding(tmp_path: Path):
    """[output] lang = "zh" and csv_encoding = "gb18030": GB18030 CSVs that the plan's
    readers still read, and a Chinese workbook and report."""
    sc = hostile_scenario(tmp_path, '\n[output]\nlang = "zh"\ncsv_encoding = "gb18030"\n')
    out = tmp_path / "plan"
    r = run("solve", str(sc), "--out", str(out))
    assert r.exit_code == 0, r.output
    raw = (out / "assignments.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    a = pd.read_csv(out / "assignments.csv", encoding="gb18030", dtype=str)
    assert HOSTILE_PERSON in set(a["name"]) and a.columns[0] == "staff_id"
    r = run("validate", str(sc), str(out))
    assert r.exit_code == 0, r.output
    assert openpyxl.load_workbook(out / "plan.xlsx").sheetnames[0] == "概况"
    assert "差异系数" in (out / "report.html").read_text(encoding="utf-8")
    r = run("eligible", str(sc), "--out", str(tmp_path / "eligible.csv"))
    assert r.exit_code == 0, r.output
    el = (tmp_path / "eligible.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        el.decode("utf-8")
    assert "陈瑶" in el.decode("gb18030")


def test_utf8_sig_csv_has_a_bom(tmp_path: Path):
    """csv_encoding = "utf-8-sig" starts every CSV with the BOM Excel looks for."""
    sc = hostile_scenario(tmp_path, '\n[output]\ncsv_encoding = "utf-8-sig"\n')
    out = tmp_path / "plan"
    assert run("solve", str(sc), "--out", str(out)).exit_code == 0
    for f in ("assignments.csv", "schools.csv"):
        assert (out / f).read_bytes().startswith(b"\xef\xbb\xbf")
    assert run("validate", str(sc), str(out)).exit_code == 0


def test_output_key_is_validated(tmp_path: Path):
    """A misspelt or unknown [output] value is bad input naming the key."""
    sc = hostile_scenario(tmp_path, '\n[output]\nlangg = "zh"\n')
    r = run("check", str(sc))
    assert r.exit_code == 2 and "langg" in r.output and "lang" in r.output
    sc.write_text(sc.read_text().replace('langg = "zh"', 'csv_encoding = "latin1"'))
    r = run("check", str(sc))
    assert r.exit_code == 2 and "csv_encoding" in r.output


# --------------------------------------------------------------------------- template


CODE_COLUMNS = ("level", "locality", "tier", "role", "subject", "key_level", "title")


def drop_downs(ws) -> dict[str, str]:
    """Column letter -> list source of every drop-down of a sheet (from row 2 down)."""
    out = {}
    for dv in ws.data_validations.dataValidation:
        assert dv.type == "list"
        for rng in dv.sqref.ranges:
            assert rng.min_row == 2 and rng.max_row >= 10_000 and rng.min_col == rng.max_col
            out[openpyxl.utils.get_column_letter(rng.min_col)] = dv.formula1
    return out


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_template_has_sheets_dropdowns_and_notes(tmp_path: Path, lang: str):
    """One sheet per table with headers, drop-downs for every code list and the staff
    sheet's school ids, a notes sheet; the template with its sample rows loads."""
    f = tmp_path / "t.xlsx"
    r = run("template", str(f), "--lang", lang)
    assert r.exit_code == 0, r.output
    wb = openpyxl.load_workbook(f)
    names = [s.sheets[1] if lang == "zh" else s.sheets[0] for s in TABLES]
    assert wb.sheetnames[: len(names)] == names
    staff = wb[names[1]]
    heads = [c.value for c in staff[1]]
    col_of = {}
    for c in STAFF_COLUMNS:
        h = next((a for a in c.aliases if CJK.search(a)), c.name) if lang == "zh" else c.name
        if h in heads:
            col_of[c.name] = openpyxl.utils.get_column_letter(heads.index(h) + 1)
    validated = drop_downs(staff)
    for name in ("role", "subject", "key_level", "title", "school_id"):
        assert col_of[name] in validated, name
    assert "$A$2" in validated[col_of["school_id"]]
    schools = wb[names[0]]
    sh = [c.value for c in schools[1]]
    s_valid = drop_downs(schools)
    for name in ("level", "locality", "tier"):
        h = (
            name
            if lang == "en"
            else {"level": "学段", "locality": "城乡类型", "tier": "办学水平"}[name]
        )
        assert openpyxl.utils.get_column_letter(sh.index(h) + 1) in s_valid
    notes = wb["填写说明" if lang == "zh" else "notes"]
    noted = {r[1] for r in notes.iter_rows(min_row=3, values_only=True)}
    assert set(heads) <= noted
    d = load_district(f, as_of=dt.date(2025, 9, 1))
    assert d.schools.index.tolist() == ["S001"] and d.staff.index.tolist() == ["T0001"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_template_filled_with_the_demo_loads_as_the_demo(tmp_path: Path, lang: str):
    """The demo district typed into the template (codes as its drop-downs offer them)
    loads without edits and equals the demo loaded from its CSVs."""
    from solver.output.i18n import code_list

    def offered(kind: str, v: str) -> str:  # the value as the template's drop-down offers it
        return dict(zip(code_list(kind, "en"), code_list(kind, lang), strict=True))[v]

    f = tmp_path / "t.xlsx"
    assert run("template", str(f), "--lang", lang).exit_code == 0
    wb = openpyxl.load_workbook(f)
    as_of = dt.date(2025, 9, 1)
    demo = load_district(ROOT / "data" / "demo", as_of=as_of)
    kinds = {c: c for c in CODE_COLUMNS}
    for spec in TABLES[:2]:
        ws = wb[spec.sheets[1] if lang == "zh" else spec.sheets[0]]
        heads = [c.value for c in ws[1]]
        name_of = {}
        for col in spec.columns:
            h = (
                next((a for a in col.aliases if CJK.search(a)), col.name)
                if lang == "zh"
                else col.name
            )
            if h in heads:
                name_of[heads.index(h)] = col
        rows = pd.read_csv(ROOT / "data" / "demo" / spec.file, dtype=str, keep_default_na=False)
        ws.delete_rows(2, ws.max_row)
        for i, rec in enumerate(rows.to_dict("records"), start=2):
            for j, col in name_of.items():
                v = rec.get(col.name, "")
                if v == "":
                    continue
                if col.name in kinds:
                    v = offered(kinds[col.name], v)
                elif col.kind == "date":
                    v = dt.date.fromisoformat(v)
                elif col.kind in ("int", "float"):
                    v = float(v) if col.kind == "float" else int(v)
                elif col.kind == "bool":
                    v = offered("bool", v)
                ws.cell(i, j + 1, v)
    for spec in TABLES[2:]:  # no demand or pins: drop the sample rows
        wb[spec.sheets[1] if lang == "zh" else spec.sheets[0]].delete_rows(2, 10)
    wb.save(f)
    got = load_district(f, as_of=as_of)
    pd.testing.assert_frame_equal(got.schools, demo.schools)
    pd.testing.assert_frame_equal(got.staff, demo.staff)


def test_indicators_tables_in_chinese(plan: Path):
    """`lungang indicators --lang zh` titles and headers are Chinese; English stays the default."""
    sc = plan.parent / "scenario.toml"
    zh = CliRunner().invoke(
        main, ["indicators", str(sc), "--plan", str(plan), "--lang", "zh"], terminal_width=200
    )
    assert zh.exit_code == 0, zh.output
    assert "校际差异系数" in zh.output and "骨干教师" in zh.output and "交流后" in zh.output
    for english in ("indicator", "CV before", "below std", "pupils/teacher", "schools per 100"):
        assert english not in zh.output
    en = CliRunner().invoke(main, ["indicators", str(sc), "--plan", str(plan)], terminal_width=200)
    assert "difference coefficients" in en.output and "CV before" in en.output


HOSTILE = [
    "=1+1",
    "+SUM(A1:A9)",
    "-2+3",
    "@cmd",
    "=cmd|' /C calc'!A0",
    '<script>alert("x")</script>',
    "a&b<c>'\"",
]


def test_hand_written_district_with_hostile_names(tmp_path: Path, tiny_dir: Path):
    """The hand-written tiny district with every school and several people renamed to
    formula and HTML payloads: an optimal, valid plan whose workbook holds them as text
    cells only and whose report escapes them all."""
    import html

    from builders import scenario

    from solver.analysis.explain import explain_result
    from solver.output.plan_folder import write_plan
    from solver.search.solve import solve
    from solver.validate import validate_plan

    data = tmp_path / "tiny"
    shutil.copytree(tiny_dir, data)
    s = pd.read_csv(data / "schools.csv", dtype=str, keep_default_na=False)
    s["name"] = HOSTILE[: len(s)]
    s.to_csv(data / "schools.csv", index=False)
    st = pd.read_csv(data / "staff.csv", dtype=str, keep_default_na=False)
    st.loc[: len(HOSTILE) - 1, "name"] = HOSTILE  # the first seven staff
    st.to_csv(data / "staff.csv", index=False)
    d = load_district(data, as_of=dt.date(2025, 9, 1))
    sc = scenario(quotas={"teacher_rotation_min": 0.3}, staffing={"subject_tolerance": 1})
    result = solve(d, sc)
    assert result.status.value == "optimal"
    assert validate_plan(d, sc, result.assignments) == []
    assert result.assignments["moved"].sum() > 0
    out = write_plan(d, sc, result, tmp_path / "plan", explain=explain_result(d, sc, result))
    wb = openpyxl.load_workbook(out / "plan.xlsx")
    seen = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
                if c.value in HOSTILE:
                    assert c.data_type == "s"
                    seen.add(c.value)
    assert seen == set(HOSTILE)
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "<script>alert" not in page and "<c>" not in page
    a = result.assignments
    shown = set(HOSTILE[: len(s)]) | set(a.loc[a["moved"].astype(bool), "name"]) & set(HOSTILE)
    assert len(shown) > len(s)  # the schools and at least one person who moves
    for name in shown:
        assert html.escape(name, quote=True) in page, name
    assert len(re.findall(r"<script>", page)) == 1  # the report's own sorting script
