"""Linting a rulebook: every problem found, sorted by ``file:line``, each with a stable code.

Load errors (schema, fact paths, values, references, duplicate ids, cycles: see
:mod:`screening.rulebook.book`) pass through as errors. When the rulebook loads, the lint adds its
own checks (severity in :data:`CODES`):

================== ======== ===============================================================
code               severity what it finds
================== ======== ===============================================================
never-fires        error    conditions that contradict each other on every path (``x >= 50``
                            and ``x < 25``; ``finding F`` and ``not finding F``; a value no
                            reference-list entry has while the rule is in force; a finding
                            that can never fire)
never-in-force     error    a condition on ``deal.as_of`` outside the rule's effective dates
dead-branch        warning  one branch of an ``any:`` can never hold (the rule still can)
always-suppressed  error    an exemption whose conditions are all among the suppressed
                            rule's own, in force whenever the rule is: the rule never counts
missing-examples   error    a rule of the base rulebook without a ``fires`` or a
                            ``does_not_fire`` example (a warning for rules added by a layer)
rule-too-large     error    a rule that compiles to more engine tests than one ruleset holds
unused-finding     warning  a finding no rule reads (it can still explain a verdict)
needs-false        warning  a rule on the way to an outcome that needs another branch known
                            false where an exemption (or nothing) would do: ``not finding F``
                            where F itself leads to an outcome of the same regime, or a yes/no
                            fact required false that some exemption tests true (an exception
                            fact); when that fact is unknown, neither branch holds and the
                            verdict falls below what every reading gives (the floor invariant)
review-overdue     warning  a reference list past its ``review_by`` date
no-review-date     warning  a reference list without a ``review_by`` date
================== ======== ===============================================================

"Today" for ``review-overdue`` is given (``--today``), or the configuration's ``today``, or the
newest ``retrieved`` date among the reference lists: never the clock, so a lint run on the same
files gives the same answer on any day.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from screening.engine.compiler import MAX_TESTS_PER_RULESET, compile_condition, count_tests, negate
from screening.errors import EngineError, RulebookError
from screening.facts.view import ENUMS, field_info
from screening.model.reference import Entry, References
from screening.rulebook.book import Rule, Rulebook, load_rulebook
from screening.rulebook.conditions import All, AnyOf, Condition, FindingRef, Leaf, finding_refs

ERROR, WARNING = "error", "warning"
CODES: dict[str, str] = {
    "never-fires": ERROR,
    "never-in-force": ERROR,
    "dead-branch": WARNING,
    "always-suppressed": ERROR,
    "missing-examples": ERROR,
    "rule-too-large": ERROR,
    "unused-finding": WARNING,
    "needs-false": WARNING,
    "review-overdue": WARNING,
    "no-review-date": WARNING,
}

Atom = Leaf | FindingRef
Window = tuple[dt.date | None, dt.date | None]


@dataclass(frozen=True)
class LintProblem:
    """One located problem with its stable code and severity (``error`` or ``warning``)."""

    location: str
    code: str
    severity: str
    message: str

    def render(self) -> str:
        """``file:line: severity: code: message`` on one line."""
        where = f"{self.location}: " if self.location else ""
        return f"{where}{self.severity}: {self.code}: {self.message}"


def sort_key(p: LintProblem) -> tuple[str, int, str, str]:
    """Order by file, then line numerically, then code and message."""
    path, _, rest = p.location.rpartition(":")
    if not rest.isdigit():
        path, rest = p.location, "0"
    return (path, int(rest), p.code, p.message)


@dataclass(frozen=True)
class LintReport:
    """The outcome of linting a rulebook."""

    problems: tuple[LintProblem, ...]
    version: str | None
    rules: int
    today: dt.date | None

    @property
    def errors(self) -> list[LintProblem]:
        """Problems of severity error."""
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def warnings(self) -> list[LintProblem]:
        """Problems of severity warning."""
        return [p for p in self.problems if p.severity == WARNING]

    def render_text(self) -> str:
        """One line per problem, then a summary line."""
        lines = [p.render() for p in self.problems]
        e, w = len(self.errors), len(self.warnings)
        summary = f"{e} error{'s' * (e != 1)}, {w} warning{'s' * (w != 1)}"
        if self.version is not None:
            summary += f" in {self.rules} rules (rulebook {self.version}"
            summary += f", reviewed as of {self.today})" if self.today else ")"
        return "\n".join([*lines, summary]) + "\n"

    def render_json(self) -> str:
        """The report as a JSON document."""
        return (
            json.dumps(
                {
                    "version": self.version,
                    "rules": self.rules,
                    "today": self.today.isoformat() if self.today else None,
                    "errors": len(self.errors),
                    "warnings": len(self.warnings),
                    "problems": [
                        {
                            "location": p.location,
                            "code": p.code,
                            "severity": p.severity,
                            "message": p.message,
                        }
                        for p in self.problems
                    ],
                },
                indent=2,
            )
            + "\n"
        )


def lint(
    layers: Sequence[Path] = (),
    *,
    base: Path | None = None,
    today: dt.date | None = None,
    labels: list[str] | None = None,
) -> LintReport:
    """Load a rulebook (shipped or ``base``, with layers) and lint it; never raises for rules."""
    try:
        book = load_rulebook(list(layers), base=base, labels=labels)
    except RulebookError as exc:
        found = [LintProblem(p.location, p.code, ERROR, p.message) for p in exc.problems]
        return LintReport(tuple(sorted(found, key=sort_key)), None, 0, today)
    day = today or default_today(book.references)
    found = lint_rulebook(book, today=day)
    if not any(p.severity == ERROR for p in found):
        found = sorted([*found, *_engine_check(book)], key=sort_key)
    return LintReport(tuple(found), book.version, len(book.rules), day)


def _engine_check(book: Rulebook) -> list[LintProblem]:
    """Compile the rulebook and register it with durable-rules, as the first screening would:
    whatever the engine still refuses is a lint error here, not a failure when screening."""
    from screening.engine.run import compiled

    try:
        compiled(book)
    except RulebookError as exc:
        return [LintProblem(p.location, p.code, ERROR, p.message) for p in exc.problems]
    except EngineError as exc:
        where = book.labels[-1] if book.labels else ""
        return [LintProblem(where, "engine-refused", ERROR, str(exc))]
    return []


def default_today(refs: References) -> dt.date | None:
    """The newest ``retrieved`` date among the reference lists (None without any)."""
    return max((r.retrieved for r in refs.lists.values() if r.retrieved), default=None)


def lint_rulebook(book: Rulebook, *, today: dt.date | None = None) -> list[LintProblem]:
    """The lint checks of a loaded rulebook, sorted by location."""
    out: list[LintProblem] = []

    def add(location: str, code: str, message: str, severity: str | None = None) -> None:
        out.append(LintProblem(location, code, severity or CODES[code], message))

    never: set[str] = set()
    for stratum in book.strata:
        for rule in stratum:
            _check_satisfiable(rule, book.references, never, add)
    shipped = str(Path(book.labels[0])) + "/" if book.labels else ""
    used = {ref.rule_id for r in book.rules.values() for ref in finding_refs(r.when)}
    for rule in book.rules.values():
        kinds = {e.fires for e in rule.examples}
        severity = ERROR if shipped and rule.location.startswith(shipped) else WARNING
        for fires, name in ((True, "fires"), (False, "does_not_fire")):
            if fires not in kinds:
                add(
                    rule.location,
                    "missing-examples",
                    f"rule `{rule.id}` has no `{name}` example",
                    severity,
                )
        size = _size(rule, book.references)
        if size > MAX_TESTS_PER_RULESET:
            add(
                rule.location,
                "rule-too-large",
                f"rule `{rule.id}` compiles to {size} engine tests; the limit is "
                f"{MAX_TESTS_PER_RULESET}: split it into findings",
            )
        if rule.kind == "finding" and rule.id not in used:
            add(rule.location, "unused-finding", f"finding `{rule.id}` is read by no rule")
        if rule.kind == "exemption":
            for target in rule.suppresses:
                _check_suppression(book.rules[target], rule, add)
    _check_needs_false(book, add)
    for ref in book.references.lists.values():
        if ref.review_by is None:
            add(
                ref.location,
                "no-review-date",
                f"reference list `{ref.name}` has no `review_by` date",
            )
        elif today is not None and ref.review_by < today:
            add(
                ref.location,
                "review-overdue",
                f"reference list `{ref.name}` was due for review on {ref.review_by} "
                f"(today is {today})",
            )
    return sorted(out, key=sort_key)


def _outcomes_fed(book: Rulebook) -> dict[str, set[str]]:
    """Rule id -> the outcome rules it leads to through positive ``finding`` references."""
    readers: dict[str, set[str]] = {}
    for rule in book.rules.values():
        for ref in finding_refs(rule.when):
            if not ref.negated:
                readers.setdefault(ref.rule_id, set()).add(rule.id)
    fed: dict[str, set[str]] = {}

    def walk(rule_id: str) -> set[str]:
        if rule_id not in fed:
            fed[rule_id] = set()  # findings form no cycle; this only guards the recursion
            out = {rule_id} if book.rules[rule_id].kind == "outcome" else set()
            for reader in readers.get(rule_id, ()):
                out |= walk(reader)
            fed[rule_id] = out
        return fed[rule_id]

    for rule_id in book.rules:
        walk(rule_id)
    return fed


def _check_needs_false(book: Rulebook, add: Any) -> None:
    """Rules that need a branch known false where an exemption would do (``needs-false``)."""
    fed = _outcomes_fed(book)
    exception_facts: dict[str, str] = {}
    exception_findings: dict[str, str] = {}
    for rule in book.rules.values():
        if rule.kind != "exemption":
            continue
        for ref in finding_refs(rule.when):
            if not ref.negated:
                exception_findings.setdefault(ref.rule_id, rule.id)
        for leaf in _leaves_of(rule.when):
            if leaf.op == "==" and leaf.value is True:
                exception_facts.setdefault(leaf.path, rule.id)
    for rule in book.rules.values():
        regimes = {book.rules[o].regime for o in fed[rule.id]}
        if not regimes or rule.kind == "exemption":
            continue
        atoms = _atoms(rule.when)
        needed = {a.rule_id for a in atoms if isinstance(a, FindingRef) and not a.negated}
        for node in atoms:
            if isinstance(node, FindingRef) and node.negated and node.rule_id not in needed:
                other = {o for o in fed[node.rule_id] if book.rules[o].regime in regimes}
                if other:
                    add(
                        node.location,
                        "needs-false",
                        f"`{node.text}` in `{rule.id}`: `{node.rule_id}` itself leads to "
                        f"`{sorted(other)[0]}`, so while it is unknown neither branch holds; "
                        "drop the negation (the higher outcome outranks) or write an exemption",
                    )
                elif node.rule_id in exception_findings:
                    add(
                        node.location,
                        "needs-false",
                        f"`{node.text}` in `{rule.id}`: `{node.rule_id}` is an exception "
                        f"(exemption `{exception_findings[node.rule_id]}` reads it); make this "
                        "exception an exemption so that an unknown one keeps the outcome",
                    )
            elif (
                isinstance(node, Leaf)
                and node.op == "=="
                and node.value is False
                and node.path in exception_facts
            ):
                add(
                    node.location,
                    "needs-false",
                    f"`{node.text}` in `{rule.id}`: `{node.path}` is an exception fact "
                    f"(exemption `{exception_facts[node.path]}` tests it true); make this "
                    "exception an exemption so that an unknown one keeps the outcome",
                )


def _atoms(cond: Condition) -> list[Atom]:
    if isinstance(cond, Leaf | FindingRef):
        return [cond]
    return [atom for child in cond.children for atom in _atoms(child)]


def _leaves_of(cond: Condition) -> list[Leaf]:
    return [atom for atom in _atoms(cond) if isinstance(atom, Leaf)]


def _size(rule: Rule, refs: References) -> int:
    n = count_tests(compile_condition(rule.guarded, refs))
    if rule.kind == "finding":
        n += count_tests(compile_condition(negate(rule.guarded), refs))
    return n


# ---------------------------------------------------------------------------------------------
# Always suppressed


def _conjuncts(cond: Condition) -> list[Condition]:
    if isinstance(cond, All):
        return [c for child in cond.children for c in _conjuncts(child)]
    return [cond]


def _shape(cond: Condition) -> Any:
    """A condition without its locations and texts, for comparing conditions."""
    if isinstance(cond, Leaf):
        return ("leaf", cond.path, cond.op, cond.value, cond.ref)
    if isinstance(cond, FindingRef):
        return ("finding", cond.rule_id, cond.negated)
    return (type(cond).__name__, tuple(_shape(c) for c in cond.children))


def _check_suppression(rule: Rule, exemption: Rule, add: Any) -> None:
    own = {_shape(c) for c in _conjuncts(rule.when)}
    if not all(_shape(c) in own for c in _conjuncts(exemption.when)):
        return
    starts_in = exemption.effective_from is None or (
        rule.effective_from is not None and exemption.effective_from <= rule.effective_from
    )
    ends_in = exemption.effective_to is None or (
        rule.effective_to is not None and rule.effective_to <= exemption.effective_to
    )
    if starts_in and ends_in:
        add(
            rule.location,
            "always-suppressed",
            f"rule `{rule.id}` is always suppressed by exemption `{exemption.id}` "
            f"({exemption.location}): every condition of the exemption is one of the rule's own",
        )


# ---------------------------------------------------------------------------------------------
# Satisfiability: a sound check (it never calls a satisfiable rule unsatisfiable). Along each
# path through the condition, the atoms that must all hold are checked per fact for a value
# that satisfies them all; `any:` branches are checked against the atoms above them.


def _check_satisfiable(rule: Rule, refs: References, never: set[str], add: Any) -> None:
    window: Window = (rule.effective_from, rule.effective_to)
    checker = _Checker(refs, window, never)
    reason = checker.unsat(rule.guarded, [])
    if reason is not None:
        synthetic = any(isinstance(a, Leaf) and a.synthetic for a in reason[1])
        code = "never-in-force" if synthetic else "never-fires"
        what = "is never in force" if synthetic else "can never fire"
        add(rule.location, code, f"rule `{rule.id}` {what}: {reason[0]}")
        never.add(rule.id)
        return
    for location, why in checker.dead_branches(rule.guarded, []):
        add(
            location,
            "dead-branch",
            f"this branch of `any` in rule `{rule.id}` can never hold: {why}",
        )


def _text(atom: Atom) -> str:
    if isinstance(atom, Leaf) and atom.synthetic:
        date = atom.value
        return f"`effective: from {date}`" if atom.op == ">=" else f"`effective: to {date}`"
    return f"`{atom.text}`"


class _Checker:
    def __init__(self, refs: References, window: Window, never: set[str]) -> None:
        self.refs = refs
        self.window = window
        self.never = never

    def unsat(self, cond: Condition, context: list[Atom]) -> tuple[str, list[Atom]] | None:
        """Why ``cond`` and the context can never hold together, or None."""
        if isinstance(cond, Leaf | FindingRef):
            return self.contradiction([*context, cond])
        if isinstance(cond, All):
            atoms = [*context, *(c for c in _conjuncts(cond) if isinstance(c, Leaf | FindingRef))]
            found = self.contradiction(atoms)
            if found:
                return found
            for child in _conjuncts(cond):
                if isinstance(child, AnyOf):
                    found = self.unsat(child, atoms)
                    if found:
                        return found
            return None
        reasons = [self.unsat(c, context) for c in cond.children]
        if all(reasons):
            first = reasons[0]
            assert first is not None
            return (
                f"no branch of `any` can hold ({first[0]}, …)" if len(reasons) > 1 else first[0],
                first[1],
            )
        return None

    def dead_branches(self, cond: Condition, context: list[Atom]) -> list[tuple[str, str]]:
        """Branches of ``any:`` that can never hold while the rest of the rule can."""
        out: list[tuple[str, str]] = []
        if isinstance(cond, All):
            atoms = [*context, *(c for c in _conjuncts(cond) if isinstance(c, Leaf | FindingRef))]
            for child in _conjuncts(cond):
                if isinstance(child, AnyOf):
                    out.extend(self.dead_branches(child, atoms))
        elif isinstance(cond, AnyOf):
            for child in cond.children:
                found = self.unsat(child, context)
                if found:
                    loc = child.location
                    out.append((loc, found[0]))
                else:
                    out.extend(self.dead_branches(child, context))
        return out

    def contradiction(self, atoms: list[Atom]) -> tuple[str, list[Atom]] | None:
        """The first contradiction among atoms that must all hold."""
        groups: dict[str, list[Atom]] = {}
        for atom in atoms:
            if isinstance(atom, FindingRef):
                if not atom.negated and atom.rule_id in self.never:
                    return (f"it needs finding `{atom.rule_id}`, which can never fire", [atom])
                groups.setdefault(f"finding {atom.rule_id}", []).append(atom)
            else:
                groups.setdefault(atom.path, []).append(atom)
        for group in groups.values():
            for i, later in enumerate(group):
                for earlier in group[:i]:
                    if not self.feasible([earlier, later]):
                        return (f"{_text(later)} contradicts {_text(earlier)}", [earlier, later])
                if not self.feasible([later]):
                    return (f"{_text(later)} holds for no value", [later])
            if len(group) > 2 and not self.feasible(group):
                path = group[0].rule_id if isinstance(group[0], FindingRef) else group[0].path
                texts = ", ".join(_text(a) for a in group)
                return (f"together {texts} leave no value of `{path}`", group)
        return None

    def feasible(self, atoms: list[Atom]) -> bool:
        """Whether one value of one fact can satisfy every atom."""
        first = atoms[0]
        if isinstance(first, FindingRef):
            return len({a.negated for a in atoms if isinstance(a, FindingRef)}) == 1
        leaves = [a for a in atoms if isinstance(a, Leaf)]
        if any(leaf.op in ("contains", "contains any", "contains none") for leaf in leaves):
            return self._list_feasible(leaves)
        sample = next((leaf.value for leaf in leaves if leaf.op in _ORDER), None)
        if isinstance(sample, Decimal | dt.date) and not isinstance(sample, bool):
            return _interval_feasible(leaves)
        return self._set_feasible(leaves)

    def _values(self, leaf: Leaf, *, certain: bool) -> set[Any]:
        """A leaf's literal values; for a reference list, those in force during the window
        (``certain``: only those in force throughout it)."""
        if leaf.ref is None:
            return set(leaf.value) if isinstance(leaf.value, tuple) else {leaf.value}
        ref = self.refs.get(leaf.ref)
        entries: Iterable[Entry] = ref.entries if ref else ()
        test = _throughout if certain else _overlaps
        return {e.value for e in entries if test(e, self.window)}

    def _set_feasible(self, leaves: list[Leaf]) -> bool:
        path = leaves[0].path
        info = field_info(path)
        universe: set[Any] | None = set(ENUMS[path]) if path in ENUMS else None
        if info is not None and _is_bool(info[0]):
            universe = {True, False}
        excluded: set[Any] = set()
        for leaf in leaves:
            if leaf.op in ("==", "in"):
                values = self._values(leaf, certain=False)
                universe = values if universe is None else universe & values
            else:  # != / not in
                excluded |= self._values(leaf, certain=True)
        return universe is None or bool(universe - excluded)

    def _list_feasible(self, leaves: list[Leaf]) -> bool:
        forbidden: set[Any] = set()
        wanted: list[set[Any]] = []
        for leaf in leaves:
            if leaf.op == "contains none":
                forbidden |= self._values(leaf, certain=True)
            elif leaf.op in ("contains", "contains any"):
                wanted.append(self._values(leaf, certain=False))
        return all(group - forbidden for group in wanted)


_ORDER = ("==", "!=", "<", "<=", ">", ">=")


def _is_bool(annotation: Any) -> bool:
    return annotation is bool or str(annotation) in ("bool | None", "typing.Optional[bool]")


def _overlaps(entry: Entry, window: Window) -> bool:
    start, end = window
    return (entry.end is None or start is None or start < entry.end) and (
        entry.start is None or end is None or entry.start < end
    )


def _throughout(entry: Entry, window: Window) -> bool:
    start, end = window
    return (entry.start is None or (start is not None and entry.start <= start)) and (
        entry.end is None or (end is not None and end <= entry.end)
    )


def _interval_feasible(leaves: list[Leaf]) -> bool:
    """Numbers (and dates): is some value inside every bound and not excluded?"""
    path = leaves[0].path
    info = field_info(path)
    discrete = info is not None and ("int" in str(info[0]) or "date" in str(info[0]))
    lo: Any = None
    hi: Any = None
    lo_open = hi_open = False
    equal: set[Any] = set()
    excluded: set[Any] = set()
    for leaf in leaves:
        v, op = leaf.value, leaf.op
        if op == "==":
            equal.add(v)
        elif op == "!=":
            excluded.add(v)
        elif op in (">", ">=") and (lo is None or v > lo or (v == lo and op == ">")):
            lo, lo_open = v, op == ">"
        elif op in ("<", "<=") and (hi is None or v < hi or (v == hi and op == "<")):
            hi, hi_open = v, op == "<"

    def inside(x: Any) -> bool:
        return (lo is None or x > lo or (x == lo and not lo_open)) and (
            hi is None or x < hi or (x == hi and not hi_open)
        )

    if equal:
        return len(equal) == 1 and all(inside(x) and x not in excluded for x in equal)
    if lo is None or hi is None:
        return True
    if discrete:
        first, last = _discrete_bounds(lo, lo_open, hi, hi_open)
        if first is None or last is None:
            return False
        if isinstance(first, dt.date) and isinstance(last, dt.date):
            span = (last - first).days + 1
            step: Any = dt.timedelta(days=1)
        else:
            span, step = int(last - first) + 1, 1
        if span <= 0:
            return False
        if span > len(excluded):
            return True
        return any(first + step * i not in excluded for i in range(span))
    return bool(lo < hi or (lo == hi and not lo_open and not hi_open and lo not in excluded))


def _discrete_bounds(lo: Any, lo_open: bool, hi: Any, hi_open: bool) -> tuple[Any, Any]:
    if isinstance(lo, dt.date):
        first = lo + dt.timedelta(days=1) if lo_open else lo
        last = hi - dt.timedelta(days=1) if hi_open else hi
        return first, last
    first_n = math.floor(lo) + 1 if lo_open else math.ceil(lo)
    last_n = math.ceil(hi) - 1 if hi_open else math.floor(hi)
    return Decimal(first_n), Decimal(last_n)
