"""The plan validator (solver.validate) on hand-written plans, good and bad."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import pandas as pd
import pytest
from builders import NEAR, NEW, make_district, person, scenario, school

from solver.input.geo import haversine_km
from solver.output.plan_folder import write_plan
from solver.plan.plan import Plan
from solver.rules.eligibility import eligibility
from solver.rules.indicators import difference_coefficient, school_indicators
from solver.search.solve import solve
from solver.validate import RULES, Violation, summarize, validate_plan, validate_plan_dir

# A: primary urban Z1 G1 | B: primary rural Z2 G1 | C: junior town Z1 (no group) | N: nine-year rural Z2 G2, far away
SCHOOLS = [
    school("A", km=0, locality="urban", zone="Z1", group="G1"),
    school("B", km=5, locality="rural", zone="Z2", group="G1"),
    school("C", km=8, level="junior", locality="town", zone="Z1"),
    school(
        "N",
        km=30,
        level="nine_year",
        locality="rural",
        zone="Z2",
        group="G2",
        students=800,
        junior_students=400,
    ),
]
STAFF = [
    person("PA", "A", role="principal"),
    person("VA", "A", role="vice_principal"),
    person("PB", "B", role="principal"),
    person("PC", "C", role="principal"),
    person("PN", "N", role="principal", school_start_date=NEW),
    person("A1", "A", key_level="district"),
    person("A2", "A", home_km=0),
    person("A3", "A", subject="chinese"),
    person("A4", "A", subject="pe", school_start_date=NEW),
    person("B1", "B"),
    person("B2", "B", subject="chinese", key_level="municipal"),
    person("B3", "B", exempt_reason="nursing"),
    person("C1", "C"),
    person("C2", "C", subject="chinese", retirement_date=NEAR),
    person("N1", "N"),
    person("N2", "N", subject="music"),
]
ELIGIBLE = ["PA", "VA", "PB", "PC", "A1", "A2", "A3", "B1", "B2", "C1", "N1", "N2"]
#: A scenario under which moves are judged only by the rule a test turns on.
LOOSE = {
    "staffing": {"subject_tolerance": 9},
    "scope": {"same_level": False},
    "commute": {"max_km": 100.0},
}


@pytest.fixture(scope="module")
def district(tmp_path_factory):
    return make_district(SCHOOLS, STAFF, tmp_path_factory.mktemp("validate"))


def loose(**over) -> object:
    """The LOOSE scenario with some sections changed."""
    raw = {k: dict(v) for k, v in LOOSE.items()}
    for k, v in over.items():
        raw.setdefault(k, {}).update(v)
    return scenario(**raw)


def plan(district, moves: dict[str, str] | None = None, sc=None) -> pd.DataFrame:
    """Assignments for every eligible person: stay, or go where ``moves`` says."""
    elig = eligibility(district, sc or scenario())
    ids = elig.index[elig["eligible"]]
    frm = district.staff.loc[ids, "school_id"]
    to = pd.Series([(moves or {}).get(i, frm[i]) for i in ids], index=ids)
    return pd.DataFrame({"from_school": frm, "to_school": to, "moved": to != frm}, index=ids)


def rules(violations: list[Violation]) -> set[str]:
    return {v.rule for v in violations}


def only(violations: list[Violation], rule: str) -> list[Violation]:
    return [v for v in violations if v.rule == rule]


def test_fixture_eligibility(district):
    """The fixture's eligible people are the ones the tests assume."""
    elig = eligibility(district, scenario())
    assert list(elig.index[elig["eligible"]]) == ELIGIBLE


def test_everyone_stays_is_valid(district):
    """A plan in which nobody moves keeps every rule of the permissive scenario."""
    assert validate_plan(district, scenario(), plan(district)) == []


# ----------------------------------------------------------------- eligible_rows


def test_missing_row(district):
    """An eligible person without a row is reported by name."""
    v = validate_plan(district, scenario(), plan(district).drop(index="A2"))
    assert [(x.rule, x.staff) for x in v] == [("eligible_rows", ("A2",))]


def test_row_for_ineligible_person(district):
    """A row for a person who is not eligible (too new) is reported, with the reason."""
    a = pd.concat(
        [
            plan(district),
            pd.DataFrame(
                {"from_school": ["A"], "to_school": ["A"], "moved": [False]}, index=["A4"]
            ),
        ]
    )
    v = only(validate_plan(district, scenario(), a), "eligible_rows")
    assert [x.staff for x in v] == [("A4",)] and "years at school" in v[0].message


