"""Fact-view section `offtake`: supply or offtake terms between the investor and the U.S. business.

Reads the deal's ``supply_terms`` block (:mod:`screening.model.ext.offtake`). The terms the law
gives a consequence are facts rules read: a financing (a prepayment or supply credit, secured
or not: 31 CFR 800.306(a)) and whether it is secured,
equity-like rights under the financing (800.306(b)), access to material nonpublic technical
information (800.211(b)(1), 800.232; also folded into ``rights.mnpti_access``), and know-how passing
to the investor (the EAR section reads it). Exclusivity, the volume share and a prepayment as such
have no consequence in any regime encoded here: they are summarised in ``offtake.terms`` and
shown as context, never weighed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from screening.facts.sections.base import Section, Tri, and3, built, fact, field_or_none, or3
from screening.model.ext.offtake import SupplyTerms
from screening.model.numbers import gt, render
from screening.model.reference import References


class OfftakeFacts(Section):
    """Facts the supply-terms rules read."""

    recorded: bool | None = fact(
        "the deal records supply or offtake terms"  # unknown: a supply partnership without them
    )
    direction: str | None = fact("who supplies whom (investor_buys = an offtake)")
    secured_prepayment: bool | None = fact(
        "the investor prepays and holds a security interest over the U.S. business's assets"
    )
    financing: bool | None = fact(
        "the investor finances the U.S. business: a prepayment above zero or supply credit "
        "(800.306(a))"
    )
    security_interest: bool | None = fact("the prepayment or supply credit is secured")
    default_control_likely: bool | None = fact(
        "a default or other condition could give the investor control (800.306(a)(1))"
    )
    equity_like_rights: bool | None = fact(
        "the financing gives profits, board appointments or other equity-like rights (800.306(b))"
    )
    technical_information: bool | None = fact(
        "the investor gets material nonpublic technical information under the agreement (800.232)"
    )
    know_how_to_investor: bool | None = fact(
        "technology or know-how passes to the investor under the agreement"
    )
    licence_from_investor: bool | None = fact(
        "the investor licenses technology to the U.S. business under the agreement"
    )
    terms: str | None = fact("the negotiated terms, as recorded")


def _yes_no(value: bool | None) -> str:
    return {True: "yes", False: "no", None: "not known"}[value]


def summary(t: SupplyTerms) -> str:
    """The terms as one line, in a fixed order (what explanations show as context)."""
    parts = []
    if t.direction is not None:
        parts.append(
            "offtake (the investor buys)"
            if t.direction == "investor_buys"
            else "supply (the investor supplies)"
        )
    if t.prepayment_usd is not None:
        parts.append(f"prepayment {render(t.prepayment_usd, 'USD')}")
    if t.supply_credit is not None:
        parts.append(f"supply credit: {_yes_no(t.supply_credit)}")
    if t.security_interest is not None:
        over = ""
        if t.security_interest and t.collateral:
            over = " over " + ", ".join(sorted(str(c) for c in t.collateral))
        parts.append(f"security interest: {_yes_no(t.security_interest)}{over}")
    if t.exclusive is not None:
        parts.append(f"exclusive: {_yes_no(t.exclusive)}")
    if t.volume_share_pct is not None:
        parts.append(f"volume share {render(t.volume_share_pct, '%')}")
    if t.know_how_to_investor is not None:
        parts.append(f"know-how to the investor: {_yes_no(t.know_how_to_investor)}")
    if t.licence_from_investor is not None:
        parts.append(f"licence from the investor: {_yes_no(t.licence_from_investor)}")
    if t.technical_information_to_investor is not None:
        parts.append(
            "technical information to the investor: " + _yes_no(t.technical_information_to_investor)
        )
    return "; ".join(parts) or "no terms recorded"


def _prepaid(t: SupplyTerms) -> Tri:
    """Whether a prepayment is made: an amount (or range) above zero."""
    if t.prepayment_usd is None:
        return None
    return gt(t.prepayment_usd, 0)


def derive(
    deal: Any, references: References, as_of: dt.date
) -> tuple[OfftakeFacts, dict[str, str]]:
    """Compute the section from a deal record."""
    t: SupplyTerms | None = field_or_none(deal, "supply_terms")
    if t is None:
        if deal.kind == "supply_partnership":
            return built(OfftakeFacts, recorded=None), {
                "offtake.recorded": "a supply partnership without a `supply_terms` block: its "
                "terms are not known"
            }
        return built(OfftakeFacts, recorded=False), {}
    d = {
        "offtake.terms": "as recorded; exclusivity, volume share and a prepayment as such are "
        "context: no rule in the rulebook gives them a consequence (docs/deals.md)"
    }
    if t.technical_information_to_investor is True:
        d["rights.mnpti_access"] = (
            "the supply terms give the investor access to material nonpublic technical "
            "information of the U.S. business (800.232): counted as the 800.211(b)(1) right"
        )
    secured = and3([_prepaid(t), t.security_interest])
    financing = or3([_prepaid(t), t.supply_credit])
    return (
        built(
            OfftakeFacts,
            recorded=True,
            direction=None if t.direction is None else str(t.direction),
            secured_prepayment=secured,
            financing=financing,
            security_interest=t.security_interest,
            default_control_likely=t.default_control_likely,
            equity_like_rights=t.equity_like_rights,
            technical_information=t.technical_information_to_investor,
            know_how_to_investor=t.know_how_to_investor,
            licence_from_investor=t.licence_from_investor,
            terms=summary(t),
        ),
        d,
    )
