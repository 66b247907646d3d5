"""Fact-view section `supply`: supply chains (UFLPA, Section 301)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..reference import References
from .base import Section


class SupplyFacts(Section):
    """Facts the `supply` rules read."""


def derive(deal: Any, references: References, as_of: dt.date) -> tuple[SupplyFacts, dict[str, str]]:
    """Compute the section from a deal record."""
    return SupplyFacts(), {}
