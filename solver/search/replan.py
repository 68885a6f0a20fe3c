"""Re-planning: keep as much of an earlier plan as the changed data and rules allow.

``lungang solve SCENARIO --from PLAN_DIR`` (:func:`replan`) solves in two stages,
lexicographically:

1. minimise the ``changes`` term: the number of eligible people whose decision (the
   school they end the year at) differs from the earlier plan, starting from the
   earlier plan as a hint;
2. hold that number and optimise the scenario's objective as usual.

The report (``summary.json`` under ``replan``) counts the changed decisions and gives
each a reason: the person is gone from the data or no longer eligible, their school
or the school they were to go to is gone, their move is no longer permitted (commute,
scope, level, demand), they were not in the earlier plan, or the change was needed to
keep the rules after the others (a knock-on, e.g. the exchange partner of someone who
left).
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from ..input.assignments import read_assignments
from ..input.data import District
from ..input.scenario import Scenario
from ..model.rotation import RotationModel
from ..plan.result import Result
from ..progress import Budget, as_progress
from ..rules.moves import permitted_moves
from .build import build
from .diagnose import infeasible_result, with_diagnosis
from .engine import ProgressFn, found, hint_solution, no_plan, result_of, search, weighted_objective
from .placement import place

#: Share of the time limit that stage 1 (fewest changes) may use.
STAGE1_SHARE = 0.5


def _where(row_from: str, row_to: str) -> str:
    return f"{row_from} → {row_to}" if row_to != row_from else f"stays at {row_from}"


def old_decisions(built: RotationModel, old: pd.DataFrame) -> tuple[list, list[dict], list[dict]]:
    """Map the earlier plan onto the model.

    Returns ``(same, forced, cancelled)``: ``same[p]`` is the literal that is true when
    person p keeps the earlier decision (``None`` when that decision is impossible now),
    ``forced`` lists the people whose earlier decision cannot be kept (with a reason),
    ``cancelled`` the earlier plan's rows for people who are no longer eligible or gone.
    """
    d = built.district
    ids = d.schools.index
    ppl = built.people
    n_s = len(ids)
    pairs = built.pairs
    key_to_pair = pd.Series(
        np.arange(len(pairs)), index=pairs["p"].to_numpy() * n_s + pairs["s"].to_numpy()
    )
    same: list = [None] * len(ppl)
    forced: list[dict] = []
    old = old.copy()
    old.index = old.index.astype(str)
    moves = None
    for p, sid in enumerate(ppl.index.astype(str)):
        here = str(ppl["school_id"].iat[p])
        if sid not in old.index:
            same[p] = built.stay[p]  # not in the earlier plan: they stayed
            continue
        frm, to = str(old.at[sid, "from_school"]), str(old.at[sid, "to_school"])
        reason = None
        if frm != here:
            reason = f"their school changed in the data ({frm} → {here})"
        elif to not in ids:
            reason = f"school {to} is gone"
        if reason is not None:
            forced.append({"staff_id": sid, "old": _where(frm, to), "reason": reason})
            continue
        s = int(ids.get_loc(to))
        if to == here:
            same[p] = built.stay[p]
            continue
        i = key_to_pair.get(p * n_s + s)
        if i is None:
            if moves is None:
                moves = permitted_moves(d, built.scenario, built.elig)
            rules = moves.blocking(p, s) if moves.people.index[p] == ppl.index[p] else []
            why = (
                ", ".join(rules)
                if rules and rules != ["home"]
                else "not a candidate (max_candidates)"
            )
            forced.append(
                {
                    "staff_id": sid,
                    "old": _where(frm, to),
                    "reason": f"move no longer permitted ({why})",
                }
            )
            continue
        same[p] = built.x[int(i)]
    cancelled = []
    eligible = set(ppl.index.astype(str))
    for sid in old.index:
        if sid in eligible:
            continue
        frm, to = str(old.at[sid, "from_school"]), str(old.at[sid, "to_school"])
        if sid not in d.staff.index:
            reason = "gone from the data"
        else:
            reason = f"no longer eligible ({built.elig.at[sid, 'reason']})"
        cancelled.append(
            {"staff_id": sid, "old": _where(frm, to), "moved": to != frm, "reason": reason}
        )
    return same, forced, cancelled


def _hint_old(built: RotationModel, same: list) -> None:
    """Hint the earlier plan: each kept decision's literal true (the rest to the solver)."""
    m = built.model
    m.clear_hints()
    for lit in same:
        if lit is not None:
            m.add_hint(lit, True)


