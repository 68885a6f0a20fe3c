"""Smoke test of the benchmark harness (benchmarks/): a tiny instance, a short limit."""

import pandas as pd

from benchmarks.run import fit_exponents, main


def test_harness_writes_tables_and_marks_every_plan(tmp_path, capsys):
    """One tiny run writes results.csv and results.md, one row per method, and every
    plan is explicitly valid or invalid (the bound-only method has no plan)."""
    out = tmp_path / "results"
    code = main(
        [
            "run",
            "--sizes",
            "300",
            "--time-limit",
            "2",
            "--workers",
            "1",
            "--methods",
            "lungang,rule-based,lp-bound",
            "--out",
            str(out),
            "-q",
        ]
    )
    assert code == 0
    table = pd.read_csv(out / "results.csv")
    assert sorted(table["method"]) == ["lp-bound", "lungang", "rule-based"]
    planned = table[table["method"] != "lp-bound"]
    assert set(planned["valid"]) <= {"yes", "invalid"}
    assert table.loc[table["method"] == "lp-bound", "valid"].item() == "no plan"
    assert (planned["objective"] > 0).all()
    md = (out / "results.md").read_text(encoding="utf-8")
    assert "## Results" in md and "Time limit 2 s" in md
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
