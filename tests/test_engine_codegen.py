"""The generated stratum functions (issue 14) are the interpreter exactly: the same statuses in
the same order, the same true and wanted-false ids, the same facts and reference lists read, on
real deals and on every kind of value the evaluator meets (unknown, ranges, partial lists,
dates, lists, findings, effective dates, nesting deeper than the generated code inlines)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screening import Deal, load_deal, load_rulebook, screen
from screening.authoring.fixtures_gen import generate
from screening.engine import run as engine
from screening.engine.evaluate import (
    GUARD_PATH,
    Scope,
    generated_stratum_function,
    status_function,
    stratum_function,
    stratum_source,
)
from screening.facts.derive import derive
from screening.facts.sections.base import AtLeast, Tri
from screening.model.deal import PartyKind
from screening.model.numbers import Range
from screening.rulebook.conditions import All, AnyOf, Condition, FindingRef, Leaf

ROOT = Path(__file__).resolve().parent.parent


class _Refs:
    """A stand-in for References: two lists."""

    def values(self, name: str, on: dt.date | None = None) -> list[str]:
        return {"@a": ["CN", "RU"], "@b": []}[name]


class _View:
    """A stand-in fact view: ``get`` reads a dict, and counts its reads."""

    def __init__(self, values: dict[str, Any], as_of: dt.date) -> None:
        self.values = values
        self.deal = type("D", (), {"as_of": as_of})()
        self.reads: list[str] = []

    def get(self, path: str) -> Any:
        self.reads.append(path)
        return self.values.get(path)


def _run(program: Any, view: Any, refs: Any, preread: tuple[str, ...]) -> tuple[Any, ...]:
    statuses: dict[str, Tri] = {}
    scope = Scope(view, statuses, refs)
    for path in preread:
        scope.value(path)
    try:
        out = program(scope)
    except TypeError as exc:  # a comparison across types: both must fail alike
        out = ("raised", str(exc))
    return out, list(statuses.items()), sorted(scope.lists_read()), list(scope._values)


def _same(rules: list[tuple[str, Condition, bool]], make_view: Any, refs: Any) -> None:
    """Generated and interpreted, with nothing read before and with the date read before."""
    generated, interpreted = generated_stratum_function(rules), stratum_function(rules)
    for preread in ((), (GUARD_PATH,)):
        a_view, b_view = make_view(), make_view()
        got = _run(generated, a_view, refs, preread)
        expected = _run(interpreted, b_view, refs, preread)
        assert got == expected
        assert a_view.reads == b_view.reads  # the same facts read, in the same order
        if got[0][0] == "raised":
            continue
        # And every status is the status closure's (the explained evaluator's logic).
        statuses = dict(got[1])
        reference = Scope(make_view(), statuses.copy(), refs)
        for rule_id, cond, _wanted in rules:
            reference.findings[rule_id] = status_function(cond)(reference)
            assert reference.findings[rule_id] == statuses[rule_id], rule_id


def _generated_plan(book: Any) -> Any:
    """The rulebook's plan with its generated functions in place (as after
    ``engine.GENERATE_AFTER`` screenings)."""
    plan = engine._plan(book)
    engine._generate(plan)
    return plan


def test_generated_programs_are_the_interpreter_on_deals() -> None:
    """The rulebook's strata on fixture and generated deals, lazily read and read up front."""
    book = load_rulebook()
    plan = _generated_plan(book)
    records = [load_deal(p) for p in sorted((ROOT / "fixtures" / "deals").glob("*.yaml"))]
    records += [Deal.model_validate(d).root for d in generate(150, seed=29)]
    interpreted = [
        stratum_function([(r.id, r.guarded, r.id in plan.complemented) for r in rules])
        for _rulesets, rules in plan.strata
    ]
    for record in records:
        view = derive(record, book.references, engine.resolve_as_of(record, None))
        for preread in ((), (GUARD_PATH,), tuple(plan.paths)):
            runs = []
            for programs in (plan.programs, interpreted):
                statuses: dict[str, Tri] = {}
                scope = Scope(view, statuses, book.references)
                for path in preread:
                    scope.value(path)
                outs = [program(scope) for program in programs]
                runs.append((outs, list(statuses.items()), scope.lists_read(), list(scope._values)))
            assert runs[0] == runs[1]


