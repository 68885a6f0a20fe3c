"""Young teachers sent to the lead school of their education group (``[forms]
training_to_lead``, ``docs/forms.md``).

Dongcheng (2021): 一般小学、初中校则选派新任教师或有潜质的优秀青年教师到教育集团龙头校
全职交流轮岗 — ordinary schools send new or promising young teachers to the lead
schools of education groups, full time. So a training move is a full-time move:

- **Lead school** (龙头校): ``schools.csv`` names a school's group (``group``) but not
  its lead school. A group is run around a strong lead school, so the lead school of
  a group is its strongest school: ``tier`` strong before average before weak, then the
  most ``students``, then the first in ``schools.csv``. Every other school of the group
  is an ordinary school of it.
- **Candidates**: teachers first appointed (``hire_date``) at most
  :data:`TRAINING_YEARS` years before ``as_of``, working at an ordinary school of a
  group, and not obliged by ``[rules]`` to serve at a rural school (the obligation
  comes first). They are eligible with fewer years at their school (payroll,
  exemptions, retirement and stints still apply). A candidate below rotation tenure
  (``min_years_at_school``) is *training only*: their one permitted move is to their
  group's lead school, whatever ``[scope] teachers`` says, and the rotation quotas
  (``teacher_rotation_min``, ``key_share_of_rotated_min``) count neither them nor
  their move.
- **A training move**: a candidate moving to the lead school of their own group. The
  rule: at least ``training_to_lead`` of them in the plan.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..input.data import District
from ..input.scenario import Scenario
from .obligations import obligations

DAYS_PER_YEAR = 365.25
#: A young teacher: first appointed at most this many years ago (Dongcheng's 新任教师、
#: 青年教师; the issue's "hire_date within 5 years").
TRAINING_YEARS = 5.0
_TIER_RANK = {"strong": 0, "average": 1, "weak": 2}
_COLUMNS = ("lead", "years_since_hire", "training_only")


def lead_schools(district: District) -> pd.Series:
    """The lead school of each education group: index ``group``, value its ``school_id``.

    The strongest school of the group (``tier`` strong, average, weak), then the one with
    the most students, then the first in ``schools.csv``; schools without a group
    (``group`` empty) belong to none.
    """
    sch = district.schools
    grp = sch["group"].fillna("").astype(str)
    keep = (grp != "").to_numpy()
    order = pd.DataFrame(
        {
            "group": grp.to_numpy()[keep],
            "rank": sch["tier"].map(_TIER_RANK).fillna(1).to_numpy()[keep],
            "students": -sch["students"].to_numpy(dtype=float)[keep],
            "pos": np.flatnonzero(keep),
        },
        index=sch.index[keep],
    ).sort_values(["group", "rank", "students", "pos"], kind="stable")
    first = order.groupby("group", sort=False).head(1)
    return pd.Series(first.index.to_numpy(dtype=object), index=first["group"].to_numpy())


def training_candidates(district: District, scenario: Scenario) -> pd.DataFrame:
    """The young teachers ``training_to_lead`` may send, at ``scenario.as_of``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``staff_id`` (file order; empty when ``training_to_lead`` is 0), with
        ``lead`` (the lead school of their group), ``years_since_hire`` and
        ``training_only`` (below rotation tenure: the lead school is their one move and
        the rotation quotas do not count them).
    """
    st = district.staff
    empty = pd.DataFrame(
        {c: pd.Series(dtype=float if c == "years_since_hire" else object) for c in _COLUMNS},
        index=pd.Index([], name="staff_id"),
    )
    if scenario.forms.training_to_lead == 0 or not len(st):
        return empty
    at = pd.Timestamp(scenario.as_of)
    since = ((at - st["hire_date"]).dt.days / DAYS_PER_YEAR).to_numpy(dtype=float)
    group = district.schools["group"].fillna("").astype(str)
    lead = group.reindex(st["school_id"]).map(lead_schools(district)).to_numpy(dtype=object)
    has_lead = pd.notna(lead)
    young = ~np.isnan(since) & (since >= 0) & (since <= TRAINING_YEARS + 1e-12)
    ok = (
        (st["role"] == "teacher").to_numpy()
        & young
        & has_lead
        & (lead != st["school_id"].to_numpy(dtype=object))
        & ~st.index.isin(obligations(district, scenario).index)
    )
    years_at = ((at - st["school_start_date"]).dt.days / DAYS_PER_YEAR).to_numpy(dtype=float)
    tenure = years_at >= scenario.eligibility.teacher.min_years_at_school - 1e-12
    out = pd.DataFrame(
        {
            "lead": lead[ok],
            "years_since_hire": np.round(since[ok], 2),
            "training_only": ~tenure[ok],
        },
        index=pd.Index(st.index[ok], name="staff_id"),
    )
    return out


def training_lead_masks(
    district: District, scenario: Scenario, people: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """For ``people`` (eligible staff, position p): (people × schools) whether the school
    is the person's training destination (the lead school of their group, candidates
    only), and per person whether they are training only."""
    lead = np.zeros((len(people), district.n_schools), dtype=bool)
    only = np.zeros(len(people), dtype=bool)
    cand = training_candidates(district, scenario)
    if not len(cand):
        return lead, only
    pos = people.index.get_indexer(cand.index)
    ok = pos >= 0
    s = district.schools.index.get_indexer(cand["lead"].astype(str))
    lead[pos[ok], s[ok]] = True
    only[pos[ok]] = cand["training_only"].to_numpy(dtype=bool)[ok]
    return lead, only


def training_moves(district: District, scenario: Scenario, staff_ids, to_school) -> np.ndarray:
    """Per move (``staff_ids`` going to ``to_school``): whether it is a training move (a
    candidate of :func:`training_candidates` going to the lead school of their group)."""
    ids = pd.Index(list(map(str, staff_ids)))
    cand = training_candidates(district, scenario)
    if not len(ids) or not len(cand):
        return np.zeros(len(ids), dtype=bool)
    lead = cand["lead"].reindex(ids).to_numpy(dtype=object)
    to = np.asarray(list(map(str, to_school)), dtype=object)
    return pd.notna(lead) & (lead == to)


def training_only_staff(district: District, scenario: Scenario) -> pd.Series:
    """Per staff member (all of ``district.staff``): whether they are a training-only
    candidate (the rotation quotas count neither them nor their move)."""
    cand = training_candidates(district, scenario)
    out = pd.Series(False, index=district.staff.index)
    if len(cand):
        out[cand.index[cand["training_only"].to_numpy(dtype=bool)]] = True
    return out
