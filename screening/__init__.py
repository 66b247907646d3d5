"""dealscreen: screen investment deals against national-security investment rules.

The public API::

    from screening import screen, load_deal
    result = screen(load_deal("fixtures/deals/x.yaml"))
    result.verdict, result.hits, result.model_dump_json()

dealscreen informs a decision; it is not legal advice.

Names are imported on first use (PEP 562), so that ``import screening`` is cheap and the
``dealscreen`` command can answer Ctrl-C during its start-up with exit status 130.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from screening._version import __version__

if TYPE_CHECKING:
    from screening.engine.run import screen
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

_WHERE = {
    "LEVELS": "screening.engine.verdict",
    "Deal": "screening.model.deal",
    "DealError": "screening.errors",
    "EngineError": "screening.errors",
    "Hit": "screening.engine.verdict",
    "Rulebook": "screening.rulebook.book",
    "RulebookError": "screening.errors",
    "ScreeningError": "screening.errors",
    "ScreeningResult": "screening.engine.verdict",
    "StoreError": "screening.errors",
    "UsageError": "screening.errors",
    "load_deal": "screening.model.loader",
    "load_rulebook": "screening.rulebook.book",
    "screen": "screening.engine.run",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'screening' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*__all__, *(n for n in globals() if n.startswith("__"))})


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
