"""Issue 11: the under-calls found by the legal review of the risk-factor policy (review F).

Each test names the provision it checks and rebuilds the reviewer's case as a record fragment
merged onto the examples' base deal (see tests/test_issue11_defects.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from screening import screen
from screening.facts.derive import derive
from screening.model.deal import Deal
from screening.model.loader import load_deal
from tests.test_issue11_defects import ACTIVE, CT, FUND, deal, fired, owner, view

PRC_NATIONAL = {
    "name": "Chen Wei",
    "kind": "individual",
    "country": "CN",
    "nationalities": ["CN"],
    "residences": ["CN"],
}
RECORDS_5M = {
    "target": {"sensitive_data": {"categories": ["health"], "individuals_max_12_months": 5000000}}
}
JP_CO = {"country": "JP", "principal_place_of_business": "JP"}
OBSERVER_6 = {"rights": {"voting_pct": 6, "equity_pct": 6, "board_observer": True}}


def canadian(**extra: Any) -> dict[str, Any]:
    """Maple Ridge: a Canadian company meeting every other 800.219(a)(3) test."""
    return {
        "investor": {
            "name": "Maple Ridge Capital Inc.",
            "country": "CA",
            "principal_place_of_business": "CA",
            "board_us_or_excepted_pct": 100,
            "minimum_excepted_ownership_met": True,
            "disqualifiers": [],
            "owners": [],
            "controlled_by_foreign_person": False,
            **extra,
        }
    }


def cfius(rulebook: Any, *fragments: dict[str, Any]) -> Any:
    return screen(deal(*fragments), rulebook=rulebook).regimes["cfius_800"]


# ------------------------------------------------------------------------------------------
# Item 1: 800.219(a)(3)(iv) "or otherwise could exercise control over such entity"


def test_excepted_investor_baseline_is_clear(rulebook: Any) -> None:
    """800.211(b), 800.219: an excepted investor's 6% with an observer is not a covered investment."""
    assert view(rulebook, canadian()).investor.excepted_investor is True
    assert cfius(rulebook, canadian(), OBSERVER_6, RECORDS_5M).verdict == "clear"


def test_contractual_controller_from_a_non_excepted_state_defeats_excepted_status(
    rulebook: Any,
) -> None:
    """800.219(a)(3)(iv)(A): a PRC national who could control Maple Ridge by contract is not a
    national of an excepted state: no excepted investor; the 6% and observer in a business
    holding sensitive data on 5 million people is a covered investment (800.211(b))."""
    frag = canadian(controlled_by=PRC_NATIONAL, controlled_by_foreign_person=True)
    assert view(rulebook, frag).investor.excepted_investor is False
    result = cfius(rulebook, frag, OBSERVER_6, RECORDS_5M)
    assert (result.verdict, result.ceiling) == ("filing_advised", "filing_advised")


def test_controller_of_a_canadian_parent_is_tested_too(rulebook: Any) -> None:
    """800.219(a)(3): the tests, (iv) included, apply to each parent of the investor."""
    parent = {
        "name": "Maple Parent Ltd.",
        "kind": "company",
        "country": "CA",
        "principal_place_of_business": "CA",
        "voting_pct": 100,
        "equity_pct": 100,
        "board_us_or_excepted_pct": 100,
        "minimum_excepted_ownership_met": True,
        "disqualifiers": [],
        "owners": [],
        "controlled_by": PRC_NATIONAL,
    }
    frag = canadian(owners=[parent], controlled_by_foreign_person=None)
    assert view(rulebook, frag).investor.excepted_investor is False
    assert cfius(rulebook, frag, OBSERVER_6, RECORDS_5M).verdict == "filing_advised"


def test_unnamed_foreign_controller_leaves_excepted_status_open(rulebook: Any) -> None:
    """800.219(a)(3)(iv): a foreign person controls the investor, not named: unknown, never true."""
    frag = canadian(controlled_by_foreign_person=True)
    v = view(rulebook, frag)
    assert v.investor.excepted_investor is None
    result = cfius(rulebook, frag, OBSERVER_6, RECORDS_5M)
    # the exemption's facts are unknown: it stays possible and lowers nothing (never clear)
    assert (result.verdict, result.ceiling) == ("filing_advised", "filing_advised")
    possible = {e.rule_id: e.could_lower_to for e in result.possible_exemptions}
    assert possible["cfius.exempt.excepted_investor_ci"] == "clear"


