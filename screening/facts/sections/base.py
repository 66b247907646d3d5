"""The base of fact-view sections and the three-valued connectives they use."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any, TypeVar, cast

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


_M = TypeVar("_M", bound=BaseModel)
_Spec = tuple[dict[str, Any], frozenset[str] | None, tuple[tuple[str, Callable[[], Any]], ...]]
_SPECS: dict[type[BaseModel], _Spec | None] = {}
_new = object.__new__
# BaseModel's slots, set through their descriptors (quicker than object.__setattr__ by name).
_set_dict = BaseModel.__dict__["__dict__"].__set__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__


def built(cls: type[_M], /, **values: Any) -> _M:
    """``cls(**values)`` without validating values the derivation computed itself (a fact
    section, the fact view): the instance validation makes, with the fields in order, defaults
    filled in and only the fields given counted as set. The values are taken as given (a list
    is not copied). A required field missing or an unknown key falls back to validation, which
    names it; so does a model with private attributes, a post-init hook, a validator, a
    constrained field or a mutable default. ``tests/test_derive_built.py`` holds every fixture's
    and 300 generated deals' fact views built this way to the validated ones."""
    if len(values) == 1:  # a section only one fact of which is given (a block not recorded)
        ((name, value),) = values.items()
        if value is None or value is True or value is False:
            one = _ONE.get((cls, name, value))
            if one is None:
                one = _built(cls, values)
                if cls.model_config.get("frozen"):
                    _ONE[(cls, name, value)] = one
            return one  # type: ignore[return-value]
    return _built(cls, values)


_ONE: dict[tuple[type[BaseModel], str, bool | None], BaseModel] = {}
"""Frozen models made of one field that is None, True or False, made once and shared (they
are immutable; at most three per field of each class)."""


def _built(cls: type[_M], values: dict[str, Any]) -> _M:
    try:
        spec = _SPECS[cls]
    except KeyError:
        spec = _SPECS[cls] = _spec(cls)
    if spec is None:
        return cls(**values)
    template, required, factories = spec
    data = template.copy()
    data.update(values)
    if len(data) != len(template) or (required is not None and not required <= values.keys()):
        return cls(**values)  # an unknown key or a required field missing: validation says so
    for name, factory in factories:
        if name not in values:
            data[name] = factory()
    obj = _new(cls)
    _set_dict(obj, data)
    _set_fields_set(obj, set(values))
    _set_extra(obj, None)
    _set_private(obj, None)
    return obj


def _spec(cls: type[BaseModel]) -> _Spec | None:
    """The field template of a model :func:`built` can make without validation, else None."""
    if cls.__private_attributes__ or cls.__pydantic_post_init__ is not None:
        return None
    decorators = cls.__pydantic_decorators__
    if (
        decorators.validators
        or decorators.field_validators
        or decorators.root_validators
        or decorators.model_validators
    ):
        return None
    if cls.model_config.get("extra") == "allow":
        return None
    template: dict[str, Any] = {}
    required: set[str] = set()
    factories: list[tuple[str, Callable[[], Any]]] = []
    for name, info in cls.model_fields.items():
        if info.validate_default or info.metadata:
            return None  # a constraint (ge=, max_length=...) validation would check
        factory = info.default_factory
        if factory is not None:
            if factory not in (list, dict):
                return None  # a factory that may read other fields: validate
            template[name] = None
            factories.append((name, cast("Callable[[], Any]", factory)))
        elif info.is_required():
            template[name] = None
            required.add(name)
        else:
            try:
                hash(info.default)
            except TypeError:
                return None  # a mutable default validation would copy
            template[name] = info.default
    return template, frozenset(required) if required else None, tuple(factories)
