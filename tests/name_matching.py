"""The labelled name-matching set (``tests/data/name_matches.yaml``) and its scoring."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from screening.facts.parties import NameScreening, screen_name
from screening.model.reference import Entry, ReferenceList, References

DATA = Path(__file__).parent / "data" / "name_matches.yaml"
ON = dt.date(2026, 6, 1)


def load() -> dict[str, Any]:
    """The labelled set as plain data."""
    return YAML(typ="safe").load(DATA.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def references(entities: dict[str, Any]) -> References:
    """The set's entities as one restricted list (the SDN List id, for the matcher)."""
    entries = tuple(
        Entry(
            value=e["name"],
            start=None,
            end=None,
            note="",
            attributes={"aliases": list(e.get("aliases") or []), "key": key},
        )
        for key, e in sorted(entities.items())
    )
    ref = ReferenceList("restricted_ofac_sdn", "labelled set", "tests", None, None, entries)
    return References({ref.name: ref})


@dataclass
class Scored:
    """Counts over the labelled set, and the cases that went wrong."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    positives: int = 0
    negatives: int = 0
    exact_expected: int = 0
    exact_found: int = 0
    wrong: list[str] | None = None

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def flagged(s: NameScreening) -> set[str]:
    """Entity keys a screening flagged (matches and possible matches)."""
    return {m.entry for m in (*s.matches, *s.possible)}


def score(part: str = "cases") -> Scored:
    """Screen every case of one part of the set (``cases`` or ``held_out``) and count."""
    data = load()
    refs = references(data["entities"])
    name_of = {k: e["name"] for k, e in data["entities"].items()}
    out = Scored(wrong=[])
    for case in data[part]:
        s = screen_name(case["query"], refs, ON)
        hit = flagged(s)
        want = name_of.get(case["entity"]) if case["entity"] else None
        if case["same"]:
            out.positives += 1
            if want in hit:
                out.tp += 1
            else:
                out.fn += 1
                out.wrong.append(f"missed: {case['query']!r} (want {want!r}, got {sorted(hit)})")
            if case.get("exact"):
                out.exact_expected += 1
                if any(m.entry == want for m in s.matches):
                    out.exact_found += 1
                else:
                    out.wrong.append(f"not exact: {case['query']!r} ({want!r})")
            extra = hit - {want}
            if extra:
                out.fp += len(extra)
                out.wrong.append(f"also flagged: {case['query']!r} -> {sorted(extra)}")
        elif hit:
            out.negatives += 1
            out.fp += len(hit)
            out.wrong.append(f"false positive: {case['query']!r} -> {sorted(hit)}")
        else:
            out.negatives += 1
            out.tn += 1
    return out
