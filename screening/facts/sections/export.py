"""Fact-view section `export`: technology shared in a deal under the EAR (15 CFR 730-774).

A release of technology or source code to a foreign person in the United States is a deemed
export to the person's most recent country of citizenship or permanent residency (15 CFR
734.13(b)); release includes visual inspection and oral or written exchanges (734.15(a)). The
counterparty is the deal's investor. Whether an owner chain puts the recipient under the BIS
Affiliates Rule (50% or more owned, in aggregate, by Entity List parties) is computed from the
owners' declared lists (parties counted in full, as the rule counts them) or taken from the
record; the rule's status on the screening date comes from the dated reference list
``ear_affiliates_rule`` (in force, suspended).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from screening.facts.gates import ISSUE_12_REVIEW, applies
from screening.facts.sections._chains import fmt, full_count_share
from screening.facts.sections.base import Section, Tri, and3, built, fact, field_or_none, not3, or3
from screening.model.deal import Owner, RestrictedList
from screening.model.ext.exports import TechnologyRelease
from screening.model.reference import References

AFFILIATE_PCT = Decimal(50)


class ExportFacts(Section):
    """Facts the `ear` rules read."""

    recorded: bool | None = fact(
        "the deal records what technology is shared"  # unknown: none recorded, technology deal
    )
    subject_items: bool | None = fact(
        "technology, source code or items subject to the EAR go to the counterparty"
    )
    release: bool | None = fact("technology or source code is released to the counterparty")
    recipient_foreign: bool | None = fact(
        "a recipient is a foreign person (not a U.S. citizen, permanent resident or company)"
    )
    recipient_countries: list[str] | None = fact("countries the release is deemed to go to")
    eccn: str | None = fact("classification of what is released")
    ear99: bool | None = fact("what is released is EAR99 (not on the Commerce Control List)")
    licence_required_for_country: bool | None = fact(
        "the Country Chart requires a licence for that ECCN to the recipient's country"
    )
    licence_exception: bool | None = fact("a licence exception covers every release")
    licence_held: bool | None = fact("BIS has issued the licence")
    entity_list_covers_items: bool | None = fact(
        "the listed party's Entity List entry requires a licence for these items"
    )
    entity_list_policy: str | None = fact("License Review Policy of the Entity List entry")
    listed_owner_pct: Decimal | None = fact(
        "stake in the recipient held by Entity List parties, in aggregate", "%"
    )
    recipient_non_us: bool | None = fact("the recipient is organized outside the United States")
    affiliates_rule_status: str | None = fact(
        "status of the BIS Affiliates Rule on the screening date (in_force, suspended, none)"
    )
    foreign_direct_product_to_footnoted: bool | None = fact(
        "foreign-made direct products of U.S. technology go to a footnoted Entity List party"
    )


def _listed(owner: Owner) -> Tri:
    if owner.lists is None:
        return None  # memberships not known
    return RestrictedList.bis_entity_list in owner.lists


def _foreign_investor(inv: Any) -> Tri:
    """Whether the investor, as recipient, is a foreign person by its country (unknown: None)."""
    return None if inv.country is None else inv.country != "US"


def _judged_by_investor(inv: Any) -> str:
    """The derivation of `export.recipient_foreign` when the recipient countries are unknown."""
    return (
        "recipient countries not recorded: judged from the investor's country "
        f"({inv.country or 'unknown'})"
    )


def _status(references: References, as_of: dt.date) -> str | None:
    table = references.get("ear_affiliates_rule")
    if table is None:
        return None
    live = [e for e in table.entries if e.in_force(as_of)]
    return str(live[0].attributes["status"]) if live else "none"


def derive(deal: Any, references: References, as_of: dt.date) -> tuple[ExportFacts, dict[str, str]]:
    """Compute the section from a deal record."""
    x: TechnologyRelease | None = deal.export_control
    terms = field_or_none(deal, "supply_terms")
    know_how: Tri = None if terms is None else terms.know_how_to_investor
    inv = deal.investor
    if x is None and know_how is True:
        notes = {
            "export.recorded": "no export_control block in the deal; the supply terms pass "
            "technology or know-how to the investor (a release or export, 15 CFR 734.13-734.15)",
        }
        if not applies(ISSUE_12_REVIEW):  # an older rulebook: the recipient is not recorded
            return built(ExportFacts, recorded=None), notes
        notes["export.recipient_foreign"] = _judged_by_investor(inv)
        return built(ExportFacts, recorded=None, recipient_foreign=_foreign_investor(inv)), notes
    if x is None:
        licence = deal.kind == "supply_partnership" and field_or_none(deal, "arrangement") == (
            "license"
        )
        tech = deal.kind == "joint_venture" or licence or deal.rights.mnpti_access is True
        return built(ExportFacts, recorded=None if tech else False), {
            "export.recorded": "no export_control block in the deal"
            + (
                "; the deal shares technology (joint venture, licence or access to technical "
                "information)"
                if tech
                else ""
            )
        }
    d: dict[str, str] = {}
    countries = None if x.recipient_countries is None else sorted(set(x.recipient_countries))
    if countries is not None:
        foreign: Tri = any(c != "US" for c in countries)
    else:
        foreign = _foreign_investor(inv)
        d["export.recipient_foreign"] = _judged_by_investor(inv)
    not_public = not3(x.published_or_fundamental)
    releases = x.releases_technology
    if releases is None and know_how is True:
        releases = True
        d["export.release"] = "the supply terms pass technology or know-how to the investor"
    release = and3([releases, not_public])
    subject = and3([or3([releases, x.exports_items]), not_public])
    pct = x.listed_owner_pct
    if pct is None and inv.owners is not None:
        low, high = full_count_share(inv.owners, _listed, AFFILIATE_PCT, strict=False)
        pct = low if low == high or low >= AFFILIATE_PCT else None
        d["export.listed_owner_pct"] = (
            f"owners declared on the Entity List hold {fmt(low)}%"
            + ("" if low == high else f" to {fmt(high)}%")
            + f" of {inv.name} (counted in full through listed owners)"
        )
    status = _status(references, as_of)
    d["export.affiliates_rule_status"] = (
        f"BIS Affiliates Rule on {as_of}: {status} (reference list ear_affiliates_rule; whether "
        "the suspension that ended Nov. 9, 2026 was extended is not verified)"
    )
    eccn = x.eccn
    return (
        built(
            ExportFacts,
            recorded=True,
            subject_items=subject,
            release=release,
            recipient_foreign=foreign,
            recipient_countries=countries,
            eccn=eccn,
            ear99=None if eccn is None else eccn == "EAR99",
            licence_required_for_country=x.licence_required_for_country,
            licence_exception=x.licence_exception,
            licence_held=x.licence_held,
            entity_list_covers_items=x.entity_list_covers_items,
            entity_list_policy=None if x.entity_list_policy is None else str(x.entity_list_policy),
            listed_owner_pct=pct,
            recipient_non_us=None if inv.country is None else inv.country != "US",
            affiliates_rule_status=status,
            foreign_direct_product_to_footnoted=x.foreign_direct_product_to_footnoted,
        ),
        d,
    )
