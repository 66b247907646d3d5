"""The review's worker processes come from multiprocessing's fork server: started early.

The fork server is a new interpreter that imports the screening modules (``PRELOAD``) before it
forks the first worker: ~0.45 s of one core, during which no deal is screened. Started as soon
as it is known that a review with worker processes is coming (the ``review`` command on its
arguments, before it imports the review's modules itself; :func:`screening.review.bulk.run_review`
before it loads the rulebook), it gets ready while this process does its own start-up on the
other core, and the workers start screening at once.

Light on purpose (standard library only): importing it costs nothing.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.context
import os
from collections.abc import Sequence

PRELOAD = ["screening.review._forkserver", "screening.review.bulk", "screening.engine.run"]


def context() -> multiprocessing.context.BaseContext:
    """The context the workers are started with."""
    # forkserver: workers fork from a clean server process, never from a parent that may run
    # threads (a progress bar, a test runner); fork from a threaded process can deadlock.
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(PRELOAD)
        return ctx
    return multiprocessing.get_context("spawn")


def start_server() -> bool:
    """Start the fork server (and multiprocessing's resource tracker) now, without waiting for
    it to be ready; False where workers are not started by a fork server. Once running, the
    server serves every later pool of this process."""
    if context().get_start_method() != "forkserver":
        return False
    from multiprocessing import forkserver

    try:
        forkserver.ensure_running()
    except OSError:  # e.g. no more processes: the pool reports it when it starts workers
        return False
    return True


def wants_workers(argv: Sequence[str]) -> bool:
    """Whether command-line arguments ask for a ``review`` with local worker processes: the
    first argument that is not an option is ``review``, with neither ``--cluster`` nor
    ``--scheduler`` nor ``--help``, and ``--workers`` more than 1 (by default, the number of
    cores). Only a hint (click parses the arguments later): a wrong guess costs a fork server
    started for nothing, or started later."""
    words = [a for a in argv if not a.startswith("-")]
    if not words or words[0] != "review":
        return False
    args = list(argv)
    args = args[args.index("review") + 1 :]
    if "--" in args:
        args = args[: args.index("--")]
    workers: str | None = None
    for at, arg in enumerate(args):
        name, _, value = arg.partition("=")
        if name in ("--cluster", "--scheduler", "--help"):
            return False
        if name == "--workers":
            workers = value if value else (args[at + 1] if at + 1 < len(args) else None)
    if workers is None:
        return (os.cpu_count() or 1) > 1
    try:
        return int(workers) > 1
    except ValueError:
        return False
