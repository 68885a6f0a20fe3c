"""Qingshi county (tests/data/qingshi), the hand-made acceptance district of multi-year
plans: its data are what build.py makes, and they load with their history. Its plan is
measured by ``python -m benchmarks.horizon acceptance`` (benchmarks/README.md)."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

from solver.input.loaders import load_district
from solver.input.scenario import load_scenario
from solver.rules.eligibility import eligibility
from solver.rules.horizon import served_within

COUNTY = Path(__file__).parent / "data" / "qingshi"


def _build_module():
    spec = importlib.util.spec_from_file_location("qingshi_build", COUNTY / "build.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_build_gives_the_committed_files(tmp_path):
    """build.py, run into a fresh folder, writes staff.csv and history.csv byte for byte."""
    mod = _build_module()
    (tmp_path / "schools.csv").write_bytes((COUNTY / "schools.csv").read_bytes())
    mod.HERE = tmp_path  # (it reads schools.csv next to where it writes)
    mod.write(tmp_path)
    for name in ("staff.csv", "history.csv"):
        assert (tmp_path / name).read_bytes() == (COUNTY / name).read_bytes(), name


def test_the_county_is_the_acceptance_case():
    """40 schools, 3,000 staff, a history that no_return_years acts on, stints now; the
    scenario is three years, coverage 0.9, one-year stints with return, no return in 6."""
    sc = load_scenario(COUNTY / "scenario.toml")
    d = load_district(COUNTY, as_of=sc.as_of)
    assert (d.n_schools, len(d.staff)) == (40, 3000)
    hz = sc.horizon
    assert (hz.years, hz.coverage_min, hz.stint_years, hz.return_home, hz.no_return_years) == (
        3,
        0.9,
        1,
        True,
        6,
    )
    # earlier stints within six years name schools other than the current one
    recent = served_within(d, 6, sc.as_of)
    here = d.staff.loc[recent["staff_id"], "school_id"].to_numpy()
    assert (recent["school_id"].to_numpy() != here).sum() >= 100
    away = d.staff[d.staff["post_school_id"] != d.staff["school_id"]]
    assert len(away) == 24 and (away["stint_end"] == dt.datetime(2026, 9, 1)).all()
    elig = eligibility(d, sc)
    assert 1000 <= int(elig["eligible"].sum()) <= 1500


def test_lungang_plan_three_years_on_the_county_passes_every_check(tmp_path):
    """The acceptance: `lungang plan --years 3` writes three year folders; year 1 passes
    the single-year validator, the horizon the cross-year checks (start-of-year
    positions, one rotation, coverage ≥ 0.9, no return within six years, horizon.json).
    The searches end by deterministic time (work_limit 1 each; about 40 s in all)."""
    import json

    from click.testing import CliRunner

    from solver.cli import main
    from solver.load import load
    from solver.validate import validate_horizon_dir, validate_plan_dir

    text = (COUNTY / "scenario.toml").read_text(encoding="utf-8")
    text = text.replace('data = "."', f'data = "{COUNTY.as_posix()}"', 1)
    text = text.replace("[solver]\n", "[solver]\nwork_limit = 1\n", 1)
    f = tmp_path / "scenario.toml"
    f.write_text(text, encoding="utf-8")
    out = tmp_path / "plan"
    r = CliRunner().invoke(
        main, ["plan", str(f), "--years", "3", "--out", str(out), "--time-limit", "900"]
    )
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in out.glob("year[0-9]*")) == ["year1", "year2", "year3"]
    sc, d = load(f)
    assert validate_plan_dir(out / "year1", d, sc) == []
    assert validate_horizon_dir(out, d, sc) == []
    cov = json.loads((out / "horizon.json").read_text(encoding="utf-8"))["coverage"]
    assert cov["reached"] and cov["moved_of_movable"] >= 0.9 * cov["movable"]
    assert cov["movable"] > 1000
