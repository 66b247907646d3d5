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
- ``ofac-xml``: OFAC's ``SDN_ADVANCED.XML`` (``DistinctParty/Profile/Identity/Alias/
  DocumentedName/DocumentedNamePart/NamePartValue``; the primary alias is the name, the others
  aliases, in every script; programs from ``SanctionsEntry/SanctionsMeasure/Comment`` and the
  listing date from its ``EntryEvent``; vessels and aircraft left out). Tags are read without
  their namespace. Tested on a sample written from the published layout, not on a download.
- ``csl-json``: the Consolidated Screening List as JSON (the download's ``{"results": [...]}`` or a
  plain array of the same objects: ``name``, ``alt_names``, ``source``, ``programs``,
  ``start_date``, ``addresses`` with ``country``, ``federal_register_notice``).
- ``ftm``: OpenSanctions entity files in the FollowTheMoney format, one JSON object a line
  (``schema``, ``properties.name``/``alias``/``country``/``program``/``createdAt``, ``datasets``).
  Entities are kept when one of their ``datasets`` is the one given for the list
  (:data:`FTM_DATASETS`, or ``--dataset``); vessels and aircraft are left out.

Each import records its provenance in the document: the format, each file read with its SHA-256
and size, the publication date when given, and the counts of entries and names (with aliases).
:func:`diff` compares two versions of a list entry by entry (``lists update``).

The output is a reference list named ``restricted_<list>`` (see
:mod:`screening.facts.parties`), entries sorted by name, so a rulebook layer holding it replaces
the bundled starter set. Nothing here reads the clock: the retrieval date is given by the caller.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pycountry
from ruamel.yaml import YAML

from screening.errors import Problem, UsageError
from screening.facts.parties import LISTS, REFERENCE_PREFIX

FORMATS = ("auto", "ofac", "ofac-xml", "csl", "csl-json", "ftm", "simple")
# OpenSanctions dataset names of the lists (as published on opensanctions.org; verify against
# the dataset index before relying on one: names are not part of any official list).
FTM_DATASETS: dict[str, str] = {
    "ofac_sdn": "us_ofac_sdn",
    "bis_entity_list": "us_bis_entity",
    "bis_meu_list": "us_bis_meu",
    "ns_cmic": "us_ofac_cmic",
    "dod_1260h": "us_dod_chinese_milcorps",
    "uflpa_entity_list": "us_dhs_uflpa",
    "fcc_covered_list": "us_fcc_covered",
}
_SKIP_SCHEMATA = frozenset({"Vessel", "Airplane"})

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
    """``csl-json``/``ftm`` for JSON; ``csl`` or ``simple`` by the CSV header; else ``ofac``."""
    head = _read_text(path).lstrip()[:1]
    if head == "<":
        return "ofac-xml"
    if head in ("{", "["):
        first = _read_text(path).lstrip().splitlines()[0]
        return (
            "ftm" if head == "{" and '"schema"' in first and '"properties"' in first else "csl-json"
        )
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


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError.one(str(path), "unreadable-file", str(exc)) from None


def _csl_source_matches(source: str, list_id: str) -> bool:
    return any(s in source.lower() for s in CSL_SOURCES[list_id])


def read_csl_json(path: Path, list_id: str) -> list[dict[str, Any]]:
    """Entries of one list from the Consolidated Screening List JSON."""
    if list_id not in CSL_SOURCES:
        raise UsageError.one(
            "--list",
            "not-in-csl",
            f"`{list_id}` is not in the Consolidated Screening List: use `--format simple`",
        )
    try:
        data = json.loads(_read_text(path))
    except json.JSONDecodeError as exc:
        raise UsageError.one(f"{path}:{exc.lineno}", "invalid-json", exc.msg) from None
    rows = data.get("results", []) if isinstance(data, dict) else data
    if not isinstance(rows, list):
        raise UsageError.one(str(path), "invalid-csl", "expected `results`: a list of entries")
    out = []
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise UsageError.one(f"{path}: results[{i}]", "invalid-csl", "expected an object")
        if not _csl_source_matches(str(row.get("source") or ""), list_id):
            continue
        name = _clean(str(row.get("name") or ""))
        if not name:
            continue
        addresses = row.get("addresses") or []
        country = ""
        for address in addresses if isinstance(addresses, list) else []:
            if isinstance(address, dict) and address.get("country"):
                country = _country(str(address["country"]))
                break
        programs = row.get("programs") or []
        notice = row.get("federal_register_notice") or row.get("source") or ""
        out.append(
            _entry(
                name,
                [str(a) for a in row.get("alt_names") or []],
                country,
                ", ".join(str(x) for x in programs)
                if isinstance(programs, list)
                else str(programs),
                _clean(str(notice)),
                _date(str(row.get("start_date") or "")),
            )
        )
    return out


