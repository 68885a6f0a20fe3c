"""Placement of ordinary teachers (派位) after the optimisation: ``[placement] mechanism``.

The optimisation decides who moves and how many ordinary teachers of each kind arrive
at each school (its *slots*); a mechanism then decides which mover takes which slot:

- ``serial_dictatorship``: the movers in priority order (points, then the lottery:
  :mod:`solver.rules.placement`) each take the best school on their list that still
  has a slot of their kind and that the rules permit them, *provided every later mover
  can still be given a permitted slot*; a school given up for that reason is recorded
  as **forced**. The list is the person's wishes, then the other permitted schools,
  nearest first.
- ``deferred_acceptance``: teacher-proposing deferred acceptance (Gale and Shapley)
  over the same slots, each school ranking the teachers by priority; a teacher left
  without a slot (their permitted schools full) is placed by re-routing others along
  an augmenting path, and the envy this causes is counted as forced.

A slot's *kind* is the subject together with everything the rules count at the
destination: the balanced indicators the person counts towards and, when a
``[flow]`` share is set, whether they come from a rural (strong) school. Swapping
people of one kind leaves every head count, indicator, quota and flow of the plan as
the optimisation made it, so the placed plan keeps every rule; the validator checks
it. Permitted means every pruning rule (level, scope, commute, subject demand), no
return (``no_return_years``), the ``[rules]`` obligations and ``never_worse``; people
pinned ``to`` a school keep it.

The two mechanisms are written here, not taken from the ``matching`` library (the
tests' reference for deferred acceptance): serial dictatorship here must keep a complete
placement possible under each person's permitted schools (an augmenting-path check the
library does not have), deferred acceptance needs the same repair, and both run inside
every solve, where a runtime dependency for thirty lines is not worth it.

:func:`place` returns the placed :class:`~solver.plan.result.Result`, with each
eligible person's ``points``, ``lottery_rank`` (ordinary teachers) and ``wish_rank``
and the fairness report in ``Result.placement``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ..input.data import District
from ..input.scenario import Scenario
from ..model.terms import evaluate_terms, objective_value
from ..plan.plan import Plan
from ..plan.result import Result, SolveStatus
from ..rules.eligibility import eligibility
from ..rules.forms import post_filling_mask
from ..rules.horizon import served_within
from ..rules.indicators import indicator_matrix
from ..rules.moves import Moves, permitted_moves
from ..rules.obligations import obligations, target_mask
from ..rules.placement import (
    lottery_ranks,
    never_worse_allowed,
    points,
    priority,
    uses_placement,
    wish_ranks,
)
from ..rules.training import training_candidates, training_moves

#: How the lottery is drawn, as ``summary.json`` records it.
LOTTERY_TEXT = "sha256(f'{lottery_seed}:{staff_id}') hex digests, smallest first"


# ------------------------------------------------------------------ the mechanisms


def serial_dictatorship(
    order: Sequence[int],
    prefs: Sequence[Sequence[int]],
    permitted: Sequence[set[int]],
    initial: Sequence[int],
) -> tuple[list[int], list[tuple[int, int]]]:
    """Serial dictatorship that keeps a complete assignment possible.

    Parameters
    ----------
    order
        The movers (indices 0..n-1) in priority order.
    prefs
        Each mover's schools, best first (the schools they may be given, in order).
    permitted
        Each mover's permitted schools (``prefs[i]`` lists them).
    initial
        A complete assignment (mover → school) that keeps every mover at a permitted
        school; the slots are its schools, with multiplicity.

    Returns
    -------
    (assignment, forced)
        The school of each mover, and the (mover, school) pairs where a mover gave up a
        school they prefer to their own that still had a slot, because taking it would
        have left a later mover without a permitted slot (a school whose slots earlier
        movers hold is full, not forced).
    """
    cur = list(initial)
    at: dict[int, set[int]] = {}
    for i, s in enumerate(cur):
        at.setdefault(s, set()).add(i)
    fixed = [False] * len(cur)
    forced: list[tuple[int, int]] = []
    for i in order:
        for s in prefs[i]:
            if s == cur[i]:
                break
            path = _reroute(i, s, cur, at, permitted, fixed)
            if path is not None:
                _apply(i, s, path, cur, at)
                break
            if any(not fixed[j] and j != i for j in at.get(s, ())):
                # a slot was open, but taking it would leave a later mover without one
                forced.append((i, s))
        fixed[i] = True
    return cur, forced


def _reroute(
    i: int,
    s: int,
    cur: list[int],
    at: dict[int, set[int]],
    permitted: Sequence[set[int]],
    fixed: list[bool],
) -> list[tuple[int, int]] | None:
    """Moves (mover, new school) of unfixed movers that make room for ``i`` at ``s`` and
    fill the slot ``i`` leaves (an alternating path, breadth first), or None."""
    free = cur[i]
    parent: dict[int, tuple[int, int] | None] = {s: None}
    queue = deque([s])
    while queue:
        x = queue.popleft()
        for j in sorted(at.get(x, ())):
            if j == i or fixed[j]:
                continue
            for y in sorted(permitted[j]):
                if y in parent or y == x:
                    continue
                parent[y] = (x, j)
                if y == free:
                    path = []
                    node = y
                    while parent[node] is not None:
                        prev, mover = parent[node]
                        path.append((mover, node))
                        node = prev
                    return path
                queue.append(y)
    return None


def _apply(
    i: int, s: int, path: list[tuple[int, int]], cur: list[int], at: dict[int, set[int]]
) -> None:
    for mover, to in [(i, s), *path]:
        at[cur[mover]].discard(mover)
        cur[mover] = to
        at.setdefault(to, set()).add(mover)


def deferred_acceptance(
    prefs: Sequence[Sequence[int]],
    priority_rank: dict[int, Sequence[int]] | Sequence[int],
    capacity: dict[int, int],
) -> list[int]:
    """Teacher-proposing deferred acceptance (Gale and Shapley 1962).

    Parameters
    ----------
    prefs
        Each teacher's acceptable schools, best first.
    priority_rank
        Per school, each teacher's rank (smaller = preferred), or one ranking that every
        school shares.
    capacity
        Slots per school.

    Returns
    -------
    list of int
        Each teacher's school, -1 when every school on their list turned them down.
    """
    n = len(prefs)

    def rank(s: int, i: int) -> int:
        r = priority_rank[s] if isinstance(priority_rank, dict) else priority_rank
        return int(r[i])

    nxt = [0] * n
    held: dict[int, list[int]] = {s: [] for s in capacity}
    free = deque(range(n))
    assign = [-1] * n
    while free:
        i = free.popleft()
        if nxt[i] >= len(prefs[i]):
            continue
        s = prefs[i][nxt[i]]
        nxt[i] += 1
        if capacity.get(s, 0) <= 0:
            free.append(i)
            continue
        held[s].append(i)
        assign[i] = s
        if len(held[s]) > capacity[s]:
            worst = max(held[s], key=lambda j: rank(s, j))
            held[s].remove(worst)
            assign[worst] = -1
            free.append(worst)
    return assign


def _repair(assign: list[int], permitted: Sequence[set[int]], capacity: dict[int, int]) -> set[int]:
    """Place the unassigned of ``assign`` (in place) by augmenting paths; returns every
    teacher whose school changed."""
    at: dict[int, set[int]] = {}
    for i, s in enumerate(assign):
        if s >= 0:
            at.setdefault(s, set()).add(i)
    touched: set[int] = set()
    for i in range(len(assign)):
        if assign[i] >= 0:
            continue
        parent: dict[int, tuple[int, int]] = {}
        queue = deque([(i, s) for s in sorted(permitted[i])])
        for _, s in queue:
            parent.setdefault(s, (-1, i))
        end = None
        while queue and end is None:
            _, x = queue.popleft()
            if len(at.get(x, ())) < capacity.get(x, 0):
                end = x
                break
            for j in sorted(at.get(x, ())):
                for y in sorted(permitted[j]):
                    if y not in parent:
                        parent[y] = (x, j)
                        queue.append((j, y))
        if end is None:
            raise ValueError("no complete placement: the slots do not fit the permitted schools")
        node = end
        while True:
            prev, mover = parent[node]
            if assign[mover] >= 0:
                at[assign[mover]].discard(mover)
            assign[mover] = node
            at.setdefault(node, set()).add(mover)
            touched.add(mover)
            if prev < 0:
                break
            node = prev
    return touched


# ------------------------------------------------------------------ the plan


def _kinds(district: District, scenario: Scenario, ids: pd.Index) -> np.ndarray:
    """A slot kind per person of ``ids`` (module docstring): equal kinds may swap slots."""
    st = district.staff.loc[ids]
    pos = district.staff.index.get_indexer(ids)
    flags = indicator_matrix(district, scenario.balance.indicators)[pos]
    key = st["subject"].astype(str).to_numpy().astype(object)
    for k in range(flags.shape[1]):
        key = key + np.where(flags[:, k], "|1", "|0")
    fl = scenario.flow
    home = district.schools.loc[st["school_id"].astype(str)]
    if fl.urban_to_rural_min > 0 or fl.rural_to_urban_min > 0:
        key = key + np.where(home["locality"].to_numpy() == "rural", "|r", "|u")
    if fl.strong_to_weak_min > 0:
        key = key + np.where(home["tier"].to_numpy() == "strong", "|s", "|n")
    cand = training_candidates(district, scenario)
    if len(cand):
        # [forms] training_to_lead: young teachers swap only with those of their group,
        # so the lead school's slots of the kind keep the number of training moves
        lead = cand["lead"].reindex(ids).fillna("").astype(str).to_numpy().astype(object)
        key = key + np.where(lead != "", "|t" + lead, "")
    return key.astype(str)


def _permitted(district: District, scenario: Scenario, moves: Moves) -> np.ndarray:
    """(eligible people × schools): where each person may be placed (module docstring)."""
    ppl = moves.people
    ok = moves.ok.copy()
    served = served_within(district, scenario.horizon.no_return_years, scenario.as_of)
    if len(served):
        p = ppl.index.get_indexer(served["staff_id"].astype(str))
        s = district.schools.index.get_indexer(served["school_id"].astype(str))
        keep = (p >= 0) & (s >= 0)
        ok[p[keep], s[keep]] = False
    ob = obligations(district, scenario)
    ob = ob[ob.index.isin(ppl.index)]
    if len(ob):
        ok[ppl.index.get_indexer(ob.index)] &= target_mask(district, ob)
    if scenario.placement.never_worse and len(district.preferences):
        ok &= never_worse_allowed(district, ppl.index, ppl["home"].to_numpy())
    return ok


def _lists(ranks: np.ndarray, dist: np.ndarray, allowed: np.ndarray) -> list[list[int]]:
    """Each row's allowed schools: ranked ones by rank, then the others nearest first."""
    out = []
    for r, d, a in zip(ranks, dist, allowed, strict=True):
        cols = np.flatnonzero(a)
        listed = cols[r[cols] > 0]
        listed = listed[np.argsort(r[listed], kind="stable")]
        rest = cols[r[cols] == 0]
        rest = rest[np.lexsort((rest, d[rest]))]
        out.append([int(s) for s in (*listed, *rest)])
    return out