def test_excepted_state_controller_keeps_excepted_status(rulebook: Any) -> None:
    """800.219(a)(3)(iv)(A): a controller who is a Canadian national qualifies."""
    ca = {"name": "Anne Roy", "kind": "individual", "nationalities": ["CA"]}
    assert view(rulebook, canadian(controlled_by=ca)).investor.excepted_investor is True


# ------------------------------------------------------------------------------------------
# Item 2: 800.219(b) aggregation of holders below 10%


def soe(name: str, pct: int) -> dict[str, Any]:
    gov = {"name": "SASAC", "kind": "government", "country": "CN", "voting_pct": 100}
    return owner(name, "CN", pct, kind="state_owned_enterprise", equity_pct=pct, owners=[gov])


def test_same_state_government_holders_are_aggregated(rulebook: Any) -> None:
    """800.219(a)(3)(iv), (b): agencies or instrumentalities of a single foreign state are
    aggregated: two PRC state-owned holders at 9% each hold 18% together."""
    frag = canadian(owners=[soe("PRC SOE One", 9), soe("PRC SOE Two", 9)])
    assert view(rulebook, frag).investor.excepted_investor is False
    result = cfius(rulebook, frag, OBSERVER_6, RECORDS_5M)
    assert result.verdict == "filing_advised"
    assert result.ceiling == "filing_advised"


def test_unrecorded_relation_between_small_holders_is_unknown(rulebook: Any) -> None:
    """800.219(b): whether two non-excepted 6% holders are related or act in concert is not
    recorded; together they could hold 12%: unknown, never met."""
    jp = [
        owner("JP Holder A", "JP", 6, equity_pct=6, principal_place_of_business="JP"),
        owner("JP Holder B", "JP", 6, equity_pct=6, principal_place_of_business="JP"),
    ]
    frag = canadian(owners=jp)
    assert view(rulebook, frag).investor.excepted_investor is None
    result = cfius(rulebook, frag, OBSERVER_6, RECORDS_5M)
    assert (result.verdict, result.ceiling) == ("filing_advised", "filing_advised")
    possible = {e.rule_id for e in result.possible_exemptions}
    assert "cfius.exempt.excepted_investor_ci" in possible


def test_small_excepted_state_holders_need_no_aggregation(rulebook: Any) -> None:
    """800.219(a)(3)(iv)(C): holders that qualify themselves pass however aggregated."""
    ca = [
        owner("CA Holder A", "CA", 6, equity_pct=6, principal_place_of_business="CA"),
        owner("CA Holder B", "CA", 6, equity_pct=6, principal_place_of_business="CA"),
    ]
    assert view(rulebook, canadian(owners=ca)).investor.excepted_investor is True


# ------------------------------------------------------------------------------------------
# Item 7: the two tie unknowns


def test_foreign_vehicle_controlled_by_unnamed_person_has_an_unknown_tie(rulebook: Any) -> None:
    """800.102 policy: a Cayman holdco based in Singapore, controlled by an unnamed foreign person
    (the issue's "Cayman vehicle controlled from China"), is not shown untied."""
    investor = {
        "name": "Lotus Cayman Ltd.",
        "country": "KY",
        "principal_place_of_business": "SG",
        "owners": [],
        "controlled_by_foreign_person": True,
    }
    v = view(rulebook, {"investor": investor})
    assert v.investor.coc_tie is None
    result = cfius(rulebook, {"investor": investor}, {"rights": {"voting_pct": 60, **ACTIVE}})
    assert (result.verdict, result.ceiling) == ("covered", "filing_advised")


