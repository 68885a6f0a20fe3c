"""The LP relaxation of a CP-SAT model, solved by HiGHS: a second lower bound.

CP-SAT's own bound can be weak with two workers; the relaxation of the same model
(every integer variable made continuous) is a valid lower bound too, and the gap
is reported against the better of the two. Needs ``highspy``; without it,
:func:`lp_bound`, :func:`lp_solve` and :func:`highs_solve` return ``None``.

:func:`highs_solve` is the full interface (status, plan values, bound, timings and,
for a MIP, every improving plan as it is found); :func:`lp_solve` and
:func:`lp_bound` are its short forms. The model is read from the proto's binary
serialisation (written by CP-SAT's own helper, parsed by protobuf), which is several
times faster than walking the Python wrappers of a large model constraint by
constraint.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from itertools import chain

import numpy as np

from .guard import watch

#: HiGHS's interior point method without crossover (the horizon's LP,
#: :mod:`solver.search.horizon_bound`, and the schedule's commute LP).
IPM = {"solver": "ipm", "run_crossover": "off"}
#: CP-SAT writes unbounded sides as ±int64 extremes; beyond this they are infinite.
_INFINITE = 2.0**62
#: HiGHS keeps one thread pool per process, sized by the first solve's ``threads``; a
#: later solve with another count fails unless the pool is reset (see highs_solve).
_POOL_THREADS: list[int] = []


@contextlib.contextmanager
def _quiet_stdout():
    """Silence the process's standard output (file descriptor 1) for a moment."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


@dataclass
class HighsResult:
    """What HiGHS made of a model (objective values in the proto's objective units).

    ``objective`` and ``values`` are those of the best solution found (``None``
    without one: an LP that did not finish, a MIP with no plan yet); ``bound`` is the
    LP optimum or the MIP's dual bound (``None`` when unknown). ``trace`` lists, for a
    MIP, each improving plan as ``(seconds since the solve started, objective, bound)``.
    """

    status: str
    objective: float | None
    bound: float | None
    values: np.ndarray | None
    build_seconds: float
    solve_seconds: float
    trace: list[tuple[float, float, float]] = field(default_factory=list)

    @property
    def optimal(self) -> bool:
        return self.status == "Optimal"


def _parsed(proto):
    """The model as a protobuf message (fast field access), or ``proto`` itself when
    it cannot be serialised (then the slower wrapper access is used)."""
    if hasattr(proto, "WhichOneof"):
        return proto
    try:
        from ortools.sat import cp_model_pb2
        from ortools.sat.python import cp_model_helper
    except ImportError:  # pragma: no cover - depends on the OR-Tools build
        return proto
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.pb")
        if not cp_model_helper.CpSatHelper.write_model_to_file(proto, path):  # pragma: no cover
            return proto
        msg = cp_model_pb2.CpModelProto()
        with open(path, "rb") as f:
            msg.ParseFromString(f.read())
    return msg


def _kind(ct) -> str | None:
    if hasattr(ct, "WhichOneof"):
        return ct.WhichOneof("constraint")
    return next(
        (
            k
            for k in ("linear", "exactly_one", "at_most_one", "bool_or")
            if getattr(ct, f"has_{k}")()
        ),
        None,
    )


def _side(v: float) -> float:
    return float(v) if abs(v) < _INFINITE else float(np.sign(v)) * np.inf


