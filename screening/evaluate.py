"""The pure-Python evaluator of conditions, in three-valued logic.

It is the explanation engine (each leaf with the value it saw and whether it held), the source of
why-not answers and open questions, and the oracle that the durable-rules engine is checked
against on every screening: both must fire exactly the same rules.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .conditions import SYMBOLS, All, AnyOf, Condition, FindingRef, Leaf
from .facts import FactView, Tri, and3, field_info, not3, or3
from .reference import References


@dataclass(frozen=True)
class Outcome:
    """The result of one condition node: status and, for leaves, the value seen."""

    node: Condition
    status: Tri
    value: Any = None
    children: tuple[Outcome, ...] = ()


def leaf_values(leaf: Leaf, references: References, as_of: dt.date) -> tuple[Any, ...]:
    """The literal list of a leaf, resolving ``@reference`` lists as of a date."""
    if leaf.ref is not None:
        return tuple(references.values(leaf.ref, as_of))
    return leaf.value if isinstance(leaf.value, tuple) else (leaf.value,)


def eval_leaf(leaf: Leaf, value: Any, references: References, as_of: dt.date) -> Tri:
    """Whether a leaf holds for a value (None when the value is unknown)."""
    if value is None:
        return None
    op = leaf.op
    if op in ("contains", "contains any", "contains none"):
        items = set(value)
        wanted = set(leaf_values(leaf, references, as_of))
        if op == "contains none":
            return not (items & wanted)
        return bool(items & wanted)
    if op in ("in", "not in"):
        found = value in leaf_values(leaf, references, as_of)
        return found if op == "in" else not found
    expected = leaf.value
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
) -> Outcome:
    """Evaluate a condition tree in three-valued logic."""
    as_of = view.deal.as_of
    if isinstance(cond, Leaf):
        value = view.get(cond.path)
        return Outcome(cond, eval_leaf(cond, value, references, as_of), value)
    if isinstance(cond, FindingRef):
        status = findings.get(cond.rule_id)
        return Outcome(cond, not3(status) if cond.negated else status, status)
    children = tuple(evaluate(c, view, findings, references) for c in cond.children)
    combine = and3 if isinstance(cond, All) else or3
    return Outcome(cond, combine(c.status for c in children), None, children)


def flatten(outcome: Outcome) -> list[Outcome]:
    """Leaf outcomes in order."""
    if not outcome.children and isinstance(outcome.node, Leaf | FindingRef):
        return [outcome]
    out: list[Outcome] = []
    for child in outcome.children:
        out.extend(flatten(child))
    return out


def render_value(value: Any, unit: str = "") -> str:
    """A value as an explanation shows it: 62%, yes, CN, unknown."""
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal | int):
        number = Decimal(value)
        text = format(number.normalize(), "f") if number == number.to_integral() or abs(
            number
        ) < 1e-6 or True else str(number)
        if "." not in text and abs(number) >= 10000:
            text = f"{int(number):,}"
        if unit == "%":
            return f"{text}%"
        if unit == "USD":
            return f"${text}"
        return f"{text} {unit}".rstrip()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(render_value(v) for v in value) + "]" if value else "none"
    return str(value)


def render_leaf(leaf: Leaf, value: Any, status: Tri, references: References, as_of: dt.date) -> str:
    """One line such as ``investor's voting interest 30% ≥ 25%`` or ``… unknown``."""
    info = field_info(leaf.path)
    title, unit = (info[1], info[2]) if info else (leaf.path, "")
    seen = render_value(value, unit)
    if leaf.op in SYMBOLS:
        expected = render_value(leaf.value, unit)
        if value is None:
            return f"{title} is unknown (rule needs {SYMBOLS[leaf.op]} {expected})"
        symbol = SYMBOLS[leaf.op] if status else _FAILED[leaf.op]
        if isinstance(leaf.value, bool):
            return f"{title}: {seen}"
        return f"{title} {seen} {symbol} {expected}"
    listed = f"@{leaf.ref}" if leaf.ref else render_value(leaf.value)
    if value is None:
        return f"{title} is unknown (rule needs {leaf.op} {listed})"
    verb = {
        "in": ("is in", "is not in"),
        "not in": ("is not in", "is in"),
        "contains": ("include", "do not include"),
        "contains any": ("include one of", "include none of"),
        "contains none": ("include none of", "include one of"),
    }[leaf.op]
    return f"{title} {seen} {verb[0] if status else verb[1]} {listed}"


_FAILED = {"==": "≠", "!=": "=", "<": "≥", "<=": ">", ">": "≤", ">=": "<"}
