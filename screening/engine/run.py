"""Screening one deal: derive facts, run the compiled rulebook, assemble the explained verdict.

Rules run stratum by stratum (a rule that reads a finding runs after that finding's stratum), so
negation over findings is never order-dependent. durable-rules decides which rules fire; the
three-valued Python evaluator explains each one, and the two must agree on every rule of every
screening, or the screening fails with an :class:`~screening.errors.EngineError`.
"""

from __future__ import annotations

import datetime as dt
import operator
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping
from decimal import Decimal
from itertools import compress, repeat
from json.encoder import encode_basestring
from typing import Any

from screening._version import __version__
from screening.engine import _durable, consortium
from screening.engine._generated import define
from screening.engine.compiler import (
    ALWAYS_KNOWN,
    PLAIN,
    CompiledRuleset,
    FactLayout,
    PathKeys,
    Requirements,
    Selector,
    cannot_match,
    compile_rulebook,
    engine_value,
    fact_layout,
    fact_text,
    finding_key,
    first_clauses,
    holds,
    key_text,
    members,
    path_keys,
    ruleset_requirements,
    selector,
)
from screening.engine.evaluate import (
    Outcome,
    Scope,
    StratumFn,
    cached_field_info,
    eval_leaf,
    evaluate,
    generated_stratum_function,
    render_leaf,
    render_value,
    stratum_function,
)
from screening.engine.memo import build_summary, clear_reasons
from screening.engine.verdict import (
    DISCLAIMER,
    LEVELS,
    NOT_IN_FORCE,
    VERDICTS,
    Because,
    ConditionResult,
    DerivedFact,
    Hit,
    OpenQuestion,
    PossibleExemption,
    RegimeResult,
    ScreeningResult,
    build,
    forget_json,
    made,
    rank,
    shared,
)
from screening.errors import EngineError, ScreeningError, UsageError
from screening.facts.derive import derive
from screening.facts.gates import rulebook_reading
from screening.facts.sections.base import AtLeast, Tri
from screening.facts.view import SHOWN_WHEN_READ, FactView, field_info, partial, ranged
from screening.model.deal import Deal, DealRecord
from screening.model.numbers import Range
from screening.model.numbers import jsonable as range_json
from screening.model.reference import References, recording_use
from screening.rulebook.book import Rule, Rulebook, load_rulebook
from screening.rulebook.conditions import All, AnyOf, Condition, FindingRef, Leaf, leaves

_COMPILED: dict[str, list[CompiledRuleset]] = {}
_PLACEHOLDER = re.compile(r"\{([a-z_]+\.[a-z0-9_]+)\}")
_KIND_ORDER = {"outcome": 0, "exemption": 1, "finding": 2}


def compiled(book: Rulebook) -> list[CompiledRuleset]:
    """The compiled rulesets of a rulebook, registered with the engine once per process."""
    rulesets = _COMPILED.get(book.version)
    if rulesets is None:
        rulesets = compile_rulebook(book)
        _durable.register({rs.name: rs.definition for rs in rulesets})
        _COMPILED[book.version] = rulesets
    return rulesets


def resolve_as_of(deal: DealRecord, as_of: dt.date | None) -> dt.date:
    """The screening date: given, else the completion date, else the signing date."""
    date = as_of or deal.completion_date or deal.signing_date
    if date is None:
        raise UsageError.one(
            "$.completion_date",
            "missing-date",
            "the deal has no completion_date or signing_date: give one, or pass an as-of date",
        )
    return date


_CORE_SECTIONS = frozenset({"deal", "investor", "target", "rights"})


class _Plan:
    """What screening needs of a rulebook, worked out once per rulebook object."""

    def __init__(self, book: Rulebook) -> None:
        rulesets = compiled(book)
        self.strata: list[tuple[list[CompiledRuleset], list[Rule]]] = []
        self.guarded: dict[str, Condition] = {}
        for stratum, rules in enumerate(book.strata):
            for rule in rules:
                self.guarded[rule.id] = rule.guarded
            self.strata.append(([rs for rs in rulesets if rs.stratum == stratum], rules))
        self.complemented = frozenset(r for rs in rulesets for r in rs.complements)
        # Per stratum, what _disagreement needs of each rule, looked up once.
        self.decisions: list[list[tuple[str, bool]]] = [
            [(rule.id, rule.id in self.complemented) for rule in rules]
            for _rulesets, rules in self.strata
        ]
        self.paths = sorted({path for rs in rulesets for path in rs.paths})
        # Paths the rulebook reads in a condition or an explanation (see SHOWN_WHEN_READ).
        self.read_paths = frozenset(self.paths) | {
            m.group(1) for rule in book.rules.values() for m in _PLACEHOLDER.finditer(rule.explain)
        }
        # The paths grouped by section, each group read in one call (see _engine_values).
        groups: dict[str, list[str]] = {}
        for path in self.paths:
            groups.setdefault(path.split(".", 1)[0], []).append(path)
        keys: dict[str, PathKeys] = {}
        for rs in rulesets:
            for path, _section, name in rs.fields:
                keys[path] = path_keys(path, name, rs.ranged, rs.partial)
        # What a fact must carry for some rule of the ruleset to match it (None: anything may),
        # over refined presence tokens (compiler.refinement).
        self.requirements: dict[str, Requirements | None] = {
            rs.name: ruleset_requirements(rs, refine=True) for rs in rulesets
        }
        tokens = {
            token
            for needs in self.requirements.values()
            for rule in needs or ()
            for clause in rule
            for token in clause
        }
        # Paths some requirement reads the boolean value of (`=T`/`=F` tokens), and the order
        # tests of the screening date (each token with its refinement).
        valued = {t[:-2] for t in tokens if t[-2:] in ("=T", "=F") and t[0] != "?"}
        listed = {t[:-2] for t in tokens if t[-2:] == "=+"}
        self.date_tests: tuple[tuple[str, str], ...] = tuple(
            sorted(
                (t, t[len(ALWAYS_KNOWN) :])
                for t in tokens
                if t.startswith(ALWAYS_KNOWN) and t != ALWAYS_KNOWN
            )
        )
        # The dates the tests compare with, sorted: every date strictly between two of them (or
        # equal to one) passes the same tests, so the tokens are kept per such slot (at most
        # twice as many as the dates, plus one).
        self.date_points: list[int] = sorted(
            {int(how.lstrip("<>=")) for _t, how in self.date_tests}
        )
        self.date_tokens: dict[int, tuple[str, ...]] = {}
        # Per section: its getter, its paths, and per path (path, its keys, and for a path
        # asserted under its own name the member texts of true and false and the key).
        self.section_reads: list[
            tuple[str, Callable[[Any], Any], tuple[str, ...], tuple[_PathWrite, ...]]
        ] = [
            (
                section,
                _getter([p.split(".", 1)[1] for p in paths]),
                tuple(paths),
                tuple(_path_write(p, keys[p], p in valued, p in listed) for p in paths),
            )
            for section, paths in groups.items()
        ]
        self.no_values: dict[str, Any] = dict.fromkeys(
            path for _section, _read, paths, _writes in self.section_reads for path in paths
        )
        # The same, read in one pass: each section's getter, then every path and its write in
        # the order the getters return their values.
        self.getters = tuple((section, read) for section, read, _p, _w in self.section_reads)
        self.read_order = tuple(self.no_values)
        self.writes = tuple(w for _s, _r, _p, writes in self.section_reads for w in writes)
        self.values_function = _values_loop(self.writes, self.no_values)
        self.layouts: dict[str, FactLayout] = {rs.name: fact_layout(rs) for rs in rulesets}
        # Per stratum, each ruleset's name, fact layout, requirements and their first clauses
        # (compiler.first_clauses), looked up once.
        self.engine_strata: list[
            tuple[tuple[str, FactLayout, Requirements | None, frozenset[str] | None], ...]
        ] = [
            tuple(
                (
                    rs.name,
                    self.layouts[rs.name],
                    needs,
                    None if needs is None else first_clauses(needs),
                )
                for rs in found
                for needs in (self.requirements[rs.name],)
            )
            for found, _rules in self.strata
        ]
        # Per stratum, the name and fact layout of each ruleset some rule may match, given
        # the fact's presence tokens (compiler.selector: cannot_match, written out).
        self.selector_entries = [
            [((name, layout), needs) for name, layout, needs, _first in found]
            for found in self.engine_strata
        ]
        self.selectors: list[Selector] = [
            _plain_selector(entries) for entries in self.selector_entries
        ]
        # Per stratum: one function deciding every rule's status (the evaluator), and the
        # engine's view of each finding as fact text for the strata above.
        self.stratum_rules = [
            [(rule.id, rule.guarded, rule.id in self.complemented) for rule in rules]
            for _rulesets, rules in self.strata
        ]
        self.programs: list[StratumFn] = [stratum_function(r) for r in self.stratum_rules]
        # The three above are first the plain Python loops; after GENERATE_AFTER screenings
        # with this plan they are replaced by the same work written out as Python (generated
        # once per rulebook, see engine/_generated.py), which costs a tenth of a second to
        # write and compile and pays for it over a few hundred deals: a one-deal `dealscreen
        # screen` never pays it. Both give the same answers (tests/test_engine_codegen.py).
        self.screenings = 0
        # Per finding: its member in a fact when true, when false, its presence token, and its
        # tokens when true and when false.
        self.finding_text: dict[str, tuple[str, str, str, str, str]] = {
            rule.id: (
                f"{key_text(finding_key(rule.id))}true",
                f"{key_text(finding_key(rule.id))}false",
                f"?{rule.id}",
                f"?{rule.id}=T",
                f"?{rule.id}=F",
            )
            for rule in book.rules.values()
            if rule.kind == "finding"
        }
        self.leaves = {rule_id: leaves(cond) for rule_id, cond in self.guarded.items()}
        self.outcome_rules: dict[str, list[Rule]] = {}
        self.exemptions: list[Rule] = []
        for rule in book.rules.values():
            if rule.kind == "outcome":
                self.outcome_rules.setdefault(rule.regime, []).append(rule)
            elif rule.kind == "exemption":
                self.exemptions.append(rule)
        # Per regime, the exemptions that suppress one of its outcome rules (the others can
        # never lower it), in rulebook order.
        self.regime_exemptions: dict[str, list[Rule]] = {
            regime: [e for e in self.exemptions if any(t in ids for t in e.suppresses)]
            for regime, ids in (
                (regime, {r.id for r in rules}) for regime, rules in self.outcome_rules.items()
            )
        }
        # Sections whose derivations a result shows: the core ones and those some rule reads.
        # A section added to the code later stays out of results under an older rulebook, so a
        # recorded screening still replays byte for byte.
        self.shown_sections = _CORE_SECTIONS | {path.split(".", 1)[0] for path in self.paths}


