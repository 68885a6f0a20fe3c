"""The command line on the bundled demo: plans, exit codes, nothing half-written."""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from solver.cli import main
from solver.input.geo import haversine_km
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
    assert set(s["terms"]) == {"balance", "commute", "moves"}
    assert s["scenario"]["quotas"]["school_outflow_max"] == 0.15  # resolved scenario echoed
    # The terms, recomputed from the plan's own files and the district, not from summary.json:
    a = pd.read_csv(demo_plan / "assignments.csv", dtype={"staff_id": str})
    movers = a[a["moved"].astype(str).str.lower() == "true"]
    assert s["counts"]["moved"] == len(movers) > 0
    staff = pd.read_csv(ROOT / "data" / "demo" / "staff.csv", dtype=str).set_index("staff_id")
    sch = pd.read_csv(ROOT / "data" / "demo" / "schools.csv", dtype={"school_id": str})
    sch = sch.set_index("school_id")
    home = staff.loc[movers["staff_id"]]
    home_lat = (
        home["home_lat"]
        .astype(float)
        .fillna(sch.loc[home["school_id"], "lat"].set_axis(home.index))
    )
    home_lon = (
        home["home_lon"]
        .astype(float)
        .fillna(sch.loc[home["school_id"], "lon"].set_axis(home.index))
    )
    to = sch.loc[movers["to_school"]]
    km = haversine_km(
        home_lat.to_numpy(), home_lon.to_numpy(), to["lat"].to_numpy(), to["lon"].to_numpy()
    )
    # cv (demo.toml): Σ over levels 100·Σ w_i (x_i − m)²/m², m the level's mean before
    table = pd.read_csv(demo_plan / "schools.csv")
    balance = 0.0
    for level in ("primary", "junior"):
        w = table[f"{level}_students"].to_numpy(dtype=float)
        w = w / w.sum()
        m = w @ table["key_per_100_before"].to_numpy(dtype=float)
        balance += 100.0 * w @ (table["key_per_100_after"].to_numpy(dtype=float) - m) ** 2 / m**2
    terms = {"balance": balance, "commute": float(km.sum()), "moves": float(len(movers))}
    weights = {"balance": 100.0, "commute": 1.0, "moves": 0.0}  # demo.toml
    for name, value in terms.items():
        assert s["terms"][name]["weight"] == weights[name]
        assert s["terms"][name]["value"] == pytest.approx(value, abs=1e-3), name
    assert s["objective"] == pytest.approx(sum(weights[t] * terms[t] for t in terms), abs=1e-3)


def test_demo_plan_passes_the_validator(demo_plan):
    """`lungang validate` accepts the demo plan."""
    r = run("validate", str(DEMO), str(demo_plan))
    assert r.exit_code == 0, r.output


def test_summary_coefficients_equal_those_recomputed_from_schools_csv(demo_plan):
    """summary.json's coefficients are docs/policy.md's formula applied to schools.csv."""
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
    t = pd.read_csv(out, keep_default_na=False, dtype=str)
    staff = pd.read_csv(ROOT / "data" / "demo" / "staff.csv")
    assert len(t) == len(staff)
    assert set(t["eligible"]) == {"true", "false"}  # as in assignments.csv's `moved`
    not_ok = t[t["eligible"] == "false"]
    assert len(not_ok) > 0 and (not_ok["reason"] != "").all()
    assert (t.loc[t["eligible"] == "true", "reason"] == "").all()
    printed = pd.read_csv(io.StringIO(run("-q", "eligible", str(DEMO)).stdout), dtype=str)
    pd.testing.assert_frame_equal(printed.fillna(""), t)


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


# --------------------------------------------------------------------------- what a new user sees


def test_quiet_solve_prints_only_where_the_plan_is(tmp_path):
    """`-q solve` hides the progress but keeps one line: where the plan was written."""
    out = tmp_path / "plan"
    r = run("-q", "solve", str(DEMO), "--out", str(out))
    assert r.exit_code == 0, r.output
    assert r.stderr.splitlines() == [f"plan written to {out}"]
    assert (out / "assignments.csv").is_file()


def test_generate_xlsx_prints_the_workbook_and_a_scenario_can_use_its_folder(tmp_path):
    """`generate --format xlsx` names the workbook it wrote (even with -q), and a scenario
    whose `data` is that folder reads the workbook."""
    out = tmp_path / "gen"
    r = run("-q", "generate", "demo", "--out", str(out), "--format", "xlsx")
    assert r.exit_code == 0, r.output
    book = out / "district.xlsx"
    assert r.stderr.splitlines() == [f"demo (seed 0) written to {book}"]
    assert book.is_file()
    assert run("-qq", "generate", "demo", "--out", str(tmp_path / "g2")).stderr == ""
    r = run("check", str(scenario_copy(tmp_path, data=out)))
    assert r.exit_code == 0, r.output
    assert "300 staff" in r.stderr


