"""Derived facts: the view of a deal that rules read, computed once per deal.

:func:`derive` runs one named step per section of the :class:`~screening.facts.view.FactView`:
:func:`investor_facts` (government interest through ownership chains, 800.244(c); foreign person,
800.224; excepted investor, 800.219), :func:`target_facts`, :func:`rights_facts`,
:func:`deal_facts`, then :func:`regime_sections` for the further regimes. Every derived fact
carries a one-line explanation of how it was computed. Unknown stays unknown: a derived fact is
``None`` when the record does not settle it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Literal

from screening.facts.business import us_business_assets
from screening.facts.gates import ISSUE_12_REVIEW, applies, done_reading, reading
from screening.facts.ownership import (
    StateBounds,
    chain,
    excepted_investor,
    fmt,
    foreign_person,
    lists_unknown,
    state_bounds,
    ultimate_parent,
)
from screening.facts.sections import REGISTRY, Deriver
from screening.facts.sections.base import (
    AtLeast,
    Section,
    Tri,
    and3,
    built,
    field_or_none,
    not3,
    or3,
)
from screening.facts.techtiming import authorization_needed, controlled_at, test_date
from screening.facts.ties import Ties, country_of_concern_ties, government_control, lp_facts
from screening.facts.view import (
    DealFacts,
    FactView,
    InvestorFacts,
    RightsFacts,
    TargetFacts,
)
from screening.model.deal import (
    DealRecord,
    Party,
    PartyKind,
)
from screening.model.numbers import HUNDRED, Num, add, bounds, ge, gt, make, pct_bounds
from screening.model.reference import References

__all__ = ["derive"]

EXCEPTED_LICENSE_EXCEPTIONS = ("TSU", "ENC", "STA")  # 800.401(e)(6)


def _tri_any(items: list[Any] | None, test: Any) -> Tri:
    if items is None:
        return None
    return or3(test(i) for i in items)


def derive(
    deal: DealRecord,
    references: References,
    as_of: dt.date,
    *,
    reads: Iterable[str] | None = None,
) -> FactView:
    """Compute the fact view of a deal as of a date: one named step per section. ``reads``:
    the fact paths the rulebook reads, which decide the meanings it opts into
    (:mod:`screening.facts.gates`); ``None``: today's meanings."""
    token = reading(reads)  # as `with rulebook_reading(reads)`, without a generator per deal
    try:
        lean = _FULL if reads is None else _lean(reads, references)
        return _derive(deal, references, as_of, lean)
    finally:
        done_reading(token)


def _derive(deal: DealRecord, references: References, as_of: dt.date, lean: _Lean) -> FactView:
    derivations: dict[str, str] = {}
    investor = investor_facts(deal, references, as_of, derivations, lean.investor)
    target = target_facts(deal, references, derivations)
    rights = rights_facts(deal, derivations)
    facts = deal_facts(deal, rights, as_of, derivations)
    extra = regime_sections(deal, references, as_of, derivations, lean.sections)
    return built(
        FactView,
        deal=facts,
        investor=investor,
        target=target,
        rights=rights,
        extra=extra,
        derivations=derivations,
    )


