"""The memo: the answer first, on one screen (``summary`` in a result).

For each regime that is not clear: its level, the deciding rule in words, the citation, and the
action with its deadline computed from the record's dates (a deadline before the screening date
is flagged; the clock is never read). For each clear regime: the one or two facts that decided it,
taken from the evaluator's why-not (the conditions that failed), not from prose. Then the verdict
range, the open questions ranked by how far they could raise the verdict (each asked once), and
what the answer rests on: the rulebook version and every reference list the screening read, with
its date and completeness.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from screening.engine.evaluate import StatusFn, render_leaf, status_function
from screening.engine.verdict import (
    NOT_IN_FORCE,
    ClearReason,
    Hit,
    ListUsed,
    MemoAction,
    MemoQuestion,
    OpenQuestion,
    RegimeResult,
    Summary,
    build,
    rank,
)
from screening.facts.sections.base import Tri
from screening.model.deal import DealRecord
from screening.model.reference import References
from screening.rulebook.book import Rule, Rulebook
from screening.rulebook.conditions import All, AnyOf, Condition, FindingRef, Leaf

if TYPE_CHECKING:
    from screening.engine.run import Evaluation

IMPORT_COMMAND = "dealscreen lists import"
STARTER_WARNING = (
    "the restricted-party lists used are bundled starter sets of a few entries, not the official "
    "lists: a party not found on them may still be listed. Load the official downloads with "
    "`dealscreen lists update --from DIR --out LAYER` (one list: `dealscreen lists import`) and "
    "screen with `--rules LAYER`."
)
STALE_PREFIX = "reference lists past their review date"
_KIND_ORDER = {"outcome": 0, "exemption": 1, "finding": 2}

# What to do when an outcome rule carries no ``action:`` of its own, by level.
_DEFAULT_ACTION = {
    "prohibited": "Do not complete the deal as structured; take it to counsel",
    "filing_required": "Make the filing the cited rule requires",
    "filing_advised": (
        "Elevated risk: take it to counsel before signing (mitigation, or a voluntary filing "
        "where the regime has one)"
    ),
    "covered": "Within the regime's reach; no filing is required",
}
_ANCHOR_WORDS = {"completion_date": "completion", "signing_date": "signing"}


def verdict_range(regime: RegimeResult, questions: Iterable[OpenQuestion]) -> str:
    """The highest level a regime could reach: its verdict or an open question's outcome.

    The regime's own ``ceiling`` when the result carries one (it is exact: the floor/ceiling
    invariant); otherwise (results recorded before ceilings) the highest open question.
    """
    if regime.ceiling is not None:
        return regime.ceiling
    levels = [regime.verdict, *(q.outcome for q in questions if q.regime == regime.regime)]
    return max(levels, key=rank)


def hit_order(hits: Sequence[Hit]) -> list[Hit]:
    """Hits by consequence: outcome rules by level (applying before exempted), then exemptions,
    then findings; rule id within each."""
    return sorted(
        hits,
        key=lambda h: (
            _KIND_ORDER[h.kind],
            -rank(h.outcome or "clear"),
            bool(h.suppressed_by),
            h.rule_id,
        ),
    )


class _Reason:
    """One thing that made an outcome rule fail: a fact, or a finding that does not hold.

    Its words are rendered only when the memo shows it (:meth:`text`): most reasons are only
    counted.
    """

    __slots__ = ("key", "node", "parts", "text", "value")

    def __init__(
        self, key: str, node: Condition, value: Any = None, parts: tuple[_Reason, ...] = ()
    ) -> None:
        self.key = key
        self.node = node
        self.value = value
        self.parts = parts  # under a failed ``any``: each alternative's first reason
        self.text: str | None = None

    def words(self, ctx: Explainer) -> str:
        """The reason in words (rendered once)."""
        if self.text is None:
            self.text = self._words(ctx)
        return self.text

    def _words(self, ctx: Explainer) -> str:
        node = self.node
        if isinstance(node, Leaf):
            if node.synthetic:
                return f"not in force on {ctx.as_of.isoformat()}"
            return ctx.leaf(node, self.value)
        if isinstance(node, FindingRef):
            return f"{ctx.rules[node.rule_id].title}: {'yes' if node.negated else 'no'}"
        return "none of: " + "; ".join(part.words(ctx) for part in self.parts)


def action_for(
    rule: Rule, deal: DealRecord, as_of: dt.date, regime: str, others: int = 0
) -> MemoAction:
    """The memo line of a regime decided by ``rule``: the action and its deadline."""
    level = rule.outcome or "covered"
    act = rule.action
    action = act.do if act else _DEFAULT_ACTION[level]
    deadline: dt.date | None = None
    deadline_rule = ""
    past = False
    when = ""
    if act is not None and act.days is not None:
        anchor = getattr(deal, act.anchor)
        side = "after" if act.after else "before"
        deadline_rule = (
            f"no later than {act.days} days {side} {_ANCHOR_WORDS[act.anchor]} ({act.citation})"
        )
        if anchor is None:
            when = f" {deadline_rule}: the record has no {act.anchor}, so no date can be given"
        else:
            deadline = anchor + dt.timedelta(days=act.days if act.after else -act.days)
            past = deadline < as_of
            when = f" {deadline_rule}: by {deadline.isoformat()}"
            if past:
                when += f" (PAST: before the screening date {as_of.isoformat()})"
    more = f" (+{others} more rule{'s' if others != 1 else ''} at this level)" if others else ""
    text = f"{level} — {rule.title} ({rule.citation}){more}. {action}{when}."
    return build(
        MemoAction,
        regime=regime,
        level=level,
        rule_id=rule.id,
        rule=rule.title,
        citation=rule.citation,
        action=action,
        deadline=deadline.isoformat() if deadline else None,
        deadline_rule=deadline_rule,
        past_deadline=past,
        text=text,
    )


def _lower(title: str) -> str:
    if title[:1].isupper() and (title[1:2].islower() or title[1:2] == " "):
        return title[0].lower() + title[1:]
    return title


_FailFn = Callable[["Explainer"], list[_Reason]]


def failing(ctx: Explainer, rule_id: str) -> list[_Reason]:
    """The top-level reasons a failed rule failed (its status is False).

    The same reasons, in the same order, as walking its explained tree, without building it.
    """
    fns = ctx.fail_fns
    fn = fns.get(rule_id)
    if fn is None:
        fn = fns[rule_id] = _fail_function(ctx.ev.guarded[rule_id])
    return fn(ctx)


def _fail_function(cond: Condition) -> _FailFn:
    """:func:`failing` of a condition known to have failed, compiled once per rulebook: the
    status of a child of an ``all`` comes from its status function; every child of a failed
    ``any`` failed."""
    if isinstance(cond, Leaf):
        if cond.synthetic:
            return lambda ctx: [_Reason("in-force", cond)]
        key, path = f"{cond.path} {cond.op} {cond.value!r}", cond.path
        return lambda ctx: [_Reason(key, cond, ctx.scope.value(path))]
    if isinstance(cond, FindingRef):
        ref_key = ("+" if cond.negated else "-") + cond.rule_id
        return lambda ctx: [_Reason(ref_key, cond)]
    if isinstance(cond, AnyOf):
        alternatives = [_fail_function(child) for child in cond.children]

        def any_failed(ctx: Explainer) -> list[_Reason]:
            each = [fn(ctx) for fn in alternatives]
            key = "any:" + "|".join(sorted(r.key for reasons in each for r in reasons))
            return [_Reason(key, cond, parts=tuple(reasons[0] for reasons in each if reasons))]

        return any_failed
    # A failed ``all`` fails on each of its children that failed; a child ``all`` failed exactly
    # when one of its own children did (Kleene logic), so nested ``all`` nodes are flattened
    # into one list of conjuncts: the same reasons in the same order, each status read once.
    # A fact leaf's reason is built in place (its key is fixed when compiled).
    leaves: list[tuple[StatusFn, str, Leaf, str]] = []
    parts: list[tuple[StatusFn, _FailFn | None, int]] = []
    for child in _conjuncts(cond):
        if isinstance(child, Leaf) and not child.synthetic:
            key = f"{child.path} {child.op} {child.value!r}"
            leaves.append((status_function(child), key, child, child.path))
            parts.append((leaves[-1][0], None, len(leaves) - 1))
        else:
            parts.append((status_function(child), _fail_function(child), -1))

    def all_failed(ctx: Explainer) -> list[_Reason]:
        scope = ctx.scope
        out: list[_Reason] = []
        for status_of, fail, at in parts:
            if status_of(scope) is False:
                if fail is None:
                    _fn, key, leaf, path = leaves[at]
                    out.append(_Reason(key, leaf, scope.value(path)))
                else:
                    out.extend(fail(ctx))
        return out

    return all_failed


def _conjuncts(cond: Condition) -> list[Condition]:
    """The children of an ``all``, with the children of nested ``all`` nodes in their place."""
    out: list[Condition] = []
    for child in cond.children:  # type: ignore[union-attr]
        if isinstance(child, All):
            out.extend(_conjuncts(child))
        else:
            out.append(child)
    return out


def _compiled(book: Rulebook, name: str) -> dict[Any, Any]:
    """A per-rulebook cache kept on the (frozen) rulebook, which holds its conditions alive."""
    cache: dict[Any, Any] | None = book.__dict__.get(name)
    if cache is None:
        cache = {}
        object.__setattr__(book, name, cache)
    return cache


class Explainer:
    """Renders failed conditions in words, following findings down to the facts."""

    def __init__(self, ev: Evaluation) -> None:
        self.ev = ev
        self.rules = ev.book.rules
        self.as_of = ev.view.deal.as_of
        self.scope = ev.scope
        self.status_fns: dict[int, StatusFn] = _compiled(ev.book, "_memo_status")
        self.fail_fns: dict[str, _FailFn] = _compiled(ev.book, "_memo_failing")
        self._facts: dict[tuple[str, int], list[str]] = {}

    def leaf(self, node: Leaf, value: Any) -> str:
        """A failed fact in words."""
        text = render_leaf(node, value, False, self.ev.book.references, self.as_of)
        return text.split(" (the rule needs ")[0]  # the memo states the fact only

    def facts(self, rule_id: str, limit: int = 3, seen: frozenset[str] = frozenset()) -> list[str]:
        """The failed facts under a finding (through the findings it reads), at most ``limit``.

        Remembered per screening: findings form an acyclic graph (a cycle is a load error), so
        ``seen`` never cuts a walk and the answer depends on the finding alone.
        """
        known = self._facts.get((rule_id, limit))
        if known is not None:
            return list(known)
        out: list[str] = []
        if self.ev.status.get(rule_id) is not False:
            return out
        for node in self.failed_leaves(self.ev.guarded[rule_id]):
            if isinstance(node, Leaf):
                if not node.synthetic:
                    out.append(self.leaf(node, self.scope.value(node.path)))
            elif isinstance(node, FindingRef) and node.rule_id not in seen:
                if node.negated:
                    out.append(f"{self.rules[node.rule_id].title}: yes")
                else:
                    out.extend(self.facts(node.rule_id, limit, seen | {rule_id}))
            if len(out) >= limit:
                break
        found = self._facts[(rule_id, limit)] = list(dict.fromkeys(out))[:limit]
        return list(found)

    def status(self, cond: Condition) -> Tri:
        """A condition node's status in this screening (its status function, compiled once)."""
        fn = self.status_fns.get(id(cond))
        if fn is None:
            fn = self.status_fns[id(cond)] = status_function(cond)
        return fn(self.scope)

    def failed_leaves(self, cond: Condition) -> Iterator[Leaf | FindingRef]:
        """The failed leaves that decide a failed node (every child of a failed ``any``), in
        order; generated as read, so a caller that stops early computes no more statuses."""
        if isinstance(cond, Leaf | FindingRef):
            yield cond
            return
        every = isinstance(cond, AnyOf)  # a failed ``any``: each alternative failed
        for child in cond.children:
            if every or self.status(child) is False:
                yield from self.failed_leaves(child)


