"""Derived facts: the view of a deal that rules read, computed once per deal.

:func:`derive` runs one named step per section of the :class:`~screening.facts.view.FactView`:
:func:`investor_facts` (government interest through ownership chains, 800.244(c); foreign person,
800.224; excepted investor, 800.219), :func:`target_facts`, :func:`rights_facts`,
:func:`deal_facts`, then :func:`regime_sections` for the further regimes. Every derived fact
carries a one-line explanation of how it was computed. Unknown stays unknown: a derived fact is
``None`` when the record does not settle it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from screening.facts.ownership import (
    StateBounds,
    chain,
    excepted_investor,
    fmt,
    foreign_person,
    state_bounds,
    ultimate_parent,
)
from screening.facts.sections import REGISTRY
from screening.facts.sections.base import HUNDRED, Section, Tri, and3, not3, or3
from screening.facts.ties import country_of_concern_ties, government_control, lp_facts
from screening.facts.view import DealFacts, FactView, InvestorFacts, RightsFacts, TargetFacts
from screening.model.deal import (
    DealRecord,
    Party,
    PartyKind,
)
from screening.model.reference import References

__all__ = ["derive"]

EXCEPTED_LICENSE_EXCEPTIONS = ("TSU", "ENC", "STA")  # 800.401(e)(6)


def _tri_any(items: list[Any] | None, test: Any) -> Tri:
    if items is None:
        return None
    return or3(test(i) for i in items)


def derive(deal: DealRecord, references: References, as_of: dt.date) -> FactView:
    """Compute the fact view of a deal as of a date: one named step per section."""
    derivations: dict[str, str] = {}
    investor = investor_facts(deal, references, as_of, derivations)
    target = target_facts(deal, references, derivations)
    rights = rights_facts(deal, derivations)
    facts = deal_facts(deal, rights, as_of)
    extra = regime_sections(deal, references, as_of, derivations)
    return FactView(
        deal=facts,
        investor=investor,
        target=target,
        rights=rights,
        extra=extra,
        derivations=derivations,
    )


def investor_facts(
    deal: DealRecord, references: References, as_of: dt.date, d: dict[str, str]
) -> InvestorFacts:
    """The investor: government interest (800.244), foreign person, excepted investor, lists."""
    inv = deal.investor
    excepted_states = set(references.values("excepted_foreign_states", as_of))
    bounds, gov_state, gov_pct = _government_interest(inv, d)
    foreign_states = {s for s in {*bounds.low, *bounds.high} if s != "US"}
    gov_sub = bounds.decide(lambda s: s != "US", Decimal(49))
    nonexcepted = bounds.decide(lambda s: s != "US" and s not in excepted_states, Decimal(49))
    d["investor.gov_substantial_interest"] = _bounds_note(bounds, foreign_states)
    d["investor.gov_substantial_interest_nonexcepted"] = (
        _bounds_note(bounds, foreign_states - excepted_states)
        + f"; excepted foreign states on {as_of}: {', '.join(sorted(excepted_states)) or 'none'}"
    )
    gov_ctl, gov_why = government_control(
        inv, bounds, lambda s: s != "US" and s not in excepted_states
    )
    d["investor.gov_controlled"] = gov_why or (
        "no non-excepted foreign government is shown to control the investor"
        if gov_ctl is False
        else "unknown: the government interest or controller is not fully recorded"
    )
    coc = set(references.values("countries_of_concern_cfius", as_of))
    ties = country_of_concern_ties(inv, coc)
    if ties.tied:
        d["investor.coc_tie"] = "tied to a country of concern: " + "; ".join(ties.links)
    elif ties.tied is None:
        d["investor.coc_tie"] = "unknown: not recorded: " + "; ".join(ties.unknown)
    else:
        d["investor.coc_tie"] = (
            "no person in the investor's control or 10% ownership chain is tied to "
            + ", ".join(sorted(coc))
        )
    lps = lp_facts(inv)
    fp_notes: list[str] = []
    foreign = foreign_person(inv, fp_notes)
    if fp_notes:
        d["investor.foreign_person"] = "; ".join(fp_notes)
    ei_notes: list[str] = []
    excepted = excepted_investor(inv, excepted_states, ei_notes)
    states = ", ".join(sorted(excepted_states)) or "none"
    d["investor.excepted_investor"] = "; ".join(
        [f"excepted foreign states on {as_of}: {states}", *ei_notes]
    )
    lists = sorted(
        {str(x) for x in inv.lists} | {str(x) for o in chain(inv.owners) for x in o.lists}
    )
    parent_name, parent_country = ultimate_parent(inv)
    return InvestorFacts(
        name=inv.name,
        kind=str(inv.kind),
        country=inv.country,
        principal_place_of_business=inv.principal_place_of_business,
        foreign_person=foreign,
        foreign_government=None
        if inv.country is None
        else inv.kind == PartyKind.government and inv.country != "US",
        gov_interest_pct=gov_pct,
        gov_interest_state=gov_state,
        gov_substantial_interest=gov_sub,
        gov_substantial_interest_nonexcepted=nonexcepted,
        gov_controlled=gov_ctl,
        gov_control_link=gov_why or None,
        coc_tie=ties.tied,
        coc_tie_link="; ".join(ties.links[:3]) if ties.links else None,
        excepted_investor=excepted,
        lists=lists,
        ultimate_parent=parent_name,
        ultimate_parent_country=parent_country,
        concert_voting_pct=_concert_voting_pct(deal),
        concert_majority=_concert_majority(deal, d),
        is_fund=inv.kind == PartyKind.fund,
        gp_is_foreign_person=inv.gp_is_foreign_person,
        gp_ultimately_controlled_by_us_nationals=inv.gp_ultimately_controlled_by_us_nationals,
        foreign_lp_with_rights=lps["foreign_lp_with_rights"],
        foreign_lp_ct_authorization=lps["foreign_lp_ct_authorization"],
        managed_exclusively_by_gp=inv.managed_exclusively_by_gp,
        lp_advisory_board_compliant=inv.lp_advisory_board_compliant,
        foci_mitigated=inv.foci_mitigated,
    )


def _government_interest(
    inv: Party, d: dict[str, str]
) -> tuple[StateBounds, str | None, Decimal | None]:
    """Bounds on each state's interest in the investor, and the largest exact single-state one."""
    notes: list[str] = []
    bounds = state_bounds(inv.kind, inv.country, inv.owners, inv.name, notes)
    gov_pct: Decimal | None = None
    gov_state: str | None = None
    foreign_low = {s: p for s, p in bounds.low.items() if s != "US"}
    if foreign_low:
        gov_state = max(sorted(foreign_low.items()), key=lambda kv: kv[1])[0]
    if bounds.exact():
        gov_pct = foreign_low[gov_state] if gov_state else Decimal(0)
        d["investor.gov_interest_pct"] = (
            "; ".join(notes) + " (800.244(c))" if notes else "no government owner recorded"
        )
    else:
        d["investor.gov_interest_pct"] = "unknown: " + "; ".join(notes)
    return bounds, gov_state, gov_pct


