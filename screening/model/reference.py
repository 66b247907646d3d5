"""Reference lists: data files in ``rules/reference/`` with their source and date.

A reference list holds entries (a ``value`` and optional ``from``/``to`` dates and attributes),
for example the excepted foreign states with the date each became excepted, or the items of
Appendix A to part 800 with the functions that make a business a TID U.S. business.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from screening.errors import Problem
from screening.model._yaml import Document

_LIST_KEYS = {
    "reference",
    "title",
    "source",
    "retrieved",
    "review_by",
    "notes",
    "provenance",
    "entries",
}
_PROVENANCE_KEYS = {"format", "files", "published", "entries", "names"}
_ENTRY_KEYS = {"value", "from", "to", "note", "attributes"}


@dataclass(frozen=True)
class Entry:
    """One entry of a reference list."""

    value: str
    start: dt.date | None = None
    end: dt.date | None = None
    note: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)

    def in_force(self, on: dt.date) -> bool:
        """Whether the entry applies on the given date (``from`` inclusive, ``to`` exclusive)."""
        return (self.start is None or self.start <= on) and (self.end is None or on < self.end)


VALUES_KEPT = 4096
"""The values of a list on a date kept at most (:meth:`ReferenceList.values`)."""
_VALUES: dict[tuple[int, int | None], tuple[ReferenceList, tuple[str, ...]]] = {}
_BREAKS: dict[int, tuple[ReferenceList, tuple[dt.date, ...]]] = {}


@dataclass(frozen=True)
class ReferenceList:
    """A named list of entries with its provenance."""

    name: str
    title: str
    source: str
    retrieved: dt.date | None
    review_by: dt.date | None
    entries: tuple[Entry, ...]
    location: str = ""
    provenance: dict[str, Any] = field(default_factory=dict)

    def values(self, on: dt.date | None = None) -> list[str]:
        """Values in force on a date (all values when no date is given), sorted (a new list).

        Worked out once per list object and span of dates between its entries' ``from`` and
        ``to`` dates (every entry is in force on every day of a span or on none of them, so
        every date of a span gives the same values; screening dates vary by deal, the spans of
        a list are few): the last :data:`VALUES_KEPT` are kept."""
        key = (id(self), None if on is None else bisect_right(self._breaks(), on))
        kept = _VALUES.get(key)
        if kept is None or kept[0] is not self:
            if len(_VALUES) >= VALUES_KEPT:
                _VALUES.clear()  # bounded: a few rulebooks and dates per process
            kept = _VALUES[key] = (
                self,
                tuple(sorted({e.value for e in self.entries if on is None or e.in_force(on)})),
            )
        return list(kept[1])

    def _breaks(self) -> tuple[dt.date, ...]:
        """Every ``from`` and ``to`` date of the list's entries, sorted (worked out once)."""
        kept = _BREAKS.get(id(self))
        if kept is None or kept[0] is not self:
            if len(_BREAKS) >= VALUES_KEPT:
                _BREAKS.clear()  # bounded: a few rulebooks' lists per process
            days = {d for e in self.entries for d in (e.start, e.end) if d is not None}
            kept = _BREAKS[id(self)] = (self, tuple(sorted(days)))
        return kept[1]

    def get(self, value: str) -> Entry | None:
        """The first entry with this value."""
        return next((e for e in self.entries if e.value == value), None)

    @property
    def starter(self) -> bool:
        """Whether this is a bundled starter set rather than the official list (an official
        download imported by ``dealscreen lists update`` carries its provenance)."""
        return not self.provenance and "starter set" in self.title.lower()


def _date(value: Any, where: str, problems: list[Problem]) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        problems.append(Problem(where, "invalid-date", f"`{value}` is not a date (YYYY-MM-DD)"))
        return None


def parse_reference(doc: Document, problems: list[Problem]) -> ReferenceList | None:
    """Validate a reference-list document; append problems and return None if it is invalid."""
    data = doc.data
    if not isinstance(data, dict):
        problems.append(Problem(doc.where(()), "invalid-reference", "expected a mapping"))
        return None
    before = len(problems)
    for key in sorted(set(data) - _LIST_KEYS):
        problems.append(Problem(doc.where((key,)), "unknown-key", f"unknown key `{key}`"))
    for key in ("reference", "title", "source", "entries"):
        if key not in data:
            problems.append(Problem(doc.where(()), "missing-key", f"missing `{key}`"))
    entries: list[Entry] = []
    raw_entries = data.get("entries") or []
    if not isinstance(raw_entries, list):
        problems.append(Problem(doc.where(("entries",)), "invalid-reference", "expected a list"))
        raw_entries = []
    for i, raw in enumerate(raw_entries):
        where = doc.where(("entries", i))
        if isinstance(raw, str | int):
            raw = {"value": str(raw)}
        if not isinstance(raw, dict) or "value" not in raw:
            problems.append(Problem(where, "invalid-entry", "an entry needs a `value`"))
            continue
        for key in sorted(set(raw) - _ENTRY_KEYS):
            problems.append(Problem(where, "unknown-key", f"unknown key `{key}` in entry"))
        attrs = raw.get("attributes") or {}
        entries.append(
            Entry(
                value=str(raw["value"]),
                start=_date(raw.get("from"), where, problems),
                end=_date(raw.get("to"), where, problems),
                note=str(raw.get("note") or ""),
                attributes=attrs if isinstance(attrs, dict) else {},
            )
        )
    provenance = data.get("provenance") or {}
    if not isinstance(provenance, dict):
        problems.append(
            Problem(doc.where(("provenance",)), "invalid-reference", "expected a mapping")
        )
        provenance = {}
    for key in sorted(set(provenance) - _PROVENANCE_KEYS):
        problems.append(
            Problem(doc.where(("provenance", key)), "unknown-key", f"unknown key `{key}`")
        )
    if len(problems) > before:
        return None
    return ReferenceList(
        name=str(data["reference"]),
        title=str(data["title"]),
        source=str(data["source"]),
        retrieved=_date(data.get("retrieved"), doc.where(("retrieved",)), problems),
        review_by=_date(data.get("review_by"), doc.where(("review_by",)), problems),
        entries=tuple(entries),
        location=doc.where(()),
        provenance=provenance,
    )


# The names of the lists read while one deal is screened (see :func:`recording_use`).
_USED: ContextVar[set[str] | None] = ContextVar("reference_lists_used", default=None)


@contextlib.contextmanager
def recording_use() -> Iterator[set[str]]:
    """Collect the names of the reference lists read inside the block (one screening)."""
    used: set[str] = set()
    token = _USED.set(used)
    try:
        yield used
    finally:
        _USED.reset(token)


@dataclass(frozen=True)
class References:
    """All reference lists of a rulebook, by name."""

    lists: dict[str, ReferenceList] = field(default_factory=dict)

    def values(self, name: str, on: dt.date | None = None) -> list[str]:
        """Values of a list in force on a date; an unknown list is an empty list."""
        self.note(name)
        ref = self.lists.get(name)
        return ref.values(on) if ref else []

    def get(self, name: str) -> ReferenceList | None:
        """The list of that name, if any."""
        self.note(name)
        return self.lists.get(name)

    def note(self, name: str) -> None:
        """Record that a screening read this list (for what its answer rests on)."""
        used = _USED.get()
        if used is not None and name in self.lists:
            used.add(name)

    def note_all(self, names: Iterable[str]) -> None:
        """:meth:`note` for several lists at once."""
        used = _USED.get()
        if used is not None:
            used.update(filter(self.lists.__contains__, names))
