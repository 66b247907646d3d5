"""The mitigation search: the smallest sets of concessions that bring a verdict to a target.

For one deal and a target level (overall, or for one regime), the search tries sets of
concessions (:mod:`screening.mitigation.candidates`), fewest first, up to ``max_changes``:

1. **Blockers.** The outcome rules that keep the verdict, or its ceiling, above the target.
2. **Prune by leaves.** For each blocker, the fact paths whose change could alter its status,
   read from the leaves that decided it (a rule that fired can only stop if a leaf that held
   changes; through findings, and through the exemptions that could suppress it). A set of
   concessions whose changed record leaves every such fact of some blocker as it was cannot
   reach the target, and is not re-screened.
3. **Re-screen** the rest on the whole rulebook with the Python evaluator (the oracle every
   screening is checked against), skipping supersets of a set that already reaches the target
   and sets that concede more on the same terms than one that reaches.
4. **Verify** each set kept by a full screening (durable-rules and the evaluator) of the changed
   record; keep only sets none of whose proper subsets reaches the target (minimal), rank them by
   how few and how small, and explain each (which rules stop, in the rules' words, with the
   citation; which regimes went up, if any).

When nothing within the limits reaches the target, the report says so and names the rules that
block it, with the facts they rest on and whether any negotiable term can change those facts.

A mitigation is a structuring idea for counsel to test, not a guarantee: CFIUS can review a
transaction that was not notified, and a restructured deal is screened on what it really is.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import Field

from screening.engine.evaluate import Outcome
from screening.engine.run import Evaluation, evaluate_rules, resolve_as_of, screen, suppressions
from screening.engine.verdict import DISCLAIMER, LEVELS, Result, ScreeningResult
from screening.errors import EngineError, UsageError
from screening.facts.derive import derive
from screening.facts.view import FactView, field_info
from screening.mitigation.candidates import Candidate, candidates, ordered, select_terms
from screening.mitigation.changes import Change, apply_changes
from screening.mitigation.diff import WhatIfDiff, diff_results, regime_ceiling
from screening.model.deal import Deal, DealRecord
from screening.model.levels import Level
from screening.rulebook.book import Rulebook, load_rulebook
from screening.rulebook.conditions import All, AnyOf, FindingRef, Leaf, leaves, suggest

NOT_A_GUARANTEE = (
    "A mitigation is a structuring idea for counsel to test, not a guarantee: CFIUS can review a "
    "transaction that was not notified (31 CFR 800.501(b)), and a restructured deal is judged on "
    "what it really is, including arrangements made to evade the rules (800.213(d))."
)


class Concession(Result):
    """One concession of a proposed mitigation."""

    term: str
    group: str
    title: str
    label: str
    changes: list[Change]
    size: float


class ProposedMitigation(Result):
    """A set of concessions that brings the deal to the target, verified by re-screening."""

    concessions: list[Concession]
    count: int
    size: float
    level_after: Level = Field(description="the scope's verdict after the changes")
    ceiling_after: Level
    verdict_after: str = Field(description="the overall verdict after the changes")
    raised: list[str] = Field(
        default_factory=list, description="regimes whose verdict or ceiling went up"
    )
    diff: WhatIfDiff


class Blocker(Result):
    """An outcome rule that keeps the verdict above the target."""

    rule_id: str
    regime: str
    outcome: Level
    title: str
    citation: str
    status: Literal["fires", "unknown"]
    explanation: str = ""
    facts: list[str] = Field(description="the facts its status rests on")
    changed_by: list[str] = Field(
        description="negotiable terms whose concessions change one of those facts"
    )


class SearchStats(Result):
    """How much the search did."""

    candidates: int
    sets_considered: int
    pruned_by_leaves: int
    skipped_not_minimal: int
    rescreened: int = Field(description="re-screenings of changed records by the evaluator")
    verified: int = Field(description="full re-screenings (durable-rules and the evaluator)")


class MitigationReport(Result):
    """The answer to "what would it take to bring this deal to the target?"."""

    deal_id: str
    deal_name: str
    as_of: str
    rulebook_version: str
    scope: str = Field(description="a regime id, or `overall`")
    target: Level
    level_before: Level
    ceiling_before: Level
    max_changes: int
    terms: list[str]
    status: Literal["already", "found", "not_found"]
    mitigations: list[ProposedMitigation] = Field(default_factory=list)
    more: int = Field(0, description="further minimal mitigations not listed")
    blockers: list[Blocker] = Field(default_factory=list)
    closest: list[Concession] = Field(default_factory=list)
    closest_level: Level | None = None
    stats: SearchStats
    screening_id: int | None = Field(None, description="the recorded screening, from the store")
    terms_source: str = Field("", description="where the negotiable terms came from")
    note: str = NOT_A_GUARANTEE
    disclaimer: str = DISCLAIMER


# --------------------------------------------------------------------------------------------
# Levels of a scope, from the evaluator's statuses or from a result


def level_rank(verdict: str) -> int:
    """Position of a level in LEVELS (clear = 0); a verdict outside them (a regime with no rule
    in force) counts as clear: nothing in it applies, so it is at or below every target."""
    return LEVELS.index(verdict) if verdict in LEVELS else 0


@dataclass
class _Scope:
    regimes: list[str]
    target: int
    outcome_rules: list[tuple[str, str, int]]  # (rule id, regime, rank)

    def levels(self, ev: Evaluation) -> tuple[int, int, list[str]]:
        """(verdict rank, ceiling rank, blocking rule ids) of the scope for an evaluation."""
        suppressed = suppressions(ev)
        verdict: dict[str, int] = dict.fromkeys(self.regimes, 0)
        for rule_id, regime, level in self.outcome_rules:
            if ev.status.get(rule_id) is True and rule_id not in suppressed:
                verdict[regime] = max(verdict[regime], level)
        ceiling = dict(verdict)
        blockers: list[str] = []
        for rule_id, regime, level in self.outcome_rules:
            status = ev.status.get(rule_id)
            if rule_id in suppressed:
                continue
            if status is None and level > verdict[regime]:
                ceiling[regime] = max(ceiling[regime], level)
            if status is not False and level > self.target:
                blockers.append(rule_id)
        return max(verdict.values(), default=0), max(ceiling.values(), default=0), blockers

    def of_result(self, result: ScreeningResult) -> tuple[int, int]:
        """(verdict rank, ceiling rank) of the scope in a full result."""
        verdict = max((level_rank(result.regimes[r].verdict) for r in self.regimes), default=0)
        ceiling = max((level_rank(regime_ceiling(result, r)) for r in self.regimes), default=0)
        return verdict, ceiling


# --------------------------------------------------------------------------------------------
# Which facts could change a rule's status


class _Deps:
    """Fact paths whose change could alter a rule's status, from the leaves that decided it."""

    def __init__(self, ev: Evaluation) -> None:
        self.ev = ev
        self.memo: dict[str, frozenset[str]] = {}
        self.exemptions: dict[str, list[str]] = {}
        for rule in ev.book.rules.values():
            for target in rule.suppresses:
                self.exemptions.setdefault(target, []).append(rule.id)

    def of_rule(self, rule_id: str) -> frozenset[str]:
        found = self.memo.get(rule_id)
        if found is None:
            self.memo[rule_id] = frozenset()  # findings form no cycle; a guard all the same
            found = frozenset(self._paths(self.ev.outcomes[rule_id]))
            self.memo[rule_id] = found
        return found

    def of_blocker(self, rule_id: str) -> frozenset[str]:
        """A blocker stops blocking if its status changes or an exemption starts to apply."""
        paths = set(self.of_rule(rule_id))
        for exemption in self.exemptions.get(rule_id, []):
            paths |= self.of_rule(exemption)
        return frozenset(paths)

    def _paths(self, outcome: Outcome) -> set[str]:
        node = outcome.node
        if isinstance(node, Leaf):
            return {node.path}
        if isinstance(node, FindingRef):
            return set(self.of_rule(node.rule_id))
        out: set[str] = set()
        status = outcome.status
        for child in outcome.children:
            # A node that holds stops holding only through a child that holds (any) or any
            # child (all); one that fails starts holding only through a failed child (all).
            if status is True and isinstance(node, AnyOf) and child.status is not True:
                continue
            if status is False and isinstance(node, All) and child.status is not False:
                continue
            out |= self._paths(child)
        return out


