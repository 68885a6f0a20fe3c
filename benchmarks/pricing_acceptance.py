"""Acceptance of the bound on a big hand-made city: ``python -m benchmarks.pricing
acceptance [--time-limit S] [--full-time-limit S] [--workers N] [--out DIR]``.

Lujiang city (tests/data/lujiang/README.md: 119 schools, 11,126 staff, written by hand,
not by ``solver.generate``) has well over 200,000 candidate moves, so ``lungang solve``
with ``max_candidates`` unset keeps each teacher's nearest schools and prices the
others back in. The command

1. builds the city into ``DIR/district`` (``tests/data/lujiang/build.py``) and counts
   its permitted moves with the package's own rules
   (:func:`solver.rules.moves.permitted_moves`);
2. runs ``lungang solve`` (the console script, in its own process) on the city's
   scenario with ``--time-limit S`` (default 60): the *pruned* solve;
3. runs ``lungang solve`` on the same scenario with ``max_candidates = 0`` and
   ``--time-limit`` the full time limit (default 600): the *full* solve, whose plan is
   a valid plan of the problem as written;
4. checks both plans with ``lungang validate``;
5. prints and checks: the permitted and kept candidate moves, the pruned solve's
   ``summary.json`` ``bound_scope`` (``full_lp`` or ``lagrangian``: a bound of the
   problem as written) and ``best_bound``, both objectives, and
   ``best_bound ≤`` the full solve's objective and its own (to 1e-9 relative).

It writes ``acceptance.json`` (figures, checks, machine, load) under ``--out``
(default ``benchmarks/results/pricing_acceptance/``) and exits 0 when every check
passes, 1 otherwise. The plan folders stay in ``DIR/pruned`` and ``DIR/full``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from .run import DEFAULT_OUT, ROOT, machine

#: The builder of the hand-made city.
BUILDER = ROOT / "tests" / "data" / "lujiang" / "build.py"
#: Relative slack of ``best_bound ≤ objective`` (the objectives are rounded to 1e-8 units).
REL_TOL = 1e-9


def build_city(folder: Path) -> Path:
    """Write Lujiang city into ``folder``; return its scenario's path."""
    spec = importlib.util.spec_from_file_location("lujiang_build", BUILDER)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.write(folder)


def _lungang() -> list[str]:
    """The ``lungang`` console script of this environment (or its entry point)."""
    script = Path(sys.executable).with_name("lungang")
    if script.is_file():
        return [str(script)]
    found = shutil.which("lungang")
    if found:
        return [found]
    return [sys.executable, "-c", "from solver.cli import entry; entry()"]


def _run(args: list[str], log: Path) -> tuple[int, float]:
    """Run ``lungang ARGS`` with its output to ``log``: (exit code, seconds)."""
    t = time.perf_counter()
    with open(log, "w", encoding="utf-8") as f:
        code = subprocess.run(_lungang() + args, stdout=f, stderr=subprocess.STDOUT).returncode
    return code, time.perf_counter() - t


def _solve(scenario: Path, out: Path, time_limit: float, workers: int) -> dict:
    """``lungang solve`` then ``lungang validate``: its summary.json and what happened."""
    if out.exists():
        shutil.rmtree(out)
    log = out.with_suffix(".log")
    code, seconds = _run(
        [
            "solve",
            str(scenario),
            "--out",
            str(out),
            "--time-limit",
            str(time_limit),
            "--workers",
            str(workers),
        ],
        log,
    )
    row: dict = {"exit": code, "wall_s": round(seconds, 1), "log": str(log)}
    if code != 0:
        print(log.read_text(encoding="utf-8")[-3000:], flush=True)
        return row
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    vcode, _ = _run(["validate", str(scenario), str(out)], out.with_suffix(".validate.log"))
    stats = summary.get("stats", {})
    # the LP bound the search printed (before it is capped at the plan's objective)
    lp = re.search(
        r"LP bound (?:of every permitted move )?([-0-9.]+)", log.read_text(encoding="utf-8")
    )
    row.update(
        status=summary.get("status"),
        objective=summary.get("objective"),
        best_bound=summary.get("best_bound"),
        bound_scope=summary.get("bound_scope"),
        gap=summary.get("gap"),
        searched=int(stats.get("candidate_moves", -1)),
        candidates_per_teacher=int(stats.get("candidates_per_teacher", -1)),
        valid=vcode == 0,
        lp_bound_printed=float(lp.group(1)) if lp else None,
    )
    return row


