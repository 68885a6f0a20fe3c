"""The manual in docs/ keeps step with the code, and nothing a user sees points outside
the repository.

The lists checked here come from the code itself: the loaders' table specs (columns,
Chinese headers, codes and their Chinese values, sheets), the scenario's pydantic
models (every key, with its default), the columns and keys of a real plan folder, and
the command line's commands. A failure names the file, the section and the row to add.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from pydantic import BaseModel

from solver.cli import main
from solver.errors import ExitCode
from solver.input import loaders
from solver.input.scenario import Scenario

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
DEMO = ROOT / "scenarios" / "demo.toml"

# Pointers to files a user's clone does not have (written in pieces so that this file
# does not match itself).
FOREIGN = ("../" + "shared", "DOMAIN" + ".md", "CONTRACT" + ".md", "shared/" + "seeds")


# --------------------------------------------------------------------------- markdown


def sections(path: Path) -> dict[str, str]:
    """Heading text (without the #'s) -> the text up to the next heading of any level."""
    out: dict[str, str] = {}
    heading, lines = "", []
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^#{1,6} (.*)$", line)
        if m:
            out[heading] = "\n".join(lines)
            heading, lines = m.group(1).strip(), []
        else:
            lines.append(line)
    out[heading] = "\n".join(lines)
    return out


def section(path: Path, marker: str) -> tuple[str, str]:
    """The one section whose heading contains ``marker``: (heading, text)."""
    found = [(h, t) for h, t in sections(path).items() if marker in h]
    assert len(found) == 1, (
        f"{path.relative_to(ROOT)}: expected one heading containing {marker!r}, "
        f"found {[h for h, _ in found]}"
    )
    return found[0]


def table_rows(text: str) -> dict[str, list[str]]:
    """The rows of the first markdown table in ``text`` whose first cell is one
    backticked name: name -> cells."""
    rows: dict[str, list[str]] = {}
    started = False
    for line in text.splitlines():
        if not line.startswith("|"):
            if started:
                break
            continue
        started = True
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        m = re.fullmatch(r"`([^`]+)`", cells[0])
        if m:
            rows[m.group(1)] = cells
    return rows


def has_token(text: str, token: str) -> bool:
    """``token`` occurs in ``text`` as a whole word (not inside a longer one)."""
    return re.search(rf"(?<![\w]){re.escape(token)}(?![\w])", text) is not None


def literal(v: object) -> str:
    """A default as the docs write it (TOML / CSV style)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, str):
        return f'"{v}"'
    return str(v)


# --------------------------------------------------------------------------- input.md

INPUT = DOCS / "input.md"
KIND_WORDS = {
    "text": "text",
    "enum": "code",
    "int": "integer",
    "float": "number",
    "bool": "true/false",
    "date": "date",
}


def table_specs() -> list[loaders.TableSpec]:
    """Every table the loaders read (any TableSpec of the module, so a new one counts)."""
    specs = {id(v): v for v in vars(loaders).values() if isinstance(v, loaders.TableSpec)}
    return list(specs.values())


def test_table_specs_are_found():
    """The docs checks below see the four tables the loaders read today (and any new one)."""
    assert {"schools.csv", "staff.csv", "demand.csv", "pins.csv"} <= {s.file for s in table_specs()}


@pytest.mark.parametrize("spec", table_specs(), ids=lambda s: s.file)
def test_every_input_column_is_documented(spec):
    """docs/input.md has a section per table with a row per column: its Chinese headers,
    type, whether the column is required, its default, and the table's sheet names."""
    heading, text = section(INPUT, f"`{spec.file}`")
    missing = []
    for sheet in spec.sheets:
        if f"`{sheet}`" not in heading + text:
            missing.append(f"sheet name `{sheet}`")
    rows = table_rows(text)
    for col in spec.columns:
        where = f"docs/input.md, section '{heading}', column `{col.name}`"
        if col.name not in rows:
            missing.append(
                f"{where}: no row; add '| `{col.name}` | {' / '.join(col.aliases)} | "
                f"{KIND_WORDS[col.kind]} | {'yes' if col.required else 'no'} | ... |'"
            )
            continue
        cells = rows[col.name]
        assert len(cells) >= 6, f"{where}: the row needs 6 cells, has {len(cells)}"
        for alias in col.aliases:
            if alias not in cells[1]:
                missing.append(f"{where}: the Chinese header {alias!r} is not in its row")
        if cells[2] != KIND_WORDS[col.kind]:
            missing.append(f"{where}: type is {cells[2]!r}, the loader reads {col.kind!r}")
        required = "yes" if col.required else "no"
        if cells[3] != required:
            missing.append(f"{where}: 'required column' is {cells[3]!r}, should be {required!r}")
        if col.default not in (None, ""):
            want = literal(col.default).strip('"')
            if f"`{want}`" not in cells[4]:
                missing.append(f"{where}: the default `{want}` is not in its row")
    known = {c.name for c in spec.columns}
    stale = [name for name in rows if name not in known]
    assert not stale, f"docs/input.md, section '{heading}': no such column in the loader: {stale}"
    assert not missing, "\n".join(missing)


def test_every_code_and_chinese_value_is_documented():
    """Each code a column accepts, and each Chinese (or other) value read as that code,
    is on one line of docs/input.md together with the code."""
    lines = INPUT.read_text(encoding="utf-8").splitlines()
    missing = []
    for spec in table_specs():
        for col in spec.columns:
            for code in col.choices:
                if not any(f"`{code}`" in line for line in lines):
                    missing.append(f"{spec.file} {col.name}: code `{code}` is not documented")
            for alias, code in col.value_aliases.items():
                if alias == code.lower():
                    continue  # the code itself, in lower case
                if not any(f"`{code}`" in ln and has_token(ln, alias) for ln in lines):
                    missing.append(
                        f"{spec.file} {col.name}: the value {alias!r} (read as `{code}`) is not "
                        f"on the line of `{code}` in a codes table of docs/input.md"
                    )
    assert not missing, "\n".join(missing)


def test_values_and_encodings_are_documented():
    """The true/false spellings the loader accepts and the three encodings are listed."""
    text = INPUT.read_text(encoding="utf-8")
    missing = [f"`{b}`" for b in loaders._BOOLS if f"`{b}`" not in text]
    missing += [e for e in ("UTF-8", "BOM", "GB18030", ".xlsx", "~$") if e not in text]
    assert not missing, f"docs/input.md does not mention {missing}"


# --------------------------------------------------------------------------- scenario.md

SCENARIO_DOC = DOCS / "scenario.md"


def _section_model(annotation: object) -> type[BaseModel] | None:
    """The sub-model of a field that is a TOML table (``X`` or ``X | None``), else None."""
    for c in (annotation, *getattr(annotation, "__args__", ())):
        if isinstance(c, type) and issubclass(c, BaseModel):
            return c
    return None


def scenario_keys(model: type[BaseModel] = Scenario, prefix: tuple[str, ...] = ()):
    """(section, key, field) for every key of the scenario file, walking the models."""
    for name, field in model.model_fields.items():
        if field.exclude:  # not a key of the file
            continue
        sub = _section_model(field.annotation)
        if sub is not None:
            yield from scenario_keys(sub, (*prefix, name))
        else:
            yield ".".join(prefix), name, field


def test_scenario_keys_are_found():
    """The walk sees nested sections and keys of every kind."""
    keys = {(s, k) for s, k, _ in scenario_keys()}
    assert {
        ("scenario", "data"),
        ("eligibility.vice_principal", "min_years_at_school"),
        ("eligibility.retirement_age", "female"),
        ("balance", "max_cv"),
        ("solver", "time_limit_s"),
    } <= keys


def test_every_scenario_key_is_documented_with_its_default():
    """docs/scenario.md has a '## [section]' per section and a row per key, whose second
    cell is the key's default as TOML writes it ('unset' when there is none)."""
    docs = sections(SCENARIO_DOC)
    problems = []
    documented: dict[str, set[str]] = {}
    for sec, key, field in scenario_keys():
        heading = f"[{sec}]"
        if heading not in docs:
            problems.append(f"docs/scenario.md: no section '## {heading}' (for key {sec}.{key})")
            continue
        rows = table_rows(docs[heading])
        documented[heading] = set(rows)
        default = field.default
        shown = "unset" if default is None else literal(default)
        if key not in rows:
            problems.append(
                f"docs/scenario.md, section '## {heading}': key `{key}` is not documented; "
                f"add '| `{key}` | `{shown}` | values | meaning and source |'"
            )
            continue
        cell = rows[key][1]
        if field.default_factory is not None:
            continue  # computed (as_of: September 1 of this year): said in words
        if default is None:
            ok = cell.startswith("unset")
        elif isinstance(default, bool | str):
            ok = cell == f"`{literal(default)}`"
        elif isinstance(default, int | float):
            m = re.fullmatch(r"`([-+0-9.e]+)`", cell)
            ok = m is not None and float(m.group(1)) == float(default)
        else:
            ok = cell == f"`{default!r}`"
        if not ok:
            problems.append(
                f"docs/scenario.md, [{sec}] `{key}`: default is {cell!r}, the model's is `{shown}`"
            )
    for heading, rows in documented.items():
        known = {k for s, k, _ in scenario_keys() if f"[{s}]" == heading}
        for key in rows - known:
            problems.append(f"docs/scenario.md, section '## {heading}': `{key}` is not a key")
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- outputs.md

OUTPUTS = DOCS / "outputs.md"


@pytest.fixture(scope="module")
def plan(tmp_path_factory) -> Path:
    """The demo solved once (it proves optimality in about a second)."""
    out = tmp_path_factory.mktemp("docs") / "plan"
    r = CliRunner().invoke(main, ["-q", "solve", str(DEMO), "--out", str(out)])
    assert r.exit_code == 0, r.output
    return out


def undocumented(names, marker: str) -> list[str]:
    heading, text = section(OUTPUTS, marker)
    return [f"docs/outputs.md, section '{heading}': `{n}`" for n in names if f"`{n}`" not in text]


def test_plan_folder_files_columns_and_keys_are_documented(plan):
    """Every file of a plan folder, every column of assignments.csv and schools.csv and
    every key of summary.json and explain.json (with their main nested keys) is in
    docs/outputs.md."""
    missing = undocumented(sorted(f.name for f in plan.iterdir()), "The plan folder")
    missing += undocumented(
        pd.read_csv(plan / "assignments.csv", nrows=0).columns, "`assignments.csv`"
    )
    missing += undocumented(pd.read_csv(plan / "schools.csv", nrows=0).columns, "`schools.csv`")
    s = json.loads((plan / "summary.json").read_text(encoding="utf-8"))
    missing += undocumented([*s, *s["counts"], *s["stats"]], "`summary.json`")
    e = json.loads((plan / "explain.json").read_text(encoding="utf-8"))
    nested = [k for term in e["terms"].values() for k in term]
    nested += [k for row in (*e["rules"], *e["schools"], *e["people"]) for k in row]
    missing += undocumented(dict.fromkeys([*e, *nested]), "`explain.json`")
    assert not missing, "undocumented:\n" + "\n".join(missing)


def test_eligible_and_indicators_columns_are_documented(plan, tmp_path):
    """Every column of `eligible --out` and of `indicators --format csv` (both tables,
    with the _before/_after suffixes of --plan taken off) is in docs/outputs.md."""
    out = tmp_path / "eligible.csv"
    assert CliRunner().invoke(main, ["-q", "eligible", str(DEMO), "--out", str(out)]).exit_code == 0
    missing = undocumented(pd.read_csv(out, nrows=0).columns, "`lungang eligible")
    for table in ("schools", "coefficients"):
        args = ["-q", "indicators", str(DEMO), "--plan", str(plan), "--format", "csv"]
        r = CliRunner().invoke(main, [*args, "--table", table])
        assert r.exit_code == 0, r.output
        header = r.stdout.splitlines()[0].split(",")
        names = dict.fromkeys(re.sub(r"_(before|after)$", "", h) for h in header)
        missing += undocumented(names, "`lungang indicators")
    assert not missing, "undocumented:\n" + "\n".join(missing)


def test_every_exit_code_is_documented():
    """docs/outputs.md's exit-code table has a row per ExitCode."""
    _, text = section(OUTPUTS, "Exit codes")
    rows = table_rows(text)
    assert {str(int(c)) for c in ExitCode} <= set(rows), rows


# --------------------------------------------------------------------------- --help


def commands(group=main, path: tuple[str, ...] = ()):
    """(path, command) of every command of the command line, groups walked."""
    for name, cmd in sorted(group.commands.items()):
        if hasattr(cmd, "commands"):
            yield from commands(cmd, (*path, name))
        else:
            yield (*path, name), cmd


def test_top_level_help_says_where_the_docs_are():
    """`lungang --help` names the README and the docs/ pages."""
    r = CliRunner().invoke(main, ["--help"])
    assert r.exit_code == 0
    text = " ".join(r.output.split())
    for page in ("README", "docs/input.md", "docs/scenario.md", "docs/outputs.md"):
        assert page in text, page


@pytest.mark.parametrize("path, cmd", list(commands()), ids=[" ".join(p) for p, _ in commands()])
def test_every_command_help_has_exit_codes_and_an_example(path, cmd):
    """Each command's --help lists its exit codes (known ones, 0 and 2 among them) and
    one example whose options are options of that command."""
    r = CliRunner().invoke(main, [*path, "--help"])
    assert r.exit_code == 0, r.output
    out = r.output
    assert "Example:" in out and "Exit codes:" in out, f"lungang {' '.join(path)} --help:\n{out}"
    example = out.split("Example:", 1)[1].split("Exit codes:", 1)[0].split()
    assert example[: 1 + len(path)] == ["lungang", *path], example
    opts = {o for p in cmd.params for o in getattr(p, "opts", [])}
    unknown = [t for t in example if t.startswith("-") and t not in opts]
    assert not unknown, f"the example of lungang {' '.join(path)} uses unknown options {unknown}"
    codes = re.findall(r"^\s+(\d)\s{2}\S", out.split("Exit codes:", 1)[1], flags=re.M)
    assert {"0", "2"} <= set(codes) and set(codes) <= {str(int(c)) for c in ExitCode}, codes


# --------------------------------------------------------------------------- pointers


def tracked_files() -> list[Path]:
    """The repository's files as a clone has them (git's list; the tree without git)."""
    try:
        names = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
        ).stdout.split(b"\0")
        files = [ROOT / n.decode() for n in names if n]
    except (OSError, subprocess.CalledProcessError):
        skip = {".git", "results", ".cache", ".pytest_cache", ".ruff_cache", ".hypothesis"}
        files = [
            p
            for p in ROOT.rglob("*")
            if p.is_file() and not (skip & set(p.relative_to(ROOT).parts)) and ".venv" not in str(p)
        ]
    return [f for f in files if f.is_file()]


