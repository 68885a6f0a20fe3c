"""Shared fixtures: the tiny hand-written district of ``tests/data/tiny``."""

import atexit
import datetime as dt
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis.configuration import set_hypothesis_home_dir

# Property tests draw the same examples on every run (derandomised), so that a run's
# outcome depends on the code only, and have no per-example deadline (a busy machine
# must not fail them). HYPOTHESIS_PROFILE=explore draws new examples, for a search by hand.
settings.register_profile(
    "lungang", derandomize=True, database=None, deadline=None, print_blob=True
)
settings.register_profile("explore", deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "lungang"))
# hypothesis keeps caches (constants, examples) in ./.hypothesis: outside the repository
_HYPOTHESIS_HOME = tempfile.mkdtemp(prefix="lungang-hypothesis-")
set_hypothesis_home_dir(_HYPOTHESIS_HOME)
atexit.register(shutil.rmtree, _HYPOTHESIS_HOME, True)

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


@pytest.fixture(autouse=True, scope="session")
def _cache_outside_the_repository(tmp_path_factory):
    """Generated districts go to a temporary cache, never to the repository's ``.cache``."""
    mp = pytest.MonkeyPatch()
    mp.setenv("LUNGANG_CACHE", str(tmp_path_factory.mktemp("lungang-cache")))
    yield
    mp.undo()
