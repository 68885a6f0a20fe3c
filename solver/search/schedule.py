"""A coverage schedule for a staged multi-year plan: how many of each group of people
move in each year, decided before the years are searched.

A staged plan (:func:`solver.search.horizon.plan_staged`) solves the years one after
another. Paced by quotas alone it does not look ahead: on a district that must move
everyone within three years (Dongcheng, ``coverage_min = 1.0``) its early years use up
the subject counterparts the last year's people need, and the last year cannot pair
them up. The schedule is a counting model of the whole horizon, small enough to solve
in seconds, that says in advance how many of each group go in each year so that every
year's head counts can still be balanced.

The model is a counting plan of individuals: ``n[p, t]``, whether person ``p`` moves
in year ``t``, and ``f[p, b, t]`` over the person's candidate moves that year (the year
models' pairs: level, scope, commute, demand, the nearest-candidates limit; moves
barred by ``no_return_years`` left out). Constraints, per year: subject staffing
(arrivals less leavers within ``subject_tolerance`` of the demand) and posts filled
(net zero per cadre role), with earlier years' movers still away counted where they
are; each school's outflow cap; the teacher, cadre and key-share quotas (of the year's
eligible less earlier movers); the flow rules; ``pins.csv`` in year 1. Over the years:
each person at most once, and coverage (at least what ``coverage_min`` needs of the
counted people). The objective is the commute; HiGHS's first plan is taken. Steered by
the horizon's LP (``prefer``: :func:`solver.search.retime.lp_timed`) the objective also
counts each person's departure from the LP's years and each school's departure from the
LP's net arrivals of key teachers (the balance indicators' people) each year; HiGHS's
MIP then searches the moves of the commute-optimal schedules (the support of the
commute LP's interior-point optimum), and CP-SAT improves that plan for the rest of its
time.

Its plan is summed into **groups** for the holds: the same school in every year they
are eligible, the same subject (teachers) or role (cadres), key or not, the same years
eligible and the same years with a permitted school; a staged year is held to each
group's count, which the schedule's own plan shows its people can meet (counts of
pooled groups need not be: two people who may both go to x or y only cannot fill three
places there, and Dongcheng's year 1 held to such counts had no plan).

It is a relaxation of the horizon model (no balance terms or caps, no ``[rules]``
obligations: the year searches hold them), so when it is infeasible no plan of the
model reaches coverage: the schedule then reports the most coverage the counts allow
(the LP bound) and names ``coverage_min``.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from ..input.scenario import SolverSettings
from ..model.horizon import HorizonModel
from ..rules.moves import at_least, at_most, share_fraction
from .lp import IPM, highs_solve

#: Distances in the schedule's objective are in tenths of a kilometre.
KM_UNIT = 10
#: With an LP to follow (``prefer``), what moving a person in a year the LP does not
#: move them in costs, in kilometres of commute (scaled down by the LP's share of that
#: year): Dongcheng's schedule so steered, retimed, gave 14128.71 where HiGHS's first
#: schedule gave 14589.79 (docs/horizon.md).
PREFER_KM = 10.0


@dataclass
class Schedule:
    """The coverage schedule of a horizon (see the module docstring).

    Attributes
    ----------
    status : str
        ``"ok"`` (counts found), ``"infeasible"`` (no counts reach coverage: see
        ``diagnosis``) or ``"unknown"`` (not solved in time).
    group : pandas.Series
        ``staff_id`` → group number, for the people not yet moved who may move.
    counts : dict
        ``(group, year) → n``: how many of the group move in that year (positive only).
    most : int
        With ``status = "infeasible"``: the most counted people the counts let move
        over the horizon (those moved before included); else ``-1``.
    """

    status: str
    group: pd.Series
    counts: dict[tuple[int, int], int]
    need: int
    most: int = -1
    #: year → the people the counts move that year and where (``staff_id`` → school):
    #: a plan of the counting model, the witness that the counts can be met
    plan: dict[int, pd.Series] = field(default_factory=dict)
    seconds: float = 0.0
    groups: int = 0
    flows: int = 0
    diagnosis: dict = field(default_factory=dict)
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def year_total(self, year: int) -> int:
        """How many people the schedule moves in ``year``."""
        return sum(n for (_g, t), n in self.counts.items() if t == year)

    def holds(self, year: int, free: set[str] | None = None, exact: bool = True) -> pd.DataFrame:
        """The group-count holds of ``year``: ``staff_id, group, min, max`` (at least
        ``min`` and, with ``exact``, at most ``max`` of the group's people listed move
        that year; ``max`` is -1 when not held), among ``free`` when given. With
        ``exact`` every group is held to its count (0 for a group the schedule moves
        later): a year that moves more than its counts uses up partners a later year
        needs."""
        rows = []
        members = self.group.groupby(self.group.to_numpy()).groups
        for g, ids in sorted(members.items()):
            n = self.counts.get((int(g), year), 0)
            ids = [str(s) for s in ids if free is None or str(s) in free]
            if not ids or (n <= 0 and not exact):
                continue
            rows += [(s, f"g{g}", min(n, len(ids)), n if exact else -1) for s in ids]
        return pd.DataFrame(rows, columns=["staff_id", "group", "min", "max"]).astype(
            {"staff_id": str, "group": str, "min": "int64", "max": "int64"}
        )


def _add_ge(model: cp_model.CpModel, share: float, moved, base) -> None:
    """``moved ≥ ceil(share · base)`` as integers (``base`` may be an expression)."""
    frac = share_fraction(share)
    if frac > 0:
        model.add(frac.denominator * moved >= frac.numerator * base)


class _Data:
    """The people not yet moved, per year, as the schedule sees them."""

    def __init__(
        self,
        hm: HorizonModel,
        moved: dict[str, tuple[int, str]],
        start: int,
        by_person: bool = True,
    ):
        self.n = hm.n_years
        self.start = start
        ns = hm.district.n_schools
        self.n_schools = ns
        rows = []  # (staff_id, year, home, key, teacher, is_key, movable)
        arcs = []  # (staff_id, year, home, dest, key, km)
        for t, rm in enumerate(hm.years, start=1):
            ppl = rm.people
            pr = rm.pairs
            p, s = pr["p"].to_numpy(), pr["s"].to_numpy()
            ok = np.ones(len(pr), dtype=bool)
            if len(rm.banned_keys):
                ok &= ~np.isin(p.astype(np.int64) * ns + s, rm.banned_keys)
            ids = ppl.index.astype(str).to_numpy()
            teacher = ppl["is_teacher"].to_numpy()
            key = np.where(
                teacher, "s:" + ppl["subject"].astype(str).to_numpy(), "r:" + ppl["role"].to_numpy()
            )
            has = np.bincount(p[ok], minlength=len(ppl)) > 0
            home = ppl["home"].to_numpy()
            rows.append(
                pd.DataFrame(
                    {
                        "staff_id": ids,
                        "year": t,
                        "home": home,
                        "key": key,
                        "teacher": teacher,
                        "is_key": ppl["is_key"].to_numpy(),
                        "movable": has,
                    }
                )
            )
            arcs.append(
                pd.DataFrame(
                    {
                        "staff_id": ids[p[ok]],
                        "year": t,
                        "home": home[p[ok]],
                        "dest": s[ok],
                        "key": key[p[ok]],
                        "km": pr["dist_km"].to_numpy()[ok],
                    }
                )
            )
        people = pd.concat(rows, ignore_index=True)
        arc = pd.concat(arcs, ignore_index=True)
        # the eligible of each year (quotas' denominators) before anyone is dropped
        self.eligible = people
        covered = set(hm.covered.astype(str))
        self.counted_moved = sum(1 for s in moved if s in covered)  # (already covered)
        self.covered = covered
        self.need = at_least(hm.scenario.horizon.coverage_min, len(covered))
        self.moved = {sid: int(t) for sid, (t, _dest) in moved.items()}
        # (year, home, destination, key) of each earlier mover, for their stints
        self.moved_at: dict[str, tuple[int, int, int, str]] = {}
        by = people.drop_duplicates(["staff_id", "year"]).set_index(["staff_id", "year"])
        pos = hm.district.schools.index
        for sid, (t, dest) in moved.items():
            if (sid, t) in by.index and dest in pos:
                r = by.loc[(sid, t)]
                self.moved_at[sid] = (int(t), int(r["home"]), int(pos.get_loc(dest)), r["key"])
        gone = people["staff_id"].isin(list(moved))
        live = people[~gone & (people["year"] >= start)]
        arc = arc[~arc["staff_id"].isin(list(moved)) & (arc["year"] >= start)]
        self.arc = arc
        # groups: the same homes, key, key flag, years eligible and years movable
        sig = (
            live.sort_values(["staff_id", "year"])
            .groupby("staff_id", sort=True)
            .agg(
                homes=("home", lambda v: tuple(int(x) for x in v)),
                key=("key", "first"),
                teacher=("teacher", "first"),
                is_key=("is_key", "first"),
                years=("year", lambda v: tuple(int(x) for x in v)),
            )
        )
        mov = live[live["movable"]].groupby("staff_id")["year"].agg(lambda v: tuple(sorted(v)))
        sig = sig.loc[sig.index.isin(mov.index)].copy()
        sig["movable"] = mov.reindex(sig.index)
        sig["counted"] = sig.index.isin(list(covered))
        cols = ["homes", "key", "teacher", "is_key", "years", "movable", "counted"]
        coarse = sig.groupby(cols, sort=True).ngroup()
        #: the groups the holds name
        self.coarse = coarse.astype(np.int64)
        # The model's groups are the people themselves: pooled, a group's count could
        # ride on pairs its people do not have together (Hall's condition: two people
        # who may both go to x or y only cannot fill three places there), and Dongcheng's
        # year 1 then could not meet the counts found; a person-level plan of who moves
        # when is a witness that the group counts it sums to can be met.
        codes = pd.Series(np.arange(len(sig)), index=sig.index) if by_person else coarse
        self.group = codes.astype(np.int64)
        self.sig = sig.assign(group=codes)
        self.live = live


class _Built:
    """The schedule's CP-SAT model (see the module docstring)."""

    def __init__(
        self,
        hm: HorizonModel,
        d: _Data,
        pins: pd.DataFrame | None,
        relax: bool,
        prefer: dict[tuple[str, int], float] | None = None,
        targets: dict[tuple[int, int, int], float] | None = None,
    ):
        self.hm, self.d = hm, d
        sc = hm.scenario
        self.model = model = cp_model.CpModel()
        sig = d.sig
        self.sizes = sizes = sig.groupby("group").size()
        self.first = first = sig.groupby("group").first()
        self.nv = nv = {}
        for g, row in first.iterrows():
            for t in row["movable"]:
                nv[(int(g), t)] = model.new_int_var(0, int(sizes[g]), "")
        stay1, move1 = self._pins(pins)
        full = sc.horizon.coverage_min >= 1 and not relax
        for g in sizes.index:
            total = cp_model.LinearExpr.sum([nv[(int(g), t)] for t in first.at[g, "movable"]])
            if full and first.at[g, "counted"]:
                model.add(total == int(sizes[g]))  # everyone counted moves once
            else:
                model.add(total <= int(sizes[g]))
            if (int(g), 1) in nv:
                if int(g) in move1:
                    model.add(nv[(int(g), 1)] >= move1[int(g)])
                if int(g) in stay1:
                    model.add(nv[(int(g), 1)] <= int(sizes[g]) - stay1[int(g)])
        self.cover = [v for (g, _t), v in nv.items() if first.at[g, "counted"]]
        left = max(0, d.need - d.counted_moved)
        if left and not relax:
            model.add(cp_model.LinearExpr.sum(self.cover) >= left)
        self._flows()
        self._head_counts()
        self._quotas()
        self._directions()
        #: how many of ``cost``'s terms are the commute (the steering's come after)
        self.n_commute = len(self.cost)
        if targets is not None and not relax:
            self._steer_counts(targets, TARGET_KM)
        if relax:
            model.maximize(cp_model.LinearExpr.sum(self.cover))
        else:
            terms, coefs = [v for v, _ in self.cost], [c for _, c in self.cost]
            if prefer is not None:
                # each person's year away from the LP's: PREFER_KM for a year the LP
                # does not move them in, less as far as it does
                ids = d.sig.index.astype(str)
                for (g, t), v in nv.items():
                    if sizes[g] == 1:
                        terms.append(v)
                        coefs.append(
                            int(round(PREFER_KM * KM_UNIT * (1 - prefer.get((ids[g], t), 0.0))))
                        )
            model.minimize(cp_model.LinearExpr.weighted_sum(terms, coefs))

    def _steer_counts(self, targets: dict[tuple[int, int, int], float], km: float) -> None:
        """Each year's indicator counts steered to ``targets``: ``(school, indicator,
        year) → `` the net arrivals of the indicator's people (key teachers, say) an LP
        of the horizon has there that year; each person of a school's departure from its
        target costs ``km`` kilometres (the year models' balance terms are convex in
        those counts, and HiGHS's MIP with them found no plan of Dongcheng's in 120 s)."""
        hm, d, model = self.hm, self.d, self.model
        ids = d.sig.index.astype(str)
        by_year: dict[int, list] = defaultdict(list)
        for (g, b, t), v in self.flow_of.items():
            by_year[t].append((g, b, v))
        coef = int(round(km * KM_UNIT))
        for t in range(d.start, d.n + 1):
            rm = hm.years[t - 1]
            if not by_year[t] or not len(rm.indicators):
                continue
            g, b, v = zip(*by_year[t], strict=True)
            at = pd.Index(rm.people.index.astype(str)).get_indexer(ids[list(g)])
            flags, home = rm.person_flags[at], rm.people["home"].to_numpy()[at]
            for k in range(len(rm.indicators)):
                net: dict[int, list] = defaultdict(list)
                for i in np.flatnonzero(flags[:, k]):
                    net[int(b[i])].append((v[i], 1))
                    net[int(home[i])].append((v[i], -1))
                for school, terms in net.items():
                    want = targets.get((school, k, t), 0.0)
                    span = len(terms) + int(math.ceil(abs(want)))
                    dev = model.new_int_var(0, span, "")
                    expr = cp_model.LinearExpr.weighted_sum(
                        [x for x, _ in terms], [c for _, c in terms]
                    )
                    # dev ≥ |net − want| (rounded to the nearest whole person)
                    model.add(dev >= expr - int(round(want)))
                    model.add(dev >= int(round(want)) - expr)
                    self.cost.append((dev, coef))

    def _pins(self, pins: pd.DataFrame | None) -> tuple[dict[int, int], dict[int, int]]:
        """Per group, how many ``pins.csv`` keep out of year 1 and hold to it."""
        stay1: dict[int, int] = defaultdict(int)
        move1: dict[int, int] = defaultdict(int)
        if pins is None or not len(pins) or self.d.start != 1:
            return stay1, move1
        act = pins.drop_duplicates("staff_id", keep="last").set_index("staff_id")["action"]
        for sid, a in act.items():
            g = self.d.group.get(str(sid))
            if g is not None:
                (stay1 if a == "stay" else move1)[int(g)] += 1
        return stay1, move1

    def _flows(self) -> None:
        """``f[g, b, t]``: how many of group ``g`` go to school ``b`` in year ``t``, over
        the candidate pairs of the group's people, each at most as many as may go
        there; the group's count is the sum of its flows. (Pooled per school and
        subject instead, a group's count could ride on another group's pairs: the
        counts of Dongcheng's year 1 so found could not be met by its people.)"""
        model, d = self.model, self.d
        arc = d.arc.assign(group=d.group.reindex(d.arc["staff_id"]).to_numpy())
        arc = arc[arc["group"].notna()]
        cap = arc.groupby(["group", "dest", "year"], sort=True).agg(
            people=("staff_id", "nunique"),
            km=("km", "mean"),
            home=("home", "first"),
            key=("key", "first"),
        )
        self.flows: list[tuple[int, int, str, int, cp_model.IntVar]] = []
        self.flow_of: dict[tuple[int, int, int], cp_model.IntVar] = {}
        self.cost = []
        by_group: dict[tuple[int, int], list] = defaultdict(list)
        self.into = into = defaultdict(list)
        for (g, b, t), people, km, a, k in zip(
            cap.index,
            cap["people"].to_numpy(),
            cap["km"].to_numpy(),
            cap["home"].to_numpy(),
            cap["key"].to_numpy(),
            strict=True,
        ):
            v = model.new_int_var(0, int(people), "")
            self.flows.append((int(a), int(b), str(k), int(t), v))
            self.flow_of[(int(g), int(b), int(t))] = v
            self.cost.append((v, int(round(float(km) * KM_UNIT))))
            by_group[(int(g), int(t))].append(v)
            into[(int(b), str(k), int(t))].append(v)
        self.leave = leave = defaultdict(list)
        first = self.first
        for (g, t), v in self.nv.items():
            homes, years = first.at[g, "homes"], first.at[g, "years"]
            leave[(homes[years.index(t)], first.at[g, "key"], t)].append(v)
            model.add(v == cp_model.LinearExpr.sum(by_group.get((g, t), [])))

    def _away(self, t: int) -> tuple[dict, list]:
        """Earlier movers still away at the start of year ``t``: per (school, key) a
        constant (the plan's years before ``start``) and flow terms (scheduled years)."""
        hz = self.hm.scenario.horizon
        const: dict[tuple, int] = defaultdict(int)
        terms: dict[tuple, list] = defaultdict(list)
        for t0, home, dest, key in self.d.moved_at.values():
            if t0 < t and (t - t0 < hz.stint_years or not hz.return_home):
                const[(dest, key)] += 1
                const[(home, key)] -= 1
        for a, b, k, t0, v in self.flows:
            if t0 < t and (t - t0 < hz.stint_years or not hz.return_home):
                terms[(b, k)].append((v, 1))
                terms[(a, k)].append((v, -1))
        return const, terms

    def _head_counts(self) -> None:
        """Subject staffing, posts filled and outflow caps, each year."""
        model, d, hm = self.model, self.d, self.hm
        for t in range(d.start, d.n + 1):
            rm = hm.years[t - 1]
            sc = hm.scenarios[t - 1]
            tol = sc.staffing.subject_tolerance
            schools = rm.district.schools.index
            given = set(
                zip(rm.district.demand["school_id"], rm.district.demand["subject"], strict=True)
            )
            const, terms = self._away(t)
            keys = {(s, k) for (s, k, tt) in (set(self.into) | set(self.leave)) if tt == t}
            for s, k in sorted(keys):
                net = cp_model.LinearExpr.sum(
                    self.into.get((s, k, t), [])
                ) - cp_model.LinearExpr.sum(self.leave.get((s, k, t), []))
                kind, name = k.split(":", 1)
                if kind == "r":
                    if name != "teacher":
                        model.add(net == 0)  # posts filled
                    continue
                sid = schools[s]
                now = int(rm.teacher_now.at[sid, name]) if name in rm.teacher_now.columns else 0
                want = int(rm.demand.at[sid, name]) if name in rm.demand.columns else now
                if (sid, name) in given:
                    tv = terms.get((s, k), [])
                    net = net + const.get((s, k), 0)
                    if tv:
                        net = net + cp_model.LinearExpr.weighted_sum(
                            [v for v, _ in tv], [c for _, c in tv]
                        )
                model.add(net >= want - tol - now)
                model.add(net <= want + tol - now)
            self._outflow(t, sc, rm.role_now["teacher"].to_numpy(), const, terms)

    def _outflow(self, t: int, sc, teachers: np.ndarray, const: dict, terms: dict) -> None:
        """Each school's teachers leaving in year ``t`` within ``school_outflow_max`` of
        its teachers that year (earlier movers still away counted where they are)."""
        share = share_fraction(sc.quotas.school_outflow_max)
        out: dict[int, list] = defaultdict(list)
        for (a, k, tt), vs in self.leave.items():
            if tt == t and k.startswith("s:"):
                out[a] += vs
        off_c: dict[int, int] = defaultdict(int)
        off_t: dict[int, list] = defaultdict(list)
        for (a, k), c in const.items():
            if k.startswith("s:"):
                off_c[a] += c
        for (a, k), vs in terms.items():
            if k.startswith("s:"):
                off_t[a] += vs
        for s, vs in out.items():
            n_now = int(teachers[s]) + off_c[s]
            leavers = cp_model.LinearExpr.sum(vs)
            if off_t[s]:
                extra = cp_model.LinearExpr.weighted_sum(
                    [v for v, _ in off_t[s]], [c for _, c in off_t[s]]
                )
                self.model.add(share.denominator * leavers <= share.numerator * (n_now + extra))
            else:
                self.model.add(leavers <= at_most(sc.quotas.school_outflow_max, n_now))

    def _quotas(self) -> None:
        """Teacher, cadre and key-share quotas of each year, of that year's eligible
        less those who moved in an earlier year."""
        model, d, first, nv = self.model, self.d, self.first, self.nv
        elig = d.eligible
        for t in range(d.start, d.n + 1):
            q = self.hm.scenarios[t - 1].quotas
            now = elig[elig["year"] == t]
            when = now["staff_id"].map(d.moved).fillna(t).to_numpy()
            before = when < t
            teacher = now["teacher"].to_numpy(dtype=bool)
            is_key = now["is_key"].to_numpy(dtype=bool)
            moved_t, moved_c, moved_k = [], [], []
            gone_t, gone_c, gone_k = [], [], []
            for (g, tt), v in nv.items():
                years = first.at[g, "years"]
                is_t, key = bool(first.at[g, "teacher"]), bool(first.at[g, "is_key"])
                if tt == t:
                    (moved_t if is_t else moved_c).append(v)
                    if key:
                        moved_k.append(v)
                elif tt < t and t in years:
                    (gone_t if is_t else gone_c).append(v)
                    if key:
                        gone_k.append(v)
            s = cp_model.LinearExpr.sum
            n_t = int((teacher & ~before).sum())
            n_c = int((~teacher & ~before).sum())
            n_k = int((is_key & ~before).sum())
            _add_ge(model, q.teacher_rotation_min, s(moved_t), n_t - s(gone_t))
            _add_ge(model, q.principal_rotation_min, s(moved_c), n_c - s(gone_c))
            if q.key_share_basis == "eligible_key":
                _add_ge(model, q.key_share_of_rotated_min, s(moved_k), n_k - s(gone_k))
            else:
                _add_ge(model, q.key_share_of_rotated_min, s(moved_k), s(moved_t))

    def _directions(self) -> None:
        """The flow rules (urban to rural, rural to urban, strong to weak) each year."""
        sc = self.hm.scenario
        schools = self.hm.district.schools
        rules = (
            ("locality", ("urban", "town"), ("rural",), sc.flow.urban_to_rural_min),
            ("locality", ("rural",), ("urban", "town"), sc.flow.rural_to_urban_min),
            ("tier", ("strong",), ("weak",), sc.flow.strong_to_weak_min),
        )
        for column, src, dst, share in rules:
            frac = share_fraction(share)
            if frac == 0:
                continue
            kind = schools[column].to_numpy()
            is_src, is_dst = np.isin(kind, src), np.isin(kind, dst)
            for t in range(self.d.start, self.d.n + 1):
                out_all = [v for a, _b, _k, tt, v in self.flows if tt == t and is_src[a]]
                out_to = [
                    v for a, b, _k, tt, v in self.flows if tt == t and is_src[a] and is_dst[b]
                ]
                self.model.add(
                    frac.denominator * cp_model.LinearExpr.sum(out_to)
                    >= frac.numerator * cp_model.LinearExpr.sum(out_all)
                )


