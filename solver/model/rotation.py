"""The CP-SAT model of one year's rotation: variables, one method per rule, objective.

One boolean ``x[p, s]`` per eligible person p and candidate school s (pruned before
any variable exists: level, scope, commute, posts and subject demand) and one
``stay[p]``; exactly one of them is true. Every rule is a method named after it.

In *diagnosis* mode the pruned rules (level, scope, commute) keep their pairs and
every rule's constraints are enforced by a guard literal per (rule, school, ...):
solving under the assumption that all guards hold yields a core of conflicting
rules (see :mod:`solver.search.diagnose`).
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from typing import Protocol

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from ..input.data import District
from ..input.scenario import Scenario
from ..rules.eligibility import eligibility
from ..rules.forms import TENTHS, post_filling_mask
from ..rules.horizon import served_within
from ..rules.indicators import indicator_matrix
from ..rules.moves import (
    MoveMasks,
    at_least,
    at_most,
    eligible_people,
    role_counts,
    share_fraction,
)
from ..rules.obligations import obligations, target_mask
from ..rules.placement import never_worse_allowed, wish_ranks
from ..rules.training import training_lead_masks
from .forms import ServiceVars, coverage_subjects_rule
from .terms import BALANCE_UNIT, OBJECTIVE_TERMS, TERMS, level_balances


class YearLinks(Protocol):
    """What earlier years' decisions change in one year of a multi-year model
    (:class:`solver.model.horizon.HorizonModel` provides it)."""

    def offset(self, group: str, key: str, s: int) -> cp_model.LinearExprT | int:
        """Earlier years' movers' net count of ``group`` ``key`` at school s this year."""
        ...

    def bounds(self, group: str, key: str, s: int) -> tuple[int, int]:
        """The least and greatest value of :meth:`offset`."""
        ...

    def moved_before(self, people: np.ndarray) -> cp_model.LinearExprT | int:
        """How many of this year's ``people`` (positions) moved in an earlier year."""
        ...

    #: Whether the year's pruned moves can be priced: no earlier move counts in this
    #: year and none of this year's moves counts in a later one, so that a move's
    #: column is the one :meth:`RotationModel.move_columns` gives.
    priceable: bool


#: Integer resolution of the objective: 1e-8 units (the terms': solver.model.terms).
OBJ_UNIT = 100_000_000
#: minmax resolution: per-100 values in 1e-4.
MINMAX_UNIT = 10_000
#: With ``max_candidates`` unset, models above this many candidate moves keep each
#: teacher's nearest schools only.
AUTO_MAX_PAIRS = 200_000
#: Above it, each teacher's nearest schools kept when the pruned moves are priced (a
#: one-year weighted objective). Measured on the 15,000-staff benchmark district
#: (benchmarks/README.md, "Pricing"): pricing from 10 schools per teacher took 15% of
#: the full LP's time, from 23 (AUTO_MAX_PAIRS / eligible, the limit without pricing)
#: 47%, from 5 and 3 36% and 67% (more moves priced back, more rounds); multi-year and
#: lexicographic models, which price nothing, keep as many as fit.
AUTO_CANDIDATES = 10