def _bounds_note(bounds: StateBounds, states: set[str]) -> str:
    """One line on the per-state bounds that decide the 49% test (800.244(a))."""
    parts = []
    for state in sorted(states):
        low, high = bounds.low.get(state, Decimal(0)), bounds.high.get(state, Decimal(0))
        high = min(HUNDRED, high + bounds.wild)
        parts.append(
            f"{state}: {fmt(low)}%" if low == high else f"{state}: {fmt(low)}% to {fmt(high)}%"
        )
    if bounds.wild:
        parts.append(f"up to {fmt(bounds.wild)}% held by owners not fully recorded")
    body = ", ".join(parts) if parts else "no foreign government interest recorded"
    return f"each single state's attributed voting interest (49% test, 800.244(a), (c)): {body}"


def _concert_voting_pct(deal: DealRecord) -> Decimal | None:
    """The investor's voting interest with co-investors acting in concert (800.208(b))."""
    concert: Decimal | None = deal.rights.voting_pct
    for co in deal.co_investors:
        if co.acts_in_concert is False or concert is None:
            continue
        if co.acts_in_concert is None or co.voting_pct is None:
            concert = None  # whether, or how much, they act together is unknown
        else:
            concert = concert + co.voting_pct
    return concert


def _concert_majority(deal: DealRecord, d: dict[str, str]) -> bool | None:
    """Whether the investor with those acting in concert holds 50% or more (800.208(b), (e)(1),
    (e)(8): a 50% bloc can block every decision), decided by bounds where concert status or a
    stake is unknown.

    The least the group holds counts only co-investors known to act in concert with a known
    stake; the most counts every co-investor not known to act apart (an unknown stake counts as
    all of the rest). The answer is yes when the least is 50% or more, no when the most is under
    50%, and unknown only when the bounds straddle 50%.
    """
    own = deal.rights.voting_pct
    least = own or Decimal(0)
    most: Decimal | None = own
    for co in deal.co_investors:
        if co.acts_in_concert is False:
            continue
        if co.acts_in_concert is True and co.voting_pct is not None:
            least += co.voting_pct
        if most is not None:
            most = None if co.voting_pct is None else most + co.voting_pct
    if least >= 50:
        answer: bool | None = True
    elif most is not None and most < 50:
        answer = False
    else:
        answer = None
    if any(co.acts_in_concert is None for co in deal.co_investors):
        d["investor.concert_majority"] = (
            f"concert status of a co-investor unknown: the group holds at least {least}%"
            + (f" and at most {most}%" if most is not None else "")
        )
    return answer


