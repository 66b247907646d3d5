"""The pure-Python evaluator of conditions, in three-valued logic.

It is the explanation engine (each leaf with the value it saw and whether it held), the source of
why-not answers and open questions, and the oracle that the durable-rules engine is checked
against on every screening: both must fire exactly the same rules.

Screenings decide every rule's status with :func:`generated_stratum_function`: per stratum,
Python source written once per rulebook from the flattened conditions (no data in the source:
every id, path and literal is a constant of a table). The item interpreter
:func:`stratum_function` is its reference and its fallback, and :func:`status_function` and
:func:`evaluate` state the same three-valued logic node by node.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from screening.engine._generated import define
from screening.facts.sections.base import AtLeast, Tri, and3, not3, or3
from screening.facts.view import FactView, field_info
from screening.model.numbers import Range, number_text
from screening.model.numbers import compare as compare_range
from screening.model.numbers import render as render_number
from screening.model.reference import References
from screening.rulebook.conditions import All, AnyOf, Condition, FindingRef, Leaf


class Outcome(NamedTuple):
    """The result of one condition node: status and, for leaves, the value seen.

    A named tuple rather than a frozen dataclass: explanations build thousands per second.
    """

    node: Condition
    status: Tri
    value: Any = None
    children: tuple[Outcome, ...] = ()


def leaf_values(leaf: Leaf, references: References, as_of: dt.date) -> tuple[Any, ...]:
    """The literal list of a leaf, resolving ``@reference`` lists as of a date."""
    if leaf.ref is not None:
        return tuple(references.values(leaf.ref, as_of))
    return leaf.value if isinstance(leaf.value, tuple) else (leaf.value,)


def eval_leaf(
    leaf: Leaf,
    value: Any,
    references: References,
    as_of: dt.date,
    listed: tuple[Any, ...] | None = None,
) -> Tri:
    """Whether a leaf holds for a value (None when the value is unknown).

    ``listed`` is the leaf's literal list when the caller has already resolved it.
    """
    if value is None:
        return None
    op = leaf.op
    if isinstance(value, AtLeast):
        wanted = set(listed if listed is not None else leaf_values(leaf, references, as_of))
        hit = bool(set(value.known) & wanted)
        if op == "contains none":
            return False if hit else None
        return True if hit else None
    if op in ("contains", "contains any", "contains none"):
        items = set(value)
        wanted = set(listed if listed is not None else leaf_values(leaf, references, as_of))
        if op == "contains none":
            return not (items & wanted)
        return bool(items & wanted)
    if op in ("in", "not in"):
        found = value in (listed if listed is not None else leaf_values(leaf, references, as_of))
        return found if op == "in" else not found
    expected = leaf.value
    if isinstance(value, Range):
        return compare_range(value, op, expected)  # type: ignore[arg-type]
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        value = Decimal(value)
    if op == "==":
        return bool(value == expected)
    if op == "!=":
        return bool(value != expected)
    if op == "<":
        return bool(value < expected)
    if op == "<=":
        return bool(value <= expected)
    if op == ">":
        return bool(value > expected)
    return bool(value >= expected)


def evaluate(
    cond: Condition,
    view: FactView,
    findings: dict[str, Tri],
    references: References,
    scope: Scope | None = None,
) -> Outcome:
    """Evaluate a condition tree in three-valued logic.

    A ``scope`` of the same screening lends its memoized fact values and resolved lists.
    """
    as_of = view.deal.as_of
    if isinstance(cond, Leaf):
        if scope is None:
            value = view.get(cond.path)
            return Outcome(cond, eval_leaf(cond, value, references, as_of), value)
        value = scope.value(cond.path)
        listed = None if value is None else scope.listed(cond)
        return Outcome(cond, eval_leaf(cond, value, references, as_of, listed), value)
    if isinstance(cond, FindingRef):
        status = findings.get(cond.rule_id)
        return Outcome(cond, not3(status) if cond.negated else status, status)
    children = tuple([evaluate(c, view, findings, references, scope) for c in cond.children])
    combine = and3 if isinstance(cond, All) else or3
    return Outcome(cond, combine([c.status for c in children]), None, children)


class Scope:
    """What the status functions of one screening read: fact values and findings, memoized."""

    __slots__ = ("_lists", "_values", "as_of", "findings", "references", "view")

    def __init__(self, view: FactView, findings: dict[str, Tri], references: References) -> None:
        self.view = view
        self.findings = findings
        self.references = references
        self.as_of = view.deal.as_of
        self._values: dict[str, Any] = {}
        self._lists: dict[str, tuple[Any, ...]] = {}

    def value(self, path: str) -> Any:
        """The fact at a path (read from the view once per screening)."""
        try:
            return self._values[path]
        except KeyError:
            value = self._values[path] = self.view.get(path)
            return value

    def remember_read(self, values: dict[str, Any]) -> None:
        """Record values already read from the view (the dict is the scope's from now on)."""
        if self._values:
            self._values.update(values)
        else:
            self._values = values

    def lists_read(self) -> set[str]:
        """The reference lists the conditions of this screening have read."""
        return set(self._lists)

    def listed(self, leaf: Leaf) -> tuple[Any, ...]:
        """The literal list of a leaf; reference lists are resolved once per screening."""
        if leaf.ref is None:
            return leaf.value if isinstance(leaf.value, tuple) else (leaf.value,)
        try:
            return self._lists[leaf.ref]
        except KeyError:
            values = self._lists[leaf.ref] = leaf_values(leaf, self.references, self.as_of)
            return values


StatusFn = Callable[[Scope], Tri]
COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def status_function(cond: Condition) -> StatusFn:
    """The status of a condition as a closure: :func:`evaluate` without the explanation tree.

    The same three-valued logic (:func:`eval_leaf`, Kleene and/or), compiled once per rulebook;
    it decides every rule of every screening and is what the engine is cross-checked against.
    :func:`evaluate` builds the explained tree only for the rules a result shows, and must reach
    the same status.
    """
    if isinstance(cond, Leaf) and cond.op in COMPARE:
        # A comparison: the same test as eval_leaf (ints and decimals compare exactly in
        # Python, so no conversion is needed), without its dispatch on every call.
        path, compare, expected, op = cond.path, COMPARE[cond.op], cond.value, cond.op

        def compare_status(scope: Scope) -> Tri:
            values = scope._values
            value = values[path] if path in values else scope.value(path)
            if value is None:
                return None
            if value.__class__ is Range:
                return compare_range(value, op, expected)  # type: ignore[arg-type]
            return bool(compare(value, expected))

        return compare_status
    if isinstance(cond, Leaf):
        leaf, path = cond, cond.path

        def leaf_status(scope: Scope) -> Tri:
            value = scope.value(path)
            if value is None:
                return None
            return eval_leaf(leaf, value, scope.references, scope.as_of, scope.listed(leaf))

        return leaf_status
    if isinstance(cond, FindingRef):
        rule_id = cond.rule_id
        if cond.negated:
            return lambda scope: not3(scope.findings.get(rule_id))
        return lambda scope: scope.findings.get(rule_id)
    fns = tuple(status_function(c) for c in cond.children)
    if isinstance(cond, All):

        def all_status(scope: Scope) -> Tri:
            result: Tri = True
            for fn in fns:
                status = fn(scope)
                if status is False:
                    return False
                if status is None:
                    result = None
            return result

        return all_status

    def any_status(scope: Scope) -> Tri:
        result: Tri = False
        for fn in fns:
            status = fn(scope)
            if status is True:
                return True
            if status is None:
                result = None
        return result

    return any_status


def _program(rules: Sequence[tuple[str, Condition, bool]]) -> _Program:
    """Per rule: its id, its condition's flattened items (:func:`_flat_items`), the status that
    decides it at once and its starting status, whether its false status is wanted, its
    effective dates (since, until: None when absent) and its items after those dates."""
    plan: list[tuple[str, tuple[_Item, ...], bool, bool, bool, Any, Any, tuple[_Item, ...]]] = []
    for rule_id, cond, wants_false in rules:
        top = cond if isinstance(cond, All | AnyOf) else All((cond,), "")  # the same status
        stop = not isinstance(top, All)
        items = tuple(_flat_items(top))
        # An `all` opening with its effective dates (Rule.guarded): on a screening date that
        # is a date, the leading `as_of >= since` and `as_of < until` decide at once when one
        # fails (no later item is tested) and add nothing when both hold.
        since = until = None
        guards = 0
        if not stop:
            for kind, path, _fn, literal, op in items[:2]:
                if path != GUARD_PATH or literal.__class__ is not dt.date:
                    break
                if op == ">=" and kind == _AT_LEAST and since is None and until is None:
                    since = literal
                elif op == "<" and kind == _COMPARISON and until is None:
                    until = literal
                else:
                    break
                guards += 1
        plan.append((rule_id, items, stop, not stop, wants_false, since, until, items[guards:]))
    return tuple(plan)


StratumFn = Callable[[Scope], tuple[list[str], list[str]]]


def stratum_function(rules: Sequence[tuple[str, Condition, bool]]) -> StratumFn:
    """The statuses of several rules as one function, built once per rulebook.

    ``rules`` holds (rule id, condition, whether its false status is wanted). The function
    writes each rule's status into ``scope.findings`` in order, and returns the ids that are
    true and the wanted ids that are false: :func:`status_function` for every rule, each
    condition flattened by :func:`_flat_items` (each node tests its leaves itself, a node nested
    in one of its own kind spliced into it), tested as :func:`_items_status` tests it.
    """
    program = _program(rules)

    def stratum(scope: Scope) -> tuple[list[str], list[str]]:
        # _items_status for each rule, written out here (one call fewer per rule) with the
        # module's names bound locally; the same tests in the same order.
        statuses = scope.findings
        values = scope._values
        value_of = scope.value
        true: list[str] = []
        false: list[str] = []
        status: Tri
        as_of = values.get(GUARD_PATH)
        if as_of.__class__ is not date_class:
            as_of = None  # not read yet, or not a date: every item tested as it stands
        for rule_id, items, stop, start, wants_false, since, until, tail in program:
            result: Tri = start
            if as_of is not None and (since is not None or until is not None):
                if (since is not None and as_of < since) or (until is not None and as_of >= until):
                    statuses[rule_id] = False
                    if wants_false:
                        false.append(rule_id)
                    continue
                items = tail
            for kind, a, b, c, op in items:
                if kind < finding_kind:  # a comparison: the same test as compare_status
                    try:
                        value = values[a]
                    except KeyError:
                        value = value_of(a)
                    if value is None:
                        result = None
                        continue
                    if value.__class__ is range_class:
                        status = compare(value, op, c)
                    elif not kind:  # ==
                        status = True if value == c else False  # noqa: SIM210 - bool()
                    elif kind == at_least:
                        status = True if value >= c else False  # noqa: SIM210 - bool()
                    else:
                        status = bool(b(value, c))
                elif kind == finding_kind:
                    status = statuses.get(a)
                elif kind == not_finding:
                    status = statuses.get(a)
                    if status is not None:
                        status = not status
                elif kind == list_kind:  # the same test as leaf_status
                    try:
                        value = values[a]
                    except KeyError:
                        value = value_of(a)
                    if value is None:
                        result = None
                        continue
                    if c.__class__ is frozenset and value.__class__ is list:  # see _flat_items
                        status = (
                            c.isdisjoint(value)
                            if op == "contains none"
                            else not c.isdisjoint(value)
                        )
                    else:
                        listed = c if c is not None else scope.listed(b)
                        status = eval_leaf(b, value, scope.references, scope.as_of, listed)
                else:  # a nested node of the other kind: its items, stop and start
                    status = items_status(a, b, c, scope)
                if status is stop:
                    result = stop
                    break
                if status is None:
                    result = None
            statuses[rule_id] = result
            if result is True:
                true.append(rule_id)
            elif result is False and wants_false:
                false.append(rule_id)
        return true, false

    finding_kind, not_finding, list_kind, at_least = _FINDING, _NOT_FINDING, _LIST, _AT_LEAST
    range_class, compare, date_class, items_status = Range, compare_range, dt.date, _items_status
    return stratum


_CONTAINS = frozenset({"contains", "contains any", "contains none"})
GUARD_PATH = "deal.as_of"  # the path of a rule's effective dates (Rule.guarded)

# Item kinds: comparisons first (`==` must be 0), so `kind < _FINDING` tells one.
_EQUAL, _AT_LEAST, _COMPARISON, _FINDING, _NOT_FINDING, _LIST, _NODE = range(7)
_Item = tuple[int, Any, Any, Any, str]
_Program = tuple[tuple[str, tuple[_Item, ...], bool, bool, bool, Any, Any, tuple[_Item, ...]], ...]


def _items_status(items: tuple[_Item, ...], stop: bool, start: bool, scope: Scope) -> Tri:
    """The Kleene status of a flattened ``all`` (``stop`` False) or ``any`` (``stop`` True)
    node: its items tested in order, the same tests as :func:`compare_status`,
    :func:`leaf_status` and the findings, stopping at the first that decides the node."""
    values = scope._values
    findings = scope.findings
    result: Tri = start
    status: Tri
    for kind, a, b, c, op in items:
        if kind < _FINDING:  # a comparison: the same test as compare_status
            try:
                value = values[a]
            except KeyError:
                value = scope.value(a)
            if value is None:
                status = None
            elif value.__class__ is Range:
                status = compare_range(value, op, c)
            elif not kind:  # == (the commonest, then >=), without a call
                status = True if value == c else False  # noqa: SIM210 - bool()
            elif kind == _AT_LEAST:
                status = True if value >= c else False  # noqa: SIM210 - bool()
            else:
                status = bool(b(value, c))
        elif kind == _FINDING:
            status = findings.get(a)
        elif kind == _NOT_FINDING:
            status = findings.get(a)
            if status is not None:
                status = not status
        elif kind == _LIST:  # the same test as leaf_status
            try:
                value = values[a]
            except KeyError:
                value = scope.value(a)
            if value is None:
                status = None
            elif c.__class__ is frozenset and value.__class__ is list:  # see _flat_items
                status = c.isdisjoint(value) if op == "contains none" else not c.isdisjoint(value)
            else:
                listed = c if c is not None else scope.listed(b)
                status = eval_leaf(b, value, scope.references, scope.as_of, listed)
        else:  # a nested node of the other kind: its items, stop and start
            status = _items_status(a, b, c, scope)
        if status is stop:
            return stop
        if status is None:
            result = None
    return result


def _flat_items(cond: All | AnyOf) -> list[_Item]:
    out: list[_Item] = []
    for child in cond.children:
        if isinstance(child, Leaf):
            if child.op in COMPARE:
                kind = {"==": _EQUAL, ">=": _AT_LEAST}.get(child.op, _COMPARISON)
                out.append((kind, child.path, COMPARE[child.op], child.value, child.op))
            else:  # a literal list is the leaf's own (Scope.listed), a reference list is not
                literal: Any = None
                if child.ref is None:
                    literal = child.value if isinstance(child.value, tuple) else (child.value,)
                    if child.op in _CONTAINS:
                        # eval_leaf tests a list against set(listed): a set, made once, does
                        # the same for a list value (the loops test it without a call).
                        literal = frozenset(literal)
                out.append((_LIST, child.path, child, literal, child.op))
        elif isinstance(child, FindingRef):
            out.append((_NOT_FINDING if child.negated else _FINDING, child.rule_id, None, None, ""))
        elif type(child) is type(cond):
            out.extend(_flat_items(child))
        else:
            stop = not isinstance(child, All)  # the status that decides the node at once
            out.append((_NODE, tuple(_flat_items(child)), stop, not stop, ""))
    return out


# The generated stratum functions (issue 14). The interpreter above walks each rule's item
# tuples on every screening; generated_stratum_function writes the same tests once per rulebook
# as straight-line Python source, one block per rule and per item, in the same order with the
# same short cuts, and compiles it. The source holds no data: every rule id, path, literal and
# leaf is a constant of a table (`k0`, `k1`, ...), a global of the generated code, and
# everything else in it is this module's fixed text, so no rulebook or deal can put code in it.

_INLINE_DEPTH = 6  # nested nodes written inline; deeper ones call _items_status (Python nests
# at most 20 blocks: each level takes a `while`, and a read of a fact a `try`)
_TESTS = {"==": "v == {}", "!=": "v != {}", "<": "v < {}", "<=": "v <= {}", ">": "v > {}"}
_TESTS[">="] = "v >= {}"


class _Source:
    """Lines of generated source and the table of constants they name."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.constants: list[Any] = []
        self._strings: dict[str, str] = {}

    def const(self, value: Any) -> str:
        """The name of a constant holding ``value`` (strings shared)."""
        if value.__class__ is str:
            name = self._strings.get(value)
            if name is None:
                name = self._strings[value] = self._add(value)
            return name
        return self._add(value)

    def _add(self, value: Any) -> str:
        self.constants.append(value)
        return f"k{len(self.constants) - 1}"

    def add(self, indent: int, text: str) -> None:
        self.lines.append("    " * indent + text)


def stratum_source(rules: Sequence[tuple[str, Condition, bool]]) -> tuple[str, list[Any]]:
    """The source of :func:`generated_stratum_function` and its table of constants."""
    program = _program(rules)
    src = _Source()
    guarded = any(since is not None or until is not None for *_r, since, until, _t in program)
    add = src.add
    add(1, "def stratum(scope):")
    add(2, "statuses = scope.findings")
    add(2, "values = scope._values")
    add(2, "value_of = scope.value")
    add(2, "references = scope.references")
    add(2, "scope_as_of = scope.as_of")
    add(2, "true = []")
    add(2, "false = []")
    if guarded:
        add(2, f"as_of = values.get({src.const(GUARD_PATH)})")
        add(2, "if as_of.__class__ is not date_class:")
        add(3, "return fallback(scope)  # the interpreter, which tests every item as it stands")
    for rule_id, items, stop, start, wants_false, since, until, tail in program:
        rid = src.const(rule_id)
        indent = 2
        if since is not None or until is not None:
            tests = []
            if since is not None:
                tests.append(f"as_of < {src.const(since)}")
            if until is not None:
                tests.append(f"as_of >= {src.const(until)}")
            add(2, f"if {' or '.join(tests)}:")
            add(3, f"statuses[{rid}] = False")
            if wants_false:
                add(3, f"false.append({rid})")
            add(2, "else:")
            indent, items = 3, tail
        _node(src, items, stop, start, 0, indent)
        add(indent, f"statuses[{rid}] = r0")
        add(indent, "if r0 is True:")
        add(indent + 1, f"true.append({rid})")
        if wants_false:
            add(indent, "elif r0 is False:")
            add(indent + 1, f"false.append({rid})")
    add(2, "return true, false")
    # Written one level in for readability above; the function is the module's own.
    return "\n".join([line[4:] for line in src.lines] + [""]), src.constants


def _node(
    src: _Source, items: tuple[_Item, ...], stop: bool, start: bool, depth: int, indent: int
) -> None:
    """Code setting ``r<depth>`` to the status of a flattened node (see :func:`_items_status`)."""
    result = f"r{depth}"
    src.add(indent, f"{result} = {start!r}")
    if not items:
        return
    src.add(indent, "while True:")
    for item in items:
        _item(src, item, stop, depth, indent + 1)
    src.add(indent + 1, "break")


def _decide(src: _Source, stop: bool, depth: int, indent: int) -> None:
    """Code acting on an item's status ``s``: the node decided, or left unknown."""
    src.add(indent, f"if s is {stop!r}:")
    src.add(indent + 1, f"r{depth} = {stop!r}")
    src.add(indent + 1, "break")
    src.add(indent, "if s is None:")
    src.add(indent + 1, f"r{depth} = None")


def _read(src: _Source, path: str, indent: int) -> None:
    name = src.const(path)
    src.add(indent, "try:")
    src.add(indent + 1, f"v = values[{name}]")
    src.add(indent, "except KeyError:")
    src.add(indent + 1, f"v = value_of({name})")


def _item(src: _Source, item: _Item, stop: bool, depth: int, indent: int) -> None:
    """Code testing one item as :func:`_items_status` tests it."""
    add = src.add
    kind, a, b, c, op = item
    if kind < _FINDING:  # a comparison
        _read(src, a, indent)
        literal = src.const(c)
        test = _TESTS[op].format(literal)
        add(indent, "if v is None:")
        add(indent + 1, f"r{depth} = None")
        add(indent, "elif v.__class__ is range_class:")
        add(indent + 1, f"s = compare(v, {src.const(op)}, {literal})")
        _decide(src, stop, depth, indent + 1)
        add(indent, f"elif {test}:" if stop else f"elif not ({test}):")
        add(indent + 1, f"r{depth} = {stop!r}")
        add(indent + 1, "break")
    elif kind in (_FINDING, _NOT_FINDING):
        add(indent, f"s = statuses.get({src.const(a)})")
        if kind == _NOT_FINDING:
            add(indent, "if s is not None:")
            add(indent + 1, "s = not s")
        _decide(src, stop, depth, indent)
    elif kind == _LIST:
        _read(src, a, indent)
        leaf = src.const(b)
        add(indent, "if v is None:")
        add(indent + 1, f"r{depth} = None")
        add(indent, "else:")
        inner = indent + 1
        if c.__class__ is frozenset:  # see _flat_items
            literal = src.const(c)
            add(inner, "if v.__class__ is list:")
            if op == "contains none":
                add(inner + 1, f"s = {literal}.isdisjoint(v)")
            else:
                add(inner + 1, f"s = not {literal}.isdisjoint(v)")
            add(inner, "else:")
            add(inner + 1, f"s = eval_leaf({leaf}, v, references, scope_as_of, {literal})")
        else:
            listed = f"scope.listed({leaf})" if c is None else src.const(c)
            add(inner, f"s = eval_leaf({leaf}, v, references, scope_as_of, {listed})")
        _decide(src, stop, depth, inner)
    elif depth + 1 <= _INLINE_DEPTH:  # a nested node of the other kind, written inline
        _node(src, a, b, c, depth + 1, indent)
        add(indent, f"s = r{depth + 1}")
        _decide(src, stop, depth, indent)
    else:  # deeper: the interpreter's loop
        add(indent, f"s = items_status({src.const(a)}, {b!r}, {c!r}, scope)")
        _decide(src, stop, depth, indent)


def generated_stratum_function(rules: Sequence[tuple[str, Condition, bool]]) -> StratumFn:
    """:func:`stratum_function` as generated Python (see :func:`stratum_source`): the same
    statuses, in the same order, from the same reads; on a screening date that is not a date
    it runs the interpreter itself."""
    source, constants = stratum_source(rules)
    # The constants and helpers are the globals of the generated module (globals are read
    # where they are used; a closure's cells would be copied into every call's frame).
    made: StratumFn = define(
        source,
        "<dealscreen stratum>",
        "stratum",
        {
            "__builtins__": {"KeyError": KeyError, "list": list},
            "fallback": stratum_function(rules),
            "eval_leaf": eval_leaf,
            "compare": compare_range,
            "range_class": Range,
            "date_class": dt.date,
            "items_status": _items_status,
        },
        constants,
    )
    return made


_FIELD_INFO: dict[str, tuple[Any, str, str]] = {}


def cached_field_info(path: str) -> tuple[Any, str, str] | None:
    """:func:`~screening.facts.view.field_info`, remembered per path once found."""
    info = _FIELD_INFO.get(path)
    if info is None:
        info = field_info(path)
        if info is not None:
            _FIELD_INFO[path] = info
    return info


def flatten(outcome: Outcome) -> list[Outcome]:
    """Leaf outcomes in order."""
    if not outcome.children and isinstance(outcome.node, Leaf | FindingRef):
        return [outcome]
    out: list[Outcome] = []
    _flatten_into(outcome.children, out)
    return out


def _flatten_into(children: tuple[Outcome, ...], out: list[Outcome]) -> None:
    for child in children:
        if child.children:
            _flatten_into(child.children, out)
        elif isinstance(child.node, Leaf | FindingRef):
            out.append(child)


def render_value(value: Any, unit: str = "") -> str:
    """A value as an explanation shows it: 62%, yes, CN, unknown."""
    if value is None:
        return "unknown"
    if isinstance(value, Range):
        return render_number(value, unit)
    if isinstance(value, AtLeast):
        known = ", ".join(value.known)
        return f"[{known}] and possibly others" if known else "unknown (none known)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal | int):
        return number_text(Decimal(value), unit)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(render_value(v) for v in value) + "]" if value else "none"
    return str(value)


# Comparisons in words: (held, failed, what the rule needs). A failed condition states the fact
# ("30% is not more than 50%"), never a negated symbol after a cross.
_WORDS = {
    "==": ("is", "is not", "{}"),
    "!=": ("is not", "is", "anything but {}"),
    "<": ("is less than", "is not less than", "less than {}"),
    "<=": ("is at most", "is more than", "at most {}"),
    ">": ("is more than", "is not more than", "more than {}"),
    ">=": ("is at least", "is less than", "at least {}"),
}
_LIST_WORDS = {
    "in": ("is in", "is not in", "it to be in {}"),
    "not in": ("is not in", "is in", "it not to be in {}"),
    "contains": ("include", "do not include", "them to include {}"),
    "contains any": ("include one of", "include none of", "them to include one of {}"),
    "contains none": ("include none of", "include one of", "them to include none of {}"),
}


def render_leaf(leaf: Leaf, value: Any, status: Tri, references: References, as_of: dt.date) -> str:
    """One line in words: ``voting interest 30% is at least 25%``, ``… is unknown (…)``."""
    info = cached_field_info(leaf.path)
    title, unit = (info[1], info[2]) if info else (leaf.path, "")
    seen = render_value(value, unit)
    if leaf.op in _WORDS:
        held, failed, needs = _WORDS[leaf.op]
        if isinstance(leaf.value, bool):
            wanted = leaf.value if leaf.op == "==" else not leaf.value
            if value is None:
                need = "to hold" if wanted else "not to hold"
                return f"{title}: unknown (the rule needs it {need})"
            if status is False:
                return f"{title}: {seen} (the rule needs {render_value(wanted)})"
            return f"{title}: {seen}"
        expected = render_value(leaf.value, unit)
        if value is None:
            return f"{title} is unknown (the rule needs {needs.format(expected)})"
        if status is None:  # a range the rule's threshold falls inside
            return f"{title} is {seen}: not decided (the rule needs {needs.format(expected)})"
        return f"{title} {seen} {held if status else failed} {expected}"
    listed = f"the list {leaf.ref}" if leaf.ref else render_value(leaf.value)
    held, failed, needs = _LIST_WORDS[leaf.op]
    if value is None:
        return f"{title} is unknown (the rule needs {needs.format(listed)})"
    if status is None:  # a list known only in part
        return f"{title} {seen}: not decided (the rule needs {needs.format(listed)})"
    if leaf.op.startswith("contains") and not value:
        return f"{title}: none"
    return f"{title} {seen} {held if status else failed} {listed}"