_NUMBERS = st.sampled_from([Decimal(0), Decimal(25), Decimal("49.999999"), Decimal(50), 10**6])
_RANGES = st.sampled_from(
    [
        Range(min=Decimal(10), max=Decimal(60)),
        Range(more_than=Decimal(50)),
        Range(less_than=Decimal(25)),
        Range(min=Decimal(25), max=Decimal(25)),
    ]
)
_STRINGS = st.sampled_from(["CN", "RU", "US", "", 'q"\n'])
_DATES = st.sampled_from([dt.date(2020, 1, 1), dt.date(2024, 6, 23), dt.date(2030, 12, 31)])
_ORDER = ["==", "!=", "<", "<=", ">", ">="]
_LISTED = st.lists(_STRINGS, min_size=1, max_size=3).map(tuple)
_REF = st.sampled_from([None, None, "@a", "@b"])
# Per path: the values it takes (unknown among them), and its leaves (op, literal, list).
_KINDS: dict[str, tuple[st.SearchStrategy[Any], st.SearchStrategy[tuple[str, Any, Any]]]] = {
    "a.n": (
        st.one_of(st.none(), _NUMBERS, _RANGES),
        st.tuples(st.sampled_from(_ORDER), _NUMBERS, st.none()),
    ),
    "a.b": (
        st.one_of(st.none(), st.booleans()),
        st.tuples(st.sampled_from(["==", "!="]), st.booleans(), st.none()),
    ),
    "a.s": (
        st.one_of(st.none(), _STRINGS),
        st.tuples(st.sampled_from(["==", "!="]), _STRINGS, st.none())
        | st.tuples(st.sampled_from(["in", "not in"]), _LISTED, _REF),
    ),
    "a.l": (
        st.one_of(
            st.none(),
            st.lists(_STRINGS, max_size=3),
            st.builds(AtLeast, known=st.lists(_STRINGS, max_size=2)),
        ),
        st.tuples(st.sampled_from(["contains", "contains any", "contains none"]), _LISTED, _REF),
    ),
    "a.d": (
        st.one_of(st.none(), _DATES),
        st.tuples(st.sampled_from(_ORDER), _DATES, st.none()),
    ),
}


@st.composite
def _leaf(draw: Any) -> Leaf:
    path = draw(st.sampled_from(sorted(_KINDS)))
    op, value, ref = draw(_KINDS[path][1])
    if op == "contains" and ref is None:
        value = value[0]  # `contains` names one value
    return Leaf(path, op, value, f"{path} {op}", "test", ref)


def _tree(finding_ids: list[str]) -> st.SearchStrategy[Condition]:
    base: st.SearchStrategy[Condition] = _leaf()
    if finding_ids:
        base = base | st.builds(
            FindingRef, st.sampled_from(finding_ids), st.booleans(), st.just("f"), st.just("t")
        )
    return st.recursive(
        base,
        lambda children: st.builds(
            lambda kids, any_: AnyOf(tuple(kids), "t") if any_ else All(tuple(kids), "t"),
            st.lists(children, max_size=4),
            st.booleans(),
        ),
        max_leaves=12,
    )


@st.composite
def _rules(draw: Any) -> list[tuple[str, Condition, bool]]:
    rules: list[tuple[str, Condition, bool]] = []
    for i in range(draw(st.integers(1, 5))):
        cond = draw(_tree([r[0] for r in rules] + ["missing.finding"]))
        since = draw(st.one_of(st.none(), _DATES))
        until = draw(st.one_of(st.none(), _DATES))
        guards: list[Condition] = []
        if since is not None:
            guards.append(Leaf(GUARD_PATH, ">=", since, "since", "t", None, True))
        if until is not None:
            guards.append(Leaf(GUARD_PATH, "<", until, "until", "t", None, True))
        if guards:
            cond = All((*guards, cond), "t")
        rules.append((f"r.{i}", cond, draw(st.booleans())))
    return rules


