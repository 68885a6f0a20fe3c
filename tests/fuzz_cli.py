"""Fuzzing the command line on malformed variants of the demo.

Each variant is the demo (``data/demo`` and ``scenarios/demo.toml``) copied to a fresh
folder, changed by one mutation (a cell, a header, the bytes or encoding of a table, a
workbook, a scenario key, a command-line option), and run through ``lungang`` in a
subprocess. Every run is judged by :func:`judge`:

- **crash**: an exit code outside 0, 2, 3, 4, a Python traceback, or a hang;
- **unlocated**: an exit 2 whose messages do not each name a file, an option or a key;
- **changed input**: any file of the variant's inputs differs from its checksum;
- **partial output**: a failed run left anything behind, or a successful one left a
  temporary file or an incomplete plan folder;
- **formula payload**: a cell of any CSV written (files and CSV on stdout) that starts
  with ``=``, ``+``, ``-``, ``@``, tab or carriage return and is not a number.

Run it outside pytest (``nice python -m tests.fuzz_cli --n 400``); ``tests/test_fuzz.py``
uses the same mutations and judge on a fixed, small set of hypothesis examples.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import io
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEMO_DATA = REPO / "data" / "demo"
DEMO_SCENARIO = REPO / "scenarios" / "demo.toml"
EXIT_CODES = {0, 2, 3, 4}
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")

# --------------------------------------------------------------------------- value pools

#: Cell values that stress every kind of column.
CELL_VALUES: tuple[str, ...] = (
    "",
    " ",
    "１２３",
    "２",
    "１",
    "３．５",
    "9223372036854775808",
    "99999999999999999999",
    "18446744073709551616",
    "-1",
    "0",
    "1e308",
    "-1e308",
    "inf",
    "-inf",
    "nan",
    "NaN",
    "3.5",
    "300.0",
    "abc",
    "=1+2",
    "+SUM(A1:A2)",
    "-2+3",
    "@cmd",
    "\t=cmd",
    "'=x",
    "２０１９-０９-０１",
    "2019/9/1",
    "9999-12-31",
    "0001-01-01",
    "2262-04-12",
    "1677-09-21",
    "2031-02-30",
    "true",
    "是",
    "ＴＲＵＥ",
    "ｐｒｉｍａｒｙ",
    "\x00",
    "a\x07b",
    "\ufffd",
    "\ue000",
    "𝟙𝟚",
    "٣",
    "x" * 3000,
    "S01",
    "E001",
    "小学",
    "九年一贯制",
    "①",
)

#: Values for scenario keys.
KEY_VALUES: tuple[object, ...] = (
    math.inf,
    -math.inf,
    math.nan,
    -1,
    0,
    0.0,
    1,
    0.5,
    1.5,
    1e308,
    -1e308,
    2**31,
    2**31 - 1,
    2**63,
    2**64,
    10**30,
    "text",
    "",
    True,
    [],
    {},
    dt.date(9999, 12, 31),
    dt.date(1, 1, 1),
    "x" * 400,
    {"key_per_100": math.inf},
    {"primary": -1},
)

#: Scenario keys to mutate beyond those in the demo file (absent there: defaults).
EXTRA_KEYS: tuple[str, ...] = (
    "scenario.profile",
    "scenario.profile_seed",
    "scenario.profile_schools",
    "scenario.profile_staff",
    "eligibility.vice_principal.min_years_at_school",
    "quotas.key_share_basis",
    "balance.indicator_weights",
    "balance.max_cv",
    "balance.min_per_100",
    "flow.rural_to_urban_min",
    "weights.moves",
    "solver.deterministic",
    "solver.work_limit",
    "solver.max_candidates",
    "solver.memory_limit_gb",
    "unknown.key",
    "solver.unknown_key",
)

OPTION_VALUES: dict[str, tuple[str, ...]] = {
    "--time-limit": ("nan", "inf", "-inf", "0", "-1", "1e308", "abc", "1e-9", "", "5"),
    "--workers": ("0", "-1", str(10**20), "1000", "1.5", "x", "1"),
    "--seed": (str(2**31), "-1", str(2**63), "1e3", "0", str(2**31 - 1)),
}

# --------------------------------------------------------------------------- variants


@dataclass
class Variant:
    """One run: the command and what it was made of."""

    category: str
    what: str
    args: list[str]
    #: exit codes this variant must end with (None: any code of the contract)
    expect: set[int] | None = None
    #: files and folders of the variant that are inputs (checksummed); default: all
    allowed_outputs: list[str] = field(default_factory=list)
    stdout_csv: bool = False


def checksums(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder`` (relative path -> hex)."""
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file() and not p.is_symlink():
            out[str(p.relative_to(folder))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def make_case(root: Path) -> Path:
    """A fresh copy of the demo in ``root``: ``data/`` and ``scenario.toml``."""
    shutil.copytree(DEMO_DATA, root / "data")
    text = DEMO_SCENARIO.read_text(encoding="utf-8").replace('"../data/demo"', '"data"')
    # a fuzz run needs no 30 s budget: the demo is solved to optimality in about a second
    text = text.replace("time_limit_s = 30", "time_limit_s = 20")
    (root / "scenario.toml").write_text(text, encoding="utf-8")
    return root


def _table(root: Path, name: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO((root / "data" / name).read_text(encoding="utf-8"))))


