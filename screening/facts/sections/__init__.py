"""Fact-view sections for the regimes beyond part 800, one module each.

Each module defines a :class:`~screening.facts.sections.base.Section` subclass (the facts its rules
read, as ``<section>.<field>`` paths) and a deriver ``(deal, references, as_of) -> (section,
derivations)`` computing it from the deal record. The registry below names them; the rulebook
checks fact paths against it, and :func:`screening.facts.derive.derive` calls every deriver.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from screening.facts.sections import (
    apps,
    broker,
    credit,
    data,
    defense,
    energy,
    export,
    farmland,
    offtake,
    outbound,
    parties,
    site,
    supply,
)
from screening.facts.sections.base import Section
from screening.model.reference import References

Deriver = Callable[[Any, References, dt.date], tuple[Section, dict[str, str]]]

REGISTRY: dict[str, tuple[type[Section], Deriver]] = {
    "app": (apps.AppFacts, apps.derive_app),
    "broker": (broker.BrokerFacts, broker.derive),
    "credit": (credit.CreditFacts, credit.derive),
    "defense": (defense.DefenseFacts, defense.derive),
    "export": (export.ExportFacts, export.derive),
    "farmland": (farmland.FarmlandFacts, farmland.derive),
    "vehicle": (apps.VehicleFacts, apps.derive_vehicle),
    "data": (data.DataFacts, data.derive),
    "energy": (energy.EnergyFacts, energy.derive),
    "offtake": (offtake.OfftakeFacts, offtake.derive),
    "outbound": (outbound.OutboundFacts, outbound.derive),
    "parties": (parties.PartyFacts, parties.derive),
    "site": (site.SiteFacts, site.derive),
    "supply": (supply.SupplyFacts, supply.derive),
}
