"""``assemble()`` reads a hit off its rule's leaves (once-per-rulebook shapes); what it shows is
what the explained tree of the rule shows (``why`` still builds that tree)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from screening import Deal, load_deal, screen
from screening.authoring.fixtures_gen import generate
from screening.engine import consortium
from screening.engine import run as engine
from screening.engine.evaluate import eval_leaf, flatten, render_value
from screening.engine.verdict import Hit
from screening.facts.derive import derive
from screening.facts.sections.base import AtLeast
from screening.model.numbers import Range
from screening.rulebook.conditions import FindingRef, leaves
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


# What assemble() keeps from one screening to the next (issue 14): results that repeat from
# deal to deal are one immutable instance each, and unknown facts are read off sets.


def _deals(n: int = 40) -> list[Any]:
    generated = [Deal.model_validate(d).root for d in generate(n, seed=5)]
    return [load_deal(p) for p in DEALS[::4]] + generated


def test_kept_results_are_what_a_first_screening_makes(rulebook: Any) -> None:
    """Screened with everything kept from earlier screenings, and with nothing kept (and with
    caches so small that they are cleared all the time), every result is the same, byte for
    byte; and the kept instances are shared between results."""
    deals = _deals()
    assembly = engine._assembly(rulebook)
    warm = [screen(d, rulebook=rulebook) for d in deals]
    again = [screen(d, rulebook=rulebook).model_dump_json() for d in deals]
    fresh = []
    for deal in deals:
        assembly.forget()
        fresh.append(screen(deal, rulebook=rulebook).model_dump_json())
    assert again == fresh == [r.model_dump_json() for r in warm]
    # Fewer instances than questions: they repeat from deal to deal.
    shared = {id(q) for r in warm for q in r.open_questions}
    assert len(shared) < sum(len(r.open_questions) for r in warm)
    one, two = (screen(deals[-1], rulebook=rulebook) for _ in range(2))
    assert any(a is b for a, b in zip(one.derived, two.derived, strict=True))
    assert all(a is b for a, b in zip(one.regimes.values(), two.regimes.values(), strict=True))


def test_caches_stay_bounded_and_exact(rulebook: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """With a bound of 3 entries the caches are cleared over and over, and never exceed it;
    the results do not change."""
    deals = _deals(20)
    before = [screen(d, rulebook=rulebook).model_dump_json() for d in deals]
    monkeypatch.setattr(engine, "_KEPT", 3)
    assembly = engine._assembly(rulebook)
    assembly.forget()
    after = [screen(d, rulebook=rulebook).model_dump_json() for d in deals]
    assert after == before
    for kept in (
        assembly._held,
        assembly._regime_results,
        assembly._derived,
        assembly._because,
        assembly._regimes,
        assembly._shown,
        assembly._paths_of,
    ):
        assert len(kept) <= 3
    assert len(engine._NUMBERS) <= 3
    assembly.forget()


def _unknown_reference(ev: Any, rule_id: str, seen: frozenset[str] = frozenset()) -> set[str]:
    """The unknown facts of a rule as they were computed before: leaf by leaf, through every
    finding left unknown."""
    out: set[str] = set()
    for node in leaves(ev.guarded[rule_id]):
        if isinstance(node, FindingRef):
            if node.rule_id not in seen and ev.status.get(node.rule_id) is None:
                out |= _unknown_reference(ev, node.rule_id, seen | {rule_id})
            continue
        value = ev.scope.value(node.path)
        if value is None or (
            isinstance(value, Range | AtLeast)
            and eval_leaf(node, value, rulebook_refs(ev), ev.scope.as_of) is None
        ):
            out.add(node.path)
    return out


def rulebook_refs(ev: Any) -> Any:
    return ev.book.references


def test_unknown_facts_are_the_leaf_by_leaf_walk(rulebook: Any) -> None:
    """For every rule left unknown, the set reading (a closure at once when every finding below
    is unknown, else a walk) gives the paths the leaf-by-leaf walk gives."""
    compared = 0
    for deal in _deals():
        view = derive(deal, rulebook.references, engine.resolve_as_of(deal, None))
        ev = engine.run_rules(rulebook, view)
        engine.assemble(deal, rulebook, ev)  # as a screening does: the hits read first
        for rule_id, status in ev.status.items():
            if status is None:
                assert engine.unknown_facts(ev, rule_id) == sorted(
                    _unknown_reference(ev, rule_id)
                ), rule_id
                compared += 1
    assert compared > 500


@pytest.mark.parametrize(
    "value",
    [
        True,
        False,
        None,
        0,
        7,
        -12,
        10000,
        123456789,
        Decimal("0"),
        Decimal("-0"),
        Decimal("25"),
        Decimal("25.0"),
        Decimal("24.99"),
        Decimal("1E+5"),
        Decimal("12345.678"),
        Decimal("-0.000001"),
        Decimal("1E-9"),
        [],
        ["CN", "RU"],
        ["a.", "b"],
        [True, "x"],
        "text",
        dt.date(2026, 1, 2),
    ],
    ids=repr,
)
@pytest.mark.parametrize("unit", ["", "%", "USD", "t"])
def test_said_is_render_value(value: Any, unit: str) -> None:
    """The words of a value (numbers remembered, lists of strings joined) are render_value's,
    the first time and when remembered."""
    assert engine._said(value, unit) == render_value(value, unit)
    assert engine._said(value, unit) == render_value(value, unit)


def test_templates_render_as_the_part_by_part_loop(rulebook: Any) -> None:
    """Every rule's explanation rendered in one pass is what rendering it part by part with
    render_value gives, on fixture and generated deals."""

    def by_parts(parts: Any, value_of: Any) -> str:
        out = []
        for text, path, unit, stop in parts:
            out.append(text)
            if path:
                value = value_of(path)
                said = value if isinstance(value, str) else render_value(value, unit)
                out.append(said[:-1] if stop and said.endswith(".") else said)
        return "".join(out)

    rendered = 0
    for deal in _deals(10):
        view = derive(deal, rulebook.references, engine.resolve_as_of(deal, None))
        for rule in rulebook.rules.values():
            shape = engine._Shape(rulebook.rules, rulebook.references, rule)
            assert shape.template.render(view.get) == by_parts(shape.parts, view.get)
            assert list(shape.hit) == list(Hit.model_fields)
            rendered += 1
    assert rendered > 1000


def test_unknown_facts_when_not_every_fact_was_read(rulebook: Any) -> None:
    """The unknown facts of a rule are the same when the screening has not read every fact its
    leaves read (the masks are then made path by path, reading what is missing)."""
    compared = 0
    for deal in _deals(15):
        view = derive(deal, rulebook.references, engine.resolve_as_of(deal, None))
        ev = engine.run_rules(rulebook, view)
        unknown = [r for r, s in ev.status.items() if s is None]
        whole = {r: engine.unknown_facts(ev, r) for r in unknown}
        values = ev.scope._values
        for i, path in enumerate(list(values)):
            if i % 3:
                del values[path]  # as if never read
        ev.unknown.clear()
        for rule_id in unknown:
            assert engine.unknown_facts(ev, rule_id) == whole[rule_id], rule_id
            compared += 1
    assert compared > 300


def test_resting_is_read_off_the_window_slots(rulebook: Any) -> None:
    """The regimes resting on a date, looked up by its slot between window dates, are those
    with no outcome rule in force that day, on and around every date a window starts or ends."""
    assembly = engine._assembly(rulebook)
    plan = engine._plan(rulebook)
    days = {dt.date.min, dt.date.max, dt.date(2026, 12, 1)}
    for rules in plan.outcome_rules.values():
        for rule in rules:
            for day in (rule.effective_from, rule.effective_to):
                if day is not None:
                    days.update({day, day - dt.timedelta(days=1), day + dt.timedelta(days=1)})
    assert len(days) > 5
    for day in sorted(days):
        in_force = {
            regime
            for regime, rules in plan.outcome_rules.items()
            if any(
                (r.effective_from is None or r.effective_from <= day)
                and (r.effective_to is None or day < r.effective_to)
                for r in rules
            )
        }
        assert assembly.resting(day) == set(plan.outcome_rules) - in_force, day


def test_kept_regimes_are_what_working_them_out_gives(rulebook: Any) -> None:
    """A regime's questions, exemptions and result kept by what they are made of: with the
    store warm (and reused), emptied before every deal and never used (a key that never
    matches), every result is the same, byte for byte."""
    deals = _deals(60)
    assembly = engine._assembly(rulebook)
    for deal in deals:
        screen(deal, rulebook=rulebook)
    warm = [screen(d, rulebook=rulebook).model_dump_json() for d in deals]
    assert len(assembly._regimes) > 10
    emptied = []
    for deal in deals:
        assembly._regimes.clear()
        emptied.append(screen(deal, rulebook=rulebook).model_dump_json())
    reads = assembly.regime_reads
    try:
        # Every key a new one: each regime worked out afresh.
        assembly.regime_reads = {
            regime: (lambda status: (object(),), facts, other, other_facts)
            for regime, (_statuses, facts, other, other_facts) in reads.items()
        }
        never = [screen(d, rulebook=rulebook).model_dump_json() for d in deals]
    finally:
        assembly.regime_reads = reads
        assembly._regimes.clear()
    assert warm == emptied == never


def test_kept_conditions_shown_are_what_working_them_out_gives(rulebook: Any) -> None:
    """A hit's conditions shown kept by its leaves' values and its findings' statuses: warm,
    emptied before every deal and never kept (no rule's reads), every result is the same."""
    deals = _deals(60)
    assembly = engine._assembly(rulebook)
    for deal in deals:
        screen(deal, rulebook=rulebook)
    warm = [screen(d, rulebook=rulebook).model_dump_json() for d in deals]
    assert len(assembly._shown) > 10
    emptied = []
    for deal in deals:
        assembly._shown.clear()
        emptied.append(screen(deal, rulebook=rulebook).model_dump_json())
    reads = {rule_id: shape.reads for rule_id, shape in assembly.shapes.items()}
    try:
        for shape in assembly.shapes.values():
            shape.reads = None
        never = [screen(d, rulebook=rulebook).model_dump_json() for d in deals]
    finally:
        for rule_id, shape in assembly.shapes.items():
            shape.reads = reads.get(rule_id, shape.reads)
    assert warm == emptied == never


def test_kept_regimes_when_not_every_fact_was_read(rulebook: Any) -> None:
    """A regime's outcome is kept by which of its facts are unknown, read off the screening's
    mask of unknown facts: when the screening has not read every fact (some regimes' bits then
    unread), those regimes are worked out and every result is what a full screening gives."""
    deals = [d for d in _deals(20) if not consortium.is_consortium(d)]  # (screened alone)
    expected = [screen(d, rulebook=rulebook).model_dump_json(exclude={"summary"}) for d in deals]
    got = []
    for deal in deals:
        view = derive(deal, rulebook.references, engine.resolve_as_of(deal, None))
        ev = engine.run_rules(rulebook, view)
        values = ev.scope._values
        for i, path in enumerate(list(values)):
            if i % 4 == 1:
                del values[path]  # as if never read
        got.append(engine.assemble(deal, rulebook, ev).model_dump_json(exclude={"summary"}))
    assert got == expected
