"""Fact-view section `outbound`: 31 CFR part 850 (outbound investment).

Derived here: whether the investor is a U.S. person (850.229) or a controlled foreign entity of
one (850.206, 850.219); whether the counterparty is a person of a country of concern (850.221,
countries from the reference list ``countries_of_concern_850``); the 50% financial test of
850.209(a)(2); the training-compute thresholds of 850.217(d)(3) and 850.224(k), compared as exact
integers (a double would blur 10^25 and 10^25 + 1); and the notification deadline of
850.404(c). Everything else is the record's own facts.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from screening.facts.gates import REVIEW_J, applies
from screening.facts.parties import screen_name
from screening.facts.sections._chains import full_count_share, meets, unlisted_max
from screening.facts.sections.base import HUNDRED, AtLeast, Section, Tri, built, fact, or3
from screening.model.numbers import Num, ge, gt, pct_bounds, render
from screening.model.reference import References

COUNTRIES = "countries_of_concern_850"
NOTIFICATION_DAYS = 30  # 850.404(c)
FIFTY = Decimal(50)
# 850.224(m)(1), (2), (4), (5): the restricted lists the party screening also reads (same ids).
PARTY_LISTS = ("bis_entity_list", "bis_meu_list", "ofac_sdn", "ns_cmic")


class OutboundFacts(Section):
    """Facts the `outbound` rules read."""

    recorded: bool | None = fact("the deal carries an outbound-investment record")
    transaction_type: str | None = fact("850.210(a) transaction type")
    us_person: bool | None = fact("the investor is a U.S. person (850.229)")
    controlled_foreign_entity: bool | None = fact(
        "the investor is a controlled foreign entity of a U.S. person (850.206)"
    )
    knows_relevant_facts: bool | None = fact(
        "the U.S. person knows (or has reason to know) the relevant facts at the time of the "
        "transaction (850.216)"
    )
    later_knowledge: bool | None = fact(
        "the U.S. person did not know the relevant facts at the time of the transaction and knows "
        "them by the screening date, after completion (850.403)"
    )
    knowledge_notice_due: dt.date | None = fact(
        "850.403 notification due: 30 days after the knowledge (the screening date) (850.404(c))"
    )
    official_usg_business: bool | None = fact("official business of the U.S. Government")
    coc_person: bool | None = fact("the counterparty is a person of a country of concern (850.221)")
    coc_country: str | None = fact("the country of concern concerned")
    financial_test_over_50: bool | None = fact(
        "more than 50% of revenue, net income, capex or opex comes through covered foreign persons"
    )
    activities: list[str] | None = fact("covered activities of the target or joint venture")
    ic_meets_3a090a: bool | None = fact("designed ICs meet ECCN 3A090.a")
    ic_cryogenic: bool | None = fact("ICs designed for operation at or below 4.5 K")
    fabricated_ic_types: list[str] | None = fact("types of ICs fabricated")
    logic_node_nm: Decimal | None = fact("logic production node", "nm")
    logic_non_planar: bool | None = fact("logic ICs use a non-planar transistor architecture")
    nand_layers: int | None = fact("NAND layers")
    dram_half_pitch_nm: Decimal | None = fact("DRAM half-pitch", "nm")
    gallium_based: bool | None = fact("ICs from a gallium-based compound semiconductor")
    graphene_or_cnt: bool | None = fact("ICs using graphene transistors or carbon nanotubes")
    advanced_packaging: bool | None = fact("ICs packaged with advanced packaging (850.201)")
    supercomputer_dp_pflops: Decimal | None = fact(
        "supercomputer double-precision capacity", "PFLOPS"
    )
    supercomputer_sp_pflops: Decimal | None = fact(
        "supercomputer single-precision capacity", "PFLOPS"
    )
    supercomputer_volume_cu_ft: Decimal | None = fact("supercomputer envelope", "cubic feet")
    quantum_end_use_covered: bool | None = fact(
        "quantum sensing/networking for an 850.224(h)-(i) use"
    )
    ai_exclusive_military_or_surveillance: bool | None = fact(
        "AI designed exclusively for, or intended for, military/intelligence/mass-surveillance use"
    )
    ai_designed_for_military_or_surveillance: bool | None = fact(
        "AI designed for any military, intelligence or mass-surveillance use"
    )
    ai_intended_uses: list[str] | None = fact("intended uses of the AI system (850.217(d)(2))")
    ai_training_operations: Decimal | None = fact("operations used to train the AI system")
    ai_training_over_1e25: bool | None = fact("trained with more than 10^25 operations")
    ai_training_over_1e24: bool | None = fact("trained with more than 10^24 operations")
    ai_training_over_1e23: bool | None = fact("trained with more than 10^23 operations")
    ai_primarily_biological_data: bool | None = fact(
        "trained primarily on biological sequence data"
    )
    target_lists: list[str] | AtLeast | None = fact("850.224(m) lists naming the counterparty")
    debt_equity_like_rights: bool | None = fact("the debt carries equity-like rights")
    contingent_equity_acquired_on: dt.date | None = fact("contingent equity acquired on")
    fund_is_us_person: bool | None = fact("the fund is a U.S. person")
    fund_likely_invests_in_coc_tech: bool | None = fact(
        "the fund likely will invest in PRC semiconductors, quantum or AI"
    )
    publicly_traded_security: bool | None = fact("a publicly traded security")
    registered_fund_security: bool | None = fact("a security of a registered fund or BDC")
    lp_committed_capital_usd: Num | None = fact("LP committed capital", "USD")
    lp_binding_assurance: bool | None = fact("binding contractual assurance from the fund")
    derivative_without_equity_rights: bool | None = fact("a derivative with no right to equity")
    rights_beyond_minority_protections: bool | None = fact(
        "rights beyond standard minority shareholder protections (850.501(a)(2))"
    )
    full_buyout_of_coc_persons: bool | None = fact("buy-out of every country-of-concern holder")
    intra_cfe_support: bool | None = fact("transaction with its own CFE (850.501(c))")
    uncalled_commitment_date: dt.date | None = fact("binding uncalled commitment dated")
    syndicated_loan_default: bool | None = fact("acquisition on default as a syndicate member")
    employee_compensation: bool | None = fact("employee equity compensation")
    notification_due: dt.date | None = fact("notification due (850.404(c))")


def _us_person(deal: Any, notes: dict[str, str]) -> Tri:
    inv = deal.investor
    ob = deal.outbound
    if ob is not None and ob.us_person is not None:
        notes["outbound.us_person"] = "as the deal records it"
        return bool(ob.us_person)
    if str(inv.kind) == "individual":
        nats = inv.nationalities or ([inv.country] if inv.country else None)
        if nats is None:
            return None
        if "US" in nats:
            notes["outbound.us_person"] = "a U.S. citizen (850.229)"
            return True
        notes["outbound.us_person"] = "not a U.S. citizen; permanent residence not recorded"
        return None
    if inv.country is None:
        return None
    notes["outbound.us_person"] = f"organized in {inv.country}" + (
        " (850.229)" if inv.country == "US" else ""
    )
    return bool(inv.country == "US")


def _is_us_person(owner: Any) -> Tri:
    """850.229 for a recorded owner: a U.S. citizen, or an entity organized in the United States."""
    if str(owner.kind) == "individual":
        nats = getattr(owner, "nationalities", None) or ([owner.country] if owner.country else None)
        if nats is None:
            return None
        return True if "US" in nats else None  # a permanent resident is not recorded
    if str(owner.kind) == "government":
        return False
    return None if owner.country is None else owner.country == "US"


class _UsHoldings:
    """Each U.S. person's attributed voting interest in an entity, as bounds (850.206(b))."""

    def __init__(self) -> None:
        self.low: dict[str, Decimal] = {}
        self.high: dict[str, Decimal] = {}
        self.parents: dict[str, str] = {}  # U.S. persons that are parents by a non-vote prong
        self.wild = Decimal(0)  # voting interest whose U.S. holder (if any) is unknown
        self.maybe_parent = False  # a parent prong that a U.S. person may meet is unknown
        # U.S. holders whose own U.S. parent (if any) is not settled by the record: an unrecorded
        # U.S. parent of each of them may also hold any other U.S. holding (850.206(b)(1), (3)).
        self.floating: set[str] = set()

    def add(self, name: str, low: Decimal, high: Decimal) -> None:
        self.low[name] = min(HUNDRED, self.low.get(name, Decimal(0)) + low)
        self.high[name] = min(HUNDRED, self.high.get(name, Decimal(0)) + high)

    def decide(self) -> tuple[Tri, str]:
        """Whether a single U.S. person is a parent (more than 50%, or a GP/adviser prong)."""
        if self.parents:
            name = sorted(self.parents)[0]
            return True, self.parents[name]
        for name, low in sorted(self.low.items()):
            if low > FIFTY:
                return (
                    True,
                    f"{name} (US) holds {low.normalize():f}% of the votes, directly or indirectly",
                )
        most = max((v for k, v in self.high.items() if k not in self.floating), default=Decimal(0))
        # One U.S. person may be the unrecorded parent of every floating holder at once, and hold
        # any one other U.S. holding itself: aggregated, that bound must stay at or below 50%.
        floating = sum((self.high[k] for k in self.floating), Decimal(0))
        if self.maybe_parent or most + floating + self.wild > FIFTY:
            return None, ""
        return False, ""