def _prefers(ranks: np.ndarray, i: int, s: int, t: int) -> bool:
    """Person i (a row of ``ranks``) wishes school s more than school t."""
    rs, rt = ranks[i, s], ranks[i, t]
    return rs > 0 and (rt == 0 or rs < rt)


def _envy(
    groups: list[np.ndarray],
    dest: np.ndarray,
    ranks: np.ndarray,
    allowed: np.ndarray,
    prio: np.ndarray,
    ids: np.ndarray,
    forced: set[tuple[int, int]],
    sids: pd.Index,
) -> tuple[list[dict], int]:
    """Justified-envy pairs and the number of blocking pairs among the movers of each kind.

    A pair (a, b): a has priority over b, wishes b's school more than their own, and is
    permitted it. A blocking pair (a, s): the same with school s, counted once per school."""
    pairs, blocking = [], 0
    for g in groups:
        for a in g:
            for s in np.flatnonzero(ranks[a] > 0):
                if s == dest[a] or not allowed[a, s] or not _prefers(ranks, a, s, dest[a]):
                    continue
                below = [b for b in g if dest[b] == s and prio[b] > prio[a]]
                blocking += bool(below)
                for b in below:
                    pairs.append(
                        {
                            "staff_id": str(ids[a]),
                            "envies": str(ids[b]),
                            "school_id": str(sids[s]),
                            "forced": (int(a), int(s)) in forced,
                        }
                    )
    return pairs, blocking


