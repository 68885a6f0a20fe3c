"""Forms of rotation (``[forms]``): part-time service, coverage, guidance, post filling.

The acceptance case is ``tests/data/forms_county``: a hand-written county (9 schools,
82 staff, not made by the generator) whose rural schools have no music or art teacher
and two of them no PE teacher either.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from solver.cli import main
from solver.errors import InputError
from solver.input.geo import haversine_km
from solver.input.loaders import load_district
from solver.input.scenario import parse_scenario
from solver.plan.result import SolveStatus
from solver.rules.forms import weak_subjects
from solver.search.solve import solve
from solver.validate import validate_plan, validate_plan_dir

COUNTY = Path(__file__).parent / "data" / "forms_county"
ROOT = Path(__file__).resolve().parents[1]
AS_OF = "2025-09-01"


def _toml(
    tmp_path: Path,
    name: str,
    forms: str = "",
    extra: str = "",
    data: Path = COUNTY,
    indicator: str = "pe_art_per_100",
) -> Path:
    """A scenario file for the county: its quotas, PE/art balance, deterministic work limit."""
    text = f"""
[scenario]
name = "{name}"
as_of = {AS_OF}
data = "{data.resolve().as_posix()}"

[quotas]
school_outflow_max = 0.25

[balance]
indicator = "{indicator}"

