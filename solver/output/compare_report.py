"""The comparison's tables (Markdown), its trade-off plot and its output folder."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis.compare import with_objective
from ..analysis.metrics import MEASURES
from ..input.data import District
from ..input.scenario import Scenario
from ..model.terms import TERM, TERMS
from ..plan.result import Result
from ..rules.indicators import LEVEL_PARTS, MAX_CV
from ..safe_text import write_csv
from .plan_folder import write_atomically, write_plan


def plot_pareto(
    frame: pd.DataFrame, path: Path, terms: tuple[str, str], title: str, measure: str
) -> None:
    """Write the front as a PNG: the two terms, and (for ``balance``) each difference
    coefficient against the second term, with the standard's thresholds."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    first, second = terms
    dcs = [c for c in frame.columns if c.startswith("dc_")] if first == "balance" else []
    fig, axes = plt.subplots(1, 2 if dcs else 1, figsize=(11 if dcs else 6, 4.2), squeeze=False)
    ax = axes[0][0]
    f = frame.sort_values(first)
    ax.plot(f[first], f[second], "-o", color="tab:blue", zorder=2)
    for kind, marker, color in (
        (f"{first}_optimal", "s", "tab:green"),
        (f"{second}_optimal", "D", "tab:red"),
    ):
        sel = f[f["point"] == kind]
        ax.scatter(
            sel[first],
            sel[second],
            marker=marker,
            s=70,
            color=color,
            zorder=3,
            label=kind.replace("_", " "),
        )
    names = {
        "cv": "cv: 100·Σ CV²",
        "l1": "l1: 100·Σ w·|x − m|/m",
        "minmax": "minmax: 100·(max − min)/m",
    }
    xlabel = f"balance ({names.get(measure, measure)})" if first == "balance" else TERM[first].label
    ax.set_xlabel(xlabel)
    ax.set_ylabel(TERM[second].label)
    ax.set_title("trade-off (epsilon-constraint)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    if dcs:
        ax2 = axes[0][1]
        for c in dcs:
            ax2.plot(f[c], f[second], "-o", label=c[3:].replace("_per_100", "/100"))
        for level in sorted({c.rsplit("_", 1)[1] for c in dcs}):
            ax2.axvline(MAX_CV[level], ls="--", lw=0.8, color="grey")
            ax2.annotate(
                f"max {level}",
                (MAX_CV[level], 1),
                xycoords=("data", "axes fraction"),
                rotation=90,
                va="top",
                ha="right",
                fontsize=7,
                color="grey",
            )
        ax2.set_xlabel("difference coefficient after")
        ax2.set_ylabel(TERM[second].label)
        ax2.set_title("difference coefficients along the front")
        ax2.grid(alpha=0.3)
        ax2.legend(fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _fmt(v, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, bool | np.bool_):
        return "yes" if v else "no"
    if isinstance(v, int | np.integer):
        return str(int(v))
    if isinstance(v, float | np.floating):
        return f"{v:.{digits}f}"
    return str(v)


def markdown_table(frame: pd.DataFrame, scenario: Scenario) -> str:
    """The comparison as a Markdown table (the CSV has every column, unrounded)."""
    heads = ["objective"]
    modes = frame["mode"] if "mode" in frame else pd.Series([""] * len(frame))
    cells: list[list[str]] = [
        [
            f"{o} (balance first)" if m == "balance_first" and o != "lexicographic" else str(o)
            for o, m in zip(frame["objective"], modes.fillna(""), strict=True)
        ]
    ]
    keys = [
        (ind, lvl)
        for ind in scenario.balance.indicators
        for lvl in LEVEL_PARTS
        if f"dc_{ind}_{lvl}" in frame
    ]

    def col(head: str, values) -> None:
        heads.append(head)
        cells.append(list(values))

    for ind, lvl in keys:
        short = f"{ind.removesuffix('_per_100')} {lvl}"
        col(f"CV {short}", (_fmt(v) for v in frame[f"dc_{ind}_{lvl}"]))
    for ind, lvl in keys:
        short = f"{ind.removesuffix('_per_100')} {lvl}"
        col(
            f"worst {short}",
            (
                f"{s} ({_fmt(v, 2)})"
                for s, v in zip(
                    frame[f"worst_{ind}_{lvl}"], frame[f"worst_value_{ind}_{lvl}"], strict=True
                )
            ),
        )
        col(f"below std {short}", (_fmt(v) for v in frame[f"below_{ind}_{lvl}"]))
    for kind in MEASURES:
        col(f"{kind} measure", (_fmt(v) for v in frame[f"measure_{kind}"]))
    col("moves", (_fmt(v) for v in frame["moves"]))
    col("commute km", (_fmt(v, 1) for v in frame["commute_km"]))
    col("longest km", (_fmt(v, 1) for v in frame["longest_commute_km"]))
    col("solve s", (_fmt(v, 1) for v in frame.get("solve_seconds", [None] * len(frame))))
    col("gap", (_fmt(v, 4) for v in frame.get("gap", [None] * len(frame))))
    # what the gap is measured against (kept_candidates: the kept moves only)
    col("bound scope", (str(v or "") for v in frame.get("bound_scope", [None] * len(frame))))
    col("status", (str(v) for v in frame["status"]))
    col(
        "valid",
        (
            _fmt(v) if isinstance(v, bool | np.bool_) else ""
            for v in frame.get("valid", [None] * len(frame))
        ),
    )
    rows = list(zip(*cells, strict=True))
    lines = ["| " + " | ".join(heads) + " |", "|" + "|".join("---" for _ in heads) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def pareto_markdown(frame: pd.DataFrame, terms: tuple[str, str]) -> str:
    cols = [
        "point",
        "epsilon",
        *TERMS,
        *[c for c in frame.columns if c.startswith("dc_")],
        "optimal",
        "valid",
    ]
    lines = [
        "| " + " | ".join(c.removeprefix("dc_") for c in cols) + " |",
        "|" + "|".join("---" for _ in cols) + "|",
    ]
    for _, r in frame.iterrows():
        cells = [
            _fmt(int(r[c]) if c == "moves" else r[c], 4 if c in ("balance", "epsilon") else 3)
            for c in cols
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_comparison(
    out: Path,
    force: bool,
    district: District,
    scenario: Scenario,
    table: pd.DataFrame | None,
    results: dict[str, Result],
    explains: dict[str, dict],
    front: pd.DataFrame | None,
    pareto_terms: tuple[str, str] | None,
) -> Path:
    """Write a comparison folder, atomically: ``compare.csv``, ``compare.md`` and each
    plan (``plans/<objective>/``, with its ``explains`` entry as ``explain.json``), and
    for a sweep ``pareto.csv``, ``pareto.md`` and ``pareto.png``."""

    def fill(tmp: Path) -> None:
        if table is not None:
            write_csv(table, tmp / "compare.csv", index=False)
            (tmp / "compare.md").write_text(markdown_table(table, scenario), encoding="utf-8")
            for name, res in results.items():
                write_plan(
                    district,
                    with_objective(scenario, name),
                    res,
                    tmp / "plans" / name,
                    explain=explains.get(name),
                )
        if front is not None and pareto_terms is not None:
            write_csv(front, tmp / "pareto.csv", index=False)
            (tmp / "pareto.md").write_text(pareto_markdown(front, pareto_terms), encoding="utf-8")
            plot_pareto(
                front,
                tmp / "pareto.png",
                pareto_terms,
                f"{scenario.name}: {pareto_terms[0]} vs {pareto_terms[1]}",
                scenario.balance.kind,
            )

    return write_atomically(out, force, fill, marker="compare")
