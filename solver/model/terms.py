"""The objective's named terms, defined once for the model and for any plan.

Terms (each reported with its weight and value in ``summary.json``):

- ``balance``: for each balanced indicator k (weight ``a_k``) and level L with
  mean ``m_L`` before rotation, over schools i of L with weight ``w_i = P_iL / P_L``
  and value ``x_i = 100 T_i / P_i``:

  * ``cv``:     100 · Σ_i w_i (x_i − m_L)² / m_L²  (= 100·CV_L² while the level's
    total is unchanged: the convex identity of DOMAIN.md; e.g. CV 0.5 → 25);
  * ``l1``:     100 · Σ_i w_i |x_i − m_L| / m_L    (relative mean absolute deviation);
  * ``minmax``: 100 · (max_i x_i − min_i x_i) / m_L (relative range).

- ``commute``: km from home to the new school, summed over movers.
- ``moves``: number of people who move.

The objective is Σ weight · term. Model and evaluator share these definitions; the
model is exact at integer counts up to 1e-6 per school and 1 m per mover.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..input.data import District
from ..input.scenario import Scenario
from ..rules.indicators import LEVEL_PARTS, counts_by_school

TERMS: tuple[str, ...] = ("balance", "commute", "moves")


@dataclass(frozen=True)
class LevelBalance:
    """One (indicator, level) part of the balance term."""

    indicator: str
    level: str
    weight: float  # the indicator's weight
    schools: np.ndarray  # positions of the level's schools
    share: np.ndarray  # w_i = P_iL / P_L
    students: np.ndarray  # P_i (whole school)
    mean: float  # m_L before rotation

    def values(self, counts: np.ndarray) -> np.ndarray:
        """x_i for the level's schools, from per-school counts of all schools."""
        return 100.0 * counts[self.schools] / self.students

    def school_costs(
        self, counts: np.ndarray, kind: str, j: int | np.ndarray | None = None
    ) -> np.ndarray:
        """Separable ``cv`` or ``l1`` cost of the level's schools at counts T_i (or of
        school(s) ``j`` of the level, at ``counts``)."""
        students, share = (
            (self.students, self.share) if j is None else (self.students[j], self.share[j])
        )
        dev = 100.0 * np.asarray(counts, dtype=float) / students - self.mean
        if kind == "cv":
            return self.weight * 100.0 * share * dev**2 / self.mean**2
        if kind == "l1":
            return self.weight * 100.0 * share * np.abs(dev) / self.mean
        raise ValueError(kind)

    def cost(self, counts: np.ndarray, kind: str) -> float:
        """This part's contribution to the balance term, for per-school counts of all schools."""
        if kind == "minmax":
            x = self.values(counts)
            return float(self.weight * 100.0 * (x.max() - x.min()) / self.mean)
        return float(self.school_costs(counts[self.schools], kind).sum())


def level_balances(district: District, scenario: Scenario) -> list[LevelBalance]:
    """The (indicator, level) parts of the balance term, with means before rotation.

    Levels where the indicator's mean is zero (nobody counts) are left out: their
    coefficient is undefined and no plan can change them.
    """
    indicators = scenario.balance.indicators
    before = counts_by_school(district, district.staff_school_pos(), indicators)
    students = district.schools["students"].to_numpy(dtype=float)
    parts = []
    for k, ind in enumerate(indicators):
        for lvl in LEVEL_PARTS:
            p_l = district.schools[f"{lvl}_students"].to_numpy(dtype=float)
            pos = np.flatnonzero(p_l > 0)
            if len(pos) == 0:
                continue
            share = p_l[pos] / p_l[pos].sum()
            mean = float(share @ (100.0 * before[pos, k] / students[pos]))
            if mean <= 0:
                continue
            parts.append(
                LevelBalance(
                    ind,
                    lvl,
                    scenario.balance.indicator_weight(ind),
                    pos,
                    share,
                    students[pos],
                    mean,
                )
            )
    return parts


def evaluate_terms(
    district: District,
    scenario: Scenario,
    school_pos: np.ndarray,
    distance_km: np.ndarray,
    moved: np.ndarray,
) -> dict[str, float]:
    """The objective's terms for a plan given as each staff member's school position.

    ``distance_km`` and ``moved`` are per staff member (distance counts for movers only).
    """
    indicators = scenario.balance.indicators
    counts = counts_by_school(district, school_pos, indicators)
    kind = scenario.balance.kind
    balance = 0.0
    for part in level_balances(district, scenario):
        balance += part.cost(counts[:, indicators.index(part.indicator)], kind)
    return {
        "balance": balance,
        "commute": float(np.asarray(distance_km, dtype=float)[moved].sum()),
        "moves": float(np.count_nonzero(moved)),
    }


def objective_value(scenario: Scenario, terms: dict[str, float]) -> float:
    """Σ weight · term."""
    w = scenario.weights
    return sum(getattr(w, t) * terms[t] for t in TERMS)
