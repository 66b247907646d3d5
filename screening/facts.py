"""Derived facts: the view of a deal that rules read, computed once per deal.

Rules never see the raw deal record. They see a :class:`FactView` with four sections, ``deal``,
``investor``, ``target`` and ``rights``, holding the record's own facts and the facts derived
from them: the foreign-government voting interest in the investor through its ownership chains
(31 CFR 800.244(c)), whether the investor is a foreign person (800.224), excepted-investor status
(800.219), and the like. Every derived fact carries a one-line explanation of how it was
computed. Unknown stays unknown: a derived fact is ``None`` when the record does not settle it.

Three-valued logic is used throughout: ``True``, ``False`` and ``None`` (unknown).
"""

from __future__ import annotations

import datetime as dt
import typing
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .model import (
    DEAL_KINDS,
    ControlMatter,
    DataCategory,
    DealRecord,
    InvolvementArea,
    MinorityProtection,
    Owner,
    Party,
    PartyKind,
    RestrictedList,
)
from .model_ext.data import DspCategory
from .model_ext.energy import Credit
from .model_ext.outbound import Activity, AiUse, IcType, OutboundList, TransactionType
from .model_ext.supply import Section301Product
from .reference import References
from .sections import REGISTRY
from .sections.base import HUNDRED, Section, Tri, and3, fact, not3, or3

__all__ = ["FactView", "Tri", "and3", "derive", "field_info", "not3", "or3"]

_label = fact
EXCEPTED_LICENSE_EXCEPTIONS = ("TSU", "ENC", "STA")  # 800.401(e)(6)


class DealFacts(Section):
    """Facts about the transaction itself."""

    kind: str = Field(title="deal kind")
    as_of: dt.date = Field(title="screening date")
    value_usd: Decimal | None = _label("transaction value", "USD")
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
    prior_control_clearance: bool = Field(
        False, title="CFIUS earlier cleared control by the investor"
    )
    prior_investment_clearance: bool = Field(
        False, title="CFIUS earlier cleared a covered investment by the investor"
    )
    new_trigger_rights: bool | None = _label("the deal grants 800.211(b) rights not held before")
    increases_voting: bool | None = _label("the deal increases the investor's voting interest")
    converts_to_voting_pct: Decimal | None = _label("voting interest on conversion", "%")
    conversion_in_holders_control: bool | None = _label("conversion is in the holder's control")
    conversion_imminent: bool | None = _label("conversion is imminent")


class InvestorFacts(Section):
    """Facts about the foreign investor, including its ownership chain."""

    name: str = Field(title="investor")
    kind: str = Field(title="investor type")
    country: str | None = _label("investor's country")
    principal_place_of_business: str | None = _label("investor's principal place of business")
    foreign_person: bool | None = _label("the investor is a foreign person")
    foreign_government: bool | None = _label("the investor is a foreign government")
    gov_interest_pct: Decimal | None = _label(
        "effective foreign-government voting interest in the investor", "%"
    )
    gov_interest_state: str | None = _label("state whose governments hold that interest")
    excepted_investor: bool | None = _label("the investor is an excepted investor")
    lists: list[str] = Field(
        default_factory=list, title="restricted lists naming the investor or an owner"
    )
    ultimate_parent: str | None = _label("investor's ultimate parent")
    ultimate_parent_country: str | None = _label("ultimate parent's country")
    concert_voting_pct: Decimal | None = _label(
        "voting interest of the investor with those acting in concert", "%"
    )
    is_fund: bool = Field(False, title="the investor is an investment fund")
    gp_is_foreign_person: bool | None = _label("the fund's general partner is a foreign person")
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
    miles_to_installation: Decimal | None = _label(
        "distance from a facility to the nearest listed military installation", "miles"
    )
    air_carrier: bool | None = _label("the target is a certificated U.S. air carrier")


class RightsFacts(Section):
    """Facts about what the investor gets."""

    voting_pct: Decimal | None = _label("investor's voting interest", "%")
    equity_pct: Decimal | None = _label("investor's equity interest", "%")
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


SECTIONS: dict[str, type[Section]] = {
    "deal": DealFacts,
    "investor": InvestorFacts,
    "target": TargetFacts,
    "rights": RightsFacts,
    **{name: entry[0] for name, entry in REGISTRY.items()},
}


