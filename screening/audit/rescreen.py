"""Re-screening recorded deals when the lists or the rulebook change.

``dealscreen audit rescreen`` takes the latest screening of every recorded deal and decides
whether today's rulebook could answer differently:

- ``lists_changed``: a restricted-list entry was added, changed or removed since the rulebook the
  deal was recorded under, and one of the deal's party names (the investor, co-investors, the
  target, and every owner in their chains) matches or possibly matches that entry;
- ``rulebook_changed``: the deal was recorded under another rulebook version at all.

The deals so selected are screened again (on their recorded as-of date), each new screening is
recorded in the hash chain, and every verdict change is reported. Nothing reads the clock.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from screening.audit.store import Store, StoredScreening
from screening.engine.run import screen
from screening.engine.verdict import Result
from screening.facts.parties import LISTS, REFERENCE_PREFIX, screen_name
from screening.model.deal import DealRecord
from screening.model.reference import Entry, ReferenceList, References
from screening.rulebook.book import Rulebook

PARTY_BLOCKS = ("investor", "co_investors", "target")


class Rescreened(Result):
    """One recorded deal screened again, and why."""

    deal_id: str
    screening_id: int  # the screening it replaces as the latest
    new_screening_id: int | None = None  # None on a dry run
    reason: str
    verdict_before: str
    verdict_after: str

    @property
    def changed(self) -> bool:
        """Whether the overall verdict changed."""
        return self.verdict_before != self.verdict_after


def party_names(deal: DealRecord) -> list[str]:
    """Every party name of a deal: the parties and each owner at every level of their chains."""
    names: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            name = node.get("name")
            if isinstance(name, str) and name:
                names.add(name)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    data = deal.model_dump(mode="json")
    for block in PARTY_BLOCKS:
        walk(data.get(block))
    return sorted(names)


def changed_entries(old: References, new: References) -> References:
    """The restricted-list entries added, changed or removed between two rulebooks, per list."""
    out: dict[str, ReferenceList] = {}
    for list_id in sorted(LISTS):
        name = REFERENCE_PREFIX + list_id
        before_ref, after_ref = old.get(name), new.get(name)
        before = {e.value: e for e in (before_ref.entries if before_ref else ())}
        after = {e.value: e for e in (after_ref.entries if after_ref else ())}
        changed = [
            _undated(after.get(k) or before[k])
            for k in sorted(set(before) | set(after))
            if _key(before.get(k)) != _key(after.get(k))
        ]
        if changed:
            out[name] = ReferenceList(name, "changed entries", "", None, None, tuple(changed))
    return References(out)


def _key(entry: Entry | None) -> str:
    if entry is None:
        return ""
    data = [entry.value, str(entry.start), str(entry.end), entry.attributes]
    return json.dumps(data, sort_keys=True, default=str)


def _undated(entry: Entry) -> Entry:
    """The entry without its dates: a change matters whether or not it is in force yet."""
    return Entry(entry.value, None, None, entry.note, entry.attributes)


def _latest(store: Store) -> Iterator[StoredScreening]:
    seen: set[str] = set()
    for summary in store.summaries():
        if summary.deal_id not in seen:
            seen.add(summary.deal_id)
            yield store.get(summary.id)


def select(
    store: Store, rulebook: Rulebook, *, lists_changed: bool, rulebook_changed: bool
) -> list[tuple[StoredScreening, str]]:
    """The latest screenings to re-screen, each with the reason, oldest deal id first."""
    changes: dict[str, References] = {}
    picked = []
    for stored in _latest(store):
        version = stored.result.rulebook_version
        if version == rulebook.version:
            continue
        if rulebook_changed:
            picked.append((stored, f"recorded under rulebook {version[:12]}"))
            continue
        if not lists_changed:
            continue
        if version not in changes:
            old = store.rulebook(version).references
            changes[version] = changed_entries(old, rulebook.references)
        reason = _list_reason(stored, changes[version])
        if reason:
            picked.append((stored, reason))
    return sorted(picked, key=lambda p: (p[0].result.deal_id, p[0].id))


def _list_reason(stored: StoredScreening, changed: References) -> str:
    if not changed.lists:
        return ""
    for name in party_names(stored.deal):
        s = screen_name(name, changed, stored.as_of)
        for m in (*s.matches, *s.possible):
            how = "matches" if m.is_match else f"possibly matches (score {m.score})"
            return f"party `{name}` {how} changed {LISTS[m.list_id]} entry `{m.entry}`"
    return ""


def rescreen(
    store: Store,
    rulebook: Rulebook,
    *,
    lists_changed: bool = False,
    rulebook_changed: bool = False,
    dry_run: bool = False,
) -> list[Rescreened]:
    """Re-screen (and, unless ``dry_run``, record) the deals a change can affect."""
    out = []
    for stored, reason in select(
        store, rulebook, lists_changed=lists_changed, rulebook_changed=rulebook_changed
    ):
        result = screen(stored.deal, rulebook=rulebook, as_of=stored.as_of)
        new_id = None if dry_run else store.record(result, stored.deal, rulebook=rulebook)
        out.append(
            Rescreened(
                deal_id=result.deal_id,
                screening_id=stored.id,
                new_screening_id=new_id,
                reason=reason,
                verdict_before=stored.result.verdict,
                verdict_after=result.verdict,
            )
        )
    return out


def render(items: Iterable[Rescreened]) -> str:
    """One line per deal re-screened, verdict changes first marked with ``!``."""
    lines = []
    items = list(items)
    for r in items:
        mark = "!" if r.changed else " "
        new = f" → screening {r.new_screening_id}" if r.new_screening_id else " (dry run)"
        lines.append(
            f"{mark} {r.deal_id}: {r.verdict_before} → {r.verdict_after}"
            f" (screening {r.screening_id}{new}): {r.reason}"
        )
    changed = sum(r.changed for r in items)
    lines.append(f"re-screened {len(items)} deal(s); {changed} verdict change(s)")
    return "\n".join(lines) + "\n"
