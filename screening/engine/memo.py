"""The memo: the answer first, on one screen (``summary`` in a result).

For each regime that is not clear: its level, the deciding rule in words, the citation, and the
action with its deadline computed from the record's dates (a deadline before the screening date
is flagged; the clock is never read). For each clear regime: the one or two facts that decided it,
taken from the evaluator's why-not (the conditions that failed), not from prose. Then the verdict
range, the open questions ranked by how far they could raise the verdict (each asked once), and
what the answer rests on: the rulebook version and every reference list the screening read, with
its date and completeness.

What is worked out once and kept (issue 14; ``tests/test_memo_cache.py`` and
``tests/test_memo_shortcuts.py`` hold each to working it out again, on every fixture and on
generated deals not seen before, with the same reference lists read):

* per rulebook, each regime's outcome rules per span of screening dates, with compiled functions
  saying why each failed (:class:`_RegimePlan`), and the walks that state a failed finding's
  facts (an ``all`` of facts and findings tested inline, :func:`_flat_walk`);
* per rulebook, the clear reasons chosen (:func:`_choice`), kept by what the choice is determined
  by: for each rule in force, its status, and for a failed one its *signature*, the statuses its
  fail function branches on (:func:`_signature_function`; for a rule of facts, findings and
  ``any`` nodes of fixed reasons, the bit mask of its failed conjuncts). Reading a signature
  computes the very statuses the fail function computes, so the reference lists a memo records
  are unchanged; the reasons' words, which read the deal's values, are rendered for each
  screening. When every rule of a span failed and a *gate* fails (a conjunct every rule has,
  :func:`_gates`), the choice is that gate's reason, known without a signature; the lists the
  signatures would have read are read. When a span's *dominant* reason fails (a compared fact
  or finding named by more of its rules than any other reason could ever be counted,
  :func:`_dominant`), it is the first reason chosen and the rules naming it are left out of
  the key. A choice not kept is told from its key (:func:`_choose_told`: a mask names the
  failed conjuncts' reasons), without computing a status again;
* a clear regime's line by its choice and the pieces of its words (:data:`_LINES`: values
  stated, facts under a finding), the lists a memo rests on by their names and the screening
  date's place among the review dates (:meth:`_BookPlan.lists_used`), and the ranked questions
  by the open questions and the regimes' verdicts (:data:`_RANKED`);
* a failed fact's words per fact and value (:data:`WORDS_KEPT`), each clear reason by its
  regime, title and words (:data:`CLEAR_KEPT`), an open question's grouping and fields per
  question instance, and each question asked by the fields of the open questions it asks
  (:func:`ranked_questions`; its rank among the others is worked out for each screening).

The kept answers are bounded (:class:`Kept`: least recently used dropped, at most
:data:`REASONS_KEPT` and :data:`QUESTIONS_KEPT`; the others are dropped all at once when full),
so a process screening millions of different deals stays flat. A consortium's memo is built
once, on the combined verdicts: the investor's own clear reasons are worked out first (with the
reads a memo of its own result made) and reused for the regimes its members leave clear
(``run._with_consortium``).
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from screening.engine.evaluate import (
    _LIST_WORDS,
    _WORDS,
    COMPARE,
    Scope,
    StatusFn,
    cached_field_info,
    render_leaf,
    render_value,
    status_function,
)
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
    made,
    rank,
)
from screening.facts.sections.base import Tri
from screening.model.deal import DealRecord
from screening.model.numbers import Range
from screening.model.numbers import compare as compare_range
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
_CLEAR_FIELDS = frozenset(ClearReason.model_fields)
_QUESTION_FIELDS = frozenset(MemoQuestion.model_fields)
_SUMMARY_FIELDS = frozenset(Summary.model_fields)

_K = TypeVar("_K", bound=Hashable)
_V = TypeVar("_V")


class Kept(Generic[_K, _V]):
    """A bounded memo: at most ``limit`` answers, the least recently used dropped first, so a
    process that screens millions of different deals keeps a flat footprint. Safe to share
    between threads (a race costs a recomputation, never a wrong answer)."""

    __slots__ = ("_data", "limit")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._data: OrderedDict[_K, _V] = OrderedDict()

    def __len__(self) -> int:
        return len(self._data)

    def get(self, key: _K) -> _V | None:
        """The answer kept for ``key``, if any (now the most recently used)."""
        found = self._data.get(key)
        if found is not None:
            try:
                self._data.move_to_end(key)
            except KeyError:  # dropped meanwhile by another thread
                return found
        return found

    def put(self, key: _K, value: _V) -> _V:
        """Keep an answer (dropping the least recently used past the limit); returns it."""
        data = self._data
        data[key] = value
        while len(data) > self.limit:
            try:
                data.popitem(last=False)
            except KeyError:  # emptied meanwhile by another thread
                break
        return value

    def clear(self) -> None:
        """Forget every answer."""
        self._data.clear()


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


class _Reason(str):
    """One thing that made an outcome rule fail: a fact, or a finding that does not hold.

    A reason is its key, the string the memo counts (equal keys are the same reason), and
    carries the condition it came from. The reason of a fact or a finding is made once per
    rulebook and shared by every screening (the fact's value is read from the screening's scope
    when it is shown); a failed ``any`` makes its own from its alternatives' reasons. Words are
    rendered only for the reasons the memo shows: most are only counted.
    """

    __slots__ = ("node", "parts", "piece", "said", "say")
    node: Condition
    parts: tuple[_Reason, ...]  # under a failed ``any``: each alternative's first reason
    say: _FactWords | None  # a fact's words, compiled (see _fact_words)
    said: str | None  # a finding's words (its rulebook's title), once said
    piece: int  # what its words are made of (see _pieces)

    def __new__(cls, key: str, node: Condition, parts: tuple[_Reason, ...] = ()) -> _Reason:
        self = super().__new__(cls, key)
        self.node = node
        self.parts = parts
        self.say = _fact_words(node) if isinstance(node, Leaf) and not node.synthetic else None
        self.said = None
        if isinstance(node, Leaf):
            self.piece = _DATE if node.synthetic else _VALUE if self.say else _UNKEPT
        elif isinstance(node, FindingRef):
            self.piece = _FIXED if node.negated else _FACTS
        else:
            self.piece = _PARTS
        return self

    def words(self, ex: Explainer) -> str:
        """The reason in words, in one screening."""
        node = self.node
        if isinstance(node, Leaf):
            if node.synthetic:
                return f"not in force on {ex.as_of.isoformat()}"
            value = ex.scope.value(node.path)
            return self.say(value) if self.say is not None else ex.leaf(node, value)
        if isinstance(node, FindingRef):  # the same in every screening: kept once said
            if self.said is None:
                self.said = f"{ex.rules[node.rule_id].title}: {'yes' if node.negated else 'no'}"
            return self.said
        return "none of: " + "; ".join(part.words(ex) for part in self.parts)


def _reason_of(node: Leaf | FindingRef) -> _Reason:
    """The shared reason of a fact leaf or a finding reference, keyed as the memo counts it."""
    if isinstance(node, FindingRef):
        return _Reason(("+" if node.negated else "-") + node.rule_id, node)
    if node.synthetic:
        return _Reason("in-force", node)
    return _Reason(f"{node.path} {node.op} {node.value!r}", node)


_FactWords = Callable[[Any], str]
_NEEDS = " (the rule needs "  # the memo states a failed fact, not what the rule needs


WORDS_KEPT = 1024
"""How many facts in words the memo keeps (per fact and value; all dropped once full)."""
_SAID: dict[tuple[Any, ...], str] = {}
# The values whose words are kept: the classes whose equal instances render alike (a list is
# kept when each of its items is a str). A Decimal is not kept: 1.0 == 1, yet reads "1.0".
_SAID_PLAIN = frozenset({bool, int, str, type(None)})


def _fact_words(leaf: Leaf) -> _FactWords | None:
    """A failed fact in words as the memo states it, for any value: ``render_leaf(leaf, value,
    False, …)`` up to what the rule needs, with all that does not depend on the value (the
    fact's title and unit, the rule's threshold or list, the words) rendered once. None while
    the fact's field is not known (the memo then calls render_leaf itself).

    The words are kept per fact and value (:data:`WORDS_KEPT`, for the values of
    :data:`_SAID_PLAIN` and lists of strings; keyed by the value's class too, as ``True == 1``):
    the same few values recur from deal to deal.
    """
    say = _fact_words_of(leaf)
    if say is None:
        return None
    said = _SAID

    def kept(value: Any) -> str:
        cls = value.__class__
        if cls in _SAID_PLAIN:
            key: tuple[Any, ...] = (say, cls, value)
        elif cls is list and all(item.__class__ is str for item in value):
            key = (say, list, *value)
        else:
            return say(value)
        words = said.get(key)
        if words is None:
            words = say(value)
            if len(said) >= WORDS_KEPT:
                said.clear()
            said[key] = words
        return words

    return kept


def _fact_words_of(leaf: Leaf) -> _FactWords | None:
    """:func:`_fact_words` without keeping the words."""
    info = cached_field_info(leaf.path)
    if info is None:
        return None
    title, unit = info[1], info[2]
    if leaf.op in _WORDS:
        failed, needs = _WORDS[leaf.op][1:]
        if isinstance(leaf.value, bool):
            wanted = leaf.value if leaf.op == "==" else not leaf.value
            need = "to hold" if wanted else "not to hold"
            unknown = f"{title}: unknown (the rule needs it {need})".split(_NEEDS)[0]
            tail = f" (the rule needs {render_value(wanted)})"

            def truth(value: Any) -> str:
                if value is None:
                    return unknown
                return f"{title}: {render_value(value, unit)}{tail}".split(_NEEDS)[0]

            return truth
        expected = render_value(leaf.value, unit)
        unknown = f"{title} is unknown (the rule needs {needs.format(expected)})".split(_NEEDS)[0]

        def compared(value: Any) -> str:
            if value is None:
                return unknown
            return f"{title} {render_value(value, unit)} {failed} {expected}".split(_NEEDS)[0]

        return compared
    listed = f"the list {leaf.ref}" if leaf.ref else render_value(leaf.value)
    failed, needs = _LIST_WORDS[leaf.op][1:]
    unknown = f"{title} is unknown (the rule needs {needs.format(listed)})".split(_NEEDS)[0]
    none = f"{title}: none".split(_NEEDS)[0] if leaf.op.startswith("contains") else None

    def member(value: Any) -> str:
        if value is None:
            return unknown
        if none is not None and not value:
            return none
        return f"{title} {render_value(value, unit)} {failed} {listed}".split(_NEEDS)[0]

    return member


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


# Per kind and outcome of a hit, the first part of its place in hit_order.
_HIT_PLACE: dict[tuple[str, str | None], tuple[int, int]] = {}


def hit_rule_ids(hits: Sequence[Hit]) -> list[str]:
    """The rule ids of :func:`hit_order`'s hits: its keys sorted as plain tuples (two hits
    whose keys are equal share a rule id, so which one comes first is not seen)."""
    place = _HIT_PLACE
    keys = []
    for h in hits:
        kind, outcome = h.kind, h.outcome
        first = place.get((kind, outcome))
        if first is None:  # few kinds and levels: never more than a few dozen entries
            first = place[(kind, outcome)] = (_KIND_ORDER[kind], -rank(outcome or "clear"))
        keys.append((first, bool(h.suppressed_by), h.rule_id))
    keys.sort()
    return [key[2] for key in keys]


def _lower(title: str) -> str:
    if title[:1].isupper() and (title[1:2].islower() or title[1:2] == " "):
        return title[0].lower() + title[1:]
    return title


_FailFn = Callable[[Scope], Sequence[_Reason]]
# A compiled walk of a finding's failed facts: (explainer, facts so far, limit) -> whether
# ``limit`` facts are reached (the walk stops there). Findings form an acyclic graph (a cycle is
# a load error): a walk never meets the finding it started from.
_WalkFn = Callable[["Explainer", list[str], int], bool]


def _fail_function(cond: Condition) -> _FailFn:
    """The top-level reasons a condition known to have failed failed, compiled once per
    rulebook: the status of a child of an ``all`` comes from its status function; every child
    of a failed ``any`` failed. The same reasons, in the same order, as walking its explained
    tree, without building it. The sequences returned are read, never changed.
    """
    if isinstance(cond, Leaf | FindingRef):
        only = (_reason_of(cond),)
        return lambda scope: only
    if isinstance(cond, AnyOf):
        alternatives = tuple(_fail_function(child) for child in cond.children)

        def any_failed(scope: Scope) -> Sequence[_Reason]:
            each = [fn(scope) for fn in alternatives]
            key = "any:" + "|".join(sorted([r for reasons in each for r in reasons]))
            return (_Reason(key, cond, tuple([reasons[0] for reasons in each if reasons])),)

        return any_failed
    # A failed ``all`` fails on each of its children that failed; a child ``all`` failed exactly
    # when one of its own children did (Kleene logic), so nested ``all`` nodes are flattened
    # into one list of conjuncts: the same reasons in the same order, each status read once.
    children = _conjuncts(cond)
    if len(children) == 1:  # its one conjunct failed (its status was read deciding the rule)
        return _fail_function(children[0])
    steps: list[tuple[StatusFn, _Reason | None, _FailFn | None]] = []
    pairs: list[tuple[StatusFn, _Reason]] = []  # the same, while every conjunct is a leaf
    for child in children:
        if isinstance(child, Leaf | FindingRef):
            status_of, reason = status_function(child), _reason_of(child)
            steps.append((status_of, reason, None))
            pairs.append((status_of, reason))
        else:
            steps.append((status_function(child), None, _fail_function(child)))
    if len(pairs) == len(steps):
        # Facts and findings only (most rules): each failed conjunct is its own reason.
        flat = tuple(pairs)

        def conjuncts_failed(scope: Scope) -> Sequence[_Reason]:
            return [reason for status_of, reason in flat if status_of(scope) is False]

        return conjuncts_failed

    def all_failed(scope: Scope) -> Sequence[_Reason]:
        out: list[_Reason] = []
        for status_of, reason, fail in steps:
            if status_of(scope) is False:
                if reason is not None:
                    out.append(reason)
                else:
                    out.extend(fail(scope))  # type: ignore[misc]
        return out

    return all_failed


# What a failed condition's reasons are determined by (see _signature_function): 0 for a
# condition whose reasons are always the same; else a bit mask of the failed conjuncts, or a
# tuple with an entry per child.
_Signature = int | tuple[Any, ...]
_SigFn = Callable[[Scope], _Signature]


def _signature_function(cond: Condition) -> _SigFn | None:
    """What the reasons :func:`_fail_function` gives for a condition known to have failed are
    determined by, read by a function compiled once per rulebook (None: they never change).

    It computes the very statuses the fail function computes, in the same order (so it resolves
    and records the same reference lists), and keeps of each only what the fail function
    branches on, whether it is false: the fail function's reasons are made of reasons fixed per
    rulebook and of the reasons of the children it follows, so equal signatures give reasons
    equal in key, order and words (``tests/test_memo_cache.py``).
    """
    if isinstance(cond, Leaf | FindingRef):
        return None
    if isinstance(cond, AnyOf):
        alternatives = tuple(_signature_function(child) for child in cond.children)
        if all(fn is None for fn in alternatives):
            return None

        def any_signature(scope: Scope) -> _Signature:
            return tuple([0 if fn is None else fn(scope) for fn in alternatives])

        return any_signature
    children = _conjuncts(cond)
    if len(children) == 1:
        return _signature_function(children[0])
    if all(isinstance(child, Leaf | FindingRef) for child in children):
        statuses = tuple(status_function(child) for child in children)

        def mask(scope: Scope) -> _Signature:
            failed, bit = 0, 1
            for status_of in statuses:
                if status_of(scope) is False:
                    failed |= bit
                bit <<= 1
            return failed

        return mask
    steps = tuple(
        (
            status_function(child),
            None if isinstance(child, Leaf | FindingRef) else _signature_function(child),
        )
        for child in children
    )

    def all_signature(scope: Scope) -> _Signature:
        out: list[Any] = []
        for status_of, sub in steps:
            if status_of(scope) is False:
                out.append(0 if sub is None else sub(scope))
            else:
                out.append(None)
        return tuple(out)

    return all_signature


# A conjunct as _choice tests it inline: (kind, a, b, c, op). _COMPARED: a comparison, (path,
# its operator's function, the value compared with, op); _FOUND: a finding, (rule id, the status
# that fails it: True when negated); _OTHER: any other leaf, (its status function).
_COMPARED, _FOUND, _OTHER = range(3)
_Test = tuple[int, Any, Any, Any, str]


def _conjunct_tests(cond: Condition) -> tuple[_Test, ...] | None:
    """The conjuncts of a condition whose signature is told by the bit mask of its failed
    conjuncts (an ``all`` of two or more facts, findings and ``any`` nodes whose reasons never
    change, see :func:`_signature_function`), each as a test :func:`_choice` runs inline: the
    same test as its status function (:func:`status_function` in ``evaluate``), reading the
    same values and lists, in the same order. None for any other condition."""
    if isinstance(cond, Leaf | FindingRef | AnyOf):
        return None
    children = _conjuncts(cond)
    if len(children) < 2:
        return None
    tests: list[_Test] = []
    for child in children:
        if isinstance(child, Leaf | FindingRef):
            tests.extend(_tests([child]))
        elif _signature_function(child) is None:  # an ``any`` whose reasons never change:
            tests.append((_OTHER, status_function(child), None, None, ""))  # its status alone
        else:
            return None
    return tuple(tests)


def _tests(children: Sequence[Condition]) -> tuple[_Test, ...]:
    """Facts and findings as tests read inline (see :func:`_conjunct_tests`)."""
    tests: list[_Test] = []
    for child in children:
        if isinstance(child, FindingRef):
            tests.append((_FOUND, child.rule_id, child.negated, None, ""))
        elif isinstance(child, Leaf) and child.op in COMPARE:
            tests.append((_COMPARED, child.path, COMPARE[child.op], child.value, child.op))
        else:
            tests.append((_OTHER, status_function(child), None, None, ""))
    return tuple(tests)


def _walk_function(cond: Condition, rules: dict[str, Rule]) -> _WalkFn:
    """The walk of the failed leaves that decide a condition known to have failed (every child
    of a failed ``any``), in order, compiled once per rulebook: a failed fact is stated, a
    finding that holds is named, one that does not is followed down to its own facts. It stops
    as soon as ``limit`` facts are stated, so it computes no more statuses (and reads no more
    lists) than it shows. Effective-date leaves are passed over: the memo never states them.
    """
    if isinstance(cond, Leaf):
        if cond.synthetic:
            return lambda ex, out, limit: False
        leaf, path, say = cond, cond.path, _fact_words(cond)

        def fact(ex: Explainer, out: list[str], limit: int) -> bool:
            value = ex.scope.value(path)
            out.append(say(value) if say is not None else ex.leaf(leaf, value))
            return len(out) >= limit

        return fact
    if isinstance(cond, FindingRef):
        ref = cond.rule_id
        holds = f"{rules[ref].title}: yes" if cond.negated else None

        def finding(ex: Explainer, out: list[str], limit: int) -> bool:
            if holds is not None:
                out.append(holds)
            else:
                out.extend(ex.kept_facts(ref, limit))
            return len(out) >= limit

        return finding
    if isinstance(cond, AnyOf):
        alternatives = tuple(_walk_function(child, rules) for child in cond.children)

        def any_walk(ex: Explainer, out: list[str], limit: int) -> bool:
            for fn in alternatives:  # noqa: SIM110 - a loop: no generator per walk
                if fn(ex, out, limit):
                    return True
            return False

        return any_walk
    # Nested ``all`` nodes flattened, as in _fail_function; an effective-date leaf of an
    # ``all`` is passed over unread (its status is a date comparison, it reads no list).
    children = [
        child for child in _conjuncts(cond) if not (isinstance(child, Leaf) and child.synthetic)
    ]
    if all(isinstance(child, Leaf | FindingRef) for child in children):
        return _flat_walk(children, rules)
    steps = tuple([(status_function(child), _walk_function(child, rules)) for child in children])

    def all_walk(ex: Explainer, out: list[str], limit: int) -> bool:
        scope = ex.scope
        for status_of, walk in steps:  # noqa: SIM110 - a loop: no generator per walk
            if status_of(scope) is False and walk(ex, out, limit):
                return True
        return False

    return all_walk


def _flat_walk(children: Sequence[Condition], rules: dict[str, Rule]) -> _WalkFn:
    """:func:`_walk_function` of an ``all`` of facts and findings (most findings): each
    conjunct tested inline, as :func:`_choice` tests it (the same test as its status function,
    reading the same values and lists, in the same order), then stated as its own walk states
    it; it stops as soon as ``limit`` facts are stated."""
    program: list[tuple[int, Any, Any, Any, str, Any]] = []
    for child, test in zip(children, _tests(children), strict=True):
        kind, a, b, c, op = test
        if isinstance(child, FindingRef):  # stated: its title when it holds, else its facts
            extra: Any = f"{rules[child.rule_id].title}: yes" if child.negated else None
        else:
            assert isinstance(child, Leaf)
            extra = (child, _fact_words(child))
        program.append((kind, a, b, c, op, extra))
    steps = tuple(program)
    compared, found_kind, range_class, compare = _COMPARED, _FOUND, Range, compare_range

    def flat_walk(ex: Explainer, out: list[str], limit: int) -> bool:
        scope, status = ex.scope, ex.status
        values = scope._values
        for kind, a, b, c, op, extra in steps:
            if kind == found_kind:
                if status.get(a) is not b:
                    continue
                if extra is not None:
                    out.append(extra)
                else:
                    out.extend(ex.kept_facts(a, limit))
            else:
                if kind == compared:
                    value = values[a] if a in values else scope.value(a)
                    if value is None or (
                        compare(value, op, c) is not False
                        if value.__class__ is range_class
                        else b(value, c)
                    ):
                        continue
                elif a(scope) is not False:
                    continue
                else:
                    value = scope.value(extra[0].path)
                leaf, say = extra
                out.append(say(value) if say is not None else ex.leaf(leaf, value))
            if len(out) >= limit:
                return True
        return False

    return flat_walk


def _conjuncts(cond: Condition) -> list[Condition]:
    """The children of an ``all``, with the children of nested ``all`` nodes in their place."""
    out: list[Condition] = []
    for child in cond.children:  # type: ignore[union-attr]
        if isinstance(child, All):
            out.extend(_conjuncts(child))
        else:
            out.append(child)
    return out


class _Span:
    """A regime's outcome rules in force over one span of screening dates, by rule id (the order
    reasons are counted in): each with the function that says why it failed, and the function
    that reads what that answer is determined by (see :func:`_signature_function`)."""

    __slots__ = ("dominant", "gates", "lists", "program", "rules", "token", "told")

    def __init__(self, token: int, rules: Sequence[Rule], fails: dict[str, _FailFn]) -> None:
        self.token = token  # tells the spans apart in the memo's cache of chosen reasons
        self.rules = tuple([(r.id, fails[r.id]) for r in rules])
        # Per rule: its conjuncts as tests read inline by kind when its signature is a mask
        # (most rules), else the function that reads its signature (None: a constant one).
        self.program = tuple(
            [(r.id, *_by_kind(r.when), _signature_function(r.when)) for r in rules]
        )
        # Per rule: its conjuncts' reasons by bit when its signature is a mask, else None
        # (see _choose_told).
        self.told = tuple([_told(r.when) for r in rules])
        self.gates, self.lists = _gates(rules)
        self.dominant = _dominant(self, rules)


# A rule's conjunct tests (see _conjunct_tests) by kind, each with its bit in the mask: the
# findings (rule id, the status that fails it), the comparisons (path, its operator's
# function, the value compared with, op) and the others (status function); None for all three
# when the rule's signature is not a mask.
_ByKind = tuple[
    tuple[tuple[str, Any, int], ...] | None,
    tuple[tuple[str, Any, Any, str, int], ...],
    tuple[tuple[Any, int], ...],
]


def _told(cond: Condition) -> tuple[_Reason, ...] | None:
    """The reasons of a rule's conjuncts, one per bit of its mask, when its signature is a mask
    (see :func:`_conjunct_tests`), else None: the fail function of such a rule gives, in order,
    the reason of each failed fact or finding and the one reason of each failed ``any`` (whose
    reasons never change: its fail function reads no status), so a rule's reasons are told by
    its mask alone (``tests/test_memo_shortcuts.py``)."""
    if _conjunct_tests(cond) is None:
        return None
    told: list[_Reason] = []
    for child in _conjuncts(cond):
        if isinstance(child, Leaf | FindingRef):
            told.append(_reason_of(child))
        else:  # an ``any`` of fixed reasons: its fail function never reads the scope
            (reason,) = _fail_function(child)(None)  # type: ignore[arg-type]
            told.append(reason)
    return tuple(told)


def _by_kind(cond: Condition) -> _ByKind:
    """:func:`_conjunct_tests` grouped by kind (each kind tested in one loop; which statuses are
    computed, and so which lists are read, does not depend on the order)."""
    tests = _conjunct_tests(cond)
    if tests is None:
        return None, (), ()
    found: list[tuple[str, Any, int]] = []
    compared: list[tuple[str, Any, Any, str, int]] = []
    other: list[tuple[Any, int]] = []
    for i, (kind, a, b, c, op) in enumerate(tests):
        if kind == _FOUND:
            found.append((a, b, 1 << i))
        elif kind == _COMPARED:
            compared.append((a, b, c, op, 1 << i))
        else:
            other.append((a, 1 << i))
    return tuple(found), tuple(compared), tuple(other)


# A gate of a span (see _gates): a test read inline, and the choice it decides when it fails.
_Gate = tuple[int, Any, Any, Any, str, "_Choice"]


def _gates(rules: Sequence[Rule]) -> tuple[tuple[_Gate, ...], tuple[tuple[str, Leaf], ...]]:
    """The gates of a span's rules: the conjuncts every rule has (the same fact or finding,
    tested alike), in the order of their reasons' keys; and the reference lists the statuses
    of their failed conjuncts read (:func:`_choice`), each with the fact whose value decides
    whether it is read. None when a rule is not an ``all`` of facts and findings (or one of
    them), names one reason twice, or two rules name one reason tested differently.

    When every rule failed and a gate fails, the gate's reason is one every rule fails on, and
    no other reason is counted as often (a reason is counted once per rule naming it, only the
    gates are named by all of them), so :func:`_choose` picks the smallest key among the
    failed gates first, and that covers every rule: the choice is that reason alone, with no
    rule left over and none waiting. The first failed gate in key order decides. Its statuses
    are among those :func:`_choice` computes for the failed rules' signatures, and the lists
    those read are read (``tests/test_memo_cache.py``).
    """
    keyed: list[dict[str, Leaf | FindingRef]] = []
    flat = False  # whether some rule is an ``all`` of two or more (its conjuncts are tested)
    for rule in rules:
        children = _conjuncts(rule.when) if isinstance(rule.when, All) else [rule.when]
        nodes: dict[str, Leaf | FindingRef] = {}
        for child in children:
            if not isinstance(child, Leaf | FindingRef):
                return (), ()
            nodes[str(_reason_of(child))] = child
        if not nodes or len(nodes) != len(children):  # a reason named twice counts twice
            return (), ()
        flat = flat or len(children) > 1
        keyed.append(nodes)
    if not keyed:
        return (), ()
    gates: list[_Gate] = []
    for key in sorted(set.intersection(*[set(nodes) for nodes in keyed])):
        node = keyed[0][key]
        if any(_shape(nodes[key]) != _shape(node) for nodes in keyed):
            return (), ()  # one reason, tested differently
        ((kind, a, b, c, op),) = _tests([node])
        if kind == _OTHER and not flat:
            continue  # its status (and list) is never read for a choice: not tested here
        gates.append((kind, a, b, c, op, ((_reason_of(node),), 0, 0)))
    listed: dict[tuple[str, str], Leaf] = {}
    for nodes in keyed:
        if len(nodes) > 1:
            for node in nodes.values():
                if isinstance(node, Leaf) and node.ref is not None and node.op not in COMPARE:
                    listed.setdefault((node.path, node.ref), node)
    return tuple(gates), tuple([(path, leaf) for (path, _ref), leaf in listed.items()])


class _Dominant:
    """A span's dominant reason (see :func:`_dominant`): its test, the reason it gives, the
    rules naming it (skipped when it fails) with the status functions that read lists for
    them, and the other rules, as :func:`_choice` reads them."""

    __slots__ = ("program", "reason", "replay", "rules", "skipped", "test", "told")

    def __init__(
        self,
        test: _Gate,
        reason: _Reason,
        skipped: tuple[str, ...],
        replay: tuple[Callable[[Scope], Any], ...],
        rest: list[int],
        span: _Span,
    ) -> None:
        self.test = (test,)
        self.reason = reason
        self.skipped = skipped
        self.replay = replay
        self.program = tuple([span.program[i] for i in rest])
        self.told = tuple([span.told[i] for i in rest])
        self.rules = tuple([span.rules[i] for i in rest])


_DOMINANT = "dominant"  # marks a choice's key read with a dominant reason (never an entry)


def _dominant(span: _Span, rules: Sequence[Rule]) -> _Dominant | None:
    """The reason of a span that, whenever it fails, is counted most by :func:`_choose`
    whatever else fails, if there is one: a fact compared or a finding (a test that reads no
    reference list) that rules name as a conjunct of their ``all``, tested alike, so that when
    it fails every rule naming it has failed on it, and that more rules name than could ever
    fail on any other reason (or as many, when its key comes first). Then the greedy count
    picks it first, and the rules naming it are left out of the rest of the count: their
    signatures need not be read. Only their statuses that read reference lists are computed
    (the lists are read as the signatures would have read them); none decides anything.

    What each rule could fail on is known per rulebook: the reasons of its facts, findings and
    ``any`` nodes of fixed reasons; an ``any`` whose reasons change (in a rule whose signature
    is neither constant nor a mask) fails on one reason of its own, counted against every
    other reason of that kind. At most one reason of a span is dominant.
    """
    named: dict[str, list[tuple[int, Leaf | FindingRef | None]]] = {}
    wild = 0  # ``any`` nodes whose reasons change: each one reason, unknown per rulebook
    for i, rule in enumerate(rules):
        children = _conjuncts(rule.when) if isinstance(rule.when, All) else [rule.when]
        for child in children:
            if isinstance(child, Leaf | FindingRef):
                named.setdefault(str(_reason_of(child)), []).append((i, child))
            elif _signature_function(child) is None:  # an ``any`` of fixed reasons
                (reason,) = _fail_function(child)(None)  # type: ignore[arg-type]
                named.setdefault(str(reason), []).append((i, None))
            else:
                wild += 1
    if not named:
        return None

    def most(key: str) -> int:  # how many times a reason could ever be counted
        return len(named[key]) + (wild if key.startswith("any:") else 0)

    for key, where in sorted(named.items()):
        count = len(where)
        first = where[0][1]  # the first rule to name it gives its words, as in _choose
        if first is None or any(
            node is None or _shape(node) != _shape(first) for _i, node in where
        ):
            continue
        if isinstance(first, Leaf) and (first.synthetic or first.op not in COMPARE):
            continue  # an effective date, or a test that may read a list
        if wild >= count or any(
            most(other) > count or (most(other) == count and other < key)
            for other in named
            if other != key
        ):
            continue
        naming = sorted({i for i, _node in where})
        replay: list[Callable[[Scope], Any]] = []
        for i in naming:
            finds, signature = span.program[i][1], span.program[i][4]
            if finds is not None:  # a mask: each conjunct tested, as _choice tests it
                replay.extend(
                    [
                        status_function(child)
                        for child in _conjuncts(rules[i].when)
                        if _reads_lists(child)
                    ]
                )
            elif signature is not None:
                replay.append(signature)
        ((kind, a, b, c, op),) = _tests([first])
        return _Dominant(
            (kind, a, b, c, op, ((), 0, 0)),
            _reason_of(first),
            tuple([span.program[i][0] for i in naming]),
            tuple(replay),
            [i for i in range(len(rules)) if i not in naming],
            span,
        )
    return None


def _reads_lists(cond: Condition) -> bool:
    """Whether a condition's status function may read a reference list: it has a fact tested
    against one (:meth:`Scope.listed`); a comparison never reads one."""
    if isinstance(cond, Leaf):
        return cond.ref is not None and cond.op not in COMPARE
    if isinstance(cond, FindingRef):
        return False
    return any(_reads_lists(child) for child in cond.children)


def _shape(node: Leaf | FindingRef) -> tuple[Any, ...]:
    """What a conjunct's test and words are made of."""
    if isinstance(node, FindingRef):
        return (node.rule_id, node.negated)
    return (node.path, node.op, node.value, node.ref, node.synthetic)


