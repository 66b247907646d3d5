"""Importing official restricted-list downloads (CSV) into reference-list YAML files.

Three CSV formats are read:

- ``ofac``: OFAC's legacy SDN files. ``sdn.csv`` has no header; its columns are ent_num,
  SDN_Name, SDN_Type, Program, Title, Call_Sign, Vess_type, Tonnage, GRT, Vess_flag, Vess_owner,
  Remarks, with ``-0-`` for empty. Aliases come from ``alt.csv`` (ent_num, alt_num, alt_type,
  alt_name, alt_remarks) and countries from ``add.csv`` (ent_num, add_num, address,
  city/state/postal code, country, remarks). Vessels and aircraft are left out.
- ``csl``: the Consolidated Screening List CSV of the International Trade Administration, with a
  header row (``name``, ``alt_names``, ``source``, ``programs``, ``start_date``, ``addresses``
  or ``country``, ``federal_register_notice``...). Rows are kept when their ``source`` is the
  requested list (Entity List, MEU List, Unverified List, SDN, NS-CMIC).
- ``simple``: a header row ``name, aliases, country, program, source, listed`` (aliases separated
  by ``;``), for lists published without a CSV (DoD 1260H, UFLPA Entity List, FCC Covered List).

The output is a reference list named ``restricted_<list>`` (see
:mod:`screening.facts.parties`), entries sorted by name, so a rulebook layer holding it replaces
the bundled starter set. Nothing here reads the clock: the retrieval date is given by the caller.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

import pycountry
from ruamel.yaml import YAML

from screening.errors import Problem, UsageError
from screening.facts.parties import LISTS, REFERENCE_PREFIX

FORMATS = ("auto", "ofac", "csl", "simple")

# How each list is named in the Consolidated Screening List's `source` column.
CSL_SOURCES: dict[str, tuple[str, ...]] = {
    "bis_entity_list": ("entity list",),
    "bis_meu_list": ("military end user",),
    "bis_unverified_list": ("unverified list",),
    "ofac_sdn": ("specially designated nationals",),
    "ns_cmic": ("chinese military-industrial complex", "(cmic)"),
}
OFFICIAL: dict[str, str] = {
    "bis_entity_list": "Consolidated Screening List CSV (trade.gov), source Entity List",
    "bis_meu_list": "Consolidated Screening List CSV (trade.gov), source Military End User List",
    "bis_unverified_list": "Consolidated Screening List CSV (trade.gov), source Unverified List",
    "ofac_sdn": "OFAC SDN List (Sanctions List Service, sdn.csv / alt.csv / add.csv)",
    "ns_cmic": "Consolidated Screening List CSV (trade.gov), source NS-CMIC List",
    "dod_1260h": "DoD section 1260H notice (Federal Register), transcribed to CSV",
    "uflpa_entity_list": "DHS UFLPA Entity List, transcribed to CSV",
    "fcc_covered_list": "FCC Covered List web page, transcribed to CSV",
}
_NULL = "-0-"


def _rows(path: Path) -> list[list[str]]:
    try:
        text = path.read_text(encoding="utf-8-sig", errors="replace")
    except OSError as exc:
        raise UsageError.one(str(path), "unreadable-file", f"cannot read: {exc.strerror}") from None
    return [row for row in csv.reader(io.StringIO(text)) if any(c.strip() for c in row)]


def _clean(value: str) -> str:
    value = " ".join(value.split())
    return "" if value == _NULL else value


def _country(value: str) -> str:
    """An ISO 3166-1 alpha-2 code for a code or a country name; the text itself if unknown."""
    value = _clean(value)
    if not value:
        return ""
    if len(value) == 2 and pycountry.countries.get(alpha_2=value.upper()):
        return value.upper()
    try:
        return str(pycountry.countries.lookup(value).alpha_2)
    except LookupError:
        return value


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(_clean(value)[:10])
    except ValueError:
        return None


def detect_format(path: Path) -> str:
    """``csl`` or ``simple`` when the first row is a header with those columns, else ``ofac``."""
    rows = _rows(path)
    header = [c.strip().lower() for c in rows[0]] if rows else []
    if "name" in header and "source" in header and ("alt_names" in header or "programs" in header):
        return "csl"
    if "name" in header:
        return "simple"
    return "ofac"


def _entry(
    name: str, aliases: list[str], country: str, program: str, source: str, listed: dt.date | None
) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    seen = {name}
    alias_list = []
    for a in aliases:
        a = _clean(a)
        if a and a not in seen:
            seen.add(a)
            alias_list.append(a)
    if alias_list:
        attrs["aliases"] = alias_list
    for key, value in (("country", country), ("program", program), ("source", source)):
        if value:
            attrs[key] = value
    entry: dict[str, Any] = {"value": name}
    if listed is not None:
        entry["from"] = listed.isoformat()
        attrs["listed"] = listed.isoformat()
    if attrs:
        entry["attributes"] = attrs
    return entry


def read_ofac(sdn: Path, alt: Path | None = None, add: Path | None = None) -> list[dict[str, Any]]:
    """Entries from OFAC's sdn.csv (with aliases from alt.csv and countries from add.csv)."""
    aliases: dict[str, list[str]] = {}
    for row in _rows(alt) if alt else []:
        if len(row) >= 4 and _clean(row[3]):
            aliases.setdefault(row[0].strip(), []).append(_clean(row[3]))
    countries: dict[str, list[str]] = {}
    for row in _rows(add) if add else []:
        if len(row) >= 5 and _clean(row[4]):
            countries.setdefault(row[0].strip(), []).append(_country(row[4]))
    out = []
    for i, row in enumerate(_rows(sdn), start=1):
        if len(row) < 4:
            raise UsageError.one(
                f"{sdn}:{i}",
                "invalid-row",
                "expected at least 4 columns (ent_num, SDN_Name, SDN_Type, Program)",
            )
        num, name, kind, program = row[0].strip(), _clean(row[1]), _clean(row[2]).lower(), row[3]
        if not name or kind in ("vessel", "aircraft"):
            continue
        programs = "; ".join(sorted(p.strip(" []") for p in program.split("] [") if p.strip(" []")))
        country = ", ".join(sorted(set(countries.get(num, []))))
        out.append(
            _entry(
                name,
                aliases.get(num, []),
                country,
                _clean(programs),
                f"OFAC SDN ent_num {num}",
                None,
            )
        )
    return out


