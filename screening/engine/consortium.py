"""Consortia: several foreign investors acquiring in one transaction, each with its own duties.

A co-investor with a ``rights`` block is a consortium member: it acquires an interest in the
deal itself. Each foreign person that acquires has its own mandatory-declaration test (31 CFR
800.401(a): "the parties to a transaction described in paragraph (b) or (c)"; (b)(1) and (c)(1)
test the foreign person acquiring; example 800.401(j)(3) gives one of two investors in one
transaction a duty the other lacks), and the parties may submit one declaration together
(800.403(a): "a party or parties submitting a declaration"). So each member is screened as the
investor of its own record: its own party (foreign-person and excepted status, government
ownership, country ties: 800.224, 800.219, 800.244 — which aggregates no concert partners), its
own rights, and the others as its co-investors with their concert status as recorded (control
by a group acting in concert, 800.208(b), (e)(1)).

The deal-level result keeps the investor's screening and raises each CFIUS regime (parts 800
and 802) to the highest member floor; the deal's open questions gain the member questions that
could raise it further. Floors and ceilings combine by maximum, so unknowns stay unknown and the
result is never lower than the investor's own. Other regimes describe the deal's relation to the
record's investor (its supply terms, export releases, credits) and are the investor's alone.

This module never imports :mod:`screening.engine.run`; ``run.screen`` passes a function that
screens one member record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from screening.engine.verdict import (
    Consortium,
    MemberResult,
    OpenQuestion,
    RegimeResult,
    ScreeningResult,
    rank,
)
from screening.facts.ownership import excepted_investor, foreign_person
from screening.model.deal import CoInvestor, DealRecord, Party, Rights
from screening.model.numbers import Range
from screening.model.numbers import jsonable as range_json
from screening.model.reference import References

MEMBER_REGIMES = ("cfius_800", "cfius_802")
BASIS = (
    "Each foreign person acquiring an interest is screened on its own: its own foreign-person "
    "and excepted status, government ownership (800.244 aggregates no concert partners) and "
    "rights, with the others as co-investors acting in concert as recorded (800.208(b)). A "
    "mandatory declaration is owed by the parties to each transaction 800.401(b) or (c) "
    "describes, tested per foreign person (800.401(a); example 800.401(j)(3)); the parties may "
    "submit one declaration together (800.403(a))."
)
_DUTY = {
    "prohibited": "prohibited as structured",
    "filing_required": "mandatory declaration (31 CFR 800.401; a notice may be filed instead, "
    "800.401(f))",
    "filing_advised": "no mandatory filing; a voluntary notice or declaration is advised",
    "covered": "covered transaction; no mandatory filing",
    "clear": "no CFIUS jurisdiction found",
    "not_in_force": "no CFIUS rule in force on the screening date",
}

ScreenOne = Callable[[DealRecord], ScreeningResult]


def is_consortium(deal: DealRecord) -> bool:
    """Whether any co-investor acquires in the deal itself (has a ``rights`` block)."""
    return any(co.rights is not None for co in deal.co_investors)


def _concert(a: CoInvestor, b: CoInvestor) -> bool | None:
    """Whether two co-investors act in concert with each other, as far as the record says."""
    said = [
        None if x.concert_with is None else y.party.name in x.concert_with
        for x, y in ((a, b), (b, a))
    ]
    if True in said:
        return True
    if False in said:
        return False
    if a.acts_in_concert is True and b.acts_in_concert is True:
        return True  # both act with the investor: one group
    return None


def member_record(deal: DealRecord, position: int) -> DealRecord:
    """The record that screens ``co_investors[position]`` as the investor of the deal."""
    member = deal.co_investors[position]
    assert member.rights is not None
    rights: Rights = member.rights
    if rights.voting_pct is None and member.voting_pct is not None:
        rights = rights.model_copy(update={"voting_pct": member.voting_pct})
    others = [
        CoInvestor(
            party=deal.investor,
            voting_pct=deal.rights.voting_pct,
            acts_in_concert=member.acts_in_concert,
        )
    ]
    for i, co in enumerate(deal.co_investors):
        if i != position:
            others.append(
                CoInvestor(
                    party=co.party, voting_pct=co.voting, acts_in_concert=_concert(member, co)
                )
            )
    update: dict[str, Any] = {
        "investor": member.party,
        "rights": rights,
        "co_investors": others,
        "prior": None,  # the record's `prior` is the investor's earlier position
        "expected": None,
    }
    if "supply_terms" in type(deal).model_fields:
        update["supply_terms"] = None  # the supply terms are the investor's
    return deal.model_copy(update=update)


def _ceiling(result: ScreeningResult, regimes: tuple[str, ...]) -> str:
    levels = []
    for rid in regimes:
        regime = result.regimes.get(rid)
        if regime is None:
            continue
        given = getattr(regime, "ceiling", None)
        levels.append(given if isinstance(given, str) else regime.verdict)
    levels += [q.outcome for q in result.open_questions if q.regime in regimes]
    return max(levels, key=rank, default="clear")


def _floor(result: ScreeningResult, regimes: tuple[str, ...]) -> str:
    return max(
        (result.regimes[r].verdict for r in regimes if r in result.regimes),
        key=rank,
        default="clear",
    )


def _pct(value: Any) -> Any:
    return (
        range_json(value) if isinstance(value, Range) else (None if value is None else str(value))
    )


def _member(
    result: ScreeningResult,
    party: Party,
    references: References,
    as_of: dt.date,
    *,
    position: int | None,
    voting: Any,
    concert: bool | None,
) -> MemberResult:
    floor = _floor(result, MEMBER_REGIMES)
    top = max(floor, _ceiling(result, MEMBER_REGIMES), key=rank)
    decisive = sorted(
        {
            rule
            for rid in MEMBER_REGIMES
            if rid in result.regimes and result.regimes[rid].verdict == floor
            for rule in result.regimes[rid].rules
        }
    )
    questions = sorted({q.rule_id for q in result.open_questions if q.regime in MEMBER_REGIMES})
    excepted_states = set(references.values("excepted_foreign_states", as_of))
    duty = _DUTY.get(floor, floor)
    if rank(top) > rank(floor):
        duty += f"; could reach {top} ({len(questions)} open question(s))"
    return MemberResult(
        position=position,
        name=party.name,
        role="investor" if position is None else "co_investor",
        country=party.country,
        acts_in_concert=concert,
        voting_pct=_pct(voting),
        foreign_person=foreign_person(party, []),
        excepted_investor=excepted_investor(party, excepted_states, []),
        verdict=floor,
        ceiling=top,
        provisional=rank(top) > rank(floor),
        duty=duty,
        rules=decisive,
        open_questions=questions,
    )


_MEMBER_DEAL_FACTS = frozenset({"deal.increases_voting", "deal.new_trigger_rights"})


def _member_path(path: str, position: int) -> str:
    """A member's own facts (its party, its rights and what they change) named by its entry."""
    if path.split(".", 1)[0] in ("investor", "rights") or path in _MEMBER_DEAL_FACTS:
        return f"co_investors[{position}].{path}"
    return path


