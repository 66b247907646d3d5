"""The clean-energy pack (OBBBA prohibited foreign entities): FIE thresholds, SFE status,
material assistance and dates. Thresholds come from rules/reference tables."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from screening import screen
from screening.authoring.examples import BASE_DEAL, merge
from screening.facts.derive import derive
from screening.model.deal import Deal

CLAIMANT = {
    "credits": ["45X"],
    "taxable_year_begins": "2026-01-01",
    "other_sfe_ownership_pct": 0,
    "largest_other_sfe_pct": 0,
    "sfe_debt_pct": 0,
    "sfe_can_appoint_officer": False,
    "effective_control_payment": False,
}


def deal(fragment: dict[str, Any]) -> Any:
    """A deal: the fragment deep-merged onto the examples' base deal, completed in 2026."""
    return Deal.model_validate(
        merge(merge(BASE_DEAL, {"completion_date": "2026-03-31"}), fragment)
    ).root


def run(
    fragment: dict[str, Any], rulebook: Any, as_of: dt.date | None = None
) -> tuple[str, set[str]]:
    result = screen(deal(merge({"energy": CLAIMANT}, fragment)), rulebook=rulebook, as_of=as_of)
    return result.regimes["clean_energy"].verdict, {
        h.rule_id for h in result.hits if not h.suppressed_by
    }


@pytest.mark.parametrize(("pct", "fires"), [("24.99", False), ("25", True)])
def test_single_sfe_owner_edge(rulebook: Any, pct: str, fires: bool) -> None:
    """IRC 7701(a)(51)(D): a single SFE owning 25% or more makes the claimant an FIE."""
    verdict, fired = run({"rights": {"voting_pct": pct, "equity_pct": pct}}, rulebook)
    assert ("energy.fie.single_owner" in fired) is fires
    assert verdict == ("filing_advised" if fires else "clear")


@pytest.mark.parametrize(("other", "fires"), [("19.99", False), ("20", True)])
def test_aggregate_sfe_owners_edge(rulebook: Any, other: str, fires: bool) -> None:
    """IRC 7701(a)(51)(D): SFEs together owning 40% or more (20% + other holders)."""
    _, fired = run(
        {"rights": {"voting_pct": 20}, "energy": {"other_sfe_ownership_pct": other}}, rulebook
    )
    assert ("energy.fie.aggregate_owners" in fired) is fires


@pytest.mark.parametrize(("debt", "fires"), [("14.99", False), ("15", True), ("20", True)])
def test_sfe_debt_edge(rulebook: Any, debt: str, fires: bool) -> None:
    """IRC 7701(a)(51)(D): 15% or more of debt issued to SFEs (DERIVED-PKG-6 at 20%)."""
    verdict, fired = run(
        {"kind": "lending", "rights": {"voting_pct": 0}, "energy": {"sfe_debt_pct": debt}}, rulebook
    )
    assert ("energy.fie.debt" in fired) is fires
    assert verdict == ("filing_advised" if fires else "clear")


@pytest.mark.parametrize(("pct", "fires"), [("50", False), ("50.01", True)])
def test_foreign_controlled_claimant_edge(rulebook: Any, pct: str, fires: bool) -> None:
    """IRC 7701(a)(51)(B): more than 50% held by covered-nation persons makes an SFE."""
    _, fired = run({"rights": {"voting_pct": pct}}, rulebook)
    assert ("energy.sfe.foreign_controlled_claimant" in fired) is fires


def test_board_seat_is_an_officer_appointment(rulebook: Any) -> None:
    """A board seat appointed by an SFE investor counts as appointing a covered officer [mem]."""
    _, fired = run({"rights": {"voting_pct": 5, "board_seats": 1}}, rulebook)
    assert "energy.fie.officer" in fired


def test_non_sfe_investor_is_clear(rulebook: Any) -> None:
    """A Japanese investor taking 30% is not a specified foreign entity."""
    verdict, _ = run(
        {
            "investor": {"country": "JP", "principal_place_of_business": "JP"},
            "rights": {"voting_pct": 30},
        },
        rulebook,
    )
    assert verdict == "clear"


def test_sfe_through_a_chain(rulebook: Any) -> None:
    """A Singapore company 51% owned by a PRC company is a foreign-controlled entity (>50%)."""
    frag = {
        "investor": {
            "country": "SG",
            "principal_place_of_business": "SG",
            "owners": [
                {"name": "PRC Parent", "kind": "company", "country": "CN", "voting_pct": 51}
            ],
        },
        "energy": CLAIMANT,
    }
    view = derive(deal(frag), _refs(), dt.date(2026, 3, 31))
    assert view.get("energy.counterparty_sfe") is True
    frag["investor"]["owners"][0]["voting_pct"] = 50
    assert derive(deal(frag), _refs(), dt.date(2026, 3, 31)).get("energy.counterparty_sfe") is False


