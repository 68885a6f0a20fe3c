"""The public notice (公示名单) of a placed plan: who goes where, for posting.

Written as ``notice.csv`` and as a sheet of ``plan.xlsx`` for plans that use placement
(``[placement]`` or ``preferences.csv``: their ``summary.json`` has ``placement``). One
row per mover, sorted by the receiving school and then by points (most first); only
what a notice shows: no staff id, home, distance or key level.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..safe_text import write_csv
from .i18n import code, column
from .plan_view import PlanView

#: The notice's columns (``docs/outputs.md``).
NOTICE_COLUMNS: tuple[str, ...] = (
    "school",
    "name",
    "subject",
    "from",
    "to",
    "stint_years",
    "points",
    "wish_rank",
)


def has_notice(view: PlanView) -> bool:
    """Whether the plan gets a notice: it has movers and uses placement."""
    return view.assignments is not None and "placement" in view.summary


def notice_table(view: PlanView, lang: str = "en") -> pd.DataFrame:
    """The notice of ``view`` with headers and codes in ``lang``."""
    a = view.assignments
    moved = a[a["moved"].astype(bool)]
    names = view.school_names
    horizon = view.summary.get("scenario", {}).get("horizon", {})
    stint = int(horizon.get("stint_years", 1)) if isinstance(horizon, dict) else 1
    out = pd.DataFrame(
        {
            "school": moved["to_school"].astype(str).to_numpy(),
            "name": moved["name"].astype(str).to_numpy(),
            "subject": [code("subject", s, lang) if s == s and s else "" for s in moved["subject"]],
            "from": names.reindex(moved["from_school"].astype(str)).fillna("").to_numpy(),
            "to": names.reindex(moved["to_school"].astype(str)).fillna("").to_numpy(),
            "stint_years": stint,
            "points": pd.to_numeric(moved.get("points"), errors="coerce").to_numpy()
            if "points" in moved
            else float("nan"),
        }
    )
    rank = moved["wish_rank"] if "wish_rank" in moved else pd.Series(pd.NA, index=moved.index)
    out["wish_rank"] = pd.array(pd.to_numeric(rank, errors="coerce"), dtype="Int64")
    out = out.sort_values(
        ["school", "points", "name"], ascending=[True, False, True], kind="stable"
    )
    out = out.reset_index(drop=True)
    if lang == "zh":
        out.columns = [column(f"notice_{c}", lang) for c in NOTICE_COLUMNS]
    return out


def write_notice(view: PlanView, path: Path, lang: str = "en", encoding: str = "utf-8") -> Path:
    """Write ``notice.csv`` of ``view`` to ``path`` (not atomic by itself)."""
    write_csv(notice_table(view, lang), path, index=False, encoding=encoding)
    return Path(path)
