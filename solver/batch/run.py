"""The batch driver: many scenarios on a Dask cluster, one row each.

:func:`prepare` reads the scenario files (a file that cannot be read is a row, not
an error of the batch), :func:`run_batch` submits one :func:`~solver.batch.task.run_task`
per district to an embedded ``LocalCluster`` or to an existing scheduler, follows
them on a progress bar and writes ``batch.csv`` and ``batch.md``. Dask does the
scheduling, the retry of a task whose worker died and the process isolation; no
pool of our own.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ExitCode, InputError, Problem
from ..generate import profile_staff
from ..input.scenario import Scenario, load_scenario
from ..output.batch_handoff import write_batch_report, write_batch_workbook
from ..output.batch_table import batch_frame, write_batch_csv, write_batch_md
from ..output.safety import check_batch_dir
from .task import FINAL, RUNNING, STATUSES, Task, base_row, input_key, read_stamp, run_task

#: Exit codes from the most to the least severe: the batch exits with the first found.
SEVERITY = (ExitCode.UNEXPECTED, ExitCode.BAD_INPUT, ExitCode.INFEASIBLE, ExitCode.NO_PLAN)

log = logging.getLogger(__name__)


def slug(name: str) -> str:
    """A folder name for a scenario name (as ``lungang solve`` makes it)."""
    return re.sub(r"[^\w.-]+", "_", name, flags=re.UNICODE).strip("_") or "plan"


def machine_cores() -> int:
    """The cores this process may use (the affinity mask, not the whole machine)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def default_workers(threads_per_task: int) -> int:
    """Worker processes of the embedded cluster: cores ÷ threads per task, at least 1."""
    return max(1, machine_cores() // max(1, threads_per_task))


def district_size(sc: Scenario) -> float:
    """A district's size for the ETA and the order of submission: its staff, or an
    estimate from the staff file's bytes (about 150 bytes per person)."""
    info = sc.scenario
    if info.data is not None:
        data = Path(info.data)
        f = data if data.is_file() else data / "staff.csv"
        return max(1.0, f.stat().st_size / 150) if f.is_file() else 1.0
    try:
        return float(
            profile_staff(
                str(info.profile), info.profile_district, info.profile_schools, info.profile_staff
            )
        )
    except InputError:
        return 1.0


@dataclass
class Prepared:
    """The batch before it runs: tasks to submit, rows already known, in input order."""

    tasks: list[Task]
    rows: dict[int, dict[str, Any]]  # position -> row (bad scenario files, resumed districts)
    order: list[int]  # position of each task
    n: int
    #: the ``[output] lang`` of every scenario read (the city files' language when they agree)
    langs: list[str] = field(default_factory=list)


def check_out(out: Path, scenarios: Sequence[tuple[Path, Scenario]], slugs: Sequence[str]) -> None:
    """Refuse an output folder that would write over an input.

    ``out`` must not be a file, no district folder ``out/<slug>`` may be, hold or lie
    inside a scenario file or data folder of the batch, and the tables (``batch.csv``,
    ``batch.xlsx``, ...) must not be an input nor lie in a data folder
    (:func:`solver.output.safety.check_batch_dir`).

    Raises
    ------
    InputError
        Naming the output folder and the input it would overwrite.
    """
    inputs: list[Path] = []
    for path, sc in scenarios:
        inputs.append(Path(path))
        if sc.scenario.data is not None:
            inputs.append(Path(sc.scenario.data))
    check_batch_dir(out, inputs, slugs)


def prepare(
    paths: Sequence[str | Path],
    out: Path,
    threads_per_task: int = 1,
    *,
    resume: bool = False,
    force: bool = False,
) -> Prepared:
    """Read every scenario and make its task, or its row when it needs no run.

    A scenario file that cannot be read gives a ``bad_input`` row; with ``resume`` a
    district whose folder holds a stamp with the same scenario and data hashes and a
    final status (optimal, feasible, infeasible) gives its stored row.

    Raises
    ------
    InputError
        Two scenarios with the same name (they would share a folder), an output folder
        that would overwrite an input, or earlier results in ``out`` without
        ``resume`` or ``force``.
    """
    out = Path(out)
    rows: dict[int, dict[str, Any]] = {}
    read: list[tuple[int, Path, Scenario]] = []
    for i, p in enumerate(paths):
        try:
            read.append((i, Path(p), load_scenario(p)))
        except InputError as exc:
            name = Path(p).stem
            rows[i] = {"scenario": name, "file": str(p), "folder": slug(name)} | {
                "status": "bad_input",
                "message": str(exc),
            }
    names: dict[str, str] = {}
    for _, p, sc in read:
        s = slug(sc.name)
        if s in names:
            raise InputError(
                Problem(
                    file=str(p),
                    key="scenario.name",
                    message=f"the same folder name '{s}' as {names[s]}: give each district its own name",
                    value=sc.name,
                )
            )
        names[s] = str(p)
    check_out(out, [(p, sc) for _, p, sc in read], list(names))
    if not (resume or force) and out.is_dir():
        earlier = [s for s in names if (out / s).exists()] + (
            ["batch.csv"] if (out / "batch.csv").exists() else []
        )
        if earlier:
            raise InputError(
                Problem(
                    file=str(out),
                    message=f"holds results of an earlier batch ({', '.join(earlier[:3])}"
                    f"{', ...' if len(earlier) > 3 else ''}); use --resume to keep the complete "
                    "ones or --force to plan them again",
                )
            )
    tasks, order = [], []
    for i, p, sc in read:
        sc = sc.with_solver(workers=threads_per_task)
        try:
            key = input_key(sc)
        except InputError as exc:
            rows[i] = {"scenario": sc.name, "file": str(p), "folder": slug(sc.name)} | {
                "status": "bad_input",
                "message": str(exc),
            }
            continue
        task = Task(
            name=sc.name,
            slug=slug(sc.name),
            source=str(p),
            scenario=sc.resolved(),
            out=str(out.resolve()),
            key=key,
            size=district_size(sc),
        )
        stamp = read_stamp(out / task.slug) if resume else None
        if stamp and all(stamp.get(k) == v for k, v in key.items()):
            if stamp.get("row", {}).get("status") in FINAL:
                rows[i] = stamp["row"] | {"resumed": True}
                continue
        tasks.append(task)
        order.append(i)
    langs = [sc.output.lang for _, _, sc in read]
    return Prepared(tasks=tasks, rows=rows, order=order, n=len(paths), langs=langs)


# --------------------------------------------------------------------- the cluster


def _no_scheduler_retry(dask_scheduler=None) -> int:
    """On the scheduler: a task whose worker dies fails at once (KilledWorker), so that
    the batch decides about the retry (once, and only for the task that was running)."""
    dask_scheduler.allowed_failures = 0
    return dask_scheduler.allowed_failures


@dataclass
class ClusterPlan:
    """Where the batch runs: an embedded LocalCluster or an existing scheduler."""

    scheduler: str | None = None
    scheduler_file: str | None = None
    workers: int = 1
    threads_per_task: int = 1

    @property
    def embedded(self) -> bool:
        return not (self.scheduler or self.scheduler_file)

    def describe(self) -> str:
        k = self.threads_per_task
        if self.embedded:
            return (
                f"embedded LocalCluster: {self.workers} worker process(es) x 1 task each "
                f"({machine_cores()} cores here); CP-SAT num_workers = HiGHS threads = {k} "
                "per task; closed at the end"
            )
        where = self.scheduler or f"the scheduler of {self.scheduler_file}"
        return (
            f"existing cluster at {where}: one task per worker thread, or per {k} 'threads' "
            f"where the workers declare that resource; CP-SAT num_workers = HiGHS threads = {k}"
        )


@contextmanager
def connect(plan: ClusterPlan) -> Iterator[Any]:
    """A Dask client on the plan's cluster; an embedded cluster is closed on exit."""
    import dask
    from distributed import Client, LocalCluster

    if plan.embedded:
        # the scheduler runs in this process: its retry policy is set before it starts,
        # and its log stays quiet (a dead worker is the district's row, not a traceback)
        sched_log = logging.getLogger("distributed")
        level = sched_log.level
        sched_log.setLevel(logging.CRITICAL)
        with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
            cluster = LocalCluster(
                n_workers=plan.workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",  # a free port: never clash with another cluster
                silence_logs=logging.ERROR,
            )
        try:
            with Client(cluster) as client:
                yield client
        finally:
            cluster.close()
            sched_log.setLevel(level)
        return
    with Client(
        address=plan.scheduler, scheduler_file=plan.scheduler_file, timeout="30s"
    ) as client:
        client.run_on_scheduler(_no_scheduler_retry)
        yield client


def _resources(client: Any, threads_per_task: int) -> dict[str, float] | None:
    """Reserve ``threads`` slots when every worker declares them, else rely on one
    task per worker thread (workers started with ``--nthreads 1``)."""
    workers = client.scheduler_info(n_workers=-1)["workers"].values()
    if workers and all("threads" in w.get("resources", {}) for w in workers):
        return {"threads": threads_per_task}
    if threads_per_task > 1 or any(w.get("nthreads", 1) > 1 for w in workers):
        log.warning(
            "the workers declare no 'threads' resource: each runs up to --nthreads tasks at "
            "once, each with %d CP-SAT threads; start them with `--nthreads 1` or "
            "`--resources threads=N` so that the cores are not oversubscribed",
            threads_per_task,
        )
    return None


# ------------------------------------------------------------------------ the run


@dataclass
class BatchOutcome:
    """What a batch did: its rows (input order), exit code and the sentence that says why."""

    rows: list[dict[str, Any]]
    exit_code: ExitCode
    verdict: str
    submitted: int
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


def verdict(rows: Sequence[dict[str, Any]]) -> tuple[ExitCode, str]:
    """The exit code (0 when every district has a plan, else the most severe code
    among them, :data:`SEVERITY`) and a sentence naming the districts without a plan."""
    bad = [r for r in rows if STATUSES.get(r.get("status", "error"), ExitCode.UNEXPECTED)]
    if not bad:
        return ExitCode.OK, f"all {len(rows)} districts have a plan"
    codes = {STATUSES.get(r["status"], ExitCode.UNEXPECTED) for r in bad}
    code = next(c for c in SEVERITY if c in codes)
    parts = []
    for status in STATUSES:
        names = [r["scenario"] for r in bad if r["status"] == status]
        if names:
            parts.append(f"{status} ({STATUSES[status].value}): {', '.join(names)}")
    return code, (
        f"{len(rows) - len(bad)} of {len(rows)} districts have a plan; exit {code.value} "
        f"({code.name.lower()}), the most severe of: " + "; ".join(parts)
    )


def _marker(task: Task) -> Path:
    return Path(task.out) / RUNNING / f"{task.slug}.worker"


def _crashed_row(task: Task, last: str) -> dict[str, Any]:
    _marker(task).unlink(missing_ok=True)
    return base_row(task) | {
        "status": "crashed",
        "worker": last,
        "message": "the worker process died while planning this district, also when "
        f"retried on another worker (last: {last or 'unknown'})",
    }


class _Bar:
    """A rich progress bar on stderr: done / running / failed, elapsed, ETA by size."""

    def __init__(self, total: float, n: int, show: bool):
        self.show, self.n = show, n
        self.done = self.failed = self.running = 0
        if not show:
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.progress = Progress(
            TextColumn("batch"),
            BarColumn(),
            TextColumn("{task.fields[counts]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        self.task = self.progress.add_task("batch", total=max(total, 1e-9), counts="")
        self.progress.start()
        self.update(0.0)

    def update(self, advance: float) -> None:
        if self.show:
            counts = f"{self.done}/{self.n} done, {self.running} running, {self.failed} failed"
            self.progress.update(self.task, advance=advance, counts=counts)

    def close(self) -> None:
        if self.show:
            self.progress.stop()


def _slots(client: Any, threads_per_task: int, resources: dict | None) -> int:
    """How many tasks the cluster runs at once now: its threads, or its ``threads``
    resource ÷ threads per task. Workers may come and go (SLURM jobs)."""
    workers = client.scheduler_info(n_workers=-1)["workers"].values()
    if resources:
        return sum(int(w["resources"].get("threads", 0) // threads_per_task) for w in workers)
    return sum(int(w.get("nthreads", 1)) for w in workers)


def run_tasks(
    client: Any,
    tasks: Sequence[Task],
    threads_per_task: int,
    on_row: Callable[[Task, dict[str, Any]], None],
    bar: _Bar,
) -> None:
    """Run the tasks, largest first, calling ``on_row`` as each one ends.

    Only as many tasks are submitted as the workers run at once, so that a task never
    waits on a worker behind another: when a worker dies (a crash of the solver), only
    the task it was running is charged. That task is submitted once more (Dask places
    it on a live worker); a second death makes its row ``crashed``.
    """
    from collections import deque

    from distributed import KilledWorker, wait

    resources = _resources(client, threads_per_task)
    run = uuid.uuid4().hex[:8]
    queue = deque(sorted(tasks, key=lambda t: -t.size))
    deaths: dict[str, int] = {}
    in_flight: dict[Any, Task] = {}
    while queue or in_flight:
        free = _slots(client, threads_per_task, resources) - len(in_flight)
        while queue and free > 0:
            t = queue.popleft()
            key = f"lungang-{t.slug}-{run}-{deaths.get(t.slug, 0)}"
            f = client.submit(run_task, t, key=key, pure=False, resources=resources)
            in_flight[f] = t
            free -= 1
        bar.running = len(in_flight)
        bar.update(0.0)
        if not in_flight:  # no worker yet (a SLURM job still queued): wait for one
            time.sleep(0.5)
            continue
        try:
            done, _ = wait(list(in_flight), timeout=0.5, return_when="FIRST_COMPLETED")
        except TimeoutError:
            continue
        for f in done:
            t = in_flight.pop(f)
            try:
                row = f.result()
            except KilledWorker as exc:
                dead = exc.last_worker.address
                marker = _marker(t)
                ran_there = marker.is_file() and marker.read_text(encoding="utf-8") == dead
                deaths[t.slug] = deaths.get(t.slug, 0) + ran_there
                if not ran_there or deaths[t.slug] < 2:
                    queue.appendleft(t)  # again, on a live worker
                    continue
                row = _crashed_row(t, dead)
            except Exception as exc:  # a lost connection, a cancelled task
                row = base_row(t) | {"status": "error", "message": f"{type(exc).__name__}: {exc}"}
            on_row(t, row)
            bar.done += 1
            bar.failed += STATUSES.get(row["status"], ExitCode.UNEXPECTED) != ExitCode.OK
            bar.running = len(in_flight)
            bar.update(t.size)


def run_batch(
    paths: Sequence[str | Path],
    out: str | Path,
    *,
    scheduler: str | None = None,
    scheduler_file: str | None = None,
    workers: int | None = None,
    threads_per_task: int = 1,
    resume: bool = False,
    force: bool = False,
    progress: bool = True,
    client: Any = None,
    lang: str | None = None,
) -> BatchOutcome:
    """Plan every scenario of ``paths`` and write ``out/<name>/``, ``batch.csv``, ``batch.md``,
    the city workbook ``batch.xlsx`` and the city report ``batch.html``.

    Parameters
    ----------
    paths : sequence of path
        Scenario files, one district each.
    out : path
        The batch folder (must be visible to every worker: a shared filesystem on a
        cluster).
    scheduler, scheduler_file : str, optional
        An existing Dask scheduler (``tcp://HOST:PORT``) or its scheduler file;
        without either, an embedded ``LocalCluster`` of ``workers`` processes.
    workers : int, optional
        Worker processes of the embedded cluster (default: cores ÷ threads per task).
    threads_per_task : int
        CP-SAT ``num_workers`` and HiGHS ``threads`` of each task (the scenario's
        ``[solver] workers`` is replaced by it).
    resume : bool
        Keep the districts whose folder is complete and made from the same inputs.
    force : bool
        Plan again into an output folder that holds an earlier batch.
    progress : bool
        Show the progress bar on stderr.
    client : distributed.Client, optional
        Use this client instead of connecting (library use, tests).
    lang : str, optional
        Language of ``batch.xlsx`` and ``batch.html`` (default: the scenarios'
        ``[output] lang`` when they all agree, else English).

    Returns
    -------
    BatchOutcome
        The rows in the order of ``paths``, the exit code and the verdict.

    Raises
    ------
    InputError
        Problems of the batch itself (see :func:`prepare`); a district's own bad input
        is its row.
    """
    t0 = time.perf_counter()
    out = Path(out)
    prep = prepare(paths, out, threads_per_task, resume=resume, force=force)
    rows = dict(prep.rows)
    position = {t.slug: i for t, i in zip(prep.tasks, prep.order, strict=True)}
    out.mkdir(parents=True, exist_ok=True)

    def on_row(task: Task, row: dict[str, Any]) -> None:
        rows[position[task.slug]] = row

    if prep.tasks:
        plan = ClusterPlan(
            scheduler=scheduler,
            scheduler_file=scheduler_file,
            workers=workers or default_workers(threads_per_task),
            threads_per_task=threads_per_task,
        )
        bar = _Bar(sum(t.size for t in prep.tasks), len(prep.tasks), progress)
        try:
            if client is not None:
                run_tasks(client, prep.tasks, threads_per_task, on_row, bar)
            else:
                with connect(plan) as c:
                    run_tasks(c, prep.tasks, threads_per_task, on_row, bar)
        finally:
            bar.close()
            shutil.rmtree(out / RUNNING, ignore_errors=True)
    ordered = [rows[i] for i in range(prep.n)]
    frame = batch_frame(ordered)
    write_batch_csv(out / "batch.csv", frame)
    write_batch_md(out / "batch.md", frame, title=f"Batch of {prep.n} districts")
    if lang is None:
        lang = prep.langs[0] if prep.langs and len(set(prep.langs)) == 1 else "en"
    write_batch_workbook(out / "batch.xlsx", frame, lang=lang)
    write_batch_report(out / "batch.html", frame, lang=lang)
    code, text = verdict(ordered)
    return BatchOutcome(
        rows=ordered,
        exit_code=code,
        verdict=text,
        submitted=len(prep.tasks),
        seconds=time.perf_counter() - t0,
        extra={"lang": lang},
    )