def replan(
    district: District,
    scenario: Scenario,
    old: pd.DataFrame | str | Path,
    progress: ProgressFn | None = None,
    source: str | None = None,
    *,
    budget: Budget | None = None,
) -> tuple[Result, dict[str, Any]]:
    """Plan again, changing as few decisions of the earlier plan ``old`` as possible.

    Parameters
    ----------
    old
        The earlier plan's assignments (index ``staff_id``, with ``from_school`` and
        ``to_school``) or its plan folder.

    Returns
    -------
    (result, report)
        The new plan, and the ``replan`` report for ``summary.json``.

    Raises
    ------
    InfeasibleError, NoPlanError
        As :func:`solver.search.solve.solve`.
    """
    progress = as_progress(progress)
    say = progress.note
    budget = budget if budget is not None else Budget(scenario.solver.time_limit_s)
    if progress.budget is None:
        progress.use(budget)
    if not isinstance(old, pd.DataFrame):
        source = source or str(old)
        old = read_assignments(Path(old))
    built, build_seconds = build(district, scenario, progress, warm_start=False, budget=budget)
    t0 = time.perf_counter()
    same, forced, cancelled = old_decisions(built, old)
    lits = [lit for lit in same if lit is not None]
    n_forced = len(forced)
    changes = (len(lits) - cp_model.LinearExpr.sum(lits)) if lits else 0
    model = built.model
    # Stage 1: fewest changes, from the earlier plan.
    model.minimize(changes)
    _hint_old(built, same)
    limit = max(budget.search_left(), 0.0)
    progress.phase("search", "re-plan stage 1: the fewest changed decisions")
    # (stage 1 has never had the work limit: it ends by its share of the time)
    solver, code, _ = search(model, scenario.solver, STAGE1_SHARE * limit, work_limit=False)
    if code == cp_model.INFEASIBLE:
        infeasible_result(district, scenario, built.elig, budget=budget).raise_for_status()
    stage1_seconds = time.perf_counter() - t0
    minimal = code == cp_model.OPTIMAL
    if found(code):
        fewest = int(round(solver.objective_value))
        say(
            f"re-plan stage 1: {fewest + n_forced} decision(s) must change "
            f"({'proven fewest' if minimal else 'best found'}), {stage1_seconds:.1f} s"
        )
        # Stage 2: hold the number of changes, optimise the objective from the stage-1 plan.
        model.add(changes <= fewest)
        hint_solution(model, solver)
    else:
        fewest = None
        say(
            "re-plan stage 1 found no plan in time; optimising from the earlier plan without the bound"
        )
        _hint_old(built, same)
    model.minimize(weighted_objective(built))
    # Stage 2 searches this model itself: the engine's LP-guided path for big models searches a
    # freshly built restricted model, which would not hold the bound on changes.
    remaining = max(1.0, budget.search_left())
    t2 = time.perf_counter()
    progress.phase("search", "re-plan stage 2: the objective, changes held")
    progress.problem("objective")
    solver2, code2, _ = search(model, scenario.solver, remaining, progress)
    if not found(code2):
        with_diagnosis(no_plan(code2, built), built, budget=budget).raise_for_status()
    result = result_of(
        built, solver2, code2, built.elig, build_seconds, time.perf_counter() - t2 + stage1_seconds
    )
    report = _report(
        built, result, old, same, forced, cancelled, fewest, minimal, source, stage1_seconds
    )
    # [placement]: points, lottery and wish ranks and the fairness report; a mechanism would
    # undo the fewest changes, so the re-planned decisions stay as they are
    keep = scenario.placement.model_copy(update={"mechanism": "optimize"})
    result = place(district, scenario.model_copy(update={"placement": keep}), result)
    return result, report


