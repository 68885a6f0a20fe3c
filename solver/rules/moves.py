"""Permitted moves: who may go where under the rules that need no variable.

The shares' arithmetic of ``docs/scenario.md`` (a minimum share ``s`` of ``n`` people is
``ceil(s·n)``, a maximum ``floor(s·n)``), the eligible-people table (position ``p`` in
file order) and the (people × schools) masks of the pruning rules (level, scope,
commute, posts and subject demand). The model prunes its candidate moves by them; the
diagnosis and the explanations name the rule behind each forbidden move.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import pandas as pd

from ..input.data import District
from ..input.geo import haversine_km
from ..input.scenario import Scenario
from .eligibility import eligibility
from .training import training_lead_masks


def share_fraction(share: float) -> Fraction:
    """A share from the scenario as an exact fraction (0.1 is 1/10, not 0.1000000000000000055)."""
    return Fraction(str(share)).limit_denominator(1_000_000)


def at_least(share: float, n: int) -> int:
    """A minimum share s of n people: ceil(s·n) (``docs/scenario.md``)."""
    return math.ceil(share_fraction(share) * n)


def at_most(share: float, n: int) -> int:
    """A maximum share s of n people: floor(s·n) (``docs/scenario.md``)."""
    return math.floor(share_fraction(share) * n)


def levels_compatible(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Same level, or either is a nine-year school (which takes primary and junior staff)."""
    return (a == b) | (a == "nine_year") | (b == "nine_year")


def scope_allows(scope: str, zone_a, zone_b, group_a, group_b) -> np.ndarray:
    """Whether a move from a school (zone_a, group_a) to (zone_b, group_b) is in scope.

    An empty group is a group of its own: ``cross_group`` lets its staff go anywhere,
    ``within_group`` lets them go nowhere.
    """
    same_zone = zone_a == zone_b
    same_group = (group_a == group_b) & (group_a != "")
    if scope == "district":
        return np.ones(np.broadcast(zone_a, zone_b).shape, dtype=bool)
    if scope == "cross_zone":
        return ~same_zone
    if scope == "within_zone":
        return same_zone
    if scope == "cross_group":
        return ~same_group
    if scope == "within_group":
        return same_group
    raise ValueError(scope)


def eligible_people(district: District, elig: pd.DataFrame) -> pd.DataFrame:
    """The eligible staff, in file order (position p), with ``home`` (school position),
    ``stream``, ``is_teacher``, ``is_key`` and ``is_cadre``."""
    keep = elig["eligible"].to_numpy(dtype=bool)
    people = district.staff.loc[
        keep, ["name", "role", "subject", "key_level", "school_id", "home_lat", "home_lon"]
    ].copy()
    people["stream"] = elig.loc[keep, "stream"]
    people["home"] = district.schools.index.get_indexer(people["school_id"])
    people["is_teacher"] = people["role"] == "teacher"
    people["is_key"] = people["is_teacher"] & (people["key_level"] != "none")
    people["is_cadre"] = ~people["is_teacher"]
    return people


def role_counts(district: District) -> pd.DataFrame:
    """Head count per school (rows, in school order) and role (columns)."""
    roles = district.staff.groupby(["school_id", "role"]).size().unstack(fill_value=0)
    return roles.reindex(
        index=district.schools.index,
        columns=["principal", "vice_principal", "teacher"],
        fill_value=0,
    )


@dataclass
class MoveMasks:
    """The rules that need no variable, as (people × schools) arrays: ``dist`` (km from
    home to each school), ``other`` (not the home school), ``room`` (the school has a
    post of the role, or demand for the subject), ``level_ok``, ``scope_ok``,
    ``commute_ok``. The model prunes its candidate moves by them; the diagnosis and
    the explanations name the rule behind each forbidden move."""

    dist: np.ndarray
    other: np.ndarray
    room: np.ndarray
    level_ok: np.ndarray
    scope_ok: np.ndarray
    commute_ok: np.ndarray

    @classmethod
    def of(cls, district: District, scenario: Scenario, people: pd.DataFrame) -> MoveMasks:
        """The masks for ``people`` (from :func:`eligible_people`)."""
        sc, sch = scenario, district.schools
        n_p, n_s = len(people), district.n_schools
        home = people["home"].to_numpy()
        dist = (
            haversine_km(
                people["home_lat"].to_numpy()[:, None],
                people["home_lon"].to_numpy()[:, None],
                sch["lat"].to_numpy()[None, :],
                sch["lon"].to_numpy()[None, :],
            )
            if n_p
            else np.zeros((0, n_s))
        )
        other = np.ones((n_p, n_s), dtype=bool)
        other[np.arange(n_p), home] = False
        role = people["role"].to_numpy()
        is_t = role == "teacher"
        room = np.zeros((n_p, n_s), dtype=bool)
        if is_t.any():
            demand = district.demand_matrix()
            cols = demand.columns.get_indexer(people.loc[is_t, "subject"])
            room[is_t] = (demand.to_numpy().T[cols] + sc.staffing.subject_tolerance) >= 1
        roles = role_counts(district)
        for r in ("principal", "vice_principal"):
            room[role == r] = (roles[r].to_numpy() >= 1)[None, :]
        level = sch["level"].to_numpy()
        level_ok = (
            levels_compatible(level[home][:, None], level[None, :])
            if sc.scope.same_level
            else np.ones((n_p, n_s), dtype=bool)
        )
        zone, group = sch["zone"].to_numpy(), sch["group"].to_numpy()
        scope_ok = np.empty((n_p, n_s), dtype=bool)
        for rows, scope in ((is_t, sc.scope.teachers), (~is_t, sc.scope.principals)):
            scope_ok[rows] = scope_allows(
                scope,
                zone[home[rows]][:, None],
                zone[None, :],
                group[home[rows]][:, None],
                group[None, :],
            )
        # [forms] training_to_lead: a young teacher's move to the lead school of their
        # group is no rotation across zones or groups, so scope does not forbid it; a
        # training-only candidate may make that move only (solver.rules.training).
        lead, only = training_lead_masks(district, scenario, people)
        scope_ok[only] = lead[only]
        scope_ok |= lead
        commute_ok = dist <= sc.commute.max_km + 1e-9
        return cls(dist, other, room, level_ok, scope_ok, commute_ok)


