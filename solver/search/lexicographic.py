"""Lexicographic objective and staged searches: one term at a time, each holding the last.

``[balance] objective = "lexicographic"`` solves in three stages on one model:

1. minimise the ``balance`` term (the ``cv`` measure, :mod:`solver.model.terms`);
2. hold ``balance ≤`` the value found (an integer in the model's units, so exactly the
   stage-1 plan's value) and minimise ``commute``;
3. hold ``commute ≤`` its value too and minimise ``moves``.

Each stage starts from the previous stage's plan (a complete solution hint, so a stage
never ends worse than the one before) and gets a share of ``time_limit_s``: stage 1
half, stage 2 half of what is left, stage 3 the rest (a stage that proves optimality
early hands its time on).

Big models (``HINT_MIN_PAIRS`` candidate moves or more) are searched stage by stage as
:func:`solver.search.engine.search_objective` searches them: the LP relaxation of the stage (with the holds)
gives a bound and CP-SAT searches the moves the LP uses plus the last plan's; such a
stage is optimal only when it meets the LP bound.

The :class:`~solver.plan.result.Result` reads as for any other objective: ``terms`` are the
plan's exact term values and ``objective`` is still Σ weight · term with the
scenario's weights (which play no part in the search). ``status`` is ``optimal`` only
when all three stages proved optimality. ``best_bound`` is Σ weight · (each stage's proven bound):
a lower bound on Σ weight · term of the true lexicographic optimum (stage k's bound
holds over a set of plans that contains it, because the earlier stages held values
no better than the true optima). ``stats`` has, per stage ``t``, ``lex_<t>_value``,
``lex_<t>_bound`` (term units), ``lex_<t>_seconds`` and ``lex_<t>_optimal`` (1 or 0).

:class:`~solver.search.engine.StagedModel` is the machinery, also used by the trade-off
sweep of :mod:`solver.analysis.compare`: each term is tied to an integer variable whose upper bound can
be set and released between searches.
"""

from __future__ import annotations

import dataclasses
import math
import time

import numpy as np
from ortools.sat.python import cp_model

from ..input.data import District
from ..input.scenario import Scenario, SolverSettings
from ..model.rotation import RotationModel
from ..model.terms import TERM
from ..plan.result import Result, SolveStatus
from ..progress import Budget, as_progress
from .build import build
from .diagnose import with_diagnosis
from .engine import (
    ProgressFn,
    Stage,
    StagedModel,
    found,
    hint_solution,
    no_plan,
    result_of,
    search,
)

#: Order of the lexicographic stages and each one's share of the time still left.
STAGES: tuple[tuple[str, float], ...] = (("balance", 0.5), ("commute", 0.5), ("moves", 1.0))


def stage_failure(stage: Stage, built: RotationModel, budget: Budget | None = None) -> Result:
    """The result of a first stage that found no plan (with the diagnosis if infeasible,
    within what is left of ``budget``)."""
    return with_diagnosis(no_plan(stage.code, built), built, budget=budget)


