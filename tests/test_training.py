"""``[forms] training_to_lead``: young teachers sent to the lead school of their group.

``tests/data/training_group`` is a hand-written district of 6 primary schools: the group
实验教育集团 (A0 strong and the largest, A1, A2), the group 育才教育集团 (B0 strong, B1
17 km away from it) and U1 in no group. Its young teachers (hired within 5 years of
2025-09-01): Y01, Y02 at A1, Y03 at A2 (within reach of A0), Y05 at A2 (exempt), Y06 at
B1 (beyond max_km 15 of B0), Y07 at U1 (no group), Y08 at A0 (the lead school itself);
Y04 at A2 was hired 6 years ago.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from solver.cli import main
from solver.input.loaders import load_district
from solver.input.scenario import parse_scenario
from solver.plan.result import SolveStatus
from solver.rules.eligibility import eligibility
from solver.rules.precheck import precheck
from solver.rules.training import lead_schools, training_candidates
from solver.search.solve import solve
from solver.validate import validate_plan, validate_plan_dir

DATA = Path(__file__).parent / "data" / "training_group"
AS_OF = "2025-09-01"
REACHABLE = {"Y01", "Y02", "Y03"}


def _raw(n: int, **sections: dict) -> dict:
    raw = {
        "scenario": {"name": "training", "as_of": AS_OF, "data": str(DATA)},
        "quotas": {"school_outflow_max": 0.5},
        "forms": {"training_to_lead": n},
        "solver": {"workers": 1, "work_limit": 30},
    }
    for k, v in sections.items():
        raw[k] = {**raw.get(k, {}), **v}
    return raw


def _setup(n: int, **sections: dict):
    sc = parse_scenario(_raw(n, **sections))
    return load_district(DATA, as_of=sc.as_of), sc


def _toml(tmp_path: Path, n: int, extra: str = "") -> Path:
    path = tmp_path / "training.toml"
    path.write_text(
        f"""
[scenario]
name = "training"
as_of = {AS_OF}
data = "{DATA.resolve().as_posix()}"

[quotas]
school_outflow_max = 0.5

[forms]
training_to_lead = {n}

[solver]
workers = 1
work_limit = 30
{extra}
""",
        encoding="utf-8",
    )
    return path


# ------------------------------------------------------------------------- who and where


def test_lead_school_is_the_strongest_then_largest_school_of_each_group(tmp_path):
    """A0 and B0 (strong) lead their groups; with A0 made weak and A2 average, the tier
    tie between A1 (600 students) and A2 (400) goes to the larger, A1."""
    d, _ = _setup(1)
    leads = lead_schools(d)
    assert leads.to_dict() == {"实验教育集团": "A0", "育才教育集团": "B0"}
    data = tmp_path / "d"
    data.mkdir()
    sch = pd.read_csv(DATA / "schools.csv", dtype=str)
    sch.loc[sch["school_id"] == "A0", "tier"] = "weak"
    sch.loc[sch["school_id"] == "A2", "tier"] = "average"
    sch.to_csv(data / "schools.csv", index=False)
    (data / "staff.csv").write_bytes((DATA / "staff.csv").read_bytes())
    leads = lead_schools(load_district(data, as_of=pd.Timestamp(AS_OF).date()))
    # A1 (600 students) and A2 (400) are both average now: the larger one leads
    assert leads["实验教育集团"] == "A1"


def test_candidates_are_young_teachers_of_a_groups_other_schools():
    """Y01-Y03, Y05 and Y06 are candidates (Y04 hired 6 years ago, Y07 in no group, Y08 at
    the lead school are not); all are below rotation tenure; Y05 is exempt, so not
    eligible, the others are eligible with 2-4 years at their school."""
    d, sc = _setup(1)
    cand = training_candidates(d, sc)
    assert list(cand.index) == ["Y01", "Y02", "Y03", "Y05", "Y06"]
    assert cand["lead"].to_dict() == {
        "Y01": "A0",
        "Y02": "A0",
        "Y03": "A0",
        "Y05": "A0",
        "Y06": "B0",
    }
    assert cand["training_only"].all()
    assert cand.at["Y02", "years_since_hire"] == pytest.approx(4.0, abs=0.01)
    el = eligibility(d, sc)
    assert el.loc[["Y01", "Y02", "Y03", "Y06"], "eligible"].all()
    assert not el.loc[["Y05", "Y07", "Y08"], "eligible"].any()
    assert el.at["Y04", "eligible"]  # 6 years at A2: rotation-eligible, no candidate
    # without the rule nobody young is a candidate, nor eligible
    d0, sc0 = _setup(0)
    assert training_candidates(d0, sc0).empty
    assert not eligibility(d0, sc0).loc[["Y01", "Y02", "Y03", "Y06"], "eligible"].any()


# ------------------------------------------------------------------------- feasible


def test_three_young_teachers_go_to_their_lead_school_and_the_plan_is_valid():
    """training_to_lead = 3: Y01, Y02 and Y03 (the three within reach) move to A0, no
    young teacher goes anywhere else, the plan is optimal and valid."""
    d, sc = _setup(3)
    res = solve(d, sc)
    assert res.status is SolveStatus.OPTIMAL
    a = res.assignments
    tr = a[a["training_to_lead"]]
    assert set(tr.index) == REACHABLE
    assert (tr["to_school"] == "A0").all() and tr["moved"].all()
    young = a.index.str.startswith("Y")
    assert set(a.index[young & a["moved"].to_numpy()]) == REACHABLE
    assert validate_plan(d, sc, a) == []


def test_one_young_teacher_is_enough_for_training_to_lead_1():
    """training_to_lead = 1 is met by one training move at least, and the plan is valid;
    every young teacher who moves goes to A0."""
    d, sc = _setup(1)
    res = solve(d, sc)
    assert res.status.has_plan
    a = res.assignments
    assert int(a["training_to_lead"].sum()) >= 1
    moved_young = a[a.index.str.startswith("Y") & a["moved"].to_numpy()]
    assert (moved_young["to_school"] == "A0").all()
    assert validate_plan(d, sc, a) == []


def test_scope_does_not_forbid_a_training_move():
    """Under scope.teachers = cross_group the young teachers still go to their own
    group's lead school (no cross-scope rotation); the other moves keep the scope."""
    d, sc = _setup(3, scope={"teachers": "cross_group"})
    res = solve(d, sc)
    assert res.status.has_plan, res.message
    a = res.assignments
    assert set(a.index[a["training_to_lead"].to_numpy()]) == REACHABLE
    grp = d.schools["group"]
    other = a[a["moved"] & ~a["training_to_lead"]]
    assert len(other) >= 3
    same = (
        grp.reindex(other["from_school"]).to_numpy() == grp.reindex(other["to_school"]).to_numpy()
    )
    assert not (same & (grp.reindex(other["from_school"]).to_numpy() != "")).any()
    assert validate_plan(d, sc, a) == []


