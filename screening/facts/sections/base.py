"""The base of fact-view sections and the three-valued connectives they use."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

Tri = bool | None
HUNDRED = Decimal(100)


def and3(values: Iterable[Tri]) -> Tri:
    """Kleene conjunction: False if any is False, True if all are True, else unknown."""
    result: Tri = True
    for v in values:
        if v is False:
            return False
        if v is None:
            result = None
    return result


def or3(values: Iterable[Tri]) -> Tri:
    """Kleene disjunction: True if any is True, False if all are False, else unknown."""
    result: Tri = False
    for v in values:
        if v is True:
            return True
        if v is None:
            result = None
    return result


def not3(v: Tri) -> Tri:
    """Kleene negation."""
    return None if v is None else not v


_HAS: dict[tuple[type, str], bool] = {}


def anniversary(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` later (Feb. 29 falls back to Feb. 28)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # Feb. 29
        return day.replace(year=day.year + years, day=28)


def field_or_none(obj: Any, name: str) -> Any:
    """``getattr(obj, name, None)``, without pydantic's slow path for a name a record lacks.

    Deal records differ by kind (an acquisition has ``assets``, an equity stake has not), and a
    missing attribute costs pydantic an exception raised and caught. A record class that cannot
    have the name (not a field, not a class attribute such as a property, no extra or private
    attribute of that name) gives ``None`` at once; the answer is kept per class and name.
    """
    cls = obj.__class__
    has = _HAS.get((cls, name))
    if has is None:
        if len(_HAS) > 4096:  # classes and names come from code, but never grow without bound
            _HAS.clear()
        has = _HAS[(cls, name)] = _may_have(cls, name)
    return getattr(obj, name, None) if has else None


def _may_have(cls: type, name: str) -> bool:
    fields = getattr(cls, "model_fields", None)
    if not isinstance(cls, type) or not issubclass(cls, BaseModel) or fields is None:
        return True  # not a pydantic model: ask getattr
    return (
        name in fields
        or hasattr(cls, name)
        or cls.model_config.get("extra") == "allow"
        or name in (cls.__private_attributes__ or {})
    )


def fact(title: str, unit: str = "") -> Any:
    """A fact field: unknown (None) by default, with the title and unit explanations show."""
    return Field(None, title=title, json_schema_extra={"unit": unit} if unit else None)


class AtLeast(BaseModel):
    """A list fact known only in part: these items, and possibly others.

    ``contains X`` is true when X is known, unknown otherwise; ``contains none`` is false when a
    known item matches, unknown otherwise (a restricted-list membership left unknown).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    known: list[str] = Field(default_factory=list)


class Section(BaseModel):
    """A section of the fact view: one fact asserted into the engine (its validator is built on
    first use, not at import: ``defer_build``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
