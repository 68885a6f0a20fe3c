"""Plan several school years: jointly (one model, :func:`plan_horizon`) or myopically
(each year solved alone in turn, :func:`plan_myopic`, the baseline to compare with).

Both return a :class:`~solver.plan.horizon.HorizonResult` whose years are ordinary
single-year results on the district as it stands at the start of each year
(:func:`solver.rules.horizon.advance`), so every year can be written, explained and
validated like a one-year plan.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from ..errors import InputError, Problem
from ..input.data import District
from ..input.geo import haversine_km
from ..input.scenario import Scenario
from ..model.horizon import HorizonModel
from ..model.rotation import OBJ_UNIT
from ..model.terms import evaluate_terms, objective_value
from ..plan.horizon import HorizonResult
from ..plan.plan import Plan
from ..plan.result import RESULT_COLUMNS, Result, SolveStatus
from ..rules.eligibility import eligibility
from ..rules.horizon import advance, check_horizon, year_scenario, year_start
from ..rules.moves import at_least, permitted_moves
from .engine import ProgressFn, found, search
from .solve import solve


def _years(scenario: Scenario, years: int | None) -> int:
    n = years or scenario.horizon.years
    why = check_horizon(scenario, n)
    src = str(scenario.source) if scenario.source else "scenario"
    if why:
        raise InputError(Problem(file=src, key="horizon.years", message=why, value=n))
    if scenario.forms.active:
        # Refused rather than ignored: part-time shares and post filling are planned for
        # one school year (lungang solve).
        raise InputError(
            Problem(
                file=src,
                key="forms",
                message="[forms] is not supported in multi-year plans yet: plan the year "
                "with `lungang solve`, or switch the forms off",
            )
        )
    return n


def year_result(
    state: District,
    scenario: Scenario,
    moves: pd.Series,
    status: SolveStatus,
    elig: pd.DataFrame | None = None,
    seconds: float = 0.0,
) -> Result:
    """Year plan ``moves`` (``staff_id`` → school, movers only) on ``state`` as a
    :class:`Result`: one row per eligible person, terms evaluated exactly on the plan.
    Its ``best_bound`` is NaN: the bound is the horizon's."""
    elig = eligibility(state, scenario) if elig is None else elig
    ids = elig.index[elig["eligible"].to_numpy()]
    not_eligible = moves.index.difference(ids)
    if len(not_eligible):
        raise RuntimeError(
            f"the horizon plan moves {len(not_eligible)} people not eligible that year "
            f"({', '.join(map(str, not_eligible[:5]))})"
        )
    staff, sch = state.staff.loc[ids], state.schools
    frm = staff["school_id"].astype(str)
    to = frm.copy()
    to.loc[moves.index] = moves.astype(str).to_numpy()
    pos = sch.index.get_indexer(to)
    km = haversine_km(
        staff["home_lat"].to_numpy(),
        staff["home_lon"].to_numpy(),
        sch["lat"].to_numpy()[pos],
        sch["lon"].to_numpy()[pos],
    )
    moved = (to != frm).to_numpy()
    km = np.where(moved, km, 0.0)
    assignments = pd.DataFrame(
        {
            "name": staff["name"],
            "role": staff["role"],
            "stream": elig.loc[ids, "stream"],
            "subject": staff["subject"],
            "key_level": staff["key_level"],
            "from_school": frm,
            "to_school": to,
            "moved": moved,
            "distance_km": np.round(km, 3),
        },
        index=ids,
    )[list(RESULT_COLUMNS)]
    plan = Plan.of_people(state, state.staff.index.get_indexer(ids), pos, km)
    terms = evaluate_terms(state, scenario, plan.school_pos, plan.distance_km, plan.moved)
    return Result(
        status=status,
        objective=objective_value(scenario, terms),
        best_bound=math.nan,
        solve_seconds=seconds,
        build_seconds=0.0,
        assignments=assignments,
        terms=terms,
        eligibility=elig,
    )


