"""Fact-view section `credit`: clean-energy credit terms beyond ownership (OBBBA).

Reads the ``agreement`` and ``project`` parts of the deal's ``energy`` block: the terms of a
licence, technology, services or supply agreement (for "effective control", IRC
7701(a)(51)(D)(ii)), the facility's technology and dates (wind and solar termination, 45Y(d)(4) and
48E(e)(4)), the 45X component's year against ``credit_phaseout_45x`` and the 48E recapture window
(IRC 50(a)(4)). Dates and year counts are compared in the rules, where they can be read; this
section derives only what needs arithmetic or a table.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from screening.facts.sections.base import Section, Tri, anniversary, built, fact, or3
from screening.model.ext.credits import AgreementKind, ContractRight, CreditProject
from screening.model.ext.credits import TechnologyAgreement as Agreement
from screening.model.ext.energy import EnergyCredit
from screening.model.reference import References

RECAPTURE_YEARS = 10  # IRC 50(a)(4)(A): the 10-year period beginning when placed in service
SPECIFIED_AFTER = dt.date(
    2027, 7, 4
)  # 50(a)(4)(C): taxable years beginning 2 years after enactment
GENERAL_RIGHTS = (
    ContractRight.production_quantity_timing,
    ContractRight.generation_storage_timing,
    ContractRight.component_output_buyers,
    ContractRight.facility_output_buyers,
    ContractRight.restrict_data_or_site_access,
    ContractRight.exclusive_operation_maintenance,
)
LICENCE_RIGHTS = (
    ContractRight.direct_sourcing,
    ContractRight.direct_operation,
    ContractRight.limit_ip_use,
)


class CreditFacts(Section):
    """Facts the clean-energy licensing, termination and recapture rules read."""

    agreement_recorded: bool | None = fact(
        "the deal records the agreement's terms"  # unknown: a licence deal without them
    )
    counterparty: str | None = fact("the contractual counterparty")
    counterparty_is_investor: bool | None = fact("the counterparty is the deal's investor")
    counterparty_sfe: bool | None = fact(
        "a counterparty other than the investor is a specified foreign entity"
    )
    agreement_kind: str | None = fact("what the agreement is")
    ip_licence: bool | None = fact(
        "an IP licence (a purchase with reversion to the seller counts as one)"
    )
    relates_to_credit_property: bool | None = fact(
        "the agreement concerns a qualified facility, storage or eligible-component production"
    )
    rights: list[str] | None = fact("rights the counterparty holds")
    royalty_years: Decimal | None = fact("years the counterparty may receive royalties", "years")
    services_years: Decimal | None = fact(
        "longest services agreement the counterparty can require", "years"
    )
    full_know_how: bool | None = fact("the claimant gets all technical data and know-how")
    entered_on: dt.date | None = fact("date the agreement was entered into")
    modified_on: dt.date | None = fact("date the agreement was last modified or extended")
    payments: bool | None = fact("the claimant pays the counterparty under the agreement")
    control_terms: str | None = fact("the terms that give effective control")
    technology: str | None = fact("technology of the facility (wind, solar, storage, other)")
    construction_began: dt.date | None = fact("date construction began")
    placed_in_service: dt.date | None = fact("date placed in service")
    component: str | None = fact("45X component category")
    component_year: int | None = fact("year the 45X component is produced and sold")
    phaseout_pct: Decimal | None = fact("share of the 45X credit left for that year", "%")
    phaseout_basis: str | None = fact("the phase-out or termination that sets that share")
    recapture_window_payment: bool | None = fact(
        "a payment to the counterparty falls within 10 years after the 48E property was placed "
        "in service"
    )
    recapture_window_ends: dt.date | None = fact("end of the 10-year recapture window")
    specified_48e_taxpayer: bool | None = fact(
        "the 48E credit is allowed for a taxable year beginning after July 4, 2027"
    )
    transfer_to_investor: bool | None = fact("the credit is transferred (sold) to the investor")


def _licence(a: Agreement) -> Tri:
    if a.kind is None:
        return None
    if a.kind == AgreementKind.ip_licence:
        return True
    if a.kind == AgreementKind.ip_purchase:
        # 7701(a)(51)(D)(ii)(III)(bb): a purchase with reversion is not a bona fide purchase.
        return a.ip_reverts
    return False


def _terms(a: Agreement) -> str:
    out: list[str] = [f"right: {r}" for r in (a.rights or [])]
    if a.royalty_years is not None and a.royalty_years > 10:
        out.append(f"royalties for {a.royalty_years} years (beyond the 10th year)")
    if a.services_years is not None and a.services_years > 2:
        out.append(f"services required for {a.services_years} years (longer than 2)")
    if a.full_know_how is False:
        out.append("not all know-how transferred")
    if a.entered_on is not None and a.entered_on >= dt.date(2025, 7, 4):
        out.append(f"entered into on {a.entered_on} (on or after July 4, 2025)")
    if a.modified_on is not None and a.modified_on >= dt.date(2025, 7, 4):
        out.append(f"modified on {a.modified_on} (on or after July 4, 2025)")
    return "; ".join(out) or "none recorded"


def _window(p: CreditProject, a: Agreement | None) -> tuple[Tri, dt.date | None]:
    if p.placed_in_service is None:
        return None, None
    start = p.placed_in_service
    end = anniversary(start, RECAPTURE_YEARS)
    if a is None:
        return None, end
    if a.payments is False:
        return False, end
    pf, pu = a.payments_from, a.payments_until
    if (pf is not None and pf >= end) or (pu is not None and pu < start):
        return False, end
    if pf is not None and pf >= start:
        return True, end  # the first payment itself is in the window
    if pu is not None and start <= pu < end:
        return True, end  # so is the last
    if pf is not None and pu is not None:
        return True, end  # payments run across the whole window
    return None, end


def _phaseout(
    references: References, category: str | None, year: int | None
) -> tuple[Decimal | None, str | None]:
    table = references.get("credit_phaseout_45x")
    if table is None or category is None or year is None:
        return None, None
    rows = [
        e
        for e in table.entries
        if e.attributes.get("category") == category and int(e.attributes["year"]) <= year
    ]
    if not rows:
        return None, None
    row = max(rows, key=lambda e: int(e.attributes["year"]))
    pct = Decimal(str(row.attributes["credit_pct"]))
    basis = (
        f"{category} in {year}: {row.attributes.get('citation', '')} "
        f"[{row.attributes.get('confidence', 'mem')}]"
    )
    return pct, basis


def _tax_year_of(day: dt.date, begins: dt.date | None) -> dt.date:
    """First day of the taxable year containing ``day`` (calendar year if not recorded)."""
    if begins is None:
        return dt.date(day.year, 1, 1)
    try:
        start = begins.replace(year=day.year)
    except ValueError:
        start = begins.replace(year=day.year, day=28)
    return start if start <= day else anniversary(start, -1)


def derive(deal: Any, references: References, as_of: dt.date) -> tuple[CreditFacts, dict[str, str]]:
    """Compute the section from a deal record."""
    ec: EnergyCredit | None = deal.energy
    if ec is None:
        return built(CreditFacts, agreement_recorded=False), {
            "credit.agreement_recorded": "no energy block"
        }
    d: dict[str, str] = {}
    a = ec.agreement
    p = ec.project or CreditProject()
    licence_deal = deal.kind == "supply_partnership" and getattr(deal, "arrangement", None) in (
        "license",
        None,
    )
    if deal.kind == "joint_venture" and getattr(deal, "us_contribution", None) == "ip_license":
        licence_deal = True
    terms = getattr(deal, "supply_terms", None)
    if terms is not None and terms.licence_from_investor is True:
        licence_deal = True  # a technology licence attached to the supply
    recorded: Tri = True if a is not None else (None if licence_deal else False)
    if a is None:
        d["credit.agreement_recorded"] = "no agreement recorded in the energy block" + (
            "; the deal is a licence or technology deal" if licence_deal else ""
        )
    pct, basis = _phaseout(
        references, None if ec.macr_category is None else str(ec.macr_category), p.component_year
    )
    window, ends = _window(p, a)
    specified: Tri = None
    if p.placed_in_service is not None:
        year_start = _tax_year_of(p.placed_in_service, ec.taxable_year_begins)
        specified = year_start > SPECIFIED_AFTER
        d["credit.specified_48e_taxpayer"] = (
            f"48E allowed for the taxable year beginning {year_start} (the year the property is "
            "placed in service)"
            + ("" if ec.taxable_year_begins else "; a calendar year is assumed")
        )
    rights = None if a is None or a.rights is None else sorted(str(r) for r in a.rights)
    return (
        built(
            CreditFacts,
            agreement_recorded=recorded,
            counterparty=None
            if a is None
            else (a.counterparty_name if a.counterparty_name else deal.investor.name),
            counterparty_is_investor=None if a is None else a.counterparty_name is None,
            counterparty_sfe=None if a is None else a.counterparty_sfe,
            agreement_kind=None if a is None or a.kind is None else str(a.kind),
            ip_licence=None if a is None else _licence(a),
            relates_to_credit_property=None if a is None else a.relates_to_credit_property,
            rights=rights,
            royalty_years=None if a is None else a.royalty_years,
            services_years=None if a is None else a.services_years,
            full_know_how=None if a is None else a.full_know_how,
            entered_on=None if a is None else a.entered_on,
            modified_on=None if a is None else a.modified_on,
            payments=None if a is None else or3([a.payments, a.payments_from is not None or None]),
            control_terms=None if a is None else _terms(a),
            technology=None if p.technology is None else str(p.technology),
            construction_began=p.construction_began,
            placed_in_service=p.placed_in_service,
            component=None if ec.macr_category is None else str(ec.macr_category),
            component_year=p.component_year,
            phaseout_pct=pct,
            phaseout_basis=basis,
            recapture_window_payment=window,
            recapture_window_ends=ends,
            specified_48e_taxpayer=specified,
            transfer_to_investor=p.transfer_to_investor,
        ),
        d,
    )
