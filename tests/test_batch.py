"""`lungang batch` on real Dask clusters: an embedded LocalCluster, a module-wide
LocalCluster reached by address, and a `dask scheduler` + `dask worker` started as
separate processes on 127.0.0.1. Districts are the demo's (300 staff); every solve ends
by proving optimality or by `[solver] work_limit`."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from solver.batch.run import run_batch, slug
from solver.batch.task import CRASH_HOOK, STAMP
from solver.cli import main
from solver.load import load
from solver.output.batch_table import CITY, COLUMNS, batch_frame, batch_markdown
from solver.search.solve import solve
from solver.validate import validate_plan_dir

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "scenarios" / "demo.toml"
DEMO_DATA = ROOT / "data" / "demo"
TINY = Path(__file__).parent / "data" / "tiny"


def scenario(folder: Path, name: str, data: Path, **quotas: float) -> Path:
    """The demo scenario under another name and data, with a work limit of 5."""
    text = DEMO.read_text(encoding="utf-8")
    text = re.sub(r"^name = .*$", f'name = "{name}"', text, count=1, flags=re.M)
    text = re.sub(r"^data = .*$", f'data = "{data.as_posix()}"', text, count=1, flags=re.M)
    text = re.sub(r"^seed = 0$", "seed = 0\nwork_limit = 5", text, count=1, flags=re.M)
    for key, value in quotas.items():
        text, n = re.subn(rf"^{key} = [0-9.]+", f"{key} = {value}", text, count=1, flags=re.M)
        assert n == 1, key
    path = folder / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def rows_of(out: Path) -> dict[str, dict[str, str]]:
    with (out / "batch.csv").open(encoding="utf-8") as f:
        return {r["scenario"]: r for r in csv.DictReader(f)}


_ALONE: dict[str, tuple[float, pd.Series]] = {}


def alone(path: Path) -> tuple[float, pd.Series]:
    """The district solved alone, in this process, with the batch's one thread (once per
    scenario text: every test copies the same demo data)."""
    text = re.sub(r"^data = .*$", "", path.read_text(encoding="utf-8"), flags=re.M)
    if text not in _ALONE:
        sc, district = load(path)
        r = solve(district, sc.with_solver(workers=1))
        _ALONE[text] = (r.objective, r.assignments["to_school"].sort_index())
    return _ALONE[text]


def planned(out: Path, path: Path) -> tuple[float, pd.Series]:
    sc, district = load(path)
    folder = out / sc.name
    assert validate_plan_dir(folder, district, sc) == []
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    a = pd.read_csv(folder / "assignments.csv", dtype={"staff_id": str}).set_index("staff_id")
    return summary["objective"], a["to_school"].sort_index()


@pytest.fixture(scope="module")
def crash_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("crash")


@pytest.fixture(scope="module")
def cluster(crash_dir):
    """Two single-thread worker processes that see the test-only crash hook."""
    from distributed import LocalCluster

    os.environ[CRASH_HOOK] = str(crash_dir)  # inherited by the worker processes
    try:
        with LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as c:
            yield c
    finally:
        os.environ.pop(CRASH_HOOK, None)


@pytest.fixture
def districts(tmp_path) -> dict[str, Path]:
    """Two districts with plans, one infeasible and one with a bad staff table."""
    data = tmp_path / "data"
    shutil.copytree(DEMO_DATA, data / "demo")
    bad = data / "bad"
    shutil.copytree(TINY, bad)
    staff = (bad / "staff.csv").read_text(encoding="utf-8").splitlines()
    staff[1] = staff[1].replace(",principal,", ",janitor,", 1)
    (bad / "staff.csv").write_text("\n".join(staff) + "\n", encoding="utf-8")
    sc = tmp_path / "scenarios"
    sc.mkdir()
    return {
        "A": scenario(sc, "A", data / "demo"),
        "B": scenario(
            sc, "B", data / "demo", teacher_rotation_min=0.12, principal_rotation_min=0.2
        ),
        "X": scenario(sc, "X", data / "demo", teacher_rotation_min=1.0, school_outflow_max=0.0),
        "C": scenario(sc, "C", bad),
    }


def test_embedded_cluster_rows_equal_solving_alone(districts, tmp_path):
    """The default LocalCluster plans A and B exactly as solving each alone does; the
    infeasible X gets its diagnosis, the bad C its located message; exit 2 names C."""
    out = tmp_path / "out"
    paths = [districts[k] for k in "ABXC"]
    outcome = run_batch(paths, out, workers=2, progress=False)
    rows = rows_of(out)
    assert [r["status"] for r in outcome.rows] == ["optimal", "optimal", "infeasible", "bad_input"]
    for k in "AB":
        obj, to = planned(out, districts[k])
        obj_alone, to_alone = alone(districts[k])
        assert obj == pytest.approx(obj_alone, abs=1e-9)
        assert to.equals(to_alone)
        assert float(rows[k]["objective"]) == pytest.approx(obj, abs=1e-6)
        assert rows[k]["worker"].startswith("tcp://127.0.0.1:")
        assert float(rows[k]["peak_memory_mb"]) > 50
        assert json.loads((out / k / STAMP).read_text())["row"]["status"] == "optimal"
        assert (out / k / "plan.xlsx").is_file() and (out / k / "report.html").is_file()
    diag = json.loads((out / "X" / "diagnosis.json").read_text(encoding="utf-8"))
    assert "teacher_rotation_min" in json.dumps(diag)
    assert not (out / "C").exists()
    assert "staff.csv, row 2, column 'role'" in rows["C"]["message"]
    assert outcome.exit_code == 2
    assert "bad_input (2): C" in outcome.verdict and "infeasible (3): X" in outcome.verdict
    assert list(rows) == ["A", "B", "X", "C", CITY]
    assert rows[CITY]["staff"] == "900" and rows["C"]["staff"] == ""
    assert int(rows[CITY]["moved"]) == int(rows["A"]["moved"]) + int(rows["B"]["moved"])
    assert rows[CITY]["status"] == "2 of 4 planned"
    md = (out / "batch.md").read_text(encoding="utf-8")
    assert "| A | optimal | 300 |" in md and "- **C** (bad_input)" in md


def test_resume_solves_nothing_then_only_a_changed_district(districts, tmp_path, cluster):
    """--resume keeps complete districts without contacting any cluster; a changed data
    file makes exactly its district run again."""
    out = tmp_path / "out"
    paths = [districts[k] for k in "ABX"]
    first = run_batch(paths, out, scheduler=cluster.scheduler_address, progress=False)
    assert first.exit_code == 3 and first.submitted == 3
    mtimes = {k: (out / k / STAMP).stat().st_mtime_ns for k in "ABX"}
    t = time.perf_counter()
    # an address nothing listens on: a resume that tried to submit would fail
    again = run_batch(paths, out, scheduler="tcp://127.0.0.1:9", resume=True, progress=False)
    assert time.perf_counter() - t < 5
    assert again.submitted == 0
    assert [r.get("resumed") for r in again.rows] == [True, True, True]
    assert {k: (out / k / STAMP).stat().st_mtime_ns for k in "ABX"} == mtimes
    assert [r["status"] for r in again.rows] == ["optimal", "optimal", "infeasible"]
    sc_b = districts["B"].read_text(encoding="utf-8").replace("work_limit = 5", "work_limit = 6")
    districts["B"].write_text(sc_b, encoding="utf-8")
    third = run_batch(paths, out, scheduler=cluster.scheduler_address, resume=True, progress=False)
    assert third.submitted == 1
    assert [bool(r.get("resumed")) for r in third.rows] == [True, False, True]


def test_earlier_batch_refused_without_resume_or_force(districts, tmp_path):
    """A batch folder with results is refused (exit 2, nothing written); so is a
    district folder that would land on the data."""
    out = tmp_path / "out"
    (out / "A").mkdir(parents=True)
    res = CliRunner().invoke(main, ["batch", str(districts["A"]), "--out", str(out)])
    assert res.exit_code == 2 and "--resume" in res.output
    assert list(out.iterdir()) == [out / "A"]
    # a district named "data" in tmp_path would replace the folder of the data
    named_data = scenario(tmp_path / "scenarios", "data", tmp_path / "data" / "demo")
    res = CliRunner().invoke(main, ["batch", str(named_data), "--out", str(tmp_path)])
    assert res.exit_code == 2 and "would overwrite the input" in res.output
    assert not (tmp_path / "batch.csv").exists() and (tmp_path / "data" / "demo").is_dir()


def test_killed_worker_is_retried_once_then_crashed(districts, tmp_path, cluster, crash_dir):
    """A worker killed once: the district is planned by another worker; killed twice:
    `crashed`, exit 1, and the other district is planned."""
    (crash_dir / "A.crash").write_text("1")
    (crash_dir / "B.crash").write_text("2")
    out = tmp_path / "out"
    outcome = run_batch(
        [districts["A"], districts["B"]], out, scheduler=cluster.scheduler_address, progress=False
    )
    a, b = outcome.rows
    assert a["status"] == "optimal"
    assert a["retried_from"].startswith("tcp://") and a["retried_from"] != a["worker"]
    assert planned(out, districts["A"])[0] == pytest.approx(alone(districts["A"])[0], abs=1e-9)
    assert b["status"] == "crashed" and "retried on another worker" in b["message"]
    assert (crash_dir / "A.crash").read_text() == "0" and (crash_dir / "B.crash").read_text() == "0"
    assert outcome.exit_code == 1 and "crashed (1): B" in outcome.verdict
    assert not (out / "B").exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(predicate, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("timed out waiting for the Dask processes")


@contextlib.contextmanager
def external_cluster(log_path: Path) -> Iterator[str]:
    """`dask scheduler` and one single-thread `dask worker` as their own processes on
    127.0.0.1, stopped on exit; yields the scheduler's address."""
    bin_dir = Path(sys.executable).parent
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    log = log_path.open("w")
    scheduler_cmd = ["scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"]
    worker_cmd = ["worker", address, "--nthreads", "1", "--nworkers", "1", "--host", "127.0.0.1"]
    worker_cmd += ["--no-dashboard", "--resources", "threads=1", "--death-timeout", "30"]
    procs = [subprocess.Popen([bin_dir / "dask", *scheduler_cmd], stdout=log, stderr=log)]
    try:
        _wait_for(lambda: socket.socket().connect_ex(("127.0.0.1", port)) == 0, 30)
        procs.append(subprocess.Popen([bin_dir / "dask", *worker_cmd], stdout=log, stderr=log))
        yield address
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        log.close()


