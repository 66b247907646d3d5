"""The condition language of rule files: parsing and static checking.

A rule's ``when`` is a list of conditions that must all hold, or a mapping ``all:``/``any:``
holding such lists. A leaf condition is one line a compliance lawyer can read::

    investor.gov_interest_pct >= 49
    investor.country in @excepted_foreign_states
    deal.kind in [equity_stake, acquisition]
    rights.involvement contains critical_technologies
    investor.lists contains any [ofac_sdn, bis_entity_list]
    target.us_business is true
    finding cfius.tid_us_business
    not finding cfius.excepted_investor

Nothing here is ever evaluated as Python: a leaf is split by one regular expression into a fact
path, an operator from a fixed set and a literal, and each part is checked against the fact view
(:mod:`screening.facts.view`) when the rulebook loads.
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import functools
import re
import types
import typing
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Union

from screening.errors import Problem
from screening.facts.sections.base import AtLeast
from screening.facts.view import COUNTRY_PATHS, ENUMS, all_paths, field_info
from screening.model.basetypes import is_alpha_2
from screening.model.numbers import Range

Value = Decimal | int | bool | str | dt.date | tuple[Any, ...]

COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")
OPERATORS = (*COMPARISONS, "in", "not in", "contains", "contains any", "contains none")
NEGATION = {
    "==": "!=",
    "!=": "==",
    "<": ">=",
    ">=": "<",
    ">": "<=",
    "<=": ">",
    "in": "not in",
    "not in": "in",
    "contains any": "contains none",
    "contains none": "contains any",
}
SYMBOLS = {"==": "=", "!=": "≠", "<": "<", "<=": "≤", ">": ">", ">=": "≥"}

_LEAF = re.compile(
    r"^(?P<path>[a-z_]+\.[a-z0-9_]+)\s+"
    r"(?P<op>==|!=|>=|<=|>|<|not in|in|contains any|contains none|contains|is)\s+"
    r"(?P<value>.+?)\s*$"
)
_FINDING = re.compile(r"^(?P<neg>not\s+)?finding\s+(?P<id>[a-z0-9_]+(\.[a-z0-9_]+)+)\s*$")
_REF = re.compile(r"^@(?P<name>[a-z0-9_]+)$")


@dataclass(frozen=True)
class Leaf:
    """``path op value``; ``ref`` names a reference list when the value is ``@list``."""

    path: str
    op: str
    value: Value
    text: str
    location: str
    ref: str | None = None
    synthetic: bool = False  # added by the loader (effective dates), hidden in explanations


@dataclass(frozen=True)
class FindingRef:
    """``finding ID`` or ``not finding ID``."""

    rule_id: str
    negated: bool
    text: str
    location: str


@dataclass(frozen=True)
class All:
    """Every child holds."""

    children: tuple[Condition, ...]
    location: str


@dataclass(frozen=True)
class AnyOf:
    """At least one child holds."""

    children: tuple[Condition, ...]
    location: str


Condition = Union[Leaf, FindingRef, All, AnyOf]  # noqa: UP007 - recursive alias needs Union


def leaves(cond: Condition) -> list[Leaf | FindingRef]:
    """Every leaf of a condition, in order."""
    if isinstance(cond, Leaf | FindingRef):
        return [cond]
    out: list[Leaf | FindingRef] = []
    for child in cond.children:
        out.extend(leaves(child))
    return out


def finding_refs(cond: Condition) -> list[FindingRef]:
    """Every ``finding`` reference in a condition."""
    return [leaf for leaf in leaves(cond) if isinstance(leaf, FindingRef)]


@dataclass
class Problems:
    """Collects located problems while parsing; see :class:`screening.errors.Problem`."""

    items: list[tuple[str, str, str]]

    def add(self, location: str, code: str, message: str) -> None:
        """Record a problem."""
        self.items.append((location, code, message))


def suggest(word: str, choices: typing.Iterable[str]) -> str:
    """`` (did you mean `x`?)`` for the closest choice, or an empty string."""
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean `{match[0]}`?)" if match else ""


def check_mapping(
    where: typing.Callable[[tuple[str | int, ...]], str],
    key: tuple[str | int, ...],
    raw: Any,
    problems: list[Problem],
    *,
    allowed: typing.Collection[str],
    required: typing.Sequence[str],
    what: str,
    invalid_code: str,
    needs: str = "",
) -> bool:
    """Whether ``raw`` (an item of a rule file, at ``key``) is a mapping with only ``allowed``
    keys (did-you-mean for the others) and every ``required`` one; each problem is located.

    ``what`` names the item in messages ("a rule is a mapping"); ``needs`` (default ``what``)
    starts the missing-key message ("rule needs `id`").
    """
    if not isinstance(raw, dict):
        problems.append(Problem(where(key), invalid_code, f"{what} is a mapping"))
        return False
    before = len(problems)
    for k in sorted(set(raw) - set(allowed)):
        problems.append(
            Problem(where((*key, k)), "unknown-key", f"unknown key `{k}`{suggest(k, allowed)}")
        )
    for k in required:
        if not raw.get(k):
            problems.append(Problem(where(key), "missing-key", f"{needs or what} needs `{k}`"))
    return len(problems) == before


def parse_condition(
    raw: Any,
    where: typing.Callable[[tuple[str | int, ...]], str],
    key: tuple[str | int, ...],
    problems: Problems,
    reference_names: typing.Collection[str],
) -> Condition | None:
    """Parse a ``when`` value (list, ``all``/``any`` mapping, or one leaf string)."""
    loc = where(key)
    if isinstance(raw, list):
        children = [
            parse_condition(item, where, (*key, i), problems, reference_names)
            for i, item in enumerate(raw)
        ]
        if not raw:
            problems.add(loc, "empty-condition", "a condition list must not be empty")
            return None
        if any(c is None for c in children):
            return None
        return All(tuple(c for c in children if c is not None), loc)
    if isinstance(raw, dict):
        if len(raw) != 1 or next(iter(raw)) not in ("all", "any"):
            keys = ", ".join(f"`{k}`" for k in raw)
            problems.add(loc, "invalid-condition", f"expected `all:` or `any:`, got {keys}")
            return None
        name, items = next(iter(raw.items()))
        if not isinstance(items, list) or not items:
            problems.add(loc, "invalid-condition", f"`{name}:` needs a non-empty list")
            return None
        children = [
            parse_condition(item, where, (*key, name, i), problems, reference_names)
            for i, item in enumerate(items)
        ]
        if any(c is None for c in children):
            return None
        parts = tuple(c for c in children if c is not None)
        return All(parts, loc) if name == "all" else AnyOf(parts, loc)
    if isinstance(raw, str):
        return parse_leaf(raw, loc, problems, reference_names)
    problems.add(loc, "invalid-condition", f"expected a condition, got `{raw!r}`")
    return None


def parse_leaf(
    text: str, loc: str, problems: Problems, reference_names: typing.Collection[str]
) -> Leaf | FindingRef | None:
    """Parse and check one leaf condition string."""
    text = " ".join(text.split())
    m = _FINDING.match(text)
    if m:
        return FindingRef(m.group("id"), bool(m.group("neg")), text, loc)
    m = _LEAF.match(text)
    if not m:
        problems.add(
            loc,
            "invalid-condition",
            f"cannot read `{text}`: expected `PATH OPERATOR VALUE` or `finding RULE_ID`",
        )
        return None
    path, op, raw_value = m.group("path"), m.group("op"), m.group("value")
    info = field_info(path)
    if info is None:
        problems.add(loc, "unknown-fact", f"no fact `{path}`{suggest(path, all_paths())}")
        return None
    annotation = info[0]
    ref_match = _REF.match(raw_value)
    if ref_match:
        name = ref_match.group("name")
        if name not in reference_names:
            problems.add(
                loc,
                "unknown-reference",
                f"no reference list `@{name}`{suggest(name, reference_names)}",
            )
            return None
        if op not in ("in", "not in", "contains any", "contains none"):
            problems.add(
                loc, "invalid-operator", f"`@{name}` needs `in`, `not in` or `contains any`"
            )
            return None
        if not _is_text(annotation) and not _is_text_list(annotation):
            problems.add(loc, "type-mismatch", f"`{path}` is not text and cannot be in a list")
            return None
        return Leaf(path, op, (), text, loc, ref=name)
    try:
        literal = _literal(raw_value)
    except Exception:
        problems.add(loc, "invalid-value", f"cannot read the value `{raw_value}`")
        return None
    if op == "is":
        if not isinstance(literal, bool):
            problems.add(loc, "invalid-value", f"`is` takes `true` or `false`, got `{raw_value}`")
            return None
        op = "=="
    value = _coerce(path, op, literal, annotation, loc, problems, raw_value)
    if value is None:
        return None
    return Leaf(path, op, value, text, loc)


# Scalars whose YAML reading is certain (tests/test_speed_paths.py checks each against ruamel):
# a decimal integer, true/false, a word of letters, digits and underscores, a word quoted with
# "" or '' (no escapes), a date YYYY-MM-DD, a flow list of such words (a lower-case word may end
# in a parenthesized part: `i(a)`). Words YAML 1.2 reads as booleans or null, in any case, are
# left to ruamel; YAML 1.1's yes/no/on/off/y/n are text in YAML 1.2, which ruamel reads (the
# tests compare every shortcut reading with ruamel's). With the shipped rules every value is
# read here, so a rulebook read from its cache imports no ruamel.
_INT = re.compile(r"0|[1-9][0-9]{0,17}")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_QUOTED = re.compile(r'"([A-Za-z0-9_]*)"|\'([A-Za-z0-9_]*)\'')
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ITEM = r'(?:[a-z][a-z0-9_]*(?:\([a-z0-9]+\))?|"[A-Za-z0-9_]*")'
_ITEMS = re.compile(rf"\[({_ITEM}(?:, {_ITEM})*)\]")
_NOT_WORDS = frozenset({"true", "false", "null"})


def _plain(raw: str) -> tuple[bool, Any]:
    """(True, value) when ``raw`` is a scalar read without ruamel, else (False, None)."""
    if _INT.fullmatch(raw):
        return True, int(raw)
    if raw in ("true", "false"):
        return True, raw == "true"
    if _WORD.fullmatch(raw):
        return raw.lower() not in _NOT_WORDS, raw
    m = _QUOTED.fullmatch(raw)
    if m:
        return True, m.group(1) if m.group(1) is not None else m.group(2)
    if _DATE.fullmatch(raw):
        try:
            return True, dt.date.fromisoformat(raw)
        except ValueError:
            return False, None  # not a calendar date: ruamel's error
    m = _ITEMS.fullmatch(raw)
    if m:
        items = m.group(1).split(", ")
        if _NOT_WORDS.intersection(items):
            return False, None
        return True, [i[1:-1] if i.startswith('"') else i for i in items]
    return False, None


@functools.cache
def _safe_yaml() -> Any:
    from ruamel.yaml import YAML  # only for a value the shortcut cannot read

    return YAML(typ="safe", pure=True)


@functools.lru_cache(maxsize=4096)
def _read_literal(raw: str) -> Any:
    known, value = _plain(raw)
    return value if known else _safe_yaml().load(raw)


def _literal(raw: str) -> Any:
    """A condition's value as YAML reads it; remembered per text (a rulebook repeats a few
    hundred values across its conditions, and ruamel's pure-Python reader is slow)."""
    value = _read_literal(raw)
    return copy.deepcopy(value) if isinstance(value, list | dict) else value


