"""Score analysis (explain.json, `lungang explain`): terms add up to the objective, every
claim about an alternative is checked against `evaluate_terms` and the validator, and the
reasons name quotas, staffing, balance, commute and pins."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from builders import NEW, make_district, person, scenario, school
from click.testing import CliRunner

from solver.analysis.explain import PlanState, alternative_terms, explain_plan
from solver.cli import main
from solver.input.assignments import read_assignments
from solver.input.loaders import load_district
from solver.input.scenario import load_scenario
from solver.model.terms import objective_value
from solver.plan.result import SolveStatus
from solver.search.solve import solve
from solver.validate import validate_plan

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "scenarios" / "demo.toml"


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo solved once through the CLI: (plan folder, district, scenario, explain.json)."""
    out = tmp_path_factory.mktemp("explain") / "demo"
    r = run("-q", "solve", str(DEMO), "--out", str(out))
    assert r.exit_code == 0, r.output
    sc = load_scenario(DEMO)
    district = load_district(sc.scenario.data, as_of=sc.as_of)
    ex = json.loads((out / "explain.json").read_text(encoding="utf-8"))
    return out, district, sc, ex


def test_terms_in_explain_json_add_up_to_the_reported_objective(demo):
    """Acceptance: Σ weight · value over explain.json's terms is summary.json's objective."""
    out, _, _, ex = demo
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert sum(t["weighted"] for t in ex["terms"].values()) == pytest.approx(
        s["objective"], abs=1e-9
    )
    assert sum(t["weight"] * t["value"] for t in ex["terms"].values()) == pytest.approx(
        s["objective"], rel=1e-9
    )
    for name, t in ex["terms"].items():
        assert t["weight"] == s["terms"][name]["weight"]
        assert t["value"] == pytest.approx(s["terms"][name]["value"], abs=1e-6)
    assert ex["objective"] == pytest.approx(s["objective"], abs=1e-9) and ex["status"] == "optimal"


def test_balance_drivers_add_up_to_the_balance_term(demo):
    """Per (indicator, level) parts and per-school costs each sum to the balance term."""
    _, _, _, ex = demo
    bal = ex["terms"]["balance"]
    assert sum(p["value"] for p in bal["parts"]) == pytest.approx(bal["value"], abs=1e-5)
    assert sum(s["cost"] for s in bal["schools"]) == pytest.approx(bal["value"], abs=1e-5)
    costs = [s["cost"] for s in bal["schools"]]
    assert costs == sorted(costs, reverse=True)
    assert sum(s["balance_cost"]["after"] for s in ex["schools"]) == pytest.approx(
        bal["value"], abs=1e-5
    )


def test_rules_report_required_and_achieved(demo):
    """Quotas: required vs achieved as the plan has them; binding caps name their schools."""
    _, district, sc, ex = demo
    a = read_assignments(demo[0])
    rules = {r["rule"]: r for r in ex["rules"]}
    moved_t = int((a["moved"] & (a["role"] == "teacher")).sum())
    n_t = int((a["role"] == "teacher").sum())
    assert rules["teacher_rotation_min"]["achieved"] == moved_t
    assert rules["teacher_rotation_min"]["required"] == int(np.ceil(0.1 * n_t))
    out_cap = rules["school_outflow_max"]
    for s in out_cap["schools"]:
        assert s["leaving"] == s["cap"] == int(np.floor(0.15 * s["teachers"]))
    assert rules["posts_filled"]["achieved"] == int((a["moved"] & (a["role"] != "teacher")).sum())


def test_schools_gained_and_lost_match_the_plan(demo):
    out, _, _, ex = demo
    a = read_assignments(out)
    moved = a[a["moved"]]
    for s in ex["schools"]:
        assert sorted(s["gained"]) == sorted(moved.index[moved["to_school"] == s["school_id"]])
        assert sorted(s["lost"]) == sorted(moved.index[moved["from_school"] == s["school_id"]])


def test_every_person_has_reasons_and_no_alternative_beats_an_optimal_plan(demo):
    """Each eligible person is explained; on the optimal plan no alternative that keeps the
    rules is cheaper; a missing alternative is said so honestly."""
    out, _, _, ex = demo
    a = read_assignments(out)
    assert [p["staff_id"] for p in ex["people"]] == list(a.index)
    assert "people_not_analysed" not in ex
    for p in ex["people"]:
        assert p["reasons"], p
        if p["alternative"] is None:
            assert "keeps every rule" in p["note"]
        else:
            assert p["alternative"]["objective_delta"] >= -1e-6, p
    kinds = {r["kind"] for p in ex["people"] for r in p["reasons"]}
    assert {"staffing", "quota", "commute"} <= kinds


def _apply(a: pd.DataFrame, changes: dict[str, str]) -> pd.DataFrame:
    a = a.copy()
    for sid, to in changes.items():
        a.at[sid, "to_school"] = to
        a.at[sid, "moved"] = to != a.at[sid, "from_school"]
    return a


