"""The DOJ Data Security Program pack (28 CFR part 202): bulk thresholds, covered persons, the
passive-investment exclusion, dates, and the cfr_examples part C rows the model can express."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from screening import screen
from screening.authoring.examples import BASE_DEAL, merge
from screening.facts.derive import derive
from screening.model.deal import Deal

DATA_KEYS = {
    "counterparty_designated": False,
    "government_related": False,
    "biospecimens": False,
    "structured_to_evade": False,
    "official_business": False,
    "cfius_action": False,
}


def deal(fragment: dict[str, Any]) -> Any:
    """A deal: the fragment deep-merged onto the examples' base deal."""
    return Deal.model_validate(merge(BASE_DEAL, fragment)).root


def vendor(categories: list[str], count: int, **data: Any) -> dict[str, Any]:
    """A vendor agreement giving the (Chinese) counterparty access to one dataset."""
    return {
        "kind": "supply_partnership",
        "data_transaction": {
            **DATA_KEYS,
            "agreements": ["vendor"],
            "counterparty_access": True,
            "datasets": [{"categories": categories, "count": count}],
            **data,
        },
    }


def run(
    fragment: dict[str, Any], rulebook: Any, as_of: dt.date | None = None
) -> tuple[str, set[str]]:
    result = screen(deal(fragment), rulebook=rulebook, as_of=as_of)
    fired = {h.rule_id for h in result.hits if not h.suppressed_by}
    return result.regimes["dsp_202"].verdict, fired


# ------------------------------------------------------------------------------------------
# Bulk thresholds, 202.205: bulk means MORE THAN the threshold

EDGES = [
    ("human_genomic", 100),
    ("human_omic_other", 1000),
    ("biometric", 1000),
    ("precise_geolocation", 1000),
    ("personal_health", 10000),
    ("personal_financial", 10000),
    ("covered_personal_identifiers", 100000),
]


@pytest.mark.parametrize(("category", "threshold"), EDGES, ids=[e[0] for e in EDGES])
def test_bulk_threshold_edges(rulebook: Any, category: str, threshold: int) -> None:
    """28 CFR 202.205: data on exactly the threshold is not bulk; one more is."""
    at = derive(deal(vendor([category], threshold)), rulebook.references, dt.date(2025, 6, 30))
    over = derive(
        deal(vendor([category], threshold + 1)), rulebook.references, dt.date(2025, 6, 30)
    )
    assert at.get("data.bulk") is False
    assert over.get("data.bulk") is True
    assert over.get("data.bulk_categories") == [category]


def test_combined_dataset_uses_the_lowest_threshold(rulebook: Any) -> None:
    """28 CFR 202.205: a combined dataset is bulk above the lowest threshold of its categories."""
    cats = ["covered_personal_identifiers", "biometric"]
    assert (
        derive(deal(vendor(cats, 1000)), rulebook.references, dt.date(2025, 6, 30)).get("data.bulk")
        is False
    )
    assert (
        derive(deal(vendor(cats, 1001)), rulebook.references, dt.date(2025, 6, 30)).get("data.bulk")
        is True
    )


def test_unknown_count_stays_unknown(rulebook: Any) -> None:
    """A dataset without a count leaves bulk status unknown: the verdict is provisional."""
    frag = vendor(["personal_health"], 0)
    frag["data_transaction"]["datasets"] = [{"categories": ["personal_health"]}]
    result = screen(deal(frag), rulebook=rulebook)
    assert result.regimes["dsp_202"].verdict == "clear"
    assert result.regimes["dsp_202"].provisional
    assert any(q.rule_id == "dsp.restricted" for q in result.open_questions)


def test_government_related_data_counts_at_any_volume(rulebook: Any) -> None:
    """28 CFR 202.222: government-related data has no bulk threshold."""
    verdict, fired = run(
        vendor(["precise_geolocation"], 5, government_related=True, cisa_compliant=True), rulebook
    )
    assert verdict == "filing_advised"
    assert "dsp.restricted" in fired


# ------------------------------------------------------------------------------------------
# Prohibited and restricted


def test_brokerage_of_genomes_is_prohibited(rulebook: Any) -> None:
    """28 CFR 202.301 and 202.303: selling 101 genomes to a PRC company."""
    frag = vendor(["human_genomic"], 101)
    frag["data_transaction"]["agreements"] = ["data_brokerage"]
    verdict, fired = run(frag, rulebook)
    assert verdict == "prohibited"
    assert {"dsp.prohibited.data_brokerage", "dsp.prohibited.omic"} <= fired


