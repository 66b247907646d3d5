"""A review's processes keep large buffers out of the C heap (glibc only; elsewhere nothing).

A chunk's results travel between a worker and the review as one pickled buffer of several MB
(a result is ~45 KB of JSON). glibc serves a block that large with its own mapping, returned on
free, but then raises its mapping threshold to that block's size (the "dynamic mmap
threshold"), so the next ones come from the heap, where they leave holes that smaller objects
fill: the peak resident memory of a worker crept up with every chunk. A fixed threshold keeps
every block of 128 KiB or more in its own mapping for the life of the process.
"""

from __future__ import annotations

import ctypes
import sys

_M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter (malloc.h); setting it fixes the threshold
THRESHOLD = 128 * 1024  # glibc's default starting value


def fixed_mmap_threshold() -> bool:
    """Fix this process's mmap threshold at 128 KiB; False where that is not glibc's malloc."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, THRESHOLD) == 1)