class FactView(BaseModel):
    """Everything rules can read about one deal, with explanations of derived facts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

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


# --------------------------------------------------------------------------------------------
# Ownership: 31 CFR 800.235 (parent), 800.244 (substantial interest)


def _is_parent(owner: Owner) -> Tri:
    if owner.is_general_partner:
        return True
    # An owner recorded with a voting interest only is taken to hold the same equity.
    equity = owner.equity_pct if owner.equity_pct is not None else owner.voting_pct
    return or3(
        [
            None if owner.voting_pct is None else owner.voting_pct >= 50,
            None if equity is None else equity >= 50,
        ]
    )


def _fmt(p: Decimal) -> str:
    text = format(p.normalize(), "f")
    return text


def _state_interests(
    kind: PartyKind,
    country: str | None,
    owners: list[Owner] | None,
    name: str,
    notes: list[str],
) -> dict[str, Decimal] | None:
    """Effective voting interest of each foreign state's governments in an entity (800.244(c))."""
    if kind == PartyKind.government:
        return {country: HUNDRED} if country else None
    if owners is None:
        notes.append(f"owners of {name} are not recorded")
        return None
    result: dict[str, Decimal] = {}
    counted = owners
    if kind == PartyKind.fund:
        # 800.244(b): for an entity run by a GP, only the interest in the GP counts.
        counted = [o for o in owners if o.is_general_partner]
    for owner in counted:
        if owner.kind == PartyKind.government:
            # A government's own holding counts at face value (800.244(d)(1): 75% stays 75%).
            direct = owner.voting_pct
            if direct is None and owner.is_general_partner:
                direct = HUNDRED
            if direct is None or owner.country is None:
                notes.append(f"voting interest of {owner.name} in {name} is not recorded")
                return None
            notes.append(f"{owner.country} governments: {_fmt(direct)}% of {name} held directly")
            result[owner.country] = min(HUNDRED, result.get(owner.country, Decimal(0)) + direct)
            continue
        if owner.kind == PartyKind.individual:
            continue  # an individual is not a government (800.221)
        parent = _is_parent(owner)
        if parent is None:
            notes.append(f"voting interest of {owner.name} in {name} is not recorded")
            return None
        # 800.244(c): an intermediate parent's interest in its subsidiary is deemed 100%.
        factor = HUNDRED if parent else (owner.voting_pct or Decimal(0))
        upstream = _state_interests(owner.kind, owner.country, owner.owners, owner.name, notes)
        if upstream is None:
            return None
        for state, pct in upstream.items():
            share = pct * factor / HUNDRED
            how = (
                "its parent, counted as 100%" if parent else f"{_fmt(factor)}%, multiplied through"
            )
            notes.append(
                f"{state} governments: {_fmt(pct)}% of {owner.name}, which holds {name} ({how})"
                f" → {_fmt(share)}% of {name}"
            )
            result[state] = min(HUNDRED, result.get(state, Decimal(0)) + share)
    return result


def _foreign_owner(owner: Owner) -> Tri:
    if owner.kind == PartyKind.individual or owner.kind == PartyKind.government:
        return None if owner.country is None else owner.country != "US"
    if owner.country is not None and owner.country != "US":
        return True
    parents = [o for o in (owner.owners or []) if _is_parent(o)]
    if owner.owners is None:
        return None
    return or3(_foreign_owner(o) for o in parents) if parents else False


def _foreign_person(party: Party, notes: list[str]) -> Tri:
    """800.224: foreign national, government or entity, or an entity a foreign person controls."""
    if party.kind == PartyKind.individual:
        nats = party.nationalities or ([party.country] if party.country else None)
        if nats is None:
            return None
        notes.append(f"nationalities: {', '.join(nats)}")
        return "US" not in nats
    if party.kind == PartyKind.government:
        return None if party.country is None else party.country != "US"
    organized_abroad: Tri = None if party.country is None else party.country != "US"
    ppb = party.principal_place_of_business
    traded = party.equity_primarily_traded_in
    abroad = or3(
        [
            None if ppb is None else ppb != "US",
            False if traded is None else traded != "US",
        ]
    )
    # 800.220(b): the carve-out applies only when the party shows U.S. majority ownership.
    foreign_entity = and3([organized_abroad, abroad, not party.majority_owned_by_us_nationals])
    parents = [o for o in (party.owners or []) if _is_parent(o)]
    parent_foreign: Tri = or3(_foreign_owner(o) for o in parents) if parents else None
    if party.owners is not None and not parents:
        parent_foreign = False
    controlled = party.controlled_by_foreign_person
    if controlled is None and party.owners is not None:
        # Owners recorded and none is a foreign parent: control by other means must be stated.
        controlled = False
    return or3([foreign_entity, controlled, parent_foreign])


