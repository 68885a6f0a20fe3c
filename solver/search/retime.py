"""Each year of a multi-year plan solved again with its movers fixed: the best plan of
the same timing (docs/horizon.md, "The search").

When a move counts in its own year only (stints of one year with return, so a mover
is back at the post school the next year) and no ``[rules]`` obligation ties a person
to a year, a horizon plan is a timing (who moves in which year) and, for each year, a
one-year plan of that year's movers. Given the timing, the years are independent:
each year's rules (quotas of that year's eligible, posts, subject staffing, outflow
caps, commute, scope, flows, balance caps) involve that year's movers only, and the
cross-year rules (one rotation per person, coverage, no return, the ``[rules]
priority`` streams' rotated person-years) the timing only. So the best plan of a
timing is each year's best one-year plan with exactly its movers moving, which the
one-year search (:func:`solver.search.solve.solve`, LP-guided, its pruned moves
priced) finds in seconds where a search of the joint model of every year takes
minutes.

Measured on Dongcheng (9,000 staff, 3 years, coverage 1.0, the six priority stages;
2026-12-01, idle): the joint search's plan 15053.68 after 300 s; its timing with
each year solved again (every year proved optimal for its movers) 14581.36, in 6.7 s.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from ..input.data import District
from ..input.scenario import Scenario
from ..progress import Budget
from ..rules.eligibility import eligibility
from ..rules.horizon import advance, year_scenario, year_start
from .schedule import coverage_schedule
from .solve import solve


def without_priority(scenario: Scenario) -> Scenario:
    """``scenario`` without ``[rules] priority`` (a year of a horizon solved alone: the
    streams' stages are the horizon's)."""
    if not scenario.rules.priority:
        return scenario
    return scenario.model_copy(update={"rules": scenario.rules.model_copy(update={"priority": []})})


def can_retime(scenario: Scenario, obliged: dict | None) -> bool:
    """Whether a horizon's years are independent given its timing (see the module
    docstring): one-year stints with return, and no one obliged by a ``[rules]``
    obligation."""
    hz = scenario.horizon
    return hz.stint_years == 1 and hz.return_home and not obliged


def timing_holds(ids: pd.Index, movers: set[str]) -> pd.DataFrame:
    """Group-count holds (:attr:`solver.input.data.District.holds`) that make exactly
    ``movers`` among the year's eligible ``ids`` move."""
    ids = [str(s) for s in ids]
    move = [s for s in ids if s in movers]
    rows = [(s, "move", len(move), len(move)) for s in move]
    rows += [(s, "stay", 0, 0) for s in ids if s not in movers]
    return pd.DataFrame(rows, columns=["staff_id", "group", "min", "max"]).astype(
        {"staff_id": str, "group": str, "min": "int64", "max": "int64"}
    )


def retime(
    district: District,
    scenario: Scenario,
    year_moves: list[pd.Series],
    budget: Budget,
    say=None,
) -> list[pd.Series] | None:
    """The plan of ``year_moves``' timing with each year solved again alone (exactly the
    same people move in each year; where they go is the one-year search's), each year
    within an equal part of what is left of ``budget``. ``None`` when a year finds no
    plan in its time (the caller keeps its own)."""
    say = say or (lambda _m: None)
    n = len(year_moves)
    starts = [year_start(scenario.as_of, k) for k in range(n + 1)]
    state, out = district, []
    for y in range(1, n + 1):
        base = without_priority(year_scenario(scenario, y))
        elig = eligibility(state, base)
        ids = elig.index[elig["eligible"].to_numpy(dtype=bool)]
        movers = set(year_moves[y - 1].index.astype(str))
        held = dataclasses.replace(state, holds=timing_holds(ids, movers))
        seconds = max(1.0, budget.search_left() / (n - y + 1))
        res = solve(held, base, raise_on_failure=False, budget=budget.part(seconds))
        if not res.status.has_plan:
            say(f"year {y} with its movers fixed: no plan in {seconds:.1f} s")
            return None
        a = res.assignments
        mv = a.loc[a["moved"].to_numpy(dtype=bool), "to_school"].astype(str)
        if set(mv.index.astype(str)) != movers:  # pragma: no cover - the holds say so
            return None
        out.append(mv)
        state, _ = advance(state, scenario, mv, starts[y - 1], starts[y])
    return out


