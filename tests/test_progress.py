"""One budget and the progress a planner follows (solver/progress.py, solver/display.py).

No outcome here depends on the wall clock: budgets and throttles run on a fake clock,
solves end by proving optimality.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from builders import make_district
from builders import scenario as make_scenario
from click.testing import CliRunner
from test_balance import one_level_rows, valid
from test_diagnose import case_teacher_rotation_min

import solver.search.build as build_mod
import solver.search.engine as engine
from solver.analysis.compare import compare, pareto
from solver.analysis.explain import explain_result
from solver.cli import main
from solver.display import LogSink, PlainSink
from solver.plan.result import SolveStatus
from solver.progress import (
    ANALYSIS_FLOOR_S,
    PHASES,
    Budget,
    Event,
    Progress,
    Sink,
    State,
    analysis_floor,
    finish_reserve,
    write_estimate,
)
from solver.search.solve import solve

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "scenarios" / "demo.toml"


class FakeClock:
    """A clock that moves only when told."""

    def __init__(self, t: float = 100.0):
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, s: float) -> None:
        self.t += s


class Recorder(Sink):
    """Keeps every event with the state it came with."""

    def __init__(self):
        self.events: list[tuple[Event, State]] = []

    def handle(self, event: Event, state: State) -> None:
        self.events.append((event, state))

    def of(self, kind: str) -> list[tuple[Event, State]]:
        return [(e, s) for e, s in self.events if e.kind == kind]


# --------------------------------------------------------------------------- budget


def test_budget_counts_from_its_start_and_keeps_the_reserve():
    """Elapsed and left run on the budget's clock from its start; the search stops the
    reserve before the end; a part never ends after its parent."""
    clock = FakeClock()
    b = Budget(60, clock=clock, start=clock() - 10, reserve_s=5)
    assert b.elapsed() == 10 and b.left() == 50 and b.search_left() == 45
    part = b.part(100)
    assert part.left() == 50 and part.search_left() == 50
    assert b.part(20).left() == 20
    clock.advance(70)
    assert b.left() == -20 and b.part(5).left() == 0


def test_analysis_gets_what_is_left_but_the_writing_at_least_the_floor():
    """The analysis budget is what is left minus the writing estimate, and never under
    the floor (2 s, more for big districts); the search's reserve holds both."""
    assert analysis_floor(1_000) == ANALYSIS_FLOOR_S and analysis_floor(40_000) > 2
    clock = FakeClock()
    b = Budget(60, clock=clock, reserve_s=finish_reserve(15_000))
    assert finish_reserve(15_000) == pytest.approx(analysis_floor(15_000) + write_estimate(15_000))
    clock.advance(30)
    assert b.analysis_s(15_000) == pytest.approx(30 - write_estimate(15_000))
    clock.advance(29.5)
    assert b.analysis_s(15_000) == analysis_floor(15_000)


def test_explain_result_takes_its_budget_from_the_call(tmp_path):
    """explain.json records the budget it was given: what was left, less the writing."""
    d = make_district(*one_level_rows(3), tmp_path)
    sc = make_scenario(staffing={"subject_tolerance": 1})
    res = solve(d, sc)
    clock = FakeClock()
    b = Budget(40, clock=clock, start=clock() - 15)
    ex = explain_result(d, sc, res, budget=b)
    assert ex["budget_s"] == pytest.approx(25 - write_estimate(len(d.staff)), abs=1e-3)
    assert "people_not_analysed" not in ex  # the fake clock never runs out
    clock.advance(30)  # past the end: the floor
    assert explain_result(d, sc, res, budget=b)["budget_s"] == ANALYSIS_FLOOR_S


