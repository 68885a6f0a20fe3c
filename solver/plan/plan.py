"""A plan's after-state: where every staff member is once the plan is carried out.

One definition, used by the search's result, the plan folder, the comparison, the
explanations and the benchmarks (the validator keeps its own, on purpose).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from ..input.data import District
from ..input.geo import haversine_km
from ..rules.forms import equivalents
from ..rules.indicators import counts_by_school


@dataclass(frozen=True, eq=False)
class Plan:
    """Every staff member's school after a plan, and the distance each mover goes.

    ``school_pos[j]`` is the position (in ``district.schools``) of staff member j's
    school after the plan, in the file order of ``district.staff``; ``distance_km[j]``
    the km from j's home to that school for movers, 0 for those who stay.
    """

    district: District
    school_pos: np.ndarray
    distance_km: np.ndarray
    #: Part-time and guidance shares (``part_time.csv`` rows), or ``None``.
    shares: pd.DataFrame | None = None

    @classmethod
    def of(cls, district: District, assignments: pd.DataFrame | None) -> Plan:
        """The plan of an ``assignments`` table (index ``staff_id``, ``to_school`` and,
        optionally, ``distance_km``); ``None`` or an empty table: nobody moves.

        Rows of unknown staff are ignored; an unknown ``to_school`` keeps the person
        where they are (the validator reports both)."""
        pos = district.staff_school_pos().copy()
        km = np.zeros(len(district.staff))
        if assignments is None or not len(assignments):
            return cls(district, pos, km)
        who = district.staff.index.get_indexer(assignments.index)
        to = district.schools.index.get_indexer(assignments["to_school"].astype(str))
        ok = (who >= 0) & (to >= 0)
        pos[who[ok]] = to[ok]
        if "distance_km" in assignments:
            given = pd.to_numeric(assignments["distance_km"], errors="coerce").fillna(0.0)
            km[who[ok]] = given.to_numpy(dtype=float)[ok]
        km[pos == district.staff_school_pos()] = 0.0
        return cls(district, pos, km)

    @classmethod
    def of_people(
        cls, district: District, who: np.ndarray, dest: np.ndarray, distance_km: np.ndarray
    ) -> Plan:
        """The plan where the staff members at positions ``who`` (in ``district.staff``)
        go to school positions ``dest`` (their own school: they stay) at ``distance_km``;
        everyone else stays."""
        pos = district.staff_school_pos().copy()
        km = np.zeros(len(district.staff))
        pos[who] = dest
        km[who] = distance_km
        return cls(district, pos, km)

    def with_home_distances(self) -> Plan:
        """The same plan with each mover's distance recomputed from their home (great
        circle), for plans whose own distances are not to be trusted."""
        d = self.district
        km = haversine_km(
            d.staff["home_lat"].to_numpy(),
            d.staff["home_lon"].to_numpy(),
            d.schools["lat"].to_numpy()[self.school_pos],
            d.schools["lon"].to_numpy()[self.school_pos],
        )
        return Plan(d, self.school_pos, np.where(self.moved, km, 0.0), self.shares)

    @cached_property
    def moved(self) -> np.ndarray:
        """Per staff member: at another school after the plan."""
        return self.school_pos != self.district.staff_school_pos()

    @property
    def movers(self) -> pd.Index:
        """The staff ids of those who move."""
        return self.district.staff.index[self.moved]

    @cached_property
    def school_of(self) -> pd.Series:
        """staff_id → school_id after the plan."""
        ids = self.district.schools.index.to_numpy()
        return pd.Series(ids[self.school_pos], index=self.district.staff.index, name="school_id")

    def counts(self, indicators: tuple[str, ...]) -> np.ndarray:
        """(school × indicator) head counts after the plan of those who count towards
        each indicator; teacher-equivalents (floats) when the plan holds shares."""
        if self.shares is not None and len(self.shares):
            return equivalents(self.district, self.school_pos, indicators, self.shares)
        return counts_by_school(self.district, self.school_pos, indicators)
