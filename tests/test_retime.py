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


def test_a_schedule_steered_by_an_lp_follows_its_years(demo):
    """The coverage schedule with ``prefer`` moves people in the years the preference
    names where the rules let it: everyone preferred in year 2 puts more moves in year
    2 than everyone preferred in year 1, and both reach coverage."""
    from solver.model.horizon import HorizonModel
    from solver.search.schedule import coverage_schedule

    sc = _sc(work_limit=5.0)
    hm = HorizonModel(demo, sc, 2)
    ids = [str(s) for rm in hm.years for s in rm.people.index]
    totals = {}
    for want in (1, 2):
        prefer = {(s, t): float(t == want) for s in ids for t in (1, 2)}
        # (10 s: the MIP over the commute-optimal moves, too little left for CP-SAT)
        sch = coverage_schedule(hm, time_limit_s=10.0, prefer=prefer)
        assert sch.ok
        totals[want] = (sch.year_total(1), sch.year_total(2))
        assert sum(totals[want]) >= hm.need_coverage
    assert totals[2][1] > totals[1][1] and totals[1][0] > totals[2][0]


def test_lp_timed_plan_keeps_every_rule_and_the_schedule_s_timing(demo):
    """The LP-timed plan (the schedule steered by the horizon LP's years, each year then
    solved with exactly its movers) reaches coverage, keeps every rule across the years
    and moves whom the schedule's plan of individuals moves, year by year."""
    from solver.model.horizon import HorizonModel
    from solver.search.lp import lp_solve
    from solver.search.retime import lp_targets, lp_timed, lp_timing
    from solver.search.schedule import coverage_schedule

    sc = _sc(work_limit=5.0)
    hm = HorizonModel(demo, sc, 2)
    lp = lp_solve(hm.model.proto, 60.0)
    assert lp is not None
    prefer = lp_timing(hm, lp[1])
    assert all(0.0 <= v <= 1.0 for v in prefer.values())
    targets = lp_targets(hm, lp[1])
    moves = lp_timed(hm, demo, sc, prefer, targets, 30.0, 60.0, Budget(200.0))
    assert moves is not None
    assert _valid(demo, sc, moves) == []
    # ([solver] work_limit: the schedule's first plan, not one that depends on the clock)
    sch = coverage_schedule(hm, time_limit_s=30.0, prefer=prefer, targets=targets, search=False)
    for t, mv in enumerate(moves, start=1):
        assert set(mv.index) == set(sch.plan[t].index)


def test_plan_horizon_starts_from_the_lp_timed_plan(demo, monkeypatch):
    """A big horizon (here: every one) with a coverage target starts its joint search
    from the LP-timed plan, and the result keeps every rule."""
    monkeypatch.setattr(horizon, "STAGED_MIN_PAIRS", 0)
    monkeypatch.setattr(horizon, "GUIDED_MIN_PAIRS", 10**9)
    sc = _sc(work_limit=0.5)
    said: list[str] = []
    r = plan_horizon(demo, sc, said.append)
    assert r.status.has_plan and r.coverage["reached"]
    assert any(m.startswith("LP-timed schedule: moves per year") for m in said)
    assert "staged_objective" in r.stats
    assert validate_horizon(demo, sc, [y.assignments for y in r.years]) == []


def test_polishing_a_schedule_keeps_it_a_plan_and_lowers_its_objective(demo, monkeypatch):
    """CP-SAT from a plan of the LP-steered schedule (schedule._polish) returns a plan of
    the same model (every variable fixed to it, the model is still feasible) whose
    objective is lower: started from the plan of the schedule steered to the other
    year (the same variables and rules, another objective), it moves people towards
    the preferred year."""
    from ortools.sat.python import cp_model

    from solver.model.horizon import HorizonModel
    from solver.search import schedule
    from solver.search.schedule import _Built, _Data, _polish, _solve

    sc = _sc()
    hm = HorizonModel(demo, sc, 2)
    ids = [str(s) for rm in hm.years for s in rm.people.index]

    def steered(year):
        prefer = {(s, t): float(t == year) for s in ids for t in (1, 2)}
        return _Built(hm, _Data(hm, {}, 1), demo.pins, relax=False, prefer=prefer)

    built, other = steered(2), steered(1)
    proto = built.model.proto
    n = len(proto.variables)
    assert len(other.model.proto.variables) == n
    start, infeasible = _solve(other.model, 30.0, 1)
    assert start is not None and not infeasible
    monkeypatch.setattr(schedule, "POLISH_MIN_S", 1.0)
    better = _polish(built.model, start, 10.0, sc.solver)

    def cost(values):
        obj = proto.objective
        return sum(c * round(values[v]) for v, c in zip(obj.vars, obj.coeffs, strict=True))

    assert cost(better) < cost(start)
    check = built.model.clone()
    for i in range(n):
        check.add(check.get_int_var_from_proto_index(i) == int(round(better[i])))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 30.0
    assert solver.solve(check) in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    assert len(proto.solution_hint.vars) == 0  # (the hint does not stay on the model)
    assert _polish(built.model, start, 0.5, sc.solver) is start  # (no time: the plan as given)


