"""Deal-record facts: Access to U.S. government-related or bulk sensitive personal data (28 CFR part 202)."""

from __future__ import annotations

from ..basetypes import Record


class DataTransaction(Record):
    """Access to U.S. government-related or bulk sensitive personal data (28 CFR part 202)."""
