"""Lexicographic objective and staged searches: one term at a time, each holding the last.

``[balance] objective = "lexicographic"`` solves in three stages on one model:

1. minimise the ``balance`` term (the ``cv`` measure, :mod:`solver.objective`);
2. hold ``balance ≤`` the value found (an integer in the model's units, so exactly the
   stage-1 plan's value) and minimise ``commute``;
3. hold ``commute ≤`` its value too and minimise ``moves``.

Each stage starts from the previous stage's plan (a complete solution hint, so a stage
never ends worse than the one before) and gets a share of ``time_limit_s``: stage 1
half, stage 2 half of what is left, stage 3 the rest (a stage that proves optimality
early hands its time on).

Big models (``HINT_MIN_PAIRS`` candidate moves or more) are searched stage by stage as
:func:`solver.solve.run` searches them: the LP relaxation of the stage (with the holds)
gives a bound and CP-SAT searches the moves the LP uses plus the last plan's; such a
stage is optimal only when it meets the LP bound.

The :class:`~solver.solve.Result` reads as for any other objective: ``terms`` are the
plan's exact term values and ``objective`` is still Σ weight · term with the
scenario's weights (which play no part in the search). ``status`` is ``optimal`` only
when all three stages proved optimality. ``best_bound`` is Σ weight · (each stage's proven bound):
a lower bound on Σ weight · term of the true lexicographic optimum (stage k's bound
holds over a set of plans that contains it, because the earlier stages held values
no better than the true optima). ``stats`` has, per stage ``t``, ``lex_<t>_value``,
``lex_<t>_bound`` (term units), ``lex_<t>_seconds`` and ``lex_<t>_optimal`` (1 or 0).

:class:`StagedModel` is the machinery, also used by the trade-off sweep of
:mod:`solver.compare`: each term is tied to an integer variable whose upper bound can
be set and released between searches.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from ..errors import InfeasibleError, NoPlanError
from ..input.data import District
from ..input.scenario import Scenario
from ..model.rotation import RotationModel
from ..model.terms import TERMS
from .solve import (
    FULL_SEARCH_MAX_PAIRS,
    HINT_MIN_PAIRS,
    ProgressFn,
    Result,
    SolveStatus,
    _result,
    build,
    solver_parameters,
)

#: Upper bound of a term variable when it is not held (far above any term's value).
FREE = 2**53
#: Order of the lexicographic stages and each one's share of the time still left.
STAGES: tuple[tuple[str, float], ...] = (("balance", 0.5), ("commute", 0.5), ("moves", 1.0))


@dataclass(frozen=True)
class Stage:
    """One search of a :class:`StagedModel`: which term it minimised and how it ended.

    ``value`` and ``bound`` are in the model's integer units of the term (divide by
    ``divisor`` for balance points, km or moves); ``value`` is ``None`` when no plan
    was found.
    """

    term: str
    code: int
    value: int | None
    bound: float
    divisor: int
    seconds: float

    @property
    def optimal(self) -> bool:
        return self.code == cp_model.OPTIMAL

    @property
    def found(self) -> bool:
        return self.value is not None


class _Report(cp_model.CpSolverSolutionCallback):
    def __init__(self, say: ProgressFn, term: str, divisor: int):
        super().__init__()
        self._say, self._term, self._div = say, term, divisor
        self._start = time.perf_counter()

    def on_solution_callback(self) -> None:
        self._say(
            f"{time.perf_counter() - self._start:7.2f} s  {self._term} {self.objective_value / self._div:.4f}"
            f"  bound {self.best_objective_bound / self._div:.4f}"
        )


class StagedModel:
    """A built :class:`~solver.model.RotationModel` searched one term at a time.

    Each named term (``balance``, ``commute``, ``moves``) gets an integer variable equal
    to its expression; :meth:`hold` bounds it from above, :meth:`minimize` searches for
    the best plan on one term under the current holds, starting from the last plan
    found (a complete hint, so a search never ends worse than the plan it starts from).

    Big models (:data:`solver.solve.HINT_MIN_PAIRS` candidate moves or more) are searched
    as :func:`solver.solve.run` does: the LP relaxation of the search (HiGHS) gives a
    bound, and CP-SAT searches the model restricted to the moves the LP uses plus the
    last plan's; the search is optimal when it meets the LP bound.
    """

    def __init__(self, built: RotationModel, progress: ProgressFn | None = None):
        self.built = built
        self.say = progress or (lambda _m: None)
        self.verbose = progress is not None
        m = built.model
        self.vars: dict[str, cp_model.IntVar] = {}
        self.divisor: dict[str, int] = {}
        for t in TERMS:
            expr, div = built.terms[t]
            v = m.new_int_var(0, FREE, f"term_{t}")
            m.add(v == expr)
            self.vars[t], self.divisor[t] = v, int(div)
        self.caps: dict[str, int | None] = dict.fromkeys(TERMS)
        # The last plan: the staged model that found it (this one or a restricted one)
        # and the solver holding its values.
        self._plan: tuple[StagedModel, cp_model.CpSolver] | None = None
        self._support: np.ndarray | None = None  # pair keys the last LP used
        warm = getattr(built, "warm_choice", None)
        if warm is not None:  # the warm start's hint lacks the term variables: complete it again
            built.add_hint(warm)
            built.complete_hint()

    @property
    def big(self) -> bool:
        return len(self.built.pairs) >= HINT_MIN_PAIRS

    @property
    def has_plan(self) -> bool:
        return self._plan is not None

    def hold(self, term: str, upper: int | None) -> None:
        """Hold ``term ≤ upper`` (model units) in later searches; ``None`` releases it."""
        self.caps[term] = upper
        self.vars[term].proto.domain[1] = FREE if upper is None else int(upper)

    def value(self, term: str) -> int:
        """The last plan's value of ``term`` (model units)."""
        if self._plan is None:
            raise ValueError("no plan yet")
        model, solver = self._plan
        return int(solver.value(model.vars[term]))

    def _plan_x(self) -> tuple[RotationModel, np.ndarray]:
        model, solver = self._plan
        x = model.built.x
        return model.built, solver.boolean_values(x).to_numpy(dtype=bool) if len(x) else np.zeros(
            0, bool
        )

    def _hint_plan(self) -> None:
        """Hint the last plan, completed to every variable of this model."""
        if self._plan is None:
            return
        model, solver = self._plan
        m = self.built.model
        if model is self:
            values = list(solver.response_proto.solution)
            m.clear_hints()
            m.proto.solution_hint.vars.extend(range(len(values)))
            m.proto.solution_hint.values.extend(values)
        else:
            other, x = self._plan_x()
            self.built.add_hint(self.built.choice_from(other, x))
            self.built.complete_hint()

    def minimize(self, term: str, time_limit_s: float) -> Stage:
        """Search for the plan with the least ``term`` under the holds, for at most
        ``time_limit_s`` seconds; the plan found becomes the next search's start."""
        t0 = time.perf_counter()
        deadline = t0 + time_limit_s
        self.built.model.minimize(self.vars[term])
        if self.big:
            stage = self._guided(term, t0, deadline)
            if stage is None:
                self.say(f"{term}: LP-guided search found no plan; searching the full model")
            elif (
                stage.optimal
                or deadline - time.perf_counter() < 0.1 * time_limit_s
                or len(self.built.pairs) > FULL_SEARCH_MAX_PAIRS
            ):
                return stage
            else:
                # Time left and a model small enough (as in solver.solve.run): the full
                # model, started from the restricted plan, may improve it and prove a
                # better bound.
                self.say(
                    f"{term}: restricted plan {stage.value / stage.divisor:.4f}; searching the full model from it"
                )
                restricted = self._plan
                self._hint_plan()
                full = self._search(term, t0, deadline, self.say if self.verbose else None)
                if not full.found or full.value > stage.value:  # (the hint was not taken)
                    self._plan = restricted
                    return stage
                return dataclasses.replace(
                    full,
                    bound=float(min(max(full.bound, stage.bound), full.value)),
                    code=cp_model.OPTIMAL
                    if full.optimal or full.value <= math.ceil(stage.bound - 1e-6)
                    else cp_model.FEASIBLE,
                )
        self._hint_plan()
        return self._search(term, t0, deadline, self.say if self.verbose else None)

    def _search(self, term: str, t0: float, deadline: float, say: ProgressFn | None) -> Stage:
        solver = solver_parameters(self.built.scenario)
        solver.parameters.max_time_in_seconds = max(deadline - time.perf_counter(), 0.5)
        div = self.divisor[term]
        code = solver.solve(self.built.model, _Report(say, term, div) if say else None)
        value = None
        if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            value = int(round(solver.objective_value))
            self._plan = (self, solver)
        bound = float(solver.best_objective_bound) if value is not None else -np.inf
        return Stage(
            term,
            code,
            value,
            min(bound, value) if value is not None else bound,
            div,
            time.perf_counter() - t0,
        )

    def _guided(self, term: str, t0: float, deadline: float) -> Stage | None:
        """The LP relaxation of the search, then CP-SAT on the model restricted to the
        moves the LP uses and the last plan's (or the warm start's). ``None`` when the LP
        does not finish or the restricted search finds nothing."""
        from .lp import relaxation

        built = self.built
        lp = relaxation(
            built.model.proto,
            max(1.0, 0.4 * (deadline - time.perf_counter())),
            built.scenario.solver.workers,
        )
        if lp is not None:
            bound, values = lp
            x_lp = values[np.array([v.index for v in built.x], dtype=np.int64)]
            keys = [built.pair_keys(np.flatnonzero(x_lp > 1e-6))]
            self._support = keys[0]
        elif self._plan is not None and self._support is not None:
            # The LP did not finish (it can be slow under the holds of later stages): search
            # around the last plan within the moves an earlier LP used; every term is ≥ 0.
            bound, x_lp, keys = 0.0, None, [self._support]
        else:
            return None
        warm = getattr(built, "warm_choice", None)
        if self._plan is not None:
            other, x = self._plan_x()
            keys.append(other.pair_keys(np.flatnonzero(x)))
        elif warm is not None:
            keys.append(built.pair_keys(warm[warm >= 0]))
        small = StagedModel(
            RotationModel(
                built.district,
                built.scenario,
                elig=built.elig,
                restrict=np.unique(np.concatenate(keys)),
                masks=built.masks,
            )
        )
        for t, cap in self.caps.items():
            small.hold(t, cap)
        small.built.model.minimize(small.vars[term])
        if self._plan is not None:
            small._plan = self._plan
            small._hint_plan()
        else:
            small.built.add_hint(small.built.choice_from(built, x_lp > 0.5))
        div = self.divisor[term]
        if x_lp is None:
            self.say(
                f"{term}: the LP did not finish; searching the {len(small.built.pairs)} moves around the last plan"
            )
        else:
            self.say(
                f"{term}: LP bound {bound / div:.4f}; searching the {len(small.built.pairs)} moves the LP uses"
            )
        stage = small._search(term, t0, deadline, self.say if self.verbose else None)
        if not stage.found:
            return None
        self._plan = small._plan
        optimal = stage.value <= math.ceil(bound - 1e-6)
        return dataclasses.replace(
            stage,
            code=cp_model.OPTIMAL if optimal else cp_model.FEASIBLE,
            bound=float(min(bound, stage.value)),
        )

    def result(self, final_code: int, build_seconds: float, solve_seconds: float) -> Result:
        """The last plan as a :class:`~solver.solve.Result` (terms exact, objective Σ w·term;
        ``best_bound`` is not meaningful here: callers set it)."""
        if self._plan is None:
            raise ValueError("no plan yet")
        model, solver = self._plan
        return _result(
            model.built, solver, final_code, self.built.elig, build_seconds, solve_seconds
        )


