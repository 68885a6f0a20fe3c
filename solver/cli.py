"""The ``lungang`` command line (the README's "Commands"; ``docs/outputs.md`` for the
exit codes).

Each command imports the modules it runs when it runs (OR-Tools, pandas and the
model load only then), so that ``lungang --help`` starts fast; the layers contract
in ``pyproject.toml`` sees those imports too.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
import sys
import time
from pathlib import Path

import click
from rich.console import Console

from . import __version__
from .display import Heartbeat, LiveSink, LogSink, PlainSink
from .errors import ExitCode, InfeasibleError, InputError, NoPlanError, Problem, help_epilog
from .load import data_path, horizon_year, load, load_plan_case
from .progress import Budget, Progress

err = Console(stderr=True, highlight=False, soft_wrap=True)


class Ctx:
    """What the commands share: verbosity, the log file, the command's clock and its
    progress (:mod:`solver.progress` events, shown by :mod:`solver.display`)."""

    verbosity = 1
    log_file: str | None = None
    #: when the command started (the budget's clock starts here, before loading)
    started: float = 0.0
    #: force the plain lines even on a terminal (tests), or the live display (None: auto)
    live: bool | None = None

    #: set by the console script (``entry``): when the process imported the package
    process_start: float | None = None
    #: the language of messages, progress lines and text tables: --lang, else the
    #: scenario's [output] lang (read ahead of the command, so that its errors follow it)
    lang: str | None = None
    scenario_lang: str = "en"

    def __init__(self) -> None:
        self.started = time.perf_counter() if self.process_start is None else self.process_start
        self.active: Progress | None = None
        self._heartbeat: Heartbeat | None = None
        self._log_opened = False

    @property
    def language(self) -> str:
        """``--lang`` when given, else the scenario's ``[output] lang``, else English."""
        return self.lang or self.scenario_lang

    def peek_lang(self, scenario: str | Path | None) -> None:
        """Read ``[output] lang`` from a scenario file before the command loads it (any
        trouble with the file is the loader's to report; here it only means English).

        A line scan of the first megabyte, not a TOML parse: a hostile file (nested
        thousands deep, huge) must reach the loader's own checks, not fail here."""
        try:
            with open(scenario, "rb") as f:
                head = f.read(1 << 20).decode("utf-8", errors="replace")
        except OSError:
            return
        table = ""
        for line in head.splitlines():
            s = line.split("#", 1)[0].strip()
            if s.startswith("["):
                table = s.strip("[] \t")
            elif table == "output":
                m = re.fullmatch(r"lang\s*=\s*[\"'](en|zh)[\"']", s)
                if m:
                    self.scenario_lang = m.group(1)

    def tr(self, msg: str) -> str:
        """``msg`` in the command's language (:func:`solver.output.i18n.message`)."""
        if self.language == "en":
            return msg
        from .output.i18n import message

        return message(msg, self.language)

    def log_stream(self):
        """The ``--log-file`` stream, or None: created on first use, appended to after."""
        if not self.log_file:
            return None
        mode = "a" if self._log_opened else "w"
        self._log_opened = True
        return open(self.log_file, mode, encoding="utf-8")  # noqa: SIM115

    def log(self, msg: str) -> None:
        """Keep ``msg`` in the log file (commands that show no progress display)."""
        stream = self.log_stream()
        if stream is not None:
            with stream:
                stream.write(f"[{time.perf_counter() - self.started:6.1f} s] note    {msg}\n")

    def say(self, msg: str, level: int = 1) -> None:
        if self.active is not None:
            self.active.note(msg, level)
            return
        self.log(msg)
        if self.verbosity >= level:
            err.print(self.tr(msg), markup=False)

    def progress(self) -> Progress:
        """The command's progress: the live display on a terminal, plain lines
        otherwise, and the log file when ``--log-file`` was given."""
        live = err.is_terminal if self.live is None else self.live
        prog = Progress(clock=time.perf_counter)
        prog._start = self.started
        lang = self.language
        if live and self.verbosity >= 1:
            prog.sinks.append(LiveSink(err, prog, self.verbosity, lang=lang))
        else:
            write = lambda m: err.print(m, markup=False)  # noqa: E731
            prog.sinks.append(PlainSink(write, self.verbosity, lang=lang))
        if self.log_file:
            prog.sinks.append(LogSink(self.log_stream(), lang=lang))
        self.active = prog
        self._heartbeat = Heartbeat(prog)
        return prog

    def budget(self, limit_s: float, reserve_s: float = 0.0) -> Budget:
        """The command's budget: ``limit_s`` from the start of the command."""
        return Budget(limit_s, start=self.started, reserve_s=reserve_s)

    def finish(self, line: str | None = None) -> None:
        """Stop the display and print the last line (the only one with ``-q``)."""
        prog, self.active = self.active, None
        if self._heartbeat is not None:
            self._heartbeat.stop()
            self._heartbeat = None
        if prog is None:
            if line is not None:
                err.print(self.tr(line), markup=False)
            return
        for s in prog.sinks:
            if isinstance(s, LiveSink):
                s.close()
        if line is not None:
            prog.done(line)
            if any(isinstance(s, LiveSink) for s in prog.sinks):
                err.print(self.tr(line), markup=False)
        for s in prog.sinks:
            if not isinstance(s, LiveSink):
                s.close()


def _ctx() -> Ctx | None:
    c = click.get_current_context(silent=True)
    return c.find_object(Ctx) if c is not None else None