def _column(header: list[str], *names: str) -> int | None:
    for name in names:
        if name in header:
            return header.index(name)
    return None


def read_csl(path: Path, list_id: str) -> list[dict[str, Any]]:
    """Entries of one list from the Consolidated Screening List CSV."""
    if list_id not in CSL_SOURCES:
        raise UsageError.one(
            "--list",
            "not-in-csl",
            f"`{list_id}` is not in the Consolidated Screening List: use `--format simple`",
        )
    rows = _rows(path)
    if not rows:
        return []
    header = [c.strip().lower() for c in rows[0]]
    col = {
        k: _column(header, *names)
        for k, names in {
            "name": ("name",),
            "alt": ("alt_names",),
            "source": ("source",),
            "programs": ("programs",),
            "start": ("start_date",),
            "country": ("country",),
            "addresses": ("addresses",),
            "notice": ("federal_register_notice",),
        }.items()
    }
    if col["name"] is None or col["source"] is None:
        raise UsageError.one(
            f"{path}:1", "invalid-header", "a CSL file needs `name` and `source` columns"
        )

    def get(row: list[str], key: str) -> str:
        i = col[key]
        return row[i] if i is not None and i < len(row) else ""

    out = []
    for row in rows[1:]:
        source = get(row, "source").lower()
        if not any(s in source for s in CSL_SOURCES[list_id]):
            continue
        name = _clean(get(row, "name"))
        if not name:
            continue
        country = _country(get(row, "country"))
        if not country and get(row, "addresses"):
            first = get(row, "addresses").split(";")[0]
            country = _country(first.rsplit(",", 1)[-1])
        notice = _clean(get(row, "notice"))
        out.append(
            _entry(
                name,
                get(row, "alt").split(";"),
                country,
                _clean(get(row, "programs")),
                notice or _clean(get(row, "source")),
                _date(get(row, "start")),
            )
        )
    return out


