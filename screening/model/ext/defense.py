"""Deal-record facts: batteries supplied to the Department of Defense (FY2024 NDAA s.154)."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from screening.model.basetypes import Record


class DefenseSupply(Record):
    """Batteries (or end items using them) the target supplies to defence customers."""

    supplies_dod: bool | None = Field(
        None,
        description=(
            "the target sells batteries, or end items using them, to DoD directly or as a "
            "subcontractor (DoD funds buy them)"
        ),
    )
    cell_makers: list[str] | None = Field(
        None,
        max_length=50,
        description=(
            "makers of the cells or batteries supplied; the investor counts as one in a supply "
            "partnership; [] = none other"
        ),
    )
    supply_until: dt.date | None = Field(
        None, description="last delivery to defence customers under the deal"
    )
