"""The AFIDA pack: agricultural land, reportable interests, foreign persons and the 90-day report."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from screening import screen
from screening.authoring.examples import BASE_DEAL, merge
from screening.model.deal import Deal

LAND = {
    "interest": "ownership",
    "uses": ["farming"],
    "acres": 500,
    "annual_gross_receipts_usd": 100000,
    "held_before": False,
    "other_foreign_pct": 0,
}
SUBSIDIARY = {"kind": "greenfield", "rights": {"voting_pct": 100}, "completion_date": "2026-04-20"}


def run(fragment: dict[str, Any], rulebook: Any) -> tuple[str, set[str], Any]:
    deal = Deal.model_validate(merge(merge(BASE_DEAL, {"farmland": LAND}), fragment)).root
    result = screen(deal, rulebook=rulebook)
    fired = {h.rule_id for h in result.hits if not h.suppressed_by}
    return result.regimes["afida"].verdict, fired, result


def test_greenfield_on_farmland_report_due_in_90_days(rulebook: Any) -> None:
    """7 U.S.C. 3501(a): report within 90 days of the acquisition; the due date is computed."""
    verdict, _, result = run(SUBSIDIARY, rulebook)
    assert verdict == "filing_required"
    hit = next(h for h in result.hits if h.rule_id == "afida.report.acquisition")
    assert "2026-07-19" in hit.explanation or "July 19, 2026" in hit.explanation


def test_acquired_on_date_overrides_completion(rulebook: Any) -> None:
    """The 90 days run from the acquisition date when the record gives one."""
    _, _, result = run(merge(SUBSIDIARY, {"farmland": {"acquired_on": "2026-01-10"}}), rulebook)
    hit = next(h for h in result.hits if h.rule_id == "afida.report.acquisition")
    assert "2026-04-10" in hit.explanation or "Apr. 10, 2026" in hit.explanation


@pytest.mark.parametrize(
    ("land", "agricultural"),
    [
        ({"acres": 10, "annual_gross_receipts_usd": 1000}, False),  # both small: excluded
        ({"acres": "10.01", "annual_gross_receipts_usd": 1000}, True),
        ({"acres": 10, "annual_gross_receipts_usd": "1000.01"}, True),
        ({"uses": ["forestry"], "acres": 11, "tree_stocking_pct": "9.99"}, False),
        ({"uses": ["forestry"], "acres": 11, "tree_stocking_pct": 10}, True),
        ({"uses": ["forestry"], "acres": 10, "tree_stocking_pct": 80}, False),
        ({"uses": ["industrial"]}, False),
        ({"uses": ["timber"]}, True),
        ({"uses": ["ranching"]}, True),
    ],
)
def test_agricultural_land_edges(rulebook: Any, land: dict[str, Any], agricultural: bool) -> None:
    """7 CFR 781.2(b): use, the 10-acre/$1,000 exclusion and forestry land (>10 acres, >=10%)."""
    verdict, fired, _ = run(merge(SUBSIDIARY, {"farmland": land}), rulebook)
    assert ("afida.agricultural_land" in fired) is agricultural
    assert verdict == ("filing_required" if agricultural else "clear")


@pytest.mark.parametrize(
    ("land", "level"),
    [
        ({"interest": "leasehold", "lease_years": "9.99"}, "covered"),
        ({"interest": "leasehold", "lease_years": 10}, "filing_required"),
        ({"interest": "security_interest"}, "clear"),
        ({"interest": "mineral_rights_only"}, "clear"),
        ({"interest": "easement_unrelated"}, "clear"),
        ({"interest": "contingent_future_interest"}, "clear"),
        ({"interest": "ownership"}, "filing_required"),
    ],
)
def test_reportable_interest_edges(rulebook: Any, land: dict[str, Any], level: str) -> None:
    """7 CFR 781.2(c): leases of 10 years or more are reportable; the listed interests are not."""
    assert run(merge(SUBSIDIARY, {"farmland": land}), rulebook)[0] == level


@pytest.mark.parametrize(("pct", "level"), [("9.99", "clear"), ("10", "filing_required")])
def test_significant_interest_edge(rulebook: Any, pct: str, level: str) -> None:
    """7 CFR 781.2: one foreign person holding 10% or more makes a U.S. holder foreign [src]."""
    frag = {
        "rights": {"voting_pct": pct},
        "farmland": {"held_before": True, "foreign_before": False},
    }
    assert run(frag, rulebook)[0] == level


def test_aggregate_foreign_holders(rulebook: Any) -> None:
    """50% or more held by foreign persons together [mem]: 5% + 45% others."""
    frag = {
        "rights": {"voting_pct": 5},
        "farmland": {"held_before": True, "foreign_before": False, "other_foreign_pct": 45},
    }
    assert run(frag, rulebook)[0] == "filing_required"
    frag["farmland"]["other_foreign_pct"] = "44.99"
    assert run(frag, rulebook)[0] == "clear"


def test_already_foreign_holder_no_new_report(rulebook: Any) -> None:
    """3501(c) applies when the holder becomes foreign; a holder already foreign does not."""
    frag = {"rights": {"voting_pct": 30}, "farmland": {"held_before": True, "foreign_before": True}}
    assert run(frag, rulebook)[0] == "clear"


def test_us_investor_holding_directly_is_not_foreign(rulebook: Any) -> None:
    """A U.S.-organized investor with no foreign owners is not a foreign person."""
    frag = {
        "investor": {"country": "US", "principal_place_of_business": "US", "owners": []},
        "farmland": {"held_by": "investor"},
    }
    assert run(frag, rulebook)[0] == "clear"


def test_unknown_land_use_is_an_open_question(rulebook: Any) -> None:
    """Unknown is not false: an unrecorded land use leaves an open question, not a clear."""
    verdict, _, result = run(merge(SUBSIDIARY, {"farmland": {"uses": None}}), rulebook)
    assert verdict == "clear"
    assert "afida.report.acquisition" in {q.rule_id for q in result.open_questions}


def test_greenfield_without_land_block_asks(rulebook: Any) -> None:
    """A greenfield deal without a farmland block asks for it instead of clearing."""
    deal = Deal.model_validate(merge(BASE_DEAL, SUBSIDIARY)).root
    result = screen(deal, rulebook=rulebook, as_of=dt.date(2026, 4, 20))
    assert any(q.regime == "afida" for q in result.open_questions)


def test_co_investor_with_unknown_stake_is_not_taken_as_small(rulebook: Any) -> None:
    """A foreign co-investor whose stake is unknown leaves the 10% test open, never clear."""
    frag = {
        "rights": {"voting_pct": 5},
        "co_investors": [
            {"party": {"name": "Other Foreign Co.", "kind": "company", "country": "JP"}}
        ],
        "farmland": {"held_before": True, "foreign_before": False},
    }
    verdict, _, result = run(frag, rulebook)
    assert verdict == "clear"
    assert "afida.report.became_foreign" in {q.rule_id for q in result.open_questions}


@pytest.mark.parametrize(
    ("owners", "level"),
    [
        ([("JP", 9)], "clear"),
        ([("JP", 10)], "filing_required"),
        ([("JP", 9), ("DE", 9), ("FR", 9), ("GB", 9), ("KR", 9), ("CA", 5)], "filing_required"),
    ],
)
def test_us_investor_holding_directly(
    rulebook: Any, owners: list[tuple[str, int]], level: str
) -> None:
    """A U.S. investor holding land directly is foreign through its owners (10%; 50% together)."""
    frag = {
        "investor": {
            "country": "US",
            "principal_place_of_business": "US",
            "owners": [
                {"name": f"Owner {c}", "kind": "company", "country": c, "equity_pct": p}
                for c, p in owners
            ],
        },
        "farmland": {"held_by": "investor"},
    }
    verdict, _, result = run(frag, rulebook)
    assert verdict == level
    if level == "clear":
        assert not [q for q in result.open_questions if q.regime == "afida"]


def test_derivations_of_sections_no_rule_reads_are_not_shown(tmp_path: Any, rulebook: Any) -> None:
    """A rulebook that reads no `farmland` fact shows no farmland derivation (so a screening
    recorded under an older rulebook replays byte for byte after new sections are added)."""
    from screening.rulebook.book import load_rulebook
    from tests.authoring_helpers import small_rulebook
    from tests.rulebook_helpers import GOOD, rule_file

    small = load_rulebook(base=small_rulebook(tmp_path, {"t/r.yaml": rule_file(GOOD)}))
    deal = Deal.model_validate(merge(BASE_DEAL, {"kind": "greenfield"})).root
    paths = {d.path.split(".")[0] for d in screen(deal, rulebook=small).derived}
    assert "farmland" not in paths
    shipped = {d.path.split(".")[0] for d in screen(deal, rulebook=rulebook).derived}
    assert "farmland" in shipped