def coverage_schedule(
    hm: HorizonModel,
    *,
    moved: dict[str, tuple[int, str]] | None = None,
    start: int = 1,
    pins: pd.DataFrame | None = None,
    time_limit_s: float = 30.0,
    workers: int = 1,
    prefer: dict[tuple[str, int], float] | None = None,
    targets: dict[tuple[int, int, int], float] | None = None,
    search: bool = True,
) -> Schedule:
    """The coverage schedule of ``hm``'s horizon from year ``start`` on.

    Parameters
    ----------
    hm
        The horizon model (its year models give the people, their candidate moves and
        each year's head counts).
    moved
        ``staff_id → (year, school_id)`` of the people who moved in the years before
        ``start`` (a staged plan's years so far): they count for coverage, leave the
        later years' quota denominators and, while on their stint, count where they are.
    start
        The first year to schedule.
    pins
        ``pins.csv`` (year 1 only): ``stay`` keeps a person out of year 1, ``move`` and
        ``to`` hold them to it.
    time_limit_s, workers
        The search's limits.
    prefer
        ``(staff_id, year) → share``: how much an LP relaxation of the horizon moves
        each person in each year. The schedule then also minimises each person's
        departure from it (:data:`PREFER_KM`) and, with ``search``, CP-SAT improves
        HiGHS's first plan for the rest of ``time_limit_s`` (:func:`_polish`;
        ``search=False``: HiGHS's first plan, for a reproducible run, whose plan must
        not depend on the clock). With ``search``, HiGHS's MIP first searches the moves
        of the commute's optimal schedules (:func:`_support_plan`) and CP-SAT improves
        its plan.
    targets
        With ``prefer``: ``(school, indicator, year) →`` the net arrivals of the balance
        indicators' people in that LP (:func:`solver.search.retime.lp_targets`), which
        the schedule's counts are steered to (:data:`TARGET_KM`), its stand-in for the
        balance terms it does not have.

    Returns
    -------
    Schedule
        ``status = "infeasible"`` with a diagnosis naming ``coverage_min`` when no counts
        reach coverage (with the most they reach).
    """
    t0 = time.perf_counter()
    d = _Data(hm, dict(moved or {}), start)
    built = _Built(hm, d, pins, relax=False, prefer=prefer, targets=targets)
    base = dict(group=d.coarse, need=d.need, groups=int(d.coarse.nunique()), flows=len(built.flows))
    steered = prefer is not None and search
    values, infeasible = None, False
    if steered:
        # over the commute-optimal schedules' moves first (from HiGHS's first plan over
        # every move, polished, Dongcheng's horizon plan was 14163.05-14279.23; from this
        # one 13894.60-13995.33)
        values = _support_plan(built, time_limit_s, workers)
    if values is None:
        values, infeasible = _solve(built.model, time_limit_s - (time.perf_counter() - t0), workers)
    if steered and values is not None:
        # HiGHS's first plan improved by CP-SAT for the rest of the time (HiGHS did not
        # improve Dongcheng's in 60-90 s; CP-SAT's neighbourhoods do: see _polish)
        values = _polish(
            built.model, values, time_limit_s - (time.perf_counter() - t0), hm.scenario.solver
        )
    if values is not None:
        coarse = d.coarse.to_numpy()
        counts: dict[tuple[int, int], int] = defaultdict(int)
        for (g, t), v in built.nv.items():
            n = int(round(values[v.index]))
            if n > 0:
                counts[(int(coarse[g]), t)] += n
        plan: dict[int, dict[str, str]] = defaultdict(dict)
        schools = hm.district.schools.index
        for (g, b, t), v in built.flow_of.items():
            if round(values[v.index]) > 0:
                plan[t][str(d.sig.index[g])] = str(schools[b])
        return Schedule(
            status="ok",
            counts=dict(counts),
            plan={t: pd.Series(p, dtype="str") for t, p in plan.items()},
            seconds=time.perf_counter() - t0,
            **base,
        )
    if not infeasible:
        return Schedule(
            status="unknown",
            counts={},
            seconds=time.perf_counter() - t0,
            message=f"the coverage schedule was not solved in {time_limit_s:.0f} s",
            **base,
        )
    # Infeasible: the most coverage the counts allow (the LP of coverage maximised: no
    # plan moves more).
    relaxed = _Built(hm, d, pins, relax=True)
    lp = highs_solve(relaxed.model.proto, max(1.0, time_limit_s), threads=workers)
    if lp is None or lp.objective is None:
        text = "the rules' counts cannot hold over the horizon, coverage apart"
        return Schedule(
            status="infeasible", counts={}, seconds=time.perf_counter() - t0, message=text, **base
        )
    most = d.counted_moved + int(math.floor(lp.objective + 1e-6))
    cov = hm.scenario.horizon.coverage_min
    text = (
        f"[horizon] coverage_min {cov:g} needs {d.need} of the {len(d.covered)} people "
        f"eligible in some year (with a permitted school) to move within {d.n} years; "
        f"counting the moves each year's head counts, outflow caps and quotas allow, at "
        f"most {most} can"
    )
    return Schedule(
        status="infeasible",
        counts={},
        most=most,
        seconds=time.perf_counter() - t0,
        message=text,
        diagnosis={
            "conflicts": [
                {
                    "rule": "coverage_min",
                    "key": "horizon.coverage_min",
                    "current": cov,
                    "most": most,
                    "text": text,
                }
            ],
            "relaxations": [],
        },
        **base,
    )