def solve_lexicographic(
    district: District,
    scenario: Scenario,
    progress: ProgressFn | None = None,
    measure: str | None = None,
    *,
    raise_on_failure: bool = True,
    budget: Budget | None = None,
) -> Result:
    """Plan by balance first, then commute, then number of moves (see the module docstring).

    ``measure`` is the balance measure of stage 1: ``cv`` (the default, what
    ``objective = "lexicographic"`` means), ``l1`` or ``minmax`` (used by ``lungang
    compare --balance-first`` to compare the measures on equal terms). With ``l1`` or
    ``minmax`` the result's terms and objective are those of that measure.

    With ``raise_on_failure=False`` a first stage without a plan gives a result whose
    status says why (as :func:`solver.search.solve.solve`). The stages share the search
    time of ``budget`` (default: ``time_limit_s`` from now), as the shares above say.

    Raises
    ------
    InfeasibleError
        The rules cannot all hold; ``diagnosis`` names the conflicting rules.
    NoPlanError
        Stage 1 found no plan within its share of the time limit.
    """
    progress = as_progress(progress)
    say = progress.note
    budget = budget if budget is not None else Budget(scenario.solver.time_limit_s)
    if progress.budget is None:
        progress.use(budget)
    if measure is not None and measure != scenario.balance.kind:
        balance = scenario.balance.model_copy(update={"objective": measure})
        scenario = scenario.model_copy(update={"balance": balance})
    built, build_seconds = build(district, scenario, progress, budget=budget)
    staged = StagedModel(built, progress)
    t0 = time.perf_counter()
    stages: list[Stage] = []
    for k, (term, share) in enumerate(STAGES, 1):
        limit = share * max(budget.search_left(), 0.0)
        progress.note(f"lexicographic stage {k} of {len(STAGES)}: {term} ({limit:.1f} s)", 2)
        st = staged.minimize(term, budget.part(limit))
        if not st.found:
            if not stages:
                failed = stage_failure(st, built, budget)
                return failed.raise_for_status() if raise_on_failure else failed
            say(
                f"lexicographic: stage '{term}' found no plan in {limit:.1f} s; keeping the previous stage's plan"
            )
            break
        stages.append(st)
        say(
            f"lexicographic stage {len(stages)}: {term} {st.value / st.divisor:.4f} "
            f"({'optimal' if st.optimal else 'feasible'}, {st.seconds:.1f} s)"
        )
        staged.hold(term, st.value)
    all_optimal = len(stages) == len(STAGES) and all(s.optimal for s in stages)
    res = staged.result(
        cp_model.OPTIMAL if all_optimal else cp_model.FEASIBLE,
        build_seconds,
        time.perf_counter() - t0,
    )
    bound = sum(TERM[s.term].weight(scenario) * s.bound / s.divisor for s in stages)
    stats = dict(res.stats)
    for s in stages:
        stats[f"lex_{s.term}_value"] = s.value / s.divisor
        stats[f"lex_{s.term}_bound"] = s.bound / s.divisor
        stats[f"lex_{s.term}_seconds"] = s.seconds
        stats[f"lex_{s.term}_optimal"] = float(s.optimal)
    return dataclasses.replace(
        res,
        best_bound=min(bound, res.objective),
        # the stages' bounds hold for the model's moves: the problem as written only when
        # no move was pruned (the stages price nothing)
        bound_scope="full_model" if built.complete else "kept_candidates",
        stats=stats,
        status=SolveStatus.OPTIMAL if all_optimal else SolveStatus.FEASIBLE,
    )


# ------------------------------------------------------------ [rules] priority stages

#: Share of the search time left that the priority stages take together (the
#: scenario's objective, searched last under their holds, gets the rest).
PRIORITY_SHARE = 0.5


@dataclasses.dataclass(frozen=True)
class PriorityStage:
    """One ``[rules] priority`` stage: the stream's gain found (rotated person-years,
    :mod:`solver.rules.priority`), CP-SAT's bound on it and whether it was proved."""

    stream: str
    value: int
    bound: float
    optimal: bool
    seconds: float


def priority_gains(
    years: list[RotationModel], streams: list[str]
) -> list[tuple[str, cp_model.LinearExprT]]:
    """Each stream's gain over the year models ``years`` (position ``y − 1`` = year ``y``,
    all in one ``CpModel``): Σ weight · (1 − stay) over the stream's eligible of each
    year (:func:`solver.rules.priority.year_weight`)."""
    from ..rules.priority import in_stream, year_weight

    out = []
    for stream in streams:
        lits, coefs = [], []
        for y, rm in enumerate(years, start=1):
            w = year_weight(y, len(years))
            for p in np.flatnonzero(in_stream(rm.district, rm.people.index, stream)):
                lits.append(rm.stay[p])
                coefs.append(w)
        # Σ w (1 − stay) = Σ w − Σ w · stay
        out.append((stream, sum(coefs) - cp_model.LinearExpr.weighted_sum(lits, coefs)))
    return out


