"""The PADFA pack: data brokers, foreign-adversary control (20% test) and the effective date."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from screening import screen
from screening.authoring.examples import BASE_DEAL, merge
from screening.model.deal import Deal

SALE = {
    "to_investor": True,
    "for_consideration": True,
    "collected_directly": False,
    "recipient_service_provider": False,
    "excluded_activity": False,
    "categories": ["precise_geolocation"],
    "identifiable": True,
    "us_individuals": True,
}


def run(fragment: dict[str, Any], rulebook: Any, as_of: dt.date | None = None) -> str:
    base = merge(BASE_DEAL, {"completion_date": "2025-03-31", "data_brokerage": SALE})
    result = screen(Deal.model_validate(merge(base, fragment)).root, rulebook=rulebook, as_of=as_of)
    return result.regimes["padfa"].verdict


def sg_owned(pct: Any) -> dict[str, Any]:
    return {
        "investor": {
            "country": "SG",
            "principal_place_of_business": "SG",
            "owners": [
                {"name": "PRC Holder", "kind": "company", "country": "CN", "equity_pct": pct}
            ],
        },
        "data_brokerage": {"recipient_adversary_direction": False},
    }


@pytest.mark.parametrize(("pct", "level"), [("19.99", "clear"), ("20", "prohibited")])
def test_recipient_20_percent_edge(rulebook: Any, pct: str, level: str) -> None:
    """9901(c)(2)(B): at least a 20 percent stake held by adversary-country persons."""
    assert run(sg_owned(pct), rulebook) == level


def test_indirect_stake_multiplied_through(rulebook: Any) -> None:
    """Directly or indirectly: 50% of a holder that is 40% PRC-owned = 20%."""
    frag = sg_owned(50)
    frag["investor"]["owners"][0].update(
        {
            "country": "VG",
            "owners": [
                {"name": "PRC Parent", "kind": "company", "country": "CN", "equity_pct": 40}
            ],
        }
    )
    assert run(frag, rulebook) == "prohibited"
    frag["investor"]["owners"][0]["owners"][0]["equity_pct"] = "39.98"
    assert run(frag, rulebook) == "clear"


def test_direction_or_control(rulebook: Any) -> None:
    """9901(c)(2)(C): a person subject to the direction of an adversary person."""
    frag = sg_owned(0)
    frag["data_brokerage"]["recipient_adversary_direction"] = True
    assert run(frag, rulebook) == "prohibited"


@pytest.mark.parametrize(
    ("facts", "level"),
    [
        ({"collected_directly": True}, "clear"),
        ({"recipient_service_provider": True}, "clear"),
        ({"excluded_activity": True}, "clear"),
        ({"for_consideration": False}, "clear"),
        ({"categories": []}, "clear"),
        ({"identifiable": False}, "clear"),
        ({"us_individuals": False}, "clear"),
        ({}, "prohibited"),
    ],
)
def test_each_element(rulebook: Any, facts: dict[str, Any], level: str) -> None:
    """Every element of 9901(a) and the data-broker definition is needed."""
    assert run({"data_brokerage": facts}, rulebook) == level


@pytest.mark.parametrize(("day", "level"), [(22, "not_in_force"), (23, "prohibited")])
def test_effective_june_23_2024(rulebook: Any, day: int, level: str) -> None:
    """In force 60 days after enactment (Apr. 24, 2024): June 23, 2024 [src]; the day before,
    the regime reports that it is not in force (never a confident `clear`)."""
    assert run({}, rulebook, dt.date(2024, 6, day)) == level


@pytest.mark.parametrize(("pct", "level"), [("19.99", "clear"), ("20", "filing_advised")])
def test_buyer_becomes_controlled_edge(rulebook: Any, pct: str, level: str) -> None:
    """A buyer of brokered data taking 20% from a PRC investor becomes adversary-controlled."""
    frag = {
        "rights": {"voting_pct": pct},
        "data_brokerage": {"role": "target_buys", "other_adversary_pct": 0},
    }
    assert run(frag, rulebook) == level


def test_broker_acquired_without_transfer_is_covered(rulebook: Any) -> None:
    """A broker 25% owned by a PRC investor, nothing sold to it: information (covered)."""
    frag = {
        "rights": {"voting_pct": 25},
        "data_brokerage": {"to_investor": False, "other_adversary_pct": 0},
    }
    assert run(frag, rulebook) == "covered"
