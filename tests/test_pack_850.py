"""The outbound pack (31 CFR part 850): thresholds, exceptions, dates and DERIVED-850 cases.

The DERIVED-850-n cases come from cfr_examples.md part D: part 850 has no official examples, so
these are DERIVED by applying the rule text, not taken from the regulation.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from screening import screen
from screening.authoring.examples import BASE_DEAL, merge
from screening.facts.derive import derive
from screening.model.deal import Deal

US_FUND = {
    "name": "US Fund LP",
    "kind": "fund",
    "country": "US",
    "principal_place_of_business": "US",
}
PRC_TARGET = {"name": "PRC Target Co.", "country": "CN", "interstate_commerce": False}


def deal(fragment: dict[str, Any]) -> Any:
    """A deal: the fragment deep-merged onto the examples' base deal."""
    return Deal.model_validate(merge(BASE_DEAL, fragment)).root


def outbound(completion: str = "2025-06-30", **facts: Any) -> dict[str, Any]:
    """A U.S. fund's knowing equity investment in a PRC company with the given outbound facts."""
    record = {"transaction_type": "equity", "knows_relevant_facts": True} | facts
    return {
        "kind": "outbound_investment",
        "investor": US_FUND,
        "target": PRC_TARGET,
        "completion_date": completion,
        "outbound": record,
    }


def verdict_of(fragment: dict[str, Any], rulebook: Any) -> tuple[str, set[str]]:
    result = screen(deal(fragment), rulebook=rulebook)
    fired = {h.rule_id for h in result.hits if not h.suppressed_by}
    return result.regimes["outbound_850"].verdict, fired


FAB_14 = {"activities": ["ic_fabrication"], "fabricated_ic_types": ["logic"], "logic_node_nm": 14}
DESIGN = {"activities": ["ic_design"], "ic_meets_3a090a": False, "ic_cryogenic": False}


# ------------------------------------------------------------------------------------------
# Thresholds


@pytest.mark.parametrize(("node", "level"), [(16, "prohibited"), (22, "filing_required")])
def test_logic_node_16_14_nm(rulebook: Any, node: int, level: str) -> None:
    """850.224(d)(1): planar logic at 16/14 nm or below is prohibited; 22 nm is notifiable."""
    facts = {
        "activities": ["ic_fabrication"],
        "fabricated_ic_types": ["logic"],
        "logic_node_nm": node,
        "logic_non_planar": False,
        "gallium_based": False,
        "graphene_or_cnt": False,
        "ic_cryogenic": False,
    }
    assert verdict_of(outbound(**facts), rulebook)[0] == level


@pytest.mark.parametrize(("layers", "level"), [(128, "prohibited"), (127, "filing_required")])
def test_nand_128_layers(rulebook: Any, layers: int, level: str) -> None:
    """850.224(d)(2): NAND with 128 layers or more."""
    facts = {
        "activities": ["ic_fabrication"],
        "fabricated_ic_types": ["nand"],
        "nand_layers": layers,
        "gallium_based": False,
        "graphene_or_cnt": False,
        "ic_cryogenic": False,
    }
    assert verdict_of(outbound(**facts), rulebook)[0] == level


@pytest.mark.parametrize(("pitch", "level"), [("18", "prohibited"), ("18.5", "filing_required")])
def test_dram_18_nm_half_pitch(rulebook: Any, pitch: str, level: str) -> None:
    """850.224(d)(3): DRAM at 18 nm half-pitch or less."""
    facts = {
        "activities": ["ic_fabrication"],
        "fabricated_ic_types": ["dram"],
        "dram_half_pitch_nm": pitch,
        "gallium_based": False,
        "graphene_or_cnt": False,
        "ic_cryogenic": False,
    }
    assert verdict_of(outbound(**facts), rulebook)[0] == level


@pytest.mark.parametrize(
    ("ops", "level"),
    [(10**25, "filing_required"), (10**25 + 1, "prohibited"), (10**23, "clear")],
)
def test_training_compute_thresholds(rulebook: Any, ops: int, level: str) -> None:
    """850.224(k)(1) more than 10^25 prohibited; 850.217(d)(3) more than 10^23 notifiable."""
    facts = {
        "activities": ["ai_development"],
        "ai_training_operations": ops,
        "ai_exclusive_military_or_surveillance": False,
        "ai_primarily_biological_data": False,
        "ai_designed_for_military_or_surveillance": False,
        "ai_intended_uses": [],
    }
    assert verdict_of(outbound(**facts), rulebook)[0] == level


@pytest.mark.parametrize(
    ("dp", "sp", "volume", "level"),
    [
        (100, 0, 41600, "prohibited"),
        (99, 199, 41600, "clear"),
        (0, 200, 41601, "clear"),
        (0, 200, 41600, "prohibited"),
    ],
)
def test_supercomputer(rulebook: Any, dp: int, sp: int, volume: int, level: str) -> None:
    """850.224(f): 100 DP or 200 SP petaflops within 41,600 cubic feet."""
    facts = {
        "activities": ["supercomputer"],
        "supercomputer_dp_pflops": dp,
        "supercomputer_sp_pflops": sp,
        "supercomputer_volume_cu_ft": volume,
    }
    assert verdict_of(outbound(**facts), rulebook)[0] == level