def test_a_folder_of_several_workbooks_is_refused_naming_them(tmp_path):
    """`data` naming a folder with two workbooks and no CSV: exit 2 naming both."""
    out = tmp_path / "gen"
    assert run("-q", "generate", "demo", "--out", str(out), "--format", "xlsx").exit_code == 0
    shutil.copy(out / "district.xlsx", out / "copy.xlsx")
    r = run("check", str(scenario_copy(tmp_path, data=out)))
    assert r.exit_code == 2
    assert "several workbooks: copy.xlsx, district.xlsx" in r.stderr


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines()]


def test_indicators_with_a_plan_fit_80_columns(demo_plan):
    """At 80 columns `indicators --plan` shows every school part with all its values,
    before -> after, nothing cut (the school column once vanished there)."""
    r = CliRunner().invoke(
        main, ["indicators", str(DEMO), "--plan", str(demo_plan)], env={"COLUMNS": "80"}
    )
    assert r.exit_code == 0, r.output
    lines = _lines(r.stdout)
    assert max(len(line) for line in lines) <= 80
    assert "…" not in r.stdout
    schools = pd.read_csv(demo_plan / "schools.csv", dtype={"school_id": str})
    report = run("-q", "indicators", str(DEMO), "--plan", str(demo_plan), "--format", "csv")
    parts = pd.read_csv(io.StringIO(report.stdout), dtype={"school_id": str})
    assert len(parts) > len(schools)  # the nine-year school gives two rows
    for p in parts.itertuples():
        row = [ln.split() for ln in lines if ln.split()[:2] == [p.school_id, p.level]]
        assert len(row) == 1, (p.school_id, p.level)
        values = [v.replace("*", "") for v in row[0][3:6]]
        want = [
            f"{getattr(p, f'{ind}_before'):.2f}→{getattr(p, f'{ind}_after'):.2f}"
            for ind in ("qualified_per_100", "key_per_100", "pe_art_per_100")
        ]
        assert values == want, (p.school_id, p.level)


def test_indicators_fit_80_columns_with_long_school_ids(tmp_path, demo_plan):
    """School ids of 15 characters (real school codes are 10 digits) still fit, whole."""
    data = tmp_path / "data"
    data.mkdir()
    long = {f"S{i:02d}": f"110101000000S{i:02d}" for i in range(1, 13)}

    def rename(src: Path, dst: Path) -> None:
        text = src.read_text(encoding="utf-8")
        for old, new in long.items():
            text = re.sub(rf"\b{old}\b", new, text)
        dst.write_text(text, encoding="utf-8")

    for name in ("schools.csv", "staff.csv"):
        rename(ROOT / "data" / "demo" / name, data / name)
    plan = tmp_path / "plan"
    plan.mkdir()
    rename(demo_plan / "assignments.csv", plan / "assignments.csv")
    args = ["indicators", str(scenario_copy(tmp_path, data=data)), "--plan", str(plan)]
    r = CliRunner().invoke(main, args, env={"COLUMNS": "80"})
    assert r.exit_code == 0, r.output
    lines = _lines(r.stdout)
    assert max(len(line) for line in lines) <= 80 and "…" not in r.stdout
    firsts = {ln.split()[0] for ln in lines if ln.split()}
    assert set(long.values()) <= firsts


def test_demo_scenario_says_the_time_limit_is_wall_clock():
    """scenarios/demo.toml describes time_limit_s as the README does: wall-clock seconds."""
    line = next(
        ln for ln in DEMO.read_text(encoding="utf-8").splitlines() if ln.startswith("time_limit_s")
    )
    assert "wall-clock seconds" in line and "deterministic" not in line
    assert "is wall-clock seconds" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_indicators_in_chinese_fit_80_columns(demo_plan):
    """With --lang zh (wide characters) nothing is cut at 80 columns either."""
    from rich.cells import cell_len

    args = ["indicators", str(DEMO), "--plan", str(demo_plan), "--lang", "zh"]
    r = CliRunner().invoke(main, args, env={"COLUMNS": "80"})
    assert r.exit_code == 0, r.output
    assert max(cell_len(line) for line in _lines(r.stdout)) <= 80
    assert "…" not in r.stdout and "学段" in r.stdout