# --------------------------------------------------------------------------------------------
# The search


@dataclass
class _Tried:
    """What the search learnt about one set of concessions."""

    verdict: int
    ceiling: int
    blockers: list[str]

    def reaches(self, target: int) -> bool:
        return self.verdict <= target and self.ceiling <= target


@dataclass
class _Search:
    book: Rulebook
    deal: DealRecord
    as_of: dt.date
    scope: _Scope
    base_view: FactView
    base_blockers: list[str]
    deps: dict[str, frozenset[str]]
    paths: list[str]
    by_record: dict[str, _Tried | None] = field(default_factory=dict)
    stats: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ("considered", "pruned", "not_minimal", "rescreened", "verified"), 0
        )
    )

    def record(self, cands: tuple[Candidate, ...]) -> DealRecord:
        return apply_changes(self.deal, ordered([c for cand in cands for c in cand.changes]))

    def changed_paths(self, view: FactView) -> set[str]:
        """The fact paths rules read whose value differs from the original deal's."""
        base = self.base_view
        out: set[str] = set()
        for section, paths in _by_section(self.paths).items():
            if _section(view, section) == _section(base, section):
                continue  # an unchanged section: none of its facts moved
            out.update(p for p in paths if view.get(p) != base.get(p))
        return out

    def try_set(self, cands: tuple[Candidate, ...], *, prune: bool = True) -> _Tried | None:
        """The scope's levels with the concessions made; None when pruned without screening."""
        record = self.record(cands)
        key = record.model_dump_json()
        if key in self.by_record and (self.by_record[key] is not None or prune):
            return self.by_record[key]
        view = derive(record, self.book.references, self.as_of)
        if prune:
            changed = self.changed_paths(view)
            if any(not (self.deps[b] & changed) for b in self.base_blockers):
                self.stats["pruned"] += 1
                self.by_record[key] = None
                return None
        self.stats["rescreened"] += 1
        tried = _Tried(*self.scope.levels(evaluate_rules(self.book, view)))
        self.by_record[key] = tried
        return tried


