"""``[forms] training_to_lead``: young teachers sent to the lead school of their group.

``tests/data/training_group`` is a hand-written district of 7 primary schools: the group
实验教育集团 (A0 strong and the largest, A1, A2), the group 育才教育集团 (B0 strong, B1
17 km away from it), U1 and U2 in no group. Its young teachers (hired within 5 years of
2025-09-01): Y01, Y02 at A1, Y03 at A2 (within reach of A0), Y05 at A2 (exempt), Y06 at
B1 (beyond max_km 15 of B0), Y10 at A1 (hired on the day, music: A0 has no music post),
Y07 at U1 and Y12 at U2 (no group), Y08 at A0 (the lead school itself). Not young: Y04
(6 years), Y13 (5.5), Y09 (5 years and 3 days, 5.008 years of 365.25 days).
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
    """Y01-Y03, Y05, Y06 and Y10 are candidates (Y04, Y09 and Y13 hired more than 5 years
    ago, Y07 and Y12 in no group, Y08 at the lead school are not); all are below rotation
    tenure; Y05 is exempt, so not eligible, the others are eligible with 0-4 years at
    their school."""
    d, sc = _setup(1)
    cand = training_candidates(d, sc)
    assert list(cand.index) == ["Y01", "Y02", "Y03", "Y05", "Y06", "Y10"]
    assert cand["lead"].to_dict() == {
        "Y01": "A0",
        "Y02": "A0",
        "Y03": "A0",
        "Y05": "A0",
        "Y06": "B0",
        "Y10": "A0",
    }
    assert cand["training_only"].all()
    assert cand.at["Y02", "years_since_hire"] == pytest.approx(4.0, abs=0.01)
    el = eligibility(d, sc)
    assert el.loc[["Y01", "Y02", "Y03", "Y06", "Y10"], "eligible"].all()
    assert not el.loc[["Y05", "Y07", "Y08", "Y09", "Y12", "Y13"], "eligible"].any()
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
    """teacher_rotation_min 0.2 of the 23 tenure-eligible teachers needs 5 rotations
    besides the 3 training moves; the validator counts the same way."""
    d, sc = _setup(3, quotas={"teacher_rotation_min": 0.2})
    res = solve(d, sc)
    assert res.status.has_plan, res.message
    a = res.assignments
    teachers = a[a["role"] == "teacher"]
    tenure = teachers.drop(["Y01", "Y02", "Y03", "Y06", "Y10"])
    assert len(tenure) == 23 and len(teachers) == 28
    need = math.ceil(0.2 * 23)
    assert int(tenure["moved"].sum()) >= need
    assert validate_plan(d, sc, a) == []
    # the rotations undone but one short: the training moves do not make up for it
    keep = tenure.index[tenure["moved"].to_numpy()][: need - 1]
    undone = a.copy()
    drop = tenure.index[tenure["moved"].to_numpy()].difference(keep)
    undone.loc[drop, "to_school"] = undone.loc[drop, "from_school"]
    undone.loc[drop, "moved"] = False
    v = [x for x in validate_plan(d, sc, undone) if x.rule == "teacher_rotation_min"]
    assert len(v) == 1 and f"of 23 eligible needs {need}" in v[0].message


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
    assert "but 6 teacher(s) hired within 5 years" in r.output
    assert "3 of them may move to its lead school" in r.output
    assert "Y06 max_km 15" in r.output and "Y05 not eligible" in r.output
    assert "Y10 no post of their subject there" in r.output
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
    """training_to_lead = 7 with six candidates: the precheck proves it (no solve)."""
    d, sc = _setup(7)
    f = [x for x in precheck(d, sc) if x.rule == "training_to_lead"]
    assert len(f) == 1
    assert "but 6 teacher(s) hired within 5 years" in f[0].text
    assert set(f[0].staff) == {"Y01", "Y02", "Y03", "Y05", "Y06", "Y10"}
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
    back.loc["Y01", "to_school"] = "A1"
    back.loc["Y01", "moved"] = False
    v = [x for x in validate_plan(d, sc, back) if x.rule == "training_to_lead"]
    assert len(v) == 1 and "2 young teacher(s) move" in v[0].message
    assert v[0].staff == ("Y02", "Y03") and v[0].schools == ()
    astray = a.copy()
    astray.loc["Y01", "to_school"] = "U1"
    v = [x for x in validate_plan(d, sc, astray) if x.rule == "training_to_lead"]
    assert [(x.staff, x.schools) for x in v] == [(("Y02", "Y03"), ()), (("Y01",), ("U1",))]
    assert "staff Y01, a young teacher below rotation tenure, may move only to the lead " in (
        v[1].message
    )
    assert "school A0 of their group, not to U1" in v[1].message


def _moved_to(a: pd.DataFrame, moves: dict[str, str]) -> pd.DataFrame:
    """The plan ``a`` with the people of ``moves`` sent to the schools given (a row is
    added for someone without one)."""
    extra = pd.Index([p for p in moves if p not in a.index])
    out = a.reindex(a.index.append(extra))
    for pid, to in moves.items():
        out.loc[pid, "to_school"] = to
        out.loc[pid, "moved"] = True
    out["moved"] = out["moved"].fillna(False).astype(bool)
    return out


def _training_rule(d, sc, a) -> list[str]:
    return [x.message for x in validate_plan(d, sc, a) if x.rule == "training_to_lead"]


def test_validator_works_out_who_is_young_on_its_own():
    """The validator's own arithmetic at its edges, on hand-made plans from the valid one
    (training_to_lead 4, three training moves): Y10, hired on the day, counts when sent to
    A0; Y09 (5 years and 3 days), Y13 (5.5 years), Y12 (no group: U2 to U1) and Y08 (at
    the lead school) do not; an older teacher's move to A0 is no training move."""
    d, sc3 = _setup(3)
    a = solve(d, sc3).assignments
    d, sc = _setup(4)
    assert _training_rule(d, sc, a) == [
        "3 young teacher(s) move to the lead school of their group, training_to_lead needs 4"
    ]
    assert _training_rule(d, sc, _moved_to(a, {"Y10": "A0"})) == []
    for pid, to in (("Y09", "A0"), ("Y13", "A0"), ("Y12", "U1"), ("T014", "A0")):
        assert len(_training_rule(d, sc, _moved_to(a, {pid: to}))) == 1, pid
    assert d.staff.at["T014", "school_id"] == "A1"
    # Y08 at the lead school A0 sent to A1 and back is no move at all; to A1 it is no
    # training move either (the rule counts moves to the lead)
    assert len(_training_rule(d, sc, _moved_to(a, {"Y08": "A1"}))) == 1


