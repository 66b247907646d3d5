"""Rendering screening results for people (text, 100 columns) and tools (JSON).

Renderers return strings; they never print.
"""

from __future__ import annotations

import json
import textwrap
from typing import Any

from screening.engine.verdict import (
    NOT_IN_FORCE,
    Because,
    ConditionResult,
    Hit,
    OpenQuestion,
    RegimeResult,
    ScreeningResult,
    rank,
)

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


def condition_lines(conditions: list[ConditionResult], indent: int, *, marks: bool) -> list[str]:
    """Conditions in words; those of one ``any:`` are grouped and said to be alternatives."""
    lines: list[str] = []
    group: int | None = None
    for c in conditions:
        if c.alternatives != group:
            group = c.alternatives
            if group is not None:
                lines.extend(_wrap("one of these alternatives (one is enough):", indent))
        pad = indent + (2 if group is not None else 0)
        mark = (_CHECK[c.held] + " ") if marks else ""
        lines.extend(_wrap(f"{mark}{c.text}", pad))
    return lines


_CHECK = {True: "✓", False: "✗", None: "?"}


def _hit_lines(hit: Hit) -> list[str]:
    level = hit.outcome or hit.kind
    mark = _MARK.get(hit.outcome or "", "·")
    lines = _wrap(f"{mark} {level}  {hit.title} ({hit.citation})", 2)
    lines.extend(_wrap(f"rule {hit.rule_id} · {hit.source}", 4))
    if hit.suppressed_by:
        lines.extend(_wrap("would apply, but exempted by " + ", ".join(hit.suppressed_by), 4))
    lines.extend(_wrap(hit.explanation, 4))
    held = [c for c in hit.conditions if c.path]
    if held:
        lines.append("    conditions that held:")
        lines.extend(condition_lines(held, 6, marks=False))
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


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def verdict_range(verdict: str, ceiling: str | None, questions: int | None = None) -> str:
    """A verdict with its range: ``clear — could reach filing_required: 3 open questions``
    (without the count when ``questions`` is None).

    Never a bare level when the ceiling is higher; ``not in force`` for a regime with no rule in
    force on the screening date.
    """
    if verdict == NOT_IN_FORCE:
        return "not in force"
    if ceiling is not None and rank(ceiling) > rank(verdict):
        count = "" if questions is None else f": {_count(questions, 'open question')}"
        return f"{verdict} — could reach {ceiling}{count}"
    return verdict


def headline(result: ScreeningResult) -> str:
    """The overall verdict line: the range, and the regimes not in force on the date."""
    text = verdict_range(result.verdict, result.ceiling, len(result.open_questions))
    if result.verdict == NOT_IN_FORCE:
        return f"not in force: no regime of the rulebook has a rule in force on {result.as_of}"
    idle = sorted(r.regime for r in result.regimes.values() if r.verdict == NOT_IN_FORCE)
    if idle:
        text += f" (not in force on {result.as_of}: {', '.join(idle)})"
    return text


def _regime_line(result: ScreeningResult, regime: RegimeResult) -> str:
    if regime.verdict == NOT_IN_FORCE:
        return f"{regime.regime}: not in force on {result.as_of} — {regime.title}"
    n = sum(1 for q in result.open_questions if q.regime == regime.regime)
    return f"{regime.regime}: {verdict_range(regime.verdict, regime.ceiling, n)} — {regime.title}"


