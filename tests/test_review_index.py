"""The duplicate-id index of a local review: exact, on disk, and closed with the review."""

from __future__ import annotations

import tracemalloc
import unicodedata
from pathlib import Path

import pytest

from screening.review import bulk
from screening.review.bulk import Options, Reviewed, _FirstSeen, review


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
