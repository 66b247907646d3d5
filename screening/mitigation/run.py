"""``whatif(deal, changes)``: screen a deal and the deal changed, and say what differs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from screening.engine.run import Evaluation, evaluate_rules, resolve_as_of, screen
from screening.engine.verdict import Result, ScreeningResult
from screening.facts.derive import derive
from screening.mitigation.changes import Change, apply_changes, check_path, parse_change
from screening.mitigation.diff import WhatIfDiff, diff_results, render_diff
from screening.model.deal import Deal, DealRecord
from screening.rulebook.book import Rulebook, load_rulebook

Changes = Sequence[Change | str] | Mapping[str, Any]


class WhatIf(Result):
    """A deal screened as it is and as changed, and the difference."""

    before: ScreeningResult
    after: ScreeningResult
    diff: WhatIfDiff


def as_changes(changes: Changes) -> list[Change]:
    """Changes given as :class:`Change` objects, ``"path=value"`` strings or a mapping."""
    if isinstance(changes, Mapping):
        out = [Change(path=str(p), value=v) for p, v in changes.items()]
        for change in out:
            check_path(change, change.option)
        return out
    return [c if isinstance(c, Change) else parse_change(c) for c in changes]


def evaluation(book: Rulebook, deal: DealRecord, as_of: dt.date | None) -> Evaluation:
    """The evaluator's statuses for a deal (what explanations of a difference read)."""
    return evaluate_rules(book, derive(deal, book.references, resolve_as_of(deal, as_of)))


def whatif(
    deal: DealRecord | Deal,
    changes: Changes,
    *,
    rulebook: Rulebook | None = None,
    as_of: dt.date | None = None,
) -> WhatIf:
    """Screen ``deal`` and ``deal`` with ``changes`` applied; both results and the difference.

    Changes are checked like a record (an unknown path or a value the field does not take is a
    :class:`~screening.errors.UsageError` naming the change). The screening date is the same for
    both: ``as_of``, else the original deal's completion or signing date.
    """
    record = deal.root if isinstance(deal, Deal) else deal
    book = rulebook or load_rulebook()
    date = resolve_as_of(record, as_of)
    parsed = as_changes(changes)
    changed = apply_changes(record, parsed)
    before = screen(record, rulebook=book, as_of=date)
    after = screen(changed, rulebook=book, as_of=date)
    diff = diff_results(
        before, after, parsed, evaluation(book, record, date), evaluation(book, changed, date)
    )
    return WhatIf(before=before, after=after, diff=diff)


def render_whatif(result: WhatIf) -> str:
    """The what-if in text."""
    b = result.before
    head = f"what if: {b.deal_id} ({b.deal_name}), as of {b.as_of}\n"
    return head + render_diff(result.diff) + f"\n{result.before.disclaimer}\n"


__all__ = ["WhatIf", "as_changes", "render_whatif", "whatif"]