[solver]
workers = 1
work_limit = 60
{extra}
{forms}
"""
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _solve_cli(scenario: Path, out: Path) -> CliRunner:
    r = CliRunner().invoke(main, ["solve", str(scenario), "--out", str(out)])
    return r


def _cv(weights: np.ndarray, values: np.ndarray) -> float:
    """The student-weighted coefficient of variation, written out here on its own."""
    w = weights / weights.sum()
    mean = float(w @ values)
    return math.sqrt(float(w @ (values - mean) ** 2)) / mean


def _pe_art_cv_primary(schools: pd.DataFrame, staff: pd.DataFrame, shares: pd.DataFrame) -> float:
    """PE/art teacher-equivalents per 100 students, primary level, from the raw tables."""
    pe_art = staff[(staff["role"] == "teacher") & staff["subject"].isin(["pe", "music", "art"])]
    count = pe_art.groupby("school_id").size().reindex(schools.index, fill_value=0).astype(float)
    for r in shares.itertuples(index=False):
        if r.subject in ("pe", "music", "art"):
            count[r.to_school] += r.share
            count[r.home_school] -= r.share
    students = schools["students"].astype(float)
    primary = students.where(schools["level"] != "junior", 0.0)
    primary = primary.where(schools["level"] != "nine_year", students - schools["junior_students"])
    keep = primary > 0
    return _cv(primary[keep].to_numpy(), (100 * count / students)[keep].to_numpy())


# ------------------------------------------------------------------------- acceptance


def test_county_part_time_covers_music_art_pe_and_lowers_the_pe_art_coefficient(tmp_path):
    """Acceptance: with part_time and coverage of music, art and PE every school has ≥ 0.2
    of each, no teacher gives more than 0.4 or serves more than two schools, every trip is
    within max_km, the validator passes, and the PE/art coefficient falls against the plan
    without part-time service."""
    base = _toml(tmp_path, "county_base")
    forms = _toml(
        tmp_path,
        "county_forms",
        '[forms]\npart_time = true\ncoverage_subjects = ["music", "art", "pe"]\n',
    )
    r0 = _solve_cli(base, tmp_path / "base")
    r1 = _solve_cli(forms, tmp_path / "forms")
    assert r0.exit_code == 0, r0.output
    assert r1.exit_code == 0, r1.output

    sc = parse_scenario(
        {
            "scenario": {"name": "x", "as_of": AS_OF, "data": str(COUNTY)},
            "quotas": {"school_outflow_max": 0.25},
            "balance": {"indicator": "pe_art_per_100"},
            "forms": {"part_time": True, "coverage_subjects": ["music", "art", "pe"]},
        }
    )
    district = load_district(COUNTY, as_of=sc.as_of)
    assert validate_plan_dir(tmp_path / "forms", district, sc) == []

    schools = pd.read_csv(COUNTY / "schools.csv", dtype={"school_id": str}).set_index("school_id")
    staff = pd.read_csv(COUNTY / "staff.csv", dtype=str, keep_default_na=False).set_index(
        "staff_id"
    )
    pt = pd.read_csv(tmp_path / "forms" / "part_time.csv", dtype={"staff_id": str})
    a = pd.read_csv(tmp_path / "forms" / "assignments.csv", dtype=str).set_index("staff_id")
    assert len(pt) > 0 and set(pt["form"]) == {"part_time"}
    assert not (tmp_path / "base" / "part_time.csv").exists()

    # Nobody who shares their week also moves full time; the county's full-time moves
    # keep every subject's head count, so the shares alone change coverage.
    assert not a.loc[a.index.intersection(pt["staff_id"]), "moved"].eq("true").any()
    tea = staff[staff["role"] == "teacher"]
    for subj in ("music", "art", "pe"):
        have = tea[tea["subject"] == subj].groupby("school_id").size()
        have = have.reindex(schools.index, fill_value=0).astype(float)
        rows = pt[pt["subject"] == subj]
        have = have.add(rows.groupby("to_school")["share"].sum(), fill_value=0)
        have = have.sub(rows.groupby("home_school")["share"].sum(), fill_value=0)
        assert (have >= 0.2 - 1e-9).all(), (subj, have[have < 0.2])
    # the rural schools started with no music and no art teacher at all
    rural = schools.index[schools["locality"] == "rural"]
    assert not tea[tea["school_id"].isin(rural)]["subject"].isin(["music", "art"]).any()

    per_teacher = pt.groupby("staff_id").agg(
        share=("share", "sum"), schools=("to_school", "nunique")
    )
    assert (per_teacher["share"] <= 0.4 + 1e-9).all()
    assert (per_teacher["schools"] <= 2).all()
    assert (np.round(pt["share"] * 10) == pt["share"] * 10).all()
    home = staff.loc[pt["staff_id"], "school_id"].to_numpy()
    km = haversine_km(
        schools.loc[home, "lat"].to_numpy(),
        schools.loc[home, "lon"].to_numpy(),
        schools.loc[pt["to_school"], "lat"].to_numpy(),
        schools.loc[pt["to_school"], "lon"].to_numpy(),
    )
    assert (km <= 15.0 + 1e-9).all()
    assert np.allclose(km, pt["distance_km"], atol=1e-3)

    s0 = json.loads((tmp_path / "base" / "summary.json").read_text(encoding="utf-8"))
    s1 = json.loads((tmp_path / "forms" / "summary.json").read_text(encoding="utf-8"))
    cv_base = s0["coefficients"]["pe_art_per_100"]["primary"]["after"]
    cv_forms = s1["coefficients"]["pe_art_per_100"]["primary"]["after"]
    # both values recomputed here from the raw tables and the plan's shares
    empty = pt.iloc[0:0]
    assert cv_base == pytest.approx(_pe_art_cv_primary(schools, staff, empty), abs=1e-9)
    assert cv_forms == pytest.approx(_pe_art_cv_primary(schools, staff, pt), abs=1e-9)
    # without part-time no PE/art teacher can go where no post of the subject is (the
    # head counts hold): the coefficient stays where it was; with it, it falls by half
    assert cv_base == pytest.approx(s0["coefficients"]["pe_art_per_100"]["primary"]["before"])
    assert cv_forms < 0.5 * cv_base
    # the figures of docs/forms.md: the data's coefficient, and the proven optimum's
    assert s1["status"] == "optimal"
    assert cv_base == pytest.approx(0.3629, abs=1e-4)
    assert cv_forms == pytest.approx(0.1031, abs=1e-4)
    print(
        f"PE/art difference coefficient (primary): without part-time {cv_base:.4f}, "
        f"with part-time {cv_forms:.4f}"
    )
    assert s1["forms"]["part_time"]["teachers"] == pt["staff_id"].nunique()
    assert s1["forms"]["part_time"]["teacher_equivalents"] == pytest.approx(pt["share"].sum())
    # schools.csv counts teacher-equivalents: what the shares bring in and take out
    sch = pd.read_csv(tmp_path / "forms" / "schools.csv", dtype={"school_id": str})
    sch = sch.set_index("school_id")
    assert sch["shares_in"].sum() == pytest.approx(pt["share"].sum())
    assert sch["shares_out"].sum() == pytest.approx(pt["share"].sum())


def test_county_part_time_reports_and_explain_know_the_shares(tmp_path):
    """plan.xlsx has a part_time sheet, report.html a part-time section, explain.json says
    why each share is there, diff lists the shares one plan has and the other lacks."""
    from openpyxl import load_workbook

    forms = '[forms]\npart_time = true\ncoverage_subjects = ["music"]\n'
    r = _solve_cli(_toml(tmp_path, "f", forms), tmp_path / "f")
    assert r.exit_code == 0, r.output
    r = _solve_cli(_toml(tmp_path, "b"), tmp_path / "b")
    assert r.exit_code == 0, r.output
    pt = pd.read_csv(tmp_path / "f" / "part_time.csv", dtype=str)
    wb = load_workbook(tmp_path / "f" / "plan.xlsx", read_only=True)
    assert "part_time" in wb.sheetnames
    assert len(list(wb["part_time"].iter_rows())) == len(pt) + 1
    html = (tmp_path / "f" / "report.html").read_text(encoding="utf-8")
    assert 'id="part_time"' in html and pt["staff_id"].iat[0] in html
    ex = json.loads((tmp_path / "f" / "explain.json").read_text(encoding="utf-8"))
    reasons = {(s["staff_id"], s["to_school"]): s["reason"] for s in ex["forms"]["shares"]}
    assert len(reasons) == len(pt)
    # every rural primary has no music teacher: its one music share is what covers it
    for row in pt[pt["subject"] == "music"].itertuples():
        if row.to_school.startswith("R"):
            n = (pt["to_school"] == row.to_school) & (pt["subject"] == "music")
            if n.sum() == 1 and float(row.share) == 0.2:
                assert reasons[(row.staff_id, row.to_school)] == "coverage_subjects"
    t = CliRunner().invoke(main, ["explain", str(tmp_path / "f")])
    assert t.exit_code == 0, t.output
    assert f"part-time and guidance shares: {len(pt)}" in t.output
    assert "coverage_subjects: without it" in t.output
    d = CliRunner().invoke(
        main, ["diff", str(tmp_path / "b"), str(tmp_path / "f"), "--format", "json"]
    )
    assert d.exit_code == 0, d.output
    got = json.loads(d.output)["forms"]
    assert got["shares"] == {"a": 0, "b": len(pt)}
    assert len(got["only_b"]) == len(pt)
    zh = CliRunner().invoke(main, ["report", str(tmp_path / "f"), "--lang", "zh"])
    assert zh.exit_code == 0, zh.output
    assert "兼职交流与学科指导" in (tmp_path / "f" / "report.html").read_text(encoding="utf-8")


# ------------------------------------------------------------------------- coverage


def test_coverage_without_part_time_is_infeasible_and_names_school_subject_teachers(tmp_path):
    """coverage_subjects = ["music"] with part_time off: exit 3, the diagnosis names each
    rural school, music, the nearest music teachers who could serve it, and part_time as
    the change that helps."""
    out = tmp_path / "out"
    r = _solve_cli(_toml(tmp_path, "c", '[forms]\ncoverage_subjects = ["music"]\n'), out)
    assert r.exit_code == 3, r.output
    assert not out.exists()
    assert "school R01 must have at least 0.2 teacher-equivalents of music" in r.output
    # the nearest primary-level music teachers of R01: F014 and F015 of C01 (6.3 km)
    # before F029 of C02; F044 of the junior school C03 is nearer but of another level
    assert "nearest music teachers who could serve it: F014 at C01 (6.3 km)" in r.output
    assert "F044" not in r.output.split("R02")[0]
    assert "[forms] part_time = true" in r.output
    zh = CliRunner().invoke(
        main, ["--lang", "zh", "solve", str(tmp_path / "c.toml"), "--out", str(out)]
    )
    assert zh.exit_code == 3, zh.output
    assert "学校 R01 的music须至少有 0.2 名折合教师（全学科覆盖）" in zh.output


def test_coverage_diagnosis_names_the_commute_limit_when_shares_cannot_reach(tmp_path):
    """With part_time on but max_km 3 no music share reaches R01: the finding says so and
    the relaxation is a larger max_km."""
    sc = parse_scenario(
        {
            "scenario": {"name": "x", "as_of": AS_OF, "data": str(COUNTY)},
            "quotas": {"school_outflow_max": 0.25},
            "commute": {"max_km": 3.0},
            "forms": {"part_time": True, "coverage_subjects": ["music"]},
            "solver": {"workers": 1, "work_limit": 30},
        }
    )
    district = load_district(COUNTY, as_of=sc.as_of)
    res = solve(district, sc, raise_on_failure=False)
    assert res.status is SolveStatus.INFEASIBLE
    diag = res.diagnosis
    assert diag["method"] == "counting"
    f = next(x for x in diag["findings"] if x["schools"] == ["R01"])
    assert f["subjects"] == ["music"] and f["staff"][:2] == ["F014", "F015"]
    assert "from 0 teacher(s) within max_km 3" in f["text"]
    rel = {r["rule"]: r for r in diag["relaxations"]}
    assert rel["commute"]["suggested"] is not None and rel["commute"]["suggested"] > 3.0


def test_coverage_is_kept_by_full_time_moves_when_the_demand_allows(tmp_path):
    """Coverage without part-time: where demand.csv wants a PE teacher at R03 (none now)
    and fewer at C02, coverage_subjects = ["pe"] holds by a full-time move, and the
    validator passes."""
    data = tmp_path / "county"
    shutil.copytree(COUNTY, data)
    pd.DataFrame({"school_id": ["R03", "C02"], "subject": ["pe", "pe"], "required": [1, 1]}).to_csv(
        data / "demand.csv", index=False
    )
    sc = parse_scenario(
        {
            "scenario": {"name": "x", "as_of": AS_OF, "data": str(data)},
            "quotas": {"school_outflow_max": 0.25},
            "forms": {"coverage_subjects": ["pe"]},
            "staffing": {"subject_tolerance": 1},
            "solver": {"workers": 1, "work_limit": 30},
        }
    )
    district = load_district(data, as_of=sc.as_of)
    res = solve(district, sc, raise_on_failure=False)
    assert res.status.has_plan, res.message
    a = res.assignments
    for s in ("R03", "R05"):
        assert ((a["to_school"] == s) & a["moved"] & (a["subject"] == "pe")).sum() >= 1
    assert validate_plan(district, sc, a, part_time=res.part_time) == []


# ------------------------------------------------------------------------- validator


def _county_plan(tmp_path: Path) -> tuple[Path, object, object]:
    out = tmp_path / "plan"
    forms = '[forms]\npart_time = true\ncoverage_subjects = ["music", "art", "pe"]\n'
    r = _solve_cli(_toml(tmp_path, "v", forms), out)
    assert r.exit_code == 0, r.output
    sc = parse_scenario(
        {
            "scenario": {"name": "x", "as_of": AS_OF, "data": str(COUNTY)},
            "quotas": {"school_outflow_max": 0.25},
            "balance": {"indicator": "pe_art_per_100"},
            "forms": {"part_time": True, "coverage_subjects": ["music", "art", "pe"]},
        }
    )
    return out, sc, load_district(COUNTY, as_of=sc.as_of)


def test_validator_catches_shares_beyond_the_rules(tmp_path):
    """Tampered part_time.csv rows: too large a share, a trip beyond max_km, a teacher of
    another subject, a missing share (coverage) each give their violation."""
    out, sc, district = _county_plan(tmp_path)
    pt = pd.read_csv(out / "part_time.csv", dtype={"staff_id": str})
    a = pd.read_csv(out / "assignments.csv", dtype=str).set_index("staff_id")

    def rules(rows: pd.DataFrame) -> list[str]:
        return sorted({v.rule for v in validate_plan(district, sc, a, part_time=rows)})

    assert rules(pt) == []
    big = pt.copy()
    big.loc[0, "share"] = 0.5
    assert rules(big) == ["part_time"]
    sid, to = str(big.loc[0, "staff_id"]), str(big.loc[0, "to_school"])
    v = [x for x in validate_plan(district, sc, a, part_time=big) if x.rule == "part_time"]
    assert [x.staff for x in v] == [(sid,)]
    assert v[0].schools == tuple(sorted(set(pt.loc[pt["staff_id"] == sid, "to_school"])))
    odd = pt.copy()
    odd.loc[0, "share"] = 0.25
    assert "part_time" in rules(odd)
    v = [x for x in validate_plan(district, sc, a, part_time=odd) if x.rule == "part_time"]
    mine = [x for x in v if x.message.startswith(f"staff {sid} → {to}: ")]
    assert len(mine) == 1 and mine[0].staff == (sid,) and mine[0].schools == (to,)
    per = pt.groupby("staff_id")["to_school"].nunique()
    two = per.index[per == 2]
    assert len(two)  # the plan uses teachers' second schools
    row = pt[pt["staff_id"] == two[0]].iloc[[0]]
    served = set(pt.loc[pt["staff_id"] == two[0], "to_school"]) | {row["home_school"].iat[0]}
    other = next(s for s in ("R01", "R02", "R03", "R04", "R05", "R06") if s not in served)
    third = pd.concat([pt, row.assign(to_school=other)], ignore_index=True)
    msgs = [v.message for v in validate_plan(district, sc, a, part_time=third)]
    assert any("serves 3 other schools" in m for m in msgs)
    three = [x for x in validate_plan(district, sc, a, part_time=third) if "serves 3" in x.message]
    assert [(x.rule, x.staff) for x in three] == [("part_time", (two[0],))]
    assert three[0].schools == tuple(sorted(served - {row["home_school"].iat[0]} | {other}))
    math_teacher = pt.copy()
    math_teacher.loc[0, "staff_id"] = "F004"  # a chinese teacher
    assert "part_time" in rules(math_teacher)
    gone = pt[~((pt["to_school"] == "R01") & (pt["subject"] == "music"))]
    assert rules(gone) == ["coverage_subjects"]
    v = validate_plan(district, sc, a, part_time=gone)
    assert v[0].schools == ("R01",) and "music" in v[0].message
    tight = sc.model_copy(update={"commute": sc.commute.model_copy(update={"max_km": 6.0})})
    assert "part_time" in {x.rule for x in validate_plan(district, tight, a, part_time=pt)}


def test_validate_plan_dir_needs_part_time_csv_and_recounts_schools_csv(tmp_path):
    """A plan folder of a part-time scenario without part_time.csv fails plan_files; one
    whose schools.csv ignores the shares fails schools_table."""
    out, sc, district = _county_plan(tmp_path)
    (out / "part_time.csv").rename(tmp_path / "pt.csv")
    rules = {v.rule for v in validate_plan_dir(out, district, sc)}
    assert "plan_files" in rules and "schools_table" in rules and "coverage_subjects" in rules
    (tmp_path / "pt.csv").rename(out / "part_time.csv")
    assert validate_plan_dir(out, district, sc) == []
    info = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    info["forms"]["part_time"]["teacher_equivalents"] += 0.1
    (out / "summary.json").write_text(json.dumps(info), encoding="utf-8")
    broken = validate_plan_dir(out, district, sc)
    assert [v.rule for v in broken] == ["summary"] and "teacher_equivalents" in broken[0].message


# ------------------------------------------------------------------------- guidance


def test_weak_subjects_are_those_with_the_lowest_share_of_district_key_teachers():
    """R06 holds the county's one key chinese teacher: chinese is not weak there, its
    other taught subjects (share 0) are; C01 holds every key music teacher."""
    district = load_district(COUNTY, as_of=pd.Timestamp(AS_OF).date())
    weak = weak_subjects(district)
    assert not weak.at["R06", "chinese"] and weak.at["R06", "math"]
    assert not weak.at["C01", "music"] and weak.at["C01", "art"] is np.False_
    assert weak.at["R01", "chinese"] and not weak.at["R01", "music"]  # no music taught


def test_guidance_gives_key_shares_to_rural_or_weak_schools_and_lowers_the_key_cv(tmp_path):
    """guidance = true with key_per_100: key teachers give 0.2 to a weak subject of a rural
    or weak school; the validator passes and the key-teacher coefficient falls against
    the plan without guidance."""
    raw = {
        "scenario": {"name": "g", "as_of": AS_OF, "data": str(COUNTY)},
        "quotas": {"school_outflow_max": 0.25},
        "balance": {"indicator": "key_per_100"},
        "solver": {"workers": 1, "work_limit": 60},
    }
    district = load_district(COUNTY, as_of=pd.Timestamp(AS_OF).date())
    base = solve(district, parse_scenario(raw))
    sc = parse_scenario({**raw, "forms": {"guidance": True}})
    res = solve(district, sc)
    pt = res.part_time
    assert len(pt) and set(pt["form"]) == {"guidance"}
    assert (pt["share"] == 0.2).all()
    # one guided school per key teacher, though their 0.4 would allow two guidances
    assert pt.groupby("staff_id").size().max() == 1
    row = pt.iloc[[0]]
    towns = district.schools
    other = next(
        s
        for s in towns.index
        if s != row["to_school"].iat[0]
        and (towns.at[s, "locality"] == "rural" or towns.at[s, "tier"] == "weak")
    )
    two = pd.concat([pt, row.assign(to_school=other)], ignore_index=True)
    v = [
        x
        for x in validate_plan(district, sc, res.assignments, part_time=two)
        if "guides" in x.message
    ]
    assert [(x.rule, x.staff) for x in v] == [("part_time", (row["staff_id"].iat[0],))]
    assert v[0].message.endswith("guides 2 schools, guidance goes to one")
    assert v[0].schools == tuple(sorted({row["to_school"].iat[0], other}))
    weak = weak_subjects(district)
    sch = district.schools
    for r in pt.itertuples():
        assert sch.at[r.to_school, "locality"] == "rural" or sch.at[r.to_school, "tier"] == "weak"
        assert weak.at[r.to_school, r.subject]
        assert district.staff.at[r.staff_id, "key_level"] != "none"
    assert validate_plan(district, sc, res.assignments, part_time=pt) == []
    from solver.output.plan_folder import schools_table, side
    from solver.rules.indicators import coefficients

    cv0 = coefficients(district, side(schools_table(district, base.assignments), "after"))
    cv1 = coefficients(district, side(schools_table(district, res.assignments, pt), "after"))
    assert cv1["key_per_100"]["primary"] < cv0["key_per_100"]["primary"]


# ------------------------------------------------------------------------- post filling


def test_post_filling_moves_count_apart_from_the_rotation_quota(tmp_path):
    """C01 has one math teacher over its demand and R03 one under: with post_filling the
    move that fills R03 is marked post_filling and does not count towards
    teacher_rotation_min, so the quota needs other moves; the validator agrees."""
    data = tmp_path / "county"
    shutil.copytree(COUNTY, data)
    pd.DataFrame(
        {"school_id": ["C01", "R03"], "subject": ["math", "math"], "required": [2, 2]}
    ).to_csv(data / "demand.csv", index=False)
    raw = {
        "scenario": {"name": "p", "as_of": AS_OF, "data": str(data)},
        "quotas": {"school_outflow_max": 0.25, "teacher_rotation_min": 0.02},
        "solver": {"workers": 1, "work_limit": 60},
    }
    district = load_district(data, as_of=pd.Timestamp(AS_OF).date())
    sc = parse_scenario({**raw, "forms": {"post_filling": True}})
    res = solve(district, sc)
    a = res.assignments
    pf = a[a["post_filling"]]
    assert len(pf) == 1
    assert pf["from_school"].iat[0] == "C01" and pf["to_school"].iat[0] == "R03"
    assert pf["subject"].iat[0] == "math"
    # teacher_rotation_min 0.02 of the eligible teachers needs 2 rotations besides it
    n_t = int((a["role"] == "teacher").sum())
    need = math.ceil(0.02 * n_t)
    rotated = a[a["moved"] & ~a["post_filling"] & (a["role"] == "teacher")]
    assert len(rotated) >= need
    assert validate_plan(district, sc, a) == []
    # the rotations undone, the post-filling move alone does not meet the quota
    undone = a.copy()
    undone.loc[rotated.index, "to_school"] = undone.loc[rotated.index, "from_school"]
    undone.loc[rotated.index, "moved"] = False
    broken = {v.rule for v in validate_plan(district, sc, undone)}
    assert "teacher_rotation_min" in broken and "subject_staffing" not in broken


def test_post_filling_is_counted_in_the_summary(tmp_path):
    """summary.json's forms count post-filling moves apart from rotated ones."""
    data = tmp_path / "county"
    shutil.copytree(COUNTY, data)
    pd.DataFrame(
        {"school_id": ["C01", "R03"], "subject": ["math", "math"], "required": [2, 2]}
    ).to_csv(data / "demand.csv", index=False)
    # (balancing key teachers the cheapest plan fills R03 from C01 directly; balancing PE
    # and art it would send C01's teacher to C02 and C02's to R03: two rotations)
    forms = "[forms]\npost_filling = true\n"
    path = _toml(tmp_path, "p", forms, data=data, indicator="key_per_100")
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("[quotas]", "[quotas]\nteacher_rotation_min = 0.02"), "utf-8")
    r = _solve_cli(path, tmp_path / "o")
    assert r.exit_code == 0, r.output
    s = json.loads((tmp_path / "o" / "summary.json").read_text(encoding="utf-8"))
    a = pd.read_csv(tmp_path / "o" / "assignments.csv", dtype=str)
    assert s["forms"]["post_filling"] == int((a["post_filling"] == "true").sum()) == 1
    assert s["forms"]["rotated"] == s["counts"]["moved"] - 1


