"""A review killed mid-way keeps what it committed; --resume records every deal exactly once."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from screening.authoring.fixtures_gen import generate_jsonl

COUNT = 2000


def _recorded(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with contextlib.closing(sqlite3.connect(db, timeout=5)) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM screening").fetchone()[0])
    except sqlite3.OperationalError:  # tables not created yet
        return 0


def test_sigkill_then_resume_records_each_deal_once(tmp_path: Path) -> None:
    """SIGKILL a review of generated deals mid-way, resume it, and count every deal once."""
    deals = tmp_path / "deals.jsonl"
    deals.write_text("".join(line + "\n" for line in generate_jsonl(COUNT, seed=11)))
    db = tmp_path / "audit.db"
    env = {**os.environ, "CI": "true"}
    args = [
        sys.executable,
        "-m",
        "screening.cli",
        "review",
        str(deals),
        "--format",
        "jsonl",
        "--workers",
        "1",
        "--db",
        f"sqlite:///{db}",
    ]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    deadline = time.monotonic() + 120
    while _recorded(db) == 0 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    before = _recorded(db)
    assert 0 < before < COUNT, f"kill landed outside the run ({before} recorded)"

    done = subprocess.run([*args, "--resume"], capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    with contextlib.closing(sqlite3.connect(db)) as conn:
        total = conn.execute("SELECT COUNT(*) FROM screening").fetchone()[0]
        distinct = conn.execute("SELECT COUNT(DISTINCT deal_hash) FROM screening").fetchone()[0]
    assert (total, distinct) == (COUNT, COUNT)
    verify = subprocess.run(
        [sys.executable, "-m", "screening.cli", "audit", "verify", "--db", f"sqlite:///{db}"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
