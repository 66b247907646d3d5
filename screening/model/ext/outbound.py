"""Deal-record facts: a U.S. person's investment in a person of a country of concern (31 CFR 850).

The ``investor`` of the deal is the U.S. person (or its controlled foreign entity) and the
``target`` the foreign company, the joint venture or the fund's portfolio company. This record
carries what part 850 asks beyond that: the transaction type (850.210(a)), knowledge (850.216),
the target's covered activities (850.217, 850.224) with their technical parameters, the 50%
financial test (850.209(a)(2)), the restricted lists of 850.224(m) and the facts behind the
excepted transactions of 850.501. Every fact left out is unknown.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field

from screening.model.basetypes import Country, Number, Record
from screening.model.numbers import MoneyValue, PercentValue

Activity = Literal[
    "eda_software",
    "front_end_fab_equipment",
    "advanced_packaging_equipment",
    "euv_items",
    "ic_design",
    "ic_fabrication",
    "ic_packaging",
    "supercomputer",
    "quantum_computer",
    "quantum_sensing",
    "quantum_networking",
    "ai_development",
]
"""What the covered foreign person (or JV) does, in the terms of 850.217 and 850.224."""

IcType = Literal["logic", "nand", "dram", "other"]
AiUse = Literal["cybersecurity", "digital_forensics", "penetration_testing", "robotic_control"]
OutboundList = Literal[
    "bis_entity_list",
    "bis_meu_list",
    "military_intelligence_end_user",
    "ofac_sdn",
    "ofac_sdn_50pct_owned",
    "ns_cmic",
    "fto",
]
"""The lists and designations of 850.224(m)(1)-(6)."""

TransactionType = Literal[
    "equity",
    "contingent_equity",
    "debt",
    "conversion",
    "greenfield",
    "joint_venture",
    "lp_interest",
]
"""850.210(a)(1)-(6): equity or contingent equity, debt, conversion, greenfield, JV, LP."""


class Outbound(Record):
    """A U.S. person's investment in a person of a country of concern (31 CFR part 850)."""

    transaction_type: TransactionType | None = Field(
        None, description="850.210(a): which kind of transaction the U.S. person undertakes"
    )
    us_person: bool | None = Field(
        None, description="override: the investor is a U.S. person (850.229)"
    )
    knows_relevant_facts: bool | None = Field(
        None,
        description="the U.S. person knows, or has reason to know, the facts that make the "
        "counterparty covered (850.216, 850.104)",
    )
    official_usg_business: bool | None = Field(
        None, description="for the official business of the U.S. Government (850.210(b)(2))"
    )
    # Who the counterparty is
    counterparty_coc_person: bool | None = Field(
        None, description="override: the target (JV partner) is a person of a country of concern"
    )
    target_principal_place_of_business: Country | None = Field(
        None, description="target's principal place of business (850.221(b))"
    )
    target_headquarters: Country | None = Field(
        None, description="country of the target's headquarters (850.221(b))"
    )
    target_coc_owned_pct: PercentValue | None = Field(
        None,
        description="aggregate voting, board or equity interest held by persons of a country of "
        "concern (850.221(c)-(e))",
    )
    revenue_from_covered_pct: PercentValue | None = Field(
        None, description="share of revenue derived from covered foreign persons (850.209(a)(2)(i))"
    )
    net_income_from_covered_pct: PercentValue | None = Field(
        None, description="share of net income from covered foreign persons (850.209(a)(2)(ii))"
    )
    capex_from_covered_pct: PercentValue | None = Field(
        None,
        description="share of capital expenditure on covered foreign persons (850.209(a)(2)(iii))",
    )
    opex_from_covered_pct: PercentValue | None = Field(
        None,
        description="share of operating expenses on covered foreign persons (850.209(a)(2)(iv))",
    )
    # Activities and technical parameters
    activities: list[Activity] | None = Field(
        None,
        description="covered activities of the target or JV (or, for a holding company under the "
        "50% test, of the persons it derives its revenue from); [] = none",
    )
    ic_meets_3a090a: bool | None = Field(None, description="designed ICs meet ECCN 3A090.a")
    ic_cryogenic: bool | None = Field(
        None, description="ICs designed for operation at or below 4.5 K"
    )
    fabricated_ic_types: list[IcType] | None = Field(
        None, description="IC types fabricated (850.224(c), 850.217(b))"
    )
    logic_node_nm: Number | None = Field(
        None, gt=0, description="logic production node (16/14 = 16)"
    )
    logic_non_planar: bool | None = Field(None, description="logic ICs use non-planar transistors")
    nand_layers: Annotated[int, Field(ge=1, le=10000)] | None = Field(
        None, description="NAND memory layers"
    )
    dram_half_pitch_nm: Number | None = Field(None, description="DRAM half-pitch in nm", gt=0)
    gallium_based: bool | None = Field(None, description="ICs from a gallium-based compound")
    graphene_or_cnt: bool | None = Field(None, description="ICs using graphene transistors or CNTs")
    advanced_packaging: bool | None = Field(None, description="packages ICs with 2.5D/3D (850.201)")
    supercomputer_dp_pflops: Number | None = Field(
        None, description="supercomputer double-precision petaflops", ge=0
    )
    supercomputer_sp_pflops: Number | None = Field(
        None, description="supercomputer single-precision petaflops", ge=0
    )
    supercomputer_volume_cu_ft: Number | None = Field(
        None, description="supercomputer envelope in cubic feet", ge=0
    )
    quantum_end_use_covered: bool | None = Field(
        None,
        description="quantum sensing for military/intelligence/mass-surveillance use, or quantum "
        "networking for scaling quantum computers, secure communications or such uses "
        "(850.224(h)-(i))",
    )
    ai_exclusive_military_or_surveillance: bool | None = Field(
        None, description="AI designed to be exclusively used for, or intended for, 850.224(j) uses"
    )
    ai_designed_for_military_or_surveillance: bool | None = Field(
        None,
        description="AI designed for any military, intelligence or surveillance use "
        "(850.217(d)(1))",
    )
    ai_intended_uses: list[AiUse] | None = Field(None, description="850.217(d)(2) intended uses")
    ai_training_operations: Annotated[int, Field(ge=0, le=10**40)] | None = Field(
        None, description="computational operations used to train the AI system"
    )
    ai_primarily_biological_data: bool | None = Field(
        None, description="AI trained primarily on biological sequence data (850.224(l))"
    )
    # Listed parties, 850.224(m)
    target_lists: list[OutboundList] | None = Field(
        None,
        description="850.224(m) lists naming the target; [] = none; omitted = not known (the "
        "prohibition of 850.224(m) stays an open question)",
    )
    # Debt, conversion, funds
    debt_equity_like_rights: bool | None = Field(
        None, description="profit interest, board appointment or similar rights (850.210(a)(2))"
    )
    contingent_equity_acquired_on: dt.date | None = Field(
        None, description="date the contingent equity was acquired (850.210)"
    )
    fund_is_us_person: bool | None = Field(None, description="the fund is a U.S. person")
    fund_likely_invests_in_coc_tech: bool | None = Field(
        None, description="the fund likely will invest in PRC semiconductors, quantum or AI"
    )
    # Excepted transactions, 850.501
    publicly_traded_security: bool | None = Field(
        None, description="a publicly traded security (850.501(a)(1)(i))"
    )
    registered_fund_security: bool | None = Field(
        None, description="a registered fund security (850.501(a)(1)(ii))"
    )
    lp_committed_capital_usd: MoneyValue | None = Field(
        None, description="LP capital committed to the fund (850.501(a)(1)(iii))"
    )
    lp_binding_assurance: bool | None = Field(
        None, description="binding assurance the LP capital is not used for covered transactions"
    )
    derivative_without_equity_rights: bool | None = Field(
        None, description="a derivative conferring no equity rights (850.501(a)(1)(iv))"
    )
    rights_beyond_minority_protections: bool | None = Field(
        None, description="override: rights beyond the 850.501(a)(2) minority protections"
    )
    full_buyout_of_coc_persons: bool | None = Field(
        None,
        description="buys all interests held by persons of a country of concern, after which "
        "the entity is no longer a covered foreign person (850.501(b))",
    )
    intra_cfe_support: bool | None = Field(
        None, description="850.501(c) transaction with its own CFE"
    )
    uncalled_commitment_date: dt.date | None = Field(
        None, description="date of the binding uncalled capital commitment called (850.501(d))"
    )
    syndicated_loan_default: bool | None = Field(
        None, description="acquisition on default of a syndicated loan (850.501(e))"
    )
    employee_compensation: bool | None = Field(
        None, description="equity as employee compensation (850.501(f))"
    )
