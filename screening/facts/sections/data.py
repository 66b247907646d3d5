"""Fact-view section `data`: 28 CFR part 202 (DOJ Data Security Program).

The counterparty is the deal's investor. Bulk status is derived from the reference table
``dsp_bulk_thresholds`` (202.205), covered-person status from ``dsp_countries_of_concern`` and
the investor's ownership chains (202.211, the 50% rule counted in full through caught entities).
Facts stay unknown when the deal record has no ``data_transaction`` block.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from screening.facts.gates import REVIEW_J, applies
from screening.facts.sections._chains import fmt, full_count_share, holding, meets
from screening.facts.sections.base import Section, Tri, built, fact, not3, or3
from screening.model.deal import Owner, PartyKind
from screening.model.ext.data import DataAgreement, DataTransaction
from screening.model.numbers import Num
from screening.model.reference import References

# 202.228(a): ownership interests in a U.S. legal entity or in real estate located in the U.S.
INVESTMENT_KINDS = ("equity_stake", "acquisition", "joint_venture", "real_estate")
INVESTMENT_KINDS_BEFORE_J = ("equity_stake", "acquisition", "joint_venture")  # gates.REVIEW_J
OMIC = ("human_genomic", "human_omic_other")


class DataFacts(Section):
    """Facts the `data` rules read."""

    recorded: bool | None = fact(
        "the deal records its data transaction"  # unknown: none recorded, target holds data
    )
    counterparty_covered_person: bool | None = fact(
        "the counterparty is a country of concern or a covered person"
    )
    counterparty_foreign_person: bool | None = fact("the counterparty is a foreign person")
    access: bool | None = fact("the deal gives the counterparty access to the data")
    brokerage: bool | None = fact("the deal involves data brokerage")
    vendor: bool | None = fact("the deal involves a vendor agreement")
    employment: bool | None = fact("the deal involves an employment agreement")
    investment: bool | None = fact("the deal involves an investment agreement (before exclusions)")
    passive_security: bool | None = fact(
        "the interest is a public security, a registered-fund interest or a passive LP interest"
    )
    counterparty_interest_pct: Num | None = fact(
        "counterparty's voting or equity interest (the larger)", "%"
    )
    beyond_minority_protections: bool | None = fact(
        "the counterparty gets rights beyond standard minority protections"
    )
    bulk: bool | None = fact("the data exceeds a bulk threshold of 28 CFR 202.205")
    bulk_categories: list[str] | None = fact("data categories over their bulk threshold")
    bulk_omic: bool | None = fact(
        "bulk human 'omic data (genomic: more than 100 U.S. persons; other 'omic: more than 1,000)"
    )
    biospecimens: bool | None = fact(
        "human biospecimens from which bulk 'omic data could be derived"
    )
    government_related: bool | None = fact("government-related data (any volume)")
    cisa_compliant: bool | None = fact("the CISA security requirements are implemented")
    onward_transfer_safeguards: bool | None = fact(
        "the brokerage contract bars onward transfer and requires breach reports"
    )
    structured_to_evade: bool | None = fact("the deal is structured to evade part 202")
    official_business: bool | None = fact(
        "ordinarily incident to official U.S. Government business"
    )
    cfius_action: bool | None = fact("the investment agreement is subject to a CFIUS action")


def _agreement(dt_: DataTransaction | None, kind: DataAgreement) -> Tri:
    if dt_ is None or dt_.agreements is None:
        return None
    return kind in dt_.agreements


def _direct(concern: set[str]) -> Any:
    def test(owner: Owner) -> Tri:
        if owner.country is None:
            return None
        # Individuals: nationality stands in for primary residence (202.211(a)(4)); see docs.
        return owner.country in concern

    return test


def _covered_person(deal: Any, dtx: DataTransaction, concern: set[str], notes: list[str]) -> Tri:
    inv = deal.investor
    designated = dtx.counterparty_designated
    if designated:
        notes.append("designated by the Attorney General (202.211(a)(5))")
        return True
    if inv.kind == PartyKind.individual:
        if dtx.counterparty_in_us:
            notes.append(
                "an individual in the United States is a U.S. person (202.211(b), 202.256)"
            )
            return designated
        res = dtx.counterparty_primary_residence
        resident: Tri = None if res is None else res in concern
        if resident:
            notes.append(f"primarily resident in {res}, a country of concern (202.211(a)(4))")
        return or3([resident, dtx.counterparty_employed_by_covered_person, designated])
    if inv.kind == PartyKind.government:
        return None if inv.country is None else inv.country in concern
    if inv.country == "US":
        notes.append(
            "organized in the United States: a U.S. person, not a covered person (202.256(b)(8))"
        )
        return designated
    organized: Tri = None if inv.country is None else inv.country in concern
    ppb = inv.principal_place_of_business
    place: Tri = None if ppb is None else ppb in concern
    if organized or place:
        notes.append(
            f"organized in {inv.country} / principal place of business {ppb} (202.211(a)(1))"
        )
        return True
    low, high = full_count_share(
        inv.owners, _direct(concern), Decimal(50), strict=False, complete=inv.owners_complete
    )
    owned = meets((low, high), Decimal(50), strict=False)
    notes.append(
        f"owned {fmt(low)}%"
        + ("" if low == high else f" to {fmt(high)}%")
        + " by countries of concern or covered persons, directly or indirectly (50% rule)"
    )
    return or3([organized, place, owned, designated])


def _bulk(
    dtx: DataTransaction, references: References, as_of: dt.date, notes: list[str]
) -> tuple[Tri, list[str] | None, Tri]:
    table = references.get("dsp_bulk_thresholds")
    if dtx.datasets is None or table is None:
        return None, None, None
    in_force = [e for e in table.entries if e.in_force(as_of)] or list(table.entries)
    limits = {e.value: int(e.attributes["threshold"]) for e in in_force}
    units = {e.value: str(e.attributes.get("unit", "U.S. persons")) for e in in_force}
    results: list[Tri] = []
    omic: list[Tri] = []
    categories: set[str] = set()
    complete = True
    # 202.205: bulk is counted in one transaction or aggregated across transactions between the
    # same parties, so every category is also tested on its total over the datasets.
    totals: dict[str, list[int | None]] = {}
    for ds in dtx.datasets:
        cats = [str(c) for c in ds.categories]
        for c in set(cats):
            totals.setdefault(c, []).append(ds.count)
        lowest_cat = min(cats, key=lambda c: limits.get(c, 10**12))
        lowest = limits.get(lowest_cat)
        if lowest is None or ds.count is None:
            results.append(None)
            complete = False
            omic.append(None if any(c in OMIC for c in cats) else False)
            continue
        over = ds.count > lowest
        combined = " (combined dataset: lowest threshold)" if len(cats) > 1 else ""
        notes.append(
            f"{'+'.join(cats)}: {ds.count:,} {units[lowest_cat]} "
            f"{'>' if over else '≤'} {lowest:,}{combined}"
        )
        results.append(over)
        if over:
            categories.update(cats)
        omic.append(any(c in OMIC and ds.count > limits.get(c, 10**12) for c in cats))
    # Aggregation came with review J: an older rulebook tests each dataset alone (gates.py).
    for cat, counts in sorted(totals.items()) if applies(REVIEW_J) else []:
        limit = limits.get(cat)
        known = [n for n in counts if n is not None]
        if len(counts) < 2 or limit is None or len(known) < 2:
            continue  # one dataset is tested above; an unknown count is already unknown
        most, total = max(known), sum(known)
        if most > limit or total <= limit:
            continue  # settled by the largest dataset alone, or not bulk even if all add up
        agg: Tri = True if dtx.datasets_distinct else None
        notes.append(
            f"{cat} aggregated over {len(known)} datasets: "
            + (
                f"{total:,} {units[cat]} > {limit:,} (distinct persons)"
                if agg
                else f"between {most:,} and {total:,} {units[cat]} (the datasets may cover the "
                f"same persons), threshold {limit:,}"
            )
        )
        results.append(agg)
        if cat in OMIC:
            omic.append(agg)
        if agg:
            categories.add(cat)
        else:
            complete = False
    return or3(results), sorted(categories) if complete else None, or3(omic)


def derive(deal: Any, references: References, as_of: dt.date) -> tuple[DataFacts, dict[str, str]]:
    """Compute the section from a deal record."""
    dtx: DataTransaction | None = deal.data_transaction
    if dtx is None:
        spd = deal.target.sensitive_data
        holds: Tri = None
        if (
            spd is not None
            and spd.individuals_max_12_months is not None
            and spd.categories is not None
        ):
            holds = spd.individuals_max_12_months > 0 or bool(spd.categories)
        why = (
            "no data_transaction block in the deal; "
            + {
                True: "the target holds personal data, so part 202 may reach the deal",
                False: "the target holds no personal data",
                None: "whether the target holds personal data is unknown",
            }[holds]
        )
        return built(DataFacts, recorded=None if holds is not False else False), {
            "data.recorded": why
        }
    concern = set(references.values("dsp_countries_of_concern", as_of)) or set(
        references.values("dsp_countries_of_concern")
    )
    d: dict[str, str] = {}
    cp_notes: list[str] = []
    covered = _covered_person(deal, dtx, concern, cp_notes)
    d["data.counterparty_covered_person"] = "; ".join(cp_notes) or "no prong of 202.211 settled"
    inv = deal.investor
    if inv.kind == PartyKind.individual:
        foreign: Tri = not3(dtx.counterparty_in_us)
    else:
        foreign = None if inv.country is None else inv.country != "US"
    r = deal.rights
    beyond = or3(
        [
            None if r.board_seats is None else r.board_seats > 0,
            r.board_observer,
            r.board_nomination_right,
            r.mnpti_access,
            None if r.involvement is None else bool(r.involvement),
            None if r.control_matters is None else bool(r.control_matters),
            # A stipulated control conclusion goes beyond the standard minority protections
            # (review J; an older rulebook reads the rights above only).
            r.control is True and applies(REVIEW_J),
        ]
    )
    bulk_notes: list[str] = []
    bulk, bulk_cats, bulk_omic = _bulk(dtx, references, as_of, bulk_notes)
    d["data.bulk"] = "; ".join(bulk_notes) or "dataset counts unknown"
    kinds = INVESTMENT_KINDS if applies(REVIEW_J) else INVESTMENT_KINDS_BEFORE_J
    investment = or3([deal.kind in kinds, _agreement(dtx, DataAgreement.investment)])
    return (
        built(
            DataFacts,
            recorded=True,
            counterparty_covered_person=covered,
            counterparty_foreign_person=foreign,
            access=dtx.counterparty_access,
            brokerage=_agreement(dtx, DataAgreement.data_brokerage),
            vendor=_agreement(dtx, DataAgreement.vendor),
            employment=_agreement(dtx, DataAgreement.employment),
            investment=investment,
            passive_security=dtx.interest_passive_security,
            counterparty_interest_pct=holding(r.voting_pct, r.equity_pct),
            beyond_minority_protections=beyond,
            bulk=bulk,
            bulk_categories=bulk_cats,
            bulk_omic=bulk_omic,
            biospecimens=dtx.biospecimens,
            government_related=dtx.government_related,
            cisa_compliant=dtx.cisa_compliant,
            onward_transfer_safeguards=dtx.onward_transfer_safeguards,
            structured_to_evade=dtx.structured_to_evade,
            official_business=dtx.official_business,
            cfius_action=dtx.cfius_action,
        ),
        d,
    )