def _walk(
    district: District,
    scenario: Scenario,
    year_moves: list[pd.Series],
    status: SolveStatus,
    results: list[Result] | None = None,
) -> dict:
    """Carry a horizon's moves through the years: states, results, returns, coverage."""
    n = len(year_moves)
    starts = [year_start(scenario.as_of, k) for k in range(n + 1)]
    state, states, out, returns = district, [], [], [pd.Index([], dtype="str")]
    eligible_any: set[str] = set()
    moved_any: set[str] = set()
    after1 = None
    for y in range(1, n + 1):
        sc = year_scenario(scenario, y)
        states.append(state)
        res = results[y - 1] if results else year_result(state, sc, year_moves[y - 1], status)
        out.append(res)
        a = res.assignments
        eligible_any |= set(a.index.astype(str))
        moved_any |= set(a.index[a["moved"].to_numpy(dtype=bool)].astype(str))
        moves = a.loc[a["moved"].to_numpy(dtype=bool), "to_school"].astype(str)
        state, back = advance(state, scenario, moves, starts[y - 1], starts[y])
        returns.append(back)
        if y == 1:
            after1 = state
    hz = scenario.horizon
    n_cov = len(eligible_any)
    movable = movable_people(states, [year_scenario(scenario, y) for y in range(1, n + 1)])
    counted = movable & eligible_any
    required = at_least(hz.coverage_min, len(counted))
    coverage = {
        "eligible": n_cov,
        "moved": len(moved_any),
        "share": 1.0 if n_cov == 0 else len(moved_any) / n_cov,
        "movable": len(counted),
        "moved_of_movable": len(moved_any & counted),
        "coverage_min": hz.coverage_min,
        "required": required,
        "reached": len(moved_any & counted) >= required,
    }
    return {
        "years": out,
        "states": states,
        "scenarios": [year_scenario(scenario, y) for y in range(1, n + 1)],
        "returns": returns[:n],
        "next_state": state,
        "after_year1": after1,
        "coverage": coverage,
    }


def movable_people(states: list[District], scenarios: list[Scenario]) -> set[str]:
    """The staff with a permitted school (level, scope, commute, posts and subject
    demand) in some year they are eligible: coverage's denominator."""
    out: set[str] = set()
    for state, sc in zip(states, scenarios, strict=True):
        m = permitted_moves(state, sc)
        out |= set(m.people.index[m.ok.any(axis=1)].astype(str))
    return out


def plan_horizon(
    district: District,
    scenario: Scenario,
    progress: ProgressFn | None = None,
    *,
    years: int | None = None,
    raise_on_failure: bool = True,
) -> HorizonResult:
    """Plan ``years`` (default ``[horizon] years``) school years jointly: one CP-SAT
    model (:class:`~solver.model.horizon.HorizonModel`), searched for at most
    ``[solver] time_limit_s`` in all.

    Raises
    ------
    InputError
        The horizon cannot be planned (see :func:`solver.rules.horizon.check_horizon`).
    InfeasibleError, NoPlanError
        As :func:`solver.search.solve.solve` (unless ``raise_on_failure=False``).
    """
    say = progress or (lambda _m: None)
    n = _years(scenario, years)
    t0 = time.perf_counter()
    hm = HorizonModel(district, scenario, n)
    build_s = time.perf_counter() - t0
    people, pairs = hm.size
    say(
        f"horizon model: {n} years, {people} eligible person-years, {pairs} candidate moves, "
        f"coverage needs {hm.need_coverage} of {len(hm.covered)}, built in {build_s:.2f} s"
    )
    settings = scenario.solver
    # (A warm start from the myopic plan, a hint that breaks coverage, crashed CP-SAT
    # 9.x with interleaved workers: "Check failed: heuristics.fixed_search != nullptr";
    # the joint model is searched without a hint.)
    budget = settings.time_limit_s
    solver, code, secs = search(hm.model, settings, budget, progress and say)
    if not found(code):
        result = _no_plan(district, scenario, hm, code, build_s, secs)
        return result.raise_for_status() if raise_on_failure else result
    year_moves = []
    for rm in hm.years:
        stay = solver.boolean_values(rm.stay).to_numpy(dtype=bool) if rm.stay else np.zeros(0, bool)
        x = solver.boolean_values(rm.x).to_numpy(dtype=bool) if rm.x else np.zeros(0, bool)
        sel = rm.pairs[x]
        ids = rm.people.index[sel["p"].to_numpy()]
        dest = rm.district.schools.index[sel["s"].to_numpy()]
        assert len(ids) == int((~stay).sum())
        year_moves.append(pd.Series(dest.astype(str), index=ids.astype(str)))
    status = SolveStatus.OPTIMAL if code == cp_model.OPTIMAL else SolveStatus.FEASIBLE
    walk = _walk(district, scenario, year_moves, status)
    objective = float(sum(r.objective for r in walk["years"]))
    bound = min(solver.best_objective_bound / OBJ_UNIT, objective)
    result = HorizonResult(
        status=status,
        objective=objective,
        best_bound=bound,
        solve_seconds=secs,
        build_seconds=build_s,
        method="joint",
        stats={
            "person_years": float(people),
            "candidate_moves": float(pairs),
            "variables": float(len(hm.model.proto.variables)),
            "constraints": float(len(hm.model.proto.constraints)),
        },
        **walk,
    )
    return result