# ------------------------------------------------------------------------- scenario keys


@pytest.mark.parametrize(
    ("forms", "key", "words"),
    [
        ({"training_to_lead": -1}, "forms.training_to_lead", "greater than or equal"),
        ({"part_time_max_share": 0.45}, "forms.part_time_max_share", "multiple of 0.1"),
        ({"coverage_min": 1.5}, "forms.coverage_min", "share between 0 and 1"),
        ({"part_time_max_schools": 0}, "forms.part_time_max_schools", "greater than or equal"),
        ({"coverage_subjects": ["musik"]}, "forms.coverage_subjects", "music"),
        ({"part_tme": True}, "forms.part_tme", "did you mean 'forms.part_time'"),
    ],
)
def test_forms_keys_are_validated_with_the_key_named(forms, key, words):
    """Bad [forms] keys are refused, naming the key."""
    with pytest.raises(InputError) as err:
        parse_scenario({"scenario": {"name": "x", "data": "."}, "forms": forms})
    p = err.value.problems[0]
    assert p.key == key
    assert words in str(err.value)


def test_multi_year_plans_refuse_forms(tmp_path):
    """lungang plan with [forms] on: exit 2 naming every form switched on (the first as
    the key), nothing written."""
    forms = '[forms]\npart_time = true\ncoverage_subjects = ["music"]\n'
    path = _toml(tmp_path, "h", forms, extra="[horizon]\nyears = 2\n")
    r = CliRunner().invoke(main, ["plan", str(path), "--out", str(tmp_path / "h")])
    assert r.exit_code == 2, r.output
    assert "forms.part_time" in r.output
    assert (
        "[forms] part_time, coverage_subjects is not supported in multi-year plans yet" in r.output
    )
    assert not (tmp_path / "h").exists()