def priority_stages(
    model: cp_model.CpModel,
    gains: list[tuple[str, cp_model.LinearExprT]],
    settings: SolverSettings,
    budget: Budget,
    say: ProgressFn | None = None,
    share: float = PRIORITY_SHARE,
    hint_is_plan: bool = False,
    **params: object,
) -> list[PriorityStage]:
    """Maximise each stream's gain in turn, holding each value found (``gain ≥ value``
    stays in ``model``), each stage started from the last one's plan (a complete hint).

    The stages share ``share`` of ``budget``'s search time, equally among those left;
    ``params`` are further CP-SAT parameters of each search (:func:`search`).
    The model's objective is left to the caller to set again. A later stage that finds
    no plan in its time holds its stream at the last stage's plan's value (not proved
    the most: ``optimal`` false, ``bound`` CP-SAT's) and the stages go on from that
    plan; when the first finds none it is held at the value of the model's hint with
    ``hint_is_plan`` (the hint is a complete plan that meets every rule: a horizon's
    staged plan), and so is every later stage, without a search (the same model from
    the same plan; ``bound`` infinite, ``seconds`` 0); else the list is empty (the
    caller's own search then says why: infeasible, with the diagnosis, or no plan in
    time).
    """
    say = say or (lambda _m: None)
    total = share * max(budget.search_left(), 0.0)
    t_end = time.perf_counter() + total
    done: list[PriorityStage] = []
    last = None  # the last stage's solver: its plan is hinted and meets every hold
    hopeless = False  # a stage found no plan from the hinted plan: the rest are held
    for k, (stream, gain) in enumerate(gains):
        limit = max(t_end - time.perf_counter(), 0.0) / (len(gains) - k)
        model.maximize(gain)
        if hopeless:
            # The same model from the same plan, as much time: on Dongcheng (9,000 staff,
            # 3 years) all six stages found none in 7-9 s each, in every run at the
            # default shares; their time goes to the objective's search instead.
            held = _held_value(model, last, gain, hint_is_plan)
            st = PriorityStage(stream, held, math.inf, False, 0.0)
            done.append(st)
            say(
                f"priority stage {k + 1} of {len(gains)}: {stream} {held} rotated person-years "
                "(not searched: an earlier stage found no plan from the starting plan; held "
                "at its value)"
            )
            model.add(gain >= held)
            continue
        solver, code, secs = search(
            model, settings, limit, None, label=f"priority {stream}", **params
        )
        held = None if found(code) else _held_value(model, last, gain, hint_is_plan)
        hopeless = held is not None and last is None
        if not found(code) and held is None:
            say(f"priority stage {k + 1} ({stream}): no plan in {limit:.1f} s; stages end here")
            break
        if found(code):
            value, optimal, last = (
                int(round(solver.objective_value)),
                code == cp_model.OPTIMAL,
                solver,
            )
        else:
            value, optimal = held, False
        bound = float(solver.best_objective_bound)
        bound = max(bound, value) if math.isfinite(bound) else math.inf
        st = PriorityStage(stream, value, bound, optimal, secs)
        done.append(st)
        say(
            f"priority stage {k + 1} of {len(gains)}: {stream} {value} rotated person-years "
            + (
                f"({'optimal' if optimal else f'bound {bound:g}'}, {secs:.1f} s)"
                if found(code)
                else f"(no plan in {limit:.1f} s: held at the "
                + ("last stage's plan's value)" if last is not None else "starting plan's value)")
            )
        )
        model.add(gain >= value)
        if found(code):
            hint_solution(model, solver)
    return done


