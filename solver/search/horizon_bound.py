"""The LP bound of a multi-year plan: the LP relaxation of the joint model, solved by
HiGHS, as a second lower bound beside CP-SAT's own (docs/bound.md, "Multi-year plans").

CP-SAT's bound on the joint model (:class:`~solver.model.horizon.HorizonModel`) is weak
on big horizons: 32-42% below the plan on 3,000-staff districts. The LP relaxation of
the same model is a lower bound too. Which model's LP (:func:`horizon_lp`):

- a joint model with every permitted move (no year pruned): its own LP, scope
  ``full_model``;
- a pruned joint model (``max_candidates``) whose years have at most
  :data:`FULL_LP_MAX_PAIRS` permitted moves together: the LP of the joint model built
  again with every permitted move (for the LP only; the search keeps the pruned one),
  scope ``full_lp``: it holds for the problem as written;
- a bigger pruned one: the LP of the kept moves, scope ``kept_candidates`` (nothing is
  priced across years).

The joint LP is solved by HiGHS's interior point method without crossover: on the
3,000-staff benchmark district with coverage 0.9 (54,051 kept moves over 3 years) it
took 8.5 s, where the dual simplex (serial or parallel), the primal simplex and PDLP did
not finish in 60 s (2026-12-01). An interior point is optimal only within tolerances,
so the bound reported is not HiGHS's objective but the Lagrangian bound of its row
duals (:func:`dual_bound`): valid for any duals, hence a proven bound whatever HiGHS's
accuracy.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from ..input.data import District
from ..input.scenario import Scenario
from ..model.horizon import HorizonModel
from ..model.rotation import OBJ_UNIT
from ..plan.result import FULL_SCOPES
from ..progress import Budget
from .lp import Master

#: Share of the horizon's search time the LP may take (it runs before the search, which
#: gets the rest). Measured LP times (2026-12-01, loaded 2-core machine): Qingshi county
#: (3,000 staff, 3 years, 71,839 permitted moves) 2-3 s of 300; the 3,000-staff
#: benchmark district (135,059) about 20 s.
LP_SHARE = 0.25
#: Share of the search time left after the staged plan that the LP of the kept moves
#: takes again when the joint model is rebuilt to keep the staged plan's moves (the first
#: LP, of fewer moves, does not bound the rebuilt model's plans).
REBUILT_LP_SHARE = 0.5
#: A pruned joint model whose years have at most this many permitted moves together has
#: its LP solved on the joint model with every permitted move (scope ``full_lp``); a
#: bigger one on its kept moves (``kept_candidates``). The full joint model of 6,000
#: staff over 3 years has 539,000 moves: its build and LP would take most of a
#: 5-minute budget.
FULL_LP_MAX_PAIRS = 200_000
#: HiGHS's interior point method without crossover (see the module docstring).
IPM = {"solver": "ipm", "run_crossover": "off"}


@dataclass(frozen=True)
class HorizonLP:
    """The LP bound of a horizon.

    ``bound`` (NaN when HiGHS did not finish the LP in its time) is in objective units (Σ over years of Σ weight · term) and holds for what
    ``scope`` says (:data:`solver.plan.result.BOUND_SCOPES`); ``candidate_moves`` are
    the moves of the model whose LP it is; ``status`` is HiGHS's model status (the
    bound is proven whatever it says: :func:`dual_bound`); ``seconds`` include building
    the full joint model when one was built.
    """

    bound: float
    scope: str
    candidate_moves: int
    status: str
    seconds: float
    #: The LP's model (``hm`` itself, or the joint model with every permitted move) and
    #: the LP value of each of its proto variables (``None`` without a finished LP): what
    #: an LP-guided search reads (:func:`solver.search.horizon_guide.pair_values`).
    model: HorizonModel | None = field(default=None, repr=False, compare=False)
    values: np.ndarray | None = field(default=None, repr=False, compare=False)

    def stats(self) -> dict[str, float | str]:
        """The figures ``horizon.json`` reports in ``stats``."""
        return {
            "lp_bound": self.bound,
            "lp_scope": self.scope,
            "lp_status": self.status,
            "lp_candidate_moves": float(self.candidate_moves),
            "lp_seconds": round(self.seconds, 3),
        }


def dual_bound(master: Master) -> float:
    """The Lagrangian bound of the master's row duals (the master's units, before
    offset and scaling): a lower bound of its LP, and so of every plan, for any duals.

    Relax every row ``L ≤ a·x ≤ U`` with multiplier ``y`` (a row whose side in ``y``'s
    direction is infinite gets ``y = 0``): for every ``x`` within its bounds
    ``l ≤ x ≤ u`` meeting the rows, ``c·x ≥ Σ_i min(y_i L_i, y_i U_i) + Σ_j min(d_j l_j,
    d_j u_j)`` with ``d = c − Aᵀy``. At an exact optimum it is the LP's optimum; near one
    (an interior point) slightly below it.
    """
    lp = master.h.getLp()
    y = master.row_duals().copy()
    lo_r, up_r = np.asarray(lp.row_lower_, float), np.asarray(lp.row_upper_, float)
    lo_c, up_c = np.asarray(lp.col_lower_, float), np.asarray(lp.col_upper_, float)
    cost = np.asarray(lp.col_cost_, float)
    if len(y) != len(lo_r):
        return -math.inf
    y[(y > 0) & ~np.isfinite(lo_r)] = 0.0
    y[(y < 0) & ~np.isfinite(up_r)] = 0.0
    a = lp.a_matrix_
    start, index, value = (np.asarray(v) for v in (a.start_, a.index_, a.value_))
    n_col = len(cost)
    if int(a.format_) == 1:  # column-wise
        col = np.repeat(np.arange(n_col), np.diff(start[: n_col + 1]))
        aty = np.bincount(col, weights=value[: len(col)] * y[index[: len(col)]], minlength=n_col)
    else:  # row-wise
        n_row = len(y)
        row = np.repeat(np.arange(n_row), np.diff(start[: n_row + 1]))
        aty = np.bincount(index[: len(row)], weights=value[: len(row)] * y[row], minlength=n_col)
    d = cost - aty
    rows = np.where(y > 0, y * np.where(np.isfinite(lo_r), lo_r, 0.0), 0.0) + np.where(
        y < 0, y * np.where(np.isfinite(up_r), up_r, 0.0), 0.0
    )
    cols = np.where(d > 0, d * lo_c, 0.0) + np.where(d < 0, d * up_c, 0.0)
    total = float(rows.sum() + cols.sum())
    return total if math.isfinite(total) else -math.inf


def horizon_lp(
    hm: HorizonModel,
    district: District,
    scenario: Scenario,
    budget: Budget,
    say=None,
    share: float = LP_SHARE,
) -> HorizonLP | None:
    """The LP bound of the horizon ``hm`` models (see the module docstring for which
    model's LP and its scope), within ``share`` of ``budget``'s search time left, with
    ``[solver] workers`` HiGHS threads; ``None`` when highspy is missing or the time is
    too short; its ``bound`` is NaN when HiGHS does not finish the LP in it."""
    say = say or (lambda _m: None)
    t0 = time.perf_counter()
    limit = share * max(budget.search_left(), 0.0)
    if limit < 0.5:
        return None
    permitted = sum(rm.n_permitted for rm in hm.years)
    complete = all(rm.complete for rm in hm.years)
    model, scope = hm, "full_model"
    if not complete:
        scope = "kept_candidates"
        if permitted <= FULL_LP_MAX_PAIRS:
            # every permitted move, for the LP only: its bound holds for the problem as written
            model = HorizonModel(district, scenario.with_solver(max_candidates=0), hm.n_years)
            scope = "full_lp" if all(rm.complete for rm in model.years) else scope
    moves = model.size[1]
    try:
        master = Master(model.model.proto, max(1, scenario.solver.workers), dict(IPM))
    except ImportError:  # pragma: no cover - highspy is a dependency
        return None
    done = master.solve(max(0.1, limit - (time.perf_counter() - t0)))
    left = limit - (time.perf_counter() - t0)
    if not done and left > 0.1 and not master.infeasible:
        # The interior point without crossover can end imprecise ('Unknown') on small
        # LPs: the dual simplex then, for the time left (fast on those).
        master.h.setOptionValue("solver", "simplex")
        master.solve(left)
    status = master.h.modelStatusToString(master.h.getModelStatus())
    # The bound of any duals is proven, but those of an unfinished interior point are far
    # from optimal (6,000 staff, one year, stopped after 22 s: -3.7 million against a plan
    # of 452): only a finished LP's bound is reported.
    raw = dual_bound(master) if status == "Optimal" else math.nan
    out = HorizonLP(
        bound=master.model_units(raw) / OBJ_UNIT if math.isfinite(raw) else math.nan,
        scope=scope,
        candidate_moves=moves,
        status=status,
        seconds=time.perf_counter() - t0,
        model=model,
        values=master.values()[: master.n_proto] if math.isfinite(raw) else None,
    )
    say(
        f"horizon LP bound {out.bound:.4f} ({scope}, {moves} moves, {status}) "
        f"in {out.seconds:.1f} s"
        if math.isfinite(out.bound)
        else f"horizon LP: no bound ({status} after {out.seconds:.1f} s)"
    )
    return out


def best_bound(
    objective: float,
    cp_bound: float | None,
    cp_scope: str,
    lp: HorizonLP | None,
) -> tuple[float, str, str]:
    """The horizon's ``best_bound``, its scope and its source (``cp_sat`` or ``lp``):
    the better of CP-SAT's and the LP's, a bound of the problem as written (a scope of
    :data:`~solver.plan.result.FULL_SCOPES`) winning over one of the kept candidates
    only; never above the plan's exact ``objective`` (in the model's integer scaling a
    bound can exceed it). NaN, ``cp_scope``, ``none`` when there is no bound."""
    bounds: list[tuple[float, str, str]] = []
    if cp_bound is not None and math.isfinite(cp_bound):
        bounds.append((cp_bound, cp_scope, "cp_sat"))
    if lp is not None and math.isfinite(lp.bound):
        bounds.append((lp.bound, lp.scope, "lp"))
    if not bounds:
        return math.nan, cp_scope, "none"
    full = [b for b in bounds if b[1] in FULL_SCOPES]
    value, scope, source = max(full or bounds, key=lambda b: b[0])
    return min(value, objective), scope, source
