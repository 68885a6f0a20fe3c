"""Mutation testing of the rules: do the rule tests catch a changed rule?

    python tests/mutation.py                  # every rule method of the model and the validator
    python tests/mutation.py --only model     # the model's rule methods only
    python tests/mutation.py --only forms     # part-time service and coverage ([forms])
    python tests/mutation.py --only training  # [forms] training_to_lead
    python tests/mutation.py --keep           # keep the copy, to look at mutants or resume
    python tests/mutation.py --resume DIR     # after adding tests: rerun what was not killed

mutmut (configured in ``pyproject.toml``, ``[tool.mutmut]``) changes one thing at a time
in ``solver/model/rotation.py`` and ``solver/validate.py`` (an operator, a number, a condition, a
call's argument) and runs the fast rule tests (``tests/test_rules.py`` and
``tests/test_validate.py``) against each change. A change the tests notice is *killed*;
one they do not notice *survives*. Every surviving mutant must be either killed by a new
test or listed in :data:`EQUIVALENT` with the reason it cannot change any outcome.

Only the rule methods are selected (:data:`TARGETS`): ``RotationModel``'s methods named
after a rule (and ``_direction``, the body of both flow rules) and the validator's rule
checks. Lines that only word a message (``f"..."``) are not mutated (pyproject.toml):
the wording is checked by the message tests, not here.

The run takes a while (tens of minutes on 2 cores) and is not part of every CI run. It
works in a temporary copy of the work tree, so it writes nothing into the repository,
and runs under ``nice``. It prints a table per method and every surviving mutant that is
not listed as equivalent; the exit code is 1 when there is one.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

MODEL_RULES = (
    "one_school_each",
    "posts_filled",
    "subject_staffing",
    "teacher_rotation_min",
    "key_share_of_rotated_min",
    "principal_rotation_min",
    "school_outflow_max",
    "_direction",
    "urban_to_rural_min",
    "rural_to_urban_min",
    "balance_caps",
    "pins",
    "pruned_pairs",
)
VALIDATE_RULES = (
    "_eligible_rows",
    "_posts_filled",
    "_subject_staffing",
    "_moves",
    "_quotas",
    "_outflow",
    "_flows",
    "_balance",
    "_pins",
)
#: The forms of rotation (``[forms]``, docs/forms.md), in two runs with their own tests
#: (the rule tests do not switch forms on): ``forms``, part-time service and coverage
#: (the model's rule, the share variables' limits in solver/model/forms.py, the
#: validator's checks) against tests/test_forms.py; ``training``, training_to_lead (the
#: model's rule, the quotas' exclusions, the validator's check and its own derivation of
#: the young teachers) against tests/test_training.py.
FORMS_MODEL = (
    "solver.model.rotation.xǁRotationModelǁcoverage_subjects__mutmut_*",
    "solver.model.forms.x_coverage_subjects_rule__mutmut_*",
    "solver.model.forms.xǁServiceVarsǁ__init____mutmut_*",
)
FORMS_VALIDATE_RULES = ("_coverage", "_part_time")
TRAINING_MODEL_RULES = ("training_to_lead", "_rotated")
TRAINING_VALIDATE_RULES = ("_training", "_training_people")
#: The tests each of those runs selects.
RUN_TESTS = {
    "forms": ("tests/test_forms.py",),
    # _rotated also leaves post-filling moves out of the quotas
    "training": (
        "tests/test_training.py",
        "tests/test_forms.py::test_post_filling_moves_count_apart_from_the_rotation_quota",
        "tests/test_forms.py::test_post_filling_is_counted_in_the_summary",
        "tests/test_forms.py::test_the_cheapest_plan_still_rotates_besides_post_filling",
    ),
}
#: mutmut's names for them (``ǁ`` separates class and method).
TARGETS = {
    "model": [f"solver.model.rotation.xǁRotationModelǁ{m}__mutmut_*" for m in MODEL_RULES],
    "validate": [f"solver.validate.x_{f}__mutmut_*" for f in VALIDATE_RULES],
    "forms": [*FORMS_MODEL, *(f"solver.validate.x_{f}__mutmut_*" for f in FORMS_VALIDATE_RULES)],
    "training": [
        *(f"solver.model.rotation.xǁRotationModelǁ{m}__mutmut_*" for m in TRAINING_MODEL_RULES),
        *(f"solver.validate.x_{f}__mutmut_*" for f in TRAINING_VALIDATE_RULES),
    ],
}

#: Surviving mutants that cannot change any outcome, by (function, the mutated line as
#: mutmut shows it, stripped): the reason.
_LOADER_SUBJECTS = (
    "every teacher has a known subject code (the loader requires one), so the mask is all true"
)
_INDEXED = "demand_matrix() is already indexed by the schools in order and SUBJECTS"
_STRICT = "np.nonzero returns arrays of equal length: zip's strict changes nothing"
_BOUNDARY = (
    "differs only when the value equals the limit plus or minus 1e-9 to the last bit; the "
    "tolerance is there for float noise, and the other side of it is tested"
)
_MASK_UNUSED = (
    "_count_after ignores its mask: the arrivals and residents passed with it are already "
    "those of the mask"
)
_TRIVIAL = "adds `moved >= 0`, which every plan keeps (and which no minimal conflict core contains)"
_PIN_NO_PAIR = (
    "the label of a `to` pin without a candidate move: a diagnosis model (the only one whose "
    "rule instances have labels) keeps every move to another school as a candidate, so this "
    "branch runs only in a model without guards, where `_add` ignores the label (the same "
    "line in the branch of a pin of someone not eligible is killed: test_eligibility_infeasible)"
)
_PIN_NO_PAIR_LINES = (
    "self._add(self._false() == 1, None, sid)",
    'self._add(self._false() == 1, "pin", None)',
    "self._add(self._false() == 1, sid)",
    'self._add(self._false() == 1, "pin", )',
    'self._add(self._false() == 1, "XXpinXX", sid)',
    'self._add(self._false() == 1, "PIN", sid)',
)
_NO_LEAD = (
    "a staff member without a lead school is missing (NaN) or None alike: neither equals a "
    "school id, and both are missing to notna()"
)
EQUIVALENT: dict[tuple[str, str], str] = {
    # ---------------------------------------------------------------- forms (training)
    ("_training_people", "lead = pd.Series(None, index=staff.index, dtype=object)"): _NO_LEAD,
    ("_training_people", "lead = pd.Series(index=staff.index, dtype=object)"): _NO_LEAD,
    (
        "_training_people",
        'if row["group"] and (row["group"] not in best or rank <= best[row["group"]][0]):',
    ): "a rank ends with the school's position, so no two ranks are equal",
    (
        "_training_people",
        'if 0 <= since < 5 and best[g][1] != row["school_id"]:',
    ): "years since hire are whole days / 365.25, never exactly 5 (1826.25 days)",
    (
        "_rotated",
        "return (moved - self._sum_x(idx) if (len(idx)) or True else moved), n",
    ): "the sum of no moves is 0: subtracting it changes nothing",
    # ---------------------------------------------------------------- forms (shares)
    ("coverage_subjects_rule", "break"): (
        "coverage_subjects holds subject codes only (the scenario is validated), so the "
        "`continue` past an unknown subject never runs"
    ),
    **{
        ("coverage_subjects_rule", line): "only len(r) is read, the same for any dtype"
        for line in (
            "r = res.get(s, np.zeros(0, dtype=None))",
            "r = res.get(s, np.zeros(0, ))",
        )
    },
    (
        "coverage_subjects_rule",
        "expr = TENTHS * (fixed + built._count_after(None, s, arr, res))",
    ): _MASK_UNUSED,
    **{
        ("__init__", line): "a CP-SAT variable's name changes no solve"
        for line in (
            'self.serve = [m.new_bool_var("XXXX") for _ in range(len(self.pairs))]',
            'y = m.new_int_var(0, int(row.max_tenths), "XXXX")',
        )
    },
    ("__init__", "for i, row in enumerate(self.pairs.itertuples(index=None)):"): (
        "index=None is falsy, like False"
    ),
    ("__init__", "for i, row in enumerate(self.pairs.itertuples(index=True)):"): (
        "the index becomes an extra first field; the fields are read by name"
    ),
    ("__init__", "if len(gd) >= 1:"): (
        "with one guidance pair the added `serve <= 1` holds for any boolean"
    ),
    (
        "_coverage",
        "low = have.index[(have[subj] <= f.coverage_min - TOL).to_numpy()]",
    ): _BOUNDARY,
    ("_part_time", "for r in rows.itertuples(index=None):"): "index=None is falsy, like False",
    (
        "_part_time",
        "for r in rows.itertuples(index=True):",
    ): "the index becomes an extra first field; the fields are read by name",
    # ---------------------------------------------------------------- model
    ("posts_filled", "self._count_after(None, s, arr, res) == n_res,"): _MASK_UNUSED,
    ("subject_staffing", "expr = self._count_after(None, s, arr, res)"): _MASK_UNUSED,
    ("teacher_rotation_min", "if need >= 0:"): _TRIVIAL,
    ("school_outflow_max", "if cap <= len(idx):"): (
        "adds `leavers <= cap` where cap is everyone: every plan keeps it (and no minimal "
        "conflict core contains it)"
    ),
    ("principal_rotation_min", "if need >= 0:"): _TRIVIAL,
    # ---------------------------------------------------------------- validator
    ("_subject_staffing", "ok = None"): _LOADER_SUBJECTS
    + " and indexing with None adds an axis that np.add.at broadcasts the same way",
    (
        "_subject_staffing",
        "before = np.zeros((len(ids), len(subjects)), dtype=None)",
    ): "float head counts are exact for whole numbers and are compared and printed as int",
    (
        "_subject_staffing",
        "before = np.zeros((len(ids), len(subjects)), )",
    ): "float head counts are exact for whole numbers and are compared and printed as int",
    ("_subject_staffing", "if (len(district.demand)) or True"): (
        "without demand rows demand_matrix() is today's teacher count per school and subject, "
        "which is `before`"
    ),
    (
        "_subject_staffing",
        "district.demand_matrix().reindex(index=None, columns=subjects).to_numpy()",
    ): _INDEXED,
    (
        "_subject_staffing",
        "district.demand_matrix().reindex(index=ids, columns=None).to_numpy()",
    ): _INDEXED,
    (
        "_subject_staffing",
        "district.demand_matrix().reindex(columns=subjects).to_numpy()",
    ): _INDEXED,
    ("_subject_staffing", "district.demand_matrix().reindex(index=ids, ).to_numpy()"): _INDEXED,
    (
        "_subject_staffing",
        "cells = set(zip(*np.nonzero(after != before), strict=None))",
    ): _STRICT,
    ("_subject_staffing", "cells = set(zip(*np.nonzero(after != before), ))"): _STRICT,
    (
        "_subject_staffing",
        "cells = set(zip(*np.nonzero(after != before), strict=False))",
    ): _STRICT,
    ("_subject_staffing", "cells = set(zip(strict=True))"): (
        "a cell whose count changes is one that a mover of the subject leaves or joins, and "
        "those are added right after: the first set is contained in the second"
    ),
    ("_moves", "if dist[k] >= scenario.commute.max_km + TOL:"): _BOUNDARY,
    (
        "_quotas",
        'eligible = elig["eligible"].reindex(district.staff.index).to_numpy(dtype=None)',
    ): "the eligible column is boolean already",
    ("_quotas", 'eligible = elig["eligible"].reindex(None).to_numpy(dtype=bool)'): (
        "eligibility() is indexed by the staff in the district's order: reindexing is a no-op"
    ),
    ("_balance", 'w = sch[f"{lvl}_students"].to_numpy(dtype=None)'): (
        "integer student counts give the same weights and the same `w > 0` as floats"
    ),
    ("_balance", "if not math.isnan(cv) and cv >= cap + TOL:"): _BOUNDARY,
    ("_balance", "low = after.index[(after[ind] <= bal.min_per_100 - TOL).to_numpy()]"): _BOUNDARY,
    ("pins", "for row in pins.itertuples(index=None):"): "index=None is falsy, like False",
    ("pins", "for row in pins.itertuples(index=True):"): (
        "the index becomes an extra first field; the fields are read by name"
    ),
    ("_pins", "for row in pins.itertuples(index=None):"): "index=None is falsy, like False",
    ("_pins", "for row in pins.itertuples(index=True):"): (
        "the index becomes an extra first field; the fields are read by name"
    ),
    ("pins", 'self._add(self._false() == 2, "pin", sid)'): (
        "_false() is the constant 0: `0 == 2` can no more hold than `0 == 1`, under the same guard"
    ),
    **{("pins", line): _PIN_NO_PAIR for line in _PIN_NO_PAIR_LINES},
    ("balance_caps", 'students = self.district.schools["students"].to_numpy(dtype=None)'): (
        "the loader reads students as int64 and the array is used only in "
        "`min_per_100 * students * self.unit / 100.0`, which gives the same floats from int64 "
        "counts as from float ones"
    ),
    (
        "balance_caps",
        "need = np.ceil(bal.min_per_100 * students * self.unit / 100.0 - 1e-9).astype(None)",
    ): "astype(None) is float64: the whole-numbered ceilings are read with int(), the same numbers",
    (
        "balance_caps",
        "coefs = np.round(part.share / part.students * 1000000001.0).astype(np.int64)",
    ): (
        "both sides of `Σ c·T ≥ Σ c·T_before` use the same coefficients; scaling them by "
        "1 + 1e-9 changes a rounded coefficient c (at most 1e9) only when share/students·1e9 "
        "lies less than a billionth of itself below a half-integer, and then by one unit: "
        "a change smaller than the rounding of c itself, below the mean rule's resolution "
        "(a fall of the mean by one unit of it is tested)"
    ),
}


def _copy_tree(dst: Path) -> None:
    """The work tree's files (tracked and new, not ignored) into ``dst``."""
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.split(b"\0")
    for name in files:
        if not name:
            continue
        src = ROOT / os.fsdecode(name)
        if src.is_file():
            (dst / os.fsdecode(name)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst / os.fsdecode(name))


