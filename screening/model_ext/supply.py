"""Deal-record facts: Goods in a supply partnership and their origin (UFLPA, Section 301)."""

from __future__ import annotations

from ..basetypes import Record


class SupplyChain(Record):
    """Goods in a supply partnership and their origin (UFLPA, Section 301)."""
