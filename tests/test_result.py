"""A solve's outcome as a value: the statuses without a plan, and the after-state Plan."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from builders import make_district, person, scenario, school

from solver.errors import InfeasibleError, NoPlanError
from solver.model.terms import OBJECTIVE_TERMS, evaluate_plan
from solver.plan.plan import Plan
from solver.plan.result import Result, SolveStatus
from solver.search.solve import solve
from solver.validate import validate_plan


def _two_schools(tmp_path):
    """Every teacher must rotate; two of A's live 40 km from B (max_km 15) and cannot."""
    staff = [person(f"a{i}", "A", home_km=40 if i < 2 else 1) for i in range(4)]
    staff += [person(f"b{i}", "B", home_km=3) for i in range(4)]
    return make_district([school("A"), school("B", km=3)], staff, tmp_path)


def test_an_infeasible_solve_returns_its_status_and_diagnosis(tmp_path):
    """raise_on_failure=False: status infeasible, no plan, the diagnosis names the rule."""
    d = _two_schools(tmp_path)
    sc = scenario(quotas={"teacher_rotation_min": 1.0})
    res = solve(d, sc, raise_on_failure=False)
    assert res.status is SolveStatus.INFEASIBLE
    assert not res.status.has_plan
    assert len(res.assignments) == 0 and math.isnan(res.objective) and math.isnan(res.gap)
    assert "teacher_rotation_min" in res.diagnosis["rules"]
    assert res.message.startswith("the rules cannot all hold")
    with pytest.raises(InfeasibleError) as exc:
        res.raise_for_status()
    assert exc.value.diagnosis == res.diagnosis
    with pytest.raises(InfeasibleError):  # the default raises, as before
        solve(d, sc)


def test_a_lexicographic_infeasible_solve_returns_its_status(tmp_path):
    """The staged objective reports an infeasible scenario the same way."""
    d = _two_schools(tmp_path)
    sc = scenario(quotas={"teacher_rotation_min": 1.0}, balance={"objective": "lexicographic"})
    res = solve(d, sc, raise_on_failure=False)
    assert res.status is SolveStatus.INFEASIBLE
    assert "teacher_rotation_min" in res.diagnosis["rules"]


def test_a_result_without_plan_raises_the_contracts_error():
    """no_plan maps to NoPlanError (exit 4); a status with a plan is refused."""
    res = Result.without_plan(SolveStatus.NO_PLAN, "no plan found", pd.DataFrame())
    with pytest.raises(NoPlanError, match="no plan found"):
        res.raise_for_status()
    assert res.summary() == "no_plan: no plan found"
    with pytest.raises(ValueError):
        Result.without_plan(SolveStatus.OPTIMAL, "", pd.DataFrame())


def test_plan_of_a_solved_plan_matches_its_assignments(tmp_path):
    """Plan.of: every mover at their new school, the others where they were; the terms
    evaluated on it are the result's."""
    d = _two_schools(tmp_path)
    sc = scenario(quotas={"teacher_rotation_min": 0.5}, commute={"max_km": 50})
    res = solve(d, sc)
    assert validate_plan(d, sc, res.assignments) == []
    plan = Plan.of(d, res.assignments)
    a = res.assignments
    assert (plan.school_of[a.index] == a["to_school"]).all()
    assert set(plan.movers) == set(a.index[a["moved"]])
    assert plan.distance_km[~plan.moved].sum() == 0.0
    counts = plan.counts(("key_per_100",))
    assert counts.shape == (d.n_schools, 1)
    terms = evaluate_plan(sc, plan)
    assert [t.name for t in OBJECTIVE_TERMS] == list(res.terms)
    assert terms["moves"] == res.terms["moves"] == len(plan.movers)
    assert terms["commute"] == pytest.approx(res.terms["commute"], abs=1e-3)  # (3 decimals)
    assert terms["balance"] == pytest.approx(res.terms["balance"], abs=1e-12)


def test_plan_of_nothing_moves_nobody(tmp_path):
    """No assignments: everyone stays, nobody travels."""
    d = _two_schools(tmp_path)
    plan = Plan.of(d, None)
    assert not plan.moved.any()
    assert np.array_equal(plan.school_pos, d.staff_school_pos())
