"""The LP-guided search of a multi-year plan: the joint model restricted to the moves
its LP relaxation uses, searched from the LP's rounding (docs/horizon.md, "The search").

The single-year search's recipe (:mod:`solver.search.engine`: the LP guide, then the
restricted search) on the joint model. Measured on Qingshi county (3,000 staff, 3
years, 40,227 kept moves, coverage 0.9; 2026-12-01, load 4-5): the LP of the kept
moves (3957.88, interior point, 3.6 s) uses 10,751 of them; CP-SAT on the joint model
restricted to those found 3957.88 after 45-74 s (exact objective 3957.78, every rule
and coverage kept), where `lungang plan` had returned 4540.49 in 300 s (the staged
plan, then the joint search from it) and the joint model alone found no plan in 60 s.
On Dongcheng (9,000 staff, coverage 1.0; 15,739 of 166,789 moves) it found none in
200 s: the staged plan remains the way there. (A script that searched the LP's moves
and the staged plan's, from the staged plan, lowered it from 14597.97 to 14447.56 in
180 s, where the joint search of every kept move had not lowered it; not in the
package, since Dongcheng's priority stages search the whole model.)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from ..input.scenario import SolverSettings
from ..model.horizon import HorizonModel
from .engine import ProgressFn, found, search

#: An LP value above this puts a move in the restricted model.
IN_SUPPORT = 1e-6


def pair_values(hm: HorizonModel, lp_model: HorizonModel, values: np.ndarray) -> list[np.ndarray]:
    """The LP ``values`` (by proto variable of ``lp_model``) of each year's moves of
    ``hm``, matched by (person, school): ``lp_model`` may be ``hm`` itself or the same
    horizon with more moves (every permitted one); a move the LP model lacks gets 0."""
    out = []
    for rm, lm in zip(hm.years, lp_model.years, strict=True):
        if lm is rm:
            out.append(np.asarray([values[v.index] for v in rm.x], dtype=float))
            continue
        lp_vals = pd.Series(
            [values[v.index] for v in lm.x], index=pd.Index(lm.pair_keys()), dtype=float
        )
        out.append(lp_vals.reindex(rm.pair_keys()).fillna(0.0).to_numpy())
    return out


def guided_joint(
    hm: HorizonModel,
    values: list[np.ndarray],
    settings: SolverSettings,
    seconds: float,
    progress: ProgressFn | None = None,
) -> tuple[cp_model.CpSolver, int] | None:
    """CP-SAT on a copy of ``hm``'s model where every move of LP value (``values``, per
    year and move of :func:`pair_values`) at most :data:`IN_SUPPORT` is fixed to 0,
    hinted with the LP's rounding, for ``seconds``. Returns the solver (its values are
    read through ``hm``'s variables: the copy keeps every variable's index) and the
    status, or ``None`` when it found no plan. The restricted model's own bound is not
    the horizon's."""
    model = hm.model.clone()
    proto = model.proto
    model.clear_hints()
    hint = proto.solution_hint
    for rm, val in zip(hm.years, values, strict=True):
        idx = np.asarray([v.index for v in rm.x], dtype=np.int64)
        for i in idx[val <= IN_SUPPORT]:
            var = proto.variables[int(i)]
            var.domain.clear()
            var.domain.extend([0, 0])
        hint.vars.extend(idx.tolist())
        hint.values.extend((val > 0.5).astype(int).tolist())
    # racing workers: a hinted search with interleaved ones crashed CP-SAT 9.x (see
    # plan_horizon), and interleaved they found no plan of Qingshi's in 84 s
    solver, code, _ = search(
        model, settings, seconds, progress, own_bound=False, interleave_search=False
    )
    return (solver, code) if found(code) else None
