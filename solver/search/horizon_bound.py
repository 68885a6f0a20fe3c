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
- a bigger pruned one: the LP of the kept moves, with the pruned moves of every year
  priced with its duals (:class:`HorizonPricer`, rounds of column generation while the
  time allows): scope ``full_lp`` when none is left with a negative reduced cost, else
  ``lagrangian``, both bounds of the problem as written; ``kept_candidates`` when a
  year's moves enter another year's rows (stints longer than a year, or no return) and
  cannot be priced.

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
from .lp import IPM, Master
from .pricing import formula_matches, rank_within

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


@dataclass(frozen=True)
class PricedBound:
    """The Lagrangian bound of a pruned horizon's LP duals over every permitted move
    (:class:`HorizonPricer`): ``bound`` in the master's units, the pruned moves priced,
    how many were left with a negative reduced cost, the LP solves (``rounds``) and the
    moves added to the LP between them; ``note`` says why nothing was priced (``bound``
    is then NaN)."""

    bound: float
    pruned: int = 0
    negative: int = 0
    note: str = ""
    rounds: int = 0
    added: int = 0


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
    #: The pricing of the pruned moves (a model of the kept moves only; else ``None``).
    priced: PricedBound | None = field(default=None, repr=False, compare=False)

    def stats(self) -> dict[str, float | str]:
        """The figures ``horizon.json`` reports in ``stats``."""
        out: dict[str, float | str] = {
            "lp_bound": self.bound,
            "lp_scope": self.scope,
            "lp_status": self.status,
            "lp_candidate_moves": float(self.candidate_moves),
            "lp_seconds": round(self.seconds, 3),
        }
        if self.priced is not None:
            out["lp_pruned_moves"] = float(self.priced.pruned)
            out["lp_pruned_negative"] = float(self.priced.negative)
            out["lp_pricing_rounds"] = float(self.priced.rounds)
            out["lp_pruned_added"] = float(self.priced.added)
            if self.priced.note:
                out["lp_pricing"] = self.priced.note
        return out


def _reduced(master: Master) -> tuple[float, np.ndarray, np.ndarray] | None:
    """The Lagrangian of the master's row duals ``y`` (see :func:`dual_bound`): the
    rows' part ``Σ_i min(y_i L_i, y_i U_i)``, ``y`` (zeroed where a row's side in its
    direction is infinite) and every column's reduced cost ``d = c − Aᵀy``; ``None``
    when HiGHS has no duals."""
    lp = master.h.getLp()
    y = master.row_duals().copy()
    lo_r, up_r = np.asarray(lp.row_lower_, float), np.asarray(lp.row_upper_, float)
    cost = np.asarray(lp.col_cost_, float)
    if len(y) != len(lo_r):
        return None
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
    rows = np.where(y > 0, y * np.where(np.isfinite(lo_r), lo_r, 0.0), 0.0) + np.where(
        y < 0, y * np.where(np.isfinite(up_r), up_r, 0.0), 0.0
    )
    return float(rows.sum()), y, cost - aty


def dual_bound(master: Master) -> float:
    """The Lagrangian bound of the master's row duals (the master's units, before
    offset and scaling): a lower bound of its LP, and so of every plan, for any duals.

    Relax every row ``L ≤ a·x ≤ U`` with multiplier ``y`` (a row whose side in ``y``'s
    direction is infinite gets ``y = 0``): for every ``x`` within its bounds
    ``l ≤ x ≤ u`` meeting the rows, ``c·x ≥ Σ_i min(y_i L_i, y_i U_i) + Σ_j min(d_j l_j,
    d_j u_j)`` with ``d = c − Aᵀy``. At an exact optimum it is the LP's optimum; near one
    (an interior point) slightly below it.
    """
    got = _reduced(master)
    if got is None:
        return -math.inf
    rows, _y, d = got
    lp = master.h.getLp()
    lo_c, up_c = np.asarray(lp.col_lower_, float), np.asarray(lp.col_upper_, float)
    cols = np.where(d > 0, d * lo_c, 0.0) + np.where(d < 0, d * up_c, 0.0)
    total = rows + float(cols.sum())
    return total if math.isfinite(total) else -math.inf


