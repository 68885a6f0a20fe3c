"""The LP bound of a multi-year plan (solver.search.horizon_bound): below the optimum
CP-SAT proves, above CP-SAT's own bound where that is weak, exact against the simplex,
and with the right scope on a pruned horizon."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from builders import AS_OF, person, scenario, school, two_year_scenario_file, write_district_csv
from click.testing import CliRunner

import solver.search.horizon_bound as hb
from solver.cli import main
from solver.input.loaders import load_district
from solver.model.horizon import HorizonModel
from solver.model.rotation import OBJ_UNIT
from solver.plan.result import SolveStatus
from solver.progress import Budget
from solver.search.horizon import plan_horizon
from solver.search.lp import Master, highs_solve
from solver.validate import validate_horizon


def _cycle(tmp_path: Path, n_schools: int = 3, per_school: int = 3):
    """Schools 2 km apart, each with ``per_school`` eligible math teachers, two of them key."""
    names = "ABCDEFG"[:n_schools]
    schools = [school(s, km=2 * i) for i, s in enumerate(names)]
    staff = [person(f"{s}{i}", s) for s in names for i in range(per_school)]
    staff[0]["key_level"] = "district"
    staff[1]["key_level"] = "district"
    return load_district(write_district_csv(tmp_path / "d", schools, staff), as_of=AS_OF)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The generated demo district with history (300 staff, 12 schools)."""
    from solver.generate import write_generated

    folder = tmp_path_factory.mktemp("demo") / "d"
    write_generated("demo", folder, seed=0, horizon=True)
    return load_district(folder, as_of=AS_OF)


def _demo_scenario(work_limit: float, **solver):
    return scenario(
        quotas={"teacher_rotation_min": 0.1, "school_outflow_max": 0.34},
        horizon={"years": 2, "no_return_years": 6, "coverage_min": 0.5},
        solver={"work_limit": work_limit, "workers": 1, **solver},
    )


def test_lp_bound_is_at_most_the_optimum_cp_sat_proves(tmp_path):
    """On a small horizon CP-SAT proves optimal, the LP bound is positive and not above it."""
    d = _cycle(tmp_path)
    sc = scenario(horizon={"years": 2, "coverage_min": 0.5}, quotas={"teacher_rotation_min": 0.3})
    r = plan_horizon(d, sc)
    assert r.status is SolveStatus.OPTIMAL and r.gap == 0.0
    lp = r.stats["lp_bound"]
    assert r.stats["lp_scope"] == "full_model" and r.bound_scope == "full_model"
    assert 0 < lp <= r.objective + 1e-6 * r.objective
    assert r.best_bound == pytest.approx(r.objective, rel=1e-6)
    assert validate_horizon(d, sc, [y.assignments for y in r.years]) == []


def test_lp_bound_beats_cp_sat_s_own_and_is_the_best_bound(demo):
    """With little work CP-SAT's bound on a 2-year horizon stays low; the LP's is higher,
    is the reported best bound (source lp) and lies below the plan."""
    sc = _demo_scenario(0.5)
    r = plan_horizon(demo, sc)
    assert r.status.has_plan
    assert r.stats["cp_sat_bound"] < r.stats["lp_bound"] <= r.objective
    assert r.best_bound == r.stats["lp_bound"]
    assert r.bound_source == "lp" and r.bound_scope == "full_model"
    assert validate_horizon(demo, sc, [y.assignments for y in r.years]) == []


def test_dual_bound_of_the_interior_point_is_the_simplex_optimum(demo):
    """The bound from the interior point's duals equals the LP optimum that the dual simplex
    (with crossover to a vertex) finds for the same joint model."""
    sc = _demo_scenario(1.0)
    hm = HorizonModel(demo, sc, 2)
    lp = hb.horizon_lp(hm, demo, sc, Budget(60.0))
    exact = highs_solve(hm.model.proto, 60.0, threads=1, options={"simplex_strategy": 1})
    assert exact is not None and exact.optimal
    assert lp is not None and lp.scope == "full_model"
    assert lp.bound <= exact.bound / OBJ_UNIT + 1e-9 * abs(exact.bound / OBJ_UNIT)
    assert lp.bound == pytest.approx(exact.bound / OBJ_UNIT, rel=1e-6)
    # its values are those of the model's variables, for an LP-guided search
    assert lp.model is hm and lp.values is not None
    assert len(lp.values) == len(hm.model.proto.variables)