def _base(annotation: Any) -> Any:
    """Strip ``| None`` from an annotation."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is Union:
        # A number that may be known only as a range compares like a number.
        args = [
            a
            for a in typing.get_args(annotation)
            if a is not type(None) and a is not Range and a is not AtLeast
        ]
        return args[0] if len(args) == 1 else annotation
    return annotation


def _is_text(annotation: Any) -> bool:
    return _base(annotation) is str


def _is_text_list(annotation: Any) -> bool:
    base = _base(annotation)
    return typing.get_origin(base) is list and typing.get_args(base) == (str,)


def _check_enum(path: str, value: str, loc: str, problems: Problems) -> bool:
    allowed = ENUMS.get(path)
    if allowed is not None and value not in allowed:
        problems.add(
            loc, "unknown-value", f"`{value}` is not a value of `{path}`{suggest(value, allowed)}"
        )
        return False
    if path in COUNTRY_PATHS and not is_alpha_2(value):
        problems.add(loc, "unknown-value", f"`{value}` is not an ISO 3166-1 alpha-2 country code")
        return False
    return True


# Thresholds the engine can hold exactly: finite, at most THRESHOLD_MAX in magnitude, at most
# THRESHOLD_PLACES decimal places (the grid of screening.engine.compiler.engine_number; kept equal
# to the deal model's bounds in screening.model.basetypes). docs/authoring.md "Limits".
THRESHOLD_PLACES = 6
THRESHOLD_MAX = Decimal(10**12)
_NUMBER = re.compile(r"^[+-]?(\d[\d_]*)?(\.\d*)?([eE][+-]?\d+)?$")


def _threshold(raw: str, literal: Any, loc: str, problems: Problems) -> Decimal | None:
    """The exact value of a numeric literal, read from its text (never through a float)."""
    text = raw.strip().replace("_", "")
    value: Decimal | None = None
    if _NUMBER.match(text) and len(text) <= 40:
        try:
            value = Decimal(text)
        except ArithmeticError:
            value = None
    if value is None or not value.is_finite():
        problems.add(loc, "invalid-value", f"`{raw}` is not a finite number")
        return None
    if value.copy_abs() > THRESHOLD_MAX:
        problems.add(
            loc,
            "invalid-value",
            f"`{raw}` is out of range (at most {THRESHOLD_MAX:,} in magnitude)",
        )
        return None
    if value != value.quantize(Decimal(1).scaleb(-THRESHOLD_PLACES)):
        problems.add(
            loc, "invalid-value", f"`{raw}` has more than {THRESHOLD_PLACES} decimal places"
        )
        return None
    return value


def _coerce(
    path: str,
    op: str,
    literal: Any,
    annotation: Any,
    loc: str,
    problems: Problems,
    raw: str = "",
) -> Value | None:
    base = _base(annotation)
    if _is_text_list(annotation):
        if op == "contains":
            if not isinstance(literal, str):
                problems.add(loc, "type-mismatch", f"`{path}` contains text, not `{literal}`")
                return None
            return literal if _check_enum(path, literal, loc, problems) else None
        if op in ("contains any", "contains none"):
            if not isinstance(literal, list) or not all(isinstance(x, str) for x in literal):
                problems.add(loc, "type-mismatch", f"`{op}` needs a list of text values")
                return None
            ok = all(_check_enum(path, x, loc, problems) for x in literal)
            return tuple(sorted(literal)) if ok else None
        problems.add(
            loc, "invalid-operator", f"`{path}` is a list: use `contains` or `contains any`"
        )
        return None
    if op in ("contains", "contains any", "contains none"):
        problems.add(loc, "invalid-operator", f"`{op}` needs a list fact; `{path}` is not a list")
        return None
    if base is bool:
        if op not in ("==", "!=") or not isinstance(literal, bool):
            problems.add(
                loc, "type-mismatch", f"`{path}` is true or false: use `is true`/`is false`"
            )
            return None
        return literal
    if base in (int, Decimal):
        if (
            op in ("in", "not in")
            or isinstance(literal, bool)
            or not isinstance(literal, int | float)
        ):
            problems.add(loc, "type-mismatch", f"`{path}` is a number: compare it with a number")
            return None
        return _threshold(raw, literal, loc, problems)
    if base is dt.date:
        if op in ("in", "not in"):
            problems.add(loc, "type-mismatch", f"`{path}` is a date: compare it with a date")
            return None
        if isinstance(literal, dt.datetime):
            problems.add(loc, "type-mismatch", f"`{path}` is a date: give YYYY-MM-DD, not a time")
            return None
        if isinstance(literal, dt.date):
            return literal
        problems.add(loc, "type-mismatch", f"`{path}` is a date: compare it with YYYY-MM-DD")
        return None
    if base is str:
        if op in ("in", "not in"):
            if not isinstance(literal, list) or not all(isinstance(x, str) for x in literal):
                problems.add(loc, "type-mismatch", f"`{op}` needs a list of text values")
                return None
            ok = all(_check_enum(path, x, loc, problems) for x in literal)
            return tuple(sorted(literal)) if ok else None
        if op not in ("==", "!="):
            problems.add(loc, "invalid-operator", f"`{path}` is text: use `==`, `!=`, `in`")
            return None
        if not isinstance(literal, str):
            problems.add(loc, "type-mismatch", f"`{path}` is text, not `{literal}`")
            return None
        return literal if _check_enum(path, literal, loc, problems) else None
    problems.add(loc, "type-mismatch", f"`{path}` cannot be used in a condition")
    return None
