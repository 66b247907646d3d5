"""Deal-record facts: goods in a supply partnership and their origin (UFLPA, Section 301)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import Field

from screening.model.basetypes import Country, Record


class Section301Product(StrEnum):
    """Product groups of the Section 301 (China) four-year review table."""

    electric_vehicles = "electric_vehicles"
    lithium_ion_ev_batteries = "lithium_ion_ev_batteries"
    battery_parts = "battery_parts"
    lithium_ion_non_ev_batteries = "lithium_ion_non_ev_batteries"
    natural_graphite = "natural_graphite"
    permanent_magnets = "permanent_magnets"
    other_critical_minerals = "other_critical_minerals"
    solar_cells = "solar_cells"
    semiconductors = "semiconductors"
    steel_aluminum = "steel_aluminum"
    polysilicon_wafers = "polysilicon_wafers"
    tungsten_products = "tungsten_products"
    other = "other"


class Goods(Record):
    """Goods supplied under the deal."""

    description: str = Field(description="the goods in plain words", min_length=1, max_length=300)
    product: Section301Product | None = Field(None, description="Section 301 product group, if any")
    hts: str | None = Field(
        None, description="HTS code (e.g. 8507.60)", pattern=r"^[0-9]{4}(\.[0-9]{2}){0,3}$"
    )
    origin: Country | None = Field(None, description="country of origin for customs purposes")
    xinjiang_content: bool | None = Field(
        None,
        description="mined, produced or manufactured wholly or in part in Xinjiang, at any tier",
    )
    producer_uflpa_listed: bool | None = Field(
        None,
        description="made wholly or in part by an entity on the UFLPA Entity List, at any tier",
    )


class SupplyChain(Record):
    """Goods in a supply partnership and their origin (UFLPA, Section 301)."""

    goods: list[Goods] | None = Field(None, description="goods supplied; [] = none")
    imported_into_us: bool | None = Field(
        None, description="the goods are entered into the United States"
    )
    cbp_exception: bool | None = Field(
        None,
        description=(
            "CBP granted a UFLPA exception (clear and convincing evidence of no forced labor) "
            "or found no Xinjiang/listed-entity nexus in an applicability review"
        ),
    )
    first_entry: dt.date | None = Field(None, description="date of the first entry of the goods")
