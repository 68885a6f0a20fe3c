"""Pricing the pruned moves: the bound reported for a model that keeps only each
teacher's nearest schools is a bound of the problem as written (docs/bound.md)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from ortools.sat.python import cp_model

from solver.generate import write_generated
from solver.input.loaders import load_district
from solver.input.scenario import parse_scenario
from solver.model.rotation import OBJ_UNIT, RotationModel
from solver.output.plan_folder import write_plan
from solver.plan.result import SolveStatus
from solver.search.engine import StagedModel, new_solver
from solver.search.lp import Master, highs_solve
from solver.search.pricing import formula_matches, price
from solver.search.solve import solve
from solver.validate import summarize, validate_plan

#: (profile, generator seed, schools, staff, flow share): small districts of several kinds;
#: the county ones have rural schools, so their flow rows are binding.
DISTRICTS = [
    ("urban-core", 1, 8, 600, 0.0),
    ("county-two-way", 2, 12, 900, 0.2),
    ("county-two-way", 3, 10, 700, 0.0),
    ("outer-suburb", 4, 10, 700, 0.1),
]


def scenario_for(folder, k: int | None, flow: float = 0.0, **solver):
    """The benchmark's rules (quotas, commute 12 km, cv balance) with ``max_candidates = k``."""
    raw = {
        "scenario": {"name": "pricing", "as_of": "2025-09-01", "data": str(folder)},
        "quotas": {
            "teacher_rotation_min": 0.10,
            "key_share_of_rotated_min": 0.20,
            "school_outflow_max": 0.15,
        },
        "commute": {"max_km": 12.0},
        "balance": {"indicator": "key_per_100", "objective": "cv"},
        "weights": {"balance": 100.0, "commute": 1.0, "moves": 0.0},
        "flow": {"urban_to_rural_min": flow},
        "solver": {
            "time_limit_s": 60.0,
            "work_limit": 10.0,
            "workers": 1,
            "seed": 0,
            "max_candidates": k,
            **solver,
        },
    }
    return parse_scenario(raw)


@pytest.fixture(scope="module", params=DISTRICTS, ids=lambda d: f"{d[0]}-{d[1]}")
def district(request, tmp_path_factory):
    profile, seed, schools, staff, flow = request.param
    folder = tmp_path_factory.mktemp(f"{profile}-{seed}")
    write_generated(profile, folder, seed=seed, schools=schools, staff=staff)
    return folder, load_district(folder), flow


def full_lp(d, sc) -> float:
    """The LP optimum of the model with every permitted move, solved directly."""
    full = RotationModel(d, sc)
    assert full.complete
    out = highs_solve(full.model.proto, 600, threads=1)
    assert out is not None and out.optimal
    return out.bound


def model_objective(d, sc, res) -> float:
    """The objective of a result's plan in the full model's integer units (the units
    the LP and its bounds are in; the exact objective differs by the model's rounding)."""
    full = RotationModel(d, sc)
    a = res.assignments.loc[full.people.index]
    moved = a["moved"].to_numpy(dtype=bool)
    p = np.flatnonzero(moved)
    s = d.schools.index.get_indexer(a["to_school"].to_numpy()[moved])
    full.add_hint(full.choice_of_keys(p * d.n_schools + s))
    solver = new_solver(60, fix_variables_to_their_hinted_value=True)
    assert solver.solve(full.model) == cp_model.OPTIMAL
    return solver.objective_value


def test_column_formula_is_the_models_column_for_every_move(district):
    """What a move contributes to the objective and to each row, computed with numpy for
    any permitted move, is exactly the column CP-SAT's model has for it (every move of the
    full model, flows included)."""
    folder, d, flow = district
    full = RotationModel(d, scenario_for(folder, 0, flow))
    master = Master(full.model.proto, threads=1)
    assert formula_matches(full, master, np.array([v.index for v in full.x])) == ""