def read_paths(book: Rulebook) -> frozenset[str]:
    """The fact paths a rulebook reads in a condition or an explanation."""
    return _plan(book).read_paths


def derive_for(book: Rulebook, deal: DealRecord, as_of: dt.date) -> FactView:
    """:func:`derive` for a rulebook: its reference lists, and the fact meanings it reads
    (``facts/gates.py``)."""
    return derive(deal, book.references, as_of, reads=_plan(book).read_paths)


def _plan(book: Rulebook) -> _Plan:
    return book.kept("_plan", _Plan)


GENERATE_AFTER = 64
"""Screenings with a rulebook after which its status, selector and engine-value functions are
replaced by the generated ones (see ``_Plan``)."""


def _used(plan: _Plan) -> _Plan:
    """Count a screening with ``plan``; at the :data:`GENERATE_AFTER`-th, write out its
    generated functions."""
    plan.screenings += 1
    if plan.screenings == GENERATE_AFTER:
        _generate(plan)
    return plan


def _generate(plan: _Plan) -> None:
    """Replace the plan's plain functions by the generated ones (each list or attribute is
    replaced whole, so a screening running meanwhile uses one or the other)."""
    plan.values_function = _values_function(plan.writes, plan.no_values)
    plan.selectors = [selector(entries) for entries in plan.selector_entries]
    plan.programs = [generated_stratum_function(rules) for rules in plan.stratum_rules]


def _plain_selector(entries: list[tuple[Any, Requirements | None]]) -> Selector:
    """:func:`~screening.engine.compiler.selector` as a loop (the payloads, in order, of the
    entries whose ruleset some rule may match)."""
    firsts = [
        (payload, needs, None if needs is None else first_clauses(needs))
        for payload, needs in entries
    ]

    def select(present: set[str]) -> list[Any]:
        return [
            payload
            for payload, needs, first in firsts
            if needs is None or not cannot_match(needs, present, first)
        ]

    return select


def _values_loop(writes: tuple[_PathWrite, ...], no_values: dict[str, Any]) -> _ValuesFn:
    """:func:`_values_function` as a loop over the paths."""

    def values_function(values: list[Any]) -> tuple[dict[str, str], dict[str, Any], list[str]]:
        out: dict[str, str] = {}
        read_values = no_values.copy()  # every path unknown, the known set below
        found: list[str] = []
        # Known values only (most are unknown), picked out without a Python loop.
        known = compress(
            zip(writes, values, strict=True), map(operator.is_not, values, repeat(None))
        )
        for write, value in known:
            _write_known(write, value, out, read_values, found)
        return out, read_values, found

    return values_function


class _Outcomes(Mapping[str, Outcome]):
    """Explained outcomes, built on first use: only the rules a result shows need one.

    Each is computed by :func:`evaluate` over the final statuses and must reach the status the
    screening decided; a difference is a defect and raises :class:`EngineError`.
    """

    def __init__(self, ev: Evaluation) -> None:
        self._ev = ev
        self._cache: dict[str, Outcome] = {}

    def __getitem__(self, rule_id: str) -> Outcome:
        outcome = self._cache.get(rule_id)
        if outcome is None:
            ev = self._ev
            status = ev.status[rule_id]
            plan = _plan(ev.book)
            outcome = evaluate(
                plan.guarded[rule_id], ev.view, ev.status, ev.book.references, ev.scope
            )
            if outcome.status != status:
                raise EngineError(
                    f"the evaluator explains `{rule_id}` as {outcome.status}, but decided {status}"
                )
            self._cache[rule_id] = outcome
        return outcome

    def __iter__(self) -> Iterator[str]:
        return iter(self._ev.status)

    def __len__(self) -> int:
        return len(self._ev.status)


class Evaluation:
    """Statuses of every rule for one deal, from both the engine and the evaluator."""

    def __init__(self, book: Rulebook, view: FactView) -> None:
        self.book = book
        self.view = view
        self.guarded = _plan(book).guarded  # each rule's condition with its dates
        self.status: dict[str, Tri] = {}
        self.scope = Scope(view, self.status, book.references)
        self.outcomes: Mapping[str, Outcome] = _Outcomes(self)
        self.because: dict[str, list[Because]] = {}
        self.unknown: dict[str, frozenset[str]] = {}  # unknown_facts, per rule


_PathWrite = tuple[str, PathKeys, str, str, str, str, str, str]


def _path_write(
    path: str, keys: PathKeys, valued: bool = False, listed: bool = False
) -> _PathWrite:
    """(path, keys, and for a path asserted under its own name: the key, and its members for
    true and for false, else three empty strings; then, for a path whose boolean value some
    requirement reads, its tokens when true and when false, else two empty strings; then for
    a path some requirement needs an element of, its token when it has one, else "")."""
    tokens = (f"{path}=T", f"{path}=F") if valued else ("", "")
    element = f"{path}=+" if listed else ""
    if keys[0] != PLAIN:
        return path, keys, "", "", "", *tokens, element
    return path, keys, keys[1], f"{keys[1]}true", f"{keys[1]}false", *tokens, element


def _engine_values(
    plan: _Plan, view: FactView, scope: Scope, tokens: list[str] | None = None
) -> dict[str, str]:
    """The JSON members of every known fact path the rulesets read (see
    :func:`~screening.engine.compiler.members`); the scope remembers the raw values.

    ``tokens``, when given, gains the value tokens of the known paths (``=T`` of a true
    boolean, ``=F`` of a false one, both of any other value; ``=+`` of a value that is not an
    empty list: see :func:`~screening.engine.compiler.refinement`).

    Each path's work is written out once per rulebook (:func:`_values_function`); what it
    does for a path is :func:`_write_known`, which :func:`_engine_values_reference` runs in a
    loop (tests/test_engine_codegen.py holds the two to the same results)."""
    out, read_values, found = plan.values_function(_section_values(plan, view))
    if tokens is not None:
        tokens += found
    scope.remember_read(read_values)
    return out


def _section_values(plan: _Plan, view: FactView) -> list[Any]:
    """The value of every path the rulesets read, in ``plan.read_order``."""
    sections: dict[str, Any] = {
        "deal": view.deal,
        "investor": view.investor,
        "target": view.target,
        "rights": view.rights,
        **view.extra,
    }
    values: list[Any] = []
    for section, read in plan.getters:
        values += read(sections[section])
    if len(values) != len(plan.read_order):
        raise EngineError("a section of the fact view returned the wrong number of values")
    return values


def _engine_values_reference(
    plan: _Plan, view: FactView, scope: Scope, tokens: list[str] | None = None
) -> dict[str, str]:
    """:func:`_engine_values` as a loop over the paths (the reference it is tested against)."""
    out, read_values, found = _values_loop(plan.writes, plan.no_values)(_section_values(plan, view))
    if tokens is not None:
        tokens += found
    scope.remember_read(read_values)
    return out


def _write_known(
    write: _PathWrite,
    value: Any,
    out: dict[str, str],
    read_values: dict[str, Any],
    tokens: list[str],
) -> None:
    """One known path's raw value, value tokens and JSON members (see :func:`_engine_values`)."""
    path, keys, plain, true, false, is_true, is_false, element = write
    read_values[path] = value
    cls = value.__class__
    if is_true:
        if cls is not bool:
            tokens.append(is_true)
            tokens.append(is_false)
        else:
            tokens.append(is_true if value else is_false)
    if element and (value if cls is list else value.known if cls is AtLeast else True):
        tokens.append(element)
    # Booleans and strings are their own engine form (the common case).
    if cls is bool and plain:
        out[path] = true if value else false
    elif cls is str and plain:
        out[path] = plain + encode_basestring(value)
    elif cls is list and plain and all(item.__class__ is str for item in value):
        # A list of strings is its own engine form too (engine_value's str() of each).
        items = ", ".join([encode_basestring(item) for item in value])
        out[path] = f"{plain}[{items}], {keys[2]}{len(value)}"
    elif cls is dt.date and plain:  # engine_value's YYYYMMDD, written as json_text does
        out[path] = plain + int.__repr__(value.year * 10000 + value.month * 100 + value.day)
    else:
        engine = engine_value(value)
        if engine is not None:
            out[path] = members(keys, engine)


_ValuesFn = Callable[[list[Any]], tuple[dict[str, str], dict[str, Any], list[str]]]


def _values_function(writes: tuple[_PathWrite, ...], no_values: dict[str, Any]) -> _ValuesFn:
    """:func:`_write_known` for every known path, written out as Python once per rulebook:
    per path, a test that it is known, and for a boolean or a string asserted under its own
    name the same work written in place (the commonest values by far); any other value calls
    :func:`_write_known`. As in :func:`~screening.engine.evaluate.stratum_source`, every path,
    key and text is a constant of a table (``k0``, ``k1``, ...), never text of the source.

    The function takes the values in ``writes`` order and returns the members, the raw values
    (every path, None when unknown) and the value tokens."""
    constants: list[Any] = [no_values]
    lines = [
        "    def values_function(vals):",
        "        out = {}",
        "        read_values = k0.copy()",
        "        tokens = []",
        "        token = tokens.append",
    ]

    def const(value: Any) -> str:
        constants.append(value)
        return f"k{len(constants) - 1}"

    for i, write in enumerate(writes):
        path, _keys, plain, true, false, is_true, is_false, element = write
        p, w = const(path), const(write)
        lines.append(f"        v = vals[{i}]")
        lines.append("        if v is not None:")
        if plain:
            lines.append("            if v.__class__ is bool:")
            lines.append(f"                read_values[{p}] = v")
            if is_true:
                lines.append(f"                token({const(is_true)} if v else {const(is_false)})")
            if element:
                lines.append(f"                token({const(element)})")
            lines.append(f"                out[{p}] = {const(true)} if v else {const(false)}")
            lines.append("            elif v.__class__ is str:")
            lines.append(f"                read_values[{p}] = v")
            if is_true:
                lines.append(f"                token({const(is_true)})")
                lines.append(f"                token({const(is_false)})")
            if element:
                lines.append(f"                token({const(element)})")
            lines.append(f"                out[{p}] = {const(plain)} + encode(v)")
            lines.append("            else:")
            lines.append(f"                write_known({w}, v, out, read_values, tokens)")
        else:
            lines.append(f"            write_known({w}, v, out, read_values, tokens)")
    lines.append("        return out, read_values, tokens")
    source = "\n".join([line[4:] for line in lines] + [""])
    # The constants are globals of the generated module (a closure's cells would be copied
    # into the frame of every call).
    names = {
        "__builtins__": {"bool": bool, "str": str},
        "write_known": _write_known,
        "encode": encode_basestring,
    }
    made: _ValuesFn = define(
        source, "<dealscreen engine values>", "values_function", names, constants
    )
    return made


