"""Infeasibility diagnosis: for each hard-rule family a scenario that is infeasible only
because of it; the diagnosis names the family, the schools and subjects involved, and a
relaxation of that rule that a solve confirms. Counting checks are sound."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from builders import NEW, make_district, person, random_tiny_district, scenario, school
from click.testing import CliRunner

from solver.cli import main
from solver.errors import InfeasibleError
from solver.rules.precheck import precheck
from solver.search.diagnose import diagnose
from solver.search.solve import solve
from solver.validate import validate_plan

ROOT = Path(__file__).resolve().parents[1]
MUST_MOVE = {"quotas": {"teacher_rotation_min": 1.0}, "staffing": {"subject_tolerance": 1}}


def room(*schools: str) -> list[dict]:
    """An ineligible math teacher at each school, so that each has math posts."""
    return [person(f"{s}_m", s, school_start_date=NEW) for s in schools]


def _infeasible(district, sc) -> dict:
    with pytest.raises(InfeasibleError) as exc:
        solve(district, sc)
    diag = exc.value.diagnosis
    assert str(exc.value).startswith("the rules cannot all hold")
    return diag


def _relaxation(diag: dict, rule: str) -> dict:
    rel = [r for r in diag["relaxations"] if r["rule"] == rule]
    assert rel, (rule, diag["relaxations"])
    return rel[0]


def _apply(sc, key: str, value):
    section, name = key.split(".")
    return sc.model_copy(update={section: getattr(sc, section).model_copy(update={name: value})})


def _confirm(district, sc, rel: dict) -> None:
    """The suggested value makes the rules feasible, and the plan passes the validator."""
    assert rel["suggested"] is not None, rel
    relaxed = _apply(sc, rel["key"], rel["suggested"])
    result = solve(district, relaxed)
    assert validate_plan(district, relaxed, result.assignments) == []


# ----------------------------------------------------------------------------- one case per family


def case_posts_filled(tmp):
    d = make_district(
        [school("A"), school("B", km=3), school("C", km=5)],
        [
            person("PA", "A", role="principal"),
            person("PB", "B", role="principal", school_start_date=NEW),
            person("PC", "C", role="principal", school_start_date=NEW),
        ],
        tmp,
    )
    return d, scenario(quotas={"principal_rotation_min": 1.0})


def case_subject_staffing(tmp):
    """B must have 3 math teachers (A only 1): B has 1, and of A's 3 only 1 lives within max_km of B."""
    staff = [
        person("T1", "A", home_km=2),
        person("T2", "A", home_km=40),
        person("T3", "A", home_km=41),
        person("B_m", "B", school_start_date=NEW),
    ]
    demand = [
        {"school_id": "A", "subject": "math", "required": 1},
        {"school_id": "B", "subject": "math", "required": 3},
    ]
    d = make_district([school("A"), school("B", km=3)], staff, tmp, demand_rows=demand)
    return d, scenario()


def case_teacher_rotation_min(tmp):
    """Every teacher must rotate; two of A's live 40 km from B (max_km 15) and cannot."""
    staff = [person(f"a{i}", "A", home_km=40 if i < 2 else 1) for i in range(4)]
    staff += [person(f"b{i}", "B", home_km=3) for i in range(4)]
    return make_district([school("A"), school("B", km=3)], staff, tmp), scenario(
        quotas={"teacher_rotation_min": 1.0}
    )


def case_key_share(tmp):
    staff = [
        person("K1", "A", key_level="district", school_start_date=NEW),
        person("O1", "A"),
        *room("B"),
    ]
    d = make_district([school("A"), school("B", km=3)], staff, tmp)
    return d, scenario(
        quotas={"teacher_rotation_min": 0.5, "key_share_of_rotated_min": 0.5},
        staffing={"subject_tolerance": 1},
    )


def case_principal_rotation_min(tmp):
    d = make_district(
        [school("A"), school("B", km=3)],
        [
            person("PA", "A", role="principal"),
            person("PB", "B", role="principal", school_start_date=NEW),
        ],
        tmp,
    )
    return d, scenario(quotas={"principal_rotation_min": 0.5})


