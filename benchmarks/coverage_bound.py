"""How many of a horizon's counted people can move at all: an upper bound on coverage.

    python -m benchmarks.coverage_bound scenarios/dongcheng.toml
    python -m benchmarks.coverage_bound tests/data/qingshi/scenario.toml --years 3

A relaxation of the horizon model: each year's permitted moves (level, scope, commute,
posts and subject demand, as the model prunes, without ``max_candidates``), one move
per person over the horizon, each year's head-count rules (subject staffing within
``subject_tolerance`` of the demand, cadre posts filled exactly), ``no_return_years``
from ``history.csv`` (not the plan's own earlier years) and, with ``--outflow``, each
year's ``school_outflow_max``; with ``--nearest K`` each teacher keeps the K nearest
schools only (as ``max_candidates``: then a bound on the model, not on the rules).
Left out (so the bound can only be too high): quotas, flows, balance caps, pins,
obligations. The linear relaxation of "maximise the counted people who move" is
solved by HiGHS; its value, rounded down, is at least the coverage any plan reaches.
When it is below ``ceil(coverage_min · counted)`` no plan exists: a proof of
infeasibility.

Exact only where each year starts from the district without the plan's moves (stints
of one year with return, as in Dongcheng): with longer stints, or without return, the
earlier movers' head counts are left out and the figure is an estimate (printed so).

Printed per group (subject or cadre role, and school level): the people counted, the
most of them who can move, and the simplest counting behind a shortfall: schools whose
counted people of the group outnumber everyone of the group who may ever arrive there
(with head counts held, each leaver needs an arrival of the same subject).
"""

from __future__ import annotations

import argparse
import itertools
import math
from collections import defaultdict

import highspy
import numpy as np
import pandas as pd

from solver.load import load
from solver.rules.horizon import advance, served_within, year_scenario, year_start
from solver.rules.moves import at_least, at_most, permitted_moves, role_counts


def _states(district, scenario, n: int):
    """The district at the start of each year, without the plan's moves."""
    out, state = [], district
    empty = pd.Series(dtype="str")
    for y in range(1, n + 1):
        out.append(state)
        state, _ = advance(
            state,
            scenario,
            empty,
            year_start(scenario.as_of, y - 1),
            year_start(scenario.as_of, y),
        )
    return out


