"""Tiny districts for tests, written as contract-format CSV and read back through the loader.

Rows are plain dicts; :func:`school` and :func:`person` fill in every column a test does
not care about, so a test spells out only what it is about. Coordinates are around
(39.90, 116.40): 0.01° of latitude is about 1.11 km.

- :func:`write_district_csv` / :func:`make_district`: a hand-written district.
- :func:`random_tiny_district`: a random district small enough to brute-force.
- :func:`scenario`: a :class:`~solver.input.scenario.Scenario` for tests (see its docstring for
  the permissive defaults).
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from pathlib import Path
from typing import Any

import numpy as np

from solver.input.data import District
from solver.input.scenario import Scenario, parse_scenario

AS_OF = dt.date(2025, 9, 1)
#: A start date that makes a person eligible at AS_OF (15 years at the school).
OLD = "2010-09-01"
#: A start date that makes a person ineligible at AS_OF (2 years at the school).
NEW = "2023-09-01"
#: A retirement date far away (eligible) and one too close (ineligible).
FAR = "2045-07-31"
NEAR = "2028-07-31"
LAT0, LON0 = 39.90, 116.40
KM_PER_DEG_LAT = 111.2

SCHOOL_FIELDS = (
    "school_id",
    "name",
    "zone",
    "group",
    "level",
    "locality",
    "tier",
    "lat",
    "lon",
    "students",
    "junior_students",
    "principal_posts",
    "vice_principal_posts",
)
STAFF_FIELDS = (
    "staff_id",
    "name",
    "school_id",
    "role",
    "subject",
    "key_level",
    "school_start_date",
    "retirement_date",
    "birth_date",
    "gender",
    "on_payroll",
    "title",
    "above_standard_qualification",
    "rural_years",
    "home_lat",
    "home_lon",
    "exempt_reason",
)


def km_north(km: float) -> float:
    """The latitude ``km`` north of the reference point."""
    return LAT0 + km / KM_PER_DEG_LAT


def school(school_id: str, *, km: float = 0.0, **kw: Any) -> dict[str, Any]:
    """A schools.csv row: a primary urban school in zone Z1, no group, 500 students, placed
    ``km`` north of the reference point (``lat``/``lon`` override)."""
    row: dict[str, Any] = {
        "school_id": school_id,
        "name": f"school {school_id}",
        "zone": "Z1",
        "group": "",
        "level": "primary",
        "locality": "urban",
        "tier": "average",
        "lat": round(km_north(km), 6),
        "lon": LON0,
        "students": 500,
        "junior_students": "",
        "principal_posts": "",
        "vice_principal_posts": "",
    }
    row.update(kw)
    if row["level"] == "nine_year" and row["junior_students"] == "":
        row["junior_students"] = int(row["students"]) // 2
    return row


def person(staff_id: str, school_id: str, **kw: Any) -> dict[str, Any]:
    """A staff.csv row: an eligible ordinary math teacher on payroll (15 years at the school,
    20 years to retirement), living at the school (no home coordinates). ``home_km`` places
    the home that many km north of the reference point."""
    row: dict[str, Any] = {
        "staff_id": staff_id,
        "name": f"person {staff_id}",
        "school_id": school_id,
        "role": "teacher",
        "subject": "math",
        "key_level": "none",
        "school_start_date": OLD,
        "retirement_date": FAR,
        "birth_date": "",
        "gender": "",
        "on_payroll": "true",
        "title": "none",
        "above_standard_qualification": "false",
        "rural_years": 0,
        "home_lat": "",
        "home_lon": "",
        "exempt_reason": "",
    }
    home_km = kw.pop("home_km", None)
    if home_km is not None:
        row["home_lat"], row["home_lon"] = round(km_north(home_km), 6), LON0
    row.update(kw)
    if row["role"] != "teacher" and "subject" not in kw:
        row["subject"] = ""
    for flag in ("on_payroll", "above_standard_qualification"):
        if isinstance(row[flag], bool):
            row[flag] = "true" if row[flag] else "false"
    return row


def _write(path: Path, fields: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    extra = [k for r in rows for k in r if k not in fields]
    if extra:
        raise ValueError(f"{path.name}: unknown columns {sorted(set(extra))}")
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(fields))
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k, "") for k in fields})


def write_district_csv(
    tmp_path: Path,
    schools_rows: list[dict[str, Any]],
    staff_rows: list[dict[str, Any]],
    demand_rows: list[dict[str, Any]] | None = None,
    pins_rows: list[dict[str, Any]] | None = None,
) -> Path:
    """Write ``schools.csv``, ``staff.csv`` (and ``demand.csv`` / ``pins.csv`` when given)
    in the contract's format into ``tmp_path``; return the folder."""
    tmp_path = Path(tmp_path)
    tmp_path.mkdir(parents=True, exist_ok=True)
    schools_rows = [school(**r) if "lat" not in r else r for r in schools_rows]
    _write(tmp_path / "schools.csv", SCHOOL_FIELDS, schools_rows)
    _write(tmp_path / "staff.csv", STAFF_FIELDS, staff_rows)
    if demand_rows:
        _write(tmp_path / "demand.csv", ("school_id", "subject", "required"), demand_rows)
    if pins_rows:
        _write(tmp_path / "pins.csv", ("staff_id", "action", "school_id"), pins_rows)
    return tmp_path


