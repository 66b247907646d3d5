"""Explanations read right to a lawyer: every shipped rule's explanation and condition lines,
rendered over every fixture, are free of the patterns that read wrong.

Rejected: a Python ``None``; "unknown … yes" in one condition (a fact said to be both unknown
and known); comparison symbols in a condition (a failed ``30% ≤ 50%`` after a cross reads as a
double negative: it must say "30% is not more than 50%"); a double negative ("not no",
"none … include none of"); a doubled
full stop ("Ltd.." from a name ending in a full stop before the sentence's own); and a rule shown
as fired that lists a failed condition not marked as one of several alternatives.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from screening import load_deal, load_rulebook
from screening.engine.explain import render_text
from screening.engine.run import resolve_as_of, run_rules, suppressions
from screening.engine.run import screen as screen_deal
from screening.engine.why import Explanation, _explain, render_explanation
from screening.facts.derive import derive
from tests.conftest import FIXTURES

PATHS = sorted(FIXTURES.rglob("*.yaml"))

BAD = {
    "None": re.compile(r"\bNone\b"),
    "doubled full stop": re.compile(r"(?<!\.)\.\.(?!\.)"),
}
BAD_IN_CONDITION = {
    "unknown … yes": re.compile(r"\bunknown\b.*\byes\b"),
    "comparison symbol": re.compile(r"[≤≥≠]|\s[<>=]\s"),
    "double negative": re.compile(r"\bnot (not|no|none|un\w+)\b|\bnone\b.*\bnone of\b"),
}


def _problems(text: str, patterns: dict[str, re.Pattern[str]]) -> list[str]:
    return [name for name, pattern in patterns.items() if pattern.search(text)]


def _walk(exp: Explanation) -> list[Explanation]:
    out = [exp]
    for f in exp.findings:
        out.extend(_walk(f))
    return out


@pytest.fixture(scope="module")
def book() -> Any:
    return load_rulebook()


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_every_rule_reads_right_on_the_fixture(path: Path, book: Any) -> None:
    """Every rule's explanation and condition lines, fired or not, pass the wording checks."""
    deal = load_deal(path)
    ev = run_rules(book, derive(deal, book.references, resolve_as_of(deal, None)))
    suppressed = suppressions(ev)
    found: list[str] = []
    for rule_id in sorted(book.rules):
        exp = _explain(ev, rule_id, suppressed, frozenset())
        for node in _walk(exp):
            for name in _problems(node.explanation, BAD):
                found.append(f"{node.rule_id}: explanation: {name}: {node.explanation}")
            for c in node.conditions:
                for name in _problems(c.text, {**BAD, **BAD_IN_CONDITION}):
                    found.append(f"{node.rule_id}: condition: {name}: {c.text}")
                if node.status == "fired" and c.held is not True and c.alternatives is None:
                    found.append(f"{node.rule_id}: fired, but lists a failed condition: {c.text}")
    assert not found, "\n".join(found[:20])


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_rendered_reports_read_right(path: Path, book: Any) -> None:
    """The whole text report and a why-not tree carry none of the rejected patterns."""
    deal = load_deal(path)
    result = screen_deal(deal, rulebook=book)
    text = render_text(result, findings=True)
    assert not _problems(text, BAD), [line for line in text.splitlines() if ".." in line]
    ev = run_rules(book, derive(deal, book.references, resolve_as_of(deal, None)))
    tree = render_explanation(_explain(ev, "cfius.covered", suppressions(ev), frozenset()))
    assert not _problems(tree, {**BAD, "comparison symbol": BAD_IN_CONDITION["comparison symbol"]})


def test_conditions_say_comparisons_in_words(book: Any) -> None:
    """A failed comparison states the fact ("5% is less than 50%": control is 50% or more under
    800.208), not a symbol."""
    deal = load_deal(FIXTURES / "meridian-asia-fund-passive-5pct.yaml")
    ev = run_rules(book, derive(deal, book.references, resolve_as_of(deal, None)))
    exp = _explain(ev, "cfius.control", suppressions(ev), frozenset())
    texts = [c.text for c in exp.conditions]
    assert "investor's voting interest 5% is less than 50%" in texts
    assert all(c.alternatives == 1 for c in exp.conditions)
    tree = render_explanation(exp)
    assert "one of these alternatives (one is enough):" in tree
    assert "✗ investor's voting interest 5% is less than 50%" in tree


def test_template_drops_the_doubled_full_stop(book: Any) -> None:
    """A name ending in a full stop before the template's own full stop gives one full stop."""
    from screening.engine.run import render_template

    deal = load_deal(FIXTURES / "qiantu-trailway-25pct.yaml")
    view = derive(deal, book.references, resolve_as_of(deal, None))
    assert view.get("investor.name").endswith("Ltd.")
    assert render_template("Investor: {investor.name}.", view).endswith("Co., Ltd.")
    assert render_template("({investor.name})", view).endswith("Ltd.)")
