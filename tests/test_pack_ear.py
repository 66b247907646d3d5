"""The EAR pack: deemed exports, the Entity List licence requirement and review policy, the
Affiliates Rule by date, licence exceptions and licences held."""

from __future__ import annotations

from typing import Any

import pytest

from screening import screen
from screening.authoring.examples import BASE_DEAL, merge
from screening.model.deal import Deal

RELEASE = {
    "releases_technology": True,
    "published_or_fundamental": False,
    "recipient_countries": ["CN"],
}
HIKVISION = {"investor": {"name": "Hangzhou Hikvision Digital Technology Co., Ltd."}}


def run(fragment: dict[str, Any], rulebook: Any) -> tuple[str, set[str]]:
    base = merge(BASE_DEAL, {"completion_date": "2026-03-31", "export_control": RELEASE})
    result = screen(Deal.model_validate(merge(base, fragment)).root, rulebook=rulebook)
    return result.regimes["ear"].verdict, {h.rule_id for h in result.hits if not h.suppressed_by}


@pytest.mark.parametrize(
    ("policy", "level"),
    [
        ("presumption_of_denial", "prohibited"),
        ("case_by_case", "filing_required"),
        ("presumption_of_approval", "filing_required"),
    ],
)
def test_entity_list_policy(rulebook: Any, policy: str, level: str) -> None:
    """744.16(a), (c): licence for all items (EAR99 too); denial policy treated as prohibited."""
    frag = merge(
        HIKVISION,
        {
            "export_control": {
                "eccn": "EAR99",
                "entity_list_covers_items": True,
                "entity_list_policy": policy,
            }
        },
    )
    assert run(frag, rulebook)[0] == level


def test_entity_list_licence_held_suppresses(rulebook: Any) -> None:
    """A licence BIS issued suppresses the licence requirement (the rule stays visible)."""
    frag = merge(
        HIKVISION,
        {
            "export_control": {
                "eccn": "EAR99",
                "entity_list_covers_items": True,
                "entity_list_policy": "presumption_of_denial",
                "licence_held": True,
            }
        },
    )
    # The release still takes place, under the licence: covered (734.13(b), 734.15), not clear.
    verdict, fired = run(frag, rulebook)
    assert verdict == "covered"
    assert "ear.entity_list.licence" not in fired


def test_entity_list_unknown_policy_is_an_open_question(rulebook: Any) -> None:
    """Unknown policy: the licence is required and the denial stays an open question."""
    frag = merge(HIKVISION, {"export_control": {"eccn": "EAR99", "entity_list_covers_items": True}})
    base = merge(BASE_DEAL, {"completion_date": "2026-03-31", "export_control": RELEASE})
    result = screen(Deal.model_validate(merge(base, frag)).root, rulebook=rulebook)
    assert result.regimes["ear"].verdict == "filing_required"
    assert "ear.entity_list.denial" in {q.rule_id for q in result.open_questions}


@pytest.mark.parametrize(
    ("date", "pct", "level"),
    [
        ("2025-09-28", 60, "clear"),  # before the Affiliates Rule
        ("2025-09-29", 60, "filing_required"),
        ("2025-11-09", 60, "filing_required"),
        ("2025-11-10", 60, "filing_advised"),  # suspended
        ("2026-11-09", 60, "filing_advised"),
        ("2026-11-10", 60, "filing_required"),  # back in force (extension not verified)
        ("2026-11-10", "49.99", "clear"),
        ("2026-11-10", 50, "filing_required"),
    ],
)
def test_affiliates_rule_by_date(rulebook: Any, date: str, pct: Any, level: str) -> None:
    """744.11(a)(1): 50% or more owned by listed parties, only while the rule is in force."""
    frag = {
        "completion_date": date,
        "investor": {
            "country": "SG",
            "principal_place_of_business": "SG",
            "owners": [
                {
                    "name": "Listed Parent",
                    "kind": "company",
                    "country": "CN",
                    "equity_pct": pct,
                    "lists": ["bis_entity_list"],
                    "owners": [],
                }
            ],
        },
        "export_control": {"eccn": "EAR99", "recipient_countries": ["SG"]},
    }
    verdict, fired = run(frag, rulebook)
    # Below the rule's reach the EAR99 release itself is only information (covered).
    assert verdict == ("covered" if level == "clear" else level)
    assert ("ear.affiliates.licence" in fired) is (level == "filing_required")


