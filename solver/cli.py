"""The ``lungang`` command line (CONTRACT.md, "Commands")."""

from __future__ import annotations

import functools
import json
import re
import sys
from pathlib import Path

import click
from rich.console import Console

from . import __version__
from .errors import ExitCode, InfeasibleError, InputError, NoPlanError

err = Console(stderr=True, highlight=False, soft_wrap=True)


class Ctx:
    verbosity = 1

    def say(self, msg: str, level: int = 1) -> None:
        if self.verbosity >= level:
            err.print(msg, markup=False)


def handle_errors(fn):
    """Map our exceptions to the contract's exit codes, with messages on stderr."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except InputError as exc:
            n = len(exc.problems)
            err.print(f"error: {n} problem{'s' if n != 1 else ''} in the input:", markup=False)
            for p in exc.problems:
                err.print(f"  {p}", markup=False)
            sys.exit(ExitCode.BAD_INPUT)
        except InfeasibleError as exc:
            err.print(f"infeasible: {exc}", markup=False)
            sys.exit(ExitCode.INFEASIBLE)
        except NoPlanError as exc:
            err.print(f"no plan: {exc}", markup=False)
            sys.exit(ExitCode.NO_PLAN)

    return wrapper


def load(scenario_path: str):
    """Scenario and district, validated (exit 2 on any problem)."""
    from .loaders import load_district
    from .scenario import load_scenario

    sc = load_scenario(scenario_path)
    data = sc.scenario.data
    if data is None:
        from .generate import cached_district_path

        data = cached_district_path(sc)
    district = load_district(data, as_of=sc.as_of)
    return sc, district


def _slug(name: str) -> str:
    return re.sub(r"[^\w.-]+", "_", name, flags=re.UNICODE).strip("_") or "plan"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="More progress on stderr.")
@click.option("-q", "--quiet", count=True, help="Less progress on stderr.")
@click.version_option(__version__, prog_name="lungang")
@click.pass_context
def main(ctx: click.Context, verbose: int, quiet: int) -> None:
    """lungang (轮岗): plan principal and teacher rotation with CP-SAT."""
    ctx.obj = Ctx()
    ctx.obj.verbosity = 1 + verbose - quiet


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--out", type=click.Path(file_okay=False), help="Plan folder [default: results/<scenario name>/].")
@click.option("--time-limit", type=float, help="Override [solver] time_limit_s.")
@click.option("--workers", type=int, help="Override [solver] workers.")
@click.option("--seed", type=int, help="Override [solver] seed.")
@click.option("--force", is_flag=True, help="Replace a non-empty output folder.")
@click.pass_obj
@handle_errors
def solve(obj: Ctx, scenario, out, time_limit, workers, seed, force) -> None:
    """Plan one year's rotation and write the plan folder."""
    from .output import write_plan
    from .solve import solve as run

    sc, district = load(scenario)
    sc = sc.with_solver(time_limit_s=time_limit, workers=workers, seed=seed)
    out = Path(out) if out else Path("results") / _slug(sc.name)
    # Refuse a non-empty output folder before spending time on the solve.
    if out.exists() and any(out.iterdir()) and not force:
        raise InputError(f"output folder {out} exists and is not empty; use --force to replace it", file=str(out))
    obj.say(f"solving '{sc.name}': {district.n_schools} schools, {len(district.staff)} staff")
    result = run(district, sc, progress=(lambda m: obj.say(m, 2)) if obj.verbosity >= 2 else (lambda m: obj.say(m)))
    write_plan(district, sc, result, out, force=force)
    obj.say(result.summary())
    obj.say(f"plan written to {out}")


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.pass_obj
@handle_errors
def check(obj: Ctx, scenario) -> None:
    """Validate data and scenario; print every problem; solve nothing."""
    from .eligibility import eligibility

    sc, district = load(scenario)
    el = eligibility(district, sc)
    obj.say(
        f"ok: '{sc.name}': {district.n_schools} schools, {len(district.staff)} staff, "
        f"{int(el['eligible'].sum())} eligible"
    )


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--out", type=click.Path(dir_okay=False), help="Write the table as CSV here [default: stdout].")
@click.pass_obj
@handle_errors
def eligible(obj: Ctx, scenario, out) -> None:
    """Who is eligible, and for each person who is not, why."""
    from .eligibility import eligibility

    sc, district = load(scenario)
    el = eligibility(district, sc)
    el.index.name = "staff_id"
    if out:
        from .output import write_file_atomically

        write_file_atomically(Path(out), lambda p: el.to_csv(p, encoding="utf-8"))
    else:
        el.to_csv(sys.stdout)
    counts = el.groupby("stream")["eligible"].agg(["sum", "size"])
    obj.say(
        f"{int(el['eligible'].sum())} of {len(el)} staff eligible ("
        + ", ".join(f"{s}: {int(r['sum'])}/{int(r['size'])}" for s, r in counts.iterrows())
        + ")"
    )


