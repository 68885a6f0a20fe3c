"""A fast feasible plan from paired exchanges (互派, seed 002), used as CP-SAT's warm start.

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
    frame = frame.sort_values(["dist", "i"], kind="stable")
    frame = frame.groupby(["home", "dest", "role", "subject", "flags"], sort=False).head(2)
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
    sc = built.scenario
    ppl, pairs = built.people, built.pairs
    n_p = len(ppl)
    choice = np.full(n_p, -1, dtype=np.int64)
    is_teacher = ppl["is_teacher"].to_numpy()
    is_key = ppl["is_key"].to_numpy()
    q = sc.quotas
    need_t = at_least(q.teacher_rotation_min, int(is_teacher.sum()))
    need_c = at_least(q.principal_rotation_min, int((~is_teacher).sum()))
    key_share = share_fraction(q.key_share_of_rotated_min)
    need_key_abs = (
        at_least(q.key_share_of_rotated_min, int(is_key.sum()))
        if q.key_share_basis == "eligible_key"
        else 0
    )
    sw = _swap_candidates(built)
    if not len(sw):
        return choice if need_t == need_c == need_key_abs == 0 else None
    pp = pairs["p"].to_numpy()
    i, j = sw["i"].to_numpy(), sw["j"].to_numpy()
    p_i, p_j = pp[i], pp[j]
    a, b = sw["a"].to_numpy(), sw["b"].to_numpy()
    teacher_sw = is_teacher[p_i]
    n_key = is_key[p_i].astype(int) + is_key[p_j].astype(int)
    ut = np.isin(built.locality, ["urban", "town"])
    allowed = np.ones(len(sw), dtype=bool)
    # Flow rules: per swap, moves out of urban/town schools and those of them to rural ones
    # (and the reverse); a swap is allowed while the running shares stay at the minimum.
    u2r, r2u = (
        share_fraction(sc.flow.urban_to_rural_min),
        share_fraction(sc.flow.rural_to_urban_min),
    )
    out_ut = ut[a].astype(int) + ut[b].astype(int)
    ut_to_r = (ut[a] != ut[b]).astype(int)
    out_r = 2 - out_ut
    flow = np.zeros(4, dtype=np.int64)  # out_ut, ut_to_r, out_r, r_to_ut
    w = sc.weights
    fixed_cost = w.commute * (sw["dist"].to_numpy() + sw["dist_j"].to_numpy()) + 2 * w.moves
    cap = np.array(
        [at_most(q.school_outflow_max, int(n)) for n in built.role_now["teacher"].to_numpy()]
    )
    out = np.zeros(len(cap), dtype=np.int64)
    used = np.zeros(n_p, dtype=bool)
    counts = built.t_before.astype(float).copy()
    moved_t = moved_k = moved_c = 0
    batch = max(1, (need_t + need_c) // (2 * batches))
    rounds_left = improve_rounds
    while True:
        key_short = (
            moved_k < need_key_abs
            or moved_k * key_share.denominator < key_share.numerator * (moved_t + 2)
        )
        live = allowed & ~used[p_i] & ~used[p_j]
        live &= ~teacher_sw | ((out[a] < cap[a]) & (out[b] < cap[b]))
        if u2r:
            live &= (flow[1] + ut_to_r) * u2r.denominator >= u2r.numerator * (flow[0] + out_ut)
        if r2u:
            live &= (flow[3] + ut_to_r) * r2u.denominator >= r2u.numerator * (flow[2] + out_r)
        improving = False
        if moved_c < need_c:
            live &= ~teacher_sw
        elif moved_t < need_t or (key_short and moved_t > 0 and moved_t >= need_t):
            live &= teacher_sw
            if key_short:
                live &= n_key > 0
        else:
            improving = True
        idx = np.flatnonzero(live)
        if not len(idx) or (improving and rounds_left <= 0):
            break
        score = (
            w.balance * _balance_gain(built, counts, p_i[idx], p_j[idx], a[idx], b[idx])
            - fixed_cost[idx]
        )
        if improving:
            rounds_left -= 1
            keep = score > 1e-9
            idx, score = idx[keep], score[keep]
            if not len(idx):
                break
        taken = 0
        for k in idx[np.argsort(-score, kind="stable")]:
            x, y = p_i[k], p_j[k]
            if used[x] or used[y]:
                continue
            f = flow + (out_ut[k], ut_to_r[k], out_r[k], ut_to_r[k])
            if (u2r and f[1] * u2r.denominator < u2r.numerator * f[0]) or (
                r2u and f[3] * r2u.denominator < r2u.numerator * f[2]
            ):
                continue
            if teacher_sw[k]:
                if out[a[k]] >= cap[a[k]] or out[b[k]] >= cap[b[k]]:
                    continue
                out[a[k]] += 1
                out[b[k]] += 1
                moved_t += 2
                moved_k += int(n_key[k])
            else:
                moved_c += 2
            flow = f
            used[x] = used[y] = True
            choice[x], choice[y] = i[k], j[k]
            delta = built.person_flags[y].astype(float) - built.person_flags[x].astype(float)
            counts[a[k]] += delta
            counts[b[k]] -= delta
            taken += 1
            if taken >= batch:
                break
    key_ok = (
        moved_k >= need_key_abs and moved_k * key_share.denominator >= key_share.numerator * moved_t
    )
    if moved_t < need_t or moved_c < need_c or not key_ok:
        return None
    return choice


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