def test_fund_with_unrecorded_limited_partners_has_an_unknown_tie(rulebook: Any) -> None:
    """The tie counts a fund's limited partners of 10% or more: unrecorded LPs leave it open."""
    investor = FUND | {
        "country": "KY",
        "principal_place_of_business": "KY",
        "owners": [],
        "controlled_by_foreign_person": False,
        "limited_partners": None,
    }
    assert view(rulebook, {"investor": investor}).investor.coc_tie is None
    assert (
        view(rulebook, {"investor": investor | {"limited_partners": []}}).investor.coc_tie is False
    )


# ------------------------------------------------------------------------------------------
# Items 4 and 5: a limited partner's foreign status by control, and its own covered investment


def us_fund(*lps: dict[str, Any]) -> dict[str, Any]:
    return {
        "investor": FUND
        | {
            "name": "Lakeview Growth Fund LP",
            "country": "US",
            "principal_place_of_business": "US",
            "controlled_by_foreign_person": False,
            "owners": [],
            "limited_partners": list(lps),
        }
    }


FEEDER = {
    "name": "Jade Summit US Feeder LLC",
    "kind": "company",
    "country": "US",
    "principal_place_of_business": "US",
    "equity_pct": 20,
    "controls_fund": False,
    "portfolio_rights": False,
    "mnpti_access": True,
    "ct_authorization_required": True,
}


def test_us_feeder_controlled_from_china_is_a_foreign_limited_partner(rulebook: Any) -> None:
    """800.224(a)(2): an entity controlled by a foreign person is a foreign person; the feeder's
    MNPTI in a critical-technology business is its own covered investment needing a mandatory
    declaration (800.401(c)(1), (j)(3))."""
    ct = {
        "target": CT,
        "rights": {"voting_pct": 10, "board_seats": 1, **ACTIVE},
    }
    controlled = FEEDER | {"controlled_by": PRC_NATIONAL}
    assert view(rulebook, us_fund(controlled)).investor.foreign_lp_with_rights is True
    result = cfius(rulebook, us_fund(controlled), ct)
    assert (result.verdict, result.ceiling) == ("filing_required", "filing_required")
    # nothing recorded about who controls the U.S. feeder: unknown, never false
    v = view(rulebook, us_fund(FEEDER))
    assert v.investor.foreign_lp_with_rights is None
    open_ = cfius(rulebook, us_fund(FEEDER), ct)
    assert open_.ceiling == "filing_required"
    # recorded as not foreign-controlled: a U.S. person
    free = FEEDER | {"controlled_by_foreign_person": False}
    assert view(rulebook, us_fund(free)).investor.foreign_lp_with_rights is False


def test_risk_factors_apply_to_a_limited_partners_own_covered_investment(rulebook: Any) -> None:
    """800.211(b), 800.307(a)(6), 800.401(j)(3) with the 800.102 policy: a PRC LP with a
    portfolio right in a business holding health data on 3 million people has its own covered
    investment; the tie and TID factors are tested on that LP."""
    prc_lp = {
        "name": "Jade Summit Capital",
        "kind": "company",
        "country": "CN",
        "principal_place_of_business": "CN",
        "equity_pct": 15,
        "controls_fund": False,
        "mnpti_access": False,
        "portfolio_rights": True,
    }
    spd = {
        "target": {
            "sensitive_data": {"categories": ["health"], "individuals_max_12_months": 3000000}
        }
    }
    frag = [us_fund(prc_lp), spd, {"rights": {"voting_pct": 10, "board_seats": 1, **ACTIVE}}]
    v = view(rulebook, *frag)
    assert v.investor.foreign_lp_coc_tie is True
    assert "Jade Summit Capital, organized in CN" in (v.investor.foreign_lp_coc_tie_link or "")
    got = fired(rulebook, *frag)
    assert {
        "cfius.covered.fund_lp",
        "cfius.risk.lp_country_of_concern_tie",
        "cfius.risk.lp_tid_non_excepted",
    } <= got
    result = cfius(rulebook, *frag)
    assert (result.verdict, result.ceiling) == ("filing_advised", "filing_advised")


# ------------------------------------------------------------------------------------------
# Item 3: part 850, a U.S. parent holding through its own U.S. subsidiary