def _no_plan(stage: Stage, built: RotationModel) -> Exception:
    if stage.code == cp_model.INFEASIBLE:
        from .diagnose import diagnose

        return InfeasibleError(*diagnose(built.district, built.scenario, built.elig))
    if stage.code == cp_model.MODEL_INVALID:
        return RuntimeError(f"CP-SAT rejected the model: {built.model.validate()}")
    return NoPlanError(
        f"no plan found within the time limit ({built.scenario.solver.time_limit_s:g} s); "
        "raise [solver] time_limit_s or --time-limit"
    )


def solve_lexicographic(
    district: District,
    scenario: Scenario,
    progress: ProgressFn | None = None,
    measure: str | None = None,
) -> Result:
    """Plan by balance first, then commute, then number of moves (see the module docstring).

    ``measure`` is the balance measure of stage 1: ``cv`` (the default, what
    ``objective = "lexicographic"`` means), ``l1`` or ``minmax`` (used by ``lungang
    compare --balance-first`` to compare the measures on equal terms). With ``l1`` or
    ``minmax`` the result's terms and objective are those of that measure.

    Raises
    ------
    InfeasibleError
        The rules cannot all hold; ``diagnosis`` names the conflicting rules.
    NoPlanError
        Stage 1 found no plan within its share of the time limit.
    """
    say = progress or (lambda _m: None)
    if measure is not None and measure != scenario.balance.kind:
        balance = scenario.balance.model_copy(update={"objective": measure})
        scenario = scenario.model_copy(update={"balance": balance})
    built, build_seconds = build(district, scenario, progress)
    staged = StagedModel(built, progress)
    t0 = time.perf_counter()
    deadline = t0 + scenario.solver.time_limit_s
    stages: list[Stage] = []
    for term, share in STAGES:
        limit = share * max(deadline - time.perf_counter(), 0.0)
        st = staged.minimize(term, limit)
        if not st.found:
            if not stages:
                raise _no_plan(st, built)
            say(
                f"lexicographic: stage '{term}' found no plan in {limit:.1f} s; keeping the previous stage's plan"
            )
            break
        stages.append(st)
        say(
            f"lexicographic stage {len(stages)}: {term} {st.value / st.divisor:.4f} "
            f"({'optimal' if st.optimal else 'feasible'}, {st.seconds:.1f} s)"
        )
        staged.hold(term, st.value)
    all_optimal = len(stages) == len(STAGES) and all(s.optimal for s in stages)
    res = staged.result(
        cp_model.OPTIMAL if all_optimal else cp_model.FEASIBLE,
        build_seconds,
        time.perf_counter() - t0,
    )
    w = scenario.weights
    bound = sum(getattr(w, s.term) * s.bound / s.divisor for s in stages)
    stats = dict(res.stats)
    for s in stages:
        stats[f"lex_{s.term}_value"] = s.value / s.divisor
        stats[f"lex_{s.term}_bound"] = s.bound / s.divisor
        stats[f"lex_{s.term}_seconds"] = s.seconds
        stats[f"lex_{s.term}_optimal"] = float(s.optimal)
    return dataclasses.replace(
        res,
        best_bound=min(bound, res.objective),
        stats=stats,
        status=SolveStatus.OPTIMAL if all_optimal else SolveStatus.FEASIBLE,
    )
