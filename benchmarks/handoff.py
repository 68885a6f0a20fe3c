"""What writing ``plan.xlsx`` and ``report.html`` adds to a plan folder.

``python -m benchmarks.handoff [--profile urban-core] [--staff 9000] [--schools 120]
[--seed 0] [--time-limit 60] [--repeats 2] [--out DIR]``

Generates the district, solves it once, then writes the plan folder ``--repeats``
times without and with the hand-on files (alternating, in the same process, so that
the machine's load hits both alike; the rules are those of ``scenarios/demo.toml``) and times the workbook and the report alone, in
English and Chinese. Prints a Markdown table (also written to ``DIR/handoff.md``):
seconds, the ratio to the plain plan write and to the solve, and the file sizes.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def measure(
    profile: str = "urban-core",
    staff: int = 9000,
    schools: int = 120,
    seed: int = 0,
    time_limit: float = 60.0,
    repeats: int = 2,
) -> dict[str, float]:
    """Seconds and sizes (see the module docstring); every plan passes the validator."""
    from solver.analysis.explain import explain_result
    from solver.generate import write_generated
    from solver.input.loaders import load_district
    from solver.input.scenario import parse_scenario
    from solver.output.plan_folder import write_plan
    from solver.output.plan_view import read_plan_view
    from solver.output.report import write_report
    from solver.output.workbook import write_workbook
    from solver.search.solve import solve
    from solver.validate import validate_plan

    tmp = Path(tempfile.mkdtemp(prefix="lungang-handoff-"))
    try:
        data = tmp / "data"
        write_generated(profile, data, seed=seed, schools=schools, staff=staff)
        # the bundled demo's rules on the generated district
        raw = tomllib.loads((ROOT / "scenarios" / "demo.toml").read_text(encoding="utf-8"))
        raw["scenario"].update(name="handoff", data=str(data))
        raw["solver"].update(time_limit_s=time_limit, workers=2, seed=seed)
        sc = parse_scenario(raw, file="benchmark")
        district = load_district(data, as_of=sc.as_of)
        t = time.perf_counter()
        result = solve(district, sc)
        out: dict[str, float] = {"solve_s": time.perf_counter() - t}
        assert validate_plan(district, sc, result.assignments) == []
        t = time.perf_counter()
        analysis = explain_result(district, sc, result)  # explain.json, as `lungang solve` does
        out["explain_s"] = time.perf_counter() - t
        plain, full = [], []
        for i in range(repeats):
            for handoff, times in ((False, plain), (True, full)):
                folder = tmp / f"plan-{handoff}-{i}"
                t = time.perf_counter()
                write_plan(district, sc, result, folder, explain=analysis, handoff=handoff)
                times.append(time.perf_counter() - t)
        out["write_plan_s"] = statistics.median(plain)
        out["write_plan_handoff_s"] = statistics.median(full)
        folder = tmp / f"plan-True-{repeats - 1}"
        view = read_plan_view(folder, district)
        for lang in ("en", "zh"):
            t = time.perf_counter()
            write_workbook(view, tmp / f"{lang}.xlsx", lang=lang)
            out[f"xlsx_{lang}_s"] = time.perf_counter() - t
            t = time.perf_counter()
            write_report(view, tmp / f"{lang}.html", lang=lang)
            out[f"html_{lang}_s"] = time.perf_counter() - t
        out["xlsx_bytes"] = (folder / "plan.xlsx").stat().st_size
        out["html_bytes"] = (folder / "report.html").stat().st_size
        out["eligible"] = len(result.assignments)
        out["moved"] = int(result.assignments["moved"].sum())
        return out
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def table(m: dict[str, float], args: argparse.Namespace) -> str:
    extra = m["write_plan_handoff_s"] - m["write_plan_s"]
    return "\n".join(
        [
            f"`{args.profile}`, {args.staff} staff, {args.schools} schools, seed {args.seed}, "
            f"time limit {args.time_limit:g} s, 2 workers; {int(m['eligible'])} eligible, "
            f"{int(m['moved'])} move; median of {args.repeats} writes.",
            "",
            "| step | seconds | ratio |",
            "|---|---|---|",
            f"| solve (baseline) | {m['solve_s']:.1f} | 1 |",
            f"| explain_result (explain.json's analysis) | {m['explain_s']:.1f} | "
            f"{m['explain_s'] / m['solve_s']:.3f} of the solve |",
            f"| write_plan without plan.xlsx / report.html | {m['write_plan_s']:.1f} | "
            f"{m['write_plan_s'] / m['solve_s']:.3f} of the solve |",
            f"| write_plan with both | {m['write_plan_handoff_s']:.1f} | "
            f"{m['write_plan_handoff_s'] / m['write_plan_s']:.2f} × the plain write |",
            f"| what the two add | {extra:.1f} | {extra / m['solve_s']:.3f} of the solve |",
            f"| plan.xlsx alone (en / zh) | {m['xlsx_en_s']:.2f} / {m['xlsx_zh_s']:.2f} | |",
            f"| report.html alone (en / zh) | {m['html_en_s']:.2f} / {m['html_zh_s']:.2f} | |",
            "",
            f"Sizes: plan.xlsx {m['xlsx_bytes'] / 1e6:.2f} MB, report.html "
            f"{m['html_bytes'] / 1e6:.2f} MB.",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.handoff", description=__doc__)
    p.add_argument("--profile", default="urban-core")
    p.add_argument("--staff", type=int, default=9000)
    p.add_argument("--schools", type=int, default=120)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--time-limit", type=float, default=60.0)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = p.parse_args(argv)
    m = measure(args.profile, args.staff, args.schools, args.seed, args.time_limit, args.repeats)
    md = table(m, args)
    print(md)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "handoff.md").write_text(md + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