def lungang_batch(*args: str) -> subprocess.CompletedProcess:
    """The `lungang` console script of this environment, quiet, in a subprocess."""
    exe = Path(sys.executable).parent / "lungang"
    return subprocess.run([exe, "-q", "batch", *args], capture_output=True, text=True, timeout=180)


def test_external_scheduler_and_worker_processes(districts, tmp_path):
    """`dask scheduler` and `dask worker` as their own processes on 127.0.0.1:
    `lungang batch --scheduler` plans both districts on that worker, as alone."""
    with external_cluster(tmp_path / "dask.log") as address:
        out = tmp_path / "out"
        res = lungang_batch(str(districts["A"]), str(districts["B"]), "--out", str(out),
                            "--scheduler", address)  # fmt: skip
        assert res.returncode == 0, res.stderr
        assert "all 2 districts have a plan" in res.stderr
        rows = rows_of(out)
        assert rows["A"]["worker"] == rows["B"]["worker"]
        assert rows["A"]["worker"].startswith("tcp://127.0.0.1:")
        for k in "AB":
            obj, to = planned(out, districts[k])
            obj_alone, to_alone = alone(districts[k])
            assert obj == pytest.approx(obj_alone, abs=1e-9) and to.equals(to_alone)


#: Hand-written districts (not made by the generator), each with its scenario file.
HAND_WRITTEN = [
    Path(__file__).parent / "data" / f"{n}.toml" for n in ("tiny", "hill", "river", "lake")
]


