"""Each year of a horizon plan solved again with its movers fixed (solver.search.retime):
the same people move in the same years, every rule holds across the years, the
objective never rises, an optimal plan's timing gives its optimum back, and horizons
whose years depend on each other beyond the timing are not retimed."""

from __future__ import annotations

import pytest
from builders import AS_OF, person, scenario, school, write_district_csv

import solver.search.horizon as horizon
from solver.input.loaders import load_district
from solver.plan.result import SolveStatus
from solver.progress import Budget
from solver.search.horizon import _walk, plan_horizon, plan_staged
from solver.search.retime import can_retime, retime, timing_holds
from solver.validate import validate_horizon


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The generated demo district with history (300 staff, 12 schools)."""
    from solver.generate import write_generated

    folder = tmp_path_factory.mktemp("demo") / "d"
    write_generated("demo", folder, seed=0, horizon=True)
    return load_district(folder, as_of=AS_OF)


def _sc(**solver):
    return scenario(
        quotas={"teacher_rotation_min": 0.1, "school_outflow_max": 0.34},
        horizon={"years": 2, "no_return_years": 6, "coverage_min": 0.5},
        solver={"workers": 1, **solver},
    )


def _moves(result) -> list:
    out = []
    for y in result.years:
        a = y.assignments
        out.append(a.loc[a["moved"].to_numpy(dtype=bool), "to_school"].astype(str))
    return out


def _objective(district, sc, moves) -> float:
    walk = _walk(district, sc, moves, SolveStatus.FEASIBLE)
    return float(sum(r.objective for r in walk["years"]))


def _valid(district, sc, moves) -> list:
    walk = _walk(district, sc, moves, SolveStatus.FEASIBLE)
    return validate_horizon(district, sc, [y.assignments for y in walk["years"]])


def test_retimed_staged_plan_keeps_its_movers_and_every_rule(demo):
    """The staged plan (the years in turn, held to the coverage schedule's counts)
    retimed: the same movers in each year, the cross-year rules and coverage hold, and
    the objective is no higher."""
    sc = _sc(work_limit=5.0)
    base = plan_staged(demo, sc)
    assert base.status.has_plan
    moves = _moves(base)
    got = retime(demo, sc, moves, Budget(120.0))
    assert got is not None
    for old, new in zip(moves, got, strict=True):
        assert set(new.index) == set(old.index)
    assert _valid(demo, sc, got) == []
    assert _objective(demo, sc, got) <= _objective(demo, sc, moves) + 1e-9


def test_retiming_an_optimal_plan_gives_its_optimum(tmp_path):
    """A horizon plan CP-SAT proves optimal (4 schools 2 km apart, 3 math teachers each,
    two of them key): its timing with each year solved again is worth exactly its
    objective (no year can do better with the same movers, no plan is below the
    optimum)."""
    names = "ABCD"
    schools = [school(s, km=2 * i) for i, s in enumerate(names)]
    staff = [person(f"{s}{i}", s) for s in names for i in range(3)]
    staff[0]["key_level"] = staff[1]["key_level"] = "district"
    d = load_district(write_district_csv(tmp_path / "d", schools, staff), as_of=AS_OF)
    sc = scenario(horizon={"years": 2, "coverage_min": 0.5}, quotas={"teacher_rotation_min": 0.3})
    best = plan_horizon(d, sc)
    assert best.status is SolveStatus.OPTIMAL
    moves = _moves(best)
    assert sum(len(m) for m in moves) > 0
    got = retime(d, sc, moves, Budget(120.0))
    assert got is not None
    assert _valid(d, sc, got) == []
    assert _objective(d, sc, got) == pytest.approx(best.objective, rel=1e-7)


def test_plan_horizon_keeps_the_retimed_plan_when_it_is_better(demo, monkeypatch):
    """A big horizon's joint search (here: every horizon, with little work) is followed
    by the retiming; the result is the better of the two plans and keeps every rule."""
    monkeypatch.setattr(horizon, "STAGED_MIN_PAIRS", 0)
    monkeypatch.setattr(horizon, "GUIDED_MIN_PAIRS", 10**9)
    sc = _sc(work_limit=0.5)
    r = plan_horizon(demo, sc)
    assert r.status.has_plan
    assert "retime_seconds" in r.stats and "joint_objective" in r.stats
    joint, again = r.stats["joint_objective"], r.stats["retime_objective"]
    # each year the better of the joint plan's and the retimed one's (the years are
    # independent given the timing): no worse than either
    assert r.objective <= min(joint, again) + 1e-9 * joint
    assert validate_horizon(demo, sc, [y.assignments for y in r.years]) == []


def test_only_horizons_whose_years_meet_through_the_timing_are_retimed():
    """Stints longer than a year, no return, or an obligation tie the years together
    beyond who moves when."""
    one = scenario(horizon={"years": 2, "stint_years": 1})
    assert can_retime(one, {})
    assert not can_retime(scenario(horizon={"years": 2, "stint_years": 2}), {})
    assert not can_retime(scenario(horizon={"years": 2, "return_home": False}), {})
    assert not can_retime(one, {"T1": "new_hire_rural"})


def test_timing_holds_move_exactly_the_movers():
    import pandas as pd

    holds = timing_holds(pd.Index(["a", "b", "c"]), {"b", "c"})
    assert holds.to_dict("records") == [
        {"staff_id": "b", "group": "move", "min": 2, "max": 2},
        {"staff_id": "c", "group": "move", "min": 2, "max": 2},
        {"staff_id": "a", "group": "stay", "min": 0, "max": 0},
    ]
