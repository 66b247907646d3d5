"""``ScreeningResult.model_dump_json()`` puts a result's JSON together at its top level, the
shared sub-results (open questions, regime results, derived facts the engine keeps) written
once each (issue 14): it must be pydantic's own bytes, whatever was written before, and leave
to pydantic anything it does not expect."""

from __future__ import annotations

import gc
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel
from pydantic_core import PydanticSerializationError

from screening import Deal, load_deal, screen
from screening.authoring.fixtures_gen import generate
from screening.engine import run as engine
from screening.engine import verdict
from screening.engine.verdict import (
    Because,
    ConditionResult,
    DerivedFact,
    Hit,
    OpenQuestion,
    RegimeResult,
    Summary,
    build,
)
from tests.conftest import FIXTURES


def _pydantic(result: Any) -> str:
    """What pydantic itself writes of the result."""
    return BaseModel.model_dump_json(result)


def _deals(n: int = 40) -> list[Any]:
    fixtures = [load_deal(p) for p in sorted(FIXTURES.glob("*.yaml"))[::2]]
    return fixtures + [Deal.model_validate(d).root for d in generate(n, seed=13)]


def test_results_are_pydantics_bytes_cold_and_warm(rulebook: Any) -> None:
    """Every fixture and generated deal (consortia among them): the same bytes as pydantic's,
    with the JSON of shared sub-results written before (warm), dropped before every deal, and
    with the engine's stores so small that they are cleared all the time."""
    deals = _deals()
    results = [screen(d, rulebook=rulebook) for d in deals]
    assert any(r.consortium is not None for r in results)
    expected = [_pydantic(r) for r in results]
    assert [r.model_dump_json() for r in results] == expected  # first written here
    assert [r.model_dump_json() for r in results] == expected  # reused
    again = []
    for deal in deals:
        engine._assembly(rulebook).forget()  # drops the JSON written too
        again.append(screen(deal, rulebook=rulebook).model_dump_json())
    assert again == expected