@pytest.mark.parametrize("who", ["A4", "B3", "C2"])
def test_ineligible_person_moved(district, who):
    """Moving a too-new, exempt or near-retirement person is caught."""
    home = district.staff.at[who, "school_id"]
    a = pd.concat(
        [
            plan(district),
            pd.DataFrame({"from_school": [home], "to_school": ["N"], "moved": [True]}, index=[who]),
        ]
    )
    v = only(validate_plan(district, loose(), a), "eligible_rows")
    assert [x.staff for x in v] == [(who,)]


def test_duplicate_and_unknown_rows(district):
    """A second row for a person and a row for someone not in the district are caught."""
    a = plan(district)
    extra = pd.DataFrame(
        {"from_school": ["A", "A"], "to_school": ["A", "A"], "moved": [False, False]},
        index=["A2", "ZZ9"],
    )
    v = validate_plan(district, scenario(), pd.concat([a, extra]))
    assert sorted(x.staff for x in v) == [("A2",), ("ZZ9",)] and rules(v) == {"eligible_rows"}


def test_wrong_from_school(district):
    """from_school must be the person's current school."""
    a = plan(district)
    a.loc["B1", "from_school"] = "A"
    a.loc["B1", "moved"] = True
    v = validate_plan(district, scenario(), a)
    assert [(x.rule, x.staff, x.schools) for x in v] == [("eligible_rows", ("B1",), ("B", "A"))]


def test_moved_flag_must_match(district):
    """moved is true exactly when to_school differs from from_school."""
    a = plan(district)
    a.loc["A2", "moved"] = True
    v = validate_plan(district, scenario(), a)
    assert [(x.rule, x.staff) for x in v] == [("eligible_rows", ("A2",))]


def test_unknown_to_school(district):
    """A destination that is not a school of the district is caught."""
    a = plan(district, {"A2": "Q"})
    v = validate_plan(district, scenario(), a)
    assert [(x.rule, x.staff, x.schools) for x in v] == [("eligible_rows", ("A2",), ("Q",))]


def test_moved_as_text(district):
    """A moved column read as text ("true"/"false") is understood."""
    a = plan(district, {"PA": "B", "PB": "A"})
    a["moved"] = a["moved"].map({True: "true", False: "false"})
    assert validate_plan(district, scenario(), a) == []


# ----------------------------------------------------------------- posts and subjects


def test_posts_filled_single_move(district):
    """A principal who leaves without a replacement empties one post and doubles another."""
    v = validate_plan(district, scenario(), plan(district, {"PA": "B"}))
    assert [(x.rule, x.staff, x.schools) for x in v] == [
        ("posts_filled", ("PA",), ("A",)),
        ("posts_filled", ("PA",), ("B",)),
    ]


def test_posts_filled_swap_ok(district):
    """Two principals who swap keep every post filled."""
    assert validate_plan(district, scenario(), plan(district, {"PA": "B", "PB": "A"})) == []


def test_vice_principal_is_not_a_principal(district):
    """A vice principal cannot fill a principal's post."""
    v = validate_plan(district, scenario(), plan(district, {"PA": "B", "PB": "A", "VA": "B"}))
    assert rules(v) == {"posts_filled"} and {x.schools for x in v} == {("A",), ("B",)}
    assert all("vice principal" in x.message for x in v)


def test_posts_filled_vice_principals(tmp_path):
    """Vice principal posts are checked like principal posts: a vice principal who leaves
    empties a post and doubles another; two who swap keep every post filled."""
    d = make_district(
        [school("A"), school("B", km=2), school("C", km=4)],
        [
            person("VA", "A", role="vice_principal"),
            person("VB", "B", role="vice_principal"),
            person("PC", "C", role="principal"),
        ],
        tmp_path,
    )
    v = validate_plan(d, scenario(), plan(d, {"VA": "B"}))
    assert [(x.rule, x.staff, x.schools) for x in v] == [
        ("posts_filled", ("VA",), ("A",)),
        ("posts_filled", ("VA",), ("B",)),
    ]
    assert "has 0 vice principal(s) after the plan, 1 before" in v[0].message
    assert "has 2 vice principal(s) after the plan, 1 before" in v[1].message
    # a vice principal into a school that has only a principal post
    v = validate_plan(d, scenario(), plan(d, {"VA": "C", "VB": "A"}))
    assert [(x.rule, x.staff, x.schools) for x in v] == [
        ("posts_filled", ("VB",), ("B",)),
        ("posts_filled", ("VA",), ("C",)),
    ]
    assert validate_plan(d, scenario(), plan(d, {"VA": "B", "VB": "A"})) == []