def _present(plan: _Plan, view: FactView, scope: Scope) -> tuple[dict[str, str], set[str]]:
    """:func:`_engine_values`, and the presence tokens of the deal's facts: every known path,
    its value tokens, and the order tests its screening date passes (see
    :func:`~screening.engine.compiler.ruleset_requirements`)."""
    tokens: list[str] = []
    written = _engine_values(plan, view, scope, tokens)
    present = set(written)
    present.update(tokens)
    if plan.date_tests:
        as_of = scope.value(ALWAYS_KNOWN)
        if as_of.__class__ is dt.date:
            code = as_of.year * 10000 + as_of.month * 100 + as_of.day  # engine_value's
            points = plan.date_points
            at = bisect_left(points, code)
            slot = 2 * at + 1 if at < len(points) and points[at] == code else 2 * at
            passed = plan.date_tokens.get(slot)
            if passed is None:
                passed = tuple(t for t, how in plan.date_tests if holds(how, code))
                plan.date_tokens[slot] = passed
        else:  # not a date (never): every test may hold
            passed = tuple(t for t, _how in plan.date_tests)
        present.update(passed)
    return written, present


def _getter(names: list[str]) -> Callable[[Any], tuple[Any, ...]]:
    """Read several attributes of an object at once, as a tuple (even for one)."""
    if len(names) == 1:
        name = names[0]
        return lambda obj: (getattr(obj, name),)
    return operator.attrgetter(*names)


def _decide(
    ev: Evaluation,
    stratum: int,
    fired: set[str],
    refuted: set[str],
    engine_findings: dict[str, str],
    check: bool,
    present: set[str],
) -> None:
    """One stratum's statuses for one deal: the evaluator's, checked against the engine's.

    The evaluator's true rules must be exactly those the engine fired, and its false rules
    among those compiled with their complement exactly those the engine refuted; otherwise
    :func:`_disagreement` names the first rule they disagree on. ``engine_findings`` gains the
    engine's decided findings, as fact text for the strata above, and ``present`` their
    presence tokens (see :func:`~screening.engine.compiler.ruleset_requirements`).
    """
    plan = _plan(ev.book)
    true, false = plan.programs[stratum](ev.scope)
    if (fired & refuted) or (check and (fired != set(true) or refuted != set(false))):
        _disagreement(ev, plan.decisions[stratum], fired, refuted, check)
    texts = plan.finding_text
    for decided, member in ((fired, 0), (refuted, 1)):
        for rule_id in decided:
            text = texts.get(rule_id)
            if text is not None:
                engine_findings[rule_id] = text[member]
                present.add(text[2])
                present.add(text[3 + member])


def _disagreement(
    ev: Evaluation,
    checks: list[tuple[str, bool]],
    fired: set[str],
    refuted: set[str],
    check: bool,
) -> None:
    """Rule by rule, the first disagreement between the engine and the evaluator (raised)."""
    statuses = ev.status
    for rule_id, complemented in checks:
        status = statuses[rule_id]
        engine_status: Tri = True if rule_id in fired else None
        if rule_id in refuted:
            engine_status = False if engine_status is None else None
            if rule_id in fired:
                raise EngineError(f"rule `{rule_id}` both fired and was refuted by the engine")
        if complemented:  # the engine decides true, false or unknown
            agree = engine_status == status
        else:  # only its positive rule is compiled: true or not true
            agree = (engine_status is True) == (status is True)
        if check and not agree:
            raise EngineError(
                f"durable-rules and the evaluator disagree on `{rule_id}` for deal "
                f"`{ev.view.investor.name}`: engine {engine_status}, evaluator {status}"
            )


def run_rules(book: Rulebook, view: FactView, *, check: bool = True) -> Evaluation:
    """Run every stratum through durable-rules and the evaluator; they must agree."""
    ev = Evaluation(book, view)
    plan = _used(_plan(book))
    written, present = _present(plan, view, ev.scope)  # see compiler.ruleset_requirements
    engine_findings: dict[str, str] = {}
    run = _durable.run_text
    for stratum, select in enumerate(plan.selectors):
        fired: set[str] = set()
        refuted: set[str] = set()
        # Only the rulesets some rule may match (compiler.cannot_match, compiler.selector).
        for name, layout in select(present):
            for action in run(name, fact_text(layout, written, engine_findings)):
                if action[0] == "+":
                    fired.add(action[1:])
                else:
                    refuted.add(action[1:])
        _decide(ev, stratum, fired, refuted, engine_findings, check, present)
    return ev


def evaluate_rules(book: Rulebook, view: FactView) -> Evaluation:
    """Every rule's status for a fact view from the Python evaluator alone (no durable-rules).

    The same statuses :func:`run_rules` decides and cross-checks on every screening; searches
    that try many variants of a deal use it to rule variants out cheaply, and verify what they
    keep with :func:`screen`.
    """
    ev = Evaluation(book, view)
    scope = ev.scope
    for program in _plan(book).programs:
        program(scope)
    return ev


def run_rules_many(
    book: Rulebook, views: list[FactView], *, check: bool = True
) -> list[Evaluation]:
    """:func:`run_rules` for several deals at once: one engine session per ruleset for all of
    them (strata in lock-step), the same statuses and the same cross-check for each deal."""
    plan = _used(_plan(book))
    evs = [Evaluation(book, view) for view in views]
    read = [_present(plan, ev.view, ev.scope) for ev in evs]
    written = [w for w, _p in read]
    findings: list[dict[str, str]] = [{} for _ in evs]
    present = [p for _w, p in read]  # per deal, as in run_rules
    for stratum, rulesets in enumerate(plan.engine_strata):
        fired: list[set[str]] = [set() for _ in evs]
        refuted: list[set[str]] = [set() for _ in evs]
        select = plan.selectors[stratum]
        chosen = [{name for name, _layout in select(p)} for p in present]
        for name, layout, _needs, _first in rulesets:
            asserted = [i for i in range(len(evs)) if name in chosen[i]]
            texts = [fact_text(layout, written[i], findings[i]) for i in asserted]
            for i, actions in zip(asserted, _durable.run_many_text(name, texts), strict=True):
                for action in actions:
                    (fired[i] if action[0] == "+" else refuted[i]).add(action[1:])
        for i, ev in enumerate(evs):
            _decide(ev, stratum, fired[i], refuted[i], findings[i], check, present[i])
    return evs


def screen(
    deal: DealRecord | Deal,
    *,
    rulebook: Rulebook | None = None,
    as_of: dt.date | None = None,
) -> ScreeningResult:
    """Screen one deal against a rulebook (the shipped one by default); writes nothing."""
    record = deal.root if isinstance(deal, Deal) else deal
    book = rulebook or load_rulebook()
    date = resolve_as_of(record, as_of)
    _plan(book)  # compiled outside the recording: compiling reads every list once
    with recording_use() as used:
        ev = run_rules(book, derive_for(book, record, date))
        return _screened(record, book, ev, used)


def _screened(
    record: DealRecord, book: Rulebook, ev: Evaluation, used: set[str] | None
) -> ScreeningResult:
    """A deal's result from its evaluation: :func:`assemble`, then for a consortium each
    member's own duty, with the memo built once, on the combined verdicts."""
    if used is not None and consortium.is_consortium(record):
        return _with_consortium(record, book, ev, used, assemble(record, book, ev), memo=True)
    return _with_consortium(record, book, ev, used, assemble(record, book, ev, used))


def _with_consortium(
    record: DealRecord,
    book: Rulebook,
    ev: Evaluation,
    used: set[str] | None,
    result: ScreeningResult,
    *,
    memo: bool = False,
) -> ScreeningResult:
    """Each consortium member's own CFIUS duty (screening/engine/consortium.py); the memo is
    built on the combined verdicts (rebuilt if ``result`` has one; with ``memo``, ``result``
    was assembled without one and it is built here). A deal with no member is returned as it
    is.

    The memo is what a memo of ``result`` replaced by one on the combined verdicts gave: the
    clear reasons of the investor's own clear regimes are worked out first (the reasons a
    discarded first memo computed, with the same reads, so the lists it records are the same)
    and reused for the regimes the members left clear.
    """
    if not consortium.is_consortium(record):
        if memo and used is not None:  # assembled without its memo: the memo of ``result``
            summary = build_summary(
                ev, record, result.regimes, result.hits, result.open_questions, used
            )
            return result.model_copy(update={"summary": summary})
        return result
    date = ev.view.deal.as_of
    build_memo = used is not None and (memo or result.summary is not None)
    clear = clear_reasons(ev, result.regimes) if build_memo else None

    def one(member: DealRecord) -> ScreeningResult:
        return assemble(member, book, run_rules(book, derive_for(book, member, date)))

    with rulebook_reading(_plan(book).read_paths):  # the meanings this rulebook reads
        combined = consortium.combine(record, result, book.references, one)
    if not build_memo or used is None:
        return combined
    summary = build_summary(
        ev,
        record,
        combined.regimes,
        combined.hits,
        combined.open_questions,
        used,
        clear_reasons=clear,
    )
    return combined.model_copy(update={"summary": summary})


BATCH = 128  # deals per engine session in screen_many