def _write_table(root: Path, name: str, rows: list[list[str]]) -> None:
    buf = io.StringIO()
    # a carriage return in a cell is quoted (the csv module quotes only the line
    # terminator's characters): else it would end the row, which is another mutation
    cr = any("\r" in c for r in rows for c in r)
    csv.writer(
        buf, lineterminator="\n", quoting=csv.QUOTE_ALL if cr else csv.QUOTE_MINIMAL
    ).writerows(rows)
    (root / "data" / name).write_text(buf.getvalue(), encoding="utf-8")


def set_cell(root: Path, table: str, column: str, row: int, value: str) -> str:
    """Set one cell (``row`` counts data rows from 0, modulo the table's length)."""
    rows = _table(root, table)
    j = rows[0].index(column)
    i = 1 + row % (len(rows) - 1)
    rows[i][j] = value
    _write_table(root, table, rows)
    return f"{table} row {i + 1} {column} = {value[:30]!r}"


def rename_everywhere(root: Path, old: str, new: str) -> str:
    """Rename an id in every table (a school or staff id that starts with a formula)."""
    for name in ("schools.csv", "staff.csv"):
        rows = _table(root, name)
        _write_table(root, name, [[new if c == old else c for c in r] for r in rows])
    return f"id {old} -> {new!r}"


HEADER_ALIASES = {"school_id": "学校代码", "name": "学校名称", "students": "在校生数"}
STAFF_ALIASES = {"staff_id": "工号", "name": "姓名", "role": "岗位", "school_id": "学校代码"}


def header_mutation(root: Path, table: str, column: str, kind: str) -> str:
    rows = _table(root, table)
    j = rows[0].index(column)
    if kind == "duplicate":
        rows = [r + [r[j]] for r in rows]
    elif kind == "alias_duplicate":
        alias = (HEADER_ALIASES if table == "schools.csv" else STAFF_ALIASES).get(column)
        rows = [r + [r[j]] for r in rows]
        rows[0][-1] = alias or column.upper()
    elif kind == "remove":
        rows = [r[:j] + r[j + 1 :] for r in rows]
    elif kind == "rename":
        rows[0][j] = column + "_x"
    elif kind == "empty":
        rows[0][j] = ""
    elif kind == "control":
        rows[0][j] = column + "\x01"
    elif kind == "fullwidth":
        rows[0][j] = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in column)
    _write_table(root, table, rows)
    return f"{table} header {column}: {kind}"


def _reencode(text: str, data: bytes, kind: str, rng: random.Random) -> bytes | None:
    """The table's bytes in another encoding (``None``: ``kind`` is no encoding)."""
    if kind == "shift_jis":
        text = re.sub(r"[\u4e00-\u9fff]", lambda m: rng.choice("さくらやまだアイウエオ"), text)
        return text.encode("shift_jis")
    if kind == "latin_1":
        text = re.sub(r"[\u4e00-\u9fff]+", lambda m: rng.choice(["Müller", "José", "Zoë"]), text)
        return text.encode("latin-1")
    if kind == "cp1252":
        text = re.sub(r"[\u4e00-\u9fff]+", lambda m: rng.choice(["Œuvre", "naïve€"]), text)
        return text.encode("cp1252")
    if kind == "gb18030":  # valid: Excel's Chinese CSV
        return text.encode("gb18030")
    if kind == "utf_8_bom":  # valid
        return b"\xef\xbb\xbf" + data
    if kind == "utf_16":
        return text.encode("utf-16")
    if kind == "crlf":  # valid
        return data.replace(b"\n", b"\r\n")
    return None