@settings(max_examples=300, deadline=None)
@given(
    _rules(),
    st.fixed_dictionaries({path: values for path, (values, _leaves) in _KINDS.items()}),
    st.one_of(_DATES, st.none(), st.just("not a date")),
)
def test_generated_programs_are_the_interpreter_on_any_values(
    rules: list[tuple[str, Condition, bool]], values: dict[str, Any], as_of: Any
) -> None:
    """Every kind of leaf and value (each path its own type, unknown included), every nesting, findings read true, false, unknown and missing, effective dates on a
    screening date that is a date, unknown or not a date."""
    facts = {**values, GUARD_PATH: as_of}

    def view() -> _View:
        return _View(facts, as_of if isinstance(as_of, dt.date) else dt.date(2025, 1, 1))

    _same(rules, view, _Refs())


def test_deep_nesting_beyond_the_inlined_levels() -> None:
    """A tree deeper than the generated code inlines calls the interpreter for its depths."""
    cond: Condition = Leaf("a.n", ">=", Decimal(5), "x", "t")
    for level in range(24):
        other = Leaf("a.s", "==", "CN" if level % 3 else "US", "y", "t")
        cond = All((cond, other), "t") if level % 2 else AnyOf((other, cond), "t")
    rules: list[tuple[str, Condition, bool]] = [("deep", cond, True)]
    source, _constants = stratum_source(rules)
    assert "items_status(" in source
    for n in (None, Decimal(4), Decimal(5), Range(min=Decimal(1), max=Decimal(9))):
        for s in (None, "CN", "US"):
            _same(rules, lambda n=n, s=s: _View({"a.n": n, "a.s": s}, dt.date(2025, 1, 1)), None)


def test_the_source_holds_no_data() -> None:
    """Rule ids, paths and literals are constants of a table, never text of the source: a rule
    id or value that is Python code stays data."""
    hostile = '"); import os; os.system("x"); ("'
    rules: list[tuple[str, Condition, bool]] = [
        (hostile, Leaf(f"a.{hostile}", "==", hostile, "t", "t"), True),
        ("r\nx = 1", All((Leaf("a.s", "in", (hostile, "CN"), "t", "t"),), "t"), True),
        ("r3", FindingRef(hostile, True, "t", "t"), True),
    ]
    source, constants = stratum_source(rules)
    assert "import" not in source and "os" not in source.split()
    assert hostile in constants and "r\nx = 1" in constants
    facts = {f"a.{hostile}": hostile, "a.s": "CN"}
    _same(rules, lambda: _View(facts, dt.date(2025, 1, 1)), None)
    statuses: dict[str, Tri] = {}
    true, false = generated_stratum_function(rules)(
        Scope(_View(facts, dt.date(2025, 1, 1)), statuses, None)  # type: ignore[arg-type]
    )
    assert true == [hostile, "r\nx = 1"] and false == ["r3"]


_EVERY: dict[str, tuple[list[Any], list[tuple[str, Any, Any]]]] = {
    "a.n": (
        [
            None,
            Decimal(25),
            30,
            Range(min=Decimal(10), max=Decimal(60)),
            Range(less_than=Decimal(25)),
        ],
        [(op, Decimal(25), None) for op in _ORDER],
    ),
    "a.b": ([None, True, False], [(op, v, None) for op in ("==", "!=") for v in (True, False)]),
    "a.s": (
        [None, "CN", "US"],
        [("==", "CN", None), ("!=", "CN", None)]
        + [(op, ("CN", "RU"), ref) for op in ("in", "not in") for ref in (None, "@a", "@b")],
    ),
    "a.l": (
        [None, [], ["CN"], ["US", "RU"], AtLeast(known=[]), AtLeast(known=["CN"])],
        [("contains", "CN", None), ("contains", ("CN",), "@a")]
        + [
            (op, ("CN", "RU"), ref)
            for op in ("contains any", "contains none")
            for ref in (None, "@a", "@b")
        ],
    ),
    "a.d": ([None, dt.date(2024, 6, 23)], [(op, dt.date(2024, 6, 23), None) for op in _ORDER]),
}


