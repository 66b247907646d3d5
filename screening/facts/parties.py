"""Restricted-party screening: name normalization, list matching and the ownership rules.

Every party of a deal (the investor, each co-investor, the target) and every owner in their
ownership chains is screened by name against the restricted lists held as reference data
(``rules/reference/restricted/*.yaml``, one reference list per restricted list, named
``restricted_<list>``). A name is normalized (case, diacritics, punctuation, legal-form suffixes,
a few transliteration variants) and compared with each entry's name and aliases:

- equal after normalization (spaces ignored): a **match**, ``how`` = ``name`` or ``alias``;
- a list the record itself declares for the party (``lists:``): a match, ``how`` = ``declared``;
- otherwise a fuzzy score (rapidfuzz ``token_sort_ratio`` on normalized names, rounded to one
  decimal) at or above :data:`POSSIBLE_MATCH_THRESHOLD`: a **possible match**.

Ownership rules (OFAC's 50 Percent Rule; BIS's Affiliates Rule while in force) are reference
data too (``restricted_ownership_rules``): an entity owned 50% or more, directly or indirectly,
individually or in aggregate, by listed parties is treated as listed. Indirect holdings count in
full through entities that are themselves treated as listed (OFAC FAQ 401); holdings of parties
listed under different programs aggregate (FAQ 399); control without ownership does not count
(FAQ 398). Only matches (never possible matches) count towards ownership.

Everything is deterministic: names, lists and matches are sorted, scores are rounded, and the
match index built from a :class:`~screening.model.reference.References` object is cached per object.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from rapidfuzz import fuzz, process

from screening.model.numbers import Num, pct_bounds, render
from screening.model.reference import Entry, References

LISTS: dict[str, str] = {
    "bis_entity_list": "BIS Entity List",
    "bis_meu_list": "BIS Military End-User List",
    "bis_unverified_list": "BIS Unverified List",
    "dod_1260h": "DoD 1260H list",
    "fcc_covered_list": "FCC Covered List",
    "ns_cmic": "NS-CMIC List",
    "ofac_sdn": "OFAC SDN List",
    "uflpa_entity_list": "UFLPA Entity List",
}
"""The restricted lists screened, by id (the ids of ``RestrictedList`` in the deal model)."""

REFERENCE_PREFIX = "restricted_"
OWNERSHIP_RULES = "restricted_ownership_rules"
POSSIBLE_MATCH_THRESHOLD = Decimal("88.0")
"""Fuzzy scores at or above this (0-100) are possible matches."""
SCORE_FLOOR = Decimal("60.0")
"""Fuzzy scores below this are not reported at all (not even as the best score)."""
HUNDRED = Decimal(100)
HALF = Decimal(50)

# Legal-form words removed from the end of a name (after punctuation is dropped), and the
# prefixes removed from its start (Russian and similar forms written first).
_LEGAL_SUFFIXES = frozenset(
    [
        "co",
        "company",
        "cos",
        "ltd",
        "limited",
        "inc",
        "incorporated",
        "llc",
        "lc",
        "corp",
        "corporation",
        "gmbh",
        "ag",
        "kg",
        "sa",
        "sas",
        "sarl",
        "spa",
        "srl",
        "bv",
        "nv",
        "plc",
        "lp",
        "llp",
        "pte",
        "pty",
        "kk",
        "oy",
        "ab",
        "jsc",
        "pjsc",
        "ojsc",
        "cjsc",
        "oao",
        "ooo",
        "zao",
        "pao",
        "coltd",
        "sdn",
        "bhd",
        "tbk",
        "ltda",
        "se",
    ]
)
_LEGAL_PREFIXES = frozenset(["jsc", "pjsc", "ojsc", "cjsc", "oao", "ooo", "zao", "pao", "the"])
_CJK_LEGAL_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "公司")
# Postal-era and other common romanization variants mapped to pinyin, and abbreviations.
_VARIANTS = {
    "amoy": "xiamen",
    "anhwei": "anhui",
    "canton": "guangzhou",
    "chekiang": "zhejiang",
    "chungking": "chongqing",
    "fukien": "fujian",
    "hangchow": "hangzhou",
    "hupeh": "hubei",
    "kiangsu": "jiangsu",
    "kwangtung": "guangdong",
    "nanking": "nanjing",
    "peking": "beijing",
    "shantung": "shandong",
    "shenzen": "shenzhen",
    "sinkiang": "xinjiang",
    "szechuan": "sichuan",
    "szechwan": "sichuan",
    "tientsin": "tianjin",
    "tsingtao": "qingdao",
    "moskva": "moscow",
    "intl": "international",
    "natl": "national",
    "tech": "technology",
    "technologies": "technology",
    "hldgs": "holdings",
    "grp": "group",
    "mfg": "manufacturing",
    "sci": "science",
    "and": "and",
}
_DROP = re.compile(r"[.'’`]")
_NON_WORD = re.compile(r"[^\w]+|_")


@functools.lru_cache(maxsize=65536)
def normalize(name: str) -> str:
    """A name reduced to lower-case ASCII-folded words without punctuation or legal forms."""
    text = unicodedata.normalize("NFKC", name).strip()
    changed = True
    while changed:
        changed = False
        for form in _CJK_LEGAL_SUFFIXES:
            if text.endswith(form) and len(text) > len(form):
                text, changed = text[: -len(form)].rstrip(), True
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = text.replace("&", " and ").replace("+", " and ")
    text = _NON_WORD.sub(" ", _DROP.sub("", text))
    words = [_VARIANTS.get(w, w) for w in text.split()]
    core = list(words)
    while len(core) > 1 and core[-1] in _LEGAL_SUFFIXES:
        core.pop()
    while len(core) > 1 and core[0] in _LEGAL_PREFIXES:
        core.pop(0)
    return " ".join(core or words)


def compact(name: str) -> str:
    """The normalized name without spaces: the key of an exact match."""
    return normalize(name).replace(" ", "")


def _round(score: float) -> Decimal:
    return Decimal(str(score)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


# --------------------------------------------------------------------------------------------
# The match index


@dataclass(frozen=True)
class _Name:
    list_id: str
    entry: Entry
    text: str  # the name or alias as listed
    is_alias: bool


@dataclass(frozen=True)
class _ListIndex:
    list_id: str
    exact: dict[str, tuple[_Name, ...]]
    choices: tuple[str, ...]  # normalized names, parallel to `names`
    names: tuple[_Name, ...]


def entry_names(entry: Entry) -> list[str]:
    """The entry's name followed by its aliases (attribute ``aliases``), without duplicates."""
    aliases = entry.attributes.get("aliases") or []
    out = [entry.value]
    for alias in aliases if isinstance(aliases, list) else [aliases]:
        if str(alias) not in out:
            out.append(str(alias))
    return out