def byte_mutation(root: Path, table: str, kind: str, rng: random.Random) -> str:
    p = root / "data" / table
    data = p.read_bytes()
    text = data.decode("utf-8")
    encoded = _reencode(text, data, kind, rng)
    if encoded is not None:
        p.write_bytes(encoded)
    elif kind == "truncate":
        p.write_bytes(data[: rng.randrange(len(data))])
    elif kind == "random_bytes":
        i = rng.randrange(len(data))
        p.write_bytes(data[:i] + bytes(rng.randrange(256) for _ in range(8)) + data[i:])
    elif kind == "binary":
        p.write_bytes(bytes(rng.randrange(256) for _ in range(2000)))
    elif kind == "empty":
        p.write_bytes(b"")
    elif kind == "header_only":
        p.write_bytes(data.split(b"\n")[0] + b"\n")
    elif kind == "stray_quote":
        lines = text.split("\n")
        i = rng.randrange(1, len(lines) - 1)
        lines[i] = '"' + lines[i]
        p.write_text("\n".join(lines), encoding="utf-8")
        return f"{table} stray quote on row {i + 1}"
    elif kind == "extra_cells":
        lines = text.split("\n")
        i = rng.randrange(1, len(lines) - 1)
        lines[i] += ",x,y"
        p.write_text("\n".join(lines), encoding="utf-8")
    elif kind == "nul":
        i = rng.randrange(len(data))
        p.write_bytes(data[:i] + b"\x00" + data[i:])
    return f"{table} bytes: {kind}"


def to_workbook(root: Path) -> Path:
    """Replace the CSV folder by one workbook (the scenario then points to it)."""
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name in ("schools", "staff"):
        ws = wb.create_sheet(name)
        for row in _table(root, f"{name}.csv"):
            ws.append(row)
    book = root / "district.xlsx"
    wb.save(book)
    shutil.rmtree(root / "data")
    sc = root / "scenario.toml"
    sc.write_text(
        sc.read_text(encoding="utf-8").replace('data = "data"', 'data = "district.xlsx"'),
        encoding="utf-8",
    )
    return book


def workbook_mutation(root: Path, kind: str, rng: random.Random) -> str:
    book = to_workbook(root)
    data = book.read_bytes()
    if kind == "truncated_sheet":
        buf = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(buf, "w") as zout:
            for item in zin.infolist():
                b = zin.read(item)
                if item.filename.startswith("xl/worksheets/sheet"):
                    b = b[: rng.randrange(len(b))]
                zout.writestr(item, b)
        book.write_bytes(buf.getvalue())
    elif kind == "truncated_file":
        book.write_bytes(data[: rng.randrange(len(data))])
    elif kind == "garbage":
        book.write_bytes(bytes(rng.randrange(256) for _ in range(3000)))
    elif kind == "cell":
        import openpyxl

        wb = openpyxl.load_workbook(book)
        ws = wb[rng.choice(["schools", "staff"])]
        r, c = rng.randrange(2, ws.max_row + 1), rng.randrange(1, ws.max_column + 1)
        ws.cell(r, c).value = rng.choice([1e300, -1, "=1+2", "\ufffd", 2**70, "２", True, None])
        wb.save(book)
        return f"workbook cell {ws.title}!{r},{c}"
    elif kind == "renamed_sheet":
        import openpyxl

        wb = openpyxl.load_workbook(book)
        wb["staff"].title = "people"
        wb.save(book)
    return f"workbook: {kind}"