def test_subject_staffing_over_staffing(district, tmp_path):
    """A school that ends above demand + tolerance is caught, alone: C1 leaves C (demand 0
    there) for B, which wants two math teachers and has them (B1, and B3 who is exempt)."""
    d = make_district(
        SCHOOLS,
        STAFF,
        tmp_path,
        demand_rows=[
            {"school_id": "B", "subject": "math", "required": 2},
            {"school_id": "C", "subject": "math", "required": 0},
        ],
    )
    a = plan(d, {"C1": "B"})
    any_level = {"scope": {"same_level": False}}
    v = validate_plan(d, scenario(**any_level), a)
    assert [(x.rule, x.staff, x.schools) for x in v] == [("subject_staffing", ("C1",), ("B",))]
    assert "school B has 3 math teacher(s) after the plan (before 2), demand 2 ± 0" in v[0].message
    assert validate_plan(d, scenario(**any_level, staffing={"subject_tolerance": 1}), a) == []


def test_subject_staffing_tolerance(district):
    """One math teacher moving breaks tolerance 0 at both schools and keeps tolerance 1."""
    a = plan(district, {"A2": "B"})
    v = validate_plan(district, scenario(), a)
    assert [(x.rule, x.staff, x.schools) for x in v] == [
        ("subject_staffing", ("A2",), ("A",)),
        ("subject_staffing", ("A2",), ("B",)),
    ]
    assert validate_plan(district, scenario(staffing={"subject_tolerance": 1}), a) == []


def test_subject_swap_ok(district):
    """Two math teachers who swap keep tolerance 0."""
    assert validate_plan(district, scenario(), plan(district, {"A2": "B", "B1": "A"})) == []


def test_subject_staffing_untouched_cells_not_checked(district, tmp_path):
    """Demand away from today's count is the plan's problem only where the plan moves someone."""
    d = make_district(
        SCHOOLS, STAFF, tmp_path, demand_rows=[{"school_id": "A", "subject": "math", "required": 5}]
    )
    assert validate_plan(d, scenario(), plan(d)) == []
    assert validate_plan(d, scenario(), plan(d, {"A3": "B", "B2": "A"})) == []
    v = validate_plan(d, scenario(), plan(d, {"A2": "B", "B1": "A"}))
    assert [(x.rule, x.staff, x.schools) for x in v] == [("subject_staffing", ("A2", "B1"), ("A",))]


# ----------------------------------------------------------------- per mover


def test_same_level(district):
    """Primary to junior breaks same_level; primary to nine-year does not; the rule can be off."""
    sc = scenario(staffing={"subject_tolerance": 9}, commute={"max_km": 100.0})
    v = validate_plan(district, sc, plan(district, {"A2": "C"}))
    assert [(x.rule, x.staff, x.schools) for x in v] == [("same_level", ("A2",), ("A", "C"))]
    assert validate_plan(district, sc, plan(district, {"A2": "N"})) == []
    assert validate_plan(district, loose(), plan(district, {"A2": "C"})) == []


@pytest.mark.parametrize(
    "scope, dest, ok",
    [
        ("district", "B", True),
        ("district", "C", True),
        ("cross_zone", "B", True),
        ("cross_zone", "C", False),
        ("within_zone", "B", False),
        ("within_zone", "C", True),
        ("cross_group", "B", False),
        ("cross_group", "C", True),
        ("within_group", "B", True),
        ("within_group", "C", False),
    ],
)
def test_scope_teachers(district, scope, dest, ok):
    """A→B crosses zones inside group G1; A→C stays in zone Z1 and leaves the group."""
    v = validate_plan(district, loose(scope={"teachers": scope}), plan(district, {"A2": dest}))
    assert [(x.rule, x.staff, x.schools) for x in v] == (
        [] if ok else [("scope", ("A2",), ("A", dest))]
    )


