"""The command line on the bundled demo: plans, exit codes, nothing half-written."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from solver.cli import main
from solver.rules.indicators import difference_coefficient

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "scenarios" / "demo.toml"


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def scenario_copy(
    tmp_path: Path, replace: dict[str, str] | None = None, data: Path | None = None
) -> Path:
    """The demo scenario, written to tmp_path with some lines replaced."""
    text = DEMO.read_text(encoding="utf-8")
    text = text.replace(
        'data = "../data/demo"', f'data = "{(data or ROOT / "data" / "demo").as_posix()}"'
    )
    for old, new in (replace or {}).items():
        assert old in text, old
        text = text.replace(old, new)
    f = tmp_path / "scenario.toml"
    f.write_text(text, encoding="utf-8")
    return f


@pytest.fixture(scope="module")
def demo_plan(tmp_path_factory) -> Path:
    """The demo solved once through the CLI."""
    out = tmp_path_factory.mktemp("plans") / "demo"
    r = run("-q", "solve", str(DEMO), "--out", str(out))
    assert r.exit_code == 0, r.output
    return out


def test_demo_plan_is_complete(demo_plan):
    """The plan folder has the contract's three files (and explain.json) and an optimal status."""
    assert sorted(p.name for p in demo_plan.iterdir()) == [
        "assignments.csv",
        "explain.json",
        "plan.xlsx",
        "report.html",
        "schools.csv",
        "summary.json",
    ]
    s = json.loads((demo_plan / "summary.json").read_text(encoding="utf-8"))
    assert s["status"] == "optimal"
    assert s["counts"]["moved"] > 0
    assert set(s["terms"]) == {"balance", "commute", "moves"}
    assert s["objective"] == pytest.approx(
        sum(t["weight"] * t["value"] for t in s["terms"].values()), abs=1e-6
    )
    assert s["scenario"]["quotas"]["school_outflow_max"] == 0.15  # resolved scenario echoed


def test_demo_plan_passes_the_validator(demo_plan):
    """`lungang validate` accepts the demo plan."""
    r = run("validate", str(DEMO), str(demo_plan))
    assert r.exit_code == 0, r.output


def test_summary_coefficients_equal_those_recomputed_from_schools_csv(demo_plan):
    """summary.json's coefficients are DOMAIN.md's formula applied to schools.csv."""
    s = json.loads((demo_plan / "summary.json").read_text(encoding="utf-8"))
    schools = pd.read_csv(demo_plan / "schools.csv")
    for ind, levels in s["coefficients"].items():
        for lvl, pair in levels.items():
            for side in ("before", "after"):
                cv = difference_coefficient(schools[f"{lvl}_students"], schools[f"{ind}_{side}"])
                assert pair[side] == pytest.approx(cv, abs=1e-12), (ind, lvl, side)
    key = s["coefficients"]["key_per_100"]
    assert key["primary"]["after"] < key["primary"]["before"]


def test_same_seed_gives_the_same_plan(demo_plan, tmp_path):
    """Solving the demo again gives identical files (timings aside)."""
    out = tmp_path / "again"
    assert run("-q", "solve", str(DEMO), "--out", str(out)).exit_code == 0
    for name in ("assignments.csv", "schools.csv"):
        assert (out / name).read_bytes() == (demo_plan / name).read_bytes(), name
    a, b = (json.loads((d / "summary.json").read_text(encoding="utf-8")) for d in (out, demo_plan))
    for s in (a, b):
        for k in ("solve_seconds", "build_seconds", "stats"):
            s.pop(k)
    assert a == b


def test_existing_output_folder_is_refused(demo_plan):
    """A non-empty --out is refused with exit 2 unless --force, and left as it was."""
    before = (demo_plan / "assignments.csv").read_bytes()
    r = run("-q", "solve", str(DEMO), "--out", str(demo_plan))
    assert r.exit_code == 2
    assert "--force" in r.output
    assert (demo_plan / "assignments.csv").read_bytes() == before


def test_bad_input_exits_2_naming_file_row_column_and_writes_nothing(tmp_path):
    """A bad cell in staff.csv: exit 2, the message names file, row and column, no plan."""
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data" / "demo", data)
    staff = (data / "staff.csv").read_text(encoding="utf-8").splitlines()
    cells = staff[3].split(",")
    header = staff[0].split(",")
    cells[header.index("role")] = "janitor"
    staff[3] = ",".join(cells)
    (data / "staff.csv").write_text("\n".join(staff) + "\n", encoding="utf-8")
    snapshot = {p.name: p.read_bytes() for p in data.iterdir()}
    out = tmp_path / "plan"
    r = run("solve", str(scenario_copy(tmp_path, data=data)), "--out", str(out))
    assert r.exit_code == 2
    assert "staff.csv, row 4, column 'role'" in r.output
    assert "janitor" in r.output
    assert not out.exists()
    assert {p.name: p.read_bytes() for p in data.iterdir()} == snapshot


def test_bad_scenario_key_exits_2(tmp_path):
    """A misspelt scenario key: exit 2 naming the key and the closest one."""
    f = scenario_copy(tmp_path, {"max_km = 15.0": "max_kms = 15.0"})
    r = run("check", str(f))
    assert r.exit_code == 2
    assert "commute.max_kms" in r.output and "commute.max_km'" in r.output


def test_infeasible_rules_exit_3_naming_the_rule_and_write_nothing(tmp_path):
    """Rotating every eligible teacher with a 15% outflow cap cannot hold: exit 3, no plan."""
    f = scenario_copy(tmp_path, {"teacher_rotation_min = 0.10": "teacher_rotation_min = 0.9"})
    out = tmp_path / "plan"
    r = run("solve", str(f), "--out", str(out))
    assert r.exit_code == 3, r.output
    assert "teacher_rotation_min" in r.output
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".plan")]


def test_check_reports_ok_on_the_demo():
    """`check` on the demo exits 0 and counts the eligible."""
    r = run("check", str(DEMO))
    assert r.exit_code == 0
    assert "eligible" in r.output


def test_eligible_lists_everyone_with_reasons(tmp_path):
    """`eligible --out` writes one row per staff member, a reason for each ineligible one."""
    out = tmp_path / "eligible.csv"
    assert run("-q", "eligible", str(DEMO), "--out", str(out)).exit_code == 0
    t = pd.read_csv(out, keep_default_na=False)
    staff = pd.read_csv(ROOT / "data" / "demo" / "staff.csv")
    assert len(t) == len(staff)
    not_ok = t[t["eligible"].astype(str) == "False"]
    assert len(not_ok) > 0 and (not_ok["reason"] != "").all()
    assert (t.loc[t["eligible"].astype(str) == "True", "reason"] == "").all()


def test_indicators_json_before_and_after(demo_plan):
    """`indicators --plan --format json` gives coefficients before and after."""
    r = run("indicators", str(DEMO), "--plan", str(demo_plan), "--format", "json")
    assert r.exit_code == 0
    data = json.loads(r.output)
    assert set(data) == {"before", "after"}
    s = json.loads((demo_plan / "summary.json").read_text(encoding="utf-8"))
    after = {(c["indicator"], c["level"]): c["cv"] for c in data["after"]["coefficients"]}
    assert after[("key_per_100", "primary")] == pytest.approx(
        s["coefficients"]["key_per_100"]["primary"]["after"]
    )
