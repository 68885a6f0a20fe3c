"""Load a case: a scenario file with its district, or the scenario stored with a plan.

The library's entry point for input; the command line calls it, so do batch jobs.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from .errors import InputError
from .generate import cached_district_path
from .input.assignments import read_json_file
from .input.data import District
from .input.loaders import load_district
from .input.scenario import Scenario, load_scenario, parse_scenario


def load(scenario_path: str | Path) -> tuple[Scenario, District]:
    """The scenario of ``scenario_path`` and its district, both validated.

    The district is the scenario's ``data`` folder, or the generated district its
    ``profile`` names (written once to the cache, see
    :func:`solver.generate.cached_district_path`).

    Raises
    ------
    InputError
        Any problem of the scenario or the data (file, row, column or key named).
    """
    sc = load_scenario(scenario_path)
    return sc, load_district(data_path(sc), as_of=sc.as_of)


def data_path(sc: Scenario) -> Path:
    """The district data of a scenario: its ``data`` (a folder or a workbook), or the
    generated district's folder that its ``profile`` names."""
    if sc.scenario.data is not None:
        return Path(sc.scenario.data)
    return cached_district_path(sc)


def load_plan_case(
    plan: Path, scenario_path: str | Path | None = None
) -> tuple[Scenario, District]:
    """The scenario of a plan folder (``scenario_path``, or the one stored in its
    ``summary.json``) and its district.

    A year folder of a multi-year plan (``DIR/yearN/`` beside ``DIR/horizon.json``) is
    a plan of the district as it stands at the start of year N: the district of the
    horizon's scenario (``scenario_path``, or the one stored in ``horizon.json``) with
    the folder's earlier years carried out, under year N's scenario.

    Raises
    ------
    InputError
        No scenario given and none stored, or the stored scenario's data is gone.
    """
    year = horizon_year(Path(plan))
    if year is not None:
        return _horizon_year_case(Path(plan), year, scenario_path)
    if scenario_path:
        return load(scenario_path)
    f = Path(plan) / "summary.json"
    if not f.is_file():
        raise InputError(f"{f} is missing; give --scenario", file=str(f))
    info = read_json_file(f)
    raw = info.get("scenario") if isinstance(info, dict) else None
    if not isinstance(raw, dict):
        raise InputError("summary.json holds no scenario; give --scenario", file=str(f))
    sc = parse_scenario(raw, file=str(f))
    data = data_path(sc)
    if not Path(data).exists():
        raise InputError(
            f"the plan's data folder {data} is not there; give --scenario", file=str(f)
        )
    return sc, load_district(data, as_of=sc.as_of)


def horizon_year(plan: Path) -> int | None:
    """N when ``plan`` is the year folder ``yearN`` of a multi-year plan (a
    ``horizon.json`` beside it), else ``None``."""
    m = re.fullmatch(r"year([1-9][0-9]*)", plan.name)
    if m is None or not (plan.parent / "horizon.json").is_file():
        return None
    return int(m.group(1))


def _horizon_year_case(
    plan: Path, year: int, scenario_path: str | Path | None
) -> tuple[Scenario, District]:
    """The scenario and district of year ``year`` of the multi-year plan around ``plan``."""
    from .rules.horizon import year_scenario

    sc, states, _ = horizon_walk(plan.parent, year, scenario_path)
    return year_scenario(sc, year), states[-1]


def horizon_walk(
    root: Path, years: int, scenario_path: str | Path | None = None
) -> tuple[Scenario, list[District], list[pd.Series]]:
    """The multi-year plan folder ``root`` carried through its first ``years`` years.

    Returns the horizon's scenario (``scenario_path``, or the one stored in
    ``root/horizon.json``), the district at the start of each of those years (the
    data with the earlier years' moves carried out) and each of those years' moves
    (``to_school`` of its movers, by ``staff_id``; read from ``root/yearN/``).

    Raises
    ------
    InputError
        No scenario stored and none given, the stored scenario's data gone, or a year
        folder missing.
    """
    from .input.assignments import read_assignments
    from .rules.horizon import advance, year_start

    if scenario_path:
        sc, district = load(scenario_path)
    else:
        f = root / "horizon.json"
        info = read_json_file(f)
        raw = info.get("scenario") if isinstance(info, dict) else None
        if not isinstance(raw, dict):
            raise InputError("horizon.json holds no scenario; give --scenario", file=str(f))
        sc = parse_scenario(raw, file=str(f))
        data = data_path(sc)
        if not Path(data).exists():
            raise InputError(
                f"the plan's data folder {data} is not there; give --scenario", file=str(f)
            )
        district = load_district(data, as_of=sc.as_of)
    state, states, moves_by_year = district, [district], []
    for y in range(1, years + 1):
        folder = root / f"year{y}"
        if not folder.is_dir():
            raise InputError(
                f"{folder} is missing (year {years} needs the years before it)", file=str(folder)
            )
        a = read_assignments(folder)
        moves = a.loc[a["moved"].to_numpy(dtype=bool), "to_school"].astype(str)
        moves_by_year.append(moves)
        if y < years:
            state, _ = advance(
                state, sc, moves, year_start(sc.as_of, y - 1), year_start(sc.as_of, y)
            )
            states.append(state)
    return sc, states, moves_by_year
