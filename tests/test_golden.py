"""Golden corpus: every fixture under fixtures/deals/ gives its expected verdicts and rules.

Each fixture carries ``expected:`` with ``verdict`` (overall), ``regimes`` (regime → level; a
regime not listed must be ``clear``) and optionally ``rules`` (rule ids that must fire, not
suppressed) and ``not_rules`` (rule ids that must not fire), and for a consortium ``members`` (member name →
its own CFIUS floor). A fixture without an expectation is
itself an error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from screening import load_deal, screen
from tests.conftest import FIXTURES

PATHS = sorted(FIXTURES.rglob("*.yaml")) + sorted(FIXTURES.rglob("*.json"))


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_fixture(path: Path, rulebook: Any) -> None:
    """The fixture's expected overall verdict, regime verdicts and rule ids hold."""
    deal = load_deal(path)
    expected = deal.expected
    assert expected and "verdict" in expected, f"{path}: no `expected.verdict`"
    assert deal.id == path.stem, f"{path}: id `{deal.id}` differs from the file name"
    result = screen(deal, rulebook=rulebook)
    got = {name: r.verdict for name, r in result.regimes.items()}
    want = {name: "clear" for name in got} | dict(expected.get("regimes") or {})
    assert (result.verdict, got) == (expected["verdict"], want)
    fired = {h.rule_id for h in result.hits if not h.suppressed_by}
    missing = set(expected.get("rules") or []) - fired
    assert not missing, f"expected rules did not fire: {sorted(missing)}"
    unexpected = set(expected.get("not_rules") or []) & fired
    assert not unexpected, f"rules fired that must not: {sorted(unexpected)}"
    members = expected.get("members")
    if members is not None:
        assert result.consortium is not None, "expected a consortium"
        assert {m.name: m.verdict for m in result.consortium.members} == members


def test_corpus_is_not_empty() -> None:
    """The golden corpus exists."""
    assert len(PATHS) >= 15
