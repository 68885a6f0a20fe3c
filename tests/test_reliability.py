"""Regressions of issue 12: every crash, destroyed input, silent wrong result, formula
injection and misplaced row it lists, on copies of the demo (``fuzz_cli.make_case``).

Each test runs the command line in-process and checks the outcome with the fuzz
suite's judge: the exit code, a location in every message, inputs unchanged (sha256),
nothing left behind after a failure, no formula payload in any CSV written.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import random
import subprocess
import sys
from pathlib import Path

import fuzz_cli as fz
import pandas as pd
import pytest
from click.testing import CliRunner

from solver.cli import main


@pytest.fixture
def case(tmp_path) -> Path:
    """A fresh copy of the demo: ``data/`` and ``scenario.toml`` (data = "data")."""
    return fz.make_case(tmp_path / "case")


def cli(
    root: Path, *args: str, expect: set[int] | None = None, replaces: str | None = None
) -> fz.Outcome:
    """Run ``lungang -q ARGS`` in ``root`` and judge it; fail on any judged fault.
    ``replaces``: an earlier output folder the run may replace (not an input)."""
    before, listed = fz.checksums(root), fz.entries(root)
    if replaces:
        before = {k: v for k, v in before.items() if not Path(k).is_relative_to(replaces)}
        listed = {k for k in listed if not Path(k).is_relative_to(replaces)}
    with contextlib.chdir(root):
        r = CliRunner().invoke(main, ["-q", *args])
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        raise r.exception  # a traceback: the test shows it
    variant = fz.Variant("test", " ".join(args), list(args), expect=expect)
    o = fz.judge(variant, root, before, r.exit_code, r.stdout, r.stderr, 0.0, listed)
    o.stdout = r.stdout  # type: ignore[attr-defined]
    assert not o.crash, r.output
    assert not o.unexpected_code, f"exit {r.exit_code}, expected {expect}: {r.output}"
    assert not o.unlocated, o.unlocated
    assert not o.changed, f"inputs changed: {o.changed}"
    assert not o.partial, o.partial
    assert not o.payloads, o.payloads
    return o


def refused(root: Path, *args: str, says: str) -> str:
    """``args`` exit 2 with a message holding ``says``; returns stderr."""
    o = cli(root, *args, expect={2})
    assert says in o.stderr, o.stderr
    return o.stderr


# --------------------------------------------------------------------------- tables


def test_repeated_header_is_a_located_error(case):
    """school_id given twice is reported on the header row, not a pandas crash."""
    fz.header_mutation(case, "schools.csv", "school_id", "duplicate")
    err = refused(case, "check", "scenario.toml", says="repeats column A 'school_id'")
    assert "schools.csv, row 1, column 'school_id'" in err


def test_header_repeated_under_its_chinese_alias(case):
    """school_id and 学校代码 both present: the second is reported."""
    fz.header_mutation(case, "schools.csv", "school_id", "alias_duplicate")
    refused(case, "check", "scenario.toml", says="(both mean 'school_id')")


def test_full_width_digits_are_read_as_numbers(case):
    """１２３ in students and ２ in principal_posts are 123 and 2 (NFKC), not a crash or
    the default."""
    from solver.input.loaders import load_district

    fz.set_cell(case, "schools.csv", "students", 0, "１２３")
    fz.set_cell(case, "schools.csv", "principal_posts", 0, "２")
    fz.set_cell(case, "staff.csv", "rural_years", 0, "３．５")
    cli(case, "check", "scenario.toml", expect={0})
    d = load_district(case / "data", as_of=pd.Timestamp("2025-09-01").date())
    assert d.schools["students"].iloc[0] == 123
    assert d.schools["principal_posts"].iloc[0] == 2
    assert d.staff["rural_years"].iloc[0] == 3.5


def test_other_scripts_digits_are_refused(case):
    """Arabic-Indic ٣ is no number lungang reads: refused, never defaulted."""
    fz.set_cell(case, "schools.csv", "principal_posts", 0, "٣")
    refused(case, "check", "scenario.toml", says="row 2, column 'principal_posts'")


@pytest.mark.parametrize(
    ("table", "column", "value"),
    [
        ("schools.csv", "students", "9223372036854775808"),
        ("schools.csv", "principal_posts", "99999999999999999999"),
        ("schools.csv", "vice_principal_posts", "18446744073709551616"),
        ("schools.csv", "students", "1e308"),
        ("staff.csv", "rural_years", "1e308"),
    ],
)
def test_huge_integers_are_refused_with_their_cell(case, table, column, value):
    """Integers >= 2**63 (and numbers far out of range) exit 2 naming row and column."""
    fz.set_cell(case, table, column, 0, value)
    refused(case, "check", "scenario.toml", says=f"{table}, row 2, column '{column}'")


def test_huge_demand_is_refused(case):
    """demand.required >= 2**63 is a located error."""
    (case / "data" / "demand.csv").write_text(
        "school_id,subject,required\nS01,math,9223372036854775808\n", encoding="utf-8"
    )
    refused(case, "check", "scenario.toml", says="demand.csv, row 2, column 'required'")


@pytest.mark.parametrize(
    ("kind", "says"),
    [
        ("shift_jis", "read as GB18030"),
        ("latin_1", "nor GB18030"),
        ("cp1252", "GB18030"),
        ("utf_16", "UTF-16"),
        ("nul", "control or replacement character"),
        ("binary", "staff.csv"),
    ],
)
def test_encodings_that_do_not_decode_cleanly_are_refused(case, kind, says):
    """Shift-JIS / Latin-1 never pass as garbled GB18030; the message names the encoding."""
    fz.byte_mutation(case, "staff.csv", kind, random.Random(3))
    refused(case, "check", "scenario.toml", says=says)


@pytest.mark.parametrize("kind", ["gb18030", "utf_8_bom", "crlf"])
def test_encodings_excel_writes_are_accepted(case, kind):
    """GB18030 (Excel's Chinese CSV), UTF-8 with BOM and CRLF lines read as the demo."""
    fz.byte_mutation(case, "staff.csv", kind, random.Random(0))
    cli(case, "check", "scenario.toml", expect={0})


def test_a_stray_quote_is_located_on_its_own_row(case):
    """A quote opening staff_id on row 218 is reported on row 218 (not 217)."""
    p = case / "data" / "staff.csv"
    lines = p.read_text(encoding="utf-8").split("\n")
    lines[217] = '"' + lines[217]  # row 218 as Excel numbers it
    p.write_text("\n".join(lines), encoding="utf-8")
    refused(case, "check", "scenario.toml", says="staff.csv, row 218:")


def test_truncated_workbook_sheet_is_reported(case):
    """An xlsx whose sheet XML is cut off exits 2 naming the workbook and sheet."""
    fz.workbook_mutation(case, "truncated_sheet", random.Random(1))
    refused(case, "check", "scenario.toml", says="district.xlsx[")


def test_workbook_cut_short_is_reported(case):
    """A workbook file cut short (not a zip any more) exits 2 naming it."""
    fz.workbook_mutation(case, "truncated_file", random.Random(2))
    refused(case, "check", "scenario.toml", says="district.xlsx")


# --------------------------------------------------------------------------- scenario


def test_toml_nested_500_deep_is_refused(case):
    """An inline table nested 500 deep is a located error, not a RecursionError."""
    fz.toml_mutation(case, "deep_inline", random.Random(0))
    refused(case, "check", "scenario.toml", says="nested too deeply")


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("eligibility.teacher.min_years_at_school", math.inf),
        ("weights.balance", math.inf),
        ("weights.moves", 1e308),
        ("balance.max_cv", math.nan),
        ("balance.max_cv", -1),
        ("balance.min_per_100", math.inf),
        ("balance.indicator_weights", {"key_per_100": math.inf}),
        ("balance.indicator_weights", {"key_per_100": -1}),
        ("solver.seed", 2**31),
        ("solver.seed", -1),
        ("solver.workers", 2**63),
        ("solver.time_limit_s", math.nan),
        ("solver.memory_limit_gb", -1),
        ("solver.memory_limit_gb", math.inf),
        ("quotas.school_outflow_max", math.nan),
        ("scenario.as_of", pd.Timestamp("9999-12-31").date()),
        ("scenario.profile_seed", 2**64),
        ("balance.indicator", []),
    ],
)
def test_bad_scenario_numbers_are_refused_naming_the_key(case, key, value):
    """inf, nan, out-of-range and oversized values exit 2 with the key, never solve."""
    fz.set_key(case, key, value)
    refused(case, "check", "scenario.toml", says=f"key '{key}")