# ------------------------------------------------------------------------- unchanged


def test_demo_without_forms_and_with_default_forms_write_the_same_files(tmp_path):
    """A scenario whose [forms] holds only defaults plans exactly as one without [forms]:
    the same files, byte for byte (summary.json but its seconds), no part_time.csv."""
    demo = (ROOT / "scenarios" / "demo.toml").read_text(encoding="utf-8")
    demo = demo.replace('data = "../data/demo"', f'data = "{(ROOT / "data" / "demo").as_posix()}"')
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text(demo, encoding="utf-8")
    b.write_text(
        demo
        + '\n[forms]\npart_time = false\npart_time_subjects = ["pe", "music", "art"]\n'
        + "part_time_max_share = 0.4\npart_time_max_schools = 2\ncoverage_subjects = []\n"
        + "coverage_min = 0.2\nguidance = false\nguidance_share = 0.2\npost_filling = false\n"
        + "training_to_lead = 0\n",
        encoding="utf-8",
    )
    for s in (a, b):
        r = CliRunner().invoke(main, ["solve", str(s), "--out", str(tmp_path / s.stem)])
        assert r.exit_code == 0, r.output
    files_a = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert files_a == sorted(p.name for p in (tmp_path / "b").iterdir())
    assert "part_time.csv" not in files_a
    for f in ("assignments.csv", "schools.csv"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes()

    def summary(d: Path) -> dict:
        s = json.loads((d / "summary.json").read_text(encoding="utf-8"))
        for k in ("solve_seconds", "build_seconds"):
            s.pop(k)
        s["stats"].pop("deterministic_time", None)
        return s

    sa, sb = summary(tmp_path / "a"), summary(tmp_path / "b")
    assert sa == sb and "forms" not in sa and "forms" not in sa["scenario"]


def test_forms_outputs_are_documented(tmp_path):
    """Every file, column and key a [forms] plan folder adds is in docs/outputs.md."""
    from test_docs import undocumented

    forms = "[forms]\npart_time = true\nguidance = true\npost_filling = true\n"
    out = tmp_path / "f"
    r = _solve_cli(_toml(tmp_path, "d", forms, indicator="key_per_100"), out)
    assert r.exit_code == 0, r.output
    missing = undocumented(sorted(f.name for f in out.iterdir()), "The plan folder")
    missing += undocumented(pd.read_csv(out / "part_time.csv", nrows=0).columns, "`part_time.csv`")
    missing += undocumented(
        pd.read_csv(out / "assignments.csv", nrows=0).columns, "`assignments.csv`"
    )
    missing += undocumented(pd.read_csv(out / "schools.csv", nrows=0).columns, "`schools.csv`")
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    missing += undocumented([*s["forms"], *s["forms"]["part_time"]], "`summary.json`")
    e = json.loads((out / "explain.json").read_text(encoding="utf-8"))
    missing += undocumented([*e["forms"], *e["forms"]["shares"][0]], "`explain.json`")
    assert not missing, "undocumented:\n" + "\n".join(missing)
    assert {"part_time", "guidance"} >= set(pd.read_csv(out / "part_time.csv")["form"])


def test_no_share_is_there_for_nothing():
    """Balancing key teachers with part_time on and no coverage: only key teachers'
    shares change the balance, so only key teachers give shares (the tie-break)."""
    sc = parse_scenario(
        {
            "scenario": {"name": "t", "as_of": AS_OF, "data": str(COUNTY)},
            "quotas": {"school_outflow_max": 0.25},
            "balance": {"indicator": "key_per_100"},
            "forms": {"part_time": True},
            "solver": {"workers": 1, "work_limit": 60},
        }
    )
    district = load_district(COUNTY, as_of=sc.as_of)
    res = solve(district, sc)
    assert res.status is SolveStatus.OPTIMAL
    pt = res.part_time
    assert len(pt)
    assert (district.staff.loc[pt["staff_id"], "key_level"] != "none").all()
    assert validate_plan(district, sc, res.assignments, part_time=pt) == []


def test_warm_start_shares_keep_coverage():
    """Big models start from a plan of full-time moves: its hinted shares (the nearest
    part-time teacher with room gives what a school lacks) keep coverage_subjects, so
    the hint completes; without them it would not."""
    import numpy as np

    from solver.model.rotation import RotationModel
    from solver.search.engine import complete_hint

    sc = parse_scenario(
        {
            "scenario": {"name": "w", "as_of": AS_OF, "data": str(COUNTY)},
            "quotas": {"teacher_rotation_min": 0.0, "key_share_of_rotated_min": 0.0},
            "forms": {"part_time": True, "coverage_subjects": ["music", "art", "pe"]},
        }
    )
    district = load_district(COUNTY, as_of=sc.as_of)
    built = RotationModel(district, sc)
    stay = np.full(len(built.people), -1)
    built.add_hint(stay)
    assert complete_hint(built, 10.0)
    for v in built.forms.serve:  # the same plan hinted without any share
        built.model.add_hint(v, False)
    for y in built.forms.y:
        if y is not None:
            built.model.add_hint(y, 0)
    for var in built.stay:
        built.model.add_hint(var, True)
    for var in built.x:
        built.model.add_hint(var, False)
    assert not complete_hint(built, 10.0)


def test_placement_and_part_time_together_keep_every_rule(tmp_path):
    """The placement county under serial dictatorship with part_time on: the placed plan
    keeps its shares (their teachers stay), its terms count them, and it is valid."""
    src = Path(__file__).parent / "data" / "placement_county" / "scenario.toml"
    text = src.read_text(encoding="utf-8").replace(
        'data = "."', f'data = "{src.parent.resolve().as_posix()}"'
    )
    path = tmp_path / "s.toml"
    extra = '\n[forms]\npart_time = true\n\n[balance]\nindicator = "pe_art_per_100"\n'
    path.write_text(text + extra, encoding="utf-8")
    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["solve", str(path), "--out", str(out)])
    assert r.exit_code == 0, r.output
    v = CliRunner().invoke(main, ["validate", str(path), str(out)])
    assert v.exit_code == 0, v.output
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert "placement" in s and "forms" in s
    pt = pd.read_csv(out / "part_time.csv", dtype=str)
    assert len(pt) > 0
    a = pd.read_csv(out / "assignments.csv", dtype=str).set_index("staff_id")
    assert not a.loc[a.index.intersection(pt["staff_id"]), "moved"].eq("true").any()


