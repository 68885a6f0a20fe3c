"""Property-based fuzzing of the loaders and the command line (hypothesis).

Mutations of the demo's tables (every column), scenario (every key), bytes and options,
drawn by hypothesis from the pools of ``fuzz_cli``; every run is judged as the
stand-alone fuzz driver judges it: exit 0 or 2 (3 for infeasible rules), a location in
every message, no traceback, inputs unchanged (sha256), nothing written on failure, no
formula payload in a CSV. The profile is derandomised with a fixed number of examples,
so CI runs the same cases every time within a small budget (about 30 s).

The longer run: ``nice python -m tests.fuzz_cli --n 400``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
import shutil
import tempfile
from pathlib import Path

import fuzz_cli as fz
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solver.cli import main
from solver.errors import InputError
from solver.input.loaders import load_district

FUZZ = settings(
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
SCHOOL_COLUMNS = fz.columns("schools.csv")
STAFF_COLUMNS = fz.columns("staff.csv")
AS_OF = dt.date(2025, 9, 1)


@contextlib.contextmanager
def demo_case():
    """A fresh copy of the demo in a temporary folder (hypothesis runs many per test)."""
    tmp = Path(tempfile.mkdtemp(prefix="lungang-fuzz-"))
    try:
        yield fz.make_case(tmp / "case")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run_judged(root: Path, *args: str, stdout_csv: bool = False) -> fz.Outcome:
    """Run ``lungang -q ARGS`` in-process in ``root`` and judge it; assert no fault."""
    before, listed = fz.checksums(root), fz.entries(root)
    with contextlib.chdir(root):
        r = CliRunner().invoke(main, ["-q", *args])
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    v = fz.Variant("fuzz", " ".join(args), list(args), stdout_csv=stdout_csv)
    o = fz.judge(v, root, before, r.exit_code, r.stdout, r.stderr, 0.0, listed)
    assert not o.crash, r.output
    assert not o.unlocated, o.unlocated
    assert not o.changed, o.changed
    assert not o.partial, o.partial
    assert not o.payloads, o.payloads
    return o


def _problems_located(exc: InputError, root: Path) -> None:
    for p in exc.problems:
        assert p.file and str(root) in p.file, str(p)


@settings(FUZZ, max_examples=60)
@given(
    table=st.sampled_from(["schools.csv", "staff.csv"]),
    at=st.floats(0, 1),
    junk=st.binary(min_size=1, max_size=40),
    cut=st.booleans(),
)
def test_loader_survives_any_bytes(table, at, junk, cut):
    """Random bytes spliced into (or cutting short) a table: a District or an InputError
    whose every problem names the file, never another exception."""
    with demo_case() as root:
        p = root / "data" / table
        data = p.read_bytes()
        i = int(at * (len(data) - 1))
        p.write_bytes(data[:i] + junk + (b"" if cut else data[i:]))
        try:
            load_district(root / "data", as_of=AS_OF)
        except InputError as exc:
            _problems_located(exc, root)


@settings(FUZZ, max_examples=40)
@given(
    table=st.sampled_from(["schools.csv", "staff.csv"]),
    column=st.data(),
    row=st.integers(0, 299),
    value=st.one_of(st.sampled_from(fz.CELL_VALUES), st.text(max_size=12)),
)
def test_check_on_a_mutated_cell(table, column, row, value):
    """Any value in any cell: exit 0, or 2 naming the file (and row and column)."""
    col = column.draw(st.sampled_from(SCHOOL_COLUMNS if table == "schools.csv" else STAFF_COLUMNS))
    with demo_case() as root:
        fz.set_cell(root, table, col, row, value)
        o = run_judged(root, "check", "scenario.toml")
        assert o.code in (0, 2)
        if o.code == 2:
            assert table in o.stderr


@settings(FUZZ, max_examples=30)
@given(
    table=st.sampled_from(["schools.csv", "staff.csv"]),
    column=st.data(),
    kind=st.sampled_from(
        ["duplicate", "alias_duplicate", "remove", "rename", "empty", "control", "fullwidth"]
    ),
)
def test_check_on_a_mutated_header(table, column, kind):
    """Repeated, aliased, missing, renamed, empty or odd headers: exit 0 or a located 2."""
    col = column.draw(st.sampled_from(SCHOOL_COLUMNS if table == "schools.csv" else STAFF_COLUMNS))
    with demo_case() as root:
        fz.header_mutation(root, table, col, kind)
        o = run_judged(root, "check", "scenario.toml")
        assert o.code in (0, 2)


@settings(FUZZ, max_examples=50)
@given(
    key=st.sampled_from(fz.all_keys()),
    value=st.one_of(
        st.sampled_from(fz.KEY_VALUES),
        st.floats(),
        st.integers(-(2**70), 2**70),
        st.text(max_size=8),
    ),
)
def test_check_on_a_mutated_key(key, value):
    """Any value for any scenario key: exit 0, or 2 naming the scenario file and key."""
    with demo_case() as root:
        fz.set_key(root, key, value)
        o = run_judged(root, "check", "scenario.toml")
        assert o.code in (0, 2)
        if o.code == 2:
            assert "scenario.toml" in o.stderr


@settings(FUZZ, max_examples=40)
@given(seed=st.integers(0, 2**32 - 1))
def test_random_variants_of_every_category(seed):
    """The stand-alone driver's random variants (no solves): each judged clean."""
    with demo_case() as root:
        shutil.rmtree(root)
        root.mkdir()
        v = fz.random_variant(random.Random(seed), root, solve_share=0.0)
        if v.args[0] == "solve" and not v.expect:
            v.args = ["check", "scenario.toml"]  # a solve costs seconds: the driver runs those
        o = run_judged(root, *v.args, stdout_csv=v.stdout_csv)
        if v.expect is not None:
            assert o.code in v.expect, (v.what, o.stderr)


BAD_OPTIONS = [
    *[("--time-limit", v) for v in ("nan", "inf", "-inf", "0", "-1", "1e308", "abc", "")],
    *[("--workers", v) for v in ("0", "-1", str(10**20), "1000", "1.5", "x")],
    *[("--seed", v) for v in (str(2**31), "-1", str(2**63), "1e3")],
]


@pytest.mark.parametrize(("option", "value"), BAD_OPTIONS)
def test_bad_option_values_exit_2_before_solving(option, value, tmp_path):
    """Every malformed override exits 2 naming the option, before any solve."""
    root = fz.make_case(tmp_path / "case")
    o = run_judged(root, "solve", "scenario.toml", "--out", "plan", option, value)
    assert o.code == 2 and option in o.stderr
    assert "solving" not in o.stderr