def read_ftm(path: Path, dataset: str) -> list[dict[str, Any]]:
    """Entries from an OpenSanctions FollowTheMoney entity file (one JSON object a line)."""
    out = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                entity = json.loads(line)
            except json.JSONDecodeError as exc:
                raise UsageError.one(f"{path}:{number}", "invalid-json", exc.msg) from None
            if not isinstance(entity, dict) or entity.get("schema") in _SKIP_SCHEMATA:
                continue
            if dataset not in (entity.get("datasets") or []):
                continue
            props = entity.get("properties") or {}
            names = [_clean(str(n)) for n in props.get("name") or [] if _clean(str(n))]
            if not names:
                continue
            names.sort()
            aliases = names[1:] + [str(a) for a in props.get("alias") or []]
            countries = sorted(str(c) for c in props.get("country") or [])
            created = sorted(str(c) for c in props.get("createdAt") or [])
            out.append(
                _entry(
                    names[0],
                    aliases,
                    _country(countries[0]) if countries else "",
                    ", ".join(sorted(str(p) for p in props.get("program") or [])),
                    f"OpenSanctions {dataset} ({entity.get('id', '')})",
                    _date(created[0][:10]) if created else None,
                )
            )
    return out


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _xml_date(node: Any) -> dt.date | None:
    parts = {_local(c.tag): (c.text or "").strip() for c in node}
    try:
        return dt.date(int(parts["Year"]), int(parts["Month"]), int(parts["Day"]))
    except (KeyError, ValueError):
        return None


def read_ofac_xml(path: Path) -> list[dict[str, Any]]:
    """Entries from OFAC's advanced XML (SDN_ADVANCED.XML), vessels and aircraft left out."""
    import xml.etree.ElementTree as ET

    try:
        # ElementTree never fetches external entities; expat caps entity expansion.
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        line = exc.position[0] if exc.position else 0
        raise UsageError.one(f"{path}:{line}", "invalid-xml", str(exc)) from None
    subtypes = {
        el.get("ID", ""): (el.text or "").strip()
        for el in root.iter()
        if _local(el.tag) == "PartySubType"
    }
    programs: dict[str, list[str]] = {}
    listed: dict[str, dt.date | None] = {}
    for entry in (el for el in root.iter() if _local(el.tag) == "SanctionsEntry"):
        profile_id = entry.get("ProfileID", "")
        for child in entry:
            if _local(child.tag) == "SanctionsMeasure":
                programs.setdefault(profile_id, []).extend(
                    (c.text or "").strip() for c in child if _local(c.tag) == "Comment"
                )
            elif _local(child.tag) == "EntryEvent" and profile_id not in listed:
                dates = [c for c in child if _local(c.tag) == "Date"]
                listed[profile_id] = _xml_date(dates[0]) if dates else None
    out = []
    for profile in (el for el in root.iter() if _local(el.tag) == "Profile"):
        if subtypes.get(profile.get("PartySubTypeID", "")) in ("Vessel", "Aircraft"):
            continue
        primary, others = "", []
        for alias in (el for el in profile.iter() if _local(el.tag) == "Alias"):
            for doc in (el for el in alias if _local(el.tag) == "DocumentedName"):
                parts = [
                    (v.text or "").strip()
                    for v in doc.iter()
                    if _local(v.tag) == "NamePartValue" and (v.text or "").strip()
                ]
                name = _clean(" ".join(parts))
                if not name:
                    continue
                if alias.get("Primary") == "true" and not primary:
                    primary = name
                else:
                    others.append(name)
        if not primary:
            continue
        pid = profile.get("ID", "")
        out.append(
            _entry(
                primary,
                others,
                "",
                "] [".join(p for p in programs.get(pid, []) if p),
                f"OFAC SDN advanced XML, profile {pid}",
                listed.get(pid),
            )
        )
    return out


