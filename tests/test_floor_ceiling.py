"""The floor invariant, proved by enumeration on the shipped rulebook.

For a deal with unknown facts, each regime's ``verdict`` must be the level it reaches under every
completion of the unknowns (the floor), ``ceiling`` the highest level some completion reaches,
and ``provisional`` exactly ``verdict < ceiling``. Hypothesis takes a deal (a fixture or a
generated one), fills every fact the rules read, blanks up to eight of them, and screens the
partial deal and every completion. Exemptions count only where the partial deal establishes them
(they are taken as not established otherwise, in the floor and the ceiling alike), which is what
the result promises; an exemption left unknown is a possible exemption instead.

Partial knowledge is blanked as well as plain unknowns (issue 12): a number that may be a range
is sometimes known only within bounds (its completions are the candidates inside them, and the
bounds themselves), a list that may be partial is sometimes known only in part (its completions
add each candidate value to the known ones). Ranges and partial lists the deal itself carries are
completed the same way.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
import typing
from functools import cache
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from screening import load_deal, load_rulebook
from screening.engine.evaluate import Scope, status_function
from screening.engine.run import _plan, assemble, resolve_as_of, run_rules
from screening.facts.derive import derive
from screening.facts.sections.base import AtLeast, Tri
from screening.facts.view import field_info, partial, ranged
from screening.model.deal import Deal
from screening.model.levels import NOT_IN_FORCE, rank
from screening.model.numbers import Range
from screening.rulebook.conditions import FindingRef, Leaf, leaves
from tests.conftest import FIXTURES
from tests.strategies import candidates, full_deals, with_facts

MAX_COMPLETIONS = 192
MAX_UNKNOWNS = 8


@cache
def _book() -> Any:
    return load_rulebook()


@cache
def _rule_paths(rule_id: str) -> frozenset[str]:
    """Fact paths a rule reads, through the findings it reads (findings form no cycle)."""
    book = _book()
    out: set[str] = set()
    for node in leaves(book.rules[rule_id].when):
        if isinstance(node, Leaf):
            out.add(node.path)
        elif isinstance(node, FindingRef):
            out |= _rule_paths(node.rule_id)
    return frozenset(out)


@cache
def _regime_rules() -> dict[str, tuple[str, ...]]:
    """The outcome and exemption rules bearing on each regime's verdict."""
    book = _book()
    found: dict[str, set[str]] = {}
    for rule in book.rules.values():
        if rule.kind != "finding":
            for target in (rule.id, *rule.suppresses):
                found.setdefault(book.rules[target].regime, set()).add(rule.id)
    return {r: tuple(sorted(ids)) for r, ids in sorted(found.items())}


def _paths_of(rule_ids: Any) -> list[str]:
    return sorted(set().union(*(_rule_paths(r) for r in rule_ids)))


def _statuses(view: Any) -> dict[str, Tri]:
    """Every rule's status for a complete view (the evaluator; the engine is checked against it
    on every screening elsewhere)."""
    book = _book()
    status: dict[str, Tri] = {}
    scope = Scope(view, status, book.references)
    for _rulesets, rules in _plan(book).strata:
        for rule in rules:
            status[rule.id] = status_function(rule.guarded)(scope)
    return status


def _levels(status: dict[str, Tri], established: set[str]) -> dict[str, str]:
    """Each regime's level in a completion; only exemptions the partial deal established count."""
    book = _book()
    suppressed = {t for e in established for t in book.rules[e].suppresses}
    out = dict.fromkeys(book.regimes, "clear")
    for rule in book.rules.values():
        level = rule.outcome or "clear"
        counts = rule.kind == "outcome" and status[rule.id] is True and rule.id not in suppressed
        if counts and rank(level) > rank(out[rule.regime]):
            out[rule.regime] = level
    return out


@cache
def _fixture(name: str) -> Deal:
    return load_deal(FIXTURES / name)


def _quiet(values: list[Any], rng: random.Random) -> Any:
    if values[0] is True:
        return False
    if isinstance(values[0], list):
        return []
    if isinstance(values[-1], str):
        return values[-1]  # the candidate no rule names
    return rng.choice(values)  # numbers and dates have no quiet side


def _completions(value: Any, values: list[Any]) -> list[Any]:
    """The candidates consistent with what is known of a fact: all of them when it is unknown,
    those inside a range (and its bounds, so every side of every threshold inside is reached),
    the known items plus each candidate's for a list known in part."""
    if isinstance(value, Range):
        lo, hi = value.lo, value.hi
        inside = [v for v in values if (lo is None or v >= lo) and (hi is None or v <= hi)]
        ends = [v for v in (lo, hi) if v is not None]
        return sorted(dict.fromkeys([*ends, *inside]))
    if isinstance(value, AtLeast):
        known = set(value.known)
        out: list[Any] = []
        for v in values:
            completed = sorted(known | set(v))
            if completed not in out:
                out.append(completed)
        return out or [sorted(known)]
    return values


