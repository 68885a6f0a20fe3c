"""The run guards of ``solver.search.guard``: the watchdog that stops an overrunning CP-SAT or
HiGHS call, the memory budget (exit 4), and reproducibility of a run that ends by
``work_limit``.

The watchdog tests shrink the overrun margin so that the guard, not the solver's own
limit, ends the search: what they assert is that the call was stopped (status and the
guard's flag), not how long anything took.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import fuzz_cli as fz
import numpy as np
import pytest
from ortools.sat.python import cp_model

from solver.search import guard


def _market_split(m: int = 5, n: int = 40, seed: int = 0) -> cp_model.CpModel:
    """A market-split problem (Cornuejols and Dawande): m equations over n binaries, the
    slack minimised. Neither CP-SAT nor HiGHS proves its optimum within minutes."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 100, size=(m, n))
    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x{j}") for j in range(n)]
    slack = []
    for i in range(m):
        s = model.new_int_var(-1000, 1000, f"s{i}")
        t = model.new_int_var(0, 1000, f"t{i}")
        model.add(sum(int(a[i, j]) * x[j] for j in range(n)) + s == int(a[i].sum() // 2))
        model.add(t >= s)
        model.add(t >= -s)
        slack.append(t)
    model.minimize(sum(slack))
    return model


@pytest.fixture
def tiny_margin(monkeypatch):
    """The watchdog fires 0.3 s into any call (whatever its own limit)."""
    monkeypatch.setattr(guard, "overrun_margin", lambda limit_s: 0.3 - float(limit_s))


def test_watchdog_stops_a_cp_sat_call_that_overruns(tiny_margin):
    """A search whose own limit is an hour is stopped by the watchdog (StopSearch)."""
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 2
    solver.parameters.max_time_in_seconds = 3600.0
    t = time.perf_counter()
    with guard.watch(solver.stop_search, 3600.0, "CP-SAT") as w:
        code = solver.solve(_market_split())
    assert w.stopped
    assert code in (cp_model.FEASIBLE, cp_model.UNKNOWN)  # stopped, not proved optimal
    assert time.perf_counter() - t < 600


def test_cp_solve_returns_on_time_without_the_watchdog():
    """A call that keeps its limit is never stopped by the guard."""
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_deterministic_time = 0.05
    m = cp_model.CpModel()
    v = m.new_int_var(0, 10, "v")
    m.maximize(v)
    assert guard.cp_solve(solver, m) == cp_model.OPTIMAL and solver.value(v) == 10


def test_watchdog_cancels_a_highs_call_that_overruns(tiny_margin):
    """HiGHS on a hard MIP with an hour's limit is cancelled by the watchdog."""
    from solver.search.lp import highs_solve

    out = highs_solve(_market_split().proto, 3600.0, integral=True, threads=1)
    assert out is not None
    assert "nterrupt" in out.status, out.status  # "Interrupted by user"


def test_memory_guard_stops_a_run_that_grows_past_its_budget():
    """Allocating past the budget raises MemoryLimitError (exit 4) in the main thread."""
    budget = guard.rss_bytes() + 150_000_000
    hold = []
    with pytest.raises(guard.MemoryLimitError, match="above the budget"):
        with guard.MemoryGuard(budget, "test budget"):
            for _ in range(200):  # up to 2 GB, touched (not lazily zeroed)
                hold.append(b"\x01" * 10_000_000)
                time.sleep(0.01)
    assert 150 <= len(hold) * 10 <= 400  # stopped near the budget, not at the end
    hold.clear()


def test_memory_guard_passes_a_run_within_budget():
    with guard.MemoryGuard(guard.rss_bytes() + 500_000_000) as g:
        x = b"\x01" * 10_000_000
    assert g.tripped is None and len(x) == 10_000_000


def test_default_memory_budget_is_a_share_of_the_machine():
    """memory_limit_gb = 0: at most 75 % of the machine, and more than the process uses."""
    limit = guard.default_memory_limit_bytes()
    total = guard.machine_memory_bytes()
    assert limit is not None and total is not None
    assert guard.rss_bytes() < limit <= 0.75 * total


def test_solve_over_its_memory_limit_exits_4_and_writes_nothing(tmp_path):
    """[solver] memory_limit_gb below what the process holds: exit 4, a message, no plan."""
    root = fz.make_case(tmp_path / "case")
    fz.set_key(root, "solver.memory_limit_gb", 0.01)
    env = {**os.environ, "PYTHONPATH": str(fz.REPO)}
    p = subprocess.run(
        [sys.executable, "-m", "solver.cli", "solve", "scenario.toml", "--out", "plan"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode == 4, p.stderr
    assert "memory_limit_gb = 0.01" in p.stderr and "Traceback" not in p.stderr
    assert not (root / "plan").exists()
    assert sorted(q.name for q in root.iterdir()) == ["data", "scenario.toml"]


def test_a_run_ended_by_work_limit_is_byte_identical_twice(tmp_path):
    """A district not solved to optimality within work_limit = 0.5 (status feasible) gives
    the same assignments.csv, byte for byte, on two runs."""
    from solver.generate import write_generated
    from solver.input.loaders import load_district
    from solver.input.scenario import parse_scenario
    from solver.output.plan_folder import write_plan
    from solver.plan.result import SolveStatus
    from solver.search.solve import solve

    (data,) = write_generated("demo", tmp_path / "district", seed=0, schools=18, staff=600)
    sc = parse_scenario(
        {
            "scenario": {"name": "work limit", "as_of": fz.dt.date(2025, 9, 1), "data": str(data)},
            "balance": {"indicator": ["key_per_100", "pe_art_per_100", "qualified_per_100"]},
            "solver": {"time_limit_s": 300, "workers": 2, "seed": 0, "work_limit": 0.5},
        }
    )
    district = load_district(data, as_of=sc.as_of)
    plans = []
    for i in range(2):
        result = solve(district, sc)
        assert result.status is SolveStatus.FEASIBLE  # ended by the budget, not a proof
        out = write_plan(district, sc, result, tmp_path / f"plan{i}", explain=False)
        plans.append((out / "assignments.csv").read_bytes())
    assert plans[0] == plans[1]
    assert Path(tmp_path / "plan0" / "assignments.csv").stat().st_size > 10_000