class _RegimePlan:
    """A regime's outcome rules as its clear reasons read them, compiled once per rulebook: for
    each span of screening dates between the rules' effective dates, the rules in force (by
    rule id, the order reasons are counted in) with the functions that say why they failed.

    A rule in force on the screening date passes its effective-date leaves, so what it failed
    on is what its own condition (``when``) failed on.
    """

    __slots__ = ("bounds", "spans")

    def __init__(self, rules: Sequence[Rule], tokens: Iterator[int] | None = None) -> None:
        self.bounds = sorted(
            {day for r in rules for day in (r.effective_from, r.effective_to) if day is not None}
        )
        fails = {r.id: _fail_function(r.when) for r in rules}
        ordered = sorted(rules, key=lambda r: r.id)
        tokens = tokens if tokens is not None else itertools.count()
        # Within a span every rule compares the same way with every bound: its first day (or
        # any day before the first bound) stands for all of it.
        self.spans = [
            _Span(next(tokens), [r for r in ordered if r.in_force(day)], fails)
            for day in (dt.date.min, *self.bounds)
        ]

    def span(self, on: dt.date) -> _Span:
        """The span of a date."""
        return self.spans[bisect.bisect_right(self.bounds, on)]

    def in_force(self, on: dt.date) -> tuple[tuple[str, _FailFn], ...]:
        """The rules in force on a date, by rule id."""
        return self.span(on).rules


