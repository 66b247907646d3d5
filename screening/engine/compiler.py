"""Compiling a rulebook to durable-rules ruleset definitions (plain JSON-like data).

Each deal is asserted as one fact per ruleset: a nested object with the sections of the fact
view (``deal``, ``investor``, ``target``, ``rights``) restricted to the paths that ruleset reads,
plus ``findings`` from lower strata. Unknown facts are left out of the fact, so every test on
them fails in the engine, as in the three-valued evaluator. Numbers are scaled integers (see
:func:`engine_number`: exact, never a float), dates are integers ``YYYYMMDD``, and every list
fact carries a count ``<name>__n`` so "contains none" holds on an empty list.

A number that may be known only as a range (:mod:`screening.model.numbers`) is asserted as its
two closed bounds, ``<name>__lo`` and ``<name>__hi`` (equal for an exact value, absent where
unbounded or unknown), and a comparison tests the bound that decides it: ``x >= 25`` holds when
``x__lo >= 25``, its complement ``x < 25`` when ``x__hi < 25``; inside the range neither fires,
which is the evaluator's unknown.

A finding whose *false* value some compiled rule reads also compiles to its complement (the
negation-normal form of its condition), so the engine itself establishes "definitely false" for
findings that other rules negate (:func:`findings_read_false`); other findings compile to their
positive rule only (the engine then decides "true" or "not true" for them).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from json.encoder import encode_basestring
from typing import Any

from screening.engine._generated import define
from screening.errors import EngineError, RulebookError
from screening.facts.sections.base import AtLeast
from screening.facts.view import partial, ranged
from screening.model.numbers import Range
from screening.model.reference import References
from screening.rulebook.book import Rule, Rulebook
from screening.rulebook.conditions import (
    NEGATION,
    SYMBOLS,
    All,
    AnyOf,
    Condition,
    FindingRef,
    Leaf,
    leaves,
)

# durable-rules aborts the process when one fact satisfies more than 64 alpha tests; two are
# taken by the fact-type test and the sentinel rule.
MAX_TESTS_PER_RULESET = 60
NEVER: dict[str, Any] = {"t": "__never__"}


# Numbers reach durable-rules as 64-bit integers, never floats: floats lose digits (so the engine
# and the evaluator disagreed on long-precision values) and durable-rules cannot parse a float in
# exponent form (`1e-05`: error 309 on facts, 204 on thresholds). A value x becomes
# 2 * floor(x * 10**ENGINE_PLACES), plus 1 when x lies strictly between two points of the grid of
# ENGINE_PLACES decimal places. Every threshold lies on the grid (the rulebook loader refuses one
# that does not), so x compares with a threshold t exactly as its code compares with t's code:
# an off-grid x sits strictly between the codes of its neighbouring grid points. Deal numbers and
# thresholds are bounded by ENGINE_MAX in magnitude (the model and the loader enforce it), which
# keeps every code inside a signed 64-bit integer.
ENGINE_PLACES = 6
ENGINE_MAX = Decimal(10**12)
_GRID = 10**ENGINE_PLACES
_INT64 = 2**63 - 1


def engine_number(value: Decimal | int) -> int:
    """The exact integer code durable-rules compares for a number (see above)."""
    d = Decimal(value)
    if not d.is_finite() or d.copy_abs() > 2 * ENGINE_MAX:
        raise EngineError(f"the number {value} is outside the range the engine holds")
    if d.is_zero():
        return 0
    sign, digits, exponent = d.as_tuple()
    assert isinstance(exponent, int)
    if d.adjusted() < -ENGINE_PLACES - 1:  # strictly between 0 and the first grid point
        return -1 if sign else 1
    mantissa = int("".join(map(str, digits))) * (-1 if sign else 1)
    shift = exponent + ENGINE_PLACES
    code: int
    if shift >= 0:
        code = 2 * mantissa * 10**shift
    else:
        whole, rest = divmod(mantissa, 10 ** (-shift))
        code = 2 * int(whole) + (1 if rest else 0)
    if abs(code) > _INT64:
        raise EngineError(f"the number {value} is outside the range the engine holds")
    return code


def on_engine_grid(value: Decimal | int) -> bool:
    """Whether a threshold is finite, within ENGINE_MAX and has at most ENGINE_PLACES places."""
    d = Decimal(value)
    if not d.is_finite() or d.copy_abs() > ENGINE_MAX:
        return False
    return d == d.quantize(Decimal(1).scaleb(-ENGINE_PLACES))


def _scalar(value: Any) -> Any:
    if isinstance(value, bool | str):
        return value
    if isinstance(value, Decimal | int):
        return engine_number(value)
    if isinstance(value, dt.date):
        return value.year * 10000 + value.month * 100 + value.day
    raise TypeError(f"cannot compile value {value!r}")


def negate(cond: Condition) -> Condition:
    """The negation-normal-form complement of a condition (unknown stays unknown)."""
    if isinstance(cond, All):
        return AnyOf(tuple(negate(c) for c in cond.children), cond.location)
    if isinstance(cond, AnyOf):
        return All(tuple(negate(c) for c in cond.children), cond.location)
    if isinstance(cond, FindingRef):
        return FindingRef(cond.rule_id, not cond.negated, cond.text, cond.location)
    if cond.op == "contains":
        return Leaf(cond.path, "contains none", (cond.value,), cond.text, cond.location, cond.ref)
    return Leaf(
        cond.path, NEGATION[cond.op], cond.value, cond.text, cond.location, cond.ref, cond.synthetic
    )


def compile_condition(cond: Condition, refs: References) -> dict[str, Any]:
    """A condition as a durable-rules expression over the deal fact."""
    if isinstance(cond, All):
        return {"$and": [compile_condition(c, refs) for c in cond.children]}
    if isinstance(cond, AnyOf):
        return {"$or": [compile_condition(c, refs) for c in cond.children]}
    if isinstance(cond, FindingRef):
        return {f"findings.{finding_key(cond.rule_id)}": not cond.negated}
    return _leaf(cond, refs)


def finding_key(rule_id: str) -> str:
    """A finding's key in the engine fact: flat (no dots, so `a.b` and `a.b.c` can both be
    findings: nested objects would clash) and injective (`_` → `_u`, then `.` → `_d`)."""
    return rule_id.replace("_", "_u").replace(".", "_d")


def _dated(path: str, value: str, start: dt.date | None, end: dt.date | None) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [{path: value}]
    if start is not None:
        parts.append({"$gte": {"deal.as_of": _scalar(start)}})
    if end is not None:
        parts.append({"$lt": {"deal.as_of": _scalar(end)}})
    return parts[0] if len(parts) == 1 else {"$and": parts}


def _not_dated(path: str, value: str, start: dt.date | None, end: dt.date | None) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [{"$neq": {path: value}}]
    if start is not None:
        parts.append({"$lt": {"deal.as_of": _scalar(start)}})
    if end is not None:
        parts.append({"$gte": {"deal.as_of": _scalar(end)}})
    return parts[0] if len(parts) == 1 else {"$or": parts}


# A list test `{"$iany"|"$iall": {path: inner}}` must never have an `$or` as `inner` (nor an
# `$and` ending in one). durable-rules 2.0.28 compiles `inner`, then checks the right operand of
# the node it ended on (rete.c, createAlpha: `if (newAlpha->value.a.expression.right.type !=
# JSON_IDENTIFIER && ... != JSON_EXPRESSION) { return linkAlpha(...); } else { return
# ERR_UNEXPECTED_TYPE; }`). For an `$or` that node is the `$or`'s forward node
# (createForwardAlpha), whose right operand is never written: the check reads uninitialized heap
# and refuses the ruleset with error 102 whenever the byte found there is 0x09 or 0x0C. So
# alternatives inside a list are followed by EVERY_ELEMENT (`$i` exists, which every element
# passes), and the adapter refuses any list test ending in an `$or` (_durable.array_hazard).
# Inside a list only the element `$i` exists (a test of `deal.as_of` there never holds), so an
# entry's dates are tested on the deal, beside its own list test.
EVERY_ELEMENT: dict[str, Any] = {"$ex": {"$i": 1}}


def _member(path: str, value: str, start: dt.date | None, end: dt.date | None) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [{"$iany": {path: {"$i": value}}}]
    if start is not None:
        parts.append({"$gte": {"deal.as_of": _scalar(start)}})
    if end is not None:
        parts.append({"$lt": {"deal.as_of": _scalar(end)}})
    return parts[0] if len(parts) == 1 else {"$and": parts}


def _not_member(
    path: str, value: str, start: dt.date | None, end: dt.date | None
) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [{"$iall": {path: {"$neq": {"$i": value}}}}]
    if start is not None:
        parts.append({"$lt": {"deal.as_of": _scalar(start)}})
    if end is not None:
        parts.append({"$gte": {"deal.as_of": _scalar(end)}})
    return {"$or": parts}


def _entries(leaf: Leaf, refs: References) -> list[tuple[str, dt.date | None, dt.date | None]]:
    if leaf.ref is not None:
        ref = refs.get(leaf.ref)
        return [(e.value, e.start, e.end) for e in (ref.entries if ref else ())]
    values = leaf.value if isinstance(leaf.value, tuple) else (leaf.value,)
    return [(str(v), None, None) for v in values]


def _reads_dates(leaf: Leaf, refs: References) -> bool:
    """Whether a leaf compiles to tests of ``deal.as_of`` (a reference list with dated entries)."""
    return any(start is not None or end is not None for _, start, end in _entries(leaf, refs))


def _ranged_leaf(path: str, op: str, value: Any) -> dict[str, Any]:
    lo, hi, v = f"{path}__lo", f"{path}__hi", _scalar(value)
    if op == ">=":
        return {"$gte": {lo: v}}
    if op == ">":
        return {"$gt": {lo: v}}
    if op == "<=":
        return {"$lte": {hi: v}}
    if op == "<":
        return {"$lt": {hi: v}}
    if op == "==":
        return {"$and": [{lo: v}, {hi: v}]}
    return {"$or": [{"$lt": {hi: v}}, {"$gt": {lo: v}}]}


def _leaf(leaf: Leaf, refs: References) -> dict[str, Any]:
    path, op = leaf.path, leaf.op
    ops = {"!=": "$neq", "<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte"}
    if op in SYMBOLS and ranged(path):
        return _ranged_leaf(path, op, leaf.value)
    if op == "==":
        return {path: _scalar(leaf.value)}
    if op in ops:
        return {ops[op]: {path: _scalar(leaf.value)}}
    entries = _entries(leaf, refs)
    if op == "in":
        alts = [_dated(path, v, s, e) for v, s, e in entries]
        return {"$or": alts} if alts else NEVER
    if op == "not in":
        alls = [_not_dated(path, v, s, e) for v, s, e in entries]
        return {"$and": alls} if alls else {"$ex": {path: 1}}
    undated = [v for v, start, end in entries if start is None and end is None]
    dated = [(v, start, end) for v, start, end in entries if start is not None or end is not None]
    if op in ("contains", "contains any"):
        alts = [_member(path, v, start, end) for v, start, end in dated]
        if len(undated) == 1:
            alts.insert(0, _member(path, undated[0], None, None))
        elif undated:
            inner = {"$and": [{"$or": [{"$i": v} for v in undated]}, EVERY_ELEMENT]}
            alts.insert(0, {"$iany": {path: inner}})
        if not alts:
            return NEVER
        return alts[0] if len(alts) == 1 else {"$or": alts}
    # contains none
    parts = [_not_member(path, v, start, end) for v, start, end in dated]
    if undated:
        tests = [{"$neq": {"$i": v}} for v in undated]
        parts.insert(0, {"$iall": {path: tests[0] if len(tests) == 1 else {"$and": tests}}})
    if not parts:
        none: dict[str, Any] = {"$ex": {f"{path}__n": 1}}
    else:
        every = parts[0] if len(parts) == 1 else {"$and": parts}
        none = {"$or": [{f"{path}__n": 0}, every]}
    if partial(path):
        # Known only in part: "none of these" holds only for a complete list.
        return {"$and": [{f"{path}__partial": 0}, none]}
    return none


@dataclass(frozen=True)
class CompiledRuleset:
    """One durable-rules ruleset: its name, definition, and the fact paths it reads."""

    name: str
    definition: dict[str, Any]
    paths: tuple[str, ...]
    findings: tuple[str, ...]
    stratum: int
    # The same paths and findings split once, for :func:`fact_spec` and the fact layouts.
    fields: tuple[tuple[str, str, str], ...] = field(default=(), compare=False)
    finding_keys: tuple[tuple[str, tuple[str, ...], str], ...] = field(default=(), compare=False)
    # Paths asserted as two bounds, ``<name>__lo`` and ``<name>__hi``.
    ranged: frozenset[str] = field(default=frozenset(), compare=False)
    # List paths that may be known only in part: asserted with ``<name>__partial`` (0 or 1).
    partial: frozenset[str] = field(default=frozenset(), compare=False)
    # Findings of this ruleset compiled with their complement (``-id``) as well.
    complements: tuple[str, ...] = ()


def count_tests(expr: Any) -> int:
    """How many alpha tests a compiled expression holds (each comparison counts once)."""
    if isinstance(expr, list):
        return sum(count_tests(e) for e in expr)
    if not isinstance(expr, dict):
        return 0
    total = 0
    for key, value in expr.items():
        if key in ("$and", "$or"):
            total += count_tests(value)
        elif key in ("$iany", "$iall"):
            total += 1 + sum(count_tests(v) for v in value.values())
        else:
            total += 1
    return total


def findings_read_false(book: Rulebook) -> frozenset[str]:
    """Findings whose false value a compiled rule reads: negated in some rule's condition, or
    referenced positively in the complement of a finding already in the set (transitively)."""
    need: set[str] = set()
    todo: list[str] = []

    def scan(cond: Condition, negated: bool) -> None:
        for leaf in leaves(cond):
            if (
                isinstance(leaf, FindingRef)
                and leaf.negated == negated
                and leaf.rule_id not in need
            ):
                need.add(leaf.rule_id)
                todo.append(leaf.rule_id)

    for rule in book.rules.values():
        scan(rule.guarded, True)
    while todo:
        found = book.rules.get(todo.pop())
        if found is not None and found.kind == "finding":
            scan(found.guarded, False)  # a positive reference is negated in the complement
    return frozenset(need)


def _size(rule: Rule, refs: References, complemented: frozenset[str] | None = None) -> int:
    n = count_tests(compile_condition(rule.guarded, refs))
    if rule.kind == "finding" and (complemented is None or rule.id in complemented):
        n += count_tests(compile_condition(negate(rule.guarded), refs))
    return n


def compile_rulebook(book: Rulebook) -> list[CompiledRuleset]:
    """Compile every stratum into rulesets of bounded size, in a deterministic order."""
    out: list[CompiledRuleset] = []
    complemented = findings_read_false(book)
    for stratum, rules in enumerate(book.strata):
        chunks: list[list[Rule]] = []
        used = 0  # tests in the last chunk
        for rule in rules:
            size = _size(rule, book.references, complemented)
            if size > MAX_TESTS_PER_RULESET:
                raise RulebookError.one(
                    rule.location,
                    "rule-too-large",
                    f"rule `{rule.id}` compiles to {size} engine tests; the limit is "
                    f"{MAX_TESTS_PER_RULESET}: split it into findings",
                )
            if not chunks or used + size > MAX_TESTS_PER_RULESET:
                chunks.append([])
                used = 0
            chunks[-1].append(rule)
            used += size
        for index, chunk in enumerate(chunks):
            name = f"dealscreen_{book.version}_s{stratum}_c{index}"
            definition: dict[str, Any] = {}
            paths: set[str] = set()
            found: set[str] = set()
            for rule in chunk:
                expr = compile_condition(rule.guarded, book.references)
                definition[f"+{rule.id}"] = {
                    "all": [{"m": {"$and": [{"t": "deal"}, expr]}}],
                    "run": f"+{rule.id}",
                }
                if rule.kind == "finding" and rule.id in complemented:
                    neg = compile_condition(negate(rule.guarded), book.references)
                    definition[f"-{rule.id}"] = {
                        "all": [{"m": {"$and": [{"t": "deal"}, neg]}}],
                        "run": f"-{rule.id}",
                    }
                for leaf in leaves(rule.guarded):
                    if isinstance(leaf, Leaf):
                        paths.add(leaf.path)
                        if _reads_dates(leaf, book.references):
                            paths.add("deal.as_of")  # its entries' dates are tested on it
                    else:
                        found.add(leaf.rule_id)
            out.append(
                CompiledRuleset(
                    name,
                    definition,
                    tuple(sorted(paths)),
                    tuple(sorted(found)),
                    stratum,
                    fields=tuple((p, *p.split(".", 1)) for p in sorted(paths)),  # type: ignore[misc]
                    finding_keys=tuple((f, (), finding_key(f)) for f in sorted(found)),
                    ranged=frozenset(p for p in paths if ranged(p)),
                    partial=frozenset(p for p in paths if partial(p)),
                    complements=tuple(sorted(r.id for r in chunk if r.id in complemented)),
                )
            )
    return out


def engine_value(value: Any) -> Any:
    """A fact value as the engine sees it: lists of strings, numbers, YYYYMMDD dates."""
    if value is None:
        return None
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, AtLeast):
        return ("partial", [str(v) for v in value.known])
    if isinstance(value, Range):
        lo, hi = value.lo, value.hi
        return (
            None if lo is None else engine_number(lo),
            None if hi is None else engine_number(hi),
        )
    return _scalar(value)


PLAIN, RANGED, PARTIAL = 0, 1, 2

FactSpec = tuple[
    tuple[tuple[str, str, int, str, str, str], ...], tuple[tuple[str, tuple[str, ...], str], ...]
]
"""What :func:`fact_from_spec` needs of a ruleset: per path (path, section, how, and the keys
it is asserted under), and its finding keys."""


def fact_spec(rs: CompiledRuleset) -> FactSpec:
    """The keys of a ruleset's fact, worked out once (see :func:`fact_from_spec`)."""
    fields = []
    for path, section, name in rs.fields:
        if path in rs.ranged:
            fields.append((path, section, RANGED, f"{name}__lo", f"{name}__hi", ""))
        elif path in rs.partial:
            fields.append((path, section, PARTIAL, name, f"{name}__n", f"{name}__partial"))
        else:
            fields.append((path, section, PLAIN, name, f"{name}__n", ""))
    return tuple(fields), rs.finding_keys


