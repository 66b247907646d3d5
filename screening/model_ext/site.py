"""Deal-record facts: Land or a facility, for covered real estate (31 CFR part 802)."""

from __future__ import annotations

from ..basetypes import Record


class Site(Record):
    """Land or a facility, for covered real estate (31 CFR part 802)."""
