"""The apps and connected-vehicle packs: PAFACA (20% stake, >1,000,000 MAU) and the ICTS
connected-vehicle rule (model-year dates, 10,000 lb GVWR)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from screening import screen
from screening.authoring.examples import BASE_DEAL, merge
from screening.model.deal import Deal

SOCIAL = {
    "user_content": True,
    "primary_purpose": "social_content",
    "monthly_active_users": [3000000, 3100000, 2900000],
    "other_foreign_adversary_pct": 0,
    "subject_to_adversary_direction": False,
    "designated": False,
    "qualified_divestiture": False,
}


def deal(fragment: dict[str, Any]) -> Any:
    """A deal: the fragment deep-merged onto the examples' base deal."""
    return Deal.model_validate(merge(BASE_DEAL, fragment)).root


def run(
    fragment: dict[str, Any], regime: str, rulebook: Any, as_of: dt.date | None = None
) -> tuple[str, set[str]]:
    result = screen(deal(fragment), rulebook=rulebook, as_of=as_of)
    return result.regimes[regime].verdict, {h.rule_id for h in result.hits if not h.suppressed_by}


@pytest.mark.parametrize(
    ("pct", "level"),
    [("15", "clear"), ("19.99", "clear"), ("20", "filing_advised"), ("25", "filing_advised")],
)
def test_pafaca_stake_edges(rulebook: Any, pct: str, level: str) -> None:
    """PAFACA s.2(g)(1): at least 20% held by foreign-adversary persons (DERIVED-PKG-4 15%, PKG-5 25%)."""
    assert run({"rights": {"voting_pct": pct}, "app": SOCIAL}, "pafaca", rulebook)[0] == level


def test_pafaca_indirect_stake_is_multiplied_through(rulebook: Any) -> None:
    """A Cayman vehicle 50% PRC-owned holding 40% gives a 20% indirect stake."""
    frag = {
        "investor": {
            "country": "KY",
            "principal_place_of_business": "KY",
            "owners": [
                {
                    "name": "PRC Parent",
                    "kind": "company",
                    "country": "CN",
                    "voting_pct": 50,
                    "equity_pct": 50,
                },
                {
                    "name": "U.S. Fund",
                    "kind": "fund",
                    "country": "US",
                    "voting_pct": 50,
                    "equity_pct": 50,
                    "owners": [],
                },
            ],
        },
        "rights": {"voting_pct": 40},
        "app": SOCIAL,
    }
    assert run(frag, "pafaca", rulebook)[0] == "filing_advised"
    frag["rights"]["voting_pct"] = "39.98"
    assert run(frag, "pafaca", rulebook)[0] == "clear"


def test_other_adversary_holders_add_up(rulebook: Any) -> None:
    """Stakes of other foreign-adversary persons count toward the 20%."""
    assert (
        run(
            {"rights": {"voting_pct": 10}, "app": {**SOCIAL, "other_foreign_adversary_pct": 10}},
            "pafaca",
            rulebook,
        )[0]
        == "filing_advised"
    )


@pytest.mark.parametrize(
    ("mau", "level"),
    [([1000000, 1000000, 2000000], "clear"), ([1000001, 1000001, 10], "filing_advised")],
)
def test_pafaca_mau_edge(rulebook: Any, mau: list[int], level: str) -> None:
    """PAFACA s.2(g)(2): more than 1,000,000 monthly active users in 2 of the 3 months."""
    assert (
        run(
            {"rights": {"voting_pct": 25}, "app": {**SOCIAL, "monthly_active_users": mau}},
            "pafaca",
            rulebook,
        )[0]
        == level
    )


def test_review_and_travel_apps_are_excluded(rulebook: Any) -> None:
    """PAFACA s.2(g)(2)(B): review and travel-information apps are not covered companies."""
    for purpose in ("reviews", "travel"):
        assert (
            run(
                {"rights": {"voting_pct": 30}, "app": {**SOCIAL, "primary_purpose": purpose}},
                "pafaca",
                rulebook,
            )[0]
            == "clear"
        )


def test_determined_app_is_prohibited_after_270_days(rulebook: Any) -> None:
    """PAFACA s.2(a)(2): prohibited 270 days after the determination (Apr. 24, 2024 -> Jan. 19, 2025)."""
    frag = {
        "rights": {"voting_pct": 100},
        "app": {**SOCIAL, "designated": True, "determination_date": "2024-04-24"},
    }
    assert run(frag, "pafaca", rulebook, dt.date(2025, 1, 18))[0] == "filing_advised"
    assert run(frag, "pafaca", rulebook, dt.date(2025, 1, 19))[0] == "prohibited"