def target_facts(deal: DealRecord, references: References, d: dict[str, str]) -> TargetFacts:
    """The target: critical technologies (800.215), Appendix A functions, sensitive data."""
    tgt = deal.target
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
    cici, cici_items = _cici_function(deal, references, d)
    spd = tgt.sensitive_data
    miles = [f.miles_to_listed_installation for f in tgt.facilities or []]
    known_miles = [m for m in miles if m is not None]
    nearest: Decimal | None = (
        min(known_miles) if known_miles and len(known_miles) == len(miles) else None
    )
    return TargetFacts(
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


def _cici_function(
    deal: DealRecord, references: References, d: dict[str, str]
) -> tuple[Tri, list[str] | None]:
    """Whether the target performs a column 2 function of an Appendix A item (800.248)."""
    appendix = references.get("appendix_a_part800")
    roles = deal.target.infrastructure
    if roles is None or appendix is None:
        return None, None
    matched = []
    for role in roles:
        entry = appendix.get(role.item)
        functions = (entry.attributes.get("functions") or []) if entry else []
        if str(role.function) in functions:
            matched.append(role.item)
    items = sorted(set(matched))
    d["target.cici_function"] = (
        "functions performed match Appendix A column 2 for items " + ", ".join(items)
        if matched
        else "no function performed is a column 2 function of its Appendix A item"
    )
    return bool(matched), items


def rights_facts(deal: DealRecord, d: dict[str, str] | None = None) -> RightsFacts:
    """The rights the investor acquires: voting, board, access, involvement, control matters."""
    r = deal.rights
    substantial, why = _substantial_interest(deal)
    if d is not None:
        d["rights.substantial_interest"] = why
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
    return RightsFacts(
        voting_pct=r.voting_pct,
        substantial_interest=substantial,
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


def _substantial_interest(deal: DealRecord) -> tuple[Tri, str]:
    """800.244(a): a voting interest of 25% or more; concert partners are not aggregated.

    800.244 has no clause aggregating related persons or those acting in concert (unlike
    800.219(b) and 800.256(d)). A stake that reaches 25% only together with co-investors acting
    in concert is left an open question for counsel, never a certain substantial interest.
    """
    voting = deal.rights.voting_pct
    if voting is None:
        return None, "the investor's voting interest is not recorded"
    if voting >= 25:
        return True, f"voting interest {fmt(voting)}%, 25% or more (800.244(a))"
    partners = [co for co in deal.co_investors if co.acts_in_concert is not False]
    most: Decimal | None = voting
    for co in partners:
        most = None if most is None or co.voting_pct is None else most + co.voting_pct
    if most is not None and most < 25:
        return False, f"voting interest {fmt(voting)}%, below 25% even with any concert partners"
    return None, (
        f"voting interest {fmt(voting)}% alone is below 25%, but with co-investors that act (or "
        "may act) in concert it could reach 25%; 800.244(a) has no concert clause (contrast "
        "800.219(b), 800.256(d)): a question for counsel"
    )


def deal_facts(deal: DealRecord, rights: RightsFacts, as_of: dt.date) -> DealFacts:
    """The transaction: kind, dates, structure, prior clearances and new rights (800.213)."""
    r = deal.rights
    prior = deal.prior.rights if deal.prior else None
    clearances = deal.prior.clearances if deal.prior else []
    increases: Tri = None
    if prior is not None and prior.voting_pct is not None and r.voting_pct is not None:
        increases = r.voting_pct > prior.voting_pct
    elif prior is None and r.voting_pct is not None:
        increases = r.voting_pct > 0
    ce = getattr(deal, "contingent_equity", None)
    return DealFacts(
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
        new_trigger_rights=_new_trigger_rights(rights, prior),
        increases_voting=increases,
        converts_to_voting_pct=ce.converts_to_voting_pct if ce else None,
        conversion_in_holders_control=ce.conversion_in_holders_control if ce else None,
        conversion_imminent=ce.conversion_imminent if ce else None,
    )


def regime_sections(
    deal: DealRecord, references: References, as_of: dt.date, d: dict[str, str]
) -> dict[str, Section]:
    """The sections of the further regimes, each from its registered deriver."""
    extra: dict[str, Section] = {}
    for name, (_, deriver) in sorted(REGISTRY.items()):
        section, explained = deriver(deal, references, as_of)
        extra[name] = section
        d.update(explained)
    return extra


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