def _member_question(q: OpenQuestion, name: str, position: int) -> OpenQuestion:
    return q.model_copy(
        update={
            "question": f"For co-investor {name} (co_investors[{position}]): {q.question}",
            "unknown_facts": [_member_path(f, position) for f in q.unknown_facts],
        }
    )


def combine(
    deal: DealRecord,
    result: ScreeningResult,
    references: References,
    screen_one: ScreenOne,
) -> ScreeningResult:
    """The deal's result with every consortium member's own CFIUS duty (unchanged if none)."""
    if not is_consortium(deal):
        return result
    as_of = dt.date.fromisoformat(result.as_of)
    members = [
        _member(
            result,
            deal.investor,
            references,
            as_of,
            position=None,
            voting=deal.rights.voting_pct,
            concert=None,
        )
    ]
    screened: list[tuple[int, ScreeningResult]] = []
    for i, co in enumerate(deal.co_investors):
        if co.rights is None:
            continue
        record = member_record(deal, i)
        own = screen_one(record)
        screened.append((i, own))
        members.append(
            _member(
                own,
                co.party,
                references,
                as_of,
                position=i,
                voting=record.rights.voting_pct,
                concert=co.acts_in_concert,
            )
        )
    regimes = dict(result.regimes)
    for rid in MEMBER_REGIMES:
        if rid not in regimes:
            continue
        mine = regimes[rid]
        level = max(
            [
                mine.verdict,
                *(own.regimes[rid].verdict for _, own in screened if rid in own.regimes),
            ],
            key=rank,
        )
        rules = set(mine.rules if mine.verdict == level else [])
        for _, own in screened:
            theirs = own.regimes.get(rid)
            if theirs is not None and theirs.verdict == level:
                rules.update(theirs.rules)
        update: dict[str, Any] = {"verdict": level, "rules": sorted(rules)}
        if "ceiling" in RegimeResult.model_fields:  # results with ceilings (floor invariant)
            update["ceiling"] = max(
                [
                    level,
                    _ceiling(result, (rid,)),
                    *(_ceiling(own, (rid,)) for _, own in screened),
                ],
                key=rank,
            )
        regimes[rid] = mine.model_copy(update=update)
    questions = [
        q
        for q in result.open_questions
        if q.regime not in MEMBER_REGIMES or rank(q.outcome) > rank(regimes[q.regime].verdict)
    ]
    # A member's question on facts the deal shares (the target's) is the investor's question
    # too: asked once. One on the member's own facts is named by its co-investor entry.
    seen = {(q.rule_id, tuple(q.unknown_facts)) for q in result.open_questions}
    for i, own in screened:
        for q in own.open_questions:
            asked = _member_question(q, deal.co_investors[i].party.name, i)
            key = (asked.rule_id, tuple(asked.unknown_facts))
            if (
                q.regime in MEMBER_REGIMES
                and key not in seen
                and rank(q.outcome) > rank(regimes[q.regime].verdict)
            ):
                seen.add(key)
                questions.append(asked)
    if "could_raise_to" in OpenQuestion.model_fields:
        questions = [
            q.model_copy(
                update={"could_raise_to": max(q.outcome, regimes[q.regime].verdict, key=rank)}
            )
            if q.regime in MEMBER_REGIMES
            else q
            for q in questions
        ]
    for rid, regime in regimes.items():
        if rid in MEMBER_REGIMES:
            ceiling = getattr(regime, "ceiling", None)
            regimes[rid] = regime.model_copy(
                update={
                    "provisional": any(q.regime == rid for q in questions)
                    if ceiling is None
                    else rank(regime.verdict) < rank(ceiling)
                }
            )
    overall = max((r.verdict for r in regimes.values()), key=rank, default="clear")
    consortium = Consortium(
        members=members,
        verdict=max((m.verdict for m in members), key=rank),
        ceiling=max((m.ceiling for m in members), key=rank),
        basis=BASIS,
    )
    update = {
        "regimes": regimes,
        "open_questions": questions,
        "verdict": max(result.verdict, overall, key=rank),
        "provisional": bool(questions),
        "consortium": consortium,
    }
    if "ceiling" in ScreeningResult.model_fields:
        ceilings = [getattr(r, "ceiling", None) or r.verdict for r in regimes.values()]
        update["ceiling"] = max([update["verdict"], *ceilings], key=rank)
        update["provisional"] = rank(update["ceiling"]) > rank(update["verdict"])
    return result.model_copy(update=update)
