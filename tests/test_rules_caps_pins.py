"""Rule cases that must be tight to tell a rule from a near miss: the ``max_cv`` cap at
its exact boundary and a hair below it, the capped level's mean at one unit of the
model's resolution, every pin action in the conflict core of the diagnosis model
(whether or not a counting check proves the case first), and the single ``same_level``
rule instance of a diagnosis; the mean rule and ``min_per_100`` also with counts in tenths
of a teacher (part-time service on).

Each infeasible case checks the conflict core of the diagnosis model exactly: the rule
instances, the person, indicator and level they name."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from builders import NEW, OLD, make_district, person, scenario, school
from test_rules import FEW_MOVES, diagnosis_rules, movers, must_move, room, solved

from solver.errors import InfeasibleError
from solver.plan.plan import Plan
from solver.rules.indicators import difference_coefficient, school_indicators
from solver.search.diagnose import _core
from solver.search.solve import solve
from solver.validate import validate_plan


def core_items(district, sc) -> list[tuple]:
    """The diagnosis model's minimal conflict core as sorted tuples of what each rule
    instance names (rule, then staff, school, indicator and level where present)."""
    core, found, minimal = _core(district, sc, None, 60)
    assert found and minimal
    return sorted(
        tuple(c[k] for k in ("rule", "staff_id", "school", "indicator", "level") if k in c)
        for c in core
    )


# ----------------------------------------------------------------------------- max_cv


def _four_keys(tmp_path, eligible: int = 4):
    """Two primary schools of 500 students; four key teachers at A (the first
    ``eligible`` of them may move), none at B. Key teachers per 100 students are
    (0.8, 0): mean 0.4, difference coefficient 1.0. One key teacher to B gives (0.6, 0.2),
    coefficient exactly 0.2 / 0.4 = 0.5; two give (0.4, 0.4), coefficient 0."""
    keys = [
        person(
            f"K{i}",
            "A",
            key_level="district",
            school_start_date=OLD if i <= eligible else NEW,
        )
        for i in range(1, 5)
    ]
    return make_district([school("A"), school("B", km=2)], [*keys, *room("B")], tmp_path)


def _capped(cap: float):
    return scenario(
        balance={"max_cv": cap, "indicator": "key_per_100"},
        staffing={"subject_tolerance": 3},
        weights=FEW_MOVES,
    )


def _cv_after(district, result) -> float:
    values = school_indicators(district, Plan.of(district, result.assignments).school_of)
    return difference_coefficient(district.schools["primary_students"], values["key_per_100"])


def _cv_by_hand(keys_at_a: int, keys_at_b: int) -> float:
    """The coefficient of two schools of equal size (weights ½, ½), from head counts."""
    x = (100 * keys_at_a / 500, 100 * keys_at_b / 500)
    mean = (x[0] + x[1]) / 2
    return math.sqrt(((x[0] - mean) ** 2 + (x[1] - mean) ** 2) / 2) / mean


@pytest.mark.parametrize(("cap", "n_moved"), [(0.5, 1), (0.499, 2), (1.0, 0)])
def test_max_cv_binds_at_its_exact_value(tmp_path, cap, n_moved):
    """Fewest moves under the cap: at 0.5 one move reaches a coefficient of exactly 0.5,
    which the cap allows ("at most"); a cap a hair below it takes a second move; the
    coefficient before (1.0) needs none."""
    d = _four_keys(tmp_path)
    r = solved(d, _capped(cap))
    assert len(movers(r)) == n_moved
    assert set(movers(r)["to_school"]) <= {"B"}
    assert _cv_after(d, r) == pytest.approx(_cv_by_hand(4 - n_moved, n_moved), abs=1e-12)
    assert _cv_by_hand(3, 1) == pytest.approx(0.5, abs=1e-12)


def test_max_cv_a_hair_below_the_best_is_infeasible(tmp_path):
    """Only one key teacher may move: the best coefficient is 0.5, so a cap of 0.5 holds
    (K1 goes to B) and a cap of 0.499 cannot, and the diagnosis names that cap."""
    d = _four_keys(tmp_path, eligible=1)
    r = solved(d, _capped(0.5))
    assert list(movers(r).index) == ["K1"] and _cv_after(d, r) == pytest.approx(0.5, abs=1e-12)
    assert diagnosis_rules(d, _capped(0.499)) == ["max_cv"]
    assert core_items(d, _capped(0.499)) == [("max_cv", "key_per_100", "primary")]
    core, _, _ = _core(d, _capped(0.499), None, 60)
    assert core[0]["text"] == (
        "max_cv 0.499 caps the difference coefficient of key_per_100 in primary schools (now 1.000)"
    )


def _one_key_to_a_big_school(tmp_path, junior_students: int):
    """Key teacher K at A (3,000 primary students) must move, and the only school is N
    (30,000 primary students; nine-year when ``junior_students`` > 0, with that many
    junior students on top). Before: primary mean 100/33,000 per 100 students."""
    level = "nine_year" if junior_students else "primary"
    schools = [
        school("A", students=3000),
        school(
            "N",
            km=2,
            level=level,
            students=30000 + junior_students,
            junior_students=junior_students if junior_students else "",
        ),
    ]
    return make_district(schools, [person("K", "A", key_level="district"), *room("N")], tmp_path)


def test_max_cv_mean_kept_when_a_move_keeps_it(tmp_path):
    """To a primary school, K's move keeps the primary mean (100/33,000 per 100) and
    brings the coefficient from 3.162 to 0.316: allowed under a cap of 0.5."""
    d = _one_key_to_a_big_school(tmp_path, junior_students=0)
    sc = scenario(**must_move(balance={"max_cv": 0.5, "indicator": "key_per_100"}))
    r = solved(d, sc)
    assert r.assignments.at["K", "to_school"] == "N"
    # weights 1/11 and 10/11, values (0, 1/300): cv = sqrt((1/11)/(10/11)) = sqrt(0.1)
    assert _cv_after(d, r) == pytest.approx(math.sqrt(0.1), abs=1e-9)


def test_max_cv_mean_may_not_fall_even_by_a_hair(tmp_path):
    """With one junior student at N, K counts there for 30,000 of 30,001 students: the
    primary mean falls by 1/30,001 of itself (one unit of the model's resolution). The
    coefficient after (0.316) is under the cap, so the validator accepts the move; but
    with a cap a level's mean may not fall (the documented levelling-up rule), so the
    model has no plan: the cap alone (K staying leaves 3.162) is the conflict, once, both
    its parts under one rule instance."""
    d = _one_key_to_a_big_school(tmp_path, junior_students=1)
    sc = scenario(**must_move(balance={"max_cv": 0.5, "indicator": "key_per_100"}))
    move = pd.DataFrame({"from_school": ["A"], "to_school": ["N"], "moved": [True]}, index=["K"])
    assert validate_plan(d, sc, move) == []
    assert diagnosis_rules(d, sc) == ["max_cv"]
    assert core_items(d, sc) == [("max_cv", "key_per_100", "primary")]


# ----------------------------------------------------------------------------- pins


def _staff_pins(tmp_path, staff, pins, schools=None):
    schools = schools or [school("A"), school("B", km=2)]
    return make_district(schools, staff, tmp_path, pins_rows=pins)


#: A pin of someone not eligible comes first, so that every later pin is still read.
NOT_ELIGIBLE_FIRST = {"staff_id": "NE", "action": "stay", "school_id": ""}


@pytest.mark.parametrize(("action", "school_id"), [("stay", ""), ("to", "A")])
def test_pin_keeping_someone_home_in_a_conflict(tmp_path, action, school_id):
    """Everyone eligible must move, and a pin keeps T1 at A (``stay``, or ``to`` T1's own
    school): the model has no plan, and the conflict is that pin and the quota."""
    staff = [person("T1", "A"), person("NE", "A", school_start_date=NEW), *room("B")]
    pins = [NOT_ELIGIBLE_FIRST, {"staff_id": "T1", "action": action, "school_id": school_id}]
    d = _staff_pins(tmp_path, staff, pins)
    sc = scenario(quotas={"teacher_rotation_min": 1.0}, staffing={"subject_tolerance": 1})
    assert sorted(diagnosis_rules(d, sc)) == ["pin", "teacher_rotation_min"]
    assert core_items(d, sc) == [("pin", "T1"), ("teacher_rotation_min",)]


def test_pin_move_in_a_conflict(tmp_path):
    """A pin moves principal PA, but B's principal may not move: no post is free for PA.
    The conflict is that pin and one school's principal posts."""
    staff = [
        person("PA", "A", role="principal"),
        person("PB", "B", role="principal", school_start_date=NEW),
        person("NE", "A", school_start_date=NEW),
    ]
    pins = [NOT_ELIGIBLE_FIRST, {"staff_id": "PA", "action": "move", "school_id": ""}]
    d = _staff_pins(tmp_path, staff, pins)
    assert sorted(diagnosis_rules(d, scenario())) == ["pin", "posts_filled"]
    pin, posts = core_items(d, scenario())
    # either school's posts make the conflict minimal (PA leaves A, or PA joins B)
    assert pin == ("pin", "PA") and posts in {("posts_filled", "A"), ("posts_filled", "B")}


def test_pin_after_a_pin_of_someone_not_eligible_still_holds(tmp_path):
    """The pin of NE (not eligible: no constraint) comes first; T1's ``move`` pin after it
    still holds although commute alone would keep everyone home."""
    staff = [person("T1", "A"), person("NE", "A", school_start_date=NEW), *room("B")]
    pins = [NOT_ELIGIBLE_FIRST, {"staff_id": "T1", "action": "move", "school_id": ""}]
    d = _staff_pins(tmp_path, staff, pins)
    r = solved(
        d, scenario(staffing={"subject_tolerance": 1}, weights={"balance": 0.0, "commute": 1.0})
    )
    assert list(movers(r).index) == ["T1"] and movers(r).at["T1", "to_school"] == "B"


# ----------------------------------------------------------------------------- same_level


def test_same_level_is_one_rule_instance_in_a_diagnosis(tmp_path):
    """A primary teacher who must move has only two junior schools to go to: the conflict
    is the quota and same_level, once (the rule is one switch, not one per school)."""
    d = make_district(
        [school("A"), school("B", km=2, level="junior"), school("C", km=4, level="junior")],
        [person("T", "A"), *room("B", "C")],
        tmp_path,
    )
    sc = scenario(**must_move())
    with pytest.raises(InfeasibleError):
        solve(d, sc)
    assert sorted(diagnosis_rules(d, sc)) == ["same_level", "teacher_rotation_min"]
    assert core_items(d, sc) == [("same_level",), ("teacher_rotation_min",)]


# ----------------------------------------------------------------------------- in tenths

#: Part-time service on: with a PE teacher who could serve another school, the model
#: counts indicators in tenths of a teacher (the caps must scale with it).
PART_TIME = {"forms": {"part_time": True}}


def test_max_cv_mean_may_not_fall_in_tenths(tmp_path):
    """The case above with counts in tenths: the mean rule still refuses K's move."""
    d = make_district(
        [
            school("A", students=3000),
            school("N", km=2, level="nine_year", students=30001, junior_students=1),
        ],
        [
            person("K", "A", key_level="district"),
            *room("N"),
            person("PE", "N", subject="pe", school_start_date=NEW),
        ],
        tmp_path,
    )
    sc = scenario(**must_move(balance={"max_cv": 0.5, "indicator": "key_per_100"}, **PART_TIME))
    assert diagnosis_rules(d, sc) == ["max_cv"]
    assert core_items(d, sc) == [("max_cv", "key_per_100", "primary")]


def _min_per_100_in_tenths(tmp_path, keys_at_a: int):
    d = make_district(
        [school("A"), school("B", km=2)],
        [
            *(person(f"K{i}", "A", key_level="district") for i in range(keys_at_a)),
            *room("B"),
            person("PE", "B", subject="pe", school_start_date=NEW),
        ],
        tmp_path,
    )
    sc = scenario(
        balance={"min_per_100": 0.4},
        staffing={"subject_tolerance": 2},
        weights=FEW_MOVES,
        **PART_TIME,
    )
    return d, sc


def test_min_per_100_in_tenths_feasible(tmp_path):
    """A floor of 0.4 key teachers per 100 students (two per school of 500), counts in
    tenths (20 per school): of four key teachers at A, two go to B."""
    r = solved(*_min_per_100_in_tenths(tmp_path, 4))
    assert len(movers(r)) == 2 and movers(r)["to_school"].tolist() == ["B", "B"]


def test_min_per_100_in_tenths_infeasible(tmp_path):
    """Three key teachers cannot give both schools two, counts in tenths."""
    assert diagnosis_rules(*_min_per_100_in_tenths(tmp_path, 3)) == ["min_per_100"]