def lp_timing(lp_model, values) -> dict[tuple[str, int], float]:
    """``(staff_id, year) → share``: how much the horizon's LP relaxation (``values`` of
    the proto variables of ``lp_model``, a :class:`~solver.model.horizon.HorizonModel`)
    moves each eligible person in each year (1 − its ``stay``)."""
    out: dict[tuple[str, int], float] = {}
    for y, rm in enumerate(lp_model.years, start=1):
        ids = rm.people.index.astype(str)
        for sid, var in zip(ids, rm.stay, strict=True):
            out[(sid, y)] = float(min(1.0, max(0.0, 1.0 - values[var.index])))
    return out


def lp_targets(lp_model, values) -> dict[tuple[int, int, int], float]:
    """``(school, indicator, year) → `` the net arrivals of each balance indicator's
    people (arrivals less departures) at each school in each year in the horizon's LP
    relaxation (``values`` of the proto variables of ``lp_model``): the counts the
    LP-timed schedule is steered to (:data:`solver.search.schedule.TARGET_KM`)."""
    out: dict[tuple[int, int, int], float] = {}
    for y, rm in enumerate(lp_model.years, start=1):
        if not rm.x or not len(rm.indicators):
            continue
        x = values[[v.index for v in rm.x]]
        p, s = rm.pairs["p"].to_numpy(), rm.pairs["s"].to_numpy()
        home = rm.people["home"].to_numpy()[p]
        n = rm.district.n_schools
        for k in range(len(rm.indicators)):
            w = x * rm.person_flags[p, k]
            net = np.bincount(s, weights=w, minlength=n) - np.bincount(home, weights=w, minlength=n)
            out.update({(int(j), k, y): float(net[j]) for j in np.flatnonzero(np.abs(net) > 1e-9)})
    return out


def lp_timed(
    hm,
    district: District,
    scenario: Scenario,
    prefer: dict[tuple[str, int], float],
    targets: dict[tuple[int, int, int], float] | None,
    schedule_s: float,
    years_s: float,
    budget: Budget,
    say=None,
) -> list[pd.Series] | None:
    """A plan whose timing follows the horizon's LP: the coverage schedule of the whole
    horizon steered by ``prefer`` (:func:`lp_timing`) and ``targets`` (:func:`lp_targets`;
    HiGHS's MIP over the commute-optimal schedules' moves improved by CP-SAT for
    ``schedule_s``, or HiGHS's first plan alone with ``[solver] work_limit``), its
    plan of individuals taken as the timing, and each year solved alone with exactly
    those movers (:func:`retime`, the years within ``years_s`` together), all within
    ``budget``. ``None`` when the schedule or a year finds no plan."""
    say = say or (lambda _m: None)
    sch = coverage_schedule(
        hm,
        start=1,
        pins=district.pins,
        time_limit_s=max(1.0, schedule_s),
        workers=scenario.solver.workers,
        prefer=prefer,
        targets=targets,
        # (with [solver] work_limit the plan must not depend on the clock: the first)
        search=scenario.solver.work_limit is None,
    )
    if not sch.ok:
        say(f"LP-timed schedule: {sch.status} ({sch.message}, {sch.seconds:.1f} s)")
        return None
    timing = [sch.plan.get(t, pd.Series(dtype="str")) for t in range(1, hm.n_years + 1)]
    say(
        f"LP-timed schedule: moves per year {', '.join(str(len(m)) for m in timing)} "
        f"({sch.seconds:.1f} s); each year solved with its movers"
    )
    return retime(district, scenario, timing, budget.part(years_s), say)
