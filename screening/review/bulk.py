"""Bulk review: screen folders, files and JSON Lines streams of deals, in parallel, in order.

The parent process discovers the inputs and reads JSONL files line by line; worker processes
parse, validate and screen (each worker loads the rulebook once); results come back to the parent
strictly in input order whatever the number of workers, so every report and every recording
sink sees the same sequence, byte for byte. Nothing holds the whole batch: inputs are streamed in
chunks with a bounded number of chunks in flight, and reports write as results arrive.

A deal that cannot be read or validated becomes an :class:`Invalid` item (located: file, line for
JSONL, field path) and the batch goes on. So does a deal whose screening fails with an internal
error (an engine defect, a worker that died): an :class:`Invalid` with ``internal`` set, counted
as ``failed`` in the summary, so the report is still written and the exit status says so. A deal
id seen twice in one batch is reported as a duplicate; both deals are screened.

When resuming (``Options.skip``: content hashes of deals already recorded), a worker validates a
deal and, if its hash is in ``skip``, returns a :class:`Recorded` item instead of screening it;
:func:`run_review` turns it into a report row from the stored result.
"""

from __future__ import annotations

import codecs
import contextlib
import datetime as dt
import errno
import gc
import io
import json
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TextIO

from screening.engine.explain import verdict_range
from screening.engine.verdict import LEVELS, NOT_IN_FORCE, VERDICTS, ScreeningResult, rank
from screening.errors import DealError, Problem, ScreeningError
from screening.model._yaml import (
    Document,
    DocumentError,
    DuplicateKeyError,
    check_tree,
    json_loads,
    jsonl_lines,
    load_file,
    too_large_line,
)
from screening.model.deal import Deal, DealRecord, content_hash
from screening.model.loader import DEAL_SUFFIXES, validate_deal
from screening.review import _start
from screening.review._lifeline import bind_to
from screening.review._malloc import fixed_mmap_threshold
from screening.rulebook.book import Rulebook, load_rulebook

if TYPE_CHECKING:
    from screening.review.distributed import Cluster

JSONL_SUFFIXES = (".jsonl", ".ndjson")
INVALID_SAMPLES = 1000
_FILES_PER_CHUNK = 4
# A chunk's results are what a worker and the review hold at their peaks: a result is ~30 times
# its deal's JSON (~45 KB for a generated deal of ~1.5 KB), and a worker holds a whole chunk of
# them (results, their JSON, the pickle sent back). So a chunk is at most 32 lines, and fewer
# when their text passes 64 KiB (large deals make large results): with 128 lines a worker
# peaked ~35 MB higher and was no faster (the engine's sessions per chunk cost little).
_LINES_PER_CHUNK = 32
_CHUNK_BYTES = 64 << 10
_CHUNKS_PER_WORKER = 2  # one being screened, one waiting: results held stay few


# --------------------------------------------------------------------------------------------
# What the parent receives


# Part files a worker process wrote, open in the review process: path -> file descriptor. A part
# is opened (and its name removed at once) when its chunk's results arrive, and closed when the
# review moves on to the next chunk; nothing else reads it.
_PART_FDS: dict[str, int] = {}


@dataclass(frozen=True, slots=True)
class PartText:
    """Where a worker process left a result's JSON: ``length`` bytes of UTF-8 at ``start`` of
    the part file ``path`` (``--workers N``, N > 1), followed by a newline.

    The worker writes its chunk's results to one part file and sends back only the row facts
    and these spans, so the review process does not receive, decode and re-encode ~45 KB per
    deal: a report that copies results as they are (``jsonl``, ``json``) has the kernel copy
    them from the part file to its output (:class:`ResultWriter`). The text can be read only
    while the review is at that chunk (:func:`run_review` consumes each item at once);
    :func:`review` gives every item its text as a string."""

    path: str
    start: int
    length: int
    newline: bool = False  # a newline follows the text in the part (a local worker's part)

    def read(self) -> str:
        """The JSON text."""
        return self.read_bytes().decode("utf-8")

    def read_bytes(self) -> bytes:
        """The JSON text as UTF-8."""
        fd = _PART_FDS.get(self.path)
        if fd is None:
            raise RuntimeError(f"the results of part {self.path} are no longer available")
        data = os.pread(fd, self.length, self.start)
        while len(data) < self.length:  # a regular file gives it all at once; just in case
            more = os.pread(fd, self.length - len(data), self.start + len(data))
            if not more:
                raise RuntimeError(f"part {self.path} is shorter than its results")
            data += more
        return data

    def send(self, out_fd: int, *, newline: bool = False) -> bool:
        """Copy the text to ``out_fd`` (at its position) in the kernel (``sendfile``), with the
        newline that follows it in the part when ``newline`` (only where ``self.newline``
        says one does); False, with nothing written, where that is not possible (the caller
        then writes the text)."""
        fd = _PART_FDS.get(self.path)
        if fd is None:
            raise RuntimeError(f"the results of part {self.path} are no longer available")
        if newline and not self.newline:
            raise ValueError(f"no newline follows this result in part {self.path}")
        total = self.length + newline
        at, left = self.start, total
        while left:
            try:
                sent = os.sendfile(out_fd, fd, at, left)
            except OSError as exc:
                if left == total and exc.errno in _NO_SENDFILE:
                    return False  # nothing written: write the text instead
                raise
            if sent == 0:
                raise RuntimeError(f"part {self.path} is shorter than its results")
            at += sent
            left -= sent
        return True