def _us_holdings(
    name: str,
    kind: str,
    owners: list[Any] | None,
    adviser: Any,
    depth: int = 0,
    complete: bool = True,
) -> _UsHoldings:
    """850.206(b), 850.219: full attribution through parents, proportional below."""
    out = _UsHoldings()
    if owners is None or depth > 20:
        out.wild = HUNDRED
        out.maybe_parent = True
        return out
    if kind == "fund":
        if adviser is None:
            out.maybe_parent = True  # 850.219(c): the pooled fund's investment adviser
        elif _is_us_person(adviser):
            out.parents[adviser.name] = (
                f"{adviser.name} (US) is the investment adviser of {name} (850.219(c))"
            )
        if not any(o.is_general_partner for o in owners) and any(
            o.is_general_partner is None for o in owners
        ):
            out.maybe_parent = True
        if not owners:
            out.maybe_parent = True  # the general partner is not recorded
    unlisted = unlisted_max(owners, complete)
    if unlisted > 0:
        # Holders left off an incomplete owners list: any of them could be a U.S. person.
        out.wild = min(HUNDRED, out.wild + unlisted)
    for owner in owners:
        pct = owner.voting_pct
        low_v, high_v = pct_bounds(pct) if pct is not None else (Decimal(0), HUNDRED)
        us = _is_us_person(owner)
        if us:
            out.add(owner.name, low_v, high_v)
            if owner.is_general_partner:
                out.parents[owner.name] = (
                    f"{owner.name} (US) is the general partner or managing member of {name} "
                    "(850.219(b))"
                )
            if str(owner.kind) not in ("individual", "government") and owner.owners is None:
                # Its owners are not recorded: a U.S. parent above it may aggregate its holding
                # with other U.S. holdings here (850.206(b)(1), (3)).
                out.floating.add(owner.name)
            elif str(owner.kind) not in ("individual", "government") and owner.owners:
                # 850.206(b)(1), (3): a U.S. subsidiary's holding is fully attributed to its U.S.
                # parent too, and aggregated with the parent's direct holding.
                above = _us_holdings(
                    owner.name,
                    str(owner.kind),
                    owner.owners,
                    None,
                    depth + 1,
                    owner.owners_complete,
                )
                verdict, how = above.decide()
                if verdict:
                    top = (
                        sorted(above.parents)[0]
                        if above.parents
                        else max(above.low, key=lambda k: (above.low[k], k))
                    )
                    if top != owner.name:
                        out.add(top, low_v, high_v)
                        if owner.is_general_partner:
                            out.parents[top] = (
                                f"{how}, and {owner.name} is the general partner of {name} "
                                "(850.206(b), 850.219(b))"
                            )
                elif verdict is None:
                    # Owners left off its list (or unknown above) may include a U.S. parent.
                    out.floating.add(owner.name)
            continue
        if us is None and str(owner.kind) == "individual":
            out.wild = min(HUNDRED, out.wild + high_v)
            continue
        if str(owner.kind) in ("individual", "government"):
            continue
        if owner.country is None:
            out.wild = min(HUNDRED, out.wild + high_v)
            out.maybe_parent = out.maybe_parent or bool(owner.is_general_partner is not False)
            continue
        above = _us_holdings(
            owner.name, str(owner.kind), owner.owners, None, depth + 1, owner.owners_complete
        )
        verdict, how = above.decide()
        if verdict:
            # A U.S. person is a parent of this owner: the owner's holding is fully attributed.
            us_name = (
                sorted(above.parents)[0]
                if above.parents
                else max(above.low, key=lambda k: (above.low[k], k))
            )
            out.add(us_name, low_v, high_v)
            if owner.is_general_partner:
                out.parents[us_name] = (
                    f"{how}, and {owner.name} is the general partner of {name} (850.206(b), "
                    "850.219(b))"
                )
            elif gt(pct, FIFTY) is True:
                out.parents[us_name] = f"{how}; {owner.name} holds {render(pct, '%')} of {name}"
            continue
        if verdict is None:
            out.maybe_parent = out.maybe_parent or bool(owner.is_general_partner)
        for us_name, low in above.low.items():
            out.add(us_name, low * low_v / HUNDRED, above.high[us_name] * high_v / HUNDRED)
        out.floating |= above.floating
        if above.wild or verdict is None:
            # Unknown holders above could be a single U.S. parent: then the holding counts in full.
            out.wild = min(HUNDRED, out.wild + high_v)
    return out


