"""Work derive() shares within a deal, or keeps across deals, gives what the plain steps give
(issue 14, derive): one name screener per deal, ownership walks shared by rules, the blocking
keys of a name gathered word by word, the excepted states and countries of concern worked out
once per date, a country-of-concern path written only when a link is found, and one pattern
for a list of names."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screening import Deal, load_deal, load_rulebook
from screening.authoring.fixtures_gen import generate
from screening.engine.run import derive_for, resolve_as_of
from screening.facts import derive as derive_mod
from screening.facts import parties
from screening.facts.derive import derive
from screening.facts.sections import energy
from screening.facts.sections import parties as party_section
from screening.model.deal import Owner, Party
from screening.model.reference import recording_use

FIXTURES = sorted(Path("fixtures/deals").glob("*.y*ml"))


def _deals() -> list[Any]:
    fixtures = [load_deal(p) for p in FIXTURES]
    return fixtures + [Deal.model_validate(d).root for d in generate(300, seed=23)]


def _views(deals: list[Any], *, forget: bool) -> list[tuple[str, str, str, list[str]]]:
    """Each deal's fact view (JSON and repr), derivations and the lists it read, for today's
    meanings and for the rulebook's."""
    book = load_rulebook()
    out = []
    for deal in deals:
        as_of = resolve_as_of(deal, None)
        for how in ("plain", "rulebook"):
            if forget:  # every name screened afresh
                parties.forget_screenings(book.references)
            with recording_use() as used:
                view = (
                    derive(deal, book.references, as_of)
                    if how == "plain"
                    else derive_for(book, deal, as_of)
                )
            out.append((view.model_dump_json(), repr(view), repr(view.derivations), sorted(used)))
    return out


def _plain_named(name: str, names: list[str]) -> bool:
    """energy._named as it was: one search per listed name."""
    return any(re.search(rf"\b{re.escape(n)}\b", name, re.IGNORECASE) for n in names)


