"""Worker processes die with the review that started them, even when it is killed (SIGKILL).

Workers are forked by multiprocessing's fork server, itself started by the review. On Linux,
each of them asks the kernel for a parent-death signal (``prctl(PR_SET_PDEATHSIG, SIGKILL)``):
the fork server when the review dies, each worker when the fork server dies. Where ``prctl``
does not exist, a worker runs a small daemon thread that checks every half second whether the
review process still exists, and exits when it does not.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time

_PR_SET_PDEATHSIG = 1
POLL_SECONDS = 0.5


def die_with_parent() -> bool:
    """Ask for SIGKILL when the parent process dies; False where that is not available."""
    if not sys.platform.startswith("linux"):
        return False
    # The C library is already loaded: look ``prctl`` up in this process (``CDLL(None)``)
    # rather than with ``ctypes.util.find_library``, which runs ``ldconfig`` (and more) in a
    # subprocess: from every worker and the fork server, at every review's start.
    for name in (None, "libc.so.6"):
        try:
            libc = ctypes.CDLL(name, use_errno=True)
            return bool(libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0)
        except (OSError, AttributeError):
            continue
    return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def watch_parent(pid: int) -> None:
    """Exit this process (at once, status 1) when process ``pid`` no longer exists."""

    def watch() -> None:
        while _alive(pid):
            time.sleep(POLL_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="dealscreen-lifeline", daemon=True).start()


def bind_to(review_pid: int) -> None:
    """Make this worker die with the review ``review_pid`` (and with its own parent)."""
    if die_with_parent():
        # The parent may have died before the request took effect.
        if not _alive(review_pid):
            os._exit(1)
        return
    with contextlib.suppress(RuntimeError):
        watch_parent(review_pid)
