"""Why the rules cannot all hold: a small set of conflicting rules, in planners' terms.

Three steps, cheapest first:

1. **Counting checks** (:func:`precheck`), before any solve: necessary conditions that
   a plan must meet, each a proof of infeasibility when it fails ("the 10% rotation
   quota needs 41 moves; the outflow cap and commute limit allow at most 37"; "school
   S must have 3 math teachers but only 1 eligible math teacher may go there").
2. **Core extraction**, when no counting check fails: every rule instance of the model
   (per rule, school, subject, ...) is guarded by a literal in diagnosis mode
   (:class:`solver.model.RotationModel`); CP-SAT solves under the assumption that all
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
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from ..input.data import District
from ..input.scenario import Scenario
from ..model.rotation import MoveMasks, RotationModel, at_least, at_most, eligible_people
from ..rules.eligibility import eligibility

#: What each rule family means, for messages.
RULE_TEXT: dict[str, str] = {
    "posts_filled": "principal / vice principal posts stay filled",
    "subject_staffing": "teacher head count per subject within subject_tolerance of the demand",
    "teacher_rotation_min": "[quotas] teacher_rotation_min",
    "key_share_of_rotated_min": "[quotas] key_share_of_rotated_min",
    "principal_rotation_min": "[quotas] principal_rotation_min",
    "school_outflow_max": "[quotas] school_outflow_max",
    "urban_to_rural_min": "[flow] urban_to_rural_min",
    "rural_to_urban_min": "[flow] rural_to_urban_min",
    "max_cv": "[balance] max_cv",
    "min_per_100": "[balance] min_per_100",
    "pin": "pins.csv",
    "same_level": "[scope] same_level",
    "scope": "[scope]",
    "commute": "[commute] max_km",
}

#: The rules that prune candidate moves, and the mask of :class:`Moves` that holds each.
PRUNING: tuple[tuple[str, str], ...] = (
    ("commute", "commute_ok"),
    ("scope", "scope_ok"),
    ("same_level", "level_ok"),
    ("room", "room"),
)


# ============================================================================ permitted moves


@dataclass
class Moves(MoveMasks):
    """Who may go where under the rules that need no variable (as the model prunes).

    ``people`` are the eligible staff (position p, in file order) with ``home`` (school
    position), ``is_teacher``, ``is_key``, ``is_cadre``, ``pin`` (``""``, ``stay``,
    ``move``, ``to``) and ``pin_school`` (position, -1). The (people × schools) masks
    are those of :class:`solver.model.MoveMasks`; ``ok`` = all of them and not the home
    school. A ``Moves`` can be given to :class:`solver.model.RotationModel` as its
    ``masks`` (same eligibility), so the model does not compute them again.
    """

    district: District
    scenario: Scenario
    elig: pd.DataFrame
    people: pd.DataFrame
    ok: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.ok = self.other & self.commute_ok & self.scope_ok & self.level_ok & self.room

    def sid(self, s: int) -> str:
        return str(self.district.schools.index[s])

    def room_rule(self, p: int) -> str:
        """The rule a missing post stands for: subject_staffing (teachers) or posts_filled."""
        return "subject_staffing" if self.people["is_teacher"].iat[p] else "posts_filled"

    def blocking(self, p: int, s: int) -> list[str]:
        """The rules that forbid person p to move to school s (empty: permitted)."""
        out = []
        if not self.other[p, s]:
            return ["home"]
        for rule, mask in PRUNING:
            if not getattr(self, mask)[p, s]:
                out.append(self.room_rule(p) if rule == "room" else rule)
        return out

    def why_nowhere(self, p: int) -> list[str]:
        """For a person with no permitted school: the rules that each alone close every
        school (dropping that one rule would open one), else every rule that closes some."""
        masks = {rule: getattr(self, m)[p] for rule, m in PRUNING}
        alone = []
        for rule in masks:
            rest = self.other[p].copy()
            for r2, m in masks.items():
                if r2 != rule:
                    rest &= m
            if rest.any():
                alone.append(rule)
        if not alone:
            alone = [r for r, m in masks.items() if not m[self.other[p]].all()]
        return [self.room_rule(p) if r == "room" else r for r in alone]


def permitted_moves(
    district: District, scenario: Scenario, elig: pd.DataFrame | None = None
) -> Moves:
    """The candidate moves of every eligible person, with the mask of each pruning rule
    (:class:`solver.model.MoveMasks`, as the model prunes, without ``max_candidates``)."""
    elig = eligibility(district, scenario) if elig is None else elig
    people = eligible_people(district, elig)
    pins = district.pins
    people["pin"] = ""
    people["pin_school"] = -1
    if pins is not None and len(pins):
        pins = pins.drop_duplicates("staff_id").set_index("staff_id")
        hit = people.index.intersection(pins.index)
        people.loc[hit, "pin"] = pins.loc[hit, "action"].astype(str).to_numpy()
        to = pins.loc[hit, "school_id"].astype(str)
        people.loc[hit, "pin_school"] = district.schools.index.get_indexer(to)
        # `to` the home school is `stay`
        same = (people["pin"] == "to") & (people["pin_school"] == people["home"])
        people.loc[same, "pin"] = "stay"
    mk = MoveMasks.of(district, scenario, people)
    return Moves(**vars(mk), district=district, scenario=scenario, elig=elig, people=people)


# ============================================================================ counting checks


@dataclass(frozen=True)
class Finding:
    """One proof that the rules cannot all hold, in planners' terms.

    ``rule`` is the rule that cannot be met, ``rules`` every family involved (``rule``
    first), ``schools``, ``subjects`` and ``staff`` the ones concerned.
    """

    rule: str
    rules: tuple[str, ...]
    text: str
    schools: tuple[str, ...] = ()
    subjects: tuple[str, ...] = ()
    staff: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "rules": list(self.rules),
            "text": self.text,
            "schools": list(self.schools),
            "subjects": list(self.subjects),
            "staff": list(self.staff),
        }


def _ids(values) -> tuple[str, ...]:
    return tuple(dict.fromkeys(str(v) for v in values))


def _short(items, n: int = 6) -> str:
    items = list(items)
    return ", ".join(map(str, items[:n])) + (
        f" and {len(items) - n} more" if len(items) > n else ""
    )


def _family_counts(m: Moves, idx: np.ndarray) -> Counter:
    c: Counter = Counter()
    for p in idx:
        c.update(m.why_nowhere(int(p)))
    return c


def _rule_phrase(rule: str, sc: Scenario) -> str:
    return {
        "commute": f"max_km {sc.commute.max_km:g}",
        "scope": "scope",
        "same_level": "same_level",
        "subject_staffing": "no school has demand for their subject",
        "posts_filled": "no school has a post of their role",
    }.get(rule, rule)


class _Counts:
    """Per school and subject head counts and bounds shared by the counting checks."""

    def __init__(self, m: Moves):
        d, sc = m.district, m.scenario
        self.m = m
        ppl = m.people
        self.subjects = list(d.teacher_counts().columns)
        self.now = d.teacher_counts().to_numpy()  # (schools × subjects), all teachers
        self.want = d.demand_matrix().reindex(columns=self.subjects).to_numpy()
        self.tol = sc.staffing.subject_tolerance
        self.home = ppl["home"].to_numpy()
        self.is_t = ppl["is_teacher"].to_numpy()
        self.subj = np.full(len(ppl), -1)
        if self.is_t.any():
            self.subj[self.is_t] = pd.Index(self.subjects).get_indexer(
                ppl.loc[self.is_t, "subject"]
            )
        pin = ppl["pin"].to_numpy()
        self.stays = pin == "stay"
        # may leave: a permitted school (the pinned one, for `to`), and no `stay` pin
        pin_s = ppl["pin_school"].to_numpy()
        ok_to = np.array(
            [
                m.ok[p, pin_s[p]] if pin[p] == "to" and pin_s[p] >= 0 else True
                for p in range(len(ppl))
            ],
            dtype=bool,
        )
        self._to_ok = ok_to
        self.mobile = m.ok.any(axis=1) & ~self.stays & ok_to
        n_s = d.n_schools
        self.teachers_now = (
            (d.staff["role"] == "teacher")
            .groupby(d.staff["school_id"])
            .sum()
            .reindex(d.schools.index, fill_value=0)
            .to_numpy()
        )
        share = sc.quotas.school_outflow_max
        self.cap = np.array([at_most(share, int(n)) for n in self.teachers_now])
        # reach[s, j]: eligible j-teachers elsewhere (not pinned to stay) who may go to s
        self.reach = np.zeros((n_s, len(self.subjects)), dtype=np.int64)
        tp = np.flatnonzero(self.is_t & ~self.stays)
        for p in tp:
            if self.subj[p] >= 0:
                self.reach[:, self.subj[p]] += m.ok[p]

    def bound(
        self,
        mask: np.ndarray,
        use_cells: bool = True,
        use_cap: bool = True,
        mobile: np.ndarray | None = None,
    ) -> int:
        """An upper bound on how many teachers among ``mask`` can move."""
        mobile = self.mobile if mobile is None else mobile
        n_s, n_j = self.now.shape
        mob = np.zeros((n_s, n_j), dtype=np.int64)
        sel = np.flatnonzero(mask & mobile & self.is_t & (self.subj >= 0))
        np.add.at(mob, (self.home[sel], self.subj[sel]), 1)
        if use_cells:
            cell = np.maximum(0, self.now - (self.want - self.tol) + self.reach)
            per_school = np.minimum(mob, cell).sum(axis=1)
        else:
            per_school = mob.sum(axis=1)
        if use_cap:
            per_school = np.minimum(per_school, self.cap)
        return int(per_school.sum())

    def limiting(self, mask: np.ndarray, bound: int) -> tuple[list[str], list[str]]:
        """The rules that hold the bound down, and a text for each: those whose removal
        alone raises the bound; if none does alone, every one that takes effect."""
        sc = self.m.scenario
        m = self.m
        can_go = m.ok.any(axis=1)
        eligible = mask & self.is_t & ~self.stays
        stuck = np.flatnonzero(eligible & ~can_go)
        pinned = np.flatnonzero(mask & self.is_t & self.stays)
        mob = self._mob_school(mask)
        over_cap = [m.sid(s) for s in range(len(mob)) if mob[s] > self.cap[s]]
        factors = {
            "school_outflow_max": (self.bound(mask, use_cap=False), bool(over_cap)),
            "subject_staffing": (
                self.bound(mask, use_cells=False),
                bool(_limit_subjects(self, mask)),
            ),
            "pruning": (self.bound(mask, mobile=~self.stays & self._to_ok), len(stuck) > 0),
            "pin": (self.bound(mask, mobile=can_go & self._to_ok), len(pinned) > 0),
        }
        raised = [f for f, (b, _) in factors.items() if b > bound]
        if not raised:
            raised = [f for f, (_, active) in factors.items() if active]
        rules, texts = [], []
        for f in raised:
            without = factors[f][0]
            tail = f"; without it {without}" if without > bound else ""
            if f == "school_outflow_max":
                rules.append(f)
                texts.append(
                    f"school_outflow_max {sc.quotas.school_outflow_max:g} caps the leavers of "
                    f"{len(over_cap)} school(s) ({_short(over_cap)}){tail}"
                )
            elif f == "subject_staffing":
                rules.append(f)
                texts.append(
                    f"subject_staffing (tolerance {self.tol}) lets a teacher leave only if one of the "
                    f"same subject can come in ({_short(_limit_subjects(self, mask))}){tail}"
                )
            elif f == "pruning":
                c = _family_counts(m, stuck)
                rules += list(c)
                texts.append(
                    f"{len(stuck)} of them have no school they may go to ("
                    + ", ".join(f"{_rule_phrase(r, sc)}: {n}" for r, n in c.most_common())
                    + f"){tail}"
                )
            else:
                rules.append("pin")
                texts.append(f"{len(pinned)} of them are pinned to stay{tail}")
        return rules, texts

    def _mob_school(self, mask: np.ndarray) -> np.ndarray:
        sel = np.flatnonzero(mask & self.mobile & self.is_t)
        return np.bincount(self.home[sel], minlength=self.now.shape[0])


def precheck(
    district: District,
    scenario: Scenario,
    elig: pd.DataFrame | None = None,
    moves: Moves | None = None,
) -> list[Finding]:
    """Counting checks: each finding proves that the rules cannot all hold.

    Cheap (no solve); sound (a finding is never reported for a feasible scenario) but
    not complete: an empty list proves nothing.
    """
    m = moves or permitted_moves(district, scenario, elig)
    out: list[Finding] = []
    out += _pin_checks(m)
    c = _Counts(m)
    out += _quota_checks(m, c)
    out += _principal_checks(m)
    out += _cell_checks(m, c)
    out += _floor_checks(m)
    return out


def _pin_checks(m: Moves) -> list[Finding]:
    out = []
    d, sc = m.district, m.scenario
    pins = d.pins
    if pins is None or not len(pins):
        return out
    pos = pd.Series(np.arange(len(m.people)), index=m.people.index)
    elig = m.elig
    leaving: Counter = Counter()
    for row in pins.drop_duplicates("staff_id").itertuples(index=False):
        sid, action = str(row.staff_id), str(row.action)
        if sid not in d.staff.index:
            continue
        here = str(d.staff.at[sid, "school_id"])
        p = pos.get(sid)
        if p is None:
            if action == "stay" or (action == "to" and str(row.school_id) == here):
                continue
            want = "moves" if action == "move" else f"sends to {row.school_id}"
            out.append(
                Finding(
                    "pin",
                    ("pin",),
                    f"pins.csv {want} {sid} ({here}), who is not eligible: "
                    f"{elig.at[sid, 'reason']}; only eligible staff rotate",
                    _ids([here]),
                    (),
                    (sid,),
                )
            )
            continue
        p = int(p)
        action = m.people["pin"].iat[p]
        if action == "stay":
            continue
        if m.people["is_teacher"].iat[p]:
            leaving[m.people["home"].iat[p]] += 1
        if action == "to":
            s = int(m.people["pin_school"].iat[p])
            rules = m.blocking(p, s)
            if rules:
                out.append(
                    Finding(
                        "pin",
                        ("pin", *rules),
                        f"pins.csv sends {sid} to {m.sid(s)}, which " + _pair_text(m, p, s, rules),
                        _ids([here, m.sid(s)]),
                        _subject(m, p, rules),
                        (sid,),
                    )
                )
                continue
            if not m.people["is_teacher"].iat[p] and not _cadre_can_vacate(
                m, s, m.people["role"].iat[p], p
            ):
                out.append(
                    Finding(
                        "pin",
                        ("pin", "posts_filled"),
                        f"pins.csv sends {sid} "
                        f"({m.people['role'].iat[p].replace('_', ' ')}) to {m.sid(s)}, whose "
                        f"{m.people['role'].iat[p].replace('_', ' ')} post is held by someone who "
                        "cannot leave (not eligible, pinned, or nowhere to go)",
                        _ids([here, m.sid(s)]),
                        (),
                        (sid,),
                    )
                )
        elif action == "move":
            if not m.ok[p].any():
                rules = m.why_nowhere(p)
                out.append(
                    Finding(
                        "pin",
                        ("pin", *rules),
                        f"pins.csv moves {sid} ({here}), who has no school "
                        "they may go to (" + ", ".join(_rule_phrase(r, sc) for r in rules) + ")",
                        _ids([here]),
                        _subject(m, p, rules),
                        (sid,),
                    )
                )
            elif not m.people["is_teacher"].iat[p] and not any(
                _cadre_can_vacate(m, s, m.people["role"].iat[p], p) for s in np.flatnonzero(m.ok[p])
            ):
                out.append(
                    Finding(
                        "pin",
                        ("pin", "posts_filled"),
                        f"pins.csv moves {sid} ({here}), but every "
                        f"{m.people['role'].iat[p].replace('_', ' ')} post they may go to is held by "
                        "someone who cannot leave",
                        _ids([here]),
                        (),
                        (sid,),
                    )
                )
    share = sc.quotas.school_outflow_max
    for s, n in sorted(leaving.items()):
        teachers = int((d.staff["school_id"].eq(m.sid(s)) & d.staff["role"].eq("teacher")).sum())
        cap = at_most(share, teachers)
        if n > cap:
            who = m.people.index[
                (m.people["home"] == s)
                & m.people["pin"].isin(["move", "to"])
                & m.people["is_teacher"]
            ]
            out.append(
                Finding(
                    "pin",
                    ("pin", "school_outflow_max"),
                    f"pins.csv moves {n} teachers out of "
                    f"{m.sid(s)}, but school_outflow_max {share:g} lets {cap} of its {teachers} "
                    "teachers leave",
                    (m.sid(s),),
                    (),
                    _ids(who),
                )
            )
    return out


def _subject(m: Moves, p: int, rules: list[str]) -> tuple[str, ...]:
    if "subject_staffing" in rules and m.people["is_teacher"].iat[p]:
        return (str(m.people["subject"].iat[p]),)
    return ()


def _pair_text(m: Moves, p: int, s: int, rules: list[str]) -> str:
    sc = m.scenario
    parts = []
    sch = m.district.schools
    home = int(m.people["home"].iat[p])
    for r in rules:
        if r == "commute":
            parts.append(
                f"is {m.dist[p, s]:.1f} km from their home, beyond max_km {sc.commute.max_km:g}"
            )
        elif r == "scope":
            fam = "teachers" if m.people["is_teacher"].iat[p] else "principals"
            parts.append(
                f"is out of scope.{fam} = {getattr(sc.scope, fam)} (zone {sch['zone'].iat[home]} → "
                f"{sch['zone'].iat[s]}, group {sch['group'].iat[home] or '-'} → {sch['group'].iat[s] or '-'})"
            )
        elif r == "same_level":
            parts.append(
                f"is a {sch['level'].iat[s]} school and they work at a {sch['level'].iat[home]} one "
                "(same_level)"
            )
        elif r == "subject_staffing":
            parts.append(f"has no demand for {m.people['subject'].iat[p]} teachers")
        elif r == "posts_filled":
            parts.append(f"has no {m.people['role'].iat[p].replace('_', ' ')} post")
    return "; ".join(parts)


def _cadre_can_vacate(
    m: Moves, s: int, role: str, p: int, mobile: np.ndarray | None = None
) -> bool:
    """Whether school s has an eligible cadre of ``role`` (not p) who may leave it."""
    ppl = m.people
    mob = (m.ok.any(axis=1) & (ppl["pin"] != "stay").to_numpy()) if mobile is None else mobile
    cand = (ppl["home"].to_numpy() == s) & (ppl["role"].to_numpy() == role) & mob
    cand[p] = False
    return bool(cand.any())


def _quota_checks(m: Moves, c: _Counts) -> list[Finding]:
    out = []
    q = m.scenario.quotas
    ppl = m.people
    teach = ppl["is_teacher"].to_numpy()
    key = ppl["is_key"].to_numpy()
    n_t = int(teach.sum())
    need_t = at_least(q.teacher_rotation_min, n_t)
    if need_t > 0:
        b = c.bound(teach)
        if b < need_t:
            rules, texts = c.limiting(teach, b)
            out.append(
                Finding(
                    "teacher_rotation_min",
                    ("teacher_rotation_min", *dict.fromkeys(rules)),
                    f"teacher_rotation_min {q.teacher_rotation_min:g} needs {need_t} of {n_t} eligible teachers to "
                    f"move; at most {b} can: "
                    + "; ".join(texts or ["every eligible teacher who may move counted"]),
                    _limit_schools(m, c, teach),
                    _limit_subjects(c, teach) if "subject_staffing" in rules else (),
                )
            )
    n_key = int(key.sum())
    share = q.key_share_of_rotated_min
    if share > 0:
        if q.key_share_basis == "eligible_key":
            need_k, base = at_least(share, n_key), f"of {n_key} eligible key teachers"
            extra: tuple[str, ...] = ()
        else:
            need_k, base = (
                at_least(share, need_t),
                f"of the {need_t} teachers teacher_rotation_min moves",
            )
            extra = ("teacher_rotation_min",)
        if need_k > 0:
            b = c.bound(key)
            if b < need_k:
                rules, texts = c.limiting(key, b)
                out.append(
                    Finding(
                        "key_share_of_rotated_min",
                        ("key_share_of_rotated_min", *extra, *dict.fromkeys(rules)),
                        f"key_share_of_rotated_min {share:g} ({q.key_share_basis}) needs {need_k} key teachers {base} "
                        f"to move; at most {b} can: "
                        + "; ".join(texts or [f"{n_key} eligible key teachers"]),
                        _limit_schools(m, c, key),
                        _limit_subjects(c, key) if "subject_staffing" in rules else (),
                    )
                )
    return out


def _limit_schools(m: Moves, c: _Counts, mask: np.ndarray) -> tuple[str, ...]:
    mob = c._mob_school(mask)
    return tuple(
        m.sid(s)
        for s in range(len(mob))
        if mob[s] > c.cap[s] or (mask & c.is_t & (c.home == s) & ~c.mobile).any()
    )


def _limit_subjects(c: _Counts, mask: np.ndarray) -> tuple[str, ...]:
    n_s, n_j = c.now.shape
    cell = np.maximum(0, c.now - (c.want - c.tol) + c.reach)
    mob = np.zeros((n_s, n_j), dtype=np.int64)
    sel = np.flatnonzero(mask & c.mobile & c.is_t & (c.subj >= 0))
    np.add.at(mob, (c.home[sel], c.subj[sel]), 1)
    return tuple(c.subjects[j] for j in range(n_j) if (mob[:, j] > cell[:, j]).any())


def _principal_checks(m: Moves) -> list[Finding]:
    out = []
    q = m.scenario.quotas
    ppl = m.people
    cadre = ppl["is_cadre"].to_numpy()
    n_c = int(cadre.sum())
    need = at_least(q.principal_rotation_min, n_c)
    if need == 0:
        return out
    home, role = ppl["home"].to_numpy(), ppl["role"].to_numpy()
    can_go = m.ok.any(axis=1) & (ppl["pin"] != "stay").to_numpy()
    mobile = cadre & can_go
    # A cadre moves into a post only if its holder moves out: iterate to a fixpoint.
    changed = True
    while changed:
        changed = False
        for p in np.flatnonzero(mobile):
            dests = np.flatnonzero(m.ok[p])
            if not any(((home == s) & (role == role[p]) & mobile).any() for s in dests):
                mobile[p] = False
                changed = True
    b = int(mobile.sum())
    if b >= need:
        return out
    rules: list[str] = ["principal_rotation_min"]
    texts = []
    nowhere = np.flatnonzero(cadre & ~m.ok.any(axis=1))
    if len(nowhere):
        fam = _family_counts(m, nowhere)
        rules += list(fam)
        texts.append(
            f"{len(nowhere)} have no school they may go to ("
            + ", ".join(f"{_rule_phrase(r, m.scenario)}: {n}" for r, n in fam.most_common())
            + ")"
        )
    blocked = np.flatnonzero(cadre & can_go & ~mobile)
    if len(blocked):
        rules.append("posts_filled")
        texts.append(
            f"{len(blocked)} could only take posts whose holders cannot leave (posts stay filled: "
            "a cadre moves in only where one of the same role moves out)"
        )
    pinned = np.flatnonzero(cadre & (ppl["pin"] == "stay").to_numpy())
    if len(pinned):
        rules.append("pin")
        texts.append(f"{len(pinned)} are pinned to stay")
    held = [m.sid(int(s)) for p in blocked for s in np.flatnonzero(m.ok[p])]
    schools = _ids([*ppl["school_id"].to_numpy()[cadre & ~mobile], *held])
    out.append(
        Finding(
            "principal_rotation_min",
            tuple(dict.fromkeys(rules)),
            f"principal_rotation_min {q.principal_rotation_min:g} needs {need} of {n_c} eligible "
            f"principals and vice principals to move; at most {b} can: " + "; ".join(texts),
            schools,
        )
    )
    return out


def _cell_checks(m: Moves, c: _Counts) -> list[Finding]:
    """Per school and subject: enough teachers can be there, not too many must stay."""
    out = []
    sc = m.scenario
    ppl = m.people
    n_s, n_j = c.now.shape
    eligible = np.zeros((n_s, n_j), dtype=np.int64)
    stuck = np.zeros((n_s, n_j), dtype=np.int64)
    t = np.flatnonzero(c.is_t & (c.subj >= 0))
    np.add.at(eligible, (c.home[t], c.subj[t]), 1)
    st = t[~c.mobile[t]]
    np.add.at(stuck, (c.home[st], c.subj[st]), 1)
    fixed = c.now - eligible  # not eligible: they stay
    active_subject = eligible.sum(axis=0) > 0
    # reach without each pruning rule, to name the rule that keeps teachers away
    for s in range(n_s):
        for j in np.flatnonzero(active_subject):
            constrained = eligible[s, j] > 0 or c.reach[s, j] > 0
            if not constrained:
                continue
            lo, hi = c.want[s, j] - c.tol, c.want[s, j] + c.tol
            subj = c.subjects[j]
            if c.now[s, j] + c.reach[s, j] < lo:
                others = np.flatnonzero(
                    c.is_t & (c.subj == j) & (c.home != s) & ~c.stays & ~m.ok[:, s]
                )
                fam = Counter(r for p in others for r in m.blocking(int(p), s))
                rules = ("subject_staffing", *[r for r in fam if r != "subject_staffing"])
                beyond = (
                    (
                        ", "
                        + ", ".join(
                            f"{n} more are kept away by {_rule_phrase(r, sc)}"
                            for r, n in fam.most_common()
                            if r != "subject_staffing"
                        )
                    )
                    if fam
                    else ""
                )
                out.append(
                    Finding(
                        "subject_staffing",
                        rules,
                        f"school {m.sid(s)} must have at least {lo} {subj} teacher(s) (demand "
                        f"{c.want[s, j]} ± {c.tol}) but has {c.now[s, j]} and only {c.reach[s, j]} "
                        f"eligible {subj} teacher(s) from other schools may go there{beyond}",
                        (m.sid(s),),
                        (subj,),
                    )
                )
            if fixed[s, j] + stuck[s, j] > hi:
                rules_l = ["subject_staffing"]
                text = (
                    f"school {m.sid(s)} may have at most {hi} {subj} teacher(s) (demand {c.want[s, j]} ± "
                    f"{c.tol}) but {fixed[s, j]} are not eligible to rotate"
                )
                if stuck[s, j]:
                    idx = t[(c.home[t] == s) & (c.subj[t] == j) & ~c.mobile[t]]
                    fam = _family_counts(m, idx[~c.stays[idx]])
                    if c.stays[idx].any():
                        fam["pin"] += int(c.stays[idx].sum())
                    rules_l += list(fam)
                    text += (
                        f" and {stuck[s, j]} eligible ones cannot leave ("
                        + ", ".join(
                            f"{_rule_phrase(r, sc) if r != 'pin' else 'pinned to stay'}: {n}"
                            for r, n in fam.most_common()
                        )
                        + ")"
                    )
                out.append(
                    Finding(
                        "subject_staffing",
                        tuple(dict.fromkeys(rules_l)),
                        text,
                        (m.sid(s),),
                        (subj,),
                    )
                )
    _ = ppl
    return out


def _floor_checks(m: Moves) -> list[Finding]:
    """min_per_100: every school can reach its floor, and the district has enough in all."""
    out = []
    sc, d = m.scenario, m.district
    floor = sc.balance.min_per_100
    if floor is None:
        return out
    from ..model.terms import indicator_matrix

    students = d.schools["students"].to_numpy(dtype=float)
    need = np.ceil(floor * students / 100.0 - 1e-9).astype(int)
    flags = indicator_matrix(d, sc.balance.indicators)
    pos_all = d.staff_school_pos()
    eligible = m.elig["eligible"].to_numpy(dtype=bool)
    ppl = m.people
    stays = (ppl["pin"] == "stay").to_numpy()
    for k, ind in enumerate(sc.balance.indicators):
        total = int(flags[:, k].sum())
        if need.sum() > total:
            short = [m.sid(s) for s in range(d.n_schools) if need[s] > 0]
            out.append(
                Finding(
                    "min_per_100",
                    ("min_per_100",),
                    f"min_per_100 {floor:g} of {ind} needs {int(need.sum())} such teachers across the "
                    f"district's schools (at least {need.min()} each), but the district has {total}",
                    tuple(short),
                )
            )
            continue
        here = np.bincount(pos_all[flags[:, k]], minlength=d.n_schools)
        pf = flags[eligible, k]
        for s in range(d.n_schools):
            reach = int((pf & m.ok[:, s] & ~stays).sum())
            if here[s] + reach < need[s]:
                others = np.flatnonzero(pf & (ppl["home"].to_numpy() != s) & ~stays & ~m.ok[:, s])
                fam = Counter(r for p in others for r in m.blocking(int(p), s))
                out.append(
                    Finding(
                        "min_per_100",
                        ("min_per_100", *fam),
                        f"school {m.sid(s)} needs at least {need[s]} teacher(s) counted by {ind} "
                        f"(min_per_100 {floor:g} × {int(students[s])} students / 100); it has "
                        f"{here[s]} and only {reach} eligible one(s) may go there"
                        + (
                            " ("
                            + ", ".join(
                                f"{n} kept away by {_rule_phrase(r, sc)}"
                                for r, n in fam.most_common()
                            )
                            + ")"
                            if fam
                            else ""
                        ),
                        (m.sid(s),),
                    )
                )
    return out


# ============================================================================ core extraction


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
        n = int(built.people["is_teacher"].sum())
        return f"teacher_rotation_min {q.teacher_rotation_min:g} needs {built.need_teachers} of {n} eligible teachers to move"
    if rule == "key_share_of_rotated_min":
        n_key = int(built.people["is_key"].sum())
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
    if rule == "max_cv":
        ind, lvl = rest
        cap = sc.balance.max_cv_for(lvl, ind)
        from ..rules.indicators import coefficients, school_indicators

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
        model.clear_assumptions()
        model.add_assumptions([lits[i] for i in subset])
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.max_time_in_seconds = max(limit, 0.1)
        code = solver.solve(model)
        if code == cp_model.INFEASIBLE:
            core_lits = set(solver.sufficient_assumptions_for_infeasibility())
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
        ):
            item["school"] = key[1]
        if key[0] == "subject_staffing":
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
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = max(1, min(scenario.solver.workers, 8))
    solver.parameters.max_time_in_seconds = max(time_limit_s, 0.1)
    code = solver.solve(built.model)
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
    budget = _Budget(time_limit_s)
    out: list[dict] = []
    per_solve = max(1.0, min(10.0, time_limit_s / 8))
    ppl_mask = elig["eligible"].to_numpy(dtype=bool)
    people = district.staff[ppl_mask]
    diagnosis = diagnosis or {}

    def ok(sc: Scenario, dist: District = district) -> bool | None:
        if budget.left() <= 0:
            return None
        return feasible(
            dist, sc, min(per_solve, max(budget.left(), 0.2)), elig if dist is district else None
        )

    def share_search(
        section: str, key: str, current: float, n: int, upward: bool, bound: int | None = None
    ) -> dict:
        """Minimum shares (upward False: the largest feasible count k < current need, as
        the share k/n; ``bound``, a proven upper bound on k, is tried first) or maximum
        shares (upward True)."""
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

    def share_down(section: str, key: str, current: float) -> dict:
        """A minimum share that is not a head count (largest feasible, in 1/100 steps)."""
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

    q = scenario.quotas
    n_t = int((people["role"] == "teacher").sum())
    n_c = int((people["role"] != "teacher").sum())
    n_k = int(((people["role"] == "teacher") & (people["key_level"] != "none")).sum())
    moves = permitted_moves(district, scenario, elig)
    counts = _Counts(moves)
    teach = moves.people["is_teacher"].to_numpy()
    for rule in rules:
        if budget.left() <= 0:
            out.append(_none(rule, None, f"{rule}: not searched (diagnosis time budget spent)"))
            continue
        if rule == "teacher_rotation_min":
            out.append(
                share_search(
                    "quotas",
                    rule,
                    q.teacher_rotation_min,
                    n_t,
                    upward=False,
                    bound=counts.bound(teach),
                )
            )
        elif rule == "principal_rotation_min":
            out.append(share_search("quotas", rule, q.principal_rotation_min, n_c, upward=False))
        elif rule == "key_share_of_rotated_min":
            if q.key_share_basis == "eligible_key":
                out.append(
                    share_search(
                        "quotas",
                        rule,
                        q.key_share_of_rotated_min,
                        n_k,
                        upward=False,
                        bound=counts.bound(moves.people["is_key"].to_numpy()),
                    )
                )
            else:
                out.append(share_down("quotas", rule, q.key_share_of_rotated_min))
        elif rule == "school_outflow_max":
            out.append(share_search("quotas", rule, q.school_outflow_max, 100, upward=True))
        elif rule in ("urban_to_rural_min", "rural_to_urban_min"):
            out.append(share_down("flow", rule, getattr(scenario.flow, rule)))
        elif rule == "subject_staffing":
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
                out.append(
                    _none(
                        rule,
                        tol,
                        f"[staffing] subject_tolerance: even {top} does not make the rules "
                        "feasible",
                    )
                )
                continue
            v = _bisect(lambda t: ok(_with(scenario, "staffing", subject_tolerance=t)), tol, top)
            out.append(
                {
                    "rule": rule,
                    "key": "staffing.subject_tolerance",
                    "current": tol,
                    "suggested": v,
                    "text": f"[staffing] subject_tolerance = {v} is feasible",
                }
            )
        elif rule == "commute":
            out.append(_commute(district, scenario, ok))
        elif rule in ("scope", "same_level"):
            out.append(_scope(scenario, rule, ok, diagnosis))
        elif rule == "min_per_100":
            cur = scenario.balance.min_per_100 or 0.0
            grid = [round(cur * i / 100, 4) for i in range(100)]
            if ok(_with(scenario, "balance", min_per_100=None)) is not True:
                out.append(
                    _none(
                        rule,
                        cur,
                        "[balance] min_per_100: even no floor does not make the rules feasible",
                    )
                )
                continue
            lo_good, hi_bad = -1, len(grid)
            while hi_bad - lo_good > 1:
                mid = (lo_good + hi_bad) // 2
                if ok(_with(scenario, "balance", min_per_100=grid[mid])) is True:
                    lo_good = mid
                else:
                    hi_bad = mid
            v = grid[lo_good] if lo_good >= 0 else None
            out.append(
                {
                    "rule": rule,
                    "key": "balance.min_per_100",
                    "current": cur,
                    "suggested": v,
                    "text": "[balance] min_per_100 "
                    + (f"= {v:g} is feasible" if v is not None else "removed is feasible"),
                }
            )
        elif rule == "max_cv":
            out.append(_max_cv(district, scenario, ok, diagnosis))
        elif rule == "pin":
            out.append(_pins(district, scenario, ok, diagnosis))
        elif rule == "posts_filled":
            out.append(
                _none(
                    rule,
                    None,
                    "posts_filled cannot be relaxed (posts stay filled): relax another rule "
                    "named here",
                )
            )
    return out


def _none(rule: str, current, text: str) -> dict:
    return {"rule": rule, "key": None, "current": current, "suggested": None, "text": text}


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
    from ..rules.indicators import LEVEL_PARTS

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
            "suggested": f"drop the pins of {_short(named)}",
            "text": f"pins.csv without the pins of {_short(named)} is feasible",
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
    """
    elig = eligibility(district, scenario) if elig is None else elig
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
        budget = relax_time_s if relax_time_s is not None else max(10.0, time_limit_s)
        diag["relaxations"] = suggest_relaxations(district, scenario, rules, diag, budget, elig)
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
        lines.append(f"  schools: {_short(diag['schools'], 12)}")
    if diag.get("subjects"):
        lines.append(f"  subjects: {_short(diag['subjects'], 12)}")
    rel = diag.get("relaxations") or []
    good = [r for r in rel if r.get("suggested") is not None]
    if good:
        lines.append("each of these changes alone makes the rules feasible:")
        lines += [f"  - {r['text']}" for r in good]
    bad = [r for r in rel if r.get("suggested") is None]
    lines += [f"  ({r['text']})" for r in bad]
    return "\n".join(lines)
