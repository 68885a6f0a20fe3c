"""The rule catalogue: every rule family's name, what it means, and how it is reported.

One table for the model's diagnosis, the explanations and the validator. ``name`` is
the family as diagnoses and explanations name it; ``check`` the validator's name for
the same rule (:data:`solver.validate.RULES`); ``kind`` the group of reasons a planner
reads in ``explain.json`` (``quota``, ``staffing``, ``pin``, ``rules``,
``balance_cap``); ``text`` the scenario key or file behind it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..input.scenario import Scenario


@dataclass(frozen=True)
class Rule:
    """One rule family of the catalogue."""

    name: str
    check: str
    kind: str
    text: str


#: In the validator's order of checks.
CATALOGUE: tuple[Rule, ...] = (
    Rule(
        "posts_filled", "posts_filled", "staffing", "principal / vice principal posts stay filled"
    ),
    Rule(
        "subject_staffing",
        "subject_staffing",
        "staffing",
        "teacher head count per subject within subject_tolerance of the demand",
    ),
    Rule("same_level", "same_level", "rules", "[scope] same_level"),
    Rule("scope", "scope", "rules", "[scope]"),
    Rule("commute", "commute", "rules", "[commute] max_km"),
    Rule("teacher_rotation_min", "teacher_rotation_min", "quota", "[quotas] teacher_rotation_min"),
    Rule(
        "key_share_of_rotated_min",
        "key_share_of_rotated_min",
        "quota",
        "[quotas] key_share_of_rotated_min",
    ),
    Rule(
        "principal_rotation_min",
        "principal_rotation_min",
        "quota",
        "[quotas] principal_rotation_min",
    ),
    Rule("school_outflow_max", "school_outflow_max", "quota", "[quotas] school_outflow_max"),
    Rule("urban_to_rural_min", "urban_to_rural_min", "quota", "[flow] urban_to_rural_min"),
    Rule("rural_to_urban_min", "rural_to_urban_min", "quota", "[flow] rural_to_urban_min"),
    Rule("strong_to_weak_min", "strong_to_weak_min", "quota", "[flow] strong_to_weak_min"),
    Rule("no_return_years", "no_return_years", "rules", "[horizon] no_return_years"),
    Rule("never_worse", "never_worse", "rules", "[placement] never_worse"),
    Rule(
        "new_hire_rural",
        "new_hire_rural",
        "rules",
        "[rules] new_hire_rural_after_years, new_hire_rural_min_years",
    ),
    Rule("title_rural", "title_rural", "rules", "[rules] title_rural_years, title_weak_years"),
    Rule("max_cv", "max_cv", "balance_cap", "[balance] max_cv"),
    Rule("min_per_100", "min_per_100", "balance_cap", "[balance] min_per_100"),
    Rule("pin", "pins", "pin", "pins.csv"),
    Rule(
        "coverage_subjects",
        "coverage_subjects",
        "staffing",
        "[forms] coverage_subjects: at least coverage_min teacher-equivalents per school",
    ),
    Rule(
        "part_time",
        "part_time",
        "rules",
        "[forms] part_time / guidance: who serves where, part_time_max_share, "
        "part_time_max_schools, max_km",
    ),
    Rule(
        "training_to_lead",
        "training_to_lead",
        "quota",
        "[forms] training_to_lead: young teachers to the lead school of their group",
    ),
)

#: What each rule family means, for messages.
RULE_TEXT: dict[str, str] = {r.name: r.text for r in CATALOGUE}
#: Rules broken by an alternative, grouped as the reasons a planner reads.
REASON_KIND: dict[str, str] = {r.name: r.kind for r in CATALOGUE}


def rule_phrase(rule: str, sc: Scenario) -> str:
    """A pruning rule as a short phrase in counts ("max_km 15: 3")."""
    return {
        "commute": f"max_km {sc.commute.max_km:g}",
        "scope": "scope",
        "same_level": "same_level",
        "subject_staffing": "no school has demand for their subject",
        "posts_filled": "no school has a post of their role",
    }.get(rule, rule)
