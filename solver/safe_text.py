"""Text that a spreadsheet will not run: the one CSV writer and reader of lungang.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read
by Excel, WPS and LibreOffice as a formula (CSV injection). Every CSV lungang writes
goes through :func:`write_csv`, which prefixes such text with ``'`` (OWASP's advice);
numbers stay numbers (``-1.5`` in a number column, or text that is a plain number,
is not touched). The prefix is reversible: :func:`read_csv_text` removes it again, so
a plan written by lungang reads back with its ids as they were in the input.

Text that already starts with ``'`` followed by a trigger (``'=x``) gets one more
``'``, so that reading back never confuses it with an escaped cell.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

#: First characters that make a spreadsheet evaluate a cell.
FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
#: The prefix that makes a spreadsheet show a cell as text.
PREFIX = "'"

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_TRIGGER = re.compile(r"'*[=+\-@\t\r]")


def _needs_prefix(text: str) -> bool:
    """True for text a spreadsheet would run (or an already escaped-looking ``'=...``)."""
    return bool(_TRIGGER.match(text)) and not _NUMBER.fullmatch(text)


def escape_formula(value: Any) -> Any:
    """``value`` safe to put in a CSV cell: text starting with a formula trigger gets ``'``.

    Parameters
    ----------
    value
        Any cell value. Only ``str`` values can change; numbers, booleans, dates and
        missing values are returned as they are, and so is text that is a plain
        number (``"-3"``, ``"+1.5e3"``).

    Returns
    -------
    object
        ``"'" + value`` when ``value`` is text starting with ``=``, ``+``, ``-``, ``@``,
        tab or carriage return (or with ``'`` followed by one of them), else ``value``.

    Examples
    --------
    >>> escape_formula("=HYPERLINK(1)"), escape_formula("-1"), escape_formula(-1)
    ("'=HYPERLINK(1)", '-1', -1)
    """
    if isinstance(value, str) and value and _needs_prefix(value):
        return PREFIX + value
    return value


def unescape_formula(value: Any) -> Any:
    """The inverse of :func:`escape_formula` (for text read from a CSV lungang wrote)."""
    if isinstance(value, str) and value.startswith(PREFIX) and _needs_prefix(value[1:]):
        return value[1:]
    return value


def _escape_series(s: pd.Series) -> pd.Series:
    if s.dtype.kind in "biufcmM":  # numbers, booleans and dates: never text
        return s
    return s.map(escape_formula)


def safe_frame(frame: pd.DataFrame, index: bool = True) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell (and header, and index label) escaped."""
    out = frame.copy()
    for i in range(out.shape[1]):
        out.isetitem(i, _escape_series(out.iloc[:, i]))
    out.columns = [escape_formula(c) for c in out.columns]
    if index:
        if isinstance(out.index, pd.MultiIndex):
            out.index = pd.MultiIndex.from_frame(
                out.index.to_frame().apply(_escape_series), names=out.index.names
            )
        elif out.index.dtype.kind not in "biufcmM":
            out.index = pd.Index(out.index.map(escape_formula), name=out.index.name)
    return out


def flags_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with its true/false columns as ``true`` / ``false`` text.

    Every CSV file lungang writes spells flags this way (``assignments.csv``'s ``moved``
    too), whatever pandas would print (``True``); a missing flag is an empty cell.
    """
    out = frame.copy()
    for i in range(out.shape[1]):
        col = out.iloc[:, i]
        flags = col.dropna()
        if (
            col.dtype == bool
            or str(col.dtype) == "boolean"
            or (
                col.dtype == object
                and len(flags)
                and flags.map(lambda v: isinstance(v, bool | np.bool_)).all()
            )
        ):
            out.isetitem(
                i, col.map({True: "true", False: "false"}).astype(object).where(col.notna(), "")
            )
    return out


def write_csv(frame: pd.DataFrame, target: str | Path | IO[str], **kwargs: Any) -> None:
    """Write ``frame`` as CSV: flags as ``true``/``false``, formula triggers escaped.

    ``kwargs`` go to :meth:`pandas.DataFrame.to_csv` (``index``, ``encoding`` ...).
    Every CSV lungang writes is written here (see the module docstring).
    """
    safe_frame(flags_as_text(frame), index=kwargs.get("index", True)).to_csv(target, **kwargs)


def unescape_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Undo :func:`write_csv` 's escaping on a frame read back as text."""
    out = frame.copy()
    for i in range(out.shape[1]):
        if out.iloc[:, i].dtype.kind not in "biufcmM":
            out.isetitem(i, out.iloc[:, i].map(unescape_formula))
    out.columns = [unescape_formula(c) for c in out.columns]
    return out


def read_csv_text(path: str | Path, **kwargs: Any) -> pd.DataFrame:
    """Read a CSV that lungang wrote (``kwargs`` go to :func:`pandas.read_csv`), unescaped.

    Raises
    ------
    InputError
        Naming the file, when it is not a CSV that pandas can read (binary, damaged).
    """
    from .errors import InputError, Problem

    try:
        return unescape_frame(pd.read_csv(path, **kwargs))
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(
            Problem(file=str(path), message=f"not a CSV file lungang wrote: {str(exc)[:200]}")
        ) from None
    except (ValueError, TypeError) as exc:  # a number column that holds text
        raise InputError(
            Problem(file=str(path), message=f"unexpected values: {str(exc)[:200]}")
        ) from None
