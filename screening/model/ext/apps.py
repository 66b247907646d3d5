"""Deal-record facts: a consumer application (PAFACA) and connected vehicles (15 CFR 791 D)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field

from screening.model.basetypes import Count, Country, Record
from screening.model.numbers import PercentValue


class App(Record):
    """A consumer application or data platform the target operates (PAFACA)."""

    name: str | None = Field(None, description="the application's name", max_length=200)
    user_content: bool | None = Field(
        None, description="users create accounts and create, share or view content"
    )
    primary_purpose: Literal["social_content", "reviews", "travel", "other"] | None = Field(
        None, description="reviews and travel-information apps are excluded from covered companies"
    )
    monthly_active_users: list[Count] | None = Field(
        None, max_length=3, description="monthly active users in each of the last three months"
    )
    operator_principal_place_of_business: Country | None = Field(
        None, description="operator's principal place of business"
    )
    other_foreign_adversary_pct: PercentValue | None = Field(
        None,
        description="stake in the operator held by other persons of foreign adversary countries",
    )
    subject_to_adversary_direction: bool | None = Field(
        None, description="the operator is subject to the direction or control of such a person"
    )
    designated: bool | None = Field(
        None,
        description="named in the Act (ByteDance, TikTok) or subject to a determination",
    )
    determination_date: dt.date | None = Field(
        None,
        description="date of the determination, or of naming in the Act (Apr. 24, 2024)",
    )
    qualified_divestiture: bool | None = Field(
        None, description="a qualified divestiture was completed (PAFACA)"
    )


class ConnectedVehicle(Record):
    """Connected-vehicle systems the target imports, makes or sells (15 CFR part 791 subpart D)."""

    role: Literal["vehicle_manufacturer", "vcs_hardware_importer"] | None = Field(
        None, description="vehicle manufacturer or VCS hardware importer"
    )
    gvwr_lb: Count | None = Field(None, description="gross vehicle weight rating, pounds")
    model_year: Annotated[int, Field(ge=2000, le=2100)] | None = Field(
        None, description="vehicle model year"
    )
    import_date: dt.date | None = Field(
        None, description="import date of VCS hardware units without a model year"
    )
    sold_in_us: bool | None = Field(None, description="vehicles are imported or sold in the U.S.")
    vcs_hardware_adversary: bool | None = Field(
        None,
        description="VCS hardware designed, made or supplied by PRC- or Russia-linked persons",
    )
    vcs_software_adversary: bool | None = Field(
        None, description="VCS software from PRC- or Russia-linked persons"
    )
    ads_software_adversary: bool | None = Field(
        None, description="ADS software from PRC- or Russia-linked persons"
    )
    manufacturer_adversary_linked: bool | None = Field(
        None,
        description="the manufacturer is owned by, controlled by or subject to the PRC or Russia",
    )
    specific_authorization: bool | None = Field(
        None, description="BIS granted a specific authorization covering these vehicles or units"
    )