def _select_tests(work: Path, tests: tuple[str, ...]) -> None:
    """In the copy's ``pyproject.toml``: mutate the forms module too, copy what the forms
    tests read (scenarios, data, docs), and run ``tests`` instead of the rule tests."""
    path = work / "pyproject.toml"
    text = path.read_text(encoding="utf-8")
    text = text.replace(
        'only_mutate = ["solver/model/rotation.py", "solver/validate.py"]',
        'only_mutate = ["solver/model/rotation.py", "solver/validate.py", "solver/model/forms.py"]'
        '\nalso_copy = ["scenarios", "data", "docs", "README.md"]',
    )
    text = re.sub(
        r"pytest_add_cli_args_test_selection = \[[^\]]*\]",
        "pytest_add_cli_args_test_selection = [" + ", ".join(f'"{t}"' for t in tests) + "]",
        text,
    )
    path.write_text(text, encoding="utf-8")


def _mutmut() -> list[str]:
    exe = Path(sys.executable).with_name("mutmut")
    return [str(exe)] if exe.exists() else ["mutmut"]


def _function(mutant: str) -> str:
    name = mutant.rsplit("__mutmut_", 1)[0]
    return re.split(r"\.x_?|ǁ", name)[-1]


def _mutated_line(diff: str) -> str:
    """The first added line of a mutant's diff (what the mutant changed the code to)."""
    for line in diff.splitlines():
        if line.startswith("+") and not line.startswith("+++"):
            return line[1:].strip()
    return ""


