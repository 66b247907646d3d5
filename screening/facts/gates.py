"""Derivation meanings that a rulebook opts into by reading a fact (docs/audit.md, Replay).

A change to the derivation code must not change what an older rulebook concludes from a record
it screened: a recorded screening must replay exactly under its recorded rulebook. Where a new
meaning cannot go on a new fact name, the derivation applies it only when the rulebook being
screened reads the fact that marks it (a fact that only the rulebooks written for the new
meaning read): :func:`applies` asks, :func:`rulebook_reading` says which rulebook is screened.
Outside a screening (facts derived without a rulebook) every meaning applies: today's.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token

_READS: ContextVar[frozenset[str] | None] = ContextVar("rulebook_reads", default=None)


@contextmanager
def rulebook_reading(paths: Iterable[str] | None) -> Iterator[None]:
    """Derive for a rulebook that reads ``paths`` (``None``: today's meanings, all of them)."""
    token = reading(paths)
    try:
        yield
    finally:
        _READS.reset(token)


def reading(paths: Iterable[str] | None) -> Token[frozenset[str] | None]:
    """What :func:`rulebook_reading` does on entry, without a generator (the per-deal path):
    the caller resets the returned token with :func:`done_reading`."""
    return _READS.set(
        None if paths is None else paths if isinstance(paths, frozenset) else frozenset(paths)
    )


def done_reading(token: Token[frozenset[str] | None]) -> None:
    """Restore the rulebook read before :func:`reading`."""
    _READS.reset(token)


def applies(marker: str) -> bool:
    """Whether the meaning marked by the fact ``marker`` applies: the rulebook being screened
    reads it, or no rulebook is named."""
    paths = _READS.get()
    return paths is None or marker in paths


def needed(*paths: str) -> bool:
    """Whether facts whose derivations a result shows only when they are read (``SHOWN_WHEN_READ``
    in ``facts/view.py``) must be worked out: the rulebook being screened reads one of
    ``paths``, or no rulebook is named (issue 14: work no result shows is skipped)."""
    read = _READS.get()
    return read is None or any(p in read for p in paths)


# The markers, one per change of meaning, each a fact that only the rulebooks written for it read.

REVIEW_J = "outbound.later_knowledge"
"""Review J (part 850 and part 202): 850.221(b), (d)-(e) read from the target's owners;
850.224(m) lists unknown unless recorded; MNPTI access and a stipulated control conclusion
beyond 850.501(a)(2); 850.216 and 850.403 knowledge; a controlled foreign entity makes part 850
plausible without an outbound record; a foreign consortium member screened for part 202; part
202 bulk aggregated over the datasets (202.205), real estate an investment (202.228(a)) and a
stipulated control conclusion beyond the minority protections."""

ISSUE_12_REVIEW = "parties.entity_list_recipient"
"""Issue 12's review (items 5-8): a licence-required ECCN in `export_control` with no critical
technology recorded leaves target.critical_technology unknown (800.215(b)); know-how passed to
the investor without an `export_control` block has a foreign recipient by the investor's
country."""

REVIEW_K = "energy.pfe_years_reached"
"""Review K (clean-energy prohibited foreign entities, IRC 7701(a)(51)): an owner in the investor's
chains is a covered-nation person also by its principal place of business ((C)(iv)) and, for an
individual, by any nationality unless a U.S. one ((C)(iii)); SFE co-investors count as other SFE
holders of the claimant; SFE owners of a non-SFE investor own part of its stake in the claimant by
attribution ((H), 318(a)(2))."""

REVIEW_L = "energy.transfer_year_pfe"
"""Review L (clean-energy leftovers of review K, IRC 7701(a)(51)): attribution under 318(a)(2) up
every recorded level of the investor's chains, not one ((H); 318(a)(5)(A)), with the share SFEs
may own by attribution bounded (an owner of unknown status or stake leaves the aggregate test
unknown, not false) and a holder named on several paths counted once with the sum; an entity
owner whose principal place of business is not recorded is not settled as outside a covered
nation by its country of organization ((C)(iv)). Read by `energy.transfer.sfe_buyer`, whose
new fact marks it; applies only together with REVIEW_K."""
