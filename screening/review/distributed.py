"""Bulk review on a Dask cluster (``dealscreen review --cluster local:N`` or ``--scheduler``).

The driver (the ``review`` process) never holds the batch and never receives results:

1. it cuts the inputs into partitions: JSON Lines files into byte ranges that start and end at
   line ends (with the number of the first line, so every deal keeps its ``file:line``), runs
   of single deal files into lists of files, and keeps unreadable or unsupported inputs as they
   are;
2. one task per partition screens it on a worker (each worker process loads and compiles the
   rulebook once, from the rulebook cache, when its first task arrives) and writes
   ``part-KEY.tsv`` (one line per item, the result JSON as it is) and ``ids-KEY.tsv`` (the deal
   ids of the partition, sorted into K buckets by a hash of the id), each by a temporary file
   renamed into place, so a task retried after its worker died overwrites nothing half-written;
   the task returns only the number of items and the byte offsets of the buckets;
3. a partition whose task killed its workers (``KilledWorker``) is split in two, and again,
   down to single deals: the deal that kills its worker is reported (``worker-died``, an
   internal error: exit 1) and every other deal of the partition is screened;
4. one task per bucket reads that bucket's ids from every partition, in input order, and writes
   the later uses of an id already used (``dups-B.tsv``, sorted by position): no process holds
   more than one bucket's ids;
5. the driver reads the parts back in input order, marks the duplicates (a merge of the sorted
   bucket files), and yields exactly the items ``--workers 1`` yields, so every report, the
   summary and the audit store (recorded by the driver, in input order) are the same, byte for
   byte.

Workers are processes with one thread each: the durable-rules C core is not thread-safe (the
engine serialises every call behind one lock), so threads in one worker would only queue.
"""

from __future__ import annotations

import array
import contextlib
import datetime as dt
import gc
import hashlib
import heapq
import json
import os
import re
import shutil
import tempfile
import threading
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from screening.errors import Problem, UsageError
from screening.model._yaml import read_line, too_large_line
from screening.review import bulk
from screening.review._malloc import fixed_mmap_threshold
from screening.review.bulk import JSONL_SUFFIXES, Invalid, Item, Progress, Recorded, Reviewed, Task

if TYPE_CHECKING:
    from distributed import Client, Future

EXTRA_HINT = "pip install 'dealscreen[dask]'"
PARTITION_BYTES = 1 << 20
PARTITION_FILES = 64
MIN_PARTITION_BYTES = 16 << 10
MAX_BUCKETS = 64
_SINGLES = 8  # a failed partition of at most this many lines or files is split into singles
# Tests only: a deal whose JSONL line or file path contains this text kills its worker process.
POISON_ENV = "DEALSCREEN_TEST_KILL_WORKER"
# A local cluster's housekeeping, slowed down: each worker's event loop checked its own health
# every 20 ms and sampled the system every 500 ms (for a dashboard nobody reads), and the
# scheduler looked for work to steal every second (one task per worker at a time: none to
# steal). Idle, the two workers and the review process (scheduler and nannies) spent 15, 15 and
# ~38 ms of CPU a second on it (~3% of two cores, taken from the screening); with these, ~2.5,
# ~2.5 and ~6.5. And a worker's C heap is left as a pool worker's (glibc's default trim
# threshold, not the nanny's 64 KiB): trimming at 64 KiB cost a screening loop 28% more page
# faults and ~0.07 ms more system time per deal (~1.5%).
QUIET_LOCAL: dict[str, object] = {
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.tick.limit": "60s",
    "distributed.admin.system-monitor.interval": "10s",
    "distributed.scheduler.work-stealing": False,
    "distributed.worker.memory.monitor-interval": "10s",
}


# --------------------------------------------------------------------------------------------
# Partitions


@dataclass(frozen=True, slots=True)
class Part:
    """One partition: a byte range of a JSONL file, or a run of deal files."""

    key: str
    path: str = ""  # the JSONL file, as the driver names it (sources keep this name)
    start: int = 0
    end: int = 0
    first_line: int = 1
    files: tuple[str, ...] = ()