class HorizonPricer:
    """The pruned moves of a horizon's kept-moves LP (``master``, the LP of ``hm``),
    priced with its duals: the Lagrangian bound of the horizon with every permitted
    move (:meth:`bound`), and the most negative moves added to the LP for another solve
    (:meth:`add_negative`: column generation).

    Relax every row but each person-year's exactly-one (stay or one school): each
    person-year then takes its option of least reduced cost ``d = c − Aᵀy`` among the
    LP's columns (its moves, ``stay``, the moves added) and the pruned moves not added,
    whose columns :meth:`RotationModel.move_columns` gives from the year's rows (the
    year models are built *priceable*: rows and count ranges for every permitted move).
    With ``R = Σ_i min(y_i L_i, y_i U_i)`` over all rows (an exactly-one row gives
    ``y_p``): ``bound = R + Σ_(person-years) min_option d + Σ_(other columns) min(d l,
    d u)``, valid for any ``y``. A year whose moves enter other years' rows (stints
    longer than a year before the last year, or no return) cannot be priced: ``note``
    says why, and nothing is.
    """

    def __init__(self, hm: HorizonModel, master: Master):
        self.master = master
        self.note = ""
        lp = master.h.getLp()
        lo_r, up_r = np.asarray(lp.row_lower_, float), np.asarray(lp.row_upper_, float)
        self.option_of = np.full(master.n_cols, -1, dtype=np.int64)  # column -> person-year
        pool_py, costs, rows, coefs = [], [], [], []
        base = 0
        obliged = getattr(hm, "obliged_x", set())
        for y, rm in enumerate(hm.years, start=1):
            n_p = len(rm.people)
            if not n_p:
                continue
            pr = rm.person_rows
            if (pr < 0).any() or not (np.all(lo_r[pr] == 1.0) and np.all(up_r[pr] == 1.0)):
                self.note = f"year {y}: a person's row is not exactly one"
                return
            self.option_of[[v.index for v in rm.x]] = base + rm.pairs["p"].to_numpy()
            self.option_of[[v.index for v in rm.stay]] = base + np.arange(n_p)
            if not rm.complete:
                if not rm.priceable:
                    self.note = (
                        f"year {y}'s pruned moves cannot be priced (its moves enter other "
                        "years' rows)"
                    )
                    return
                check = np.asarray([v.index not in obliged for v in rm.x], dtype=bool)
                sel = np.flatnonzero(check)
                x_cols = np.asarray([rm.x[i].index for i in sel], dtype=np.int64)
                note = formula_matches(rm, master, x_cols, sel)
                if note:
                    self.note = f"year {y}: {note}"
                    return
                kept = np.zeros(rm.permitted.shape, dtype=bool)
                kept[rm.pairs["p"].to_numpy(), rm.pairs["s"].to_numpy()] = True
                pool = rm.permitted & ~kept
                pool.flat[rm.banned_keys] = False  # no_return_years fixes them at 0
                pool_p, pool_s = np.nonzero(pool)
                if len(pool_p):
                    cols = rm.move_columns(pool_p, pool_s)
                    if cols is None:  # pragma: no cover - checked on the kept moves
                        self.note = f"year {y}: a move's cost is unknown"
                        return
                    pool_py.append(base + pool_p)
                    costs.append(cols[0].astype(float))
                    rows.append(cols[1])
                    coefs.append(cols[2].astype(float))
            base += n_p
        self.n_person_years = base
        width = max((r.shape[1] for r in rows), default=1)

        def padded(parts, fill, dtype):
            return (
                np.concatenate(
                    [
                        np.pad(a, ((0, 0), (0, width - a.shape[1])), constant_values=fill)
                        for a in parts
                    ]
                ).astype(dtype)
                if parts
                else np.zeros((0, width), dtype=dtype)
            )

        self.pool_py = np.concatenate(pool_py) if pool_py else np.zeros(0, dtype=np.int64)
        self.cost = np.concatenate(costs) if costs else np.zeros(0)
        self.rows = padded(rows, -1, np.int64)
        self.coefs = padded(coefs, 0.0, float)
        self.active = np.ones(len(self.pool_py), dtype=bool)
        self.negative = 0
        self._d = np.zeros(0)

    @property
    def pruned(self) -> int:
        return len(self.pool_py)

    def bound(self) -> float:
        """The Lagrangian bound of the master's last duals over every permitted move
        (the master's units; NaN without duals or when nothing can be priced)."""
        got = _reduced(self.master)
        if self.note or got is None:
            return math.nan
        rows_part, y, d = got
        lp = self.master.h.getLp()
        lo_c, up_c = np.asarray(lp.col_lower_, float), np.asarray(lp.col_upper_, float)
        low = np.full(self.n_person_years, np.inf)
        idx = np.flatnonzero(self.active)
        yy = np.append(y, 0.0)  # index -1 (padding) reads 0
        dp = self.cost[idx] - (yy[self.rows[idx]] * self.coefs[idx]).sum(axis=1)
        np.minimum.at(low, self.pool_py[idx], dp)
        self._d = np.full(len(self.pool_py), np.inf)
        self._d[idx] = dp
        self.negative = int((dp < 0).sum())
        # the LP's options: a column fixed at 0 is no option, one fixed at 1 the only one
        opt = self.option_of >= 0
        can = opt & (up_c > 0)
        np.minimum.at(low, self.option_of[can], d[can])
        forced = opt & (lo_c >= 1)
        low[self.option_of[forced]] = d[forced]
        if not np.all(np.isfinite(low)):  # pragma: no cover - stay is always an option
            return math.nan
        cols = np.where(d > 0, d * lo_c, 0.0) + np.where(d < 0, d * up_c, 0.0)
        total = rows_part + float(cols[~opt].sum()) + float(low.sum())
        return total if math.isfinite(total) else math.nan

    def add_negative(self, per_person: int = 3) -> int:
        """Add to the master the (up to ``per_person``) most negative pruned moves of
        each person-year under the duals :meth:`bound` last read; how many."""
        neg = np.flatnonzero(self._d < 0)
        if not len(neg):
            return 0
        order, rank = rank_within(self.pool_py[neg], self._d[neg])
        take = neg[order][rank < per_person]
        self.master.add_columns(self.cost[take], self.rows[take], self.coefs[take])
        self.option_of = np.append(self.option_of, self.pool_py[take])
        self.active[take] = False
        return len(take)


