"""Score analysis of a plan: what each objective term and hard rule amounts to, what
each school gained and lost, and why each person moves or stays.

:func:`explain_plan` returns a JSON-able dict (written as ``explain.json`` into the
plan folder at solve time, printed by ``lungang explain``):

``objective``, ``terms``
    Each named term with its weight, value and weighted value (they add up to the
    objective) and what drives it: the balance cost per (indicator, level) and per
    school, the longest commutes, the moves by stream.
``rules``
    Each hard rule: its setting, what it requires and what the plan achieves (e.g.
    ``teacher_rotation_min``: 16 required, 17 moved), whether it binds, and the
    schools (subjects, people) where it binds.
``schools``
    Per school: who arrives and who leaves, head counts and indicators before and
    after, and its share of the balance cost.
``people``
    Per eligible person: the decision, the reasons (``pin``, ``quota``, ``staffing``,
    ``balance``, ``commute``, ``rules``) and the best alternative: the cheapest other
    school, by one changed decision or, where one alone would break a rule (posts and
    subject head counts must balance), by an exchange with the person now at that
    school; its cost difference per term. When neither keeps every rule it says so.

Alternatives are costed incrementally with the objective's own definitions
(:mod:`solver.model.terms`); :func:`alternative_terms` recomputes them with
:func:`solver.model.terms.evaluate_terms`, and the tests check that both agree.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..input.data import District
from ..input.scenario import Scenario
from ..model.terms import OBJECTIVE_TERMS, TERMS, evaluate_terms, level_balances, objective_value
from ..plan.plan import Plan
from ..plan.result import Result
from ..progress import Budget, ProgressLike, as_progress
from ..rules.catalogue import REASON_KIND, rule_phrase
from ..rules.eligibility import eligibility
from ..rules.forms import count_deltas, share_deltas, subject_equivalents
from ..rules.indicators import (
    LEVEL_PARTS,
    STANDARD_MIN,
    coefficients,
    indicator_matrix,
    school_indicators,
)
from ..rules.moves import (
    Moves,
    at_least,
    at_most,
    forbidden_text,
    permitted_moves,
    share_fraction,
)
from ..rules.placement import never_worse_allowed, uses_placement, wish_costs
from ..rules.training import training_candidates
from ..search.placement import fairness

#: The solve's bound keys an analysis repeats from ``summary.json`` (``None`` when unknown).
BOUND_KEYS = ("best_bound", "gap", "bound_scope")

#: Seconds the analysis of ``explain.json`` may take when no budget is given (the rest
#: of the file is always complete; people left are marked "not analysed"). Within a
#: solve it gets what is left of the call's budget instead (:mod:`solver.progress`).
EXPLAIN_BUDGET_S = 30.0
#: Differences in the objective below this are ties (the model is exact to ~1e-6 per school).
EPS = 1e-6


def _r(x: float, nd: int = 6) -> float:
    return float(round(float(x), nd))


@dataclass
class _Change:
    """The counts a change of decisions moves, accumulated person by person."""

    d_flow: dict[str, list[int]]
    d_subj: Counter = field(default_factory=Counter)
    d_role: Counter = field(default_factory=Counter)
    d_T: Counter = field(default_factory=Counter)
    d_leave: Counter = field(default_factory=Counter)
    dmt: int = 0
    dmk: int = 0
    dmc: int = 0
    d_km: float = 0.0
    d_moves: int = 0
    d_wish: float = 0.0


class PlanState:
    """A plan as each eligible person's school, with every count the rules and terms
    need, and :meth:`evaluate` to cost and check a change of some decisions."""

    def __init__(
        self,
        district: District,
        scenario: Scenario,
        assignments: pd.DataFrame,
        elig: pd.DataFrame | None = None,
        moves: Moves | None = None,
        shares: pd.DataFrame | None = None,
    ):
        self.district, self.scenario = district, scenario
        # [forms] part-time and guidance shares: held as they are in every alternative
        self.shares = shares if shares is not None and len(shares) else None
        self.elig = eligibility(district, scenario) if elig is None else elig
        m = self.m = moves or permitted_moves(district, scenario, self.elig)
        ppl = m.people
        sch = district.schools
        ids = sch.index
        self.n_s = len(ids)
        # Plain lists: ids are looked up hundreds of thousands of times on big plans.
        self._school_ids = [str(x) for x in ids]
        self._staff_ids = [str(x) for x in ppl.index]
        self.home = ppl["home"].to_numpy()
        plan = Plan.of(district, assignments)
        self.is_t = ppl["is_teacher"].to_numpy()
        self.is_key = ppl["is_key"].to_numpy()
        self.role = ppl["role"].to_numpy()
        self.subjects = list(district.teacher_counts().columns)
        self.subj = np.full(len(ppl), -1)
        if self.is_t.any():
            self.subj[self.is_t] = pd.Index(self.subjects).get_indexer(
                ppl.loc[self.is_t, "subject"]
            )
        self.pin = ppl["pin"].to_numpy()
        self.pin_school = ppl["pin_school"].to_numpy()
        self.locality = sch["locality"].to_numpy()
        self.students = sch["students"].to_numpy(dtype=float)
        staff = district.staff
        # all staff: school after the plan
        self.staff_pos = staff.index.get_indexer(ppl.index)
        self.school_pos_after = plan.school_pos
        self.dest = plan.school_pos[self.staff_pos]
        moved = self.dest != self.home
        self.moved = moved
        # subject head counts after (all teachers) and demand
        teach_all = (staff["role"] == "teacher").to_numpy()
        subj_all = pd.Index(self.subjects).get_indexer(staff["subject"])
        sel = teach_all & (subj_all >= 0)
        self.subj_after = np.zeros((self.n_s, len(self.subjects)), dtype=np.int64)
        np.add.at(self.subj_after, (self.school_pos_after[sel], subj_all[sel]), 1)
        self.subj_before = district.teacher_counts().to_numpy()
        self.want = district.demand_matrix().reindex(columns=self.subjects).to_numpy()
        self.tol = scenario.staffing.subject_tolerance
        # quotas
        q = scenario.quotas
        self.n_t, self.n_k, self.n_c = (
            int(self.is_t.sum()),
            int(self.is_key.sum()),
            int((~self.is_t).sum()),
        )
        self.need_t = at_least(q.teacher_rotation_min, self.n_t)
        self.need_c = at_least(q.principal_rotation_min, self.n_c)
        self.key_share = share_fraction(q.key_share_of_rotated_min)
        self.need_k_eligible = at_least(q.key_share_of_rotated_min, self.n_k)
        self.moved_t = int((moved & self.is_t).sum())
        self.moved_k = int((moved & self.is_key).sum())
        self.moved_c = int((moved & ~self.is_t).sum())
        self.teachers_now = np.bincount(district.staff_school_pos()[teach_all], minlength=self.n_s)
        self.cap = np.array([at_most(q.school_outflow_max, int(n)) for n in self.teachers_now])
        self.leave = np.bincount(self.home[moved & self.is_t], minlength=self.n_s)
        # flows (all roles)
        urb = np.isin(self.locality, ["urban", "town"])
        rur = self.locality == "rural"
        mh, md = self.home[moved], self.dest[moved]
        self.flow = {
            "urban_to_rural_min": [
                int(urb[mh].sum()),
                int((urb[mh] & rur[md]).sum()),
                share_fraction(scenario.flow.urban_to_rural_min),
                urb,
                rur,
            ],
            "rural_to_urban_min": [
                int(rur[mh].sum()),
                int((rur[mh] & urb[md]).sum()),
                share_fraction(scenario.flow.rural_to_urban_min),
                rur,
                urb,
            ],
        }
        # indicators and balance
        self.indicators = scenario.balance.indicators
        flags_all = indicator_matrix(district, self.indicators)
        self.flags = (
            flags_all[self.staff_pos]
            if len(self.staff_pos)
            else np.zeros((0, len(self.indicators)), bool)
        )
        self.T = np.zeros((self.n_s, len(self.indicators)), dtype=np.int64)
        for k in range(len(self.indicators)):
            self.T[:, k] = np.bincount(self.school_pos_after[flags_all[:, k]], minlength=self.n_s)
        if self.shares is not None:
            # teacher-equivalents: the shares received, less those given away
            self.T = self.T + share_deltas(
                district, self.school_pos_after, self.indicators, self.shares
            )
        self.T_before = np.zeros((self.n_s, len(self.indicators)), dtype=np.int64)
        for k in range(len(self.indicators)):
            self.T_before[:, k] = np.bincount(
                district.staff_school_pos()[flags_all[:, k]], minlength=self.n_s
            )
        self.kind = scenario.balance.kind
        self.parts = level_balances(district, scenario)
        self.part_pos = [
            dict(zip(pt.schools.tolist(), range(len(pt.schools)), strict=True)) for pt in self.parts
        ]
        self.part_k = [self.indicators.index(pt.indicator) for pt in self.parts]
        self.part_cost = [
            pt.cost(self.T[:, k], self.kind) for pt, k in zip(self.parts, self.part_k, strict=True)
        ]
        self.caps = [scenario.balance.max_cv_for(pt.level, pt.indicator) for pt in self.parts]
        self.floor = scenario.balance.min_per_100
        self.dist = m.dist
        # [placement]: each person's wish cost per school (0 at home) and never_worse
        self.wish = wish_costs(district, ppl.index)
        if len(ppl):
            self.wish[np.arange(len(ppl)), self.home] = 0
        self.never_worse_ok = (
            never_worse_allowed(district, ppl.index, self.home)
            if scenario.placement.never_worse
            else None
        )
        self.weights = {t.name: t.weight(scenario) for t in OBJECTIVE_TERMS}

    # ------------------------------------------------------------------ plan
    def staff_id(self, p: int) -> str:
        return self._staff_ids[p]

    def sid(self, s: int) -> str:
        return self._school_ids[s]

    def km(self, p: int, s: int) -> float:
        return float(self.dist[p, s]) if s != self.home[p] else 0.0

    def terms(self) -> dict[str, float]:
        """The plan's terms, by :func:`solver.model.terms.evaluate_terms`."""
        return self._terms_for(self.dest)

    def _terms_for(self, dest: np.ndarray) -> dict[str, float]:
        mv = dest != self.home
        km = np.where(mv, self.dist[np.arange(len(dest)), dest] if len(dest) else 0.0, 0.0)
        plan = Plan.of_people(self.district, self.staff_pos, dest, km)
        return evaluate_terms(
            self.district, self.scenario, plan.school_pos, plan.distance_km, plan.moved, self.shares
        )

    # ------------------------------------------------------------- changes
    def evaluate(self, changes: list[tuple[int, int]]) -> tuple[dict[str, float], list[dict]]:
        """Cost and check a change of decisions: ``changes`` is [(person p, new school)].

        Returns the change of each term (new − now) and the rules the changed plan breaks
        (each ``{"rule", "text", "schools", "subjects"}``).
        """
        broken: list[dict] = []
        c = _Change(d_flow={k: [0, 0] for k in self.flow})
        for p, new in changes:
            self._change_person(c, p, new, broken)
        self._staffing_breaks(c, broken)
        self._quota_breaks(c, broken)
        d_bal = self._balance_delta(c, broken)
        delta = {"balance": d_bal, "commute": c.d_km, "moves": float(c.d_moves), "wish": c.d_wish}
        return delta, broken

    def _change_person(self, c: _Change, p: int, new: int, broken: list[dict]) -> None:
        """Add person p's move to ``new`` to the change ``c`` (and the rules it breaks alone)."""
        m = self.m
        old, h = int(self.dest[p]), int(self.home[p])
        if new == old:
            return
        if new != h and not m.ok[p, new]:
            rules = m.blocking(p, new)
            broken.append(
                {
                    "rule": rules[0] if rules else "rules",
                    "rules": rules,
                    "text": f"{self.staff_id(p)} may not go to {self.sid(new)}: {forbidden_text(m, p, new, rules)}",
                    "schools": [self.sid(new)],
                    "subjects": [],
                }
            )
        nw = self.never_worse_ok
        if nw is not None and new != h and not nw[p, new]:
            broken.append(
                {
                    "rule": "never_worse",
                    "rules": ["never_worse"],
                    "text": f"{self.staff_id(p)} ranks {self.sid(new)} below staying (never_worse)",
                    "schools": [self.sid(new)],
                    "subjects": [],
                }
            )
        pin, ps = self.pin[p], int(self.pin_school[p])
        if (
            (pin == "stay" and new != h)
            or (pin == "move" and new == h)
            or (pin == "to" and new != ps)
        ):
            want = {"stay": "stay", "move": "move"}.get(
                pin, f"go to {self.sid(ps) if ps >= 0 else '?'}"
            )
            broken.append(
                {
                    "rule": "pin",
                    "rules": ["pin"],
                    "text": f"pins.csv: {self.staff_id(p)} must {want}",
                    "schools": [],
                    "subjects": [],
                }
            )
        was, now = old != h, new != h
        dm = int(now) - int(was)
        c.d_moves += dm
        c.d_km += self.km(p, new) - self.km(p, old)
        c.d_wish += float(self.wish[p, new] - self.wish[p, old])
        if self.is_t[p]:
            j = self.subj[p]
            if j >= 0:
                c.d_subj[(old, j)] -= 1
                c.d_subj[(new, j)] += 1
            c.dmt += dm
            c.dmk += dm if self.is_key[p] else 0
            c.d_leave[h] += dm
        else:
            c.d_role[(old, self.role[p])] -= 1
            c.d_role[(new, self.role[p])] += 1
            c.dmc += dm
        for rule, (_, _, _, src, dst) in self.flow.items():
            if src[h]:
                c.d_flow[rule][0] += dm
                c.d_flow[rule][1] += int(now and dst[new]) - int(was and dst[old])
        for k in np.flatnonzero(self.flags[p]):
            c.d_T[(old, int(k))] -= 1
            c.d_T[(new, int(k))] += 1

    def _staffing_breaks(self, c: _Change, broken: list[dict]) -> None:
        """Subject staffing and posts after the change ``c``."""
        d_subj, d_role = c.d_subj, c.d_role
        for (s, j), dv in d_subj.items():
            if dv == 0:
                continue
            after = self.subj_after[s, j] + dv
            lo, hi = self.want[s, j] - self.tol, self.want[s, j] + self.tol
            if not lo <= after <= hi:
                short = "short of" if after < lo else "over"
                broken.append(
                    {
                        "rule": "subject_staffing",
                        "rules": ["subject_staffing"],
                        "text": f"{self.sid(s)} would be {short} {self.subjects[j]} teachers ({after}, demand "
                        f"{self.want[s, j]} ± {self.tol})",
                        "schools": [self.sid(s)],
                        "subjects": [self.subjects[j]],
                    }
                )
        for (s, r), dv in d_role.items():
            if dv != 0:
                broken.append(
                    {
                        "rule": "posts_filled",
                        "rules": ["posts_filled"],
                        "text": f"{self.sid(s)} would have {'one more' if dv > 0 else 'one fewer'} "
                        f"{r.replace('_', ' ')} (posts stay filled)",
                        "schools": [self.sid(s)],
                        "subjects": [],
                    }
                )

    def _quota_breaks(self, c: _Change, broken: list[dict]) -> None:
        """Quotas, outflow caps and flow shares after the change ``c``."""
        dmt, dmk, dmc, d_leave, d_flow = c.dmt, c.dmk, c.dmc, c.d_leave, c.d_flow
        q = self.scenario.quotas
        if dmt < 0 and self.moved_t + dmt < self.need_t:
            broken.append(
                {
                    "rule": "teacher_rotation_min",
                    "rules": ["teacher_rotation_min"],
                    "text": f"teacher_rotation_min {q.teacher_rotation_min:g} needs {self.need_t} teacher moves, "
                    f"there would be {self.moved_t + dmt}",
                    "schools": [],
                    "subjects": [],
                }
            )
        if self.key_share > 0 and (dmk < 0 or dmt > 0):
            mk, mt = self.moved_k + dmk, self.moved_t + dmt
            if q.key_share_basis == "eligible_key":
                bad, need = mk < self.need_k_eligible, self.need_k_eligible
            else:
                bad, need = mk < self.key_share * mt, math.ceil(self.key_share * mt)
            if bad:
                broken.append(
                    {
                        "rule": "key_share_of_rotated_min",
                        "rules": ["key_share_of_rotated_min"],
                        "text": f"key_share_of_rotated_min {q.key_share_of_rotated_min:g} needs {need} key "
                        f"teacher moves, there would be {mk}",
                        "schools": [],
                        "subjects": [],
                    }
                )
        if dmc < 0 and self.moved_c + dmc < self.need_c:
            broken.append(
                {
                    "rule": "principal_rotation_min",
                    "rules": ["principal_rotation_min"],
                    "text": f"principal_rotation_min {q.principal_rotation_min:g} needs {self.need_c} cadre "
                    f"moves, there would be {self.moved_c + dmc}",
                    "schools": [],
                    "subjects": [],
                }
            )
        for s, dv in d_leave.items():
            if dv > 0 and self.leave[s] + dv > self.cap[s]:
                broken.append(
                    {
                        "rule": "school_outflow_max",
                        "rules": ["school_outflow_max"],
                        "text": f"{self.sid(s)} would lose {self.leave[s] + dv} of its {self.teachers_now[s]} "
                        f"teachers, school_outflow_max {q.school_outflow_max:g} allows {self.cap[s]}",
                        "schools": [self.sid(s)],
                        "subjects": [],
                    }
                )
        for rule, (d_all, d_to) in d_flow.items():
            n_all, n_to, share = self.flow[rule][:3]
            if (
                share > 0
                and (d_all or d_to)
                and (n_to + d_to) < share * (n_all + d_all)
                and not n_to < share * n_all
            ):
                broken.append(
                    {
                        "rule": rule,
                        "rules": [rule],
                        "text": f"{rule} {float(share):g} needs {math.ceil(share * (n_all + d_all))} of "
                        f"{n_all + d_all} moves, the plan would have {n_to + d_to}",
                        "schools": [],
                        "subjects": [],
                    }
                )

    def _balance_delta(self, c: _Change, broken: list[dict]) -> float:
        """The change of the balance term, and the balance caps the change ``c`` breaks."""
        d_T = c.d_T
        # balance
        d_bal = 0.0
        touched_parts: set[int] = set()
        new_T: dict[int, np.ndarray] = {}
        for (s, k), dv in d_T.items():
            if dv == 0:
                continue
            for i in range(len(self.parts)):
                if self.part_k[i] == k and s in self.part_pos[i]:
                    touched_parts.add(i)
            if self.floor is not None and dv < 0:
                value = 100.0 * (self.T[s, k] + dv) / self.students[s]
                if value < self.floor - 1e-9:
                    broken.append(
                        {
                            "rule": "min_per_100",
                            "rules": ["min_per_100"],
                            "text": f"{self.sid(s)} would have {value:.3f} {self.indicators[k]}, "
                            f"min_per_100 {self.floor:g}",
                            "schools": [self.sid(s)],
                            "subjects": [],
                        }
                    )
        for i in touched_parts:
            pt, k = self.parts[i], self.part_k[i]
            if k not in new_T:
                col = self.T[:, k].copy()
                for (s, k2), dv in d_T.items():
                    if k2 == k:
                        col[s] += dv
                new_T[k] = col
            if self.kind == "minmax":
                d_bal += pt.cost(new_T[k], "minmax") - self.part_cost[i]
            else:
                js = [
                    self.part_pos[i][s]
                    for (s, k2), dv in d_T.items()
                    if k2 == k and dv and s in self.part_pos[i]
                ]
                js = np.array(sorted(set(js)))
                schools = pt.schools[js]
                d_bal += float(
                    pt.school_costs(new_T[k][schools], self.kind, js).sum()
                    - pt.school_costs(self.T[schools, k], self.kind, js).sum()
                )
            cap = self.caps[i]
            if cap is not None:
                cv = pt.coefficient(new_T[k])
                if cv > cap + 1e-9:
                    broken.append(
                        {
                            "rule": "max_cv",
                            "rules": ["max_cv"],
                            "text": f"the {pt.indicator} coefficient of {pt.level} schools would be {cv:.4f}, "
                            f"max_cv {cap:g}",
                            "schools": [],
                            "subjects": [],
                        }
                    )
        return d_bal

    def objective_delta(self, delta: dict[str, float]) -> float:
        return sum(self.weights[t] * delta[t] for t in TERMS)

    def changed_dest(self, changes: list[tuple[int, int]]) -> np.ndarray:
        dest = self.dest.copy()
        for p, s in changes:
            dest[p] = s
        return dest


