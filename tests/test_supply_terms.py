"""Supply and offtake terms (`supply_terms`): the rules the law gives them, and context only."""

from __future__ import annotations

from typing import Any

from screening import screen
from screening.authoring.examples import BASE_DEAL, merge
from screening.facts.derive import derive
from screening.model.deal import Deal
from tests.conftest import FIXTURES

OFFTAKE = FIXTURES / "lonestar-lithium-prepaid-offtake-know-how.yaml"
TID = {"target": {"infrastructure": [{"item": "xii", "function": "own"}]}}


def _deal(*fragments: dict[str, Any]) -> Any:
    data = BASE_DEAL
    for f in fragments:
        data = merge(data, f)
    return Deal.model_validate(data).root


def _view(rulebook: Any, *fragments: dict[str, Any]) -> Any:
    deal = _deal(*fragments)
    return derive(deal, rulebook.references, deal.completion_date)


def test_technical_information_is_an_800_211_b_1_right(rulebook: Any) -> None:
    """A passive 5% stake is not covered; the same stake whose supply terms give MNPTI is."""
    passive = screen(_deal(TID), rulebook=rulebook)
    assert passive.hit("cfius.covered_investment") is None
    terms = {"supply_terms": {"technical_information_to_investor": True}}
    result = screen(_deal(TID, terms), rulebook=rulebook)
    assert result.hit("cfius.covered_investment") is not None
    assert result.hit("cfius.supply.technical_information") is not None
    assert result.hit("cfius.not_covered.passive_10pct") is None
    derived = {d.path: d for d in result.derived}
    assert "800.232" in derived["rights.mnpti_access"].explanation


def test_unknown_terms_stay_unknown(rulebook: Any) -> None:
    """Recorded terms that leave the access unknown leave the right unknown, never false."""
    view = _view(rulebook, {"supply_terms": {"exclusive": True}})
    assert view.rights.mnpti_access is None
    assert view.extra["offtake"].secured_prepayment is None
    assert _view(rulebook).rights.mnpti_access is False  # no block: the record's own answer
    sp = {"kind": "supply_partnership", "rights": {"voting_pct": 0}}
    assert _view(rulebook, sp).extra["offtake"].recorded is None
    assert _view(rulebook).extra["offtake"].recorded is False


def test_secured_prepayment_in_default(rulebook: Any) -> None:
    """800.306(a)(1), (d)(2): security whose enforcement could give control: filing advised."""
    sp = {"kind": "supply_partnership", "rights": {"voting_pct": 0, "passive_undertaking": False}}
    terms = {
        "prepayment_usd": 80000000,
        "security_interest": True,
        "default_control_likely": True,
    }
    result = screen(_deal(sp, {"supply_terms": terms}), rulebook=rulebook)
    assert result.regimes["cfius_800"].verdict == "filing_advised"
    assert result.hit("cfius.supply.financing_default") is not None
    terms["default_control_likely"] = False
    terms["equity_like_rights"] = False
    performing = screen(_deal(sp, {"supply_terms": terms}), rulebook=rulebook)
    assert performing.hit("cfius.supply.financing_default") is None
    assert performing.hit("cfius.supply.secured_prepayment_not_covered") is not None


def test_know_how_opens_the_ear_questions(rulebook: Any) -> None:
    """Know-how to the investor with no `export_control` block leaves the EAR open."""
    result = screen(_deal({"supply_terms": {"know_how_to_investor": True}}), rulebook=rulebook)
    assert result.hit("ear.supply.know_how") is not None
    ear = [q for q in result.open_questions if q.regime == "ear"]
    assert any("export_control" in q.question for q in ear)
    none = screen(_deal({"supply_terms": {"know_how_to_investor": False}}), rulebook=rulebook)
    assert not [q for q in none.open_questions if q.regime == "ear"]


