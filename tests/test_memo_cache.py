"""The memo's kept answers (issue 14) give what working them out again gives.

The clear reasons a regime's failed rules give are chosen once per signature (for each rule in
force, its status and, when it failed, the statuses its fail function reads) and kept per
rulebook; each question asked is kept by the open questions it asks; a consortium's memo is
built once, on the combined verdicts. Each is held here to the way it was worked out before,
written out again below, for every fixture deal and generated deals it has not seen (the kept
answers warmed on other deals), with the same reference lists read; and each store is bounded.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from screening import Deal, load_deal, load_rulebook, screen
from screening.authoring.fixtures_gen import generate
from screening.engine import consortium, memo
from screening.engine import run as engine
from screening.engine.memo import (
    _NO_RULES,
    Explainer,
    Kept,
    _book_plan,
    _first,
    _lower,
    _question_head,
    _Reason,
    build_summary,
    clear_reason,
    ranked_questions,
)
from screening.engine.verdict import (
    ClearReason,
    MemoQuestion,
    OpenQuestion,
    RegimeResult,
    build,
    rank,
)
from screening.model.deal import DealRecord
from screening.model.reference import recording_use
from screening.rulebook.book import Rulebook
from tests.conftest import FIXTURES


@pytest.fixture(scope="module")
def book() -> Rulebook:
    return load_rulebook()


def fixture_deals() -> list[DealRecord]:
    return [load_deal(p) for p in sorted(Path(FIXTURES).glob("*.y*ml"))]


def generated(n: int, seed: int) -> list[DealRecord]:
    return [Deal.model_validate(d).root for d in generate(n, seed=seed)]


def evaluated(book: Rulebook, deal: DealRecord) -> Iterator[tuple[engine.Evaluation, Any]]:
    """A fresh evaluation of a deal and its result without a memo (inside its recording)."""
    date = engine.resolve_as_of(deal, None)
    with recording_use() as used:
        ev = engine.run_rules(book, engine.derive_for(book, deal, date))
        yield ev, engine.assemble(deal, book, ev), used


def reference_clear_reason(ex: Explainer, regime: str, title: str) -> ClearReason:
    """clear_reason as it was before its choices were kept: every failed rule's fail function,
    then the greedy count (9330bf5)."""
    in_force = ex.plan.regimes.get(regime, _NO_RULES).in_force(ex.as_of)
    if not in_force:
        text = f"no rule of this regime is in force on {ex.as_of.isoformat()}"
        return build(
            ClearReason,
            regime=regime,
            title=title,
            status="not in force",
            reasons=[text],
            text=text,
        )
    status, scope = ex.status, ex.scope
    left = [fail(scope) for rule_id, fail in in_force if status.get(rule_id) is False]
    chosen: list[_Reason] = []
    while left and len(chosen) < 2:
        counts: dict[_Reason, int] = {}
        for reasons in left:
            for reason in reasons:
                counts[reason] = counts.get(reason, 0) + 1
        if not counts:
            break
        most = max(counts.values())
        best = min([reason for reason, n in counts.items() if n == most])
        chosen.append(best)
        left = [reasons for reasons in left if best not in reasons]
    shown: list[str] = []
    for reason in chosen:
        words = reason.words(ex)
        text = words
        if reason.startswith("-"):
            facts = ex.facts(reason[1:])
            if facts:
                text += " (" + "; ".join(facts) + ")"
        if not shown or not any(words in earlier for earlier in shown):
            shown.append(text)
    if left:
        n = len(left)
        shown.append(
            f"{n} more rule{'s' if n != 1 else ''} fail{'s' if n == 1 else ''} on other facts"
        )
    if not shown:
        n = sum(1 for rule_id, _fail in in_force if status.get(rule_id) is None)
        if n:
            shown = [
                f"no outcome rule fired; {n} wait{'s' if n == 1 else ''} on unknown facts "
                "(open questions)"
            ]
    if not shown:
        shown = ["no outcome rule fired"]
    return build(
        ClearReason,
        regime=regime,
        title=title,
        status="clear",
        reasons=shown,
        text="; ".join(shown[:2]),
    )


def reference_ranked_questions(
    questions: Sequence[OpenQuestion], regimes: dict[str, RegimeResult]
) -> list[MemoQuestion]:
    """ranked_questions as it was before questions asked were kept (9330bf5)."""
    grouped: dict[tuple[str, ...], list[tuple[int, str, OpenQuestion]]] = {}
    for q in questions:
        head = _question_head(q.question)
        key = (head,) if head.endswith("may show") else (tuple(q.unknown_facts) or (q.rule_id,))
        grouped.setdefault(key, []).append((rank(q.outcome), head, q))
    out: list[tuple[tuple[int, int, str], MemoQuestion]] = []
    for group in grouped.values():
        top_rank, head, top = max(group, key=_first)
        raise_by = max(level - rank(regimes[q.regime].verdict) for level, _head, q in group)
        if len(group) == 1:
            text = top.question
            rule_ids = [top.rule_id]
        else:
            outcomes = sorted(group, key=lambda g: (-g[0], g[2].rule_id))
            first = outcomes[0][2]
            rule_ids = [q.rule_id for _level, _head, q in outcomes]
            text = (
                f"{head}: {_lower(first.title)} ({first.outcome}, {first.citation}), and "
                f"{len(outcomes) - 1} more rule{'s' if len(outcomes) > 2 else ''} "
                f"({', '.join(rule_ids[1:])})"
            )
        asked = [q for _level, _head, q in group]
        facts = sorted({f for q in asked for f in q.unknown_facts})
        item = build(
            MemoQuestion,
            question=text,
            could_raise_to=top.outcome,
            regimes=sorted({q.regime for q in asked}),
            rule_ids=rule_ids,
            unknown_facts=[f for f in facts if f.endswith(".recorded")] or facts,
        )
        out.append(((-top_rank, -raise_by, text), item))
    out.sort(key=_first)
    return [item for _key, item in out]


def test_kept_clear_reasons_and_questions_are_those_worked_out_with_the_same_lists_read(
    book: Rulebook,
) -> None:
    """For every fixture and 150 generated deals not seen before (the stores warmed on 150
    others): each clear regime's reason, through the kept choices, is the one the old way
    gives, and the memo reads the same reference lists; the ranked questions are the old
    ranking."""
    for deal in generated(150, seed=23):  # warm the kept answers on other deals
        screen(deal, rulebook=book)
    plan = _book_plan(book)
    assert len(plan.chosen) > 0 and len(memo._ASKED) > 0
    regimes_checked = hits = 0
    for deal in [*fixture_deals(), *generated(150, seed=29)]:
        for (ev, result, _used), (ev_ref, _r, _u) in zip(
            evaluated(book, deal), evaluated(book, deal), strict=True
        ):
            ex, ex_ref = Explainer(ev, plan), Explainer(ev_ref, plan)
            for regime in result.regimes.values():
                if regime.verdict != "clear":
                    continue
                before = len(plan.chosen)
                got = clear_reason(ex, regime.regime, regime.title)
                hits += len(plan.chosen) == before
                want = reference_clear_reason(ex_ref, regime.regime, regime.title)
                assert got.model_dump_json() == want.model_dump_json(), (deal.id, regime.regime)
                regimes_checked += 1
            # The statuses read for the signatures resolve the lists the fail functions did.
            assert ev.scope.lists_read() == ev_ref.scope.lists_read(), deal.id
            questions, regimes = result.open_questions, result.regimes
            assert [q.model_dump_json() for q in ranked_questions(questions, regimes)] == [
                q.model_dump_json() for q in reference_ranked_questions(questions, regimes)
            ], deal.id
    assert regimes_checked > 1000
    assert hits > regimes_checked // 2  # the kept choices earn their keep on unseen deals


def test_kept_answers_are_bounded_and_a_dropped_one_is_worked_out_again(book: Rulebook) -> None:
    """With room for 4 choices and 4 questions asked, 80 deals keep at most 4 of each, and
    their results are the same bytes as with room for all."""
    deals = generated(80, seed=31)
    plan = _book_plan(book)
    roomy = [screen(d, rulebook=book).model_dump_json() for d in deals]
    limits = plan.chosen.limit, memo._ASKED.limit
    plan.chosen.clear()
    memo._ASKED.clear()
    plan.chosen.limit = memo._ASKED.limit = 4
    try:
        tight = [screen(d, rulebook=book).model_dump_json() for d in deals]
        assert len(plan.chosen) <= 4 and len(memo._ASKED) <= 4
    finally:
        plan.chosen.limit, memo._ASKED.limit = limits
    assert tight == roomy
    assert plan.chosen.limit == memo.REASONS_KEPT and memo._ASKED.limit == memo.QUESTIONS_KEPT


def test_kept_is_a_bounded_lru() -> None:
    kept: Kept[int, str] = Kept(3)
    for i in range(10):
        kept.put(i, str(i))
        assert len(kept) <= 3
    assert kept.get(9) == "9" and kept.get(0) is None
    kept.get(7)  # now the most recently used
    kept.put(10, "10")  # drops 8, the least recently used
    assert kept.get(8) is None and kept.get(7) == "7" and kept.get(10) == "10"
    kept.clear()
    assert len(kept) == 0


def test_questions_asked_depend_on_the_regime_verdicts_they_could_raise(book: Rulebook) -> None:
    """A question asked is kept without its rank among the others: the same questions under
    other regime verdicts are ordered afresh, as the old way orders them."""
    for deal in fixture_deals():
        for _ev, result, _used in evaluated(book, deal):
            questions = result.open_questions
            if len({q.regime for q in questions}) < 2:
                continue
            for regime in {q.regime for q in questions}:
                raised = {
                    rid: r.model_copy(update={"verdict": "filing_advised"}) if rid == regime else r
                    for rid, r in result.regimes.items()
                }
                assert [q.question for q in ranked_questions(questions, raised)] == [
                    q.question for q in reference_ranked_questions(questions, raised)
                ]


def us_member_behind_a_foreign_lead() -> DealRecord:
    """Harborline's prohibited outbound stake taken as a member behind a Singapore lead (as in
    tests/test_consortium.py): the member raises part 850, which the lead alone leaves clear."""
    data: dict[str, Any] = load_deal(
        FIXTURES / "harborline-wuxi-jinghong-supercomputer-stake.yaml"
    ).model_dump(mode="json", exclude_none=True)
    data.pop("expected", None)
    us_firm = data["investor"]
    data["investor"] = {
        "name": "Lion City Growth Pte. Ltd.",
        "kind": "company",
        "country": "SG",
        "principal_place_of_business": "SG",
        "owners": [],
        "disqualifiers": [],
    }
    data["rights"] = {**data["rights"], "voting_pct": 20, "equity_pct": 20}
    member_rights = {**data["rights"], "voting_pct": 8, "equity_pct": 8}
    data["co_investors"] = [{"party": us_firm, "acts_in_concert": False, "rights": member_rights}]
    return Deal.model_validate(data).root


def consortium_deals() -> list[DealRecord]:
    deals = [*fixture_deals(), *generated(400, seed=7), us_member_behind_a_foreign_lead()]
    return [d for d in deals if consortium.is_consortium(d)]


def test_consortium_memo_built_once_is_the_rebuilt_memo(book: Rulebook) -> None:
    """A consortium deal's memo, built once on the combined verdicts, is the memo the old way
    gave (a memo of the investor's result, discarded, then one on the combined verdicts),
    lists read included, through screen() and screen_many(); some members raise a regime the
    investor alone leaves clear."""
    deals = consortium_deals()
    assert len(deals) > 20
    raised = 0
    for deal in deals:
        date = engine.resolve_as_of(deal, None)
        with recording_use() as used:
            ev = engine.run_rules(book, engine.derive_for(book, deal, date))
            old = engine._with_consortium(
                deal, book, ev, used, engine.assemble(deal, book, ev, used)
            )
        new = screen(deal, rulebook=book)
        assert new.model_dump_json() == old.model_dump_json(), deal.id
        assert old.summary is not None
        alone = engine.assemble(deal, book, ev)
        raised += any(
            r.verdict == "clear" and new.regimes[r.regime].verdict != "clear"
            for r in alone.regimes.values()
        )
    assert raised > 0
    many = engine.screen_many(deals, rulebook=book)
    assert [r.model_dump_json() for r in many] == [
        screen(d, rulebook=book).model_dump_json() for d in deals
    ]


def test_build_summary_reuses_only_clear_reasons_of_the_same_regime_and_title(
    book: Rulebook,
) -> None:
    """``clear_reasons=``: a reason given for another title (or none) is worked out afresh."""
    deal = load_deal(FIXTURES / "meridian-asia-fund-passive-5pct.yaml")
    for ev, result, used in evaluated(book, deal):
        plain = build_summary(
            ev, deal, result.regimes, result.hits, result.open_questions, used
        ).model_dump_json()
        clear = memo.clear_reasons(ev, result.regimes)
        assert clear and all(c.status == "clear" for c in clear.values())
        wrong = {k: v.model_copy(update={"title": "another"}) for k, v in clear.items()}
        for given in (clear, wrong, {}):
            again = build_summary(
                ev,
                deal,
                result.regimes,
                result.hits,
                result.open_questions,
                used,
                clear_reasons=given,
            )
            assert again.model_dump_json() == plain


def test_with_consortium_builds_the_memo_of_a_deal_without_members(book: Rulebook) -> None:
    """``memo=True`` on a deal with no member: the memo of its own result, as screen() gives."""
    deal = load_deal(FIXTURES / "meridian-asia-fund-passive-5pct.yaml")
    assert not consortium.is_consortium(deal)
    date = engine.resolve_as_of(deal, None)
    with recording_use() as used:
        ev = engine.run_rules(book, engine.derive_for(book, deal, date))
        got = engine._with_consortium(
            deal, book, ev, used, engine.assemble(deal, book, ev), memo=True
        )
    assert got.summary is not None
    assert got.model_dump_json() == screen(deal, rulebook=book).model_dump_json()
