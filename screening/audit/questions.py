"""Answering an auditor from the record: list, show, why, why-not, replay, verify, export.

Every answer comes from what the store recorded: the deal as screened, the as-of date and the
rulebook rebuilt from its snapshot, never today's rules (except in ``replay``, which compares the
two on purpose). Functions return data; ``render_*`` functions turn it into text; nothing prints.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any, Literal

from pydantic import Field

from screening._version import __version__
from screening.audit.chain import UNSTORED, as_recorded_before_ceilings
from screening.audit.store import Store, StoredScreening, Summary, VerifyReport
from screening.engine.explain import render_text
from screening.engine.run import screen
from screening.engine.verdict import Result, ScreeningResult
from screening.engine.why import (
    Explanation,
    MemberExplanation,
    explain_members,
    explain_rule,
    render_explanation,
)
from screening.errors import StoreError, UsageError
from screening.facts.parties import IMPORT_HINT, ListUse, lists_used
from screening.rulebook.book import Rulebook, load_rulebook
from screening.rulebook.conditions import suggest

Question = Literal["why", "why-not"]

# --------------------------------------------------------------------------------------------
# list and show


def list_screenings(
    store: Store,
    *,
    deal_id: str | None = None,
    verdict: str | None = None,
    since: dt.date | None = None,
    limit: int | None = None,
) -> list[Summary]:
    """Recorded screenings, newest first, filtered."""
    return store.summaries(deal_id=deal_id, verdict=verdict, since=since, limit=limit)


def render_list(summaries: list[Summary], fmt: str = "table") -> str:
    """The list as a table or as JSON."""
    if fmt == "json":
        return json.dumps([s.to_json() for s in summaries], indent=2, ensure_ascii=False) + "\n"
    if not summaries:
        return "no screenings recorded\n"
    header = ("ID", "RECORDED", "DEAL", "VERDICT", "AS OF", "RULEBOOK")
    rows = [
        (
            str(s.id),
            s.created_at[:19].replace("T", " "),
            s.deal_id,
            s.verdict + (" (provisional)" if s.provisional else ""),
            s.as_of,
            s.rulebook_version,
        )
        for s in summaries
    ]
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
        for r in (header, *rows)
    ]
    return "\n".join(lines) + "\n"


def show(store: Store, screening_id: int) -> StoredScreening:
    """One recorded screening."""
    return store.get(screening_id)


def record_header(stored: StoredScreening) -> str:
    """Who recorded a screening, when, with what."""
    who = f" by {stored.host_user}" if stored.host_user else ""
    return (
        f"Screening {stored.id} · recorded {stored.created_at}{who} · dealscreen "
        f"{stored.tool_version}\n"
        f"deal hash {stored.deal_hash[:16]} · row hash {stored.row_hash[:16]}\n"
    )


def render_show(stored: StoredScreening, lists: list[ListUse] | None = None) -> str:
    """The recorded screening as a terminal report, under its record header.

    ``lists`` (from :func:`lists_of`) adds the restricted lists the screening was run against,
    with their size, dates and whether they were official imports or starter sets.
    """
    text = record_header(stored) + "\n" + render_text(stored.result)
    if lists:
        text += "\nRestricted lists screened against (from the recorded rulebook):\n"
        text += "".join(f"  {use.describe(stored.as_of)}\n" for use in lists)
        if not all(use.official for use in lists):
            text += f"  note: {IMPORT_HINT}\n"
    return text


def lists_of(store: Store, stored: StoredScreening) -> list[ListUse]:
    """The restricted lists of the rulebook a screening was recorded under, on its date."""
    book = store.rulebook(stored.result.rulebook_version)
    return lists_used(book.references, stored.as_of)


def stored_json(stored: StoredScreening) -> dict[str, Any]:
    """A recorded screening as plain JSON data (the ``show --format json`` and export form)."""
    return {
        "id": stored.id,
        "created_at": stored.created_at,
        "tool_version": stored.tool_version,
        "host_user": stored.host_user,
        "deal_hash": stored.deal_hash,
        "deal": stored.deal.model_dump(mode="json"),
        "result": stored.result.model_dump(mode="json"),
        "result_hash": stored.result_hash,
        "prev_hash": stored.prev_hash,
        "row_hash": stored.row_hash,
    }


# --------------------------------------------------------------------------------------------
# why and why-not


class MemberAnswer(MemberExplanation):
    """The rule for one consortium member of a recorded screening, on its own record."""

    answer: str


class AuditAnswer(Result):
    """The answer to "why did (not) rule R fire in screening N", from the record alone.

    For a consortium deal, ``answer`` and ``explanation`` are the investor's and ``members``
    holds the same question for each member acquiring in the deal, on its own record (a rule
    that fired for a member fired in the member's screening, not the investor's)."""

    screening_id: int
    question: Question
    rule_id: str
    deal_id: str
    as_of: str
    rulebook_version: str
    answer: str
    explanation: Explanation
    in_current_rulebook: bool = Field(description="whether today's rulebook has the rule")
    investor: str = Field("", description="the name of the record's investor")
    members: list[MemberAnswer] = Field(
        default_factory=list,
        description="for a consortium: the rule for each member acquiring (or that may acquire) "
        "in the deal, each on its own record (`answer` and `explanation` are the investor's)",
    )


_STATUS = {
    "fired": "`{rule}` fired {where}",
    "suppressed": "`{rule}` held {where}, but was exempted by {by}",
    "did not fire": "`{rule}` did not fire {where}: a condition failed",
    "unknown": "`{rule}` did not fire {where}: facts it needs were unknown",
    "not in force": "`{rule}` did not fire {where}: it was not in force on that date",
}


def _member_answer(member: MemberExplanation, rule_id: str, where: str, regime: str) -> str:
    who = f"For co-investor {member.name} (co_investors[{member.position}])"
    if not member.binds:
        return (
            f"{who}: `{rule_id}` is a rule of {regime}, which does not bind it as a consortium "
            "member (its screening covers the regimes that bind it as a person)"
        )
    exp = member.explanation
    line = _STATUS[exp.status].format(
        rule=rule_id, where=where, by=", ".join(f"`{r}`" for r in exp.suppressed_by)
    )
    if member.acquires is None:
        line += (
            " (whether it acquires in the deal is not recorded: its screening counts for the "
            "ceiling only)"
        )
    return f"{who}: {line}"


def explain(
    store: Store, screening_id: int, rule_id: str, question: Question = "why"
) -> AuditAnswer:
    """Explain one rule of a recorded screening under its recorded rulebook, deal and date."""
    stored = store.get(screening_id)
    result = stored.result
    book = store.rulebook(result.rulebook_version)
    if rule_id not in book.rules and rule_id not in load_rulebook().rules:
        # A rule neither the recorded nor today's rulebook has: most likely a typo.
        raise UsageError.one(
            rule_id,
            "unknown-rule",
            f"no rule `{rule_id}` in rulebook {result.rulebook_version}, which screening "
            f"{screening_id} used{suggest(rule_id, book.rules)}",
        )
    exp = explain_rule(book, stored.deal, rule_id, as_of=stored.as_of)
    recorded = result.hit(rule_id)
    fired_now = exp.status in ("fired", "suppressed")
    if exp.status != "no such rule" and fired_now != (recorded is not None):
        raise StoreError.one(
            f"screening {screening_id}",
            "integrity-error",
            f"the recorded rulebook {'fires' if fired_now else 'does not fire'} `{rule_id}` "
            f"for the recorded deal, but the record says it "
            f"{'fired' if recorded is not None else 'did not'}",
        )
    where = f"in screening {screening_id} (deal `{result.deal_id}`, as of {result.as_of})"
    answer = {
        "fired": f"`{rule_id}` fired {where}",
        "suppressed": f"`{rule_id}` held {where}, but was exempted by "
        + ", ".join(f"`{r}`" for r in exp.suppressed_by),
        "did not fire": f"`{rule_id}` did not fire {where}: a condition failed",
        "unknown": f"`{rule_id}` did not fire {where}: facts it needs were unknown",
        "not in force": f"`{rule_id}` did not fire {where}: it was not in force on that date",
        "no such rule": f"`{rule_id}` did not exist in rulebook {result.rulebook_version}, "
        f"used {where}",
    }[exp.status]
    members = [
        MemberAnswer(
            **m.model_dump(exclude={"explanation"}),
            explanation=m.explanation,
            answer=_member_answer(m, rule_id, where, book.rules[rule_id].regime),
        )
        for m in explain_members(book, stored.deal, rule_id, as_of=stored.as_of)
    ]
    if members:
        answer = f"For the investor {stored.deal.investor.name}: {answer}"
    return AuditAnswer(
        screening_id=screening_id,
        question=question,
        rule_id=rule_id,
        deal_id=result.deal_id,
        as_of=result.as_of,
        rulebook_version=result.rulebook_version,
        answer=answer,
        explanation=exp,
        in_current_rulebook=rule_id in load_rulebook().rules,
        investor=stored.deal.investor.name,
        members=members,
    )


def render_answer(ans: AuditAnswer) -> str:
    """The answer in text: one line, then the proof (or refutation) tree; for a consortium, a
    line for the investor and each member, then each one's tree under its name."""
    held = ("fired", "suppressed")
    binding = [m for m in ans.members if m.binds]
    any_held = ans.explanation.status in held or any(m.explanation.status in held for m in binding)
    all_held = ans.explanation.status == "fired" and all(
        m.explanation.status == "fired" for m in binding
    )
    if ans.members and ans.explanation.status != "no such rule":
        lines = [ans.answer, *(m.answer for m in ans.members)]
        if ans.question == "why" and not any_held:
            lines.append(
                f"(it fired for none of them; `dealscreen audit why-not {ans.screening_id} "
                f"{ans.rule_id}` says why)"
            )
        if ans.question == "why-not" and all_held:
            lines.append(
                f"(it fired for each of them; `dealscreen audit why {ans.screening_id} "
                f"{ans.rule_id}` shows the proofs)"
            )
        lines.append(f"rulebook {ans.rulebook_version} (rebuilt from the recorded snapshot)")
        lines.append("")
        out = "\n".join(lines) + "\n"
        out += f"investor {ans.investor}:\n" + render_explanation(ans.explanation)
        for m in binding:
            out += (
                f"\nco_investors[{m.position}] {m.name} (screened as the investor of its own "
                "record):\n"
            )
            out += render_explanation(m.explanation)
        return out
    lines = [ans.answer]
    if ans.question == "why" and ans.explanation.status not in ("fired", "suppressed"):
        lines.append(
            f"(it did not fire; `dealscreen audit why-not {ans.screening_id} "
            f"{ans.rule_id}` says why)"
        )
    if ans.question == "why-not" and ans.explanation.status == "fired":
        lines.append(
            f"(it fired; `dealscreen audit why {ans.screening_id} {ans.rule_id}` shows the proof)"
        )
    if ans.explanation.status == "no such rule":
        today = "exists" if ans.in_current_rulebook else "does not exist either"
        lines.append(f"in today's rulebook the rule {today}")
        return "\n".join(lines) + "\n"
    lines.append(f"rulebook {ans.rulebook_version} (rebuilt from the recorded snapshot)")
    lines.append("")
    return "\n".join(lines) + "\n" + render_explanation(ans.explanation)


