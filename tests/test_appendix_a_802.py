"""Appendix A to 31 CFR part 802 as shipped in rules/reference/appendix_a_part802.yaml.

The counts are those of the current list (from Dec. 9, 2024; 89 FR 88128) as given by the source
the file cites (a secondary compilation of the eCFR text that matches the counts of the 2024 rule:
40 added to Part 1, 19 added to Part 2, 8 moved from Part 1 to Part 2): Part 1 162 sites, Part 2
65, Part 3 3 missile fields, Part 4 24 off-shore ranges, of which none is carried. The file is
read with ruamel.yaml directly, so these checks do not depend on the engine's loader.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.conftest import FIXTURES, ROOT

PATH = ROOT / "rules" / "reference" / "appendix_a_part802.yaml"
DEC_9_2024 = dt.date(2024, 12, 9)
SEPT_22_2023 = dt.date(2023, 9, 22)
PART_802_START = dt.date(2020, 2, 13)

# Counts in force from Dec. 9, 2024 (the rule), and how many the file carries.
RULE_COUNTS = {1: 162, 2: 65, 3: 3, 4: 24}
CARRIED_COUNTS = {1: 162, 2: 65, 3: 3, 4: 0}
# Former names kept in force in Part 2 (their Dec. 9, 2024 successor covers the same site).
KEPT_FORMER_NAMES = {
    "Iowa National Guard Joint Force Headquarters": "Camp Dodge",
    "Lackland Air Force Base": "Joint Base San Antonio",
}

ADDED_2024_PART_1 = {
    "Anniston Army Depot",
    "Barter Island Regional Radar Site",
    "Blue Grass Army Depot",
    "Camp Blaz",
    "Camp Navajo",
    "Camp Roberts",
    "Cold Bay Regional Radar Site",
    "Detroit Arsenal",
    "Hawthorne Army Depot",
    "Indian Mountain Regional Radar Site",
    "Iowa Army Ammunition Plant",
    "Joint Base Myer-Henderson Hall",
    "Joint Systems Manufacturing Center\u2014Lima",
    "Kenai Regional Radar Site",
    "Kotzebue Regional Radar Site",
    "Lake City Army Ammunition Plant",
    "Letterkenny Army Depot",
    "Lisburne Regional Radar Site",
    "Marine Corps Logistics Base Albany",
    "Marine Corps Logistics Base Barstow",
    "Marine Corps Support Facility Blount Island",
    "McAlester Army Ammunition Plant",
    "Military Ocean Terminal Concord",
    "Military Ocean Terminal Sunny Point",
    "Naval Air Station Corpus Christi",
    "Naval Logistics Support Activity Ketchikan",
    "Naval Logistics Support Activity LaMoure",
    "Naval Logistics Support Annex Orlando",
    "Naval Logistics Support Facility Aguada",
    "Naval Logistics Support Facility Cutler",
    "Naval Suffolk Facility",
    "Pine Bluff Arsenal",
    "Pueblo Chemical Depot",
    "Red River Army Depot",
    "Romanzof Regional Radar Site",
    "Scott Air Force Base",
    "Scranton Army Ammunition Plant",
    "Sparrevohn Regional Radar Site",
    "Tatalina Regional Radar Site",
    "Tooele Army Depot",
}
ADDED_2024_PART_2 = {
    "Altus Air Force Base",
    "Barksdale Air Force Base",
    "Camp Dodge",
    "Camp Grayling",
    "Camp Williams",
    "Cannon Air Force Base",
    "Chocolate Mountain Aerial Gunnery Range",
    "Columbus Air Force Base",
    "Dover Air Force Base",
    "Fort Novosel",
    "Goodfellow Air Force Base",
    "Joint Base Cape Cod",
    "Joint Base Charleston",
    "Little Rock Air Force Base",
    "Maxwell-Gunter Air Force Base",
    "Muscatatuck Urban Training Center",
    "Townsend Bombing Range",
    "Vance Air Force Base",
    "Whiteman Air Force Base",
}
MOVED_2024_TO_PART_2 = {
    "Arnold Air Force Base",
    "Joint Base San Antonio",
    "Malmstrom Air Force Base",
    "Moody Air Force Base",
    "Redstone Arsenal",
    "Schriever Space Force Base",
    "Tinker Air Force Base",
    "Wright-Patterson Air Force Base",
}
# 88 FR 57348 (from Sept. 22, 2023): eight Part 2 additions.
ADDED_2023_PART_2 = {
    "Air Force Plant 42",
    "Dyess Air Force Base",
    "Ellsworth Air Force Base",
    "Grand Forks Air Force Base",
    "Iowa National Guard Joint Force Headquarters",
    "Lackland Air Force Base",
    "Laughlin Air Force Base",
    "Luke Air Force Base",
}

# Names the golden fixtures use for the nearest installation.
FIXTURE_NAMES = {
    "Dyess Air Force Base",
    "Ellsworth Air Force Base",
    "Grand Forks Air Force Base",
    "Lackland Air Force Base",
    "Luke Air Force Base",
    "Naval Air Station Oceana",
    "90th Missile Wing (F.E. Warren AFB) missile field",
}

LIST_KEYS = {"reference", "title", "source", "retrieved", "review_by", "notes", "entries"}
ENTRY_KEYS = {"value", "from", "to", "note", "attributes"}
ATTRIBUTE_KEYS = {"part", "category", "states", "lat", "lon", "approximate", "confidence"}
CATEGORIES = set("abcdefghijklmnop")
# U.S. states, DC and the territories the list names.
STATE_CODES = frozenset(
    {
        *("AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN"),
        *("IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV"),
        *("NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN"),
        *("TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "DC", "GU", "PR"),
    }
)


def _date(value: Any) -> dt.date | None:
    if value is None:
        return None
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    """The reference list, read with ruamel.yaml."""
    data = YAML(typ="safe").load(PATH.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def entries(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The list's entries."""
    items = doc["entries"]
    assert isinstance(items, list) and items
    return items


