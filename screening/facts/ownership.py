"""Party status through ownership chains under 31 CFR part 800.

Parents (800.235), the foreign-government voting interest attributed through chains (800.244(c)),
foreign person (800.224) and excepted investor (800.219). Each function is three-valued: ``None``
where the record does not settle the answer; explanations are appended to ``notes``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from decimal import Decimal

from screening.facts.sections.base import HUNDRED, Tri, and3, not3, or3
from screening.model.deal import (
    Controller,
    LimitedPartner,
    Owner,
    Party,
    PartyKind,
    RestrictedList,
)
from screening.model.numbers import (
    Num,
    bounds,
    ge,
    pct_bounds,
    render,
)

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


@dataclass
class StateBounds:
    """Bounds on each foreign state's attributed voting interest in an entity (800.244(a), (c)).

    ``low[S]`` is what the record establishes for state S, ``high[S]`` what S could hold at most
    given the recorded facts, and ``wild`` an interest of unknown holder that could belong to any
    state (owners not recorded, a state-owned enterprise with no recorded government owner, a
    fund whose general partner is not recorded). Every figure is 0-100.
    """

    low: dict[str, Decimal] = field(default_factory=dict)
    high: dict[str, Decimal] = field(default_factory=dict)
    wild: Decimal = Decimal(0)

    def add(self, other: StateBounds, low_factor: Decimal, high_factor: Decimal) -> None:
        """Add another entity's bounds, scaled by its (bounded) weight in this entity."""
        for state, pct in other.low.items():
            self.low[state] = min(HUNDRED, self.low.get(state, ZERO) + pct * low_factor / HUNDRED)
        for state, pct in other.high.items():
            self.high[state] = min(
                HUNDRED, self.high.get(state, ZERO) + pct * high_factor / HUNDRED
            )
        self.wild = min(HUNDRED, self.wild + other.wild * high_factor / HUNDRED)

    def exact(self) -> bool:
        """Whether every state's interest is known exactly."""
        return self.wild == 0 and all(self.high.get(s, ZERO) == p for s, p in self.low.items())

    def decide(self, counts: Callable[[str], bool], threshold: Decimal) -> Tri:
        """Whether the governments of some single counted state hold ``threshold``% or more."""
        if any(p >= threshold for s, p in self.low.items() if counts(s)):
            return True
        most = max([p for s, p in self.high.items() if counts(s)] or [ZERO])
        if most + self.wild >= threshold or self.wild >= threshold:
            return None
        return False


ZERO = Decimal(0)