def test_hand_written_districts_embedded_external_and_resumed(tmp_path):
    """Acceptance of the batch: four districts we did not generate give valid plans, one
    row each, on the embedded cluster and on an external scheduler + worker, with the
    same plans; a `--resume` run re-solves nothing."""
    paths = [str(p) for p in HAND_WRITTEN]
    embedded = tmp_path / "embedded"
    res = lungang_batch(*paths, "--out", str(embedded), "--workers", "2", "--lang", "zh")
    assert res.returncode == 0, res.stderr
    assert res.stderr.splitlines()[-1] == "全部 4 个区县都有方案"
    with external_cluster(tmp_path / "dask.log") as address:
        external = tmp_path / "external"
        res = lungang_batch(*paths, "--out", str(external), "--scheduler", address)
        assert res.returncode == 0, res.stderr
        assert res.stderr.splitlines()[-1] == "all 4 districts have a plan"
    names = [load(p)[0].name for p in HAND_WRITTEN]
    for out in (embedded, external):
        rows = rows_of(out)
        assert list(rows) == [*names, CITY]
        assert {rows[n]["status"] for n in names} == {"optimal"}
    for p in HAND_WRITTEN:
        sc, district = load(p)
        folders = [out / slug(sc.name) for out in (embedded, external)]
        for folder in folders:
            assert validate_plan_dir(folder, district, sc) == []
        same = [(f / "assignments.csv").read_bytes() for f in folders]
        assert same[0] == same[1]
    stamps = {p: p.stat().st_mtime_ns for p in embedded.glob(f"*/{STAMP}")}
    assert len(stamps) == 4
    again = run_batch(paths, embedded, scheduler="tcp://127.0.0.1:9", resume=True, progress=False)
    assert again.submitted == 0 and [r.get("resumed") for r in again.rows] == [True] * 4
    assert {p: p.stat().st_mtime_ns for p in embedded.glob(f"*/{STAMP}")} == stamps


