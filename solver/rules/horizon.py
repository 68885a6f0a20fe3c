"""The state of a district from one school year to the next (multi-year plans).

The reading every multi-year step shares (``[horizon]``; the model, the search's
driver and the validator use it):

- Year ``y`` (1, 2, ...) starts ``y - 1`` calendar years after the scenario's
  ``as_of``; eligibility is computed at that date, so it ages by a year per year.
- A plan's move starts at the start of its year: the person is at the new school,
  ``school_start_date`` restarts there, and a stint of ``stint_years`` begins
  (``stint_end`` = the start of the year ``stint_years`` later). With
  ``return_home`` the post stays at the home school (交流, ``post_school_id``
  unchanged); without it the post moves with the person (轮岗).
- A stint that has ended by the start of a year ends there: with ``return_home`` the
  person is back at ``post_school_id`` from that year on (years at school restart at
  the stint's end, so a return counts in the home school's staffing in the year it
  happens); without it the person stays and the post is where they are.
- People on a stint are not eligible until it ends
  (:func:`solver.rules.eligibility.eligibility`).
- The staff table does not change otherwise: retirements and new hires are not
  simulated (next year's run reads next year's data).
- ``history`` grows by every posting: the one left is closed at the move (or
  return), the new one is open.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import numpy as np
import pandas as pd

from ..input.data import District
from ..input.scenario import Scenario
from .obligations import obligations, target_mask

DAYS_PER_YEAR = 365.25


def year_start(as_of: dt.date, k: int) -> dt.date:
    """The date ``k`` school years after ``as_of`` (same day and month; 29 February
    becomes 28 February)."""
    try:
        return as_of.replace(year=as_of.year + k)
    except ValueError:
        return as_of.replace(year=as_of.year + k, day=28)


def year_scenario(scenario: Scenario, year: int) -> Scenario:
    """The scenario of year ``year`` (1-based) of a horizon: ``as_of`` moved on by
    ``year - 1`` years; pins (``pins.csv``) hold for year 1 only."""
    if year == 1:
        return scenario
    info = scenario.scenario.model_copy(
        update={"as_of": year_start(scenario.scenario.as_of, year - 1)}
    )
    return scenario.model_copy(update={"scenario": info})


def served_within(district: District, years: float, at: dt.date) -> pd.DataFrame:
    """The (``staff_id``, ``school_id``) pairs of postings in ``district.history`` that
    overlap the ``years`` years before ``at`` (``no_return_years``); none when
    ``years`` is 0."""
    h = district.history
    if years <= 0 or not len(h):
        return pd.DataFrame({"staff_id": [], "school_id": []}, dtype="str")
    at_ts = pd.Timestamp(at)
    since = at_ts - pd.Timedelta(days=years * DAYS_PER_YEAR)
    end = h["end_date"].fillna(pd.Timestamp.max)
    start = h["start_date"].fillna(pd.Timestamp.min)
    hit = (end > since) & (start < at_ts)
    return h.loc[hit, ["staff_id", "school_id"]].drop_duplicates().reset_index(drop=True)


def _posting_change(
    history: pd.DataFrame,
    staff_id: pd.Index,
    left: np.ndarray,
    since: np.ndarray,
    to: np.ndarray,
    when: pd.Timestamp,
) -> pd.DataFrame:
    """``history`` with the open postings of ``staff_id`` at ``left`` closed at ``when``
    (added from ``since`` when absent) and new open postings at ``to`` from ``when``."""
    if not len(staff_id):
        return history
    h = history.copy()
    ids = pd.Index(staff_id.astype(str))
    key = pd.MultiIndex.from_arrays([ids, pd.Index(left.astype(str))])
    open_rows = h["end_date"].isna()
    hkey = pd.MultiIndex.from_arrays([h["staff_id"].astype(str), h["school_id"].astype(str)])
    close = open_rows.to_numpy() & hkey.isin(key)
    h.loc[close, "end_date"] = when
    known = hkey[close]
    closed = pd.DataFrame(
        {
            "staff_id": ids[~key.isin(known)],
            "school_id": left.astype(str)[~key.isin(known)],
            "start_date": since[~key.isin(known)],
            "end_date": when,
        }
    )
    new = pd.DataFrame(
        {"staff_id": ids, "school_id": to.astype(str), "start_date": when, "end_date": pd.NaT}
    )
    parts = [p for p in (h, closed, new) if len(p)]
    out = pd.concat(parts, ignore_index=True)
    out["start_date"] = out["start_date"].astype("datetime64[ns]")
    out["end_date"] = out["end_date"].astype("datetime64[ns]")
    return out


def advance(
    district: District,
    scenario: Scenario,
    moves: pd.Series,
    start: dt.date,
    next_start: dt.date,
) -> tuple[District, pd.Index]:
    """The district at ``next_start`` after a year that began at ``start`` with
    ``moves`` (``staff_id`` → new ``school_id``, movers only), under the scenario's
    ``[horizon]`` (see the module docstring).

    Returns
    -------
    (District, pandas.Index)
        The district at ``next_start`` (without pins) and the staff ids of those who
        return to their post school at ``next_start``.
    """
    hz = scenario.horizon
    staff = district.staff.copy()
    history = district.history
    t0 = pd.Timestamp(start)
    moves = moves.astype(str)
    moves = moves[moves.index.isin(staff.index)]
    movers = pd.Index(moves.index)
    if len(movers):
        left = staff.loc[movers, "school_id"].astype(str).to_numpy()
        since = staff.loc[movers, "school_start_date"].to_numpy()
        to = moves.to_numpy()
        history = _posting_change(history, movers, left, since, to, t0)
        staff.loc[movers, "school_id"] = to
        staff.loc[movers, "school_start_date"] = t0
        lengths = stint_lengths(district, scenario, moves, start)
        staff.loc[movers, "stint_end"] = [
            pd.Timestamp(year_start(start, int(k))) for k in lengths.to_numpy()
        ]
        if not hz.return_home:
            staff.loc[movers, "post_school_id"] = to
    # Stints that have ended by the next year's start.
    t1 = pd.Timestamp(next_start)
    ended = staff["stint_end"].notna() & (staff["stint_end"] <= t1)
    back = ended & (staff["post_school_id"] != staff["school_id"])
    if hz.return_home:
        returning = staff.index[back.to_numpy()]
    else:
        # 轮岗: the post moves with the person; nobody goes back.
        staff.loc[back, "post_school_id"] = staff.loc[back, "school_id"]
        returning = pd.Index([], dtype="str")
    if len(returning):
        when = staff.loc[returning, "stint_end"]
        left = staff.loc[returning, "school_id"].astype(str).to_numpy()
        since = staff.loc[returning, "school_start_date"].to_numpy()
        home = staff.loc[returning, "post_school_id"].astype(str).to_numpy()
        for day in sorted(when.unique()):
            sel = (when == day).to_numpy()
            history = _posting_change(
                history, returning[sel], left[sel], since[sel], home[sel], pd.Timestamp(day)
            )
        staff.loc[returning, "school_id"] = home
        staff.loc[returning, "school_start_date"] = when
    staff.loc[ended, "stint_end"] = pd.NaT
    pins = district.pins.iloc[0:0]
    return replace(district, staff=staff, history=history, pins=pins), returning


def at_date(scenario: Scenario, day: dt.date) -> Scenario:
    """``scenario`` with ``as_of`` set to ``day``."""
    info = scenario.scenario.model_copy(update={"as_of": day})
    return scenario.model_copy(update={"scenario": info})


def stint_lengths(
    district: District, scenario: Scenario, moves: pd.Series, start: dt.date
) -> pd.Series:
    """Years of the stint each mover of ``moves`` (``staff_id`` → school) begins at
    ``start``: ``stint_years``, or longer for a person obliged by ``[rules]`` who goes to
    a school that fulfils the obligation (its ``min_stint``)."""
    hz = scenario.horizon
    out = pd.Series(hz.stint_years, index=moves.index, dtype="int64")
    ob = obligations(district, at_date(scenario, start))
    ob = ob[ob.index.isin(moves.index)]
    if not len(ob):
        return out
    ok = target_mask(district, ob)
    dest = district.schools.index.get_indexer(moves.reindex(ob.index).astype(str))
    fulfils = ok[np.arange(len(ob)), dest]
    longer = ob.index[fulfils]
    out.loc[longer] = np.maximum(out.loc[longer], ob.loc[longer, "min_stint"].astype("int64"))
    return out


def check_horizon(scenario: Scenario, years: int) -> str | None:
    """Why the horizon model cannot plan ``years`` years of ``scenario`` (None: it can).

    A person moves at most once in a horizon; that is exact only when a mover cannot
    become eligible again within it, i.e. when every role's ``min_years_at_school`` is
    more than ``years - 1``."""
    if years <= 1:
        return None
    if scenario.placement.mechanism != "optimize":
        # Refused rather than ignored: a planner who sets it expects it to act.
        return (
            f'[placement] mechanism = "{scenario.placement.mechanism}" places one year: plan '
            'several years with mechanism = "optimize" (wish_weight works in every year)'
        )
    el = scenario.eligibility
    low = min(
        el.teacher.min_years_at_school,
        el.principal.min_years_at_school,
        el.for_role("vice_principal").min_years_at_school,
    )
    if low <= years - 1:
        return (
            f"[horizon] years = {years} needs min_years_at_school above {years - 1} for every "
            f"role (lowest is {low:g}): a person who moves could otherwise rotate again "
            "within the horizon"
        )
    return None
