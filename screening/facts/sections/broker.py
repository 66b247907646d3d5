"""Fact-view section `broker`: data brokers and foreign-adversary control (PADFA, 15 U.S.C. 9901).

"Controlled by a foreign adversary" (9901(c)(2)): (A) a foreign person domiciled, headquartered,
with its principal place of business or organized in a foreign adversary country
(``covered_nations_4872d``); (B) an entity in which such persons directly or indirectly own at
least a 20 percent stake (multiplied through the ownership chains, as for PAFACA); (C) a person
subject to their direction or control. The recipient of the data is the investor (and its group);
the target is the data broker, or, with ``role: target_buys``, the buyer of brokered data that the
deal may bring under foreign-adversary control.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from screening.facts.sections._chains import fmt, holding, multiplied_share
from screening.facts.sections.base import HUNDRED, Section, Tri, built, fact, or3
from screening.model.deal import Owner, PartyKind
from screening.model.ext.padfa import DataBrokerage
from screening.model.numbers import exact
from screening.model.reference import References

DATA_NAICS = ("518", "519", "5416", "5418")


class BrokerFacts(Section):
    """Facts the `padfa` rules read."""

    recorded: bool | None = fact(
        "the deal records data brokerage"  # unknown: none recorded, data business
    )
    role: str | None = fact("target_sells (the target is the broker) or target_buys")
    for_consideration: bool | None = fact("data is made available for valuable consideration")
    collected_directly: bool | None = fact("the seller collected the data from the individuals")
    recipient_service_provider: bool | None = fact("the recipient is only a service provider")
    excluded_activity: bool | None = fact("an activity excluded from 'data broker'")
    to_investor: bool | None = fact("the data is made available to the investor or its group")
    categories: list[str] | None = fact("sensitive-data categories")
    sensitive: bool | None = fact("the data includes a category of sensitive data")
    identifiable: bool | None = fact("the data identifies or is linkable to an individual")
    us_individuals: bool | None = fact(
        "the data concerns individuals residing in the United States"
    )
    recipient_in_adversary_country: bool | None = fact(
        "the investor is domiciled, headquartered, based or organized in a foreign adversary "
        "country (or is its government)"
    )
    recipient_adversary_pct: Decimal | None = fact(
        "stake in the investor held directly or indirectly by foreign-adversary persons", "%"
    )
    recipient_adversary_direction: bool | None = fact(
        "the investor is subject to the direction or control of foreign-adversary persons"
    )
    target_adversary_pct: Decimal | None = fact(
        "stake in the target held by foreign-adversary persons after the deal", "%"
    )


def _adversary(nations: set[str]) -> Any:
    def test(owner: Owner) -> Tri:
        return None if owner.country is None else owner.country in nations

    return test


def derive(deal: Any, references: References, as_of: dt.date) -> tuple[BrokerFacts, dict[str, str]]:
    """Compute the section from a deal record."""
    b: DataBrokerage | None = deal.data_brokerage
    if b is None:
        naics = deal.target.naics
        hint: Tri = None if naics is None else naics.startswith(DATA_NAICS)
        return built(BrokerFacts, recorded=None if hint is not False else False), {
            "broker.recorded": "no data_brokerage block in the deal"
            + {
                True: "; the target is a data business (NAICS)",
                False: "",
                None: "; the target's NAICS code is unknown",
            }[hint]
        }
    d: dict[str, str] = {}
    nations = set(references.values("covered_nations_4872d"))
    inv = deal.investor
    in_country = or3(
        [
            None if inv.country is None else inv.country in nations,
            None
            if inv.principal_place_of_business is None
            else inv.principal_place_of_business in nations,
        ]
    )
    bounds: tuple[Decimal, Decimal] | None
    if in_country is True:
        bounds = (HUNDRED, HUNDRED)
    elif inv.kind in (PartyKind.individual, PartyKind.government):
        bounds = None if in_country is None else (Decimal(0), Decimal(0))
    else:
        bounds = multiplied_share(inv.owners, _adversary(nations))
    inv_pct: Decimal | None = None
    if bounds is not None:
        inv_pct = bounds[0] if bounds[0] == bounds[1] or bounds[0] >= 20 else None
        d["broker.recipient_adversary_pct"] = (
            f"{fmt(bounds[0])}%"
            + ("" if bounds[0] == bounds[1] else f" to {fmt(bounds[1])}%")
            + f" of {inv.name} held by persons of {', '.join(sorted(nations))}"
        )
    r = deal.rights
    # A stake known only as a range counts as unknown here (never guessed).
    stake = exact(holding(r.voting_pct, r.equity_pct))
    target_pct: Decimal | None = None
    if bounds is not None and stake is not None:
        low = stake * bounds[0] / HUNDRED
        other = b.other_adversary_pct
        if bounds[0] == bounds[1] and other is not None:
            target_pct = min(HUNDRED, low + other)
        elif low + (other or Decimal(0)) >= 20:
            target_pct = min(HUNDRED, low + (other or Decimal(0)))
        d["broker.target_adversary_pct"] = (
            f"{fmt(stake)}% x {fmt(bounds[0])}% through {inv.name}"
            + ("" if other is None else f" + {fmt(other)}% held by others")
        )
    cats = None if b.categories is None else sorted(str(c) for c in b.categories)
    return (
        built(
            BrokerFacts,
            recorded=True,
            role=b.role,
            for_consideration=b.for_consideration,
            collected_directly=b.collected_directly,
            recipient_service_provider=b.recipient_service_provider,
            excluded_activity=b.excluded_activity,
            to_investor=b.to_investor,
            categories=cats,
            sensitive=None if cats is None else bool(cats),
            identifiable=b.identifiable,
            us_individuals=b.us_individuals,
            recipient_in_adversary_country=in_country,
            recipient_adversary_pct=inv_pct,
            recipient_adversary_direction=b.recipient_adversary_direction,
            target_adversary_pct=target_pct,
        ),
        d,
    )
