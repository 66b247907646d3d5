"""Deterministic synthetic deals for benchmarks and load tests (``dealscreen fixtures generate``).

Every deal is valid; the batch varies the deal kind, the investor's country (China, Hong Kong,
Japan, Germany, the United Kingdom, Canada, the United States and others), the investor's kind
and ownership chain (up to three levels, state owners included), the target's sector (NAICS),
critical technologies, Appendix A infrastructure, sensitive personal data and the rights
acquired, with thresholds hit exactly now and then, and some facts left unknown so that open
questions appear. The same ``seed`` and ``count`` always give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterator
from typing import Any

from screening.model.deal import DEAL_KINDS

KINDS = DEAL_KINDS
COUNTRIES = ("CN", "HK", "JP", "DE", "GB", "CA", "US", "FR", "KR", "AU", "SG", "AE", "NL", "IN")
PARTY_KINDS = ("company", "company", "fund", "state_owned_enterprise", "government", "individual")
SECTORS = (
    ("335910", "Cells", "battery"),
    ("334413", "Semiconductor", "semiconductor"),
    ("221114", "Solar Power", "solar"),
    ("336110", "Motors", "EV"),
    ("212290", "Minerals", "critical minerals"),
    ("517111", "Telecom", "telecom"),
    ("518210", "Data Platforms", "data"),
    ("513210", "Apps", "software"),
    ("488310", "Port Services", "port"),
    ("325414", "Biologics", "biotech"),
    ("221112", "Energy", "energy"),
    ("541715", "Research Labs", "research"),
)
TECHNOLOGIES = (
    ("ccl_multilateral", "3A001.e.1.b", None, "lithium-metal cells above 350 Wh/kg"),
    ("ccl_multilateral", "3B001.c", None, "etch equipment for advanced nodes"),
    ("ccl_multilateral", "5A002.a", None, "encryption items"),
    ("ecra_1758", "3A090.a", None, "advanced computing integrated circuits"),
    ("usml", None, "XI(c)", "military electronics components"),
    ("ccl_multilateral", "1C010.b", None, "carbon fibre prepregs"),
    ("select_agent", None, None, "select agent research"),
    ("ccl_multilateral", "9E003.a.2", None, "turbine blade technology"),
)
EXCEPTIONS = ("none", "none", "TSU", "ENC", "STA", "other")
INFRASTRUCTURE = (
    ("i(a)", "own"),
    ("ii", "operate"),
    ("iii", "own"),
    ("iv", "supply"),
    ("v", "own"),
    ("vi", "operate"),
    ("vii", "manufacture"),
    ("viii", "manufacture"),
    ("ix", "manufacture"),
)
DATA = (
    "financial_distress",
    "consumer_report",
    "insurance_application",
    "health",
    "private_communications",
    "geolocation",
    "biometric",
    "government_id",
)
INVOLVEMENT = ("sensitive_personal_data", "critical_technologies", "critical_infrastructure")
CONTROL = (
    "sale_of_principal_assets",
    "facilities",
    "major_expenditures_budget",
    "new_business_lines",
    "officers_senior_managers",
)
THRESHOLDS = (9.99, 10, 24.99, 25, 49, 49.99, 50, 51, 100)
START = dt.date(2024, 1, 1)


def _maybe(rng: random.Random, value: Any, unknown: float = 0.1) -> Any:
    """The value, or None (unknown) with probability ``unknown``."""
    return None if rng.random() < unknown else value


def _pct(rng: random.Random) -> float | int:
    if rng.random() < 0.25:
        return rng.choice(THRESHOLDS)
    return round(rng.uniform(0.5, 100), 2)


def _owners(rng: random.Random, country: str, depth: int) -> list[dict[str, Any]]:
    if depth <= 0:
        return []
    out: list[dict[str, Any]] = []
    left = 100.0
    for n in range(rng.randint(0, 2)):
        share = round(rng.uniform(10, left), 2) if left > 10 else 0
        if share <= 0:
            break
        left -= share
        kind = rng.choice(PARTY_KINDS)
        home = country if rng.random() < 0.8 else rng.choice(COUNTRIES)
        out.append(
            {
                "name": f"{home} Holding {depth}-{n} ({kind})",
                "kind": kind,
                "country": home,
                "voting_pct": share,
                "equity_pct": share,
                "owners": [] if kind == "government" else _owners(rng, home, depth - 1),
            }
        )
    return out


def _party(rng: random.Random, i: int, country: str) -> dict[str, Any]:
    kind = rng.choice(PARTY_KINDS)
    party: dict[str, Any] = {
        "name": f"{country} Investor {i:06d} ({kind})",
        "kind": kind,
        "country": country,
        "principal_place_of_business": country,
        "owners": _maybe(rng, _owners(rng, country, rng.randint(0, 3)), 0.1),
        "lists": ["bis_entity_list"] if rng.random() < 0.03 else [],
        "disqualifiers": _maybe(rng, [], 0.2),
        "controlled_by_foreign_person": _maybe(rng, country != "US", 0.2),
    }
    if kind == "individual":
        party["nationalities"] = [country]
    if kind == "fund":
        party["gp_is_foreign_person"] = _maybe(rng, country != "US", 0.2)
        party["managed_exclusively_by_gp"] = _maybe(rng, rng.random() < 0.8, 0.2)
    if country in ("GB", "CA", "AU", "NZ"):
        party["board_us_or_excepted_pct"] = _maybe(rng, rng.choice((60, 75, 100)), 0.3)
        party["minimum_excepted_ownership_met"] = _maybe(rng, rng.random() < 0.7, 0.3)
        party["equity_primarily_traded_in"] = _maybe(rng, country, 0.5)
    return party


def _target(rng: random.Random, i: int, kind: str) -> dict[str, Any]:
    naics, word, sector = rng.choice(SECTORS)
    country = rng.choice(("CN", "HK", "DE", "JP")) if kind == "outbound_investment" else "US"
    techs = []
    for basis, eccn, usml, what in rng.sample(TECHNOLOGIES, rng.choice((0, 0, 0, 1, 2))):
        tech: dict[str, Any] = {
            "description": f"{what} ({sector})",
            "basis": basis,
            "authorization_required": _maybe(rng, rng.random() < 0.6, 0.25),
            "license_exception": _maybe(rng, rng.choice(EXCEPTIONS), 0.25),
            "activity_current": _maybe(rng, True, 0.1),
        }
        if eccn:
            tech["eccn"] = eccn
        if usml:
            tech["usml_category"] = usml
        techs.append(tech)
    infra = [
        {"item": item, "function": function}
        for item, function in rng.sample(INFRASTRUCTURE, rng.choice((0, 0, 0, 0, 1)))
    ]
    people = rng.choice((0, 0, 5_000, 999_999, 1_000_000, 1_000_001, 25_000_000))
    return {
        "name": f"{word} {sector.title()} Target {i:06d} Inc.",
        "country": country,
        "naics": naics,
        "interstate_commerce": _maybe(rng, True, 0.05),
        "critical_technologies": _maybe(rng, techs, 0.1),
        "infrastructure": _maybe(rng, infra, 0.1),
        "sensitive_data": _maybe(
            rng,
            {
                "categories": rng.sample(DATA, rng.choice((0, 0, 1, 2))) if people else [],
                "individuals_max_12_months": people,
                "business_objective_over_1m": _maybe(rng, people > 1_000_000, 0.2),
                "targets_us_government_personnel": _maybe(rng, rng.random() < 0.05, 0.2),
                "genetic_test_results": _maybe(rng, sector == "biotech" and people > 0, 0.2),
            },
            0.1,
        ),
        "facilities": [
            {"name": f"{word} site {i:06d}", "state": rng.choice(("GA", "TX", "CA", "OH", "MI"))}
        ],
        "certificated_air_carrier": False,
    }


def _rights(rng: random.Random) -> dict[str, Any]:
    voting = _pct(rng)
    size = rng.choice((5, 7, 9, 11))
    return {
        "voting_pct": _maybe(rng, voting, 0.05),
        "equity_pct": voting,
        "board_seats": _maybe(rng, rng.randint(0, 3), 0.1),
        "board_size": size,
        "board_observer": _maybe(rng, rng.random() < 0.2, 0.1),
        "board_nomination_right": _maybe(rng, rng.random() < 0.2, 0.1),
        "mnpti_access": _maybe(rng, rng.random() < 0.3, 0.15),
        "involvement": _maybe(rng, rng.sample(INVOLVEMENT, rng.choice((0, 0, 1))), 0.15),
        "control_matters": _maybe(rng, rng.sample(CONTROL, rng.choice((0, 0, 0, 1, 2))), 0.1),
        "passive_undertaking": _maybe(rng, voting < 10 and rng.random() < 0.7, 0.1),
    }


def generate_deal(rng: random.Random, i: int) -> dict[str, Any]:
    """One synthetic deal (plain JSON data) from a seeded generator."""
    kind = KINDS[i % len(KINDS)] if rng.random() < 0.5 else rng.choice(KINDS)
    country = "US" if kind == "outbound_investment" else rng.choice(COUNTRIES)
    completion = START + dt.timedelta(days=rng.randint(0, 4 * 365))
    deal: dict[str, Any] = {
        "id": f"synth-{i:07d}",
        "name": f"Synthetic deal {i:07d}: {kind.replace('_', ' ')} from {country}",
        "kind": kind,
        "investor": _party(rng, i, country),
        "target": _target(rng, i, kind),
        "rights": _rights(rng),
        "value_usd": rng.choice((5_000_000, 50_000_000, 420_000_000, 2_500_000_000)),
        "signing_date": (completion - dt.timedelta(days=rng.randint(30, 200))).isoformat(),
        "completion_date": completion.isoformat(),
        "evasion_structure": _maybe(rng, False, 0.3),
    }
    if rng.random() < 0.15 and kind != "outbound_investment":
        partner = rng.choice(COUNTRIES)
        deal["co_investors"] = [
            {
                "party": _party(rng, i + 1, partner),
                "voting_pct": _pct(rng) / 4,
                "acts_in_concert": _maybe(rng, rng.random() < 0.5, 0.3),
            }
        ]
    if kind == "joint_venture":
        deal["us_contribution"] = rng.choice(("us_business", "assets_not_business", "ip_license"))
    elif kind == "supply_partnership":
        deal["arrangement"] = rng.choice(("supply", "offtake", "license"))
        deal["term_years"] = rng.choice((3, 5, 10, 20))
        deal["transfers_business_operations"] = _maybe(rng, rng.random() < 0.3, 0.2)
    elif kind == "acquisition":
        deal["assets_only"] = rng.random() < 0.3
    elif kind == "lending":
        deal["contingent_equity"] = {
            "converts_to_voting_pct": _pct(rng),
            "conversion_in_holders_control": _maybe(rng, rng.random() < 0.5, 0.2),
            "conversion_imminent": _maybe(rng, rng.random() < 0.3, 0.2),
        }
    elif kind == "greenfield":
        deal["through_newly_formed_subsidiary"] = rng.random() < 0.5
    elif kind == "real_estate":
        deal["property_rights"] = rng.randint(1, 4)
    return deal


def generate(count: int, seed: int = 0) -> Iterator[dict[str, Any]]:
    """``count`` synthetic deals, deterministic for ``seed``."""
    rng = random.Random(seed)
    for i in range(count):
        yield generate_deal(rng, i)


def generate_jsonl(count: int, seed: int = 0) -> Iterator[str]:
    """The deals as JSON Lines (each line ends with a newline)."""
    for deal in generate(count, seed):
        yield json.dumps(deal, ensure_ascii=False, separators=(",", ":")) + "\n"


__all__ = ["generate", "generate_deal", "generate_jsonl"]