def test_pruned_horizon_bound_scope(tmp_path, monkeypatch):
    """A pruned horizon (max_candidates 2): the LP of every permitted move is full_lp and is
    at most the optimum of the unpruned problem; above FULL_LP_MAX_PAIRS the LP of the
    kept moves with the pruned ones priced reaches the same bound; a horizon whose moves
    count in a later year (stints of two years) cannot be priced and says so
    (kept_candidates)."""
    d = _cycle(tmp_path, 4, 3)
    base = {"horizon": {"years": 2, "coverage_min": 0.5}, "quotas": {"teacher_rotation_min": 0.3}}
    full = plan_horizon(d, scenario(**base, solver={"max_candidates": 0}))
    assert full.status is SolveStatus.OPTIMAL
    sc = scenario(**base, solver={"max_candidates": 2})
    hm = HorizonModel(d, sc, 2)
    assert not any(rm.complete for rm in hm.years)
    lp = hb.horizon_lp(hm, d, sc, Budget(60.0))
    assert lp is not None and lp.scope == "full_lp" and lp.priced is None
    assert lp.candidate_moves == sum(rm.n_permitted for rm in hm.years) > hm.size[1]
    assert 0 < lp.bound <= full.objective + 1e-6 * full.objective
    pruned = plan_horizon(d, sc)
    assert pruned.bound_scope == "full_lp" and pruned.best_bound <= full.objective + 1e-6
    assert validate_horizon(d, sc, [y.assignments for y in pruned.years]) == []

    monkeypatch.setattr(hb, "FULL_LP_MAX_PAIRS", 0)
    priced = hb.horizon_lp(hm, d, sc, Budget(60.0))
    assert priced is not None and priced.candidate_moves == hm.size[1]
    assert priced.priced is not None and priced.priced.pruned == lp.candidate_moves - hm.size[1]
    # no pruned move is left negative: the LP of every move, from the kept ones' duals
    assert priced.scope == "full_lp" and priced.priced.negative == 0
    assert priced.bound == pytest.approx(lp.bound, rel=1e-6)
    assert priced.bound <= full.objective + 1e-6 * full.objective
    r = plan_horizon(d, sc)
    assert r.bound_scope == "full_lp" and r.best_bound <= full.objective + 1e-6

    two = scenario(
        horizon={"years": 2, "coverage_min": 0.5, "stint_years": 2},
        quotas={"teacher_rotation_min": 0.3},
        solver={"max_candidates": 2},
    )
    hm2 = HorizonModel(d, two, 2)
    assert not any(rm.priceable for rm in hm2.years)
    kept = hb.horizon_lp(hm2, d, two, Budget(60.0))
    assert kept is not None and kept.scope == "kept_candidates"
    assert kept.candidate_moves == hm2.size[1]
    assert "cannot be priced" in kept.stats()["lp_pricing"]
    r = plan_horizon(d, two)
    assert r.bound_scope == "kept_candidates" and "kept" in r.summary()


def test_priced_bound_of_the_demo_is_the_lp_of_every_move(demo, monkeypatch):
    """On the demo district with history (balance, commute, no_return_years) pruned to 3
    schools a person: the kept moves' LP with its pruned moves priced (a few rounds)
    is the LP optimum of the joint model with every permitted move, which the dual
    simplex finds on that model, and never above it."""
    monkeypatch.setattr(hb, "FULL_LP_MAX_PAIRS", 0)
    sc = _demo_scenario(1.0, max_candidates=3)
    hm = HorizonModel(demo, sc, 2)
    assert all(rm.priceable and not rm.complete for rm in hm.years)
    lp = hb.horizon_lp(hm, demo, sc, Budget(60.0))
    whole = HorizonModel(demo, sc.with_solver(max_candidates=0), 2)
    assert all(rm.complete for rm in whole.years)
    exact = highs_solve(whole.model.proto, 60.0, threads=1, options={"simplex_strategy": 1})
    assert exact is not None and exact.optimal
    assert lp is not None and lp.scope == "full_lp" and lp.priced.added > 0
    assert lp.bound <= exact.bound / OBJ_UNIT + 1e-9 * abs(exact.bound / OBJ_UNIT)
    assert lp.bound == pytest.approx(exact.bound / OBJ_UNIT, rel=1e-6)
    # the kept moves alone have a higher LP: pricing was needed
    kept = highs_solve(hm.model.proto, 60.0, threads=1, options={"simplex_strategy": 1})
    assert kept.bound / OBJ_UNIT > lp.bound + 1e-6 * abs(lp.bound)


def test_best_bound_prefers_a_bound_of_the_problem_as_written():
    """A full-scope LP bound wins over a higher CP-SAT bound of the kept moves; the bound
    never exceeds the plan's objective; no bound at all is NaN."""
    lp = hb.HorizonLP(bound=10.0, scope="full_lp", candidate_moves=5, status="Optimal", seconds=0)
    assert hb.best_bound(20.0, 15.0, "kept_candidates", lp) == (10.0, "full_lp", "lp")
    assert hb.best_bound(20.0, 12.0, "full_model", lp) == (12.0, "full_model", "cp_sat")
    assert hb.best_bound(9.0, None, "full_model", lp) == (9.0, "full_lp", "lp")
    value, scope, source = hb.best_bound(9.0, None, "kept_candidates", None)
    assert value != value and source == "none"  # NaN


