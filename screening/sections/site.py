"""Fact-view section `site`: 31 CFR part 802 (real estate)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..reference import References
from .base import Section


class SiteFacts(Section):
    """Facts the `site` rules read."""


def derive(deal: Any, references: References, as_of: dt.date) -> tuple[SiteFacts, dict[str, str]]:
    """Compute the section from a deal record."""
    return SiteFacts(), {}