REASONS_KEPT = 512
"""How many choices of clear reasons a rulebook's memo keeps (least recently used dropped)."""

# A choice of clear reasons: the reasons chosen, how many failed rules none of them covers, and
# how many rules wait on unknown facts.
_Choice = tuple[tuple["_Reason", ...], int, int]


class _BookPlan:
    """What the memo compiles from a rulebook, once (kept on the rulebook)."""

    __slots__ = ("chosen", "lists", "regimes", "review_dates", "used", "walks")

    def __init__(self, book: Rulebook) -> None:
        by_regime: dict[str, list[Rule]] = {}
        for rule in book.rules.values():
            if rule.kind == "outcome":
                by_regime.setdefault(rule.regime, []).append(rule)
        tokens = itertools.count(1)  # 0 is _NO_RULES's
        self.regimes = {regime: _RegimePlan(rules, tokens) for regime, rules in by_regime.items()}
        self.walks: dict[str, _WalkFn] = {}  # per finding, compiled when first shown
        self.lists: dict[tuple[str, bool], ListUsed] = {}  # see lists_used
        # The clear reasons chosen, per span and signature (see _choice): bounded, LRU.
        self.chosen: Kept[tuple[Any, ...], _Choice] = Kept(REASONS_KEPT)
        # The review dates of the rulebook's lists: a screening date's place among them tells
        # which lists are past their review date (see lists_used).
        self.review_dates = sorted(
            {ref.review_by for ref in book.references.lists.values() if ref.review_by}
        )
        self.used: dict[tuple[frozenset[str], int], _ListsUsed] = {}

    def lists_used(self, references: References, names: set[str], as_of: dt.date) -> _ListsUsed:
        """:func:`lists_used` of the rulebook's ``references``, whether one of them is a
        starter set and the stale lists' words, kept per set of names and the screening
        date's place among the lists' review dates (which tells, for every list, whether it
        is past its review date; at most :data:`USED_KEPT` entries, all dropped once full).
        The lists are noted as read, as ``lists_used`` notes them."""
        key = (frozenset(names), bisect.bisect_left(self.review_dates, as_of))
        found = self.used.get(key)
        if found is not None:
            references.note_all(names)
            return list(found[0]), found[1], found[2]
        lists = lists_used(references, names, as_of, self.lists)
        stale = [f"{item.name} (review by {item.review_by})" for item in lists if item.past_review]
        found = (lists, any(item.starter for item in lists), stale)
        if len(self.used) >= USED_KEPT:
            self.used.clear()
        self.used[key] = (tuple(lists), found[1], found[2])
        return found