def test_dry_run_prints_the_plan_and_writes_nothing(districts, tmp_path, monkeypatch):
    """--dry-run lists the districts largest first and where they would run; nothing
    is written (not even a generated district) and no cluster starts."""
    out = tmp_path / "out"
    monkeypatch.setenv("LUNGANG_CACHE", str(tmp_path / "cache"))
    city = ROOT / "scenarios" / "city" / "yanqing.toml"
    args = ["batch", str(districts["C"]), str(districts["A"]), str(city), "--out", str(out)]
    args.append("--dry-run")
    res = CliRunner().invoke(main, [*args, "--threads-per-task", "2", "--workers", "3"])
    assert res.exit_code == 0, res.output
    assert "embedded LocalCluster: 3 worker process(es)" in res.output
    assert "HiGHS threads = 2" in res.output
    lines = res.output.splitlines()
    assert lines.index(next(x for x in lines if x.strip().startswith("A "))) < lines.index(
        next(x for x in lines if x.strip().startswith("C "))
    )
    assert "yanqing" in res.output and "3,000 staff" in res.output
    assert not out.exists() and not (tmp_path / "cache").exists()


def test_dry_run_slurm_job_script(districts, tmp_path, monkeypatch):
    """--dry-run --slurm prints dask-jobqueue's job script with one worker process per
    task slot and the threads resource; without dask-jobqueue it says it needs it."""
    args = ["batch", str(districts["A"]), "--out", str(tmp_path / "o"), "--dry-run", "--slurm"]
    res = CliRunner().invoke(
        main, [*args, "--threads-per-task", "2", "--slurm-cores", "4", "--scheduler-file", "s.json"]
    )
    assert res.exit_code == 0, res.output
    assert "#SBATCH --cpus-per-task=4" in res.output
    assert "--scheduler-file s.json" in res.output
    assert "--nworkers 2" in res.output and "--resources threads=2" in res.output
    monkeypatch.setitem(sys.modules, "dask_jobqueue.slurm", None)
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 2 and "needs dask-jobqueue" in res.output


def test_city_row_sums_planned_districts():
    """The city row sums counts over all, moves and objectives over planned districts,
    and its gap is that of the sums."""
    rows = [
        {
            "scenario": "a",
            "status": "optimal",
            "staff": 10,
            "moved": 3,
            "objective": 10.0,
            "bound": 9.0,
            "peak_memory_mb": 100.0,
        },
        {
            "scenario": "b",
            "status": "feasible",
            "staff": 20,
            "moved": 4,
            "objective": 30.0,
            "bound": 27.0,
            "peak_memory_mb": 300.0,
        },
        {"scenario": "c", "status": "no_plan", "staff": 5, "moved": 9, "objective": float("nan")},
    ]
    frame = batch_frame(rows)
    city = frame.iloc[-1]
    assert list(frame.columns) == list(COLUMNS)
    assert (city["staff"], city["moved"], city["objective"], city["bound"]) == (35, 7, 40.0, 36.0)
    assert city["gap"] == pytest.approx(0.1)
    assert city["peak_memory_mb"] == 300.0
    assert city["status"] == "2 of 3 planned"


