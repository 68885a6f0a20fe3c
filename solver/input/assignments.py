"""An earlier plan as input: a plan folder's ``assignments.csv`` and its columns."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import InputError, Problem

ASSIGNMENT_COLUMNS = [
    "staff_id",
    "name",
    "role",
    "stream",
    "subject",
    "key_level",
    "from_school",
    "to_school",
    "moved",
    "distance_km",
]


def read_plan_csv(path: Path, **kwargs) -> pd.DataFrame:
    """Read a CSV of a plan folder in any ``[output] csv_encoding`` (UTF-8 with or without
    a byte-order mark, or GB18030); ``kwargs`` go to :func:`pandas.read_csv`."""
    try:
        return pd.read_csv(path, encoding="utf-8-sig", **kwargs)
    except UnicodeDecodeError:
        return pd.read_csv(path, encoding="gb18030", **kwargs)


def read_assignments(plan_dir: Path) -> pd.DataFrame:
    """Read a plan's ``assignments.csv`` (index ``staff_id``, ``moved`` as bool)."""
    path = Path(plan_dir) / "assignments.csv"
    if not path.is_file():
        raise InputError(Problem(file=str(path), message="plan has no assignments.csv"))
    a = read_plan_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in ASSIGNMENT_COLUMNS if c not in a.columns]
    if missing:
        raise InputError(Problem(file=str(path), message=f"missing columns: {', '.join(missing)}"))
    a["moved"] = a["moved"].str.lower().isin(["true", "1"])
    a["distance_km"] = pd.to_numeric(a["distance_km"], errors="coerce").fillna(0.0)
    return a.set_index("staff_id")