def _held_value(model: cp_model.CpModel, last, gain, hint_is_plan: bool) -> int | None:
    """The value a stage without a plan holds its stream at: the last stage's plan's,
    else, with ``hint_is_plan``, that of the model's hint (a complete plan that meets
    every rule), else ``None``. ``model``'s objective is the stage's (``gain``,
    maximised)."""
    if last is not None:
        return int(round(last.value(gain)))
    if not hint_is_plan:
        return None
    proto = model.proto
    hint = proto.solution_hint
    if len(hint.vars) != len(proto.variables) or len(set(hint.vars)) != len(proto.variables):
        return None
    values = np.zeros(len(proto.variables), dtype=np.int64)
    values[np.asarray(hint.vars, dtype=np.int64)] = np.asarray(hint.values, dtype=np.int64)
    obj = proto.objective
    raw = float(np.dot(values[np.asarray(obj.vars, dtype=np.int64)], obj.coeffs)) + obj.offset
    return int(round(raw * (obj.scaling_factor or 1.0)))


def priority_stats(stages: list[PriorityStage]) -> dict[str, float]:
    """``stats`` keys of the stages: ``priority_<stream>_value``, ``_bound``, ``_optimal``,
    ``_seconds``."""
    stats: dict[str, float] = {}
    for s in stages:
        stats[f"priority_{s.stream}_value"] = float(s.value)
        stats[f"priority_{s.stream}_bound"] = float(s.bound)
        stats[f"priority_{s.stream}_optimal"] = float(s.optimal)
        stats[f"priority_{s.stream}_seconds"] = round(s.seconds, 3)
    return stats


def solve_priority(
    district: District,
    scenario: Scenario,
    progress: ProgressFn | None = None,
    *,
    raise_on_failure: bool = True,
    budget: Budget | None = None,
) -> Result:
    """Plan one year with ``[rules] priority``: the stream stages of
    :func:`priority_stages`, then the scenario's objective under their holds, each a
    CP-SAT search of the full model (no LP guidance).

    ``status`` is ``optimal`` only when every stage and the last search proved
    optimality; ``best_bound`` is the last search's: a bound on the objective among the
    plans that keep the streams' values, not over all plans. A first stage without a
    plan leaves the model as built, and the last search says why (the diagnosis of an
    infeasible scenario as in :func:`solver.search.solve.solve`).
    """
    progress = as_progress(progress)
    budget = budget if budget is not None else Budget(scenario.solver.time_limit_s)
    if progress.budget is None:
        progress.use(budget)
    built, build_seconds = build(district, scenario, progress, budget=budget)
    m = built.model
    objective = cp_model.LinearExpr.sum(
        [built.obj_coef[t] * built.terms[t][0] for t in built.terms]
    )
    if getattr(built, "forms", None) is not None:
        objective = objective + built.forms.total()
    t0 = time.perf_counter()
    progress.phase("search", f"priority stages: {', '.join(scenario.rules.priority)}")
    gains = priority_gains([built], list(scenario.rules.priority))
    stages = priority_stages(m, gains, scenario.solver, budget, progress.note)
    m.minimize(objective)
    progress.phase(
        "search", f"objective under the priority holds: {len(built.pairs)} candidate moves"
    )
    solver, code, _ = search(m, scenario.solver, budget.search_left(), progress)
    secs = time.perf_counter() - t0
    if not found(code):
        failed = with_diagnosis(no_plan(code, built), built, budget=budget)
        return failed.raise_for_status() if raise_on_failure else failed
    all_optimal = (
        code == cp_model.OPTIMAL and all(s.optimal for s in stages) and len(stages) == len(gains)
    )
    res = result_of(
        built,
        solver,
        cp_model.OPTIMAL if all_optimal else cp_model.FEASIBLE,
        built.elig,
        build_seconds,
        secs,
    )
    return dataclasses.replace(
        res,
        stats={**res.stats, **priority_stats(stages)},
        status=SolveStatus.OPTIMAL if all_optimal else SolveStatus.FEASIBLE,
    )
