"""The fact view: what rules can read about one deal, and the catalogue of fact paths.

Rules never see the raw deal record. They see a :class:`FactView` with four sections, ``deal``,
``investor``, ``target`` and ``rights``, holding the record's own facts and the facts derived
from them, plus one section per further regime (:mod:`screening.facts.sections`). The
catalogue (:func:`all_paths`, :func:`field_info`, :data:`ENUMS`, :data:`COUNTRY_PATHS`) is what
the rulebook checks rule conditions against when it loads. The view is computed by
:func:`screening.facts.derive.derive`.

Three-valued logic is used throughout: ``True``, ``False`` and ``None`` (unknown).
"""

from __future__ import annotations

import datetime as dt
import functools
import typing
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from screening.facts.sections import REGISTRY
from screening.facts.sections.base import AtLeast, Section, fact
from screening.model.deal import (
    DEAL_KINDS,
    ControlMatter,
    DataCategory,
    InvolvementArea,
    MinorityProtection,
    PartyKind,
    RestrictedList,
)
from screening.model.ext.credits import AgreementKind, ContractRight, Technology
from screening.model.ext.data import DspCategory
from screening.model.ext.energy import Credit, MacrCategory
from screening.model.ext.exports import ReviewPolicy
from screening.model.ext.farmland import LandInterest
from screening.model.ext.outbound import Activity, AiUse, IcType, OutboundList, TransactionType
from screening.model.ext.padfa import PadfaCategory
from screening.model.ext.supply import Section301Product
from screening.model.numbers import Num, Range

_label = fact


class DealFacts(Section):
    """Facts about the transaction itself."""

    kind: str = Field(title="deal kind")
    as_of: dt.date = Field(title="screening date")
    value_usd: Num | None = _label("transaction value", "USD")
    signing_date: dt.date | None = _label("signing date")
    completion_date: dt.date | None = _label("completion date")
    evasion_structure: bool | None = _label("structured to evade section 721")
    assets_only: bool | None = _label("only assets are acquired")
    assets_constitute_us_business: bool | None = _label("the assets constitute a U.S. business")
    us_contribution: str | None = _label("what the U.S. side contributes to the joint venture")
    arrangement: str | None = _label("kind of supply partnership")
    term_years: int | None = _label("term of the partnership", "years")
    transfers_business_operations: bool | None = _label("business operations are transferred")
    through_newly_formed_subsidiary: bool | None = _label("built through a newly formed subsidiary")
    open_market_purchase: bool | None = _label("open-market purchase")
    property_rights: int | None = _label("property rights acquired (of 4)")
    # The 0.1.0 facts (a clearance not recorded counts as none), kept for rulebooks that read
    # them; today's rulebook reads the three-valued *_cleared facts below (docs/audit.md Replay).
    prior_control_clearance: bool = Field(
        False, title="the record shows CFIUS earlier cleared control by the investor"
    )
    prior_investment_clearance: bool = Field(
        False, title="the record shows CFIUS earlier cleared a covered investment by the investor"
    )
    prior_control_cleared: bool | None = _label("CFIUS earlier cleared control by the investor")
    prior_investment_cleared: bool | None = _label(
        "CFIUS earlier cleared a covered investment by the investor"
    )
    new_trigger_rights: bool | None = _label("the deal grants 800.211(b) rights not held before")
    increases_voting: bool | None = _label("the deal increases the investor's voting interest")
    converts_to_voting_pct: Num | None = _label("voting interest on conversion", "%")
    conversion_in_holders_control: bool | None = _label("conversion is in the holder's control")
    conversion_imminent: bool | None = _label("conversion is imminent")
    closed_without_notice: bool | None = _label(
        "the deal closed without a notice or declaration to CFIUS"
    )
    mitigation_agreement: bool | None = _label(
        "a CFIUS mitigation agreement already binds the parties"
    )
    cfius_action_concluded: bool | None = _label(
        "CFIUS advised in writing that it concluded all action on this transaction (or that it "
        "is not covered); false without a `history` or when it was never notified"
    )


