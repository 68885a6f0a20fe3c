"""What a comparison measures of one plan: difference coefficients, worst schools,
schools below the standard, every balance measure, moves and commute."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..input.data import District
from ..input.scenario import Scenario
from ..model.terms import level_balances
from ..plan.plan import Plan
from ..rules.forms import count_deltas
from ..rules.indicators import LEVEL_PARTS, STANDARD_MIN, difference_coefficient, school_indicators

#: The balance measures, each judged on every plan.
MEASURES: tuple[str, ...] = ("cv", "l1", "minmax")


def balance_measures(
    district: District,
    scenario: Scenario,
    assignments: pd.DataFrame | None,
    part_time: pd.DataFrame | None = None,
) -> dict[str, float]:
    """The balance term of each measure (``cv``, ``l1``, ``minmax``; see
    :mod:`solver.model.terms`) for a plan (``None``: nobody moves), with the scenario's
    indicators and indicator weights (``part_time``: ``[forms]`` shares, counted as
    teacher-equivalents)."""

    inds = scenario.balance.indicators
    plan = Plan.of(district, assignments)
    counts = Plan(district, plan.school_pos, plan.distance_km, part_time).counts(inds)
    parts = level_balances(district, scenario)
    return {
        kind: float(sum(p.cost(counts[:, inds.index(p.indicator)], kind) for p in parts))
        for kind in MEASURES
    }


def plan_metrics(
    district: District,
    scenario: Scenario,
    assignments: pd.DataFrame | None,
    part_time: pd.DataFrame | None = None,
) -> dict:
    """What :func:`compare` reports of one plan (``None``: the staffing before any move).

    Keys: ``dc_<indicator>_<level>`` (difference coefficient after),
    ``worst_<indicator>_<level>`` and ``worst_value_<indicator>_<level>`` (the school
    part with the lowest value per 100 students), ``below_<indicator>_<level>`` (school
    parts under the national standard value), for each balanced indicator and each level
    with students; ``measure_cv``, ``measure_l1``, ``measure_minmax``; ``moves``,
    ``commute_km`` (total, movers only) and ``longest_commute_km``.
    """
    plan = Plan.of(district, assignments)
    delta = None if part_time is None else count_deltas(district, plan.school_pos, part_time)
    values = school_indicators(district, None if assignments is None else plan.school_of, delta)
    out: dict = {}
    for ind in scenario.balance.indicators:
        for lvl in LEVEL_PARTS:
            w = district.schools[f"{lvl}_students"].to_numpy(dtype=float)
            if w.sum() <= 0:
                continue
            x = values[ind].to_numpy(dtype=float)
            key = f"{ind}_{lvl}"
            out[f"dc_{key}"] = difference_coefficient(w, x)
            part = np.flatnonzero(w > 0)
            worst = part[int(np.argmin(x[part]))]
            out[f"worst_{key}"] = str(district.schools.index[worst])
            out[f"worst_value_{key}"] = float(x[worst])
            out[f"below_{key}"] = int((x[part] < STANDARD_MIN[ind][lvl] - 1e-12).sum())
    for kind, v in balance_measures(district, scenario, assignments, part_time).items():
        out[f"measure_{kind}"] = v
    if assignments is None:
        out.update(moves=0, commute_km=0.0, longest_commute_km=0.0)
    else:
        moved = plan.moved
        km = plan.distance_km[moved]
        out.update(
            moves=int(moved.sum()),
            commute_km=float(km.sum()),
            longest_commute_km=float(km.max()) if len(km) else 0.0,
        )
    return out