def state_bounds(
    kind: PartyKind,
    country: str | None,
    owners: list[Owner] | None,
    name: str,
    notes: list[str],
    complete: bool = True,
) -> StateBounds:
    """Each foreign state's attributed voting interest in an entity, as bounds (800.244).

    A stake known only as a range counts at its least in the low bound and at its most in the
    high bound. With an incomplete owners list, holders left off may hold governments' interests:
    what they can hold together (100% if that could make one a parent) is of unknown state.
    """
    out = StateBounds()
    if kind == PartyKind.government:
        if country is None:
            out.wild = HUNDRED
        else:
            out.low[country] = out.high[country] = HUNDRED
        return out
    if kind == PartyKind.individual:
        return out  # an individual is not a government (800.221)
    if owners is None:
        notes.append(f"owners of {name} are not recorded")
        out.wild = HUNDRED
        return out
    counted = list(owners)
    if kind == PartyKind.fund:
        # 800.244(b): for an entity run by a GP, only the interest in the GP counts.
        # A recorded GP is taken to be the only one; otherwise owners not known not to be the GP
        # may be it (their interest counts only towards the upper bound).
        counted = [o for o in owners if o.is_general_partner]
        if not counted:
            counted = [o for o in owners if o.is_general_partner is None]
        if not counted:
            notes.append(
                f"the general partner of {name} is not recorded: the governments' interest in it "
                "is unknown (800.244(b))"
            )
            out.wild = HUNDRED
            return out
    for owner in counted:
        maybe_gp = kind == PartyKind.fund and owner.is_general_partner is None
        if owner.kind == PartyKind.government:
            # A government's own holding counts at face value (800.244(d)(1): 75% stays 75%).
            direct: Num | None = owner.voting_pct
            if direct is None and owner.is_general_partner:
                direct = HUNDRED
            dlo, dhi = pct_bounds(direct) if direct is not None else (ZERO, HUNDRED)
            low = ZERO if maybe_gp else dlo
            high = dhi
            if direct is None:
                notes.append(f"voting interest of {owner.name} in {name} is not recorded")
            if owner.country is None:
                out.wild = min(HUNDRED, out.wild + high)
                continue
            notes.append(
                f"{owner.country} governments: {fmt(direct) if direct is not None else '?'}%"
                f" of {name} held directly"
            )
            out.low[owner.country] = min(HUNDRED, out.low.get(owner.country, ZERO) + low)
            out.high[owner.country] = min(HUNDRED, out.high.get(owner.country, ZERO) + high)
            continue
        if owner.kind == PartyKind.individual:
            continue
        parent = is_parent(owner)
        if parent is None:
            notes.append(f"voting interest of {owner.name} in {name} is not recorded")
        # 800.244(c): an intermediate parent's interest in its subsidiary is deemed 100%.
        pct = owner.voting_pct
        plo, phi = pct_bounds(pct) if pct is not None else (ZERO, HUNDRED)
        low_factor = HUNDRED if parent else plo
        high_factor = HUNDRED if parent is not False else phi
        if maybe_gp:
            low_factor = ZERO
        upstream = state_bounds(
            owner.kind, owner.country, owner.owners, owner.name, notes, owner.owners_complete
        )
        how = (
            "its parent, counted as 100%"
            if parent
            else f"{fmt(pct)}%, multiplied through"
            if pct is not None
            else "an unknown share"
        )
        for state, p in sorted(upstream.low.items()):
            notes.append(
                f"{state} governments: {fmt(p)}% of {owner.name}, which holds {name} ({how})"
                f" → {fmt(p * low_factor / HUNDRED)}% of {name}"
            )
        out.add(upstream, low_factor, high_factor)
    rest = others_max(owners, complete)
    if rest > 0:
        # An unlisted holder of 50% or more would be a parent, counted as 100% (800.244(c)); a
        # fund's unlisted holder could be its general partner unless one is recorded.
        gp_open = kind == PartyKind.fund and not any(o.is_general_partner for o in owners)
        most = HUNDRED if rest >= 50 or gp_open else rest
        notes.append(
            f"owners of {name} are listed as incomplete: holders not listed may hold up to "
            f"{fmt(rest)}%, so some state's governments may hold up to {fmt(most)}% more"
        )
        out.wild = min(HUNDRED, out.wild + most)
    if kind == PartyKind.state_owned_enterprise and not any(out.high.values()):
        notes.append(
            f"{name} is a state-owned enterprise with no recorded government owner: its "
            "government interest is unknown, not 0%"
        )
        out.wild = HUNDRED
    return out


def state_interests(
    kind: PartyKind,
    country: str | None,
    owners: list[Owner] | None,
    name: str,
    notes: list[str],
) -> dict[str, Decimal] | None:
    """Each foreign state's exact attributed voting interest, or None where not exact."""
    bounds = state_bounds(kind, country, owners, name, notes)
    if not bounds.exact():
        return None
    return dict(bounds.low)


def _ten_pct(owner: Owner) -> Tri:
    """Whether an owner holds 10% or more of the votes or equity, or is the general partner."""
    return or3([ge(owner.voting_pct, 10), ge(owner.equity_pct, 10), bool(owner.is_general_partner)])


def _controller_foreign(controller: Controller | None) -> Tri:
    """Whether a recorded controller is a foreign national, government or entity, or unknown."""
    if controller is None:
        return None
    if controller.kind in (PartyKind.individual, PartyKind.government):
        nats = controller.nationalities or ([controller.country] if controller.country else None)
        return None if nats is None else "US" not in nats
    if controller.country is None:
        return None
    if controller.country != "US":
        return True
    # A U.S. entity controls: foreign only if a foreign person controls it in turn.
    return _controller_foreign(controller.controlled_by)