def in_force(entries: list[dict[str, Any]], on: dt.date) -> list[dict[str, Any]]:
    """Entries applying on a date (``from`` inclusive, ``to`` exclusive), as the engine reads them."""
    out = []
    for e in entries:
        start, end = _date(e.get("from")), _date(e.get("to"))
        if (start is None or start <= on) and (end is None or on < end):
            out.append(e)
    return out


def by_part(entries: list[dict[str, Any]]) -> Counter[int]:
    """How many entries per Appendix A part."""
    return Counter(int(e["attributes"]["part"]) for e in entries)


def test_schema_is_the_reference_list_schema(
    doc: dict[str, Any], entries: list[dict[str, Any]]
) -> None:
    """Top-level keys, entry keys and attribute keys are the ones the list has always used."""
    assert set(doc) == LIST_KEYS
    assert doc["reference"] == "appendix_a_part802"
    for e in entries:
        assert set(e) <= ENTRY_KEYS, e["value"]
        assert {"value", "from", "note", "attributes"} <= set(e), e["value"]
        assert set(e["attributes"]) == ATTRIBUTE_KEYS, e["value"]


def test_every_entry_has_a_part_dates_and_states(entries: list[dict[str, Any]]) -> None:
    """Part in 1..4, category a paragraph letter or null, dates ordered, states real codes."""
    for e in entries:
        attrs = e["attributes"]
        assert attrs["part"] in (1, 2, 3, 4), e["value"]
        assert attrs["category"] is None or attrs["category"] in CATEGORIES, e["value"]
        start, end = _date(e.get("from")), _date(e.get("to"))
        assert start is not None and start >= PART_802_START, e["value"]
        assert end is None or start < end, e["value"]
        assert attrs["states"] and set(attrs["states"]) <= STATE_CODES, e["value"]
        assert attrs["confidence"] in {"reg", "src", "mem"}, e["value"]


def test_coordinates_are_null_or_flagged_approximate(entries: list[dict[str, Any]]) -> None:
    """A reference point is carried only with approximate: true; otherwise lat and lon are null."""
    for e in entries:
        attrs = e["attributes"]
        if attrs.get("lat") is None or attrs.get("lon") is None:
            assert attrs.get("lat") is None and attrs.get("lon") is None, e["value"]
        else:
            assert attrs["approximate"] is True, e["value"]
            assert -90 <= attrs["lat"] <= 90 and -180 <= attrs["lon"] <= 180, e["value"]


@pytest.mark.parametrize("day", [DEC_9_2024, dt.date(2025, 7, 1), dt.date(2026, 11, 30)])
def test_counts_in_force_from_dec_9_2024(entries: list[dict[str, Any]], day: dt.date) -> None:
    """Per part, the entries in force match the current list's counts (Part 4 not carried)."""
    current = in_force(entries, day)
    counts = by_part([e for e in current if e["value"] not in KEPT_FORMER_NAMES])
    assert {part: counts.get(part, 0) for part in (1, 2, 3, 4)} == CARRIED_COUNTS
    for part in (1, 2, 3):
        assert CARRIED_COUNTS[part] == RULE_COUNTS[part]
    kept = {e["value"]: e["attributes"]["part"] for e in current if e["value"] in KEPT_FORMER_NAMES}
    assert kept == dict.fromkeys(KEPT_FORMER_NAMES, 2)
    successors = {e["value"] for e in current if e["attributes"]["part"] == 2}
    assert set(KEPT_FORMER_NAMES.values()) <= successors


def test_partial_list_says_so(doc: dict[str, Any]) -> None:
    """While Part 4 is short of the rule's 24 ranges, title and notes say PARTIAL with the counts."""
    assert CARRIED_COUNTS[4] < RULE_COUNTS[4]
    assert "PARTIAL" in doc["title"] and "PARTIAL" in doc["notes"]
    assert "Part 4 0 of 24" in doc["notes"]
    assert "Part 1 162 of 162" in doc["notes"] and "Part 2 65 of 65" in doc["notes"]


