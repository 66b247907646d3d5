"""The name screening's quick paths give what the full steps give (issue 14, derive)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from screening import Deal, load_rulebook
from screening.authoring.fixtures_gen import generate
from screening.facts import names, parties
from screening.model.reference import References, recording_use
from tests import name_matching

ON = dt.date(2026, 6, 1)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=40))
def test_ascii_names_skip_only_steps_that_leave_them_as_they_are(name: str) -> None:
    """For ASCII text, NFKC/NFKD, CJK forms and terms, transliteration, dropping combining marks
    and casefolding together are ``strip().lower()``: the quick path of ``normalize``."""
    assert name.isascii()
    assert names._unicode_lower(name) == name.strip().lower()


_ASCII_PIECES = st.sampled_from(
    [
        " ",
        "  ",
        "\t",
        "\x1c",
        "&",
        "+",
        ".",
        "'",
        "`",
        "_",
        "-",
        ",",
        "(",
        ")",
        "Co.",
        "Ltd",
        "LLC",
        "S.A.",
        "the",
        "of",
        "and",
        "Holding",
        "Group",
        "Inc",
        "GmbH",
        "Huawei",
        "0001",
    ]
)


@settings(max_examples=600, deadline=None)
@given(
    st.one_of(
        st.text(alphabet=st.characters(max_codepoint=127), max_size=40),
        st.lists(_ASCII_PIECES, max_size=12).map("".join),
    )
)
def test_ascii_names_normalize_as_by_the_general_steps(name: str) -> None:
    """``normalize``'s ASCII path (lower, three replacements, runs of letters and digits) gives
    what the general steps give."""
    assert names.normalize.__wrapped__(name) == names._normalize_any(name)


def test_list_and_labelled_names_normalize_as_by_the_general_steps() -> None:
    data = name_matching.load()
    texts = [case["query"] for part in ("cases", "held_out") for case in data[part]]
    texts += [n for e in data["entities"].values() for n in [e["name"], *(e.get("aliases") or [])]]
    book = load_rulebook()
    texts += [
        name
        for ref in book.references.lists.values()
        for entry in ref.entries
        for name in parties.entry_names(entry)
    ]
    assert sum(t.isascii() for t in texts) > 100
    for text in texts:
        assert names.normalize.__wrapped__(text) == names._normalize_any(text), text


def _all_lists(kept: Any) -> Any:
    class Everywhere(dict[str, frozenset[str]]):
        def get(self, key: str, default: Any = None) -> frozenset[str]:  # type: ignore[override]
            return frozenset(kept.indexes)

    return kept._replace(holding=Everywhere())


def _screenings_equal(refs: References, queries: list[str]) -> int:
    kept = parties._reference_data(refs)
    everywhere = _all_lists(kept)
    threshold = parties.POSSIBLE_MATCH_THRESHOLD
    found = 0
    for query in queries:
        for on in (ON, dt.date(2020, 1, 1)):
            quick = parties._screen_kept(query, kept, on, (), threshold)
            full = parties._screen_kept(query, everywhere, on, (), threshold)
            assert quick == full, query
            found += bool(quick.matches or quick.possible)
    return found


def test_lists_without_the_names_keys_are_skipped_without_changing_a_screening() -> None:
    """Screening only the lists that hold a name's exact or blocking keys gives the screening
    that trying every list gives: the labelled set (its entities as a list) and the shipped
    lists, with the labelled queries, list names and generated deals' party names."""
    data = name_matching.load()
    labelled = name_matching.references(data["entities"])
    queries = [case["query"] for part in ("cases", "held_out") for case in data[part]]
    assert _screenings_equal(labelled, queries) > 50
    book = load_rulebook()
    shipped = [
        name
        for ref in book.references.lists.values()
        if ref.name.startswith(parties.REFERENCE_PREFIX)
        for entry in ref.entries
        for name in parties.entry_names(entry)
    ]
    deals = [Deal.model_validate(d).root for d in generate(120, seed=7)]
    generated = [
        p.name for d in deals for p in (d.investor, d.target, *(o for o in d.investor.owners or []))
    ]
    assert _screenings_equal(book.references, shipped + queries + generated) > 20


