"""Party status through ownership chains under 31 CFR part 800.

Parents (800.235), the foreign-government voting interest attributed through chains (800.244(c)),
foreign person (800.224) and excepted investor (800.219). Each function is three-valued: ``None``
where the record does not settle the answer; explanations are appended to ``notes``.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from screening.facts.sections.base import HUNDRED, Tri, and3, not3, or3
from screening.model.deal import (
    Owner,
    Party,
    PartyKind,
    RestrictedList,
)
from screening.model.numbers import Num, Range, add, bounds, cap, ge, make, pct_of, render

UNKNOWN_STATE = ""  # key of the interest unlisted holders may give some state's governments


def is_parent(owner: Owner) -> Tri:
    """800.235: whether an owner is a parent (50% or more, or the general partner)."""
    if owner.is_general_partner:
        return True
    # An owner recorded with a voting interest only is taken to hold the same equity.
    equity = owner.equity_pct if owner.equity_pct is not None else owner.voting_pct
    return or3([ge(owner.voting_pct, 50), ge(equity, 50)])


def others_max(owners: list[Owner] | None, complete: bool) -> Decimal:
    """The most that holders left off an incomplete owners list can hold together.

    Zero for a complete list; otherwise 100% less what the listed holders hold at least.
    """
    if complete or owners is None:
        return Decimal(0)
    held = Decimal(0)
    for owner in owners:
        pct = owner.voting_pct if owner.voting_pct is not None else owner.equity_pct
        low = None if pct is None else bounds(pct)[0]
        held += low or Decimal(0)
    return max(Decimal(0), HUNDRED - held)


def fmt(p: Num) -> str:
    """A percentage (or range) as plain digits, without exponent or trailing zeros."""
    return render(p).replace(" to ", "–")


def state_interests(
    kind: PartyKind,
    country: str | None,
    owners: list[Owner] | None,
    name: str,
    notes: list[str],
    complete: bool = True,
) -> dict[str, Num] | None:
    """Effective voting interest of each foreign state's governments in an entity (800.244(c)).

    With an incomplete owners list, holders left off may be governments: each state's interest
    gets an upper bound widened by what they can hold (100% if that could make one a parent),
    and :data:`UNKNOWN_STATE` carries what an unnamed state's governments could hold.
    """
    if kind == PartyKind.government:
        return {country: HUNDRED} if country else None
    if owners is None:
        notes.append(f"owners of {name} are not recorded")
        return None
    result: dict[str, Num] = {}
    counted = owners
    if kind == PartyKind.fund:
        # 800.244(b): for an entity run by a GP, only the interest in the GP counts.
        counted = [o for o in owners if o.is_general_partner]
    for owner in counted:
        if owner.kind == PartyKind.government:
            # A government's own holding counts at face value (800.244(d)(1): 75% stays 75%).
            direct: Num | None = owner.voting_pct
            if direct is None and owner.is_general_partner:
                direct = HUNDRED
            if direct is None or owner.country is None:
                notes.append(f"voting interest of {owner.name} in {name} is not recorded")
                return None
            notes.append(f"{owner.country} governments: {fmt(direct)}% of {name} held directly")
            result[owner.country] = cap(add(result.get(owner.country, Decimal(0)), direct), HUNDRED)
            continue
        if owner.kind == PartyKind.individual:
            continue  # an individual is not a government (800.221)
        parent = is_parent(owner)
        if parent is None:
            notes.append(f"voting interest of {owner.name} in {name} is not recorded")
            return None
        # 800.244(c): an intermediate parent's interest in its subsidiary is deemed 100%.
        factor: Num = HUNDRED if parent else (owner.voting_pct or Decimal(0))
        upstream = state_interests(
            owner.kind, owner.country, owner.owners, owner.name, notes, owner.owners_complete
        )
        if upstream is None:
            return None
        for state, pct in upstream.items():
            share = pct_of(pct, factor)
            how = "its parent, counted as 100%" if parent else f"{fmt(factor)}%, multiplied through"
            notes.append(
                f"{state} governments: {fmt(pct)}% of {owner.name}, which holds {name} ({how})"
                f" → {fmt(share)}% of {name}"
            )
            result[state] = cap(add(result.get(state, Decimal(0)), share), HUNDRED)
    rest = others_max(owners, complete)
    if rest > 0:
        # An unlisted holder of 50% or more would be a parent, counted as 100% (800.244(c)).
        most = HUNDRED if rest >= 50 else rest
        notes.append(
            f"owners of {name} are listed as incomplete: holders not listed may hold up to "
            f"{fmt(rest)}%, so a state's interest may be up to {fmt(most)}% more"
        )
        for state, pct in list(result.items()):
            low, high = bounds(pct)
            result[state] = make(low or Decimal(0), min(HUNDRED, (high or HUNDRED) + most))
        other = result.get(UNKNOWN_STATE)
        high = bounds(other)[1] if other is not None else Decimal(0)
        result[UNKNOWN_STATE] = Range(min=Decimal(0), max=min(HUNDRED, (high or HUNDRED) + most))
    return result


def foreign_owner(owner: Owner) -> Tri:
    """Whether an owner is foreign, or controlled through its parents by a foreign person."""
    if owner.kind == PartyKind.individual or owner.kind == PartyKind.government:
        return None if owner.country is None else owner.country != "US"
    if owner.country is not None and owner.country != "US":
        return True
    parents = [o for o in (owner.owners or []) if is_parent(o)]
    if owner.owners is None:
        return None
    known = or3(foreign_owner(o) for o in parents) if parents else False
    if known is not True and others_max(owner.owners, owner.owners_complete) >= 50:
        return None  # an unlisted holder could be a foreign parent
    return known


def foreign_person(party: Party, notes: list[str]) -> Tri:
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
    parents = [o for o in (party.owners or []) if is_parent(o)]
    parent_foreign: Tri = or3(foreign_owner(o) for o in parents) if parents else None
    if party.owners is not None and not parents:
        parent_foreign = False
    if parent_foreign is False and others_max(party.owners, party.owners_complete) >= 50:
        parent_foreign = None  # an unlisted holder could be a foreign parent
    controlled = party.controlled_by_foreign_person
    if controlled is None and party.owners is not None and party.owners_complete:
        # Owners recorded and none is a foreign parent: control by other means must be stated.
        controlled = False
    return or3([foreign_entity, controlled, parent_foreign])


def chain(owners: list[Owner] | None) -> Iterable[Owner]:
    """Every owner at every level of an ownership chain, depth first."""
    for owner in owners or []:
        yield owner
        yield from chain(owner.owners)


def lists_unknown(party: Party) -> bool:
    """Whether some restricted-list membership of the party or its owners is not known.

    A ``lists: null`` anywhere in the chain, or an owners list marked incomplete (the holders
    left off it are unnamed, so their memberships are unknown).
    """
    if party.lists is None or (not party.owners_complete and party.owners is not None):
        return True
    return any(
        o.lists is None or (not o.owners_complete and o.owners is not None)
        for o in chain(party.owners)
    )


def ultimate_parent(party: Party) -> tuple[str | None, str | None]:
    """Name and country of the top of the single-parent chain above a party."""
    name, country = party.name, party.country
    owners, complete = party.owners, party.owners_complete
    while owners:
        parents = [o for o in owners if is_parent(o)]
        if not parents and others_max(owners, complete) >= 50:
            return None, None  # an unlisted holder could be the parent
        if len(parents) != 1:
            break
        name, country = parents[0].name, parents[0].country
        owners, complete = parents[0].owners, parents[0].owners_complete
    return name, country


def excepted_investor(party: Party, excepted: set[str], notes: list[str]) -> Tri:
    """800.219(a), simplified as documented: nationality, organization, board, owners, lists."""
    ok = excepted | {"US"}
    listed = {RestrictedList.bis_entity_list, RestrictedList.bis_unverified_list}
    on_list = bool(listed & set(party.lists or [])) or any(
        listed & set(o.lists or []) for o in chain(party.owners)
    )
    if on_list:
        notes.append("the investor or an owner is on the BIS Entity List or Unverified List")
        return False
    lists_open: Tri = None if lists_unknown(party) else True
    disq: Tri = and3([None if party.disqualifiers is None else not party.disqualifiers, lists_open])
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
        ge(party.board_us_or_excepted_pct, 75),
        party.minimum_excepted_ownership_met,
        disq,
    ]
    if party.owners is None:
        tests.append(None)
    else:
        if others_max(party.owners, party.owners_complete) >= 10:
            notes.append("owners listed as incomplete: an unlisted 10% holder may exist")
            tests.append(None)
        for owner in chain(party.owners):
            if owner.owners is not None and others_max(owner.owners, owner.owners_complete) >= 10:
                tests.append(None)
            big = or3(
                [
                    ge(owner.voting_pct, 10),
                    ge(owner.equity_pct, 10),
                    owner.is_general_partner,
                ]
            )
            tests.append(or3([not3(big), None if owner.country is None else owner.country in ok]))
    return and3(tests)
