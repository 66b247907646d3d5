"""Deal-record facts: A U.S. person's investment in a person of a country of concern (31 CFR part 850)."""

from __future__ import annotations

from ..basetypes import Record


class Outbound(Record):
    """A U.S. person's investment in a person of a country of concern (31 CFR part 850)."""
