"""Hypothesis strategies for deal records (pydantic v2 has no plugin, so they are written here).

Deals are drawn as JSON-like dicts so that the same strategies serve validation (totality) and
screening; every optional fact is sometimes left out, so unknowns are exercised everywhere.
"""

from __future__ import annotations

import datetime as dt
import itertools
import typing
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


# Issue 19's probe, kept: values the engine once got wrong or crashed on. Tiny values (durable-rules
# read `1e-05` as an error), the smallest step a deal may carry (6 places), values one step either
# side of every percentage threshold of the shipped rulebook, and the model's bounds.
STEP = Decimal("0.000001")
TINY = ["0.000001", "0.000002", "0.00001", "0.00009", "0.0001", "0.000999"]


def _rulebook_thresholds() -> list[Decimal]:
    from screening import load_rulebook
    from screening.rulebook.conditions import Leaf, leaves

    found = set()
    for rule in load_rulebook().rules.values():
        for leaf in leaves(rule.when):
            if isinstance(leaf, Leaf) and isinstance(leaf.value, Decimal):
                found.add(leaf.value)
    return sorted(found)


THRESHOLDS = _rulebook_thresholds()
ADJACENT_PCTS = sorted(
    {str(t + d) for t in THRESHOLDS for d in (-STEP, Decimal(0), STEP) if 0 <= t + d <= 100}
)

pcts = st.one_of(
    st.sampled_from(EDGE_PCTS),
    st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False),
    st.sampled_from(ADJACENT_PCTS),
    st.sampled_from(TINY),
    st.decimals(min_value=0, max_value=100, places=6, allow_nan=False, allow_infinity=False),
).map(lambda d: str(Decimal(str(d))))
big_numbers = st.one_of(
    st.sampled_from(["0", "0.000001", "999999.999999", "999999999999.999999", "1000000000000"]),
    st.decimals(min_value=0, max_value=10**12, places=6, allow_nan=False, allow_infinity=False),
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
# An amount or distance as a range, within the bounds of every deal number (6 places, 10^12).
big_ranges = st.builds(
    _range,
    st.tuples(big_numbers, big_numbers),
    st.sampled_from(["min", "max", "both", "less_than"]),
)


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


def long_chain(max_depth: int = 12) -> st.SearchStrategy[list[dict[str, Any]]]:
    """One chain of companies ending in a foreign government, each link a percentage with up to
    6 places: the attributed government interest has many more places than any threshold."""

    def build(links: list[str], top: str) -> list[dict[str, Any]]:
        node: dict[str, Any] = {"name": "State", "kind": "government", "country": "CN"}
        node["voting_pct"] = top
        for i, pct in enumerate(links):
            node = {
                "name": f"Holdco {i}",
                "kind": "company",
                "country": "CN",
                "voting_pct": pct,
                "owners": [node],
            }
        return [node]

    return st.builds(build, st.lists(pcts, min_size=1, max_size=max_depth), pcts)


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
        "owners": st.one_of(owners(), long_chain()),
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
                    [0, 999_999, 1_000_000, 1_000_001, 5_000_000, 10**12]
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
                    "miles_to_listed_installation": st.one_of(
                        st.sampled_from(
                            ["0.5", "1", "1.01", "99", "100", "150", "0.999999", "1.000001"]
                        ),
                        big_numbers,
                        big_ranges,
                        st.just({"min": 1, "max": 150}),
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
        "value_usd": st.one_of(
            st.sampled_from(["1000000", "250000000", {"min": 100000000}]), big_numbers, big_ranges
        ),
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


# ------------------------------------------------------------------------------------------------
# Completions of unknown facts (the floor invariant, tests/test_floor_ceiling.py)
#
# The unknowns are facts of the fact view that rules read (booleans, numbers, dates, text and
# lists). Each fact's candidate values put it on every side of every threshold a rule compares it
# with (and at the threshold itself), give it every literal a rule names plus one it names nowhere,
# and, for lists, the empty list and each named value alone: two completions that agree on every
# leaf of every rule screen alike, so these candidates reach every outcome the rules can.

_SECTIONS_TOP = ("deal", "investor", "target", "rights")
_OTHER_TEXT = "zz_unnamed"


def _between(low: Any, high: Any) -> Any:
    if isinstance(low, dt.date):
        return low + (high - low) / 2
    if isinstance(low, int) and isinstance(high, int) and high - low > 1:
        return low + (high - low) // 2
    return (Decimal(low) + Decimal(high)) / 2


def _around(points: list[Any], integral: bool) -> list[Any]:
    """A value below, at, between and above sorted thresholds."""
    if not points:
        return [Decimal(1) if not integral else 1]
    if isinstance(points[0], dt.date):
        step: Any = dt.timedelta(days=1)
    else:
        step = 1 if integral else Decimal("0.01")
    out = [points[0] - step]
    for low, high in itertools.pairwise(points):
        out.append(low)
        middle = _between(low, high)
        if middle not in (low, high):
            out.append(int(middle) if integral else middle)
    out.extend([points[-1], points[-1] + step])
    kept = [v for v in out if isinstance(v, dt.date) or v >= 0] or [points[-1]]
    return list(dict.fromkeys(kept))


def candidates(book: Any, as_of: dt.date) -> dict[str, list[Any]]:
    """Candidate values of every optional fact path the rulebook reads."""
    from screening.engine.evaluate import leaf_values
    from screening.facts.view import field_info, partial
    from screening.rulebook.conditions import Leaf, leaves

    by_path: dict[str, list[Leaf]] = {}
    for rule in book.rules.values():
        for leaf in leaves(rule.when):
            if isinstance(leaf, Leaf):
                by_path.setdefault(leaf.path, []).append(leaf)
    out: dict[str, list[Any]] = {}
    for path, path_leaves in sorted(by_path.items()):
        info = field_info(path)
        assert info is not None
        args = typing.get_args(info[0])
        if type(None) not in args and not partial(path):
            continue  # a fact that is never unknown (a list may still be known only in part)
        base = next(a for a in args if a is not type(None))
        if base is bool:
            out[path] = [True, False]
        elif base in (int, Decimal, dt.date):
            points = sorted({leaf.value for leaf in path_leaves})
            if base is int:
                points = sorted({int(p) for p in points})
            out[path] = _around(points, base is int)
        elif typing.get_origin(base) is list:
            named: set[str] = set()
            for leaf in path_leaves:
                values = leaf_values(leaf, book.references, as_of)
                named.update(sorted(values)[:1] if leaf.ref else values)
            out[path] = [[], *([v] for v in sorted(named))]
        else:
            named = set()
            for leaf in path_leaves:
                named.update(leaf_values(leaf, book.references, as_of))
            out[path] = [*sorted(named), _OTHER_TEXT if "country" not in path else "XX"]
    return out


def with_facts(view: Any, values: dict[str, Any]) -> Any:
    """A copy of a fact view with some facts replaced."""
    updates: dict[str, dict[str, Any]] = {}
    for path, value in values.items():
        section, _, name = path.partition(".")
        updates.setdefault(section, {})[name] = value
    top = {
        s: getattr(view, s).model_copy(update=u) for s, u in updates.items() if s in _SECTIONS_TOP
    }
    extra = dict(view.extra)
    for s, u in updates.items():
        if s not in _SECTIONS_TOP:
            extra[s] = extra[s].model_copy(update=u)
    return view.model_copy(update={**top, "extra": extra})
