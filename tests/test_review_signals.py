"""Issue 19: the review worker pool dies with its parent (SIGKILL included), and SIGTERM leaves
no partial output file and no leaked semaphore."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from screening.authoring.fixtures_gen import generate_jsonl

pytestmark = pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")


def _marked(mark: str) -> list[int]:
    """Pids of live processes whose environment carries the mark."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            env = (entry / "environ").read_bytes()
            if f"DEALSCREEN_TEST_MARK={mark}".encode() in env.split(b"\0"):
                status = (entry / "status").read_text()
                if "\nState:\tZ" not in status:
                    found.append(int(entry.name))
    return found


def _start(tmp_path: Path, mark: str, *extra: str) -> tuple[subprocess.Popen[bytes], Path]:
    deals = tmp_path / "deals.jsonl"
    deals.write_text("".join(line + "\n" for line in generate_jsonl(4000, seed=3)))
    out = tmp_path / "report.json"
    env = {**os.environ, "CI": "true", "DEALSCREEN_TEST_MARK": mark}
    args = [sys.executable, "-m", "screening.cli", "review", str(deals), "--no-store"]
    with (tmp_path / "stderr.txt").open("wb") as err:
        proc = subprocess.Popen(
            [*args, "--workers", "2", "--out", str(out), *extra],
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=env,
        )
    return proc, out


def _wait_for_workers(mark: str, proc: subprocess.Popen[bytes], count: int) -> None:
    deadline = time.monotonic() + 120
    while len(_marked(mark)) < count and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
    assert len(_marked(mark)) >= count, "the workers never started"
    time.sleep(1.0)  # let them get busy


def _wait_gone(mark: str, seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while _marked(mark) and time.monotonic() < deadline:
        time.sleep(0.2)
    return _marked(mark)


def test_sigkill_of_the_parent_takes_the_pool_with_it(tmp_path: Path) -> None:
    mark = uuid.uuid4().hex
    proc, _ = _start(tmp_path, mark)
    try:
        _wait_for_workers(mark, proc, 4)  # parent, forkserver, two workers (and the tracker)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        left = _wait_gone(mark, 20)
        assert left == [], f"processes outlived their parent: {left}"
    finally:
        for pid in _marked(mark):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


def test_sigterm_removes_the_partial_output_and_leaks_nothing(tmp_path: Path) -> None:
    mark = uuid.uuid4().hex
    proc, out = _start(tmp_path, mark)
    try:
        _wait_for_workers(mark, proc, 4)
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)
        assert _wait_gone(mark, 20) == []
        text = (tmp_path / "stderr.txt").read_text()
        assert proc.returncode != 0
        assert "Traceback" not in text, text
        assert "leaked" not in text, text  # resource_tracker: "leaked semaphore objects"
        assert not out.exists()
        assert not list(tmp_path.glob("*.part")), list(tmp_path.iterdir())
    finally:
        for pid in _marked(mark):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