def file_provenance(paths: list[Path]) -> list[dict[str, Any]]:
    """Each file read: its name, SHA-256 and size."""
    out = []
    for path in paths:
        data = path.read_bytes()
        out.append(
            {"name": path.name, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
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
    published: dt.date | None = None,
    dataset: str | None = None,
) -> dict[str, Any]:
    """A reference-list document for ``list_id`` from an official download, with provenance."""
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
    elif fmt == "ofac-xml":
        entries = read_ofac_xml(path)
    elif fmt == "csl-json":
        entries = read_csl_json(path, list_id)
    elif fmt == "ftm":
        entries = read_ftm(path, dataset or FTM_DATASETS[list_id])
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
    names = sum(1 + len(e.get("attributes", {}).get("aliases", [])) for e in merged.values())
    provenance: dict[str, Any] = {
        "format": fmt,
        "files": file_provenance([p for p in (path, alt, add) if p is not None]),
        "entries": len(merged),
        "names": names,
    }
    if published is not None:
        provenance["published"] = published.isoformat()
    doc["provenance"] = provenance
    doc["entries"] = [merged[k] for k in sorted(merged)]
    return doc


def diff(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Entries added, removed and changed (aliases, dates or attributes) between two versions."""
    before = {e["value"]: e for e in old}
    after = {e["value"]: e for e in new}
    return {
        "added": sorted(set(after) - set(before)),
        "removed": sorted(set(before) - set(after)),
        "changed": sorted(
            k
            for k in set(before) & set(after)
            if json.dumps(before[k], sort_keys=True, default=str)
            != json.dumps(after[k], sort_keys=True, default=str)
        ),
    }


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


# The files `lists update --from DIR` reads, by file name: (list ids, format).
UPDATE_FILES: dict[str, tuple[tuple[str, ...], str]] = {
    "sdn.csv": (("ofac_sdn",), "ofac"),
    "sdn_advanced.xml": (("ofac_sdn",), "ofac-xml"),
    "consolidated.csv": (
        ("bis_entity_list", "bis_meu_list", "bis_unverified_list", "ns_cmic"),
        "csl",
    ),
    "consolidated.json": (
        ("bis_entity_list", "bis_meu_list", "bis_unverified_list", "ns_cmic"),
        "csl-json",
    ),
    "1260h.csv": (("dod_1260h",), "simple"),
    "uflpa.csv": (("uflpa_entity_list",), "simple"),
    "fcc_covered.csv": (("fcc_covered_list",), "simple"),
    "entities.ftm.json": (tuple(sorted(FTM_DATASETS)), "ftm"),
}
_COMPANION_FILES = {"alt.csv", "add.csv"}


def plan_update(folder: Path) -> tuple[dict[str, tuple[Path, str]], list[str]]:
    """Which file each list is imported from, and the files of the folder that are not read.

    A list named by an official file of its own is taken from it, never from the OpenSanctions
    file; ``alt.csv`` and ``add.csv`` go with ``sdn.csv``.
    """
    if not folder.is_dir():
        raise UsageError.one(str(folder), "not-a-directory", "no folder of list files here")
    plan: dict[str, tuple[Path, str]] = {}
    unread = []
    for path in sorted(folder.iterdir()):
        spec = UPDATE_FILES.get(path.name.lower())
        if spec is None:
            if path.name.lower() not in _COMPANION_FILES:
                unread.append(path.name)
            continue
        list_ids, fmt = spec
        for list_id in list_ids:
            if fmt == "ftm" and list_id in plan:
                continue
            plan[list_id] = (path, fmt)
    return dict(sorted(plan.items())), unread


MAX_DOWNLOAD = 512 * 1024 * 1024
"""The largest list file `lists update --url` downloads (the full SDN XML is far smaller)."""


def download(url: str, folder: Path, *, timeout: float = 60.0) -> Path:
    """Fetch one list file into ``folder`` under the URL's file name (http and https only)."""
    import urllib.error
    import urllib.parse
    import urllib.request

    parts = urllib.parse.urlsplit(url)
    name = Path(urllib.parse.unquote(parts.path)).name
    if parts.scheme not in ("http", "https") or not name:
        raise UsageError.one(
            "--url", "invalid-url", f"`{url}` is not an http(s) URL ending in a file name"
        )
    target = folder / name
    try:
        # The scheme is checked above: only http(s), never file: or ftp:.
        with urllib.request.urlopen(url, timeout=timeout) as response:
            data = response.read(MAX_DOWNLOAD + 1)
    except (urllib.error.URLError, OSError) as exc:
        raise UsageError.one("--url", "download-failed", f"`{url}`: {exc}") from None
    if len(data) > MAX_DOWNLOAD:
        raise UsageError.one("--url", "too-large", f"`{url}` is over {MAX_DOWNLOAD} bytes")
    target.write_bytes(data)
    return target
