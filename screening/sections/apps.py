"""Fact-view sections `app` and `vehicle`: PAFACA and the ICTS connected-vehicle rule."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..reference import References
from .base import Section


class AppFacts(Section):
    """Facts the `app` rules read."""


class VehicleFacts(Section):
    """Facts the `vehicle` rules read."""


def derive_app(deal: Any, references: References, as_of: dt.date) -> tuple[AppFacts, dict[str, str]]:
    """Compute the section from a deal record."""
    return AppFacts(), {}


def derive_vehicle(
    deal: Any, references: References, as_of: dt.date
) -> tuple[VehicleFacts, dict[str, str]]:
    """Compute the section from a deal record."""
    return VehicleFacts(), {}
