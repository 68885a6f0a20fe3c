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

from .model import RotationModel, at_least, at_most, share_fraction


def _swap_candidates(built: RotationModel) -> pd.DataFrame:
    """Possible swaps (i, j): pair i moves p from A to B, pair j moves q from B to A."""
    ppl, pairs = built.people, built.pairs
    if not len(pairs):
        return pd.DataFrame(columns=["i", "j"])
    p = pairs["p"].to_numpy()
    frame = pd.DataFrame({
        "i": np.arange(len(pairs)),
        "home": ppl["home"].to_numpy()[p],
        "dest": pairs["s"].to_numpy(),
        "role": ppl["role"].to_numpy()[p],
        "subject": ppl["subject"].to_numpy()[p],
        "flags": built.flag_codes[p],
        "dist": pairs["dist_km"].to_numpy(),
    })
    # Among interchangeable people (same home, destination, role, subject, flags) keep the
    # nearest few: a swap needs one of them.
    frame = frame.sort_values(["dist", "i"], kind="stable")
    frame = frame.groupby(["home", "dest", "role", "subject", "flags"], sort=False).head(2)
    left = frame.rename(columns={"home": "a", "dest": "b"})
    right = frame.rename(columns={"home": "b", "dest": "a", "i": "j", "flags": "flags_j", "dist": "dist_j"})
    sw = left.merge(right, on=["a", "b", "role", "subject"])
    sw = sw[sw["a"] < sw["b"]]
    return sw.reset_index(drop=True)


def swap_plan(built: RotationModel) -> np.ndarray | None:
    """A plan as the chosen pair index per eligible person (-1 = stays), or ``None``.

    ``None`` when the swaps cannot meet the quotas (CP-SAT then searches unaided).
    """
    sc = built.scenario
    ppl, pairs = built.people, built.pairs
    n_p = len(ppl)
    choice = np.full(n_p, -1, dtype=np.int64)
    sw = _swap_candidates(built)
    is_teacher = ppl["is_teacher"].to_numpy()
    is_key = ppl["is_key"].to_numpy()
    need_t = at_least(sc.quotas.teacher_rotation_min, int(is_teacher.sum()))
    need_c = at_least(sc.quotas.principal_rotation_min, int((~is_teacher).sum()))
    key_share = share_fraction(sc.quotas.key_share_of_rotated_min)
    need_key_abs = at_least(sc.quotas.key_share_of_rotated_min, int(is_key.sum())) if sc.quotas.key_share_basis == "eligible_key" else 0
    if need_t == 0 and need_c == 0 and need_key_abs == 0:
        return choice
    if not len(sw):
        return None
    pp = pairs["p"].to_numpy()
    i, j = sw["i"].to_numpy(), sw["j"].to_numpy()
    p_i, p_j = pp[i], pp[j]
    a, b = sw["a"].to_numpy(), sw["b"].to_numpy()
    teacher_sw = is_teacher[p_i]
    n_key = is_key[p_i].astype(int) + is_key[p_j].astype(int)
    loc = built.locality
    ut = np.isin(loc, ["urban", "town"])
    cross = ut[a] != ut[b]  # one side urban/town, the other rural
    cost = sw["dist"].to_numpy() + sw["dist_j"].to_numpy()
    gain = _balance_gain(built, p_i, p_j, a, b)
    # Cheapest first: balance gain (in objective units) against commute.
    w = sc.weights
    score = w.balance * gain - w.commute * cost - 2 * w.moves
    cap = np.array([at_most(sc.quotas.school_outflow_max, int(n)) for n in built.role_now["teacher"].to_numpy()])
    out = np.zeros(len(cap), dtype=np.int64)
    used = np.zeros(n_p, dtype=bool)
    want_cross = sc.flow.urban_to_rural_min > 0 or sc.flow.rural_to_urban_min > 0
    moved_t = moved_k = moved_c = 0
    order = np.argsort(-score, kind="stable")
    # Pass 1: cadres; pass 2: key teachers while short; pass 3: any teacher.
    for phase in ("cadre", "key", "teacher"):
        for idx in order:
            if phase == "cadre":
                if moved_c >= need_c:
                    break
                if teacher_sw[idx]:
                    continue
            else:
                key_short = moved_k < need_key_abs or moved_k * key_share.denominator < key_share.numerator * (moved_t + 2)
                if phase == "key" and not key_short:
                    break
                if phase == "teacher" and moved_t >= need_t and not key_short:
                    break
                if not teacher_sw[idx] or (phase == "key" and n_key[idx] == 0):
                    continue
            x, y = p_i[idx], p_j[idx]
            if used[x] or used[y]:
                continue
            if want_cross and not cross[idx]:
                continue
            if teacher_sw[idx]:
                if out[a[idx]] >= cap[a[idx]] or out[b[idx]] >= cap[b[idx]]:
                    continue
                out[a[idx]] += 1
                out[b[idx]] += 1
                moved_t += 2
                moved_k += int(n_key[idx])
            else:
                moved_c += 2
            used[x] = used[y] = True
            choice[x], choice[y] = i[idx], j[idx]
    key_ok = moved_k >= need_key_abs and moved_k * key_share.denominator >= key_share.numerator * moved_t
    if moved_t < need_t or moved_c < need_c or not key_ok:
        return None
    return choice


def _balance_gain(built: RotationModel, p_i, p_j, a, b) -> np.ndarray:
    """Fall of the balance term if p_i (at a) and p_j (at b) swap, from today's counts."""
    gain = np.zeros(len(p_i))
    kind = "cv" if built.scenario.balance.kind == "minmax" else built.scenario.balance.kind
    for part in built.parts:
        k = built.indicators.index(part.indicator)
        flags = built.person_flags[:, k].astype(int)
        delta = flags[p_j] - flags[p_i]  # change at a; b changes by −delta
        pos = np.full(built.district.n_schools, -1)
        pos[part.schools] = np.arange(len(part.schools))
        t0 = built.t_before[:, k].astype(float)
        for school, d in ((a, delta), (b, -delta)):
            jj = pos[school]
            inside = (jj >= 0) & (d != 0)
            if not inside.any():
                continue
            js, ts, ds = jj[inside], t0[school[inside]], d[inside]
            gain[inside] += part.school_costs(ts, kind, js) - part.school_costs(ts + ds, kind, js)
    return gain