def case_school_outflow_max(tmp):
    a = [person(f"a{i}", "A", home_km=2.9) for i in range(4)]
    b = [person(f"b{i}", "B", home_km=3, school_start_date=NEW) for i in range(4)]
    d = make_district([school("A"), school("B", km=3)], a + b, tmp)
    return d, scenario(
        quotas={"teacher_rotation_min": 0.5, "school_outflow_max": 0.25},
        staffing={"subject_tolerance": 2},
    )


def case_urban_to_rural(tmp):
    d = make_district(
        [school("A"), school("B", km=2, locality="town")], [person("T", "A"), *room("B")], tmp
    )
    return d, scenario(**MUST_MOVE, flow={"urban_to_rural_min": 1.0})


def case_rural_to_urban(tmp):
    d = make_district(
        [school("A", locality="rural"), school("B", km=2, locality="rural")],
        [person("T", "A"), *room("B")],
        tmp,
    )
    return d, scenario(**MUST_MOVE, flow={"rural_to_urban_min": 1.0})


def case_max_cv(tmp):
    keys = [person(f"K{i}", "A", key_level="district", school_start_date=NEW) for i in range(3)]
    d = make_district(
        [school("A"), school("B", km=2), school("C", km=4)], keys + room("B", "C"), tmp
    )
    return d, scenario(balance={"max_cv": 0.5})


def case_min_per_100(tmp):
    """B is 30 km away: no key teacher may go there, so it stays below the floor."""
    staff = [
        person("K1", "A", key_level="district"),
        person("K2", "A", key_level="district"),
        person("KB", "B", key_level="district", school_start_date=NEW),
        *room("C"),
    ]
    d = make_district(
        [school("A"), school("B", km=30), school("C", km=2, students=1000)], staff, tmp
    )
    return d, scenario(balance={"min_per_100": 0.2}, staffing={"subject_tolerance": 2})


def case_pin(tmp):
    staff = [person("T1", "A"), person("X", "A", exempt_reason="illness"), *room("B")]
    d = make_district(
        [school("A"), school("B", km=2)],
        staff,
        tmp,
        pins_rows=[{"staff_id": "X", "action": "move"}],
    )
    return d, scenario(staffing={"subject_tolerance": 2})


def case_same_level(tmp):
    d = make_district(
        [school("A"), school("B", km=2, level="junior")], [person("T", "A"), *room("B")], tmp
    )
    return d, scenario(**MUST_MOVE)


def case_scope(tmp):
    d = make_district(
        [school("A", group="G1"), school("B", km=2, zone="Z2", group="G1")],
        [person("T", "A"), *room("B")],
        tmp,
    )
    return d, scenario(**MUST_MOVE, scope={"teachers": "within_zone"})


def case_commute(tmp):
    d = make_district(
        [school("A"), school("C", km=20)], [person("T", "A", home_km=0), *room("C")], tmp
    )
    return d, scenario(**MUST_MOVE, commute={"max_km": 10.0})


#: family -> (case, schools the diagnosis must name, subjects it must name, relaxation to confirm)
FAMILIES = {
    "posts_filled": (case_posts_filled, {"A", "B", "C"}, set(), "principal_rotation_min"),
    "subject_staffing": (case_subject_staffing, {"B"}, {"math"}, "subject_staffing"),
    "teacher_rotation_min": (case_teacher_rotation_min, {"A"}, set(), "teacher_rotation_min"),
    "key_share_of_rotated_min": (case_key_share, set(), set(), "key_share_of_rotated_min"),
    "principal_rotation_min": (
        case_principal_rotation_min,
        {"A", "B"},
        set(),
        "principal_rotation_min",
    ),
    "school_outflow_max": (case_school_outflow_max, {"A"}, set(), "school_outflow_max"),
    "urban_to_rural_min": (case_urban_to_rural, set(), set(), "urban_to_rural_min"),
    "rural_to_urban_min": (case_rural_to_urban, set(), set(), "rural_to_urban_min"),
    "max_cv": (case_max_cv, set(), set(), "max_cv"),
    "min_per_100": (case_min_per_100, {"B"}, set(), "min_per_100"),
    "pin": (case_pin, {"A"}, set(), None),
    "same_level": (case_same_level, {"A"}, set(), "same_level"),
    "scope": (case_scope, {"A"}, set(), "scope"),
    "commute": (case_commute, {"A"}, set(), "commute"),
}