def test_validator_leaves_scope_to_training_moves_only():
    """Under scope cross_group an older A1 teacher's move to A0 breaks the scope (only a
    young teacher's move to the lead school is exempt), and so does a young teacher's
    when training_to_lead is 0 (with min_years_at_school 2 they rotate on their own)."""
    d, sc = _setup(3, scope={"teachers": "cross_group"})
    a = solve(d, sc).assignments
    assert validate_plan(d, sc, a) == []
    v = [x for x in validate_plan(d, sc, _moved_to(a, {"T014": "A0"})) if x.rule == "scope"]
    assert [x.staff for x in v] == [("T014",)]
    d0, sc0 = _setup(
        0, scope={"teachers": "cross_group"}, eligibility={"teacher": {"min_years_at_school": 2}}
    )
    stay = a.assign(to_school=a["from_school"], moved=False).drop(columns="training_to_lead")
    v = [x for x in validate_plan(d0, sc0, _moved_to(stay, {"Y01": "A0"})) if x.rule == "scope"]
    assert [x.staff for x in v] == [("Y01",)]


def test_validator_leaves_obliged_young_teachers_out():
    """With [rules] new_hire_rural_after_years 3, Y01 and Y02 (3 and 4 years) are obliged
    to go rural: they are no training candidates, so in the plan that sends Y01-Y03 to A0
    one training move counts (training_to_lead 2 is broken)."""
    d, sc3 = _setup(3)
    a = solve(d, sc3).assignments
    d, sc = _setup(2, rules={"new_hire_rural_after_years": 3})
    assert list(training_candidates(d, sc).index) == ["Y03", "Y05", "Y06", "Y10"]
    assert _training_rule(d, sc, a) == [
        "1 young teacher(s) move to the lead school of their group, training_to_lead needs 2"
    ]


