"""Deal-record facts: technology shared in a deal and export controls (EAR, 15 CFR 730-774).

The recipient of the technology is the deal's counterparty (the investor: a JV partner, a
licensee, a customer) and the foreign nationals it sends; ``recipient_parties`` names the
parties that receive it when that is known (a co-investor may, or may not). ``eccn`` is the
classification of the technology or source code released (``EAR99`` for items subject to the
EAR but not on the CCL).
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from screening.model.basetypes import Country, Percent, Record


class ReviewPolicy(StrEnum):
    """License review policy in an Entity List entry (15 CFR 744.16(c))."""

    presumption_of_denial = "presumption_of_denial"
    case_by_case = "case_by_case"
    presumption_of_approval = "presumption_of_approval"


class TechnologyRelease(Record):
    """Technology or source code released or exported to the counterparty in the deal."""

    releases_technology: bool | None = Field(
        None,
        description=(
            "technology or source code is released (visual inspection, oral or written exchange, "
            "access) or exported to the counterparty or its foreign-national staff"
        ),
    )
    exports_items: bool | None = Field(
        None, description="commodities or software subject to the EAR go to the counterparty"
    )
    published_or_fundamental: bool | None = Field(
        None,
        description="everything shared is published or fundamental research (not subject to EAR)",
    )
    eccn: str | None = Field(
        None,
        pattern=r"^(EAR99|[0-9][A-E][0-9]{3}(\.[a-z0-9.]+)?)$",
        description="classification of what is released: an ECCN or EAR99",
    )
    recipient_countries: list[Country] | None = Field(
        None,
        description=(
            "countries of the recipients: most recent citizenship or permanent residency of "
            "foreign nationals (deemed export, 734.13(b)), or the destination"
        ),
    )
    recipient_parties: list[str] | None = Field(
        None,
        description=(
            "names of the deal's parties (the investor, co-investors) that receive the technology "
            "or items; given, the list is complete (a party not named receives nothing); omitted: "
            "the investor receives them and whether any co-investor does is not known"
        ),
        max_length=100,
    )
    licence_required_for_country: bool | None = Field(
        None,
        description="the Commerce Country Chart requires a licence for the ECCN to that country",
    )
    licence_exception: bool | None = Field(
        None, description="a licence exception covers every release (not for listed parties)"
    )
    licence_held: bool | None = Field(None, description="BIS has issued the licence")
    entity_list_covers_items: bool | None = Field(
        None,
        description=(
            "the listed party's entry requires a licence for these items (most PRC entries: "
            "all items subject to the EAR)"
        ),
    )
    entity_list_policy: ReviewPolicy | None = Field(
        None, description="the License Review Policy of the listed party's entry"
    )
    listed_owner_pct: Percent | None = Field(
        None,
        description="aggregate direct or indirect stake of Entity List parties in the recipient",
    )
    foreign_direct_product_to_footnoted: bool | None = Field(
        None,
        description=(
            "foreign-made items produced from U.S. technology go to a footnote-designated "
            "Entity List party (734.9(e))"
        ),
    )