@pytest.mark.parametrize("family", list(FAMILIES))
def test_each_family_is_named_with_its_schools_subjects_and_a_relaxation(tmp_path, family):
    """The diagnosis names the family and where it binds; relaxing that family (by the
    suggested value) makes the rules feasible, so the case is infeasible because of it."""
    case, schools, subjects, relax = FAMILIES[family]
    d, sc = case(tmp_path)
    diag = _infeasible(d, sc)
    assert family in diag["rules"], diag
    assert schools <= set(diag["schools"]), (diag["schools"], diag)
    assert subjects <= set(diag["subjects"]), (diag["subjects"], diag)
    if relax is not None:
        rel = _relaxation(diag, relax)
        if (
            rel["key"]
            in (
                "scope.same_level",
                "scope.teachers",
                "scope.principals",
                "commute.max_km",
                "staffing.subject_tolerance",
            )
            or rel["key"].startswith("quotas")
            or rel["key"].startswith("flow")
            or rel["key"].startswith("balance")
        ):
            _confirm(d, sc, rel)


def test_subject_staffing_text_is_in_the_planners_terms(tmp_path):
    """'school B must have at least 3 math teachers ... only 1 ... may go there ... max_km'."""
    d, sc = case_subject_staffing(tmp_path)
    diag = _infeasible(d, sc)
    assert diag["method"] == "counting"
    texts = {f["schools"][0]: f["text"] for f in diag["findings"]}
    assert "school B must have at least 3 math teacher(s) (demand 3 ± 0) but has 1" in texts["B"]
    assert (
        "only 1 eligible math teacher(s) from other schools may go there, 2 more are kept away by max_km 15"
        in texts["B"]
    )
    assert "school A may have at most 1 math teacher(s)" in texts["A"]
    assert "commute" in diag["rules"] and diag["subjects"] == ["math"]
    # the commute limit that would suffice: B is 3 km north, T2 lives 40 km north (T3 may stay)
    rel = _relaxation(diag, "commute")
    assert rel["suggested"] == pytest.approx(37.0, abs=0.11)


def test_quota_text_names_the_bound_and_what_holds_it_down(tmp_path):
    """'needs 8 of 8 ... at most 4 can', naming the commute limit, and the largest feasible share."""
    d, sc = case_teacher_rotation_min(tmp_path)
    diag = _infeasible(d, sc)
    text = diag["findings"][0]["text"]
    assert "needs 8 of 8 eligible teachers to move; at most 4 can" in text
    assert "max_km 15: 2" in text and "commute" in diag["rules"]
    rel = _relaxation(diag, "teacher_rotation_min")
    assert rel["suggested"] == pytest.approx(0.5)  # 4 of 8
    assert "4 of 8" in rel["text"]


def test_max_cv_relaxation_is_the_smallest_feasible_cap(tmp_path):
    """The three key teachers cannot move: the coefficient stays at sqrt(2); the cap suggested is just above."""
    d, sc = case_max_cv(tmp_path)
    diag = _infeasible(d, sc)
    assert diag["method"] == "core" and diag["minimal"]
    rel = _relaxation(diag, "max_cv")
    assert rel["suggested"] == pytest.approx(1.42)


def test_core_is_minimal_and_names_instances(tmp_path):
    """A flow conflict found by the solver's core: each instance named, shrunk to minimal."""
    d, sc = case_urban_to_rural(tmp_path)
    diag = _infeasible(d, sc)
    assert diag["method"] == "core" and diag["minimal"]
    assert {c["rule"] for c in diag["conflict"]} == {"teacher_rotation_min", "urban_to_rural_min"}
    assert any("0 in the district" in c["text"] for c in diag["conflict"])


