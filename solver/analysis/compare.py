"""``lungang compare``: the balance objectives side by side, and a trade-off sweep.

:func:`compare` solves one district with each objective (``cv``, ``minmax``, ``l1``,
``lexicographic``) under the same rules, time limit, workers and seed, checks each
plan with the independent validator and measures it with :func:`plan_metrics`: per
balanced indicator and level the difference coefficient after, the worst school
(lowest value per 100 students) and the schools below the national standard value;
every balance measure of :mod:`solver.objective` (so each objective can be judged on
the others' measures); moves, total and longest commute; solve time, gap, status.

:func:`pareto` is an epsilon-constraint sweep between two terms (``balance`` and
``commute`` by default): the plan best on the second term (ties broken by the first)
and the plan best on the first (ties broken by the second) are the extremes; then, for
``points`` levels ε evenly between the two extremes' values of the first term, the
second term is minimised subject to first ≤ ε, and the first minimised again with the
second held (so that every point is non-dominated when both searches are optimal).
The sweep runs from tight to loose ε and each point starts from the previous plan,
which stays feasible, so the second term never rises along the sweep. The balance
measure is the scenario's (``cv`` for ``lexicographic``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click
import numpy as np
import pandas as pd

from ..errors import InputError, NoPlanError, Problem
from ..rules.indicators import LEVEL_PARTS, STANDARD_MIN, difference_coefficient, school_indicators

if TYPE_CHECKING:  # the solver (OR-Tools) is imported only when a command runs
    from ..input.data import District
    from ..input.scenario import Scenario
    from ..search.solve import Result

ProgressFn = Callable[[str], None]
#: The objective's named terms (as solver.objective.TERMS).
TERMS: tuple[str, ...] = ("balance", "commute", "moves")

OBJECTIVES: tuple[str, ...] = ("cv", "minmax", "l1", "lexicographic")
MEASURES: tuple[str, ...] = ("cv", "l1", "minmax")
TERM_LABELS = {"balance": "balance", "commute": "commute (km)", "moves": "moves"}


def with_objective(scenario: Scenario, objective: str) -> Scenario:
    """A copy of ``scenario`` with ``[balance] objective`` set."""
    return scenario.model_copy(
        update={"balance": scenario.balance.model_copy(update={"objective": objective})}
    )


def _school_pos(district: District, assignments: pd.DataFrame | None) -> np.ndarray:
    pos = district.staff_school_pos().copy()
    if assignments is not None and len(assignments):
        where = district.staff.index.get_indexer(assignments.index)
        pos[where] = district.schools.index.get_indexer(assignments["to_school"].astype(str))
    return pos


def balance_measures(
    district: District, scenario: Scenario, assignments: pd.DataFrame | None
) -> dict[str, float]:
    """The balance term of each measure (``cv``, ``l1``, ``minmax``; see
    :mod:`solver.objective`) for a plan (``None``: nobody moves), with the scenario's
    indicators and indicator weights."""
    from ..model.terms import level_balances
    from ..rules.indicators import counts_by_school

    inds = scenario.balance.indicators
    counts = counts_by_school(district, _school_pos(district, assignments), inds)
    parts = level_balances(district, scenario)
    return {
        kind: float(sum(p.cost(counts[:, inds.index(p.indicator)], kind) for p in parts))
        for kind in MEASURES
    }


def plan_metrics(district: District, scenario: Scenario, assignments: pd.DataFrame | None) -> dict:
    """What :func:`compare` reports of one plan (``None``: the staffing before any move).

    Keys: ``dc_<indicator>_<level>`` (difference coefficient after),
    ``worst_<indicator>_<level>`` and ``worst_value_<indicator>_<level>`` (the school
    part with the lowest value per 100 students), ``below_<indicator>_<level>`` (school
    parts under the national standard value), for each balanced indicator and each level
    with students; ``measure_cv``, ``measure_l1``, ``measure_minmax``; ``moves``,
    ``commute_km`` (total, movers only) and ``longest_commute_km``.
    """
    where = None
    if assignments is not None:
        from ..output.plan_folder import plan_school_of

        where = plan_school_of(district, assignments)
    values = school_indicators(district, where)
    out: dict = {}
    for ind in scenario.balance.indicators:
        for lvl in LEVEL_PARTS:
            w = district.schools[f"{lvl}_students"].to_numpy(dtype=float)
            if w.sum() <= 0:
                continue
            x = values[ind].to_numpy(dtype=float)
            key = f"{ind}_{lvl}"
            out[f"dc_{key}"] = difference_coefficient(w, x)
            part = np.flatnonzero(w > 0)
            worst = part[int(np.argmin(x[part]))]
            out[f"worst_{key}"] = str(district.schools.index[worst])
            out[f"worst_value_{key}"] = float(x[worst])
            out[f"below_{key}"] = int((x[part] < STANDARD_MIN[ind][lvl] - 1e-12).sum())
    for kind, v in balance_measures(district, scenario, assignments).items():
        out[f"measure_{kind}"] = v
    if assignments is None:
        out.update(moves=0, commute_km=0.0, longest_commute_km=0.0)
    else:
        moved = assignments["moved"].astype(bool).to_numpy()
        km = assignments["distance_km"].to_numpy(dtype=float)[moved]
        out.update(
            moves=int(moved.sum()),
            commute_km=float(km.sum()),
            longest_commute_km=float(km.max()) if len(km) else 0.0,
        )
    return out


def _row(
    district: District, scenario: Scenario, objective: str, result: Result | None, status: str
) -> dict:
    from ..validate import validate_plan

    row: dict = {"objective": objective, "mode": "", "status": status}
    if result is None:
        return row
    violations = validate_plan(district, scenario, result.assignments)
    row.update(valid=not violations, violations=len(violations))
    row.update(plan_metrics(district, scenario, result.assignments))
    row.update(solve_seconds=result.solve_seconds, gap=result.gap, objective_value=result.objective)
    return row


def compare(
    district: District,
    scenario: Scenario,
    objectives: Sequence[str],
    progress: ProgressFn | None = None,
    balance_first: bool = False,
) -> tuple[pd.DataFrame, dict[str, Result]]:
    """Solve with each objective and measure each plan.

    By default each objective is the scenario's weighted sum with that balance measure.
    The measures have different scales (a cv of 0.3 is 9 balance points, the same
    spread is some 30 as l1 and 100 as minmax), so under the same weights they trade
    balance for commute at different rates. With ``balance_first`` each measure is
    instead optimised first and commute and moves break ties (the lexicographic
    stages of :mod:`solver.lexicographic` with that measure): every objective then gets
    the best balance its measure can buy, whatever the weights.

    Returns the table (one row per objective, after a ``before`` row for the staffing
    as it is) and the results by objective. An objective that finds no plan in time has
    a row with status ``no plan``.

    Raises
    ------
    InfeasibleError
        The rules cannot all hold (they are the same for every objective).
    NoPlanError
        No objective found a plan.
    """
    from ..search.solve import solve

    say = progress or (lambda _m: None)
    before = {
        "objective": "before",
        "mode": "",
        "status": "",
        **plan_metrics(district, scenario, None),
    }
    rows, results = [before], {}
    last_error: NoPlanError | None = None
    for obj in objectives:
        sc = with_objective(scenario, obj)
        say(f"objective {obj}: solving ({sc.solver.time_limit_s:g} s, {sc.solver.workers} workers)")
        try:
            if balance_first and obj != "lexicographic":
                from ..search.lexicographic import solve_lexicographic

                res = solve_lexicographic(district, sc, progress=progress, measure=obj)
            else:
                res = solve(district, sc, progress=progress)
        except NoPlanError as exc:
            say(f"objective {obj}: {exc}")
            rows.append(_row(district, sc, obj, None, "no plan"))
            last_error = exc
            continue
        results[obj] = res
        say(f"objective {obj}: {res.summary()}")
        rows.append(_row(district, sc, obj, res, res.status.value))
        rows[-1]["mode"] = (
            "balance_first" if balance_first or obj == "lexicographic" else "weighted"
        )
    if not results and last_error is not None:
        raise last_error
    return pd.DataFrame(rows), results


# --------------------------------------------------------------------------- pareto


def pareto(
    district: District,
    scenario: Scenario,
    terms: tuple[str, str] = ("balance", "commute"),
    points: int = 4,
    progress: ProgressFn | None = None,
) -> pd.DataFrame:
    """Epsilon-constraint sweep of ``terms = (first, second)`` (see the module docstring).

    Each search pair (minimise one term, then the other with the first held) gets
    ``time_limit_s``: half each at the extremes, 3/4 and 1/4 at the ε points.

    Returns
    -------
    pandas.DataFrame
        One row per point, sorted by the first term: ``point`` (``<second>_optimal``,
        ``<first>_optimal`` or ``epsilon``), ``epsilon`` (term units, ε points only),
        the exact values of ``balance``, ``commute`` and ``moves``, the plan's
        difference coefficients ``dc_<indicator>_<level>``, ``optimal`` (both searches
        proved optimal), ``valid`` (validator) and ``seconds``.
    """
    from ortools.sat.python import cp_model

    from ..search.lexicographic import StagedModel, _no_plan
    from ..search.solve import build
    from ..validate import validate_plan

    first, second = terms
    say = progress or (lambda _m: None)
    built, build_s = build(district, scenario, progress)
    st = StagedModel(built, progress)
    limit = scenario.solver.time_limit_s
    div = st.divisor[first]
    rows = []

    def point(kind: str, eps: int | None, share: float) -> None:
        t0 = time.perf_counter()
        if eps is not None:
            st.hold(first, eps)
        lead, follow = (second, first) if kind != f"{first}_optimal" else (first, second)
        a = st.minimize(lead, share * limit)
        if not a.found:
            if not st.has_plan:
                raise _no_plan(a, built)
            say(f"pareto {kind}: no plan in time, point skipped")
            return
        st.hold(lead, a.value)
        b = st.minimize(follow, (1 - share) * limit)
        st.hold(lead, None)
        res = st.result(cp_model.FEASIBLE, build_s, time.perf_counter() - t0)
        metrics = plan_metrics(district, scenario, res.assignments)
        rows.append(
            {
                "point": kind,
                "epsilon": None if eps is None else eps / div,
                **{t: res.terms[t] for t in TERMS},
                **{k: v for k, v in metrics.items() if k.startswith("dc_")},
                "optimal": a.optimal and b.optimal,
                "valid": not validate_plan(district, scenario, res.assignments),
                "seconds": time.perf_counter() - t0,
            }
        )
        say(
            f"pareto {kind}{'' if eps is None else f' ε={eps / div:.4f}'}: {first} {res.terms[first]:.4f}, "
            f"{second} {res.terms[second]:.4f}"
        )

    point(f"{second}_optimal", None, 0.5)
    hi = st.value(first)
    point(f"{first}_optimal", None, 0.5)
    lo = st.value(first)
    if hi > lo:
        for k in range(1, points + 1):
            point("epsilon", lo + (hi - lo) * k // (points + 1), 0.75)
    st.hold(first, None)
    frame = pd.DataFrame(rows)
    return frame.sort_values([first, second], kind="stable").reset_index(drop=True)


def is_monotone(
    frame: pd.DataFrame, terms: tuple[str, str] = ("balance", "commute"), tol: float = 1e-6
) -> bool:
    """Whether the second term never rises as the first one rises (a trade-off front)."""
    f = frame.sort_values(list(terms))
    return bool((np.diff(f[terms[1]].to_numpy(dtype=float)) <= tol).all())


def plot_pareto(
    frame: pd.DataFrame, path: Path, terms: tuple[str, str], title: str, measure: str
) -> None:
    """Write the front as a PNG: the two terms, and (for ``balance``) each difference
    coefficient against the second term, with the standard's thresholds."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..rules.indicators import MAX_CV

    first, second = terms
    dcs = [c for c in frame.columns if c.startswith("dc_")] if first == "balance" else []
    fig, axes = plt.subplots(1, 2 if dcs else 1, figsize=(11 if dcs else 6, 4.2), squeeze=False)
    ax = axes[0][0]
    f = frame.sort_values(first)
    ax.plot(f[first], f[second], "-o", color="tab:blue", zorder=2)
    for kind, marker, color in (
        (f"{first}_optimal", "s", "tab:green"),
        (f"{second}_optimal", "D", "tab:red"),
    ):
        sel = f[f["point"] == kind]
        ax.scatter(
            sel[first],
            sel[second],
            marker=marker,
            s=70,
            color=color,
            zorder=3,
            label=kind.replace("_", " "),
        )
    names = {
        "cv": "cv: 100·Σ CV²",
        "l1": "l1: 100·Σ w·|x − m|/m",
        "minmax": "minmax: 100·(max − min)/m",
    }
    xlabel = (
        f"balance ({names.get(measure, measure)})" if first == "balance" else TERM_LABELS[first]
    )
    ax.set_xlabel(xlabel)
    ax.set_ylabel(TERM_LABELS[second])
    ax.set_title("trade-off (epsilon-constraint)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    if dcs:
        ax2 = axes[0][1]
        for c in dcs:
            ax2.plot(f[c], f[second], "-o", label=c[3:].replace("_per_100", "/100"))
        for level in sorted({c.rsplit("_", 1)[1] for c in dcs}):
            ax2.axvline(MAX_CV[level], ls="--", lw=0.8, color="grey")
            ax2.annotate(
                f"max {level}",
                (MAX_CV[level], 1),
                xycoords=("data", "axes fraction"),
                rotation=90,
                va="top",
                ha="right",
                fontsize=7,
                color="grey",
            )
        ax2.set_xlabel("difference coefficient after")
        ax2.set_ylabel(TERM_LABELS[second])
        ax2.set_title("difference coefficients along the front")
        ax2.grid(alpha=0.3)
        ax2.legend(fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --------------------------------------------------------------------------- tables


def _fmt(v, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, bool | np.bool_):
        return "yes" if v else "no"
    if isinstance(v, int | np.integer):
        return str(int(v))
    if isinstance(v, float | np.floating):
        return f"{v:.{digits}f}"
    return str(v)


def markdown_table(frame: pd.DataFrame, scenario: Scenario) -> str:
    """The comparison as a Markdown table (the CSV has every column, unrounded)."""
    heads = ["objective"]
    modes = frame["mode"] if "mode" in frame else pd.Series([""] * len(frame))
    cells: list[list[str]] = [
        [
            f"{o} (balance first)" if m == "balance_first" and o != "lexicographic" else str(o)
            for o, m in zip(frame["objective"], modes.fillna(""), strict=True)
        ]
    ]
    keys = [
        (ind, lvl)
        for ind in scenario.balance.indicators
        for lvl in LEVEL_PARTS
        if f"dc_{ind}_{lvl}" in frame
    ]

    def col(head: str, values) -> None:
        heads.append(head)
        cells.append(list(values))

    for ind, lvl in keys:
        short = f"{ind.removesuffix('_per_100')} {lvl}"
        col(f"CV {short}", (_fmt(v) for v in frame[f"dc_{ind}_{lvl}"]))
    for ind, lvl in keys:
        short = f"{ind.removesuffix('_per_100')} {lvl}"
        col(
            f"worst {short}",
            (
                f"{s} ({_fmt(v, 2)})"
                for s, v in zip(
                    frame[f"worst_{ind}_{lvl}"], frame[f"worst_value_{ind}_{lvl}"], strict=True
                )
            ),
        )
        col(f"below std {short}", (_fmt(v) for v in frame[f"below_{ind}_{lvl}"]))
    for kind in MEASURES:
        col(f"{kind} measure", (_fmt(v) for v in frame[f"measure_{kind}"]))
    col("moves", (_fmt(v) for v in frame["moves"]))
    col("commute km", (_fmt(v, 1) for v in frame["commute_km"]))
    col("longest km", (_fmt(v, 1) for v in frame["longest_commute_km"]))
    col("solve s", (_fmt(v, 1) for v in frame.get("solve_seconds", [None] * len(frame))))
    col("gap", (_fmt(v, 4) for v in frame.get("gap", [None] * len(frame))))
    col("status", (str(v) for v in frame["status"]))
    col(
        "valid",
        (
            _fmt(v) if isinstance(v, bool | np.bool_) else ""
            for v in frame.get("valid", [None] * len(frame))
        ),
    )
    rows = list(zip(*cells, strict=True))
    lines = ["| " + " | ".join(heads) + " |", "|" + "|".join("---" for _ in heads) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def pareto_markdown(frame: pd.DataFrame, terms: tuple[str, str]) -> str:
    cols = [
        "point",
        "epsilon",
        *TERMS,
        *[c for c in frame.columns if c.startswith("dc_")],
        "optimal",
        "valid",
    ]
    lines = [
        "| " + " | ".join(c.removeprefix("dc_") for c in cols) + " |",
        "|" + "|".join("---" for _ in cols) + "|",
    ]
    for _, r in frame.iterrows():
        cells = [
            _fmt(int(r[c]) if c == "moves" else r[c], 4 if c in ("balance", "epsilon") else 3)
            for c in cols
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- command


def _parse_objectives(_ctx, _param, value: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(v.strip() for v in (value or "").split(",") if v.strip()))
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
    if len(names) != 2 or names[0] == names[1] or any(n not in TERMS for n in names):
        raise click.BadParameter(
            f"give two different terms, e.g. balance,commute (terms: {', '.join(TERMS)})"
        )
    return names  # type: ignore[return-value]


@click.command("compare")
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
    from ..cli import _slug, handle_errors, load

    handle_errors(_compare_main)(
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
        load,
        _slug,
    )


def _compare_main(
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
    load,
    slug,
) -> None:
    from ..output.plan_folder import write_atomically, write_plan

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
    sc, district = load(scenario)
    sc = sc.with_solver(time_limit_s=time_limit, workers=workers, seed=seed)
    out = Path(out) if out else Path("results") / f"{slug(sc.name)}-compare"
    if out.exists() and any(out.iterdir()) and not force:
        raise InputError(
            f"output folder {out} exists and is not empty; use --force to replace it", file=str(out)
        )
    say = obj.say if obj is not None else (lambda m, level=1: None)

    def progress(m: str) -> None:
        say(m, 2)

    say(
        f"comparing on '{sc.name}': {district.n_schools} schools, {len(district.staff)} staff, "
        f"{sc.solver.time_limit_s:g} s each"
    )
    table, results = None, {}
    if objectives:
        table, results = compare(
            district,
            sc,
            objectives,
            balance_first=balance_first,
            progress=lambda m: say(m, 1 if m.startswith("objective") else 2),
        )
    front = None
    if pareto_terms:
        say(
            f"pareto sweep {pareto_terms[0]} / {pareto_terms[1]}: {points} points between the extremes"
        )
        front = pareto(district, sc, pareto_terms, points, progress=progress)
        if not is_monotone(front, pareto_terms):
            say("warning: the sweep's front is not monotone (a search stopped at its time limit)")

    def fill(tmp: Path) -> None:
        if table is not None:
            table.to_csv(tmp / "compare.csv", index=False)
            (tmp / "compare.md").write_text(markdown_table(table, sc), encoding="utf-8")
            for name, res in results.items():
                write_plan(district, with_objective(sc, name), res, tmp / "plans" / name)
        if front is not None:
            front.to_csv(tmp / "pareto.csv", index=False)
            (tmp / "pareto.md").write_text(pareto_markdown(front, pareto_terms), encoding="utf-8")
            plot_pareto(
                front,
                tmp / "pareto.png",
                pareto_terms,
                f"{sc.name}: {pareto_terms[0]} vs {pareto_terms[1]}",
                sc.balance.kind,
            )

    write_atomically(out, force, fill)
    if table is not None:
        click.echo(markdown_table(table, sc), nl=False)
    if front is not None:
        click.echo(
            ("\n" if table is not None else "") + pareto_markdown(front, pareto_terms), nl=False
        )
    say(f"written to {out}")
    if table is not None and "valid" in table and not table["valid"].dropna().astype(bool).all():
        say("warning: some plans break a rule (a bug): see the 'valid' column")
