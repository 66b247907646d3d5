"""Deal-record facts: the supply or offtake terms a deal team negotiates.

A long-term supply or offtake often comes with terms that matter beyond the goods: a prepayment
(financing), a security interest securing it, exclusivity, a share of the output, a technology
licence or know-how transfer, access to technical information. The block records them term by
term; rules read the terms the law gives a consequence (31 CFR 800.211(b)(1) and 800.232,
800.306; the EAR's release of technology, 15 CFR 734.13-734.15; clean-energy effective control,
IRC 7701(a)(51)(D)). Terms no rule weighs (exclusivity, volume share, a prepayment alone) are
shown as context. Every fact left out is unknown.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from screening.model.basetypes import Record
from screening.model.numbers import MoneyValue, PercentValue


class SupplyDirection(StrEnum):
    """Who supplies whom under the agreement."""

    investor_buys = "investor_buys"
    investor_supplies = "investor_supplies"


class Collateral(StrEnum):
    """What a security interest is taken over."""

    plant = "plant"
    equipment = "equipment"
    intellectual_property = "intellectual_property"
    inventory = "inventory"
    receivables = "receivables"
    shares = "shares"
    other = "other"


class SupplyTerms(Record):
    """The terms of a supply or offtake agreement between the investor and the U.S. business."""

    direction: SupplyDirection | None = Field(
        None,
        description="investor_buys: an offtake (the investor buys the U.S. business's output); "
        "investor_supplies: the investor supplies the U.S. business",
    )
    prepayment_usd: MoneyValue | None = Field(
        None,
        description="amount paid in advance by the buyer (a financing of the seller); a range if "
        "only bounds are known; 0 = none",
    )
    supply_credit: bool | None = Field(
        None,
        description="the investor, supplying the U.S. business, extends credit for the goods "
        "(deferred payment beyond ordinary trade terms): a financing of the U.S. business like a "
        "prepayment (31 CFR 800.306(a)); false = none",
    )
    security_interest: bool | None = Field(
        None,
        description="the prepayment or supply credit is secured by an interest in the U.S. "
        "business's assets or shares (a lender's position, 31 CFR 800.306)",
    )
    collateral: list[Collateral] | None = Field(
        None, description="what the security interest is taken over; [] = nothing"
    )
    default_control_likely: bool | None = Field(
        None,
        description="because of an imminent or actual default or another condition, there is a "
        "significant possibility that the investor obtains control of the U.S. business (or "
        "800.211(b) rights) as a result of the default or other condition, whether or not the "
        "financing is secured (800.306(a)(1), example (d)(2))",
    )
    equity_like_rights: bool | None = Field(
        None,
        description="the financing gives the investor an interest in profits, a right to appoint "
        "directors or comparable rights characteristic of an equity investment, not of a typical "
        "loan (800.306(b))",
    )
    exclusive: bool | None = Field(
        None,
        description="exclusivity: the U.S. business sells only to (or buys only from) the "
        "investor for the agreement's products (recorded and shown; no rule weighs it)",
    )
    volume_share_pct: PercentValue | None = Field(
        None,
        description="share of the U.S. business's output (offtake) or needs (supply) the "
        "agreement covers (recorded and shown; no rule weighs it)",
    )
    know_how_to_investor: bool | None = Field(
        None,
        description="the U.S. business transfers technology or know-how to the investor or its "
        "staff under the agreement (a release or export under the EAR, 15 CFR 734.13-734.15: "
        "record its classification in `export_control`)",
    )
    licence_from_investor: bool | None = Field(
        None,
        description="the investor licenses technology or intellectual property to the U.S. "
        "business under the agreement (clean-energy effective control: record its terms in "
        "`energy.agreement`)",
    )
    technical_information_to_investor: bool | None = Field(
        None,
        description="the investor gets access to material nonpublic technical information of "
        "the U.S. business (800.232) under the agreement, e.g. process or design data to "
        "qualify the supply; an 800.211(b)(1) right when the investor also invests",
    )
