"""Pins (pins.csv: stay, move, to): always honoured in the plan, or reported as the
cause of infeasibility; a pin that breaks a rule is named as such."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from builders import NEW, make_district, person, random_tiny_district, scenario, school

from solver.analysis.explain import explain_plan
from solver.errors import InfeasibleError
from solver.input.loaders import load_district
from solver.input.scenario import load_scenario
from solver.search.diagnose import diagnose
from solver.search.solve import solve
from solver.validate import validate_plan

ROOT = Path(__file__).resolve().parents[1]


def _pins(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"staff_id": r[0], "action": r[1], "school_id": r[2] if len(r) > 2 else ""} for r in rows],
        columns=["staff_id", "action", "school_id"],
    )


def _honoured(district, sc, pins) -> set[str]:
    """Solve with pins: the plan passes the validator (pins included), or the diagnosis
    names a pin; returns the rules named ('' when a plan was found)."""
    d = dataclasses.replace(district, pins=pins)
    try:
        r = solve(d, sc)
    except InfeasibleError as exc:
        return set(exc.diagnosis["rules"])
    assert validate_plan(d, sc, r.assignments) == []
    return set()


#: Per seed of the random cases below: whether its pins cannot all hold (a fact of the
#: instance; the solver must find a plan exactly when it is False).
PINS_CANNOT_HOLD = {
    0: False,
    1: True,
    2: True,
    3: True,
    4: False,
    5: False,
    6: True,
    7: True,
    8: True,
    9: False,
    10: False,
    11: True,
}


@pytest.mark.parametrize("seed", sorted(PINS_CANNOT_HOLD))
def test_random_pins_are_honoured_or_named(tmp_path, seed):
    """Random pins (some impossible) on districts where, without pins, everyone may stay:
    either every pin holds in a valid plan or the diagnosis names a pin."""
    rng = np.random.default_rng(100 + seed)
    d = random_tiny_district(seed, tmp_path)
    sc = scenario(
        staffing={"subject_tolerance": int(rng.integers(0, 2))},
        commute={"max_km": float(rng.choice([5, 30]))},
    )
    staff, schools = d.staff.index.tolist(), d.schools.index.tolist()
    rows = []
    for sid in rng.choice(staff, size=min(len(staff), int(rng.integers(1, 5))), replace=False):
        action = str(rng.choice(["stay", "move", "to"]))
        rows.append((str(sid), action, str(rng.choice(schools)) if action == "to" else ""))
    rules = _honoured(d, sc, _pins(rows))
    assert bool(rules) is PINS_CANNOT_HOLD[seed], (rows, rules)
    assert not rules or "pin" in rules, (rows, rules)


def test_random_pin_cases_cover_both_outcomes():
    """The random cases above include pins that hold and pins that cannot."""
    assert set(PINS_CANNOT_HOLD.values()) == {True, False}


def test_pin_to_a_school_beyond_max_km_is_named(tmp_path):
    """`to` a school 20 km from home with max_km 10: pin and commute, with the distance."""
    d = make_district(
        [school("A"), school("C", km=20)],
        [person("T", "A", home_km=0), person("C_m", "C", school_start_date=NEW)],
        tmp_path,
        pins_rows=[{"staff_id": "T", "action": "to", "school_id": "C"}],
    )
    sc = scenario(staffing={"subject_tolerance": 1}, commute={"max_km": 10.0})
    msg, diag = diagnose(d, sc)
    assert diag["rules"] == ["pin", "commute"] and diag["staff"] == ["T"]
    assert "pins.csv sends T to C, which is 20.0 km from their home, beyond max_km 10" in msg
    assert {"A", "C"} <= set(diag["schools"])
    rel = {r["rule"]: r for r in diag["relaxations"]}
    assert rel["commute"]["suggested"] == pytest.approx(20.0, abs=0.11)
    assert rel["pin"]["suggested"] == "drop the pin of T"


def test_pin_moving_an_ineligible_person_is_named(tmp_path):
    d = make_district(
        [school("A"), school("B", km=2)],
        [person("X", "A", school_start_date=NEW), person("B_m", "B", school_start_date=NEW)],
        tmp_path,
        pins_rows=[{"staff_id": "X", "action": "move"}],
    )
    msg, diag = diagnose(d, scenario(staffing={"subject_tolerance": 1}), relax=False)
    assert diag["rules"] == ["pin"]
    assert "pins.csv moves X (A), who is not eligible: 2.0 years at school, needs 6" in msg


def test_pin_to_a_school_without_demand_for_the_subject(tmp_path):
    d = make_district(
        [school("A"), school("B", km=2)],
        [person("T", "A"), person("B_c", "B", subject="chinese", school_start_date=NEW)],
        tmp_path,
        pins_rows=[{"staff_id": "T", "action": "to", "school_id": "B"}],
    )
    msg, diag = diagnose(d, scenario(staffing={"subject_tolerance": 0}), relax=False)
    assert set(diag["rules"]) == {"pin", "subject_staffing"} and diag["subjects"] == ["math"]
    assert "has no demand for math teachers" in msg


def test_pins_over_the_outflow_cap_are_named(tmp_path):
    staff = [person(f"a{i}", "A") for i in range(4)] + [person("B_m", "B", school_start_date=NEW)]
    pins = [{"staff_id": f"a{i}", "action": "move"} for i in range(2)]
    d = make_district([school("A"), school("B", km=2)], staff, tmp_path, pins_rows=pins)
    msg, diag = diagnose(
        d,
        scenario(staffing={"subject_tolerance": 3}, quotas={"school_outflow_max": 0.25}),
        relax=False,
    )
    assert set(diag["rules"]) == {"pin", "school_outflow_max"} and set(diag["staff"]) == {
        "a0",
        "a1",
    }
    assert "lets 1 of its 4 teachers leave" in msg


def test_pinned_principal_into_a_held_post(tmp_path):
    d = make_district(
        [school("A"), school("B", km=2)],
        [
            person("PA", "A", role="principal"),
            person("PB", "B", role="principal", school_start_date=NEW),
        ],
        tmp_path,
        pins_rows=[{"staff_id": "PA", "action": "to", "school_id": "B"}],
    )
    msg, diag = diagnose(d, scenario(), relax=False)
    assert (
        set(diag["rules"]) == {"pin", "posts_filled"}
        and "post is held by someone who cannot leave" in msg
    )


@pytest.fixture(scope="module")
def demo():
    sc = load_scenario(ROOT / "scenarios" / "demo.toml")
    return load_district(sc.scenario.data, as_of=sc.as_of), sc


def test_demo_pins_hold_and_are_explained(demo):
    """On the demo: a stay, a move and a `to` pin hold in the plan (validator), and the
    explanation gives each pinned person the pin as their first reason."""
    d, sc = demo
    pins = _pins([("E028", "stay"), ("E026", "move"), ("E013", "to", "S11")])
    d = dataclasses.replace(d, pins=pins)
    r = solve(d, sc)
    assert validate_plan(d, sc, r.assignments) == []
    a = r.assignments
    assert (
        not a.at["E028", "moved"] and a.at["E026", "moved"] and a.at["E013", "to_school"] == "S11"
    )
    ex = explain_plan(d, sc, a, elig=r.eligibility, staff=["E028", "E026", "E013"])
    for p in ex["people"]:
        assert p["pin"] and p["reasons"][0]["kind"] == "pin", p
    assert next(x for x in ex["rules"] if x["rule"] == "pins")["achieved"] == 3
