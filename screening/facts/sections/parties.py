"""Fact-view section `parties`: restricted-party screening of every party and owner.

The investor, each co-investor and the target are screened by name, and so is every owner in the
investor's and co-investors' ownership chains (the target's recorded owners count for the OFAC 50
Percent Rule on the target side) (:mod:`screening.facts.parties`). A match is an
exact or alias match after normalization, or a list the record declares; a possible match is a fuzzy
match at or above the threshold. The ownership rules in force on the screening date (OFAC's 50
Percent Rule; BIS's Affiliates Rule outside its suspension) treat a party owned 50% or more by
listed parties as listed. Each fact's derivation names the matches and the ownership chains.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

from screening.facts.gates import needed
from screening.facts.parties import (
    LISTS,
    POSSIBLE_MATCH_THRESHOLD,
    DealScreener,
    Node,
    OwnershipRule,
    TreatedMemo,
    build_chain,
    ownership_rules,
    treated_as_listed,
    walk,
)
from screening.facts.sections.base import AtLeast, Section, Tri, and3, built, fact, not3, or3
from screening.model.numbers import render
from screening.model.reference import References

_SDN = "ofac_sdn"
# Persons screened besides the parties: owners in the chains, recorded controllers, a fund's
# limited partners (and their owners).
_HOLDER_ROLES = ("owner", "controller", "limited partner", "owner of a limited partner")
_BIS = ("bis_entity_list", "bis_meu_list")
# Facts worked out only when the rulebook reads them (their derivations are shown only then:
# SHOWN_WHEN_READ), with the facts that go with them (gates.needed).
_RECIPIENT = ("parties.bis_affiliate_recipient", "parties.bis_affiliate_recipient_chain")
_ENTITY_LIST_RECIPIENT = ("parties.entity_list_recipient", "parties.entity_list_recipients")
_TRADING_BAN = "parties.target_ns_cmic_trading_ban"


class PartyFacts(Section):
    """Facts the `parties` rules read."""

    screened_names: int | None = fact("names screened (parties and owners)")
    party_lists: list[str] | AtLeast | None = fact(
        "restricted lists naming a party to the deal (investor, co-investor or target)"
    )
    investor_lists: list[str] | AtLeast | None = fact(
        "restricted lists naming the investor or a co-investor"
    )
    target_lists: list[str] | AtLeast | None = fact("restricted lists naming the target")
    owner_lists: list[str] | AtLeast | None = fact(
        "restricted lists naming an owner in an ownership chain"
    )
    matched_lists: list[str] | AtLeast | None = fact(
        "restricted lists with a match anywhere in the deal"
    )
    matches: str | None = fact("restricted-list matches")
    possible_match_lists: list[str] | None = fact(
        "restricted lists with a possible (fuzzy) match and no exact match for that name"
    )
    possible_matches: str | None = fact("possible restricted-list matches")
    best_possible_score: Decimal | None = fact(
        "best similarity score of a name to a list entry it does not match exactly", "of 100"
    )
    blocked_by_ownership: bool | None = fact(
        "a party is owned 50% or more, in aggregate, by blocked persons (OFAC 50 Percent Rule; "
        "an attested screening of its whole ownership, `sanctions_ownership_screened`, settles it)"
    )
    blocked_owner_chain: str | None = fact("ownership chain through which a party is blocked")
    sdn_minority_owner: bool | None = fact(
        "an SDN-listed owner, controller or limited partner holds an interest in, or controls, a "
        "party (investor side or target) that is not blocked by it"
    )
    target_blocked_offshore: bool | None = fact(
        "the non-U.S. target is owned 50% or more by blocked persons and no party to the deal has "
        "a U.S. sanctions nexus"
    )
    affiliates_rule_in_force: bool | None = fact("the BIS Affiliates Rule is in force")
    target_ns_cmic_trading_ban: bool | None = fact(
        "the target is on the NS-CMIC List and 60 days have passed since its listing"
    )
    bis_affiliate_by_ownership: bool | None = fact(
        "a party is owned 50% or more by Entity List or MEU parties (BIS Affiliates Rule)"
    )
    bis_affiliate_chain: str | None = fact(
        "ownership chain through which the Affiliates Rule applies"
    )
    bis_affiliate_recipient: bool | None = fact(
        "a party that receives the technology or items is owned 50% or more by Entity List or "
        "MEU parties (BIS Affiliates Rule)"
    )
    bis_affiliate_recipient_chain: str | None = fact(
        "ownership chain through which the Affiliates Rule reaches a recipient"
    )
    entity_list_recipient: bool | None = fact(
        "a party on the Entity List (the investor or a co-investor) receives the technology or "
        "items the deal releases or exports"
    )
    entity_list_recipients: str | None = fact(
        "the listed parties that receive, or may receive, the technology or items"
    )


def _label(node: Node) -> str:
    if node.role in _HOLDER_ROLES:
        chain = " ← ".join(node.path)
        return f"{node.role} {node.name} (chain: {chain})"
    return f"{node.role} {node.name}"


def _parties(
    deal: Any, references: References, as_of: dt.date, screen: DealScreener
) -> tuple[list[Node], Node]:
    inv = deal.investor
    parties = [
        Node(
            inv.name,
            "investor",
            screening=screen(inv.name, inv.lists),
            owners=build_chain(inv.owners, references, as_of, (inv.name,), screen),
            path=(inv.name,),
            complete=inv.owners_complete,
            lists_known=inv.lists is not None,
        )
    ]
    for co in deal.co_investors:
        p = co.party
        parties.append(
            Node(
                p.name,
                "co-investor",
                screening=screen(p.name, p.lists),
                owners=build_chain(p.owners, references, as_of, (p.name,), screen),
                path=(p.name,),
                complete=p.owners_complete,
                lists_known=p.lists is not None,
            )
        )
    tgt = deal.target
    target = Node(
        tgt.name,
        "target",
        screening=screen(tgt.name, tgt.lists),
        # The target's holders, for the OFAC 50 Percent Rule on the target side.
        owners=build_chain(tgt.owners, references, as_of, (tgt.name,), screen),
        complete=tgt.owners_complete,
        path=(tgt.name,),
        lists_known=tgt.lists is not None,
    )
    return parties, target


def _controllers(controller: Any, seen: tuple[str, ...]) -> list[tuple[Any, tuple[str, ...]]]:
    """A recorded controller and those controlling it in turn, with the path down to the party."""
    out: list[tuple[Any, tuple[str, ...]]] = []
    depth = 0
    while controller is not None and depth <= 20:
        seen = (*seen, f"{controller.name} (controls)")
        out.append((controller, seen))
        controller = controller.controlled_by
        depth += 1
    return out


def _others(deal: Any, screen: DealScreener) -> list[Node]:
    """Controllers and limited partners of the investor and co-investors, screened by name.

    Controllers are not owners for the 50 Percent Rule (control without ownership does not
    block, OFAC FAQ 398); limited partners are counted there by :func:`_with_limited_partners`.
    A listed controller or limited partner is a matter for caution, and their names are screened.
    Recorded controllers of owners in the chains, and the owners of a limited partner, are
    screened too.
    """
    out: list[Node] = []
    for party in [deal.investor, *(co.party for co in deal.co_investors)]:
        found: list[tuple[Any, tuple[str, ...], str]] = []
        found.extend(
            (c, path, "controller") for c, path in _controllers(party.controlled_by, (party.name,))
        )
        stack: list[tuple[Any, tuple[str, ...]]] = [(o, (party.name,)) for o in party.owners or []]
        while stack:
            owner, path = stack.pop(0)
            here = (*path, owner.name)
            found.extend((c, p, "controller") for c, p in _controllers(owner.controlled_by, here))
            stack.extend((o, here) for o in owner.owners or [])
        for lp in getattr(party, "limited_partners", None) or []:
            here = (party.name, f"{lp.name} (limited partner)")
            found.append((lp, here, "limited partner"))
            found.extend((c, p, "controller") for c, p in _controllers(lp.controlled_by, here))
            lp_owners: list[tuple[Any, tuple[str, ...]]] = [(o, here) for o in lp.owners or []]
            while lp_owners:
                owner, path = lp_owners.pop(0)
                found.append((owner, (*path, owner.name), "owner of a limited partner"))
                lp_owners.extend((o, (*path, owner.name)) for o in owner.owners or [])
        for person, path, role in found:
            lists = getattr(person, "lists", [])
            out.append(
                Node(
                    person.name,
                    role,
                    screening=screen(person.name, lists),
                    owners=[],
                    path=path,
                    lists_known=lists is not None,
                )
            )
    return out


def _with_limited_partners(
    deal: Any, parties: list[Node], references: References, as_of: dt.date, screen: DealScreener
) -> list[Node]:
    """The investor and co-investors with their limited partners added as holders, for the OFAC
    50 Percent Rule only.

    A limited partner's interest in a fund is an ownership interest, and blocked persons'
    interests count "in the aggregate" whatever the vehicle (OFAC guidance of Aug. 13, 2014;
    FAQs 398-401): a blocked LP's recorded share of the fund (``equity_pct``) counts toward the
    fund's blocked-ownership total, and an LP whose own owners are not recorded, or whose share
    is not recorded, leaves the total open as any other holder does. An LP also recorded among
    the fund's owners (same name) is counted once.
    """
    out: list[Node] = []
    for party, node in zip(
        [deal.investor, *(co.party for co in deal.co_investors)], parties, strict=True
    ):
        lps = getattr(party, "limited_partners", None) or []
        known = {o.name for o in node.owners or []}
        extra: list[Node] = []
        for lp in lps:
            if lp.name in known:
                continue
            pct = lp.equity_pct
            label = f"{lp.name} (limited partner" + (
                f", {render(pct, '%')})" if pct is not None else ")"
            )
            chain = lp.owners
            if chain is None and str(lp.kind) in ("individual", "government"):
                chain = []
            lists = getattr(lp, "lists", [])
            extra.append(
                Node(
                    lp.name,
                    "limited partner",
                    pct,
                    "equity (share of the fund)",
                    screen(lp.name, lists),
                    build_chain(chain, references, as_of, (*node.path, label), screen),
                    (*node.path, label),
                    lp.owners_complete,
                    lists is not None,
                )
            )
        if extra and node.owners is None:
            # Holders other than the LPs are not recorded: the LPs still count.
            node = dataclasses.replace(node, owners=extra, complete=False)
        elif extra:
            node = dataclasses.replace(node, owners=[*(node.owners or []), *extra])
        out.append(node)
    return out


def _attested(deal: Any) -> dict[tuple[str, str], Any]:
    """Attested ownership screenings of the investor, co-investors and target, by (role, name)."""
    out: dict[tuple[str, str], Any] = {}
    for role, party in [
        ("investor", deal.investor),
        *(("co-investor", co.party) for co in deal.co_investors),
        ("target", deal.target),
    ]:
        att = getattr(party, "sanctions_ownership_screened", None)
        if att is not None:
            out[(role, party.name)] = att
    return out


def _us_person(party: Any) -> Tri:
    """Whether a deal party is a U.S. person for sanctions purposes, as far as the record says."""
    if str(party.kind) == "individual":
        nats = party.nationalities or ([party.country] if party.country else None)
        return None if nats is None else "US" in nats
    return None if party.country is None else party.country == "US"


def _target_binds(deal: Any) -> tuple[Tri, str]:
    """Whether blocking of the target binds this deal (a blocked target is off limits).

    A U.S. target's property is in the United States (a target owned 50% or more by blocked
    persons is blocked property there, whoever buys). A non-U.S. target binds U.S. persons and
    those causing a U.S. nexus (U.S.-owned or controlled foreign entities under the Cuba and Iran
    rules, 31 CFR 515.329, 560.215 [mem]): it binds when the investor or a co-investor is a U.S.
    person or records a U.S. sanctions nexus, not when each records none.
    """
    country = deal.target.country
    if country is None:
        return None, "the target's country is not recorded"
    if country == "US":
        return True, "the target is a U.S. business: its property is in the United States"
    who = [deal.investor, *(co.party for co in deal.co_investors)]
    tests: list[Tri] = []
    for party in who:
        # A U.S. person is bound; otherwise the recorded nexus decides (unknown stays unknown).
        tests.append(True if _us_person(party) else party.us_sanctions_nexus)
    binds = or3(tests)
    if binds is False:
        return False, (
            f"the target is organized in {country} and no party to the deal is a U.S. person or "
            "has a U.S. sanctions nexus (us_sanctions_nexus: false)"
        )
    if binds is None:
        return None, (
            f"the target is organized in {country}: whether a party has a U.S. sanctions nexus "
            "(us_sanctions_nexus) is not recorded"
        )
    return True, f"the target is organized in {country} and a party has a U.S. sanctions nexus"


def _ownership(
    parties: list[Node],
    lists: tuple[str, ...],
    in_force: dict[str, OwnershipRule],
    as_of: dt.date,
    notes: list[str],
    attested: dict[tuple[str, str], Any] | None = None,
    memo: TreatedMemo | None = None,
    unlisted: bool = False,
) -> tuple[Tri, str | None]:
    """Whether a party (not itself listed) is treated as listed through ownership under a rule.

    ``attested`` maps (role, name) to a party's attested ownership screening: one dated on or
    before ``as_of`` that found no blocked owners settles a question the owners list leaves open
    (it never overrides holdings the record shows). ``memo`` and ``unlisted``: the deal's kept
    answers of :func:`treated_as_listed`, and whether no name of the deal matched a list.
    """
    rules = {k: v for k, v in in_force.items() if k in lists}
    if not rules:
        notes.append(
            f"no ownership rule for {', '.join(LISTS[x] for x in lists)} in force on {as_of}"
        )
        return False, None
    statuses: list[Tri] = []
    chains: list[str] = []
    for list_id, rule in rules.items():
        for party in parties:
            if party.any_listed and party.listed & set(rule.counts):
                statuses.append(False)  # listed itself: the list rule applies directly
                continue
            treated = treated_as_listed(party, rule, memo, unlisted)
            att = (attested or {}).get((party.role, party.name))
            if treated.status is None and att is not None:
                when = f"screened by {att.by} on {att.date}"
                if att.date > as_of:
                    notes.append(
                        f"{party.role} {party.name}: the attested ownership screening ({when}) "
                        f"postdates the screening date {as_of} and is not used"
                    )
                elif att.result == "no_blocked_owners":
                    notes.append(
                        f"{party.role} {party.name}: its ownership was {when}, no blocked owners "
                        f"found (attested): not {rule.threshold}%-owned by blocked persons"
                    )
                    statuses.append(False)
                    continue
            statuses.append(treated.status)
            cite = f" ({rule.citation})" if rule.citation else ""
            if treated.status is True:
                chains.append(treated.chain_text())
                notes.append(
                    f"{party.role} {treated.reason}: treated as on the {LISTS[list_id]}{cite}"
                )
            elif treated.status is None:
                notes.append(
                    f"{party.role} {party.name} may be treated as on the {LISTS[list_id]}"
                    f"{cite}: {treated.reason}"
                )
            else:
                notes.append(
                    f"{party.role} {party.name} is not {rule.threshold}%-owned by parties "
                    f"on the {LISTS[list_id]}"
                )
    chain = "; ".join(sorted(set(chains))) or None
    return or3(statuses), chain


def _known(found: set[str], open_: bool) -> list[str] | AtLeast:
    return AtLeast(known=sorted(found)) if open_ else sorted(found)


_TRADING_BAN_DAYS = 60  # E.O. 13959 as amended by E.O. 14032, sec. 1 [src]


def _ns_cmic_trading_ban(target: Node, references: References, as_of: dt.date) -> tuple[Tri, str]:
    """Whether the target is on the NS-CMIC List and 60 days have passed since its listing."""
    screening = target.screening
    matches = [m for m in (screening.matches if screening else ()) if m.list_id == "ns_cmic"]
    if not matches:
        return False, f"the target is not on the NS-CMIC List in force on {as_of}"
    listing = references.get("restricted_ns_cmic")
    results: list[Tri] = []
    notes = []
    for m in matches:
        entry = listing.get(m.entry) if listing is not None and m.entry else None
        if entry is None or entry.start is None:
            results.append(None)
            notes.append(f"{m.describe()}: listing date not known")
            continue
        start = entry.start + dt.timedelta(days=_TRADING_BAN_DAYS)
        results.append(as_of >= start)
        notes.append(
            f"{m.describe()}, listed {entry.start}: purchases barred from {start} "
            f"({_TRADING_BAN_DAYS} days after listing)"
        )
    return or3(results), "; ".join(notes)


def _recipients_named(deal: Any) -> list[str] | None:
    x = getattr(deal, "export_control", None)
    return None if x is None else x.recipient_parties


def _receives(named: list[str] | None, node: Node) -> Tri:
    """Whether a party receives what the deal releases or exports: as `recipient_parties` names
    them, else the investor (the counterparty) does and a co-investor may."""
    if named is not None:
        return node.name in named
    return True if node.role == "investor" else None


def _entity_list_recipients(deal: Any, parties: list[Node]) -> tuple[Tri, str | None, str]:
    """Whether a party on the Entity List receives what the deal releases or exports (3-valued).

    A listing binds exports to the listed party (15 CFR 744.11, 744.16): a listed co-investor
    that receives nothing needs no licence. The recipients are those `export_control.
    recipient_parties` names; without that list, the investor (the counterparty) and, not known,
    each co-investor. Returns the answer, the parties it rests on, and the derivation.
    """
    named = _recipients_named(deal)
    found: list[Tri] = []
    sure: list[str] = []
    maybe: list[str] = []
    notes: list[str] = []
    for node in parties:
        listed: Tri = (
            True if "bis_entity_list" in node.listed else (None if not node.lists_known else False)
        )
        both = and3([listed, _receives(named, node)])
        found.append(both)
        label = f"{node.role} {node.name}"
        if both is True:
            sure.append(label)
        elif both is None:
            maybe.append(label)
            if listed is True:
                notes.append(
                    f"{label} is on the Entity List; whether it receives the technology or items "
                    "is not recorded (export_control.recipient_parties)"
                )
            else:
                notes.append(f"{label} may receive them; its list memberships are not known")
        elif listed is True:
            notes.append(f"{label} is on the Entity List but receives nothing (recipient_parties)")
    answer = or3(found)
    who = sure if answer is True else maybe
    text = "; ".join(notes) or "no party on the Entity List receives the technology or items"
    return answer, ", ".join(who) or None, text


def derive(deal: Any, references: References, as_of: dt.date) -> tuple[PartyFacts, dict[str, str]]:
    """Screen every party and owner of the deal against the restricted lists in force on as_of."""
    screen = DealScreener(references, as_of)
    parties, target = _parties(deal, references, as_of, screen)
    others = _others(deal, screen)
    party_nodes = [n for p in parties for n in walk(p)]  # each party and the owners above it
    nodes = [*party_nodes, target, *others]
    match_notes: list[str] = []
    possible_notes: list[str] = []
    party_lists: set[str] = set()
    investor_lists: set[str] = set()
    owner_lists: set[str] = set()
    possible_lists: set[str] = set()
    best = Decimal(0)
    for node in nodes:
        s = node.screening
        if s is None:
            continue
        best = max(best, s.best_score)
        for m in s.matches:
            match_notes.append(f"{_label(node)} matches {m.describe()}")
            (owner_lists if node.role in _HOLDER_ROLES else party_lists).add(m.list_id)
            if node.role in ("investor", "co-investor"):
                investor_lists.add(m.list_id)
        for m in s.possible:
            possible_notes.append(f"{_label(node)} is {m.describe()}: confirm identity")
            possible_lists.add(m.list_id)
    target_lists = sorted(target.listed)
    d: dict[str, str] = {}
    matches_text = "; ".join(match_notes) or "none"
    possible_text = "; ".join(possible_notes) or "none"
    d["parties.matched_lists"] = matches_text
    d["parties.possible_match_lists"] = (
        f"{possible_text} (fuzzy threshold {POSSIBLE_MATCH_THRESHOLD} of 100)"
    )
    sdn_notes: list[str] = []
    # The OFAC 50 Percent Rule reaches the target too: a target owned 50% or more by blocked
    # persons is itself blocked (31 CFR 587.406, 594.412; OFAC guidance of Aug. 13, 2014).
    in_force_rules = ownership_rules(references, as_of)  # the rules in force on as_of
    sdn_rule = in_force_rules.get(_SDN)
    attested = _attested(deal)
    holders = _with_limited_partners(deal, parties, references, as_of, screen)
    # Each ownership walk is made once per deal and threshold: with no name of the deal on any
    # list (the common case), the OFAC and BIS rules' walks of the same party are one answer.
    memo: TreatedMemo = {}
    unlisted = not screen.matched  # every name of the deal has been screened by now
    blocked, blocked_chain = _ownership(
        holders, (_SDN,), in_force_rules, as_of, sdn_notes, attested, memo, unlisted
    )
    offshore: Tri = False
    if sdn_rule is not None and sdn_rule.reaches_target:
        t_blocked, t_chain = _ownership(
            [target], (_SDN,), in_force_rules, as_of, sdn_notes, attested, memo, unlisted
        )
        binds, why = _target_binds(deal)
        sdn_notes.append(why)
        blocked = or3([blocked, and3([t_blocked, binds])])
        offshore = and3([t_blocked, not3(binds)])
        if t_blocked and binds and t_chain:
            blocked_chain = "; ".join(x for x in (blocked_chain, t_chain) if x)
        d["parties.target_blocked_offshore"] = why + (f": {t_chain}" if t_chain else "")
    d["parties.blocked_by_ownership"] = "; ".join(sdn_notes)
    bis_notes: list[str] = []
    in_force = any(k in _BIS for k in in_force_rules)
    affiliate, affiliate_chain = _ownership(
        parties, _BIS, in_force_rules, as_of, bis_notes, None, memo, unlisted
    )
    d["parties.bis_affiliate_by_ownership"] = "; ".join(bis_notes)
    # The Affiliates Rule binds exports to the affiliate itself: only a recipient counts.
    affiliate_recipient: Tri = False
    recipient_chains: list[str] = []
    if affiliate is not False and not needed(*_RECIPIENT):
        affiliate_recipient = None  # neither read nor shown: not worked out
    elif affiliate is not False:
        named = _recipients_named(deal)
        per: list[Tri] = []
        for p in parties:
            status, chain = _ownership([p], _BIS, in_force_rules, as_of, [], None, memo, unlisted)
            per.append(and3([status, _receives(named, p)]))
            if per[-1] is True and chain:
                recipient_chains.append(chain)
        affiliate_recipient = or3(per)
        d["parties.bis_affiliate_recipient"] = "parties that receive the technology or items: " + (
            ", ".join(named) if named is not None else "the investor; co-investors not known"
        )
    # OFAC guidance (Aug. 13, 2014): caution where blocked persons hold less than 50% or control
    # by other means than a majority ownership interest - of the investor side or of the target.
    minority = (
        any(
            n.role == "owner" and n.any_listed and _SDN in n.listed
            for n in itertools.chain(party_nodes, walk(target))
        )
        or any(n.any_listed and _SDN in n.listed for n in others)
        or any(a.result == "blocked_owners_found" for a in attested.values() if a.date <= as_of)
    ) and blocked is not True
    # Memberships a record leaves unknown (`lists: null`, or unnamed holders of an owners list
    # marked incomplete): the lists found are known, others may exist.
    open_party = any(not n.lists_known for n in [*parties, target])
    open_investor = any(not n.lists_known for n in parties)
    open_owner = any(
        (n.role == "owner" and not n.lists_known) or (not n.complete and n.owners is not None)
        for n in party_nodes
    ) or any(not n.lists_known for n in others)
    if open_party or open_owner:
        d["parties.matched_lists"] += "; some restricted-list memberships are not known"
    el_recipient: Tri = None
    el_names: str | None = None
    if needed(*_ENTITY_LIST_RECIPIENT):
        el_recipient, el_names, el_note = _entity_list_recipients(deal, parties)
        d["parties.entity_list_recipient"] = el_note
    ban: Tri = None
    if needed(_TRADING_BAN):
        ban, ban_note = _ns_cmic_trading_ban(target, references, as_of)
        d[_TRADING_BAN] = ban_note
    facts = built(
        PartyFacts,
        target_ns_cmic_trading_ban=ban,
        screened_names=len(nodes),
        party_lists=_known(party_lists, open_party),
        investor_lists=_known(investor_lists, open_investor),
        target_lists=_known(set(target_lists), not target.lists_known),
        owner_lists=_known(owner_lists, open_owner),
        matched_lists=_known(party_lists | owner_lists, open_party or open_owner),
        matches=matches_text,
        possible_match_lists=sorted(possible_lists),
        possible_matches=possible_text,
        best_possible_score=best,
        blocked_by_ownership=blocked,
        blocked_owner_chain=blocked_chain,
        sdn_minority_owner=minority,
        target_blocked_offshore=offshore,
        affiliates_rule_in_force=in_force,
        bis_affiliate_by_ownership=affiliate,
        bis_affiliate_chain=affiliate_chain,
        bis_affiliate_recipient=affiliate_recipient,
        bis_affiliate_recipient_chain="; ".join(sorted(set(recipient_chains))) or None,
        entity_list_recipient=el_recipient,
        entity_list_recipients=el_names,
    )
    return facts, d