def test_horizon_json_says_which_bound(tmp_path):
    """`lungang plan` writes the bound's source and scope and the LP's figures to horizon.json."""
    f = two_year_scenario_file(tmp_path)
    r = CliRunner().invoke(main, ["-q", "plan", str(f), "--out", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    info = json.loads((tmp_path / "out" / "horizon.json").read_text(encoding="utf-8"))
    assert info["bound_source"] in ("cp_sat", "lp") and info["bound_scope"] == "full_model"
    assert info["stats"]["lp_scope"] == "full_model"
    # (the model rounds the commute to metres: its bound may pass the exact objective by that)
    assert info["stats"]["lp_bound"] <= info["objective"] * (1 + 1e-4)
    assert info["best_bound"] <= info["objective"]
    assert info["best_bound"] == pytest.approx(
        min(info["objective"], max(info["stats"]["lp_bound"], info["stats"]["cp_sat_bound"]))
    )


def _person_rows_error(hm: HorizonModel, values) -> float:
    """The largest departure from 1 of a person-year's stay plus its moves in ``values``."""
    worst = 0.0
    for rm in hm.years:
        stay = values[[v.index for v in rm.stay]]
        x = values[[v.index for v in rm.x]]
        total = stay + np.bincount(rm.pairs["p"].to_numpy(), weights=x, minlength=len(stay))
        worst = max(worst, float(np.abs(total - 1.0).max()))
    return worst


def test_a_pricing_re_solve_cut_short_leaves_the_last_optimal_values(demo, monkeypatch):
    """The LP values a pruned horizon's LP hands on (to the LP-timed schedule and the
    LP-guided search) are those of its last solve that ended optimal: a pricing round's
    re-solve stopped early (here after one interior-point iteration) leaves an
    unfinished interior point, whose person rows were off by millions on Dongcheng."""
    monkeypatch.setattr(hb, "FULL_LP_MAX_PAIRS", 0)
    sc = _demo_scenario(1.0, max_candidates=3)
    hm = HorizonModel(demo, sc, 2)
    first = Master(hm.model.proto, 1, dict(hb.IPM))
    assert first.solve(60.0)
    want = first.values()[: first.n_proto]
    solve = Master.solve

    def cut_short(self, time_limit_s):
        if self.n_solves:  # every re-solve: one interior-point iteration
            self.h.setOptionValue("ipm_iteration_limit", 1)
        return solve(self, time_limit_s)

    monkeypatch.setattr(Master, "solve", cut_short)
    lp = hb.horizon_lp(hm, demo, sc, Budget(60.0))
    assert lp is not None and lp.priced.rounds > 1 and lp.priced.added > 0
    assert lp.scope == "lagrangian"  # the re-solve did not end optimal
    assert _person_rows_error(hm, lp.values) < 1e-6
    assert np.allclose(lp.values, want, atol=1e-6)


def test_a_re_solve_gets_its_own_time_limit(demo):
    """HiGHS's ``time_limit`` counts the run time of every solve of the object: a
    re-solve is given the time already run plus its own (without it, a re-solve given
    less than the first solve took stopped at once)."""
    hm = HorizonModel(demo, _demo_scenario(1.0), 2)
    master = Master(hm.model.proto, 1, dict(hb.IPM))
    assert master.solve(60.0)
    ran = master.h.getRunTime()
    assert ran > 0
    master.solve(7.0)
    assert master.h.getOptionValue("time_limit")[1] == pytest.approx(ran + 7.0)


def test_pricing_stops_when_no_round_could_raise_the_bound_enough(demo, monkeypatch):
    """A round's LP has more columns, so no bound of its duals passes the LP solved so
    far: with that room allowed (here any) the pricing stops after the first solve, the
    bound a Lagrangian one, still below the LP of every move."""
    monkeypatch.setattr(hb, "FULL_LP_MAX_PAIRS", 0)
    monkeypatch.setattr(hb, "PRICING_TOL", math.inf)
    sc = _demo_scenario(1.0, max_candidates=3)
    hm = HorizonModel(demo, sc, 2)
    lp = hb.horizon_lp(hm, demo, sc, Budget(60.0))
    assert lp is not None and lp.priced.rounds == 1 and lp.priced.added == 0
    assert lp.scope == "lagrangian" and lp.priced.negative > 0
    whole = HorizonModel(demo, sc.with_solver(max_candidates=0), 2)
    exact = highs_solve(whole.model.proto, 60.0, threads=1, options={"simplex_strategy": 1})
    assert lp.bound <= exact.bound / OBJ_UNIT + 1e-9 * abs(exact.bound / OBJ_UNIT)
