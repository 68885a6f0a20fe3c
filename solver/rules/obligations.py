"""People the seeds' ``[rules]`` oblige to serve at a rural (or weak) school.

- ``new_hire_rural`` (Banan 2021: 新入职城区教师工作满 2 年后到农村学校任教不少于
  2 年): a teacher at an urban or town school whose first appointment (``hire_date``)
  was at least ``new_hire_rural_after_years`` ago, and less than that plus the role's
  ``min_years_at_school`` ago (still a new hire: after that the general rule takes
  over), with fewer than ``new_hire_rural_min_years`` years of rural service, goes to a
  rural school; the stint there lasts at least ``new_hire_rural_min_years``.
- ``title_rural`` (Beijing teachers 2022 and Banan 2021; Pucheng for the weak
  schools): a ``title_applicant`` with fewer than ``title_rural_years`` years of rural
  service (and, when ``title_weak_years`` is set, fewer than that many at weak
  schools) goes to a rural school (or, with ``title_weak_years``, a weak one); the
  stint lasts at least the years missing.

Rural and weak-school years come from ``history.csv`` (postings at schools whose
``locality`` is rural, or ``tier`` weak, up to the date; compared with three days'
slack, as calendar school years are 365 or 366 days); for people without any
posting in the history, ``rural_years`` stands in for both. An obliged person is
eligible even with fewer years at their school (the other conditions still hold:
payroll, exemption, retirement, stint), and must move to one of the rule's schools:
this year in a one-year plan, in some year of a multi-year one.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..input.data import District
from ..input.scenario import Scenario

DAYS_PER_YEAR = 365.25
#: Service is compared with a few days' slack: two school years by the calendar are
#: 730 days, 1.9986 years of 365.25 days.
SLACK = 3 / DAYS_PER_YEAR
OBLIGATION_RULES: tuple[str, ...] = ("new_hire_rural", "title_rural")


def served_years(district: District, column: str, value: str, at: pd.Timestamp) -> pd.Series:
    """Per staff member, years of postings in the history at schools whose ``column``
    is ``value``, up to ``at``; ``NaN`` for people without any posting."""
    h = district.history
    staff = district.staff.index
    if not len(h):
        return pd.Series(np.nan, index=staff)
    kind = district.schools[column].reindex(h["school_id"].astype(str)).to_numpy()
    start = h["start_date"].fillna(at)
    end = h["end_date"].fillna(at).clip(upper=at)
    days = (end - start).dt.days.clip(lower=0).to_numpy(dtype=float)
    years = pd.Series(np.where(kind == value, days / DAYS_PER_YEAR, 0.0), index=h.index)
    total = years.groupby(h["staff_id"].astype(str)).sum()
    return total.reindex(staff)


def obligations(district: District, scenario: Scenario) -> pd.DataFrame:
    """The obliged staff at ``scenario.as_of``: index ``staff_id`` (a subset, file order)
    with ``rule`` (of :data:`OBLIGATION_RULES`), ``to_rural``, ``to_weak`` (the kinds of
    school that fulfil it), ``min_stint`` (years the stint lasts at least) and ``text``.
    Empty when ``[rules]`` is off. A person obliged by both rules has the new-hire one."""
    r = scenario.rules
    staff, sch = district.staff, district.schools
    at = pd.Timestamp(scenario.as_of)
    cols = ["rule", "to_rural", "to_weak", "min_stint", "text"]
    if not (r.new_hire_rural_after_years > 0 or r.title_rural_years > 0 or r.title_weak_years > 0):
        return pd.DataFrame(columns=cols, index=pd.Index([], name="staff_id"))
    fallback = staff["rural_years"].astype(float)
    rural = served_years(district, "locality", "rural", at).fillna(fallback)
    weak = served_years(district, "tier", "weak", at).fillna(fallback)
    locality = sch["locality"].reindex(staff["school_id"]).to_numpy()
    rows: dict[str, tuple] = {}
    if r.title_rural_years > 0 or r.title_weak_years > 0:
        # Enough service of either kind that the scenario counts fulfils the rule.
        short = staff["title_applicant"].to_numpy(dtype=bool)
        if r.title_rural_years > 0:
            short = short & (rural < r.title_rural_years - SLACK).to_numpy()
        if r.title_weak_years > 0:
            short = short & (weak < r.title_weak_years - SLACK).to_numpy()
        for sid in staff.index[short]:
            missing = min(
                r.title_rural_years - rural[sid] if r.title_rural_years > 0 else math.inf,
                r.title_weak_years - weak[sid] if r.title_weak_years > 0 else math.inf,
            )
            rows[sid] = (
                "title_rural",
                r.title_rural_years > 0,
                r.title_weak_years > 0,
                max(1, math.ceil(missing - 1e-9)),
                f"title applicant with {rural[sid]:.1f} rural years"
                + (f" and {weak[sid]:.1f} at weak schools" if r.title_weak_years > 0 else ""),
            )
    if r.new_hire_rural_after_years > 0:
        since = ((at - staff["hire_date"]).dt.days / DAYS_PER_YEAR).to_numpy(dtype=float)
        still_new = since < r.new_hire_rural_after_years + _min_years(scenario)
        due = (
            (staff["role"] == "teacher").to_numpy()
            & np.isin(locality, ("urban", "town"))
            & (since >= r.new_hire_rural_after_years - SLACK)
            & still_new
            & (rural < r.new_hire_rural_min_years - SLACK).to_numpy()
        )
        for sid in staff.index[due]:
            rows[sid] = (
                "new_hire_rural",
                True,
                False,
                max(1, math.ceil(r.new_hire_rural_min_years - 1e-9)),
                f"hired {since[staff.index.get_loc(sid)]:.1f} years ago at an urban/town school, "
                f"{rural[sid]:.1f} rural years",
            )
    order = [s for s in staff.index if s in rows]
    out = pd.DataFrame(
        [rows[s] for s in order], columns=cols, index=pd.Index(order, name="staff_id")
    )
    return out


def _min_years(scenario: Scenario) -> float:
    return float(scenario.eligibility.teacher.min_years_at_school)


def target_mask(district: District, ob: pd.DataFrame) -> np.ndarray:
    """(obliged people × schools): the schools that fulfil each person's obligation."""
    sch = district.schools
    rural = (sch["locality"] == "rural").to_numpy()
    weak = (sch["tier"] == "weak").to_numpy()
    to_r = ob["to_rural"].to_numpy(dtype=bool)[:, None]
    to_w = ob["to_weak"].to_numpy(dtype=bool)[:, None]
    return (to_r & rural[None, :]) | (to_w & weak[None, :])