def _control_by_others(
    owners: list[Owner] | None, controller: Controller | None, complete: bool = True
) -> Tri:
    """Whether an entity is controlled by a foreign person other than through a parent.

    800.224(a)(2), 800.208: owners that include no foreign parent do not show freedom from
    foreign control. A recorded controller decides; otherwise a foreign (or unknown) holder of
    10% or more raises the question, and with none the record shows no foreign control. Holders
    left off an incomplete owners list may be such a holder when they can hold 10% or more.
    """
    if controller is not None:
        return _controller_foreign(controller)
    if owners is None:
        return None
    unlisted: Tri = None if others_max(owners, complete) >= 10 else False
    return or3(
        [
            *(
                and3([_ten_pct(o), None if foreign_owner(o) is not False else False])
                for o in owners
            ),
            unlisted,
        ]
    )


def foreign_owner(owner: Owner) -> Tri:
    """Whether an owner is foreign, or controlled by a foreign person (800.224(a)(2), (b))."""
    if owner.kind == PartyKind.individual or owner.kind == PartyKind.government:
        nats = owner.nationalities or ([owner.country] if owner.country else None)
        return None if nats is None else "US" not in nats
    if owner.country is not None and owner.country != "US":
        return True
    if owner.owners is None and owner.controlled_by is None:
        return None
    parents = [o for o in (owner.owners or []) if is_parent(o) is not False]
    by_parent = or3(and3([is_parent(o), foreign_owner(o)]) for o in parents)
    if by_parent is False and others_max(owner.owners, owner.owners_complete) >= 50:
        by_parent = None  # an unlisted holder could be a foreign parent
    return or3(
        [
            None if owner.country is None else False,
            by_parent,
            _control_by_others(owner.owners, owner.controlled_by, owner.owners_complete),
        ]
    )


def lp_foreign(lp: LimitedPartner) -> Tri:
    """Whether a fund's limited partner is a foreign person (800.224), not from its country alone.

    A U.S.-organized LP is foreign when a foreign person controls it (800.224(a)(2)): a recorded
    controller or ``controlled_by_foreign_person`` decides, else its owners are traced as for an
    owner; with nothing recorded about control, the answer is unknown.
    """
    if lp.kind in (PartyKind.individual, PartyKind.government):
        nats = lp.nationalities or ([lp.country] if lp.country else None)
        return None if nats is None else "US" not in nats
    if lp.country is not None and lp.country != "US":
        return True
    if lp.controlled_by is None and lp.controlled_by_foreign_person is not None:
        return or3([None if lp.country is None else False, lp.controlled_by_foreign_person])
    holder = Owner(
        name=lp.name,
        kind=lp.kind,
        country=lp.country,
        principal_place_of_business=lp.principal_place_of_business,
        controlled_by=lp.controlled_by,
        owners=lp.owners,
        owners_complete=lp.owners_complete,
    )
    return foreign_owner(holder)


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
    parents = [o for o in (party.owners or []) if is_parent(o) is not False]
    parent_foreign: Tri = or3(and3([is_parent(o), foreign_owner(o)]) for o in parents)
    if party.owners is None:
        parent_foreign = None if not parent_foreign else True
    elif parent_foreign is False and others_max(party.owners, party.owners_complete) >= 50:
        parent_foreign = None  # an unlisted holder could be a foreign parent
    controlled = party.controlled_by_foreign_person
    if controlled is None:
        # 800.224(a)(2): control by means other than a parent must be recorded; a foreign holder
        # of 10% or more (or one of unknown nationality, or one left off an incomplete owners
        # list) leaves it an open question.
        controlled = _control_by_others(party.owners, party.controlled_by, party.owners_complete)
        if controlled is None and party.owners is not None:
            notes.append(
                "whether a foreign holder of 10% or more (or another person) controls the "
                "investor is not recorded (800.224(a)(2), 800.208)"
            )
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


def _holder_qualifies(owner: Owner, ok: AbstractSet[str]) -> Tri:
    """800.219(a)(3)(iv)(A)-(C): a 10%-or-more holder tied only to the U.S. or excepted states."""
    if owner.kind == PartyKind.individual:
        nats = owner.nationalities or ([owner.country] if owner.country else None)
        return None if nats is None else all(n in ok for n in nats)
    if owner.kind == PartyKind.government:
        return None if owner.country is None else owner.country in ok
    return and3(
        [
            None if owner.country is None else owner.country in ok,
            None
            if owner.principal_place_of_business is None
            else owner.principal_place_of_business in ok,
        ]
    )