def _cfe(deal: Any, notes: dict[str, str]) -> Tri:
    """850.206: a non-U.S. entity of which a U.S. person is a parent (850.219), whole chain."""
    inv = deal.investor
    if inv.country is None or inv.country == "US" or str(inv.kind) == "individual":
        return None if inv.country is None else False
    holdings = _us_holdings(
        inv.name,
        str(inv.kind),
        inv.owners,
        getattr(inv, "investment_adviser", None),
        complete=inv.owners_complete,
    )
    result, how = holdings.decide()
    controller = getattr(inv, "controlled_by", None)
    if result is False and controller is not None and _is_us_person(controller) is not False:
        # A recorded controller may hold the board's voting power (850.219(a)(2)).
        result = None
    if result:
        notes["outbound.controlled_foreign_entity"] = how + " (850.206, 850.219)"
    elif result is None:
        notes["outbound.controlled_foreign_entity"] = (
            "unknown: the chain above the investor does not settle whether a U.S. person holds "
            "more than 50% of its votes or board voting power, is its general partner or advises "
            "it as a pooled fund (850.206(b), 850.219)"
        )
    return result


def _coc_person(deal: Any, coc: set[str], notes: dict[str, str]) -> tuple[Tri, str | None]:
    ob = deal.outbound
    if ob is not None and ob.counterparty_coc_person is not None:
        notes["outbound.coc_person"] = "as the deal records it"
        return bool(ob.counterparty_coc_person), None
    kind = ob.transaction_type if ob is not None else None
    if kind == "joint_venture" or (kind is None and deal.kind == "joint_venture"):
        partners = [c.party for c in deal.co_investors]
        hits = [p for p in partners if p.country in coc or p.principal_place_of_business in coc]
        if hits:
            notes["outbound.coc_person"] = f"JV partner {hits[0].name} is of {hits[0].country}"
            return True, hits[0].country
        return None, None  # the partners' owners may still make them CoC persons
    tgt = deal.target
    places = [tgt.country]
    if ob is not None:
        places += [ob.target_principal_place_of_business, ob.target_headquarters]
    for place in places:
        if place in coc:
            notes["outbound.coc_person"] = (
                f"{tgt.name} is organized, headquartered or principally based in {place} "
                "(850.221(b))"
            )
            return True, place
    owned = ob.target_coc_owned_pct if ob is not None else None
    if owned is not None and ge(owned, FIFTY):
        notes["outbound.coc_person"] = (
            f"persons of a country of concern hold {render(owned, '%')} (50% or more, "
            "850.221(c)-(e))"
        )
        return True, None
    if not applies(REVIEW_J):
        # The meaning before review J: only the recorded places and share were read.
        if ob is None:
            return (None if tgt.country is None else False), None
        known = all(p is not None for p in places) and owned is not None
        return (False if known else None), None
    if ob is None or owned is None:
        # 850.221(d)-(e): persons of a country of concern holding at least 50%, read from the
        # target's recorded owners (organized in, or nationals of, a country of concern).
        by_owners = _coc_owned(tgt, coc, notes)
        if by_owners:
            return True, None
        if ob is None:
            if tgt.country is None:
                return None, None
            if tgt.country == "US":
                # A U.S.-organized target: its headquarters and principal place of business are
                # not recorded without an outbound record; only its recorded owners are read
                # (a documented limit, docs/regimes/outbound_850.md).
                return (False if by_owners is False or tgt.owners is None else None), None
            # A non-U.S. target outside the countries of concern may still be headquartered or
            # principally based in one (850.221(b)): neither is recorded without the block.
            notes["outbound.coc_person"] = (
                f"{tgt.name} is organized in {tgt.country}; its headquarters and principal place "
                "of business are not recorded (850.221(b))"
            )
            return None, None
        owned_known: Tri = by_owners
    else:
        owned_known = False
    known = all(p is not None for p in places) and owned_known is False
    return (False if known else None), None


