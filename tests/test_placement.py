"""Placement (派位): wishes, points, the lottery and the two mechanisms.

The mechanisms are checked against references (the ``matching`` library's
hospital-resident game for deferred acceptance, a serial dictatorship written here),
the lottery against its documented formula and for uniformity, and the whole pipeline
on a hand-written county (``tests/data/placement_county``): valid plans, no justified
envy, the same files for the same seed.
"""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from solver.cli import main
from solver.errors import InputError
from solver.input.loaders import load_district
from solver.input.scenario import load_scenario, parse_scenario
from solver.load import load
from solver.rules.moves import permitted_moves
from solver.rules.placement import lottery_digest, lottery_ranks, points, priority
from solver.search.placement import deferred_acceptance, serial_dictatorship
from solver.search.solve import solve
from solver.validate import validate_plan

COUNTY = Path(__file__).parent / "data" / "placement_county"
SCENARIO = COUNTY / "scenario.toml"


def county_scenario(tmp_path: Path, **placement: object) -> Path:
    """The county's scenario (a copy under ``tmp_path``) with ``[placement]`` keys changed."""
    keys = {
        "mechanism": "serial_dictatorship",
        "points": {"years_at_school": 1, "rural_years": 2},
        "lottery_seed": "2025-qingshui",
        **placement,
    }
    text = SCENARIO.read_text(encoding="utf-8")
    head, rest = text.split("[placement]\n", 1)
    tail = rest[rest.index("[solver]") :]
    body = "".join(f"{k} = {_toml(v)}\n" for k, v in keys.items())
    text = head + "[placement]\n" + body + "\n" + tail
    out = tmp_path / "scenario.toml"
    out.write_text(text.replace('data = "."', f'data = "{COUNTY.as_posix()}"'), encoding="utf-8")
    return out


def _toml(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_toml(x)}" for k, x in v.items()) + " }"
    return str(v)


# ------------------------------------------------------------------ the mechanisms


def naive_serial_dictatorship(order, prefs, capacity):
    """Each in turn takes their best school with a slot left."""
    left = dict(capacity)
    out = {}
    for i in order:
        s = next(s for s in prefs[i] if left.get(s, 0) > 0)
        left[s] -= 1
        out[i] = s
    return [out[i] for i in range(len(prefs))]


@pytest.mark.parametrize("seed", range(25))
def test_serial_dictatorship_equals_the_textbook_one_without_constraints(seed):
    """With every school permitted to everyone, the mechanism is the plain serial dictatorship."""
    rng = np.random.default_rng(seed)
    n_s = int(rng.integers(2, 6))
    cap = rng.integers(1, 4, size=n_s)
    n = int(cap.sum())
    capacity = {s: int(c) for s, c in enumerate(cap)}
    prefs = [[int(s) for s in rng.permutation(n_s)] for _ in range(n)]
    order = [int(i) for i in rng.permutation(n)]
    initial = [s for s, c in enumerate(cap) for _ in range(c)]
    got, forced = serial_dictatorship(order, prefs, [set(range(n_s))] * n, initial)
    assert got == naive_serial_dictatorship(order, prefs, capacity)
    assert forced == []


def test_serial_dictatorship_gives_up_a_school_only_when_forced():
    """The first mover prefers A, but the second may only go to A: the first takes B, and
    the pair is recorded as forced."""
    prefs = [[0, 1], [0]]
    got, forced = serial_dictatorship([0, 1], prefs, [{0, 1}, {0}], initial=[1, 0])
    assert got == [1, 0]
    assert forced == [(0, 0)]


@pytest.mark.parametrize("seed", range(25))
def test_deferred_acceptance_equals_the_matching_library(seed):
    """Teacher-proposing deferred acceptance equals the resident-optimal stable matching of
    the ``matching`` library's hospital-resident game (random lists and priorities)."""
    from matching.games import HospitalResident

    rng = np.random.default_rng(100 + seed)
    n_s = int(rng.integers(2, 6))
    n = int(rng.integers(2, 12))
    cap = {s: int(c) for s, c in enumerate(rng.integers(1, 4, size=n_s))}
    prefs = [
        [int(s) for s in rng.permutation(n_s)[: int(rng.integers(1, n_s + 1))]] for _ in range(n)
    ]
    prio = {s: rng.permutation(n) for s in range(n_s)}  # rank of each teacher at school s
    got = deferred_acceptance(prefs, prio, cap)

    residents = {f"t{i}": [f"s{s}" for s in p] for i, p in enumerate(prefs)}
    hospitals = {
        f"s{s}": [f"t{i}" for i in np.argsort(prio[s]) if s in prefs[i]] for s in range(n_s)
    }
    game = HospitalResident.create_from_dictionaries(
        residents, hospitals, {f"s{s}": c for s, c in cap.items()}
    )
    want = [-1] * n
    for h, rs in game.solve(optimal="resident").items():
        for r in rs:
            want[int(r.name[1:])] = int(h.name[1:])
    assert got == want


