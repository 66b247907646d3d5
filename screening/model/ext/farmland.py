"""Deal-record facts: U.S. agricultural land (AFIDA, 7 U.S.C. 3501-3508; 7 CFR part 781).

The land is held by the deal's target (a U.S. business, a newly formed subsidiary building a
plant) unless ``held_by`` says the investor holds it directly. Whether the holder is a "foreign
person" (7 U.S.C. 3508(3); 7 CFR 781.2) is derived from the parties and the deal's stake.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field

from screening.model.basetypes import Money, Percent, Record


class LandInterest(StrEnum):
    """The interest held or acquired in the land (7 CFR 781.2(c))."""

    ownership = "ownership"
    leasehold = "leasehold"
    security_interest = "security_interest"
    contingent_future_interest = "contingent_future_interest"
    non_possessory_future_interest = "non_possessory_future_interest"
    easement_unrelated = "easement_unrelated"
    mineral_rights_only = "mineral_rights_only"
    other = "other"


class LandUse(StrEnum):
    """What the land is used for (7 CFR 781.2(b))."""

    farming = "farming"
    ranching = "ranching"
    timber = "timber"
    forestry = "forestry"
    industrial = "industrial"
    other = "other"


class Farmland(Record):
    """Land in the United States in which an interest is held or acquired."""

    held_by: Literal["target", "investor"] = Field(
        "target", description="who holds the interest: the target (default) or the investor"
    )
    interest: LandInterest | None = Field(None, description="the kind of interest held in the land")
    lease_years: Annotated[Decimal, Field(ge=0, le=1000)] | None = Field(
        None, description="a leasehold's term in years, renewals the holder controls included"
    )
    uses: list[LandUse] | None = Field(
        None,
        description="current use, or if idle the use in the past five years; [] = none of these",
    )
    acres: Annotated[Decimal, Field(ge=0, le=10**9)] | None = Field(
        None, description="acres held, aggregated over the holder's tracts"
    )
    annual_gross_receipts_usd: Money | None = Field(
        None, description="annual gross receipts from farm, ranch or timber products of the land"
    )
    tree_stocking_pct: Percent | None = Field(
        None, description="share of the land stocked by trees of any size (forestry land)"
    )
    held_before: bool | None = Field(
        None,
        description=(
            "the holder already held the interest before the deal (if it becomes a foreign "
            "person through the deal, 7 U.S.C. 3501(c) applies)"
        ),
    )
    foreign_before: bool | None = Field(
        None, description="the holder was already a foreign person before the deal"
    )
    other_foreign_pct: Percent | None = Field(
        None,
        description="stake in the holder held by foreign persons other than the investor",
    )
    acquired_on: dt.date | None = Field(
        None, description="date the interest is acquired or transferred; omitted = completion"
    )
    state: str | None = Field(None, pattern=r"^[A-Z]{2}$", description="U.S. state (two letters)")
