"""Ranges (screening.model.numbers): three-valued comparisons, interval arithmetic, validation."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from screening import screen
from screening.errors import DealError
from screening.model._yaml import Document
from screening.model.deal import Deal, Rights
from screening.model.loader import validate_deal
from screening.model.numbers import (
    STEP,
    Range,
    add,
    bounds,
    compare,
    pct_of,
    render,
)
from tests.strategies import pct_ranges, pcts

OPS = (">=", ">", "<=", "<", "==", "!=")
decimals = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False)


def _points(r: Range) -> list[Decimal]:
    """Values inside a range: its bounds, its middle, and a value one step inside each bound."""
    lo, hi = r.lo if r.lo is not None else Decimal(0), r.hi if r.hi is not None else Decimal(100)
    return sorted({lo, hi, (lo + hi) / 2, min(hi, lo + STEP), max(lo, hi - STEP)})


def _range(raw: Any) -> Range:
    value = Rights(voting_pct=raw).voting_pct
    assert isinstance(value, Range)
    return value


@given(pct_ranges, pcts, st.sampled_from(OPS))
def test_a_decided_comparison_holds_for_every_value_in_the_range(
    raw: Any, threshold: str, op: str
) -> None:
    """Soundness: a range decides `x op c` only when every value in it gives that answer."""
    r = _range(raw)
    c = Decimal(threshold)
    status = compare(r, op, c)
    answers = {compare(v, op, c) for v in _points(r)}
    if status is not None:
        assert answers == {status}
    elif r.lo is not None and r.hi is not None:
        # Undecided only when the threshold lies in the range (for = and ≠) or the range's own
        # bounds disagree (for the orderings).
        if op in ("==", "!="):
            assert r.lo <= c <= r.hi
        else:
            assert compare(r.lo, op, c) != compare(r.hi, op, c)


@given(pct_ranges, pct_ranges)
def test_sums_and_products_contain_every_combination(a: Any, b: Any) -> None:
    """Interval arithmetic is sound: the result's bounds contain each combination of values."""
    ra, rb = _range(a), _range(b)
    total, product = add(ra, rb), pct_of(ra, rb)
    for x in _points(ra):
        for y in _points(rb):
            lo, hi = bounds(total)
            assert (lo is None or lo <= x + y) and (hi is None or x + y <= hi)
            plo, phi = bounds(product)
            assert plo is not None and phi is not None and plo <= x * y / 100 <= phi


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("majority", "more than 50%"),
        ("minority", "less than 50%"),
        ({"min": 25}, "at least 25%"),
        ({"max": 36}, "at most 36%"),
        ({"min": 10, "max": 20}, "10% to 20%"),
        ({"more_than": 10, "less_than": 20}, "more than 10% and less than 20%"),
    ],
)
def test_a_range_is_shown_as_written(raw: Any, text: str) -> None:
    """Explanations show a range the way the record says it."""
    assert render(_range(raw), "%") == text


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"min": 30, "max": 10}, "the range is empty: its lower bound is above its upper bound"),
        ({"min": 10, "max": 200}, "input should be less than or equal to 100"),
        ({"least": 3}, "least: unknown bound: use min, max, more_than or less_than"),
        ({"min": 3, "more_than": 2}, "give `min` or `more_than`, not both"),
        ({}, "a range needs `min`, `max`, `more_than` or `less_than`"),
        ("most", "expected a percentage from 0 to 100 or a range"),
        (-1, "input should be greater than or equal to 0"),
    ],
)
def test_a_bad_range_is_one_located_message(raw: Any, message: str) -> None:
    """A mistake in a range is one message on the field, not one per type the field accepts."""
    data = _base_deal()
    data["rights"]["voting_pct"] = raw
    with pytest.raises(DealError) as info:
        validate_deal(Document("deal.yaml", data, {}))
    (problem,) = info.value.problems
    assert problem.message == f"$.rights.voting_pct: {message}"


