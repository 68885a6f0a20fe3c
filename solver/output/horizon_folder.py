"""Write a multi-year plan folder, atomically: complete or absent.

``DIR/year1/``, ``DIR/year2/``, ... are each a complete plan folder (as
:func:`~solver.output.plan_folder.write_plan` writes it) on the district as it stands at
the start of that year, whose ``assignments.csv`` also has ``post_school_id`` and
``stint_end``; ``DIR/horizon.json`` holds the horizon's figures; ``DIR/history.csv`` is
the input history extended by year 1 (the binding year: later years are re-planned
next year), and ``DIR/next_year/`` the district as it stands at the start of year 2
(schools, staff with their stints, demand and history), ready to be next year's data;
``DIR/plan.xlsx`` and ``DIR/report.html`` show the whole horizon
(:mod:`solver.output.horizon_handoff`).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ..input.assignments import read_plan_csv
from ..input.loaders import district_tables, write_district
from ..input.scenario import Scenario
from ..plan.horizon import HorizonResult
from ..rules.horizon import stint_lengths, year_start
from .horizon_handoff import write_horizon_handoff
from .plan_folder import _clean, schools_table, summary, write_atomically, write_plan


def horizon_summary(scenario: Scenario, result: HorizonResult) -> dict:
    """The content of ``horizon.json``."""
    per_year = []
    for y, (state, sc, res) in enumerate(
        zip(result.states, result.scenarios, result.years, strict=True), start=1
    ):
        info = summary(state, sc, res, schools_table(state, res.assignments))
        back = result.returns[y - 1] if y - 1 < len(result.returns) else pd.Index([])
        per_year.append(
            {
                "year": y,
                "as_of": sc.as_of.isoformat(),
                "binding": y == 1,
                "eligible": info["counts"]["eligible"],
                "eligible_by_stream": info["counts"]["eligible_by_stream"],
                "moved": info["counts"]["moved"],
                "moved_by_stream": info["counts"]["moved_by_stream"],
                "returns": len(back),
                "objective": res.objective,
                "terms": info["terms"],
                "coefficients": info["coefficients"],
            }
        )
    return _clean(
        {
            "status": result.status.value,
            "method": result.method,
            "years": len(result.years),
            "objective": result.objective,
            "best_bound": result.best_bound,
            "bound_scope": result.bound_scope,
            "bound_source": result.bound_source,
            "gap": result.gap,
            "solve_seconds": round(result.solve_seconds, 3),
            "build_seconds": round(result.build_seconds, 3),
            "coverage": result.coverage,
            "per_year": per_year,
            "year_weights": [1.0] * len(result.years),
            "stats": result.stats,
            "scenario": scenario.resolved(),
        }
    )


def _with_stints(folder: Path, result: HorizonResult, y: int, scenario: Scenario) -> None:
    """Add ``post_school_id`` and ``stint_end`` to year y's ``assignments.csv``."""
    path = folder / "assignments.csv"
    a = read_plan_csv(path, dtype=str, keep_default_na=False)
    moved = a["moved"] == "true"
    post = result.states[y - 1].staff["post_school_id"].reindex(a["staff_id"]).to_numpy()
    a["post_school_id"] = post
    hz = scenario.horizon
    if not hz.return_home:
        a.loc[moved, "post_school_id"] = a.loc[moved, "to_school"]
    start = year_start(scenario.as_of, y - 1)
    a["stint_end"] = ""
    moves = pd.Series(a.loc[moved, "to_school"].to_numpy(), index=a.loc[moved, "staff_id"])
    lengths = stint_lengths(result.states[y - 1], scenario, moves, start)
    a.loc[moved, "stint_end"] = [year_start(start, int(k)).isoformat() for k in lengths]
    a.to_csv(path, index=False, encoding=scenario.output.csv_encoding)


def write_horizon(
    scenario: Scenario,
    result: HorizonResult,
    out: Path,
    force: bool = False,
    explain: list[dict] | None = None,
) -> Path:
    """Write the multi-year plan folder ``out`` (see the module docstring); ``explain``
    holds each year's score analysis (:func:`solver.analysis.explain.explain_result`)."""
    info = horizon_summary(scenario, result)

    def fill(tmp: Path) -> None:
        for y, (state, sc, res) in enumerate(
            zip(result.states, result.scenarios, result.years, strict=True), start=1
        ):
            folder = tmp / f"year{y}"
            write_plan(state, sc, res, folder, explain=explain[y - 1] if explain else None)
            _with_stints(folder, result, y, scenario)
        (tmp / "horizon.json").write_text(
            json.dumps(info, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        after = result.after_year1
        tables = district_tables(after)
        history = tables.get(
            "history", pd.DataFrame(columns=["staff_id", "school_id", "start_date", "end_date"])
        )
        history.to_csv(tmp / "history.csv", index=False, encoding=scenario.output.csv_encoding)
        write_district(after, tmp / "next_year")
        write_horizon_handoff(tmp, info, result, scenario.output.lang)

    return write_atomically(Path(out), force, fill)
