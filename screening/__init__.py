"""dealscreen: screen investment deals against national-security investment rules.

The public API::

    from screening import screen, load_deal
    result = screen(load_deal("fixtures/deals/x.yaml"))
    result.verdict, result.hits, result.model_dump_json()
    results = screen_many(deals)  # many deals: the same results, several times faster

    from screening import whatif, mitigate
    whatif(deal, {"rights.voting_pct": 24.9}).diff       # the deal as changed, and what differs
    mitigate(deal, to="filing_advised").mitigations     # concessions that lower the verdict

dealscreen informs a decision; it is not legal advice.
"""

from screening._version import __version__
from screening.engine.run import screen, screen_many
from screening.engine.verdict import LEVELS, Hit, ScreeningResult
from screening.errors import (
    DealError,
    EngineError,
    RulebookError,
    ScreeningError,
    StoreError,
    UsageError,
)
from screening.model.deal import Deal
from screening.model.loader import load_deal
from screening.rulebook.book import Rulebook, load_rulebook
from screening.whatif.changes import Change
from screening.whatif.mitigate import MitigationReport, mitigate
from screening.whatif.run import WhatIf, whatif

__all__ = [
    "LEVELS",
    "Change",
    "Deal",
    "DealError",
    "EngineError",
    "Hit",
    "MitigationReport",
    "Rulebook",
    "RulebookError",
    "ScreeningError",
    "ScreeningResult",
    "StoreError",
    "UsageError",
    "WhatIf",
    "__version__",
    "load_deal",
    "load_rulebook",
    "mitigate",
    "screen",
    "screen_many",
    "whatif",
]
