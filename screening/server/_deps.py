"""Every library name the HTTP server uses, imported in this one place.

The server is a door onto the library, like the CLI. It may not import the package root (the
root re-exports every stage, so importing it from a stage would be a cycle:
``tests/test_architecture.py``), so the names it needs, public and internal alike, come from
their stage modules here; a move of one of them is a change to this file only.
"""

from __future__ import annotations

from screening._version import __version__
from screening.audit.questions import AuditAnswer, Replay, explain, replay, replay_json, stored_json
from screening.audit.store import Store, default_url, normalize_url
from screening.authoring.rulediff import normalize
from screening.engine.explain import render_json
from screening.engine.run import compiled, screen
from screening.engine.verdict import ScreeningResult, Verdict
from screening.errors import (
    DealError,
    Problem,
    RulebookError,
    ScreeningError,
    StoreError,
    UsageError,
)
from screening.model._yaml import Document, DocumentError, DuplicateKeyError, loads_json
from screening.model._yaml import _check_depth as check_depth
from screening.model.deal import Deal, DealRecord
from screening.model.loader import validate_deal
from screening.rulebook.book import Rulebook, load_rulebook
from screening.rulebook.conditions import suggest
from screening.rulebook.config import resolve_layers

__all__ = [
    "AuditAnswer",
    "Deal",
    "DealError",
    "DealRecord",
    "Document",
    "DocumentError",
    "DuplicateKeyError",
    "Problem",
    "Replay",
    "Rulebook",
    "RulebookError",
    "ScreeningError",
    "ScreeningResult",
    "Store",
    "StoreError",
    "UsageError",
    "Verdict",
    "__version__",
    "check_depth",
    "compiled",
    "default_url",
    "explain",
    "load_rulebook",
    "loads_json",
    "normalize",
    "normalize_url",
    "render_json",
    "replay",
    "replay_json",
    "resolve_layers",
    "screen",
    "stored_json",
    "suggest",
    "validate_deal",
]
