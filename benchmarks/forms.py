"""Forms of rotation: the same district planned without and with part-time service and
guidance (``[forms]``), in one run (so the two share the machine's load).

    python -m benchmarks.forms --sizes 1000,3000 --time-limit 90

For each size (``outer-suburb`` profile, seed 0, schools = staff / 75) both plans use
the contract's quotas, balance ``pe_art_per_100`` and ``key_per_100`` by ``cv``, and
the same time limit; the second switches on ``part_time`` and ``guidance``. Printed per
row: status, objective, the model's variables and constraints, the shares and their
teacher-equivalents, the PE/art and key coefficients (primary) after, seconds, and
whether the validator passes; then the ratios forms / none of objective, constraints and
seconds. Timings on a shared machine are noisy: read the ratios.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

from solver.generate import write_generated
from solver.input.loaders import load_district
from solver.input.scenario import parse_scenario
from solver.output.plan_folder import schools_table, side
from solver.rules.indicators import coefficients
from solver.search.solve import solve
from solver.validate import validate_plan


def _scenario(forms: dict, time_limit: float, workers: int):
    return parse_scenario(
        {
            "scenario": {"name": "forms-bench", "as_of": dt.date(2025, 9, 1), "data": "."},
            "balance": {"indicator": ["pe_art_per_100", "key_per_100"]},
            "forms": forms,
            "solver": {"time_limit_s": time_limit, "workers": workers},
        }
    )


def run(sizes: list[int], time_limit: float, workers: int) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            folder = Path(tmp) / f"d{n}"
            write_generated("outer-suburb", folder, seed=0, schools=max(2, round(n / 75)), staff=n)
            d = load_district(folder, as_of=dt.date(2025, 9, 1))
            for name, forms in (("none", {}), ("forms", {"part_time": True, "guidance": True})):
                sc = _scenario(forms, time_limit, workers)
                t = time.perf_counter()
                res = solve(d, sc, raise_on_failure=False)
                seconds = time.perf_counter() - t
                row = {"staff": n, "forms": name, "status": res.status.value, "seconds": seconds}
                if res.status.has_plan:
                    shares = res.part_time if sc.forms.shares else None
                    cv = coefficients(d, side(schools_table(d, res.assignments, shares), "after"))
                    row.update(
                        objective=res.objective,
                        variables=res.stats.get("variables"),
                        constraints=res.stats.get("constraints"),
                        shares=len(res.part_time),
                        equivalents=float(res.part_time["share"].sum()),
                        cv_pe_art=cv["pe_art_per_100"]["primary"],
                        cv_key=cv["key_per_100"]["primary"],
                        valid=not validate_plan(d, sc, res.assignments, part_time=res.part_time),
                    )
                rows.append(row)
    return rows


def _table(rows: list[dict]) -> str:
    cols = [
        "staff",
        "forms",
        "status",
        "objective",
        "variables",
        "constraints",
        "shares",
        "equivalents",
        "cv_pe_art",
        "cv_key",
        "seconds",
        "valid",
    ]

    def cell(v):
        return f"{v:.4f}" if isinstance(v, float) else ("" if v is None else str(v))

    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(cell(r.get(c)) for c in cols) + " |" for r in rows]
    by = {(r["staff"], r["forms"]): r for r in rows}
    for n in dict.fromkeys(r["staff"] for r in rows):
        a, b = by.get((n, "none"), {}), by.get((n, "forms"), {})
        if "objective" in a and "objective" in b:
            lines.append(
                f"\n{n} staff: forms / none: objective {b['objective'] / a['objective']:.3f}, "
                f"constraints {b['constraints'] / a['constraints']:.2f}, seconds "
                f"{b['seconds'] / a['seconds']:.2f}"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,3000")
    ap.add_argument("--time-limit", type=float, default=90.0)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    rows = run([int(s) for s in args.sizes.split(",")], args.time_limit, args.workers)
    print(_table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