def test_alternatives_are_exact_and_keep_every_rule(demo):
    """Each alternative's cost difference is evaluate_terms' on the changed plan, and the
    changed plan passes the independent validator."""
    out, district, sc, ex = demo
    a = read_assignments(out)
    base = objective_value(sc, json_terms(ex))
    st = PlanState(district, sc, a)
    pos = {sid: i for i, sid in enumerate(st.m.people.index)}
    ids = list(district.schools.index)
    checked = 0
    for p in ex["people"]:
        alt = p["alternative"]
        if alt is None:
            continue
        changes = {p["staff_id"]: alt["to_school"]}
        if alt["change"] == "exchange":
            changes[alt["with"]] = alt["with_to"]
        terms = alternative_terms(st, [(pos[k], ids.index(v)) for k, v in changes.items()])
        assert objective_value(sc, terms) - base == pytest.approx(alt["objective_delta"], abs=1e-5)
        assert validate_plan(district, sc, _apply(a, changes)) == [], (p["staff_id"], alt)
        checked += 1
    assert checked > 50


def json_terms(ex: dict) -> dict[str, float]:
    return {k: v["value"] for k, v in ex["terms"].items()}


def test_broken_rules_agree_with_the_validator(demo):
    """For random single changes and exchanges, PlanState.evaluate reports a broken rule
    exactly when the validator finds one, and the same rule families."""
    out, district, sc, _ = demo
    a = read_assignments(out)
    st = PlanState(district, sc, a)
    rng = np.random.default_rng(0)
    ids = list(district.schools.index)
    n = len(st.m.people)
    for _ in range(150):
        p = int(rng.integers(n))
        opts = [int(st.home[p])] + list(np.flatnonzero(st.m.ok[p]))
        b = int(rng.choice([s for s in opts if s != st.dest[p]]))
        changes = [(p, b)]
        if rng.random() < 0.5:
            qs = [
                q
                for q in np.flatnonzero(st.dest == b)
                if q != p
                and st.role[q] == st.role[p]
                and (not st.is_t[p] or st.subj[q] == st.subj[p])
            ]
            if qs:
                changes.append((int(rng.choice(qs)), int(st.dest[p])))
        _, broken = st.evaluate(changes)
        plan = _apply(a, {st.staff_id(q): ids[s] for q, s in changes})
        v = validate_plan(district, sc, plan)
        assert {x["rule"] for x in broken} == {x.rule for x in v}, (changes, broken, v)


# ----------------------------------------------------------------------------- tiny cases


def test_reasons_name_quota_pin_and_commute(tmp_path):
    """A must rotate 1 of 2 teachers (quota); T2 is pinned to stay, so T1 moves; the
    reasons say so, and T1's alternative (staying) breaks the quota."""
    d = make_district(
        [school("A"), school("B", km=3), school("C", km=8)],
        [
            person("T1", "A", home_km=0),
            person("T2", "A", home_km=0),
            person("B_m", "B", school_start_date=NEW),
            person("C_m", "C", school_start_date=NEW),
        ],
        tmp_path,
        pins_rows=[{"staff_id": "T2", "action": "stay"}],
    )
    sc = scenario(
        quotas={"teacher_rotation_min": 0.5},
        staffing={"subject_tolerance": 1},
        weights={"balance": 0.0, "commute": 1.0},
    )
    r = solve(d, sc)
    ex = explain_plan(d, sc, r.assignments)
    people = {p["staff_id"]: p for p in ex["people"]}
    t1, t2 = people["T1"], people["T2"]
    assert t1["moved"] and t1["to_school"] == "B"
    assert any(x["kind"] == "quota" and x["rule"] == "teacher_rotation_min" for x in t1["reasons"])
    # the best alternative: going to C instead costs the extra commute
    assert t1["alternative"]["to_school"] == "C"
    assert t1["alternative"]["terms_delta"]["commute"] == pytest.approx(5.0, abs=0.01)
    assert t2["pin"] == "stay" and t2["reasons"][0]["kind"] == "pin"
    assert t2["alternative"] is None  # staying is pinned: any other decision breaks the pin


def test_balance_reason_for_a_key_teacher(tmp_path):
    """A key teacher leaves the school with three of them for one with none: staying would
    raise the balance term, and the reason says balance."""
    staff = [
        person("K1", "A", key_level="district"),
        *[person(f"K{i}", "A", key_level="district", school_start_date=NEW) for i in (2, 3)],
        person("B_m", "B", school_start_date=NEW),
    ]
    d = make_district([school("A"), school("B", km=2)], staff, tmp_path)
    sc = scenario(staffing={"subject_tolerance": 1})
    r = solve(d, sc)
    assert r.assignments.at["K1", "to_school"] == "B"
    ex = explain_plan(d, sc, r.assignments)
    k1 = next(p for p in ex["people"] if p["staff_id"] == "K1")
    assert k1["reasons"][0]["kind"] == "balance" and k1["reasons"][0]["terms_delta"]["balance"] > 0
    assert k1["alternative"]["stays"] and k1["alternative"]["objective_delta"] > 0


