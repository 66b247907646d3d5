"""Deal-record facts: Clean-energy tax credits a party claims and its ties to prohibited foreign entities."""

from __future__ import annotations

from ..basetypes import Record


class EnergyCredit(Record):
    """Clean-energy tax credits a party claims and its ties to prohibited foreign entities."""