def toml_value(v: object) -> str:
    """A Python value as TOML (inf/nan and inline tables included)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k} = {toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(v)


def dump_toml(d: dict) -> str:
    lines: list[str] = []

    def section(prefix: str, table: dict) -> None:
        scalars = {k: v for k, v in table.items() if not isinstance(v, dict) or not v}
        subs = {k: v for k, v in table.items() if isinstance(v, dict) and v}
        if prefix:
            lines.append(f"[{prefix}]")
        for k, v in scalars.items():
            lines.append(f"{k} = {toml_value(v)}")
        for k, v in subs.items():
            if all(not isinstance(x, dict) for x in v.values()) or not prefix:
                section(f"{prefix}.{k}" if prefix else k, v)
            else:
                lines.append(f"{k} = {toml_value(v)}")

    section("", d)
    return "\n".join(lines) + "\n"


def set_key(root: Path, key: str, value: object) -> str:
    sc = root / "scenario.toml"
    d = tomllib.loads(sc.read_text(encoding="utf-8"))
    parts = key.split(".")
    node = d
    for p in parts[:-1]:
        node = node.setdefault(p, {})
        if not isinstance(node, dict):
            return f"key {key}: parent not a table"
    node[parts[-1]] = value
    sc.write_text(dump_toml(d), encoding="utf-8")
    return f"key {key} = {toml_value(value)[:40]}"


def toml_mutation(root: Path, kind: str, rng: random.Random) -> str:
    sc = root / "scenario.toml"
    text = sc.read_text(encoding="utf-8")
    if kind == "deep_inline":
        sc.write_text(text + "\n[extra]\nx = " + "{a = " * 500 + "1" + "}" * 500 + "\n")
    elif kind == "deep_array":
        sc.write_text(text + "\n[extra]\nx = " + "[" * 600 + "1" + "]" * 600 + "\n")
    elif kind == "deep_tables":
        sc.write_text(text + "\n[" + ".".join(f"t{i}" for i in range(200)) + "]\nx = 1\n")
    elif kind == "duplicate_key":
        sc.write_text(text.replace("workers = 2", "workers = 2\nworkers = 3"))
    elif kind == "syntax":
        i = rng.randrange(len(text))
        sc.write_text(text[:i] + "=[{" + text[i:])
    elif kind == "not_utf8":
        sc.write_bytes(text.encode("utf-8").replace(b"Demo", b"D\xe9mo"))
    elif kind == "empty":
        sc.write_text("")
    elif kind == "binary":
        sc.write_bytes(bytes(rng.randrange(256) for _ in range(500)))
    elif kind == "data_missing":
        sc.write_text(text.replace('data = "data"', 'data = "nowhere"'))
    elif kind == "data_is_table":
        sc.write_text(text.replace('data = "data"', 'data = "data/staff.csv"'))
    elif kind == "data_is_scenario":
        sc.write_text(text.replace('data = "data"', 'data = "scenario.toml"'))
    elif kind == "infeasible":
        sc.write_text(text.replace("teacher_rotation_min = 0.10", "teacher_rotation_min = 0.99"))
    return f"scenario: {kind}"


def all_keys() -> list[str]:
    d = tomllib.loads(DEMO_SCENARIO.read_text(encoding="utf-8"))

    def leaves(node: dict, prefix: tuple[str, ...] = ()):
        for k, v in node.items():
            if isinstance(v, dict):
                yield from leaves(v, (*prefix, k))
            else:
                yield ".".join((*prefix, k))

    return [*leaves(d), *EXTRA_KEYS]


def columns(table: str) -> list[str]:
    head = (DEMO_DATA / table).read_text(encoding="utf-8").split("\n", 1)[0]
    return head.split(",")


# --------------------------------------------------------------------------- plans

#: A plan of the demo (solved once per session by :func:`make_base_plan`), for variants
#: that read a plan: ``validate``, ``indicators --plan``, ``explain``, ``diff``, ``--from``.
BASE_PLAN: Path | None = None


def make_base_plan(folder: Path) -> Path:
    """Solve the demo once into ``folder/plan`` and remember it as :data:`BASE_PLAN`."""
    global BASE_PLAN
    root = make_case(folder)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    subprocess.run(
        [sys.executable, "-m", "solver.cli", "-q", "solve", "scenario.toml", "--out", "plan"],
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
    )
    BASE_PLAN = root / "plan"
    return BASE_PLAN


def plan_variant(rng: random.Random, root: Path) -> Variant:
    """A copy of the demo's plan with one mutation, read by a command that reads plans."""
    old = root / "old"
    shutil.copytree(BASE_PLAN, old)
    kind = rng.choice(["cell", "cell", "unknown_staff", "unknown_school", "bytes", "summary"])
    a = old / "assignments.csv"
    rows = list(csv.reader(io.StringIO(a.read_text(encoding="utf-8"))))
    if kind == "cell":
        j = rng.randrange(len(rows[0]))
        i = rng.randrange(1, len(rows))
        rows[i][j] = rng.choice(CELL_VALUES)
        what = f"plan cell {rows[0][j]} row {i + 1}"
    elif kind == "unknown_staff":
        rows[rng.randrange(1, len(rows))][0] = "NOBODY"
        what = "plan: unknown staff"
    elif kind == "unknown_school":
        rows[rng.randrange(1, len(rows))][7] = "NOWHERE"
        what = "plan: unknown school"
    else:
        what = f"plan: {kind}"
    if kind in ("cell", "unknown_staff", "unknown_school"):
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        a.write_text(buf.getvalue(), encoding="utf-8")
    elif kind == "bytes":
        target = old / rng.choice(["assignments.csv", "schools.csv"])
        data = target.read_bytes()
        i = rng.randrange(len(data))
        target.write_bytes(data[:i] + bytes(rng.randrange(256) for _ in range(16)) + data[i:])
    else:
        (old / "summary.json").write_bytes(
            rng.choice([b"{not json", b"\xff\xfe\x00", b"[]", b"{}", b'{"scenario": 1}'])
        )
    cmd = rng.choice(
        [
            ["validate", "scenario.toml", "old"],
            ["indicators", "scenario.toml", "--plan", "old", "--format", "csv"],
            ["indicators", "scenario.toml", "--plan", "old", "--format", "json"],
            ["explain", "old", "--scenario", "scenario.toml"],
            ["explain", "old"],
            ["diff", "old", "old"],
            _solve_args(["--from", "old"]),
        ]
    )
    return Variant("plan", what, cmd, stdout_csv=cmd[0] == "indicators" and "csv" in cmd)


