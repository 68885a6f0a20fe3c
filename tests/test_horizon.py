"""Multi-year plans: the new input, the state from year to year, the horizon model, its
rules (each a feasible and an infeasible case, the validator's check too), the myopic
baseline and ``lungang plan``."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from builders import AS_OF, NEW, person, scenario, school, write_district_csv
from click.testing import CliRunner

from solver.cli import main
from solver.errors import InputError
from solver.input.loaders import load_district
from solver.input.scenario import parse_scenario
from solver.plan.result import SolveStatus
from solver.rules.eligibility import eligibility
from solver.rules.horizon import advance, year_start
from solver.search.horizon import plan_horizon, plan_myopic
from solver.search.solve import solve
from solver.validate import validate_horizon, validate_horizon_dir, validate_plan


def _district(
    tmp_path: Path,
    schools: list[dict],
    staff: list[dict],
    extra: dict[str, dict[str, object]] | None = None,
    history: list[dict] | None = None,
    encoding: str = "utf-8",
):
    """Write a district; ``extra`` adds staff columns (column -> staff_id -> value)."""
    folder = write_district_csv(tmp_path / "d", schools, staff)
    if extra:
        f = pd.read_csv(folder / "staff.csv", dtype=str, keep_default_na=False)
        for col, values in extra.items():
            f[col] = f["staff_id"].map(lambda s, v=values: v.get(s, ""))
        f.to_csv(folder / "staff.csv", index=False, encoding=encoding)
    if history:
        pd.DataFrame(history).to_csv(folder / "history.csv", index=False, encoding=encoding)
    return folder, load_district(folder, as_of=AS_OF)


def _cycle(n_schools: int = 3, per_school: int = 3, **kw) -> tuple[list[dict], list[dict]]:
    """Schools 2 km apart, each with ``per_school`` eligible math teachers."""
    names = "ABCDEFG"[:n_schools]
    schools = [school(s, km=2 * i, **kw) for i, s in enumerate(names)]
    staff = [person(f"{s}{i}", s) for s in names for i in range(per_school)]
    return schools, staff


# ----------------------------------------------------------------------------- input


def test_new_staff_columns_and_history_load_with_chinese_headers_in_gb18030(tmp_path):
    """编制学校, 交流期满, 入职日期, 拟评高级 and a history.csv with Chinese headers load from GB18030."""
    schools, staff = _cycle(2, 1)
    folder, _ = _district(tmp_path, schools, staff)
    f = pd.read_csv(folder / "staff.csv", dtype=str, keep_default_na=False)
    f["编制学校"] = ["B", ""]
    f["交流期满"] = ["2026-08-31", ""]
    f["入职日期"] = ["2005-09-01", ""]
    f["拟评高级"] = ["是", "否"]
    f.to_csv(folder / "staff.csv", index=False, encoding="gb18030")
    pd.DataFrame(
        {"工号": ["A0"], "学校代码": ["B"], "开始日期": ["2001-09-01"], "结束日期": ["2010-08-31"]}
    ).to_csv(folder / "history.csv", index=False, encoding="gb18030")
    d = load_district(folder, as_of=AS_OF)
    st = d.staff
    assert st.loc["A0", "post_school_id"] == "B"
    assert st.loc["B0", "post_school_id"] == "B"  # default: the current school
    assert st.loc["A0", "stint_end"] == pd.Timestamp("2026-08-31")
    assert pd.isna(st.loc["B0", "stint_end"])
    assert st.loc["A0", "hire_date"] == pd.Timestamp("2005-09-01")
    assert list(st["title_applicant"]) == [True, False]
    assert d.history.to_dict("records") == [
        {
            "staff_id": "A0",
            "school_id": "B",
            "start_date": pd.Timestamp("2001-09-01"),
            "end_date": pd.Timestamp("2010-08-31"),
        }
    ]


def test_unknown_post_school_is_a_located_error(tmp_path):
    """A post_school_id that is no school names staff.csv, the row and the column."""
    schools, staff = _cycle(2, 1)
    with pytest.raises(InputError) as exc:
        _district(tmp_path, schools, staff, extra={"post_school_id": {"B0": "ZZ"}})
    (p,) = exc.value.problems
    assert (Path(p.file).name, p.row, p.column, p.value) == ("staff.csv", 3, "post_school_id", "ZZ")


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        ({"staff_id": "nobody", "start_date": "2001-09-01", "end_date": ""}, "staff_id", "unknown"),
        (
            {"staff_id": "A0", "start_date": "2011-09-01", "end_date": "2010-08-31"},
            "end_date",
            "ends before",
        ),
        ({"staff_id": "A0", "start_date": "2011-13-01", "end_date": ""}, "start_date", ""),
    ],
)
def test_bad_history_rows_are_located_errors(tmp_path, row, column, message):
    """history.csv: unknown staff, a posting ending before it starts, a bad date: file, row 2, column."""
    schools, staff = _cycle(2, 1)
    with pytest.raises(InputError) as exc:
        _district(tmp_path, schools, staff, history=[{"school_id": "B", **row}])
    (p,) = exc.value.problems
    assert (Path(p.file).name, p.row, p.column) == ("history.csv", 2, column)
    assert message in p.message


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [
        ("horizon", "stint_years", 4),
        ("horizon", "coverage_min", 1.5),
        ("horizon", "years", 0),
        ("horizon", "no_return_years", -1),
        ("rules", "title_rural_years", -1),
        ("rules", "priority", ["teachers", "nobody"]),
        ("rules", "priority", ["teachers", "key", "teachers"]),  # a stream named twice
        ("flow", "strong_to_weak_min", 2.0),
    ],
)
def test_new_scenario_keys_out_of_range_name_the_key(section, key, value):
    """Each new key out of range is an error naming section.key."""
    with pytest.raises(InputError) as exc:
        scenario(**{section: {key: value}})
    assert [p.key.split(".")[:2] for p in exc.value.problems][0] == [section, key]


def test_unknown_horizon_key_names_the_closest():
    """[horizon] year = 3 suggests horizon.years."""
    with pytest.raises(InputError) as exc:
        scenario(horizon={"year": 3})
    assert "horizon.years" in exc.value.problems[0].message


def test_defaults_leave_the_resolved_scenario_as_before(tmp_path):
    """Without the new keys, the resolved scenario (summary.json) has none of them."""
    raw = {"scenario": {"name": "x", "as_of": AS_OF, "data": "."}}
    resolved = parse_scenario(raw).resolved()
    assert "horizon" not in resolved and "rules" not in resolved
    assert "strong_to_weak_min" not in resolved["flow"]
    used = parse_scenario({**raw, "horizon": {"years": 2}}).resolved()
    assert used["horizon"]["years"] == 2


def test_on_a_stint_is_not_eligible_until_it_ends(tmp_path):
    """A stint ending after as_of, or a post elsewhere without an end, makes a person ineligible."""
    schools, staff = _cycle(2, 2)
    _, d = _district(
        tmp_path,
        schools,
        staff,
        extra={
            "post_school_id": {"A0": "B", "A1": "B"},
            "stint_end": {"A0": "2026-08-31", "B0": "2025-08-31"},
        },
    )
    e = eligibility(d, scenario())
    assert not e.at["A0", "eligible"] and "on a stint at A until 2026-08-31" in e.at["A0", "reason"]
    assert not e.at["A1", "eligible"] and "on a stint" in e.at["A1", "reason"]
    assert e.at["B0", "eligible"]  # the stint ended before as_of


# ----------------------------------------------------------------------------- state


def test_advance_moves_restarts_and_returns_after_the_stint(tmp_path):
    """A mover is at the new school with years restarted; with return_home they are back a stint later."""
    schools, staff = _cycle(2, 1)
    _, d = _district(tmp_path, schools, staff)
    sc = scenario(horizon={"years": 3, "stint_years": 2})
    y1, y2, y3 = (year_start(AS_OF, k) for k in range(3))
    d2, back = advance(d, sc, pd.Series({"A0": "B"}), y1, y2)
    assert d2.staff.at["A0", "school_id"] == "B" and d2.staff.at["A0", "post_school_id"] == "A"
    assert d2.staff.at["A0", "school_start_date"] == pd.Timestamp(y1) and not len(back)
    # The 2-year stint covers years 1 and 2: at the start of year 3 A0 is back home.
    d3, back = advance(d2, sc, pd.Series(dtype=str), y2, y3)
    assert list(back) == ["A0"] and d3.staff.at["A0", "school_id"] == "A"
    assert d3.staff.at["A0", "school_start_date"] == pd.Timestamp(y3)
    assert pd.isna(d3.staff.at["A0", "stint_end"])
    h = d3.history[d3.history["staff_id"] == "A0"]
    assert list(h["school_id"]) == ["A", "B", "A"]
    assert pd.isna(h["end_date"].iloc[-1])


def test_advance_without_return_home_moves_the_post(tmp_path):
    """return_home = false (轮岗): the post moves with the person and nobody goes back."""
    schools, staff = _cycle(2, 1)
    _, d = _district(tmp_path, schools, staff)
    sc = scenario(horizon={"years": 2, "return_home": False})
    d2, _ = advance(d, sc, pd.Series({"A0": "B"}), AS_OF, year_start(AS_OF, 1))
    d3, back = advance(d2, sc, pd.Series(dtype=str), year_start(AS_OF, 1), year_start(AS_OF, 2))
    assert not len(back)
    assert d3.staff.at["A0", "school_id"] == "B" and d3.staff.at["A0", "post_school_id"] == "B"


# ----------------------------------------------------------------------------- rules


def _history_at_b(staff_id: str, years_ago: int) -> list[dict]:
    end = year_start(AS_OF, -years_ago).isoformat()
    return [{"staff_id": staff_id, "school_id": "B", "start_date": "2000-09-01", "end_date": end}]


@pytest.mark.parametrize(("years", "feasible"), [(1, True), (6, False)])
def test_no_return_years(tmp_path, years, feasible):
    """A0 served at B until 3 years ago and B is the only school in reach: no_return_years 1
    lets A0 go there, 6 does not (the diagnosis names no_return_years)."""
    schools = [school("A"), school("B", km=2), school("C", km=40)]
    staff = [person("A0", "A"), person("B0", "B"), person("C0", "C")]
    _, d = _district(tmp_path, schools, staff, history=_history_at_b("A0", 3))
    sc = scenario(
        horizon={"no_return_years": years},
        quotas={"teacher_rotation_min": 0.5},
        staffing={"subject_tolerance": 1},
        commute={"max_km": 10},
        balance={"indicator": "key_per_100"},
    )
    res = solve(d, sc, raise_on_failure=False)
    if feasible:
        assert res.status is SolveStatus.OPTIMAL
        assert res.assignments.at["A0", "to_school"] == "B"
        assert validate_plan(d, sc, res.assignments) == []
    else:
        assert res.status is SolveStatus.INFEASIBLE
        assert "no_return_years" in json.dumps(res.diagnosis)


def test_validator_catches_a_return_within_no_return_years(tmp_path):
    """A hand plan sending A0 back to B, served 3 years ago, breaks no_return_years 6."""
    schools = [school("A"), school("B", km=2)]
    staff = [person("A0", "A"), person("B0", "B")]
    _, d = _district(tmp_path, schools, staff, history=_history_at_b("A0", 3))
    a = pd.DataFrame(
        {"from_school": ["A", "B"], "to_school": ["B", "A"], "moved": [True, True]},
        index=pd.Index(["A0", "B0"], name="staff_id"),
    )
    rules = [v.rule for v in validate_plan(d, scenario(horizon={"no_return_years": 6}), a)]
    assert rules == ["no_return_years"]
    assert validate_plan(d, scenario(horizon={"no_return_years": 2}), a) == []


@pytest.mark.parametrize(("weak_km", "feasible"), [(2, True), (40, False)])
def test_strong_to_weak_min(tmp_path, weak_km, feasible):
    """A strong school's teacher must move and strong_to_weak_min 1 sends them to the weak
    school; with the weak school out of reach the rules cannot hold (diagnosis names it)."""
    schools = [
        school("S", tier="strong"),
        school("W", km=weak_km, tier="weak"),
        school("M", km=3, tier="average"),
    ]
    staff = [person("S0", "S"), person("W0", "W", school_start_date=NEW), person("M0", "M")]
    _, d = _district(tmp_path, schools, staff)
    sc = scenario(
        flow={"strong_to_weak_min": 1.0},
        staffing={"subject_tolerance": 1},
        commute={"max_km": 10},
    )
    d = d.__class__(
        schools=d.schools,
        staff=d.staff,
        pins=pd.DataFrame({"staff_id": ["S0"], "action": ["move"], "school_id": [""]}),
    )
    res = solve(d, sc, raise_on_failure=False)
    if feasible:
        assert res.assignments.at["S0", "to_school"] == "W"
        assert validate_plan(d, sc, res.assignments) == []
        bad = res.assignments.copy()
        bad.loc["S0", "to_school"] = "M"
        assert "strong_to_weak_min" in [v.rule for v in validate_plan(d, sc, bad)]
    else:
        assert res.status is SolveStatus.INFEASIBLE
        assert "strong_to_weak_min" in json.dumps(res.diagnosis)


def test_coverage_is_reached_jointly_and_validated(tmp_path):
    """coverage_min 1 over 2 years: everyone eligible moves once; each year and the horizon validate."""
    schools, staff = _cycle(3, 2)
    staff[1]["school_start_date"] = "2019-10-01"  # eligible from year 2 only
    _, d = _district(tmp_path, schools, staff)
    sc = scenario(horizon={"years": 2, "coverage_min": 1.0})
    r = plan_horizon(d, sc)
    assert r.status is SolveStatus.OPTIMAL and r.gap == 0.0
    assert r.coverage["moved"] == r.coverage["eligible"] == 6
    assert len(r.years[0].assignments) == 5 and "A1" in r.years[1].assignments.index
    assert validate_horizon(d, sc, [y.assignments for y in r.years]) == []
    assert r.objective == pytest.approx(sum(y.objective for y in r.years))


def test_coverage_that_cannot_be_reached_is_diagnosed(tmp_path):
    """Two math teachers at A, one at B: swaps only, and B0 rotates once, so one of A's
    cannot move in 2 years; coverage_min 1 is infeasible and named so."""
    schools = [school("A"), school("B", km=2)]
    staff = [person("A0", "A"), person("A1", "A"), person("B0", "B")]
    _, d = _district(tmp_path, schools, staff)
    sc = scenario(horizon={"years": 2, "coverage_min": 1.0})
    r = plan_horizon(d, sc, raise_on_failure=False)
    assert r.status is SolveStatus.INFEASIBLE
    assert [c["rule"] for c in r.diagnosis["conflicts"]] == ["coverage_min"]
    assert "coverage_min" in r.message
    ok = plan_horizon(d, scenario(horizon={"years": 2, "coverage_min": 0.66}))
    assert ok.coverage["moved"] == 2
    # the counting bound proves it before any search: at most 2 of the 3 can move
    from benchmarks.coverage_bound import coverage_bound

    b = coverage_bound(d, sc, 2, outflow=True)
    assert (b["counted"], b["required"], b["bound"], b["infeasible"]) == (3, 3, 2, True)
    assert b["local"] == [(("subject", "math"), 0, 2, 1, 1)]  # A: 2 must leave, 1 may arrive
    assert b["outflow_short"] == []  # outflow 1.0: the caps let everyone go
    assert not coverage_bound(d, scenario(horizon={"years": 2, "coverage_min": 0.66}), 2)[
        "infeasible"
    ]


def test_people_with_no_permitted_school_are_not_in_coverage(tmp_path):
    """C0 has no school within max_km: coverage counts the other two, and 1.0 is reached."""
    schools = [school("A"), school("B", km=2), school("C", km=60)]
    staff = [person("A0", "A"), person("B0", "B"), person("C0", "C")]
    _, d = _district(tmp_path, schools, staff)
    sc = scenario(horizon={"years": 2, "coverage_min": 1.0}, commute={"max_km": 10})
    r = plan_horizon(d, sc)
    assert r.coverage["eligible"] == 3 and r.coverage["movable"] == 2
    assert r.coverage["moved_of_movable"] == 2 and r.coverage["reached"]
    # the reading of "100%" is reported: who is left out, and why
    assert r.coverage["exempt"] == 1 and r.coverage["exempt_rules"] == {"commute": 1}
    assert r.coverage["exempt_staff"] == [{"staff_id": "C0", "rules": ["commute"]}]
    assert validate_horizon(d, sc, [y.assignments for y in r.years]) == []


def test_validator_checks_coverage_and_one_rotation(tmp_path):
    """A horizon without moves breaks coverage_min; a second move of the same person is caught."""
    schools, staff = _cycle(2, 1)
    _, d = _district(tmp_path, schools, staff)
    sc = scenario(horizon={"years": 2, "coverage_min": 1.0})
    stay = pd.DataFrame(
        {"from_school": ["A", "B"], "to_school": ["A", "B"], "moved": [False, False]},
        index=pd.Index(["A0", "B0"], name="staff_id"),
    )
    assert [v.rule for v in validate_horizon(d, sc, [stay, stay])] == ["coverage_min"]
    swap = pd.DataFrame(
        {"from_school": ["A", "B"], "to_school": ["B", "A"], "moved": [True, True]},
        index=pd.Index(["A0", "B0"], name="staff_id"),
    )
    assert validate_horizon(d, sc, [swap, stay.iloc[0:0]]) == []
    # Year 2 has them back home (1-year stint) but not eligible: moving them again is caught.
    rules = {v.rule for v in validate_horizon(d, sc, [swap, swap])}
    assert {"rotation_once", "eligible_rows"} <= rules


def test_returns_count_in_the_home_school_staffing(tmp_path):
    """Stints of 1 year with return: year 2 starts with the year-1 movers back home, and the
    year-2 plan keeps every school's math head count against that state."""
    schools, staff = _cycle(3, 2)
    _, d = _district(tmp_path, schools, staff)
    sc = scenario(horizon={"years": 2, "coverage_min": 1.0})
    r = plan_horizon(d, sc)
    year1_movers = r.years[0].assignments.index[r.years[0].assignments["moved"]]
    assert len(year1_movers) and set(r.returns[1]) == set(year1_movers)
    state2 = r.states[1]
    assert (state2.staff["school_id"] == d.staff["school_id"]).all()  # all back home
    assert validate_plan(state2, r.scenarios[1], r.years[1].assignments) == []