Leaf = Part | Invalid


def _cut_jsonl(path: Path, key: str, size: int, *, shrink: int = 0) -> list[Part]:
    """Byte ranges of ``path`` of about ``size`` bytes, each starting and ending at a line end,
    with the number of its first line (lines end with ``\\n``, as ``jsonl_lines`` reads them).

    With ``shrink`` (twice the number of workers), the last ranges get smaller: none is more
    than 1/``shrink`` of what is left of the file (nor less than ``MIN_PARTITION_BYTES``), so
    the workers finish together instead of one screening a last large range alone."""
    parts: list[Part] = []
    with path.open("rb") as fh:
        total = os.fstat(fh.fileno()).st_size

        def step(at: int) -> int:
            if shrink <= 0:
                return size
            return min(size, max(MIN_PARTITION_BYTES, (total - at) // shrink))

        start, first_line, newlines, pos, target = 0, 1, 0, 0, step(0)
        while block := fh.read(1 << 20):
            at = 0
            while True:
                j = block.find(b"\n", max(target - 1 - pos, at))
                if j < 0:
                    break
                cut = pos + j + 1
                parts.append(Part(f"{key}.{len(parts):06d}", str(path), start, cut, first_line))
                first_line = newlines + block.count(b"\n", 0, j + 1) + 1
                start, at, target = cut, j + 1, cut + step(cut)
            newlines += block.count(b"\n")
            pos += len(block)
    if pos > start:
        parts.append(Part(f"{key}.{len(parts):06d}", str(path), start, pos, first_line))
    return parts


def partitions(
    paths: Sequence[Path],
    *,
    size: int = PARTITION_BYTES,
    files: int = PARTITION_FILES,
    workers: int = 1,
) -> Iterator[Leaf]:
    """The partitions of the inputs in input order (bad inputs as :class:`Invalid`): at most
    ``size`` bytes of JSON Lines or ``files`` deal files each, smaller when that gives each of
    ``workers`` fewer than four partitions."""
    entries = list(bulk.discover(paths))
    jsonl = [e for e in entries if isinstance(e, Path) and e.suffix.lower() in JSONL_SUFFIXES]
    singles = sum(1 for e in entries if isinstance(e, Path)) - len(jsonl)
    total = 0
    for path in jsonl:
        with contextlib.suppress(OSError):
            total += path.stat().st_size
    share = 4 * max(1, workers)
    size = max(1, min(size, max(MIN_PARTITION_BYTES, total // share)))
    files = max(1, min(files, -(-singles // share)))
    run: list[str] = []
    count = 0

    def flush() -> Iterator[Leaf]:
        nonlocal count
        if run:
            yield Part(f"{count:06d}", files=tuple(run))
            count += 1
            run.clear()

    for entry in entries:
        if isinstance(entry, Invalid):
            yield from flush()
            yield entry
        elif entry.suffix.lower() in JSONL_SUFFIXES:
            yield from flush()
            try:
                yield from _cut_jsonl(entry, f"{count:06d}", size, shrink=2 * max(1, workers))
            except OSError as exc:
                yield Invalid(
                    str(entry), (Problem(str(entry), "unreadable", exc.strerror or str(exc)),)
                )
            count += 1
        else:
            run.append(str(entry))
            if len(run) >= files:
                yield from flush()
    yield from flush()


def _line_starts(part: Part) -> list[tuple[int, int]]:
    """(offset, line number) of every line of a JSONL range."""
    starts: list[tuple[int, int]] = []
    number = part.first_line
    with open(part.path, "rb") as fh:
        fh.seek(part.start)
        while (at := fh.tell()) < part.end:
            if read_line(fh) == b"":
                break
            starts.append((at, number))
            number += 1
    return starts


def split(part: Part) -> list[Part] | None:
    """A failed partition cut in two (or, when small, into single lines or files); None when
    it is one deal already."""
    if part.files:
        if len(part.files) == 1:
            return None
        step = 1 if len(part.files) <= _SINGLES else (len(part.files) + 1) // 2
        groups = [part.files[i : i + step] for i in range(0, len(part.files), step)]
        return [Part(f"{part.key}-{i}", files=g) for i, g in enumerate(groups)]
    starts = _line_starts(part)
    if len(starts) <= 1:
        return None
    step = 1 if len(starts) <= _SINGLES else (len(starts) + 1) // 2
    children = []
    for i, at in enumerate(range(0, len(starts), step)):
        end = starts[at + step][0] if at + step < len(starts) else part.end
        offset, number = starts[at]
        children.append(Part(f"{part.key}-{i}", part.path, offset, end, number))
    return children


def poisoned(part: Part, tries: str) -> Invalid:
    """The item for a single deal whose screening killed its worker every time."""
    source = part.files[0] if part.files else f"{part.path}:{part.first_line}"
    message = (
        f"the worker process screening this deal died ({tries}); the deal was isolated by "
        "splitting its partition and is not screened; the other deals were"
    )
    return Invalid(source, (Problem(source, "worker-died", message),), internal=True)


# --------------------------------------------------------------------------------------------
# Part files: one line per item; the result and deal JSON (compact, no tab, no newline) as is


def encode(item: Item | Recorded) -> str:
    """One line of a part file."""
    if isinstance(item, Reviewed):
        meta = [
            item.source,
            item.deal_id,
            item.deal_name,
            item.kind,
            item.investor,
            item.investor_country,
            item.target,
            item.naics,
            item.verdict,
            item.provisional,
            item.regimes,
            item.reasons,
            item.ceiling,
            item.regime_ceilings,
        ]
        deal = item.deal_json if item.deal_json is not None else ""
        return f"R\t{json.dumps(meta)}\t{item.result_json}\t{deal}\n"
    if isinstance(item, Invalid):
        problems = [[p.location, p.code, p.message] for p in item.problems]
        return f"I\t{json.dumps([item.source, item.internal, problems])}\n"
    return f"S\t{json.dumps([item.source, item.deal_hash, item.deal_id])}\n"


def decode(line: str) -> Item | Recorded:
    """The item of a part file line."""
    fields = line.rstrip("\n").split("\t")
    if fields[0] == "R":
        return _reviewed(json.loads(fields[1]), fields[2], fields[3] or None)
    if fields[0] == "I":
        source, internal, problems = json.loads(fields[1])
        return Invalid(source, tuple(Problem(*p) for p in problems), internal=internal)
    source, deal_hash, deal_id = json.loads(fields[1])
    return Recorded(source, deal_hash, deal_id)


def _read_line(line: bytes, path: str, at: int) -> Item | Recorded:
    """The item of the part file line ``line`` found at byte ``at`` of ``path``: as
    :func:`decode`, but a result is left in the file (:class:`bulk.PartText`), not decoded."""
    if not line.startswith(b"R\t"):
        return decode(line.decode("utf-8"))
    meta_end = line.index(b"\t", 2)
    result_end = line.index(b"\t", meta_end + 1)
    m = json.loads(line[2:meta_end])
    deal = line[result_end + 1 :].rstrip(b"\n").decode("utf-8")
    text = bulk.PartText(path, at + meta_end + 1, result_end - meta_end - 1)
    return _reviewed(m, text, deal or None)


def _reviewed(m: list[Any], result_text: str | bulk.PartText, deal_json: str | None) -> Reviewed:
    """A reviewed deal from its part-file row facts ``m`` (see :func:`encode`)."""
    return Reviewed(
        source=m[0],
        deal_id=m[1],
        deal_name=m[2],
        kind=m[3],
        investor=m[4],
        investor_country=m[5],
        target=m[6],
        naics=m[7],
        verdict=m[8],
        provisional=m[9],
        regimes=tuple((a, b) for a, b in m[10]),
        reasons=tuple(m[11]),
        result_text=result_text,
        deal_json=deal_json,
        ceiling=m[12],
        regime_ceilings=tuple((a, b) for a, b in m[13]),
    )


def bucket_of(deal_id: str, buckets: int) -> int:
    """The id bucket of a deal id (a stable hash: the same in every process)."""
    digest = hashlib.blake2b(deal_id.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % buckets


def _publish(tmp: Path, final: Path) -> None:
    os.replace(tmp, final)


def _tmp(final: Path) -> Path:
    return final.with_name(f"{final.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp")


# --------------------------------------------------------------------------------------------
# Worker side


@dataclass(frozen=True)
class Config:
    """What every task of one review needs on its worker (small: sent with each task)."""

    layers: tuple[str, ...]
    version: str  # the driver's rulebook version: a worker with another rulebook refuses
    as_of: dt.date | None
    keep_deals: bool
    skip_file: str | None
    root: str
    buckets: int


_LOCK = threading.Lock()
_READY: list[Config] = []


def _setup(config: Config) -> None:
    """Load (from the rulebook cache) and compile the rulebook once per worker process and
    review; ``load_rulebook`` and the compiler keep one copy per rulebook version."""
    if _READY and _READY[0] == config:
        return
    skip: frozenset[str] = frozenset()
    if config.skip_file is not None:
        skip = frozenset(Path(config.skip_file).read_text(encoding="utf-8").split())
    bulk._init_worker(config.layers, config.as_of, config.keep_deals, skip)
    fixed_mmap_threshold()
    found = bulk._STATE.book.version if bulk._STATE.book is not None else ""
    if found != config.version:
        raise RuntimeError(
            f"this worker's rulebook is version {found}, the review's {config.version}: "
            "install the same dealscreen and rule layers on every worker"
        )
    _READY[:] = [config]
    # The rulebook, the engine and Dask's own objects live as long as the worker: out of the
    # garbage collector's sight, so its passes over the screening's garbage stay short (as in
    # a pool worker: what loading left behind is collected first, not frozen).
    gc.collect()
    gc.freeze()


def rulebook_version(layers: tuple[str, ...]) -> str:
    """The version of the rulebook this process loads for ``layers`` (checked on each worker
    before a review starts; loading it also warms the worker up)."""
    from screening.rulebook.book import load_rulebook

    return load_rulebook([Path(p) for p in layers]).version


def _range_tasks(part: Part) -> Iterator[Task | Invalid]:
    try:
        with open(part.path, "rb") as fh:
            fh.seek(part.start)
            number = part.first_line - 1
            while fh.tell() < part.end:
                raw = read_line(fh)
                if raw == b"":
                    break
                number += 1
                if raw is None:
                    where = f"{part.path}:{number}"
                    yield Invalid(where, (Problem(where, "too-large", too_large_line()),))
                elif raw.strip():
                    yield (part.path, number, raw)
    except OSError as exc:
        yield Invalid(part.path, (Problem(part.path, "unreadable", exc.strerror or str(exc)),))


def _part_tasks(part: Part) -> Iterable[Task | Invalid]:
    if part.files:
        return [(path, 0, None) for path in part.files]
    return _range_tasks(part)


def _check_poison(chunk: list[Task]) -> None:
    marker = os.environ.get(POISON_ENV)
    if not marker:
        return
    for path, _, raw in chunk:
        if (raw is not None and marker.encode() in raw) or (raw is None and marker in path):
            os._exit(70)


def screen_part(part: Part, config: Config) -> tuple[int, list[int]]:
    """Screen one partition into ``part-KEY.tsv`` and ``ids-KEY.tsv`` (temporary files renamed
    into place); return the number of items and the byte offsets of the id buckets."""
    with _LOCK:  # a worker started with several threads still screens one partition at a time
        _setup(config)
        root = Path(config.root)
        out = root / f"part-{part.key}.tsv"
        ids: list[tuple[int, int, bytes]] = []
        count = 0
        tmp = _tmp(out)
        try:
            with tmp.open("w", encoding="utf-8", newline="\n") as fh:
                for chunk in bulk._chunks(_part_tasks(part)):
                    if isinstance(chunk, Invalid):
                        items: list[Item | Recorded] = [chunk]
                    else:
                        _check_poison(chunk)
                        items = bulk._screen_chunk(chunk)
                    for item in items:
                        fh.write(encode(item))
                        if isinstance(item, Reviewed | Recorded):
                            who = json.dumps([item.deal_id, item.source]).encode()
                            ids.append((bucket_of(item.deal_id, config.buckets), count, who))
                        count += 1
            offsets = _write_ids(root / f"ids-{part.key}.tsv", ids, config.buckets)
            _publish(tmp, out)
        finally:
            tmp.unlink(missing_ok=True)
        return count, offsets


def _write_ids(final: Path, ids: list[tuple[int, int, bytes]], buckets: int) -> list[int]:
    ids.sort()
    offsets = [0] * (buckets + 1)
    tmp = _tmp(final)
    try:
        with tmp.open("wb") as fh:
            at = 0
            for bucket, position, who in ids:
                line = b"%d\t%s\n" % (position, who)
                fh.write(line)
                at += len(line)
                offsets[bucket + 1] = at
        for b in range(1, buckets + 1):
            offsets[b] = max(offsets[b], offsets[b - 1])
        _publish(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)
    return offsets


def find_duplicates(bucket: int, slices: list[tuple[int, str, int, int]], root: str) -> int:
    """Write the later uses of a deal id in this bucket (``dups-B.tsv``: sequence number of the
    partition, position in it, where the id was first used), in input order; return how many."""
    first: dict[str, str] = {}
    final = Path(root) / f"dups-{bucket}.tsv"
    found = 0
    tmp = _tmp(final)
    try:
        with tmp.open("w", encoding="utf-8", newline="\n") as out:
            for seq, ids_file, start, end in slices:
                with open(ids_file, "rb") as fh:
                    fh.seek(start)
                    data = fh.read(end - start)
                for line in data.split(b"\n")[:-1]:
                    position, who = line.split(b"\t", 1)
                    deal_id, source = json.loads(who)
                    earlier = first.setdefault(deal_id, source)
                    if earlier != source:
                        out.write(f"{seq}\t{int(position)}\t{json.dumps(earlier)}\n")
                        found += 1
        _publish(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)
    return found


def _duplicates(path: Path) -> Iterator[tuple[int, int, str]]:
    with path.open(encoding="utf-8", newline="\n") as fh:
        for line in fh:
            seq, position, earlier = line.rstrip("\n").split("\t", 2)
            yield int(seq), int(position), json.loads(earlier)


# --------------------------------------------------------------------------------------------
# Driver side


_LOCAL = re.compile(r"local(?::(\d+))?")
_ADDRESS = re.compile(r"(tcp|tls)://[^\s/:]+(:\d+)?")


def local_workers(spec: str) -> int:
    """The worker count of ``--cluster local[:N]`` (default: the number of cores)."""
    found = _LOCAL.fullmatch(spec)
    if found is None or (found.group(1) is not None and int(found.group(1)) < 1):
        raise UsageError.one(
            "--cluster",
            "usage",
            f"`{spec}` is not a cluster: give `local` or `local:N` (N worker processes, N >= 1); "
            "for an existing cluster use `--scheduler tcp://HOST:PORT`",
        )
    return int(found.group(1)) if found.group(1) else max(1, os.cpu_count() or 1)


def check_address(address: str) -> str:
    """The scheduler address, checked for shape (``tcp://HOST:PORT`` or ``tls://...``)."""
    if _ADDRESS.fullmatch(address) is None:
        raise UsageError.one(
            "--scheduler",
            "usage",
            f"`{address}` is not a scheduler address: give `tcp://HOST:PORT` (or `tls://...`)",
        )
    return address


def _import_dask(option: str) -> None:
    try:
        import dask  # noqa: F401
        import distributed  # noqa: F401
    except ImportError:
        raise UsageError.one(
            option,
            "missing-extra",
            f"bulk review on Dask needs the `dask` extra, which is not installed: {EXTRA_HINT}",
        ) from None


@dataclass
class Cluster:
    """A connected Dask client and a working directory the driver and workers share."""

    client: Client
    root: Path
    partition_bytes: int = PARTITION_BYTES
    partition_files: int = PARTITION_FILES

    def review(
        self,
        paths: Sequence[Path],
        options: bulk.Options,
        progress: Progress | None,
        *,
        spans: bool = False,
    ) -> Iterator[Item | Recorded]:
        """Screen every deal under ``paths`` on the cluster; yield the items in input order
        (duplicates marked), exactly as the local review does. With ``spans``, a result stays
        in its part file (:class:`bulk.PartText`), readable until the next item is asked for."""
        run = Path(tempfile.mkdtemp(prefix="run-", dir=self.root))
        try:
            yield from _Run(self, run, options, progress, spans).items(paths)
        finally:
            shutil.rmtree(run, ignore_errors=True)


@contextlib.contextmanager
def open_cluster(
    *, local: int | None = None, scheduler: str | None = None, work_dir: Path | None = None
) -> Iterator[Cluster]:
    """A LocalCluster of ``local`` process workers (one thread each), or a client of the
    scheduler at ``scheduler``; closed (workers stopped, for a local one) on leaving."""
    option = "--cluster" if local is not None else "--scheduler"
    _import_dask(option)
    import logging

    import dask
    from distributed import Client, LocalCluster

    with contextlib.ExitStack() as stack:
        # Removed last, once a local cluster's workers are stopped.
        try:
            if work_dir is not None:
                work_dir.mkdir(parents=True, exist_ok=True)
            root = Path(tempfile.mkdtemp(prefix="dealscreen-review-", dir=work_dir)).resolve()
        except OSError as exc:
            where = str(work_dir) if work_dir is not None else tempfile.gettempdir()
            raise UsageError.one(where, "unwritable", exc.strerror or str(exc)) from None
        stack.callback(shutil.rmtree, root, True)
        if local is not None:
            # One retry of a partition whose worker died, then split it (a remote scheduler
            # uses its own `distributed.scheduler.allowed-failures`, 3 by default).
            stack.enter_context(
                dask.config.set(
                    {
                        "distributed.scheduler.allowed-failures": 1,
                        # one task at a time per worker: a worker's death blames only its task
                        "distributed.scheduler.worker-saturation": 1.0,
                        "distributed.worker.profile.enabled": False,
                        "logging.distributed": "error",
                        **QUIET_LOCAL,
                    }
                )
            )
            logger = logging.getLogger("distributed")
            level = logger.level
            logger.setLevel(logging.CRITICAL)  # a worker a poison deal killed: reported by us
            stack.callback(logger.setLevel, level)
            # Worker processes read their logging level from the environment when they start
            # (and restart): the work cancelled by Ctrl-C, a worker a poison deal killed, are
            # reported by the review, not logged by each worker.
            # The workers' statistical profiler samples the screening thread's stack every 10 ms
            # (a third more CPU in the benchmark): off.
            stack.enter_context(
                _environment(
                    DASK_LOGGING__DISTRIBUTED="critical",
                    DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED="False",
                )
            )
            cluster = stack.enter_context(_local_cluster(LocalCluster, local))
            client = stack.enter_context(Client(cluster, set_as_default=False))
        else:
            assert scheduler is not None
            try:
                client = Client(check_address(scheduler), set_as_default=False)
            except (OSError, TimeoutError, ValueError) as exc:
                raise UsageError.one(
                    "--scheduler",
                    "unreachable",
                    f"cannot reach the Dask scheduler at {scheduler}: "
                    f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}",
                ) from None
            stack.enter_context(client)
            workers = client.scheduler_info().get("workers", {})
            if not workers:
                raise UsageError.one(
                    "--scheduler", "no-workers", f"the Dask scheduler at {scheduler} has no workers"
                )
            threaded = sorted(a for a, w in workers.items() if w.get("nthreads", 1) != 1)
            if threaded:
                raise UsageError.one(
                    "--scheduler",
                    "threaded-workers",
                    f"{len(threaded)} workers of {scheduler} run several threads (e.g. "
                    f"{threaded[0]}): start them with `--nthreads 1` (durable-rules is not "
                    "thread-safe, so a worker screens one partition at a time)",
                )
        yield Cluster(client, root)


@contextlib.contextmanager
def _environment(**values: str) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _local_cluster(factory: Any, workers: int) -> Any:
    """A started LocalCluster; when starting it is interrupted (Ctrl-C), the half-started one
    is closed here, so that Dask's exit hook does not trip over it."""
    try:
        return factory(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
            memory_limit=0,
        )
    except BaseException:
        from distributed.core import Status
        from distributed.deploy.spec import SpecCluster

        for cluster in list(SpecCluster._instances):
            with contextlib.suppress(BaseException):
                cluster.close(timeout=5)
            cluster.status = Status.closed
        raise


def _settle(future: Future[Any]) -> None:
    """Wait until ``future`` is done, whatever its outcome."""
    with contextlib.suppress(Exception):
        future.result()


class _Run:
    """One review on a cluster."""

    def __init__(
        self,
        cluster: Cluster,
        root: Path,
        options: bulk.Options,
        progress: Progress | None,
        spans: bool = False,
    ) -> None:
        self.spans = spans
        self.cluster = cluster
        self.client = cluster.client
        self.root = root
        self.options = options
        self.progress = progress
        self.tag = uuid.uuid4().hex[:12]
        self.version = ""

    def _check_workers(self) -> int:
        """Every worker loads the driver's rulebook (the same version); the worker count."""
        from screening.rulebook.book import load_rulebook

        layers = self.options.layers
        self.version = load_rulebook([Path(p) for p in layers]).version
        try:
            found: dict[str, str] = self.client.run(rulebook_version, layers)
        except Exception as exc:
            raise UsageError.one(
                "--scheduler",
                "worker-rulebook",
                f"a worker could not load the rulebook ({type(exc).__name__}: "
                f"{str(exc).splitlines()[0] if str(exc) else ''}): install dealscreen and the "
                "rule layers on every worker, at the same paths",
            ) from None
        other = sorted((a, v) for a, v in found.items() if v != self.version)
        if other:
            raise UsageError.one(
                "--scheduler",
                "worker-rulebook",
                f"{len(other)} workers have another rulebook (e.g. {other[0][0]}: "
                f"{other[0][1]}, the driver's is {self.version}): install the same dealscreen "
                "and rule layers on every worker",
            )
        return len(found)

    def _config(self, buckets: int) -> Config:
        skip_file = None
        if self.options.skip:
            path = self.root / "skip.txt"
            path.write_text("".join(f"{h}\n" for h in sorted(self.options.skip)), "utf-8")
            skip_file = str(path)
        return Config(
            self.options.layers,
            self.version,
            self.options.as_of,
            self.options.keep_deals,
            skip_file,
            str(self.root),
            buckets,
        )

    def _advance(self, n: int) -> None:
        if self.progress is not None and n:
            self.progress.advance(n)

    def items(self, paths: Sequence[Path]) -> Iterator[Item | Recorded]:
        from distributed import as_completed
        from distributed.scheduler import KilledWorker

        workers = self._check_workers()
        tops = list(
            partitions(
                paths,
                size=self.cluster.partition_bytes,
                files=self.cluster.partition_files,
                workers=workers,
            )
        )
        parts = [p for p in tops if isinstance(p, Part)]
        buckets = max(1, min(MAX_BUCKETS, len(parts)))
        config = self._config(buckets)
        children: dict[str, list[Leaf]] = {}
        offsets: dict[str, array.array[int]] = {}
        owner: dict[str, Part] = {}
        futures: list[Future[Any]] = []
        suspects: list[Part] = []

        def submit(part: Part, again: bool = False) -> Future[Any]:
            key = f"dealscreen-{self.tag}-{part.key}" + ("-again" if again else "")
            future: Future[Any] = self.client.submit(screen_part, part, config, key=key)
            owner[str(future.key)] = part
            futures.append(future)
            return future

        def killed(future: Future[Any]) -> bool:
            while future.status in ("lost", "pending"):
                # Its result lived on a worker that died since: the scheduler computes it again.
                _settle(future)
            if future.status == "finished":
                return False
            if future.status == "error":
                exc = future.exception()
                if isinstance(exc, KilledWorker):
                    return True
                raise exc  # a defect of the task itself (exit 1), not of a deal
            raise RuntimeError(f"a partition's task was {future.status}")

        def finished(part: Part, future: Future[Any]) -> None:
            count, bounds = future.result()
            offsets[part.key] = array.array("q", bounds)
            self._advance(count)

        try:
            pending = as_completed([submit(p) for p in parts], loop=self.client.loop)
            self._advance(sum(1 for leaf in tops if isinstance(leaf, Invalid)))
            for future in pending:
                part = owner.pop(str(future.key))
                if not killed(future):
                    finished(part, future)
                elif (halves := split(part)) is None:
                    suspects.append(part)
                else:
                    children[part.key] = list(halves)
                    for half in halves:
                        pending.add(submit(half))
                future.release()
            # A single deal whose worker died may have shared that worker with the culprit:
            # each is tried once more alone, with nothing else running, before it is blamed.
            for part in suspects:
                future = submit(part, again=True)
                _settle(future)
                owner.pop(str(future.key))
                if killed(future):
                    children[part.key] = [poisoned(part, "every time it was tried, alone too")]
                    self._advance(1)
                else:
                    finished(part, future)
                future.release()
            leaves = list(self._leaves(tops, children))
            dups = self._find_duplicates(leaves, offsets, buckets)
        except BaseException:
            # Ctrl-C, SIGTERM, a defect: stop every task still queued or running.
            with contextlib.suppress(Exception):
                self.client.cancel(futures, force=True)
            raise
        yield from self._join(leaves, dups)

    def _leaves(self, tops: Iterable[Leaf], children: dict[str, list[Leaf]]) -> Iterator[Leaf]:
        for leaf in tops:
            if isinstance(leaf, Part) and leaf.key in children:
                yield from self._leaves(children[leaf.key], children)
            else:
                yield leaf

    def _find_duplicates(
        self, leaves: list[Leaf], offsets: dict[str, array.array[int]], buckets: int
    ) -> list[Path]:
        futures = []
        for b in range(buckets):
            slices = [
                (seq, str(self.root / f"ids-{leaf.key}.tsv"), bounds[b], bounds[b + 1])
                for seq, leaf in enumerate(leaves)
                if isinstance(leaf, Part) and (bounds := offsets[leaf.key])[b] != bounds[b + 1]
            ]
            futures.append(
                self.client.submit(
                    find_duplicates, b, slices, str(self.root), key=f"dealscreen-{self.tag}-ids-{b}"
                )
            )
        self.client.gather(futures)
        return [self.root / f"dups-{b}.tsv" for b in range(buckets)]

    def _join(self, leaves: list[Leaf], dups: list[Path]) -> Iterator[Item | Recorded]:
        marks = heapq.merge(*(_duplicates(p) for p in dups))
        mark = next(marks, None)
        for seq, leaf in enumerate(leaves):
            if isinstance(leaf, Invalid):
                yield leaf
                continue
            part_file = self.root / f"part-{leaf.key}.tsv"
            # Results stay in the part: the driver reads each line's row facts and where its
            # result lies (PartText), and a report copies the result from the file.
            path = str(part_file)
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
            bulk._PART_FDS[path] = fd
            try:
                with open(fd, "rb", closefd=False) as fh:
                    at = 0
                    for position, line in enumerate(fh):
                        item = _read_line(line, path, at)
                        at += len(line)
                        if not self.spans:
                            item = bulk._with_text(item)
                        if mark is not None and mark[0] == seq and mark[1] == position:
                            if isinstance(item, Reviewed | Recorded):
                                item = replace(item, duplicate_of=mark[2])
                            mark = next(marks, None)
                        yield item
            finally:
                bulk._PART_FDS.pop(path, None)
                os.close(fd)
            part_file.unlink()
            (self.root / f"ids-{leaf.key}.tsv").unlink(missing_ok=True)


__all__ = [
    "Cluster",
    "Config",
    "Part",
    "check_address",
    "decode",
    "encode",
    "find_duplicates",
    "local_workers",
    "open_cluster",
    "partitions",
    "screen_part",
    "split",
]