def test_scope_principals_use_their_own_setting(district):
    """Principals follow scope.principals, not scope.teachers."""
    swap = {"PA": "C", "PC": "A"}
    assert (
        validate_plan(district, loose(scope={"teachers": "cross_zone"}), plan(district, swap)) == []
    )
    v = validate_plan(district, loose(scope={"principals": "cross_zone"}), plan(district, swap))
    assert rules(v) == {"scope"} and {x.staff for x in v} == {("PA",), ("PC",)}


def test_empty_group_is_its_own_group(district):
    """A school without a group shares no group, even with another groupless school."""
    v = validate_plan(
        district, loose(scope={"teachers": "within_group"}), plan(district, {"C1": "A"})
    )
    assert [(x.rule, x.staff) for x in v] == [("scope", ("C1",))]


def test_commute(district):
    """A move to a school 30 km from home breaks max_km 15 and keeps max_km 40."""
    a = plan(district, {"A2": "N"})
    v = validate_plan(district, loose(commute={"max_km": 15.0}), a)
    assert [(x.rule, x.staff, x.schools) for x in v] == [("commute", ("A2",), ("N",))]
    assert validate_plan(district, loose(commute={"max_km": 40.0}), a) == []


# ----------------------------------------------------------------- quotas


def test_teacher_rotation_min(district):
    """8 eligible teachers at 0.25 need 2 movers: one is too few."""
    sc = loose(quotas={"teacher_rotation_min": 0.25})
    v = validate_plan(district, sc, plan(district, {"A2": "B"}))
    assert [(x.rule, x.staff) for x in v] == [("teacher_rotation_min", ("A2",))]
    assert validate_plan(district, sc, plan(district, {"A2": "B", "C1": "A"})) == []


def test_teacher_rotation_min_ceil(district):
    """A share of 0.3 of 8 teachers needs ceil(2.4) = 3 movers."""
    sc = loose(quotas={"teacher_rotation_min": 0.3})
    assert rules(validate_plan(district, sc, plan(district, {"A2": "B", "C1": "A"}))) == {
        "teacher_rotation_min"
    }
    assert validate_plan(district, sc, plan(district, {"A2": "B", "C1": "A", "N1": "C"})) == []


def test_key_share_rotated(district):
    """With share 0.5 of rotated teachers, one ordinary mover needs a key mover beside them."""
    sc = loose(quotas={"key_share_of_rotated_min": 0.5})
    v = validate_plan(district, sc, plan(district, {"A2": "B"}))
    assert [(x.rule, x.staff) for x in v] == [("key_share_of_rotated_min", ("A2",))]
    assert validate_plan(district, sc, plan(district, {"A2": "B", "A1": "C"})) == []
    assert rules(
        validate_plan(district, sc, plan(district, {"A2": "B", "A3": "B", "A1": "C"}))
    ) == {"key_share_of_rotated_min"}


def test_key_share_eligible_key(district):
    """With basis eligible_key, 0.5 of the 2 eligible key teachers must move, whoever else does."""
    sc = loose(quotas={"key_share_of_rotated_min": 0.5, "key_share_basis": "eligible_key"})
    assert rules(validate_plan(district, sc, plan(district))) == {"key_share_of_rotated_min"}
    assert validate_plan(district, sc, plan(district, {"B2": "A"})) == []


def test_principal_rotation_min(district):
    """Half of the 4 eligible cadres must move: a principal swap is enough."""
    sc = loose(quotas={"principal_rotation_min": 0.5})
    assert rules(validate_plan(district, sc, plan(district))) == {"principal_rotation_min"}
    assert validate_plan(district, sc, plan(district, {"PA": "B", "PB": "A"})) == []


def test_school_outflow_max(district):
    """A has 4 teachers: at 0.25 one may leave, two may not."""
    sc = loose(quotas={"school_outflow_max": 0.25})
    assert validate_plan(district, sc, plan(district, {"A2": "B"})) == []
    v = validate_plan(district, sc, plan(district, {"A2": "B", "A1": "B"}))
    assert [(x.rule, x.staff, x.schools) for x in v] == [
        ("school_outflow_max", ("A1", "A2"), ("A",))
    ]


def test_school_outflow_counts_all_teachers(district):
    """The outflow cap counts the school's ineligible teachers too (floor(0.5 · 4) = 2)."""
    sc = loose(quotas={"school_outflow_max": 0.5})
    assert validate_plan(district, sc, plan(district, {"A2": "B", "A1": "B"})) == []


# ----------------------------------------------------------------- flows


