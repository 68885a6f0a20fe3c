"""Large-neighbourhood search of a multi-year plan: the joint model solved again and
again with everyone fixed but the people of one school (docs/horizon.md, "The search").

On a big horizon CP-SAT's own search of the whole joint model does not move from its
start (Dongcheng, 9,000 staff, 3 years, 182,882 variables: in 50 s not one better
plan; the priority stages found none in 8 s each). The same model with every move
fixed solved in 0.22 s, and a round of one school's people takes under a second in all
(52-72 rounds in 36-47 s): each round frees every move
(in every year) of the people who work at, or were sent to, :data:`SCHOOLS` school(s)
(:class:`_Centres`: each school in turn, in a random order), hints the current plan
complete, gives CP-SAT :data:`ROUND_S` and keeps the result when the objective is
lower. The rules, coverage, the priority holds and the exact objective are the model's
own, so each plan kept meets them all.

Measured on Dongcheng from the plan `lungang plan` had returned (13902.21; 2026-12-02,
idle), 40 s with the priority holds: one school and 1 s a round, the schools in turn,
13669.46 (58 rounds, 55 better); drawn with replacement, 13704.76 (54 rounds); two
schools and 2 s, 13813.42 (18 rounds); three schools and 2 s, 13860.09 (17 rounds).
A round whose hint is the moves alone (without the balance terms' variables) found no
plan in 20 s: the hint is completed first (:func:`complete`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from ..input.geo import haversine_km
from ..input.scenario import SolverSettings
from ..model.horizon import HorizonModel
from ..model.rotation import OBJ_UNIT
from .engine import found, hint_values, new_solver
from .guard import cp_solve

#: Schools per neighbourhood at first: the centre and its nearest ones (see the module
#: docstring: one did best).
SCHOOLS = 1
#: Seconds a round may take at most (CP-SAT stops it there with the best plan it has).
ROUND_S = 1.0
#: The most schools a neighbourhood grows to (when every smaller one found nothing).
MAX_SCHOOLS = 3
#: The least time a round is started with.
MIN_ROUND_S = 0.5


@dataclass(frozen=True)
class LnsResult:
    """The best plan found (every proto variable's value), its objective and the
    start's in model units, the rounds run and how many of them lowered it."""

    values: np.ndarray
    objective: float
    start_objective: float
    rounds: int
    improved: int
    seconds: float


class _Moves:
    """Each decision variable (a year's ``stay`` or move) of ``hm``: its proto index,
    the person (staff position), the school they are at and the school it sends them
    to (``stay``: their own)."""

    def __init__(self, hm: HorizonModel):
        staff = hm.district.staff.index
        idx, person, home, dest = [], [], [], []
        for rm in hm.years:
            if rm.district.schools.index is not hm.district.schools.index:
                assert rm.district.schools.index.equals(hm.district.schools.index)
            who = staff.get_indexer(rm.people.index)
            at = rm.people["home"].to_numpy()
            p, s = rm.pairs["p"].to_numpy(), rm.pairs["s"].to_numpy()
            idx += [[v.index for v in rm.stay], [v.index for v in rm.x]]
            person += [who, who[p]]
            home += [at, at[p]]
            dest += [at, s]
        cat = lambda parts: np.concatenate([np.asarray(a, dtype=np.int64) for a in parts])  # noqa: E731
        self.index, self.person = cat(idx), cat(person)
        self.home, self.dest = cat(home), cat(dest)

    def schools(self, schools: np.ndarray, cur: np.ndarray) -> np.ndarray:
        """Every variable of the people at one of ``schools`` or sent to one by the
        plan ``cur`` (every year's)."""
        touch = np.isin(self.home, schools) | (np.isin(self.dest, schools) & (cur == 1))
        return np.isin(self.person, np.unique(self.person[touch]))


class _Centres:
    """The rounds' centres: the schools in a random order, again and again, skipping a
    school whose last round found nothing while no round has changed anyone there since
    (it would search the same neighbourhood again). When every school is so, the
    neighbourhoods grow by a school (up to :data:`MAX_SCHOOLS`) and all are tried again."""

    def __init__(self, n: int, rng: np.random.Generator):
        self.n, self.rng, self.k = n, rng, SCHOOLS
        self.order: list[int] = []
        self.is_stale = np.zeros(n, dtype=bool)

    def next(self) -> tuple[int, int]:
        """The next centre and how many schools its neighbourhood has."""
        if self.is_stale.all():
            self.is_stale[:] = False
            self.k = min(self.k + 1, MAX_SCHOOLS, self.n)
        while True:
            if not self.order:
                self.order = self.rng.permutation(self.n).tolist()
            c = self.order.pop(0)
            if not self.is_stale[c]:
                return c, self.k

    def stale(self, centre: int) -> None:
        self.is_stale[centre] = True

    def touched(self, schools: np.ndarray) -> None:
        """Schools where someone's moves changed: their next round may find more."""
        self.is_stale[np.unique(schools)] = False


def complete(model: cp_model.CpModel, decisions: np.ndarray, values: np.ndarray, seconds: float):
    """Every variable's value of the plan whose decision variables (proto ``decisions``)
    take ``values``: ``model`` solved with them fixed (its own hint kept). ``None``
    when that is no plan (or not solved in ``seconds``)."""
    old = model.proto.solution_hint
    kept = (list(old.vars), list(old.values))
    model.clear_hints()  # (a new hint message: read it again after)
    model.proto.solution_hint.vars.extend(decisions.tolist())
    model.proto.solution_hint.values.extend(np.asarray(values, dtype=np.int64).tolist())
    solver = new_solver(max(0.5, seconds), workers=1, fix_variables_to_their_hinted_value=True)
    code = cp_solve(solver, model)
    model.clear_hints()
    model.proto.solution_hint.vars.extend(kept[0])
    model.proto.solution_hint.values.extend(kept[1])
    if code != cp_model.OPTIMAL:
        return None
    return np.asarray(solver.response_proto.solution, dtype=np.int64), solver.objective_value


def improve(
    hm: HorizonModel,
    start: np.ndarray,
    settings: SolverSettings,
    seconds: float,
    say=None,
    max_rounds: int | None = None,
) -> LnsResult | None:
    """Lower the objective of ``hm.model`` (as it stands: objective, holds) from the
    plan whose moves (``stay`` and move variables) take their values in ``start`` (one
    value per proto variable; the others are completed at their best, :func:`complete`:
    a priority stage's plan leaves the balance terms' variables anywhere, on Dongcheng
    at 201255 for a plan of 13733), by rounds of a few neighbouring schools' people
    freed (see the module docstring), for ``seconds`` (and at most ``max_rounds``
    rounds). The result is never worse than the start; ``None`` when the start's moves
    are no plan of the model. The model is not changed (the rounds search a copy)."""
    t0 = time.perf_counter()
    say = say or (lambda _m: None)
    assert hm.model.proto.objective.scaling_factor in (0.0, 1.0), "minimised objective"
    mv = _Moves(hm)
    got = complete(hm.model, mv.index, np.asarray(start)[mv.index], max(1.0, min(30.0, seconds)))
    if got is None:
        return None
    work = hm.model.clone()
    proto = work.proto
    # (each decision variable's domain is one interval; the proto's repeated field
    # reads index -1 as 0, not as the last bound)
    doms = [list(proto.variables[int(i)].domain) for i in mv.index]
    assert all(len(d) == 2 for d in doms)
    lo = np.asarray([d[0] for d in doms], dtype=np.int64)
    hi = np.asarray([d[1] for d in doms], dtype=np.int64)
    sch = hm.district.schools
    lat, lon = sch["lat"].to_numpy(float), sch["lon"].to_numpy(float)
    near = np.argsort(
        haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :]), axis=1, kind="stable"
    )
    centres = _Centres(len(sch), np.random.default_rng(settings.seed))
    values, best = got
    first = best
    cur = values[mv.index]

    def fix(sel: np.ndarray, to_lo: np.ndarray, to_hi: np.ndarray) -> None:
        for i, a, b in zip(mv.index[sel].tolist(), to_lo.tolist(), to_hi.tolist(), strict=True):
            dom = proto.variables[i].domain
            dom[0], dom[1] = a, b

    fix(np.arange(len(mv.index)), cur, cur)  # everything fixed at the start's plan
    rounds = improved = 0
    while (left := seconds - (time.perf_counter() - t0)) >= MIN_ROUND_S and (
        max_rounds is None or rounds < max_rounds
    ):
        centre, k = centres.next()
        free = mv.schools(near[centre, :k], cur)
        fix(free, lo[free], hi[free])
        hint_values(work, values)
        # (racing workers: a hinted search with interleaved ones crashed CP-SAT 9.x)
        solver = new_solver(
            min(ROUND_S, left),
            settings,
            work_limit=False,
            interleave_search=False,
        )
        code = cp_solve(solver, work)
        rounds += 1
        if found(code) and solver.objective_value < best - 0.5:
            values = np.asarray(solver.response_proto.solution, dtype=np.int64)
            best = solver.objective_value
            new = values[mv.index]
            changed = free & (new != cur)
            centres.touched(np.concatenate([mv.home[changed], mv.dest[changed]]))
            cur = new
            improved += 1
        else:
            centres.stale(centre)
        fix(free, cur[free], cur[free])
    say(
        f"neighbourhood search: objective {first / OBJ_UNIT:.4f} -> {best / OBJ_UNIT:.4f} "
        f"in {rounds} rounds ({improved} better, {time.perf_counter() - t0:.1f} s)"
    )
    return LnsResult(values, float(best), float(first), rounds, improved, time.perf_counter() - t0)
