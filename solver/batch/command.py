"""``lungang batch``: the command line of the batch driver (registered by ``solver.cli``).

Dask and the solver load only when the command runs, so that ``lungang --help``
stays fast.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console

from ..errors import ExitCode, InputError, help_epilog

_err = Console(stderr=True, highlight=False, soft_wrap=True)

EPILOG = help_epilog(
    "lungang batch scenarios/city/*.toml --out results/city --threads-per-task 1",
    {
        0: "every district has a plan; otherwise the most severe code among the "
        "districts without one (the last line names them):",
        1: "a district crashed, or an unexpected error",
        2: "bad input (of a district or of the batch)",
        3: "a district's rules cannot all hold",
        4: "no plan in time for a district",
    },
)


@click.command(epilog=EPILOG)
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default="results/batch",
    show_default=True,
    help="Batch folder: <scenario name>/ per district, batch.csv, batch.md, batch.xlsx, "
    "batch.html.",
)
@click.option(
    "--lang",
    type=click.Choice(["en", "zh"]),
    help="Language of batch.xlsx and batch.html [default: the scenarios' [output] lang "
    "when they agree, else en].",
)
@click.option("--scheduler", help="An existing Dask scheduler, tcp://HOST:PORT.")
@click.option(
    "--scheduler-file",
    type=click.Path(dir_okay=False),
    help="An existing Dask scheduler, by the file `dask scheduler --scheduler-file` wrote.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Worker processes of the embedded cluster [default: cores ÷ threads per task].",
)
@click.option(
    "--threads-per-task",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="CP-SAT num_workers and HiGHS threads of each district's solve.",
)
@click.option("--resume", is_flag=True, help="Keep complete districts made from the same inputs.")
@click.option(
    "--force", is_flag=True, help="Plan every district again into an earlier batch folder."
)
@click.option(
    "--dry-run", is_flag=True, help="Print the cluster plan (or --slurm's job script); run nothing."
)
@click.option(
    "--slurm",
    is_flag=True,
    help="With --dry-run: print a SLURM worker job script (needs dask-jobqueue).",
)
@click.option(
    "--slurm-cores",
    type=click.IntRange(min=1),
    default=2,
    show_default=True,
    help="Cores per SLURM job.",
)
@click.option("--slurm-memory", default="8GB", show_default=True, help="Memory per SLURM job.")
@click.option(
    "--slurm-walltime", default="04:00:00", show_default=True, help="Wall time per SLURM job."
)
@click.option("--slurm-queue", help="SLURM partition.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
def batch(
    ctx: click.Context,
    scenarios,
    out,
    scheduler,
    scheduler_file,
    workers,
    threads_per_task,
    resume,
    force,
    dry_run,
    slurm,
    slurm_cores,
    slurm_memory,
    slurm_walltime,
    slurm_queue,
    quiet,
    lang,
) -> None:
    """Plan many districts (a city's) on Dask: one row each in batch.csv.

    Without --scheduler, an embedded LocalCluster of worker processes runs on this
    machine and is closed at the end; with --scheduler or --scheduler-file the
    districts go to an existing cluster (`dask scheduler` / `dask worker`), whose
    workers must see the scenario files, the data and --out. A worker that dies is
    retried once on another worker, then the district is `crashed`.
    """
    verbosity = getattr(ctx.obj, "verbosity", 1) - int(quiet)
    log = getattr(ctx.obj, "log", None)  # the command line's --log-file

    def say(line: str) -> None:
        _err.print(line, markup=False)
        if log is not None:
            log(line)

    try:
        code = _batch(
            scenarios,
            out,
            scheduler,
            scheduler_file,
            workers,
            threads_per_task,
            resume,
            force,
            dry_run,
            slurm,
            (slurm_cores, slurm_memory, slurm_walltime, slurm_queue),
            verbosity,
            lang or getattr(ctx.obj, "lang", None),
            say,
        )
    except InputError as exc:
        n = len(exc.problems)
        words = lang or getattr(ctx.obj, "lang", None) or "en"
        if words == "en":
            say(f"error: {n} problem{'s' if n != 1 else ''} in the input:")
            for p in exc.problems:
                say(f"  {p}")
        else:
            from ..output.i18n import problem_text, text

            say(text("err.problems", words, n=n, s=""))
            for p in exc.problems:
                say(f"  {problem_text(p, words)}")
        code = ExitCode.BAD_INPUT
    sys.exit(int(code))


def _batch(
    scenarios,
    out,
    scheduler,
    scheduler_file,
    workers,
    threads,
    resume,
    force,
    dry_run,
    slurm,
    slurm_job,
    verbosity,
    lang=None,
    say=None,
) -> ExitCode:
    from .run import ClusterPlan, default_workers, prepare, run_batch

    if scheduler and scheduler_file:
        raise InputError("give --scheduler or --scheduler-file, not both", file="--scheduler")
    if slurm and not dry_run:
        raise InputError(
            "--slurm prints a job script with --dry-run; start the workers with it (or with "
            "dask-jobqueue's SLURMCluster) and run the batch with --scheduler-file",
            file="--slurm",
        )
    if dry_run:
        from .dry_run import SlurmJob, job_script, plan_text

        if slurm:
            cores, memory, walltime, queue = slurm_job
            job = SlurmJob(cores, memory, walltime, queue, threads)
            click.echo(job_script(job, scheduler, scheduler_file), nl=False)
            return ExitCode.OK
        prep = prepare(scenarios, Path(out), threads, resume=resume, force=force)
        plan = ClusterPlan(scheduler, scheduler_file, workers or default_workers(threads), threads)
        click.echo(plan_text(prep, plan, out))
        return ExitCode.OK
    outcome = run_batch(
        scenarios,
        out,
        scheduler=scheduler,
        scheduler_file=scheduler_file,
        workers=workers,
        threads_per_task=threads,
        resume=resume,
        force=force,
        progress=verbosity >= 1,
        lang=lang,
    )
    from ..output.i18n import message

    words = outcome.extra.get("lang", "en")
    echo = say or (lambda line: _err.print(line, markup=False))

    def say(line: str) -> None:  # noqa: F811 (the lines in the batch's language)
        echo(message(line, words))

    if verbosity >= 1:
        kept = sum(bool(r.get("resumed")) for r in outcome.rows)
        say(
            f"{outcome.submitted} district(s) planned, {kept} kept from an earlier run, "
            f"in {outcome.seconds:.1f} s; tables in {Path(out) / 'batch.csv'}, batch.md, "
            "batch.xlsx and batch.html"
        )
    say(outcome.verdict)
    return outcome.exit_code
