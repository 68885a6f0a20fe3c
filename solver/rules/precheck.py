"""The counting precheck: necessary conditions a plan must meet, checked before any solve.

Each failed check is a proof that the rules cannot all hold ("the 10% rotation quota
needs 41 moves; the outflow cap and commute limit allow at most 37"; "school S must
have 3 math teachers but only 1 eligible math teacher may go there"), in planners'
terms: a :class:`Finding`. Cheap (counts over the permitted moves of
:mod:`solver.rules.moves`), sound, not complete.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..input.data import District
from ..input.scenario import Scenario
from .catalogue import rule_phrase
from .forms import TENTHS, nearest_teachers, service_pairs, tenths
from .indicators import indicator_matrix
from .moves import Moves, at_least, at_most, forbidden_text, permitted_moves
from .training import training_candidates, training_lead_masks


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


def short(items, n: int = 6) -> str:
    items = list(items)
    return ", ".join(map(str, items[:n])) + (
        f" and {len(items) - n} more" if len(items) > n else ""
    )


def _family_counts(m: Moves, idx: np.ndarray) -> Counter:
    c: Counter = Counter()
    for p in idx:
        c.update(m.why_nowhere(int(p)))
    return c


class Counts:
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
                    f"{len(over_cap)} school(s) ({short(over_cap)}){tail}"
                )
            elif f == "subject_staffing":
                rules.append(f)
                texts.append(
                    f"subject_staffing (tolerance {self.tol}) lets a teacher leave only if one of the "
                    f"same subject can come in ({short(_limit_subjects(self, mask))}){tail}"
                )
            elif f == "pruning":
                c = _family_counts(m, stuck)
                rules += list(c)
                texts.append(
                    f"{len(stuck)} of them have no school they may go to ("
                    + ", ".join(f"{rule_phrase(r, sc)}: {n}" for r, n in c.most_common())
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
    c = Counts(m)
    out += _quota_checks(m, c)
    out += _principal_checks(m)
    out += _cell_checks(m, c)
    out += _floor_checks(m)
    out += _coverage_checks(m)
    out += _training_checks(m)
    return out


def _pin_checks(m: Moves) -> list[Finding]:
    out = []
    d = m.district
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
        finding = (
            _pin_to_finding(m, p, sid, here)
            if action == "to"
            else _pin_move_finding(m, p, sid, here)
            if action == "move"
            else None
        )
        if finding is not None:
            out.append(finding)
    out += _pin_outflow_findings(m, leaving)
    return out


def _pin_to_finding(m: Moves, p: int, sid: str, here: str) -> Finding | None:
    """A pin sending person p to a school they may not go to, or whose post cannot free up."""
    s = int(m.people["pin_school"].iat[p])
    rules = m.blocking(p, s)
    if rules:
        return Finding(
            "pin",
            ("pin", *rules),
            f"pins.csv sends {sid} to {m.sid(s)}, which " + forbidden_text(m, p, s, rules),
            _ids([here, m.sid(s)]),
            _subject(m, p, rules),
            (sid,),
        )
    if not m.people["is_teacher"].iat[p] and not _cadre_can_vacate(
        m, s, m.people["role"].iat[p], p
    ):
        return Finding(
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
    return None


def _pin_move_finding(m: Moves, p: int, sid: str, here: str) -> Finding | None:
    """A pin moving person p, who has no school to go to (or no post that can free up)."""
    sc = m.scenario
    if not m.ok[p].any():
        rules = m.why_nowhere(p)
        return Finding(
            "pin",
            ("pin", *rules),
            f"pins.csv moves {sid} ({here}), who has no school "
            "they may go to (" + ", ".join(rule_phrase(r, sc) for r in rules) + ")",
            _ids([here]),
            _subject(m, p, rules),
            (sid,),
        )
    if not m.people["is_teacher"].iat[p] and not any(
        _cadre_can_vacate(m, s, m.people["role"].iat[p], p) for s in np.flatnonzero(m.ok[p])
    ):
        return Finding(
            "pin",
            ("pin", "posts_filled"),
            f"pins.csv moves {sid} ({here}), but every "
            f"{m.people['role'].iat[p].replace('_', ' ')} post they may go to is held by "
            "someone who cannot leave",
            _ids([here]),
            (),
            (sid,),
        )
    return None


def _pin_outflow_findings(m: Moves, leaving: Counter) -> list[Finding]:
    """Schools whose pinned teachers alone exceed the outflow cap."""
    out = []
    d, sc = m.district, m.scenario
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


def _cadre_can_vacate(
    m: Moves, s: int, role: str, p: int, mobile: np.ndarray | None = None
) -> bool:
    """Whether school s has an eligible cadre of ``role`` (not p) who may leave it."""
    ppl = m.people
    mob = (m.ok.any(axis=1) & (ppl["pin"] != "stay").to_numpy()) if mobile is None else mobile
    cand = (ppl["home"].to_numpy() == s) & (ppl["role"].to_numpy() == role) & mob
    cand[p] = False
    return bool(cand.any())


def _quota_checks(m: Moves, c: Counts) -> list[Finding]:
    out = []
    q = m.scenario.quotas
    ppl = m.people
    # [forms] training_to_lead: the quotas count no training-only young teacher
    counted = ~training_lead_masks(m.district, m.scenario, ppl)[1]
    teach = ppl["is_teacher"].to_numpy() & counted
    key = ppl["is_key"].to_numpy() & counted
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


def _limit_schools(m: Moves, c: Counts, mask: np.ndarray) -> tuple[str, ...]:
    mob = c._mob_school(mask)
    return tuple(
        m.sid(s)
        for s in range(len(mob))
        if mob[s] > c.cap[s] or (mask & c.is_t & (c.home == s) & ~c.mobile).any()
    )


def _limit_subjects(c: Counts, mask: np.ndarray) -> tuple[str, ...]:
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
            + ", ".join(f"{rule_phrase(r, m.scenario)}: {n}" for r, n in fam.most_common())
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


def _cell_checks(m: Moves, c: Counts) -> list[Finding]:
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
                            f"{n} more are kept away by {rule_phrase(r, sc)}"
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
                            f"{rule_phrase(r, sc) if r != 'pin' else 'pinned to stay'}: {n}"
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
    if floor is None or sc.forms.shares:
        # with [forms] shares a school may reach its floor in tenths of teachers: these
        # head-count bounds would not be proofs (the solver's diagnosis still applies)
        return out

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
                                f"{n} kept away by {rule_phrase(r, sc)}"
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


def _coverage_checks(m: Moves) -> list[Finding]:
    """``[forms] coverage_subjects``: per school and subject, the most teacher-equivalents
    it can have (its own teachers, those who may move there, the part-time shares that
    may reach it) is at least ``coverage_min``."""
    sc, d = m.scenario, m.district
    f = sc.forms
    if not f.coverage_subjects:
        return []
    need = tenths(f.coverage_min)
    now = d.teacher_counts()
    ppl = m.people
    pairs = service_pairs(d, sc)
    pairs = pairs[pairs["form"] == "part_time"]
    subj_of = d.staff["subject"].to_numpy()
    cap = tenths(f.part_time_max_share)
    out = []
    for subj in dict.fromkeys(f.coverage_subjects):
        movers = (ppl["is_teacher"] & (ppl["subject"] == subj)).to_numpy()
        pt = pairs[subj_of[pairs["j"].to_numpy()] == subj]
        for s in range(d.n_schools):
            reach = int(m.ok[movers, s].sum())
            shares = int(np.minimum(pt.loc[pt["s"] == s, "max_tenths"], cap).sum())
            most = TENTHS * (int(now.iat[s, now.columns.get_loc(subj)]) + reach) + shares
            if most >= need:
                continue
            near = nearest_teachers(d, s, subj, sc)
            named = ", ".join(f"{sid} at {home} ({km:.1f} km)" for sid, home, km in near)
            how = (
                f"part-time shares may reach it from {len(pt[pt['s'] == s])} teacher(s) within "
                f"max_km {sc.commute.max_km:g}"
                if f.part_time
                else "part_time is off"
            )
            out.append(
                Finding(
                    "coverage_subjects",
                    (
                        "coverage_subjects",
                        "subject_staffing",
                        *(("commute",) if f.part_time else ()),
                    ),
                    f"school {m.sid(s)} must have at least {f.coverage_min:g} teacher-equivalents "
                    f"of {subj} (coverage_subjects) but has {int(now.iat[s, now.columns.get_loc(subj)])} "
                    f"{subj} teacher(s), {reach} may move there and {how}; the nearest {subj} "
                    f"teachers who could serve it: {named or 'none in the district'}",
                    (m.sid(s),),
                    (subj,),
                    tuple(sid for sid, _, _ in near),
                )
            )
    return out


#: How a rule that forbids the move to the lead school reads in the finding.
_TRAINING_PHRASE = {"subject_staffing": "no post of their subject there"}


def _training_checks(m: Moves) -> list[Finding]:
    """``[forms] training_to_lead``: enough young teachers may move to the lead school of
    their group (eligible, and the move permitted: commute, level, subject demand)."""
    sc, d = m.scenario, m.district
    need = sc.forms.training_to_lead
    if not need:
        return []
    cand = training_candidates(d, sc)
    ppl = m.people
    pos = ppl.index.get_indexer(cand.index)
    lead = d.schools.index.get_indexer(cand["lead"].astype(str))
    able, blocked, why = [], Counter(), []
    for sid, p, s in zip(cand.index, pos, lead, strict=True):
        rules = ["not eligible"] if p < 0 else m.blocking(int(p), int(s))
        if not rules:
            able.append(str(sid))
            continue
        blocked.update(rules)
        why.append(
            f"{sid} " + ", ".join(_TRAINING_PHRASE.get(r) or rule_phrase(r, sc) for r in rules)
        )
    if len(able) >= need:
        return []
    why_text = short(why)
    rules = ("training_to_lead", *(r for r in sorted(blocked) if r != "not eligible"))
    return [
        Finding(
            "training_to_lead",
            rules,
            f"training_to_lead needs {need} young teacher(s) at the lead school of their group "
            f"but {len(cand)} teacher(s) hired within 5 years work at a group's other schools "
            f"and {len(able)} of them may move to its lead school"
            + (f"; the others: {why_text}" if why else ""),
            tuple(dict.fromkeys(str(x) for x in cand["lead"])),
            (),
            tuple(str(x) for x in cand.index),
        )
    ]
