"""``[rules] priority``: streams of people, in the order the district rotates them.

Dongcheng's principle "先教师后干部、先小学后初中、先骨干后普通" (teachers before cadres,
primary before junior, key before ordinary) is an order of rollout: the streams
first named move first. It is read as **lexicographic stages** on one measure per
stream, its *rotated person-years*:

    gain(stream) = Σ over the stream's movers of (years − y + 1)

where ``y`` is the year (1 = binding) a person moves in and ``years`` the horizon's
length: a person who moves in year 1 of 3 counts 3 (rotated for three school years of
the horizon), in year 3 counts 1, a person who does not move counts 0. In a one-year
plan it is the stream's number of movers. The first stream's gain is maximised, then
held while the second's is maximised, and so on; the scenario's objective (balance,
commute, moves) is minimised last, under every hold. So an earlier stream's movers
are as many and as early as the rules allow before a later stream is looked at, and
the objective decides among the plans that tie on every stream.

Who is in a stream is read on the district as it stands at the start of the year the
person moves in (their school's level; a nine-year school is neither primary nor
junior):

- ``teachers``: role ``teacher``; ``cadres``: principals and vice principals;
- ``primary`` / ``junior``: at a school of that ``level``;
- ``key``: ``key_level`` other than ``none`` (区级及以上骨干); ``ordinary``: ``none``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..input.data import CADRE_ROLES, District

#: The streams a ``[rules] priority`` list may name.
STREAMS: tuple[str, ...] = ("teachers", "cadres", "primary", "junior", "key", "ordinary")


def in_stream(district: District, ids: pd.Index | list[str], stream: str) -> np.ndarray:
    """Whether each of the staff ``ids`` is in ``stream`` on ``district`` (see the module
    docstring).

    Parameters
    ----------
    district : District
        The district as it stands at the start of the year.
    ids : Index or list of str
        Staff ids of ``district``.
    stream : str
        One of :data:`STREAMS`.

    Returns
    -------
    numpy.ndarray
        One boolean per id.
    """
    staff = district.staff.loc[pd.Index(ids)]
    if stream == "teachers":
        return (staff["role"] == "teacher").to_numpy()
    if stream == "cadres":
        return staff["role"].isin(CADRE_ROLES).to_numpy()
    if stream in ("primary", "junior"):
        level = district.schools["level"].reindex(staff["school_id"].astype(str))
        return level.to_numpy() == stream
    if stream == "key":
        return (staff["key_level"].astype(str) != "none").to_numpy()
    if stream == "ordinary":
        return (staff["key_level"].astype(str) == "none").to_numpy()
    raise ValueError(f"unknown stream {stream!r}; expected one of {', '.join(STREAMS)}")


def year_weight(year: int, years: int) -> int:
    """A move in ``year`` (1-based) of a ``years``-year horizon counts ``years − year + 1``
    rotated person-years."""
    return years - year + 1