def test_minmax_terms_add_up(tmp_path):
    """With objective = "minmax" the parts name the highest and lowest school, and terms add up."""
    staff = [
        person("K1", "A", key_level="district"),
        person("K2", "A", key_level="district"),
        person("B_m", "B", school_start_date=NEW),
    ]
    d = make_district([school("A"), school("B", km=2)], staff, tmp_path)
    sc = scenario(staffing={"subject_tolerance": 1}, balance={"objective": "minmax"})
    r = solve(d, sc)
    ex = explain_plan(d, sc, r.assignments)
    assert ex["check"]["sum_of_weighted_terms"] == pytest.approx(r.objective, abs=1e-9)
    assert {"highest", "lowest"} <= set(ex["terms"]["balance"]["parts"][0])


# ----------------------------------------------------------------------------- command line


def test_cli_explain_staff_school_and_json(demo):
    """`lungang explain PLAN --staff` prints the person's reasons from the plan alone
    (scenario from summary.json); --school lists arrivals and departures; --format json."""
    out, _, _, ex = demo
    mover = next(p for p in ex["people"] if p["moved"] and p["stream"] != "principal")
    r = run("explain", str(out), "--staff", mover["staff_id"])
    assert r.exit_code == 0, r.output
    assert f"{mover['staff_id']}" in r.output and "staying alone would break" in r.output
    assert "objective" in r.output and "rules (binding ones marked *)" in r.output
    r = run("explain", str(out), "--school", mover["to_school"])
    assert r.exit_code == 0 and "gained:" in r.output and mover["staff_id"] in r.output
    r = run(
        "explain",
        str(out),
        "--staff",
        mover["staff_id"],
        "--format",
        "json",
        "--scenario",
        str(DEMO),
    )
    data = json.loads(r.output)
    assert [p["staff_id"] for p in data["people"]] == [mover["staff_id"]]
    assert data["people"][0]["reasons"] == mover["reasons"]
    r = run("explain", str(out), "--staff", "NOBODY")
    assert r.exit_code == 2 and "NOBODY" in r.output


@pytest.mark.parametrize("seed", [0, 2, 3, 4, 7, 9, 12, 13])
def test_broken_rules_agree_with_the_validator_on_tiny_districts(tmp_path, seed):
    """The same agreement under binding quotas, flows, a balance floor and cap, and pins."""
    from builders import random_tiny_district

    rng = np.random.default_rng(seed)
    d = random_tiny_district(seed, tmp_path)
    people = d.staff.index.tolist()
    pins = [{"staff_id": people[int(rng.integers(len(people)))], "action": "stay", "school_id": ""}]
    import dataclasses

    d = dataclasses.replace(d, pins=pd.DataFrame(pins))
    sc = scenario(
        quotas={
            "teacher_rotation_min": 0.2,
            "key_share_of_rotated_min": 0.3,
            "school_outflow_max": 0.5,
        },
        staffing={"subject_tolerance": 1},
        commute={"max_km": 20.0},
        flow={"urban_to_rural_min": 0.2, "rural_to_urban_min": 0.2},
        balance={"min_per_100": 0.05, "max_cv": 1.5},
    )
    # (the seeds are ones whose rules can hold: an InfeasibleError here fails the test)
    r = solve(d, sc)
    assert r.status is SolveStatus.OPTIMAL
    a = r.assignments
    st = PlanState(d, sc, a)
    ids = list(d.schools.index)
    n = len(st.m.people)
    for _ in range(60):
        p = int(rng.integers(n))
        opts = [
            s
            for s in [int(st.home[p]), *np.flatnonzero(st.m.ok[p]), int(rng.integers(len(ids)))]
            if s != st.dest[p]
        ]
        if not opts:
            continue
        b = int(rng.choice(opts))
        changes = [(p, b)]
        qs = [q for q in np.flatnonzero(st.dest == b) if q != p and st.role[q] == st.role[p]]
        if qs and rng.random() < 0.5:
            changes.append((int(rng.choice(qs)), int(st.dest[p])))
        delta, broken = st.evaluate(changes)
        plan = _apply(a, {st.staff_id(q): ids[s] for q, s in changes})
        v = validate_plan(d, sc, plan)
        assert {x["rule"] for x in broken} == {"pin" if x.rule == "pins" else x.rule for x in v}, (
            changes,
            broken,
            v,
        )
        exact = alternative_terms(st, changes)
        for t in ("balance", "commute", "moves"):
            assert delta[t] == pytest.approx(exact[t] - r.terms[t], abs=1e-6)
