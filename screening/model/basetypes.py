"""Scalar types and the record base shared by every deal-record module."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import pycountry
from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def _check_country(code: str) -> str:
    if pycountry.countries.get(alpha_2=code) is None and code != "XK":
        raise ValueError(f"`{code}` is not an ISO 3166-1 alpha-2 country code")
    return code


Country = Annotated[
    str,
    Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 country code, e.g. CN, US, GB"),
    AfterValidator(_check_country),
]


def _check_places(value: Decimal) -> Decimal:
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -6:
        raise ValueError("at most 6 decimal places are allowed")
    return value


Percent = Annotated[
    Decimal,
    Field(ge=0, le=100, description="a percentage from 0 to 100"),
    AfterValidator(_check_places),
]
Money = Annotated[
    Decimal,
    Field(ge=0, le=Decimal("1e15"), description="an amount in U.S. dollars"),
    AfterValidator(_check_places),
]
Count = Annotated[int, Field(ge=0, le=10**12)]


class Record(BaseModel):
    """Base of every deal-record model: strict about unknown keys, immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)
