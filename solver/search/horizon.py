"""Plan several school years: jointly (one model, :func:`plan_horizon`) or myopically
(each year solved alone in turn, :func:`plan_myopic`, the baseline to compare with).

Both return a :class:`~solver.plan.horizon.HorizonResult` whose years are ordinary
single-year results on the district as it stands at the start of each year
(:func:`solver.rules.horizon.advance`), so every year can be written, explained and
validated like a one-year plan.
"""

from __future__ import annotations

import dataclasses
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
from ..model.rotation import OBJ_UNIT, RotationModel
from ..model.terms import evaluate_terms, objective_value
from ..plan.horizon import HorizonResult
from ..plan.plan import Plan
from ..plan.result import FULL_SCOPES, RESULT_COLUMNS, Result, SolveStatus
from ..progress import Budget
from ..rules.eligibility import eligibility
from ..rules.horizon import advance, check_horizon, year_scenario, year_start
from ..rules.moves import at_least, at_most, permitted_moves
from .engine import (
    HINT_MIN_PAIRS,
    ProgressFn,
    found,
    good_enough,
    hint_solution,
    new_solver,
    search,
)
from .guard import cp_solve
from .heuristic import swap_plan, swappable
from .horizon_bound import REBUILT_LP_SHARE, HorizonLP, best_bound, horizon_lp
from .horizon_guide import IN_SUPPORT, guided_joint, pair_values
from .horizon_lns import improve
from .lexicographic import PriorityStage, priority_gains, priority_stages, priority_stats
from .retime import can_retime, lp_targets, lp_timed, lp_timing, retime, without_priority
from .schedule import Schedule, coverage_schedule
from .solve import solve


