"""Issue 19: every number is compared identically by durable-rules and the Python evaluator.

The engine sees numbers as scaled integers (screening.engine.compiler.engine_number); these tests
pin the boundaries: tiny values (once exponent-form floats, durable error 309), long-precision
derived values, values just above and below thresholds, and the model's bounds.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from screening import load_rulebook, screen
from screening.authoring.examples import BASE_DEAL, merge
from screening.engine.run import run_rules
from screening.errors import RulebookError
from screening.facts.derive import derive
from screening.model.deal import Deal
from tests.rulebook_helpers import make_rulebook, rule_file


def _deal(fragment: dict[str, Any]) -> Any:
    return Deal.model_validate(merge(BASE_DEAL, fragment)).root


def _gov_chain(pcts: list[str]) -> dict[str, Any]:
    """An investor held through a chain of companies ending in a foreign government."""
    node: dict[str, Any] = {
        "name": "State",
        "kind": "government",
        "country": "CN",
        "voting_pct": pcts[-1],
    }
    for i, pct in enumerate(reversed(pcts[:-1])):
        node = {
            "name": f"Holdco {i}",
            "kind": "company",
            "country": "CN",
            "voting_pct": pct,
            "owners": [node],
        }
    return {"investor": {"owners": [node]}}


THRESHOLDS = """
- id: t.small
  kind: finding
  title: Small stake
  citation: test
  when:
    - rights.voting_pct > 0
    - rights.voting_pct < 0.000001
  explain: "x"
- id: t.gov
  kind: finding
  title: Gov
  citation: test
  when:
    - investor.gov_interest_pct >= 0.000001
  explain: "x"
- id: t.gov_exact
  kind: finding
  title: Gov exact
  citation: test
  when:
    - investor.gov_interest_pct == 12.5
  explain: "x"
- id: t.gov_le
  kind: finding
  title: Gov le
  citation: test
  when:
    - investor.gov_interest_pct <= 12.5
  explain: "x"
- id: t.miles
  kind: finding
  title: Miles
  citation: test
  when:
    - target.miles_to_installation > 1
  explain: "x"
"""


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Any:
    base = make_rulebook(tmp_path_factory.mktemp("nums"), {"t.yaml": rule_file(THRESHOLDS)})
    return load_rulebook([base])


def _status(book: Any, deal: Any) -> dict[str, Any]:
    ev = run_rules(book, derive(deal, book.references, deal.completion_date), check=True)
    return {k: v for k, v in ev.status.items() if k.startswith("t.")}


@pytest.mark.parametrize("pct", ["0.00001", "0.000001", "0.0000005", "1E-6", "0.0001"])
def test_tiny_values_screen_without_engine_error(rulebook: Any, pct: str) -> None:
    """Values below 0.0001 used to reach durable-rules as `1e-05` (error 309, exit 1)."""
    if pct == "0.0000005":
        with pytest.raises(ValidationError):
            _deal({"rights": {"voting_pct": pct}})
        return
    deal = _deal({"rights": {"voting_pct": pct}})
    screen(deal, rulebook=rulebook)  # the shipped rulebook, engine checked against the oracle


def test_tiny_derived_government_interest_screens(rulebook: Any) -> None:
    """A government interest attributed through a chain can be far below 0.0001."""
    deal = _deal(_gov_chain(["0.01", "0.01", "0.01", "0.01"]))
    screen(deal, rulebook=rulebook)


def test_thresholds_agree_on_tiny_and_long_precision_values(book: Any) -> None:
    # 0.000001 exactly and a derived 1e-8 and 12.5 ± a tiny amount from a long chain
    assert _status(book, _deal({"rights": {"voting_pct": "0.000001"}}))["t.small"] is False
    tiny = _deal(_gov_chain(["0.01", "0.01", "0.01"]))  # 1e-8 percent
    assert _status(book, tiny)["t.gov"] is False
    exact = _deal(_gov_chain(["40", "31.25"]))  # 40% of 31.25% = 12.5%
    assert _status(book, exact)["t.gov_exact"] is True
    # 40.000001% of 31.25% = 12.5000003125: more places than a threshold may have
    above = _deal(_gov_chain(["40.000001", "31.25"]))
    s = _status(book, above)
    assert (s["t.gov_exact"], s["t.gov_le"]) == (False, False)
    below = _deal(_gov_chain(["39.999999", "31.25"]))
    s = _status(book, below)
    assert (s["t.gov_exact"], s["t.gov_le"]) == (False, True)


def test_many_digit_decimal_fields_compare_exactly(book: Any) -> None:
    """Fields that had no places limit now have one; within it, comparisons are exact."""
    with pytest.raises(ValidationError):
        _deal(
            {
                "target": {
                    "facilities": [
                        {"name": "a", "miles_to_listed_installation": "1.0000000000000000001"}
                    ]
                }
            }
        )
    close = _deal(
        {"target": {"facilities": [{"name": "a", "miles_to_listed_installation": "1.000001"}]}}
    )
    assert _status(book, close)["t.miles"] is True
    at = _deal({"target": {"facilities": [{"name": "a", "miles_to_listed_installation": "1"}]}})
    assert _status(book, at)["t.miles"] is False


@pytest.mark.parametrize("value", ["1e13", "1000000000000.000001", "-1"])
def test_model_rejects_numbers_beyond_the_engine_range(value: str) -> None:
    with pytest.raises(ValidationError):
        _deal({"target": {"facilities": [{"name": "a", "miles_to_listed_installation": value}]}})


def test_engine_number_preserves_order_against_grid_thresholds() -> None:
    from screening.engine.compiler import ENGINE_PLACES, engine_number

    grid = [Decimal(x) for x in ("0", "0.000001", "12.5", "25", "1000000000000")]
    values = [
        Decimal(x)
        for x in (
            "0",
            "1E-30",
            "0.0000009999",
            "0.000001",
            "0.0000010001",
            "12.49999999999",
            "12.5",
            "12.500000000001",
            "24.9999999999999999999",
            "25",
            "999999999999.9999999",
        )
    ]
    for v in values:
        for t in grid:
            ev, et = engine_number(v), engine_number(t)
            assert (ev < et) == (v < t) and (ev == et) == (v == t) and (ev > et) == (v > t)
    assert engine_number(Decimal("1000000000000")) < 2**63
    assert ENGINE_PLACES == 6


@pytest.mark.parametrize(
    ("cond", "code"),
    [
        ("rights.voting_pct >= .inf", "invalid-value"),
        ("rights.voting_pct >= .nan", "invalid-value"),
        ("rights.voting_pct >= 1e999", "invalid-value"),
        ("rights.voting_pct >= 0.0000001", "invalid-value"),
        ("rights.voting_pct >= 10000000000000", "invalid-value"),
    ],
)
def test_thresholds_the_engine_cannot_hold_are_located_errors(
    tmp_path: Path, cond: str, code: str
) -> None:
    text = rule_file(
        f"""
        - id: t.bad
          kind: finding
          title: Bad
          citation: test
          when:
            - {cond}
          explain: "x"
        """
    )
    base = make_rulebook(tmp_path, {"bad.yaml": text})
    with pytest.raises(RulebookError) as info:
        load_rulebook([base])
    assert info.value.code == code
    assert "bad.yaml:" in info.value.location