def test_every_leaf_on_every_value() -> None:
    """Each leaf kind on each kind of value, alone, in an `all` and an `any` beside an unknown,
    and nested, deciding its node or not."""
    for path, (values, specs) in _EVERY.items():
        for op, literal, ref in specs:
            leaf = Leaf(path, op, literal, "t", "t", ref)
            unknown = Leaf("a.none", "==", True, "t", "t")
            known = Leaf("a.yes", "==", True, "t", "t")
            rules: list[tuple[str, Condition, bool]] = [
                ("alone", leaf, True),
                ("all", All((unknown, leaf, known), "t"), True),
                ("any", AnyOf((unknown, leaf), "t"), True),
                ("nested", AnyOf((All((known, leaf), "t"), unknown), "t"), True),
                ("not", All((FindingRef("alone", True, "t", "t"), known), "t"), True),
            ]
            for value in values:
                facts = {path: value, "a.yes": True}
                _same(rules, lambda f=facts: _View(f, dt.date(2025, 1, 1)), _Refs())


def test_generated_engine_values_are_the_loop() -> None:
    """The written-out engine values (members, raw values and their order, value tokens) are
    the reference loop's, on fixture and generated deals."""
    book = load_rulebook()
    plan = _generated_plan(book)
    records = [load_deal(p) for p in sorted((ROOT / "fixtures" / "deals").glob("*.yaml"))]
    records += [Deal.model_validate(d).root for d in generate(150, seed=31)]
    for record in records:
        view = derive(record, book.references, engine.resolve_as_of(record, None))
        runs = []
        for function in (engine._engine_values, engine._engine_values_reference):
            scope = Scope(view, {}, book.references)
            tokens: list[str] = []
            written = function(plan, view, scope, tokens)
            runs.append((list(written.items()), tokens, list(scope._values.items())))
        assert runs[0] == runs[1]


_KINDS_OF_VALUE = [True, False, "CN", 'q"\n', "", ["CN", "RU"], [], AtLeast(known=["CN"])]
_KINDS_OF_VALUE += [AtLeast(known=[]), Decimal("25.5"), 7, dt.date(2024, 6, 23)]
_KINDS_OF_VALUE += [Range(min=Decimal(1), max=Decimal(2)), Range(min=None, max=Decimal(2))]
_KINDS_OF_VALUE += [
    [1, "a", True],
    [PartyKind.company, "x"],
    Decimal("-0.0000005"),
    Decimal("1E+3"),
    0,
]
_KINDS_OF_VALUE += [-7, dt.datetime(2024, 6, 23, 1, 2), ['q"', ""]]


@pytest.mark.parametrize("how", ["plain", "ranged", "partial"])
@pytest.mark.parametrize("value", _KINDS_OF_VALUE)
def test_generated_engine_values_on_every_kind_of_value(value: Any, how: str) -> None:
    """Each kind of value, on a path asserted under its own name, as two bounds, or with a
    partial flag; whose boolean value and element a requirement reads, and on one that is
    neither."""
    from screening.engine.compiler import PARTIAL, PLAIN, RANGED

    keys = {
        "plain": (PLAIN, '"x": ', '"x__n": ', ""),
        "ranged": (RANGED, '"x__lo": ', '"x__hi": ', ""),
        "partial": (PARTIAL, '"x": ', '"x__n": ', '"x__partial": '),
    }[how]
    writes = (
        engine._path_write("a.x", keys, valued=True, listed=True),
        engine._path_write("a.y", keys),
        engine._path_write("a.z", keys),
    )
    no_values: dict[str, Any] = {"a.x": None, "a.y": None, "a.z": None}
    function = engine._values_function(writes, no_values)
    for values in ([value, value, None], [None, None, value]):
        expected_out: dict[str, str] = {}
        expected_read = no_values.copy()
        expected_tokens: list[str] = []
        try:
            for write, v in zip(writes, values, strict=True):
                if v is not None:
                    engine._write_known(write, v, expected_out, expected_read, expected_tokens)
        except (TypeError, ValueError) as refused:  # a value no path of its kind holds
            with pytest.raises(type(refused)):
                function(values)
            continue
        out, read_values, tokens = function(values)
        assert (list(out.items()), list(read_values.items()), tokens) == (
            list(expected_out.items()),
            list(expected_read.items()),
            expected_tokens,
        )
        assert no_values == {"a.x": None, "a.y": None, "a.z": None}  # the template is kept


