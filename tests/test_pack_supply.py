"""The supply-chain pack: the UFLPA presumption and dated Section 301 rates."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from screening import screen
from screening.authoring.examples import BASE_DEAL, merge
from screening.model.deal import Deal


def deal(fragment: dict[str, Any]) -> Any:
    """A supply partnership by the examples' Chinese company, merged with the fragment."""
    return Deal.model_validate(
        merge(merge(BASE_DEAL, {"kind": "supply_partnership"}), fragment)
    ).root


def goods(**g: Any) -> dict[str, Any]:
    """One imported good of Chinese origin with no known forced-labor nexus."""
    base = {
        "description": "goods",
        "origin": "CN",
        "xinjiang_content": False,
        "producer_uflpa_listed": False,
    }
    return {"supply_chain": {"imported_into_us": True, "cbp_exception": False, "goods": [base | g]}}


def run(
    fragment: dict[str, Any], rulebook: Any, as_of: dt.date | None = None
) -> tuple[str, set[str]]:
    result = screen(deal(fragment), rulebook=rulebook, as_of=as_of)
    return result.regimes["supply_chain"].verdict, {
        h.rule_id for h in result.hits if not h.suppressed_by
    }


def test_xinjiang_content_bars_the_goods(rulebook: Any) -> None:
    """UFLPA s.3: goods made in part in Xinjiang are barred (19 U.S.C. 1307)."""
    verdict, fired = run(goods(product="polysilicon_wafers", xinjiang_content=True), rulebook)
    assert verdict == "prohibited"
    assert "supply.uflpa.barred" in fired


def test_listed_supplier_bars_the_goods(rulebook: Any) -> None:
    """UFLPA s.3: goods of an entity on the UFLPA Entity List are barred."""
    verdict, _ = run(
        {**goods(product="other"), "investor": {"lists": ["uflpa_entity_list"]}}, rulebook
    )
    assert verdict == "prohibited"


def test_exception_suppresses_the_bar(rulebook: Any) -> None:
    """UFLPA s.3(b): an exception on clear and convincing evidence suppresses the bar."""
    frag = merge(
        goods(product="other", xinjiang_content=True), {"supply_chain": {"cbp_exception": True}}
    )
    result = screen(deal(frag), rulebook=rulebook)
    hit = next(h for h in result.hits if h.rule_id == "supply.uflpa.barred")
    assert hit.suppressed_by == ["supply.uflpa.exception_granted"]
    assert result.regimes["supply_chain"].verdict == "clear"


def test_unknown_xinjiang_content_is_an_open_question(rulebook: Any) -> None:
    """Untraced goods leave the UFLPA rule open; the verdict is provisional."""
    frag = goods(product="other")
    frag["supply_chain"]["goods"][0]["xinjiang_content"] = None
    result = screen(deal(frag), rulebook=rulebook)
    assert any(q.rule_id == "supply.uflpa.barred" for q in result.open_questions)


def test_before_uflpa_presumption(rulebook: Any) -> None:
    """The presumption applies to entries from June 21, 2022."""
    frag = goods(product="other", xinjiang_content=True)
    assert run(frag, rulebook, dt.date(2022, 6, 20))[0] == "clear"
    assert run(frag, rulebook, dt.date(2022, 6, 21))[0] == "prohibited"


RATES = [
    ("electric_vehicles", "2024-09-26", 25),
    ("electric_vehicles", "2024-09-27", 100),
    ("lithium_ion_ev_batteries", "2024-09-27", 25),
    ("lithium_ion_non_ev_batteries", "2025-12-31", 7.5),
    ("lithium_ion_non_ev_batteries", "2026-01-01", 25),
    ("permanent_magnets", "2026-01-01", 25),
    ("solar_cells", "2024-09-27", 50),
    ("semiconductors", "2024-12-31", 25),
    ("semiconductors", "2025-01-01", 50),
]


@pytest.mark.parametrize(("product", "on", "rate"), RATES, ids=[f"{r[0]}-{r[1]}" for r in RATES])
def test_section_301_rates_by_date(rulebook: Any, product: str, on: str, rate: float) -> None:
    """Section 301 four-year review: the dated rate applies on the screening date."""
    result = screen(
        deal(goods(product=product)), rulebook=rulebook, as_of=dt.date.fromisoformat(on)
    )
    hit = next(h for h in result.hits if h.rule_id == "supply.section301.tariff")
    assert hit.facts["supply.s301_max_rate_pct"] == str(rate).removesuffix(".0")
    assert result.regimes["supply_chain"].verdict == "covered"


def test_zero_rate_and_non_chinese_origin_are_clear(rulebook: Any) -> None:
    """0% before the magnets increase; no China s.301 duty on Korean-origin cells."""
    assert run(goods(product="permanent_magnets"), rulebook, dt.date(2025, 12, 31))[0] == "clear"
    assert run(goods(product="lithium_ion_ev_batteries", origin="KR"), rulebook)[0] == "clear"


def test_no_block_on_a_supply_partnership_is_an_open_question(rulebook: Any) -> None:
    """A supply partnership without a supply_chain block asks about the goods."""
    result = screen(deal({}), rulebook=rulebook)
    assert any(q.rule_id == "supply.uflpa.barred" for q in result.open_questions)