def two_year_scenario_file(tmp_path: Path) -> Path:
    """A scenario file of a 2-year horizon with coverage 1 on three schools of two
    teachers each (no quotas), its data beside it: what ``lungang plan`` tests run."""
    data = write_district_csv(
        tmp_path / "d",
        [school(s, km=2 * i) for i, s in enumerate("ABC")],
        [person(f"{s}{i}", s) for s in "ABC" for i in range(2)],
    )
    f = tmp_path / "s.toml"
    f.write_text(
        f'[scenario]\nname = "h"\nas_of = 2025-09-01\ndata = "{data.as_posix()}"\n'
        "[quotas]\nteacher_rotation_min = 0.0\nkey_share_of_rotated_min = 0.0\n"
        "school_outflow_max = 1.0\n[horizon]\nyears = 2\ncoverage_min = 1.0\n"
        "[solver]\nworkers = 1\n",
        encoding="utf-8",
    )
    return f


def make_district(
    schools_rows: list[dict[str, Any]],
    staff_rows: list[dict[str, Any]],
    tmp_path: Path,
    demand_rows: list[dict[str, Any]] | None = None,
    pins_rows: list[dict[str, Any]] | None = None,
) -> District:
    """Write the rows as CSV into ``tmp_path`` and load them with ``solver.input.loaders.load_district``."""
    from solver.input.loaders import load_district

    folder = write_district_csv(tmp_path, schools_rows, staff_rows, demand_rows, pins_rows)
    return load_district(folder, as_of=AS_OF)


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def scenario(**overrides: Any) -> Scenario:
    """A test scenario: as_of 2025-09-01, one worker, deterministic, a 60 s limit (a safety
    net: the tests' districts are solved to proven optimality in well under a second).

    Unlike the contract's defaults, every quota is off (``teacher_rotation_min``,
    ``key_share_of_rotated_min`` and ``principal_rotation_min`` 0, ``school_outflow_max``
    1), so that a test turns on only the rule it is about. Sections are given as dicts
    and merged key by key: ``scenario(quotas={"teacher_rotation_min": 0.5})``.
    """
    raw: dict[str, Any] = {
        "scenario": {"name": "test", "as_of": AS_OF, "data": "."},
        "quotas": {
            "teacher_rotation_min": 0.0,
            "key_share_of_rotated_min": 0.0,
            "principal_rotation_min": 0.0,
            "school_outflow_max": 1.0,
        },
        "solver": {"time_limit_s": 60.0, "workers": 1, "seed": 0},
    }
    return parse_scenario(_merge(raw, overrides))


# --------------------------------------------------------------------------- random

#: Enrolments that divide 10^6, so per-100 values are exact in the model's 1e-4 units.
_STUDENTS = (200, 250, 400, 500, 625, 800, 1000)
_SUBJECTS = ("math", "chinese", "pe", "music")
MAX_COMBINATIONS = 200_000


