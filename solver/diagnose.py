"""Why the rules cannot all hold: a small set of conflicting rules, in planners' terms.

Every rule instance of the model (per rule, school, subject, ...) is guarded by a
literal in diagnosis mode (:class:`solver.model.RotationModel`). CP-SAT solves
under the assumption that all guards hold and returns a sufficient subset of them
for infeasibility; deletion shrinks it towards a minimal set.
"""

from __future__ import annotations

import time

import pandas as pd
from ortools.sat.python import cp_model

from .data import District
from .model import RotationModel
from .scenario import Scenario

#: What each rule family means, for messages.
RULE_TEXT: dict[str, str] = {
    "posts_filled": "principal / vice principal posts stay filled",
    "subject_staffing": "teacher head count per subject within subject_tolerance of the demand",
    "teacher_rotation_min": "[quotas] teacher_rotation_min",
    "key_share_of_rotated_min": "[quotas] key_share_of_rotated_min",
    "principal_rotation_min": "[quotas] principal_rotation_min",
    "school_outflow_max": "[quotas] school_outflow_max",
    "urban_to_rural_min": "[flow] urban_to_rural_min",
    "rural_to_urban_min": "[flow] rural_to_urban_min",
    "max_cv": "[balance] max_cv",
    "min_per_100": "[balance] min_per_100",
    "pin": "pins.csv",
    "same_level": "[scope] same_level",
    "scope": "[scope]",
    "commute": "[commute] max_km",
}


def _describe(key: tuple, sc: Scenario, built: RotationModel) -> str:
    rule, *rest = key
    q = sc.quotas
    if rule == "subject_staffing":
        return f"school {rest[0]} must keep its {rest[1]} teachers (subject_tolerance {sc.staffing.subject_tolerance})"
    if rule == "posts_filled":
        return f"school {rest[0]} keeps its {rest[1].replace('_', ' ')} post filled"
    if rule == "teacher_rotation_min":
        n = int(built.people["is_teacher"].sum())
        return f"teacher_rotation_min {q.teacher_rotation_min:g} needs {built.need_teachers} of {n} eligible teachers to move"
    if rule == "key_share_of_rotated_min":
        return f"key_share_of_rotated_min {q.key_share_of_rotated_min:g} ({q.key_share_basis})"
    if rule == "principal_rotation_min":
        return f"principal_rotation_min {q.principal_rotation_min:g}"
    if rule == "school_outflow_max":
        return f"school_outflow_max {q.school_outflow_max:g} at school {rest[0]}"
    if rule in ("urban_to_rural_min", "rural_to_urban_min"):
        return f"{rule} {getattr(sc.flow, rule):g}"
    if rule == "max_cv":
        return f"max_cv for {rest[0]} ({rest[1]})"
    if rule == "min_per_100":
        return f"min_per_100 {sc.balance.min_per_100:g} of {rest[1]} at school {rest[0]}"
    if rule == "pin":
        return f"pin of staff {rest[0]}"
    if rule == "commute":
        return f"commute max_km {sc.commute.max_km:g} (moves to school {rest[0]})"
    if rule == "scope":
        return f"scope {rest[0]} = {getattr(sc.scope, rest[0])}"
    if rule == "same_level":
        return "same_level"
    return " ".join(map(str, key))


def diagnose(
    district: District, scenario: Scenario, elig: pd.DataFrame | None = None, time_limit_s: float = 30.0
) -> tuple[str, dict]:
    """Find a small set of rules that cannot hold together.

    Returns
    -------
    (message, diagnosis)
        ``diagnosis`` has ``rules`` (the rule families), ``conflict`` (each rule
        instance with ``rule``, ``school``, ``subject`` where it applies, and a
        ``text``), and ``minimal`` (whether deletion finished).
    """
    built = RotationModel(district, scenario, diagnose=True, elig=elig)
    model = built.model
    model.clear_objective()
    keys = list(built.guards)
    lits = [built.guards[k] for k in keys]
    deadline = time.perf_counter() + time_limit_s

    def infeasible(subset: list[int], limit: float) -> tuple[bool, list[int]]:
        model.clear_assumptions()
        model.add_assumptions([lits[i] for i in subset])
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.max_time_in_seconds = max(limit, 0.1)
        code = solver.solve(model)
        if code == cp_model.INFEASIBLE:
            core_lits = set(solver.sufficient_assumptions_for_infeasibility())
            return True, [i for i in subset if lits[i].index in core_lits]
        return False, []

    is_inf, core = infeasible(list(range(len(keys))), time_limit_s)
    if not is_inf:
        msg = "the rules cannot all hold: no eligible person has a permitted school (posts or subject demand)"
        return msg, {"rules": ["structure"], "conflict": [], "minimal": False}
    # Deletion: drop each rule instance whose removal keeps the rest infeasible.
    minimal = True
    i = 0
    while i < len(core):
        if time.perf_counter() > deadline:
            minimal = False
            break
        trial = core[:i] + core[i + 1 :]
        still, sub = infeasible(trial, min(5.0, deadline - time.perf_counter()))
        if still:
            core = [j for j in trial if j in set(sub)] or trial
        else:
            i += 1
    conflict = []
    for j in core:
        key = keys[j]
        item = {"rule": key[0], "text": _describe(key, scenario, built)}
        if key[0] in ("subject_staffing", "posts_filled", "school_outflow_max", "min_per_100", "commute"):
            item["school"] = key[1]
        if key[0] == "subject_staffing":
            item["subject"] = key[2]
        if key[0] == "pin":
            item["staff_id"] = key[1]
        conflict.append(item)
    rules = sorted({c["rule"] for c in conflict})
    lines = [f"  - {c['text']}" for c in conflict[:20]]
    if len(conflict) > 20:
        lines.append(f"  ... and {len(conflict) - 20} more")
    msg = "the rules cannot all hold together (" + ", ".join(rules) + "):\n" + "\n".join(lines)
    return msg, {"rules": rules, "conflict": conflict, "minimal": minimal}