def test_share_trips_count_in_the_commute_term_in_km_times_share():
    """The commute term is the movers' km plus each share's km times its share (recomputed
    here from the plan); with commute the only weighted term every school without music
    gets exactly coverage_min of it, since more would cost km."""
    sc = parse_scenario(
        {
            "scenario": {"name": "k", "as_of": AS_OF, "data": str(COUNTY)},
            "quotas": {"school_outflow_max": 0.25},
            "weights": {"balance": 0, "commute": 1},
            "forms": {"part_time": True, "coverage_subjects": ["music"]},
            "solver": {"workers": 1, "work_limit": 60},
        }
    )
    district = load_district(COUNTY, as_of=sc.as_of)
    res = solve(district, sc)
    assert res.status is SolveStatus.OPTIMAL
    pt, a = res.part_time, res.assignments
    assert len(pt) and set(pt["subject"]) == {"music"}
    per_school = pt.groupby("to_school")["share"].sum()
    rural = district.schools.index[district.schools["locality"] == "rural"]
    assert set(per_school.index) == set(rural)
    assert np.allclose(per_school.to_numpy(), 0.2)
    st, sch = district.staff, district.schools

    def km(staff_ids, schools) -> np.ndarray:
        return np.asarray(
            haversine_km(
                st.loc[staff_ids, "home_lat"].to_numpy(),
                st.loc[staff_ids, "home_lon"].to_numpy(),
                sch.loc[schools, "lat"].to_numpy(),
                sch.loc[schools, "lon"].to_numpy(),
            )
        )

    movers = a[a["moved"]]
    want = km(movers.index, movers["to_school"]).sum()
    want += (pt["share"].to_numpy() * km(pt["staff_id"], pt["to_school"])).sum()
    assert res.terms["commute"] == pytest.approx(float(want), abs=1e-9)
    assert (pt["share"] * pt["distance_km"]).sum() > 0
    assert validate_plan(district, sc, a, part_time=pt) == []


