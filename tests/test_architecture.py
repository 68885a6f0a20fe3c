"""The package's architecture holds: layers, no import cycles, one place for CP-SAT.

docs/architecture.md describes the layers; pyproject.toml states them as import-linter
contracts, which see every import, in functions too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import grimp
from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "solver"


def test_import_contracts_are_kept():
    """The layers, the validator's independence and acyclic packages (pyproject.toml)."""
    assert lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True) == 0


def test_no_import_cycle_between_any_two_modules():
    """No module of solver/ reaches itself through imports, at module level or in functions."""
    graph = grimp.build_graph("solver", cache_dir=None)
    cycles = []
    for m in sorted(graph.modules):
        for imported in graph.find_modules_directly_imported_by(m):
            if imported != m and graph.chain_exists(imported, m):
                cycles.append((m, imported))
    assert cycles == []


def test_the_validator_reaches_no_model_code():
    """solver.validate imports nothing, even indirectly, of the plan, model or search layers."""
    graph = grimp.build_graph("solver", cache_dir=None)
    reached = graph.find_upstream_modules("solver.validate")
    assert not {
        m for m in reached if m.startswith(("solver.model", "solver.search", "solver.plan"))
    }


def test_cp_sat_solvers_are_made_in_one_module():
    """CpSolver() is called in solver/search/engine.py only (also in benchmarks/)."""
    calls = []
    for path in [*PACKAGE.rglob("*.py"), *(ROOT / "benchmarks").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                f = node.func
                name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", None)
                if name == "CpSolver":
                    calls.append(path.relative_to(ROOT).as_posix())
    assert calls == ["solver/search/engine.py"]
