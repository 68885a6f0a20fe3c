"""One district of a batch, as a Dask task: load, solve, write, and say how it went.

A :class:`Task` carries paths and plain data only (the resolved scenario and its data
path): CP-SAT models cannot be pickled, and building one holds the GIL, so each
worker process loads its district and builds its model itself. :func:`run_task`
never raises for a district's own trouble: bad input, an infeasible scenario or no
plan in time each come back as a row (:data:`STATUSES`).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import generate as generate_module
from ..analysis.explain import explain_result
from ..errors import ExitCode, InputError
from ..generate import cached_district_path
from ..input.data import District
from ..input.loaders import load_district
from ..input.scenario import Scenario, parse_scenario
from ..output.pipeline import horizon_budget, plan_budget, write_horizon_plan
from ..output.plan_folder import (
    write_atomically,
    write_diagnosis,
    write_file_atomically,
    write_json,
    write_plan,
)
from ..output.safety import is_lungang_folder
from ..plan.result import Result
from ..rules.indicators import coefficients, school_indicators
from ..search.horizon import plan_horizon
from ..search.solve import solve

#: Every status of a batch row, and the exit code of the contract it stands for.
STATUSES: dict[str, ExitCode] = {
    "optimal": ExitCode.OK,
    "feasible": ExitCode.OK,
    "infeasible": ExitCode.INFEASIBLE,
    "no_plan": ExitCode.NO_PLAN,
    "bad_input": ExitCode.BAD_INPUT,
    "crashed": ExitCode.UNEXPECTED,
    "error": ExitCode.UNEXPECTED,
}

#: The file in each district folder that ties it to its inputs (``--resume``).
STAMP = "batch.json"

#: Statuses whose folder ``--resume`` keeps: the same inputs give the same answer.
FINAL = ("optimal", "feasible", "infeasible")

#: Test-only hook: a folder; a task whose ``<folder>/<slug>.crash`` holds a count n > 0
#: writes n - 1 there and kills its own worker process (SIGKILL), as a crash of
#: OR-Tools would. Unset in normal use; documented in docs/batch.md.
CRASH_HOOK = "LUNGANG_BATCH_TEST_CRASH"

#: Hidden folder in the batch output with one marker per running task: who started it.
RUNNING = ".lungang-batch"


@dataclass(frozen=True)
class Task:
    """What a worker needs to plan one district: no model, no tables.

    ``scenario`` is the scenario as resolved (every default filled, ``data`` an
    absolute path), with ``[solver] workers`` already set to the task's threads.
    """

    name: str
    slug: str
    source: str
    scenario: dict[str, Any]
    out: str
    key: dict[str, str] = field(default_factory=dict)
    size: float = 1.0


def scenario_of(task: Task) -> Scenario:
    """The task's scenario, validated again on the worker (``data`` is absolute)."""
    sc = parse_scenario(task.scenario, file=task.source)
    return sc.model_copy(update={"source": Path(task.source)})


def _files_digest(path: Path) -> str:
    h = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.iterdir() if p.is_file())
    for f in files:
        if f.name.startswith("."):
            continue
        h.update(f.name.encode() + b"\0")
        with f.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def input_key(sc: Scenario) -> dict[str, str]:
    """Hashes of the scenario as resolved and of its data: equal keys, equal inputs.

    A data folder (or workbook) is hashed by content; a generated district by its
    profile keys (in the scenario) and the generator's version (in the cache name).
    """
    scenario = json.dumps(sc.resolved(), sort_keys=True, ensure_ascii=False).encode()
    data = sc.scenario.data
    if data is not None:
        data_hash = _files_digest(Path(data)) if Path(data).exists() else "missing"
    else:  # the profile keys are in the scenario's hash; the generator's version here
        # (reading the module, not generating: a dry run writes nothing)
        data_hash = _files_digest(Path(generate_module.__file__))
    return {"scenario_sha256": hashlib.sha256(scenario).hexdigest(), "data_sha256": data_hash}


