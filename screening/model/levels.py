"""The verdict levels, lowest first, shared by the rulebook (rule outcomes) and the results.

``clear`` < ``covered`` < ``filing_advised`` < ``filing_required`` < ``prohibited``.

A regime with no outcome rule in force on the screening date has no level at all: its verdict
(and ceiling) is ``not_in_force``, shown as such instead of ``clear``. In the order of verdicts it
stands below ``clear``: it contributes nothing to the overall verdict while any regime is in
force, and the overall verdict is ``not_in_force`` only when no regime is. It is not a level a
rule can reach, and ``--fail-on`` never triggers on it.
"""

from __future__ import annotations

from typing import Literal

Level = Literal["clear", "covered", "filing_advised", "filing_required", "prohibited"]
LEVELS: tuple[str, ...] = ("clear", "covered", "filing_advised", "filing_required", "prohibited")

NOT_IN_FORCE = "not_in_force"
Verdict = Literal[
    "not_in_force", "clear", "covered", "filing_advised", "filing_required", "prohibited"
]
VERDICTS: tuple[str, ...] = (
    NOT_IN_FORCE,
    "clear",
    "covered",
    "filing_advised",
    "filing_required",
    "prohibited",
)
_RANK = {level: i for i, level in enumerate(VERDICTS)}


def rank(level: str) -> int:
    """Position of a verdict in the order (not_in_force = 0, clear = 1, covered = 2, …)."""
    return _RANK[level]
