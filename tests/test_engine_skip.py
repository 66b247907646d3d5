"""Facts left out of the engine by value (issue 14): a refined requirement is never stronger
than what durable-rules itself needs to fire a rule, and the evaluator's effective-date short
cut decides every rule as the status closures do.

The skip test on real deals (every skipped fact asserted after all fires nothing) is in
tests/test_engine_text.py; it runs on the refined requirements the plan now holds.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screening import load_rulebook
from screening.engine import _durable
from screening.engine import run as engine
from screening.engine.compiler import (
    cannot_match,
    holds,
    refinement,
    requirement,
    ruleset_requirements,
)
from screening.engine.evaluate import Scope, status_function, stratum_function
from screening.facts.derive import derive
from screening.facts.sections.base import AtLeast, Tri
from screening.rulebook.conditions import All, AnyOf, Condition, FindingRef, Leaf
from tests.test_engine_text import _records

# Every test the compiler writes that a refinement reads the value of, on key `a.x`.
_REFINED_TESTS: list[dict[str, Any]] = [
    {"a.x": True},
    {"a.x": False},
    {"$neq": {"a.x": True}},
    {"$neq": {"a.x": False}},
    {"$iany": {"a.x": {"$i": "q"}}},
    {"$iany": {"a.x": {"$and": [{"$or": [{"$i": "q"}, {"$i": "r"}]}, {"$ex": {"$i": 1}}]}}},
    {"$lt": {"a.x": 20200213}},
    {"$lte": {"a.x": 20200213}},
    {"$gt": {"a.x": 20200213}},
    {"$gte": {"a.x": 20200213}},
]
_RULESET = f"refined_{id(object())}"
_RULES = {
    f"+r{i}": {"all": [{"m": {"$and": [{"t": "deal"}, test]}}], "run": f"+r{i}"}
    for i, test in enumerate(_REFINED_TESTS)
}


def _token_holds(how: str, value: Any) -> bool:
    """Whether run.py gives a fact whose `a.x` is ``value`` the token ``a.x<how>`` (the
    rules of _engine_values and _present, restated)."""
    if how == "=T":
        return value is True or value.__class__ is not bool
    if how == "=F":
        return value is False or value.__class__ is not bool
    if how == "=+":
        return not (isinstance(value, list) and not value)
    # An order: run.py gives the screening date's tokens from its integer code, and every
    # order token when it is not a date (the core orders `false` below 1, for one).
    return value.__class__ is not int or holds(how, value)


_VALUES = (
    st.booleans()
    | st.integers(min_value=20200210, max_value=20200216)
    | st.integers(min_value=-(2**40), max_value=2**40)
    | st.sampled_from(["q", "r", "", "true"])
    | st.lists(st.sampled_from(["q", "r", "s"]), max_size=3)
)


@settings(max_examples=300, deadline=None)
@given(_VALUES)
def test_a_rule_the_core_fires_has_its_refined_tokens(value: Any) -> None:
    """For each refined test and any value: if the core fires the rule, the fact has the token
    its requirement asks for (so a fact without it is rightly left out)."""
    _durable.register({_RULESET: _RULES})
    body = '{"t": "deal", "a": {"x": ' + json.dumps(value) + "}"
    fired = set(_durable.run_text(_RULESET, body))
    for i, test in enumerate(_REFINED_TESTS):
        ((atom,),) = requirement(test, refine=True)
        key, _tab, how = atom.partition("\t")
        assert key == "a.x" and how, test
        if f"+r{i}" in fired:
            assert _token_holds(how, value), (test, value)


def test_refined_tests_do_fire() -> None:
    """The refinements are not vacuous: each test fires on a value with its token."""
    _durable.register({_RULESET: _RULES})
    examples = {"=T": True, "=F": False, "=+": ["q"]}
    for i, test in enumerate(_REFINED_TESTS):
        ((atom,),) = requirement(test, refine=True)
        how = atom.partition("\t")[2]
        value = examples.get(how, 20200213 if "=" in how else 20200212 if "<" in how else 20200214)
        body = '{"t": "deal", "a": {"x": ' + json.dumps(value) + "}"
        assert f"+r{i}" in _durable.run_text(_RULESET, body), (test, value)


def test_refinements() -> None:
    assert refinement("==", True) == "=T"
    assert refinement("==", False) == "=F"
    assert refinement("$neq", True) == "=F"
    assert refinement("$neq", False) == "=T"
    assert refinement("$iany", {"$i": "q"}) == "=+"
    assert refinement("$gte", 20240623) == ">=20240623"
    assert refinement("$lt", 5) == "<5"
    # No refinement: strings, numbers tested for (in)equality, booleans ordered, `$iall`, `$ex`.
    for test, literal in [
        ("==", "CN"),
        ("==", 3),
        ("$neq", 3),
        ("$gte", True),
        ("$iall", {"$neq": {"$i": "q"}}),
        ("$ex", 1),
    ]:
        assert refinement(test, literal) == ""
    assert holds("<5", 4) and not holds("<5", 5)
    assert holds("<=5", 5) and not holds("<=5", 6)
    assert holds(">5", 6) and not holds(">5", 5)
    assert holds(">=5", 5) and not holds(">=5", 4)
    with pytest.raises(ValueError):
        holds("=T", 1)
    # Without `refine` nothing changes; with it, an `$or` still needs only one alternative.
    expr = {"$or": [{"a.x": True}, {"$gte": {"a.y": 3}}, {"$iany": {"a.z": {"$i": "q"}}}]}
    assert requirement(expr) == (frozenset({"a.x", "a.y", "a.z"}),)
    assert requirement(expr, refine=True) == (frozenset({"a.x\t=T", "a.y\t>=3", "a.z\t=+"}),)


def test_a_refinement_applies_only_where_run_gives_its_token() -> None:
    """`=T`/`=F`/`=+` refine a path asserted under its own name and a finding; an order refines
    only the screening date; anything else is weakened back to the bare path (asserts more)."""
    book = load_rulebook()
    plan = engine._plan(book)
    tokens = {
        token
        for needs in plan.requirements.values()
        for rule in needs or ()
        for clause in rule
        for token in clause
    }
    assert any(t.startswith("deal.as_of>=") for t in tokens)
    assert any(t.endswith("=+") for t in tokens)
    assert any(t.startswith("?") and t.endswith("=F") for t in tokens)
    paths = set(plan.paths)
    for token in tokens:
        if token.startswith("?"):
            assert token.endswith(("=T", "=F")) or token[1:] in book.rules, token
            continue
        for sep in ("=T", "=F", "=+", "<", ">"):
            head = token.split(sep, 1)[0]
            if head != token:
                assert head in paths, token
                if sep in ("<", ">"):
                    assert head == "deal.as_of", token
                break
        else:
            assert token in paths, token
    # The ranged `__lo`/`__hi` keys of a path are never refined (their owner is not the key).
    for rs in engine.compiled(book):
        needs = ruleset_requirements(rs, refine=True)
        for rule in needs or ():
            for clause in rule:
                assert not any("__" in token for token in clause), clause


def test_refined_requirements_skip_more_facts_than_presence() -> None:
    """On fixture and generated deals the refined requirements leave out more facts than the
    bare presence of keys did, and never one that presence alone would keep while a rule of it
    fires (checked by asserting it: tests/test_engine_text.py)."""
    book = load_rulebook()
    plan = engine._plan(book)
    bare = {rs.name: ruleset_requirements(rs) for rs in engine.compiled(book)}
    skipped_bare = skipped_refined = 0
    for record in _records()[:80]:
        view = derive(record, book.references, engine.resolve_as_of(record, None))
        ev = engine.Evaluation(book, view)
        _written, present = engine._present(plan, view, ev.scope)
        for name, needs in plan.requirements.items():
            if "_s0_" not in name:
                continue  # stratum 0 only: no findings decided yet
            skipped_refined += needs is not None and cannot_match(needs, present)
            old = bare[name]
            skipped_bare += old is not None and cannot_match(old, present)
    assert skipped_refined > skipped_bare


def _leaf(path: str, op: str, value: Any) -> Leaf:
    return Leaf(path, op, value, f"{path} {op} {value}", "test", None, path == "deal.as_of")


class _View:
    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values
        self.deal = type("D", (), {"as_of": values.get("deal.as_of")})()

    def get(self, path: str) -> Any:
        return self.values.get(path)


_SINCE, _UNTIL = dt.date(2020, 2, 13), dt.date(2025, 4, 8)


@pytest.mark.parametrize(
    "as_of",
    [None, dt.date(2019, 1, 1), _SINCE, dt.date(2024, 1, 1), _UNTIL, dt.date(2026, 1, 1)],
)
@pytest.mark.parametrize("pre_read", [True, False])
@pytest.mark.parametrize("x", [None, True, False])
def test_effective_dates_decide_as_the_closures_do(
    as_of: dt.date | None, pre_read: bool, x: Any
) -> None:
    """A rule's leading effective dates, decided once per rule, give the closures' statuses."""
    since = _leaf("deal.as_of", ">=", _SINCE)
    until = _leaf("deal.as_of", "<", _UNTIL)
    body = _leaf("a.x", "==", True)
    rules: list[tuple[str, Condition, bool]] = [
        ("r.both", All((since, until, body), "t"), True),
        ("r.since", All((since, body), "t"), True),
        ("r.until", All((until, body), "t"), False),
        ("r.any", AnyOf((since, body), "t"), True),  # not an `all`: no short cut
        ("r.later", All((body, since), "t"), True),  # dates not leading: no short cut
        ("r.neg", All((since, FindingRef("r.both", True, "t", "t")), "t"), True),
    ]
    values = {"deal.as_of": as_of, "a.x": x}
    expected: dict[str, Tri] = {}
    reference = Scope(_View(values), expected, None)  # type: ignore[arg-type]
    for rule_id, cond, _ in rules:
        expected[rule_id] = status_function(cond)(reference)
    got: dict[str, Tri] = {}
    scope = Scope(_View(values), got, None)  # type: ignore[arg-type]
    if pre_read:
        scope.remember_read(dict(values))
    true, false = stratum_function(rules)(scope)
    assert got == expected
    assert true == [r for r, s in expected.items() if s is True]
    assert false == [r for r, s in expected.items() if s is False and r != "r.until"]


def test_a_fixture_screens_the_same_in_a_batch() -> None:
    """run_rules_many reads the same refined tokens per deal as run_rules."""
    book = load_rulebook()
    records = _records()[:12]
    views = [
        derive(r, book.references, engine.resolve_as_of(r, None), reads=engine.read_paths(book))
        for r in records
    ]
    single = [engine.run_rules(book, v).status for v in views]
    many = [ev.status for ev in engine.run_rules_many(book, views)]
    assert many == single


@pytest.mark.parametrize("op", ["contains", "contains any", "contains none", "in", "not in"])
@pytest.mark.parametrize(
    "x", [None, [], ["q"], ["r", "s"], ["s"], "q", "s", AtLeast(known=["q"]), AtLeast()]
)
def test_literal_list_tests_decide_as_the_closures_do(op: str, x: Any) -> None:
    """A literal list tested as a set made once gives eval_leaf's status for every value."""
    if (op in ("in", "not in")) != isinstance(x, str | None):
        return  # each operator on the values it is written for
    leaf = Leaf("a.x", op, ("q", "r"), "t", "test")
    rules: list[tuple[str, Condition, bool]] = [
        ("r.leaf", leaf, True),
        ("r.all", All((leaf, _leaf("a.y", "==", True)), "t"), True),
        ("r.any", AnyOf((All((leaf, leaf), "t"), _leaf("a.y", "==", False)), "t"), True),
    ]
    values = {"a.x": x, "a.y": True}
    expected: dict[str, Tri] = {}
    reference = Scope(_View(values), expected, None)  # type: ignore[arg-type]
    for rule_id, cond, _ in rules:
        expected[rule_id] = status_function(cond)(reference)
    for pre_read in (True, False):
        got: dict[str, Tri] = {}
        scope = Scope(_View(values), got, None)  # type: ignore[arg-type]
        if pre_read:
            scope.remember_read(dict(values))
        stratum_function(rules)(scope)
        assert got == expected


def test_screening_date_tokens_per_slot_are_each_dates() -> None:
    """The tokens kept per span between the tested dates are those each date passes."""
    book = load_rulebook()
    plan = engine._plan(book)
    assert plan.date_tests
    view = derive(_records()[0], book.references, dt.date(2024, 6, 1))
    days = [dt.date(2016, 8, 30) + dt.timedelta(days=n) for n in range(0, 3700, 3)]
    days += [dt.date(p // 10000, p // 100 % 100, p % 100) for p in plan.date_points]
    days += [d + dt.timedelta(days=1) for d in days[-len(plan.date_points) :]]
    for day in days:
        scope = Scope(
            view.model_copy(update={"deal": view.deal.model_copy(update={"as_of": day})}),
            {},
            book.references,
        )
        _written, present = engine._present(plan, scope.view, scope)
        code = day.year * 10000 + day.month * 100 + day.day
        expected = {t for t, how in plan.date_tests if holds(how, code)}
        assert {
            t for t in present if t.startswith("deal.as_of") and t != "deal.as_of"
        } == expected, day