def investor_facts(
    deal: DealRecord,
    references: References,
    as_of: dt.date,
    d: dict[str, str],
    skip: frozenset[str] = frozenset(),
) -> InvestorFacts:
    """The investor: government interest (800.244), foreign person, excepted investor, lists.
    ``skip``: groups of facts (:data:`_INVESTOR_GROUPS`) left unknown and unexplained, for a
    rulebook that neither reads them nor shows their derivations (see :func:`_lean`)."""
    inv = deal.investor
    excepted_states, states, coc, coc_text = _state_lists(references, as_of)
    sb, gov_state, gov_pct = _government_interest(inv, d)
    gov_sub: Tri = None
    nonexcepted: Tri = None
    if "gov_substantial_interest" in skip:
        pass
    elif not sb.low and not sb.high and not sb.wild:
        # No state's interest at all (the common case): what the general steps below give.
        gov_sub = nonexcepted = False
        d["investor.gov_substantial_interest"] = _NO_STATE_NOTE
        d["investor.gov_substantial_interest_nonexcepted"] = (
            f"{_NO_STATE_NOTE}; excepted foreign states on {as_of}: {states}"
        )
    else:
        foreign_states = {s for s in {*sb.low, *sb.high} if s != "US"}
        gov_sub = sb.decide(lambda s: s != "US", Decimal(49))
        nonexcepted = sb.decide(lambda s: s != "US" and s not in excepted_states, Decimal(49))
        d["investor.gov_substantial_interest"] = _bounds_note(sb, foreign_states)
        d["investor.gov_substantial_interest_nonexcepted"] = (
            _bounds_note(sb, foreign_states - excepted_states)
            + f"; excepted foreign states on {as_of}: {states}"
        )
    gov_ctl: Tri = None
    gov_why = ""
    if "gov_controlled" not in skip:
        gov_ctl, gov_why = government_control(
            inv, sb, lambda s: s != "US" and s not in excepted_states
        )
        d["investor.gov_controlled"] = gov_why or (
            "no non-excepted foreign government is shown to control the investor"
            if gov_ctl is False
            else "unknown: the government interest or controller is not fully recorded"
        )
    ties = Ties(tied=None) if "coc_tie" in skip else country_of_concern_ties(inv, coc)
    if "coc_tie" in skip:
        pass
    elif ties.tied:
        d["investor.coc_tie"] = "tied to a country of concern: " + "; ".join(ties.links)
    elif ties.tied is None:
        d["investor.coc_tie"] = "unknown: not recorded: " + "; ".join(ties.unknown)
    else:
        d["investor.coc_tie"] = (
            "no person in the investor's control or 10% ownership chain is tied to " + coc_text
        )
    lps = _NO_LP_FACTS if "foreign_lp" in skip else lp_facts(inv, coc)
    fp_notes: list[str] = []
    foreign = foreign_person(inv, fp_notes)
    if fp_notes:
        d["investor.foreign_person"] = "; ".join(fp_notes)
    ei_notes: list[str] = []
    excepted = excepted_investor(inv, excepted_states, ei_notes)
    d["investor.excepted_investor"] = "; ".join(
        [f"excepted foreign states on {as_of}: {states}", *ei_notes]
    )
    known = sorted(
        {str(x) for x in inv.lists or []}
        | {str(x) for o in chain(inv.owners) for x in o.lists or []}
    )
    lists: list[str] | AtLeast = known
    if lists_unknown(inv):
        lists = AtLeast(known=known)
        d["investor.lists"] = (
            "restricted-list memberships of the investor or an owner are not all known "
            "(a `lists: null`, or an owners list marked incomplete)"
        )
    parent_name, parent_country = ultimate_parent(inv)
    return built(
        InvestorFacts,
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
        foreign_lp_coc_tie=lps["foreign_lp_coc_tie"],
        foreign_lp_coc_tie_link=lps["foreign_lp_coc_tie_link"],
        managed_exclusively_by_gp=inv.managed_exclusively_by_gp,
        lp_advisory_board_compliant=inv.lp_advisory_board_compliant,
        foci_mitigated=inv.foci_mitigated,
    )


_EXCEPTED = "excepted_foreign_states"
_COC = "countries_of_concern_cfius"
_STATE_LISTS: dict[
    tuple[tuple[str, ...], tuple[str, ...]], tuple[frozenset[str], str, frozenset[str], str]
] = {}