def test_rotation_quotas_count_neither_training_only_teachers_nor_their_moves():
    """teacher_rotation_min 0.2 of the 22 tenure-eligible teachers needs 5 rotations
    besides the 3 training moves; the validator counts the same way."""
    d, sc = _setup(3, quotas={"teacher_rotation_min": 0.2})
    res = solve(d, sc)
    assert res.status.has_plan, res.message
    a = res.assignments
    teachers = a[a["role"] == "teacher"]
    tenure = teachers.drop(["Y01", "Y02", "Y03", "Y06"])
    assert len(tenure) == 22 and len(teachers) == 26
    need = math.ceil(0.2 * 22)
    assert int(tenure["moved"].sum()) >= need
    assert validate_plan(d, sc, a) == []
    # the rotations undone but one short: the training moves do not make up for it
    keep = tenure.index[tenure["moved"].to_numpy()][: need - 1]
    undone = a.copy()
    drop = tenure.index[tenure["moved"].to_numpy()].difference(keep)
    undone.loc[drop, "to_school"] = undone.loc[drop, "from_school"]
    undone.loc[drop, "moved"] = False
    v = [x for x in validate_plan(d, sc, undone) if x.rule == "teacher_rotation_min"]
    assert len(v) == 1 and f"of 22 eligible needs {need}" in v[0].message


def test_cli_plan_folder_marks_and_counts_training_moves(tmp_path):
    """lungang solve writes assignments.csv's training_to_lead column and summary.json's
    forms.training_to_lead; lungang validate passes; a tampered summary fails."""
    out = tmp_path / "out"
    path = _toml(tmp_path, 3)
    r = CliRunner().invoke(main, ["solve", str(path), "--out", str(out)])
    assert r.exit_code == 0, r.output
    a = pd.read_csv(out / "assignments.csv", dtype=str).set_index("staff_id")
    assert set(a.index[a["training_to_lead"] == "true"]) == REACHABLE
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert s["forms"]["training_to_lead"] == 3
    moved = int((a["moved"] == "true").sum())
    assert s["forms"]["rotated"] == moved - 3
    v = CliRunner().invoke(main, ["validate", str(path), str(out)])
    assert v.exit_code == 0, v.output
    d, sc = _setup(3)
    assert validate_plan_dir(out, d, sc) == []
    s["forms"]["training_to_lead"] = 2
    (out / "summary.json").write_text(json.dumps(s), encoding="utf-8")
    broken = validate_plan_dir(out, d, sc)
    assert [x.rule for x in broken] == ["summary"] and "training moves" in broken[0].message


