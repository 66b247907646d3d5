"""Why did a rule fire, and why did another not? Proof trees and why-not answers.

Both work from a rulebook and a deal alone (the audit store passes the recorded rulebook
snapshot and the recorded deal), through the three-valued evaluator: every condition is shown
with the value the deal had and whether it held; every finding a rule reads is explained in
turn; an exemption that suppressed the rule, an effective date outside the screening date, and a
rule missing from the rulebook are each said plainly.
"""

from __future__ import annotations

import datetime as dt
import textwrap

from pydantic import Field

from screening.engine import consortium
from screening.engine.evaluate import flatten
from screening.engine.explain import condition_lines
from screening.engine.run import (
    Evaluation,
    _conditions,
    derive_for,
    read_paths,
    render_template,
    resolve_as_of,
    run_rules,
    suppressions,
)
from screening.engine.verdict import ConditionResult, Result
from screening.facts.gates import rulebook_reading
from screening.model.deal import DealRecord
from screening.rulebook.book import Rulebook
from screening.rulebook.conditions import FindingRef

Status = (
    str  # "fired" | "suppressed" | "did not fire" | "unknown" | "not in force" | "no such rule"
)


class Explanation(Result):
    """The proof (or refutation) of one rule for one deal."""

    rule_id: str
    status: Status
    summary: str
    title: str = ""
    citation: str = ""
    source: str = ""
    explanation: str = ""
    conditions: list[ConditionResult] = Field(default_factory=list)
    findings: list[Explanation] = Field(default_factory=list)
    suppressed_by: list[str] = Field(default_factory=list)


class MemberExplanation(Result):
    """One rule for one consortium member, on the member's own record (engine/consortium.py)."""

    position: int = Field(description="the member's index in the record's `co_investors`")
    name: str
    acquires: bool | None = Field(
        description="whether it acquires in the deal: true, or null = not recorded (its "
        "screening counts for the ceiling only)"
    )
    binds: bool = Field(
        description="whether the rule's regime binds this member as a person (CFIUS always; "
        "parts 850 and 202 unless it is known not to be a U.S. person; other regimes describe "
        "the investor's own relation to the target and are never a member's)"
    )
    explanation: Explanation


def explain_members(
    book: Rulebook, deal: DealRecord, rule_id: str, *, as_of: dt.date | None = None
) -> list[MemberExplanation]:
    """For a consortium deal, the rule for each member acquiring (or that may acquire) in the
    deal, each screened as the investor of its own record, as ``screen`` screens it; [] for a
    deal with no member or a rule the rulebook lacks."""
    if rule_id not in book.rules or not consortium.is_consortium(deal):
        return []
    date = resolve_as_of(deal, as_of)
    regime = book.rules[rule_id].regime
    out: list[MemberExplanation] = []
    with rulebook_reading(read_paths(book)):  # the meanings this rulebook reads
        for i, co in enumerate(deal.co_investors):
            takes = consortium.acquires(co)
            if takes is False:
                continue
            record = consortium.member_record(deal, i)
            out.append(
                MemberExplanation(
                    position=i,
                    name=co.party.name,
                    acquires=takes,
                    binds=regime in consortium.member_regimes(co.party),
                    explanation=explain_rule(book, record, rule_id, as_of=date),
                )
            )
    return out


def _evaluation(book: Rulebook, deal: DealRecord, as_of: dt.date | None) -> Evaluation:
    date = resolve_as_of(deal, as_of)
    return run_rules(book, derive_for(book, deal, date))


def explain_rule(
    book: Rulebook, deal: DealRecord, rule_id: str, *, as_of: dt.date | None = None
) -> Explanation:
    """Explain one rule for one deal: why it fired, or why it did not."""
    if rule_id not in book.rules:
        return Explanation(
            rule_id=rule_id,
            status="no such rule",
            summary=f"rule `{rule_id}` does not exist in rulebook {book.version}",
        )
    ev = _evaluation(book, deal, as_of)
    return _explain(ev, rule_id, suppressions(ev), frozenset())


def _explain(
    ev: Evaluation, rule_id: str, suppressed: dict[str, list[str]], seen: frozenset[str]
) -> Explanation:
    rule = ev.book.rules[rule_id]
    outcome = ev.outcomes[rule_id]
    status_value = outcome.status
    as_of = ev.view.deal.as_of
    by = suppressed.get(rule_id, [])
    if not rule.in_force(as_of):
        window = f"from {rule.effective_from or 'the start'} to {rule.effective_to or 'now'}"
        status, summary = "not in force", f"the rule is in force {window}, not on {as_of}"
    elif status_value is True and by:
        status, summary = "suppressed", "would apply, but exempted by " + ", ".join(by)
    elif status_value is True:
        status, summary = "fired", "every condition held"
    elif status_value is False:
        status, summary = "did not fire", "a condition failed (marked ✗ below)"
    else:
        status, summary = "unknown", "no condition failed, but some facts are unknown (marked ?)"
    conditions = _conditions(ev, outcome, only_held=False)
    findings: list[Explanation] = []
    for leaf in flatten(outcome):
        node = leaf.node
        if not isinstance(node, FindingRef) or node.rule_id in seen:
            continue
        interesting = leaf.status is True if status == "fired" else leaf.status is not True
        if interesting or status == "suppressed":
            findings.append(_explain(ev, node.rule_id, suppressed, seen | {rule_id}))
    return Explanation(
        rule_id=rule.id,
        status=status,
        summary=summary,
        title=rule.title,
        citation=rule.citation,
        source=rule.location,
        explanation=render_template(rule.explain, ev.view) if status_value else "",
        conditions=conditions,
        findings=sorted(findings, key=lambda f: f.rule_id),
        suppressed_by=by,
    )


def render_explanation(exp: Explanation, indent: int = 0) -> str:
    """The explanation as an indented text tree."""
    pad = " " * indent
    lines = [f"{pad}{exp.rule_id}: {exp.status} — {exp.summary}"]
    if exp.title:
        lines.append(f"{pad}  {exp.title} ({exp.citation}) at {exp.source}")
    if exp.explanation:
        lines.extend(
            textwrap.wrap(
                exp.explanation, 100, initial_indent=pad + "  ", subsequent_indent=pad + "  "
            )
        )
    lines.extend(pad + line for line in condition_lines(exp.conditions, 2, marks=True))
    for f in exp.findings:
        lines.append(render_explanation(f, indent + 4).rstrip("\n"))
    return "\n".join(lines) + "\n"
