"""What changes between two screenings of a deal: before and after a change to its terms.

Per regime the verdict and ceiling before and after (lowered, raised or unchanged); the outcome
rules and exemptions that stopped or started applying, each with its citation and why, in the
rule's own words (the explanation of the hit it was, the conditions that now fail with the
values the changed deal has); the open questions that appeared or went away.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from screening.engine.evaluate import Outcome, render_leaf
from screening.engine.run import Evaluation, suppressions
from screening.engine.verdict import Result, ScreeningResult, rank
from screening.mitigation.changes import Change
from screening.model.levels import Level
from screening.rulebook.conditions import All, AnyOf, FindingRef, Leaf

Direction = Literal["lowered", "raised", "unchanged"]


class RegimeDelta(Result):
    """One regime before and after."""

    regime: str
    title: str
    before: str
    after: str
    ceiling_before: str
    ceiling_after: str
    direction: Direction = Field(description="how the verdict (or, if equal, the ceiling) moved")


class RuleDelta(Result):
    """An outcome rule or exemption that stopped or started applying."""

    rule_id: str
    regime: str
    kind: str
    outcome: Level | None = None
    title: str
    citation: str
    change: Literal["stopped", "started", "exempted", "no longer exempted"]
    explanation: str = Field(description="the hit's explanation (before if stopped, else after)")
    because: list[str] = Field(
        default_factory=list, description="for a rule that stopped: the conditions now failing"
    )


class WhatIfDiff(Result):
    """The difference a set of changes makes to a deal's screening."""

    changes: list[Change]
    verdict_before: str
    verdict_after: str
    ceiling_before: str
    ceiling_after: str
    regimes: list[RegimeDelta]
    rules: list[RuleDelta] = Field(default_factory=list)
    questions_gained: list[str] = Field(default_factory=list)
    questions_lost: list[str] = Field(default_factory=list)

    @property
    def lowered(self) -> list[str]:
        """Regimes whose verdict or ceiling went down."""
        return [r.regime for r in self.regimes if r.direction == "lowered"]

    @property
    def raised(self) -> list[str]:
        """Regimes whose verdict or ceiling went up."""
        return [r.regime for r in self.regimes if r.direction == "raised"]


def regime_ceiling(result: ScreeningResult, regime: str) -> str:
    """The highest level a regime could reach once its unknown facts are known."""
    regime_result = result.regimes[regime]
    recorded = getattr(regime_result, "ceiling", None)
    if isinstance(recorded, str):
        return recorded  # results that carry their ceiling (the floor invariant)
    levels = [
        regime_result.verdict,
        *(q.outcome for q in result.open_questions if q.regime == regime),
    ]
    return max(levels, key=rank)


def overall_ceiling(result: ScreeningResult) -> str:
    """The highest ceiling over every regime."""
    return max((regime_ceiling(result, r) for r in result.regimes), key=rank, default="clear")


def _direction(before: tuple[str, str], after: tuple[str, str]) -> Direction:
    b, a = (rank(before[0]), rank(before[1])), (rank(after[0]), rank(after[1]))
    if a == b:
        return "unchanged"
    return "lowered" if a < b else "raised"


def diff_results(
    before: ScreeningResult,
    after: ScreeningResult,
    changes: list[Change],
    ev_before: Evaluation,
    ev_after: Evaluation,
) -> WhatIfDiff:
    """Compare two screenings of one deal; the evaluations explain why rules stopped."""
    regimes = []
    for regime_id in sorted(set(before.regimes) | set(after.regimes)):
        b, a = before.regimes.get(regime_id), after.regimes.get(regime_id)
        if b is None or a is None:
            continue
        cb, ca = regime_ceiling(before, regime_id), regime_ceiling(after, regime_id)
        regimes.append(
            RegimeDelta(
                regime=regime_id,
                title=b.title,
                before=b.verdict,
                after=a.verdict,
                ceiling_before=cb,
                ceiling_after=ca,
                direction=_direction((b.verdict, cb), (a.verdict, ca)),
            )
        )
    hits_before = {h.rule_id: h for h in before.hits if h.kind != "finding"}
    hits_after = {h.rule_id: h for h in after.hits if h.kind != "finding"}
    book = ev_after.book
    rules: list[RuleDelta] = []
    for rule_id in sorted(set(hits_before) | set(hits_after)):
        hb, ha = hits_before.get(rule_id), hits_after.get(rule_id)
        hit = hb or ha
        assert hit is not None
        if hb is not None and ha is not None:
            if bool(hb.suppressed_by) == bool(ha.suppressed_by):
                continue
            change: Literal["stopped", "started", "exempted", "no longer exempted"] = (
                "exempted" if ha.suppressed_by else "no longer exempted"
            )
            because = (
                [f"exempted by `{r}` ({book.rules[r].citation})" for r in ha.suppressed_by]
                if ha.suppressed_by
                else []
            )
            rules.append(_delta(hit, change, ha.explanation, because))
        elif hb is not None:
            rules.append(
                _delta(hb, "stopped", hb.explanation, why_stopped(ev_before, ev_after, rule_id))
            )
        elif ha is not None:
            rules.append(_delta(ha, "started", ha.explanation, []))
    q_before = {q.rule_id: q for q in before.open_questions}
    q_after = {q.rule_id: q for q in after.open_questions}
    return WhatIfDiff(
        changes=changes,
        verdict_before=before.verdict,
        verdict_after=after.verdict,
        ceiling_before=overall_ceiling(before),
        ceiling_after=overall_ceiling(after),
        regimes=regimes,
        rules=rules,
        questions_gained=[q_after[r].question for r in sorted(set(q_after) - set(q_before))],
        questions_lost=[q_before[r].question for r in sorted(set(q_before) - set(q_after))],
    )