# --------------------------------------------------------------------------- generation


def _solve_args(extra: list[str] | None = None) -> list[str]:
    return ["solve", "scenario.toml", "--out", "plan", *(extra or [])]


def random_variant(rng: random.Random, root: Path, solve_share: float = 0.2) -> Variant:
    """One random variant of the demo in ``root`` (a fresh copy is made there)."""
    make_case(root)
    solve = rng.random() < solve_share
    cmd = _solve_args() if solve else ["check", "scenario.toml"]
    category = rng.choice(
        ["cell", "cell", "cell", "formula", "header", "bytes", "workbook", "key", "key", "toml"]
        + ["option", "option", "output", "command"]
        + (["plan", "plan"] if BASE_PLAN is not None else [])
    )
    if category == "cell":
        table = rng.choice(["schools.csv", "staff.csv"])
        what = set_cell(
            root, table, rng.choice(columns(table)), rng.randrange(300), rng.choice(CELL_VALUES)
        )
    elif category == "formula":
        payload = rng.choice(TRIGGERS)
        table = rng.choice(["schools.csv", "staff.csv"])
        if rng.random() < 0.4:
            old = rng.choice(["S01", "S05", "E010", "E100"])
            what = rename_everywhere(root, old, payload + old)
        else:
            col = rng.choice(["name", "zone", "group"] if table == "schools.csv" else ["name"])
            what = set_cell(root, table, col, rng.randrange(300), payload + "HYPERLINK(1)")
        cmd = rng.choice(
            [
                _solve_args(),
                ["eligible", "scenario.toml", "--out", "eligible.csv"],
                ["eligible", "scenario.toml"],
                ["indicators", "scenario.toml", "--format", "csv"],
            ]
        )
        return Variant(category, what, cmd, stdout_csv="--out" not in cmd)
    elif category == "header":
        table = rng.choice(["schools.csv", "staff.csv"])
        what = header_mutation(
            root,
            table,
            rng.choice(columns(table)),
            rng.choice(
                [
                    "duplicate",
                    "alias_duplicate",
                    "remove",
                    "rename",
                    "empty",
                    "control",
                    "fullwidth",
                ]
            ),
        )
    elif category == "bytes":
        kinds = ["shift_jis", "latin_1", "cp1252", "gb18030", "utf_8_bom", "utf_16", "crlf"]
        kinds += ["truncate", "random_bytes", "binary", "empty", "header_only", "stray_quote"]
        kinds += ["extra_cells", "nul"]
        what = byte_mutation(root, rng.choice(["schools.csv", "staff.csv"]), rng.choice(kinds), rng)
    elif category == "workbook":
        what = workbook_mutation(
            root,
            rng.choice(["truncated_sheet", "truncated_file", "garbage", "cell", "renamed_sheet"]),
            rng,
        )
    elif category == "key":
        what = set_key(root, rng.choice(all_keys()), rng.choice(KEY_VALUES))
    elif category == "toml":
        kinds = ["deep_inline", "deep_array", "deep_tables", "duplicate_key", "syntax"]
        kinds += ["not_utf8", "empty", "binary", "data_missing", "data_is_table"]
        kinds += ["data_is_scenario", "infeasible"]
        what = toml_mutation(root, rng.choice(kinds), rng)
    elif category == "option":
        opt = rng.choice(list(OPTION_VALUES))
        value = rng.choice(OPTION_VALUES[opt])
        what = f"{opt} {value!r}"
        cmd = _solve_args([opt, value])
    elif category == "output":
        return output_variant(rng, root)
    elif category == "plan":
        return plan_variant(rng, root)
    else:  # other commands and their options
        return command_variant(rng, root)
    return Variant(category, what, cmd)


