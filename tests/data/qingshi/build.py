"""Build staff.csv and history.csv of Qingshi county (青石县) from schools.csv.

Written by hand, not by ``solver.generate``: every number below is a table or a
cycle written out here, and there is no random number. Run from anywhere:

    python tests/data/qingshi/build.py

It rewrites ``staff.csv`` and ``history.csv`` next to this file (byte for byte the
committed ones; ``tests/test_horizon_acceptance.py`` checks that).

- **Teachers per subject** by school kind (level × locality): the tables ``TEACHERS``.
- **Cadres**: one principal per school and as many vice principals as
  ``vice_principal_posts``.
- **A person's k-th place in the school** (k = 0, 1, ...) sets, through short cycles,
  their age, years at the school, gender, key level, title and degree, so each school
  has a spread of tenures (half eligible today, more in later years).
- **Earlier postings** (history.csv): the career before the current school, from age
  22, at other schools of the same level (the next ones in schools.csv order), in one
  or two postings; and for one person in nine a one-year stint (交流) at a rural or
  weak school of the same level during their current tenure, ended two to five years
  ago (the post stayed home, so their years at the school did not restart).
- **On a stint now**: one urban teacher in forty serves a two-year stint at a rural
  school of the same level that ends on 2026-09-01 (``post_school_id`` is home).
- **Homes** in the town (or county seat) of the school's zone.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

HERE = Path(__file__).resolve().parent
AS_OF = dt.date(2025, 9, 1)

#: Teachers per subject by (level, locality).
TEACHERS: dict[tuple[str, str], dict[str, int]] = {
    ("primary", "urban"): {
        "chinese": 34, "math": 28, "english": 14, "science": 8, "morality": 6,
        "pe": 9, "music": 6, "art": 6, "it": 4, "psychology": 3,
    },
    ("primary", "town"): {
        "chinese": 21, "math": 18, "english": 9, "science": 6, "morality": 4,
        "pe": 5, "music": 4, "art": 4, "it": 2, "psychology": 1,
    },
    ("primary", "rural"): {
        "chinese": 10, "math": 9, "english": 4, "science": 2, "morality": 2,
        "pe": 3, "music": 1, "art": 1,
    },
    ("junior", "urban"): {
        "chinese": 25, "math": 25, "english": 23, "physics": 12, "chemistry": 9,
        "biology": 8, "history": 8, "geography": 8, "morality": 11, "pe": 10,
        "music": 4, "art": 4, "it": 4, "psychology": 2,
    },
    ("junior", "town"): {
        "chinese": 15, "math": 15, "english": 13, "physics": 7, "chemistry": 5,
        "biology": 5, "history": 5, "geography": 5, "morality": 5, "pe": 5,
        "music": 2, "art": 2, "it": 2, "psychology": 1,
    },
    ("junior", "rural"): {
        "chinese": 7, "math": 7, "english": 6, "physics": 4, "chemistry": 3,
        "biology": 3, "history": 3, "geography": 3, "morality": 3, "pe": 3,
        "music": 1, "art": 1, "it": 1,
    },
}  # fmt: skip

#: Subjects vice principals teach, in turn.
VICE_SUBJECTS = ("chinese", "math", "english")

#: Years at the current school, by k: 8 of 15 have 6 or more today, 11 of 15 by year 3.
YEARS_AT_SCHOOL = (1, 7, 3, 9, 5, 12, 2, 6, 14, 4, 8, 17, 10, 3, 21)
#: Age on 2025-09-01 by k (a different cycle length, so tenure and age mix).
AGES = (27, 45, 33, 51, 38, 29, 56, 42, 35, 48, 31, 53, 40, 26, 46, 37, 58, 44, 30)
#: Key level by k, per 40 places, by tier: how many of 40 are district / municipal.
KEY_PER_40 = {"strong": (10, 3), "average": (8, 2), "weak": (7, 1)}
TITLES = ("junior", "intermediate", "intermediate", "senior", "junior", "intermediate", "none")
EXEMPT_EVERY = 97  # one in 97: 病休 (sick leave) or 产假 (maternity leave)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘于蒋蔡"
GIVEN = (
    "建国", "秀英", "玉兰", "志强", "海燕", "丽娟", "文军", "红梅", "晓东", "春花",
    "国庆", "淑珍", "立新", "小红", "德明", "桂芳", "永刚", "雪梅", "俊杰", "静",
    "伟", "敏", "磊", "洁", "勇", "艳", "军", "娜", "涛", "霞",
    "明辉", "慧敏", "振华", "婷婷", "志刚", "丽华", "宏伟", "晓燕", "建平", "彩云",
)  # fmt: skip


def _date(d: dt.date) -> str:
    return d.isoformat()


def _years_before(d: dt.date, years: int, month: int = 9, day: int = 1) -> dt.date:
    return dt.date(d.year - years, month, day)


def build() -> tuple[list[dict], list[dict]]:
    """The staff rows and the history rows (see the module docstring)."""
    with open(HERE / "schools.csv", encoding="utf-8", newline="") as f:
        schools = list(csv.DictReader(f))
    by_level: dict[str, list[dict]] = {}
    for s in schools:
        by_level.setdefault(s["level"], []).append(s)
    # The zone's town centre: its central school (or the county seat's first school).
    centre: dict[str, dict] = {}
    for s in schools:
        if s["locality"] != "rural":
            centre.setdefault(s["zone"], s)
    staff: list[dict] = []
    history: list[dict] = []
    n = 0
    for si, s in enumerate(schools):
        kind = (s["level"], s["locality"])
        roles = [("principal", "")]
        roles += [
            ("vice_principal", VICE_SUBJECTS[v % 3]) for v in range(int(s["vice_principal_posts"]))
        ]
        roles += [("teacher", subj) for subj, c in TEACHERS[kind].items() for _ in range(c)]
        same = by_level[s["level"]]
        pos = same.index(s)
        others = same[pos + 1 :] + same[:pos]
        rural_same = [o for o in others if o["locality"] == "rural" or o["tier"] == "weak"]
        district, municipal = KEY_PER_40[s["tier"]]
        home = centre[s["zone"]]
        for k, (role, subject) in enumerate(roles):
            n += 1
            sid = f"Q{n:04d}"
            age = AGES[(k + si) % len(AGES)]
            if role != "teacher":
                age = max(age, 40)  # cadres are not new hires
            tenure = min(YEARS_AT_SCHOOL[(k + 2 * si) % len(YEARS_AT_SCHOOL)], age - 23)
            female = (k + si) % 3 != 0
            birth = dt.date(AS_OF.year - age, 1 + (k * 5 + si) % 12, 1 + (k * 7) % 28)
            retire = dt.date(birth.year + (55 if female else 60), 7, 31)
            hire = _years_before(AS_OF, age - 22)
            start = _years_before(AS_OF, tenure)
            place = k % 40
            key = (
                "municipal"
                if place < municipal
                else "district"
                if place < municipal + district
                else "none"
            )
            if role == "principal" and s["tier"] == "strong" and s["locality"] == "urban":
                key = "special" if si % 2 == 0 else "municipal"
            exempt = ""
            if n % EXEMPT_EVERY == 0:
                exempt = "产假" if female and age < 40 else "病休"
            row = {
                "staff_id": sid,
                "name": SURNAMES[(n * 7) % len(SURNAMES)] + GIVEN[(n * 11) % len(GIVEN)],
                "school_id": s["school_id"],
                "role": role,
                "subject": subject,
                "key_level": key,
                "school_start_date": _date(start),
                "retirement_date": _date(retire),
                "birth_date": _date(birth),
                "gender": "F" if female else "M",
                "on_payroll": "true",
                "title": "senior" if role != "teacher" else TITLES[(k + si) % len(TITLES)],
                "above_standard_qualification": "true" if (k + si) % 4 == 0 else "false",
                "rural_years": 0,
                "home_lat": home["lat"],
                "home_lon": home["lon"],
                "exempt_reason": exempt,
                "post_school_id": "",
                "stint_end": "",
                "hire_date": _date(hire),
            }
            postings: list[tuple[str, dt.date, dt.date | None]] = []
            # The career before the current school: one or two postings, from age 22.
            before = age - 22 - tenure
            if before > 0 and others:
                a = others[(k + si) % len(others)]
                if before >= 8 and len(others) > 1:
                    b = others[(k + si + 7) % len(others)]
                    mid = _years_before(AS_OF, tenure + before // 2)
                    postings.append((b["school_id"], hire, mid - dt.timedelta(days=1)))
                    postings.append((a["school_id"], mid, start - dt.timedelta(days=1)))
                else:
                    postings.append((a["school_id"], hire, start - dt.timedelta(days=1)))
            # A one-year stint during the current tenure, ended 2-5 years ago.
            ago = 2 + (k % 4)
            if k % 9 == 4 and tenure > ago + 1 and rural_same and s["locality"] != "rural":
                t = rural_same[k % len(rural_same)]
                postings.append(
                    (
                        t["school_id"],
                        _years_before(AS_OF, ago + 1),
                        _years_before(AS_OF, ago) - dt.timedelta(days=1),
                    )
                )
            # On a stint now: two years at a rural school, ending 2026-09-01.
            away = role == "teacher" and s["locality"] == "urban" and k % 40 == 21 and tenure >= 4
            if away:
                t = [o for o in others if o["locality"] == "rural"][k % 5]
                stint_start = dt.date(2024, 9, 1)
                postings.append((s["school_id"], start, stint_start - dt.timedelta(days=1)))
                postings.append((t["school_id"], stint_start, None))
                row.update(
                    school_id=t["school_id"],
                    post_school_id=s["school_id"],
                    stint_end="2026-09-01",
                    school_start_date=_date(stint_start),
                )
            else:
                postings.append((s["school_id"], start, None))
            rural_ids = {o["school_id"] for o in schools if o["locality"] == "rural"}
            rural_days = sum(
                ((end or AS_OF) - begin).days
                for school, begin, end in postings
                if school in rural_ids
            )
            row["rural_years"] = round(rural_days / 365.25, 1)
            staff.append(row)
            for school, begin, end in postings:
                history.append(
                    {
                        "staff_id": sid,
                        "school_id": school,
                        "start_date": _date(begin),
                        "end_date": _date(end) if end else "",
                    }
                )
    return staff, history


def write(folder: Path = HERE) -> None:
    """Write ``staff.csv`` and ``history.csv`` into ``folder``."""
    staff, history = build()
    for name, rows in (("staff.csv", staff), ("history.csv", history)):
        with open(folder / name, "w", encoding="utf-8", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
            w.writeheader()
            w.writerows(rows)


if __name__ == "__main__":
    write()
