"""The LP relaxation of a CP-SAT model, solved by HiGHS: a second lower bound.

CP-SAT's own bound can be weak with two workers; the relaxation of the same model
(every integer variable made continuous) is a valid lower bound too, and the gap
is reported against the better of the two. Needs ``highspy`` (extra ``[bench]``);
without it, :func:`lp_bound` returns ``None``.
"""

from __future__ import annotations

import contextlib
import os
import sys

import numpy as np


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


def lp_bound(proto, time_limit_s: float = 60.0, integral: bool = False) -> float | None:
    """Optimal value of the LP relaxation of a model's ``proto`` (in its objective units).

    See :func:`lp_solve`; ``None`` when highspy is missing or HiGHS does not finish.
    """
    out = lp_solve(proto, time_limit_s, integral)
    return None if out is None else out[0]


def lp_solve(proto, time_limit_s: float = 60.0, integral: bool = False) -> tuple[float, np.ndarray] | None:
    """The LP relaxation of a model's ``proto``: (bound, value of every variable).

    Only linear, exactly-one, at-most-one and bool-or constraints without enforcement
    literals are supported (what :class:`solver.model.RotationModel` builds outside
    diagnosis). With ``integral`` the integer variables stay integer (a MIP: used by
    the benchmarks as the HiGHS peer); the bound is then HiGHS's dual bound and the
    values its best solution (``None`` if it found none). Returns ``None`` when
    highspy is missing or HiGHS does not finish.
    """
    try:
        import highspy
    except ImportError:  # pragma: no cover - optional
        return None
    with _quiet_stdout():  # HiGHS prints a banner on creation, before any option is set
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit_s))
    n = len(proto.variables)
    lo = np.array([v.domain[0] for v in proto.variables], dtype=float)
    hi = np.array([v.domain[len(v.domain) - 1] for v in proto.variables], dtype=float)
    obj = np.zeros(n)
    offset = float(proto.objective.offset)
    for var, coef in zip(proto.objective.vars, proto.objective.coeffs, strict=True):
        if var >= 0:
            obj[var] += coef
        else:  # negated reference: coef·(1 − x)
            obj[-var - 1] -= coef
            offset += coef
    scale = proto.objective.scaling_factor or 1.0
    h.addVars(n, lo, hi)
    h.changeColsCost(n, np.arange(n, dtype=np.int32), obj)
    if integral:
        h.changeColsIntegrality(n, np.arange(n, dtype=np.int32), np.ones(n, dtype=np.uint8))
    starts, index, value, lower, upper = [0], [], [], [], []

    def add_row(vars_, coefs, lb, ub):
        const = 0.0
        for v, c in zip(vars_, coefs, strict=True):
            if v >= 0:
                index.append(v)
                value.append(c)
            else:
                index.append(-v - 1)
                value.append(-c)
                const += c
        starts.append(len(index))
        lower.append(lb - const)
        upper.append(ub - const)

    for ct in proto.constraints:
        if ct.enforcement_literal:
            raise ValueError("enforced constraints are not supported")
        kind = next((k for k in ("linear", "exactly_one", "at_most_one", "bool_or") if getattr(ct, f"has_{k}")()), None)
        if kind == "linear":
            d = list(ct.linear.domain)
            add_row(ct.linear.vars, ct.linear.coeffs, d[0], d[len(d) - 1])
        elif kind == "exactly_one":
            add_row(ct.exactly_one.literals, [1] * len(ct.exactly_one.literals), 1, 1)
        elif kind == "at_most_one":
            add_row(ct.at_most_one.literals, [1] * len(ct.at_most_one.literals), -np.inf, 1)
        elif kind == "bool_or":
            add_row(ct.bool_or.literals, [1] * len(ct.bool_or.literals), 1, np.inf)
        else:
            raise ValueError(f"constraint {kind} is not supported")
    nrows = len(lower)
    if nrows:
        h.addRows(nrows, np.array(lower, float), np.array(upper, float), len(index),
                  np.array(starts[:-1], dtype=np.int32), np.array(index, dtype=np.int32), np.array(value, float))
    h.run()
    status = h.getModelStatus()
    values = np.asarray(h.getSolution().col_value, dtype=float)
    if status != highspy.HighsModelStatus.kOptimal:
        info = h.getInfo()
        if integral and info.mip_dual_bound > -np.inf and len(values) == n and info.primal_solution_status:
            return (info.mip_dual_bound + offset) * scale, values
        return None
    return (h.getInfo().objective_function_value + offset) * scale, values
