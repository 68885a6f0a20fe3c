"""Solve one year's rotation: build the model, run CP-SAT, return a :class:`Result`.

Writing files is a separate step (:mod:`solver.output`).
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from .data import District
from .eligibility import eligibility
from .errors import InfeasibleError, NoPlanError
from .model import OBJ_UNIT, RotationModel
from .objective import evaluate_terms, objective_value
from .scenario import Scenario


class SolveStatus(enum.StrEnum):
    OPTIMAL = "optimal"
    FEASIBLE = "feasible"


@dataclass(frozen=True)
class Result:
    """A solved plan and how good it is.

    ``assignments`` has one row per eligible staff member (index ``staff_id``) with
    ``name, role, stream, subject, key_level, from_school, to_school, moved,
    distance_km``. ``terms`` holds each named objective term's value (in its own
    unit: balance points, km, moves); ``objective`` = Σ weight · term.
    """

    status: SolveStatus
    objective: float
    best_bound: float
    solve_seconds: float
    build_seconds: float
    assignments: pd.DataFrame
    terms: dict[str, float]
    eligibility: pd.DataFrame
    stats: dict[str, float] = field(default_factory=dict)

    @property
    def gap(self) -> float:
        """Relative gap between the plan and the proven bound (0 when optimal)."""
        if self.status is SolveStatus.OPTIMAL:
            return 0.0
        return abs(self.objective - self.best_bound) / max(abs(self.objective), 1e-9)

    def summary(self) -> str:
        moved = int(self.assignments["moved"].sum())
        return (
            f"{self.status.value}: objective {self.objective:.4f}, bound {self.best_bound:.4f}, "
            f"gap {100 * self.gap:.2f}%, {moved} of {len(self.assignments)} eligible move, "
            f"{self.solve_seconds:.1f} s"
        )


ProgressFn = Callable[[str], None]
#: Models with at least this many candidate moves get a warm start (small ones solve
#: faster without, and stay bit-for-bit reproducible either way).
HINT_MIN_PAIRS = 5000


class _Progress(cp_model.CpSolverSolutionCallback):
    """Reports each improving plan (objective and bound) as it is found."""

    def __init__(self, say: ProgressFn):
        super().__init__()
        self._say = say
        self._start = time.perf_counter()

    def on_solution_callback(self) -> None:
        self._say(
            f"{time.perf_counter() - self._start:7.2f} s  plan {self.objective_value / OBJ_UNIT:.4f}"
            f"  bound {self.best_objective_bound / OBJ_UNIT:.4f}"
        )


def solver_parameters(scenario: Scenario) -> cp_model.CpSolver:
    """A CP-SAT solver set from ``[solver]``: workers, seed, limits and determinism.

    ``time_limit_s`` is wall-clock. With ``deterministic`` the workers' searches are
    interleaved deterministically, so a run that ends by proving optimality, or by
    the ``work_limit`` budget of deterministic time, gives the same plan every time.
    """
    st = scenario.solver
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.num_workers = st.workers
    p.random_seed = st.seed
    p.max_time_in_seconds = st.time_limit_s
    if st.work_limit is not None:
        p.max_deterministic_time = st.work_limit
    if st.deterministic and st.workers > 1:
        p.interleave_search = True
    return solver


def build(district: District, scenario: Scenario, progress: ProgressFn | None = None,
          warm_start: bool = True) -> tuple[RotationModel, float]:
    """Build the model (and, for big ones, its warm start); returns it and the build seconds."""
    say = progress or (lambda _msg: None)
    t0 = time.perf_counter()
    built = RotationModel(district, scenario, elig=eligibility(district, scenario))
    build_seconds = time.perf_counter() - t0
    say(
        f"model: {len(built.people)} eligible, {len(built.pairs)} candidate moves, "
        f"built in {build_seconds:.2f} s"
    )
    if warm_start and len(built.pairs) >= HINT_MIN_PAIRS:
        # Big models: start CP-SAT from a feasible plan of paired exchanges.
        from .heuristic import swap_plan

        choice = swap_plan(built)
        if choice is not None:
            built.add_hint(choice)
            ok = built.complete_hint()
            say(f"warm start: {int((choice >= 0).sum())} moves by paired exchange ({'used' if ok else 'rejected'})")
    return built, build_seconds


def run(built: RotationModel, progress: ProgressFn | None = None, build_seconds: float = 0.0) -> Result:
    """Solve a built model with the scenario's solver settings and return the plan.

    Raises
    ------
    InfeasibleError
        The rules cannot all hold; ``diagnosis`` names the conflicting rules.
    NoPlanError
        No plan was found within the time limit.
    """
    say = progress or (lambda _msg: None)
    scenario = built.scenario
    solver = solver_parameters(scenario)
    t1 = time.perf_counter()
    code = solver.solve(built.model, _Progress(say) if progress else None)
    solve_seconds = time.perf_counter() - t1
    if code == cp_model.INFEASIBLE:
        from .diagnose import diagnose

        raise InfeasibleError(*diagnose(built.district, scenario, built.elig))
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        if code == cp_model.MODEL_INVALID:
            raise RuntimeError(f"CP-SAT rejected the model: {built.model.validate()}")
        raise NoPlanError(
            f"no plan found within the time limit ({scenario.solver.time_limit_s:g} s); "
            "raise [solver] time_limit_s or --time-limit"
        )
    return _result(built, solver, code, built.elig, build_seconds, solve_seconds)


def solve(
    district: District,
    scenario: Scenario,
    progress: ProgressFn | None = None,
) -> Result:
    """Plan one year of rotation: :func:`build`, then :func:`run`.

    Raises
    ------
    InfeasibleError
        The rules cannot all hold; ``diagnosis`` names the conflicting rules.
    NoPlanError
        No plan was found within the time limit.
    """
    if scenario.balance.objective == "lexicographic":
        from .lexicographic import solve_lexicographic

        return solve_lexicographic(district, scenario, progress=progress)
    built, build_seconds = build(district, scenario, progress)
    return run(built, progress, build_seconds)


def _result(built: RotationModel, solver: cp_model.CpSolver, code, elig, build_s, solve_s) -> Result:
    ppl, pairs = built.people, built.pairs
    stay = solver.boolean_values(built.stay).to_numpy(dtype=bool) if len(built.stay) else np.zeros(0, bool)
    chosen = solver.boolean_values(built.x).to_numpy(dtype=bool) if len(built.x) else np.zeros(0, bool)
    dest = ppl["home"].to_numpy().copy()
    dist = np.zeros(len(ppl))
    sel = pairs[chosen]
    dest[sel["p"].to_numpy()] = sel["s"].to_numpy()
    dist[sel["p"].to_numpy()] = sel["dist_km"].to_numpy()
    ids = built.district.schools.index
    assignments = pd.DataFrame(
        {
            "name": ppl["name"],
            "role": ppl["role"],
            "stream": ppl["stream"],
            "subject": ppl["subject"],
            "key_level": ppl["key_level"],
            "from_school": ppl["school_id"],
            "to_school": ids[dest].to_numpy(),
            "moved": ~stay,
            "distance_km": np.round(dist, 3),
        },
        index=ppl.index,
    )
    # Terms from the plan itself (exact), not from the model's integer scaling.
    school_pos = built.district.staff_school_pos()
    staff_pos = built.district.staff.index.get_indexer(ppl.index)
    school_pos[staff_pos] = dest
    moved = np.zeros(len(built.district.staff), dtype=bool)
    moved[staff_pos] = ~stay
    km = np.zeros(len(built.district.staff))
    km[staff_pos] = dist
    terms = evaluate_terms(built.district, built.scenario, school_pos, km, moved)
    return Result(
        status=SolveStatus.OPTIMAL if code == cp_model.OPTIMAL else SolveStatus.FEASIBLE,
        objective=objective_value(built.scenario, terms),
        # the model's bound, in its integer scaling (never above the plan's exact value)
        best_bound=min(solver.best_objective_bound / OBJ_UNIT, objective_value(built.scenario, terms)),
        solve_seconds=solve_s,
        build_seconds=build_s,
        assignments=assignments,
        terms=terms,
        eligibility=elig,
        stats={
            "candidate_moves": float(len(pairs)),
            "variables": float(len(built.model.proto.variables)),
            "constraints": float(len(built.model.proto.constraints)),
            "deterministic_time": solver.deterministic_time if hasattr(solver, "deterministic_time") else float("nan"),
        },
    )