def _arrays(proto):
    """Columns, objective and rows of ``proto`` as numpy arrays (negated literals resolved)."""
    msg = _parsed(proto)
    n = len(msg.variables)
    lo = np.fromiter((v.domain[0] for v in msg.variables), dtype=float, count=n)
    hi = np.fromiter((v.domain[len(v.domain) - 1] for v in msg.variables), dtype=float, count=n)
    obj = np.zeros(n)
    offset = float(msg.objective.offset)
    o_vars = np.fromiter(msg.objective.vars, dtype=np.int64)
    o_coef = np.fromiter(msg.objective.coeffs, dtype=float, count=len(o_vars))
    neg = o_vars < 0  # a negated reference: coef·(1 − x)
    np.add.at(obj, o_vars[~neg], o_coef[~neg])
    np.add.at(obj, -o_vars[neg] - 1, -o_coef[neg])
    offset += float(o_coef[neg].sum())
    scale = msg.objective.scaling_factor or 1.0

    vars_, coefs, lower, upper = [], [], [], []
    for ct in msg.constraints:
        if len(ct.enforcement_literal):
            raise ValueError("enforced constraints are not supported")
        kind = _kind(ct)
        if kind == "linear":
            d = ct.linear.domain
            vars_.append(ct.linear.vars)
            coefs.append(ct.linear.coeffs)
            lower.append(_side(d[0]))
            upper.append(_side(d[len(d) - 1]))
        elif kind in ("exactly_one", "at_most_one", "bool_or"):
            lits = getattr(ct, kind).literals
            vars_.append(lits)
            coefs.append((1,) * len(lits))
            lower.append(-np.inf if kind == "at_most_one" else 1.0)
            upper.append(np.inf if kind == "bool_or" else 1.0)
        else:
            raise ValueError(f"constraint {kind} is not supported")
    lens = np.fromiter(map(len, vars_), dtype=np.int64, count=len(vars_))
    nnz = int(lens.sum())
    index = np.fromiter(chain.from_iterable(vars_), dtype=np.int64, count=nnz)
    value = np.fromiter(chain.from_iterable(coefs), dtype=float, count=nnz)
    row = np.repeat(np.arange(len(vars_)), lens)
    neg = index < 0  # coef·(1 − x): the constant moves to the bounds
    const = np.bincount(row[neg], weights=value[neg], minlength=len(vars_))
    index[neg] = -index[neg] - 1
    value[neg] = -value[neg]
    starts = np.concatenate([[0], np.cumsum(lens)[:-1]]) if len(lens) else np.zeros(0, np.int64)
    lower = np.asarray(lower, dtype=float) - const
    upper = np.asarray(upper, dtype=float) - const
    return lo, hi, obj, offset, scale, starts, index, value, lower, upper