def test_max_cv_minus_one_no_longer_solves_to_an_invalid_plan(case):
    """max_cv = -1 used to solve "optimal" to a plan the validator rejects: now exit 2."""
    fz.set_key(case, "balance.max_cv", -1)
    refused(case, "solve", "scenario.toml", "--out", "plan", says="key 'balance.max_cv'")


# --------------------------------------------------------------------------- options


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--time-limit", "nan"),
        ("--time-limit", "inf"),
        ("--time-limit", "0"),
        ("--time-limit", "-1"),
        ("--workers", "-1"),
        ("--workers", "0"),
        ("--seed", str(2**31)),
        ("--seed", "-1"),
    ],
)
def test_bad_command_line_overrides_are_refused(case, option, value):
    """Overrides are validated like the scenario's keys: exit 2 naming the option."""
    err = refused(case, "solve", "scenario.toml", "--out", "plan", option, value, says=option)
    assert "solving" not in err  # refused before any work


def test_a_300_character_out_is_refused_before_solving(case):
    """A name no file system takes is refused up front, not after the solve."""
    err = refused(case, "solve", "scenario.toml", "--out", "p" * 300, says="longer than 255")
    assert "solving" not in err


def test_out_under_a_regular_file_is_refused_before_solving(case):
    (case / "a_file").write_text("x\n")
    refused(case, "solve", "scenario.toml", "--out", "a_file/plan", says="is a file")