#: The least seconds left after HiGHS's first plan for CP-SAT to improve it (on
#: Dongcheng's schedule CP-SAT reports the hinted plan itself after about 19 s).
POLISH_MIN_S = 10.0


def _polish(
    model: cp_model.CpModel, values: np.ndarray, seconds: float, settings: SolverSettings
) -> np.ndarray:
    """``values`` (a plan of ``model``) improved by a CP-SAT search hinted with it for
    ``seconds`` (none below :data:`POLISH_MIN_S`), with ``settings``' (the scenario's
    ``[solver]``) workers, seed and work limit: its best plan, or ``values`` when it
    finds none better.

    On Dongcheng's LP-steered schedule of three years (2026-12-01, idle) HiGHS's first
    plan came in 14 s; CP-SAT from it lowered the schedule's commute from 14,619 km to
    12,716 km in 90 s, and the horizon plan of that timing, each year solved again,
    from 14386.55 to 14172.99 (HiGHS searching 60 s instead of CP-SAT: 14386.55)."""
    from .engine import found, hint_values, search  # (engine does not import this)

    if seconds < POLISH_MIN_S:
        return values
    n = len(model.proto.variables)
    hint_values(model, values[:n])
    # (the hint is complete and feasible: CP-SAT starts from it; a [solver] work_limit
    # bounds this search as every other)
    solver, code, _ = search(model, settings, seconds, own_bound=False, interleave_search=False)
    model.clear_hints()
    if not found(code):  # pragma: no cover - the hint is a plan
        return values
    out = np.asarray(values, dtype=float).copy()
    out[:n] = np.asarray(solver.response_proto.solution, dtype=float)
    return out


