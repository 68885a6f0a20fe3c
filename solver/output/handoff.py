"""Writing the hand-on files of a plan: ``plan.xlsx`` and ``report.html`` together."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .plan_view import PlanView
from .report import write_report
from .workbook import write_workbook


def write_handoff(view: PlanView, folder: Path, lang: str = "en") -> None:
    """Write ``plan.xlsx`` and ``report.html`` of ``view`` into ``folder`` (not atomic by
    itself: call it inside an atomic folder write, or see :func:`rewrite_handoff`)."""
    write_workbook(view, Path(folder) / "plan.xlsx", lang=lang)
    write_report(view, Path(folder) / "report.html", lang=lang)


def rewrite_handoff(view: PlanView, folder: Path, lang: str = "en") -> list[Path]:
    """(Re)write ``plan.xlsx`` and ``report.html`` in an existing folder, each atomically:
    both are written to temporary files first and renamed only when both succeeded."""
    folder = Path(folder)
    targets = [folder / "plan.xlsx", folder / "report.html"]
    temps: list[Path] = []
    try:
        for target, writer in zip(targets, (write_workbook, write_report), strict=True):
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
