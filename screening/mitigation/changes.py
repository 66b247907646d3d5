"""Changes to a deal record: ``--set rights.voting_pct=24.9``, ``--drop co_investors[0]``.

A :class:`Change` sets the field at a deal path (see :mod:`screening.model.paths`) to a value, or
drops an item of a list. :func:`parse_change` reads the command-line form; :func:`apply_changes`
applies changes to a record and validates the result like a record read from a file: a path the
deal model does not have, or a value the field does not take, is a
:class:`~screening.errors.UsageError` located at the change (``--set rights.voting_pct=120:
$.rights.voting_pct: input should be less than or equal to 100``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from screening.errors import Problem, UsageError
from screening.model._yaml import DocumentError, parse
from screening.model.deal import Deal, DealRecord
from screening.model.loader import json_path
from screening.model.paths import (
    PathError,
    PathPart,
    field_type,
    get_value,
    is_list,
    parse_path,
    render_path,
)

Op = Literal["set", "drop"]


class Change(BaseModel):
    """One change to a deal: set the field at ``path`` to ``value``, or drop a list item."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str
    op: Op = "set"
    value: Any = None

    @property
    def option(self) -> str:
        """The command-line form: ``--set a.b=v`` or ``--drop a[0]``."""
        if self.op == "drop":
            return f"--drop {self.path}"
        return f"--set {self.path}={render_literal(self.value)}"

    @property
    def parts(self) -> tuple[PathPart, ...]:
        """The path, split."""
        return parse_path(self.path)


def render_literal(value: Any) -> str:
    """A value as it would be typed after ``--set path=``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(render_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {render_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def parse_change(text: str, op: Op = "set") -> Change:
    """Read ``path=value`` (``op="set"``) or ``path[i]`` (``op="drop"``), checking the path."""
    where = f"--{op} {text}"
    if op == "drop":
        path = text.strip()
        value: Any = None
    else:
        path, sep, raw = text.partition("=")
        path = path.strip()
        if not sep:
            raise UsageError.one(where, "invalid-change", "expected `PATH=VALUE`")
        if not raw.strip():
            raise UsageError.one(where, "invalid-change", "expected a value after `=`")
        try:
            value = parse(raw.strip(), where).data
        except DocumentError as exc:
            raise UsageError.one(
                where, "invalid-change", f"cannot read the value: {exc.problems[0].message}"
            ) from None
    change = Change(path=path, op=op, value=value)
    check_path(change, where)
    return change


def check_path(change: Change, where: str, kind: str | None = None) -> None:
    """A UsageError unless the change's path names a field of the deal model."""
    try:
        parts = parse_path(change.path)
        annotation = field_type(parts, kind)
    except PathError as exc:
        raise UsageError.one(where, "unknown-path", str(exc)) from None
    if parts[0] == "kind":
        raise UsageError.one(where, "invalid-change", "the deal kind cannot be changed")
    if change.op == "drop" and not isinstance(parts[-1], int):
        raise UsageError.one(where, "invalid-change", "`--drop` takes a list item: `path[INDEX]`")
    del annotation


def _set(data: Any, parts: tuple[PathPart, ...], change: Change, where: str) -> None:
    node = data
    for i, part in enumerate(parts[:-1]):
        nxt = node[part] if isinstance(part, int) else node.get(part)
        if nxt is None:
            if isinstance(part, int):
                raise UsageError.one(
                    where, "invalid-change", f"`{render_path(parts[: i + 1])}`: no such item"
                )
            nxt = node[part] = {}  # a block the record leaves out: start it
        node = nxt
    last = parts[-1]
    if isinstance(last, int):
        if not isinstance(node, list) or last >= len(node):
            raise UsageError.one(where, "invalid-change", f"`{change.path}`: no such item")
        if change.op == "drop":
            del node[last]
        else:
            node[last] = change.value
    else:
        node[last] = change.value


def apply_changes(deal: DealRecord, changes: list[Change] | tuple[Change, ...]) -> DealRecord:
    """The deal with the changes applied in order, validated like a record read from a file."""
    if not changes:
        return deal
    data = deal.model_dump(mode="python", exclude_unset=False)
    for change in changes:
        where = change.option
        check_path(change, where, deal.kind)
        parts = parse_path(change.path)
        if isinstance(parts[-1], int) or change.op == "drop":
            container = get_value(data, parts[:-1])
            if not isinstance(container, list):
                raise UsageError.one(
                    where, "invalid-change", f"`{render_path(parts[:-1])}` holds no list"
                )
        _set(data, parts, change, where)
    try:
        return Deal.model_validate(data).root
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            loc = tuple(p for p in err["loc"] if p != deal.kind)
            culprit = _culprit(changes, loc)
            msg = str(err["msg"])
            msg = msg.removeprefix("Value error, ")
            message = f"{json_path(loc)}: {msg[:1].lower() + msg[1:]}"
            problems.append(Problem(culprit, "invalid-change", message))
        raise UsageError(problems) from None


def _culprit(changes: list[Change] | tuple[Change, ...], loc: tuple[Any, ...]) -> str:
    """The change whose path the error lies under (the last one that fits)."""
    for change in reversed(changes):
        parts = parse_path(change.path)
        if tuple(loc[: len(parts)]) == parts or parts[: len(loc)] == tuple(loc):
            return change.option
    return changes[-1].option


def describe_value(deal: DealRecord, path: str) -> Any:
    """The current value at a deal path (None when absent)."""
    return get_value(deal, parse_path(path))


def path_is_list(path: str) -> bool:
    """Whether a deal path names a list field."""
    return is_list(field_type(parse_path(path)))


__all__ = [
    "Change",
    "apply_changes",
    "check_path",
    "describe_value",
    "parse_change",
    "path_is_list",
    "render_literal",
]
