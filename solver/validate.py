"""Check any plan against every rule, independently of the CP-SAT model.

The checks are written from the rules (``docs/scenario.md``, the README's "The
rules, as lungang reads them") on the plan itself: who ends up where. They share with
the model only the definitions that *are* the rules' arithmetic (eligibility, haversine
distance, the difference coefficient), never its variables or pruning; this module
imports nothing of the model, the search or the plan (a contract in ``pyproject.toml``
checks it).

Each problem is a :class:`Violation` naming the rule, the people and the schools
involved. Rule names:

``eligible_rows``
    One row per eligible person and none for anyone else; ``from_school`` is the
    person's current school, ``moved`` is ``to_school != from_school``, ``to_school``
    exists. (For the other rules, a row with an unknown ``to_school`` counts as staying.)
``posts_filled``
    Every school ends with as many principals, and as many vice principals, as now.
``subject_staffing``
    Per school and subject, the teacher head count after the plan is within
    ``subject_tolerance`` of the demand (``demand.csv``, default today's count). Only
    cells the plan touches are checked: those whose count changes or that a mover of
    that subject leaves or joins. A cell nobody enters or leaves keeps today's count,
    and if that count is off the demand it is the data's problem, not the plan's. (The
    model is stricter: it also holds untouched cells where eligible people of the
    subject work. With the default demand every untouched cell meets it, so the two
    agree.)
``same_level``, ``scope``, ``commute``
    Per mover: level (a nine-year school takes either), scope of the role family
    (teachers: ``scope.teachers``; principals and vice principals:
    ``scope.principals``), and the great-circle distance from home to the new school.
``teacher_rotation_min``, ``key_share_of_rotated_min``, ``principal_rotation_min``, ``school_outflow_max``
    Quotas, with ``ceil`` for minimum and ``floor`` for maximum shares on exact
    fractions (``Fraction(str(share))``).
``urban_to_rural_min``, ``rural_to_urban_min``
    Among moves (all roles) out of urban/town (rural) schools, the share that goes to
    rural (urban/town) schools.
``strong_to_weak_min``
    The same on ``tier``: among moves out of strong schools, the share to weak ones.
``no_return_years``
    No mover goes to a school they served (``history.csv``) within that many years
    before ``as_of``.
``never_worse``
    With ``[placement] never_worse``: no mover with wishes (``preferences.csv``) goes
    to a school they rank below staying: the new school is listed, with a smaller rank
    than the home school's when the home school is listed.
``max_cv``
    Per balanced indicator and level with a cap: the true difference coefficient
    after the plan ≤ cap (+1e-9). (The model is stricter where a plan changes a level's
    mean: it caps the coefficient against the mean before and keeps the mean from
    falling; see the README.)
``min_per_100``
    Every school's value of every balanced indicator after the plan ≥ ``min_per_100``
    (−1e-9), as in the model: all schools, not only those the plan touches.
``pins``
    ``pins.csv``: ``stay``, ``move`` or ``to`` a school.
``coverage_subjects``
    ``[forms]``: every school has at least ``coverage_min`` teacher-equivalents (head
    count after the plan, plus part-time shares received, less shares given) of each
    of ``coverage_subjects`` (−1e-9).
``part_time``
    ``[forms]``: every share of ``part_time.csv`` is a whole number of tenths, of a form
    that is switched on, by someone who may serve in it (teachers of
    ``part_time_subjects`` or key teachers, on payroll, not exempt) and who stays at
    their school, to another existing school of a compatible level within
    ``max_km`` of their home; guidance only to one rural or weak school, in a weak
    subject there, of ``guidance_share``; per teacher at most ``part_time_max_share`` in
    all and ``part_time_max_schools`` schools. With shares, ``max_cv`` and
    ``min_per_100`` are checked on teacher-equivalents; with ``post_filling`` the
    rotation quotas leave post-filling moves out.
``training_to_lead``
    ``[forms]``: at least ``training_to_lead`` young teachers (a ``hire_date`` at most 5
    years before ``as_of``, at a school of an education group other than its lead
    school, not obliged by ``[rules]``) move to the lead school of their group (the
    strongest school of the group: tier, then students, then file order); one below
    rotation tenure moves nowhere else, and the rotation quotas count neither them nor
    their move. Worked out here from ``schools.csv`` and ``staff.csv``.

:func:`validate_plan_dir` also checks a plan folder against itself (``plan_files``,
``schools_table``, ``summary``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import InputError, Problem
from .input.assignments import read_assignments, read_json_file, read_part_time, read_plan_csv
from .input.data import CADRE_ROLES, SUBJECTS, District
from .input.geo import haversine_km
from .input.scenario import Scenario
from .rules.catalogue import CATALOGUE
from .rules.eligibility import eligibility
from .rules.forms import (
    SHARE_FORMS,
    TENTHS,
    count_deltas,
    may_serve,
    post_filling_mask,
    subject_equivalents,
    weak_subjects,
)
from .rules.indicators import (
    LEVEL_PARTS,
    difference_coefficient,
    indicator_flags,
    school_counts,
    school_indicators,
)
from .rules.moves import permitted_moves
from .rules.obligations import obligations
from .rules.priority import in_stream, year_weight

#: The rules checked, named as in the catalogue (``pins`` is its ``pin``).
RULES: tuple[str, ...] = ("eligible_rows", *(r.check for r in CATALOGUE))
PLAN_RULES: tuple[str, ...] = ("plan_files", "schools_table", "summary")
TOL = 1e-9


@dataclass(frozen=True)
class Violation:
    """One broken rule: its name, what is wrong, and the people and schools involved."""

    rule: str
    message: str
    staff: tuple[str, ...] = ()
    schools: tuple[str, ...] = ()

    def __str__(self) -> str:
        text = f"[{self.rule}] {self.message}"
        if self.staff:
            text += f" (staff: {', '.join(_short(self.staff))})"
        if self.schools:
            text += f" (schools: {', '.join(_short(self.schools))})"
        return text


def _short(items: tuple[str, ...], n: int = 10) -> list[str]:
    return list(items[:n]) + ([f"... {len(items) - n} more"] if len(items) > n else [])


def _frac(share: float) -> Fraction:
    return Fraction(str(share))


def _ids(values: Iterable) -> tuple[str, ...]:
    return tuple(dict.fromkeys(str(v) for v in values))


def _as_bool(s: pd.Series) -> pd.Series:
    if s.dtype == bool:
        return s
    return s.map(
        lambda v: v if isinstance(v, bool | np.bool_) else str(v).strip().lower() in ("true", "1")
    )


class _Plan:
    """The plan as every staff member's school before and after.

    Staff without a row stay. A row is applied as written, even for someone who is not
    eligible (``eligible_rows`` reports that), except that an unknown ``to_school`` or
    ``staff_id`` is ignored and a repeated row counts once (the first).
    """

    def __init__(
        self,
        district: District,
        assignments: pd.DataFrame,
        shares: pd.DataFrame | None = None,
        scenario: Scenario | None = None,
    ):
        staff = district.staff
        self.district = district
        self.before = staff["school_id"].astype(str)
        a = assignments.copy()
        a.index = a.index.astype(str)
        a = a[~a.index.duplicated(keep="first")]
        a = a[a.index.isin(staff.index)]
        to = a["to_school"].astype(str)
        to = to[to.isin(district.schools.index)]
        self.after = self.before.copy()
        self.after.loc[to.index] = to.to_numpy()
        self.moved = self.after != self.before
        self.movers = staff.index[self.moved.to_numpy()]
        self.role = staff["role"]
        self.is_teacher = self.role == "teacher"
        self.is_key = self.is_teacher & (staff["key_level"] != "none")
        self.is_cadre = self.role.isin(CADRE_ROLES)
        # Part-time and guidance shares (part_time.csv), and the post-filling moves.
        self.shares = shares if shares is not None and len(shares) else None
        self.pos_after = district.schools.index.get_indexer(self.after)
        self.post_fill = pd.Series(False, index=staff.index)
        if scenario is not None and scenario.forms.post_filling and len(self.movers):
            self.post_fill[self.movers] = post_filling_mask(
                district, self.movers, self.before[self.movers], self.after[self.movers], scenario
            )

        # [forms] training_to_lead: each young teacher's lead school, who is training
        # only, and the moves to the lead school (_training_people, on its own).
        self.lead, self.training_only = _training_people(district, scenario)
        self.training = self.moved & (self.after == self.lead)

    def delta(self) -> pd.DataFrame | None:
        """What the shares change in the per-school counts (None without shares)."""
        if self.shares is None:
            return None
        return count_deltas(self.district, self.pos_after, self.shares)

    def movers_where(self, mask: pd.Series) -> pd.Index:
        return self.district.staff.index[(self.moved & mask).to_numpy()]

    def touching(self, mask: pd.Series, school_id: str) -> tuple[str, ...]:
        """Movers among ``mask`` who leave or join ``school_id``."""
        sel = self.moved & mask & ((self.before == school_id) | (self.after == school_id))
        return _ids(self.district.staff.index[sel.to_numpy()])


_TIER_ORDER = ("strong", "average", "weak")


def _training_people(district: District, scenario: Scenario | None) -> tuple[pd.Series, pd.Series]:
    """Per staff member: the lead school their training move goes to (missing for none)
    and whether they are training only (below rotation tenure), from the tables alone."""
    staff, sch = district.staff, district.schools
    lead = pd.Series(np.nan, index=staff.index, dtype=object)
    only = pd.Series(False, index=staff.index)
    if scenario is None or not scenario.forms.training_to_lead:
        return lead, only
    # the lead school of a group: its strongest school, then the largest, then the first
    best: dict[str, tuple] = {}
    for pos, (sid, row) in enumerate(sch.iterrows()):
        rank = (_TIER_ORDER.index(row["tier"]), -row["students"], pos)
        if row["group"] and (row["group"] not in best or rank < best[row["group"]][0]):
            best[row["group"]] = (rank, sid)
    at = pd.Timestamp(scenario.as_of)
    obliged = set(obligations(district, scenario).index)
    min_years = scenario.eligibility.teacher.min_years_at_school
    for pid, row in staff.iterrows():
        g = sch.at[row["school_id"], "group"]
        if row["role"] != "teacher" or g not in best or pid in obliged:
            continue
        since = (at - row["hire_date"]).days / 365.25  # NaN without a hire_date
        if 0 <= since <= 5 and best[g][1] != row["school_id"]:
            lead[pid] = best[g][1]
            only[pid] = (at - row["school_start_date"]).days / 365.25 < min_years
    return lead, only


def _training(district, scenario: Scenario, plan: _Plan, elig) -> list[Violation]:
    """``training_to_lead``: enough young teachers go to their group's lead school, and a
    training-only one goes nowhere else."""
    need = scenario.forms.training_to_lead
    if not need:
        return []
    out = []
    went = plan.district.staff.index[plan.training.to_numpy()]
    if len(went) < need:
        out.append(
            Violation(
                "training_to_lead",
                f"{len(went)} young teacher(s) move to the lead school of their group, "
                f"training_to_lead needs {need}",
                _ids(went),
            )
        )
    astray = plan.moved & plan.training_only & ~plan.training
    for pid in plan.district.staff.index[astray.to_numpy()]:
        out.append(
            Violation(
                "training_to_lead",
                f"staff {pid}, a young teacher below rotation tenure, may move only to the lead "
                f"school {plan.lead[pid]} of their group, not to {plan.after[pid]}",
                (str(pid),),
                (str(plan.after[pid]),),
            )
        )
    return out


def validate_plan(
    district: District,
    scenario: Scenario,
    assignments: pd.DataFrame,
    *,
    within_horizon: bool = False,
    part_time: pd.DataFrame | None = None,
) -> list[Violation]:
    """Every rule the plan breaks.

    Parameters
    ----------
    district, scenario
        The data and rules the plan was made for.
    assignments : pandas.DataFrame
        Indexed by ``staff_id`` with at least ``from_school, to_school, moved`` (as
        ``Result.assignments`` or :func:`solver.output.plan_folder.read_assignments` give).

    Returns
    -------
    list of Violation
        Empty when the plan keeps every rule (see the module docstring for each rule).
        With ``within_horizon`` (a year of a multi-year plan) the ``[rules]``
        obligations are left to :func:`validate_horizon`, which checks them across years.
    part_time : pandas.DataFrame, optional
        The plan's part-time and guidance shares (``part_time.csv``: ``staff_id,
        home_school, to_school, share, form``); none when not given.
    """
    elig = eligibility(district, scenario)
    out = _eligible_rows(district, elig, assignments)
    plan = _Plan(district, assignments, part_time, scenario)
    for check in (
        _posts_filled,
        _subject_staffing,
        _moves,
        _quotas,
        _outflow,
        _flows,
        _no_return,
        _never_worse,
        _balance,
        _pins,
        _coverage,
        _part_time,
        _training,
    ):
        out += check(district, scenario, plan, elig)
    if not within_horizon:
        out += _obligations(district, scenario, plan, obligations(district, scenario), elig)
    return out


def _obligations(
    district, scenario: Scenario, plan: _Plan, ob: pd.DataFrame, elig
) -> list[Violation]:
    """``new_hire_rural``, ``title_rural``: each eligible obliged person goes to a rural
    (or, for ``title_rural`` with ``title_weak_years``, weak) school."""
    out = []
    sch = district.schools
    for sid, row in ob.iterrows():
        if not elig.at[sid, "eligible"]:
            continue
        to = plan.after[sid]
        ok = plan.moved[sid] and (
            (row["to_rural"] and sch.at[to, "locality"] == "rural")
            or (row["to_weak"] and sch.at[to, "tier"] == "weak")
        )
        if not ok:
            out.append(
                Violation(
                    str(row["rule"]),
                    f"staff {sid} ({row['text']}) must go to a "
                    f"{'rural' if row['to_rural'] else ''}"
                    f"{' or ' if row['to_rural'] and row['to_weak'] else ''}"
                    f"{'weak' if row['to_weak'] else ''} school but is at {to}",
                    (str(sid),),
                    (str(to),),
                )
            )
    return out


# ----------------------------------------------------------------------------- rules


def _eligible_rows(
    district: District, elig: pd.DataFrame, assignments: pd.DataFrame
) -> list[Violation]:
    out: list[Violation] = []
    staff = district.staff
    missing_cols = [
        c for c in ("from_school", "to_school", "moved") if c not in assignments.columns
    ]
    if missing_cols:
        raise ValueError(f"assignments lack the columns {', '.join(missing_cols)}")
    a = assignments.copy()
    a.index = a.index.astype(str)
    rule = "eligible_rows"
    for sid in _ids(a.index[a.index.duplicated()]):
        out.append(Violation(rule, f"staff {sid} has more than one row", (sid,)))
    a = a[~a.index.duplicated(keep="first")]
    unknown = a.index[~a.index.isin(staff.index)]
    for sid in unknown:
        out.append(Violation(rule, f"staff {sid} is not in the district", (sid,)))
    a = a[a.index.isin(staff.index)]
    eligible = elig.index[elig["eligible"].to_numpy()].astype(str)
    for sid in a.index[~a.index.isin(eligible)]:
        out.append(
            Violation(
                rule,
                f"staff {sid} is not eligible ({elig.at[sid, 'reason']}) but has a row",
                (sid,),
                (str(staff.at[sid, "school_id"]),),
            )
        )
    for sid in eligible[~eligible.isin(a.index)]:
        out.append(
            Violation(
                rule, f"eligible staff {sid} has no row", (sid,), (str(staff.at[sid, "school_id"]),)
            )
        )
    cur = staff["school_id"].reindex(a.index).astype(str)
    frm, to = a["from_school"].astype(str), a["to_school"].astype(str)
    for sid in a.index[(frm != cur).to_numpy()]:
        out.append(
            Violation(
                rule,
                f"staff {sid}: from_school {frm[sid]} but works at {cur[sid]}",
                (sid,),
                _ids([cur[sid], frm[sid]]),
            )
        )
    moved = _as_bool(a["moved"])
    for sid in a.index[(moved != (to != frm)).to_numpy()]:
        out.append(
            Violation(
                rule,
                f"staff {sid}: moved is {bool(moved[sid])} but goes from {frm[sid]} to {to[sid]}",
                (sid,),
                _ids([frm[sid], to[sid]]),
            )
        )
    for sid in a.index[~to.isin(district.schools.index).to_numpy()]:
        out.append(
            Violation(
                rule,
                f"staff {sid}: to_school {to[sid]} is not a school of the district",
                (sid,),
                (to[sid],),
            )
        )
    return out


def _posts_filled(district, scenario, plan: _Plan, elig) -> list[Violation]:
    out = []
    ids = district.schools.index
    for role in CADRE_ROLES:
        mask = plan.role == role
        before = plan.before[mask].value_counts().reindex(ids, fill_value=0)
        after = plan.after[mask].value_counts().reindex(ids, fill_value=0)
        for s in ids[(before != after).to_numpy()]:
            out.append(
                Violation(
                    "posts_filled",
                    f"school {s} has {after[s]} {role.replace('_', ' ')}(s) after the plan, {before[s]} before",
                    plan.touching(mask, s),
                    (str(s),),
                )
            )
    return out


def _subject_staffing(district, scenario: Scenario, plan: _Plan, elig) -> list[Violation]:
    out = []
    tol = scenario.staffing.subject_tolerance
    ids = district.schools.index
    subjects = pd.Index(SUBJECTS)
    teach = plan.is_teacher
    subject = district.staff["subject"]
    j = subjects.get_indexer(subject[teach])
    ok = j >= 0
    before = np.zeros((len(ids), len(subjects)), dtype=np.int64)
    after = before.copy()
    np.add.at(before, (ids.get_indexer(plan.before[teach])[ok], j[ok]), 1)
    np.add.at(after, (ids.get_indexer(plan.after[teach])[ok], j[ok]), 1)
    demand = (
        district.demand_matrix().reindex(index=ids, columns=subjects).to_numpy()
        if len(district.demand)
        else before
    )
    cells = set(zip(*np.nonzero(after != before), strict=True))
    for sid in district.staff.index[(plan.moved & teach).to_numpy()]:
        k = subjects.get_loc(subject[sid])
        cells.add((ids.get_loc(plan.before[sid]), k))
        cells.add((ids.get_loc(plan.after[sid]), k))
    for i, k in sorted(cells):
        s, subj = ids[i], subjects[k]
        have, want = int(after[i, k]), int(demand[i, k])
        if abs(have - want) > tol:
            out.append(
                Violation(
                    "subject_staffing",
                    f"school {s} has {have} {subj} teacher(s) after the plan (before {int(before[i, k])}), "
                    f"demand {want} ± {tol}",
                    plan.touching(teach & (subject == subj), s),
                    (str(s),),
                )
            )
    return out


def _moves(district, scenario: Scenario, plan: _Plan, elig) -> list[Violation]:
    """same_level, scope and commute, per mover."""
    out = []
    sch = district.schools
    staff = district.staff
    sc = scenario.scope
    movers = plan.movers
    if not len(movers):
        return out
    frm = plan.before[movers].to_numpy()
    to = plan.after[movers].to_numpy()
    lv_a, lv_b = sch["level"].reindex(frm).to_numpy(), sch["level"].reindex(to).to_numpy()
    zone_a, zone_b = sch["zone"].reindex(frm).to_numpy(), sch["zone"].reindex(to).to_numpy()
    grp_a, grp_b = sch["group"].reindex(frm).to_numpy(), sch["group"].reindex(to).to_numpy()
    dist = haversine_km(
        staff.loc[movers, "home_lat"],
        staff.loc[movers, "home_lon"],
        sch["lat"].reindex(to),
        sch["lon"].reindex(to),
    )
    for k, pid in enumerate(movers):
        pid, a, b = str(pid), str(frm[k]), str(to[k])
        if sc.same_level and not (lv_a[k] == lv_b[k] or "nine_year" in (lv_a[k], lv_b[k])):
            out.append(
                Violation(
                    "same_level",
                    f"staff {pid} moves from a {lv_a[k]} school ({a}) to a {lv_b[k]} school ({b})",
                    (pid,),
                    (a, b),
                )
            )
        family = "teachers" if plan.role[pid] == "teacher" else "principals"
        scope = getattr(sc, family)
        same_zone = zone_a[k] == zone_b[k]
        same_group = grp_a[k] == grp_b[k] and grp_a[k] != ""
        ok = {
            "district": True,
            "cross_zone": not same_zone,
            "within_zone": same_zone,
            "cross_group": not same_group,
            "within_group": same_group,
        }[scope]
        if not ok and not plan.training[pid]:  # a training move is no cross-scope rotation
            out.append(
                Violation(
                    "scope",
                    f"staff {pid} moves from {a} (zone {zone_a[k]}, group {grp_a[k] or '-'}) to {b} "
                    f"(zone {zone_b[k]}, group {grp_b[k] or '-'}), but scope.{family} is {scope}",
                    (pid,),
                    (a, b),
                )
            )
        if dist[k] > scenario.commute.max_km + TOL:
            out.append(
                Violation(
                    "commute",
                    f"staff {pid} would commute {dist[k]:.3f} km to {b}, "
                    f"more than max_km {scenario.commute.max_km:g}",
                    (pid,),
                    (b,),
                )
            )
    return out


def _quotas(district, scenario: Scenario, plan: _Plan, elig: pd.DataFrame) -> list[Violation]:
    out = []
    q = scenario.quotas
    eligible = elig["eligible"].reindex(district.staff.index).to_numpy(dtype=bool)
    # training-only young teachers ([forms] training_to_lead) count on neither side
    counted = eligible & ~plan.training_only.to_numpy()
    n_teachers = int((plan.is_teacher.to_numpy() & counted).sum())
    n_key = int((plan.is_key.to_numpy() & counted).sum())
    n_cadres = int((plan.is_cadre.to_numpy() & eligible).sum())
    # post-filling moves are a staffing measure, not a rotation ([forms] post_filling)
    rotating = ~plan.post_fill & ~plan.training_only
    moved_t = plan.movers_where(plan.is_teacher & rotating)
    moved_k = plan.movers_where(plan.is_key & rotating)
    moved_c = plan.movers_where(plan.is_cadre)

    need = math.ceil(_frac(q.teacher_rotation_min) * n_teachers)
    if len(moved_t) < need:
        out.append(
            Violation(
                "teacher_rotation_min",
                f"{len(moved_t)} teacher(s) move, teacher_rotation_min "
                f"{q.teacher_rotation_min:g} of {n_teachers} eligible needs {need}",
                _ids(moved_t),
            )
        )
    share = _frac(q.key_share_of_rotated_min)
    if q.key_share_basis == "eligible_key":
        need = math.ceil(share * n_key)
        if len(moved_k) < need:
            out.append(
                Violation(
                    "key_share_of_rotated_min",
                    f"{len(moved_k)} key teacher(s) move, "
                    f"key_share_of_rotated_min {q.key_share_of_rotated_min:g} of {n_key} eligible key "
                    f"teachers needs {need}",
                    _ids(moved_k),
                )
            )
    elif len(moved_k) < share * len(moved_t):
        out.append(
            Violation(
                "key_share_of_rotated_min",
                f"{len(moved_k)} of {len(moved_t)} moved teachers are key, "
                f"key_share_of_rotated_min {q.key_share_of_rotated_min:g} needs "
                f"{math.ceil(share * len(moved_t))}",
                _ids(moved_t),
            )
        )
    need = math.ceil(_frac(q.principal_rotation_min) * n_cadres)
    if len(moved_c) < need:
        out.append(
            Violation(
                "principal_rotation_min",
                f"{len(moved_c)} principal(s)/vice principal(s) move, "
                f"principal_rotation_min {q.principal_rotation_min:g} of {n_cadres} eligible needs "
                f"{need}",
                _ids(moved_c),
            )
        )
    return out


def _outflow(district, scenario: Scenario, plan: _Plan, elig) -> list[Violation]:
    out = []
    share = _frac(scenario.quotas.school_outflow_max)
    teach = plan.is_teacher
    now = plan.before[teach].value_counts()
    leaving = plan.before[teach & plan.moved].value_counts()
    for s, n in leaving.items():
        cap = math.floor(share * int(now[s]))
        if n > cap:
            who = district.staff.index[(teach & plan.moved & (plan.before == s)).to_numpy()]
            out.append(
                Violation(
                    "school_outflow_max",
                    f"{n} of {int(now[s])} teachers leave school {s}, "
                    f"school_outflow_max {scenario.quotas.school_outflow_max:g} allows {cap}",
                    _ids(who),
                    (str(s),),
                )
            )
    return out


def _flows(district, scenario: Scenario, plan: _Plan, elig) -> list[Violation]:
    out = []
    movers = plan.movers
    for rule, src, dst, column in (
        ("urban_to_rural_min", ("urban", "town"), ("rural",), "locality"),
        ("rural_to_urban_min", ("rural",), ("urban", "town"), "locality"),
        ("strong_to_weak_min", ("strong",), ("weak",), "tier"),
    ):
        kind = district.schools[column]
        frm = kind.reindex(plan.before[movers]).to_numpy()
        to = kind.reindex(plan.after[movers]).to_numpy()
        share = _frac(getattr(scenario.flow, rule))
        out_all = np.isin(frm, src)
        out_to = out_all & np.isin(to, dst)
        if out_to.sum() < share * out_all.sum():
            out.append(
                Violation(
                    rule,
                    f"{int(out_to.sum())} of {int(out_all.sum())} moves out of "
                    f"{'/'.join(src)} schools go to {'/'.join(dst)} ones, {rule} "
                    f"{float(share):g} needs {math.ceil(share * int(out_all.sum()))}",
                    _ids(movers[out_all]),
                    _ids(plan.before[movers[out_all]]),
                )
            )
    return out


def _no_return(district, scenario: Scenario, plan: _Plan, elig) -> list[Violation]:
    """No mover goes to a school they served (history) within ``no_return_years``."""
    years = scenario.horizon.no_return_years
    h = district.history
    if years <= 0 or not len(h) or not len(plan.movers):
        return []
    at = pd.Timestamp(scenario.as_of)
    since = at - pd.Timedelta(days=years * 365.25)
    out = []
    to = plan.after[plan.movers]
    for row in h[h["staff_id"].astype(str).isin(plan.movers)].itertuples(index=False):
        sid, school = str(row.staff_id), str(row.school_id)
        ended = row.end_date if not pd.isna(row.end_date) else at
        began = row.start_date if not pd.isna(row.start_date) else pd.Timestamp.min
        if to[sid] == school and ended > since and began < at:
            out.append(
                Violation(
                    "no_return_years",
                    f"staff {sid} goes to {school}, served until "
                    f"{'now' if pd.isna(row.end_date) else f'{row.end_date:%Y-%m-%d}'}, within "
                    f"no_return_years {years:g}",
                    (sid,),
                    (school,),
                )
            )
    return out


def _never_worse(district, scenario: Scenario, plan: _Plan, elig) -> list[Violation]:
    """With ``never_worse``: each mover with wishes goes to a school ranked above staying."""
    w = district.preferences
    if not scenario.placement.never_worse or not len(w) or not len(plan.movers):
        return []
    rank = {(str(r.staff_id), str(r.school_id)): int(r.rank) for r in w.itertuples(index=False)}
    wishers = set(w["staff_id"].astype(str))
    out = []
    for sid in plan.movers.astype(str):
        if sid not in wishers:
            continue
        home, to = plan.before[sid], plan.after[sid]
        got, stay = rank.get((sid, to)), rank.get((sid, home))
        if got is None or (stay is not None and got >= stay):
            where = "not on their wishes" if got is None else f"their wish {got}"
            below = "" if stay is None else f", below staying (wish {stay})"
            out.append(
                Violation(
                    "never_worse",
                    f"staff {sid} goes to {to}, {where}{below}",
                    (sid,),
                    (to,),
                )
            )
    return out


def _balance(district, scenario: Scenario, plan: _Plan, elig) -> list[Violation]:
    out = []
    bal = scenario.balance
    caps = {(ind, lvl): bal.max_cv_for(lvl, ind) for ind in bal.indicators for lvl in LEVEL_PARTS}
    if all(c is None for c in caps.values()) and bal.min_per_100 is None:
        return out
    after = school_indicators(district, plan.after, plan.delta())
    flags = indicator_flags(district.staff)
    sch = district.schools
    for ind in bal.indicators:
        counted = pd.Series(flags[ind].to_numpy(), index=district.staff.index)
        for lvl in LEVEL_PARTS:
            cap = caps[ind, lvl]
            if cap is None:
                continue
            w = sch[f"{lvl}_students"].to_numpy(dtype=float)
            cv = difference_coefficient(w, after[ind].to_numpy())
            if not math.isnan(cv) and cv > cap + TOL:
                in_level = sch.index[w > 0]
                who = plan.movers_where(
                    counted & (plan.before.isin(in_level) | plan.after.isin(in_level))
                )
                out.append(
                    Violation(
                        "max_cv",
                        f"difference coefficient of {ind} ({lvl}) is {cv:.4f} after the "
                        f"plan, max_cv {cap:g}",
                        _ids(who),
                        _ids(in_level),
                    )
                )
        if bal.min_per_100 is not None:
            low = after.index[(after[ind] < bal.min_per_100 - TOL).to_numpy()]
            for s in low:
                out.append(
                    Violation(
                        "min_per_100",
                        f"school {s} has {after.at[s, ind]:.4f} {ind} after the plan, "
                        f"min_per_100 {bal.min_per_100:g}",
                        plan.touching(counted, s),
                        (str(s),),
                    )
                )
    return out


def _pins(district, scenario, plan: _Plan, elig) -> list[Violation]:
    out = []
    pins = district.pins
    if pins is None or not len(pins):
        return out
    for row in pins.itertuples(index=False):
        sid = str(row.staff_id)
        if sid not in plan.after.index:
            out.append(Violation("pins", f"pin for unknown staff {sid}", (sid,)))
            continue
        a, b = plan.before[sid], plan.after[sid]
        if row.action == "stay":
            ok, want = a == b, f"stay at {a}"
        elif row.action == "move":
            ok, want = a != b, f"leave {a}"
        else:
            ok, want = b == str(row.school_id), f"go to {row.school_id}"
        if not ok:
            out.append(
                Violation(
                    "pins",
                    f"staff {sid} is pinned to {want} but the plan has them at {b}",
                    (sid,),
                    _ids([a, b] + ([str(row.school_id)] if row.action == "to" else [])),
                )
            )
    return out


def _coverage(district, scenario: Scenario, plan: _Plan, elig) -> list[Violation]:
    f = scenario.forms
    out: list[Violation] = []
    if not f.coverage_subjects:
        return out
    have = subject_equivalents(district, plan.pos_after, plan.shares)
    teach = plan.is_teacher
    for subj in dict.fromkeys(f.coverage_subjects):
        low = have.index[(have[subj] < f.coverage_min - TOL).to_numpy()]
        for s in low:
            out.append(
                Violation(
                    "coverage_subjects",
                    f"school {s} has {have.at[s, subj]:.1f} teacher-equivalents of {subj} after "
                    f"the plan, coverage_min {f.coverage_min:g}",
                    plan.touching(teach & (district.staff["subject"] == subj), s),
                    (str(s),),
                )
            )
    return out


def _part_time(district, scenario: Scenario, plan: _Plan, elig) -> list[Violation]:
    """Each share of part_time.csv, then the totals per teacher."""
    out: list[Violation] = []
    rows = plan.shares
    if rows is None:
        return out
    f = scenario.forms
    ctx = _ShareContext(district, scenario, plan)
    total: dict[str, Fraction] = {}
    schools: dict[str, set[str]] = {}
    for r in rows.itertuples(index=False):
        sid, to = str(r.staff_id), str(r.to_school)
        problems, tenths_ = ctx.problems(r)
        out += [Violation("part_time", f"staff {sid} → {to}: {m}", (sid,), (to,)) for m in problems]
        if tenths_ is not None:
            total[sid] = total.get(sid, Fraction(0)) + Fraction(tenths_, TENTHS)
            schools.setdefault(sid, set()).add(to)
    for sid, t in total.items():
        if t > _frac(f.part_time_max_share):
            out.append(
                Violation(
                    "part_time",
                    f"staff {sid} gives away {float(t):g} of their week, part_time_max_share "
                    f"{f.part_time_max_share:g}",
                    (sid,),
                    _ids(sorted(schools[sid])),
                )
            )
        if len(schools[sid]) > f.part_time_max_schools:
            out.append(
                Violation(
                    "part_time",
                    f"staff {sid} serves {len(schools[sid])} other schools, "
                    f"part_time_max_schools {f.part_time_max_schools}",
                    (sid,),
                    _ids(sorted(schools[sid])),
                )
            )
    # guidance goes to one school (a teacher's one guidance_share of their week)
    guided = rows.loc[rows["form"].astype(str) == "guidance", ["staff_id", "to_school"]]
    for sid, to in guided.astype(str).groupby("staff_id")["to_school"]:
        if to.nunique() > 1:
            out.append(
                Violation(
                    "part_time",
                    f"staff {sid} guides {to.nunique()} schools, guidance goes to one",
                    (str(sid),),
                    _ids(sorted(set(to))),
                )
            )
    return out


class _ShareContext:
    """What the check of one part_time.csv row needs, computed once."""

    def __init__(self, district: District, scenario: Scenario, plan: _Plan):
        self.district, self.scenario, self.plan = district, scenario, plan
        f = scenario.forms
        self.on = {"part_time": f.part_time, "guidance": f.guidance}
        staff = district.staff
        self.serve = {
            form: pd.Series(may_serve(district, form, scenario), index=staff.index)
            for form in SHARE_FORMS
        }
        self.weak = weak_subjects(district)
        sch = district.schools
        self.rural_or_weak = (sch["locality"] == "rural") | (sch["tier"] == "weak")

    def problems(self, r) -> tuple[list[str], int | None]:
        """What is wrong with row ``r``, and its tenths (None: the row counts for nothing)."""
        d, sc, plan = self.district, self.scenario, self.plan
        staff, sch = d.staff, d.schools
        sid, to, form = str(r.staff_id), str(r.to_school), str(r.form)
        if sid not in staff.index:
            return ["not in the district"], None
        if to not in sch.index:
            return ["not a school of the district"], None
        if form not in SHARE_FORMS or not self.on[form]:
            return [f"form {form!r} is not switched on in [forms]"], None
        share = pd.to_numeric(pd.Series([r.share]), errors="coerce").iat[0]
        if not share == share or share <= 0 or abs(share * TENTHS - round(share * TENTHS)) > 1e-6:
            return [f"share {r.share} is not a positive whole number of tenths"], None
        out = []
        if not self.serve[form][sid]:
            who = "a teacher of part_time_subjects" if form == "part_time" else "a key teacher"
            out.append(f"may not serve ({form}: {who}, on payroll, not exempt)")
        here = plan.after[sid]
        if plan.moved[sid]:
            out.append(f"moves full time to {here} and serves part time too")
        if hasattr(r, "home_school") and str(r.home_school) != plan.before[sid]:
            out.append(f"home_school {r.home_school} but works at {plan.before[sid]}")
        if to == here:
            out.append("is their own school")
        km = float(
            haversine_km(
                staff.at[sid, "home_lat"],
                staff.at[sid, "home_lon"],
                sch.at[to, "lat"],
                sch.at[to, "lon"],
            )
        )
        if km > sc.commute.max_km + TOL:
            out.append(f"{km:.1f} km from home, beyond max_km {sc.commute.max_km:g}")
        la, lb = sch.at[here, "level"], sch.at[to, "level"]
        if sc.scope.same_level and not (la == lb or "nine_year" in (la, lb)):
            out.append(f"a {lb} school and they work at a {la} one (same_level)")
        if form == "guidance":
            out += self._guidance(sid, to, share)
        return out, int(round(share * TENTHS))

    def _guidance(self, sid: str, to: str, share: float) -> list[str]:
        out = []
        g = self.scenario.forms.guidance_share
        if not self.rural_or_weak[to]:
            out.append("guidance goes to rural or weak schools only")
        subj = self.district.staff.at[sid, "subject"]
        if subj not in self.weak.columns or not self.weak.at[to, subj]:
            out.append(f"{subj} is not a weak subject of {to}")
        if abs(share - g) > 1e-6:
            out.append(f"guidance share {share:g}, guidance_share is {g:g}")
        return out


# ----------------------------------------------------------------------------- plan folder


def validate_plan_dir(
    plan_dir: str | Path, district: District, scenario: Scenario
) -> list[Violation]:
    """Validate a plan folder: its ``assignments.csv`` against every rule, and the folder
    against itself.

    Besides the rules of :func:`validate_plan`: ``plan_files`` (``schools.csv`` and
    ``summary.json`` exist), ``schools_table`` (``schools.csv`` lists every school, and its
    before and after head counts and indicators are those of the district and the
    assignments), ``summary`` (``summary.json``'s difference coefficients equal those
    recomputed from ``schools.csv`` with
    :func:`solver.rules.indicators.difference_coefficient`, to 1e-9, and its counts of eligible
    and moved people match the assignments; with ``[forms]`` its ``forms`` counts match
    ``part_time.csv`` and the post-filling moves). With ``[forms]`` shares the plan's
    ``part_time.csv`` is read and checked (``plan_files`` when it is missing).

    Raises
    ------
    InputError
        When ``assignments.csv`` is missing or lacks columns.
    """
    plan_dir = Path(plan_dir)
    a = read_assignments(plan_dir)
    files: list[Violation] = []
    shares = read_part_time(plan_dir)
    if shares is None and scenario.forms.shares:
        files.append(Violation("plan_files", f"{plan_dir / 'part_time.csv'} is missing ([forms])"))
    out = files + validate_plan(district, scenario, a, part_time=shares)
    plan = _Plan(district, a, shares, scenario)
    missing = [f for f in ("schools.csv", "summary.json") if not (plan_dir / f).is_file()]
    for f in missing:
        out.append(Violation("plan_files", f"{plan_dir / f} is missing"))
    table = None
    if "schools.csv" not in missing:
        table = read_plan_csv(plan_dir / "schools.csv", dtype={"school_id": str}).set_index(
            "school_id"
        )
        out += _schools_table(district, plan, table)
    if "summary.json" not in missing:
        info = read_json_file(plan_dir / "summary.json")
        if not isinstance(info, dict):
            raise InputError(
                Problem(file=str(plan_dir / "summary.json"), message="not a plan summary")
            )
        out += _summary(info, table, a)
        out += _summary_forms(info, shares, plan)
        out += _priority(scenario, info.get("stats") or {}, [(district, a)], "summary.json")
    return out


def _priority(
    scenario: Scenario,
    stats: dict,
    years: list[tuple[District, pd.DataFrame]],
    where: str,
) -> list[Violation]:
    """``priority``: each ``[rules] priority`` stream's rotated person-years, recomputed
    from the plan (each year's movers on that year's district, weighted ``years − y + 1``),
    are at least the value its stage reports in ``stats`` (the stage held it), and the
    stage's bound is not below its value. Streams without a reported stage (the stage
    found no plan) are not checked."""
    out: list[Violation] = []
    for stream in scenario.rules.priority:
        value = stats.get(f"priority_{stream}_value")
        if value is None:
            continue
        gain = 0
        for y, (state, a) in enumerate(years, start=1):
            movers = a.index[_as_bool(a["moved"]).to_numpy()].astype(str)
            movers = movers[movers.isin(state.staff.index)]
            gain += year_weight(y, len(years)) * int(in_stream(state, movers, stream).sum())
        if gain < float(value) - TOL:
            out.append(
                Violation(
                    "priority",
                    f"{where} gives stream {stream!r} {value:g} rotated person-years, "
                    f"the plan has {gain}",
                )
            )
        bound = stats.get(f"priority_{stream}_bound")
        if bound is not None and float(bound) < float(value) - TOL:
            out.append(
                Violation(
                    "priority",
                    f"{where} gives stream {stream!r} a bound {bound:g} below its value {value:g}",
                )
            )
    return out


def _schools_table(district: District, plan: _Plan, table: pd.DataFrame) -> list[Violation]:
    out = []
    ids = district.schools.index
    absent = ids[~ids.isin(table.index)]
    extra = table.index[~table.index.isin(ids)]
    if len(absent) or len(extra):
        out.append(
            Violation(
                "schools_table",
                "schools.csv does not list exactly the district's schools "
                f"(missing {list(absent)}, extra {list(extra)})",
                (),
                _ids([*absent, *extra]),
            )
        )
    table = table.reindex(ids)
    delta = plan.delta()
    counts = {
        "before": school_counts(district),
        "after": school_counts(district, plan.after, delta),
    }
    values = {
        "before": school_indicators(district),
        "after": school_indicators(district, plan.after, delta),
    }
    for side in ("before", "after"):
        for m in ("principals", "vice_principals", "teachers", "key_teachers"):
            col = f"{m}_{side}"
            if col not in table.columns:
                out.append(Violation("schools_table", f"schools.csv has no column {col}"))
                continue
            got = pd.to_numeric(table[col], errors="coerce")
            bad = ids[~np.isclose(got.to_numpy(dtype=float), counts[side][m], rtol=0, atol=1e-6)]
            for s in bad:
                out.append(
                    Violation(
                        "schools_table",
                        f"schools.csv says {col} = {got[s]} at {s}, the plan gives "
                        f"{counts[side].at[s, m]}",
                        (),
                        (str(s),),
                    )
                )
        for ind in ("key_per_100", "pe_art_per_100", "qualified_per_100"):
            col = f"{ind}_{side}"
            if col not in table.columns:
                out.append(Violation("schools_table", f"schools.csv has no column {col}"))
                continue
            got = pd.to_numeric(table[col], errors="coerce").to_numpy(dtype=float)
            want = values[side][ind].to_numpy(dtype=float)
            for s in ids[~np.isclose(got, want, rtol=0, atol=TOL)]:
                out.append(
                    Violation(
                        "schools_table",
                        f"schools.csv says {col} = {table.at[s, col]} at {s}, the plan "
                        f"gives {values[side].at[s, ind]}",
                        (),
                        (str(s),),
                    )
                )
    return out


def _summary(info: dict, table: pd.DataFrame | None, a: pd.DataFrame) -> list[Violation]:
    out = []
    counts = info.get("counts", {})
    moved = int(_as_bool(a["moved"]).sum())
    if counts.get("eligible") != len(a):
        out.append(
            Violation(
                "summary",
                f"summary.json counts {counts.get('eligible')} eligible, assignments.csv "
                f"has {len(a)} rows",
            )
        )
    if counts.get("moved") != moved:
        out.append(
            Violation(
                "summary",
                f"summary.json counts {counts.get('moved')} moved, assignments.csv has {moved}",
            )
        )
    coef = info.get("coefficients")
    if not isinstance(coef, dict):
        out.append(Violation("summary", "summary.json has no coefficients"))
        return out
    if table is None:
        return out
    for ind, by_level in coef.items():
        for lvl, sides in by_level.items():
            for side in ("before", "after"):
                col, wcol = f"{ind}_{side}", f"{lvl}_students"
                if col not in table.columns or wcol not in table.columns:
                    out.append(
                        Violation(
                            "summary",
                            f"cannot recompute {ind} ({lvl}, {side}): schools.csv lacks "
                            f"{col if col not in table.columns else wcol}",
                        )
                    )
                    continue
                want = difference_coefficient(
                    table[wcol].to_numpy(dtype=float), table[col].to_numpy(dtype=float)
                )
                got = sides.get(side) if isinstance(sides, dict) else None
                got = float("nan") if got is None else float(got)
                same = (math.isnan(got) and not math.isfinite(want)) or abs(got - want) <= TOL
                if not same:
                    out.append(
                        Violation(
                            "summary",
                            f"summary.json gives the {side} difference coefficient of {ind} "
                            f"({lvl}) as {got}, schools.csv gives {want}",
                        )
                    )
    return out


def _summary_forms(info: dict, shares: pd.DataFrame | None, plan: _Plan) -> list[Violation]:
    """``summary.json``'s ``forms``: the teacher-equivalents each form gives, and the
    post-filling moves, as ``part_time.csv`` and ``assignments.csv`` have them."""
    forms = info.get("forms")
    if not isinstance(forms, dict):
        return []
    out = []
    for form in SHARE_FORMS:
        got = (forms.get(form) or {}).get("teacher_equivalents")
        rows = shares[shares["form"] == form] if shares is not None else None
        want = 0.0 if rows is None else float(rows["share"].sum())
        if got is None or abs(float(got) - want) > 1e-6:
            out.append(
                Violation(
                    "summary",
                    f"summary.json gives {form} teacher_equivalents {got}, part_time.csv {want:g}",
                )
            )
    if "training_to_lead" in forms or plan.lead.notna().any():
        want_tr = int(plan.training.sum())
        if forms.get("training_to_lead") != want_tr:
            out.append(
                Violation(
                    "summary",
                    f"summary.json counts {forms.get('training_to_lead')} training moves to a "
                    f"lead school, the plan has {want_tr}",
                )
            )
    want_pf = int(plan.post_fill.sum())
    if forms.get("post_filling") != want_pf:
        out.append(
            Violation(
                "summary",
                f"summary.json counts {forms.get('post_filling')} post-filling moves, the plan "
                f"has {want_pf}",
            )
        )
    return out


def summarize(violations: list[Violation]) -> str:
    """A readable report: a count per rule, then each violation."""
    if not violations:
        return "the plan keeps every rule"
    by_rule: dict[str, int] = {}
    for v in violations:
        by_rule[v.rule] = by_rule.get(v.rule, 0) + 1
    head = f"{len(violations)} violation(s): " + ", ".join(f"{r} {n}" for r, n in by_rule.items())
    return "\n".join([head, *(f"  - {v}" for v in violations)])


# ----------------------------------------------------------------------------- horizon

#: The cross-year rules of a multi-year plan.
HORIZON_RULES: tuple[str, ...] = ("horizon_files", "rotation_once", "coverage_min", "horizon")


def validate_horizon(
    district: District, scenario: Scenario, years: list[pd.DataFrame]
) -> list[Violation]:
    """Every rule a multi-year plan breaks, each year and across years.

    Year y's ``assignments`` (``years[y - 1]``) are checked by :func:`validate_plan` on
    the district as it stands at the start of year y, once the plan's earlier years are
    carried out (:func:`solver.rules.horizon.advance`; so ``from_school`` is where each
    person is at the start of the year, and ``no_return_years`` sees the earlier
    years' postings), under that year's scenario. Across years: ``rotation_once`` (a
    person moves in at most one year) and ``coverage_min`` (of the people eligible in
    at least one year, at least ``ceil(coverage_min · n)`` move). Messages of a year
    start with ``year y:``.
    """
    from .rules.horizon import advance, year_scenario, year_start

    out: list[Violation] = []
    state = district
    eligible_any: set[str] = set()
    moved_in: dict[str, int] = {}
    owed: dict[str, Violation] = {}  # obliged people not yet sent where their rule says
    movable: set[str] = set()
    for y, a in enumerate(years, start=1):
        sc = year_scenario(scenario, y)
        for v in validate_plan(state, sc, a, within_horizon=True):
            out.append(Violation(v.rule, f"year {y}: {v.message}", v.staff, v.schools))
        elig = eligibility(state, sc)
        m = permitted_moves(state, sc, elig)
        movable |= set(m.people.index[m.ok.any(axis=1)].astype(str))
        ob = obligations(state, sc)
        broken = {v.staff[0]: v for v in _obligations(state, sc, _Plan(state, a), ob, elig)}
        for sid in ob.index.astype(str):
            if sid in broken and elig.at[sid, "eligible"]:
                owed.setdefault(sid, broken[sid])
            elif elig.at[sid, "eligible"]:
                owed.pop(sid, None)
                owed[sid] = None  # fulfilled this year
        eligible_any |= set(elig.index[elig["eligible"].to_numpy()].astype(str))
        plan = _Plan(state, a)
        for sid in plan.movers.astype(str):
            if sid in moved_in:
                out.append(
                    Violation(
                        "rotation_once",
                        f"staff {sid} moves in year {moved_in[sid]} and again in year {y}",
                        (sid,),
                    )
                )
            else:
                moved_in[sid] = y
        moves = plan.after[plan.movers]
        state, _ = advance(
            state,
            scenario,
            moves,
            year_start(scenario.as_of, y - 1),
            year_start(scenario.as_of, y),
        )
    for v in owed.values():
        if v is not None:
            out.append(Violation(v.rule, f"within the horizon: {v.message}", v.staff, v.schools))
    # The denominator: eligible in some year with a permitted school in such a year
    # (the rules' own arithmetic of permitted moves, as the eligibility is).
    counted = eligible_any & movable
    n = len(counted)
    need = math.ceil(_frac(scenario.horizon.coverage_min) * n)
    covered = len(counted & set(moved_in))
    if covered < need:
        out.append(
            Violation(
                "coverage_min",
                f"{covered} of the {n} people eligible in some year (with a permitted school) "
                f"move, coverage_min {scenario.horizon.coverage_min:g} needs {need}",
            )
        )
    return out


def validate_horizon_dir(
    plan_dir: str | Path, district: District, scenario: Scenario
) -> list[Violation]:
    """Validate a multi-year plan folder: ``year1/``, ``year2/``, ... each as a plan folder
    (:func:`validate_plan_dir`, on its year's district), the cross-year rules of
    :func:`validate_horizon`, and ``horizon.json`` against the years (``horizon``: its
    years, and per year the eligible and moved counts and the coverage it reports).

    Raises
    ------
    InputError
        When a year's ``assignments.csv`` is missing or lacks columns.
    """
    from .rules.horizon import advance, year_scenario, year_start

    plan_dir = Path(plan_dir)
    hfile = plan_dir / "horizon.json"
    out: list[Violation] = []
    info: dict = {}
    if hfile.is_file():
        info = json.loads(hfile.read_text(encoding="utf-8"))
    else:
        out.append(Violation("horizon_files", f"{hfile} is missing"))
    n = int(info.get("years", 0)) or len(sorted(plan_dir.glob("year[0-9]*")))
    folders = [plan_dir / f"year{y}" for y in range(1, n + 1)]
    for f in folders:
        if not f.is_dir():
            out.append(Violation("horizon_files", f"{f} is missing"))
    if any(not f.is_dir() for f in folders) or n == 0:
        return out
    years = [read_assignments(f) for f in folders]
    out += validate_horizon(district, scenario, years)
    # Each year folder against itself, on its year's district.
    state = district
    states: list[District] = []
    for y, (f, a) in enumerate(zip(folders, years, strict=True), start=1):
        states.append(state)
        sc = year_scenario(scenario, y)
        for v in validate_plan_dir(f, state, sc):
            if v.rule in PLAN_RULES:
                out.append(Violation(v.rule, f"year {y}: {v.message}", v.staff, v.schools))
        plan = _Plan(state, a)
        state, _ = advance(
            state,
            scenario,
            plan.after[plan.movers],
            year_start(scenario.as_of, y - 1),
            year_start(scenario.as_of, y),
        )
    out += _horizon_json(info, years)
    out += _priority(
        scenario, info.get("stats") or {}, list(zip(states, years, strict=True)), "horizon.json"
    )
    return out


def _horizon_json(info: dict, years: list[pd.DataFrame]) -> list[Violation]:
    out: list[Violation] = []
    if not info:
        return out
    per_year = info.get("per_year", [])
    if len(per_year) != len(years):
        out.append(
            Violation(
                "horizon", f"horizon.json lists {len(per_year)} years, the folder has {len(years)}"
            )
        )
        return out
    eligible_any: set[str] = set()
    moved_any: set[str] = set()
    for y, (row, a) in enumerate(zip(per_year, years, strict=True), start=1):
        moved = _as_bool(a["moved"])
        eligible_any |= set(a.index.astype(str))
        moved_any |= set(a.index[moved.to_numpy()].astype(str))
        for key, want in (("eligible", len(a)), ("moved", int(moved.sum()))):
            if row.get(key) != want:
                out.append(
                    Violation(
                        "horizon",
                        f"horizon.json year {y} gives {key} {row.get(key)}, assignments.csv {want}",
                    )
                )
    cov = info.get("coverage", {})
    share = len(moved_any) / len(eligible_any) if eligible_any else 1.0
    got = cov.get("share")
    if got is None or abs(float(got) - share) > TOL:
        out.append(
            Violation("horizon", f"horizon.json gives coverage.share {got}, the years give {share}")
        )
    return out
