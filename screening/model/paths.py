"""Paths into a deal record: ``rights.voting_pct``, ``co_investors[0].acts_in_concert``.

A path names a field of the deal model, segment by segment, with ``[i]`` for an item of a list.
:func:`parse_path` splits one; :func:`field_type` checks it against the model without any deal
(the rulebook checks the deal paths of its negotiable terms this way when it loads);
:func:`get_value` reads it from a record (None when a block on the way is absent).
"""

from __future__ import annotations

import re
import types
import typing
from decimal import Decimal
from typing import Any, Union

from pydantic import BaseModel

from screening.model.deal import DEAL_KINDS, Deal, DealBase
from screening.model.numbers import Range

PathPart = str | int

_SEGMENT = re.compile(r"^(?P<name>[a-z_][a-z0-9_]*)(?P<index>(\[[0-9]+\])*)$")


class PathError(ValueError):
    """A path that does not name a field of the deal model; the message says why."""


def parse_path(text: str) -> tuple[PathPart, ...]:
    """``a.b[1].c`` as ``("a", "b", 1, "c")``; a :class:`PathError` if it cannot be read."""
    if not text or text != text.strip():
        raise PathError("expected a path such as `rights.voting_pct`")
    parts: list[PathPart] = []
    for segment in text.split("."):
        m = _SEGMENT.match(segment)
        if not m:
            raise PathError(f"cannot read `{segment}`: expected `name` or `name[INDEX]`")
        parts.append(m.group("name"))
        parts.extend(int(i) for i in re.findall(r"\[([0-9]+)\]", m.group("index")))
    return tuple(parts)


def render_path(parts: tuple[PathPart, ...]) -> str:
    """The inverse of :func:`parse_path`."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _unwrap(annotation: Any) -> Any:
    """Strip ``Annotated`` and ``| None``."""
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is Union:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return _unwrap(args[0])
        if set(args) == {Decimal, Range}:
            return Decimal  # a number that may be known only as a range is a number field
    return annotation


def _deal_models() -> dict[str, type[BaseModel]]:
    args = typing.get_args(_unwrap(Deal.model_fields["root"].annotation))
    models = {m.model_fields["kind"].annotation.__args__[0]: m for m in args}  # Literal["x"]
    return {kind: models[kind] for kind in DEAL_KINDS}


DEAL_MODELS: dict[str, type[BaseModel]] = _deal_models()


def field_type(parts: tuple[PathPart, ...], kind: str | None = None) -> Any:
    """The annotation (unwrapped) of the field a path names, in a deal of ``kind``.

    Without a kind, a field any deal kind has will do. A :class:`PathError` names the first
    segment that does not fit, with the closest field name.
    """
    import difflib

    models: list[Any] = [DEAL_MODELS[kind]] if kind else [DealBase, *DEAL_MODELS.values()]
    last_error = PathError("empty path")
    for model in models:
        current: Any = model
        try:
            for i, part in enumerate(parts):
                where = render_path(parts[: i + 1])
                if isinstance(part, int):
                    if typing.get_origin(current) is not list:
                        raise PathError(f"`{render_path(parts[:i])}` is not a list")
                    current = _unwrap(typing.get_args(current)[0])
                    continue
                if not (isinstance(current, type) and issubclass(current, BaseModel)):
                    raise PathError(f"`{render_path(parts[:i])}` has no fields")
                if part not in current.model_fields:
                    close = difflib.get_close_matches(part, list(current.model_fields), 1, 0.6)
                    hint = f" (did you mean `{close[0]}`?)" if close else ""
                    raise PathError(f"no field `{where}` in a deal record{hint}")
                current = _unwrap(current.model_fields[part].annotation)
            return current
        except PathError as exc:
            last_error = exc
    raise last_error


def get_value(record: Any, parts: tuple[PathPart, ...]) -> Any:
    """The value at a path in a record (None when a block or item on the way is absent)."""
    current = record
    for part in parts:
        if current is None:
            return None
        if isinstance(part, int):
            if not isinstance(current, list | tuple) or part >= len(current):
                return None
            current = current[part]
        elif isinstance(current, dict):
            current = current.get(part)
        else:
            current = getattr(current, part, None)
    return current


def is_list(annotation: Any) -> bool:
    """Whether an unwrapped annotation is a list type."""
    return typing.get_origin(annotation) is list


__all__ = [
    "DEAL_MODELS",
    "PathError",
    "field_type",
    "get_value",
    "is_list",
    "parse_path",
    "render_path",
]