# ------------------------------------------------------------------------- infeasible


def test_four_cannot_go_when_one_lead_school_is_beyond_max_km(tmp_path):
    """training_to_lead = 4: only three young teachers can reach their lead school (Y06 is
    17 km from B0): exit 3, the finding names Y06 and max_km, Y05 as not eligible, and
    the relaxations are training_to_lead 3 and a max_km above 17; nothing is written."""
    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["solve", str(_toml(tmp_path, 4)), "--out", str(out)])
    assert r.exit_code == 3, r.output
    assert not out.exists()
    assert "training_to_lead needs 4 young teacher(s)" in r.output
    assert "3 of them may move to its lead school" in r.output
    assert "Y06 max_km 15" in r.output and "Y05 not eligible" in r.output
    assert "[forms] training_to_lead = 3 is feasible (now 4)" in r.output
    d, sc = _setup(4)
    res = solve(d, sc, raise_on_failure=False)
    assert res.status is SolveStatus.INFEASIBLE
    rel = {x["rule"]: x for x in res.diagnosis["relaxations"]}
    assert rel["training_to_lead"]["suggested"] == 3
    assert 17.0 < rel["commute"]["suggested"] < 17.5
    zh = CliRunner().invoke(
        main, ["--lang", "zh", "solve", str(tmp_path / "training.toml"), "--out", str(out)]
    )
    assert zh.exit_code == 3, zh.output
    assert "青年教师到龙头校交流（training_to_lead）须至少 4 人" in zh.output


def test_more_than_there_are_young_teachers_is_infeasible_by_counting():
    """training_to_lead = 6 with five candidates: the precheck proves it (no solve)."""
    d, sc = _setup(6)
    f = [x for x in precheck(d, sc) if x.rule == "training_to_lead"]
    assert len(f) == 1
    assert "but 5 teacher(s) hired within 5 years" in f[0].text
    assert set(f[0].staff) == {"Y01", "Y02", "Y03", "Y05", "Y06"}
    assert f[0].schools == ("A0", "B0")
    assert precheck(*_setup(3)) == []


def test_a_young_teacher_who_is_not_training_only_may_rotate_elsewhere_too():
    """With min_years_at_school 2 the young teachers are rotation-eligible on their own:
    they may rotate anywhere, a move to the lead school still counts for the rule, and
    the rotation quotas count them."""
    d, sc = _setup(2, eligibility={"teacher": {"min_years_at_school": 2}})
    cand = training_candidates(d, sc)
    assert not cand.loc[["Y01", "Y02", "Y03", "Y06"], "training_only"].any()
    assert cand.at["Y05", "training_only"]  # one year at A2 (and exempt)
    res = solve(d, sc)
    assert res.status.has_plan
    a = res.assignments
    assert int(a["training_to_lead"].sum()) >= 2
    assert validate_plan(d, sc, a) == []


# ------------------------------------------------------------------------- validator


def test_validator_catches_too_few_and_astray_training_moves():
    """From the valid plan: Y01 sent back home gives training_to_lead (2 of 3), Y01 sent
    to U1 instead gives the training-only violation naming A0."""
    d, sc = _setup(3)
    a = solve(d, sc).assignments
    assert validate_plan(d, sc, a) == []
    back = a.copy()
    back.loc["Y01", ["to_school", "moved"]] = ["A1", False]
    v = [x for x in validate_plan(d, sc, back) if x.rule == "training_to_lead"]
    assert len(v) == 1 and "2 young teacher(s) move" in v[0].message
    astray = a.copy()
    astray.loc["Y01", "to_school"] = "U1"
    v = [x for x in validate_plan(d, sc, astray) if x.rule == "training_to_lead"]
    assert any("may move only to the lead school A0" in x.message for x in v)
    assert any("2 young teacher(s) move" in x.message for x in v)


def test_multi_year_plans_refuse_training_to_lead(tmp_path):
    """lungang plan with training_to_lead: exit 2 naming [forms], nothing written."""
    path = _toml(tmp_path, 2, extra="[horizon]\nyears = 2\n")
    r = CliRunner().invoke(main, ["plan", str(path), "--out", str(tmp_path / "h")])
    assert r.exit_code == 2, r.output
    assert "forms.training_to_lead" in r.output
    assert "[forms] training_to_lead is not supported in multi-year plans yet" in r.output
    assert not (tmp_path / "h").exists()
    zh = CliRunner().invoke(main, ["--lang", "zh", "plan", str(path), "--out", str(tmp_path / "h")])
    assert zh.exit_code == 2, zh.output
    assert "多年规划暂不支持 [forms] training_to_lead" in zh.output


