"""How fast a district loads, as a ratio against reading the same CSV files with pandas.

    python -m benchmarks.loading                 # 20,000 staff at 150 schools, 5 repeats
    python -m benchmarks.loading --staff 40000 --schools 300

The loaders validate every table (pandera schemas), parse dates, derive eligibility
inputs and fill in homes; the baseline is a plain ``pandas.read_csv`` of
``schools.csv`` and ``staff.csv``, measured in the same run, so the ratio means the
same on a busy machine as on an idle one. The median of the repeats is reported.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from solver.input.data import SUBJECTS
from solver.input.loaders import load_district

AS_OF = dt.date(2025, 9, 1)


def write_synthetic_district(
    folder: Path, n_staff: int = 20_000, n_schools: int = 150, seed: int = 0
) -> Path:
    """Write ``schools.csv`` and ``staff.csv`` of a random district into ``folder``: one
    principal per school, the rest teachers, no home coordinates (the loader fills them)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    n_s, n = n_schools, n_staff
    ids = [f"S{i:03d}" for i in range(n_s)]
    level = rng.choice(["primary", "junior", "nine_year"], n_s)
    students = rng.integers(300, 3000, n_s)
    pd.DataFrame(
        {
            "school_id": ids,
            "name": ids,
            "zone": rng.choice(list("ABCD"), n_s),
            "group": "",
            "level": level,
            "locality": rng.choice(["urban", "town", "rural"], n_s),
            "lat": 39.9 + rng.normal(0, 0.1, n_s),
            "lon": 116.4 + rng.normal(0, 0.1, n_s),
            "students": students,
            "junior_students": np.where(level == "nine_year", students // 3, 0),
        }
    ).to_csv(folder / "schools.csv", index=False)
    school = np.r_[np.arange(n_s), rng.integers(0, n_s, n - n_s)]
    start = pd.Timestamp("2000-01-01") + pd.to_timedelta(rng.integers(0, 9000, n), unit="D")
    pd.DataFrame(
        {
            "staff_id": [f"T{i:05d}" for i in range(n)],
            "name": "某",
            "school_id": np.array(ids)[school],
            "role": np.where(np.arange(n) < n_s, "principal", "teacher"),
            "subject": rng.choice(SUBJECTS, n),
            "key_level": rng.choice(["none", "district"], n),
            "school_start_date": start.strftime("%Y-%m-%d"),
            "retirement_date": (start + pd.Timedelta(days=9000)).strftime("%Y-%m-%d"),
            "on_payroll": "true",
            "rural_years": rng.integers(0, 5, n),
        }
    ).to_csv(folder / "staff.csv", index=False)
    return folder


def _median_seconds(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.loading", description=__doc__)
    ap.add_argument("--staff", type=int, default=20_000)
    ap.add_argument("--schools", type=int, default=150)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_synthetic_district(Path(tmp), args.staff, args.schools)
        load_district(folder, as_of=AS_OF)  # warm up imports and caches

        def baseline() -> None:
            pd.read_csv(folder / "schools.csv")
            pd.read_csv(folder / "staff.csv")

        base = _median_seconds(baseline, args.repeat)
        load = _median_seconds(lambda: load_district(folder, as_of=AS_OF), args.repeat)
    print(
        f"{args.staff} staff, {args.schools} schools: load_district {load:.3f} s, "
        f"pandas.read_csv {base:.3f} s, ratio {load / base:.1f} (median of {args.repeat})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
