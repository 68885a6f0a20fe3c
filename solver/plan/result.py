"""What a solve gives back: a :class:`Result` with its :class:`SolveStatus`.

A result is a value: the plan found (or none), how good it is and how it was found.
Writing files is a separate step (:mod:`solver.output.plan_folder.plan_folder`).
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field

import pandas as pd

from ..errors import InfeasibleError, NoPlanError
from ..rules.forms import empty_shares


class SolveStatus(enum.StrEnum):
    """How a solve ended: with a plan (``optimal``, ``feasible``) or without one
    (``infeasible``: the rules cannot all hold; ``no_plan``: none found in time)."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    NO_PLAN = "no_plan"

    @property
    def has_plan(self) -> bool:
        return self in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE)


#: What a result's ``best_bound`` holds for (``summary.json`` ``bound_scope``): the first
#: three are bounds of the problem as written, the last of the kept candidate moves only.
BOUND_SCOPES = ("full_model", "full_lp", "lagrangian", "kept_candidates")
#: The scopes whose bound holds for the problem as written.
FULL_SCOPES = ("full_model", "full_lp", "lagrangian")

#: The columns of ``Result.assignments`` (index ``staff_id``).
RESULT_COLUMNS = (
    "name",
    "role",
    "stream",
    "subject",
    "key_level",
    "from_school",
    "to_school",
    "moved",
    "distance_km",
)


@dataclass(frozen=True)
class Result:
    """A solved plan and how good it is, or why there is none.

    ``assignments`` has one row per eligible staff member (index ``staff_id``) with
    ``name, role, stream, subject, key_level, from_school, to_school, moved,
    distance_km``. ``terms`` holds each named objective term's value (in its own
    unit: balance points, km, moves); ``objective`` = Σ weight · term.

    ``best_bound`` is a lower bound of the objective and ``bound_scope`` says what it
    holds for (:data:`BOUND_SCOPES`): the problem as written (``full_model``: the
    search's own bound with every permitted move in the model; ``full_lp``: the LP of
    every permitted move, pruned ones priced in; ``lagrangian``: a Lagrangian bound of
    that LP) or, with ``kept_candidates``, only the candidate moves the model kept.
    ``gap`` is against it.

    Without a plan (``status`` ``infeasible`` or ``no_plan``) ``assignments`` is empty,
    ``objective`` and ``best_bound`` are NaN, ``message`` says why and, when the rules
    cannot all hold, ``diagnosis`` names them (:func:`solver.search.diagnose.diagnose`).
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
    message: str = ""
    diagnosis: dict | None = None
    #: The placement's record and fairness report (``[placement]``;
    #: :func:`solver.search.placement.place`), None when placement is not used.
    placement: dict | None = None
    #: Part-time and guidance shares (``part_time.csv``: staff_id, name, subject,
    #: home_school, to_school, share, form, distance_km); empty without ``[forms]``.
    part_time: pd.DataFrame = field(default_factory=empty_shares)
    bound_scope: str = "full_model"

    def __post_init__(self) -> None:
        if self.status.has_plan and math.isnan(self.objective):
            raise ValueError(f"a {self.status.value} result needs an objective value")
        if self.bound_scope not in BOUND_SCOPES:
            raise ValueError(f"bound_scope {self.bound_scope!r} is not one of {BOUND_SCOPES}")

    @property
    def bound_holds_for_problem(self) -> bool:
        """Whether ``best_bound`` is a bound of the problem as written (not only of the
        kept candidate moves)."""
        return self.bound_scope in FULL_SCOPES

    @classmethod
    def without_plan(
        cls,
        status: SolveStatus,
        message: str,
        eligibility: pd.DataFrame,
        diagnosis: dict | None = None,
        build_seconds: float = 0.0,
        solve_seconds: float = 0.0,
    ) -> Result:
        """A result of an ``infeasible`` or ``no_plan`` solve."""
        if status.has_plan:
            raise ValueError(f"status {status.value} has a plan")
        return cls(
            status=status,
            objective=math.nan,
            best_bound=math.nan,
            solve_seconds=solve_seconds,
            build_seconds=build_seconds,
            assignments=pd.DataFrame(columns=list(RESULT_COLUMNS)).rename_axis("staff_id"),
            terms={},
            eligibility=eligibility,
            message=message,
            diagnosis=diagnosis,
        )

    @property
    def gap(self) -> float:
        """Relative gap between the plan and the proven bound (0 when optimal)."""
        if self.status is SolveStatus.OPTIMAL:
            return 0.0
        if not self.status.has_plan:
            return math.nan
        return abs(self.objective - self.best_bound) / max(abs(self.objective), 1e-9)

    def raise_for_status(self) -> Result:
        """This result when it has a plan; else the documented error (exit 3 or 4)."""
        if self.status is SolveStatus.INFEASIBLE:
            raise InfeasibleError(self.message, self.diagnosis)
        if self.status is SolveStatus.NO_PLAN:
            raise NoPlanError(self.message)
        return self

    def summary(self) -> str:
        if not self.status.has_plan:
            return f"{self.status.value}: {self.message}"
        moved = int(self.assignments["moved"].sum())
        text = (
            f"{self.status.value}: objective {self.objective:.4f}, bound {self.best_bound:.4f}, "
            f"gap {100 * self.gap:.2f}%, {moved} of {len(self.assignments)} eligible move, "
            f"{self.solve_seconds:.1f} s"
        )
        if not self.bound_holds_for_problem:
            text += (
                "\nnote: the bound and the gap hold only for the candidate moves the model "
                "kept (each teacher's nearest permitted schools), not for every move the "
                "rules permit"
            )
        return text
