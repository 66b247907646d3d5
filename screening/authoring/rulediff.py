"""Comparing two rulebooks: rules added, removed and changed, reference lists changed, and the
deals whose verdict changes. This is how a maintainer reviews a regulatory update before
shipping it.

Rules are compared by content, not by text: a rule is normalized (conditions without their
lines and spacing, explanation and notes with spacing collapsed, examples without locations), so
moving a rule to another file or re-wrapping it is no change, while changing a threshold, a
citation or an example is.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from screening.engine.run import screen
from screening.model.deal import DealRecord
from screening.model.reference import ReferenceList
from screening.rulebook.book import Rule, Rulebook
from screening.rulebook.conditions import All, AnyOf, Condition, FindingRef, Leaf

_FIELDS = (
    "kind",
    "regime",
    "title",
    "citation",
    "when",
    "explain",
    "outcome",
    "suppresses",
    "notes",
    "effective_from",
    "effective_to",
    "confidence",
    "examples",
    "action",
)


def _condition(cond: Condition) -> Any:
    if isinstance(cond, Leaf):
        return cond.text
    if isinstance(cond, FindingRef):
        return cond.text
    name = "all" if isinstance(cond, All) else "any"
    assert isinstance(cond, All | AnyOf)
    return {name: [_condition(c) for c in cond.children]}


def normalize(rule: Rule) -> dict[str, Any]:
    """A rule's content as plain data, without locations (JSON-ready, deterministic)."""
    return {
        "id": rule.id,
        "kind": rule.kind,
        "regime": rule.regime,
        "title": rule.title,
        "citation": rule.citation,
        "when": _condition(rule.when),
        "explain": rule.explain,
        "outcome": rule.outcome,
        "suppresses": list(rule.suppresses),
        "notes": rule.notes,
        "effective_from": rule.effective_from.isoformat() if rule.effective_from else None,
        "effective_to": rule.effective_to.isoformat() if rule.effective_to else None,
        "confidence": rule.confidence,
        "action": dataclasses.asdict(rule.action) if rule.action else None,
        "examples": [
            {
                "fires": e.fires,
                "name": e.name,
                "deal": json.loads(json.dumps(e.fragment, default=str)),
            }
            for e in rule.examples
        ],
    }


def _entries(ref: ReferenceList) -> dict[str, str]:
    return {
        e.value: json.dumps(
            [str(e.start or ""), str(e.end or ""), e.note, e.attributes],
            sort_keys=True,
            default=str,
        )
        for e in ref.entries
    }


@dataclass
class ReferenceChange:
    """A reference list present in both rulebooks whose entries differ."""

    name: str
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)


@dataclass
class DealChange:
    """A deal whose verdict (overall or in a regime) differs between the rulebooks."""

    deal: str
    old: str
    new: str
    regimes: dict[str, tuple[str, str]] = field(default_factory=dict)
    rules_added: list[str] = field(default_factory=list)
    rules_removed: list[str] = field(default_factory=list)


