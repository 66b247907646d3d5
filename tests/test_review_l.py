"""Review L: the clean-energy leftovers review K named (docs/regimes/clean_energy.md, limits).

Each case failed (came out `clear` with no open question, or as a finding the law does not give)
before the fix. Sources: IRC 7701(a)(51)(C)(iv), (D)(i)(I)(bb)-(cc), (H) as enacted by Pub. L.
119-21 s.70512(c); s.70512(h) (6418(g)(5)) and (l)(1) [reg, enrolled H.R. 1]; 26 U.S.C.
318(a)(2)(A), (C) and (a)(5)(A), 26 CFR 1.318-4(a) [src, codified text].
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from screening.facts.derive import derive
from screening.facts.gates import REVIEW_K, REVIEW_L
from screening.model.deal import Deal
from tests.test_review_k import CN_COMPANY, SG_COMPANY, energy, owner, record

SG = {"country": "SG", "principal_place_of_business": "SG", "lists": []}
CN = {"country": "CN", "principal_place_of_business": "CN", "lists": []}


def fund(name: str, owners: list[dict[str, Any]]) -> dict[str, Any]:
    return owner(name, 100, kind="fund", owners=owners, **SG)


def partner(name: str, equity: Any, **fields: Any) -> dict[str, Any]:
    o = owner(name, 0, **fields)
    o["equity_pct"] = equity
    return o


def lp_fund(prc_equity: Any) -> dict[str, Any]:
    """A Singapore fund whose PRC limited partner holds ``prc_equity`` of its capital."""
    prc = partner("Shenzhen Capital Co.", prc_equity, **CN)
    gp = owner("Lion GP Pte. Ltd.", 100, **SG)
    gp["equity_pct"] = 1
    rest = 99 - prc_equity if isinstance(prc_equity, int) else 99 - prc_equity["max"]
    others = partner("Straits Pension Pte. Ltd.", rest, **SG)
    return fund("Lion Growth Fund LP", [prc, gp, others])


# 1 - 318(a)(5)(A): stock attributed to a person under 318(a)(2) is treated as actually owned by
# it for applying 318(a)(2) again, so an SFE two or more levels up owns its proportion.


def test_l1_prc_partner_of_the_fund_that_owns_the_investor(rulebook: Any) -> None:
    # Investor (a corporation) wholly owned by a fund: the fund owns 80% of the claimant
    # (318(a)(2)(C), 100% >= 50%); the fund's 40% PRC partner owns 40% of that, 32% >= 25%.
    investor = {**SG_COMPANY, "owners": [lp_fund(40)]}
    verdict, fired, _ = energy(record(investor=investor), rulebook)
    assert verdict == "filing_advised" and "energy.fie.single_owner" in fired


def test_l1_half_owner_two_corporations_up(rulebook: Any) -> None:
    # Investor takes 100%; Mid Holdings owns 60% of the investor, Shenzhen Parent 50% of Mid:
    # neither Mid nor the investor is foreign-controlled (not > 50%), but 100 x 60% x 50% = 30%.
    parent = owner("Shenzhen Parent Co.", 50, **CN)
    mid = owner("Mid Holdings Pte. Ltd.", 60, owners=[parent, owner("Tan Ltd.", 50, **SG)], **SG)
    investor = {**SG_COMPANY, "owners": [mid, owner("Lee Pte. Ltd.", 40, **SG)]}
    data = record(investor=investor, rights={"voting_pct": 100, "equity_pct": 100})
    verdict, fired, _ = energy(data, rulebook)
    assert verdict == "filing_advised" and "energy.fie.single_owner" in fired


def test_l1_minority_owner_two_corporations_up_owns_nothing(rulebook: Any) -> None:
    parent = owner("Shenzhen Parent Co.", 49, **CN)
    mid = owner("Mid Holdings Pte. Ltd.", 60, owners=[parent, owner("Tan Ltd.", 51, **SG)], **SG)
    investor = {**SG_COMPANY, "owners": [mid, owner("Lee Pte. Ltd.", 40, **SG)]}
    data = record(investor=investor, rights={"voting_pct": 100, "equity_pct": 100})
    verdict, fired, asked = energy(data, rulebook)  # 318(a)(2)(C): 49% < 50%, nothing passes
    assert (verdict, fired & {"energy.fie.single_owner"}) == ("clear", set())
    assert not asked & {"energy.fie.single_owner", "energy.fie.aggregate_owners"}


def test_l1_unknown_figure_up_the_chain_is_a_question(rulebook: Any) -> None:
    # The PRC partner holds 20-45% of the fund (not > 50%: the fund is no SFE) - 16-36% of the
    # claimant through it: the single-owner test is open, never false.
    investor = {**SG_COMPANY, "owners": [lp_fund({"min": 20, "max": 45})]}
    verdict, _, asked = energy(record(investor=investor), rulebook)
    assert verdict == "clear" and "energy.fie.single_owner" in asked


def test_l1_holders_of_unknown_status_leave_the_aggregate_open(rulebook: Any) -> None:
    # Two partners whose restricted lists are not known each own 24% of the claimant through the
    # fund (< 25% each, but 48% together could reach the 40% aggregate of (D)(i)(I)(cc)).
    a = partner("Alpha Ltd.", 24, country="KY", principal_place_of_business="KY", lists=None)
    b = partner("Beta Ltd.", 24, country="KY", principal_place_of_business="KY", lists=None)
    gp = partner("Lion GP Pte. Ltd.", 52, **SG)
    investor = {**SG_COMPANY, "name": "Lion Fund LP", "kind": "fund", "owners": [a, b, gp]}
    data = record(investor=investor, rights={"voting_pct": 100, "equity_pct": 100})
    verdict, _, asked = energy(data, rulebook)
    assert verdict == "clear" and "energy.fie.aggregate_owners" in asked


def test_l1_one_holder_on_two_paths_owns_the_sum(rulebook: Any) -> None:
    # The PRC company owns 20% through the fund (40% x 50%) and 10% as a co-investor: 30%.
    owners = lp_fund(40)["owners"]
    owners[0]["name"] = CN_COMPANY["name"]
    investor = {**SG_COMPANY, "name": "Lion Growth Fund LP", "kind": "fund", "owners": owners}
    co = [{"party": CN_COMPANY, "voting_pct": 10, "acquires_in_deal": False}]
    data = record(investor=investor, rights={"voting_pct": 50, "equity_pct": 50}, co_investors=co)
    verdict, fired, _ = energy(data, rulebook)
    assert verdict == "filing_advised" and "energy.fie.single_owner" in fired


def test_l1_parent_of_an_sfe_investor_that_also_co_invests_owns_the_sum(rulebook: Any) -> None:
    # The investor (an SFE: wholly owned by a PRC company) takes 20%; its parent holds 10% as a
    # co-investor and owns the investor's 20% by attribution (318(a)(2)(C)): 30% >= 25%.
    parent = owner(CN_COMPANY["name"], 100, **CN)
    investor = {**SG_COMPANY, "name": "Zhejiang Battery (Singapore) Pte. Ltd.", "owners": [parent]}
    co = [{"party": CN_COMPANY, "voting_pct": 10, "acquires_in_deal": False}]
    data = record(investor=investor, rights={"voting_pct": 20, "equity_pct": 20}, co_investors=co)
    verdict, fired, _ = energy(data, rulebook)
    assert verdict == "filing_advised" and "energy.fie.single_owner" in fired
    assert "energy.fie.aggregate_owners" not in fired  # 20% + 10%, the same stock counted once


def test_l1_unknown_stake_leaves_what_sfes_own_through_it_open(rulebook: Any) -> None:
    # The fund investor's PRC partner holds 40% of it; the fund's stake in the claimant is not
    # recorded: the partner owns 0-40% of the claimant (318(a)(2)(A)), which may reach 25%.
    investor = {**SG_COMPANY, "name": "Lion Growth Fund LP", "kind": "fund"}
    investor["owners"] = lp_fund(40)["owners"]
    data = record(investor=investor, rights={"voting_pct": None, "equity_pct": None})
    _verdict, fired, asked = energy(data, rulebook)
    assert "energy.fie.single_owner" not in fired
    assert {"energy.fie.single_owner", "energy.fie.aggregate_owners"} <= asked


def sub_of(parent: str, name: str, equity: Any) -> dict[str, Any]:
    """A Singapore holder wholly owned by the PRC company ``parent`` (itself an SFE, (C)(v))."""
    return partner(name, equity, **SG, owners=[owner(parent, 100, **CN)])


def test_l1_common_parent_of_two_sfe_partners_owns_both_shares(rulebook: Any) -> None:
    # The fund takes 100%; two of its partners, 15% each, are wholly owned by one PRC company:
    # each partner owns 15% (318(a)(2)(A)); the parent owns both (318(a)(5)(A), (a)(2)(C)): 30%.
    partners = [
        sub_of("Shenzhen Parent Co.", "Sub A Pte. Ltd.", 15),
        sub_of("Shenzhen Parent Co.", "Sub B Pte. Ltd.", 15),
        partner("Straits Pension Pte. Ltd.", 70, **SG),
    ]
    investor = {**SG_COMPANY, "name": "Lion Fund LP", "kind": "fund", "owners": partners}
    data = record(investor=investor, rights={"voting_pct": 100, "equity_pct": 100})
    verdict, fired, _ = energy(data, rulebook)
    assert verdict == "filing_advised" and "energy.fie.single_owner" in fired


def test_l1_common_parent_of_two_co_investors_owns_both_stakes(rulebook: Any) -> None:
    # Two co-investors take 15% each, both wholly owned by one PRC company: it owns 30% >= 25%.
    co = [
        {"party": {**SG_COMPANY, **sub_of("Shenzhen Parent Co.", n, 100)}, "voting_pct": 15}
        for n in ("Sub A Pte. Ltd.", "Sub B Pte. Ltd.")
    ]
    for c in co:
        c["party"].pop("voting_pct"), c["party"].pop("equity_pct")
    data = record(co_investors=co)
    verdict, fired, _ = energy(data, rulebook)
    assert verdict == "filing_advised" and "energy.fie.single_owner" in fired


# 2 - 7701(a)(51)(C)(iv): an entity "incorporated or organized under the laws of, or having its
# principal place of business in, a covered nation" - organization elsewhere does not settle it.


def test_l2_owner_with_unrecorded_place_of_business_is_an_open_question(rulebook: Any) -> None:
    bridge = owner("Pacific Bridge Holdings Ltd.", 60, country="VG", lists=[])
    investor = {**SG_COMPANY, "owners": [bridge, owner("Lee Pte. Ltd.", 40, **SG)]}
    data = record(investor=investor, rights={"voting_pct": 30, "equity_pct": 30})
    verdict, _, asked = energy(data, rulebook)  # if run from China: the investor is an FCE
    assert verdict == "clear" and "energy.fie.single_owner" in asked


@pytest.mark.parametrize(
    "case",
    ["place recorded", "stake too small to matter", "a government owner"],
)
def test_l2_facts_that_settle_it_stay_clear(case: str, rulebook: Any) -> None:
    if case == "place recorded":
        holder = owner("Pacific Bridge Holdings Ltd.", 60, country="VG", lists=[])
        holder["principal_place_of_business"] = "SG"
    elif case == "stake too small to matter":  # 10% of the investor: neither > 50% nor >= 50%
        holder = owner("Pacific Bridge Holdings Ltd.", 10, country="VG", lists=[])
    else:
        holder = owner("Government of Singapore", 60, kind="government", country="SG", lists=[])
    rest = owner("Lee Pte. Ltd.", 100 - holder["voting_pct"], **SG)
    data = record(investor={**SG_COMPANY, "owners": [holder, rest]}, rights={"voting_pct": 30})
    verdict, fired, asked = energy(data, rulebook)
    assert (verdict, fired & {"energy.fie.single_owner"}) == ("clear", set())
    assert not asked & {"energy.fie.single_owner", "energy.fie.aggregate_owners"}


# 3 - 6418(g)(5) applies to taxable years beginning after July 4, 2025 (s.70512(l)(1)): the sale
# of a 2025 year's credit is not barred; the record does not say which year's credit is sold.


def credit_sale(year: str, completion: str) -> dict[str, Any]:
    return record(
        investor=CN_COMPANY,
        completion_date=completion,
        rights={"voting_pct": 0, "equity_pct": 0},
        energy={"taxable_year_begins": year, "project": {"transfer_to_investor": True}},
    )


def test_l3_credit_sale_in_a_2025_taxable_year_is_a_question_not_a_finding(
    rulebook: Any,
) -> None:
    verdict, fired, asked = energy(credit_sale("2025-01-01", "2025-09-30"), rulebook)
    assert "energy.transfer.sfe_buyer" not in fired
    assert verdict == "clear" and "energy.transfer.sfe_buyer" in asked


def test_l3_credit_sale_in_a_2026_taxable_year_is_barred(rulebook: Any) -> None:
    verdict, fired, _ = energy(credit_sale("2026-01-01", "2026-03-31"), rulebook)
    assert verdict == "filing_advised" and "energy.transfer.sfe_buyer" in fired


# Replay: a rulebook that reads review K's marker but not review L's keeps K's meanings.


def test_a_review_k_rulebook_keeps_review_k_meanings(rulebook: Any) -> None:
    investor = {**SG_COMPANY, "owners": [lp_fund(40)]}
    deal = Deal.model_validate(record(investor=investor)).root
    refs, day = rulebook.references, dt.date(2026, 3, 31)
    k_only = derive(deal, refs, day, reads={REVIEW_K, "energy.single_sfe_test"})
    both = derive(deal, refs, day, reads={REVIEW_K, REVIEW_L, "energy.single_sfe_test"})
    assert REVIEW_L == "energy.transfer_year_pfe"
    assert (k_only.get("energy.single_sfe_test"), both.get("energy.single_sfe_test")) == (
        False,
        True,
    )