@pytest.mark.parametrize("k", [1, 2])
def test_priced_bound_is_the_full_lp_optimum(district, k):
    """With only each teacher's k nearest schools kept, pricing the others back in ends at
    the LP optimum of the full model (max_candidates = 0, solved directly), within 1e-6."""
    folder, d, flow = district
    optimum = full_lp(d, scenario_for(folder, 0, flow))
    small = RotationModel(d, scenario_for(folder, k, flow))
    assert not small.complete
    priced = price(small, 600, threads=1)
    assert priced.scope == "full_lp", priced.note
    assert len(priced.priced_keys) > 0
    assert priced.bound == pytest.approx(optimum, rel=1e-6)
    assert priced.bound <= optimum * (1 + 1e-9)


@pytest.mark.parametrize("k", [1, 2])
def test_lagrangian_bound_is_below_the_full_lp_and_every_valid_plan(district, k):
    """Every round's Lagrangian bound (pricing stopped after 1, 2, ... rounds) is at most
    the full LP optimum, which is at most the model's objective of a valid plan of the
    full problem; a stopped pricing reports the best bound of its rounds."""
    folder, d, flow = district
    sc_full = scenario_for(folder, 0, flow)
    optimum = full_lp(d, sc_full)
    plan = solve(d, sc_full)
    assert validate_plan(d, sc_full, plan.assignments) == []
    plan_value = model_objective(d, sc_full, plan)
    assert optimum <= plan_value + 1e-9 * abs(plan_value)
    small = RotationModel(d, scenario_for(folder, k, flow))
    priced = price(small, 600, threads=1)
    assert len(priced.history) >= 2
    tol = 1e-9 * abs(optimum)
    for rounds in range(1, len(priced.history) + 1):
        stopped = price(small, 600, threads=1, max_rounds=rounds)
        assert stopped.bound == pytest.approx(max(priced.history[:rounds]), rel=1e-9)
        assert stopped.bound <= optimum + tol
        assert stopped.bound <= plan_value + 1e-9 * abs(plan_value)
        if rounds < len(priced.history):
            assert stopped.scope == "lagrangian"
    assert max(priced.history) <= optimum + tol


def test_solve_reports_a_bound_of_the_problem_as_written(district, tmp_path, monkeypatch):
    """A solve that keeps 2 schools per teacher, through the LP-guided path, writes
    bound_scope full_lp with a best_bound at most the optimum of the full problem; its
    plan is valid."""
    import solver.search.build as build_mod
    import solver.search.engine as engine

    folder, d, flow = district
    sc_full = scenario_for(folder, 0, flow)
    best = solve(d, sc_full)
    assert best.status is SolveStatus.OPTIMAL and best.bound_scope == "full_model"
    monkeypatch.setattr(engine, "HINT_MIN_PAIRS", 0)
    monkeypatch.setattr(build_mod, "HINT_MIN_PAIRS", 0)
    sc = scenario_for(folder, 2, flow)
    said: list[str] = []
    res = solve(d, sc, progress=said.append)
    v = validate_plan(d, sc, res.assignments)
    assert v == [], summarize(v)
    assert any("pruned moves priced in" in m for m in said), said
    assert res.bound_scope == "full_lp"
    assert res.best_bound * OBJ_UNIT <= model_objective(d, sc_full, best) * (1 + 1e-9)
    assert res.best_bound <= res.objective + 1e-9
    write_plan(d, sc, res, tmp_path / "plan")
    summary = json.loads((tmp_path / "plan" / "summary.json").read_text())
    assert summary["bound_scope"] == "full_lp"
    assert summary["best_bound"] == pytest.approx(res.best_bound)
    assert summary["gap"] == pytest.approx(res.gap)