@pytest.mark.parametrize(("capital", "level"), [(2_000_000, "clear"), (2_000_001, "prohibited")])
def test_lp_two_million_exception(rulebook: Any, capital: int, level: str) -> None:
    """850.501(a)(1)(iii)(A): LP committed capital of not more than $2,000,000 is excepted."""
    facts = {
        "transaction_type": "lp_interest",
        "fund_is_us_person": False,
        "fund_likely_invests_in_coc_tech": True,
        "lp_committed_capital_usd": capital,
        "lp_binding_assurance": False,
        **FAB_14,
    }
    assert verdict_of(outbound(**facts), rulebook)[0] == level


@pytest.mark.parametrize(
    ("day", "level"), [("2025-01-01", "not_in_force"), ("2025-01-02", "prohibited")]
)
def test_effective_jan_2_2025(rulebook: Any, day: str, level: str) -> None:
    """Part 850 catches transactions completed on or after Jan. 2, 2025; before, it reports that
    it is not in force (never a confident `clear`)."""
    assert verdict_of(outbound(completion=day, **FAB_14), rulebook)[0] == level


def test_why_not_before_jan_2_2025_names_the_effective_date(rulebook: Any) -> None:
    """Why-not for a transaction completed Jan. 1, 2025 says the rule was not yet in force."""
    from screening.engine.why import explain_rule

    exp = explain_rule(
        rulebook, deal(outbound(completion="2025-01-01", **FAB_14)), "outbound.prohibited"
    )
    assert exp.status == "not in force"
    assert exp.summary == "the rule is in force from 2025-01-02 to now, not on 2025-01-01"


def test_notification_due_30_days_after_completion(rulebook: Any) -> None:
    """850.404(c): the notification is due 30 calendar days after completion."""
    view = derive(
        deal(outbound(completion="2025-07-10", **DESIGN)), rulebook.references, dt.date(2025, 7, 10)
    )
    assert view.get("outbound.notification_due") == dt.date(2025, 8, 9)
    result = screen(deal(outbound(completion="2025-07-10", **DESIGN)), rulebook=rulebook)
    hit = next(h for h in result.hits if h.rule_id == "outbound.notifiable")
    assert "2025-08-09" in hit.explanation and "ten years" in hit.explanation


def test_unknown_knowledge_is_an_open_question(rulebook: Any) -> None:
    """850.216: without a knowledge finding the verdict is provisional, not clear-cut."""
    frag = outbound(**FAB_14)
    frag["outbound"]["knows_relevant_facts"] = None
    result = screen(deal(frag), rulebook=rulebook)
    assert result.regimes["outbound_850"].verdict == "clear"
    assert result.regimes["outbound_850"].provisional


def test_controlled_foreign_entity_is_caught(rulebook: Any) -> None:
    """850.206, 850.302: a Cayman vehicle wholly owned by a U.S. company acts for its parent."""
    frag = outbound(**FAB_14)
    frag["investor"] = {
        "name": "Cayman Vehicle Ltd.",
        "kind": "company",
        "country": "KY",
        "principal_place_of_business": "KY",
        "owners": [
            {"name": "US Parent Inc.", "kind": "company", "country": "US", "voting_pct": 100}
        ],
    }
    assert verdict_of(frag, rulebook)[0] == "prohibited"


def test_inbound_deals_raise_no_part_850_questions(rulebook: Any) -> None:
    """A Chinese investor's stake in a U.S. business is outside part 850 altogether."""
    result = screen(deal({}), rulebook=rulebook)
    assert result.regimes["outbound_850"].verdict == "clear"
    assert not [q for q in result.open_questions if q.regime == "outbound_850"]


# ------------------------------------------------------------------------------------------
# DERIVED-850 cases (cfr_examples.md part D; derived, not official examples)

LP = {
    "transaction_type": "lp_interest",
    "fund_is_us_person": False,
    "fund_likely_invests_in_coc_tech": True,
}
AI_1E25 = {"activities": ["ai_development"], "ai_training_operations": 2 * 10**25}

