"""Fact-view section `farmland`: foreign holdings of U.S. agricultural land (AFIDA).

Whether the holder of the land is a "foreign person" (7 U.S.C. 3508(3); 7 CFR 781.2): the
investor holding directly is foreign if it is an individual who is not a U.S. citizen or national
(lawful permanent residence is not recorded, so a foreign individual stays unknown), an entity
organized abroad or with its principal place of business outside the States, or a foreign
government; a U.S.-organized holder is foreign when foreign persons hold a "significant interest
or substantial control" in it (7 CFR 781.2: 10% or more by one foreign person [src]; 10% or more
by foreign persons acting in concert and 50% or more in aggregate [mem]). The rules compare the
shares; the report deadline is 90 days after the acquisition (or after the holder becomes a
foreign person), 7 U.S.C. 3501(a), (c).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from screening.facts.sections._chains import fmt, holding
from screening.facts.sections.base import HUNDRED, Section, Tri, built, fact
from screening.model.deal import PartyKind
from screening.model.ext.farmland import Farmland, LandUse
from screening.model.numbers import exact
from screening.model.reference import References

REPORT_DAYS = 90  # 7 U.S.C. 3501(a), (c)
AG_NAICS = ("111", "112", "113", "1151", "1152", "1153")
FARM_USES = {LandUse.farming, LandUse.ranching, LandUse.timber}


class FarmlandFacts(Section):
    """Facts the `afida` rules read."""

    recorded: bool | None = fact(
        "the deal records the land"  # unknown: none recorded, land-based or farm business
    )
    interest: str | None = fact("interest held or acquired in the land")
    lease_years: Decimal | None = fact("term of the leasehold", "years")
    farm_ranch_timber_use: bool | None = fact(
        "the land is used (or, if idle, was used in the past 5 years) for farming, ranching or "
        "timber production"
    )
    forestry_use: bool | None = fact("the land is used for forestry production")
    acres: Decimal | None = fact("acres held in the aggregate", "acres")
    annual_gross_receipts_usd: Decimal | None = fact("annual gross receipts from the land", "USD")
    tree_stocking_pct: Decimal | None = fact("share of the land stocked by trees", "%")
    holder: str | None = fact("who holds the interest")
    holder_foreign_direct: bool | None = fact(
        "the holder is a foreign individual, an entity organized or based outside the States, or "
        "a foreign government"
    )
    single_foreign_pct: Decimal | None = fact(
        "largest stake in the holder held by a single foreign person", "%"
    )
    concert_foreign_pct: Decimal | None = fact(
        "stake in the holder held by foreign persons acting in concert", "%"
    )
    aggregate_foreign_pct: Decimal | None = fact(
        "stake in the holder held by foreign persons together", "%"
    )
    held_before: bool | None = fact("the holder held the interest before the deal")
    foreign_before: bool | None = fact("the holder was a foreign person before the deal")
    report_event: str | None = fact("the event that starts the 90 days")
    report_due: dt.date | None = fact("AFIDA report (FSA-153) due")


def _foreign_party(inv: Any) -> Tri:
    """7 U.S.C. 3508(3)(A), (B), (D) for the investor itself."""
    if inv.kind == PartyKind.individual:
        nats = inv.nationalities or ([inv.country] if inv.country else None)
        if nats is None:
            return None
        # Not a U.S. citizen or national; permanent residence is not recorded: unknown.
        return False if "US" in nats else None
    if inv.kind == PartyKind.government:
        return None if inv.country is None else inv.country != "US"
    organized = None if inv.country is None else inv.country != "US"
    ppb = inv.principal_place_of_business
    based = None if ppb is None else ppb != "US"
    if organized or based:
        return True
    if organized is None or based is None:
        return None
    return False


def _us_entity_foreign(inv: Any) -> Tri:
    """3508(3)(C) for a U.S.-organized investor: a foreign owner of 10% or more [src], or
    foreign owners holding 50% or more together [mem]."""
    if inv.owners is None:
        return None
    unknown = False
    together = Decimal(0)
    for o in inv.owners:
        # A stake known only as a range counts as unknown here (never guessed).
        pct = exact(holding(o.voting_pct, o.equity_pct))
        if o.country is None or pct is None:
            unknown = True
            continue
        if o.country != "US":
            if pct >= 10:
                return True
            together += pct
    if together >= 50:
        return True
    return None if unknown else False


def _investor_foreign(inv: Any) -> Tri:
    direct = _foreign_party(inv)
    if direct is False and inv.kind not in (PartyKind.individual, PartyKind.government):
        return _us_entity_foreign(inv)
    return direct


def derive(
    deal: Any, references: References, as_of: dt.date
) -> tuple[FarmlandFacts, dict[str, str]]:
    """Compute the section from a deal record."""
    land: Farmland | None = deal.farmland
    if land is None:
        naics = deal.target.naics
        farm = None if naics is None else naics.startswith(AG_NAICS)
        hint: Tri = True if farm or deal.kind in ("greenfield", "real_estate") else farm
        return built(FarmlandFacts, recorded=None if hint is not False else False), {
            "farmland.recorded": "no farmland block in the deal"
            + ("; the deal acquires land or the target is a farm business" if hint else "")
        }
    d: dict[str, str] = {}
    inv = deal.investor
    inv_foreign = _investor_foreign(inv)
    uses = None if land.uses is None else set(land.uses)
    direct: Tri
    single: Decimal | None = None
    concert: Decimal | None = None
    aggregate: Decimal | None = None
    if land.held_by == "investor":
        direct = inv_foreign
        d["farmland.holder_foreign_direct"] = (
            f"the investor {inv.name} holds the land; a U.S.-organized investor is tested on its "
            "recorded owners (one foreign owner of 10% or more, or foreign owners of 50% together)"
        )
        if direct is False:
            # The investor's own holders were tested above: no further share to count.
            single = concert = aggregate = Decimal(0)
    else:
        tc = deal.target.country
        direct = None if tc is None else tc != "US"
        r = deal.rights
        stake = exact(holding(r.voting_pct, r.equity_pct))
        inv_stake: Decimal | None = None
        if inv_foreign is False:
            inv_stake = Decimal(0)
        elif inv_foreign is True:
            inv_stake = stake
        co = [
            (c, exact(c.voting_pct), _investor_foreign(c.party))
            for c in deal.co_investors
            if _investor_foreign(c.party) is not False
        ]
        co_known = all(f is True and p is not None for _, p, f in co)
        co_pcts = [p for _, p, f in co if f is True and p is not None]
        concert_pcts = [
            p for c, p, f in co if f is True and p is not None and c.acts_in_concert is True
        ]
        if inv_stake is not None:
            single = max([inv_stake, *co_pcts])
            concert = min(HUNDRED, inv_stake + sum(concert_pcts, Decimal(0)))
            if not co_known:
                # A foreign (or possibly foreign) co-investor with an unknown stake: below the
                # thresholds the shares are not known, never taken as small.
                single = single if single >= 10 else None
                concert = concert if concert >= 10 else None
            if co_known and land.other_foreign_pct is not None:
                aggregate = min(
                    HUNDRED, inv_stake + sum(co_pcts, Decimal(0)) + land.other_foreign_pct
                )
            elif inv_stake + sum(co_pcts, Decimal(0)) >= 50:
                aggregate = min(HUNDRED, inv_stake + sum(co_pcts, Decimal(0)))
        d["farmland.single_foreign_pct"] = (
            f"investor {inv.name}: foreign person "
            f"{ {True: 'yes', False: 'no', None: 'unknown'}[inv_foreign] }, stake "
            f"{'unknown' if stake is None else fmt(stake) + '%'} after the deal"
        )
    start = land.acquired_on or deal.completion_date
    event = "acquisition of the interest"
    if land.held_before is True:
        start = deal.completion_date
        event = "the holder becoming a foreign person through the deal (completion)"
    due = None if start is None else start + dt.timedelta(days=REPORT_DAYS)
    if due is not None:
        d["farmland.report_due"] = f"{event} on {start} + {REPORT_DAYS} days"
    return (
        built(
            FarmlandFacts,
            recorded=True,
            interest=None if land.interest is None else str(land.interest),
            lease_years=land.lease_years,
            farm_ranch_timber_use=None if uses is None else bool(uses & FARM_USES),
            forestry_use=None if uses is None else LandUse.forestry in uses,
            acres=land.acres,
            annual_gross_receipts_usd=land.annual_gross_receipts_usd,
            tree_stocking_pct=land.tree_stocking_pct,
            holder=inv.name if land.held_by == "investor" else deal.target.name,
            holder_foreign_direct=direct,
            single_foreign_pct=single,
            concert_foreign_pct=concert,
            aggregate_foreign_pct=aggregate,
            held_before=land.held_before,
            foreign_before=land.foreign_before,
            report_event=event,
            report_due=due,
        ),
        d,
    )
