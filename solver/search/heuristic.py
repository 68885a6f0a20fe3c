"""A fast feasible plan from paired exchanges (互派, Banan 2021), used as CP-SAT's warm start.

Two eligible people of the same role and subject at schools A and B swap places:
every school keeps its head count per subject and its posts, so the staffing and
post rules hold by construction. Swaps are chosen greedily until the quotas are
met, preferring swaps that respect the outflow cap and the flow direction, include
a key teacher while the key share needs one, and improve balance per km of
commute. The plan is a complete hint: CP-SAT checks it, repairs what it misses
(balance caps, pins) and improves it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..model.rotation import RotationModel
from ..rules.moves import at_least, at_most, share_fraction

#: Interchangeable people (same home, destination, role, subject, flags) kept per group.
SWAP_KEEP = 2
#: Added to the score of a swap that moves someone pinned to move, so it is taken first.
PINNED_BONUS = 1e9


def pinned_to_move(built: RotationModel) -> np.ndarray:
    """Per eligible person of ``built``: pinned to move (``pins.csv`` action ``move``)."""
    must = np.zeros(len(built.people), dtype=bool)
    pins = built.district.pins
    if pins is not None and len(pins):
        pos = built.people.index.get_indexer(pins.loc[pins["action"] == "move", "staff_id"])
        must[pos[pos >= 0]] = True
    return must


def swappable(built: RotationModel) -> pd.Index:
    """The eligible people of ``built`` who are in some candidate swap (the others
    cannot be moved by a plan of paired exchanges)."""
    sw = _swap_candidates(built)
    p = built.pairs["p"].to_numpy()
    who = np.unique(np.concatenate([p[sw["i"].to_numpy()], p[sw["j"].to_numpy()]]))
    return built.people.index[who]


def _swap_candidates(built: RotationModel) -> pd.DataFrame:
    """Possible swaps (i, j): pair i moves p from A to B, pair j moves q from B to A."""
    ppl, pairs = built.people, built.pairs
    if not len(pairs):
        return pd.DataFrame(columns=["i", "j"])
    p = pairs["p"].to_numpy()
    frame = pd.DataFrame(
        {
            "i": np.arange(len(pairs)),
            "home": ppl["home"].to_numpy()[p],
            "dest": pairs["s"].to_numpy(),
            "role": ppl["role"].to_numpy()[p],
            "subject": ppl["subject"].to_numpy()[p],
            "flags": built.flag_codes[p],
            "dist": pairs["dist_km"].to_numpy(),
        }
    )
    # Among interchangeable people (same home, destination, role, subject, flags) keep the
    # nearest few: a swap needs one of them.
    # (people pinned to move first: a plan must move them)
    # (and people of a group held to move: a staged year's group-count holds)
    group, need, _more = group_holds(built)
    held = np.zeros(len(ppl), dtype=bool)
    held[group >= 0] = need[group[group >= 0]] > 0
    frame["free"] = ~(pinned_to_move(built) | held)[p]
    frame = frame.sort_values(["free", "dist", "i"], kind="stable")
    frame = frame.groupby(["home", "dest", "role", "subject", "flags"], sort=False).head(SWAP_KEEP)
    frame = frame.drop(columns="free")
    left = frame.rename(columns={"home": "a", "dest": "b"})
    right = frame.rename(
        columns={"home": "b", "dest": "a", "i": "j", "flags": "flags_j", "dist": "dist_j"}
    )
    sw = left.merge(right, on=["a", "b", "role", "subject"])
    sw = sw[sw["a"] < sw["b"]]
    return sw.reset_index(drop=True)


def swap_plan(
    built: RotationModel, batches: int = 40, improve_rounds: int = 30
) -> np.ndarray | None:
    """A plan as the chosen pair index per eligible person (-1 = stays), or ``None``.

    Swaps are picked in batches, best score first, with the balance gains recomputed
    from the updated head counts before every batch; once the quotas are met, swaps
    that still improve the objective are added for ``improve_rounds`` more batches.
    ``None`` when the swaps cannot meet the quotas (CP-SAT then searches unaided).
    """
    sw = _swap_candidates(built)
    st = _Swaps(built, sw)
    if not len(sw):
        met = st.need_t == st.need_c == st.need_key_abs == 0 and not st.must.any()
        return st.choice if met else None
    batch = max(1, (st.need_t + st.need_c) // (2 * batches))
    rounds_left = improve_rounds
    # People pinned to move first, before the quotas use up the outflow caps they need;
    # one swap at a time, for the pinned person with the fewest swaps left.
    while (st.must & (st.choice < 0)).any():
        live, _ = st.live(phases=False)
        live &= st.must[st.p_i] | st.must[st.p_j]
        idx = np.flatnonzero(live)
        if not len(idx):
            break
        n_p = len(st.must)
        ends = np.concatenate([st.p_i[idx], st.p_j[idx]])
        options = np.bincount(ends[st.must[ends]], minlength=n_p)
        big = np.iinfo(np.int64).max
        least = np.minimum(
            np.where(st.must[st.p_i[idx]], options[st.p_i[idx]], big),
            np.where(st.must[st.p_j[idx]], options[st.p_j[idx]], big),
        )
        idx = idx[least == least.min()]
        gain = _balance_gain(built, st.counts, st.p_i[idx], st.p_j[idx], st.a[idx], st.b[idx])
        score = st.w.balance * gain - st.fixed_cost[idx]
        st.take(idx[np.argsort(-score, kind="stable")], 1)
    _meet_holds(built, st, batches)
    while True:
        live, improving = st.live()
        idx = np.flatnonzero(live)
        if not len(idx) or (improving and rounds_left <= 0):
            break
        score = (
            st.w.balance
            * _balance_gain(built, st.counts, st.p_i[idx], st.p_j[idx], st.a[idx], st.b[idx])
            - st.fixed_cost[idx]
        )
        # People pinned to move (pins.csv `move`) go first: a plan without them is rejected.
        pinned = st.must[st.p_i[idx]] | st.must[st.p_j[idx]]
        score = np.where(pinned, np.abs(score) + PINNED_BONUS, score)
        if improving:
            rounds_left -= 1
            keep = score > 1e-9
            idx, score = idx[keep], score[keep]
            if not len(idx):
                break
        st.take(idx[np.argsort(-score, kind="stable")], batch)
    return st.choice if st.quotas_met() else None


def group_holds(built: RotationModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``District.holds`` of ``built`` (a staged year's group-count holds): per eligible
    person the group index (-1: none), per group how many must move and how many more
    may (a large number when not capped)."""
    group = np.full(len(built.people), -1, dtype=np.int64)
    holds = getattr(built.district, "holds", None)
    if holds is None or not len(holds):
        return group, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    pos = built.people.index.get_indexer(holds["staff_id"].astype(str))
    h = holds.assign(p=pos)
    h = h[h["p"] >= 0]
    codes, names = pd.factorize(h["group"].astype(str), sort=True)
    group[h["p"].to_numpy()] = codes
    size = np.bincount(codes, minlength=len(names))
    by = h.groupby(codes)
    need = np.minimum(by["min"].max().reindex(range(len(names)), fill_value=0).to_numpy(), size)
    most = size.copy()
    if "max" in h:
        cap = by["max"].max().reindex(range(len(names)), fill_value=-1).to_numpy()
        most = np.where(cap >= 0, np.maximum(np.minimum(cap, size), need), size)
    return group, need.astype(np.int64), (most - need).astype(np.int64)


