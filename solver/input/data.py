"""The district as one validated, immutable object.

Files become a :class:`District` at one boundary (:mod:`solver.input.loaders`); nothing
past it reads files or re-checks input.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

SUBJECTS: tuple[str, ...] = (
    "chinese",
    "math",
    "english",
    "science",
    "physics",
    "chemistry",
    "biology",
    "history",
    "geography",
    "morality",
    "pe",
    "music",
    "art",
    "it",
    "psychology",
    "other",
)
PE_ART_SUBJECTS: frozenset[str] = frozenset({"pe", "music", "art"})
LEVELS: tuple[str, ...] = ("primary", "junior", "nine_year")
LOCALITIES: tuple[str, ...] = ("urban", "town", "rural")
TIERS: tuple[str, ...] = ("strong", "average", "weak")
ROLES: tuple[str, ...] = ("principal", "vice_principal", "teacher")
CADRE_ROLES: tuple[str, ...] = ("principal", "vice_principal")
KEY_LEVELS: tuple[str, ...] = ("none", "district", "municipal", "special")
TITLES: tuple[str, ...] = ("none", "junior", "intermediate", "senior", "professor")


@dataclass(frozen=True)
class District:
    """A district's schools and staff, normalised.

    ``schools`` (index ``school_id``, in file order) has the columns: ``name, zone,
    group, level, locality, tier, lat, lon, students, junior_students,
    primary_students, principal_posts, vice_principal_posts``. ``group`` is ``""``
    when the school belongs to none; ``primary_students`` / ``junior_students`` are
    the parts of ``students`` by level (a primary school has 0 junior students).

    ``staff`` (index ``staff_id``, in file order) has: ``name, school_id, role,
    subject, key_level, school_start_date, retirement_date, birth_date, gender,
    on_payroll, title, above_standard_qualification, rural_years, home_lat,
    home_lon, exempt_reason, post_school_id, stint_end, hire_date, title_applicant``
    (``post_school_id`` is ``school_id`` unless the person serves a stint away from
    the school holding their post). Dates are ``datetime64[ns]`` (``NaT`` when absent),
    ``subject`` and ``exempt_reason`` are ``""`` when empty, ``home_lat/lon`` are
    filled with the current school's location when missing, ``gender`` is ``F``,
    ``M`` or ``""``.

    ``demand`` has ``school_id, subject, required`` (may be empty: the current
    head count is then the demand).
    """

    schools: pd.DataFrame
    staff: pd.DataFrame
    demand: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["school_id", "subject", "required"])
    )
    pins: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["staff_id", "action", "school_id"])
    )
    source: str = ""
    #: Earlier postings and stints (``staff_id, school_id, start_date, end_date``; an
    #: empty ``end_date`` is ongoing), from ``history.csv``; may be empty.
    history: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(
            {
                "staff_id": pd.Series([], dtype="str"),
                "school_id": pd.Series([], dtype="str"),
                "start_date": pd.Series([], dtype="datetime64[ns]"),
                "end_date": pd.Series([], dtype="datetime64[ns]"),
            }
        )
    )

    #: Wishes (``staff_id, rank, school_id``; rank 1 = first wish), from
    #: ``preferences.csv``; may be empty (``[placement]``, ``docs/placement.md``).
    preferences: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(
            {
                "staff_id": pd.Series([], dtype="str"),
                "rank": pd.Series([], dtype="int64"),
                "school_id": pd.Series([], dtype="str"),
            }
        )
    )

    #: Group-count holds of a staged multi-year plan's year (``staff_id, group, min`` and
    #: optionally ``max``: at least ``min`` and, when ``max`` ≥ 0, at most ``max`` of a
    #: group's people move): a search device of
    #: :func:`solver.search.horizon.plan_staged`, not a rule (the validator ignores it);
    #: empty outside it.
    holds: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(
            {
                "staff_id": pd.Series([], dtype="str"),
                "group": pd.Series([], dtype="str"),
                "min": pd.Series([], dtype="int64"),
            }
        )
    )

    def __post_init__(self) -> None:
        # Districts built in code (the generator, tests) may lack the multi-year columns:
        # they get their defaults, so every reader can rely on them.
        st = self.staff
        missing = {
            "post_school_id": lambda: st["school_id"].astype("str"),
            "stint_end": lambda: pd.Series(pd.NaT, index=st.index, dtype="datetime64[ns]"),
            "hire_date": lambda: pd.Series(pd.NaT, index=st.index, dtype="datetime64[ns]"),
            "title_applicant": lambda: pd.Series(False, index=st.index, dtype=bool),
        }
        add = {c: make() for c, make in missing.items() if c not in st.columns}
        if add:
            object.__setattr__(self, "staff", st.assign(**add))

    @property
    def n_schools(self) -> int:
        return len(self.schools)

    def school_index(self) -> pd.Index:
        return self.schools.index

    def staff_school_pos(self) -> np.ndarray:
        """Position of each staff member's current school in ``schools``."""
        return self.schools.index.get_indexer(self.staff["school_id"])

    def teacher_counts(self) -> pd.DataFrame:
        """Current teacher head count per school (rows) and subject (columns)."""
        t = self.staff[self.staff["role"] == "teacher"]
        return (
            pd.crosstab(t["school_id"], t["subject"])
            .reindex(index=self.schools.index, columns=list(SUBJECTS), fill_value=0)
            .astype(int)
        )

    def demand_matrix(self) -> pd.DataFrame:
        """Head count wanted after rotation per school and subject (default: current)."""
        base = self.teacher_counts()
        if len(self.demand):
            d = self.demand.pivot_table(
                index="school_id", columns="subject", values="required", aggfunc="sum"
            )
            d = d.reindex(index=base.index, columns=base.columns)
            base = d.fillna(base).astype(int)
        return base