def test_out_under_proc_is_refused_before_solving(case):
    refused(case, "solve", "scenario.toml", "--out", "/proc/lungang-plan", says="cannot write")


def test_a_long_scenario_name_gives_a_short_default_folder(case):
    """The default results/<name>/ is cut to a length every file system takes."""
    fz.set_key(case, "scenario.name", "区" * 190)
    cli(case, "solve", "scenario.toml", expect={0})
    (folder,) = (case / "results").iterdir()
    assert len(folder.name.encode()) <= 255 and (folder / "assignments.csv").is_file()


def test_from_a_plan_with_a_binary_assignments_csv(case):
    """--from a plan whose assignments.csv is binary exits 2 naming the file."""
    (case / "old").mkdir()
    (case / "old" / "assignments.csv").write_bytes(bytes(range(256)) * 8)
    refused(
        case, "solve", "scenario.toml", "--out", "plan", "--from", "old", says="assignments.csv"
    )


# --------------------------------------------------------------------------- inputs kept


def test_out_data_folder_with_force_is_refused(case):
    """solve --out DATA --force used to replace the district's data with the plan."""
    refused(case, "solve", "scenario.toml", "--out", "data", "--force", says="district's data")


def test_out_inside_the_data_folder_is_refused(case):
    refused(case, "solve", "scenario.toml", "--out", "data/plan", says="inside the data folder")


