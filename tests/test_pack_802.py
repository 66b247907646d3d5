"""The real-estate pack (31 CFR part 802): thresholds, exceptions, dates and the part B examples."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from screening import load_rulebook, screen
from screening.authoring.examples import BASE_DEAL, merge
from screening.facts.derive import derive
from screening.facts.sections.site import haversine_miles
from screening.model.deal import Deal

FOUR = ["access", "exclude", "improve", "attach"]


# The coverage tests below are about part 802's thresholds, not about who the buyer is: the
# buyer is a Japanese company with no holders of note (a foreign person, not an excepted real
# estate investor, and with no tie to a country of concern, so the risk factor
# realestate.risk.country_of_concern_tie, tested on its own at the end, stays out of them).
NEUTRAL_BUYER = {
    "investor": {
        "name": "Example Buyer K.K.",
        "country": "JP",
        "principal_place_of_business": "JP",
        "controlled_by_foreign_person": False,
    }
}


def deal(fragment: dict[str, Any]) -> Any:
    """A deal: the fragment deep-merged onto the examples' base deal, bought by NEUTRAL_BUYER."""
    return Deal.model_validate(merge(merge(BASE_DEAL, NEUTRAL_BUYER), fragment)).root


def land(**site: Any) -> dict[str, Any]:
    """A purchase of land with all four property rights, not urban, by a Japanese company."""
    base = {
        "transaction": "purchase",
        "property_rights": FOUR,
        "urban_area": False,
        "covered_port": False,
    }
    return {"kind": "real_estate", "site": base | site}


def outcome(fragment: dict[str, Any], rulebook: Any, as_of: dt.date | None = None) -> Any:
    result = screen(deal(fragment), rulebook=rulebook, as_of=as_of)
    fired = {h.rule_id for h in result.hits if not h.suppressed_by}
    return result.regimes["cfius_802"].verdict, fired


# ------------------------------------------------------------------------------------------
# Thresholds


@pytest.mark.parametrize(("miles", "close"), [("0.99", True), ("1", True), ("1.01", False)])
def test_close_proximity_ends_at_one_mile(rulebook: Any, miles: str, close: bool) -> None:
    """802.203: close proximity is the area within 1 mile of the boundary, 1 mile included."""
    verdict, fired = outcome(land(installation_part=1, miles_to_installation=miles), rulebook)
    assert ("realestate.close_proximity" in fired) is close
    assert verdict == ("filing_advised" if close else "clear")


@pytest.mark.parametrize(("miles", "covered"), [("100", True), ("100.01", False)])
def test_extended_range_ends_at_100_miles(rulebook: Any, miles: str, covered: bool) -> None:
    """802.217: extended range reaches 99 miles beyond close proximity, 100 miles in all."""
    verdict, fired = outcome(land(installation_part=2, miles_to_installation=miles), rulebook)
    assert ("realestate.extended_range" in fired) is covered
    assert verdict == ("covered" if covered else "clear")


def test_part_1_installations_have_no_extended_range(rulebook: Any) -> None:
    """802.211(b)(2): only Part 2 installations have an extended range."""
    verdict, _ = outcome(land(installation_part=1, miles_to_installation=5), rulebook)
    assert verdict == "clear"


@pytest.mark.parametrize(
    ("rights", "covered"),
    [(["access", "exclude"], False), (["access", "exclude", "improve"], True)],
)
def test_three_of_four_property_rights(rulebook: Any, rights: list[str], covered: bool) -> None:
    """802.212(a), 802.302(b): at least three of the four 802.233 rights make it covered."""
    frag = land(installation_part=2, miles_to_installation=40, property_rights=rights)
    assert outcome(frag, rulebook)[0] == ("covered" if covered else "clear")