def _delta(
    hit: object,
    change: Literal["stopped", "started", "exempted", "no longer exempted"],
    explanation: str,
    because: list[str],
) -> RuleDelta:
    from screening.engine.verdict import Hit

    assert isinstance(hit, Hit)
    return RuleDelta(
        rule_id=hit.rule_id,
        regime=hit.regime,
        kind=hit.kind,
        outcome=hit.outcome,
        title=hit.title,
        citation=hit.citation,
        change=change,
        explanation=explanation,
        because=because,
    )


def why_stopped(ev_before: Evaluation, ev_after: Evaluation, rule_id: str) -> list[str]:
    """The conditions of a rule that now fail and held before, through findings, as text."""
    return _failing(ev_before, ev_after, rule_id, 0, set())


def _decisive_failures(outcome: Outcome) -> list[Outcome]:
    """Leaves whose failure makes a failed (or unknown) node fail."""
    node = outcome.node
    if isinstance(node, Leaf | FindingRef):
        return [] if outcome.status is True else [outcome]
    out: list[Outcome] = []
    for child in outcome.children:
        if isinstance(node, All) and child.status is True:
            continue
        if isinstance(node, AnyOf) or child.status is not True:
            out.extend(_decisive_failures(child))
    return out


def _failing(
    ev_before: Evaluation, ev_after: Evaluation, rule_id: str, depth: int, seen: set[str]
) -> list[str]:
    seen.add(rule_id)
    book = ev_after.book
    after = ev_after.outcomes[rule_id]
    if after.status is True:
        by = suppressions(ev_after).get(rule_id, [])
        return [f"exempted by `{r}` ({book.rules[r].citation})" for r in by]
    pad = "  " * depth
    out: list[str] = []
    as_of = ev_after.view.deal.as_of
    for leaf in _decisive_failures(after):
        node = leaf.node
        if isinstance(node, Leaf):
            if node.synthetic:
                out.append(f"{pad}the rule is not in force on {as_of}")
                continue
            if ev_before.scope.value(node.path) == leaf.value:
                continue  # failed before too: not what the change did
            out.append(f"{pad}{render_leaf(node, leaf.value, leaf.status, book.references, as_of)}")
        elif isinstance(node, FindingRef):
            if node.rule_id in seen:
                continue
            if ev_before.status.get(node.rule_id) == ev_after.status.get(node.rule_id):
                continue
            target = book.rules[node.rule_id]
            state = {True: "holds", False: "no longer holds", None: "is now unknown"}[
                ev_after.status.get(node.rule_id)
            ]
            out.append(f"{pad}finding `{target.id}` ({target.title}, {target.citation}) {state}")
            if not node.negated and depth < 3 and ev_after.status.get(node.rule_id) is not True:
                out.extend(_failing(ev_before, ev_after, node.rule_id, depth + 1, seen))
            else:
                seen.add(node.rule_id)
    return out


def render_diff(d: WhatIfDiff) -> str:
    """The difference in text: changes, verdicts per regime, rules, questions."""
    lines = ["changes:"]
    lines.extend(f"  {c.option}" for c in d.changes)
    arrow = "unchanged" if d.verdict_before == d.verdict_after else f"→ {d.verdict_after}"
    lines.append(f"verdict  {d.verdict_before} {arrow}")
    if d.ceiling_before != d.ceiling_after:
        lines.append(f"ceiling  {d.ceiling_before} → {d.ceiling_after}")
    for r in d.regimes:
        if r.direction == "unchanged":
            continue
        ceiling = (
            f" (could reach {r.ceiling_before} → {r.ceiling_after})"
            if (r.ceiling_before, r.ceiling_after) != (r.before, r.after)
            else ""
        )
        mark = "LOWERED" if r.direction == "lowered" else "RAISED"
        lines.append(f"  {r.regime}: {r.before} → {r.after}{ceiling}  {mark}")
    for rule in d.rules:
        level = rule.outcome or rule.kind
        lines.append(f"{rule.change}: {rule.rule_id} ({level}, {rule.citation})")
        lines.append(f"    {rule.title}")
        lines.extend(
            f"    because {b.strip()}" if not b.startswith("  ") else f"      {b.strip()}"
            for b in rule.because
        )
    for title, items in (
        ("open questions gained", d.questions_gained),
        ("open questions gone", d.questions_lost),
    ):
        if items:
            lines.append(f"{title}:")
            lines.extend(f"  - {q}" for q in items)
    return "\n".join(lines) + "\n"


__all__ = [
    "RegimeDelta",
    "RuleDelta",
    "WhatIfDiff",
    "diff_results",
    "overall_ceiling",
    "regime_ceiling",
    "render_diff",
    "why_stopped",
]
