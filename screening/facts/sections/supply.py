"""Fact-view section `supply`: supply chains (UFLPA, Section 301).

UFLPA nexus is read from the goods (Xinjiang content, UFLPA Entity List producers at any tier)
and from the supplier (the deal's investor) being on the UFLPA Entity List. Section 301 rates
come from the dated reference table ``section301_rates`` as of the screening date, for goods of
Chinese origin.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from screening.facts.sections._chains import fmt
from screening.facts.sections.base import Section, Tri, built, fact, or3
from screening.model.deal import RestrictedList
from screening.model.ext.supply import SupplyChain
from screening.model.reference import References

SECTION_301_ORIGINS = ("CN",)


class SupplyFacts(Section):
    """Facts the `supply` rules read."""

    recorded: bool | None = fact(
        "the deal records the goods supplied"  # unknown: none recorded in a supply partnership
    )
    imported: bool | None = fact("the goods are entered into the United States")
    xinjiang_content: bool | None = fact("goods made wholly or in part in Xinjiang, at any tier")
    uflpa_listed_producer: bool | None = fact(
        "goods made by a UFLPA Entity List entity, at any tier"
    )
    cbp_exception: bool | None = fact("CBP granted an exception or found no nexus")
    s301_products: list[str] | None = fact("Chinese-origin product groups with a Section 301 rate")
    s301_max_rate_pct: Decimal | None = fact("highest Section 301 rate on those goods", "%")
    s301_rates: str | None = fact("Section 301 rates on the goods")


def derive(deal: Any, references: References, as_of: dt.date) -> tuple[SupplyFacts, dict[str, str]]:
    """Compute the section from a deal record."""
    sc: SupplyChain | None = deal.supply_chain
    if sc is None:
        hint = deal.kind == "supply_partnership" and getattr(deal, "arrangement", None) != "license"
        return built(SupplyFacts, recorded=None if hint else False), {
            "supply.recorded": "no supply_chain block in the deal"
            + ("; a supply partnership moves goods" if hint else "")
        }
    d: dict[str, str] = {}
    supplier_listed = RestrictedList.uflpa_entity_list in (deal.investor.lists or [])
    goods = sc.goods
    xinjiang: Tri = None if goods is None else or3(g.xinjiang_content for g in goods)
    listed: Tri = (
        True
        if supplier_listed
        else (
            None
            if goods is None
            else or3(
                [
                    *(g.producer_uflpa_listed for g in goods),
                    None if deal.investor.lists is None else False,
                ]
            )
        )
    )
    if supplier_listed:
        d["supply.uflpa_listed_producer"] = f"{deal.investor.name} is on the UFLPA Entity List"
    products: list[str] | None = None
    rates: list[tuple[str, Decimal, str]] = []
    table = references.get("section301_rates")
    if goods is not None and table is not None:
        products = []
        for g in goods:
            if g.origin not in SECTION_301_ORIGINS or g.product is None:
                continue
            for e in table.entries:
                if e.value == str(g.product) and e.in_force(as_of):
                    rate = Decimal(str(e.attributes["rate_pct"]))
                    since = f"since {e.start}" if e.start else f"until {e.end}"
                    rates.append(
                        (
                            e.value,
                            rate,
                            f"{e.value} {fmt(rate)}% ({since}; "
                            f"{e.attributes.get('confidence', 'mem')})",
                        )
                    )
                    products.append(e.value)
        products = sorted(set(products))
        unknown_origin = [g.description for g in goods if g.origin is None]
        if unknown_origin:
            d["supply.s301_products"] = "origin unknown for: " + ", ".join(unknown_origin)
    complete = goods is not None and all(
        g.origin is not None and (g.origin not in SECTION_301_ORIGINS or g.product is not None)
        for g in goods
    )
    top = max((r[1] for r in rates), default=Decimal(0) if complete else None)
    summary = "; ".join(sorted({r[2] for r in rates})) or None
    if summary:
        d["supply.s301_rates"] = f"section301_rates as of {as_of}: {summary}"
    return (
        built(
            SupplyFacts,
            recorded=True,
            imported=sc.imported_into_us,
            xinjiang_content=xinjiang,
            uflpa_listed_producer=listed,
            cbp_exception=sc.cbp_exception,
            s301_products=products,
            s301_max_rate_pct=top,
            s301_rates=summary,
        ),
        d,
    )