def _chain(owners: list[Owner] | None) -> Iterable[Owner]:
    for owner in owners or []:
        yield owner
        yield from _chain(owner.owners)


def _ultimate_parent(party: Party) -> tuple[str | None, str | None]:
    name, country = party.name, party.country
    owners = party.owners
    while owners:
        parents = [o for o in owners if _is_parent(o)]
        if len(parents) != 1:
            break
        name, country, owners = parents[0].name, parents[0].country, parents[0].owners
    return name, country


def _excepted_investor(party: Party, excepted: set[str], notes: list[str]) -> Tri:
    """800.219(a), simplified as documented: nationality, organization, board, owners, lists."""
    ok = excepted | {"US"}
    listed = {RestrictedList.bis_entity_list, RestrictedList.bis_unverified_list}
    on_list = bool(listed & set(party.lists)) or any(
        listed & set(o.lists) for o in _chain(party.owners)
    )
    if on_list:
        notes.append("the investor or an owner is on the BIS Entity List or Unverified List")
        return False
    disq: Tri = None if party.disqualifiers is None else not party.disqualifiers
    if party.kind == PartyKind.individual:
        nats = party.nationalities or ([party.country] if party.country else None)
        if nats is None:
            return None
        own = and3([all(n in ok for n in nats) and any(n in excepted for n in nats), disq])
        return own
    if party.kind == PartyKind.government:
        return None if party.country is None else party.country in excepted
    tests: list[Tri] = [
        None if party.country is None else party.country in ok,
        None
        if party.principal_place_of_business is None
        else party.principal_place_of_business in ok,
        None if party.board_us_or_excepted_pct is None else party.board_us_or_excepted_pct >= 75,
        party.minimum_excepted_ownership_met,
        disq,
    ]
    if party.owners is None:
        tests.append(None)
    else:
        for owner in _chain(party.owners):
            big = or3(
                [
                    None if owner.voting_pct is None else owner.voting_pct >= 10,
                    None if owner.equity_pct is None else owner.equity_pct >= 10,
                    owner.is_general_partner,
                ]
            )
            tests.append(or3([not3(big), None if owner.country is None else owner.country in ok]))
    return and3(tests)


def _tri_any(items: list[Any] | None, test: Any) -> Tri:
    if items is None:
        return None
    return or3(test(i) for i in items)