def test_property_rights_count_from_the_real_estate_deal(rulebook: Any) -> None:
    """A real-estate deal's own `property_rights` count is used when the site lists none."""
    frag = {
        "kind": "real_estate",
        "property_rights": 3,
        "site": {
            "transaction": "lease",
            "installation_part": 2,
            "miles_to_installation": 40,
            "urban_area": False,
        },
    }
    assert outcome(frag, rulebook)[0] == "covered"


@pytest.mark.parametrize(
    ("sqft", "tenants", "excepted"),
    [("10", "10", True), ("10.01", "10", False), ("5", "11", False)],
)
def test_commercial_space_ten_and_ten(
    rulebook: Any, sqft: str, tenants: str, excepted: bool
) -> None:
    """802.216(f): at most 10% of the commercial space and at most 10% of the tenants."""
    frag = land(
        installation_part=1,
        miles_to_installation="0.5",
        transaction="lease",
        multi_unit_commercial_space=True,
        commercial_sqft_pct=sqft,
        commercial_tenant_pct=tenants,
    )
    verdict, fired = outcome(frag, rulebook)
    assert ("realestate.exempt.commercial_space" in fired) is excepted
    assert verdict == ("clear" if excepted else "filing_advised")


# ------------------------------------------------------------------------------------------
# Exceptions


def test_urban_exception_applies_in_extended_range_only(rulebook: Any) -> None:
    """802.216(c), (h)(6)-(8): urban land is excepted at 40 miles, not at 0.25 miles."""
    far = land(installation_part=2, miles_to_installation=40, urban_area=True)
    near = land(installation_part=1, miles_to_installation="0.25", urban_area=True)
    assert outcome(far, rulebook)[0] == "clear"
    assert outcome(near, rulebook)[0] == "filing_advised"


def test_urban_exception_not_at_a_covered_port(rulebook: Any) -> None:
    """802.216(c): the urban exception never reaches covered ports (802.211(a))."""
    frag = land(covered_port=True, urban_area=True, installation_part=2, miles_to_installation=150)
    assert outcome(frag, rulebook)[0] == "covered"


def test_single_housing_unit_and_tribal_land_are_excepted(rulebook: Any) -> None:
    """802.216(d), (g), (h)(9)."""
    house = land(installation_part=1, miles_to_installation="0.5", single_housing_unit=True)
    trust = land(installation_part=2, miles_to_installation=30, tribal_land=True)
    assert outcome(house, rulebook)[0] == "clear"
    assert outcome(trust, rulebook)[0] == "clear"


def test_port_retail_lease_is_excepted_but_not_a_purchase(rulebook: Any) -> None:
    """802.216(e)(2): retail-only leases at covered ports; a purchase gets no exception."""
    lease = land(
        covered_port=True,
        transaction="lease",
        port_retail_only=True,
        installation_part=2,
        miles_to_installation=150,
    )
    buy = land(
        covered_port=True, port_retail_only=True, installation_part=2, miles_to_installation=150
    )
    assert outcome(lease, rulebook)[0] == "clear"
    assert outcome(buy, rulebook)[0] == "covered"


def test_excepted_real_estate_investor(rulebook: Any) -> None:
    """802.216(a), 802.215: an excepted UK investor's purchase is excepted, the hit stays visible."""
    frag = land(installation_part=1, miles_to_installation="0.5") | {
        "investor": {
            "country": "GB",
            "principal_place_of_business": "GB",
            "board_us_or_excepted_pct": 100,
            "minimum_excepted_ownership_met": True,
        }
    }
    result = screen(deal(frag), rulebook=rulebook)
    assert result.regimes["cfius_802"].verdict == "clear"
    hit = next(h for h in result.hits if h.rule_id == "realestate.filing_advised")
    assert hit.suppressed_by == ["realestate.exempt.excepted_investor"]


