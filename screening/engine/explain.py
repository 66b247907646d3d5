"""Rendering screening results for people (text, 100 columns) and tools (JSON).

Renderers return strings; they never print.
"""

from __future__ import annotations

import json
import textwrap
from typing import Any

from screening.engine.verdict import Because, Hit, OpenQuestion, ScreeningResult

WIDTH = 100
_MARK = {
    "prohibited": "■",
    "filing_required": "●",
    "filing_advised": "◐",
    "covered": "○",
}


def _wrap(text: str, indent: int) -> list[str]:
    pad = " " * indent
    return textwrap.wrap(text, WIDTH, initial_indent=pad, subsequent_indent=pad) or [pad]


def _tree(items: list[Because], indent: int) -> list[str]:
    lines: list[str] = []
    for b in items:
        text = f"└ {b.rule_id}: {b.title} ({b.citation})"
        pad = " " * indent
        lines.extend(
            textwrap.wrap(text, WIDTH, initial_indent=pad, subsequent_indent=pad + "  ") or [pad]
        )
        lines.extend(_tree(b.because, indent + 2))
    return lines


def _hit_lines(hit: Hit) -> list[str]:
    level = hit.outcome or hit.kind
    mark = _MARK.get(hit.outcome or "", "·")
    lines = _wrap(f"{mark} {level}  {hit.rule_id}: {hit.title}", 2)
    lines.extend(_wrap(f"{hit.citation} · {hit.source}", 4))
    if hit.suppressed_by:
        lines.extend(_wrap("would apply, but exempted by " + ", ".join(hit.suppressed_by), 4))
    lines.extend(_wrap(hit.explanation, 4))
    held = [c for c in hit.conditions if c.path]
    if held:
        lines.append("    conditions that held:")
        for c in held:
            lines.extend(_wrap(f"✓ {c.text}", 6))
    if hit.because:
        lines.append("    findings it stood on:")
        lines.extend(_tree(hit.because, 6))
    if hit.confidence != "reg":
        lines.extend(_wrap(f"confidence: {hit.confidence} (see the rule's notes)", 4))
    return lines


_MISSING_BLOCK = "once recorded, it may show: "


def _question_lines(questions: list[OpenQuestion]) -> list[str]:
    """Open questions; those waiting on the same missing record block are asked once."""
    lines: list[str] = []
    grouped: dict[str, list[str]] = {}
    for q in questions:
        head, sep, tail = q.question.partition(_MISSING_BLOCK)
        if sep:
            grouped.setdefault(head + sep.rstrip(": "), []).append(tail)
        else:
            lines.extend(_wrap(f"? {q.question}", 4))
    for head, outcomes in grouped.items():
        if len(outcomes) == 1:
            lines.extend(_wrap(f"? {head}: {outcomes[0]}", 4))
            continue
        lines.extend(_wrap(f"? {head} any of these {len(outcomes)}:", 4))
        for outcome in outcomes:
            lines.extend(_wrap(f"- {outcome}", 6))
    return lines


def consortium_lines(result: ScreeningResult) -> list[str]:
    """Each consortium member's own CFIUS filing duty (empty for a single investor)."""
    c = result.consortium
    if c is None:
        return []
    lines = [
        "",
        f"CONSORTIUM  {len(c.members)} foreign investors, each screened on its own (CFIUS)",
    ]
    for m in c.members:
        where = "investor" if m.position is None else f"co_investors[{m.position}]"
        stake = f", {m.voting_pct}% of the votes" if isinstance(m.voting_pct, str) else ""
        concert = {True: "; acts in concert with the investor", False: "", None: ""}[
            m.acts_in_concert
        ]
        mark = _MARK.get(m.verdict, "·")
        lines.extend(_wrap(f"{mark} {m.name} ({where}, {m.country or '?'}{stake}{concert})", 2))
        lines.extend(_wrap(f"{m.verdict}: {m.duty}", 4))
        if m.rules:
            lines.extend(_wrap("rules: " + ", ".join(m.rules), 4))
        if m.open_questions:
            lines.extend(_wrap("open: " + ", ".join(m.open_questions), 4))
    lines.extend(_wrap(c.basis, 2))
    return lines


def render_text(result: ScreeningResult, *, findings: bool = True) -> str:
    """A terminal report of one screening, readable at 100 columns."""
    lines: list[str] = []
    lines.extend(_wrap(f"Deal {result.deal_id} ({result.deal_kind}): {result.deal_name}", 0))
    lines.append(
        f"As of {result.as_of} · rulebook {result.rulebook_version} · "
        f"dealscreen {result.dealscreen_version}"
    )
    lines.append("")
    provisional = ""
    if result.provisional:
        n = len(result.open_questions)
        provisional = f"  (provisional: {n} open question{'s' if n != 1 else ''})"
    lines.append(f"VERDICT  {result.verdict}{provisional}")
    if result.consortium is not None:
        lines.extend(consortium_lines(result))
    for regime in result.regimes.values():
        lines.append("")
        lines.extend(_wrap(f"{regime.regime}: {regime.verdict} — {regime.title}", 0))
        hits = [h for h in result.hits if h.regime == regime.regime]
        decisive = [h for h in hits if h.kind == "outcome"]
        if not decisive:
            lines.append("  no outcome rule fired")
        for hit in decisive:
            lines.extend(_hit_lines(hit))
        exemptions = [h for h in hits if h.kind == "exemption"]
        for hit in exemptions:
            lines.extend(_wrap(f"⊘ exemption  {hit.rule_id}: {hit.title} ({hit.citation})", 2))
            lines.extend(_wrap(hit.explanation, 4))
        found = [h for h in hits if h.kind == "finding"]
        if findings and found:
            lines.append("  findings:")
            for hit in found:
                lines.extend(_wrap(f"· {hit.rule_id}: {hit.explanation} ({hit.citation})", 4))
        questions = [q for q in result.open_questions if q.regime == regime.regime]
        if questions:
            lines.append("  open questions:")
            lines.extend(_question_lines(questions))
    if result.derived:
        lines.append("")
        lines.append("Derived facts")
        for d in result.derived:
            value = json.dumps(d.value, ensure_ascii=False)
            lines.extend(_wrap(f"{d.path} = {value}: {d.explanation}", 2))
    lines.append("")
    lines.extend(_wrap(result.disclaimer, 0))
    return "\n".join(line.rstrip() for line in lines) + "\n"


def to_jsonable(result: ScreeningResult) -> dict[str, Any]:
    """The result as plain JSON data (decimals as exact strings)."""
    data: dict[str, Any] = result.model_dump(mode="json")
    return data


def render_json(result: ScreeningResult) -> str:
    """One JSON document, keys in a fixed order, byte-for-byte deterministic."""
    return json.dumps(to_jsonable(result), ensure_ascii=False, indent=2) + "\n"
