"""Rule coverage over a set of deals: which rules fired, and which conditions were seen both ways.

Every deal is run through the three-valued evaluator (which evaluates every condition, with no
short cut). A rule is *exercised* when it fired (held) for at least one deal. A condition (a
leaf of a rule's ``when``) is *covered* when the deals made it hold at least once and fail at
least once; a condition only ever unknown, or seen one way only, is listed. Effective-date
guards are not conditions an author wrote and are left out.

    rules     = rules that fired / all rules
    conditions = conditions seen both held and failed / all conditions
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from screening.engine.evaluate import Outcome
from screening.engine.run import resolve_as_of, run_rules
from screening.facts.derive import derive
from screening.model.deal import DealRecord
from screening.model.loader import load_deal
from screening.rulebook.book import Rulebook
from screening.rulebook.conditions import FindingRef, Leaf


@dataclass
class ConditionCoverage:
    """One leaf condition of one rule and the statuses the deals gave it."""

    rule_id: str
    text: str
    location: str
    held: int = 0
    failed: int = 0
    unknown: int = 0

    @property
    def covered(self) -> bool:
        """Seen holding and seen failing."""
        return self.held > 0 and self.failed > 0


@dataclass
class RuleCoverage:
    """One rule: how many deals fired it, and its conditions."""

    rule_id: str
    kind: str
    location: str
    fired: int = 0
    deals: list[str] = field(default_factory=list)
    conditions: list[ConditionCoverage] = field(default_factory=list)


@dataclass
class CoverageReport:
    """Coverage of a rulebook over a set of deals."""

    version: str
    deals: list[str]
    rules: dict[str, RuleCoverage]

    @property
    def fired(self) -> list[str]:
        """Ids of rules that fired for at least one deal."""
        return [r for r, c in self.rules.items() if c.fired]

    @property
    def never_fired(self) -> list[str]:
        """Ids of rules no deal fired."""
        return [r for r, c in self.rules.items() if not c.fired]

    @property
    def conditions(self) -> list[ConditionCoverage]:
        """Every condition of every rule, in rule order."""
        return [c for r in self.rules.values() for c in r.conditions]

    @property
    def rules_pct(self) -> float:
        """Share of rules that fired, in percent (one decimal)."""
        return _pct(len(self.fired), len(self.rules))

    @property
    def conditions_pct(self) -> float:
        """Share of conditions seen both holding and failing, in percent (one decimal)."""
        conds = self.conditions
        return _pct(sum(c.covered for c in conds), len(conds))

    def summary(self) -> str:
        """The one-line summary."""
        conds = self.conditions
        return (
            f"rules fired: {len(self.fired)}/{len(self.rules)} ({self.rules_pct:.1f}%); "
            f"conditions seen held and failed: {sum(c.covered for c in conds)}/{len(conds)} "
            f"({self.conditions_pct:.1f}%); over {len(self.deals)} deals"
        )

    def render_text(self) -> str:
        """Rules never fired and conditions not seen both ways, by file:line; then the summary."""
        found: list[tuple[tuple[str, int], str]] = []
        for rule_id in self.never_fired:
            cov = self.rules[rule_id]
            found.append((_where(cov.location), f"{cov.location}: rule `{rule_id}` never fired"))
        for cond in self.conditions:
            if cond.covered:
                continue
            seen = "never held" if not cond.held else "never failed"
            if not cond.held and not cond.failed:
                seen = "always unknown"
            found.append(
                (_where(cond.location), f"{cond.location}: `{cond.text}` ({cond.rule_id}) {seen}")
            )
        lines = [text for _, text in sorted(found)]
        lines.append(self.summary())
        return "\n".join(lines) + "\n"

    def to_json(self) -> str:
        """The report as a JSON document."""
        conds = self.conditions
        data = {
            "version": self.version,
            "deals": self.deals,
            "summary": {
                "rules": len(self.rules),
                "rules_fired": len(self.fired),
                "rules_pct": self.rules_pct,
                "conditions": len(conds),
                "conditions_covered": sum(c.covered for c in conds),
                "conditions_pct": self.conditions_pct,
            },
            "rules": [
                {
                    "id": r.rule_id,
                    "kind": r.kind,
                    "location": r.location,
                    "fired": r.fired,
                    "deals": r.deals,
                    "conditions": [
                        {
                            "condition": c.text,
                            "location": c.location,
                            "held": c.held,
                            "failed": c.failed,
                            "unknown": c.unknown,
                            "covered": c.covered,
                        }
                        for c in r.conditions
                    ],
                }
                for r in self.rules.values()
            ],
        }
        return json.dumps(data, indent=2) + "\n"


def _where(location: str) -> tuple[str, int]:
    path, _, line = location.rpartition(":")
    return (path, int(line)) if line.isdigit() else (location, 0)


def _pct(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 100.0


def deal_paths(paths: Iterable[Path]) -> list[Path]:
    """Deal files named, or found (``*.yaml``, ``*.yml``, ``*.json``) under directories, sorted."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml", ".json")))
        else:
            out.append(path)
    return out


def _leaves(outcome: Outcome, index: tuple[int, ...] = ()) -> list[tuple[tuple[int, ...], Outcome]]:
    if isinstance(outcome.node, Leaf | FindingRef):
        return [(index, outcome)]
    out: list[tuple[tuple[int, ...], Outcome]] = []
    for i, child in enumerate(outcome.children):
        out.extend(_leaves(child, (*index, i)))
    return out


def measure(book: Rulebook, deals: Iterable[tuple[str, DealRecord]]) -> CoverageReport:
    """Coverage of a rulebook over named deal records."""
    rules = {rid: RuleCoverage(rid, rule.kind, rule.location) for rid, rule in book.rules.items()}
    conds: dict[tuple[str, tuple[int, ...]], ConditionCoverage] = {}
    names: list[str] = []
    for name, deal in deals:
        names.append(name)
        ev = run_rules(book, derive(deal, book.references, resolve_as_of(deal, None)))
        for rid, outcome in ev.outcomes.items():
            if ev.status[rid] is True:
                rules[rid].fired += 1
                rules[rid].deals.append(name)
            for index, leaf in _leaves(outcome):
                node = leaf.node
                if isinstance(node, Leaf) and node.synthetic:
                    continue
                assert isinstance(node, Leaf | FindingRef)
                key = (rid, index)
                cov = conds.get(key)
                if cov is None:
                    cov = conds[key] = ConditionCoverage(rid, node.text, node.location)
                    rules[rid].conditions.append(cov)
                if leaf.status is True:
                    cov.held += 1
                elif leaf.status is False:
                    cov.failed += 1
                else:
                    cov.unknown += 1
    return CoverageReport(book.version, names, rules)


def coverage(book: Rulebook, paths: Iterable[Path]) -> CoverageReport:
    """Coverage of a rulebook over the deal files at ``paths`` (files or directories)."""
    files = deal_paths(paths)
    return measure(book, ((str(p), load_deal(p)) for p in files))
