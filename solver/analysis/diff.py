"""Compare two plan folders: who moves differently, and how the indicators, terms and
counts differ (``lungang diff PLAN_A PLAN_B``).

Works on the plan folders alone (``assignments.csv``, ``schools.csv``,
``summary.json``); no data or scenario is needed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InputError, Problem
from ..input.assignments import read_assignments, read_json_file, read_part_time, read_plan_csv

INDICATORS = ("key_per_100", "pe_art_per_100", "qualified_per_100")


def _summary(plan: Path) -> dict:
    f = plan / "summary.json"
    if not f.is_file():
        raise InputError(Problem(file=str(f), message="plan has no summary.json"))
    info = read_json_file(f)
    if not isinstance(info, dict):
        raise InputError(Problem(file=str(f), message="not a plan summary (a JSON object)"))
    return info


def _schools(plan: Path) -> pd.DataFrame | None:
    f = plan / "schools.csv"
    if not f.is_file():
        return None
    return read_plan_csv(f, dtype={"school_id": str}).set_index("school_id")


def _num(x) -> float | None:
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else x


def _delta(a, b):
    a, b = _num(a), _num(b)
    return None if a is None or b is None else b - a


def diff_plans(plan_a: str | Path, plan_b: str | Path) -> dict[str, Any]:
    """The differences between two plans.

    Returns a dict with ``people`` (each person whose decision differs: ``staff_id``,
    ``name``, ``from_school``, ``a`` and ``b`` (school at the end of the year, or
    ``None`` when not in that plan)), ``counts``, ``terms``, ``objective``,
    ``coefficients`` (per indicator and level: before, after in A, after in B) and
    ``schools`` (per school whose after-values differ: in/outflow and indicators).
    """
    plan_a, plan_b = Path(plan_a), Path(plan_b)
    a, b = read_assignments(plan_a), read_assignments(plan_b)
    sa, sb = _summary(plan_a), _summary(plan_b)
    ids = a.index.union(b.index, sort=False)
    people = []
    for sid in ids:
        ra = a.loc[sid] if sid in a.index else None
        rb = b.loc[sid] if sid in b.index else None
        to_a = None if ra is None else str(ra["to_school"])
        to_b = None if rb is None else str(rb["to_school"])
        if to_a == to_b:
            continue
        r = ra if ra is not None else rb
        people.append(
            {
                "staff_id": str(sid),
                "name": str(r["name"]),
                "stream": str(r["stream"]),
                "subject": str(r["subject"]),
                "from_school": str(r["from_school"]),
                "a": to_a,
                "b": to_b,
                "moved_a": None if ra is None else bool(ra["moved"]),
                "moved_b": None if rb is None else bool(rb["moved"]),
            }
        )
    counts = {}
    ca, cb = sa.get("counts", {}), sb.get("counts", {})
    for k in ("eligible", "moved"):
        counts[k] = {"a": ca.get(k), "b": cb.get(k), "delta": _delta(ca.get(k), cb.get(k))}
    for k in ("moved_by_stream", "eligible_by_stream"):
        keys = sorted(set(ca.get(k, {})) | set(cb.get(k, {})))
        for s in keys:
            va, vb = ca.get(k, {}).get(s, 0), cb.get(k, {}).get(s, 0)
            counts[f"{k.split('_by_')[0]}_{s}"] = {"a": va, "b": vb, "delta": vb - va}
    terms = {}
    for t in sorted(set(sa.get("terms", {})) | set(sb.get("terms", {}))):
        ta, tb = sa.get("terms", {}).get(t, {}), sb.get("terms", {}).get(t, {})
        terms[t] = {
            "weight_a": ta.get("weight"),
            "weight_b": tb.get("weight"),
            "a": ta.get("value"),
            "b": tb.get("value"),
            "delta": _delta(ta.get("value"), tb.get("value")),
        }
    coefs = []
    for ind in sorted(set(sa.get("coefficients", {})) | set(sb.get("coefficients", {}))):
        for lvl in ("primary", "junior"):
            pa = sa.get("coefficients", {}).get(ind, {}).get(lvl, {})
            pb = sb.get("coefficients", {}).get(ind, {}).get(lvl, {})
            coefs.append(
                {
                    "indicator": ind,
                    "level": lvl,
                    "before_a": pa.get("before"),
                    "before_b": pb.get("before"),
                    "a": pa.get("after"),
                    "b": pb.get("after"),
                    "delta": _delta(pa.get("after"), pb.get("after")),
                }
            )
    schools = []
    ta, tb = _schools(plan_a), _schools(plan_b)
    if ta is not None and tb is not None:
        for s in ta.index.union(tb.index, sort=False):
            row: dict[str, Any] = {"school_id": str(s)}
            differs = False
            for col in (
                "inflow",
                "outflow",
                "teachers_after",
                "key_teachers_after",
                *(f"{i}_after" for i in INDICATORS),
            ):
                va = _num(ta.at[s, col]) if s in ta.index and col in ta.columns else None
                vb = _num(tb.at[s, col]) if s in tb.index and col in tb.columns else None
                row[col] = {"a": va, "b": vb}
                if va != vb and not (va is not None and vb is not None and abs(va - vb) < 1e-12):
                    differs = True
            if differs:
                schools.append(row)
    return {
        "a": str(plan_a),
        "b": str(plan_b),
        "status": {"a": sa.get("status"), "b": sb.get("status")},
        "objective": {
            "a": sa.get("objective"),
            "b": sb.get("objective"),
            "delta": _delta(sa.get("objective"), sb.get("objective")),
        },
        "people_differ": len(people),
        "people": people,
        "counts": counts,
        "terms": terms,
        "coefficients": coefs,
        "schools": schools,
        "same_scenario": sa.get("scenario") == sb.get("scenario"),
        **_forms_diff(plan_a, plan_b, sa, sb),
    }


def _share_keys(plan: Path) -> set[tuple[str, str, str, float]] | None:
    pt = read_part_time(plan)
    if pt is None:
        return None
    return {
        (str(r.staff_id), str(r.to_school), str(r.form), round(float(r.share), 1))
        for r in pt.itertuples(index=False)
    }


def _forms_diff(plan_a: Path, plan_b: Path, sa: dict, sb: dict) -> dict[str, Any]:
    """``[forms]``: the shares of ``part_time.csv`` in one plan only, and the forms'
    counts of ``summary.json`` (nothing when neither plan has forms)."""
    ka, kb = _share_keys(plan_a), _share_keys(plan_b)
    fa, fb = sa.get("forms"), sb.get("forms")
    if ka is None and kb is None and fa is None and fb is None:
        return {}
    ka, kb = ka or set(), kb or set()

    def rows(keys) -> list[dict[str, Any]]:
        return [
            {"staff_id": s, "to_school": t, "form": f, "share": v} for s, t, f, v in sorted(keys)
        ]

    return {
        "forms": {
            "shares": {"a": len(ka), "b": len(kb)},
            "only_a": rows(ka - kb),
            "only_b": rows(kb - ka),
            "post_filling": {
                "a": (fa or {}).get("post_filling"),
                "b": (fb or {}).get("post_filling"),
            },
            "training_to_lead": {
                "a": (fa or {}).get("training_to_lead"),
                "b": (fb or {}).get("training_to_lead"),
            },
        }
    }


def _f(x, nd: int = 4) -> str:
    if x is None:
        return "-"
    if isinstance(x, float) and not x.is_integer():
        return f"{x:.{nd}f}"
    return f"{x:g}" if isinstance(x, float) else str(x)


def format_diff(d: dict[str, Any], limit: int = 50) -> str:
    """The differences as text tables for the terminal."""
    lines = [f"A: {d['a']} ({d['status']['a']})", f"B: {d['b']} ({d['status']['b']})"]
    if not d["same_scenario"]:
        lines.append("(the plans were made under different scenarios)")
    o = d["objective"]
    lines.append(f"objective: A {_f(o['a'])}  B {_f(o['b'])}  B−A {_f(o['delta'])}")
    lines.append("")
    lines.append(f"{'term':<12} {'A':>14} {'B':>14} {'B−A':>14}")
    for t, v in d["terms"].items():
        lines.append(f"{t:<12} {_f(v['a']):>14} {_f(v['b']):>14} {_f(v['delta']):>14}")
    lines.append("")
    lines.append(f"{'count':<22} {'A':>6} {'B':>6} {'B−A':>6}")
    for k, v in d["counts"].items():
        lines.append(f"{k:<22} {_f(v['a']):>6} {_f(v['b']):>6} {_f(v['delta']):>6}")
    lines.append("")
    lines.append(f"{'coefficient':<28} {'before':>8} {'A':>8} {'B':>8} {'B−A':>8}")
    for c in d["coefficients"]:
        lines.append(
            f"{c['indicator'] + ' ' + c['level']:<28} {_f(c['before_a']):>8} {_f(c['a']):>8} "
            f"{_f(c['b']):>8} {_f(c['delta']):>8}"
        )
    lines.append("")
    n = d["people_differ"]
    lines.append(f"{n} {'person' if n == 1 else 'people'} decided differently")
    if d["people"]:
        lines.append(
            f"  {'staff_id':<10} {'stream':<10} {'subject':<10} {'from':<8} {'A':<10} {'B':<10}"
        )
        for p in d["people"][:limit]:
            a = (
                "(absent)"
                if p["a"] is None
                else ("stays" if p["a"] == p["from_school"] else p["a"])
            )
            b = (
                "(absent)"
                if p["b"] is None
                else ("stays" if p["b"] == p["from_school"] else p["b"])
            )
            lines.append(
                f"  {p['staff_id']:<10} {p['stream']:<10} {p['subject'] or '-':<10} {p['from_school']:<8} "
                f"{a:<10} {b:<10}"
            )
        if len(d["people"]) > limit:
            lines.append(f"  ... and {len(d['people']) - limit} more (--format json lists all)")
    if "forms" in d:
        fm = d["forms"]
        lines.append("")
        lines.append(
            f"part-time and guidance shares: A {fm['shares']['a']}  B {fm['shares']['b']}; "
            f"{len(fm['only_a'])} only in A, {len(fm['only_b'])} only in B; post filling: "
            f"A {_f(fm['post_filling']['a'])}  B {_f(fm['post_filling']['b'])}"
        )
        tr = fm.get("training_to_lead") or {}
        if tr.get("a") is not None or tr.get("b") is not None:
            lines.append(
                f"young teachers to the lead school: A {_f(tr.get('a'))}  B {_f(tr.get('b'))}"
            )
        for side in ("only_a", "only_b"):
            for r in fm[side][:limit]:
                lines.append(
                    f"  {side[-1].upper()}: {r['staff_id']} → {r['to_school']} {r['share']:g} "
                    f"({r['form']})"
                )
    if d["schools"]:
        lines.append("")
        lines.append(f"{len(d['schools'])} schools end differently")
        lines.append(
            f"  {'school':<8} {'in A':>5} {'in B':>5} {'out A':>6} {'out B':>6} {'key/100 A':>10} {'key/100 B':>10}"
        )
        for s in d["schools"][:limit]:
            k = s["key_per_100_after"]
            lines.append(
                f"  {s['school_id']:<8} {_f(s['inflow']['a']):>5} {_f(s['inflow']['b']):>5} "
                f"{_f(s['outflow']['a']):>6} {_f(s['outflow']['b']):>6} {_f(k['a'], 3):>10} {_f(k['b'], 3):>10}"
            )
    return "\n".join(lines)


def diff_horizons(plan_a: str | Path, plan_b: str | Path) -> dict[str, Any]:
    """Two multi-year plan folders (``lungang plan``), year by year: ``years`` holds, per
    year both have, ``year`` and :func:`diff_plans` of the two ``yearN/`` folders;
    ``only_a`` / ``only_b`` the years one plan has and the other has not."""
    plan_a, plan_b = Path(plan_a), Path(plan_b)

    def years(p: Path) -> set[int]:
        return {
            int(f.name[4:]) for f in p.glob("year[0-9]*") if f.is_dir() and f.name[4:].isdigit()
        }

    ya, yb = years(plan_a), years(plan_b)
    return {
        "years": [
            {"year": y, **diff_plans(plan_a / f"year{y}", plan_b / f"year{y}")}
            for y in sorted(ya & yb)
        ],
        "only_a": sorted(ya - yb),
        "only_b": sorted(yb - ya),
    }


def format_horizon_diff(
    d: dict[str, Any], year_text: Callable[[dict[str, Any]], str] | None = None
) -> str:
    """:func:`diff_horizons` as text: each year's diff (``year_text``, default
    :func:`format_diff`) under a heading."""
    text = year_text or format_diff
    parts = [f"== year {y['year']} ==\n{text(y)}" for y in d["years"]]
    for key, side in (("only_a", "PLAN_A"), ("only_b", "PLAN_B")):
        if d[key]:
            parts.append(f"years only in {side}: {', '.join(map(str, d[key]))}")
    return "\n\n".join(parts)