@dataclass
class _Setup:
    """What placement and its fairness report read of a plan's eligible people."""

    moves: Moves
    home: np.ndarray
    allowed: np.ndarray
    ranks: np.ndarray
    ordinary: np.ndarray
    points: pd.Series
    lottery: pd.Series
    prio: np.ndarray

    @classmethod
    def of(
        cls, district: District, scenario: Scenario, elig: pd.DataFrame, moves: Moves | None
    ) -> _Setup:
        moves = permitted_moves(district, scenario, elig) if moves is None else moves
        ppl = moves.people
        ordinary = (ppl["stream"] == "ordinary").to_numpy()
        pts = points(district, scenario, elig)
        lottery = lottery_ranks(scenario.placement.lottery_seed, ppl.index[ordinary])
        prio = np.full(len(ppl), len(ppl), dtype=np.int64)
        prio[ppl.index.get_indexer(priority(pts, lottery))] = np.arange(len(lottery))
        return cls(
            moves,
            ppl["home"].to_numpy(),
            _permitted(district, scenario, moves),
            wish_ranks(district, ppl.index),
            ordinary,
            pts,
            lottery,
            prio,
        )

    def groups(self, district: District, scenario: Scenario, dest: np.ndarray) -> list:
        """The ordinary movers (positions) not pinned to a school, by slot kind."""
        pinned_to = (self.moves.people["pin"] == "to").to_numpy()
        movers = np.flatnonzero(self.ordinary & (dest != self.home) & ~pinned_to)
        ids = self.moves.people.index[movers]
        kinds = _kinds(district, scenario, ids) if len(movers) else np.array([])
        return [movers[kinds == k] for k in sorted(set(kinds))]


