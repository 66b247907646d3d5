"""The memo's and the consortium's shortcuts (issue 14, seventh round) give what the long way
gives, byte for byte, with the same reference lists read.

* a regime's choice decided by a failed gate (``memo._gates``) is :func:`memo._choose`'s;
* a finding's walk of facts and findings, tested inline (``memo._flat_walk``), states what the
  walk through status functions stated;
* a failed fact's words, clear reasons and open questions' parts are kept (bounded): results are
  the same bytes with them warm, cleared before every deal and capped at one entry;
* a consortium works out each party's governing states once, and copies a question only when
  ``could_raise_to`` changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from screening import Deal, load_deal, load_rulebook, screen
from screening.authoring.fixtures_gen import generate
from screening.engine import consortium, memo
from screening.engine import run as engine
from screening.engine.evaluate import status_function
from screening.engine.memo import Explainer, _book_plan, _choose, _fact_words_of, _gates
from screening.model.deal import DealRecord
from screening.model.reference import recording_use
from screening.rulebook.book import Rule, Rulebook
from screening.rulebook.conditions import All, AnyOf, Condition, FindingRef, Leaf
from tests.conftest import FIXTURES
from tests.rulebook_helpers import make_rulebook, rule_file


@pytest.fixture(scope="module")
def book() -> Rulebook:
    return load_rulebook()


def fixture_deals() -> list[DealRecord]:
    return [load_deal(p) for p in sorted(Path(FIXTURES).glob("*.y*ml"))]


def generated(n: int, seed: int) -> list[DealRecord]:
    return [Deal.model_validate(d).root for d in generate(n, seed=seed)]


def evaluation(
    book: Rulebook, deal: DealRecord
) -> Iterator[tuple[engine.Evaluation, Any, set[str]]]:
    """A fresh evaluation of a deal and its result without a memo (inside its recording)."""
    date = engine.resolve_as_of(deal, None)
    with recording_use() as used:
        ev = engine.run_rules(book, engine.derive_for(book, deal, date))
        yield ev, engine.assemble(deal, book, ev), used


def test_a_failed_gate_decides_the_choice_the_greedy_count_makes(book: Rulebook) -> None:
    """Wherever a gate decides a regime's choice, the choice is the one counting every failed
    rule's reasons gives, and the same reference lists are read as by the fail functions."""
    plan = _book_plan(book)
    gated = 0
    for deal in [*fixture_deals(), *generated(80, seed=41)]:
        for (ev, result, _u), (ev_ref, _r, _u2) in zip(
            evaluation(book, deal), evaluation(book, deal), strict=True
        ):
            ex = Explainer(ev, plan)
            for regime in result.regimes.values():
                if regime.verdict != "clear" or regime.regime not in plan.regimes:
                    continue
                span = plan.regimes[regime.regime].span(ex.as_of)
                got = memo._choice(ex, span)
                want = _choose(span, ev_ref.status, ev_ref.scope)
                assert [str(r) for r in got[0]] == [str(r) for r in want[0]], deal.id
                assert [r.words(ex) for r in got[0]] == [r.words(ex) for r in want[0]]
                assert got[1:] == want[1:], (deal.id, regime.regime)
                gated += any(got is gate[5] for gate in span.gates)
            assert ev.scope.lists_read() == ev_ref.scope.lists_read(), deal.id
    assert gated > 100  # the gates decide often (most deals have several regimes not in play)


def test_a_choice_worked_out_from_its_key_is_the_greedy_count_of_the_fail_functions(
    book: Rulebook,
) -> None:
    """Nothing kept (every choice a miss): the choice told from the key (a failed rule's
    reasons read from its mask, ``memo._choose_told``), or from a dominant reason and the
    rules that do not name it (``memo._dominant``), is the one counting every failed rule's
    fail function gives, in keys, words and order, with the same lists read."""
    plan = _book_plan(book)
    kept, plan.chosen = plan.chosen, memo.Kept(0)
    told = dominated = 0
    try:
        for deal in [*fixture_deals(), *generated(60, seed=59)]:
            for (ev, result, _u), (ev_ref, _r, _u2) in zip(
                evaluation(book, deal), evaluation(book, deal), strict=True
            ):
                ex = Explainer(ev, plan)
                for regime in result.regimes.values():
                    if regime.verdict != "clear" or regime.regime not in plan.regimes:
                        continue
                    span = plan.regimes[regime.regime].span(ex.as_of)
                    got = memo._choice(ex, span)
                    want = _choose(span, ev_ref.status, ev_ref.scope)
                    assert [str(r) for r in got[0]] == [str(r) for r in want[0]], deal.id
                    assert [r.words(ex) for r in got[0]] == [r.words(ex) for r in want[0]]
                    assert got[1:] == want[1:], (deal.id, regime.regime)
                    told += any(t is not None for t in span.told) and bool(got[0])
                    dominant = span.dominant
                    dominated += (
                        dominant is not None
                        and memo._gated(dominant.test, ev.status, ev.scope) is not None
                        and all(ev.status[rule_id] is False for rule_id in dominant.skipped)
                    )
                assert ev.scope.lists_read() == ev_ref.scope.lists_read(), deal.id
    finally:
        plan.chosen = kept
    assert told > 200 and dominated > 200