def test_tiny_stores_give_the_same_bytes(rulebook: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    deals = _deals(30)
    expected = [_pydantic(screen(d, rulebook=rulebook)) for d in deals]
    monkeypatch.setattr(engine, "_KEPT", 3)
    engine._assembly(rulebook).forget()
    got = [screen(d, rulebook=rulebook).model_dump_json() for d in deals]
    assert got == expected
    engine._assembly(rulebook).forget()


def test_shared_sub_results_are_written_once(rulebook: Any) -> None:
    """Sub-results repeat from deal to deal and are marked shared (open questions, regime
    results, findings a hit stood on) or written in the entry the engine keeps them in (derived
    facts); their JSON is kept and is what pydantic writes of them."""
    results = [screen(d, rulebook=rulebook) for d in _deals(20)]
    for r in results:
        r.model_dump_json()
    items = [q for r in results for q in r.open_questions]
    kept = [verdict._SHARED.get(id(x)) for x in items]
    written = [(x, e[1]) for x, e in zip(items, kept, strict=True) if e and e[0]() is x]
    assert len(written) > len(items) // 2
    because = [b for r in results for h in r.hits for b in h.because]
    marked = [(x, verdict._SHARED.get(id(x))) for x in because]
    written += [(x, e[1]) for x, e in marked if e and e[0]() is x and e[1] is not None]
    assert len(written) > len(items) // 2 + len(because) // 2
    facts = [
        (fact, entry)
        for r in results
        if id(r) in verdict._ASSEMBLED
        for fact, entry in zip(r.derived, verdict._ASSEMBLED[id(r)][4], strict=True)
    ]
    in_entries = [(x, e[1]) for x, e in facts if e is not None and e[0] is x]
    assert len(in_entries) > len(facts) // 2 and all(text for _x, text in in_entries)
    for obj, text in written + in_entries:
        assert text == obj.__pydantic_serializer__.to_json(obj).decode()


def test_a_shared_entry_goes_with_its_instance() -> None:
    """An instance marked shared and no longer held leaves no entry; a new instance at the
    same address is never written with the old one's JSON."""
    seen = []
    for i in range(50):
        fact = verdict.shared(build(DerivedFact, path="deal.x", value=i, explanation=f"#{i}"))
        assert verdict._one(fact, DerivedFact) == _pydantic(fact)
        seen.append(id(fact))
        del fact
        if seen[-1] in verdict._SHARED:  # freed by its reference count at once, as a rule
            gc.collect()  # (a full collection costs ~1 s in a whole-suite heap: only if needed)
        assert seen[-1] not in verdict._SHARED
    # Unmarked, at a reused address or not: pydantic's bytes.
    for i in range(50):
        fact = build(DerivedFact, path="deal.y", value=[i], explanation="")
        assert verdict._one(fact, DerivedFact) == _pydantic(fact)


def test_the_marks_stay_bounded(rulebook: Any) -> None:
    """The marks are the shared instances alive (held by the engine's bounded stores): screening
    more deals adds no more marks than those stores hold."""
    for d in _deals(30):
        screen(d, rulebook=rulebook).model_dump_json()
    gc.collect()
    before = len(verdict._SHARED)
    for d in [Deal.model_validate(x).root for x in generate(120, seed=17)]:
        screen(d, rulebook=rulebook).model_dump_json()
    gc.collect()
    assembly = engine._assembly(rulebook)
    stores = (
        assembly._questions,
        assembly._regime_results,
        assembly._because,
        assembly._regimes,
    )
    assert len(verdict._SHARED) - before <= sum(len(s) for s in stores)
    assert len(verdict._REFS) == len(verdict._SHARED)  # marking twice leaves nothing behind


def _odd(result: Any, **update: Any) -> Any:
    return result.model_copy(update=update)


def test_what_it_does_not_expect_is_pydantics(rulebook: Any) -> None:
    """Values the quick JSON does not write (a float, a decimal, a subclass, a string that is
    not UTF-8) and any option: pydantic writes the result, the same bytes or the same error."""
    result = screen(load_deal(sorted(FIXTURES.glob("*.yaml"))[0]), rulebook=rulebook)
    floats = build(DerivedFact, path="deal.x", value=1e16, explanation="a float")
    decimal = build(DerivedFact, path="deal.x", value=Decimal("1.50"), explanation="")

    class Wider(RegimeResult):
        extra_field: str = "x"

    wider = build(Wider, regime="r", title="t", verdict="clear")
    odd = [
        _odd(result, derived=[floats, decimal, *result.derived]),
        _odd(result, regimes={**result.regimes, "r": wider}),
        _odd(result, deal_name='Ülker "Q" \\ Co.\t\x01\x7f\u2028 😀'),
        _odd(result, deal_id="x" * 10_000),
        _odd(
            result,
            summary=build(
                Summary, verdict="clear", ceiling="clear", range="clear", rulebook_version="v"
            ),
        ),
        _odd(result, open_questions=[]),
        _odd(result, ceiling=None),
    ]
    for r in odd:
        assert r.model_dump_json() == _pydantic(r)
        assert r.model_dump_json(indent=2) == BaseModel.model_dump_json(r, indent=2)
    bad = _odd(result, deal_name="lone \ud800 surrogate")
    with pytest.raises(PydanticSerializationError):
        BaseModel.model_dump_json(bad)
    with pytest.raises(PydanticSerializationError):
        bad.model_dump_json()
    question = build(
        OpenQuestion,
        rule_id="a",
        regime="b",
        outcome="covered",
        citation="c",
        title="t",
        question="q \udfff",
        unknown_facts=[],
    )
    with pytest.raises(PydanticSerializationError):
        _odd(result, open_questions=[verdict.shared(question)]).model_dump_json()


def test_hits_are_written_from_what_assemble_made(rulebook: Any) -> None:
    """A result assemble() made has its hits written from their rules' frames and the JSON of
    the conditions each shows (kept ones written once): pydantic's bytes of the hits, written
    first, reused, and with every kept result dropped before each deal."""
    deals = _deals(30)
    results = [screen(d, rulebook=rulebook) for d in deals]
    plain = [r for r in results if r.consortium is None]
    assert len(plain) > 30 and sum(len(r.hits) for r in plain) > 100
    assert all(id(r) in verdict._ASSEMBLED for r in plain)
    hits = verdict._list_of(Hit)
    for r in results:
        expected = str(hits.to_json(r.hits), "utf-8")
        assert verdict._hits_json(r, r.hits) == expected  # the shown JSON written here or before
        assert verdict._hits_json(r, r.hits) == expected  # reused
    for deal in deals[::3]:
        engine._assembly(rulebook).forget()
        r = screen(deal, rulebook=rulebook)
        assert verdict._hits_json(r, r.hits) == str(hits.to_json(r.hits), "utf-8")
        assert r.model_dump_json() == _pydantic(r)


def test_an_assembled_entry_goes_with_its_result(rulebook: Any) -> None:
    """What assemble() recorded of a result's hits goes with the result; a copy of the result
    (other hits or the same) is written by pydantic, with the same bytes."""
    deal = next(d for d in _deals(10) if len(screen(d, rulebook=rulebook).hits) > 1)
    result = screen(deal, rulebook=rulebook)
    key = id(result)
    assert verdict._ASSEMBLED[key][1] is result.hits
    for copy in (
        _odd(result, hits=list(reversed(result.hits))),
        _odd(result, hits=result.hits[1:]),
        _odd(result, deal_name="copied"),
    ):
        assert id(copy) not in verdict._ASSEMBLED
        assert copy.model_dump_json() == _pydantic(copy)
    del result
    gc.collect()
    assert key not in verdict._ASSEMBLED


def test_hit_frames_are_what_pydantic_writes_around_a_hit(rulebook: Any) -> None:
    """Every rule's frame, filled with any explanation, facts, conditions, findings and
    exemptions, is pydantic's JSON of the hit; fields out of order or a value pydantic refuses
    get no frame (pydantic writes such hits)."""
    assembly = engine._assembly(rulebook)
    condition = build(ConditionResult, condition="c", text="t", path="a.b", value=[1], held=True)
    because = build(Because, rule_id="f", title="F", citation="x")
    for rule_id in rulebook.rules:
        shape = assembly.shape(rule_id)
        assert shape.frame is not None, rule_id
        data = shape.hit | {
            "explanation": 'a "quoted" \\ line\n',
            "facts": {"a.b": [1], "c.d": None, "e.f": "ü"},
            "conditions": [condition],
            "because": [because],
            "suppressed_by": ["x.y", "z"],
        }
        hit = verdict.made(Hit, data, frozenset(data))
        shown = verdict.shown_json([data["conditions"], data["facts"], None])
        written = "".join(
            (
                shape.frame[0],
                verdict._string(data["explanation"]),
                shown,
                ',"because":[',
                verdict._items(data["because"], Because),
                '],"suppressed_by":["x.y","z"]',
                shape.frame[1],
            )
        )
        assert written == _pydantic(hit), rule_id
    fields = dict(assembly.shape(next(iter(rulebook.rules))).hit)
    moved = {k: v for k, v in fields.items() if k != "explanation"} | {"explanation": ""}
    assert verdict.hit_frame(moved) is None
    assert verdict.hit_frame({**fields, "title": "lone \ud800"}) is None


def test_memo_lines_are_written_once(rulebook: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The memo's clear lines and lists used (lines the memo keeps) are written once each and
    reused: pydantic's bytes of the memo, warm, with the store so small that it is cleared all
    the time, and after forget_json; a memo pydantic must write (fields out of order, a value
    not of its type) is pydantic's."""
    results = [screen(d, rulebook=rulebook) for d in _deals(20)]
    memos = [r.summary for r in results if r.summary is not None]
    assert sum(len(m.clear) + len(m.lists) for m in memos) > 100
    expected = [_pydantic(m) for m in memos]
    assert [verdict._summary_json(m) for m in memos] == expected
    lines = [x for m in memos for x in (*m.clear, *m.lists)]
    assert sum(1 for x in lines if id(x) in verdict._LINES) > len(lines) // 2
    assert [verdict._summary_json(m) for m in memos] == expected  # reused
    verdict.forget_json()
    assert not verdict._LINES
    monkeypatch.setattr(verdict, "_LINES_KEPT", 2)
    assert [verdict._summary_json(m) for m in memos] == expected
    assert len(verdict._LINES) <= 2
    assert [r.model_dump_json() for r in results] == [_pydantic(r) for r in results]
    memo = memos[0]
    moved = dict(reversed(list(memo.__dict__.items())))
    odd = verdict.made(Summary, moved, frozenset(moved))
    assert verdict._summary_json(odd) == _pydantic(odd)
    bad = memo.model_copy(update={"verdict": "unheard_of"})
    with pytest.raises(verdict._Unusual):
        verdict._summary_json(bad)
    result = next(r for r in results if r.summary is not None)
    odd_result = _odd(result, summary=bad)
    assert odd_result.model_dump_json() == _pydantic(odd_result)
