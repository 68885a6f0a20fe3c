"""Solve one year's rotation: precheck, build the model, search, return a :class:`Result`.

Writing files is a separate step (:mod:`solver.output.plan_folder.plan_folder`).
"""

from __future__ import annotations

from ..errors import InputError, Problem
from ..input.data import District
from ..input.scenario import Scenario
from ..plan.result import Result
from ..progress import Budget, as_progress
from ..rules.eligibility import eligibility
from ..rules.moves import permitted_moves
from ..rules.precheck import precheck
from .build import build
from .diagnose import infeasible_result, with_diagnosis
from .engine import ProgressFn, plan_quotas, search_objective
from .lexicographic import solve_lexicographic, solve_priority
from .placement import place


def solve(
    district: District,
    scenario: Scenario,
    progress: ProgressFn | None = None,
    *,
    raise_on_failure: bool = True,
    budget: Budget | None = None,
) -> Result:
    """Plan one year of rotation: the counting precheck, :func:`~solver.search.build.build`,
    then the search (:func:`~solver.search.engine.search_objective`, or the stages of
    :func:`~solver.search.lexicographic.solve_lexicographic`), then the placement of
    ordinary teachers by ``[placement] mechanism``
    (:func:`~solver.search.placement.place`).

    With ``raise_on_failure=False`` a run without a plan returns a result whose
    ``status`` is ``infeasible`` (with the ``diagnosis``) or ``no_plan``, so a batch can
    collect every outcome.

    ``budget`` (:class:`~solver.progress.Budget`, default ``[solver] time_limit_s``
    from now) bounds the whole call: the checks and the build count against it, the
    search ends ``budget.reserve_s`` before its end, and so does the diagnosis of an
    infeasible scenario. ``progress`` gets the events (phases, plans, bounds): a
    :class:`~solver.progress.Progress`, a callable taking lines, or ``None``.

    Raises
    ------
    InfeasibleError
        The rules cannot all hold; ``diagnosis`` names the conflicting rules.
    NoPlanError
        No plan was found within the time limit.
    """
    if scenario.rules.priority and scenario.balance.objective == "lexicographic":
        # two orders of stages: which comes first is the planner's call, not a default
        src = str(scenario.source) if scenario.source else "scenario"
        raise InputError(
            Problem(
                file=src,
                key="rules.priority",
                message='priority stages and objective = "lexicographic" cannot be combined; '
                "leave one of them out",
            )
        )
    budget = budget if budget is not None else Budget(scenario.solver.time_limit_s)
    progress = as_progress(progress)
    if progress.budget is None:
        progress.use(budget)
    progress.phase("checks", "eligibility, permitted moves, counting checks")
    elig = eligibility(district, scenario)
    moves = permitted_moves(district, scenario, elig)
    if precheck(district, scenario, elig, moves):  # cheap counting proofs, before any solve
        result = infeasible_result(district, scenario, elig, budget=budget, progress=progress)
    elif scenario.rules.priority:
        result = solve_priority(
            district, scenario, progress=progress, raise_on_failure=False, budget=budget
        )
    elif scenario.balance.objective == "lexicographic":
        result = solve_lexicographic(
            district, scenario, progress=progress, raise_on_failure=False, budget=budget
        )
    else:
        built, build_seconds = build(
            district, scenario, progress, elig=elig, masks=moves, budget=budget
        )
        result = with_diagnosis(
            search_objective(built, progress, build_seconds, budget=budget),
            built,
            budget=budget,
            progress=progress,
        )
    if result.status.has_plan:
        # [placement]: the ordinary movers placed by the mechanism, points and wish ranks
        result = place(district, scenario, result, moves)
    if result.status.has_plan and result.objective is not None:
        # the exact objective (terms recomputed from the plan), not the model's scaled one
        quotas = plan_quotas(result.assignments, scenario.quotas)
        progress.final(result.objective, result.best_bound, quotas)
    return result.raise_for_status() if raise_on_failure else result