# ------------------------------------------------------------------ the lottery


def test_lottery_is_the_documented_sha256_order():
    """lottery_rank 1 is the smallest SHA-256 hex digest of "seed:staff_id", as anyone can
    recompute it."""
    ids = pd.Index(["1002", "2001", "3003", "4005", "7004"])
    got = lottery_ranks("2025-qingshui", ids)
    by_hand = sorted(ids, key=lambda i: hashlib.sha256(f"2025-qingshui:{i}".encode()).hexdigest())
    assert list(got.sort_values().index) == by_hand
    assert lottery_digest("s", "x") == hashlib.sha256(b"s:x").hexdigest()


def test_lottery_is_uniform_over_seeds():
    """Over 5,000 seeds each of five people is drawn first about equally often, and one
    person's rank is spread evenly over 1..5 (chi-square, 4 degrees of freedom, below
    the 0.1% critical value 18.467)."""
    ids = pd.Index([f"T{i}" for i in range(5)])
    first = np.zeros(5)
    rank_of_t0 = np.zeros(5)
    n = 5000
    for seed in range(n):
        r = lottery_ranks(str(seed), ids)
        first[int(np.flatnonzero(r.to_numpy() == 1)[0])] += 1
        rank_of_t0[int(r["T0"]) - 1] += 1
    for counts in (first, rank_of_t0):
        chi2 = float((((counts - n / 5) ** 2) / (n / 5)).sum())
        assert chi2 < 18.467, counts


def test_priority_is_points_then_lottery():
    """More points first; equal points by the draw."""
    pts = pd.Series({"a": 5.0, "b": 7.0, "c": 5.0})
    lot = pd.Series({"a": 2, "b": 3, "c": 1})
    assert list(priority(pts, lot)) == ["b", "c", "a"]


def test_points_count_history_rural_years():
    """rural_years come from history.csv where a person has postings there (4001: 15
    years at P4 since 2010 plus none at P1), else the staff column."""
    sc, d = load(SCENARIO)
    from solver.rules.eligibility import eligibility

    pts = points(d, sc, eligibility(d, sc))
    # 4001: years at school 15.0 (2010-09-01 to 2025-09-01) + 2 × 15.0 rural years from history
    assert pts["4001"] == pytest.approx(15.0 + 2 * 15.0, abs=0.01)
    # 4002: no history rows: rural_years 8 from staff.csv, 8 years at school
    assert pts["4002"] == pytest.approx(8.0 + 2 * 8, abs=0.01)


# ------------------------------------------------------------------ the county


def envy_pairs(district, scenario, a: pd.DataFrame) -> set[tuple[str, str]]:
    """Justified-envy pairs among ordinary movers, recomputed from the plan: a has priority
    over b (same subject), wishes b's school more than their own and is permitted it."""
    from solver.rules.eligibility import eligibility

    elig = eligibility(district, scenario)
    moves = permitted_moves(district, scenario, elig)
    ppl = moves.people
    pts = points(district, scenario, elig)
    movers = a[(a["stream"] == "ordinary") & a["moved"].astype(bool)]
    lot = lottery_ranks(scenario.placement.lottery_seed, a.index[a["stream"] == "ordinary"])
    order = list(priority(pts, lot))
    rank = {(r.staff_id, r.school_id): r.rank for r in district.preferences.itertuples(index=False)}
    sids = list(district.schools.index)
    out = set()
    for x in movers.index:
        for y in movers.index:
            if x == y or movers.at[x, "subject"] != movers.at[y, "subject"]:
                continue
            if order.index(x) > order.index(y):
                continue
            want, own = (
                rank.get((x, movers.at[y, "to_school"])),
                rank.get((x, movers.at[x, "to_school"])),
            )
            if want is None or (own is not None and own <= want):
                continue
            p = ppl.index.get_loc(x)
            if moves.ok[p, sids.index(movers.at[y, "to_school"])]:
                out.add((x, y))
    return out