USED_KEPT = 256
"""How many sets of lists read a rulebook's memo keeps (see :meth:`_BookPlan.lists_used`)."""
# The lists a memo rests on, whether one is a starter set, and the stale ones in words.
_ListsUsed = tuple[Sequence[ListUsed], bool, list[str]]


_NO_RULES = _RegimePlan(())


def _book_plan(book: Rulebook) -> _BookPlan:
    """The memo's plan of a rulebook, kept on the rulebook, which holds it alive."""
    return book.kept("_memo_plan", _BookPlan)


class Explainer:
    """Renders failed conditions in words, following findings down to the facts."""

    def __init__(self, ev: Evaluation, plan: _BookPlan) -> None:
        self.ev = ev
        self.rules = ev.book.rules
        self.as_of = ev.view.deal.as_of
        self.scope = ev.scope
        self.status = ev.status
        self.plan = plan
        self._facts: dict[Hashable, list[str]] = {}

    def leaf(self, node: Leaf, value: Any) -> str:
        """A failed fact in words."""
        text = render_leaf(node, value, False, self.ev.book.references, self.as_of)
        return text.split(_NEEDS)[0]  # the memo states the fact only

    def facts(self, rule_id: str, limit: int = 3, seen: frozenset[str] = frozenset()) -> list[str]:
        """The failed facts under a finding (through the findings it reads), at most ``limit``.

        Remembered per screening: findings form an acyclic graph (a cycle is a load error), so
        the answer depends on the finding alone (``seen``, the findings above it, is not read).
        """
        return list(self.kept_facts(rule_id, limit))

    def kept_facts(self, rule_id: str, limit: int = 3) -> Sequence[str]:
        """:meth:`facts`, the list kept for this screening (read, never changed)."""
        key: Hashable = rule_id if limit == 3 else (rule_id, limit)  # 3: the memo's limit
        known = self._facts.get(key)
        if known is not None:
            return known
        if self.status.get(rule_id) is not False:
            return ()
        out: list[str] = []
        walks = self.plan.walks
        walk = walks.get(rule_id)
        if walk is None:
            walk = walks[rule_id] = _walk_function(self.ev.guarded[rule_id], self.rules)
        walk(self, out, limit)
        if len(out) > 1 or limit < 1:  # one fact or none: nothing to drop
            out = list(dict.fromkeys(out))[:limit]
        found = self._facts[key] = out
        return found


