"""Balance indicators and objectives: the worked example, each objective on its own
measure, the model's cv term against the coefficient recomputed from a plan, several
indicators with weights, hard caps, the lexicographic order, and `lungang indicators`."""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from builders import NEW, make_district, person, school, write_district_csv
from builders import scenario as make_scenario
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solver.analysis.compare import with_objective
from solver.analysis.metrics import balance_measures
from solver.cli import main
from solver.errors import InfeasibleError
from solver.output.plan_folder import write_plan
from solver.plan.plan import Plan
from solver.plan.result import SolveStatus
from solver.rules.indicators import LEVEL_PARTS, difference_coefficient, school_indicators
from solver.search.build import build
from solver.search.engine import StagedModel
from solver.search.solve import solve
from solver.validate import summarize, validate_plan

#: Pure balance: the plan is judged by the balance measure alone.
BALANCE_ONLY = {"balance": 1.0, "commute": 0.0, "moves": 0.0}


def run_cli(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def coefficients_after(district, assignments, indicator: str) -> dict[str, float]:
    values = school_indicators(district, Plan.of(district, assignments).school_of)
    return {
        lvl: difference_coefficient(district.schools[f"{lvl}_students"], values[indicator])
        for lvl in LEVEL_PARTS
        if district.schools[f"{lvl}_students"].sum() > 0
    }


def valid(district, sc, result) -> None:
    v = validate_plan(district, sc, result.assignments)
    assert v == [], summarize(v)


# ----------------------------------------------------------------------------- districts


def two_level_rows(seed: int) -> tuple[list[dict], list[dict]]:
    """Four primary and three junior schools (no nine-year school, so no plan changes a
    level's totals), key and PE teachers spread unevenly, a math teacher or two each."""
    rng = np.random.default_rng(seed)
    schools, staff = [], []
    for i, (level, students) in enumerate(
        [
            ("primary", 500),
            ("primary", 400),
            ("primary", 250),
            ("primary", 200),
            ("junior", 500),
            ("junior", 400),
            ("junior", 250),
        ]
    ):
        sid = f"{level[0].upper()}{i}"
        schools.append(school(sid, km=float(i), level=level, students=students))
        for j in range(int(rng.integers(0, 4))):
            staff.append(
                person(f"{sid}K{j}", sid, key_level="district", home_km=float(rng.uniform(0, 7)))
            )
        for j in range(int(rng.integers(0, 3))):
            staff.append(person(f"{sid}E{j}", sid, subject="pe", home_km=float(rng.uniform(0, 7))))
        for j in range(int(rng.integers(1, 3))):
            staff.append(person(f"{sid}M{j}", sid, school_start_date=NEW))
    return schools, staff


def one_level_rows(seed: int) -> tuple[list[dict], list[dict]]:
    """Six primary schools; key teachers (some eligible) and math teachers at random."""
    rng = np.random.default_rng(seed)
    schools, staff = [], []
    for i, students in enumerate((800, 500, 250, 200, 400, 625)):
        sid = f"P{i}"
        schools.append(school(sid, km=float(i), students=students))
        for j in range(int(rng.integers(0, 5))):
            staff.append(
                person(
                    f"{sid}K{j}",
                    sid,
                    key_level="district",
                    home_km=float(rng.uniform(0, 7)),
                    school_start_date=str(rng.choice(["2010-09-01", NEW])),
                )
            )
        for j in range(int(rng.integers(0, 3))):
            staff.append(
                person(f"{sid}M{j}", sid, school_start_date=str(rng.choice(["2010-09-01", NEW])))
            )
    return schools, staff


# ----------------------------------------------------------------------------- worked example


def test_worked_example_through_indicators_command(tmp_path):
    """docs/policy.md's five schools (T_i counted as key teachers) give CV 0.515 through
    `lungang indicators`, not the unweighted 0.489."""
    students = [45, 37, 89, 76, 55]
    counts = [279, 137, 935, 160, 402]
    schools = [school(f"S{i}", students=p) for i, p in enumerate(students)]
    staff = [
        person(f"S{i}K{j}", f"S{i}", key_level="district")
        for i, t in enumerate(counts)
        for j in range(t)
    ]
    folder = write_district_csv(tmp_path / "data", schools, staff)
    scen = tmp_path / "s.toml"
    scen.write_text(
        f'[scenario]\nname = "example"\nas_of = 2025-09-01\ndata = "{folder.as_posix()}"\n',
        encoding="utf-8",
    )
    r = run_cli("indicators", str(scen), "--format", "json")
    assert r.exit_code == 0, r.output
    coef = {
        (c["indicator"], c["level"]): c["cv"]
        for c in json.loads(r.output)["before"]["coefficients"]
    }
    cv = coef[("key_per_100", "primary")]
    assert round(cv, 3) == 0.515
    x = np.array(counts) / np.array(students)
    assert abs(cv - x.std() / x.mean()) > 0.02  # the unweighted variant (0.489) is not it


# ----------------------------------------------------------------------------- objectives


@pytest.fixture(scope="module")
def three_plans(tmp_path_factory):
    """A one-level district solved to optimality with each objective, balance only."""
    d = make_district(*one_level_rows(22), tmp_path_factory.mktemp("three"))
    base = make_scenario(
        staffing={"subject_tolerance": 1},
        weights=BALANCE_ONLY,
        balance={"indicator": "key_per_100"},
    )
    plans = {}
    for obj in ("cv", "minmax", "l1"):
        sc = with_objective(base, obj)
        r = solve(d, sc)
        assert r.status is SolveStatus.OPTIMAL
        valid(d, sc, r)
        plans[obj] = r
    return d, base, plans


def test_each_objective_is_best_on_its_own_measure(three_plans):
    """Every measure evaluated on every plan (LevelBalance.cost): each objective's plan
    is the best on its own measure (here the cv plan is strictly better on cv)."""
    d, base, plans = three_plans
    table = {obj: balance_measures(d, base, r.assignments) for obj, r in plans.items()}
    for measure in ("cv", "minmax", "l1"):
        for other in plans:
            assert table[measure][measure] <= table[other][measure] + 1e-6, (measure, other, table)
    assert table["cv"]["cv"] < min(table["l1"]["cv"], table["minmax"]["cv"]) - 1.0, table
    before = balance_measures(d, base, None)
    assert all(table[m][m] < before[m] for m in table)


def test_cv_plan_has_the_lowest_difference_coefficient(three_plans):
    """With one level (and the level's total fixed), minimising 100·CV² is minimising the
    coefficient: the cv plan's is the lowest."""
    d, _, plans = three_plans
    dc = {obj: coefficients_after(d, r.assignments, "key_per_100") for obj, r in plans.items()}
    for lvl in dc["cv"]:
        for other in ("minmax", "l1"):
            assert dc["cv"][lvl] <= dc[other][lvl] + 1e-9, dc


# ----------------------------------------------------------------------------- the cv term


INDICATOR_SETS = [
    ("key_per_100",),
    ("pe_art_per_100",),
    ("key_per_100", "pe_art_per_100"),
    ("qualified_per_100", "key_per_100"),
]


@st.composite
def small_districts(draw):
    n = draw(st.integers(2, 4))
    schools, staff = [], []
    for i in range(n):
        level = draw(st.sampled_from(["primary", "junior"]))
        students = draw(st.sampled_from([200, 250, 400, 500, 800]))
        sid = f"S{i}"
        schools.append(school(sid, km=float(2 * i), level=level, students=students))
        staff.append(person(f"{sid}P", sid, role="principal", school_start_date=NEW))
        for j in range(draw(st.integers(0, 3))):
            staff.append(
                person(
                    f"{sid}K{j}",
                    sid,
                    key_level="district",
                    subject=draw(st.sampled_from(["math", "pe"])),
                    above_standard_qualification=draw(st.booleans()),
                    school_start_date=draw(st.sampled_from(["2010-09-01", "2010-09-01", NEW])),
                )
            )
        for j in range(draw(st.integers(0, 2))):
            staff.append(
                person(
                    f"{sid}E{j}",
                    sid,
                    subject="pe",
                    above_standard_qualification=draw(st.booleans()),
                )
            )
    indicators = draw(st.sampled_from(INDICATOR_SETS))
    weights = {ind: draw(st.sampled_from([0.5, 1.0, 2.0])) for ind in indicators}
    tolerance = draw(st.integers(0, 2))
    return schools, staff, indicators, weights, tolerance


@settings(max_examples=20, suppress_health_check=[HealthCheck.too_slow])
@given(small_districts())
def test_model_cv_term_equals_coefficients_recomputed_from_schools_csv(case):
    """Where no plan can change a level's totals (no nine-year school, same level), the
    model's balance term (cv) is 100·Σ_k a_k Σ_levels CV² with CV recomputed from the
    plan's schools.csv, for one indicator or several with weights."""
    schools, staff, indicators, weights, tolerance = case
    with tempfile.TemporaryDirectory() as tmp:
        d = make_district(schools, staff, Path(tmp) / "data")
        sc = make_scenario(
            staffing={"subject_tolerance": tolerance},
            weights={"balance": 1.0, "commute": 0.01},
            balance={"indicator": list(indicators), "indicator_weights": weights},
            # optimality is proven long before either limit; the work limit, not the
            # clock, would end a search that did not prove it (the test then fails)
            solver={"time_limit_s": 600.0, "work_limit": 60.0},
        )
        built, build_s = build(d, sc)
        staged = StagedModel(built)
        stage = staged.minimize("balance", 600.0)
        assert stage.optimal
        result = staged.result(stage.code, build_s, stage.seconds)
        valid(d, sc, result)
        write_plan(d, sc, result, Path(tmp) / "plan")
        table = pd.read_csv(Path(tmp) / "plan" / "schools.csv")
    expected = 0.0
    for ind in indicators:
        for lvl in LEVEL_PARTS:
            cv = difference_coefficient(table[f"{lvl}_students"], table[f"{ind}_after"])
            if not math.isnan(cv):
                expected += weights[ind] * 100.0 * cv**2
    model_value = staged.value("balance") / staged.divisor["balance"]
    assert model_value == pytest.approx(expected, abs=1e-6 * len(schools) * len(indicators) + 1e-9)
    assert result.terms["balance"] == pytest.approx(expected, abs=1e-9)


def test_indicator_weights_decide_which_indicator_is_balanced(tmp_path):
    """One teacher may leave A: a key teacher or a PE teacher. The heavier indicator wins,
    and the balance term is the weighted sum of 100·CV² per indicator."""
    staff = [
        person("K1", "A", key_level="district"),
        person("K0", "A", key_level="district", school_start_date=NEW),
        person("E1", "A", subject="pe"),
        person("E0", "A", subject="pe", school_start_date=NEW),
    ]
    d = make_district([school("A"), school("B", km=2)], staff, tmp_path)
    for weights, mover in (
        ({"key_per_100": 2.0, "pe_art_per_100": 1.0}, "K1"),
        ({"key_per_100": 1.0, "pe_art_per_100": 3.0}, "E1"),
    ):
        sc = make_scenario(
            quotas={"school_outflow_max": 0.25},
            staffing={"subject_tolerance": 1},
            balance={"indicator": ["key_per_100", "pe_art_per_100"], "indicator_weights": weights},
        )
        r = solve(d, sc)
        valid(d, sc, r)
        assert r.assignments.index[r.assignments["moved"]].tolist() == [mover]
        expected = sum(
            w * 100.0 * coefficients_after(d, r.assignments, ind)["primary"] ** 2
            for ind, w in weights.items()
        )
        assert r.terms["balance"] == pytest.approx(expected, abs=1e-9)


# ----------------------------------------------------------------------------- caps


@pytest.fixture(scope="module")
def capped_district(tmp_path_factory):
    return make_district(*two_level_rows(5), tmp_path_factory.mktemp("caps"))


def _dc_before(d, ind):
    values = school_indicators(d)
    return {
        lvl: difference_coefficient(d.schools[f"{lvl}_students"], values[ind])
        for lvl in LEVEL_PARTS
    }


def test_max_cv_per_level_and_indicator_holds(capped_district):
    """Caps per indicator and per level bind (below the coefficients before) and hold in
    the plan, by the validator and recomputed; the uncapped level is free."""
    d = capped_district
    key, pe = _dc_before(d, "key_per_100"), _dc_before(d, "pe_art_per_100")
    caps = {
        "key_per_100": {"primary": round(0.6 * key["primary"], 4)},
        "pe_art_per_100": round(0.7 * max(pe.values()), 4),
    }
    sc = make_scenario(
        staffing={"subject_tolerance": 1},
        weights={"balance": 0.0, "commute": 1.0},
        balance={"indicator": ["key_per_100", "pe_art_per_100"], "max_cv": caps},
    )
    r = solve(d, sc)
    valid(d, sc, r)
    assert r.assignments["moved"].any()
    assert (
        coefficients_after(d, r.assignments, "key_per_100")["primary"]
        <= caps["key_per_100"]["primary"] + 1e-9
    )
    assert all(
        v <= caps["pe_art_per_100"] + 1e-9
        for v in coefficients_after(d, r.assignments, "pe_art_per_100").values()
    )


def test_max_cv_per_level_impossible_is_infeasible(capped_district):
    """A cap no plan can reach in one level is reported infeasible, naming max_cv."""
    sc = make_scenario(
        staffing={"subject_tolerance": 1}, balance={"max_cv": {"junior": 0.001, "primary": 5.0}}
    )
    with pytest.raises(InfeasibleError) as exc:
        solve(capped_district, sc)
    assert "max_cv" in exc.value.diagnosis["rules"]


def test_min_per_100_on_several_indicators(tmp_path):
    """A floor applies to every balanced indicator: one key and one PE teacher go to B."""
    staff = [
        person("K1", "A", key_level="district"),
        person("K2", "A", key_level="district"),
        person("E1", "A", subject="pe"),
        person("E2", "A", subject="pe"),
    ]
    d = make_district([school("A"), school("B", km=2)], staff, tmp_path)
    sc = make_scenario(
        staffing={"subject_tolerance": 1},
        weights={"balance": 0.0, "commute": 1.0},
        balance={"indicator": ["key_per_100", "pe_art_per_100"], "min_per_100": 0.2},
    )
    r = solve(d, sc)
    valid(d, sc, r)
    assert sorted(r.assignments.index[r.assignments["moved"]]) in (
        ["E1", "K1"],
        ["E1", "K2"],
        ["E2", "K1"],
        ["E2", "K2"],
    )
    with pytest.raises(InfeasibleError) as exc:
        solve(
            d,
            make_scenario(
                staffing={"subject_tolerance": 1},
                balance={"indicator": ["key_per_100", "pe_art_per_100"], "min_per_100": 0.4},
            ),
        )
    assert exc.value.diagnosis["rules"] == ["min_per_100"]


# ----------------------------------------------------------------------------- lexicographic


def lex_district(tmp_path):
    """Two key teachers at A; a balance-optimal plan moves one of them. K2 lives 0.5 km
    from C; M (not key) lives at B, so moving M costs no commute but is a move."""
    schools = [school("A"), school("B", km=3), school("C", km=6), school("D", km=1)]
    staff = [
        person("K1", "A", key_level="district"),
        person("K2", "A", key_level="district", home_km=5.5),
        person("M", "A", home_km=3.0),
        *(person(f"{s}m", s, school_start_date=NEW) for s in "BCD"),
    ]
    return make_district(schools, staff, tmp_path)


def brute_force_lexicographic(d, sc):
    """Every plan (each eligible person at any school), the valid ones scored exactly;
    the lexicographic minimum of (balance, commute, moves)."""
    from itertools import product

    from solver.input.geo import haversine_km
    from solver.rules.eligibility import eligibility

    ids = eligibility(d, sc).query("eligible").index
    sch = d.schools.index
    best = None
    for dest in product(range(len(sch)), repeat=len(ids)):
        to = sch[list(dest)]
        frm = d.staff.loc[ids, "school_id"].to_numpy()
        st_ = d.staff.loc[ids]
        km = haversine_km(
            st_["home_lat"].to_numpy(),
            st_["home_lon"].to_numpy(),
            d.schools.loc[to, "lat"].to_numpy(),
            d.schools.loc[to, "lon"].to_numpy(),
        )
        moved = to.to_numpy() != frm
        a = pd.DataFrame(
            {
                "from_school": frm,
                "to_school": to,
                "moved": moved,
                "distance_km": np.where(moved, km, 0.0),
            },
            index=ids,
        )
        if validate_plan(d, sc, a):
            continue
        key = (
            round(balance_measures(d, sc, a)["cv"], 6),
            round(float(a["distance_km"].sum()), 3),
            int(moved.sum()),
        )
        best = key if best is None or key < best else best
    return best


def test_lexicographic_stage_order_matches_brute_force(tmp_path):
    """Balance equals the cv optimum; commute is the least among balance-optimal plans and
    moves the fewest among those (brute force), although the weights would rather not move."""
    d = lex_district(tmp_path)
    weights = {"balance": 0.001, "commute": 1.0, "moves": 0.0}
    sc = make_scenario(
        staffing={"subject_tolerance": 1}, weights=weights, balance={"objective": "lexicographic"}
    )
    r = solve(d, sc)
    valid(d, sc, r)
    assert r.status is SolveStatus.OPTIMAL
    best = brute_force_lexicographic(d, sc)
    got = (r.terms["balance"], r.terms["commute"], r.terms["moves"])
    assert got[0] == pytest.approx(best[0], abs=1e-5)
    assert got[1] == pytest.approx(best[1], abs=2e-3)
    assert got[2] == best[2] == 1
    assert r.assignments.at["K2", "to_school"] == "C"
    # the cv optimum on its own (balance only) has the same balance
    cv_only = solve(d, make_scenario(staffing={"subject_tolerance": 1}, weights=BALANCE_ONLY))
    assert r.terms["balance"] == pytest.approx(cv_only.terms["balance"], abs=1e-6)
    # the weighted objective with these weights would not move anyone
    assert not solve(d, with_objective(sc, "cv")).assignments["moved"].any()
    # Result.objective is still Σ weight · term; the stages are reported
    # (the wish term, weighted in [placement], is 0 here)
    assert r.objective == pytest.approx(
        sum(weights.get(t, 0.0) * v for t, v in r.terms.items()), abs=1e-9
    )
    assert r.best_bound <= r.objective + 1e-9
    assert (
        r.stats["lex_balance_optimal"]
        == r.stats["lex_commute_optimal"]
        == r.stats["lex_moves_optimal"]
        == 1.0
    )
    assert r.stats["lex_moves_value"] == 1.0


@pytest.mark.parametrize("measure", ["cv", "minmax"])
def test_lexicographic_big_model_path_gives_the_same_plan(tmp_path, monkeypatch, measure):
    """The search used for big models (per stage: LP relaxation, the restricted model, then
    the full model from its plan when the LP bound is not met, as it is not for minmax),
    forced on a small district, reaches the same optimum as the plain search."""
    import solver.search.engine as engine
    import solver.search.lexicographic as lex

    d = make_district(*one_level_rows(22), tmp_path)
    sc = make_scenario(staffing={"subject_tolerance": 1}, balance={"objective": "lexicographic"})
    plain = lex.solve_lexicographic(d, sc, measure=measure)
    monkeypatch.setattr(engine, "HINT_MIN_PAIRS", 0)
    said: list[str] = []
    guided = lex.solve_lexicographic(d, sc, progress=said.append, measure=measure)
    assert any("LP bound" in m for m in said)
    if measure == "minmax":
        assert any("searching the full model from it" in m for m in said)
    valid(d, sc, guided)
    assert guided.status is plain.status is SolveStatus.OPTIMAL
    for t in ("balance", "commute", "moves"):
        assert guided.terms[t] == pytest.approx(plain.terms[t], abs=1e-6)


def test_lexicographic_holds_balance_on_a_random_tiny_district(tmp_path):
    """On the two-level district: lexicographic balance = cv optimum (balance only), and its
    commute is no more than the commute of that cv plan."""
    d = make_district(*two_level_rows(3), tmp_path)
    base = make_scenario(staffing={"subject_tolerance": 1})
    lex = solve(d, with_objective(base, "lexicographic"))
    cv = solve(d, make_scenario(staffing={"subject_tolerance": 1}, weights=BALANCE_ONLY))
    valid(d, base, lex)
    assert lex.status is SolveStatus.OPTIMAL
    assert lex.terms["balance"] == pytest.approx(cv.terms["balance"], abs=1e-5)
    assert lex.terms["commute"] <= cv.terms["commute"] + 1e-3


# ----------------------------------------------------------------------------- indicators command


@pytest.fixture
def nine_year_scenario(tmp_path) -> Path:
    schools = [
        school("P", students=400),
        school("N", km=2, level="nine_year", students=800, junior_students=300),
        school("J", km=4, level="junior", students=500),
    ]
    staff = [
        person("K1", "P", key_level="district"),
        person("K2", "P", key_level="district"),
        person("K3", "N", key_level="district", above_standard_qualification=True),
        person("E1", "J", subject="pe"),
        person("M1", "N", school_start_date=NEW),
    ]
    folder = write_district_csv(tmp_path / "data", schools, staff)
    f = tmp_path / "s.toml"
    f.write_text(
        f'[scenario]\nname = "nine"\nas_of = 2025-09-01\ndata = "{folder.as_posix()}"\n'
        "[quotas]\nkey_share_of_rotated_min = 0\nteacher_rotation_min = 0\n"
        "[staffing]\nsubject_tolerance = 1\n",
        encoding="utf-8",
    )
    return f


def test_indicators_split_nine_year_schools_and_flag_below_standard(nine_year_scenario):
    """A nine-year school gives a primary and a junior row, weighted by its parts; below
    standard and the 0.50/0.45 check are reported; the CSV has the ratio too."""
    r = run_cli("indicators", str(nine_year_scenario), "--format", "csv")
    assert r.exit_code == 0, r.output
    from io import StringIO

    t = pd.read_csv(StringIO(r.output), keep_default_na=False)
    assert t[["school_id", "level"]].values.tolist() == [
        ["J", "junior"],
        ["N", "junior"],
        ["N", "primary"],
        ["P", "primary"],
    ]
    n = t[t["school_id"] == "N"].set_index("level")
    assert n.at["primary", "students"] == 500 and n.at["junior", "students"] == 300
    assert n.at["primary", "key_per_100"] == pytest.approx(100 / 800)
    assert "key_per_100" in n.at["primary", "below_standard"]  # 0.125 < 1.0
    assert t.set_index("school_id").at["P", "students_per_teacher"] == pytest.approx(200.0)
    c = pd.read_csv(
        StringIO(
            run_cli(
                "indicators", str(nine_year_scenario), "--format", "csv", "--table", "coefficients"
            ).output
        )
    )
    key = c[(c["indicator"] == "key_per_100")].set_index("level")
    w = np.array([400, 500])  # primary parts: P and N
    assert key.at["primary", "cv"] == pytest.approx(difference_coefficient(w, [0.5, 0.125]))
    assert key.at["primary", "max_cv"] == 0.5 and key.at["junior", "max_cv"] == 0.45
    assert bool(key.at["primary", "meets"]) == (key.at["primary", "cv"] <= 0.5)
    assert key.at["primary", "schools_below"] == 2


def test_indicators_before_and_after_side_by_side(nine_year_scenario, tmp_path):
    """With --plan: CSV columns _before/_after, table and JSON both sides."""
    out = tmp_path / "plan"
    assert run_cli("-q", "solve", str(nine_year_scenario), "--out", str(out)).exit_code == 0
    r = run_cli("indicators", str(nine_year_scenario), "--plan", str(out), "--format", "csv")
    t = pd.read_csv(__import__("io").StringIO(r.output), keep_default_na=False)
    for col in (
        "key_per_100_before",
        "key_per_100_after",
        "below_standard_before",
        "below_standard_after",
        "students_per_teacher_after",
    ):
        assert col in t.columns
    schools = pd.read_csv(out / "schools.csv", dtype={"school_id": str}).set_index("school_id")
    got = t.drop_duplicates("school_id").set_index("school_id")["key_per_100_after"]
    assert np.allclose(got.sort_index(), schools.loc[got.sort_index().index, "key_per_100_after"])
    table = run_cli("indicators", str(nine_year_scenario), "--plan", str(out))
    assert table.exit_code == 0 and "CV before" in table.output and "CV after" in table.output
    assert "→" in table.output
    data = json.loads(
        run_cli(
            "indicators", str(nine_year_scenario), "--plan", str(out), "--format", "json"
        ).output
    )
    assert set(data) == {"before", "after"}


@pytest.mark.parametrize("seed", [22, 5])
def test_lp_guided_search_reaches_the_plain_optimum(tmp_path, monkeypatch, seed):
    """The search big models get (LP relaxation by the parallel dual simplex, CP-SAT on
    the moves the LP uses, then the full model from that plan), forced on a small
    district, ends at the optimum of the plain search, with the LP bound below it."""
    import solver.search.build as build_mod
    import solver.search.engine as engine

    d = make_district(*one_level_rows(seed), tmp_path)
    sc = make_scenario(staffing={"subject_tolerance": 1})
    plain = solve(d, sc)
    monkeypatch.setattr(engine, "HINT_MIN_PAIRS", 0)
    monkeypatch.setattr(build_mod, "HINT_MIN_PAIRS", 0)
    said: list[str] = []
    guided = solve(d, sc, progress=said.append)
    assert any(m.startswith("LP bound") for m in said), said
    valid(d, sc, guided)
    assert plain.status is guided.status is SolveStatus.OPTIMAL
    assert guided.objective == pytest.approx(plain.objective, abs=1e-6)
    assert guided.best_bound <= guided.objective + 1e-9


def test_lp_relaxation_after_one_with_another_thread_count(tmp_path):
    """HiGHS sizes one thread pool per process: an LP solved with 1 thread after one with
    2 still finishes (a batch that solves with different worker counts keeps its LP
    guidance)."""
    from solver.search.lp import relaxation

    d = make_district(*one_level_rows(22), tmp_path)
    built, _ = build(d, make_scenario(staffing={"subject_tolerance": 1}))
    bounds = [relaxation(built.model.proto, 60.0, threads) for threads in (2, 1, 2)]
    assert all(b is not None for b in bounds), bounds
    assert bounds[0][0] == pytest.approx(bounds[1][0]) == pytest.approx(bounds[2][0])