def test_omic_is_prohibited_even_with_cisa_controls(rulebook: Any) -> None:
    """28 CFR 202.303: 'omic data is prohibited outright, not restricted."""
    verdict, fired = run(vendor(["human_genomic"], 101, cisa_compliant=True), rulebook)
    assert verdict == "prohibited"
    assert "dsp.prohibited.omic" in fired


def test_restricted_with_unknown_cisa_compliance_is_an_open_question(rulebook: Any) -> None:
    """28 CFR 202.401: restricted = filing_advised; unknown CISA compliance asks 202.401(c)(2)."""
    result = screen(deal(vendor(["personal_health"], 10001)), rulebook=rulebook)
    assert result.regimes["dsp_202"].verdict == "filing_advised"
    q = next(
        q for q in result.open_questions if q.rule_id == "dsp.prohibited.restricted_without_cisa"
    )
    assert q.unknown_facts == ["data.cisa_compliant"]


def test_brokerage_to_other_foreign_person_needs_safeguards(rulebook: Any) -> None:
    """28 CFR 202.302: brokerage to a non-covered foreign person without onward-transfer terms."""
    frag = vendor(["personal_financial"], 20000, onward_transfer_safeguards=False)
    frag["data_transaction"]["agreements"] = ["data_brokerage"]
    frag["investor"] = {"country": "DE", "principal_place_of_business": "DE"}
    verdict, fired = run(frag, rulebook)
    assert (verdict, "dsp.prohibited.brokerage_without_safeguards" in fired) == ("prohibited", True)
    frag["data_transaction"]["onward_transfer_safeguards"] = True
    assert run(frag, rulebook)[0] == "clear"


# ------------------------------------------------------------------------------------------
# Covered persons, 202.211: the 50% rule through chains


@pytest.mark.parametrize(("pct", "covered"), [("49.99", False), ("50", True)])
def test_fifty_percent_rule(rulebook: Any, pct: str, covered: bool) -> None:
    """28 CFR 202.211(a)(1): a foreign entity 50% or more owned by covered persons is covered."""
    frag = vendor(["personal_health"], 20000)
    frag["investor"] = {
        "country": "SG",
        "principal_place_of_business": "SG",
        "owners": [
            {
                "name": "PRC Parent",
                "kind": "company",
                "country": "CN",
                "voting_pct": pct,
                "equity_pct": pct,
            }
        ],
    }
    view = derive(deal(frag), rulebook.references, dt.date(2025, 6, 30))
    assert view.get("data.counterparty_covered_person") is covered


def test_fifty_percent_rule_two_levels_up(rulebook: Any) -> None:
    """202.211(a)(2): a Singapore company 60% owned by a Cayman company 50% owned by a Russian bank."""
    frag = vendor(["personal_health"], 20000)
    frag["investor"] = {
        "country": "SG",
        "principal_place_of_business": "SG",
        "owners": [
            {
                "name": "Cayman Holdco",
                "kind": "company",
                "country": "KY",
                "voting_pct": 60,
                "equity_pct": 60,
                "owners": [
                    {
                        "name": "Russian Bank",
                        "kind": "company",
                        "country": "RU",
                        "voting_pct": 50,
                        "equity_pct": 50,
                    }
                ],
            }
        ],
    }
    assert (
        derive(deal(frag), rulebook.references, dt.date(2025, 6, 30)).get(
            "data.counterparty_covered_person"
        )
        is True
    )


# ------------------------------------------------------------------------------------------
# Passive-investment exclusion, 202.228


@pytest.mark.parametrize(("pct", "excluded"), [("9.99", True), ("10", False)])
def test_passive_investment_edge(rulebook: Any, pct: str, excluded: bool) -> None:
    """28 CFR 202.228: a listed interest below 10% with minority protections only is excluded."""
    frag = {
        "rights": {"voting_pct": pct, "equity_pct": pct},
        "data_transaction": {
            **DATA_KEYS,
            "agreements": [],
            "counterparty_access": True,
            "interest_passive_security": True,
            "cisa_compliant": True,
            "datasets": [{"categories": ["precise_geolocation"], "count": 5000}],
        },
    }
    verdict, fired = run(frag, rulebook)
    assert ("dsp.passive_investment_excluded" in fired) is excluded
    assert verdict == ("clear" if excluded else "filing_advised")


