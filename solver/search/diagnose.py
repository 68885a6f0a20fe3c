"""Why the rules cannot all hold: a small set of conflicting rules, in planners' terms.

Three steps, cheapest first:

1. **Counting checks** (:func:`solver.rules.precheck.precheck`), before any solve: necessary conditions that
   a plan must meet, each a proof of infeasibility when it fails ("the 10% rotation
   quota needs 41 moves; the outflow cap and commute limit allow at most 37"; "school
   S must have 3 math teachers but only 1 eligible math teacher may go there").
2. **Core extraction**, when no counting check fails: every rule instance of the model
   (per rule, school, subject, ...) is guarded by a literal in diagnosis mode
   (:class:`solver.model.rotation.RotationModel`); CP-SAT solves under the assumption that all
   guards hold and returns a sufficient subset of them; deletion shrinks it towards a
   minimal set.
3. **Relaxations** (:func:`suggest_relaxations`): for each rule named, the smallest
   change of its scenario key that makes the rules feasible on their own, found by
   bisection with short solves (e.g. the commute limit that would suffice, the largest
   feasible rotation share).

Rule families (``diagnosis["rules"]``) are the model's: ``posts_filled,
subject_staffing, teacher_rotation_min, key_share_of_rotated_min,
principal_rotation_min, school_outflow_max, urban_to_rural_min, rural_to_urban_min,
max_cv, min_per_100, pin, same_level, scope, commute``.
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Any

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from ..input.data import District
from ..input.scenario import Scenario
from ..model.rotation import RotationModel
from ..plan.result import Result, SolveStatus
from ..progress import Budget, Progress, as_progress
from ..rules.eligibility import eligibility
from ..rules.forms import nearest_teachers
from ..rules.indicators import LEVEL_PARTS, coefficients, school_indicators
from ..rules.moves import (
    at_least,
    at_most,
    permitted_moves,
)
from ..rules.precheck import Counts, precheck, short
from .engine import probe

#: Seconds the conflict search and the relaxation search of a diagnosis each get at
#: least, however little of the call's budget is left.
DIAGNOSIS_FLOOR_S = 5.0

# ============================================================================ core extraction


def _describe_flow(rule: str, rest: list, sc: Scenario, built: RotationModel) -> str:
    """The flow rules, ``no_return_years``, the ``[rules]`` obligations,
    ``coverage_subjects`` and ``training_to_lead``, in words."""
    if rule in ("urban_to_rural_min", "rural_to_urban_min"):
        src, dst = (
            ("urban/town", "rural") if rule == "urban_to_rural_min" else ("rural", "urban/town")
        )
        n_dst = int(
            np.isin(built.locality, ["rural"] if dst == "rural" else ["urban", "town"]).sum()
        )
        return (
            f"{rule} {getattr(sc.flow, rule):g}: that share of moves out of {src} schools must go to "
            f"{dst} schools ({n_dst} in the district)"
        )
    if rule == "strong_to_weak_min":
        n_weak = int((built.district.schools["tier"] == "weak").sum())
        return (
            f"strong_to_weak_min {sc.flow.strong_to_weak_min:g}: that share of moves out of strong "
            f"schools must go to weak schools ({n_weak} in the district)"
        )
    if rule == "coverage_subjects":
        s, subj = rest
        pos = built.district.schools.index.get_loc(s)
        near = nearest_teachers(built.district, pos, subj, sc)
        named = ", ".join(f"{sid} at {home} ({km:.1f} km)" for sid, home, km in near)
        return (
            f"school {s} has at least {sc.forms.coverage_min:g} teacher-equivalents of {subj} "
            f"(coverage_subjects); the nearest {subj} teachers who could serve it: {named or 'none'}"
        )
    if rule == "training_to_lead":
        # the moves no pruning rule forbids (a diagnosis model keeps the others)
        pr = built.pairs
        ok = built.training_pair & built.masks.room[pr["p"].to_numpy(), pr["s"].to_numpy()]
        for col in ("breaks_level", "breaks_scope", "breaks_commute"):
            if col in pr:
                ok &= ~pr[col].to_numpy(dtype=bool)
        n = int(ok.sum())
        return (
            f"training_to_lead needs {sc.forms.training_to_lead} young teacher(s) at the lead "
            f"school of their group ({n} such move(s) possible)"
        )
    if rule in ("new_hire_rural", "title_rural"):
        why = built.obliged.at[rest[0], "text"] if rest[0] in built.obliged.index else ""
        kind = "a rural school" if rule == "new_hire_rural" else "a rural (or weak) school"
        return f"[rules] {rule}: {rest[0]} ({why}) must go to {kind}"
    return (
        f"no_return_years {sc.horizon.no_return_years:g}: {rest[0]} may not go back to a school "
        "served within that many years (history.csv)"
    )


def _describe(key: tuple, sc: Scenario, built: RotationModel) -> str:
    rule, *rest = key
    q = sc.quotas
    if rule == "subject_staffing":
        s, subj = rest
        want = int(built.demand.at[s, subj])
        now = int(built.teacher_now.at[s, subj])
        tol = sc.staffing.subject_tolerance
        return (
            f"school {s} keeps between {max(0, want - tol)} and {want + tol} {subj} teacher(s) "
            f"(demand {want} ± {tol}; now {now})"
        )
    if rule == "posts_filled":
        n = int(built.role_now.at[rest[0], rest[1]])
        return (
            f"school {rest[0]} keeps exactly {n} {rest[1].replace('_', ' ')}(s): posts stay filled"
        )
    if rule == "teacher_rotation_min":
        n = int((built.people["is_teacher"].to_numpy() & ~built.training_only).sum())
        return f"teacher_rotation_min {q.teacher_rotation_min:g} needs {built.need_teachers} of {n} eligible teachers to move"
    if rule == "key_share_of_rotated_min":
        n_key = int((built.people["is_key"].to_numpy() & ~built.training_only).sum())
        if q.key_share_basis == "eligible_key":
            return (
                f"key_share_of_rotated_min {q.key_share_of_rotated_min:g} (eligible_key) needs "
                f"{at_least(q.key_share_of_rotated_min, n_key)} of {n_key} eligible key teachers to move"
            )
        return (
            f"key_share_of_rotated_min {q.key_share_of_rotated_min:g}: key teachers are at least that share "
            f"of moved teachers ({n_key} eligible key teachers)"
        )
    if rule == "principal_rotation_min":
        n = int(built.people["is_cadre"].sum())
        return (
            f"principal_rotation_min {q.principal_rotation_min:g} needs {at_least(q.principal_rotation_min, n)} "
            f"of {n} eligible principals and vice principals to move"
        )
    if rule == "school_outflow_max":
        n = int(built.role_now.at[rest[0], "teacher"])
        return (
            f"school_outflow_max {q.school_outflow_max:g} lets at most {at_most(q.school_outflow_max, n)} of "
            f"the {n} teachers of school {rest[0]} leave"
        )
    if rule in (
        "urban_to_rural_min",
        "rural_to_urban_min",
        "strong_to_weak_min",
        "no_return_years",
        "new_hire_rural",
        "title_rural",
        "coverage_subjects",
        "training_to_lead",
    ):
        return _describe_flow(rule, rest, sc, built)
    if rule == "max_cv":
        ind, lvl = rest
        cap = sc.balance.max_cv_for(lvl, ind)
        now = coefficients(built.district, school_indicators(built.district))[ind][lvl]
        return f"max_cv {cap:g} caps the difference coefficient of {ind} in {lvl} schools (now {now:.3f})"
    if rule == "min_per_100":
        s, ind = rest
        students = int(built.district.schools.at[s, "students"])
        need = math.ceil(sc.balance.min_per_100 * students / 100.0 - 1e-9)
        return f"school {s} needs at least {need} teacher(s) counted by {ind} (min_per_100 {sc.balance.min_per_100:g})"
    if rule == "pin":
        pins = built.district.pins
        row = pins[pins["staff_id"] == rest[0]].iloc[0]
        what = {"stay": "keeps {sid} at their school", "move": "moves {sid}"}.get(
            row["action"], "sends {sid} to " + str(row["school_id"])
        )
        return "pins.csv " + what.format(sid=rest[0])
    if rule == "commute":
        return (
            f"max_km {sc.commute.max_km:g}: school {rest[0]} is beyond it for the people involved"
        )
    if rule == "scope":
        return f"scope.{rest[0]} = {getattr(sc.scope, rest[0])}"
    if rule == "same_level":
        return "same_level: staff move only to schools of their level (nine-year schools take both)"
    return " ".join(map(str, key))


def _core(
    district: District, scenario: Scenario, elig: pd.DataFrame | None, time_limit_s: float
) -> tuple[list[dict], bool, bool]:
    """A conflict of guarded rule instances, shrunk towards minimal: (items, found, minimal)."""
    built = RotationModel(district, scenario, diagnose=True, elig=elig)
    model = built.model
    model.clear_objective()
    keys = list(built.guards)
    lits = [built.guards[k] for k in keys]
    deadline = time.perf_counter() + time_limit_s

    def infeasible(subset: list[int], limit: float) -> tuple[bool, list[int]]:
        code, core_lits = probe(model, limit, assumptions=[lits[i] for i in subset])
        if code == cp_model.INFEASIBLE:
            return True, [i for i in subset if lits[i].index in core_lits]
        return False, []

    is_inf, core = infeasible(list(range(len(keys))), time_limit_s)
    if not is_inf:
        return [], False, False
    # Deletion: drop each rule instance whose removal keeps the rest infeasible.
    minimal = True
    i = 0
    while i < len(core):
        if time.perf_counter() > deadline:
            minimal = False
            break
        trial = core[:i] + core[i + 1 :]
        still, sub = infeasible(trial, min(5.0, deadline - time.perf_counter()))
        if still:
            keep = set(sub)
            core = [j for j in trial if j in keep] or trial
        else:
            i += 1
    items = []
    for j in core:
        key = keys[j]
        item: dict[str, Any] = {"rule": key[0], "text": _describe(key, scenario, built)}
        if key[0] in (
            "subject_staffing",
            "posts_filled",
            "school_outflow_max",
            "min_per_100",
            "commute",
            "coverage_subjects",
        ):
            item["school"] = key[1]
        if key[0] in ("subject_staffing", "coverage_subjects"):
            item["subject"] = key[2]
        if key[0] == "min_per_100":
            item["indicator"] = key[2]
        if key[0] == "max_cv":
            item["indicator"], item["level"] = key[1], key[2]
        if key[0] == "pin":
            item["staff_id"] = key[1]
        if key[0] == "scope":
            item["family"] = key[1]
        items.append(item)
    return items, True, minimal


# ============================================================================ relaxations


def feasible(
    district: District,
    scenario: Scenario,
    time_limit_s: float = 5.0,
    elig: pd.DataFrame | None = None,
) -> bool | None:
    """Whether a plan exists (objective ignored): True, False, or None (undecided in time)."""
    built = RotationModel(
        district, scenario, elig=elig if elig is not None else eligibility(district, scenario)
    )
    built.model.clear_objective()
    code, _ = probe(built.model, time_limit_s, workers=max(1, min(scenario.solver.workers, 8)))
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return True
    if code == cp_model.INFEASIBLE:
        return False
    return None


def _with(sc: Scenario, section: str, **changes: Any) -> Scenario:
    return sc.model_copy(update={section: getattr(sc, section).model_copy(update=changes)})


class _Budget:
    def __init__(self, seconds: float):
        self.end = time.perf_counter() + seconds

    def left(self) -> float:
        return self.end - time.perf_counter()


def _bisect(ok, lo_bad, hi_good, steps: int = 40):
    """Smallest value in (lo_bad, hi_good] with ok(value) True, over integers: ok must be
    monotone; hi_good must be known good."""
    while hi_good - lo_bad > 1 and steps > 0:
        mid = (lo_bad + hi_good) // 2
        r = ok(mid)
        if r is True:
            hi_good = mid
        else:
            lo_bad = mid
        steps -= 1
    return hi_good


def suggest_relaxations(
    district: District,
    scenario: Scenario,
    rules: list[str],
    diagnosis: dict | None = None,
    time_limit_s: float = 30.0,
    elig: pd.DataFrame | None = None,
) -> list[dict]:
    """For each rule named, the smallest change of its scenario key (the others unchanged)
    that makes the rules feasible, by bisection with short solves.

    Returns a list of ``{"rule", "key", "current", "suggested", "text"}``; a rule for
    which no value suffices, or whose search ran out of time, has ``suggested`` None and
    says so. Every ``suggested`` value was checked by a solve that found a plan.
    """
    elig = eligibility(district, scenario) if elig is None else elig
    relax = _Relaxations(district, scenario, elig, diagnosis or {}, time_limit_s)
    out: list[dict] = []
    for rule in rules:
        if relax.budget.left() <= 0:
            out.append(_none(rule, None, f"{rule}: not searched (diagnosis time budget spent)"))
            continue
        item = relax.for_rule(rule)
        if item is not None:
            out.append(item)
    return out


class _Relaxations:
    """The searches of :func:`suggest_relaxations`, one per rule, under one time budget."""

    def __init__(
        self,
        district: District,
        scenario: Scenario,
        elig: pd.DataFrame,
        diagnosis: dict,
        time_limit_s: float,
    ):
        self.district, self.scenario, self.elig, self.diagnosis = (
            district,
            scenario,
            elig,
            diagnosis,
        )
        self.budget = _Budget(time_limit_s)
        self.per_solve = max(1.0, min(10.0, time_limit_s / 8))
        people = district.staff[elig["eligible"].to_numpy(dtype=bool)]
        self.n_t = int((people["role"] == "teacher").sum())
        self.n_c = int((people["role"] != "teacher").sum())
        self.n_k = int(((people["role"] == "teacher") & (people["key_level"] != "none")).sum())
        self.moves = permitted_moves(district, scenario, elig)
        self.counts = Counts(self.moves)

    def ok(self, sc: Scenario, dist: District | None = None) -> bool | None:
        """Whether ``sc`` (on ``dist``, default the district) has a plan; None: undecided."""
        dist = self.district if dist is None else dist
        if self.budget.left() <= 0:
            return None
        return feasible(
            dist,
            sc,
            min(self.per_solve, max(self.budget.left(), 0.2)),
            self.elig if dist is self.district else None,
        )

    def for_rule(self, rule: str) -> dict | None:
        """The relaxation of one rule family (``None`` for a family it does not know)."""
        district, scenario, ok, diagnosis = self.district, self.scenario, self.ok, self.diagnosis
        q = scenario.quotas
        teach = self.moves.people["is_teacher"].to_numpy()
        if rule == "teacher_rotation_min":
            return self.share_search(
                "quotas",
                rule,
                q.teacher_rotation_min,
                self.n_t,
                upward=False,
                bound=self.counts.bound(teach),
            )
        if rule == "principal_rotation_min":
            return self.share_search(
                "quotas", rule, q.principal_rotation_min, self.n_c, upward=False
            )
        if rule == "key_share_of_rotated_min":
            if q.key_share_basis == "eligible_key":
                return self.share_search(
                    "quotas",
                    rule,
                    q.key_share_of_rotated_min,
                    self.n_k,
                    upward=False,
                    bound=self.counts.bound(self.moves.people["is_key"].to_numpy()),
                )
            return self.share_down("quotas", rule, q.key_share_of_rotated_min)
        if rule == "school_outflow_max":
            return self.share_search("quotas", rule, q.school_outflow_max, 100, upward=True)
        if rule in ("urban_to_rural_min", "rural_to_urban_min", "strong_to_weak_min"):
            return self.share_down("flow", rule, getattr(scenario.flow, rule))
        if rule == "subject_staffing":
            return self.subject_tolerance(rule)
        if rule == "commute":
            return _commute(district, scenario, ok)
        if rule in ("scope", "same_level"):
            return _scope(scenario, rule, ok, diagnosis)
        if rule == "min_per_100":
            return self.min_per_100(rule)
        if rule == "max_cv":
            return _max_cv(district, scenario, ok, diagnosis)
        if rule == "pin":
            return _pins(district, scenario, ok, diagnosis)
        forms = {"coverage_subjects": _coverage, "training_to_lead": _training}
        if rule in forms:  # [forms]
            return forms[rule](scenario, ok, diagnosis)
        if rule == "posts_filled":
            return _none(
                rule,
                None,
                "posts_filled cannot be relaxed (posts stay filled): relax another rule named here",
            )
        return None

    def share_search(
        self, section: str, key: str, current: float, n: int, upward: bool, bound: int | None = None
    ) -> dict:
        """Minimum shares (upward False: the largest feasible count k < current need, as
        the share k/n; ``bound``, a proven upper bound on k, is tried first) or maximum
        shares (upward True)."""
        scenario, ok = self.scenario, self.ok
        cur = at_least(current, n) if not upward else at_most(current, n)
        if not upward:
            lo_good, hi_bad = 0, cur
            if bound is not None and 0 < bound < cur:
                hi_bad = bound + 1  # counts above the bound are proven infeasible
                if ok(_with(scenario, section, **{key: bound / n})) is True:
                    lo_good = bound
            if lo_good == 0 and ok(_with(scenario, section, **{key: 0.0})) is not True:
                return _none(
                    key, current, f"[{section}] {key}: even 0 does not make the rules feasible"
                )
            # largest k in [lo_good, hi_bad) that is feasible: bisect on "not feasible"
            while hi_bad - lo_good > 1:
                mid = (lo_good + hi_bad) // 2
                if ok(_with(scenario, section, **{key: mid / n})) is True:
                    lo_good = mid
                else:
                    hi_bad = mid
            value = lo_good / n if n else 0.0
            for digits in range(2, 7):
                short = math.floor(lo_good / n * 10**digits) / 10**digits if n else 0.0
                if at_least(short, n) == lo_good:
                    value = short
                    break
            return {
                "rule": key,
                "key": f"{section}.{key}",
                "current": current,
                "suggested": round(value, 4),
                "text": f"[{section}] {key} = {value:.6g} ({lo_good} of {n} instead of {cur}) is feasible",
            }
        # a maximum share: smallest cap k > cur ... as a share over 1/100 steps
        grid = [i / 100 for i in range(101) if i / 100 > current]
        if not grid or ok(_with(scenario, section, **{key: 1.0})) is not True:
            return _none(
                key, current, f"[{section}] {key}: even 1.0 does not make the rules feasible"
            )
        idx = _bisect(lambda i: ok(_with(scenario, section, **{key: grid[i]})), -1, len(grid) - 1)
        return {
            "rule": key,
            "key": f"{section}.{key}",
            "current": current,
            "suggested": grid[idx],
            "text": f"[{section}] {key} = {grid[idx]:g} is feasible",
        }

    def share_down(self, section: str, key: str, current: float) -> dict:
        """A minimum share that is not a head count (largest feasible, in 1/100 steps)."""
        scenario, ok = self.scenario, self.ok
        if ok(_with(scenario, section, **{key: 0.0})) is not True:
            return _none(
                key, current, f"[{section}] {key}: even 0 does not make the rules feasible"
            )
        grid = [i / 100 for i in range(101) if i / 100 < current]
        # largest feasible: bisect over indices on reversed monotonicity
        lo_good, hi_bad = 0, len(grid)
        while hi_bad - lo_good > 1:
            mid = (lo_good + hi_bad) // 2
            if ok(_with(scenario, section, **{key: grid[mid]})) is True:
                lo_good = mid
            else:
                hi_bad = mid
        v = grid[lo_good]
        return {
            "rule": key,
            "key": f"{section}.{key}",
            "current": current,
            "suggested": v,
            "text": f"[{section}] {key} = {v:g} is feasible",
        }

    def subject_tolerance(self, rule: str) -> dict:
        """The smallest feasible ``[staffing] subject_tolerance``."""
        district, scenario, ok = self.district, self.scenario, self.ok
        tol = scenario.staffing.subject_tolerance
        top = (
            int(
                max(
                    district.teacher_counts().to_numpy().max(initial=0),
                    district.demand_matrix().to_numpy().max(initial=0),
                )
            )
            + 1
        )
        if ok(_with(scenario, "staffing", subject_tolerance=top)) is not True:
            return _none(
                rule,
                tol,
                f"[staffing] subject_tolerance: even {top} does not make the rules feasible",
            )
        v = _bisect(lambda t: ok(_with(scenario, "staffing", subject_tolerance=t)), tol, top)
        return {
            "rule": rule,
            "key": "staffing.subject_tolerance",
            "current": tol,
            "suggested": v,
            "text": f"[staffing] subject_tolerance = {v} is feasible",
        }

    def min_per_100(self, rule: str) -> dict:
        """The largest feasible ``[balance] min_per_100`` (1/100 steps of the current one)."""
        scenario, ok = self.scenario, self.ok
        cur = scenario.balance.min_per_100 or 0.0
        grid = [round(cur * i / 100, 4) for i in range(100)]
        if ok(_with(scenario, "balance", min_per_100=None)) is not True:
            return _none(
                rule,
                cur,
                "[balance] min_per_100: even no floor does not make the rules feasible",
            )
        lo_good, hi_bad = -1, len(grid)
        while hi_bad - lo_good > 1:
            mid = (lo_good + hi_bad) // 2
            if ok(_with(scenario, "balance", min_per_100=grid[mid])) is True:
                lo_good = mid
            else:
                hi_bad = mid
        v = grid[lo_good] if lo_good >= 0 else None
        return {
            "rule": rule,
            "key": "balance.min_per_100",
            "current": cur,
            "suggested": v,
            "text": "[balance] min_per_100 "
            + (f"= {v:g} is feasible" if v is not None else "removed is feasible"),
        }


def _none(rule: str, current, text: str) -> dict:
    return {"rule": rule, "key": None, "current": current, "suggested": None, "text": text}


def _coverage(scenario: Scenario, ok, diagnosis: dict) -> dict:
    """Part-time service switched on, else the uncovered subjects left out of
    ``coverage_subjects``."""
    f = scenario.forms
    if not f.part_time and ok(_with(scenario, "forms", part_time=True)) is True:
        return {
            "rule": "coverage_subjects",
            "key": "forms.part_time",
            "current": False,
            "suggested": True,
            "text": "[forms] part_time = true (teachers share their week with the uncovered "
            "schools) is feasible",
        }
    named = set(diagnosis.get("subjects") or [])
    rest = [c for c in f.coverage_subjects if c not in named]
    if named and ok(_with(scenario, "forms", coverage_subjects=rest)) is True:
        return {
            "rule": "coverage_subjects",
            "key": "forms.coverage_subjects",
            "current": list(f.coverage_subjects),
            "suggested": rest,
            "text": f"[forms] coverage_subjects = {rest} (without {sorted(named)}) is feasible",
        }
    return _none(
        "coverage_subjects",
        list(f.coverage_subjects),
        "[forms] coverage_subjects: neither part-time service nor dropping the uncovered "
        "subjects alone makes the rules feasible",
    )


def _training(scenario: Scenario, ok, diagnosis: dict) -> dict:
    """``[forms] training_to_lead``: the largest number below the current one that has a
    plan (integer bisection; 0 switches the rule off)."""
    current = scenario.forms.training_to_lead
    good, bad = 0, current
    while bad - good > 1:
        mid = (good + bad) // 2
        res = ok(_with(scenario, "forms", training_to_lead=mid))
        if res is None:
            break
        good, bad = (mid, bad) if res else (good, mid)
    if good == 0 and ok(_with(scenario, "forms", training_to_lead=0)) is not True:
        return _none(
            "training_to_lead",
            current,
            "[forms] training_to_lead: even 0 has no plan: relax another rule named here",
        )
    return {
        "rule": "training_to_lead",
        "key": "forms.training_to_lead",
        "current": current,
        "suggested": good,
        "text": f"[forms] training_to_lead = {good} is feasible (now {current})",
    }


def _commute(district: District, scenario: Scenario, ok) -> dict:
    cur = scenario.commute.max_km
    no_limit = _with(scenario, "commute", max_km=1e6)
    if ok(no_limit) is not True:
        return _none(
            "commute", cur, "[commute] max_km: no commute limit alone makes the rules feasible"
        )
    m = permitted_moves(district, no_limit)
    d = m.dist[m.other & m.scope_ok & m.level_ok & m.room]
    cand = np.unique(np.ceil(d[d > cur] * 10) / 10)
    if not len(cand):
        return _none("commute", cur, "[commute] max_km: no longer move is possible")
    idx = _bisect(
        lambda i: ok(_with(scenario, "commute", max_km=float(cand[i]))), -1, len(cand) - 1
    )
    v = float(cand[idx])
    return {
        "rule": "commute",
        "key": "commute.max_km",
        "current": cur,
        "suggested": v,
        "text": f"[commute] max_km = {v:g} is feasible (now {cur:g})",
    }


def _scope(scenario: Scenario, rule: str, ok, diagnosis: dict) -> dict:
    if rule == "same_level":
        if ok(_with(scenario, "scope", same_level=False)) is True:
            return {
                "rule": rule,
                "key": "scope.same_level",
                "current": True,
                "suggested": False,
                "text": "[scope] same_level = false is feasible",
            }
        return _none(
            rule, True, "[scope] same_level = false alone does not make the rules feasible"
        )
    fams = [
        c.get("family")
        for c in diagnosis.get("conflict", [])
        if c.get("rule") == "scope" and c.get("family")
    ]
    fams = fams or ["teachers", "principals"]
    for fam in dict.fromkeys(fams):
        cur = getattr(scenario.scope, fam)
        order = ["district", "cross_group", "cross_zone", "within_zone", "within_group"]
        for alt in order:
            if alt == cur:
                continue
            if ok(_with(scenario, "scope", **{fam: alt})) is True:
                return {
                    "rule": rule,
                    "key": f"scope.{fam}",
                    "current": cur,
                    "suggested": alt,
                    "text": f'[scope] {fam} = "{alt}" is feasible (now "{cur}")',
                }
    return _none(rule, None, "[scope]: no other scope alone makes the rules feasible")


def _max_cv(district: District, scenario: Scenario, ok, diagnosis: dict) -> dict:
    bal = scenario.balance
    named = {
        (c["indicator"], c["level"])
        for c in diagnosis.get("conflict", [])
        if c.get("rule") == "max_cv"
    }
    caps = {ind: {lvl: bal.max_cv_for(lvl, ind) for lvl in LEVEL_PARTS} for ind in bal.indicators}
    named = named or {
        (i, lv) for i, lvls in caps.items() for lv, cap in lvls.items() if cap is not None
    }

    def sc_at(value: float | None) -> Scenario:
        new = {
            ind: {
                lvl: (value if (ind, lvl) in named else cap)
                for lvl, cap in lvls.items()
                if (value if (ind, lvl) in named else cap) is not None
            }
            for ind, lvls in caps.items()
        }
        new = {k: v for k, v in new.items() if v}
        return _with(scenario, "balance", max_cv=new or None)

    if ok(sc_at(None)) is not True:
        return _none(
            "max_cv", bal.max_cv, "[balance] max_cv: even no cap does not make the rules feasible"
        )
    lowest = min(c for i, lv in named if (c := caps[i][lv]) is not None)
    grid = [round(lowest + 0.01 * i, 2) for i in range(1, 301)]
    if ok(sc_at(grid[-1])) is not True:
        return _none(
            "max_cv",
            bal.max_cv,
            f"[balance] max_cv: only removing the cap makes the rules feasible "
            f"({', '.join(f'{i} {lv}' for i, lv in sorted(named))})",
        )
    idx = _bisect(lambda i: ok(sc_at(grid[i])), -1, len(grid) - 1)
    where = ", ".join(f"{i} ({lv})" for i, lv in sorted(named))
    return {
        "rule": "max_cv",
        "key": "balance.max_cv",
        "current": bal.max_cv,
        "suggested": grid[idx],
        "text": f"[balance] max_cv = {grid[idx]:g} for {where} is feasible",
    }


def _pins(district: District, scenario: Scenario, ok, diagnosis: dict) -> dict:
    pins = district.pins
    named = [c.get("staff_id") for c in diagnosis.get("conflict", []) if c.get("rule") == "pin"]
    named += [
        s
        for f in diagnosis.get("findings", [])
        if "pin" in f.get("rules", [])
        for s in f.get("staff", [])
    ]
    named = [s for s in dict.fromkeys(named) if s]
    if not named or pins is None or not len(pins):
        return _none("pin", None, "pins.csv: no pin to drop")
    for sid in named:
        d = dataclasses.replace(district, pins=pins[pins["staff_id"] != sid].reset_index(drop=True))
        if ok(scenario, d) is True:
            return {
                "rule": "pin",
                "key": "pins.csv",
                "current": sid,
                "suggested": f"drop the pin of {sid}",
                "text": f"pins.csv without the pin of {sid} is feasible",
            }
    d = dataclasses.replace(
        district, pins=pins[~pins["staff_id"].isin(named)].reset_index(drop=True)
    )
    if ok(scenario, d) is True:
        return {
            "rule": "pin",
            "key": "pins.csv",
            "current": named,
            "suggested": f"drop the pins of {short(named)}",
            "text": f"pins.csv without the pins of {short(named)} is feasible",
        }
    return _none(
        "pin", named, "pins.csv: dropping the pins named does not alone make the rules feasible"
    )


# ============================================================================ entry point


def diagnose(
    district: District,
    scenario: Scenario,
    elig: pd.DataFrame | None = None,
    time_limit_s: float = 30.0,
    relax: bool = True,
    relax_time_s: float | None = None,
    *,
    budget: Budget | None = None,
    progress: Progress | None = None,
) -> tuple[str, dict]:
    """Find a small set of rules that cannot hold together, and the relaxations that help.

    Returns
    -------
    (message, diagnosis)
        ``diagnosis`` has ``rules`` (the rule families), ``schools``, ``subjects`` and
        ``staff`` involved, ``method`` (``counting`` when a counting check proved it,
        ``core`` for the solver's conflict), ``findings`` (the counting checks' proofs),
        ``conflict`` (each rule instance of the core with ``rule``, ``school``,
        ``subject`` where it applies, and a ``text``), ``minimal`` (whether deletion
        finished), and ``relaxations`` (see :func:`suggest_relaxations`).

    With ``budget`` the conflict search gets half of what is left of it and the
    relaxations the rest, each at least :data:`DIAGNOSIS_FLOOR_S` (``time_limit_s``
    and ``relax_time_s`` are then ignored); ``progress`` is told each part's budget.
    """
    progress = as_progress(progress)
    elig = eligibility(district, scenario) if elig is None else elig
    if budget is not None:
        time_limit_s = max(DIAGNOSIS_FLOOR_S, 0.5 * budget.left())
    t0 = time.perf_counter()
    findings = precheck(district, scenario, elig)
    conflict: list[dict] = []
    minimal = False
    if findings:
        method = "counting"
        rules = list(dict.fromkeys(r for f in findings for r in f.rules))
        schools = list(dict.fromkeys(s for f in findings for s in f.schools))
        subjects = list(dict.fromkeys(s for f in findings for s in f.subjects))
        staff = list(dict.fromkeys(s for f in findings for s in f.staff))
    else:
        method = "core"
        progress.phase(
            "diagnosis", f"isolating the conflicting rules (budget {time_limit_s:.0f} s)"
        )
        conflict, found, minimal = _core(district, scenario, elig, time_limit_s)
        if not found:
            msg = (
                "the rules cannot all hold, but no conflict was isolated within the time limit "
                f"({time_limit_s:g} s)"
            )
            return msg, {
                "rules": [],
                "schools": [],
                "subjects": [],
                "staff": [],
                "method": "none",
                "findings": [],
                "conflict": [],
                "minimal": False,
                "relaxations": [],
            }
        rules = sorted({c["rule"] for c in conflict})
        schools = list(dict.fromkeys(c["school"] for c in conflict if "school" in c))
        subjects = list(dict.fromkeys(c["subject"] for c in conflict if "subject" in c))
        staff = list(dict.fromkeys(c["staff_id"] for c in conflict if "staff_id" in c))
    diag: dict[str, Any] = {
        "rules": rules,
        "schools": schools,
        "subjects": subjects,
        "staff": staff,
        "method": method,
        "findings": [f.as_dict() for f in findings],
        "conflict": conflict,
        "minimal": minimal,
        "relaxations": [],
    }
    if relax:
        if budget is not None:
            relax_s = max(DIAGNOSIS_FLOOR_S, budget.left())
        else:
            relax_s = relax_time_s if relax_time_s is not None else max(10.0, time_limit_s)
        progress.phase(
            "diagnosis", f"the smallest change of each rule that helps (budget {relax_s:.0f} s)"
        )
        diag["relaxations"] = suggest_relaxations(district, scenario, rules, diag, relax_s, elig)
    diag["seconds"] = round(time.perf_counter() - t0, 3)
    return format_diagnosis(diag), diag


def format_diagnosis(diag: dict) -> str:
    """The diagnosis as text for the terminal."""
    lines = ["the rules cannot all hold together (" + ", ".join(diag["rules"]) + "):"]
    items = [f["text"] for f in diag.get("findings", [])] or [
        c["text"] for c in diag.get("conflict", [])
    ]
    lines += [f"  - {t}" for t in items[:20]]
    if len(items) > 20:
        lines.append(f"  ... and {len(items) - 20} more")
    if diag.get("schools"):
        lines.append(f"  schools: {short(diag['schools'], 12)}")
    if diag.get("subjects"):
        lines.append(f"  subjects: {short(diag['subjects'], 12)}")
    rel = diag.get("relaxations") or []
    good = [r for r in rel if r.get("suggested") is not None]
    if good:
        lines.append("each of these changes alone makes the rules feasible:")
        lines += [f"  - {r['text']}" for r in good]
    bad = [r for r in rel if r.get("suggested") is None]
    lines += [f"  ({r['text']})" for r in bad]
    return "\n".join(lines)


def infeasible_result(
    district: District,
    scenario: Scenario,
    elig: pd.DataFrame | None = None,
    *,
    budget: Budget | None = None,
    progress: Progress | None = None,
) -> Result:
    """The result of a scenario whose rules cannot all hold, with its diagnosis (within
    what is left of ``budget``, see :func:`diagnose`)."""
    elig = eligibility(district, scenario) if elig is None else elig
    message, diagnosis = diagnose(district, scenario, elig, budget=budget, progress=progress)
    return Result.without_plan(SolveStatus.INFEASIBLE, message, elig, diagnosis=diagnosis)


def with_diagnosis(
    result: Result,
    built: RotationModel,
    *,
    budget: Budget | None = None,
    progress: Progress | None = None,
) -> Result:
    """``result``, with the diagnosis when it is infeasible and has none yet."""
    if result.status is SolveStatus.INFEASIBLE and result.diagnosis is None:
        return infeasible_result(
            built.district, built.scenario, built.elig, budget=budget, progress=progress
        )
    return result
