"""Every shipped rule's embedded examples: one parametrized test, one case per example."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from screening.authoring.examples import example_deal
from screening.engine.run import screen
from screening.errors import DealError
from screening.rulebook.book import Example, Rule, load_rulebook

CASES: list[tuple[Rule, Example]] = [
    (rule, example) for rule in load_rulebook().rules.values() for example in rule.examples
]


def _id(rule: Rule, example: Example) -> str:
    kind = "fires" if example.fires else "does_not_fire"
    return f"{rule.id}[{kind}: {example.name or example.location}]"


@pytest.mark.parametrize(("rule", "example"), CASES, ids=[_id(r, e) for r, e in CASES])
def test_rule_example(rule: Rule, example: Example) -> None:
    """The rule fires for its `fires` examples and not for its `does_not_fire` examples."""
    try:
        deal = example_deal(example)
    except (DealError, ValidationError) as exc:
        pytest.fail(f"{example.location}: {rule.id}: invalid example deal: {exc}")
    hit = screen(deal, rulebook=load_rulebook()).hit(rule.id)
    want = "fire" if example.fires else "not fire"
    got = "fired" if hit is not None else "did not fire"
    assert (hit is not None) == example.fires, (
        f"{example.location}: {rule.id} should {want}, {got} (rule at {rule.location})"
    )


def test_every_rule_has_both_kinds_of_example() -> None:
    """Every shipped rule has at least one `fires` and one `does_not_fire` example."""
    book = load_rulebook()
    missing = [r.id for r in book.rules.values() if {e.fires for e in r.examples} != {True, False}]
    assert missing == []
