"""dealscreen: screen investment deals against national-security investment rules.

The public API::

    from screening import screen, load_deal
    result = screen(load_deal("fixtures/deals/x.yaml"))
    result.verdict, result.hits, result.model_dump_json()

dealscreen informs a decision; it is not legal advice.
"""

__version__ = "0.1.0"

from .engine import screen
from .errors import (
    DealError,
    EngineError,
    RulebookError,
    ScreeningError,
    StoreError,
    UsageError,
)
from .loader import load_deal
from .model import Deal
from .rulebook import Rulebook, load_rulebook
from .verdict import LEVELS, Hit, ScreeningResult

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
]