class ResultWriter:
    """Writes results' JSON text to a report's stream: a :class:`PartText` is copied by the
    kernel from its part file when the stream is a UTF-8 file or pipe that is not a terminal
    (its buffer flushed first, so the bytes land in order), else read and written as text.
    Either way the bytes are those of the text written as a string."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.kernel = sys.platform.startswith("linux")

    def write(self, text: str | PartText, end: str = "") -> None:
        """Write one result's JSON text, then ``end``. A local worker's part holds a newline
        after each result: a result and its newline (``end="\\n"``) are copied by one
        ``sendfile``."""
        if isinstance(text, str):
            self.out.write(text)
            if end:
                self.out.write(end)
            return
        if self.kernel:
            fd = self._fd()
            if fd is not None:
                self.out.flush()
                if end == "\n" and text.newline:
                    if text.send(fd, newline=True):
                        return
                elif text.send(fd):
                    if end:
                        self.out.write(end)
                    return
                self.kernel = False  # this stream takes no sendfile: write from now on
        self.out.write(text.read())
        if end:
            self.out.write(end)

    def _fd(self) -> int | None:
        out = self.out
        kernel_fd = getattr(out, "kernel_fd", None)  # a stream that says where it writes
        return kernel_fd() if callable(kernel_fd) else plain_fd(out)


# sendfile's refusals that mean "not to this descriptor" (then the text is written instead);
# any other error (EIO, ENOSPC, EPIPE) is raised as a write would raise it.
_NO_SENDFILE = frozenset(
    getattr(errno, name)
    for name in ("EINVAL", "ENOSYS", "EOPNOTSUPP", "ENOTSUP", "EXDEV", "EBADF", "ESPIPE")
    if hasattr(errno, name)
)


def plain_fd(out: object) -> int | None:
    """The descriptor a stream writes to unchanged, or None: only a plain UTF-8 text file or
    pipe (``io.TextIOWrapper`` over ``io.BufferedWriter`` over ``io.FileIO``, or directly over
    ``io.FileIO`` when unbuffered; exactly those types) that is not a terminal. A wrapping or
    transforming stream (gzip, bz2, lzma, a TLS socket file, a subclass overriding ``write``)
    also has a ``fileno()``, of what lies beneath it: bytes copied there would bypass what it
    does, so such a stream is written to."""
    if type(out) is not io.TextIOWrapper:
        return None
    buffer = out.buffer
    # Unbuffered (``python -u``, ``PYTHONUNBUFFERED``): the text stream writes straight through
    # to the file, with no buffer of its own between them.
    raw = buffer if type(buffer) is io.FileIO else getattr(buffer, "raw", None)
    if type(buffer) not in (io.BufferedWriter, io.FileIO) or type(raw) is not io.FileIO:
        return None
    try:
        if codecs.lookup(out.encoding).name != "utf-8":
            return None
        fd = out.fileno()
    except (OSError, ValueError, LookupError):  # io.UnsupportedOperation is both
        return None
    return None if os.isatty(fd) else fd


@dataclass(frozen=True, slots=True)
class Reviewed:
    """One screened deal: the row facts every report needs, and the result as compact JSON."""

    source: str
    deal_id: str
    deal_name: str
    kind: str
    investor: str
    investor_country: str
    target: str
    naics: str
    verdict: str
    provisional: bool
    regimes: tuple[tuple[str, str], ...]
    reasons: tuple[str, ...]
    result_text: str | PartText
    deal_json: str | None = None
    duplicate_of: str | None = None
    ceiling: str = ""
    regime_ceilings: tuple[tuple[str, str], ...] = ()

    @property
    def result_json(self) -> str:
        """The screening result as compact JSON (read from its part file if a worker left it
        there: see :class:`PartText`)."""
        text = self.result_text
        return text if isinstance(text, str) else text.read()

    @property
    def verdict_range(self) -> str:
        """The overall verdict with its range (``clear — could reach covered``)."""
        return verdict_range(self.verdict, self.ceiling or None)

    def regime_range(self, regime: str) -> str:
        """A regime's verdict with its range; empty when the deal has no such regime."""
        verdict = dict(self.regimes).get(regime)
        if verdict is None:
            return ""
        if verdict == NOT_IN_FORCE:
            return NOT_IN_FORCE
        return verdict_range(verdict, dict(self.regime_ceilings).get(regime))

    @property
    def sector(self) -> str:
        """The NAICS 2-digit sector code, or empty when the record gives no NAICS code."""
        return self.naics[:2]

    def result(self) -> ScreeningResult:
        """The full screening result (parsed on demand)."""
        return ScreeningResult.model_validate_json(self.result_json)

    def deal(self) -> DealRecord:
        """The validated deal record (only when the review kept deals, as for a store)."""
        if self.deal_json is None:
            raise ValueError("this review did not keep deal records (pass keep_deals=True)")
        return Deal.model_validate_json(self.deal_json).root