def read_stamp(folder: Path) -> dict | None:
    """The batch stamp of a district folder, or None when there is none (or it is unreadable)."""
    try:
        return json.loads((Path(folder) / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


@contextmanager
def peak_memory() -> Iterator[dict[str, float]]:
    """Sample this process's resident memory every 20 ms; ``["mb"]`` holds the peak.

    The peak of the worker process while the task ran (OR-Tools and HiGHS allocate
    outside Python, so tracemalloc would miss most of it).
    """
    import psutil  # a dependency of dask.distributed

    proc = psutil.Process()
    box = {"mb": proc.memory_info().rss / 2**20}
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.02):
            box["mb"] = max(box["mb"], proc.memory_info().rss / 2**20)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield box
    finally:
        stop.set()
        thread.join()
        box["mb"] = max(box["mb"], proc.memory_info().rss / 2**20)


def _worker_address() -> str:
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return f"pid {os.getpid()}"


def _crash_hook(slug: str) -> None:
    folder = os.environ.get(CRASH_HOOK)
    if not folder:
        return
    f = Path(folder) / f"{slug}.crash"
    if f.is_file() and int(f.read_text() or 0) > 0:
        f.write_text(str(int(f.read_text()) - 1))
        os.kill(os.getpid(), signal.SIGKILL)


def _mark_start(task: Task, worker: str) -> str:
    """Record who runs the task; return who ran it before (a retry) or ''."""
    marker = Path(task.out) / RUNNING / f"{task.slug}.worker"
    before = marker.read_text(encoding="utf-8") if marker.is_file() else ""
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(worker, encoding="utf-8")
    return before


def base_row(task: Task) -> dict[str, Any]:
    """The row's identity columns, before anything is known."""
    return {"scenario": task.name, "file": task.source, "folder": task.slug}


def run_task(task: Task) -> dict[str, Any]:
    """Plan one district on this worker and write its folder ``<out>/<slug>/``.

    Returns its batch row. A plan gets a plan folder as ``lungang solve`` writes it;
    an infeasible scenario a folder with ``diagnosis.json``; every folder also holds
    ``batch.json`` (the row and the input hashes, for ``--resume``), and is written
    atomically. Bad input, no plan and unexpected errors give rows, not exceptions.
    """
    t0 = time.perf_counter()
    worker = _worker_address()
    retried_from = _mark_start(task, worker)
    _crash_hook(task.slug)
    row = base_row(task) | {"worker": worker, "retried_from": retried_from}
    with peak_memory() as mem:
        try:
            sc = scenario_of(task)
            row |= _plan(task, sc)
        except InputError as exc:
            row |= {"status": "bad_input", "message": str(exc)}
        except Exception as exc:  # one district's bug must not end the batch
            row |= {"status": "error", "message": f"{type(exc).__name__}: {exc}"}
    row["peak_memory_mb"] = round(mem["mb"], 1)
    row["task_seconds"] = round(time.perf_counter() - t0, 3)
    if row["status"] in FINAL:
        _stamp(task, row)
    else:  # no folder for this outcome: drop one left by an earlier run of other inputs
        old = Path(task.out) / task.slug
        if old.is_dir() and is_lungang_folder(old):  # never a folder lungang did not write
            shutil.rmtree(old, ignore_errors=True)
    (Path(task.out) / RUNNING / f"{task.slug}.worker").unlink(missing_ok=True)
    return row


def _load(sc: Scenario) -> District:
    data = sc.scenario.data if sc.scenario.data is not None else cached_district_path(sc)
    return load_district(data, as_of=sc.as_of)


def _plan(task: Task, sc: Scenario) -> dict[str, Any]:
    years = getattr(getattr(sc, "horizon", None), "years", 1)
    if years > 1:
        return _plan_horizon(task, sc)
    start = time.perf_counter()  # the district's budget counts its loading too
    district = _load(sc)
    budget = plan_budget(sc, district, start=start)
    result = solve(district, sc, raise_on_failure=False, budget=budget)
    out = Path(task.out) / task.slug
    row = counts_row(district, result)
    if result.status.has_plan:
        analysis = explain_result(district, sc, result, budget=budget)

        def fill(tmp: Path) -> None:
            write_plan(district, sc, result, tmp, force=True, explain=analysis)

        write_atomically(out, True, fill)
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        row |= after_columns(summary)
    elif result.status.value == "infeasible":

        def fill(tmp: Path) -> None:
            write_diagnosis(
                tmp / "diagnosis.json",
                {"scenario": sc.name, "message": result.message, **(result.diagnosis or {})},
            )

        write_atomically(out, True, fill)
    return row


def _plan_horizon(task: Task, sc: Scenario) -> dict[str, Any]:
    """A multi-year scenario (``[horizon] years > 1``), as ``lungang plan`` runs it: the
    joint plan within the district's budget, its folder ``<out>/<slug>/`` (``year1/``,
    ``year2/``, ..., ``horizon.json``, ``history.csv``, ``next_year/``), or the
    diagnosis. The row is year 1's (binding: its counts and coefficients), with the
    horizon's objective, bound, gap and seconds."""
    start = time.perf_counter()  # the district's budget counts its loading too
    district = _load(sc)
    years = sc.horizon.years
    budget = horizon_budget(sc, district, years, start=start)
    result = plan_horizon(district, sc, years=years, raise_on_failure=False, budget=budget)
    out = Path(task.out) / task.slug
    row: dict[str, Any] = {
        "status": result.status.value,
        "message": "" if result.status.has_plan else result.message,
        "schools": district.n_schools,
        "staff": len(district.staff),
    }
    if result.status.has_plan:
        first = result.years[0]
        row = counts_row(district, first) | row
        row |= {
            "objective": result.objective,
            "bound": result.best_bound,
            "gap": result.gap,
            "build_seconds": round(result.build_seconds, 3),
            "search_seconds": round(result.solve_seconds, 3),
        }
        write_horizon_plan(sc, result, out, budget, force=True)
        summary = json.loads((out / "year1" / "summary.json").read_text(encoding="utf-8"))
        row |= after_columns(summary)
    elif result.status.value == "infeasible":

        def fill(tmp: Path) -> None:
            write_diagnosis(
                tmp / "diagnosis.json",
                {"scenario": sc.name, "message": result.message, **(result.diagnosis or {})},
            )

        write_atomically(out, True, fill)
    return row


def _stamp(task: Task, row: dict[str, Any]) -> None:
    """The stamp goes in last: a folder without one is not complete for ``--resume``."""
    stamp = {**task.key, "row": row}
    write_file_atomically(Path(task.out) / task.slug / STAMP, lambda p: write_json(p, stamp))


def counts_row(district: District, result: Result) -> dict[str, Any]:
    """Status, sizes, moves, coefficients before, objective, bound, gap and seconds."""
    a = result.assignments
    moved = a[a["moved"].astype(bool)] if len(a) else a
    row: dict[str, Any] = {
        "status": result.status.value,
        "message": "" if result.status.has_plan else result.message,
        "schools": district.n_schools,
        "staff": len(district.staff),
        "eligible": int(result.eligibility["eligible"].sum()),
    }
    if result.status.has_plan:  # no plan, no moves: the cells stay empty
        row["moved"] = len(moved)
        for stream in ("principal", "key", "ordinary"):
            row[f"moved_{stream}"] = int((moved["stream"] == stream).sum()) if len(moved) else 0
    for ind, levels in coefficients(district, school_indicators(district)).items():
        for lvl, value in levels.items():
            row[f"cv_{ind}_{lvl}_before"] = value
    row |= {
        "objective": result.objective,
        "bound": result.best_bound,
        "gap": result.gap,
        # what the bound holds for (the problem as written, or the kept candidates only)
        "bound_scope": result.bound_scope if result.status.has_plan else "",
        "build_seconds": round(result.build_seconds, 3),
        "search_seconds": round(result.solve_seconds, 3),
    }
    return row


def after_columns(summary: dict) -> dict[str, Any]:
    """The coefficients after the plan, as written in its ``summary.json``."""
    return {
        f"cv_{ind}_{lvl}_after": v["after"]
        for ind, levels in summary["coefficients"].items()
        for lvl, v in levels.items()
    }
