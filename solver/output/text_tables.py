"""The text tables of ``lungang explain``, ``lungang diff`` and of an infeasible
scenario's diagnosis, in the language asked for.

English is exactly what the analyses print (:func:`solver.analysis.explain.format_explain`,
:func:`solver.analysis.diff.format_diff`, :func:`solver.search.diagnose.format_diagnosis`).
Chinese takes every label, header and code value from the message catalogue
(:mod:`solver.output.i18n`) and aligns the columns by display width (a Chinese character
takes two columns); the sentences the analyses generate (a person's reasons, a rule's
text, a diagnosis's findings) are shown as the catalogue translates them, or as they are.
"""

from __future__ import annotations

from typing import Any

from ..analysis.diff import _f, format_diff
from ..analysis.explain import format_explain
from ..search.diagnose import format_diagnosis
from .i18n import code, message, text


def _width(s: str) -> int:
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in s)


def _ljust(s: str, n: int) -> str:
    return s + " " * max(0, n - _width(s))


def _rjust(s: str, n: int) -> str:
    return " " * max(0, n - _width(s)) + s


def _code(kind: str, value: Any, lang: str) -> str:
    return code(kind, value, lang) if value is not None else "-"


# --------------------------------------------------------------------------- explain


def explain_text(
    ex: dict[str, Any],
    staff: list[str] | None = None,
    school: list[str] | None = None,
    lang: str = "en",
) -> str:
    """The score analysis (``explain.json``) as text for the terminal, in ``lang``."""
    if lang == "en":
        return format_explain(ex, staff=staff, school=school)
    t = ex["terms"]
    head = " + ".join(
        f"{code('term', k, lang)} {v['weight']:g} × {v['value']:.4f}" for k, v in t.items()
    )
    status = f"{code('status', ex['status'], lang)}，" if ex.get("status") else ""
    lines = [f"{text('tt.objective', lang)} {ex['objective']:.4f}（{status}{head}）", ""]
    _terms(lines, t, lang)
    _rules(lines, ex["rules"], lang)
    _schools(lines, ex["schools"], school, lang)
    _people(lines, ex["people"], staff, school, lang)
    for w in ex.get("warnings", []):
        lines.append(f"{text('tt.warning', lang)}：{message(w, lang)}")
    return "\n".join(lines)


def _terms(lines: list[str], t: dict[str, Any], lang: str) -> None:
    lines.append(text("tt.terms", lang))
    b = t["balance"]
    lines.append(
        f"  {code('term', 'balance', lang)} {b['weighted']:.4f} = {b['weight']:g} × "
        f"{b['value']:.6f}（{b['kind']}）"
    )
    for pt in b["parts"]:
        lines.append(
            f"    {code('indicator', pt['indicator'], lang)} {code('level', pt['level'], lang)}："
            f"{pt['value']:.6f}（{text('tt.was', lang)} {pt['value_before']:.6f}）；"
            f"{text('tt.cv', lang)} {pt['cv_before']:.4f} → {pt['cv_after']:.4f}"
        )
    if b.get("schools"):
        lines.append(
            f"    {text('tt.largest_costs', lang)}："
            + "，".join(
                f"{s['school_id']} {s['cost']:.4f}（{text('tt.was', lang)} {s['cost_before']:.4f}）"
                for s in b["schools"][:6]
            )
        )
    c = t["commute"]
    lines.append(
        f"  {code('term', 'commute', lang)} {c['weighted']:.4f} = {c['weight']:g} × "
        + text(
            "tt.commute",
            lang,
            km=f"{c['value']:.3f}",
            movers=c["movers"],
            mean=f"{c['mean_km']:.2f}",
            max=f"{c['max_km']:.2f}",
        )
    )
    if c["longest"]:
        lines.append(
            f"    {text('tt.longest', lang)}："
            + "，".join(
                f"{m['staff_id']} {m['from_school']}→{m['to_school']} {m['km']:.1f} "
                f"{text('tt.km', lang)}"
                for m in c["longest"][:5]
            )
        )
    m = t["moves"]
    lines.append(
        f"  {code('term', 'moves', lang)} {m['weighted']:.4f} = {m['weight']:g} × {m['value']:g}（"
        + "，".join(f"{code('stream', k, lang)} {v}" for k, v in sorted(m["by_stream"].items()))
        + "）"
    )


def _rules(lines: list[str], rules: list[dict[str, Any]], lang: str) -> None:
    lines += ["", text("tt.rules", lang)]
    for r in rules:
        mark = "*" if r["binding"] else " "
        lines.append(f"  {mark} {code('rule', r['rule'], lang)}：{message(r['text'], lang)}")
        if r["rule"] == "school_outflow_max" and r.get("schools"):
            lines.append(
                f"      {text('tt.at_cap', lang)}："
                + "，".join(
                    f"{s['school_id']} {s['leaving']}/{s['cap']}" for s in r["schools"][:10]
                )
            )


