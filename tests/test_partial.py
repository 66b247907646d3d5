"""Partial knowledge: owners lists marked incomplete, co-investors, unknown list memberships."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest

from screening import screen
from screening.facts.derive import derive
from screening.facts.sections.base import AtLeast
from screening.model.deal import Deal
from screening.model.numbers import Range
from tests.test_numbers import _base_deal

AS_OF = Deal.model_validate(_base_deal()).root.completion_date


def _view(rulebook: Any, data: dict[str, Any]) -> Any:
    deal = Deal.model_validate(data).root
    assert AS_OF is not None
    return derive(deal, rulebook.references, AS_OF)


def _deal(**investor: Any) -> dict[str, Any]:
    data = copy.deepcopy(_base_deal())
    data["investor"].update(investor)
    return data


def test_known_holders_count_and_the_rest_stays_unknown(rulebook: Any) -> None:
    """800.244(c): a 30% government holder, others unlisted: 30% to 100%, not 30%."""
    holder = {"name": "Province", "kind": "government", "country": "CN", "voting_pct": 30}
    complete = _view(rulebook, _deal(owners=[holder]))
    partial = _view(rulebook, _deal(owners=[holder], owners_complete=False))
    assert complete.investor.gov_interest_pct == Decimal(30)
    assert partial.investor.gov_interest_pct == Range(min=Decimal(30), max=Decimal(100))
    assert "incomplete" in partial.derivations["investor.gov_interest_pct"]


def test_an_incomplete_list_still_settles_what_the_known_holders_settle(rulebook: Any) -> None:
    """A known 60% parent owned by the state is counted as 100% whatever else exists."""
    parent = {
        "name": "Provincial Group",
        "kind": "state_owned_enterprise",
        "country": "CN",
        "voting_pct": 60,
        "owners": [{"name": "SASAC", "kind": "government", "country": "CN", "voting_pct": 100}],
    }
    data = _deal(owners=[parent], owners_complete=False)
    data["rights"]["voting_pct"] = 30
    result = screen(Deal.model_validate(data), rulebook=rulebook)
    assert "cfius.mandatory.gov_substantial_interest" in result.fired


@pytest.mark.parametrize(("complete", "expected"), [(True, False), (False, None)])
def test_unlisted_holders_may_make_a_us_company_foreign_controlled(
    rulebook: Any, complete: bool, expected: bool | None
) -> None:
    """800.224: a U.S. company with a known 40% U.S. holder: others (60%) could be a parent.

    The holder is a U.S. national: a U.S. company holder whose own owners are not recorded
    could itself be foreign-controlled, which leaves control open even for a complete list
    (800.224(a)(2), as issue 11 reads it).
    """
    data = _deal(
        kind="company",
        country="US",
        principal_place_of_business="US",
        owners=[
            {
                "name": "US Holder",
                "kind": "individual",
                "country": "US",
                "nationalities": ["US"],
                "voting_pct": 40,
            }
        ],
        owners_complete=complete,
    )
    assert _view(rulebook, data).investor.foreign_person is expected


def test_unknown_list_memberships_leave_list_rules_open(rulebook: Any) -> None:
    """`lists: null`: the investor may be listed, so rules that need it are open, not false."""
    view = _view(rulebook, _deal(lists=None))
    assert view.investor.lists == AtLeast(known=[])
    assert isinstance(view.get("parties.investor_lists"), AtLeast)
    assert view.investor.excepted_investor is not True
    known = _view(rulebook, _deal(lists=["ns_cmic"], owners_complete=False, owners=[]))
    assert known.investor.lists == AtLeast(known=["ns_cmic"])


def test_a_known_listing_still_fires_when_others_are_unknown(rulebook: Any) -> None:
    """A partial list fact is true for what is known: `contains ofac_sdn` fires."""
    data = _deal(lists=["ofac_sdn"])
    data["investor"]["owners"] = [
        {"name": "Unknown Holdco", "kind": "company", "country": "HK", "lists": None}
    ]
    result = screen(Deal.model_validate(data), rulebook=rulebook)
    assert result.verdict == "prohibited"


def test_unlisted_co_investors_leave_the_concert_sum_open(rulebook: Any) -> None:
    """800.208(b): with co-investors marked incomplete, only a lower bound of the bloc is known."""
    data = _deal()
    data["rights"]["voting_pct"] = 30
    data["co_investors_complete"] = False
    view = _view(rulebook, data)
    assert view.investor.concert_voting_pct == Range(min=Decimal(30))
