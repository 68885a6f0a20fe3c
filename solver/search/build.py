"""Build the model of one year's rotation and, for big ones, its warm start."""

from __future__ import annotations

import time

import pandas as pd

from ..input.data import District
from ..input.scenario import Scenario
from ..model.rotation import RotationModel
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
) -> tuple[RotationModel, float]:
    """Build the model (and, for big ones, its warm start); returns it and the build seconds.

    ``elig`` and ``masks`` (for that eligibility) are reused when given."""
    say = progress or (lambda _msg: None)
    t0 = time.perf_counter()
    elig = eligibility(district, scenario) if elig is None else elig
    built = RotationModel(district, scenario, elig=elig, masks=masks)
    build_seconds = time.perf_counter() - t0
    say(
        f"model: {len(built.people)} eligible, {len(built.pairs)} candidate moves, "
        f"built in {build_seconds:.2f} s"
    )
    built.warm_choice = None
    if warm_start and len(built.pairs) >= HINT_MIN_PAIRS:
        # Big models: start CP-SAT from a feasible plan of paired exchanges.
        choice = swap_plan(built)
        if choice is not None:
            built.add_hint(choice)
            ok = complete_hint(built)
            built.warm_choice = choice if ok else None
            say(
                f"warm start: {int((choice >= 0).sum())} moves by paired exchange ({'used' if ok else 'rejected'})"
            )
    return built, build_seconds
