"""The horizon's coverage as one year folder's analysis sees it (``lungang explain
DIR/yearN``): for each person, whether coverage counts them, the years of the horizon
in which they may move and the year they move in; a move in the last of those years
is one scheduled for coverage (docs/horizon.md, "A year folder on its own").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from ..input.assignments import read_json_file
from ..load import horizon_walk
from ..rules.horizon import advance, year_scenario, year_start
from ..rules.moves import permitted_moves


def horizon_years(root: Path) -> int:
    """The number of years of the multi-year plan folder ``root`` (its ``horizon.json``'s
    ``per_year``, else its year folders)."""
    info = read_json_file(root / "horizon.json")
    per_year = info.get("per_year") if isinstance(info, dict) else None
    if isinstance(per_year, list) and per_year:
        return len(per_year)
    n = 0
    while (root / f"year{n + 1}").is_dir():
        n += 1
    return n


def coverage_section(
    root: Path, year: int, scenario_path: str | Path | None = None
) -> dict[str, Any]:
    """``explain.json``'s ``horizon`` section for year ``year`` of the plan ``root``.

    Returns ``year``, ``years``, ``coverage_min`` and ``people``: by ``staff_id``, for
    everyone with a permitted school in some year of the horizon, ``movable_years``
    (those years, as the joint model sees them: on the district aged year by year
    without the plan's moves, so that a person's own move does not end their later
    chances) and ``moved_year`` (the year they move in, ``None`` when they do not).
    """
    years = horizon_years(root)
    sc, states, moves = horizon_walk(root, years, scenario_path)
    aged = [states[0]]
    for y in range(1, years):
        nxt, _ = advance(
            aged[-1],
            sc,
            pd.Series(dtype="str"),
            year_start(sc.as_of, y - 1),
            year_start(sc.as_of, y),
        )
        aged.append(nxt)
    movable: dict[str, list[int]] = {}
    for y, state in enumerate(aged, start=1):
        m = permitted_moves(state, year_scenario(sc, y))
        ids = m.people.index.astype(str)
        for sid in ids[m.ok.any(axis=1)]:
            movable.setdefault(sid, []).append(y)
    moved_year = {str(sid): y for y, mv in enumerate(moves, start=1) for sid in mv.index}
    return {
        "year": year,
        "years": years,
        "coverage_min": sc.horizon.coverage_min,
        "people": {
            sid: {"movable_years": ys, "moved_year": moved_year.get(sid)}
            for sid, ys in movable.items()
        },
    }


def _years_text(years: list[int]) -> str:
    return ", ".join(str(y) for y in years)


def coverage_reason(info: dict[str, Any] | None, year: int, coverage_min: float) -> str | None:
    """The reason a person's decision in year ``year`` owes to the horizon's coverage
    (``info``: the person's entry of :func:`coverage_section`, ``None`` when coverage
    does not count them), or ``None`` when coverage has no part in it."""
    if coverage_min <= 0 or not info:
        return None
    ys, moved = info["movable_years"], info["moved_year"]
    if moved == year:
        if year == max(ys):
            return (
                f"scheduled for coverage: year {year} is the last year of the horizon in which "
                f"they may move (coverage_min {coverage_min:g})"
            )
        return (
            f"counted toward the horizon's coverage (coverage_min {coverage_min:g}): may move "
            f"in years {_years_text(ys)}, moves in year {year}"
        )
    if moved is not None:
        return (
            f"moves in year {moved} of the horizon, counted toward its coverage "
            f"(coverage_min {coverage_min:g})"
        )
    return (
        f"counted by the horizon's coverage (coverage_min {coverage_min:g}) but moves in "
        f"none of its years (may move in years {_years_text(ys)})"
    )


def add_coverage_reasons(ex: dict[str, Any], section: dict[str, Any]) -> None:
    """Add ``section`` (:func:`coverage_section`) to the analysis ``ex`` as its
    ``horizon`` key (the people it explains only), and to each person's ``reasons``
    the one of :func:`coverage_reason` (kind ``coverage``)."""
    year, cmin = section["year"], section["coverage_min"]
    people = section["people"]
    shown = {}
    for p in ex.get("people", []):
        info = people.get(p["staff_id"])
        if info is not None:
            shown[p["staff_id"]] = info
        why = coverage_reason(info, year, cmin)
        if why is not None:
            p.setdefault("reasons", []).append({"kind": "coverage", "text": why})
    ex["horizon"] = {**{k: section[k] for k in ("year", "years", "coverage_min")}, "people": shown}