def test_urban_to_rural_min(district):
    """Of two moves out of urban/town schools one goes to a rural school: 0.5 holds, 0.6 does not."""
    a = plan(district, {"A2": "B", "A3": "C"})
    assert validate_plan(district, loose(flow={"urban_to_rural_min": 0.5}), a) == []
    v = validate_plan(district, loose(flow={"urban_to_rural_min": 0.6}), a)
    assert [(x.rule, set(x.staff)) for x in v] == [("urban_to_rural_min", {"A2", "A3"})]


def test_urban_to_rural_counts_cadres(district):
    """Moves of principals count in the flow rules too."""
    a = plan(district, {"PA": "C", "PC": "A"})
    v = validate_plan(district, loose(flow={"urban_to_rural_min": 0.5}), a)
    assert [(x.rule, set(x.staff)) for x in v] == [("urban_to_rural_min", {"PA", "PC"})]


def test_rural_to_urban_min(district):
    """A move out of a rural school must go to an urban or town one at share 1."""
    sc = loose(flow={"rural_to_urban_min": 1.0})
    assert validate_plan(district, sc, plan(district, {"B1": "A"})) == []
    assert validate_plan(district, sc, plan(district, {"B1": "C"})) == []
    v = validate_plan(district, sc, plan(district, {"B1": "N"}))
    assert [(x.rule, x.staff, x.schools) for x in v] == [("rural_to_urban_min", ("B1",), ("B",))]


# ----------------------------------------------------------------- balance caps


def test_max_cv(district):
    """The true difference coefficient after the plan is checked against the cap, per level."""
    a = plan(district, {"A1": "N"})
    values = school_indicators(district, Plan.of(district, a).school_of)
    cv = {
        lvl: difference_coefficient(district.schools[f"{lvl}_students"], values["key_per_100"])
        for lvl in ("primary", "junior")
    }
    assert cv["primary"] > 0.3 and cv["junior"] > 0
    sc = loose(balance={"max_cv": {"primary": cv["primary"] - 0.01}})
    v = validate_plan(district, sc, a)
    assert [(x.rule, x.staff, x.schools) for x in v] == [("max_cv", ("A1",), ("A", "B", "N"))]
    assert (
        validate_plan(district, loose(balance={"max_cv": {"primary": cv["primary"] + 0.01}}), a)
        == []
    )


def test_max_cv_only_balanced_indicators(district):
    """max_cv applies to the balanced indicators only."""
    sc = loose(balance={"max_cv": 0.01, "indicator": "pe_art_per_100"})
    v = validate_plan(district, sc, plan(district))
    assert rules(v) == {"max_cv"} and all("pe_art_per_100" in x.message for x in v)


def test_min_per_100(district):
    """Every school needs at least min_per_100: C and N have no key teacher, then A has none."""
    sc = loose(balance={"min_per_100": 0.1})
    v = validate_plan(district, sc, plan(district))
    assert [(x.rule, x.schools) for x in v] == [("min_per_100", ("C",)), ("min_per_100", ("N",))]
    v = validate_plan(district, sc, plan(district, {"A1": "C"}))
    assert [(x.rule, x.staff, x.schools) for x in v] == [
        ("min_per_100", ("A1",), ("A",)),
        ("min_per_100", (), ("N",)),
    ]


# ----------------------------------------------------------------- pins


def test_pins(district, tmp_path):
    """stay, move and to pins are checked; a move pin on an ineligible person cannot hold."""
    pins = [
        {"staff_id": "A2", "action": "stay"},
        {"staff_id": "B1", "action": "move"},
        {"staff_id": "A3", "action": "to", "school_id": "C"},
        {"staff_id": "A4", "action": "move"},
    ]
    d = make_district(SCHOOLS, STAFF, tmp_path, pins_rows=pins)
    sc = loose()
    v = validate_plan(d, sc, plan(d, {"A2": "B", "A3": "B"}))
    assert [(x.rule, x.staff) for x in v] == [
        ("pins", ("A2",)),
        ("pins", ("B1",)),
        ("pins", ("A3",)),
        ("pins", ("A4",)),
    ]
    v = validate_plan(d, sc, plan(d, {"B1": "A", "A3": "C"}))
    assert [(x.rule, x.staff) for x in v] == [("pins", ("A4",))]


# ----------------------------------------------------------------- exact reports


def report(violations: list[Violation]) -> list[tuple]:
    """Every field of every violation: what a planner reads."""
    return [(x.rule, x.message, x.staff, x.schools) for x in violations]