class _Relaxation:
    """The relaxation's variables (person, year, destination) and row bounds."""

    def __init__(self) -> None:
        self.p: list[str] = []
        self.y: list[int] = []
        self.d: list[int] = []
        self.key: list[tuple] = []
        self.home: list[int] = []
        self.teacher: list[bool] = []
        self.counted: set[str] = set()
        self.eligible_any: set[str] = set()
        self.net: dict[tuple[int, int, tuple], tuple[int, int]] = {}
        self.caps: dict[tuple[int, int], int] = {}
        self.group_of: dict[str, tuple] = {}
        self.level_of: dict[str, str] = {}

    def add_year(self, y: int, state, sc, nearest: int) -> None:
        m = permitted_moves(state, sc)
        ppl = m.people
        self.eligible_any |= set(ppl.index.astype(str))
        tol = sc.staffing.subject_tolerance
        demand, now = state.demand_matrix(), state.teacher_counts()
        for s, sid in enumerate(state.schools.index):
            for subj in now.columns:
                want, have = int(demand.at[sid, subj]), int(now.at[sid, subj])
                self.net[(y, s, ("subject", subj))] = (want - tol - have, want + tol - have)
            for role in ("principal", "vice_principal"):
                self.net[(y, s, ("role", role))] = (0, 0)
        teachers = role_counts(state)["teacher"].to_numpy()
        for s in range(state.n_schools):
            self.caps[(y, s)] = at_most(sc.quotas.school_outflow_max, int(teachers[s]))
        ok = m.ok.copy()
        served = served_within(state, sc.horizon.no_return_years, sc.as_of)
        if len(served):
            pp = ppl.index.get_indexer(served["staff_id"].astype(str))
            ss = state.schools.index.get_indexer(served["school_id"].astype(str))
            hit = (pp >= 0) & (ss >= 0)
            ok[pp[hit], ss[hit]] = False
        if nearest:
            # as the model's max_candidates: each teacher's k nearest permitted schools
            masked = np.where(ok, m.dist, np.inf)
            k = min(nearest, state.n_schools)
            cut = np.partition(masked, k - 1, axis=1)[:, k - 1 : k]
            ok &= (masked <= cut) | ~ppl["is_teacher"].to_numpy()[:, None]
        role = ppl["role"].to_numpy()
        subj = ppl["subject"].astype(str).to_numpy()
        home = ppl["home"].to_numpy()
        ids = ppl.index.astype(str).to_numpy()
        levels = state.schools["level"].to_numpy()
        # coverage's denominator, as the model and the validator count it
        self.counted |= set(ids[m.ok.any(axis=1)])
        for p in range(len(ppl)):
            key = ("subject", subj[p]) if role[p] == "teacher" else ("role", role[p])
            self.group_of[ids[p]] = key
            self.level_of[ids[p]] = str(levels[home[p]])
        for p, d in zip(*np.nonzero(ok), strict=True):
            self.p.append(ids[p])
            self.y.append(y)
            self.d.append(int(d))
            self.key.append(self.group_of[ids[p]])
            self.home.append(int(home[p]))
            self.teacher.append(role[p] == "teacher")

    def solve(self, outflow: bool) -> tuple[str, dict[str, float]]:
        """Maximise the counted people who move (LP); their moves, per person."""
        n_var = len(self.p)
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", 1)
        cost = np.array([-1.0 if p in self.counted else 0.0 for p in self.p])
        h.addVars(n_var, np.zeros(n_var), np.ones(n_var))
        h.changeColsCost(n_var, np.arange(n_var, dtype=np.int32), cost)
        rows: dict[tuple, list[tuple[int, float]]] = defaultdict(list)
        for i in range(n_var):
            rows[("person", self.p[i])].append((i, 1.0))
            rows[("net", self.y[i], self.d[i], self.key[i])].append((i, 1.0))
            rows[("net", self.y[i], self.home[i], self.key[i])].append((i, -1.0))
            if outflow and self.teacher[i]:
                rows[("out", self.y[i], self.home[i])].append((i, 1.0))
        for key, entries in rows.items():
            if key[0] == "person":
                lo, hi = -highspy.kHighsInf, 1.0
            elif key[0] == "net":
                lo, hi = self.net[(key[1], key[2], key[3])]
            else:
                lo, hi = -highspy.kHighsInf, float(self.caps[(key[1], key[2])])
            idx = np.array([e[0] for e in entries], dtype=np.int32)
            val = np.array([e[1] for e in entries])
            h.addRow(float(lo), float(hi), len(idx), idx, val)
        h.run()
        x = np.array(h.getSolution().col_value) if n_var else np.zeros(0)
        moved: dict[str, float] = defaultdict(float)
        for i in range(n_var):
            if self.p[i] in self.counted:
                moved[self.p[i]] += x[i]
        return h.modelStatusToString(h.getModelStatus()), moved

    def local(self) -> list[tuple]:
        """Per (group, school): counted people there who must leave against everyone of
        the group who may ever arrive there (plus the leavers the demand lets go
        without an arrival): (key, school, counted, may arrive, short) where short."""
        arrive: dict[tuple, set[str]] = defaultdict(set)
        at_school: dict[tuple, set[str]] = defaultdict(set)
        for i in range(len(self.p)):
            arrive[(self.key[i], self.d[i])].add(self.p[i])
            if self.p[i] in self.counted:
                at_school[(self.key[i], self.home[i])].add(self.p[i])
        slack: dict[tuple, int] = defaultdict(int)
        for (_y, s, key), (lo, _hi) in self.net.items():
            slack[(key, s)] += max(0, -lo)
        out = []
        for (key, s), who in at_school.items():
            n_in = len(arrive.get((key, s), set()))
            short = len(who) - n_in - slack[(key, s)]
            if short > 0:
                out.append((key, s, len(who), n_in, short))
        return sorted(out, key=lambda r: -r[4])

    def outflow_short(self, years: int) -> list[tuple[int, int, int]]:
        """Per school, Hall's condition on the outflow caps: for every set T of years,
        the counted teachers who can move only in years of T must not outnumber the
        caps of T. (school, counted teachers, people short) where it fails."""
        windows: dict[str, set[int]] = defaultdict(set)
        home: dict[str, int] = {}
        for i in range(len(self.p)):
            if self.teacher[i] and self.p[i] in self.counted:
                windows[self.p[i]].add(self.y[i])
                home.setdefault(self.p[i], self.home[i])
        by: dict[int, list[set[int]]] = defaultdict(list)
        for pid, w in windows.items():
            by[home[pid]].append(w)
        out = []
        sets = [
            set(t)
            for k in range(1, years + 1)
            for t in itertools.combinations(range(1, years + 1), k)
        ]
        for s, ws in sorted(by.items()):
            worst = max(
                sum(1 for w in ws if w <= t) - sum(self.caps[(y, s)] for y in t) for t in sets
            )
            if worst > 0:
                out.append((s, len(ws), worst))
        return out