def test_lists_kept_by_names_and_place_among_review_dates_are_those_worked_out(
    book: Rulebook,
) -> None:
    """The lists a memo rests on, kept per set of names and the screening date's place among
    the review dates: on the day before, of and after every review date (some lists past their
    review, some not), for a few sets of names, the same lines and warnings as working them out
    (past review by the screening date, not by the day they were kept), the same lists noted as
    read."""
    import datetime as dt

    plan = _book_plan(book)
    plan.used.clear()
    names = sorted(book.references.lists)
    sets = [set(names), set(names[::2]), {names[0], "no-such-list"}, set()]
    days = sorted(
        {d + dt.timedelta(days=k) for d in plan.review_dates for k in (-1, 0, 1)}
        | {dt.date(2026, 12, 1), dt.date(2031, 1, 1)}
    )
    stale_seen = fresh_seen = 0
    for _pass in range(2):  # kept on the first pass, read back on the second
        for day in days:
            for wanted in sets:
                with recording_use() as got_used:
                    got, starter, stale = plan.lists_used(book.references, wanted, day)
                with recording_use() as want_used:
                    want = memo.lists_used(book.references, wanted, day)
                assert [x.model_dump_json() for x in got] == [x.model_dump_json() for x in want]
                assert starter == any(x.starter for x in want)
                assert stale == [
                    f"{x.name} (review by {x.review_by})" for x in want if x.past_review
                ]
                assert got_used == want_used
                stale_seen += bool(stale)
                fresh_seen += bool(want) and not stale
    assert stale_seen and fresh_seen
    assert 0 < len(plan.used) <= memo.USED_KEPT


def test_ranked_questions_kept_are_ranked_afresh_when_a_verdict_changes(book: Rulebook) -> None:
    """The ranked questions of a screening, kept by its open questions and regime verdicts:
    warm, the same list as ranking them again; with one regime's verdict raised, ranked anew."""
    memo._RANKED.clear()
    ranked = 0
    for deal in [*fixture_deals(), *generated(40, seed=61)]:
        for _ev, result, _used in evaluation(book, deal):
            questions, regimes = result.open_questions, result.regimes
            want = [q.model_dump_json() for q in memo._ranked_questions(questions, regimes)]
            for _pass in range(2):
                got = memo.ranked_questions(questions, regimes)
                assert [q.model_dump_json() for q in got] == want, deal.id
            for name in {q.regime for q in questions}:
                raised = {
                    rid: r.model_copy(update={"verdict": "filing_advised"}) if rid == name else r
                    for rid, r in regimes.items()
                }
                assert [q.model_dump_json() for q in memo.ranked_questions(questions, raised)] == [
                    q.model_dump_json() for q in memo._ranked_questions(questions, raised)
                ]
                ranked += 1
    assert ranked > 50 and memo._RANKED


def test_hit_rule_ids_are_hit_order_s(book: Rulebook) -> None:
    """The memo's order of rule ids, from plain tuple keys, is hit_order's: on every fixture
    and generated deal, and on their hits shuffled, with and without exemptions applied."""
    import random

    shuffle = random.Random(67).shuffle
    checked = 0
    for deal in [*fixture_deals(), *generated(40, seed=67)]:
        hits = list(screen(deal, rulebook=book).hits)
        for _round in range(3):
            assert memo.hit_rule_ids(hits) == [h.rule_id for h in memo.hit_order(hits)]
            suppressed = [h.model_copy(update={"suppressed_by": ["x"]}) for h in hits[::2]]
            mixed = [*hits, *suppressed]
            shuffle(mixed)
            assert memo.hit_rule_ids(mixed) == [h.rule_id for h in memo.hit_order(mixed)]
            shuffle(hits)
            checked += len(hits)
    assert checked > 500