_HELD, _WAITS = "held", "waits"  # a rule's entry in a signature when it did not fail


def _choose(span: _Span, status: dict[str, Tri], scope: Scope) -> _Choice:
    """The clear reasons of a span's rules in one screening, worked out: the reasons each
    failed rule failed on, then greedily the reason most of the rules still left fail on (the
    first key in order on a tie; the first rule to name it gives its words), at most two."""
    left = [fail(scope) for rule_id, fail in span.rules if status.get(rule_id) is False]
    waiting = sum(1 for rule_id, _fail in span.rules if status.get(rule_id) is None)
    return _greedy(left, waiting)


def _choose_told(
    rules: Sequence[tuple[str, _FailFn]],
    told_by: Sequence[tuple[_Reason, ...] | None],
    entries: Sequence[Any],
    scope: Scope,
    first: _Reason | None = None,
) -> _Choice:
    """:func:`_choose` from a choice's key (see :func:`_choice`; ``entries``, one per rule): a
    rule whose signature is a mask fails on the reasons of its failed conjuncts
    (:func:`_told`), read from its mask, without computing a status again; any other failed
    rule's fail function is called as ``_choose`` calls it (its statuses, and so the lists
    they read, are those its signature computed). ``first``: a dominant reason, chosen first
    (see :func:`_dominant`; ``rules`` are then those that do not name it)."""
    left: list[Sequence[_Reason]] = []
    waiting = 0
    for (_rule_id, fail), told, entry in zip(rules, told_by, entries, strict=True):
        if entry is _HELD:
            continue
        if entry is _WAITS:
            waiting += 1
        elif told is None:
            left.append(fail(scope))
        else:
            left.append([reason for i, reason in enumerate(told) if entry >> i & 1])
    return _greedy(left, waiting, [] if first is None else [first])