class RotationModel:
    """Build the CP-SAT model for ``district`` under ``scenario``.

    Attributes
    ----------
    people : pandas.DataFrame
        Eligible staff (one row each, position ``p``), with ``home`` (school position).
    pairs : pandas.DataFrame
        Candidate moves: ``p, s, dist_km`` (and the rules a pair breaks, in diagnosis).
    terms : dict
        Named objective terms as (integer expression, integer constant, divisor).
    """

    def __init__(
        self,
        district: District,
        scenario: Scenario,
        *,
        diagnose: bool = False,
        elig: pd.DataFrame | None = None,
        restrict: np.ndarray | None = None,
        masks: MoveMasks | None = None,
        model: cp_model.CpModel | None = None,
        links: YearLinks | None = None,
        keep: pd.Series | None = None,
    ):
        self.district = district
        self.scenario = scenario
        self.diagnose = diagnose
        # Optional pair keys (p · n_schools + s) to keep: a restricted model for search.
        self.restrict = restrict
        # The pruning masks, when the caller has them for the same eligibility (the
        # precheck's, or the full model's for a restricted one).
        self.masks = masks
        # A multi-year model builds each year into one CpModel; ``links`` carries what
        # earlier years' decisions change in this year (solver.model.horizon).
        self.model = cp_model.CpModel() if model is None else model
        self.links = links
        # Moves (staff_id -> school_id) kept whatever the candidate cut, when permitted
        # (a multi-year model keeps the staged plan's moves so it can start from them).
        self.keep = keep
        self.guards: dict[tuple, cp_model.IntVar] = {}
        self.elig = eligibility(district, scenario) if elig is None else elig
        self._people()
        self._pairs()
        self._variables()
        self._forms()
        self.parts = level_balances(district, scenario)
        self._build_counts()
        self.terms: dict[str, tuple] = {}
        for rule in self.RULES:
            getattr(self, rule)()
        self._objective()

    RULES: tuple[str, ...] = (
        "one_school_each",
        "posts_filled",
        "subject_staffing",
        "teacher_rotation_min",
        "key_share_of_rotated_min",
        "principal_rotation_min",
        "school_outflow_max",
        "urban_to_rural_min",
        "rural_to_urban_min",
        "strong_to_weak_min",
        "no_return_years",
        "never_worse",
        "new_hire_rural",
        "title_rural",
        "balance_caps",
        "pins",
        "group_holds",
        "pruned_pairs",
        "coverage_subjects",
        "training_to_lead",
    )

    # ------------------------------------------------------------------ data
    def _people(self) -> None:
        d = self.district
        keep = self.elig["eligible"].to_numpy(dtype=bool)
        people = eligible_people(d, self.elig)
        self.people = people

        self.person_flags = indicator_matrix(d, self.scenario.balance.indicators)[keep]
        # People with the same code count the same towards every rule and indicator.
        # [forms] training_to_lead: each candidate's lead school, and who is training only
        self.training_lead, self.training_only = training_lead_masks(d, self.scenario, people)
        self.flag_codes = people["is_key"].to_numpy().astype(np.int64)
        for k in range(self.person_flags.shape[1]):
            self.flag_codes += self.person_flags[:, k].astype(np.int64) << (k + 1)
        self.locality = d.schools["locality"].to_numpy()
        self.teacher_now = d.teacher_counts()
        self.demand = d.demand_matrix()
        self.role_now = role_counts(d)

    def _pairs(self) -> None:
        """Candidate (person, school) moves, pruned by the rules that need no variable."""
        d, sc, ppl = self.district, self.scenario, self.people
        n_p, n_s = len(ppl), d.n_schools
        if self.masks is None:
            self.masks = MoveMasks.of(d, sc, ppl)
        mk = self.masks
        dist, level_ok, scope_ok, commute_ok = mk.dist, mk.level_ok, mk.scope_ok, mk.commute_ok
        is_t = ppl["is_teacher"].to_numpy()
        keep = mk.other.copy()  # (the masks may be shared: never changed in place)
        if not self.diagnose:
            # In diagnosis the staffing and post rules forbid (and name) these moves instead.
            keep &= mk.room & level_ok & scope_ok & commute_ok
        if not self.diagnose and sc.placement.never_worse and len(d.preferences):
            # never_worse prunes like commute (in diagnosis its method forbids, and names,
            # them): before the candidate limit, so that the moves it allows are priced
            keep &= never_worse_allowed(d, ppl.index, ppl["home"].to_numpy())
        permitted = keep.copy()
        self.n_permitted = int(keep.sum())
        k = sc.solver.max_candidates
        if self.restrict is not None:
            k = 0  # a restricted model keeps exactly the moves it is given
        if k is None:
            # Automatic: all candidates unless the model would be too big to search well.
            total = int(keep.sum()) if not self.diagnose else 0
            if total <= AUTO_MAX_PAIRS:
                k = 0
            elif self.links is None and sc.balance.objective != "lexicographic":
                # the weighted objective's LP guide prices the pruned moves back in
                # (docs/bound.md), so few are kept: the LP is what costs
                k = AUTO_CANDIDATES
            else:
                k = max(AUTO_CANDIDATES, AUTO_MAX_PAIRS // max(n_p, 1))
        self.candidates_limit = k
        if k and not self.diagnose and n_p and k < n_s:
            # Keep each teacher's k nearest permitted schools (a heuristic reduction);
            # cadres are few and move in chains of posts, so they keep every school.
            masked = np.where(keep, dist, np.inf)
            cut = np.partition(masked, k - 1, axis=1)[:, k - 1 : k]
            keep &= (masked <= cut) | ~is_t[:, None]
            # a planner's pin `to` a permitted school is kept, however far
            pins = d.pins
            if pins is not None and len(pins):
                to = pins[pins["action"] == "to"]
                pp = ppl.index.get_indexer(to["staff_id"])
                ps = d.schools.index.get_indexer(to["school_id"])
                ok = (pp >= 0) & (ps >= 0)
                keep[pp[ok], ps[ok]] |= permitted[pp[ok], ps[ok]]
            # and a person's wished schools (preferences.csv): a wish is a move the planner
            # was asked for, and with wishes weighted the nearest schools are often not the
            # wished ones (15,000 staff, wish_weight 1, 10 nearest kept: 747 pruned moves
            # priced negative after the first LP, whose 60 s bound was then 11% low)
            if len(d.preferences):
                keep |= permitted & (wish_ranks(d, ppl.index) > 0)
            # and so are training moves to a group's lead school (every one is in the
            # model: pricing never needs the training_to_lead row of a pruned move)
            keep |= permitted & self.training_lead
            # and so are the moves that fulfil an obligation (a rural or weak school)
            ob = obligations(d, sc)
            ob = ob[ob.index.isin(ppl.index)]
            if len(ob):
                pos = ppl.index.get_indexer(ob.index)
                keep[pos] |= permitted[pos] & target_mask(d, ob)
            if self.keep is not None and len(self.keep):
                pp = ppl.index.get_indexer(self.keep.index.astype(str))
                ps = d.schools.index.get_indexer(self.keep.astype(str).to_numpy())
                ok = (pp >= 0) & (ps >= 0)
                keep[pp[ok], ps[ok]] |= permitted[pp[ok], ps[ok]]
        if self.restrict is not None:
            allowed = np.zeros(n_p * n_s, dtype=bool)
            allowed[self.restrict] = True
            keep &= allowed.reshape(n_p, n_s)
        # A pruned model (not restricted, not in diagnosis; one year, or a year of a
        # horizon whose moves no other year counts) can be priced: its rows and count
        # variables are built for every permitted move, kept or not, so that a pruned
        # move's column is the full model's (docs/bound.md). Every other model builds
        # them from its own moves only, as small as a model of those alone.
        self.priceable = (
            not self.diagnose
            and self.restrict is None
            and (self.links is None or self.links.priceable)
            and int(keep.sum()) < self.n_permitted
        )
        self.permitted = permitted if self.priceable else keep.copy()
        p, s = np.nonzero(keep)
        self.pairs = pd.DataFrame({"p": p, "s": s, "dist_km": dist[p, s]})
        if self.diagnose:
            self.pairs["breaks_level"] = ~level_ok[p, s]
            self.pairs["breaks_scope"] = ~scope_ok[p, s]
            self.pairs["breaks_commute"] = ~commute_ok[p, s]
        self.home_dist = dist  # (people × schools), kept for explanations
        # Constraint indices of the rows a move enters (see move_columns).
        self.person_rows = np.full(n_p, -1, dtype=np.int64)
        self.post_rows = np.full((2, n_s), -1, dtype=np.int64)
        self.staffing_rows: dict[str, np.ndarray] = {}
        self.direction_rows: list[tuple[int, np.ndarray, np.ndarray, int, int]] = []
        self.pin_rows: dict[int, int] = {}
        # no_return_years: the row of each banned move the model has, and the pair keys
        # of every banned permitted move (pricing leaves them out: they are fixed at 0)
        self.ban_rows: dict[int, int] = {}
        self.banned_keys = np.zeros(0, dtype=np.int64)
        # obligations: each obliged person's row and (by row of obliged_target) schools
        self.obliged_row = np.full(n_p, -1, dtype=np.int64)
        self.obliged_at = np.full(n_p, -1, dtype=np.int64)
        self.obliged_target = np.zeros((0, n_s), dtype=bool)

    @property
    def complete(self) -> bool:
        """Whether the model has every permitted move: no candidate was left out, and it
        is not restricted to some of them (its own bound is then the problem's)."""
        return self.restrict is None and len(self.pairs) == self.n_permitted

    def _variables(self) -> None:
        m = self.model
        n_p = len(self.people)
        self.stay = [m.new_bool_var("") for _ in range(n_p)]
        self.x = [m.new_bool_var("") for _ in range(len(self.pairs))]
        # Pairs grouped per person, per destination: index arrays into self.x.
        self._by_person = _group_index(self.pairs["p"].to_numpy(), n_p)

    def _forms(self) -> None:
        """The share variables of part-time service and guidance (``[forms]``), and the
        post-filling moves; none without ``[forms]`` (a one-year plan only)."""
        sc = self.scenario
        self.forms: ServiceVars | None = None
        if sc.forms.shares and self.links is None:
            forms = ServiceVars(self)
            self.forms = forms if len(forms.pairs) else None
        # Indicator counts are in tenths of a teacher while shares exist.
        self.unit = TENTHS if self.forms is not None else 1
        pr = self.pairs
        self.training_pair = self.training_lead[pr["p"].to_numpy(), pr["s"].to_numpy()]
        self.post_fill = np.zeros(len(self.pairs), dtype=bool)
        if sc.forms.post_filling and len(self.pairs):
            pr = self.pairs
            self.post_fill = post_filling_mask(
                self.district,
                self.people.index[pr["p"].to_numpy()],
                self.people["school_id"].to_numpy()[pr["p"].to_numpy()],
                self.district.schools.index[pr["s"].to_numpy()],
                sc,
            )

    def _rotated(self, mask: np.ndarray) -> tuple[cp_model.LinearExprT, int]:
        """As :meth:`_moved`, less post-filling moves (``[forms] post_filling``: a staffing
        measure, not a rotation) and less training-only candidates (``[forms]
        training_to_lead``: the quotas count neither them nor their move)."""
        moved, n = self._moved(mask & ~self.training_only)
        if not self.post_fill.any():
            return moved, n
        idx = np.flatnonzero(self.post_fill & mask[self.pairs["p"].to_numpy()])
        return (moved - self._sum_x(idx) if len(idx) else moved), n

    def coverage_subjects(self) -> None:
        """Every school has at least ``coverage_min`` teacher-equivalents of each of
        ``coverage_subjects`` (Dongcheng 2021: 全覆盖、全学科)."""
        coverage_subjects_rule(self)

    def training_to_lead(self) -> None:
        """At least ``training_to_lead`` young teachers move full time from ordinary
        schools to the lead school of their education group (Dongcheng 2021:
        选派新任教师或有潜质的优秀青年教师到教育集团龙头校全职交流轮岗)."""
        need = self.scenario.forms.training_to_lead
        if not need:
            return
        self._add(self._sum_x(np.flatnonzero(self.training_pair)) >= need, "training_to_lead")

    # ------------------------------------------------------------- helpers
    def guard(self, *key: Hashable) -> cp_model.IntVar | None:
        """The enforcement literal of one rule instance (diagnosis mode only)."""
        if not self.diagnose:
            return None
        lit = self.guards.get(key)
        if lit is None:
            lit = self.guards[key] = self.model.new_bool_var("")
        return lit

    def _add(self, ct: cp_model.BoundedLinearExpression, *key: Hashable) -> int:
        """Add ``ct`` (enforced by its guard in diagnosis); returns its constraint index."""
        row = len(self.model.proto.constraints)
        c = self.model.add(ct)
        g = self.guard(*key)
        if g is not None:
            c.only_enforce_if(g)
        return row

    def _sum_x(self, idx: np.ndarray, coefs: np.ndarray | None = None) -> cp_model.LinearExprT:
        xs = [self.x[i] for i in idx]
        if coefs is None:
            return cp_model.LinearExpr.sum(xs)
        return cp_model.LinearExpr.weighted_sum(xs, [int(c) for c in coefs])

    def _sum_stay(self, idx: np.ndarray) -> cp_model.LinearExprT:
        return cp_model.LinearExpr.sum([self.stay[i] for i in idx])

    def _arrivals(self, mask: np.ndarray) -> dict[int, np.ndarray]:
        """Pair indices by destination school, for pairs whose person is in ``mask``."""
        sel = np.flatnonzero(mask[self.pairs["p"].to_numpy()])
        return _split_by(self.pairs["s"].to_numpy()[sel], sel)

    def _open(self, mask: np.ndarray) -> set[int]:
        """Schools that someone in ``mask`` may move to (a permitted move, kept or not)."""
        return set(np.flatnonzero(self.permitted[mask].any(axis=0)).tolist())

    def _residents(self, mask: np.ndarray) -> dict[int, np.ndarray]:
        """Eligible people by current school, among ``mask``."""
        sel = np.flatnonzero(mask)
        return _split_by(self.people["home"].to_numpy()[sel], sel)

    def _moved(self, mask: np.ndarray) -> tuple[cp_model.LinearExprT, int]:
        """(number who move among ``mask``) as an expression and the group's size."""
        idx = np.flatnonzero(mask)
        return len(idx) - self._sum_stay(idx), len(idx)

    def _count_after(self, mask: np.ndarray, s: int, arrivals, residents) -> cp_model.LinearExprT:
        """Among ``mask`` (eligible people): stayers at school s plus arrivals at s."""
        return self._sum_stay(residents.get(s, _EMPTY)) + self._sum_x(arrivals.get(s, _EMPTY))

    def _offset(self, group: str, key: str, s: int) -> cp_model.LinearExprT | int:
        """What earlier years of a multi-year plan add to this year's count of ``group``
        (``role``, ``subject``, ``indicator``) ``key`` at school s (0 in one year)."""
        if self.links is None:
            return 0
        return self.links.offset(group, key, s)

    def _at_least_of_eligible(
        self, moved: cp_model.LinearExprT, mask: np.ndarray, share: float, rule: str
    ) -> bool:
        """In a multi-year plan, ``moved ≥ ceil(share · n)`` where n, this year's eligible
        among ``mask``, leaves out those who moved in an earlier year: ``True`` when
        stated so (the caller then adds nothing)."""
        if self.links is None:
            return False
        gone = self.links.moved_before(np.flatnonzero(mask))
        if isinstance(gone, int):
            return False
        frac = share_fraction(share)
        if frac > 0:
            n = int(mask.sum())
            self._add(frac.denominator * moved >= frac.numerator * (n - gone), rule)
        return True

    # ------------------------------------------------------------------ rules
    def one_school_each(self) -> None:
        """Each eligible person stays or moves to exactly one other school."""
        for p, idx in enumerate(self._by_person):
            self.person_rows[p] = len(self.model.proto.constraints)
            self.model.add_exactly_one([self.stay[p], *(self.x[i] for i in idx)])

    def posts_filled(self) -> None:
        """Principal and vice principal posts stay filled exactly: each school ends with as
        many principals (vice principals) as it has now (Beijing 2021, Beijing 2022; ``docs/policy.md``)."""
        ppl = self.people
        for r, role in enumerate(("principal", "vice_principal")):
            mask = (ppl["role"] == role).to_numpy()
            if not mask.any():
                continue
            arr, res = self._arrivals(mask), self._residents(mask)
            for s in sorted(set(arr) | set(res) | self._open(mask)):
                n_res = len(res.get(s, _EMPTY))
                self.post_rows[r, s] = self._add(
                    self._count_after(mask, s, arr, res) == n_res,
                    "posts_filled",
                    self._sid(s),
                    role,
                )

    def subject_staffing(self) -> None:
        """Each school's teacher head count per subject stays within ``subject_tolerance``
        of the demand (default: today's head count), so no school is left short of a
        subject teacher (Dongcheng and Miyun 2021: all schools, all subjects)."""
        ppl = self.people
        tol = self.scenario.staffing.subject_tolerance
        now = self.teacher_now
        demand = self.demand
        teach = ppl["is_teacher"].to_numpy()
        # With the default demand (today's head count) earlier years' moves change the
        # demand and the count alike; a given demand stays, so the count carries them.
        given = set(
            zip(self.district.demand["school_id"], self.district.demand["subject"], strict=True)
        )
        for subject in sorted(ppl.loc[teach, "subject"].unique()):
            mask = teach & (ppl["subject"] == subject).to_numpy()
            arr, res = self._arrivals(mask), self._residents(mask)
            rows = np.full((2, self.district.n_schools), -1, dtype=np.int64)
            self.staffing_rows[subject] = rows
            for s in sorted(set(arr) | set(res) | self._open(mask)):
                sid = self._sid(s)
                fixed = int(now.at[sid, subject]) - len(res.get(s, _EMPTY))
                want = int(demand.at[sid, subject])
                expr = self._count_after(mask, s, arr, res)
                if (sid, subject) in given:
                    expr = expr + self._offset("subject", subject, s)
                rows[0, s] = self._add(expr >= want - tol - fixed, "subject_staffing", sid, subject)
                rows[1, s] = self._add(expr <= want + tol - fixed, "subject_staffing", sid, subject)

    def teacher_rotation_min(self) -> None:
        """At least ``teacher_rotation_min`` of eligible teachers rotate, ceil(s·n)
        (2014 national opinion: at least 10% a year)."""
        mask = self.people["is_teacher"].to_numpy()
        moved, n = self._rotated(mask)
        need = at_least(self.scenario.quotas.teacher_rotation_min, n)
        self.need_teachers = need
        if self._at_least_of_eligible(
            moved, mask, self.scenario.quotas.teacher_rotation_min, "teacher_rotation_min"
        ):
            return
        if need > 0:
            self._add(moved >= need, "teacher_rotation_min")

    def key_share_of_rotated_min(self) -> None:
        """Key teachers are at least ``key_share_of_rotated_min`` of rotated teachers
        (2014 national opinion: 20%), or of eligible key teachers with
        ``key_share_basis = "eligible_key"``."""
        q = self.scenario.quotas
        share = share_fraction(q.key_share_of_rotated_min)
        if share == 0:
            return
        key_mask = self.people["is_key"].to_numpy()
        moved_key, n_key = self._rotated(key_mask)
        if q.key_share_basis == "eligible_key":
            if self._at_least_of_eligible(
                moved_key, key_mask, q.key_share_of_rotated_min, "key_share_of_rotated_min"
            ):
                return
            self._add(
                moved_key >= at_least(q.key_share_of_rotated_min, n_key), "key_share_of_rotated_min"
            )
            return
        moved_t, _ = self._rotated(self.people["is_teacher"].to_numpy())
        # moved_key ≥ s·moved_t  ⇔  moved_key ≥ ceil(s·moved_t), since moved_key is an integer
        self._add(
            share.denominator * moved_key >= share.numerator * moved_t, "key_share_of_rotated_min"
        )

    def principal_rotation_min(self) -> None:
        """At least ``principal_rotation_min`` of eligible principals and vice principals
        rotate (Dongcheng and Miyun 2021: Miyun rotated 55% of eligible cadres)."""
        mask = self.people["is_cadre"].to_numpy()
        moved, n = self._moved(mask)
        need = at_least(self.scenario.quotas.principal_rotation_min, n)
        if self._at_least_of_eligible(
            moved, mask, self.scenario.quotas.principal_rotation_min, "principal_rotation_min"
        ):
            return
        if need > 0:
            self._add(moved >= need, "principal_rotation_min")

    def school_outflow_max(self) -> None:
        """At most ``school_outflow_max`` of a school's teachers leave it, floor(s·n), so
        that no school loses too much at once (Beijing 2021: stability)."""
        share = self.scenario.quotas.school_outflow_max
        teach = self.people["is_teacher"].to_numpy()
        res = self._residents(teach)
        frac = share_fraction(share)
        for s, idx in sorted(res.items()):
            n_now = int(self.role_now["teacher"].iat[s])
            off = self._offset("role", "teacher", s)
            if self.links is not None and not isinstance(off, int):
                # The school's teachers this year depend on earlier years' moves:
                # leavers ≤ floor(s·n) ⇔ leavers ≤ s·n, as leavers are whole people.
                self._add(
                    frac.denominator * (len(idx) - self._sum_stay(idx))
                    <= frac.numerator * (n_now + off),
                    "school_outflow_max",
                    self._sid(s),
                )
                continue
            cap = at_most(share, n_now)
            if cap < len(idx):
                self._add(len(idx) - self._sum_stay(idx) <= cap, "school_outflow_max", self._sid(s))

    def _direction(
        self,
        from_loc: tuple[str, ...],
        to_loc: tuple[str, ...],
        share: float,
        rule: str,
        column: str = "locality",
    ) -> None:
        frac = share_fraction(share)
        if frac == 0:
            return
        kind = self.district.schools[column].to_numpy()
        src = np.isin(kind[self.people["home"].to_numpy()], from_loc)
        out_idx = np.flatnonzero(src[self.pairs["p"].to_numpy()])
        to_mask = np.isin(kind[self.pairs["s"].to_numpy()[out_idx]], to_loc)
        out_all = self._sum_x(out_idx)
        out_to = self._sum_x(out_idx[to_mask])
        row = self._add(frac.denominator * out_to >= frac.numerator * out_all, rule)
        self.direction_rows.append(
            (row, np.isin(kind, from_loc), np.isin(kind, to_loc), frac.denominator, frac.numerator)
        )

    def urban_to_rural_min(self) -> None:
        """At least ``urban_to_rural_min`` of moves out of urban and town schools go to
        rural ones (Beijing teachers 2022: 城镇优秀教师、校长向乡村学校流动)."""
        self._direction(
            ("urban", "town"),
            ("rural",),
            self.scenario.flow.urban_to_rural_min,
            "urban_to_rural_min",
        )

    def rural_to_urban_min(self) -> None:
        """At least ``rural_to_urban_min`` of moves out of rural schools go to urban or town
        schools (Banan 2021: two-way flow, rural principals to the city)."""
        self._direction(
            ("rural",),
            ("urban", "town"),
            self.scenario.flow.rural_to_urban_min,
            "rural_to_urban_min",
        )

    def strong_to_weak_min(self) -> None:
        """At least ``strong_to_weak_min`` of moves out of strong schools go to weak ones
        (``tier``; Beijing teachers 2022: 城镇优秀教师、校长向一般学校流动, 优质→薄弱)."""
        self._direction(
            ("strong",),
            ("weak",),
            self.scenario.flow.strong_to_weak_min,
            "strong_to_weak_min",
            column="tier",
        )

    def no_return_years(self) -> None:
        """No rotation to a school the person served within ``no_return_years``
        (``history.csv``; in a multi-year plan also its earlier years): a rotation
        sends people somewhere new (Dongcheng 2021: across schools, zones and levels)."""
        years = self.scenario.horizon.no_return_years
        served = served_within(self.district, years, self.scenario.as_of)
        if not len(served):
            return
        sid = self.people.index.to_numpy()[self.pairs["p"].to_numpy()]
        school = self.district.schools.index.to_numpy()[self.pairs["s"].to_numpy()]
        key = pd.MultiIndex.from_arrays([sid.astype(str), school.astype(str)])
        bad = key.isin(pd.MultiIndex.from_frame(served.astype(str)))
        keys = self.pair_keys()
        for i in np.flatnonzero(bad):
            self.ban_rows[int(keys[i])] = self._add(self.x[i] == 0, "no_return_years", str(sid[i]))
        pp = self.people.index.get_indexer(served["staff_id"].astype(str))
        ss = self.district.schools.index.get_indexer(served["school_id"].astype(str))
        ok = (pp >= 0) & (ss >= 0)
        self.banned_keys = np.unique(pp[ok].astype(np.int64) * self.district.n_schools + ss[ok])

    def never_worse(self) -> None:
        """With ``[placement] never_worse``, nobody with wishes is sent to a school they
        rank below staying (individual rationality; France's mouvement: never moved below
        a wish already held); ``solver.rules.placement`` says how staying ranks. The
        forbidden moves are pruned in a normal solve and forbidden here in diagnosis."""
        if not self.diagnose or not self.scenario.placement.never_worse or not len(self.pairs):
            return  # a normal solve prunes these pairs (_pairs)
        if not len(self.district.preferences):
            return
        ok = never_worse_allowed(self.district, self.people.index, self.people["home"].to_numpy())
        bad = ~ok[self.pairs["p"].to_numpy(), self.pairs["s"].to_numpy()]
        sid = self.people.index.to_numpy()[self.pairs["p"].to_numpy()]
        for i in np.flatnonzero(bad):
            self._add(self.x[i] == 0, "never_worse", str(sid[i]))

    def new_hire_rural(self) -> None:
        """Urban and town new hires due by ``[rules] new_hire_rural_after_years`` go to a
        rural school (Banan 2021: after 2 years, for at least 2)."""
        self._obliged("new_hire_rural")

    def title_rural(self) -> None:
        """A senior-title applicant short of ``[rules] title_rural_years`` of rural service
        (or ``title_weak_years`` at weak schools) goes to a rural (or weak) school
        (Banan 2021, Beijing teachers 2022; Pucheng for the weak schools)."""
        self._obliged("title_rural")

    def _obliged(self, rule: str) -> None:
        if not hasattr(self, "obliged"):
            ob = obligations(self.district, self.scenario)
            self.obliged = ob[ob.index.isin(self.people.index)]
            self.obliged_pairs: dict[str, np.ndarray] = {}
            if len(self.obliged):
                ok = target_mask(self.district, self.obliged)
                pos = self.people.index.get_indexer(self.obliged.index)
                for r, (sid, p) in enumerate(zip(self.obliged.index, pos, strict=True)):
                    idx = self._by_person[p]
                    good = ok[r, self.pairs["s"].to_numpy()[idx]] if len(idx) else idx
                    self.obliged_pairs[str(sid)] = idx[good.astype(bool)] if len(idx) else idx
        if self.links is not None:
            return  # a multi-year plan states it across the years (solver.model.horizon)
        if len(self.obliged) and not len(self.obliged_target):
            self.obliged_target = target_mask(self.district, self.obliged)
            pos = self.people.index.get_indexer(self.obliged.index)
            self.obliged_at[pos] = np.arange(len(pos))
        for sid in self.obliged.index[self.obliged["rule"] == rule]:
            row = self._add(self._sum_x(self.obliged_pairs[str(sid)]) == 1, rule, str(sid))
            self.obliged_row[self.people.index.get_loc(sid)] = row

    def balance_caps(self) -> None:
        """Optional hard caps: the difference coefficient of each balanced indicator at most
        ``max_cv`` per level (教督〔2017〕6号: 0.50 primary, 0.45 junior), and each school at
        least ``min_per_100`` per 100 students."""
        bal = self.scenario.balance
        students = self.district.schools["students"].to_numpy(dtype=float)
        for part in self.parts:
            cap = bal.max_cv_for(part.level, part.indicator)
            if cap is None:
                continue
            k = self._ind_index(part.indicator)
            # Σ w_i (x_i − m)² ≤ c² m²  (CV against the mean before), and the mean may not fall:
            # together they imply the true CV ≤ c.
            unit = part.weight * 100.0  # school_costs carries weight·100
            qs = [self._school_cost_var(part, j, "cv") for j in range(len(part.schools))]
            bound = round(cap**2 * unit * BALANCE_UNIT)
            self._add(cp_model.LinearExpr.sum(qs) <= bound, "max_cv", part.indicator, part.level)
            coefs = np.round(part.share / part.students * 1e9).astype(np.int64)
            t_vars = [self.t_vars[k][i] for i in part.schools]
            before = float(coefs @ self.t_before[part.schools, k]) * self.unit
            self._add(
                cp_model.LinearExpr.weighted_sum(t_vars, coefs.tolist())
                >= math.ceil(before - 1e-6),
                "max_cv",
                part.indicator,
                part.level,
            )
        if bal.min_per_100 is not None:
            need = np.ceil(bal.min_per_100 * students * self.unit / 100.0 - 1e-9).astype(int)
            for k, ind in enumerate(self.indicators):
                for s in range(self.district.n_schools):
                    self._add(self.t_vars[k][s] >= int(need[s]), "min_per_100", self._sid(s), ind)

    def pins(self) -> None:
        """Planner decisions from ``pins.csv`` hold: ``stay``, ``move`` or ``to`` a school."""
        pins = self.district.pins
        if pins is None or not len(pins):
            return
        pos = pd.Series(np.arange(len(self.people)), index=self.people.index)
        for row in pins.itertuples(index=False):
            sid = row.staff_id
            p = pos.get(sid)
            if p is None:
                # not eligible: only `stay` can hold
                if row.action != "stay":
                    self._add(self._false() == 1, "pin", sid)
                continue
            if row.action == "stay":
                self._add(self.stay[p] == 1, "pin", sid)
            elif row.action == "move":
                self._add(self.stay[p] == 0, "pin", sid)
            else:
                s = self.district.schools.index.get_indexer([row.school_id])[0]
                idx = [i for i in self._by_person[p] if self.pairs["s"].iat[i] == s]
                if s == self.people["home"].iat[p]:
                    self._add(self.stay[p] == 1, "pin", sid)
                elif idx:
                    self.pin_rows[int(p) * self.district.n_schools + int(s)] = self._add(
                        self.x[idx[0]] == 1, "pin", sid
                    )
                else:
                    self._add(self._false() == 1, "pin", sid)

    def group_holds(self) -> None:
        """A staged multi-year plan's group-count holds (``District.holds``): at least
        ``min`` (and at most ``max``, when given and not -1) of each group's eligible
        people move this year. A search device, not a rule (left out in diagnosis,
        which names rules)."""
        holds = getattr(self.district, "holds", None)
        if holds is None or not len(holds) or self.diagnose:
            return
        pos = self.people.index.get_indexer(holds["staff_id"].astype(str))
        h = holds.assign(p=pos)
        h = h[h["p"] >= 0]
        for _g, grp in h.groupby("group", sort=True):
            idx = np.unique(grp["p"].to_numpy())
            need = min(int(grp["min"].max()), len(idx))
            if need > 0:
                self.model.add(len(idx) - self._sum_stay(idx) >= need)
            most = int(grp["max"].max()) if "max" in grp else -1
            if 0 <= most < len(idx):
                self.model.add(len(idx) - self._sum_stay(idx) <= max(most, need))

    def pruned_pairs(self) -> None:
        """Diagnosis only: a move that breaks same_level, scope or commute is allowed only
        when that rule is relaxed (these rules prune pairs in a normal solve)."""
        if not self.diagnose:
            return
        pr = self.pairs
        for col, rule in (
            ("breaks_level", "same_level"),
            ("breaks_scope", "scope"),
            ("breaks_commute", "commute"),
        ):
            for i in np.flatnonzero(pr[col].to_numpy()):
                key = (rule, self._sid(int(pr["s"].iat[i])))
                if rule == "scope":
                    key = (
                        rule,
                        "teachers"
                        if self.people["is_teacher"].iat[int(pr["p"].iat[i])]
                        else "principals",
                    )
                if rule == "same_level":
                    key = (rule,)
                # the rule holds (guard true) -> this move is off
                self.model.add_implication(self.guard(*key), self.x[i].Not())

    # -------------------------------------------------------------- objective
    @property
    def indicators(self) -> tuple[str, ...]:
        return self.scenario.balance.indicators

    def _ind_index(self, ind: str) -> int:
        return self.indicators.index(ind)

    def _build_counts(self) -> None:
        """Per school and balanced indicator, the count after rotation as an integer variable."""

        d = self.district
        flags_all = indicator_matrix(d, self.indicators)
        pos_all = d.staff_school_pos()
        eligible = self.elig["eligible"].to_numpy()
        self.t_before = np.zeros((d.n_schools, len(self.indicators)), dtype=np.int64)
        self.t_vars: list[list] = []
        self.count_rows = np.full((len(self.indicators), d.n_schools), -1, dtype=np.int64)
        can_move = self.permitted.any(axis=1)
        home = self.people["home"].to_numpy()

        def res_n(mask: np.ndarray) -> np.ndarray:
            return np.bincount(home[mask], minlength=d.n_schools)

        room = self._room() if self.priceable else None
        for k in range(len(self.indicators)):
            self.t_before[:, k] = np.bincount(pos_all[flags_all[:, k]], minlength=d.n_schools)
            fixed = np.bincount(pos_all[flags_all[:, k] & ~eligible], minlength=d.n_schools)
            mask = flags_all[eligible, k]
            arr, res = self._arrivals(mask), self._residents(mask)
            # Bounds from the permitted moves (not only the kept ones): the same variable
            # and row as the full model, so pruned moves can be priced (docs/bound.md);
            # when priceable, no more than the staffing and post rows let be there.
            may_arrive = self.permitted[mask].sum(axis=0)
            if self.priceable:
                may_arrive = np.minimum(may_arrive, np.maximum(room - res_n(mask), 0))
            row = []
            for s in range(d.n_schools):
                r = res.get(s, _EMPTY)
                movable = int(can_move[r].sum())
                lo = int(fixed[s]) + len(r) - movable
                hi = int(fixed[s]) + len(r) + int(may_arrive[s])
                off = self._offset("indicator", self.indicators[k], s)
                if not isinstance(off, int):
                    o_lo, o_hi = self.links.bounds("indicator", self.indicators[k], s)
                    lo, hi = lo + o_lo, hi + o_hi
                expr = int(fixed[s]) + self._count_after(mask, s, arr, res) + off
                if self.unit != 1:
                    # teacher-equivalents in tenths: shares received less shares given
                    flow, f_lo, f_hi = self.forms.flow(self.indicators, k, s, pos_all)
                    lo, hi = self.unit * lo + f_lo, self.unit * hi + f_hi
                    expr = self.unit * expr + flow
                if lo == hi:
                    row.append(self.model.new_constant(lo))
                    continue
                t = self.model.new_int_var(lo, hi, "")
                self.count_rows[k, s] = len(self.model.proto.constraints)
                self.model.add(t == expr)
                row.append(t)
            self.t_vars.append(row)

    def _room(self) -> np.ndarray:
        """Per school, the most eligible people the staffing and post rows let be there
        after rotation: Σ over subjects of (demand + tolerance − the ineligible teachers),
        plus its eligible cadres (posts stay filled exactly). A bound the rows imply,
        so the LP is the same with it; it keeps the count variables' ranges (and their
        cost rows) small when every permitted move has its rows."""
        ppl, n_s = self.people, self.district.n_schools
        home = ppl["home"].to_numpy()
        teach = ppl["is_teacher"].to_numpy()
        tol = self.scenario.staffing.subject_tolerance
        now, want = self.teacher_now.to_numpy(), self.demand.to_numpy()
        cols = {c: i for i, c in enumerate(self.teacher_now.columns)}
        subj = np.array([cols.get(str(v), -1) for v in ppl["subject"].to_numpy()])
        elig_t = np.zeros_like(now)
        ok = teach & (subj >= 0)
        np.add.at(elig_t, (home[ok], subj[ok]), 1)
        room = np.maximum(want + tol - (now - elig_t), 0).sum(axis=1)
        return room + np.bincount(home[~teach], minlength=n_s)

    def _school_cost_var(self, part, j: int, kind: str):
        """q ≥ f(T) for school j of ``part``: exact at integer T by the secants of the
        convex cost between consecutive integers (tangent cuts on the integer counts)."""
        k = self._ind_index(part.indicator)
        t = self.t_vars[k][part.schools[j]]
        lo, hi = self._bounds(t)
        v = np.arange(lo, hi + 1)
        f = np.round(part.school_costs(v / self.unit, kind, j) * BALANCE_UNIT).astype(np.int64)
        if lo == hi:
            return self.model.new_constant(int(f[0]))
        q = self.model.new_int_var(int(f.min()), int(f.max()), "")
        slope = np.diff(f)
        for i in range(len(slope)):
            # q ≥ f(v) + (f(v+1) − f(v))·(T − v)
            self.model.add(q - int(slope[i]) * t >= int(f[i] - slope[i] * v[i]))
        return q

    @staticmethod
    def _bounds(var) -> tuple[int, int]:
        dom = list(var.proto.domain)  # (protobuf repeated fields do not index from the end)
        return int(dom[0]), int(dom[len(dom) - 1])

    def balance_expression(self) -> cp_model.LinearExprT:
        """The balance term in BALANCE_UNIT: per-school costs (``cv``, ``l1``) or ranges."""
        kind = self.scenario.balance.kind
        if kind in ("cv", "l1"):
            bal_parts: list = []
            for part in self.parts:
                bal_parts += [
                    self._school_cost_var(part, j, kind) for j in range(len(part.schools))
                ]
            return cp_model.LinearExpr.sum(bal_parts)
        return self._minmax_terms()

    def _objective(self) -> None:
        """Σ weight · term over the named terms (:data:`solver.model.rotation.terms.OBJECTIVE_TERMS`)."""
        # term name -> (expression, divisor to the term's unit)
        self.terms = {t.name: (t.expression(self), t.divisor) for t in OBJECTIVE_TERMS}
        self.obj_coef = {
            t.name: round(t.weight(self.scenario) * OBJ_UNIT / t.divisor) for t in OBJECTIVE_TERMS
        }
        objective = cp_model.LinearExpr.sum([self.obj_coef[t] * self.terms[t][0] for t in TERMS])
        if self.forms is not None:
            # Among plans of equal terms, the fewest tenths shared: one objective unit
            # (1e-8) per tenth, so no share is there for nothing.
            objective = objective + self.forms.total()
        self.model.minimize(objective)

    def _minmax_terms(self):
        """Relative range per (indicator, level): 100·(max x − min x)/m in BALANCE_UNIT."""
        exprs, coefs = [], []
        for part in self.parts:
            k = self._ind_index(part.indicator)
            t = [self.t_vars[k][i] for i in part.schools]
            ub = (
                int(
                    100
                    * MINMAX_UNIT
                    * max(self._bounds(v)[1] for v in t)
                    / (self.unit * part.students.min())
                )
                + 1
            )
            hi = self.model.new_int_var(0, ub, "")
            lo = self.model.new_int_var(0, ub, "")
            for tv, p_i in zip(t, part.students.astype(np.int64), strict=True):
                self.model.add(self.unit * int(p_i) * hi >= 100 * MINMAX_UNIT * tv)
                self.model.add(self.unit * int(p_i) * lo <= 100 * MINMAX_UNIT * tv)
            c = round(part.weight * 100.0 * BALANCE_UNIT / (MINMAX_UNIT * part.mean))
            exprs += [hi, lo]
            coefs += [c, -c]
        return cp_model.LinearExpr.weighted_sum(exprs, coefs) if exprs else 0

    # ---------------------------------------------------------------- columns
    def move_columns(
        self, p: np.ndarray, s: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """What the variable of the move of person ``p[i]`` to school ``s[i]`` contributes
        to this model, for permitted moves it has or not: its objective coefficient and,
        one line per move, the constraint indices of the rows it enters (-1: padding) and
        its coefficient in each.

        The rows are those of the full model (every permitted move has its rows here,
        see ``_pairs``): the person's exactly-one row, the destination's post row
        (cadres) or its two staffing rows (teachers), the count row of each balanced
        indicator the person counts for, the flow rows of the person's home locality,
        a pinned move's pin row, a banned move's ``no_return_years`` row and an obliged
        person's obligation row (for a school that fulfils it). ``None`` when a term
        cannot give its coefficient.
        """
        p, s = np.asarray(p, dtype=np.int64), np.asarray(s, dtype=np.int64)
        n = len(p)
        cost = np.zeros(n, dtype=np.int64)
        for term in OBJECTIVE_TERMS:
            c = term.move_coefficients(self, p, s)
            if c is None:
                return None
            cost += self.obj_coef[term.name] * c
        ppl = self.people
        role = ppl["role"].to_numpy()[p]
        subject = ppl["subject"].to_numpy()[p]
        home = ppl["home"].to_numpy()[p]
        rows = [self.person_rows[p]]
        coefs = [np.ones(n, dtype=np.int64)]
        for r, name in enumerate(("principal", "vice_principal")):
            rows.append(np.where(role == name, self.post_rows[r, s], -1))
            coefs.append(np.ones(n, dtype=np.int64))
        for side in (0, 1):
            got = np.full(n, -1, dtype=np.int64)
            for subj, srows in self.staffing_rows.items():
                sel = (role == "teacher") & (subject == subj)
                got[sel] = srows[side, s[sel]]
            rows.append(got)
            coefs.append(np.ones(n, dtype=np.int64))
        for k in range(len(self.indicators)):
            rows.append(np.where(self.person_flags[p, k], self.count_rows[k, s], -1))
            coefs.append(np.full(n, -1, dtype=np.int64))  # t − Σ stay − Σ x = fixed
        for row, src, to, denom, num in self.direction_rows:
            c = np.where(src[home], denom * to[s].astype(np.int64) - num, 0)
            rows.append(np.where(c != 0, row, -1))
            coefs.append(c)
        keys = p * self.district.n_schools + s
        for single in (self.pin_rows, self.ban_rows):  # rows of one move: x = 1, x = 0
            if single:
                s_keys = np.fromiter(single, dtype=np.int64)
                s_row = np.fromiter(single.values(), dtype=np.int64)
                order = np.argsort(s_keys)
                s_keys, s_row = s_keys[order], s_row[order]
                at = np.minimum(np.searchsorted(s_keys, keys), len(s_keys) - 1)
                rows.append(np.where(s_keys[at] == keys, s_row[at], -1))
                coefs.append(np.ones(n, dtype=np.int64))
        if (self.obliged_row >= 0).any():
            at = self.obliged_at[p]
            hit = (at >= 0) & (self.obliged_row[p] >= 0)
            hit[hit] = self.obliged_target[at[hit], s[hit]]
            rows.append(np.where(hit, self.obliged_row[p], -1))
            coefs.append(np.ones(n, dtype=np.int64))
        rows_a, coefs_a = np.stack(rows, axis=1), np.stack(coefs, axis=1)
        return cost, rows_a, np.where(rows_a >= 0, coefs_a, 0)

    # ---------------------------------------------------------------- hints
    def add_hint(self, choice: np.ndarray) -> None:
        """Hint a complete plan: ``choice[p]`` is the pair index person p takes, -1 to stay."""
        m = self.model
        m.clear_hints()
        chosen = np.zeros(len(self.x), dtype=bool)
        chosen[choice[choice >= 0]] = True
        for p, var in enumerate(self.stay):
            m.add_hint(var, bool(choice[p] < 0))
        for i, var in enumerate(self.x):
            m.add_hint(var, bool(chosen[i]))
        if self.forms is not None:
            # shares only where coverage needs them (the completion then fixes only counts
            # and costs instead of optimising the shares)
            self.forms.hint_plan(choice)

    def pair_keys(self, idx: np.ndarray | None = None) -> np.ndarray:
        """Keys p · n_schools + s of the candidate pairs (all, or those at ``idx``)."""
        pr = self.pairs if idx is None else self.pairs.iloc[idx]
        return pr["p"].to_numpy(dtype=np.int64) * self.district.n_schools + pr["s"].to_numpy(
            dtype=np.int64
        )

    def choice_from(self, other: RotationModel, values) -> np.ndarray:
        """Translate a solution of ``other`` (same people, other pairs) into this model's
        pair choice per person (-1 = stays): ``values`` are ``other.x`` values."""
        return self.choice_of_keys(other.pair_keys(np.flatnonzero(np.asarray(values, dtype=bool))))

    def choice_of_keys(self, chosen: np.ndarray) -> np.ndarray:
        """The pair choice per person (-1 = stays) of the moves with pair keys ``chosen``
        (``p · n_schools + s``, at most one per person)."""
        chosen = np.asarray(chosen, dtype=np.int64)
        pos = pd.Series(np.arange(len(self.pairs)), index=self.pair_keys())
        choice = np.full(len(self.people), -1, dtype=np.int64)
        idx = pos.reindex(chosen).to_numpy()
        if np.isnan(idx).any():
            raise ValueError("the solution uses a pair this model does not have")
        choice[(chosen // self.district.n_schools)] = idx.astype(np.int64)
        return choice

    # ---------------------------------------------------------------- misc
    def _sid(self, s: int) -> str:
        return str(self.district.schools.index[s])

    def _false(self):
        return self.model.new_constant(0)


_EMPTY = np.zeros(0, dtype=np.int64)


def _split_by(keys: np.ndarray, values: np.ndarray) -> dict[int, np.ndarray]:
    """Group ``values`` by ``keys`` into a dict key -> array (stable order)."""
    if len(keys) == 0:
        return {}
    order = np.argsort(keys, kind="stable")
    k, v = keys[order], values[order]
    cuts = np.flatnonzero(np.diff(k)) + 1
    return {int(g[0]): vals for g, vals in zip(np.split(k, cuts), np.split(v, cuts), strict=True)}


def _group_index(keys: np.ndarray, n: int) -> list[np.ndarray]:
    """For each key 0..n-1, the positions where it occurs (sorted)."""
    groups = _split_by(keys, np.arange(len(keys)))
    return [groups.get(i, _EMPTY) for i in range(n)]
