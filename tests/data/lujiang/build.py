"""Build Lujiang city (鹭江市): schools.csv, staff.csv and scenario.toml into a folder.

Written by hand, not by ``solver.generate``: every number below is a table or a
cycle written out here, and there is no random number. Run from anywhere:

    python tests/data/lujiang/build.py FOLDER

It writes ``schools.csv`` (byte for byte the committed one next to this file;
``tests/test_pricing_acceptance.py`` checks that), ``staff.csv`` (11,126 rows and
1.4 MB, so not committed) and a copy of ``scenario.toml`` (``data = "."``) into
``FOLDER``: a district that ``lungang solve FOLDER/scenario.toml`` runs.

- **Zones** (``ZONES``): six urban districts of one city, their centres 5 to 9 km
  from the old town's, each with so many primary and junior schools.
- **Schools** are placed at the zone's centre plus an offset from the tables
  ``PRIMARY_AT`` / ``JUNIOR_AT`` (km east, km north; 0.4 to 2.8 km out), in turn;
  their tier is the zone's tier string read in turn (``S`` strong, ``A`` average,
  ``W`` weak), their size follows the tier (``TEACHERS``, ``STUDENTS``, ``VICE``).
- **Staff**: one principal per school, the vice principals of its posts, and the
  teachers per subject of ``TEACHERS[(level, tier)]``. A person's k-th place in the
  school sets, through short cycles (as in Qingshi county, tests/data/qingshi), their
  age, years at the school, gender, key level (by tier), title and degree; retirement
  at 55 (women) or 60 (men); one in 97 exempt (病休 or 产假).
- **Homes** at the centre of the school's zone; one person in six lives in the
  neighbouring zone (``NEIGHBOUR``), so some commutes cross the city.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
AS_OF = dt.date(2025, 9, 1)
#: The old town's centre (江心区), degrees; the zones are placed in km from it.
LAT0, LON0 = 30.5800, 114.2900

#: Zones: code, name, centre (km east, km north of the old town), primary and junior
#: schools, and the tier of each school in turn (primary string, then junior string).
ZONES: tuple[tuple[str, str, float, float, int, int, str, str], ...] = (
    ("JX", "江心区", 0.0, 0.0, 14, 9, "SSASAAASAAWAAA", "SSAASAAWA"),
    ("DH", "东湖区", 5.2, 0.6, 13, 8, "SAASAAWAAASAW", "SAASAWAA"),
    ("XL", "西岭区", -5.0, -0.8, 12, 8, "ASAAWAAWSAAW", "ASAWAAWA"),
    ("BZ", "北站区", 0.7, 5.1, 12, 8, "SAAWASAAAWAA", "SAAWAAAW"),
    ("NW", "南湾区", -0.9, -5.3, 12, 8, "ASAAAWASAWAA", "AASAWAAW"),
    ("XC", "新城区", 7.1, -5.6, 9, 6, "AAWAWAWAA", "AWAAWW"),
)  # fmt: skip
#: Where a sixth of each zone's staff live: the next zone across the city.
NEIGHBOUR = {"JX": "DH", "DH": "XC", "XL": "JX", "BZ": "JX", "NW": "XL", "XC": "NW"}

#: Primary schools' offsets from their zone's centre (km east, km north), in turn.
PRIMARY_AT = (
    (0.4, 0.3), (-0.6, 0.5), (0.9, -0.7), (-1.1, -0.4), (1.6, 0.8), (-0.3, 1.5), (0.2, -1.7),
    (-1.9, 1.0), (2.2, -0.2), (-1.4, -1.8), (1.0, 2.1), (-2.6, -0.5), (2.5, -1.6), (-0.8, 2.7),
)  # fmt: skip
#: Junior schools' offsets, in turn.
JUNIOR_AT = (
    (-0.2, -0.5), (0.7, 1.0), (-1.3, 0.2), (1.4, -1.2), (-0.5, -2.0), (2.0, 0.9),
    (-2.1, 1.6), (0.3, 2.4), (-2.4, -1.5),
)  # fmt: skip

TIER = {"S": "strong", "A": "average", "W": "weak"}
#: Teachers per subject by (level, tier): strong schools are the big ones.
TEACHERS: dict[tuple[str, str], dict[str, int]] = {
    ("primary", "strong"): {
        "chinese": 30, "math": 24, "english": 12, "science": 7, "morality": 5,
        "pe": 8, "music": 5, "art": 5, "it": 3, "psychology": 2,
    },
    ("primary", "average"): {
        "chinese": 24, "math": 20, "english": 10, "science": 6, "morality": 4,
        "pe": 6, "music": 4, "art": 4, "it": 2, "psychology": 2,
    },
    ("primary", "weak"): {
        "chinese": 16, "math": 14, "english": 7, "science": 4, "morality": 3,
        "pe": 4, "music": 3, "art": 3, "it": 2, "psychology": 1,
    },
    ("junior", "strong"): {
        "chinese": 22, "math": 22, "english": 20, "physics": 11, "chemistry": 8,
        "biology": 7, "history": 7, "geography": 7, "morality": 9, "pe": 9,
        "music": 4, "art": 4, "it": 3, "psychology": 2,
    },
    ("junior", "average"): {
        "chinese": 18, "math": 18, "english": 16, "physics": 9, "chemistry": 6,
        "biology": 6, "history": 6, "geography": 6, "morality": 7, "pe": 7,
        "music": 3, "art": 3, "it": 3, "psychology": 1,
    },
    ("junior", "weak"): {
        "chinese": 12, "math": 12, "english": 11, "physics": 6, "chemistry": 4,
        "biology": 4, "history": 4, "geography": 4, "morality": 5, "pe": 5,
        "music": 2, "art": 2, "it": 2, "psychology": 1,
    },
}  # fmt: skip
#: Enrolment by (level, tier), less 20 per school already placed in the zone.
STUDENTS = {
    ("primary", "strong"): 2450, ("primary", "average"): 1980, ("primary", "weak"): 1360,
    ("junior", "strong"): 2300, ("junior", "average"): 1850, ("junior", "weak"): 1240,
}  # fmt: skip
#: Vice principal posts by tier.
VICE = {"strong": 3, "average": 2, "weak": 1}

#: Subjects vice principals teach, in turn.
VICE_SUBJECTS = ("chinese", "math", "english")
#: Years at the current school, by k: 8 of 15 have 6 or more.
YEARS_AT_SCHOOL = (1, 7, 3, 9, 5, 12, 2, 6, 14, 4, 8, 17, 10, 3, 21)
#: Age on 2025-09-01 by k (a different cycle length, so tenure and age mix).
AGES = (27, 45, 33, 51, 38, 29, 56, 42, 35, 48, 31, 53, 40, 26, 46, 37, 58, 44, 30)
#: Key level by k, per 40 places, by tier: how many of 40 are district / municipal.
KEY_PER_40 = {"strong": (10, 3), "average": (6, 1), "weak": (3, 0)}
TITLES = ("junior", "intermediate", "intermediate", "senior", "junior", "intermediate", "none")
EXEMPT_EVERY = 97  # one in 97: 病休 (sick leave) or 产假 (maternity leave)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘于蒋蔡"
GIVEN = (
    "建国", "秀英", "玉兰", "志强", "海燕", "丽娟", "文军", "红梅", "晓东", "春花",
    "国庆", "淑珍", "立新", "小红", "德明", "桂芳", "永刚", "雪梅", "俊杰", "静",
    "伟", "敏", "磊", "洁", "勇", "艳", "军", "娜", "涛", "霞",
    "明辉", "慧敏", "振华", "婷婷", "志刚", "丽华", "宏伟", "晓燕", "建平", "彩云",
)  # fmt: skip
NUMERALS = "一二三四五六七八九十"

SCHOOL_COLUMNS = (
    "school_id", "name", "zone", "group", "level", "locality", "tier", "lat", "lon",
    "students", "principal_posts", "vice_principal_posts",
)  # fmt: skip


def _at(east_km: float, north_km: float) -> tuple[float, float]:
    """Latitude and longitude (4 decimals) of a point so many km from the old town."""
    lat = LAT0 + north_km / 111.2
    lon = LON0 + east_km / (111.2 * math.cos(math.radians(LAT0)))
    return round(lat, 4), round(lon, 4)


def _ordinal(n: int) -> str:
    """1 → 一, 10 → 十, 14 → 十四 (the school's number in its zone)."""
    return NUMERALS[n - 1] if n <= 10 else "十" + NUMERALS[n - 11]


def schools() -> list[dict]:
    """The school rows, zone by zone: primary schools, then junior schools."""
    rows = []
    for code, name, east, north, n_pri, n_jun, tiers_pri, tiers_jun in ZONES:
        for level, n, tiers, offsets, kind in (
            ("primary", n_pri, tiers_pri, PRIMARY_AT, "小学"),
            ("junior", n_jun, tiers_jun, JUNIOR_AT, "中学"),
        ):
            for i in range(n):
                tier = TIER[tiers[i]]
                lat, lon = _at(east + offsets[i][0], north + offsets[i][1])
                rows.append(
                    {
                        "school_id": f"{code}{'P' if level == 'primary' else 'J'}{i + 1:02d}",
                        "name": f"鹭江市{name}第{_ordinal(i + 1)}{kind}",
                        "zone": name,
                        # the strong ones among a zone's first four form its education group
                        "group": f"{name}{kind}教育集团" if tier == "strong" and i < 4 else "",
                        "level": level,
                        "locality": "urban",
                        "tier": tier,
                        "lat": f"{lat:.4f}",
                        "lon": f"{lon:.4f}",
                        "students": STUDENTS[(level, tier)] - 20 * i,
                        "principal_posts": 1,
                        "vice_principal_posts": VICE[tier],
                    }
                )
    return rows


def _date(d: dt.date) -> str:
    return d.isoformat()


def staff(school_rows: list[dict]) -> list[dict]:
    """The staff rows of the schools (see the module docstring)."""
    centre = {name: _at(east, north) for _, name, east, north, *_ in ZONES}
    zone_of_code = {code: name for code, name, *_ in ZONES}
    neighbour = {zone_of_code[a]: zone_of_code[b] for a, b in NEIGHBOUR.items()}
    rows: list[dict] = []
    n = 0
    for si, s in enumerate(school_rows):
        roles = [("principal", "")]
        roles += [
            ("vice_principal", VICE_SUBJECTS[v % 3]) for v in range(int(s["vice_principal_posts"]))
        ]
        roles += [
            ("teacher", subj)
            for subj, c in TEACHERS[(s["level"], s["tier"])].items()
            for _ in range(c)
        ]
        district, municipal = KEY_PER_40[s["tier"]]
        for k, (role, subject) in enumerate(roles):
            n += 1
            age = AGES[(k + si) % len(AGES)]
            if role != "teacher":
                age = max(age, 40)  # cadres are not new hires
            tenure = min(YEARS_AT_SCHOOL[(k + 2 * si) % len(YEARS_AT_SCHOOL)], age - 23)
            female = (k + si) % 3 != 0
            birth = dt.date(AS_OF.year - age, 1 + (k * 5 + si) % 12, 1 + (k * 7) % 28)
            place = k % 40
            key = (
                "municipal"
                if place < municipal
                else "district"
                if place < municipal + district
                else "none"
            )
            if role == "principal" and s["tier"] == "strong":
                key = "special" if si % 2 == 0 else "municipal"
            exempt = ""
            if n % EXEMPT_EVERY == 0:
                exempt = "产假" if female and age < 40 else "病休"
            home = centre[neighbour[s["zone"]] if n % 6 == 5 else s["zone"]]
            rows.append(
                {
                    "staff_id": f"L{n:05d}",
                    "name": SURNAMES[(n * 7) % len(SURNAMES)] + GIVEN[(n * 11) % len(GIVEN)],
                    "school_id": s["school_id"],
                    "role": role,
                    "subject": subject,
                    "key_level": key,
                    "school_start_date": _date(dt.date(AS_OF.year - tenure, 9, 1)),
                    "retirement_date": _date(dt.date(birth.year + (55 if female else 60), 7, 31)),
                    "birth_date": _date(birth),
                    "gender": "F" if female else "M",
                    "on_payroll": "true",
                    "title": "senior" if role != "teacher" else TITLES[(k + si) % len(TITLES)],
                    "above_standard_qualification": "true" if (k + si) % 4 == 0 else "false",
                    "rural_years": 0,
                    "home_lat": f"{home[0]:.4f}",
                    "home_lon": f"{home[1]:.4f}",
                    "exempt_reason": exempt,
                    "hire_date": _date(dt.date(AS_OF.year - (age - 22), 9, 1)),
                }
            )
    return rows


def _write_csv(path: Path, rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def write(folder: Path) -> Path:
    """Write ``schools.csv``, ``staff.csv`` and ``scenario.toml`` into ``folder`` (made
    if missing); return the scenario's path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    school_rows = schools()
    _write_csv(folder / "schools.csv", school_rows)
    _write_csv(folder / "staff.csv", staff(school_rows))
    scenario = folder / "scenario.toml"
    scenario.write_bytes((HERE / "scenario.toml").read_bytes())
    return scenario


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tests/data/lujiang/build.py FOLDER")
    print(write(Path(sys.argv[1])))