# ============================================================================ alternatives


def _partners(st: PlanState, p: int, b: int, limit: int = 8) -> list[int]:
    """People now at school b who could take p's place at p's school: same role (and
    subject, for teachers), permitted to go there, not pinned."""
    a = int(st.dest[p])
    cand = np.flatnonzero((st.dest == b) & (st.role == st.role[p]))
    if st.is_t[p]:
        cand = cand[st.subj[cand] == st.subj[p]]
    cand = cand[cand != p]
    ok = [q for q in cand if (a == st.home[q] or st.m.ok[q, a])]
    ok.sort(key=lambda q: st.km(q, a) - st.km(q, b))
    return ok[:limit]


def _alternatives(st: PlanState, p: int, top: int = 4) -> dict[str, Any]:
    """Every single change of person p's decision, and exchanges with the people at the
    cheapest few other schools (and at home), each as (objective delta, school, term
    deltas, partner or None, broken rules); and the best one that keeps every rule."""
    a, h = int(st.dest[p]), int(st.home[p])
    options = [h] + [int(s) for s in np.flatnonzero(st.m.ok[p])]
    options = [s for s in dict.fromkeys(options) if s != a]
    singles = []
    for b in options:
        delta, broken = st.evaluate([(p, b)])
        singles.append((st.objective_delta(delta), b, delta, None, broken))
    singles.sort(key=lambda t: (t[0], t[1]))
    targets = [t[1] for t in singles[:top]] + ([h] if h != a else [])
    exchanges = []
    for b in dict.fromkeys(targets):
        for q in _partners(st, p, b):
            delta, broken = st.evaluate([(p, b), (int(q), a)])
            exchanges.append((st.objective_delta(delta), b, delta, int(q), broken))
    ok = [t for t in singles + exchanges if not t[4]]
    best = min(ok, key=lambda t: (t[0], t[3] is not None, t[1])) if ok else None
    return {"best": best, "singles": singles, "exchanges": exchanges}


