"""The search engine: every CP-SAT search of lungang runs here.

This is the only module that creates and configures a CP-SAT solver
(:func:`new_solver`). On a built :class:`~solver.model.rotation.RotationModel` it runs

- the search of the weighted objective (:func:`search_objective`, what ``solve`` does),
  through the LP-guided path when the model is big;
- the term-by-term searches of :class:`StagedModel` (lexicographic stages, the
  trade-off sweep), each minimising one term with others held, returning a
  :class:`Stage` record (term, value, bound, seconds, status);
- one plain search of a model as it stands (:func:`search`: re-planning's stages),
  the feasibility probes of the diagnosis (:func:`probe`) and the completion of a
  hinted plan to every variable (:func:`complete_hint`).

The **LP-guided path** (:func:`lp_guide`): the LP relaxation of the full model
(HiGHS, :mod:`solver.search.lp`) is mostly integral, so the model restricted to the
moves the LP uses (plus the last or warm-start plan's) holds near-optimal plans and
is small enough for CP-SAT to search well from the LP's rounding; the LP optimum is a
bound for the full model. When the model keeps only each teacher's nearest schools,
the search of the objective prices the moves it left out into the LP
(:mod:`solver.search.pricing`), so that its bound holds for the problem as written
(``bound_scope``, docs/bound.md).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from ..input.scenario import SolverSettings
from ..model.rotation import OBJ_UNIT, RotationModel
from ..model.terms import TERMS, evaluate_terms, objective_value
from ..plan.plan import Plan
from ..plan.result import FULL_SCOPES, Result, SolveStatus
from ..progress import Budget, Progress, ProgressLike, Quotas, as_progress
from ..rules.forms import empty_shares, post_filling_mask
from ..rules.moves import at_least, share_fraction
from ..rules.training import training_moves
from ..validate import validate_plan
from .guard import cp_solve
from .pricing import PricedLP, price

#: What the drivers accept as ``progress``: a :class:`~solver.progress.Progress`, a
#: callable taking lines, or ``None``.
ProgressFn = ProgressLike
#: Models with at least this many candidate moves are searched through their LP
#: relaxation (small ones solve faster without, and stay bit-for-bit reproducible).
HINT_MIN_PAIRS = 5000
#: After the LP-guided search, the full model is searched from its plan only up to this
#: size: above it the full search costs memory (1.5 GB at 125,000 moves) and, measured on
#: the seed scenarios, did not improve the plan.
FULL_SEARCH_MAX_PAIRS = 30_000
#: Share of the remaining time the LP-guided search of the objective gives the LP.
LP_SHARE = 0.7
#: The same share for one stage of a :class:`StagedModel` (the LP under holds is slower
#: to pay back; the restricted search needs the rest).
STAGE_LP_SHARE = 0.4
#: Seconds of search time the search around the warm start needs at least (when the LP
#: guide ran out of time); with less, the warm start itself is the plan.
WARM_SEARCH_MIN_S = 3.0
#: Seconds of search time a widening of the restricted model needs at least
#: (:func:`_widen`).
WIDEN_MIN_S = 3.0
#: The restricted optimum is widened only while it is more than this (relative) above
#: the LP bound.
WIDEN_TOLERANCE = 1e-4
#: Upper bound of a term variable when it is not held (far above any term's value).
FREE = 2**53


# ------------------------------------------------------------------- the solver


def new_solver(
    time_limit_s: float,
    settings: SolverSettings | None = None,
    *,
    workers: int | None = None,
    work_limit: bool = True,
    **params: object,
) -> cp_model.CpSolver:
    """A CP-SAT solver: the one place where solvers are created and configured.

    With ``settings`` (a scenario's ``[solver]``): its workers, seed, ``work_limit``
    (deterministic time; left out with ``work_limit=False``) and, with
    ``deterministic``, interleaved workers, so that a run that ends by proving
    optimality or by the work limit gives the same plan every time. Without: CP-SAT's
    defaults but ``workers`` (default 1). ``time_limit_s`` is wall-clock; ``params`` are
    further CP-SAT parameters.
    """
    solver = cp_model.CpSolver()
    p = solver.parameters
    if settings is not None:
        p.num_workers = settings.workers if workers is None else workers
        p.random_seed = settings.seed
        p.max_time_in_seconds = time_limit_s
        if work_limit and settings.work_limit is not None:
            p.max_deterministic_time = settings.work_limit
        if settings.deterministic and settings.workers > 1:
            p.interleave_search = True
    else:
        p.num_workers = 1 if workers is None else workers
        p.max_time_in_seconds = time_limit_s
    for key, value in params.items():
        setattr(p, key, value)
    return solver


class QuotaCounts:
    """The counts of a plan against the minimum quotas, read in a solution callback."""

    def __init__(self, built: RotationModel):
        ppl, stay = built.people, built.stay
        q = built.scenario.quotas

        def moved(col: str) -> tuple[cp_model.LinearExprT, int]:
            idx = np.flatnonzero(ppl[col].to_numpy(dtype=bool)) if len(ppl) else []
            return len(idx) - cp_model.LinearExpr.sum([stay[i] for i in idx]), len(idx)

        self.teachers, n_t = moved("is_teacher")
        self.key, n_key = moved("is_key")
        self.cadres, n_c = moved("is_cadre")
        self.teachers_min = at_least(q.teacher_rotation_min, n_t)
        self.cadres_min = at_least(q.principal_rotation_min, n_c)
        self.key_basis = q.key_share_basis == "eligible_key"
        self.key_share = q.key_share_of_rotated_min
        self.key_eligible_min = at_least(q.key_share_of_rotated_min, n_key)

    def read(self, cb: cp_model.CpSolverSolutionCallback) -> Quotas:
        t, k, c = (int(cb.value(e)) for e in (self.teachers, self.key, self.cadres))
        key_min = (
            self.key_eligible_min
            if self.key_basis
            else math.ceil(share_fraction(self.key_share) * t)
        )
        return Quotas(t, self.teachers_min, k, key_min, c, self.cadres_min)


def plan_quotas(assignments: pd.DataFrame, quotas_settings) -> Quotas:
    """The quotas a finished plan meets, counted as :class:`QuotaCounts` counts them in
    the search (the callback reads them at most twice a second, so the last plan's may
    not have been read)."""
    a = assignments
    moved = a["moved"].to_numpy(dtype=bool)
    teacher = (a["role"] == "teacher").to_numpy()
    key = teacher & (a["key_level"] != "none").to_numpy()
    q = quotas_settings
    t = int((moved & teacher).sum())
    if q.key_share_basis == "eligible_key":
        key_min = at_least(q.key_share_of_rotated_min, int(key.sum()))
    else:
        key_min = math.ceil(share_fraction(q.key_share_of_rotated_min) * t)
    return Quotas(
        t,
        at_least(q.teacher_rotation_min, int(teacher.sum())),
        int((moved & key).sum()),
        key_min,
        int((moved & ~teacher).sum()),
        at_least(q.principal_rotation_min, int((~teacher).sum())),
    )


class PlanCallback(cp_model.CpSolverSolutionCallback):
    """Reports each improving plan to ``progress``: its objective (the model's units
    divided by ``divisor``) and, when ``own_bound`` (the model searched is the whole
    problem), CP-SAT's bound; a restricted model's bound is not reported. The quota
    counts are read at most twice a second."""

    def __init__(
        self,
        progress: Progress,
        divisor: float = OBJ_UNIT,
        own_bound: bool = True,
        quotas: QuotaCounts | None = None,
        stop_at: float | None = None,
    ):
        super().__init__()
        self._progress, self._div, self._own = progress, divisor, own_bound
        self._quotas, self._last = quotas, -math.inf
        self._stop_at = stop_at
        #: Whether the search was stopped because a plan reached ``stop_at``.
        self.stopped = False

    def on_solution_callback(self) -> None:
        q = None
        if self._quotas is not None and time.perf_counter() - self._last >= 0.5:
            q, self._last = self._quotas.read(self), time.perf_counter()
        self._progress.plan(
            self.objective_value / self._div,
            self.best_objective_bound / self._div if self._own else None,
            q,
        )
        if self._stop_at is not None and self.objective_value <= self._stop_at and not self.stopped:
            self.stopped = True
            self.stop_search()


def search(
    model: cp_model.CpModel,
    settings: SolverSettings,
    time_limit_s: float,
    progress: ProgressFn | None = None,
    *,
    label: str = "plan",
    divisor: float = OBJ_UNIT,
    work_limit: bool = True,
    own_bound: bool = True,
    quotas: QuotaCounts | None = None,
    big: bool = False,
    stop_at: float | None = None,
    **params: object,
) -> tuple[cp_model.CpSolver, int, float]:
    """One CP-SAT search of ``model`` as it stands (objective, holds and hint included),
    for at most ``time_limit_s`` seconds (0.5 at least); returns the solver holding
    the values, the CP-SAT status and the seconds taken.

    Each improving plan goes to ``progress`` (:class:`PlanCallback`); ``own_bound``
    says whether CP-SAT's bound on ``model`` is a bound of the whole problem (not for
    a restricted model). ``label`` is kept for callers; the problem's name is the
    caller's :meth:`~solver.progress.Progress.problem`. ``big`` (a search of a big
    district's model, :data:`HINT_MIN_PAIRS` moves or more) interleaves the workers
    in a long search and lets them race in a short one, unless a ``work_limit`` makes
    the run reproducible (:func:`racing`). ``stop_at``
    (model units) ends the search at the first plan whose objective is at most that
    (``[solver] gap_limit`` above a bound of the problem, :func:`good_enough`); with
    ``own_bound`` the scenario's ``gap_limit`` is also CP-SAT's relative gap limit.
    ``params`` are further CP-SAT parameters (:func:`new_solver`)."""
    if big:
        params = {**racing(settings, time_limit_s), **params}
    if own_bound and settings.gap_limit > 0:
        params = {"relative_gap_limit": settings.gap_limit, **params}
    solver = new_solver(max(time_limit_s, 0.5), settings, work_limit=work_limit, **params)
    t = time.perf_counter()
    cb = None
    if progress is not None or stop_at is not None:
        cb = PlanCallback(as_progress(progress), divisor, own_bound, quotas, stop_at)
    code = cp_solve(solver, model, cb)
    if cb is not None and cb.stopped and progress is not None:
        as_progress(progress).note(
            f"plan within gap_limit {100 * settings.gap_limit:g}% of the bound: search stopped"
        )
    return solver, code, time.perf_counter() - t


def _within(settings: SolverSettings, objective: float, bound: float) -> bool:
    """Whether ``objective`` is within ``[solver] gap_limit`` of ``bound`` (model units)."""
    stop = good_enough(settings, bound)
    return stop is not None and objective <= stop


def good_enough(settings: SolverSettings, bound: float | None) -> float | None:
    """The objective (model units) at or below which a plan is within ``[solver]
    gap_limit`` of ``bound`` (model units, a bound of the problem as written), or
    ``None`` when no gap limit is set or there is no such bound."""
    if settings.gap_limit <= 0 or bound is None or not math.isfinite(bound):
        return None
    # gap = (objective - bound) / objective <= g  <=>  objective <= bound / (1 - g)
    return bound / (1.0 - settings.gap_limit) if bound > 0 else bound


#: The search time (seconds) from which a big model's search interleaves CP-SAT's
#: workers (:func:`racing`): an interleaved search's first plan took 16-33 s on
#: Chaoyang's restricted model (11,500 staff, 4,148 moves, one thread).
INTERLEAVE_MIN_S = 40.0


def racing(settings: SolverSettings, seconds: float = math.inf) -> dict[str, object]:
    """CP-SAT parameters of a big district's search of ``seconds``: interleaved workers
    when there is time for them (:data:`INTERLEAVE_MIN_S`), racing ones when there is
    not; CP-SAT's defaults when ``work_limit`` makes the run reproducible.

    Interleaved, CP-SAT runs its full searches (LP-guided dives among them) and its
    neighbourhood searches in turns, on one thread as on two. On Chaoyang's restricted
    model (11,500 staff, 4,148 moves, 60 s) they reached 1501.2 (0.12% above the LP
    bound 1499.35) with one thread and 1501.4 with two, where one sequential thread
    stalled at 1539.2 (2.6%) and two racing workers at 1529.2 (2.0%). But the turns
    are long on a big model: the first plan came after 16-33 s there, and on 40,000
    staff (4,434 moves, 20-30 s) the LP workers' first turn took most of the time, no
    plan came from the LP's rounding, while racing workers reached 1,667 (1.4% above
    the LP bound) in 25 s. A short search races. A run ended by the wall clock is not
    reproducible either way (docs/scenario.md, ``deterministic``)."""
    if settings.work_limit is not None:
        return {}
    return {"interleave_search": seconds >= INTERLEAVE_MIN_S}


def probe(
    model: cp_model.CpModel,
    time_limit_s: float,
    workers: int = 1,
    assumptions: Sequence[cp_model.IntVar] | None = None,
) -> tuple[int, set[int]]:
    """A feasibility probe: the CP-SAT status of ``model`` (objective as it stands) under
    ``assumptions``, and when infeasible the indices of a sufficient subset of them."""
    if assumptions is not None:
        model.clear_assumptions()
        model.add_assumptions(list(assumptions))
    solver = new_solver(max(time_limit_s, 0.1), workers=workers)
    code = cp_solve(solver, model)
    core: set[int] = set()
    if code == cp_model.INFEASIBLE and assumptions is not None:
        core = set(solver.sufficient_assumptions_for_infeasibility())
    return code, core


def complete_hint(built: RotationModel, time_limit_s: float = 10.0) -> bool:
    """Extend the plan hinted on ``built`` to every variable (counts, costs) so CP-SAT
    takes it as a complete solution; ``False`` (hint dropped) when the plan breaks a rule."""
    solver = new_solver(time_limit_s, fix_variables_to_their_hinted_value=True)
    code = cp_solve(solver, built.model)
    built.model.clear_hints()
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return False
    hint_solution(built.model, solver)
    return True


def hint_solution(model: cp_model.CpModel, solver: cp_model.CpSolver) -> None:
    """Hint the solution ``solver`` holds for ``model`` (the same model), complete."""
    hint_values(model, solver.response_proto.solution)


def hint_values(model: cp_model.CpModel, values) -> None:
    """Hint ``values`` (one per variable of ``model``, in proto order), complete."""
    model.clear_hints()
    hint = model.proto.solution_hint
    hint.vars.extend(range(len(values)))
    hint.values.extend(int(round(v)) for v in values)


def found(code: int) -> bool:
    """Whether a CP-SAT status carries a plan."""
    return code in (cp_model.OPTIMAL, cp_model.FEASIBLE)


def no_plan(code: int, built: RotationModel, elig: pd.DataFrame | None = None) -> Result:
    """The result of a search that found no plan (status ``infeasible`` or ``no_plan``).

    The diagnosis of an infeasible one is the caller's (:mod:`solver.search.diagnose`)."""
    if code == cp_model.MODEL_INVALID:
        raise RuntimeError(f"CP-SAT rejected the model: {built.model.validate()}")
    elig = built.elig if elig is None else elig
    if code == cp_model.INFEASIBLE:
        return Result.without_plan(SolveStatus.INFEASIBLE, "the rules cannot all hold", elig)
    return Result.without_plan(
        SolveStatus.NO_PLAN,
        f"no plan found within the time limit ({built.scenario.solver.time_limit_s:g} s); "
        "raise [solver] time_limit_s or --time-limit",
        elig,
    )


