"""Screening one deal: derive facts, run the compiled rulebook, assemble the explained verdict.

Rules run stratum by stratum (a rule that reads a finding runs after that finding's stratum), so
negation over findings is never order-dependent. durable-rules decides which rules fire; the
three-valued Python evaluator explains each one, and the two must agree on every rule of every
screening, or the screening fails with an :class:`~screening.errors.EngineError`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from . import __version__, _durable
from .compiler import CompiledRuleset, build_fact, compile_rulebook
from .conditions import FindingRef, Leaf
from .errors import EngineError, UsageError
from .evaluate import Outcome, evaluate, flatten, render_leaf, render_value
from .facts import FactView, Tri, derive, field_info
from .model import Deal, DealRecord
from .rulebook import Rule, Rulebook, load_rulebook
from .verdict import (
    LEVELS,
    Because,
    ConditionResult,
    DerivedFact,
    Hit,
    OpenQuestion,
    RegimeResult,
    ScreeningResult,
    rank,
)

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


class Evaluation:
    """Statuses of every rule for one deal, from both the engine and the evaluator."""

    def __init__(self, book: Rulebook, view: FactView) -> None:
        self.book = book
        self.view = view
        self.status: dict[str, Tri] = {}
        self.outcomes: dict[str, Outcome] = {}


def run_rules(book: Rulebook, view: FactView, *, check: bool = True) -> Evaluation:
    """Run every stratum through durable-rules and the evaluator; they must agree."""
    ev = Evaluation(book, view)
    strata = book.strata
    rulesets = compiled(book)
    by_stratum: dict[int, list[CompiledRuleset]] = {}
    for rs in rulesets:
        by_stratum.setdefault(rs.stratum, []).append(rs)
    engine_findings: dict[str, Tri] = {}
    for stratum, rules in enumerate(strata):
        fired: set[str] = set()
        refuted: set[str] = set()
        for rs in by_stratum.get(stratum, []):
            fact = build_fact(view, rs.paths, engine_findings, rs.findings)
            for action in _durable.run(rs.name, fact):
                (fired if action[0] == "+" else refuted).add(action[1:])
        for rule in rules:
            outcome = evaluate(rule.guarded, view, ev.status, book.references)
            ev.outcomes[rule.id] = outcome
            ev.status[rule.id] = outcome.status
            engine_status: Tri = True if rule.id in fired else None
            if rule.id in refuted:
                engine_status = False if engine_status is None else None
                if rule.id in fired:
                    raise EngineError(f"rule `{rule.id}` both fired and was refuted by the engine")
            if rule.kind == "finding":
                engine_findings[rule.id] = engine_status
                agree = engine_status == outcome.status
            else:
                agree = (engine_status is True) == (outcome.status is True)
            if check and not agree:
                raise EngineError(
                    f"durable-rules and the evaluator disagree on `{rule.id}` for deal "
                    f"`{view.investor.name}`: engine {engine_status}, evaluator {outcome.status}"
                )
    return ev


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
    view = derive(record, book.references, date)
    ev = run_rules(book, view)
    return assemble(record, book, ev)


def render_template(template: str, view: FactView) -> str:
    """Fill ``{section.field}`` placeholders with rendered fact values (nothing else)."""

    def fill(m: re.Match[str]) -> str:
        path = m.group(1)
        info = field_info(path)
        return render_value(view.get(path), info[2] if info else "")

    return _PLACEHOLDER.sub(fill, template)


def _conditions(ev: Evaluation, outcome: Outcome, *, only_held: bool) -> list[ConditionResult]:
    out: list[ConditionResult] = []
    as_of = ev.view.deal.as_of
    for leaf_outcome in flatten(outcome):
        node = leaf_outcome.node
        if isinstance(node, Leaf):
            if node.synthetic or (only_held and leaf_outcome.status is not True):
                continue
            out.append(
                ConditionResult(
                    condition=node.text,
                    text=render_leaf(node, leaf_outcome.value, leaf_outcome.status,
                                     ev.book.references, as_of),
                    path=node.path,
                    value=_jsonable(leaf_outcome.value),
                    held=leaf_outcome.status,
                )
            )
        elif isinstance(node, FindingRef):
            if only_held and leaf_outcome.status is not True:
                continue
            target = ev.book.rules[node.rule_id]
            state = {True: "holds", False: "does not hold", None: "is unknown"}[leaf_outcome.value]
            need = "must not hold" if node.negated else "must hold"
            out.append(
                ConditionResult(
                    condition=node.text,
                    text=f"finding `{node.rule_id}` ({target.title}) {need}: it {state}",
                    held=leaf_outcome.status,
                )
            )
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if hasattr(value, "is_finite"):  # Decimal: a string keeps it exact in JSON
        return format(value.normalize(), "f")
    return value


def _because(ev: Evaluation, rule_id: str, seen: frozenset[str] = frozenset()) -> list[Because]:
    out: list[Because] = []
    for leaf_outcome in flatten(ev.outcomes[rule_id]):
        node = leaf_outcome.node
        if isinstance(node, FindingRef) and not node.negated and leaf_outcome.status is True:
            if node.rule_id in seen:
                continue
            target = ev.book.rules[node.rule_id]
            out.append(
                Because(
                    rule_id=target.id,
                    title=target.title,
                    citation=target.citation,
                    because=_because(ev, target.id, seen | {rule_id}),
                )
            )
    return sorted(out, key=lambda b: b.rule_id)


def unknown_facts(ev: Evaluation, rule_id: str, seen: frozenset[str] = frozenset()) -> list[str]:
    """The fact paths whose being unknown leaves a rule unknown (through findings too)."""
    out: set[str] = set()
    for leaf_outcome in flatten(ev.outcomes[rule_id]):
        if leaf_outcome.status is not None:
            continue
        node = leaf_outcome.node
        if isinstance(node, Leaf):
            out.add(node.path)
        elif isinstance(node, FindingRef) and node.rule_id not in seen:
            out.update(unknown_facts(ev, node.rule_id, seen | {rule_id}))
    return sorted(out)


def _hit(ev: Evaluation, rule: Rule, suppressed_by: list[str]) -> Hit:
    conditions = _conditions(ev, ev.outcomes[rule.id], only_held=True)
    return Hit(
        rule_id=rule.id,
        regime=rule.regime,
        kind=rule.kind,
        outcome=rule.outcome,
        citation=rule.citation,
        title=rule.title,
        explanation=render_template(rule.explain, ev.view),
        facts={c.path: c.value for c in conditions if c.path},
        conditions=conditions,
        because=_because(ev, rule.id),
        suppressed_by=suppressed_by,
        confidence=rule.confidence,
        source=rule.location,
        notes=rule.notes,
    )


def suppressions(ev: Evaluation) -> dict[str, list[str]]:
    """Outcome rule id -> ids of the fired exemptions that suppress it."""
    out: dict[str, list[str]] = {}
    for rule in ev.book.rules.values():
        if rule.kind == "exemption" and ev.status.get(rule.id) is True:
            for target in rule.suppresses:
                out.setdefault(target, []).append(rule.id)
    return {k: sorted(v) for k, v in out.items()}


def assemble(deal: DealRecord, book: Rulebook, ev: Evaluation) -> ScreeningResult:
    """Build the result: hits, regime verdicts, open questions, derived facts."""
    suppressed = suppressions(ev)
    hits = [
        _hit(ev, rule, suppressed.get(rule.id, []))
        for rule in book.rules.values()
        if ev.status.get(rule.id) is True
    ]
    hits.sort(key=lambda h: (h.regime, -rank(h.outcome or "clear"), _KIND_ORDER[h.kind], h.rule_id))
    regimes: dict[str, RegimeResult] = {}
    questions: list[OpenQuestion] = []
    for regime in book.regimes.values():
        decisive = [h for h in hits if h.regime == regime.id and h.outcome and not h.suppressed_by]
        level = max((h.outcome for h in decisive if h.outcome), key=rank, default="clear")
        top = sorted(h.rule_id for h in decisive if h.outcome == level)
        regime_questions = _questions(ev, regime.id, level, suppressed)
        questions.extend(regime_questions)
        regimes[regime.id] = RegimeResult(
            regime=regime.id,
            title=regime.title,
            verdict=level,
            provisional=bool(regime_questions),
            rules=top,
        )
    overall = max((r.verdict for r in regimes.values()), key=rank, default="clear")
    derived = [
        DerivedFact(path=path, value=_jsonable(ev.view.get(path)), explanation=text)
        for path, text in sorted(ev.view.derivations.items())
    ]
    return ScreeningResult(
        deal_id=deal.id,
        deal_name=deal.name,
        deal_kind=deal.kind,
        as_of=ev.view.deal.as_of.isoformat(),
        verdict=overall,
        provisional=bool(questions),
        regimes=regimes,
        hits=hits,
        open_questions=questions,
        derived=derived,
        rulebook_version=book.version,
        dealscreen_version=__version__,
    )


def _questions(
    ev: Evaluation, regime: str, level: str, suppressed: dict[str, list[str]]
) -> list[OpenQuestion]:
    out: list[OpenQuestion] = []
    for rule in ev.book.rules.values():
        if rule.regime != regime or rule.kind != "outcome" or ev.status.get(rule.id) is not None:
            continue
        if rule.id in suppressed or rank(rule.outcome or "clear") <= rank(level):
            continue
        unknown = unknown_facts(ev, rule.id)
        titles = [_title(p) for p in unknown]
        question = (
            f"if {_join(titles)} turned out so, {rule.title[0].lower()}{rule.title[1:]}"
            f" ({rule.outcome}, {rule.citation})"
        )
        out.append(
            OpenQuestion(
                rule_id=rule.id,
                regime=regime,
                outcome=rule.outcome,
                citation=rule.citation,
                title=rule.title,
                question=question,
                unknown_facts=unknown,
            )
        )
    return sorted(out, key=lambda q: (-rank(q.outcome), q.rule_id))


def _title(path: str) -> str:
    info = field_info(path)
    return info[1] if info else path


def _join(items: Iterable[str]) -> str:
    words = list(items)
    if len(words) <= 1:
        return "".join(words) or "the unknown facts"
    return ", ".join(words[:-1]) + " and " + words[-1]


__all__ = ["LEVELS", "screen"]