def test_shared_work_gives_the_plain_fact_views(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every fixture and 300 generated deals: the fact views, derivations and lists read are
    the same with the shared and kept work as with each step done on its own (each name by
    ``screen_name``, each ownership walk afresh, no words or dates kept, one search per name)."""
    deals = _deals()
    fast = _views(deals, forget=True)

    def plain_screen(self: parties.DealScreener, name: str, lists: Any) -> Any:
        found = parties.screen_name(
            name, self._kept.references, self._as_of, declared=[str(x) for x in lists or []]
        )
        self.matched = True  # as if a name matched: no walk shared across counted lists
        return found

    monkeypatch.setattr(parties.DealScreener, "__call__", plain_screen)
    monkeypatch.setattr(
        party_section,
        "treated_as_listed",
        lambda node, rule, memo=None, unlisted=False: parties.treated_as_listed(node, rule),
    )
    monkeypatch.setattr(parties, "WORDS_KEPT", 0)  # every word's keys worked out again
    monkeypatch.setattr(derive_mod, "_STATE_LISTS", _Forgetful())
    monkeypatch.setattr(energy, "_named", _plain_named)
    slow = _views(deals, forget=True)
    assert len(fast) == len(slow)
    for i, (a, b) in enumerate(zip(fast, slow, strict=True)):
        assert a == b, (i, deals[i // 2].id)


class _Forgetful(dict[Any, Any]):
    """A cache that keeps nothing."""

    def __setitem__(self, key: Any, value: Any) -> None:
        pass


def test_the_shared_paths_are_taken() -> None:
    """The test above compares something: deals where a walk is shared, a word's keys are kept,
    a path down to the investor is written, and a name is found in a list of names."""
    book = load_rulebook()
    deals = _deals()
    shared = kept_words = 0
    original = parties.treated_as_listed

    def counting(node: Any, rule: Any, memo: Any = None, unlisted: bool = False) -> Any:
        nonlocal shared
        if memo is not None and any(k[0] == id(node) for k in memo):
            shared += 1
        return original(node, rule, memo, unlisted)

    party_section.treated_as_listed = counting  # type: ignore[assignment]
    try:
        views = [derive_for(book, d, resolve_as_of(d, None)) for d in deals]
    finally:
        party_section.treated_as_listed = original
    kept_words = len(parties._reference_data(book.references).words)
    assert shared > 100 and kept_words > 50
    assert sum(1 for v in views if v.investor.coc_tie) > 10
    assert any("organized in" in (v.investor.coc_tie_link or "") for v in views)


def test_ownership_walks_kept_are_the_walks_made_afresh() -> None:
    """Every party, target and limited-partner node of the fixtures and generated deals, under
    every ownership rule in force on each deal's date (and on dates the BIS rules apply): the
    answer kept for a deal (shared across rules when no name matched) is the walk made afresh."""
    book = load_rulebook()
    refs = book.references
    checked = 0
    for deal in _deals():
        for as_of in (resolve_as_of(deal, None), dt.date(2025, 10, 1), dt.date(2027, 1, 1)):
            screen = parties.DealScreener(refs, as_of)
            nodes, target = party_section._parties(deal, refs, as_of, screen)
            holders = party_section._with_limited_partners(deal, nodes, refs, as_of, screen)
            memo: parties.TreatedMemo = {}
            rules = list(parties.ownership_rules(refs, as_of).values())
            for rule in rules:
                for node in [*holders, target, *nodes]:
                    kept = parties.treated_as_listed(node, rule, memo, not screen.matched)
                    assert kept == parties.treated_as_listed(node, rule)
                    checked += 1
    assert checked > 1000


def test_a_listed_name_keeps_walks_apart() -> None:
    """A deal with a listed owner: the OFAC walk (which counts the SDN List) and the BIS walk
    (which does not) differ, and the kept answers keep them apart."""
    book = load_rulebook()
    refs = book.references
    as_of = dt.date(2027, 1, 1)
    owner = Owner(name="Holder", kind="company", equity_pct=60, lists=["ofac_sdn"], owners=[])
    party = Party(name="Buyer", kind="company", country="DE", owners=[owner])
    screen = parties.DealScreener(refs, as_of)
    node = parties.Node(
        party.name,
        "investor",
        screening=screen(party.name, party.lists),
        owners=parties.build_chain(party.owners, refs, as_of, (party.name,), screen),
        path=(party.name,),
    )
    assert screen.matched
    rules = parties.ownership_rules(refs, as_of)
    memo: parties.TreatedMemo = {}
    sdn = parties.treated_as_listed(node, rules["ofac_sdn"], memo, not screen.matched)
    bis = parties.treated_as_listed(node, rules["bis_entity_list"], memo, not screen.matched)
    assert sdn.status is True and bis.status is False
    assert sdn == parties.treated_as_listed(node, rules["ofac_sdn"])
    assert bis == parties.treated_as_listed(node, rules["bis_entity_list"])


def test_the_deal_screener_is_screen_name() -> None:
    """Every name of the fixtures and generated deals: the deal's screener gives what
    ``screen_name`` gives (declared lists too), and says whether any name matched."""
    book = load_rulebook()
    refs = book.references
    for deal in _deals():
        as_of = resolve_as_of(deal, None)
        screen = parties.DealScreener(refs, as_of)
        people: list[Any] = [deal.investor, deal.target, *(c.party for c in deal.co_investors)]
        matched = False
        while people:
            person = people.pop()
            lists = getattr(person, "lists", [])
            got = screen(person.name, lists)
            parties.forget_screenings(refs)
            want = parties.screen_name(
                person.name, refs, as_of, declared=[str(x) for x in lists or []]
            )
            assert got == want
            matched = matched or bool(want.matches)
            assert screen.matched is matched
            people.extend(getattr(person, "owners", None) or [])


def test_the_state_lists_are_the_reference_values() -> None:
    """The excepted foreign states and countries of concern kept per date are the reference
    lists' values on that date, and reading them notes both lists, as ``values`` does."""
    book = load_rulebook()
    refs = book.references
    day = dt.date(2018, 1, 1)
    while day < dt.date(2028, 1, 1):
        with recording_use() as used:
            excepted, text, coc, coc_text = derive_mod._state_lists(refs, day)
        assert used == {"excepted_foreign_states", "countries_of_concern_cfius"}
        assert excepted == set(refs.values("excepted_foreign_states", day))
        assert text == (", ".join(sorted(excepted)) or "none")
        assert coc == set(refs.values("countries_of_concern_cfius", day))
        assert coc_text == ", ".join(sorted(coc))
        day += dt.timedelta(days=61)


_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=9)
_LISTED_WORDS = ["huawei", "technologies", "holdings", "group", "catl", "hikvision", "company"]


@settings(max_examples=300, deadline=None)
@given(st.lists(_WORD | st.sampled_from(_LISTED_WORDS), max_size=7))
def test_blocking_keys_gathered_by_word_find_the_names_candidates(words: list[str]) -> None:
    """A normalized name's blocking keys gathered word by word (as ``_screen_variant`` does,
    from the kept words) are its keys some list holds, with the lists holding them; and in
    every list they give the candidates all of its keys give."""
    kept = parties._reference_data(load_rulebook().references)
    query = " ".join(words)
    gathered: set[str] = set()
    lists: set[str] = set()
    for word in query.split():
        keys, held = kept.words.get(word) or parties._word_keys(word, kept)
        gathered.update(keys)
        lists.update(held)
    every = parties._block_keys(query)
    assert gathered == {k for k in every if k in kept.holding}
    assert lists == {x for k in every for x in kept.holding.get(k, ())}
    for _, index in kept.ordered:
        assert parties._candidates(index, query, sorted(gathered)) == parties._candidates(
            index, query, sorted(every)
        )


_NAME_PIECES = st.sampled_from(
    ["CATL", "catl", "Contemporary Amperex", "BYD", "byd", "Gotion", "a.b", "(x)", "+", " ", "-"]
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(_NAME_PIECES | st.text(max_size=6), max_size=6).map("".join),
    st.lists(_NAME_PIECES | st.text(min_size=1, max_size=5), max_size=4),
)
def test_one_pattern_finds_a_listed_name_as_each_search_does(name: str, names: list[str]) -> None:
    """``_named`` (one search of one pattern per list of names) is one search per name."""
    assert energy._named(name, names) == _plain_named(name, names)