def test_nothing_points_outside_the_repository():
    """No file of the repository (README, docs, scenarios, code, help texts, tests)
    refers to the developers' shared folder or the files in it: a clone has no such
    folder, and the project's own docs say the same things."""
    hits = []
    for f in tracked_files():
        try:
            text = f.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue  # binary (a PNG) or unreadable
        for n, line in enumerate(text.splitlines(), start=1):
            for word in FOREIGN:
                if word in line:
                    hits.append(f"{f.relative_to(ROOT)}:{n}: {word}: {line.strip()[:100]}")
    assert not hits, "\n".join(hits)


def test_readme_links_the_docs():
    """The README opens with its two commands and links every page of docs/."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```bash\n(.*?)```", text, flags=re.S)
    assert block and len(block.group(1).strip().splitlines()) == 2
    for page in sorted(DOCS.glob("*.md")):
        assert f"(docs/{page.name})" in text, f"README.md does not link docs/{page.name}"


# --------------------------------------------------------------------------- horizon.md

HORIZON = DOCS / "horizon.md"


def test_horizon_json_keys_are_documented(tmp_path):
    """Every key of a horizon plan's horizon.json (top level, coverage, stats, per_year) is
    in docs/horizon.md, section 'Output'."""
    from builders import two_year_scenario_file

    f = two_year_scenario_file(tmp_path)
    r = CliRunner().invoke(main, ["-q", "plan", str(f), "--out", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    info = json.loads((tmp_path / "out" / "horizon.json").read_text(encoding="utf-8"))
    keys = [*info, *info["coverage"], *info["stats"], *info["per_year"][0]]
    heading, text = section(HORIZON, "Output")
    missing = [f"docs/horizon.md, section '{heading}': `{k}`" for k in keys if f"`{k}`" not in text]
    assert not missing, "undocumented:\n" + "\n".join(missing)
