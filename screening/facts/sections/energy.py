"""Fact-view section `energy`: clean-energy credits (prohibited foreign entity rules, OBBBA).

The claimant is the deal's target; the counterparty is the investor. Whether the investor is a
specified foreign entity (SFE, IRC 7701(a)(51)(B)) is derived from its lists, the
``ndaa_154_battery_entities`` names and the ``covered_nations_4872d`` countries through its
ownership chains; the foreign-influenced-entity (FIE) tests compare the deal with
``feoc_fie_thresholds``; material assistance compares the cost ratio with ``macr_thresholds``.
Changing a table changes the facts, and so the rules.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from screening.facts.gates import REVIEW_K, REVIEW_L, applies
from screening.facts.sections._chains import (
    caught_entity,
    fmt,
    full_count_share,
    holding,
    meets,
    unlisted_max,
)
from screening.facts.sections.base import (
    HUNDRED,
    Section,
    Tri,
    and3,
    anniversary,
    built,
    fact,
    field_or_none,
    or3,
)
from screening.model.deal import Owner, Party, PartyKind, RestrictedList
from screening.model.ext.energy import EnergyCredit
from screening.model.numbers import Num, add, cap, ge, gt, lt, make, pct_bounds
from screening.model.reference import References

PFE_START = dt.date(2025, 7, 4)  # taxable years beginning after this date (OBBBA)
MACR_START = 2026  # first year of the material-assistance tables
SFE_LISTS = {RestrictedList.ofac_sdn, RestrictedList.dod_1260h, RestrictedList.uflpa_entity_list}
# Kinds whose interest in the claimant is held on past the deal's own taxable year (review K).
HELD_INTERESTS = ("equity_stake", "acquisition", "joint_venture", "greenfield")
ZERO = Decimal(0)
FIFTY = Decimal(50)
ENERGY_NAICS = ("2211", "33591", "334413", "2122", "3314")


class EnergyFacts(Section):
    """Facts the `energy` rules read."""

    recorded: bool | None = fact(
        "the deal records the credits at stake"  # unknown: none recorded, energy business
    )
    credits: list[str] | None = fact("credits the claimant claims")
    pfe_year: bool | None = fact("the claimant's taxable year begins after July 4, 2025")
    pfe_years_reached: bool | None = fact(
        "the deal's stake, debt or contract lasts into a taxable year of the claimant beginning "
        "after July 4, 2025"
    )
    transfer_year_pfe: bool | None = fact(
        "a credit transferred to the investor is for a taxable year of the claimant beginning "
        "after July 4, 2025 (IRC 6418(g)(5))"
    )
    counterparty_sfe: bool | None = fact("the counterparty is a specified foreign entity")
    counterparty_fie: bool | None = fact("the counterparty is a foreign-influenced entity")
    counterparty_pfe: bool | None = fact(
        "the counterparty is a prohibited foreign entity (a specified or foreign-influenced entity)"
    )
    status_date: dt.date | None = fact("date on which PFE status is tested (7701(a)(51)(A)(ii))")
    counterparty_stake_pct: Num | None = fact("counterparty's stake in the claimant", "%")
    aggregate_sfe_pct: Num | None = fact(
        "stake of all specified foreign entities in the claimant", "%"
    )
    single_sfe_test: bool | None = fact(
        "a single specified foreign entity meets the FIE ownership threshold"
    )
    single_sfe_threshold_pct: Decimal | None = fact("FIE single-owner threshold", "%")
    aggregate_sfe_test: bool | None = fact(
        "specified foreign entities together meet the FIE ownership threshold"
    )
    aggregate_sfe_threshold_pct: Decimal | None = fact("FIE aggregate-ownership threshold", "%")
    sfe_debt_pct: Num | None = fact(
        "share of the claimant's debt issued to specified foreign entities", "%"
    )
    sfe_debt_test: bool | None = fact("the FIE debt threshold is met")
    sfe_debt_threshold_pct: Decimal | None = fact("FIE debt threshold", "%")
    claimant_foreign_controlled: bool | None = fact(
        "the claimant becomes a foreign-controlled entity (covered nations hold >50%)"
    )
    sfe_can_appoint_officer: bool | None = fact(
        "a specified foreign entity can appoint a covered officer"
    )
    effective_control_payment: bool | None = fact(
        "payments to an SFE under a contract or licence giving it effective control"
    )
    supplies_claimant: bool | None = fact("the counterparty supplies or licenses to the claimant")
    macr_pct: Num | None = fact("material assistance cost ratio", "%")
    macr_threshold_pct: Decimal | None = fact(
        "material assistance threshold for the category and year", "%"
    )
    macr_threshold_confidence: str | None = fact("confidence of that threshold (src or mem)")
    macr_below_threshold: bool | None = fact("the cost ratio is below the threshold")


_YES_NO: dict[bool | None, str] = {True: "yes", False: "no", None: "unknown"}


def _direct(nations: set[str]) -> Any:
    def test(owner: Owner) -> Tri:
        if owner.kind != PartyKind.individual and SFE_LISTS & set(owner.lists or []):
            return True
        if owner.country is None:
            return None
        if owner.country in nations:
            return True
        return None if owner.lists is None and owner.kind != PartyKind.individual else False

    return test


def _direct_k(nations: set[str]) -> Any:
    """Review K's test of one holder (gates.REVIEW_K), IRC 7701(a)(51)(C)(iii)-(iv) [reg].

    An individual: a citizen or national of a covered nation (any recorded nationality), or on
    an SFE list, unless a U.S. citizen or national. An entity: organized in, or with its
    principal place of business in, a covered nation (the place of business is read when
    recorded; when it is not, the country of organization decides, as before).
    """

    def test(owner: Owner) -> Tri:
        if owner.kind != PartyKind.individual and SFE_LISTS & set(owner.lists or []):
            return True
        if owner.kind == PartyKind.individual:
            nats = owner.nationalities or ([owner.country] if owner.country else None)
            if nats is not None and "US" in nats:
                return False
            if SFE_LISTS & set(owner.lists or []):
                return True  # a listed natural person is a "foreign entity" (15 U.S.C. 4651(6))
            if nats is None:
                return None
            return any(n in nations for n in nats)
        ppb = owner.principal_place_of_business
        if ppb is not None and ppb in nations:
            return True
        if owner.country is None:
            return None
        if owner.country in nations:
            return True
        return None if owner.lists is None else False

    return test


def _direct_l(nations: set[str]) -> Any:
    """Review L's test of one holder (gates.REVIEW_L): review K's, except that an entity not
    organized in a covered nation whose principal place of business is not recorded is unknown,
    not cleared - IRC 7701(a)(51)(C)(iv) [reg] reaches an entity "incorporated or organized under
    the laws of, or having its principal place of business in, a covered nation", so
    organization outside one does not answer the second limb. A government is judged by its
    country ((C)(i)-(ii)).
    """
    k_test = _direct_k(nations)

    def test(owner: Owner) -> Tri:
        found: Tri = k_test(owner)
        if found is not False or owner.kind in (PartyKind.individual, PartyKind.government):
            return found
        return None if owner.principal_place_of_business is None else False

    return test


def _named(name: str, names: list[str]) -> bool:
    """Whether one of ``names`` is a whole word or phrase of ``name`` (case ignored): one
    search of a pattern made once per list of names (a search for any alternative finds a
    match exactly when one alternative alone does)."""
    if not names:
        return False
    key = tuple(names)
    pattern = _NAMED.get(key)
    if pattern is None:
        if len(_NAMED) >= 64:  # one list per rulebook and date: bounded all the same
            _NAMED.clear()
        pattern = _NAMED[key] = re.compile(
            "|".join(rf"\b{re.escape(n)}\b" for n in names), re.IGNORECASE
        )
    return pattern.search(name) is not None


_NAMED: dict[tuple[str, ...], re.Pattern[str]] = {}


def _chain_names(owners: list[Owner] | None) -> list[str]:
    out: list[str] = []
    for o in owners or []:
        out.append(o.name)
        out.extend(_chain_names(o.owners))
    return out


def _party_sfe(
    inv: Party,
    nations: set[str],
    names: list[str],
    notes: list[str],
    direct: Any,
    who: str,
) -> Tri:
    status = _sfe_by_record(inv, nations, names, notes, direct, who)
    if status is False and inv.lists is None:
        notes.append(f"the {who}'s restricted-list memberships are not known")
        return None
    return status


def _sfe_by_record(
    inv: Party,
    nations: set[str],
    names: list[str],
    notes: list[str],
    direct: Any,
    who: str,
) -> Tri:
    listed = SFE_LISTS & set(inv.lists or [])
    if listed:
        notes.append("on " + ", ".join(sorted(str(x) for x in listed)))
        return True
    hits = [n for n in [inv.name, *_chain_names(inv.owners)] if _named(n, names)]
    if hits:
        notes.append(
            f"named in FY2024 NDAA s.154(b) (or owned by one so named): {hits[0]} [mem list]"
        )
        return True
    if inv.kind == PartyKind.government:
        return None if inv.country is None else inv.country in nations
    if inv.kind == PartyKind.individual:
        nats = inv.nationalities or ([inv.country] if inv.country else None)
        if nats is None:
            return None
        if "US" in nats:
            return False
        return any(n in nations for n in nats)
    organized: Tri = None if inv.country is None else inv.country in nations
    ppb = inv.principal_place_of_business
    place: Tri = None if ppb is None else ppb in nations
    if organized or place:
        notes.append(f"foreign-controlled entity: organized in {inv.country}, based in {ppb}")
        return True
    bounds = full_count_share(
        inv.owners,
        direct,
        Decimal(50),
        strict=True,
        complete=inv.owners_complete,
    )
    notes.append(
        f"covered-nation persons hold {fmt(bounds[0])}%"
        + ("" if bounds[0] == bounds[1] else f" to {fmt(bounds[1])}%")
        + f" of the {who}"
    )
    return or3([organized, place, meets(bounds, Decimal(50), strict=True)])


def _threshold(references: References, name: str, as_of: dt.date) -> Decimal | None:
    table = references.get("feoc_fie_thresholds")
    entry = table.get(name) if table else None
    if entry is None:
        return None
    return Decimal(str(entry.attributes["threshold_pct"]))


def _macr(references: References, ec: EnergyCredit) -> tuple[Decimal | None, str | None]:
    table = references.get("macr_thresholds")
    if table is None or ec.macr_category is None or ec.macr_year is None:
        return None, None
    rows = [
        e
        for e in table.entries
        if e.attributes.get("category") == str(ec.macr_category)
        and int(e.attributes["year"]) <= ec.macr_year
    ]
    if not rows:
        return None, None
    row = max(rows, key=lambda e: int(e.attributes["year"]))
    return Decimal(str(row.attributes["threshold_pct"])), str(
        row.attributes.get("confidence", "mem")
    )


def _ge(value: Num | None, threshold: Decimal | None) -> Tri:
    return None if threshold is None else ge(value, threshold)


def _counterparty_fie(
    deal: Any,
    ec: EnergyCredit,
    single_t: Decimal | None,
    agg_t: Decimal | None,
    notes: list[str],
    direct: Any,
) -> Tri:
    """IRC 7701(a)(51)(D) for the counterparty itself (a supplier too): SFE owners, or recorded.

    Ownership prongs from the recorded owners (a single SFE at the single-owner threshold, SFEs
    together at the aggregate threshold; [src] thresholds); the debt, covered-officer and
    effective-control prongs are not recorded for a counterparty, so without a recorded
    determination (energy.counterparty_fie) the answer is never false.
    """
    if ec.counterparty_fie is not None:
        notes.append("as the deal records it")
        return ec.counterparty_fie
    owners = deal.investor.owners
    single: Tri = None
    if single_t is not None and owners is not None:
        single = or3(
            and3(
                [
                    caught_entity(o, direct, Decimal(50), strict=True),
                    _ge(holding(o.voting_pct, o.equity_pct), single_t),
                ]
            )
            for o in owners
        )
    aggregate: Tri = None
    if agg_t is not None:
        aggregate = meets(
            full_count_share(owners, direct, Decimal(50), strict=True), agg_t, strict=False
        )
    said = (_YES_NO[single], _YES_NO[aggregate]) if applies(REVIEW_L) else (single, aggregate)
    notes.append(
        f"single SFE holder at {single_t}%: {said[0]}; SFEs together at {agg_t}%: {said[1]}; "
        "debt, covered-officer and effective-control prongs not recorded for the counterparty"
    )
    return True if (single or aggregate) else None


def _first_pfe_year(begins: dt.date) -> dt.date:
    """The first taxable year beginning after July 4, 2025, counted from one that begins on
    ``begins`` (that year itself when it does)."""
    while begins <= PFE_START:
        begins = anniversary(begins, 1)
    return begins


def _pfe_years_reached(deal: Any, year_begins: dt.date) -> tuple[Tri, str]:
    """Whether the deal's tie lasts into a taxable year beginning after July 4, 2025 (review K).

    45Y(g)(13)(A), 48E(d)(6)(A), 45X(d)(4)(A) deny the credit for any such taxable year in which
    the claimant is an SFE or FIE, tested on its last day (7701(a)(51)(A)(ii)) [reg]: a stake,
    loan or contract made earlier counts for every such year it still stands in.
    """
    if year_begins > PFE_START:
        return True, f"the taxable year of the deal begins {year_begins}, after July 4, 2025"
    first = _first_pfe_year(year_begins)
    lead = (
        f"the taxable year of the deal begins {year_begins}; the first taxable year beginning "
        f"after July 4, 2025 begins {first}: "
    )
    if deal.kind in HELD_INTERESTS:
        return True, lead + "the interest the deal gives is held into it (no disposal recorded)"
    start = deal.completion_date or deal.signing_date
    term = field_or_none(deal, "term_years")
    if deal.kind == "supply_partnership" and term is not None and start is not None:
        end = anniversary(start, term)
        return end > first, lead + f"the {term}-year term from {start} ends {end}"
    return None, lead + "whether the deal's debt or contract still stands then is not recorded"


def _transfer_year(year_begins: dt.date, reached: Tri) -> tuple[Tri, str]:
    """Whether a credit transferred under the deal is for a taxable year beginning after July 4,
    2025 (review L).

    6418(g)(5) bars a transfer of the credit to a specified foreign entity; s.70512(l)(1) applies
    it to taxable years beginning after the date of enactment [reg], and the election transfers
    a credit "determined with respect to such taxpayer for any taxable year" (6418(a)) [src], so
    the year is the claimant's year the credit is determined for. The record says the credit is
    sold, not for which year: a deal in a taxable year beginning after July 4, 2025 sells such a
    year's credit; one in an earlier year may sell that year's credit (no bar) or a later one's.
    """
    if year_begins > PFE_START:
        return True, (
            f"the taxable year of the deal begins {year_begins}, after July 4, 2025: a credit it "
            "transfers is for such a year"
        )
    if reached is False:
        return False, (
            f"the taxable year of the deal begins {year_begins}, and the deal does not last into "
            "a taxable year beginning after July 4, 2025"
        )
    return None, (
        f"the taxable year of the deal begins {year_begins} (6418(g)(5) does not apply to it): "
        "the record does not say whether a credit of a taxable year beginning after July 4, 2025 "
        "is also transferred"
    )


Holder = tuple[str, Decimal, Decimal, Tri]  # who, share of the claimant (low, high), is an SFE


def _other_sfe_holders(
    deal: Any,
    nations: set[str],
    names: list[str],
    stake: Num | None,
    investor_sfe: Tri,
    direct: Any,
    chain: list[Holder] | None = None,
) -> tuple[list[Holder], list[Holder], list[str], bool]:
    """Other holders of the claimant that may be SFEs (review K, gates.REVIEW_K).

    Co-investors hold their own stakes (first list). The investor's owners, when the investor is
    not itself an SFE, own part of its stake by attribution (7701(a)(51)(H) -> 318(a)(2) [reg];
    second list): proportionately through a fund (a partnership, 318(a)(2)(A)); through a
    company only for an owner of 50% or more (318(a)(2)(C)) [src]. One level of attribution.
    Last: an SFE co-investor takes a board seat in the deal (a covered officer it appoints,
    (D)(i)(I)(aa), (F)(i)).
    """
    holders: list[Holder] = []
    attributed: list[Holder] = []
    notes: list[str] = []
    officer = False
    for co in deal.co_investors:
        co_notes: list[str] = []
        sfe = _party_sfe(co.party, nations, names, co_notes, direct, "co-investor")
        equity = None if co.rights is None else co.rights.equity_pct
        pct = holding(co.voting, equity)
        lo, hi = (ZERO, HUNDRED) if pct is None else pct_bounds(pct)
        holders.append((f"co-investor {co.party.name}", lo, hi, sfe))
        seats = None if co.rights is None else co.rights.board_seats
        officer = officer or (sfe is True and seats is not None and seats > 0)
        notes.append(
            f"co-investor {co.party.name} ({'unknown' if pct is None else fmt(pct) + '%'}): "
            f"SFE {_YES_NO[sfe]}"
        )
        p = co.party
        if chain is not None and p.kind in ATTRIBUTING and p.owners is not None:
            # review L: the co-investor's owners own part of its stake (318(a)(2)); their rows
            # serve the single-owner test, summed by holder with what they own on other paths.
            _attribute(
                p.name, p.kind, p.owners, p.owners_complete, lo, hi, direct, attributed, notes
            )
    inv = deal.investor
    if chain is None and (investor_sfe is True or stake is None):
        return holders, attributed, notes, officer
    if inv.owners is None or inv.kind not in ATTRIBUTING:
        return holders, attributed, notes, officer
    # review L: an unknown stake spans 0-100%, so what SFEs own through it stays unknown
    s_lo, s_hi = (ZERO, HUNDRED) if stake is None else pct_bounds(stake)
    if chain is not None:  # review L: every level of the chain (gates.REVIEW_L)
        bounds = _attribute(
            inv.name,
            inv.kind,
            inv.owners,
            inv.owners_complete,
            s_lo,
            s_hi,
            direct,
            attributed,
            notes,
        )
        # An SFE investor's owners own part of the same stock: for the aggregate it counts once
        # (as the investor's); the rows still serve the single-owner test, summed by holder.
        if investor_sfe is not True:
            chain.append(("SFE holders by attribution", bounds[0], bounds[1], None))
        return holders, attributed, notes, officer
    partnership = inv.kind == PartyKind.fund
    rows: list[tuple[str, Decimal, Decimal, Tri]] = []
    for o in inv.owners:
        pct = holding(o.voting_pct, o.equity_pct)
        lo, hi = (ZERO, HUNDRED) if pct is None else pct_bounds(pct)
        rows.append((o.name, lo, hi, caught_entity(o, direct, FIFTY, strict=True)))
    rest = unlisted_max(inv.owners, inv.owners_complete)
    if rest > 0:
        rows.append(("holders not listed", ZERO, rest, None))
    for name, lo, hi, sfe in rows:
        if sfe is False:
            continue
        if not partnership:  # 318(a)(2)(C): only a 50%-or-more shareholder
            if hi < FIFTY:
                continue
            if lo < FIFTY:
                lo = ZERO
        a_lo, a_hi = lo * s_lo / HUNDRED, hi * s_hi / HUNDRED
        attributed.append((f"{name} through {inv.name}", a_lo, a_hi, sfe))
        notes.append(
            f"{name} owns {fmt(a_lo)}%"
            + ("" if a_lo == a_hi else f" to {fmt(a_hi)}%")
            + f" of the claimant through {inv.name} (318(a)(2)"
            + ("(A), a fund" if partnership else "(C)")
            + f"): SFE {_YES_NO[sfe]}"
        )
    return holders, attributed, notes, officer


ATTRIBUTING = (PartyKind.fund, PartyKind.company, PartyKind.state_owned_enterprise)


def _attribute(
    via: str,
    kind: PartyKind,
    owners: list[Owner],
    complete: bool,
    s_lo: Decimal,
    s_hi: Decimal,
    direct: Any,
    rows: list[Holder],
    notes: list[str],
) -> tuple[Decimal, Decimal]:
    """What the owners of ``via`` (holding ``s_lo``-``s_hi`` % of the claimant) own of it by
    attribution, up every recorded level of the chain (review L, gates.REVIEW_L).

    7701(a)(51)(H) applies 318(a)(2) [reg]: a partnership's holding is owned proportionately by
    its partners (318(a)(2)(A)); a corporation's by a holder of 50% or more in value, in
    proportion (318(a)(2)(C)) [src: 26 U.S.C. 318 as codified]; and stock so owned is treated as
    actually owned for applying 318(a)(2) again (318(a)(5)(A); 26 CFR 1.318-4(a)) [src], so an
    owner's owners own part of it in turn. A `fund` is a partnership, a `company` or state-owned
    enterprise a corporation. Appends one row per holder that may be an SFE (its share and SFE
    status) to ``rows`` and returns bounds of the share SFEs own through ``via`` together: an SFE
    counts with its whole share (its own owners own the same stock); a holder whose status is
    unknown may own its whole share; the owners of every holder are looked at in turn (an SFE's
    only for the rows, which serve the single-owner test). A figure left unknown spans 0-100%,
    so it leaves the result unknown where it matters.
    """
    partnership = kind == PartyKind.fund
    low, high = ZERO, ZERO
    entries: list[tuple[Owner | None, str, Decimal, Decimal]] = []
    for held in owners:
        pct = holding(held.voting_pct, held.equity_pct)
        lo, hi = (ZERO, HUNDRED) if pct is None else pct_bounds(pct)
        entries.append((held, held.name, lo, hi))
    rest = unlisted_max(owners, complete)
    if rest > 0:
        entries.append((None, f"holders of {via} not listed", ZERO, rest))
    for o, name, lo, hi in entries:
        if not partnership:  # 318(a)(2)(C): only a holder of 50% or more
            if hi < FIFTY:
                continue
            if lo < FIFTY:
                lo = ZERO
        a_lo, a_hi = lo * s_lo / HUNDRED, hi * s_hi / HUNDRED
        if a_hi == 0:
            continue
        sfe = None if o is None else caught_entity(o, direct, FIFTY, strict=True)
        if sfe is not False:
            rows.append((name, a_lo, a_hi, sfe))
            notes.append(
                f"{name} owns {fmt(a_lo)}%"
                + ("" if a_lo == a_hi else f" to {fmt(a_hi)}%")
                + f" of the claimant through {via} (318(a)(2)"
                + ("(A), a fund" if partnership else "(C)")
                + f"): SFE {_YES_NO[sfe]}"
            )
        up_lo, up_hi = ZERO, ZERO
        # An SFE holder's own owners own part of its share in turn: their rows serve the
        # single-owner test (a common parent of two SFE holders owns both shares, summed by
        # _by_holder); the aggregate already counts the SFE's whole share (its bounds unused).
        if o is not None and o.kind in ATTRIBUTING and o.owners is not None:
            up_lo, up_hi = _attribute(
                f"{o.name} ({via})",
                o.kind,
                o.owners,
                o.owners_complete,
                a_lo,
                a_hi,
                direct,
                rows,
                notes,
            )
        if sfe is True:
            low, high = low + a_lo, high + a_hi
        elif sfe is None:
            low, high = low + up_lo, high + a_hi
        else:
            low, high = low + up_lo, high + up_hi
    return min(low, HUNDRED), min(high, HUNDRED)


def _by_holder(holders: list[Holder]) -> list[Holder]:
    """One row per holder named more than once (a person owning through several paths owns the
    sum: 318(a) counts stock owned "directly or indirectly"); names compared without case."""
    merged: dict[str, Holder] = {}
    for who, lo, hi, sfe in holders:
        key = re.sub(r"^co-investor ", "", who).casefold()
        if key in merged:
            _, m_lo, m_hi, m_sfe = merged[key]
            merged[key] = (who, m_lo + lo, m_hi + hi, or3([m_sfe, sfe]))
        else:
            merged[key] = (who, lo, hi, sfe)
    return list(merged.values())


def _holder_meets(holders: list[Holder], threshold: Decimal | None) -> Tri:
    """Whether one SFE holder holds at least ``threshold`` of the claimant."""
    if threshold is None:
        return None
    return or3(
        (True if sfe is True and lo >= threshold else None)
        if hi >= threshold and sfe is not False
        else False
        for _, lo, hi, sfe in holders
    )


def _status_date(year_begins: dt.date) -> tuple[dt.date, str]:
    """7701(a)(51)(A)(ii): PFE status on the last day of the taxable year, except the first."""
    try:
        last = year_begins.replace(year=year_begins.year + 1) - dt.timedelta(days=1)
    except ValueError:  # a year beginning on Feb. 29
        last = dt.date(year_begins.year + 1, 2, 28)
    first_after = PFE_START + dt.timedelta(days=1)
    if first_after <= year_begins < first_after.replace(year=first_after.year + 1):
        return year_begins, (
            f"the first taxable year beginning after July 4, 2025 ({year_begins}): SFE list "
            "prongs (i)-(iv) are tested on its first day, other prongs on its last day "
            f"({last}) (IRC 7701(a)(51)(A)(ii)(II) [src]); the record's facts are taken to hold "
            "on both dates"
        )
    return last, (
        f"PFE status is tested on the last day of the taxable year, {last} (IRC "
        "7701(a)(51)(A)(ii)(I) [src]); the record's facts are taken to hold on that date"
    )


def derive(deal: Any, references: References, as_of: dt.date) -> tuple[EnergyFacts, dict[str, str]]:
    """Compute the section from a deal record."""
    ec: EnergyCredit | None = deal.energy
    if ec is None:
        naics = deal.target.naics
        hint: Tri = None if naics is None else naics.startswith(ENERGY_NAICS)
        return built(EnergyFacts, recorded=None if hint is not False else False), {
            "energy.recorded": "no energy block in the deal; "
            + {
                True: f"NAICS {naics} is an energy or battery business",
                False: f"NAICS {naics}",
                None: "the target's NAICS code is unknown",
            }[hint]
        }
    d: dict[str, str] = {}
    nations = set(references.values("covered_nations_4872d"))
    names = references.values("ndaa_154_battery_entities")
    notes: list[str] = []
    review_k = applies(REVIEW_K)
    review_l = review_k and applies(REVIEW_L)
    direct = (
        _direct_l(nations) if review_l else _direct_k(nations) if review_k else _direct(nations)
    )
    sfe = _party_sfe(deal.investor, nations, names, notes, direct, "investor")
    d["energy.counterparty_sfe"] = "; ".join(notes) or "no SFE prong settled"
    r = deal.rights
    stake = holding(r.voting_pct, r.equity_pct)
    if deal.kind == "lending" and stake is None:
        stake = Decimal(0)
    single_t = _threshold(references, "single_sfe_ownership", as_of)
    agg_t = _threshold(references, "aggregate_sfe_ownership", as_of)
    debt_t = _threshold(references, "sfe_debt", as_of)
    ctrl_t = _threshold(references, "foreign_controlled", as_of) or Decimal(50)
    inv_sfe_stake: Num | None = None
    if sfe is False:
        inv_sfe_stake = Decimal(0)
    elif sfe is True:
        inv_sfe_stake = stake
    co_holders: list[Holder] = []
    attributed: list[Holder] = []
    holder_notes: list[str] = []
    co_officer = False
    chain: list[Holder] | None = [] if review_l else None
    if review_k:
        co_holders, attributed, holder_notes, co_officer = _other_sfe_holders(
            deal, nations, names, stake, sfe, direct, chain
        )
    holders = co_holders + attributed
    # SFE holdings certainly held. The recorded `other_sfe_ownership_pct` (holders other than
    # the investor) includes SFE co-investors, so the larger of the two counts, never their sum;
    # what SFEs own through the investor by attribution is part of its stake, so it is added.
    co_lo = sum((lo for _, lo, _, s_ in co_holders if s_ is True), ZERO)
    attr_lo = sum((lo for _, lo, _, s_ in attributed if s_ is True), ZERO)
    extra_lo = co_lo + attr_lo
    other: Num | None = ec.other_sfe_ownership_pct
    if other is not None and co_lo > pct_bounds(other)[0]:
        other = co_lo
    if chain is not None:  # review L: bounds of what SFEs own through the investor, every level
        attr_lo, attr_hi = (chain[0][1], chain[0][2]) if chain else (ZERO, ZERO)
        extra_lo = co_lo + attr_lo
        if other is not None and attr_hi > 0:
            other = add(other, make(attr_lo, attr_hi))
    elif other is not None and attr_lo > 0:
        other = add(other, attr_lo)
    aggregate: Num | None = None
    if inv_sfe_stake is not None and other is not None:
        aggregate = cap(add(inv_sfe_stake, other), Decimal(100))
    single = or3([_ge(inv_sfe_stake, single_t), _ge(ec.largest_other_sfe_pct, single_t)])
    d["energy.single_sfe_test"] = (
        f"investor's SFE stake {'unknown' if inv_sfe_stake is None else fmt(inv_sfe_stake) + '%'}"
        ", largest other SFE stake "
        + ("unknown" if ec.largest_other_sfe_pct is None else f"{fmt(ec.largest_other_sfe_pct)}%")
        + f"; threshold {single_t}%"
    )
    if holders:
        single = or3(
            [single, _holder_meets(_by_holder(holders) if review_l else holders, single_t)]
        )
        d["energy.single_sfe_test"] += "; other holders (IRC 7701(a)(51)(H)): " + "; ".join(
            holder_notes
        )
    officer = or3(
        [
            ec.sfe_can_appoint_officer,
            and3([sfe, None if r.board_seats is None else r.board_seats > 0]),
            co_officer,
        ]
    )
    controlled = or3(
        [
            gt(inv_sfe_stake, ctrl_t),
            gt(aggregate, ctrl_t),
        ]
    )
    if aggregate is None and gt(inv_sfe_stake, ctrl_t):
        controlled = True
    # A lower bound of the SFE-held share when the aggregate itself is not known.
    floor_pct = (
        (pct_bounds(inv_sfe_stake)[0] if inv_sfe_stake is not None else ZERO) + extra_lo
        if holders
        else None
    )
    if aggregate is None and floor_pct is not None and floor_pct > ctrl_t:
        controlled = True
    if aggregate is not None:
        aggregate_test = _ge(aggregate, agg_t)
    elif _ge(inv_sfe_stake, agg_t) or (
        floor_pct is not None and agg_t is not None and floor_pct >= agg_t
    ):
        aggregate_test = True
    else:
        aggregate_test = None
    fie_notes: list[str] = []
    fie = _counterparty_fie(deal, ec, single_t, agg_t, fie_notes, direct)
    d["energy.counterparty_fie"] = "; ".join(fie_notes)
    pfe = or3([sfe, fie])
    d["energy.counterparty_pfe"] = (
        "a prohibited foreign entity is a specified foreign entity or a foreign-influenced "
        f"entity (IRC 7701(a)(51)(A)(i) [src]): SFE {_YES_NO[sfe]}, FIE {_YES_NO[fie]}"
    )
    threshold, confidence = _macr(references, ec)
    below = None if threshold is None else lt(ec.macr_pct, threshold)
    if ec.macr_year is not None and ec.macr_year < MACR_START:
        below = False
        d["energy.macr_below_threshold"] = (
            f"{ec.macr_year} is before {MACR_START}: no material-assistance test (construction "
            "beginning after Dec. 31, 2025; 45X components sold in taxable years after enactment)"
        )
    if threshold is not None:
        d["energy.macr_threshold_pct"] = (
            f"{ec.macr_category} in {ec.macr_year}: {fmt(threshold)}% ({confidence})"
        )
    year = ec.taxable_year_begins
    if year is None:
        year = dt.date(as_of.year, 1, 1)
        d["energy.pfe_year"] = f"taxable year not recorded: a calendar year is assumed ({year})"
    supplies = deal.kind == "supply_partnership"
    terms = field_or_none(deal, "supply_terms")
    if review_k and terms is not None and terms.direction is not None:
        # The recorded direction decides: a lender or JV partner that also supplies the claimant
        # is a supplier; an investor that only buys the claimant's output is not (K, 7701(a)(52)).
        supplies = str(terms.direction) == "investor_supplies"
    reached, reached_note = _pfe_years_reached(deal, year)
    transfer_pfe, d["energy.transfer_year_pfe"] = _transfer_year(year, reached)
    if review_k:  # shown only to the rulebooks that read it (replay of older screenings)
        d["energy.pfe_years_reached"] = reached_note
    # the year tested is the first one the PFE rules reach (K1)
    tested = _first_pfe_year(year) if review_k else year
    status_date, status_note = _status_date(tested)
    d["energy.status_date"] = status_note
    return (
        EnergyFacts(
            recorded=True,
            credits=None if ec.credits is None else sorted(str(c) for c in ec.credits),
            pfe_year=year > PFE_START,
            pfe_years_reached=reached,
            transfer_year_pfe=transfer_pfe,
            counterparty_sfe=sfe,
            counterparty_fie=fie,
            counterparty_pfe=pfe,
            status_date=status_date,
            counterparty_stake_pct=stake,
            aggregate_sfe_pct=aggregate,
            single_sfe_test=single,
            single_sfe_threshold_pct=single_t,
            aggregate_sfe_test=aggregate_test,
            aggregate_sfe_threshold_pct=agg_t,
            sfe_debt_pct=ec.sfe_debt_pct,
            sfe_debt_test=_ge(ec.sfe_debt_pct, debt_t),
            sfe_debt_threshold_pct=debt_t,
            claimant_foreign_controlled=controlled,
            sfe_can_appoint_officer=officer,
            effective_control_payment=ec.effective_control_payment,
            supplies_claimant=supplies,
            macr_pct=ec.macr_pct,
            macr_threshold_pct=threshold,
            macr_threshold_confidence=confidence,
            macr_below_threshold=below,
        ),
        d,
    )