def _fail(lines: list[str], code: int, short: bool = True) -> None:
    """Print why the command failed (all of it, or with ``-q`` and ``short`` its first
    line) and exit."""
    obj = _ctx()
    quiet = short and obj is not None and obj.verbosity <= 0
    if obj is not None and obj.active is not None:
        for line in lines[1:]:  # the log file keeps them all
            for s in obj.active.sinks:
                if isinstance(s, LogSink):
                    s.stream.write(line + "\n")
        obj.finish(
            lines[0] + (f" (and {len(lines) - 1} more lines)" if quiet and len(lines) > 1 else "")
        )
        if not quiet:
            for line in lines[1:]:
                err.print(line, markup=False)  # already in the command's language
    else:
        if obj is not None:
            for line in lines:
                obj.log(line)
        for line in lines[:1] if quiet else lines:
            err.print(line, markup=False)
    sys.exit(code)


def handle_errors(fn):
    """Map our exceptions to the documented exit codes (``docs/outputs.md``), with messages on stderr."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        obj = _ctx()
        if obj is not None:
            if kwargs.get("lang"):  # a command's own --lang (indicators, report, template)
                obj.lang = kwargs["lang"]
            if kwargs.get("scenario") and not obj.lang:
                obj.peek_lang(kwargs["scenario"])
        lang = obj.language if obj is not None else "en"
        try:
            return fn(*args, **kwargs)
        except InputError as exc:
            # every located problem, even with -q: each one is something to fix
            _fail(input_error_lines(exc, lang), ExitCode.BAD_INPUT, short=False)
        except InfeasibleError as exc:
            # the diagnosis in full: rules, schools and subjects, and the relaxations found
            hint = bool(
                exc.diagnosis and "diagnosis_file" in kwargs and not kwargs["diagnosis_file"]
            )
            _fail(infeasible_lines(exc, lang, hint), ExitCode.INFEASIBLE)
        except NoPlanError as exc:
            _fail(no_plan_lines(exc, lang), ExitCode.NO_PLAN)
        finally:
            obj = _ctx()
            if obj is not None and obj.active is not None:
                obj.finish()

    return wrapper


def input_error_lines(exc: InputError, lang: str = "en") -> list[str]:
    """What a bad input prints: the count, then each located problem (in ``lang``)."""
    n = len(exc.problems)
    if lang == "en":
        return [f"error: {n} problem{'s' if n != 1 else ''} in the input:"] + [
            f"  {p}" for p in exc.problems
        ]
    from .output.i18n import problem_text, text

    return [text("err.problems", lang, n=n, s="")] + [
        f"  {problem_text(p, lang)}" for p in exc.problems
    ]


def infeasible_lines(exc: InfeasibleError, lang: str = "en", hint: bool = False) -> list[str]:
    """What an infeasible scenario prints: the diagnosis (in ``lang``)."""
    if lang == "en":
        lines = f"infeasible: {exc}".splitlines()
        if hint:
            lines.append("(`--diagnosis FILE` writes this diagnosis as JSON)")
        return lines
    from .output.i18n import message, text
    from .output.text_tables import diagnosis_text

    body = diagnosis_text(exc.diagnosis, lang) if exc.diagnosis.get("rules") is not None else None
    lines = text("err.infeasible", lang, text=body or message(str(exc), lang)).splitlines()
    if hint:
        lines.append(text("err.diagnosis_hint", lang))
    return lines


def no_plan_lines(exc: NoPlanError, lang: str = "en") -> list[str]:
    """What a run without a plan in time prints (in ``lang``)."""
    if lang == "en":
        return f"no plan: {exc}".splitlines()
    from .output.i18n import message, text

    return text("err.no_plan", lang, text=message(str(exc), lang)).splitlines()


#: Longest default folder name made from a scenario's name (file systems take 255 bytes).
SLUG_MAX = 80


def _slug(name: str) -> str:
    slug = re.sub(r"[^\w.-]+", "_", name, flags=re.UNICODE).strip("_.")[:SLUG_MAX].strip("_.")
    return slug or "plan"


DOCS_HELP = (
    "Documentation: README.md and the docs/ folder of the project: docs/input.md (the "
    "data tables, their columns and Chinese headers), docs/scenario.md (every scenario "
    "key), docs/outputs.md (every output file and the exit codes), docs/policy.md (the "
    "rotation policy and its sources). `lungang COMMAND --help` shows a command's "
    "options, its exit codes and an example."
)


@click.group(
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=DOCS_HELP,
)
@click.option("-v", "--verbose", count=True, help="More progress on stderr.")
@click.option("-q", "--quiet", count=True, help="Less progress on stderr.")
@click.option(
    "--log-file",
    type=click.Path(dir_okay=False),
    help="Also write the full progress stream (every phase, plan and note) to this file.",
)
@click.option(
    "--lang",
    type=click.Choice(["en", "zh"]),
    help="Language of messages, progress lines and text tables [default: the scenario's "
    "[output] lang, else en].",
)
@click.version_option(__version__, prog_name="lungang")
@click.pass_context
def main(
    ctx: click.Context, verbose: int, quiet: int, log_file: str | None, lang: str | None
) -> None:
    """lungang (轮岗): plan principal and teacher rotation with CP-SAT.

    Start with `lungang solve scenarios/demo.toml`: it plans the bundled demo district
    and writes the plan folder results/<scenario name>/.
    """
    ctx.obj = Ctx()
    ctx.obj.verbosity = 1 + verbose - quiet
    ctx.obj.log_file = log_file
    ctx.obj.lang = lang


def _solver_overrides(f):
    """--workers, --seed and --force, shared by the commands that solve and write a folder."""
    f = click.option("--force", is_flag=True, help="Replace a non-empty output folder.")(f)
    f = click.option("--seed", type=int, help="Override [solver] seed.")(f)
    return click.option("--workers", type=int, help="Override [solver] workers.")(f)


@main.command(
    epilog=help_epilog(
        "lungang solve scenarios/demo.toml --out results/demo",
        {
            0: "a plan was written (optimal or feasible)",
            2: None,
            3: "the rules cannot all hold: no plan is written, the diagnosis names the rules, "
            "schools and subjects (--diagnosis FILE also writes it as JSON)",
            4: None,
        },
    )
)
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    help="Plan folder [default: results/<scenario name>/].",
)
@click.option("--time-limit", type=float, help="Override [solver] time_limit_s.")
@_solver_overrides
@click.option(
    "--from",
    "from_plan",
    type=click.Path(file_okay=False, exists=True),
    help="Re-plan: keep as many decisions of this earlier plan folder as the rules allow.",
)
@click.option(
    "--diagnosis",
    "diagnosis_file",
    type=click.Path(dir_okay=False),
    help="When the rules cannot all hold (exit 3), also write the diagnosis as JSON here.",
)
@click.pass_obj
@handle_errors
def solve(
    obj: Ctx, scenario, out, time_limit, workers, seed, force, from_plan, diagnosis_file
) -> None:
    """Plan one year's rotation and write the plan folder.

    --time-limit (or [solver] time_limit_s) bounds the whole command, from its start to
    the plan written: loading, checks, build, search, analysis and writing share it.
    """
    from .input.assignments import read_assignments
    from .output.pipeline import plan_budget, solve_to_folder
    from .output.plan_folder import write_diagnosis
    from .output.safety import check_output_dir, check_output_file
    from .search.guard import run_guard

    progress = obj.progress()
    progress.phase("loading", str(scenario))
    sc, district = load(scenario)
    sc = sc.with_solver(time_limit_s=time_limit, workers=workers, seed=seed)
    budget = plan_budget(sc, district, start=obj.started)
    progress.use(budget)
    out = Path(out) if out else Path("results") / _slug(sc.name)
    # Before any solve: the outputs touch no input, and can be written.
    data = data_path(sc)
    check_output_dir(out, inputs=[scenario, from_plan], data=data, force=force)
    if diagnosis_file:
        check_output_file(
            diagnosis_file, inputs=[scenario, from_plan], data=data, option="--diagnosis"
        )
    old = read_assignments(Path(from_plan)) if from_plan else None
    obj.say(
        f"solving '{sc.name}': {district.n_schools} schools, {len(district.staff)} staff, "
        f"{sc.solver.time_limit_s:g} s in all"
    )
    report = None
    with run_guard(sc):
        try:
            if old is not None:
                result, report = _replan(
                    district, sc, old, str(from_plan), out, force, budget, progress
                )
            else:
                result = solve_to_folder(
                    district, sc, out, budget=budget, progress=progress, force=force
                ).raise_for_status()
        except InfeasibleError as exc:
            if diagnosis_file:
                write_diagnosis(
                    Path(diagnosis_file),
                    {"scenario": sc.name, "message": str(exc), **exc.diagnosis},
                )
            raise
    obj.say(result.summary())
    if report is not None:
        from .search.replan import format_report

        obj.say(format_report(report))
    obj.say(f"{budget.elapsed():.1f} s of {sc.solver.time_limit_s:g} s used")
    obj.finish(f"plan written to {out}")  # the one line -q keeps


def _replan(district, sc, old, source, out, force, budget, progress):
    """Re-plan from an earlier plan, explain and write, within ``budget``."""
    from .analysis.explain import explain_result
    from .output.plan_folder import write_plan
    from .search.replan import replan

    _precheck(district, sc, budget)  # replan() runs the same checks itself
    result, report = replan(district, sc, old, progress=progress, source=source, budget=budget)
    analysis = explain_result(district, sc, result, budget=budget, progress=progress)
    progress.phase("writing", str(out))
    write_plan(district, sc, result, out, force=force, replan=report, explain=analysis)
    return result, report


def _precheck(district, sc, budget=None) -> None:
    """Cheap counting checks before any solve: raise InfeasibleError with the diagnosis."""
    from .rules.eligibility import eligibility
    from .rules.precheck import precheck
    from .search.diagnose import diagnose

    elig = eligibility(district, sc)
    if precheck(district, sc, elig):
        raise InfeasibleError(*diagnose(district, sc, elig, budget=budget))


@main.command(
    "plan",
    epilog=help_epilog(
        "lungang plan scenarios/dongcheng.toml --years 3 --out results/dongcheng",
        {
            0: "a plan was written (year folders, horizon.json, history.csv, next_year/)",
            2: "bad input or usage: nothing written",
            3: "the rules cannot all hold over the horizon (--diagnosis FILE writes why)",
            4: "no plan found within the time limit",
        },
    ),
)
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--years", type=click.IntRange(1, 10), help="Override [horizon] years.")
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    help="Horizon folder [default: results/<scenario name>/].",
)
@click.option("--time-limit", type=float, help="Override [solver] time_limit_s (whole horizon).")
@_solver_overrides
@click.option(
    "--myopic",
    is_flag=True,
    help="Solve each year alone, in turn (the baseline), instead of all years jointly.",
)
@click.option(
    "--diagnosis",
    "diagnosis_file",
    type=click.Path(dir_okay=False),
    help="When the rules cannot all hold (exit 3), also write the diagnosis as JSON here.",
)
@click.pass_obj
@handle_errors
def plan_cmd(
    obj: Ctx, scenario, years, out, time_limit, workers, seed, force, myopic, diagnosis_file
) -> None:
    """Plan several school years and write DIR/year1/, DIR/year2/, ..., DIR/horizon.json
    and DIR/history.csv.

    Year 1 is binding, later years provisional (docs/horizon.md).
    """
    from .output.pipeline import horizon_budget, write_horizon_plan
    from .output.plan_folder import write_diagnosis
    from .output.safety import check_output_dir, check_output_file
    from .search.horizon import plan_horizon, plan_myopic

    sc, district = load(scenario)
    sc = sc.with_solver(time_limit_s=time_limit, workers=workers, seed=seed)
    out = Path(out) if out else Path("results") / _slug(sc.name)
    data = data_path(sc)
    check_output_dir(out, inputs=[scenario], data=data, force=force)
    if diagnosis_file:
        check_output_file(diagnosis_file, inputs=[scenario], data=data, option="--diagnosis")
    n = years or sc.horizon.years
    # One clock for the whole command, from its start: the search, then each year's
    # analysis and folder share --time-limit (or [solver] time_limit_s).
    budget = horizon_budget(sc, district, n, start=obj.started)
    obj.say(
        f"planning '{sc.name}' over {n} year(s): {district.n_schools} schools, "
        f"{len(district.staff)} staff, {sc.solver.time_limit_s:g} s in all"
    )
    progress = (lambda m: obj.say(m, 2)) if obj.verbosity >= 2 else (lambda m: obj.say(m))
    if myopic:
        result = plan_myopic(district, sc, progress, years=n, budget=budget)
    else:
        result = plan_horizon(
            district, sc, progress, years=n, raise_on_failure=False, budget=budget
        )
    if not result.status.has_plan:
        if result.status.value == "infeasible" and diagnosis_file:
            write_diagnosis(
                Path(diagnosis_file),
                {"scenario": sc.name, "message": result.message, **(result.diagnosis or {})},
            )
    result.raise_for_status()
    write_horizon_plan(sc, result, out, budget, force=force)
    obj.say(result.summary())
    obj.say(f"{budget.elapsed():.1f} s of {sc.solver.time_limit_s:g} s used")
    obj.say(f"horizon plan written to {out}")


@main.command(
    epilog=help_epilog(
        "lungang check scenarios/demo.toml",
        {
            0: "data and scenario are valid",
            2: "problems found: each is printed with its file, row and column, or key",
        },
    )
)
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.pass_obj
@handle_errors
def check(obj: Ctx, scenario) -> None:
    """Validate data and scenario; print every problem; solve nothing."""
    from .rules.eligibility import eligibility

    sc, district = load(scenario)
    el = eligibility(district, sc)
    obj.say(
        f"ok: '{sc.name}': {district.n_schools} schools, {len(district.staff)} staff, "
        f"{int(el['eligible'].sum())} eligible"
    )


@main.command(
    epilog=help_epilog(
        "lungang eligible scenarios/demo.toml --out eligible.csv",
        {0: "the table was written", 2: None},
    )
)
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option(
    "--out", type=click.Path(dir_okay=False), help="Write the table as CSV here [default: stdout]."
)
@click.pass_obj
@handle_errors
def eligible(obj: Ctx, scenario, out) -> None:
    """Who is eligible, and for each person who is not, why."""
    from .rules.eligibility import eligibility
    from .safe_text import write_csv

    sc, district = load(scenario)
    if out:
        from .output.safety import check_output_file

        check_output_file(out, inputs=[scenario], data=data_path(sc), option="--out")
    el = eligibility(district, sc)
    el.index.name = "staff_id"
    if out:
        from .output.plan_folder import write_file_atomically

        enc = sc.output.csv_encoding
        write_file_atomically(Path(out), lambda p: write_csv(el, p, encoding=enc))
    else:
        write_csv(el, sys.stdout)
    counts = el.groupby("stream")["eligible"].agg(["sum", "size"])
    obj.say(
        f"{int(el['eligible'].sum())} of {len(el)} staff eligible ("
        + ", ".join(f"{s}: {int(r['sum'])}/{int(r['size'])}" for s, r in counts.iterrows())
        + ")"
    )


@main.command(
    epilog=help_epilog(
        "lungang generate outer-suburb --out data/generated/miyun --seed 1",
        {0: "the district was written (the path is printed)", 2: None},
    )
)
@click.argument("profile")
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder to write: schools.csv and staff.csv, or district.xlsx with --format xlsx.",
)
@click.option(
    "--seed", type=click.IntRange(0, 2**31 - 1), default=0, show_default=True, help="Random seed."
)
@click.option(
    "--schools", type=click.IntRange(1, 100_000), help="Number of schools [profile default]."
)
@click.option(
    "--staff", type=click.IntRange(1, 1_000_000), help="Number of staff [profile default]."
)
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True
)
@click.option("--force", is_flag=True, help="Replace a non-empty output folder.")
@click.option(
    "--history",
    is_flag=True,
    help="Also write history.csv and the staff columns hire_date, title_applicant "
    "(multi-year plans; not for city).",
)
@click.pass_obj
@handle_errors
def generate(obj: Ctx, profile, out, seed, schools, staff, fmt, force, history) -> None:
    """Write a synthetic district (profiles: demo, urban-core, outer-suburb, county-two-way, city)."""
    from .generate import PROFILES, write_generated
    from .output.plan_folder import write_atomically
    from .output.safety import check_output_dir

    if profile not in PROFILES:
        raise InputError(
            f"unknown profile '{profile}'; choose one of {', '.join(PROFILES)}", file="PROFILE"
        )
    check_output_dir(out, force=force)
    folders: list[Path] = []

    def fill(tmp: Path) -> None:
        written = write_generated(
            profile, tmp, seed=seed, schools=schools, staff=staff, fmt=fmt, horizon=history
        )
        folders.extend(Path(out) / f.relative_to(tmp) for f in written)

    try:
        write_atomically(Path(out), force, fill, marker="district")
    except InputError as exc:  # the generator names its arguments: name the options
        raise InputError(
            [
                dataclasses.replace(p, file=f"--{p.key}", key=None) if p.file == "generate" else p
                for p in exc.problems
            ]
        ) from None
    # where to point a scenario's `data`: the workbook itself for xlsx
    where = [f / "district.xlsx" for f in folders] if fmt == "xlsx" else folders
    shown = str(where[0]) if len(where) == 1 else f"{out} ({len(where)} districts)"
    obj.say(f"{profile} (seed {seed}) written to {shown}", 0)


@main.command(
    epilog=help_epilog(
        "lungang validate scenarios/demo.toml results/Demo_district_2025-26",
        {0: "the plan obeys every rule", 2: None, 3: "the plan breaks rules: each is listed"},
    )
)
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.argument("plan", type=click.Path(file_okay=False, exists=True))
@click.pass_obj
@handle_errors
def validate(obj: Ctx, scenario, plan) -> None:
    """Check a plan folder against every rule, independently of the model (exit 3 if broken)."""
    from .validate import summarize, validate_horizon_dir, validate_plan_dir

    sc, district = load(scenario)
    if (Path(plan) / "horizon.json").is_file():  # a multi-year plan (`lungang plan`)
        violations = validate_horizon_dir(Path(plan), district, sc)
    else:
        violations = validate_plan_dir(Path(plan), district, sc)
    if violations:
        click.echo(summarize(violations))
        sys.exit(ExitCode.INFEASIBLE)
    obj.say(f"ok: {plan} obeys every rule of '{sc.name}'")


@main.command(
    epilog=help_epilog(
        "lungang indicators scenarios/demo.toml --plan results/Demo_district_2025-26",
        {0: "the tables were printed", 2: None},
    )
)
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option(
    "--plan",
    type=click.Path(file_okay=False, exists=True),
    help="A plan folder: show before and after.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
@click.option(
    "--table",
    "which",
    type=click.Choice(["schools", "coefficients"]),
    default="schools",
    show_default=True,
    help="With --format csv: the table to write.",
)
@click.option(
    "--lang",
    type=click.Choice(["en", "zh"]),
    help="Language of the tables [default: the scenario's [output] lang].",
)
@click.pass_obj
@handle_errors
def indicators(obj: Ctx, scenario, plan, fmt, which, lang) -> None:
    """Balance indicators per school and level, and their difference coefficients.

    For every school (a nine-year school as its primary and its junior part): teachers
    with above-standard qualifications, key teachers, and PE and art teachers per 100
    students, the student-teacher ratio, and the indicators under the national standard
    value; per indicator and level the difference coefficient and whether it meets 0.50
    (primary) / 0.45 (junior). With --plan, before and after side by side (CSV columns
    get the suffixes _before and _after, as in a plan's schools.csv).
    """
    from .input.assignments import read_assignments, read_part_time
    from .plan.plan import Plan
    from .rules.forms import count_deltas
    from .rules.indicators import coefficient_table, indicator_report, level_rows, school_indicators

    if plan and horizon_year(Path(plan)) is not None:
        # a year folder of a multi-year plan: the district as it stands that year
        sc, district = load_plan_case(Path(plan), scenario)
    else:
        sc, district = load(scenario)
    where = delta = None
    if plan:
        after = Plan.of(district, read_assignments(Path(plan)))
        where = after.school_of
        shares = read_part_time(Path(plan))
        # [forms]: the after side counts teacher-equivalents
        delta = None if shares is None else count_deltas(district, after.school_pos, shares)
    if fmt == "json":
        sides = {"before": school_indicators(district)}
        if where is not None:
            sides["after"] = school_indicators(district, where, delta)
        click.echo(
            _json(
                {
                    k: {
                        "coefficients": coefficient_table(district, v).to_dict("records"),
                        "schools": level_rows(district, v).to_dict("records"),
                    }
                    for k, v in sides.items()
                }
            )
        )
        return
    report = indicator_report(district, where, delta)
    if fmt == "csv":
        from .safe_text import write_csv

        write_csv(report[which], sys.stdout, index=False)
        return
    sides = ["before", "after"] if plan else ["before"]
    _print_indicator_tables(sc.name, report, sides, lang or obj.lang or sc.output.lang)


def _print_indicator_tables(name, report, sides, lang: str = "en") -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    from .output.i18n import code, text
    from .rules.indicators import SHORT_NAMES, STANDARD_MIN

    side = {s: text(f"ind.{s}", lang) for s in sides}

    out = Console(highlight=False)
    sfx = (lambda c, s: f"{c}_{s}") if len(sides) > 1 else (lambda c, s: c)
    coefs = report["coefficients"]
    # Compact tables (a rule under the header, one space between columns) so that
    # before -> after fits an 80-column terminal; titles printed on their own wrap at
    # the terminal's width, not the table's.
    compact = {"box": box.SIMPLE_HEAD, "show_edge": False, "padding": (0, 0)}

    def two_lines(head: str) -> str:  # "below std before": the side on a second line
        if len(sides) < 2:
            return head
        if "（" in head:  # Chinese: 未达标准值学校（交流前）
            return head.replace("（", "\n（", 1)
        return "\n".join(head.rsplit(" ", 1)) if " " in head else head

    out.print(text("ind.coef_title", lang, name=name))
    t = Table(**compact)
    for col in (
        text("ind.indicator", lang),
        text("ind.level", lang),
        *[
            two_lines(text("ind.cv", lang, side=side[s]))
            if lang == "zh"
            else text("ind.cv", lang, side=side[s])
            for s in sides
        ],
        text("ind.max", lang),
        *[two_lines(text("ind.below", lang, side=side[s])) for s in sides],
    ):
        t.add_column(col, no_wrap=True)
    for _, r in coefs.iterrows():
        short = SHORT_NAMES[r["indicator"]]
        cells = [short if lang == "en" else code("indicator", r["indicator"], lang)]
        cells.append(code("level", r["level"], lang) if lang == "zh" else r["level"])
        for s in sides:
            meets = r[sfx("meets", s)]
            ok, over = text("ind.ok", lang), text("ind.over", lang)
            mark = "" if meets is None or meets != meets else (ok if meets else over)
            cells.append(f"{r[sfx('cv', s)]:.3f}{mark}")
        cells.append(f"{r['max_cv']:.2f}")
        cells += [f"{int(r[sfx('schools_below', s)])}/{int(r['schools'])}" for s in sides]
        t.add_row(*cells)
    out.print(t)
    arrow = " → ".join(side.values())
    out.print()
    out.print(text("ind.schools_title", lang, arrow=arrow))
    st = Table(**compact)
    names = [code("indicator", i, lang) for i in SHORT_NAMES] if lang == "zh" else None
    heads = ("school", "level", "students", *SHORT_NAMES.values(), "pupils/teacher")
    for j, col in enumerate(heads):
        if lang == "zh":
            col = names[j - 3] if 3 <= j < 6 else text(f"ind.{col}", lang)
        elif col == "pupils/teacher":
            col = "pupils/\nteacher"
        # values never wrap; a long school id folds onto a second line rather than vanish
        if j == 0:
            st.add_column(col, overflow="fold", min_width=3)
        else:
            st.add_column(col, no_wrap=True)
    for _, r in report["schools"].iterrows():
        level = code("level", r["level"], lang) if lang == "zh" else r["level"]
        cells = [str(r["school_id"]), level, str(int(r["students"]))]
        for ind in SHORT_NAMES:
            vals = [r[sfx(ind, s)] for s in sides]
            low = STANDARD_MIN[ind][r["level"]] - 1e-12
            cells.append("→".join(f"{v:.2f}{'*' if v < low else ''}" for v in vals))
        cells.append("→".join(f"{r[sfx('students_per_teacher', s)]:.1f}" for s in sides))
        st.add_row(*cells)
    out.print(st)


def _json(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2, default=str)


# Commands defined in their own modules register here (one import and add_command each).
from .batch.command import batch as _batch_command  # noqa: E402 (after `main` exists)

main.add_command(_batch_command)


@main.command(
    epilog=help_epilog(
        "lungang explain results/Demo_district_2025-26 --staff E001",
        {0: "the analysis was printed", 2: None},
    )
)
@click.argument("plan", type=click.Path(file_okay=False, exists=True))
@click.option("--staff", "staff_ids", multiple=True, help="Explain this person (repeatable).")
@click.option(
    "--school",
    "school_ids",
    multiple=True,
    help="Show this school and the people who leave or join it (repeatable).",
)
@click.option(
    "--scenario",
    "scenario_path",
    type=click.Path(dir_okay=False),
    help="Scenario file [default: the scenario stored in the plan's summary.json].",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds for the analysis; people left when they run out are marked not analysed "
    "[default: 30].",
)
@click.pass_obj
@handle_errors
def explain(obj: Ctx, plan, staff_ids, school_ids, scenario_path, fmt, time_limit) -> None:
    """Why the plan is as it is: terms, rules, schools and people (see explain.json)."""
    from .analysis.explain import EXPLAIN_BUDGET_S, explain_plan
    from .input.assignments import read_assignments, read_part_time
    from .output.text_tables import explain_text

    plan = Path(plan)
    sc, district = load_plan_case(plan, scenario_path)
    if not obj.lang:  # the plan's scenario decides, as for its report
        obj.scenario_lang = sc.output.lang
    a = read_assignments(plan)
    shares = read_part_time(plan)
    staff = list(staff_ids) or None
    if school_ids:
        unknown = [s for s in school_ids if s not in district.schools.index]
        if unknown:
            raise InputError(f"unknown school(s): {', '.join(unknown)}", file="--school")
        touch = a[a["from_school"].isin(school_ids) | a["to_school"].isin(school_ids)].index
        staff = list(dict.fromkeys([*(staff or []), *touch]))
    if staff_ids:
        unknown = [s for s in staff_ids if s not in a.index]
        if unknown:
            raise InputError(
                f"not in the plan (not an eligible person): {', '.join(unknown)}", file="--staff"
            )
    status, bound = None, None
    if (plan / "summary.json").is_file():
        from .input.assignments import read_json_file

        info = read_json_file(plan / "summary.json")
        status = info.get("status") if isinstance(info, dict) else None
        bound = info if isinstance(info, dict) else None  # best_bound, gap, bound_scope
    budget_s = EXPLAIN_BUDGET_S if time_limit is None else time_limit
    n = len(a) if staff is None else len(staff)
    # (with --format json the budget is in the JSON: budget_s)
    obj.say(f"explaining {n} decisions (budget {budget_s:g} s)", 1 if fmt == "text" else 2)
    ex = explain_plan(
        district,
        sc,
        a,
        staff=staff,
        status=status,
        bound=bound,
        time_budget_s=budget_s,
        part_time=shares,
    )
    year = horizon_year(plan)
    if year is not None:  # a year of a multi-year plan: what coverage has to do with it
        from .analysis.coverage import add_coverage_reasons, coverage_section

        add_coverage_reasons(ex, coverage_section(plan.parent, year, scenario_path))
    if ex.get("people_not_analysed"):
        obj.say(
            f"{ex['people_not_analysed']} of {n} people not analysed within {budget_s:g} s "
            "(give a larger --time-limit)"
        )
    from .validate import validate_plan

    broken = validate_plan(district, sc, a, part_time=shares)
    if broken:
        ex.setdefault("warnings", []).append(
            f"the plan breaks {len(broken)} rule instance(s) under these data and rules (lungang validate lists them)"
        )
    if fmt == "json":
        if school_ids:
            ex["schools"] = [s for s in ex["schools"] if s["school_id"] in school_ids]
        click.echo(_json(ex))
        return
    click.echo(
        explain_text(
            ex,
            staff=list(staff_ids) or None,
            school=list(school_ids) or None,
            lang=obj.language,
        )
    )


@main.command(
    epilog=help_epilog(
        "lungang diff results/demo results/Demo_district_2025-26",
        {0: "the differences were printed", 2: None},
    )
)
@click.argument("plan_a", type=click.Path(file_okay=False, exists=True))
@click.argument("plan_b", type=click.Path(file_okay=False, exists=True))
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@handle_errors
def diff(plan_a, plan_b, fmt) -> None:
    """Who moves differently in PLAN_B than in PLAN_A, and how indicators, terms and counts differ."""
    from .analysis.diff import diff_horizons, diff_plans, format_horizon_diff
    from .output.text_tables import diff_text

    obj = _ctx()
    lang = obj.language if obj else "en"
    if (Path(plan_a) / "horizon.json").is_file() and (Path(plan_b) / "horizon.json").is_file():
        # two multi-year plans (`lungang plan`): year by year
        d = diff_horizons(plan_a, plan_b)
        text = format_horizon_diff(d, lambda y: diff_text(y, lang))
        click.echo(_json(d) if fmt == "json" else text)
        return
    d = diff_plans(plan_a, plan_b)
    click.echo(_json(d) if fmt == "json" else diff_text(d, lang))


# ------------------------------------------------------------ report, template


@main.command(
    "report",
    epilog=help_epilog(
        "lungang report results/Demo_district_2025-26 --lang zh",
        {0: "written", 2: "bad input (not a plan folder, data missing); nothing is written"},
    ),
)
@click.argument("plan", type=click.Path(file_okay=False, exists=True))
@click.option(
    "--lang",
    type=click.Choice(["en", "zh"]),
    help="Language [default: the plan scenario's [output] lang].",
)
@click.option(
    "--scenario",
    "scenario_path",
    type=click.Path(dir_okay=False),
    help="Scenario file [default: the scenario stored in the plan's summary.json].",
)
@click.pass_obj
@handle_errors
def report(obj: Ctx, plan, lang, scenario_path) -> None:
    """(Re)write plan.xlsx and report.html of a plan folder, each atomically.

    PLAN is a plan folder written by `lungang solve` (or a folder holding only the
    diagnosis.json of a scenario whose rules cannot all hold). The district is read
    again for the schools' locations, from the data folder named in summary.json.
    """
    from .output.handoff import rewrite_handoff
    from .output.plan_view import read_plan_view

    plan = Path(plan)
    district = sc = None
    if (plan / "summary.json").is_file() or scenario_path:
        sc, district = load_plan_case(plan, scenario_path)
    elif not (plan / "diagnosis.json").is_file():
        raise InputError(
            "not a plan folder: no assignments.csv, summary.json or diagnosis.json",
            file=str(plan),
        )
    view = read_plan_view(plan, district)
    lang = lang or (sc.output.lang if sc is not None else "en")
    written = rewrite_handoff(view, plan, lang=lang)
    obj.say(f"written: {', '.join(str(p) for p in written)}")


@main.command(
    "template",
    epilog=help_epilog(
        "lungang template district.xlsx --lang zh",
        {0: "written", 2: "bad usage (the file exists without --force)"},
    ),
)
@click.argument("out", type=click.Path(dir_okay=False))
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True)
@click.option("--force", is_flag=True, help="Replace an existing file.")
@click.pass_obj
@handle_errors
def template(obj: Ctx, out, lang, force) -> None:
    """Write an input workbook to fill in: one sheet per table, drop-downs for codes.

    Sheets schools, staff, demand and pins (学校, 教职工, 需求, 锁定 with --lang zh) with
    their headers and a sample row, drop-down lists for every code column and for the
    school ids of the other sheets, a notes sheet explaining each column and a codes
    sheet. The filled-in workbook is a district: give it as `data` in a scenario.
    """
    from .output.plan_folder import write_file_atomically
    from .output.template import write_template

    path = Path(out)
    if path.suffix.lower() != ".xlsx":
        raise InputError("the template must be named *.xlsx", file=str(path))
    if path.exists() and not force:
        raise InputError(f"{path} exists; use --force to replace it", file=str(path))
    write_file_atomically(path, lambda tmp: write_template(tmp, lang=lang))
    obj.say(f"template written to {path}")


# ---------------------------------------------------------------------- compare


def _parse_objectives(_ctx, _param, value: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(v.strip() for v in (value or "").split(",") if v.strip()))
    from .analysis.compare import OBJECTIVES

    bad = [n for n in names if n not in OBJECTIVES]
    if bad:
        raise click.BadParameter(
            f"unknown objective(s) {', '.join(bad)}; choose from {', '.join(OBJECTIVES)}"
        )
    return names


def _parse_terms(_ctx, _param, value: str | None) -> tuple[str, str] | None:
    if value is None:
        return None
    names = tuple(v.strip() for v in value.split(","))
    from .model.terms import TERMS

    if len(names) != 2 or names[0] == names[1] or any(n not in TERMS for n in names):
        raise click.BadParameter(
            f"give two different terms, e.g. balance,commute (terms: {', '.join(TERMS)})"
        )
    return names  # type: ignore[return-value]


@main.command(
    "compare",
    epilog=help_epilog(
        "lungang compare scenarios/demo.toml --objectives cv,l1 --time-limit 20",
        {
            0: "the comparison was written",
            2: None,
            3: "the rules cannot all hold (no objective can find a plan)",
            4: "no objective found a plan within the time limit",
        },
    ),
)
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option(
    "--objectives",
    default="cv,minmax,l1",
    show_default=True,
    callback=_parse_objectives,
    help="Comma-separated objectives: cv, minmax, l1, lexicographic (empty: only the sweep).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    help="Output folder [default: results/<scenario name>-compare/].",
)
@click.option(
    "--time-limit",
    type=float,
    help="Seconds per objective and per sweep point [default: [solver] time_limit_s].",
)
@click.option("--workers", type=int, help="Override [solver] workers.")
@click.option("--seed", type=int, help="Override [solver] seed.")
@click.option(
    "--pareto",
    "pareto_terms",
    callback=_parse_terms,
    metavar="FIRST,SECOND",
    help="Also sweep the trade-off between two terms, e.g. balance,commute.",
)
@click.option(
    "--points",
    type=click.IntRange(0, 50),
    default=4,
    show_default=True,
    help="Epsilon levels between the sweep's two extremes.",
)
@click.option(
    "--balance-first",
    is_flag=True,
    help="Optimise each balance measure first, commute and moves only breaking ties "
    "(default: the scenario's weighted sum with each measure).",
)
@click.option("--force", is_flag=True, help="Replace a non-empty output folder.")
@click.pass_obj
@handle_errors
def compare_command(
    obj,
    scenario,
    objectives,
    out,
    time_limit,
    workers,
    seed,
    pareto_terms,
    points,
    balance_first,
    force,
) -> None:
    """Solve with each balance objective and compare the plans (and sweep a trade-off).

    Writes compare.csv, compare.md and each plan (plans/<objective>/) to the output
    folder, and with --pareto pareto.csv, pareto.md and pareto.png; prints the table.
    """

    if not objectives and not pareto_terms:
        raise InputError(
            Problem(file="--objectives", message="nothing to do: give objectives or --pareto")
        )
    if pareto_terms:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise InputError(
                Problem(
                    file="--pareto",
                    message="the trade-off plot needs matplotlib: pip install 'lungang[plot]'",
                )
            ) from None
    from .output.safety import check_output_dir
    from .search.guard import run_guard

    progress = obj.progress() if obj is not None else None
    if progress is not None:
        progress.phase("loading", str(scenario))
    sc, district = load(scenario)
    sc = sc.with_solver(time_limit_s=time_limit, workers=workers, seed=seed)
    out = Path(out) if out else Path("results") / f"{_slug(sc.name)}-compare"
    check_output_dir(out, inputs=[scenario], data=data_path(sc), force=force)
    with run_guard(sc):
        _compare_run(
            obj, sc, district, objectives, out, pareto_terms, points, balance_first, force, progress
        )


def _compare_run(
    obj, sc, district, objectives, out, pareto_terms, points, balance_first, force, progress
) -> None:
    from .analysis.compare import compare, is_monotone, pareto, with_objective
    from .analysis.explain import explain_result
    from .output.compare_report import markdown_table, pareto_markdown, write_comparison

    say = obj.say if obj is not None else (lambda m, level=1: None)
    n_runs = len(objectives) + ((2 + points) if pareto_terms else 0)
    say(
        f"comparing on '{sc.name}': {district.n_schools} schools, {len(district.staff)} staff, "
        f"{sc.solver.time_limit_s:g} s for each of {n_runs} runs"
    )
    table, results, explains = None, {}, {}

    def explain_one(name, res, budget) -> None:
        # within the objective's own budget: the search left time for it
        explains[name] = explain_result(
            district, with_objective(sc, name), res, budget=budget, progress=progress
        )

    if objectives:
        table, results = compare(
            district,
            sc,
            objectives,
            balance_first=balance_first,
            progress=progress,
            on_result=explain_one,
        )
    front = None
    if pareto_terms:
        say(
            f"pareto sweep {pareto_terms[0]} / {pareto_terms[1]}: {points} points between the extremes"
        )
        front = pareto(district, sc, pareto_terms, points, progress=progress)
        if not is_monotone(front, pareto_terms):
            say("warning: the sweep's front is not monotone (a search stopped at its time limit)")

    if progress is not None:
        progress.phase("writing", str(out))
    write_comparison(out, force, district, sc, table, results, explains, front, pareto_terms)
    if table is not None and "valid" in table and not table["valid"].dropna().astype(bool).all():
        say("warning: some plans break a rule (a bug): see the 'valid' column")
    if obj is not None:  # the display ends before the tables go to stdout
        obj.finish(f"written to {out}")
    if table is not None:
        click.echo(markdown_table(table, sc), nl=False)
    if front is not None:
        click.echo(
            ("\n" if table is not None else "") + pareto_markdown(front, pareto_terms), nl=False
        )


# -v, -q and --log-file also after a command's name (`lungang solve -v ...`), as before it
# (`lungang -v solve ...`): the same options on every command, adding to the group's.


def _more(ctx: click.Context, _param, value: int) -> None:
    if value:
        ctx.find_object(Ctx).verbosity += value


def _less(ctx: click.Context, _param, value: int) -> None:
    if value:
        ctx.find_object(Ctx).verbosity -= value


def _log_to(ctx: click.Context, _param, value: str | None) -> None:
    if value:
        ctx.find_object(Ctx).log_file = value


def _lang_to(ctx: click.Context, _param, value: str | None) -> None:
    if value:
        ctx.find_object(Ctx).lang = value


def _add_output_options(cmd: click.Command) -> None:
    """Give ``cmd`` the group's -v, -q, --log-file and --lang (those it does not define
    itself)."""
    have = {o for p in cmd.params for o in getattr(p, "opts", [])}
    options = [
        (
            ["-v", "--verbose"],
            {"count": True, "callback": _more, "help": "More progress on stderr."},
        ),
        (["-q", "--quiet"], {"count": True, "callback": _less, "help": "Less progress on stderr."}),
        (
            ["--log-file"],
            {
                "type": click.Path(dir_okay=False),
                "callback": _log_to,
                "help": "Also write the full progress stream (every phase, plan and note) "
                "to this file.",
            },
        ),
        (
            ["--lang"],
            {
                "type": click.Choice(["en", "zh"]),
                "callback": _lang_to,
                "help": "Language of messages and progress lines [default: the scenario's "
                "[output] lang, else en].",
            },
        ),
    ]
    for opts, kw in options:
        if not have & set(opts):
            cmd.params.append(click.Option(opts, expose_value=False, **kw))


for _cmd in main.commands.values():
    _add_output_options(_cmd)


def entry() -> None:  # pragma: no cover - the console script; tests call main
    """The ``lungang`` console script: ``main`` with the clock started at the package's
    import, and a fast exit once the output is written and flushed (freeing a model of
    hundreds of thousands of variables takes seconds nobody needs to wait for)."""
    import os

    from . import STARTED

    Ctx.process_start = STARTED
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    entry()