def _delta_dict(st: PlanState, delta: dict[str, float]) -> dict[str, float]:
    return {t: _r(delta[t]) for t in TERMS}


def _term_phrase(st: PlanState, delta: dict[str, float]) -> str:
    texts = (t.delta_text(delta[t.name], st.weights[t.name]) for t in OBJECTIVE_TERMS)
    return ", ".join(x for x in texts if x) or "no term changes"


def _merged(broken: list[dict], prefix: str) -> list[dict]:
    """One reason per rule family broken, its instances' texts joined."""
    by_rule: dict[str, list[str]] = {}
    for b in broken:
        if b["rule"] == "pin":
            continue
        by_rule.setdefault(b["rule"], [])
        if b["text"] not in by_rule[b["rule"]]:
            by_rule[b["rule"]].append(b["text"])
    return [
        {
            "kind": REASON_KIND.get(r, "rules"),
            "rule": r,
            "text": f"{prefix} {r}: " + "; ".join(texts),
        }
        for r, texts in by_rule.items()
    ]


def _common(options: list[tuple]) -> list[dict]:
    """The broken-rule items of the first option, for the rule families every option breaks."""
    if not options:
        return []
    fams = [set(b["rule"] for b in t[4]) for t in options]
    every = set.intersection(*fams) - {"pin"}
    return [b for b in options[0][4] if b["rule"] in every]