def _state_lists(
    references: References, as_of: dt.date
) -> tuple[frozenset[str], str, frozenset[str], str]:
    """The excepted foreign states and the countries of concern on a date, each as a set and as
    the text explanations show (``, ``-joined, sorted; ``none`` for no excepted state), made
    once per pair of values (bounded; a rulebook's lists give a few pairs over all dates)."""
    excepted = tuple(references.values(_EXCEPTED, as_of))  # noted as read
    coc = tuple(references.values(_COC, as_of))
    kept = _STATE_LISTS.get((excepted, coc))
    if kept is None:
        if len(_STATE_LISTS) >= 256:
            _STATE_LISTS.clear()
        kept = _STATE_LISTS[(excepted, coc)] = (
            frozenset(excepted),
            ", ".join(sorted(set(excepted))) or "none",
            frozenset(coc),
            ", ".join(sorted(set(coc))),
        )
    return kept


def _government_interest(
    inv: Party, d: dict[str, str]
) -> tuple[StateBounds, str | None, Num | None]:
    """Bounds on each state's interest in the investor, and the largest single-state one.

    Exact when every state's interest is; otherwise a range from the largest interest some
    state certainly has to the most any single state could have, and the state is named only
    when no other state (or holder not fully recorded) could hold more.
    """
    notes: list[str] = []
    sb = state_bounds(inv.kind, inv.country, inv.owners, inv.name, notes, inv.owners_complete)
    if not sb.low and not sb.high and not sb.wild:  # no state's interest: exact, none
        d["investor.gov_interest_pct"] = (
            "; ".join(notes) + " (800.244(c))" if notes else "no government owner recorded"
        )
        return sb, None, Decimal(0)
    gov_state: str | None = None
    foreign_low = {s: p for s, p in sb.low.items() if s != "US"}
    foreign_high = {s: p for s, p in sb.high.items() if s != "US"}
    if foreign_low:
        gov_state = max(sorted(foreign_low.items()), key=lambda kv: kv[1])[0]
    least = foreign_low[gov_state] if gov_state else Decimal(0)
    if sb.exact():
        d["investor.gov_interest_pct"] = (
            "; ".join(notes) + " (800.244(c))" if notes else "no government owner recorded"
        )
        return sb, gov_state, least
    most = min(HUNDRED, max([least, *foreign_high.values()]) + sb.wild)
    others = [p for s, p in foreign_high.items() if s != gov_state]
    if gov_state and (sb.wild > 0 or any(p > least for p in others)):
        gov_state = None  # another state could hold as much or more
    d["investor.gov_interest_pct"] = "unknown: " + "; ".join(notes)
    if least == 0 and most == HUNDRED:
        return sb, gov_state, None  # nothing is known: unknown, not a range
    return sb, gov_state, make(least, most)


def _bounds_note(sb: StateBounds, states: set[str]) -> str:
    """One line on the per-state bounds that decide the 49% test (800.244(a))."""
    parts = []
    for state in sorted(states):
        low, high = sb.low.get(state, Decimal(0)), sb.high.get(state, Decimal(0))
        high = min(HUNDRED, high + sb.wild)
        parts.append(
            f"{state}: {fmt(low)}%" if low == high else f"{state}: {fmt(low)}% to {fmt(high)}%"
        )
    if sb.wild:
        parts.append(f"up to {fmt(sb.wild)}% held by owners not fully recorded")
    body = ", ".join(parts) if parts else "no foreign government interest recorded"
    return f"each single state's attributed voting interest (49% test, 800.244(a), (c)): {body}"


_NO_STATE_NOTE = _bounds_note(StateBounds(), set())
"""The 49% test's note where no state has any interest in the investor."""


def _concert_voting_pct(deal: DealRecord) -> Num | None:
    """The investor's voting interest with co-investors acting in concert (800.208(b))."""
    concert: Num | None = deal.rights.voting_pct
    if concert is not None and not deal.co_investors_complete:
        # Unlisted co-investors may act in concert: only the lower bound is known.
        concert = make(bounds(concert)[0] or Decimal(0), None)
    for co in deal.co_investors:
        if co.acts_in_concert is False or concert is None:
            continue
        voting = co.voting
        # Whether, or how much, they act together may be unknown.
        concert = None if co.acts_in_concert is None or voting is None else add(concert, voting)
    return concert