# ------------------------------------------------------------------- the LP guide


def lp_guide(
    built: RotationModel, share: float, budget: Budget, say: ProgressFn | None = None
) -> PricedLP | None:
    """The LP relaxation of ``built`` as it stands (HiGHS), given ``share`` of the search
    time left in ``budget``, with a pruned model's left-out moves priced in
    (:func:`solver.search.pricing.price`): its bound and scope, the value of each
    ``built.x`` and the moves priced in; ``None`` when highspy is missing or the LP
    does not finish in time. ``say`` gets the pricing rounds."""
    return price(
        built, max(1.0, share * budget.search_left()), built.scenario.solver.workers, say=say
    )


def restricted(built: RotationModel, keys: list[np.ndarray]) -> RotationModel:
    """``built``'s model restricted to the candidate moves of ``keys`` (pair keys)."""
    small = RotationModel(
        built.district,
        built.scenario,
        elig=built.elig,
        restrict=np.unique(np.concatenate(keys)),
        masks=built.masks,
    )
    small.candidates_limit = built.candidates_limit  # (what summary.json's stats report)
    return small


# ------------------------------------------------------------ the weighted objective


#: How the progress line names each bound scope.
SCOPE_WORDS = {
    "full_model": "LP bound",
    "full_lp": "LP bound of every permitted move",
    "lagrangian": "Lagrangian bound of every permitted move",
    "kept_candidates": "LP bound of the kept candidate moves only",
}