def test_licence_from_investor_opens_effective_control(rulebook: Any) -> None:
    """A technology licence attached to the supply leaves the credit agreement's terms open."""
    energy = {"energy": {"credits": ["45X"]}}
    view = _view(rulebook, energy, {"supply_terms": {"licence_from_investor": True}})
    assert view.extra["credit"].agreement_recorded is None
    assert _view(rulebook, energy).extra["credit"].agreement_recorded is False


def test_exclusivity_and_volume_are_context_only(rulebook: Any) -> None:
    """Exclusivity, volume share and an unsecured prepayment change no verdict; they are shown."""
    sp = {"kind": "supply_partnership", "rights": {"voting_pct": 0}}
    terms = {
        "direction": "investor_buys",
        "prepayment_usd": 20000000,
        "security_interest": False,
        "exclusive": True,
        "volume_share_pct": {"min": 60, "max": 80},
        "know_how_to_investor": False,
        "licence_from_investor": False,
        "technical_information_to_investor": False,
        "equity_like_rights": False,
    }
    bare = {"supply_terms": {k: v for k, v in terms.items() if k not in ("exclusive",)}}
    bare["supply_terms"]["volume_share_pct"] = 0
    with_terms = screen(_deal(sp, {"supply_terms": terms}), rulebook=rulebook)
    without = screen(_deal(sp, bare), rulebook=rulebook)
    assert with_terms.verdict == without.verdict
    assert {r: g.verdict for r, g in with_terms.regimes.items()} == {
        r: g.verdict for r, g in without.regimes.items()
    }
    assert with_terms.fired == without.fired
    derived = {d.path: d for d in with_terms.derived}
    assert "exclusive: yes; volume share 60% to 80%" in derived["offtake.terms"].value
    assert "context" in derived["offtake.terms"].explanation


def test_offtake_fixture(rulebook: Any) -> None:
    """The fixture's EAR licence and the CFIUS reasons, with the terms in the explanations."""
    from screening import load_deal

    result = screen(load_deal(OFFTAKE), rulebook=rulebook)
    hit = result.hit("cfius.supply.secured_prepayment_not_covered")
    assert hit is not None and "prepayment $150,000,000" in hit.explanation
    assert result.regimes["cfius_800"].verdict == "clear"
    assert result.regimes["ear"].verdict == "filing_required"


def test_financing_default_needs_no_security(rulebook: Any) -> None:
    """Review I, finding 4: 800.306(a) applies to a financing "regardless of whether accompanied
    by the creation ... of a secured interest", and (a)(1) turns on "imminent or actual default or
    other condition": an unsecured prepayment, and a supplier's credit with no prepayment, each
    with control likely on default, make the financing reviewable (filing advised)."""
    sp = {"kind": "supply_partnership", "rights": {"voting_pct": 0, "passive_undertaking": False}}
    unsecured = {"prepayment_usd": 80000000, "security_interest": False}
    unsecured["default_control_likely"] = True
    result = screen(_deal(sp, {"supply_terms": unsecured}), rulebook=rulebook)
    assert result.hit("cfius.supply.financing_default") is not None
    assert result.regimes["cfius_800"].verdict == "filing_advised"
    credit = {
        "direction": "investor_supplies",
        "prepayment_usd": 0,
        "supply_credit": True,
        "security_interest": True,
        "default_control_likely": True,
    }
    result = screen(_deal(sp, {"supply_terms": credit}), rulebook=rulebook)
    assert result.hit("cfius.supply.financing_default") is not None
    derived = {d.path: d for d in result.derived}
    assert "supply credit: yes" in derived["offtake.terms"].value
    # No financing at all: nothing to review under 800.306.
    credit["supply_credit"] = False
    result = screen(_deal(sp, {"supply_terms": credit}), rulebook=rulebook)
    assert result.hit("cfius.supply.financing_default") is None
    # Financing not known (credit unknown, no prepayment): an open question, not clear.
    credit.pop("supply_credit")
    result = screen(_deal(sp, {"supply_terms": credit}), rulebook=rulebook)
    assert any(q.rule_id == "cfius.supply.financing_default" for q in result.open_questions)
