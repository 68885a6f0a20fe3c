"""The objective's named terms, defined once for the model and for any plan.

Terms (each reported with its weight and value in ``summary.json``):

- ``balance``: for each balanced indicator k (weight ``a_k``) and level L with
  mean ``m_L`` before rotation, over schools i of L with weight ``w_i = P_iL / P_L``
  and value ``x_i = 100 T_i / P_i``:

  * ``cv``:     100 · Σ_i w_i (x_i − m_L)² / m_L²  (= 100·CV_L² while the level's
    total is unchanged: the convex identity of ``docs/policy.md``; e.g. CV 0.5 → 25);
  * ``l1``:     100 · Σ_i w_i |x_i − m_L| / m_L    (relative mean absolute deviation);
  * ``minmax``: 100 · (max_i x_i − min_i x_i) / m_L (relative range).

- ``commute``: km from home to the new school, summed over movers, plus each
  part-time or guidance share's trip from home to the school it serves, in km times
  the share (a share of 0.2, one day a week, counts a fifth of a full-time commute).
- ``moves``: number of people who move.
- ``wish``: Σ over movers with wishes of the rank of their new school minus 1, an
  unranked school counting as the largest rank in ``preferences.csv``
  (:mod:`solver.rules.placement`); weighted by ``[placement] wish_weight``.

The objective is Σ weight · term. Model and evaluator share these definitions; the
model is exact at integer counts up to 1e-6 per school and 1 m per mover.

Each term is one object of :data:`OBJECTIVE_TERMS` (listed once): its name, its unit
and model scale, its weight in a scenario, its expression in the CP-SAT model, its
value on a :class:`~solver.plan.plan.Plan` and how a change of it reads in an
explanation. The model, the result, the comparison, the explanations, the staged
searches and the benchmarks read that list; a new term (changes, wishes) is one more
entry.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from ..input.data import District
from ..input.geo import haversine_km
from ..input.scenario import Scenario
from ..plan.plan import Plan
from ..rules.indicators import LEVEL_PARTS, counts_by_school
from ..rules.placement import unranked_cost, wish_costs

#: Integer resolution of the model: balance in 1e-6, commute in metres.
BALANCE_UNIT = 1_000_000
METRE = 1000


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

    def coefficient(self, counts: np.ndarray) -> float:
        """The level's difference coefficient (student-weighted CV) at per-school counts
        of all schools (0 when the level's mean is 0)."""
        x = self.values(counts)
        mean = float(self.share @ x)
        return math.sqrt(max(float(self.share @ (x - mean) ** 2), 0.0)) / mean if mean > 0 else 0.0

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


@dataclass(frozen=True)
class Term:
    """One named term of the objective.

    ``divisor`` turns the model's integer expression into the term's ``unit``;
    ``label`` names it in tables.
    """

    name: str
    unit: str
    divisor: int
    label: str

    def weight(self, scenario: Scenario) -> float:
        """The term's weight in ``scenario`` (``[weights]``)."""
        return float(getattr(scenario.weights, self.name))

    def expression(self, built: Any) -> cp_model.LinearExprT:
        """The term in the model's integer units, on a built
        :class:`~solver.model.rotation.RotationModel`."""
        raise NotImplementedError

    def evaluate(self, scenario: Scenario, plan: Plan) -> float:
        """The term's exact value on ``plan`` (in its unit)."""
        raise NotImplementedError

    def move_coefficients(self, built: Any, p: np.ndarray, s: np.ndarray) -> np.ndarray | None:
        """The coefficient of the move variable of person ``p[i]`` to school ``s[i]`` in the
        term's integer expression, for permitted moves the model has or not (terms that
        depend on a move only through rows, like balance, give 0).

        ``None``: the term cannot say, and pruned moves are then not priced (the bound
        holds for the kept candidates only; docs/bound.md).
        """
        return None

    def delta_text(self, delta: float, weight: float) -> str | None:
        """How a change of the term reads in an explanation (``None``: no change to tell)."""
        raise NotImplementedError


class _Balance(Term):
    def expression(self, built: Any) -> cp_model.LinearExprT:
        return built.balance_expression()

    def move_coefficients(self, built: Any, p: np.ndarray, s: np.ndarray) -> np.ndarray:
        return np.zeros(len(p), dtype=np.int64)  # through the count rows

    def evaluate(self, scenario: Scenario, plan: Plan) -> float:
        indicators = scenario.balance.indicators
        counts = plan.counts(indicators)
        kind = scenario.balance.kind
        balance = 0.0
        for part in level_balances(plan.district, scenario):
            balance += part.cost(counts[:, indicators.index(part.indicator)], kind)
        return balance

    def delta_text(self, delta: float, weight: float) -> str | None:
        return f"balance {delta:+.4f}" if abs(delta) > 1e-6 else None


class _Commute(Term):
    def expression(self, built: Any) -> cp_model.LinearExprT:
        dist_m = np.round(built.pairs["dist_km"].to_numpy() * METRE).astype(np.int64)
        expr = cp_model.LinearExpr.weighted_sum(built.x, dist_m.tolist()) if len(built.x) else 0
        forms = getattr(built, "forms", None)
        if forms is not None and len(forms.pairs):
            # a share's trip: km · share, so metres per tenth of a week (to 1 m)
            per_tenth = np.round(forms.pairs["dist_km"].to_numpy() * METRE / 10).astype(np.int64)
            expr = expr + cp_model.LinearExpr.weighted_sum(forms.tenths, per_tenth.tolist())
        return expr

    def move_coefficients(self, built: Any, p: np.ndarray, s: np.ndarray) -> np.ndarray:
        return np.round(built.home_dist[p, s] * METRE).astype(np.int64)

    def evaluate(self, scenario: Scenario, plan: Plan) -> float:
        km = float(np.asarray(plan.distance_km, dtype=float)[plan.moved].sum())
        sh = plan.shares
        if sh is not None and len(sh):
            # home to the school served, exact as for the movers (not the rounded column)
            st, sch = plan.district.staff, plan.district.schools
            j = st.index.get_indexer(sh["staff_id"].astype(str))
            s = sch.index.get_indexer(sh["to_school"].astype(str))
            ok = (j >= 0) & (s >= 0)
            trip = haversine_km(
                st["home_lat"].to_numpy()[j[ok]],
                st["home_lon"].to_numpy()[j[ok]],
                sch["lat"].to_numpy()[s[ok]],
                sch["lon"].to_numpy()[s[ok]],
            )
            share = pd.to_numeric(sh["share"], errors="coerce").fillna(0.0).to_numpy()[ok]
            km += float((share * np.asarray(trip, dtype=float)).sum())
        return km

    def delta_text(self, delta: float, weight: float) -> str | None:
        return f"commute {delta:+.2f} km" if abs(delta) > 1e-6 else None


class _Moves(Term):
    def expression(self, built: Any) -> cp_model.LinearExprT:
        return len(built.stay) - cp_model.LinearExpr.sum(built.stay) if built.stay else 0

    def move_coefficients(self, built: Any, p: np.ndarray, s: np.ndarray) -> np.ndarray:
        return np.zeros(len(p), dtype=np.int64)  # a move is counted on the stay variable

    def evaluate(self, scenario: Scenario, plan: Plan) -> float:
        return float(np.count_nonzero(plan.moved))

    def delta_text(self, delta: float, weight: float) -> str | None:
        return f"moves {delta:+.0f}" if abs(delta) > 0 and weight else None


class _Wish(Term):
    def weight(self, scenario: Scenario) -> float:
        return float(scenario.placement.wish_weight)

    def expression(self, built: Any) -> cp_model.LinearExprT:
        d = built.district
        if not len(d.preferences) or not len(built.x):
            return 0
        cost = wish_costs(d, built.people.index)
        pc = cost[built.pairs["p"].to_numpy(), built.pairs["s"].to_numpy()]
        nz = np.flatnonzero(pc)
        if not len(nz):
            return 0
        return cp_model.LinearExpr.weighted_sum([built.x[i] for i in nz], pc[nz].tolist())

    def move_coefficients(self, built: Any, p: np.ndarray, s: np.ndarray) -> np.ndarray:
        d = built.district
        if not len(d.preferences):
            return np.zeros(len(p), dtype=np.int64)
        return np.asarray(wish_costs(d, built.people.index)[p, s], dtype=np.int64)

    def evaluate(self, scenario: Scenario, plan: Plan) -> float:
        d = plan.district
        w = d.preferences
        if not len(w):
            return 0.0
        moved = np.asarray(plan.moved, dtype=bool)
        ids = d.staff.index[moved].astype(str)
        to = d.schools.index.to_numpy()[plan.school_pos[moved]].astype(str)
        has = ids.isin(w["staff_id"].astype(str))
        if not has.any():
            return 0.0
        ranks = pd.Series(
            w["rank"].to_numpy(dtype=float),
            index=pd.MultiIndex.from_arrays(
                [w["staff_id"].astype(str), w["school_id"].astype(str)]
            ),
        )
        got = ranks.reindex(pd.MultiIndex.from_arrays([ids[has], to[has]])).to_numpy()
        return float(np.where(np.isnan(got), unranked_cost(d), got - 1).sum())

    def delta_text(self, delta: float, weight: float) -> str | None:
        return f"wish {delta:+.0f}" if abs(delta) > 0 and weight else None


#: The objective's terms, in the order the model builds them and reports them.
OBJECTIVE_TERMS: tuple[Term, ...] = (
    _Balance("balance", "balance points", BALANCE_UNIT, "balance"),
    _Commute("commute", "km", METRE, "commute (km)"),
    _Moves("moves", "moves", 1, "moves"),
    _Wish("wish", "wish ranks", 1, "wish (ranks)"),
)
#: Their names.
TERMS: tuple[str, ...] = tuple(t.name for t in OBJECTIVE_TERMS)
#: Term by name.
TERM: dict[str, Term] = {t.name: t for t in OBJECTIVE_TERMS}


def evaluate_plan(scenario: Scenario, plan: Plan) -> dict[str, float]:
    """Every term's exact value on ``plan``."""
    return {t.name: t.evaluate(scenario, plan) for t in OBJECTIVE_TERMS}


def evaluate_terms(
    district: District,
    scenario: Scenario,
    school_pos: np.ndarray,
    distance_km: np.ndarray,
    moved: np.ndarray,
    shares: Any = None,
) -> dict[str, float]:
    """The objective's terms for a plan given as each staff member's school position.

    ``distance_km`` and ``moved`` are per staff member (distance counts for movers only;
    ``moved`` must be the staff whose ``school_pos`` is not their school now);
    ``shares`` the plan's part-time and guidance shares (``part_time.csv`` rows).
    """
    km = np.where(np.asarray(moved, dtype=bool), np.asarray(distance_km, dtype=float), 0.0)
    return evaluate_plan(scenario, Plan(district, np.asarray(school_pos), km, shares))


def objective_value(scenario: Scenario, terms: dict[str, float]) -> float:
    """Σ weight · term (a term missing from ``terms``, as ``wish`` from a plan written
    without placement, counts 0)."""
    return sum(t.weight(scenario) * terms.get(t.name, 0.0) for t in OBJECTIVE_TERMS)