def test_the_search_gets_the_time_left_after_checks_and_build(tmp_path, monkeypatch):
    """The CP-SAT time limit is the budget's search time left, not [solver] time_limit_s:
    the time already spent and the reserve are taken off."""
    d = make_district(*one_level_rows(3), tmp_path)
    sc = make_scenario(staffing={"subject_tolerance": 1}, solver={"time_limit_s": 50})
    limits: list[float] = []
    real = engine.new_solver

    def spy(time_limit_s, *a, **kw):
        limits.append(time_limit_s)
        return real(time_limit_s, *a, **kw)

    monkeypatch.setattr(engine, "new_solver", spy)
    clock = FakeClock()
    b = Budget(50, clock=clock, start=clock() - 20, reserve_s=5)  # 20 s gone: 25 s to search
    res = solve(d, sc, budget=b)
    assert res.status is SolveStatus.OPTIMAL
    valid(d, sc, res)
    assert limits[-1] == pytest.approx(25)


# --------------------------------------------------------------------------- events


def test_a_plan_never_shows_a_bound_above_it_and_bounds_only_rise():
    """The state keeps the best bound, capped by the best plan; a plan reported without a
    bound (a restricted search) keeps the whole problem's bound."""
    rec = Recorder()
    p = Progress(rec, clock=FakeClock())
    p.bound(10.0)
    p.plan(12.0)
    assert p.state.bound == 10.0
    p.plan(11.0, bound=9.0)  # a weaker bound does not replace the LP's
    assert p.state.bound == 10.0 and p.state.objective == 11.0
    p.plan(13.0)  # not improving: ignored
    assert p.state.objective == 11.0
    p.bound(11.5)  # above the plan: capped
    assert p.state.bound == 11.0 and p.state.gap == 0.0
    p.problem("commute")
    assert p.state.objective is None and p.state.bound is None


def _feed(sink: Sink, clock: FakeClock) -> Progress:
    """Eight phases over 60 s of fake time, an improving plan every 0.1 s of search and a
    tick every second, as a long solve would send them."""
    p = Progress(sink, budget=Budget(60, clock=clock))
    p.note("solving 'x'")
    for name in ("checks", "build", "warm start", "LP guide"):
        p.phase(name)
        for _ in range(3):
            clock.advance(1)
            p.tick()
    p.bound(100.0)
    p.phase("search")
    obj = 200.0
    for k in range(400):  # 40 s of plans
        clock.advance(0.1)
        obj -= 0.1
        p.plan(obj, None)
        if k % 10 == 0:
            p.tick()
    for name in ("full search", "analysis", "writing"):
        p.phase(name)
        clock.advance(2)
        p.tick()
    p.done("plan written to out")
    return p


def test_the_plain_log_has_a_line_per_phase_and_a_progress_line_per_5_s_at_most():
    """Not a terminal: one line per phase, progress lines at least 5 s apart on the clock,
    each with the best plan, the bound and the gap; the note and the last line."""
    clock, lines = FakeClock(), []
    stamps: list[float] = []

    def write(m: str) -> None:
        lines.append(m)
        stamps.append(clock())

    _feed(PlainSink(write, verbosity=1, clock=clock), clock)
    phases = [ln for ln in lines if re.match(r"\[\s*[\d.]+/60 s\] [a-zA-Z ]+$", ln)]
    assert [ln.split("] ")[1] for ln in phases] == [
        "checks",
        "build",
        "warm start",
        "LP guide",
        "search",
        "full search",
        "analysis",
        "writing",
    ]
    progress = [(ln, t) for ln, t in zip(lines, stamps, strict=True) if "objective" in ln]
    assert progress, lines
    times = [t for _, t in progress]
    assert all(b - a >= 5 for a, b in zip(times, times[1:], strict=False))
    assert len(progress) <= 60 / 5 + 1
    assert all("bound 100.0000" in ln and "gap" in ln for ln, _ in progress)
    assert lines[0] == "solving 'x'" and lines[-1] == "plan written to out"
    ticks = [ln for ln in lines if ln not in phases and ln not in (lines[0], lines[-1])]
    assert len(ticks) <= 60 / 5 + 1  # silent phases get their sparse line too, no more


def test_verbose_adds_every_improving_plan_and_quiet_leaves_one_line():
    """-v: a line for each of the 400 improving plans besides the phases; -q: only the
    last line."""
    clock, verbose = FakeClock(), []
    _feed(PlainSink(verbose.append, verbosity=2, clock=clock), clock)
    assert sum("objective" in ln for ln in verbose) >= 400
    clock, quiet = FakeClock(), []
    _feed(PlainSink(quiet.append, verbosity=0, clock=clock), clock)
    assert quiet == ["plan written to out"]


