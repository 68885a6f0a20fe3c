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

from ..errors import InfeasibleError, NoPlanError
from ..input.data import District
from ..input.scenario import Scenario
from ..model.rotation import OBJ_UNIT, RotationModel
from ..model.terms import evaluate_terms, objective_value
from ..rules.eligibility import eligibility
from ..rules.moves import MoveMasks


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
#: After the LP-guided search, the full model is searched from its plan only up to this
#: size: above it the full search costs memory (1.5 GB at 125,000 moves) and, measured on
#: the seed scenarios, did not improve the plan.
FULL_SEARCH_MAX_PAIRS = 30_000
#: Share of the remaining time limit the LP-guided search gives its LP relaxation.
LP_SHARE = 0.7


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


def build(
    district: District,
    scenario: Scenario,
    progress: ProgressFn | None = None,
    warm_start: bool = True,
    elig: pd.DataFrame | None = None,
    masks: MoveMasks | None = None,
) -> tuple[RotationModel, float]:
    """Build the model (and, for big ones, its warm start); returns it and the build seconds.

    ``elig`` and ``masks`` (for that eligibility) are reused when given."""
    say = progress or (lambda _msg: None)
    t0 = time.perf_counter()
    elig = eligibility(district, scenario) if elig is None else elig
    built = RotationModel(district, scenario, elig=elig, masks=masks)
    build_seconds = time.perf_counter() - t0
    say(
        f"model: {len(built.people)} eligible, {len(built.pairs)} candidate moves, "
        f"built in {build_seconds:.2f} s"
    )
    built.warm_choice = None
    if warm_start and len(built.pairs) >= HINT_MIN_PAIRS:
        # Big models: start CP-SAT from a feasible plan of paired exchanges.
        from .heuristic import swap_plan

        choice = swap_plan(built)
        if choice is not None:
            built.add_hint(choice)
            ok = built.complete_hint()
            built.warm_choice = choice if ok else None
            say(
                f"warm start: {int((choice >= 0).sum())} moves by paired exchange ({'used' if ok else 'rejected'})"
            )
    return built, build_seconds


def _search(built: RotationModel, time_limit_s: float, say: ProgressFn | None):
    """One CP-SAT search on ``built`` with the scenario's settings and a time limit."""
    solver = solver_parameters(built.scenario)
    solver.parameters.max_time_in_seconds = max(time_limit_s, 0.5)
    t = time.perf_counter()
    code = solver.solve(built.model, _Progress(say) if say else None)
    return solver, code, time.perf_counter() - t


def _guided(built: RotationModel, say: ProgressFn, progress: ProgressFn | None, deadline: float):
    """LP-guided search for big models.

    Solve the LP relaxation of the full model (HiGHS); its optimum is mostly integral,
    so the model restricted to the moves the LP uses (plus the warm start's) holds
    near-optimal plans and is small enough for CP-SAT to search well from the LP's
    rounding. Returns ``(lp_bound, restricted model, solver, status)``, or ``None``
    when highspy is missing or the LP does not finish in time.
    """
    from .lp import relaxation

    # The LP is the search's guide and bound: most of the time goes to it (40,000 staff:
    # about 20 s of 60), CP-SAT then needs little on the restricted model.
    lp = relaxation(
        built.model.proto,
        max(1.0, LP_SHARE * (deadline - time.perf_counter())),
        built.scenario.solver.workers,
    )
    if lp is None:
        return None
    bound, values = lp
    x_values = values[np.array([v.index for v in built.x], dtype=np.int64)]
    keep = [np.flatnonzero(x_values > 1e-6)]
    if built.warm_choice is not None:
        keep.append(built.warm_choice[built.warm_choice >= 0])
    keys = np.unique(built.pair_keys(np.unique(np.concatenate(keep))))
    small = RotationModel(
        built.district, built.scenario, elig=built.elig, restrict=keys, masks=built.masks
    )
    small.add_hint(small.choice_from(built, x_values > 0.5))
    say(f"LP bound {bound / OBJ_UNIT:.4f}; searching the {len(small.pairs)} moves the LP uses")
    solver, code, _ = _search(small, deadline - time.perf_counter(), progress and say)
    return bound / OBJ_UNIT, small, solver, code


def _check(code, built: RotationModel) -> None:
    """Raise the contract's error for a search that found no plan."""
    if code == cp_model.INFEASIBLE:
        from .diagnose import diagnose

        raise InfeasibleError(*diagnose(built.district, built.scenario, built.elig))
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        if code == cp_model.MODEL_INVALID:
            raise RuntimeError(f"CP-SAT rejected the model: {built.model.validate()}")
        raise NoPlanError(
            f"no plan found within the time limit ({built.scenario.solver.time_limit_s:g} s); "
            "raise [solver] time_limit_s or --time-limit"
        )


