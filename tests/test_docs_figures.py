"""Figures quoted in the docs are checked against the code, so they cannot drift: the coverage
line and counts in docs/authoring.md and docs/coverage.md, and the rules per regime in the
coverage table. A failure here names the figure to refresh and its current value."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from screening.authoring.coverage import CoverageReport, coverage
from screening.rulebook.book import load_rulebook
from tests.conftest import FIXTURES, ROOT

AUTHORING = (ROOT / "docs" / "authoring.md").read_text(encoding="utf-8")
COVERAGE = (ROOT / "docs" / "coverage.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def report() -> CoverageReport:
    return coverage(load_rulebook(), [FIXTURES])


def test_authoring_guide_quotes_todays_coverage(report: CoverageReport) -> None:
    """The coverage summary line and its (rules, fixtures) counts match a run over fixtures/."""
    rules = len(load_rulebook().rules)
    deals = len(list(FIXTURES.rglob("*.yaml")))
    assert f"({rules} rules, {deals} fixtures):" in AUTHORING, (rules, deals)
    assert report.summary() in AUTHORING, report.summary()


def test_coverage_page_quotes_todays_figures(report: CoverageReport) -> None:
    """The coverage page's fixture count, fired rules and conditions match a run over fixtures/."""
    deals = len(list(FIXTURES.rglob("*.yaml")))
    fired, total = len(report.fired), len(report.rules)
    covered = sum(1 for c in report.conditions if c.covered)
    sentence = (
        f"over the {deals} fixture deals: every shipped rule ({fired}/{total})"
        if fired == total
        else f"over the {deals} fixture deals"
    )
    text = " ".join(COVERAGE.split())
    assert sentence in text, sentence
    assert f"{covered} of {len(report.conditions)} conditions" in text, (
        covered,
        len(report.conditions),
    )


def test_coverage_table_counts_rules_per_regime() -> None:
    """Each regime's row in docs/coverage.md gives its number of rules."""
    counts = Counter(r.regime for r in load_rulebook().rules.values())
    rows = re.findall(r"^\| \[`([a-z0-9_]+)`\]\([^)]*\) \| (\d+) \|", COVERAGE, flags=re.M)
    assert {regime: int(n) for regime, n in rows} == dict(counts)