def test_part_800_covered_transaction_takes_precedence(rulebook: Any) -> None:
    """802.216(b), (h)(1): buying a U.S. real-estate business is reviewed under part 800."""
    frag = land(installation_part=1, miles_to_installation="0.5") | {
        "kind": "acquisition",
        "assets_only": False,
        "rights": {"voting_pct": 100, "passive_undertaking": False},
    }
    result = screen(deal(frag), rulebook=rulebook)
    assert result.regimes["cfius_802"].verdict == "clear"
    assert result.regimes["cfius_800"].verdict != "clear"


def test_no_site_on_a_greenfield_deal_is_an_open_question(rulebook: Any) -> None:
    """Unknown stays unknown: a greenfield deal without a site raises a part 802 question."""
    result = screen(deal({"kind": "greenfield"}), rulebook=rulebook)
    assert result.regimes["cfius_802"].verdict == "clear"
    assert result.regimes["cfius_802"].provisional
    assert any(q.regime == "cfius_802" for q in result.open_questions)


def test_equity_stake_without_site_raises_no_part_802_question(rulebook: Any) -> None:
    """A deal that is not about land says nothing under part 802."""
    result = screen(deal({}), rulebook=rulebook)
    assert not [q for q in result.open_questions if q.regime == "cfius_802"]


# ------------------------------------------------------------------------------------------
# Dates: 802.104(b)-(d) via dated reference entries


@pytest.mark.parametrize(
    ("day", "listed"), [(dt.date(2023, 9, 21), False), (dt.date(2023, 9, 22), True)]
)
def test_grand_forks_listed_from_sept_22_2023(rulebook: Any, day: dt.date, listed: bool) -> None:
    """88 FR 57348: Grand Forks AFB is in Part 2 for deals completed from Sept. 22, 2023."""
    frag = land(nearest_installation="Grand Forks Air Force Base", miles_to_installation=12)
    frag["completion_date"] = day.isoformat()
    verdict, _ = outcome(frag, rulebook)
    assert verdict == ("covered" if listed else "clear")
    view = derive(deal(frag), rulebook.references, day)
    assert view.get("site.installation_part") == (2 if listed else 0)


