"""Issue 12 review leftovers (reviewer I, items 5-8): the Entity List rules read the listed
recipient, not every co-investor; the equity-like financing rule needs control or a TID business
with an 800.211(b) right (800.306(d)(3)-(4)); the know-how and technical-information findings need
a foreign recipient; a licence-required ECCN with no critical technology recorded is an open
question (800.215), never a silent clear."""

from __future__ import annotations

from typing import Any

import pytest

from screening import load_deal, screen
from screening.authoring.examples import BASE_DEAL, merge
from screening.errors import DealError
from screening.facts.derive import derive
from screening.model._yaml import Document
from screening.model.deal import Deal
from screening.model.loader import validate_deal
from tests.conftest import FIXTURES

GRIDSTORE = FIXTURES / "gridstore-consortium-three-investors.yaml"
BAYOU = FIXTURES / "bayou-graphite-prepaid-offtake-in-default.yaml"
HUANENG = "Huaneng Storage Investment Co., Ltd."
RHEINLAND = "Rheinland Infrastruktur GmbH"
EL = ("ear.entity_list.licence", "ear.entity_list.denial")
# Process know-how released to the consortium, the Huaneng entry's terms as most PRC entries read.
RELEASE = {
    "releases_technology": True,
    "published_or_fundamental": False,
    "recipient_countries": ["DE"],
    "eccn": "EAR99",
    "licence_required_for_country": False,
    "entity_list_covers_items": True,
    "entity_list_policy": "presumption_of_denial",
    "foreign_direct_product_to_footnoted": False,
}


def _gridstore(**export: Any) -> dict[str, Any]:
    data: dict[str, Any] = load_deal(GRIDSTORE).model_dump(mode="json", exclude_none=True)
    data.pop("expected", None)
    data["co_investors"][0]["party"]["lists"] = ["bis_entity_list"]
    data["export_control"] = RELEASE | export
    return data


def _screen(data: dict[str, Any], rulebook: Any) -> Any:
    return screen(Deal.model_validate(data).root, rulebook=rulebook)


def _deal(*fragments: dict[str, Any]) -> Any:
    data = BASE_DEAL
    for f in fragments:
        data = merge(data, f)
    return Deal.model_validate(data).root


# ---------------------------------------------------------------------------------------------
# 1. Entity List: the listed recipient (15 CFR 744.11, 744.16)


def test_listed_co_investor_whose_receipt_is_unrecorded_is_an_open_question(rulebook: Any) -> None:
    """744.16: the licence binds exports to the listed party. A listed co-investor that may or may
    not receive the technology leaves the licence open (ceiling prohibited under the denial
    policy), and no hit says the lead investor is listed (it is not)."""
    result = _screen(_gridstore(), rulebook)
    fired = {h.rule_id for h in result.hits}
    assert not fired & set(EL)
    questions = {q.rule_id: q.could_raise_to for q in result.open_questions}
    assert questions.get("ear.entity_list.denial") == "prohibited"
    ear = result.regimes["ear"]
    assert (ear.verdict, ear.ceiling) == ("covered", "prohibited")  # a release to DE staff
    assert not any(f"{RHEINLAND}'s Entity List" in h.explanation for h in result.hits)
    derived = {d.path: d.explanation for d in result.derived}
    assert HUANENG in derived["parties.entity_list_recipient"]
    assert "not recorded" in derived["parties.entity_list_recipient"]


def test_listed_co_investor_that_receives_is_named(rulebook: Any) -> None:
    """744.16(c): the denial hit names the listed recipient, Huaneng, not the lead investor."""
    result = _screen(_gridstore(recipient_parties=[RHEINLAND, HUANENG]), rulebook)
    hit = result.hit("ear.entity_list.denial")
    assert hit is not None
    assert HUANENG in hit.explanation and RHEINLAND not in hit.explanation
    assert result.regimes["ear"].verdict == "prohibited"


def test_listed_co_investor_that_receives_nothing_needs_no_licence(rulebook: Any) -> None:
    """744.11: only the listed party's receipt needs the licence: recorded as receiving nothing,
    the listing raises no EAR question (the release to the unlisted investor stays covered)."""
    result = _screen(_gridstore(recipient_parties=[RHEINLAND]), rulebook)
    assert not {h.rule_id for h in result.hits} & set(EL)
    assert not {q.rule_id for q in result.open_questions} & set(EL)
    ear = result.regimes["ear"]
    assert (ear.verdict, ear.ceiling) == ("covered", "covered")