def test_qualified_divestiture_suppresses(rulebook: Any) -> None:
    """PAFACA s.2(c): a qualified divestiture lifts the prohibition."""
    frag = {
        "rights": {"voting_pct": 100},
        "app": {
            **SOCIAL,
            "designated": True,
            "determination_date": "2024-04-24",
            "qualified_divestiture": True,
        },
    }
    assert run(frag, "pafaca", rulebook)[0] == "clear"


def test_pafaca_before_enactment(rulebook: Any) -> None:
    """PAFACA was enacted Apr. 24, 2024: the day before, the regime is not in force."""
    assert (
        run(
            {"rights": {"voting_pct": 30}, "app": SOCIAL}, "pafaca", rulebook, dt.date(2024, 4, 23)
        )[0]
        == "not_in_force"
    )


# ------------------------------------------------------------------------------------------
# Connected vehicles, 15 CFR 791 subpart D

CAR = {
    "role": "vehicle_manufacturer",
    "gvwr_lb": 4800,
    "sold_in_us": True,
    "vcs_software_adversary": False,
    "vcs_hardware_adversary": False,
    "ads_software_adversary": False,
    "manufacturer_adversary_linked": False,
    "specific_authorization": False,
}


@pytest.mark.parametrize(("year", "level"), [(2026, "filing_advised"), (2027, "prohibited")])
def test_software_model_year_edge(rulebook: Any, year: int, level: str) -> None:
    """Covered VCS software is prohibited from model year 2027."""
    frag = {"vehicle": {**CAR, "model_year": year, "vcs_software_adversary": True}}
    assert run(frag, "ics_vehicles", rulebook)[0] == level


def test_ads_software_counts(rulebook: Any) -> None:
    """ADS software from a PRC- or Russia-linked person is covered software too."""
    frag = {"vehicle": {**CAR, "model_year": 2028, "ads_software_adversary": True}}
    assert run(frag, "ics_vehicles", rulebook)[0] == "prohibited"


@pytest.mark.parametrize(("lb", "level"), [(10000, "prohibited"), (10001, "clear")])
def test_gvwr_edge(rulebook: Any, lb: int, level: str) -> None:
    """Subpart D reaches vehicles of 10,000 lb GVWR or less."""
    frag = {"vehicle": {**CAR, "gvwr_lb": lb, "model_year": 2027, "vcs_software_adversary": True}}
    assert run(frag, "ics_vehicles", rulebook)[0] == level


@pytest.mark.parametrize(
    ("hw", "level"),
    [
        ({"model_year": 2029}, "clear"),
        ({"model_year": 2030}, "prohibited"),
        ({"import_date": "2028-12-31"}, "clear"),
        ({"import_date": "2029-01-01"}, "prohibited"),
    ],
)
def test_hardware_dates(rulebook: Any, hw: dict[str, Any], level: str) -> None:
    """VCS hardware: from model year 2030, or Jan. 1, 2029 for units without a model year."""
    frag = {
        "vehicle": {
            "role": "vcs_hardware_importer",
            "vcs_hardware_adversary": True,
            "specific_authorization": False,
            **hw,
        }
    }
    assert run(frag, "ics_vehicles", rulebook)[0] == level


def test_linked_manufacturer(rulebook: Any) -> None:
    """15 CFR 791.304: a PRC-linked manufacturer may not sell MY2027 connected vehicles."""
    frag = {"vehicle": {**CAR, "model_year": 2027, "manufacturer_adversary_linked": True}}
    verdict, fired = run(frag, "ics_vehicles", rulebook)
    assert verdict == "prohibited"
    assert "ics.vehicles.linked_manufacturer" in fired


def test_specific_authorization_suppresses(rulebook: Any) -> None:
    """A BIS specific authorization suppresses the prohibition (shown as exempted)."""
    frag = {
        "vehicle": {
            **CAR,
            "model_year": 2027,
            "vcs_software_adversary": True,
            "specific_authorization": True,
        }
    }
    assert run(frag, "ics_vehicles", rulebook)[0] == "clear"


def test_vehicle_rule_not_before_effective_date(rulebook: Any) -> None:
    """The rule is in force from Mar. 17, 2025 [mem]; the day before, the regime is not."""
    frag = {"vehicle": {**CAR, "model_year": 2027, "vcs_software_adversary": True}}
    assert run(frag, "ics_vehicles", rulebook, dt.date(2025, 3, 16))[0] == "not_in_force"
