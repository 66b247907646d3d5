"""Running the examples embedded in rules: each must (or must not) fire its rule.

An example is a deal fragment deep-merged onto :data:`BASE_DEAL` (mappings merge key by key,
anything else replaces), so an example names only the facts that matter to its rule.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from screening.errors import DealError
from screening.model._yaml import Document
from screening.model.loader import validate_deal
from screening.rulebook.book import Example, Rule, Rulebook

# A U.S. business with no critical technology, no Appendix A function and no sensitive data,
# taking a 5% passive stake from a Chinese company with no owners of note: every fact known.
BASE_DEAL: dict[str, Any] = {
    "id": "example",
    "name": "Rule example",
    "kind": "equity_stake",
    "investor": {
        "name": "Example Investor Co.",
        "kind": "company",
        "country": "CN",
        "principal_place_of_business": "CN",
        "owners": [],
        "disqualifiers": [],
    },
    "target": {
        "name": "Example Target Inc.",
        "country": "US",
        "interstate_commerce": True,
        "critical_technologies": [],
        "infrastructure": [],
        "sensitive_data": {
            "categories": [],
            "individuals_max_12_months": 0,
            "business_objective_over_1m": False,
            "targets_us_government_personnel": False,
            "genetic_test_results": False,
        },
        "certificated_air_carrier": False,
        "facilities": [],
        "owners": [],
    },
    "rights": {
        "voting_pct": 5,
        "board_seats": 0,
        "board_size": 7,
        "board_observer": False,
        "board_nomination_right": False,
        "mnpti_access": False,
        "involvement": [],
        "control_matters": [],
        "passive_undertaking": True,
    },
    "evasion_structure": False,
    "completion_date": "2025-06-30",
}


def merge(base: Any, fragment: Any) -> Any:
    """Deep-merge a fragment onto a base (mappings merge; other values replace); a fresh copy."""
    if isinstance(base, dict) and isinstance(fragment, dict):
        out = copy.deepcopy(base)  # never share nested objects with the base
        for key, value in fragment.items():
            out[key] = merge(base.get(key), value) if key in base else copy.deepcopy(value)
        return out
    return copy.deepcopy(fragment)


@dataclass(frozen=True)
class ExampleResult:
    """The outcome of one embedded example."""

    rule: Rule
    example: Example
    fired: bool
    error: str = ""

    @property
    def passed(self) -> bool:
        """Whether the rule fired exactly when the example says it should."""
        return not self.error and self.fired == self.example.fires

    def describe(self) -> str:
        """One line for a report."""
        want = "fire" if self.example.fires else "not fire"
        label = f" ({self.example.name})" if self.example.name else ""
        if self.error:
            return f"{self.example.location}: {self.rule.id}{label}: {self.error}"
        got = "fired" if self.fired else "did not fire"
        return f"{self.example.location}: {self.rule.id}{label}: should {want}, {got}"


def example_deal(example: Example) -> Any:
    """The deal record an example describes."""
    data = merge(BASE_DEAL, example.fragment)
    return validate_deal(Document(example.location, data, {}))


def run_examples(book: Rulebook, rule_ids: list[str] | None = None) -> list[ExampleResult]:
    """Run the embedded examples of the given rules (all rules by default), in rule order."""
    from screening.engine.run import screen

    out: list[ExampleResult] = []
    for rule in book.rules.values():
        if rule_ids is not None and rule.id not in rule_ids:
            continue
        for example in rule.examples:
            try:
                deal = example_deal(example)
            except (DealError, ValidationError) as exc:
                out.append(ExampleResult(rule, example, False, f"invalid example deal: {exc}"))
                continue
            result = screen(deal, rulebook=book)
            out.append(ExampleResult(rule, example, result.hit(rule.id) is not None))
    return out
