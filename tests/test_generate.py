"""Synthetic districts: determinism, the contract's columns, and calibration (data/README.md)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from solver.errors import InputError
from solver.generate import (
    AS_OF,
    CITY_SCHOOLS,
    CITY_STAFF,
    SCHOOL_COLUMNS,
    STAFF_COLUMNS,
    generate,
    summarize,
    write_generated,
)
from solver.input.data import KEY_LEVELS, LEVELS, LOCALITIES, ROLES, SUBJECTS, TIERS, TITLES
from solver.input.geo import haversine_km

DEMO_DIR = Path(__file__).resolve().parents[1] / "data" / "demo"
BIG = ("urban-core", "outer-suburb", "county-two-way")


@pytest.fixture(scope="module")
def tables():
    """Each single-district profile at its default size, seed 0, with its summary."""
    out = {}
    for prof in ("demo", *BIG):
        sch, st = generate(prof, seed=0)
        out[prof] = (sch, st, summarize(sch, st))
    return out


@pytest.fixture(scope="module")
def city():
    """The city profile at its default size, seed 0."""
    return generate("city", seed=0)


def _years(dates: pd.Series, later: bool = False) -> np.ndarray:
    d = pd.to_datetime(dates)
    days = (d - pd.Timestamp(AS_OF)).dt.days if later else (pd.Timestamp(AS_OF) - d).dt.days
    return days.to_numpy() / 365.25


def _bytes(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_same_seed_gives_identical_files(tmp_path):
    """Writing the same profile and seed twice gives byte-identical CSV and xlsx files."""
    for fmt in ("csv", "xlsx"):
        write_generated("demo", tmp_path / f"a-{fmt}", seed=3, fmt=fmt)
        write_generated("demo", tmp_path / f"b-{fmt}", seed=3, fmt=fmt)
        assert _bytes(tmp_path / f"a-{fmt}") == _bytes(tmp_path / f"b-{fmt}")
    write_generated("city", tmp_path / "c1", seed=5, schools=160, staff=11000)
    write_generated("city", tmp_path / "c2", seed=5, schools=160, staff=11000)
    assert _bytes(tmp_path / "c1") == _bytes(tmp_path / "c2")


def test_different_seeds_differ(tmp_path):
    """Different seeds give different schools and staff files."""
    write_generated("outer-suburb", tmp_path / "s0", seed=0)
    write_generated("outer-suburb", tmp_path / "s1", seed=1)
    a, b = _bytes(tmp_path / "s0"), _bytes(tmp_path / "s1")
    assert a.keys() == b.keys() == {"schools.csv", "staff.csv"}
    assert a["schools.csv"] != b["schools.csv"] and a["staff.csv"] != b["staff.csv"]


def test_committed_demo_matches_generator(tmp_path):
    """data/demo/ is exactly what `generate demo --seed 0` writes."""
    write_generated("demo", tmp_path, seed=0)
    assert _bytes(tmp_path) == _bytes(DEMO_DIR)


@pytest.mark.parametrize("prof", ["demo", *BIG])
def test_tables_follow_the_contract(tables, prof):
    """Columns, codes, ids, dates and flags are those of docs/input.md."""
    sch, st, _ = tables[prof]
    assert tuple(sch.columns) == SCHOOL_COLUMNS and tuple(st.columns) == STAFF_COLUMNS
    assert sch["school_id"].is_unique and st["staff_id"].is_unique
    assert set(st["school_id"]) <= set(sch["school_id"])
    assert sch["level"].isin(LEVELS).all() and sch["locality"].isin(LOCALITIES).all()
    assert sch["tier"].isin(TIERS).all() and (sch["students"] > 0).all()
    nine = sch["level"] == "nine_year"
    assert sch.loc[~nine, "junior_students"].isna().all()
    assert (sch.loc[nine, "junior_students"] < sch.loc[nine, "students"]).all()
    assert st["role"].isin(ROLES).all() and st["key_level"].isin(KEY_LEVELS).all()
    assert st["title"].isin(TITLES).all()
    assert st["subject"].isin([*SUBJECTS, ""]).all()
    assert (st.loc[st["role"] == "teacher", "subject"] != "").all()
    assert st["on_payroll"].dtype == bool and st["above_standard_qualification"].dtype == bool
    assert (st["rural_years"] >= 0).all()
    for col in ("school_start_date", "retirement_date"):
        assert st[col].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    assert (_years(st["school_start_date"]) >= 0).all()
    assert (_years(st["retirement_date"], later=True) > 0).all()
    assert st["exempt_reason"].isin(["", "孕期", "哺乳期", "重病"]).all()
    # One principal per school, 1-3 vice principals, posts = current count.
    roles = pd.crosstab(st["school_id"], st["role"]).reindex(sch["school_id"])
    assert (roles["principal"].to_numpy() == sch["principal_posts"].to_numpy()).all()
    assert (roles["vice_principal"].to_numpy() == sch["vice_principal_posts"].to_numpy()).all()
    assert sch["vice_principal_posts"].between(1, 3).all()


@pytest.mark.parametrize("prof", ["demo", *BIG])
def test_common_calibration(tables, prof):
    """Enrolments, staffing ratios, ages, tenure, payroll and exemptions are in the documented ranges."""
    sch, st, s = tables[prof]
    lv = sch["level"]
    junior_part = np.where(lv == "junior", sch["students"], sch["junior_students"].fillna(0))
    primary_part = sch["students"] - junior_part
    assert primary_part[lv != "junior"].between(200, 3000).all()
    assert pd.Series(junior_part[lv == "junior"]).between(200, 2000).all()
    assert 17.0 <= s["students_per_teacher"]["primary"] <= 21.0
    assert 12.0 <= s["students_per_teacher"]["junior"] <= 15.5
    assert 0.55 <= s["share_6_years"] <= 0.85
    assert 0.90 <= s["on_payroll_share"] <= 0.95
    assert 0.01 <= s["exempt_share"] <= 0.06
    assert s["home_within_5km_share"] >= 0.6
    to_retire = _years(st["retirement_date"], later=True)
    assert to_retire.max() <= 60 - 22 and (to_retire <= 5).mean() > 0.05


def test_demo_shape(tables):
    """The demo: 12 schools in two zones within 12 km, two groups, one nine-year school, ~300 staff."""
    sch, st, s = tables["demo"]
    assert s["schools"] == 12 and s["staff"] == 300
    assert sorted(sch["zone"].unique()) == ["东区", "西区"]
    assert (sch["group"] != "").any() and sch.loc[sch["group"] != "", "group"].nunique() == 2
    assert (
        s["levels"]["nine_year"] == 1 and s["levels"]["primary"] >= 4 and s["levels"]["junior"] >= 3
    )
    assert set(sch["locality"]) == {"urban", "rural"}
    assert s["max_distance_km"] <= 12.0
    assert sch["vice_principal_posts"].between(1, 2).all()
    teachers = st[st["role"] == "teacher"]
    counts = pd.crosstab(teachers["school_id"], teachers["subject"])
    assert (counts[["chinese", "math"]] >= 3).all().all() and (counts["english"] >= 2).all()


def test_demo_admits_a_feasible_plan(tables):
    """Greedy same-subject swaps meet the scenario defaults (10 %, 20 % key, 15 % outflow, 15 km)."""
    sch, st, _ = tables["demo"]
    sch = sch.set_index("school_id")
    t = st[st["role"] == "teacher"].copy()
    t["eligible"] = (
        (_years(t["school_start_date"]) >= 6)
        & (_years(t["retirement_date"], later=True) > 5)
        & t["on_payroll"].to_numpy()
        & (t["exempt_reason"] == "").to_numpy()
    )
    e = t[t["eligible"]]
    need = math.ceil(0.10 * len(e))
    room = (t.groupby("school_id").size() * 0.15).apply(math.floor).to_dict()
    level = sch["level"].to_dict()

    def reach(person, school) -> bool:
        return (
            haversine_km(
                person.home_lat, person.home_lon, sch.at[school, "lat"], sch.at[school, "lon"]
            )
            <= 15.0
        )

    moved, key_moved, used = 0, 0, set()
    # Key teachers first so that at least 20 % of the moves are key teachers.
    people = e.assign(k=(e["key_level"] == "none")).sort_values(["k", "staff_id"])
    for a in people.itertuples():
        if a.staff_id in used or room[a.school_id] == 0:
            continue
        for b in people.itertuples():
            ok_level = (
                "nine_year" in (level[a.school_id], level[b.school_id])
                or level[a.school_id] == level[b.school_id]
            )
            if (
                b.staff_id in used
                or b.school_id == a.school_id
                or b.subject != a.subject
                or not ok_level
                or room[b.school_id] == 0
                or not reach(a, b.school_id)
                or not reach(b, a.school_id)
            ):
                continue
            used |= {a.staff_id, b.staff_id}
            room[a.school_id] -= 1
            room[b.school_id] -= 1
            moved += 2
            key_moved += (a.key_level != "none") + (b.key_level != "none")
            break
    assert moved >= need and key_moved >= 0.20 * moved


@pytest.mark.parametrize("prof", BIG)
def test_difference_coefficients_leave_work_to_do(tables, prof):
    """Before rotation the key-teacher and PE/art coefficients lie in 0.2-0.7 per level."""
    cv = tables[prof][2]["cv"]
    for ind in ("key_per_100", "pe_art_per_100"):
        for lvl in ("primary", "junior"):
            assert 0.2 <= cv[ind][lvl] <= 0.7, (prof, ind, lvl, cv[ind][lvl])


def test_urban_core(tables):
    """urban-core: 90 schools, 9,000 staff, 8 zones within 10 km, 7 groups led by strong schools."""
    sch, st, s = tables["urban-core"]
    assert s["schools"] == 90 and s["staff"] == 9000
    assert sch["zone"].nunique() == 8 and s["max_distance_km"] <= 10.0
    groups = sch.loc[sch["group"] != "", "group"]
    assert groups.nunique() == 7
    leads = sch[sch["name"] + "教育集团" == sch["group"]]
    assert len(leads) == 7 and (leads["tier"] == "strong").all()
    assert 0.18 <= s["key_share"] <= 0.30
    t = st[st["role"] == "teacher"].merge(sch[["school_id", "tier"]], on="school_id")
    share = (t["key_level"] != "none").groupby(t["tier"]).mean()
    assert share["strong"] > 1.5 * share["average"] > 1.5 * share["weak"]


def test_outer_suburb(tables):
    """outer-suburb: 60 schools, 4,500 staff, up to 60 km, 4+7 zones, few rural key and PE/art teachers, 90 eligible cadres."""
    sch, st, s = tables["outer-suburb"]
    assert s["schools"] == 60 and s["staff"] == 4500
    assert 40.0 <= s["max_distance_km"] <= 60.0
    assert sch.loc[sch["level"] != "primary", "zone"].nunique() == 4
    assert sch.loc[sch["level"] == "primary", "zone"].nunique() == 7
    assert s["eligible_cadres"] == 90
    assert 0.08 <= s["key_share"] <= 0.15
    t = st[st["role"] == "teacher"].merge(sch[["school_id", "locality"]], on="school_id")
    key = (t["key_level"] != "none").groupby(t["locality"]).mean()
    pe_art = t["subject"].isin(["pe", "music", "art"]).groupby(t["locality"]).mean()
    assert key["rural"] < 0.6 * key["urban"] and pe_art["rural"] < 0.75 * pe_art["urban"]


def test_county_two_way(tables):
    """county-two-way: urban and rural halves; many principals 10+ and vice principals 15+ years in post."""
    sch, st, s = tables["county-two-way"]
    assert s["schools"] == 120 and s["staff"] == 8000
    share = sch["locality"].value_counts(normalize=True)
    assert 0.4 <= share["urban"] <= 0.6 and share["rural"] >= 0.25
    years = pd.Series(_years(st["school_start_date"]), index=st.index)
    assert (years[st["role"] == "principal"] >= 10).mean() >= 0.30
    assert (years[st["role"] == "vice_principal"] >= 15).mean() >= 0.20


def test_city(city, tmp_path):
    """city: 16 districts, ~1,500 schools and ~110,000 staff, each district's coefficients in 0.2-0.7."""
    sch, st = city
    assert len(sch) == CITY_SCHOOLS == 1500 and len(st) == CITY_STAFF
    assert 100_000 <= len(st) <= 120_000
    assert (
        sch["district"].nunique() == 16 and sch["school_id"].is_unique and st["staff_id"].is_unique
    )
    for name in sch["district"].unique():
        s = summarize(sch[sch["district"] == name], st[st["district"] == name])
        for ind in ("key_per_100", "pe_art_per_100"):
            for lvl in ("primary", "junior"):
                assert 0.2 <= s["cv"][ind][lvl] <= 0.7, (name, ind, lvl)
    folders = write_generated("city", tmp_path, seed=0, schools=160, staff=11000)
    assert len(folders) == 16
    assert all(sorted(p.name for p in f.iterdir()) == ["schools.csv", "staff.csv"] for f in folders)