def test_the_log_file_keeps_the_full_stream(tmp_path):
    """--log-file: every phase, every plan and the last line, timestamped."""
    f = tmp_path / "run.log"
    clock = FakeClock()
    p = _feed(LogSink(f.open("w", encoding="utf-8")), clock)
    p.close()
    text = f.read_text(encoding="utf-8").splitlines()
    assert sum(bool(re.search(r"\] plan +search  objective", ln)) for ln in text) == 400
    assert sum(bool(re.search(r"\] phase ", ln)) for ln in text) == 8
    assert text[-1].endswith("plan written to out")


# --------------------------------------------------------------------- the engine's events


@pytest.mark.parametrize("seed", [22, 5])
def test_guided_search_shows_only_bounds_of_the_whole_problem(tmp_path, monkeypatch, seed):
    """Forced through the LP-guided path: the phases come in order, the bound shown during
    the restricted search is the LP's, and no bound shown exceeds the final best_bound."""
    monkeypatch.setattr(engine, "HINT_MIN_PAIRS", 0)
    monkeypatch.setattr(build_mod, "HINT_MIN_PAIRS", 0)
    d = make_district(*one_level_rows(seed), tmp_path)
    sc = make_scenario(staffing={"subject_tolerance": 1})
    rec = Recorder()
    res = solve(d, sc, progress=Progress(rec))
    valid(d, sc, res)
    names = [s.phase for _, s in rec.of("phase")]
    assert names[:2] == ["checks", "build"]
    assert names.index("LP guide") < names.index("search")
    assert set(names) <= set(PHASES)
    lp = rec.of("bound")[0][1].bound
    restricted = [s for e, s in rec.of("plan") if s.phase == "search"]
    assert restricted and all(s.bound == lp for s in restricted)
    shown = [s.bound for _, s in rec.events if s.bound is not None]
    assert max(shown) <= res.best_bound + 1e-6
    assert all(s.bound <= s.objective + 1e-12 for _, s in rec.of("plan"))


def test_when_the_lp_runs_out_of_time_the_warm_start_still_gives_a_plan(tmp_path, monkeypatch):
    """No LP in time: the search around the warm start returns a valid plan, feasible,
    with the trivial bound 0 (a restricted model's bound is not the problem's)."""
    monkeypatch.setattr(engine, "HINT_MIN_PAIRS", 0)
    monkeypatch.setattr(build_mod, "HINT_MIN_PAIRS", 0)
    monkeypatch.setattr(engine, "lp_guide", lambda *a, **k: None)
    d = make_district(*one_level_rows(22), tmp_path)
    sc = make_scenario(staffing={"subject_tolerance": 1})
    said: list[str] = []
    res = solve(d, sc, progress=said.append)
    valid(d, sc, res)
    assert res.status is SolveStatus.FEASIBLE and res.best_bound == 0.0
    assert any("moves of the warm start" in m for m in said)


def test_compare_and_the_sweep_say_which_run_and_how_many_remain(tmp_path):
    """compare: a step per objective, 'i of n'; the sweep: a step per point."""
    d = make_district(*one_level_rows(3), tmp_path)
    sc = make_scenario(staffing={"subject_tolerance": 1})
    rec = Recorder()
    compare(d, sc, ["cv", "l1"], progress=Progress(rec))
    assert [e.text for e, _ in rec.of("step")] == [
        "objective cv (1 of 2, 1 after it)",
        "objective l1 (2 of 2, 0 after it)",
    ]
    rec = Recorder()
    pareto(d, sc, ("balance", "commute"), 2, progress=Progress(rec))
    steps = [(s.step_index, s.step_total) for _, s in rec.of("step")]
    assert steps[0] == (1, steps[0][1]) and [i for i, _ in steps] == list(range(1, len(steps) + 1))
    assert steps[-1][0] == steps[-1][1]  # the last point says none remain