@pytest.mark.parametrize("district", DISTRICTS[:1], indirect=True, ids=lambda d: d[0])
def test_guided_search_without_a_plan_falls_back_to_the_warm_start(district, monkeypatch):
    """When the LP finished but the search of its moves found no plan in time (measured
    at 40,000 staff), the plan is the warm start's (searched around, or as it is), with
    the LP's bound of the problem as written, not the full model's hopeless search.
    (The first district, whose paired exchanges give a warm start; a model without one
    goes on to the full model, as before.)"""
    import solver.search.build as build_mod
    import solver.search.engine as engine

    folder, d, flow = district
    monkeypatch.setattr(engine, "HINT_MIN_PAIRS", 0)
    monkeypatch.setattr(build_mod, "HINT_MIN_PAIRS", 0)
    real = engine._guided

    def no_plan(*args, **kwargs):
        got = real(*args, **kwargs)
        assert got is not None
        return (*got[:4], cp_model.UNKNOWN)

    monkeypatch.setattr(engine, "_guided", no_plan)
    sc = scenario_for(folder, 2, flow)
    said: list[str] = []
    res = solve(d, sc, progress=said.append)
    assert validate_plan(d, sc, res.assignments) == []
    assert res.status is SolveStatus.FEASIBLE and res.bound_scope == "full_lp"
    assert 0 < res.best_bound <= res.objective + 1e-9
    assert any("the LP-guided search found no plan" in m for m in said), said
    assert not any("searching the full model" in m for m in said), said


def test_small_pruned_model_searched_whole_is_priced_too(district):
    """A pruned model small enough to be searched whole still reports a bound of the
    problem as written, and is called optimal only when its plan meets that bound."""
    folder, d, flow = district
    best = solve(d, scenario_for(folder, 0, flow))
    res = solve(d, scenario_for(folder, 1, flow))
    assert res.bound_scope == "full_lp"
    assert res.best_bound * OBJ_UNIT <= model_objective(d, scenario_for(folder, 0, flow), best) * (
        1 + 1e-9
    )
    assert (res.status is SolveStatus.OPTIMAL) == (
        res.objective <= res.best_bound * (1 + 1e-6) + 1e-9
    )


def test_kept_candidates_bound_is_said_in_words(tmp_path):
    """When nothing can be priced (the lexicographic stages hold each term in a row the
    move formula does not know), the result says its bound holds for the kept candidate
    moves only: in summary.json and, in words, in the printed summary."""
    folder = tmp_path / "d"
    write_generated("urban-core", folder, seed=1, schools=8, staff=600)
    d = load_district(folder)
    sc = scenario_for(folder, 1)
    staged = StagedModel(RotationModel(d, sc))
    master = Master(staged.built.model.proto, threads=1)
    note = formula_matches(staged.built, master, np.array([v.index for v in staged.built.x]))
    assert note == "the rows of a move differ"
    priced = price(staged.built, 600, threads=1)
    assert priced.scope == "kept_candidates" and len(priced.priced_keys) == 0

    lex = parse_scenario(
        {
            "scenario": {"name": "lex", "as_of": "2025-09-01", "data": str(folder)},
            "balance": {"indicator": "key_per_100", "objective": "lexicographic"},
            "commute": {"max_km": 12.0},
            "solver": {"time_limit_s": 60.0, "workers": 1, "seed": 0, "max_candidates": 1},
        }
    )
    res = solve(d, lex)
    assert validate_plan(d, lex, res.assignments) == []
    assert res.bound_scope == "kept_candidates"
    assert "hold only for the candidate moves the model kept" in res.summary()
    write_plan(d, lex, res, tmp_path / "plan")
    assert json.loads((tmp_path / "plan" / "summary.json").read_text())["bound_scope"] == (
        "kept_candidates"
    )


