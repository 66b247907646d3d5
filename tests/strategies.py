"""Hypothesis strategies for deal records (pydantic v2 has no plugin, so they are written here).

Deals are drawn as JSON-like dicts so that the same strategies serve validation (totality) and
screening; every optional fact is sometimes left out, so unknowns are exercised everywhere.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from screening.model.deal import (
    DEAL_KINDS,
    ControlMatter,
    DataCategory,
    InvolvementArea,
    LicenseException,
    MinorityProtection,
    RestrictedList,
)

COUNTRIES = ["CN", "HK", "US", "GB", "CA", "AU", "NZ", "JP", "DE", "SG", "KY", "RU", "AE"]
KINDS = [k for k in DEAL_KINDS if k != "outbound_investment"]  # the part 800 kinds
EDGE_PCTS = [0, 5, 9.99, 10, 10.01, 24.99, 25, 25.01, 48.99, 49, 49.01, 50, 50.01, 51, 75, 100]


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """The value, or None (unknown)."""
    return st.one_of(st.none(), strategy)


pcts = st.one_of(
    st.sampled_from(EDGE_PCTS),
    st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False),
).map(lambda d: str(Decimal(str(d))))


def _range(pair: tuple[Any, Any], shape: str) -> Any:
    low, high = sorted(pair, key=Decimal)
    if shape == "min":
        return {"min": low}
    if shape == "max":
        return {"max": high}
    if shape == "more_than" and Decimal(low) < 100:
        return {"more_than": low}
    if shape == "less_than" and Decimal(high) > 0:
        return {"less_than": high}
    return {"min": low, "max": high}


# A percentage known exactly, or only as a range (numbers.Range) or a word.
pct_ranges = st.one_of(
    st.sampled_from(["majority", "minority"]),
    st.builds(
        _range,
        st.tuples(pcts, pcts),
        st.sampled_from(["min", "max", "both", "more_than", "less_than"]),
    ),
)
pct_values = st.one_of(pcts, pcts, pct_ranges)


def owners(depth: int = 2) -> st.SearchStrategy[list[dict[str, Any]]]:
    """Ownership chains up to a depth."""
    node = st.fixed_dictionaries(
        {
            "name": st.sampled_from(["Holdco", "State Fund", "Ministry", "Founder", "Parent"]),
            "kind": st.sampled_from(
                ["company", "government", "state_owned_enterprise", "individual", "fund"]
            ),
            "country": st.sampled_from(COUNTRIES),
            "voting_pct": pct_values,
        },
        optional={
            "owners": owners(depth - 1) if depth > 0 else st.just([]),
            "owners_complete": st.booleans(),
            "lists": maybe(
                st.lists(st.sampled_from([x.value for x in RestrictedList]), max_size=1)
            ),
        },
    )
    return st.lists(node, max_size=2)


technology = st.fixed_dictionaries(
    {
        "description": st.just("item"),
        "basis": st.sampled_from(["usml", "ccl_multilateral", "ecra_1758"]),
    },
    optional={
        "authorization_required": st.booleans(),
        "license_exception": st.sampled_from([x.value for x in LicenseException]),
        "activity_current": st.booleans(),
    },
)

investor = st.fixed_dictionaries(
    {
        "name": st.just("Investor"),
        "kind": st.sampled_from(
            ["company", "fund", "government", "state_owned_enterprise", "individual"]
        ),
    },
    optional={
        "country": st.sampled_from(COUNTRIES),
        "principal_place_of_business": st.sampled_from(COUNTRIES),
        "owners": owners(),
        "owners_complete": st.booleans(),
        "lists": maybe(
            st.lists(st.sampled_from([x.value for x in RestrictedList]), max_size=2, unique=True)
        ),
        "disqualifiers": st.just([]),
        "board_us_or_excepted_pct": pcts,
        "minimum_excepted_ownership_met": st.booleans(),
        "gp_is_foreign_person": st.booleans(),
        "managed_exclusively_by_gp": st.booleans(),
        "lp_advisory_board_compliant": st.booleans(),
    },
)

target = st.fixed_dictionaries(
    {"name": st.just("Target"), "country": st.just("US")},
    optional={
        "interstate_commerce": st.booleans(),
        "critical_technologies": st.lists(technology, max_size=2),
        "infrastructure": st.lists(
            st.fixed_dictionaries(
                {
                    "item": st.sampled_from(["xi", "xii", "ii", "xxvi", "xiv"]),
                    "function": st.sampled_from(
                        ["own", "operate", "manufacture", "service", "supply"]
                    ),
                }
            ),
            max_size=2,
        ),
        "sensitive_data": st.fixed_dictionaries(
            {},
            optional={
                "categories": st.lists(
                    st.sampled_from([x.value for x in DataCategory]), max_size=2, unique=True
                ),
                "individuals_max_12_months": st.sampled_from(
                    [0, 999_999, 1_000_000, 1_000_001, 5_000_000]
                ),
                "business_objective_over_1m": st.booleans(),
                "data_integral_to_products": st.booleans(),
                "targets_us_government_personnel": st.booleans(),
                "genetic_test_results": st.booleans(),
            },
        ),
        "facilities": st.lists(
            st.fixed_dictionaries(
                {"name": st.just("Plant")},
                optional={
                    "miles_to_listed_installation": st.sampled_from(
                        ["0.5", "1", "1.01", "99", "100", "150", {"min": 1, "max": 150}]
                    )
                },
            ),
            max_size=2,
        ),
        "certificated_air_carrier": st.booleans(),
    },
)

rights = st.fixed_dictionaries(
    {},
    optional={
        "voting_pct": pct_values,
        "board_seats": st.integers(0, 7),
        "board_size": st.just(7),
        "board_observer": st.booleans(),
        "board_nomination_right": st.booleans(),
        "mnpti_access": st.booleans(),
        "involvement": st.lists(
            st.sampled_from([x.value for x in InvolvementArea]), max_size=2, unique=True
        ),
        "control_matters": st.lists(
            st.sampled_from([x.value for x in ControlMatter]), max_size=2, unique=True
        ),
        "minority_protections": st.lists(
            st.sampled_from([x.value for x in MinorityProtection]), max_size=2, unique=True
        ),
        "passive_undertaking": st.booleans(),
        "loan_default_control_likely": st.booleans(),
    },
)

deals = st.fixed_dictionaries(
    {
        "id": st.just("generated"),
        "name": st.just("Generated deal"),
        "kind": st.sampled_from(KINDS),
        "investor": investor,
        "target": target,
        "rights": rights,
        "completion_date": st.sampled_from(
            ["2019-06-01", "2020-06-01", "2021-01-01", "2025-06-30"]
        ),
    },
    optional={
        "evasion_structure": st.booleans(),
        "value_usd": st.sampled_from(["1000000", "250000000", {"min": 100000000}]),
    },
)


def kind_fields(kind: str) -> st.SearchStrategy[dict[str, Any]]:
    """Fields only some deal kinds have."""
    extra: dict[str, st.SearchStrategy[Any]] = {
        "acquisition": st.fixed_dictionaries(
            {},
            optional={"assets_only": st.booleans(), "assets_constitute_us_business": st.booleans()},
        ),
        "joint_venture": st.fixed_dictionaries(
            {},
            optional={
                "us_contribution": st.sampled_from(
                    ["us_business", "assets_not_business", "ip_license", "cash"]
                )
            },
        ),
        "supply_partnership": st.fixed_dictionaries(
            {},
            optional={
                "arrangement": st.sampled_from(["supply", "offtake", "license"]),
                "transfers_business_operations": st.booleans(),
            },
        ),
        "greenfield": st.fixed_dictionaries(
            {}, optional={"through_newly_formed_subsidiary": st.booleans()}
        ),
    }
    return extra.get(kind, st.just({}))


full_deals = deals.flatmap(lambda d: kind_fields(d["kind"]).map(lambda extra: {**d, **extra}))