def test_missing_columns_are_named(district):
    """Assignments without the columns the rules need are refused, naming them."""
    with pytest.raises(ValueError, match="^assignments lack the columns to_school, moved$"):
        validate_plan(district, scenario(), plan(district)[["from_school"]])


def test_eligible_rows_reports_in_full(district):
    """Each eligible_rows problem names the person, says what is wrong and where."""
    extra = pd.DataFrame(
        {"from_school": ["A", "A", "A"], "to_school": ["A", "A", "A"], "moved": [False] * 3},
        index=["A2", "ZZ9", "A4"],
    )
    a = pd.concat([plan(district).drop(index="B1"), extra])
    a.loc["C1", "moved"] = True
    assert report(validate_plan(district, scenario(), a)) == [
        ("eligible_rows", "staff A2 has more than one row", ("A2",), ()),
        ("eligible_rows", "staff ZZ9 is not in the district", ("ZZ9",), ()),
        (
            "eligible_rows",
            "staff A4 is not eligible (2.0 years at school, needs 6) but has a row",
            ("A4",),
            ("A",),
        ),
        ("eligible_rows", "eligible staff B1 has no row", ("B1",), ("B",)),
        ("eligible_rows", "staff C1: moved is True but goes from C to C", ("C1",), ("C",)),
    ]


def test_subject_staffing_names_only_that_subjects_movers(district):
    """A math and a Chinese teacher leave A for C: each cell names its own subject's mover."""
    a = plan(district, {"A2": "C", "A3": "C"})
    assert report(validate_plan(district, scenario(scope={"same_level": False}), a)) == [
        (
            "subject_staffing",
            "school A has 0 chinese teacher(s) after the plan (before 1), demand 1 ± 0",
            ("A3",),
            ("A",),
        ),
        (
            "subject_staffing",
            "school A has 1 math teacher(s) after the plan (before 2), demand 2 ± 0",
            ("A2",),
            ("A",),
        ),
        (
            "subject_staffing",
            "school C has 2 chinese teacher(s) after the plan (before 1), demand 1 ± 0",
            ("A3",),
            ("C",),
        ),
        (
            "subject_staffing",
            "school C has 2 math teacher(s) after the plan (before 1), demand 1 ± 0",
            ("A2",),
            ("C",),
        ),
    ]


def test_key_share_eligible_key_is_a_share_of_the_eligible_key_teachers(district):
    """Basis eligible_key at share 1: both eligible key teachers must move, one is not
    enough (1 · 2 = 2 needed), and the report names the one who moved."""
    sc = loose(quotas={"key_share_of_rotated_min": 1.0, "key_share_basis": "eligible_key"})
    assert report(validate_plan(district, sc, plan(district, {"B2": "A"}))) == [
        (
            "key_share_of_rotated_min",
            "1 key teacher(s) move, key_share_of_rotated_min 1 of 2 eligible key teachers needs 2",
            ("B2",),
            (),
        )
    ]
    assert validate_plan(district, sc, plan(district, {"B2": "A", "A1": "B"})) == []


def test_principal_rotation_min_names_the_movers(district):
    """Half of the 4 eligible cadres: a vice principal's move alone is one too few."""
    sc = loose(quotas={"principal_rotation_min": 0.5})
    v = only(validate_plan(district, sc, plan(district, {"VA": "B"})), "principal_rotation_min")
    assert report(v) == [
        (
            "principal_rotation_min",
            "1 principal(s)/vice principal(s) move, principal_rotation_min 0.5 of 4 eligible "
            "needs 2",
            ("VA",),
            (),
        )
    ]


def test_pins_without_a_table_or_for_unknown_staff(district):
    """No pins table at all is no pin; a pin for someone not in the district is reported."""
    assert validate_plan(dataclasses.replace(district, pins=None), scenario(), plan(district)) == []
    pins = pd.DataFrame(
        [
            {"staff_id": "ZZ9", "action": "stay", "school_id": ""},
            {"staff_id": "A2", "action": "move", "school_id": ""},
            {"staff_id": "A3", "action": "to", "school_id": "C"},
        ]
    )
    v = validate_plan(
        dataclasses.replace(district, pins=pins), loose(), plan(district, {"A3": "B"})
    )
    assert report(v) == [
        ("pins", "pin for unknown staff ZZ9", ("ZZ9",), ()),
        ("pins", "staff A2 is pinned to leave A but the plan has them at A", ("A2",), ("A",)),
        (
            "pins",
            "staff A3 is pinned to go to C but the plan has them at B",
            ("A3",),
            ("A", "B", "C"),
        ),
    ]