def screen_batch(
    deals: Iterable[DealRecord | Deal],
    *,
    rulebook: Rulebook | None = None,
    as_of: dt.date | None = None,
) -> list[ScreeningResult | ScreeningError]:
    """Screen deals together (one engine session per ruleset for all of them); for each deal,
    its result or the error :func:`screen` would have raised for it (deal by deal)."""
    book = rulebook or load_rulebook()
    records = [d.root if isinstance(d, Deal) else d for d in deals]
    out: list[ScreeningResult | ScreeningError | None] = []
    views: list[FactView] = []
    placed: list[int] = []
    read: list[set[str]] = []  # per deal, the reference lists its derivation read
    _plan(book)  # compiled outside the recording: compiling reads every list once
    for record in records:
        try:
            with recording_use() as used:
                views.append(derive_for(book, record, resolve_as_of(record, as_of)))
            read.append(used)
            placed.append(len(out))
            out.append(None)  # screened below
        except ScreeningError as exc:
            out.append(exc)
    evaluations: list[Evaluation | ScreeningError]
    try:
        evaluations = list(run_rules_many(book, views))
    except ScreeningError:
        # A deal the engine side refuses: run the batch deal by deal, so only it is refused.
        evaluations = []
        for view in views:
            try:
                evaluations.append(run_rules(book, view))
            except ScreeningError as exc:
                evaluations.append(exc)
    for at, ev, used in zip(placed, evaluations, read, strict=True):
        try:
            out[at] = (
                ev if isinstance(ev, ScreeningError) else _screened(records[at], book, ev, used)
            )
        except ScreeningError as exc:
            out[at] = exc
    return [o for o in out if o is not None]


def screen_many(
    deals: Iterable[DealRecord | Deal],
    *,
    rulebook: Rulebook | None = None,
    as_of: dt.date | None = None,
) -> list[ScreeningResult]:
    """Screen many deals: the same results as :func:`screen` deal by deal, several times faster.

    Deals go to the engine in batches of up to 128 (one engine session per ruleset per batch).
    The first deal :func:`screen` would refuse raises the same error here.
    """
    book = rulebook or load_rulebook()
    results: list[ScreeningResult] = []
    batch: list[DealRecord | Deal] = []

    def flush() -> None:
        for outcome in screen_batch(batch, rulebook=book, as_of=as_of):
            if isinstance(outcome, ScreeningError):
                raise outcome
            results.append(outcome)
        batch.clear()

    for deal in deals:
        batch.append(deal)
        if len(batch) >= BATCH:
            flush()
    flush()
    return results


def render_template(template: str, view: FactView) -> str:
    """Fill ``{section.field}`` placeholders with rendered fact values (nothing else)."""
    parts = _TEMPLATES.get(template)
    if parts is None:
        parts = _template_parts(template)
    return _render(parts, view.get)


def _render(parts: list[tuple[str, str, str, bool]], value_of: Callable[[str], Any]) -> str:
    out: list[str] = []
    for text, path, unit, stop in parts:
        out.append(text)
        if path:
            value = value_of(path)
            # A string renders as itself (render_value's last case); the rest as it says.
            value = value if value.__class__ is str else _said(value, unit)
            if stop and value.endswith("."):
                value = value[:-1]  # "Co., Ltd." before the sentence's own full stop
            out.append(value)
    return "".join(out)


_NUMBERS: dict[tuple[type, Any, str], str] = {}  # _said of numbers (bounded, see _said)


def _said(value: Any, unit: str) -> str:
    """``render_value(value, unit)``: the same words, with those of a number remembered."""
    cls = value.__class__
    if cls is bool:
        return "yes" if value else "no"
    if value is None:
        return "unknown"
    if cls is Decimal or cls is int:
        # A decimal's string gives it back exactly (sign, digits and exponent), so it keys its
        # words; an int is its own key (a bool never comes here).
        key = (cls, str(value) if cls is Decimal else value, unit)
        said = _NUMBERS.get(key)
        if said is None:
            said = render_value(value, unit)
            if len(_NUMBERS) >= _KEPT:
                _NUMBERS.clear()
            _NUMBERS[key] = said
        return said
    if cls is list and all(v.__class__ is str for v in value):
        return "[" + ", ".join(value) + "]" if value else "none"  # each string as itself
    return render_value(value, unit)


_TEMPLATES: dict[str, list[tuple[str, str, str, bool]]] = {}


def _template_parts(template: str) -> list[tuple[str, str, str, bool]]:
    """A template split once: (text before, placeholder path, its unit, a full stop follows),
    the text after the last placeholder last (with an empty path)."""
    parts: list[tuple[str, str, str, bool]] = []
    at = 0
    for m in _PLACEHOLDER.finditer(template):
        info = cached_field_info(m.group(1))
        stop = template.startswith(".", m.end())
        parts.append((template[at : m.start()], m.group(1), info[2] if info else "", stop))
        at = m.end()
    parts.append((template[at:], "", "", False))
    if len(_TEMPLATES) > 4096:  # the templates of a few rulebooks; never grow without bound
        _TEMPLATES.clear()
    _TEMPLATES[template] = parts
    return parts


class _Template:
    """A rule's explanation template split once (see _template_parts), rendered as _render does:
    the facts read in one pass, the texts and the words joined in one."""

    __slots__ = ("get", "paths", "stops", "texts", "units")

    def __init__(self, parts: list[tuple[str, str, str, bool]]) -> None:
        self.texts = [text for text, _path, _unit, _stop in parts]  # the last: after the last
        self.paths = [path for _text, path, _unit, _stop in parts[:-1]]
        self.units = [unit for _text, _path, unit, _stop in parts[:-1]]
        self.stops = [i for i, part in enumerate(parts[:-1]) if part[3]]
        self.get = _getter_of(tuple(self.paths))  # the values of the paths, read at once

    def render(self, value_of: Callable[[str], Any]) -> str:
        if not self.paths:
            return self.texts[0]
        return self.words(map(value_of, self.paths))

    def render_read(self, values: Mapping[str, Any], value_of: Callable[[str], Any]) -> str:
        """:meth:`render`, the values taken at once from ``values`` (the facts a screening has
        read) when all are there."""
        if not self.paths:
            return self.texts[0]
        try:
            got: Iterable[Any] = self.get(values)
        except KeyError:
            got = map(value_of, self.paths)
        return self.words(got)

    def words(self, values: Iterable[Any]) -> str:
        said = [
            value if value.__class__ is str else _said(value, unit)
            for value, unit in zip(values, self.units, strict=True)
        ]
        for i in self.stops:  # "Co., Ltd." before the sentence's own full stop
            if said[i].endswith("."):
                said[i] = said[i][:-1]
        out = [""] * (2 * len(said) + 1)  # texts and words alternate, a text first and last
        out[::2] = self.texts
        out[1::2] = said
        return "".join(out)


# The fields each hot result model is made with (verdict.made): every field, except a finding
# condition, which leaves `path` and `value` unset as it always has.
_HIT_FIELDS = frozenset(Hit.model_fields)
_LEAF_FIELDS = frozenset(ConditionResult.model_fields)
_FINDING_FIELDS = frozenset({"condition", "text", "held", "alternatives"})
_BECAUSE_FIELDS = frozenset(Because.model_fields)
_QUESTION_FIELDS = frozenset(OpenQuestion.model_fields)
_EXEMPTION_FIELDS = frozenset(PossibleExemption.model_fields)
_REGIME_FIELDS = frozenset(RegimeResult.model_fields)
_DERIVED_FIELDS = frozenset(DerivedFact.model_fields)
_RESULT_FIELDS = frozenset(ScreeningResult.model_fields) - {"disclaimer", "consortium"}
_RANK = {level: rank(level) for level in VERDICTS}
_NOT_IN_FORCE = _RANK[NOT_IN_FORCE]
_CLEAR = _RANK["clear"]


# A condition a hit may show: the leaf, its `alternatives` number, for a finding the condition
# it shows when it holds (the same for every deal: one immutable instance) and the finding's
# state that makes it hold; for a leaf, the text render_leaf gives it when it holds, around the
# value (None: call render_leaf), and the fact's unit.
_Shown = tuple[Leaf | FindingRef, int | None, ConditionResult | None, bool, str | None, str, str]


class _Seen:
    """A value that renders as a marker: where render_leaf puts the value it saw."""

    def __str__(self) -> str:
        return _SEEN


_SEEN = "\x00seen\x00"


def _held_text(leaf: Leaf, references: References) -> tuple[str | None, str]:
    """The text :func:`render_leaf` gives a leaf that holds, split around the value it saw
    (a value renders as ``render_value(value, unit)`` there); (None, "") when it does not show
    the value exactly once."""
    text = render_leaf(leaf, _Seen(), True, references, dt.date.min)
    if text.count(_SEEN) != 1:
        return None, ""
    before, after = text.split(_SEEN)
    return before, after


class _Shape:
    """What a rule shows as a hit that does not depend on the deal, worked out once."""

    __slots__ = ("conditions", "hit", "parts", "reads", "rule", "template")

    def __init__(self, rules: Mapping[str, Rule], references: References, rule: Rule) -> None:
        self.rule = rule
        self.parts = _template_parts(rule.explain)
        self.template = _Template(self.parts)
        # A hit's fields in order, those of the rule filled in (the rest are the deal's).
        self.hit: dict[str, Any] = {
            "rule_id": rule.id,
            "regime": rule.regime,
            "kind": rule.kind,
            "outcome": rule.outcome,
            "citation": rule.citation,
            "title": rule.title,
            "explanation": "",
            "facts": None,
            "conditions": None,
            "because": None,
            "suppressed_by": None,
            "confidence": rule.confidence,
            "source": rule.location,
            "notes": rule.notes,
        }
        # The leaves a hit may show, in the order _conditions walks them, each with its
        # `alternatives` number; a finding with the text it has when it holds (and the state
        # of the finding that makes it hold), a leaf with None.
        self.conditions: list[_Shown] = []
        groups = 0

        def walk(cond: Condition, group: int | None) -> None:
            nonlocal groups
            if isinstance(cond, All | AnyOf):
                if not cond.children:
                    return
                if isinstance(cond, AnyOf):
                    groups += 1
                    group = groups
                for child in cond.children:
                    walk(child, group)
            elif isinstance(cond, FindingRef):
                state = not cond.negated  # held: true, or false under `not finding`
                held = made(
                    ConditionResult,
                    {
                        "condition": cond.text,
                        "text": finding_text(rules[cond.rule_id], cond.negated, state),
                        "path": None,
                        "value": None,
                        "held": True,
                        "alternatives": group,
                    },
                    _FINDING_FIELDS,
                )
                self.conditions.append((cond, group, held, state, None, "", ""))
            elif not cond.synthetic:
                info = cached_field_info(cond.path)
                unit = info[2] if info else ""
                self.conditions.append(
                    (cond, group, None, True, *_held_text(cond, references), unit)
                )

        walk(rule.guarded, None)
        # What the conditions shown depend on, read at once (see _hit): the values of the
        # leaves, the statuses of the findings. None when a leaf reads a reference list (its
        # resolution is recorded per screening).
        leaves_shown = [c[0] for c in self.conditions if c[2] is None]
        findings_shown = [c[0] for c in self.conditions if c[2] is not None]
        self.reads: (
            tuple[Callable[[Any], tuple[Any, ...]], Callable[[Any], tuple[Any, ...]]] | None
        ) = (
            None
            if any(leaf.ref is not None for leaf in leaves_shown)  # type: ignore[union-attr]
            else (
                _getter_of(tuple(leaf.path for leaf in leaves_shown)),  # type: ignore[union-attr]
                _getter_of(tuple(f.rule_id for f in findings_shown)),  # type: ignore[union-attr]
            )
        )


