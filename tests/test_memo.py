"""The memo (``summary``): actions with deadlines from the record's dates, why each clear regime
is clear, the verdict range and ranked questions, what the answer rests on, hits by consequence;
first in ``screen`` text, in JSON, and as Markdown (``--format memo``)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from screening import load_deal, load_rulebook, screen
from screening.cli.app import main
from screening.engine.memo import STARTER_WARNING, verdict_range
from screening.engine.verdict import LEVELS, OpenQuestion, RegimeResult, rank
from tests.conftest import FIXTURES

MANDATORY = FIXTURES / "jinhai-voltcore-stake.yaml"  # 800.401(c), completion 2026-03-31
NOTIFIABLE = FIXTURES / "granite-fund-mature-node-designer.yaml"  # 850 notifiable
PASSIVE = FIXTURES / "meridian-asia-fund-passive-5pct.yaml"  # clear, with open questions


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_mandatory_declaration_deadline_is_30_days_before_completion() -> None:
    """800.401(c): file no later than 30 days before completion (800.401(g)(2)): by 2026-03-01;
    screened as of completion, that date has passed; screened earlier, it has not."""
    deal = load_deal(MANDATORY)
    assert deal.completion_date == dt.date(2026, 3, 31)
    memo = screen(deal).summary
    assert memo is not None
    action = next(a for a in memo.actions if a.regime == "cfius_800")
    assert action.level == "filing_required"
    assert action.rule_id == "cfius.mandatory.critical_technology"
    assert action.deadline == "2026-03-01"
    assert action.past_deadline
    assert "File a declaration under 31 CFR 800.401(c)" in action.text
    assert (
        "no later than 30 days before completion (31 CFR 800.401(g)(2)): by 2026-03-01"
        in action.text
    )
    assert "PAST: before the screening date 2026-03-31" in action.text
    early = screen(deal, as_of=dt.date(2026, 2, 1)).summary
    assert early is not None
    action = next(a for a in early.actions if a.regime == "cfius_800")
    assert action.deadline == "2026-03-01" and not action.past_deadline
    assert "PAST" not in action.text


def test_outbound_notification_is_due_30_days_after_completion() -> None:
    """850.404(c): notify no later than 30 calendar days after completion."""
    deal = load_deal(NOTIFIABLE)
    memo = screen(deal).summary
    assert memo is not None and deal.completion_date is not None
    action = next(a for a in memo.actions if a.regime == "outbound_850")
    assert action.deadline == (deal.completion_date + dt.timedelta(days=30)).isoformat()
    assert action.deadline_rule == "no later than 30 days after completion (31 CFR 850.404(c))"
    assert not action.past_deadline


def test_a_deadline_without_the_date_it_runs_from_says_so() -> None:
    """No completion date recorded: the action names the rule and says no date can be given."""
    deal = load_deal(MANDATORY).model_copy(update={"completion_date": None})
    memo = screen(deal, as_of=dt.date(2026, 3, 31)).summary
    assert memo is not None
    action = next(a for a in memo.actions if a.regime == "cfius_800")
    assert action.deadline is None and not action.past_deadline
    assert "the record has no completion_date, so no date can be given" in action.text


def test_clear_regimes_say_which_facts_decided_them() -> None:
    """A clear regime names the failed facts from the evaluator, not prose: a 5% passive stake
    is not a covered transaction."""
    result = screen(load_deal(PASSIVE))
    memo = result.summary
    assert memo is not None
    clear = {c.regime: c for c in memo.clear}
    assert set(clear) == {r for r, g in result.regimes.items() if g.verdict == "clear"}
    cfius = clear["cfius_800"]
    assert cfius.status == "clear"
    assert cfius.reasons[0].startswith("The deal is a covered transaction: no (")
    assert "investor's voting interest 5% is less than 50%" in cfius.reasons[0]
    assert all(c.text for c in memo.clear)


def test_range_and_questions_ranked_and_asked_once() -> None:
    """Where facts are unknown the memo gives the range; questions come most consequential
    first, each once (one question for a missing block, naming every rule it could decide)."""
    result = screen(load_deal(PASSIVE))
    memo = result.summary
    assert memo is not None
    assert memo.verdict == "clear" and rank(memo.ceiling) > rank("clear")
    n = len(result.open_questions)
    assert (
        memo.range
        == f"clear — could reach {memo.ceiling}: {n} open question{'s' if n != 1 else ''}"
    )
    texts = [q.question for q in memo.questions]
    assert len(texts) == len(set(texts))
    levels = [rank(q.could_raise_to) for q in memo.questions]
    assert levels == sorted(levels, reverse=True)
    asked = [r for q in memo.questions for r in q.rule_ids]
    assert sorted(asked) == sorted(q.rule_id for q in result.open_questions)
    energy = next(q for q in memo.questions if "`energy` block" in q.question)
    assert energy.unknown_facts == ["energy.recorded"]
    assert len(energy.rule_ids) > 1


def test_verdict_range_is_the_highest_open_outcome() -> None:
    """A regime's ceiling is the highest of its verdict and its open questions' outcomes."""
    regime = RegimeResult(regime="r", title="R", verdict="covered")

    def question(level: str, regime_id: str = "r") -> OpenQuestion:
        return OpenQuestion(
            rule_id="x.y",
            regime=regime_id,
            outcome=level,  # type: ignore[arg-type]
            citation="c",
            title="t",
            question="q",
            unknown_facts=[],
        )

    assert verdict_range(regime, []) == "covered"
    assert verdict_range(regime, [question("filing_required")]) == "filing_required"
    assert verdict_range(regime, [question("prohibited", "other")]) == "covered"


def test_what_the_answer_rests_on() -> None:
    """The rulebook version and every list read, with its date; the bundled restricted-party
    lists are flagged as starter sets and the import command is named; a list past its
    review_by date on the screening date is flagged, never by the clock."""
    book = load_rulebook()
    deal = load_deal(PASSIVE)
    memo = screen(deal, rulebook=book).summary
    assert memo is not None
    assert memo.rulebook_version == book.version
    names = {li.name for li in memo.lists}
    assert "restricted_ofac_sdn" in names and "excepted_foreign_states" in names
    ofac = next(li for li in memo.lists if li.name == "restricted_ofac_sdn")
    assert ofac.starter and ofac.retrieved == "2026-11-28"
    assert STARTER_WARNING in memo.warnings
    assert "`dealscreen lists update --from DIR --out LAYER`" in STARTER_WARNING
    assert "`dealscreen lists import`" in STARTER_WARNING
    review_by = book.references.get("restricted_ofac_sdn").review_by
    later = screen(deal, rulebook=book, as_of=review_by + dt.timedelta(days=1)).summary
    assert later is not None
    assert next(li for li in later.lists if li.name == "restricted_ofac_sdn").past_review
    assert any("past their review date" in w and "restricted_ofac_sdn" in w for w in later.warnings)
    assert not any(
        li.past_review for li in memo.lists if li.review_by > deal.completion_date.isoformat()
    )


def test_lists_used_do_not_depend_on_what_ran_before(tmp_path: Path) -> None:
    """The first screening under a freshly compiled rulebook reports the same lists as the
    next one (compiling reads every list, but outside the screening)."""
    rules = tmp_path / "rules"
    shutil.copytree(load_rulebook().sources[0], rules)
    book = load_rulebook(base=rules)
    deal = load_deal(PASSIVE)
    first, second = screen(deal, rulebook=book), screen(deal, rulebook=book)
    assert first.summary == second.summary
    assert first.summary is not None
    assert "appendix_a_part802" not in {li.name for li in first.summary.lists}


def test_hits_ordered_by_consequence() -> None:
    """Outcome rules by level (applying before exempted), then exemptions, then findings."""
    for path in (MANDATORY, FIXTURES / "qiantu-trailway-25pct.yaml"):
        result = screen(load_deal(path))
        assert result.summary is not None
        hits = {h.rule_id: h for h in result.hits}
        order = [hits[r] for r in result.summary.order]
        assert sorted(order, key=lambda h: h.rule_id) == sorted(
            result.hits, key=lambda h: h.rule_id
        )
        kinds = [{"outcome": 0, "exemption": 1, "finding": 2}[h.kind] for h in order]
        assert kinds == sorted(kinds)
        outcomes = [-LEVELS.index(h.outcome or "clear") for h in order if h.kind == "outcome"]
        assert outcomes == sorted(outcomes)


def test_screen_text_puts_the_memo_first(capsys: pytest.CaptureFixture[str]) -> None:
    """The verdict and the memo come first, before any regime's detail; findings collapse."""
    code, out, _ = run(capsys, "screen", str(MANDATORY), "--no-store")
    assert code == 0
    lines = out.splitlines()
    assert lines[3].startswith("VERDICT  filing_required")
    # The fund's 5% may be acquired in the deal (acquires_in_deal not recorded): the consortium
    # block, then the memo.
    assert lines[5].startswith("CONSORTIUM  2 investors")
    assert out.index("What to do") < out.index("What the answer rests on")
    assert out.index("What the answer rests on") < out.index("DETAILS")
    assert "by 2026-03-01" in out[: out.index("DETAILS")]
    assert "(shown with --findings)" in out
    assert max(len(line) for line in lines) <= 100
    _, full, _ = run(capsys, "screen", str(MANDATORY), "--no-store", "--findings")
    assert "findings:" in full and "Derived facts" in full


