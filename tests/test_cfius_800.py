"""CFIUS part 800: the official examples of cfr_examples.md part A and the threshold edges.

Each case is a deal fragment merged onto screening.authoring.examples.BASE_DEAL (a Chinese company with no
owners of note taking 5% passive in a U.S. business with no critical technology, infrastructure
or sensitive data), the rules that must fire and those that must not, and its citation.
"""

from __future__ import annotations

from typing import Any

import pytest

from screening import screen
from screening.authoring.examples import BASE_DEAL, merge
from screening.model.deal import Deal

CT_LICENSED = {
    "critical_technologies": [
        {
            "description": "NS-controlled cathode process",
            "basis": "ccl_multilateral",
            "eccn": "1C011",
            "authorization_required": True,
            "license_exception": "none",
        }
    ]
}
CT_UNLICENSED = {
    "critical_technologies": [
        {"description": "item", "basis": "ccl_multilateral", "authorization_required": False}
    ]
}
ACTIVE = {"passive_undertaking": False}


def gov_owner(pct: Any, parent_pct: Any = None) -> dict[str, Any]:
    """An investor owned by a Chinese state directly, or through a holding company."""
    state = {"name": "Provincial SASAC", "kind": "government", "country": "CN", "voting_pct": pct}
    if parent_pct is None:
        return {"investor": {"owners": [state]}}
    holdco = {
        "name": "State Holdco",
        "kind": "state_owned_enterprise",
        "country": "CN",
        "voting_pct": parent_pct,
        "owners": [state],
    }
    return {"investor": {"owners": [holdco]}}


