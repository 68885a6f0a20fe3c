"""The neighbourhood search of a multi-year plan (solver.search.horizon_lns): each round
changes only the people of a few neighbouring schools, every plan it keeps meets every
rule across the years, it never returns a worse plan and it leaves the model as it was."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from builders import AS_OF, scenario
from ortools.sat.python import cp_model

from solver.input.geo import haversine_km
from solver.input.loaders import load_district
from solver.model.horizon import HorizonModel
from solver.model.rotation import OBJ_UNIT
from solver.plan.result import SolveStatus
from solver.search import horizon_lns
from solver.search.horizon import _plan_moves, _walk
from solver.search.horizon_lns import complete, improve
from solver.validate import validate_horizon

SC = scenario(
    quotas={"teacher_rotation_min": 0.1, "school_outflow_max": 0.34},
    horizon={"years": 2, "no_return_years": 6, "coverage_min": 0.5},
    solver={"workers": 1, "seed": 3},
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The generated demo district with history (300 staff, 12 schools)."""
    from solver.generate import write_generated

    folder = tmp_path_factory.mktemp("demo") / "d"
    write_generated("demo", folder, seed=0, horizon=True)
    return load_district(folder, as_of=AS_OF)


@pytest.fixture(scope="module")
def start(demo):
    """The joint model and its first plan (CP-SAT's first solution: far from the best)."""
    hm = HorizonModel(demo, SC, 2)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.stop_after_first_solution = True
    solver.parameters.max_time_in_seconds = 30
    assert solver.solve(hm.model) in (cp_model.FEASIBLE, cp_model.OPTIMAL)
    return hm, np.asarray(solver.response_proto.solution, dtype=np.int64), solver.objective_value


def _domains(model: cp_model.CpModel) -> list[tuple[int, ...]]:
    return [tuple(v.domain) for v in model.proto.variables]


def test_the_search_lowers_the_objective_and_keeps_every_rule(demo, start):
    hm, values, first = start
    before = _domains(hm.model)
    hint = (list(hm.model.proto.solution_hint.vars), list(hm.model.proto.solution_hint.values))
    res = improve(hm, values, SC.solver, 3.0)
    assert res.improved > 0 and res.objective < first
    assert _domains(hm.model) == before  # the rounds fixed moves on a copy
    assert (
        list(hm.model.proto.solution_hint.vars),
        list(hm.model.proto.solution_hint.values),
    ) == hint
    walk = _walk(demo, SC, _plan_moves(hm, res.values), SolveStatus.FEASIBLE)
    assert validate_horizon(demo, SC, [r.assignments for r in walk["years"]]) == []
    assert walk["coverage"]["reached"]
    exact = sum(r.objective for r in walk["years"])
    # (the model rounds each school's balance cost: 1e-6 per school and year, times weights)
    assert exact == pytest.approx(res.objective / OBJ_UNIT, rel=1e-5)


def test_a_round_changes_only_the_people_of_its_schools(demo, start, monkeypatch):
    """One round (of two schools: the centre drawn with seed 3 and its nearest):
    whoever's moves changed was at one of the round's schools, or was sent to one of
    them by the start's plan."""
    hm, values, _first = start
    monkeypatch.setattr(horizon_lns, "SCHOOLS", 2)
    res = improve(hm, values, SC.solver, 60.0, max_rounds=1)
    assert res.rounds == 1 and res.improved == 1
    mv = horizon_lns._Moves(hm)
    sch = hm.district.schools
    centre = int(np.random.default_rng(SC.solver.seed).permutation(len(sch))[0])
    lat, lon = sch["lat"].to_numpy(float), sch["lon"].to_numpy(float)
    km = haversine_km(lat[centre], lon[centre], lat, lon)
    schools = np.argsort(km, kind="stable")[: horizon_lns.SCHOOLS]
    changed = values[mv.index] != res.values[mv.index]
    assert changed.any()
    ok = np.isin(mv.home, schools) | (np.isin(mv.dest, schools) & (values[mv.index] == 1))
    allowed = np.unique(mv.person[ok])
    assert np.isin(mv.person[changed], allowed).all()
    outside = ~np.isin(mv.person, allowed)
    assert outside.any()  # (a real neighbourhood: some people were not free)