def _build(list_id: str, entries: Iterable[Entry]) -> _ListIndex:
    exact: dict[str, list[_Name]] = {}
    names: list[_Name] = []
    for entry in entries:
        for i, text in enumerate(entry_names(entry)):
            name = _Name(list_id, entry, text, i > 0)
            names.append(name)
            exact.setdefault(compact(text), []).append(name)
    names.sort(key=lambda n: (n.entry.value, n.is_alias, n.text))
    return _ListIndex(
        list_id,
        {k: tuple(v) for k, v in sorted(exact.items())},
        tuple(normalize(n.text) for n in names),
        tuple(names),
    )


_INDEX: dict[int, tuple[References, dict[str, _ListIndex]]] = {}


def _indexes(references: References) -> dict[str, _ListIndex]:
    """Per-list indexes of a References object, built once per object."""
    cached = _INDEX.get(id(references))
    if cached is not None and cached[0] is references:
        return cached[1]
    built = {}
    for list_id in sorted(LISTS):
        ref = references.get(REFERENCE_PREFIX + list_id)
        if ref is not None:
            built[list_id] = _build(list_id, ref.entries)
    if len(_INDEX) > 64:  # a few rulebooks per process; never grow without bound
        _INDEX.clear()
    _INDEX[id(references)] = (references, built)
    return built


# --------------------------------------------------------------------------------------------
# Matching one name


@dataclass(frozen=True, order=True)
class NameMatch:
    """A screened name against one list entry."""

    list_id: str
    entry: str  # the entry's listed name
    how: str  # name | alias | declared | fuzzy
    matched: str = ""  # the listed name or alias compared
    score: Decimal = HUNDRED
    program: str = ""
    source: str = ""

    @property
    def is_match(self) -> bool:
        """An exact, alias or declared match (not a possible match)."""
        return self.how != "fuzzy"

    def describe(self) -> str:
        """One phrase, e.g. ``OFAC SDN List entry `X` by alias `Y```."""
        title = LISTS.get(self.list_id, self.list_id)
        if self.how == "declared":
            return f"{title} (declared in the deal record)"
        prog = f", program {self.program}" if self.program else ""
        if self.how == "fuzzy":
            via = f"similar to alias `{self.matched}`, " if self.matched != self.entry else ""
            return f"possibly {title} entry `{self.entry}` ({via}score {self.score}{prog})"
        by = f"by alias `{self.matched}`" if self.how == "alias" else "by name"
        return f"{title} entry `{self.entry}` {by}{prog}"