def test_selectors_are_cannot_match() -> None:
    """Each stratum's selector picks exactly the rulesets cannot_match leaves in, in order: on
    the presence tokens of real deals, with every finding token, and on random token sets."""
    import random

    from screening.engine.compiler import cannot_match, selector

    book = load_rulebook()
    plan = _generated_plan(book)
    records = [load_deal(p) for p in sorted((ROOT / "fixtures" / "deals").glob("*.yaml"))]
    records += [Deal.model_validate(d).root for d in generate(60, seed=37)]
    tokens = sorted(
        {t for needs in plan.requirements.values() for rule in needs or () for c in rule for t in c}
    )
    finding_tokens = {t for t in tokens if t.startswith("?")}
    rng = random.Random(5)
    presents: list[set[str]] = [set(), set(tokens)]
    for record in records:
        view = derive(record, book.references, engine.resolve_as_of(record, None))
        _written, present = engine._present(plan, view, Scope(view, {}, book.references))
        presents += [present, present | finding_tokens]
    presents += [set(rng.sample(tokens, rng.randrange(len(tokens)))) for _ in range(300)]
    for present in presents:
        for found, select in zip(plan.engine_strata, plan.selectors, strict=True):
            expected = [
                name
                for name, _layout, needs, first in found
                if needs is None or not cannot_match(needs, present, first)
            ]
            assert [name for name, _layout in select(present)] == expected
        for entries in plan.selector_entries:  # the loop a plan starts with
            expected = [
                payload
                for payload, needs in entries
                if needs is None or not cannot_match(needs, present)
            ]
            assert engine._plain_selector(entries)(present) == expected
    # Edge cases: no requirements (always), no rules (never), a rule without clauses (always).
    select = selector([("any", None), ("none", ()), ("p", ((frozenset("p"),),)), ("free", ((),))])
    assert select(set()) == ["any", "free"]
    assert select({"p"}) == ["any", "p", "free"]
    assert not cannot_match(((),), set())


def test_generated_sources_hold_no_literal() -> None:
    """Every function the engine writes out for the shipped rulebook compiled (no literal in
    it), and a source holding a string or a non-integer number is refused before compiling."""
    from screening.engine._generated import define
    from screening.errors import EngineError

    book = load_rulebook()
    plan = _generated_plan(book)
    assert plan.programs and plan.selectors and plan.values_function
    for source in ('def f():\n    return "x"\n', "def f():\n    return 1.5\n"):
        with pytest.raises(EngineError, match="holds a literal"):
            define(source, "<test>", "f", {}, [])
    assert define("def f():\n    return k0[1]\n", "<test>", "f", {}, [("a", "b")])() == "b"


def test_engine_values_and_selector_sources_hold_no_data() -> None:
    """A hostile path, key or token is a constant of the generated code, never its text."""
    from screening.engine.compiler import PLAIN, selector

    hostile = '"); import os; os.system("x"); ("'
    keys = (PLAIN, f'"{hostile}": ', '"n": ', "")
    writes = (engine._path_write(f"a.{hostile}", keys, valued=True, listed=True),)
    function = engine._values_function(writes, {f"a.{hostile}": None})
    out, read_values, tokens = function([True])
    assert out == {f"a.{hostile}": f'"{hostile}": true'}
    assert read_values == {f"a.{hostile}": True}
    assert tokens == [f"a.{hostile}=T", f"a.{hostile}=+"]
    select = selector([(hostile, ((frozenset({hostile}),),))])
    assert select({hostile}) == [hostile] and select(set()) == []