@dataclass(frozen=True, slots=True)
class Invalid:
    """An input that could not be read, validated or screened; skipped, with located problems.

    ``internal`` marks a failure of dealscreen itself (not of the input): exit status 1."""

    source: str
    problems: tuple[Problem, ...]
    internal: bool = False


@dataclass(frozen=True, slots=True)
class Recorded:
    """A valid deal the store already holds under this rulebook (resume): not screened again."""

    source: str
    deal_hash: str
    deal_id: str
    duplicate_of: str | None = None


Item = Reviewed | Invalid


@dataclass
class Summary:
    """Counts over a whole batch; small whatever the batch size (samples are capped)."""

    rulebook_version: str
    screened: int = 0
    invalid: int = 0
    failed: int = 0
    resumed: int = 0
    duplicates: int = 0
    provisional: int = 0
    verdicts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(VERDICTS, 0))
    regimes: dict[str, dict[str, int]] = field(default_factory=dict)
    countries: dict[str, int] = field(default_factory=dict)
    sectors: dict[str, int] = field(default_factory=dict)
    invalid_problems: list[Problem] = field(default_factory=list)
    duplicate_problems: list[Problem] = field(default_factory=list)
    elapsed: float = 0.0

    def add(self, item: Item) -> None:
        """Count one item."""
        if isinstance(item, Invalid):
            if item.internal:
                self.failed += 1
            else:
                self.invalid += 1
            room = INVALID_SAMPLES - len(self.invalid_problems)
            self.invalid_problems.extend(item.problems[: max(room, 0)])
            return
        self.screened += 1
        self.verdicts[item.verdict] = self.verdicts.get(item.verdict, 0) + 1
        self.provisional += item.provisional
        regimes = self.regimes
        for regime, verdict in item.regimes:
            counts = regimes.get(regime)
            if counts is None:
                counts = regimes[regime] = dict.fromkeys(VERDICTS, 0)
            counts[verdict] += 1
        country = item.investor_country or "unknown"
        self.countries[country] = self.countries.get(country, 0) + 1
        sector = item.sector or "unknown"
        self.sectors[sector] = self.sectors.get(sector, 0) + 1
        if item.duplicate_of is not None:
            self.duplicates += 1
            if len(self.duplicate_problems) < INVALID_SAMPLES:
                self.duplicate_problems.append(duplicate_problem(item))

    def reached(self, level: str) -> int:
        """How many deals reached ``level`` or above."""
        return sum(n for v, n in self.verdicts.items() if rank(v) >= rank(level))

    def line(self) -> str:
        """The one-line summary printed on stderr at the end of a review."""
        rate = self.screened / self.elapsed if self.elapsed > 0 else 0.0
        shown = [*reversed(LEVELS), *([NOT_IN_FORCE] if self.verdicts.get(NOT_IN_FORCE) else [])]
        per_verdict = " · ".join(f"{v} {self.verdicts[v]}" for v in shown)
        return (
            f"reviewed {self.total} deals in {self.elapsed:.1f} s "
            f"({rate:,.0f}/s): {self.screened} screened, {self.invalid} invalid, "
            + (f"{self.failed} failed, " if self.failed else "")
            + f"{self.duplicates} duplicate ids · {per_verdict}"
        )

    @property
    def total(self) -> int:
        """Every input counted: screened, invalid and failed."""
        return self.screened + self.invalid + self.failed

    def to_jsonable(self) -> dict[str, object]:
        """The summary as JSON data (no timings: reports are deterministic)."""
        return {
            "rulebook_version": self.rulebook_version,
            "deals": self.total,
            "screened": self.screened,
            "invalid": self.invalid,
            **({"failed": self.failed} if self.failed else {}),
            "duplicates": self.duplicates,
            "provisional": self.provisional,
            "verdicts": self.verdicts,
            "regimes": {k: self.regimes[k] for k in sorted(self.regimes)},
            "investor_countries": dict(sorted(self.countries.items())),
            "sectors": dict(sorted(self.sectors.items())),
            "problems": [
                {"location": p.location, "code": p.code, "message": p.message}
                for p in [*self.invalid_problems, *self.duplicate_problems]
            ],
        }


def duplicate_problem(item: Reviewed) -> Problem:
    """The warning for a deal whose id an earlier deal of the batch already had."""
    return Problem(
        item.source,
        "duplicate-id",
        f"deal id `{item.deal_id}` was already used at {item.duplicate_of}",
    )


class Sink(Protocol):
    """Receives every screened deal with its result, in input order, in the parent process."""

    def __call__(self, deal: DealRecord, result: ScreeningResult, /) -> None: ...


# --------------------------------------------------------------------------------------------
# Discovery (parent)


Task = tuple[str, int, bytes | None]  # (file, line or 0 for a whole file, the JSONL line)