def test_listed_investor_still_needs_the_licence(rulebook: Any) -> None:
    """744.16(a)-(b): the investor is the counterparty and recipient unless the record says not."""
    listed = {"investor": {"name": "Listed Investor Co.", "lists": ["bis_entity_list"]}}
    export = {"export_control": RELEASE | {"entity_list_policy": "case_by_case"}}
    result = screen(_deal({"completion_date": "2026-03-31"}, listed, export), rulebook=rulebook)
    hit = result.hit("ear.entity_list.licence")
    assert hit is not None and "Listed Investor Co." in hit.explanation


def test_recipient_parties_must_name_a_party() -> None:
    """A recipient that is not the investor or a co-investor is a located input error."""
    data = merge(BASE_DEAL, {"export_control": RELEASE | {"recipient_parties": ["Nobody Ltd."]}})
    with pytest.raises(DealError) as err:
        validate_deal(Document("deal.yaml", data, {}))
    assert "export_control.recipient_parties[0]" in str(err.value)
    assert "Nobody Ltd." in str(err.value)


# ---------------------------------------------------------------------------------------------
# 2. Equity-like financing: control or a TID business with a board right (800.306(b), (d)(3)-(4))

SP = {
    "kind": "supply_partnership",
    "arrangement": "offtake",
    "transfers_business_operations": False,
}
PROFIT_SHARE = {"supply_terms": {"prepayment_usd": 30000000, "equity_like_rights": True}}
NO_RIGHTS = {"rights": {"voting_pct": 0, "board_seats": 0, "passive_undertaking": False}}
ONE_SEAT = {"rights": {"voting_pct": 0, "board_seats": 1, "board_size": 9}}
SPECIALTY_METAL = {"target": {"infrastructure": [{"item": "ix", "function": "manufacture"}]}}


def test_profit_share_alone_is_not_equity_like_financing(rulebook: Any) -> None:
    """800.306(b) "may constitute": neither (d)(3) (control) nor (d)(4) (TID business, board
    seat) fits a profit share in a business that is not TID: the rule does not fire (Bayou)."""
    result = screen(_deal(SP, NO_RIGHTS, PROFIT_SHARE), rulebook=rulebook)
    assert result.hit("cfius.supply.equity_like_financing") is None
    assert "cfius.supply.equity_like_financing" not in {q.rule_id for q in result.open_questions}
    bayou = screen(load_deal(BAYOU), rulebook=rulebook)
    assert bayou.hit("cfius.supply.equity_like_financing") is None
    assert bayou.regimes["cfius_800"].verdict == "filing_advised"  # the default rule stands


def test_board_seat_in_a_tid_business_is_example_d4(rulebook: Any) -> None:
    """800.306(d)(4): one board seat and dividends in an unaffiliated TID U.S. business."""
    result = screen(_deal(SP, ONE_SEAT, SPECIALTY_METAL, PROFIT_SHARE), rulebook=rulebook)
    assert result.hit("cfius.supply.equity_like_financing") is not None
    assert result.regimes["cfius_800"].verdict == "filing_advised"
    # The same seat in a business that is not TID: no (d)(4) case.
    plain = screen(_deal(SP, ONE_SEAT, PROFIT_SHARE), rulebook=rulebook)
    assert plain.hit("cfius.supply.equity_like_financing") is None


def test_board_majority_is_example_d3(rulebook: Any) -> None:
    """800.306(d)(3): a majority of the board through the financing is control."""
    majority = {"rights": {"voting_pct": 0, "board_seats": 3, "board_size": 5}}
    result = screen(_deal(SP, majority, PROFIT_SHARE), rulebook=rulebook)
    assert result.hit("cfius.supply.equity_like_financing") is not None


def test_unknown_rights_leave_equity_like_financing_open(rulebook: Any) -> None:
    """Unknown is not false: a TID business and rights the record does not give (board seats
    unknown) leave the rule an open question, not a clear."""
    unknown = {"rights": {"voting_pct": 0, "board_seats": None, "passive_undertaking": False}}
    result = screen(_deal(SP, unknown, SPECIALTY_METAL, PROFIT_SHARE), rulebook=rulebook)
    assert result.hit("cfius.supply.equity_like_financing") is None
    assert "cfius.supply.equity_like_financing" in {q.rule_id for q in result.open_questions}


# ---------------------------------------------------------------------------------------------
# 3. Know-how and technical information go "to a foreign person" (15 CFR 734.13; 800.224)

US_INVESTOR = {"investor": {"country": "US", "principal_place_of_business": "US", "owners": []}}
KNOW_HOW = {
    "supply_terms": {"know_how_to_investor": True, "technical_information_to_investor": True}
}


def test_us_investor_receives_no_export(rulebook: Any) -> None:
    """734.13(a), 734.15: a release to a U.S. company is no export; 800.224: not a foreign person."""
    result = screen(_deal(US_INVESTOR, KNOW_HOW), rulebook=rulebook)
    assert result.hit("ear.supply.know_how") is None
    assert result.hit("cfius.supply.technical_information") is None
    foreign = screen(_deal(KNOW_HOW), rulebook=rulebook)
    assert foreign.hit("ear.supply.know_how") is not None
    assert foreign.hit("cfius.supply.technical_information") is not None


