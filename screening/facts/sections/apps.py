"""Fact-view sections `app` and `vehicle`: PAFACA and the ICTS connected-vehicle rule.

`app`: whether the operator of the application (the target) is "controlled by a foreign
adversary" after the deal - domiciled, headquartered, with its principal place of business or
organized in a foreign adversary country (``covered_nations_4872d``), or at least 20% owned,
directly or indirectly (multiplied through the investor's chains), by persons of such
countries - and whether it is a covered company (>1,000,000 monthly active users in 2 of 3
months). `vehicle`: model-year and weight tests from ``ics_vehicle_dates``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from screening.facts.sections._chains import fmt, holding, multiplied_share
from screening.facts.sections.base import HUNDRED, Section, Tri, built, fact, or3
from screening.model.deal import Owner, PartyKind
from screening.model.ext.apps import App, ConnectedVehicle
from screening.model.numbers import Num, add, bounds, cap, make, pct_bounds, pct_of
from screening.model.reference import References

MAU_THRESHOLD = 1_000_000  # PAFACA s.2(g)(2): more than 1,000,000 monthly active users
PROHIBITION_DELAY = dt.timedelta(days=270)
APP_NAICS = ("5132", "5162", "5191", "5182")
VEHICLE_NAICS = ("3361", "3363", "3342")


class AppFacts(Section):
    """Facts the `app` rules read."""

    recorded: bool | None = fact(
        "the deal records the application"  # unknown: none recorded, target may run one
    )
    operator_in_adversary_country: bool | None = fact(
        "the operator is organized or based in a foreign adversary country"
    )
    foreign_adversary_stake_pct: Num | None = fact(
        "stake in the operator held by persons of foreign adversary countries",
        "%",
    )
    subject_to_adversary_direction: bool | None = fact(
        "the operator is subject to the direction or control of such persons"
    )
    user_content: bool | None = fact("users create accounts and create, share or view content")
    excluded_purpose: bool | None = fact("the app is primarily for reviews or travel information")
    months_over_1m_mau: int | None = fact("months (of the last 3) with more than 1,000,000 MAU")
    designated: bool | None = fact("named in the Act or subject to a Presidential determination")
    prohibition_started: bool | None = fact("270 days have passed since the determination")
    qualified_divestiture: bool | None = fact("a qualified divestiture has been completed")


class VehicleFacts(Section):
    """Facts the `vehicle` rules read."""

    recorded: bool | None = fact(
        "the deal records connected-vehicle systems"  # unknown: none recorded, vehicle business
    )
    role: str | None = fact("role of the target (vehicle_manufacturer or vcs_hardware_importer)")
    light_vehicle: bool | None = fact("gross vehicle weight rating 10,000 lb or less")
    model_year: int | None = fact("model year")
    software_adversary: bool | None = fact("VCS or ADS software from PRC- or Russia-linked persons")
    hardware_adversary: bool | None = fact("VCS hardware from PRC- or Russia-linked persons")
    manufacturer_adversary_linked: bool | None = fact(
        "the manufacturer is owned by, controlled by or subject to the PRC or Russia"
    )
    software_date_reached: bool | None = fact("model year 2027 or later (covered software)")
    hardware_date_reached: bool | None = fact(
        "model year 2030 or later, or imported from Jan. 1, 2029 without a model year (hardware)"
    )
    manufacturer_date_reached: bool | None = fact("model year 2027 or later (linked manufacturers)")
    sold_in_us: bool | None = fact("vehicles are imported or sold in the United States")
    specific_authorization: bool | None = fact("BIS granted a specific authorization")


def _adversary(nations: set[str]) -> Any:
    def test(owner: Owner) -> Tri:
        return None if owner.country is None else owner.country in nations

    return test


def derive_app(
    deal: Any, references: References, as_of: dt.date
) -> tuple[AppFacts, dict[str, str]]:
    """Compute the section from a deal record."""
    app: App | None = deal.app
    tgt = deal.target
    if app is None:
        spd = tgt.sensitive_data
        big = (
            None
            if spd is None or spd.individuals_max_12_months is None
            else (spd.individuals_max_12_months > MAU_THRESHOLD)
        )
        naics = None if tgt.naics is None else tgt.naics.startswith(APP_NAICS)
        hint = or3([big, naics])
        return built(AppFacts, recorded=None if hint is not False else False), {
            "app.recorded": "no app block in the deal"
            + (
                ""
                if hint is False
                else "; the target may run a large app (NAICS or data on >1,000,000)"
            )
        }
    d: dict[str, str] = {}
    nations = set(references.values("covered_nations_4872d"))
    inv = deal.investor
    ppb = app.operator_principal_place_of_business
    operator = or3(
        [
            None if tgt.country is None else tgt.country in nations,
            None if ppb is None else ppb in nations,
        ]
    )
    # Share of the investor attributable to persons of foreign adversary countries.
    share: tuple[Decimal, Decimal] | None
    if inv.country in nations or inv.principal_place_of_business in nations:
        share = (HUNDRED, HUNDRED)
    elif inv.kind in (PartyKind.individual, PartyKind.government):
        share = None if inv.country is None else (Decimal(0), Decimal(0))
    else:
        share = multiplied_share(inv.owners, _adversary(nations), inv.owners_complete)
    r = deal.rights
    stake = holding(r.voting_pct, r.equity_pct)
    pct: Num | None = None
    if share is not None and stake is not None:
        through = pct_of(stake, make(*share))
        other = app.other_foreign_adversary_pct
        exact = share[0] == share[1]
        if exact and other is not None:
            pct = cap(add(through, other), HUNDRED)
            d["app.foreign_adversary_stake_pct"] = (
                f"{fmt(through)}% through {inv.name} ({fmt(stake)}% x {fmt(share[0])}% held by "
                f"adversary-country persons) + {fmt(other)}% held by others"
            )
        else:
            low = pct_bounds(through)[0] + (bounds(other)[0] or Decimal(0) if other else 0)
            if low >= 20:
                pct = make(min(HUNDRED, low), HUNDRED)
                d["app.foreign_adversary_stake_pct"] = (
                    f"at least {fmt(min(HUNDRED, low))}% ({fmt(through)}% through {inv.name}); "
                    "the rest is not recorded"
                )
    d.setdefault("app.foreign_adversary_stake_pct", "not determinable from the record")
    mau = app.monthly_active_users
    months = None if mau is None or len(mau) < 3 else sum(1 for m in mau if m > MAU_THRESHOLD)
    if mau is not None and len(mau) < 3 and sum(1 for m in mau if m > MAU_THRESHOLD) >= 2:
        months = 2
    started: Tri = None
    if app.determination_date is not None:
        started = as_of >= app.determination_date + PROHIBITION_DELAY
        d["app.prohibition_started"] = (
            f"determination {app.determination_date}; prohibition from "
            f"{app.determination_date + PROHIBITION_DELAY} (270 days; no 90-day extension modelled)"
        )
    purpose = app.primary_purpose
    return (
        built(
            AppFacts,
            recorded=True,
            operator_in_adversary_country=operator,
            foreign_adversary_stake_pct=pct,
            subject_to_adversary_direction=app.subject_to_adversary_direction,
            user_content=app.user_content,
            excluded_purpose=None if purpose is None else purpose in ("reviews", "travel"),
            months_over_1m_mau=months,
            designated=app.designated,
            prohibition_started=started,
            qualified_divestiture=app.qualified_divestiture,
        ),
        d,
    )


def _dates(references: References) -> dict[str, Any]:
    table = references.get("ics_vehicle_dates")
    return {e.value: e.attributes for e in (table.entries if table else ())}


def derive_vehicle(
    deal: Any, references: References, as_of: dt.date
) -> tuple[VehicleFacts, dict[str, str]]:
    """Compute the section from a deal record."""
    v: ConnectedVehicle | None = deal.vehicle
    if v is None:
        naics = deal.target.naics
        hint: Tri = None if naics is None else naics.startswith(VEHICLE_NAICS)
        return built(VehicleFacts, recorded=None if hint is not False else False), {
            "vehicle.recorded": "no vehicle block in the deal"
            + ("; the target is a vehicle or vehicle-parts business" if hint else "")
        }
    t = _dates(references)
    sw_my = int(t.get("software_model_year", {}).get("model_year", 2027))
    mf_my = int(t.get("manufacturer_model_year", {}).get("model_year", 2027))
    hw_my = int(t.get("hardware_model_year", {}).get("model_year", 2030))
    hw_date = dt.date.fromisoformat(
        str(t.get("hardware_without_model_year", {}).get("date", "2029-01-01"))
    )
    max_lb = int(t.get("max_gvwr_lb", {}).get("pounds", 10000))
    my = v.model_year
    hw: Tri = None
    if my is not None:
        hw = my >= hw_my
    elif v.import_date is not None:
        hw = v.import_date >= hw_date
    linked = v.manufacturer_adversary_linked
    d = {
        "vehicle.software_date_reached": f"covered software from model year {sw_my}",
        "vehicle.hardware_date_reached": (
            f"VCS hardware from model year {hw_my}, or {hw_date} without a model year"
        ),
    }
    return (
        built(
            VehicleFacts,
            recorded=True,
            role=v.role,
            light_vehicle=None if v.gvwr_lb is None else v.gvwr_lb <= max_lb,
            model_year=my,
            software_adversary=or3([v.vcs_software_adversary, v.ads_software_adversary]),
            hardware_adversary=v.vcs_hardware_adversary,
            manufacturer_adversary_linked=linked,
            software_date_reached=None if my is None else my >= sw_my,
            hardware_date_reached=hw,
            manufacturer_date_reached=None if my is None else my >= mf_my,
            sold_in_us=v.sold_in_us,
            specific_authorization=v.specific_authorization,
        ),
        d,
    )