def case(*fragments: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fragments:
        out = merge(out, f)
    return out


CASES: list[tuple[str, str, dict[str, Any], list[str], list[str]]] = [
    # -- control, 800.208(e) ----------------------------------------------------------------
    (
        "800.208-3",
        "800.208(e)(3)",
        {"rights": {"voting_pct": 7, "control_matters": ["significant_contracts"], **ACTIVE}},
        ["cfius.control", "cfius.covered_control_transaction"],
        [],
    ),
    (
        "800.208-4",
        "800.208(e)(4)",
        {"rights": {"voting_pct": 9, "control_matters": ["officers_senior_managers"], **ACTIVE}},
        ["cfius.control"],
        [],
    ),
    (
        "800.208-5",
        "800.208(e)(5)",
        {
            "rights": {
                "voting_pct": 13,
                "board_seats": 1,
                "board_size": 7,
                **ACTIVE,
                "minority_protections": [
                    "veto_sale_of_substantially_all_assets",
                    "preemptive_anti_dilution",
                ],
            }
        },
        ["cfius.control.minority_protections_only"],
        ["cfius.control"],
    ),
    (
        "800.208-6",
        "800.208(e)(6)",
        {
            "rights": {
                "voting_pct": 20,
                "passive_undertaking": True,
                "minority_protections": [
                    "veto_contracts_with_majority_investors",
                    "veto_guarantees_for_majority_investors",
                ],
            }
        },
        [],
        ["cfius.control"],
    ),
    (
        "800.208-1",
        "800.208(e)(1) (concert: 5 x 10% voting as a bloc, with the 50% holder's "
        "blocking recorded per the rule notes)",
        {
            "rights": {"voting_pct": 10, **ACTIVE},
            "co_investors": [
                {
                    "party": {"name": f"FP{i}", "kind": "company", "country": "CN"},
                    "voting_pct": 10,
                    "acts_in_concert": True,
                }
                for i in range(5)
            ],
        },
        ["cfius.control"],
        [],
    ),
    (
        "800.208-2",
        "800.208(e)(2)",
        {
            "rights": {"voting_pct": 10, **ACTIVE},
            "co_investors": [
                {
                    "party": {"name": f"FP{i}", "kind": "company", "country": "CN"},
                    "voting_pct": 10,
                    "acts_in_concert": False,
                }
                for i in range(4)
            ],
        },
        [],
        ["cfius.control"],
    ),
    # -- covered investment, 800.211(d), 800.303(d), 800.304(f) --------------------------------
    (
        "800.211-1",
        "800.211(d)",
        {
            "target": CT_UNLICENSED,
            "rights": {"voting_pct": 4, "board_nomination_right": True, **ACTIVE},
        },
        ["cfius.covered_investment", "cfius.covered"],
        ["cfius.control"],
    ),
    (
        "800.303-1",
        "800.303(d)(1)",
        {"target": CT_UNLICENSED, "rights": {"voting_pct": 4, "board_observer": True, **ACTIVE}},
        ["cfius.covered_investment"],
        [],
    ),
    (
        "800.303-2",
        "800.303(d)(2)",
        {
            "target": CT_UNLICENSED,
            "rights": {"voting_pct": 4, "involvement": ["critical_technologies"], **ACTIVE},
        },
        ["cfius.covered_investment"],
        [],
    ),
    (
        "800.304-1",
        "800.304(f)(1)",
        {
            "target": CT_UNLICENSED,
            "kind": "equity_stake",
            "open_market_purchase": True,
            "rights": {"voting_pct": 7},
        },
        ["cfius.not_covered.passive_10pct"],
        ["cfius.covered_investment", "cfius.covered"],
    ),
    (
        "800.304-3",
        "800.304(f)(3): an excepted investor",
        {
            "investor": {
                "country": "GB",
                "principal_place_of_business": "GB",
                "board_us_or_excepted_pct": 100,
                "minimum_excepted_ownership_met": True,
            },
            "target": CT_UNLICENSED,
            "rights": {"voting_pct": 4, "board_observer": True, **ACTIVE},
        },
        # Not a covered investment: the exception is an exemption (so that an unknown excepted
        # status keeps the deal covered), which sets aside every cfius_800 outcome here.
        ["cfius.excepted_investor", "cfius.exempt.excepted_investor_ci"],
        ["cfius.covered_control_transaction"],
    ),
    (
        "800.304-4",
        "800.304(f)(4): excepted investor buying 100% is still a covered control transaction",
        {
            "investor": {
                "country": "GB",
                "principal_place_of_business": "GB",
                "board_us_or_excepted_pct": 100,
                "minimum_excepted_ownership_met": True,
            },
            "target": CT_LICENSED,
            "rights": {"voting_pct": 100, **ACTIVE},
        },
        ["cfius.covered_control_transaction", "cfius.exempt.excepted_investor_ct"],
        ["cfius.covered_investment"],
    ),
    (
        "800.304-2",
        "800.304(f)(2): follow-on with no new rights after a cleared covered investment",
        {
            "target": CT_UNLICENSED,
            "rights": {"voting_pct": 9, "board_observer": True, **ACTIVE},
            "prior": {
                "rights": {
                    "voting_pct": 4,
                    "board_observer": True,
                    "board_seats": 0,
                    "board_nomination_right": False,
                    "mnpti_access": False,
                    "involvement": [],
                },
                "clearances": [{"kind": "covered_investment", "cleared_on": "2023-01-10"}],
            },
        },
        ["cfius.not_covered.follow_on_no_new_rights"],
        ["cfius.covered"],
    ),
    (
        "800.303-4",
        "800.303(d)(4): follow-on adding a board-appointment right is covered again",
        {
            "target": CT_UNLICENSED,
            "rights": {"voting_pct": 9, "board_seats": 1, "mnpti_access": True, **ACTIVE},
            "prior": {
                "rights": {
                    "voting_pct": 4,
                    "mnpti_access": True,
                    "board_seats": 0,
                    "board_observer": False,
                    "board_nomination_right": False,
                    "involvement": [],
                },
                "clearances": [{"kind": "covered_investment", "cleared_on": "2023-01-10"}],
            },
        },
        ["cfius.covered_investment"],
        ["cfius.not_covered.follow_on_no_new_rights"],
    ),
    # -- change of rights and evasion, 800.213(e) -----------------------------------------------
    (
        "800.213-1",
        "800.213(e)(1)",
        {
            "rights": {"voting_pct": 10, "control_matters": ["officers_senior_managers"], **ACTIVE},
            "prior": {"rights": {"voting_pct": 10, "control_matters": []}},
        },
        ["cfius.change_of_rights", "cfius.covered"],
        [],
    ),
    (
        "800.213-3",
        "800.213(e)(3)",
        {"evasion_structure": True},
        ["cfius.evasion", "cfius.covered.evasion"],
        [],
    ),
    # -- TID, 800.241(c), 800.247(b), 800.248(d) ------------------------------------------------
    (
        "800.241-1",
        "800.241(c)(1): geolocation on >1,000,000 within 12 months",
        {
            "target": {
                "sensitive_data": {
                    "categories": ["geolocation"],
                    "individuals_max_12_months": 1_200_000,
                }
            }
        },
        ["cfius.tid.sensitive_personal_data"],
        [],
    ),
    (
        "800.241-4",
        "800.241(c)(4): categories combine (400,000 + 700,000)",
        {
            "target": {
                "sensitive_data": {
                    "categories": ["financial_distress", "health"],
                    "individuals_max_12_months": 1_100_000,
                }
            }
        },
        ["cfius.tid.sensitive_personal_data"],
        [],
    ),
    (
        "800.241-5",
        "800.241(c)(5): demonstrated business objective",
        {
            "target": {
                "sensitive_data": {
                    "categories": ["geolocation"],
                    "individuals_max_12_months": 40_000,
                    "business_objective_over_1m": True,
                    "data_integral_to_products": True,
                }
            }
        },
        ["cfius.tid.sensitive_personal_data"],
        [],
    ),
    (
        "800.247-2",
        "800.247(b)(2): targets U.S. government personnel (any volume)",
        {
            "target": {
                "sensitive_data": {
                    "categories": ["health"],
                    "individuals_max_12_months": 5_000,
                    "targets_us_government_personnel": True,
                }
            }
        },
        ["cfius.tid.sensitive_personal_data"],
        [],
    ),
    (
        "800.248-1",
        "800.248(d)(1): USML item",
        {
            "target": {
                "critical_technologies": [
                    {
                        "description": "explosives",
                        "basis": "usml",
                        "usml_category": "V",
                        "authorization_required": True,
                    }
                ]
            }
        },
        ["cfius.tid.critical_technology", "cfius.tid_us_business"],
        [],
    ),
    (
        "800.248-3",
        "800.248(d)(3): ability to produce retained",
        {
            "target": {
                "critical_technologies": [
                    {"description": "x", "basis": "ccl_multilateral", "activity_current": True}
                ]
            }
        },
        ["cfius.tid.critical_technology"],
        [],
    ),
    (
        "800.248-5",
        "800.248(d)(5): owner of a 36-inch interstate gas pipeline (item xxiii)",
        {"target": {"infrastructure": [{"item": "xxiii", "function": "own"}]}},
        ["cfius.tid.critical_infrastructure"],
        [],
    ),
    (
        "800.248-5b",
        "800.248(d)(5): the maker of its pipe segments is not TID",
        {"target": {"infrastructure": [{"item": "xxiii", "function": "manufacture"}]}},
        [],
        ["cfius.tid.critical_infrastructure"],
    ),
    (
        "800.248-7",
        "800.248(d)(7): SCADA builder for a public water system (item xxviii)",
        {"target": {"infrastructure": [{"item": "xxviii", "function": "manufacture"}]}},
        ["cfius.tid.critical_infrastructure"],
        [],
    ),
    (
        "800.248-10",
        "800.248(d)(10): credit reporting agency, >1M consumer reports",
        {
            "target": {
                "sensitive_data": {
                    "categories": ["consumer_report"],
                    "individuals_max_12_months": 150_000_000,
                }
            }
        },
        ["cfius.tid.sensitive_personal_data"],
        [],
    ),
    # -- substantial interest and mandatory declarations, 800.244(d), 800.401 --------------------
    (
        "800.244-1",
        "800.244(d)(1): parent counts as 100%",
        case(
            gov_owner(75, parent_pct=51),
            {"target": CT_UNLICENSED, "rights": {"voting_pct": 30, "board_seats": 1, **ACTIVE}},
        ),
        [
            "cfius.foreign_government_substantial_interest",
            "cfius.mandatory.gov_substantial_interest",
        ],
        [],
    ),
    (
        "800.244-2",
        "800.244(d)(2): 0.75 x 0.49 = 36.75%",
        case(
            gov_owner(75, parent_pct=49),
            {"target": CT_UNLICENSED, "rights": {"voting_pct": 30, **ACTIVE}},
        ),
        ["cfius.substantial_interest"],
        [
            "cfius.foreign_government_substantial_interest",
            "cfius.mandatory.gov_substantial_interest",
        ],
    ),
    (
        "DERIVED-PKG-1",
        "800.401(b)-(c): state-backed battery-materials stake",
        case(
            gov_owner(100, parent_pct=60),
            {"target": CT_LICENSED, "rights": {"voting_pct": 30, "board_seats": 2, **ACTIVE}},
        ),
        ["cfius.mandatory.gov_substantial_interest", "cfius.mandatory.critical_technology"],
        [],
    ),
    (
        "800.401(e)(6)",
        "800.401(e)(6): TSU/ENC/STA licence exceptions",
        {
            "target": {
                "critical_technologies": [
                    {
                        "description": "encryption item",
                        "basis": "ccl_multilateral",
                        "eccn": "5A002",
                        "authorization_required": True,
                        "license_exception": "ENC",
                    }
                ]
            },
            "rights": {"voting_pct": 20, "board_seats": 1, **ACTIVE},
        },
        ["cfius.exempt.license_exceptions_ct"],
        [],
    ),
    (
        "800.401(j)(5)",
        "800.401(j)(5): other licence exceptions do not exempt",
        {
            "target": {
                "critical_technologies": [
                    {
                        "description": "item",
                        "basis": "ccl_multilateral",
                        "authorization_required": True,
                        "license_exception": "other",
                    }
                ]
            },
            "rights": {"voting_pct": 20, "board_seats": 1, **ACTIVE},
        },
        ["cfius.mandatory.critical_technology"],
        ["cfius.exempt.license_exceptions_ct"],
    ),
    # -- not covered, 800.301(e), 800.302 ---------------------------------------------------------
    (
        "800.301-e7",
        "800.301(e)(7): greenfield through a new subsidiary",
        {
            "kind": "greenfield",
            "through_newly_formed_subsidiary": True,
            "rights": {"voting_pct": 100, **ACTIVE},
        },
        ["cfius.not_covered.greenfield"],
        ["cfius.covered"],
    ),
    (
        "800.302-f6",
        "800.302(f)(6): long-term offtake without transfer of operations",
        {
            "kind": "supply_partnership",
            "arrangement": "offtake",
            "transfers_business_operations": False,
            "rights": {"voting_pct": 0},
        },
        ["cfius.not_covered.supply_or_license"],
        ["cfius.covered"],
    ),
    (
        "800.302-c",
        "800.302(c): assets that are not a U.S. business",
        {
            "kind": "acquisition",
            "assets_only": True,
            "assets_constitute_us_business": False,
            "rights": {"voting_pct": 100, **ACTIVE},
        },
        ["cfius.not_covered.assets_not_business"],
        ["cfius.covered"],
    ),
    (
        "800.305-1",
        "800.305(b)(1): buying the rest after a cleared control acquisition",
        {
            "rights": {"voting_pct": 100, **ACTIVE},
            "prior": {
                "rights": {"voting_pct": 40, "control_matters": ["officers_senior_managers"]},
                "clearances": [{"kind": "control", "cleared_on": "2022-03-01"}],
            },
        },
        ["cfius.not_covered.incremental_after_control_clearance"],
        ["cfius.covered_control_transaction"],
    ),
    (
        "800.306-3",
        "800.306(d)(3): a loan giving a board majority is control",
        {
            "kind": "lending",
            "rights": {"voting_pct": 0, "board_seats": 4, "board_size": 7, **ACTIVE},
        },
        ["cfius.control", "cfius.covered"],
        [],
    ),
]


@pytest.mark.parametrize(
    ("name", "cite", "fragment", "fires", "quiet"), CASES, ids=[c[0] for c in CASES]
)
def test_regulation_example(
    rulebook: Any,
    name: str,
    cite: str,
    fragment: dict[str, Any],
    fires: list[str],
    quiet: list[str],
) -> None:
    """Each official example (cfr_examples.md part A) gives the regulation's answer."""
    deal = Deal.model_validate(merge(BASE_DEAL, {"id": "case", **fragment})).root
    result = screen(deal, rulebook=rulebook)
    fired = set(result.fired)
    assert set(fires) <= fired, f"{name} ({cite}): expected {sorted(set(fires) - fired)} to fire"
    assert not set(quiet) & fired, f"{name} ({cite}): {sorted(set(quiet) & fired)} fired"


def _verdict(rulebook: Any, fragment: dict[str, Any]) -> Any:
    deal = Deal.model_validate(merge(BASE_DEAL, {"id": "edge", **fragment})).root
    return screen(deal, rulebook=rulebook)


@pytest.mark.parametrize(("voting", "fires"), [("24.99", False), ("25", True), ("25.01", True)])
def test_substantial_interest_edge(rulebook: Any, voting: str, fires: bool) -> None:
    """800.244(a): a voting interest of 25% or more is a substantial interest."""
    r = _verdict(
        rulebook,
        case(
            gov_owner(100),
            {"target": CT_UNLICENSED, "rights": {"voting_pct": voting, "board_seats": 1, **ACTIVE}},
        ),
    )
    assert (r.hit("cfius.mandatory.gov_substantial_interest") is not None) is fires


@pytest.mark.parametrize(("gov", "fires"), [("48.99", False), ("49", True), ("49.01", True)])
def test_government_interest_edge(rulebook: Any, gov: str, fires: bool) -> None:
    """800.244(a): governments of one state holding 49% or more."""
    r = _verdict(
        rulebook,
        case(
            gov_owner(gov),
            {"target": CT_UNLICENSED, "rights": {"voting_pct": 30, "board_seats": 1, **ACTIVE}},
        ),
    )
    assert (r.hit("cfius.mandatory.gov_substantial_interest") is not None) is fires
    assert r.verdict == ("filing_required" if fires else "filing_advised") or not fires


@pytest.mark.parametrize(("count", "fires"), [(1_000_000, False), (1_000_001, True)])
def test_sensitive_data_edge(rulebook: Any, count: int, fires: bool) -> None:
    """800.241(a)(1)(i)(B): more than 1,000,000 individuals."""
    r = _verdict(
        rulebook,
        {
            "target": {
                "sensitive_data": {
                    "categories": ["geolocation"],
                    "individuals_max_12_months": count,
                }
            }
        },
    )
    assert (r.hit("cfius.tid.sensitive_personal_data") is not None) is fires


@pytest.mark.parametrize(("voting", "passive"), [("10", True), ("10.01", False)])
def test_passive_ten_percent_edge(rulebook: Any, voting: str, passive: bool) -> None:
    """800.302(b): 10% or less, solely for passive investment, is not a covered control transaction."""
    r = _verdict(rulebook, {"rights": {"voting_pct": voting}})
    assert (r.hit("cfius.not_covered.passive_10pct") is not None) is passive


def test_401c_not_in_force_before_october_2020(rulebook: Any) -> None:
    """The current 800.401(c) test applies from Oct. 15, 2020 (85 FR 57128)."""
    fragment = {"target": CT_LICENSED, "rights": {"voting_pct": 20, "board_seats": 1, **ACTIVE}}
    before = _verdict(rulebook, {**fragment, "completion_date": "2020-10-14"})
    after = _verdict(rulebook, {**fragment, "completion_date": "2020-10-15"})
    assert before.hit("cfius.mandatory.critical_technology") is None
    assert after.hit("cfius.mandatory.critical_technology") is not None


def test_mandatory_explanation_states_deadline_and_penalty(rulebook: Any) -> None:
    """Mandatory-filing explanations give the 30-day deadline and the 800.901(b) ceiling."""
    r = _verdict(
        rulebook, {"target": CT_LICENSED, "rights": {"voting_pct": 20, "board_seats": 1, **ACTIVE}}
    )
    hit = r.hit("cfius.mandatory.critical_technology")
    assert hit is not None
    assert "30 days" in hit.explanation and "$5,000,000" in hit.explanation


def test_unknown_fact_becomes_an_open_question(rulebook: Any) -> None:
    """An unknown that could raise the verdict is an open question; the verdict is provisional."""
    data = merge(
        BASE_DEAL, {"id": "unknown", "rights": {"voting_pct": 20, "board_seats": 1, **ACTIVE}}
    )
    data["target"].pop("critical_technologies")
    r = screen(Deal.model_validate(data).root, rulebook=rulebook)
    assert r.provisional
    q = next(q for q in r.open_questions if q.rule_id == "cfius.mandatory.critical_technology")
    assert (
        "target.critical_technology" in q.unknown_facts
        or "target.ct_authorization_required" in q.unknown_facts
    )


def test_suppressed_hit_stays_visible(rulebook: Any) -> None:
    """An exempted rule is shown as "would apply, but exempted by …"."""
    r = _verdict(
        rulebook,
        {
            "investor": {
                "country": "GB",
                "principal_place_of_business": "GB",
                "board_us_or_excepted_pct": 100,
                "minimum_excepted_ownership_met": True,
            },
            "target": CT_LICENSED,
            "rights": {"voting_pct": 100, **ACTIVE},
        },
    )
    hit = r.hit("cfius.mandatory.critical_technology")
    assert hit is not None and hit.suppressed_by == ["cfius.exempt.excepted_investor_ct"]
    assert r.regimes["cfius_800"].verdict == "covered"
