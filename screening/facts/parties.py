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
match index built from a :class:`~screening.model.reference.References` object is cached per object,
with the last :data:`SCREENED_NAMES_KEPT` screenings of names against it (a bounded cache: a
screening is a function of the name, the span of the lists' dates the screening date falls in,
declared lists and threshold), the blocking keys of
the last :data:`WORDS_KEPT` words screened and its ownership rules parsed once. A deal's names
go through one :class:`DealScreener`.
"""

from __future__ import annotations

import datetime as dt
import functools
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from screening.facts.names import (
    compact,
    name_variants,
    normalize,
    sorted_tokens,
    words_align,
)
from screening.model.numbers import Num, pct_bounds, render
from screening.model.reference import Entry, ReferenceList, References

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
    choices: tuple[str, ...]  # normalized names with their words sorted, parallel to `names`
    names: tuple[_Name, ...]
    blocks: dict[str, tuple[int, ...]]  # blocking key -> positions in `names`


BLOCK_KEY_LETTERS = 4
"""A fuzzy candidate shares the first or last four letters of a word with the screened name."""
COMMON_BLOCK = 512
"""A blocking key held by more names than this is skipped when a rarer key of the name exists."""


def _block_keys(normalized: str) -> set[str]:
    keys: set[str] = set()
    for word in normalized.split():
        if len(word) < 2:
            continue
        keys.add("<" + word[:BLOCK_KEY_LETTERS])
        keys.add(">" + word[-BLOCK_KEY_LETTERS:])
    return keys


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
    blocks: dict[str, list[int]] = {}
    choices = []
    for position, name in enumerate(names):
        normalized = normalize(name.text)
        choices.append(sorted_tokens(normalized))
        for key in _block_keys(normalized):
            blocks.setdefault(key, []).append(position)
    return _ListIndex(
        list_id,
        {k: tuple(v) for k, v in sorted(exact.items())},
        tuple(choices),
        tuple(names),
        {k: tuple(v) for k, v in blocks.items()},
    )


WORDS_KEPT = 2048
"""Words of screened names whose blocking keys and lists are kept per References object (a
word recurs across names never seen before: ``holdings``, ``technology``, a family name).
A word keeps only its keys some list holds, and the sets of lists are shared (a word of no
list's key, as most unique words are, keeps one shared empty answer)."""

_NO_KEYS: tuple[tuple[str, ...], frozenset[str]] = ((), frozenset())
_LIST_SETS: dict[frozenset[str], frozenset[str]] = {}  # one instance per set of list ids


def _word_keys(word: str, kept: _Kept) -> tuple[tuple[str, ...], frozenset[str]]:
    """One word's blocking keys that some list holds (its part of :func:`_block_keys` that can
    find a candidate: a key no list holds has no postings in :func:`_candidates`) and the lists
    holding them, kept (bounded: :data:`WORDS_KEPT`)."""
    holding = kept.holding
    keys: list[str] = []
    lists: set[str] = set()
    for block in _block_keys(word):
        held = holding.get(block)
        if held:
            keys.append(block)
            lists.update(held)
    if keys:
        held_by = frozenset(lists)
        found = (tuple(keys), _LIST_SETS.setdefault(held_by, held_by))
    else:
        found = _NO_KEYS  # shared: a word no list's key holds costs its entry only
    if len(kept.words) >= WORDS_KEPT:
        kept.words.clear()
    kept.words[word] = found
    return found


def _candidates(index: _ListIndex, query: str, keys: list[str] | None = None) -> list[int]:
    """Positions of the names sharing a word's first or last letters with the query.

    Keys held by more than :data:`COMMON_BLOCK` names (``<tech``, ``>roup``) are skipped while a
    rarer key of the query exists, so a name made only of common words still finds candidates.
    ``keys`` are the query's sorted blocking keys, when the caller has them already (those no
    list holds may be left out: they have no postings).
    """
    if keys is None:
        keys = sorted(_block_keys(query))
    blocks = index.blocks
    postings = [p for p in map(blocks.get, keys) if p]
    if not postings:
        return []
    rare = [p for p in postings if len(p) <= COMMON_BLOCK]
    chosen = rare or [min(postings, key=len)]
    return sorted({i for p in chosen for i in p})


class _Kept(NamedTuple):
    """What a References object's restricted lists give, built once per object."""

    references: References
    indexes: dict[str, _ListIndex]  # by list id
    screenings: _Screenings  # the names screened lately
    ordered: tuple[tuple[str, _ListIndex], ...]  # the indexes in list-id order
    read: tuple[str, ...]  # the names of the reference lists indexed
    holding: dict[str, frozenset[str]]  # an exact or blocking key -> the lists holding it
    words: dict[str, tuple[tuple[str, ...], frozenset[str]]]  # see _word_keys
    breaks: tuple[dt.date, ...]  # every entry's `from` and `to` date, sorted: see _span


def _holding(indexes: dict[str, _ListIndex]) -> dict[str, frozenset[str]]:
    """Which lists hold each exact key (``=key``) and each blocking key: a name none of whose
    keys a list holds has neither a match nor a fuzzy candidate there (:func:`_screen_variant`
    skips the list, as its own tests would)."""
    found: dict[str, set[str]] = {}
    for list_id, index in indexes.items():
        for key in index.exact:
            found.setdefault("=" + key, set()).add(list_id)
        for key in index.blocks:
            found.setdefault(key, set()).add(list_id)
    return {key: frozenset(ids) for key, ids in found.items()}


_INDEX: dict[int, _Kept] = {}


def _indexes(references: References) -> dict[str, _ListIndex]:
    """Per-list indexes of a References object, built once per object."""
    return _reference_data(references).indexes


def _reference_data(references: References) -> _Kept:
    """The indexes of a References object and its cache of screened names, built once per
    object; every call notes the lists read (every screening reads them)."""
    cached = _INDEX.get(id(references))
    if cached is not None and cached.references is references:
        references.note_all(cached.read)  # built once, but every screening reads the lists
        return cached
    built = {}
    for list_id in sorted(LISTS):
        ref = references.get(REFERENCE_PREFIX + list_id)
        if ref is not None:
            built[list_id] = _build(list_id, ref.entries)
    if len(_INDEX) > 64:  # a few rulebooks per process; never grow without bound
        _INDEX.clear()
    data = _Kept(
        references,
        built,
        _Screenings(),
        tuple(sorted(built.items())),
        tuple(REFERENCE_PREFIX + list_id for list_id in built),
        _holding(built),
        {},
        tuple(
            sorted(
                {
                    day
                    for list_id in built
                    for e in references.lists[REFERENCE_PREFIX + list_id].entries
                    for day in (e.start, e.end)
                    if day is not None
                }
            )
        ),
    )
    _INDEX[id(references)] = data
    return data


def _span(kept: _Kept, as_of: dt.date) -> int:
    """The span of dates between the lists' entries' dates that ``as_of`` falls in: every entry
    is in force on every day of a span or on none (``Entry.in_force``), and a screening reads
    the date only through that, so one screening serves every date of its span (screening
    dates are nearly unique per deal; the spans are few)."""
    return bisect_right(kept.breaks, as_of)


_RAPIDFUZZ: list[Any] = []


def _rapidfuzz() -> tuple[Any, Any]:
    """rapidfuzz's ``fuzz`` and ``process``, imported when first needed (a cold start saved)."""
    if not _RAPIDFUZZ:
        from rapidfuzz import fuzz, process

        _RAPIDFUZZ.extend((fuzz, process))
    return _RAPIDFUZZ[0], _RAPIDFUZZ[1]


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


SCREENED_NAMES_KEPT = 2048
"""Screenings of names kept per References object, least recently used dropped first: a bulk
review sees mostly unique names, so the cache is bounded (each entry is a few hundred bytes);
it serves the names that recur (common owners, funds, the same party in many deals)."""

_ScreeningKey = tuple[str, int, tuple[str, ...], Decimal]  # the date by its span
_ZERO = Decimal(0)


class _Screenings:
    """A bounded least-recently-used cache of name screenings (one per References object)."""

    def __init__(self, size: int = SCREENED_NAMES_KEPT) -> None:
        self.size = size
        self._kept: OrderedDict[_ScreeningKey, NameScreening] = OrderedDict()

    def get(self, key: _ScreeningKey) -> NameScreening | None:
        found = self._kept.get(key)
        if found is not None:
            self._kept.move_to_end(key)
        return found

    def put(self, key: _ScreeningKey, screening: NameScreening) -> None:
        self._kept[key] = screening
        if len(self._kept) > self.size:
            self._kept.popitem(last=False)

    def __len__(self) -> int:
        return len(self._kept)

    def clear(self) -> None:
        self._kept.clear()


def forget_screenings(references: References) -> None:
    """Drop the screenings kept for a References object (a benchmark of the matcher itself)."""
    kept = _INDEX.get(id(references))
    if kept is not None and kept.references is references:
        kept.screenings.clear()


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
    """Screen one name against every restricted list in force on ``as_of``.

    A name with a parenthetical (``X (Y)``) is screened as written, as ``X`` and as ``Y``.
    A screening depends only on its arguments, so the last few thousand are kept per
    References object (:data:`SCREENED_NAMES_KEPT`).
    """
    kept = _reference_data(references)  # notes the lists read, as screening does
    key = (name, _span(kept, as_of), tuple(sorted(set(declared))) if declared else (), threshold)
    found = kept.screenings.get(key)
    if found is None:
        found = _screen_kept(name, kept, as_of, key[2], threshold)
        kept.screenings.put(key, found)
    return found


class DealScreener:
    """:func:`screen_name` for the many names of one deal: the reference data looked up (and
    the lists it reads noted) once, not per name, and whether any name matched a list (then
    ownership walks depend on which lists a rule counts; see :func:`treated_as_listed`).
    A name's screening is the one :func:`screen_name` gives, from the same kept screenings."""

    __slots__ = ("_as_of", "_kept", "_span", "matched")

    def __init__(self, references: References, as_of: dt.date) -> None:
        self._kept = _reference_data(references)  # notes the lists read, as screening does
        self._as_of = as_of
        self._span = _span(self._kept, as_of)
        self.matched = False

    def __call__(self, name: str, lists: Iterable[Any] | None) -> NameScreening:
        """``screen_name(name, references, as_of, declared=[str(x) for x in lists or []])``."""
        kept = self._kept
        key = (
            name,
            self._span,
            tuple(sorted({str(x) for x in lists})) if lists else (),
            POSSIBLE_MATCH_THRESHOLD,
        )
        found = kept.screenings.get(key)
        if found is None:
            found = _screen_kept(name, kept, self._as_of, key[2], POSSIBLE_MATCH_THRESHOLD)
            kept.screenings.put(key, found)
        if found.matches:
            self.matched = True
        return found


def _screen_name(
    name: str,
    references: References,
    as_of: dt.date,
    declared: tuple[str, ...],
    threshold: Decimal,
) -> NameScreening:
    """A fresh screening of one name (nothing kept is read or written)."""
    return _screen_kept(name, _reference_data(references), as_of, declared, threshold)


def _screen_kept(
    name: str,
    kept: _Kept,
    as_of: dt.date,
    declared: tuple[str, ...],
    threshold: Decimal,
) -> NameScreening:
    # name_variants gives the name alone unless it has a parenthetical.
    variants = name_variants(name) if "(" in name or "（" in name else (name,)
    if not declared and not any(_held(normalize(v), kept) for v in variants):
        # No list holds a key of any form of the name (most names): no match, no candidate,
        # what the steps below give.
        return NameScreening(name, (), (), _ZERO)
    matches: list[NameMatch] = [NameMatch(str(d), "", "declared") for d in declared]
    possible: list[NameMatch] = []
    best = _ZERO
    for variant in variants:
        found, maybe, score = _screen_variant(variant, kept, as_of, threshold)
        matches.extend(found)
        possible.extend(maybe)
        best = max(best, score)
    if not matches and not possible:
        return NameScreening(name, (), (), best)  # what the steps below give for no match
    matches = sorted(set(matches))
    listed = {m.list_id for m in matches}
    best_possible: dict[str, NameMatch] = {}
    for p in sorted(possible, key=lambda m: (m.list_id, -m.score, m.entry, m.matched)):
        best_possible.setdefault(p.list_id, p)
    possible = sorted(p for p in best_possible.values() if p.list_id not in listed)
    return NameScreening(name, tuple(matches), tuple(possible), best)


def _held(query: str, kept: _Kept) -> bool:
    """Whether some list holds the exact key of a normalized name or a blocking key of one of
    its words: else :func:`_screen_variant` finds no list to look in (no match, no candidate,
    score 0)."""
    if "=" + query.replace(" ", "") in kept.holding:
        return True
    words = kept.words
    for word in query.split():
        found = words.get(word)
        if found is None:
            found = _word_keys(word, kept)
        if found[1]:
            return True
    return False


def _screen_variant(
    name: str,
    kept: _Kept,
    as_of: dt.date,
    threshold: Decimal,
) -> tuple[list[NameMatch], list[NameMatch], Decimal]:
    """Matches, possible matches (one per list) and the best fuzzy score of one name form."""
    query = normalize(name)
    key = query.replace(" ", "")  # compact(name)
    matches: list[NameMatch] = []
    possible: list[NameMatch] = []
    best = Decimal(0)
    # The lists holding the name's exact key or one of its blocking keys: any other list has
    # no match and no fuzzy candidate for it (its exact lookup and candidates are empty). The
    # blocking keys are those of _block_keys(query) some list holds (the others have no
    # postings: _candidates finds the same candidates), gathered word by word (_word_keys).
    relevant: set[str] = set(kept.holding.get("=" + key, ()))
    blocking: set[str] = set()
    words = kept.words
    for word in query.split():
        found = words.get(word)
        if found is None:
            found = _word_keys(word, kept)
        blocking.update(found[0])
        relevant.update(found[1])
    if not relevant:
        return matches, possible, best
    keys = sorted(blocking)  # in order: _candidates breaks ties between postings by it
    ordered = sorted_tokens(query)
    for list_id, index in kept.ordered:  # in list-id order
        if list_id not in relevant:
            continue
        exact = index.exact.get(key)
        hits = [n for n in exact if n.entry.in_force(as_of)] if exact else None
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
        candidates = _candidates(index, query, keys)
        if not candidates:
            continue  # nothing to score: no possible match in this list
        fuzz, process = _rapidfuzz()  # only when a listed name shares a key: cold start
        found = process.extract(
            ordered,
            [index.choices[i] for i in candidates],
            scorer=fuzz.ratio,
            limit=None,
            score_cutoff=float(SCORE_FLOOR),
        )
        scored = sorted(
            (
                (_round(score), index.names[candidates[i]])
                for choice, score, i in found
                if index.names[candidates[i]].entry.in_force(as_of) and words_align(ordered, choice)
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
    return matches, possible, best


# --------------------------------------------------------------------------------------------
# Ownership rules (OFAC 50 Percent Rule; BIS Affiliates Rule)


@dataclass(frozen=True)
class OwnershipRule:
    """A list's rule that entities owned by listed parties are treated as listed."""

    list_id: str
    threshold: Decimal
    counts: tuple[str, ...]  # lists whose holders count towards the threshold
    citation: str
    reaches_target: bool = False  # the target is tested too (its recorded owners)

    @functools.cached_property
    def threshold_text(self) -> str:
        """The threshold as reasons show it (``50``), worked out once per rule."""
        return _fmt(self.threshold)


@dataclass
class _ParsedRules:
    """An ownership-rules list parsed once: each entry with its rule, in list order, every
    entry's ``from`` and ``to`` date in order, and the rules in force in each span between
    those dates asked so far (every day of a span has the same rules in force)."""

    ref: ReferenceList
    rules: tuple[tuple[Entry, OwnershipRule], ...]
    breaks: tuple[dt.date, ...] = ()
    on: dict[int, tuple[tuple[str, OwnershipRule], ...]] = field(default_factory=dict)


_RULES: dict[int, _ParsedRules] = {}


def _parsed_rules(ref: ReferenceList) -> _ParsedRules:
    """The rules of an ownership-rules list, parsed once per list object (a rule depends only on
    the reference data; which rules are in force, on the date)."""
    cached = _RULES.get(id(ref))
    if cached is not None and cached.ref is ref:
        return cached
    parsed = []
    for entry in ref.entries:
        counts = entry.attributes.get("counts") or [entry.value]
        rule = OwnershipRule(
            entry.value,
            Decimal(str(entry.attributes.get("threshold", 50))),
            tuple(sorted(str(c) for c in counts)),
            str(entry.attributes.get("citation") or ""),
            bool(entry.attributes.get("reaches_target", False)),
        )
        parsed.append((entry, rule))
    if len(_RULES) > 64:  # a few rulebooks per process; never grow without bound
        _RULES.clear()
    days = sorted({d for e in ref.entries for d in (e.start, e.end) if d is not None})
    _RULES[id(ref)] = found = _ParsedRules(ref, tuple(parsed), tuple(days))
    return found


def ownership_rules(references: References, as_of: dt.date) -> dict[str, OwnershipRule]:
    """The ownership rules in force on ``as_of`` (reference list ``restricted_ownership_rules``)."""
    ref = references.get(OWNERSHIP_RULES)
    if ref is None:
        return {}
    parsed = _parsed_rules(ref)
    span = bisect_right(parsed.breaks, as_of)  # the span of dates as_of falls in
    rules = parsed.on.get(span)
    if rules is None:
        out: dict[str, OwnershipRule] = {}
        for entry, rule in parsed.rules:
            if entry.in_force(as_of):
                out[entry.value] = rule
        rules = parsed.on[span] = tuple(sorted(out.items()))  # at most one per span
    return dict(rules)


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

    @property
    def any_listed(self) -> bool:
        """Whether a list names this entity (``bool(listed)``, without the set)."""
        return bool(self.screening.matches) if self.screening else False


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


TreatedMemo = dict[tuple[int, str, Decimal, tuple[str, ...] | None], tuple[Node, Treated]]
"""Answers of :func:`treated_as_listed` kept for one deal's derivation (see its ``memo``)."""


def treated_as_listed(
    node: Node, rule: OwnershipRule, memo: TreatedMemo | None = None, unlisted: bool = False
) -> Treated:
    """Whether ``node`` is listed, or owned >= threshold by parties treated as listed (3-valued).

    The answer depends only on the node (its chain above it) and the rule's threshold and
    counted lists, so one deal's derivation may keep it in ``memo`` and ask again under another
    rule (the BIS Entity List and MEU rules, the same parties the OFAC rule walked). With
    ``unlisted`` (the caller saw that no node of the deal matches any list) the counted lists
    cannot change it either: rules with the same threshold share the answer. The memo keeps the
    node with its answer, so a node's id is never reused while the memo lives.
    """
    if memo is None:
        return _treated_plain(node, rule, None, False)
    key = (id(node), rule.threshold_text, rule.threshold, None if unlisted else rule.counts)
    kept = memo.get(key)
    if kept is not None and kept[0] is node:
        return kept[1]
    found = _treated_plain(node, rule, memo, unlisted)
    memo[key] = (node, found)
    return found


def _treated_plain(
    node: Node, rule: OwnershipRule, memo: TreatedMemo | None, unlisted: bool
) -> Treated:
    found = _treated_as_listed(node, rule, memo, unlisted)
    if found.status is False and not node.lists_known:
        return Treated(None, f"restricted-list memberships of {node.name} are not known")
    return found


def _treated_as_listed(
    node: Node, rule: OwnershipRule, memo: TreatedMemo | None = None, unlisted: bool = False
) -> Treated:
    own = sorted(node.listed & set(rule.counts)) if node.any_listed else None
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
        sub = treated_as_listed(owner, rule, memo, unlisted)
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
        # Nothing counted (no parts): ``lower`` is still the Decimal(0) it started as, "0".
        counted = _fmt(lower) if parts else "0"
        return Treated(
            False, f"{node.name}: listed holders hold {counted}%, below {rule.threshold_text}%"
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
    owners: list[Any] | None,
    references: References,
    as_of: dt.date,
    path: tuple[str, ...],
    screen: DealScreener | None = None,
) -> list[Node] | None:
    """Screen an ownership chain (deal-model ``Owner`` records) into nodes (``screen``: the
    deal's screener, else one is made)."""
    if owners is None:
        return None
    if screen is None:
        screen = DealScreener(references, as_of)
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
                screen(owner.name, owner.lists),
                build_chain(chain, references, as_of, here, screen),
                here,
                owner.owners_complete,
                owner.lists is not None,
            )
        )
    return nodes


# --------------------------------------------------------------------------------------------
# Which lists a screening relied on


@dataclass(frozen=True)
class ListUse:
    """A restricted list as a screening used it: how big, how recent, official or a starter set."""

    list_id: str
    title: str
    entries: int  # entries in force on the screening date
    retrieved: dt.date | None
    review_by: dt.date | None
    official: bool  # imported from an official download (it has provenance)
    published: str = ""

    def describe(self, as_of: dt.date | None) -> str:
        """One line, e.g. ``OFAC SDN List: starter set of 4 entries (retrieved 2026-11-28)``.

        A list whose ``review_by`` date is before ``as_of`` is flagged (never against the clock).
        """
        kind = "imported" if self.official else "starter set"
        when = [f"published {self.published}"] if self.published else []
        if self.retrieved:
            when.append(f"retrieved {self.retrieved}")
        text = f"{LISTS.get(self.list_id, self.list_id)}: {kind} of {self.entries} entries"
        text += f" ({', '.join(when)})" if when else ""
        if self.review_by and as_of and self.review_by < as_of:
            text += f"; past its review-by date {self.review_by}"
        return text


IMPORT_HINT = (
    "the bundled lists are starter sets of a few entries, not the official lists: load the "
    "official downloads with `dealscreen lists update --from DIR --out LAYER` and screen with "
    "`--rules LAYER`"
)


def lists_used(references: References, as_of: dt.date) -> list[ListUse]:
    """Every restricted list of a rulebook as used on ``as_of``, in list-id order."""
    out = []
    for list_id in sorted(LISTS):
        ref = references.get(REFERENCE_PREFIX + list_id)
        if ref is None:
            continue
        out.append(
            ListUse(
                list_id,
                ref.title,
                sum(1 for e in ref.entries if e.in_force(as_of)),
                ref.retrieved,
                ref.review_by,
                bool(ref.provenance),
                str(ref.provenance.get("published") or ""),
            )
        )
    return out
