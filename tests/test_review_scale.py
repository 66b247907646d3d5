"""Review at scale: the duplicate-id index (exact, on disk, closed with the review), the
shrinking tail of Dask partitions, a pool that starts its workers with signals held."""

from __future__ import annotations

import itertools
import signal
import threading
import tracemalloc
import unicodedata
from pathlib import Path

import pytest

from screening.review import bulk, distributed
from screening.review.bulk import Options, Reviewed, _FirstSeen, review
from tests.test_review_dask import assert_ranges_tile


def test_ids_are_compared_exactly() -> None:
    """Two ids are the same only when their text is: case, Unicode normal forms and
    whitespace make different ids; a repeat far from its first use is found, with that use."""
    seen = _FirstSeen()
    try:
        nfc = unicodedata.normalize("NFC", "café-1")
        nfd = unicodedata.normalize("NFD", "café-1")
        assert nfc != nfd
        ids = ["deal-1", "Deal-1", "deal-1 ", nfc, nfd, "deal-\u0000-1", "deal-\ud800"]
        for i, deal_id in enumerate(ids):
            assert seen.first(deal_id, f"in.jsonl:{i + 1}") is None
        for i in range(5000):
            assert seen.first(f"filler-{i}", f"other.jsonl:{i + 1}") is None
        for i, deal_id in enumerate(ids):
            assert seen.first(deal_id, f"later.jsonl:{i + 1}") == f"in.jsonl:{i + 1}"
        assert seen.first("filler-4999", "deal.yaml") == "other.jsonl:5000"
    finally:
        seen.close()


def test_sources_come_back_exactly() -> None:
    """Every source is given back as written: file names that are not UTF-8 (surrogate
    escapes), colons, leading zeros, long digit runs."""
    seen = _FirstSeen()
    try:
        sources = [
            "in.jsonl:1",
            "a:b.jsonl:007",
            "deal.yaml",
            "c:12",
            "in.jsonl:0",
            "x:²",
            "in.jsonl:3",
            "name-\udcff.yaml",
            "big.jsonl:" + "9" * 5000,
            "big.jsonl:1099511627776",
        ]
        for i, source in enumerate(sources):
            assert seen.first(f"id{i}", source) is None
            assert seen.first(f"id{i}", source) is None  # the same source again: not a duplicate
            assert seen.first(f"id{i}", source + "9") == source
    finally:
        seen.close()


def test_the_index_holds_no_ids_in_python() -> None:
    """The ids live in SQLite's temporary database (bounded by its page cache, spilled to a
    file past it), not in Python objects: 20,000 ids add almost nothing to the Python heap
    (a dict of them would hold about 2 MB)."""
    seen = _FirstSeen()
    try:
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        for i in range(20_000):
            seen.first(f"synth-{i:07d}", f"big.jsonl:{i + 1}")
        grown = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        assert grown < 64 * 1024
        assert seen.first("synth-0012345", "again.yaml") == "big.jsonl:12346"
    finally:
        seen.close()


def test_a_review_stopped_early_closes_its_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The index is dropped when the review ends, also when its consumer stops reading."""
    opened: list[_FirstSeen] = []

    class Recording(_FirstSeen):
        def __init__(self) -> None:
            super().__init__()
            opened.append(self)

        def close(self) -> None:
            super().close()
            self.closed = True

    monkeypatch.setattr(bulk, "_FirstSeen", Recording)
    fixtures = Path(__file__).resolve().parent.parent / "fixtures" / "deals"
    items = review([fixtures], Options(workers=1))
    assert isinstance(next(items), Reviewed)
    items.close()
    assert len(opened) == 1 and getattr(opened[0], "closed", False)


@pytest.mark.parametrize("workers", [1, 2, 8])
def test_the_last_partitions_shrink(tmp_path: Path, workers: int) -> None:
    """With ``shrink``, ranges still tile the file at line starts with their line numbers, none
    is larger than ``size``, and the last ones get smaller, down to the minimum: the workers
    end together rather than one screening a last full range alone."""
    path = tmp_path / "x.jsonl"
    lines = [b'{"id": "d-%d", "pad": "%s"}\n' % (i, b"x" * (i % 97)) for i in range(40_000)]
    text = b"".join(lines)
    path.write_bytes(text)
    size = 256 << 10
    plain = distributed._cut_jsonl(path, "k", size)
    parts = distributed._cut_jsonl(path, "k", size, shrink=2 * workers)
    assert_ranges_tile(parts, text)
    for part in parts:
        assert part.end - part.start <= size + 200  # a range ends at the first line end past it
    sizes = [p.end - p.start for p in parts]
    assert len(parts) > len(plain)
    assert sizes[-2] < distributed.MIN_PARTITION_BYTES + 200 < size
    tail = sizes[len(plain) - 2 * workers :]
    assert all(b <= a + 200 for a, b in itertools.pairwise(tail[:-1]))


@pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="POSIX signal masks")
def test_signals_are_held_while_workers_start_then_delivered() -> None:
    """While the pool starts its workers SIGINT and SIGTERM wait; on leaving, the mask is as
    before and a signal that came meanwhile is delivered (here: SIGTERM to a handler).

    The signal is sent to the main thread (``pthread_kill``): sent to the process, the kernel
    may deliver it to any other thread that does not block it, and earlier tests in the same
    process leave such threads (the review itself starts its pool threads inside the hold, so
    they inherit the mask)."""
    before = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    got: list[int] = []
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: got.append(signum))
    try:
        with bulk._signals_held():
            held = signal.pthread_sigmask(signal.SIG_BLOCK, [])
            assert {signal.SIGINT, signal.SIGTERM} <= held
            signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGTERM)
            assert got == []
        assert got == [signal.SIGTERM]
        assert signal.pthread_sigmask(signal.SIG_BLOCK, []) == before
    finally:
        signal.signal(signal.SIGTERM, previous)