def test_a_pin_to_a_far_school_is_kept_and_priced_around(tmp_path):
    """A teacher pinned `to` their farthest permitted school keeps that move when only the
    nearest school is kept; the plan honours the pin and the bound is the full LP's."""
    folder = tmp_path / "d"
    write_generated("urban-core", folder, seed=1, schools=8, staff=600)
    d = load_district(folder)
    full = RotationModel(d, scenario_for(folder, 0))
    teachers = np.flatnonzero(full.people["is_teacher"].to_numpy())
    p = int(teachers[np.argmax(full.permitted[teachers].sum(axis=1))])
    far = int(np.argmax(np.where(full.permitted[p], full.home_dist[p], -1.0)))
    staff_id, school_id = full.people.index[p], d.schools.index[far]
    (folder / "pins.csv").write_text(f"staff_id,action,school_id\n{staff_id},to,{school_id}\n")
    d = load_district(folder)
    sc0, sc1 = scenario_for(folder, 0), scenario_for(folder, 1)
    small = RotationModel(d, sc1)
    assert not small.complete
    assert (small.pair_keys() == p * d.n_schools + far).any()
    priced = price(small, 600, threads=1)
    assert priced.scope == "full_lp", priced.note
    assert priced.bound == pytest.approx(full_lp(d, sc0), rel=1e-6)
    res = solve(d, sc1)
    assert validate_plan(d, sc1, res.assignments) == []
    assert res.assignments.at[staff_id, "to_school"] == school_id


@pytest.mark.parametrize("k", [0, 2])
def test_column_formula_knows_no_return_and_obligation_rows(tmp_path, k):
    """With a history (no_return_years bans some moves) and the new-hire and title rules
    (obliged people must go to a rural school), the column formula is still the model's
    for every move of the full model and of a pruned one (which keeps every move that
    fulfils an obligation), so these rules no longer turn pricing off."""
    folder = tmp_path / "d"
    write_generated("county-two-way", folder, seed=2, schools=12, staff=900, horizon=True)
    d = load_district(folder)
    built = RotationModel(d, parse_scenario(_rules_scenario(folder, k)))
    assert built.ban_rows and (built.obliged_row >= 0).any()  # both rules bind some move
    assert built.priceable == (k > 0)
    master = Master(built.model.proto, threads=1)
    assert formula_matches(built, master, np.array([v.index for v in built.x])) == ""
    if k:
        # every move that fulfils an obligation is kept
        ob = np.flatnonzero(built.obliged_at >= 0)
        target = built.obliged_target[built.obliged_at[ob]] & built.permitted[ob]
        kept = np.zeros_like(built.permitted)
        kept[built.pairs["p"].to_numpy(), built.pairs["s"].to_numpy()] = True
        assert (kept[ob] >= target).all()


def _rules_scenario(folder, k: int) -> dict:
    return {
        "scenario": {"name": "rules", "as_of": "2025-09-01", "data": str(folder)},
        "quotas": {"teacher_rotation_min": 0.10, "school_outflow_max": 0.15},
        "commute": {"max_km": 40.0},
        "balance": {"indicator": "key_per_100", "objective": "cv"},
        "weights": {"balance": 100.0, "commute": 1.0, "moves": 0.0},
        "horizon": {"no_return_years": 6},
        "rules": {"new_hire_rural_after_years": 2, "title_rural_years": 1},
        "solver": {
            "time_limit_s": 60.0,
            "work_limit": 10.0,
            "workers": 1,
            "seed": 0,
            "max_candidates": k,
        },
    }


def test_automatic_limit_keeps_ten_schools_where_pricing_brings_the_rest(tmp_path, monkeypatch):
    """Above the automatic threshold a one-year weighted model keeps each teacher's 10
    nearest schools (pricing brings back the moves that matter); a lexicographic one,
    which prices nothing, keeps as many as fit under the threshold."""
    import solver.model.rotation as rotation

    folder = tmp_path / "d"
    write_generated("urban-core", folder, seed=1, schools=30, staff=1500)
    d = load_district(folder)
    full = RotationModel(d, scenario_for(folder, 0))
    n_p = len(full.people)
    monkeypatch.setattr(rotation, "AUTO_MAX_PAIRS", 12 * n_p)  # 12 schools per person fit
    assert len(full.pairs) > 12 * n_p
    auto = RotationModel(d, scenario_for(folder, None))
    assert auto.candidates_limit == rotation.AUTO_CANDIDATES == 10 and auto.priceable
    lex = scenario_for(folder, None)
    lex = lex.model_copy(
        update={"balance": lex.balance.model_copy(update={"objective": "lexicographic"})}
    )
    assert RotationModel(d, lex).candidates_limit == 12


