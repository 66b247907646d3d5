"""Scalar types and the record base shared by every deal-record module."""

from __future__ import annotations

import functools
import json
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from screening.model._files import package_dir


@functools.cache
def _alpha_2() -> frozenset[str]:
    """pycountry's ISO 3166-1 alpha-2 codes, lower case, read from its database file without
    importing pycountry (its import reads the metadata of every installed distribution, a
    tenth of a cold start); from pycountry itself if the file is not where it keeps it."""
    folder = package_dir("pycountry")
    try:
        if folder is None:
            raise FileNotFoundError("pycountry")
        tree = json.loads((folder / "databases" / "iso3166-1.json").read_text(encoding="utf-8"))
        return frozenset(entry["alpha_2"].lower() for entry in tree["3166-1"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        import pycountry

        return frozenset(c.alpha_2.lower() for c in pycountry.countries)


def is_alpha_2(code: Any) -> bool:
    """``pycountry.countries.get(alpha_2=code) is not None``: any case; LookupError for a
    value that is not text, as pycountry raises."""
    if not isinstance(code, str):
        raise LookupError(code)
    return code.lower() in _alpha_2()


def _check_country(code: str) -> str:
    if not is_alpha_2(code) and code != "XK":
        raise ValueError(f"`{code}` is not an ISO 3166-1 alpha-2 country code")
    return code


Country = Annotated[
    str,
    Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 country code, e.g. CN, US, GB"),
    AfterValidator(_check_country),
]


# Every number a deal may carry: at most PLACES decimal places and at most MAX_NUMBER in
# magnitude. The engine compares numbers as exact scaled integers within these bounds
# (screening.engine.compiler.engine_number); docs/deals.md "Limits" states them.
PLACES = 6
MAX_NUMBER = Decimal(10**12)


def check_places(value: Decimal) -> Decimal:
    """A deal number's bounds: finite, at most MAX_NUMBER in magnitude, at most PLACES places."""
    if not value.is_finite():
        raise ValueError("a number must be finite")
    if value.copy_abs() > MAX_NUMBER:
        raise ValueError(f"at most {MAX_NUMBER:,} in magnitude is allowed")
    if value != value.quantize(Decimal(1).scaleb(-PLACES)):
        raise ValueError(f"at most {PLACES} decimal places are allowed")
    return value


Number = Annotated[Decimal, AfterValidator(check_places)]


Percent = Annotated[
    Decimal,
    Field(ge=0, le=100, description="a percentage from 0 to 100"),
    AfterValidator(check_places),
]
Money = Annotated[
    Decimal,
    Field(ge=0, le=MAX_NUMBER, description="an amount in U.S. dollars"),
    AfterValidator(check_places),
]
Count = Annotated[int, Field(ge=0, le=int(MAX_NUMBER))]


class Record(BaseModel):
    """Base of every deal-record model: strict about unknown keys, immutable.

    Validators are built on first use (``defer_build``): most record models are only ever
    validated as part of a :class:`~screening.model.deal.Deal`, whose validator holds them all,
    so building one per class at import only cost the cold start.
    """

    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=True, defer_build=True
    )
