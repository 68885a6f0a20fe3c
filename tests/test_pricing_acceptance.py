"""Acceptance: on a district written by hand (not by the generator), a solve that prunes
moves (a forced candidate limit of one school per teacher) reports in summary.json a
``bound_scope`` and a ``best_bound`` that does not exceed the objective of a valid plan of
the full problem (the plan of a ``max_candidates = 0`` solve).

The district: seven primary schools in a row, 1.5 km apart, each with a principal (not
eligible: too new at the school) and twelve teachers in two subjects. The key teachers
sit at the two schools at the west end, so the balance term wants them at the far end
of the row: the nearest school, the only one kept, is the wrong place for most of them,
and only the pruned moves priced back in give a bound of the problem as written.

The same acceptance on a big hand-made city, Lujiang (tests/data/lujiang: 11,126 staff,
281,770 permitted moves, pruned by the package's own limit), is the command
``python -m benchmarks.pricing acceptance``: its solves are too big for the suite, so
the last test here checks only the city's shape.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from solver.cli import main
from solver.input.loaders import load_district
from solver.input.scenario import load_scenario
from solver.model.rotation import AUTO_MAX_PAIRS
from solver.rules.moves import permitted_moves
from solver.validate import validate_plan

N_SCHOOLS = 7
PER_SUBJECT = 6  # teachers per subject and school
#: Key teachers per subject at each school, west to east.
KEY = (4, 3, 1, 0, 0, 0, 0)


def _write_district(folder) -> None:
    folder.mkdir()
    schools = [
        "school_id,name,zone,group,level,locality,tier,lat,lon,students,principal_posts,"
        "vice_principal_posts"
    ]
    staff = [
        "staff_id,name,school_id,role,subject,key_level,school_start_date,retirement_date,"
        "on_payroll,title,above_standard_qualification,rural_years"
    ]
    n = 0
    for i in range(N_SCHOOLS):
        sid = f"H{i + 1}"
        # 1.5 km apart along a parallel (0.0176° of longitude at 40°N is about 1.5 km)
        schools.append(
            f"{sid},第{i + 1}小学,西区,,primary,urban,average,40.0,{116.3 + 0.0176 * i:.4f},600,1,0"
        )
        n += 1
        staff.append(
            f"P{n:03d},校长{n},{sid},principal,chinese,none,2024-09-01,2045-01-01,true,senior,false,0"
        )
        for subject in ("chinese", "math"):
            for j in range(PER_SUBJECT):
                n += 1
                key = "district" if j < KEY[i] else "none"
                staff.append(
                    f"T{n:03d},教师{n},{sid},teacher,{subject},{key},2012-09-01,2045-01-01,"
                    "true,intermediate,false,0"
                )
    (folder / "schools.csv").write_text("\n".join(schools) + "\n", encoding="utf-8")
    (folder / "staff.csv").write_text("\n".join(staff) + "\n", encoding="utf-8")


def _write_scenario(path, data, k: int) -> None:
    path.write_text(
        f"""
[scenario]
name = "hand-made row, k = {k}"
as_of = 2025-09-01
data = "{data.as_posix()}"

[quotas]
teacher_rotation_min = 0.10
key_share_of_rotated_min = 0.20
school_outflow_max = 0.34

[commute]
max_km = 30.0

[balance]
indicator = "key_per_100"
objective = "cv"

[weights]
balance = 100
commute = 0.01