def test_a_kept_index_still_records_every_list_read() -> None:
    """Every screening, kept or skipped list or not, records all the restricted lists read."""
    book = load_rulebook()
    want = {
        n
        for n in book.references.lists
        if n.startswith(parties.REFERENCE_PREFIX) and n != parties.OWNERSHIP_RULES
    }
    for name in ("Nothing Like Any Listed Party", "Huawei", "Huawei Technologies Co., Ltd."):
        for _ in range(2):  # screened, then kept
            with recording_use() as used:
                parties.screen_name(name, book.references, ON)
            assert used == want


def _strip_forms_every_phrase(words: list[str]) -> list[str]:
    """``names._strip_forms`` as it was: every legal phrase tried in each pass."""
    core = list(words)
    changed = True
    while changed and len(core) > 1:
        changed = False
        for phrase, n, first, last in (
            names._PHRASES
            if core[-1] in names._PHRASE_LAST or core[0] in names._PHRASE_FIRST
            else ()
        ):
            if len(core) <= n:
                continue
            if core[-1] == last and tuple(core[-n:]) == phrase:
                core, changed = core[:-n], True
            elif core[0] == first and tuple(core[:n]) == phrase:
                core, changed = core[n:], True
        if len(core) > 1 and core[-1] in names.LEGAL_SUFFIXES:
            core, changed = core[:-1], True
        if len(core) > 1 and core[0] in names.LEGAL_PREFIXES:
            core, changed = core[1:], True
    return core


_FORM_WORDS = sorted(
    {w for phrase in names.LEGAL_PHRASES for w in phrase}
    | set(names.LEGAL_SUFFIXES)
    | set(names.LEGAL_PREFIXES)
    | {"acme", "huawei", "holding", "group", "of", "the"}
)


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(_FORM_WORDS), min_size=1, max_size=9))
def test_legal_forms_stripped_as_when_every_phrase_was_tried(words: list[str]) -> None:
    """Trying only the phrases one of whose end words is in the name strips the same forms."""
    assert names._strip_forms(words) == _strip_forms_every_phrase(words)


def test_every_legal_phrase_is_stripped_from_either_end() -> None:
    for phrase in names.LEGAL_PHRASES:
        for words in (["acme", *phrase], [*phrase, "acme"], ["acme", *phrase, "widgets"]):
            assert names._strip_forms(words) == _strip_forms_every_phrase(words)


def test_reference_values_are_kept_per_list_and_date_and_handed_out_fresh() -> None:
    """``ReferenceList.values`` gives what a fresh computation gives, a new list each call,
    per list object and date; the values kept are bounded."""
    from screening.model import reference

    book = load_rulebook()
    for ref in book.references.lists.values():
        for on in (None, ON, dt.date(2020, 1, 1)):
            fresh = sorted({e.value for e in ref.entries if on is None or e.in_force(on)})
            first = ref.values(on)
            assert first == fresh
            first.append("changed by the caller")
            assert ref.values(on) == fresh
    assert len(reference._VALUES) <= reference.VALUES_KEPT
    other = reference.ReferenceList("x", "X", "tests", None, None, (reference.Entry("a"),))
    assert other.values() == ["a"]


def test_a_rules_threshold_text_and_a_clean_chains_reason() -> None:
    """The threshold shown in reasons is the rule's threshold rendered; an entity nobody listed
    holds anything of reads "holds 0%"."""
    rule = parties.OwnershipRule("ofac_sdn", Decimal("50.0"), ("ofac_sdn",), "FAQ 401")
    assert rule.threshold_text == parties._fmt(rule.threshold) == "50"
    node = parties.Node(
        "Acme", "investor", owners=[parties.Node("Bob", "owner", Decimal(60), owners=[])]
    )
    treated = parties.treated_as_listed(node, rule)
    assert treated.status is False
    assert treated.reason == "Acme: listed holders hold 0%, below 50%"