# (the plain paths as a mask, the same in order, their bits, the other leaves with their bits,
# the findings): _Assembly.unknowable
_Unknowable = tuple[
    int, tuple[str, ...], tuple[int, ...], tuple[tuple[Leaf, int], ...], tuple[str, ...]
]
_Windows = tuple[tuple[dt.date | None, dt.date | None], ...]  # rules' (effective_from, _to)


class _Assembly:
    """What assembling a result needs of a rulebook that does not depend on the deal."""

    def __init__(self, book: Rulebook) -> None:
        plan = _plan(book)
        self.rules, self.references = book.rules, book.references  # not the book: no cycle
        self.shapes: dict[str, _Shape] = {}  # worked out for a rule when it first fires
        # Each rule's place in the order hits are listed in.
        self.hit_position = {
            rule.id: i
            for i, rule in enumerate(
                sorted(
                    book.rules.values(),
                    key=lambda r: (
                        r.regime,
                        -rank(r.outcome or "clear"),
                        _KIND_ORDER[r.kind],
                        r.id,
                    ),
                )
            )
        }
        # Per regime, its outcome rules in the order open questions are listed in, with the
        # rank of their outcome.
        self.question_order = {
            regime: [
                (rule.id, rule, rank(rule.outcome or "clear"))
                for rule in sorted(rules, key=lambda r: (-rank(r.outcome or "clear"), r.id))
            ]
            for regime, rules in plan.outcome_rules.items()
        }
        self.question_ids = {
            regime: tuple(rule_id for rule_id, _rule, _rank in order)
            for regime, order in self.question_order.items()
        }
        # Regimes with an outcome rule in force on every date.
        self.always_in_force = frozenset(
            regime
            for regime, rules in plan.outcome_rules.items()
            if any(r.effective_from is None and r.effective_to is None for r in rules)
        )
        # Per regime, each exemption that may lower it (by rule id) with the outcome rules of
        # the regime it suppresses (sorted).
        self.regime_exemptions: dict[str, list[tuple[Rule, list[str]]]] = {}
        for regime, rules in plan.outcome_rules.items():
            ids = {r.id for r in rules}
            self.regime_exemptions[regime] = [
                (e, sorted(t for t in e.suppresses if t in ids))
                for e in sorted(plan.regime_exemptions.get(regime, ()), key=lambda e: e.id)
            ]
        self.outcome_rules = plan.outcome_rules
        # Per rule, the findings a hit of it may stand on, in the order _because lists them.
        self.because_rules: dict[str, list[Rule]] = {
            rule_id: [
                book.rules[n.rule_id]
                for n in sorted(
                    (n for n in nodes if isinstance(n, FindingRef) and not n.negated),
                    key=lambda n: n.rule_id,
                )
            ]
            for rule_id, nodes in plan.leaves.items()
        }
        self.exemptions = tuple(plan.exemptions)
        self.exemption_ids = tuple(rule.id for rule in plan.exemptions)
        self.shown_paths: dict[str, bool] = {}
        self.plan_leaves = plan.leaves
        self._leaves: dict[str, tuple[tuple[Leaf, ...], tuple[str, ...]]] = {}
        # Unknown facts are sets of paths, written as bits of an int (see _Unknowns): one bit per
        # path some rule's leaf reads, in sorted order, so that the set bits of a mask, lowest
        # first, are its paths sorted.
        self.bit_paths: tuple[str, ...] = tuple(
            sorted({leaf.path for rule_id in plan.leaves for leaf in self.leaves(rule_id)[0]})
        )
        self.bits: dict[str, int] = {path: 1 << i for i, path in enumerate(self.bit_paths)}
        self.all_bits = (1 << len(self.bit_paths)) - 1
        # The values of every such path, the highest bit's first (a tuple even of one).
        self.bit_read: Callable[[Mapping[str, Any]], tuple[Any, ...]] = _getter_of(
            self.bit_paths[::-1]
        )
        self._paths_of: dict[int, list[str]] = {}
        # For _Unknowns, per rule: the distinct paths of its fact leaves that are never a range
        # nor known in part (the fact catalogue says, as it does to the compiler) as a mask, the
        # same paths and their bits in order, the leaves on the other paths (each with its
        # path's bit), and the findings it reads, in order.
        self.unknowable: dict[str, _Unknowable] = {}
        for rule_id in plan.leaves:
            fact_leaves, findings = self.leaves(rule_id)
            plain = tuple(
                dict.fromkeys(
                    leaf.path
                    for leaf in fact_leaves
                    if field_info(leaf.path) is not None
                    and not ranged(leaf.path)
                    and not partial(leaf.path)
                )
            )
            plain_bits = tuple(self.bits[path] for path in plain)
            other = tuple(
                (leaf, self.bits[leaf.path]) for leaf in fact_leaves if leaf.path not in plain
            )
            self.unknowable[rule_id] = (sum(plain_bits), plain, plain_bits, other, findings)
        # The same over a rule and every finding below it (its closure), with those findings:
        # when all of them are unknown, every leaf of the closure counts (see _Unknowns.mask).
        self.closure: dict[str, tuple[int, tuple[tuple[Leaf, int], ...], tuple[str, ...]]] = {}
        for rule_id in self.unknowable:
            below: dict[str, None] = {}
            todo = list(self.unknowable[rule_id][4])
            while todo:
                finding = todo.pop()
                if finding not in below:
                    below[finding] = None
                    todo.extend(self.unknowable[finding][4])
            parts = [self.unknowable[r] for r in (rule_id, *below)]
            mask = 0
            for part in parts:
                mask |= part[0]
            self.closure[rule_id] = (
                mask,
                tuple(leaf for part in parts for leaf in part[3]),
                tuple(below),
            )
        # Per regime, in rulebook order: its id, title and whether an exemption may lower it;
        # the (effective_from, effective_to) of its outcome rules unless one is in force on
        # every date; its result when no rule of it is in force, and when it is clear with
        # nothing that could raise it (one immutable instance each).
        self.regimes: list[
            tuple[str, str, bool, list[tuple[str, Rule, int]], tuple[str, ...], int]
        ] = []
        self.windows: dict[str, _Windows] = {}
        self.not_in_force: dict[str, RegimeResult] = {}
        self.clear: dict[str, RegimeResult] = {}
        for one in book.regimes.values():
            windows = None
            if one.id not in self.always_in_force:
                windows = tuple(
                    (r.effective_from, r.effective_to) for r in plan.outcome_rules.get(one.id, ())
                )
            exemptible = bool(self.regime_exemptions.get(one.id))
            order = self.question_order.get(one.id, [])
            self.regimes.append(
                (
                    one.id,
                    one.title,
                    exemptible,
                    order,
                    tuple(rule_id for rule_id, _rule, _rank in order),
                    order[0][2] if order else -1,  # the highest level a question could raise
                )
            )
            if windows is not None:
                self.windows[one.id] = windows
            self.clear[one.id] = shared(_regime_result(one.id, one.title, "clear", "clear", [], []))
            self.not_in_force[one.id] = shared(
                build(
                    RegimeResult,
                    regime=one.id,
                    title=one.title,
                    verdict=NOT_IN_FORCE,
                    ceiling=NOT_IN_FORCE,
                )
            )
        # The dates a window starts or ends on, sorted: every date from one of them up to the
        # next (and before the first, and from the last on) leaves the same regimes resting, so
        # those are worked out once per such slot (see resting).
        self.window_points: list[dt.date] = sorted(
            {day for windows in self.windows.values() for w in windows for day in w if day}
        )
        self.resting_slots: list[frozenset[str]] = [
            self._resting_on(day)
            for day in (dt.date.min, *self.window_points)  # a date of each slot: its first
        ]
        # Per regime with an outcome rule, what its open questions, possible exemptions and
        # result are made of besides its level (see assemble): the statuses of its rules, of the
        # exemptions that may set one aside and of every finding below them; whether each fact
        # their leaves read is unknown; and their leaves on facts that may be ranges or known in
        # part (unknown or not). Each read at once: a getter of the statuses, one of the facts,
        # and the leaves with their bits.
        self.regime_reads: dict[
            str,
            tuple[
                Callable[[Mapping[str, Any]], tuple[Any, ...]],
                Callable[[Mapping[str, Any]], tuple[Any, ...]],
                tuple[tuple[Leaf, int], ...],
                Callable[[Mapping[str, Any]], tuple[Any, ...]],
            ],
        ] = {}
        for regime, rules in plan.outcome_rules.items():
            tops = [r.id for r in rules] + [e.id for e, _t in self.regime_exemptions[regime]]
            read_ids = {r.id for r in book.rules.values() if r.regime == regime} | set(tops)
            read_mask = 0
            read_other: dict[tuple[Leaf, int], None] = {}
            for rule_id in tops:
                closure_paths, closure_other, closure_below = self.closure[rule_id]
                read_ids.update(closure_below)
                read_mask |= closure_paths
                read_other.update(dict.fromkeys(closure_other))
                for _leaf, bit in closure_other:
                    read_mask |= bit
            self.regime_reads[regime] = (
                _getter_of(tuple(sorted(read_ids))),
                _getter_of(tuple(self.paths_of(read_mask))),
                tuple(read_other),
                _getter_of(tuple(dict.fromkeys(leaf.path for leaf, _bit in read_other))),
            )
        # Results that repeat from deal to deal, kept as one immutable instance each, keyed by
        # everything they are made of (bounded: each is cleared when it reaches _KEPT entries).
        # Nothing changes a result model after it is made (they are frozen, and no code changes
        # the lists they hold), so a result may share them with others.
        self._questions: dict[tuple[str, int], OpenQuestion] = {}
        self._held: dict[tuple[str, int, type, Any], ConditionResult | None] = {}
        self._regime_results: dict[tuple[str, str, str, tuple[str, ...]], RegimeResult] = {}
        self._derived: dict[tuple[Any, ...], list[Any]] = {}  # [the fact, marked shared]
        self._derived_orders: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._because: dict[tuple[Any, ...], Because] = {}
        self._regimes: dict[tuple[Any, ...], tuple[RegimeResult, list[OpenQuestion], int]] = {}
        self._shown: dict[tuple[Any, ...], tuple[list[ConditionResult], dict[str, Any]]] = {}

    def shape(self, rule_id: str) -> _Shape:
        """What a rule shows as a hit (one entry per rule of the rulebook at most)."""
        shape = self.shapes.get(rule_id)
        if shape is None:
            shape = self.shapes[rule_id] = _Shape(self.rules, self.references, self.rules[rule_id])
        return shape

    def leaves(self, rule_id: str) -> tuple[tuple[Leaf, ...], tuple[str, ...]]:
        """A rule's fact leaves and the findings it reads, in order (see unknown_facts)."""
        split = self._leaves.get(rule_id)
        if split is None:
            nodes = self.plan_leaves[rule_id]
            split = self._leaves[rule_id] = (
                tuple(n for n in nodes if isinstance(n, Leaf)),
                tuple(n.rule_id for n in nodes if isinstance(n, FindingRef)),
            )
        return split

    def resting(self, on: dt.date) -> frozenset[str]:
        """The regimes with no outcome rule in force on a date (what :meth:`_resting_on` gives,
        looked up by the slot of dates it falls in)."""
        return self.resting_slots[bisect_right(self.window_points, on)]

    def _resting_on(self, on: dt.date) -> frozenset[str]:
        return frozenset(
            regime
            for regime, windows in self.windows.items()
            if not any(
                (start is None or start <= on) and (end is None or on < end)
                for start, end in windows
            )
        )

    def derived_order(self, plan: _Plan, derivations: Mapping[str, str]) -> tuple[str, ...]:
        """The paths of a view's derivations that a result lists, sorted (one answer per set of
        paths in order: deals share a few)."""
        key = tuple(derivations)
        order = self._derived_orders.get(key)
        if order is None:
            order = tuple(sorted(path for path in key if self.shown(plan, path)))
            if len(self._derived_orders) >= 256:
                self._derived_orders.clear()
            self._derived_orders[key] = order
        return order

    def shown(self, plan: _Plan, path: str) -> bool:
        """Whether a result lists a derivation (see _Plan.shown_sections, SHOWN_WHEN_READ)."""
        known = self.shown_paths.get(path)
        if known is None:
            known = path.split(".", 1)[0] in plan.shown_sections and (
                path not in SHOWN_WHEN_READ or path in plan.read_paths
            )
            if len(self.shown_paths) > 4096:  # fact paths of the catalogue: bounded, but be sure
                self.shown_paths.clear()
            self.shown_paths[path] = known
        return known

    def paths_of(self, mask: int) -> list[str]:
        """The paths of a mask of unknown facts, sorted (a new list each time: the caller's)."""
        paths = self._paths_of.get(mask)
        if paths is None:
            bit_paths = self.bit_paths
            paths = []
            rest = mask
            while rest:
                low = rest & -rest
                paths.append(bit_paths[low.bit_length() - 1])
                rest ^= low
            if len(self._paths_of) >= _KEPT:
                self._paths_of.clear()
            self._paths_of[mask] = paths
        return paths.copy()

    def asked(self, rule: Rule, unknown: int) -> OpenQuestion:
        """The open question of an outcome rule left unknown by these facts (a mask, see
        _Unknowns): one instance per rule and unknown facts, as every other field is the
        rule's."""
        key = (rule.id, unknown)
        asked = self._questions.get(key)
        if asked is None:
            facts = self.paths_of(unknown)
            asked = made(
                OpenQuestion,
                {
                    "rule_id": rule.id,
                    "regime": rule.regime,
                    "outcome": rule.outcome,
                    "citation": rule.citation,
                    "title": rule.title,
                    "question": _question(rule, facts),
                    "unknown_facts": facts,
                    "could_raise_to": rule.outcome,
                },
                _QUESTION_FIELDS,
            )
            # It grows with the unknown-fact sets deals show: bounded (~0.8 MB at most).
            if len(self._questions) >= 512:
                self._questions.clear()
            self._questions[key] = shared(asked)
        return asked

    def regime_result(
        self, regime: str, title: str, level: str, ceiling: str, top: list[str]
    ) -> RegimeResult:
        """A regime's result with no possible exemption (one instance per set of values)."""
        key = (regime, level, ceiling, tuple(top))
        result = self._regime_results.get(key)
        if result is None:
            result = _regime_result(regime, title, level, ceiling, top, [])
            if len(self._regime_results) >= _KEPT:
                self._regime_results.clear()
            self._regime_results[key] = shared(result)
        return result

    def forget(self) -> None:
        """Drop every result kept from earlier screenings (a deal is then assembled as if it
        were the first one seen)."""
        for kept in (
            self._questions,
            self._paths_of,
            self._held,
            self._regime_results,
            self._derived,
            self._because,
            self._regimes,
            self._shown,
            _NUMBERS,
        ):
            kept.clear()
        forget_json()