def highs_solve(
    proto,
    time_limit_s: float = 60.0,
    integral: bool = False,
    threads: int | None = None,
    options: dict | None = None,
) -> HighsResult | None:
    """Solve a CP-SAT model's ``proto`` with HiGHS: its LP relaxation, or with
    ``integral`` the MIP (integer variables stay integer).

    Only linear, exactly-one, at-most-one and bool-or constraints without enforcement
    literals are supported (what :class:`solver.model.rotation.RotationModel` builds outside
    diagnosis). Returns ``None`` when highspy is missing.

    Parameters
    ----------
    proto
        ``CpModel.proto`` (or a ``cp_model_pb2.CpModelProto``).
    time_limit_s
        Seconds for the whole call: converting and loading the model count against
        it, HiGHS's ``time_limit`` gets the rest (a call's budget holds, at 40,000
        staff the loading alone takes seconds).
    integral
        Keep integer variables integer (a MIP) instead of the LP relaxation.
    threads
        HiGHS's ``threads`` option (default: HiGHS's own choice).
    options
        Further HiGHS options by name (``{"solver": "ipm"}``, for instance).
    """
    try:
        import highspy
    except ImportError:  # pragma: no cover - optional
        return None
    t0 = time.perf_counter()
    lo, hi, obj, offset, scale, starts, index, value, lower, upper = _arrays(proto)
    n = len(lo)
    with _quiet_stdout():  # HiGHS prints a banner on creation, before any option is set
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit_s))
    if threads:
        h.setOptionValue("threads", int(threads))
    for name, val in (options or {}).items():
        h.setOptionValue(name, val)
    h.addVars(n, lo, hi)
    cols = np.arange(n, dtype=np.int32)
    h.changeColsCost(n, cols, obj)
    if integral:
        h.changeColsIntegrality(n, cols, np.ones(n, dtype=np.uint8))
    if len(lower):
        h.addRows(
            len(lower),
            lower,
            upper,
            len(index),
            starts.astype(np.int32),
            index.astype(np.int32),
            value,
        )
    trace: list[tuple[float, float, float]] = []
    start = [0.0]
    if integral:

        def improving(event) -> None:
            out = event.data_out
            trace.append(
                (
                    time.perf_counter() - start[0],
                    (out.objective_function_value + offset) * scale,
                    (out.mip_dual_bound + offset) * scale,
                )
            )

        h.cbMipImprovingSolution.subscribe(improving)
    build_seconds = time.perf_counter() - t0
    h.setOptionValue("time_limit", max(0.1, float(time_limit_s) - build_seconds))
    start[0] = time.perf_counter()
    want = int(threads or 0)  # (0: HiGHS's default)
    if _POOL_THREADS and _POOL_THREADS[0] != want:
        highspy.Highs.resetGlobalScheduler(True)
    _POOL_THREADS[:] = [want]
    # a watchdog cancels a run that overruns its limit (HiGHS checks it only at some
    # points of presolve): HandleUserInterrupt lets cancelSolve stop the simplex
    h.HandleUserInterrupt = True
    with watch(h.cancelSolve, float(time_limit_s), "HiGHS"):
        h.run()
    solve_seconds = time.perf_counter() - start[0]
    status = h.modelStatusToString(h.getModelStatus())
    info = h.getInfo()
    values = np.asarray(h.getSolution().col_value, dtype=float)
    has_plan = len(values) == n and info.primal_solution_status == 2  # kSolutionStatusFeasible
    optimal = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    if integral:
        bound = info.mip_dual_bound if np.isfinite(info.mip_dual_bound) else None
    else:
        bound = info.objective_function_value if optimal else None
    return HighsResult(
        status=status,
        objective=(info.objective_function_value + offset) * scale if has_plan else None,
        bound=None if bound is None else (bound + offset) * scale,
        values=values if has_plan or (optimal and len(values) == n) else None,
        build_seconds=build_seconds,
        solve_seconds=solve_seconds,
        trace=trace,
    )


#: HiGHS options for the big LP relaxations lungang solves: the parallel dual simplex
#: (``simplex_strategy = 2``). On the 15,000- and 40,000-staff benchmark districts
#: (222,068 and 330,147 candidate moves) it solved their LPs in 6.6 s and 20.6 s with 2
#: threads, against 9.2 s and 31.7 s for the default serial dual simplex (interior point:
#: 22 s and longer; PDLP: no solution in 120 s at 15,000), with the same optimal basis
#: run after run.
FAST_LP = {"simplex_strategy": 2}
#: HiGHS's serial dual simplex: the parallel one's threads wait on each other, and on a
#: busy machine (other jobs on the cores) it is the slower: the 40,000-staff LP of 330,147
#: moves took 93-98 s by the parallel and 25-41 s by the serial dual simplex, the
#: 15,000-staff one 9.5-38.8 s and 3.3 s (2026-12-01, load average 3-6 on 2 cores).
SERIAL_LP = {"simplex_strategy": 1}


def fast_lp(threads: int, reproducible: bool = False) -> dict:
    """HiGHS options for a big LP: the parallel dual simplex (:data:`FAST_LP`) when its
    ``threads`` have cores to themselves (the 1-minute load average leaves them free,
    counting this process's own 0.5), else the serial dual simplex (:data:`SERIAL_LP`).
    ``reproducible`` (a run that must give the same plan again: ``[solver]
    work_limit``) always takes the serial one, whatever the load, so that the LP's
    optimal vertex, and the search that follows it, do not depend on the machine."""
    if reproducible or threads < 2:
        return dict(SERIAL_LP)
    try:
        load = os.getloadavg()[0]
    except OSError:  # pragma: no cover - not on Linux or macOS
        return dict(SERIAL_LP)
    free = (os.cpu_count() or 1) - load + 0.5
    return dict(FAST_LP) if free >= threads else dict(SERIAL_LP)


