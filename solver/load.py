"""Load a case: a scenario file with its district, or the scenario stored with a plan.

The library's entry point for input; the command line calls it, so do batch jobs.
"""

from __future__ import annotations

import json
from pathlib import Path

from .errors import InputError
from .generate import cached_district_path
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
    return sc, _district(sc)


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
    raw = json.loads(f.read_text(encoding="utf-8")).get("scenario")
    if not isinstance(raw, dict):
        raise InputError("summary.json holds no scenario; give --scenario", file=str(f))
    sc = parse_scenario(raw, file=str(f))
    data = sc.scenario.data
    if data is None:
        data = cached_district_path(sc)
    if not Path(data).exists():
        raise InputError(
            f"the plan's data folder {data} is not there; give --scenario", file=str(f)
        )
    return sc, load_district(data, as_of=sc.as_of)


def _district(sc: Scenario) -> District:
    data = sc.scenario.data
    if data is None:
        data = cached_district_path(sc)
    return load_district(data, as_of=sc.as_of)