def _no_plan(
    district: District,
    scenario: Scenario,
    hm: HorizonModel,
    code: int,
    build_s: float,
    secs: float,
) -> HorizonResult:
    """The result of a horizon search without a plan, with what can be said of why."""
    common = dict(
        objective=math.nan,
        best_bound=math.nan,
        solve_seconds=secs,
        build_seconds=build_s,
        method="joint",
    )
    if code != cp_model.INFEASIBLE:
        return HorizonResult(
            status=SolveStatus.NO_PLAN,
            message=(
                f"no horizon plan found within the time limit ({scenario.solver.time_limit_s:g} s);"
                " raise [solver] time_limit_s or --time-limit"
            ),
            **common,
        )
    # Year 1 alone first: its diagnosis names the rules, as `solve` would.
    first = solve(district, year_scenario(scenario, 1), raise_on_failure=False)
    if first.status is SolveStatus.INFEASIBLE:
        return HorizonResult(
            status=SolveStatus.INFEASIBLE,
            message=f"year 1: {first.message}",
            diagnosis=first.diagnosis,
            **common,
        )
    rules = []
    if hm.need_coverage > 0:
        # Without coverage the years hold if the myopic loop plans every year (its plan
        # is a plan of the joint model less coverage): then coverage_min is the rule.
        myopic = plan_myopic(district, scenario, years=hm.n_years)
        relaxed_ok = len(myopic.years) == hm.n_years
        if not relaxed_ok:
            relaxed = HorizonModel(district, scenario, hm.n_years, coverage=False)
            _p, _code, _ = search(relaxed.model, scenario.solver, scenario.solver.time_limit_s)
            relaxed_ok = found(_code)
        if relaxed_ok:
            reached = (
                f"; the myopic plan moves {myopic.coverage['moved_of_movable']} of them"
                if myopic.years
                else ""
            )
            rules.append(
                {
                    "rule": "coverage_min",
                    "key": "horizon.coverage_min",
                    "current": scenario.horizon.coverage_min,
                    "text": (
                        f"[horizon] coverage_min {scenario.horizon.coverage_min:g} needs "
                        f"{hm.need_coverage} of the {len(hm.covered)} people eligible in some "
                        f"year (with a permitted school) to move within {hm.n_years} years; "
                        f"the other rules let fewer move{reached}"
                    ),
                }
            )
    message = "the rules cannot all hold over the horizon" + (
        f": {rules[0]['text']}" if rules else " (each year's rules together with the others')"
    )
    return HorizonResult(
        status=SolveStatus.INFEASIBLE,
        message=message,
        diagnosis={"conflicts": rules, "relaxations": []},
        **common,
    )


def plan_myopic(
    district: District,
    scenario: Scenario,
    progress: ProgressFn | None = None,
    *,
    years: int | None = None,
) -> HorizonResult:
    """Plan ``years`` school years one at a time: each year solved alone
    (:func:`solver.search.solve.solve`) on the district its predecessors leave, with
    ``[solver] time_limit_s`` split evenly. Coverage is whatever the years reach; the
    result is ``infeasible`` (or ``no_plan``) at the first year without a plan."""
    say = progress or (lambda _m: None)
    n = _years(scenario, years)
    per_year = scenario.with_solver(time_limit_s=scenario.solver.time_limit_s / n)
    starts = [year_start(scenario.as_of, k) for k in range(n + 1)]
    state, results, secs = district, [], 0.0
    for y in range(1, n + 1):
        sc = year_scenario(per_year, y)
        res = solve(state, sc, raise_on_failure=False)
        secs += res.solve_seconds
        say(f"myopic year {y}: {res.summary()}")
        if not res.status.has_plan:
            return HorizonResult(
                status=res.status,
                objective=math.nan,
                best_bound=math.nan,
                solve_seconds=secs,
                build_seconds=0.0,
                method="myopic",
                message=f"year {y}: {res.message}",
                diagnosis=res.diagnosis,
            )
        results.append(res)
        a = res.assignments
        state, _ = advance(
            state,
            scenario,
            a.loc[a["moved"].to_numpy(dtype=bool), "to_school"].astype(str),
            starts[y - 1],
            starts[y],
        )
    worst = (
        SolveStatus.OPTIMAL
        if all(r.status is SolveStatus.OPTIMAL for r in results)
        else SolveStatus.FEASIBLE
    )
    walk = _walk(district, scenario, [pd.Series(dtype="str")] * n, worst, results)
    objective = float(sum(r.objective for r in results))
    status = worst if walk["coverage"]["reached"] else SolveStatus.INFEASIBLE
    return HorizonResult(
        status=status,
        objective=objective,
        # each year's bound holds for that year given the earlier years, not for the horizon
        best_bound=math.nan,
        solve_seconds=secs,
        build_seconds=0.0,
        method="myopic",
        message=""
        if walk["coverage"]["reached"]
        else (
            f"coverage {walk['coverage']['moved']} of {walk['coverage']['eligible']} falls short "
            f"of coverage_min {scenario.horizon.coverage_min:g} ({walk['coverage']['required']})"
        ),
        **walk,
    )