def test_horizon_needs_min_years_above_the_horizon():
    """A horizon in which a mover could become eligible again is refused (exit 2)."""
    sc = scenario(horizon={"years": 3}, eligibility={"teacher": {"min_years_at_school": 2}})
    with pytest.raises(InputError) as exc:
        plan_horizon(None, sc)  # refused before the district is read
    assert exc.value.problems[0].key == "horizon.years"


def test_joint_plan_reaches_coverage_the_myopic_loop_misses(tmp_path):
    """teacher_rotation_min 0.34 a year and coverage_min 1 in 3 years: the myopic loop moves
    the cheapest minimum each year and misses one person; the joint plan moves everyone."""
    schools, staff = _cycle(3, 3)
    _, d = _district(tmp_path, schools, staff)
    sc = scenario(
        horizon={"years": 3, "coverage_min": 1.0},
        quotas={"teacher_rotation_min": 0.34},
    )
    myopic = plan_myopic(d, sc)
    assert myopic.status is SolveStatus.INFEASIBLE
    assert myopic.coverage["moved"] < myopic.coverage["eligible"] == 9
    joint = plan_horizon(d, sc)
    assert joint.status is SolveStatus.OPTIMAL
    assert joint.coverage["moved"] == 9
    assert validate_horizon(d, sc, [y.assignments for y in joint.years]) == []