#: The rules that prune candidate moves, and the mask of :class:`Moves` that holds each.
PRUNING: tuple[tuple[str, str], ...] = (
    ("commute", "commute_ok"),
    ("scope", "scope_ok"),
    ("same_level", "level_ok"),
    ("room", "room"),
)


@dataclass
class Moves(MoveMasks):
    """Who may go where under the rules that need no variable (as the model prunes).

    ``people`` are the eligible staff (position p, in file order) with ``home`` (school
    position), ``is_teacher``, ``is_key``, ``is_cadre``, ``pin`` (``""``, ``stay``,
    ``move``, ``to``) and ``pin_school`` (position, -1). The (people × schools) masks
    are those of :class:`solver.rules.moves.MoveMasks`; ``ok`` = all of them and not the home
    school. A ``Moves`` can be given to :class:`solver.model.rotation.RotationModel` as its
    ``masks`` (same eligibility), so the model does not compute them again.
    """

    district: District
    scenario: Scenario
    elig: pd.DataFrame
    people: pd.DataFrame
    ok: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.ok = self.other & self.commute_ok & self.scope_ok & self.level_ok & self.room

    def sid(self, s: int) -> str:
        return str(self.district.schools.index[s])

    def room_rule(self, p: int) -> str:
        """The rule a missing post stands for: subject_staffing (teachers) or posts_filled."""
        return "subject_staffing" if self.people["is_teacher"].iat[p] else "posts_filled"

    def blocking(self, p: int, s: int) -> list[str]:
        """The rules that forbid person p to move to school s (empty: permitted)."""
        out = []
        if not self.other[p, s]:
            return ["home"]
        for rule, mask in PRUNING:
            if not getattr(self, mask)[p, s]:
                out.append(self.room_rule(p) if rule == "room" else rule)
        return out

    def why_nowhere(self, p: int) -> list[str]:
        """For a person with no permitted school: the rules that each alone close every
        school (dropping that one rule would open one), else every rule that closes some."""
        masks = {rule: getattr(self, m)[p] for rule, m in PRUNING}
        alone = []
        for rule in masks:
            rest = self.other[p].copy()
            for r2, m in masks.items():
                if r2 != rule:
                    rest &= m
            if rest.any():
                alone.append(rule)
        if not alone:
            alone = [r for r, m in masks.items() if not m[self.other[p]].all()]
        return [self.room_rule(p) if r == "room" else r for r in alone]


def permitted_moves(
    district: District, scenario: Scenario, elig: pd.DataFrame | None = None
) -> Moves:
    """The candidate moves of every eligible person, with the mask of each pruning rule
    (:class:`solver.rules.moves.MoveMasks`, as the model prunes, without ``max_candidates``)."""
    elig = eligibility(district, scenario) if elig is None else elig
    people = eligible_people(district, elig)
    pins = district.pins
    people["pin"] = ""
    people["pin_school"] = -1
    if pins is not None and len(pins):
        pins = pins.drop_duplicates("staff_id").set_index("staff_id")
        hit = people.index.intersection(pins.index)
        people.loc[hit, "pin"] = pins.loc[hit, "action"].astype(str).to_numpy()
        to = pins.loc[hit, "school_id"].astype(str)
        people.loc[hit, "pin_school"] = district.schools.index.get_indexer(to)
        # `to` the home school is `stay`
        same = (people["pin"] == "to") & (people["pin_school"] == people["home"])
        people.loc[same, "pin"] = "stay"
    mk = MoveMasks.of(district, scenario, people)
    return Moves(**vars(mk), district=district, scenario=scenario, elig=elig, people=people)


def forbidden_text(m: Moves, p: int, s: int, rules: list[str]) -> str:
    sc = m.scenario
    parts = []
    sch = m.district.schools
    home = int(m.people["home"].iat[p])
    for r in rules:
        if r == "commute":
            parts.append(
                f"is {m.dist[p, s]:.1f} km from their home, beyond max_km {sc.commute.max_km:g}"
            )
        elif r == "scope":
            fam = "teachers" if m.people["is_teacher"].iat[p] else "principals"
            parts.append(
                f"is out of scope.{fam} = {getattr(sc.scope, fam)} (zone {sch['zone'].iat[home]} → "
                f"{sch['zone'].iat[s]}, group {sch['group'].iat[home] or '-'} → {sch['group'].iat[s] or '-'})"
            )
        elif r == "same_level":
            parts.append(
                f"is a {sch['level'].iat[s]} school and they work at a {sch['level'].iat[home]} one "
                "(same_level)"
            )
        elif r == "subject_staffing":
            parts.append(f"has no demand for {m.people['subject'].iat[p]} teachers")
        elif r == "posts_filled":
            parts.append(f"has no {m.people['role'].iat[p].replace('_', ' ')} post")
    return "; ".join(parts)
