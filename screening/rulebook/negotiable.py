"""Negotiable terms: which fields of a deal a party can concede, and in which direction.

Declared in the rulebook as data (``rules/negotiable.yaml``, a document with a top-level
``negotiable:`` list), checked when the rulebook loads like any rule file, every problem located
at ``file:line``. Each term names a deal path and its concession:

``lower``      a number to lower; candidate values come from the thresholds the rules compare
               the ``thresholds`` fact paths against (``>= 25`` gives 24.999999, ``> 50`` gives
               50), plus any listed ``values`` and ``below_majority_of`` (the most seats that are
               not a majority of the board size at that path); ``also_lower`` lists
               other numbers brought down to the same value when they are above it (a
               smaller stake lowers the equity interest with the voting interest)
``to_false``   a yes/no term conceded by making it false (no MNPTI access)
``to_true``    conceded by making it true (a passive-investment undertaking)
``remove``     a list whose items can be given up one by one or all together (involvement
               areas, control matters, a co-investor, a business line carved out of the target)
``set``        a named structuring change setting several fields at once (an observer instead
               of a board seat), offered when the ``applies_if`` path holds something

The mitigation search (:mod:`screening.mitigation.mitigate`) reads these; nothing here screens.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from screening.errors import Problem
from screening.facts.view import all_paths, field_info
from screening.model._yaml import Document
from screening.model.numbers import Range
from screening.model.paths import PathError, field_type, is_list, parse_path
from screening.rulebook.conditions import check_mapping, suggest

CONCESSIONS = ("lower", "to_false", "to_true", "remove", "set")
GROUPS = ("stake", "governance", "parties", "structure")
_KEYS = {
    "id",
    "title",
    "path",
    "group",
    "concession",
    "thresholds",
    "values",
    "below_majority_of",
    "also_lower",
    "item_label",
    "set",
    "applies_if",
    "notes",
}


@dataclass(frozen=True)
class NegotiableTerm:
    """One negotiable term of a deal."""

    id: str
    title: str
    path: str
    group: str
    concession: str
    location: str
    thresholds: tuple[str, ...] = ()
    values: tuple[Any, ...] = ()
    below_majority_of: str | None = None
    also_lower: tuple[str, ...] = ()  # for ``lower``: paths brought down to the same value
    item_label: str | None = None
    changes: tuple[tuple[str, Any], ...] = ()  # for ``set``: (deal path, value)
    applies_if: str | None = None
    notes: str = ""


def is_negotiable_document(data: Any) -> bool:
    """Whether a rulebook document declares negotiable terms (a top-level ``negotiable:``)."""
    return isinstance(data, dict) and "negotiable" in data


def _check_deal_path(
    doc: Document, key: tuple[str | int, ...], text: Any, problems: list[Problem]
) -> Any:
    where = doc.where(key)
    if not isinstance(text, str):
        problems.append(Problem(where, "invalid-path", "expected a deal path such as `a.b`"))
        return None
    try:
        return field_type(parse_path(text))
    except PathError as exc:
        problems.append(Problem(where, "unknown-path", f"`{text}`: {exc}"))
        return None


def parse_negotiable(doc: Document, problems: list[Problem]) -> list[NegotiableTerm]:
    """The terms a negotiable document declares; problems are appended, located."""
    data = doc.data
    raw_terms = data.get("negotiable") if isinstance(data, dict) else None
    if not isinstance(raw_terms, list):
        problems.append(
            Problem(doc.where(("negotiable",)), "invalid-negotiable", "`negotiable:` is a list")
        )
        return []
    for key in sorted(set(data) - {"negotiable", "notes"}):
        problems.append(Problem(doc.where((key,)), "unknown-key", f"unknown key `{key}`"))
    out: list[NegotiableTerm] = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_terms):
        term = _parse_term(doc, ("negotiable", i), raw, problems)
        if term is None:
            continue
        if term.id in seen:
            problems.append(
                Problem(term.location, "duplicate-term", f"term `{term.id}` is declared twice")
            )
            continue
        seen.add(term.id)
        out.append(term)
    return out


def _parse_term(
    doc: Document, key: tuple[str | int, ...], raw: Any, problems: list[Problem]
) -> NegotiableTerm | None:
    where = doc.where(key)
    before = len(problems)
    if not check_mapping(
        doc.where,
        key,
        raw,
        problems,
        allowed=_KEYS,
        required=("id", "title", "path", "group", "concession"),
        what="a negotiable term",
        invalid_code="invalid-term",
    ):
        return None
    concession, group = str(raw["concession"]), str(raw["group"])
    if concession not in CONCESSIONS:
        problems.append(
            Problem(
                doc.where((*key, "concession")),
                "invalid-concession",
                f"`{concession}` is not one of {', '.join(CONCESSIONS)}"
                f"{suggest(concession, CONCESSIONS)}",
            )
        )
    if group not in GROUPS:
        problems.append(
            Problem(
                doc.where((*key, "group")),
                "invalid-group",
                f"`{group}` is not one of {', '.join(GROUPS)}{suggest(group, GROUPS)}",
            )
        )
    annotation = _check_deal_path(doc, (*key, "path"), raw["path"], problems)
    if annotation is not None:
        expected = {
            "lower": (annotation in (int, Decimal), "a number"),
            "to_false": (annotation is bool, "true or false"),
            "to_true": (annotation is bool, "true or false"),
            "remove": (is_list(annotation), "a list"),
            "set": (True, ""),
        }.get(concession, (True, ""))
        if not expected[0]:
            problems.append(
                Problem(
                    doc.where((*key, "path")),
                    "invalid-concession",
                    f"`{concession}` needs a path holding {expected[1]}; `{raw['path']}` does not",
                )
            )
    thresholds = _fact_paths(doc, key, raw.get("thresholds"), problems)
    if concession == "lower" and not raw.get("thresholds") and not raw.get("values"):
        problems.append(
            Problem(where, "missing-key", "a `lower` term needs `thresholds` or `values`")
        )
    values = raw.get("values") or []
    if not isinstance(values, list) or not all(
        isinstance(v, int | Decimal) and not isinstance(v, bool) for v in values
    ):
        problems.append(
            Problem(doc.where((*key, "values")), "invalid-values", "`values` is a list of numbers")
        )
        values = []
    majority = raw.get("below_majority_of")
    if majority is not None:
        _check_deal_path(doc, (*key, "below_majority_of"), majority, problems)
    also = raw.get("also_lower") or []
    if not isinstance(also, list) or not all(isinstance(p, str) for p in also):
        problems.append(
            Problem(doc.where((*key, "also_lower")), "invalid-path", "`also_lower` is a list")
        )
        also = []
    for i, path in enumerate(also):
        kind = _check_deal_path(doc, (*key, "also_lower", i), path, problems)
        if kind is not None and kind not in (int, Decimal):
            problems.append(
                Problem(
                    doc.where((*key, "also_lower", i)), "type-mismatch", f"`{path}` is not a number"
                )
            )
    applies_if = raw.get("applies_if")
    if applies_if is not None:
        _check_deal_path(doc, (*key, "applies_if"), applies_if, problems)
    changes: list[tuple[str, Any]] = []
    raw_set = raw.get("set")
    if concession == "set":
        if not isinstance(raw_set, dict) or not raw_set:
            problems.append(
                Problem(where, "missing-key", "a `set` term needs `set:` (deal path: value)")
            )
        else:
            for path, value in raw_set.items():
                _check_deal_path(doc, (*key, "set", path), path, problems)
                changes.append((str(path), value))
    elif raw_set is not None:
        problems.append(Problem(doc.where((*key, "set")), "invalid-key", "only `set` has `set:`"))
    if len(problems) > before:
        return None
    return NegotiableTerm(
        id=str(raw["id"]),
        title=" ".join(str(raw["title"]).split()),
        path=str(raw["path"]),
        group=group,
        concession=concession,
        location=where,
        thresholds=tuple(thresholds),
        values=tuple(Decimal(str(v)) for v in values),
        below_majority_of=str(majority) if majority is not None else None,
        also_lower=tuple(str(p) for p in also),
        item_label=str(raw["item_label"]) if raw.get("item_label") else None,
        changes=tuple(changes),
        applies_if=str(applies_if) if applies_if is not None else None,
        notes=" ".join(str(raw.get("notes") or "").split()),
    )


def _fact_paths(
    doc: Document, key: tuple[str | int, ...], raw: Any, problems: list[Problem]
) -> list[str]:
    if raw is None:
        return []
    where = doc.where((*key, "thresholds"))
    if not isinstance(raw, list) or not all(isinstance(p, str) for p in raw):
        problems.append(
            Problem(where, "invalid-thresholds", "`thresholds` is a list of fact paths")
        )
        return []
    out = []
    for i, path in enumerate(raw):
        info = field_info(path)
        loc = doc.where((*key, "thresholds", i))
        if info is None:
            problems.append(
                Problem(loc, "unknown-fact", f"no fact `{path}`{suggest(path, all_paths())}")
            )
        elif _number(info[0]):
            out.append(path)
        else:
            problems.append(Problem(loc, "type-mismatch", f"`{path}` is not a number"))
    return out


def _number(annotation: Any) -> bool:
    import types as _types
    import typing

    if isinstance(annotation, _types.UnionType) or typing.get_origin(annotation) is not None:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if set(args) == {Decimal, Range}:
            return True  # a number that may be known only as a range
        annotation = args[0] if len(args) == 1 else annotation
    return annotation in (int, Decimal)


__all__ = ["CONCESSIONS", "GROUPS", "NegotiableTerm", "is_negotiable_document", "parse_negotiable"]
