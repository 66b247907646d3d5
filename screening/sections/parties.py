"""Fact-view section `parties`: restricted-party screening of every party and owner."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..reference import References
from .base import Section


class PartyFacts(Section):
    """Facts the `parties` rules read."""


def derive(deal: Any, references: References, as_of: dt.date) -> tuple[PartyFacts, dict[str, str]]:
    """Compute the section from a deal record."""
    return PartyFacts(), {}