def _concert_majority(deal: DealRecord, d: dict[str, str]) -> bool | None:
    """Whether the investor with those acting in concert holds 50% or more (800.208(b), (e)(1),
    (e)(8): a 50% bloc can block every decision), decided by bounds where concert status, a
    stake or the co-investor list is not known.

    The least the group holds counts only co-investors known to act in concert, each at the
    least its stake can be; the most counts every co-investor not known to act apart, each at
    the most its stake can be (an unknown stake, or unlisted co-investors of an incomplete list,
    count as all of the rest). The answer is yes when the least is 50% or more, no when the
    most is under 50%, and unknown only when the bounds straddle 50%.
    """
    own = deal.rights.voting_pct
    least = Decimal(0) if own is None else pct_bounds(own)[0]
    most: Decimal | None = None if own is None else pct_bounds(own)[1]
    for co in deal.co_investors:
        if co.acts_in_concert is False:
            continue
        voting = co.voting  # `voting_pct`, else a consortium member's `rights.voting_pct`
        if co.acts_in_concert is True and voting is not None:
            least += pct_bounds(voting)[0]
        if most is not None:
            most = None if voting is None else most + pct_bounds(voting)[1]
    if not deal.co_investors_complete:
        most = None  # an unlisted co-investor may act in concert
    if least >= 50:
        answer: bool | None = True
    elif most is not None and most < 50:
        answer = False
    else:
        answer = None
    if any(co.acts_in_concert is None for co in deal.co_investors) or (
        not deal.co_investors_complete
    ):
        d["investor.concert_majority"] = (
            f"concert status of a co-investor unknown: the group holds at least {least}%"
            + (f" and at most {most}%" if most is not None else "")
        )
    return answer


