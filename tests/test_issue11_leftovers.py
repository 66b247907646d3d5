"""Issue 11: three narrow under-calls the legal review (review F, items 3, 6 and 11) left open.

Each test names the provision it checks and rebuilds the case as a record fragment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from screening import screen
from screening.facts.derive import derive
from screening.model.deal import Deal
from screening.model.loader import load_deal
from tests.test_issue11_defects import FUND, deal, owner, view

HARBOR = (
    Path(__file__).parent.parent / "fixtures/deals/harbor-cayman-holdco-us-parent-ic-packaging.yaml"
)


def _harbor(owners: list[dict[str, Any]]) -> Any:
    data = load_deal(HARBOR).model_dump(mode="json", exclude_none=True)
    data["investor"]["owners"] = owners
    return Deal.model_validate(data).root


def _cfe(rulebook: Any, owners: list[dict[str, Any]]) -> Any:
    record = _harbor(owners)
    return derive(record, rulebook.references, record.completion_date).extra["outbound"]


US_PARENT = {"name": "US Parent Inc.", "kind": "company", "country": "US", "owners": []}


def _us_llc(pct: int, **extra: Any) -> dict[str, Any]:
    return {
        "name": "US Parent Holdings LLC",
        "kind": "company",
        "country": "US",
        "voting_pct": pct,
        "equity_pct": pct,
        **extra,
    }


# ------------------------------------------------------------------------------------------
# Item 1: part 850, a U.S. owner whose own owners are not recorded


def test_us_owner_with_unrecorded_owners_may_aggregate_with_a_us_holder(rulebook: Any) -> None:
    """850.206(b)(1) (a subsidiary's holding "fully attributed to the parent"), (b)(3) (direct and
    indirect aggregated), 850.219(a)(1): US Parent holds 30% directly; a U.S. LLC whose owners are
    not recorded holds another 30%. If US Parent owns the LLC, it holds 60%: the Cayman investor
    may be its controlled foreign entity, so the fact is unknown, not false."""
    owners = [
        US_PARENT | {"voting_pct": 30, "equity_pct": 30},
        _us_llc(30),  # owners not recorded (None)
        owner("Lion Gate Capital Pte. Ltd.", "SG", 40, equity_pct=40, owners=[]),
    ]
    facts = _cfe(rulebook, owners)
    assert facts.controlled_foreign_entity is None
    result = screen(_harbor(owners), rulebook=rulebook).regimes["outbound_850"]
    assert result.ceiling == "filing_required"


def test_us_owner_with_incomplete_owners_list_is_unknown(rulebook: Any) -> None:
    """850.206(b)(1), (3): the LLC's owners list is marked incomplete and records only a 40%
    Singapore holder: the unrecorded 60% may be US Parent's, which then is the LLC's parent."""
    owners = [
        US_PARENT | {"voting_pct": 30, "equity_pct": 30},
        _us_llc(
            30,
            owners=[owner("SG Other", "SG", 40, owners=[])],
            owners_complete=False,
        ),
        owner("Lion Gate Capital Pte. Ltd.", "SG", 40, equity_pct=40, owners=[]),
    ]
    assert _cfe(rulebook, owners).controlled_foreign_entity is None


def test_unrecorded_us_owner_that_cannot_reach_the_threshold_stays_false(rulebook: Any) -> None:
    """850.219(a)(1) "more than 50 percent": a U.S. LLC (owners not recorded) holding 30%, every
    other holder foreign and fully recorded: no U.S. person can aggregate more than 30%, so the
    investor is known not to be a controlled foreign entity (precision: no needless unknown)."""
    owners = [
        _us_llc(30),
        owner("Lion Gate Capital Pte. Ltd.", "SG", 70, equity_pct=70, owners=[]),
    ]
    assert _cfe(rulebook, owners).controlled_foreign_entity is False


def test_two_unrecorded_us_owners_may_share_one_parent(rulebook: Any) -> None:
    """850.206(b)(3): two U.S. LLCs of 30% each, owners not recorded: one U.S. parent of both
    would hold 60%: unknown."""
    owners = [
        _us_llc(30),
        _us_llc(30) | {"name": "Second US LLC"},
        owner("Lion Gate Capital Pte. Ltd.", "SG", 40, equity_pct=40, owners=[]),
    ]
    assert _cfe(rulebook, owners).controlled_foreign_entity is None


def test_recorded_us_owner_without_parent_stays_false(rulebook: Any) -> None:
    """850.219(a)(1): the U.S. LLC's owners are recorded in full (a 40% U.S. holder and a 60%
    Singapore holder): it has no U.S. parent, and 30% + 30% is not aggregated."""
    owners = [
        US_PARENT | {"voting_pct": 30, "equity_pct": 30},
        _us_llc(
            30,
            owners=[
                US_PARENT | {"voting_pct": 40, "equity_pct": 40},
                owner("SG Other", "SG", 60, owners=[]),
            ],
        ),
        owner("Lion Gate Capital Pte. Ltd.", "SG", 40, equity_pct=40, owners=[]),
    ]
    assert _cfe(rulebook, owners).controlled_foreign_entity is False


# ------------------------------------------------------------------------------------------
# Item 2: OFAC 50 Percent Rule, blocked limited partners counted in the aggregate

SBER = {"name": "Sberbank", "kind": "company", "country": "RU"}
VTB = {"name": "VTB Bank", "kind": "company", "country": "RU"}


def _fund(lps: list[dict[str, Any]], owners: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    investor = FUND | {
        "country": "US",
        "principal_place_of_business": "US",
        "limited_partners": lps,
        "owners": owners,
    }
    return {"investor": investor}


def _blocked(rulebook: Any, frag: dict[str, Any]) -> Any:
    return view(rulebook, frag).extra["parties"].blocked_by_ownership


def test_blocked_limited_partner_of_half_the_fund_blocks_it(rulebook: Any) -> None:
    """OFAC Revised Guidance on Entities Owned by Blocked Persons (Aug. 13, 2014), FAQ 398: an
    entity owned 50 percent or more by a blocked person is blocked; an LP's interest in a fund is
    an ownership interest: an SDN LP with 50% of the fund's equity blocks the fund."""
    frag = _fund([SBER | {"equity_pct": 50}], owners=[])
    assert _blocked(rulebook, frag) is True
    result = screen(deal(frag), rulebook=rulebook)
    assert result.regimes["restricted_parties"].verdict == "prohibited"


