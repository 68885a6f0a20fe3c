"""Build the model of one year's rotation and, for big ones, its warm start."""

from __future__ import annotations

import time

import pandas as pd

from ..input.data import District
from ..input.scenario import Scenario
from ..model.rotation import RotationModel
from ..progress import Budget, as_progress
from ..rules.eligibility import eligibility
from ..rules.moves import MoveMasks
from .engine import HINT_MIN_PAIRS, ProgressFn, complete_hint
from .heuristic import swap_plan


def build(
    district: District,
    scenario: Scenario,
    progress: ProgressFn | None = None,
    warm_start: bool = True,
    elig: pd.DataFrame | None = None,
    masks: MoveMasks | None = None,
    budget: Budget | None = None,
) -> tuple[RotationModel, float]:
    """Build the model (and, for big ones, its warm start); returns it and the build seconds.

    ``elig`` and ``masks`` (for that eligibility) are reused when given; the warm
    start's completion gets at most 10 s of ``budget``'s search time."""
    progress = as_progress(progress)
    say = progress.note
    progress.phase("build")
    t0 = time.perf_counter()
    elig = eligibility(district, scenario) if elig is None else elig
    built = RotationModel(district, scenario, elig=elig, masks=masks)
    build_seconds = time.perf_counter() - t0
    say(
        f"model: {len(built.people)} eligible, {len(built.pairs)} candidate moves, "
        f"built in {build_seconds:.2f} s",
        2,
    )
    built.warm_choice = None
    built.warm_plan = None
    if warm_start and len(built.pairs) >= HINT_MIN_PAIRS:
        # Big models: start CP-SAT from a feasible plan of paired exchanges.
        progress.phase("warm start", "a plan of paired exchanges")
        choice = swap_plan(built)
        if choice is not None:
            built.add_hint(choice)
            # (at least 3 s: without its completion there may be no plan at all in time)
            left = 10.0 if budget is None else min(10.0, max(3.0, budget.search_left()))
            ok = complete_hint(built, left)
            built.warm_choice = choice if ok else None
            # kept even when its completion did not finish in time: the last resort plan
            # (checked by the validator before it is used, see engine._warm_start_result)
            built.warm_plan = choice
            say(
                f"warm start: {int((choice >= 0).sum())} moves by paired exchange ({'used' if ok else 'rejected'})",
                2,
            )
    return built, build_seconds