def target_facts(deal: DealRecord, references: References, d: dict[str, str]) -> TargetFacts:
    """The target: critical technologies (800.215), Appendix A functions, sensitive data."""
    tgt = deal.target
    cts = tgt.critical_technologies
    when = test_date(deal)
    timing = [(c, controlled_at(c, when)) for c in cts or []]
    # A technology controlled only after the test date is not a critical technology for this
    # deal (800.401(c)(3)); one whose timing is unknown keeps the answer open.
    current = (
        None
        if cts is None
        else [c for c, at in timing if c.activity_current is not False and at is not False]
    )
    timing_open = any(at is None for _, at in timing)
    auth = {id(c): authorization_needed(c, deal) for c in current or []}
    ct_auth = _tri_any(current, lambda c: auth[id(c)][0])
    # Explained only where derived from licences by country (a stipulation speaks for itself).
    notes = [
        f"{c.description}: {auth[id(c)][1]}"
        for c in current or []
        if c.authorization_required is None
    ]
    if notes:
        d["target.ct_authorization_required"] = "; ".join(notes)
    late = [c.description for c, at in timing if at is False]
    if late:
        d["target.critical_technology"] = (
            f"controlled only after the test date {when} (earliest of signing, tender, proxy "
            f"and completion; 800.401(c)(3)), so not counted: " + ", ".join(late)
        )
    needing = [c for c in current or [] if auth[id(c)][0] is not False]
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
    ct_fact: Tri = (
        None
        if current is None
        else (True if any(at for c, at in timing if c in current) else None)
        if current and timing_open
        else bool(current)
    )
    if cts == [] and applies(ISSUE_12_REVIEW) and _export_points_to_ct(deal, d):
        ct_fact, ct_auth, exc_all = None, None, None
    cici, cici_items = _cici_function(deal, references, d)
    spd = tgt.sensitive_data
    nearest = _nearest([f.miles_to_listed_installation for f in tgt.facilities or []])
    return built(
        TargetFacts,
        name=tgt.name,
        country=tgt.country,
        naics=tgt.naics,
        us_business=tgt.interstate_commerce,
        critical_technology=ct_fact,
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


def _export_points_to_ct(deal: DealRecord, d: dict[str, str]) -> bool:
    """Whether the deal's export classification points to a critical technology none is recorded.

    The `export_control` block classifies what the U.S. side releases under an ECCN off EAR99
    with a licence required to the recipient's country: technology on the Commerce Control List
    that needs a licence, which is a critical technology (31 CFR 800.215(b)) when it is
    controlled for national security, chemical and biological weapons, nuclear
    nonproliferation or missile technology, regional stability or surreptitious listening - an
    anti-terrorism-only entry is not. The target's empty `critical_technologies` list then does
    not settle the question: it stays unknown (an open question), never a silent clear.
    """
    x = field_or_none(deal, "export_control")
    if x is None or x.eccn is None or x.eccn == "EAR99":
        return False
    if x.licence_required_for_country is not True:
        return False
    d["target.critical_technology"] = (
        f"no critical technology is recorded, but export_control classifies the technology "
        f"released as {x.eccn} with a licence required for "
        f"{', '.join(sorted(set(x.recipient_countries or []))) or 'the recipient'}: a CCL item "
        "needing a licence is a critical technology (800.215(b)) unless it is controlled only "
        "for anti-terrorism or other unilateral reasons, which makes the target a TID U.S. "
        "business (800.248(a)); record the technology in target.critical_technologies (or "
        "correct the classification)"
    )
    d["target.ct_authorization_required"] = (
        "not known: the technology classified in export_control is not recorded as a critical "
        "technology with its licence requirements by destination"
    )
    return True


def _nearest(miles: list[Num | None]) -> Num | None:
    """The least of several distances (ranges give a range); unknown if any is unknown."""
    if not miles or any(m is None for m in miles):
        return None
    los = [bounds(m)[0] for m in miles if m is not None]
    his = [bounds(m)[1] for m in miles if m is not None]
    lo = min((x for x in los if x is not None), default=None) if None not in los else None
    known_hi = [x for x in his if x is not None]
    hi = min(known_hi) if known_hi else None
    return make(lo if lo is not None else Decimal(0), hi)


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
            gt(prior.voting_pct, 50)
            or (
                prior.board_seats is not None
                and prior.board_size
                and prior.board_seats * 2 > prior.board_size
            )
        )
    )
    largest: Tri = (
        None
        if r.voting_pct is None or r.largest_other_holder_pct is None
        else _exceeds(r.voting_pct, r.largest_other_holder_pct)
    )
    return built(
        RightsFacts,
        voting_pct=r.voting_pct,
        substantial_interest=substantial,
        equity_pct=r.equity_pct,
        board_seats=seats,
        board_majority=majority,
        board_seat=None if seats is None else seats > 0,
        board_observer=r.board_observer,
        board_nomination_right=r.board_nomination_right,
        mnpti_access=_mnpti_access(deal),
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
        control_stated={True: "yes", False: "no", None: "not_stated"}[r.control],
        no_control_stipulated=r.control is False,
        blocks_decisions=_blocks(r.voting_pct, r.decision_threshold_pct),
        dominant_minority_stated=r.dominant_minority is True,
        dominant_minority=_dominant_minority(r.dominant_minority, r.voting_pct, largest),
        largest_holder=largest,
    )


def _dominant_minority(stated: bool | None, voting: Num | None, largest: Tri) -> Tri:
    """A dominant minority (800.208(a)): as the record states it; not stated, it is an open
    question for a minority holder the record shows as the largest holder (the usual mark of a
    dominant minority), and taken as absent otherwise (no sign of it in the record)."""
    if stated is not None:
        return stated
    if largest is True and ge(voting, 50) is False:
        return None
    return False


def _mnpti_access(deal: DealRecord) -> Tri:
    """Access to material nonpublic technical information (800.211(b)(1), 800.232): a right in
    the investment, or one the supply or offtake terms give the investor (the same transaction)."""
    terms = field_or_none(deal, "supply_terms")
    via_supply = None if terms is None else terms.technical_information_to_investor
    if via_supply is None and terms is None:
        return deal.rights.mnpti_access
    return or3([deal.rights.mnpti_access, via_supply])


