"""Review K: under-calls in the clean-energy prohibited-foreign-entity rules (IRC 7701(a)(51)).

Each case is one of the reviewer's records (notes/review-K.md, K1-K4): an equity stake (or a
supply, or a loan) in a U.S. claimant of 45X/48E with every energy fact recorded, so that before
the fix the regime came out `clear` where the statute gives `filing_advised` (a credit at stake),
or only as an open question where the recorded facts settle it. The statutory text is the
enrolled H.R. 1 (Pub. L. 119-21) s.70512(c); 26 U.S.C. 318(a)(2) for attribution.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest

from screening import screen
from screening.facts.derive import derive
from screening.facts.gates import REVIEW_K
from screening.model.deal import Deal

SG_COMPANY = {
    "name": "Lion Holdings Pte. Ltd.",
    "kind": "company",
    "country": "SG",
    "principal_place_of_business": "SG",
    "lists": [],
    "owners": [],
}
CN_COMPANY = {**SG_COMPANY, "name": "Zhejiang Battery Co.", "country": "CN"}
CN_COMPANY["principal_place_of_business"] = "CN"

BASE: dict[str, Any] = {
    "id": "review-k",
    "kind": "equity_stake",
    "name": "Review K record",
    "investor": SG_COMPANY,
    "target": {
        "name": "Redwood Cells, Inc.",
        "country": "US",
        "naics": "335910",
        "critical_technologies": [],
        "infrastructure": [],
    },
    "rights": {"voting_pct": 80, "equity_pct": 80, "board_seats": 0},
    "completion_date": "2026-03-31",
    "energy": {
        "credits": ["45X"],
        "taxable_year_begins": "2026-01-01",
        "other_sfe_ownership_pct": 0,
        "largest_other_sfe_pct": 0,
        "sfe_debt_pct": 0,
        "sfe_can_appoint_officer": False,
        "effective_control_payment": False,
        "macr_category": "battery_component",
        "macr_year": 2026,
        "macr_pct": 90,
    },
}


def record(**changes: Any) -> dict[str, Any]:
    """BASE with mappings merged key by key (other values replace)."""

    def merge(a: Any, b: Any) -> Any:
        if isinstance(a, dict) and isinstance(b, dict):
            out = copy.deepcopy(a)
            for k, v in b.items():
                out[k] = merge(a.get(k), v) if k in a else copy.deepcopy(v)
            return out
        return copy.deepcopy(b)

    return merge(BASE, changes)  # type: ignore[no-any-return]


def energy(data: dict[str, Any], rulebook: Any) -> tuple[str, set[str], set[str]]:
    """The clean_energy floor, the rules fired and the rules asked about."""
    result = screen(Deal.model_validate(data).root, rulebook=rulebook)
    fired = {h.rule_id for h in result.hits if h.regime == "clean_energy" and not h.suppressed_by}
    asked = {q.rule_id for q in result.open_questions if q.regime == "clean_energy"}
    return result.regimes["clean_energy"].verdict, fired, asked


def owner(name: str, pct: float, **fields: Any) -> dict[str, Any]:
    return {"name": name, "kind": "company", "voting_pct": pct, "equity_pct": pct, "owners": []} | (
        fields
    )


# K1 - 45Y(g)(13)(A), 48E(d)(6)(A), 45X(d)(4)(A): no credit "for any taxable year" beginning after
# July 4, 2025 in which the claimant is an SFE/FIE, its status tested on the last day of that year
# (7701(a)(51)(A)(ii)(I)). A stake taken in a calendar 2025 taxable year is held into 2026.


@pytest.mark.parametrize("year", ["2025-01-01", None])
def test_k1_stake_taken_in_2025_is_tested_in_2026(year: str | None, rulebook: Any) -> None:
    data = record(
        completion_date="2025-09-30",
        investor=CN_COMPANY,
        rights={"voting_pct": 30, "equity_pct": 30},
        energy={"taxable_year_begins": year},
    )
    verdict, fired, _ = energy(data, rulebook)
    assert verdict == "filing_advised"
    assert "energy.fie.single_owner" in fired  # 7701(a)(51)(D)(i)(I)(bb): 30% >= 25%


def test_k1_majority_taken_in_2025_makes_the_claimant_an_sfe(rulebook: Any) -> None:
    data = record(
        completion_date="2025-09-30",
        investor=CN_COMPANY,
        rights={"voting_pct": 60, "equity_pct": 60},
        energy={"taxable_year_begins": "2025-01-01"},
    )
    _, fired, _ = energy(data, rulebook)
    assert "energy.sfe.foreign_controlled_claimant" in fired  # (C)(v), (G)(i): > 50%


def test_k1_status_is_tested_in_the_first_year_the_rules_reach(rulebook: Any) -> None:
    # 7701(a)(51)(A)(ii)(II): in the first taxable year beginning after July 4, 2025 the SFE list
    # prongs are tested on its first day - 2026-01-01 for a deal of calendar 2025, not 2025-12-31.
    data = record(completion_date="2025-09-30", energy={"taxable_year_begins": "2025-01-01"})
    view = derive(Deal.model_validate(data).root, rulebook.references, dt.date(2025, 9, 30))
    assert view.get("energy.status_date") == dt.date(2026, 1, 1)


def test_k1_a_2025_loan_of_unknown_term_is_a_question_not_clear(rulebook: Any) -> None:
    data = record(
        kind="lending",
        completion_date="2025-10-30",
        investor=CN_COMPANY,
        rights={"voting_pct": 0, "equity_pct": 0},
        energy={"taxable_year_begins": "2025-01-01", "sfe_debt_pct": 20},
    )
    verdict, fired, asked = energy(data, rulebook)
    assert verdict == "clear" and "energy.fie.debt" in asked  # (D)(i)(I)(dd), if it still stands
    assert "energy.fie.debt" not in fired


def test_k1_a_contract_over_before_2026_does_not_reach_the_rules(rulebook: Any) -> None:
    data = record(
        kind="supply_partnership",
        arrangement="supply",
        term_years=0,
        completion_date="2025-08-01",
        investor=CN_COMPANY,
        rights={"voting_pct": 0, "equity_pct": 0},
        energy={"taxable_year_begins": "2025-01-01"},
    )
    verdict, fired, asked = energy(data, rulebook)
    assert (verdict, fired) == ("clear", set())
    assert "energy.material_assistance.sfe_supplier" not in asked


# K2 - 7701(a)(51)(C)(iv): an entity organized in, "or having its principal place of business
# in", a covered nation; (C)(iii): a citizen or national of a covered nation unless a U.S.
# citizen, national or LPR. Either, holding more than 50% of the investor, makes it an SFE ((C)(v)).


def test_k2_owner_with_principal_place_of_business_in_china(rulebook: Any) -> None:
    topco = owner("Cayman Topco", 60, country="KY", principal_place_of_business="CN", lists=[])
    rest = owner("Straits Investors Pte. Ltd.", 40, country="SG", lists=[])
    data = record(
        investor={**SG_COMPANY, "owners": [topco, rest]},
        rights={"voting_pct": 30, "equity_pct": 30},
    )
    verdict, fired, _ = energy(data, rulebook)
    assert verdict == "filing_advised" and "energy.fie.single_owner" in fired


def test_k2_owner_who_is_also_a_chinese_national(rulebook: Any) -> None:
    wang = {"name": "Wang Wei", "kind": "individual", "country": "SG", "voting_pct": 60}
    wang["nationalities"] = ["SG", "CN"]
    lim = {"name": "Lim family", "kind": "individual", "country": "SG", "voting_pct": 40}
    data = record(
        investor={**SG_COMPANY, "owners": [wang, lim]},
        rights={"voting_pct": 30, "equity_pct": 30},
    )
    verdict, fired, _ = energy(data, rulebook)
    assert verdict == "filing_advised" and "energy.fie.single_owner" in fired


def test_k2_a_us_citizen_with_chinese_nationality_is_not_a_covered_person(rulebook: Any) -> None:
    chen = {"name": "Chen Li", "kind": "individual", "country": "CN", "voting_pct": 60}
    chen["nationalities"] = ["US", "CN"]
    lim = {"name": "Lim family", "kind": "individual", "country": "SG", "voting_pct": 40}
    data = record(
        investor={**SG_COMPANY, "owners": [chen, lim]},
        rights={"voting_pct": 30, "equity_pct": 30},
    )
    _, fired, _ = energy(data, rulebook)
    assert "energy.fie.single_owner" not in fired  # (C)(iii) proviso


# K3 - 7701(a)(51)(H): ownership under 318(a)(2). A partnership's holding is owned
# proportionately by its partners ((A)); a corporation's by a 50%-or-more shareholder ((C)).


def test_k3_fund_limited_partner_owns_through_the_fund(rulebook: Any) -> None:
    lp = owner("Shenzhen Capital Co.", 0, country="CN", principal_place_of_business="CN")
    lp.update(equity_pct=40, lists=[])
    gp = owner("Lion GP Pte. Ltd.", 100, country="SG", lists=[])
    gp.update(equity_pct=60)
    fund = {**SG_COMPANY, "name": "Lion Growth Fund LP", "kind": "fund", "owners": [lp, gp]}
    verdict, fired, _ = energy(record(investor=fund), rulebook)  # 40% x 80% = 32% >= 25%
    assert verdict == "filing_advised" and "energy.fie.single_owner" in fired


def test_k3_half_owner_of_a_company_owns_through_it(rulebook: Any) -> None:
    parent = owner("Shenzhen Parent Co.", 50, country="CN", principal_place_of_business="CN")
    rest = owner("Lim Holdings Pte. Ltd.", 50, country="SG", lists=[])
    parent["lists"] = []
    data = record(
        investor={**SG_COMPANY, "owners": [parent, rest]},
        rights={"voting_pct": 60, "equity_pct": 60},
    )
    verdict, fired, _ = energy(data, rulebook)  # not > 50% (no FCE), but 50% x 60% = 30%
    assert verdict == "filing_advised" and "energy.fie.single_owner" in fired


def test_k3_minority_owner_of_a_company_owns_nothing_through_it(rulebook: Any) -> None:
    parent = owner("Shenzhen Parent Co.", 49, country="CN", principal_place_of_business="CN")
    rest = owner("Lim Holdings Pte. Ltd.", 51, country="SG", lists=[])
    parent["lists"] = []
    verdict, fired, _ = energy(record(investor={**SG_COMPANY, "owners": [parent, rest]}), rulebook)
    assert verdict == "clear"  # 318(a)(2)(C) needs 50% or more
    assert "energy.fie.single_owner" not in fired


def test_k6_listed_individual_limited_partner_is_an_sfe(rulebook: Any) -> None:
    # (B)(i): a foreign entity of concern on the SDN list (15 U.S.C. 4651(8)(B)); a natural person
    # who is not a U.S. citizen or LPR is a "foreign entity" (4651(6)(A)(ii)).
    lp = {"name": "R. Example", "kind": "individual", "nationalities": ["VE"], "equity_pct": 40}
    lp["lists"] = ["ofac_sdn"]
    gp = owner("Lion GP Pte. Ltd.", 100, country="SG", lists=[])
    gp.update(equity_pct=60)
    fund = {**SG_COMPANY, "name": "Lion Growth Fund LP", "kind": "fund", "owners": [lp, gp]}
    verdict, fired, _ = energy(record(investor=fund), rulebook)  # 40% x 80% = 32% >= 25%
    assert verdict == "filing_advised" and "energy.fie.single_owner" in fired


# K4 - (D)(i)(I)(bb)-(cc) and (C)(v): every SFE holder of the claimant counts, co-investors too.


@pytest.mark.parametrize("recorded", [True, False])
def test_k4_sfe_co_investor_counts(recorded: bool, rulebook: Any) -> None:
    co = [{"party": CN_COMPANY, "voting_pct": 30, "acquires_in_deal": False}]
    data = record(rights={"voting_pct": 20, "equity_pct": 20}, co_investors=co)
    if not recorded:
        del data["energy"]["other_sfe_ownership_pct"], data["energy"]["largest_other_sfe_pct"]
    verdict, fired, _ = energy(data, rulebook)
    assert verdict == "filing_advised" and "energy.fie.single_owner" in fired


def test_k4_majority_co_investor_makes_the_claimant_an_sfe(rulebook: Any) -> None:
    co = [{"party": CN_COMPANY, "voting_pct": 55, "acquires_in_deal": False}]
    data = record(rights={"voting_pct": 20, "equity_pct": 20}, co_investors=co)
    _, fired, _ = energy(data, rulebook)
    assert "energy.sfe.foreign_controlled_claimant" in fired


def test_k4_sfe_co_investor_with_a_board_seat_appoints_a_covered_officer(rulebook: Any) -> None:
    # (D)(i)(I)(aa), (F)(i): a director an SFE appoints is a covered officer.
    co = [{"party": CN_COMPANY, "voting_pct": 10, "rights": {"voting_pct": 10, "board_seats": 1}}]
    data = record(rights={"voting_pct": 20, "equity_pct": 20}, co_investors=co)
    del data["energy"]["sfe_can_appoint_officer"]
    _, fired, _ = energy(data, rulebook)
    assert "energy.fie.officer" in fired


# K12 - 7701(a)(52)(D): costs of what a prohibited foreign entity supplies count in the ratio,
# whatever the deal's form: a PRC lender that also supplies the claimant (supply_terms) is a
# supplier.


def test_k12_lender_that_supplies_the_claimant_is_a_supplier(rulebook: Any) -> None:
    data = record(
        kind="lending",
        investor=CN_COMPANY,
        rights={"voting_pct": 0, "equity_pct": 0},
        supply_terms={"direction": "investor_supplies", "prepayment_usd": 0},
        energy={"sfe_debt_pct": 5},
    )
    verdict, fired, _ = energy(data, rulebook)
    assert verdict == "covered" and "energy.material_assistance.sfe_supplier" in fired


# Replay: a rulebook that does not read the marker keeps the meanings it was written for.


def test_an_older_rulebook_keeps_the_old_meanings(rulebook: Any) -> None:
    topco = owner("Cayman Topco", 60, country="KY", principal_place_of_business="CN", lists=[])
    rest = owner("Straits Investors Pte. Ltd.", 40, country="SG", lists=[])
    co = [{"party": CN_COMPANY, "voting_pct": 30, "acquires_in_deal": False}]
    data = record(
        investor={**SG_COMPANY, "owners": [topco, rest]},
        rights={"voting_pct": 30, "equity_pct": 30},
        co_investors=co,
    )
    deal = Deal.model_validate(data).root
    refs, day = rulebook.references, dt.date(2026, 3, 31)
    new = derive(deal, refs, day)
    old = derive(deal, refs, day, reads={"energy.single_sfe_test"})
    facts = ("energy.counterparty_sfe", "energy.single_sfe_test")
    assert REVIEW_K == "energy.pfe_years_reached"
    assert [new.get(f) for f in facts] == [True, True]
    assert [old.get(f) for f in facts] == [False, False]
