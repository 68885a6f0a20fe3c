"""The methods compared by the benchmarks, each as ``method(district, scenario, clock)``.

Every method gets the loaded district and the benchmark scenario (time limit and
workers in ``[solver]``) and returns an :class:`Outcome`: its plan as an assignments
table (the columns of ``Result.assignments``), the bound it proves on its own
objective, its build and solve seconds, and a trace of improving plans. Methods never
score or validate their own plans: the harness does that for all of them alike.

- ``lungang``: :func:`solver.search.solve.solve`, exactly as the package runs it (with
  ``max_candidates`` unset the package may keep only each teacher's nearest schools
  on big districts; its bound then counts only when it kept every candidate).
- ``lungang-k10``: the same with ``[solver] max_candidates = 10`` (each teacher keeps
  the 10 nearest permitted schools): a restricted model, so its own bound is not a
  bound on the district's problem and is not reported as one.
- ``rule-based``: what a planner does by hand: seniority-ordered paired exchanges
  (互派) to the nearest permitted school, until the quotas are met; no balance.
- ``straightforward``: the naive CP-SAT model: one boolean per eligible person and
  permitted school, balance as min-max, no pruning, no warm start, plain parameters.
- ``highs``: HiGHS's MIP solver on that same min-max model (converted by
  :mod:`solver.search.lp`), plan read from its best solution.
- ``lp-bound``: the LP relaxation of lungang's model (no plan; a bound), with its own
  time limit :data:`LP_TIME_LIMIT_S`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from solver.input.data import District
from solver.input.geo import haversine_km
from solver.input.scenario import Scenario
from solver.rules.eligibility import eligibility

Clock = Callable[[], float]
#: Time limit of the LP relaxations every gap is measured against (``--lp-time-limit``):
#: a reference, not a competitor, so it may take longer than the methods' limit.
LP_TIME_LIMIT_S = 300.0


@dataclass
class Outcome:
    """What one method produced (objective values in the method's own objective).

    ``own_kind`` names the balance measure the method optimises (``cv`` is the
    benchmark scenario's; ``minmax`` for the naive models; ``none`` for rules by hand
    and the bound). ``own_bound`` is a lower bound, on the method's own objective,
    for the *whole* district's problem (``None`` when the method proves none).
    ``trace`` lists ``(seconds since the method started, objective)`` of each
    improving plan. ``post`` (optional) is run after peak memory has been read and
    returns extra figures that are not part of the method's cost (an LP bound).
    """

    status: str
    assignments: pd.DataFrame | None = None
    own_kind: str = "cv"
    own_bound: float | None = None
    build_seconds: float = 0.0
    solve_seconds: float = 0.0
    trace: list[tuple[float, float]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    post: Callable[[], dict[str, Any]] | None = None
    note: str = ""


def variant(scenario: Scenario, *, objective: str | None = None, **solver: Any) -> Scenario:
    """A copy of ``scenario`` with another balance objective and/or solver settings."""
    sc = scenario.with_solver(**solver)
    if objective is not None:
        sc = sc.model_copy(
            update={"balance": sc.balance.model_copy(update={"objective": objective})}
        )
    return sc


# --------------------------------------------------------------------------- plans


def assignments_frame(
    district: District, elig: pd.DataFrame, people: pd.Index, dest: np.ndarray, dist_km: np.ndarray
) -> pd.DataFrame:
    """The assignments table for ``people`` (eligible staff ids) going to school
    positions ``dest`` (their current school: stays) at ``dist_km`` from home."""
    staff = district.staff.loc[people]
    ids = district.schools.index
    home = ids.get_indexer(staff["school_id"])
    moved = dest != home
    return pd.DataFrame(
        {
            "name": staff["name"],
            "role": staff["role"],
            "stream": elig.loc[people, "stream"],
            "subject": staff["subject"],
            "key_level": staff["key_level"],
            "from_school": staff["school_id"],
            "to_school": ids[dest].to_numpy(),
            "moved": moved,
            "distance_km": np.round(np.where(moved, dist_km, 0.0), 3),
        },
        index=people,
    )


def _from_pairs(built, chosen: np.ndarray) -> pd.DataFrame:
    """Assignments from a RotationModel's chosen candidate pairs (a bool per pair)."""
    ppl, pairs = built.people, built.pairs
    dest = ppl["home"].to_numpy().copy()
    dist = np.zeros(len(ppl))
    sel = pairs[np.asarray(chosen, dtype=bool)]
    dest[sel["p"].to_numpy()] = sel["s"].to_numpy()
    dist[sel["p"].to_numpy()] = sel["dist_km"].to_numpy()
    return assignments_frame(built.district, built.elig, ppl.index, dest, dist)


# --------------------------------------------------------------------------- lungang

#: A progress line of :func:`solver.search.solve.solve`: "  1.23 s  plan 305.5819  bound 300.0000".
_PLAN = re.compile(r"\bplan\s+(-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)")


def _lungang(district: District, scenario: Scenario, clock: Clock) -> Outcome:
    from solver.errors import InfeasibleError, NoPlanError
    from solver.search.solve import solve

    trace: list[tuple[float, float]] = []

    def progress(msg: str) -> None:
        m = _PLAN.search(msg)
        if m:
            trace.append((clock(), float(m.group(1))))

    try:
        res = solve(district, scenario, progress)
    except NoPlanError as exc:
        return Outcome("no plan", note=str(exc), solve_seconds=clock())
    except InfeasibleError as exc:
        return Outcome("infeasible", note=str(exc)[:300], solve_seconds=clock())
    total = clock()
    # Each teacher's candidate schools: 0 = all (the package may choose a limit itself).
    limit = res.stats.get("candidates_per_teacher", scenario.solver.max_candidates)
    # the reported bound counts when it holds for the problem as written (bound_scope:
    # the pruned moves priced, or none pruned), as summary.json says
    full = res.bound_holds_for_problem
    return Outcome(
        status=res.status.value,
        assignments=res.assignments,
        own_kind="cv" if scenario.balance.kind == "cv" else scenario.balance.kind,
        # a bound of the kept candidates only says nothing about the district's problem
        own_bound=res.best_bound if full else None,
        build_seconds=res.build_seconds,
        solve_seconds=total - res.build_seconds,
        trace=trace,
        extra={
            "candidate_moves": res.stats.get("candidate_moves"),
            "candidates_per_teacher": limit,
            "reported_bound": res.best_bound,
            "bound_scope": res.bound_scope,
            "reported_objective": res.objective,
        },
        note=""
        if full
        else (
            f"{int(limit)} nearest schools per teacher: its bound {res.best_bound:.4f} holds "
            "for the kept candidates only (bound_scope kept_candidates), not counted"
        ),
    )


def lungang(district: District, scenario: Scenario, clock: Clock) -> Outcome:
    """lungang's planner with the package's settings."""
    return _lungang(district, scenario, clock)


def lungang_k10(district: District, scenario: Scenario, clock: Clock) -> Outcome:
    """lungang's planner with ``max_candidates = 10``."""
    return _lungang(district, variant(scenario, max_candidates=10), clock)


# --------------------------------------------------------------------------- rule-based


def _hand_permitted(
    sc: Scenario, sch: pd.DataFrame, home: np.ndarray, dist: np.ndarray, teacher: np.ndarray
) -> np.ndarray:
    """(people × schools): the moves the rules permit by level, scope and commute."""
    from solver.rules.moves import levels_compatible, scope_allows

    n_p = len(home)
    level, zone, group = (sch[c].to_numpy() for c in ("level", "zone", "group"))
    permitted = dist <= sc.commute.max_km + 1e-9
    permitted[np.arange(n_p), home] = False
    if sc.scope.same_level:
        permitted &= levels_compatible(level[home][:, None], level[None, :])
    for rows, scope in ((teacher, sc.scope.teachers), (~teacher, sc.scope.principals)):
        if rows.any():
            permitted[rows] &= scope_allows(
                scope,
                zone[home[rows]][:, None],
                zone[None, :],
                group[home[rows]][:, None],
                group[None, :],
            )
    return permitted


class _Exchanges:
    """The paired exchanges of :func:`rule_based`: who is taken, where each goes, and
    the moves and outflow so far."""

    def __init__(self, home, role, subject, teacher, key, permitted, dist, pools, cap, pinned):
        self.home, self.role, self.subject = home, role, subject
        self.teacher, self.key, self.permitted, self.dist = teacher, key, permitted, dist
        self.pools, self.cap = pools, cap
        self.out = np.zeros(len(cap), dtype=np.int64)
        self.used = pinned.copy()
        self.dest = home.copy()
        self.moved = {"t": 0, "k": 0, "c": 0}

    def partner(self, p: int) -> int | None:
        """The most senior colleague who may come the other way, from the nearest school."""
        home, out, cap, teacher = self.home, self.out, self.cap, self.teacher
        a = home[p]
        if teacher[p] and out[a] >= cap[a]:
            return None
        cand = np.flatnonzero(self.permitted[p])
        for b in cand[np.argsort(self.dist[p, cand], kind="stable")]:
            if teacher[p] and out[b] >= cap[b]:
                continue
            for q in self.pools.get((int(b), self.role[p], self.subject[p]), ()):
                if not self.used[q] and self.permitted[q, a]:
                    return q
        return None

    def exchange(self, p: int) -> bool:
        """Swap person p with their partner; False when there is none."""
        if self.used[p]:
            return False
        q = self.partner(p)
        if q is None:
            return False
        home, moved = self.home, self.moved
        self.used[p] = self.used[q] = True
        self.dest[p], self.dest[q] = home[q], home[p]
        if self.teacher[p]:
            self.out[home[p]] += 1
            self.out[home[q]] += 1
            moved["t"] += 2
            moved["k"] += int(self.key[p]) + int(self.key[q])
        else:
            moved["c"] += 2
        return True


def rule_based(district: District, scenario: Scenario, clock: Clock) -> Outcome:
    """Seniority-ordered paired exchanges to the nearest permitted school.

    A planner's hand method: people who have served longest at their school go first;
    each is sent to the nearest school (from home) that the rules permit (level,
    scope, commute) and that has an eligible colleague of the same role and subject
    who may come the other way (the most senior such colleague): the two swap
    places (互派), so every school keeps its head count per subject and its posts.
    Cadres are exchanged until the cadre share is met; then key teachers until the
    key share of the teacher quota is covered ("key before ordinary", Dongcheng and Miyun 2021);
    then everyone by seniority until the teacher share is met; then key teachers
    again if the key share fell short. A school never loses more teachers than the
    outflow cap allows. Balance is not looked at. Flow shares and pins other than
    ``stay`` are not handled (the validator reports them if a scenario sets them).
    """
    from solver.rules.moves import at_least, at_most

    sc = scenario
    elig = eligibility(district, sc)
    keep = elig["eligible"].to_numpy()
    staff = district.staff[keep]
    people = staff.index
    sch = district.schools
    n_p, n_s = len(staff), len(sch)
    home = sch.index.get_indexer(staff["school_id"])
    dist = (
        haversine_km(
            staff["home_lat"].to_numpy()[:, None],
            staff["home_lon"].to_numpy()[:, None],
            sch["lat"].to_numpy()[None, :],
            sch["lon"].to_numpy()[None, :],
        )
        if n_p
        else np.zeros((0, n_s))
    )
    role = staff["role"].to_numpy()
    teacher = role == "teacher"
    key = teacher & (staff["key_level"] != "none").to_numpy()
    subject = np.where(teacher, staff["subject"].to_numpy(), "")
    permitted = _hand_permitted(sc, sch, home, dist, teacher)
    pins = district.pins
    stay_pinned = np.zeros(n_p, dtype=bool)
    if pins is not None and len(pins):
        stay_ids = pins.loc[pins["action"] == "stay", "staff_id"].astype(str)
        stay_pinned = people.isin(stay_ids)

    years = elig.loc[people, "years_at_school"].to_numpy(dtype=float)
    order = np.lexsort((people.to_numpy(dtype=str), -years))  # longest at school first
    pools: dict[tuple[int, str, str], list[int]] = {}
    for p in order:
        if not stay_pinned[p]:
            pools.setdefault((int(home[p]), role[p], subject[p]), []).append(int(p))
    teachers_now = district.teacher_counts().sum(axis=1).to_numpy()
    cap = np.array([at_most(sc.quotas.school_outflow_max, int(n)) for n in teachers_now])
    ex = _Exchanges(home, role, subject, teacher, key, permitted, dist, pools, cap, stay_pinned)
    moved, dest, exchange = ex.moved, ex.dest, ex.exchange
    build_seconds = clock()

    q = sc.quotas
    need_t = at_least(q.teacher_rotation_min, int(teacher.sum()))
    need_c = at_least(q.principal_rotation_min, int((~teacher).sum()))
    share = Fraction(str(q.key_share_of_rotated_min))
    if q.key_share_basis == "eligible_key":
        need_k = at_least(q.key_share_of_rotated_min, int(key.sum()))

        def key_ok() -> bool:
            return moved["k"] >= need_k
    else:
        need_k = math.ceil(share * (need_t + 1))

        def key_ok() -> bool:
            return moved["k"] * share.denominator >= share.numerator * moved["t"]

    for p in order[~teacher[order]]:
        if moved["c"] >= need_c:
            break
        exchange(int(p))
    key_order = order[key[order]]
    for p in key_order:
        if moved["k"] >= need_k:
            break
        exchange(int(p))
    for p in order[teacher[order]]:
        if moved["t"] >= need_t:
            break
        exchange(int(p))
    for p in key_order:
        if key_ok():
            break
        exchange(int(p))
    plan = assignments_frame(district, elig, people, dest, dist[np.arange(n_p), dest])
    short = [
        name
        for name, ok in (
            ("teacher share", moved["t"] >= need_t),
            ("cadre share", moved["c"] >= need_c),
            ("key share", key_ok()),
        )
        if not ok
    ]
    return Outcome(
        status="feasible" if not short else "quota short",
        assignments=plan,
        own_kind="none",
        build_seconds=build_seconds,
        solve_seconds=clock() - build_seconds,
        note=("could not meet: " + ", ".join(short)) if short else "",
    )


# --------------------------------------------------------------------------- straightforward


def _lp_of(built, time_limit_s: float) -> dict[str, Any]:
    """The LP bound of a built model (objective units), for the report only."""
    from solver.model.rotation import OBJ_UNIT
    from solver.search.lp import FAST_LP, highs_solve

    out = highs_solve(
        built.model.proto, time_limit_s, threads=built.scenario.solver.workers, options=FAST_LP
    )
    if out is None or out.bound is None:
        return {"own_lp_bound": None}
    return {
        "own_lp_bound": out.bound / OBJ_UNIT,
        "own_lp_seconds": out.build_seconds + out.solve_seconds,
    }


def straightforward(district: District, scenario: Scenario, clock: Clock) -> Outcome:
    """The naive CP-SAT model: every permitted pair a boolean, balance as min-max plus
    commute, no candidate pruning, no warm start, no LP guidance; CP-SAT with the
    scenario's workers, seed and time limit and otherwise default parameters."""
    from ortools.sat.python import cp_model

    from solver.model.rotation import OBJ_UNIT
    from solver.search.build import build
    from solver.search.engine import new_solver

    sc = variant(scenario, objective="minmax", max_candidates=0)
    built, build_seconds = build(district, sc, warm_start=False)
    trace: list[tuple[float, float]] = []

    class Trace(cp_model.CpSolverSolutionCallback):
        def on_solution_callback(self) -> None:
            trace.append((clock(), self.objective_value / OBJ_UNIT))

    # the scenario's workers, seed and time limit; CP-SAT's defaults otherwise
    solver = new_solver(
        sc.solver.time_limit_s, workers=sc.solver.workers, random_seed=sc.solver.seed
    )
    t = clock()
    code = solver.solve(built.model, Trace())
    solve_seconds = clock() - t
    extra = {"candidate_moves": len(built.pairs), "variables": len(built.model.proto.variables)}
    post = lambda: _lp_of(built, LP_TIME_LIMIT_S)  # noqa: E731
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return Outcome(
            "no plan",
            own_kind="minmax",
            build_seconds=build_seconds,
            solve_seconds=solve_seconds,
            extra=extra,
            post=post,
            note=f"CP-SAT: {solver.status_name(code)}",
        )
    # the solver's own value, in the model's integer scaling (the bound's units)
    extra["model_objective"] = solver.objective_value / OBJ_UNIT
    chosen = (
        solver.boolean_values(built.x).to_numpy(dtype=bool) if len(built.x) else np.zeros(0, bool)
    )
    return Outcome(
        status="optimal" if code == cp_model.OPTIMAL else "feasible",
        assignments=_from_pairs(built, chosen),
        own_kind="minmax",
        own_bound=solver.best_objective_bound / OBJ_UNIT,
        build_seconds=build_seconds,
        solve_seconds=solve_seconds,
        trace=trace,
        extra=extra,
        post=post,
    )


# --------------------------------------------------------------------------- HiGHS


def highs(district: District, scenario: Scenario, clock: Clock) -> Outcome:
    """HiGHS's MIP solver on the straightforward min-max model (same rules, a linear
    balance objective), with the scenario's time limit and ``threads = workers``."""
    from solver.model.rotation import OBJ_UNIT
    from solver.search.build import build
    from solver.search.lp import highs_solve

    sc = variant(scenario, objective="minmax", max_candidates=0)
    built, model_seconds = build(district, sc, warm_start=False)
    t = clock()
    out = highs_solve(
        built.model.proto, sc.solver.time_limit_s, integral=True, threads=sc.solver.workers
    )
    if out is None:
        return Outcome("highspy missing", own_kind="minmax", build_seconds=model_seconds)
    start = t + out.build_seconds
    trace = [(start + s, obj / OBJ_UNIT) for s, obj, _ in out.trace]
    extra = {"candidate_moves": len(built.pairs), "highs_status": out.status}
    post = lambda: _lp_of(built, LP_TIME_LIMIT_S)  # noqa: E731
    bound = None if out.bound is None else out.bound / OBJ_UNIT
    if out.values is None or out.objective is None:
        return Outcome(
            "no plan",
            own_kind="minmax",
            own_bound=bound,
            build_seconds=model_seconds + out.build_seconds,
            solve_seconds=out.solve_seconds,
            extra=extra,
            post=post,
            note=f"HiGHS: {out.status}",
        )
    extra["model_objective"] = out.objective / OBJ_UNIT
    x_idx = np.array([v.index for v in built.x], dtype=np.int64)
    chosen = out.values[x_idx] > 0.5
    return Outcome(
        status="optimal" if out.optimal else "feasible",
        assignments=_from_pairs(built, chosen),
        own_kind="minmax",
        own_bound=bound,
        build_seconds=model_seconds + out.build_seconds,
        solve_seconds=out.solve_seconds,
        trace=trace,
        extra=extra,
        post=post,
    )


# --------------------------------------------------------------------------- LP bound


def lp_bound(district: District, scenario: Scenario, clock: Clock) -> Outcome:
    """The LP relaxation of lungang's full model (every permitted pair, the scenario's
    balance objective), solved by HiGHS: a lower bound, no plan."""
    from solver.model.rotation import OBJ_UNIT
    from solver.search.build import build
    from solver.search.lp import FAST_LP, highs_solve

    sc = variant(scenario, max_candidates=0)
    built, model_seconds = build(district, sc, warm_start=False)
    out = highs_solve(
        built.model.proto, LP_TIME_LIMIT_S, threads=sc.solver.workers, options=FAST_LP
    )
    extra = {
        "candidate_moves": len(built.pairs),
        "variables": len(built.model.proto.variables),
        "constraints": len(built.model.proto.constraints),
    }
    if out is None:
        return Outcome(
            "highspy missing", own_kind=sc.balance.kind, build_seconds=model_seconds, extra=extra
        )
    bound = None if out.bound is None else out.bound / OBJ_UNIT
    return Outcome(
        status="bound" if bound is not None else "no bound",
        own_kind=sc.balance.kind,
        own_bound=bound,
        build_seconds=model_seconds + out.build_seconds,
        solve_seconds=out.solve_seconds,
        extra=extra,
        note="" if bound is not None else f"HiGHS: {out.status}",
    )


#: Method name -> function, in the order the table lists them.
METHODS: dict[str, Callable[[District, Scenario, Clock], Outcome]] = {
    "lungang": lungang,
    "lungang-k10": lungang_k10,
    "rule-based": rule_based,
    "straightforward": straightforward,
    "highs": highs,
    "lp-bound": lp_bound,
}