_BINARY = bytes.maketrans(b"\x00\x01", b"01")  # bytes of falses and trues as binary digits


def _getter_of(keys: tuple[str, ...]) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    """The values at some keys of a mapping, as a tuple (KeyError if one is missing)."""
    if len(keys) == 1:
        key = keys[0]
        return lambda mapping: (mapping[key],)
    if not keys:
        return lambda mapping: ()
    return operator.itemgetter(*keys)


def _assembly(book: Rulebook) -> _Assembly:
    return book.kept("_assembly", _Assembly)


def _conditions(ev: Evaluation, outcome: Outcome, *, only_held: bool) -> list[ConditionResult]:
    """The leaf conditions in order; those under one ``any:`` share an ``alternatives`` number."""
    out: list[ConditionResult] = []
    groups = [0]

    def walk(node: Outcome, group: int | None) -> None:
        if node.children:
            if isinstance(node.node, AnyOf):
                groups[0] += 1
                group = groups[0]
            for child in node.children:
                walk(child, group)
            return
        result = _condition(ev, node, group, only_held)
        if result is not None:
            out.append(result)

    walk(outcome, None)
    return out


def _condition(
    ev: Evaluation, leaf_outcome: Outcome, group: int | None, only_held: bool
) -> ConditionResult | None:
    node = leaf_outcome.node
    if only_held and leaf_outcome.status is not True:
        return None
    if isinstance(node, Leaf):
        if node.synthetic:
            return None
        return build(
            ConditionResult,
            condition=node.text,
            text=render_leaf(
                node,
                leaf_outcome.value,
                leaf_outcome.status,
                ev.book.references,
                ev.view.deal.as_of,
            ),
            path=node.path,
            value=_jsonable(leaf_outcome.value),
            held=leaf_outcome.status,
            alternatives=group,
        )
    if isinstance(node, FindingRef):
        return build(
            ConditionResult,
            condition=node.text,
            text=finding_text(ev.book.rules[node.rule_id], node.negated, leaf_outcome.value),
            held=leaf_outcome.status,
            alternatives=group,
        )
    return None


def finding_text(target: Rule, negated: bool, state: Tri) -> str:
    """A finding condition in words: ``finding: <title> (`id`): holds``."""
    if state is None:
        said = "unknown"
    elif negated:
        said = "holds, which rules this out" if state else "does not hold, as required"
    else:
        said = "holds" if state else "does not hold"
    return f"finding: {target.title} (`{target.id}`): {said}"


_AS_IS = frozenset({str, bool, int, type(None)})


def _jsonable(value: Any) -> Any:
    if value.__class__ in _AS_IS:  # most facts: returned as they are (below, unchanged too)
        return value
    if isinstance(value, Range):
        return range_json(value)
    if isinstance(value, AtLeast):
        return {"at_least": list(value.known)}
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if hasattr(value, "is_finite"):  # Decimal: a string keeps it exact in JSON
        return format(value.normalize(), "f")
    return value


def _because(ev: Evaluation, rule_id: str, assembly: _Assembly | None = None) -> list[Because]:
    """The findings a rule stood on, as a tree; each finding's subtree is built once per deal
    (findings form an acyclic graph: a cycle is a load error)."""
    known = ev.because.get(rule_id)
    if known is not None:
        return known
    if assembly is None:
        assembly = _assembly(ev.book)
    status, kept = ev.status, assembly._because
    out: list[Because] = []
    for target in assembly.because_rules[rule_id]:
        if status.get(target.id) is True:
            below = _because(ev, target.id, assembly)
            # A finding with the same findings below it (the very instances: each is kept, and
            # held by the one kept above it) is the same instance.
            key = (target.id, *map(id, below))
            item = kept.get(key)
            if item is None:
                item = made(
                    Because,
                    {
                        "rule_id": target.id,
                        "title": target.title,
                        "citation": target.citation,
                        "because": below,
                    },
                    _BECAUSE_FIELDS,
                )
                if len(kept) >= _KEPT:
                    kept.clear()
                kept[key] = item
            out.append(item)
    ev.because[rule_id] = out
    return out


_PARTIAL = (Range, AtLeast)  # values that may leave a leaf undecided


def unknown_facts(ev: Evaluation, rule_id: str, seen: frozenset[str] = frozenset()) -> list[str]:
    """The fact paths whose being unknown leaves a rule unknown (through findings too).

    Read off the rule's leaves without building its explained tree: a leaf is unknown exactly
    when its fact is unknown or a range that does not decide it, a finding reference when the
    finding is. (``seen`` is kept for old callers: findings form a DAG, so it never cuts.)
    """
    return sorted(_Unknowns(ev, _assembly(ev.book)).of(rule_id))