def test_city_bound_scope_is_the_weakest_of_its_planned_districts():
    """The city's summed bound holds for the problems as written only when every planned
    district's does; a district without a plan does not count."""
    row = {"status": "optimal", "objective": 1.0, "bound": 1.0}
    frame = batch_frame(
        [
            {**row, "scenario": "a", "bound_scope": "full_model"},
            {**row, "scenario": "b", "bound_scope": "full_lp"},
            {"scenario": "c", "status": "no_plan", "bound_scope": "kept_candidates"},
        ]
    )
    assert frame.iloc[-1]["bound_scope"] == "full_lp"
    frame = batch_frame(
        [
            {**row, "scenario": "a", "bound_scope": "lagrangian"},
            {**row, "scenario": "b", "status": "feasible", "bound_scope": "kept_candidates"},
        ]
    )
    assert frame.iloc[-1]["bound_scope"] == "kept_candidates"
    assert "| kept_candidates |" in batch_markdown(frame)


def test_city_scenarios_are_the_16_districts_by_kind():
    """scenarios/city/ names each district of the city profile once: urban cores
    cross-zone, outer suburbs district-wide one-way, county-like two-way."""
    from solver.generate import _CITY, city_districts
    from solver.input.scenario import load_scenario

    scs = {p.stem: load_scenario(p) for p in (ROOT / "scenarios" / "city").glob("*.toml")}
    assert sorted(scs) == sorted(city_districts()) and len(scs) == 16
    for base, district, *_ in _CITY:
        sc = scs[district]
        assert (sc.scenario.profile, sc.scenario.profile_district) == ("city", district)
        assert sc.name == district
        if base == "urban-core":
            assert sc.scope.teachers == "cross_zone"
        else:
            assert sc.scope.teachers == "district"
            assert (sc.flow.rural_to_urban_min > 0) == (base == "county-two-way")


def test_city_district_alone_equals_the_city_profiles(tmp_path):
    """A city district generated alone is that district of `generate city`; a scenario
    naming an unknown district is bad input naming the key."""
    from solver.errors import InputError
    from solver.generate import generate, generate_city_district

    schools, staff = generate("city", seed=5, schools=100)
    for district in ("xicheng", "yanqing", "daxing"):
        s, t = generate_city_district(district, seed=5, schools=100)
        expect = staff[staff["district"] == district].drop(columns="district")
        pd.testing.assert_frame_equal(t.reset_index(drop=True), expect.reset_index(drop=True))
        assert list(s["school_id"]) == list(
            schools.loc[schools["district"] == district, "school_id"]
        )
    bad = tmp_path / "atlantis.toml"
    bad.write_text('[scenario]\nprofile = "city"\nprofile_district = "atlantis"\n')
    with pytest.raises(InputError) as exc:
        load(bad)
    assert "key 'scenario.profile_district'" in str(exc.value) and "daxing" in str(exc.value)
    missing = tmp_path / "missing.toml"
    missing.write_text('[scenario]\nprofile = "city"\n')
    with pytest.raises(InputError, match="profile_district"):
        load(missing)


def test_batch_plans_a_multi_year_scenario_into_a_horizon_folder(districts, tmp_path, cluster):
    """A scenario with [horizon] years = 2 is planned jointly by the batch on the
    LocalCluster: its folder is a horizon folder that validates (each year and across
    years) and its row is year 1's counts with the horizon's objective."""
    from solver.validate import validate_horizon_dir

    path = districts["A"].with_name("H.toml")
    text = districts["A"].read_text(encoding="utf-8").replace('name = "A"', 'name = "H"')
    path.write_text(text + "\n[horizon]\nyears = 2\nno_return_years = 6\n", encoding="utf-8")
    out = tmp_path / "out"
    outcome = run_batch(
        [path, districts["A"]], out, scheduler=cluster.scheduler_address, progress=False
    )
    assert [r["status"] for r in outcome.rows][1] == "optimal"
    assert outcome.rows[0]["status"] in ("optimal", "feasible")
    folder = out / "H"
    assert {p.name for p in folder.iterdir()} >= {"year1", "year2", "horizon.json", "history.csv"}
    sc, district = load(path)
    assert validate_horizon_dir(folder, district, sc) == []
    info = json.loads((folder / "horizon.json").read_text(encoding="utf-8"))
    row = rows_of(out)["H"]
    assert float(row["objective"]) == pytest.approx(info["objective"], abs=1e-6)
    assert int(row["moved"]) == info["per_year"][0]["moved"]
    assert outcome.exit_code == 0