_SOURCE_PIECES = [
    "k0",
    "k12",
    "x",
    "_a1",
    ".",
    "..",
    "...",
    "0",
    "1",
    "12",
    "1.5",
    ".5",
    "1e5",
    "0x1f",
    "1_0",
    "2j",
    "'",
    '"',
    "'s'",
    '"s"',
    "b'x'",
    "f'{x}'",
    "#",
    "# 1.5",
    "\n",
    " ",
    "(",
    ")",
    "[",
    "]",
    ",",
    ":",
    "+",
    "=",
    "==",
    "return",
    "def f():",
    "    ",
    "\\",
    "é1",
    "x1.real",
    "1 .real",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_SOURCE_PIECES), max_size=12))
def test_the_literal_check_is_at_least_as_strict_as_tokenize(pieces: list[str]) -> None:
    """`define` refuses a source in which Python's own tokenizer finds a string or a number that
    is not a plain integer (unless the source is not even Python: compile refuses it)."""
    import io
    import tokenize

    from screening.engine._generated import _holds_no_data
    from screening.errors import EngineError

    source = "".join(pieces)
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
        compile(source, "<test>", "exec")
    except (SyntaxError, tokenize.TokenError, IndentationError, ValueError):
        return  # never compiled: define cannot run it
    has_data = any(
        t.type == tokenize.STRING
        or (t.type == tokenize.NUMBER and not re.fullmatch(r"[0-9]+", t.string))
        for t in tokens
    )
    if has_data:
        with pytest.raises(EngineError, match="holds a literal"):
            _holds_no_data(source, "<test>")


def test_a_plan_writes_its_functions_out_after_some_screenings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A new plan screens with the plain loops; at the GENERATE_AFTER-th screening it switches
    to the generated functions; the plain and the generated plan give the same bytes."""
    from screening.rulebook.book import _load, default_rules_dir

    def fresh() -> Any:  # a rulebook object of its own, so a plan of its own
        return _load([default_rules_dir()], ["rules"])

    records = [Deal.model_validate(d).root for d in generate(40, seed=41)]
    records += [load_deal(p) for p in sorted((ROOT / "fixtures" / "deals").glob("*.yaml"))[:40]]
    monkeypatch.setattr(engine, "GENERATE_AFTER", 10**9)
    plain_book = fresh()
    plain = [screen(r, rulebook=plain_book).model_dump_json() for r in records]
    plan = engine._plan(plain_book)
    assert plan.selectors[0].__code__.co_filename != "<dealscreen selector>"
    generated_book = fresh()
    engine._generate(engine._plan(generated_book))
    generated = [screen(r, rulebook=generated_book).model_dump_json() for r in records]
    assert engine._plan(generated_book).selectors[0].__code__.co_filename == (
        "<dealscreen selector>"
    )
    writers = [w for e in engine._plan(generated_book).selector_entries for (_n, w), _ in e]
    assert {w.__code__.co_filename for w in writers} == {"<dealscreen fact>"}
    assert generated == plain

    monkeypatch.setattr(engine, "GENERATE_AFTER", 3)
    book = fresh()
    plan = engine._plan(book)
    before = (plan.programs, plan.selectors, plan.values_function)
    for count, record in enumerate(records[:2], start=1):
        engine.run_rules(book, derive(record, book.references, engine.resolve_as_of(record, None)))
        assert plan.screenings == count
        assert (plan.programs, plan.selectors, plan.values_function) == before
    screen(records[2], rulebook=book)
    assert plan.programs is not before[0] and plan.selectors is not before[1]
    assert plan.values_function is not before[2]