def test_country_of_concern_paths_are_written_in_full() -> None:
    """The path down to the investor, written only once a link is found, names every step:
    a controller of a controller, a limited partner and a holder above it."""
    from screening.facts.ties import country_of_concern_ties

    boss = {"name": "Li Wei", "kind": "individual", "nationalities": ["CN"], "residences": []}
    fund = Party.model_validate(
        {
            "name": "Harbor Fund LP",
            "kind": "fund",
            "country": "US",
            "principal_place_of_business": "US",
            "owners": [],
            "controlled_by": {
                "name": "Cay GP Ltd",
                "kind": "company",
                "country": "KY",
                "principal_place_of_business": "KY",
                "controlled_by": boss,
            },
            "limited_partners": [
                {
                    "name": "Shenzhen Capital",
                    "kind": "company",
                    "country": "CN",
                    "principal_place_of_business": "CN",
                    "equity_pct": 20,
                }
            ],
        }
    )
    ties = country_of_concern_ties(fund, {"CN", "HK"})
    assert ties.tied is True
    assert ties.links == [
        "Li Wei, a PRC national, who controls Cay GP Ltd (KY), which controls Harbor Fund LP (US)",
        "Shenzhen Capital, organized in CN, which is a limited partner (20%) of Harbor Fund LP (US)",
    ]


def test_no_state_interest_is_what_the_general_steps_give() -> None:
    """An investor in which no state has any interest (most of them): the 49% tests and their
    notes, given at once, are what the general steps give for it."""
    from screening.facts.ownership import state_bounds

    book = load_rulebook()
    seen = 0
    for deal in _deals():
        inv = deal.investor
        sb = state_bounds(inv.kind, inv.country, inv.owners, inv.name, [], inv.owners_complete)
        if sb.low or sb.high or sb.wild:
            continue
        seen += 1
        excepted, _, _, _ = derive_mod._state_lists(book.references, resolve_as_of(deal, None))
        foreign = {s for s in {*sb.low, *sb.high} if s != "US"}
        assert sb.decide(lambda s: s != "US", Decimal(49)) is False
        assert sb.decide(excepted.__contains__, Decimal(49)) is False
        assert derive_mod._bounds_note(sb, foreign) == derive_mod._NO_STATE_NOTE
        assert derive_mod._bounds_note(sb, foreign - excepted) == derive_mod._NO_STATE_NOTE
        assert sb.exact()
    assert seen > 100


def test_reference_values_kept_per_span_are_the_values_on_each_day() -> None:
    """``ReferenceList.values`` kept per span between entries' dates: every list of the
    rulebook, on each of its dates, the day before and every 17th day from 2014 to 2030, gives
    the values in force on that day."""
    book = load_rulebook()
    for ref in book.references.lists.values():
        days = {d for e in ref.entries for d in (e.start, e.end) if d is not None}
        days |= {d - dt.timedelta(days=1) for d in days}
        day = dt.date(2014, 1, 1)
        while day < dt.date(2030, 1, 1):
            days.add(day)
            day += dt.timedelta(days=17)
        for on in sorted(days):
            assert ref.values(on) == sorted({e.value for e in ref.entries if e.in_force(on)}), (
                ref.name,
                on,
            )


_DAY = st.dates(dt.date(2019, 1, 1), dt.date(2021, 12, 31))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from("abcde"), st.none() | _DAY, st.none() | _DAY), max_size=6),
    st.lists(_DAY, min_size=1, max_size=8),
)
def test_reference_values_by_span_on_any_entries(
    entries: list[tuple[str, dt.date | None, dt.date | None]], days: list[dt.date]
) -> None:
    """Any entries and dates (ranges empty or reversed too): the values kept for a span are the
    values in force on each day asked, in any order."""
    from screening.model.reference import Entry, ReferenceList

    ref = ReferenceList(
        "x", "X", "tests", None, None, tuple(Entry(v, start, end) for v, start, end in entries)
    )
    for on in days:
        assert ref.values(on) == sorted({e.value for e in ref.entries if e.in_force(on)})


def test_ownership_rules_kept_per_span_are_the_rules_in_force_each_day() -> None:
    """The ownership rules kept per span between the list's dates: on each of its dates, the
    day before, and every 11th day from 2014 to 2030, the rules whose entries are in force."""
    book = load_rulebook()
    ref = book.references.get(parties.OWNERSHIP_RULES)
    assert ref is not None
    days = {d for e in ref.entries for d in (e.start, e.end) if d is not None}
    days |= {d - dt.timedelta(days=1) for d in days}
    day = dt.date(2014, 1, 1)
    while day < dt.date(2030, 1, 1):
        days.add(day)
        day += dt.timedelta(days=11)
    for on in sorted(days, reverse=True):
        want = {}
        for entry, rule in parties._parsed_rules(ref).rules:
            if entry.in_force(on):
                want[entry.value] = rule  # the last entry in force for a list
        got = parties.ownership_rules(book.references, on)
        assert got == dict(sorted(want.items())), on
        assert list(got) == sorted(want), on
