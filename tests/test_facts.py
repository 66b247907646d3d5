"""Derived facts: ownership math (800.244), foreign person (800.224), excepted investor (800.219)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from screening.authoring.examples import BASE_DEAL, merge
from screening.facts.derive import derive
from screening.facts.sections.base import and3, not3, or3
from screening.facts.view import FactView
from screening.model.deal import Deal

AS_OF = dt.date(2025, 6, 30)


def view(fragment: dict[str, Any], rulebook: Any, as_of: dt.date = AS_OF) -> FactView:
    deal = Deal.model_validate(merge(BASE_DEAL, fragment)).root
    return derive(deal, rulebook.references, as_of)


def chain(b_in_a: int, state_in_b: int) -> dict[str, Any]:
    return {
        "investor": {
            "name": "A",
            "owners": [
                {
                    "name": "B",
                    "kind": "company",
                    "country": "CN",
                    "voting_pct": b_in_a,
                    "owners": [
                        {
                            "name": "State",
                            "kind": "government",
                            "country": "CN",
                            "voting_pct": state_in_b,
                        }
                    ],
                }
            ],
        }
    }


def test_parent_counts_as_100_percent(rulebook: Any) -> None:
    """800.244(d)(1): state 75% of B, B 51% of A (parent) → the state holds 75% of A."""
    v = view(chain(51, 75), rulebook)
    assert v.investor.gov_interest_pct == Decimal(75)
    assert v.investor.gov_interest_state == "CN"


def test_below_parent_multiplies_through(rulebook: Any) -> None:
    """800.244(d)(2): state 75% of B, B 49% of A → 0.75 × 0.49 = 36.75%."""
    v = view(chain(49, 75), rulebook)
    assert v.investor.gov_interest_pct == Decimal("36.75")


def test_unknown_owners_leave_government_interest_unknown(rulebook: Any) -> None:
    """Owners not recorded (None) is unknown, not zero."""
    fragment = merge(BASE_DEAL, {})
    fragment["investor"].pop("owners")
    v = derive(Deal.model_validate(fragment).root, rulebook.references, AS_OF)
    assert v.investor.gov_interest_pct is None
    assert "unknown" in v.derivations["investor.gov_interest_pct"]


def test_fund_counts_only_the_general_partner(rulebook: Any) -> None:
    """800.244(b): LP stakes of a government do not count; its interest in the GP does."""
    lp = {"name": "LP", "kind": "government", "country": "CN", "voting_pct": 90}
    gp = {
        "name": "GP",
        "kind": "company",
        "country": "SG",
        "is_general_partner": True,
        "owners": [{"name": "SG State", "kind": "government", "country": "SG", "voting_pct": 60}],
    }
    v = view(
        {
            "investor": {
                "kind": "fund",
                "country": "SG",
                "principal_place_of_business": "SG",
                "owners": [lp, gp],
            }
        },
        rulebook,
    )
    assert v.investor.gov_interest_state == "SG"
    assert v.investor.gov_interest_pct == Decimal(60)


def test_same_state_governments_aggregate(rulebook: Any) -> None:
    """National and subnational governments of one state add up (800.244(a))."""
    owners = [
        {"name": "Province", "kind": "government", "country": "CN", "voting_pct": 30},
        {"name": "Ministry", "kind": "government", "country": "CN", "voting_pct": 20},
    ]
    assert view({"investor": {"owners": owners}}, rulebook).investor.gov_interest_pct == 50


@pytest.mark.parametrize(
    ("investor", "expected"),
    [
        ({"kind": "company", "country": "CN", "principal_place_of_business": "CN"}, True),
        (
            {"kind": "company", "country": "US", "principal_place_of_business": "US", "owners": []},
            False,
        ),
        ({"kind": "company", "country": "KY", "principal_place_of_business": "CN"}, True),
        # 800.224(c)(1): foreign-organized, but majority owned by U.S. nationals and U.S.-controlled.
        (
            {
                "kind": "company",
                "country": "GB",
                "principal_place_of_business": "GB",
                "majority_owned_by_us_nationals": True,
                "controlled_by_foreign_person": False,
                "owners": [
                    {
                        "name": "X",
                        "kind": "company",
                        "country": "US",
                        "voting_pct": 100,
                        "owners": [],
                    }
                ],
            },
            False,
        ),
        # 800.224(c)(3): U.S.-organized, controlled by a foreign company.
        (
            {
                "kind": "company",
                "country": "US",
                "principal_place_of_business": "US",
                "owners": [{"name": "X", "kind": "company", "country": "DE", "voting_pct": 60}],
            },
            True,
        ),
        ({"kind": "individual", "country": "CN", "nationalities": ["CN", "US"]}, False),
        ({"kind": "individual", "country": "CN", "nationalities": ["CN"]}, True),
        ({"kind": "company", "country": "US", "principal_place_of_business": "US"}, None),
    ],
)
def test_foreign_person(investor: dict[str, Any], expected: bool | None, rulebook: Any) -> None:
    """800.224: foreign national, government or entity, or an entity a foreign person controls."""
    data = merge(BASE_DEAL, {})
    data["investor"] = {"name": "I", **investor}
    v = derive(Deal.model_validate(data).root, rulebook.references, AS_OF)
    assert v.investor.foreign_person is expected


def _excepted(country: str, **extra: Any) -> dict[str, Any]:
    return {
        "investor": {
            "country": country,
            "principal_place_of_business": country,
            "board_us_or_excepted_pct": 100,
            "minimum_excepted_ownership_met": True,
            "owners": [],
            "disqualifiers": [],
            **extra,
        }
    }


def test_excepted_investor_from_an_excepted_state(rulebook: Any) -> None:
    """A Canadian company meeting 800.219(a)(3) is an excepted investor."""
    assert view(_excepted("CA"), rulebook).investor.excepted_investor is True


def test_excepted_state_dates_are_honoured(rulebook: Any) -> None:
    """New Zealand became an excepted foreign state on Jan. 5, 2022."""
    assert view(_excepted("NZ"), rulebook, dt.date(2021, 6, 1)).investor.excepted_investor is False
    assert view(_excepted("NZ"), rulebook, dt.date(2022, 1, 5)).investor.excepted_investor is True


def test_entity_list_disqualifies_an_excepted_investor(rulebook: Any) -> None:
    """800.219(c)(2): on the BIS Entity List on the signing date."""
    v = view(_excepted("GB", lists=["bis_entity_list"]), rulebook)
    assert v.investor.excepted_investor is False


def test_disqualifier_events(rulebook: Any) -> None:
    """800.219(c)(1): an OFAC violation in the prior five years disqualifies; unknown is unknown."""
    assert (
        view(_excepted("AU", disqualifiers=["ofac_violation"]), rulebook).investor.excepted_investor
        is False
    )
    assert view(_excepted("AU", disqualifiers=None), rulebook).investor.excepted_investor is None


def test_chinese_investor_is_never_excepted(rulebook: Any) -> None:
    """No PRC investor can qualify."""
    assert view(_excepted("CN"), rulebook).investor.excepted_investor is False


def test_kleene_logic() -> None:
    """Three-valued connectives."""
    assert and3([True, None]) is None and and3([False, None]) is False
    assert or3([False, None]) is None and or3([True, None]) is True
    assert not3(None) is None and not3(True) is False


def test_merge_never_shares_the_base() -> None:
    """Editing a merged example deal leaves BASE_DEAL untouched."""
    before = repr(BASE_DEAL)
    merged = merge(BASE_DEAL, {})
    merged["investor"].pop("owners")
    merged["target"]["sensitive_data"]["categories"].append("health")
    assert repr(BASE_DEAL) == before


def test_enumerations_match_the_record_types() -> None:
    """Every enumerated fact path names a real fact, and the vehicle roles match the model."""
    import typing

    from screening.facts.view import ENUMS, field_info
    from screening.model.ext.apps import ConnectedVehicle

    assert all(field_info(path) is not None for path in ENUMS)
    literal = typing.get_args(ConnectedVehicle.model_fields["role"].annotation)[0]
    assert set(typing.get_args(literal)) == set(ENUMS["vehicle.role"])


def test_field_or_none_is_getattr_with_none() -> None:
    """The quick attribute read answers as ``getattr(obj, name, None)`` does, for every record of
    every fixture deal, names its class has (fields, properties) and names it lacks."""
    from pathlib import Path

    from pydantic import BaseModel

    from screening.facts.sections.base import field_or_none
    from screening.model.loader import load_deal

    names = [
        "assets",
        "contributed_assets",
        "supply_terms",
        "property_rights",
        "arrangement",
        "limited_partners",
        "controlled_by_foreign_person",
        "voting",
        "party",
        "owners",
        "name",
        "kind",
        "no_such_field",
    ]
    seen: set[str] = set()
    root = Path(__file__).resolve().parent.parent / "fixtures" / "deals"
    for path in sorted(root.glob("*.yaml")):
        stack: list[Any] = [load_deal(path)]
        while stack:
            obj = stack.pop()
            for name in names:
                assert field_or_none(obj, name) == getattr(obj, name, None), (path, obj, name)
            seen.add(type(obj).__name__)
            for value in obj.__dict__.values():
                items = value if isinstance(value, list) else [value]
                stack.extend(v for v in items if isinstance(v, BaseModel))
    assert field_or_none(None, "x") is None
    assert field_or_none(Decimal(1), "real") == Decimal(1)
    assert {"Party", "Owner", "Rights"} <= seen


def test_derive_restores_the_meanings_read(rulebook: Any) -> None:
    """derive() with ``reads`` applies only the meanings read, and restores the outer ones after,
    also when it fails."""
    from screening.facts import gates

    seen: list[bool] = []
    deal = Deal.model_validate(BASE_DEAL).root
    real = gates.applies

    def spy(marker: str) -> bool:
        seen.append(real(marker))
        return seen[-1]

    import screening.facts.derive as derive_module

    original = derive_module.applies
    derive_module.applies = spy
    try:
        derive(deal, rulebook.references, AS_OF, reads=frozenset())
        assert seen and not any(seen)  # no marker read: none applies
        assert gates.applies(gates.ISSUE_12_REVIEW)  # outside: today's meanings
        with gates.rulebook_reading({"x.y"}):
            with pytest.raises(AttributeError):
                derive(None, rulebook.references, AS_OF, reads={gates.ISSUE_12_REVIEW})  # type: ignore[arg-type]
            assert not gates.applies(gates.ISSUE_12_REVIEW)  # the outer reading is back
    finally:
        derive_module.applies = original