def _guided(built: RotationModel, progress: Progress, budget: Budget):
    """LP-guided search of the objective: ``(bound, bound scope, restricted model,
    solver, status)``, or ``None`` when the LP does not finish in time."""
    # The LP is the search's guide and bound: most of the time goes to it (40,000 staff:
    # about 20 s of 60), CP-SAT then needs little on the restricted model. Pricing the
    # pruned moves shares that time (docs/bound.md).
    progress.phase("LP guide", f"the LP relaxation of {len(built.pairs)} candidate moves")
    lp = lp_guide(built, LP_SHARE, budget, say=lambda m: progress.note(m, level=2))
    if lp is None:
        return None
    if lp.scope in FULL_SCOPES:
        # a bound of the whole problem: the bound shown during the restricted search
        progress.bound(lp.bound / OBJ_UNIT)
    # the moves of the last LP and of the first (the kept moves' alone, as without
    # pricing): the restricted model holds the plans near either
    keys = [
        built.pair_keys(np.flatnonzero((lp.x > 1e-6) | (lp.first_x > 1e-6))),
        lp.priced_keys[lp.priced_values > 1e-6],
    ]
    if built.warm_choice is not None:
        keys.append(built.pair_keys(built.warm_choice[built.warm_choice >= 0]))
    small = restricted(built, keys)
    rounded = np.concatenate(
        [built.pair_keys(np.flatnonzero(lp.x > 0.5)), lp.priced_keys[lp.priced_values > 0.5]]
    )
    small.add_hint(small.choice_of_keys(rounded))
    priced = f", {len(lp.priced_keys)} pruned moves priced in" if lp.pruned else ""
    progress.phase(
        "search",
        f"{SCOPE_WORDS[lp.scope]} {lp.bound / OBJ_UNIT:.4f}{priced}; "
        f"searching the {len(small.pairs)} moves the LP uses",
    )
    stop = good_enough(built.scenario.solver, lp.bound if lp.scope in FULL_SCOPES else None)
    solver, code = _search_restricted(built, small, progress, budget, stop)
    if code == cp_model.OPTIMAL:
        small, solver, code = _widen(built, lp, small, solver, progress, budget, stop)
    return lp.bound / OBJ_UNIT, lp.scope, small, solver, code