def output_variant(rng: random.Random, root: Path) -> Variant:
    """Output paths: onto inputs, unwritable places, names too long, --force."""
    (root / "a_file").write_text("not a folder\n")
    (root / "other").mkdir()
    (root / "other" / "keep.txt").write_text("someone's file\n")
    kinds = {
        "data": (["--out", "data", "--force"], {2}),
        "inside_data": (["--out", "data/plan", "--force"], {2}),
        "dot": (["--out", ".", "--force"], {2}),
        "parent": (["--out", "..", "--force"], {2}),
        "under_file": (["--out", "a_file/plan"], {2}),
        "proc": (["--out", "/proc/lungang-plan"], {2}),
        "long_name": (["--out", "p" * 300], {2}),
        "long_slug": (["--out", "q" * 250], None),
        "not_lungang": (["--out", "other", "--force"], {2}),
        "is_file": (["--out", "a_file", "--force"], {2}),
        "diag_table": (["--out", "plan", "--diagnosis", "data/staff.csv"], {2}),
        "diag_scenario": (["--out", "plan", "--diagnosis", "scenario.toml"], {2}),
        "diag_under_file": (["--out", "plan", "--diagnosis", "a_file/d.json"], {2}),
        "diag_proc": (["--out", "plan", "--diagnosis", "/proc/d.json"], {2}),
    }
    kind = rng.choice(list(kinds))
    args, expect = kinds[kind]
    if kind.startswith("diag") and rng.random() < 0.7:
        toml_mutation(root, "infeasible", rng)
    if rng.random() < 0.3 and kind in ("data", "dot", "diag_table", "diag_scenario"):
        toml_mutation(root, "infeasible", rng)
    return Variant("output", f"output: {kind}", ["solve", "scenario.toml", *args], expect=expect)


def command_variant(rng: random.Random, root: Path) -> Variant:
    """eligible / indicators / validate / generate / solve --from with odd arguments."""
    (root / "badplan").mkdir()
    kind = rng.choice(
        [
            "eligible_onto_table",
            "eligible_onto_scenario",
            "eligible_proc",
            "from_binary",
            "from_missing_columns",
            "from_duplicate_ids",
            "indicators_plan_binary",
            "validate_binary",
            "generate_bad_seed",
            "generate_bad_size",
            "generate_onto_data",
            "explain_binary",
        ]
    )
    plan = root / "badplan"
    if kind.endswith("binary"):
        (plan / "assignments.csv").write_bytes(bytes(rng.randrange(256) for _ in range(4000)))
    elif kind == "from_missing_columns":
        (plan / "assignments.csv").write_text("staff_id,name\nE001,x\n")
    elif kind == "from_duplicate_ids":
        head = "staff_id,name,role,stream,subject,key_level,from_school,to_school,moved,distance_km"
        (plan / "assignments.csv").write_text(
            head + "\nE001,a,teacher,ordinary,math,none,S01,S01,false,0\n" * 2
        )
    (plan / "summary.json").write_text("{not json")
    args = {
        "eligible_onto_table": (["eligible", "scenario.toml", "--out", "data/staff.csv"], {2}),
        "eligible_onto_scenario": (["eligible", "scenario.toml", "--out", "scenario.toml"], {2}),
        "eligible_proc": (["eligible", "scenario.toml", "--out", "/proc/e.csv"], {2}),
        "from_binary": (_solve_args(["--from", "badplan"]), {2}),
        "from_missing_columns": (_solve_args(["--from", "badplan"]), {2}),
        "from_duplicate_ids": (_solve_args(["--from", "badplan"]), {2}),
        "indicators_plan_binary": (["indicators", "scenario.toml", "--plan", "badplan"], {2}),
        "validate_binary": (["validate", "scenario.toml", "badplan"], {2}),
        "generate_bad_seed": (["generate", "demo", "--out", "gen", "--seed", "-5"], {2}),
        "generate_bad_size": (
            ["generate", "demo", "--out", "gen", "--staff", rng.choice(["0", "-3", "1"])],
            None,
        ),
        "generate_onto_data": (["generate", "demo", "--out", "data", "--force"], {2}),
        "explain_binary": (["explain", "badplan", "--scenario", "scenario.toml"], {2}),
    }[kind]
    return Variant("command", f"command: {kind}", args[0], expect=args[1])


# --------------------------------------------------------------------------- judging


@dataclass
class Outcome:
    variant: Variant
    code: int | None
    seconds: float
    stderr: str
    crash: bool = False
    unlocated: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    partial: list[str] = field(default_factory=list)
    payloads: list[str] = field(default_factory=list)
    unexpected_code: bool = False

    @property
    def ok(self) -> bool:
        return not (
            self.crash
            or self.unlocated
            or self.changed
            or self.partial
            or self.payloads
            or self.unexpected_code
        )


