"""Candidate concessions for one deal, generated from the rulebook's negotiable terms.

Numbers are lowered to just below the thresholds the rules actually compare against (read from
the compiled conditions: ``>= 25`` gives 24.999999 for a percentage, 24 for a count; ``> 50``
gives 50), yes/no terms are flipped to the concession side, list items are given up one by one
or all together, and named structuring changes (an observer instead of a seat, a data business
carved out) are offered when they apply. Nothing is taken from a grid.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from screening.errors import UsageError
from screening.facts.view import FactView
from screening.mitigation.changes import Change, apply_changes, render_literal
from screening.model.deal import DealRecord
from screening.model.numbers import Range
from screening.model.numbers import jsonable as range_json
from screening.model.paths import PathError, field_type, get_value, parse_path
from screening.rulebook.book import Rulebook
from screening.rulebook.conditions import COMPARISONS, Leaf, leaves, suggest
from screening.rulebook.negotiable import GROUPS, NegotiableTerm

_STEP = {int: Decimal(1), Decimal: Decimal("0.000001")}  # the model's smallest unit per type


@dataclass(frozen=True)
class Candidate:
    """One concession: the changes it makes, how big it is, and what it conflicts with."""

    term: NegotiableTerm
    changes: tuple[Change, ...]
    label: str
    size: float  # 0 < size <= 1: the share of the term given up
    rank: int  # within a term: 0 is the smallest concession
    paths: tuple[str, ...]  # the deal paths it touches (for conflicts)

    @property
    def key(self) -> tuple[str, int, str]:
        """A stable sort key."""
        return (self.term.id, self.rank, self.label)

    def conflicts(self, other: Candidate) -> bool:
        """Whether two concessions touch the same field (one value per field in a set)."""
        for a in self.paths:
            for b in other.paths:
                if a == b or a.startswith(b + ".") or a.startswith(b + "["):
                    return True
                if b.startswith(a + ".") or b.startswith(a + "["):
                    return True
        return False


_THRESHOLDS: dict[str, dict[str, list[tuple[str, Decimal]]]] = {}


def thresholds(book: Rulebook) -> dict[str, list[tuple[str, Decimal]]]:
    """Fact path -> (operator, number) of every numeric comparison in the rulebook."""
    found = _THRESHOLDS.get(book.version)
    if found is None:
        found = {}
        for rule in book.rules.values():
            for leaf in leaves(rule.when):
                if (
                    isinstance(leaf, Leaf)
                    and leaf.op in COMPARISONS
                    and isinstance(leaf.value, Decimal | int)
                    and not isinstance(leaf.value, bool)
                ):
                    found.setdefault(leaf.path, []).append((leaf.op, Decimal(leaf.value)))
        found = {k: sorted(set(v)) for k, v in found.items()}
        _THRESHOLDS[book.version] = found
    return found


def select_terms(book: Rulebook, names: list[str] | tuple[str, ...] | None) -> list[NegotiableTerm]:
    """The terms a search may use: all, or those named by id or group."""
    if not names:
        return list(book.negotiable)
    ids = {t.id for t in book.negotiable}
    for name in names:
        if name not in ids and name not in GROUPS:
            raise UsageError.one(
                "--terms",
                "unknown-term",
                f"no negotiable term or group `{name}`{suggest(name, [*ids, *GROUPS])}",
            )
    return [t for t in book.negotiable if t.id in names or t.group in names]


def _show(value: Any) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Range):
        return render_literal(range_json(value))
    return render_literal(value)


def candidates(
    book: Rulebook, deal: DealRecord, view: FactView, terms: list[NegotiableTerm]
) -> list[Candidate]:
    """Every concession the terms allow on this deal, each valid on its own, sorted."""
    out: list[Candidate] = []
    for term in terms:
        try:
            annotation = field_type(parse_path(term.path), deal.kind)
        except PathError:
            continue  # the term's field does not exist for this kind of deal
        current = get_value(deal, parse_path(term.path))
        if term.concession == "lower":
            out.extend(_lower(book, term, annotation, current, deal, view))
        elif term.concession in ("to_false", "to_true"):
            wanted = term.concession == "to_true"
            if current is not wanted:
                change = Change(path=term.path, value=wanted)
                label = f"{term.title} ({_show(current)} → {_show(wanted)})"
                out.append(Candidate(term, (change,), label, 1.0, 0, (term.path,)))
        elif term.concession == "remove":
            out.extend(_remove(term, current))
        elif term.concession == "set":
            if term.applies_if is not None and not get_value(deal, parse_path(term.applies_if)):
                continue
            changes = tuple(Change(path=p, value=v) for p, v in term.changes)
            if all(_same(get_value(deal, parse_path(c.path)), c.value) for c in changes):
                continue
            label = term.title
            out.append(Candidate(term, changes, label, 1.0, 0, tuple(c.path for c in changes)))
    valid = []
    for cand in out:
        try:
            apply_changes(deal, ordered(cand.changes))
        except UsageError:
            continue  # a concession this record cannot take (e.g. a block it lacks)
        valid.append(cand)
    return sorted(valid, key=lambda c: c.key)


def _same(current: Any, value: Any) -> bool:
    if hasattr(current, "model_dump"):
        current = current.model_dump(mode="json")
    return bool(current == value)


def _lower(
    book: Rulebook,
    term: NegotiableTerm,
    annotation: Any,
    current: Any,
    deal: DealRecord,
    view: FactView,
) -> list[Candidate]:
    step = _STEP.get(annotation)
    if step is None:
        return []
    shown = current
    if isinstance(current, Range):
        # Known only within bounds: a concession sets an exact value below the most it can be.
        current = current.hi
    found = thresholds(book)
    values: set[Decimal] = set(term.values)
    for fact in term.thresholds:
        seen = view.get(fact)
        offset = (
            Decimal(seen) - Decimal(current)
            if seen is not None and current is not None and not isinstance(seen, Range)
            else Decimal(0)
        )
        for op, limit in found.get(fact, []):
            base = limit - offset
            if op in (">", "<="):
                values.add(base)
            elif op in (">=", "<"):
                values.add(base - step)
            else:
                values.update((base, base - step))
    if term.below_majority_of is not None:
        size = get_value(deal, parse_path(term.below_majority_of))
        if isinstance(size, int) and size > 0:
            values.add(Decimal(size // 2))
    kept = sorted(
        (
            v
            for v in values
            if v >= 0
            and (current is None or v < current)
            and (annotation is not int or v == v.to_integral())
        ),
        reverse=True,
    )
    out = []
    for rank, v in enumerate(kept):
        value: Any = int(v) if annotation is int else v
        size = float((Decimal(current) - v) / Decimal(current)) if current else 1.0
        label = f"{term.title} ({_show(shown)} → {_show(value)})"
        changes = [Change(path=term.path, value=value)]
        for other in term.also_lower:
            seen = get_value(deal, parse_path(other))
            if isinstance(seen, Range):
                seen = seen.hi if seen.hi is not None else value + step
            if seen is not None and seen > value:
                changes.append(Change(path=other, value=value))
        paths = tuple(c.path for c in changes)
        out.append(Candidate(term, tuple(changes), label, size, rank, paths))
    return out


def _item_label(term: NegotiableTerm, item: Any) -> str:
    if term.item_label is None:
        return str(item)
    return str(get_value(item, parse_path(term.item_label)))


def _remove(term: NegotiableTerm, current: Any) -> list[Candidate]:
    if not isinstance(current, list) or not current:
        return []
    out = []
    n = len(current)
    for i, item in enumerate(current):
        path = f"{term.path}[{i}]"
        label = f"{term.title}: {_item_label(term, item)}"
        out.append(Candidate(term, (Change(path=path, op="drop"),), label, 1 / n, 0, (path,)))
    if n > 1:
        names = ", ".join(_item_label(term, item) for item in current)
        label = f"{term.title}: all ({names})"
        out.append(
            Candidate(term, (Change(path=term.path, value=[]),), label, 1.0, 1, (term.path,))
        )
    return out


def ordered(changes: tuple[Change, ...] | list[Change]) -> list[Change]:
    """Changes in an order that applies cleanly: sets first, then drops from the highest index."""
    sets = [c for c in changes if c.op == "set"]
    drops = sorted(
        (c for c in changes if c.op == "drop"),
        key=lambda c: (c.path.rsplit("[", 1)[0], -int(c.parts[-1])),
    )
    return [*sets, *drops]


__all__ = ["Candidate", "candidates", "ordered", "select_terms", "thresholds"]