def fact_from_spec(
    spec: FactSpec, values: Mapping[str, Any], findings: dict[str, bool | None]
) -> dict[str, Any]:
    """The engine fact for one ruleset (its keys worked out by :func:`fact_spec`): the paths it
    reads (known values only) and findings. ``values`` holds every path the ruleset reads,
    already in engine form (:func:`engine_value`), None when unknown. The reference that
    :func:`fact_text` is held to (tests/test_engine_text.py)."""
    fact: dict[str, Any] = {"t": "deal"}
    fields, finding_keys = spec
    for path, section, how, key, key2, key3 in fields:
        v = values[path]
        if v is None:
            continue
        bucket = fact.get(section)
        if bucket is None:
            bucket = fact[section] = {}
        if how == PLAIN:
            bucket[key] = v
            if isinstance(v, list):
                bucket[key2] = len(v)
        elif how == RANGED:
            lo, hi = v if isinstance(v, tuple) else (v, v)
            if lo is not None:
                bucket[key] = lo
            if hi is not None:
                bucket[key2] = hi
        else:
            known = v[1] if isinstance(v, tuple) else v
            bucket[key] = known
            bucket[key2] = len(known)
            bucket[key3] = 1 if isinstance(v, tuple) else 0
    if finding_keys:
        tree: dict[str, Any] = {}
        for rule_id, heads, last in finding_keys:
            status = findings.get(rule_id)
            if status is None:
                continue
            node = tree
            for head in heads:
                node = node.setdefault(head, {})
            node[last] = status
        fact["findings"] = tree
    return fact