def test_joint_objective_is_at_most_the_myopic_one(tmp_path):
    """Where both plan the horizon, the joint optimum is no worse than the myopic sum."""
    schools, staff = _cycle(3, 3)
    staff[0]["key_level"] = "district"
    staff[1]["key_level"] = "district"
    _, d = _district(tmp_path, schools, staff)
    sc = scenario(horizon={"years": 2}, quotas={"teacher_rotation_min": 0.3})
    joint, myopic = plan_horizon(d, sc), plan_myopic(d, sc)
    assert joint.status is SolveStatus.OPTIMAL and myopic.status.has_plan
    assert joint.objective <= myopic.objective + 1e-6
    assert validate_horizon(d, sc, [y.assignments for y in myopic.years]) == []


# ----------------------------------------------------------------------------- CLI


def _scenario_file(folder: Path, body: str) -> Path:
    f = folder / "s.toml"
    f.write_text(
        '[scenario]\nname = "h"\nas_of = 2025-09-01\ndata = "d"\n'
        "[quotas]\nteacher_rotation_min = 0.0\nkey_share_of_rotated_min = 0.0\n"
        "school_outflow_max = 1.0\n[solver]\nworkers = 1\n" + body,
        encoding="utf-8",
    )
    return f


def test_plan_writes_year_folders_that_validate(tmp_path):
    """`lungang plan --years 2` writes year1/, year2/, horizon.json, history.csv; validate passes."""
    schools, staff = _cycle(3, 2)
    _district(tmp_path, schools, staff, history=_history_at_b("A0", 3))
    f = _scenario_file(tmp_path, "[horizon]\ncoverage_min = 1.0\nno_return_years = 6\n")
    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["plan", str(f), "--years", "2", "--out", str(out)])
    assert r.exit_code == 0, r.output
    for name in ("year1/assignments.csv", "year2/summary.json", "horizon.json", "history.csv"):
        assert (out / name).is_file()
    info = json.loads((out / "horizon.json").read_text(encoding="utf-8"))
    assert info["years"] == 2 and info["coverage"]["share"] == 1.0 and info["gap"] == 0.0
    assert info["coverage"]["exempt"] == 0 and info["coverage"]["exempt_staff"] == []
    a1 = pd.read_csv(out / "year1" / "assignments.csv", dtype=str, keep_default_na=False)
    assert {"post_school_id", "stint_end"} <= set(a1.columns)
    assert a1.loc[a1["staff_id"] == "A0", "to_school"].item() != "B"  # no return to B
    history = pd.read_csv(out / "history.csv", dtype=str, keep_default_na=False)
    movers = set(a1.loc[a1["moved"] == "true", "staff_id"])
    assert movers <= set(history["staff_id"])
    v = CliRunner().invoke(main, ["validate", str(f), str(out)])
    assert v.exit_code == 0, v.output
    from solver.load import load

    sc, d = load(f)
    assert validate_horizon_dir(out, d, sc.model_copy(update={})) == []


