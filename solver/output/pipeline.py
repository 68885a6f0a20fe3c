"""One year's plan from a loaded case to its plan folder, under one time budget.

:func:`solve_to_folder` is what ``lungang solve`` runs and what a batch runs per
district: the solve, the analysis and the writing share one
:class:`~solver.progress.Budget` (split as :mod:`solver.progress` says), so the call
as a whole keeps to ``[solver] time_limit_s``.
"""

from __future__ import annotations

from pathlib import Path

from ..analysis.explain import explain_result
from ..input.data import District
from ..input.scenario import Scenario
from ..plan.horizon import HorizonResult
from ..plan.result import Result
from ..progress import Budget, ProgressLike, as_progress, finish_reserve, write_estimate
from ..search.solve import solve
from .plan_folder import write_plan


def plan_budget(
    scenario: Scenario, district: District, start: float | None = None, **kwargs
) -> Budget:
    """The budget of one plan: ``[solver] time_limit_s`` from ``start`` (default now),
    the search leaving :func:`~solver.progress.finish_reserve` for the analysis and the
    writing. ``kwargs`` go to :class:`~solver.progress.Budget` (``clock``)."""
    return Budget(
        scenario.solver.time_limit_s,
        start=start,
        reserve_s=finish_reserve(len(district.staff)),
        **kwargs,
    )


def horizon_budget(
    scenario: Scenario, district: District, years: int, start: float | None = None, **kwargs
) -> Budget:
    """The budget of a multi-year plan (``lungang plan``): ``[solver] time_limit_s``
    from ``start`` for the whole horizon, the search leaving each of the ``years``
    year folders its :func:`~solver.progress.finish_reserve`."""
    return Budget(
        scenario.solver.time_limit_s,
        start=start,
        reserve_s=years * finish_reserve(len(district.staff)),
        **kwargs,
    )


def solve_to_folder(
    district: District,
    scenario: Scenario,
    out: Path,
    *,
    budget: Budget | None = None,
    progress: ProgressLike = None,
    force: bool = False,
) -> Result:
    """Solve, explain and write the plan folder ``out`` within ``budget`` (default
    :func:`plan_budget` from now).

    Returns the result whatever its status; the folder is written only when it has a
    plan (``result.status.has_plan``), atomically. Nothing raises for a scenario
    without a plan: the status and ``result.diagnosis`` say why.
    """
    budget = budget if budget is not None else plan_budget(scenario, district)
    progress = as_progress(progress)
    if progress.budget is None:
        progress.use(budget)
    result = solve(district, scenario, progress, raise_on_failure=False, budget=budget)
    if not result.status.has_plan:
        return result
    analysis = explain_result(district, scenario, result, budget=budget, progress=progress)
    progress.phase("writing", str(out))
    write_plan(district, scenario, result, Path(out), force=force, explain=analysis)
    return result


def write_horizon_plan(
    scenario: Scenario, result: HorizonResult, out: Path, budget: Budget, force: bool = False
) -> Path:
    """Explain each year of a multi-year plan and write its folder ``out``
    (:func:`~solver.output.horizon_folder.write_horizon`) within what is left of
    ``budget``: each year's analysis gets an equal part of it, less the writing of every
    year (the folder is written after the last analysis: on Dongcheng, 9,000 staff and
    3 years, 3.7 s, where the last analysis had taken all that was left and the command
    ended 3.7 s late)."""
    from .horizon_folder import write_horizon

    n = len(result.years)
    writing = write_estimate(len(result.states[0].staff)) if n else 0.0
    analyses = []
    for y, (state, ysc, res) in enumerate(
        zip(result.states, result.scenarios, result.years, strict=True)
    ):
        left = budget.left() - n * writing
        analyses.append(
            explain_result(state, ysc, res, budget=budget.part(max(0.0, left / (n - y))))
        )
    return write_horizon(scenario, result, out, force=force, explain=analyses)