def coverage_bound(district, scenario, n: int, *, outflow: bool = False, nearest: int = 0) -> dict:
    """The bound and its per-group breakdown (see the module docstring)."""
    states = _states(district, scenario, n)
    rx = _Relaxation()
    for y, state in enumerate(states, start=1):
        rx.add_year(y, state, year_scenario(scenario, y), nearest)
    rx.counted &= rx.eligible_any
    status, moved = rx.solve(outflow)
    local = rx.local()
    caps_short = rx.outflow_short(n)
    groups = defaultdict(lambda: [0, 0.0])
    for p in rx.counted:
        g = (rx.group_of[p], rx.level_of[p])
        groups[g][0] += 1
        groups[g][1] += moved.get(p, 0.0)
    bound = math.floor(sum(moved.values()) + 1e-6)
    need = at_least(scenario.horizon.coverage_min, len(rx.counted))
    exact = scenario.horizon.stint_years == 1 and scenario.horizon.return_home
    return {
        "status": status,
        "counted": len(rx.counted),
        "eligible_any": len(rx.eligible_any),
        "required": need,
        "bound": bound,
        "infeasible": exact and bound < need,
        "exact": exact,
        "candidate_moves": len(rx.p),
        "groups": {g: (c, math.floor(v + 1e-6)) for g, (c, v) in groups.items()},
        "local": local,
        "local_short": sum(r[4] for r in local),
        "outflow_short": caps_short,
        "schools": list(states[0].schools.index),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("scenario")
    ap.add_argument("--years", type=int, default=None)
    ap.add_argument("--outflow", action="store_true", help="add school_outflow_max")
    ap.add_argument("--nearest", type=int, default=0, help="keep each teacher's K nearest schools")
    a = ap.parse_args(argv)
    scenario, district = load(a.scenario)
    n = a.years or scenario.horizon.years
    r = coverage_bound(district, scenario, n, outflow=a.outflow, nearest=a.nearest)
    print(
        f"{a.scenario}: {n} years; eligible in some year {r['eligible_any']:,}, counted "
        f"(with a permitted school) {r['counted']:,}, coverage_min "
        f"{scenario.horizon.coverage_min:g} needs {r['required']:,}"
    )
    print(
        f"LP ({r['candidate_moves']:,} candidate person-year moves, {r['status']}"
        f"{', outflow caps' if a.outflow else ''}"
        f"{f', {a.nearest} nearest' if a.nearest else ''}): at most {r['bound']:,} of them can move"
        + ("" if r["exact"] else " (estimate: stints longer than a year or without return)")
    )
    print("INFEASIBLE as written" if r["infeasible"] else "not disproved by this bound")
    print("\ngroups short (group, level: counted, most that can move, short):")
    for (key, level), (c, v) in sorted(r["groups"].items(), key=lambda kv: kv[1][1] - kv[1][0]):
        if v < c:
            print(f"  {key[1]:>16} {level:>9}: {c:5d} {v:5d} {c - v:5d}")
    print(
        f"\nschools whose counted people of a group outnumber all who may ever arrive "
        f"(+ slack): {len(r['local'])}, {r['local_short']:,} people short in all; the first 15:"
    )
    for key, s, c, arr, short in r["local"][:15]:
        print(
            f"  {r['schools'][s]:>10} {key[1]:>16}: {c} must leave, {arr} may arrive, short {short}"
        )
    print(
        f"schools whose counted teachers the outflow caps cannot all let go in their "
        f"years: {len(r['outflow_short'])}, {sum(x[2] for x in r['outflow_short']):,} short"
    )
    for s, c, short in r["outflow_short"][:15]:
        print(f"  {r['schools'][s]:>10}: {c} counted teachers, short {short}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
