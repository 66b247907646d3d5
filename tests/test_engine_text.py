"""The lean engine path (issue 14): engine facts written as JSON text, every stratum's statuses
in one generated function, and the set-wise cross-check; each is the slower reference exactly."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from screening import Deal, load_deal, load_rulebook, screen
from screening.authoring.fixtures_gen import generate
from screening.engine import _durable
from screening.engine import run as engine
from screening.engine.compiler import (
    cannot_match,
    engine_value,
    fact_from_spec,
    fact_spec,
    fact_writer,
    json_text,
    members,
    path_keys,
    requirement,
)
from screening.engine.evaluate import Scope, status_function, stratum_function
from screening.errors import EngineError
from screening.facts.derive import derive
from screening.facts.sections.base import Tri
from screening.model.numbers import Range
from screening.rulebook.conditions import All, AnyOf, Condition, FindingRef, Leaf

ROOT = Path(__file__).resolve().parent.parent


def _records() -> list[Any]:
    fixtures = [load_deal(p) for p in sorted((ROOT / "fixtures" / "deals").glob("*.yaml"))]
    return fixtures + [Deal.model_validate(d).root for d in generate(60, seed=13)]


def _views() -> list[Any]:
    book = load_rulebook()
    plan = engine._plan(book)
    return [
        derive(r, book.references, engine.resolve_as_of(r, None), reads=plan.read_paths)
        for r in _records()
    ]


def test_fact_text_is_what_json_dumps_writes() -> None:
    """For every ruleset and deal, the fact text is json.dumps of the reference fact dict, and
    the generated writer of the ruleset's layout writes the same text."""
    book = load_rulebook()
    plan = engine._plan(book)
    rulesets = engine.compiled(book)
    findings_ids = sorted(plan.finding_text)
    writers = {rs.name: fact_writer(plan.layouts[rs.name]) for rs in rulesets}
    for n, view in enumerate(_views()):
        scope = Scope(view, {}, book.references)
        written = engine._engine_values(plan, view, scope)
        values = {p: engine_value(scope.value(p)) for p in plan.paths}
        # Findings true, false and unknown in turn (the engine's statuses are Tri).
        tri: dict[str, Tri] = {
            f: (True, False, None)[(i + n) % 3] for i, f in enumerate(findings_ids)
        }
        texts = {f: plan.finding_text[f][0 if s else 1] for f, s in tri.items() if s is not None}
        for rs in rulesets:
            expected = json.dumps(
                {**fact_from_spec(fact_spec(rs), values, tri), "sid": "s1", "id": "f1"},
                ensure_ascii=False,
            )
            text = engine.fact_text(plan.layouts[rs.name], written, texts)
            assert f'{text}, "sid": "s1", "id": "f1"}}' == expected
            assert writers[rs.name](written, texts) == text  # the generated writer


_SCALARS = (
    st.text()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.none()
    | st.decimals(allow_nan=False, allow_infinity=False).map(str)
)


@given(st.one_of(_SCALARS, st.lists(st.text()), st.lists(_SCALARS), st.tuples(_SCALARS, _SCALARS)))
def test_json_text_is_json_dumps(value: Any) -> None:
    assert json_text(value) == json.dumps(value, ensure_ascii=False)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("x.plain", 'Zürich "Co"\n'),
        ("x.plain", ["CN", "RU"]),
        ("x.plain", []),
        ("x.plain", 12),
        ("x.ranged", (None, None)),
        ("x.ranged", (None, 4)),
        ("x.ranged", (3, None)),
        ("x.ranged", (3, 4)),
        ("x.ranged", 5),
        ("x.partial", ("partial", ["a"])),
        ("x.partial", ["a", "b"]),
    ],
)
def test_members_are_the_reference_section(path: str, value: Any) -> None:
    """Each kind of path writes the members fact_from_spec puts in its section."""
    ranged, partial = frozenset({"x.ranged"}), frozenset({"x.partial"})
    name = path.split(".")[1]
    text = members(path_keys(path, name, ranged, partial), value)
    section = json.dumps(
        fact_from_spec(
            (
                (
                    (
                        path,
                        "x",
                        1 if path in ranged else 2 if path in partial else 0,
                        *_keys(path, name, ranged, partial),
                    ),
                ),
                (),
            ),
            {path: value},
            {},
        )["x"],
        ensure_ascii=False,
    )
    assert "{" + text + "}" == section


