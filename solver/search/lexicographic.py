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
import time

from ortools.sat.python import cp_model

from ..input.data import District
from ..input.scenario import Scenario
from ..model.rotation import RotationModel
from ..model.terms import TERM
from ..plan.result import Result, SolveStatus
from ..progress import Budget, as_progress
from .build import build
from .diagnose import with_diagnosis
from .engine import ProgressFn, Stage, StagedModel, no_plan

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
