"""The clean-energy pack beyond ownership (OBBBA): effective control through licences and
contracts, 48E recapture, wind and solar termination, 45X phase-outs, the SFE credit-transfer bar
and the MACR rows for wind components and critical minerals, at their edges."""

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
# A pre-enactment licence with no control terms: every effective-control item is false.
QUIET = {
    "kind": "ip_licence",
    "relates_to_credit_property": True,
    "rights": [],
    "royalty_years": 10,
    "services_years": 2,
    "full_know_how": True,
    "entered_on": "2024-01-02",
    "modified_on": "2024-01-02",
    "payments": True,
}
LICENCE = {"kind": "supply_partnership", "arrangement": "license", "rights": {"voting_pct": 0}}


def deal(fragment: dict[str, Any]) -> Any:
    base = merge(BASE_DEAL, {"completion_date": "2026-03-31", "energy": CLAIMANT})
    return Deal.model_validate(merge(base, fragment)).root


def run(
    fragment: dict[str, Any], rulebook: Any, as_of: dt.date | None = None
) -> tuple[str, set[str]]:
    result = screen(deal(fragment), rulebook=rulebook, as_of=as_of)
    return result.regimes["clean_energy"].verdict, {
        h.rule_id for h in result.hits if not h.suppressed_by
    }


def licence(**terms: Any) -> dict[str, Any]:
    return merge(LICENCE, {"energy": {"agreement": {**QUIET, **terms}}})


def test_quiet_pre_enactment_licence_is_not_effective_control(rulebook: Any) -> None:
    """No (AA)-(GG) item: the SFE licensor is only a supplier whose costs count (covered)."""
    verdict, fired = run(licence(), rulebook)
    assert "energy.licence.effective_control" not in fired
    assert verdict == "covered"


@pytest.mark.parametrize(
    ("terms", "fires"),
    [
        ({"royalty_years": "10"}, False),
        ({"royalty_years": "10.01"}, True),  # (DD) beyond the 10th year
        ({"services_years": "2"}, False),
        ({"services_years": "2.01"}, True),  # (EE) longer than 2 years
        ({"full_know_how": False}, True),  # (FF)
        ({"rights": ["direct_sourcing"]}, True),  # (AA)
        ({"rights": ["direct_operation"]}, True),  # (BB)
        ({"rights": ["limit_ip_use"]}, True),  # (CC)
        ({"entered_on": "2025-07-03", "modified_on": "2025-07-03"}, False),
        ({"entered_on": "2025-07-04", "modified_on": "2025-07-04"}, True),  # (GG) on or after
        ({"modified_on": "2025-07-04"}, True),  # (GG) a modification counts
    ],
)
def test_ip_licence_items_edges(rulebook: Any, terms: dict[str, Any], fires: bool) -> None:
    """IRC 7701(a)(51)(D)(ii)(III): each item alone is effective control; edges exact."""
    verdict, fired = run(licence(**terms), rulebook)
    assert ("energy.licence.effective_control" in fired) is fires
    assert verdict == ("filing_advised" if fires else "covered")


@pytest.mark.parametrize(("reverts", "fires"), [(False, False), (True, True)])
def test_bona_fide_purchase_exception(rulebook: Any, reverts: bool, fires: bool) -> None:
    """(bb): a bona fide IP purchase is not a licence; one that reverts to the seller is."""
    _, fired = run(licence(kind="ip_purchase", ip_reverts=reverts, royalty_years=15), rulebook)
    assert ("energy.licence.effective_control" in fired) is fires


def test_no_payment_no_fie(rulebook: Any) -> None:
    """(D)(i)(II) needs a payment to the SFE; a royalty-free licence does not trigger it."""
    _, fired = run(licence(royalty_years=15, payments=False), rulebook)
    assert "energy.licence.effective_control" not in fired
    assert "energy.licence.ip_terms" in fired


def test_unknown_payments_is_an_open_question(rulebook: Any) -> None:
    """Unknown is not false: unknown payments leave an open question, not a clear."""
    result = screen(deal(licence(royalty_years=15, payments=None)), rulebook=rulebook)
    assert "energy.licence.effective_control" in {q.rule_id for q in result.open_questions}


def test_non_sfe_licensor_and_other_counterparty(rulebook: Any) -> None:
    """The counterparty's SFE status decides; a named counterparty carries its own status."""
    jp = {"investor": {"country": "JP", "principal_place_of_business": "JP"}}
    assert (
        "energy.licence.effective_control"
        not in run(merge(licence(royalty_years=15), jp), rulebook)[1]
    )
    other = licence(royalty_years=15, counterparty_name="PRC Licensor", counterparty_sfe=True)
    assert "energy.licence.effective_control" in run(merge(other, jp), rulebook)[1]


@pytest.mark.parametrize(
    ("rights", "fires"),
    [
        ([], False),
        (["production_quantity_timing"], True),
        (["generation_storage_timing"], True),
        (["component_output_buyers"], True),
        (["facility_output_buyers"], True),
        (["restrict_data_or_site_access"], True),
        (["exclusive_operation_maintenance"], True),
    ],
)
def test_general_contract_rights(rulebook: Any, rights: list[str], fires: bool) -> None:
    """(D)(ii)(II)(aa)-(ff) apply to any agreement (a supply contract here)."""
    agreement = {"kind": "supply", "relates_to_credit_property": True, "rights": rights}
    _, fired = run(
        {"kind": "supply_partnership", "energy": {"agreement": {**agreement, "payments": True}}},
        rulebook,
    )
    assert ("energy.licence.effective_control" in fired) is fires


STORAGE = {
    "credits": ["48E"],
    "project": {"technology": "storage", "placed_in_service": "2028-06-30"},
}


