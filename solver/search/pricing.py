"""Pricing the pruned moves: an LP bound that holds for the problem as written.

A big model keeps only each teacher's nearest permitted schools (``max_candidates``);
its own LP and CP-SAT bounds then hold for the kept moves only. This module solves the
LP of the kept moves in HiGHS (:class:`solver.search.lp.Master`), computes from its
duals the reduced cost of every permitted move the model left out (with numpy over
the model's rows: :meth:`solver.model.rotation.RotationModel.move_columns`), adds
those with a negative reduced cost and solves again, until none is left (the LP is
then the LP of the full model) or the time is up (the duals then still give a
Lagrangian bound of the full problem, because each person takes exactly one option).
The derivation is in ``docs/bound.md``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..model.rotation import OBJ_UNIT, RotationModel
from .lp import Master, fast_lp

#: The most negative moves added per person and round: a person takes one option, so a
#: few per person reach the optimum in few rounds without flooding the LP.
PER_PERSON = 3
#: A reduced cost counts as negative below −TOLERANCE · |LP optimum| / people: the
#: moves left unpriced then cost the bound at most TOLERANCE relative (and the
#: reported bound subtracts even that: it is the Lagrangian bound of the last duals).
TOLERANCE = 1e-9


@dataclass
class PricedLP:
    """The LP of a model with its pruned moves priced.

    ``bound`` (the proto's objective units) is a lower bound of the full problem
    when ``scope`` is ``full_model`` (nothing was pruned: the model's own LP),
    ``full_lp`` (pricing finished: the LP of every permitted move) or ``lagrangian``
    (stopped early: the best Lagrangian bound of the duals seen); with
    ``kept_candidates`` nothing could be priced and it holds for the kept moves only.
    ``x`` is the LP value of each of the model's moves and ``first_x`` their value in
    the first LP (of the kept moves alone); ``priced_keys`` (pair keys
    ``p · n_schools + s``) and ``priced_values`` are the moves priced in and their LP
    values. ``history`` holds the Lagrangian bound of each round's duals (model
    units); ``note`` says why nothing was priced, when it was not.
    """

    bound: float
    scope: str
    lp_objective: float
    x: np.ndarray
    first_x: np.ndarray
    priced_keys: np.ndarray
    priced_values: np.ndarray
    pruned: int
    rounds: int
    seconds: float
    note: str = ""
    history: list[float] = field(default_factory=list)
    first_seconds: float = 0.0
    #: The LP reduced cost of each of the model's moves and of each move priced in
    #: (the master's units): how far a move is from paying for itself under the last
    #: duals, the order in which a search widens around the LP's moves.
    reduced: np.ndarray | None = None
    priced_reduced: np.ndarray | None = None


def formula_matches(
    built: RotationModel, master: Master, x_cols: np.ndarray, sel: np.ndarray | None = None
) -> str:
    """'' when :meth:`RotationModel.move_columns` gives exactly the proto's column of
    every kept move (of those at ``sel``, with ``x_cols`` their columns; default all)
    (cost, rows, coefficients); else what differs. A rule or term that enters a move's
    column in a way the formula does not know turns pricing off rather than making the
    bound wrong."""
    pr = built.pairs
    p, s = pr["p"].to_numpy(), pr["s"].to_numpy()
    if sel is not None:
        p, s = p[sel], s[sel]
    got = built.move_columns(p, s)
    if got is None:
        return "a term of the objective cannot give a move's coefficient"
    cost, rows, coefs = got
    p_cost, p_keys, p_vals = master.columns_of(x_cols)
    used = rows >= 0
    keys = (np.nonzero(used)[0] * master.n_rows + rows[used]).astype(np.int64)
    order = np.argsort(keys, kind="stable")
    if not np.array_equal(cost.astype(float), p_cost):
        return "the objective coefficients differ"
    if not (np.array_equal(keys[order], p_keys) and np.array_equal(coefs[used][order], p_vals)):
        return "the rows of a move differ"
    return ""


def rank_within(person: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Order of the entries by (person, key) and each one's rank within its person."""
    order = np.lexsort((key, person))
    sorted_p = person[order]
    first = np.concatenate([[0], np.flatnonzero(np.diff(sorted_p)) + 1])
    rank = np.arange(len(order)) - np.repeat(first, np.diff(np.append(first, len(order))))
    return order, rank


def _nearest(
    built: RotationModel, pool_p: np.ndarray, pool_s: np.ndarray, active: np.ndarray, n: int
) -> np.ndarray:
    """Positions in the pool of each person's ``n`` nearest moves among ``active``."""
    idx = np.flatnonzero(active)
    order, rank = rank_within(pool_p[idx], built.home_dist[pool_p[idx], pool_s[idx]])
    return idx[order][rank < n]


def _lagrangian(
    master: Master,
    z: float,
    person_of_col: np.ndarray,
    n_people: int,
    pool_person: np.ndarray,
    pool_d: np.ndarray,
) -> float:
    """The Lagrangian bound of the master's duals for the full problem (master units).

    Relax every row but each person's exactly-one: a person then takes the option of
    least reduced cost, among the master's (its own reduced costs) and the pruned
    moves (``pool_d``). With the master's dual objective ``z`` this is
    ``z + Σ_p (min over p's options − Σ of p's negative master reduced costs)``: the
    second sum is what the master's upper bounds (x ≤ 1) already counted in ``z``.
    Valid for any duals; at the optimum with no negative pruned move it is ``z``.
    """
    cd = master.col_duals()
    n = len(person_of_col)
    own = cd[:n] if len(cd) >= n else np.zeros(n)
    on = person_of_col >= 0
    low = np.full(n_people, np.inf)
    np.minimum.at(low, person_of_col[on], own[on])
    if len(pool_d):
        np.minimum.at(low, pool_person, pool_d)
    counted = np.bincount(person_of_col[on], weights=np.minimum(own[on], 0.0), minlength=n_people)
    low[~np.isfinite(low)] = 0.0
    return z + float((low - counted).sum())


def price(
    built: RotationModel,
    time_limit_s: float,
    threads: int,
    say=None,
    max_rounds: int | None = None,
) -> PricedLP | None:
    """Solve the LP of ``built`` and price its pruned moves into it (column generation).

    Each round solves the master (the first time by the dual simplex, then from the
    last basis by the serial dual simplex), computes the reduced cost of every pruned move
    not yet in it with numpy over the model's rows (no loop over moves), adds up to
    :data:`PER_PERSON` of the most negative per person, and stops when none is
    negative (``full_lp``), after ``max_rounds`` solves or when the time is up
    (``lagrangian``: the best Lagrangian bound of the rounds' duals).

    Parameters
    ----------
    built
        A model whose pruned moves are priced (:attr:`RotationModel.priceable`; other
        pruned models give the kept candidates' LP, scope ``kept_candidates``).
    time_limit_s
        Wall-clock seconds for all LP solves together.
    threads
        HiGHS's threads.
    say
        Progress messages (optional).
    max_rounds
        Stop after this many LP solves (default: until no move is left to price or
        the time is up).

    Returns
    -------
    PricedLP or None
        ``None`` when highspy is missing or the first LP does not finish in time.
    """
    t0 = time.perf_counter()
    deadline = t0 + time_limit_s
    say = say or (lambda _m: None)
    try:
        reproducible = built.scenario.solver.work_limit is not None
        master = Master(built.model.proto, threads, fast_lp(threads, reproducible))
    except ImportError:  # pragma: no cover - highspy is a dependency
        return None
    x_cols = np.array([v.index for v in built.x], dtype=np.int64)
    n_s, n_p = built.district.n_schools, len(built.people)
    pool_p = pool_s = np.zeros(0, dtype=np.int64)
    note = ""
    if built.priceable:
        kept = np.zeros(built.permitted.shape, dtype=bool)
        kept[built.pairs["p"].to_numpy(), built.pairs["s"].to_numpy()] = True
        pool = built.permitted & ~kept
        pool.flat[built.banned_keys] = False  # no_return_years fixes them at 0
        pool_p, pool_s = np.nonzero(pool)
        note = formula_matches(built, master, x_cols)
    elif not built.complete:
        note = "the model's pruned moves cannot be priced (a restricted or multi-year model)"
    pruned = len(pool_p)
    can_price = pruned > 0 and not note and master.scale > 0
    if can_price:
        cost, rows, coefs = built.move_columns(pool_p, pool_s)
        cost, coefs = cost.astype(float), coefs.astype(float)
    # the person of each master column (-1: not an option of a person), for the
    # Lagrangian bound: the moves, the stays, then the moves priced in
    person_of_col = np.full(master.n_proto, -1, dtype=np.int64)
    person_of_col[x_cols] = built.pairs["p"].to_numpy()
    person_of_col[[v.index for v in built.stay]] = np.arange(n_p)
    active = np.ones(pruned, dtype=bool)
    added: list[np.ndarray] = []
    best = -np.inf
    scope = "full_model" if built.complete else "kept_candidates"
    rounds, z, first_x, first_s = 0, None, None, 0.0
    history: list[float] = []
    step = 1

    def add(take: np.ndarray) -> None:
        nonlocal person_of_col
        master.add_columns(cost[take], rows[take], coefs[take])
        person_of_col = np.append(person_of_col, pool_p[take])
        active[take] = False
        added.append(take)

    while True:
        if not master.solve(deadline - time.perf_counter()):
            if z is None and can_price and master.infeasible and active.any():
                # The kept moves alone cannot meet the rules (a flow share, say): add each
                # person's next nearest pruned moves, twice as many each time, until the LP
                # is feasible (at worst it is then the full LP).
                take = _nearest(built, pool_p, pool_s, active, step)
                add(take)
                say(f"the kept moves' LP is infeasible: {len(take)} nearest pruned moves added")
                step *= 2
                continue
            if z is None:
                return None
            break  # the best bound of the optimal duals stands
        z = master.objective
        rounds += 1
        # the last optimal solve's values (an unfinished re-solve's are not a solution)
        values, reduced, n_taken = master.values(), master.col_duals(), sum(map(len, added))
        if first_x is None:
            first_x, first_s = values[x_cols], time.perf_counter() - t0
        if not can_price:
            best = z
            break
        y = np.append(master.row_duals(), 0.0)  # index -1 (padding) reads 0
        idx = np.flatnonzero(active)
        d = cost[idx] - (y[rows[idx]] * coefs[idx]).sum(axis=1)
        lag = _lagrangian(master, z, person_of_col, n_p, pool_p[idx], d)
        history.append(master.model_units(lag))
        best = max(best, min(lag, z))
        tol = TOLERANCE * max(abs(z), 1.0) / max(n_p, 1)
        neg = d < -tol
        if not neg.any():
            scope = "full_lp"
            break
        scope = "lagrangian"
        if time.perf_counter() >= deadline or (max_rounds is not None and rounds >= max_rounds):
            break
        # up to PER_PERSON most negative per person
        cand = idx[neg]
        order, rank = rank_within(pool_p[cand], d[neg])
        take = cand[order][rank < PER_PERSON]
        add(take)
        say(
            f"pricing round {rounds}: LP {master.model_units(z) / OBJ_UNIT:.4f}, "
            f"{int(neg.sum())} moves with negative reduced cost, {len(take)} added"
        )
    taken = np.concatenate(added)[:n_taken] if added else np.zeros(0, dtype=np.int64)
    priced_values = values[master.n_proto : master.n_proto + len(taken)]
    return PricedLP(
        bound=master.model_units(best),
        scope=scope,
        lp_objective=master.model_units(z),
        x=values[x_cols],
        first_x=first_x,
        priced_keys=pool_p[taken].astype(np.int64) * n_s + pool_s[taken],
        priced_values=priced_values,
        pruned=pruned,
        rounds=rounds,
        seconds=time.perf_counter() - t0,
        note=note,
        history=history,
        first_seconds=first_s,
        reduced=reduced[x_cols] if len(reduced) else None,
        priced_reduced=reduced[master.n_proto : master.n_proto + len(taken)]
        if len(reduced)
        else None,
    )