def test_complete_gives_the_plan_s_objective_or_none_when_it_breaks_a_rule(start):
    hm, values, first = start
    mv = horizon_lns._Moves(hm)
    hm.model.add_hint(hm.years[0].stay[0], 1)  # the model's own hint is kept
    got = complete(hm.model, mv.index, values[mv.index], 10.0)
    hint = hm.model.proto.solution_hint
    assert (list(hint.vars), list(hint.values)) == ([hm.years[0].stay[0].index], [1])
    hm.model.clear_hints()
    assert got is not None and got[1] == pytest.approx(first)
    nobody = np.where(np.isin(mv.index, [v.index for rm in hm.years for v in rm.stay]), 1, 0)
    assert complete(hm.model, mv.index, nobody, 10.0) is None  # coverage 0.5 needs movers
    moves = _plan_moves(hm, values)
    assert sum(len(m) for m in moves) > 0 and all(isinstance(m, pd.Series) for m in moves)


def test_a_cycle_from_a_retimed_plan_lowers_it_and_keeps_every_rule(demo, start, monkeypatch):
    """A further cycle (the joint model built again to keep the plan's moves, rounds,
    then each year solved again with its movers) from a poor plan: a lower objective,
    every rule across the years kept."""
    import solver.search.horizon as horizon
    from solver.progress import Budget

    hm, values, _first = start
    walk = _walk(demo, SC, _plan_moves(hm, values), SolveStatus.FEASIBLE)
    objective = sum(r.objective for r in walk["years"])
    monkeypatch.setattr(horizon, "RETIME_MIN_S", 1.0)
    monkeypatch.setattr(horizon, "CYCLE_MIN_S", 1.0)
    stats: dict = {}
    said: list[str] = []
    got, lower = horizon._cycles(demo, SC, walk, objective, [], Budget(5.0), said.append, stats)
    assert stats["cycles"] >= 2 and stats["lns_rounds"] > 0
    assert lower < objective
    assert lower == pytest.approx(sum(r.objective for r in got["years"]))
    assert validate_horizon(demo, SC, [r.assignments for r in got["years"]]) == []
    assert got["coverage"]["reached"]


def test_the_search_starts_from_the_plan_s_moves_not_its_other_values(demo, start):
    """A hint whose moves are a plan but whose other variables (the balance terms') are
    not at their least (a priority stage's plan leaves them anywhere) is searched from
    the plan's own objective."""
    import solver.search.horizon as horizon
    from solver.search.engine import hint_values

    hm, values, first = start
    stats: dict = {}
    bad = values.copy()
    moves = horizon_lns._Moves(hm).index
    other = np.setdiff1d(np.arange(len(bad)), moves)
    ub = np.asarray([hm.model.proto.variables[int(i)].domain[1] for i in other])
    bad[other] = ub  # every other variable at its top
    hint_values(hm.model, bad)
    code, got = horizon._neighbourhoods(hm, 1.0, None, stats)
    hm.model.clear_hints()
    assert code == cp_model.FEASIBLE
    assert stats["lns_start_objective"] == pytest.approx(first / OBJ_UNIT)
    walk = _walk(demo, SC, _plan_moves(hm, got), SolveStatus.FEASIBLE)
    assert validate_horizon(demo, SC, [r.assignments for r in walk["years"]]) == []


def test_centres_skip_stale_schools_and_grow_when_all_are():
    """Every school once per pass; a school whose round found nothing is skipped until
    a change touches it; when every school is stale the neighbourhoods grow."""
    c = horizon_lns._Centres(4, np.random.default_rng(0))
    first = [c.next() for _ in range(4)]
    assert sorted(x for x, _k in first) == [0, 1, 2, 3]
    assert {k for _x, k in first} == {horizon_lns.SCHOOLS}
    for x, _k in first[:3]:
        c.stale(x)
    assert [c.next()[0] for _ in range(3)] == [first[3][0]] * 3  # only the fresh one
    c.touched(np.asarray([first[0][0]]))
    assert first[0][0] in {c.next()[0] for _ in range(4)}
    for x in range(4):
        c.stale(x)
    assert c.next()[1] == horizon_lns.SCHOOLS + 1