@dataclass(frozen=True)
class NameScreening:
    """All matches and the best possible match of one name."""

    name: str
    matches: tuple[NameMatch, ...]
    possible: tuple[NameMatch, ...]
    best_score: Decimal  # best fuzzy score of a non-matching entry (0 when none >= floor)


def _attr(entry: Entry, key: str) -> str:
    value = entry.attributes.get(key)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def screen_name(
    name: str,
    references: References,
    as_of: dt.date,
    *,
    declared: Sequence[str] = (),
    threshold: Decimal = POSSIBLE_MATCH_THRESHOLD,
) -> NameScreening:
    """Screen one name against every restricted list in force on ``as_of``."""
    key = compact(name)
    query = normalize(name)
    matches: list[NameMatch] = [NameMatch(str(d), "", "declared") for d in sorted(set(declared))]
    possible: list[NameMatch] = []
    best = Decimal(0)
    for list_id, index in sorted(_indexes(references).items()):
        hits = [n for n in index.exact.get(key, ()) if n.entry.in_force(as_of)]
        if hits:
            # One match per entry: by name when the name matches, else by its first alias.
            best_of: dict[str, _Name] = {}
            for n in sorted(hits, key=lambda n: (n.entry.value, n.is_alias, n.text)):
                best_of.setdefault(n.entry.value, n)
            for n in best_of.values():
                matches.append(
                    NameMatch(
                        list_id,
                        n.entry.value,
                        "alias" if n.is_alias else "name",
                        n.text,
                        HUNDRED,
                        _attr(n.entry, "program"),
                        _attr(n.entry, "source"),
                    )
                )
            continue
        if not query or not index.choices:
            continue
        found = process.extract(
            query,
            index.choices,
            scorer=fuzz.token_sort_ratio,
            limit=None,
            score_cutoff=float(SCORE_FLOOR),
        )
        scored = sorted(
            (
                (_round(score), index.names[i])
                for _, score, i in found
                if index.names[i].entry.in_force(as_of)
            ),
            key=lambda sn: (-sn[0], sn[1].entry.value, sn[1].is_alias, sn[1].text),
        )
        if not scored:
            continue
        score, n = scored[0]
        best = max(best, score)
        if score >= threshold:
            possible.append(
                NameMatch(
                    list_id,
                    n.entry.value,
                    "fuzzy",
                    n.text,
                    score,
                    _attr(n.entry, "program"),
                    _attr(n.entry, "source"),
                )
            )
    matches = sorted(set(matches))
    listed = {m.list_id for m in matches}
    possible = sorted(p for p in possible if p.list_id not in listed)
    return NameScreening(name, tuple(matches), tuple(possible), best)


# --------------------------------------------------------------------------------------------
# Ownership rules (OFAC 50 Percent Rule; BIS Affiliates Rule)


@dataclass(frozen=True)
class OwnershipRule:
    """A list's rule that entities owned by listed parties are treated as listed."""

    list_id: str
    threshold: Decimal
    counts: tuple[str, ...]  # lists whose holders count towards the threshold
    citation: str


def ownership_rules(references: References, as_of: dt.date) -> dict[str, OwnershipRule]:
    """The ownership rules in force on ``as_of`` (reference list ``restricted_ownership_rules``)."""
    ref = references.get(OWNERSHIP_RULES)
    out: dict[str, OwnershipRule] = {}
    for entry in ref.entries if ref else ():
        if not entry.in_force(as_of):
            continue
        counts = entry.attributes.get("counts") or [entry.value]
        out[entry.value] = OwnershipRule(
            entry.value,
            Decimal(str(entry.attributes.get("threshold", 50))),
            tuple(sorted(str(c) for c in counts)),
            str(entry.attributes.get("citation") or ""),
        )
    return dict(sorted(out.items()))


@dataclass
class Node:
    """An entity in an ownership chain, screened, with the interests its owners hold."""

    name: str
    role: str  # investor | co-investor | target | owner
    pct: Num | None = None  # interest held in the entity below it (None = unknown)
    pct_basis: str = "equity"
    screening: NameScreening | None = None
    owners: list[Node] | None = None  # None = unknown
    path: tuple[str, ...] = ()  # labels from the deal party up to this node
    complete: bool = True  # False: holders other than ``owners`` may exist
    lists_known: bool = True  # False: the record says its list memberships are not known

    @property
    def listed(self) -> set[str]:
        """Lists naming this entity (matches only)."""
        return {m.list_id for m in self.screening.matches} if self.screening else set()


