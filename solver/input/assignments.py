"""An earlier plan as input: a plan folder's ``assignments.csv`` and its columns, and the
JSON files of a plan folder; read like every other input (encodings, located errors)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ..errors import InputError, Problem
from ..safe_text import read_csv_text, unescape_frame
from .loaders import RowWidthError, TableReadError, bad_char_problems, read_table_file

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

#: Columns placement adds (``[placement]``, ``preferences.csv``): points, the lottery's
#: rank (ordinary teachers) and the rank of the new school in the person's wishes.
PLACEMENT_COLUMNS = ["points", "lottery_rank", "wish_rank"]


def read_plan_csv(path: Path, **kwargs) -> pd.DataFrame:
    """Read a CSV of a plan folder in any ``[output] csv_encoding`` (UTF-8 with or without
    a byte-order mark, or GB18030), with the formula prefix of :mod:`solver.safe_text`
    taken off; ``kwargs`` go to :func:`pandas.read_csv`.

    Raises
    ------
    InputError
        Naming the file, when it is in neither encoding or not a CSV pandas can read.
    """
    try:
        return read_csv_text(path, encoding="utf-8-sig", **kwargs)
    except InputError:
        return read_csv_text(path, encoding="gb18030", **kwargs)


def read_assignments(plan_dir: Path) -> pd.DataFrame:
    """Read a plan's ``assignments.csv`` (index ``staff_id``, ``moved`` as bool).

    Read through the loaders' reader (UTF-8 or GB18030, rows as in Excel), with the
    formula prefix of :mod:`solver.safe_text` taken off again.

    Raises
    ------
    InputError
        Naming the file (and the row): missing, not text, bad CSV, missing or repeated
        columns, a staff_id given twice.
    """
    path = Path(plan_dir) / "assignments.csv"
    file = str(path)
    if not path.is_file():
        raise InputError(Problem(file=file, message="plan has no assignments.csv"))
    try:
        a = read_table_file(path)
    except RowWidthError as exc:
        raise InputError(
            [
                Problem(file=file, row=r, message=f"{n} cells, more than the header's {exc.width}")
                for r, n in exc.rows
            ]
        ) from None
    except TableReadError as exc:
        raise InputError(Problem(file=file, row=exc.row, message=str(exc))) from None
    except OSError as exc:
        raise InputError(Problem(file=file, message=f"cannot read: {exc.strerror}")) from None
    bad = bad_char_problems(a, file, None) if len(a.columns) else []
    if bad:
        raise InputError(bad)
    a = unescape_frame(a)
    missing = [c for c in ASSIGNMENT_COLUMNS if c not in a.columns]
    if missing:
        raise InputError(Problem(file=file, message=f"missing columns: {', '.join(missing)}"))
    if a.columns.duplicated().any():
        dup = a.columns[a.columns.duplicated()][0]
        raise InputError(Problem(file=file, row=1, column=dup, message="column given twice"))
    repeats = a["staff_id"].duplicated(keep="first")
    if repeats.any():
        raise InputError(
            [
                Problem(
                    file=file,
                    row=int(r),
                    column="staff_id",
                    value=a.at[r, "staff_id"],
                    message="staff_id given twice in the plan",
                )
                for r in a.index[repeats][:20]
            ]
        )
    a = a[ASSIGNMENT_COLUMNS + [c for c in a.columns if c not in ASSIGNMENT_COLUMNS]]
    a["moved"] = a["moved"].str.lower().isin(["true", "1"])
    a["distance_km"] = pd.to_numeric(a["distance_km"], errors="coerce").fillna(0.0)
    return a.set_index("staff_id")


#: The columns a plan's ``part_time.csv`` must have (``[forms]``; ``docs/outputs.md``).
PART_TIME_REQUIRED = ["staff_id", "to_school", "share", "form"]


def read_part_time(plan_dir: Path) -> pd.DataFrame | None:
    """A plan's ``part_time.csv`` (``[forms]`` part-time and guidance shares), or ``None``
    when the folder has none; ``share`` as a number.

    Raises
    ------
    InputError
        Naming the file, when it cannot be read or lacks a required column.
    """
    path = Path(plan_dir) / "part_time.csv"
    if not path.is_file():
        return None
    pt = read_plan_csv(
        path,
        dtype={"staff_id": str, "home_school": str, "to_school": str, "form": str, "name": str},
        keep_default_na=False,
    )
    missing = [c for c in PART_TIME_REQUIRED if c not in pt.columns]
    if missing:
        raise InputError(Problem(file=str(path), message=f"missing columns: {', '.join(missing)}"))
    pt["share"] = pd.to_numeric(pt["share"], errors="coerce")
    return pt


def read_json_file(path: Path) -> object:
    """A JSON file of a plan folder (``summary.json`` ...); any damage is an InputError
    naming the file (and the line)."""
    path = Path(path)
    try:
        return json.loads(path.read_bytes().decode("utf-8"))
    except OSError as exc:
        raise InputError(Problem(file=str(path), message=f"cannot read: {exc.strerror}")) from None
    except UnicodeDecodeError:
        raise InputError(
            Problem(file=str(path), message="not UTF-8 text: not a file lungang wrote")
        ) from None
    except json.JSONDecodeError as exc:
        raise InputError(
            Problem(file=str(path), row=exc.lineno, message=f"not valid JSON: {exc.msg}")
        ) from None
    except RecursionError:
        raise InputError(Problem(file=str(path), message="JSON nested too deeply")) from None