def _coc_owned(tgt: Any, coc: set[str], notes: dict[str, str]) -> Tri:
    """850.221(d)-(e): persons of a country of concern hold at least 50% (recorded owners)."""

    def direct(owner: Any) -> Tri:
        return None if owner.country is None else owner.country in coc

    low, high = full_count_share(
        tgt.owners, direct, FIFTY, strict=False, complete=tgt.owners_complete
    )
    result = meets((low, high), FIFTY, strict=False)
    if result:
        notes["outbound.coc_person"] = (
            f"persons of a country of concern hold {low.normalize():f}% or more of {tgt.name} "
            "through its recorded owners (at least 50%, 850.221(d)-(e))"
        )
    return result


def _target_lists(
    deal: Any, references: References, as_of: dt.date, notes: dict[str, str]
) -> list[str] | AtLeast:
    """850.224(m): the record's lists, the target's declared lists and its name matches."""
    ob = deal.outbound
    tgt = deal.target
    if not applies(REVIEW_J):
        # Before review J: the record's lists only, none without an outbound record.
        return [] if ob is None else sorted(set(ob.target_lists or []))
    recorded = None if ob is None else ob.target_lists
    screening = screen_name(tgt.name, references, as_of, declared=[str(x) for x in tgt.lists or []])
    from_party = sorted({m.list_id for m in screening.matches} & set(PARTY_LISTS))
    known = sorted(set(recorded or []) | set(from_party))
    if from_party:
        notes["outbound.target_lists"] = (
            f"party screening of {tgt.name}: {', '.join(from_party)} (850.224(m))"
        )
    if recorded is None:
        unknown = (
            "outbound.target_lists not recorded: whether the 850.224(m) lists (incl. the "
            "military-intelligence end-user designation, SDN 50%-owned and FTO) name the target "
            "is unknown"
        )
        found = notes.get("outbound.target_lists")
        notes["outbound.target_lists"] = f"{found}; {unknown}" if found else unknown
        return AtLeast(known=known)
    return known


