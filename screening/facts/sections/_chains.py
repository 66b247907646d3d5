"""Ownership-chain arithmetic shared by the `data`, `energy` and `app` sections.

Two ways of counting an owner's holding through intermediate entities:

- *in full* (28 CFR 202.211 "50% rule", IRC 7701(a)(51) foreign-controlled entities): an
  intermediate entity that is itself caught counts with its whole holding; one that is not caught
  counts for nothing;
- *multiplied through* (PAFACA's "directly or indirectly" 20% stake): each level's share is
  multiplied by the next.

Unknowns are carried as bounds: a (low, high) pair of the share that is certainly / possibly held
by the persons tested, so an unknown small holder does not hide a known large one.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from screening.facts.sections.base import HUNDRED, Tri
from screening.model.deal import Owner, PartyKind
from screening.model.numbers import Num, larger, pct_bounds, render

ZERO = Decimal(0)
Bounds = tuple[Decimal, Decimal]
DirectTest = Callable[[Owner], Tri]


def holding(voting: Num | None, equity: Num | None) -> Num | None:
    """The larger of a voting and an equity interest (either may be unknown or a range)."""
    return larger(voting, equity)


def _owner_bounds(owner: Owner) -> tuple[Decimal, Decimal]:
    """Bounds of an owner's holding: 0 to 100 when unknown."""
    pct = holding(owner.voting_pct, owner.equity_pct)
    return (ZERO, HUNDRED) if pct is None else pct_bounds(pct)


def unlisted_max(owners: list[Owner], complete: bool) -> Decimal:
    """What holders left off an incomplete owners list can hold (0 for a complete list)."""
    if complete:
        return ZERO
    return max(ZERO, HUNDRED - sum((_owner_bounds(o)[0] for o in owners), ZERO))


def full_count_share(
    owners: list[Owner] | None,
    direct: DirectTest,
    threshold: Decimal,
    strict: bool,
    complete: bool = True,
) -> Bounds:
    """Share held by caught persons, intermediate caught entities counted in full.

    Holders left off an incomplete list may be caught: what they can hold adds to the high bound.
    """
    if owners is None:
        return ZERO, HUNDRED
    low, high = ZERO, unlisted_max(owners, complete)
    for owner in owners:
        caught = caught_entity(owner, direct, threshold, strict)
        lo_pct, hi_pct = _owner_bounds(owner)
        if caught is True:
            low += lo_pct
            high += hi_pct
        elif caught is None:
            high += hi_pct
    return min(low, HUNDRED), min(high, HUNDRED)


def caught_entity(owner: Owner, direct: DirectTest, threshold: Decimal, strict: bool) -> Tri:
    """Whether an owner is caught directly or through the share its own owners hold."""
    first = direct(owner)
    if first is True or owner.kind in (PartyKind.individual, PartyKind.government):
        return first
    low, high = full_count_share(owner.owners, direct, threshold, strict, owner.owners_complete)
    return (
        meets((low, high), threshold, strict)
        if first is False
        else (True if meets((low, high), threshold, strict) else None)
    )


def meets(bounds: Bounds, threshold: Decimal, strict: bool) -> Tri:
    """Whether a share known only within bounds meets a threshold (``>`` if strict, else ``>=``)."""
    low, high = bounds

    def ok(x: Decimal) -> bool:
        return x > threshold if strict else x >= threshold

    if ok(low):
        return True
    if not ok(high):
        return False
    return None


def multiplied_share(
    owners: list[Owner] | None, direct: DirectTest, complete: bool = True
) -> Bounds:
    """Share held directly or indirectly by caught persons, multiplied through each level."""
    if owners is None:
        return ZERO, HUNDRED
    low, high = ZERO, unlisted_max(owners, complete)
    for owner in owners:
        lo_pct, hi_pct = _owner_bounds(owner)
        first = direct(owner)
        if first is True:
            low += lo_pct
            high += hi_pct
            continue
        if owner.kind in (PartyKind.individual, PartyKind.government):
            if first is None:
                high += hi_pct
            continue
        up_lo, up_hi = multiplied_share(owner.owners, direct, owner.owners_complete)
        if first is None:
            up_hi = HUNDRED
        low += lo_pct * up_lo / HUNDRED
        high += hi_pct * up_hi / HUNDRED
    return min(low, HUNDRED), min(high, HUNDRED)


def fmt(p: Num) -> str:
    """A percentage (or range) without trailing zeros."""
    return render(p).replace(" to ", "–")
