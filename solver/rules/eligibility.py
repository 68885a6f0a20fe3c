"""Who must rotate: eligibility per role, with a reason for everyone who is not.

Rules (``docs/policy.md``: Beijing 2021 and 2022; thresholds per role and scenario, Banan 2021):
years at the current school (or in post, for cadres) ≥ ``min_years_at_school``,
years to retirement strictly more than ``min_years_to_retirement``, on payroll if
``payroll_only``, no listed exemption, and not on a stint (``stint_end`` after the
date, or serving away from ``post_school_id`` with no end given). Years are days / 365.25.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..input.data import District
from ..input.scenario import Scenario
from .obligations import obligations
from .training import training_candidates

DAYS_PER_YEAR = 365.25
STREAMS: tuple[str, ...] = ("principal", "key", "ordinary")


def _fmt(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".") if x == int(x) else f"{x:.1f}"


def streams(staff: pd.DataFrame) -> pd.Series:
    """Rotation stream of each staff member: principal (cadres), key or ordinary teacher."""
    cadre = staff["role"].isin(["principal", "vice_principal"])
    key = staff["key_level"] != "none"
    return pd.Series(
        np.where(cadre, "principal", np.where(key, "key", "ordinary")), index=staff.index
    )


def eligibility(district: District, scenario: Scenario) -> pd.DataFrame:
    """Eligibility of every staff member at the scenario's ``as_of`` date.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``staff_id``, in file order, with ``role, stream, school_id,
        years_at_school, years_to_retirement, eligible`` and ``reason`` (empty when
        eligible, otherwise every failed condition, e.g. "5.2 years at school,
        needs 6").
    """
    staff = district.staff
    as_of = pd.Timestamp(scenario.as_of)
    elig = scenario.eligibility
    role = staff["role"]

    def per_role(attr: str) -> np.ndarray:
        return role.map(
            {r: getattr(elig.for_role(r), attr) for r in ("teacher", "principal", "vice_principal")}
        ).to_numpy()

    min_years = per_role("min_years_at_school").astype(float)
    min_retire = per_role("min_years_to_retirement").astype(float)
    payroll_only = per_role("payroll_only").astype(bool)

    years_at = ((as_of - staff["school_start_date"]).dt.days / DAYS_PER_YEAR).to_numpy(dtype=float)
    to_retire = ((staff["retirement_date"] - as_of).dt.days / DAYS_PER_YEAR).to_numpy(dtype=float)
    # Where retirement_date is missing: the scenario's retirement age from birth date and gender.
    age = ((as_of - staff["birth_date"]).dt.days / DAYS_PER_YEAR).to_numpy(dtype=float)
    ret_age = np.where(
        staff["gender"].to_numpy() == "F", elig.retirement_age.female, elig.retirement_age.male
    ).astype(float)
    to_retire = np.where(np.isnan(to_retire), ret_age - age, to_retire)

    on_payroll = staff["on_payroll"].to_numpy(dtype=bool)
    exempt = staff["exempt_reason"].fillna("").astype(str).str.strip().to_numpy()

    ok_years = years_at >= min_years - 1e-12
    ok_retire = to_retire > min_retire
    ok_payroll = on_payroll | ~payroll_only
    ok_exempt = exempt == ""
    # On a stint (multi-year plans): serving at another school than the post's until
    # stint_end; not eligible for a new rotation before it ends (an open-ended stint,
    # post elsewhere and no end given, never ends).
    stint_end = staff["stint_end"]
    away = (staff["post_school_id"] != staff["school_id"]).to_numpy()
    ok_stint = ~((stint_end > as_of).to_numpy() | (away & stint_end.isna().to_numpy()))
    # [rules]: people obliged to serve at a rural (or weak) school are eligible with
    # fewer years at their school (solver.rules.obligations).
    obliged = staff.index.isin(obligations(district, scenario).index)
    ok_years = ok_years | obliged
    # [forms] training_to_lead: young teachers of a group's ordinary schools likewise
    # (solver.rules.training; their one move is then to the group's lead school).
    ok_years = ok_years | staff.index.isin(training_candidates(district, scenario).index)
    eligible = ok_years & ok_retire & ok_payroll & ok_exempt & ok_stint

    reasons = []
    for i in np.flatnonzero(~eligible):
        parts = []
        if not ok_exempt[i]:
            parts.append(f"exempt: {exempt[i]}")
        if not ok_payroll[i]:
            parts.append("not on payroll")
        if not ok_stint[i]:
            end = stint_end.iat[i]
            until = f" until {end:%Y-%m-%d}" if not pd.isna(end) else ""
            parts.append(f"on a stint at {staff['school_id'].iat[i]}{until}")
        if not ok_years[i]:
            unit = "in post" if role.iat[i] != "teacher" else "at school"
            parts.append(f"{years_at[i]:.1f} years {unit}, needs {_fmt(min_years[i])}")
        if not ok_retire[i]:
            parts.append(
                f"{to_retire[i]:.1f} years to retirement, needs more than {_fmt(min_retire[i])}"
            )
        reasons.append((i, "; ".join(parts)))
    reason = np.full(len(staff), "", dtype=object)
    for i, text in reasons:
        reason[i] = text

    return pd.DataFrame(
        {
            "name": staff["name"],
            "role": role,
            "stream": streams(staff),
            "school_id": staff["school_id"],
            "years_at_school": np.round(years_at, 2),
            "years_to_retirement": np.round(to_retire, 2),
            "eligible": eligible,
            "reason": reason,
        },
        index=staff.index,
    )