@dataclass
class RulebookDiff:
    """What changed from one rulebook to another."""

    old_version: str
    new_version: str
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)  # rule id -> changed fields
    references_added: list[str] = field(default_factory=list)
    references_removed: list[str] = field(default_factory=list)
    references_changed: list[ReferenceChange] = field(default_factory=list)
    deals: list[str] = field(default_factory=list)
    deal_changes: list[DealChange] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """No rule, reference list or verdict changed."""
        return not (
            self.added
            or self.removed
            or self.changed
            or self.references_added
            or self.references_removed
            or self.references_changed
            or self.deal_changes
        )

    def render_text(self) -> str:
        """A readable report, one change per line."""
        lines = [f"rulebook {self.old_version} → {self.new_version}"]
        lines += [f"+ rule {r}" for r in self.added]
        lines += [f"- rule {r}" for r in self.removed]
        lines += [f"~ rule {r}: {', '.join(fields)}" for r, fields in self.changed.items()]
        lines += [f"+ reference list {r}" for r in self.references_added]
        lines += [f"- reference list {r}" for r in self.references_removed]
        for ref in self.references_changed:
            parts = [f"+{v}" for v in ref.added] + [f"-{v}" for v in ref.removed]
            parts += [f"~{v}" for v in ref.changed]
            lines.append(f"~ reference list {ref.name}: {' '.join(parts)}")
        if self.deals:
            for c in self.deal_changes:
                detail = ", ".join(
                    f"{k} {a} → {b}" for k, a, b in ((k, *v) for k, v in c.regimes.items())
                )
                lines.append(f"! deal {c.deal}: {c.old} → {c.new} ({detail})")
                lines += [f"    + fires {r}" for r in c.rules_added]
                lines += [f"    - no longer fires {r}" for r in c.rules_removed]
            overall = sum(1 for c in self.deal_changes if c.old != c.new)
            line = f"{overall} of {len(self.deals)} deals change verdict"
            regime_only = len(self.deal_changes) - overall
            if regime_only:
                line += (
                    f"; {regime_only} more change a regime's verdict but not the overall verdict"
                )
            lines.append(line)
        if self.empty:
            lines.append("no changes")
        return "\n".join(lines) + "\n"

    def to_json(self) -> str:
        """The diff as a JSON document."""
        data = {
            "old_version": self.old_version,
            "new_version": self.new_version,
            "rules": {"added": self.added, "removed": self.removed, "changed": self.changed},
            "references": {
                "added": self.references_added,
                "removed": self.references_removed,
                "changed": [vars(r) for r in self.references_changed],
            },
            "deals": len(self.deals),
            "deal_changes": [
                {
                    "deal": c.deal,
                    "old": c.old,
                    "new": c.new,
                    "regimes": {k: list(v) for k, v in c.regimes.items()},
                    "rules_added": c.rules_added,
                    "rules_removed": c.rules_removed,
                }
                for c in self.deal_changes
            ],
        }
        return json.dumps(data, indent=2) + "\n"


def diff_rulebooks(
    old: Rulebook, new: Rulebook, deals: Iterable[tuple[str, DealRecord]] = ()
) -> RulebookDiff:
    """Compare two rulebooks, and (given deals) their verdicts on each deal."""
    out = RulebookDiff(old.version, new.version)
    out.added = sorted(set(new.rules) - set(old.rules))
    out.removed = sorted(set(old.rules) - set(new.rules))
    for rule_id in sorted(set(old.rules) & set(new.rules)):
        a, b = normalize(old.rules[rule_id]), normalize(new.rules[rule_id])
        fields = [f for f in _FIELDS if a[f] != b[f]]
        if fields:
            out.changed[rule_id] = fields
    old_refs, new_refs = old.references.lists, new.references.lists
    out.references_added = sorted(set(new_refs) - set(old_refs))
    out.references_removed = sorted(set(old_refs) - set(new_refs))
    for name in sorted(set(old_refs) & set(new_refs)):
        a_entries, b_entries = _entries(old_refs[name]), _entries(new_refs[name])
        change = ReferenceChange(
            name,
            added=sorted(set(b_entries) - set(a_entries)),
            removed=sorted(set(a_entries) - set(b_entries)),
            changed=sorted(
                v for v in set(a_entries) & set(b_entries) if a_entries[v] != b_entries[v]
            ),
        )
        if change.added or change.removed or change.changed:
            out.references_changed.append(change)
    for name, deal in deals:
        out.deals.append(name)
        before, after = screen(deal, rulebook=old), screen(deal, rulebook=new)
        regimes: dict[str, tuple[str, str]] = {
            k: (
                before.regimes[k].verdict if k in before.regimes else "clear",
                after.regimes[k].verdict if k in after.regimes else "clear",
            )
            for k in sorted(set(before.regimes) | set(after.regimes))
        }
        regimes = {k: v for k, v in regimes.items() if v[0] != v[1]}
        if before.verdict != after.verdict or regimes:
            fired_before = {h.rule_id for h in before.hits if not h.suppressed_by}
            fired_after = {h.rule_id for h in after.hits if not h.suppressed_by}
            out.deal_changes.append(
                DealChange(
                    name,
                    before.verdict,
                    after.verdict,
                    regimes,
                    sorted(fired_after - fired_before),
                    sorted(fired_before - fired_after),
                )
            )
    return out


def is_rulebook_dir(path: Path) -> bool:
    """A complete rulebook (it has ``regimes.yaml``), as opposed to a layer."""
    return (path / "regimes.yaml").is_file()
