"""Fact-view section `energy`: clean-energy credits (FEOC / prohibited foreign entity rules)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..reference import References
from .base import Section


class EnergyFacts(Section):
    """Facts the `energy` rules read."""


def derive(deal: Any, references: References, as_of: dt.date) -> tuple[EnergyFacts, dict[str, str]]:
    """Compute the section from a deal record."""
    return EnergyFacts(), {}