#: With an LP to follow, what each person of a school's departure from the LP's net
#: arrivals of a balance indicator's people there (key teachers, say) costs, in
#: kilometres of commute (:meth:`_Built._steer_counts`).
TARGET_KM = 3.0
#: An LP value above which a move or a person's year is in an LP's support.
SUPPORT_MIN = 1e-6
#: Share of the schedule's time that the commute's LP and the MIP over its support
#: may take (:func:`_support_plan`); CP-SAT improves that plan in the rest.
SUPPORT_SHARE = 0.9


def _support_plan(built: _Built, time_limit_s: float, workers: int) -> np.ndarray | None:
    """A plan of ``built`` (the LP-steered schedule) by HiGHS's MIP over the moves of
    the schedule's LP with the commute alone, every other flow and person-year fixed
    at 0: that LP's interior-point optimum lies inside the face of its optimal
    solutions, so where that LP's optimum is integral (Dongcheng's) its support holds
    every commute-optimal schedule; where it is not (the demo district: 1237.5 against
    the MIP's 1238) the MIP over the support can miss the MIP's optimum (there 1262).
    ``None`` when that MIP has no plan within :data:`SUPPORT_SHARE` of
    ``time_limit_s``.

    On Dongcheng (2026-12-02, idle) the commute's LP was 10,917.6 km in 9-13 s, and
    its MIP, integral at that optimum, took HiGHS 217 s over every move and 26 s over
    that LP's support; steered (the LP's years and indicator counts), 45 s."""
    t0 = time.perf_counter()
    limit = SUPPORT_SHARE * time_limit_s
    plain = built.model.clone()  # (the same variables and rows, the commute alone)
    commute = built.cost[: built.n_commute]
    plain.minimize(
        cp_model.LinearExpr.weighted_sum([v for v, _ in commute], [c for _, c in commute])
    )
    lp = highs_solve(plain.proto, limit, threads=workers, options=dict(IPM))
    del plain
    if lp is None or lp.values is None or lp.bound is None:
        return None
    ours = np.asarray(
        [v.index for v in built.flow_of.values()] + [v.index for v in built.nv.values()],
        dtype=np.int64,
    )
    fixed = built.model.clone()
    for i in ours[lp.values[ours] <= SUPPORT_MIN]:
        fixed.add(fixed.get_int_var_from_proto_index(int(i)) == 0)
    left = limit - (time.perf_counter() - t0)
    if left < 1.0:
        return None
    r = highs_solve(fixed.proto, left, integral=True, threads=workers)
    return None if r is None else r.values


def _solve(model: cp_model.CpModel, time_limit_s: float, workers: int):
    """HiGHS's first plan of the schedule's MIP (it comes within seconds where CP-SAT
    took a minute: Dongcheng's 2,500 groups and 77,739 flows, 1.9 s against none in
    60 s): ``(values, infeasible)``; values ``None`` without a plan, ``infeasible``
    when HiGHS proved there is none."""
    # (the first plan is enough for the counts; an LP-steered schedule is then improved
    # by CP-SAT, _polish: HiGHS searching on did not improve Dongcheng's in a minute)
    r = highs_solve(
        model.proto,
        max(1.0, time_limit_s),
        integral=True,
        threads=workers,
        options={"mip_max_improving_sols": 1},
    )
    if r is None:  # pragma: no cover - highspy is a dependency
        return None, False
    if r.values is not None:
        return r.values, False
    return None, r.status == "Infeasible"