def fairness(
    district: District,
    scenario: Scenario,
    assignments: pd.DataFrame,
    *,
    elig: pd.DataFrame | None = None,
    moves: Moves | None = None,
    forced: frozenset[tuple[int, int]] | set[tuple[int, int]] = frozenset(),
    setup: _Setup | None = None,
) -> dict:
    """The fairness report of any plan (``docs/placement.md``): the wish ranks ordinary
    movers got, justified-envy and blocking pairs among them (against priority by points
    and the lottery), and whom ``never_worse`` keeps in place.

    ``assignments`` (index ``staff_id``, ``to_school``) has a row per eligible person;
    ``forced`` are (person position, school) pairs the mechanism had to give up (their
    envy is counted as forced)."""
    if setup is None:
        elig = eligibility(district, scenario) if elig is None else elig
        setup = _Setup.of(district, scenario, elig, moves)
    su = setup
    ppl = su.moves.people
    sids = district.schools.index
    to = assignments["to_school"].reindex(ppl.index).astype(str)
    dest = sids.get_indexer(to)
    dest = np.where(dest < 0, su.home, dest)
    groups = su.groups(district, scenario, dest)
    pairs, blocking = _envy(
        groups, dest, su.ranks, su.allowed, su.prio, ppl.index.to_numpy(), set(forced), sids
    )
    n = len(dest)
    moved = dest != su.home
    has = (su.ranks > 0).any(axis=1) if n else np.zeros(0, bool)
    got = su.ranks[np.arange(n), dest] if n else np.zeros(0, np.int64)
    sel = su.ordinary & moved
    hist: dict[str, int] = {}
    for r in sorted(set(got[sel & has & (got > 0)].tolist())):
        hist[str(r)] = int(((got == r) & sel & has).sum())
    hist["unranked"] = int((sel & has & (got == 0)).sum())
    hist["without_wishes"] = int((sel & ~has).sum())
    kept: list[str] = []
    if scenario.placement.never_worse and len(district.preferences):
        ok = su.moves.ok
        nw = never_worse_allowed(district, ppl.index, su.home)
        blocked = has & ok.any(axis=1) & ~(ok & nw).any(axis=1)
        kept = [str(x) for x in ppl.index[blocked]]
    return {
        "ordinary_movers": int(sel.sum()),
        "wish_rank_histogram": hist,
        "justified_envy": sum(not p["forced"] for p in pairs),
        "forced_envy": sum(p["forced"] for p in pairs),
        "envy_pairs": pairs[:100],
        "blocking_pairs": blocking,
        "never_worse_kept": kept,
    }