def _base_deal() -> dict[str, Any]:
    return {
        "id": "ranges",
        "name": "Ranges",
        "kind": "equity_stake",
        "investor": {
            "name": "State Buyer",
            "kind": "state_owned_enterprise",
            "country": "CN",
            "principal_place_of_business": "CN",
            "disqualifiers": [],
            "owners": [{"name": "Province", "kind": "government", "country": "CN"}],
        },
        "target": {
            "name": "Target Inc.",
            "country": "US",
            "interstate_commerce": True,
            "critical_technologies": [],
            "infrastructure": [{"item": "xii", "function": "own"}],
            "facilities": [],
            "certificated_air_carrier": False,
        },
        "rights": {
            "board_seats": 1,
            "board_size": 7,
            "board_observer": False,
            "board_nomination_right": False,
            "mnpti_access": False,
            "involvement": [],
            "control_matters": [],
            "passive_undertaking": False,
        },
        "completion_date": "2025-06-30",
        "evasion_structure": False,
    }


def _screen(rulebook: Any, voting: Any, gov: Any) -> Any:
    data = copy.deepcopy(_base_deal())
    data["rights"]["voting_pct"] = voting
    data["investor"]["owners"][0]["voting_pct"] = gov
    return screen(Deal.model_validate(data), rulebook=rulebook)


@pytest.mark.parametrize(
    ("voting", "gov", "status"),
    [
        ({"min": 25, "max": 30}, "majority", True),  # both thresholds settled
        ({"max": 24}, "majority", False),  # below 25% whatever the exact figure
        ("minority", "majority", None),  # under 50% but maybe under 25%
        ({"min": 25}, {"max": 40}, False),  # the government holds under 49%
        ({"min": 25}, {"min": 40, "max": 60}, None),
    ],
)
def test_ranges_decide_the_mandatory_declaration_where_they_settle_it(
    rulebook: Any, voting: Any, gov: Any, status: bool | None
) -> None:
    """800.401(b): ranges settle 25% and 49% where they can, and leave an open question else.

    durable-rules and the evaluator are cross-checked on every screening, so each case also
    shows that the engine decides the range as the evaluator does.
    """
    result = _screen(rulebook, voting, gov)
    rule = "cfius.mandatory.gov_substantial_interest"
    fired = rule in result.fired
    opened = rule in {q.rule_id for q in result.open_questions}
    assert (fired, opened) == {True: (True, False), False: (False, False), None: (False, True)}[
        status
    ]


def test_an_explanation_shows_the_range_and_the_derived_bounds(rulebook: Any) -> None:
    """The hit shows `25% to 30%` for the stake and `more than 50%` for the state's interest."""
    result = _screen(rulebook, {"min": 25, "max": 30}, "majority")
    hit = next(h for h in result.hits if h.rule_id == "cfius.mandatory.gov_substantial_interest")
    assert "(25% to 30% voting" in hit.explanation
    assert "(CN: more than 50%; each state tested" in hit.explanation
    derived = {d.path: d.value for d in result.derived}
    assert derived["investor.gov_interest_pct"] == {"min": "50.000001", "max": "100"}


def test_undecided_range_is_named_as_the_fact_to_settle(rulebook: Any) -> None:
    """An undecided range counts as an unknown fact in the open question it leaves."""
    result = _screen(rulebook, "minority", "majority")
    q = next(
        q for q in result.open_questions if q.rule_id == "cfius.mandatory.gov_substantial_interest"
    )
    assert "rights.voting_pct" in q.unknown_facts


def test_ranges_round_trip_through_json() -> None:
    """A record with ranges dumps to JSON and validates back to the same record."""
    data = _base_deal()
    data["rights"]["voting_pct"] = "minority"
    data["value_usd"] = {"min": 100000000}
    deal = Deal.model_validate(data)
    assert Deal.model_validate_json(deal.model_dump_json()) == deal
