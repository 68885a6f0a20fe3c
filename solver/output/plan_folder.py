"""Write a plan folder (``docs/outputs.md``), atomically: complete or absent."""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError, Problem
from ..input.assignments import ASSIGNMENT_COLUMNS, PLACEMENT_COLUMNS
from ..input.data import District
from ..input.scenario import Scenario
from ..plan.plan import Plan
from ..plan.result import Result
from ..rules.forms import PART_TIME_COLUMNS, count_deltas, head_deltas
from ..rules.indicators import STANDARD_MIN, coefficients, school_indicators
from ..rules.training import training_only_staff
from ..safe_text import write_csv
from .handoff import write_handoff
from .plan_view import view_of

METRICS = ["principals", "vice_principals", "teachers", "key_teachers", *STANDARD_MIN]


def schools_table(
    district: District, assignments: pd.DataFrame, shares: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Per school, before and after: head counts, key teachers, indicators, flows.

    With ``shares`` (``[forms]`` part-time and guidance, even none) the after columns
    count teacher-equivalents and ``shares_in`` / ``shares_out`` are added."""
    sch = district.schools
    before = school_indicators(district)
    plan = Plan.of(district, assignments)
    delta = None if shares is None else count_deltas(district, plan.school_pos, shares)
    after = school_indicators(district, plan.school_of, delta)
    out = pd.DataFrame(index=sch.index)
    for col in (
        "name",
        "zone",
        "group",
        "level",
        "locality",
        "tier",
        "students",
        "primary_students",
        "junior_students",
    ):
        out[col] = sch[col]
    for m in METRICS:
        out[f"{m}_before"] = before[m]
        out[f"{m}_after"] = after[m]
    moved = assignments[assignments["moved"].astype(bool)]
    out["inflow"] = moved.groupby("to_school").size().reindex(sch.index, fill_value=0)
    out["outflow"] = moved.groupby("from_school").size().reindex(sch.index, fill_value=0)
    if shares is not None:
        heads = head_deltas(district, plan.school_pos, shares)
        out["shares_in"] = heads["shares_in"].round(6)
        out["shares_out"] = heads["shares_out"].round(6)
    out.index.name = "school_id"
    return out


def side(schools: pd.DataFrame, which: str) -> pd.DataFrame:
    """The indicator columns of a plan's schools table for ``which`` = before | after."""
    cols = {f"{m}_{which}": m for m in STANDARD_MIN}
    return schools[list(cols)].rename(columns=cols)


def _clean(x):
    """JSON-safe numbers (NaN → null)."""
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_clean(v) for v in x]
    if isinstance(x, float | np.floating):
        return None if math.isnan(x) or math.isinf(x) else float(x)
    if isinstance(x, np.integer):
        return int(x)
    return x


def summary(district: District, scenario: Scenario, result: Result, schools: pd.DataFrame) -> dict:
    """The plan's ``summary.json`` content."""
    a = result.assignments
    moved = a["moved"].astype(bool)
    before = coefficients(district, side(schools, "before"))
    after = coefficients(district, side(schools, "after"))
    from ..model.terms import TERM
    from ..rules.placement import uses_placement

    used = uses_placement(district, scenario)
    # The wish term is reported where placement is used: other plans read as before.
    shown = {t: v for t, v in result.terms.items() if t != "wish" or used}
    out = _clean(
        {
            "status": result.status.value,
            "objective": result.objective,
            "best_bound": result.best_bound,
            # what best_bound (and gap) hold for: full_model, full_lp, lagrangian (the
            # problem as written) or kept_candidates (the model's kept moves only)
            "bound_scope": result.bound_scope,
            "gap": result.gap,
            "solve_seconds": round(result.solve_seconds, 3),
            "build_seconds": round(result.build_seconds, 3),
            "counts": {
                "staff": len(district.staff),
                "schools": district.n_schools,
                "eligible": len(a),
                "eligible_by_stream": a.groupby("stream").size().to_dict(),
                "moved": int(moved.sum()),
                "moved_by_stream": a[moved].groupby("stream").size().to_dict(),
            },
            "coefficients": {
                ind: {
                    lvl: {"before": before[ind][lvl], "after": after[ind][lvl]}
                    for lvl in before[ind]
                }
                for ind in before
            },
            **_forms_counts(scenario, result, district),
            "terms": {
                t: {"weight": TERM[t].weight(scenario) if t in TERM else 0.0, "value": v}
                for t, v in shown.items()
            },
            "stats": result.stats,
            "scenario": scenario.resolved(),
        }
    )
    if result.placement is not None:
        out["placement"] = _clean(result.placement)
    return out


def _forms_counts(scenario: Scenario, result: Result, district: District) -> dict:
    """``summary.json``'s ``forms`` (only with ``[forms]`` on): part-time and guidance
    teachers, shares and schools served, post-filling moves (apart from the rotation),
    and training moves to a group's lead school."""
    f = scenario.forms
    if not f.active:
        return {}
    pt = result.part_time
    out: dict = {}
    for form in ("part_time", "guidance"):
        rows = pt[pt["form"] == form]
        out[form] = {
            "teachers": int(rows["staff_id"].nunique()),
            "schools_served": int(rows["to_school"].nunique()),
            "teacher_equivalents": round(float(rows["share"].sum()), 6),
        }
    a = result.assignments
    pf = a["post_filling"].astype(bool) if "post_filling" in a else pd.Series(False, index=a.index)
    moved = a["moved"].astype(bool)
    out["post_filling"] = int((pf & moved).sum())
    # training-only candidates' moves count apart from the rotation too
    only = training_only_staff(district, scenario).reindex(a.index, fill_value=False)
    out["rotated"] = int((moved & ~pf & ~only).sum())
    if f.training_to_lead:
        tr = a["training_to_lead"].astype(bool) if "training_to_lead" in a else pf & False
        out["training_to_lead"] = int((tr & moved).sum())
    return {"forms": out}