def explain_person(st: PlanState, p: int) -> dict[str, Any]:
    """Why person p moves or stays, and the best alternative."""
    ppl = st.m.people
    a, h = int(st.dest[p]), int(st.home[p])
    moved = a != h
    out: dict[str, Any] = {
        "staff_id": st.staff_id(p),
        "name": str(ppl["name"].iat[p]),
        "role": str(ppl["role"].iat[p]),
        "stream": str(ppl["stream"].iat[p]),
        "subject": str(ppl["subject"].iat[p]),
        "from_school": st.sid(h),
        "to_school": st.sid(a),
        "moved": bool(moved),
        "distance_km": _r(st.km(p, a), 3),
        "pin": st.pin[p] or None,
    }
    reasons: list[dict] = []
    pin = st.pin[p]
    if pin:
        what = {"stay": "stay", "move": "move"}.get(pin, f"go to {st.sid(int(st.pin_school[p]))}")
        reasons.append({"kind": "pin", "text": f"pinned in pins.csv to {what}"})
    alt = _alternatives(st, p)
    singles, exchanges = alt["singles"], alt["exchanges"]
    n_ok = int(st.m.ok[p].sum())
    out["permitted_schools"] = n_ok
    role_word = "subject" if st.is_t[p] else "role"
    if moved:
        single = next(t for t in singles if t[1] == h)
        if not single[4]:
            reasons.append(_cost_reason(st, "staying", single[0], single[2]))
        else:
            reasons += _merged(single[4], "staying alone would break")
            ex = [t for t in exchanges if t[1] == h]
            good = [t for t in ex if not t[4]]
            if good:
                obj, _, delta, q, _ = min(good, key=lambda t: t[0])
                reasons.append(
                    _cost_reason(
                        st,
                        f"staying while {st.staff_id(q)} takes their place at {st.sid(a)}",
                        obj,
                        delta,
                    )
                )
            elif ex:
                reasons += _merged(
                    _common(ex),
                    f"nobody at {st.sid(h)} can take their place at {st.sid(a)}: "
                    "every exchange would break",
                )
            else:
                reasons.append(
                    {
                        "kind": "staffing",
                        "rule": "subject_staffing" if st.is_t[p] else "posts_filled",
                        "text": f"nobody at {st.sid(h)} of the same {role_word} may go to {st.sid(a)} "
                        "in their place",
                    }
                )
    elif n_ok == 0:
        rules = st.m.why_nowhere(p)
        reasons.append(
            {
                "kind": "rules",
                "rule": ",".join(rules),
                "text": "no school they may go to ("
                + ", ".join(rule_phrase(r, st.scenario) for r in rules)
                + ")",
            }
        )
    else:
        mv = [t for t in singles if t[1] != h]
        obj, b, delta, _, broken = mv[0]
        if not broken:
            reasons.append(_cost_reason(st, f"moving to {st.sid(b)}", obj, delta))
        else:
            reasons += _merged(broken, f"moving alone (cheapest: to {st.sid(b)}) would break")
            good = [t for t in exchanges if not t[4]]
            if good:
                obj, b, delta, q, _ = min(good, key=lambda t: t[0])
                reasons.append(
                    _cost_reason(
                        st, f"moving to {st.sid(b)} in exchange with {st.staff_id(q)}", obj, delta
                    )
                )
            elif exchanges:
                reasons += _merged(_common(exchanges), "every exchange tried would break")
            else:
                reasons.append(
                    {
                        "kind": "staffing",
                        "rule": "subject_staffing" if st.is_t[p] else "posts_filled",
                        "text": f"nobody of the same {role_word} at the schools they may go to could take "
                        f"their place at {st.sid(h)}",
                    }
                )
    best = alt["best"]
    if best is None:
        out["alternative"] = None
        out["note"] = (
            "no single change of this decision, nor an exchange with someone at the other school, "
            "keeps every rule"
        )
    else:
        obj, b, delta, q, _ = best
        item = {
            "to_school": st.sid(b),
            "stays": b == h,
            "objective_delta": _r(obj),
            "terms_delta": _delta_dict(st, delta),
        }
        if q is None:
            item["change"] = "single"
            item["text"] = (
                f"{'staying' if b == h else 'going to ' + st.sid(b)} instead: objective {obj:+.4f} "
                f"({_term_phrase(st, delta)})"
            )
        else:
            item["change"] = "exchange"
            item["with"] = st.staff_id(q)
            item["with_to"] = st.sid(a)
            item["text"] = (
                f"{'staying' if b == h else 'going to ' + st.sid(b)} while {st.staff_id(q)} goes to "
                f"{st.sid(a)} instead: objective {obj:+.4f} ({_term_phrase(st, delta)})"
            )
        out["alternative"] = item
    out["reasons"] = reasons
    return out


def _cost_reason(st: PlanState, what: str, obj: float, delta: dict[str, float]) -> dict:
    wb = st.weights["balance"] * delta["balance"]
    wc = st.weights["commute"] * delta["commute"]
    kind = "balance" if abs(wb) >= abs(wc) else "commute"
    if abs(obj) <= EPS:
        kind = "tie"
    return {
        "kind": kind,
        "objective_delta": _r(obj),
        "terms_delta": _delta_dict(st, delta),
        "text": f"{what} instead would change the objective by {obj:+.4f} ({_term_phrase(st, delta)})",
    }


def alternative_terms(st: PlanState, changes: list[tuple[int, int]]) -> dict[str, float]:
    """The terms of the plan with ``changes`` applied, by :func:`solver.model.terms.evaluate_terms`."""
    return st._terms_for(st.changed_dest(changes))


