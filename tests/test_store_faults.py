"""Faults during review: a full disk or a read-only store gives a clear error (exit 2) and loses
nothing already committed; the record still verifies."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from screening.authoring.fixtures_gen import generate_jsonl
from tests.conftest import FIXTURES, require


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CI": "true"}
    return subprocess.run(
        [sys.executable, "-m", "screening.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )


def _count(db: Path) -> int:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM screening").fetchone()[0])


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 16 MB filesystem of its own (tmpfs), so the store can run out of space.

    Big enough for a few batches of 200 screenings (about 3 MB each with the 13 regimes of
    issue 17 and the risk factors of issue 11, journal included), far too small for the 1,500
    deals of the review below.
    """
    mount = tmp_path / "disk"
    mount.mkdir()
    require(os.geteuid() == 0, "mounting a small tmpfs needs root (CI runs as root)")
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    require(made.returncode == 0, f"cannot mount a tmpfs here: {made.stderr.strip()}")
    try:
        yield mount
    finally:
        done = subprocess.run(["umount", str(mount)], capture_output=True, text=True)
        if done.returncode != 0:  # still busy: detach it now, the kernel frees it when idle
            subprocess.run(["umount", "-l", str(mount)], check=False)


def test_full_disk_mid_review_keeps_committed_batches(tmp_path: Path, small_disk: Path) -> None:
    """The disk fills mid-review: exit 2, one clear message, committed batches intact."""
    deals = tmp_path / "deals.jsonl"
    deals.write_text("".join(line + "\n" for line in generate_jsonl(1500, seed=3)))
    db = small_disk / "audit.db"
    url = f"sqlite:///{db}"
    run = _cli("review", str(deals), "--format", "jsonl", "--workers", "1", "--db", url)
    assert run.returncode == 2
    assert "database or disk is full" in run.stderr and "Traceback" not in run.stderr
    recorded = _count(db)
    assert recorded > 0 and recorded % 200 == 0  # whole batches only, nothing half-written
    verify = _cli("audit", "verify", "--db", url)
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_read_only_store_is_a_clear_error(tmp_path: Path) -> None:
    """A store opened read-only: exit 2 naming the store; what it held is unchanged."""
    db = tmp_path / "audit.db"
    first = _cli(
        "review",
        str(FIXTURES / "jinhai-voltcore-stake.yaml"),
        "--format",
        "jsonl",
        "--db",
        f"sqlite:///{db}",
    )
    assert first.returncode == 0, first.stderr
    readonly = f"sqlite:///file:{db}?mode=ro&uri=true"
    run = _cli("review", str(FIXTURES), "--format", "jsonl", "--db", readonly)
    assert run.returncode == 2
    assert "readonly database" in run.stderr and "Traceback" not in run.stderr
    assert _count(db) == 1
    assert _cli("audit", "verify", "--db", f"sqlite:///{db}").returncode == 0