# --------------------------------------------------------------------------------------------
# replay


class RegimeChange(Result):
    """A regime whose verdict changed."""

    regime: str
    before: str
    after: str


class Replay(Result):
    """A recorded screening re-screened with today's rulebook, and what changed."""

    screening_id: int
    deal_id: str
    as_of: str
    reproduced: bool = Field(description="the recorded rulebook reproduced the record exactly")
    rulebook_before: str
    rulebook_after: str
    verdict_before: str
    verdict_after: str
    provisional_before: bool
    provisional_after: bool
    regimes_changed: list[RegimeChange] = Field(default_factory=list)
    hits_gained: list[str] = Field(default_factory=list)
    hits_lost: list[str] = Field(default_factory=list)
    exemptions_changed: list[str] = Field(default_factory=list)
    questions_gained: list[str] = Field(default_factory=list)
    questions_lost: list[str] = Field(default_factory=list)
    current: ScreeningResult

    @property
    def changed(self) -> bool:
        """Whether today's rulebook answers differently."""
        return bool(
            self.verdict_before != self.verdict_after
            or self.provisional_before != self.provisional_after
            or self.regimes_changed
            or self.hits_gained
            or self.hits_lost
            or self.exemptions_changed
            or self.questions_gained
            or self.questions_lost
        )