# The engine fact as JSON text, written directly (what ``json.dumps(fact_from_spec(...),
# ensure_ascii=False)`` writes, byte for byte; tests/test_durable.py checks it on fixture and
# generated deals): each known path's members are written once per deal (:func:`members`), and
# a ruleset's fact joins the members of its paths section by section (:func:`fact_text`).

PathKeys = tuple[int, str, str, str]
"""How a path is asserted and the JSON text of its keys (``"name": ``, with the separator)."""


def key_text(name: str) -> str:
    """A JSON object key and its separator, as ``json.dumps`` writes them."""
    return f"{encode_basestring(name)}: "


def path_keys(
    path: str, name: str, ranged_paths: frozenset[str], partial_paths: frozenset[str]
) -> PathKeys:
    """The keys a path's value is asserted under (see :func:`fact_spec`), as JSON text."""
    if path in ranged_paths:
        return RANGED, key_text(f"{name}__lo"), key_text(f"{name}__hi"), ""
    if path in partial_paths:
        return PARTIAL, key_text(name), key_text(f"{name}__n"), key_text(f"{name}__partial")
    return PLAIN, key_text(name), key_text(f"{name}__n"), ""


def json_text(value: Any) -> str:
    """A value as ``json.dumps(value, ensure_ascii=False)`` writes it (fast for the usual
    engine values: strings, booleans, integers, lists of strings)."""
    cls = value.__class__
    if cls is str:
        text: str = encode_basestring(value)
        return text
    if cls is bool:
        return "true" if value else "false"
    if cls is int:
        return int.__repr__(value)
    if cls is list and all(item.__class__ is str for item in value):
        return "[" + ", ".join([encode_basestring(item) for item in value]) + "]"
    return json.dumps(value, ensure_ascii=False)


