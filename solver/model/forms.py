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

    def hint_plan(self, choice: np.ndarray) -> None:
        """Hint shares for a plan of full-time moves (``choice[p]``: the pair person p
        takes, -1 to stay): none, but where ``coverage_subjects`` asks for more than a
        school has, the nearest part-time teacher with room left gives what is missing
        (greedy), so that the warm start can keep the coverage rule."""
        amount = self._greedy_cover(choice)
        m = self.built.model
        for i, v in enumerate(self.serve):
            m.add_hint(v, bool(amount[i] > 0))
        for i, y in enumerate(self.y):
            if y is not None:
                m.add_hint(y, int(amount[i]))

    def _greedy_cover(self, choice: np.ndarray) -> np.ndarray:
        b, f = self.built, self.built.scenario.forms
        amount = np.zeros(len(self.pairs), dtype=np.int64)
        if not f.coverage_subjects or not f.part_time or not len(self.pairs):
            return amount
        need, cap = tenths(f.coverage_min), tenths(f.part_time_max_share)
        d = b.district
        movers = set(b.people.index[np.asarray(choice) >= 0])
        staff_ids = d.staff.index.to_numpy()
        subj = d.staff["subject"].to_numpy()
        # head counts in tenths (the warm start's paired exchanges keep them)
        have = (TENTHS * b.teacher_now).astype(np.int64)
        given: dict[int, int] = {}
        served: dict[int, int] = {}
        pr = self.pairs
        home = d.staff_school_pos()
        # part-time pairs by school, nearest first
        pt = pr[pr["form"] == "part_time"].sort_values("dist_km", kind="stable")
        by_school = pt.groupby("s").indices
        pt_index = pt.index.to_numpy()
        for c in dict.fromkeys(f.coverage_subjects):
            if c not in have.columns:
                continue
            for s in range(d.n_schools):
                short = need - int(have.iat[s, have.columns.get_loc(c)])
                for i in pt_index[by_school.get(s, [])] if short > 0 else []:
                    if short <= 0:
                        break
                    j = int(pr["j"].iat[i])
                    if (
                        subj[j] != c
                        or staff_ids[j] in movers
                        or served.get(j, 0) >= f.part_time_max_schools
                    ):
                        continue
                    h = have.columns.get_loc(c)
                    give = min(short, cap - given.get(j, 0), have.iat[home[j], h] - need)
                    if give <= 0:
                        continue
                    amount[i] += give
                    given[j] = given.get(j, 0) + give
                    served[j] = served.get(j, 0) + 1
                    have.iat[home[j], h] -= give
                    have.iat[s, h] += give
                    short -= give
        return amount

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
