"""Screening in batches (one engine session per ruleset per batch) is screening deal by deal."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from screening import Deal, load_rulebook, screen, screen_many
from screening.authoring.fixtures_gen import generate
from screening.engine import _durable
from screening.engine import run as engine
from screening.engine.compiler import compile_rulebook, findings_read_false
from screening.errors import ScreeningError, UsageError
from screening.rulebook.conditions import FindingRef, leaves


def _deals(n: int, seed: int) -> list[Any]:
    return [Deal.model_validate(d).root for d in generate(n, seed=seed)]


@pytest.mark.parametrize("as_of", [None, dt.date(2025, 6, 1)])
def test_batches_across_several_sessions_match_one_by_one(
    monkeypatch: pytest.MonkeyPatch, as_of: dt.date | None
) -> None:
    monkeypatch.setattr(engine, "BATCH", 7)  # several batches, the last one short
    deals = _deals(40, seed=5)
    many = screen_many(deals, as_of=as_of)
    assert [r.model_dump_json() for r in many] == [
        screen(d, as_of=as_of).model_dump_json() for d in deals
    ]


def test_no_session_is_left_behind() -> None:
    screen_many(_deals(10, seed=9))
    last = _durable.last_session_id()
    assert all(_durable.session_state(name, last) is None for name in _durable.registered())


def test_a_deal_screen_refuses_is_refused_in_a_batch_too() -> None:
    deals = _deals(3, seed=2)
    undated = deals[1].model_copy(update={"completion_date": None, "signing_date": None})
    batch = [deals[0], undated, deals[2]]
    with pytest.raises(UsageError) as one:
        screen(undated)
    with pytest.raises(UsageError) as many:
        screen_many(batch)
    assert many.value.problems == one.value.problems
    outcomes = engine.screen_batch(batch)
    assert isinstance(outcomes[1], ScreeningError)
    assert [o.model_dump_json() for o in (outcomes[0], outcomes[2])] == [  # type: ignore[union-attr]
        screen(deals[0]).model_dump_json(),
        screen(deals[2]).model_dump_json(),
    ]


def test_complements_are_compiled_exactly_for_findings_whose_false_value_is_read() -> None:
    book = load_rulebook()
    need = findings_read_false(book)
    negated = {
        leaf.rule_id
        for rule in book.rules.values()
        for leaf in leaves(rule.guarded)
        if isinstance(leaf, FindingRef) and leaf.negated
    }
    assert negated <= need
    compiled = compile_rulebook(book)
    minus = {name[1:] for rs in compiled for name in rs.definition if name.startswith("-")}
    assert minus == need == {r for rs in compiled for r in rs.complements}
    # every finding reference a compiled rule tests for false has its complement
    for rs in compiled:
        for name, spec in rs.definition.items():
            text = repr(spec)
            for rule_id in book.rules:
                if f"'findings.{rule_id}': False" in text:
                    assert rule_id in need, (name, rule_id)


def test_a_deal_the_engine_side_refuses_is_refused_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """A per-deal error raised while building engine facts costs only that deal its result."""
    from screening.errors import DealError

    deals = _deals(4, seed=8)
    bad = deals[2].investor.name
    real = engine._engine_values

    def refusing(plan: Any, view: Any, scope: Any, *tokens: Any) -> Any:
        if view.investor.name == bad:
            raise DealError.one("$.investor", "invalid-value", "refused for the test")
        return real(plan, view, scope, *tokens)

    expected = [screen(d).model_dump_json() for d in deals]
    monkeypatch.setattr(engine, "_engine_values", refusing)
    outcomes = engine.screen_batch(deals)
    assert isinstance(outcomes[2], DealError)
    assert [o.model_dump_json() for i, o in enumerate(outcomes) if i != 2] == [  # type: ignore[union-attr]
        e for i, e in enumerate(expected) if i != 2
    ]
