"""The LP-guided search of a multi-year plan (solver.search.horizon_guide): the joint
model restricted to the moves its LP uses gives a plan that keeps every rule across the
years, moves no one outside the LP's support, and costs no less than the LP bound."""

from __future__ import annotations

import numpy as np
import pytest
from builders import AS_OF, scenario

from solver.input.loaders import load_district
from solver.model.horizon import HorizonModel
from solver.model.rotation import OBJ_UNIT
from solver.plan.result import SolveStatus
from solver.search.horizon import _walk
from solver.search.horizon_guide import IN_SUPPORT, guided_joint, pair_values
from solver.search.lp import lp_solve
from solver.validate import validate_horizon


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The generated demo district with history (300 staff, 12 schools)."""
    from solver.generate import write_generated

    folder = tmp_path_factory.mktemp("demo") / "d"
    write_generated("demo", folder, seed=0, horizon=True)
    return load_district(folder, as_of=AS_OF)


def _moves(hm: HorizonModel, solver) -> list:
    import pandas as pd

    out = []
    for rm in hm.years:
        x = solver.boolean_values(rm.x).to_numpy(dtype=bool)
        sel = rm.pairs[x]
        ids = rm.people.index[sel["p"].to_numpy()].astype(str)
        dest = rm.district.schools.index[sel["s"].to_numpy()].astype(str)
        out.append(pd.Series(dest, index=ids))
    return out


def test_guided_joint_plan_keeps_every_rule_within_the_lp_support(demo):
    sc = scenario(
        quotas={"teacher_rotation_min": 0.1, "school_outflow_max": 0.34},
        horizon={"years": 2, "no_return_years": 6, "coverage_min": 0.5},
        solver={"work_limit": 5.0, "workers": 1},
    )
    hm = HorizonModel(demo, sc, 2)
    lp = lp_solve(hm.model.proto, 60.0)
    assert lp is not None
    bound, values = lp
    per_year = pair_values(hm, hm, values)
    support = sum(int((v > IN_SUPPORT).sum()) for v in per_year)
    assert 0 < support < sum(len(rm.pairs) for rm in hm.years)  # a real restriction
    got = guided_joint(hm, per_year, sc.solver, 60.0)
    assert got is not None
    solver, _code = got
    assert solver.objective_value >= bound - 1e-6 * abs(bound)
    for rm, v in zip(hm.years, per_year, strict=True):
        x = solver.boolean_values(rm.x).to_numpy(dtype=bool)
        assert (v[x] > IN_SUPPORT).all()  # only moves the LP uses
    walk = _walk(demo, sc, _moves(hm, solver), SolveStatus.FEASIBLE)
    assert validate_horizon(demo, sc, [r.assignments for r in walk["years"]]) == []
    assert walk["coverage"]["reached"]
    exact = sum(r.objective for r in walk["years"])
    # (the model rounds each school's balance cost: 1e-6 per school and year, times weights)
    assert exact == pytest.approx(solver.objective_value / OBJ_UNIT, rel=1e-5)


def test_pair_values_match_moves_by_person_and_school(demo):
    """The LP values of a model with every permitted move, read for a pruned one's
    moves: equal where both have the move, and the pruned model has fewer."""
    sc = scenario(
        horizon={"years": 2, "coverage_min": 0.0}, solver={"max_candidates": 2, "workers": 1}
    )
    hm = HorizonModel(demo, sc, 2)
    full = HorizonModel(demo, sc.with_solver(max_candidates=0), 2)
    values = np.arange(len(full.model.proto.variables), dtype=float)
    got = pair_values(hm, full, values)
    for rm, fm, v in zip(hm.years, full.years, got, strict=True):
        assert len(rm.pairs) < len(fm.pairs)
        want = dict(zip(fm.pair_keys(), (values[x.index] for x in fm.x), strict=True))
        assert v.tolist() == [want[k] for k in rm.pair_keys()]