def _greedy(
    left: list[Sequence[_Reason]], waiting: int, chosen: list[_Reason] | None = None
) -> _Choice:
    """Greedily the reason most of the failed rules still left fail on (the first key in order
    on a tie; the first rule to name it gives its words), at most two counting those already
    ``chosen``; then how many failed rules are left over, and ``waiting``."""
    chosen = [] if chosen is None else chosen
    while left and len(chosen) < 2:
        counts: dict[_Reason, int] = {}  # the first reason of each key counts them
        for reasons in left:
            for reason in reasons:
                counts[reason] = counts.get(reason, 0) + 1
        if not counts:
            break
        most = max(counts.values())
        best = min([reason for reason, n in counts.items() if n == most])
        chosen.append(best)
        left = [reasons for reasons in left if best not in reasons]
    return tuple(chosen), len(left), waiting


def _gated(gates: tuple[_Gate, ...], status: dict[str, Tri], scope: Scope) -> _Choice | None:
    """The choice of the first failed gate (see :func:`_gates`), if one fails; the gates tested
    inline, as :func:`_choice` tests conjuncts."""
    values, value_of = scope._values, scope.value
    for kind, a, b, c, op, decided in gates:
        if kind == _COMPARED:
            value = values[a] if a in values else value_of(a)
            if value is None:
                continue
            if value.__class__ is Range:
                if compare_range(value, op, c) is not False:
                    continue
            elif b(value, c):
                continue
        elif kind == _FOUND:
            if status.get(a) is not b:
                continue
        elif a(scope) is not False:
            continue
        return decided
    return None


def _choice(ex: Explainer, span: _Span) -> _Choice:
    """:func:`_choose`, kept per rulebook by what it is determined by: for each rule in force
    (in order), its status, and for a failed one the signature of its reasons (the statuses its
    fail function reads; see :func:`_signature_function`). Reading the signatures computes the
    same statuses, and so resolves the same reference lists, as the fail functions would; the
    reasons' words, which read the deal's values, are rendered by the caller for each screening.
    At most :data:`REASONS_KEPT` choices are kept (least recently used dropped). When every rule
    failed, a failed gate decides first (:func:`_gates`, :func:`_gated`).
    """
    status, scope = ex.status, ex.scope
    value_of = scope.value
    values = scope._values  # read as the status functions read it (Scope.value on a miss)
    range_class, compare = Range, compare_range
    gates = span.gates
    if gates and all([status.get(rule_id) is False for rule_id, _fail in span.rules]):
        decided = _gated(gates, status, scope)
        if decided is not None:
            for path, leaf in span.lists:
                if value_of(path) is not None:
                    scope.listed(leaf)
            return decided
    dominant = span.dominant
    if (
        dominant is not None
        and _gated(dominant.test, status, scope) is not None
        and all([status.get(rule_id) is False for rule_id in dominant.skipped])
    ):
        for fn in dominant.replay:  # the lists the skipped rules' signatures read
            fn(scope)
        program: tuple[Any, ...] = dominant.program
        key: list[Any] = [span.token, _DOMINANT]
    else:
        dominant = None
        program = span.program
        key = [span.token]
    append = key.append
    for rule_id, finds, compared, other, signature in program:
        state = status.get(rule_id)
        if state is not False:
            append(_WAITS if state is None else _HELD)
        elif finds is None:
            append(0 if signature is None else signature(scope))
        else:  # the mask of the failed conjuncts, as the status functions test them
            failed = 0
            for a, b, bit in finds:
                if status.get(a) is b:
                    failed |= bit
            for a, fn, c, op, bit in compared:
                value = values[a] if a in values else value_of(a)
                if value is not None and (
                    compare(value, op, c) is False
                    if value.__class__ is range_class
                    else not fn(value, c)
                ):
                    failed |= bit
            for fn, bit in other:
                if fn(scope) is False:
                    failed |= bit
            append(failed)
    kept = ex.plan.chosen
    found_key = tuple(key)
    found = kept.get(found_key)
    if found is None:
        if dominant is None:
            found = _choose_told(span.rules, span.told, key[1:], scope)
        else:
            found = _choose_told(dominant.rules, dominant.told, key[2:], scope, dominant.reason)
        kept.put(found_key, found)
    return found