class InvestorFacts(Section):
    """Facts about the foreign investor, including its ownership chain."""

    name: str = Field(title="investor")
    kind: str = Field(title="investor type")
    country: str | None = _label("investor's country")
    principal_place_of_business: str | None = _label("investor's principal place of business")
    foreign_person: bool | None = _label("the investor is a foreign person")
    foreign_government: bool | None = _label("the investor is a foreign government")
    gov_interest_pct: Num | None = _label(
        "effective foreign-government voting interest in the investor", "%"
    )
    gov_interest_state: str | None = _label("state whose governments hold that interest")
    gov_substantial_interest: bool | None = _label(
        "the governments of a single foreign state hold 49% or more of the investor (800.244)"
    )
    gov_substantial_interest_nonexcepted: bool | None = _label(
        "the governments of a single non-excepted foreign state hold 49% or more of the investor"
    )
    gov_controlled: bool | None = _label(
        "a foreign government of a non-excepted state controls the investor"
    )
    gov_control_link: str | None = _label("how that government controls the investor")
    coc_tie: bool | None = _label(
        "the investor, a controller or a 10%-or-more holder in its chain is tied to a country of "
        "concern"
    )
    coc_tie_link: str | None = _label(
        "the chain link that ties the investor to a country of concern"
    )
    excepted_investor: bool | None = _label("the investor is an excepted investor")
    lists: list[str] | AtLeast = Field(
        default_factory=list, title="restricted lists naming the investor or an owner"
    )
    ultimate_parent: str | None = _label("investor's ultimate parent")
    ultimate_parent_country: str | None = _label("ultimate parent's country")
    concert_voting_pct: Num | None = _label(
        "voting interest of the investor with those acting in concert", "%"
    )
    concert_majority: bool | None = _label(
        "the investor with those acting in concert holds 50% or more of the votes"
    )
    is_fund: bool = Field(False, title="the investor is an investment fund")
    gp_is_foreign_person: bool | None = _label("the fund's general partner is a foreign person")
    gp_ultimately_controlled_by_us_nationals: bool | None = _label(
        "the fund's general partner is ultimately controlled exclusively by U.S. nationals"
    )
    foreign_lp_with_rights: bool | None = _label(
        "a foreign limited partner gets MNPTI, an 800.211(b) right or control of the fund"
    )
    foreign_lp_ct_authorization: bool | None = _label(
        "such a limited partner would need a U.S. authorization for the target's critical "
        "technology"
    )
    foreign_lp_coc_tie: bool | None = _label(
        "such a limited partner, a controller or a 10%-or-more holder of it is tied to a country "
        "of concern"
    )
    foreign_lp_coc_tie_link: str | None = _label(
        "the chain link that ties such a limited partner to a country of concern"
    )
    managed_exclusively_by_gp: bool | None = _label("the fund is managed exclusively by its GP")
    lp_advisory_board_compliant: bool | None = _label(
        "foreign LPs on the advisory board meet 800.307(a)(3)-(4)"
    )
    foci_mitigated: bool | None = _label("held through a FOCI-mitigated entity")


class TargetFacts(Section):
    """Facts about the U.S. business."""

    name: str = Field(title="target")
    country: str | None = _label("target's country of organization")
    naics: str | None = _label("target's NAICS code")
    us_business: bool | None = _label("the target is a U.S. business")
    critical_technology: bool | None = _label("the target produces or develops critical technology")
    ct_authorization_required: bool | None = _label(
        "a U.S. regulatory authorization is required to export a critical technology to the "
        "investor"
    )
    ct_license_exceptions_cover_all: bool | None = _label(
        "every such export qualifies for licence exception TSU, ENC or STA"
    )
    cici_function: bool | None = _label(
        "the target performs an Appendix A function for critical infrastructure"
    )
    cici_items: list[str] | None = _label("Appendix A items the target performs a function for")
    spd_individuals: int | None = _label(
        "individuals whose sensitive personal data the target held in the last 12 months"
    )
    spd_categories: list[str] | None = _label("categories of sensitive personal data held")
    spd_business_objective: bool | None = _label(
        "demonstrated objective to hold such data on more than 1,000,000 individuals"
    )
    spd_targets_usg: bool | None = _label(
        "the target targets or tailors products to U.S. national-security personnel"
    )
    spd_genetic: bool | None = _label("the target holds identifiable genetic test results")
    has_facilities: bool | None = _label("the target has facilities in the United States")
    miles_to_installation: Num | None = _label(
        "distance from a facility to the nearest listed military installation", "miles"
    )
    air_carrier: bool | None = _label("the target is a certificated U.S. air carrier")