def clear_reason(ex: Explainer, regime: str, title: str, rules: list[Rule]) -> ClearReason:
    """Why a clear regime is clear: the one or two reasons that defeat most of its rules."""
    in_force = [r for r in rules if r.in_force(ex.as_of)]
    if not in_force:
        text = f"no rule of this regime is in force on {ex.as_of.isoformat()}"
        return build(
            ClearReason,
            regime=regime,
            title=title,
            status="not in force",
            reasons=[text],
            text=text,
        )
    failed = [r for r in in_force if ex.ev.status.get(r.id) is False]
    per_rule = {r.id: failing(ex, r.id) for r in failed}
    chosen: list[_Reason] = []
    left = set(per_rule)
    while left and len(chosen) < 2:
        counts: dict[str, int] = {}
        first: dict[str, _Reason] = {}
        for rule_id in sorted(left):
            for reason in per_rule[rule_id]:
                if reason.key not in counts:
                    first[reason.key] = reason
                counts[reason.key] = counts.get(reason.key, 0) + 1
        if not counts:
            break
        best = max(sorted(counts), key=lambda k: counts[k])
        chosen.append(first[best])
        left = {r for r in left if all(x.key != best for x in per_rule[r])}
    reasons: list[str] = []
    for reason in chosen:
        text = _detail(ex, reason)
        if not any(reason.words(ex) in earlier for earlier in reasons):
            reasons.append(text)
    if left:
        n = len(left)
        reasons.append(
            f"{n} more rule{'s' if n != 1 else ''} fail{'s' if n == 1 else ''} on other facts"
        )
    waiting = [r for r in in_force if ex.ev.status.get(r.id) is None]
    if not reasons and waiting:
        n = len(waiting)
        reasons = [
            f"no outcome rule fired; {n} wait{'s' if n == 1 else ''} on unknown facts "
            "(open questions)"
        ]
    if not reasons:
        reasons = ["no outcome rule fired"]
    return build(
        ClearReason,
        regime=regime,
        title=title,
        status="clear",
        reasons=reasons,
        text="; ".join(reasons[:2]),
    )


