"""``POST /v1/review``: NDJSON in, NDJSON out, streamed, in input order.

Three cooperating tasks per request: a *reader* copies the request body into a buffer bounded in
bytes; a *producer* cuts it into lines, groups consecutive lines into batches and hands each to
a worker process (at most four batches per worker in flight); the response *consumer* awaits
the batches in input order and writes one line per non-blank input line. A line that cannot be
screened becomes a problem line naming its line number, and the stream goes on.

The reader runs ahead of the writer, so a client that sends its whole request before reading the
answer (curl, httpx) can send up to the buffer's size (64 MiB by default); a client that reads
while it sends can stream without limit. Each line is limited to the body limit.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

from fastapi import Request
from fastapi.responses import StreamingResponse
from starlette.requests import ClientDisconnect
from starlette.types import Receive, Scope, Send

from screening.server import _worker
from screening.server.models import ReviewProblem
from screening.server.openapi import NDJSON
from screening.server.pool import Screener
from screening.server.problems import ApiProblem, Failure, Internal, log_internal
from screening.server.settings import Settings

BATCH_LINES = 32
BATCHES_PER_WORKER = 4
Line = tuple[int, bytes | None]  # (line number, the line; None when it was too large)


class _DuplexResponse(StreamingResponse):
    """A streaming response that may read the request body while it writes.

    Starlette's own watches ``receive`` for a disconnect while it streams, which would swallow
    the request body the stream is still reading.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.stream_response(send)


class _Buffer:
    """A FIFO of body chunks bounded in bytes (``None`` ends it)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.size = 0
        self.items: deque[bytes | None] = deque()
        self.changed = asyncio.Condition()

    async def put(self, item: bytes | None) -> None:
        async with self.changed:
            await self.changed.wait_for(lambda: self.size < self.capacity)
            self.items.append(item)
            self.size += len(item or b"")
            self.changed.notify_all()

    async def get(self) -> bytes | None:
        async with self.changed:
            await self.changed.wait_for(lambda: bool(self.items))
            item = self.items.popleft()
            self.size -= len(item or b"")
            self.changed.notify_all()
            return item


async def _read(request: Request, buffer: _Buffer) -> None:
    try:
        async for chunk in request.stream():
            if chunk:
                await buffer.put(chunk)
    except ClientDisconnect:
        pass  # the client went away: what was read is screened, and the answer goes nowhere
    finally:
        await buffer.put(None)


async def _lines(buffer: _Buffer, limit: int) -> AsyncIterator[list[Line]]:
    """The non-blank lines of each chunk; a line longer than ``limit`` as (number, None)."""
    number = 0
    tail = b""
    skipping = False  # inside a line already reported as too large
    while (chunk := await buffer.get()) is not None:
        parts = (tail + chunk).split(b"\n")
        tail = parts.pop()
        out: list[Line] = []
        for part in parts:
            number += 1
            if skipping:
                skipping = False
            elif len(part) > limit:
                out.append((number, None))
            elif part.strip():
                out.append((number, part))
        if len(tail) > limit and not skipping:
            out.append((number + 1, None))
            skipping = True
        if skipping:
            tail = b""
        if out:
            yield out
    if tail.strip() and not skipping:
        yield [(number + 1, tail)]


def _problem_line(problem: ApiProblem, number: int, path: str) -> str:
    details = problem.details(path).model_dump(exclude_none=True)
    return ReviewProblem(**details, line=number).model_dump_json(exclude_none=True)


def review_stream(
    request: Request,
    screener: Screener,
    settings: Settings,
    as_of: dt.date | None,
    record: bool,
) -> StreamingResponse:
    """The streamed answer to one review request."""
    path = request.url.path
    order: asyncio.Queue[asyncio.Task[list[str]] | None] = asyncio.Queue()
    window = asyncio.Semaphore(screener.workers * BATCHES_PER_WORKER)

    async def screen_batch(batch: list[tuple[int, bytes]]) -> list[str]:
        try:
            outcomes = await screener.run(_worker.screen_lines, batch, as_of, record)
        except ApiProblem as exc:  # a timeout or a lost worker: every line of the batch
            return [_problem_line(exc, n, path) for n, _ in batch]
        out: list[str] = []
        for (number, _), result in zip(batch, outcomes, strict=True):
            if isinstance(result, Failure):
                out.append(_problem_line(ApiProblem.of(result), number, path))
            elif isinstance(result, Internal):
                problem = log_internal(result.traceback, f"review line {number}")
                out.append(_problem_line(problem, number, path))
            else:
                out.append(result)
        return out

    async def ready(lines: list[str]) -> list[str]:
        return lines

    def too_large(number: int) -> str:
        problem = ApiProblem.one(
            f"line {number}",
            "line-too-large",
            f"the line is longer than the limit of {settings.max_body} bytes",
        )
        return _problem_line(problem, number, path)

    async def produce() -> None:
        buffer = _Buffer(settings.review_buffer)
        reader = asyncio.create_task(_read(request, buffer))
        try:
            async for lines in _lines(buffer, settings.max_body):
                batch: list[tuple[int, bytes]] = []
                for number, raw in lines:
                    if raw is None:
                        if batch:
                            await submit(screen_batch(batch))
                            batch = []
                        await submit(ready([too_large(number)]))
                        continue
                    batch.append((number, raw))
                    if len(batch) >= BATCH_LINES:
                        await submit(screen_batch(batch))
                        batch = []
                if batch:
                    await submit(screen_batch(batch))
            await reader
        finally:
            reader.cancel()
            await order.put(None)

    async def submit(work: Any) -> None:
        await window.acquire()
        await order.put(asyncio.ensure_future(work))

    async def consume() -> AsyncIterator[str]:
        producer = asyncio.create_task(produce())
        try:
            while (task := await order.get()) is not None:
                lines = await task
                window.release()
                yield "".join(line + "\n" for line in lines)
            await producer
        finally:
            producer.cancel()
            while not order.empty():
                left = order.get_nowait()
                if left is not None:
                    left.cancel()

    return _DuplexResponse(consume(), media_type=NDJSON)