class RightsFacts(Section):
    """Facts about what the investor gets."""

    voting_pct: Num | None = _label("investor's voting interest", "%")
    substantial_interest: bool | None = _label(
        "the investor acquires a voting interest of 25% or more (800.244(a))"
    )
    equity_pct: Num | None = _label("investor's equity interest", "%")
    board_seats: int | None = _label("board seats the investor appoints")
    board_majority: bool | None = _label("the investor appoints a majority of the board")
    board_seat: bool | None = _label("the investor has a board seat")
    board_observer: bool | None = _label("the investor has a board observer")
    board_nomination_right: bool | None = _label("the investor can nominate a director")
    mnpti_access: bool | None = _label("access to material nonpublic technical information")
    involvement: list[str] | None = _label("areas of involvement in substantive decision-making")
    involvement_any: bool | None = _label("involvement in substantive decision-making")
    control_matters: list[str] | None = _label("800.208(a) matters the investor can decide or veto")
    control_matters_any: bool | None = _label(
        "the investor can determine or veto an 800.208(a) important matter"
    )
    minority_protections: list[str] = Field(
        default_factory=list, title="800.208(c) minority protections"
    )
    passive_undertaking: bool | None = _label("the interest is held solely for passive investment")
    affiliated: bool = Field(
        False, title="the investor already held more than 50% of votes or of the board (800.250)"
    )
    loan_default_control_likely: bool | None = _label(
        "on default, foreign control is significantly possible"
    )
    control_stated: str = Field(
        "not_stated", title="control as the record stipulates it (e.g. counsel's conclusion)"
    )
    no_control_stipulated: bool = Field(
        False, title="the record stipulates that the investor has no control (e.g. counsel's view)"
    )
    blocks_decisions: bool | None = _label(
        "the investor's votes can block decisions on important matters (800.208(a))"
    )
    # The 0.1.0 fact, kept for rulebooks that read it; today's reads dominant_minority below.
    dominant_minority_stated: bool = Field(
        False, title="the record states the investor holds a dominant minority"
    )
    dominant_minority: bool | None = _label(
        "the investor holds a dominant minority (as stated; open for the largest holder)"
    )
    largest_holder: bool | None = _label("the investor is the largest voting holder")


SECTIONS: dict[str, type[Section]] = {
    "deal": DealFacts,
    "investor": InvestorFacts,
    "target": TargetFacts,
    "rights": RightsFacts,
    **{name: entry[0] for name, entry in REGISTRY.items()},
}