def _is_plan(model, values) -> bool:
    """Whether ``values`` (one per proto variable, rounded) meet every row of ``model``."""
    from ortools.sat.python import cp_model

    check = model.clone()
    for i in range(len(model.proto.variables)):
        check.add(check.get_int_var_from_proto_index(i) == int(round(values[i])))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 30.0
    return solver.solve(check) in (cp_model.OPTIMAL, cp_model.FEASIBLE)


def test_the_mip_over_the_commute_lp_s_support_reaches_the_schedule_s_optimum(tmp_path):
    """Where the schedule's commute LP has an integral optimum (as Dongcheng's: 10,917.6
    km both), HiGHS's MIP over the moves of its interior-point optimum (which lies
    inside the face of every optimal schedule; every other flow fixed at 0) reaches the
    optimum of the MIP over every move, and its plan meets every row of the schedule.
    Five schools 2 km apart on a line, four eligible math teachers each, everyone to
    move within two years."""
    from solver.model.horizon import HorizonModel
    from solver.search.lp import highs_solve
    from solver.search.schedule import SUPPORT_MIN, _Built, _Data, _support_plan

    names = "ABCDE"
    schools = [school(s, km=2 * i) for i, s in enumerate(names)]
    staff = [person(f"{s}{i}", s) for s in names for i in range(4)]
    d = load_district(write_district_csv(tmp_path / "d", schools, staff), as_of=AS_OF)
    sc = scenario(
        horizon={"years": 2, "coverage_min": 1.0},
        quotas={"teacher_rotation_min": 0.3, "school_outflow_max": 0.6},
    )
    hm = HorizonModel(d, sc, 2)
    data = _Data(hm, {}, 1)
    built = _Built(hm, data, d.pins, relax=False)
    proto = built.model.proto
    whole = highs_solve(proto, 60.0, integral=True, threads=1)
    assert whole is not None and whole.optimal
    lp = highs_solve(proto, 60.0, threads=1, options={"solver": "ipm", "run_crossover": "off"})
    assert lp.bound == pytest.approx(whole.objective, abs=1e-6)  # (an integral optimum)
    flows = [v.index for v in built.flow_of.values()]
    assert sum(lp.values[i] <= SUPPORT_MIN for i in flows) > 0  # (some are fixed at 0)
    values = _support_plan(built, 60.0, 1)
    assert values is not None and _is_plan(built.model, values)
    obj = proto.objective
    cost = sum(c * round(values[v]) for v, c in zip(obj.vars, obj.coeffs, strict=True))
    assert cost == pytest.approx(whole.objective, abs=1e-6)


def test_lp_targets_are_the_lp_s_net_arrivals_of_key_teachers(demo):
    """The LP-timed schedule's balance stand-in: per school, indicator and year, the LP's
    arrivals less departures of the indicator's people (every arrival is someone's
    departure, so each year's targets sum to zero); a schedule steered to them (and to
    the LP's years) is a plan of the schedule's rows."""
    import numpy as np

    from solver.model.horizon import HorizonModel
    from solver.search.lp import lp_solve
    from solver.search.retime import lp_targets, lp_timing
    from solver.search.schedule import _Built, _Data, _solve

    sc = _sc(work_limit=5.0)
    hm = HorizonModel(demo, sc, 2)
    lp = lp_solve(hm.model.proto, 60.0)
    targets = lp_targets(hm, lp[1])
    assert targets and all(k == 0 for (_s, k, _y) in targets)  # (one indicator: key_per_100)
    for year in (1, 2):
        rm = hm.years[year - 1]
        net = [v for (_s, _k, y), v in targets.items() if y == year]
        assert sum(net) == pytest.approx(0.0, abs=1e-6)
        x = lp[1][[v.index for v in rm.x]]
        key = rm.person_flags[rm.pairs["p"].to_numpy(), 0]
        arrivals = sum(max(v, 0.0) for v in net)
        assert arrivals <= float(np.sum(x * key)) + 1e-6
    built = _Built(
        hm, _Data(hm, {}, 1), demo.pins, relax=False, prefer=lp_timing(hm, lp[1]), targets=targets
    )
    values, infeasible = _solve(built.model, 30.0, 1)
    assert values is not None and not infeasible and _is_plan(built.model, values)