def discover(paths: Sequence[Path]) -> Iterator[Path | Invalid]:
    """Deal files and JSONL files under ``paths`` in a stable order; bad paths as Invalid."""
    for path in paths:
        if path.is_dir():
            found = [
                p
                for p in path.rglob("*")
                if p.is_file()
                and p.suffix.lower() in DEAL_SUFFIXES + JSONL_SUFFIXES
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            ]
            yield from sorted(found, key=lambda p: p.relative_to(path).parts)
        elif not path.exists():
            yield Invalid(str(path), (Problem(str(path), "file-not-found", "no such file"),))
        elif path.suffix.lower() not in DEAL_SUFFIXES + JSONL_SUFFIXES:
            yield Invalid(
                str(path),
                (
                    Problem(
                        str(path),
                        "unsupported-file",
                        "expected a .yaml, .yml, .json or .jsonl file, or a folder",
                    ),
                ),
            )
        else:
            yield path


def tasks(paths: Sequence[Path]) -> Iterator[Task | Invalid]:
    """One task per deal file and per non-blank JSONL line, streamed."""
    for entry in discover(paths):
        if isinstance(entry, Invalid):
            yield entry
        elif entry.suffix.lower() in JSONL_SUFFIXES:
            try:
                with entry.open("rb") as fh:
                    for number, raw in jsonl_lines(fh):
                        if raw is None:
                            where = f"{entry}:{number}"
                            yield Invalid(where, (Problem(where, "too-large", too_large_line()),))
                        elif raw.strip():
                            yield (str(entry), number, raw)
            except OSError as exc:
                problem = Problem(str(entry), "unreadable", exc.strerror or str(exc))
                yield Invalid(str(entry), (problem,))
        else:
            yield (str(entry), 0, None)


def count_tasks(paths: Sequence[Path]) -> int:
    """How many deals the inputs hold (for a progress bar): files plus non-blank JSONL lines."""
    total = 0
    for entry in discover(paths):
        if isinstance(entry, Path) and entry.suffix.lower() in JSONL_SUFFIXES:
            try:
                with entry.open("rb") as fh:
                    total += sum(1 for _, raw in jsonl_lines(fh) if raw is None or raw.strip())
            except OSError:
                total += 1
        else:
            total += 1
    return total


# --------------------------------------------------------------------------------------------
# Screening (workers; also in-process for one worker)


@dataclass
class _WorkerState:
    book: Rulebook | None = None
    as_of: dt.date | None = None
    keep_deals: bool = False
    skip: frozenset[str] = frozenset()


_STATE = _WorkerState()


def _init_worker(
    rules: Rulebook | tuple[str, ...],
    as_of: dt.date | None,
    keep_deals: bool,
    skip: frozenset[str] = frozenset(),
    review_pid: int | None = None,
) -> None:
    """Set up a worker: the rulebook the parent loaded (or its layers), compiled once; a
    worker process (``review_pid`` given) dies with the review."""
    from screening.engine.run import compiled

    if review_pid is not None:
        bind_to(review_pid)
        fixed_mmap_threshold()

    _STATE.book = rules if isinstance(rules, Rulebook) else load_rulebook([Path(p) for p in rules])
    _STATE.as_of = as_of
    _STATE.keep_deals = keep_deals
    _STATE.skip = skip
    compiled(_STATE.book)
    if review_pid is not None:
        # A worker process lives for the review: what it holds now (modules, the rulebook,
        # compiled rulesets) stays, so the cyclic collector need not scan it again and again.
        gc.collect()
        gc.freeze()


def _document(task: Task) -> Document:
    path, number, raw = task
    if raw is None:
        try:
            doc = load_file(Path(path))
        except DocumentError as exc:
            raise DealError(exc.problems) from None
        where = f"{path}:1"
    else:
        where = f"{path}:{number}"
        try:
            data = json_loads(raw.decode("utf-8"))
            check_tree(data, where)
        except DuplicateKeyError as exc:
            raise DealError.one(where, "duplicate-key", exc.message) from None
        except UnicodeDecodeError:
            raise DealError.one(where, "not-utf8", "not UTF-8 text") from None
        except json.JSONDecodeError as exc:
            raise DealError.one(where, "invalid-json", exc.msg.lower()) from None
        except RecursionError:
            raise DealError.one(where, "too-deep", "nested too deeply") from None
        except DocumentError as exc:
            raise DealError(exc.problems) from None
        doc = Document(path, data, {(): number})
    if not isinstance(doc.data, dict):
        raise DealError.one(where, "invalid-deal", "$: a deal is a mapping of fields")
    return doc


def _source(task: Task) -> str:
    path, number, _ = task
    return f"{path}:{number}" if number else path


def _invalid(source: str, exc: ScreeningError) -> Invalid:
    return Invalid(source, tuple(_locate(p, source) for p in exc.problems))


def failed(source: str, exc: BaseException) -> Invalid:
    """The item for a deal whose screening failed with an internal error."""
    message = f"{type(exc).__name__}: {exc}".splitlines()[0][:500]
    return Invalid(source, (Problem(source, "internal-error", message),), internal=True)