def write_atomically(
    out: Path, force: bool, fill: Callable[[Path], None], marker: str | None = "output"
) -> Path:
    """Create folder ``out`` by ``fill`` -ing a temporary sibling, then renaming it.

    An existing non-empty ``out`` is refused unless ``force``, and with ``force`` unless
    lungang wrote it (:func:`solver.output.safety.is_lungang_folder`); a file ``out`` is always
    refused. On any error nothing is left behind; temporary siblings of killed runs are
    removed first. ``marker`` (what the folder holds) is written to the marker file
    :data:`solver.output.safety.MARKER`; ``None`` writes none (a plan folder is recognised by
    its files).
    """
    from .safety import clean_stale_temps, is_lungang_folder, temp_prefix, write_marker

    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(Problem(file=str(out), message="output exists and is not a folder"))
    out.parent.mkdir(parents=True, exist_ok=True)
    clean_stale_temps(out.parent)
    if out.exists() and any(out.iterdir()):
        if not force:
            raise InputError(
                Problem(
                    file=str(out),
                    message="output folder exists and is not empty; use --force to replace it",
                )
            )
        if not is_lungang_folder(out):
            raise InputError(
                Problem(
                    file=str(out),
                    message="output folder was not written by lungang: --force replaces only "
                    "lungang's own output",
                )
            )
    tmp = Path(tempfile.mkdtemp(prefix=temp_prefix(out), suffix=".tmp", dir=out.parent))
    try:
        fill(tmp)
        if marker is not None:
            write_marker(tmp, marker)
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=temp_prefix(out), suffix=".old", dir=out.parent))
            old.rmdir()
            out.rename(old)
            tmp.rename(out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def write_file_atomically(path: Path, fill: Callable[[Path], None]) -> Path:
    """Create file ``path`` by ``fill`` -ing a temporary sibling, then renaming it."""
    from .safety import clean_stale_temps, temp_prefix

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    clean_stale_temps(path.parent)
    fd, name = tempfile.mkstemp(prefix=temp_prefix(path), suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        fill(Path(name))
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return path


def write_plan(
    district: District,
    scenario: Scenario,
    result: Result,
    out: Path,
    force: bool = False,
    replan: dict | None = None,
    explain: dict | None = None,
    handoff: bool = True,
) -> Path:
    """Write ``assignments.csv``, ``schools.csv``, ``summary.json`` and, when given,
    ``explain.json`` into ``out``: what it is given, nothing computed but the tables.

    ``replan`` (from :func:`solver.search.replan.replan`) goes into ``summary.json``
    under ``replan``; ``explain`` is the score analysis
    (:func:`solver.analysis.explain.explain_result`). With ``handoff`` also
    ``plan.xlsx`` and ``report.html`` (:mod:`solver.output.handoff`), in the scenario's
    ``[output] lang``, inside the same atomic folder write; CSVs in its
    ``[output] csv_encoding``."""
    shares = result.part_time if scenario.forms.shares else None
    schools = schools_table(district, result.assignments, shares)
    info = summary(district, scenario, result, schools)
    if replan is not None:
        info["replan"] = _clean(replan)
    analysis = explain
    enc = scenario.output.csv_encoding

    def fill(tmp: Path) -> None:
        a = result.assignments.copy()
        a.index.name = "staff_id"
        extra = [c for c in PLACEMENT_COLUMNS if c in a.columns]
        extra += ["post_filling"] if "post_filling" in a.columns else []
        extra += ["training_to_lead"] if "training_to_lead" in a.columns else []
        a = a.reset_index()[ASSIGNMENT_COLUMNS + extra]
        a["moved"] = a["moved"].map({True: "true", False: "false"})
        if "post_filling" in a.columns:
            a["post_filling"] = a["post_filling"].astype(bool).map({True: "true", False: "false"})
        if "training_to_lead" in a.columns:
            a["training_to_lead"] = (
                a["training_to_lead"].astype(bool).map({True: "true", False: "false"})
            )
        write_csv(a, tmp / "assignments.csv", index=False, encoding=enc)
        if shares is not None:
            write_csv(
                shares[list(PART_TIME_COLUMNS)], tmp / "part_time.csv", index=False, encoding=enc
            )
        write_csv(schools, tmp / "schools.csv", encoding=enc)
        (tmp / "summary.json").write_text(
            json.dumps(info, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        if analysis is not None:
            write_json(tmp / "explain.json", analysis)
        if handoff:
            view = view_of(district, info, result.assignments, schools, _clean(analysis), shares)
            write_handoff(view, tmp, lang=scenario.output.lang)

    return write_atomically(out, force, fill, marker=None)


def write_json(path: Path, data: dict) -> None:
    """Write JSON (UTF-8, indented, NaN as null)."""
    Path(path).write_text(
        json.dumps(_clean(data), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )


def write_diagnosis(path: Path, diagnosis: dict) -> Path:
    """Write an infeasibility diagnosis as JSON to ``path``, atomically."""
    return write_file_atomically(Path(path), lambda tmp: write_json(tmp, diagnosis))