def _search_restricted(
    built: RotationModel,
    small: RotationModel,
    progress: Progress,
    budget: Budget,
    stop: float | None,
) -> tuple[cp_model.CpSolver, int]:
    """CP-SAT on ``small``, a model of ``built`` restricted to some of its moves, for the
    search time left: workers as :func:`racing` sets them, its own bound not shown (it is not the problem's),
    stopped at ``stop`` (:func:`good_enough`). Returns the solver and its status."""
    solver, code, _ = search(
        small.model,
        built.scenario.solver,
        budget.search_left(),
        progress,
        own_bound=False,
        quotas=QuotaCounts(small),
        big=True,
        stop_at=stop,
    )
    return solver, code


def _by_reduced_cost(built: RotationModel, lp: PricedLP) -> np.ndarray:
    """The pair keys of every move the LP knows (the model's and those priced in),
    cheapest reduced cost first."""
    keys = np.concatenate([built.pair_keys(), lp.priced_keys])
    cost = np.concatenate([lp.reduced, lp.priced_reduced])
    return keys[np.argsort(cost, kind="stable")]


def _widen(
    built: RotationModel,
    lp: PricedLP,
    small: RotationModel,
    solver: cp_model.CpSolver,
    progress: Progress,
    budget: Budget,
    stop: float | None = None,
) -> tuple[RotationModel, cp_model.CpSolver, int]:
    """The restricted model solved to its optimum with time left and the LP bound not
    met: widen it by as many moves again as it has, those of least LP reduced cost
    (the moves most likely in a better plan), and search the wider model from its
    plan; repeat while each search ends optimal. Returns the last model searched, its
    solver and status (a wider search that finds nothing keeps the narrower plan).

    Measured: on 15,000 staff with wishes weighted, the restricted model's optimum was
    9.6% above the LP bound after 46 s of 60, and nothing used the 14 s left. ``stop``
    (model units, :func:`good_enough`): a plan at or below it is good enough."""
    if lp.reduced is None or lp.priced_reduced is None:
        return small, solver, cp_model.OPTIMAL
    order = _by_reduced_cost(built, lp)
    code = cp_model.OPTIMAL
    while (
        code == cp_model.OPTIMAL
        and budget.search_left() >= WIDEN_MIN_S
        and solver.objective_value / OBJ_UNIT > lp.bound / OBJ_UNIT * (1 + WIDEN_TOLERANCE)
        and (stop is None or solver.objective_value > stop)
    ):
        have = small.pair_keys()
        more = order[~np.isin(order, have)][: max(len(have), 1)]
        if not len(more):
            break
        wider = restricted(built, [have, more])
        plan = solver.boolean_values(small.x).to_numpy(dtype=bool)
        wider.add_hint(wider.choice_from(small, plan))
        if not complete_hint(wider, min(10.0, max(0.5, 0.2 * budget.search_left()))):
            break
        progress.phase(
            "search",
            f"restricted optimum {solver.objective_value / OBJ_UNIT:.4f} above the bound; "
            f"widened to the {len(wider.pairs)} moves of least reduced cost",
        )
        s2, c2 = _search_restricted(built, wider, progress, budget, stop)
        if not found(c2) or s2.objective_value > solver.objective_value:
            break
        small, solver, code = wider, s2, c2
    return small, solver, code


def _around_warm_start(
    built: RotationModel,
    progress: Progress,
    budget: Budget,
    build_seconds: float,
    t0: float,
    bound: tuple[float, str] | None = None,
) -> Result | None:
    """The model restricted to the warm start's moves, searched from it: a plan when the
    LP guide ran out of time, or its restricted search found none. Its bound is the LP's
    whole-problem ``bound`` (value, scope) when there is one, else 0 (every term is ≥ 0):
    the restricted model's own bound is not the problem's."""
    warm = built.warm_choice
    small = restricted(built, [built.pair_keys(warm[warm >= 0])])
    small.add_hint(small.choice_from(built, _chosen(built, warm)))
    why = (
        "[forms] shares"
        if getattr(built, "forms", None) is not None
        else "the LP-guided search found no plan"
        if bound is not None
        else "the LP did not finish"
    )
    progress.phase("search", f"{why}; searching the {len(small.pairs)} moves of the warm start")
    stop = good_enough(built.scenario.solver, None if bound is None else bound[0] * OBJ_UNIT)
    solver, code = _search_restricted(built, small, progress, budget, stop)
    if not found(code):
        return None
    return result_of(
        small,
        solver,
        cp_model.FEASIBLE,
        built.elig,
        build_seconds,
        time.perf_counter() - t0,
        lp_bound=0.0 if bound is None else bound[0],
        own_bound=False,
        bound_scope=None if bound is None else bound[1],
    )


class _HintValues:
    """The complete hint of a model (the warm start, completed by
    :func:`complete_hint`) read as a solver's values, for :func:`result_of`."""

    def __init__(self, model: cp_model.CpModel):
        hint = model.proto.solution_hint
        self._values = np.zeros(len(model.proto.variables), dtype=np.int64)
        self._values[np.asarray(hint.vars, dtype=np.int64)] = np.asarray(hint.values)
        self.complete = len(hint.vars) == len(model.proto.variables)

    def boolean_values(self, variables) -> pd.Series:
        return pd.Series(self._values[[v.index for v in variables]].astype(bool))

    def values(self, variables) -> pd.Series:
        return pd.Series(self._values[[v.index for v in variables]])