def _is_payload(cell: str) -> bool:
    return cell.startswith(TRIGGERS) and not _NUMBER.fullmatch(cell)


def csv_payloads(text: str, label: str) -> list[str]:
    out = []
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error:
        return [f"{label}: not CSV"]
    for i, row in enumerate(rows, start=1):
        for cell in row:
            if _is_payload(cell):
                out.append(f"{label} row {i}: {cell[:30]!r}")
    return out


_LOCATED = re.compile(r"(--[a-z][a-z-]+|\bSCENARIO\b|\bPROFILE\b|\bPLAN\b|\bPLAN_[AB]\b)")


def _located(line: str, root: Path, names: set[str]) -> bool:
    """A problem line names a file of the variant (absolute or relative), an option or an
    argument."""
    first = line.strip().split(":", 1)[0].split(",", 1)[0].split(" ", 1)[0]
    return (
        str(root) in line
        or bool(_LOCATED.search(line))
        or Path(first).parts[:1] in [(n,) for n in names]
    )


def problem_lines(stderr: str) -> list[str]:
    """The messages of an exit-2 run: problem lines, or click's ``Error:`` line."""
    lines = stderr.splitlines()
    out = [ln for ln in lines if ln.startswith("  ") and ln.strip()]
    out += [ln for ln in lines if ln.startswith("Error:")]
    return out


def entries(root: Path) -> set[str]:
    """Every file and folder under ``root`` (relative), the generated-district cache aside."""
    return {
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.relative_to(root).parts[0] != ".cache"
    }


def judge(
    variant: Variant,
    root: Path,
    before: dict[str, str],
    code: int | None,
    stdout: str,
    stderr: str,
    seconds: float,
    listed: set[str] | None = None,
) -> Outcome:
    """Classify a finished run (see the module docstring); ``listed``: :func:`entries`
    before the run."""
    listed = set(before) if listed is None else listed
    names = {Path(n).parts[0] for n in listed} | {"plan", "gen", "eligible.csv"}
    o = Outcome(variant, code, seconds, stderr[-2000:])
    o.crash = code not in EXIT_CODES or "Traceback" in stderr or "Traceback" in stdout
    if variant.expect is not None and code not in variant.expect:
        o.unexpected_code = True
    if code == 2:
        lines = problem_lines(stderr)
        if not lines:
            o.unlocated.append(stderr.strip()[:200] or "(no message)")
        o.unlocated += [ln for ln in lines if not _located(ln, root, names)]
    after = checksums(root)
    o.changed = [f for f, h in before.items() if after.get(f) != h]
    new = sorted(entries(root) - listed)
    temps = [n for n in new if re.search(r"(^|/)\.[^/]*\.(tmp|old)(/|$)", n)]
    o.partial += [f"temporary left: {t}" for t in temps]
    if code == 0:
        plans = {str(Path(n).parent) for n in new if Path(n).name == "assignments.csv"}
        for pl in plans:
            for f in ("assignments.csv", "schools.csv", "summary.json", "explain.json"):
                if not (root / pl / f).is_file():
                    o.partial.append(f"incomplete plan {pl}: no {f}")
    elif code == 3:  # only the diagnosis asked for
        extra = [n for n in new if not n.endswith(".json")]
        o.partial += [f"left after exit 3: {n}" for n in extra]
    else:
        o.partial += [f"left after exit {code}: {n}" for n in new]
    for n in new:
        if n.endswith(".csv") and (root / n).is_file():
            try:
                text = (root / n).read_text(encoding="utf-8-sig")
            except UnicodeDecodeError:
                text = (root / n).read_text(encoding="gb18030", errors="replace")
            o.payloads += csv_payloads(text, n)
    if variant.stdout_csv and code == 0:
        o.payloads += csv_payloads(stdout, "stdout")
    return o


def run_variant(variant: Variant, root: Path, timeout_s: float = 180.0) -> Outcome:
    """Run one variant in ``root`` (inputs checksummed first) and judge it."""
    before = checksums(root)
    listed = entries(root)
    env = {**os.environ, "PYTHONPATH": str(REPO), "LUNGANG_CACHE": str(root / ".cache")}
    t = time.perf_counter()
    try:
        p = subprocess.run(
            [sys.executable, "-m", "solver.cli", "-q", *variant.args],
            cwd=root,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout_s,
            env=env,
            stdin=subprocess.DEVNULL,
        )
        code, stdout, stderr = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired:
        code, stdout, stderr = None, "", f"timed out after {timeout_s} s"
    return judge(variant, root, before, code, stdout, stderr, time.perf_counter() - t, listed)


