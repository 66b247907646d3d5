"""Fact-view section `outbound`: 31 CFR part 850 (outbound investment)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..reference import References
from .base import Section


class OutboundFacts(Section):
    """Facts the `outbound` rules read."""


def derive(deal: Any, references: References, as_of: dt.date) -> tuple[OutboundFacts, dict[str, str]]:
    """Compute the section from a deal record."""
    return OutboundFacts(), {}