class _Unknowns:
    """:func:`unknown_facts` of the rules of one screening, each a mask of bits over the paths
    rules read (``_Assembly.bits``), remembered per rule: findings form a DAG (strata; a cycle
    is a load error), so a rule's answer does not depend on what reached it."""

    __slots__ = (
        "assembly",
        "bits",
        "ev",
        "masks",
        "none",
        "seen",
        "status",
        "unread",
        "value_of",
        "values",
    )

    def __init__(self, ev: Evaluation, assembly: _Assembly) -> None:
        self.ev, self.assembly, self.status = ev, assembly, ev.status
        self.bits = assembly.bits
        self.masks: dict[str, int] = {}
        self.value_of = ev.scope.value
        # The facts the screening has read (they only grow: read once, kept), and, as of when
        # `seen` of them were, the bits of those not read (`unread`, all bits but those of the
        # read ones) and of those that are unknown (`none`): a rule whose paths were all read
        # takes its unknown ones by a bitwise and.
        self.values = ev.scope._values
        self.seen = -1
        self.unread = self.none = 0

    def _read(self) -> None:
        values = self.values
        self.seen = len(values)
        try:
            # Every path rules read has been read (as run_rules does): the bits of the unknown
            # ones at once, the highest bit's path first (see _Assembly.bit_read).
            said = bytes(map(operator.is_, self.assembly.bit_read(values), repeat(None)))
        except KeyError:
            pass
        else:
            self.unread = ~self.assembly.all_bits
            self.none = int(said.translate(_BINARY), 2) if said else 0
            return
        get = self.bits.get
        self.unread = ~sum(map(get, values, repeat(0)))
        self.none = sum(
            map(get, compress(values, map(operator.is_, values.values(), repeat(None))), repeat(0))
        )

    def of(self, rule_id: str) -> frozenset[str]:
        """A rule's unknown facts as a set of paths (remembered in ``ev.unknown``)."""
        known = self.ev.unknown.get(rule_id)
        if known is None:
            known = self.ev.unknown[rule_id] = frozenset(self.assembly.paths_of(self.mask(rule_id)))
        return known

    def mask(self, rule_id: str) -> int:
        """A rule's unknown facts as a mask."""
        known = self.masks.get(rule_id)
        if known is not None:
            return known
        status = self.status
        paths, partial, findings = self.assembly.closure[rule_id]
        if all(map(operator.is_, map(status.get, findings), repeat(None))):
            if len(self.values) != self.seen:
                self._read()
            if not paths & self.unread:
                # Every finding below the rule is unknown (the most common case) and its facts
                # were read: each leaf of them all counts, without a walk. (The same union the
                # walk below makes.)
                found = paths & self.none
                if partial:
                    found |= self.partial(partial)
                self.masks[rule_id] = found
                return found
        paths, plain, plain_bits, partial, findings = self.assembly.unknowable[rule_id]
        # A fact that is never a range nor known in part leaves its leaves unknown exactly when
        # it is unknown; the others are asked leaf by leaf.
        if len(self.values) != self.seen:
            self._read()
        if not paths & self.unread:
            found = paths & self.none
        else:
            value_of = self.value_of
            found = sum(compress(plain_bits, map(operator.is_, map(value_of, plain), repeat(None))))
        if partial:
            found |= self.partial(partial)
        masks = self.masks
        for finding in findings:  # (a DAG: the order of the two loops changes nothing)
            if status.get(finding) is None:
                below = masks.get(finding)
                found |= self.mask(finding) if below is None else below
        masks[rule_id] = found
        return found

    def partial(self, partial: tuple[tuple[Leaf, int], ...]) -> int:
        """The bits of the leaves (on facts that may be ranges or known in part) that are
        unknown: the fact is, or it does not decide the leaf."""
        ev, value_of = self.ev, self.value_of
        out = 0
        for leaf, bit in partial:
            value = value_of(leaf.path)
            if value is None or (
                isinstance(value, _PARTIAL)
                and eval_leaf(leaf, value, ev.book.references, ev.scope.as_of) is None
            ):
                out |= bit
        return out


_KEPT = 1024  # entries of each cache of repeated results (see _Assembly)
_NOT_HELD = None  # a leaf's kept answer when its value does not make it hold
_MISSING: Any = object()  # not kept (a kept answer may be _NOT_HELD)
_HASHABLE = frozenset({str, bool, int, Decimal})  # leaf values that key a kept condition
_KEYED = frozenset({str, bool, int, Decimal, type(None)})  # leaf values that key kept shown ones


def _hit(
    ev: Evaluation, rule: Rule, suppressed_by: list[str], assembly: _Assembly | None = None
) -> Hit:
    """A rule that fired, with the conditions that held (what ``_conditions(..., only_held=True)``
    lists of its explained outcome, read off the rule's leaves without building that tree)."""
    if assembly is None:
        assembly = _assembly(ev.book)
    shape = assembly.shape(rule.id)
    scope, status = ev.scope, ev.status
    value_of, values = scope.value, scope._values
    references, as_of = assembly.references, scope.as_of
    kept = assembly._held
    # The conditions shown (and their facts) are kept by all they depend on: each leaf's value
    # (of its exact type, a decimal by its string) and each finding's status.
    shown_key: tuple[Any, ...] | None = None
    if shape.reads is not None:
        leaf_values, finding_states = shape.reads
        try:
            got = leaf_values(values)
            states = finding_states(status)
        except KeyError:  # a fact not read, or a finding not decided: worked out below
            pass
        else:
            types = tuple(map(type, got))
            if _KEYED.issuperset(types):
                if Decimal in types:
                    got = tuple([str(v) if v.__class__ is Decimal else v for v in got])
                shown_key = (rule.id, got, types, states)
                shown = assembly._shown.get(shown_key)
                if shown is not None:
                    return _hit_of(ev, rule, suppressed_by, assembly, shape, shown, values)
    conditions: list[ConditionResult] = []
    facts: dict[str, Any] = {}
    for i, (node, group, held, state, before, after, unit) in enumerate(shape.conditions):
        if held is not None:  # a finding: shown when the finding is in the state wanted
            if status.get(node.rule_id) is state:  # type: ignore[union-attr]
                conditions.append(held)
            continue
        leaf: Leaf = node  # type: ignore[assignment]
        path = leaf.path
        value = values[path] if path in values else value_of(path)
        if value is None:
            continue
        key = None
        if leaf.ref is None and (cls := value.__class__) in _HASHABLE:
            # The same leaf, the same value: the same answer (a literal list is the leaf's own,
            # and the leaf is not read again for a list). Kept, whether it holds or not. A
            # decimal's string gives it back exactly (sign, digits, exponent).
            key = (rule.id, i, cls, str(value) if cls is Decimal else value)
            result = kept.get(key, _MISSING)  # one read: another thread may clear `kept`
            if result is not _MISSING:
                if result is not _NOT_HELD:
                    facts[leaf.path] = result.value
                    conditions.append(result)
                continue
        result = _held_leaf(scope, references, as_of, leaf, group, before, after, unit, value)
        if key is not None:
            if len(kept) >= _KEPT:
                kept.clear()
            kept[key] = result
        if result is not None:
            facts[leaf.path] = result.value
            conditions.append(result)
    if shown_key is not None:
        if len(assembly._shown) >= _KEPT:
            assembly._shown.clear()
        assembly._shown[shown_key] = (conditions, facts)
    return _hit_of(ev, rule, suppressed_by, assembly, shape, (conditions, facts), values)


def _hit_of(
    ev: Evaluation,
    rule: Rule,
    suppressed_by: list[str],
    assembly: _Assembly,
    shape: _Shape,
    shown: tuple[list[ConditionResult], dict[str, Any]],
    values: Mapping[str, Any],
) -> Hit:
    data = shape.hit.copy()  # the rule's fields, in order
    data["explanation"] = shape.template.render_read(values, ev.scope.value)
    data["facts"], data["conditions"] = shown[1], shown[0]
    data["because"] = _because(ev, rule.id, assembly)
    data["suppressed_by"] = suppressed_by
    return made(Hit, data, _HIT_FIELDS)


def _held_leaf(
    scope: Scope,
    references: References,
    as_of: dt.date,
    leaf: Leaf,
    group: int | None,
    before: str | None,
    after: str,
    unit: str,
    value: Any,
) -> ConditionResult | None:
    """A leaf of a hit, shown when its (known) value makes it hold; else None."""
    # A reference list is resolved once per screening (and its use recorded) as evaluate()
    # does; eval_leaf reads a literal list off the leaf itself.
    listed = None if leaf.ref is None else scope.listed(leaf)
    if eval_leaf(leaf, value, references, as_of, listed) is not True:
        return None
    if before is None or (not value and leaf.op.startswith("contains")):
        said = render_leaf(leaf, value, True, references, as_of)  # "…: none"
    else:
        seen = value if value.__class__ is str else _said(value, unit)
        said = before + seen + after
    return made(
        ConditionResult,
        {
            "condition": leaf.text,
            "text": said,
            "path": leaf.path,
            "value": _jsonable(value),
            "held": True,
            "alternatives": group,
        },
        _LEAF_FIELDS,
    )


def suppressions(ev: Evaluation) -> dict[str, list[str]]:
    """Outcome rule id -> ids of the fired exemptions that suppress it."""
    return _suppressions(ev.status, _assembly(ev.book))


def _suppressions(status: Mapping[str, Tri], assembly: _Assembly) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    # The exemptions that fired, in rulebook order.
    fired = compress(
        assembly.exemptions,
        map(operator.is_, map(status.get, assembly.exemption_ids), repeat(True)),
    )
    for rule in fired:
        for target in rule.suppresses:
            out.setdefault(target, []).append(rule.id)
    return {k: sorted(v) for k, v in out.items()}


def _regime_result(
    regime: str,
    title: str,
    level: str,
    ceiling: str,
    top: list[str],
    exemptions: list[PossibleExemption],
) -> RegimeResult:
    return made(
        RegimeResult,
        {
            "regime": regime,
            "title": title,
            "verdict": level,
            "ceiling": ceiling,
            "provisional": _RANK[level] < _RANK[ceiling],
            "rules": top,
            "possible_exemptions": exemptions,
        },
        _REGIME_FIELDS,
    )


