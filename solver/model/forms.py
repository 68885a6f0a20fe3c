"""The model's part of the forms of rotation (``[forms]``, ``docs/forms.md``).

One integer ``y[i]`` (tenths of a week, 0 .. ``part_time_max_share``·10) and one boolean
``serve[i]`` per candidate pair i of :func:`solver.rules.forms.service_pairs` (a
guidance pair's share is ``guidance_share``·10 · ``serve[i]``). Only pairs within the
commute limit exist, and only when ``part_time`` or ``guidance`` is on.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from ..input.data import SUBJECTS
from ..rules.forms import (
    PART_TIME_COLUMNS,
    TENTHS,
    empty_shares,
    service_pairs,
    share_flags,
    tenths,
)


class ServiceVars:
    """The share variables of a built :class:`~solver.model.rotation.RotationModel`.

    Attributes
    ----------
    pairs : pandas.DataFrame
        ``j, s, form, dist_km, max_tenths`` (:func:`solver.rules.forms.service_pairs`).
    tenths : list
        Per pair, its share in tenths as an expression (an integer variable for part
        time, ``guidance_share``·10 · ``serve`` for guidance).
    serve : list
        Per pair, whether the teacher serves the school at all.
    """

    def __init__(self, built: Any):
        d, sc = built.district, built.scenario
        f = sc.forms
        m = built.model
        self.built = built
        self.pairs = service_pairs(d, sc)
        self.serve = [m.new_bool_var("") for _ in range(len(self.pairs))]
        self.tenths: list[cp_model.LinearExprT] = []
        self.y: list[cp_model.IntVar | None] = []
        for i, row in enumerate(self.pairs.itertuples(index=False)):
            if row.form == "part_time":
                y = m.new_int_var(0, int(row.max_tenths), "")
                # serving means at least one tenth, and no share without serving
                m.add(y <= int(row.max_tenths) * self.serve[i])
                m.add(y >= self.serve[i])
                self.tenths.append(y)
                self.y.append(y)
            else:
                self.tenths.append(int(row.max_tenths) * self.serve[i])
                self.y.append(None)
        # Per teacher: at most part_time_max_share given away in all, to at most
        # part_time_max_schools schools, and only while staying (an eligible teacher who
        # moves full time gives nothing).
        cap, n_max = tenths(f.part_time_max_share), f.part_time_max_schools
        pos = pd.Series(np.arange(len(built.people)), index=built.people.index)
        staff_ids = d.staff.index
        for j, idx in self.pairs.groupby("j").indices.items():
            share = cp_model.LinearExpr.sum([self.tenths[i] for i in idx])
            p = pos.get(staff_ids[j])
            limit = cap if p is None else cap * built.stay[int(p)]
            m.add(share <= limit)
            m.add(cp_model.LinearExpr.sum([self.serve[i] for i in idx]) <= n_max)
            gd = [i for i in idx if self.pairs["form"].iat[i] == "guidance"]
            if len(gd) > 1:
                m.add(cp_model.LinearExpr.sum([self.serve[i] for i in gd]) <= 1)

    def hint_none(self) -> None:
        """Hint every share at 0 (a plan of full-time moves only)."""
        m = self.built.model
        for v in self.serve:
            m.add_hint(v, False)
        for y in self.y:
            if y is not None:
                m.add_hint(y, 0)

    def total(self) -> cp_model.LinearExprT:
        """Every share of the plan, in tenths."""
        return cp_model.LinearExpr.sum(self.tenths)

    # ----------------------------------------------------------------- counts
    def flow(
        self, indicators: tuple[str, ...], k: int, s: int, home: np.ndarray
    ) -> tuple[cp_model.LinearExprT, int, int]:
        """Shares carrying indicator ``k`` into school s less those out of it (tenths),
        and the least and greatest value of that."""
        return self._flow(self._carries(indicators, k), s, home)

    def subject_flow(
        self, subject: str, s: int, home: np.ndarray
    ) -> tuple[cp_model.LinearExprT, int, int]:
        """Part-time shares of ``subject`` teachers into school s less those out (tenths)."""
        st = self.built.district.staff
        subj = st["subject"].to_numpy()[self.pairs["j"].to_numpy()]
        carries = (self.pairs["form"].to_numpy() == "part_time") & (subj == subject)
        return self._flow(carries, s, home)

    def _carries(self, indicators: tuple[str, ...], k: int) -> np.ndarray:
        out = np.zeros(len(self.pairs), dtype=bool)
        for form in ("part_time", "guidance"):
            sel = (self.pairs["form"] == form).to_numpy()
            if sel.any():
                flags = share_flags(self.built.district, indicators, form)[:, k]
                out[sel] = flags[self.pairs["j"].to_numpy()[sel]]
        return out

    def _flow(
        self, carries: np.ndarray, s: int, home: np.ndarray
    ) -> tuple[cp_model.LinearExprT, int, int]:
        pr = self.pairs
        into = np.flatnonzero(carries & (pr["s"].to_numpy() == s))
        out_of = np.flatnonzero(carries & (home[pr["j"].to_numpy()] == s))
        if not len(into) and not len(out_of):
            return 0, 0, 0
        expr = cp_model.LinearExpr.sum([self.tenths[i] for i in into]) - cp_model.LinearExpr.sum(
            [self.tenths[i] for i in out_of]
        )
        hi = int(pr["max_tenths"].to_numpy()[into].sum())
        # a teacher gives at most part_time_max_share in all
        cap = tenths(self.built.scenario.forms.part_time_max_share)
        given = pr.iloc[out_of].groupby("j")["max_tenths"].sum().clip(upper=cap)
        return expr, -int(given.sum()), hi

    # ----------------------------------------------------------------- result
    def read(self, values: Any) -> pd.DataFrame:
        """The shares a solution holds, as ``part_time.csv`` rows (``values`` maps a
        list of variables to their values, as ``CpSolver.values`` does)."""
        if not len(self.pairs):
            return empty_shares()
        serve = np.asarray(values(self.serve), dtype=np.int64)
        amount = np.zeros(len(self.pairs), dtype=np.int64)
        pt = [i for i, y in enumerate(self.y) if y is not None]
        if pt:
            amount[pt] = np.asarray(values([self.y[i] for i in pt]), dtype=np.int64)
        gd = (self.pairs["form"] == "guidance").to_numpy()
        amount[gd] = serve[gd] * self.pairs["max_tenths"].to_numpy()[gd]
        rows = self.pairs[amount > 0]
        d = self.built.district
        st = d.staff.iloc[rows["j"].to_numpy()]
        out = pd.DataFrame(
            {
                "staff_id": st.index.astype(str),
                "name": st["name"].to_numpy(),
                "subject": st["subject"].to_numpy(),
                "home_school": st["school_id"].astype(str).to_numpy(),
                "to_school": d.schools.index.to_numpy()[rows["s"].to_numpy()].astype(str),
                "share": amount[amount > 0] / TENTHS,
                "form": rows["form"].to_numpy(),
                "distance_km": np.round(rows["dist_km"].to_numpy(), 3),
            }
        )
        return out[list(PART_TIME_COLUMNS)].reset_index(drop=True)


def coverage_subjects_rule(built: Any) -> None:
    """Every school has at least ``coverage_min`` teacher-equivalents of each of
    ``coverage_subjects`` after the plan (Dongcheng 2021: 全覆盖、全学科; a full-time
    teacher counts 1, a part-time share its tenths)."""
    f = built.scenario.forms
    if not f.coverage_subjects:
        return
    d = built.district
    need = tenths(f.coverage_min)
    ppl = built.people
    teach = ppl["is_teacher"].to_numpy()
    home = d.staff_school_pos()
    for subject in dict.fromkeys(f.coverage_subjects):
        if subject not in SUBJECTS:
            continue
        mask = teach & (ppl["subject"] == subject).to_numpy()
        arr, res = built._arrivals(mask), built._residents(mask)
        for s in range(d.n_schools):
            sid = built._sid(s)
            r = res.get(s, np.zeros(0, dtype=np.int64))
            fixed = int(built.teacher_now.at[sid, subject]) - len(r)
            expr = TENTHS * (fixed + built._count_after(mask, s, arr, res))
            if built.forms is not None:
                flow, _, _ = built.forms.subject_flow(subject, s, home)
                expr = expr + flow
            built._add(expr >= need, "coverage_subjects", sid, subject)