def random_tiny_district(seed: int, tmp_path: Path) -> District:
    """A random district small enough to enumerate every plan.

    3 or 4 schools (primary, junior and sometimes nine-year; two zones; some in groups;
    urban, town and rural), each with a principal, sometimes a vice principal and 3-6
    teachers (15-30 staff). Some people are made ineligible (new, near retirement, not on
    payroll, exempt) until fewer than 15 are eligible and, with every eligible person free
    to stay or go to any other school, there are at most :data:`MAX_COMBINATIONS` plans
    (``n_schools ** n_eligible``) under the default eligibility rules.
    """
    rng = np.random.default_rng(seed)
    n_schools = int(rng.integers(3, 5))
    levels = ["primary", "junior", "nine_year"]
    schools_rows = []
    for i in range(n_schools):
        level = str(rng.choice(levels, p=[0.45, 0.3, 0.25]))
        students = int(rng.choice(_STUDENTS))
        junior = ""
        if level == "nine_year":
            students = int(rng.choice((500, 800, 1000)))
            junior = students // 2 if rng.random() < 0.5 else students // 4
        angle = rng.uniform(0, 2 * math.pi)
        r_km = rng.uniform(0, 12)
        schools_rows.append(
            school(
                f"S{i + 1}",
                zone=f"Z{int(rng.integers(1, 3))}",
                group=str(rng.choice(["", "G1", "G2"])),
                level=level,
                locality=str(rng.choice(["urban", "town", "rural"])),
                lat=round(LAT0 + r_km * math.cos(angle) / KM_PER_DEG_LAT, 6),
                lon=round(
                    LON0 + r_km * math.sin(angle) / (KM_PER_DEG_LAT * math.cos(math.radians(LAT0))),
                    6,
                ),
                students=students,
                junior_students=junior,
            )
        )
    staff_rows: list[dict[str, Any]] = []
    for i, s in enumerate(schools_rows):
        sid = s["school_id"]
        staff_rows.append(person(f"{sid}P", sid, role="principal"))
        if rng.random() < 0.5:
            staff_rows.append(person(f"{sid}V", sid, role="vice_principal"))
        for j in range(int(rng.integers(3, 7))):
            staff_rows.append(
                person(
                    f"{sid}T{j}",
                    sid,
                    subject=str(rng.choice(_SUBJECTS, p=[0.4, 0.3, 0.15, 0.15])),
                    key_level=str(rng.choice(["none", "district", "municipal"], p=[0.6, 0.3, 0.1])),
                    above_standard_qualification=bool(rng.random() < 0.4),
                )
            )
        _ = i
    for r in staff_rows:
        if r["home_lat"] == "" and rng.random() < 0.4:
            s = next(x for x in schools_rows if x["school_id"] == r["school_id"])
            r["home_lat"] = round(float(s["lat"]) + rng.normal(0, 0.03), 6)
            r["home_lon"] = round(float(s["lon"]) + rng.normal(0, 0.03), 6)
    # Make people ineligible, each for one reason, until the instance is small enough.
    reasons = ("new", "near", "payroll", "exempt")
    order = rng.permutation(len(staff_rows))
    k = 0
    for pos in order:
        if rng.random() < 0.3:
            _make_ineligible(staff_rows[pos], reasons[k % len(reasons)])
            k += 1
    eligible = [r for r in staff_rows if _eligible(r)]
    limit = min(14, int(math.log(MAX_COMBINATIONS) / math.log(n_schools)))
    for r in rng.permutation(np.array(eligible, dtype=object))[: max(0, len(eligible) - limit)]:
        _make_ineligible(r, reasons[k % len(reasons)])
        k += 1
    return make_district(schools_rows, staff_rows, tmp_path)


def _eligible(row: dict[str, Any]) -> bool:
    return (
        row["school_start_date"] == OLD
        and row["retirement_date"] == FAR
        and row["on_payroll"] == "true"
        and row["exempt_reason"] == ""
    )


def _make_ineligible(row: dict[str, Any], reason: str) -> None:
    if reason == "new":
        row["school_start_date"] = NEW
    elif reason == "near":
        row["retirement_date"] = NEAR
    elif reason == "payroll":
        row["on_payroll"] = "false"
    else:
        row["exempt_reason"] = "illness"