def _section(view: FactView, name: str) -> Any:
    return view.extra[name] if name in view.extra else getattr(view, name)


_SECTIONS: dict[tuple[str, ...], dict[str, list[str]]] = {}


def _by_section(paths: list[str]) -> dict[str, list[str]]:
    key = tuple(paths)
    found = _SECTIONS.get(key)
    if found is None:
        found = {}
        for path in paths:
            found.setdefault(path.split(".", 1)[0], []).append(path)
        _SECTIONS[key] = found
    return found


def _dominates(small: tuple[Candidate, ...], big: tuple[Candidate, ...]) -> bool:
    """Whether ``big`` concedes at least as much as ``small`` on every term of ``small``."""
    for s in small:
        if not any(
            b is s or (b.term.id == s.term.id and b.term.concession == "lower" and b.rank >= s.rank)
            for b in big
        ):
            return False
    return True


def mitigate(
    deal: DealRecord | Deal,
    *,
    to: str | None = None,
    regime: str | None = None,
    max_changes: int = 2,
    terms: list[str] | tuple[str, ...] | None = None,
    limit: int = 10,
    rulebook: Rulebook | None = None,
    as_of: dt.date | None = None,
    prune: bool = True,
) -> MitigationReport:
    """Search the negotiable terms for the smallest sets of concessions reaching ``to`` or lower.

    ``to`` defaults to the level just below the current verdict; ``regime`` limits the target to
    one regime (other regimes' changes are still reported); ``terms`` limits the search to
    negotiable terms or groups (``stake``, ``governance``, ``parties``, ``structure``).
    ``prune=False`` re-screens every set instead of ruling sets out by the rules' leaves (the
    answer is the same; the benchmark measures the difference).
    """
    record = deal.root if isinstance(deal, Deal) else deal
    book = rulebook or load_rulebook()
    date = resolve_as_of(record, as_of)
    if max_changes < 1:
        raise UsageError.one("--max-changes", "invalid-option", "must be 1 or more")
    if regime is not None and regime not in book.regimes:
        raise UsageError.one(
            "--regime", "unknown-regime", f"no regime `{regime}`{suggest(regime, book.regimes)}"
        )
    if to is not None and to not in LEVELS:
        raise UsageError.one("--to", "unknown-level", f"`{to}` is not one of {', '.join(LEVELS)}")
    chosen = select_terms(book, terms)
    regimes = [regime] if regime else list(book.regimes)
    before = screen(record, rulebook=book, as_of=date)
    base_view = derive(record, book.references, date)
    base_ev = evaluate_rules(book, base_view)
    probe = _Scope(regimes, 0, [])
    level_before, ceiling_before = probe.of_result(before)
    target = level_rank(to) if to is not None else max(level_before - 1, 0)
    outcome_rules = sorted(
        (r.id, r.regime, level_rank(r.outcome or "clear"))
        for r in book.rules.values()
        if r.kind == "outcome" and r.regime in regimes
    )
    scope = _Scope(regimes, target, outcome_rules)
    fast_verdict, fast_ceiling, base_blockers = scope.levels(base_ev)
    if (fast_verdict, fast_ceiling) != (level_before, ceiling_before):
        raise EngineError("the mitigation search and the screening disagree on the deal's levels")
    common: dict[str, Any] = {
        "deal_id": record.id,
        "deal_name": record.name,
        "as_of": date.isoformat(),
        "rulebook_version": book.version,
        "scope": regime or "overall",
        "target": LEVELS[target],
        "level_before": LEVELS[level_before],
        "ceiling_before": LEVELS[ceiling_before],
        "max_changes": max_changes,
        "terms": [t.id for t in chosen],
    }
    if level_before <= target and ceiling_before <= target:
        stats = SearchStats(
            candidates=0,
            sets_considered=0,
            pruned_by_leaves=0,
            skipped_not_minimal=0,
            rescreened=0,
            verified=0,
        )
        return MitigationReport(status="already", stats=stats, **common)
    deps_of = _Deps(base_ev)
    deps = {b: deps_of.of_blocker(b) for b in base_blockers}
    paths = sorted(
        {
            leaf.path
            for r in book.rules.values()
            for leaf in leaves(r.guarded)
            if isinstance(leaf, Leaf)
        }
    )
    search = _Search(book, record, date, scope, base_view, base_blockers, deps, paths)
    cands = candidates(book, record, base_view, chosen)
    reaching: list[tuple[Candidate, ...]] = []
    best: tuple[int, tuple[Candidate, ...], list[str]] | None = None
    for size in range(1, max_changes + 1):
        for combo in itertools.combinations(cands, size):
            if any(a.conflicts(b) for a, b in itertools.combinations(combo, 2)):
                continue
            search.stats["considered"] += 1
            if any(_dominates(r, combo) for r in reaching):
                search.stats["not_minimal"] += 1
                continue
            tried = search.try_set(combo, prune=prune)
            if tried is None:
                continue
            level = max(tried.verdict, tried.ceiling)
            if best is None or level < best[0]:
                best = (level, combo, tried.blockers)
            if tried.reaches(target):
                reaching.append(combo)
    minimal = [c for c in reaching if _minimal(search, c, target)]
    minimal.sort(key=lambda c: (len(c), round(sum(x.size for x in c), 6), [x.key for x in c]))
    # Two sets can make the same deal (all items at once, or one by one): keep the first.
    seen_records: set[str] = set()
    unique = []
    for combo in minimal:
        key = search.record(combo).model_dump_json()
        if key not in seen_records:
            seen_records.add(key)
            unique.append(combo)
    minimal = unique
    proposals = [_verify(search, before, base_ev, combo, target) for combo in minimal[:limit]]
    stats = SearchStats(
        candidates=len(cands),
        sets_considered=search.stats["considered"],
        pruned_by_leaves=search.stats["pruned"],
        skipped_not_minimal=search.stats["not_minimal"],
        rescreened=search.stats["rescreened"],
        verified=search.stats["verified"],
    )
    if proposals:
        return MitigationReport(
            status="found",
            mitigations=proposals,
            more=max(len(minimal) - limit, 0),
            stats=stats,
            **common,
        )
    blockers_now = best[2] if best is not None else base_blockers
    return MitigationReport(
        status="not_found",
        blockers=_blockers(search, base_ev, before, blockers_now or base_blockers, cands),
        closest=[_concession(c) for c in best[1]]
        if best is not None and best[0] < max(level_before, ceiling_before)
        else [],
        closest_level=LEVELS[best[0]]
        if best is not None and best[0] < max(level_before, ceiling_before)
        else None,
        stats=stats,
        **common,
    )