def test_screen_json_carries_the_summary(capsys: pytest.CaptureFixture[str]) -> None:
    """`--format json` holds `summary` (design.md §6) next to the result."""
    code, out, _ = run(capsys, "screen", str(MANDATORY), "--format", "json", "--no-store")
    assert code == 0
    data: dict[str, Any] = json.loads(out)
    summary = data["summary"]
    for key in ("actions", "clear", "questions", "lists", "rulebook_version", "range", "order"):
        assert key in summary
    assert summary["actions"][0]["deadline"] == "2026-03-01"
    assert "screening_id" not in data


def test_format_memo_is_markdown(capsys: pytest.CaptureFixture[str]) -> None:
    """`--format memo` prints the memo as Markdown to paste into a deal file."""
    code, out, _ = run(capsys, "screen", str(MANDATORY), "--format", "memo", "--no-store")
    assert code == 0
    assert out.startswith("# ")
    assert "**Verdict: filing_required**" in out
    for heading in (
        "## What to do",
        "## Why the other regimes are clear",
        "## What the answer rests on",
    ):
        assert heading in out
    assert "**by 2026-03-01**" in out and "(**past**: before the screening date 2026-03-31)" in out
    assert "**starter set**" in out
    assert out.rstrip().endswith("*")  # the disclaimer, once
    assert out.count("not legal advice") == 1


