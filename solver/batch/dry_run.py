"""``lungang batch --dry-run``: the cluster plan, or a SLURM worker job script, run nothing.

The plan needs only the scenario files. The job script is dask-jobqueue's
(``SLURMJob``, an optional extra: ``pip install 'lungang[slurm]'``); without it the
dry run says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InputError, Problem
from .run import ClusterPlan, Prepared

#: The scheduler address written into a job script when none is given.
PLACEHOLDER = "tcp://SCHEDULER-HOST:8786"


def plan_text(prep: Prepared, plan: ClusterPlan, out: str) -> str:
    """What a batch would do: where it runs, which districts, in which order, what it writes."""
    lines = [f"cluster: {plan.describe()}", f"output: {out}/<scenario name>/, batch.csv, batch.md"]
    lines.append(f"{len(prep.tasks)} district(s) to plan, largest first:")
    for t in sorted(prep.tasks, key=lambda t: -t.size):
        lines.append(f"  {t.slug:<28} ~{t.size:>8,.0f} staff  {t.source}")
    kept = [r for r in prep.rows.values() if r.get("resumed")]
    bad = [r for r in prep.rows.values() if r.get("status") == "bad_input"]
    if kept:
        lines.append(
            f"{len(kept)} complete district(s) kept (--resume): "
            + ", ".join(r["scenario"] for r in kept)
        )
    for r in bad:
        lines.append(f"bad input, not submitted: {r['message']}")
    return "\n".join(lines)


@dataclass(frozen=True)
class SlurmJob:
    """One SLURM job of Dask workers: ``cores`` cores, one worker process per
    ``threads_per_task`` of them, each declaring that many ``threads`` (a batch task
    reserves them)."""

    cores: int = 2
    memory: str = "8GB"
    walltime: str = "04:00:00"
    queue: str | None = None
    threads_per_task: int = 1


def job_script(
    job: SlurmJob, scheduler: str | None = None, scheduler_file: str | None = None
) -> str:
    """The ``sbatch`` script of one worker job, as dask-jobqueue's ``SLURMCluster`` submits it.

    Raises
    ------
    InputError
        dask-jobqueue is not installed, or the cores do not hold one task.
    """
    try:
        from dask_jobqueue.slurm import SLURMJob
    except ImportError:
        raise InputError(
            Problem(
                file="--slurm",
                message="the SLURM job script needs dask-jobqueue: pip install 'lungang[slurm]' "
                "(the cluster plan, --dry-run without --slurm, does not)",
            )
        ) from None
    k = job.threads_per_task
    if job.cores < k:
        raise InputError(
            Problem(
                file="--slurm-cores",
                message=f"a job of {job.cores} core(s) cannot hold a task of {k} threads",
            )
        )
    processes = job.cores // k
    sj = SLURMJob(
        scheduler=scheduler or PLACEHOLDER,
        name="lungang-worker",
        job_name="lungang-batch",
        cores=processes * k,
        processes=processes,
        memory=job.memory,
        walltime=job.walltime,
        queue=job.queue,
        worker_extra_args=["--resources", f"threads={k}"],
        python="python3",
    )
    text = sj.job_script()
    if scheduler_file:
        text = text.replace(scheduler or PLACEHOLDER, f"--scheduler-file {scheduler_file}")
    return text