def test_the_diagnosis_says_its_budget(tmp_path):
    """An infeasible scenario under a budget: the diagnosis phase names its budget."""
    d, sc = case_teacher_rotation_min(tmp_path)
    rec = Recorder()
    res = solve(d, sc, progress=Progress(rec), raise_on_failure=False, budget=Budget(20))
    assert res.status is SolveStatus.INFEASIBLE and res.diagnosis["rules"]
    diag = [e.text for e, s in rec.of("phase") if s.phase == "diagnosis"]
    assert diag and all(re.search(r"budget \d+ s", t) for t in diag)


# --------------------------------------------------------------------------- the CLI


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_quiet_solve_prints_one_line_where_the_plan_went(tmp_path):
    """-q: exactly one line on stderr, naming the plan folder."""
    out = tmp_path / "plan"
    r = run("-q", "solve", str(DEMO), "--out", str(out))
    assert r.exit_code == 0
    assert r.stderr.splitlines() == [r.stderr.strip()]
    assert r.stderr.strip() == f"plan written to {out}"
    assert (out / "summary.json").is_file()


def test_quiet_failure_prints_one_line_why(tmp_path):
    """-q on an infeasible scenario: one line, exit 3, no plan folder."""
    text = DEMO.read_text(encoding="utf-8").replace(
        'data = "../data/demo"', f'data = "{(ROOT / "data" / "demo").as_posix()}"'
    )
    f = tmp_path / "s.toml"
    f.write_text(text.replace("teacher_rotation_min = 0.10", "teacher_rotation_min = 0.9"))
    r = run("-q", "solve", str(f), "--out", str(tmp_path / "plan"))
    assert r.exit_code == 3
    assert len(r.stderr.splitlines()) == 1 and r.stderr.startswith("infeasible:")
    assert not (tmp_path / "plan").exists()


def test_solve_log_has_each_phase_once_and_the_log_file_all(tmp_path):
    """Not a terminal: a line per phase in order, the summary and where the plan went;
    --log-file has those phases and every plan, and its bounds never exceed best_bound."""
    out, log = tmp_path / "plan", tmp_path / "run.log"
    r = run("--log-file", str(log), "solve", str(DEMO), "--out", str(out))
    assert r.exit_code == 0
    lines = r.stderr.splitlines()
    phases = [re.sub(r"^\[[^]]*\] ", "", ln).split(":")[0] for ln in lines if ln.startswith("[")]
    phases = [p for p in phases if p in PHASES and "objective" not in p]
    assert phases == ["loading", "checks", "build", "search", "analysis", "writing"]
    assert lines[-1].startswith(f"plan written to {out}")
    full = log.read_text(encoding="utf-8").splitlines()
    assert sum(bool(re.search(r"\] phase ", ln)) for ln in full) == 6
    plans = [ln for ln in full if re.search(r"\] plan ", ln)]
    assert plans
    best = json.loads((out / "summary.json").read_text(encoding="utf-8"))["best_bound"]
    for ln in plans:
        m = re.search(r"bound (-?[\d.]+)", ln)
        assert m is None or float(m.group(1)) <= best + 1e-4
    assert full[-1].endswith(lines[-1])


def test_with_no_time_left_for_a_search_the_warm_start_is_the_plan(tmp_path, monkeypatch):
    """No LP in time and too little time for a search: the warm start itself (checked
    against every rule when it was completed) is returned, and it is a valid plan."""
    monkeypatch.setattr(engine, "HINT_MIN_PAIRS", 0)
    monkeypatch.setattr(build_mod, "HINT_MIN_PAIRS", 0)
    monkeypatch.setattr(engine, "lp_guide", lambda *a, **k: None)
    monkeypatch.setattr(engine, "WARM_SEARCH_MIN_S", 1e9)
    d = make_district(*one_level_rows(22), tmp_path)
    sc = make_scenario(staffing={"subject_tolerance": 1})
    said: list[str] = []
    res = solve(d, sc, progress=said.append)
    valid(d, sc, res)
    assert res.status is SolveStatus.FEASIBLE and res.best_bound == 0.0
    assert res.assignments["moved"].any()
    assert not any("moves of the warm start" in m for m in said)  # no search was run
    assert any("the plan is the warm start's" in m for m in said)