def _knowledge(deal: Any, as_of: dt.date, notes: dict[str, str]) -> tuple[Tri, Tri, dt.date | None]:
    """850.216, 850.403: knowledge at the time of the transaction, and knowledge acquired later.

    A record that says the U.S. person does not know the relevant facts still states them: by
    the screening date the person knows them. Screened before completion, the person knows them
    at the time of the transaction; screened on or after completion, 850.403 requires a
    notification within 30 days of acquiring the knowledge, prohibited or notifiable alike.
    """
    recorded = deal.outbound.knows_relevant_facts
    if not applies(REVIEW_J):
        return recorded, None, None  # as recorded, before review J
    if recorded is not False:
        return recorded, False if recorded else None, None
    done = deal.completion_date
    due = as_of + dt.timedelta(days=NOTIFICATION_DAYS)
    if done is not None and as_of < done:
        notes["outbound.knows_relevant_facts"] = (
            f"recorded as not known, but the record states the facts on {as_of}, before completion "
            f"on {done}: known at the time of the transaction (850.216)"
        )
        return True, False, None
    notes["outbound.later_knowledge"] = (
        f"recorded as not known at the time of the transaction; known by the screening date "
        f"{as_of} (850.403)" + ("" if done is not None else "; the completion date is not recorded")
    )
    notes["outbound.knowledge_notice_due"] = (
        f"30 calendar days after the knowledge was acquired, counted from the screening date "
        f"{as_of} (850.404(c))"
    )
    # Completion not recorded: the deal may not have completed, and then the facts are known at
    # the time of the transaction.
    return (None if done is None else False), True, due


