"""Benchmarks of ``lungang batch``: Dask's overhead per task, scaling, the city.

``python -m benchmarks.batch [overhead] [scaling] [city] [--out DIR]`` measures and
prints (and writes ``DIR/batch-<part>.md``, default ``benchmarks/results/``):

- ``overhead``: submit-to-result of an empty task on a warm one-worker LocalCluster
  (mean of 20), and of the demo district's task through Dask against the same task
  called in this process (both warm, mean of 3).
- ``scaling``: 4 equal districts (urban-core profile, 1,800 staff each, seeds 1-4,
  ``work_limit = 8`` so each solve does the same work whatever the machine's load),
  ``run_batch`` with 1 worker and with 2 workers of 1 thread each, wall time of each
  (cluster start included): the speed-up is their ratio.
- ``city``: ``run_batch(scenarios/city/*.toml)`` end to end with the default embedded
  cluster, per district and in total, with peak memory.

Generated districts are cached in ``DIR/cache`` first, outside the timings. Wall
times on a shared machine are noisy: compare the ratios measured in one run.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "benchmarks" / "results"


def _noop(x: int) -> int:
    return x


def _demo_task(out: Path):
    from solver.batch.task import Task, input_key
    from solver.input.scenario import load_scenario

    sc = load_scenario(ROOT / "scenarios" / "demo.toml").with_solver(workers=1, work_limit=5)
    return Task(
        name="demo",
        slug="demo",
        source=str(ROOT / "scenarios" / "demo.toml"),
        scenario=sc.resolved(),
        out=str(out),
        key=input_key(sc),
    )


def overhead(out: Path) -> str:
    """Submit-to-result seconds of an empty task and Dask's extra seconds on the demo."""
    from distributed import Client, LocalCluster

    from solver.batch.task import run_task

    tmp = Path(tempfile.mkdtemp(prefix="batch-overhead-", dir=out))
    task = _demo_task(tmp)
    with (
        LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=":0") as cluster,
        Client(cluster) as client,
    ):
        client.submit(_noop, -1, pure=False).result()
        empty = []
        for i in range(20):
            t = time.perf_counter()
            client.submit(_noop, i, pure=False).result()
            empty.append(time.perf_counter() - t)
        client.submit(run_task, task, pure=False).result()  # warm: imports, first solve
        via_dask = []
        for _ in range(3):
            t = time.perf_counter()
            client.submit(run_task, task, pure=False).result()
            via_dask.append(time.perf_counter() - t)
    run_task(task)  # warm in this process too
    direct = []
    for _ in range(3):
        t = time.perf_counter()
        run_task(task)
        direct.append(time.perf_counter() - t)
    e, d, s = statistics.mean(empty), statistics.mean(via_dask), statistics.mean(direct)
    return "\n".join(
        [
            "| measure | seconds |",
            "|---|---|",
            f"| empty task, submit to result (mean of 20) | {e:.4f} |",
            f"| demo task through Dask (mean of 3) | {d:.3f} |",
            f"| demo task called in this process (mean of 3) | {s:.3f} |",
            f"| Dask's overhead on the demo (difference) | {d - s:.3f} |",
            f"| ratio through Dask / in process | {d / s:.2f} |",
        ]
    )


def _equal_districts(folder: Path, n: int = 4) -> list[Path]:
    demo = (ROOT / "scenarios" / "dongcheng.toml").read_text(encoding="utf-8")
    paths = []
    for seed in range(1, n + 1):
        text = demo.replace('name = "Dongcheng (urban-core), 2025-26"', f'name = "equal-{seed}"')
        text = text.replace(
            "profile_seed = 0",
            f"profile_seed = {seed}\nprofile_schools = 24\nprofile_staff = 1800",
        )
        text = text.replace("max_candidates = 10", "max_candidates = 10\nwork_limit = 8")
        assert "work_limit = 8" in text
        # one school year each: Dongcheng's [horizon] (3 years, coverage 1.0) would make
        # every task a multi-year plan (and these districts cannot cover everyone)
        text = re.sub(r"^\[horizon\].*?(?=^\[)", "", text, count=1, flags=re.S | re.M)
        assert "\n[horizon]" not in text and "\ncoverage_min" not in text
        p = folder / f"equal-{seed}.toml"
        p.write_text(text, encoding="utf-8")
        paths.append(p)
    return paths


def _warm_cache(paths: list[Path]) -> None:
    from solver.load import load

    for p in paths:
        load(p)


def scaling(out: Path) -> str:
    """4 equal districts on 1 worker against 2 workers (1 thread each)."""
    from solver.batch.run import run_batch

    tmp = Path(tempfile.mkdtemp(prefix="batch-scaling-", dir=out))
    paths = _equal_districts(tmp)
    _warm_cache(paths)
    lines = ["| workers | wall s | sum of task s | statuses |", "|---|---|---|---|"]
    walls = {}
    for w in (1, 2):
        t = time.perf_counter()
        res = run_batch(paths, tmp / f"out-{w}", workers=w, progress=False)
        walls[w] = time.perf_counter() - t
        task_s = sum(r.get("task_seconds", 0) for r in res.rows)
        statuses = ", ".join(sorted({r["status"] for r in res.rows}))
        lines.append(f"| {w} | {walls[w]:.1f} | {task_s:.1f} | {statuses} |")
    lines.append(f"\nspeed-up 2 workers / 1 worker: {walls[1] / walls[2]:.2f}")
    return "\n".join(lines)


def city(out: Path) -> str:
    """The 16 districts of scenarios/city/ end to end."""
    from solver.batch.run import run_batch

    paths = sorted((ROOT / "scenarios" / "city").glob("*.toml"))
    t = time.perf_counter()
    _warm_cache(paths)
    gen = time.perf_counter() - t
    t = time.perf_counter()
    res = run_batch(paths, out / "city", force=True, progress=sys.stderr.isatty())
    wall = time.perf_counter() - t
    lines = [
        "| district | status | staff | eligible | moved | gap % | build s | search s | task s | peak MB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in res.rows:
        gap = r.get("gap")
        lines.append(
            f"| {r['scenario']} | {r['status']} | {r.get('staff', '')} | {r.get('eligible', '')} "
            f"| {r.get('moved', '')} | {'' if gap is None else f'{100 * gap:.2f}'} "
            f"| {r.get('build_seconds', 0):.1f} | {r.get('search_seconds', 0):.1f} "
            f"| {r.get('task_seconds', 0):.1f} | {r.get('peak_memory_mb', 0):.0f} |"
        )
    staff = sum(r.get("staff", 0) or 0 for r in res.rows)
    task_s = sum(r.get("task_seconds", 0) for r in res.rows)
    peak = max(r.get("peak_memory_mb", 0) for r in res.rows)
    lines.append(
        f"\n{len(res.rows)} districts, {staff:,} staff: wall {wall:.0f} s on the embedded "
        f"cluster (generation beforehand {gen:.0f} s), sum of task seconds {task_s:.0f}, "
        f"largest peak {peak:.0f} MB; {res.verdict}"
    )
    return "\n".join(lines)


PARTS = {"overhead": overhead, "scaling": scaling, "city": city}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.batch", description=__doc__)
    ap.add_argument("parts", nargs="*", choices=[*PARTS, []], default=["overhead", "scaling"])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("LUNGANG_CACHE", str((args.out / "cache").resolve()))
    for part in args.parts:
        text = PARTS[part](args.out)
        header = f"## batch: {part} (machine shared with other jobs: compare ratios)\n\n"
        print(header + text + "\n", flush=True)
        (args.out / f"batch-{part}.md").write_text(header + text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