def test_kept_clear_lines_are_the_lines_worked_out_from_their_pieces(book: Rulebook) -> None:
    """A clear regime's line kept by its choice and the pieces of its words (values stated,
    facts under a finding) is the line worked out from the choice, on deals not seen before;
    most lines are found kept."""
    plan = _book_plan(book)
    for deal in generated(60, seed=73):
        screen(deal, rulebook=book)
    found = checked = 0
    for deal in [*fixture_deals(), *generated(60, seed=79)]:
        for (ev, result, _u), (ev_ref, _r, _u2) in zip(
            evaluation(book, deal), evaluation(book, deal), strict=True
        ):
            ex, ex_ref = Explainer(ev, plan), Explainer(ev_ref, plan)
            for regime in result.regimes.values():
                if regime.verdict != "clear" or regime.regime not in plan.regimes:
                    continue
                before = len(memo._LINES)
                got = memo.clear_reason(ex, regime.regime, regime.title)
                span = plan.regimes[regime.regime].span(ex.as_of)
                choice = memo._choice(ex_ref, span)
                want = memo._clear_reason_of(ex_ref, regime.regime, regime.title, choice)
                assert got.model_dump_json() == want.model_dump_json(), (deal.id, regime.regime)
                checked += 1
                found += len(memo._LINES) == before
            assert ev.scope.lists_read() == ev_ref.scope.lists_read(), deal.id
    assert checked > 500 and found > checked // 2


def leaf(path: str, op: str = "==", value: Any = True, ref: str | None = None) -> Leaf:
    return Leaf(path=path, op=op, value=value, text="", location="", ref=ref)


def rule(*conjuncts: Condition) -> Rule:
    """A stand-in rule: _gates reads only a rule's condition."""
    when = conjuncts[0] if len(conjuncts) == 1 else All(tuple(conjuncts), "")
    return SimpleNamespace(when=when)  # type: ignore[return-value]


def test_gates_are_only_the_reasons_every_rule_names_once_and_tests_alike() -> None:
    gate, other = leaf("energy.recorded"), leaf("energy.credit_claimed")
    listed = leaf("investor.countries", "in", "@fcoc", ref="fcoc")
    gates, lists = _gates([rule(gate, other), rule(FindingRef("f.x", False, "", ""), gate, listed)])
    assert [g[5][0][0] for g in gates] == ["energy.recorded == True"]
    assert [path for path, _leaf in lists] == ["investor.countries"]  # read by a failed rule
    # A reason a rule names twice is counted twice: no gate can be sure to be counted most.
    assert _gates([rule(gate, other, gate), rule(gate, other)]) == ((), ())
    # One key tested two ways (another list under the same words): no gates.
    a = leaf("investor.countries", "in", "@x", ref="x")
    b = leaf("investor.countries", "in", "@x", ref="y")
    assert _gates([rule(a, other), rule(b, gate)]) == ((), ())
    # An ``any`` child gives reasons of its own: no gates.
    assert _gates([rule(AnyOf((gate, other), ""), gate), rule(gate, other)]) == ((), ())
    # A list test as the only conjunct of every rule: its status is never read for a choice.
    gates, lists = _gates([rule(listed), rule(listed)])
    assert gates == () and lists == ()


def span_of(*rules: Any) -> memo._Span:
    for i, r in enumerate(rules):
        r.id = f"r{i}"
    return memo._Span(0, rules, {r.id: memo._fail_function(r.when) for r in rules})


def test_a_dominant_reason_is_one_no_other_reason_could_be_counted_as_often_as() -> None:
    covered = FindingRef("f.covered", False, "", "")
    a, b, c = leaf("target.us_business"), leaf("investor.foreign_person"), leaf("deal.signed")
    listed = leaf("investor.countries", "in", "@fcoc", ref="fcoc")
    # Named by three rules, every other reason by at most two: dominant; the rule naming it
    # with a list test replays that status (the list its signature would read).
    span = span_of(rule(covered, a), rule(covered, b, listed), rule(covered, c), rule(a, b))
    assert span.dominant is not None and str(span.dominant.reason) == "-f.covered"
    assert span.dominant.skipped == ("r0", "r1", "r2") and len(span.dominant.replay) == 1
    assert [rule_id for rule_id, _fail in span.dominant.rules] == ["r3"]
    # As often as another reason: dominant only when its key comes first.
    assert str(span_of(rule(covered, a), rule(covered, b), rule(a, c)).dominant.reason) == (
        "-f.covered"
    )
    assert str(span_of(rule(a, c), rule(a, b), rule(covered, b)).dominant.reason) == (
        "investor.foreign_person == True"
    )
    # A list test may read a list when it would not have been read: never dominant.
    assert span_of(rule(listed, a), rule(listed, b), rule(c)).dominant is None
    # An ``any`` whose reasons change could be counted against it: not dominant when as many.
    changing = AnyOf((All((a, b), ""), c), "")
    assert span_of(rule(covered, a), rule(changing, b), rule(changing, c)).dominant is None
    assert span_of(rule(covered, a), rule(covered, b), rule(changing, c)).dominant is not None