class FactView(BaseModel):
    """Everything rules can read about one deal, with explanations of derived facts."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    deal: DealFacts
    investor: InvestorFacts
    target: TargetFacts
    rights: RightsFacts
    extra: dict[str, Section] = Field(default_factory=dict)
    derivations: dict[str, str] = Field(default_factory=dict)

    def get(self, path: str) -> Any:
        """The value at ``section.field``."""
        section, _, name = path.partition(".")
        if section in self.extra:
            return getattr(self.extra[section], name)
        return getattr(getattr(self, section), name)


def field_info(path: str) -> tuple[Any, str, str] | None:
    """(annotation, title, unit) of a fact path such as ``investor.gov_interest_pct``."""
    return _field_info(path, len(SECTIONS))


@functools.cache
def _field_info(path: str, _sections: int) -> tuple[Any, str, str] | None:
    # Keyed by the number of sections, like _all_paths: fixed once the sections are imported.
    section, _, name = path.partition(".")
    model = SECTIONS.get(section)
    if model is None or name not in model.model_fields:
        return None
    info = model.model_fields[name]
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    return info.annotation, info.title or name, str(extra.get("unit", ""))


def partial(path: str) -> bool:
    """Whether the list fact at a path may be known only in part (:class:`AtLeast`)."""
    info = field_info(path)
    return info is not None and AtLeast in typing.get_args(info[0])


def ranged(path: str) -> bool:
    """Whether the fact at a path may be a :class:`~screening.model.numbers.Range`."""
    info = field_info(path)
    return info is not None and Range in typing.get_args(info[0])


def all_paths() -> list[str]:
    """Every fact path rules can read, sorted."""
    return list(_all_paths(len(SECTIONS)))


def is_path(path: str) -> bool:
    """Whether ``path`` is a fact path rules can read (one of :func:`all_paths`)."""
    return path in _path_set(len(SECTIONS))


@functools.cache
def _all_paths(_sections: int) -> tuple[str, ...]:
    # Keyed by the number of sections: the catalogue is fixed once its modules are imported.
    return tuple(sorted(f"{s}.{n}" for s, m in SECTIONS.items() for n in m.model_fields))


@functools.cache
def _path_set(sections: int) -> frozenset[str]:
    return frozenset(_all_paths(sections))


# Allowed values of enumerated fact paths: a rule comparing one with another value is an error.
ENUMS: dict[str, tuple[str, ...]] = {
    "deal.kind": DEAL_KINDS,
    "deal.us_contribution": ("us_business", "assets_not_business", "ip_license", "cash"),
    "deal.arrangement": ("supply", "offtake", "license"),
    "investor.kind": tuple(k.value for k in PartyKind),
    "investor.lists": tuple(x.value for x in RestrictedList),
    "rights.involvement": tuple(x.value for x in InvolvementArea),
    "rights.control_stated": ("yes", "no", "not_stated"),
    "rights.control_matters": tuple(x.value for x in ControlMatter),
    "rights.minority_protections": tuple(x.value for x in MinorityProtection),
    "target.spd_categories": tuple(x.value for x in DataCategory),
    # Further regimes: values of the Literal and enum types in screening/model/ext/.
    "vehicle.role": ("vehicle_manufacturer", "vcs_hardware_importer"),
    "data.bulk_categories": tuple(x.value for x in DspCategory),
    "energy.credits": tuple(x.value for x in Credit),
    "supply.s301_products": tuple(x.value for x in Section301Product),
    "outbound.transaction_type": typing.get_args(TransactionType),
    "outbound.activities": typing.get_args(Activity),
    "outbound.fabricated_ic_types": typing.get_args(IcType),
    "outbound.ai_intended_uses": typing.get_args(AiUse),
    "outbound.target_lists": typing.get_args(OutboundList),
    "site.transaction": ("purchase", "lease", "concession", "other"),
    "parties.party_lists": tuple(x.value for x in RestrictedList),
    "parties.investor_lists": tuple(x.value for x in RestrictedList),
    "parties.target_lists": tuple(x.value for x in RestrictedList),
    "parties.owner_lists": tuple(x.value for x in RestrictedList),
    "parties.matched_lists": tuple(x.value for x in RestrictedList),
    "parties.possible_match_lists": tuple(x.value for x in RestrictedList),
    "credit.agreement_kind": tuple(x.value for x in AgreementKind),
    "credit.rights": tuple(x.value for x in ContractRight),
    "credit.technology": tuple(x.value for x in Technology),
    "credit.component": tuple(x.value for x in MacrCategory),
    "farmland.interest": tuple(x.value for x in LandInterest),
    "export.entity_list_policy": tuple(x.value for x in ReviewPolicy),
    "export.affiliates_rule_status": ("in_force", "suspended", "none"),
    "broker.role": ("target_sells", "target_buys"),
    "broker.categories": tuple(x.value for x in PadfaCategory),
}
# Derived facts whose explanation a result shows only when its rulebook reads them (in a
# condition or an explanation): added after results were first recorded, so that a screening
# recorded under an earlier rulebook reproduces exactly under its own rulebook.
SHOWN_WHEN_READ = frozenset(
    {
        "investor.coc_tie",
        "investor.foreign_person",
        "investor.gov_controlled",
        "investor.gov_substantial_interest",
        "investor.gov_substantial_interest_nonexcepted",
        "rights.substantial_interest",
        "energy.counterparty_fie",
        "energy.counterparty_pfe",
        "energy.status_date",
        "energy.transfer_year_pfe",
        "parties.target_ns_cmic_trading_ban",
        "parties.target_blocked_offshore",
        "parties.entity_list_recipient",
        "parties.bis_affiliate_recipient",
        "export.recipient_foreign",
    }
)
COUNTRY_PATHS = (
    "investor.country",
    "investor.principal_place_of_business",
    "investor.gov_interest_state",
    "investor.ultimate_parent_country",
    "target.country",
)