def place(
    district: District,
    scenario: Scenario,
    result: Result,
    moves: Moves | None = None,
) -> Result:
    """The plan of ``result`` with its ordinary movers placed by ``[placement] mechanism``
    (module docstring), annotated with points, lottery ranks and wish ranks, and its
    fairness report in ``placement``. A result without a plan, or a scenario and district
    that use no placement (:func:`~solver.rules.placement.uses_placement`), is returned
    as it is."""
    if not result.status.has_plan or not uses_placement(district, scenario):
        return result
    pl = scenario.placement
    su = _Setup.of(district, scenario, result.eligibility, moves)
    ppl = su.moves.people
    sids = district.schools.index
    a = result.assignments.loc[ppl.index].copy()
    dest = sids.get_indexer(a["to_school"].astype(str))
    forced: set[tuple[int, int]] = set()
    if pl.mechanism != "optimize":
        for g in su.groups(district, scenario, dest):
            new, fz = _place_group(
                pl.mechanism, g, dest, su.allowed, su.ranks, su.moves.dist, su.prio
            )
            dest[g] = new
            forced |= fz

    home = su.home
    out = a.copy()
    out["to_school"] = sids[dest].to_numpy()
    out["moved"] = dest != home
    km = su.moves.dist[np.arange(len(ppl)), dest] if len(ppl) else np.zeros(0)
    km = np.where(dest != home, km, 0.0)
    out["distance_km"] = np.round(km, 3)
    out["points"] = su.points.reindex(ppl.index).to_numpy(dtype=float)
    out["lottery_rank"] = su.lottery.reindex(ppl.index).astype("Int64")
    got = su.ranks[np.arange(len(ppl)), dest] if len(ppl) else np.zeros(0, np.int64)
    out["wish_rank"] = pd.Series(got, index=ppl.index).where(got > 0).astype("Int64")

    if "post_filling" in out.columns:
        # [forms] post_filling: which moves fill posts depends on where the movers go
        out["post_filling"] = post_filling_mask(
            district, out.index, out["from_school"], out["to_school"], scenario
        )

    if "training_to_lead" in out.columns:
        out["training_to_lead"] = training_moves(district, scenario, out.index, out["to_school"])

    who = district.staff.index.get_indexer(ppl.index)
    plan = Plan.of_people(district, who, dest, km)
    # [forms] shares stay as they are: their teachers stay, the mechanism places movers
    shares = result.part_time if scenario.forms.shares else None
    terms = evaluate_terms(
        district, scenario, plan.school_pos, plan.distance_km, plan.moved, shares
    )
    objective = objective_value(scenario, terms)
    report = {
        "mechanism": pl.mechanism,
        "lottery_seed": pl.lottery_seed,
        "lottery": LOTTERY_TEXT,
        "points": pl.points.model_dump(),
        **fairness(district, scenario, out, forced=forced, setup=su),
        "forced_skips": len(forced),
        "cost_of_fairness": {
            "objective_optimized": result.objective,
            "objective_placed": objective,
            "objective": objective - result.objective,
            **{t: terms[t] - result.terms.get(t, 0.0) for t in terms},
        },
    }
    # The mechanism's plan is optimal only when it is as good as the optimisation's.
    tol = 1e-9 * max(1.0, abs(result.objective))
    status = result.status
    if objective > result.objective + tol:
        status = SolveStatus.FEASIBLE
    return replace(
        result,
        status=status,
        objective=objective,
        best_bound=min(result.best_bound, objective),
        assignments=out,
        terms=terms,
        placement=report,
    )


def _place_group(
    mechanism: str,
    g: np.ndarray,
    dest: np.ndarray,
    allowed: np.ndarray,
    ranks: np.ndarray,
    dist: np.ndarray,
    prio: np.ndarray,
) -> tuple[np.ndarray, set[tuple[int, int]]]:
    """Place the movers ``g`` (people positions) of one kind over their slots ``dest[g]``;
    returns their new schools and the forced (person, school) pairs."""
    slots = dest[g]
    schools = np.unique(slots)
    ok = allowed[g][:, schools]
    # The optimisation's own school is permitted (it passed the same rules), so the
    # initial assignment is complete even where a mask is stricter than the model.
    ok[np.arange(len(g)), np.searchsorted(schools, slots)] = True
    lists = [
        [int(schools[c]) for c in row]
        for row in _lists(ranks[g][:, schools], dist[g][:, schools], ok)
    ]
    permitted = [set(row) for row in lists]
    local = {int(p): k for k, p in enumerate(g)}
    if mechanism == "serial_dictatorship":
        order = [local[int(p)] for p in g[np.argsort(prio[g], kind="stable")]]
        new, fz = serial_dictatorship(order, lists, permitted, [int(s) for s in slots])
        return np.asarray(new), {(int(g[i]), s) for i, s in fz}
    capacity = {int(s): int(n) for s, n in zip(*np.unique(slots, return_counts=True), strict=True)}
    new = deferred_acceptance(lists, prio[g], capacity)
    touched = _repair(new, permitted, capacity)
    fz = set()
    for i in touched:
        for s in lists[i]:
            if s == new[i]:
                break
            fz.add((int(g[i]), s))
    return np.asarray(new), fz
