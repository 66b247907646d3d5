"""Critical technologies as of the test date, and who would need an export authorization.

31 CFR 800.401(c)(3): whether a technology is a critical technology is judged as of the earliest
of the completion date, the signing of the agreement, the tender offer and the proxy solicitation
(the dates the record gives). 800.401(c)(1)-(2): a U.S. regulatory authorization (800.254) must
be required to export it to the investor (by its principal place of business; every nationality
of an individual) or to a foreign person holding 25% or more of its voting interest, directly or
indirectly (800.256: a parent counts as 100%). Holders are placed by the same test (an owner's
``principal_place_of_business``, an individual owner's ``nationalities``); a recorded controller
(``controlled_by``) holds a stake that is not recorded, so it may be such a holder. The licence
requirement is recorded per destination country (``license_required_to``) and the persons are
worked out here.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from screening.facts.ownership import is_parent, others_max
from screening.facts.sections.base import HUNDRED, Tri, and3, or3
from screening.model.deal import Controller, CriticalTechnology, DealRecord, Owner, PartyKind
from screening.model.numbers import Num, bounds, make, pct_of

QUARTER = Decimal(25)


def test_date(deal: DealRecord) -> dt.date | None:
    """The earliest of the signing, tender-offer, proxy and completion dates the record gives."""
    dates = [
        d
        for d in (
            deal.signing_date,
            deal.tender_offer_date,
            deal.proxy_solicitation_date,
            deal.completion_date,
        )
        if d is not None
    ]
    return min(dates) if dates else None


def controlled_at(tech: CriticalTechnology, when: dt.date | None) -> Tri:
    """Whether the technology was controlled on the test date (True when no date is recorded)."""
    if tech.controlled_from is None:
        return True
    if when is None:
        return None
    return tech.controlled_from <= when


def _investor_places(deal: DealRecord) -> list[str] | None:
    inv = deal.investor
    if inv.kind == PartyKind.individual:
        return inv.nationalities or ([inv.country] if inv.country else None)
    if inv.kind == PartyKind.government:
        return [inv.country] if inv.country else None
    return [inv.principal_place_of_business] if inv.principal_place_of_business else None


def _places(person: Owner | Controller) -> list[str] | None:
    """Where a holder or controller is based for 800.401(c)(1)-(2): every nationality of an
    individual, the state of a government, an entity's principal place of business (its country
    of organization is not a substitute); None where the record does not say."""
    if person.kind == PartyKind.individual:
        return person.nationalities or ([person.country] if person.country else None)
    if person.kind == PartyKind.government:
        return [person.country] if person.country else None
    ppb = person.principal_place_of_business
    return [ppb] if ppb else None


def _controllers(
    controller: Controller | None, big: Tri, out: list[tuple[Tri, list[str] | None]]
) -> None:
    """A recorded controller (and whoever controls it) holds a stake that is not recorded: it may
    hold 25% or more of the votes, directly or indirectly, wherever what it controls does."""
    while controller is not None:
        out.append((and3([big, None]), _places(controller)))
        controller = controller.controlled_by


def _holders(
    owners: list[Owner] | None,
    complete: bool,
    factor: Num,
    out: list[tuple[Tri, list[str] | None]],
) -> None:
    """(holds 25% or more, places) of every holder in the chain, with its effective interest."""
    if owners is None:
        out.append((None, None))
        return
    for owner in owners:
        parent = is_parent(owner)
        share: Num = (
            HUNDRED
            if parent
            else (owner.voting_pct if owner.voting_pct is not None else make(Decimal(0), HUNDRED))
        )
        if parent is None:
            share = make(bounds(share)[0] or Decimal(0), HUNDRED)
        effective = pct_of(factor, share)
        lo, hi = bounds(effective)
        big: Tri = (
            True
            if lo is not None and lo >= QUARTER
            else (False if hi is not None and hi < QUARTER else None)
        )
        if big is not False:
            out.append((big, _places(owner)))
            _controllers(owner.controlled_by, big, out)
        if owner.kind not in (PartyKind.individual, PartyKind.government):
            _holders(owner.owners, owner.owners_complete, effective, out)
    if others_max(owners, complete) * (bounds(factor)[1] or HUNDRED) / HUNDRED >= QUARTER:
        out.append((None, None))  # an unlisted holder could hold 25% or more


def authorization_needed(tech: CriticalTechnology, deal: DealRecord) -> tuple[Tri, str]:
    """Whether exporting the technology to a relevant person needs an authorization."""
    if tech.authorization_required is not None:
        return tech.authorization_required, "stipulated in the record"
    countries = tech.license_required_to
    if countries is None:
        return None, "licence requirements by country are not recorded"
    wanted = set(countries)
    inv = deal.investor
    places = _investor_places(deal)
    tests: list[Tri] = [None if places is None else bool(wanted & set(places))]
    hits = [f"{inv.name} ({', '.join(places)})"] if places and wanted & set(places) else []
    holders: list[tuple[Tri, list[str] | None]] = []
    if inv.kind not in (PartyKind.individual, PartyKind.government):
        _controllers(inv.controlled_by, True, holders)
        _holders(inv.owners, inv.owners_complete, HUNDRED, holders)
    for big, where in holders:
        needs: Tri = None if where is None else bool(wanted & set(where))
        tests.append(and3([big, needs]))
        if big and needs and where is not None:
            hits.append(f"a 25%-or-more holder in {', '.join(sorted(wanted & set(where)))}")
    status = or3(tests)
    listed = ", ".join(sorted(wanted)) or "no country"
    if status:
        return True, f"a licence is needed for {listed}: " + "; ".join(hits)
    if status is False:
        return (
            False,
            f"a licence is needed only for {listed}: none of the investor or its "
            "25%-or-more holders is based there",
        )
    if tests[0] is False:
        return (
            None,
            f"a licence is needed for {listed}; the investor is not based there; whether a "
            "holder of 25% or more is, is not settled (a controller's stake, or a holder's "
            "place or stake, is not recorded)",
        )
    return (
        None,
        f"a licence is needed for {listed}; where the investor or a 25%-or-more "
        "holder is based is not settled",
    )