@dataclass(frozen=True)
class Treated:
    """Whether an entity is treated as listed under one ownership rule, and why."""

    status: bool | None
    reason: str = ""
    chains: tuple[tuple[str, ...], ...] = field(default_factory=tuple)

    def chain_text(self) -> str:
        """Each chain as ``Party ← Holder 60% ← Listed 100%``, joined by ``; ``."""
        return "; ".join(" ← ".join(c) for c in self.chains)


def _fmt(p: Num) -> str:
    return render(p).replace(" to ", "–")


def treated_as_listed(node: Node, rule: OwnershipRule) -> Treated:
    """Whether ``node`` is listed, or owned >= threshold by parties treated as listed (3-valued)."""
    found = _treated_as_listed(node, rule)
    if found.status is False and not node.lists_known:
        return Treated(None, f"restricted-list memberships of {node.name} are not known")
    return found


def _treated_as_listed(node: Node, rule: OwnershipRule) -> Treated:
    own = sorted(node.listed & set(rule.counts))
    if own:
        hits = [m for m in node.screening.matches if m.list_id in own] if node.screening else []
        return Treated(True, f"{node.name} is on the list: {hits[0].describe()}", ((node.name,),))
    if node.owners is None:
        return Treated(None, f"owners of {node.name} are not recorded")
    lower = Decimal(0)
    upper = Decimal(0)
    parts: list[str] = []
    chains: list[tuple[str, ...]] = []
    unknown: list[str] = []
    if not node.complete:
        held = sum((pct_bounds(o.pct)[0] for o in node.owners if o.pct is not None), Decimal(0))
        upper += max(Decimal(0), HUNDRED - held)
        unknown.append(f"holders of {node.name} other than those listed are not recorded")
    for owner in node.owners:
        sub = treated_as_listed(owner, rule)
        if sub.status is False:
            continue
        if owner.pct is None:
            upper += HUNDRED
            unknown.append(f"interest of {owner.name} in {node.name} is not recorded")
            continue
        least, most = pct_bounds(owner.pct)
        upper += most
        if sub.status is None:
            unknown.append(sub.reason)
            continue
        lower += least
        parts.append(f"{owner.name} holds {_fmt(owner.pct)}% ({sub.reason})")
        for chain in sub.chains:
            chains.append((node.name, f"{chain[0]} {_fmt(owner.pct)}%", *chain[1:]))
    if lower >= rule.threshold:
        reason = (
            f"{node.name} is {_fmt(min(lower, HUNDRED))}% owned, in aggregate, by parties "
            f"treated as listed: " + "; ".join(parts)
        )
        return Treated(True, reason, tuple(chains))
    if upper < rule.threshold:
        return Treated(
            False, f"{node.name}: listed holders hold {_fmt(lower)}%, below {_fmt(rule.threshold)}%"
        )
    return Treated(
        None, f"{node.name}: listed holders hold at least {_fmt(lower)}%; " + "; ".join(unknown)
    )


def listed_minority_holders(node: Node, list_ids: set[str]) -> list[str]:
    """Owners anywhere in the chain named on one of the lists (any stake), as ``path`` labels."""
    out: list[str] = []
    for owner in node.owners or []:
        if owner.listed & list_ids:
            out.append(" ← ".join(owner.path))
        out.extend(listed_minority_holders(owner, list_ids))
    return sorted(set(out))


def walk(node: Node) -> Iterable[Node]:
    """The node and every owner above it, depth first in record order."""
    yield node
    for owner in node.owners or []:
        yield from walk(owner)


def interest(owner: Any) -> tuple[Num | None, str]:
    """The ownership interest an owner holds (equity; voting when equity is not recorded)."""
    if owner.equity_pct is not None:
        return owner.equity_pct, "equity"
    if owner.voting_pct is not None:
        return owner.voting_pct, "voting (equity not recorded)"
    return None, ""


def build_chain(
    owners: list[Any] | None, references: References, as_of: dt.date, path: tuple[str, ...]
) -> list[Node] | None:
    """Screen an ownership chain (deal-model ``Owner`` records) into nodes."""
    if owners is None:
        return None
    nodes = []
    for owner in owners:
        pct, basis = interest(owner)
        label = f"{owner.name} {_fmt(pct)}%" if pct is not None else f"{owner.name} (share unknown)"
        here = (*path, label)
        chain = owner.owners
        if chain is None and str(owner.kind) in ("individual", "government"):
            chain = []  # a person or a state has no owners to screen
        nodes.append(
            Node(
                owner.name,
                "owner",
                pct,
                basis,
                screen_name(
                    owner.name, references, as_of, declared=[str(x) for x in owner.lists or []]
                ),
                build_chain(chain, references, as_of, here),
                here,
                owner.owners_complete,
                owner.lists is not None,
            )
        )
    return nodes