def members(keys: PathKeys, value: Any) -> str:
    """The JSON members a known path adds to its section, from its engine value (not None):
    what :func:`fact_from_spec` puts in the section's dict, as text ("" adds none)."""
    how, key, key2, key3 = keys
    if how == PLAIN:
        if isinstance(value, list):
            return f"{key}{json_text(value)}, {key2}{len(value)}"
        return key + json_text(value)
    if how == RANGED:
        lo, hi = value if isinstance(value, tuple) else (value, value)
        if lo is None:
            return "" if hi is None else key2 + json_text(hi)
        if hi is None:
            return key + json_text(lo)
        return f"{key}{json_text(lo)}, {key2}{json_text(hi)}"
    known = value[1] if isinstance(value, tuple) else value
    return (
        f"{key}{json_text(known)}, {key2}{len(known)}, {key3}{1 if isinstance(value, tuple) else 0}"
    )


FactLayout = tuple[tuple[tuple[str, tuple[str, ...]], ...], tuple[str, ...]]
"""A ruleset's fact: per section (its opening text, its paths), then its finding rule ids."""


def fact_layout(rs: CompiledRuleset) -> FactLayout:
    """The sections and findings of a ruleset's fact, in the order :func:`fact_from_spec`
    writes them (paths sorted, so each section's paths are consecutive)."""
    sections: dict[str, list[str]] = {}
    for path, section, _name in rs.fields:
        if section in ("t", "sid", "id", "findings"):
            raise EngineError(f"a fact section may not be called `{section}`")
        sections.setdefault(section, []).append(path)
    for _rule_id, heads, _key in rs.finding_keys:
        if heads:
            raise EngineError("nested finding keys are not written as text")
    return (
        tuple((f"{key_text(section)}{{", tuple(paths)) for section, paths in sections.items()),
        tuple(rule_id for rule_id, _heads, _key in rs.finding_keys),
    )