def test_the_day_before_dec_9_2024(entries: list[dict[str, Any]]) -> None:
    """On Dec. 8, 2024 no 2024 addition applies and the moved sites are still in Part 1."""
    before = in_force(entries, DEC_9_2024 - dt.timedelta(days=1))
    names = {e["value"] for e in before}
    assert not names & (ADDED_2024_PART_1 | ADDED_2024_PART_2)
    parts = {e["value"]: e["attributes"]["part"] for e in before}
    assert {parts[name] for name in MOVED_2024_TO_PART_2} == {1}


def test_dec_9_2024_additions_and_moves_are_dated(entries: list[dict[str, Any]]) -> None:
    """Every site the 2024 rule added or moved is listed from Dec. 9, 2024, in its new part."""
    assert (len(ADDED_2024_PART_1), len(ADDED_2024_PART_2), len(MOVED_2024_TO_PART_2)) == (
        40,
        19,
        8,
    )
    rows: dict[str, list[dict[str, Any]]] = {}
    for e in entries:
        rows.setdefault(e["value"], []).append(e)
    for name, part in (
        [(n, 1) for n in ADDED_2024_PART_1]
        + [(n, 2) for n in ADDED_2024_PART_2]
        + [(n, 2) for n in MOVED_2024_TO_PART_2]
    ):
        new = [e for e in rows.get(name, []) if _date(e.get("from")) == DEC_9_2024]
        assert len(new) == 1, name
        assert new[0]["attributes"]["part"] == part and new[0].get("to") is None, name
    for name in MOVED_2024_TO_PART_2:
        old = [e for e in rows[name] if e["attributes"]["part"] == 1]
        assert len(old) == 1 and _date(old[0].get("to")) == DEC_9_2024, name
        assert _date(old[0]["from"]) == PART_802_START, name


def test_sept_22_2023_additions_are_dated(entries: list[dict[str, Any]]) -> None:
    """88 FR 57348: the eight Part 2 additions apply from Sept. 22, 2023 and not before."""
    rows = {e["value"]: e for e in entries if e["value"] in ADDED_2023_PART_2}
    assert set(rows) == ADDED_2023_PART_2
    for name, e in rows.items():
        assert _date(e["from"]) == SEPT_22_2023 and e["attributes"]["part"] == 2, name
    earlier = {e["value"] for e in in_force(entries, SEPT_22_2023 - dt.timedelta(days=1))}
    assert not earlier & ADDED_2023_PART_2


@pytest.mark.parametrize(
    "day",
    [
        PART_802_START,
        SEPT_22_2023,
        DEC_9_2024 - dt.timedelta(days=1),
        DEC_9_2024,
        dt.date(2026, 11, 30),
    ],
)
def test_names_unique_among_entries_in_force(entries: list[dict[str, Any]], day: dt.date) -> None:
    """No name is listed twice on any day (the engine takes the first entry in force)."""
    names = Counter(e["value"].casefold() for e in in_force(entries, day))
    assert [n for n, c in names.items() if c > 1] == []


def _fixture_installations() -> dict[str, list[dt.date]]:
    out: dict[str, list[dt.date]] = {}
    yaml = YAML(typ="safe")
    for path in sorted(Path(FIXTURES).rglob("*.yaml")):
        data = yaml.load(path.read_text(encoding="utf-8"))
        site = (data or {}).get("site") or {}
        name = site.get("nearest_installation")
        day = _date(data.get("completion_date") or data.get("signing_date"))
        if name and day:
            out.setdefault(str(name), []).append(day)
    return out


def test_fixture_installations_keep_matching(entries: list[dict[str, Any]]) -> None:
    """Installations the fixtures name stay listed; from Dec. 9, 2024 none is unlisted by a rename."""
    listed = {e["value"] for e in entries}
    used = _fixture_installations()
    assert set(used) >= FIXTURE_NAMES
    assert listed >= FIXTURE_NAMES
    for name, days in used.items():
        if name not in listed:
            continue
        for day in days:
            if day >= DEC_9_2024:
                assert any(e["value"] == name for e in in_force(entries, day)), (name, day)


def test_engine_reads_the_same_list() -> None:
    """The shipped rulebook validates the file and sees the same entries in force."""
    from screening import load_rulebook

    ref = load_rulebook().references.get("appendix_a_part802")
    assert ref is not None
    data = YAML(typ="safe").load(PATH.read_text(encoding="utf-8"))
    assert len(ref.entries) == len(data["entries"])
    assert sorted(ref.values(DEC_9_2024)) == sorted(
        {e["value"] for e in in_force(data["entries"], DEC_9_2024)}
    )
