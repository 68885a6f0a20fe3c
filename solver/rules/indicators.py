"""Balance indicators and the student-weighted difference coefficient (``docs/policy.md``).

Indicators are counts of teachers per 100 students. A nine-year school counts in
both levels: its primary part with ``primary_students`` and its junior part with
``junior_students`` as weights, and the same indicator value (its teachers serve
both parts), so that per level

    x_i = 100 T_i / P_i,   weight w_i = P_iL (the school's students in level L).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..input.data import PE_ART_SUBJECTS, District

LEVEL_PARTS: tuple[str, ...] = ("primary", "junior")
#: National standard values per 100 students (教督〔2017〕6号), by indicator and level.
STANDARD_MIN: dict[str, dict[str, float]] = {
    "qualified_per_100": {"primary": 4.2, "junior": 5.3},
    "key_per_100": {"primary": 1.0, "junior": 1.0},
    "pe_art_per_100": {"primary": 0.9, "junior": 0.9},
}
#: Largest difference coefficient the standard accepts, by level.
MAX_CV: dict[str, float] = {"primary": 0.50, "junior": 0.45}


def difference_coefficient(weights, values) -> float:
    """Student-weighted coefficient of variation of ``values`` (``docs/policy.md``).

    Parameters
    ----------
    weights : array-like
        Enrolment P_i of each school (or school part); zero weights are ignored.
    values : array-like
        Indicator x_i of each school.

    Returns
    -------
    float
        ``S / x̄`` with ``x̄ = Σ P_i x_i / P`` and ``S² = Σ (P_i / P)(x_i − x̄)²``;
        ``nan`` when there is no weight, ``0.0`` when ``x̄ = 0`` and all values equal.
    """
    w = np.asarray(weights, dtype=float)
    x = np.asarray(values, dtype=float)
    keep = w > 0
    w, x = w[keep], x[keep]
    if w.sum() <= 0:
        return float("nan")
    p = w / w.sum()
    mean = float(p @ x)
    var = float(p @ (x - mean) ** 2)
    if mean == 0:
        return 0.0 if var == 0 else float("inf")
    return float(np.sqrt(max(var, 0.0)) / mean)


def indicator_flags(staff: pd.DataFrame) -> pd.DataFrame:
    """Per staff member, whether they count towards each indicator (teachers only)."""
    teacher = (staff["role"] == "teacher").to_numpy()
    return pd.DataFrame(
        {
            "key_per_100": teacher & (staff["key_level"] != "none").to_numpy(),
            "pe_art_per_100": teacher & staff["subject"].isin(PE_ART_SUBJECTS).to_numpy(),
            "qualified_per_100": teacher
            & staff["above_standard_qualification"].astype(bool).to_numpy(),
        },
        index=staff.index,
    )


def school_counts(
    district: District, school_of: pd.Series | None = None, delta: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Indicator counts and head counts per school.

    ``school_of`` maps staff_id to school_id (default: their current school), so the
    same function gives the before and the after of a plan. ``delta`` (per school, some
    of the columns) is added: the teacher-equivalents that part-time and guidance
    shares move (:func:`solver.rules.forms.count_deltas`).
    """
    staff = district.staff
    where = (
        staff["school_id"]
        if school_of is None
        else school_of.reindex(staff.index).fillna(staff["school_id"])
    )
    flags = indicator_flags(staff)
    frame = flags.astype(int)
    frame["teachers"] = (staff["role"] == "teacher").astype(int)
    frame["principals"] = (staff["role"] == "principal").astype(int)
    frame["vice_principals"] = (staff["role"] == "vice_principal").astype(int)
    frame["key_teachers"] = frame["key_per_100"]
    counts = frame.groupby(where.to_numpy()).sum().reindex(district.schools.index, fill_value=0)
    counts.index.name = "school_id"
    if delta is not None:
        counts = counts.astype(float)
        for col in delta.columns:
            counts[col] = counts[col] + delta[col].reindex(counts.index, fill_value=0.0)
    return counts


