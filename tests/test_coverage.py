"""Coverage: which rules the deals fired, which conditions were seen both holding and failing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from screening.authoring.coverage import coverage, measure
from screening.authoring.examples import BASE_DEAL, merge
from screening.model._yaml import Document
from screening.model.loader import validate_deal
from screening.rulebook.book import Rulebook, load_rulebook
from tests.authoring_helpers import small_rulebook
from tests.conftest import FIXTURES
from tests.rulebook_helpers import rule_file

RULES = rule_file(
    """
    - id: t.stake
      kind: outcome
      outcome: filing_advised
      title: A foreign stake of 10% or more
      citation: 31 CFR 800.101
      when:
        - investor.foreign_person is true
        - rights.voting_pct >= 10
      explain: "{investor.name} takes {rights.voting_pct}."
    """,
    """
    - id: t.never
      kind: outcome
      outcome: filing_advised
      title: A government stake
      citation: 31 CFR 800.101
      when:
        - investor.foreign_government is true
      explain: "{investor.name} is a foreign government."
    """,
)


def deal(name: str, fragment: dict[str, Any]) -> tuple[str, Any]:
    return name, validate_deal(Document(name, merge(BASE_DEAL, fragment), {}))


@pytest.fixture
def book(tmp_path: Path) -> Rulebook:
    return load_rulebook(base=small_rulebook(tmp_path, {"t/r.yaml": RULES}))


def test_rules_fired_and_never_fired(book: Rulebook) -> None:
    """A rule fired by one deal is exercised; a rule no deal fired is listed."""
    report = measure(book, [deal("small", {}), deal("big", {"rights": {"voting_pct": 20}})])
    assert report.fired == ["t.stake"]
    assert report.never_fired == ["t.never"]
    assert report.rules["t.stake"].deals == ["big"]
    assert report.rules_pct == 50.0


def test_condition_seen_both_ways(book: Rulebook) -> None:
    """A condition is covered only when it was seen holding and failing."""
    report = measure(book, [deal("small", {}), deal("big", {"rights": {"voting_pct": 20}})])
    stake = {c.text: (c.held, c.failed, c.covered) for c in report.rules["t.stake"].conditions}
    assert stake == {
        "investor.foreign_person is true": (2, 0, False),
        "rights.voting_pct >= 10": (1, 1, True),
    }
    assert report.conditions_pct == round(100 * 1 / 3, 1)


def test_text_report_lists_gaps_by_location(book: Rulebook) -> None:
    """The text report names each gap with its file:line, then the summary."""
    report = measure(book, [deal("small", {}), deal("big", {"rights": {"voting_pct": 20}})])
    where = f"{book.sources[0]}/t/r.yaml"
    assert report.render_text().splitlines() == [
        f"{where}:9: `investor.foreign_person is true` (t.stake) never failed",
        f"{where}:12: rule `t.never` never fired",
        f"{where}:18: `investor.foreign_government is true` (t.never) never held",
        "rules fired: 1/2 (50.0%); conditions seen held and failed: 1/3 (33.3%); over 2 deals",
    ]


def test_json_report(book: Rulebook) -> None:
    """`--format json` carries the summary and per-condition counts."""
    data = json.loads(measure(book, [deal("small", {})]).to_json())
    assert data["summary"] == {
        "rules": 2,
        "rules_fired": 0,
        "rules_pct": 0.0,
        "conditions": 3,
        "conditions_covered": 0,
        "conditions_pct": 0.0,
    }
    assert [r["id"] for r in data["rules"]] == ["t.never", "t.stake"]
    assert data["rules"][1]["conditions"][1] == {
        "condition": "rights.voting_pct >= 10",
        "location": f"{book.sources[0]}/t/r.yaml:10",
        "held": 0,
        "failed": 1,
        "unknown": 0,
        "covered": False,
    }


def test_shipped_rulebook_over_fixtures() -> None:
    """Coverage of the shipped rulebook over fixtures/ runs and counts every fixture."""
    report = coverage(load_rulebook(), [FIXTURES])
    assert len(report.deals) == len(list(FIXTURES.glob("*.yaml")))
    assert report.fired and 0 < report.rules_pct <= 100
    # No shipped rule is left unexercised by the fixtures (issue 5).
    assert report.never_fired == []
