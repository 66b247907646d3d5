"""``consortium.combine`` works out what it compares once (issue 14): each result's per-regime
ceilings in one pass (``_ceilings``), and builds its member results without validating them
again (``verdict.build``); what it gives is what the pass per call and validation gave."""

from __future__ import annotations

import os
from functools import cache
from typing import Any

from screening import Deal, load_deal, screen
from screening.authoring.fixtures_gen import generate
from screening.engine import consortium
from screening.engine.verdict import Consortium, MemberResult, OpenQuestion
from screening.model.deal import DealRecord
from tests.conftest import FIXTURES

THOROUGH = os.environ.get("DEALSCREEN_HYPOTHESIS") == "thorough"
REGIME_SETS = (
    consortium.CFIUS_REGIMES,
    (*consortium.CFIUS_REGIMES, "dsp_202"),
    consortium.MEMBER_REGIMES,
)


@cache
def _deals() -> tuple[tuple[str, DealRecord], ...]:
    """The consortium deals among the fixtures and generated deals (more when thorough)."""
    deals = [(p.name, load_deal(p)) for p in sorted(FIXTURES.glob("*.y*ml"))]
    n = 2400 if THOROUGH else 240
    for seed in (7, 11):
        deals += [
            (f"gen:{seed}:{i}", Deal.model_validate(d).root)
            for i, d in enumerate(generate(n // 2, seed=seed))
        ]
    return tuple((k, d) for k, d in deals if consortium.is_consortium(d))


def _ceiling_one_by_one(result: Any, regimes: tuple[str, ...]) -> str:
    """What ``consortium._ceiling`` was before ``_ceilings``: a pass per call."""
    levels = []
    for rid in regimes:
        regime = result.regimes.get(rid)
        if regime is not None:
            given = getattr(regime, "ceiling", None)
            levels.append(given if isinstance(given, str) else regime.verdict)
    levels += [q.outcome for q in result.open_questions if q.regime in regimes]
    return max(levels, key=consortium.rank, default="clear")


def test_ceilings_worked_out_once_are_those_of_each_pass(rulebook: Any) -> None:
    """``_ceilings`` (each regime's ceiling and question outcomes, in one pass) gives for every
    set of regimes the level a pass over the result for just those regimes gives."""
    sets = [(r,) for r in (*consortium.MEMBER_REGIMES, "restricted_parties")] + list(REGIME_SETS)
    checked = 0
    for _key, deal in _deals()[::2]:
        result = screen(deal, rulebook=rulebook)
        ceilings = consortium._ceilings(result)
        for regimes in sets:
            want = _ceiling_one_by_one(result, regimes)
            assert consortium._ceiling(result, regimes, ceilings) == want
            assert consortium._ceiling(result, regimes) == want
            checked += want != "clear"
    assert checked > 20


def test_members_built_are_those_validation_makes(rulebook: Any) -> None:
    """Every member result, the consortium block and every acquires question ``combine``
    builds: equal to validating the same values, fields set and JSON included."""
    seen = 0
    for key, deal in _deals():
        block = screen(deal, rulebook=rulebook).consortium
        assert block is not None, key
        again = Consortium(
            members=[MemberResult(**m.__dict__) for m in block.members],
            verdict=block.verdict,
            ceiling=block.ceiling,
            basis=block.basis,
        )
        assert again == block, key
        assert again.model_dump_json() == block.model_dump_json(), key
        for m, v in zip(block.members, again.members, strict=True):
            assert m.model_fields_set == v.model_fields_set, key
        seen += len(block.members)
    assert seen > 40
    q = consortium._acquires_question("X", 1, "cfius_800", "filing_required")
    validated = OpenQuestion(**{k: v for k, v in q.__dict__.items() if k in q.model_fields_set})
    assert (q, q.model_fields_set) == (validated, validated.model_fields_set)
    assert q.model_dump_json() == validated.model_dump_json()
