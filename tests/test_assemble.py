"""``assemble()`` reads a hit off its rule's leaves (once-per-rulebook shapes); what it shows is
what the explained tree of the rule shows (``why`` still builds that tree)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from screening import load_deal, screen
from screening.engine import run as engine
from screening.engine.evaluate import flatten
from screening.facts.derive import derive
from screening.rulebook.conditions import FindingRef
from tests.conftest import FIXTURES

DEALS = sorted(FIXTURES.glob("*.yaml"))


@pytest.mark.parametrize("path", DEALS[::3], ids=lambda p: p.stem)
def test_hits_show_what_the_explained_trees_show(path: Path, rulebook: Any) -> None:
    """Every hit: its conditions are the held conditions of the rule's explained outcome (which
    must reach the decided status, or ``ev.outcomes`` raises), its findings the held ``finding``
    leaves of that outcome, its explanation the rendered template."""
    deal = load_deal(path)
    view = derive(deal, rulebook.references, engine.resolve_as_of(deal, None))
    ev = engine.run_rules(rulebook, view)
    result = engine.assemble(deal, rulebook, ev)
    for hit in result.hits:
        outcome = ev.outcomes[hit.rule_id]
        conditions = engine._conditions(ev, outcome, only_held=True)
        assert hit.conditions == conditions
        assert list(hit.facts) == list(dict.fromkeys(c.path for c in conditions if c.path))
        stood_on = sorted(
            leaf.node.rule_id
            for leaf in flatten(outcome)
            if isinstance(leaf.node, FindingRef) and not leaf.node.negated and leaf.status is True
        )
        assert [b.rule_id for b in hit.because] == stood_on
        explain = rulebook.rules[hit.rule_id].explain
        assert hit.explanation == engine.render_template(explain, view)


def test_the_fixtures_above_have_hits() -> None:
    """The comparison above is not vacuous: most fixtures sampled fire rules with conditions."""

    shown = [sum(len(h.conditions) for h in screen(load_deal(p)).hits) for p in DEALS[::3]]
    assert sum(1 for n in shown if n) > len(shown) // 2


def test_held_leaf_texts_are_render_leaf_split_around_the_value(rulebook: Any) -> None:
    """A held leaf's text is cut from render_leaf's own words once per rule; every leaf of the
    shipped rules is cut (none falls back to render_leaf at each hit)."""
    assembly = engine._assembly(rulebook)
    cut = 0
    for rule_id in rulebook.rules:
        for node, _group, held, _state, before, after, _unit in assembly.shape(rule_id).conditions:
            if held is None:  # a leaf (a finding carries its condition)
                assert before is not None, f"{rule_id}: {node}"
                assert engine._SEEN not in before + after
                cut += 1
    assert cut > 100