def fact_text(layout: FactLayout, written: Mapping[str, str], findings: Mapping[str, str]) -> str:
    """A ruleset's fact as JSON text without its closing brace (the adapter adds the session
    and fact ids): ``written`` holds the members of each known path (:func:`members`),
    ``findings`` the member of each finding the engine decided (``"key": true``)."""
    sections, finding_ids = layout
    out = ['{"t": "deal"']
    get = written.get
    for opening, paths in sections:
        found = [m for m in map(get, paths) if m is not None]
        if found:
            if "" in found:
                found = [m for m in found if m]
            out.append(f"{opening}{', '.join(found)}}}")
    if finding_ids:
        decided = [m for m in map(findings.get, finding_ids) if m is not None]
        out.append(f'"findings": {{{", ".join(decided)}}}')
    return ", ".join(out)


FactWriter = Callable[[Mapping[str, str], Mapping[str, str]], str]
"""A ruleset's :func:`fact_text` with its layout built in: ``(written, findings) -> text``."""


def fact_writer(layout: FactLayout) -> FactWriter:
    """:func:`fact_text` for one layout, written out as Python once per rulebook: per section,
    its paths' members read into locals, the section written when one of them is known (its
    non-empty members joined), then the decided findings. Every path, id and text is a
    constant (``k0``, ``k1``, ...) of the generated code, never text of its source."""
    sections, finding_ids = layout
    constants: list[Any] = ['{"t": "deal"', "}"]

    def const(value: Any) -> str:
        constants.append(value)
        return f"k{len(constants) - 1}"

    lines = ["def fact(written, findings):", "    get = written.get", "    out = [k0]"]
    for opening, paths in sections:
        held = ", ".join(f"m{i}" for i in range(len(paths)))
        reads = ", ".join(f"get({const(path)})" for path in paths)
        lines.append(f"    {held}, = {reads},")
        known = " or ".join(f"m{i} is not None" for i in range(len(paths)))
        lines.append(f"    if {known}:")
        lines.append(f"        out.append({const(opening)} + join(filter(None, ({held},))) + k1)")
    if finding_ids:
        decided = ", ".join(f"fget({const(rule_id)})" for rule_id in finding_ids)
        lines.append("    fget = findings.get")
        findings = const(key_text("findings") + "{")
        lines.append(f"    out.append({findings} + join(filter(None, ({decided},))) + k1)")
    lines.append("    return join(out)")
    source = "\n".join([*lines, ""])
    helpers = {"__builtins__": {"filter": filter}, "join": ", ".join}
    write: FactWriter = define(source, "<dealscreen fact>", "fact", helpers, constants)
    return write


