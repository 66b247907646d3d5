"""Deal-record facts: data brokerage of U.S. individuals' data (PADFA, 15 U.S.C. 9901).

The data broker is the deal's target (a U.S. company that sells, licenses or gives access to
data it did not collect from the individuals); the recipient is the investor and its group,
unless ``role`` says the target receives brokered data.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field

from screening.model.basetypes import Percent, Record


class PadfaCategory(StrEnum):
    """Categories of sensitive data, 15 U.S.C. 9901(c) (list from secondary sources)."""

    government_identifier = "government_identifier"
    health = "health"
    financial = "financial"
    biometric = "biometric"
    genetic = "genetic"
    precise_geolocation = "precise_geolocation"
    private_communications = "private_communications"
    login_credentials = "login_credentials"
    sexual_behaviour = "sexual_behaviour"
    private_files = "private_files"
    intimate_images = "intimate_images"
    online_activity = "online_activity"
    minors = "minors"
    race_religion = "race_religion"
    union_membership = "union_membership"
    armed_forces_status = "armed_forces_status"
    other_identifying = "other_identifying"


class DataBrokerage(Record):
    """Data of U.S. individuals made available for consideration."""

    role: Literal["target_sells", "target_buys"] = Field(
        "target_sells",
        description=(
            "target_sells: the target makes data available (to the investor's group); "
            "target_buys: the target obtains brokered data from U.S. data brokers"
        ),
    )
    to_investor: bool | None = Field(
        None,
        description="target_sells: the data is made available to the investor or its group",
    )
    for_consideration: bool | None = Field(
        None, description="data is sold, licensed, rented, traded or given access to for value"
    )
    collected_directly: bool | None = Field(
        None, description="the seller collected all of it directly from the individuals"
    )
    recipient_service_provider: bool | None = Field(
        None, description="the recipient acts only as a service provider to the seller"
    )
    excluded_activity: bool | None = Field(
        None,
        description=(
            "9901(c)(3)(B): at the individual's request, data not the product or service, news "
            "reporting"
        ),
    )
    categories: list[PadfaCategory] | None = Field(
        None, description="sensitive-data categories; [] = none"
    )
    identifiable: bool | None = Field(
        None, description="identifies or is reasonably linkable to an individual or device"
    )
    us_individuals: bool | None = Field(
        None, description="concerns natural persons residing in the United States"
    )
    recipient_adversary_direction: bool | None = Field(
        None, description="the recipient is subject to the direction or control of an adversary"
    )
    other_adversary_pct: Percent | None = Field(
        None, description="stake in the recipient held by adversary persons other than the investor"
    )