#: How :class:`Master` re-solves from its last basis after adding columns: HiGHS's
#: serial dual simplex. Measured against the primal simplex (2026-12-01, same runs,
#: loaded 2-core machine): all rounds of pricing took 11.1 s against 13.4 s at 15,000
#: staff, 62 s against 81 s at 40,000, and 11.6 s against 25.8 s at 15,000 with wishes
#: weighted (its second round: 3.8 s against 18 s).
RESOLVE_STRATEGY = 1


def relaxation(proto, time_limit_s: float, threads: int) -> tuple[float, np.ndarray] | None:
    """The LP relaxation of a big model by the parallel dual simplex (:data:`FAST_LP`)
    with ``threads`` threads: (bound, value of every variable), or ``None`` when highspy
    is missing or HiGHS does not finish within ``time_limit_s``."""
    out = highs_solve(proto, time_limit_s, threads=threads, options=FAST_LP)
    if out is None or out.bound is None or out.values is None:
        return None
    return out.bound, out.values


def lp_bound(proto, time_limit_s: float = 60.0, integral: bool = False) -> float | None:
    """Optimal value of the LP relaxation of a model's ``proto`` (in its objective units).

    See :func:`lp_solve`; ``None`` when highspy is missing or HiGHS does not finish.
    """
    out = lp_solve(proto, time_limit_s, integral)
    return None if out is None else out[0]


def lp_solve(
    proto, time_limit_s: float = 60.0, integral: bool = False
) -> tuple[float, np.ndarray] | None:
    """The LP relaxation of a model's ``proto``: (bound, value of every variable).

    With ``integral`` the integer variables stay integer (a MIP); the bound is then
    HiGHS's dual bound and the values its best solution (``None`` if it found none).
    Returns ``None`` when highspy is missing or HiGHS does not finish. See
    :func:`highs_solve` for the supported constraints.
    """
    out = highs_solve(proto, time_limit_s, integral)
    if out is None or out.bound is None or out.values is None:
        return None
    if integral and not out.optimal and out.objective is None:
        return None
    return out.bound, out.values