def test_unknown_investor_country_leaves_the_recipient_unknown(rulebook: Any) -> None:
    """Unknown is not false: no country, no recipient countries -> recipient_foreign unknown."""
    deal = _deal({"investor": {"country": None, "principal_place_of_business": None}}, KNOW_HOW)
    view = derive(deal, rulebook.references, deal.completion_date)
    assert view.extra["export"].recipient_foreign is None
    assert _view_us(rulebook).extra["export"].recipient_foreign is False


def _view_us(rulebook: Any) -> Any:
    deal = _deal(US_INVESTOR, KNOW_HOW)
    return derive(deal, rulebook.references, deal.completion_date)


# ---------------------------------------------------------------------------------------------
# 4. A licence-required ECCN with no critical technology recorded (800.215, 800.248(a))

CLASSIFIED = {
    "export_control": {
        "releases_technology": True,
        "published_or_fundamental": False,
        "recipient_countries": ["CN"],
        "eccn": "1E001",
        "licence_required_for_country": True,
        "licence_exception": False,
    }
}
BOARD_SEAT = {"rights": {"voting_pct": 10, "board_seats": 1, "board_size": 7}}


def test_licence_required_eccn_makes_critical_technology_unknown(rulebook: Any) -> None:
    """800.215(b): a CCL item needing a licence points to a critical technology; with none
    recorded the TID, covered-investment and 800.401(c) rules are open, not a silent clear."""
    deal = _deal(BOARD_SEAT, CLASSIFIED)
    view = derive(deal, rulebook.references, deal.completion_date)
    assert view.target.critical_technology is None
    assert view.target.ct_authorization_required is None
    assert "800.215(b)" in view.derivations["target.critical_technology"]
    result = screen(deal, rulebook=rulebook)
    cfius = result.regimes["cfius_800"]
    assert cfius.ceiling == "filing_required"
    assert "cfius.mandatory.critical_technology" in {q.rule_id for q in result.open_questions}


def test_ear99_or_no_licence_keeps_the_empty_list(rulebook: Any) -> None:
    """EAR99, or no licence required: nothing points to a critical technology; [] stands."""
    for export in ({"eccn": "EAR99"}, {"licence_required_for_country": False}):
        deal = _deal(BOARD_SEAT, merge(CLASSIFIED, {"export_control": export}))
        view = derive(deal, rulebook.references, deal.completion_date)
        assert view.target.critical_technology is False


# The Affiliates Rule the same way (15 CFR 744.11(a)(1)): the owned party must be a recipient.
OWNED_CO = {
    "party": {
        "name": "Owned Partner Pte. Ltd.",
        "kind": "company",
        "country": "SG",
        "principal_place_of_business": "SG",
        "lists": [],
        "owners": [
            {
                "name": "Listed Parent Co.",
                "kind": "company",
                "country": "CN",
                "equity_pct": 60,
                "lists": ["bis_entity_list"],
                "owners": [],
            }
        ],
    },
    "voting_pct": 20,
    "acts_in_concert": False,
}
AFFILIATE_DEAL = {
    "completion_date": "2026-12-01",
    "investor": {"country": "SG", "principal_place_of_business": "SG"},
    "co_investors": [OWNED_CO],
}


def test_owned_co_investor_is_an_affiliate_only_as_a_recipient(rulebook: Any) -> None:
    """744.11(a)(1), in force Dec. 2026: a co-investor 60% owned by a listed company is bound for
    what it receives; unrecorded receipt is an open question, recorded receipt a hit naming the
    chain, and no receipt no licence."""
    export = RELEASE | {"recipient_countries": ["SG"], "entity_list_covers_items": None}
    export.pop("entity_list_policy")

    def run(**more: Any) -> Any:
        return screen(_deal(AFFILIATE_DEAL, {"export_control": export | more}), rulebook=rulebook)

    unknown = run()
    assert unknown.hit("ear.affiliates.licence") is None
    assert "ear.affiliates.licence" in {q.rule_id for q in unknown.open_questions}
    named = run(recipient_parties=["Owned Partner Pte. Ltd."])
    hit = named.hit("ear.affiliates.licence")
    assert hit is not None and "Owned Partner Pte. Ltd." in hit.explanation
    assert named.regimes["ear"].verdict == "filing_required"
    nothing = run(recipient_parties=["Example Investor Co."])
    assert nothing.hit("ear.affiliates.licence") is None
    assert "ear.affiliates.licence" not in {q.rule_id for q in nothing.open_questions}