def test_the_cheapest_plan_still_rotates_besides_post_filling(tmp_path):
    """With commute the only weighted term and teacher_rotation_min asking for one
    rotation, the one move C01 → R03 that fills R03's post (the cheapest way to meet
    demand.csv) is not enough: it is post filling, no rotation, so the plan rotates
    someone besides (a chain C01 → C02 → R03, or a second move)."""
    data = tmp_path / "county"
    shutil.copytree(COUNTY, data)
    pd.DataFrame(
        {"school_id": ["C01", "R03"], "subject": ["math", "math"], "required": [2, 2]}
    ).to_csv(data / "demand.csv", index=False)
    raw = {
        "scenario": {"name": "p", "as_of": AS_OF, "data": str(data)},
        "quotas": {"school_outflow_max": 0.25, "teacher_rotation_min": 0.01},
        "weights": {"balance": 0, "commute": 1},
        "forms": {"post_filling": True},
        "solver": {"workers": 1, "work_limit": 60},
    }
    district = load_district(data, as_of=pd.Timestamp(AS_OF).date())
    sc = parse_scenario(raw)
    res = solve(district, sc)
    assert res.status is SolveStatus.OPTIMAL
    a = res.assignments
    n_t = int((a["role"] == "teacher").sum())
    assert math.ceil(0.01 * n_t) == 1
    rotated = a[a["moved"] & ~a["post_filling"] & (a["role"] == "teacher")]
    assert len(rotated) >= 1
    assert validate_plan(district, sc, a) == []
    # the one move alone: valid but for the quota
    alone = a.assign(to_school=a["from_school"], moved=False, post_filling=False)
    alone.loc["F007", ["to_school", "moved", "post_filling"]] = ["R03", True, True]
    assert {v.rule for v in validate_plan(district, sc, alone)} == {"teacher_rotation_min"}