def test_eligible_command_lists_the_candidates(tmp_path):
    """lungang eligible: the reachable young teachers are eligible with the rule on."""
    out = tmp_path / "e.csv"
    r = CliRunner().invoke(main, ["eligible", str(_toml(tmp_path, 2)), "--out", str(out)])
    assert r.exit_code == 0, r.output
    e = pd.read_csv(out, dtype=str).set_index("staff_id")
    assert (e.loc[["Y01", "Y02", "Y03", "Y04", "Y06"], "eligible"] == "true").all()
    assert (e.loc[["Y05", "Y07", "Y08"], "eligible"] == "false").all()


def test_explain_lists_the_training_moves(tmp_path):
    """explain.json's forms.training_to_lead lists the three moves to A0, lungang explain
    prints them, and every key is documented in docs/outputs.md."""
    from test_docs import undocumented

    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["solve", str(_toml(tmp_path, 3)), "--out", str(out)])
    assert r.exit_code == 0, r.output
    ex = json.loads((out / "explain.json").read_text(encoding="utf-8"))
    tr = ex["forms"]["training_to_lead"]
    assert tr["required"] == 3 and tr["candidates"] == 5
    assert {m["staff_id"] for m in tr["moves"]} == REACHABLE
    assert {(m["from_school"], m["to_school"]) for m in tr["moves"]} == {("A1", "A0"), ("A2", "A0")}
    missing = undocumented([*tr, *tr["moves"][0]], "`explain.json`")
    assert not missing, missing
    t = CliRunner().invoke(main, ["explain", str(out)])
    assert t.exit_code == 0, t.output
    assert (
        "young teachers to the lead school of their group: 3 of 5 (training_to_lead 3)" in t.output
    )
    assert "Y03 A2 → A0 (hired 2.0 years ago)" in t.output


def test_report_diff_and_placement_know_the_training_moves(tmp_path):
    """report.html notes the training moves (en, zh); lungang diff against the plan with
    training_to_lead 1 gives both counts; serial dictatorship keeps the rule (a valid
    plan with three training moves)."""
    out3, out1 = tmp_path / "p3", tmp_path / "p1"
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    r = CliRunner().invoke(main, ["solve", str(_toml(tmp_path / "a", 3)), "--out", str(out3)])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(main, ["solve", str(_toml(tmp_path / "b", 1)), "--out", str(out1)])
    assert r.exit_code == 0, r.output
    html = (out3 / "report.html").read_text(encoding="utf-8")
    assert "3 young teachers move to the lead school of their education group" in html
    zh = CliRunner().invoke(main, ["report", str(out3), "--lang", "zh"])
    assert zh.exit_code == 0, zh.output
    assert "3 名青年教师到本教育集团龙头校交流" in (out3 / "report.html").read_text("utf-8")
    d = CliRunner().invoke(main, ["diff", str(out1), str(out3), "--format", "json"])
    assert d.exit_code == 0, d.output
    got = json.loads(d.output)["forms"]["training_to_lead"]
    s1 = json.loads((out1 / "summary.json").read_text(encoding="utf-8"))
    assert got == {"a": s1["forms"]["training_to_lead"], "b": 3}
    t = CliRunner().invoke(main, ["diff", str(out1), str(out3)])
    assert f"young teachers to the lead school: A {got['a']}  B 3" in t.output

    d, sc = _setup(3, placement={"mechanism": "serial_dictatorship", "lottery_seed": "x"})
    res = solve(d, sc)
    assert res.status.has_plan and res.placement["mechanism"] == "serial_dictatorship"
    a = res.assignments
    assert set(a.index[a["training_to_lead"].to_numpy()]) == REACHABLE
    assert validate_plan(d, sc, a) == []


@pytest.mark.parametrize("mechanism", ["serial_dictatorship", "deferred_acceptance"])
def test_placement_keeps_training_moves_of_rotation_eligible_young_teachers(mechanism):
    """With min_years_at_school 2 the young teachers may also rotate elsewhere, so a
    mechanism could swap a training move away; young teachers swap only with those of
    their group, and the placed plan keeps training_to_lead 3."""
    d, sc = _setup(
        3,
        eligibility={"teacher": {"min_years_at_school": 2}},
        placement={"mechanism": mechanism, "lottery_seed": "seed"},
    )
    res = solve(d, sc)
    assert res.status.has_plan and res.placement["mechanism"] == mechanism
    a = res.assignments
    assert int(a["training_to_lead"].sum()) >= 3
    assert validate_plan(d, sc, a) == []
