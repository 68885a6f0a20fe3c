"""Smoke test of the benchmark harness (benchmarks/): a tiny instance, a short limit."""

import pandas as pd

from benchmarks.run import fit_exponents, main


def test_harness_writes_tables_and_marks_every_plan(tmp_path, capsys):
    """One tiny run writes results.csv and results.md, one row per method; lungang's plan
    is optimal (the instance is solved long before the time limit) and valid, every other
    plan is explicitly valid or invalid (the bound-only method has no plan), and nothing
    is written outside tmp_path (the instance cache included)."""
    out = tmp_path / "results"
    code = main(
        [
            "run",
            "--sizes",
            "300",
            "--time-limit",
            "30",
            "--workers",
            "1",
            "--methods",
            "lungang,rule-based,lp-bound",
            "--out",
            str(out),
            "--cache",
            str(tmp_path / "cache"),
            "-q",
        ]
    )
    assert code == 0
    table = pd.read_csv(out / "results.csv").set_index("method")
    assert sorted(table.index) == ["lp-bound", "lungang", "rule-based"]
    assert (table.at["lungang", "status"], table.at["lungang", "valid"]) == ("optimal", "yes")
    assert table.at["rule-based", "valid"] in {"yes", "invalid"}
    assert table.at["lp-bound", "valid"] == "no plan"
    assert table.loc[["lungang", "rule-based"], "objective"].gt(0).all()
    md = (out / "results.md").read_text(encoding="utf-8")
    assert "## Results" in md and "Time limit 30 s" in md
    for method in ("lungang", "rule-based", "lp-bound"):
        assert f"| {method} |" in md
    assert "| staff | method |" in capsys.readouterr().out


def test_exponent_of_linear_growth_is_one():
    """The fitted cost exponent of times proportional to staff is 1."""
    rows = [
        {
            "method": "m",
            "staff": n,
            "status": "feasible",
            "total_seconds": n / 100,
            "build_seconds": n / 1000,
            "peak_mb": 100.0,
        }
        for n in (1000, 5000, 15000)
    ]
    fit = fit_exponents(rows)
    assert abs(fit.loc[0, "total_exponent"] - 1.0) < 1e-9
    assert abs(fit.loc[0, "build_exponent"] - 1.0) < 1e-9


def test_wall_clock_benchmark_writes_a_scenario_lungang_reads_and_reads_its_log(tmp_path):
    """benchmarks/wall_clock.py: its scenario file parses to the harness's scenario, and
    the log figures count lines and the longest stretch between timestamps."""
    from benchmarks.run import benchmark_scenario
    from benchmarks.wall_clock import log_figures, toml_text
    from solver.input.scenario import load_scenario

    (tmp_path / "d").mkdir()
    f = tmp_path / "s.toml"
    f.write_text(toml_text(benchmark_scenario(tmp_path / "d", 42, 2)), encoding="utf-8")
    sc = load_scenario(f)
    assert sc.solver.time_limit_s == 42 and sc.commute.max_km == 12.0
    log = "[   0.5 s] loading\nsolving\n[   2.0/60 s] checks\n[   9.5/60 s] search  objective 1\n"
    assert log_figures(log) == {"log_lines": 4, "max_silence_s": 7.5}


def test_placement_benchmark_runs_and_places_without_envy(tmp_path, capsys):
    """The placement benchmark on a tiny district writes its table: four runs, and the
    serial dictatorship's plan has no justified envy."""
    from benchmarks.placement import main as placement_main

    out = tmp_path / "out"
    args = ["--staff", "300", "--time-limit", "30", "--workers", "1"]
    assert placement_main([*args, "--out", str(out), "--cache", str(tmp_path / "c")]) == 0
    table = pd.read_csv(out / "placement.csv").set_index("run")
    assert list(table.index) == [
        "optimize",
        "serial_dictatorship",
        "placement step alone",
        "optimize, wish_weight 1",
    ]
    assert table.at["serial_dictatorship", "justified_envy"] == 0
    assert "placement benchmark" in (out / "placement.md").read_text(encoding="utf-8")
