"""Shared test configuration: hypothesis profiles and common fixtures.

Hypothesis runs the quick ``dev`` profile by default; set ``DEALSCREEN_HYPOTHESIS=thorough`` for a
longer run (more examples, no deadline).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "dev",
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough",
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("DEALSCREEN_HYPOTHESIS", "dev"))

# The parsed-document cache of the rulebook (screening/rulebook/cache.py) goes to a directory of
# this test run, not the user's cache; tests of the cache itself point it at their tmp_path.
if "DEALSCREEN_CACHE_DIR" not in os.environ:
    _cache = tempfile.mkdtemp(prefix="dealscreen-test-cache-")
    os.environ["DEALSCREEN_CACHE_DIR"] = _cache
    atexit.register(shutil.rmtree, _cache, True)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "deals"


@pytest.fixture(scope="session")
def rulebook():  # type: ignore[no-untyped-def]
    """The shipped rulebook."""
    from screening import load_rulebook

    return load_rulebook()