def test_us_parent_holding_through_its_us_subsidiary_is_aggregated(rulebook: Any) -> None:
    """850.206(b)(1) ("fully attributed to the parent"), (b)(3) (direct and indirect aggregated),
    850.219(a)(1): US Parent holds 30% of the Cayman investor directly and 30% through its wholly
    owned U.S. LLC, 60% in all: the investor is its controlled foreign entity, and the 40% stake in
    an IC packaging company in Wuxi must be notified (850.402)."""
    path = (
        Path(__file__).parent.parent
        / "fixtures/deals/harbor-cayman-holdco-us-parent-ic-packaging.yaml"
    )
    data = load_deal(path).model_dump(mode="json", exclude_none=True)
    us_parent = {"name": "US Parent Inc.", "kind": "company", "country": "US"}
    data["investor"]["owners"] = [
        us_parent | {"voting_pct": 30, "equity_pct": 30, "owners": []},
        {
            "name": "US Parent Holdings LLC",
            "kind": "company",
            "country": "US",
            "voting_pct": 30,
            "equity_pct": 30,
            "owners": [us_parent | {"voting_pct": 100, "equity_pct": 100, "owners": []}],
        },
        owner("Lion Gate Capital Pte. Ltd.", "SG", 40, equity_pct=40, owners=[]),
    ]
    record = Deal.model_validate(data).root
    derived = derive(record, rulebook.references, record.completion_date)
    assert derived.extra["outbound"].controlled_foreign_entity is True
    result = screen(record, rulebook=rulebook)
    assert (result.regimes["outbound_850"].verdict, result.regimes["outbound_850"].ceiling) == (
        "filing_required",
        "filing_required",
    )
    # a U.S. subsidiary not wholly owned: a 40% U.S. LLC holding is attributed only to itself
    data["investor"]["owners"][1]["owners"][0]["voting_pct"] = 40
    data["investor"]["owners"][1]["owners"].append(owner("SG Other", "SG", 60, owners=[]))
    record = Deal.model_validate(data).root
    derived = derive(record, rulebook.references, record.completion_date)
    assert derived.extra["outbound"].controlled_foreign_entity is False


# ------------------------------------------------------------------------------------------
# Item 6: OFAC caution on the target's owners, controllers and limited partners


def restricted(rulebook: Any, *fragments: dict[str, Any]) -> tuple[str, str | None]:
    r = screen(deal(*fragments), rulebook=rulebook).regimes["restricted_parties"]
    return r.verdict, r.ceiling


SBER = {"name": "Sberbank", "kind": "company", "country": "RU"}


def test_sdn_minority_owner_of_the_target_calls_for_caution(rulebook: Any) -> None:
    """OFAC Revised Guidance on Entities Owned by Blocked Persons (Aug. 13, 2014), FAQ 398: a
    target 49% owned by an SDN is not blocked, but OFAC urges caution."""
    target = {
        "target": {
            "owners": [
                SBER | {"equity_pct": 49, "owners": []},
                {"name": "US Holder Inc.", "kind": "company", "country": "US", "equity_pct": 51}
                | {"owners": []},
            ]
        }
    }
    assert view(rulebook, target).extra["parties"].sdn_minority_owner is True
    assert "restricted.ofac_sdn.minority_owner" in fired(rulebook, target)
    assert restricted(rulebook, target)[0] == "filing_advised"


def test_investor_controlled_by_an_sdn_calls_for_caution(rulebook: Any) -> None:
    """OFAC guidance (2014): "control ... by means other than a majority ownership interest":
    a Japanese investor controlled by an SDN is screened through its controller."""
    frag = {"investor": {**JP_CO, "owners": [], "controlled_by": SBER}}
    assert "restricted.ofac_sdn.minority_owner" in fired(rulebook, frag)
    assert restricted(rulebook, frag)[0] == "filing_advised"
    assert "ofac_sdn" in view(rulebook, frag).extra["parties"].owner_lists


def test_sdn_limited_partner_of_a_us_fund_calls_for_caution(rulebook: Any) -> None:
    """OFAC FAQ 398: a U.S. fund with a 40% SDN limited partner is not blocked, but dealings
    must not benefit the blocked LP: caution (filing_advised), not clear."""
    frag = {
        "investor": FUND
        | {
            "country": "US",
            "principal_place_of_business": "US",
            "owners": [],
            "limited_partners": [SBER | {"equity_pct": 40}],
        }
    }
    assert restricted(rulebook, frag)[0] == "filing_advised"