[solver]
time_limit_s = 600
work_limit = 20.0
workers = 1
seed = 0
max_candidates = {k}
""",
        encoding="utf-8",
    )


def _solve(tmp_path, k: int) -> dict:
    scenario = tmp_path / f"k{k}.toml"
    _write_scenario(scenario, tmp_path / "district", k)
    out = tmp_path / f"plan-k{k}"
    run = CliRunner().invoke(main, ["solve", str(scenario), "--out", str(out)])
    assert run.exit_code == 0, run.output
    sc = load_scenario(scenario)
    district = load_district(tmp_path / "district", as_of=sc.as_of)
    from solver.input.assignments import read_assignments

    assert validate_plan(district, sc, read_assignments(out)) == []
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return {"summary": summary, "output": run.output}


def test_pruned_solve_reports_a_bound_of_the_full_problem(tmp_path):
    _write_district(tmp_path / "district")
    full = _solve(tmp_path, 0)["summary"]
    assert full["stats"]["candidates_per_teacher"] == 0
    pruned = _solve(tmp_path, 1)
    s = pruned["summary"]
    assert s["stats"]["candidates_per_teacher"] == 1  # pruning happened
    assert s["bound_scope"] in ("full_lp", "lagrangian")
    # a bound of the problem as written: below the objective of a valid plan of it
    assert s["best_bound"] <= full["objective"] + 1e-9 * abs(full["objective"])
    assert s["gap"] == pytest.approx(
        abs(s["objective"] - s["best_bound"]) / abs(s["objective"]), abs=1e-6
    )
    assert "hold only for the candidate moves" not in pruned["output"]
    # explain states the same bound: in explain.json, and `lungang explain` prints it
    ex = json.loads((tmp_path / "plan-k1" / "explain.json").read_text(encoding="utf-8"))
    assert (ex["best_bound"], ex["gap"], ex["bound_scope"]) == (
        s["best_bound"],
        s["gap"],
        s["bound_scope"],
    )
    run = CliRunner().invoke(main, ["explain", str(tmp_path / "plan-k1"), "--time-limit", "5"])
    assert run.exit_code == 0, run.output
    assert f"bound {s['best_bound']:.4f}" in run.output

    # and says in words when a bound holds for the kept candidates only
    from solver.analysis.explain import format_explain

    kept = format_explain({**ex, "bound_scope": "kept_candidates"})
    assert "(the bound and the gap hold only for the candidate moves the model kept" in kept
    assert "hold only" not in format_explain(ex)


def test_pricing_lines_and_the_kept_only_note_read_in_chinese():
    """The pricing's progress lines and the summary's note on a kept-candidates bound have
    their Chinese text (no English left)."""
    from solver.output.i18n import message

    lines = [
        "LP bound of every permitted move 840.1345, 79 pruned moves priced in; "
        "searching the 12000 moves the LP uses",
        "pricing round 1: LP 557.2619, 357 moves with negative reduced cost, 346 added",
        "the kept moves' LP is infeasible: 565 nearest pruned moves added",
        "feasible: objective 1.0000, bound 0.5000, gap 50.00%, 3 of 10 eligible move, 1.0 s"
        "\nnote: the bound and the gap hold only for the candidate moves the model kept "
        "(each teacher's nearest permitted schools), not for every move the rules permit",
    ]
    for line in lines:
        zh = message(line, "zh")
        assert not any(w in zh for w in ("LP bound", "pricing", "moves", "note")), zh
    assert "仅针对模型保留的候选交流" in message(lines[-1], "zh")


CITY = Path(__file__).parent / "data" / "lujiang"


def test_lujiang_city_is_big_enough_to_prune(tmp_path):
    """Lujiang city (tests/data/lujiang), the hand-made acceptance district of the bound
    on more than 200,000 candidate moves: build.py writes the committed schools.csv byte
    for byte and 11,126 staff; the city loads, and by the package's own count of the
    permitted moves it is over the limit above which the model prunes (its solve is
    ``python -m benchmarks.pricing acceptance``, not a test: too big for the suite)."""
    spec = importlib.util.spec_from_file_location("lujiang_build", CITY / "build.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    scenario = mod.write(tmp_path / "city")
    assert (tmp_path / "city" / "schools.csv").read_bytes() == (CITY / "schools.csv").read_bytes()
    sc = load_scenario(scenario)
    assert sc.solver.max_candidates is None  # the package chooses: it prunes
    assert sc.commute.max_km == 15.0
    d = load_district(tmp_path / "city", as_of=sc.as_of)
    assert (d.n_schools, len(d.staff)) == (119, 11126)
    assert d.schools["level"].value_counts().to_dict() == {"primary": 72, "junior": 47}
    moves = permitted_moves(d, sc)
    n = int(moves.ok.sum())
    assert n > AUTO_MAX_PAIRS == 200_000
    assert n == 281_770
    # nearly every other school of the same level is permitted: the commute limit and
    # the staffing rows leave out under 1% of those moves
    level = d.schools["level"].to_numpy()
    home = moves.people["home"].to_numpy()
    same = level[home][:, None] == level[None, :]
    same[np.arange(len(home)), home] = False
    assert n >= 0.99 * int(same.sum())
    assert 0 < int((same & ~moves.commute_ok).sum())  # but the commute limit acts