_OUTCOME = """
- id: t.big
  kind: outcome
  outcome: filing_required
  title: A big stake
  citation: 31 CFR 800.401(b)
  when:
    - rights.voting_pct >= 25
  explain: "{investor.name} takes {rights.voting_pct}."
"""


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ("action: {deadline: {days: 30, before: completion_date, citation: x}}", "`action:` takes"),
        ("action: {do: File, deadline: {days: 30, citation: x}}", "`deadline:` takes"),
        ("action: {do: File, deadline: {days: 30, before: closing, citation: x}}", "`deadline:`"),
        (
            "action: {do: File, deadline: {days: -1, after: signing_date, citation: x}}",
            "`deadline:`",
        ),
        ("action: {do: File, deadline: {days: 30, before: completion_date}}", "`deadline:` takes"),
    ],
)
def test_a_malformed_action_is_a_located_load_error(
    tmp_path: Path, action: str, message: str
) -> None:
    """`action:` is checked when the rulebook loads, with the rule's file and line."""
    from screening.errors import RulebookError
    from tests.authoring_helpers import small_rulebook
    from tests.rulebook_helpers import rule_file

    text = rule_file(_OUTCOME + "  " + action + "\n")
    base = small_rulebook(tmp_path, {"t/r.yaml": text})
    with pytest.raises(RulebookError) as info:
        load_rulebook(base=base)
    problem = info.value.problems[0]
    assert problem.code == "invalid-action"
    assert problem.location.startswith(f"{base}/t/r.yaml:1")
    assert message in problem.message


def test_a_rules_own_action_reaches_the_memo(tmp_path: Path) -> None:
    """A rule's `action:` with a deadline after signing gives the memo's action and date."""
    from tests.authoring_helpers import small_rulebook
    from tests.rulebook_helpers import rule_file

    action = (
        "action: {do: Tell the board, deadline: {days: 10, after: signing_date, citation: x 1}}"
    )
    base = small_rulebook(tmp_path, {"t/r.yaml": rule_file(_OUTCOME + "  " + action + "\n")})
    book = load_rulebook(base=base)
    deal = load_deal(MANDATORY)
    assert deal.signing_date is not None
    memo = screen(deal, rulebook=book).summary
    assert memo is not None
    (line,) = memo.actions
    assert line.rule_id == "t.big" and line.action == "Tell the board"
    assert line.deadline == (deal.signing_date + dt.timedelta(days=10)).isoformat()
    assert line.deadline_rule == "no later than 10 days after signing (x 1)"


def test_an_imported_official_list_is_not_called_a_starter_set() -> None:
    """A list carrying the provenance of an official download is not a starter set."""
    import dataclasses

    ref = load_rulebook().references.get("restricted_ofac_sdn")
    assert ref is not None and ref.starter
    imported = dataclasses.replace(ref, provenance={"format": "sdn_xml", "entries": 4})
    assert not imported.starter