def _controller_qualifies(controller: Controller, ok: AbstractSet[str]) -> Tri:
    """800.219(a)(3)(iv): a person that "otherwise could exercise control" must qualify too.

    (A) a national only of the U.S. or excepted states, (B) an excepted state's government, or
    (C) an entity organized in an excepted state with its principal place of business in one or
    in the U.S. A controller of an entity controller is tested in turn (it could exercise control
    through it).
    """
    if controller.kind == PartyKind.individual:
        nats = controller.nationalities or ([controller.country] if controller.country else None)
        return None if nats is None else all(n in ok for n in nats)
    if controller.kind == PartyKind.government:
        return None if controller.country is None else controller.country in ok
    own = and3(
        [
            None if controller.country is None else controller.country in ok,
            None
            if controller.principal_place_of_business is None
            else controller.principal_place_of_business in ok,
        ]
    )
    if controller.controlled_by is None:
        return own
    return and3([own, _controller_qualifies(controller.controlled_by, ok)])


def _stake_bounds(owner: Owner) -> tuple[Decimal, Decimal]:
    """The least and the most an owner holds (the larger of votes and equity); unknown: 0-100."""
    lows: list[Decimal] = []
    highs: list[Decimal] = []
    for pct in (owner.voting_pct, owner.equity_pct):
        if pct is not None:
            lo, hi = pct_bounds(pct)
            lows.append(lo)
            highs.append(hi)
    if not highs:
        return ZERO, HUNDRED
    return max(lows), max(highs)


def _owner_state(owner: Owner) -> str | None:
    """The foreign state whose agency or instrumentality a government or SOE holder is."""
    if owner.kind == PartyKind.government:
        return owner.country
    govs = sorted({o.country or "" for o in owner.owners or [] if o.kind == PartyKind.government})
    if len(govs) == 1 and govs[0]:
        return govs[0]
    return owner.country if not govs else None


def _groups_qualify(owners: list[Owner], ok: AbstractSet[str], notes: list[str] | None) -> Tri:
    """800.219(b): holders below 10% whose interests are aggregated as a group.

    Agencies or instrumentalities of a single foreign state's governments (government and
    state-owned holders) are summed; a non-excepted state's group of 10% or more disqualifies.
    Whether other holders are related or act in concert is not recorded: where two or more holders
    not shown to qualify could hold 10% or more together, the test is unknown, never met.
    """
    small = [o for o in owners if _ten_pct(o) is not True and _holder_qualifies(o, ok) is not True]
    results: list[Tri] = []
    by_state: dict[str, tuple[Decimal, Decimal]] = {}
    for o in small:
        if o.kind not in (PartyKind.government, PartyKind.state_owned_enterprise):
            continue
        state = _owner_state(o)
        if state is None or state in ok:
            continue
        lo, hi = _stake_bounds(o)
        plo, phi = by_state.get(state, (ZERO, ZERO))
        by_state[state] = (plo + lo, phi + hi)
    for state, (lo, hi) in sorted(by_state.items()):
        if lo >= 10:
            if notes is not None:
                notes.append(
                    f"agencies or instrumentalities of the {state} governments hold {fmt(lo)}% "
                    "together (800.219(a)(3)(iv), (b): aggregated)"
                )
            results.append(False)
        elif hi >= 10:
            results.append(None)
    if len(small) >= 2 and sum((_stake_bounds(o)[1] for o in small), ZERO) >= 10:
        if notes is not None:
            names = ", ".join(o.name for o in small)
            notes.append(
                f"whether {names} are related or act in concert is not recorded: together they "
                "could hold 10% or more (800.219(b))"
            )
        results.append(None)
    return and3(results) if results else True


def _holders_qualify(
    owners: list[Owner] | None,
    ok: AbstractSet[str],
    complete: bool = True,
    notes: list[str] | None = None,
) -> Tri:
    """800.219(a)(3)(iv) for one entity: every direct holder of 10% or more qualifies.

    Holders left off an incomplete owners list who could hold 10% or more (or be a parent) are
    not shown to qualify. Groups of holders below 10% are aggregated under 800.219(b).
    """
    if owners is None:
        return None
    unlisted: Tri = None if others_max(owners, complete) >= 10 else True
    return and3(
        [
            *(or3([not3(_ten_pct(o)), _holder_qualifies(o, ok)]) for o in owners),
            unlisted,
            _groups_qualify(owners, ok, notes),
        ]
    )