def _minimal(search: _Search, combo: tuple[Candidate, ...], target: int) -> bool:
    """No proper subset of the set reaches the target (each re-screened unpruned if needed)."""
    for size in range(1, len(combo)):
        for sub in itertools.combinations(combo, size):
            tried = search.try_set(sub, prune=False)
            if tried is not None and tried.reaches(target):
                return False
    return True


def _concession(c: Candidate) -> Concession:
    return Concession(
        term=c.term.id,
        group=c.term.group,
        title=c.term.title,
        label=c.label,
        changes=list(c.changes),
        size=round(c.size, 6),
    )


def _verify(
    search: _Search,
    before: ScreeningResult,
    base_ev: Evaluation,
    combo: tuple[Candidate, ...],
    target: int,
) -> ProposedMitigation:
    record = search.record(combo)
    after = screen(record, rulebook=search.book, as_of=search.as_of)
    search.stats["verified"] += 1
    verdict, ceiling = search.scope.of_result(after)
    if verdict > target or ceiling > target:
        raise EngineError(
            f"a mitigation of `{before.deal_id}` reached the target in the evaluator but not "
            "in the full screening"
        )
    changes = ordered([c for cand in combo for c in cand.changes])
    after_ev = evaluate_rules(search.book, derive(record, search.book.references, search.as_of))
    diff = diff_results(before, after, changes, base_ev, after_ev)
    return ProposedMitigation(
        concessions=[_concession(c) for c in combo],
        count=len(combo),
        size=round(sum(c.size for c in combo), 6),
        level_after=LEVELS[verdict],
        ceiling_after=LEVELS[ceiling],
        verdict_after=after.verdict,
        raised=diff.raised,
        diff=diff,
    )