def reviewed(
    source: str, record: DealRecord, result: ScreeningResult, *, keep_deal: bool
) -> Reviewed:
    """The report row of one screened deal."""
    top = [r for r in result.regimes.values() if r.verdict == result.verdict]
    reasons = sorted({rule for r in top for rule in r.rules})
    return Reviewed(
        source=source,
        deal_id=record.id,
        deal_name=record.name,
        kind=record.kind,
        investor=record.investor.name,
        investor_country=record.investor.country or "",
        target=record.target.name,
        naics=record.target.naics or "",
        verdict=result.verdict,
        provisional=result.provisional,
        regimes=tuple((r.regime, r.verdict) for r in result.regimes.values()),
        reasons=tuple(reasons),
        result_text=result.model_dump_json(),
        deal_json=record.model_dump_json() if keep_deal else None,
        ceiling=result.ceiling or result.verdict,
        regime_ceilings=tuple((r.regime, r.ceiling or r.verdict) for r in result.regimes.values()),
    )


def _locate(problem: Problem, source: str) -> Problem:
    """Give a problem found without a file (a data path only) the input it came from."""
    if problem.location.startswith("$"):
        return Problem(source, problem.code, f"{problem.location}: {problem.message}")
    return problem if problem.location else replace(problem, location=source)


def _screen_chunk(chunk: list[Task], part: str | None = None) -> list[Item | Recorded]:
    """Validate a chunk's deals, skip those already recorded (``--resume``), then screen the rest
    together (``screen_batch``: one engine session per ruleset for the chunk, results identical
    to ``screen()`` deal by deal). A defect while screening the batch is retried deal by deal, so
    only the deal that fails is reported (``internal-error``) and the batch goes on.

    With ``part`` (a worker process), the results' JSON is written to that file and the items
    carry where (:class:`PartText`) instead of the text."""
    from screening.engine.run import screen, screen_batch

    assert _STATE.book is not None, "worker not initialised"
    book, as_of = _STATE.book, _STATE.as_of
    items: list[Item | Recorded | None] = []
    valid: list[tuple[int, str, DealRecord]] = []
    for task in chunk:
        source = _source(task)
        try:
            record = validate_deal(_document(task))
        except ScreeningError as exc:
            items.append(_invalid(source, exc))
            continue
        except Exception as exc:  # a defect, not the input's fault: reported, the batch goes on
            items.append(failed(source, exc))
            continue
        if _STATE.skip:
            digest = content_hash(record)
            if digest in _STATE.skip:
                items.append(Recorded(source, digest, record.id))
                continue
        valid.append((len(items), source, record))
        items.append(None)
    outcomes: list[ScreeningResult | BaseException]
    try:
        outcomes = list(screen_batch([r for _, _, r in valid], rulebook=book, as_of=as_of))
    except Exception:
        outcomes = []
        for _, _, record in valid:
            try:
                outcomes.append(screen(record, rulebook=book, as_of=as_of))
            except Exception as exc:  # ScreeningError or a defect: reported per deal below
                outcomes.append(exc)
    for (at, source, record), outcome in zip(valid, outcomes, strict=True):
        if isinstance(outcome, ScreeningError):
            items[at] = _invalid(source, outcome)
        elif isinstance(outcome, BaseException):
            items[at] = failed(source, outcome)
        else:
            items[at] = reviewed(source, record, outcome, keep_deal=_STATE.keep_deals)
    done = [item for item in items if item is not None]
    return done if part is None else _to_part(done, part)


def _to_part(items: list[Item | Recorded], part: str) -> list[Item | Recorded]:
    """Write the results' JSON of ``items`` to the file ``part`` (each followed by a newline)
    and give back the items with :class:`PartText` in their place. A text that is not valid
    UTF-8 (a lone surrogate) stays a string, as does every text when the file cannot be written
    (the review process then receives them as before; nothing is lost)."""
    blobs: list[bytes] = []
    spans: list[tuple[int, int, int]] = []  # (index, start, length)
    at = 0
    for index, item in enumerate(items):
        if isinstance(item, Reviewed) and isinstance(item.result_text, str):
            try:
                blob = item.result_text.encode("utf-8")
            except UnicodeEncodeError:
                continue
            blobs.append(blob)
            blobs.append(b"\n")
            spans.append((index, at, len(blob)))
            at += len(blob) + 1
    if not spans:
        return items
    try:
        with open(part, "wb", buffering=0) as fh:
            _write_all(fh.fileno(), blobs)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(part)
        return items
    placed = list(items)
    for index, start, length in spans:
        item = items[index]
        assert isinstance(item, Reviewed)
        placed[index] = replace(item, result_text=PartText(part, start, length, newline=True))
    return placed


def _write_all(fd: int, blobs: list[bytes]) -> None:
    """Write ``blobs`` one after the other to ``fd``, gathered (``writev``: no joined copy)."""
    limit = getattr(os, "IOV_MAX", 1024) if hasattr(os, "writev") else 0
    if not limit:
        os.write(fd, b"".join(blobs))  # pragma: no cover - every POSIX system has writev
        return
    at = 0
    while at < len(blobs):
        batch = blobs[at : at + limit]
        written = os.writev(fd, batch)
        for blob in batch:
            if written < len(blob):
                break
            written -= len(blob)
            at += 1
        else:
            continue
        # a short write (rare, for a regular file): the rest of this blob, then go on
        rest = memoryview(blobs[at])[written:]
        while rest:
            rest = rest[os.write(fd, rest) :]
        at += 1


