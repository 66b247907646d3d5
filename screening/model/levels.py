"""The verdict levels, lowest first, shared by the rulebook (rule outcomes) and the results.

``clear`` < ``covered`` < ``filing_advised`` < ``filing_required`` < ``prohibited``.
"""

from __future__ import annotations

from typing import Literal

Level = Literal["clear", "covered", "filing_advised", "filing_required", "prohibited"]
LEVELS: tuple[str, ...] = ("clear", "covered", "filing_advised", "filing_required", "prohibited")


def rank(level: str) -> int:
    """Position of a level in the order (clear = 0)."""
    return LEVELS.index(level)