# ------------------------------------------------------------------------------------------
# Item 8: 800.222 and 800.505(b) only with control


SOE = {
    "investor": {
        "kind": "state_owned_enterprise",
        "owners": [{"name": "SASAC", "kind": "government", "country": "CN", "voting_pct": 100}],
    }
}


def test_government_controlled_transaction_needs_control(rulebook: Any) -> None:
    """800.222: a foreign-government-controlled transaction is a covered *control* transaction;
    a non-controlling covered investment (30% and a board seat) keeps the 800.102 /
    section 721(f)(8) factor without the 800.222 / 800.505(b) wording."""
    board = {
        "rights": {"voting_pct": 30, "board_seats": 1, "board_size": 7, **ACTIVE},
        "target": {
            "sensitive_data": {"categories": ["health"], "individuals_max_12_months": 3000000}
        },
    }
    result = screen(deal(SOE, board), rulebook=rulebook)
    hit = result.hit("cfius.risk.government_controlled")
    assert hit is not None and not hit.suppressed_by
    assert "800.222" not in hit.explanation and "800.505(b)" not in hit.explanation
    assert result.hit("cfius.risk.government_controlled_transaction") is None
    control = screen(deal(SOE, {"rights": {"voting_pct": 60, **ACTIVE}}), rulebook=rulebook)
    hit = control.hit("cfius.risk.government_controlled_transaction")
    assert hit is not None and "800.222" in hit.explanation and "800.505(b)" in hit.explanation
    assert control.regimes["cfius_800"].verdict == "filing_advised"


# ------------------------------------------------------------------------------------------
# Item 10: the target-side OFAC question; an attested ownership screening


def offshore_target(pct: int) -> dict[str, Any]:
    return {
        "target": {
            "name": "Limassol Holdings Ltd.",
            "country": "CY",
            "owners": [SBER | {"equity_pct": pct, "owners": []}],
        }
    }


def test_non_us_target_blocked_binds_only_with_a_us_nexus(rulebook: Any) -> None:
    """OFAC guidance (2014); 31 CFR 515.329, 560.215: a non-U.S. target 60% owned by an SDN binds
    U.S. persons and those causing a U.S. nexus; a Japanese investor recording none is advised
    (filing_advised), not prohibited; its nexus unknown keeps prohibited as the ceiling."""
    no_nexus = {"investor": {**JP_CO, "owners": [], "us_sanctions_nexus": False}}
    assert restricted(rulebook, no_nexus, offshore_target(60)) == (
        "filing_advised",
        "filing_advised",
    )
    assert "restricted.ofac_sdn.owned_offshore" in fired(rulebook, no_nexus, offshore_target(60))
    unknown = {"investor": {**JP_CO, "owners": []}}
    assert restricted(rulebook, unknown, offshore_target(60))[1] == "prohibited"
    nexus = {"investor": {**JP_CO, "owners": [], "us_sanctions_nexus": True}}
    assert restricted(rulebook, nexus, offshore_target(60))[0] == "prohibited"
    us_investor = {"investor": {"country": "US", "principal_place_of_business": "US"}}
    assert restricted(rulebook, us_investor, offshore_target(60))[0] == "prohibited"


def test_us_target_blocked_is_prohibited_whoever_buys(rulebook: Any) -> None:
    """31 CFR 587.406, 594.412 [50% rule]: a U.S. target owned 50% by an SDN is blocked property
    in the United States: prohibited even for a foreign buyer with no other U.S. nexus."""
    no_nexus = {"investor": {**JP_CO, "owners": [], "us_sanctions_nexus": False}}
    target = {"target": {"owners": [SBER | {"equity_pct": 50, "owners": []}]}}
    assert restricted(rulebook, no_nexus, target)[0] == "prohibited"