def _keys(path: str, name: str, ranged: frozenset[str], partial: frozenset[str]) -> list[str]:
    if path in ranged:
        return [f"{name}__lo", f"{name}__hi", ""]
    if path in partial:
        return [name, f"{name}__n", f"{name}__partial"]
    return [name, f"{name}__n", ""]


def test_stratum_functions_are_the_status_closures() -> None:
    """Statuses, their order, and the reference lists read (short cuts kept) are the same."""
    book = load_rulebook()
    plan = engine._plan(book)
    for view in _views():
        closure_status: dict[str, Tri] = {}
        closures = Scope(view, closure_status, book.references)
        for _rulesets, rules in plan.strata:
            for rule in rules:
                closure_status[rule.id] = status_function(rule.guarded)(closures)
        generated_status: dict[str, Tri] = {}
        generated = Scope(view, generated_status, book.references)
        for program in plan.programs:
            program(generated)
        assert list(generated_status.items()) == list(closure_status.items())
        assert generated.lists_read() == closures.lists_read()


def _leaf(path: str, op: str, value: Any) -> Leaf:
    return Leaf(path, op, value, f"{path} {op} {value}", "test")


class _View:
    """A stand-in fact view: ``get`` reads a dict."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values
        self.deal = type("D", (), {"as_of": dt.date(2025, 1, 1)})()

    def get(self, path: str) -> Any:
        return self.values.get(path)


def _deep(depth: int) -> Condition:
    cond: Condition = _leaf("a.x", ">=", Decimal(5))
    for level in range(depth):
        other = _leaf("a.y", "==", level % 2 == 0)
        cond = All((cond, other), "t") if level % 2 else AnyOf((other, cond), "t")
    return cond


@pytest.mark.parametrize("depth", [0, 3, 30])
@pytest.mark.parametrize(
    "x",
    [
        None,
        Decimal(4),
        Decimal(5),
        7,
        Range(min=Decimal(1), max=Decimal(9)),
        Range(more_than=Decimal(5)),
    ],
)
@pytest.mark.parametrize("y", [None, True, False])
def test_generated_statuses_for_any_value_and_nesting(depth: int, x: Any, y: Any) -> None:
    """Comparisons, ranges, unknowns, findings and trees deeper than Python nests loops."""
    cond = _deep(depth)
    rules: list[tuple[str, Condition, bool]] = [
        ("r.cond", cond, True),
        ("r.neg", All((FindingRef("r.cond", True, "t", "t"), _leaf("a.x", "<", 6)), "t"), True),
        ("r.any", AnyOf((), "t"), False),
        ("r.all", All((), "t"), False),
    ]
    program = stratum_function(rules)
    expected: dict[str, Tri] = {}
    reference = Scope(_View({"a.x": x, "a.y": y}), expected, None)  # type: ignore[arg-type]
    for rule_id, c, _ in rules:
        expected[rule_id] = status_function(c)(reference)
    got: dict[str, Tri] = {}
    true, false = program(Scope(_View({"a.x": x, "a.y": y}), got, None))  # type: ignore[arg-type]
    assert got == expected
    assert true == [r for r, s in expected.items() if s is True]
    assert false == [r for r, s in expected.items() if s is False and r in ("r.cond", "r.neg")]


def test_run_text_is_run() -> None:
    """The text entry point fires what the dict one does, and empties its session."""
    name = f"text_{id(object())}"
    rule = {"all": [{"m": {"$and": [{"t": "deal"}, {"a.x": 1}]}}], "run": "+r"}
    _durable.register({name: {"+r": rule}})
    assert _durable.run_text(name, '{"t": "deal", "a": {"x": 1}') == ["+r"]
    assert _durable.session_facts(name, _durable.KEPT) == []
    assert _durable.run(name, {"a": {"x": 1}}) == ["+r"]
    assert _durable.session_facts(name, _durable.KEPT) == []
    assert _durable.run_text(name, '{"t": "deal", "a": {"x": 2}') == []
    assert _durable.run_many_text(name, ['{"t": "deal", "a": {"x": 1}', '{"t": "deal"']) == [
        ["+r"],
        [],
    ]
    with pytest.raises(EngineError):
        _durable.run_text(name, '{"a": {"x": 1}')
    with pytest.raises(EngineError):
        _durable.run_text(name, '{"t": "deal", "a": ')  # not JSON: the core refuses it


def test_a_rule_the_engine_misses_is_a_disagreement(monkeypatch: pytest.MonkeyPatch) -> None:
    """The set-wise cross-check still names the rule: one hit dropped by the engine fails."""
    records = _records()
    book = load_rulebook()
    deal = next(r for r in records if screen(r, rulebook=book).hits)
    hit = screen(deal, rulebook=book).hits[0].rule_id
    real = _durable.run_text

    def dropping(ruleset: str, body: str) -> list[str]:
        return [a for a in real(ruleset, body) if a != f"+{hit}"]

    monkeypatch.setattr(_durable, "run_text", dropping)
    with pytest.raises(EngineError, match=f"disagree on `{hit}`.*engine None, evaluator True"):
        screen(deal, rulebook=book)


def test_a_spurious_refutation_is_a_disagreement(monkeypatch: pytest.MonkeyPatch) -> None:
    """A finding the engine refutes while the evaluator holds it (or leaves it open) fails."""
    book = load_rulebook()
    plan = engine._plan(book)
    deal = _records()[0]
    view = derive(deal, book.references, engine.resolve_as_of(deal, None))
    status = engine.evaluate_rules(book, view).status
    finding = next(f for f in sorted(plan.complemented) if status[f] is not False)
    real = _durable.run_text

    def refuting(ruleset: str, body: str) -> list[str]:
        out = real(ruleset, body)
        if any(rs.name == ruleset and finding in rs.complements for rs in engine.compiled(book)):
            out = [a for a in out if a[1:] != finding] + [f"-{finding}"]
        return out

    monkeypatch.setattr(_durable, "run_text", refuting)
    with pytest.raises(EngineError, match=f"disagree on `{finding}`"):
        engine.run_rules(book, view)


# Facts no rule can match are not asserted (compiler.requirement): the premise, that the core
# never matches a test of an absent key, for every test the compiler writes; and the skip, on
# real deals, never leaves out a fact that would have fired anything.

_ABSENT_KEY_TESTS = {
    "eq": {"a.x": 1},
    "eq_bool": {"a.x": True},
    "neq": {"$neq": {"a.x": 1}},
    "lt": {"$lt": {"a.x": 1}},
    "lte": {"$lte": {"a.x": 1}},
    "gt": {"$gt": {"a.x": 1}},
    "gte": {"$gte": {"a.x": 1}},
    "ex": {"$ex": {"a.x": 1}},
    "iany": {"$iany": {"a.x": {"$i": "q"}}},
    "iall": {"$iall": {"a.x": {"$neq": {"$i": "q"}}}},
    "finding": {"findings.f": False},
}


@pytest.mark.parametrize("test", sorted(_ABSENT_KEY_TESTS))
def test_the_core_never_matches_a_test_of_an_absent_key(test: str) -> None:
    name = f"absent_{test}_{id(object())}"
    rule = {"all": [{"m": {"$and": [{"t": "deal"}, _ABSENT_KEY_TESTS[test]]}}], "run": "+r"}
    _durable.register({name: {"+r": rule}})
    for body in ('{"t": "deal"', '{"t": "deal", "a": {"y": 1}', '{"t": "deal", "findings": {}'):
        assert _durable.run_text(name, body) == []
    assert requirement({"$and": [{"t": "deal"}, _ABSENT_KEY_TESTS[test]]}) == (
        frozenset({"t"}),
        frozenset({"findings.f" if test == "finding" else "a.x"}),
    )


def test_requirements_are_never_stronger_than_the_expression() -> None:
    assert requirement({"$or": [{"a.x": 1}, {"$and": [{"a.y": 1}, {"a.z": 2}]}]}) == (
        frozenset({"a.x", "a.y"}),
    )
    assert requirement({"$or": [{"a.x": 1}, {"t": "deal"}]}) == (frozenset({"a.x", "t"}),)
    assert requirement({"$or": [{"a.x": 1}, {"$nex": {"a.y": 1}}]}) == ()
    assert requirement({"$nex": {"a.y": 1}}) == ()
    assert requirement({"a.x": 1, "a.y": 2}) == ()
    assert requirement({"$and": [{"a.x": 1}, {"$gte": {"a.x": 2}}]}) == (frozenset({"a.x"}),)
    assert cannot_match(((frozenset({"p"}),), (frozenset({"q", "r"}),)), {"s"})
    assert not cannot_match(((frozenset({"p"}),), (frozenset({"q", "r"}),)), {"r"})


def test_a_skipped_fact_would_have_fired_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every fact left out on fixture and generated deals, asserted after all, fires nothing."""
    book = load_rulebook()
    plan = engine._plan(book)
    # Past the screening that writes the plan's functions out (it would replace the wrapper).
    monkeypatch.setattr(plan, "screenings", max(plan.screenings, engine.GENERATE_AFTER))
    layouts = {rs.name: rs for rs in engine.compiled(book)}
    skipped: list[tuple[str, str]] = []

    def recording(select: Any, stratum: int) -> Any:
        def selecting(present: set[str]) -> list[Any]:
            out = select(present)
            chosen = {name for name, _layout in out}
            for name, _layout, _needs, _first in plan.engine_strata[stratum]:
                if name not in chosen:
                    # The fact as it would have been written (the findings decided so far).
                    skipped.append((name, engine.fact_text(plan.layouts[name], *state[0])))
            return out

        return selecting

    state: list[tuple[dict[str, str], dict[str, str]]] = []
    real_values = engine._engine_values

    def values(p: Any, view: Any, scope: Any, *tokens: Any) -> dict[str, str]:
        written = real_values(p, view, scope, *tokens)
        state[:] = [(written, findings)]
        return written

    findings: dict[str, str] = {}
    real_decide = engine._decide

    def decide(
        ev: Any, stratum: int, fired: Any, refuted: Any, found: Any, check: bool, present: Any
    ) -> None:
        real_decide(ev, stratum, fired, refuted, found, check, present)
        findings.clear()
        findings.update(found)

    monkeypatch.setattr(
        plan, "selectors", [recording(select, i) for i, select in enumerate(plan.selectors)]
    )
    monkeypatch.setattr(engine, "_engine_values", values)
    monkeypatch.setattr(engine, "_decide", decide)
    for record in _records():
        findings.clear()
        screen(record, rulebook=book)
    assert len(skipped) > len(_records())  # facts are skipped, several per deal
    assert {name for name, _ in skipped} <= set(layouts)
    for name, body in skipped:
        assert _durable.run_text(name, body) == [], (name, body)


