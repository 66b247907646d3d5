"""Shared test configuration: hypothesis profiles and common fixtures.

Hypothesis runs the quick ``dev`` profile by default; set ``DEALSCREEN_HYPOTHESIS=thorough`` for a
longer run (more examples, no deadline).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# No example database: it would be written as .hypothesis/ into the checkout.
settings.register_profile(
    "dev",
    database=None,
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough",
    database=None,
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

# CI sets this (see .ci/run): a test that would skip for want of Chromium or PostgreSQL fails
# instead, so CI still proves what a fresh machine may skip.
REQUIRE_ALL = "DEALSCREEN_REQUIRE_ALL"


def require(available: bool, reason: str) -> None:
    """Skip the calling test when ``available`` is false (fail under DEALSCREEN_REQUIRE_ALL=1)."""
    if available:
        return
    if os.environ.get(REQUIRE_ALL, "") not in ("", "0"):
        pytest.fail(f"{reason} ({REQUIRE_ALL} is set, so this is a failure, not a skip)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def rulebook():  # type: ignore[no-untyped-def]
    """The shipped rulebook."""
    from screening import load_rulebook

    return load_rulebook()


# Written by the tools that run the tests, not by the tests.
_TOOL_DIRS = {".pytest_cache", ".mypy_cache", ".ruff_cache", ".venv", "__pycache__"}


@pytest.fixture(scope="session", autouse=True)
def _checkout_untouched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Tests write nothing into the checkout: the default audit store goes to a temporary
    directory, and the session fails if a new top-level entry (``build/``, ``.dealscreen/``,
    ``.hypothesis/`` …) appears in the checkout."""
    before = {p.name for p in ROOT.iterdir()}
    store = tmp_path_factory.mktemp("default-store") / "audit.db"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DEALSCREEN_DB", os.environ.get("DEALSCREEN_DB") or str(store))
        yield
    new = {p.name for p in ROOT.iterdir()} - before - _TOOL_DIRS
    assert not new, f"tests wrote into the checkout: {sorted(new)}"
