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
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import compress, repeat
from json.encoder import encode_basestring
from typing import Any

from screening._version import __version__
from screening.engine import _durable, consortium
from screening.engine.compiler import (
    ALWAYS_KNOWN,
    PLAIN,
    CompiledRuleset,
    FactLayout,
    PathKeys,
    Requirements,
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
)
from screening.engine.evaluate import (
    Outcome,
    Scope,
    StratumFn,
    cached_field_info,
    eval_leaf,
    evaluate,
    render_leaf,
    render_value,
    stratum_function,
)
from screening.engine.memo import build_summary
from screening.engine.verdict import (
    LEVELS,
    NOT_IN_FORCE,
    Because,
    ConditionResult,
    DerivedFact,
    Hit,
    OpenQuestion,
    PossibleExemption,
    RegimeResult,
    ScreeningResult,
    build,
    made,
    rank,
)
from screening.errors import EngineError, ScreeningError, UsageError
from screening.facts.derive import derive
from screening.facts.gates import rulebook_reading
from screening.facts.sections.base import AtLeast, Tri
from screening.facts.view import SHOWN_WHEN_READ, FactView
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
        # Per stratum: one function deciding every rule's status (the evaluator), and the
        # engine's view of each finding as fact text for the strata above.
        self.programs: list[StratumFn] = [
            stratum_function(
                [(rule.id, rule.guarded, rule.id in self.complemented) for rule in rules]
            )
            for _rulesets, rules in self.strata
        ]
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
        self.unknown: dict[str, list[str]] = {}  # unknown_facts, per rule


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
    empty list: see :func:`~screening.engine.compiler.refinement`)."""
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
    out: dict[str, str] = {}
    read_values = plan.no_values.copy()  # every path unknown, the known set below
    # Known values only (most are unknown), picked out without a Python loop.
    known = compress(
        zip(plan.writes, values, strict=True), map(operator.is_not, values, repeat(None))
    )
    for (path, keys, plain, true, false, is_true, is_false, element), value in known:
        read_values[path] = value
        cls = value.__class__
        if tokens is not None:
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
    scope.remember_read(read_values)
    return out


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
    plan = _plan(book)
    written, present = _present(plan, view, ev.scope)  # see compiler.ruleset_requirements
    engine_findings: dict[str, str] = {}
    run = _durable.run_text
    for stratum, rulesets in enumerate(plan.engine_strata):
        fired: set[str] = set()
        refuted: set[str] = set()
        for name, layout, needs, first in rulesets:
            if needs is not None and cannot_match(needs, present, first):
                continue  # every rule tests a key the fact lacks or a value it has not
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
    plan = _plan(book)
    evs = [Evaluation(book, view) for view in views]
    read = [_present(plan, ev.view, ev.scope) for ev in evs]
    written = [w for w, _p in read]
    findings: list[dict[str, str]] = [{} for _ in evs]
    present = [p for _w, p in read]  # per deal, as in run_rules
    for stratum, rulesets in enumerate(plan.engine_strata):
        fired: list[set[str]] = [set() for _ in evs]
        refuted: list[set[str]] = [set() for _ in evs]
        for name, layout, needs, first in rulesets:
            asserted = [
                i
                for i in range(len(evs))
                if needs is None or not cannot_match(needs, present[i], first)
            ]
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
        return _with_consortium(record, book, ev, used, assemble(record, book, ev, used))


def _with_consortium(
    record: DealRecord,
    book: Rulebook,
    ev: Evaluation,
    used: set[str] | None,
    result: ScreeningResult,
) -> ScreeningResult:
    """Each consortium member's own CFIUS duty (screening/engine/consortium.py); the memo is
    rebuilt on the combined verdicts. A deal with no member is returned as it is."""
    if not consortium.is_consortium(record):
        return result
    date = ev.view.deal.as_of

    def one(member: DealRecord) -> ScreeningResult:
        return assemble(member, book, run_rules(book, derive_for(book, member, date)))

    with rulebook_reading(_plan(book).read_paths):  # the meanings this rulebook reads
        combined = consortium.combine(record, result, book.references, one)
    if used is None or result.summary is None:
        return combined
    summary = build_summary(
        ev, record, combined.regimes, combined.hits, combined.open_questions, used
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
                ev
                if isinstance(ev, ScreeningError)
                else _with_consortium(
                    records[at], book, ev, used, assemble(records[at], book, ev, used)
                )
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
            value = value if value.__class__ is str else render_value(value, unit)
            if stop and value.endswith("."):
                value = value[:-1]  # "Co., Ltd." before the sentence's own full stop
            out.append(value)
    return "".join(out)


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

    __slots__ = ("because", "conditions", "parts", "rule")

    def __init__(self, rules: Mapping[str, Rule], references: References, rule: Rule) -> None:
        self.rule = rule
        self.parts = _template_parts(rule.explain)
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
        # The findings a hit may stand on, in the order _because lists them.
        self.because = sorted(
            n.rule_id for n in leaves(rule.guarded) if isinstance(n, FindingRef) and not n.negated
        )


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
        self.shown_paths: dict[str, bool] = {}
        self.plan_leaves = plan.leaves
        self._leaves: dict[str, tuple[tuple[Leaf, ...], tuple[str, ...]]] = {}
        self._questions: dict[tuple[str, tuple[str, ...]], str] = {}

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

    def question(self, rule: Rule, unknown: list[str]) -> str:
        """:func:`_question`, remembered (the unknown facts are some of the rule's paths)."""
        key = (rule.id, tuple(unknown))
        text = self._questions.get(key)
        if text is None:
            text = _question(rule, unknown)
            # It grows with the unknown-fact sets deals show: bounded (~0.6 MB at most).
            if len(self._questions) >= 1024:
                self._questions.clear()
            self._questions[key] = text
        return text


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


def _because(ev: Evaluation, rule_id: str) -> list[Because]:
    """The findings a rule stood on, as a tree; each finding's subtree is built once per deal
    (findings form an acyclic graph: a cycle is a load error)."""
    known = ev.because.get(rule_id)
    if known is not None:
        return known
    rules, status = ev.book.rules, ev.status
    out: list[Because] = []
    for target_id in _assembly(ev.book).shape(rule_id).because:
        if status.get(target_id) is True:
            target = rules[target_id]
            out.append(
                made(
                    Because,
                    {
                        "rule_id": target.id,
                        "title": target.title,
                        "citation": target.citation,
                        "because": _because(ev, target.id),
                    },
                    _BECAUSE_FIELDS,
                )
            )
    ev.because[rule_id] = out
    return out


_PARTIAL = (Range, AtLeast)  # values that may leave a leaf undecided


def unknown_facts(ev: Evaluation, rule_id: str, seen: frozenset[str] = frozenset()) -> list[str]:
    """The fact paths whose being unknown leaves a rule unknown (through findings too).

    Read off the rule's leaves without building its explained tree: a leaf is unknown exactly
    when its fact is unknown or a range that does not decide it, a finding reference when the
    finding is.
    """
    # Remembered per screening: findings form a DAG (strata), so a rule's answer does not
    # depend on the path that reached it.
    known = ev.unknown.get(rule_id)
    if known is not None:
        return list(known)
    out: set[str] = set()
    value_of, status = ev.scope.value, ev.status
    fact_leaves, findings = _assembly(ev.book).leaves(rule_id)
    for leaf in fact_leaves:
        path = leaf.path
        value = value_of(path)
        if value is None or (
            isinstance(value, _PARTIAL)
            and eval_leaf(leaf, value, ev.book.references, ev.scope.as_of) is None
        ):
            out.add(path)
    for finding in findings:  # (a DAG: the order of the two loops changes nothing)
        if finding not in seen and status.get(finding) is None:
            out.update(unknown_facts(ev, finding, seen | {rule_id}))
    ev.unknown[rule_id] = found = sorted(out)
    return list(found)


def _hit(ev: Evaluation, rule: Rule, suppressed_by: list[str]) -> Hit:
    """A rule that fired, with the conditions that held (what ``_conditions(..., only_held=True)``
    lists of its explained outcome, read off the rule's leaves without building that tree)."""
    shape = _assembly(ev.book).shape(rule.id)
    scope, status = ev.scope, ev.status
    references, as_of = ev.book.references, scope.as_of
    conditions: list[ConditionResult] = []
    facts: dict[str, Any] = {}
    for node, group, held, state, before, after, unit in shape.conditions:
        if isinstance(node, FindingRef):  # shown when the finding is in the state wanted
            if held is not None and status.get(node.rule_id) is state:
                conditions.append(held)
            continue
        leaf = node
        value = scope.value(leaf.path)
        if value is None:
            continue
        # A reference list is resolved once per screening (and its use recorded) as evaluate()
        # does; eval_leaf reads a literal list off the leaf itself.
        listed = None if leaf.ref is None else scope.listed(leaf)
        if eval_leaf(leaf, value, references, as_of, listed) is not True:
            continue
        shown = facts[leaf.path] = _jsonable(value)
        if before is None or (not value and leaf.op.startswith("contains")):
            said = render_leaf(leaf, value, True, references, as_of)  # "…: none"
        else:
            seen = value if value.__class__ is str else render_value(value, unit)
            said = before + seen + after
        conditions.append(
            made(
                ConditionResult,
                {
                    "condition": leaf.text,
                    "text": said,
                    "path": leaf.path,
                    "value": shown,
                    "held": True,
                    "alternatives": group,
                },
                _LEAF_FIELDS,
            )
        )
    return made(
        Hit,
        {
            "rule_id": rule.id,
            "regime": rule.regime,
            "kind": rule.kind,
            "outcome": rule.outcome,
            "citation": rule.citation,
            "title": rule.title,
            "explanation": _render(shape.parts, scope.value),
            "facts": facts,
            "conditions": conditions,
            "because": _because(ev, rule.id),
            "suppressed_by": suppressed_by,
            "confidence": rule.confidence,
            "source": rule.location,
            "notes": rule.notes,
        },
        _HIT_FIELDS,
    )


def suppressions(ev: Evaluation) -> dict[str, list[str]]:
    """Outcome rule id -> ids of the fired exemptions that suppress it."""
    out: dict[str, list[str]] = {}
    status = ev.status
    for rule in _plan(ev.book).exemptions:  # the exemptions, in rulebook order
        if status.get(rule.id) is True:
            for target in rule.suppresses:
                out.setdefault(target, []).append(rule.id)
    return {k: sorted(v) for k, v in out.items()}


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
    suppressed = suppressions(ev)
    hits: list[Hit] = []
    by_regime: dict[str, list[Hit]] = {}
    rules = book.rules
    fired = [rule_id for rule_id, held in status.items() if held is True]
    fired.sort(key=assembly.hit_position.__getitem__)  # in the order hits are listed
    for rule_id in fired:
        rule = rules[rule_id]
        hit = _hit(ev, rule, suppressed.get(rule_id, []))
        hits.append(hit)
        by_regime.setdefault(rule.regime, []).append(hit)
    regimes: dict[str, RegimeResult] = {}
    questions: list[OpenQuestion] = []
    as_of = ev.view.deal.as_of
    always = assembly.always_in_force
    for regime in book.regimes.values():
        if regime.id not in always and not any(
            rule.in_force(as_of) for rule in plan.outcome_rules.get(regime.id, ())
        ):
            # No rule of the regime speaks on this date: the rulebook cannot say `clear`.
            regimes[regime.id] = build(
                RegimeResult,
                regime=regime.id,
                title=regime.title,
                verdict=NOT_IN_FORCE,
                ceiling=NOT_IN_FORCE,
            )
            continue
        regime_hits = by_regime.get(regime.id)
        if regime_hits is None:
            level, top = "clear", []
        else:
            decisive = [h for h in regime_hits if h.outcome and not h.suppressed_by]
            level = max((h.outcome for h in decisive if h.outcome), key=rank, default="clear")
            top = sorted(h.rule_id for h in decisive if h.outcome == level)
        regime_questions = _questions(ev, regime.id, level, suppressed)
        questions.extend(regime_questions)
        ceiling = max([level, *(q.outcome for q in regime_questions)], key=rank)
        regimes[regime.id] = made(
            RegimeResult,
            {
                "regime": regime.id,
                "title": regime.title,
                "verdict": level,
                "ceiling": ceiling,
                "provisional": rank(level) < rank(ceiling),
                "rules": top,
                "possible_exemptions": _possible_exemptions(ev, regime.id, level, suppressed),
            },
            _REGIME_FIELDS,
        )
    overall = max((r.verdict for r in regimes.values()), key=rank, default="clear")
    overall_ceiling = max(
        (r.ceiling or r.verdict for r in regimes.values()), key=rank, default="clear"
    )
    value, known = ev.scope.value, assembly.shown_paths
    kept: list[tuple[str, str]] = []
    for path, text in ev.view.derivations.items():
        keep = known.get(path)
        if keep is None:
            keep = assembly.shown(plan, path)
        if keep:
            kept.append((path, text))
    kept.sort()
    derived = [
        made(
            DerivedFact,
            {"path": path, "value": _jsonable(value(path)), "explanation": text},
            _DERIVED_FIELDS,
        )
        for path, text in kept
    ]
    summary = None if used is None else build_summary(ev, deal, regimes, hits, questions, used)
    return build(
        ScreeningResult,
        deal_id=deal.id,
        deal_name=deal.name,
        deal_kind=deal.kind,
        as_of=ev.view.deal.as_of.isoformat(),
        verdict=overall,
        ceiling=overall_ceiling,
        provisional=rank(overall) < rank(overall_ceiling),
        regimes=regimes,
        hits=hits,
        open_questions=questions,
        derived=derived,
        rulebook_version=book.version,
        dealscreen_version=__version__,
        summary=summary,
    )


def _questions(
    ev: Evaluation, regime: str, level: str, suppressed: dict[str, list[str]]
) -> list[OpenQuestion]:
    """The regime's outcome rules left unknown that would raise its level, most severe first."""
    out: list[OpenQuestion] = []
    assembly = _assembly(ev.book)
    status = ev.status
    floor = rank(level)
    order = assembly.question_order.get(regime, ())
    if not order or floor >= order[0][2]:  # the first reaches highest
        return out  # no outcome rule of the regime could raise it
    for rule_id, rule, raises_to in order:  # in listed order
        if raises_to <= floor or status.get(rule_id) is not None or rule_id in suppressed:
            continue
        unknown = unknown_facts(ev, rule.id)
        out.append(
            made(
                OpenQuestion,
                {
                    "rule_id": rule.id,
                    "regime": regime,
                    "outcome": rule.outcome,
                    "citation": rule.citation,
                    "title": rule.title,
                    "question": assembly.question(rule, unknown),
                    "unknown_facts": unknown,
                    "could_raise_to": rule.outcome,
                },
                _QUESTION_FIELDS,
            )
        )
    return out


def _possible_exemptions(
    ev: Evaluation, regime: str, floor: str, suppressed: dict[str, list[str]]
) -> list[PossibleExemption]:
    """Exemptions left unknown that, if established, would lower the regime's verdict (floor);
    each says how low it would go."""
    plan = _plan(ev.book)
    status = ev.status
    out: list[PossibleExemption] = []
    for exemption, suppresses in _assembly(ev.book).regime_exemptions.get(regime, ()):
        if status.get(exemption.id) is not None:
            continue
        targets = [t for t in suppresses if status.get(t) is not False and t not in suppressed]
        if not targets:
            continue
        remaining = [
            rule.outcome or "clear"
            for rule in plan.outcome_rules.get(regime, ())
            if status.get(rule.id) is True and rule.id not in suppressed and rule.id not in targets
        ]
        lowered = max(remaining, key=rank, default="clear")
        if rank(lowered) >= rank(floor):
            continue  # it would set aside only rules that may not fire, or that others repeat
        unknown = unknown_facts(ev, exemption.id)
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