@pytest.fixture(scope="module")
def dec_2024_rulebook(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The shipped rulebook with a test-only Appendix A holding a Dec. 9, 2024 addition."""
    layer: Path = tmp_path_factory.mktemp("layer")
    (layer / "reference").mkdir()
    (layer / "reference" / "appendix_a_part802.yaml").write_text(
        "reference: appendix_a_part802\n"
        "title: test-only list (not real installations)\n"
        "source: test fixture\n"
        "entries:\n"
        "  - value: Test Installation Added 2024\n"
        "    from: 2024-12-09\n"
        "    attributes: {part: 1, states: [TX], lat: 30.0, lon: -97.0, approximate: true}\n"
        "  - value: Test Installation Moved To Part 2\n"
        "    to: 2024-12-09\n"
        "    attributes: {part: 1, states: [TX]}\n"
        "  - value: Test Installation Moved To Part 2\n"
        "    from: 2024-12-09\n"
        "    attributes: {part: 2, states: [TX]}\n",
        encoding="utf-8",
    )
    return load_rulebook([layer])


@pytest.mark.parametrize(
    ("day", "verdict"), [(dt.date(2024, 12, 8), "clear"), (dt.date(2024, 12, 9), "filing_advised")]
)
def test_installation_added_dec_9_2024(dec_2024_rulebook: Any, day: dt.date, verdict: str) -> None:
    """89 FR 88128 / 802.104(d): additions apply to deals completed from Dec. 9, 2024."""
    frag = land(nearest_installation="Test Installation Added 2024", miles_to_installation="0.5")
    frag["completion_date"] = day.isoformat()
    assert outcome(frag, dec_2024_rulebook)[0] == verdict


@pytest.mark.parametrize(
    ("day", "verdict"), [(dt.date(2024, 12, 8), "clear"), (dt.date(2024, 12, 9), "covered")]
)
def test_installation_moved_to_part_2_on_dec_9_2024(
    dec_2024_rulebook: Any, day: dt.date, verdict: str
) -> None:
    """A site moved from Part 1 to Part 2 gains its 100-mile extended range on Dec. 9, 2024."""
    frag = land(nearest_installation="Test Installation Moved To Part 2", miles_to_installation=50)
    frag["completion_date"] = day.isoformat()
    assert outcome(frag, dec_2024_rulebook)[0] == verdict


def test_before_part_802_applied_why_not_says_not_in_force(rulebook: Any) -> None:
    """A deal completed before Feb. 13, 2020 is not caught, and why-not says the rule was not in force."""
    from screening.engine.why import explain_rule

    frag = land(installation_part=1, miles_to_installation="0.5")
    frag["completion_date"] = "2020-02-12"
    verdict, fired = outcome(frag, rulebook)
    # No part 802 rule is in force: the regime says so (`not_in_force`), never a confident clear.
    assert verdict == "not_in_force" and not {f for f in fired if f.startswith("realestate.")}
    exp = explain_rule(rulebook, deal(frag), "realestate.filing_advised")
    assert exp.status == "not in force"
    assert exp.summary == "the rule is in force from 2020-02-13 to now, not on 2020-02-12"


# ------------------------------------------------------------------------------------------
# Distances from coordinates


def test_haversine_one_degree_of_latitude() -> None:
    """One degree of latitude is about 69.1 statute miles."""
    assert haversine_miles(Decimal(30), Decimal(-97), Decimal(31), Decimal(-97)) == Decimal("69.09")


def test_computed_distance_proves_within_only(rulebook: Any) -> None:
    """A distance to an approximate reference point is an upper bound: near proves, far does not."""
    near = land(nearest_installation="Luke Air Force Base", latitude="33.6", longitude="-112.3")
    far = land(nearest_installation="Luke Air Force Base", latitude="36.5", longitude="-112.3")
    view = derive(deal(near), rulebook.references, dt.date(2025, 6, 30))
    assert view.get("site.distance_computed") is True
    assert view.get("site.within_100_miles") is True
    assert outcome(near, rulebook)[0] == "covered"
    far_view = derive(deal(far), rulebook.references, dt.date(2025, 6, 30))
    assert far_view.get("site.miles_to_installation") > 100
    assert far_view.get("site.within_100_miles") is None
    result = screen(deal(far), rulebook=rulebook)
    assert result.regimes["cfius_802"].provisional


# ------------------------------------------------------------------------------------------
# cfr_examples.md part B (and the 802.216(h) examples), each with its citation

CASES = [
    (
        "802.301-1 / 802.301(h)(1): foreign-controlled U.S. company buys land near a Part 1 site",
        land(installation_part=1, miles_to_installation="0.5")
        | {
            "investor": {
                "country": "US",
                "principal_place_of_business": "US",
                "owners": [
                    {"name": "Corp A", "kind": "company", "country": "CN", "voting_pct": 100}
                ],
            }
        },
        "filing_advised",
    ),
    (
        "802.301-2 / 802.301(h)(2): indirect purchase of covered undeveloped land",
        land(installation_part=2, miles_to_installation=30),
        "covered",
    ),
    (
        "802.301-3 / 802.301(h)(3): joint owners, foreign person gets 3 rights near a Part 2 site",
        land(
            installation_part=2,
            miles_to_installation="0.7",
            property_rights=["access", "exclude", "improve"],
        ),
        "filing_advised",
    ),
    (
        "802.301-4 / 802.301(h)(4): half the tract within 1 mile of a Part 1 site",
        land(installation_part=1, miles_to_installation=0),
        "filing_advised",
    ),
    (
        "802.301-5 / 802.301(h)(5): lease of part of covered land with 3 rights",
        land(
            installation_part=2,
            miles_to_installation="0.5",
            transaction="lease",
            property_rights=["access", "exclude", "attach"],
        ),
        "filing_advised",
    ),
    (
        "802.301-6 / 802.301(h)(6): second foreign person leases from the first (each a CRET)",
        land(
            installation_part=2,
            miles_to_installation=20,
            transaction="lease",
            property_rights=["access", "exclude", "improve"],
        ),
        "covered",
    ),
    (
        "802.301-7 / 802.301(h)(7): lease reaching 3 rights after a change",
        land(
            installation_part=2,
            miles_to_installation=20,
            transaction="lease",
            property_rights=["access", "exclude", "improve"],
        ),
        "covered",
    ),
    (
        "802.226-1 / 802.226(b)(1): use of a neighbour's road is not a lease",
        land(installation_part=2, miles_to_installation=20, transaction="other"),
        "clear",
    ),
    (
        "802.226-2 / 802.226(b)(2): exclusive occupation with fixtures is a lease",
        land(
            installation_part=2,
            miles_to_installation=20,
            transaction="lease",
            property_rights=["access", "exclude", "attach"],
        ),
        "covered",
    ),
    (
        "802.233-1 / 802.233(b)(1): shared access with a right to exclude counts",
        land(
            installation_part=2,
            miles_to_installation=20,
            transaction="lease",
            property_rights=["access", "exclude", "improve"],
        ),
        "covered",
    ),
    (
        "802.233-2 / 802.233(b)(2): development right pending permits counts",
        land(
            installation_part=2,
            miles_to_installation=20,
            transaction="lease",
            property_rights=["access", "exclude", "improve"],
        ),
        "covered",
    ),
    (
        "802.234-1 / 802.234(b): land for land and services is a purchase",
        land(installation_part=2, miles_to_installation=20),
        "covered",
    ),
    (
        "802.216(h)(3): empty warehouse near a Part 2 site, no U.S. business",
        land(installation_part=2, miles_to_installation="0.5")
        | {
            "kind": "acquisition",
            "assets_only": True,
            "assets_constitute_us_business": False,
            "rights": {"voting_pct": 100, "passive_undertaking": False},
        },
        "filing_advised",
    ),
    (
        "802.216(h)(5): undeveloped land near a Part 1 site for a new plant",
        land(installation_part=1, miles_to_installation="0.8") | {"kind": "greenfield"},
        "filing_advised",
    ),
    (
        "802.216(h)(6): 40 miles from a Part 2 site in an urbanized area",
        land(installation_part=2, miles_to_installation=40, urban_area=True),
        "clear",
    ),
    (
        "802.216(h)(7): same, not urban",
        land(installation_part=2, miles_to_installation=40),
        "covered",
    ),
    (
        "802.216(h)(8): 0.25 miles from a Part 1 site in an urbanized area",
        land(installation_part=1, miles_to_installation="0.25", urban_area=True),
        "filing_advised",
    ),
    (
        "802.216(h)(9): single housing unit on one acre, 0.5 miles from a Part 1 site",
        land(installation_part=1, miles_to_installation="0.5", single_housing_unit=True),
        "clear",
    ),
    (
        "802.216(h)(10): adjacent five acres bought later",
        land(installation_part=1, miles_to_installation="0.5", single_housing_unit=False),
        "filing_advised",
    ),
    (
        "802.216(h)(11): 5% of commercial space, one of ten tenants",
        land(
            installation_part=1,
            miles_to_installation="0.5",
            transaction="lease",
            multi_unit_commercial_space=True,
            commercial_sqft_pct=5,
            commercial_tenant_pct=10,
        ),
        "clear",
    ),
]


@pytest.mark.parametrize(("label", "fragment", "verdict"), CASES, ids=[c[0][:40] for c in CASES])
def test_cfr_part_b_examples(
    rulebook: Any, label: str, fragment: dict[str, Any], verdict: str
) -> None:
    """Each official part 802 example the model can express gives its expected result."""
    assert outcome(fragment, rulebook)[0] == verdict, label
