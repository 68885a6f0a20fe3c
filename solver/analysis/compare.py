"""``lungang compare``: the balance objectives side by side, and a trade-off sweep.

This module is the pipeline; the measures are :mod:`solver.analysis.metrics`, the
tables and the plot :mod:`solver.output.plan_folder.compare_report`, the command ``solver.cli``.

:func:`compare` solves one district with each objective (``cv``, ``minmax``, ``l1``,
``lexicographic``) under the same rules, time limit, workers and seed, checks each
plan with the independent validator and measures it with :func:`plan_metrics`: per
balanced indicator and level the difference coefficient after, the worst school
(lowest value per 100 students) and the schools below the national standard value;
every balance measure of :mod:`solver.model.terms` (so each objective can be judged on
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

import time
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from ..errors import NoPlanError
from ..input.data import District
from ..input.scenario import Scenario
from ..model.terms import TERMS
from ..plan.result import Result
from ..progress import Budget, ProgressLike, as_progress, finish_reserve
from ..search.build import build
from ..search.engine import StagedModel
from ..search.lexicographic import solve_lexicographic, stage_failure
from ..search.solve import solve
from ..validate import validate_plan
from .metrics import plan_metrics

ProgressFn = ProgressLike
#: Called after each objective's solve with its name, result and budget (the caller
#: explains the plan within what is left of that budget).
OnResult = Callable[[str, Result, Budget], None]

OBJECTIVES: tuple[str, ...] = ("cv", "minmax", "l1", "lexicographic")


def with_objective(scenario: Scenario, objective: str) -> Scenario:
    """A copy of ``scenario`` with ``[balance] objective`` set."""
    return scenario.model_copy(
        update={"balance": scenario.balance.model_copy(update={"objective": objective})}
    )


def _row(
    district: District, scenario: Scenario, objective: str, result: Result | None, status: str
) -> dict:
    row: dict = {"objective": objective, "mode": "", "status": status}
    if result is None:
        return row
    violations = validate_plan(district, scenario, result.assignments, part_time=result.part_time)
    row.update(valid=not violations, violations=len(violations))
    row.update(plan_metrics(district, scenario, result.assignments, result.part_time))
    row.update(
        solve_seconds=result.solve_seconds,
        gap=result.gap,
        bound_scope=result.bound_scope,
        objective_value=result.objective,
    )
    return row


def compare(
    district: District,
    scenario: Scenario,
    objectives: Sequence[str],
    progress: ProgressFn | None = None,
    balance_first: bool = False,
    on_result: OnResult | None = None,
) -> tuple[pd.DataFrame, dict[str, Result]]:
    """Solve with each objective and measure each plan.

    By default each objective is the scenario's weighted sum with that balance measure.
    The measures have different scales (a cv of 0.3 is 9 balance points, the same
    spread is some 30 as l1 and 100 as minmax), so under the same weights they trade
    balance for commute at different rates. With ``balance_first`` each measure is
    instead optimised first and commute and moves break ties (the lexicographic
    stages of :mod:`solver.search.lexicographic` with that measure): every objective then gets
    the best balance its measure can buy, whatever the weights.

    Each objective gets a budget of ``time_limit_s`` of its own (checks, build, search
    and what ``on_result`` does with the plan: the search leaves
    :func:`~solver.progress.finish_reserve` for it); ``progress`` is told which
    objective runs and how many remain.

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
    progress = as_progress(progress)
    say = progress.note
    before = {
        "objective": "before",
        "mode": "",
        "status": "",
        **plan_metrics(district, scenario, None),
    }
    rows, results = [before], {}
    last_error: NoPlanError | None = None
    for i, obj in enumerate(objectives, 1):
        sc = with_objective(scenario, obj)
        budget = Budget(sc.solver.time_limit_s, reserve_s=finish_reserve(len(district.staff)))
        progress.use(budget)
        progress.step(f"objective {obj}", i, len(objectives))
        progress.problem("objective")
        say(
            f"objective {obj}: solving ({sc.solver.time_limit_s:g} s, {sc.solver.workers} workers)",
            2,
        )
        try:
            if balance_first and obj != "lexicographic":
                res = solve_lexicographic(
                    district, sc, progress=progress, measure=obj, budget=budget
                )
            else:
                res = solve(district, sc, progress=progress, budget=budget)
        except NoPlanError as exc:
            say(f"objective {obj}: {exc}")
            rows.append(_row(district, sc, obj, None, "no plan"))
            last_error = exc
            continue
        results[obj] = res
        say(f"objective {obj}: {res.summary()}")
        if on_result is not None:
            on_result(obj, res, budget)
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
    first, second = terms
    progress = as_progress(progress)
    say = progress.note
    built, build_s = build(district, scenario, progress)
    st = StagedModel(built, progress)
    limit = scenario.solver.time_limit_s
    div = st.divisor[first]
    rows = []
    total = [2 + points]  # the ε points are dropped when the extremes meet
    done = [0]

    def point(kind: str, eps: int | None, share: float) -> None:
        t0 = time.perf_counter()
        done[0] += 1
        progress.use(Budget(limit))
        label = f"pareto {kind}" + ("" if eps is None else f" ε={eps / div:.4f}")
        progress.step(label, done[0], total[0])
        if eps is not None:
            st.hold(first, eps)
        lead, follow = (second, first) if kind != f"{first}_optimal" else (first, second)
        a = st.minimize(lead, share * limit)
        if not a.found:
            if not st.has_plan:
                stage_failure(a, built).raise_for_status()
            say(f"pareto {kind}: no plan in time, point skipped")
            return
        st.hold(lead, a.value)
        b = st.minimize(follow, (1 - share) * limit)
        st.hold(lead, None)
        res = st.result(cp_model.FEASIBLE, build_s, time.perf_counter() - t0)
        metrics = plan_metrics(district, scenario, res.assignments, res.part_time)
        rows.append(
            {
                "point": kind,
                "epsilon": None if eps is None else eps / div,
                **{t: res.terms[t] for t in TERMS},
                **{k: v for k, v in metrics.items() if k.startswith("dc_")},
                "optimal": a.optimal and b.optimal,
                "valid": not validate_plan(
                    district, scenario, res.assignments, part_time=res.part_time
                ),
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
    if hi <= lo:
        total[0] = 2
        say(f"pareto: the extremes have the same {first}; no ε points between them")
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