def test_plan_validate_fails_on_an_edited_year(tmp_path):
    """Editing year 2's plan to move nobody breaks coverage: validate exits 3."""
    schools, staff = _cycle(3, 2)
    staff[1]["school_start_date"] = "2019-10-01"
    _district(tmp_path, schools, staff)
    f = _scenario_file(tmp_path, "[horizon]\nyears = 2\ncoverage_min = 1.0\n")
    out = tmp_path / "out"
    assert CliRunner().invoke(main, ["plan", str(f), "--out", str(out)]).exit_code == 0
    path = out / "year2" / "assignments.csv"
    a = pd.read_csv(path, dtype=str, keep_default_na=False)
    a["to_school"], a["moved"], a["distance_km"] = a["from_school"], "false", "0.0"
    a.to_csv(path, index=False)
    v = CliRunner().invoke(main, ["validate", str(f), str(out)])
    assert v.exit_code == 3 and "coverage_min" in v.output


def test_plan_infeasible_exits_3_writes_the_diagnosis_and_no_folder(tmp_path):
    """Unreachable coverage: exit 3, --diagnosis written, no output folder."""
    schools = [school("A"), school("B", km=2)]
    staff = [person("A0", "A"), person("A1", "A"), person("B0", "B")]
    _district(tmp_path, schools, staff)
    f = _scenario_file(tmp_path, "[horizon]\nyears = 2\ncoverage_min = 1.0\n")
    out, diag = tmp_path / "out", tmp_path / "diag.json"
    r = CliRunner().invoke(main, ["plan", str(f), "--out", str(out), "--diagnosis", str(diag)])
    assert r.exit_code == 3
    assert not out.exists()
    assert json.loads(diag.read_text(encoding="utf-8"))["conflicts"][0]["rule"] == "coverage_min"