def test_overrides_and_20000_staff():
    """`schools`/`staff` set the size exactly; 20,000 staff generate."""
    sch, st = generate("urban-core", seed=1, schools=200, staff=20000)
    assert len(sch) == 200 and len(st) == 20000
    sch, st = generate("outer-suburb", seed=1, schools=30)
    assert len(sch) == 30 and len(st) == 2250


def test_bad_options_are_input_errors(tmp_path):
    """An unknown profile, a non-positive size or an unknown format is an InputError naming the key."""
    with pytest.raises(InputError, match="profile"):
        generate("suburb")
    with pytest.raises(InputError, match="staff"):
        generate("demo", staff=0)
    with pytest.raises(InputError, match="staff"):
        generate("demo", schools=12, staff=50)
    with pytest.raises(InputError, match="fmt"):
        write_generated("demo", tmp_path, fmt="ods")


def test_scenario_profile_is_generated_once(tmp_path, monkeypatch):
    """A scenario naming a profile gets a cached data folder equal to the generator's output."""
    from solver.generate import cached_district_path
    from solver.input.scenario import parse_scenario

    monkeypatch.setenv("LUNGANG_CACHE", str(tmp_path / "cache"))
    sc = parse_scenario({"scenario": {"name": "t", "profile": "demo", "profile_seed": 0}})
    folder = cached_district_path(sc)
    assert _bytes(folder) == _bytes(DEMO_DIR)
    assert cached_district_path(sc) == folder
    with pytest.raises(InputError, match="profile_district"):  # the city is 16 districts
        parse_scenario({"scenario": {"name": "t", "profile": "city"}})
    bad = parse_scenario({"scenario": {"name": "t", "profile": "county"}})
    with pytest.raises(InputError, match="scenario.profile"):
        cached_district_path(bad)
    small = parse_scenario({"scenario": {"name": "t", "profile": "demo", "profile_staff": 10}})
    with pytest.raises(InputError, match="scenario.profile_staff"):
        cached_district_path(small)
