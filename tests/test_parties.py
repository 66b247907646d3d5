"""Restricted-party screening: normalization, matching, ownership rules (cfr_examples part F)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from screening.authoring.examples import BASE_DEAL, merge
from screening.facts.names import compact, normalize
from screening.facts.parties import (
    Node,
    OwnershipRule,
    ownership_rules,
    screen_name,
    treated_as_listed,
)
from screening.facts.sections.parties import derive
from screening.model._yaml import Document, load_file
from screening.model.loader import validate_deal
from screening.model.reference import References, parse_reference
from tests.conftest import ROOT

ON = dt.date(2026, 6, 1)
SDN_RULE = OwnershipRule("ofac_sdn", Decimal(50), ("ofac_sdn",), "OFAC 50 Percent Rule")


def _references() -> References:
    """The shipped restricted lists and ownership rules, without the rest of the rulebook."""
    lists = {}
    for path in sorted((ROOT / "rules" / "reference" / "restricted").glob("*.yaml")):
        problems: list[Any] = []
        ref = parse_reference(load_file(path), problems)
        assert ref is not None and not problems, problems
        lists[ref.name] = ref
    return References(lists)


REFS = _references()


def _deal(fragment: dict[str, Any]) -> Any:
    return validate_deal(Document("test", merge(BASE_DEAL, fragment), {}))


def _facts(fragment: dict[str, Any], on: dt.date = ON) -> tuple[Any, dict[str, str]]:
    return derive(_deal(fragment), REFS, on)


def _owner(
    name: str,
    pct: float | None,
    *owners: dict[str, Any],
    lists: list[str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    rec: dict[str, Any] = {"name": name, "kind": "company", "country": "CN", "owners": list(owners)}
    if pct is not None:
        rec["equity_pct"] = pct
    if lists:
        rec["lists"] = lists
    rec.update(extra)
    return rec


def _sdn(name: str, pct: float | None, *owners: Node) -> Node:
    """A node declared on the SDN List."""
    node = _node(name, pct, *owners)
    node.screening = screen_name(name, REFS, ON, declared=["ofac_sdn"])
    return node


def _node(name: str, pct: float | None, *owners: Node) -> Node:
    return Node(
        name,
        "owner",
        None if pct is None else Decimal(str(pct)),
        screening=screen_name(name, REFS, ON),
        owners=list(owners),
    )


# --- normalization ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("Huawei Technologies Co., Ltd.", "huawei technology"),
        ("HUAWEI TECHNOLOGIES COMPANY LIMITED", "huawei technology"),
        ("Xinjiang Production & Construction Corps", "xinjiang production and construction corps"),
        ("Société Générale S.A.", "societe generale"),
        ("Siemens Aktiengesellschaft GmbH", "siemens"),
        ("PJSC Sberbank of Russia", "sberbank russia"),
        ("Сбербанк России", "sberbank russia"),
        ("ООО Газпром нефть", "gazprom neft"),
        ("Public Joint Stock Company Sberbank of Russia", "sberbank russia"),
        ("Sinkiang Daqo New Energy Co.,Ltd.", "xinjiang daqo new energy"),
        ("Peking Tech Intl Corp.", "beijing technology international"),
        ("华为技术有限公司", "huawei technology"),
        ("中国电子科技集团有限公司", "china electronics technology group"),
        ("Ｈｕａｗｅｉ", "huawei"),
        ("Limited", "limited"),
    ],
)
def test_normalize(raw: str, want: str) -> None:
    """Case, diacritics, punctuation, legal forms and transliteration variants are normalized."""
    assert normalize(raw) == want


def test_compact_ignores_spacing() -> None:
    """Spacing and hyphenation variants share one exact-match key."""
    assert compact("Hik-Vision") == compact("HikVision") == "hikvision"


# --- matching ---------------------------------------------------------------------------------


def test_exact_match_after_normalization() -> None:
    """A legal-form and punctuation variant is a match by name on every list naming it."""
    s = screen_name("HUAWEI TECHNOLOGIES CO LTD", REFS, ON)
    assert [(m.list_id, m.how) for m in s.matches] == [
        ("bis_entity_list", "name"),
        ("dod_1260h", "name"),
        ("fcc_covered_list", "name"),
        ("ns_cmic", "name"),
    ]
    assert s.possible == ()


def test_alias_match() -> None:
    """An alias is a match, reported as such."""
    s = screen_name("XPCC", REFS, ON)
    assert {(m.list_id, m.how, m.matched) for m in s.matches} == {
        ("bis_entity_list", "alias", "XPCC"),
        ("ofac_sdn", "alias", "XPCC"),
        ("uflpa_entity_list", "alias", "XPCC"),
    }


def test_fuzzy_possible_match_with_score() -> None:
    """A misspelling is a possible match with its rounded score, never a match."""
    s = screen_name("Hangzhou Hikvison Digital Technology Co Ltd", REFS, ON)
    assert s.matches == ()
    assert {m.list_id for m in s.possible} == {
        "bis_entity_list",
        "dod_1260h",
        "fcc_covered_list",
        "ns_cmic",
    }
    assert {m.score for m in s.possible} == {Decimal("98.6")}


def test_fuzzy_threshold_edge() -> None:
    """Scores at the threshold are possible matches; below it they are only the best score."""
    near = screen_name("Huawen Technologies Co., Ltd.", REFS, ON)
    assert near.possible and near.best_score == Decimal("94.1")
    assert screen_name("Huawen Technologies", REFS, ON, threshold=Decimal("94.1")).possible
    assert not screen_name("Huawen Technologies", REFS, ON, threshold=Decimal("94.2")).possible
    far = screen_name("Hikari Vision Co., Ltd.", REFS, ON)
    assert far.possible == () and far.matches == () and far.best_score < Decimal("88")


def test_listing_dates_are_honoured() -> None:
    """An entry applies only from its listing date (no clock is read)."""
    assert not screen_name("CATL", REFS, dt.date(2024, 12, 31)).matches
    assert [m.list_id for m in screen_name("CATL", REFS, dt.date(2025, 1, 7)).matches] == [
        "dod_1260h"
    ]


def test_declared_list_is_a_match() -> None:
    """A list the record declares is a match even when the name is on no bundled list."""
    s = screen_name("Some Unlisted Co.", REFS, ON, declared=["bis_meu_list"])
    assert [(m.list_id, m.how) for m in s.matches] == [("bis_meu_list", "declared")]


def test_screening_is_deterministic() -> None:
    """The same name screens to the same result, whatever the order of calls."""
    a = [screen_name(n, REFS, ON) for n in ("XPCC", "Huawen Tech", "SMIC")]
    b = [screen_name(n, REFS, ON) for n in ("SMIC", "Huawen Tech", "XPCC")][::-1]
    assert a == b


# --- cfr_examples.md part F: the OFAC 50 Percent Rule ------------------------------------------


def test_ofac_401_1() -> None:
    """OFAC-401-1 (FAQ 401 ex. 1): X blocked owns 50% of A; A owns 50% of B: A and B blocked."""
    a = _node("A", 50, _sdn("X", 50))
    b = _node("B", None, a)
    assert treated_as_listed(a, SDN_RULE).status is True
    assert treated_as_listed(b, SDN_RULE).status is True


def test_ofac_401_2() -> None:
    """OFAC-401-2 (FAQ 401 ex. 2): X owns 50% of A and of B; A and B own 25% each of C: C blocked."""
    c = _node("C", None, _node("A", 25, _sdn("X", 50)), _node("B", 25, _sdn("X", 50)))
    t = treated_as_listed(c, SDN_RULE)
    assert t.status is True
    assert t.chain_text() == "C ← A 25% ← X 50%; C ← B 25% ← X 50%"


def test_ofac_401_3() -> None:
    """OFAC-401-3 (FAQ 401 ex. 3): X owns 50% of A and 10% of B; A owns 40% of B: B blocked."""
    b = _node("B", None, _sdn("X", 10), _node("A", 40, _sdn("X", 50)))
    t = treated_as_listed(b, SDN_RULE)
    assert t.status is True
    assert "B is 50% owned" in t.reason


def test_ofac_399_1() -> None:
    """OFAC-399-1 (FAQ 399): blocked X and Y, different programs, 25% each of A: A blocked."""
    facts, d = _facts(
        {
            "investor": {
                "owners": [
                    _owner("Xinjiang Production and Construction Corps", 25),
                    _owner("Sberbank", 25, country="RU"),
                ]
            }
        }
    )
    assert facts.blocked_by_ownership is True
    assert "GLOMAG" in d["parties.matched_lists"] and "RUSSIA-EO14024" in d["parties.matched_lists"]


def test_ofac_398_1() -> None:
    """OFAC-398-1 (FAQ 398): X owns 30% and appoints the board: not blocked; caution flagged."""
    facts, _ = _facts(
        {
            "investor": {
                "controlled_by_foreign_person": True,
                "owners": [_owner("XPCC", 30, voting_pct=30)],
            }
        }
    )
    assert facts.blocked_by_ownership is False
    assert facts.sdn_minority_owner is True


def test_ofac_der_1() -> None:
    """OFAC-DER-1 (FAQ 401 text, derived): X 40% of A; A 60% of B: neither A nor B blocked."""
    a = _node("A", 60, _sdn("X", 40))
    b = _node("B", None, a)
    assert treated_as_listed(a, SDN_RULE).status is False
    assert treated_as_listed(b, SDN_RULE).status is False


def test_listed_owner_two_levels_up() -> None:
    """Issue 6 'done means': a listed owner two levels up the chain is found and explained."""
    facts, d = _facts(
        {
            "investor": {
                "owners": [
                    _owner(
                        "Tianshan Holdings Co., Ltd.",
                        60,
                        _owner("Xinjiang Production & Construction Corps", 100),
                    ),
                ]
            }
        }
    )
    assert facts.blocked_by_ownership is True
    assert facts.owner_lists == ["bis_entity_list", "ofac_sdn", "uflpa_entity_list"]
    assert facts.blocked_owner_chain == (
        "Example Investor Co. ← Tianshan Holdings Co., Ltd. 60% ← "
        "Xinjiang Production & Construction Corps 100%"
    )
    assert (
        "owner Xinjiang Production & Construction Corps (chain: Example Investor Co. ← "
        "Tianshan Holdings Co., Ltd. 60% ← Xinjiang Production & Construction Corps 100%) "
        "matches OFAC SDN List entry `Xinjiang Production and Construction Corps` by name"
    ) in d["parties.matched_lists"]


def test_unknown_interest_leaves_blocking_unknown() -> None:
    """A listed owner with an unrecorded stake makes the 50% test unknown, not false."""
    facts, d = _facts({"investor": {"owners": [_owner("XPCC", None)]}})
    assert facts.blocked_by_ownership is None
    assert "not recorded" in d["parties.blocked_by_ownership"]


def test_unknown_owners_leave_blocking_unknown() -> None:
    """Owners not recorded (None) cannot be screened: unknown."""
    facts, _ = _facts({"investor": {"owners": None}})
    assert facts.blocked_by_ownership is None


def test_possible_matches_do_not_count_for_ownership() -> None:
    """A fuzzy possible match never blocks by ownership."""
    facts, _ = _facts(
        {"investor": {"owners": [_owner("Xinjiang Producton and Construction Corps", 100)]}}
    )
    assert facts.blocked_by_ownership is False
    assert "ofac_sdn" in (facts.possible_match_lists or [])


def test_affiliates_rule_dates() -> None:
    """The BIS Affiliates Rule applies Sept. 29 - Nov. 9, 2025 and from Nov. 10, 2026 only."""
    fragment = {"investor": {"owners": [_owner("Holdco", 60, _owner("YMTC", 100))]}}
    for on, want in [
        (dt.date(2025, 10, 1), True),
        (dt.date(2026, 6, 1), False),
        (dt.date(2026, 11, 10), True),
    ]:
        facts, _ = _facts(fragment, on)
        assert (facts.affiliates_rule_in_force, facts.bis_affiliate_by_ownership) == (want, want)
    assert list(ownership_rules(REFS, dt.date(2026, 6, 1))) == ["ofac_sdn"]


def test_every_party_is_screened() -> None:
    """Investor, co-investors and their owners, and the target are all screened."""
    facts, _ = _facts(
        {
            "co_investors": [
                {
                    "party": {
                        "name": "Partner Co.",
                        "kind": "company",
                        "country": "CN",
                        "owners": [_owner("CATL", 20)],
                    },
                    "voting_pct": 5,
                }
            ],
            "target": {"name": "China Telecom (Americas) Corp."},
        }
    )
    assert facts.screened_names == 4
    assert facts.owner_lists == ["dod_1260h"]
    assert facts.target_lists == ["fcc_covered_list"]
    assert facts.party_lists == ["fcc_covered_list"]


def test_clean_deal() -> None:
    """The base deal matches nothing."""
    facts, _ = _facts({})
    assert (
        facts.matched_lists,
        facts.possible_match_lists,
        facts.blocked_by_ownership,
        facts.sdn_minority_owner,
    ) == ([], [], False, False)


def test_cli_check(capsys: pytest.CaptureFixture[str]) -> None:
    """`lists check NAME` prints matches and possible matches."""
    from screening.cli.app import main

    code = main(["lists", "check", "XPCC", "--as-of", "2026-01-01"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert (
        "match: OFAC SDN List entry `Xinjiang Production and Construction Corps` by alias `XPCC`"
        in out
    )


def test_index_is_cached_per_references() -> None:
    """The match index is built once per References object."""
    from screening.facts import parties

    screen_name("x", REFS, ON)
    cached = parties._INDEX[id(REFS)][1]
    screen_name("y", REFS, ON)
    assert parties._INDEX[id(REFS)][1] is cached


def test_screenings_are_kept_bounded_and_same_as_fresh() -> None:
    """A kept screening is the one a fresh screening gives; the cache never outgrows its size,
    dropping the least recently used first; a kept screening still records the lists read."""
    from screening.facts import parties
    from screening.model.reference import recording_use

    refs = _references()  # its own cache
    names = ["Huawei Technologies Co., Ltd.", "Huawen Technologies", "XPCC", "Acme Widgets LLC"]
    for name in names:
        for declared in ((), ("ofac_sdn",), ("ofac_sdn", "ofac_sdn")):
            for on in (ON, dt.date(2024, 12, 31)):
                first = screen_name(name, refs, on, declared=list(declared))
                with recording_use() as used:
                    kept = screen_name(name, refs, on, declared=list(declared))
                assert kept is first
                assert used == {n for n in refs.lists if n.startswith("restricted_")} - {
                    "restricted_ownership_rules"
                }
                fresh = parties._screen_name(
                    name, refs, on, tuple(sorted(set(declared))), parties.POSSIBLE_MATCH_THRESHOLD
                )
                assert kept == fresh
    cache = parties._INDEX[id(refs)].screenings
    assert len(cache) == len(names) * 2 * 2  # a repeated declared list is the same screening
    parties.forget_screenings(refs)
    assert len(cache) == 0
    assert screen_name(names[0], refs, ON) == parties._screen_name(
        names[0], refs, ON, (), parties.POSSIBLE_MATCH_THRESHOLD
    )
    small = parties._Screenings(size=2)
    a, b, c = (screen_name(n, refs, ON) for n in names[:3])
    small.put(("a", ON, (), Decimal(88)), a)
    small.put(("b", ON, (), Decimal(88)), b)
    assert small.get(("a", ON, (), Decimal(88))) is a  # now the most recently used
    small.put(("c", ON, (), Decimal(88)), c)
    assert len(small) == 2
    assert small.get(("b", ON, (), Decimal(88))) is None
    assert small.get(("a", ON, (), Decimal(88))) is a


def test_ownership_rules_by_date_match_a_fresh_parse() -> None:
    """Rules parsed once per list and kept per date are the rules the list gives on each date."""
    from screening.facts import parties

    ref = REFS.get("restricted_ownership_rules")
    assert ref is not None
    for on in (dt.date(2020, 1, 1), dt.date(2025, 9, 29), dt.date(2025, 11, 10), ON, ON):
        expected = {}
        for entry in ref.entries:
            if entry.in_force(on):
                counts = entry.attributes.get("counts") or [entry.value]
                expected[entry.value] = OwnershipRule(
                    entry.value,
                    Decimal(str(entry.attributes.get("threshold", 50))),
                    tuple(sorted(str(c) for c in counts)),
                    str(entry.attributes.get("citation") or ""),
                    bool(entry.attributes.get("reaches_target", False)),
                )
        got = ownership_rules(REFS, on)
        assert got == dict(sorted(expected.items()))
        assert list(got) == sorted(expected)
        got.clear()  # a caller's copy: the kept rules are untouched
        assert ownership_rules(REFS, on) == dict(sorted(expected.items()))
    assert parties._RULES[id(ref)].ref is ref


def _strip_forms_reference(words: list[str]) -> list[str]:
    """Legal forms stripped as the first version did: every phrase compared in full."""
    from screening.facts.names import LEGAL_PHRASES, LEGAL_PREFIXES, LEGAL_SUFFIXES

    core = list(words)
    changed = True
    while changed and len(core) > 1:
        changed = False
        for phrase in LEGAL_PHRASES:
            n = len(phrase)
            if len(core) > n and tuple(core[-n:]) == phrase:
                core, changed = core[:-n], True
            elif len(core) > n and tuple(core[:n]) == phrase:
                core, changed = core[n:], True
        if len(core) > 1 and core[-1] in LEGAL_SUFFIXES:
            core, changed = core[:-1], True
        if len(core) > 1 and core[0] in LEGAL_PREFIXES:
            core, changed = core[1:], True
    return core


def test_legal_forms_stripped_as_by_full_comparison() -> None:
    """The quick test on a phrase's end words strips exactly what comparing every phrase in full
    does, on names made of legal-form words in any order (seeded, deterministic)."""
    import random

    from screening.facts.names import LEGAL_PHRASES, LEGAL_PREFIXES, LEGAL_SUFFIXES, _strip_forms

    vocab = sorted(
        {w for p in LEGAL_PHRASES for w in p} | LEGAL_SUFFIXES | LEGAL_PREFIXES | {"acme", "co"}
    )
    rng = random.Random(5)
    for _ in range(20_000):
        words = [rng.choice(vocab) for _ in range(rng.randint(1, 8))]
        if rng.random() < 0.5:
            phrase = list(rng.choice(LEGAL_PHRASES))
            words = words + phrase if rng.random() < 0.5 else phrase + words
        assert _strip_forms(words) == _strip_forms_reference(words), words
