"""Multi-year plans: the joint horizon plan against the myopic loop, in one run (so the
two share the machine's load).

    python -m benchmarks.horizon --scenario scenarios/dongcheng.toml --time-limit 300
    python -m benchmarks.horizon --sizes 1000,3000 --years 3 --coverage 0.9 --time-limit 120
    python -m benchmarks.horizon acceptance --time-limit 300
    python -m benchmarks.horizon growth --sizes 1000,3000,6000,15000 --years 1,2,3 --time-limit 90

``growth`` measures the cost growth of the joint plan (:func:`growth`): each generated
district (as below) for each number of years in a fresh process (so that its peak
memory is its own), printed as a table of build, LP and search seconds, peak memory,
objective, CP-SAT's bound, the LP bound (and its scope), the best bound and the gap,
then the slopes of log cost on log staff per number of years, fitted as the single-year
benchmark fits them (:func:`benchmarks.run.fit_exponents`).

``acceptance`` runs ``lungang plan --years 3`` on the hand-made Qingshi county
(tests/data/qingshi: 40 schools, 3,000 staff, a history.csv not from the generator,
stints of 1 year with return, ``no_return_years`` 6, ``coverage_min`` 0.9) and checks
what the multi-year plan promises: three year folders; year 1 passes the single-year
validator on the district as it stands (``validate_plan_dir``); the horizon passes the
cross-year checks (``validate_horizon_dir``: where each person is at the start of each
year, one rotation, coverage, no return within six years, horizon.json); coverage
reached. It prints the coverage, objective, bound, gap, seconds and peak memory, and
exits 1 when a check fails.

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


def _generated(folder: Path, staff: int, seed: int) -> Path:
    """The generated district of ``staff`` (``urban-core`` with history, staff / 75
    schools) in ``folder``."""
    write_generated(
        "urban-core",
        folder,
        seed=seed,
        schools=max(2, round(staff / 75)),
        staff=staff,
        horizon=True,
    )
    return folder


def _cases(args, tmp: Path):
    for path in args.scenario:
        sc, d = load(path)
        sc = sc.with_solver(time_limit_s=args.time_limit, workers=args.workers)
        yield Path(path).stem, d, sc
    for n in [int(s) for s in args.sizes.split(",") if s]:
        folder = _generated(tmp / f"d{n}", n, args.seed)
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


#: The acceptance district's scenario (hand-made, tests/data/qingshi/README.md).
ACCEPTANCE = Path(__file__).resolve().parents[1] / "tests" / "data" / "qingshi" / "scenario.toml"


def acceptance(time_limit: float, workers: int, work_limit: float | None = None) -> bool:
    """``lungang plan --years 3`` on Qingshi county, checked and measured (see the module
    docstring); ``True`` when every check passes."""
    import json

    from click.testing import CliRunner

    from solver.cli import main as cli
    from solver.validate import validate_horizon_dir, validate_plan_dir

    with tempfile.TemporaryDirectory() as tmp:
        src = ACCEPTANCE
        if work_limit is not None:
            # (deterministic time per search, so the result does not depend on the load)
            text = ACCEPTANCE.read_text(encoding="utf-8").replace(
                "[solver]\n", f"[solver]\nwork_limit = {work_limit}\n", 1
            )
            text = text.replace('data = "."', f'data = "{ACCEPTANCE.parent.as_posix()}"', 1)
            src = Path(tmp) / "scenario.toml"
            src.write_text(text, encoding="utf-8")
        out = Path(tmp) / "plan"
        print(
            f"== acceptance: {ACCEPTANCE.parent.name}, lungang plan --years 3 --time-limit "
            f"{time_limit:g} --workers {workers}"
            + (f", work_limit {work_limit:g}" if work_limit is not None else "")
            + f", load {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        t = time.perf_counter()
        r = CliRunner().invoke(
            cli,
            [
                "plan",
                str(src),
                "--years",
                "3",
                "--out",
                str(out),
                "--time-limit",
                str(time_limit),
                "--workers",
                str(workers),
            ],
        )
        wall = time.perf_counter() - t
        print(f"   exit {r.exit_code} in {wall:.1f} s; peak rss {rss_bytes() / 2**20:.0f} MB")
        if r.exit_code != 0:
            print(r.output)
            return False
        folders = sorted(p.name for p in out.glob("year[0-9]*"))
        sc, d = load(src)
        year1 = validate_plan_dir(out / "year1", d, sc)
        across = validate_horizon_dir(out, d, sc)
        info = json.loads((out / "horizon.json").read_text(encoding="utf-8"))
        cov = info["coverage"]
        checks = {
            "three year folders": folders == ["year1", "year2", "year3"],
            "year 1 passes the single-year validator": year1 == [],
            "the horizon passes the cross-year checks": across == [],
            "coverage reached": bool(cov["reached"])
            and cov["moved_of_movable"] >= 0.9 * cov["movable"],
            "no return within six years": not any(v.rule == "no_return_years" for v in across),
        }
        for v in (year1 + across)[:10]:
            print(f"   violation: {v}")
        per_year = [(y["moved"], y.get("returns")) for y in info["per_year"]]

        def num(v, scale: float = 1.0, unit: str = "") -> str:
            return "–" if v is None else f"{scale * float(v):.4f}{unit}"

        print(
            f"   {info['status']} ({info['method']}): objective {num(info['objective'])}, bound "
            f"{num(info['best_bound'])} ({info.get('bound_scope')}), gap "
            f"{num(info['gap'], 100, '%')}; coverage "
            f"{cov['moved_of_movable']} of {cov['movable']} ({100 * cov['moved_of_movable'] / cov['movable']:.1f}%, "
            f"required {cov['required']}); moved and returns per year {per_year}; "
            f"staged objective {info.get('stats', {}).get('staged_objective')}",
            flush=True,
        )
        st = info.get("stats", {})
        print(
            f"   bound from {info.get('bound_source')}; LP bound {num(st.get('lp_bound'))} "
            f"({st.get('lp_scope')}, {st.get('lp_status')}, {st.get('lp_seconds')} s), "
            f"CP-SAT bound {num(st.get('cp_sat_bound'))}",
            flush=True,
        )
        for name, ok in checks.items():
            print(f"   {'ok ' if ok else 'FAIL'} {name}")
        return all(checks.values())


def growth_case(folder: Path, years: int, coverage: float, time_limit: float, workers: int) -> dict:
    """One case of :func:`growth`, in this process: ``plan_horizon`` of the district in
    ``folder`` over ``years`` years with one budget of ``time_limit`` s; its figures."""
    from .run import _rss_mb

    d = load_district(folder, as_of=dt.date(2025, 9, 1))
    sc = _scenario(years, coverage, time_limit, workers)
    t = time.perf_counter()
    r = plan_horizon(d, sc, years=years, budget=Budget(time_limit), raise_on_failure=False)
    wall = time.perf_counter() - t
    bad = len(validate_horizon(d, sc, [a.assignments for a in r.years])) if r.years else None
    st = r.stats
    lp_s = float(st.get("lp_seconds", 0.0))
    return {
        "staff": len(d.staff),
        "schools": d.n_schools,
        "years": years,
        "person_years": st.get("person_years"),
        "candidate_moves": st.get("candidate_moves"),
        "status": r.status.value,
        "method": r.method,
        "build_seconds": r.build_seconds,
        "lp_seconds": lp_s,
        "search_seconds": r.solve_seconds,
        "wall_seconds": wall,
        # what the single-year fit calls the cost: model, LP and search
        "total_seconds": r.build_seconds + lp_s + r.solve_seconds,
        "peak_mb": _rss_mb(),
        "objective": r.objective,
        "cp_sat_bound": st.get("cp_sat_bound"),
        "lp_bound": st.get("lp_bound"),
        "lp_scope": st.get("lp_scope"),
        "lp_moves": st.get("lp_candidate_moves"),
        "best_bound": r.best_bound,
        "bound_scope": r.bound_scope,
        "bound_source": r.bound_source,
        "gap": r.gap,
        "coverage_reached": r.coverage.get("reached"),
        "violations": bad,
        "load": os.getloadavg()[0],
    }


def growth(args) -> list[dict]:
    """The cost growth of ``lungang plan`` over ``--sizes`` staff × ``--years``: each case
    in a fresh process (``python -m benchmarks.horizon _growth_case``), a table, and the
    cost exponents per number of years."""
    import json
    import subprocess
    import sys

    from .run import exponent_table, fit_exponents

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in [int(s) for s in args.sizes.split(",") if s]:
            folder = _generated(Path(tmp) / f"d{n}", n, args.seed)
            for y in [int(s) for s in args.years.split(",")]:
                cmd = [
                    sys.executable,
                    "-m",
                    "benchmarks.horizon",
                    "_growth_case",
                    str(folder),
                    str(y),
                    str(args.coverage),
                    str(args.time_limit),
                    str(args.workers),
                ]
                out = subprocess.run(cmd, capture_output=True, text=True)
                if out.returncode != 0:
                    print(f"   {n} staff, {y} years: failed\n{out.stderr[-2000:]}", flush=True)
                    continue
                row = json.loads(out.stdout.strip().splitlines()[-1])
                rows.append(row)
                print(_growth_line(row), flush=True)
    print()
    print("\n".join(growth_table(rows)))
    fits = fit_exponents([{**r, "method": f"{r['years']} year(s)", "t_1pct_s": None} for r in rows])
    print()
    print("\n".join(exponent_table(fits)))
    return rows


def _num(v, fmt: str = "{:.2f}") -> str:
    return "–" if v is None or (isinstance(v, float) and math.isnan(v)) else fmt.format(v)


def _growth_line(r: dict) -> str:
    return (
        f"== {r['staff']} staff, {r['years']} years: {r['status']} ({r['method']}), build "
        f"{r['build_seconds']:.1f} s, LP {r['lp_seconds']:.1f} s, search "
        f"{r['search_seconds']:.1f} s, wall {r['wall_seconds']:.1f} s, peak {r['peak_mb']:.0f} MB, "
        f"objective {_num(r['objective'], '{:.4f}')}, CP-SAT bound "
        f"{_num(r['cp_sat_bound'], '{:.4f}')}, LP bound {_num(r['lp_bound'], '{:.4f}')} "
        f"({r['lp_scope']}), gap {_num(100 * r['gap'] if r['gap'] is not None else None)}%, "
        f"violations {r['violations']}, load {r['load']:.1f}"
    )


def growth_table(rows: list[dict]) -> list[str]:
    """Markdown lines of :func:`growth`'s cases."""
    lines = [
        "| staff | years | candidate moves | status (method) | build s | build s / year | LP s "
        "| search s | peak MB | objective | CP-SAT bound | LP bound (scope) | gap | valid |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        gap = None if r["gap"] is None else 100 * r["gap"]
        lines.append(
            f"| {r['staff']:,} | {r['years']} | {_num(r['candidate_moves'], '{:,.0f}')} | "
            f"{r['status']} ({r['method']}) | {r['build_seconds']:.1f} | "
            f"{r['build_seconds'] / r['years']:.1f} | {r['lp_seconds']:.1f} | "
            f"{r['search_seconds']:.1f} | {r['peak_mb']:.0f} | {_num(r['objective'])} | "
            f"{_num(r['cp_sat_bound'])} | {_num(r['lp_bound'])} ({r['lp_scope'] or '–'}) | "
            f"{_num(gap)}% | {'yes' if r['violations'] == 0 else r['violations']} |"
        )
    return lines


def main() -> None:
    import json
    import sys

    if sys.argv[1:2] == ["_growth_case"]:
        folder, years, cov, limit, workers = sys.argv[2:7]
        row = growth_case(Path(folder), int(years), float(cov), float(limit), int(workers))
        print(json.dumps(row, default=float))
        return
    if sys.argv[1:2] == ["growth"]:
        ap = argparse.ArgumentParser(description="cost growth of the joint horizon plan")
        ap.add_argument("--sizes", default="1000,3000,6000,15000")
        ap.add_argument("--years", default="1,2,3")
        ap.add_argument("--coverage", type=float, default=0.0)
        ap.add_argument("--time-limit", type=float, default=90.0)
        ap.add_argument("--workers", type=int, default=2)
        ap.add_argument("--seed", type=int, default=0)
        growth(ap.parse_args(sys.argv[2:]))
        return
    if sys.argv[1:2] == ["acceptance"]:
        ap = argparse.ArgumentParser(description="the multi-year acceptance district")
        ap.add_argument("--time-limit", type=float, default=300.0)
        ap.add_argument("--workers", type=int, default=2)
        ap.add_argument("--work-limit", type=float, default=None)
        a = ap.parse_args(sys.argv[2:])
        sys.exit(0 if acceptance(a.time_limit, a.workers, a.work_limit) else 1)
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