def _control_qualifies(
    name: str,
    controller: Controller | None,
    foreign_control: bool | None,
    owners: list[Owner] | None,
    ok: AbstractSet[str],
    notes: list[str],
) -> Tri:
    """800.219(a)(3)(iv): a recorded controller qualifies; an unnamed foreign controller is unknown.

    ``foreign_control`` true with no controller and no recorded parent (which could be the
    controller, and is tested itself) leaves the test open.
    """
    if controller is not None:
        got = _controller_qualifies(controller, ok)
        if got is False:
            notes.append(
                f"{controller.name}, who could exercise control over {name}, is not a U.S. or "
                "excepted-state national, government or entity (800.219(a)(3)(iv))"
            )
        elif got is None:
            notes.append(f"whether {controller.name}, controlling {name}, qualifies is unknown")
        return got
    if foreign_control and not any(is_parent(o) for o in owners or []):
        notes.append(
            f"a foreign person controls {name} and the record does not say who (800.219(a)(3)(iv))"
        )
        return None
    return True


def parents_of(owners: list[Owner] | None) -> Iterable[tuple[Owner, Tri]]:
    """Every owner that is, or may be, a parent (800.235), up the chain, with whether it is."""
    for owner in owners or []:
        parent = is_parent(owner)
        if parent is False:
            continue
        yield owner, parent
        for above, is_above in parents_of(owner.owners):
            yield above, and3([parent, is_above])


def excepted_investor(party: Party, excepted: AbstractSet[str], notes: list[str]) -> Tri:
    """800.219(a)(3), (c): the investor and each of its parents; lists and events for parents too.

    The organization, principal place of business, board, 10%-holder and minimum excepted
    ownership tests apply to the investor and each parent (800.219(a)(3)); the five-year events
    and the Entity/Unverified List to the investor, its parents and its subsidiaries
    (800.219(c)). Holders that are not parents are tested only as 10%-or-more holders of the
    entity they hold directly, never "every owner anywhere in the chain". Subsidiaries of the
    investor are not recorded in a deal; their listings must be declared on the investor.
    """
    ok = excepted | {"US"}
    start = len(notes)
    listed = {RestrictedList.bis_entity_list, RestrictedList.bis_unverified_list}
    parents = list(parents_of(party.owners))
    if listed & set(party.lists or []):
        notes.append("the investor is on the BIS Entity List or Unverified List (800.219(c)(2))")
        return False
    list_tests: list[Tri] = []
    if party.lists is None:
        list_tests.append(None)  # the investor's own memberships are not known
    for owner, is_par in parents:
        if listed & set(owner.lists or []):
            if is_par:
                notes.append(
                    f"{owner.name}, a parent of the investor, is on the BIS Entity List or "
                    "Unverified List (800.219(c)(2))"
                )
                return False
            list_tests.append(None)
        elif owner.lists is None:
            list_tests.append(None)  # a (possible) parent's memberships are not known
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
        ge(party.board_us_or_excepted_pct, 75),
        party.minimum_excepted_ownership_met,
        disq,
        _holders_qualify(party.owners, ok, party.owners_complete, notes),
        _control_qualifies(
            party.name,
            party.controlled_by,
            party.controlled_by_foreign_person,
            party.owners,
            ok,
            notes,
        ),
        *list_tests,
    ]
    for owner, is_par in parents:
        if owner.kind in (PartyKind.individual, PartyKind.government):
            own_test = _holder_qualifies(owner, ok)
        else:
            own_test = and3(
                [
                    None if owner.country is None else owner.country in ok,
                    None
                    if owner.principal_place_of_business is None
                    else owner.principal_place_of_business in ok,
                    ge(owner.board_us_or_excepted_pct, 75),
                    owner.minimum_excepted_ownership_met,
                    None if owner.disqualifiers is None else not owner.disqualifiers,
                    _holders_qualify(owner.owners, ok, owner.owners_complete, notes),
                    _control_qualifies(owner.name, owner.controlled_by, None, None, ok, notes),
                ]
            )
        parent_test = or3([not3(is_par), own_test])
        if parent_test is None:
            notes.append(f"800.219(a)(3), (c) not shown for {owner.name}, a parent of the investor")
        tests.append(parent_test)
    result = and3(tests)
    if result is not None:
        del notes[start:]  # these notes only explain an unknown answer
    return result
