"""A consortium member is screened under the part of the rulebook that decides its regimes
(``consortium.member_rulebook``): what ``combine`` keeps of its result is the same, byte for
byte, as under the whole rulebook, and so is every deal's result (issue 14)."""

from __future__ import annotations

import dataclasses
import os
from functools import cache
from typing import Any

import pytest

from screening import Deal, load_deal, screen
from screening.authoring.fixtures_gen import generate
from screening.engine import consortium
from screening.engine import run as engine
from screening.facts.gates import rulebook_reading
from screening.model.deal import DealRecord
from screening.rulebook.conditions import finding_refs
from tests.conftest import FIXTURES

THOROUGH = os.environ.get("DEALSCREEN_HYPOTHESIS") == "thorough"
REGIME_SETS = (
    consortium.CFIUS_REGIMES,
    (*consortium.CFIUS_REGIMES, "dsp_202"),
    consortium.MEMBER_REGIMES,
)


@cache
def _deals() -> tuple[tuple[str, DealRecord], ...]:
    """The consortium deals among the fixtures and generated deals (more when thorough)."""
    deals = [(p.name, load_deal(p)) for p in sorted(FIXTURES.glob("*.y*ml"))]
    n = 2400 if THOROUGH else 360
    for seed in (7, 11):
        deals += [
            (f"gen:{seed}:{i}", Deal.model_validate(d).root)
            for i, d in enumerate(generate(n // 2, seed=seed))
        ]
    return tuple((k, d) for k, d in deals if consortium.is_consortium(d))


def test_enough_consortium_deals() -> None:
    """The comparisons below are not vacuous: members of every kind are screened."""
    deals = [d for _k, d in _deals()]
    assert len(deals) >= 40
    kinds = {
        (consortium.acquires(co), consortium.member_regimes(co.party))
        for d in deals
        for co in d.co_investors
        if consortium.acquires(co) is not False
    }
    assert {True, None} <= {takes for takes, _r in kinds}
    assert set(REGIME_SETS[1:]) <= {r for _t, r in kinds}  # CFIUS only: under older rulebooks


def test_member_rulebook_is_closed(rulebook: Any) -> None:
    """Each part keeps its regimes' rules, every finding a kept rule reads, every exemption that
    sets a kept rule aside and every rule a kept exemption sets aside; and leaves rules out."""
    for regimes in REGIME_SETS:
        part = consortium.member_rulebook(rulebook, regimes)
        assert part is consortium.member_rulebook(rulebook, regimes)  # kept on the book
        assert set(part.regimes) == set(regimes) & set(rulebook.regimes)
        kept = set(part.rules)
        assert {r.id for r in rulebook.rules.values() if r.regime in regimes} <= kept
        for rule in part.rules.values():
            assert {ref.rule_id for ref in finding_refs(rule.guarded)} <= kept
            assert set(rule.suppresses) & set(rulebook.rules) <= kept
        for rule in rulebook.rules.values():
            if set(rule.suppresses) & kept:
                assert rule.id in kept
        assert len(kept) < len(rulebook.rules)
    assert len(consortium.member_rulebook(rulebook, consortium.CFIUS_REGIMES).rules) < len(
        consortium.member_rulebook(rulebook, consortium.MEMBER_REGIMES).rules
    )


def _member_json(book: Any, whole: Any, member: DealRecord, date: Any, regimes: Any) -> str:
    """What ``combine`` reads of a member's screening: its regimes and open questions, cut."""
    ev = engine.run_rules(book, engine.derive_for(whole, member, date))
    own = consortium._only(engine.assemble(member, book, ev), regimes)
    return "\n".join(
        [r.model_dump_json() for r in own.regimes.values()]
        + [q.model_dump_json() for q in own.open_questions]
    )


@pytest.mark.parametrize("regimes", REGIME_SETS, ids=lambda r: "+".join(r))
def test_member_results_are_those_of_the_whole_rulebook(
    rulebook: Any, regimes: tuple[str, ...]
) -> None:
    """Every member of every consortium deal, cut to the regimes, screened under the part of the
    rulebook for those regimes: the same JSON as under the whole rulebook."""
    part = consortium.member_rulebook(rulebook, regimes)
    with rulebook_reading(engine.read_paths(rulebook)):
        for key, deal in _deals():
            date = engine.resolve_as_of(deal, None)
            for i, co in enumerate(deal.co_investors):
                if consortium.acquires(co) is False:
                    continue
                member = consortium.member_record(deal, i)
                want = _member_json(rulebook, rulebook, member, date, regimes)
                got = _member_json(part, rulebook, member, date, regimes)
                assert got == want, (key, i)


def test_screenings_are_those_of_the_whole_rulebook(
    rulebook: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every consortium deal's result (memo included): the same with members screened under the
    whole rulebook."""
    deals = _deals()[:: 1 if THOROUGH else 2]
    got = [screen(d, rulebook=rulebook).model_dump_json() for _k, d in deals]

    def whole(book: Any, regimes: tuple[str, ...] = consortium.MEMBER_REGIMES) -> Any:
        return book

    monkeypatch.setattr(consortium, "member_rulebook", whole)
    want = [screen(d, rulebook=rulebook).model_dump_json() for _k, d in deals]
    for (key, _d), a, b in zip(deals, got, want, strict=True):
        assert a == b, key


def test_member_parts_use_generated_code_once_the_rulebook_does(rulebook: Any) -> None:
    """A part's plan writes out its generated functions as soon as the whole rulebook's plan
    has (not after its own 64 screenings): members are screened with the same kind of code."""
    book = dataclasses.replace(rulebook)  # nothing kept on it yet: no plan, no parts
    deals = [d for _k, d in _deals()]
    plan = engine._plan(book)
    alone = next(
        d
        for d in (Deal.model_validate(g).root for g in generate(20, seed=3))
        if not consortium.is_consortium(d)
    )
    while plan.screenings < engine.GENERATE_AFTER:
        screen(alone, rulebook=book)  # no member: the parts are not screened
    screen(deals[-1], rulebook=book)
    with rulebook_reading(engine.read_paths(book)):
        regimes = {
            consortium.member_regimes(co.party)
            for co in deals[-1].co_investors
            if consortium.acquires(co) is not False
        }
    for one in regimes:
        part = engine._plan(consortium.member_rulebook(book, one))
        assert part.screenings > engine.GENERATE_AFTER, one


def _ceiling_one_by_one(result: Any, regimes: tuple[str, ...]) -> str:
    """What ``consortium._ceiling`` was before ``_ceilings``: a pass per call."""
    levels = []
    for rid in regimes:
        regime = result.regimes.get(rid)
        if regime is not None:
            given = getattr(regime, "ceiling", None)
            levels.append(given if isinstance(given, str) else regime.verdict)
    levels += [q.outcome for q in result.open_questions if q.regime in regimes]
    return max(levels, key=consortium.rank, default="clear")


def test_ceilings_worked_out_once_are_those_of_each_pass(rulebook: Any) -> None:
    """``_ceilings`` (each regime's ceiling and question outcomes, in one pass) gives for every
    set of regimes the level a pass over the result for just those regimes gives."""
    sets = [(r,) for r in (*consortium.MEMBER_REGIMES, "restricted_parties")] + list(REGIME_SETS)
    checked = 0
    for _key, deal in _deals()[::3]:
        result = screen(deal, rulebook=rulebook)
        ceilings = consortium._ceilings(result)
        for regimes in sets:
            want = _ceiling_one_by_one(result, regimes)
            assert consortium._ceiling(result, regimes, ceilings) == want
            assert consortium._ceiling(result, regimes) == want
            checked += want != "clear"
    assert checked > 20
