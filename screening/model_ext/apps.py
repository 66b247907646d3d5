"""Deal-record facts: A consumer application or data platform (PAFACA, Pub. L. 118-50 div. H)."""

from __future__ import annotations

from ..basetypes import Record


class App(Record):
    """A consumer application or data platform (PAFACA, Pub. L. 118-50 div. H)."""


class ConnectedVehicle(Record):
    """Connected-vehicle systems supplied or sold (15 CFR part 791 subpart D)."""