def _over(ops: int | None, exponent: int) -> Tri:
    return None if ops is None else ops > 10**exponent


def derive(
    deal: Any, references: References, as_of: dt.date
) -> tuple[OutboundFacts, dict[str, str]]:
    """Compute the section from a deal record."""
    notes: dict[str, str] = {}
    coc = set(references.values(COUNTRIES, as_of))
    ob = deal.outbound
    us = _us_person(deal, notes)
    cfe = _cfe(deal, notes)
    coc_person, coc_country = _coc_person(deal, coc, notes)
    notes.setdefault(
        "outbound.coc_person",
        f"countries of concern on {as_of}: {', '.join(sorted(coc)) or 'none'}",
    )
    if ob is None:
        # Without a record, part 850 is an open question only where it could plausibly apply: a
        # U.S. person or a controlled foreign entity of one (850.206, 850.302) dealing with a
        # counterparty that may be a person of a country of concern (850.221).
        plausible = deal.kind == "outbound_investment" or (
            (us is not False or (cfe is not False and applies(REVIEW_J)))
            and coc_person is not False
        )
        recorded: Tri = None if plausible else False
        notes["outbound.recorded"] = (
            "no outbound record: part 850 facts are unknown"
            if plausible
            else "no outbound record, and the investor is not a U.S. person or the counterparty "
            "is not of a country of concern"
        )
        return built(
            OutboundFacts,
            recorded=recorded,
            us_person=us,
            controlled_foreign_entity=cfe,
            coc_person=coc_person,
            coc_country=coc_country,
            target_lists=_target_lists(deal, references, as_of, notes) if plausible else [],
        ), notes

    pcts = [
        ob.revenue_from_covered_pct,
        ob.net_income_from_covered_pct,
        ob.capex_from_covered_pct,
        ob.opex_from_covered_pct,
    ]
    fin: Tri = or3(gt(p, FIFTY) for p in pcts)
    if fin:
        notes["outbound.financial_test_over_50"] = (
            "more than 50% of revenue, net income, capex or opex (850.209(a)(2)): "
            + ", ".join(render(p, "%") for p in pcts if p is not None)
        )
    ttype = ob.transaction_type
    if ttype is None:
        ttype = {"joint_venture": "joint_venture", "greenfield": "greenfield"}.get(deal.kind)
        if ttype:
            notes["outbound.transaction_type"] = f"from the deal kind `{deal.kind}`"
    beyond = ob.rights_beyond_minority_protections
    if beyond is None:
        r = deal.rights
        beyond = or3(
            [
                None if r.board_seats is None else r.board_seats > 0,
                r.board_observer,
                r.board_nomination_right,
                None if r.control_matters is None else bool(r.control_matters),
                None if r.involvement is None else bool(r.involvement),
                *(
                    # A stipulated control conclusion is beyond the six protections; without
                    # one, the governance facts above decide.
                    [r.mnpti_access, r.control is True] if applies(REVIEW_J) else []
                ),
            ]
        )
        notes["outbound.rights_beyond_minority_protections"] = (
            "from the deal's rights: board seats, observer, nomination, control matters, "
            "involvement, access to material nonpublic technical information or control go beyond "
            "the six 850.501(a)(2) protections"
        )
    ops = ob.ai_training_operations
    if ops is not None:
        notes["outbound.ai_training_over_1e25"] = f"{ops:.3e} operations, compared exactly"
    due = None
    if deal.completion_date is not None:
        due = deal.completion_date + dt.timedelta(days=NOTIFICATION_DAYS)
        notes["outbound.notification_due"] = (
            f"30 calendar days after completion on {deal.completion_date} (850.404(c))"
        ) + (
            "; for the LP route the completion date is the date the interest in the covered "
            "foreign person is transferred to the fund (850.204(b)): record that date"
            if ttype == "lp_interest"
            else ""
        )
    knows, later, knowledge_due = _knowledge(deal, as_of, notes)
    facts = built(
        OutboundFacts,
        recorded=True,
        transaction_type=ttype,
        us_person=us,
        controlled_foreign_entity=cfe,
        knows_relevant_facts=knows,
        later_knowledge=later,
        knowledge_notice_due=knowledge_due,
        official_usg_business=ob.official_usg_business,
        coc_person=coc_person,
        coc_country=coc_country,
        financial_test_over_50=fin,
        activities=None if ob.activities is None else sorted(set(ob.activities)),
        ic_meets_3a090a=ob.ic_meets_3a090a,
        ic_cryogenic=ob.ic_cryogenic,
        fabricated_ic_types=None
        if ob.fabricated_ic_types is None
        else sorted(set(ob.fabricated_ic_types)),
        logic_node_nm=ob.logic_node_nm,
        logic_non_planar=ob.logic_non_planar,
        nand_layers=ob.nand_layers,
        dram_half_pitch_nm=ob.dram_half_pitch_nm,
        gallium_based=ob.gallium_based,
        graphene_or_cnt=ob.graphene_or_cnt,
        advanced_packaging=ob.advanced_packaging,
        supercomputer_dp_pflops=ob.supercomputer_dp_pflops,
        supercomputer_sp_pflops=ob.supercomputer_sp_pflops,
        supercomputer_volume_cu_ft=ob.supercomputer_volume_cu_ft,
        quantum_end_use_covered=ob.quantum_end_use_covered,
        ai_exclusive_military_or_surveillance=ob.ai_exclusive_military_or_surveillance,
        ai_designed_for_military_or_surveillance=ob.ai_designed_for_military_or_surveillance,
        ai_intended_uses=None if ob.ai_intended_uses is None else sorted(set(ob.ai_intended_uses)),
        ai_training_operations=None if ops is None else Decimal(ops),
        ai_training_over_1e25=_over(ops, 25),
        ai_training_over_1e24=_over(ops, 24),
        ai_training_over_1e23=_over(ops, 23),
        ai_primarily_biological_data=ob.ai_primarily_biological_data,
        target_lists=_target_lists(deal, references, as_of, notes),
        debt_equity_like_rights=ob.debt_equity_like_rights,
        contingent_equity_acquired_on=ob.contingent_equity_acquired_on,
        fund_is_us_person=ob.fund_is_us_person,
        fund_likely_invests_in_coc_tech=ob.fund_likely_invests_in_coc_tech,
        publicly_traded_security=ob.publicly_traded_security,
        registered_fund_security=ob.registered_fund_security,
        lp_committed_capital_usd=ob.lp_committed_capital_usd,
        lp_binding_assurance=ob.lp_binding_assurance,
        derivative_without_equity_rights=ob.derivative_without_equity_rights,
        rights_beyond_minority_protections=beyond,
        full_buyout_of_coc_persons=ob.full_buyout_of_coc_persons,
        intra_cfe_support=ob.intra_cfe_support,
        uncalled_commitment_date=ob.uncalled_commitment_date,
        syndicated_loan_default=ob.syndicated_loan_default,
        employee_compensation=ob.employee_compensation,
        notification_due=due,
    )
    return facts, notes