class _ChoiceValues:
    """A person → pair-index choice (−1: stays) read as a solver's values."""

    def __init__(self, built: RotationModel, choice: np.ndarray):
        self._x = _chosen(built, choice)
        self._stay = choice < 0
        self._index = {v.index: i for i, v in enumerate(built.x)}
        self._stay_index = {v.index: i for i, v in enumerate(built.stay)}

    def boolean_values(self, variables) -> pd.Series:
        if len(variables) and variables[0].index in self._stay_index:
            return pd.Series(self._stay[[self._stay_index[v.index] for v in variables]])
        return pd.Series(self._x[[self._index[v.index] for v in variables]])


def _warm_start_result(
    built: RotationModel,
    build_seconds: float,
    t0: float,
    bound: tuple[float, str] | None = None,
) -> Result | None:
    """The warm start as the plan (bound: the LP's whole-problem ``bound`` (value, scope)
    when there is one, else 0): its complete hint when :func:`complete_hint`
    checked it against the model, else the paired exchanges themselves when the
    independent validator finds no rule broken; ``None`` otherwise."""
    values = _HintValues(built.model)
    checked = values.complete and built.warm_choice is not None
    warm = getattr(built, "warm_plan", None)
    if not checked:
        if warm is None:
            return None
        values = _ChoiceValues(built, warm)
    res = result_of(
        built,
        values,  # type: ignore[arg-type]
        cp_model.FEASIBLE,
        built.elig,
        build_seconds,
        time.perf_counter() - t0,
        lp_bound=0.0 if bound is None else bound[0],
        own_bound=False,
        bound_scope=None if bound is None else bound[1],
    )
    if not checked and validate_plan(
        built.district, built.scenario, res.assignments, part_time=res.part_time
    ):
        return None
    return res


def _chosen(built: RotationModel, choice: np.ndarray) -> np.ndarray:
    """A person → pair-index choice (−1: stays) as a mask over ``built.x``."""
    mask = np.zeros(len(built.pairs), dtype=bool)
    mask[choice[choice >= 0]] = True
    return mask


def search_objective(
    built: RotationModel,
    progress: ProgressFn | None = None,
    build_seconds: float = 0.0,
    guided: bool = True,
    budget: Budget | None = None,
) -> Result:
    """Search the weighted objective of a built model with the scenario's settings.

    Big models (``HINT_MIN_PAIRS`` candidate moves or more) are searched through their
    LP relaxation; the bound reported is then the LP's, which holds for the full model.
    Smaller models, or when that fails, are searched whole; so is every model with
    ``guided=False`` (needed when constraints were added to ``built.model``, which the
    restricted model would not have). Without a plan the result's status says why.

    The search ends when ``budget``'s search time is spent (default: a budget of
    ``[solver] time_limit_s`` from now); improving plans and proven bounds go to
    ``progress``.
    """
    progress = as_progress(progress)
    t0 = time.perf_counter()
    settings = built.scenario.solver
    budget = budget if budget is not None else Budget(settings.time_limit_s)
    # [forms] shares: the LP of the share variables and their tenths-fine balance costs is
    # too big to guide in time (3,000 staff: it did not finish in 50 s of 90); CP-SAT
    # searches the warm start's moves with every share variable instead.
    shares = getattr(built, "forms", None) is not None
    if guided and len(built.pairs) >= HINT_MIN_PAIRS and shares:
        if built.warm_choice is not None:
            res = _around_warm_start(built, progress, budget, build_seconds, t0)
            if res is not None:
                return res
    elif guided and len(built.pairs) >= HINT_MIN_PAIRS:
        # no search time left after the checks, the build and the warm start: no LP
        spent = budget.search_left() <= 0 and getattr(built, "warm_plan", None) is not None
        got = None if spent else _guided(built, progress, budget)
        if got is not None and found(got[4]):
            lp_bound, scope, small, solver, code = got
            left = budget.search_left()
            chosen = small.pair_keys(np.flatnonzero(solver.boolean_values(small.x).to_numpy()))
            if (
                left > 0.1 * settings.time_limit_s
                and len(built.pairs) <= FULL_SEARCH_MAX_PAIRS
                and solver.objective_value / OBJ_UNIT > lp_bound + 1e-6
                # (a plan within [solver] gap_limit is good enough)
                and not _within(settings, solver.objective_value, lp_bound * OBJ_UNIT)
                # (a plan that uses a move priced in is not a plan of this model)
                and np.isin(chosen, built.pair_keys()).all()
            ):
                # Time left: the full model, started from the restricted plan, may improve it
                # and prove a better bound.
                progress.phase(
                    "full search",
                    f"restricted plan {solver.objective_value / OBJ_UNIT:.4f}; searching the full model from it",
                )
                built.add_hint(
                    built.choice_from(small, solver.boolean_values(small.x).to_numpy(dtype=bool))
                )
                if complete_hint(built, min(10.0, max(0.5, budget.search_left()))):
                    full, full_code, _ = search(
                        built.model,
                        settings,
                        budget.search_left(),
                        progress,
                        quotas=QuotaCounts(built),
                        big=True,
                        stop_at=good_enough(settings, lp_bound * OBJ_UNIT),
                    )
                    if found(full_code):
                        # (CP-SAT's own bound and optimality count only when no move was pruned)
                        return result_of(
                            built,
                            full,
                            full_code,
                            built.elig,
                            build_seconds,
                            time.perf_counter() - t0,
                            lp_bound=lp_bound,
                            bound_scope=scope,
                        )
            # The restricted model's own bound and optimality say nothing of the full model:
            # the plan is optimal only when it meets the LP bound.
            tight = solver.objective_value / OBJ_UNIT <= lp_bound + 1e-9 * max(1.0, abs(lp_bound))
            return result_of(
                small,
                solver,
                cp_model.OPTIMAL if tight else cp_model.FEASIBLE,
                built.elig,
                build_seconds,
                time.perf_counter() - t0,
                lp_bound=lp_bound,
                own_bound=False,
                bound_scope=scope,
            )
        if getattr(built, "warm_plan", None) is not None:
            # The LP did not finish in time, or the search of its moves found no plan:
            # rather than the full model (too big to search well in what is left), search
            # around the warm start, a complete plan, or, with no time for that, return the
            # warm start itself; a finished LP's whole-problem bound still holds.
            bound = None
            if got is not None and got[1] in FULL_SCOPES:
                bound = (got[0], got[1])
            res = None
            if built.warm_choice is not None and budget.search_left() >= WARM_SEARCH_MIN_S:
                res = _around_warm_start(built, progress, budget, build_seconds, t0, bound)
            if res is None:
                res = _warm_start_result(built, build_seconds, t0, bound)
                if res is not None:
                    progress.note(
                        "the LP guide did not finish in time: the plan is the warm start's"
                        if bound is None
                        else "the LP-guided search found no plan in time: the plan is the "
                        "warm start's"
                    )
            if res is not None:
                return res
        progress.note("LP-guided search found no plan; searching the full model")
    tried = guided and len(built.pairs) >= HINT_MIN_PAIRS  # (pricing ran in the guide)
    return _search_whole(built, progress, budget, guided, tried, build_seconds, t0)