def _report(
    built: RotationModel,
    result: Result,
    old: pd.DataFrame,
    same: list,
    forced: list[dict],
    cancelled: list[dict],
    fewest: int | None,
    minimal: bool,
    source: str | None,
    stage1_seconds: float,
) -> dict[str, Any]:
    a = result.assignments
    ppl = built.people
    old = old.copy()
    old.index = old.index.astype(str)
    forced_ids = {f["staff_id"]: f for f in forced}
    changed = []
    for sid in ppl.index.astype(str):
        new = _where(str(a.at[sid, "from_school"]), str(a.at[sid, "to_school"]))
        if sid in forced_ids:
            changed.append({**forced_ids[sid], "new": new})
            continue
        if sid in old.index:
            old_to = str(old.at[sid, "to_school"])
            if old_to == str(a.at[sid, "to_school"]):
                continue
            changed.append(
                {
                    "staff_id": sid,
                    "old": _where(str(old.at[sid, "from_school"]), old_to),
                    "new": new,
                    "reason": None,
                }
            )
        elif bool(a.at[sid, "moved"]):
            changed.append(
                {
                    "staff_id": sid,
                    "old": f"stays at {a.at[sid, 'from_school']} (not in the earlier plan)",
                    "new": new,
                    "reason": "not in the earlier plan (newly eligible or new)",
                }
            )
    # knock-on: a change at a school touched by a forced change or a cancelled move
    touched: dict[str, list[str]] = {}
    for item in forced + [c for c in cancelled if c["moved"]]:
        for school in _schools_of(item["old"]):
            touched.setdefault(school, []).append(f"{item['staff_id']} ({item['reason']})")
    for c in changed:
        if c["reason"] is None:
            near = [
                x for s in _schools_of(c["old"]) + _schools_of(c["new"]) for x in touched.get(s, [])
            ]
            near = list(dict.fromkeys(x for x in near if not x.startswith(c["staff_id"] + " ")))
            c["reason"] = (
                ("needed to keep the rules after " + ", ".join(near[:3]))
                if near
                else "needed to keep the rules (the data or rules changed)"
            )
    kinds = Counter(_kind(c["reason"]) for c in changed) + Counter(
        _kind(c["reason"]) for c in cancelled
    )
    moved_cancelled = sum(1 for c in cancelled if c["moved"])
    return {
        "from": source,
        "method": "lexicographic: fewest changed decisions, then the objective",
        "eligible": len(ppl),
        "earlier_plan_rows": len(old),
        "changes": len(changed),
        "changes_minimal": bool(minimal),
        "fewest_changes_bound": None if fewest is None else fewest + len(forced),
        "kept": len(ppl) - len(changed),
        "cancelled": len(cancelled),
        "cancelled_moves": moved_cancelled,
        "by_reason": dict(kinds),
        "changed": changed,
        "cancelled_rows": cancelled,
        "stage1_seconds": round(stage1_seconds, 3),
    }


def _schools_of(text: str) -> list[str]:
    text = text.split(" (")[0]
    if text.startswith("stays at "):
        return [text.removeprefix("stays at ")]
    return [s.strip() for s in text.split("→")]


def _kind(reason: str) -> str:
    """The reason's category for ``by_reason``."""
    if reason.startswith("needed to keep the rules after"):
        return "knock-on"
    for key, kind in (
        ("needed to keep the rules", "rules or data changed"),
        ("gone from the data", "gone from the data"),
        ("no longer eligible", "no longer eligible"),
        ("is gone", "school gone"),
        ("school changed", "school changed in the data"),
        ("no longer permitted", "move no longer permitted"),
        ("not in the earlier plan", "not in the earlier plan"),
    ):
        if key in reason:
            return kind
    return "other"


def format_report(report: dict[str, Any]) -> str:
    """One paragraph for the terminal."""
    lines = [
        f"re-planned from {report['from']}: {report['changes']} of {report['eligible']} decisions changed"
        + ("" if report["changes_minimal"] else " (fewest not proven)")
        + (
            f", {report['cancelled_moves']} earlier move(s) cancelled"
            if report["cancelled_moves"]
            else ""
        )
    ]
    if report["by_reason"]:
        lines.append("  " + ", ".join(f"{k}: {v}" for k, v in sorted(report["by_reason"].items())))
    for c in report["changed"][:15]:
        lines.append(f"  {c['staff_id']}: {c['old']} ⇒ {c['new']} ({c['reason']})")
    if len(report["changed"]) > 15:
        lines.append(f"  ... and {len(report['changed']) - 15} more (summary.json, replan)")
    for c in report["cancelled_rows"]:
        if c["moved"]:
            lines.append(f"  {c['staff_id']}: {c['old']} cancelled ({c['reason']})")
    return "\n".join(lines)
