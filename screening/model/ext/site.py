"""Deal-record facts: Land or a facility, for covered real estate (31 CFR part 802).

A site says where the real estate is (coordinates, or the distance to the nearest installation
listed in Appendix A to part 802 and which one), what the foreign person gets (the transaction type
and the 802.233 property rights) and the facts behind the 802.216 exceptions. Every fact left out
is unknown.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from screening.model.basetypes import Number, Record
from screening.model.numbers import MilesValue, PercentValue

PropertyRight = Literal["access", "exclude", "improve", "attach"]
"""The property rights of 31 CFR 802.233(a)(1)-(4)."""


class Site(Record):
    """Land or a facility, for covered real estate (31 CFR part 802)."""

    name: str | None = Field(None, description="the site's name", max_length=200)
    state: str | None = Field(None, pattern=r"^[A-Z]{2}$", description="U.S. state or territory")
    county: str | None = Field(None, description="county or equivalent", max_length=100)
    latitude: Number | None = Field(None, ge=-90, le=90, description="decimal degrees (WGS 84)")
    longitude: Number | None = Field(None, ge=-180, le=180, description="decimal degrees (WGS 84)")
    transaction: Literal["purchase", "lease", "concession", "other"] | None = Field(
        None,
        description="purchase (802.234), lease (802.226), concession (802.206) or other "
        "(e.g. a right of way that conveys no possessory interest, 802.226(b)(1))",
    )
    property_rights: list[PropertyRight] | None = Field(
        None, description="802.233 rights the foreign person gets, exercised or not; [] = none"
    )
    nearest_installation: str | None = Field(
        None, max_length=200, description="nearest Appendix A installation, as named in the list"
    )
    installation_part: Literal[1, 2, 3, 4] | None = Field(
        None,
        description="part of Appendix A listing that installation (used when the shipped list "
        "does not carry it)",
    )
    miles_to_installation: MilesValue | None = Field(
        None,
        description="miles from the installation's boundary (802.203, 802.217); an estimate as "
        "a range, e.g. {min: 5, max: 20}",
    )
    no_installation_within_miles: Number | None = Field(
        None,
        ge=0,
        description="no listed installation lies within this many miles (e.g. 100): says how "
        "far the nearest one is at least, without a distance",
    )
    in_missile_field_area: bool | None = Field(
        None, description="in a county or area listed in Part 3 of Appendix A (802.211(b)(3))"
    )
    in_offshore_range: bool | None = Field(
        None,
        description="in a Part 4 off-shore range or operating area, within the territorial sea "
        "(802.211(b)(4))",
    )
    covered_port: bool | None = Field(
        None, description="is, is in, or will function as part of a covered port (802.210)"
    )
    urban_area: bool | None = Field(
        None, description="in an urbanized area (802.240) or urban cluster (802.239)"
    )
    single_housing_unit: bool | None = Field(
        None, description="a single housing unit with incidental fixtures and land (802.216(d))"
    )
    port_retail_only: bool | None = Field(
        None,
        description="port lease/concession usable only for retail to the public (802.216(e)(2))",
    )
    foreign_air_carrier_use: bool | None = Field(
        None,
        description="port lease/concession to a TSA-approved foreign air carrier for its carrier "
        "activities (802.216(e)(1))",
    )
    multi_unit_commercial_space: bool | None = Field(
        None, description="commercial space in a multi-unit building (802.216(f))"
    )
    commercial_sqft_pct: PercentValue | None = Field(
        None, description="share of the building's commercial square footage held with affiliates"
    )
    commercial_tenant_pct: PercentValue | None = Field(
        None,
        description="share of the building's commercial tenants that are it and its affiliates",
    )
    tribal_land: bool | None = Field(
        None, description="Alaska Native land or land held in trust for Indian tribes (802.216(g))"
    )