def _search_whole(
    built: RotationModel,
    progress: Progress,
    budget: Budget,
    guided: bool,
    tried: bool,
    build_seconds: float,
    t0: float,
) -> Result:
    """The search of the whole model (a pruned one priced first unless the LP guide
    already tried: its bound then holds for the problem as written)."""
    settings = built.scenario.solver
    lp, model = None, built
    if not built.complete and not built.diagnose and not tried:
        # A pruned model's own bound holds for its moves only: price the others (fast on
        # the small models searched whole) for a bound of the problem as written, and
        # search the kept moves with those priced in (unless constraints were added to
        # built.model, which a new model would not have).
        lp = price(
            built,
            max(1.0, 0.3 * budget.search_left()),
            settings.workers,
            say=lambda m: progress.note(m, level=2),
        )
        if guided and lp is not None and len(lp.priced_keys):
            model = restricted(built, [built.pair_keys(), lp.priced_keys])
    progress.phase("search", f"the full model: {len(model.pairs)} candidate moves")
    if lp is not None and lp.scope in FULL_SCOPES:
        progress.bound(lp.bound / OBJ_UNIT)
    solver, code, _ = search(
        model.model,
        settings,
        budget.search_left(),
        progress,
        own_bound=model.complete,  # (a pruned model's own bound is not the problem's)
        quotas=QuotaCounts(model),
        big=len(built.pairs) >= HINT_MIN_PAIRS,
        stop_at=good_enough(settings, lp.bound)
        if lp is not None and lp.scope in FULL_SCOPES
        else None,
    )
    if not found(code):
        return no_plan(code, built)
    if lp is not None and lp.scope in ("full_lp", "lagrangian"):
        return result_of(
            model,
            solver,
            code,
            built.elig,
            build_seconds,
            time.perf_counter() - t0,
            lp_bound=lp.bound / OBJ_UNIT,
            bound_scope=lp.scope,
        )
    return result_of(model, solver, code, built.elig, build_seconds, time.perf_counter() - t0)


def weighted_objective(built: RotationModel) -> cp_model.LinearExprT:
    """Σ weight · term of ``built`` in the model's integer units."""
    return cp_model.LinearExpr.sum([built.obj_coef[t] * built.terms[t][0] for t in TERMS])


# ----------------------------------------------------------------- the result


def _shares_of(built: RotationModel, solver: Any) -> pd.DataFrame:
    """The part-time and guidance shares a solution holds (none without ``[forms]``, or
    when the values are a warm start's choice, which gives no shares)."""
    forms = getattr(built, "forms", None)
    values = getattr(solver, "values", None)
    if forms is None or values is None:
        return empty_shares()
    return forms.read(values)


def result_of(
    built: RotationModel,
    solver: cp_model.CpSolver,
    code: int,
    elig: pd.DataFrame,
    build_s: float,
    solve_s: float,
    lp_bound: float | None = None,
    own_bound: bool = True,
    bound_scope: str | None = None,
) -> Result:
    """The plan ``solver`` holds for ``built`` as a :class:`Result`: assignments, the
    terms evaluated exactly on the plan, objective Σ weight · term and the best bound.

    ``lp_bound`` (objective units) holds for what ``bound_scope`` says
    (:data:`solver.plan.result.BOUND_SCOPES`); CP-SAT's own bound (with
    ``own_bound``) holds for ``built``, which is the problem as written only when
    ``built`` has every permitted move (``full_model``; else ``kept_candidates``)."""
    ppl, pairs = built.people, built.pairs
    stay = (
        solver.boolean_values(built.stay).to_numpy(dtype=bool)
        if len(built.stay)
        else np.zeros(0, bool)
    )
    chosen = (
        solver.boolean_values(built.x).to_numpy(dtype=bool) if len(built.x) else np.zeros(0, bool)
    )
    dest = ppl["home"].to_numpy().copy()
    dist = np.zeros(len(ppl))
    sel = pairs[chosen]
    dest[sel["p"].to_numpy()] = sel["s"].to_numpy()
    dist[sel["p"].to_numpy()] = sel["dist_km"].to_numpy()
    ids = built.district.schools.index
    assignments = pd.DataFrame(
        {
            "name": ppl["name"],
            "role": ppl["role"],
            "stream": ppl["stream"],
            "subject": ppl["subject"],
            "key_level": ppl["key_level"],
            "from_school": ppl["school_id"],
            "to_school": ids[dest].to_numpy(),
            "moved": ~stay,
            "distance_km": np.round(dist, 3),
        },
        index=ppl.index,
    )
    if built.scenario.forms.post_filling:
        assignments["post_filling"] = post_filling_mask(
            built.district, ppl.index, ppl["school_id"], assignments["to_school"], built.scenario
        )
    if built.scenario.forms.training_to_lead:
        assignments["training_to_lead"] = training_moves(
            built.district, built.scenario, ppl.index, assignments["to_school"]
        )
    shares = _shares_of(built, solver)
    # Terms from the plan itself (exact), not from the model's integer scaling.
    who = built.district.staff.index.get_indexer(ppl.index)
    plan = Plan.of_people(built.district, who, dest, dist)
    terms = evaluate_terms(
        built.district, built.scenario, plan.school_pos, plan.distance_km, plan.moved, shares
    )
    objective = objective_value(built.scenario, terms)
    best, scope, code = _best_bound(
        built, solver, code, objective, lp_bound, own_bound, bound_scope
    )
    return Result(
        status=SolveStatus.OPTIMAL if code == cp_model.OPTIMAL else SolveStatus.FEASIBLE,
        objective=objective,
        best_bound=best,
        bound_scope=scope,
        solve_seconds=solve_s,
        build_seconds=build_s,
        assignments=assignments,
        terms=terms,
        eligibility=elig,
        part_time=shares,
        stats={
            "candidate_moves": float(len(pairs)),
            # 0: every permitted school; k: each teacher's k nearest (the bound holds for those)
            "candidates_per_teacher": float(getattr(built, "candidates_limit", 0) or 0),
            "variables": float(len(built.model.proto.variables)),
            "constraints": float(len(built.model.proto.constraints)),
            "deterministic_time": solver.deterministic_time
            if hasattr(solver, "deterministic_time")
            else float("nan"),
        },
    )