def _first_difference(a: Any, b: Any, path: str = "$") -> str | None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                return f"{path}.{key}"
            found = _first_difference(a[key], b[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list):
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            found = _first_difference(x, y, f"{path}[{i}]")
            if found:
                return found
        return f"{path}[{min(len(a), len(b))}]" if len(a) != len(b) else None
    return None if a == b else path


# Prose the tool writes around a decision: its wording may improve from one build to the next
# (it did: conditions in words, alternatives grouped), so a replay compares everything else.
_PROSE = {
    "hit": ("explanation",),
    "condition": ("text", "alternatives"),
    "question": ("question",),
    "derived": ("explanation",),
}


def decision(data: dict[str, Any]) -> dict[str, Any]:
    """A result's decision content: verdicts, regimes, every hit with its rule, citation, facts,
    conditions (values and whether each held), findings and exemptions, the open questions and
    their unknown facts, the derived values; without the prose rendered around them."""
    out = dict(data)
    out["hits"] = [
        {
            **{k: v for k, v in h.items() if k not in _PROSE["hit"]},
            "conditions": [
                {k: v for k, v in c.items() if k not in _PROSE["condition"]}
                for c in h["conditions"]
            ],
        }
        for h in data["hits"]
    ]
    out["open_questions"] = [
        {k: v for k, v in q.items() if k not in _PROSE["question"]} for q in data["open_questions"]
    ]
    out["derived"] = [
        {k: v for k, v in d.items() if k not in _PROSE["derived"]} for d in data["derived"]
    ]
    return out


def reproduce(store: Store, stored: StoredScreening) -> ScreeningResult:
    """Re-screen a record under its recorded rulebook; it must reach the recorded decision
    exactly (:func:`decision`: every verdict, hit, fact value, condition outcome and question;
    the prose around them may read better in a later build)."""
    recorded = stored.result
    book = store.rulebook(recorded.rulebook_version)
    again = screen(stored.deal, rulebook=book, as_of=stored.as_of)
    before = recorded.model_dump(mode="json", exclude=set(UNSTORED))
    after = again.model_dump(mode="json", exclude=set(UNSTORED))
    if recorded.ceiling is None:
        # Recorded before ceilings: compare in the form results had then.
        before = as_recorded_before_ceilings(before)
        after = as_recorded_before_ceilings(after)
    before, after = decision(before), decision(after)
    if recorded.dealscreen_version != __version__:
        # Another dealscreen release recorded it; only its version stamp may differ.
        after["dealscreen_version"] = before["dealscreen_version"]
    diff = _first_difference(before, after)
    if diff is not None:
        raise StoreError.one(
            f"screening {stored.id}",
            "integrity-error",
            f"re-screening under the recorded rulebook {recorded.rulebook_version} does not "
            f"reproduce the record: it differs at `{diff}`",
        )
    return again


def replay(store: Store, screening_id: int, *, rulebook: Rulebook | None = None) -> Replay:
    """Check the record reproduces, then screen the recorded deal with today's rulebook."""
    stored = store.get(screening_id)
    recorded = stored.result
    reproduce(store, stored)
    current = screen(stored.deal, rulebook=rulebook or load_rulebook(), as_of=stored.as_of)
    before_hits = {h.rule_id: h for h in recorded.hits}
    after_hits = {h.rule_id: h for h in current.hits}
    before_q = {q.rule_id for q in recorded.open_questions}
    after_q = {q.rule_id for q in current.open_questions}
    regimes = sorted(set(recorded.regimes) | set(current.regimes))
    return Replay(
        screening_id=screening_id,
        deal_id=recorded.deal_id,
        as_of=recorded.as_of,
        reproduced=True,
        rulebook_before=recorded.rulebook_version,
        rulebook_after=current.rulebook_version,
        verdict_before=recorded.verdict,
        verdict_after=current.verdict,
        provisional_before=recorded.provisional,
        provisional_after=current.provisional,
        regimes_changed=[
            RegimeChange(regime=r, before=_regime(recorded, r), after=_regime(current, r))
            for r in regimes
            if _regime(recorded, r) != _regime(current, r)
        ],
        hits_gained=sorted(set(after_hits) - set(before_hits)),
        hits_lost=sorted(set(before_hits) - set(after_hits)),
        exemptions_changed=sorted(
            r
            for r in set(before_hits) & set(after_hits)
            if before_hits[r].suppressed_by != after_hits[r].suppressed_by
        ),
        questions_gained=sorted(after_q - before_q),
        questions_lost=sorted(before_q - after_q),
        current=current,
    )


def _regime(result: ScreeningResult, regime: str) -> str:
    r = result.regimes.get(regime)
    return r.verdict if r else "(no such regime)"


def render_replay(rep: Replay) -> str:
    """What changed between the record and today's rulebook, in text."""
    lines = [
        f"Screening {rep.screening_id} · deal `{rep.deal_id}` · as of {rep.as_of}",
        f"recorded under rulebook {rep.rulebook_before}: reproduced exactly from its snapshot",
        f"today's rulebook {rep.rulebook_after}"
        + (" is the same version" if rep.rulebook_before == rep.rulebook_after else ""),
        "",
    ]
    if not rep.changed:
        lines.append(f"no change: the verdict is still {rep.verdict_after}")
        return "\n".join(lines) + "\n"
    arrow = "unchanged" if rep.verdict_before == rep.verdict_after else "→ " + rep.verdict_after
    lines.append(f"verdict  {rep.verdict_before} {arrow}")
    if rep.provisional_before != rep.provisional_after:
        lines.append(f"provisional  {rep.provisional_before} → {rep.provisional_after}")
    for change in rep.regimes_changed:
        lines.append(f"  {change.regime}: {change.before} → {change.after}")
    for title, items in (
        ("hits gained", rep.hits_gained),
        ("hits lost", rep.hits_lost),
        ("exemption changed", rep.exemptions_changed),
        ("open questions gained", rep.questions_gained),
        ("open questions lost", rep.questions_lost),
    ):
        if items:
            lines.append(f"{title}:")
            lines.extend(
                f"  {'+' if 'gained' in title else '-' if 'lost' in title else '~'} {i}"
                for i in items
            )
    return "\n".join(lines) + "\n"


def replay_json(rep: Replay) -> str:
    """The replay as JSON (today's full result under ``current``)."""
    data = rep.model_dump(mode="json")
    data["changed"] = rep.changed
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------------------------------
# verify and export


def verify(store: Store, *, expect_head: str | None = None) -> VerifyReport:
    """Check every rulebook snapshot and the whole hash chain (and, given a copy of the chain
    head kept elsewhere, that the chain still ends there)."""
    return store.verify(expect_head)


def render_verify(report: VerifyReport) -> str:
    """The verification report in text: counts, the head hash, and each broken link."""
    lines = [
        f"checked {report.screenings} screening(s) and {report.rulebooks} rulebook version(s)",
        f"chain head {report.head_hash}",
    ]
    if report.ok:
        lines.append("ok: every row matches its hash and links to the one before")
    else:
        where, what = report.problems[0]
        lines.append(f"BROKEN: first broken link at {where}: {what}")
        lines.extend(f"  also {w}: {m}" for w, m in report.problems[1:])
    return "\n".join(lines) + "\n"


def verify_json(report: VerifyReport) -> str:
    """The verification report as JSON."""
    data = {
        "ok": report.ok,
        "screenings": report.screenings,
        "rulebooks": report.rulebooks,
        "head_hash": report.head_hash,
        "problems": [{"where": w, "problem": m} for w, m in report.problems],
    }
    return json.dumps(data, indent=2) + "\n"


def export(store: Store) -> Iterator[dict[str, Any]]:
    """Every rulebook snapshot, then every screening (oldest first), as JSON records."""
    for version, _tool, _created in store.rulebook_versions():
        files, labels, tool_version = store.snapshot(version)
        yield {
            "type": "rulebook",
            "version": version,
            "dealscreen_version": tool_version,
            "labels": labels,
            "files": files,
        }
    for stored in store.iter_screenings():
        yield {"type": "screening", **stored_json(stored)}


def export_jsonl(store: Store) -> Iterator[str]:
    """The export as JSON lines."""
    for item in export(store):
        yield json.dumps(item, ensure_ascii=False, sort_keys=True) + "\n"