def _detail(ex: Explainer, reason: _Reason) -> str:
    text = reason.words(ex)
    if reason.key.startswith("-"):
        facts = ex.facts(reason.key[1:])
        return text + (" (" + "; ".join(facts) + ")" if facts else "")
    return text


def ranked_questions(
    questions: Sequence[OpenQuestion], regimes: dict[str, RegimeResult]
) -> list[MemoQuestion]:
    """Open questions asked once each (the same unknown facts, one question), ranked by the
    level they could raise the verdict to, then by how many levels they would raise it."""
    grouped: dict[tuple[str, ...], list[OpenQuestion]] = {}
    for q in questions:
        head = _question_head(q.question)
        key = (head,) if head.endswith("may show") else (tuple(q.unknown_facts) or (q.rule_id,))
        grouped.setdefault(key, []).append(q)
    out: list[tuple[tuple[int, int, str], MemoQuestion]] = []
    for group in grouped.values():
        top = max(group, key=lambda q: rank(q.outcome))
        raise_by = max(rank(q.outcome) - rank(regimes[q.regime].verdict) for q in group)
        outcomes = sorted(group, key=lambda q: (-rank(q.outcome), q.rule_id))
        head = _question_head(top.question)
        if len(outcomes) == 1:
            text = top.question
        else:
            first = outcomes[0]
            text = (
                f"{head}: {_lower(first.title)} ({first.outcome}, {first.citation}), and "
                f"{len(outcomes) - 1} more rule{'s' if len(outcomes) > 2 else ''} "
                f"({', '.join(q.rule_id for q in outcomes[1:])})"
            )
        item = build(
            MemoQuestion,
            question=text,
            could_raise_to=top.outcome,
            regimes=sorted({q.regime for q in group}),
            rule_ids=[q.rule_id for q in outcomes],
            unknown_facts=_asked(group),
        )
        out.append(((-rank(top.outcome), -raise_by, text), item))
    return [item for _key, item in sorted(out, key=lambda kv: kv[0])]