def test_the_kept_session_fires_what_a_fresh_session_fires() -> None:
    """Every ruleset's fact for fixture and generated deals, asserted one after another into
    the ruleset's kept session, runs exactly the actions it runs in a session of its own (a
    batch of one), and leaves the kept session empty."""
    book = load_rulebook()
    calls: list[tuple[str, str]] = []
    real = _durable.run_text

    def recording(name: str, body: str) -> list[str]:
        calls.append((name, body))
        return real(name, body)

    for view in _views()[:40]:
        _durable.run_text = recording
        try:
            engine.run_rules(book, view)
        finally:
            _durable.run_text = real
    assert len({name for name, _body in calls}) > 5
    for name, body in calls:
        kept = _durable.run_text(name, body)
        (alone,) = _durable.run_many_text(name, [body])
        assert sorted(kept) == sorted(alone), (name, body)
    for name in {name for name, _body in calls}:
        assert _durable.session_facts(name, _durable.KEPT) == []


@pytest.mark.parametrize(
    "members",
    [
        {},
        {"a.x": ""},
        {"a.x": "", "a.y": '"y": 1'},
        {"a.y": '"y": 1', "b.z": '"z": true'},
        {"a.x": '"x": 2', "a.y": '"y": 1', "b.z": ""},
    ],
)
@pytest.mark.parametrize("findings", [{}, {"f.a": '"f.a": true'}, {"f.b": '"f.b": false'}])
def test_a_fact_writer_is_fact_text(members: dict[str, str], findings: dict[str, str]) -> None:
    """Sections with no known path, with only members that add nothing (``""``: written as an
    empty object), one- and several-path sections, findings decided or not; and a hostile
    path, opening or id is a constant of the generated code, never its text."""
    hostile = '"); import os; os.system("x"); ("'
    layouts = [
        ((('"a": {', ("a.x", "a.y")), ('"b": {', ("b.z",))), ("f.a", "f.b")),
        ((('"a": {', ("a.x", "a.y")),), ()),
        (((f'"{hostile}": {{', (hostile, "b.z")),), (hostile, "f.a")),
    ]
    for layout in layouts:
        written = {**members, hostile: f'"{hostile}": 1'} if members else members
        decided = {**findings, hostile: f'"{hostile}": true'}
        assert fact_writer(layout)(written, decided) == engine.fact_text(layout, written, decided)
