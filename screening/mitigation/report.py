"""The mitigation report as text (``dealscreen mitigate``) and as a report section (the HTML
review page's "how to lower this")."""

from __future__ import annotations

import datetime as dt
from typing import Any

from screening.engine.verdict import ScreeningResult
from screening.mitigation.mitigate import MitigationReport, mitigate
from screening.model.deal import DealRecord
from screening.rulebook.book import Rulebook


def render_mitigation(rep: MitigationReport) -> str:
    """The report in text."""
    scope = "overall verdict" if rep.scope == "overall" else f"`{rep.scope}`"
    lines = [
        f"mitigate: {rep.deal_id} ({rep.deal_name}), as of {rep.as_of}",
        f"{scope}: {rep.level_before}"
        + (f" (could reach {rep.ceiling_before})" if rep.ceiling_before != rep.level_before else "")
        + f"; target {rep.target} or lower; at most {rep.max_changes} change(s)",
    ]
    s = rep.stats
    if rep.status == "already":
        lines.append(f"already at {rep.level_before}: nothing to concede")
    else:
        lines.append(
            f"searched {s.sets_considered} set(s) of {s.candidates} concession(s): "
            f"{s.pruned_by_leaves} ruled out by the leaves that decided the rules, "
            f"{s.rescreened} re-screened, {s.verified} verified by a full screening"
        )
    lines.append("")
    for i, m in enumerate(rep.mitigations, 1):
        lines.append(
            f"{i}. {m.count} change(s) → {rep.scope if rep.scope != 'overall' else 'verdict'} "
            f"{m.level_after}"
            + (f" (could reach {m.ceiling_after})" if m.ceiling_after != m.level_after else "")
            + (f"; overall {m.verdict_after}" if rep.scope != "overall" else "")
        )
        for c in m.concessions:
            lines.append(f"   - {c.label}")
            lines.extend(f"       {ch.option}" for ch in c.changes)
        if m.raised:
            lines.append("   WARNING: raises " + ", ".join(m.raised))
        for r in m.diff.regimes:
            if r.direction != "unchanged":
                b = r.before + (
                    f" (could reach {r.ceiling_before})" if r.ceiling_before != r.before else ""
                )
                a = r.after + (
                    f" (could reach {r.ceiling_after})" if r.ceiling_after != r.after else ""
                )
                lines.append(f"   {r.regime}: {b} → {a} ({r.direction})")
        stopped = [r for r in m.diff.rules if r.kind == "outcome"]
        for rule in stopped:
            level = rule.outcome or rule.kind
            lines.append(f"   {rule.change}: {rule.rule_id} ({level}, {rule.citation})")
            lines.append(f"     {rule.title}")
        reasons = list(dict.fromkeys(b.strip() for r in stopped for b in r.because))
        if reasons:
            lines.append("   because:")
            lines.extend(f"     · {b}" for b in reasons)
        lines.append("")
    if rep.more:
        lines.append(f"and {rep.more} more minimal mitigation(s) not listed")
    if rep.status == "not_found":
        lines.append(
            f"no set of at most {rep.max_changes} concession(s) brings it to {rep.target} or lower"
        )
        if rep.closest:
            lines.append(
                f"closest: {rep.closest_level} with " + "; ".join(c.label for c in rep.closest)
            )
        lines.append("blocked by:")
        for blocker in rep.blockers:
            lines.append(
                f"  {blocker.rule_id} ({blocker.outcome}, {blocker.citation}) {blocker.status}"
            )
            lines.append(f"    {blocker.title}")
            if blocker.changed_by:
                lines.append(
                    "    the facts it rests on change only under: " + ", ".join(blocker.changed_by)
                )
            else:
                lines.append("    no concession searched, alone, changes the facts it rests on:")
                lines.extend(f"      {f}" for f in blocker.facts)
        lines.append("")
    lines.append(rep.note)
    lines.append(rep.disclaimer)
    return "\n".join(lines) + "\n"


def report_section(report: MitigationReport) -> dict[str, Any]:
    """A compact "how to lower this" section for reports (the HTML review page)."""
    s = report.stats
    return {
        "scope": report.scope,
        "target": report.target,
        "status": report.status,
        "max_changes": report.max_changes,
        "mitigations": [
            {
                "concessions": [
                    {"label": c.label, "changes": [{"option": ch.option} for ch in c.changes]}
                    for c in m.concessions
                ],
                "level_after": m.level_after,
                "raised": m.raised,
                "stopped": [
                    {"rule_id": r.rule_id, "citation": r.citation, "title": r.title}
                    for r in m.diff.rules
                    if r.kind == "outcome" and r.change == "stopped"
                ],
            }
            for m in report.mitigations
        ],
        "blockers": [
            {"rule_id": b.rule_id, "citation": b.citation, "title": b.title}
            for b in report.blockers
        ],
        "searched": f"{s.sets_considered} set(s) of {s.candidates} concession(s) searched, "
        f"{s.pruned_by_leaves} ruled out by the rules' leaves, {s.rescreened} re-screened, "
        f"{s.verified} verified",
        "note": report.note,
    }


def review_section(
    deal: DealRecord,
    result: ScreeningResult,
    *,
    rulebook: Rulebook,
    as_of: dt.date | None = None,
    max_changes: int = 2,
) -> dict[str, Any] | None:
    """The section for one reviewed deal: lower the regime that decides its verdict by one
    level (None for a clear deal)."""
    top = [r for r in sorted(result.regimes) if result.regimes[r].verdict == result.verdict]
    if result.verdict == "clear" or not top:
        return None
    report = mitigate(
        deal, regime=top[0], max_changes=max_changes, limit=3, rulebook=rulebook, as_of=as_of
    )
    return report_section(report)


def render_section(section: dict[str, Any] | None) -> str:
    """The "how to lower this" section in text (after a screening's own report)."""
    if section is None:
        return "HOW TO LOWER THIS\n  the verdict is clear: nothing to lower\n"
    lines = [f"HOW TO LOWER THIS ({section['scope']} to {section['target']} or lower)"]
    for i, m in enumerate(section["mitigations"], 1):
        labels = "; ".join(c["label"] for c in m["concessions"])
        lines.append(f"  {i}. {labels} → {m['level_after']}")
        options = [ch["option"] for c in m["concessions"] for ch in c["changes"]]
        lines.append("     " + " ".join(options))
        if m["raised"]:
            lines.append("     WARNING: raises " + ", ".join(m["raised"]))
        lines.extend(
            f"     stops {s['rule_id']} ({s['citation']}): {s['title']}" for s in m["stopped"]
        )
    if section["status"] == "not_found":
        lines.append(f"  nothing within {section['max_changes']} change(s) reaches it; blocked by:")
        lines.extend(
            f"    {b['rule_id']} ({b['citation']}): {b['title']}" for b in section["blockers"]
        )
    lines.append(f"  {section['searched']}")
    lines.append(f"  {section['note']}")
    return "\n".join(lines) + "\n"


def with_section(
    text: str, fmt: str, deal: DealRecord, result: ScreeningResult, book: Rulebook
) -> str:
    """A screening's report (text or JSON) with its "how to lower this" section added."""
    import json

    section = review_section(deal, result, rulebook=book, as_of=dt.date.fromisoformat(result.as_of))
    if fmt == "json":
        data = json.loads(text)
        data["mitigation"] = section
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    return text + "\n" + render_section(section)


__all__ = [
    "render_mitigation",
    "render_section",
    "report_section",
    "review_section",
    "with_section",
]
