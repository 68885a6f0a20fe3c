"""Pricing benchmark: the bound of a pruned model against the full LP solved directly.

``python -m benchmarks.pricing [--sizes 15000,40000] [--ks auto,10,5] [--time-limit 60]
[--workers 2] [--out DIR]``; ``python -m benchmarks.pricing acceptance --help``: the
acceptance on a big hand-made city (:mod:`benchmarks.pricing_acceptance`).

For each generated ``urban-core`` district (the cache and the scenario of
``python -m benchmarks run``) it measures, in one process and one run:

1. the LP of the model with every permitted move (``max_candidates = 0``), solved
   directly by HiGHS's parallel dual simplex: its optimum and seconds (the reference);
2. for each candidate limit ``k`` (``auto``: the package's own choice): the model
   keeping each teacher's ``k`` nearest schools, its LP with the pruned moves priced in
   (:func:`solver.search.pricing.price`, no time limit): the bound, its scope, its
   relative difference to the reference, its seconds and their ratio to the
   reference's, the moves priced back in and the rounds;
3. for each ``k``: ``solver.search.solve.solve`` with the time limit as the package
   runs it: the plan's objective (validated), the reported bound and scope, the gap
   against it, and the gap against the reference.

Timings are wall-clock on whatever machine runs it: compare the ratios of one run.
The load average before and after each district is printed and kept in the JSON.

Columns of the table: ``k (used)`` the candidate limit asked (``auto``) and used;
``kept / permitted`` the model's moves and all permitted ones; ``full LP`` and
``full LP s`` the reference and its seconds; ``priced bound`` and ``scope`` what
pricing reached; ``rel. diff`` (reference − priced bound) / |reference| (≤ 1e-6 when
pricing finished); ``first LP s`` the LP of the kept moves alone (what the LP guide
solved before pricing existed); ``pricing s`` the whole priced LP (first LP, rounds,
reduced costs), ``÷ full LP`` its ratio to the reference's seconds (target ≤ 0.20);
``priced in`` and ``rounds``; then the 60 s solve: ``plan objective``, ``valid``,
``reported bound (scope)``, ``gap`` against it and ``gap vs full LP``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import time
from pathlib import Path

from solver.input.loaders import load_district
from solver.input.scenario import parse_scenario
from solver.model.rotation import OBJ_UNIT, RotationModel
from solver.search.lp import relaxation
from solver.search.pricing import price
from solver.search.solve import solve
from solver.validate import validate_plan

from .run import DEFAULT_OUT, benchmark_scenario, instance_dir, machine


def _scenario(folder: Path, time_limit: float, workers: int, k: int | None):
    raw = benchmark_scenario(folder, time_limit, workers)
    raw["solver"]["max_candidates"] = k
    return parse_scenario(raw)


def measure(staff: int, ks: list[int | None], time_limit: float, workers: int, cache: Path):
    """The rows of one district (see the module docstring)."""
    folder = instance_dir(cache, "urban-core", staff, 0)
    sc0 = _scenario(folder, time_limit, workers, 0)
    d = load_district(folder, sc0.as_of)
    t = time.perf_counter()
    full = RotationModel(d, sc0)
    full_build = time.perf_counter() - t
    n_full = len(full.pairs)
    t = time.perf_counter()
    lp = relaxation(full.model.proto, 3600.0, workers)
    full_seconds = time.perf_counter() - t
    del full
    gc.collect()
    ref = None if lp is None else lp[0] / OBJ_UNIT
    load = os.getloadavg()[0]
    print(
        f"{staff}: full LP {ref} of {n_full} moves in {full_seconds:.1f} s "
        f"(load average {load:.1f})",
        flush=True,
    )
    rows = []
    for k in ks:
        sc = _scenario(folder, time_limit, workers, k)
        t = time.perf_counter()
        kept = RotationModel(d, sc)
        build = time.perf_counter() - t
        priced = price(kept, 3600.0, workers)
        row = {
            "staff": staff,
            "k": "auto" if k is None else k,
            "k_used": kept.candidates_limit,
            "permitted": n_full,
            "kept": len(kept.pairs),
            "full_lp": ref,
            "full_lp_s": round(full_seconds, 1),
            "full_build_s": round(full_build, 1),
            "kept_build_s": round(build, 1),
            "load_before": round(load, 1),
        }
        del kept
        gc.collect()
        if priced is not None:
            bound = priced.bound / OBJ_UNIT
            row.update(
                priced_bound=bound,
                scope=priced.scope,
                rel_diff=None if ref is None else (ref - bound) / abs(ref),
                first_lp_s=round(priced.first_seconds, 1),
                pricing_s=round(priced.seconds, 1),
                pricing_ratio=round(priced.seconds / full_seconds, 3),
                priced_in=len(priced.priced_keys),
                rounds=priced.rounds,
            )
        print(json.dumps(row), flush=True)
        res = solve(d, sc, raise_on_failure=False)
        if res.status.has_plan:
            bad = validate_plan(d, sc, res.assignments)
            row.update(
                valid=not bad,
                objective=res.objective,
                reported_bound=res.best_bound,
                reported_scope=res.bound_scope,
                gap=res.gap,
                gap_vs_full_lp=None if ref is None else (res.objective - ref) / res.objective,
                solve_s=round(res.solve_seconds, 1),
            )
        else:
            row.update(valid=None, objective=None, solve_status=res.status.value)
        row["load_after"] = round(os.getloadavg()[0], 1)
        print(json.dumps(row), flush=True)
        rows.append(row)
    return rows


def table(rows: list[dict]) -> str:
    """The markdown table of the rows."""

    def f(v, fmt="{:.4f}"):
        return "" if v is None else (fmt.format(v) if isinstance(v, float) else str(v))

    head = (
        "| staff | k (used) | kept / permitted moves | full LP | full LP s | priced bound "
        "| scope | rel. diff | first LP s | pricing s | ÷ full LP s | priced in | rounds "
        "| plan objective | valid | reported bound (scope) | gap | gap vs full LP "
        "| load before / after |\n" + "|---" * 19 + "|"
    )
    lines = [head]
    for r in rows:
        lines.append(
            f"| {r['staff']:,} | {r['k']} ({r['k_used']}) | {r['kept']:,} / {r['permitted']:,} "
            f"| {f(r.get('full_lp'))} | {f(r.get('full_lp_s'), '{:.1f}')} "
            f"| {f(r.get('priced_bound'))} | {f(r.get('scope'))} "
            f"| {f(r.get('rel_diff'), '{:.1e}')} | {f(r.get('first_lp_s'), '{:.1f}')} "
            f"| {f(r.get('pricing_s'), '{:.1f}')} "
            f"| {f(r.get('pricing_ratio'), '{:.2f}')} | {f(r.get('priced_in'))} "
            f"| {f(r.get('rounds'))} | {f(r.get('objective'))} | {f(r.get('valid'))} "
            f"| {f(r.get('reported_bound'))} ({f(r.get('reported_scope'))}) "
            f"| {f(r.get('gap'), '{:.2%}')} | {f(r.get('gap_vs_full_lp'), '{:.2%}')} "
            f"| {f(r.get('load_before'), '{:.1f}')} / {f(r.get('load_after'), '{:.1f}')} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    import sys

    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["acceptance"]:  # the big hand-made city (benchmarks/pricing_acceptance.py)
        from .pricing_acceptance import main as acceptance

        return acceptance(argv[1:])
    ap = argparse.ArgumentParser(prog="python -m benchmarks.pricing", description=__doc__)
    ap.add_argument("--sizes", default="15000,40000")
    ap.add_argument("--ks", default="auto,10,5")
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--cache", default=str(DEFAULT_OUT / "cache"))
    ap.add_argument("--out", default=str(DEFAULT_OUT / "pricing"))
    args = ap.parse_args(argv)
    ks = [None if k == "auto" else int(k) for k in args.ks.split(",")]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []
    for staff in (int(s) for s in args.sizes.split(",")):
        rows += measure(staff, ks, args.time_limit, args.workers, Path(args.cache))
        (out / "pricing.json").write_text(
            json.dumps({"machine": machine(), "rows": rows}, indent=1)
        )
        md = table(rows)
        (out / "pricing.md").write_text(md + "\n")
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
