"""The dod_batteries pack: FY2024 NDAA s.154 named makers and the Oct. 1, 2027 start."""

from __future__ import annotations

from typing import Any

import pytest

from screening import load_rulebook, screen
from screening.authoring.examples import BASE_DEAL, merge
from screening.model.deal import Deal


def run(fragment: dict[str, Any], rulebook: Any) -> str:
    base = merge(BASE_DEAL, {"completion_date": "2026-03-31"})
    result = screen(Deal.model_validate(merge(base, fragment)).root, rulebook=rulebook)
    return result.regimes["dod_batteries"].verdict


def supply(makers: list[str], until: str, dod: bool = True) -> dict[str, Any]:
    return {"defense_supply": {"supplies_dod": dod, "cell_makers": makers, "supply_until": until}}


@pytest.mark.parametrize(
    ("until", "level"), [("2027-09-30", "covered"), ("2027-10-01", "filing_advised")]
)
def test_start_date_edge(rulebook: Any, until: str, level: str) -> None:
    """From Oct. 1, 2027 DoD funds may not buy batteries produced by a named entity."""
    assert run(supply(["EVE Energy Co., Ltd."], until), rulebook) == level


@pytest.mark.parametrize(
    ("maker", "named"),
    [
        ("Contemporary Amperex Technology Co., Limited", True),
        ("CATL", True),
        ("BYD Company Limited", True),
        ("Envision Energy Co., Ltd.", True),
        ("Envision AESC Japan Ltd.", False),
        ("EVE Energy Co., Ltd.", True),
        ("Gotion High-tech Co., Ltd.", True),
        ("Xiamen Hithium Energy Storage Technology Co., Ltd.", True),
        ("LG Energy Solution", False),
    ],
)
def test_named_makers(rulebook: Any, maker: str, named: bool) -> None:
    """The six names of s.154(b); Envision Energy, not every "Envision" [src]."""
    assert run(supply([maker], "2030-12-31"), rulebook) == ("filing_advised" if named else "clear")


def test_investor_in_a_supply_partnership_is_a_maker(rulebook: Any) -> None:
    """In a supply partnership the investor supplies the cells."""
    frag = merge(
        supply([], "2030-12-31"),
        {"kind": "supply_partnership", "investor": {"name": "Gotion High-tech Co., Ltd."}},
    )
    assert run(frag, rulebook) == "filing_advised"


def test_commercial_sales_are_outside(rulebook: Any) -> None:
    """s.154 restricts DoD procurement only."""
    assert run(supply(["BYD Company Limited"], "2030-12-31", dod=False), rulebook) == "clear"


def test_reference_list_is_complete() -> None:
    """Six entities, each dated for DoD procurement from Oct. 1, 2027."""
    table = load_rulebook().references.get("ndaa_154_battery_entities")
    assert table is not None
    assert sorted(e.value for e in table.entries) == [
        "BYD",
        "Contemporary Amperex Technology",
        "EVE Energy",
        "Envision Energy",
        "Gotion",
        "Hithium",
    ]
    assert {str(e.attributes["dod_procurement_from"]) for e in table.entries} == {"2027-10-01"}


def test_new_regimes_ask_nothing_of_unrelated_deals(rulebook: Any) -> None:
    """A deal that cannot concern AFIDA, the EAR, PADFA or s.154 gets no open question from them."""
    frag = {"completion_date": "2026-03-31", "target": {"naics": "541110"}}  # a law firm
    deal = Deal.model_validate(merge(BASE_DEAL, frag)).root
    result = screen(deal, rulebook=rulebook)
    new = {"afida", "ear", "padfa", "dod_batteries"}
    assert {result.regimes[r].verdict for r in new} == {"clear"}
    assert not [q for q in result.open_questions if q.regime in new]


def test_unknown_business_asks_for_the_blocks(rulebook: Any) -> None:
    """Unknown is not false: with the target's NAICS code unknown the blocks are asked for."""
    deal = Deal.model_validate(merge(BASE_DEAL, {"completion_date": "2026-03-31"})).root
    result = screen(deal, rulebook=rulebook)
    asked = {q.regime for q in result.open_questions}
    assert {"afida", "padfa", "dod_batteries"} <= asked