# --------------------------------------------------------------------------------------------
# Orchestration (parent)


@dataclass(frozen=True)
class Options:
    """How to review: rulebook layers, screening date, worker count, whether to keep deals;
    ``cluster`` (from :func:`screening.review.distributed.open_cluster`) screens on Dask."""

    layers: tuple[str, ...] = ()
    as_of: dt.date | None = None
    workers: int | None = None
    keep_deals: bool = False
    skip: frozenset[str] = frozenset()
    cluster: Cluster | None = None

    @property
    def worker_count(self) -> int:
        """The number of worker processes (default: the number of cores)."""
        return max(1, self.workers or os.cpu_count() or 1)


def _chunks(items: Iterable[Task | Invalid]) -> Iterator[list[Task] | Invalid]:
    chunk: list[Task] = []
    size = 0
    for item in items:
        if isinstance(item, Invalid):
            if chunk:
                yield chunk
                chunk = []
                size = 0
            yield item
            continue
        chunk.append(item)
        raw = item[2]
        if raw is not None:
            size += len(raw)
        limit = _LINES_PER_CHUNK if raw is not None else _FILES_PER_CHUNK
        if len(chunk) >= limit or size >= _CHUNK_BYTES:
            yield chunk
            chunk = []
            size = 0
    if chunk:
        yield chunk


def _in_process(
    chunks: Iterator[list[Task] | Invalid], options: Options
) -> Iterator[Item | Recorded]:
    _init_worker(options.layers, options.as_of, options.keep_deals, options.skip)
    for chunk in chunks:
        if isinstance(chunk, Invalid):
            yield chunk
        else:
            yield from _screen_chunk(chunk)


def _context() -> multiprocessing.context.BaseContext:
    return _start.context()


_Pending = tuple[Future[list[Item | Recorded]], list[Task], str | None] | Invalid


