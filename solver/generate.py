"""Synthetic districts (`lungang generate`): schools and staff calibrated on the policy sources.

Every distribution used here, with its source, is documented in ``data/README.md``.
The tables have exactly the input columns of ``docs/input.md`` (English headers,
in that order). Dates are ISO strings relative to :data:`AS_OF`
(2025-09-01, the ``as_of`` of the scenarios), never to today.

Deterministic: all randomness comes from one ``numpy.random.default_rng(seed)``
(the ``city`` profile spawns one child generator per district from it), so the
same seed gives byte-identical files and different seeds give different ones.
Everything per person is vectorised: 20,000 staff take about 0.1 s with their CSV files.

Public functions: :func:`generate`, :func:`write_generated`, :func:`write_tables`,
:func:`summarize` (the calibration figures of one district) and
:func:`cached_district_path` (the data folder of a scenario that names a profile).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import InputError, Problem
from .input.data import SUBJECTS
from .input.geo import haversine_km
from .rules.indicators import difference_coefficient

#: The reference date of every generated date (the scenarios' ``as_of``).
AS_OF = dt.date(2025, 9, 1)
_AS_OF = np.datetime64(AS_OF.isoformat(), "D")
DAYS_PER_YEAR = 365.25
KM_PER_DEG = (
    111.195  # 2π·6371.0088/360: km per degree of latitude on the sphere of ``docs/scenario.md``
)

SCHOOL_COLUMNS: tuple[str, ...] = (
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
STAFF_COLUMNS: tuple[str, ...] = (
    "staff_id",
    "name",
    "school_id",
    "role",
    "subject",
    "key_level",
    "school_start_date",
    "retirement_date",
    "on_payroll",
    "title",
    "above_standard_qualification",
    "rural_years",
    "home_lat",
    "home_lon",
    "exempt_reason",
)
PROFILES: tuple[str, ...] = ("demo", "urban-core", "outer-suburb", "county-two-way", "city")
FORMATS: tuple[str, ...] = ("csv", "xlsx")
_DATE_COLUMNS = pd.Index(["school_start_date", "retirement_date"])

_LOCALITIES = ("urban", "town", "rural")
_TIERS = ("strong", "average", "weak")
_LEVELS = ("primary", "junior", "nine_year")
_K = len(SUBJECTS)
_SUBJ = {s: i for i, s in enumerate(SUBJECTS)}
_PE_ART = np.array([s in ("pe", "music", "art") for s in SUBJECTS])

# Teachers by subject, share of a school's teachers (curriculum hours, data/README.md).
_PRIMARY_MIX = {
    "chinese": 0.26,
    "math": 0.20,
    "english": 0.10,
    "science": 0.06,
    "morality": 0.05,
    "pe": 0.09,
    "music": 0.06,
    "art": 0.06,
    "it": 0.04,
    "psychology": 0.02,
}
_JUNIOR_MIX = {
    "chinese": 0.14,
    "math": 0.14,
    "english": 0.13,
    "physics": 0.06,
    "chemistry": 0.04,
    "biology": 0.05,
    "history": 0.05,
    "geography": 0.05,
    "morality": 0.06,
    "pe": 0.08,
    "music": 0.035,
    "art": 0.035,
    "it": 0.03,
    "psychology": 0.02,
}
# Subjects every school has at least one teacher of (when it has enough teachers).
_PRIMARY_CORE = ("chinese", "math", "english", "pe", "music", "art")
_JUNIOR_CORE = (
    "chinese",
    "math",
    "english",
    "physics",
    "chemistry",
    "biology",
    "history",
    "geography",
    "morality",
    "pe",
    "music",
    "art",
)
#: Teachers per student by level (national staffing norm, data/README.md).
STUDENTS_PER_TEACHER = {"primary": 19.0, "junior": 13.5}
#: Enrolment bounds by level (per part for nine-year schools).
ENROLMENT_RANGE = {"primary": (200, 3000), "junior": (200, 2000)}
_RETIREMENT_AGE = {"F": 55, "M": 60}
EXEMPT_REASONS: tuple[str, ...] = ("孕期", "哺乳期", "重病")


def _mix(d: dict[str, float]) -> np.ndarray:
    v = np.array([d.get(s, 0.0) for s in SUBJECTS], dtype=float)
    return v / v.sum()


def _core(names: tuple[str, ...]) -> np.ndarray:
    return np.array([s in names for s in SUBJECTS])


_P_MIX, _J_MIX = _mix(_PRIMARY_MIX), _mix(_JUNIOR_MIX)
_P_CORE, _J_CORE = _core(_PRIMARY_CORE), _core(_JUNIOR_CORE)


@dataclass(frozen=True)
class Profile:
    """Parameters of one synthetic district (triples are by locality or by tier)."""

    name: str
    district: str  # folder name in the city profile
    label: str  # Chinese place label used in school names
    code: str  # id prefix
    schools: int
    staff: int
    lat: float
    lon: float
    layout: str  # demo | zones | suburb | county
    n_zones: int
    n_groups: int
    group_share: float  # share of non-lead schools that join a group
    level_p: tuple = ((0.58, 0.27, 0.15),) * 3  # (primary, junior, nine_year) by locality
    locality_share: tuple = (1.0, 0.0, 0.0)  # urban, town, rural
    tier_p: tuple = ((0.30, 0.45, 0.25), (0.10, 0.50, 0.40), (0.05, 0.40, 0.55))
    key_tier: tuple = (0.32, 0.18, 0.09)  # P(key) of a teacher by school tier
    key_loc: tuple = (1.0, 0.7, 0.4)
    key_sigma: float = 0.20  # school-level log-normal spread
    pe_art_tier: tuple = (1.2, 1.0, 0.75)  # PE/art share multiplier
    pe_art_loc: tuple = (1.0, 0.8, 0.45)
    pe_art_sigma: float = 0.35
    ratio_loc: tuple = (1.0, 0.9, 0.7)  # students per teacher multiplier
    enrol_primary: tuple = (1100, 700, 320)  # median before scaling, by locality
    enrol_junior: tuple = (800, 500, 280)
    enrol_sigma: float = 0.45
    main_min: int = 1  # least chinese/math/english teachers per school
    cadre_eligible_per_school: float = 1.3
    tenure_scale: tuple = (2.0, 2.5)  # extra years beyond 6: principal, vice
    teacher_tenure_beta: tuple = (2.4, 1.1)
    payroll: float = 0.93
    home_near_km: float = 1.8
    home_far_share: float = 0.15
    home_far_km: tuple = (4.0, 12.0)
    home_centre_share: float = 0.0  # town/rural staff living in the centre


_BASE = {
    "demo": Profile(
        name="demo",
        district="demo",
        label="示范",
        code="",
        schools=12,
        staff=300,
        lat=39.90,
        lon=116.40,
        layout="demo",
        n_zones=2,
        n_groups=2,
        group_share=0.6,
        locality_share=(0.67, 0.0, 0.33),
        tier_p=((0.35, 0.45, 0.20), (0.1, 0.5, 0.4), (0.0, 0.45, 0.55)),
        enrol_primary=(700, 700, 450),
        enrol_junior=(600, 600, 450),
        enrol_sigma=0.25,
        main_min=3,
        cadre_eligible_per_school=0.8,
        teacher_tenure_beta=(3.0, 1.0),
        payroll=0.95,
        home_near_km=1.5,
        home_far_share=0.10,
        home_far_km=(3.0, 6.0),
    ),
    "urban-core": Profile(
        name="urban-core",
        district="dongcheng",
        label="东城",
        code="DC-",
        schools=90,
        staff=9000,
        lat=39.9288,
        lon=116.4163,
        layout="zones",
        n_zones=8,
        n_groups=7,
        group_share=0.6,
        enrol_primary=(1200, 900, 500),
        enrol_junior=(900, 600, 350),
    ),
    "outer-suburb": Profile(
        name="outer-suburb",
        district="miyun",
        label="密云",
        code="MY-",
        schools=60,
        staff=4500,
        lat=40.3763,
        lon=116.8430,
        layout="suburb",
        n_zones=4,
        n_groups=3,
        group_share=0.35,
        locality_share=(0.30, 0.23, 0.47),
        level_p=((0.55, 0.35, 0.10), (0.50, 0.30, 0.20), (0.65, 0.10, 0.25)),
        tier_p=((0.35, 0.50, 0.15), (0.10, 0.55, 0.35), (0.03, 0.42, 0.55)),
        key_tier=(0.20, 0.12, 0.08),
        key_loc=(1.0, 0.75, 0.55),
        pe_art_loc=(1.0, 0.75, 0.5),
        cadre_eligible_per_school=1.5,
        home_far_km=(5.0, 30.0),
        home_centre_share=0.35,
    ),
    "county-two-way": Profile(
        name="county-two-way",
        district="banan",
        label="巴南",
        code="BN-",
        schools=120,
        staff=8000,
        lat=29.4020,
        lon=106.5400,
        layout="county",
        n_zones=6,
        n_groups=5,
        group_share=0.4,
        locality_share=(0.50, 0.15, 0.35),
        level_p=((0.55, 0.30, 0.15), (0.50, 0.30, 0.20), (0.65, 0.10, 0.25)),
        tier_p=((0.30, 0.50, 0.20), (0.10, 0.55, 0.35), (0.05, 0.45, 0.50)),
        key_tier=(0.24, 0.13, 0.07),
        key_loc=(1.0, 0.7, 0.5),
        pe_art_loc=(1.0, 0.75, 0.45),
        cadre_eligible_per_school=1.4,
        tenure_scale=(3.5, 5.0),
        home_far_km=(5.0, 25.0),
        home_centre_share=0.25,
    ),
}

# The city: 16 districts built from the three big profiles (name, label, code, lat, lon,
# schools, staff); about 1,500 schools and 112,500 staff in all.
_CITY: tuple[tuple[str, str, str, str, float, float, int, int], ...] = (
    ("urban-core", "dongcheng", "东城", "DC-", 39.9288, 116.4163, 90, 9000),
    ("urban-core", "xicheng", "西城", "XC-", 39.9123, 116.3659, 110, 11000),
    ("urban-core", "chaoyang", "朝阳", "CY-", 39.9215, 116.4431, 130, 11500),
    ("urban-core", "haidian", "海淀", "HD-", 39.9593, 116.2981, 130, 12000),
    ("urban-core", "fengtai", "丰台", "FT-", 39.8585, 116.2870, 90, 7500),
    ("urban-core", "shijingshan", "石景山", "SJS-", 39.9056, 116.2229, 50, 4000),
    ("outer-suburb", "miyun", "密云", "MY-", 40.3763, 116.8430, 60, 4500),
    ("outer-suburb", "huairou", "怀柔", "HR-", 40.3160, 116.6318, 50, 3600),
    ("outer-suburb", "pinggu", "平谷", "PG-", 40.1406, 117.1213, 55, 3900),
    ("outer-suburb", "yanqing", "延庆", "YQ-", 40.4566, 115.9750, 45, 3000),
    ("outer-suburb", "mentougou", "门头沟", "MTG-", 39.9405, 116.1020, 40, 3000),
    ("outer-suburb", "fangshan", "房山", "FS-", 39.7479, 116.1430, 110, 8000),
    ("county-two-way", "tongzhou", "通州", "TZ-", 39.9095, 116.6565, 150, 9000),
    ("county-two-way", "shunyi", "顺义", "SY-", 40.1302, 116.6546, 130, 7500),
    ("county-two-way", "changping", "昌平", "CP-", 40.2207, 116.2312, 140, 8000),
    ("county-two-way", "daxing", "大兴", "DX-", 39.7268, 116.3414, 120, 7000),
)
CITY_SCHOOLS = sum(row[6] for row in _CITY)
CITY_STAFF = sum(row[7] for row in _CITY)

_SURNAMES = tuple(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴孔汤"
)
_GIVEN = tuple(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红燕建文辉力亮鹏飞宇晨欣怡佳琳雪梅海波"
    "东晓颖慧婷博浩然思雨嘉雯倩璐琪悦冰凯瑶丹蕾楠宁"
)
_PLACE_A = tuple("河柳石杨高新古清云枫松桃梨溪龙凤青白金安永长平兴")
_PLACE_B = tuple("庄营屯峪口寨店集坡沟岭湾台坪")
_CN_DIGITS = "零一二三四五六七八九"


def _cn(n: int) -> str:
    """Chinese numeral for 1..999 (第十二小学, 第一百零五中学)."""
    if n < 10:
        return _CN_DIGITS[n]
    if n < 20:
        return "十" + (_CN_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return _CN_DIGITS[n // 10] + "十" + (_CN_DIGITS[n % 10] if n % 10 else "")
    rest = n % 100
    head = _CN_DIGITS[n // 100] + "百"
    if rest == 0:
        return head
    if rest < 10:
        return head + "零" + _CN_DIGITS[rest]
    return head + _CN_DIGITS[rest // 10] + "十" + (_CN_DIGITS[rest % 10] if rest % 10 else "")


# --------------------------------------------------------------------------- helpers


def _largest_remainder(
    total: int, weights: np.ndarray, rng: np.random.Generator, minimum: int = 0
) -> np.ndarray:
    """Split ``total`` into integers proportional to ``weights`` (exact sum)."""
    n = len(weights)
    minimum = min(minimum, total // max(n, 1))
    w = np.asarray(weights, dtype=float)
    share = (total - minimum * n) * w / w.sum()
    base = np.floor(share).astype(np.int64)
    rest = int(total - minimum * n - base.sum())
    priority = share - base + 1e-9 * rng.random(n)
    base[np.argsort(-priority, kind="stable")[:rest]] += 1
    return base + minimum


def _disc(rng: np.random.Generator, n: int, radius) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points uniform in discs of ``radius`` km around the origin (x east, y north)."""
    r = np.asarray(radius, dtype=float) * np.sqrt(rng.random(n))
    a = rng.random(n) * 2 * np.pi
    return r * np.cos(a), r * np.sin(a)


