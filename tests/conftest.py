"""Shared fixtures: the tiny hand-written district of ``tests/data/tiny``."""

import datetime as dt
from pathlib import Path

import pytest

TINY = Path(__file__).parent / "data" / "tiny"
TINY_AS_OF = dt.date(2025, 9, 1)


@pytest.fixture
def tiny_dir() -> Path:
    """The folder of the tiny district (read only: copy it before changing anything)."""
    return TINY


@pytest.fixture
def tiny_district():
    """The tiny district, loaded as of 2025-09-01."""
    from solver.input.loaders import load_district

    return load_district(TINY, as_of=TINY_AS_OF)