def _in_workers(
    chunks: Iterator[list[Task] | Invalid], options: Options, spans: bool
) -> Iterator[Item | Recorded]:
    workers = options.worker_count
    # Large buffers (a chunk's results when they could not go to a part file) stay out of the
    # heap.
    fixed_mmap_threshold()
    pool = ProcessPoolExecutor(
        workers,
        mp_context=_context(),
        initializer=_init_worker,
        # The parent's parsed rulebook travels to each worker, which so need not parse the
        # rule files again (most of a cold start is YAML parsing).
        initargs=(
            load_rulebook([Path(p) for p in options.layers]),
            options.as_of,
            options.keep_deals,
            options.skip,
            os.getpid(),
        ),
    )
    # A bounded window of chunks in flight, consumed in submission order: input order out,
    # bounded memory in, whatever the number of workers.
    pending: deque[_Pending] = deque()
    window = workers * _CHUNKS_PER_WORKER
    # Each chunk's results are written by its worker to a part file of a private directory
    # (the review process receives only the row facts): see PartText.
    try:
        parts: str | None = tempfile.mkdtemp(prefix="dealscreen-review-")
    except OSError:  # no writable temporary directory: results travel back as strings
        parts = None
    try:
        with _signals_held():
            # Every worker is started now, with SIGINT and SIGTERM held back: a signal that
            # cut the parent's hand-over of a worker's start-up data (the rulebook) short left
            # that worker to die on a truncated pickle, with a traceback. The pool's threads,
            # started here, keep them blocked, so a signal reaches the main thread only.
            for _ in range(workers):
                pool.submit(os.getpid)
        for number, chunk in enumerate(chunks):
            if isinstance(chunk, Invalid):
                pending.append(chunk)
            else:
                part = os.path.join(parts, f"part-{number}.jsonl") if parts else None
                pending.append((pool.submit(_screen_chunk, chunk, part), chunk, part))
            while len(pending) >= window or (pending and _ready(pending[0])):
                yield from _drain(pending.popleft(), spans)
        while pending:
            yield from _drain(pending.popleft(), spans)
    except BaseException:
        # Interrupted (SIGTERM, Ctrl-C, the consumer stopped): stop the workers now rather
        # than let them finish their chunks, then shut down cleanly (queues and semaphores
        # released, nothing left for the resource tracker to complain about).
        _stop_workers(pool)
        raise
    finally:
        try:
            pool.shutdown(wait=True, cancel_futures=True)
        finally:  # a second Ctrl-C during the shutdown still removes the parts
            if parts is not None:
                shutil.rmtree(parts, ignore_errors=True)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM wait (pending, delivered on leaving) in the main thread."""
    held = {signal.SIGINT, signal.SIGTERM}
    if not hasattr(signal, "pthread_sigmask") or (
        threading.current_thread() is not threading.main_thread()
    ):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    processes = getattr(pool, "_processes", None) or {}
    for process in list(processes.values()):
        with contextlib.suppress(OSError, ValueError):
            process.terminate()
    # The queue's feeder thread may be blocked writing a chunk into the pipe to the workers
    # (its buffer is full and the workers are gone): the pool's shutdown would wait for it
    # forever (seen when SIGTERM came while a worker was starting). Nothing queued matters now.
    call_queue = getattr(pool, "_call_queue", None)
    if call_queue is not None:
        with contextlib.suppress(Exception):
            call_queue.cancel_join_thread()


def _ready(head: _Pending) -> bool:
    return isinstance(head, Invalid) or head[0].done()


def _drain(head: _Pending, spans: bool) -> Iterator[Item | Recorded]:
    """The items of the chunk at the head of the queue. Its part file is opened and its name
    removed at once (a review interrupted from here on leaves nothing of it behind), and closed
    once the consumer asks for the next chunk's items; without ``spans`` every result's text
    is read into its item first (the consumer may keep the items)."""
    if isinstance(head, Invalid):
        yield head
        return
    future, chunk, part = head
    try:
        items = future.result()
    except Exception as exc:  # a worker died (killed, out of memory): its deals failed
        yield from [failed(f"{p}:{n}" if n else p, exc) for p, n, _ in chunk]
        return
    try:
        if part is None:
            raise FileNotFoundError
        fd = os.open(part, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:  # no result of the chunk went to a part file
        yield from items
        return
    try:
        os.unlink(part)
        _PART_FDS[part] = fd
        yield from items if spans else [_with_text(item) for item in items]
    finally:
        _PART_FDS.pop(part, None)
        os.close(fd)


def _with_text(item: Item | Recorded) -> Item | Recorded:
    if isinstance(item, Reviewed) and not isinstance(item.result_text, str):
        return replace(item, result_text=item.result_text.read())
    return item


def review(
    paths: Sequence[Path], options: Options | None = None, progress: Progress | None = None
) -> Iterator[Item | Recorded]:
    """Screen every deal under ``paths``; yield one item per deal, in input order.

    Each :class:`Reviewed` whose deal id an earlier deal of the batch used carries
    ``duplicate_of`` (the earlier source). On a cluster (``options.cluster``) the items come
    from the partitions' files once every partition is screened, duplicates found on the
    cluster; ``progress`` then counts deals as partitions finish.
    """
    yield from _review(paths, options or Options(), progress, spans=False)


def _review(
    paths: Sequence[Path], opts: Options, progress: Progress | None, *, spans: bool
) -> Iterator[Item | Recorded]:
    """:func:`review`; with ``spans``, a result a worker wrote to a part file is left there
    (:class:`PartText`) and must be used before the next item is asked for."""
    if opts.cluster is not None:
        yield from opts.cluster.review(paths, opts, progress, spans=spans)
        return
    chunks = _chunks(tasks(paths))
    if opts.worker_count == 1:
        items = _in_process(chunks, opts)
    else:
        items = _in_workers(chunks, opts, spans)
    seen = _FirstSeen()
    try:
        for item in items:
            if isinstance(item, Reviewed | Recorded):
                first = seen.first(item.deal_id, item.source)
                if first is not None:
                    item = replace(item, duplicate_of=first)
            yield item
    finally:
        seen.close()


class _FirstSeen:
    """Deal id -> the source that first used it, kept on disk, not in memory: a private
    temporary SQLite database (deleted when closed) keyed by the deal id itself, so a lookup
    is exact (no hash stands in for an id: two ids are the same only when their text is) and
    memory stays within SQLite's page cache whatever the number of deals (a review of 10M
    deals does not hold 10M ids). Ids and sources are stored as their UTF-8 bytes (lone
    surrogates kept, as in a file name that is not UTF-8). A ``path:line`` source is stored as
    one integer (the path once, in memory: one entry per JSONL file), any other source as
    written; both give back exactly the source given."""

    def __init__(self) -> None:
        # "" is SQLite's private temporary database: a file in the temporary directory only
        # once the page cache overflows, removed on close. One transaction for the whole
        # review and no journal: nothing here outlives the review, nothing needs a rollback.
        import sqlite3

        self._db = sqlite3.connect("", isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute("PRAGMA cache_size=-2048")  # KiB: the index's whole memory
        self._db.execute("CREATE TABLE first (id BLOB PRIMARY KEY, source) WITHOUT ROWID")
        self._db.execute("BEGIN")
        self._paths: dict[str, int] = {}
        self._path_list: list[str] = []

    def first(self, deal_id: str, source: str) -> str | None:
        """The source that used ``deal_id`` before ``source``, or None (``source`` is first)."""
        key = deal_id.encode("utf-8", "surrogatepass")
        added = self._db.execute(
            "INSERT OR IGNORE INTO first VALUES (?, ?)", (key, self._pack(source))
        )
        if added.rowcount == 1:
            return None
        (known,) = self._db.execute("SELECT source FROM first WHERE id = ?", (key,)).fetchone()
        if isinstance(known, int):
            first = self._unpack(known)
        else:
            first = known.decode("utf-8", "surrogatepass")
        return None if first == source else first

    def close(self) -> None:
        """Drop the index (its temporary file with it)."""
        self._db.close()

    def _pack(self, source: str) -> int | bytes:
        path, sep, line = source.rpartition(":")
        # at most 12 digits: below 1 << 40, and never an over-long integer conversion
        if not (sep and line.isascii() and line.isdigit() and len(line) <= 12):
            return source.encode("utf-8", "surrogatepass")
        if str(int(line)) != line:
            return source.encode("utf-8", "surrogatepass")
        index = self._paths.get(path)
        if index is None:
            index = self._paths[path] = len(self._path_list)
            self._path_list.append(path)
        return (index << 40) | int(line)

    def _unpack(self, packed: int) -> str:
        return f"{self._path_list[packed >> 40]}:{packed & ((1 << 40) - 1)}"


class Report(Protocol):
    """A report being written: items arrive in input order, then the summary.

    A report with a true ``reads_at_once`` attribute promises to use each item's result only
    within ``add`` and to keep no item: it may then receive results left in a worker's part
    file (:class:`PartText`); any other report receives every result as a string."""

    def add(self, item: Reviewed) -> None:
        """Write (or take in) one screened deal."""

    def invalid(self, item: Invalid) -> None:
        """Take note of one skipped input."""

    def finish(self, summary: Summary) -> None:
        """Write whatever comes after the last deal."""


class Progress(Protocol):
    """Something to tell how far the review has got."""

    def advance(self, n: int) -> None:
        """``n`` more deals are done."""


def run_review(
    paths: Sequence[Path],
    report: Report,
    *,
    options: Options | None = None,
    sink: Sink | None = None,
    progress: Progress | None = None,
    problems: Callable[[Problem], None] | None = None,
    stored: Callable[[str], tuple[DealRecord, ScreeningResult]] | None = None,
) -> Summary:
    """Review ``paths`` into ``report`` (and ``sink``); return the summary.

    ``problems`` receives every invalid-input problem and duplicate-id warning as it happens
    (the command prints them on stderr), so nothing about a bad input is held back.
    ``stored`` gives the recorded deal and result for a content hash in ``options.skip``
    (resume): those deals are reported from the store, not screened or recorded again.
    """
    opts = options or Options()
    if sink is not None and not opts.keep_deals:
        opts = replace(opts, keep_deals=True)
    if opts.cluster is None and opts.worker_count > 1:
        _start.start_server()  # it gets ready while the rulebook loads (see _start)
    book = load_rulebook([Path(p) for p in opts.layers])
    summary = Summary(rulebook_version=book.version)
    started = time.perf_counter()
    pending = 0
    # On a cluster, progress counts deals as partitions are screened, before items arrive.
    on_cluster = opts.cluster is not None
    # A report that uses each item during ``add`` and keeps none (every report of
    # screening.review.report) lets results stay in the workers' part files (PartText);
    # any other report receives them as strings, as before.
    spans = bool(getattr(report, "reads_at_once", False))
    entries = _review(paths, opts, progress if on_cluster else None, spans=spans)
    if on_cluster:
        progress = None
    try:
        for entry in entries:
            item: Item
            if isinstance(entry, Recorded):
                if stored is None:
                    raise ValueError("options.skip needs `stored` to report recorded deals")
                try:
                    record, result = stored(entry.deal_hash)
                    item = reviewed(entry.source, record, result, keep_deal=False)
                except Exception as exc:
                    item = failed(entry.source, exc)
                else:
                    item = replace(item, duplicate_of=entry.duplicate_of)
                    summary.resumed += 1
                    summary.add(item)
                    report.add(item)
                    if item.duplicate_of is not None and problems is not None:
                        problems(duplicate_problem(item))
                    pending += 1
                    continue
            else:
                item = entry
            summary.add(item)
            if isinstance(item, Invalid):
                report.invalid(item)
                if problems is not None:
                    for problem in item.problems:
                        problems(problem)
            else:
                report.add(item)
                if item.duplicate_of is not None and problems is not None:
                    problems(duplicate_problem(item))
                if sink is not None:
                    sink(item.deal(), item.result())
            pending += 1
            if progress is not None and pending >= 32:
                progress.advance(pending)
                pending = 0
    finally:
        # However the loop ends (a report, the sink or progress raising included), the workers
        # are stopped and their part files and folder removed now, not when the generator is
        # collected.
        close = getattr(entries, "close", None)
        if close is not None:
            close()
    if progress is not None and pending:
        progress.advance(pending)
    summary.elapsed = time.perf_counter() - started
    report.finish(summary)
    return summary


def stderr_is_interactive() -> bool:
    """Whether to show a progress bar: stderr is a terminal and ``CI`` is not set."""
    return sys.stderr.isatty() and not os.environ.get("CI")


__all__ = [
    "Invalid",
    "Item",
    "Options",
    "Recorded",
    "Report",
    "Reviewed",
    "Sink",
    "Summary",
    "count_tasks",
    "discover",
    "review",
    "run_review",
]