@pytest.mark.parametrize("args", [["--years", "0"], ["--years", "11"]])
def test_plan_bad_years_is_a_usage_error(tmp_path, args):
    """--years out of 1..10: exit 2, nothing written."""
    schools, staff = _cycle(2, 1)
    _district(tmp_path, schools, staff)
    f = _scenario_file(tmp_path, "")
    r = CliRunner().invoke(main, ["plan", str(f), "--out", str(tmp_path / "out"), *args])
    assert r.exit_code == 2 and not (tmp_path / "out").exists()


def test_plan_refuses_a_non_empty_folder(tmp_path):
    """An earlier horizon folder is replaced only with --force (exit 2 without); a folder
    lungang did not write is never replaced."""
    schools, staff = _cycle(2, 1)
    _district(tmp_path, schools, staff)
    f = _scenario_file(tmp_path, "[horizon]\nyears = 2\n")
    out = tmp_path / "out"
    assert CliRunner().invoke(main, ["plan", str(f), "--out", str(out)]).exit_code == 0
    assert CliRunner().invoke(main, ["plan", str(f), "--out", str(out)]).exit_code == 2
    assert CliRunner().invoke(main, ["plan", str(f), "--out", str(out), "--force"]).exit_code == 0
    assert (out / "horizon.json").is_file()
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("x")
    r = CliRunner().invoke(main, ["plan", str(f), "--out", str(foreign), "--force"])
    assert r.exit_code == 2 and (foreign / "keep.txt").is_file()


# ----------------------------------------------------------------------------- [rules]


def _rural_case(tmp_path, rural_km: float, extra: dict, history=None):
    schools = [school("U"), school("R", km=rural_km, locality="rural"), school("V", km=1)]
    staff = [
        person("N0", "U", school_start_date="2022-09-01"),
        person("R0", "R", school_start_date=NEW),
        person("V0", "V", school_start_date=NEW),
    ]
    return _district(tmp_path, schools, staff, extra=extra, history=history)


NEW_HIRE = {"rules": {"new_hire_rural_after_years": 2, "new_hire_rural_min_years": 2}}
RELAXED = {"staffing": {"subject_tolerance": 1}, "commute": {"max_km": 10}}


@pytest.mark.parametrize(("rural_km", "feasible"), [(3, True), (40, False)])
def test_new_hire_rural(tmp_path, rural_km, feasible):
    """N0, hired 3 years ago at an urban school, must go rural (though only 3 years at the
    school); with the rural school out of reach the diagnosis names new_hire_rural."""
    _, d = _rural_case(tmp_path, rural_km, {"hire_date": {"N0": "2022-09-01"}})
    sc = scenario(**NEW_HIRE, **RELAXED)
    e = eligibility(d, sc)
    assert e.at["N0", "eligible"] and not e.at["R0", "eligible"]
    res = solve(d, sc, raise_on_failure=False)
    if feasible:
        assert res.assignments.at["N0", "to_school"] == "R"
        assert validate_plan(d, sc, res.assignments) == []
        stay = res.assignments.copy()
        stay.loc["N0", ["to_school", "moved"]] = ["U", False]
        assert [v.rule for v in validate_plan(d, sc, stay)] == ["new_hire_rural"]
    else:
        assert res.status is SolveStatus.INFEASIBLE
        assert "new_hire_rural" in json.dumps(res.diagnosis)


def test_new_hire_rural_stint_lasts_the_minimum_years(tmp_path):
    """A new hire sent rural under 1-year stints stays new_hire_rural_min_years (2) years."""
    _, d = _rural_case(tmp_path, 3, {"hire_date": {"N0": "2022-09-01"}})
    sc = scenario(**NEW_HIRE, **RELAXED, horizon={"years": 3, "coverage_min": 1.0})
    r = plan_horizon(d, sc)
    assert r.years[0].assignments.at["N0", "to_school"] == "R"
    assert r.states[1].staff.at["N0", "school_id"] == "R"  # still there in year 2
    assert r.states[2].staff.at["N0", "school_id"] == "U"  # back for year 3
    assert validate_horizon(d, sc, [y.assignments for y in r.years]) == []


def test_new_hire_long_ago_or_with_rural_service_is_not_obliged(tmp_path):
    """Hired 12 years ago (no longer a new hire), or with 2 rural years in the history: not obliged."""
    hist = [
        {"staff_id": "N0", "school_id": "R", "start_date": "2020-09-01", "end_date": "2022-09-01"}
    ]
    _, d = _rural_case(tmp_path, 3, {"hire_date": {"N0": "2020-09-01"}}, history=hist)
    assert not eligibility(d, scenario(**NEW_HIRE)).at["N0", "eligible"]
    _, d2 = _rural_case(tmp_path / "b", 3, {"hire_date": {"N0": "2013-09-01"}})
    assert not eligibility(d2, scenario(**NEW_HIRE)).at["N0", "eligible"]


