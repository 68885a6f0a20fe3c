"""`lungang diff PLAN_A PLAN_B`: who moves differently, and how terms, counts and
indicators differ (table on stdout, or JSON)."""

from __future__ import annotations

import json

import pytest
from builders import NEW, make_district, person, scenario, school
from click.testing import CliRunner

from solver.analysis.diff import diff_plans
from solver.cli import main
from solver.output.plan_folder import write_plan
from solver.search.solve import solve
from solver.validate import validate_plan


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def plans(tmp_path_factory):
    """Two plans of one tiny district: balance-driven (key teachers spread) and
    commute-only with fewest moves."""
    tmp = tmp_path_factory.mktemp("diff")
    staff = [
        person("K1", "A", key_level="district"),
        person("K2", "A", key_level="district"),
        person("O1", "A", subject="chinese"),
        person("B_m", "B", school_start_date=NEW),
        person("B_c", "B", subject="chinese", school_start_date=NEW),
        person("C_m", "C", school_start_date=NEW),
    ]
    d = make_district([school("A"), school("B", km=2), school("C", km=4)], staff, tmp / "data")
    out = {}
    for name, weights in (
        ("balance", {"balance": 100.0, "commute": 1.0}),
        ("still", {"balance": 0.0, "commute": 1.0, "moves": 10.0}),
    ):
        sc = scenario(staffing={"subject_tolerance": 1}, weights=weights)
        r = solve(d, sc)
        assert validate_plan(d, sc, r.assignments) == []
        out[name] = write_plan(d, sc, r, tmp / name)
    return out


def test_diff_of_a_plan_with_itself_is_empty(plans):
    d = diff_plans(plans["balance"], plans["balance"])
    assert d["people_differ"] == 0 and d["schools"] == []
    assert all(t["delta"] == 0 for t in d["terms"].values())
    assert d["objective"]["delta"] == 0 and d["same_scenario"]


def test_diff_names_people_terms_counts_and_indicators(plans):
    """The balance plan moves one key teacher out of A; the other plan moves nobody."""
    from solver.input.assignments import read_assignments

    a = read_assignments(plans["balance"])
    movers = set(a.index[a["moved"]])
    d = diff_plans(plans["balance"], plans["still"])
    people = {p["staff_id"]: p for p in d["people"]}
    assert set(people) == movers and len(movers) == 1 and movers <= {"K1", "K2"}
    p = next(iter(people.values()))
    assert (
        p["from_school"] == "A"
        and p["b"] == "A"
        and p["a"] in {"B", "C"}
        and p["moved_a"]
        and not p["moved_b"]
    )
    assert d["counts"]["moved"] == {"a": 1, "b": 0, "delta": -1}
    assert d["terms"]["moves"]["delta"] == -1 and d["terms"]["commute"]["delta"] < 0
    assert d["terms"]["balance"]["delta"] > 0
    key = next(
        c for c in d["coefficients"] if c["indicator"] == "key_per_100" and c["level"] == "primary"
    )
    assert key["a"] < key["b"] == pytest.approx(key["before_a"])
    assert {s["school_id"] for s in d["schools"]} == {"A", p["a"]}
    assert not d["same_scenario"]


def test_cli_diff_table_and_json(plans):
    r = run("diff", str(plans["balance"]), str(plans["still"]))
    assert r.exit_code == 0, r.output
    assert "1 person decided differently" in r.output and "key_per_100 primary" in r.output
    assert "stays" in r.output
    r = run("diff", str(plans["balance"]), str(plans["still"]), "--format", "json")
    data = json.loads(r.output)
    assert data["people_differ"] == 1 and data["counts"]["moved"]["delta"] == -1


def test_cli_diff_incomplete_plan_exits_2(plans, tmp_path):
    (tmp_path / "assignments.csv").write_text("staff_id\n", encoding="utf-8")
    r = run("diff", str(plans["balance"]), str(tmp_path))
    assert r.exit_code == 2 and "assignments.csv" in r.output
