"""Load a case: a scenario file with its district, or the scenario stored with a plan.

The library's entry point for input; the command line calls it, so do batch jobs.
"""

from __future__ import annotations

from pathlib import Path

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

    Raises
    ------
    InputError
        No scenario given and none stored, or the stored scenario's data is gone.
    """
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