@pytest.mark.parametrize(("rural_km", "feasible"), [(3, True), (40, False)])
def test_title_rural(tmp_path, rural_km, feasible):
    """A title applicant without rural years goes to the rural school (infeasible out of reach)."""
    _, d = _rural_case(tmp_path, rural_km, {"title_applicant": {"N0": "true"}})
    sc = scenario(rules={"title_rural_years": 1}, **RELAXED)
    res = solve(d, sc, raise_on_failure=False)
    if feasible:
        assert res.assignments.at["N0", "to_school"] == "R"
        assert validate_plan(d, sc, res.assignments) == []
    else:
        assert res.status is SolveStatus.INFEASIBLE
        assert "title_rural" in json.dumps(res.diagnosis)


def test_title_weak_years_accept_a_weak_school(tmp_path):
    """With title_weak_years, a weak school fulfils the rule too (Pucheng); the validator agrees."""
    schools = [school("U"), school("W", km=2, tier="weak"), school("R", km=40, locality="rural")]
    staff = [
        person("N0", "U", school_start_date="2022-09-01"),
        person("W0", "W", school_start_date=NEW),
        person("R0", "R", school_start_date=NEW),
    ]
    _, d = _district(tmp_path, schools, staff, extra={"title_applicant": {"N0": "true"}})
    sc = scenario(rules={"title_rural_years": 1, "title_weak_years": 3}, **RELAXED)
    res = solve(d, sc)
    assert res.assignments.at["N0", "to_school"] == "W"
    assert validate_plan(d, sc, res.assignments) == []
    only_rural = scenario(rules={"title_rural_years": 1}, **RELAXED)
    assert [v.rule for v in validate_plan(d, only_rural, res.assignments)] == ["title_rural"]


def test_obligation_may_wait_for_a_later_year_of_the_horizon(tmp_path):
    """Within a horizon the obliged person may go in year 2; left home all years is caught."""
    _, d = _rural_case(tmp_path, 3, {"title_applicant": {"N0": "true"}})
    sc = scenario(rules={"title_rural_years": 1}, horizon={"years": 2}, **RELAXED)
    home = pd.DataFrame(
        {"from_school": ["U"], "to_school": ["U"], "moved": [False]},
        index=pd.Index(["N0"], name="staff_id"),
    )
    go = home.assign(to_school="R", moved=True)
    assert validate_horizon(d, sc, [home, go]) == []
    assert [v.rule for v in validate_horizon(d, sc, [home, home])] == ["title_rural"]


# ----------------------------------------------------------------------------- generator


def test_generated_history_loads_and_a_two_year_plan_on_it_validates(tmp_path):
    """`generate demo --history`: history.csv and the new columns load; a 2-year plan with
    no_return_years 6 on it keeps every rule of each year and across years."""
    from solver.generate import write_generated

    write_generated("demo", tmp_path / "d", seed=0, horizon=True)
    d = load_district(tmp_path / "d", as_of=AS_OF)
    assert len(d.history) > 200 and d.history["staff_id"].isin(d.staff.index).all()
    assert (d.staff["hire_date"] <= d.staff["school_start_date"]).all()
    assert d.staff["title_applicant"].any()
    assert (d.staff.loc[d.staff["title_applicant"], "title"] == "intermediate").all()
    sc = scenario(
        quotas={"teacher_rotation_min": 0.1, "school_outflow_max": 0.34},
        horizon={"years": 2, "no_return_years": 6},
        solver={"work_limit": 5.0, "workers": 1},
    )
    r = plan_horizon(d, sc)
    assert r.status.has_plan
    assert validate_horizon(d, sc, [y.assignments for y in r.years]) == []


# ----------------------------------------------------------------------------- search at scale


def test_staged_plan_reaches_coverage_the_myopic_loop_misses(tmp_path, monkeypatch):
    """The staged plan (year by year, coverage carried forward) reaches coverage_min 1 in
    3 years where the myopic loop misses it; every year and the horizon validate."""
    from solver.search.horizon import plan_staged

    schools, staff = _cycle(3, 3)
    _, d = _district(tmp_path, schools, staff)
    sc = scenario(
        horizon={"years": 3, "coverage_min": 1.0},
        quotas={"teacher_rotation_min": 0.34},
    )
    assert not plan_myopic(d, sc).coverage["reached"]
    staged = plan_staged(d, sc)
    assert staged.status is SolveStatus.FEASIBLE and staged.method == "staged"
    assert staged.coverage["moved"] == 9 and staged.coverage["reached"]
    assert validate_horizon(d, sc, [y.assignments for y in staged.years]) == []
    # written as a horizon folder (what `lungang plan` does when it is the plan)
    import solver.output.pipeline as pipeline
    from solver.progress import Budget, write_estimate

    parts: list[float] = []
    real = pipeline.explain_result

    def explain(*args, budget, **kwargs):
        parts.append(budget.limit_s)
        return real(*args, budget=budget, **kwargs)

    monkeypatch.setattr(pipeline, "explain_result", explain)
    out = pipeline.write_horizon_plan(sc, staged, tmp_path / "out", Budget(30.0))
    # each analysis leaves the writing of all three year folders (written after the last)
    writing = 3 * write_estimate(len(d.staff))
    assert len(parts) == 3 and all(p <= (30.0 - writing) / (3 - y) for y, p in enumerate(parts))
    info = json.loads((out / "horizon.json").read_text(encoding="utf-8"))
    assert info["method"] == "staged" and (out / "plan.xlsx").is_file()
    assert validate_horizon_dir(out, d, sc) == []


def _three_schools_three_years(tmp_path, **solver):
    """Three schools of three teachers (one key), three years, everyone to move."""
    schools, staff = _cycle(3, 3)
    staff[0]["key_level"] = "district"
    _, d = _district(tmp_path, schools, staff)
    sc = scenario(
        horizon={"years": 3, "coverage_min": 1.0},
        quotas={"teacher_rotation_min": 0.34},
        solver=solver,
    )
    return d, sc