def clear_reasons(ev: Evaluation, regimes: Mapping[str, RegimeResult]) -> dict[str, ClearReason]:
    """The clear reason of each clear regime of a screening, as :func:`build_summary` gives it
    (and with the same reads: the statuses it computes resolve and record the same lists)."""
    ex = Explainer(ev, _book_plan(ev.book))
    return {
        r.regime: clear_reason(ex, r.regime, r.title)
        for r in regimes.values()
        if r.verdict == "clear"
    }


def clear_reason(ex: Explainer, regime: str, title: str) -> ClearReason:
    """Why a clear regime is clear: the one or two reasons that defeat most of its rules."""
    span = ex.plan.regimes.get(regime, _NO_RULES).span(ex.as_of)
    if not span.rules:
        return _not_in_force(
            regime, title, f"no rule of this regime is in force on {ex.as_of.isoformat()}"
        )
    choice = _choice(ex, span)
    pieces = _pieces(ex, choice[0])
    if pieces is None:
        return _clear_reason_of(ex, regime, title, choice)
    key = (id(choice), regime, title, *pieces)
    found = _LINES.get(key)
    if found is not None and found[0] is choice:
        return found[1]
    line = _clear_reason_of(ex, regime, title, choice)
    if len(_LINES) >= LINES_KEPT:
        _LINES.clear()
    _LINES[key] = (choice, line)
    return line


LINES_KEPT = 1024
"""How many clear lines the memo keeps by their choice and pieces (all dropped once full)."""
_LINES: dict[tuple[Any, ...], tuple[_Choice, ClearReason]] = {}
"""A clear regime's line per choice of reasons (by its id: the entry holds the choice alive, so
no other object can take its id meanwhile), regime, title and the pieces its words are made of
(:func:`_pieces`): the same pieces make the same words."""


# What a reason's words are made of (_Reason.piece): the screening date (an effective date);
# a fact's value (its words kept per value); a fact's value whose words are not kept; nothing
# (a finding that holds); the facts under a finding that does not hold; its parts (an ``any``).
_DATE, _VALUE, _UNKEPT, _FIXED, _FACTS, _PARTS = range(6)


def _pieces(ex: Explainer, chosen: Sequence[_Reason]) -> list[Any] | None:
    """What the words of chosen clear reasons are made of besides the reasons themselves: the
    value (and its class) of each fact stated, the screening date of an effective date, and the
    facts under a finding that does not hold (:meth:`Explainer.kept_facts`, worked out as the
    words would work them out: the same statuses, the same lists read). None when a value is
    not one whose words are kept (see :func:`_fact_words`): the words are then rendered."""
    out: list[Any] = []
    for reason in chosen:
        piece = reason.piece
        if piece == _FACTS:  # stated with the facts under it
            out.append(tuple(ex.kept_facts(reason.node.rule_id)))  # type: ignore[union-attr]
        elif piece != _FIXED and not _piece(ex, reason, out):
            return None
    return out


def _piece(ex: Explainer, reason: _Reason, out: list[Any]) -> bool:
    """The pieces of one reason's words (see :func:`_pieces`; the parts of an ``any`` are
    stated without the facts under them)."""
    piece = reason.piece
    if piece == _VALUE:
        value = ex.scope.value(reason.node.path)  # type: ignore[union-attr]
        cls = value.__class__
        if cls in _SAID_PLAIN:
            out.append(cls)
            out.append(value)
        elif cls is list and all(item.__class__ is str for item in value):
            out.append(list)
            out.append(tuple(value))
        else:
            return False
        return True
    if piece == _DATE:
        out.append(ex.as_of)
        return True
    if piece == _PARTS:
        for part in reason.parts:  # noqa: SIM110 - a loop: no generator per reason
            if not _piece(ex, part, out):
                return False
        return True
    return piece != _UNKEPT  # a finding: the same words whether it holds or not


def _clear_reason_of(ex: Explainer, regime: str, title: str, choice: _Choice) -> ClearReason:
    """A clear regime's line from its choice of reasons, worked out."""
    chosen, n, waiting = choice
    shown: list[str] = []
    for reason in chosen:
        words = reason.words(ex)
        text = words
        if reason.startswith("-"):
            facts = ex.kept_facts(reason[1:])
            if facts:
                text += " (" + "; ".join(facts) + ")"
        if not shown or not any(words in earlier for earlier in shown):
            shown.append(text)
    if n:
        shown.append(
            f"{n} more rule{'s' if n != 1 else ''} fail{'s' if n == 1 else ''} on other facts"
        )
    if not shown and waiting:
        shown = [
            f"no outcome rule fired; {waiting} wait{'s' if waiting == 1 else ''} on unknown "
            "facts (open questions)"
        ]
    if not shown:
        shown = ["no outcome rule fired"]
    return _clear_line(regime, title, "clear", shown)


def _clear_line(regime: str, title: str, status: str, reasons: list[str]) -> ClearReason:
    """A regime's clear (or not-in-force) line, kept by what it is made of (its text is its
    first two reasons), as :data:`CLEAR_KEPT` says."""
    key = (regime, title, status, *reasons)
    found = _CLEAR_MADE.get(key)
    if found is None:
        found = made(
            ClearReason,
            {
                "regime": regime,
                "title": title,
                "status": status,
                "reasons": reasons,
                "text": "; ".join(reasons[:2]),
            },
            _CLEAR_FIELDS,
        )
        if len(_CLEAR_MADE) >= CLEAR_KEPT:
            _CLEAR_MADE.clear()
        _CLEAR_MADE[key] = found
    return found


CLEAR_KEPT = 1024
"""How many clear reasons the memo keeps, by regime, title and words (all dropped once full):
a result model is immutable, so one instance serves every screening that words it alike."""
_CLEAR_MADE: dict[tuple[str, ...], ClearReason] = {}


def _not_in_force(regime: str, title: str, text: str) -> ClearReason:
    """The line of a regime with no rule in force (kept as :data:`CLEAR_KEPT` says)."""
    return _clear_line(regime, title, "not in force", [text])


QUESTIONS_KEPT = 512
"""How many asked questions (a group of open questions asked once) the memo keeps (least
recently used dropped)."""
_ASKED: Kept[tuple[Any, ...], tuple[int, str, MemoQuestion]] = Kept(QUESTIONS_KEPT)


def ranked_questions(
    questions: Sequence[OpenQuestion], regimes: dict[str, RegimeResult]
) -> list[MemoQuestion]:
    """Open questions asked once each (the same unknown facts, one question), ranked by the
    level they could raise the verdict to, then by how many levels they would raise it.

    Each question asked is kept (bounded, see :class:`Kept`) by all :func:`_asked_once` reads:
    the fields of the open questions it asks once, in order. The ranked list is kept too
    (:data:`_RANKED`), by the open questions (the very instances: ``run.assemble`` keeps them,
    so the same ones recur from deal to deal) and the verdicts of the screening's regimes.
    """
    key = (
        tuple([id(q) for q in questions]),
        tuple(regimes),
        tuple([r.verdict for r in regimes.values()]),
    )
    ranked = _RANKED.get(key)
    if ranked is not None:
        return list(ranked[1])
    items = _ranked_questions(questions, regimes)
    if len(_RANKED) >= QUESTIONS_KEPT:
        _RANKED.clear()
    # The entry holds the open questions alive, so no other object can take one's id meanwhile.
    _RANKED[key] = (tuple(questions), tuple(items))
    return items