def test_within_group_between_two_schools_without_a_group(tmp_path):
    """within_group: two schools without a group do not share one."""
    d = make_district(
        [school("A"), school("B", km=2)], [person("T", "A"), person("U", "B")], tmp_path
    )
    sc = scenario(scope={"teachers": "within_group"}, staffing={"subject_tolerance": 1})
    assert [(x.rule, x.staff, x.schools) for x in validate_plan(d, sc, plan(d, {"T": "B"}))] == [
        ("scope", ("T",), ("A", "B"))
    ]


def test_commute_exactly_max_km_is_allowed(district):
    """A move whose commute is exactly max_km keeps the rule."""
    st, n = district.staff.loc["A2"], district.schools.loc["N"]
    km = float(haversine_km(st["home_lat"], st["home_lon"], n["lat"], n["lon"]))
    assert 29.9 < km < 30.1
    a = plan(district, {"A2": "N"})
    assert validate_plan(district, loose(commute={"max_km": km}), a) == []
    assert rules(validate_plan(district, loose(commute={"max_km": km - 1e-6}), a)) == {"commute"}


def _cv_after(district, a) -> dict[str, float]:
    values = school_indicators(district, Plan.of(district, a).school_of)
    return {
        lvl: difference_coefficient(district.schools[f"{lvl}_students"], values["key_per_100"])
        for lvl in ("primary", "junior")
    }


def test_max_cv_per_indicator_and_per_level(district):
    """A key teacher leaves primary A for junior C (a non-key teacher goes to B): caps given
    per indicator, or for the junior level only, are checked; the report names the key
    mover only, who leaves the primary level and joins the junior one."""
    a = plan(district, {"A1": "C", "A2": "B"})
    cv = _cv_after(district, a)
    assert cv["primary"] > 1.3 and cv["junior"] > 0.85
    v = validate_plan(district, loose(balance={"max_cv": {"key_per_100": {"primary": 0.5}}}), a)
    assert report(v) == [
        (
            "max_cv",
            "difference coefficient of key_per_100 (primary) is 1.3416 after the plan, max_cv 0.5",
            ("A1",),
            ("A", "B", "N"),
        )
    ]
    v = validate_plan(district, loose(balance={"max_cv": {"junior": 0.5}}), a)
    assert report(v) == [
        (
            "max_cv",
            "difference coefficient of key_per_100 (junior) is 0.8944 after the plan, max_cv 0.5",
            ("A1",),
            ("C", "N"),
        )
    ]
    # a cap on another indicator does not apply to key_per_100
    other = loose(balance={"max_cv": {"pe_art_per_100": 0.01}})
    assert validate_plan(district, other, a) == []


def test_max_cv_exactly_at_the_cap_is_allowed(district):
    """A coefficient exactly at the cap keeps it."""
    a = plan(district, {"A1": "C", "A2": "B"})
    cv = _cv_after(district, a)
    assert validate_plan(district, loose(balance={"max_cv": {"primary": cv["primary"]}}), a) == []
    sc = loose(balance={"max_cv": {"primary": cv["primary"] - 1e-6}})
    assert rules(validate_plan(district, sc, a)) == {"max_cv"}


def test_max_cv_names_every_school_of_the_level(tmp_path):
    """A nine-year school with a single junior student is a school of the junior level."""
    d = make_district(
        [
            school("N", level="nine_year", students=501, junior_students=1),
            school("J", km=2, level="junior", students=400),
        ],
        [
            person("K1", "J", key_level="district"),
            person("K2", "J", key_level="district", school_start_date=NEW),
        ],
        tmp_path,
    )
    sc = scenario(balance={"max_cv": {"junior": 0.01}})
    v = validate_plan(d, sc, plan(d, sc=sc))
    assert [(x.rule, x.schools) for x in v] == [("max_cv", ("N", "J"))]


# ----------------------------------------------------------------- plan folder and report


@pytest.fixture(scope="module")
def plan_dir(district, tmp_path_factory):
    sc = loose(quotas={"teacher_rotation_min": 0.25, "principal_rotation_min": 0.5})
    result = solve(district, sc)
    out = tmp_path_factory.mktemp("plans") / "plan"
    write_plan(district, sc, result, out)
    return out, sc


