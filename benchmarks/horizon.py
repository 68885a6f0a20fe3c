"""Multi-year plans: the joint horizon model against the myopic loop, on generated
districts, in one run (so the two share the machine's load).

    python -m benchmarks.horizon --sizes 1000,3000 --years 1,2,3 --time-limit 60

For each size (``urban-core`` profile, schools = staff / 75) and number of years, both
methods plan the same scenario (teacher_rotation_min 0.10 a year, outflow 0.34, commute
12 km, balance ``key_per_100`` by ``cv``, stints of 1 year with return,
``no_return_years`` 0, ``coverage_min`` as given) with the same time limit for the
whole horizon; every year of both is checked by the validator. Printed per row: build
and search seconds, the summed objective, the joint bound and gap, coverage reached,
moves per year, and the ratios joint / myopic of objective and seconds. Timings on a
shared machine are noisy: read the ratios.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import tempfile
import time
from pathlib import Path

from solver.generate import write_generated
from solver.input.loaders import load_district
from solver.input.scenario import parse_scenario
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
            "horizon": {"years": years, "coverage_min": coverage},
            "solver": {"time_limit_s": time_limit, "workers": workers, "max_candidates": 10},
        }
    )


def run(sizes: list[int], years: list[int], coverage: float, time_limit: float, workers: int):
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            folder = Path(tmp) / f"d{n}"
            write_generated("urban-core", folder, seed=0, schools=max(2, round(n / 75)), staff=n)
            d = load_district(folder, as_of=dt.date(2025, 9, 1))
            for y in years:
                sc = _scenario(y, coverage, time_limit, workers)
                out = {}
                for name, fn in (("joint", plan_horizon), ("myopic", plan_myopic)):
                    t = time.perf_counter()
                    kw = {"raise_on_failure": False} if name == "joint" else {}
                    r = fn(d, sc, years=y, **kw)
                    wall = time.perf_counter() - t
                    valid = (
                        len(validate_horizon(d, sc, [a.assignments for a in r.years]))
                        if r.years
                        else None
                    )
                    out[name] = (r, wall, valid)
                rows.append((n, y, out))
                _print_row(n, y, out)
    return rows


def _print_row(n: int, y: int, out: dict) -> None:
    for name, (r, wall, valid) in out.items():
        moves = [int(a.assignments["moved"].sum()) for a in r.years]
        cov = r.coverage.get("share", math.nan)
        print(
            f"{n:>6} staff {y} yr {name:>6}: {r.status.value:<10} build {r.build_seconds:6.1f} s"
            f" search {r.solve_seconds:6.1f} s wall {wall:6.1f} s objective {r.objective:10.4f}"
            f" bound {r.best_bound:10.4f} gap {100 * r.gap:6.2f}% coverage {100 * cov:5.1f}%"
            f" moves {moves} violations {valid}"
        )
    (j, jw, _), (m, mw, _) = out["joint"], out["myopic"]
    if j.status.has_plan and m.years:
        print(
            f"{'':>6}        ratio joint/myopic: objective {j.objective / m.objective:.3f}, "
            f"wall {jw / mw:.2f}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,3000")
    ap.add_argument("--years", default="1,2,3")
    ap.add_argument("--coverage", type=float, default=0.0)
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()
    run(
        [int(s) for s in a.sizes.split(",")],
        [int(s) for s in a.years.split(",")],
        a.coverage,
        a.time_limit,
        a.workers,
    )


if __name__ == "__main__":
    main()