def consortium_lines(result: ScreeningResult) -> list[str]:
    """Each consortium member's own duty (empty for a single investor)."""
    c = result.consortium
    if c is None:
        return []
    lines = [
        "",
        f"CONSORTIUM  {len(c.members)} investors, each screened on its own duties",
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


def memo_lines(result: ScreeningResult) -> list[str]:
    """The memo (``result.summary``) for a terminal: the answer first, on one screen."""
    memo = result.summary
    if memo is None:
        return []
    lines = [f"VERDICT  {headline(result)}", ""]
    if result.consortium is not None:
        lines.extend(consortium_lines(result)[1:])
        lines.append("")
    if memo.actions:
        lines.append("What to do")
        for a in memo.actions:
            lines.extend(_wrap_hang(f"{_MARK.get(a.level, '·')} {a.regime}: {a.text}", 2, 4))
        lines.append("")
    if memo.clear:
        lines.append("Why the other regimes are clear")
        for c in memo.clear:
            lines.extend(_wrap_hang(f"{c.regime}: {c.status} — {c.text}", 2, 4))
        lines.append("")
    if memo.questions:
        lines.append("Open questions, most consequential first")
        for i, q in enumerate(memo.questions[:_MEMO_QUESTIONS], 1):
            lines.extend(_wrap_hang(f"{i}. [could reach {q.could_raise_to}] {q.question}", 2, 5))
        more = len(memo.questions) - _MEMO_QUESTIONS
        if more > 0:
            lines.append(f"  … and {more} more (listed under each regime below)")
        lines.append("")
    lines.append("What the answer rests on")
    lines.extend(_wrap(f"rulebook {memo.rulebook_version} · as of {result.as_of}", 2))
    official = [li.name for li in memo.lists if not li.starter]
    starter = [li for li in memo.lists if li.starter]
    if official:
        dates = sorted({li.retrieved or "undated" for li in memo.lists if not li.starter})
        lines.extend(
            _wrap_hang(
                f"reference lists (retrieved {', '.join(dates)}): {', '.join(official)}", 2, 4
            )
        )
    if starter:
        names = ", ".join(f"{li.name} ({li.entries})" for li in starter)
        lines.extend(_wrap_hang(f"STARTER lists (entries): {names}", 2, 4))
    for warning in memo.warnings:
        lines.extend(_wrap_hang(f"! {warning}", 2, 4))
    return lines


_MEMO_QUESTIONS = 5


def _wrap_hang(text: str, indent: int, hang: int) -> list[str]:
    return textwrap.wrap(
        text, WIDTH, initial_indent=" " * indent, subsequent_indent=" " * hang
    ) or [" " * indent]


def render_text(result: ScreeningResult, *, findings: bool = False) -> str:
    """A terminal report of one screening, readable at 100 columns: the memo first, then each
    regime (most severe first) with its hits by consequence; findings collapsed unless asked."""
    lines: list[str] = []
    lines.extend(_wrap(f"Deal {result.deal_id} ({result.deal_kind}): {result.deal_name}", 0))
    lines.append(
        f"As of {result.as_of} · rulebook {result.rulebook_version} · "
        f"dealscreen {result.dealscreen_version}"
    )
    lines.append("")
    if result.summary is not None:
        lines.extend(memo_lines(result))
        lines.append("")
        lines.append("DETAILS")
    else:
        lines.extend(_wrap(f"VERDICT  {headline(result)}", 0))
        lines.extend(consortium_lines(result))
    regimes = sorted(result.regimes.values(), key=lambda r: (-rank(r.verdict), r.regime))
    for regime in regimes:
        lines.append("")
        lines.extend(_wrap(_regime_line(result, regime), 0))
        if regime.verdict == NOT_IN_FORCE:
            lines.extend(
                _wrap("no rule of this regime is in force on the screening date: not screened", 2)
            )
            continue
        hits = [h for h in result.hits if h.regime == regime.regime]
        decisive = [h for h in hits if h.kind == "outcome"]
        if not decisive:
            lines.append("  no outcome rule fired")
        for hit in decisive:
            lines.extend(_hit_lines(hit))
        exemptions = [h for h in hits if h.kind == "exemption"]
        for hit in exemptions:
            lines.extend(_wrap(f"⊘ exemption  {hit.title} ({hit.citation})", 2))
            lines.extend(_wrap(f"rule {hit.rule_id}", 4))
            lines.extend(_wrap(hit.explanation, 4))
        found = [h for h in hits if h.kind == "finding"]
        if findings and found:
            lines.append("  findings:")
            for hit in found:
                lines.extend(_wrap(f"· {hit.rule_id}: {hit.explanation} ({hit.citation})", 4))
        elif found:
            n = len(found)
            lines.extend(_wrap(f"+ {n} finding{'s' if n != 1 else ''} (shown with --findings)", 2))
        questions = [q for q in result.open_questions if q.regime == regime.regime]
        if questions:
            lines.append("  open questions (each could raise the verdict):")
            lines.extend(_question_lines(questions))
        if regime.possible_exemptions:
            lines.append("  possible exemptions (each could lower the verdict, once established):")
            for e in regime.possible_exemptions:
                lines.extend(_wrap(f"? {e.question} (could lower to {e.could_lower_to})", 4))
    if result.derived and findings:
        lines.append("")
        lines.append("Derived facts")
        for d in result.derived:
            lines.extend(_wrap(f"{d.path} = {render_fact(d.value)}: {d.explanation}", 2))
    lines.append("")
    lines.extend(_wrap(result.disclaimer, 0))
    return "\n".join(line.rstrip() for line in lines) + "\n"


def render_fact(value: Any) -> str:
    """A fact value as a value (``25``, ``yes``, ``[CN, HK]``), not as a JSON string."""
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "[" + ", ".join(render_fact(v) for v in value) + "]" if value else "none"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {render_fact(v)}" for k, v in value.items()) + "}"
    return str(value)