def _fact_title(path: str) -> str:
    info = field_info(path)
    return info[1] if info else path


def _blockers(
    search: _Search,
    base_ev: Evaluation,
    before: ScreeningResult,
    rule_ids: list[str],
    cands: list[Candidate],
) -> list[Blocker]:
    deps_of = _Deps(base_ev)
    singles: dict[str, set[str]] = {}
    for cand in cands:
        view = derive(search.record((cand,)), search.book.references, search.as_of)
        singles.setdefault(cand.term.id, set()).update(search.changed_paths(view))
    out = []
    for rule_id in rule_ids:
        rule = search.book.rules[rule_id]
        deps = deps_of.of_blocker(rule_id)
        hit = before.hit(rule_id)
        status = base_ev.status.get(rule_id)
        out.append(
            Blocker(
                rule_id=rule_id,
                regime=rule.regime,
                outcome=rule.outcome or "clear",
                title=rule.title,
                citation=rule.citation,
                status="fires" if status is True else "unknown",
                explanation=hit.explanation if hit else "",
                facts=[
                    f"{p}: {_show(base_ev.scope.value(p))} ({_fact_title(p)})"
                    for p in sorted(deps)
                    if p != "deal.as_of"
                ],
                changed_by=sorted(t for t, changed in singles.items() if changed & deps),
            )
        )
    return out


def _show(value: Any) -> str:
    from screening.engine.evaluate import render_value

    return render_value(value)


def mitigate_recorded(
    store: Any,
    screening_id: int,
    **options: Any,
) -> MitigationReport:
    """Mitigation for a recorded screening: its deal, date and rulebook version.

    The rulebook is rebuilt from the recorded snapshot. A snapshot recorded before rulebooks
    declared negotiable terms has none; then today's shipped terms are used, and the report
    says so in ``terms_source``.
    """
    from dataclasses import replace

    from screening.audit.store import Store

    assert isinstance(store, Store)
    stored = store.get(screening_id)
    book = store.rulebook(stored.result.rulebook_version)
    source = f"recorded rulebook {book.version}"
    if not book.negotiable:
        book = replace(book, negotiable=load_rulebook().negotiable)
        source = "today's shipped rulebook (the recorded one declares no negotiable terms)"
    report = mitigate(stored.deal, rulebook=book, as_of=stored.as_of, **options)
    return report.model_copy(update={"terms_source": source, "screening_id": screening_id})


__all__ = [
    "NOT_A_GUARANTEE",
    "Blocker",
    "Concession",
    "MitigationReport",
    "ProposedMitigation",
    "SearchStats",
    "mitigate",
    "mitigate_recorded",
]
