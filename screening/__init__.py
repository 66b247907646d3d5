"""dealscreen: screen investment deals against national-security investment rules.

The public API::

    from screening import screen, load_deal
    result = screen(load_deal("fixtures/deals/x.yaml"))
    result.verdict, result.hits, result.model_dump_json()
    results = screen_many(deals)  # many deals: the same results, several times faster

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

__all__ = [
    "LEVELS",
    "Deal",
    "DealError",
    "EngineError",
    "Hit",
    "Rulebook",
    "RulebookError",
    "ScreeningError",
    "ScreeningResult",
    "StoreError",
    "UsageError",
    "__version__",
    "load_deal",
    "load_rulebook",
    "screen",
    "screen_many",
]