def test_coverage_violation_names_the_subject_teachers_who_leave_or_join():
    """coverage_subjects = ["music"]: a plan that sends C02's one music teacher F029 to
    C01, and a chinese teacher F047 from R01 to C02, leaves C02 without music: the
    violation names C02 and F029 only (F047 teaches another subject)."""
    sc = parse_scenario(
        {
            "scenario": {"name": "v", "as_of": AS_OF, "data": str(COUNTY)},
            "forms": {"coverage_subjects": ["music"]},
        }
    )
    district = load_district(COUNTY, as_of=sc.as_of)
    st = district.staff
    a = pd.DataFrame(
        {"from_school": st["school_id"], "to_school": st["school_id"], "moved": False},
        index=st.index,
    )
    a.loc["F029", ["to_school", "moved"]] = ["C01", True]
    a.loc["F047", ["to_school", "moved"]] = ["C02", True]
    v = [x for x in validate_plan(district, sc, a) if x.rule == "coverage_subjects"]
    at_c02 = [x for x in v if x.schools == ("C02",)]
    assert len(at_c02) == 1
    assert at_c02[0].staff == ("F029",)
    assert "music" in at_c02[0].message
    # the rural schools never had music: their violations name no one who moves
    assert {x.schools[0] for x in v} == {"C02", "R01", "R02", "R03", "R04", "R05", "R06"}
    r01 = next(x for x in v if x.schools == ("R01",))
    assert r01.staff == ()