def _blocks(voting: Num | None, threshold: Num | None) -> Tri:
    """Whether the other holders together cannot reach the votes important matters need.

    With a simple majority (more than 50%, the default), a holder of 50% or more blocks
    (800.301(e)(3): 50% against 50% under a more-than-half rule is control); with a
    supermajority of T%, a holder of more than 100 - T% blocks.
    """
    if voting is None:
        return None
    if threshold is None:
        return ge(voting, 50)
    # The others hold at most 100 - V; they are blocked when that is below T.
    vlo, vhi = bounds(voting)
    tlo, thi = bounds(threshold)
    others_most = HUNDRED - (vlo or Decimal(0))
    others_least = HUNDRED - (vhi if vhi is not None else HUNDRED)
    if tlo is not None and others_most < tlo:
        return True
    if thi is not None and others_least >= thi:
        return False
    return None


def _substantial_interest(deal: DealRecord) -> tuple[Tri, str]:
    """800.244(a): a voting interest of 25% or more; concert partners are not aggregated.

    800.244 has no clause aggregating related persons or those acting in concert (unlike
    800.219(b) and 800.256(d)). A stake that reaches 25% only together with co-investors acting
    in concert is left an open question for counsel, never a certain substantial interest.
    """
    voting = deal.rights.voting_pct
    if voting is None:
        return None, "the investor's voting interest is not recorded"
    alone = ge(voting, 25)
    if alone:
        return True, f"voting interest {fmt(voting)}%, 25% or more (800.244(a))"
    if alone is None:
        return None, f"voting interest {fmt(voting)}%: whether it is 25% or more is not settled"
    partners = [co for co in deal.co_investors if co.acts_in_concert is not False]
    most: Decimal | None = pct_bounds(voting)[1]
    for co in partners:
        stake = co.voting  # `voting_pct`, else a consortium member's `rights.voting_pct`
        most = None if most is None or stake is None else most + pct_bounds(stake)[1]
    if not deal.co_investors_complete:
        most = None  # an unlisted co-investor may act in concert
    if most is not None and most < 25:
        return False, f"voting interest {fmt(voting)}%, below 25% even with any concert partners"
    return None, (
        f"voting interest {fmt(voting)}% alone is below 25%, but with co-investors that act (or "
        "may act) in concert it could reach 25%; 800.244(a) has no concert clause (contrast "
        "800.219(b), 800.256(d)): a question for counsel"
    )