def _copy(src, dst):
    import shutil

    shutil.copytree(src, dst)
    return dst


def test_plan_dir_valid(district, plan_dir):
    """A plan folder written by solve + write_plan validates cleanly."""
    out, sc = plan_dir
    assert validate_plan_dir(out, district, sc) == []


def test_validator_loads_no_solver_code(district, plan_dir):
    """Importing solver.validate and validating a plan folder loads nothing of the model,
    the search or the plan, nor CP-SAT or HiGHS (a fresh interpreter, so that no other
    test's imports count)."""
    out, sc = plan_dir
    code = f"""
import sys
from solver.input.loaders import load_district
from solver.input.scenario import parse_scenario
from solver.validate import validate_plan_dir

sc = parse_scenario({sc.model_dump(mode="json", exclude_none=True)!r})
d = load_district({str(district.source)!r}, as_of=sc.as_of)
assert validate_plan_dir({str(out)!r}, d, sc) == []
print(" ".join(sorted(m for m in sys.modules if m.startswith(("solver", "ortools", "highspy")))))
"""
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert r.returncode == 0, r.stderr
    loaded = set(r.stdout.split())
    assert "solver.validate" in loaded
    forbidden = ("ortools", "highspy", "solver.model", "solver.search", "solver.plan")
    bad = {m for m in loaded if m.startswith(forbidden)}
    assert bad == set(), bad


def test_plan_dir_missing_files(district, plan_dir, tmp_path):
    """A folder without summary.json or schools.csv is reported."""
    out, sc = plan_dir
    d = _copy(out, tmp_path / "p")
    (d / "summary.json").unlink()
    (d / "schools.csv").unlink()
    v = validate_plan_dir(d, district, sc)
    assert [x.rule for x in v] == ["plan_files", "plan_files"]


def test_plan_dir_schools_table_mismatch(district, plan_dir, tmp_path):
    """schools.csv after-counts that do not follow from the assignments are caught."""
    out, sc = plan_dir
    d = _copy(out, tmp_path / "p")
    t = pd.read_csv(d / "schools.csv", dtype={"school_id": str})
    t.loc[t["school_id"] == "C", "teachers_after"] += 1
    t.to_csv(d / "schools.csv", index=False)
    v = validate_plan_dir(d, district, sc)
    assert [(x.rule, x.schools) for x in v] == [("schools_table", ("C",))]


def test_plan_dir_summary_mismatch(district, plan_dir, tmp_path):
    """A difference coefficient in summary.json off by more than 1e-9 is caught."""
    out, sc = plan_dir
    d = _copy(out, tmp_path / "p")
    info = json.loads((d / "summary.json").read_text())
    info["coefficients"]["key_per_100"]["primary"]["after"] += 1e-6
    (d / "summary.json").write_text(json.dumps(info))
    v = validate_plan_dir(d, district, sc)
    assert [x.rule for x in v] == ["summary"] and "key_per_100" in v[0].message


def test_plan_dir_edited_assignments(district, plan_dir, tmp_path):
    """Editing assignments.csv by hand breaks rules and the folder's own consistency."""
    out, sc = plan_dir
    d = _copy(out, tmp_path / "p")
    a = pd.read_csv(d / "assignments.csv", dtype=str, keep_default_na=False)
    who = a.index[(a["role"] == "principal") & (a["moved"] == "false")][0]
    a.loc[who, ["to_school", "moved"]] = ["N", "true"]
    a.to_csv(d / "assignments.csv", index=False)
    found = rules(validate_plan_dir(d, district, sc))
    assert {"posts_filled", "schools_table", "summary"} <= found


def test_summarize_and_str():
    """The report counts violations per rule and lists each with its people and schools."""
    assert summarize([]) == "the plan keeps every rule"
    v = [
        Violation("commute", "too far", ("T1",), ("S2",)),
        Violation("commute", "also too far", ("T2",)),
    ]
    text = summarize(v)
    assert text.splitlines()[0] == "2 violation(s): commute 2"
    assert "[commute] too far (staff: T1) (schools: S2)" in text
    assert str(Violation("scope", "x")) == "[scope] x"


def test_rule_names():
    """The validator's rule names match the model's diagnosis names where both exist."""
    from solver.rules.catalogue import RULE_TEXT

    assert (set(RULE_TEXT) - {"pin"}) <= set(RULES)
