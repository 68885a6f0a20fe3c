"""Forms of rotation besides a full-time move (``[forms]``, ``docs/forms.md``).

- **Part-time service** (兼职): a teacher of ``part_time_subjects`` keeps their post and
  gives shares of their week, in whole tenths, to other schools.
- **Subject guidance** (学科指导): a key teacher gives ``guidance_share`` of their week
  to a weak subject of a rural or weak school.
- **Coverage** (全学科): every school has at least ``coverage_min`` teacher-equivalents
  of each of ``coverage_subjects``.
- **Post filling** (顶岗): a move of a teacher from a school over its demand in their
  subject to a school under it is a staffing measure, counted apart from the rotation
  quotas.

The arithmetic here is the rules' own, shared by the model, the validator and the
plan folder: who may serve where (:func:`service_pairs`), the weak subjects
(:func:`weak_subjects`), teacher-equivalents per school (:func:`equivalents`) and
the post-filling moves (:func:`post_filling_mask`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..input.data import SUBJECTS, District
from ..input.geo import haversine_km
from ..input.scenario import Scenario
from .indicators import STANDARD_MIN, indicator_flags
from .moves import levels_compatible

#: Shares are whole tenths of a teacher's week.
TENTHS = 10
#: The two forms a ``part_time.csv`` row can have.
SHARE_FORMS: tuple[str, ...] = ("part_time", "guidance")
#: The columns of ``part_time.csv`` (and ``Result.part_time``).
PART_TIME_COLUMNS: tuple[str, ...] = (
    "staff_id",
    "name",
    "subject",
    "home_school",
    "to_school",
    "share",
    "form",
    "distance_km",
)


def empty_shares() -> pd.DataFrame:
    """A ``part_time`` table without rows."""
    return pd.DataFrame({c: pd.Series(dtype=_dtype(c)) for c in PART_TIME_COLUMNS})


def _dtype(col: str) -> str:
    return "float" if col in ("share", "distance_km") else "object"


def tenths(share: float) -> int:
    """A share of a week as whole tenths (0.3 → 3)."""
    return int(round(float(share) * TENTHS))


def may_serve(district: District, form: str, scenario: Scenario) -> np.ndarray:
    """Per staff member: whether they may give shares of their week in ``form``.

    ``part_time``: teachers of ``part_time_subjects``; ``guidance``: key teachers
    (``key_level`` not ``none``). Both: on payroll and without an exemption. Rotation
    tenure does not apply (part-time service is a deployment, 调动, not a rotation).
    """
    st = district.staff
    ok = (
        (st["role"] == "teacher").to_numpy()
        & st["on_payroll"].astype(bool).to_numpy()
        & (st["exempt_reason"].astype(str) == "").to_numpy()
    )
    if form == "part_time":
        return ok & st["subject"].isin(scenario.forms.part_time_subjects).to_numpy()
    return ok & (st["key_level"] != "none").to_numpy()


def weak_subjects(district: District) -> pd.DataFrame:
    """Per school (rows) and subject (columns): whether the subject is weak there.

    A school's weak subjects are those it teaches (demand > 0) and the district has key
    teachers of, where the school's share of the district's key teachers of that
    subject (its key teachers of the subject / the district's) is lowest among its
    subjects; ties are all weak.
    """
    st = district.staff
    key = st[(st["role"] == "teacher") & (st["key_level"] != "none")]
    k = (
        pd.crosstab(key["school_id"], key["subject"])
        .reindex(index=district.schools.index, columns=list(SUBJECTS), fill_value=0)
        .astype(float)
    )
    total = k.sum(axis=0)
    taught = district.demand_matrix() > 0
    share = k / total.where(total > 0)
    share = share.where(taught & (total > 0).to_numpy()[None, :])
    low = share.min(axis=1)
    return share.le(low + 1e-12, axis=0) & share.notna()


def service_pairs(district: District, scenario: Scenario) -> pd.DataFrame:
    """Every (staff member, school) a share may go to, by form.

    Columns: ``j`` (position in ``district.staff``), ``s`` (school position), ``form``,
    ``dist_km`` (home to the school), ``max_tenths`` (the most the pair can carry).
    Only pairs within ``[commute] max_km`` of the teacher's home, to another school than
    their own, of a compatible level when ``[scope] same_level``; guidance only to rural
    or weak schools and only in a subject weak there (:func:`weak_subjects`). Empty
    unless ``part_time`` or ``guidance`` is on.
    """
    f = scenario.forms
    frames = []
    sch = district.schools
    home = district.staff_school_pos()
    forms = [("part_time", f.part_time), ("guidance", f.guidance)]
    for form, on in forms:
        if not on:
            continue
        who = np.flatnonzero(may_serve(district, form, scenario))
        if not len(who):
            continue
        st = district.staff.iloc[who]
        dist = haversine_km(
            st["home_lat"].to_numpy()[:, None],
            st["home_lon"].to_numpy()[:, None],
            sch["lat"].to_numpy()[None, :],
            sch["lon"].to_numpy()[None, :],
        )
        ok = dist <= scenario.commute.max_km + 1e-9
        ok[np.arange(len(who)), home[who]] = False
        if scenario.scope.same_level:
            lvl = sch["level"].to_numpy()
            ok &= levels_compatible(lvl[home[who]][:, None], lvl[None, :])
        if form == "guidance":
            weak = weak_subjects(district).to_numpy()
            cols = pd.Index(SUBJECTS).get_indexer(st["subject"])
            ok &= weak.T[cols]
            target = (sch["locality"] == "rural").to_numpy() | (sch["tier"] == "weak").to_numpy()
            ok &= target[None, :]
            cap = tenths(f.guidance_share)
        else:
            cap = tenths(f.part_time_max_share)
        r, s = np.nonzero(ok)
        frames.append(
            pd.DataFrame(
                {
                    "j": who[r],
                    "s": s,
                    "form": form,
                    "dist_km": dist[r, s],
                    "max_tenths": cap,
                }
            )
        )
    if not frames:
        return pd.DataFrame(
            {
                "j": pd.Series(dtype=np.int64),
                "s": pd.Series(dtype=np.int64),
                "form": pd.Series(dtype=object),
                "dist_km": pd.Series(dtype=float),
                "max_tenths": pd.Series(dtype=np.int64),
            }
        )
    out = pd.concat(frames, ignore_index=True)
    return out[out["max_tenths"] > 0].reset_index(drop=True)


def share_flags(district: District, indicators: tuple[str, ...], form: str) -> np.ndarray:
    """(staff × indicator): whether a share of ``form`` carries the indicator.

    A part-time share carries every indicator the teacher counts towards; a guidance
    share only ``key_per_100`` (guidance serves the school's teachers, not its pupils).
    """
    flags = indicator_flags(district.staff)
    cols = [
        flags[k].to_numpy(dtype=bool)
        if form == "part_time" or k == "key_per_100"
        else np.zeros(len(district.staff), dtype=bool)
        for k in indicators
    ]
    return np.column_stack(cols) if cols else np.zeros((len(district.staff), 0), dtype=bool)


def share_positions(district: District, shares: pd.DataFrame | None) -> pd.DataFrame:
    """A ``part_time`` table as positions: ``j`` (staff), ``s`` (school), ``tenths``,
    ``form``; rows of unknown staff or schools are left out (the validator reports them)."""
    if shares is None or not len(shares):
        return pd.DataFrame({"j": [], "s": [], "tenths": [], "form": []}).astype(
            {"j": np.int64, "s": np.int64, "tenths": np.int64}
        )
    j = district.staff.index.get_indexer(shares["staff_id"].astype(str))
    s = district.schools.index.get_indexer(shares["to_school"].astype(str))
    t = np.rint(pd.to_numeric(shares["share"], errors="coerce").fillna(0).to_numpy() * TENTHS)
    ok = (j >= 0) & (s >= 0)
    return pd.DataFrame(
        {
            "j": j[ok].astype(np.int64),
            "s": s[ok].astype(np.int64),
            "tenths": t[ok].astype(np.int64),
            "form": shares["form"].astype(str).to_numpy()[ok],
        }
    )


def share_deltas(
    district: District,
    school_pos: np.ndarray,
    indicators: tuple[str, ...],
    shares: pd.DataFrame | None,
) -> np.ndarray:
    """(school × indicator) change in teacher-equivalents the shares make: a share adds
    to the school it goes to and is taken from the school the teacher works at after
    the plan (``school_pos``)."""
    out = np.zeros((district.n_schools, len(indicators)))
    pos = share_positions(district, shares)
    for form in SHARE_FORMS:
        rows = pos[pos["form"] == form]
        if not len(rows):
            continue
        flags = share_flags(district, indicators, form)[rows["j"].to_numpy()]
        amount = rows["tenths"].to_numpy()[:, None] / TENTHS * flags
        np.add.at(out, rows["s"].to_numpy(), amount)
        np.add.at(out, school_pos[rows["j"].to_numpy()], -amount)
    return out


def equivalents(
    district: District,
    school_pos: np.ndarray,
    indicators: tuple[str, ...],
    shares: pd.DataFrame | None,
) -> np.ndarray:
    """(school × indicator) teacher-equivalents after a plan: head counts at
    ``school_pos`` plus the shares received, less the shares given away."""
    flags = indicator_flags(district.staff)
    out = np.zeros((district.n_schools, len(indicators)))
    for k, ind in enumerate(indicators):
        sel = flags[ind].to_numpy(dtype=bool)
        out[:, k] = np.bincount(school_pos[sel], minlength=district.n_schools)
    return out + share_deltas(district, school_pos, indicators, shares)


def subject_equivalents(
    district: District, school_pos: np.ndarray, shares: pd.DataFrame | None
) -> pd.DataFrame:
    """Per school (rows) and subject (columns): teacher-equivalents after a plan (the
    head count at ``school_pos`` plus part-time shares received, less those given)."""
    st = district.staff
    teacher = (st["role"] == "teacher").to_numpy()
    subj = pd.Index(SUBJECTS).get_indexer(st["subject"])
    out = np.zeros((district.n_schools, len(SUBJECTS)))
    sel = teacher & (subj >= 0)
    np.add.at(out, (school_pos[sel], subj[sel]), 1.0)
    pos = share_positions(district, shares)
    rows = pos[pos["form"] == "part_time"]
    if len(rows):
        j = rows["j"].to_numpy()
        amount = rows["tenths"].to_numpy() / TENTHS
        ok = subj[j] >= 0
        np.add.at(out, (rows["s"].to_numpy()[ok], subj[j][ok]), amount[ok])
        np.add.at(out, (school_pos[j][ok], subj[j][ok]), -amount[ok])
    return pd.DataFrame(out, index=district.schools.index, columns=list(SUBJECTS))


def head_deltas(
    district: District, school_pos: np.ndarray, shares: pd.DataFrame | None
) -> pd.DataFrame:
    """Per school: ``teachers`` and ``key_teachers`` changes in teacher-equivalents that
    the shares make (teachers: part-time shares; key teachers: both forms), and
    ``shares_in`` / ``shares_out`` (every share received / given, in teacher-equivalents)."""
    n = district.n_schools
    out = {c: np.zeros(n) for c in ("teachers", "key_teachers", "shares_in", "shares_out")}
    pos = share_positions(district, shares)
    if len(pos):
        j, s = pos["j"].to_numpy(), pos["s"].to_numpy()
        amount = pos["tenths"].to_numpy() / TENTHS
        home = school_pos[j]
        key = (district.staff["key_level"] != "none").to_numpy()[j]
        pt = (pos["form"] == "part_time").to_numpy()
        for col, sel in (("teachers", pt), ("key_teachers", key)):
            np.add.at(out[col], s[sel], amount[sel])
            np.add.at(out[col], home[sel], -amount[sel])
        np.add.at(out["shares_in"], s, amount)
        np.add.at(out["shares_out"], home, amount)
    return pd.DataFrame(out, index=district.schools.index)


def count_deltas(
    district: District, school_pos: np.ndarray, shares: pd.DataFrame | None
) -> pd.DataFrame:
    """Per school: what the shares change in the counts of
    :func:`solver.rules.indicators.school_counts` (``teachers``, ``key_teachers`` and the
    three indicators), in teacher-equivalents."""
    inds = tuple(STANDARD_MIN)
    out = pd.DataFrame(
        share_deltas(district, school_pos, inds, shares), index=district.schools.index, columns=inds
    )
    heads = head_deltas(district, school_pos, shares)
    out["teachers"] = heads["teachers"]
    out["key_teachers"] = heads["key_teachers"]
    return out


def post_filling_mask(
    district: District, staff_ids, from_school, to_school, scenario: Scenario
) -> np.ndarray:
    """Per move (``staff_ids`` going ``from_school`` → ``to_school``): whether it is post
    filling: ``[forms] post_filling`` is on, the person is a teacher, and their subject's
    head count today is above the demand at ``from_school`` and below it at ``to_school``
    (``demand.csv``; without it no school is over or under)."""
    n = len(staff_ids)
    if not scenario.forms.post_filling or n == 0:
        return np.zeros(n, dtype=bool)
    now = district.teacher_counts()
    gap = (now - district.demand_matrix()).to_numpy()  # > 0 over, < 0 under
    st = district.staff.loc[list(staff_ids)]
    teacher = (st["role"] == "teacher").to_numpy()
    col = now.columns.get_indexer(st["subject"])
    a = district.schools.index.get_indexer(list(map(str, from_school)))
    b = district.schools.index.get_indexer(list(map(str, to_school)))
    ok = teacher & (col >= 0) & (a >= 0) & (b >= 0) & (a != b)
    out = np.zeros(n, dtype=bool)
    out[ok] = (gap[a[ok], col[ok]] > 0) & (gap[b[ok], col[ok]] < 0)
    return out


def nearest_teachers(
    district: District, school: int, subject: str, scenario: Scenario, n: int = 3
) -> list[tuple[str, str, float]]:
    """The ``n`` teachers of ``subject`` nearest to ``school`` (home to school, km) who
    work elsewhere and could serve it: on payroll, not exempt, of a compatible level
    under ``[scope] same_level``; as (staff_id, their school, km)."""
    st = district.staff
    sch = district.schools
    sel = (
        (st["role"] == "teacher").to_numpy()
        & (st["subject"] == subject).to_numpy()
        & (st["school_id"] != sch.index[school]).to_numpy()
        & st["on_payroll"].astype(bool).to_numpy()
        & (st["exempt_reason"].astype(str) == "").to_numpy()
    )
    if scenario.scope.same_level:
        lvl = sch["level"].to_numpy()
        here = lvl[district.staff_school_pos()]
        sel &= levels_compatible(here, np.full(len(st), lvl[school]))
    cand = st[sel]
    if not len(cand):
        return []
    row = sch.iloc[school]
    km = haversine_km(cand["home_lat"], cand["home_lon"], row["lat"], row["lon"])
    order = np.argsort(np.asarray(km), kind="stable")[:n]
    return [
        (str(cand.index[i]), str(cand["school_id"].iat[i]), float(np.asarray(km)[i])) for i in order
    ]
