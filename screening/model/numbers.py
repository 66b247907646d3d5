"""Numbers known exactly or only within bounds, and three-valued arithmetic over them.

A percentage or amount in a deal record is either a number (``30``) or a :class:`Range`
(``{min: 50}``, ``{max: 36}``, ``{min: 10, max: 20}``, ``{more_than: 50}``, ``{less_than: 50}``,
or the words ``majority`` and ``minority``). A comparison against a range is true or false when
every value in the range gives the same answer, and unknown otherwise; sums and products carry
their bounds (interval arithmetic), so a derived number is a range whenever an input is.

Deal values carry at most 6 decimal places, so a strict bound is the closed bound one step
(0.000001) inside it: "more than 50" is "at least 50.000001". That makes every comparison exact
with two closed bounds, in the Python evaluator and in durable-rules alike.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    Field,
    PlainSerializer,
    PlainValidator,
    SerializationInfo,
    ValidationError,
    WithJsonSchema,
    model_validator,
)

from screening.model.basetypes import MAX_NUMBER, Record, check_places

Tri = bool | None
STEP = Decimal("0.000001")
ZERO = Decimal(0)
HUNDRED = Decimal(100)
WORDS = {
    "majority": {"more_than": 50},
    "minority": {"less_than": 50},
}


class Range(Record):
    """A number known only within bounds; at least one bound is given."""

    min: Decimal | None = Field(None, ge=0, description="at least this value (inclusive)")
    max: Decimal | None = Field(None, ge=0, description="at most this value (inclusive)")
    more_than: Decimal | None = Field(
        None, ge=0, description="more than this value (exclusive); `majority` is more than 50"
    )
    less_than: Decimal | None = Field(
        None, ge=0, description="less than this value (exclusive); `minority` is less than 50"
    )

    @model_validator(mode="after")
    def _consistent(self) -> Range:
        if self.min is not None and self.more_than is not None:
            raise ValueError("give `min` or `more_than`, not both")
        if self.max is not None and self.less_than is not None:
            raise ValueError("give `max` or `less_than`, not both")
        lo, hi = self.lo, self.hi
        if lo is None and hi is None:
            raise ValueError("a range needs `min`, `max`, `more_than` or `less_than`")
        if lo is not None and hi is not None and lo > hi:
            raise ValueError("the range is empty: its lower bound is above its upper bound")
        return self

    @property
    def lo(self) -> Decimal | None:
        """The least value in the range (closed), or None when unbounded below."""
        if self.more_than is not None:
            return self.more_than + STEP
        return self.min

    @property
    def hi(self) -> Decimal | None:
        """The greatest value in the range (closed), or None when unbounded above."""
        if self.less_than is not None:
            return self.less_than - STEP
        return self.max


Num = Decimal | Range


def bounds(x: Num) -> tuple[Decimal | None, Decimal | None]:
    """(least, greatest) value of a number or range; None where unbounded."""
    if isinstance(x, Range):
        return x.lo, x.hi
    return x, x


def compare(x: Num, op: str, c: Decimal | int) -> Tri:
    """``x op c`` in three-valued logic: decided where the range decides it."""
    if not isinstance(x, Range):
        v = x
        if op == ">=":
            return v >= c
        if op == ">":
            return v > c
        if op == "<=":
            return v <= c
        if op == "<":
            return v < c
        if op == "==":
            return v == c
        return v != c
    lo, hi = x.lo, x.hi
    if op in (">=", ">"):
        strict = op == ">"
        if lo is not None and (lo > c if strict else lo >= c):
            return True
        if hi is not None and (hi <= c if strict else hi < c):
            return False
        return None
    if op in ("<=", "<"):
        flipped = compare(x, ">" if op == "<=" else ">=", c)
        return None if flipped is None else not flipped
    equal: Tri = None
    if (lo is not None and lo > c) or (hi is not None and hi < c):
        equal = False
    elif lo is not None and hi is not None and lo == hi == c:
        equal = True
    if op == "==":
        return equal
    return None if equal is None else not equal


def ge(x: Num | None, c: Decimal | int) -> Tri:
    """``x >= c``; unknown when x is unknown or the range does not decide it."""
    if x.__class__ is Decimal:  # what compare() does for a number, without its dispatch
        return x >= c
    return None if x is None else compare(x, ">=", c)


def gt(x: Num | None, c: Decimal | int) -> Tri:
    """``x > c``, three-valued."""
    if x.__class__ is Decimal:
        return x > c
    return None if x is None else compare(x, ">", c)


def lt(x: Num | None, c: Decimal | int) -> Tri:
    """``x < c``, three-valued."""
    return None if x is None else compare(x, "<", c)


def make(lo: Decimal | None, hi: Decimal | None) -> Num:
    """A number when the bounds meet, else a range (at least one bound must be given)."""
    if lo is not None and hi is not None and lo == hi:
        return lo
    return Range(min=lo, max=hi)


def add(a: Num, b: Num) -> Num:
    """``a + b`` with bounds."""
    (alo, ahi), (blo, bhi) = bounds(a), bounds(b)
    lo = alo + blo if alo is not None and blo is not None else None
    hi = ahi + bhi if ahi is not None and bhi is not None else None
    return make(lo if lo is not None else ZERO, hi)


def pct_of(a: Num, b: Num) -> Num:
    """``a × b / 100`` for two percentages (each between 0 and 100)."""
    (alo, ahi), (blo, bhi) = pct_bounds(a), pct_bounds(b)
    return make(alo * blo / HUNDRED, ahi * bhi / HUNDRED)


def pct_bounds(x: Num) -> tuple[Decimal, Decimal]:
    """Bounds of a percentage, 0 and 100 where the range leaves them open."""
    lo, hi = bounds(x)
    return (lo if lo is not None else ZERO), (hi if hi is not None else HUNDRED)


def cap(x: Num, c: Decimal) -> Num:
    """``min(x, c)`` with bounds."""
    lo, hi = bounds(x)
    return make(
        min(lo, c) if lo is not None else ZERO,
        min(hi, c) if hi is not None else c,
    )


def larger(a: Num | None, b: Num | None) -> Num | None:
    """``max(a, b)`` with bounds; a side that is unknown is ignored (as for a holding)."""
    if a is None or b is None:
        return a if b is None else b
    (alo, ahi), (blo, bhi) = bounds(a), bounds(b)
    lo = max(x for x in (alo, blo) if x is not None) if alo is not None or blo is not None else None
    hi = max(ahi, bhi) if ahi is not None and bhi is not None else None
    return make(lo if lo is not None else ZERO, hi)


def least(x: Num | None) -> Decimal | None:
    """The least value a number can have (a range's lower bound), None if unknown."""
    if x is None:
        return None
    return bounds(x)[0]


def exact(x: Num | None) -> Decimal | None:
    """The value when it is known exactly, else None."""
    return x if isinstance(x, Decimal) else None


def number_text(v: Decimal, unit: str) -> str:
    """One number as :func:`render` shows it (and `render_value` a number of a fact)."""
    text = format(v.normalize(), "f")
    if "." not in text and abs(v) >= 10000:
        text = f"{int(v):,}"
    if unit == "%":
        return f"{text}%"
    if unit == "USD":
        return f"${text}"
    return f"{text} {unit}".rstrip()


def render(x: Num, unit: str = "") -> str:
    """A number or range as explanations show it: ``30%``, ``at least 50%``, ``10–20%``."""
    if not isinstance(x, Range):
        return number_text(x, unit)

    def one(v: Decimal) -> str:
        return number_text(v, unit)

    lo, hi = x.lo, x.hi
    if lo == ZERO and hi == HUNDRED and unit == "%":
        return f"{one(ZERO)} to {one(HUNDRED)}"
    if lo == ZERO and hi is not None:
        lo = None  # "at most 36%" rather than "0% to 36%"
    if unit == "%" and hi == HUNDRED and lo is not None:
        hi = None  # "more than 50%" rather than "more than 50% to 100%"
    if lo is None and hi is None:
        return f"{one(ZERO)} to {one(HUNDRED if unit == '%' else x.hi or ZERO)}"
    low = "" if lo is None else _side(lo, one, True, "at least ")
    high = "" if hi is None else _side(hi, one, False, "at most ")
    if low.startswith("at least ") and high.startswith("at most "):
        return f"{one(lo)} to {one(hi)}"  # type: ignore[arg-type]
    return " and ".join(p for p in (low, high) if p)


def _side(v: Decimal, one: Any, low: bool, closed: str = "") -> str:
    """A bound; one that is a strict bound moved one step inside is shown as the strict bound.

    Derived ranges (sums, products) keep a strict bound as its closed step (50.000001); shown as
    "more than 50" it reads as the record said it.
    """
    exponent = v.as_tuple().exponent
    if isinstance(exponent, int) and exponent == -6:
        strict = v - STEP if low else v + STEP
        if strict == strict.to_integral_value() or strict.as_tuple().exponent >= -2:  # type: ignore[operator]
            return f"{'more' if low else 'less'} than {one(strict)}"
    return f"{closed}{one(v)}"


def jsonable(x: Range) -> dict[str, str]:
    """A range as JSON: its given bounds as exact decimal strings."""
    return {k: format(v.normalize(), "f") for k, v in x.model_dump(exclude_none=True).items()}


def _number_or_range(value: Any, upper: Decimal | None, what: str) -> Num:
    """Validate a number or range (one message per mistake, not one per union member)."""
    if isinstance(value, Range):
        result: Num = value
    elif isinstance(value, str) and value.strip().lower() in WORDS:
        result = Range.model_validate(WORDS[value.strip().lower()])
    elif isinstance(value, dict):
        try:
            result = Range.model_validate(value)
        except ValidationError as exc:
            err = exc.errors(include_url=False)[0]
            where = ".".join(str(p) for p in err["loc"])
            msg = str(err["msg"]).removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown bound: use min, max, more_than or less_than"
            raise ValueError(f"{where + ': ' if where else ''}{msg[0].lower() + msg[1:]}") from None
    elif isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise ValueError(f"expected {what}")
    else:
        try:
            result = Decimal(str(value).strip())
        except ArithmeticError:
            raise ValueError(f"expected {what}") from None
        if not result.is_finite():
            raise ValueError(f"expected {what}")
    for v in (result,) if isinstance(result, Decimal) else _given(result):
        if v < 0:
            raise ValueError("input should be greater than or equal to 0")
        if upper is not None and v > upper:
            raise ValueError(f"input should be less than or equal to {upper}")
        # The bounds of every deal number (basetypes.Number), with the same messages: at most
        # 6 places and 10^12 in magnitude, so each bound has an exact engine code.
        check_places(v)
    return result


def _given(r: Range) -> list[Decimal]:
    return [v for v in (r.min, r.max, r.more_than, r.less_than) if v is not None]


def _schema(description: str, words: bool, upper: int | None = None) -> dict[str, Any]:
    bounds_schema = Range.model_json_schema()
    bounds_schema.pop("title", None)
    top = upper if upper is not None else int(MAX_NUMBER)
    for bound in bounds_schema["properties"].values():
        for option in bound.get("anyOf", [bound]):
            if option.get("type") == "number":
                option["maximum"] = top
    number: dict[str, Any] = {"type": "number", "minimum": 0, "maximum": top}
    # A number may also be written as a decimal string ("12.5"), as pydantic dumps decimals.
    text = {"type": "string", "pattern": r"^\s*[0-9]+(\.[0-9]+)?\s*$"}
    options: list[dict[str, Any]] = [number, text, bounds_schema]
    if words:
        options.append({"enum": sorted(WORDS), "description": "more than 50 / less than 50"})
    return {"anyOf": options, "description": description}


def _serialize(value: Num, info: SerializationInfo) -> Any:
    if info.mode_is_json():
        if isinstance(value, Range):
            return value.model_dump(mode="json", exclude_none=True)
        return str(value)
    return value


_SERIALIZER = PlainSerializer(_serialize, return_type=Any, when_used="always")

_PERCENT = (
    "a percentage from 0 to 100, or a range: {min: 50}, {max: 36}, {min: 10, max: 20}, "
    "{more_than: 50}, {less_than: 50}, majority (more than 50), minority (less than 50)"
)
_MONEY = "an amount in U.S. dollars, or a range such as {min: 100000000}"
_MILES = "a distance in miles, or an estimate as a range such as {min: 5, max: 20}"

PercentValue = Annotated[
    Decimal | Range,
    PlainValidator(lambda v: _number_or_range(v, HUNDRED, "a percentage from 0 to 100 or a range")),
    WithJsonSchema(_schema(_PERCENT, words=True, upper=100)),
    _SERIALIZER,
]
MoneyValue = Annotated[
    Decimal | Range,
    PlainValidator(lambda v: _number_or_range(v, MAX_NUMBER, "an amount or a range")),
    WithJsonSchema(_schema(_MONEY, words=False)),
    _SERIALIZER,
]
MilesValue = Annotated[
    Decimal | Range,
    PlainValidator(lambda v: _number_or_range(v, None, "a distance in miles or a range")),
    WithJsonSchema(_schema(_MILES, words=False)),
    _SERIALIZER,
]