def test_quotas_count_a_young_teacher_at_rotation_tenure():
    """With min_years_at_school 4, Y02 (exactly 4 years at A1: 1461 days) is rotation-
    eligible: the quota counts 26 eligible teachers (not Y01, Y03, Y06, Y10, below it)."""
    d, sc = _setup(3, eligibility={"teacher": {"min_years_at_school": 4}})
    cand = training_candidates(d, sc)
    assert not cand.at["Y02", "training_only"] and cand.at["Y01", "training_only"]
    sc = sc.model_copy(
        update={"quotas": sc.quotas.model_copy(update={"teacher_rotation_min": 0.2})}
    )
    a = solve(*_setup(3)).assignments
    stay = a.assign(to_school=a["from_school"], moved=False)
    v = [x for x in validate_plan(d, sc, stay) if x.rule == "teacher_rotation_min"]
    assert len(v) == 1 and "of 26 eligible needs 6" in v[0].message


def test_lead_school_the_validator_finds_is_the_strongest_then_the_largest(tmp_path):
    """A0 made weak and A2 average: A1 (average, 600 students, more than A2) leads; the
    plan sends a young teacher of A0 or A2 to A1, and the validator, finding the lead on
    its own, agrees."""
    data = tmp_path / "d"
    data.mkdir()
    sch = pd.read_csv(DATA / "schools.csv", dtype=str)
    sch.loc[sch["school_id"] == "A0", "tier"] = "weak"
    sch.loc[sch["school_id"] == "A2", "tier"] = "average"
    sch.to_csv(data / "schools.csv", index=False)
    (data / "staff.csv").write_bytes((DATA / "staff.csv").read_bytes())
    sc = parse_scenario({**_raw(1), "scenario": {**_raw(1)["scenario"], "data": str(data)}})
    d = load_district(data, as_of=sc.as_of)
    res = solve(d, sc)
    assert res.status.has_plan, res.message
    a = res.assignments
    tr = a[a["training_to_lead"]]
    assert len(tr) >= 1 and (tr["to_school"] == "A1").all()
    assert set(training_candidates(d, sc)["lead"]) == {"A1", "B0"}
    assert validate_plan(d, sc, a) == []


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
    assert (e.loc[["Y01", "Y02", "Y03", "Y04", "Y06", "Y10"], "eligible"] == "true").all()
    assert (e.loc[["Y05", "Y07", "Y08", "Y09", "Y12", "Y13"], "eligible"] == "false").all()


def test_explain_lists_the_training_moves(tmp_path):
    """explain.json's forms.training_to_lead lists the three moves to A0, lungang explain
    prints them, and every key is documented in docs/outputs.md."""
    from test_docs import undocumented

    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["solve", str(_toml(tmp_path, 3)), "--out", str(out)])
    assert r.exit_code == 0, r.output
    ex = json.loads((out / "explain.json").read_text(encoding="utf-8"))
    tr = ex["forms"]["training_to_lead"]
    assert tr["required"] == 3 and tr["candidates"] == 6
    assert {m["staff_id"] for m in tr["moves"]} == REACHABLE
    assert {(m["from_school"], m["to_school"]) for m in tr["moves"]} == {("A1", "A0"), ("A2", "A0")}
    missing = undocumented([*tr, *tr["moves"][0]], "`explain.json`")
    assert not missing, missing
    t = CliRunner().invoke(main, ["explain", str(out)])
    assert t.exit_code == 0, t.output
    assert (
        "young teachers to the lead school of their group: 3 of 6 (training_to_lead 3)" in t.output
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


def test_a_conflict_core_names_training_to_lead():
    """No counting check sees it: three young teachers must arrive at A0, so (head counts
    held) three must leave A1 and A2 and A0, but school_outflow_max 0.15 lets no one leave
    A1; the minimal conflict is the outflow cap of A1 and training_to_lead."""
    d, sc = _setup(3, quotas={"school_outflow_max": 0.15, "teacher_rotation_min": 0.0})
    sc = sc.model_copy(
        update={"quotas": sc.quotas.model_copy(update={"key_share_of_rotated_min": 0.0})}
    )
    assert precheck(d, sc) == []
    res = solve(d, sc, raise_on_failure=False)
    assert res.status is SolveStatus.INFEASIBLE
    diag = res.diagnosis
    assert diag["method"] == "core" and diag["minimal"]
    rules = {c["rule"]: c for c in diag["conflict"]}
    assert set(rules) == {"school_outflow_max", "training_to_lead"}
    assert rules["school_outflow_max"]["school"] == "A1"
    assert rules["training_to_lead"]["text"] == (
        "training_to_lead needs 3 young teacher(s) at the lead school of their group "
        "(3 such move(s) possible)"
    )