@pytest.mark.parametrize(
    ("pays_from", "pays_until", "fires"),
    [
        ("2028-06-30", "2030-01-01", True),  # first day of the window
        ("2038-06-29", "2040-01-01", True),  # last day of the 10-year window
        ("2038-06-30", "2040-01-01", False),  # the window has closed
        ("2026-01-01", "2028-06-29", False),  # all payments before placed in service
    ],
)
def test_recapture_window(rulebook: Any, pays_from: str, pays_until: str, fires: bool) -> None:
    """IRC 50(a)(4): a payment within the 10 years beginning on the placed-in-service date."""
    frag = merge(
        licence(entered_on="2026-02-01", payments_from=pays_from, payments_until=pays_until),
        {"energy": STORAGE},
    )
    _, fired = run(frag, rulebook)
    assert ("energy.recapture.48e" in fired) is fires


@pytest.mark.parametrize(("year_begins", "fires"), [("2026-07-04", False), ("2026-07-05", True)])
def test_recapture_specified_taxpayer(rulebook: Any, year_begins: str, fires: bool) -> None:
    """50(a)(4)(C): only for 48E allowed for a taxable year beginning after July 4, 2027."""
    frag = merge(
        licence(entered_on="2026-02-01", payments_from="2027-08-01", payments_until="2035-01-01"),
        {
            "energy": {
                "credits": ["48E"],
                "taxable_year_begins": year_begins,
                "project": {"technology": "storage", "placed_in_service": "2027-08-01"},
            }
        },
    )
    _, fired = run(frag, rulebook)
    assert ("energy.recapture.48e" in fired) is fires


@pytest.mark.parametrize(
    ("tech", "begun", "in_service", "rule"),
    [
        ("solar", "2026-07-04", "2028-01-01", None),
        ("solar", "2026-07-05", "2028-01-01", "energy.termination.wind_solar"),
        ("wind", "2026-07-05", "2027-12-31", "energy.termination.wind_solar_deadline"),
        ("storage", "2026-07-05", "2028-01-01", None),
        ("other", "2026-07-05", "2028-01-01", None),
    ],
)
def test_wind_solar_termination_edges(
    rulebook: Any, tech: str, begun: str, in_service: str, rule: str | None
) -> None:
    """45Y(d)(4)/48E(e)(4): begun after July 4, 2026 => placed in service by Dec. 31, 2027."""
    project = {"technology": tech, "construction_began": begun, "placed_in_service": in_service}
    verdict, fired = run(
        {
            "investor": {"country": "US", "principal_place_of_business": "US"},
            "energy": {"credits": ["48E"], "project": project},
        },
        rulebook,
    )
    terminations = {r for r in fired if r.startswith("energy.termination")}
    assert terminations == ({rule} if rule else set())
    expected = {
        None: "clear",
        "energy.termination.wind_solar": "filing_advised",
        "energy.termination.wind_solar_deadline": "covered",
    }
    assert verdict == expected[rule]


@pytest.mark.parametrize(
    ("category", "year", "pct"),
    [
        ("critical_mineral", 2030, 100),
        ("critical_mineral", 2031, 75),
        ("critical_mineral", 2032, 50),
        ("critical_mineral", 2033, 25),
        ("critical_mineral", 2034, 0),
        ("wind_component", 2027, 100),
        ("wind_component", 2028, 0),
        ("battery_component", 2029, 100),
        ("battery_component", 2030, 75),
        ("battery_component", 2033, 0),
    ],
)
def test_45x_phaseout_table(rulebook: Any, category: str, year: int, pct: int) -> None:
    """45X(b)(3): share of the credit left by category and year (credit_phaseout_45x)."""
    frag = {"energy": {"macr_category": category, "project": {"component_year": year}}}
    view = derive(deal(frag), rulebook.references, dt.date(2026, 3, 31))
    assert view.get("credit.phaseout_pct") == pct
    _, fired = run(merge(frag, {"investor": {"country": "US"}}), rulebook)
    assert ("energy.phaseout.45x_ended" in fired) is (pct == 0)
    assert ("energy.phaseout.45x_reduced" in fired) is (0 < pct < 100)


@pytest.mark.parametrize(("country", "fires"), [("CN", True), ("US", False), ("JP", False)])
def test_credit_transfer_to_sfe(rulebook: Any, country: str, fires: bool) -> None:
    """6418(g)(5): no transfer election to a specified foreign entity."""
    _, fired = run(
        {
            "kind": "acquisition",
            "rights": {"voting_pct": 0},
            "investor": {"country": country, "principal_place_of_business": country},
            "energy": {"project": {"transfer_to_investor": True}},
        },
        rulebook,
    )
    assert ("energy.transfer.sfe_buyer" in fired) is fires


@pytest.mark.parametrize(
    ("category", "year", "ratio", "fires"),
    [
        ("wind_component", 2026, "84.99", True),
        ("wind_component", 2026, "85", False),
        ("wind_component", 2027, "89.99", True),
        ("critical_mineral", 2029, "0", False),  # 0% threshold: the test cannot fail
        ("critical_mineral", 2030, "24.99", True),
        ("critical_mineral", 2030, "25", False),
        ("critical_mineral", 2033, "49.99", True),  # "after Dec. 31, 2032": 50%
        ("critical_mineral", 2040, "50", False),
    ],
)
def test_new_macr_rows(rulebook: Any, category: str, year: int, ratio: str, fires: bool) -> None:
    """IRC 7701(a)(52)(C)(i)(II), (V): wind components and critical minerals; below fails."""
    _, fired = run(
        {
            "investor": {"country": "JP", "principal_place_of_business": "JP"},
            "energy": {"macr_category": category, "macr_year": year, "macr_pct": ratio},
        },
        rulebook,
    )
    assert ("energy.material_assistance.below_threshold" in fired) is fires