# A fact that no rule of a ruleset can match need not be asserted: durable-rules never matches
# a test of a key the fact lacks (`==`, `$neq`, `$lt`, `$lte`, `$gt`, `$gte`, `$ex`, `$iany`,
# `$iall` alike; tests/test_engine_text.py checks each against the core), so a rule whose
# tests all read absent keys cannot fire, and its complement neither. A rule's requirement is
# a conjunction of clauses, each a set of keys of which at least one must be present; it is
# sound but not exact (an `$or` becomes one clause: some key of some alternative), so a fact
# is skipped only when every rule surely fails on it.

Clause = frozenset[str]
ALWAYS_KNOWN = "deal.as_of"  # the screening date: every fact carries it
_TESTS = frozenset({"$neq", "$lt", "$lte", "$gt", "$gte", "$ex", "$iany", "$iall"})


def requirement(expr: Any, refine: bool = False) -> tuple[Clause, ...]:
    """The clauses a fact must satisfy for a compiled expression to match it (see above);
    keys are dotted from the fact's root. No clause: the expression may match anything.

    With ``refine``, a test that also needs a value says which (see :func:`refinement`): its
    atom is the key, a tab, and the refinement (``a.x\t=T``); a refined atom is always a
    stronger requirement than its bare key, and may be weakened back to it.
    """
    if not isinstance(expr, dict) or len(expr) != 1:
        return ()  # not a form the compiler writes: assume nothing
    ((key, value),) = expr.items()
    if key == "$and":
        if not isinstance(value, list):
            return ()
        clauses: list[Clause] = []
        for part in value:
            for clause in requirement(part, refine):
                if clause not in clauses:
                    clauses.append(clause)
        return tuple(clauses)
    if key == "$or":
        if not isinstance(value, list) or not value:
            return ()
        keys: set[str] = set()
        for part in value:
            alternative = requirement(part, refine)
            if not alternative:
                return ()  # this alternative may match anything
            keys.update(alternative[0])  # it needs one key of its first clause at least
        return (frozenset(keys),)
    if key in _TESTS:
        if not isinstance(value, dict) or len(value) != 1:
            return ()
        ((tested, literal),) = value.items()
        how = refinement(key, literal) if refine else ""
        return (frozenset({f"{tested}\t{how}" if how else tested}),)
    if key.startswith("$"):
        return ()  # an operator the compiler does not write: assume nothing
    how = refinement("==", value) if refine else ""
    return (frozenset({f"{key}\t{how}" if how else key}),)


