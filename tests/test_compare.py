"""`lungang compare`: the table of objectives, every plan valid, and the trade-off sweep."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest
from builders import NEW, person, school, write_district_csv
from click.testing import CliRunner

from solver.analysis.compare import is_monotone
from solver.cli import main
from solver.rules.indicators import difference_coefficient
from solver.validate import summarize, validate_plan_dir


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def small_scenario(tmp_path_factory) -> Path:
    """Five primary schools in a row: key teachers crowded at A and B, homes spread out, so
    that balance costs commute."""
    tmp = tmp_path_factory.mktemp("cmp")
    schools = [
        school(s, km=2.0 * i, students=n)
        for i, (s, n) in enumerate(zip("ABCDE", (500, 400, 250, 400, 500), strict=True))
    ]
    staff = [person(f"A{j}", "A", key_level="district", home_km=0.5 * j) for j in range(4)]
    staff += [person(f"B{j}", "B", key_level="district", home_km=1.0 + j) for j in range(3)]
    staff += [person(f"{s}m", s, school_start_date=NEW) for s in "ABCDE"]
    folder = write_district_csv(tmp / "data", schools, staff)
    f = tmp / "small.toml"
    f.write_text(
        f'[scenario]\nname = "small"\nas_of = 2025-09-01\ndata = "{folder.as_posix()}"\n'
        "[quotas]\nteacher_rotation_min = 0\nkey_share_of_rotated_min = 0\nschool_outflow_max = 1.0\n"
        "[staffing]\nsubject_tolerance = 2\n[weights]\nbalance = 10\ncommute = 1\n"
        "[solver]\ntime_limit_s = 60\nworkers = 1\n",
        encoding="utf-8",
    )
    return f


@pytest.fixture(scope="module")
def compared(small_scenario, tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("out") / "cmp"
    r = run(
        "-q",
        "compare",
        str(small_scenario),
        "--objectives",
        "cv,minmax,l1,lexicographic",
        "--out",
        str(out),
        # a safety net: every plan here is proven optimal in well under a second
        "--time-limit",
        "60",
        "--pareto",
        "balance,commute",
        "--points",
        "3",
    )
    assert r.exit_code == 0, r.output
    return out, r.output


def test_compare_writes_the_table_and_every_plan(compared):
    """compare.csv / compare.md and one plan folder per objective; the table is on stdout."""
    out, stdout = compared
    names = {p.name for p in out.iterdir()}
    assert {"compare.csv", "compare.md", "plans", "pareto.csv", "pareto.md", "pareto.png"} <= names
    t = pd.read_csv(out / "compare.csv", keep_default_na=False)
    assert t["objective"].tolist() == ["before", "cv", "minmax", "l1", "lexicographic"]
    for col in (
        "dc_key_per_100_primary",
        "worst_key_per_100_primary",
        "worst_value_key_per_100_primary",
        "below_key_per_100_primary",
        "measure_cv",
        "measure_l1",
        "measure_minmax",
        "moves",
        "commute_km",
        "longest_commute_km",
        "solve_seconds",
        "gap",
        "status",
        "valid",
    ):
        assert col in t.columns, col
    md = (out / "compare.md").read_text(encoding="utf-8")
    assert md.splitlines()[0].startswith("| objective | CV key primary")
    assert md in stdout
    plans = t.iloc[1:]
    assert (plans["status"] == "optimal").all()
    assert plans["valid"].astype(str).str.lower().eq("true").all()
    for name in ("compare.csv", "pareto.csv"):  # flags as in every output: true/false
        raw = (out / name).read_text(encoding="utf-8")
        assert ",true," in raw and "True" not in raw and "False" not in raw, name
    assert (plans["moves"].astype(int) > 0).all()
    # each plan's coefficient is docs/policy.md's formula on its schools.csv
    for _, row in plans.iterrows():
        schools = pd.read_csv(out / "plans" / row["objective"] / "schools.csv")
        cv = difference_coefficient(schools["primary_students"], schools["key_per_100_after"])
        assert float(row["dc_key_per_100_primary"]) == pytest.approx(cv, abs=1e-12)
    before = t.iloc[0]
    assert float(before["dc_key_per_100_primary"]) > float(
        plans["dc_key_per_100_primary"].astype(float).max()
    )


def test_every_written_plan_validates(compared, small_scenario):
    """Each plan folder passes the independent validator (rules and the folder itself)."""
    from solver.cli import load

    out, _ = compared
    sc, district = load(str(small_scenario))
    for name in ("cv", "minmax", "l1", "lexicographic"):
        s = json.loads((out / "plans" / name / "summary.json").read_text(encoding="utf-8"))
        assert s["scenario"]["balance"]["objective"] == name
        v = validate_plan_dir(out / "plans" / name, district, sc)
        assert v == [], summarize(v)


def test_each_objective_wins_its_own_measure_in_the_table(tmp_path):
    """Each objective wins its own measure in the table: on six schools where the three
    objectives choose different plans, the cv, minmax and l1 plans each have the least of
    their own objective (balance 10 × their measure + commute, the scenario's weights)
    among all the plans in the table, which keep the same rules; the lexicographic plan
    has the least cv measure outright (all solved to optimality)."""
    from test_balance import one_level_rows

    folder = write_district_csv(tmp_path / "data", *one_level_rows(22))
    f = tmp_path / "one.toml"
    f.write_text(
        f'[scenario]\nname = "one"\nas_of = 2025-09-01\ndata = "{folder.as_posix()}"\n'
        "[quotas]\nteacher_rotation_min = 0\nkey_share_of_rotated_min = 0\nschool_outflow_max = 1.0\n"
        "[staffing]\nsubject_tolerance = 1\n[weights]\nbalance = 10\ncommute = 1\n"
        "[solver]\nworkers = 1\n",
        encoding="utf-8",
    )
    out = tmp_path / "cmp"
    r = run(
        "-q", "compare", str(f), "--objectives", "cv,minmax,l1,lexicographic", "--out", str(out)
    )
    assert r.exit_code == 0, r.output
    t = pd.read_csv(out / "compare.csv").set_index("objective")
    plans = t.loc[["cv", "minmax", "l1", "lexicographic"]]
    assert (plans["status"] == "optimal").all()
    # integer metres in the model and distance_km to 3 decimals: well under 0.01
    tol = 1e-2
    for m in ("cv", "minmax", "l1"):
        own = 10.0 * plans[f"measure_{m}"] + plans["commute_km"]
        assert own[m] <= own.min() + tol, (m, own.to_dict())
    assert plans.loc["lexicographic", "measure_cv"] <= plans["measure_cv"].min() + 1e-6
    # the plans differ: each other objective's plan is worse on cv, l1 worse on minmax,
    # minmax worse on l1
    assert plans.loc["cv", "measure_cv"] < plans.loc[["minmax", "l1"], "measure_cv"].min() - 1
    assert plans.loc["minmax", "measure_minmax"] < plans.loc["l1", "measure_minmax"] - 1
    assert plans.loc["l1", "measure_l1"] < plans.loc["minmax", "measure_l1"] - 1


def test_pareto_front_is_monotone_with_both_extremes(compared):
    """pareto.csv: the two extremes and the ε points, commute never rising as balance
    loosens, every plan valid; pareto.png is a PNG."""
    out, _ = compared
    f = pd.read_csv(out / "pareto.csv")
    assert (
        f["point"].tolist()[0] == "balance_optimal" and f["point"].tolist()[-1] == "commute_optimal"
    )
    assert (f["point"] == "epsilon").sum() >= 1
    assert is_monotone(f)
    assert f["balance"].is_monotonic_increasing
    assert f["valid"].all() and f["optimal"].all()
    eps = f[f["point"] == "epsilon"]
    assert (eps["balance"] <= eps["epsilon"] + 1e-6).all()
    assert f["commute"].iloc[0] > f["commute"].iloc[-1]
    assert (out / "pareto.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the lexicographic plan is the balance-optimal extreme
    t = pd.read_csv(out / "compare.csv").set_index("objective")
    assert f["balance"].iloc[0] == pytest.approx(t.loc["lexicographic", "measure_cv"], abs=1e-6)
    assert f["commute"].iloc[0] == pytest.approx(t.loc["lexicographic", "commute_km"], abs=1e-2)


def test_bad_options_exit_2(small_scenario, tmp_path):
    """Unknown objectives or terms are usage errors; nothing is written."""
    out = tmp_path / "o"
    assert (
        run(
            "compare", str(small_scenario), "--objectives", "cv,median", "--out", str(out)
        ).exit_code
        == 2
    )
    assert (
        run("compare", str(small_scenario), "--pareto", "balance", "--out", str(out)).exit_code == 2
    )
    assert run("compare", str(small_scenario), "--objectives", "", "--out", str(out)).exit_code == 2
    assert not out.exists()


def test_existing_output_is_refused(compared, small_scenario):
    out, _ = compared
    r = run("compare", str(small_scenario), "--objectives", "cv", "--out", str(out))
    assert r.exit_code == 2 and "--force" in r.output


def test_missing_matplotlib_is_a_clear_error(small_scenario, tmp_path, monkeypatch):
    """Without matplotlib the sweep stops before solving, saying what to install."""
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    out = tmp_path / "o"
    r = run(
        "compare",
        str(small_scenario),
        "--objectives",
        "",
        "--pareto",
        "balance,commute",
        "--out",
        str(out),
    )
    assert r.exit_code == 2
    assert "matplotlib" in r.output and "lungang[plot]" in r.output
    assert not out.exists()


def test_balance_first_each_measure_wins_its_own(tmp_path):
    """--balance-first: each measure optimised first (commute only breaks ties), so each
    plan is the best on its own measure and the cv plan has the lowest coefficient."""
    from test_balance import one_level_rows

    folder = write_district_csv(tmp_path / "data", *one_level_rows(22))
    f = tmp_path / "one.toml"
    f.write_text(
        f'[scenario]\nname = "one"\nas_of = 2025-09-01\ndata = "{folder.as_posix()}"\n'
        "[quotas]\nteacher_rotation_min = 0\nkey_share_of_rotated_min = 0\nschool_outflow_max = 1.0\n"
        "[staffing]\nsubject_tolerance = 1\n[solver]\nworkers = 1\n",
        encoding="utf-8",
    )
    out = tmp_path / "cmp"
    r = run("-q", "compare", str(f), "--balance-first", "--time-limit", "60", "--out", str(out))
    assert r.exit_code == 0, r.output
    assert "cv (balance first)" in r.output
    t = pd.read_csv(out / "compare.csv").set_index("objective")
    plans = t.loc[["cv", "minmax", "l1"]]
    assert (plans["mode"] == "balance_first").all() and (plans["status"] == "optimal").all()
    for m in ("cv", "minmax", "l1"):
        assert plans.loc[m, f"measure_{m}"] <= plans[f"measure_{m}"].min() + 1e-6, m
    assert (
        plans.loc["cv", "dc_key_per_100_primary"] <= plans["dc_key_per_100_primary"].min() + 1e-12
    )
    assert plans.loc["cv", "measure_cv"] < plans.loc[["minmax", "l1"], "measure_cv"].min()
