"""The seed scenarios (Dongcheng, Miyun, Banan) at a reduced size: plans obey every rule
and lower the balanced indicator's difference coefficient. Full sizes are measured by
`lungang solve scenarios/<name>.toml` (see the README), not in the test suite."""

from __future__ import annotations

from pathlib import Path

import pytest

from solver.generate import cached_district_path
from solver.input.loaders import load_district
from solver.input.scenario import load_scenario
from solver.plan.plan import Plan
from solver.rules.indicators import coefficients, school_indicators
from solver.search.solve import solve
from solver.validate import validate_plan

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


@pytest.fixture(autouse=True)
def _cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("LUNGANG_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.mark.parametrize("name", ["dongcheng", "miyun", "banan"])
def test_seed_scenario_loads_at_full_size(name):
    """Each seed scenario names a generated district that loads without a problem."""
    sc = load_scenario(SCENARIOS / f"{name}.toml")
    district = load_district(cached_district_path(sc), as_of=sc.as_of)
    assert len(district.staff) >= 4000


@pytest.mark.parametrize(
    ("name", "schools", "staff"),
    [("dongcheng", 24, 1800), ("miyun", 24, 1500), ("banan", 30, 1800)],
)
def test_seed_scenario_plan_is_valid_and_balances(name, schools, staff):
    """A reduced district under the seed scenario's rules: valid plan, lower key-teacher CV."""
    sc = load_scenario(SCENARIOS / f"{name}.toml")
    info = sc.scenario.model_copy(update={"profile_schools": schools, "profile_staff": staff})
    # The search ends by its budget of deterministic time (work_limit), the same on a busy
    # machine as on an idle one; the wall-clock limit is a safety net that is never reached.
    sc = sc.model_copy(update={"scenario": info}).with_solver(
        time_limit_s=600, workers=2, work_limit=1.0
    )
    district = load_district(cached_district_path(sc), as_of=sc.as_of)
    result = solve(district, sc)
    assert validate_plan(district, sc, result.assignments) == []
    before = coefficients(district, school_indicators(district))["key_per_100"]
    after = coefficients(
        district, school_indicators(district, Plan.of(district, result.assignments).school_of)
    )["key_per_100"]
    for level in ("primary", "junior"):
        assert after[level] < before[level], (level, before[level], after[level])
