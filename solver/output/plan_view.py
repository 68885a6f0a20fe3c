"""One plan as the hand-on outputs (``plan.xlsx``, ``report.html``) need it.

A :class:`PlanView` is built either in memory, right after a solve (:func:`view_of`), or
from a plan folder on disk (:func:`read_plan_view`), so that ``lungang solve``,
``lungang report`` and a batch of districts all write the same files from the same
object. A folder that holds only ``diagnosis.json`` (the rules cannot all hold) gives a
view without assignments.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InputError, Problem
from ..input.assignments import read_assignments, read_part_time, read_plan_csv
from ..input.data import District


@dataclass(frozen=True)
class PlanView:
    """Everything the workbook and the report show of one plan.

    Attributes
    ----------
    name
        The scenario's name.
    summary
        ``summary.json`` as a dict (``{}`` for a diagnosis-only folder).
    assignments
        ``assignments.csv`` indexed by ``staff_id``, or ``None`` when there is no plan.
    schools
        The plan's ``schools.csv`` indexed by ``school_id`` (``None`` when no plan).
    coords
        ``lat``, ``lon`` and ``name`` of every school, indexed by ``school_id``.
    explain
        ``explain.json`` as a dict, or ``None``.
    diagnosis
        The infeasibility diagnosis, or ``None``.
    """

    name: str
    summary: dict[str, Any]
    assignments: pd.DataFrame | None
    schools: pd.DataFrame | None
    coords: pd.DataFrame | None
    explain: dict[str, Any] | None = None
    diagnosis: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def school_names(self) -> pd.Series:
        """School name by ``school_id`` (empty when unknown)."""
        if self.schools is not None and "name" in self.schools:
            return self.schools["name"].astype(str)
        if self.coords is not None and "name" in self.coords:
            return self.coords["name"].astype(str)
        return pd.Series(dtype=str)


def _coords(district: District | None) -> pd.DataFrame | None:
    if district is None:
        return None
    s = district.schools
    return s[["name", "lat", "lon", "level", "locality", "tier"]].copy()


def view_of(
    district: District,
    summary: dict[str, Any],
    assignments: pd.DataFrame,
    schools: pd.DataFrame,
    explain: dict[str, Any] | None,
    part_time: pd.DataFrame | None = None,
) -> PlanView:
    """The view of a plan just solved (the objects
    :func:`solver.output.plan_folder.write_plan` writes); ``part_time``: the shares of
    ``[forms]`` (``extra["part_time"]``), ``None`` without them."""
    a = assignments.copy()
    a.index.name = "staff_id"
    return PlanView(
        name=str(summary.get("scenario", {}).get("scenario", {}).get("name", "plan")),
        summary=summary,
        assignments=a,
        schools=schools,
        coords=_coords(district),
        explain=explain,
        extra={} if part_time is None else {"part_time": part_time},
    )


def diagnosis_view(district: District | None, name: str, diagnosis: dict[str, Any]) -> PlanView:
    """The view of a scenario whose rules cannot all hold."""
    return PlanView(
        name=name,
        summary={"status": "infeasible"},
        assignments=None,
        schools=None,
        coords=_coords(district),
        diagnosis=diagnosis,
    )


def _json(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(Problem(file=str(path), message=f"not readable JSON: {exc}")) from None
    if not isinstance(data, dict):
        raise InputError(Problem(file=str(path), message="expected a JSON object"))
    return data


def read_plan_view(plan_dir: Path, district: District | None) -> PlanView:
    """The view of a plan folder: ``assignments.csv``, ``schools.csv``, ``summary.json``,
    ``explain.json`` (optional), or ``diagnosis.json`` alone.

    Raises
    ------
    InputError
        When the folder holds neither a plan nor a diagnosis, or a file is unreadable.
    """
    plan_dir = Path(plan_dir)
    summary = _json(plan_dir / "summary.json")
    diagnosis = _json(plan_dir / "diagnosis.json")
    if not (plan_dir / "assignments.csv").is_file():
        if diagnosis is None:
            raise InputError(
                Problem(
                    file=str(plan_dir),
                    message="not a plan folder: no assignments.csv and no diagnosis.json",
                )
            )
        name = str(diagnosis.get("scenario", plan_dir.name))
        return diagnosis_view(district, name, diagnosis)
    if summary is None:
        raise InputError(Problem(file=str(plan_dir / "summary.json"), message="missing"))
    a = read_assignments(plan_dir)
    s = read_plan_csv(plan_dir / "schools.csv", dtype={"school_id": str, "group": str})
    s = s.set_index("school_id")
    for col in ("name", "group", "zone"):
        if col in s:
            # an all-empty column is read as float: fill as text, not into float64
            s[col] = s[col].astype(object).where(s[col].notna(), "").astype(str)
    name = str(summary.get("scenario", {}).get("scenario", {}).get("name", plan_dir.name))
    extra = {}
    part_time = read_part_time(plan_dir)
    if part_time is not None:
        extra["part_time"] = part_time
    return PlanView(
        name=name,
        summary=summary,
        assignments=a,
        schools=s,
        coords=_coords(district),
        explain=_json(plan_dir / "explain.json"),
        diagnosis=diagnosis,
        extra=extra,
    )