# ============================================================================ terms, rules, schools


def _terms_section(st: PlanState, terms: dict[str, float]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    ids = st.district.schools.index
    # balance: per part and per school
    parts, school_cost = [], np.zeros(st.n_s)
    school_cost_before = np.zeros(st.n_s)
    for i, pt in enumerate(st.parts):
        k = st.part_k[i]
        x_a = pt.values(st.T[:, k])
        cv = {"before": pt.coefficient(st.T_before[:, k]), "after": pt.coefficient(st.T[:, k])}
        item = {
            "indicator": pt.indicator,
            "level": pt.level,
            "weight": pt.weight,
            "value": _r(st.part_cost[i]),
            "value_before": _r(pt.cost(st.T_before[:, k], st.kind)),
            "cv_before": _r(cv["before"]),
            "cv_after": _r(cv["after"]),
            "mean_before": _r(pt.mean),
        }
        if st.kind == "minmax":
            item["highest"] = str(ids[pt.schools[int(np.argmax(x_a))]])
            item["lowest"] = str(ids[pt.schools[int(np.argmin(x_a))]])
        else:
            np.add.at(school_cost, pt.schools, pt.school_costs(st.T[pt.schools, k], st.kind))
            np.add.at(
                school_cost_before, pt.schools, pt.school_costs(st.T_before[pt.schools, k], st.kind)
            )
        parts.append(item)
    w = st.weights
    bal = {
        "weight": w["balance"],
        "value": _r(terms["balance"], 9),
        "weighted": w["balance"] * terms["balance"],
        "kind": st.kind,
        "parts": parts,
    }
    if st.kind != "minmax":
        order = np.argsort(-school_cost, kind="stable")
        bal["schools"] = [
            {
                "school_id": str(ids[s]),
                "cost": _r(school_cost[s]),
                "cost_before": _r(school_cost_before[s]),
            }
            for s in order
            if school_cost[s] > 0 or school_cost_before[s] > 0
        ]
        bal["text"] = "the balance term is the sum of the schools' costs; largest: " + ", ".join(
            f"{b['school_id']} {b['cost']:.4f}" for b in bal["schools"][:5]
        )
    out["balance"] = bal
    moved = np.flatnonzero(st.moved)
    kms = np.array([st.km(p, int(st.dest[p])) for p in moved])
    order = moved[np.argsort(-kms, kind="stable")] if len(moved) else moved
    out["commute"] = {
        "weight": w["commute"],
        "value": _r(terms["commute"], 9),
        "weighted": w["commute"] * terms["commute"],
        "movers": len(moved),
        "mean_km": _r(kms.mean(), 3) if len(kms) else 0.0,
        "max_km": _r(kms.max(), 3) if len(kms) else 0.0,
        "longest": [
            {
                "staff_id": st.staff_id(p),
                "from_school": st.sid(int(st.home[p])),
                "to_school": st.sid(int(st.dest[p])),
                "km": _r(st.km(p, int(st.dest[p])), 3),
            }
            for p in order[:10]
        ],
    }
    streams = st.m.people["stream"].to_numpy()
    out["moves"] = {
        "weight": w["moves"],
        "value": terms["moves"],
        "weighted": w["moves"] * terms["moves"],
        "by_stream": dict(Counter(str(s) for s in streams[moved])),
    }
    if uses_placement(st.district, st.scenario) or w["wish"]:
        wishers = (st.wish > 0).any(axis=1) if len(st.wish) else np.zeros(0, bool)
        out["wish"] = {
            "weight": w["wish"],
            "value": terms["wish"],
            "weighted": w["wish"] * terms["wish"],
            "movers_with_wishes": int((st.moved & wishers).sum()),
        }
    return out


def _rules_section(st: PlanState) -> list[dict[str, Any]]:
    sc, q = st.scenario, st.scenario.quotas
    rules: list[dict[str, Any]] = []

    def add(rule, setting, required, achieved, binding, text, **kw):
        rules.append(
            {
                "rule": rule,
                "setting": setting,
                "required": required,
                "achieved": achieved,
                "binding": bool(binding),
                "text": text,
                **kw,
            }
        )

    add(
        "teacher_rotation_min",
        q.teacher_rotation_min,
        st.need_t,
        st.moved_t,
        st.moved_t == st.need_t and st.need_t > 0,
        f"{st.moved_t} of {st.n_t} eligible teachers move; at least {st.need_t} required",
    )
    if q.key_share_basis == "eligible_key":
        need_k = st.need_k_eligible
        base = f"of {st.n_k} eligible key teachers"
    else:
        need_k = math.ceil(st.key_share * st.moved_t)
        base = f"of the {st.moved_t} moved teachers"
    add(
        "key_share_of_rotated_min",
        q.key_share_of_rotated_min,
        need_k,
        st.moved_k,
        st.key_share > 0 and st.moved_k == need_k,
        f"{st.moved_k} key teachers move; at least {need_k} required ({q.key_share_of_rotated_min:g} {base})",
        basis=q.key_share_basis,
    )
    add(
        "principal_rotation_min",
        q.principal_rotation_min,
        st.need_c,
        st.moved_c,
        st.need_c > 0 and st.moved_c == st.need_c,
        f"{st.moved_c} of {st.n_c} eligible principals and vice principals move; at least {st.need_c} required",
    )
    at_cap = [s for s in range(st.n_s) if st.leave[s] >= st.cap[s] and st.leave[s] > 0]
    add(
        "school_outflow_max",
        q.school_outflow_max,
        None,
        int(st.leave.max(initial=0)),
        bool(at_cap),
        f"{len(at_cap)} school(s) lose as many teachers as the cap allows",
        schools=[
            {
                "school_id": st.sid(s),
                "leaving": int(st.leave[s]),
                "cap": int(st.cap[s]),
                "teachers": int(st.teachers_now[s]),
            }
            for s in at_cap
        ],
    )
    # subject staffing: cells the plan touches, and those at an edge of the tolerance
    touched = np.flatnonzero((st.subj_after != st.subj_before).any(axis=1))
    cells = []
    moved = st.moved & st.is_t
    for p in np.flatnonzero(moved):
        for s in (int(st.home[p]), int(st.dest[p])):
            cells.append((s, int(st.subj[p])))
    cells = sorted(set(cells))
    edge = [
        (s, j)
        for s, j in cells
        if st.subj_after[s, j] in (st.want[s, j] - st.tol, st.want[s, j] + st.tol)
    ]
    add(
        "subject_staffing",
        st.tol,
        None,
        len(cells),
        bool(edge) and st.tol >= 0,
        f"{len(cells)} (school, subject) head counts touched by moves, {len(edge)} at the edge of demand ± "
        f"{st.tol}",
        cells=[
            {
                "school_id": st.sid(s),
                "subject": st.subjects[j],
                "before": int(st.subj_before[s, j]),
                "after": int(st.subj_after[s, j]),
                "demand": int(st.want[s, j]),
            }
            for s, j in edge[:200]
        ],
        schools_changed=[st.sid(int(s)) for s in touched],
    )
    n_cadre_moves = int((st.moved & ~st.is_t).sum())
    add(
        "posts_filled",
        None,
        None,
        n_cadre_moves,
        n_cadre_moves > 0,
        f"{n_cadre_moves} principal / vice principal moves, every post filled exactly (moves form exchanges)",
    )
    kms = [st.km(p, int(st.dest[p])) for p in np.flatnonzero(st.moved)]
    near = [
        st.staff_id(p)
        for p in np.flatnonzero(st.moved)
        if st.km(p, int(st.dest[p])) > 0.9 * sc.commute.max_km
    ]
    add(
        "commute",
        sc.commute.max_km,
        None,
        _r(max(kms, default=0.0), 3),
        bool(near),
        f"longest commute {max(kms, default=0.0):.2f} km of max_km {sc.commute.max_km:g}; {len(near)} mover(s) "
        "within 10% of it",
        staff=near[:50],
    )
    no_school = int((~st.m.ok.any(axis=1)).sum())
    fam = Counter(r for p in np.flatnonzero(~st.m.ok.any(axis=1)) for r in st.m.why_nowhere(int(p)))
    add(
        "scope",
        {
            "teachers": sc.scope.teachers,
            "principals": sc.scope.principals,
            "same_level": sc.scope.same_level,
        },
        None,
        None,
        False,
        f"{no_school} eligible people have no school they may go to"
        + (
            " (" + ", ".join(f"{rule_phrase(r, sc)}: {n}" for r, n in fam.most_common()) + ")"
            if fam
            else ""
        ),
        permitted_per_person=_r(float(st.m.ok.sum(axis=1).mean()) if len(st.m.people) else 0.0, 2),
    )
    for rule, (n_all, n_to, share, _, _) in st.flow.items():
        need = math.ceil(share * n_all)
        add(
            rule,
            float(share),
            need,
            n_to,
            share > 0 and n_to == need,
            f"{n_to} of {n_all} moves out of {'urban/town' if rule == 'urban_to_rural_min' else 'rural'} schools go "
            f"to {'rural' if rule == 'urban_to_rural_min' else 'urban/town'} ones; at least {need} required",
        )
    for i, pt in enumerate(st.parts):
        cap = st.caps[i]
        if cap is None:
            continue
        cv = pt.coefficient(st.T[:, st.part_k[i]])
        add(
            "max_cv",
            cap,
            cap,
            _r(cv),
            cv > cap - 1e-3,
            f"{pt.indicator} ({pt.level}): coefficient {cv:.4f}, cap {cap:g}",
            indicator=pt.indicator,
            level=pt.level,
        )
    if st.floor is not None:
        for k, ind in enumerate(st.indicators):
            v = 100.0 * st.T[:, k] / st.students
            low = [st.sid(s) for s in np.argsort(v)[:5]]
            at = [
                st.sid(s) for s in range(st.n_s) if v[s] < st.floor + 100.0 / st.students[s] - 1e-9
            ]
            add(
                "min_per_100",
                st.floor,
                st.floor,
                _r(v.min()),
                bool(at),
                f"{ind}: lowest school {v.min():.3f} per 100 (floor {st.floor:g}); {len(at)} school(s) one teacher "
                "above the floor or less",
                indicator=ind,
                lowest=low,
                schools=at,
            )
    pins = [(p, st.pin[p]) for p in range(len(st.pin)) if st.pin[p]]
    add(
        "pins",
        len(pins),
        len(pins),
        len(pins),
        bool(pins),
        f"{len(pins)} pinned decision(s), all honoured" if pins else "no pins",
        staff=[st.staff_id(p) for p, _ in pins],
    )
    return rules


def _schools_section(st: PlanState) -> list[dict[str, Any]]:
    d = st.district
    sch = d.schools
    ids = sch.index
    before = school_indicators(d)
    after_of = d.staff["school_id"].copy()
    after_of.iloc[st.staff_pos] = ids[st.dest].to_numpy() if len(st.dest) else []
    after = school_indicators(d, after_of)
    cost_b, cost_a = np.zeros(st.n_s), np.zeros(st.n_s)
    if st.kind != "minmax":
        for i, pt in enumerate(st.parts):
            k = st.part_k[i]
            np.add.at(cost_b, pt.schools, pt.school_costs(st.T_before[pt.schools, k], st.kind))
            np.add.at(cost_a, pt.schools, pt.school_costs(st.T[pt.schools, k], st.kind))
    out = []
    moved = np.flatnonzero(st.moved)
    for s in range(st.n_s):
        gained = [st.staff_id(p) for p in moved if st.dest[p] == s]
        lost = [st.staff_id(p) for p in moved if st.home[p] == s]
        out.append(
            {
                "school_id": str(ids[s]),
                "name": str(sch["name"].iat[s]),
                "level": str(sch["level"].iat[s]),
                "locality": str(sch["locality"].iat[s]),
                "tier": str(sch["tier"].iat[s]),
                "students": int(sch["students"].iat[s]),
                "gained": gained,
                "lost": lost,
                "teachers": {
                    "before": int(before["teachers"].iat[s]),
                    "after": int(after["teachers"].iat[s]),
                },
                "key_teachers": {
                    "before": int(before["key_teachers"].iat[s]),
                    "after": int(after["key_teachers"].iat[s]),
                },
                "indicators": {
                    ind: {"before": _r(before[ind].iat[s]), "after": _r(after[ind].iat[s])}
                    for ind in STANDARD_MIN
                },
                "balance_cost": {"before": _r(cost_b[s]), "after": _r(cost_a[s])},
                "outflow": {"leaving_teachers": int(st.leave[s]), "cap": int(st.cap[s])},
            }
        )
    return out


# ============================================================================ entry point


def explain_plan(
    district: District,
    scenario: Scenario,
    assignments: pd.DataFrame,
    *,
    elig: pd.DataFrame | None = None,
    staff: list[str] | None = None,
    time_budget_s: float = 30.0,
    status: str | None = None,
    part_time: pd.DataFrame | None = None,
    bound: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The score analysis of a plan (see the module docstring).

    Parameters
    ----------
    assignments
        Indexed by ``staff_id`` with ``to_school`` (``Result.assignments`` or
        :func:`solver.output.plan_folder.read_assignments`).
    staff
        Explain only these people (default: every eligible person).
    time_budget_s
        Seconds for the analysis, counted from its start; the per-person alternatives
        stop when they run out and the people left are listed without an alternative
        (``note`` says so, ``people_not_analysed`` counts them, ``budget_s`` is the budget).
    part_time
        The plan's ``[forms]`` shares (``part_time.csv``): the indicators count
        teacher-equivalents, each person's alternatives keep the shares as they are, and
        ``forms`` says why each share is there.
    bound
        The solve's ``best_bound``, ``gap`` and ``bound_scope`` (as in ``summary.json``),
        copied into the analysis so that it states the same bound.
    """
    t0 = time.perf_counter()
    st = PlanState(district, scenario, assignments, elig, shares=part_time)
    terms = st.terms()
    objective = objective_value(scenario, terms)
    out: dict[str, Any] = {
        "objective": objective,
        "status": status,
        **{k: (bound or {}).get(k) for k in BOUND_KEYS},
        "terms": _terms_section(st, terms),
        "rules": _rules_section(st),
        "schools": _schools_section(st),
    }
    out["check"] = {
        "sum_of_weighted_terms": sum(t["weighted"] for t in out["terms"].values()),
        "objective": objective,
    }
    coef_b = coefficients(district, school_indicators(district))
    after_of = district.staff["school_id"].copy()
    after_of.iloc[st.staff_pos] = district.schools.index[st.dest].to_numpy() if len(st.dest) else []
    delta = None if st.shares is None else count_deltas(district, st.school_pos_after, st.shares)
    coef_a = coefficients(district, school_indicators(district, after_of, delta))
    if scenario.forms.active:
        out["forms"] = forms_section(district, scenario, st.school_pos_after, part_time)
    out["coefficients"] = {
        ind: {
            lvl: {"before": _r(coef_b[ind][lvl]), "after": _r(coef_a[ind][lvl])}
            for lvl in LEVEL_PARTS
        }
        for ind in coef_b
    }
    if uses_placement(district, scenario):
        pl = scenario.placement
        out["placement"] = {
            "mechanism": pl.mechanism,
            "lottery_seed": pl.lottery_seed,
            **fairness(district, scenario, assignments, elig=st.elig, moves=st.m),
        }
    people_idx = range(len(st.m.people))
    if staff is not None:
        pos = pd.Series(np.arange(len(st.m.people)), index=st.m.people.index)
        people_idx = [int(pos[s]) for s in staff if s in pos.index]
    people = []
    # one budget for the whole analysis: the sections above count against it too
    deadline = t0 + time_budget_s
    skipped = 0
    # movers first: their reasons matter most when the budget runs out
    order = sorted(people_idx, key=lambda p: (not st.moved[p], p))
    for p in order:
        if time.perf_counter() > deadline:
            skipped += 1
            people.append(_bare_person(st, p))
            continue
        people.append(explain_person(st, p))
    people.sort(key=lambda r: st.m.people.index.get_loc(r["staff_id"]))
    out["people"] = people
    if skipped:
        out["people_not_analysed"] = skipped
    missing = assignments.index.difference(st.m.people.index) if len(assignments) else []
    if len(missing):
        out["warnings"] = [
            f"{len(missing)} row(s) of the plan are not eligible people under these data and "
            f"rules: {', '.join(map(str, list(missing)[:10]))}"
        ]
    out["budget_s"] = round(float(time_budget_s), 3)
    out["seconds"] = round(time.perf_counter() - t0, 3)
    return out


def _bare_person(st: PlanState, p: int) -> dict[str, Any]:
    ppl = st.m.people
    a, h = int(st.dest[p]), int(st.home[p])
    return {
        "staff_id": st.staff_id(p),
        "name": str(ppl["name"].iat[p]),
        "role": str(ppl["role"].iat[p]),
        "stream": str(ppl["stream"].iat[p]),
        "subject": str(ppl["subject"].iat[p]),
        "from_school": st.sid(h),
        "to_school": st.sid(a),
        "moved": bool(a != h),
        "distance_km": _r(st.km(p, a), 3),
        "pin": st.pin[p] or None,
        "alternative": None,
        "reasons": [],
        "note": "not analysed (explain time budget spent)",
    }


# ============================================================================ text


def format_explain(
    ex: dict[str, Any], staff: list[str] | None = None, school: list[str] | None = None
) -> str:
    """The score analysis as text for the terminal."""
    lines = []
    t = ex["terms"]
    head = " + ".join(f"{k} {v['weight']:g} × {v['value']:.4f}" for k, v in t.items())
    status = f"{ex['status']}, " if ex.get("status") else ""
    lines.append(f"objective {ex['objective']:.4f} ({status}{head})")
    if ex.get("best_bound") is not None:
        gap = ex.get("gap")
        line = f"bound {ex['best_bound']:.4f}" + (
            f", gap {100 * gap:.2f}%" if gap is not None else ""
        )
        if ex.get("bound_scope") == "kept_candidates":
            line += (
                " (the bound and the gap hold only for the candidate moves the model kept, "
                "not for every move the rules permit)"
            )
        lines.append(line)
    lines.append("")
    _format_terms(lines, ex["terms"])
    _format_rules(lines, ex["rules"])
    _format_schools(lines, ex["schools"], school)
    _format_people(lines, ex["people"], staff, school)
    _format_placement(lines, ex.get("placement"))
    _format_forms(lines, ex.get("forms"), staff, school)
    for w in ex.get("warnings", []):
        lines.append(f"warning: {w}")
    return "\n".join(lines)


def _format_placement(lines: list[str], pl: dict[str, Any] | None) -> None:
    if not pl:
        return
    hist = ", ".join(f"{k}: {v}" for k, v in pl["wish_rank_histogram"].items())
    lines.append(
        f"placement ({pl['mechanism']}, lottery seed {pl['lottery_seed']!r}): "
        f"{pl['ordinary_movers']} ordinary movers; wish ranks {hist}"
    )
    lines.append(
        f"  justified envy {pl['justified_envy']} (forced {pl['forced_envy']}), "
        f"blocking pairs {pl['blocking_pairs']}"
    )
    for p in pl["envy_pairs"][:10]:
        forced = " (forced)" if p["forced"] else ""
        lines.append(f"    {p['staff_id']} envies {p['envies']} at {p['school_id']}{forced}")
    if pl["never_worse_kept"]:
        lines.append(f"  kept in place by never_worse: {', '.join(pl['never_worse_kept'])}")
    lines.append("")


def _format_forms(
    lines: list[str],
    forms: dict[str, Any] | None,
    staff: list[str] | None,
    school: list[str] | None,
) -> None:
    """``[forms]``: each share with why it is there."""
    if not forms:
        return
    shares = forms["shares"]
    tr = forms.get("training_to_lead")
    if tr is not None:
        lines.append("")
        lines.append(
            f"young teachers to the lead school of their group: {len(tr['moves'])} of "
            f"{tr['candidates']} (training_to_lead {tr['required']})"
        )
        for r in tr["moves"]:
            if (school and r["to_school"] not in school) or (staff and r["staff_id"] not in staff):
                continue
            lines.append(
                f"  {r['staff_id']} {r['from_school']} → {r['to_school']} "
                f"(hired {r['years_since_hire']:.1f} years ago)"
            )
    lines.append("")
    lines.append(f"part-time and guidance shares: {len(shares)}")
    for r in shares:
        if (school and r["to_school"] not in school) or (staff and r["staff_id"] not in staff):
            continue
        lines.append(
            f"  {r['staff_id']} → {r['to_school']} {r['share']:.1f} ({r['form']}): {r['text']}"
        )


def _format_terms(lines: list[str], t: dict[str, Any]) -> None:
    lines.append("terms")
    b = t["balance"]
    lines.append(
        f"  balance {b['weighted']:.4f} = {b['weight']:g} × {b['value']:.6f} ({b['kind']})"
    )
    for pt in b["parts"]:
        lines.append(
            f"    {pt['indicator']} {pt['level']}: {pt['value']:.6f} (was {pt['value_before']:.6f}); "
            f"coefficient {pt['cv_before']:.4f} → {pt['cv_after']:.4f}"
        )
    if b.get("schools"):
        lines.append(
            "    largest school costs: "
            + ", ".join(
                f"{s['school_id']} {s['cost']:.4f} (was {s['cost_before']:.4f})"
                for s in b["schools"][:6]
            )
        )
    c = t["commute"]
    lines.append(
        f"  commute {c['weighted']:.4f} = {c['weight']:g} × {c['value']:.3f} km over {c['movers']} movers "
        f"(mean {c['mean_km']:.2f}, max {c['max_km']:.2f} km)"
    )
    if c["longest"]:
        lines.append(
            "    longest: "
            + ", ".join(
                f"{m['staff_id']} {m['from_school']}→{m['to_school']} {m['km']:.1f} km"
                for m in c["longest"][:5]
            )
        )
    m = t["moves"]
    lines.append(
        f"  moves {m['weighted']:.4f} = {m['weight']:g} × {m['value']:g} ("
        + ", ".join(f"{k} {v}" for k, v in sorted(m["by_stream"].items()))
        + ")"
    )
    if "wish" in t:
        wt = t["wish"]
        lines.append(
            f"  wish {wt['weighted']:.4f} = {wt['weight']:g} × {wt['value']:g} "
            f"({wt['movers_with_wishes']} movers with wishes)"
        )


def _format_rules(lines: list[str], rules: list[dict[str, Any]]) -> None:
    lines.append("")
    lines.append("rules (binding ones marked *)")
    for r in rules:
        lines.append(f"  {'*' if r['binding'] else ' '} {r['rule']}: {r['text']}")
        if r["rule"] == "school_outflow_max" and r.get("schools"):
            lines.append(
                "      at the cap: "
                + ", ".join(
                    f"{s['school_id']} {s['leaving']}/{s['cap']}" for s in r["schools"][:10]
                )
            )


def _format_schools(
    lines: list[str], schools: list[dict[str, Any]], school: list[str] | None
) -> None:
    if school:
        schools = [s for s in schools if s["school_id"] in school]
    else:
        schools = [s for s in schools if s["gained"] or s["lost"]]
    lines.append("")
    lines.append("schools" + ("" if school else " (those with moves)"))
    lines.append(
        f"  {'school':<8} {'in':>3} {'out':>3} {'teachers':>9} {'key':>7} {'key/100':>13} {'cost':>15}"
    )
    for s in schools:
        kp = s["indicators"]["key_per_100"]
        lines.append(
            f"  {s['school_id']:<8} {len(s['gained']):>3} {len(s['lost']):>3} "
            f"{s['teachers']['before']:>4}→{s['teachers']['after']:<4} "
            f"{s['key_teachers']['before']:>3}→{s['key_teachers']['after']:<3} "
            f"{kp['before']:>6.3f}→{kp['after']:<6.3f} "
            f"{s['balance_cost']['before']:>7.4f}→{s['balance_cost']['after']:<7.4f}"
        )
        if school:
            lines.append(f"      gained: {', '.join(s['gained']) or '-'}")
            lines.append(f"      lost:   {', '.join(s['lost']) or '-'}")


def _format_people(
    lines: list[str],
    people: list[dict[str, Any]],
    staff: list[str] | None,
    school: list[str] | None,
) -> None:
    if staff:
        people = [p for p in people if p["staff_id"] in staff]
    elif school:
        people = [p for p in people if p["from_school"] in school or p["to_school"] in school]
    else:
        people = []
    if people:
        lines.append("")
        lines.append("people")
    for p in people:
        where = (
            f"{p['from_school']} → {p['to_school']} ({p['distance_km']:.1f} km)"
            if p["moved"]
            else f"stays at {p['from_school']}"
        )
        lines.append(
            f"  {p['staff_id']} {p['name']} ({p['stream']}, {p['subject'] or p['role']}): {where}"
        )
        for r in p["reasons"]:
            lines.append(f"    - [{r['kind']}] {r['text']}")
        if p.get("alternative"):
            lines.append(f"    best alternative: {p['alternative']['text']}")
        elif p.get("note"):
            lines.append(f"    {p['note']}")


def explain_result(
    district: District,
    scenario: Scenario,
    result: Result,
    *,
    budget: Budget | None = None,
    progress: ProgressLike = None,
) -> dict[str, Any]:
    """The score analysis of a solve's plan for its plan folder (``explain.json``).

    With ``budget`` (the call's :class:`~solver.progress.Budget`) it gets what is left
    minus the time kept for writing, at least :data:`solver.progress.ANALYSIS_FLOOR_S`;
    without, :data:`EXPLAIN_BUDGET_S`. ``progress`` is told the budget and, when it ran
    out, how many people were not analysed."""
    progress = as_progress(progress)
    seconds = EXPLAIN_BUDGET_S if budget is None else budget.analysis_s(len(district.staff))
    n = len(result.assignments)
    progress.phase("analysis", f"explaining {n} decisions (budget {seconds:.1f} s)")
    out = explain_plan(
        district,
        scenario,
        result.assignments,
        elig=result.eligibility,
        status=result.status.value,
        time_budget_s=seconds,
        part_time=result.part_time if scenario.forms.shares else None,
        bound={
            "best_bound": result.best_bound,
            "gap": result.gap,
            "bound_scope": result.bound_scope,
        },
    )
    left = out.get("people_not_analysed", 0)
    if left:
        progress.note(
            f"analysis: {left} of {n} people not analysed within {seconds:.1f} s "
            "(explain.json lists them as not analysed; `lungang explain` analyses them later)"
        )
    return out


def forms_section(
    district: District,
    scenario: Scenario,
    school_pos: np.ndarray,
    part_time: pd.DataFrame | None,
) -> dict[str, Any]:
    """``explain.json``'s ``forms``: each share with why it is there, and the coverage.

    A part-time share is there for ``coverage_subjects`` when without it the school it
    goes to would fall below ``coverage_min`` of the teacher's subject; otherwise (and a
    guidance share always) for the balance of the indicators it carries."""
    f = scenario.forms
    shares = part_time if part_time is not None else pd.DataFrame()
    have = subject_equivalents(district, school_pos, part_time)
    rows = []
    for r in shares.itertuples(index=False):
        subj, to, share = str(r.subject), str(r.to_school), float(r.share)
        covered = subj in f.coverage_subjects and r.form == "part_time"
        without = float(have.at[to, subj]) - share if to in have.index else 0.0
        if covered and without < f.coverage_min - 1e-9:
            why = (
                f"coverage_subjects: without it {to} would have {max(without, 0):.1f} "
                f"teacher-equivalents of {subj}, coverage_min {f.coverage_min:g}"
            )
            reason = "coverage_subjects"
        else:
            kind = "key-teacher guidance" if r.form == "guidance" else f"{subj} teaching"
            why = f"balance: {share:.1f} of a week of {kind} from {r.home_school} to {to}"
            reason = "balance"
        rows.append(
            {
                "staff_id": str(r.staff_id),
                "to_school": to,
                "share": share,
                "form": str(r.form),
                "reason": reason,
                "text": why,
            }
        )
    coverage = [
        {"school_id": str(s), "subject": subj, "teacher_equivalents": _r(have.at[s, subj], 3)}
        for subj in dict.fromkeys(f.coverage_subjects)
        for s in have.index
    ]
    out: dict[str, Any] = {"shares": rows, "coverage": coverage}
    if f.training_to_lead:
        out["training_to_lead"] = _training_section(district, scenario, school_pos)
    return out


def _training_section(
    district: District, scenario: Scenario, school_pos: np.ndarray
) -> dict[str, Any]:
    """``forms.training_to_lead``: the rule's number, and each young teacher's move to the
    lead school of their group (the young teachers who stay are not listed)."""
    cand = training_candidates(district, scenario)
    sch = district.schools.index
    after = sch[school_pos[district.staff.index.get_indexer(cand.index)]] if len(cand) else []
    moves = [
        {
            "staff_id": str(sid),
            "from_school": str(district.staff.at[sid, "school_id"]),
            "to_school": str(lead),
            "years_since_hire": float(cand.at[sid, "years_since_hire"]),
            "training_only": bool(cand.at[sid, "training_only"]),
        }
        for sid, lead, to in zip(cand.index, cand["lead"], after, strict=True)
        if str(to) == str(lead)
    ]
    return {
        "required": int(scenario.forms.training_to_lead),
        "candidates": len(cand),
        "moves": moves,
    }
