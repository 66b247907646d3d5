"""A review's processes keep large buffers out of the C heap (glibc only; elsewhere nothing).

A chunk's results travel between a worker and the review as one pickled buffer of several MB
when they cannot go to a part file (a result is ~45 KB of JSON). glibc serves a block that
large with its own mapping, returned on free, but then raises its mapping threshold to that
block's size (the "dynamic mmap threshold"), so the next ones come from the heap, where they
leave holes that smaller objects fill: the peak resident memory of a worker crept up with every
chunk. A fixed threshold keeps every block that large in its own mapping for the life of the
process.

Fixing the threshold also fixes glibc's trim threshold, at 128 KiB unless it is set too: the
heap's free top was then given back to the kernel after nearly every deal, and the next deal's
results (each ~45 KB of text, its UTF-8 copy, the engine's buffers) took page faults to get it
back, fresh zeroed pages every time (~20 faults a deal, a worker's CPU +5%). A worker keeps up
to ``WORKER_TRIM`` of free heap: memory it reached at its peak anyway.
"""

from __future__ import annotations

import ctypes
import sys

_M_TRIM_THRESHOLD = -1  # glibc's mallopt parameters (malloc.h); setting either fixes both
_M_MMAP_THRESHOLD = -3
THRESHOLD = 128 * 1024  # glibc's default starting value
WORKER_THRESHOLD = 1 << 20  # a worker: a pickled chunk of results (MBs) still gets a mapping
WORKER_TRIM = 8 << 20


def fixed_mmap_threshold(threshold: int = THRESHOLD, trim: int | None = None) -> bool:
    """Fix this process's mmap threshold at ``threshold`` bytes (default 128 KiB) and, when
    given, its trim threshold at ``trim``; False where that is not glibc's malloc."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    if trim is not None and mallopt(_M_TRIM_THRESHOLD, trim) != 1:
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, threshold) == 1)


def worker_heap() -> bool:
    """A worker process's settings: blocks of 1 MiB or more in their own mappings, and up to
    8 MiB of free heap kept rather than given back and faulted in again deal after deal."""
    return fixed_mmap_threshold(WORKER_THRESHOLD, WORKER_TRIM)
