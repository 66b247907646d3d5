"""Golden corpus: every fixture under fixtures/deals/ gives its expected verdicts and rules.

Each fixture carries ``expected:`` with ``verdict`` (overall), ``regimes`` (regime → level; a
regime not listed must be ``clear``, or ``not_in_force`` before the law it encodes took effect,
per :data:`IN_FORCE_FROM`) and optionally ``rules`` (rule ids that must fire, not
suppressed), ``not_rules`` (rule ids that must not fire) and, for a consortium, ``members``
(member name → its own CFIUS floor). A fixture without an expectation is
itself an error.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from screening import load_deal, screen
from tests.conftest import FIXTURES

# When the law each dated regime encodes took effect (from the regulation or statute, not from the
# rulebook): before it, the regime has nothing to say and must report `not_in_force`.
IN_FORCE_FROM = {
    "cfius_800": dt.date(2020, 2, 13),  # the FIRRMA part 800 rule, effective Feb. 13, 2020
    "cfius_802": dt.date(2020, 2, 13),  # part 802 (real estate), effective Feb. 13, 2020
    "outbound_850": dt.date(2025, 1, 2),  # 89 FR 90462 (Nov. 15, 2024), effective Jan. 2, 2025
    "dsp_202": dt.date(2025, 4, 8),  # 90 FR 1636 (Jan. 8, 2025), effective Apr. 8, 2025
    "ics_vehicles": dt.date(2025, 3, 17),  # 90 FR 5360 (Jan. 16, 2025), effective Mar. 17, 2025
    "pafaca": dt.date(2024, 4, 24),  # Pub. L. 118-50 div. H, enacted Apr. 24, 2024
    "clean_energy": dt.date(2025, 7, 4),  # Pub. L. 119-21, enacted July 4, 2025
    "padfa": dt.date(2024, 6, 23),  # Pub. L. 118-50 div. I: in force 60 days after Apr. 24, 2024
}

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
    as_of = dt.date.fromisoformat(result.as_of)
    default = {
        name: "not_in_force" if as_of < IN_FORCE_FROM.get(name, dt.date.min) else "clear"
        for name in got
    }
    want = default | dict(expected.get("regimes") or {})
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