def reference_walk(ex: Explainer, cond: Condition, out: list[str], limit: int) -> bool:
    """A finding's walk of its failed facts as it was before it was compiled (9330bf5): each
    child's status from its status function, then its own walk."""
    scope = ex.scope
    if isinstance(cond, Leaf):
        if cond.synthetic:
            return False
        value = scope.value(cond.path)
        say = _fact_words_of(cond)
        out.append(say(value) if say is not None else ex.leaf(cond, value))
        return len(out) >= limit
    if isinstance(cond, FindingRef):
        if cond.negated:
            out.append(f"{ex.rules[cond.rule_id].title}: yes")
        else:
            out.extend(reference_facts(ex, cond.rule_id, limit))
        return len(out) >= limit
    if isinstance(cond, AnyOf):
        return any(reference_walk(ex, child, out, limit) for child in cond.children)
    for child in memo._conjuncts(cond):
        if isinstance(child, Leaf) and child.synthetic:
            continue
        if status_function(child)(scope) is False and reference_walk(ex, child, out, limit):
            return True
    return False


def reference_facts(ex: Explainer, rule_id: str, limit: int = 3) -> list[str]:
    if ex.status.get(rule_id) is not False:
        return []
    out: list[str] = []
    reference_walk(ex, ex.ev.guarded[rule_id], out, limit)
    return list(dict.fromkeys(out))[:limit]


def test_compiled_walks_state_what_the_walk_through_status_functions_stated(
    book: Rulebook,
) -> None:
    """Every failed finding of every fixture and of generated deals: the same facts, in the
    same order, and the same lists read."""
    plan = _book_plan(book)
    findings = [r.id for r in book.rules.values() if r.kind == "finding"]
    walked = 0
    for deal in [*fixture_deals(), *generated(40, seed=43)]:
        for (ev, _result, _u), (ev_ref, _r, _u2) in zip(
            evaluation(book, deal), evaluation(book, deal), strict=True
        ):
            ex, ex_ref = Explainer(ev, plan), Explainer(ev_ref, plan)
            for rule_id in findings:
                got = ex.facts(rule_id)
                assert got == reference_facts(ex_ref, rule_id), (deal.id, rule_id)
                walked += bool(got)
            assert ev.scope.lists_read() == ev_ref.scope.lists_read(), deal.id
    assert walked > 300


def memo_bytes(book: Rulebook, deals: list[DealRecord], clear_each: bool) -> list[str]:
    out = []
    for deal in deals:
        if clear_each:
            clear_kept(book)
        out.append(screen(deal, rulebook=book).model_dump_json())
    return out


def clear_kept(book: Rulebook) -> None:
    memo._SAID.clear()
    memo._CLEAR_MADE.clear()
    memo._LINES.clear()
    memo._RANKED.clear()
    memo._QUESTION_PARTS.clear()
    memo._ASKED.clear()
    _book_plan(book).chosen.clear()


def test_kept_words_reasons_and_questions_warm_cleared_and_capped_give_the_same_bytes(
    book: Rulebook, monkeypatch: pytest.MonkeyPatch
) -> None:
    deals = [*fixture_deals(), *generated(40, seed=47)]
    warm = memo_bytes(book, deals, clear_each=False)
    assert memo._SAID and memo._CLEAR_MADE and memo._QUESTION_PARTS
    assert memo._LINES and memo._RANKED
    cleared = memo_bytes(book, deals, clear_each=True)
    monkeypatch.setattr(memo, "WORDS_KEPT", 1)
    monkeypatch.setattr(memo, "CLEAR_KEPT", 1)
    monkeypatch.setattr(memo, "QUESTIONS_KEPT", 1)
    monkeypatch.setattr(memo, "LINES_KEPT", 1)
    clear_kept(book)
    capped = memo_bytes(book, deals, clear_each=False)
    assert len(memo._SAID) <= 1 and len(memo._CLEAR_MADE) <= 1
    assert len(memo._QUESTION_PARTS) <= 1 and len(memo._LINES) <= 1 and len(memo._RANKED) <= 1
    assert warm == cleared == capped