#: The most negative pruned moves added per person-year and pricing round.
PER_PERSON = 3
#: Share of the search time left after the first LP that its pricing rounds may take
#: beyond what is left of the LP's own share (:data:`LP_SHARE`). A round re-solves the
#: LP from scratch (an interior point does not warm start; crossover on Dongcheng's LP
#: did not end in 200 s): on Dongcheng (2026-12-02, idle) the first solve took 41-48 s
#: of its 75 and each re-solve 32-38 s; its first round's duals bound 13099.13, the
#: second's 13349.45 (the LP of every move: 13350.11). With 10% the round never had
#: its time.
PRICING_SHARE = 0.2
#: Relative room below the LP of the columns so far at which the pricing stops: no
#: further round can raise the bound by more.
PRICING_TOL = 1e-4


def _priced(
    hm: HorizonModel, master: Master, kept_raw: float, values: np.ndarray, deadline: float, say
) -> tuple[float, str, PricedBound, np.ndarray]:
    """The kept-moves LP's bound ``kept_raw`` (master units) made a bound of the problem
    as written by pricing the pruned moves (:class:`HorizonPricer`): rounds of adding
    the negative ones and solving again while they exist and an interior point solve
    as long as the first fits before ``deadline``. Returns the bound, its scope
    (``full_lp`` when no pruned move is left negative, ``lagrangian`` otherwise, or
    ``kept_candidates`` with ``kept_raw`` when nothing can be priced), the figures and
    the proto variables' values of the last solve that ended optimal (``values``, the
    first solve's, unless a re-solve ended optimal: one cut short by the deadline
    leaves an unfinished interior point's, on Dongcheng person rows off by millions)."""
    t1 = time.perf_counter()
    pricer = HorizonPricer(hm, master)
    if pricer.note:
        say(f"horizon LP: the pruned moves are not priced ({pricer.note})")
        return kept_raw, "kept_candidates", PricedBound(math.nan, note=pricer.note), values
    solve_s = master.solve_seconds  # (a round's solve: the last one's time)
    best, rounds, added, optimal = -math.inf, 0, 0, True
    while True:
        # (any duals give a bound: an imprecise solve's too, the best one stands)
        got = pricer.bound()
        if math.isfinite(got):
            best = max(best, got)
        left = deadline - time.perf_counter()
        if not optimal or not pricer.negative or left < 1.2 * solve_s:
            break
        # A round's LP has more columns, so its optimum, and any bound of its duals, is at
        # most this LP's: not worth a re-solve when that is within PRICING_TOL (Dongcheng:
        # the third round, 17 s, raised 13349.45 to 13350.07; this LP was at 13350.18).
        if dual_bound(master) - best <= PRICING_TOL * max(1.0, abs(best)):
            break
        added += pricer.add_negative(PER_PERSON)
        rounds += 1
        before = master.solve_seconds
        optimal = master.solve(left)
        solve_s = master.solve_seconds - before
        if optimal:
            values = master.values()[: master.n_proto]
    if not math.isfinite(best):
        none = PricedBound(math.nan, note="no duals to price with")
        return kept_raw, "kept_candidates", none, values
    scope = "full_lp" if optimal and not pricer.negative else "lagrangian"
    say(
        f"horizon LP of the kept moves {master.model_units(kept_raw) / OBJ_UNIT:.4f}; "
        f"{pricer.pruned} pruned moves priced in {rounds + 1} round(s), {added} added, "
        f"{pricer.negative} left with a negative reduced cost ({time.perf_counter() - t1:.1f} s)"
    )
    return (
        best,
        scope,
        PricedBound(best, pricer.pruned, pricer.negative, rounds=rounds + 1, added=added),
        values,
    )


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
    priced = None
    values = master.values()[: master.n_proto] if math.isfinite(raw) else None
    if scope == "kept_candidates" and math.isfinite(raw):
        more = PRICING_SHARE * max(budget.search_left(), 0.0) + max(
            0.0, t0 + limit - time.perf_counter()
        )
        deadline = time.perf_counter() + more
        raw, scope, priced, values = _priced(model, master, raw, values, deadline, say)
    out = HorizonLP(
        bound=master.model_units(raw) / OBJ_UNIT if math.isfinite(raw) else math.nan,
        scope=scope,
        candidate_moves=moves,
        status=status,
        seconds=time.perf_counter() - t0,
        model=model,
        values=values if math.isfinite(raw) else None,
        priced=priced,
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
