"""The benchmark harness: instances, one process per method, common scoring, tables.

``python -m benchmarks run`` (see :func:`main`) generates each instance once into a
cache folder, then for every instance runs every method in a fresh Python process
(``python -m benchmarks _child SPEC``), so that peak memory is the method's own and
a crash or a hang is contained. The parent then checks every plan with
:func:`solver.validate.validate_plan` and scores it with
:func:`solver.model.rotation.terms.evaluate_terms` under the benchmark scenario, whatever the
method optimised, and writes ``results.csv`` (after every method) and
``results.md`` (at the end).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import importlib.metadata
import json
import math
import os
import platform
import resource
import shlex
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "benchmarks" / "results"
PROFILE = "urban-core"
STAFF_PER_SCHOOL = 75
AS_OF = "2025-09-01"
#: Methods in the order they run: the LP bound first (the others are measured against
#: it), then the baselines, then lungang.
RUN_ORDER = ("lp-bound", "rule-based", "straightforward", "highs", "lungang", "lungang-k10")
GAP_TARGET = 0.01


# --------------------------------------------------------------------------- scenario


def benchmark_scenario(
    data: Path | str, time_limit_s: float, workers: int, seed: int = 0
) -> dict[str, Any]:
    """The benchmark scenario as a scenario-file dict (``solver.input.scenario.parse_scenario``)."""
    return {
        "scenario": {"name": "benchmark", "as_of": AS_OF, "data": str(data)},
        "quotas": {
            "teacher_rotation_min": 0.10,
            "key_share_of_rotated_min": 0.20,
            "school_outflow_max": 0.15,
        },
        "scope": {"teachers": "district", "principals": "district", "same_level": True},
        "commute": {"max_km": 12.0},
        "balance": {"indicator": "key_per_100", "objective": "cv"},
        "weights": {"balance": 100.0, "commute": 1.0, "moves": 0.0},
        "solver": {"time_limit_s": float(time_limit_s), "workers": int(workers), "seed": int(seed)},
    }


def schools_for(staff: int) -> int:
    """Schools of an instance: about one per 75 staff (200 for 15,000)."""
    return max(4, round(staff / STAFF_PER_SCHOOL))


def instance_dir(cache: Path, profile: str, staff: int, seed: int) -> Path:
    """The cached district of one size and seed, generated on first use."""
    from solver.generate import write_generated

    folder = cache / f"{profile}-{staff}-s{seed}"
    if not (folder / "staff.csv").is_file():
        write_generated(profile, folder, seed=seed, schools=schools_for(staff), staff=staff)
    return folder


# --------------------------------------------------------------------------- child


def _rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports KiB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024.0 if sys.platform != "darwin" else peak / 2**20


def child(spec_path: str) -> int:
    """Run one method on one instance (in its own process) and write its result."""
    from solver.input.loaders import load_district
    from solver.input.scenario import parse_scenario

    from . import baselines
    from .baselines import METHODS, Outcome

    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    scenario = parse_scenario(spec["scenario"])
    district = load_district(scenario.scenario.data, scenario.as_of)
    base_mb = _rss_mb()
    t0 = time.perf_counter()

    def clock() -> float:
        return time.perf_counter() - t0

    baselines.LP_TIME_LIMIT_S = spec.get("lp_time_limit") or baselines.LP_TIME_LIMIT_S
    try:
        out = METHODS[spec["method"]](district, scenario, clock)
    except Exception as exc:  # contained: the table says "error"
        out = Outcome("error", note=f"{type(exc).__name__}: {exc}"[:300])
        traceback.print_exc()
    total = clock()
    peak_mb = _rss_mb()
    extra = dict(out.extra)
    if out.post is not None:
        try:
            extra.update(out.post())
        except Exception as exc:  # the extra LP is not part of the method
            extra["post_error"] = f"{type(exc).__name__}: {exc}"[:200]
    if out.assignments is not None:
        out.assignments.rename_axis("staff_id").to_csv(spec["plan"], encoding="utf-8")
    result = {
        "method": spec["method"],
        "status": out.status,
        "has_plan": out.assignments is not None,
        "own_kind": out.own_kind,
        "own_bound": out.own_bound,
        "build_seconds": out.build_seconds,
        "solve_seconds": out.solve_seconds,
        "total_seconds": total,
        "base_mb": base_mb,
        "peak_mb": peak_mb,
        "trace": out.trace,
        "extra": extra,
        "note": out.note,
    }
    Path(spec["result"]).write_text(json.dumps(result, default=_jsonable), encoding="utf-8")
    return 0


def _jsonable(v):
    if isinstance(v, np.generic):
        return v.item()
    raise TypeError(type(v))


def _limit_memory(gb: float | None):
    """A ``preexec_fn`` capping the child's address space (a runaway model fails alone)."""
    if not gb:
        return None

    def cap() -> None:
        limit = int(gb * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return cap


def _launch(
    spec: dict[str, Any], folder: Path, timeout_s: float, mem_gb: float | None = None
) -> dict[str, Any]:
    """Run one method in a child process; a crash or a hang becomes a result too."""
    folder.mkdir(parents=True, exist_ok=True)
    name = spec["method"]
    spec = {
        **spec,
        "plan": str(folder / f"{name}.plan.csv"),
        "result": str(folder / f"{name}.json"),
    }
    for f in (spec["plan"], spec["result"]):
        Path(f).unlink(missing_ok=True)
    spec_path = folder / f"{name}.spec.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    log = folder / f"{name}.log"
    t = time.perf_counter()
    with log.open("w", encoding="utf-8") as err:
        try:
            proc = subprocess.run(
                [sys.executable, "-m", "benchmarks", "_child", str(spec_path)],
                cwd=ROOT,
                env=env,
                stdout=err,
                stderr=subprocess.STDOUT,
                timeout=timeout_s,
                preexec_fn=_limit_memory(mem_gb),
            )
            code = proc.returncode
        except subprocess.TimeoutExpired:
            code = None
    wall = time.perf_counter() - t
    result_path = Path(spec["result"])
    if result_path.is_file():
        res = json.loads(result_path.read_text(encoding="utf-8"))
    else:
        tail = [
            ln
            for ln in log.read_text(encoding="utf-8", errors="replace").splitlines()
            if ln.strip()
        ][-1:]
        text = log.read_text(encoding="utf-8", errors="replace")
        oom = code in (-9, 137) or "MemoryError" in text or "bad_alloc" in text
        status = (
            "killed (timeout)"
            if code is None
            else ("crashed (out of memory)" if oom else f"crashed (exit {code})")
        )
        res = {
            "method": name,
            "status": status,
            "has_plan": False,
            "own_kind": "none",
            "own_bound": None,
            "build_seconds": None,
            "solve_seconds": None,
            "total_seconds": wall,
            "peak_mb": None,
            "base_mb": None,
            "trace": [],
            "extra": {},
            "note": tail[0][:200] if tail else "",
        }
    res["plan_path"] = spec["plan"] if res.get("has_plan") else None
    return res


# --------------------------------------------------------------------------- scoring


@dataclasses.dataclass
class Instance:
    """One generated district and what the parent knows about it."""

    name: str
    staff: int
    schools: int
    seed: int
    folder: Path
    scenario_raw: dict[str, Any]
    district: Any = None
    scenario: Any = None
    eligible: int = 0

    def load(self) -> None:
        from solver.input.loaders import load_district
        from solver.input.scenario import parse_scenario
        from solver.rules.eligibility import eligibility

        self.scenario = parse_scenario(self.scenario_raw)
        self.district = load_district(self.folder, self.scenario.as_of)
        self.eligible = int(eligibility(self.district, self.scenario)["eligible"].sum())


def read_plan(path: str | Path) -> pd.DataFrame:
    """An assignments table written by a child, with ``moved`` as bool."""
    a = pd.read_csv(path, dtype=str, keep_default_na=False).set_index("staff_id")
    a["moved"] = a["moved"].str.strip().str.lower().isin(("true", "1"))
    return a


def score_plan(inst: Instance, assignments: pd.DataFrame) -> dict[str, Any]:
    """Validity and the common figures of a plan, computed from the plan alone."""
    from solver.model.terms import evaluate_terms, objective_value
    from solver.plan.plan import Plan
    from solver.rules.indicators import coefficients, school_indicators
    from solver.validate import validate_plan

    from .baselines import variant

    d, sc = inst.district, inst.scenario
    violations = validate_plan(d, sc, assignments)
    # the plan alone: its schools, with distances from each mover's home
    plan = Plan.of(d, assignments).with_home_distances()
    after, pos, km, moved = plan.school_of, plan.school_pos, plan.distance_km, plan.moved
    terms = evaluate_terms(d, sc, pos, km, moved)
    minmax = evaluate_terms(d, variant(sc, objective="minmax"), pos, km, moved)
    before_cv = coefficients(d, school_indicators(d))["key_per_100"]
    after_cv = coefficients(d, school_indicators(d, after))["key_per_100"]
    return {
        "valid": not violations,
        "violations": ";".join(sorted({v.rule for v in violations})),
        "n_violations": len(violations),
        "objective": objective_value(sc, terms),
        "objective_minmax": objective_value(variant(sc, objective="minmax"), minmax),
        "balance": terms["balance"],
        "commute_km": terms["commute"],
        "moves": int(terms["moves"]),
        "cv_primary_before": before_cv["primary"],
        "cv_primary_after": after_cv["primary"],
        "cv_junior_before": before_cv["junior"],
        "cv_junior_after": after_cv["junior"],
    }


def _num(v) -> float:
    return float("nan") if v is None else float(v)


def make_row(inst: Instance, res: dict[str, Any], lp_cv: float | None) -> dict[str, Any]:
    """One table row: the method's figures, the plan's common scores, bound and gap."""
    extra = res.get("extra") or {}
    row: dict[str, Any] = {
        "instance": inst.name,
        "profile": inst.name.rsplit("-", 2)[0],
        "staff": inst.staff,
        "schools": inst.schools,
        "seed": inst.seed,
        "eligible": inst.eligible,
        "method": res["method"],
        "status": res["status"],
        "own_kind": res.get("own_kind"),
        "candidate_moves": extra.get("candidate_moves"),
    }
    score: dict[str, Any] = {}
    if res.get("plan_path"):
        score = score_plan(inst, read_plan(res["plan_path"]))
    row.update(score)
    row["valid"] = ("yes" if score["valid"] else "invalid") if score else "no plan"
    kind = res.get("own_kind")
    own_obj = score.get("objective_minmax") if kind == "minmax" else score.get("objective")
    if own_obj is not None and extra.get("model_objective") is not None:
        # the solver's value of its plan, in the same integer scaling as its bound
        own_obj = float(extra["model_objective"])
    if res["method"] == "lp-bound":
        own_obj = None
    # The best proven bound on the method's own objective: its own (when it bounds the
    # whole problem) or the LP relaxation of the same objective, whichever is higher.
    lp_own = extra.get("own_lp_bound") if kind == "minmax" else lp_cv
    bounds = [b for b in (res.get("own_bound"), lp_own) if b is not None and math.isfinite(b)]
    best = max(bounds) if bounds else None
    row["own_objective"] = own_obj
    row["own_bound"] = res.get("own_bound")
    row["lp_bound"] = lp_own
    row["bound"] = best
    gap = None
    if own_obj is not None and best is not None:
        gap = max(0.0, (own_obj - best) / max(abs(own_obj), 1e-9))
    row["gap"] = gap
    row["t_1pct_s"] = _time_to_gap(res, own_obj, best)
    for k in ("build_seconds", "solve_seconds", "total_seconds", "peak_mb", "base_mb"):
        row[k] = res.get(k)
    row["note"] = res.get("note", "")
    return row


def _time_to_gap(res: dict[str, Any], final_obj: float | None, bound: float | None) -> float | None:
    """First time a plan within 1% of ``bound`` was found (the trace, then the end)."""
    if bound is None or final_obj is None:
        return None
    points = [(float(t), float(v)) for t, v in res.get("trace") or []]
    points.append((_num(res.get("total_seconds")), final_obj))
    for t, v in points:
        if (v - bound) / max(abs(v), 1e-9) <= GAP_TARGET + 1e-12:
            return t
    return None


def add_ratios(rows: list[dict[str, Any]]) -> None:
    """Objective ÷ the rule-based and the straightforward objective (same instance)."""
    for base, col in (("rule-based", "vs_rule"), ("straightforward", "vs_straightforward")):
        ref = {
            r["instance"]: r.get("objective")
            for r in rows
            if r["method"] == base and r.get("valid") == "yes"
        }
        for r in rows:
            b = ref.get(r["instance"])
            r[col] = (r["objective"] / b) if (b and r.get("objective") is not None) else None


def bound_warnings(rows: list[dict[str, Any]]) -> list[str]:
    """Sanity: no bound on the benchmark objective may exceed a valid plan's objective."""
    out = []
    for inst in dict.fromkeys(r["instance"] for r in rows):
        mine = [r for r in rows if r["instance"] == inst]
        plans = [r["objective"] for r in mine if r.get("valid") == "yes"]
        if not plans:
            continue
        best_plan = min(plans)
        for r in mine:
            b = r.get("bound")
            # 1e-4 relative: the models count balance in 1e-6 units and commute in metres
            if (
                r.get("own_kind") in ("cv", "none")
                and b is not None
                and b > best_plan * (1 + 1e-4) + 1e-6
            ):
                out.append(
                    f"{inst}: {r['method']} bound {b:.4f} exceeds the best valid plan {best_plan:.4f}"
                )
    return out


def fit_exponents(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Per method with at least 3 sizes: slope of log(cost) on log(staff), least squares.

    Costs: build + solve seconds, seconds to the first plan within 1% of the bound
    (``t_1pct_s``, the honest time cost of a method that runs to its time limit),
    build seconds and peak memory. A cost missing at some size is fitted over the
    sizes that have it, if there are still 3."""
    frame = pd.DataFrame(rows)
    out = []
    if frame.empty:
        return pd.DataFrame(out)
    for method, g in frame.groupby("method", sort=False):
        g = g[pd.to_numeric(g["total_seconds"], errors="coerce") > 0]
        g = g[g["status"].isin(["optimal", "feasible", "bound", "quota short"])]
        g = g.assign(t1=pd.to_numeric(g.get("t_1pct_s"), errors="coerce"))
        by = g.groupby("staff").agg(
            total=("total_seconds", "mean"),
            build=("build_seconds", "mean"),
            mem=("peak_mb", "mean"),
            t1=("t1", "mean"),
        )
        if len(by) < 3:
            continue
        x = np.log(by.index.to_numpy(dtype=float))
        fit = {"method": method, "sizes": ",".join(str(s) for s in by.index)}
        for col in ("total", "t1", "build", "mem"):
            y = pd.to_numeric(by[col], errors="coerce").to_numpy(dtype=float)
            ok = y > 0
            fit[f"{col}_exponent"] = (
                float(np.polyfit(x[ok], np.log(y[ok]), 1)[0]) if ok.sum() >= 3 else None
            )
        out.append(fit)
    return pd.DataFrame(out)


def exponent_table(exps: pd.DataFrame) -> list[str]:
    """Markdown lines of the cost exponents from :func:`fit_exponents`."""
    lines = [
        "| method | sizes | build+solve s | to 1% gap s | build s | peak memory |",
        "|---|---|---|---|---|---|",
    ]
    for e in exps.to_dict("records"):
        lines.append(
            f"| {e['method']} | {e['sizes']} | {_f(e['total_exponent'])} | {_f(e['t1_exponent'])} | "
            f"{_f(e['build_exponent'])} | {_f(e['mem_exponent'])} |"
        )
    return lines


# --------------------------------------------------------------------------- tables

COLUMNS = (
    "instance",
    "profile",
    "staff",
    "schools",
    "seed",
    "eligible",
    "candidate_moves",
    "method",
    "status",
    "valid",
    "violations",
    "n_violations",
    "objective",
    "vs_rule",
    "vs_straightforward",
    "balance",
    "commute_km",
    "moves",
    "own_kind",
    "own_objective",
    "own_bound",
    "lp_bound",
    "bound",
    "gap",
    "t_1pct_s",
    "build_seconds",
    "solve_seconds",
    "total_seconds",
    "peak_mb",
    "base_mb",
    "cv_primary_before",
    "cv_primary_after",
    "cv_junior_before",
    "cv_junior_after",
    "objective_minmax",
    "note",
)


def _f(v, fmt: str = "{:.2f}", blank: str = "") -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return blank
    return fmt.format(v)


def _change(r: dict[str, Any], before: str, after: str) -> str:
    if r.get(after) is None or pd.isna(r.get(after)):
        return ""
    return f"{_f(r.get(before), '{:.3f}')}→{_f(r.get(after), '{:.3f}')}"


def markdown_table(rows: list[dict[str, Any]]) -> str:
    """The results as a Markdown table (one row per instance and method)."""
    head = (
        "| staff | method | status | valid | objective | ÷ rule | ÷ straight | own obj. | bound | gap | t ≤1% s "
        "| build s | solve s | peak MB | CV prim. before→after | CV jun. before→after | moves | km |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        method = r["method"] + (" (minmax)" if r.get("own_kind") == "minmax" else "")
        valid = r.get("valid", "")
        if valid == "invalid":
            valid = f"invalid: {r.get('violations', '')}"
        lines.append(
            "| "
            + " | ".join(
                [
                    f"{r['staff']:,}",
                    method,
                    str(r["status"]),
                    valid,
                    _f(r.get("objective")),
                    _f(r.get("vs_rule")),
                    _f(r.get("vs_straightforward")),
                    _f(r.get("own_objective"))
                    if r.get("own_kind") == "minmax"
                    else ("=" if r.get("own_objective") is not None else ""),
                    _f(r.get("bound")),
                    _f(r.get("gap"), "{:.2%}"),
                    _f(r.get("t_1pct_s"), "{:.1f}"),
                    _f(r.get("build_seconds"), "{:.1f}"),
                    _f(r.get("solve_seconds"), "{:.1f}"),
                    _f(r.get("peak_mb"), "{:.0f}"),
                    _change(r, "cv_primary_before", "cv_primary_after"),
                    _change(r, "cv_junior_before", "cv_junior_after"),
                    _f(r.get("moves"), "{:.0f}"),
                    _f(r.get("commute_km"), "{:.0f}"),
                ]
            )
            + " |"
        )
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    ram = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass

    def version(pkg: str) -> str:
        try:
            return importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            return "missing"

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        commit = (
            subprocess.run(
                ["git", "describe", "--always", "--dirty"],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=10,
            ).stdout.strip()
            or None
        )
    except (OSError, subprocess.SubprocessError):
        commit = None
    return {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "commit": commit,
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "ram_gb": ram,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "ortools": version("ortools"),
        "highspy": version("highspy"),
        "numpy": version("numpy"),
        "pandas": version("pandas"),
        "load_average": [round(x, 2) for x in os.getloadavg()]
        if hasattr(os, "getloadavg")
        else None,
    }


def protocol_md(
    args: argparse.Namespace,
    insts: list[Instance],
    info: dict[str, Any],
    scenario_raw: dict,
    rows: list[dict[str, Any]],
) -> str:
    """The protocol header of results.md: command, machine, scenario, instances."""
    sc = {k: v for k, v in scenario_raw.items() if k != "scenario"}
    pairs = {}
    for (
        r
    ) in rows:  # candidate moves of the full model, as the bound or the naive model counted them
        if r["method"] in ("lp-bound", "straightforward", "highs") and r.get("candidate_moves"):
            pairs.setdefault(r["instance"], int(r["candidate_moves"]))
    inst_lines = "\n".join(
        f"| {i.name} | {i.staff:,} | {i.schools} | {i.seed} | {i.eligible:,} | "
        f"{_f(pairs.get(i.name), '{:,}')} |"
        for i in insts
    )
    return f"""# lungang benchmark results

Command: `{args.command_line}`

- Date: {info["date"]}; code: `{info["commit"]}`; machine: {info["cpus"]} CPUs ({info["cpu"]}), {info["ram_gb"]} GB RAM,
  {info["platform"]}; load average at start {info["load_average"]}.
- Python {info["python"]}, OR-Tools {info["ortools"]}, highspy {info["highspy"]},
  numpy {info["numpy"]}, pandas {info["pandas"]}.
- Time limit {args.time_limit:g} s per method (search only; model build not counted), {args.workers}
  worker(s); seeds {args.seeds}; every method in its own process, one after another. LP
  relaxations (the bounds): {args.lp_time_limit:g} s.
- Scenario (as_of {AS_OF}): `{json.dumps(sc)}`

| instance | staff | schools | seed | eligible | candidate moves (≤ 12 km) |
|---|---|---|---|---|---|
{inst_lines}

Objective = 100·balance (`cv` of key teachers per 100 students) + commute km, computed
from each plan under the scenario above, whatever the method optimised. `bound` and
`gap` are on the method's own objective (the min-max one for methods marked
`(minmax)`): the higher of the method's own proven bound and the LP relaxation of the
same objective. `t ≤1%`: seconds from the method's start to its first plan within 1% of
that bound. See `benchmarks/README.md`.
"""


def write_outputs(out: Path, rows: list[dict[str, Any]], header: str | None = None) -> str:
    frame = pd.DataFrame(rows)
    cols = [c for c in COLUMNS if c in frame.columns]
    frame[cols].to_csv(out / "results.csv", index=False)
    table = markdown_table(rows)
    if header is None:
        return table
    exps = fit_exponents(rows)
    parts = [header, "## Results", "", table, ""]
    if len(exps):
        parts += [
            "## Cost growth (log-log least squares over staff)",
            "",
            *exponent_table(exps),
            "",
            "A method that stops at the time limit has a build+solve exponent near 0: its cost is "
            "the time to reach 1% of the bound.",
            "",
        ]
    warn = bound_warnings(rows)
    if warn:
        parts += ["## Warnings", "", *(f"- {w}" for w in warn), ""]
    notes = [f"- {r['instance']} {r['method']}: {r['note']}" for r in rows if r.get("note")]
    if notes:
        parts += ["## Notes", "", *notes, ""]
    (out / "results.md").write_text("\n".join(parts), encoding="utf-8")
    return "\n".join(parts[parts.index("## Results") :])


def table_from_csv(paths: list[str]) -> str:
    """The Markdown table and cost exponents of one or more ``results.csv``."""
    frame = pd.concat(
        [pd.read_csv(p, keep_default_na=False, na_values=[""]) for p in paths], ignore_index=True
    )
    rows = [
        {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
        for r in frame.to_dict("records")
    ]
    parts = [markdown_table(rows)]
    exps = fit_exponents(rows)
    if len(exps):
        parts += ["", *exponent_table(exps)]
    return "\n".join(parts)


# --------------------------------------------------------------------------- command


def _ints(text: str) -> list[int]:
    return [int(x) for x in str(text).replace(" ", "").split(",") if x]


def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Run the benchmark described by ``args``; returns the rows of the table."""
    from .baselines import METHODS

    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise SystemExit(
            f"unknown method(s) {', '.join(unknown)}; choose from {', '.join(METHODS)}"
        )
    order = [m for m in RUN_ORDER if m in methods]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cache = Path(args.cache)
    info = machine()
    say = (lambda _m: None) if args.quiet else (lambda m: print(m, file=sys.stderr, flush=True))
    insts: list[Instance] = []
    for staff in _ints(args.sizes):
        for seed in _ints(args.seeds):
            folder = instance_dir(cache, args.profile, staff, seed)
            raw = benchmark_scenario(folder, args.time_limit, args.workers, seed)
            inst = Instance(
                f"{args.profile}-{staff}-s{seed}", staff, schools_for(staff), seed, folder, raw
            )
            inst.load()
            insts.append(inst)
    scenario_raw = benchmark_scenario("<instance>", args.time_limit, args.workers, 0)
    (out / "scenario.json").write_text(
        json.dumps(
            {"scenario": scenario_raw, "machine": info, "command": args.command_line}, indent=2
        ),
        encoding="utf-8",
    )
    rows: list[dict[str, Any]] = []
    timeout = args.timeout or (4 * args.time_limit + args.lp_time_limit + 300)
    for inst in insts:
        lp_cv = None
        inst_rows = []
        for method in order:
            say(f"[{inst.name}] {method} ...")
            spec = {
                "method": method,
                "scenario": inst.scenario_raw,
                "lp_time_limit": args.lp_time_limit,
            }
            res = _launch(spec, out / "runs" / inst.name, timeout, args.mem_limit)
            if method == "lp-bound":
                lp_cv = res.get("own_bound")
            row = make_row(inst, res, lp_cv)
            inst_rows.append(row)
            say(
                f"[{inst.name}] {method}: {row['status']}, valid {row['valid']}, objective "
                f"{_f(row.get('objective'), '{:.3f}', '-')}, gap {_f(row.get('gap'), '{:.1%}', '-')}, "
                f"{_f(row.get('total_seconds'), '{:.1f}', '-')} s, {_f(row.get('peak_mb'), '{:.0f}', '-')} MB"
            )
            rows_now = rows + sorted(inst_rows, key=lambda r: list(METHODS).index(r["method"]))
            add_ratios(rows_now)
            write_outputs(out, rows_now)
        rows += sorted(inst_rows, key=lambda r: list(METHODS).index(r["method"]))
    add_ratios(rows)
    text = write_outputs(out, rows, protocol_md(args, insts, info, scenario_raw, rows))
    print(text)
    return rows


def parser() -> argparse.ArgumentParser:
    from .baselines import METHODS

    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser(
        "run", help="generate instances, run every method, write results.csv and results.md"
    )
    r.add_argument(
        "--sizes", default="1000,5000,15000,40000", help="staff per instance, comma-separated"
    )
    r.add_argument("--time-limit", type=float, default=60.0, help="seconds of search per method")
    r.add_argument(
        "--lp-time-limit",
        type=float,
        default=300.0,
        help="seconds for the LP relaxations that every gap is measured against (default 300)",
    )
    r.add_argument("--workers", type=int, default=2, help="CP-SAT workers (HiGHS threads)")
    r.add_argument(
        "--seeds", default="0", help="instance seeds, comma-separated (also CP-SAT's seed)"
    )
    r.add_argument(
        "--methods", default=",".join(METHODS), help=f"comma-separated, of {', '.join(METHODS)}"
    )
    r.add_argument("--profile", default=PROFILE, help="generator profile (default urban-core)")
    r.add_argument(
        "--out", default=str(DEFAULT_OUT), help="results folder (default benchmarks/results)"
    )
    r.add_argument(
        "--cache",
        default=str(DEFAULT_OUT / "cache"),
        help="instance cache (default benchmarks/results/cache)",
    )
    r.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="kill a method's process after this many seconds (default 4·time limit + LP limit + 300)",
    )
    r.add_argument(
        "--mem-limit",
        type=float,
        default=12.0,
        help="address-space cap of each method's process in GB (0: none; default 12)",
    )
    r.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    t = sub.add_parser(
        "table", help="print the Markdown table (and cost exponents) of results.csv files"
    )
    t.add_argument("csv", nargs="+", help="results.csv files (rows are concatenated)")
    c = sub.add_parser("_child", help=argparse.SUPPRESS)
    c.add_argument("spec")
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parser().parse_args(argv)
    if args.cmd == "_child":
        return child(args.spec)
    if args.cmd == "table":
        print(table_from_csv(args.csv))
        return 0
    args.command_line = "python -m benchmarks " + " ".join(shlex.quote(a) for a in argv)
    run(args)
    return 0
