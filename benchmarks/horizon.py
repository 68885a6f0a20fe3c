"""Multi-year plans: the joint horizon plan against the myopic loop, in one run (so the
two share the machine's load).

    python -m benchmarks.horizon --scenario scenarios/dongcheng.toml --time-limit 300
    python -m benchmarks.horizon --sizes 1000,3000 --years 3 --coverage 0.9 --time-limit 120

Each case is a scenario file (``--scenario``, repeatable) or a generated district
(``--sizes``: ``urban-core`` profile with history, schools = staff / 75, stints of 1
year with return, ``no_return_years`` 6, teacher_rotation_min 0.10 a year, outflow
0.34, commute 12 km, balance ``key_per_100`` by ``cv``, ``coverage_min`` as given).
Both methods plan it with the same time limit for the whole horizon (one
:class:`~solver.progress.Budget` each, as ``lungang plan`` has); every year of both is
checked by the validator (``violations``). Printed per method: status, build and
search seconds, wall seconds, the summed objective, the joint bound and gap, coverage
reached, and per year the moves, commute km and objective; then the ratios joint / myopic of objective and wall seconds. Timings
on a shared machine are noisy: read the ratios, and the load printed with each case.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import tempfile
import time
from pathlib import Path

from solver.generate import write_generated
from solver.input.loaders import load_district
from solver.input.scenario import parse_scenario
from solver.load import load
from solver.progress import Budget
from solver.search.guard import rss_bytes
from solver.search.horizon import plan_horizon, plan_myopic
from solver.validate import validate_horizon


def _scenario(years: int, coverage: float, time_limit: float, workers: int):
    return parse_scenario(
        {
            "scenario": {"name": "horizon-bench", "as_of": dt.date(2025, 9, 1), "data": "."},
            "quotas": {
                "teacher_rotation_min": 0.10,
                "key_share_of_rotated_min": 0.20,
                "principal_rotation_min": 0.0,
                "school_outflow_max": 0.34,
            },
            "commute": {"max_km": 12.0},
            "horizon": {
                "years": years,
                "coverage_min": coverage,
                "stint_years": 1,
                "return_home": True,
                "no_return_years": 6,
            },
            "solver": {"time_limit_s": time_limit, "workers": workers, "max_candidates": 10},
        }
    )


def _cases(args, tmp: Path):
    for path in args.scenario:
        sc, d = load(path)
        sc = sc.with_solver(time_limit_s=args.time_limit, workers=args.workers)
        yield Path(path).stem, d, sc
    for n in [int(s) for s in args.sizes.split(",") if s]:
        folder = tmp / f"d{n}"
        write_generated(
            "urban-core",
            folder,
            seed=args.seed,
            schools=max(2, round(n / 75)),
            staff=n,
            horizon=True,
        )
        d = load_district(folder, as_of=dt.date(2025, 9, 1))
        for y in [int(s) for s in args.years.split(",")]:
            yield (
                f"generated {n} staff",
                d,
                _scenario(y, args.coverage, args.time_limit, args.workers),
            )


def run(args) -> list[tuple]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, d, sc in _cases(args, Path(tmp)):
            n = sc.horizon.years
            print(
                f"== {name}: {len(d.staff)} staff, {d.n_schools} schools, {n} years, "
                f"coverage_min {sc.horizon.coverage_min:g}, {sc.solver.time_limit_s:g} s each, "
                f"load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
            out = {}
            for method, fn in (("joint", plan_horizon), ("myopic", plan_myopic)):
                t = time.perf_counter()
                kw = {"raise_on_failure": False} if method == "joint" else {}
                r = fn(d, sc, years=n, budget=Budget(sc.solver.time_limit_s), **kw)
                wall = time.perf_counter() - t
                valid = (
                    len(validate_horizon(d, sc, [a.assignments for a in r.years]))
                    if r.years
                    else None
                )
                out[method] = (r, wall, valid)
                _print(method, r, wall, valid)
            rows.append((name, out))
            (j, jw, _), (m, mw, _) = out["joint"], out["myopic"]
            if j.years and m.years:
                print(
                    f"   ratio joint/myopic: objective {j.objective / m.objective:.3f}, "
                    f"wall {jw / mw:.2f}; coverage {j.coverage['moved_of_movable']} vs "
                    f"{m.coverage['moved_of_movable']} of {j.coverage['movable']} "
                    f"(needed {j.coverage['required']})",
                    flush=True,
                )
    return rows


def _print(method: str, r, wall: float, valid) -> None:
    cov = r.coverage
    per_year = []
    for res in r.years:
        a = res.assignments
        km = float(a.loc[a["moved"].astype(bool), "distance_km"].sum())
        per_year.append(f"{int(a['moved'].sum())} moves/{km:.0f} km")
    print(
        f"   {method:>6}: {r.status.value:<10} build {r.build_seconds:6.1f} s search "
        f"{r.solve_seconds:6.1f} s wall {wall:6.1f} s objective {r.objective:10.4f} bound "
        f"{r.best_bound:10.4f} gap {100 * r.gap:6.2f}% coverage "
        f"{cov.get('moved_of_movable', 0)}/{cov.get('movable', 0)} "
        f"({'reached' if cov.get('reached') else 'NOT reached'}) violations {valid} "
        f"rss {rss_bytes() / 2**20:.0f} MB",
        flush=True,
    )
    if r.years:
        print(
            f"           per year: {', '.join(per_year)}; objective per year "
            f"{[round(y.objective, 2) for y in r.years]}",
            flush=True,
        )
    if r.stats.get("staged_objective") is not None and not math.isnan(r.stats["staged_objective"]):
        print(
            f"           staged plan (start of the joint search): objective "
            f"{r.stats['staged_objective']:.4f} in {r.stats['staged_seconds']:.1f} s",
            flush=True,
        )
    if not r.years:
        print(f"           {r.message.splitlines()[0] if r.message else ''}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", action="append", default=[], help="a scenario file")
    ap.add_argument("--sizes", default="")
    ap.add_argument("--years", default="3")
    ap.add_argument("--coverage", type=float, default=0.0)
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    run(ap.parse_args())


if __name__ == "__main__":
    main()
