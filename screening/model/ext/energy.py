"""Deal-record facts: clean-energy credits at stake and ties to prohibited foreign entities.

The credit claimant is the deal's U.S. business (the target); the counterparty is the investor
(shareholder, lender, licensor or supplier). Ownership and debt shares are after the deal.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from pydantic import Field

from screening.model.basetypes import Record
from screening.model.ext.credits import CreditProject, TechnologyAgreement
from screening.model.numbers import PercentValue


class Credit(StrEnum):
    """Credits with prohibited-foreign-entity restrictions (OBBBA, Pub. L. 119-21)."""

    s45y = "45Y"
    s48e = "48E"
    s45x = "45X"


class MacrCategory(StrEnum):
    """What the material-assistance cost ratio is measured for (IRC 7701(a)(52))."""

    qualified_facility = "qualified_facility"
    energy_storage = "energy_storage"
    solar_component = "solar_component"
    inverter = "inverter"
    battery_component = "battery_component"
    wind_component = "wind_component"
    critical_mineral = "critical_mineral"


class EnergyCredit(Record):
    """Clean-energy tax credits a party claims and its ties to prohibited foreign entities."""

    credits: list[Credit] | None = Field(
        None, description="credits the target claims or plans to claim; [] = none"
    )
    taxable_year_begins: dt.date | None = Field(
        None, description="first day of the claimant's taxable year the deal falls in"
    )
    macr_category: MacrCategory | None = Field(
        None, description="material-assistance table the claimant falls under"
    )
    macr_year: Annotated[int, Field(ge=2020, le=2100)] | None = Field(
        None,
        description="year construction begins (45Y/48E) or the component is sold (45X)",
    )
    macr_pct: PercentValue | None = Field(
        None,
        description="material assistance cost ratio of the facility or component, after the deal",
    )
    other_sfe_ownership_pct: PercentValue | None = Field(
        None,
        description="claimant ownership held by specified foreign entities other than the investor",
    )
    largest_other_sfe_pct: PercentValue | None = Field(
        None, description="largest single stake among those other specified foreign entities"
    )
    sfe_debt_pct: PercentValue | None = Field(
        None,
        description="share of the claimant's debt held by SFEs, this deal included",
    )
    counterparty_fie: bool | None = Field(
        None,
        description=(
            "the counterparty (e.g. a supplier) is a foreign-influenced entity under IRC "
            "7701(a)(51)(D), as determined on the date the statute names; None = not determined"
        ),
    )
    sfe_can_appoint_officer: bool | None = Field(
        None, description="a specified foreign entity can directly appoint a covered officer"
    )
    effective_control_payment: bool | None = Field(
        None,
        description=(
            "the claimant pays a specified foreign entity under a contract or licence giving it "
            "effective control of the facility or of the 45X production"
        ),
    )
    agreement: TechnologyAgreement | None = Field(
        None,
        description="a licence, technology, services or supply agreement (effective control)",
    )
    project: CreditProject | None = Field(
        None, description="the facility or component: technology and dates (termination, recapture)"
    )