def _all() -> list[str]:
    return [p for v in TARGETS.values() for p in v]


def _selected(name: str, patterns: list[str]) -> bool:
    return any(re.fullmatch(p.replace("*", r"\d+"), name) for p in patterns)


def _status(work: Path, patterns: list[str]) -> dict[str, str]:
    """mutmut's verdict on each selected mutant of the copy in ``work``."""
    listing = subprocess.run(
        [*_mutmut(), "results", "--all", "true"],
        cwd=work,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    status: dict[str, str] = {}
    for line in listing.splitlines():
        name, _, state = line.strip().rpartition(": ")
        if _selected(name, patterns):
            status[name] = state
    return status


def _report(work: Path, status: dict[str, str]) -> int:
    """Print the table per method and every survivor not listed as equivalent; return how
    many there are."""
    survivors, equivalent = [], []
    for name in sorted(status):
        if status[name] != "survived":
            continue
        diff = subprocess.run(
            [*_mutmut(), "show", name], cwd=work, check=True, capture_output=True, text=True
        ).stdout
        key = (_function(name), _mutated_line(diff))
        (equivalent if key in EQUIVALENT else survivors).append((name, key, diff))
    by_fn: dict[str, Counter] = {}
    for name, state in status.items():
        by_fn.setdefault(_function(name), Counter())[state] += 1
    for name, _key, _ in equivalent:
        by_fn[_function(name)]["equivalent"] += 1
        by_fn[_function(name)]["survived"] -= 1
    print(f"\n{'function':32} {'mutants':>7} {'killed':>7} {'equiv.':>7} {'survived':>8} other")
    total: Counter = Counter()
    for fn, c in by_fn.items():
        n = sum(c.values())  # (an equivalent mutant was moved out of survived)
        other = {k: v for k, v in c.items() if k not in ("killed", "survived", "equivalent") and v}
        print(f"{fn:32} {n:7} {c['killed']:7} {c['equivalent']:7} {c['survived']:8} {other or ''}")
        total.update(c)
    n_all = sum(total.values())
    judged = n_all - total["equivalent"]
    print(
        f"\n{n_all} mutants: {total['killed']} killed, {total['equivalent']} equivalent "
        f"(listed with reasons), {total['survived']} survived; kill rate "
        f"{total['killed'] / max(judged, 1):.1%} of the {judged} that are not equivalent"
    )
    for name, key, diff in survivors:
        print(f"\nSURVIVED {name}  ({key[0]}: {key[1]})\n{diff}")
    return len(survivors)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", choices=sorted(TARGETS), help="mutate one module's rules only")
    ap.add_argument("--children", type=int, default=2, help="parallel test runs (default 2)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary copy (mutmut show)")
    ap.add_argument("--nice", type=int, default=10, help="niceness of the run (default 10)")
    ap.add_argument(
        "--resume",
        metavar="DIR",
        help="a copy kept by --keep: bring its tests up to date and run again only the "
        "mutants that were not killed (after adding tests)",
    )
    ap.add_argument(
        "mutants",
        nargs="*",
        help="run only these mutants (mutmut's names, or a method's pattern ending in __mutmut_*; by default every mutant of the rules)",
    )
    ap.add_argument(
        "--equivalents", action="store_true", help="print the equivalent mutants (Markdown)"
    )
    ap.add_argument("--report", metavar="DIR", help="only summarise a copy kept by --keep")
    args = ap.parse_args(argv)
    if args.equivalents:
        for (fn, line), why in EQUIVALENT.items():
            print(f"- `{fn}`: `{line}`: {why}.")
        return 0
    if args.report:
        return 1 if _report(Path(args.report), _status(Path(args.report), _all())) else 0
    # the default run: the model's and the validator's rules (the forms: --only forms)
    patterns = TARGETS[args.only] if args.only else [*TARGETS["model"], *TARGETS["validate"]]
    if args.mutants:
        outside = [m for m in args.mutants if m not in patterns and not _selected(m, patterns)]
        if outside:
            ap.error(f"not mutants of the rule methods: {', '.join(outside)}")
        patterns = list(args.mutants)
    run = ["nice", "-n", str(args.nice), *_mutmut(), "run", "--max-children", str(args.children)]

    work = Path(args.resume) if args.resume else Path(tempfile.mkdtemp(prefix="lungang-mutation-"))
    try:
        if args.resume:
            for dst in (work / "tests", work / "mutants" / "tests"):
                shutil.rmtree(dst, ignore_errors=True)
                shutil.copytree(ROOT / "tests", dst, ignore=shutil.ignore_patterns("__pycache__"))
            again = args.mutants or [
                n for n, st in _status(work, patterns).items() if st != "killed"
            ]
            if again:
                subprocess.run([*run, *again], cwd=work, check=False)
        else:
            _copy_tree(work)
            if args.only in RUN_TESTS:
                _select_tests(work, RUN_TESTS[args.only])
            subprocess.run([*run, *patterns], cwd=work, check=False)
        status = _status(work, patterns)
        left = _report(work, status)
        if args.keep or args.resume:
            print(f"\nthe copy is kept in {work}")
        return 1 if left else 0
    finally:
        if not (args.keep or args.resume):
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