def test_wish_term_and_never_worse_are_priced_right(tmp_path):
    """With wishes weighted in the objective and never_worse pruning, the column formula
    is the model's for every kept move of a pruned model, and pricing ends at the LP of
    the model with every permitted move."""
    folder = tmp_path / "d"
    write_generated("urban-core", folder, seed=1, schools=8, staff=600)
    d = load_district(folder)
    full = RotationModel(d, scenario_for(folder, 0))
    teachers = full.people.index[full.people["is_teacher"].to_numpy()][:60]
    schools = list(d.schools.index)
    lines = ["staff_id,rank,school_id"]
    for i, sid in enumerate(teachers):
        for r in range(3):
            lines.append(f"{sid},{r + 1},{schools[(i + 2 * r + 1) % len(schools)]}")
    (folder / "preferences.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    d = load_district(folder)

    def sc(k):
        s = scenario_for(folder, k)
        return s.model_copy(
            update={
                "placement": s.placement.model_copy(
                    update={"wish_weight": 5.0, "never_worse": True}
                )
            }
        )

    small = RotationModel(d, sc(1))
    assert small.priceable and small.obj_coef["wish"] > 0
    wished = small.move_columns(small.pairs["p"].to_numpy(), small.pairs["s"].to_numpy())[0]
    assert (
        wished != np.round(small.pairs["dist_km"].to_numpy() * 1000) * small.obj_coef["commute"]
    ).any()
    master = Master(small.model.proto, threads=1)
    assert formula_matches(small, master, np.array([v.index for v in small.x])) == ""
    priced = price(small, 600, threads=1)
    assert priced.scope == "full_lp", priced.note
    assert priced.bound == pytest.approx(full_lp(d, sc(0)), rel=1e-6)


def test_wished_schools_are_kept_however_far(tmp_path):
    """A person's wished schools (preferences.csv) stay candidates under any candidate
    limit: the nearest schools are often not the wished ones."""
    folder = tmp_path / "d"
    write_generated("urban-core", folder, seed=1, schools=8, staff=600)
    d = load_district(folder)
    full = RotationModel(d, scenario_for(folder, 0))
    far = full.pairs.sort_values("dist_km").groupby("p").tail(1)  # each one's farthest move
    far = far[full.people["is_teacher"].to_numpy()[far["p"].to_numpy()]].head(40)
    ids = full.people.index[far["p"].to_numpy()]
    sids = d.schools.index[far["s"].to_numpy()]
    rows = [f"{p},1,{s}" for p, s in zip(ids, sids, strict=True)]
    (folder / "preferences.csv").write_text("staff_id,rank,school_id\n" + "\n".join(rows) + "\n")
    d = load_district(folder)
    small = RotationModel(d, scenario_for(folder, 1))
    assert not small.complete
    kept = set(small.pair_keys().tolist())
    wished = far["p"].to_numpy() * d.n_schools + far["s"].to_numpy()
    assert set(wished.tolist()) <= kept
    # the wishes kept them: without preferences.csv the limit drops them
    (folder / "preferences.csv").unlink()
    plain = RotationModel(load_district(folder), scenario_for(folder, 1))
    assert not set(wished.tolist()) & set(plain.pair_keys().tolist())


@pytest.mark.parametrize(
    "district",
    [DISTRICTS[0], DISTRICTS[2], DISTRICTS[3]],
    indirect=True,
    ids=lambda d: f"{d[0]}-{d[1]}",
)
def test_widening_a_restricted_optimum_reaches_the_full_optimum(district, monkeypatch):
    """A restricted model solved to its optimum above the LP bound is widened by the
    moves of least reduced cost until its plan is the full model's optimum (here the LP
    bound), never worse than the plan it started from."""
    import solver.search.build as build_mod
    import solver.search.engine as engine
    from solver.progress import Budget, as_progress
    from solver.search.build import build

    folder, d, flow = district
    sc = scenario_for(folder, 0, flow)
    best = solve(d, sc)
    assert best.status is SolveStatus.OPTIMAL
    monkeypatch.setattr(build_mod, "HINT_MIN_PAIRS", 0)
    built, _ = build(d, sc)
    assert built.warm_choice is not None
    lp = engine.lp_guide(built, 1.0, Budget(600))
    warm = built.warm_choice
    small = engine.restricted(built, [built.pair_keys(warm[warm >= 0])])
    small.add_hint(small.choice_from(built, engine._chosen(built, warm)))
    solver, code, _ = engine.search(small.model, sc.solver, 600)
    assert code == cp_model.OPTIMAL
    narrow = solver.objective_value
    said: list[str] = []
    wide, wsolver, wcode = engine._widen(
        built, lp, small, solver, as_progress(said.append), Budget(600)
    )
    assert wcode == cp_model.OPTIMAL
    assert any("widened to the" in m for m in said), said
    assert wsolver.objective_value <= narrow
    assert len(small.pairs) < len(wide.pairs)
    assert wsolver.objective_value == pytest.approx(model_objective(d, sc, best), abs=0.5)
    plan = wide.pair_keys(np.flatnonzero(wsolver.boolean_values(wide.x).to_numpy()))
    res = engine.result_of(wide, wsolver, wcode, built.elig, 0.0, 0.0)
    assert validate_plan(d, sc, res.assignments) == []
    assert len(plan) == int(res.assignments["moved"].sum())


def test_big_searches_interleave_when_long_race_when_short_unless_a_work_limit(district):
    """A big district's long search interleaves CP-SAT's workers (one thread included:
    without, one worker searches sequentially, with no neighbourhood search); a short
    one lets them race (interleaved, the LP workers' first turn starved the
    neighbourhood searches); with work_limit CP-SAT's reproducible defaults stay, and
    so do every small model's."""
    from solver.search.engine import INTERLEAVE_MIN_S, racing, search

    folder, d, flow = district
    free = scenario_for(folder, 0, flow, work_limit=None, workers=2)
    one = scenario_for(folder, 0, flow, work_limit=None, workers=1)
    held = scenario_for(folder, 0, flow, workers=2)
    assert racing(free.solver, INTERLEAVE_MIN_S) == {"interleave_search": True}
    assert racing(free.solver, INTERLEAVE_MIN_S - 0.1) == {"interleave_search": False}
    assert racing(held.solver, INTERLEAVE_MIN_S) == {}
    m = cp_model.CpModel()
    m.new_bool_var("b")
    assert not search(m, free.solver, 1, big=True)[0].parameters.interleave_search
    assert search(m, free.solver, INTERLEAVE_MIN_S, big=True)[0].parameters.interleave_search
    solver = search(m, one.solver, INTERLEAVE_MIN_S, big=True)[0]
    assert solver.parameters.interleave_search and solver.parameters.num_workers == 1
    assert not search(m, one.solver, INTERLEAVE_MIN_S)[0].parameters.interleave_search
    assert search(m, held.solver, 1, big=True)[0].parameters.interleave_search
    assert search(m, free.solver, 1)[0].parameters.interleave_search


def test_lp_takes_the_serial_dual_simplex_on_a_busy_machine_or_when_reproducible(monkeypatch):
    """The parallel dual simplex only when its threads have cores to themselves; the
    serial one under load, with one thread, and whenever work_limit asks for a
    reproducible run."""
    import solver.search.lp as lp

    monkeypatch.setattr(lp.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(lp.os, "getloadavg", lambda: (0.3, 0.2, 0.1))
    assert lp.fast_lp(2) == {"simplex_strategy": 2}
    assert lp.fast_lp(2, reproducible=True) == {"simplex_strategy": 1}
    assert lp.fast_lp(1) == {"simplex_strategy": 1}
    monkeypatch.setattr(lp.os, "getloadavg", lambda: (0.6, 0.2, 0.1))
    assert lp.fast_lp(2) == {"simplex_strategy": 1}
    monkeypatch.setattr(lp.os, "getloadavg", lambda: (3.9, 4.0, 4.1))
    assert lp.fast_lp(2) == {"simplex_strategy": 1}
    monkeypatch.setattr(lp.os, "cpu_count", lambda: 8)
    assert lp.fast_lp(2) == {"simplex_strategy": 2}


@pytest.mark.parametrize("district", DISTRICTS[:2], indirect=True, ids=lambda d: d[0])
def test_gap_limit_stops_the_search_at_a_plan_good_enough(district, monkeypatch):
    """``[solver] gap_limit``: the LP-guided search stops at the first plan within that
    gap of the bound of the problem as written (a valid plan, its gap within the
    limit); without it the search goes on to the optimum."""
    import solver.search.build as build_mod
    import solver.search.engine as engine

    folder, d, flow = district
    monkeypatch.setattr(engine, "HINT_MIN_PAIRS", 0)
    monkeypatch.setattr(build_mod, "HINT_MIN_PAIRS", 0)
    said: list[str] = []
    sc = scenario_for(folder, 0, flow, gap_limit=0.5)
    res = solve(d, sc, progress=said.append)
    assert validate_plan(d, sc, res.assignments) == []
    assert res.bound_scope in ("full_model", "full_lp")
    assert 0 <= res.gap <= 0.5
    assert any("plan within gap_limit 50% of the bound: search stopped" in m for m in said)
    said.clear()
    exact = solve(d, scenario_for(folder, 0, flow), progress=said.append)
    assert not any("gap_limit" in m for m in said)
    assert exact.objective <= res.objective + 1e-9


def test_gap_limit_is_cp_sats_relative_gap_on_a_model_searched_whole(district):
    """A model searched whole with its own bound stops at CP-SAT's relative gap limit."""
    from solver.search.engine import good_enough, search

    folder, d, flow = district
    sc = scenario_for(folder, 0, flow, gap_limit=0.02)
    m = cp_model.CpModel()
    m.new_bool_var("b")
    assert search(m, sc.solver, 1)[0].parameters.relative_gap_limit == pytest.approx(0.02)
    assert search(m, sc.solver, 1, own_bound=False)[0].parameters.relative_gap_limit == 0
    assert good_enough(sc.solver, 98.0) == pytest.approx(100.0)  # (100 - 98) / 100 = 2%
    assert good_enough(scenario_for(folder, 0, flow).solver, 98.0) is None


@pytest.mark.parametrize("case", [DISTRICTS[2], DISTRICTS[3]], ids=lambda c: f"{c[0]}-{c[1]}")
def test_a_re_solve_cut_short_leaves_the_last_optimal_values(case, tmp_path, monkeypatch):
    """The LP values pricing hands on (to the LP-guided search) are those of its last
    solve that ended optimal: a re-solve stopped early (one simplex iteration) leaves a
    basis that is not a solution, so its values are not read. The values are a point of
    the last optimal LP: each person's stay and moves sum to one."""
    profile, seed, schools, staff, flow = case  # (two whose first LP is feasible)
    folder = tmp_path / "d"
    write_generated(profile, folder, seed=seed, schools=schools, staff=staff)
    d = load_district(folder)
    small = RotationModel(d, scenario_for(folder, 1, flow))
    first = price(small, 600, threads=1, max_rounds=1)
    solve = Master.solve

    def cut_short(self, time_limit_s):
        if self.n_solves:  # every re-solve
            self.h.setOptionValue("simplex_iteration_limit", 1)
        return solve(self, time_limit_s)

    monkeypatch.setattr(Master, "solve", cut_short)
    priced = price(small, 600, threads=1)
    assert priced.rounds == 1 and priced.scope == "lagrangian"
    assert len(priced.priced_keys) == 0  # (none was in the last optimal solve)
    assert np.allclose(priced.x, first.x, atol=1e-9)
    p = small.pairs["p"].to_numpy()
    moved = np.bincount(p, weights=priced.x, minlength=len(small.people))
    assert moved.max() <= 1 + 1e-6
