"""Every internal (non-public) name the HTTP server uses, imported in this one place.

The server is a door onto the library, like the CLI: it calls the public API where there is one
(``screening.screen``, ``load_rulebook``, ``Deal``, ``ScreeningResult``) and the audit, store,
loader and rule-rendering internals through this module only, so a move of those modules is a
change here and nowhere else in ``screening/server/``.
"""

from __future__ import annotations

from .._yaml import Document, DocumentError, _check_depth
from ..audit import AuditAnswer, Replay, explain, replay, replay_json, stored_json
from ..conditions import suggest
from ..config import resolve_layers
from ..engine import compiled
from ..errors import Problem
from ..explain import render_json
from ..loader import validate_deal
from ..rulediff import normalize
from ..store import Store, default_url, normalize_url

check_depth = _check_depth

__all__ = [
    "AuditAnswer",
    "Document",
    "DocumentError",
    "Problem",
    "Replay",
    "Store",
    "check_depth",
    "compiled",
    "default_url",
    "explain",
    "normalize",
    "normalize_url",
    "render_json",
    "replay",
    "replay_json",
    "resolve_layers",
    "stored_json",
    "suggest",
    "validate_deal",
]