def test_diagnosis_onto_a_table_is_refused(case):
    """On an infeasible scenario, --diagnosis data/staff.csv used to overwrite staff.csv."""
    fz.toml_mutation(case, "infeasible", random.Random(0))
    refused(
        case,
        "solve",
        "scenario.toml",
        "--out",
        "plan",
        "--diagnosis",
        "data/staff.csv",
        says="input folder",
    )


def test_diagnosis_onto_the_scenario_is_refused(case):
    """... and --diagnosis scenario.toml the scenario."""
    fz.toml_mutation(case, "infeasible", random.Random(0))
    refused(
        case,
        "solve",
        "scenario.toml",
        "--out",
        "plan",
        "--diagnosis",
        "scenario.toml",
        says="is the input scenario.toml",
    )


def test_diagnosis_is_written_when_infeasible(case):
    """A diagnosis path that is no input is written (exit 3), nothing else."""
    fz.toml_mutation(case, "infeasible", random.Random(0))
    cli(case, "solve", "scenario.toml", "--out", "plan", "--diagnosis", "d.json", expect={3})
    assert "rules" in json.loads((case / "d.json").read_text(encoding="utf-8"))


def test_out_dot_with_force_destroys_nothing(case):
    """--out . --force is refused: the folder holds the scenario and the data."""
    refused(case, "solve", "scenario.toml", "--out", ".", "--force", says="contains the input")


def test_out_containing_the_scenario_is_refused(case):
    """An --out that holds the scenario file would replace it."""
    (case / "sub").mkdir()
    os.replace(case / "scenario.toml", case / "sub" / "scenario.toml")
    text = (case / "sub" / "scenario.toml").read_text(encoding="utf-8")
    (case / "sub" / "scenario.toml").write_text(text.replace('"data"', '"../data"'))
    refused(case, "solve", "sub/scenario.toml", "--out", "sub", "--force", says="contains")


def test_force_replaces_only_a_folder_lungang_wrote(case):
    """--force on someone's folder is refused; on a plan folder it replaces the plan."""
    (case / "other").mkdir()
    (case / "other" / "keep.txt").write_text("mine\n")
    refused(case, "solve", "scenario.toml", "--out", "other", "--force", says="not written by")
    assert (case / "other" / "keep.txt").read_text() == "mine\n"
    cli(case, "solve", "scenario.toml", "--out", "plan", expect={0})
    first = (case / "plan" / "assignments.csv").read_bytes()
    cli(case, "solve", "scenario.toml", "--out", "plan", "--force", expect={0}, replaces="plan")
    assert (case / "plan" / "assignments.csv").read_bytes() == first


def test_eligible_out_onto_an_input_is_refused(case):
    refused(case, "eligible", "scenario.toml", "--out", "data/staff.csv", says="input folder")
    refused(case, "eligible", "scenario.toml", "--out", "scenario.toml", says="is the input")


def test_generate_force_never_replaces_a_data_folder_it_did_not_write(case):
    """generate --force over hand-made data is refused; over its own output it works."""
    refused(case, "generate", "demo", "--out", "data", "--force", says="not written by")
    cli(case, "generate", "demo", "--out", "gen", expect={0})
    assert json.loads((case / "gen" / ".lungang").read_text())["kind"] == "district"
    cli(case, "generate", "demo", "--out", "gen", "--force", expect={0}, replaces="gen")


# --------------------------------------------------------------------------- formulas


PAYLOADS = ["=1+2", "+SUM(A1)", "-2+3", "@cmd", "\t=HYPERLINK(1)"]


def _cells(text: str) -> list[str]:
    return [c for row in csv.reader(io.StringIO(text)) for c in row]