# ------------------------------------------------------------------------------------------
# Dates


def test_not_in_force_before_april_8_2025(rulebook: Any) -> None:
    """Part 202 is effective Apr. 8, 2025: a deal completed the day before is not caught, and
    the regime says it is not in force."""
    frag = vendor(["human_genomic"], 5000)
    assert run(frag, rulebook, dt.date(2025, 4, 7))[0] == "not_in_force"
    assert run(frag, rulebook, dt.date(2025, 4, 8))[0] == "prohibited"


# ------------------------------------------------------------------------------------------
# cfr_examples.md part C rows the model can express

PART_C: list[tuple[str, str, dict[str, Any], str, list[str]]] = [
    (
        "202.211-1",
        "202.211(b)(1)",
        {
            "investor": {"kind": "individual", "country": "IR"},
            **vendor(
                ["personal_financial"],
                20000,
                counterparty_primary_residence="IR",
                counterparty_in_us=False,
                cisa_compliant=True,
            ),
        },
        "filing_advised",
        ["dsp.covered_person"],
    ),
    (
        "202.211-2",
        "202.211(b)(2)",
        {
            "investor": {"kind": "individual", "country": "CN"},
            **vendor(["personal_financial"], 20000, counterparty_in_us=True, cisa_compliant=True),
        },
        "clear",
        [],
    ),
    (
        "202.256-8",
        "202.256(b)(8)",
        {
            "investor": {
                "country": "US",
                "principal_place_of_business": "US",
                "owners": [
                    {"name": "PRC Parent", "kind": "company", "country": "CN", "voting_pct": 100}
                ],
            },
            **vendor(["personal_financial"], 20000, cisa_compliant=True),
        },
        "clear",
        [],
    ),
    (
        "202.210-2",
        "202.210(b)(2)",
        vendor(["personal_health"], 50000, cisa_compliant=True),
        "filing_advised",
        ["dsp.covered_data_transaction", "dsp.restricted"],
    ),
    (
        "202.210-3",
        "202.210(b)(3)",
        vendor(["personal_health"], 50000, counterparty_access=False, cisa_compliant=True),
        "clear",
        [],
    ),
    (
        "202.401-1",
        "202.401(c)(1)",
        merge(
            vendor(["personal_financial"], 25000, cisa_compliant=True),
            {"data_transaction": {"agreements": ["employment"]}},
        ),
        "filing_advised",
        ["dsp.restricted"],
    ),
    (
        "202.401-2",
        "202.401(c)(2)",
        vendor(["personal_health"], 40000, cisa_compliant=False),
        "prohibited",
        ["dsp.prohibited.restricted_without_cisa"],
    ),
    (
        "202.304-1",
        "202.304(b)(1)",
        merge(
            vendor(
                ["personal_financial"], 50000, counterparty_in_us=True, structured_to_evade=True
            ),
            {
                "investor": {"kind": "individual", "country": "CN"},
                "data_transaction": {"agreements": ["data_brokerage"]},
            },
        ),
        "prohibited",
        ["dsp.prohibited.evasion"],
    ),
    (
        "202.504-1",
        "202.504(b)(1)",
        merge(
            vendor(["human_genomic"], 3000, official_business=True),
            {"data_transaction": {"agreements": ["vendor", "employment"]}},
        ),
        "clear",
        ["dsp.exempt.official_business"],
    ),
]


@pytest.mark.parametrize(
    ("row", "cite", "fragment", "level", "rules"), PART_C, ids=[r[0] for r in PART_C]
)
def test_part_c_examples(
    rulebook: Any, row: str, cite: str, fragment: dict[str, Any], level: str, rules: list[str]
) -> None:
    """cfr_examples.md part C: the expected result of each expressible 28 CFR 202 example."""
    result = screen(deal(fragment), rulebook=rulebook)
    fired = {h.rule_id for h in result.hits}
    assert result.regimes["dsp_202"].verdict == level, f"{row} ({cite})"
    assert set(rules) <= fired, f"{row} ({cite})"


def test_no_block_and_no_personal_data_means_no_open_questions(rulebook: Any) -> None:
    """A deal without a data_transaction block whose target holds no personal data asks nothing."""
    result = screen(deal({}), rulebook=rulebook)
    assert not [q for q in result.open_questions if q.regime == "dsp_202"]
