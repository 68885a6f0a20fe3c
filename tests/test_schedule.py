"""The coverage schedule of a staged multi-year plan (solver.search.schedule): its
counts, its diagnosis, the group-count holds it gives a year and the staged plan it
carries to full coverage where the holds and the pace alone fall short."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
from builders import AS_OF, person, scenario, school, write_district_csv

from solver.input.loaders import load_district
from solver.model.horizon import HorizonModel
from solver.plan.result import SolveStatus
from solver.search.heuristic import swap_plan
from solver.search.horizon import plan_staged
from solver.search.schedule import coverage_schedule
from solver.search.solve import solve
from solver.validate import validate_horizon, validate_plan


def _line(tmp_path: Path):
    """Schools A, B, C 1 km apart on a line, one math teacher each, all eligible for
    both years. With head counts held, all three move only as a cycle A→B→C→A in one
    year: a year that swaps two of them leaves the third no partner."""
    schools = [school("A"), school("B", km=1), school("C", km=2)]
    staff = [person("A0", "A"), person("B0", "B"), person("C0", "C")]
    folder = write_district_csv(tmp_path / "d", schools, staff)
    return load_district(folder, as_of=AS_OF)


def _scenario(coverage: float = 1.0, **kw):
    return scenario(
        horizon={"years": 2, "coverage_min": coverage},
        solver={"work_limit": 5.0},
        **kw,
    )


def test_schedule_moves_every_counted_person_once_in_one_cycle(tmp_path):
    """Coverage 1 over 2 years on the line: the schedule moves all three in one year
    (each group's counts sum to its size), and its holds name them."""
    d = _line(tmp_path)
    hm = HorizonModel(d, _scenario(), 2, coverage=False)
    sch = coverage_schedule(hm)
    assert sch.ok and sch.need == 3
    assert sorted(sch.year_total(t) for t in (1, 2)) == [0, 3]
    year = 1 if sch.year_total(1) else 2
    holds = sch.holds(year)
    assert sorted(holds["staff_id"]) == ["A0", "B0", "C0"]
    assert (holds.groupby("group")["min"].max() == holds.groupby("group").size()).all()
    # from year 2, after a year that swapped A0 and B0: C0 cannot move
    late = coverage_schedule(hm, moved={"A0": (1, "B"), "B0": (1, "A")}, start=2)
    assert late.status == "infeasible" and late.most == 2
    assert late.diagnosis["conflicts"][0]["rule"] == "coverage_min"


def test_schedule_that_cannot_reach_coverage_names_coverage_min(tmp_path):
    """Two math teachers at A, one at B, 2 years: with head counts held each of A's needs
    B0 as partner and B0 moves once, so at most 2 of 3 move: infeasible, the diagnosis
    names coverage_min and says how many can."""
    schools = [school("A"), school("B", km=2)]
    staff = [person("A0", "A"), person("A1", "A"), person("B0", "B")]
    d = load_district(write_district_csv(tmp_path / "d", schools, staff), as_of=AS_OF)
    hm = HorizonModel(d, _scenario(), 2, coverage=False)
    sch = coverage_schedule(hm)
    assert sch.status == "infeasible" and sch.counts == {}
    assert sch.most == 2 and sch.need == 3
    (conflict,) = sch.diagnosis["conflicts"]
    assert conflict["rule"] == "coverage_min" and conflict["key"] == "horizon.coverage_min"
    assert "at most 2 can" in conflict["text"]
    # at 2 of 3 the counts exist
    ok = coverage_schedule(HorizonModel(d, _scenario(coverage=0.66), 2))
    assert ok.ok and sum(ok.counts.values()) == 2


def test_schedule_keeps_the_outflow_caps_and_the_quotas(tmp_path):
    """Four math teachers at A and at B, 2 years, outflow cap 0.5 (2 a year), coverage 1:
    each year exactly two of each school move (caps), and each year's quota of 0.5 of
    that year's eligible (earlier movers left out) holds."""
    schools = [school("A"), school("B", km=2)]
    staff = [person(f"{s}{i}", s) for s in "AB" for i in range(4)]
    d = load_district(write_district_csv(tmp_path / "d", schools, staff), as_of=AS_OF)
    sc = _scenario(quotas={"school_outflow_max": 0.5, "teacher_rotation_min": 0.5})
    sch = coverage_schedule(HorizonModel(d, sc, 2, coverage=False))
    assert sch.ok
    assert (sch.year_total(1), sch.year_total(2)) == (4, 4)
    tight = _scenario(quotas={"school_outflow_max": 0.25})
    assert coverage_schedule(HorizonModel(d, tight, 2)).status == "infeasible"


def test_group_holds_bind_the_years_model_and_its_warm_start(tmp_path):
    """A year's group-count hold (District.holds, a search device): at least `min` of the
    group's people move, in the model and in the warm start of paired exchanges; the
    plan passes the validator (which knows no holds)."""
    schools = [school("A"), school("B", km=1), school("C", km=5)]
    staff = [person("A0", "A"), person("B0", "B"), person("C0", "C"), person("C1", "C")]
    d = load_district(write_district_csv(tmp_path / "d", schools, staff), as_of=AS_OF)
    sc = scenario(quotas={"teacher_rotation_min": 0.5}, solver={"work_limit": 5.0})
    free = solve(d, sc)
    moved = set(free.assignments.index[free.assignments["moved"]])
    assert moved == {"A0", "B0"}  # the nearest swap
    holds = pd.DataFrame({"staff_id": ["C0", "C1"], "group": ["g", "g"], "min": [1, 1]})
    held = dataclasses.replace(d, holds=holds)
    res = solve(held, sc)
    moved = set(res.assignments.index[res.assignments["moved"]])
    assert len(moved & {"C0", "C1"}) >= 1
    assert validate_plan(held, sc, res.assignments) == []
    from solver.model.rotation import RotationModel

    built = RotationModel(held, sc)
    choice = swap_plan(built)
    assert choice is not None
    chosen = set(built.people.index[np.flatnonzero(choice >= 0)])
    assert chosen & {"C0", "C1"}


def test_scheduled_staged_plan_reaches_coverage_the_paced_one_misses(tmp_path):
    """Math teachers at A (0 km), B (1 km) and C (3 km) move only as a cycle; PE teachers
    at A and B swap. Paced to 3 of 5 moves in year 1, the staged plan takes the two
    cheapest swaps (4 km against the cycle's 6 km) and leaves C0 no partner in year 2
    (coverage 4 of 5); with the coverage schedule its years move all five, and every
    year and the horizon validate."""
    schools = [school("A"), school("B", km=1), school("C", km=3)]
    staff = [person("A0", "A"), person("B0", "B"), person("C0", "C")]
    staff += [person("PA", "A", subject="pe"), person("PB", "B", subject="pe")]
    d = load_district(write_district_csv(tmp_path / "d", schools, staff), as_of=AS_OF)
    sc = _scenario()
    paced = plan_staged(d, sc, schedule=False)
    assert not paced.coverage["reached"] and paced.coverage["moved_of_movable"] == 4
    staged = plan_staged(d, sc)
    assert staged.status is SolveStatus.FEASIBLE and staged.coverage["reached"]
    assert staged.coverage["moved_of_movable"] == 5
    assert validate_horizon(d, sc, [y.assignments for y in staged.years]) == []
    moved = [set(y.assignments.index[y.assignments["moved"]]) for y in staged.years]
    assert {"A0", "B0", "C0"} in [m & {"A0", "B0", "C0"} for m in moved]  # the cycle, in one year


def test_a_big_horizon_whose_schedule_cannot_reach_coverage_is_infeasible_at_once(
    tmp_path, monkeypatch
):
    """Above STAGED_MIN_PAIRS, a year-1 schedule proven infeasible ends the horizon search:
    infeasible, the diagnosis names coverage_min with the most that can move, and no
    year is planned."""
    import solver.search.horizon as horizon

    schools = [school("A"), school("B", km=2)]
    staff = [person("A0", "A"), person("A1", "A"), person("B0", "B")]
    d = load_district(write_district_csv(tmp_path / "d", schools, staff), as_of=AS_OF)
    monkeypatch.setattr(horizon, "STAGED_MIN_PAIRS", 0)
    r = horizon.plan_horizon(d, _scenario(), raise_on_failure=False)
    assert r.status is SolveStatus.INFEASIBLE and r.years == []
    assert [c["rule"] for c in r.diagnosis["conflicts"]] == ["coverage_min"]
    assert r.diagnosis["conflicts"][0]["most"] == 2
    assert "coverage_min" in r.message