def destroying_commands() -> list[tuple[str, Callable[[Path], Variant]]]:
    """The three commands that destroyed inputs before (issue 12), as variants."""

    def out_data(root: Path) -> Variant:
        make_case(root)
        return Variant(
            "destroy",
            "solve --out DATA --force",
            _solve_args()[:2] + ["--out", "data", "--force"],
            {2},
        )

    def diag_table(root: Path) -> Variant:
        make_case(root)
        toml_mutation(root, "infeasible", random.Random(0))
        return Variant(
            "destroy",
            "infeasible, --diagnosis data/staff.csv",
            _solve_args(["--diagnosis", "data/staff.csv"]),
            {2},
        )

    def diag_scenario(root: Path) -> Variant:
        make_case(root)
        toml_mutation(root, "infeasible", random.Random(0))
        return Variant(
            "destroy",
            "infeasible, --diagnosis scenario.toml",
            _solve_args(["--diagnosis", "scenario.toml"]),
            {2},
        )

    return [("out_data", out_data), ("diag_table", diag_table), ("diag_scenario", diag_scenario)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=400, help="number of random variants")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--solve-share", type=float, default=0.2, help="share of variants solved")
    ap.add_argument("--report", type=Path, help="write every outcome as JSON here")
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    outcomes: list[Outcome] = []
    driver_errors: list[str] = []
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="lungang-fuzz-") as tmp:
        make_base_plan(Path(tmp) / "base")
        for name, make in destroying_commands():
            root = Path(tmp) / name
            root.mkdir()
            outcomes.append(run_variant(make(root), root))
        for i in range(args.n):
            root = Path(tmp) / f"v{i:04d}"
            root.mkdir()
            try:
                v = random_variant(rng, root, args.solve_share)
            except Exception as exc:  # a bug of this driver, not of lungang: say so, go on
                driver_errors.append(f"v{i:04d}: {type(exc).__name__}: {exc}")
                shutil.rmtree(root, ignore_errors=True)
                continue
            o = run_variant(v, root)
            outcomes.append(o)
            if not o.ok:
                print(f"FAIL v{i:04d} [{v.category}] {v.what} -> {o.code}", file=sys.stderr)
                print(
                    "   ",
                    {
                        k: getattr(o, k)
                        for k in (
                            "crash",
                            "unlocated",
                            "changed",
                            "partial",
                            "payloads",
                            "unexpected_code",
                        )
                        if getattr(o, k)
                    },
                    file=sys.stderr,
                )
                print("   ", o.stderr[-600:].replace("\n", "\n    "), file=sys.stderr)
            shutil.rmtree(root, ignore_errors=True)
    codes = Counter(o.code for o in outcomes)
    cats = Counter(o.variant.category for o in outcomes)
    summary = {
        "variants": len(outcomes),
        "seed": args.seed,
        "seconds": round(time.perf_counter() - t0, 1),
        "exit_codes": {str(k): v for k, v in sorted(codes.items(), key=lambda kv: str(kv[0]))},
        "categories": dict(sorted(cats.items())),
        "crashes": sum(o.crash for o in outcomes),
        "unlocated_messages": sum(len(o.unlocated) for o in outcomes),
        "changed_inputs": sum(bool(o.changed) for o in outcomes),
        "partial_outputs": sum(bool(o.partial) for o in outcomes),
        "formula_payloads": sum(len(o.payloads) for o in outcomes),
        "unexpected_exit_codes": sum(o.unexpected_code for o in outcomes),
        "driver_errors": driver_errors,
        "destroying_commands": {
            o.variant.what: {"exit": o.code, "inputs_unchanged": not o.changed}
            for o in outcomes
            if o.variant.category == "destroy"
        },
    }
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    if args.report:
        args.report.write_text(
            json.dumps(
                [
                    {
                        "category": o.variant.category,
                        "what": o.variant.what,
                        "args": o.variant.args,
                        "exit": o.code,
                        "seconds": round(o.seconds, 2),
                        "ok": o.ok,
                        "crash": o.crash,
                        "unlocated": o.unlocated,
                        "changed": o.changed,
                        "partial": o.partial,
                        "payloads": o.payloads,
                    }
                    for o in outcomes
                ],
                indent=1,
                ensure_ascii=False,
            ),
            encoding="utf-8",
        )
    return 0 if all(o.ok for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