@main.command()
@click.argument("profile")
@click.option("--out", required=True, type=click.Path(file_okay=False))
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--schools", type=int, help="Number of schools [profile default].")
@click.option("--staff", type=int, help="Number of staff [profile default].")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True)
@click.option("--force", is_flag=True, help="Replace a non-empty output folder.")
@click.pass_obj
@handle_errors
def generate(obj: Ctx, profile, out, seed, schools, staff, fmt, force) -> None:
    """Write a synthetic district (profiles: demo, urban-core, outer-suburb, county-two-way, city)."""
    from .generate import PROFILES, write_generated
    from .output import write_atomically

    if profile not in PROFILES:
        raise InputError(f"unknown profile '{profile}'; choose one of {', '.join(PROFILES)}", file="PROFILE")
    write_atomically(Path(out), force, lambda tmp: write_generated(profile, tmp, seed=seed, schools=schools, staff=staff, fmt=fmt))
    obj.say(f"{profile} (seed {seed}) written to {out}")


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.argument("plan", type=click.Path(file_okay=False, exists=True))
@click.pass_obj
@handle_errors
def validate(obj: Ctx, scenario, plan) -> None:
    """Check a plan folder against every rule, independently of the model (exit 3 if broken)."""
    from .validate import summarize, validate_plan_dir

    sc, district = load(scenario)
    violations = validate_plan_dir(Path(plan), district, sc)
    if violations:
        click.echo(summarize(violations))
        sys.exit(ExitCode.INFEASIBLE)
    obj.say(f"ok: {plan} obeys every rule of '{sc.name}'")


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--plan", type=click.Path(file_okay=False, exists=True), help="A plan folder: show before and after.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.pass_obj
@handle_errors
def indicators(obj: Ctx, scenario, plan, fmt) -> None:
    """Balance indicators per school and level, and their difference coefficients."""
    from .indicators import coefficient_table, level_rows, school_indicators
    from .output import plan_school_of, read_assignments

    sc, district = load(scenario)
    sides = {"before": school_indicators(district)}
    if plan:
        sides["after"] = school_indicators(district, plan_school_of(district, read_assignments(Path(plan))))
    schools = {k: level_rows(district, v) for k, v in sides.items()}
    coefs = {k: coefficient_table(district, v) for k, v in sides.items()}
    if fmt == "json":
        click.echo(_json({k: {"coefficients": coefs[k].to_dict("records"),
                              "schools": schools[k].to_dict("records")} for k in sides}))
        return
    if fmt == "csv":
        frames = [df.assign(side=k) for k, df in schools.items()]
        import pandas as pd

        pd.concat(frames).to_csv(sys.stdout, index=False)
        return
    _print_indicator_tables(sc.name, schools, coefs)


def _print_indicator_tables(name, schools, coefs) -> None:
    from rich.console import Console
    from rich.table import Table

    out = Console(highlight=False)
    sides = list(schools)
    t = Table(title=f"{name}: difference coefficients (max 0.50 primary, 0.45 junior)")
    for col in ("indicator", "level", *[f"cv {s}" for s in sides], "max", *[f"below std {s}" for s in sides]):
        t.add_column(col)
    base = coefs[sides[0]]
    for i, row in base.iterrows():
        cells = [row["indicator"], row["level"]]
        for s in sides:
            r = coefs[s].iloc[i]
            mark = "" if r["meets"] is None else (" ok" if r["meets"] else " over")
            cells.append(f"{r['cv']:.3f}{mark}")
        cells.append(f"{row['max_cv']:.2f}")
        cells += [f"{int(coefs[s].iloc[i]['schools_below'])}/{int(row['schools'])}" for s in sides]
        t.add_row(*cells)
    out.print(t)
    st = Table(title="schools (per 100 students; below = under the national standard)")
    for col in ("school", "level", "students", "qualified", "key", "pe_art", "students/teacher", "below"):
        st.add_column(col)
    last = schools[sides[-1]]
    for _, r in last.iterrows():
        st.add_row(str(r["school_id"]), r["level"], str(int(r["students"])), f"{r['qualified_per_100']:.2f}",
                   f"{r['key_per_100']:.2f}", f"{r['pe_art_per_100']:.2f}", f"{r['students_per_teacher']:.1f}",
                   r["below_standard"])
    out.print(st)


def _json(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2, default=str)


# Commands defined in their own modules register here (one import and add_command each).


if __name__ == "__main__":  # pragma: no cover
    main()
