"""Run a piece of work in a child process under a CPU-time and memory ceiling.

A ceiling, not a timing assertion: the child is killed by the kernel (RLIMIT_CPU, RLIMIT_AS) if an
input makes the work blow up, and the test sees that as a failure. The ceilings are generous
(tens of seconds of CPU, about a gigabyte of address space) so a loaded CI machine never trips
them on correct code.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from collections.abc import Sequence

CPU_SECONDS = 60
MEMORY_BYTES = 1_500_000_000


def _limits(cpu: int, memory: int) -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))


def run_bounded(
    args: Sequence[str],
    *,
    cpu: int = CPU_SECONDS,
    memory: int = MEMORY_BYTES,
    cwd: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m screening.cli ARGS`` under the ceilings; return the finished process."""
    env = {**os.environ, "CI": "true", "NO_COLOR": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "screening.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        preexec_fn=lambda: _limits(cpu, memory),
        timeout=cpu * 4,
    )
    assert proc.returncode >= 0, f"killed by signal {-proc.returncode} (resource ceiling hit)"
    return proc