@pytest.fixture(scope="module")
def county_plan(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("county") / "plan"
    r = CliRunner().invoke(main, ["-q", "solve", str(SCENARIO), "--out", str(out)])
    assert r.exit_code == 0, r.output
    return out


def test_county_serial_dictatorship_plan_is_valid_and_envy_free(county_plan):
    """The acceptance case: serial dictatorship with points = { years_at_school = 1,
    rural_years = 2 } on a county not made by the generator gives a valid plan with a
    wish_rank column and no justified envy among ordinary movers."""
    sc, d = load(SCENARIO)
    a = pd.read_csv(county_plan / "assignments.csv", dtype={"staff_id": str}).set_index("staff_id")
    assert {"wish_rank", "points", "lottery_rank"} <= set(a.columns)
    assert validate_plan(d, sc, a) == []
    movers = a[(a["stream"] == "ordinary") & a["moved"]]
    assert len(movers) >= 5
    assert movers["wish_rank"].notna().all()  # every ordinary mover got one of three wishes
    info = json.loads((county_plan / "summary.json").read_text(encoding="utf-8"))["placement"]
    forced = {(p["staff_id"], p["envies"]) for p in info["envy_pairs"] if p["forced"]}
    assert info["justified_envy"] == 0
    assert envy_pairs(d, sc, a) == forced
    hist = info["wish_rank_histogram"]
    assert sum(hist.values()) == len(movers) == info["ordinary_movers"]
    assert hist["1"] == int((movers["wish_rank"] == 1).sum())
    r = CliRunner().invoke(main, ["-q", "validate", str(SCENARIO), str(county_plan)])
    assert r.exit_code == 0, r.output


def test_county_same_seed_same_files_other_seed_other_draw(county_plan, tmp_path):
    """The same lottery_seed gives the same assignments.csv byte for byte (and the same
    placement record); another seed draws another lottery order."""
    again = tmp_path / "again"
    r = CliRunner().invoke(main, ["-q", "solve", str(SCENARIO), "--out", str(again)])
    assert r.exit_code == 0, r.output
    assert (again / "assignments.csv").read_bytes() == (
        county_plan / "assignments.csv"
    ).read_bytes()
    one = json.loads((county_plan / "summary.json").read_text(encoding="utf-8"))["placement"]
    two = json.loads((again / "summary.json").read_text(encoding="utf-8"))["placement"]
    assert one == two
    other = tmp_path / "other"
    path = county_scenario(tmp_path, lottery_seed="another seed")
    r = CliRunner().invoke(main, ["-q", "solve", str(path), "--out", str(other)])
    assert r.exit_code == 0, r.output
    a = pd.read_csv(county_plan / "assignments.csv")
    b = pd.read_csv(other / "assignments.csv")
    assert not a["lottery_rank"].equals(b["lottery_rank"])
    assert (
        json.loads((other / "summary.json").read_text(encoding="utf-8"))["placement"][
            "lottery_seed"
        ]
        == "another seed"
    )


def test_county_deferred_acceptance_is_valid_and_stable(tmp_path):
    """Deferred acceptance on the county: a valid plan without justified envy or blocking
    pairs (schools rank by points)."""
    sc = load_scenario(county_scenario(tmp_path, mechanism="deferred_acceptance"))
    d = load_district(COUNTY, as_of=sc.as_of)
    res = solve(d, sc)
    assert validate_plan(d, sc, res.assignments) == []
    assert res.placement["justified_envy"] == 0
    assert res.placement["blocking_pairs"] == res.placement["forced_envy"] == 0
    assert envy_pairs(d, sc, res.assignments) == set()
    # every school ranks by the same points: with nothing forced it is serial dictatorship
    sd = solve(d, load_scenario(SCENARIO))
    assert res.placement["forced_skips"] == sd.placement["forced_skips"] == 0
    assert res.assignments["to_school"].equals(sd.assignments["to_school"])


def test_wish_weight_trades_commute_for_wishes(tmp_path):
    """Under optimize, a wish_weight lowers the wish term (and the plan stays valid); the
    wish term of the result is the one recomputed from the plan."""
    from solver.model.terms import TERM
    from solver.plan.plan import Plan

    sc0 = load_scenario(county_scenario(tmp_path, mechanism="optimize"))
    d = load_district(COUNTY, as_of=sc0.as_of)
    plain = solve(d, sc0)
    (tmp_path / "w").mkdir()
    sc1 = load_scenario(county_scenario(tmp_path / "w", mechanism="optimize", wish_weight=50))
    wished = solve(d, sc1)
    for sc, res in ((sc0, plain), (sc1, wished)):
        assert validate_plan(d, sc, res.assignments) == []
        plan = Plan.of(d, res.assignments)
        assert res.terms["wish"] == TERM["wish"].evaluate(sc, plan)
    assert wished.terms["wish"] < plain.terms["wish"]
    assert wished.status.value == "optimal"


def test_never_worse_sends_nobody_below_staying(tmp_path):
    """With never_worse every mover with wishes goes to a listed school, the validator
    agrees, and the report names nobody as kept (everyone lists permitted schools)."""
    sc = load_scenario(county_scenario(tmp_path, never_worse=True))
    d = load_district(COUNTY, as_of=sc.as_of)
    res = solve(d, sc)
    assert validate_plan(d, sc, res.assignments) == []
    a = res.assignments
    wishers = set(d.preferences["staff_id"])
    moved = a[a["moved"] & a.index.isin(wishers)]
    assert len(moved) and moved["wish_rank"].notna().all()
    assert res.placement["never_worse_kept"] == []


def test_validator_names_a_never_worse_breach(tmp_path):
    """A plan that sends a teacher to a school they did not list breaks never_worse."""
    sc = load_scenario(county_scenario(tmp_path, never_worse=True, mechanism="optimize"))
    d = load_district(COUNTY, as_of=sc.as_of)
    res = solve(d, sc)
    a = res.assignments.copy()
    # 1002 (P1, wishes P2, N3, P4) and 5002 (P5, wishes P2, P1, P4) swap: 5002 to P1 is
    # listed, 1002 to P5 is not
    a.loc["1002", ["to_school", "moved"]] = ["P5", True]
    a.loc["5002", ["to_school", "moved"]] = ["P1", True]
    bad = [v for v in validate_plan(d, sc, a) if v.rule == "never_worse"]
    assert [(v.message, v.staff, v.schools) for v in bad] == [
        ("staff 1002 goes to P5, not on their wishes", ("1002",), ("P5",))
    ]


def test_never_worse_can_make_the_quota_impossible(tmp_path):
    """When never_worse leaves too few movable teachers, the solve is infeasible and the
    diagnosis names never_worse among the rules."""
    folder = tmp_path / "county"
    shutil.copytree(COUNTY, folder)
    # everyone lists only their own school: nobody may move
    staff = pd.read_csv(folder / "staff.csv", dtype=str)
    with (folder / "preferences.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["staff_id", "rank", "school_id"])
        for row in staff.itertuples(index=False):
            w.writerow([row.staff_id, 1, row.school_id])
    text = county_scenario(tmp_path, never_worse=True).read_text(encoding="utf-8")
    path = tmp_path / "nw.toml"
    path.write_text(text.replace(COUNTY.as_posix(), folder.as_posix()), encoding="utf-8")
    sc = load_scenario(path)
    d = load_district(folder, as_of=sc.as_of)
    res = solve(d, sc, raise_on_failure=False)
    assert res.status.value == "infeasible"
    assert "never_worse" in json.dumps(res.diagnosis)


# ------------------------------------------------------------------ bad input


def write_preferences(tmp_path: Path, rows: list[list[object]], header=None) -> Path:
    folder = tmp_path / "district"
    shutil.copytree(COUNTY, folder)
    with (folder / "preferences.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header or ["staff_id", "rank", "school_id"])
        w.writerows(rows)
    return folder


def test_bad_preferences_rows_are_located(tmp_path):
    """Each bad row of preferences.csv is named by file, row (as Excel shows it) and column."""
    folder = write_preferences(
        tmp_path,
        [
            ["1002", 1, "P2"],  # row 2: fine
            ["9999", 1, "P2"],  # row 3: unknown staff
            ["1004", 1, "X9"],  # row 4: unknown school
            ["1005", 0, "P2"],  # row 5: rank below 1
            ["1006", "first", "P2"],  # row 6: not an integer
            ["1002", 1, "N3"],  # row 7: rank 1 again for 1002
            ["1002", 2, "P2"],  # row 8: P2 again for 1002
        ],
    )
    with pytest.raises(InputError) as exc:
        load_district(folder, as_of=load(SCENARIO)[0].as_of)
    file = str(folder / "preferences.csv")
    got = {(p.row, p.column): p.message for p in exc.value.problems if p.file == file}
    assert set(got) == {
        (3, "staff_id"),
        (4, "school_id"),
        (5, "rank"),
        (6, "rank"),
        (7, "rank"),
        (8, "school_id"),
    }
    assert got[(3, "staff_id")] == "unknown staff member"
    assert got[(4, "school_id")] == "unknown school"
    assert "duplicate staff_id and rank '1002 / 1'" in got[(7, "rank")]
    assert "duplicate staff_id and school_id '1002 / P2'" in got[(8, "school_id")]


def test_bad_preferences_exit_2_and_write_nothing(tmp_path):
    """lungang solve with a bad preferences.csv exits 2, names the row and writes nothing."""
    folder = write_preferences(tmp_path, [["1002", "x", "P2"]])
    text = county_scenario(tmp_path).read_text(encoding="utf-8")
    path = tmp_path / "bad.toml"
    path.write_text(text.replace(COUNTY.as_posix(), folder.as_posix()), encoding="utf-8")
    out = tmp_path / "plan"
    r = CliRunner().invoke(main, ["solve", str(path), "--out", str(out)])
    assert r.exit_code == 2, r.output
    assert "preferences.csv" in r.output and "row 2" in r.output and "rank" in r.output
    assert not out.exists()


def test_chinese_headers_are_read(tmp_path):
    """工号, 志愿序号, 志愿学校 are read as staff_id, rank, school_id."""
    folder = write_preferences(
        tmp_path, [["1002", 1, "P2"]], header=["工号", "志愿序号", "志愿学校"]
    )
    d = load_district(folder, as_of=load(SCENARIO)[0].as_of)
    assert d.preferences.to_dict("records") == [{"staff_id": "1002", "rank": 1, "school_id": "P2"}]


@pytest.mark.parametrize(
    "placement, key, hint",
    [
        ({"mechanim": "optimize"}, "placement.mechanim", "placement.mechanism"),
        (
            {"points": {"rural_year": 2}},
            "placement.points.rural_year",
            "placement.points.rural_years",
        ),
    ],
)
def test_unknown_placement_keys_name_the_closest(placement, key, hint):
    """An unknown [placement] key is an error naming the closest known one."""
    raw = {"scenario": {"name": "x", "data": "."}, "placement": placement}
    with pytest.raises(InputError) as exc:
        parse_scenario(raw)
    (p,) = exc.value.problems
    assert p.key == key and f"did you mean '{hint}'" in p.message


def test_bad_mechanism_is_refused():
    """mechanism takes one of three names."""
    raw = {"scenario": {"name": "x", "data": "."}, "placement": {"mechanism": "lottery"}}
    with pytest.raises(InputError) as exc:
        parse_scenario(raw)
    assert exc.value.problems[0].key == "placement.mechanism"


def test_county_optimize_has_envy_the_report_counts(tmp_path):
    """Under optimize the same county leaves justified envy (so the checks above can
    fail), and the report's pairs are the ones recomputed from the plan."""
    sc = load_scenario(county_scenario(tmp_path, mechanism="optimize"))
    d = load_district(COUNTY, as_of=sc.as_of)
    res = solve(d, sc)
    pairs = {(p["staff_id"], p["envies"]) for p in res.placement["envy_pairs"]}
    assert res.placement["justified_envy"] == len(pairs) > 0
    assert envy_pairs(d, sc, res.assignments) == pairs


def test_public_notice_in_chinese_without_private_columns(county_plan, tmp_path):
    """lungang report --lang zh rewrites notice.csv and the notice sheet in Chinese: one
    row per mover, by receiving school, with no staff id, home or distance."""
    import openpyxl

    plan = tmp_path / "plan"
    shutil.copytree(county_plan, plan)
    r = CliRunner().invoke(main, ["-q", "report", str(plan), "--lang", "zh"])
    assert r.exit_code == 0, r.output
    notice = pd.read_csv(plan / "notice.csv", dtype=str)
    assert list(notice.columns) == [
        "调入学校代码",
        "姓名",
        "学科",
        "原学校",
        "新学校",
        "交流年限",
        "积分",
        "志愿序次",
    ]
    a = pd.read_csv(plan / "assignments.csv", dtype={"staff_id": str})
    movers = a[a["moved"]]
    assert sorted(notice["姓名"]) == sorted(movers["name"])
    assert list(notice["调入学校代码"]) == sorted(notice["调入学校代码"])
    text = (plan / "notice.csv").read_text(encoding="utf-8")
    assert not any(sid in text for sid in movers["staff_id"])
    wb = openpyxl.load_workbook(plan / "plan.xlsx")
    ws = wb["公示名单"]
    assert [c.value for c in ws[1]] == list(notice.columns)
    assert ws.max_row == len(movers) + 1
