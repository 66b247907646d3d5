"""Deal-record facts: clean-energy credit terms beyond ownership (OBBBA, Pub. L. 119-21).

Two fact sets hang off the deal's ``energy`` block:

- ``agreement``: a licence, technology, services or supply agreement between the claimant (the
  target) and a contractual counterparty (by default the investor), recorded term by term so
  that "effective control" (IRC 7701(a)(51)(D)(ii)) is judged from the terms, and a
  licensing-only deal (a U.S. maker building cells under a Chinese licence) is screened;
- ``project``: the facility or component the credit is claimed for (technology, dates), for the
  wind and solar termination (45Y(d)(4), 48E(e)(4)), the 45X phase-outs, 48E recapture
  (IRC 50(a)(4)) and the bar on transferring credits to a specified foreign entity (6418(g)(5)).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import Field

from screening.model.basetypes import Record

Years = Annotated[Decimal, Field(ge=0, le=200, description="a duration in years")]


class AgreementKind(StrEnum):
    """What the agreement with the contractual counterparty is."""

    ip_licence = "ip_licence"
    ip_purchase = "ip_purchase"
    services = "services"
    supply = "supply"
    offtake = "offtake"
    other = "other"


class ContractRight(StrEnum):
    """Rights the counterparty holds under the agreement, IRC 7701(a)(51)(D)(ii)(II)-(III)."""

    # (II): any contract, agreement or arrangement (until Treasury guidance issues)
    production_quantity_timing = "production_quantity_timing"  # (aa)
    generation_storage_timing = "generation_storage_timing"  # (bb)
    component_output_buyers = "component_output_buyers"  # (cc)
    facility_output_buyers = "facility_output_buyers"  # (dd)
    restrict_data_or_site_access = "restrict_data_or_site_access"  # (ee)
    exclusive_operation_maintenance = "exclusive_operation_maintenance"  # (ff)
    # (III): a licence of intellectual property (or a related agreement)
    direct_sourcing = "direct_sourcing"  # (AA)
    direct_operation = "direct_operation"  # (BB)
    limit_ip_use = "limit_ip_use"  # (CC)


class TechnologyAgreement(Record):
    """A licence, technology, services or supply agreement of the claimant."""

    kind: AgreementKind | None = Field(None, description="what sort of agreement it is")
    counterparty_name: str | None = Field(
        None, max_length=200, description="the contractual counterparty; omitted = the investor"
    )
    counterparty_sfe: bool | None = Field(
        None,
        description=(
            "a counterparty other than the investor is a specified foreign entity "
            "(7701(a)(51)(B)); for the investor this is derived"
        ),
    )
    relates_to_credit_property: bool | None = Field(
        None,
        description=(
            "it concerns a qualified facility, energy storage technology or the production of an "
            "eligible component of the claimant (or a related person)"
        ),
    )
    rights: list[ContractRight] | None = Field(
        None, description="rights the counterparty holds; [] = none of the listed rights"
    )
    royalty_years: Years | None = Field(
        None,
        description=(
            "years over which the counterparty may receive royalties or related payments, "
            "modifications and extensions included"
        ),
    )
    services_years: Years | None = Field(
        None,
        description=(
            "longest services agreement the counterparty can require the claimant to enter, "
            "modifications and extensions included"
        ),
    )
    full_know_how: bool | None = Field(
        None,
        description=(
            "the claimant gets all technical data and know-how needed to produce without further "
            "involvement of the counterparty or an SFE"
        ),
    )
    ip_reverts: bool | None = Field(
        None, description="an IP purchase: ownership reverts to the counterparty after a time"
    )
    entered_on: dt.date | None = Field(None, description="date the agreement was entered into")
    modified_on: dt.date | None = Field(None, description="latest modification or extension")
    payments: bool | None = Field(
        None, description="the claimant pays the counterparty under the agreement"
    )
    payments_from: dt.date | None = Field(None, description="first payment to the counterparty")
    payments_until: dt.date | None = Field(None, description="last payment to the counterparty")


class Technology(StrEnum):
    """What a qualified facility uses to produce (or store) electricity."""

    wind = "wind"
    solar = "solar"
    storage = "storage"
    other = "other"


class CreditProject(Record):
    """The facility or the component the credit is claimed for."""

    technology: Technology | None = Field(
        None, description="45Y/48E facility: wind, solar, storage or other"
    )
    construction_began: dt.date | None = Field(
        None, description="date construction of the facility began (Notices 2013-29, 2025-42)"
    )
    placed_in_service: dt.date | None = Field(
        None, description="date the facility is (or is planned to be) placed in service"
    )
    component_year: Annotated[int, Field(ge=2020, le=2100)] | None = Field(
        None,
        description="45X: calendar year the component is produced and sold (kind: macr_category)",
    )
    transfer_to_investor: bool | None = Field(
        None, description="the claimant elects to transfer (sell) the credit to the investor (6418)"
    )