def deal_facts(
    deal: DealRecord, rights: RightsFacts, as_of: dt.date, d: dict[str, str] | None = None
) -> DealFacts:
    """The transaction: kind, dates, structure, prior clearances and new rights (800.213)."""
    d = {} if d is None else d
    constitutes, why = us_business_assets(
        field_or_none(deal, "assets_constitute_us_business"),
        field_or_none(deal, "assets"),
        "the acquired assets as a U.S. business",
    )
    if why:
        d["deal.assets_constitute_us_business"] = why
    contribution = field_or_none(deal, "us_contribution")
    contributed_assets = field_or_none(deal, "contributed_assets")
    if contribution is None and contributed_assets is not None:
        contributed, why = us_business_assets(
            None, contributed_assets, "the U.S. side's contribution"
        )
        contribution = {True: "us_business", False: "assets_not_business", None: None}[contributed]
        d["deal.us_contribution"] = str(why)
    elif contribution is not None and contributed_assets is not None:
        d["deal.us_contribution"] = f"stipulated in the record: {contribution}"
    r = deal.rights
    prior = deal.prior.rights if deal.prior else None
    clearances = deal.prior.clearances if deal.prior else []  # None: not known
    control_cleared = _cleared(clearances, "control")
    investment_cleared = _cleared(clearances, "covered_investment")
    increases: Tri = None
    if prior is not None and prior.voting_pct is not None and r.voting_pct is not None:
        increases = _exceeds(r.voting_pct, prior.voting_pct)
    elif prior is None and r.voting_pct is not None:
        increases = gt(r.voting_pct, 0)
    ce = field_or_none(deal, "contingent_equity")
    return built(
        DealFacts,
        kind=deal.kind,
        as_of=as_of,
        value_usd=deal.value_usd,
        signing_date=deal.signing_date,
        completion_date=deal.completion_date,
        evasion_structure=deal.evasion_structure,
        assets_only=field_or_none(deal, "assets_only"),
        assets_constitute_us_business=constitutes,
        us_contribution=contribution,
        arrangement=field_or_none(deal, "arrangement"),
        term_years=field_or_none(deal, "term_years"),
        transfers_business_operations=field_or_none(deal, "transfers_business_operations"),
        through_newly_formed_subsidiary=field_or_none(deal, "through_newly_formed_subsidiary"),
        open_market_purchase=field_or_none(deal, "open_market_purchase"),
        property_rights=field_or_none(deal, "property_rights"),
        prior_control_clearance=control_cleared is True,
        prior_investment_clearance=investment_cleared is True,
        prior_control_cleared=control_cleared,
        prior_investment_cleared=investment_cleared,
        new_trigger_rights=_new_trigger_rights(rights, prior),
        increases_voting=increases,
        converts_to_voting_pct=ce.converts_to_voting_pct if ce else None,
        conversion_in_holders_control=ce.conversion_in_holders_control if ce else None,
        conversion_imminent=ce.conversion_imminent if ce else None,
        closed_without_notice=None
        if deal.history is None
        else and3([deal.history.closed, not3(deal.history.notified)]),
        mitigation_agreement=None if deal.history is None else deal.history.mitigation_agreement,
        # The safe harbor (800.701(b)) must be shown: a record without `history`, or one saying
        # the deal was never notified, has no concluded CFIUS action (false only ever keeps the
        # risk factors, never lowers a verdict).
        cfius_action_concluded=False
        if deal.history is None or deal.history.notified is False
        else deal.history.cfius_action_concluded,
    )


def _cleared(clearances: list[Any] | None, kind: str) -> Tri:
    """Whether CFIUS cleared an earlier step of this kind; unknown when the list is."""
    if any(c.kind == kind for c in clearances or []):
        return True
    return None if clearances is None else False


def _exceeds(a: Num, b: Num) -> Tri:
    """``a > b`` for two numbers or ranges: decided where the bounds decide it."""
    (alo, ahi), (blo, bhi) = bounds(a), bounds(b)
    if alo is not None and bhi is not None and alo > bhi:
        return True
    if ahi is not None and blo is not None and ahi <= blo:
        return False
    return None


def regime_sections(
    deal: DealRecord,
    references: References,
    as_of: dt.date,
    d: dict[str, str],
    derivers: tuple[tuple[str, Deriver | Section], ...] | None = None,
) -> dict[str, Section]:
    """The sections of the further regimes, each from its registered deriver. ``derivers``:
    those to run, in name order, a section left out given as its empty (unknown) instance
    (see :func:`_lean`); ``None``: every one."""
    extra: dict[str, Section] = {}
    for name, deriver in _DERIVERS if derivers is None else derivers:
        if isinstance(deriver, Section):
            extra[name] = deriver  # a section the rulebook never reads: all unknown
            continue
        section, explained = deriver(deal, references, as_of)
        extra[name] = section
        if explained:
            d.update(explained)
    return extra


_DERIVERS: tuple[tuple[str, Deriver], ...] = tuple(
    (name, entry[1]) for name, entry in sorted(REGISTRY.items())
)
"""The registered derivers in name order (the registry is fixed at import)."""


# --------------------------------------------------------------------------------------------
# Work a rulebook never sees (issue 14)
#
# A screening result shows a fact only through what the rulebook reads (its conditions and
# explanation placeholders: ``reads``) and through the derivations it lists: those of the core
# sections and of every section the rulebook reads, less the paths of SHOWN_WHEN_READ that it
# does not read (``engine/run.py``, ``_Plan.shown_sections`` and ``_Assembly.shown``). The memo
# lists the reference lists the derivation read. Work whose facts are none of these, and whose
# derivations are hidden, is skipped under that rulebook: the facts stay unknown. Under
# today's rulebook (it reads them all) and without ``reads`` nothing is skipped.