def test_attested_ownership_screening_settles_the_fifty_percent_question(rulebook: Any) -> None:
    """OFAC 50 Percent Rule: an owners list of 10% holders marked incomplete cannot rule out small
    blocked stakes adding up to 50%; an attested screening of the whole ownership (date, by whom,
    no blocked owners found) settles it; one dated after the screening date does not."""
    open_target = {"target": {"owners": [], "owners_complete": False}}
    before = screen(deal(open_target), rulebook=rulebook)
    assert before.regimes["restricted_parties"].ceiling == "prohibited"
    [question] = [q for q in before.open_questions if q.rule_id == "restricted.ofac_sdn.owned"]
    assert "sanctions_ownership_screened" in question.question
    attest = {"date": "2025-06-01", "by": "Acme Compliance LLP (World-Check)"}
    screened = {
        "target": {"sanctions_ownership_screened": attest | {"result": "no_blocked_owners"}}
    }
    after = screen(deal(open_target, screened), rulebook=rulebook)
    assert not [q for q in after.open_questions if q.rule_id == "restricted.ofac_sdn.owned"]
    assert after.regimes["restricted_parties"].ceiling != "prohibited"
    late = {"target": {"sanctions_ownership_screened": attest | {"date": "2025-07-15"}}}
    late["target"]["sanctions_ownership_screened"]["result"] = "no_blocked_owners"
    stale = screen(deal(open_target, late), rulebook=rulebook)
    assert stale.regimes["restricted_parties"].ceiling == "prohibited"
    found = {
        "target": {"sanctions_ownership_screened": attest | {"result": "blocked_owners_found"}}
    }
    flagged = screen(deal(open_target, found), rulebook=rulebook)
    assert flagged.regimes["restricted_parties"].verdict == "filing_advised"
    assert flagged.regimes["restricted_parties"].ceiling == "prohibited"


# ------------------------------------------------------------------------------------------
# Items 9 and 11: a concluded CFIUS review; the air-carrier carve-out for a fund's LP


def test_concluded_cfius_review_sets_the_risk_factors_aside(rulebook: Any) -> None:
    """800.701(b)(2): once CFIUS advised that it concluded all action (800.506, 800.508(d)), the
    section 721(d) authority shall not be exercised: the deal stays covered, no filing is
    advised. Notified but not concluded keeps the factors."""
    frag = [
        {"investor": {"owners": []}},
        OBSERVER_6,
        RECORDS_5M,
    ]
    open_ = cfius(rulebook, *frag, {"history": {"notified": True, "cfius_action_concluded": False}})
    assert open_.verdict == "filing_advised"
    done = {"history": {"notified": True, "cfius_action_concluded": True}}
    result = screen(deal(*frag, done), rulebook=rulebook)
    assert (result.regimes["cfius_800"].verdict, result.regimes["cfius_800"].ceiling) == (
        "covered",
        "covered",
    )
    hit = result.hit("cfius.risk.country_of_concern_tie")
    assert hit is not None and hit.suppressed_by == ["cfius.exempt.concluded_review"]
    unknown = cfius(rulebook, *frag, {"history": {"notified": True}})
    assert unknown.verdict == "filing_advised"
    assert "cfius.exempt.concluded_review" in {e.rule_id for e in unknown.possible_exemptions}


def test_air_carrier_carve_out_covers_a_limited_partners_indirect_investment(
    rulebook: Any,
) -> None:
    """800.211(c): no investment in a certificated air carrier short of control is a covered
    investment, a foreign LP's indirect one through the fund included."""
    prc_lp = {
        "name": "Jade Summit Capital",
        "kind": "company",
        "country": "CN",
        "principal_place_of_business": "CN",
        "portfolio_rights": True,
    }
    frag = [
        us_fund(prc_lp),
        {"rights": {"voting_pct": 10, "board_seats": 1, **ACTIVE}},
        {
            "target": {
                "certificated_air_carrier": True,
                "sensitive_data": {"categories": ["health"], "individuals_max_12_months": 3000000},
            }
        },
    ]
    result = screen(deal(*frag), rulebook=rulebook)
    hit = result.hit("cfius.covered.fund_lp")
    assert hit is not None and "cfius.exempt.air_carrier_ci" in hit.suppressed_by
    assert result.regimes["cfius_800"].verdict == "clear"