def test_listed_entity_is_an_sfe(rulebook: Any) -> None:
    """A DoD 1260H or UFLPA-listed investor is an SFE whatever its country."""
    frag = {
        "investor": {"country": "SG", "principal_place_of_business": "SG", "lists": ["dod_1260h"]},
        "energy": CLAIMANT,
    }
    assert derive(deal(frag), _refs(), dt.date(2026, 3, 31)).get("energy.counterparty_sfe") is True


def _refs() -> Any:
    from screening import load_rulebook

    return load_rulebook().references


@pytest.mark.parametrize(
    ("category", "year", "ratio", "fires"),
    [
        ("qualified_facility", 2026, "39.99", True),
        ("qualified_facility", 2026, "40", False),
        ("qualified_facility", 2031, "59.99", True),  # the last table row (2030) applies later
        ("battery_component", 2026, "59.99", True),
        ("battery_component", 2026, "60", False),
        ("qualified_facility", 2025, "1", False),  # no test before 2026
    ],
)
def test_material_assistance_thresholds(
    rulebook: Any, category: str, year: int, ratio: str, fires: bool
) -> None:
    """IRC 7701(a)(52): material assistance when the cost ratio is below the table threshold."""
    _, fired = run(
        {
            "investor": {"country": "JP", "principal_place_of_business": "JP"},
            "energy": {"macr_category": category, "macr_year": year, "macr_pct": ratio},
        },
        rulebook,
    )
    assert ("energy.material_assistance.below_threshold" in fired) is fires


def test_macr_threshold_confidence_is_reported(rulebook: Any) -> None:
    """Every threshold is read in the statute (reg); the explanation reports the confidence."""
    view = derive(
        deal({"energy": {**CLAIMANT, "macr_category": "energy_storage", "macr_year": 2027}}),
        rulebook.references,
        dt.date(2026, 3, 31),
    )
    assert (
        view.get("energy.macr_threshold_pct"),
        view.get("energy.macr_threshold_confidence"),
    ) == (60, "reg")
    view = derive(
        deal({"energy": {**CLAIMANT, "macr_category": "qualified_facility", "macr_year": 2026}}),
        rulebook.references,
        dt.date(2026, 3, 31),
    )
    assert view.get("energy.macr_threshold_confidence") == "reg"


def test_taxable_years_beginning_before_july_5_2025(rulebook: Any) -> None:
    """No PFE restriction for taxable years beginning on or before July 4, 2025: a tie that ends
    before the first taxable year beginning after that date reaches no rule; a stake held into it
    does (review K, K1: the credit is denied "for any taxable year" in which the claimant is an
    FIE, tested on its last day, 7701(a)(51)(A)(ii)(I))."""
    ended = {
        "kind": "supply_partnership",
        "arrangement": "supply",
        "term_years": 0,
        "completion_date": "2025-08-01",
        "rights": {"voting_pct": 0},
        "energy": {"taxable_year_begins": "2025-01-01"},
    }
    verdict, fired = run(ended, rulebook)
    assert verdict == "clear" and not {f for f in fired if f.startswith("energy.")}
    held = {"completion_date": "2025-08-01", "rights": {"voting_pct": 30}}
    verdict, fired = run(merge(held, {"energy": {"taxable_year_begins": "2025-01-01"}}), rulebook)
    assert verdict == "filing_advised" and "energy.fie.single_owner" in fired


def test_not_in_force_before_obbba(rulebook: Any) -> None:
    """A deal screened before July 4, 2025 is not caught by the OBBBA rules: not in force."""
    verdict, _ = run({"rights": {"voting_pct": 30}}, rulebook, dt.date(2025, 7, 3))
    assert verdict == "not_in_force"


def test_pkg3_sfe_supplier_is_information(rulebook: Any) -> None:
    """DERIVED-PKG-3: an SFE cell supplier's costs count against the MACR (covered, information)."""
    verdict, fired = run(
        {"kind": "supply_partnership", "arrangement": "offtake", "rights": {"voting_pct": 0}},
        rulebook,
    )
    assert verdict == "covered"
    assert "energy.material_assistance.sfe_supplier" in fired
