"""Writing the hand-on files of a plan: ``plan.xlsx`` and ``report.html`` together."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .notice import has_notice, write_notice
from .plan_view import PlanView
from .report import write_report
from .workbook import write_workbook


def write_handoff(view: PlanView, folder: Path, lang: str = "en") -> None:
    """Write ``plan.xlsx`` and ``report.html`` of ``view`` into ``folder`` (not atomic by
    itself: call it inside an atomic folder write, or see :func:`rewrite_handoff`)."""
    write_workbook(view, Path(folder) / "plan.xlsx", lang=lang)
    write_report(view, Path(folder) / "report.html", lang=lang)
    if has_notice(view):
        write_notice(view, Path(folder) / "notice.csv", lang=lang, encoding=_encoding(view))


def _encoding(view: PlanView) -> str:
    """The plan's ``[output] csv_encoding`` (as its summary.json holds the scenario)."""
    out = view.summary.get("scenario", {}).get("output", {})
    return str(out.get("csv_encoding", "utf-8")) if isinstance(out, dict) else "utf-8"


def rewrite_handoff(view: PlanView, folder: Path, lang: str = "en") -> list[Path]:
    """(Re)write ``plan.xlsx`` and ``report.html`` (and, for a placed plan, the public
    notice ``notice.csv``) in an existing folder, each atomically: all are written to
    temporary files first and renamed only when all succeeded."""
    folder = Path(folder)
    targets = [folder / "plan.xlsx", folder / "report.html"]
    writers = [write_workbook, write_report]
    if has_notice(view):
        targets.append(folder / "notice.csv")
        writers.append(lambda v, p, lang: write_notice(v, p, lang=lang, encoding=_encoding(v)))
    temps: list[Path] = []
    try:
        for target, writer in zip(targets, writers, strict=True):
            fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
            os.close(fd)
            temps.append(Path(name))
            writer(view, Path(name), lang=lang)
        for tmp, target in zip(temps, targets, strict=True):
            os.replace(tmp, target)
    finally:
        for tmp in temps:
            tmp.unlink(missing_ok=True)
    return targets