class Master:
    """The LP relaxation of a CP-SAT model held in HiGHS, to which columns can be added
    and which is solved again from its last basis: the master problem of column
    generation (:mod:`solver.search.pricing`).

    Costs, duals and reduced costs are in the proto's objective units before its offset
    and scaling (:meth:`model_units` converts an objective value).

    Parameters
    ----------
    proto
        ``CpModel.proto``; see :func:`highs_solve` for the supported constraints.
    threads
        HiGHS's ``threads`` option.
    options
        Further HiGHS options (default :func:`fast_lp`: the parallel or the serial dual
        simplex, by the machine's load).
    """

    def __init__(self, proto, threads: int, options: dict | None = None):
        import highspy

        t0 = time.perf_counter()
        lo, hi, obj, offset, scale, starts, index, value, lower, upper = _arrays(proto)
        self.offset, self.scale = offset, scale
        self.n_proto = len(lo)
        self.n_rows = len(lower)
        self._kOptimal = highspy.HighsModelStatus.kOptimal
        # the proto's columns (CSR by row), kept to check a column formula against them
        self._csr = (starts, index, value, obj)
        with _quiet_stdout():
            h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", int(threads))
        for name, val in (fast_lp(threads) if options is None else options).items():
            h.setOptionValue(name, val)
        h.addVars(len(lo), lo, hi)
        h.changeColsCost(len(lo), np.arange(len(lo), dtype=np.int32), obj)
        if len(lower):
            h.addRows(
                len(lower),
                lower,
                upper,
                len(index),
                starts.astype(np.int32),
                index.astype(np.int32),
                value,
            )
        self.h = h
        self.threads = int(threads)
        self.n_cols = len(lo)
        self.build_seconds = time.perf_counter() - t0
        self.solve_seconds = 0.0
        self.n_solves = 0

    def model_units(self, value: float) -> float:
        """An objective value of the master in the proto's objective units."""
        return (value + self.offset) * self.scale

    def columns_of(self, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The proto's columns ``cols``: their costs, and their entries as sorted keys
        ``i · n_rows + row`` (i: position in ``cols``) with the coefficients."""
        starts, index, value, obj = self._csr
        row = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(index))))
        where = np.full(self.n_proto, -1, dtype=np.int64)
        where[cols] = np.arange(len(cols))
        sel = where[index] >= 0
        keys = where[index[sel]] * self.n_rows + row[sel]
        order = np.argsort(keys, kind="stable")
        return obj[cols], keys[order], value[sel][order]

    def solve(self, time_limit_s: float) -> bool:
        """Solve (from the last basis, after the first time); whether it is optimal.

        The first solve is the dual simplex of the options (:func:`fast_lp`); later ones
        (after :meth:`add_columns`) go on from the last basis by the serial dual simplex
        (:data:`RESOLVE_STRATEGY`: faster than the primal simplex on the benchmark
        districts of 15,000 and 40,000 staff, though the added columns leave that basis
        primal feasible)."""
        import highspy

        if self.n_solves:
            self.h.setOptionValue("simplex_strategy", RESOLVE_STRATEGY)
        # HiGHS's time_limit counts the object's run time over every solve, not this
        # one's: without the time already run a re-solve given less than the first
        # solve took stopped at once ("Time limit reached" in 0.01 s on Dongcheng's
        # horizon LP, whose first solve took 45 s) and one given a little more was cut
        # short with its unfinished interior point's values.
        self.h.setOptionValue("time_limit", self.h.getRunTime() + max(float(time_limit_s), 0.01))
        if _POOL_THREADS and _POOL_THREADS[0] != self.threads:
            highspy.Highs.resetGlobalScheduler(True)
        _POOL_THREADS[:] = [self.threads]
        t = time.perf_counter()
        self.h.HandleUserInterrupt = True
        with watch(self.h.cancelSolve, max(float(time_limit_s), 0.01), "HiGHS"):
            self.h.run()
        self.n_solves += 1
        self.solve_seconds += time.perf_counter() - t
        return self.h.getModelStatus() == self._kOptimal

    @property
    def infeasible(self) -> bool:
        """Whether the last solve proved the master infeasible."""
        return self.h.modelStatusToString(self.h.getModelStatus()) == "Infeasible"

    @property
    def objective(self) -> float:
        """The master's optimum (before offset and scaling)."""
        return float(self.h.getInfo().objective_function_value)

    def values(self) -> np.ndarray:
        """The value of every column (the proto's first, then the added ones)."""
        return np.asarray(self.h.getSolution().col_value, dtype=float)

    def row_duals(self) -> np.ndarray:
        """The row duals ``y``: a column's reduced cost is ``c_j − y·A_j``."""
        return np.asarray(self.h.getSolution().row_dual, dtype=float)

    def col_duals(self) -> np.ndarray:
        """HiGHS's reduced cost of every column."""
        return np.asarray(self.h.getSolution().col_dual, dtype=float)

    def add_columns(self, cost: np.ndarray, rows: np.ndarray, coefs: np.ndarray) -> None:
        """Add columns in [0, 1] with costs ``cost``; line i of ``rows`` (constraint
        indices, -1 padding) and ``coefs`` gives column i's entries."""
        used = rows >= 0
        lens = used.sum(axis=1)
        starts = np.concatenate([[0], np.cumsum(lens)[:-1]]).astype(np.int32)
        n = len(cost)
        self.h.addCols(
            n,
            np.asarray(cost, dtype=float),
            np.zeros(n),
            np.ones(n),
            int(lens.sum()),
            starts,
            rows[used].astype(np.int32),
            coefs[used].astype(float),
        )
        self.n_cols += n