def test_a_big_horizon_is_first_searched_within_its_lp_s_moves(tmp_path, monkeypatch):
    """Above GUIDED_MIN_PAIRS the joint model restricted to the moves its LP uses is
    searched first (from the LP's rounding): a plan that reaches coverage, validates, is
    not below the LP bound and, within gap_limit of it, ends the search."""
    import solver.search.horizon as horizon

    d, sc = _three_schools_three_years(tmp_path, gap_limit=0.5)
    monkeypatch.setattr(horizon, "GUIDED_MIN_PAIRS", 0)
    r = plan_horizon(d, sc)
    assert r.method == "joint" and "staged_objective" not in r.stats
    assert r.stats["guided_objective"] >= r.stats["lp_bound"] - 1e-6
    assert r.best_bound == pytest.approx(r.stats["lp_bound"]) and r.bound_source == "lp"
    assert r.objective <= r.best_bound / (1 - 0.5) + 1e-6
    assert r.coverage["moved"] == 9
    assert validate_horizon(d, sc, [y.assignments for y in r.years]) == []


def test_a_big_horizon_is_searched_from_the_staged_plan(tmp_path, monkeypatch):
    """Above STAGED_MIN_PAIRS the joint search starts from the staged plan: its plan is no
    worse than the staged one, reaches coverage and validates; here it proves the optimum."""
    import solver.search.horizon as horizon

    d, sc = _three_schools_three_years(tmp_path)
    alone = plan_horizon(d, sc)
    monkeypatch.setattr(horizon, "STAGED_MIN_PAIRS", 0)
    hinted = plan_horizon(d, sc)
    assert hinted.method == "joint" and "staged_objective" in hinted.stats
    assert hinted.objective <= hinted.stats["staged_objective"] + 1e-9
    assert hinted.status is SolveStatus.OPTIMAL
    assert hinted.objective == pytest.approx(alone.objective)
    assert hinted.coverage["moved"] == 9
    assert validate_horizon(d, sc, [y.assignments for y in hinted.years]) == []


def test_myopic_years_share_the_budget(tmp_path, monkeypatch):
    """plan_myopic gives each year an equal part of the search time the budget has left."""
    import solver.search.horizon as horizon
    from solver.progress import Budget

    schools, staff = _cycle(3, 2)
    _, d = _district(tmp_path, schools, staff)
    sc = scenario(horizon={"years": 2})
    now = [0.0]
    limits = []
    real = horizon.solve

    def spy(district, scen, *args, budget=None, **kw):
        limits.append(round(budget.limit_s, 6))
        now[0] += 10.0  # each year "takes" 10 s on the fake clock
        return real(district, scen, *args, **kw)

    monkeypatch.setattr(horizon, "solve", spy)
    budget = Budget(100.0, clock=lambda: now[0], reserve_s=20.0)
    r = plan_myopic(d, sc, budget=budget)
    assert r.status.has_plan
    assert limits == [40.0, 70.0]  # 80 s of search for 2 years, then 70 s for the last


def test_horizon_budget_keeps_each_years_analysis_and_writing():
    """`lungang plan`'s budget: the whole --time-limit, the search leaving each year folder
    its analysis and writing time."""
    from solver.output.pipeline import horizon_budget
    from solver.progress import finish_reserve

    sc = scenario(solver={"time_limit_s": 90.0})

    class _D:
        staff = range(4000)

    b = horizon_budget(sc, _D(), 3, start=0.0, clock=lambda: 0.0)
    assert b.limit_s == 90.0 and b.reserve_s == pytest.approx(3 * finish_reserve(4000))


# ----------------------------------------------------------------------------- year folders


def _horizon_folder(tmp_path: Path, body: str) -> tuple[Path, Path]:
    """`lungang plan` of 3 schools × 3 teachers over 2 years into tmp_path/out."""
    schools, staff = _cycle(3, 3)
    staff[0]["key_level"] = "district"  # two key teachers at A: the plan spreads them
    staff[1]["key_level"] = "district"
    _district(tmp_path, schools, staff)
    f = _scenario_file(tmp_path, body)
    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["plan", str(f), "--years", "2", "--out", str(out)])
    assert r.exit_code == 0, r.output
    return f, out


def test_explain_a_year_folder_reads_the_district_of_that_year(tmp_path):
    """`lungang explain PLAN/year2` explains year 2 on the district as it stands then: the
    year-1 movers (back home, years at school restarted) are not eligible."""
    _, out = _horizon_folder(tmp_path, "[horizon]\ncoverage_min = 1.0\n")
    info = json.loads((out / "horizon.json").read_text(encoding="utf-8"))
    r = CliRunner().invoke(main, ["explain", str(out / "year2"), "--format", "json"])
    assert r.exit_code == 0, r.output
    ex = json.loads(r.output[r.output.index("{") :])
    a2 = pd.read_csv(out / "year2" / "assignments.csv", dtype=str, keep_default_na=False)
    assert {p["staff_id"] for p in ex["people"]} == set(a2["staff_id"])
    teachers = next(x for x in ex["rules"] if x["rule"] == "teacher_rotation_min")
    eligible2 = info["per_year"][1]["eligible"]
    assert eligible2 < info["per_year"][0]["eligible"]
    assert f"of {eligible2} eligible teachers" in teachers["text"]