def _years(scenario: Scenario, years: int | None) -> int:
    n = years or scenario.horizon.years
    why = check_horizon(scenario, n)
    src = str(scenario.source) if scenario.source else "scenario"
    if why:
        raise InputError(Problem(file=src, key="horizon.years", message=why, value=n))
    if scenario.forms.active:
        # Refused rather than ignored: part-time shares, coverage, post filling and
        # training moves are planned for one school year (lungang solve).
        on = scenario.forms.switched_on
        raise InputError(
            Problem(
                file=src,
                key=f"forms.{on[0]}",
                message=f"[forms] {', '.join(on)} is not supported in multi-year plans yet: "
                "plan the year with `lungang solve`, or switch the forms off",
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
    movable, exempt = coverage_denominator(
        states, [year_scenario(scenario, y) for y in range(1, n + 1)]
    )
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
        # eligible in some year, not counted: no permitted school in any such year
        "exempt": len(exempt),
        "exempt_rules": _rule_counts(exempt),
        "exempt_staff": [{"staff_id": k, "rules": v} for k, v in exempt.items()],
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


def _rule_counts(exempt: dict[str, list[str]]) -> dict[str, int]:
    """How many exempt people each rule closes every school to (a person may count
    under several)."""
    out: dict[str, int] = {}
    for rules in exempt.values():
        for r in rules:
            out[r] = out.get(r, 0) + 1
    return dict(sorted(out.items()))


def movable_people(states: list[District], scenarios: list[Scenario]) -> set[str]:
    """The staff with a permitted school (level, scope, commute, posts and subject
    demand) in some year they are eligible: coverage's denominator."""
    return coverage_denominator(states, scenarios)[0]


def coverage_denominator(
    states: list[District], scenarios: list[Scenario]
) -> tuple[set[str], dict[str, list[str]]]:
    """Coverage's denominator (:func:`movable_people`) and the people it leaves out:
    eligible in some year with no permitted school in any year they are eligible,
    each with the rules that close every school to them (in the last such year:
    :meth:`~solver.rules.moves.Moves.why_nowhere`)."""
    out: set[str] = set()
    why: dict[str, list[str]] = {}
    for state, sc in zip(states, scenarios, strict=True):
        m = permitted_moves(state, sc)
        has = m.ok.any(axis=1)
        ids = m.people.index.astype(str)
        out |= set(ids[has])
        for p in np.flatnonzero(~has):
            why[ids[p]] = m.why_nowhere(int(p))
    exempt = {sid: why[sid] for sid in sorted(why) if sid not in out}
    return out, exempt


#: A horizon model with at least this many candidate moves (all years) is searched from
#: a staged plan (:func:`plan_staged`): CP-SAT alone found no plan of the 3-year
#: Dongcheng model (166,789 moves, coverage 1.0) in 120 s, nor of a 3,000-staff one
#: in 240 s.
STAGED_MIN_PAIRS = HINT_MIN_PAIRS
#: A staged year with at least this many candidate moves is solved with holds and a
#: paced quota only when paired exchanges meet them (a warm start): without one, its LP
#: guide must finish, which on a loaded machine it often does not (Dongcheng, 56,460
#: moves a year). Smaller years are searched anyway (3,000 staff: 17,000 moves a year,
#: a few seconds).
QUICK_START_MIN_PAIRS = 30_000
#: Share of the search time the staged plan gets; the joint search from it the rest.
STAGED_SHARE = 0.8


def plan_horizon(
    district: District,
    scenario: Scenario,
    progress: ProgressFn | None = None,
    *,
    years: int | None = None,
    raise_on_failure: bool = True,
    budget: Budget | None = None,
) -> HorizonResult:
    """Plan ``years`` (default ``[horizon] years``) school years jointly: one CP-SAT
    model (:class:`~solver.model.horizon.HorizonModel`).

    A big model (:data:`STAGED_MIN_PAIRS` candidate moves or more) is first given a
    plan by :func:`plan_staged` (year by year, coverage carried forward), which is
    then the joint search's starting point: the joint plan is never worse than the
    staged one, and the bound is the joint model's. ``budget`` (default ``[solver]
    time_limit_s`` from now) bounds the whole call; the search ends ``budget.reserve_s``
    before its end.

    Raises
    ------
    InputError
        The horizon cannot be planned (see :func:`solver.rules.horizon.check_horizon`).
    InfeasibleError, NoPlanError
        As :func:`solver.search.solve.solve` (unless ``raise_on_failure=False``).
    """
    say = progress or (lambda _m: None)
    n = _years(scenario, years)
    settings = scenario.solver
    budget = budget if budget is not None else Budget(settings.time_limit_s)
    t0 = time.perf_counter()
    hm = HorizonModel(district, scenario, n)
    build_s = time.perf_counter() - t0
    people, pairs = hm.size
    say(
        f"horizon model: {n} years, {people} eligible person-years, {pairs} candidate moves, "
        f"coverage needs {hm.need_coverage} of {len(hm.covered)}, built in {build_s:.2f} s"
    )
    stats = {
        "person_years": float(people),
        "candidate_moves": float(pairs),
        "variables": float(len(hm.model.proto.variables)),
        "constraints": float(len(hm.model.proto.constraints)),
    }
    # the LP bound first, within its share: the staged plan and the search share the rest
    lp = horizon_lp(hm, district, scenario, budget, say)
    stats.update(lp.stats() if lp is not None else {})
    staged: HorizonResult | None = None
    hinted = False
    guided, done = None, False
    if pairs >= GUIDED_MIN_PAIRS and not scenario.rules.priority:
        # the joint model restricted to the LP's moves, from its rounding (a plan of
        # Qingshi's at the LP bound where the staged plan was 13% above it)
        guided, done = _guided(hm, lp, budget, say, progress, stats)
        hinted = guided is not None and not done
    if guided is None and pairs >= STAGED_MIN_PAIRS:
        staged, hm, lp, stats, hinted = _staged_start(
            district, scenario, n, hm, lp, budget, say, stats
        )
    left = budget.search_left()
    if staged is not None and (not hinted or left < 1.0):
        return _staged_with_bound(staged, build_s, stats, lp, raise_on_failure)
    # A hinted search with interleaved workers crashed CP-SAT 9.x ("Check failed:
    # heuristics.fixed_search != nullptr"): a hinted search runs its workers in parallel.
    params = {"interleave_search": False} if hinted else {}
    stages: list[PriorityStage] = []
    t_stages = time.perf_counter()
    if scenario.rules.priority:
        # [rules] priority: each stream's rotated person-years maximised and held in
        # turn, then the objective under the holds (solver.rules.priority)
        gains = priority_gains(hm.years, list(scenario.rules.priority))
        stages = priority_stages(
            hm.model, gains, settings, budget, say, hint_is_plan=hinted, **params
        )
        hm.set_objective()
        left = budget.search_left()
    # the years solved again with the joint plan's movers fixed (solver.search.retime)
    retime_s = _retime_seconds(hm, left)
    cycles = retime_s > 0 and _by_neighbourhoods(hm, hinted, done)
    code, values, cp_bound, from_guided = _search_joint(
        hm,
        guided,
        done,
        hinted,
        (left - retime_s) * (CYCLE_SHARE if cycles else 1.0),
        say,
        progress,
        stats,
        params,
    )
    secs = time.perf_counter() - t_stages  # (the priority stages and the search)
    if "guided_seconds" in stats:
        secs += stats["guided_seconds"]
    if staged is not None:
        secs += staged.solve_seconds
    if not found(code):
        if staged is not None:
            return _staged_with_bound(staged, build_s, stats, lp)
        result = _no_plan(district, scenario, hm, code, build_s, secs, budget)
        return result.raise_for_status() if raise_on_failure else result
    year_moves = _plan_moves(hm, values)
    # optimal for the problem as written only when no year's moves were pruned
    whole = all(rm.complete for rm in hm.years)
    proved = code == cp_model.OPTIMAL and not from_guided and all(st.optimal for st in stages)
    if scenario.rules.priority and len(stages) < len(scenario.rules.priority):
        proved = False  # a stage found nothing: its stream was not maximised
    status = SolveStatus.OPTIMAL if proved and whole else SolveStatus.FEASIBLE
    stats.update(priority_stats(stages))
    walk = _walk(district, scenario, year_moves, status)
    objective = float(sum(r.objective for r in walk["years"]))
    if retime_s > 0 and not (proved and whole):
        walk, objective = _retimed(
            district, scenario, year_moves, walk, objective, budget.part(retime_s), say, stats
        )
    if cycles:
        walk, objective = _cycles(district, scenario, walk, objective, stages, budget, say, stats)
    secs += stats.get("retime_seconds", 0.0) + stats.get("cycle_seconds", 0.0)
    if cp_bound is not None:
        stats["cp_sat_bound"] = cp_bound
    # the better of CP-SAT's bound and the LP's (solver.search.horizon_bound)
    bound, scope, source = best_bound(
        objective, cp_bound, "full_model" if whole else "kept_candidates", lp
    )
    if (
        source == "lp"
        and scope != "kept_candidates"
        and lp.bound >= objective - 1e-9 * max(1.0, abs(objective))
    ):
        status = SolveStatus.OPTIMAL  # the plan meets a bound of the problem as written
    return HorizonResult(
        status=status,
        objective=objective,
        best_bound=bound,
        bound_scope=scope,
        bound_source=source,
        solve_seconds=secs,
        build_seconds=build_s,
        method="joint",
        stats=stats,
        **walk,
    )


def _search_joint(
    hm: HorizonModel,
    guided: tuple[cp_model.CpSolver, int] | None,
    done: bool,
    hinted: bool,
    seconds: float,
    say,
    progress: ProgressFn | None,
    stats: dict,
    params: dict,
) -> tuple[int, np.ndarray | None, float | None, bool]:
    """The joint search for ``seconds``: the LP-guided plan when it is good enough
    (``done``), the neighbourhood search of a big model from a complete plan, else
    CP-SAT on the whole model. Returns the status, every proto variable's value (``None``
    without a plan), CP-SAT's bound of the joint model (``None`` when it has none) and
    whether the plan is the LP-guided one (whose optimum and bound are of its
    restricted model only)."""
    settings = hm.scenario.solver
    if done:
        solver, code = guided
    elif _by_neighbourhoods(hm, hinted, done):
        # rounds over one school's people at a time (solver.search.horizon_lns): CP-SAT
        # on the whole model does not move from the plan
        code, values = _neighbourhoods(hm, seconds, say, stats)
        if found(code) or guided is None:
            return code, values, None, False
        solver, code = guided  # (its plan no longer meets the model: not expected)
    else:
        solver, code, _ = search(hm.model, settings, seconds, progress and say, **params)
        if not found(code) and guided is not None:
            solver, code = guided  # (the joint search from it had no time to load it)
    from_guided = guided is not None and solver is guided[0]
    if not found(code):
        return code, None, None, from_guided
    values = np.asarray(solver.response_proto.solution, dtype=np.int64)
    cp_bound = None if from_guided else solver.best_objective_bound / OBJ_UNIT
    return code, values, cp_bound, from_guided


def _by_neighbourhoods(hm: HorizonModel, hinted: bool, done: bool) -> bool:
    """Whether the joint search is the neighbourhood search: a big model started from
    a complete plan, searched within the clock (not with ``[solver] work_limit``)."""
    return (
        hinted
        and not done
        and hm.size[1] >= LNS_MIN_PAIRS
        and hm.scenario.solver.work_limit is None
    )


#: Share of the neighbourhood search's time its first cycle takes (the rest goes to
#: further cycles, :func:`_cycles`), and the least seconds a further cycle's rounds get.
#: On Dongcheng (2026-12-02, idle) from the plan retimed after 73 s of rounds (13633.74),
#: 40 s more of rounds lowered it to 13589.55 and its retiming to 13553.78.
CYCLE_SHARE = 0.5
CYCLE_MIN_S = 10.0


def _cycles(
    district: District,
    scenario: Scenario,
    walk: dict,
    objective: float,
    stages: list[PriorityStage],
    budget: Budget,
    say,
    stats: dict,
) -> tuple[dict, float]:
    """More cycles of the neighbourhood search and the retiming from the retimed plan
    ``walk``, while the search time allows: each on the joint model built again to keep
    the plan's moves (the retimed years may use moves the model had cut), with the
    priority stages' holds, each kept when it lowers the objective."""
    t0 = time.perf_counter()
    n = len(walk["years"])
    while True:
        retime_s = _years_seconds(n, budget.search_left())
        if retime_s <= 0:
            break
        hm = HorizonModel(district, scenario, n, keep=_moves_of(walk["years"]))
        if stages:
            gains = priority_gains(hm.years, list(scenario.rules.priority))
            for (_stream, gain), st in zip(gains[: len(stages)], stages, strict=True):
                hm.model.add(gain >= st.value)
            hm.set_objective()
        seconds = budget.search_left() - retime_s
        if seconds < CYCLE_MIN_S or not _hint_joint(hm, walk["years"], budget):
            break
        code, values = _neighbourhoods(hm, seconds, say, stats)
        if not found(code):
            break
        year_moves = _plan_moves(hm, values)
        again = _walk(district, scenario, year_moves, SolveStatus.FEASIBLE)
        got = float(sum(r.objective for r in again["years"]))
        again, got = _retimed(
            district, scenario, year_moves, again, got, budget.part(retime_s), say, {}
        )
        stats["cycles"] = stats.get("cycles", 1.0) + 1.0
        if got >= objective - 1e-9 * max(1.0, abs(objective)):
            break
        walk, objective = again, got
    stats["cycle_seconds"] = round(time.perf_counter() - t0, 3)
    return walk, objective


def _plan_moves(hm: HorizonModel, values: np.ndarray) -> list[pd.Series]:
    """Each year's moves (``staff_id`` → school) in the plan of ``hm`` whose proto
    variables take ``values``."""
    year_moves = []
    for rm in hm.years:
        stay = values[[v.index for v in rm.stay]].astype(bool) if rm.stay else np.zeros(0, bool)
        x = values[[v.index for v in rm.x]].astype(bool) if rm.x else np.zeros(0, bool)
        sel = rm.pairs[x]
        ids = rm.people.index[sel["p"].to_numpy()]
        dest = rm.district.schools.index[sel["s"].to_numpy()]
        assert len(ids) == int((~stay).sum())
        year_moves.append(pd.Series(dest.astype(str), index=ids.astype(str)))
    return year_moves


#: Share of the joint search's time kept for solving its years again with its movers
#: fixed (:func:`solver.search.retime.retime`), and the least seconds a year (no
#: retiming when that is more than half the search's time): on Dongcheng each year took
#: 2-3 s to prove its optimum.
RETIME_SHARE = 0.1
RETIME_MIN_S = 5.0


def _retime_seconds(hm: HorizonModel, left: float) -> float:
    """Seconds of the search's ``left`` kept for the retiming: none for a small model
    (its joint search does well) or a horizon whose years depend on each other beyond
    the timing (:func:`solver.search.retime.can_retime`)."""
    if not can_retime(hm.scenario, hm.obliged) or hm.size[1] < STAGED_MIN_PAIRS:
        return 0.0
    return _years_seconds(hm.n_years, left)


def _years_seconds(n: int, left: float) -> float:
    """Seconds of ``left`` for solving ``n`` years each with its movers fixed: 0 when
    :data:`RETIME_MIN_S` a year would take more than half of it (a year's search that
    short found no plan on 8,000 staff, and overran the budget while building)."""
    want = max(RETIME_SHARE * left, RETIME_MIN_S * n)
    return want if want <= 0.5 * left else 0.0


def _retimed(
    district: District,
    scenario: Scenario,
    year_moves: list[pd.Series],
    walk: dict,
    objective: float,
    budget: Budget,
    say,
    stats: dict,
) -> tuple[dict, float]:
    """The joint plan's timing with each year solved again alone (:mod:`solver.search.retime`,
    within ``budget``): each year the better of its two plans, with the walk and the
    objective of the result."""
    t = time.perf_counter()
    moves = retime(district, scenario, year_moves, budget, say)
    stats["retime_seconds"] = round(time.perf_counter() - t, 3)
    stats["joint_objective"] = objective
    if moves is None:
        return walk, objective
    again = _walk(district, scenario, moves, SolveStatus.FEASIBLE)
    stats["retime_objective"] = float(sum(r.objective for r in again["years"]))
    # Given the timing the years are independent: each year the better of the two.
    better = [
        b.objective < a.objective - 1e-9 * max(1.0, abs(a.objective))
        for a, b in zip(walk["years"], again["years"], strict=True)
    ]
    say(
        f"the joint plan's movers with each year solved again: objective "
        f"{stats['retime_objective']:.4f} (joint search {objective:.4f}; better in years "
        f"{[y for y, b in enumerate(better, start=1) if b]}, {stats['retime_seconds']:.1f} s)"
    )
    if not any(better):
        return walk, objective
    if all(better):
        return again, stats["retime_objective"]
    mixed = [new if b else old for old, new, b in zip(year_moves, moves, better, strict=True)]
    results = [
        b if use else a for a, b, use in zip(walk["years"], again["years"], better, strict=True)
    ]
    walk = _walk(district, scenario, mixed, SolveStatus.FEASIBLE, results=results)
    return walk, float(sum(r.objective for r in walk["years"]))


#: Share of the search time left that the LP-timed schedule takes (its LP, the MIP over
#: that LP's support, then CP-SAT improving it). On Dongcheng (2026-12-02, idle) 40%
#: gave a start of 14163.05 and 70% one of 14184.51 (before the support MIP: CP-SAT's
#: polish depends on the clock, and more of it did not help); the priority stages then
#: get about 9 s each, where they found no plan at either share (each held at the
#: starting plan's value).
LP_TIMED_SHARE = 0.4


def _lp_timed_plan(
    district: District,
    scenario: Scenario,
    n: int,
    hm: HorizonModel,
    lp: HorizonLP | None,
    budget: Budget,
    say,
) -> HorizonResult | None:
    """The staged plan whose timing follows the horizon's LP
    (:func:`solver.search.retime.lp_timed`), when the LP has values, coverage is
    wanted and the years are independent given the timing; ``None`` otherwise or when
    it finds no plan (the year-by-year staged plan is then tried)."""
    if (
        lp is None
        or lp.values is None
        or lp.model is None
        or scenario.horizon.coverage_min <= 0
        or not can_retime(scenario, hm.obliged)
    ):
        return None
    t0 = time.perf_counter()
    prefer = lp_timing(lp.model, lp.values)
    left = budget.search_left()
    years_s = _years_seconds(n, left)
    if years_s <= 0:
        return None
    targets = lp_targets(lp.model, lp.values)
    moves = lp_timed(
        hm, district, scenario, prefer, targets, LP_TIMED_SHARE * left, years_s, budget, say
    )
    if moves is None:
        return None
    walk = _walk(district, scenario, moves, SolveStatus.FEASIBLE)
    if not walk["coverage"]["reached"]:  # pragma: no cover - the schedule reaches it
        return None
    return HorizonResult(
        status=SolveStatus.FEASIBLE,
        objective=float(sum(r.objective for r in walk["years"])),
        best_bound=math.nan,
        solve_seconds=time.perf_counter() - t0,
        build_seconds=0.0,
        method="staged",
        **walk,
    )


def _staged_start(
    district: District,
    scenario: Scenario,
    n: int,
    hm: HorizonModel,
    lp: HorizonLP | None,
    budget: Budget,
    say,
    stats: dict,
) -> tuple[HorizonResult | None, HorizonModel, HorizonLP | None, dict, bool]:
    """The staged plan (the LP-timed one, :func:`_lp_timed_plan`, else
    :func:`plan_staged`) as the joint search's start: the plan (or
    ``None``), the joint model (built again when the plan used moves it had cut) with
    the plan hinted, its LP, the stats, and whether the joint model took the hint."""
    hinted = False
    staged = _lp_timed_plan(district, scenario, n, hm, lp, budget, say)
    if staged is None:
        staged = plan_staged(
            district,
            scenario,
            say,
            years=n,
            budget=budget,
            share=STAGED_SHARE,
            model=hm,
        )
    if staged.status.has_plan:
        stats["staged_objective"] = staged.objective
        stats["staged_seconds"] = round(staged.solve_seconds, 3)
        moves = _moves_of(staged.years)
        if _missing(hm, moves):
            # The staged years were cut to each person's nearest schools on the
            # district as the plan leaves it, the joint years on the district
            # without it: keep the staged moves too, or the joint model cannot
            # start from the staged plan.
            t1 = time.perf_counter()
            hm = HorizonModel(district, scenario, n, keep=moves)
            rebuild_s = time.perf_counter() - t1
            if lp is not None and lp.scope == "kept_candidates":
                # (of the moves the first model kept, not of this model's: again on it)
                first_s = lp.seconds
                lp = horizon_lp(hm, district, scenario, budget, say, share=REBUILT_LP_SHARE)
                stats = {k: v for k, v in stats.items() if not k.startswith("lp_")}
                stats.update(lp.stats() if lp is not None else {})
                stats["lp_seconds"] = round(first_s + (lp.seconds if lp else 0.0), 3)
            say(f"joint model rebuilt to keep the staged plan's moves ({rebuild_s:.1f} s)")
        hinted = _hint_joint(hm, staged.years, budget)
        say(
            f"staged plan: objective {staged.objective:.4f} in {staged.solve_seconds:.1f} s; "
            + (
                "searching the joint model from it"
                if hinted
                else "the joint model does not take it (searched without it)"
            )
        )
    elif "schedule_most" in staged.stats:
        say(f"staged plan: none ({staged.message})")  # (a proof: plan_horizon returns it)
    else:
        say(f"staged plan: none ({staged.message})")
        staged = None
    return staged, hm, lp, stats, hinted


#: Share of the search time left that the LP-guided joint search may take.
GUIDED_SHARE = 0.4
#: A horizon model with at least this many candidate moves is first searched restricted
#: to its LP's moves (:func:`solver.search.horizon_guide.guided_joint`), before any
#: staged plan; not with ``[rules] priority``, whose stages search the whole model.
GUIDED_MIN_PAIRS = STAGED_MIN_PAIRS


def _guided(
    hm: HorizonModel,
    lp: HorizonLP | None,
    budget: Budget,
    say,
    progress: ProgressFn | None,
    stats: dict,
) -> tuple[tuple[cp_model.CpSolver, int] | None, bool]:
    """The LP-guided joint search (:func:`solver.search.horizon_guide.guided_joint`)
    within :data:`GUIDED_SHARE` of the search time left, when the LP has values.

    Returns ``(solver, status)`` of its plan (``None`` without one) and whether that
    plan is within ``[solver] gap_limit`` of the LP bound (the search ends there);
    otherwise the plan is hinted on ``hm.model`` for the joint search to go on from it."""
    seconds = GUIDED_SHARE * budget.search_left()
    if lp is None or lp.values is None or lp.model is None or seconds < 1.0:
        return None, False
    values = pair_values(hm, lp.model, lp.values)
    support = sum(int((v > IN_SUPPORT).sum()) for v in values)
    say(f"LP-guided search: the {support} moves the horizon's LP uses, for {seconds:.0f} s")
    t = time.perf_counter()
    got = guided_joint(hm, values, hm.scenario.solver, seconds, progress and say)
    stats["guided_seconds"] = round(time.perf_counter() - t, 3)
    stats["guided_moves"] = float(support)
    if got is None:
        say("LP-guided search: no plan; the staged plan instead")
        return None, False
    stats["guided_objective"] = got[0].objective_value / OBJ_UNIT
    if _meets(hm.scenario.solver, got[0].objective_value, lp):
        say("LP-guided plan within gap_limit of the LP bound: search stopped")
        return got, True
    hint_solution(hm.model, got[0])  # the joint search goes on from it
    return got, False


def _meets(settings, objective: float, lp: HorizonLP | None) -> bool:
    """Whether a plan of ``objective`` (model units) is within ``[solver] gap_limit`` (at
    least the rounding of the model's units) of the LP bound of the problem as written."""
    if lp is None or lp.scope not in FULL_SCOPES or not math.isfinite(lp.bound):
        return False
    stop = good_enough(settings, lp.bound * OBJ_UNIT)
    return objective <= max(
        stop if stop is not None else -math.inf, lp.bound * OBJ_UNIT * (1 + 1e-6)
    )


def _staged_with_bound(
    staged: HorizonResult, build_s: float, stats: dict, lp, raise_on_failure: bool = False
) -> HorizonResult:
    """The staged plan as the horizon's plan, with the LP bound when it holds for the
    problem as written (a staged year may use moves the joint model did not keep).
    A staged result without a plan is the coverage schedule's proof that coverage
    cannot be reached (raised with ``raise_on_failure``)."""
    if not staged.status.has_plan:
        result = dataclasses.replace(staged, build_seconds=build_s, stats=stats)
        return result.raise_for_status() if raise_on_failure else result
    if lp is None or lp.scope == "kept_candidates" or not math.isfinite(lp.bound):
        return dataclasses.replace(staged, build_seconds=build_s, stats=stats)
    bound, scope, source = best_bound(staged.objective, None, lp.scope, lp)
    return dataclasses.replace(
        staged,
        build_seconds=build_s,
        stats=stats,
        best_bound=bound,
        bound_scope=scope,
        bound_source=source,
    )


def coverage_chances(hm: HorizonModel) -> tuple[pd.DataFrame, dict[tuple[int, int], int]]:
    """For each person coverage counts (``hm.covered``) the years they could move in,
    and each school's outflow cap per year (teachers).

    Returns
    -------
    (pandas.DataFrame, dict)
        Indexed by ``staff_id``: ``home`` (school position), ``teacher``, ``first`` and
        ``last`` (the first and last year they are eligible with a permitted school);
        and ``(school position, year) -> floor(school_outflow_max · teachers)``.
    """
    share = hm.scenario.quotas.school_outflow_max
    rows: dict[str, list] = {}
    caps: dict[tuple[int, int], int] = {}
    for y, rm in enumerate(hm.years, start=1):
        has = np.bincount(rm.pairs["p"].to_numpy(), minlength=len(rm.people)) > 0
        ids = rm.people.index.astype(str)
        homes = rm.people["home"].to_numpy()
        is_t = rm.people["is_teacher"].to_numpy()
        for p in np.flatnonzero(has):
            row = rows.setdefault(ids[p], [int(homes[p]), bool(is_t[p]), y, y])
            row[3] = y
        for s, k in enumerate(rm.role_now["teacher"].to_numpy()):
            caps[(s, y)] = at_most(share, int(k))
    frame = pd.DataFrame.from_dict(
        rows, orient="index", columns=["home", "teacher", "first", "last"]
    ).rename_axis("staff_id")
    return frame, caps


def plan_staged(
    district: District,
    scenario: Scenario,
    progress: ProgressFn | None = None,
    *,
    years: int | None = None,
    budget: Budget | None = None,
    share: float = 1.0,
    model: HorizonModel | None = None,
    schedule: bool = True,
) -> HorizonResult:
    """Plan ``years`` school years one at a time, with coverage carried forward: each
    year is solved alone (:func:`solver.search.solve.solve`) on the district its
    predecessors leave, first with the group-count holds of the coverage schedule
    (:func:`solver.search.schedule.coverage_schedule`, solved again at the start of each
    year from the years so far; ``schedule=False`` leaves it out), else with

    - a teacher and a cadre quota raised so that the year moves its part of what
      coverage still needs (what is left over the years left), and
    - the people held to move (as a ``move`` pin would) whom no later year could take:
      their last chance, or more people left at their school than its outflow caps of
      the later years let go (:func:`coverage_chances`).

    A year where that cannot hold is solved with the scenario's own quotas and no
    holds (coverage may then fall short). The years share ``share`` of ``budget``'s
    search time (default: ``[solver] time_limit_s`` from now), each an equal part of
    what is left. ``model`` is the horizon model when the caller has built it. The
    result is ``method = staged``; its status is ``infeasible`` when coverage is not
    reached or a year has no plan.
    """
    say = progress or (lambda _m: None)
    n = _years(scenario, years)
    budget = budget if budget is not None else Budget(scenario.solver.time_limit_s)
    hm = model if model is not None else HorizonModel(district, scenario, n, coverage=False)
    chances, caps = coverage_chances(hm)
    held = set(district.pins["staff_id"].astype(str)) if len(district.pins) else set()
    starts = [year_start(scenario.as_of, k) for k in range(n + 1)]
    end = budget.clock() + share * max(budget.search_left(), 0.0)
    t0 = time.perf_counter()
    state, year_moves, moved = district, [], set()
    for y in range(1, n + 1):
        # (priority stages are the joint search's: the staged plan is its start)
        base = without_priority(year_scenario(scenario, y))
        seconds = max(1.0, (end - budget.clock()) / (n - y + 1))
        year_budget = budget.part(seconds)
        elig = eligibility(state, base)
        ok = elig["eligible"].to_numpy(dtype=bool)
        now = set(elig.index[ok].astype(str))
        no_target = scenario.horizon.coverage_min <= 0
        res, how = None, ""
        t_year = time.perf_counter()
        if schedule and not no_target:
            sch = _schedule(hm, district, scenario, year_moves, y, now - held, budget, say)
            if y == 1 and sch.status == "infeasible" and sch.diagnosis:
                # (the schedule relaxes the horizon model: no plan of it reaches coverage)
                return _no_staged_plan(
                    SolveStatus.INFEASIBLE,
                    f"the rules cannot all hold over the horizon: {sch.message}",
                    sch.diagnosis,
                    t0,
                    stats={"schedule_most": float(sch.most)},
                )
            if sch.ok:
                # each group's count exactly, then at least it (the schedule's year is
                # searched whatever its warm start: the paired exchanges meet the group
                # holds where they can, the LP-guided search the rest)
                for k, exact in enumerate((True, False)):
                    st = dataclasses.replace(state, holds=sch.holds(y, now - held, exact=exact))
                    part = year_budget if k == 0 else budget.part(max(1.0, year_budget.left()))
                    res = solve(st, base, raise_on_failure=False, budget=part)
                    if res.status.has_plan:
                        moves_held = int(st.holds.groupby("group")["min"].max().sum())
                        how = (
                            f"the coverage schedule's {moves_held} moves held "
                            f"{'exactly' if exact else 'at least'} in groups of "
                            f"{len(st.holds)} people"
                        )
                        break
                    say(
                        f"staged year {y}: the schedule's counts {'exactly' if exact else 'at least'}"
                        f" have no plan ({res.message.splitlines()[0]})"
                    )
        if res is None or not res.status.has_plan:
            res, how = _paced_year(
                state, base, elig, chances, caps, y, n, held, moved, year_budget, budget, say
            )
        say(
            f"staged year {y}: {how}; build {res.build_seconds:.1f} s, the year "
            f"{time.perf_counter() - t_year:.1f} s with its schedule; {res.summary()}"
        )
        if not res.status.has_plan:
            return _no_staged_plan(res.status, f"year {y}: {res.message}", res.diagnosis, t0)
        a = res.assignments
        mv = a.loc[a["moved"].to_numpy(dtype=bool), "to_school"].astype(str)
        moved |= set(mv.index.astype(str))
        year_moves.append(mv)
        state, _ = advance(state, scenario, mv, starts[y - 1], starts[y])
    walk = _walk(district, scenario, year_moves, SolveStatus.FEASIBLE)
    cov = walk["coverage"]
    return HorizonResult(
        status=SolveStatus.FEASIBLE if cov["reached"] else SolveStatus.INFEASIBLE,
        objective=float(sum(r.objective for r in walk["years"])),
        best_bound=math.nan,
        solve_seconds=time.perf_counter() - t0,
        build_seconds=0.0,
        method="staged",
        message=""
        if cov["reached"]
        else (
            f"coverage {cov['moved_of_movable']} of {cov['movable']} falls short of "
            f"coverage_min {scenario.horizon.coverage_min:g} ({cov['required']})"
        ),
        **walk,
    )


def _paced_year(
    state: District,
    base: Scenario,
    elig: pd.DataFrame,
    chances: pd.DataFrame,
    caps: dict[tuple[int, int], int],
    y: int,
    n: int,
    held: set[str],
    moved: set[str],
    year_budget: Budget,
    budget: Budget,
    say: ProgressFn,
) -> tuple[Result, str]:
    """Year ``y`` of a staged plan without the coverage schedule: the holds (people whose
    last chance it is, and as many as the later years' outflow caps could not let go)
    and the pace; without the holds, then with the scenario's own quotas, when that
    cannot hold (a year without a plan has nothing to carry forward). Returns the
    year's result and what held it."""
    ok = elig["eligible"].to_numpy(dtype=bool)
    now = set(elig.index[ok].astype(str))
    # In the last year everyone left has their last chance: below full coverage the
    # paced quota, not a hold on each of them, says how many of them move.
    cov = base.horizon.coverage_min
    last_slack = y == n and cov < 1
    no_target = cov <= 0
    due = [] if last_slack or no_target else _due(chances, caps, y, n, now - held, moved, cov)
    small = len(RotationModel(state, base, elig=elig).pairs) < QUICK_START_MIN_PAIRS
    if due and not small:
        due = _exchangeable(state, base, due)
    sc = _paced(base, elig, chances, moved, n - y + 1)
    # Key teachers kept for the later years' key share (a big year's warm start of
    # paired exchanges does not know `stay` holds: only in smaller years).
    kept = _kept_keys(state, sc, chances, y, n, moved, now - held - set(due)) if small else []
    teachers_only = _paced(base, elig, chances, moved, n - y + 1, cadres=False)
    pins = pd.concat(
        [
            state.pins,
            pd.DataFrame({"staff_id": due, "action": "move", "school_id": ""}),
            pd.DataFrame({"staff_id": kept, "action": "stay", "school_id": ""}),
        ],
        ignore_index=True,
    ).astype(str)
    held_state = dataclasses.replace(state, pins=pins)
    attempts = [
        (held_state, sc),
        (held_state, teachers_only),  # cadres move in chains of posts: pace them less
        (held_state, base),
        (state, base),
    ]
    for k, (st, scen) in enumerate(attempts):
        if k < len(attempts) - 1 and not _quick_start(st, scen):
            say(f"staged year {y}: attempt {k + 1} has no quick start of paired exchanges")
            continue  # a big year without a quick first plan: rarely found in time
        part = year_budget if k == 0 else budget.part(max(1.0, year_budget.left()))
        res = solve(st, scen, raise_on_failure=False, budget=part)
        if res.status.has_plan:
            break
        say(f"staged year {y}: attempt {k + 1} has no plan ({res.message.splitlines()[0]})")
    return res, f"{len(due)} held to move, {len(kept)} kept"


#: Seconds at most for each year's coverage schedule, and its share of the search time
#: left (Dongcheng, year 1: 5,630 people, 166,789 candidate moves; HiGHS returns its
#: first plan of the counting model after 35 s on a quiet machine, 60-80 s under load;
#: later years a few seconds).
SCHEDULE_MAX_S = 100.0
SCHEDULE_SHARE = 0.4


def _schedule(
    hm: HorizonModel,
    district: District,
    scenario: Scenario,
    year_moves: list[pd.Series],
    y: int,
    free: set[str],
    budget: Budget,
    say: ProgressFn,
) -> Schedule:
    """The coverage schedule from year ``y`` on, given the staged years so far
    (:func:`solver.search.schedule.coverage_schedule`), its outcome said."""
    moved_at = {
        str(sid): (t, str(dest))
        for t, mv in enumerate(year_moves, start=1)
        for sid, dest in mv.items()
    }
    sch = coverage_schedule(
        hm,
        moved=moved_at,
        start=y,
        pins=district.pins if y == 1 else None,
        time_limit_s=max(1.0, min(SCHEDULE_MAX_S, SCHEDULE_SHARE * budget.search_left())),
        workers=scenario.solver.workers,
    )
    if not sch.ok:
        say(f"coverage schedule from year {y}: {sch.status} ({sch.message}, {sch.seconds:.1f} s)")
        return sch
    totals = ", ".join(str(sch.year_total(t)) for t in range(y, hm.n_years + 1))
    say(
        f"coverage schedule from year {y}: {sch.groups} groups, {sch.flows} flows, "
        f"moves per year {totals} ({sch.seconds:.1f} s)"
    )
    return sch


def _no_staged_plan(
    status: SolveStatus, message: str, diagnosis, t0: float, stats: dict | None = None
) -> HorizonResult:
    """A staged plan that failed (``status``, ``message``, ``diagnosis``), after the
    seconds since ``t0``."""
    return HorizonResult(
        status=status,
        objective=math.nan,
        best_bound=math.nan,
        solve_seconds=time.perf_counter() - t0,
        build_seconds=0.0,
        method="staged",
        message=message,
        diagnosis=diagnosis,
        stats=stats or {},
    )


def _kept_keys(
    state: District,
    scenario: Scenario,
    chances: pd.DataFrame,
    y: int,
    n: int,
    moved: set[str],
    free: set[str],
) -> list[str]:
    """Key teachers a staged plan keeps from moving in year ``y`` (as a ``stay`` pin
    would) so that the later years, which move the rest of the coverage, still find
    ``key_share_of_rotated_min`` of their movers among the key teachers left: enough
    for the teachers the pace leaves to them, with 10% to spare, those with the latest
    last chance first, while leaving this year its own share."""
    q = scenario.quotas
    share = q.key_share_of_rotated_min
    if y >= n or share <= 0 or q.key_share_basis != "rotated":
        return []
    teachers = chances[chances["teacher"].to_numpy(dtype=bool)]
    key = state.staff["key_level"].reindex(teachers.index).fillna("none") != "none"
    left = teachers[~teachers.index.isin(list(moved))]
    still = at_least(scenario.horizon.coverage_min, len(teachers)) - (len(teachers) - len(left))
    now = math.ceil(max(0, still) / (n - y + 1))
    later_need = math.ceil(1.1 * share * max(0, still - now))
    keys = left[key.reindex(left.index).to_numpy(dtype=bool) & (left["last"] > y).to_numpy()]
    free_keys = keys[keys.index.isin(list(free))].sort_values(
        "last", ascending=False, kind="stable"
    )
    room = len(free_keys) - math.ceil(1.1 * share * now)
    later_only = len(keys) - len(free_keys)  # not eligible now: there for the later years
    keep = min(later_need - later_only, room)
    return sorted(free_keys.index[: max(0, keep)].astype(str))


def _exchangeable(district: District, scenario: Scenario, due: list[str]) -> list[str]:
    """``due`` less, in a big year, those no paired exchange could move (held, they
    would leave the year without a warm start; they are due again next year)."""
    built = RotationModel(district, scenario)
    if len(built.pairs) < QUICK_START_MIN_PAIRS:
        return due
    ok = set(swappable(built).astype(str))
    return [sid for sid in due if sid in ok]


def _quick_start(district: District, scenario: Scenario) -> bool:
    """Whether a year is worth solving with these holds and quotas: small, or with a
    plan of paired exchanges (the warm start of :func:`~solver.search.solve.solve`;
    without one a big year's search depends on the LP guide finishing, which on a
    loaded machine it often does not)."""
    built = RotationModel(district, scenario)
    if len(built.pairs) < QUICK_START_MIN_PAIRS:
        return True
    return swap_plan(built) is not None


def _due(
    chances: pd.DataFrame,
    caps: dict[tuple[int, int], int],
    y: int,
    n: int,
    free: set[str],
    moved: set[str],
    coverage: float = 1.0,
) -> list[str]:
    """The teachers a staged plan holds to move in year ``y``: among ``free`` (eligible
    now, not pinned), those with no later chance (with full ``coverage``), and at each
    school as many more (the earliest last chance first) as its later years' outflow
    caps could not let go of its share ``coverage`` of them.
    (Cadres are not held: their moves are chains of posts, which a hold easily breaks;
    the paced cadre quota moves them.)"""
    left = chances[
        chances["teacher"].to_numpy(dtype=bool)
        & ~chances.index.isin(list(moved))
        & (chances["last"] >= y).to_numpy()
    ]
    out: list[str] = []
    for s, grp in left.groupby("home", sort=True):
        now = grp[grp.index.isin(list(free))].sort_values("last", kind="stable")
        later = sum(caps.get((int(s), t), 0) for t in range(y + 1, n + 1))
        last = int((now["last"] == y).sum()) if coverage >= 1 else 0
        must = max(last, math.ceil(coverage * len(grp)) - later)
        out += list(now.index[: min(must, caps.get((int(s), y), 0))])
    return sorted(out)


def _paced(
    scenario: Scenario,
    elig: pd.DataFrame,
    chances: pd.DataFrame,
    moved: set[str],
    years_left: int,
    cadres: bool = True,
) -> Scenario:
    """``scenario`` with its teacher and cadre quotas raised to this year's part of the
    coverage each still needs (``coverage_min`` of its people in ``chances``, an equal
    part of what is left per year left). With ``cadres=False`` the cadre quota stays
    and the teachers' pace is of the whole coverage (they make up for the cadres)."""
    cov = scenario.horizon.coverage_min
    ok = elig["eligible"].to_numpy(dtype=bool)
    is_cadre = (elig.loc[ok, "stream"].astype(str) == "principal").to_numpy()
    q = scenario.quotas
    update = {}
    for key, teacher, eligible in (
        ("teacher_rotation_min", True, int((~is_cadre).sum())),
        ("principal_rotation_min", False, int(is_cadre.sum())),
    ):
        if not cadres and not teacher:
            continue
        mine = (
            chances.index[chances["teacher"].to_numpy(dtype=bool) == teacher]
            if cadres
            else chances.index
        )
        still = at_least(cov, len(mine)) - len(moved & set(mine))
        if still <= 0 or eligible == 0:
            continue
        pace = math.ceil(math.ceil(still / years_left) / eligible * 10_000) / 10_000
        update[key] = min(1.0, max(getattr(q, key), pace))
    return scenario.model_copy(update={"quotas": q.model_copy(update=update)})


def _moves_of(years: list[Result]) -> list[pd.Series]:
    """Each year's moves of a horizon plan's ``years`` (``staff_id`` → school, movers
    only)."""
    out = []
    for y in years:
        a = y.assignments
        out.append(a.loc[a["moved"].to_numpy(dtype=bool), "to_school"].astype(str))
    return out


def _missing(hm: HorizonModel, moves: list[pd.Series]) -> int:
    """How many of ``moves`` have no candidate pair in ``hm``'s year models."""
    n = 0
    for rm, mv in zip(hm.years, moves, strict=True):
        p = rm.people.index.get_indexer(mv.index)
        s = rm.district.schools.index.get_indexer(mv.to_numpy())
        ok = (p >= 0) & (s >= 0)
        keys = pd.Index(rm.pair_keys())
        wanted = pd.Index(p[ok].astype(np.int64) * rm.district.n_schools + s[ok])
        n += int((~ok).sum()) + int((~wanted.isin(keys)).sum())
    return n


def _hint_joint(hm: HorizonModel, years: list[Result], budget: Budget) -> bool:
    """Hint the plan of ``years`` (a staged plan's) to the joint model, completed to
    every variable (so CP-SAT starts from it as a solution); ``False`` (no hint) when
    the joint model cannot take it."""
    model = hm.model
    model.clear_hints()
    hint = model.proto.solution_hint
    for rm, mv in zip(hm.years, _moves_of(years), strict=True):
        p = rm.people.index.get_indexer(mv.index)
        s = rm.district.schools.index.get_indexer(mv.to_numpy())
        if (p < 0).any() or (s < 0).any():
            return False
        pos = pd.Series(np.arange(len(rm.pairs)), index=rm.pair_keys())
        idx = pos.reindex(p.astype(np.int64) * rm.district.n_schools + s).to_numpy()
        if np.isnan(idx).any():
            return False
        x = np.zeros(len(rm.x), dtype=np.int64)
        x[idx.astype(np.int64)] = 1
        stay = np.ones(len(rm.stay), dtype=np.int64)
        stay[p] = 0
        hint.vars.extend([v.index for v in rm.stay] + [v.index for v in rm.x])
        hint.values.extend(stay.tolist() + x.tolist())
    solver = new_solver(
        max(1.0, min(30.0, budget.search_left())),
        workers=1,
        fix_variables_to_their_hinted_value=True,
    )
    code = cp_solve(solver, model)
    model.clear_hints()
    if not found(code):
        return False
    hint_solution(model, solver)
    return True


#: A joint model with at least this many candidate moves, started from a complete plan,
#: is searched by neighbourhoods (:mod:`solver.search.horizon_lns`) rather than whole.
LNS_MIN_PAIRS = STAGED_MIN_PAIRS


def _neighbourhoods(
    hm: HorizonModel, seconds: float, say, stats: dict
) -> tuple[int, np.ndarray | None]:
    """The neighbourhood search (:func:`solver.search.horizon_lns.improve`) of
    ``hm.model`` from its hint (a complete plan: the staged or LP-guided one, through
    the priority stages), for ``seconds``: ``(status, values)``, status FEASIBLE with
    every proto variable's value, or UNKNOWN without a plan (the hint does not meet the
    model)."""
    proto = hm.model.proto
    hint = proto.solution_hint
    order = np.argsort(np.asarray(hint.vars, dtype=np.int64))
    start = np.asarray(hint.values, dtype=np.int64)[order]
    if len(start) != len(proto.variables):
        return cp_model.UNKNOWN, None
    res = improve(hm, start, hm.scenario.solver, seconds, say)
    if res is None:
        return cp_model.UNKNOWN, None
    # (summed over the cycles; the start is the first cycle's)
    stats["lns_rounds"] = stats.get("lns_rounds", 0.0) + res.rounds
    stats["lns_improved"] = stats.get("lns_improved", 0.0) + res.improved
    stats["lns_seconds"] = round(stats.get("lns_seconds", 0.0) + res.seconds, 3)
    stats.setdefault("lns_start_objective", res.start_objective / OBJ_UNIT)
    return cp_model.FEASIBLE, res.values


def _no_plan(
    district: District,
    scenario: Scenario,
    hm: HorizonModel,
    code: int,
    build_s: float,
    secs: float,
    budget: Budget,
) -> HorizonResult:
    """The result of a horizon search without a plan, with what can be said of why
    (the diagnosis's searches share what is left of ``budget``, at least 1 s each)."""
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
    first = solve(
        district,
        year_scenario(scenario, 1),
        raise_on_failure=False,
        budget=budget.part(max(1.0, budget.left() / 3)),
    )
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
        myopic = plan_myopic(
            district, scenario, years=hm.n_years, budget=budget.part(max(1.0, budget.left() / 2))
        )
        relaxed_ok = len(myopic.years) == hm.n_years
        if not relaxed_ok:
            relaxed = HorizonModel(district, scenario, hm.n_years, coverage=False)
            _p, _code, _ = search(relaxed.model, scenario.solver, max(1.0, budget.left()))
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
    budget: Budget | None = None,
) -> HorizonResult:
    """Plan ``years`` school years one at a time: each year solved alone
    (:func:`solver.search.solve.solve`) on the district its predecessors leave, each
    year with an equal part of the search time ``budget`` has left (default: ``[solver]
    time_limit_s`` from now). Coverage is whatever the years reach; the result is
    ``infeasible`` (or ``no_plan``) at the first year without a plan."""
    say = progress or (lambda _m: None)
    n = _years(scenario, years)
    budget = budget if budget is not None else Budget(scenario.solver.time_limit_s)
    starts = [year_start(scenario.as_of, k) for k in range(n + 1)]
    state, results, secs = district, [], 0.0
    for y in range(1, n + 1):
        sc = year_scenario(scenario, y)
        seconds = max(1.0, budget.search_left() / (n - y + 1))
        res = solve(state, sc, raise_on_failure=False, budget=budget.part(seconds))
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
