"""Placement (派位): wishes, points and the lottery, as every step reads them.

The arithmetic shared by the model (the wish term, ``never_worse``), the placement
mechanisms (:mod:`solver.search.placement`) and the fairness report
(``docs/placement.md``):

- **Wishes** (``preferences.csv``): a person's ``rank`` numbers order their list
  (1 = first wish); a school not on the list is *unranked*. The home school may be on
  the list: it then says where staying ranks.
- **Wish cost** of a mover (the ``wish`` term): the rank of the school they go to
  minus 1 (a first wish costs 0); an unranked school costs ``R``, the largest rank in
  the file (as a wish one beyond the longest list). Staying costs 0, and people without
  wishes cost 0.
- **never_worse**: a person with wishes may go only to a school ranked better than
  staying: a listed school with a smaller rank than the home school's, or any listed
  school when the home school is not listed (unranked schools rank below staying).
- **Points**: Σ ``[placement] points`` · value over the measures ``years_at_school``,
  ``years_to_retirement`` (as eligibility computes them), ``rural_years`` and
  ``weak_years`` (from ``history.csv`` where the person has postings there, else the
  staff column ``rural_years`` for both) and ``above_standard_qualification`` (1 or
  0); each value and the total are rounded to 0.01.
- **Lottery**: each person's draw is the SHA-256 hex digest of the UTF-8 text
  ``f"{lottery_seed}:{staff_id}"``; ``lottery_rank`` 1 is the smallest digest. Anyone
  can recompute it (``docs/placement.md`` has the five lines of Python).
- **Priority**: more points first; equal points by ``lottery_rank``.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from ..input.data import District
from ..input.scenario import Scenario
from .obligations import served_years

#: The measures ``[placement] points`` weighs, in the order the docs list them.
POINT_MEASURES: tuple[str, ...] = (
    "years_at_school",
    "years_to_retirement",
    "rural_years",
    "weak_years",
    "above_standard_qualification",
)


def uses_placement(district: District, scenario: Scenario) -> bool:
    """Whether a plan reports placement: wishes given, points set or a mechanism other
    than ``optimize`` (otherwise a plan is written exactly as without ``[placement]``)."""
    pl = scenario.placement
    return bool(
        len(district.preferences)
        or pl.mechanism != "optimize"
        or any(getattr(pl.points, m) for m in POINT_MEASURES)
    )


def wish_ranks(district: District, staff_ids: pd.Index) -> np.ndarray:
    """(people × schools) ranks of each school in each person's wishes, 0 = unranked.

    ``staff_ids`` are the people (rows, in that order); wishes of others are ignored."""
    out = np.zeros((len(staff_ids), district.n_schools), dtype=np.int64)
    w = district.preferences
    if not len(w) or not len(staff_ids):
        return out
    p = pd.Index(staff_ids.astype(str)).get_indexer(w["staff_id"].astype(str))
    s = district.schools.index.get_indexer(w["school_id"].astype(str))
    ok = (p >= 0) & (s >= 0)
    out[p[ok], s[ok]] = w["rank"].to_numpy(dtype=np.int64)[ok]
    return out


def unranked_cost(district: District) -> int:
    """The wish cost of an unranked school: the largest rank in ``preferences.csv``."""
    w = district.preferences
    return int(w["rank"].max()) if len(w) else 0


def wish_costs(district: District, staff_ids: pd.Index) -> np.ndarray:
    """(people × schools) wish cost of moving each person to each school (module docstring):
    rank − 1, ``R`` for an unranked school, 0 for people without wishes."""
    ranks = wish_ranks(district, staff_ids)
    has = (ranks > 0).any(axis=1)
    cost = np.where(ranks > 0, ranks - 1, unranked_cost(district))
    cost[~has] = 0
    return cost


def never_worse_allowed(district: District, staff_ids: pd.Index, home: np.ndarray) -> np.ndarray:
    """(people × schools): the schools ``never_worse`` permits each person (all for
    people without wishes); ``home`` is each person's school position."""
    ranks = wish_ranks(district, staff_ids)
    has = (ranks > 0).any(axis=1)
    home_rank = ranks[np.arange(len(ranks)), home] if len(ranks) else np.zeros(0, np.int64)
    better = (ranks > 0) & ((home_rank[:, None] == 0) | (ranks < home_rank[:, None]))
    return better | ~has[:, None]


def measures(district: District, scenario: Scenario, elig: pd.DataFrame) -> pd.DataFrame:
    """Per staff member (index ``staff_id``, file order): the values of
    :data:`POINT_MEASURES`, each rounded to 0.01."""
    staff = district.staff
    at = pd.Timestamp(scenario.as_of)
    fallback = staff["rural_years"].astype(float)
    out = pd.DataFrame(
        {
            "years_at_school": elig["years_at_school"].astype(float),
            "years_to_retirement": elig["years_to_retirement"].astype(float),
            "rural_years": served_years(district, "locality", "rural", at).fillna(fallback),
            "weak_years": served_years(district, "tier", "weak", at).fillna(fallback),
            "above_standard_qualification": staff["above_standard_qualification"].astype(float),
        },
        index=staff.index,
    )
    return out.fillna(0.0).round(2)


def points(district: District, scenario: Scenario, elig: pd.DataFrame) -> pd.Series:
    """Each staff member's points (index ``staff_id``): Σ points · measure, rounded to 0.01."""
    m = measures(district, scenario, elig)
    weights = np.array([getattr(scenario.placement.points, k) for k in POINT_MEASURES])
    total = m[list(POINT_MEASURES)].to_numpy(dtype=float) @ weights
    return pd.Series(np.round(total, 2), index=m.index, name="points")


def lottery_digest(seed: str, staff_id: str) -> str:
    """The draw of one person: SHA-256 hex digest of ``f"{seed}:{staff_id}"`` (UTF-8)."""
    return hashlib.sha256(f"{seed}:{staff_id}".encode()).hexdigest()


def lottery_ranks(seed: str, staff_ids: pd.Index) -> pd.Series:
    """``lottery_rank`` of each of ``staff_ids`` (1 = smallest digest), index ``staff_id``."""
    ids = [str(s) for s in staff_ids]
    order = sorted(range(len(ids)), key=lambda i: (lottery_digest(seed, ids[i]), ids[i]))
    rank = np.empty(len(ids), dtype=np.int64)
    rank[order] = np.arange(1, len(ids) + 1)
    return pd.Series(rank, index=pd.Index(ids, name="staff_id"), name="lottery_rank")


def priority(points_: pd.Series, lottery: pd.Series) -> pd.Index:
    """The staff ids of ``lottery`` in priority order: more points first, then the draw."""
    frame = pd.DataFrame({"points": points_.reindex(lottery.index), "lottery": lottery})
    return frame.sort_values(["points", "lottery"], ascending=[False, True], kind="stable").index
