"""The memo states a failed fact as ``render_leaf`` does, cut before what the rule needs; its
compiled words (static parts rendered once per leaf) must be that string for every leaf of the
shipped rulebook and any value."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from screening import load_rulebook
from screening.engine.evaluate import render_leaf
from screening.engine.memo import _fact_words
from screening.facts.sections.base import AtLeast
from screening.model.numbers import Range
from screening.rulebook.conditions import Leaf, leaves

VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    7,
    25000,
    Decimal("12.5"),
    Decimal("0.000001"),
    "CN",
    "a name (the rule needs it)",
    "",
    [],
    ["CN", "RU"],
    (),
    dt.date(2025, 1, 2),
    Range(min=Decimal("10"), max=Decimal("30")),
    Range(more_than=Decimal("50")),
    AtLeast(known=["CN"]),
    AtLeast(),
]


def test_compiled_fact_words_are_render_leaf_cut_at_what_the_rule_needs() -> None:
    book = load_rulebook()
    as_of = dt.date(2026, 1, 1)
    seen: set[tuple[str, str, str, str | None]] = set()
    checked = 0
    for rule in book.rules.values():
        for node in leaves(rule.when):
            if not isinstance(node, Leaf) or node.synthetic:
                continue
            shape = (node.path, node.op, repr(node.value), node.ref)
            if shape in seen:
                continue
            seen.add(shape)
            say = _fact_words(node)
            assert say is not None, node.path  # every shipped fact has a known field
            for value in VALUES:
                full = render_leaf(node, value, False, book.references, as_of)
                assert say(value) == full.split(" (the rule needs ")[0], (node, value)
                checked += 1
    assert checked > 100 * len(VALUES) // 2  # the rulebook's facts, each with every value