def _schools(
    lines: list[str], schools: list[dict[str, Any]], school: list[str] | None, lang: str
) -> None:
    if school:
        schools = [s for s in schools if s["school_id"] in school]
    else:
        schools = [s for s in schools if s["gained"] or s["lost"]]
    lines += ["", text("tt.schools", lang) + ("" if school else text("tt.with_moves", lang))]
    heads = [
        (text("ind.school", lang), 8, _ljust),
        (text("tt.in", lang), 4, _rjust),
        (text("tt.out", lang), 4, _rjust),
        (text("tt.teachers", lang), 9, _rjust),
        (text("tt.key", lang), 7, _rjust),
        (text("tt.key100", lang), 13, _rjust),
        (text("tt.cost", lang), 15, _rjust),
    ]
    lines.append("  " + " ".join(f(h, n) for h, n, f in heads))
    for s in schools:
        kp = s["indicators"]["key_per_100"]
        cells = [
            s["school_id"],
            str(len(s["gained"])),
            str(len(s["lost"])),
            f"{s['teachers']['before']}→{s['teachers']['after']}",
            f"{s['key_teachers']['before']}→{s['key_teachers']['after']}",
            f"{kp['before']:.3f}→{kp['after']:.3f}",
            f"{s['balance_cost']['before']:.4f}→{s['balance_cost']['after']:.4f}",
        ]
        lines.append("  " + " ".join(f(c, n) for c, (_, n, f) in zip(cells, heads, strict=True)))
        if school:
            lines.append(f"      {text('tt.gained', lang)}：{'，'.join(s['gained']) or '-'}")
            lines.append(f"      {text('tt.lost', lang)}：{'，'.join(s['lost']) or '-'}")


def _people(
    lines: list[str],
    people: list[dict[str, Any]],
    staff: list[str] | None,
    school: list[str] | None,
    lang: str,
) -> None:
    if staff:
        people = [p for p in people if p["staff_id"] in staff]
    elif school:
        people = [p for p in people if p["from_school"] in school or p["to_school"] in school]
    else:
        people = []
    if people:
        lines += ["", text("tt.people", lang)]
    for p in people:
        if p["moved"]:
            where = f"{p['from_school']} → {p['to_school']}（{p['distance_km']:.1f} {text('tt.km', lang)}）"
        else:
            where = text("tt.stays_at", lang, school=p["from_school"])
        what = (
            _code("subject", p["subject"], lang) if p["subject"] else _code("role", p["role"], lang)
        )
        lines.append(
            f"  {p['staff_id']} {p['name']}（{_code('stream', p['stream'], lang)}，{what}）：{where}"
        )
        for r in p["reasons"] or []:
            lines.append(f"    - [{code('reason', r['kind'], lang)}] {message(r['text'], lang)}")
        if p.get("alternative"):
            lines.append(
                f"    {text('tt.alternative', lang)}：{message(p['alternative']['text'], lang)}"
            )
        elif p.get("note"):
            lines.append(f"    {message(p['note'], lang)}")


# ------------------------------------------------------------------------------ diff