# Refined presence tokens. durable-rules matches `{k: true}` only on a fact whose `k` is true,
# `{"$neq": {k: true}}` only on one whose `k` is present and not true, `$iany` only on a list
# with an element, and compares integers exactly, so a test of a boolean literal needs "k is
# true" (`=T`) or "k is false" (`=F`), a list test `$iany` "k has an element" (`=+`), and a
# comparison of an integer needs it to hold (`<20240623`). A fact's tokens (run.py): the bare
# key of every known path, `=T`/`=F` from a boolean value (both from a value that is not a
# boolean), `=+` from a value that is not an empty list, each comparison that holds of the
# screening date (the one integer every fact has), and `=T`/`=F` of each finding the engine
# decided true/false. tests/test_engine_text.py checks each premise against the core.
_REFINED_ORDER = {"$lt": "<", "$lte": "<=", "$gt": ">", "$gte": ">="}


def refinement(test: str, literal: Any) -> str:
    """What a test (``==`` for a plain key test) needs of its key's value beyond presence:
    ``=T``/``=F`` for a boolean, ``=+`` for a list test that needs an element (``$iany``),
    ``<N``/``<=N``/``>N``/``>=N`` for an integer order; else ""."""
    if test == "$iany":
        return "=+"
    if literal.__class__ is bool:
        if test == "==":
            return "=T" if literal else "=F"
        if test == "$neq":
            return "=F" if literal else "=T"
        return ""
    if literal.__class__ is int and test in _REFINED_ORDER:
        return f"{_REFINED_ORDER[test]}{literal}"
    return ""


def holds(how: str, value: int) -> bool:
    """Whether an integer order refinement (``<N``, ``>=N``, ...) holds of a value."""
    if how.startswith("<="):
        return value <= int(how[2:])
    if how.startswith(">="):
        return value >= int(how[2:])
    if how.startswith("<"):
        return value < int(how[1:])
    if how.startswith(">"):
        return value > int(how[1:])
    raise ValueError(f"not an order refinement: {how}")


Requirements = tuple[tuple[Clause, ...], ...]
"""Per rule of a ruleset, its clauses over presence tokens (see :func:`ruleset_requirements`)."""