def test_affiliates_rule_reaches_non_us_entities_only(rulebook: Any) -> None:
    """A U.S. entity owned by a listed party is not itself restricted by the Affiliates Rule."""
    frag = {
        "completion_date": "2026-12-01",
        "investor": {"country": "US", "principal_place_of_business": "US"},
        "export_control": {"eccn": "EAR99", "recipient_countries": ["CN"], "listed_owner_pct": 100},
    }
    assert "ear.affiliates.licence" not in run(frag, rulebook)[1]


@pytest.mark.parametrize(
    ("facts", "level"),
    [
        (
            {"eccn": "3E001", "licence_required_for_country": True, "licence_exception": False},
            "filing_required",
        ),
        (
            {"eccn": "3E001", "licence_required_for_country": True, "licence_exception": True},
            "covered",
        ),
        ({"eccn": "3E001", "licence_required_for_country": False}, "covered"),
        ({"eccn": "EAR99"}, "covered"),
        (
            {
                "eccn": "3E001",
                "licence_required_for_country": True,
                "licence_exception": False,
                "licence_held": True,
            },
            "covered",  # released under the licence held
        ),
        # A recorded licence requirement counts for EAR99 items too (part 746 embargoes).
        (
            {"eccn": "EAR99", "licence_required_for_country": True, "licence_exception": False},
            "filing_required",
        ),
    ],
)
def test_deemed_export_licence(rulebook: Any, facts: dict[str, Any], level: str) -> None:
    """734.13(b), 734.15(b): a controlled release to a foreign person needs a licence."""
    assert run({"export_control": facts}, rulebook)[0] == level


@pytest.mark.parametrize(
    ("facts", "level"),
    [
        (
            {
                "recipient_countries": ["US"],
                "eccn": "3E001",
                "licence_required_for_country": True,
                "licence_exception": False,
            },
            "clear",
        ),
        (
            {
                "published_or_fundamental": True,
                "eccn": "3E001",
                "licence_required_for_country": True,
                "licence_exception": False,
            },
            "clear",
        ),
    ],
)
def test_no_release_to_a_foreign_person(rulebook: Any, facts: dict[str, Any], level: str) -> None:
    """U.S. recipients only, or published information: no deemed export."""
    assert run({"export_control": facts}, rulebook)[0] == level


def test_unknown_classification_is_an_open_question(rulebook: Any) -> None:
    """Unknown ECCN never clears: the release is covered on every reading, and the licence rule
    stays an open question that could raise it to filing_required."""
    base = merge(BASE_DEAL, {"completion_date": "2026-03-31", "export_control": RELEASE})
    result = screen(Deal.model_validate(base).root, rulebook=rulebook)
    assert result.regimes["ear"].verdict == "covered"
    assert result.regimes["ear"].ceiling in ("filing_required", "prohibited")
    assert "ear.deemed_export.licence" in {q.rule_id for q in result.open_questions}


def test_affiliates_rule_through_name_screening(rulebook: Any) -> None:
    """An owner matched to the Entity List by name (not declared) also counts when in force."""
    frag = {
        "completion_date": "2026-12-01",
        "investor": {
            "country": "SG",
            "principal_place_of_business": "SG",
            "owners": [
                {
                    "name": "Yangtze Memory Technologies Co., Ltd.",
                    "kind": "company",
                    "country": "CN",
                    "equity_pct": 60,
                    "owners": [],
                }
            ],
        },
        "export_control": {"eccn": "EAR99", "recipient_countries": ["SG"]},
    }
    assert "ear.affiliates.licence" in run(frag, rulebook)[1]
