"""Facts behind legal conclusions: U.S. business from asset indicia, control from governance."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from screening.facts.business import assets_form_business
from screening.facts.derive import derive
from screening.model.deal import AssetIndicia, Deal
from tests.test_numbers import _base_deal

RUNNING = {"staff": True, "customer_lists": True, "operating": True, "in_united_states": True}
BARE = {"staff": False, "customer_lists": False, "brands": False, "equipment": True}


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        (RUNNING, True),  # 800.301(c): people and customers with an operating business
        ({**RUNNING, "operating": None, "revivable": True}, True),
        (BARE, False),  # bare equipment is not a business
        ({**RUNNING, "in_united_states": False}, False),  # 800.252: in the United States
        ({**RUNNING, "operating": False, "revivable": False}, False),  # cannot be restarted
        ({"ip_know_how": True, "equipment": True, "in_united_states": True}, None),
        ({"staff": True, "in_united_states": True}, None),  # operating or not: unknown
        ({}, None),
    ],
)
def test_assets_form_a_us_business_only_where_the_facts_settle_it(
    facts: dict[str, Any], expected: bool | None
) -> None:
    """The derivation is three-valued: settled cases follow the regulation, the rest is open."""
    status, why = assets_form_business(AssetIndicia(**facts))
    assert status is expected
    assert why


def _acquisition(**fields: Any) -> dict[str, Any]:
    data = copy.deepcopy(_base_deal())
    data.update(kind="acquisition", assets_only=True, **fields)
    return data


def _deal_facts(rulebook: Any, data: dict[str, Any]) -> Any:
    deal = Deal.model_validate(data).root
    assert deal.completion_date is not None
    return derive(deal, rulebook.references, deal.completion_date)


def test_a_stipulated_conclusion_wins_and_is_shown_as_stipulated(rulebook: Any) -> None:
    """`assets_constitute_us_business: false` is used as given, and explained as stipulated."""
    view = _deal_facts(rulebook, _acquisition(assets=RUNNING, assets_constitute_us_business=False))
    assert view.deal.assets_constitute_us_business is False
    assert "stipulated" in view.derivations["deal.assets_constitute_us_business"]


def test_indicia_give_the_conclusion_with_its_reason(rulebook: Any) -> None:
    """Without a stipulation the indicia decide, and the derivation says why."""
    view = _deal_facts(rulebook, _acquisition(assets=RUNNING))
    assert view.deal.assets_constitute_us_business is True
    assert "800.301(c)" in view.derivations["deal.assets_constitute_us_business"]


def test_a_jv_contribution_is_derived_from_what_is_contributed(rulebook: Any) -> None:
    """800.301(d)/(e)(16): land and equipment only is not a U.S. business contributed."""
    data = copy.deepcopy(_base_deal())
    data.update(kind="joint_venture", contributed_assets=BARE)
    assert _deal_facts(rulebook, data).deal.us_contribution == "assets_not_business"


@pytest.mark.parametrize(
    ("rights", "blocks"),
    [
        ({"voting_pct": 50}, True),  # 800.301(e)(3): 50% under a more-than-half rule
        ({"voting_pct": 49}, False),
        ({"voting_pct": 30, "decision_threshold_pct": 75}, True),  # blocks a 75% supermajority
        ({"voting_pct": 20, "decision_threshold_pct": 75}, False),
        ({"voting_pct": "minority", "decision_threshold_pct": 75}, None),
        ({"voting_pct": {"min": 26, "max": 40}, "decision_threshold_pct": 75}, True),
    ],
)
def test_blocking_votes_follow_the_decision_threshold(
    rulebook: Any, rights: dict[str, Any], blocks: bool | None
) -> None:
    """Votes block important matters when the others cannot reach the threshold without them."""
    data = copy.deepcopy(_base_deal())
    data["rights"].update(rights)
    assert _deal_facts(rulebook, data).rights.blocks_decisions is blocks


@pytest.mark.parametrize(
    ("rights", "control"),
    [
        ({"voting_pct": 15, "control": True}, True),
        ({"voting_pct": 30, "decision_threshold_pct": 75, "control": False}, False),
        ({"voting_pct": 60, "control": False}, True),  # a stipulation cannot undo a majority
        ({"voting_pct": 20, "dominant_minority": True}, True),
        ({"voting_pct": 20}, False),
    ],
)
def test_control_from_governance_facts_and_stipulations(
    rulebook: Any, rights: dict[str, Any], control: bool
) -> None:
    """cfius.control: stipulated, derived from blocking or a stated dominant minority, or not."""
    from screening.engine.run import run_rules

    data = copy.deepcopy(_base_deal())
    data["rights"].update(rights)
    ev = run_rules(rulebook, _deal_facts(rulebook, data))
    assert ev.status["cfius.control"] is control


def _tech_deal(tech: dict[str, Any], **investor: Any) -> dict[str, Any]:
    data = copy.deepcopy(_base_deal())
    data["target"]["critical_technologies"] = [
        {"description": "sensor", "basis": "ccl_multilateral", "eccn": "6A003", **tech}
    ]
    data["investor"].update(investor)
    return data


@pytest.mark.parametrize(
    ("tech", "investor", "needed"),
    [
        ({"license_required_to": ["CN"]}, {}, True),  # investor based in CN
        (
            {"license_required_to": ["RU"]},
            {
                "country": "GB",
                "principal_place_of_business": "GB",
                "owners": [{"name": "R", "kind": "individual", "country": "RU", "voting_pct": 30}],
            },
            True,  # a 25%-or-more holder of Russian nationality (800.401(c)(1)(v))
        ),
        (
            {"license_required_to": ["RU"]},
            {
                "country": "GB",
                "principal_place_of_business": "GB",
                "owners": [{"name": "R", "kind": "individual", "country": "RU", "voting_pct": 20}],
            },
            False,  # under 25%
        ),
        (
            {"license_required_to": ["RU"]},
            {
                "country": "GB",
                "principal_place_of_business": "GB",
                "owners": [],
                "owners_complete": False,
            },
            None,  # an unlisted holder could be Russian
        ),
        ({"license_required_to": ["CN"]}, {"principal_place_of_business": None}, None),
        ({"license_required_to": ["RU"], "authorization_required": True}, {}, True),
        # Issue 11's owner facts feed the test: an entity holder is placed by its principal
        # place of business, never by its country of organization (800.401(c)(2)).
        (
            {"license_required_to": ["CN"]},
            {
                "country": "SG",
                "principal_place_of_business": "SG",
                "owners": [
                    {
                        "name": "H",
                        "kind": "company",
                        "country": "KY",
                        "principal_place_of_business": "CN",
                        "voting_pct": 30,
                    }
                ],
            },
            True,  # a 30% holder based in China
        ),
        (
            {"license_required_to": ["CN"]},
            {
                "country": "SG",
                "principal_place_of_business": "SG",
                "owners": [{"name": "H", "kind": "company", "country": "CN", "voting_pct": 30}],
            },
            None,  # organized in China, but where it is based is not recorded
        ),
        (
            {"license_required_to": ["RU"]},
            {
                "country": "GB",
                "principal_place_of_business": "GB",
                "owners": [
                    {
                        "name": "R",
                        "kind": "individual",
                        "country": "GB",
                        "nationalities": ["GB", "RU"],
                        "voting_pct": 30,
                    }
                ],
            },
            True,  # every nationality of an individual holder counts
        ),
        (
            {"license_required_to": ["CN"]},
            {
                "country": "SG",
                "principal_place_of_business": "SG",
                "owners": [],
                "controlled_by": {"name": "L", "kind": "individual", "nationalities": ["CN"]},
            },
            None,  # a controller whose stake is not recorded may hold 25% or more
        ),
        (
            {"license_required_to": ["CN"]},
            {
                "country": "SG",
                "principal_place_of_business": "SG",
                "owners": [],
                "controlled_by": {"name": "L", "kind": "individual", "nationalities": ["SG"]},
            },
            False,  # nobody is based in China
        ),
    ],
)
def test_who_needs_an_authorization_is_derived_from_licences_by_country(
    rulebook: Any, tech: dict[str, Any], investor: dict[str, Any], needed: bool | None
) -> None:
    """800.401(c)(1)-(2): the investor by principal place of business, and 25% holders."""
    view = _deal_facts(rulebook, _tech_deal(tech, **investor))
    assert view.target.ct_authorization_required is needed


@pytest.mark.parametrize(
    ("controlled_from", "critical"),
    [("2025-01-01", True), ("2025-06-01", False)],
)
def test_a_technology_controlled_after_signing_does_not_count(
    rulebook: Any, controlled_from: str, critical: bool
) -> None:
    """800.401(c)(3): tested as of the earliest of signing and completion."""
    data = _tech_deal({"controlled_from": controlled_from, "license_required_to": ["CN"]})
    data["signing_date"] = "2025-03-01"
    view = _deal_facts(rulebook, data)
    assert view.target.critical_technology is critical


@pytest.mark.parametrize(
    ("history", "called_in"),
    [
        ({"closed": True, "notified": False}, True),
        ({"closed": True, "notified": True}, False),
        ({"closed": True}, None),
    ],
)
def test_a_covered_deal_closed_without_notice_may_be_called_in(
    rulebook: Any, history: dict[str, Any], called_in: bool | None
) -> None:
    """50 U.S.C. 4565(b)(1)(D): a non-notified covered transaction can be reviewed after closing."""
    from screening import screen

    data = copy.deepcopy(_base_deal())
    data["rights"]["voting_pct"] = 60
    data["history"] = history
    result = screen(Deal.model_validate(data), rulebook=rulebook)
    fired = "cfius.history.may_be_called_in" in result.fired
    assert fired is bool(called_in)