def test_kept_words_tell_values_that_are_equal_but_read_differently(book: Rulebook) -> None:
    """``True == 1`` and ``False == 0 == []``-like pairs: each value gets its own words."""
    for rule_ in book.rules.values():
        for node in [rule_.when, *getattr(rule_.when, "children", ())]:
            if not isinstance(node, Leaf) or node.synthetic:
                continue
            say, plain = memo._fact_words(node), _fact_words_of(node)
            assert say is not None and plain is not None
            for value in (True, 1, False, 0, "1", "True", [], ["1"], ["1", "2"], None):
                assert say(value) == plain(value), (node, value)
                assert say(value) == plain(value), (node, value)  # now kept


def consortium_deals() -> list[DealRecord]:
    deals = [*fixture_deals(), *generated(300, seed=53)]
    return [d for d in deals if consortium.is_consortium(d)]


def test_governing_states_worked_out_once_are_those_worked_out_each_time() -> None:
    deals = consortium_deals()
    assert len(deals) > 30
    for deal in deals:
        states: dict[int, Any] = {}
        for i in range(len(deal.co_investors)):
            shared = consortium.member_record(deal, i, states=states)
            assert shared.model_dump_json() == consortium.member_record(deal, i).model_dump_json()
        parties = [deal.investor, *(co.party for co in deal.co_investors)]
        for a in parties:
            for b in parties:
                assert consortium.same_state(a, b, states) == consortium.same_state(a, b)


def test_a_question_is_copied_only_when_could_raise_to_changes(book: Rulebook) -> None:
    levels = ["clear", "covered", "filing_advised", "filing_required", "prohibited"]
    checked = same = 0
    for deal in consortium_deals()[:40]:
        for q in screen(deal, rulebook=book).open_questions:
            for level in levels:
                got = consortium._raising_to(q, level)
                want = q.model_copy(update={"could_raise_to": level})
                assert got.model_dump_json() == want.model_dump_json()
                assert got.model_fields_set == want.model_fields_set
                checked += 1
                same += got is q
    assert checked > 100 and 0 < same < checked
    fresh = consortium._acquires_question("X", 0, "cfius_800", "filing_required")
    assert "could_raise_to" not in fresh.model_fields_set
    assert consortium._raising_to(fresh, "filing_required") is not fresh


GATED_LIST_RULES = {
    "cfius_800/t.yaml": rule_file(
        """
        - id: t.listed
          kind: outcome
          outcome: filing_advised
          title: A foreign person of an excepted state
          citation: 31 CFR 800.219
          when:
            - target.us_business is true
            - investor.foreign_person is true
            - investor.country in @excepted_foreign_states
          explain: "{investor.name} is an excepted state's foreign person."
        """,
        """
        - id: t.business
          kind: outcome
          outcome: filing_required
          title: A foreign person acquiring a U.S. business
          citation: 31 CFR 800.401
          when:
            - investor.foreign_person is true
            - target.us_business is true
            - target.critical_technology is true
          explain: "{investor.name} acquires {target.name}."
        """,
    )
}


def test_a_gated_choice_reads_the_lists_the_failed_rules_read(tmp_path: Path) -> None:
    """Two gates fail: the one first in key order decides, as the greedy count decides; and a
    failed rule tests a reference list its evaluation never reached: the list is read (and
    recorded in the memo's lists) as the fail functions read it."""
    book = load_rulebook(base=make_rulebook(tmp_path, GATED_LIST_RULES))
    span = _book_plan(book).regimes["cfius_800"].spans[-1]
    keys = ["investor.foreign_person == True", "target.us_business == True"]
    assert [g[5][0][0] for g in span.gates] == keys
    assert [leaf.ref for _path, leaf in span.lists] == ["excepted_foreign_states"]
    deal = load_deal(FIXTURES / "eastgate-us-fund-china-mobile-listed-shares.yaml")
    for (ev, result, _u), (ev_ref, _r, _u2) in zip(
        evaluation(book, deal), evaluation(book, deal), strict=True
    ):
        assert result.regimes["cfius_800"].verdict == "clear"
        assert ev.status["t.listed"] is False and ev.scope.value("investor.country") is not None
        assert "excepted_foreign_states" not in ev.scope.lists_read()  # the evaluator stopped
        got = memo._choice(Explainer(ev, _book_plan(book)), span)
        assert any(got is gate[5] for gate in span.gates)
        want = _choose(span, ev_ref.status, ev_ref.scope)
        assert got[0] == want[0] == (keys[0],) and got[1:] == want[1:]
        assert ev.scope.lists_read() == ev_ref.scope.lists_read()
        assert "excepted_foreign_states" in ev.scope.lists_read()