def _asked(group: list[OpenQuestion]) -> list[str]:
    """The unknown facts a question asks for; a missing block is asked for as a block."""
    facts = sorted({f for q in group for f in q.unknown_facts})
    blocks = [f for f in facts if f.endswith(".recorded")]
    return blocks or facts


def _question_head(question: str) -> str:
    """``if X turned out so`` or ``the deal has no `site` block; once recorded, it may show``."""
    for marker in (" turned out so", "; once recorded, it may show"):
        head, sep, _tail = question.partition(marker)
        if sep:
            return head + sep
    return question


def lists_used(references: References, names: Iterable[str], as_of: dt.date) -> list[ListUsed]:
    """The reference lists a screening read, with their dates and completeness."""
    out = []
    for name in sorted(set(names)):
        ref = references.get(name)
        if ref is None:
            continue
        out.append(
            build(
                ListUsed,
                name=ref.name,
                title=ref.title,
                retrieved=ref.retrieved.isoformat() if ref.retrieved else None,
                review_by=ref.review_by.isoformat() if ref.review_by else None,
                entries=len(ref.entries),
                starter=ref.starter,
                past_review=bool(ref.review_by and as_of > ref.review_by),
            )
        )
    return out


def build_summary(
    ev: Evaluation,
    deal: DealRecord,
    regimes: dict[str, RegimeResult],
    hits: Sequence[Hit],
    questions: Sequence[OpenQuestion],
    used: Iterable[str],
) -> Summary:
    """The memo of one screening."""
    book = ev.book
    as_of = ev.view.deal.as_of
    ex = Explainer(ev)
    by_regime: dict[str, list[Rule]] = _compiled(book, "_memo_outcome_rules")
    if not by_regime:
        for rule in book.rules.values():
            if rule.kind == "outcome":
                by_regime.setdefault(rule.regime, []).append(rule)
    actions: list[MemoAction] = []
    clear: list[ClearReason] = []
    for regime in regimes.values():
        if regime.verdict == NOT_IN_FORCE:
            why = f"no rule of this regime is in force on {as_of.isoformat()}: not screened"
            clear.append(
                build(
                    ClearReason,
                    regime=regime.regime,
                    title=regime.title,
                    status="not in force",
                    reasons=[why],
                    text=why,
                )
            )
            continue
        if regime.verdict == "clear":
            clear.append(
                clear_reason(ex, regime.regime, regime.title, by_regime.get(regime.regime, []))
            )
            continue
        deciding = [book.rules[r] for r in regime.rules]
        chosen = next((r for r in deciding if r.action), deciding[0])
        actions.append(action_for(chosen, deal, as_of, regime.regime, len(deciding) - 1))
    actions.sort(key=lambda a: (-rank(a.level), a.regime))
    verdict = max((r.verdict for r in regimes.values()), key=rank, default="clear")
    ceiling = max(
        (verdict_range(r, questions) for r in regimes.values()), key=rank, default="clear"
    )
    if verdict == NOT_IN_FORCE:
        span = "not in force: no regime has a rule in force on the screening date"
    elif ceiling == verdict:
        span = f"{verdict}; no open question could raise it"
    else:
        n = len(questions)
        span = f"{verdict} — could reach {ceiling}: {n} open question{'s' if n != 1 else ''}"
    # Lists the derivation read (recorded) and those the conditions read (the scope's own
    # record): the same set whether the deal was screened alone or in a batch.
    lists = lists_used(book.references, set(used) | ev.scope.lists_read(), as_of)
    warnings: list[str] = []
    if any(item.starter for item in lists):
        warnings.append(STARTER_WARNING)
    stale = [f"{item.name} (review by {item.review_by})" for item in lists if item.past_review]
    if stale:
        warnings.append(
            f"{STALE_PREFIX} on the screening date {as_of.isoformat()}: "
            + ", ".join(stale)
            + "; check them against their sources"
        )
    return build(
        Summary,
        verdict=verdict,
        ceiling=ceiling,
        range=span,
        actions=actions,
        clear=clear,
        questions=ranked_questions(questions, regimes),
        rulebook_version=book.version,
        lists=lists,
        warnings=warnings,
        order=[h.rule_id for h in hit_order(hits)],
    )
