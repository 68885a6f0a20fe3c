"""The batch's tables: ``batch.csv`` and ``batch.md``, one row per district and a city row.

Plain writers of the rows :mod:`solver.batch.task` returns; they compute nothing but
the city totals.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ..rules.indicators import STANDARD_MIN
from ..safe_text import write_csv
from .plan_folder import write_file_atomically

LEVELS = ("primary", "junior")

#: The coefficient columns: per indicator and level, before and after.
CV_COLUMNS = tuple(
    f"cv_{ind}_{lvl}_{side}"
    for ind in STANDARD_MIN
    for lvl in LEVELS
    for side in ("before", "after")
)

#: Columns of ``batch.csv``, in order.
COLUMNS = (
    "scenario",
    "status",
    "schools",
    "staff",
    "eligible",
    "moved",
    "moved_principal",
    "moved_key",
    "moved_ordinary",
    *CV_COLUMNS,
    "objective",
    "bound",
    "gap",
    "bound_scope",
    "build_seconds",
    "search_seconds",
    "task_seconds",
    "peak_memory_mb",
    "worker",
    "retried_from",
    "resumed",
    "folder",
    "file",
    "message",
)

_SUMS = (
    "schools",
    "staff",
    "eligible",
    "moved",
    "moved_principal",
    "moved_key",
    "moved_ordinary",
    "objective",
    "bound",
    "build_seconds",
    "search_seconds",
    "task_seconds",
)

_COUNTS = (
    "schools",
    "staff",
    "eligible",
    "moved",
    "moved_principal",
    "moved_key",
    "moved_ordinary",
)

#: The ``scenario`` cell of the totals row.
CITY = "city (total)"


def batch_frame(rows: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """The rows in :data:`COLUMNS` order, plus the city row.

    The city row sums counts, objectives, bounds and seconds over the districts with a
    plan (counts of staff and schools over all read), gives the gap of the sums, the
    largest peak memory, and ``status`` as "planned of total"; coefficients stay empty
    (a city coefficient needs the pooled schools, not the districts' coefficients).
    """
    frame = pd.DataFrame(list(rows)).reindex(columns=list(COLUMNS))
    planned = frame["status"].isin(["optimal", "feasible"])
    city: dict[str, Any] = {
        "scenario": CITY,
        "status": f"{int(planned.sum())} of {len(frame)} planned",
    }
    for col in _SUMS:
        values = pd.to_numeric(frame[col], errors="coerce")
        if col in ("objective", "bound") or col.startswith("moved"):
            values = values[planned]
        city[col] = values.sum(min_count=1)
    for col in _COUNTS:
        city[col] = int(city[col]) if not pd.isna(city[col]) else pd.NA
    obj, bound = city["objective"], city["bound"]
    city["gap"] = (
        abs(obj - bound) / max(abs(obj), 1e-9) if not (pd.isna(obj) or pd.isna(bound)) else math.nan
    )
    city["bound_scope"] = _city_scope(frame["bound_scope"][planned])
    city["peak_memory_mb"] = pd.to_numeric(frame["peak_memory_mb"], errors="coerce").max()
    frame = pd.concat([frame, pd.DataFrame([city])], ignore_index=True)
    for col in _COUNTS:  # whole numbers in the CSV, empty where there is none
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("Int64")
    return frame


#: Bound scopes from the strongest to the weakest claim (``summary.json`` ``bound_scope``).
_SCOPE_ORDER = ("full_model", "full_lp", "lagrangian", "kept_candidates")


def _city_scope(scopes: pd.Series) -> str:
    """What the sum of the districts' bounds holds for: the weakest of their scopes (a
    sum is a bound of the city's problems as written only when every term is)."""
    known = [s for s in scopes.dropna().astype(str) if s in _SCOPE_ORDER]
    return max(known, key=_SCOPE_ORDER.index) if known else ""


def write_batch_csv(path: Path, frame: pd.DataFrame) -> Path:
    """Write ``batch.csv`` (UTF-8) atomically."""
    return write_file_atomically(Path(path), lambda p: write_csv(frame, p, index=False))


def _num(x: Any, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA:
        return ""
    if isinstance(x, float):
        return f"{x:.{digits}f}" if not x.is_integer() or digits else f"{int(x)}"
    return str(x)


def _cell(text: Any) -> str:
    return (
        ""
        if text is None or (isinstance(text, float) and math.isnan(text))
        else str(text).replace("|", "\\|").replace("\n", " ")
    )


def batch_markdown(frame: pd.DataFrame, title: str = "Batch") -> str:
    """``batch.md``: the districts' table (coefficients as before → after) and the failures."""
    head = [
        "scenario",
        "status",
        "staff",
        "eligible",
        "moved (principal/key/ordinary)",
        *[f"{ind} {lvl}" for ind in STANDARD_MIN for lvl in LEVELS],
        "objective",
        "bound",
        "gap %",
        "bound scope",
        "build s",
        "search s",
        "peak MB",
        "worker",
    ]
    lines = [f"# {title}", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for _, r in frame.iterrows():
        cvs = []
        for ind in STANDARD_MIN:
            for lvl in LEVELS:
                b, a = _num(r[f"cv_{ind}_{lvl}_before"]), _num(r[f"cv_{ind}_{lvl}_after"])
                cvs.append(f"{b} → {a}" if a else b)
        moved = "/".join(_num(r[f"moved_{s}"], 0) for s in ("principal", "key", "ordinary"))
        gap = r["gap"]
        cells = [
            _cell(r["scenario"]),
            _cell(r["status"]),
            _num(r["staff"], 0),
            _num(r["eligible"], 0),
            f"{_num(r['moved'], 0)} ({moved})" if _num(r["moved"], 0) else "",
            *cvs,
            _num(r["objective"], 4),
            _num(r["bound"], 4),
            "" if pd.isna(gap) else f"{100 * float(gap):.2f}",
            _cell(r["bound_scope"]),
            _num(r["build_seconds"], 1),
            _num(r["search_seconds"], 1),
            _num(r["peak_memory_mb"], 0),
            _cell(r["worker"]),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    failed = frame[~frame["status"].isin(["optimal", "feasible"]) & (frame["scenario"] != CITY)]
    if len(failed):
        lines += ["", "## Without a plan", ""]
        for _, r in failed.iterrows():
            lines.append(f"- **{_cell(r['scenario'])}** ({r['status']}): {_cell(r['message'])}")
    return "\n".join(lines) + "\n"


def write_batch_md(path: Path, frame: pd.DataFrame, title: str = "Batch") -> Path:
    """Write ``batch.md`` atomically."""
    text = batch_markdown(frame, title)
    return write_file_atomically(Path(path), lambda p: p.write_text(text, encoding="utf-8"))