def render_memo(result: ScreeningResult) -> str:
    """The memo as Markdown, to paste into a deal file."""
    memo = result.summary
    out = [f"# {_md(result.deal_name)}", ""]
    out.append(
        f"Deal `{result.deal_id}` ({result.deal_kind}) · as of {result.as_of} · "
        f"rulebook `{result.rulebook_version}` · dealscreen {result.dealscreen_version}"
    )
    out.append("")
    if memo is None:
        out += [f"**Verdict: {result.verdict}**", ""]
        return "\n".join(out) + "\n"
    out += [f"**Verdict: {memo.verdict}** ({_md(memo.range)})", ""]
    if result.consortium is not None:
        out += ["## Each foreign investor's own CFIUS duty", ""]
        for m in result.consortium.members:
            where = "investor" if m.position is None else f"co_investors[{m.position}]"
            out.append(f"- **{m.verdict}** · {_md(m.name)} ({_md(where)}): {_md(m.duty)}")
        out += ["", _md(result.consortium.basis), ""]
    if memo.actions:
        out += ["## What to do", ""]
        for a in memo.actions:
            out.append(f"- **{a.level}** · `{a.regime}` · {_md(a.rule)} ({_md(a.citation)})")
            deadline = ""
            if a.deadline_rule:
                deadline = f" {_md(a.deadline_rule)}: " + (
                    f"**by {a.deadline}**" if a.deadline else "no date (the record lacks it)"
                )
                if a.past_deadline:
                    deadline += f" (**past**: before the screening date {result.as_of})"
            out.append(f"  - {_md(a.action)}{deadline}")
        out.append("")
    if memo.clear:
        out += ["## Why the other regimes are clear", ""]
        out += [f"- `{c.regime}` ({c.status}): {_md(c.text)}" for c in memo.clear]
        out.append("")
    if memo.questions:
        out += ["## Open questions, most consequential first", ""]
        out += [
            f"{i}. *could reach {_md(q.could_raise_to)}*: {_md(q.question)}"
            for i, q in enumerate(memo.questions, 1)
        ]
        out.append("")
    out += ["## What the answer rests on", ""]
    out.append(f"- Rulebook `{memo.rulebook_version}`")
    for li in memo.lists:
        flags = []
        if li.starter:
            flags.append(f"**starter set** ({li.entries} entries), not the official list")
        if li.past_review:
            flags.append(f"**past its review date** ({li.review_by})")
        extra = "; ".join(flags)
        out.append(
            f"- `{li.name}`: {_md(li.title)}, retrieved {li.retrieved or 'undated'}"
            + (f"; {extra}" if extra else "")
        )
    out.append("")
    out += [f"> {_md(w)}" for w in memo.warnings]
    if memo.warnings:
        out.append("")
    if memo.order:
        out += ["## Rules that fired, by consequence", ""]
        hits = {h.rule_id: h for h in result.hits}
        for rule_id in memo.order:
            h = hits[rule_id]
            label = h.outcome or h.kind
            exempted = " (exempted)" if h.suppressed_by else ""
            out.append(f"- {label}{exempted}: {_md(h.title)} ({_md(h.citation)}) `{h.rule_id}`")
        out.append("")
    out.append(f"*{_md(result.disclaimer)}*")
    return "\n".join(out) + "\n"


def _md(text: str) -> str:
    """Text safe inside Markdown: no markup characters act, no line breaks."""
    text = " ".join(text.split())
    for ch in "\\`*_[]<>|#":
        text = text.replace(ch, "\\" + ch)
    return text


def to_jsonable(result: ScreeningResult, *, screening_id: int | None = None) -> dict[str, Any]:
    """The result as plain JSON data (decimals as exact strings); ``screening_id`` added last
    when the screening was recorded (as the HTTP API does)."""
    data: dict[str, Any] = result.model_dump(mode="json")
    if screening_id is not None:
        data["screening_id"] = screening_id
    return data


def render_json(result: ScreeningResult, *, screening_id: int | None = None) -> str:
    """One JSON document, keys in a fixed order, byte-for-byte deterministic.

    The bytes of ``json.dumps(to_jsonable(...), ensure_ascii=False, indent=2)`` (held to it by
    tests/test_render_json.py), written by pydantic-core: Python's encoder cannot indent in C,
    and was ~5x slower on a result.
    """
    text = result.model_dump_json(indent=2)
    if screening_id is not None:  # added last: before the closing brace of the document
        text = f'{text[:-2]},\n  "screening_id": {json.dumps(screening_id)}\n}}'
    return text + "\n"
