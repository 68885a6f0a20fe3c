"""[rules] priority: streams as lexicographic stages of rotated person-years."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from builders import person, scenario, school, write_district_csv
from click.testing import CliRunner

from solver.cli import main
from solver.errors import InputError
from solver.input.loaders import load_district
from solver.plan.result import SolveStatus
from solver.rules.priority import in_stream
from solver.search.horizon import plan_horizon
from solver.search.solve import solve
from solver.validate import validate_horizon, validate_horizon_dir, validate_plan, validate_plan_dir

AS_OF = "2025-09-01"


def _pair_district(tmp_path: Path):
    """Schools A and B 2 km apart, two math teachers each; A0 is a key teacher.

    Subject staffing lets moves be swaps only, and ``school_outflow_max = 0.5`` lets one
    of each school's two go per year: with coverage 1 over two years, one swap in year 1
    and the other in year 2."""
    schools = [school("A"), school("B", km=2)]
    staff = [
        person("A0", "A", key_level="district"),
        person("A1", "A"),
        person("B0", "B"),
        person("B1", "B"),
    ]
    folder = write_district_csv(tmp_path / "d", schools, staff)
    return folder, load_district(folder, as_of=AS_OF)


def _two_years(priority: list[str]):
    return scenario(
        horizon={"years": 2, "coverage_min": 1.0},
        quotas={"school_outflow_max": 0.5},
        rules={"priority": priority},
    )


def _year_of(r, sid: str) -> int:
    for y, res in enumerate(r.years, start=1):
        a = res.assignments
        if sid in a.index and bool(a.at[sid, "moved"]):
            return y
    return 0


@pytest.mark.parametrize(
    ("priority", "a0_year", "gains"),
    [
        # key first: the key teacher moves in year 1 (2 person-years), the earliest he can
        (["key"], 1, {"key": 2}),
        # ordinary first: both year-1 movers ordinary (2 + 2, and B's other in year 2: 1)
        # beat A0 in year 1 (2 for B's mover, 1 + 1 in year 2): A0 waits for year 2
        (["ordinary", "key"], 2, {"ordinary": 5, "key": 1}),
    ],
)
def test_priority_orders_the_years_known_optimum(tmp_path, priority, a0_year, gains):
    """The stream named first moves first: a known optimum on a two-school district, and
    the plan passes the validator (each year, across years and the stages' values)."""
    _, d = _pair_district(tmp_path)
    sc = _two_years(priority)
    r = plan_horizon(d, sc)
    assert r.status is SolveStatus.OPTIMAL
    assert _year_of(r, "A0") == a0_year
    for stream, gain in gains.items():
        assert r.stats[f"priority_{stream}_value"] == gain
        assert r.stats[f"priority_{stream}_optimal"] == 1.0
    assert r.coverage["moved"] == 4
    assert validate_horizon(d, sc, [y.assignments for y in r.years]) == []


def test_one_year_priority_is_the_most_movers_of_the_stream(tmp_path):
    """One year, quotas off: without priority nothing moves (moves cost); with
    ``priority = ["teachers"]`` the most teachers the rules allow move: two swaps."""
    _, d = _pair_district(tmp_path)
    base = solve(d, scenario())
    assert int(base.assignments["moved"].sum()) == 0
    sc = scenario(rules={"priority": ["teachers"]})
    r = solve(d, sc)
    assert r.status is SolveStatus.OPTIMAL
    assert int(r.assignments["moved"].sum()) == 4
    assert r.stats["priority_teachers_value"] == 4.0
    assert validate_plan(d, sc, r.assignments) == []


def test_one_year_priority_with_outflow_cap_prefers_the_key_teacher(tmp_path):
    """One mover per school: ``priority = ["key"]`` sends A0 (and his swap partner)."""
    _, d = _pair_district(tmp_path)
    sc = scenario(quotas={"school_outflow_max": 0.5}, rules={"priority": ["key"]})
    r = solve(d, sc)
    moved = set(r.assignments.index[r.assignments["moved"].to_numpy(dtype=bool)])
    assert "A0" in moved and len(moved) == 2
    assert validate_plan(d, sc, r.assignments) == []


def test_priority_streams_membership(tmp_path):
    """Each stream's members as documented: role, the school's level, key_level."""
    schools = [school("P"), school("J", level="junior", km=2), school("N", level="nine_year", km=4)]
    staff = [
        person("t1", "P", key_level="municipal"),
        person("c1", "J", role="principal"),
        person("t2", "N"),
    ]
    folder = write_district_csv(tmp_path / "d", schools, staff)
    d = load_district(folder, as_of=AS_OF)
    ids = ["t1", "c1", "t2"]
    got = {
        s: list(in_stream(d, ids, s))
        for s in ("teachers", "cadres", "primary", "junior", "key", "ordinary")
    }
    assert got == {
        "teachers": [True, False, True],
        "cadres": [False, True, False],
        "primary": [True, False, False],
        "junior": [False, True, False],
        "key": [True, False, False],
        "ordinary": [False, True, True],
    }


def test_infeasible_rules_under_priority_are_diagnosed_as_before(tmp_path):
    """Priority adds no constraint: rules that cannot hold are diagnosed naming the rule,
    not priority (coverage 1 over one year with one mover per school of two)."""
    _, d = _pair_district(tmp_path)
    sc = scenario(
        horizon={"years": 2, "coverage_min": 1.0},
        quotas={"school_outflow_max": 0.25},
        rules={"priority": ["key"]},
    )
    r = plan_horizon(d, sc, raise_on_failure=False)
    assert r.status is SolveStatus.INFEASIBLE
    rules = [c["rule"] for c in r.diagnosis["conflicts"]]
    assert "coverage_min" in rules and "priority" not in rules


def test_priority_with_lexicographic_objective_is_refused(tmp_path):
    _, d = _pair_district(tmp_path)
    sc = scenario(rules={"priority": ["key"]}, balance={"objective": "lexicographic"})
    with pytest.raises(InputError) as exc:
        solve(d, sc)
    assert exc.value.problems[0].key == "rules.priority"


def test_plan_writes_priority_stats_and_validate_catches_an_edited_year(tmp_path):
    """`lungang plan` with priority: horizon.json has the stages; validate passes; a
    horizon.json claiming more for the stream than the years hold fails ``priority``."""
    folder, _ = _pair_district(tmp_path)
    f = tmp_path / "s.toml"
    f.write_text(
        f'[scenario]\nname = "p"\nas_of = {AS_OF}\ndata = "d"\n'
        "[quotas]\nteacher_rotation_min = 0.0\nkey_share_of_rotated_min = 0.0\n"
        "school_outflow_max = 0.5\n[solver]\nworkers = 1\n"
        '[horizon]\ncoverage_min = 1.0\n[rules]\npriority = ["key"]\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["plan", str(f), "--years", "2", "--out", str(out)])
    assert r.exit_code == 0, r.output
    info = json.loads((out / "horizon.json").read_text(encoding="utf-8"))
    assert info["stats"]["priority_key_value"] == 2.0
    v = CliRunner().invoke(main, ["validate", str(f), str(out)])
    assert v.exit_code == 0, v.output
    a1 = pd.read_csv(out / "year1" / "assignments.csv", dtype=str, keep_default_na=False)
    assert a1.loc[a1["staff_id"] == "A0", "moved"].item() == "true"
    from solver.load import load

    sc, d = load(f)
    info["stats"]["priority_key_value"] = 3.0  # more than the plan has
    (out / "horizon.json").write_text(json.dumps(info), encoding="utf-8")
    rules = {x.rule for x in validate_horizon_dir(out, d, sc)}
    assert "priority" in rules


def test_one_year_summary_priority_is_checked(tmp_path):
    """`lungang solve` with priority writes the stage into summary.json; a plan folder whose
    summary claims more than its plan has fails ``priority``."""
    _pair_district(tmp_path)
    f = tmp_path / "s.toml"
    f.write_text(
        f'[scenario]\nname = "p"\nas_of = {AS_OF}\ndata = "d"\n'
        "[quotas]\nteacher_rotation_min = 0.0\nkey_share_of_rotated_min = 0.0\n"
        'school_outflow_max = 1.0\n[solver]\nworkers = 1\n[rules]\npriority = ["teachers"]\n',
        encoding="utf-8",
    )
    out = tmp_path / "plan"
    r = CliRunner().invoke(main, ["solve", str(f), "--out", str(out)])
    assert r.exit_code == 0, r.output
    from solver.load import load

    sc, d = load(f)
    assert validate_plan_dir(out, d, sc) == []
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert s["stats"]["priority_teachers_value"] == 4.0
    s["stats"]["priority_teachers_value"] = 5.0
    (out / "summary.json").write_text(json.dumps(s), encoding="utf-8")
    assert "priority" in {v.rule for v in validate_plan_dir(out, d, sc)}


def test_a_later_stage_without_a_plan_holds_the_last_plan_s_value(tmp_path, monkeypatch):
    """When a later priority stage finds no plan in its time, its stream is held at the
    value the last stage's plan gives it (not proved the most) and the stages go on:
    ``["ordinary", "key"]`` with the key stage's search made to find nothing keeps the
    ordinary stage's plan (A0 in year 2: key 1), both streams held, and the plan keeps
    every rule and the priority check."""
    from ortools.sat.python import cp_model

    import solver.search.lexicographic as lex

    real = lex.search

    def no_key_plan(model, settings, limit, progress, label="", **params):
        solver, code, secs = real(model, settings, limit, progress, label=label, **params)
        if label == "priority key":
            return solver, cp_model.UNKNOWN, secs
        return solver, code, secs

    monkeypatch.setattr(lex, "search", no_key_plan)
    _, d = _pair_district(tmp_path)
    sc = _two_years(["ordinary", "key"])
    said: list[str] = []
    r = plan_horizon(d, sc, said.append)
    assert r.status.has_plan and r.status is not SolveStatus.OPTIMAL
    assert r.stats["priority_ordinary_value"] == 5 and r.stats["priority_ordinary_optimal"] == 1.0
    assert r.stats["priority_key_value"] == 1 and r.stats["priority_key_optimal"] == 0.0
    assert any("held at the last stage's plan's value" in m for m in said)
    assert _year_of(r, "A0") == 2
    assert validate_horizon(d, sc, [y.assignments for y in r.years]) == []


def test_a_first_stage_without_a_plan_holds_the_starting_plan_s_value(monkeypatch):
    """When the first stage finds no plan in its time and the model's hint is a complete
    plan (a horizon's staged plan), its stream is held at the hint's value (not proved
    the most), and so is every later stream, without a search (the same model from the
    same plan); without that assurance the stages end at once."""
    from ortools.sat.python import cp_model

    import solver.search.lexicographic as lex
    from solver.progress import Budget

    real = lex.search

    searched: list[str] = []

    def no_first_plan(model, settings, limit, progress, label="", **params):
        searched.append(label)
        solver, code, secs = real(model, settings, limit, progress, label=label, **params)
        return solver, (cp_model.UNKNOWN if label == "priority a" else code), secs

    monkeypatch.setattr(lex, "search", no_first_plan)
    settings = scenario(solver={"workers": 1}).solver

    def staged(hint_is_plan):
        m = cp_model.CpModel()
        x = [m.new_bool_var(f"x{i}") for i in range(4)]
        m.add(sum(x) <= 3)
        for v, h in zip(x, (1, 0, 1, 0), strict=True):
            m.add_hint(v, h)
        gains = [("a", x[0] + x[1]), ("b", x[2] + x[3])]
        said: list[str] = []
        got = lex.priority_stages(
            m, gains, settings, Budget(20.0), said.append, hint_is_plan=hint_is_plan
        )
        return got, said

    stages, said = staged(True)
    # the hint: a = 1 + 0, b = 1 + 0 (a search of b would find 2)
    assert [(s.stream, s.value, s.optimal) for s in stages] == [("a", 1, False), ("b", 1, False)]
    assert searched == ["priority a"]
    assert any("held at the starting plan's value" in m for m in said)
    assert any("b 1 rotated person-years (not searched" in m for m in said)
    searched.clear()
    stages, said = staged(False)
    assert stages == [] and any("stages end here" in m for m in said)
