"""Solve one year's rotation: precheck, build the model, search, return a :class:`Result`.

Writing files is a separate step (:mod:`solver.output.plan_folder.plan_folder`).
"""

from __future__ import annotations

from ..input.data import District
from ..input.scenario import Scenario
from ..plan.result import Result
from ..rules.eligibility import eligibility
from ..rules.moves import permitted_moves
from ..rules.precheck import precheck
from .build import build
from .diagnose import infeasible_result, with_diagnosis
from .engine import ProgressFn, search_objective
from .lexicographic import solve_lexicographic


def solve(
    district: District,
    scenario: Scenario,
    progress: ProgressFn | None = None,
    *,
    raise_on_failure: bool = True,
) -> Result:
    """Plan one year of rotation: the counting precheck, :func:`~solver.search.build.build`,
    then the search (:func:`~solver.search.engine.search_objective`, or the stages of
    :func:`~solver.search.lexicographic.solve_lexicographic`).

    With ``raise_on_failure=False`` a run without a plan returns a result whose
    ``status`` is ``infeasible`` (with the ``diagnosis``) or ``no_plan``, so a batch can
    collect every outcome.

    Raises
    ------
    InfeasibleError
        The rules cannot all hold; ``diagnosis`` names the conflicting rules.
    NoPlanError
        No plan was found within the time limit.
    """
    elig = eligibility(district, scenario)
    moves = permitted_moves(district, scenario, elig)
    if precheck(district, scenario, elig, moves):  # cheap counting proofs, before any solve
        result = infeasible_result(district, scenario, elig)
    elif scenario.balance.objective == "lexicographic":
        result = solve_lexicographic(district, scenario, progress=progress, raise_on_failure=False)
    else:
        built, build_seconds = build(district, scenario, progress, elig=elig, masks=moves)
        result = with_diagnosis(search_objective(built, progress, build_seconds), built)
    return result.raise_for_status() if raise_on_failure else result