def test_explain_a_year_folder_says_which_moves_coverage_scheduled(tmp_path):
    """`lungang explain PLAN/yearN` gives every person coverage counts a `coverage` reason:
    a move in the last year they may move in is "scheduled for coverage"; the years
    and the year of each move agree with the year folders; in Chinese too."""
    _, out = _horizon_folder(tmp_path, "[horizon]\ncoverage_min = 1.0\n")
    moved_in = {}
    for y in (1, 2):
        a = pd.read_csv(out / f"year{y}" / "assignments.csv", dtype=str, keep_default_na=False)
        moved_in.update({s: y for s in a.loc[a["moved"] == "true", "staff_id"]})
    assert set(moved_in.values()) == {1, 2}  # people move in both years
    scheduled = 0
    for y in (1, 2):
        r = CliRunner().invoke(main, ["explain", str(out / f"year{y}"), "--format", "json"])
        assert r.exit_code == 0, r.output
        ex = json.loads(r.output[r.output.index("{") :])
        hz = ex["horizon"]
        assert (hz["year"], hz["years"], hz["coverage_min"]) == (y, 2, 1.0)
        for p in ex["people"]:
            info = hz["people"][p["staff_id"]]
            assert info["moved_year"] == moved_in.get(p["staff_id"])
            assert y in info["movable_years"]  # explained in year y: eligible then
            why = [r["text"] for r in p["reasons"] if r["kind"] == "coverage"]
            if p["moved"] and max(info["movable_years"]) == y:
                assert why == [
                    f"scheduled for coverage: year {y} is the last year of the horizon in "
                    "which they may move (coverage_min 1)"
                ]
                scheduled += 1
            elif p["moved"]:
                years = ", ".join(map(str, info["movable_years"]))
                assert why == [
                    "counted toward the horizon's coverage (coverage_min 1): may move in "
                    f"years {years}, moves in year {y}"
                ]
            else:
                assert why == [
                    f"moves in year {info['moved_year']} of the horizon, counted toward its "
                    "coverage (coverage_min 1)"
                ]
    assert scheduled >= 1
    r = CliRunner().invoke(
        main, ["--lang", "zh", "explain", str(out / "year2"), "--staff", _a_mover(out, 2)]
    )
    assert r.exit_code == 0, r.output
    line = next(x for x in r.output.splitlines() if "[覆盖]" in x)
    assert line.strip() == (
        "- [覆盖] 为达到覆盖率而安排：第 2 学年是其在规划期内最后一个可交流的学年（coverage_min 1）"
    )


def _a_mover(out: Path, year: int) -> str:
    a = pd.read_csv(out / f"year{year}" / "assignments.csv", dtype=str, keep_default_na=False)
    return str(a.loc[a["moved"] == "true", "staff_id"].iloc[0])


def test_indicators_of_a_year_folder_start_from_that_year(tmp_path):
    """Without return_home the year-1 movers stay where they went: `indicators --plan
    PLAN/year2` shows year 2's before-values (as year2/summary.json has them)."""
    f, out = _horizon_folder(tmp_path, "[horizon]\ncoverage_min = 1.0\nreturn_home = false\n")
    summary = json.loads((out / "year2" / "summary.json").read_text(encoding="utf-8"))
    r = CliRunner().invoke(
        main, ["indicators", str(f), "--plan", str(out / "year2"), "--format", "json"]
    )
    assert r.exit_code == 0, r.output
    got = json.loads(r.output[r.output.index("{") :])
    compared = 0
    for side in ("before", "after"):
        for row in got[side]["coefficients"]:
            want = summary["coefficients"][row["indicator"]][row["level"]][side]
            if want is None:  # no school of that level has the indicator
                assert row["cv"] != row["cv"]  # NaN
                continue
            assert row["cv"] == pytest.approx(want, abs=1e-9)
            compared += 1
    assert compared >= 2
    y1 = json.loads((out / "year1" / "summary.json").read_text(encoding="utf-8"))
    key1, key2 = y1["coefficients"]["key_per_100"], summary["coefficients"]["key_per_100"]
    assert key2["primary"]["before"] == pytest.approx(key1["primary"]["after"])
    assert key2["primary"]["before"] < key1["primary"]["before"]


def test_diff_of_two_horizon_plans_is_year_by_year(tmp_path):
    """`lungang diff A B` of two plan folders of `lungang plan` compares each year."""
    import shutil

    _, out = _horizon_folder(tmp_path, "[horizon]\ncoverage_min = 1.0\n")
    other = tmp_path / "other"
    shutil.copytree(out, other)
    a2 = pd.read_csv(other / "year2" / "assignments.csv", dtype=str, keep_default_na=False)
    mover = a2.loc[a2["moved"] == "true", "staff_id"].iloc[0]
    a2.loc[a2["staff_id"] == mover, ["to_school", "moved"]] = [
        a2.loc[a2["staff_id"] == mover, "from_school"].item(),
        "false",
    ]
    a2.to_csv(other / "year2" / "assignments.csv", index=False)
    r = CliRunner().invoke(main, ["diff", str(out), str(other), "--format", "json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert [y["year"] for y in d["years"]] == [1, 2]
    assert d["years"][0]["people"] == []
    assert [p["staff_id"] for p in d["years"][1]["people"]] == [mover]
    text = CliRunner().invoke(main, ["diff", str(out), str(other)])
    assert "== year 1 ==" in text.output and "== year 2 ==" in text.output


def test_paired_exchanges_move_the_people_pinned_to_move(tmp_path):
    """The warm start of paired exchanges moves everyone pinned to move (the staged plan
    holds people that way), even when the quota alone would move others; a person
    without any candidate exchange makes it give no plan."""
    from dataclasses import replace

    from solver.model.rotation import RotationModel
    from solver.search.heuristic import swap_plan, swappable

    schools, staff = _cycle(3, 3)
    _, d = _district(tmp_path, schools, staff)
    sc = scenario(quotas={"teacher_rotation_min": 0.2})
    pinned = ["C2", "A1"]
    pins = pd.DataFrame({"staff_id": pinned, "action": "move", "school_id": ""})
    built = RotationModel(replace(d, pins=pins), sc)
    choice = swap_plan(built)
    movers = set(built.people.index[choice >= 0])
    assert set(pinned) <= movers and len(movers) >= 2
    assert set(pinned) <= set(swappable(built))  # kept among the exchangeable first
    lonely = [school("A"), school("B", km=2), school("Z", km=4)]
    people = [person("A0", "A"), person("B0", "B"), person("Z0", "Z", subject="art")]
    _, d2 = _district(tmp_path / "two", lonely, people)
    pins2 = pd.DataFrame({"staff_id": ["Z0"], "action": "move", "school_id": ""})
    built2 = RotationModel(replace(d2, pins=pins2), sc)
    assert "Z0" not in set(swappable(built2))
    assert swap_plan(built2) is None