def school_indicators(
    district: District, school_of: pd.Series | None = None, delta: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Per school: head counts and the three indicators per 100 students (``delta``: see
    :func:`school_counts`)."""
    c = school_counts(district, school_of, delta)
    students = district.schools["students"].astype(float)
    out = pd.DataFrame(index=c.index)
    out["teachers"] = c["teachers"]
    out["principals"] = c["principals"]
    out["vice_principals"] = c["vice_principals"]
    out["key_teachers"] = c["key_teachers"]
    for ind in STANDARD_MIN:
        out[ind] = 100.0 * c[ind] / students
    out["students_per_teacher"] = students / c["teachers"].where(c["teachers"] > 0)
    return out


def level_weights(schools: pd.DataFrame, level: str) -> np.ndarray:
    """Each school's students in ``level`` ("primary" or "junior")."""
    return schools[f"{level}_students"].to_numpy(dtype=float)


def coefficients(district: District, values: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Difference coefficient per indicator and level from per-school ``values``."""
    out: dict[str, dict[str, float]] = {}
    for ind in STANDARD_MIN:
        out[ind] = {
            lvl: difference_coefficient(
                level_weights(district.schools, lvl), values[ind].to_numpy()
            )
            for lvl in LEVEL_PARTS
        }
    return out


def level_rows(district: District, values: pd.DataFrame) -> pd.DataFrame:
    """Per school *part*: a nine-year school gives a primary and a junior row.

    Each row has ``school_id, level, students`` (the part's enrolment) and the
    school's indicator values, with ``below_standard`` listing the indicators
    under the national standard value for that level.
    """
    rows = []
    for lvl in LEVEL_PARTS:
        w = district.schools[f"{lvl}_students"]
        part = values.loc[w > 0].copy()
        part.insert(0, "students", w[w > 0])
        part.insert(0, "level", lvl)
        below = [part[ind] < STANDARD_MIN[ind][lvl] - 1e-12 for ind in STANDARD_MIN]
        part["below_standard"] = (
            [
                ",".join(ind for ind, b in zip(STANDARD_MIN, flags, strict=True) if b)
                for flags in zip(*below, strict=True)
            ]
            if len(part)
            else []
        )
        rows.append(part)
    out = pd.concat(rows)
    out.index.name = "school_id"
    return (
        out.reset_index().sort_values(["school_id", "level"], kind="stable").reset_index(drop=True)
    )


def coefficient_table(district: District, values: pd.DataFrame) -> pd.DataFrame:
    """Per indicator and level: the difference coefficient, its threshold, whether it
    meets it, and how many schools lie below the standard value."""
    coef = coefficients(district, values)
    parts = level_rows(district, values)
    rows = []
    for ind, by_level in coef.items():
        for lvl, cv in by_level.items():
            sel = parts[parts["level"] == lvl]
            rows.append(
                {
                    "indicator": ind,
                    "level": lvl,
                    "cv": cv,
                    "max_cv": MAX_CV[lvl],
                    "meets": bool(cv <= MAX_CV[lvl]) if cv == cv else None,
                    "standard_min": STANDARD_MIN[ind][lvl],
                    "schools_below": int((sel[ind] < STANDARD_MIN[ind][lvl] - 1e-12).sum()),
                    "schools": len(sel),
                }
            )
    return pd.DataFrame(rows)


#: Short names of the indicators for narrow tables.
SHORT_NAMES: dict[str, str] = {
    "qualified_per_100": "qualified",
    "key_per_100": "key",
    "pe_art_per_100": "pe_art",
}


def side_by_side(
    frames: dict[str, pd.DataFrame], keys: list[str], shared: tuple[str, ...] = ()
) -> pd.DataFrame:
    """Join tables of the same rows for several sides (``before``, ``after``) on ``keys``.

    With one side the table is returned as it is. With several, every column but
    ``keys`` and ``shared`` (equal on every side, kept once) is repeated per side with
    the suffix ``_<side>``: ``key_per_100_before``, ``key_per_100_after``, as in a
    plan's ``schools.csv``.
    """
    sides = list(frames)
    if len(sides) == 1:
        return frames[sides[0]].reset_index(drop=True)
    first = frames[sides[0]]
    out = first[keys + [c for c in shared if c in first.columns]].copy()
    for s in sides:
        f = frames[s]
        rest = [c for c in f.columns if c not in keys and c not in shared]
        out = out.merge(
            f[keys + rest].rename(columns={c: f"{c}_{s}" for c in rest}), on=keys, how="left"
        )
    return out


def indicator_report(
    district: District, plan_school_of: pd.Series | None = None, delta: pd.DataFrame | None = None
) -> dict[str, pd.DataFrame]:
    """What ``lungang indicators`` shows: ``schools`` (one row per school part, see
    :func:`level_rows`) and ``coefficients`` (see :func:`coefficient_table`), each for
    the staffing now and, with ``plan_school_of`` (staff_id → school after a plan),
    side by side before and after (:func:`side_by_side`); ``delta``: the teacher-equivalents
    that part-time and guidance shares move (:func:`school_counts`)."""
    sides = {"before": school_indicators(district)}
    if plan_school_of is not None:
        sides["after"] = school_indicators(district, plan_school_of, delta)
    names = district.schools["name"]
    schools = {}
    for k, v in sides.items():
        rows = level_rows(district, v)
        rows.insert(1, "name", names.reindex(rows["school_id"]).to_numpy())
        schools[k] = rows
    coefs = {k: coefficient_table(district, v) for k, v in sides.items()}
    return {
        "schools": side_by_side(schools, ["school_id", "level"], ("name", "students")),
        "coefficients": side_by_side(
            coefs, ["indicator", "level"], ("max_cv", "standard_min", "schools")
        ),
    }


def indicator_matrix(district: District, indicators: tuple[str, ...]) -> np.ndarray:
    """Boolean (staff × indicator) matrix: who counts towards each indicator."""
    flags = indicator_flags(district.staff)
    return (
        np.column_stack([flags[k].to_numpy(dtype=bool) for k in indicators])
        if indicators
        else np.zeros((len(district.staff), 0), bool)
    )


def counts_by_school(
    district: District, school_pos: np.ndarray, indicators: tuple[str, ...]
) -> np.ndarray:
    """(school × indicator) counts when staff member j is at school ``school_pos[j]``."""
    flags = indicator_matrix(district, indicators)
    out = np.zeros((district.n_schools, len(indicators)), dtype=np.int64)
    for k in range(len(indicators)):
        out[:, k] = np.bincount(school_pos[flags[:, k]], minlength=district.n_schools)
    return out