DERIVED = [
    ("DERIVED-850-1 (850.210(a)(1), 850.224(d)(1))", outbound(**FAB_14), "prohibited"),
    ("DERIVED-850-2 (850.217(a), 850.404(c))", outbound(**DESIGN), "filing_required"),
    (
        "DERIVED-850-3 (850.501(a)(1)(i))",
        outbound(publicly_traded_security=True, **FAB_14),
        "clear",
    ),
    (
        "DERIVED-850-4 (850.501(a)(2))",
        outbound(publicly_traded_security=True, **FAB_14) | {"rights": {"board_seats": 1}},
        "prohibited",
    ),
    (
        "DERIVED-850-5 (850.501(a)(1)(iii)(A))",
        outbound(lp_committed_capital_usd=1_500_000, **LP, **AI_1E25),
        "clear",
    ),
    (
        "DERIVED-850-6 (850.210(a)(6), 850.224(k)(1))",
        outbound(lp_committed_capital_usd=5_000_000, lp_binding_assurance=False, **LP, **AI_1E25),
        "prohibited",
    ),
    (
        "DERIVED-850-7 (850.210(a)(5), 850.217(d)(2)(iv))",
        {
            "kind": "joint_venture",
            "jv_country": "DE",
            "investor": US_FUND,
            "co_investors": [{"party": {"name": "PRC Co.", "kind": "company", "country": "CN"}}],
            "target": {"name": "JV GmbH", "country": "DE", "interstate_commerce": False},
            "outbound": {
                "knows_relevant_facts": True,
                "activities": ["ai_development"],
                "ai_intended_uses": ["robotic_control"],
                "ai_training_operations": 10**22,
                "ai_exclusive_military_or_surveillance": False,
            },
        },
        "filing_required",
    ),
    (
        "DERIVED-850-8 (850.217(d)(3))",
        outbound(
            activities=["ai_development"],
            ai_training_operations=5 * 10**23,
            ai_exclusive_military_or_surveillance=False,
            ai_primarily_biological_data=False,
        ),
        "filing_required",
    ),
    (
        "DERIVED-850-9 (850.224(k)(2))",
        outbound(
            activities=["ai_development"],
            ai_training_operations=2 * 10**24,
            ai_primarily_biological_data=True,
        ),
        "prohibited",
    ),
    ("DERIVED-850-10 (850.208, 850.217, 850.224)", outbound(activities=[]), "clear"),
    (
        "DERIVED-850-11 (850.224(m)(1))",
        outbound(target_lists=["bis_entity_list"], **DESIGN),
        "prohibited",
    ),
    (
        "DERIVED-850-12 (850.209(a)(2), 850.224(e), (l))",
        outbound(
            activities=["ic_packaging"],
            advanced_packaging=True,
            revenue_from_covered_pct=60,
            target_principal_place_of_business="KY",
            target_headquarters="KY",
            target_coc_owned_pct=0,
        )
        | {"target": {"country": "KY"}},
        "prohibited",
    ),
    (
        "DERIVED-850-13 (850.210(a)(2))",
        outbound(transaction_type="debt", debt_equity_like_rights=True, **DESIGN)
        | {"kind": "lending"},
        "filing_required",
    ),
    ("DERIVED-850-14 (850.501(b))", outbound(full_buyout_of_coc_persons=True, **FAB_14), "clear"),
    (
        "DERIVED-850-15 (850.501(d))",
        outbound(completion="2025-03-14", uncalled_commitment_date="2024-12-10", **FAB_14),
        "clear",
    ),
    (
        "DERIVED-850-16 (850.210(a)(4), 850.224(d)(1), 850.302)",
        outbound(
            transaction_type="greenfield",
            activities=["ic_fabrication"],
            fabricated_ic_types=["logic"],
            logic_node_nm=16,
        )
        | {"kind": "greenfield"},
        "prohibited",
    ),
]


@pytest.mark.parametrize(("label", "fragment", "level"), DERIVED, ids=[d[0][:14] for d in DERIVED])
def test_derived_850_cases(rulebook: Any, label: str, fragment: dict[str, Any], level: str) -> None:
    """Each DERIVED-850 case (derived from the rule text, not an official example) holds."""
    assert verdict_of(fragment, rulebook)[0] == level, label


def test_derived_850_12_uses_the_fifty_percent_test(rulebook: Any) -> None:
    """DERIVED-850-12 (derived): the Cayman holdco is covered only through 850.209(a)(2)."""
    frag = DERIVED[11][1]
    view = derive(deal(frag), rulebook.references, dt.date(2025, 6, 30))
    assert view.get("outbound.coc_person") is False
    assert view.get("outbound.financial_test_over_50") is True


def test_us_investor_in_us_business_raises_no_part_850_questions(rulebook: Any) -> None:
    """A U.S. investor's stake in a U.S. business, with no outbound record, is outside part 850."""
    frag = {"investor": {"country": "US", "principal_place_of_business": "US"}}
    result = screen(deal(frag), rulebook=rulebook)
    assert not [q for q in result.open_questions if q.regime == "outbound_850"]


def test_outbound_deal_without_record_is_provisional(rulebook: Any) -> None:
    """An outbound investment with no outbound record leaves part 850 open, not clear-cut."""
    frag = {"kind": "outbound_investment", "investor": US_FUND, "target": PRC_TARGET}
    result = screen(deal(frag), rulebook=rulebook)
    assert result.regimes["outbound_850"].provisional
