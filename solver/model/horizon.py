"""The CP-SAT model of a multi-year plan: every year at once, one model.

Each year ``y`` of the horizon is a :class:`~solver.model.rotation.RotationModel` built
into one shared ``CpModel``, on the district as it would stand at the start of year
``y`` without any of the plan's moves (``D⁰_y``: eligibility aged, stints that end
returned; :func:`solver.rules.horizon.advance`). Its choice variables are one per
person eligible in ``D⁰_y`` and permitted school, plus ``stay``. What the plan's
earlier years change is stated by linking constraints, exactly:

- **one rotation per person per horizon**: a person moves in at most one year. (A mover
  restarts their years at school and serves a stint, so they are not eligible again
  within the horizon; :func:`solver.rules.horizon.check_horizon` refuses horizons
  where that would not hold.) Hence this year's eligible are ``D⁰_y``'s eligible less
  those who moved in an earlier year, and the quotas count them so
  (``RotationModel._at_least_of_eligible``).
- **where earlier movers are**: a person who moved in year ``t`` to school ``b`` is at
  ``b`` in year ``y`` while on the stint (``y < t + stint_years``) or for good without
  ``return_home``; with it they are back at their post school from year
  ``t + stint_years`` (the return counts in the home school's staffing that year).
  These movers' net head counts per school, role, subject and balanced indicator are
  added to every count of year ``y`` (``YearLinks.offset``): subject staffing against
  a given demand, the outflow cap (a share of the school's teachers that year), the
  balance indicators and their caps. (Posts and the default demand compare a school
  with itself at the year's start, so the earlier movers cancel there.)
- **coverage**: of the people eligible in at least one year and with a permitted
  school in such a year, at least ``ceil(coverage_min · n)`` move in one of the years.

The objective is the sum over the years of each year's weighted terms, every year
with weight 1 (a plan's later years are provisional, but a later year's balance is
worth as much as this year's: a discount would push moves into later years, which
are re-planned anyway). Each year's balance is measured against that year's mean
before rotation in ``D⁰_y``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from ..input.data import District
from ..input.scenario import Scenario
from ..rules.eligibility import eligibility
from ..rules.horizon import advance, stint_lengths, year_scenario, year_start
from ..rules.indicators import indicator_matrix
from ..rules.moves import at_least
from .rotation import RotationModel
from .terms import TERMS


@dataclass
class _Offsets:
    """Per (group, key, school): a constant and a weighted sum of variables."""

    const: dict[tuple, int] = field(default_factory=dict)
    terms: dict[tuple, list[tuple[cp_model.IntVar, int]]] = field(default_factory=dict)

    def add(self, key: tuple, var: cp_model.IntVar | None, coef: int) -> None:
        if var is None:
            self.const[key] = self.const.get(key, 0) + coef
        else:
            self.terms.setdefault(key, []).append((var, coef))


class _Links:
    """:class:`~solver.model.rotation.YearLinks` of one year: the earlier years' moves."""

    def __init__(
        self,
        offsets: _Offsets,
        prior_stay: dict[int, list],
        people_staff: np.ndarray,
        priceable: bool = False,
    ):
        self.priceable = priceable
        self._off = offsets
        self._prior_stay = prior_stay  # staff position -> stay literals of earlier years
        self._people_staff = people_staff  # this year's person p -> staff position

    def offset(self, group: str, key: str, s: int):
        k = (group, key, s)
        terms = self._off.terms.get(k)
        const = self._off.const.get(k, 0)
        if not terms:
            return 0 if const == 0 else const
        return cp_model.LinearExpr.weighted_sum([v for v, _ in terms], [c for _, c in terms]) + (
            const
        )

    def bounds(self, group: str, key: str, s: int) -> tuple[int, int]:
        k = (group, key, s)
        const = self._off.const.get(k, 0)
        coefs = [c for _, c in self._off.terms.get(k, [])]
        return const + sum(min(c, 0) for c in coefs), const + sum(max(c, 0) for c in coefs)

    def moved_before(self, people: np.ndarray):
        stays = [v for p in people for v in self._prior_stay.get(int(self._people_staff[p]), [])]
        if not stays:
            return 0
        return len(stays) - cp_model.LinearExpr.sum(stays)