def read_simple(path: Path) -> list[dict[str, Any]]:
    """Entries from a CSV with the header ``name, aliases, country, program, source, listed``."""
    rows = _rows(path)
    if not rows:
        return []
    header = [c.strip().lower() for c in rows[0]]
    if "name" not in header:
        raise UsageError.one(f"{path}:1", "invalid-header", "the first row needs a `name` column")
    out = []
    for i, row in enumerate(rows[1:], start=2):
        rec = {h: (row[j] if j < len(row) else "") for j, h in enumerate(header)}
        name = _clean(rec.get("name", ""))
        if not name:
            continue
        listed_text = _clean(rec.get("listed", ""))
        listed = _date(listed_text)
        if listed_text and listed is None:
            raise UsageError.one(
                f"{path}:{i}", "invalid-date", f"`{listed_text}` is not a date (YYYY-MM-DD)"
            )
        out.append(
            _entry(
                name,
                rec.get("aliases", "").split(";"),
                _country(rec.get("country", "")),
                _clean(rec.get("program", "")),
                _clean(rec.get("source", "")),
                listed,
            )
        )
    return out


def import_list(
    list_id: str,
    path: Path,
    *,
    fmt: str = "auto",
    alt: Path | None = None,
    add: Path | None = None,
    retrieved: dt.date | None = None,
) -> dict[str, Any]:
    """A reference-list document for ``list_id`` from an official CSV download."""
    if list_id not in LISTS:
        raise UsageError.one(
            "--list",
            "unknown-list",
            f"`{list_id}` is not a restricted list: one of {', '.join(LISTS)}",
        )
    if fmt == "auto":
        fmt = detect_format(path)
    if fmt == "ofac":
        entries = read_ofac(path, alt, add)
    elif fmt == "csl":
        entries = read_csl(path, list_id)
    elif fmt == "simple":
        entries = read_simple(path)
    else:
        raise UsageError.one(
            "--format", "unknown-format", f"`{fmt}` is not one of {', '.join(FORMATS)}"
        )
    merged: dict[str, dict[str, Any]] = {}
    for entry in entries:  # one entry per name; aliases of duplicates are kept
        old = merged.get(entry["value"])
        if old is None:
            merged[entry["value"]] = entry
            continue
        extra = entry.get("attributes", {}).get("aliases", [])
        have = old.setdefault("attributes", {}).setdefault("aliases", [])
        have.extend(a for a in extra if a not in have)
    doc: dict[str, Any] = {
        "reference": REFERENCE_PREFIX + list_id,
        "title": f"{LISTS[list_id]} (imported)",
        "source": f"{OFFICIAL[list_id]}; imported by `dealscreen lists import` from {path.name}",
    }
    if retrieved is not None:
        doc["retrieved"] = retrieved.isoformat()
    doc["notes"] = f"{len(merged)} entries imported ({fmt} format)."
    doc["entries"] = [merged[k] for k in sorted(merged)]
    return doc


def dump_reference(doc: dict[str, Any]) -> str:
    """The reference document as YAML text (block style, stable order)."""
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.width = 4096
    yaml.allow_unicode = True
    buf = io.StringIO()
    yaml.dump(doc, buf)
    return buf.getvalue()


def problems_of(doc: dict[str, Any], where: str) -> list[Problem]:
    """Validate an imported document with the rulebook's own reference-list parser."""
    from screening.model._yaml import Document
    from screening.model.reference import parse_reference

    problems: list[Problem] = []
    parse_reference(Document(where, doc, {}), problems)
    return problems