def test_blocked_limited_partners_aggregate(rulebook: Any) -> None:
    """OFAC FAQ 399 ("in the aggregate, 50 percent or more"): two SDN LPs of 30% and 25%."""
    frag = _fund([SBER | {"equity_pct": 30}, VTB | {"equity_pct": 25}], owners=[])
    assert _blocked(rulebook, frag) is True


def test_blocked_limited_partner_aggregates_with_a_blocked_owner(rulebook: Any) -> None:
    """OFAC FAQ 399: a 30% SDN LP and a 25% SDN holder of the fund add to 55%."""
    frag = _fund([SBER | {"equity_pct": 30}], owners=[VTB | {"equity_pct": 25, "owners": []}])
    assert _blocked(rulebook, frag) is True


def test_limited_partner_owned_by_a_blocked_person_counts_in_full(rulebook: Any) -> None:
    """OFAC FAQ 401: an LP 60% owned by an SDN is itself blocked; its 50% of the fund counts."""
    lp = {
        "name": "Volga Holdings Ltd",
        "kind": "company",
        "country": "CY",
        "equity_pct": 50,
        "owners": [SBER | {"equity_pct": 60, "owners": []}],
    }
    assert _blocked(rulebook, _fund([lp], owners=[])) is True


def test_limited_partner_with_unrecorded_owners_leaves_the_total_open(rulebook: Any) -> None:
    """Unknown is not false: a 20% SDN LP and a 40% LP whose own owners are not recorded (it may
    itself be blocked, FAQ 401) could reach 60%: unknown; with its owners recorded, 20%: false."""
    other = {"name": "Steppe Capital LLP", "kind": "company", "country": "KZ", "equity_pct": 40}
    frag = _fund([SBER | {"equity_pct": 20}, other], owners=[])
    assert _blocked(rulebook, frag) is None
    frag = _fund([SBER | {"equity_pct": 20}, other | {"owners": []}], owners=[])
    assert _blocked(rulebook, frag) is False


def test_limited_partners_count_when_the_funds_other_holders_are_not_recorded(
    rulebook: Any,
) -> None:
    """OFAC FAQ 398: a 50% SDN LP blocks the fund even when its other holders are not recorded."""
    assert _blocked(rulebook, _fund([SBER | {"equity_pct": 50}], owners=None)) is True


def test_limited_partner_also_recorded_as_owner_is_counted_once(rulebook: Any) -> None:
    """A 30% SDN recorded both as a holder and as an LP of the fund is 30%, not 60%."""
    frag = _fund([SBER | {"equity_pct": 30}], owners=[SBER | {"equity_pct": 30, "owners": []}])
    assert _blocked(rulebook, frag) is False
