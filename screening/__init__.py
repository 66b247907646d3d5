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

Names are imported on first use (PEP 562), so that ``import screening`` is cheap and the
``dealscreen`` command can answer Ctrl-C during its start-up with exit status 130.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from screening._version import __version__

if TYPE_CHECKING:
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
    from screening.mitigation.changes import Change
    from screening.mitigation.mitigate import MitigationReport, mitigate
    from screening.mitigation.run import WhatIf, whatif
    from screening.model.deal import Deal
    from screening.model.loader import load_deal
    from screening.rulebook.book import Rulebook, load_rulebook


def __getattr__(name: str) -> Any:
    # Static imports of the defining modules (no dynamic import of a name given as data).
    # Any other name (a submodule being imported, say) is not ours: say so at once.
    if name not in __all__:
        raise AttributeError(f"module 'screening' has no attribute {name!r}")
    from screening import errors
    from screening.engine import run, verdict
    from screening.mitigation import changes, mitigate
    from screening.mitigation import run as whatif_run
    from screening.model import deal, loader
    from screening.rulebook import book

    home = {
        "screen": run,
        "screen_many": run,
        "LEVELS": verdict,
        "Hit": verdict,
        "ScreeningResult": verdict,
        "Deal": deal,
        "load_deal": loader,
        "Rulebook": book,
        "load_rulebook": book,
        "Change": changes,
        "MitigationReport": mitigate,
        "mitigate": mitigate,
        "WhatIf": whatif_run,
        "whatif": whatif_run,
    }.get(name, errors if name.endswith("Error") else None)
    if home is None or not hasattr(home, name):
        raise AttributeError(f"module 'screening' has no attribute {name!r}")
    value = getattr(home, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*__all__, *(n for n in globals() if n.startswith("__"))})


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
