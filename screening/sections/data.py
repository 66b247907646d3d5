"""Fact-view section `data`: 28 CFR part 202 (DOJ Data Security Program)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..reference import References
from .base import Section


class DataFacts(Section):
    """Facts the `data` rules read."""


def derive(deal: Any, references: References, as_of: dt.date) -> tuple[DataFacts, dict[str, str]]:
    """Compute the section from a deal record."""
    return DataFacts(), {}
