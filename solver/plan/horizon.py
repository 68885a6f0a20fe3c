"""What a multi-year plan gives back: one :class:`~solver.plan.result.Result` per year
and the horizon's own figures (:class:`HorizonResult`)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from ..errors import InfeasibleError, NoPlanError
from ..input.data import District
from ..input.scenario import Scenario
from .result import Result, SolveStatus


@dataclass(frozen=True)
class HorizonResult:
    """A plan of several school years, or why there is none.

    ``years[y - 1]`` is year y's plan as a single-year :class:`Result` on
    ``states[y - 1]``, the district at the start of year y once the plan's earlier
    years are carried out, under ``scenarios[y - 1]`` (``as_of`` moved on). Year 1 is
    binding, later years are provisional. ``returns[y - 1]`` are the staff who come
    back to their post school at the start of year y. ``next_state`` is the district
    at the start of the year after the horizon, ``after_year1`` at the start of year 2
    (what next year's run reads). ``objective`` and ``best_bound`` are of the whole
    horizon (Σ over years of Σ weight · term); ``coverage`` has ``eligible`` (people
    eligible in at least one year), ``moved`` (of them, who move in some year),
    ``share``, ``required`` and ``coverage_min``. ``method`` is ``joint`` (one model
    for all years), ``myopic`` (each year solved alone, in turn) or ``staged`` (year by
    year with coverage carried forward: :func:`solver.search.horizon.plan_staged`).
    """

    status: SolveStatus
    objective: float
    best_bound: float
    solve_seconds: float
    build_seconds: float
    method: str
    years: list[Result] = field(default_factory=list)
    states: list[District] = field(default_factory=list)
    scenarios: list[Scenario] = field(default_factory=list)
    returns: list[pd.Index] = field(default_factory=list)
    next_state: District | None = None
    after_year1: District | None = None
    coverage: dict = field(default_factory=dict)
    stats: dict = field(default_factory=dict)
    message: str = ""
    diagnosis: dict | None = None
    #: What ``best_bound`` holds for (:data:`solver.plan.result.BOUND_SCOPES`): the joint
    #: model's own bound is the problem's only when no year's moves were pruned.
    bound_scope: str = "full_model"
    #: Which bound ``best_bound`` is: ``cp_sat`` (CP-SAT's on the joint model), ``lp``
    #: (the LP relaxation's: :mod:`solver.search.horizon_bound`) or ``none``.
    bound_source: str = "none"

    @property
    def gap(self) -> float:
        """Relative gap between the horizon's plan and its proven bound."""
        if self.status is SolveStatus.OPTIMAL:
            return 0.0
        if not self.status.has_plan or math.isnan(self.best_bound):
            return math.nan
        return abs(self.objective - self.best_bound) / max(abs(self.objective), 1e-9)

    def raise_for_status(self) -> HorizonResult:
        """This result when it has a plan; else the contract's error (exit 3 or 4)."""
        if self.status is SolveStatus.INFEASIBLE:
            raise InfeasibleError(self.message, self.diagnosis or {})
        if self.status is SolveStatus.NO_PLAN:
            raise NoPlanError(self.message)
        return self

    def summary(self) -> str:
        if not self.status.has_plan:
            return f"{self.status.value}: {self.message}"
        moved = [int(r.assignments["moved"].sum()) for r in self.years]
        cov = self.coverage
        return (
            f"{self.status.value} ({self.method}, {len(self.years)} years): objective "
            f"{self.objective:.4f}, bound {self.best_bound:.4f}, gap {100 * self.gap:.2f}%, "
            f"moves per year {moved}, coverage {cov.get('moved', 0)} of {cov.get('eligible', 0)}"
            f" ({100 * cov.get('share', 0.0):.1f}%), {self.solve_seconds:.1f} s"
        ) + (
            "\nnote: the bound and the gap hold only for the candidate moves the model "
            "kept (each teacher's nearest permitted schools), not for every move the "
            "rules permit"
            if self.bound_scope == "kept_candidates"
            else ""
        )