def _best_bound(
    built: RotationModel,
    solver: cp_model.CpSolver,
    code: int,
    objective: float,
    lp_bound: float | None,
    own_bound: bool,
    bound_scope: str | None,
) -> tuple[float, str, int]:
    """The best bound of a plan of objective ``objective``, its scope, and the CP-SAT
    status to report (``OPTIMAL`` only when proven for the problem as written).

    A bound of the problem as written (``full_model``: CP-SAT's own on a model with
    every permitted move; ``lp_bound`` with a scope of :data:`FULL_SCOPES`) always wins
    over one of the kept candidates only, however much higher that one is."""
    bounds: list[tuple[float, str]] = []
    if own_bound:
        own = solver.best_objective_bound / OBJ_UNIT
        bounds.append((own, "full_model" if built.complete else "kept_candidates"))
    if lp_bound is not None:
        bounds.append((lp_bound, bound_scope or "full_model"))
    full = [b for b in bounds if b[1] in FULL_SCOPES]
    best, scope = max(full or bounds or [(-np.inf, "kept_candidates")])
    if code == cp_model.OPTIMAL and not (own_bound and built.complete):
        # Optimal among the model's moves only: for the problem as written when a bound
        # of it says so (the caller's word for a restricted model, own_bound False; else
        # the model's optimum meets it, both in the model's integer units).
        if not full:
            code = cp_model.FEASIBLE
        elif own_bound:
            value = solver.objective_value / OBJ_UNIT
            if value > best + 1e-9 * max(1.0, abs(best)):
                code = cp_model.FEASIBLE
    # (in the model's integer scaling a bound can exceed the plan's exact value)
    return min(best, objective), scope, code


# ------------------------------------------------------------ term-by-term stages


@dataclass(frozen=True)
class Stage:
    """One search of a :class:`StagedModel`: which term it minimised and how it ended.

    ``value`` and ``bound`` are in the model's integer units of the term (divide by
    ``divisor`` for balance points, km or moves); ``value`` is ``None`` when no plan
    was found.
    """

    term: str
    code: int
    value: int | None
    bound: float
    divisor: int
    seconds: float

    @property
    def optimal(self) -> bool:
        return self.code == cp_model.OPTIMAL

    @property
    def found(self) -> bool:
        return self.value is not None

    @property
    def status(self) -> SolveStatus:
        if self.found:
            return SolveStatus.OPTIMAL if self.optimal else SolveStatus.FEASIBLE
        return SolveStatus.INFEASIBLE if self.code == cp_model.INFEASIBLE else SolveStatus.NO_PLAN