def derive(deal: DealRecord, references: References, as_of: dt.date) -> FactView:
    """Compute the fact view of a deal as of a date."""
    d: dict[str, str] = {}
    inv = deal.investor
    tgt = deal.target
    r = deal.rights

    # Investor -------------------------------------------------------------------------------
    notes: list[str] = []
    interests = _state_interests(inv.kind, inv.country, inv.owners, inv.name, notes)
    gov_pct: Decimal | None = None
    gov_state: str | None = None
    if interests is not None:
        foreign = {s: p for s, p in interests.items() if s != "US"}
        if foreign:
            gov_state, gov_pct = max(sorted(foreign.items()), key=lambda kv: kv[1])
        else:
            gov_pct = Decimal(0)
        d["investor.gov_interest_pct"] = (
            "; ".join(notes) + " (800.244(c))" if notes else "no government owner recorded"
        )
    else:
        d["investor.gov_interest_pct"] = "unknown: " + "; ".join(notes)
    fp_notes: list[str] = []
    foreign_person = _foreign_person(inv, fp_notes)
    excepted_states = set(references.values("excepted_foreign_states", as_of))
    ei_notes: list[str] = []
    excepted = _excepted_investor(inv, excepted_states, ei_notes)
    states = ", ".join(sorted(excepted_states)) or "none"
    d["investor.excepted_investor"] = "; ".join(
        [f"excepted foreign states on {as_of}: {states}", *ei_notes]
    )
    lists = sorted(
        {str(x) for x in inv.lists} | {str(x) for o in _chain(inv.owners) for x in o.lists}
    )
    parent_name, parent_country = _ultimate_parent(inv)
    concert: Decimal | None = r.voting_pct
    for co in deal.co_investors:
        if co.acts_in_concert is False or concert is None:
            continue
        if co.acts_in_concert is None or co.voting_pct is None:
            concert = None  # whether, or how much, they act together is unknown
        else:
            concert = concert + co.voting_pct
    investor = InvestorFacts(
        name=inv.name,
        kind=str(inv.kind),
        country=inv.country,
        principal_place_of_business=inv.principal_place_of_business,
        foreign_person=foreign_person,
        foreign_government=None
        if inv.country is None
        else inv.kind == PartyKind.government and inv.country != "US",
        gov_interest_pct=gov_pct,
        gov_interest_state=gov_state,
        excepted_investor=excepted,
        lists=lists,
        ultimate_parent=parent_name,
        ultimate_parent_country=parent_country,
        concert_voting_pct=concert,
        is_fund=inv.kind == PartyKind.fund,
        gp_is_foreign_person=inv.gp_is_foreign_person,
        managed_exclusively_by_gp=inv.managed_exclusively_by_gp,
        lp_advisory_board_compliant=inv.lp_advisory_board_compliant,
        foci_mitigated=inv.foci_mitigated,
    )

    # Target ---------------------------------------------------------------------------------
    cts = tgt.critical_technologies
    current = None if cts is None else [c for c in cts if c.activity_current is not False]
    ct_auth = _tri_any(current, lambda c: c.authorization_required)
    needing = [c for c in current or [] if c.authorization_required is not False]
    exc_all: Tri = None
    if current is not None:
        exc_all = (
            and3(
                None
                if c.license_exception is None
                else c.license_exception in EXCEPTED_LICENSE_EXCEPTIONS
                for c in needing
            )
            if needing
            else None
        )
    appendix = references.get("appendix_a_part800")
    roles = tgt.infrastructure
    cici: Tri = None
    cici_items: list[str] | None = None
    if roles is not None:
        if appendix is None:
            cici = None
        else:
            matched = []
            for role in roles:
                entry = appendix.get(role.item)
                functions = (entry.attributes.get("functions") or []) if entry else []
                if str(role.function) in functions:
                    matched.append(role.item)
            cici = bool(matched)
            cici_items = sorted(set(matched))
            d["target.cici_function"] = (
                "functions performed match Appendix A column 2 for items " + ", ".join(cici_items)
                if matched
                else "no function performed is a column 2 function of its Appendix A item"
            )
    spd = tgt.sensitive_data
    miles = [f.miles_to_listed_installation for f in tgt.facilities or []]
    known_miles = [m for m in miles if m is not None]
    nearest: Decimal | None = (
        min(known_miles) if known_miles and len(known_miles) == len(miles) else None
    )
    target = TargetFacts(
        name=tgt.name,
        country=tgt.country,
        naics=tgt.naics,
        us_business=tgt.interstate_commerce,
        critical_technology=None if current is None else bool(current),
        ct_authorization_required=ct_auth,
        ct_license_exceptions_cover_all=exc_all,
        cici_function=cici,
        cici_items=cici_items,
        spd_individuals=spd.individuals_max_12_months if spd else None,
        spd_categories=None
        if spd is None or spd.categories is None
        else sorted(str(c) for c in spd.categories),
        spd_business_objective=None
        if spd is None
        else and3([spd.business_objective_over_1m, spd.data_integral_to_products]),
        spd_targets_usg=spd.targets_us_government_personnel if spd else None,
        spd_genetic=spd.genetic_test_results if spd else None,
        has_facilities=None if tgt.facilities is None else bool(tgt.facilities),
        miles_to_installation=nearest,
        air_carrier=tgt.certificated_air_carrier,
    )

    # Rights ---------------------------------------------------------------------------------
    seats, size = r.board_seats, r.board_size
    majority: Tri = None
    if seats is not None and size:
        majority = seats * 2 > size
    elif seats == 0:
        majority = False
    prior = deal.prior.rights if deal.prior else None
    affiliated = bool(
        prior
        and (
            (prior.voting_pct is not None and prior.voting_pct > 50)
            or (
                prior.board_seats is not None
                and prior.board_size
                and prior.board_seats * 2 > prior.board_size
            )
        )
    )
    rights = RightsFacts(
        voting_pct=r.voting_pct,
        equity_pct=r.equity_pct,
        board_seats=seats,
        board_majority=majority,
        board_seat=None if seats is None else seats > 0,
        board_observer=r.board_observer,
        board_nomination_right=r.board_nomination_right,
        mnpti_access=r.mnpti_access,
        involvement=None if r.involvement is None else sorted(str(i) for i in r.involvement),
        involvement_any=None if r.involvement is None else bool(r.involvement),
        control_matters=None
        if r.control_matters is None
        else sorted(str(m) for m in r.control_matters),
        control_matters_any=None if r.control_matters is None else bool(r.control_matters),
        minority_protections=sorted(str(m) for m in r.minority_protections),
        passive_undertaking=r.passive_undertaking,
        affiliated=affiliated,
        loan_default_control_likely=r.loan_default_control_likely,
    )

    # Deal -----------------------------------------------------------------------------------
    clearances = deal.prior.clearances if deal.prior else []
    new_rights = _new_trigger_rights(rights, prior)
    increases: Tri = None
    if prior is not None and prior.voting_pct is not None and r.voting_pct is not None:
        increases = r.voting_pct > prior.voting_pct
    elif prior is None and r.voting_pct is not None:
        increases = r.voting_pct > 0
    ce = getattr(deal, "contingent_equity", None)
    facts = DealFacts(
        kind=deal.kind,
        as_of=as_of,
        value_usd=deal.value_usd,
        signing_date=deal.signing_date,
        completion_date=deal.completion_date,
        evasion_structure=deal.evasion_structure,
        assets_only=getattr(deal, "assets_only", None),
        assets_constitute_us_business=getattr(deal, "assets_constitute_us_business", None),
        us_contribution=getattr(deal, "us_contribution", None),
        arrangement=getattr(deal, "arrangement", None),
        term_years=getattr(deal, "term_years", None),
        transfers_business_operations=getattr(deal, "transfers_business_operations", None),
        through_newly_formed_subsidiary=getattr(deal, "through_newly_formed_subsidiary", None),
        open_market_purchase=getattr(deal, "open_market_purchase", None),
        property_rights=getattr(deal, "property_rights", None),
        prior_control_clearance=any(c.kind == "control" for c in clearances),
        prior_investment_clearance=any(c.kind == "covered_investment" for c in clearances),
        new_trigger_rights=new_rights,
        increases_voting=increases,
        converts_to_voting_pct=ce.converts_to_voting_pct if ce else None,
        conversion_in_holders_control=ce.conversion_in_holders_control if ce else None,
        conversion_imminent=ce.conversion_imminent if ce else None,
    )
    extra: dict[str, Section] = {}
    for name, (_, deriver) in sorted(REGISTRY.items()):
        section, explained = deriver(deal, references, as_of)
        extra[name] = section
        d.update(explained)
    return FactView(
        deal=facts, investor=investor, target=target, rights=rights, extra=extra, derivations=d
    )


