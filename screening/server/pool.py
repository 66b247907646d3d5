"""The pool of worker processes the server screens in, with a per-request timeout.

The event loop only parses HTTP and waits: every call into the rules engine runs in one of N
worker processes (durable-rules' C core is not thread-safe, and a process per core is how
screening scales). A call that outlives the timeout is answered ``504``; its pool is replaced by
a fresh one and the stuck workers are killed, so one runaway screening cannot starve the server.
Calls still running on the replaced pool are answered ``503 worker-restarted``.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from screening.server import _worker
from screening.server._deps import Rulebook
from screening.server.problems import ApiProblem

T = TypeVar("T")
log = logging.getLogger("screening.server")


def _context() -> multiprocessing.context.BaseContext:
    # forkserver: workers fork from a clean server process, never from the threaded server.
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["screening.server._worker", "screening.engine"])
        return ctx
    return multiprocessing.get_context("spawn")


class Screener:
    """N worker processes holding the compiled rulebook and a connection to the store."""

    def __init__(self, book: Rulebook, db_url: str, workers: int, timeout: float) -> None:
        self.book = book
        self.db_url = db_url
        self.workers = max(1, workers)
        self.timeout = timeout
        self._pool: ProcessPoolExecutor | None = None

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self.workers,
            mp_context=_context(),
            initializer=_worker.init,
            initargs=(self.book, self.db_url),
        )

    @property
    def pool(self) -> ProcessPoolExecutor:
        """The current pool (started on first use)."""
        if self._pool is None:
            self._pool = self._new_pool()
        return self._pool

    async def start(self) -> None:
        """Start the workers and wait until each has compiled the rulebook."""
        loop = asyncio.get_running_loop()
        pool = self.pool
        await asyncio.gather(
            *(loop.run_in_executor(pool, _worker.ping) for _ in range(self.workers))
        )

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` in a worker; 504 after the timeout, 503 if the worker was lost."""
        loop = asyncio.get_running_loop()
        pool = self.pool
        try:
            return await asyncio.wait_for(loop.run_in_executor(pool, fn, *args), self.timeout)
        except TimeoutError:
            log.warning(
                "a %s call exceeded %.1f s: restarting the workers", fn.__name__, self.timeout
            )
            self._recycle(pool)
            raise ApiProblem.one(
                "",
                "timeout",
                f"the request took longer than {self.timeout:g} s and was stopped",
            ) from None
        except BrokenProcessPool:
            self._recycle(pool)
            raise ApiProblem.one(
                "",
                "worker-restarted",
                "the worker screening this request was restarted; send the request again",
                headers={"Retry-After": "1"},
            ) from None

    def _recycle(self, pool: ProcessPoolExecutor) -> None:
        if pool is not self._pool:
            return  # another call already replaced it
        self._pool = self._new_pool()
        # ProcessPoolExecutor cannot cancel a running call; killing its processes is the only
        # way to stop one (the executor has no public handle on them).
        processes = list((pool._processes or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.kill()

    def close(self) -> None:
        """Stop the workers (waiting for calls in progress)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