def test_formula_text_is_escaped_in_every_csv_and_reads_back(case):
    """Names and ids starting with = + - @ or tab reach no CSV unescaped: assignments.csv,
    schools.csv, eligible --out and indicators --format csv; numbers stay numbers, and the
    plan validates with the escaped ids read back."""
    fz.rename_everywhere(case, "S01", "=S01")
    fz.rename_everywhere(case, "E010", "@E010")
    for i, p in enumerate(PAYLOADS):
        fz.set_cell(case, "staff.csv", "name", i, p)
        fz.set_cell(case, "schools.csv", "name", i + 1, p)
        fz.set_cell(case, "schools.csv", "zone", i + 1, p)
    cli(case, "solve", "scenario.toml", "--out", "plan", expect={0})
    cli(case, "eligible", "scenario.toml", "--out", "eligible.csv", expect={0})
    ind = cli(case, "indicators", "scenario.toml", "--plan", "plan", "--format", "csv")
    assert not fz.csv_payloads(ind.stdout, "stdout")  # type: ignore[attr-defined]
    a = (case / "plan" / "assignments.csv").read_text(encoding="utf-8")
    s = (case / "plan" / "schools.csv").read_text(encoding="utf-8")
    cells = _cells(a) + _cells(s)
    assert "'=S01" in cells and "'-2+3" in cells and "'+SUM(A1)" in cells
    assert any(c.startswith("'=HYPERLINK") for c in cells)  # the tab was stripped on reading
    assert "'@E010" in _cells((case / "eligible.csv").read_text(encoding="utf-8"))
    # distance_km stays a number, and the ids read back: the validator accepts the plan
    assert pd.read_csv(case / "plan" / "assignments.csv")["distance_km"].dtype.kind == "f"
    cli(case, "validate", "scenario.toml", "plan", expect={0})


def test_escape_formula_is_reversible_and_leaves_numbers():
    """escape/unescape round-trip; negative numbers are numbers, not formulas."""
    from solver.safe_text import escape_formula, unescape_formula

    for v in ["=x", "+x", "-x", "@x", "\tx", "\rx", "'=x", "''@x", "plain", "'quoted", "", "中文"]:
        assert unescape_formula(escape_formula(v)) == v
    assert escape_formula("-1.5") == "-1.5" and escape_formula("+3") == "+3"
    assert escape_formula(-1.5) == -1.5 and escape_formula("=1") == "'=1"
    assert escape_formula("'=x") == "''=x"


# --------------------------------------------------------------------------- faults


def test_stale_temporaries_of_a_killed_run_are_removed(case):
    """A temporary sibling left by a killed run (its process gone) is removed by the next
    write next to it; one of a live process is left alone."""
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    pid = int(dead.stdout)
    (case / "results").mkdir()
    stale = case / "results" / f".plan.{pid}.abc123.tmp"
    stale.mkdir()
    (stale / "assignments.csv").write_text("half\n")
    live = case / "results" / f".plan.{os.getpid()}.zzz.tmp"
    live.mkdir()
    # the stale temporary does not make results/ look non-empty to a plain --out results/x
    with contextlib.chdir(case):
        r = CliRunner().invoke(main, ["-q", "solve", "scenario.toml", "--out", "results/plan"])
    assert r.exit_code == 0, r.output
    assert not stale.exists() and live.exists()
    live.rmdir()
    assert sorted(p.name for p in (case / "results").iterdir()) == ["plan"]


def test_a_killed_solve_leaves_no_plan_folder(case):
    """kill -9 during the solve: no plan folder, and the next run succeeds."""
    import signal
    import time

    env = {**os.environ, "PYTHONPATH": str(fz.REPO)}
    p = subprocess.Popen(
        [sys.executable, "-m", "solver.cli", "solve", "scenario.toml", "--out", "plan"],
        cwd=case,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    # wait until the run has started solving, then kill it
    for line in p.stderr:
        if line.startswith("solving") or "plan" in line:
            break
    time.sleep(0.3)
    p.send_signal(signal.SIGKILL)
    p.wait()
    assert not (case / "plan").exists() or (case / "plan" / "summary.json").is_file()
    cli(case, "solve", "scenario.toml", "--out", "plan2", expect={0})
    assert not [q for q in case.iterdir() if q.name.startswith(".plan")]