_TRIGGERS: tuple[
    Literal[
        "board_seat", "board_observer", "board_nomination_right", "mnpti_access", "involvement_any"
    ],
    ...,
] = (
    "board_seat",
    "board_observer",
    "board_nomination_right",
    "mnpti_access",
    "involvement_any",
)


def _new_trigger_rights(now: RightsFacts, prior: Any) -> Tri:
    """Whether the deal grants an 800.211(b) right the investor did not hold before."""
    if prior is None:
        return or3(getattr(now, name) for name in _TRIGGERS)
    before = {
        "board_seat": None if prior.board_seats is None else prior.board_seats > 0,
        "board_observer": prior.board_observer,
        "board_nomination_right": prior.board_nomination_right,
        "mnpti_access": prior.mnpti_access,
        "involvement_any": None if prior.involvement is None else bool(prior.involvement),
    }
    return or3(and3([getattr(now, name), not3(before[name])]) for name in _TRIGGERS)


def field_info(path: str) -> tuple[Any, str, str] | None:
    """(annotation, title, unit) of a fact path such as ``investor.gov_interest_pct``."""
    section, _, name = path.partition(".")
    model = SECTIONS.get(section)
    if model is None or name not in model.model_fields:
        return None
    info = model.model_fields[name]
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    return info.annotation, info.title or name, str(extra.get("unit", ""))


def all_paths() -> list[str]:
    """Every fact path rules can read, sorted."""
    return sorted(f"{s}.{n}" for s, m in SECTIONS.items() for n in m.model_fields)


# Allowed values of enumerated fact paths: a rule comparing one with another value is an error.
ENUMS: dict[str, tuple[str, ...]] = {
    "deal.kind": DEAL_KINDS,
    "deal.us_contribution": ("us_business", "assets_not_business", "ip_license", "cash"),
    "deal.arrangement": ("supply", "offtake", "license"),
    "investor.kind": tuple(k.value for k in PartyKind),
    "investor.lists": tuple(x.value for x in RestrictedList),
    "rights.involvement": tuple(x.value for x in InvolvementArea),
    "rights.control_matters": tuple(x.value for x in ControlMatter),
    "rights.minority_protections": tuple(x.value for x in MinorityProtection),
    "target.spd_categories": tuple(x.value for x in DataCategory),
    # Further regimes: values of the Literal and enum types in screening/model_ext/.
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
}
COUNTRY_PATHS = (
    "investor.country",
    "investor.principal_place_of_business",
    "investor.gov_interest_state",
    "investor.ultimate_parent_country",
    "target.country",
)