def _meet_holds(built: RotationModel, st: _Swaps, batches: int) -> None:
    """Swaps that move people of groups still short of their hold, before the quotas:
    a swap with both people in short groups first, then by the objective."""
    if not len(st.hold_need) or not hasattr(st, "p_i"):
        return
    batch = max(1, int(st.hold_need.sum()) // (2 * batches))
    while (st.hold_need > 0).any():
        live, _ = st.live(phases=False)
        gi, gj = st.hold_group[st.p_i], st.hold_group[st.p_j]
        short = st.hold_need > 0
        hit = np.where(gi >= 0, short[np.maximum(gi, 0)], False).astype(int) + np.where(
            gj >= 0, short[np.maximum(gj, 0)], False
        ).astype(int)
        idx = np.flatnonzero(live & (hit > 0))
        if not len(idx):
            break
        gain = _balance_gain(built, st.counts, st.p_i[idx], st.p_j[idx], st.a[idx], st.b[idx])
        score = PINNED_BONUS * hit[idx] + st.w.balance * gain - st.fixed_cost[idx]
        if not st.take(idx[np.argsort(-score, kind="stable")], batch, for_holds=True):
            break


class _Swaps:
    """The state of :func:`swap_plan`: the candidate swaps and what the swaps taken so
    far move (quotas, outflow per school, flows, head counts)."""

    def __init__(self, built: RotationModel, sw: pd.DataFrame):
        sc = built.scenario
        ppl, pairs = built.people, built.pairs
        n_p = len(ppl)
        self.built = built
        self.choice = np.full(n_p, -1, dtype=np.int64)
        self.must = pinned_to_move(built)
        self.hold_group, self.hold_need, self.hold_more = group_holds(built)
        is_teacher = ppl["is_teacher"].to_numpy()
        is_key = ppl["is_key"].to_numpy()
        q = sc.quotas
        self.need_t = at_least(q.teacher_rotation_min, int(is_teacher.sum()))
        self.need_c = at_least(q.principal_rotation_min, int((~is_teacher).sum()))
        self.key_share = share_fraction(q.key_share_of_rotated_min)
        self.need_key_abs = (
            at_least(q.key_share_of_rotated_min, int(is_key.sum()))
            if q.key_share_basis == "eligible_key"
            else 0
        )
        if not len(sw):
            return
        pp = pairs["p"].to_numpy()
        self.i, self.j = sw["i"].to_numpy(), sw["j"].to_numpy()
        self.p_i, self.p_j = pp[self.i], pp[self.j]
        a, b = sw["a"].to_numpy(), sw["b"].to_numpy()
        self.a, self.b = a, b
        self.teacher_sw = is_teacher[self.p_i]
        self.n_key = is_key[self.p_i].astype(int) + is_key[self.p_j].astype(int)
        ut = np.isin(built.locality, ["urban", "town"])
        self.allowed = np.ones(len(sw), dtype=bool)
        # Flow rules: per swap, moves out of urban/town schools and those of them to rural
        # ones (and the reverse); a swap is allowed while the running shares stay at the
        # minimum.
        self.u2r, self.r2u = (
            share_fraction(sc.flow.urban_to_rural_min),
            share_fraction(sc.flow.rural_to_urban_min),
        )
        self.out_ut = ut[a].astype(int) + ut[b].astype(int)
        self.ut_to_r = (ut[a] != ut[b]).astype(int)
        self.out_r = 2 - self.out_ut
        self.flow = np.zeros(4, dtype=np.int64)  # out_ut, ut_to_r, out_r, r_to_ut
        self.w = w = sc.weights
        self.fixed_cost = (
            w.commute * (sw["dist"].to_numpy() + sw["dist_j"].to_numpy()) + 2 * w.moves
        )
        self.cap = np.array(
            [at_most(q.school_outflow_max, int(n)) for n in built.role_now["teacher"].to_numpy()]
        )
        self.out = np.zeros(len(self.cap), dtype=np.int64)
        self.used = np.zeros(n_p, dtype=bool)
        self.counts = built.t_before.astype(float).copy()
        self.moved_t = self.moved_k = self.moved_c = 0

    def live(self, phases: bool = True) -> tuple[np.ndarray, bool]:
        """The swaps that may be taken next, and whether the quotas are met (improving);
        with ``phases=False`` every swap the rules allow now, whatever quota is short."""
        ks = self.key_share
        key_short = (
            self.moved_k < self.need_key_abs
            or self.moved_k * ks.denominator < ks.numerator * (self.moved_t + 2)
        )
        a, b, out, cap, flow = self.a, self.b, self.out, self.cap, self.flow
        live = self.allowed & ~self.used[self.p_i] & ~self.used[self.p_j]
        if len(self.hold_need):
            # (a group of a staged year's holds moves at most its count)
            hg = np.maximum(self.hold_group, 0)
            room = (self.hold_group < 0) | (self.hold_need[hg] > 0) | (self.hold_more[hg] > 0)
            live &= room[self.p_i] & room[self.p_j]
        live &= ~self.teacher_sw | ((out[a] < cap[a]) & (out[b] < cap[b]))
        if self.u2r:
            u2r = self.u2r
            live &= (flow[1] + self.ut_to_r) * u2r.denominator >= u2r.numerator * (
                flow[0] + self.out_ut
            )
        if self.r2u:
            r2u = self.r2u
            live &= (flow[3] + self.ut_to_r) * r2u.denominator >= r2u.numerator * (
                flow[2] + self.out_r
            )
        improving = False
        if not phases:
            return live, improving
        if self.moved_c < self.need_c:
            live &= ~self.teacher_sw
        elif self.moved_t < self.need_t or (
            key_short and self.moved_t > 0 and self.moved_t >= self.need_t
        ):
            live &= self.teacher_sw
            if key_short:
                live &= self.n_key > 0
        else:
            improving = True
        return live, improving

    def take(self, order: np.ndarray, batch: int, for_holds: bool = False) -> int:
        """Take up to ``batch`` swaps in ``order`` that still keep the rules (with
        ``for_holds``, only those that still move someone of a group short of its
        hold); returns how many were taken."""
        a, b, out, cap, used = self.a, self.b, self.out, self.cap, self.used
        u2r, r2u = self.u2r, self.r2u
        hg, need, more = self.hold_group, self.hold_need, self.hold_more
        taken = 0
        for k in order:
            x, y = self.p_i[k], self.p_j[k]
            if used[x] or used[y]:
                continue
            if for_holds and not (
                (hg[x] >= 0 and need[hg[x]] > 0) or (hg[y] >= 0 and need[hg[y]] > 0)
            ):
                continue
            if not all(hg[z] < 0 or need[hg[z]] > 0 or more[hg[z]] > 0 for z in (x, y)):
                continue  # a group at the most its hold lets move
            f = self.flow + (self.out_ut[k], self.ut_to_r[k], self.out_r[k], self.ut_to_r[k])
            if (u2r and f[1] * u2r.denominator < u2r.numerator * f[0]) or (
                r2u and f[3] * r2u.denominator < r2u.numerator * f[2]
            ):
                continue
            if self.teacher_sw[k]:
                if out[a[k]] >= cap[a[k]] or out[b[k]] >= cap[b[k]]:
                    continue
                out[a[k]] += 1
                out[b[k]] += 1
                self.moved_t += 2
                self.moved_k += int(self.n_key[k])
            else:
                self.moved_c += 2
            self.flow = f
            used[x] = used[y] = True
            for z in (x, y):
                if hg[z] >= 0 and need[hg[z]] > 0:
                    need[hg[z]] -= 1
                elif hg[z] >= 0:
                    more[hg[z]] -= 1
            self.choice[x], self.choice[y] = self.i[k], self.j[k]
            flags = self.built.person_flags
            delta = flags[y].astype(float) - flags[x].astype(float)
            self.counts[a[k]] += delta
            self.counts[b[k]] -= delta
            taken += 1
            if taken >= batch:
                break
        return taken

    def quotas_met(self) -> bool:
        ks = self.key_share
        key_ok = (
            self.moved_k >= self.need_key_abs
            and self.moved_k * ks.denominator >= ks.numerator * self.moved_t
        )
        return (
            self.moved_t >= self.need_t
            and self.moved_c >= self.need_c
            and key_ok
            and not (self.must & (self.choice < 0)).any()
        )


def _balance_gain(built: RotationModel, counts: np.ndarray, p_i, p_j, a, b) -> np.ndarray:
    """Fall of the balance term if p_i (at a) and p_j (at b) swap, at the given counts."""
    gain = np.zeros(len(p_i))
    kind = "cv" if built.scenario.balance.kind == "minmax" else built.scenario.balance.kind
    for part in built.parts:
        k = built.indicators.index(part.indicator)
        flags = built.person_flags[:, k].astype(int)
        delta = flags[p_j] - flags[p_i]  # change at a; b changes by −delta
        pos = np.full(built.district.n_schools, -1)
        pos[part.schools] = np.arange(len(part.schools))
        for school, d in ((a, delta), (b, -delta)):
            jj = pos[school]
            inside = (jj >= 0) & (d != 0)
            if not inside.any():
                continue
            js, ts, ds = jj[inside], counts[school[inside], k], d[inside]
            gain[inside] += part.school_costs(ts, kind, js) - part.school_costs(ts + ds, kind, js)
    return gain