def test_a_warm_start_not_completed_in_time_is_the_plan_once_validated(tmp_path, monkeypatch):
    """The warm start's completion ran out of time and so did the LP: the paired
    exchanges themselves are returned, since the independent validator passes them."""
    monkeypatch.setattr(engine, "HINT_MIN_PAIRS", 0)
    monkeypatch.setattr(build_mod, "HINT_MIN_PAIRS", 0)
    monkeypatch.setattr(engine, "lp_guide", lambda *a, **k: None)

    def not_in_time(built, *a, **k):
        built.model.clear_hints()
        return False

    monkeypatch.setattr(build_mod, "complete_hint", not_in_time)
    d = make_district(*one_level_rows(22), tmp_path)
    sc = make_scenario(staffing={"subject_tolerance": 1})
    said: list[str] = []
    res = solve(d, sc, progress=said.append)
    valid(d, sc, res)
    assert res.status is SolveStatus.FEASIBLE and res.best_bound == 0.0
    assert any("rejected" in m for m in said) and any("warm start's" in m for m in said)


def test_output_options_work_after_the_command_too(tmp_path):
    """-q, -v and --log-file after the command's name do what they do before it: one
    line with -q; -v adds every plan; the log file keeps the full stream; `-q ... -v`
    cancel out (the phases are back)."""
    out, log = tmp_path / "plan", tmp_path / "run.log"
    r = run("solve", str(DEMO), "--out", str(out), "-q", "--log-file", str(log))
    assert r.exit_code == 0
    assert r.stderr.splitlines() == [f"plan written to {out}"]
    full = log.read_text(encoding="utf-8").splitlines()
    assert sum(bool(re.search(r"\] phase ", ln)) for ln in full) == 6
    assert full[-1].endswith(f"done    plan written to {out}")
    r = run("-q", "solve", str(DEMO), "--out", str(tmp_path / "p2"), "-v", "-v")
    assert r.exit_code == 0
    lines = r.stderr.splitlines()
    assert any(re.match(r"^\[[^]]*\] search: ", ln) for ln in lines)  # a phase line
    quiet_plans = len([ln for ln in lines if re.search(r"\] search  objective ", ln)])
    r = run("solve", str(DEMO), "--out", str(tmp_path / "p3"))
    plain = len([ln for ln in r.stderr.splitlines() if re.search(r"\] search  objective ", ln)])
    assert quiet_plans > plain  # net -v: every improving plan
    log2 = tmp_path / "check.log"
    r = run("check", str(DEMO), "--log-file", str(log2), "-q")
    assert r.exit_code == 0 and r.stderr == ""
    assert "ok: 'Demo district, 2025-26'" in log2.read_text(encoding="utf-8")


def test_last_search_line_shows_the_exact_objective(tmp_path):
    """The plain log's last objective line is the plan's exact objective (as in
    summary.json and the summary line), not the model's scaled integer one."""
    out = tmp_path / "plan"
    r = run("solve", str(DEMO), "--out", str(out))
    assert r.exit_code == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    figures_lines = [ln for ln in r.stderr.splitlines() if re.search(r"\] search  objective ", ln)]
    last = re.search(r"objective (-?[\d.]+)\s+bound (-?[\d.]+)", figures_lines[-1])
    assert last.group(1) == f"{summary['objective']:.4f}"
    assert float(last.group(2)) == pytest.approx(summary["best_bound"], abs=1e-4)
    # and the summary line says the same
    assert f"objective {summary['objective']:.4f}," in r.stderr
    # the quotas are the plan's own (the search reads them at most twice a second)
    rules = {
        x["rule"]: x
        for x in json.loads((out / "explain.json").read_text(encoding="utf-8"))["rules"]
    }
    t, k, c = (
        rules[n]
        for n in ("teacher_rotation_min", "key_share_of_rotated_min", "principal_rotation_min")
    )
    assert figures_lines[-1].endswith(
        f"quotas met 3/3 (teachers {t['achieved']}/{t['required']}, key {k['achieved']}/"
        f"{k['required']}, cadres {c['achieved']}/{c['required']})"
    )