class StagedModel:
    """A built :class:`~solver.model.rotation.RotationModel` searched one term at a time.

    Each named term (``balance``, ``commute``, ``moves``) gets an integer variable equal
    to its expression; :meth:`hold` bounds it from above, :meth:`minimize` searches for
    the best plan on one term under the current holds, starting from the last plan
    found (a complete hint, so a search never ends worse than the plan it starts from).

    Big models (:data:`HINT_MIN_PAIRS` candidate moves or more) are searched as
    :func:`search_objective` searches them: the LP relaxation of the search (HiGHS) gives a
    bound, and CP-SAT searches the model restricted to the moves the LP uses plus the
    last plan's; the search is optimal when it meets the LP bound.
    """

    def __init__(self, built: RotationModel, progress: ProgressFn | None = None):
        self.built = built
        self.racing = len(built.pairs) >= HINT_MIN_PAIRS
        self.progress = as_progress(progress)
        self.say = self.progress.note
        m = built.model
        self.vars: dict[str, cp_model.IntVar] = {}
        self.divisor: dict[str, int] = {}
        for t in TERMS:
            expr, div = built.terms[t]
            v = m.new_int_var(0, FREE, f"term_{t}")
            m.add(v == expr)
            self.vars[t], self.divisor[t] = v, int(div)
        self.caps: dict[str, int | None] = dict.fromkeys(TERMS)
        # The last plan: the staged model that found it (this one or a restricted one)
        # and the solver holding its values.
        self._plan: tuple[StagedModel, cp_model.CpSolver] | None = None
        self._support: np.ndarray | None = None  # pair keys the last LP used
        warm = getattr(built, "warm_choice", None)
        if warm is not None:  # the warm start's hint lacks the term variables: complete it again
            built.add_hint(warm)
            complete_hint(built)

    @property
    def big(self) -> bool:
        return len(self.built.pairs) >= HINT_MIN_PAIRS

    #: Whether this model's searches let the workers race (:func:`racing`): the model
    #: of a big district, or a restricted model of one.
    racing: bool = False

    @property
    def has_plan(self) -> bool:
        return self._plan is not None

    def hold(self, term: str, upper: int | None) -> None:
        """Hold ``term ≤ upper`` (model units) in later searches; ``None`` releases it."""
        self.caps[term] = upper
        self.vars[term].proto.domain[1] = FREE if upper is None else int(upper)

    def value(self, term: str) -> int:
        """The last plan's value of ``term`` (model units)."""
        if self._plan is None:
            raise ValueError("no plan yet")
        model, solver = self._plan
        return int(solver.value(model.vars[term]))

    def _plan_x(self) -> tuple[RotationModel, np.ndarray]:
        model, solver = self._plan
        x = model.built.x
        return model.built, solver.boolean_values(x).to_numpy(dtype=bool) if len(x) else np.zeros(
            0, bool
        )

    def _hint_plan(self) -> None:
        """Hint the last plan, completed to every variable of this model."""
        if self._plan is None:
            return
        model, solver = self._plan
        m = self.built.model
        if model is self:
            hint_solution(m, solver)
        else:
            other, x = self._plan_x()
            self.built.add_hint(self.built.choice_from(other, x))
            complete_hint(self.built)

    def minimize(self, term: str, time_limit: float | Budget) -> Stage:
        """Search for the plan with the least ``term`` under the holds, for at most
        ``time_limit`` (seconds from now, or a :class:`~solver.progress.Budget`); the
        plan found becomes the next search's start."""
        t0 = time.perf_counter()
        budget = time_limit if isinstance(time_limit, Budget) else Budget(time_limit)
        time_limit_s = budget.search_left()
        self.progress.problem(term)
        self.built.model.minimize(self.vars[term])
        if self.big:
            stage = self._guided(term, t0, budget)
            if stage is None:
                self.say(f"{term}: LP-guided search found no plan; searching the full model")
            elif (
                stage.optimal
                or budget.search_left() < 0.1 * time_limit_s
                or len(self.built.pairs) > FULL_SEARCH_MAX_PAIRS
            ):
                return stage
            else:
                # Time left and a model small enough (as in search_objective): the full
                # model, started from the restricted plan, may improve it and prove a
                # better bound.
                self.progress.phase(
                    "full search",
                    f"{term}: restricted plan {stage.value / stage.divisor:.4f}; searching the full model from it",
                )
                restricted = self._plan
                self._hint_plan()
                full = self._search(term, t0, budget)
                if not full.found or full.value > stage.value:  # (the hint was not taken)
                    self._plan = restricted
                    return stage
                return dataclasses.replace(
                    full,
                    bound=float(min(max(full.bound, stage.bound), full.value)),
                    code=cp_model.OPTIMAL
                    if full.optimal or full.value <= math.ceil(stage.bound - 1e-6)
                    else cp_model.FEASIBLE,
                )
        self._hint_plan()
        self.progress.phase("search", f"{term}: {len(self.built.pairs)} candidate moves")
        return self._search(term, t0, budget)

    def _search(self, term: str, t0: float, budget: Budget, own_bound: bool = True) -> Stage:
        div = self.divisor[term]
        solver, code, _ = search(
            self.built.model,
            self.built.scenario.solver,
            budget.search_left(),
            self.progress,
            label=term,
            divisor=div,
            own_bound=own_bound,
            big=self.racing,
        )
        value = None
        if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            value = int(round(solver.objective_value))
            self._plan = (self, solver)
        bound = float(solver.best_objective_bound) if value is not None else -np.inf
        return Stage(
            term,
            code,
            value,
            min(bound, value) if value is not None else bound,
            div,
            time.perf_counter() - t0,
        )

    def _guided(self, term: str, t0: float, budget: Budget) -> Stage | None:
        """The LP relaxation of the search, then CP-SAT on the model restricted to the
        moves the LP uses and the last plan's (or the warm start's). ``None`` when the LP
        does not finish or the restricted search finds nothing."""
        built = self.built
        self.progress.phase("LP guide", f"{term}: the LP relaxation under the holds")
        lp = lp_guide(built, STAGE_LP_SHARE, budget)
        if lp is not None:
            # (the held terms' rows keep the stages from pricing: with pruned moves the LP
            # bounds the kept moves only, and is then not shown as the problem's)
            bound, x_lp = lp.bound, lp.x
            if lp.scope in FULL_SCOPES:
                self.progress.bound(bound / self.divisor[term])
            keys = [built.pair_keys(np.flatnonzero(x_lp > 1e-6))]
            self._support = keys[0]
        elif self._plan is not None and self._support is not None:
            # The LP did not finish (it can be slow under the holds of later stages): search
            # around the last plan within the moves an earlier LP used; every term is ≥ 0.
            bound, x_lp, keys = 0.0, None, [self._support]
        else:
            return None
        warm = getattr(built, "warm_choice", None)
        if self._plan is not None:
            other, x = self._plan_x()
            keys.append(other.pair_keys(np.flatnonzero(x)))
        elif warm is not None:
            keys.append(built.pair_keys(warm[warm >= 0]))
        small = StagedModel(restricted(built, keys), self.progress)
        small.racing = True
        for t, cap in self.caps.items():
            small.hold(t, cap)
        small.built.model.minimize(small.vars[term])
        if self._plan is not None:
            small._plan = self._plan
            small._hint_plan()
        else:
            small.built.add_hint(small.built.choice_from(built, x_lp > 0.5))
        div = self.divisor[term]
        if x_lp is None:
            self.progress.phase(
                "search",
                f"{term}: the LP did not finish; searching the {len(small.built.pairs)} moves around the last plan",
            )
        else:
            self.progress.phase(
                "search",
                f"{term}: LP bound {bound / div:.4f}; searching the {len(small.built.pairs)} moves the LP uses",
            )
        # the restricted model's own bound is not the stage's
        stage = small._search(term, t0, budget, own_bound=False)
        if not stage.found:
            return None
        self._plan = small._plan
        optimal = stage.value <= math.ceil(bound - 1e-6)
        return dataclasses.replace(
            stage,
            code=cp_model.OPTIMAL if optimal else cp_model.FEASIBLE,
            bound=float(min(bound, stage.value)),
        )

    def result(self, final_code: int, build_seconds: float, solve_seconds: float) -> Result:
        """The last plan as a :class:`~solver.plan.result.Result` (terms exact, objective Σ w·term;
        ``best_bound`` is not meaningful here: callers set it)."""
        if self._plan is None:
            raise ValueError("no plan yet")
        model, solver = self._plan
        return result_of(
            model.built, solver, final_code, self.built.elig, build_seconds, solve_seconds
        )