def assemble(
    deal: DealRecord, book: Rulebook, ev: Evaluation, used: set[str] | None = None
) -> ScreeningResult:
    """Build the result: hits, regime verdicts, open questions, derived facts, the memo.

    ``used`` names the reference lists the screening read (see
    :func:`~screening.model.reference.recording_use`); None leaves the memo out.
    """
    plan = _plan(book)
    assembly = _assembly(book)
    status = ev.status
    suppressed = _suppressions(status, assembly)
    hits: list[Hit] = []
    by_regime: dict[str, list[Hit]] = {}
    rules = book.rules
    fired = list(compress(status, map(operator.is_, status.values(), repeat(True))))
    fired.sort(key=assembly.hit_position.__getitem__)  # in the order hits are listed
    for rule_id in fired:
        rule = rules[rule_id]
        hit = _hit(ev, rule, suppressed.get(rule_id, []), assembly)
        hits.append(hit)
        by_regime.setdefault(rule.regime, []).append(hit)
    regimes: dict[str, RegimeResult] = {}
    questions: list[OpenQuestion] = []
    as_of = ev.view.deal.as_of
    top_rank = top_ceiling = -1  # the highest level and ceiling of any regime
    unknowns = _Unknowns(ev, assembly)  # the facts read so far: the hits have read theirs
    resting = assembly.resting(as_of)
    regime_reads, kept_regimes, values = assembly.regime_reads, assembly._regimes, ev.scope._values
    for regime, title, exemptible, order, ids, highest in assembly.regimes:
        if regime in resting:
            # No rule of the regime speaks on this date: the rulebook cannot say `clear`.
            regimes[regime] = assembly.not_in_force[regime]
            top_rank = max(top_rank, _NOT_IN_FORCE)
            top_ceiling = max(top_ceiling, _NOT_IN_FORCE)
            continue
        regime_hits = by_regime.get(regime)
        if regime_hits is None:
            level, top, floor = "clear", [], _CLEAR
        else:
            decisive = [h for h in regime_hits if h.outcome and not h.suppressed_by]
            level = max((h.outcome for h in decisive if h.outcome), key=rank, default="clear")
            top = sorted(h.rule_id for h in decisive if h.outcome == level)
            floor = _RANK[level]
        regime_key = None
        if highest > floor:  # a question may raise it
            # Its questions, exemptions and result, kept by all they are made of (see
            # _Assembly.regime_reads): the same as any deal's with the same.
            statuses, facts, other, other_facts = regime_reads[regime]
            try:
                regime_key = (
                    regime,
                    statuses(status),
                    bytes(map(operator.is_, facts(values), repeat(None))),
                    # A leaf on a fact that may be a range or known in part is unknown when
                    # its fact is (said just above), or when such a value does not decide it.
                    unknowns.partial(other)
                    if other and any(map(isinstance, other_facts(values), repeat(_PARTIAL)))
                    else 0,
                )
            except KeyError:  # a fact not read (never after run_rules): worked out below
                regime_key = None
            else:
                kept = kept_regimes.get(regime_key)
                if kept is not None:
                    regimes[regime], regime_questions, ceiling_rank = kept
                    questions += regime_questions
                    top_rank = max(top_rank, floor)
                    top_ceiling = max(top_ceiling, ceiling_rank)
                    continue
        result, regime_questions, ceiling_rank = _regime_outcome(
            ev,
            assembly,
            unknowns,
            suppressed,
            (regime, title, exemptible, order, ids, highest),
            (level, top, floor, regime_hits is None),
        )
        if regime_key is not None:
            if len(kept_regimes) >= _KEPT:
                kept_regimes.clear()
            kept_regimes[regime_key] = (shared(result), regime_questions, ceiling_rank)
        regimes[regime] = result
        questions += regime_questions
        top_rank = max(top_rank, floor)
        top_ceiling = max(top_ceiling, ceiling_rank)
    if not regimes:  # a rulebook of no regime
        top_rank = top_ceiling = _RANK["clear"]
    overall, overall_ceiling = VERDICTS[top_rank], VERDICTS[top_ceiling]
    value = ev.scope.value
    kept_facts = assembly._derived
    derivations = ev.view.derivations
    derived: list[DerivedFact] = []
    for path in assembly.derived_order(plan, derivations):
        text = derivations[path]
        fact = values[path] if path in values else value(path)
        cls = fact.__class__
        # Kept: the same path, words and value, the same fact. The value keys it as it is, a
        # decimal by its string (which gives it back exactly: sign, digits, exponent), a list
        # of strings by their tuple; any other value is not kept.
        if cls in _AS_IS:
            key: tuple[Any, ...] | None = (path, text, cls, fact)
        elif cls is Decimal:
            key = (path, text, cls, str(fact))
        elif cls is list and all(v.__class__ is str for v in fact):
            key = (path, text, cls, tuple(fact))
        else:
            key = None
        entry = None if key is None else kept_facts.get(key)
        if entry is None:
            item = made(
                DerivedFact,
                {"path": path, "value": _jsonable(fact), "explanation": text},
                _DERIVED_FIELDS,
            )
            if key is not None:
                if len(kept_facts) >= _KEPT:
                    kept_facts.clear()
                kept_facts[key] = [item, False]
        else:
            item = entry[0]
            if not entry[1]:  # seen again: its JSON is worth keeping (see verdict.shared)
                entry[1] = True
                shared(item)
        derived.append(item)
    summary = None if used is None else build_summary(ev, deal, regimes, hits, questions, used)
    return made(
        ScreeningResult,
        {
            "deal_id": deal.id,
            "deal_name": deal.name,
            "deal_kind": deal.kind,
            "as_of": as_of.isoformat(),
            "verdict": overall,
            "ceiling": overall_ceiling,
            "provisional": top_rank < top_ceiling,
            "summary": summary,
            "regimes": regimes,
            "hits": hits,
            "open_questions": questions,
            "derived": derived,
            "rulebook_version": book.version,
            "dealscreen_version": __version__,
            "disclaimer": DISCLAIMER,
            "consortium": None,
        },
        _RESULT_FIELDS,
    )


def _regime_outcome(
    ev: Evaluation,
    assembly: _Assembly,
    unknowns: _Unknowns,
    suppressed: dict[str, list[str]],
    regime_of: tuple[str, str, bool, list[tuple[str, Rule, int]], tuple[str, ...], int],
    level_of: tuple[str, list[str], int, bool],
) -> tuple[RegimeResult, list[OpenQuestion], int]:
    """A regime's result, its open questions and the rank of its ceiling, given its level, its
    decisive rules, the rank of its level and whether it has no hit."""
    regime, title, exemptible, order, ids, highest = regime_of
    level, top, floor, no_hit = level_of
    # Its open questions (what _questions gives): the outcome rules left unknown that would
    # raise it and no exemption sets aside, most severe first.
    regime_questions: list[OpenQuestion] = []
    if highest > floor:
        of, asked, status = unknowns.mask, assembly.asked, ev.status
        left = compress(order, map(operator.is_, map(status.get, ids), repeat(None)))
        for rule_id, rule, raises_to in left:
            if raises_to <= floor:
                break  # nor can any after it
            if rule_id not in suppressed:
                regime_questions.append(asked(rule, of(rule_id)))
    ceiling: str
    if regime_questions:
        ceiling = regime_questions[0].outcome  # the most severe, above the level
    elif no_hit:  # clear, and nothing could raise it: the same every time
        return assembly.clear[regime], regime_questions, _CLEAR
    else:
        ceiling = level
    # An exemption lowers a regime to the highest of its other hits, never below clear: a
    # regime at clear has none to list.
    exemptions = (
        _possible_exemptions(ev, regime, level, suppressed, assembly, unknowns)
        if exemptible and level != "clear"
        else []
    )
    result = (
        _regime_result(regime, title, level, ceiling, top, exemptions)
        if exemptions
        else assembly.regime_result(regime, title, level, ceiling, top)
    )
    return result, regime_questions, _RANK[ceiling]


def _possible_exemptions(
    ev: Evaluation,
    regime: str,
    floor: str,
    suppressed: dict[str, list[str]],
    assembly: _Assembly | None = None,
    unknowns: _Unknowns | None = None,
) -> list[PossibleExemption]:
    """Exemptions left unknown that, if established, would lower the regime's verdict (floor);
    each says how low it would go."""
    if assembly is None:
        assembly = _assembly(ev.book)
    status = ev.status
    out: list[PossibleExemption] = []
    for exemption, suppresses in assembly.regime_exemptions.get(regime, ()):
        if status.get(exemption.id) is not None:
            continue
        targets = [t for t in suppresses if status.get(t) is not False and t not in suppressed]
        if not targets:
            continue
        remaining = [
            rule.outcome or "clear"
            for rule in assembly.outcome_rules.get(regime, ())
            if status.get(rule.id) is True and rule.id not in suppressed and rule.id not in targets
        ]
        lowered = max(remaining, key=rank, default="clear")
        if rank(lowered) >= rank(floor):
            continue  # it would set aside only rules that may not fire, or that others repeat
        if unknowns is None:
            unknowns = _Unknowns(ev, assembly)
        unknown = assembly.paths_of(unknowns.mask(exemption.id))
        out.append(
            made(
                PossibleExemption,
                {
                    "rule_id": exemption.id,
                    "regime": regime,
                    "citation": exemption.citation,
                    "title": exemption.title,
                    "question": _exemption_question(exemption, unknown, targets),
                    "unknown_facts": unknown,
                    "suppresses": targets,
                    "could_lower_to": lowered,
                },
                _EXEMPTION_FIELDS,
            )
        )
    return out


# Fact-view sections whose deal-record block has another name.
_BLOCKS = {
    "data": "data_transaction",
    "supply": "supply_chain",
    "export": "export_control",
    "broker": "data_brokerage",
    "defense": "defense_supply",
}


def _question(rule: Rule, unknown: list[str]) -> str:
    """One sentence: which unknown facts would decide the rule, and what it would mean."""
    title = rule.title
    if title[:1].isupper() and (title[1:2].islower() or title[1:2] == " "):
        title = title[0].lower() + title[1:]
    outcome = f"{title} ({rule.outcome}, {rule.citation})"
    missing = sorted(
        _BLOCKS.get(p.split(".")[0], p.split(".")[0]) for p in unknown if p.endswith(".recorded")
    )
    if missing:
        # A whole block of the record is absent: ask for the block, not for each fact in it.
        blocks = _join(f"`{name}`" for name in missing)
        return f"the deal has no {blocks} block; once recorded, it may show: {outcome}"
    return f"if {_join(_title(p) for p in unknown)} turned out so, {outcome}"


def _exemption_question(rule: Rule, unknown: list[str], targets: list[str]) -> str:
    """ "Possible exemption, if …": what would establish it and what it would set aside."""
    title = rule.title
    if title[:1].isupper() and (title[1:2].islower() or title[1:2] == " "):
        title = title[0].lower() + title[1:]
    aside = _join(f"`{t}`" for t in targets)
    return (
        f"possible exemption, if {_join(_title(p) for p in unknown)} turned out so: {title} "
        f"({rule.citation}) would set aside {aside}"
    )


def _title(path: str) -> str:
    info = cached_field_info(path)
    return info[1] if info else path


def _join(items: Iterable[str]) -> str:
    words = list(items)
    if len(words) <= 1:
        return "".join(words) or "the unknown facts"
    return ", ".join(words[:-1]) + " and " + words[-1]


__all__ = ["LEVELS", "evaluate_rules", "screen"]