def _partly_known(path: str, values: list[Any], draw: st.DrawFn) -> Any:
    """A range over the candidates of a ranged number, or some known items of a partial list;
    None (unknown) for other facts or when the draw says so."""
    info = field_info(path)
    never_unknown = info is not None and type(None) not in typing.get_args(info[0])
    form = draw(st.sampled_from(["unknown", "partial", "partial"]))
    if form == "unknown" and not never_unknown:
        return None
    if ranged(path) and len(values) > 1 and not isinstance(values[0], dt.date):
        i = draw(st.integers(0, len(values) - 2))
        j = draw(st.integers(i + 1, len(values) - 1))
        upper = draw(st.booleans())
        return Range(min=values[i], max=values[j] if upper else None)
    if partial(path) and (len(values) > 1 or never_unknown):
        return AtLeast(known=draw(st.sampled_from(values)))
    return None


SEEDS = sorted(p.name for p in FIXTURES.glob("*.yaml"))
seeds = st.one_of(
    st.sampled_from(SEEDS).map(_fixture),
    full_deals.map(Deal.model_validate),
)


@st.composite
def partial_views(draw: st.DrawFn) -> tuple[Any, Any, dict[str, list[Any]]]:
    """A deal's fact view with every rule fact known but up to eight, and their candidates."""
    deal = draw(seeds)
    record = deal.root if isinstance(deal, Deal) else deal
    book = _book()
    as_of = resolve_as_of(record, None)
    view = derive(record, book.references, as_of)
    options = candidates(book, as_of)
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    # Facts the deal leaves unknown are filled mostly with the quiet value (no, none, the least,
    # a value no rule names), so that rules which need most facts quiet are reached as well.
    filled = {
        path: _quiet(values, rng) if rng.random() < 0.75 else rng.choice(values)
        for path, values in options.items()
        if view.get(path) is None
    }
    # A range or partial list the deal carries: completed with a value consistent with it.
    filled |= {
        path: rng.choice(_completions(view.get(path), values))
        for path, values in options.items()
        if isinstance(view.get(path), Range | AtLeast)
    }
    full = with_facts(view, filled)
    status = _statuses(full)
    # Where Kleene logic can lose an answer: the facts of the rules that decide a verdict (blank
    # some and see whether the verdict holds), the facts the deal itself leaves unknown (the
    # unknowns real records have), any fact the regime reads, and the facts that may be known
    # in part (numbers as ranges, lists as their known items).
    deciding = {
        regime: [r for r in rules if status[r] is True] for regime, rules in _regime_rules().items()
    }
    regimes = sorted(r for r, ids in deciding.items() if ids) or sorted(deciding)
    regime = draw(st.sampled_from(regimes))
    rules = _regime_rules()[regime]
    pool = [p for p in _paths_of(rules) if p in options]
    sources = [
        [p for p in _paths_of(deciding[regime]) if p in options],
        [p for p in pool if p in filled],
        pool,
        [p for p in pool if ranged(p) or partial(p)],  # partial knowledge (issue 12)
    ]
    sources = [source for source in sources if source]
    chosen: list[str] = []
    for _ in range(draw(st.integers(1, MAX_UNKNOWNS))):
        source = draw(st.sampled_from(sources))
        chosen.append(draw(st.sampled_from(source)))
    chosen = list(dict.fromkeys(chosen))
    kept: list[str] = []
    for path in chosen:
        if math.prod(len(options[p]) for p in [*kept, path]) <= MAX_COMPLETIONS:
            kept.append(path)
    blanked = {p: _partly_known(p, options[p], draw) for p in kept}
    unknown = {p: _completions(blanked[p], options[p]) for p in kept}
    return record, with_facts(full, blanked), unknown


@settings(max_examples=settings().max_examples)
@given(partial_views())
def test_floor_ceiling_exact(case: tuple[Any, Any, dict[str, list[Any]]]) -> None:
    """Per regime, verdict = the lowest level over every completion, ceiling = the highest,
    provisional = verdict < ceiling; every open question and possible exemption is reachable."""
    check_completions(*case)


def _case(name: str, blank: list[str], **known: Any) -> tuple[Any, Any, dict[str, list[Any]]]:
    """A fixture's view with every rule fact known (the quiet value where the deal is silent,
    or ``known``), then ``blank`` made unknown."""
    record = _fixture(name)
    book = _book()
    view = derive(record, book.references, resolve_as_of(record, None))
    options = candidates(book, view.deal.as_of)
    rng = random.Random(0)
    filled = {p: _quiet(v, rng) for p, v in options.items() if view.get(p) is None}
    full = with_facts(view, {**filled, **known})
    return record, with_facts(full, dict.fromkeys(blank)), {p: options[p] for p in blank}


def test_unknown_concert_status_found_exact() -> None:
    """The issue's first pattern: a 24.99% holder with a board seat in a TID business whose
    concert group may or may not hold 50% or more (800.208(b), (e)(1)) is covered (and more) on
    every reading. The rules read the group through the bounded yes/no fact
    `investor.concert_majority` (no rule compares `investor.concert_voting_pct` since issue 11
    section 3 dropped concert aggregation toward 800.244's 25%), so that is the fact left open."""
    case = _case("voltline-chargeway-2499pct.yaml", ["investor.concert_majority"])
    check_completions(*case)