def test_coverage_beyond_what_the_per_teacher_limits_allow_has_a_conflict_core():
    """part_time_max_schools 1 and max share 0.2: C01's and C02's three music teachers can
    cover three rural primaries, and four of them (R01, R02, R04, R05) reach only those
    three; no counting check sees it (each school alone is reachable), the conflict core
    names the four schools' music coverage, and their music posts (no full-time music
    teacher may go there)."""
    sc = parse_scenario(
        {
            "scenario": {"name": "c", "as_of": AS_OF, "data": str(COUNTY)},
            "quotas": {"school_outflow_max": 0.25},
            "forms": {
                "part_time": True,
                "coverage_subjects": ["music"],
                "part_time_max_share": 0.2,
                "part_time_max_schools": 1,
            },
            "solver": {"workers": 1, "work_limit": 30},
        }
    )
    district = load_district(COUNTY, as_of=sc.as_of)
    from solver.rules.precheck import precheck

    assert precheck(district, sc) == []
    res = solve(district, sc, raise_on_failure=False)
    assert res.status is SolveStatus.INFEASIBLE
    diag = res.diagnosis
    assert diag["method"] == "core" and diag["minimal"]
    got = {(c["rule"], c.get("school"), c.get("subject")) for c in diag["conflict"]}
    four = ("R01", "R02", "R04", "R05")
    assert got == {(r, s, "music") for r in ("coverage_subjects", "subject_staffing") for s in four}