def diff_text(d: dict[str, Any], lang: str = "en", limit: int = 50) -> str:
    """The differences of two plans (:func:`solver.analysis.diff.diff_plans`) as text
    tables, in ``lang``."""
    if lang == "en":
        return format_diff(d, limit)
    st = d["status"]
    lines = [
        f"A：{d['a']}（{code('status', st['a'], lang)}）",
        f"B：{d['b']}（{code('status', st['b'], lang)}）",
    ]
    if not d["same_scenario"]:
        lines.append(text("tt.diff.other_scenario", lang))
    o = d["objective"]
    lines.append(
        f"{text('tt.objective', lang)}：A {_f(o['a'])}  B {_f(o['b'])}  B−A {_f(o['delta'])}"
    )
    lines.append("")
    lines.append(f"{_ljust(text('tt.diff.term', lang), 12)} {'A':>14} {'B':>14} {'B−A':>14}")
    for t, v in d["terms"].items():
        lines.append(
            f"{_ljust(code('term', t, lang), 12)} {_f(v['a']):>14} {_f(v['b']):>14} {_f(v['delta']):>14}"
        )
    lines.append("")
    lines.append(f"{_ljust(text('tt.diff.count', lang), 22)} {'A':>6} {'B':>6} {'B−A':>6}")
    for k, v in d["counts"].items():
        lines.append(
            f"{_ljust(_count_label(k, lang), 22)} {_f(v['a']):>6} {_f(v['b']):>6} {_f(v['delta']):>6}"
        )
    lines.append("")
    lines.append(
        f"{_ljust(text('tt.cv', lang), 28)} {_rjust(text('ind.before', lang), 8)} "
        f"{'A':>8} {'B':>8} {'B−A':>8}"
    )
    for c in d["coefficients"]:
        name = f"{code('indicator', c['indicator'], lang)} {code('level', c['level'], lang)}"
        lines.append(
            f"{_ljust(name, 28)} {_f(c['before_a']):>8} {_f(c['a']):>8} "
            f"{_f(c['b']):>8} {_f(c['delta']):>8}"
        )
    lines.append("")
    lines.append(text("tt.diff.people", lang, n=d["people_differ"]))
    if d["people"]:
        heads = [
            (text("tt.diff.staff_id", lang), 10),
            (text("tt.diff.stream", lang), 10),
            (text("tt.diff.subject", lang), 10),
            (text("tt.diff.from", lang), 8),
            ("A", 10),
            ("B", 10),
        ]
        lines.append("  " + " ".join(_ljust(h, n) for h, n in heads))
        for p in d["people"][:limit]:
            cells = [
                p["staff_id"],
                _code("stream", p["stream"], lang),
                _code("subject", p["subject"], lang) if p["subject"] else "-",
                p["from_school"],
                _where(p["a"], p["from_school"], lang),
                _where(p["b"], p["from_school"], lang),
            ]
            lines.append(
                "  " + " ".join(_ljust(c, n) for c, (_, n) in zip(cells, heads, strict=True))
            )
        if len(d["people"]) > limit:
            lines.append("  " + text("tt.diff.more", lang, n=len(d["people"]) - limit))
    if d["schools"]:
        lines += ["", text("tt.diff.schools", lang, n=len(d["schools"]))]
        heads = [
            (text("ind.school", lang), 8, _ljust),
            (text("tt.diff.in_a", lang), 8, _rjust),
            (text("tt.diff.in_b", lang), 8, _rjust),
            (text("tt.diff.out_a", lang), 8, _rjust),
            (text("tt.diff.out_b", lang), 8, _rjust),
            (text("tt.diff.key_a", lang), 12, _rjust),
            (text("tt.diff.key_b", lang), 12, _rjust),
        ]
        lines.append("  " + " ".join(f(h, n) for h, n, f in heads))
        for s in d["schools"][:limit]:
            k = s["key_per_100_after"]
            cells = [
                s["school_id"],
                _f(s["inflow"]["a"]),
                _f(s["inflow"]["b"]),
                _f(s["outflow"]["a"]),
                _f(s["outflow"]["b"]),
                _f(k["a"], 3),
                _f(k["b"], 3),
            ]
            lines.append(
                "  " + " ".join(f(c, n) for c, (_, n, f) in zip(cells, heads, strict=True))
            )
    return "\n".join(lines)


def _where(to: str | None, home: str, lang: str) -> str:
    if to is None:
        return text("tt.diff.absent", lang)
    return text("stays", lang) if to == home else to


def _count_label(key: str, lang: str) -> str:
    """``eligible``, ``moved``, ``moved_key``, ``eligible_principal``, ... in ``lang``."""
    base, _, stream = key.partition("_")
    head = text("eligible" if base == "eligible" else "moved", lang)
    return f"{head}（{code('stream', stream, lang)}）" if stream else head


# ------------------------------------------------------------------------- diagnosis


def diagnosis_text(diag: dict[str, Any], lang: str = "en") -> str:
    """An infeasible scenario's diagnosis as text for the terminal, in ``lang``."""
    if lang == "en":
        return format_diagnosis(diag)
    rules = "，".join(code("rule", r, lang) for r in diag.get("rules", []))
    lines = [text("tt.diag.head", lang, rules=rules)]
    items = [f["text"] for f in diag.get("findings", [])] or [
        c["text"] for c in diag.get("conflict", [])
    ]
    lines += [f"  - {message(t, lang)}" for t in items[:20]]
    if len(items) > 20:
        lines.append("  " + text("tt.diff.more_short", lang, n=len(items) - 20))
    if diag.get("schools"):
        lines.append(f"  {text('tt.diag.schools', lang)}：{_short(diag['schools'], 12)}")
    if diag.get("subjects"):
        subjects = [code("subject", s, lang) for s in diag["subjects"]]
        lines.append(f"  {text('tt.diag.subjects', lang)}：{_short(subjects, 12)}")
    rel = diag.get("relaxations") or []
    good = [r for r in rel if r.get("suggested") is not None]
    if good:
        lines.append(text("tt.diag.relax", lang))
        lines += [f"  - {message(r['text'], lang)}" for r in good]
    lines += [f"  （{message(r['text'], lang)}）" for r in rel if r.get("suggested") is None]
    return "\n".join(lines)


def _short(items: list[Any], n: int) -> str:
    shown = "，".join(map(str, items[:n]))
    return shown + (f" 等 {len(items)} 项" if len(items) > n else "")