def test_voting_interest_known_as_a_range_exact() -> None:
    """Issue 12: a voting interest known only as 20-30% (the 25% thresholds fall inside) and
    one known as more than 50% (control on every reading): the bounds match the completions."""
    book = _book()
    for value in (Range(min=20, max=30), Range(more_than=50), Range(max=9)):
        record, partial_view, _ = _case("voltline-chargeway-2499pct.yaml", [])
        options = candidates(book, partial_view.deal.as_of)["rights.voting_pct"]
        partial_view = with_facts(partial_view, {"rights.voting_pct": value})
        check_completions(record, partial_view, {"rights.voting_pct": _completions(value, options)})


def test_lists_known_in_part_exact() -> None:
    """Issue 12: the investor's restricted-list memberships known only in part (none known,
    then one known): "on none of the lists" is never established, the ceiling is reached."""
    book = _book()
    for value in (AtLeast(known=[]), AtLeast(known=["bis_entity_list"])):
        record, partial_view, _ = _case("voltline-chargeway-2499pct.yaml", [])
        options = candidates(book, partial_view.deal.as_of)["investor.lists"]
        partial_view = with_facts(partial_view, {"investor.lists": value})
        check_completions(record, partial_view, {"investor.lists": _completions(value, options)})


def test_unknown_prohibited_tier_keeps_the_notification_exact() -> None:
    """Part 850: a notifiable IC designer whose prohibited tier (3A090.a) is unknown is
    `filing_required` on every reading; the prohibition stays an open question."""
    case = _case(
        "granite-fund-mature-node-designer.yaml",
        ["outbound.ic_meets_3a090a"],
        **{"outbound.uncalled_commitment_date": dt.date(2025, 1, 3)},  # no 850.501(d) call
    )
    check_completions(*case)
    record, partial, _ = case
    regime = assemble(record, _book(), run_rules(_book(), partial)).regimes["outbound_850"]
    assert (regime.verdict, regime.ceiling) == ("filing_required", "prohibited")


def check_completions(record: Any, partial: Any, unknown: dict[str, list[Any]]) -> None:
    """Screen the partial view and every completion; the bounds must match exactly."""
    book = _book()
    ev = run_rules(book, partial)
    result = assemble(record, book, ev)
    established = {
        r.id for r in book.rules.values() if r.kind == "exemption" and ev.status[r.id] is True
    }
    lows: dict[str, str] = {}
    highs: dict[str, str] = {}
    fired: set[str] = set()
    paths = sorted(unknown)
    for values in itertools.product(*(unknown[p] for p in paths)):
        status = _statuses(with_facts(partial, dict(zip(paths, values, strict=True))))
        for rule_id, known in ev.status.items():
            if known is not None:
                assert status[rule_id] is known, f"{rule_id} known {known} in the partial deal"
        fired |= {rule_id for rule_id, s in status.items() if s is True}
        for regime, level in _levels(status, established).items():
            if regime not in lows or rank(level) < rank(lows[regime]):
                lows[regime] = level
            if regime not in highs or rank(level) > rank(highs[regime]):
                highs[regime] = level
    for regime, got in result.regimes.items():
        if got.verdict == NOT_IN_FORCE:
            assert highs[regime] == "clear"
            continue
        where = f"{regime} of `{record.id}` with {paths} unknown"
        assert got.verdict == lows[regime], f"floor of {where}"
        assert got.ceiling == highs[regime], f"ceiling of {where}"
        assert got.provisional == (rank(lows[regime]) < rank(highs[regime]))
    for question in result.open_questions:
        assert question.rule_id in fired, f"open question {question.rule_id} never fires"
        assert question.could_raise_to == book.rules[question.rule_id].outcome
        assert book.rules[question.rule_id].regime == question.regime
    for regime in result.regimes.values():
        for exemption in regime.possible_exemptions:
            assert exemption.rule_id in fired, f"possible exemption {exemption.rule_id} never holds"
    assert result.provisional == (rank(result.verdict) < rank(result.ceiling or "clear"))


def test_unknown_export_classification_exact() -> None:
    """EAR (15 CFR 734.13(b), 734.15; part 738): technology released to PRC engineers whose
    classification is unknown (licence needed for the country or not, exception or not) is at least
    `covered` on every reading (a release occurs) and `filing_required` where a licence is
    needed; an earlier rule waited for "EAR99, no licence or an exception" to be known and left
    the regime `clear` (an under-call found by the property test's enumeration)."""
    for blank in (
        ["export.licence_required_for_country"],
        ["export.licence_exception"],
        ["export.licence_required_for_country", "export.licence_exception"],
    ):
        case = _case("ridgeline-ion-implant-licence-prc-engineers.yaml", blank)
        check_completions(*case)
        record, partial, _ = case
        regime = assemble(record, _book(), run_rules(_book(), partial)).regimes["ear"]
        assert regime.verdict in ("covered", "filing_required"), (blank, regime.verdict)