class HorizonModel:
    """The joint model of ``years`` school years of ``district`` under ``scenario``.

    Attributes
    ----------
    model : CpModel
        One model for all years.
    years : list of RotationModel
        Year ``y`` (position ``y - 1``), built on ``states[y - 1]``.
    states : list of District
        ``D⁰_y``: the district at the start of year ``y`` without the plan's moves.
    scenarios : list of Scenario
        Year ``y``'s scenario (``as_of`` moved on by ``y - 1`` years).
    eligible_any : pandas.Index
        The staff eligible in at least one year.
    covered : pandas.Index
        Those of them with a permitted school in a year they are eligible (coverage's
        denominator).

    ``keep`` (per year, ``staff_id`` → school) names moves each year's model keeps
    whatever ``max_candidates`` cuts, when the rules permit them (a staged plan's
    moves, so that the joint search can start from it).
    """

    def __init__(
        self,
        district: District,
        scenario: Scenario,
        years: int | None = None,
        *,
        coverage: bool = True,
        keep: list[pd.Series] | None = None,
    ):
        hz = scenario.horizon
        self.n_years = years or hz.years
        self.district, self.scenario = district, scenario
        self.model = cp_model.CpModel()
        self.scenarios = [year_scenario(scenario, y) for y in range(1, self.n_years + 1)]
        starts = [year_start(scenario.as_of, k) for k in range(self.n_years + 1)]
        self.states = [district]
        for y in range(1, self.n_years):
            nxt, _ = advance(
                self.states[-1], scenario, pd.Series(dtype="str"), starts[y - 1], starts[y]
            )
            self.states.append(nxt)
        staff = district.staff
        self._flags = indicator_matrix(district, scenario.balance.indicators)
        self._role = staff["role"].to_numpy()
        self._subject = staff["subject"].to_numpy()
        # Earlier years' moves: (year, staff position, home, pair dest, x literal, stay literal)
        self._prior: list[tuple[int, np.ndarray, np.ndarray, np.ndarray, list, list]] = []
        self.years: list[RotationModel] = []
        stay_of: dict[int, list] = {}  # staff position -> stay literals so far
        for y in range(1, self.n_years + 1):
            state, sc = self.states[y - 1], self.scenarios[y - 1]
            elig = eligibility(state, sc)
            people_staff = staff.index.get_indexer(elig.index[elig["eligible"].to_numpy()])
            off = self._offsets(y)
            # A year's pruned moves can be priced (solver.search.horizon_bound) when no
            # earlier move is away in it and none of its own is in a later year.
            alone = y == self.n_years or (hz.return_home and hz.stint_years == 1)
            links = _Links(
                off,
                {j: list(v) for j, v in stay_of.items()},
                people_staff,
                priceable=alone and not off.terms and not off.const,
            )
            rm = RotationModel(
                state,
                sc,
                elig=elig,
                model=self.model,
                links=links,
                keep=keep[y - 1] if keep is not None else None,
            )
            self.years.append(rm)
            who = people_staff
            for p, j in enumerate(who):
                stay_of.setdefault(int(j), []).append(rm.stay[p])
            pr = rm.pairs
            # Each pair's stint: obliged people going where the rule sends them stay longer.
            lengths = np.full(len(pr), hz.stint_years, dtype=np.int64)
            if len(rm.obliged):
                pid = rm.people.index.to_numpy()[pr["p"].to_numpy()]
                dest = state.schools.index.to_numpy()[pr["s"].to_numpy()]
                for sid in rm.obliged.index:
                    sel = np.flatnonzero(pid == sid)
                    for i in sel:
                        k = stint_lengths(
                            state, self.scenario, pd.Series({sid: dest[i]}), starts[y - 1]
                        )
                        lengths[i] = int(k.iat[0])
            self._prior.append(
                (
                    y,
                    who,
                    rm.people["home"].to_numpy(),
                    pr["p"].to_numpy(),
                    pr["s"].to_numpy(),
                    rm.x,
                    lengths,
                )
            )
        self._once(stay_of)
        self._obligations()
        eligible_any = np.zeros(len(staff), dtype=bool)
        movable = np.zeros(len(staff), dtype=bool)
        for rm in self.years:
            pos = staff.index.get_indexer(rm.people.index)
            eligible_any[pos] = True
            has_pair = np.bincount(rm.pairs["p"].to_numpy(), minlength=len(rm.people)) > 0
            movable[pos[has_pair]] = True
        self.eligible_any = staff.index[eligible_any]
        # Coverage counts the people the rules let go somewhere in a year they are
        # eligible (level, scope, commute, posts and subject demand): like a listed
        # exemption, having no school to go to keeps a person out of the denominator.
        self.covered = staff.index[movable]
        self.need_coverage = at_least(hz.coverage_min, len(self.covered))
        if coverage and self.need_coverage > 0:
            stays = [v for j in np.flatnonzero(movable) for v in stay_of[int(j)]]
            moved = len(stays) - cp_model.LinearExpr.sum(stays)
            self.model.add(moved >= self.need_coverage)
        self._objective()

    def _once(self, stay_of: dict[int, list]) -> None:
        """One rotation per person per horizon: at most one year without ``stay``."""
        for stays in stay_of.values():
            if len(stays) > 1:
                self.model.add(len(stays) - cp_model.LinearExpr.sum(stays) <= 1)

    def _offsets(self, year: int) -> _Offsets:
        """Earlier years' movers' net head counts at the start of ``year``."""
        hz = self.scenario.horizon
        off = _Offsets()
        inds = self.scenario.balance.indicators
        for t, who, home, pair_p, pair_s, xs, lengths in self._prior:
            # A move of year t still away in `year`: +1 at the destination, −1 at home
            # (with return_home, back at the post school from year t + stint: where D⁰
            # has them).
            away = (year - t < lengths) | (not hz.return_home)
            for i in np.flatnonzero(away):
                j = int(who[pair_p[i]])
                for key in self._groups(j, inds):
                    off.add((*key, int(pair_s[i])), xs[i], 1)
                    off.add((*key, int(home[pair_p[i]])), xs[i], -1)
        return off

    def _obligations(self) -> None:
        """``[rules]``: each obliged person goes where their rule sends them in one of the
        years they are obliged (solver.rules.obligations)."""
        pairs: dict[str, list] = {}
        rules: dict[str, str] = {}
        for rm in self.years:
            for sid in rm.obliged.index:
                pairs.setdefault(str(sid), []).extend(rm.x[i] for i in rm.obliged_pairs[str(sid)])
                rules.setdefault(str(sid), str(rm.obliged.at[sid, "rule"]))
        self.obliged = rules
        #: proto indices of the moves an obligation row names (outside any year's rows)
        self.obliged_x = {v.index for xs in pairs.values() for v in xs}
        for xs in pairs.values():
            self.model.add(cp_model.LinearExpr.sum(xs) >= 1)

    def _groups(self, j: int, inds: tuple[str, ...]) -> list[tuple[str, str]]:
        out = [("role", str(self._role[j]))]
        if self._role[j] == "teacher":
            out.append(("subject", str(self._subject[j])))
        out += [("indicator", ind) for k, ind in enumerate(inds) if self._flags[j, k]]
        return out

    def set_objective(self) -> None:
        """Minimise the horizon's objective again (after searches of other objectives,
        such as the ``[rules] priority`` stages)."""
        self._objective()

    def _objective(self) -> None:
        """Σ over years of Σ weight · term (each year weight 1)."""
        parts = []
        for rm in self.years:
            parts += [rm.obj_coef[t] * rm.terms[t][0] for t in TERMS]
        self.model.minimize(cp_model.LinearExpr.sum(parts))

    @property
    def size(self) -> tuple[int, int]:
        """(eligible person-years, candidate moves) over the horizon."""
        return sum(len(r.people) for r in self.years), sum(len(r.pairs) for r in self.years)
