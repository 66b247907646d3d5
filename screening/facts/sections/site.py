"""Fact-view section `site`: 31 CFR part 802 (real estate).

The nearest installation is looked up in the reference list ``appendix_a_part802`` (Appendix A
to part 802) as of the screening date, so an installation added on Dec. 9, 2024 is not listed for
a deal completed on Dec. 8, 2024 (802.104(b)-(d)). Distances: a distance the deal gives is taken
as the distance from the installation's boundary. Without one, and with coordinates on both
sides, the great-circle (haversine) distance to the installation's reference point is computed;
a reference point is inside the installation, so that distance is an upper bound on the distance
to the boundary: it proves "within", never "beyond".
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
from decimal import Decimal
from typing import Any

from screening.facts.sections.base import Section, Tri, built, fact, field_or_none
from screening.model.numbers import Num, Range, compare
from screening.model.reference import Entry, References

REFERENCE = "appendix_a_part802"
EARTH_RADIUS_MILES = 3958.8
CLOSE_PROXIMITY_MILES = Decimal(1)  # 802.203
EXTENDED_RANGE_MILES = Decimal(100)  # 802.217: 99 miles beyond the 1-mile close proximity


class SiteFacts(Section):
    """Facts the `site` rules read."""

    recorded: bool | None = fact("the deal involves real estate described in a site record")
    transaction: str | None = fact("purchase, lease or concession of the real estate")
    property_rights: int | None = fact("802.233 property rights the foreign person gets (of 4)")
    installation: str | None = fact("nearest Appendix A installation")
    installation_part: int | None = fact(
        "part of Appendix A listing the nearest installation on the screening date"
        " (0 when not listed)"
    )
    installation_state: str | None = fact("state of the nearest installation")
    miles_to_installation: Num | None = fact("distance to the nearest installation", "miles")
    distance_computed: bool | None = fact("the distance was computed from coordinates")
    within_one_mile: bool | None = fact("within 1 mile of the installation's boundary (802.203)")
    within_100_miles: bool | None = fact(
        "within 100 miles of the installation's boundary (802.217)"
    )
    missile_field_area: bool | None = fact("in a Part 3 missile-field county or area")
    offshore_range: bool | None = fact("in a Part 4 off-shore range within the territorial sea")
    covered_port: bool | None = fact("is, is in, or will function as part of a covered port")
    urban_area: bool | None = fact("in an urbanized area or urban cluster")
    single_housing_unit: bool | None = fact("a single housing unit")
    port_retail_only: bool | None = fact("port space usable only for retail to the public")
    foreign_air_carrier_use: bool | None = fact("port space for a TSA-approved foreign air carrier")
    multi_unit_commercial_space: bool | None = fact("commercial space in a multi-unit building")
    commercial_sqft_pct: Num | None = fact(
        "share of the building's commercial square footage held with affiliates", "%"
    )
    commercial_tenant_pct: Num | None = fact(
        "share of the building's commercial tenants that are it and its affiliates", "%"
    )
    tribal_land: bool | None = fact("Alaska Native or tribal trust land")


def haversine_miles(lat1: Decimal, lon1: Decimal, lat2: Decimal, lon2: Decimal) -> Decimal:
    """Great-circle distance in statute miles (mean Earth radius 3,958.8 mi), to 0.01 mile."""
    p1, p2 = math.radians(float(lat1)), math.radians(float(lat2))
    dp = p2 - p1
    dl = math.radians(float(lon2) - float(lon1))
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    miles = 2 * EARTH_RADIUS_MILES * math.asin(min(1.0, math.sqrt(a)))
    return Decimal(str(round(miles, 2)))


def _entries(references: References, name: str) -> list[Entry]:
    ref = references.get(REFERENCE)
    if ref is None:
        return []
    key = name.casefold()
    return [e for e in ref.entries if e.value.casefold() == key]


def unknown_installation(references: References, name: str) -> str:
    """The message for an installation name Appendix A does not carry, with did-you-mean."""
    return (
        f"no installation `{name}` in Appendix A to part 802{_suggest(references, name)}: give "
        "the name as listed, or `installation_part` for a site the list does not carry"
    )


def listed_installation(references: References, name: str) -> bool:
    """Whether Appendix A (at any date) carries an installation of this name."""
    return bool(_entries(references, name))


def _suggest(references: References, name: str) -> str:
    ref = references.get(REFERENCE)
    names = sorted({e.value for e in ref.entries}) if ref else []
    match = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    return f" (did you mean `{match[0]}`?)" if match else ""


def _includes_land(deal: Any) -> bool:
    """Whether an acquisition or joint venture takes or contributes premises or land."""
    for block in ("assets", "contributed_assets"):
        assets = field_or_none(deal, block)
        if assets is not None and assets.premises:
            return True
    return False


def _within(miles: Num | None, limit: Decimal, upper_bound: bool) -> Tri:
    if miles is None:
        return None
    within = compare(miles, "<=", limit)
    if within:
        return True
    return None if upper_bound else within


def derive(deal: Any, references: References, as_of: dt.date) -> tuple[SiteFacts, dict[str, str]]:
    """Compute the section from a deal record."""
    site = deal.site
    notes: dict[str, str] = {}
    if site is None:
        land = _includes_land(deal)
        unknown = deal.kind in ("real_estate", "greenfield") or land
        notes["site.recorded"] = (
            "no site record: where the land is and what rights are acquired are unknown"
            + (" (the deal includes premises or land)" if land else "")
            if unknown
            else "no site record and the deal is not a real-estate or greenfield deal"
        )
        return built(SiteFacts, recorded=None if unknown else False), notes

    rights: int | None = None
    if site.property_rights is not None:
        rights = len(set(site.property_rights))
        notes["site.property_rights"] = (
            f"{rights} of 4 (802.233): {', '.join(sorted(set(site.property_rights))) or 'none'}"
        )
    elif field_or_none(deal, "property_rights") is not None:
        rights = deal.property_rights
        notes["site.property_rights"] = f"{rights} of 4, as recorded on the real-estate deal"

    part: int | None = site.installation_part
    state: str | None = None
    miles: Num | None = site.miles_to_installation
    beyond = site.no_installation_within_miles
    if miles is None and beyond is not None:
        miles = Range(more_than=beyond)
        notes["site.miles_to_installation"] = (
            f"no listed installation within {beyond} miles, as the record says"
        )
    computed = False
    name = site.nearest_installation
    if name:
        entries = _entries(references, name)
        if entries:
            current = [e for e in entries if e.in_force(as_of)]
            if current:
                entry = current[0]
                part = int(entry.attributes.get("part", 0)) or None
                states = entry.attributes.get("states") or []
                state = ", ".join(states) if states else None
                how = f"`{name}` is listed in Part {part} of Appendix A to part 802 on {as_of}"
                if entry.start:
                    how += f" (listed from {entry.start})"
                if site.installation_part is not None and site.installation_part != part:
                    how += f"; the deal said Part {site.installation_part}, the list prevails"
                notes["site.installation_part"] = how
                lat, lon = entry.attributes.get("lat"), entry.attributes.get("lon")
                if (
                    miles is None
                    and site.latitude is not None
                    and site.longitude is not None
                    and lat is not None
                    and lon is not None
                ):
                    miles = haversine_miles(
                        site.latitude, site.longitude, Decimal(str(lat)), Decimal(str(lon))
                    )
                    computed = True
                    notes["site.miles_to_installation"] = (
                        f"haversine distance from ({site.latitude}, {site.longitude}) to the "
                        f"approximate reference point of `{name}` ({lat}, {lon}): {miles} miles, "
                        "an upper bound on the distance to its boundary"
                    )
            else:
                part = 0
                dated = "; ".join(
                    f"from {e.start or 'the start'} to {e.end or 'now'}" for e in entries
                )
                notes["site.installation_part"] = (
                    f"`{name}` is not listed in Appendix A on {as_of} (listed {dated}; "
                    "802.104(b)-(d))"
                )
        elif part is not None:
            notes["site.installation_part"] = (
                f"`{name}` is not in the shipped Appendix A list{_suggest(references, name)}; "
                f"Part {part} as the deal records it"
            )
        else:
            # Not an error: a list layer or a later list may carry it (rules diff screens one
            # record under both). The part stays unknown; `dealscreen check` flags the name.
            notes["site.installation_part"] = unknown_installation(references, name)
    elif part is not None:
        notes["site.installation_part"] = f"Part {part}, as the deal records it"

    facts = built(
        SiteFacts,
        recorded=True,
        transaction=site.transaction,
        property_rights=rights,
        installation=name,
        installation_part=part,
        installation_state=state,
        miles_to_installation=miles,
        distance_computed=computed,
        within_one_mile=_within(miles, CLOSE_PROXIMITY_MILES, computed),
        within_100_miles=_within(miles, EXTENDED_RANGE_MILES, computed),
        missile_field_area=site.in_missile_field_area,
        offshore_range=site.in_offshore_range,
        covered_port=site.covered_port,
        urban_area=site.urban_area,
        single_housing_unit=site.single_housing_unit,
        port_retail_only=site.port_retail_only,
        foreign_air_carrier_use=site.foreign_air_carrier_use,
        multi_unit_commercial_space=site.multi_unit_commercial_space,
        commercial_sqft_pct=site.commercial_sqft_pct,
        commercial_tenant_pct=site.commercial_tenant_pct,
        tribal_land=site.tribal_land,
    )
    if computed and miles is not None:
        notes["site.within_one_mile"] = (
            "computed distance is an upper bound: within if at most 1 mile, otherwise unknown"
        )
        notes["site.within_100_miles"] = (
            "computed distance is an upper bound: within if at most 100 miles, otherwise unknown"
        )
    return facts, notes