def acceptance(time_limit: float, full_time_limit: float, workers: int, out: Path) -> bool:
    """Build, solve twice, validate and check (see the module docstring); ``True`` when
    every check passes."""
    from solver.input.loaders import load_district
    from solver.input.scenario import load_scenario
    from solver.model.rotation import RotationModel
    from solver.rules.moves import permitted_moves

    out.mkdir(parents=True, exist_ok=True)
    folder = out / "district"
    scenario = build_city(folder)
    sc = load_scenario(scenario)
    d = load_district(folder, as_of=sc.as_of)
    permitted = int(permitted_moves(d, sc).ok.sum())
    # the moves the pruned solve's model keeps (the package's own choice of k)
    kept_model = RotationModel(d, sc)
    kept = {
        "n_permitted": kept_model.n_permitted,
        "kept": len(kept_model.pairs),
        "k": kept_model.candidates_limit,
    }
    del d, kept_model
    # the same scenario with every permitted move kept
    text = scenario.read_text(encoding="utf-8")
    full_scenario = folder / "scenario_full.toml"
    full_scenario.write_text(
        text.replace("[solver]\n", "[solver]\nmax_candidates = 0\n", 1), encoding="utf-8"
    )
    print(
        f"== pricing acceptance: Lujiang city, {sc.name}: {permitted:,} permitted moves; "
        f"solve --time-limit {time_limit:g}, full solve (max_candidates = 0) "
        f"--time-limit {full_time_limit:g}, --workers {workers}, "
        f"load {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    pruned = _solve(scenario, out / "pruned", time_limit, workers)
    print(f"   pruned solve: {json.dumps(pruned)}", flush=True)
    full = _solve(full_scenario, out / "full", full_time_limit, workers)
    print(f"   full solve:   {json.dumps(full)}", flush=True)

    def num(v) -> str:
        return "–" if v is None else f"{float(v):.4f}"

    ok_pruned = pruned.get("exit") == 0
    ok_full = full.get("exit") == 0
    bound = pruned.get("best_bound")

    def below(objective) -> bool:
        return (
            bound is not None
            and objective is not None
            and bound <= objective + REL_TOL * abs(objective)
        )

    checks = {
        "more than 200,000 permitted moves": permitted > 200_000,
        "both solves wrote a plan": ok_pruned and ok_full,
        "both plans pass lungang validate": bool(pruned.get("valid")) and bool(full.get("valid")),
        "the model counts the same permitted moves": kept["n_permitted"] == permitted,
        "the solve pruned (kept fewer moves than permitted)": kept["kept"] < permitted
        and ok_pruned
        and pruned["candidates_per_teacher"] == kept["k"] > 0,
        "the full solve kept every permitted move": ok_full and full["candidates_per_teacher"] == 0,
        "summary.json has a bound_scope of the problem as written (full_lp or lagrangian)": (
            pruned.get("bound_scope") in ("full_lp", "lagrangian")
        ),
        "best_bound <= the full solve's objective": below(full.get("objective")),
        "best_bound <= its own objective": below(pruned.get("objective")),
    }
    print(
        f"   permitted {permitted:,} (the model: {kept['n_permitted']:,}); kept "
        f"{kept['kept']:,} ({kept['k']} nearest schools per teacher, cadres every school); "
        f"searched by CP-SAT {pruned.get('searched', 0):,} (pruned), "
        f"{full.get('searched', 0):,} (full); "
        f"bound_scope {pruned.get('bound_scope')}, best_bound {num(bound)}; "
        f"objective {num(pruned.get('objective'))} (pruned, {pruned.get('status')}), "
        f"{num(full.get('objective'))} (full, {full.get('status')}, its own bound "
        f"{num(full.get('best_bound'))} {full.get('bound_scope')})",
        flush=True,
    )
    if ok_full and bound is not None and full.get("objective"):
        print(
            f"   the full plan's gap to best_bound: "
            f"{(full['objective'] - bound) / abs(full['objective']):.2e} (relative); the LP "
            f"bound the solves printed, in the model's rounded units (commute to the metre): "
            f"{pruned.get('lp_bound_printed')} (pruned), {full.get('lp_bound_printed')} (full)",
            flush=True,
        )
    for name, ok in checks.items():
        print(f"   {'ok ' if ok else 'FAIL'} {name}", flush=True)
    report = {
        "machine": machine(),
        "time_limit": time_limit,
        "full_time_limit": full_time_limit,
        "workers": workers,
        "permitted": permitted,
        "model": kept,
        "pruned": pruned,
        "full": full,
        "checks": checks,
        "load_after": round(os.getloadavg()[0], 1),
    }
    tmp = out / "acceptance.json.tmp"
    tmp.write_text(json.dumps(report, indent=1), encoding="utf-8")
    tmp.replace(out / "acceptance.json")
    return all(checks.values())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks.pricing acceptance",
        description=__doc__.split("\n\n")[1],
    )
    ap.add_argument("--time-limit", type=float, default=60.0, help="the pruned solve's")
    ap.add_argument(
        "--full-time-limit", type=float, default=600.0, help="the max_candidates = 0 solve's"
    )
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", default=str(DEFAULT_OUT / "pricing_acceptance"))
    a = ap.parse_args(argv)
    return 0 if acceptance(a.time_limit, a.full_time_limit, a.workers, Path(a.out)) else 1


if __name__ == "__main__":
    raise SystemExit(main())