def _sector(x: np.ndarray, y: np.ndarray, k: int) -> np.ndarray:
    """Index 0..k-1 of the angular sector of each point around the origin."""
    ang = np.arctan2(y, x) % (2 * np.pi)
    return np.minimum((ang / (2 * np.pi) * k).astype(int), k - 1)


def _to_latlon(p: Profile, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lat = p.lat + y / KM_PER_DEG
    lon = p.lon + x / (KM_PER_DEG * np.cos(np.radians(p.lat)))
    return np.round(lat, 6), np.round(lon, 6)


def _place_names(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` distinct two-character place names (河庄, 柳营, ...)."""
    pairs = [a + b for a in _PLACE_A for b in _PLACE_B]
    order = rng.permutation(len(pairs))
    names = [pairs[i] for i in order[: min(n, len(pairs))]]
    k = 2
    while len(names) < n:  # more places than pairs: 河庄二, 柳营二, ...
        names += [pairs[i] + _cn(k) for i in order[: n - len(names)]]
        k += 1
    return names


# --------------------------------------------------------------------------- schools


@dataclass
class _Layout:
    x: np.ndarray
    y: np.ndarray
    locality: np.ndarray  # index into _LOCALITIES
    zone_p: np.ndarray  # zone name of the school if primary
    zone_j: np.ndarray  # zone name if junior or nine-year
    place: np.ndarray  # town / village label for non-urban names ("" for urban)
    level: np.ndarray | None = None


def _layout_demo(p: Profile, rng: np.random.Generator, n: int) -> _Layout:
    zone = np.arange(n) % 2  # 0 east, 1 west
    x, y = _disc(rng, n, 2.0)
    x = x + np.where(zone == 0, 3.5, -3.5)
    # The schools farthest out (east or west) are rural.
    dist = np.abs(x)
    n_rural = round(n * p.locality_share[2])
    locality = np.zeros(n, dtype=int)
    locality[np.argsort(-dist, kind="stable")[:n_rural]] = 2
    k = np.arange(n) // 2
    level = np.where(k % 3 == 1, 1, 0)
    level[n - 1] = 2
    names = np.array(["东区", "西区"])[zone]
    villages = np.array(_place_names(rng, n), dtype=object)
    place = np.where(locality == 2, villages, "")
    return _Layout(x, y, locality, names, names, place, level)


def _layout_zones(p: Profile, rng: np.random.Generator, n: int, n_zones: int) -> _Layout:
    rows = (n_zones + 1) // 2
    zi = rng.permutation(np.arange(n) % n_zones)
    cx = np.where(zi % 2 == 0, -1.2, 1.2)
    cy = ((zi // 2) - (rows - 1) / 2) * 2.0
    dx, dy = _disc(rng, n, 1.2)
    names = np.array([f"第{_cn(i + 1)}学区" for i in range(n_zones)])[zi]
    return _Layout(
        cx + dx, cy + dy, np.zeros(n, dtype=int), names, names, np.full(n, "", dtype=object)
    )


def _layout_spread(
    p: Profile, rng: np.random.Generator, n: int, urban_r: float, town_r: tuple[float, float]
) -> tuple[np.ndarray, ...]:
    """A centre (urban) plus townships (one town school each) with rural schools around."""
    n_urban = max(2, round(n * p.locality_share[0]))
    n_town = max(1, round(n * p.locality_share[1]))
    n_rural = max(0, n - n_urban - n_town)
    n_town = n - n_urban - n_rural
    ux, uy = _disc(rng, n_urban, urban_r)
    ang = (np.arange(n_town) + 0.5 * rng.random(n_town)) / n_town * 2 * np.pi
    rad = rng.uniform(*town_r, n_town)
    tx, ty = rad * np.cos(ang), rad * np.sin(ang)
    seat = rng.integers(0, n_town, n_rural)
    rx, ry = _disc(rng, n_rural, 4.0)
    rx, ry = rx + tx[seat], ry + ty[seat]
    jx, jy = _disc(rng, n_town, 0.5)
    x = np.concatenate([ux, tx + jx, rx])
    y = np.concatenate([uy, ty + jy, ry])
    locality = np.repeat([0, 1, 2], [n_urban, n_town, n_rural])
    places = _place_names(rng, n_town + n_rural)
    towns = np.array([t + "镇" for t in places[:n_town]], dtype=object)
    villages = np.array(places[n_town:], dtype=object)
    place = np.concatenate([np.full(n_urban, "", dtype=object), towns, towns[seat] + villages])
    return x, y, locality, place


def _layout_suburb(p: Profile, rng: np.random.Generator, n: int) -> _Layout:
    x, y, locality, place = _layout_spread(p, rng, n, 4.0, (12.0, 28.0))
    zone_j = np.array([f"中学学区{_cn(i + 1)}" for i in range(4)])[_sector(x, y, 4)]
    zone_p = np.array([f"小学共同体{_cn(i + 1)}" for i in range(7)])[_sector(x, y, 7)]
    return _Layout(x, y, locality, zone_p, zone_j, place)


def _layout_county(p: Profile, rng: np.random.Generator, n: int, n_zones: int) -> _Layout:
    x, y, locality, place = _layout_spread(p, rng, n, 7.0, (12.0, 35.0))
    # Supervision areas: the city in two halves, the countryside in sectors.
    n_city = max(1, n_zones // 3)
    z = np.where(locality == 0, _sector(x, y, n_city), n_city + _sector(x, y, n_zones - n_city))
    names = np.array([f"督导责任区{_cn(i + 1)}" for i in range(n_zones)])[z]
    return _Layout(x, y, locality, names, names, place)


def _layout(p: Profile, rng: np.random.Generator, n: int, n_zones: int) -> _Layout:
    """The schools' places by the profile's layout."""
    if p.layout == "demo":
        return _layout_demo(p, rng, n)
    elif p.layout == "zones":
        return _layout_zones(p, rng, n, n_zones)
    elif p.layout == "suburb":
        return _layout_suburb(p, rng, n)
    return _layout_county(p, rng, n, max(3, n_zones))


def _school_names(
    p: Profile, n: int, level: np.ndarray, loc: np.ndarray, lay: _Layout
) -> list[str]:
    """Chinese school names: numbered in the city, after their place elsewhere, unique."""
    kind = np.array(["小学", "中学", "学校"])[level]
    names = []
    counters = {0: 0, 1: 0, 2: 0}
    for i in range(n):
        if loc[i] == 0 or not lay.place[i]:
            counters[int(level[i])] += 1
            names.append(f"{p.label}第{_cn(counters[int(level[i])])}{kind[i]}")
        elif loc[i] == 1:
            names.append(lay.place[i] + ("中心小学" if level[i] == 0 else kind[i]))
        else:
            names.append(lay.place[i] + kind[i])
    seen: dict[str, int] = {}
    for i, nm in enumerate(names):
        seen[nm] = seen.get(nm, 0) + 1
        if seen[nm] > 1:
            names[i] = f"{nm[:-2]}{_cn(seen[nm])}{nm[-2:]}"

    return names


def _school_groups(
    p: Profile, rng: np.random.Generator, n: int, lead: np.ndarray, names: list[str], lay: _Layout
) -> np.ndarray:
    # Group membership: joining schools, in random order, take the nearest lead that
    # still has room (groups of similar size, mostly of neighbouring schools).
    lead_idx = np.flatnonzero(lead)
    group = np.full(n, "", dtype=object)
    if len(lead_idx):
        gname = np.array([names[i] + "教育集团" for i in lead_idx], dtype=object)
        join = (rng.random(n) < p.group_share) & ~lead
        room = np.full(len(lead_idx), int(np.ceil(1.3 * join.sum() / len(lead_idx))))
        d = np.hypot(
            lay.x[:, None] - lay.x[lead_idx][None, :], lay.y[:, None] - lay.y[lead_idx][None, :]
        )
        for i in rng.permutation(np.flatnonzero(join)):
            g = int(np.argmin(np.where(room > 0, d[i], np.inf)))
            group[i] = gname[g]
            room[g] -= 1
        group[lead_idx] = gname
    return group


def _schools(
    p: Profile, rng: np.random.Generator, n: int, n_staff: int
) -> tuple[pd.DataFrame, dict]:
    scale_n = n / _BASE[p.name].schools
    n_zones = max(2, round(p.n_zones * scale_n)) if p.layout in ("zones", "county") else p.n_zones
    n_groups = (
        max(1, min(round(p.n_groups * scale_n), n // 3)) if p.layout != "demo" else p.n_groups
    )
    lay = _layout(p, rng, n, n_zones)
    loc = lay.locality

    # Level, by locality (data/README.md): quotas per locality, placed at random.
    if lay.level is None:
        level = np.zeros(n, dtype=np.int64)
        for li in range(len(_LOCALITIES)):
            idx = np.flatnonzero(loc == li)
            if len(idx):
                quota = _largest_remainder(len(idx), np.asarray(p.level_p[li], dtype=float), rng)
                level[idx] = rng.permutation(np.repeat(np.arange(3), quota))
    else:
        level = lay.level
    cum_t = np.cumsum(np.asarray(p.tier_p, dtype=float)[loc], axis=1)
    tier = (rng.random(n)[:, None] > cum_t[:, :-1]).sum(axis=1)

    # Enrolment: log-normal by level and locality, scaled below to the staff size.
    med_p = np.asarray(p.enrol_primary, dtype=float)[loc]
    med_j = np.asarray(p.enrol_junior, dtype=float)[loc]
    tier_f = np.array([1.25, 1.0, 0.8])[tier]
    zp = np.exp(rng.normal(0.0, p.enrol_sigma, n))
    zj = np.exp(rng.normal(0.0, p.enrol_sigma, n))
    raw_p = np.where(level == 1, 0.0, med_p * tier_f * zp * np.where(level == 2, 0.8, 1.0))
    raw_j = np.where(level == 0, 0.0, med_j * tier_f * zj * np.where(level == 2, 0.5, 1.0))

    # Groups: lead schools are strong, large, urban where possible, in distinct zones.
    lead = np.zeros(n, dtype=bool)
    zone_any = np.where(level == 0, lay.zone_p, lay.zone_j)
    order = np.lexsort((rng.random(n), loc))
    used: list[str] = []
    for i in order:
        if lead.sum() >= n_groups:
            break
        if zone_any[i] not in used or len(used) >= len(np.unique(zone_any)):
            lead[i] = True
            used.append(zone_any[i])
    tier[lead] = 0
    raw_p = np.where(lead & (level != 1), raw_p * 1.4, raw_p)
    raw_j = np.where(lead & (level != 0), raw_j * 1.4, raw_j)

    # Students per teacher: level norm x locality factor x noise, normalised so the
    # district ratio stays at the norm (small rural schools have fewer students per teacher).
    rf = np.asarray(p.ratio_loc, dtype=float)[loc] * np.exp(rng.normal(0.0, 0.08, n))
    vp = np.zeros(n, dtype=np.int64)
    junior_min = np.where(level == 1, ENROLMENT_RANGE["junior"][0], 100)
    for _ in range(5):  # scale enrolment to the staff size, clip to the ranges, repeat
        students = raw_p + raw_j
        vp = 1 + (students >= 500).astype(np.int64) + (students >= 1500)
        teachers_wanted = n_staff - n - int(vp.sum())
        norm = raw_p / STUDENTS_PER_TEACHER["primary"] + raw_j / STUDENTS_PER_TEACHER["junior"]
        f = teachers_wanted / norm.sum()
        raw_p = np.where(level == 1, 0.0, np.clip(raw_p * f, *ENROLMENT_RANGE["primary"]))
        raw_j = np.where(
            level == 0, 0.0, np.clip(raw_j * f, junior_min, ENROLMENT_RANGE["junior"][1])
        )
    ps = np.round(raw_p).astype(np.int64)
    js = np.round(raw_j).astype(np.int64)
    students = ps + js
    vp = 1 + (students >= 500).astype(np.int64) + (students >= 1500)
    vp = np.maximum(1, vp - (rng.random(n) < 0.15))  # some posts vacant
    if p.layout == "demo":
        vp = np.minimum(vp, 2)
    norm = ps / STUDENTS_PER_TEACHER["primary"] + js / STUDENTS_PER_TEACHER["junior"]
    rf = rf * (norm / rf).sum() / norm.sum()  # district ratio = norm
    n_teachers = n_staff - n - int(vp.sum())
    teachers = _largest_remainder(n_teachers, norm / rf, rng, minimum=6)

    names = _school_names(p, n, level, loc, lay)

    group = _school_groups(p, rng, n, lead, names, lay)
    zone = np.where(level == 0, lay.zone_p, lay.zone_j)
    lat, lon = _to_latlon(p, lay.x, lay.y)
    width = max(2, len(str(n)))
    frame = pd.DataFrame(
        {
            "school_id": [f"{p.code}S{i + 1:0{width}d}" for i in range(n)],
            "name": names,
            "zone": zone.astype(str),
            "group": group.astype(str),
            "level": np.array(_LEVELS)[level],
            "locality": np.array(_LOCALITIES)[loc],
            "tier": np.array(_TIERS)[tier],
            "lat": lat,
            "lon": lon,
            "students": students,
            "junior_students": pd.array(np.where(level == 2, js, 0), dtype="Int64"),
            "principal_posts": np.ones(n, dtype=np.int64),
            "vice_principal_posts": vp.astype(np.int64),
        }
    )
    frame.loc[level != 2, "junior_students"] = pd.NA
    extra = {
        "x": lay.x,
        "y": lay.y,
        "loc": loc,
        "tier": tier,
        "level": level,
        "ps": ps,
        "js": js,
        "teachers": teachers,
        "vp": vp,
        "lead": lead,
    }
    return frame, extra


# --------------------------------------------------------------------------- staff


def _subject_counts(p: Profile, rng: np.random.Generator, s: dict) -> np.ndarray:
    """Teachers per school (rows) and subject (columns, in SUBJECTS order)."""
    n = len(s["teachers"])
    wp = s["ps"] / STUDENTS_PER_TEACHER["primary"]
    wj = s["js"] / STUDENTS_PER_TEACHER["junior"]
    share_j = (wj / np.maximum(wp + wj, 1e-9))[:, None]
    mix = (1 - share_j) * _P_MIX[None, :] + share_j * _J_MIX[None, :]
    # PE and art: fewer at rural and weak schools, and a school-level spread.
    m = (
        np.asarray(p.pe_art_tier)[s["tier"]]
        * np.asarray(p.pe_art_loc)[s["loc"]]
        * np.exp(rng.normal(0.0, p.pe_art_sigma, n))
    )
    pa = mix[:, _PE_ART].sum(axis=1)
    m = np.minimum(m, 0.45 / pa)
    other = (1 - pa * m) / (1 - pa)
    mix = np.where(_PE_ART[None, :], mix * m[:, None], mix * other[:, None])
    t = s["teachers"]
    exp = t[:, None] * mix
    base = np.floor(exp).astype(np.int64)
    rest = t - base.sum(axis=1)
    prio = np.where(mix > 0, exp - base + 0.25 * rng.random(exp.shape), -np.inf)
    rank = np.argsort(np.argsort(-prio, axis=1, kind="stable"), axis=1, kind="stable")
    counts = base + (rank < rest[:, None])
    # Every school keeps at least one teacher of its core subjects and ``main_min`` of
    # chinese, math and english, taken from its largest subject.
    core = np.where(
        (s["level"] == 0)[:, None],
        _P_CORE[None, :],
        _J_CORE[None, :] | ((s["level"] == 2)[:, None] & _P_CORE[None, :]),
    )
    least = core.astype(np.int64)
    least[:, [_SUBJ["chinese"], _SUBJ["math"], _SUBJ["english"]]] = p.main_min
    for i in np.flatnonzero((counts < least).any(axis=1)):
        for k in np.flatnonzero(counts[i] < least[i]):
            while counts[i, k] < least[i, k]:
                j = int(np.argmax(counts[i] - least[i]))
                if counts[i, j] <= least[i, j]:
                    break
                counts[i, j] -= 1
                counts[i, k] += 1
    return counts


def _dates(days: np.ndarray) -> np.ndarray:
    """ISO strings of AS_OF + ``days``."""
    return (_AS_OF + days.astype("timedelta64[D]")).astype(str)


def _retirement(birth: np.ndarray, female: np.ndarray) -> np.ndarray:
    """Birthday at 55 (women) or 60 (men), as datetime64[D] (29 Feb becomes 28 Feb)."""
    y = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    mo = birth.astype("datetime64[M]").astype(np.int64) % 12
    d = (birth - birth.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64)
    ry = y + np.where(female, _RETIREMENT_AGE["F"], _RETIREMENT_AGE["M"])
    first = ((ry - 1970) * 12 + mo).astype("datetime64[M]").astype("datetime64[D]")
    length = ((first.astype("datetime64[M]") + 1).astype("datetime64[D]") - first).astype(np.int64)
    return first + np.minimum(d, length - 1).astype("timedelta64[D]")


def _staff(p: Profile, rng: np.random.Generator, sch: pd.DataFrame, s: dict) -> pd.DataFrame:
    n_sch = len(sch)
    counts = _subject_counts(p, rng, s)
    # Teachers, school by school and subject by subject.
    flat = np.repeat(np.arange(n_sch * _K), counts.ravel())
    t_school, t_subject = flat // _K, flat % _K
    n_t = len(flat)
    # Cadres: one principal and the vice principals of each school.
    c_school = np.concatenate([np.arange(n_sch), np.repeat(np.arange(n_sch), s["vp"])])
    c_role = np.concatenate([np.zeros(n_sch, dtype=int), np.ones(int(s["vp"].sum()), dtype=int)])
    order = np.argsort(c_school, kind="stable")
    c_school, c_role = c_school[order], c_role[order]
    n_c = len(c_school)

    # Rows: per school its cadres, then its teachers.
    school = np.concatenate([c_school, t_school])
    role = np.concatenate([c_role, np.full(n_t, 2)])
    cadre = role < 2
    subject = np.concatenate([np.full(n_c, -1), t_subject])
    row = np.lexsort((np.arange(len(school)), school))
    school, role, cadre, subject = school[row], role[row], cadre[row], subject[row]
    n = len(school)
    loc, tier, level = s["loc"][school], s["tier"][school], s["level"][school]

    # Cadres teach a subject in about half the cases.
    has_subj = cadre & (rng.random(n) < 0.5)
    lvl_mix = np.where((level == 1)[:, None], _J_MIX[None, :], _P_MIX[None, :])
    draw = (rng.random(n)[:, None] > np.cumsum(lvl_mix, axis=1)[:, :-1]).sum(axis=1)
    subject = np.where(has_subj, draw, subject)

    # Gender and age: mostly women (more so in primary); ages 22 to retirement.
    female = rng.random(n) < np.where(cadre, 0.5, np.where(level == 0, 0.8, 0.7))
    ret_age = np.where(female, _RETIREMENT_AGE["F"], _RETIREMENT_AGE["M"]).astype(float)
    age = 22.0 + (ret_age - 22.2) * rng.beta(1.6, 1.5, n)

    # Years at the current school (teachers): a share of the career, Beta-distributed.
    start_age = rng.uniform(21.5, 25.0, n)
    career = np.maximum(age - start_age, 0.0)
    years = career * rng.beta(*p.teacher_tenure_beta, n)

    # Cadres: exactly round(cadre_eligible_per_school x schools) are eligible at AS_OF
    # (6+ whole years in post, more than 5 years to retirement); the others either came
    # to post less than 6 years ago or retire within 5 years.
    ci = np.flatnonzero(cadre)
    k = min(len(ci), round(p.cadre_eligible_per_school * n_sch))
    elig = np.zeros(len(ci), dtype=bool)
    elig[rng.permutation(len(ci))[:k]] = True
    c_ret = ret_age[ci]
    scale = np.where(role[ci] == 0, p.tenure_scale[0], p.tenure_scale[1])
    tenure_e = 6 + np.floor(rng.gamma(2.0, scale))
    tenure_e = np.minimum(tenure_e, np.floor(c_ret - 5.2 - 30))
    near_ret = rng.random(len(ci)) < 0.3
    tenure_n = np.where(
        near_ret, 1 + np.floor(rng.random(len(ci)) * 12), np.floor(rng.random(len(ci)) * 6)
    )
    tenure = np.where(elig, tenure_e, tenure_n)
    lo = np.where(
        elig, 30 + tenure, np.where(near_ret, np.maximum(c_ret - 4.9, 30 + tenure), 32 + tenure)
    )
    hi = np.where(elig, c_ret - 5.2, np.where(near_ret, c_ret - 0.3, c_ret - 5.2))
    hi = np.maximum(hi, lo + 0.1)
    age[ci] = lo + (hi - lo) * rng.random(len(ci))
    tenure = np.where(~elig & ~near_ret, np.minimum(tenure, 5), tenure)
    years[ci] = tenure

    # Birth and retirement dates.
    birth = _AS_OF - np.round(age * DAYS_PER_YEAR).astype("timedelta64[D]")
    retire = _retirement(birth, female)

    # Start dates: whole school years (1 September) for most, a mid-year date for some.
    whole = np.floor(years).astype(np.int64)
    sep1 = ((AS_OF.year - whole - 1970) * 12 + 8).astype("datetime64[M]").astype("datetime64[D]")
    mid = _AS_OF - np.round(years * DAYS_PER_YEAR).astype("timedelta64[D]")
    midyear = (rng.random(n) < 0.15) & ~cadre
    start = np.where(midyear, mid, sep1)
    # Cadres with 7+ years may have taken up post during a school year.
    late = cadre & (rng.random(n) < 0.2) & ((whole >= 7) | (whole < 5))
    start = np.where(late, start + rng.integers(0, 300, n).astype("timedelta64[D]"), start)
    start = np.minimum(start, _AS_OF)

    # On payroll: 90-95 %, less often young or rural teachers; cadres always.
    off = (1 - p.payroll) * np.where(age < 30, 2.2, 0.75) * np.where(loc == 2, 1.3, 1.0)
    on_payroll = cadre | (rng.random(n) >= off)

    # Exemptions (a few percent): pregnancy, nursing (women 24-42), serious illness.
    u = rng.random(n)
    young_f = female & (age >= 24) & (age <= 42) & ~cadre
    exempt = np.full(n, "", dtype=object)
    exempt[young_f & (u < 0.025)] = EXEMPT_REASONS[0]
    exempt[young_f & (u >= 0.025) & (u < 0.055)] = EXEMPT_REASONS[1]
    exempt[~cadre & (u >= 0.99)] = EXEMPT_REASONS[2]

    # Key teachers: a rate by school tier and locality times a school-level spread,
    # mostly aged 30+; drawn by systematic sampling inside each school, so a school's
    # count is its expected count rounded up or down (no binomial noise on top).
    school_f = np.exp(rng.normal(0.0, p.key_sigma, n_sch))[school]
    p_key = np.asarray(p.key_tier)[tier] * np.asarray(p.key_loc)[loc] * school_f
    age_f = np.where(age < 30, 0.15, np.where(age < 50, 1.25, 1.0))
    p_key = np.minimum(np.where(cadre, 0.35, p_key * age_f), 0.9)
    cum = np.cumsum(p_key)
    first = np.r_[0, np.flatnonzero(np.diff(school)) + 1]
    cum = cum - np.repeat(cum[first] - p_key[first], np.diff(np.r_[first, n]))
    shift = rng.random(n_sch)[school]
    is_key = np.floor(cum + shift) > np.floor(cum - p_key + shift)
    u = rng.random(n)
    municipal = np.where(tier == 0, 0.28, 0.15) * np.where(loc == 0, 1.0, 0.6)
    special = np.where((tier == 0) & (loc == 0), 0.04, 0.0)
    key_level = np.where(
        ~is_key,
        "none",
        np.where(
            u < special, "special", np.where(u < special + municipal, "municipal", "district")
        ),
    )

    # Titles by age; key teachers and cadres one step up where possible.
    u = rng.random(n)
    t_idx = np.select(
        [age < 25, age < 32, age < 45],
        [
            np.where(u < 0.7, 0, 1),
            np.where(u < 0.7, 1, 2),
            np.where(u < 0.12, 1, np.where(u < 0.85, 2, 3)),
        ],
        np.where(u < 0.55, 2, 3),
    )
    step_up = (cadre | (is_key & (rng.random(n) < 0.5))) & (t_idx < 3) & (age >= 30)
    t_idx = np.where(step_up, t_idx + 1, t_idx)
    professor = (t_idx == 3) & ((key_level == "special") | (rng.random(n) < 0.01))
    t_idx = np.where(professor, 4, t_idx)
    title = np.array(["none", "junior", "intermediate", "senior", "professor"])[t_idx]

    # Qualification above the required one: higher in town centres and among the young.
    p_q = np.array([0.88, 0.8, 0.7])[loc] + np.where(age < 40, 0.07, -0.03)
    qualified = rng.random(n) < p_q

    # Years served at rural or weak schools: the current stint if the school is one,
    # plus earlier stints (a senior title needs one rural year: Banan 2021, Beijing teachers 2022).
    cur = np.where((loc == 2) | (tier == 2), np.floor(years), 0)
    prior = np.where(
        (t_idx >= 3) & (loc != 2),
        rng.integers(1, 4, n),
        np.where(rng.random(n) < 0.15, rng.integers(1, 6, n), 0),
    )
    rural_years = (cur + np.minimum(prior, np.maximum(np.floor(career - years), 0))).astype(
        np.int64
    )

    # Homes: most within a few km of school, some far; in suburbs, part of the town
    # and rural staff live in the district centre and commute out.
    far = rng.random(n) < p.home_far_share
    dist = np.where(
        far, rng.uniform(*p.home_far_km, n), np.minimum(rng.exponential(p.home_near_km, n), 5.0)
    )
    ang = rng.random(n) * 2 * np.pi
    hx = s["x"][school] + dist * np.cos(ang)
    hy = s["y"][school] + dist * np.sin(ang)
    centre = (loc > 0) & (rng.random(n) < p.home_centre_share)
    cx, cy = _disc(rng, n, 3.0)
    hx, hy = np.where(centre, cx, hx), np.where(centre, cy, hy)
    home_lat, home_lon = _to_latlon(p, hx, hy)

    # Names: a surname (weighted by frequency rank) and a one- or two-character given name.
    sw = 1.0 / np.arange(1, len(_SURNAMES) + 1) ** 0.8
    sur = np.array(_SURNAMES)[rng.choice(len(_SURNAMES), n, p=sw / sw.sum())]
    g1 = np.array(_GIVEN)[rng.integers(0, len(_GIVEN), n)]
    g2 = np.where(rng.random(n) < 0.7, np.array(_GIVEN)[rng.integers(0, len(_GIVEN), n)], "")
    names = np.char.add(np.char.add(sur, g1), g2)

    # Multi-year columns (kept by generate(horizon=True) only), drawn from a generator
    # of their own so that the tables above stay exactly as they were: the first
    # appointment (career years before today), senior-title applicants (15% of the
    # teachers with an intermediate title aged 35-50, who apply within a few years) and
    # the earlier rural years that came before the current school.
    side = np.random.default_rng(
        np.random.SeedSequence(int(rng.bit_generator.state["state"]["state"]), spawn_key=(13,))
    )
    hire = np.minimum(_AS_OF - np.round(career * DAYS_PER_YEAR).astype("timedelta64[D]"), start)
    applicant = (~cadre) & (t_idx == 2) & (age >= 35) & (age <= 50) & (side.random(n) < 0.15)
    prior_rural = np.minimum(prior, np.maximum(np.floor(career - years), 0)).astype(np.int64)

    width = max(3, len(str(n)))
    return pd.DataFrame(
        {
            "staff_id": [f"{p.code}E{i + 1:0{width}d}" for i in range(n)],
            "name": names.astype(str),
            "school_id": sch["school_id"].to_numpy()[school],
            "role": np.array(["principal", "vice_principal", "teacher"])[role],
            "subject": np.where(subject >= 0, np.array(SUBJECTS)[np.maximum(subject, 0)], ""),
            "key_level": key_level,
            "school_start_date": start.astype("datetime64[D]").astype(str),
            "retirement_date": retire.astype(str),
            "on_payroll": on_payroll,
            "title": title,
            "above_standard_qualification": qualified,
            "rural_years": rural_years,
            "home_lat": home_lat,
            "home_lon": home_lon,
            "exempt_reason": exempt.astype(str),
            "hire_date": hire.astype("datetime64[D]").astype(str),
            "title_applicant": applicant,
            "_prior_rural": prior_rural,
            "_side": side.random(n),
        }
    )


#: Staff columns of multi-year plans that ``generate(horizon=True)`` adds.
HORIZON_COLUMNS: tuple[str, ...] = ("hire_date", "title_applicant")
_PRIVATE = ("_prior_rural", "_side")


def _history(sch: pd.DataFrame, staff: pd.DataFrame) -> pd.DataFrame:
    """Earlier postings: everyone whose first appointment is at least half a year before
    joining the current school served one other school of the same level from then
    until joining (a rural one when they have earlier rural years and the district has
    one)."""
    level = sch.set_index("school_id")["level"]
    rural = set(sch.loc[sch["locality"] == "rural", "school_id"])
    by_level = {lv: g["school_id"].to_numpy() for lv, g in sch.groupby("level")}
    rows = []
    hire = pd.to_datetime(staff["hire_date"])
    start = pd.to_datetime(staff["school_start_date"])
    u = staff["_side"].to_numpy()
    for i, (sid, school) in enumerate(zip(staff["staff_id"], staff["school_id"], strict=True)):
        if (start.iat[i] - hire.iat[i]).days < 183:
            continue
        pool = [s for s in by_level[level[school]] if s != school]
        if staff["_prior_rural"].iat[i] > 0 and rural - {school}:
            pool = sorted(rural - {school})
        if not pool:
            continue
        prev = pool[int(u[i] * len(pool)) % len(pool)]
        rows.append((sid, prev, hire.iat[i], start.iat[i]))
    out = pd.DataFrame(rows, columns=["staff_id", "school_id", "start_date", "end_date"])
    for c in ("start_date", "end_date"):
        out[c] = out[c].dt.strftime("%Y-%m-%d")
    return out


# --------------------------------------------------------------------------- public


def _bad(key: str, value, expected: str) -> InputError:
    return InputError(
        Problem(file="generate", message="invalid option", key=key, value=value, expected=expected)
    )


def _district(
    p: Profile, rng: np.random.Generator, schools: int, staff: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    sch, extra = _schools(p, rng, schools, staff)
    return sch, _staff(p, rng, sch, extra)


def _city_members(schools: int | None, staff: int | None) -> list[tuple[Profile, int, int]]:
    members = []
    fs = 1.0 if schools is None else schools / CITY_SCHOOLS
    ft = fs if staff is None else staff / CITY_STAFF
    for base, district, label, code, lat, lon, n_s, n_t in _CITY:
        p = replace(_BASE[base], district=district, label=label, code=code, lat=lat, lon=lon)
        ns = max(6, round(n_s * fs))
        nt = max(ns * 12, round(n_t * ft))
        members.append((p, ns, nt))
    return members


def generate(
    profile: str,
    seed: int = 0,
    schools: int | None = None,
    staff: int | None = None,
    horizon: bool = False,
) -> tuple[pd.DataFrame, ...]:
    """A synthetic district as the input's ``schools`` and ``staff`` tables.

    Parameters
    ----------
    profile : str
        One of :data:`PROFILES`: ``demo`` (12 schools, ~300 staff), ``urban-core``
        (Dongcheng-like, 90 schools, 9,000 staff), ``outer-suburb`` (Miyun-like, 60
        schools, 4,500 staff), ``county-two-way`` (Banan-like, 120 schools, 8,000
        staff) or ``city`` (16 districts, 1,500 schools, 112,500 staff).
    seed : int
        Seed of ``numpy.random.default_rng``; the same seed gives the same tables.
    schools, staff : int, optional
        Override the number of schools and of staff (principals, vice principals
        and teachers); staff are spread over schools by enrolment. For ``city`` they
        are totals, shared out in the districts' default proportions.

    Returns
    -------
    (schools, staff) : tuple of pandas.DataFrame
        Exactly the input columns of ``docs/input.md`` in that order (``city`` adds a leading
        ``district`` column to both). Dates are ISO strings ``YYYY-MM-DD``, flags are
        ``bool`` (written as ``true``/``false``), ``junior_students`` is ``Int64``
        and missing except for nine-year schools, empty texts are ``""``.
        With ``horizon`` (not for ``city``): a third table, the history
        (``staff_id, school_id, start_date, end_date``: each person's earlier posting,
        see ``_history``), and ``staff`` gains ``hire_date`` and ``title_applicant``;
        the contract's columns are the same as without.
    """
    if horizon:
        if profile == "city":
            raise _bad("horizon", True, "a single district's profile (not city)")
        sch, stf = _generate(profile, seed, schools, staff)
        return sch, stf.drop(columns=list(_PRIVATE)), _history(sch, stf)
    sch, stf = _generate(profile, seed, schools, staff)
    return sch, stf.drop(columns=[*HORIZON_COLUMNS, *_PRIVATE], errors="ignore")


def _generate(
    profile: str, seed: int, schools: int | None, staff: int | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    if profile not in PROFILES:
        raise _bad("profile", profile, " | ".join(PROFILES))
    for key, val in (("schools", schools), ("staff", staff)):
        if val is not None and (not isinstance(val, (int, np.integer)) or val <= 0):
            raise _bad(key, val, "a positive integer")
    rng = np.random.default_rng(seed)
    if profile == "city":
        members = _city_members(schools, staff)
        parts = [
            _district(p, r, ns, nt)
            for (p, ns, nt), r in zip(members, rng.spawn(len(members)), strict=True)
        ]
        out = []
        for k in (0, 1):
            frames = [
                part[k].assign(district=p.district)
                for part, (p, _, _) in zip(parts, members, strict=True)
            ]
            frame = pd.concat(frames, ignore_index=True)
            out.append(frame[["district", *frame.columns[:-1]]])
        return out[0], out[1]
    p = _BASE[profile]
    n_s = p.schools if schools is None else int(schools)
    n_t = p.staff if staff is None else int(staff)
    if staff is None and schools is not None:
        n_t = round(p.staff * n_s / p.schools)
    if n_t < 8 * n_s:
        raise _bad("staff", n_t, f"at least 8 per school ({8 * n_s} for {n_s} schools)")
    return _district(p, rng, n_s, n_t)


def city_districts() -> tuple[str, ...]:
    """The folder names of the ``city`` profile's 16 districts, in the generator's order."""
    return tuple(row[1] for row in _CITY)


def profile_staff(
    profile: str, district: str | None = None, schools: int | None = None, staff: int | None = None
) -> int:
    """How many staff :func:`generate` gives a profile (``district``: one of the city's)."""
    if profile == "city" and district is not None:
        for p, _, n_t in _city_members(schools, staff):
            if p.district == district:
                return n_t
        raise _bad("district", district, " | ".join(city_districts()))
    if profile == "city":
        return sum(n_t for _, _, n_t in _city_members(schools, staff))
    if profile not in _BASE:
        raise _bad("profile", profile, " | ".join(PROFILES))
    p = _BASE[profile]
    if staff is not None:
        return int(staff)
    return p.staff if schools is None else round(p.staff * schools / p.schools)


def generate_city_district(
    district: str, seed: int = 0, schools: int | None = None, staff: int | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One district of the ``city`` profile, exactly as :func:`generate` ``("city", ...)``
    makes it (without the ``district`` column), without generating the other 15.

    ``schools`` and ``staff`` are the city's totals, as for :func:`generate`.
    """
    names = city_districts()
    if district not in names:
        raise _bad("district", district, " | ".join(names))
    members = _city_members(schools, staff)
    k = names.index(district)
    # the same child generator as generate("city") gives this district
    child = np.random.default_rng(seed).spawn(len(members))[k]
    p, ns, nt = members[k]
    sch, stf = _district(p, child, ns, nt)
    return sch, stf.drop(columns=[*HORIZON_COLUMNS, *_PRIVATE], errors="ignore")


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == bool:
            out[col] = np.where(out[col].to_numpy(), "true", "false")
    return out.to_csv(index=False, lineterminator="\n").encode("utf-8")


def _xlsx_bytes(tables: dict[str, pd.DataFrame]) -> bytes:
    """A workbook with one sheet per table, with fixed timestamps (reproducible bytes).

    Dates become Excel date cells (shown as YYYY-MM-DD); the rest as in the CSV files.
    """
    buf = io.BytesIO()
    fixed = dt.datetime(AS_OF.year, AS_OF.month, AS_OF.day)
    with pd.ExcelWriter(
        buf, engine="openpyxl", date_format="YYYY-MM-DD", datetime_format="YYYY-MM-DD"
    ) as writer:
        for name, frame in tables.items():
            frame = frame.copy()
            for col in _DATE_COLUMNS.intersection(frame.columns):
                frame[col] = pd.to_datetime(
                    frame[col]
                ).dt.date  # Excel date cells, as planners keep them
            frame.to_excel(writer, sheet_name=name, index=False)
        writer.book.properties.created = fixed
        writer.book.properties.modified = fixed
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            z = zipfile.ZipInfo(
                info.filename, date_time=(AS_OF.year, AS_OF.month, AS_OF.day, 0, 0, 0)
            )
            z.compress_type = zipfile.ZIP_DEFLATED
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                # openpyxl stamps the save time into the properties whatever we set
                stamp = fixed.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
                data = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)",
                    rb"\g<1>" + stamp + rb"\g<2>",
                    data,
                )
            dst.writestr(z, data)
    return out.getvalue()


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def write_tables(
    schools: pd.DataFrame,
    staff: pd.DataFrame,
    out_dir: str | os.PathLike,
    fmt: str = "csv",
    history: pd.DataFrame | None = None,
) -> list[Path]:
    """Write one district: ``schools.csv`` + ``staff.csv`` or ``district.xlsx``.

    CSV files are UTF-8 with English headers in the column order of ``docs/input.md``, flags
    as ``true``/``false``; the workbook has the sheets ``schools`` and ``staff``.
    Returns the paths written.
    """
    if fmt not in FORMATS:
        raise _bad("fmt", fmt, " | ".join(FORMATS))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    schools = schools[list(SCHOOL_COLUMNS)]
    extra = [c for c in HORIZON_COLUMNS if c in staff.columns]
    staff = staff[[*STAFF_COLUMNS, *extra]]
    tables = {"schools": schools, "staff": staff}
    if history is not None:
        tables["history"] = history
    if fmt == "csv":
        paths = [out / f"{name}.csv" for name in tables]
        for path, frame in zip(paths, tables.values(), strict=True):
            _write_atomic(path, _csv_bytes(frame))
        return paths
    path = out / "district.xlsx"
    _write_atomic(path, _xlsx_bytes(tables))
    return [path]


def write_generated(
    profile: str,
    out_dir: str | os.PathLike,
    seed: int = 0,
    schools: int | None = None,
    staff: int | None = None,
    fmt: str = "csv",
    horizon: bool = False,
) -> list[Path]:
    """Generate a district (see :func:`generate`) and write it to ``out_dir``; with
    ``horizon`` also ``history.csv`` and the staff columns ``hire_date``,
    ``title_applicant``.

    For ``city`` each district goes to its own folder ``out_dir/<district>/``
    (``dongcheng``, ``miyun``, ...). Returns the folders written.
    """
    if fmt not in FORMATS:
        raise _bad("fmt", fmt, " | ".join(FORMATS))
    if horizon:
        sch, stf, hist = generate(profile, seed=seed, schools=schools, staff=staff, horizon=True)
        write_tables(sch, stf, Path(out_dir), fmt, history=hist)
        return [Path(out_dir)]
    sch, stf = generate(profile, seed=seed, schools=schools, staff=staff)
    out = Path(out_dir)
    if profile != "city":
        write_tables(sch, stf, out, fmt)
        return [out]
    folders = []
    for name in pd.unique(sch["district"]):
        folder = out / str(name)
        write_tables(sch[sch["district"] == name], stf[stf["district"] == name], folder, fmt)
        folders.append(folder)
    return folders


def summarize(schools: pd.DataFrame, staff: pd.DataFrame) -> dict:
    """Calibration figures of one district (the ranges are in ``data/README.md``).

    Returns a dict with counts, ``students_per_teacher`` per level (single-level
    schools), ``key_share`` (key teachers among teachers), ``cv`` (difference
    coefficient per indicator and level, before any rotation), ``max_distance_km``
    between schools, ``share_6_years`` (teachers with 6+ years at school),
    ``eligible_teachers`` and ``eligible_cadres`` (Beijing rules at AS_OF),
    ``on_payroll_share``, ``exempt_share`` and ``home_within_5km_share``.
    """
    sch = schools.reset_index(drop=True)
    st = staff.reset_index(drop=True)
    teacher = (st["role"] == "teacher").to_numpy()
    pos = pd.Index(sch["school_id"]).get_indexer(st["school_id"])
    students = sch["students"].to_numpy(dtype=float)
    junior = sch["junior_students"].fillna(0).to_numpy(dtype=float)
    level = sch["level"].to_numpy()
    junior = np.where(level == "junior", students, junior)
    primary = students - junior

    def per_school(mask: np.ndarray) -> np.ndarray:
        return np.bincount(pos[mask], minlength=len(sch)).astype(float)

    n_teach = per_school(teacher)
    flags = {
        "key_per_100": teacher & (st["key_level"] != "none").to_numpy(),
        "pe_art_per_100": teacher & st["subject"].isin(["pe", "music", "art"]).to_numpy(),
        "qualified_per_100": teacher & st["above_standard_qualification"].to_numpy(dtype=bool),
    }
    cv = {}
    for ind, mask in flags.items():
        x = 100.0 * per_school(mask) / students
        cv[ind] = {
            "primary": difference_coefficient(primary, x),
            "junior": difference_coefficient(junior, x),
        }
    spt = {}
    for lv in ("primary", "junior"):
        m = level == lv
        spt[lv] = float(students[m].sum() / max(n_teach[m].sum(), 1))
    lat, lon = sch["lat"].to_numpy(float), sch["lon"].to_numpy(float)
    dmax = (
        float(haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :]).max())
        if len(sch)
        else 0.0
    )
    as_of = pd.Timestamp(AS_OF)
    years_at = (as_of - pd.to_datetime(st["school_start_date"])).dt.days.to_numpy() / DAYS_PER_YEAR
    to_retire = (pd.to_datetime(st["retirement_date"]) - as_of).dt.days.to_numpy() / DAYS_PER_YEAR
    exempt = (st["exempt_reason"].fillna("").astype(str) != "").to_numpy()
    payroll = st["on_payroll"].to_numpy(dtype=bool)
    eligible = (years_at >= 6) & (to_retire > 5) & payroll & ~exempt
    home = haversine_km(st["home_lat"], st["home_lon"], lat[pos], lon[pos])
    return {
        "schools": len(sch),
        "staff": len(st),
        "teachers": int(teacher.sum()),
        "cadres": int((~teacher).sum()),
        "levels": {lv: int((level == lv).sum()) for lv in _LEVELS},
        "students": int(students.sum()),
        "students_per_teacher": spt,
        "key_share": float(flags["key_per_100"].sum() / max(teacher.sum(), 1)),
        "pe_art_share": float(flags["pe_art_per_100"].sum() / max(teacher.sum(), 1)),
        "cv": cv,
        "max_distance_km": dmax,
        "share_6_years": float((years_at[teacher] >= 6).mean()),
        "eligible_teachers": int((eligible & teacher).sum()),
        "eligible_cadres": int((eligible & ~teacher).sum()),
        "on_payroll_share": float(payroll[teacher].mean()),
        "exempt_share": float(exempt[teacher].mean()),
        "home_within_5km_share": float((home <= 5.0).mean()),
    }


def cached_district_path(scenario) -> Path:
    """The data folder of a scenario that names a generated district instead of ``data``.

    ``[scenario] profile``, ``profile_seed``, ``profile_schools`` and ``profile_staff``
    select the district; with ``profile = "city"``, ``profile_district`` names one of
    its 16 districts (:func:`city_districts`). It is
    written once as CSV to ``$LUNGANG_CACHE`` (default ``./.cache/lungang``) in a
    folder named by the profile, seed, sizes and a hash of this module, so a
    changed generator never serves a stale district. Returns that folder.
    """
    info = scenario.scenario
    file = str(getattr(scenario, "source", None) or "scenario")
    profile = info.profile
    if profile not in PROFILES:
        raise InputError(
            Problem(
                file=file,
                key="scenario.profile",
                message="unknown district profile",
                value=profile,
                expected=" | ".join(PROFILES),
            )
        )
    keys = {
        "schools": "scenario.profile_schools",
        "staff": "scenario.profile_staff",
        "profile": "scenario.profile",
        "district": "scenario.profile_district",
    }
    member = getattr(info, "profile_district", None) if profile == "city" else None
    try:
        generate_args = dict(
            seed=info.profile_seed, schools=info.profile_schools, staff=info.profile_staff
        )
        version = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]
        name = (
            f"{profile}{'-' + member if member else ''}-seed{info.profile_seed}"
            f"-schools{info.profile_schools or 'default'}"
            f"-staff{info.profile_staff or 'default'}-{version}"
        )
        root = Path(os.environ.get("LUNGANG_CACHE", Path.cwd() / ".cache" / "lungang"))
        folder = root / name
        if (folder / "schools.csv").is_file() and (folder / "staff.csv").is_file():
            return folder
        if profile == "city":
            schools, staff = generate_city_district(str(member), **generate_args)
        else:
            schools, staff = generate(profile, **generate_args)
    except InputError as exc:
        raise InputError(
            [replace(p, file=file, key=keys.get(p.key or "", p.key)) for p in exc.problems]
        ) from None
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=root))
    write_tables(schools, staff, tmp)
    try:
        os.replace(tmp, folder)
    except OSError:  # another run wrote it first: theirs is identical
        shutil.rmtree(tmp, ignore_errors=True)
    return folder