SECTION_REFERENCES: dict[str, tuple[str, ...]] = {
    "broker": ("covered_nations_4872d",),
    "credit": ("credit_phaseout_45x",),
    "defense": ("ndaa_154_battery_entities",),
    "export": ("ear_affiliates_rule",),
    "farmland": (),
}
"""The reference lists a section's deriver may read, for the sections that may be skipped
(``tests/test_derive_lean.py`` holds every deriver to its entry): one is skipped only when
the rulebook reads none of its facts and has none of these lists (the memo names the lists
read; ``References.note`` notes only a list the rulebook has). A section listed explains only
its own facts (``offtake`` is not listed: it explains ``rights.mnpti_access``, a core fact
every result shows)."""

_INVESTOR_GROUPS: dict[str, tuple[str, ...]] = {
    "gov_substantial_interest": (
        "investor.gov_substantial_interest",
        "investor.gov_substantial_interest_nonexcepted",
    ),
    "gov_controlled": ("investor.gov_controlled", "investor.gov_control_link"),
    "coc_tie": ("investor.coc_tie", "investor.coc_tie_link"),
    "foreign_lp": (
        "investor.foreign_lp_with_rights",
        "investor.foreign_lp_ct_authorization",
        "investor.foreign_lp_coc_tie",
        "investor.foreign_lp_coc_tie_link",
    ),
}
"""Investor facts computed together, by the group :func:`investor_facts` skips: each path is
read by no other fact, and its derivation (if any) is in SHOWN_WHEN_READ."""


@dataclasses.dataclass(frozen=True)
class _Lean:
    """What :func:`derive` skips for one rulebook."""

    investor: frozenset[str] = frozenset()  # groups of _INVESTOR_GROUPS
    sections: tuple[tuple[str, Deriver | Section], ...] | None = None  # see regime_sections


_FULL = _Lean()
_NO_LP_FACTS: dict[str, Any] = dict.fromkeys(
    path.split(".", 1)[1] for path in _INVESTOR_GROUPS["foreign_lp"]
)
"""lp_facts' answer with every fact unknown (read, never written)."""
_LEAN: dict[tuple[frozenset[str], int], tuple[References, _Lean]] = {}


def _lean(reads: Iterable[str], references: References) -> _Lean:
    """The work :func:`derive` may skip for a rulebook that reads ``reads`` with
    ``references`` (worked out once per pair; bounded)."""
    paths = reads if isinstance(reads, frozenset) else frozenset(reads)
    key = (paths, id(references))
    kept = _LEAN.get(key)
    if kept is not None and kept[0] is references:
        return kept[1]
    read_sections = {path.split(".", 1)[0] for path in paths}
    skip = frozenset(
        group
        for group, group_paths in _INVESTOR_GROUPS.items()
        if not any(p in paths for p in group_paths)
    )
    sections: list[tuple[str, Deriver | Section]] = []
    for name, deriver in _DERIVERS:
        lists = SECTION_REFERENCES.get(name)
        if (
            lists is not None
            and name not in read_sections
            and not any(x in references.lists for x in lists)
        ):
            sections.append((name, _empty(REGISTRY[name][0])))
        else:
            sections.append((name, deriver))
    lean = _Lean(skip, tuple(sections))
    if len(_LEAN) >= 64:
        _LEAN.clear()
    _LEAN[key] = (references, lean)
    return lean


_EMPTY: dict[type[Section], Section] = {}


def _empty(cls: type[Section]) -> Section:
    """A section with every fact unknown (made once per class; sections are immutable)."""
    found = _EMPTY.get(cls)
    if found is None:
        found = _EMPTY[cls] = cls()
    return found


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