_RANKED: dict[tuple[Any, ...], tuple[tuple[OpenQuestion, ...], tuple[MemoQuestion, ...]]] = {}
"""Open questions ranked (see :func:`ranked_questions`), by the ids of the open questions (each
entry holds them alive) and the screening's regimes and their verdicts, which the rank reads;
at most :data:`QUESTIONS_KEPT` entries (all dropped once full)."""


def _ranked_questions(
    questions: Sequence[OpenQuestion], regimes: dict[str, RegimeResult]
) -> list[MemoQuestion]:
    """:func:`ranked_questions`, worked out."""
    grouped: dict[tuple[str, ...], list[_QuestionParts]] = {}
    parts_of = _QUESTION_PARTS.get
    for q in questions:
        parts = parts_of(id(q))
        if parts is None or parts[0] is not q:
            parts = _question_parts(q)
        grouped.setdefault(parts[1], []).append(parts)
    out: list[tuple[tuple[int, int, str], MemoQuestion]] = []
    for group in grouped.values():
        kept = tuple([parts[2] for parts in group])
        found = _ASKED.get(kept)
        if found is None:
            found = _ASKED.put(kept, _asked_once([parts[0] for parts in group]))
        top_rank, text, item = found
        raise_by = max([level - rank(regimes[q.regime].verdict) for q, _k, _f, level in group])
        out.append(((-top_rank, -raise_by, text), item))
    out.sort(key=_first)
    return [item for _key, item in out]


# An open question as ranked_questions reads it: the question, the key it is asked once by,
# its fields (what a question asked is kept by) and the rank of its outcome.
_QuestionParts = tuple[OpenQuestion, tuple[str, ...], tuple[str, ...], int]
_QUESTION_PARTS: dict[int, _QuestionParts] = {}
"""Per open question (by its id, with the question itself, which the entry holds alive, so no
other object can have that id meanwhile), its parts: the result models of open questions are
immutable and the same instances recur from deal to deal (``run.assemble`` keeps them). At most
:data:`QUESTIONS_KEPT` entries (all dropped once full)."""


def _question_parts(q: OpenQuestion) -> _QuestionParts:
    """An open question's parts (see :data:`_QUESTION_PARTS`), worked out and kept."""
    head = _question_head(q.question)
    key = (head,) if head.endswith("may show") else (tuple(q.unknown_facts) or (q.rule_id,))
    fields = (q.rule_id, q.regime, q.outcome, q.question, q.title, q.citation, *q.unknown_facts)
    parts = (q, key, fields, rank(q.outcome))
    if len(_QUESTION_PARTS) >= QUESTIONS_KEPT:
        _QUESTION_PARTS.clear()
    _QUESTION_PARTS[id(q)] = parts
    return parts


def _asked_once(group: list[OpenQuestion]) -> tuple[int, str, MemoQuestion]:
    """Open questions asked once: the highest level they could raise the verdict to, the
    question's words and the question."""
    ranked = [(rank(q.outcome), _question_head(q.question), q) for q in group]
    top_rank, head, top = max(ranked, key=_first)  # the first of the highest level
    if len(ranked) == 1:
        text = top.question
        rule_ids = [top.rule_id]
    else:
        outcomes = sorted(ranked, key=lambda g: (-g[0], g[2].rule_id))
        first = outcomes[0][2]
        rule_ids = [q.rule_id for _level, _head, q in outcomes]
        text = (
            f"{head}: {_lower(first.title)} ({first.outcome}, {first.citation}), and "
            f"{len(outcomes) - 1} more rule{'s' if len(outcomes) > 2 else ''} "
            f"({', '.join(rule_ids[1:])})"
        )
    item = build(
        MemoQuestion,
        question=text,
        could_raise_to=top.outcome,
        regimes=sorted({q.regime for q in group}),
        rule_ids=rule_ids,
        unknown_facts=_asked(group),
    )
    return top_rank, text, item


def _first(pair: tuple[Any, ...]) -> Any:
    return pair[0]


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


def lists_used(
    references: References,
    names: Iterable[str],
    as_of: dt.date,
    made: dict[tuple[str, bool], ListUsed] | None = None,
) -> list[ListUsed]:
    """The reference lists a screening read, with their dates and completeness.

    ``made`` keeps each line once made (per list and whether it is past its review date, so
    bounded by the rulebook's lists): a line reads only the list, which a rulebook never
    changes, and result models are immutable.
    """
    out = []
    for name in sorted(set(names)):
        ref = references.get(name)
        if ref is None:
            continue
        past = bool(ref.review_by and as_of > ref.review_by)
        item = made.get((name, past)) if made is not None else None
        if item is None:
            item = build(
                ListUsed,
                name=ref.name,
                title=ref.title,
                retrieved=ref.retrieved.isoformat() if ref.retrieved else None,
                review_by=ref.review_by.isoformat() if ref.review_by else None,
                entries=len(ref.entries),
                starter=ref.starter,
                past_review=past,
            )
            if made is not None:
                made[(name, past)] = item
        out.append(item)
    return out


def build_summary(
    ev: Evaluation,
    deal: DealRecord,
    regimes: dict[str, RegimeResult],
    hits: Sequence[Hit],
    questions: Sequence[OpenQuestion],
    used: Iterable[str],
    *,
    clear_reasons: Mapping[str, ClearReason] | None = None,
) -> Summary:
    """The memo of one screening.

    ``clear_reasons``: the reasons :func:`clear_reasons` gave for this screening's clear
    regimes, reused (a consortium's memo, built on verdicts its members may have raised, see
    ``run._with_consortium``); a clear regime not among them is worked out here.
    """
    book = ev.book
    as_of = ev.view.deal.as_of
    ex = Explainer(ev, _book_plan(book))
    actions: list[MemoAction] = []
    clear: list[ClearReason] = []
    # The highest verdict and ceiling (the first of the highest rank, as max() gives them).
    verdict, verdict_rank, ceiling, ceiling_rank = "clear", -1, "clear", -1
    for regime in regimes.values():
        level = regime.verdict
        at = rank(level)
        if at > verdict_rank:
            verdict, verdict_rank = level, at
        reach = regime.ceiling if regime.ceiling is not None else verdict_range(regime, questions)
        at = rank(reach)
        if at > ceiling_rank:
            ceiling, ceiling_rank = reach, at
        if level == NOT_IN_FORCE:
            why = f"no rule of this regime is in force on {as_of.isoformat()}: not screened"
            clear.append(_not_in_force(regime.regime, regime.title, why))
            continue
        if level == "clear":
            known = clear_reasons.get(regime.regime) if clear_reasons is not None else None
            if known is None or known.title != regime.title:
                known = clear_reason(ex, regime.regime, regime.title)
            clear.append(known)
            continue
        deciding = [book.rules[r] for r in regime.rules]
        chosen = next((r for r in deciding if r.action), deciding[0])
        actions.append(action_for(chosen, deal, as_of, regime.regime, len(deciding) - 1))
    if len(actions) > 1:
        actions.sort(key=lambda a: (-rank(a.level), a.regime))
    if verdict == NOT_IN_FORCE:
        span = "not in force: no regime has a rule in force on the screening date"
    elif ceiling == verdict:
        span = f"{verdict}; no open question could raise it"
    else:
        n = len(questions)
        span = f"{verdict} — could reach {ceiling}: {n} open question{'s' if n != 1 else ''}"
    # Lists the derivation read (recorded) and those the conditions read (the scope's own
    # record): the same set whether the deal was screened alone or in a batch.
    lists, starter, stale = ex.plan.lists_used(
        book.references, set(used) | ev.scope.lists_read(), as_of
    )
    warnings: list[str] = []
    if starter:
        warnings.append(STARTER_WARNING)
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
        order=hit_rule_ids(hits),
    )