def ruleset_requirements(rs: CompiledRuleset, refine: bool = False) -> Requirements | None:
    """Each rule's requirement over presence tokens: a fact path of the view for the keys its
    value is asserted under, ``?<rule id>`` for a finding. None when some rule may match any
    fact (the fact is then always asserted).

    With ``refine``, a test of a value says which where it can (see :func:`refinement`): the
    token of a plain path or a finding is followed by its refinement (``deal.x=T``,
    ``deal.as_of>=20240623``, ``?<rule id>=F``); a test of another key stays its path."""
    owners: dict[str, set[str]] = {}
    for path, section, name in rs.fields:
        for suffix in ("", "__n", "__lo", "__hi", "__partial"):
            owners.setdefault(f"{section}.{name}{suffix}", set()).add(path)
    for rule_id, _heads, key in rs.finding_keys:
        owners.setdefault(f"findings.{key}", set()).add(f"?{rule_id}")
    # A key two paths could write is left out (a clause holding it is then no requirement).
    tokens = {key: next(iter(found)) for key, found in owners.items() if len(found) == 1}
    out: list[tuple[Clause, ...]] = []
    for spec in rs.definition.values():
        conditions = spec.get("all")
        if not isinstance(conditions, list) or len(conditions) != 1:
            return None
        clauses: list[Clause] = []
        for clause in requirement(conditions[0].get("m"), refine):
            atoms = [atom.partition("\t") for atom in clause]
            if not all(key in tokens for key, _tab, _how in atoms):
                continue  # a key no fact of this ruleset carries (or `t`): no requirement
            mapped = frozenset(_token(tokens[key], key, how) for key, _tab, how in atoms)
            if ALWAYS_KNOWN in mapped:
                continue  # always present: dropping a clause only ever asserts more
            if mapped not in clauses:
                clauses.append(mapped)
        if not clauses:
            return None
        # Narrow clauses first: they are the likeliest to rule the rule out; the screening
        # date's last (most deals are recent enough for most rules).
        out.append(tuple(sorted(clauses, key=_clause_order)))
    return tuple(out)


def _clause_order(clause: Clause) -> tuple[bool, int, list[str]]:
    return any(t.startswith(ALWAYS_KNOWN) for t in clause), len(clause), sorted(clause)


def _token(owner: str, key: str, how: str) -> str:
    """The presence token of a refined atom: ``=T``/``=F`` applies to a path asserted under its
    own name (the key is the path) and to a finding (``?id``), an order to the screening date
    only; else the bare owner (a weaker requirement)."""
    if not how:
        return owner
    if how[0] == "=":
        return f"{owner}{how}" if owner == key or owner[0] == "?" else owner
    return f"{owner}{how}" if owner == key == ALWAYS_KNOWN else owner


def first_clauses(requirements: Requirements) -> Clause:
    """Every token of the first clause of every rule: when none is present, every rule fails
    its first clause (a quick answer for :func:`cannot_match`)."""
    return frozenset(token for clauses in requirements for token in clauses[0])


def cannot_match(
    requirements: Requirements, present: set[str], first: Clause | None = None
) -> bool:
    """Whether every rule of a ruleset fails some clause on a fact with ``present`` tokens.

    ``first``, when given, is :func:`first_clauses` of the requirements."""
    if first is not None and first.isdisjoint(present):
        return True
    for clauses in requirements:
        for clause in clauses:
            if clause.isdisjoint(present):
                break
        else:
            return False  # this rule may fire
    return True


Selector = Callable[[set[str]], list[Any]]


def selector(entries: Sequence[tuple[Any, Requirements | None]]) -> Selector:
    """A function of a fact's presence tokens: the payloads, in order, of the entries whose
    ruleset some rule may match (:func:`cannot_match` false, or no requirements).

    Written out as Python once per rulebook: each ruleset's test is one expression over the
    tokens (its :func:`first_clauses` quick answer, then per rule its clauses, a one-token
    clause tested by membership). Every token and payload is a constant of a table (``k0``,
    ``k1``, ...), a global of the generated code, never text of the source."""
    constants: list[Any] = []

    def const(value: Any) -> str:
        constants.append(value)
        return f"k{len(constants) - 1}"

    def clause_test(clause: Clause) -> str:
        if len(clause) == 1:
            (token,) = clause
            return f"{const(token)} in present"
        return f"not {const(clause)}.isdisjoint(present)"

    lines = ["def select(present):", "    out = []"]
    for payload, needs in entries:
        name = const(payload)
        if needs is None or not all(needs):  # a rule without clauses may match anything
            lines.append(f"    out.append({name})")
            continue
        rules = " or ".join(
            "(" + " and ".join(clause_test(clause) for clause in clauses) + ")" for clauses in needs
        )
        lines.append(f"    if {clause_test(first_clauses(needs))} and ({rules or 'False'}):")
        lines.append(f"        out.append({name})")
    lines.append("    return out")
    source = "\n".join([*lines, ""])
    select: Selector = define(
        source, "<dealscreen selector>", "select", {"__builtins__": {}}, constants
    )
    return select