def test_pin_breaking_a_rule_is_named_as_such(tmp_path):
    """A pin moving an exempt person names the pin and why the person may not move."""
    d, sc = case_pin(tmp_path)
    diag = _infeasible(d, sc)
    assert diag["rules"] == ["pin"] and diag["staff"] == ["X"]
    assert (
        "not eligible" in diag["findings"][0]["text"] and "illness" in diag["findings"][0]["text"]
    )
    assert _relaxation(diag, "pin")["suggested"] == "drop the pin of X"


def test_diagnose_without_relaxations_is_quick(tmp_path):
    d, sc = case_commute(tmp_path)
    msg, diag = diagnose(d, sc, relax=False)
    assert diag["relaxations"] == [] and "commute" in diag["rules"] and "max_km 10" in msg


# ----------------------------------------------------------------------------- soundness


def test_counting_checks_are_sound(tmp_path):
    """Whenever a counting check fails, no plan exists: on 24 random tiny districts and
    rules, judged against every plan by the validator's rules (the brute force of
    test_bruteforce, which shares no code with the model or the precheck's masks)."""
    import numpy as np
    from test_bruteforce import brute_force, instance

    fired = feasible_cases = 0
    for seed in range(24):
        rng = np.random.default_rng(seed)
        d = random_tiny_district(seed, tmp_path / str(seed))
        sc = scenario(
            quotas={
                "teacher_rotation_min": float(rng.choice([0.0, 0.3, 0.6, 1.0])),
                "key_share_of_rotated_min": float(rng.choice([0.0, 0.3, 0.5])),
                "principal_rotation_min": float(rng.choice([0.0, 0.5, 1.0])),
                "school_outflow_max": float(rng.choice([0.2, 0.4, 1.0])),
                "key_share_basis": str(rng.choice(["rotated", "eligible_key"])),
            },
            staffing={"subject_tolerance": int(rng.integers(0, 3))},
            commute={"max_km": float(rng.choice([3.0, 8.0, 30.0]))},
            scope={"teachers": str(rng.choice(["district", "cross_zone", "within_zone"]))},
            balance={"min_per_100": float(rng.choice([0.0, 0.1, 0.3]))}
            if rng.random() < 0.4
            else {},
        )
        findings = precheck(d, sc)
        best, plan = brute_force(instance(d, sc), rng)
        assert not (findings and plan is not None), (seed, [f.text for f in findings], plan)
        fired += bool(findings)
        feasible_cases += plan is not None
    # Both kinds of case occur: the checks fire, and some cases have a plan.
    assert fired >= 12 and feasible_cases >= 3, (fired, feasible_cases)


# ----------------------------------------------------------------------------- command line


def test_cli_infeasible_demo_writes_diagnosis_json_only_when_asked(tmp_path):
    """Exit 3, the diagnosis on stderr, diagnosis.json at the path given, no plan folder."""
    text = (ROOT / "scenarios" / "demo.toml").read_text(encoding="utf-8")
    text = text.replace('data = "../data/demo"', f'data = "{(ROOT / "data" / "demo").as_posix()}"')
    text = text.replace("teacher_rotation_min = 0.10", "teacher_rotation_min = 0.9")
    f = tmp_path / "s.toml"
    f.write_text(text, encoding="utf-8")
    out, diag_file = tmp_path / "plan", tmp_path / "diag" / "diagnosis.json"
    r = CliRunner().invoke(
        main,
        ["solve", str(f), "--out", str(out), "--diagnosis", str(diag_file)],
        catch_exceptions=False,
    )
    assert r.exit_code == 3, r.output
    assert "needs 138 of 153 eligible teachers to move" in r.output
    assert "school_outflow_max" in r.output and "is feasible" in r.output
    assert not out.exists()
    diag = json.loads(diag_file.read_text(encoding="utf-8"))
    assert {"teacher_rotation_min", "school_outflow_max"} <= set(diag["rules"])
    assert len(diag["schools"]) == 12
    rel = {r["rule"]: r for r in diag["relaxations"]}
    assert (
        rel["teacher_rotation_min"]["suggested"] < 0.9
        and rel["school_outflow_max"]["suggested"] > 0.15
    )
    assert [p.name for p in diag_file.parent.iterdir()] == ["diagnosis.json"]  # no temporary left