def run(
    built: RotationModel,
    progress: ProgressFn | None = None,
    build_seconds: float = 0.0,
    guided: bool = True,
) -> Result:
    """Solve a built model with the scenario's solver settings and return the plan.

    Big models (``HINT_MIN_PAIRS`` candidate moves or more) are searched through their
    LP relaxation (:func:`_guided`); the bound reported is then the LP's, which holds
    for the full model. Smaller models, or when that fails, are searched whole; so is
    every model with ``guided=False`` (needed when constraints were added to
    ``built.model``, which the restricted model would not have).

    Raises
    ------
    InfeasibleError
        The rules cannot all hold; ``diagnosis`` names the conflicting rules.
    NoPlanError
        No plan was found within the time limit.
    """
    say = progress or (lambda _msg: None)
    t0 = time.perf_counter()
    deadline = t0 + built.scenario.solver.time_limit_s
    if guided and len(built.pairs) >= HINT_MIN_PAIRS:
        found = _guided(built, say, progress, deadline)
        if found is not None and found[3] in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            lp_bound, small, solver, code = found
            left = deadline - time.perf_counter()
            if (
                left > 0.1 * built.scenario.solver.time_limit_s
                and len(built.pairs) <= FULL_SEARCH_MAX_PAIRS
                and solver.objective_value / OBJ_UNIT > lp_bound + 1e-6
            ):
                # Time left: the full model, started from the restricted plan, may improve it
                # and prove a better bound.
                say(
                    f"restricted plan {solver.objective_value / OBJ_UNIT:.4f}; searching the full model from it"
                )
                built.add_hint(
                    built.choice_from(small, solver.boolean_values(small.x).to_numpy(dtype=bool))
                )
                if built.complete_hint():
                    full, full_code, _ = _search(
                        built, deadline - time.perf_counter(), progress and say
                    )
                    if full_code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                        return _result(
                            built,
                            full,
                            full_code,
                            built.elig,
                            build_seconds,
                            time.perf_counter() - t0,
                            lp_bound=lp_bound,
                        )
            # The restricted model's own bound and optimality say nothing of the full model:
            # the plan is optimal only when it meets the LP bound.
            tight = solver.objective_value / OBJ_UNIT <= lp_bound + 1e-9 * max(1.0, abs(lp_bound))
            return _result(
                small,
                solver,
                cp_model.OPTIMAL if tight else cp_model.FEASIBLE,
                built.elig,
                build_seconds,
                time.perf_counter() - t0,
                lp_bound=lp_bound,
                own_bound=False,
            )
        say("LP-guided search found no plan; searching the full model")
    solver, code, _ = _search(built, deadline - time.perf_counter(), progress and say)
    _check(code, built)
    return _result(built, solver, code, built.elig, build_seconds, time.perf_counter() - t0)


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
    from ..rules.moves import permitted_moves
    from ..rules.precheck import precheck
    from .diagnose import diagnose

    elig = eligibility(district, scenario)
    moves = permitted_moves(district, scenario, elig)
    if precheck(district, scenario, elig, moves):  # cheap counting proofs, before any solve
        raise InfeasibleError(*diagnose(district, scenario, elig))
    if scenario.balance.objective == "lexicographic":
        from .lexicographic import solve_lexicographic

        return solve_lexicographic(district, scenario, progress=progress)
    built, build_seconds = build(district, scenario, progress, elig=elig, masks=moves)
    return run(built, progress, build_seconds)


def _result(
    built: RotationModel,
    solver: cp_model.CpSolver,
    code,
    elig,
    build_s,
    solve_s,
    lp_bound: float | None = None,
    own_bound: bool = True,
) -> Result:
    ppl, pairs = built.people, built.pairs
    stay = (
        solver.boolean_values(built.stay).to_numpy(dtype=bool)
        if len(built.stay)
        else np.zeros(0, bool)
    )
    chosen = (
        solver.boolean_values(built.x).to_numpy(dtype=bool) if len(built.x) else np.zeros(0, bool)
    )
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
        best_bound=min(
            max(
                solver.best_objective_bound / OBJ_UNIT if own_bound else -np.inf,
                lp_bound or -np.inf,
            ),
            objective_value(built.scenario, terms),
        ),
        solve_seconds=solve_s,
        build_seconds=build_s,
        assignments=assignments,
        terms=terms,
        eligibility=elig,
        stats={
            "candidate_moves": float(len(pairs)),
            # 0: every permitted school; k: each teacher's k nearest (the bound holds for those)
            "candidates_per_teacher": float(getattr(built, "candidates_limit", 0) or 0),
            "variables": float(len(built.model.proto.variables)),
            "constraints": float(len(built.model.proto.constraints)),
            "deterministic_time": solver.deterministic_time
            if hasattr(solver, "deterministic_time")
            else float("nan"),
        },
    )
