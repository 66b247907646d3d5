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

A member is screened for every regime that binds it as a person: CFIUS (parts 800 and 802)
always, and, when it is or may be a U.S. person, the outbound rules (part 850: the prohibitions
and notices bind each U.S. person that undertakes a covered transaction, 850.210, 850.302-303)
and the data security rule (part 202: its prohibitions bind each U.S. person, 202.301-302).

A co-investor with no ``rights`` block whose ``acquires_in_deal`` is not recorded and which holds
a voting stake may be a party acquiring (800.236(a)(1): "the person acquiring the ownership
interest"; 800.401(a)): it is screened as a member whose rights are not known, for the ceiling
only, with an open question. Two members controlled by the governments of one foreign state are
never taken to act alone: 800.208(b) weighs "whether they are agencies or instrumentalities of the
national or subnational governments of a single foreign state" - their concert is unknown.

The deal-level result keeps the investor's screening and raises each member regime to the
highest member floor; the deal's open questions gain the member questions that could raise it
further. Floors and ceilings combine by maximum, so unknowns stay unknown and the result is never
lower than the investor's own. Other regimes describe the deal's relation to the record's
investor (its supply terms, export releases, credits) and are the investor's alone.

This module never imports :mod:`screening.engine.run`; ``run.screen`` passes a function that
screens one member record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from screening.engine.verdict import (
    VERDICTS,
    Consortium,
    MemberResult,
    OpenQuestion,
    RegimeResult,
    ScreeningResult,
    build,
    rank,
)
from screening.facts.gates import REVIEW_J, applies
from screening.facts.ownership import excepted_investor, foreign_person, state_bounds
from screening.model.deal import CoInvestor, DealRecord, Party, PriorPosition, Rights
from screening.model.numbers import Range
from screening.model.numbers import jsonable as range_json
from screening.model.reference import References

CFIUS_REGIMES = ("cfius_800", "cfius_802")
US_PERSON_REGIMES = ("outbound_850", "dsp_202")
MEMBER_REGIMES = CFIUS_REGIMES + US_PERSON_REGIMES
"""Every regime a member can be screened for; which bind a member: :func:`member_regimes`."""
BASIS = (
    "Each foreign person acquiring an interest is screened on its own: its own foreign-person "
    "and excepted status, government ownership (800.244 aggregates no concert partners) and "
    "rights, with the others as co-investors acting in concert as recorded (800.208(b)). A "
    "mandatory declaration is owed by the parties to each transaction 800.401(b) or (c) "
    "describes, tested per foreign person acquiring (800.401(a); 800.236(a)(1); compare example "
    "800.401(j)(3)); the parties may submit one declaration together (800.403(a)); 800.404(b) "
    "provides for a declaration submitted by fewer than all parties. A member that is or may be "
    "a U.S. person is also screened for the outbound rules (850.210, 850.302-303), which bind "
    "each U.S. person; every member is screened for the data security rule as the counterparty "
    "of its own record (202.210, 202.211, 202.301-302)."
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


def _us_person(party: Party) -> bool | None:
    """Whether a party is a U.S. person (850.229, 202.256), as far as the record says."""
    if str(party.kind) == "individual":
        nats = party.nationalities or ([party.country] if party.country else None)
        return None if nats is None else ("US" in nats or None)  # residence not recorded
    if str(party.kind) == "government":
        return False
    return None if party.country is None else party.country == "US"


def member_regimes(party: Party) -> tuple[str, ...]:
    """The regimes a member is screened for: CFIUS; part 850 unless it is not a U.S. person;
    part 202 always: a U.S. member is bound by it, and a foreign member may be the covered
    person that gets access (202.210, 202.211; a U.S. person is never a covered person)."""
    if _us_person(party) is not False:
        return MEMBER_REGIMES
    # A foreign member's part 202 screening came with review J: under a rulebook that reads its
    # marker (screening/facts/gates.py); an older one screens it for CFIUS only.
    return (*CFIUS_REGIMES, "dsp_202") if applies(REVIEW_J) else CFIUS_REGIMES


def acquires(co: CoInvestor) -> bool | None:
    """Whether a co-investor acquires in the deal itself: with ``rights`` it does; else as
    ``acquires_in_deal`` records; not recorded, a voting stake leaves it unknown (800.236(a)(1))."""
    if co.rights is not None:
        return True
    if co.acquires_in_deal is not None:
        return co.acquires_in_deal
    voting = co.voting_pct
    if voting is None:
        return False
    if isinstance(voting, Range):
        return False if voting.max == 0 else None
    return None if voting > 0 else False


def is_consortium(deal: DealRecord) -> bool:
    """Whether any co-investor acquires, or may acquire, in the deal itself."""
    return any(acquires(co) is not False for co in deal.co_investors)


def _governing_states(party: Party) -> set[str]:
    """Foreign states whose governments control the party, or may (800.208(b)): a government
    or state-owned enterprise of a country, or governments of one state with a majority."""
    states: set[str] = set()
    if str(party.kind) in ("government", "state_owned_enterprise") and party.country:
        states.add(party.country)
    bounds = state_bounds(party.kind, party.country, party.owners, party.name, [])
    states.update(s for s, pct in bounds.low.items() if pct > 50)
    return states - {"US"}


# The governing states of the parties of one deal, worked out once each (by the party's id,
# with the party itself, which the deal holds alive while it is combined).
_States = dict[int, tuple[Party, set[str]]]


def _states_of(party: Party, states: _States | None) -> set[str]:
    """:func:`_governing_states`, kept in ``states`` (read, never changed)."""
    if states is None:
        return _governing_states(party)
    kept = states.get(id(party))
    if kept is None or kept[0] is not party:
        kept = states[id(party)] = (party, _governing_states(party))
    return kept[1]


def same_state(a: Party, b: Party, states: _States | None = None) -> set[str]:
    """States whose governments control both parties (800.208(b)), as far as the record says.
    ``states``: each party's states as worked out for one deal (see :func:`combine`)."""
    return _states_of(a, states) & _states_of(b, states)


def _concert(a: CoInvestor, b: CoInvestor, states: _States | None = None) -> bool | None:
    """Whether two co-investors act in concert with each other, as far as the record says."""
    said = [
        None if x.concert_with is None else y.party.name in x.concert_with
        for x, y in ((a, b), (b, a))
    ]
    if True in said:
        return True
    if False in said:
        # 800.208(b): instrumentalities of one state; saying "alone" does not settle it
        return None if same_state(a.party, b.party, states) else False
    if a.acts_in_concert is True and b.acts_in_concert is True:
        return True  # both act with the investor: one group
    return None


UNKNOWN_PRIOR = PriorPosition(rights=Rights(), clearances=None)
"""A position before the deal of which nothing is known: every right and clearance unknown."""


UNKNOWN_PRIOR_MARKER = "deal.prior_investment_cleared"
"""A three-valued clearance fact: a rulebook that reads it is written for a member position
that is not known (:func:`member_prior`). One that does not (0.1.0, commit 604eb76) screens a
member with no ``prior`` as holding nothing before the deal, as it did when its screenings were
recorded, so that they replay exactly (screening/facts/gates.py; docs/audit.md, Replay)."""


def member_prior(member: CoInvestor) -> PriorPosition | None:
    """What a member held before the deal, for its own screening: its recorded ``prior``;
    nothing (``None``, as an investor's record without ``prior``) when ``held_before`` is false;
    otherwise not known. The record's own ``prior`` is the investor's and never the member's:
    a member topping up a stake CFIUS cleared, with no new 800.211(b) right, is not a covered
    investment (800.304(f)(2)), and one whose control CFIUS cleared is not covered (800.305),
    so an unrecorded position leaves those open rather than counting every right as new."""
    if member.prior is not None:
        return member.prior
    if member.held_before is False or not applies(UNKNOWN_PRIOR_MARKER):
        return None
    return UNKNOWN_PRIOR


def member_record(deal: DealRecord, position: int, *, states: _States | None = None) -> DealRecord:
    """The record that screens ``co_investors[position]`` as the investor of the deal (for the
    rulebook being screened: :func:`member_prior`). ``states``: see :func:`same_state`."""
    member = deal.co_investors[position]
    rights: Rights = member.rights if member.rights is not None else Rights()
    if rights.voting_pct is None and member.voting_pct is not None:
        rights = rights.model_copy(update={"voting_pct": member.voting_pct})
    with_lead = member.acts_in_concert
    if with_lead is not True and same_state(member.party, deal.investor, states):
        with_lead = None  # 800.208(b): instrumentalities of one state
    others = [
        CoInvestor(
            party=deal.investor,
            voting_pct=deal.rights.voting_pct,
            acts_in_concert=with_lead,
        )
    ]
    for i, co in enumerate(deal.co_investors):
        if i != position:
            others.append(
                CoInvestor(
                    party=co.party,
                    voting_pct=co.voting,
                    acts_in_concert=_concert(member, co, states),
                )
            )
    update: dict[str, Any] = {
        "investor": member.party,
        "rights": rights,
        "co_investors": others,
        "prior": member_prior(member),
        "expected": None,
    }
    if "supply_terms" in type(deal).model_fields:
        update["supply_terms"] = None  # the supply terms are the investor's
    outbound = getattr(deal, "outbound", None)
    if outbound is not None and outbound.us_person is not None:
        # the recorded override is the investor's; the member's status comes from its party
        update["outbound"] = outbound.model_copy(update={"us_person": None})
    return deal.model_copy(update=update)


_RANK = {level: rank(level) for level in VERDICTS}
_BY_RANK = _RANK.__getitem__  # rank() as a key, without a call of it per level
"""Levels by rank (one level per rank: a maximum by it is the same in any order)."""

# Per regime, the highest of its ceiling (its verdict in a result without ceilings) and of its
# open questions' outcomes, for the regimes of one result that have any (see _ceilings).
_Ceilings = dict[str, str]


def _ceilings(result: ScreeningResult) -> _Ceilings:
    """Each regime's :func:`_ceiling` in ``result`` (those with a level or a question), at once."""
    out: _Ceilings = {}
    for rid, regime in result.regimes.items():
        given = getattr(regime, "ceiling", None)
        out[rid] = given if isinstance(given, str) else regime.verdict
    for q in result.open_questions:
        had = out.get(q.regime)
        if had is None or _RANK[q.outcome] > _RANK[had]:
            out[q.regime] = q.outcome
    return out


def _ceiling(
    result: ScreeningResult, regimes: tuple[str, ...], ceilings: _Ceilings | None = None
) -> str:
    """The highest level ``regimes`` could reach in ``result``: their ceilings and their open
    questions' outcomes (``ceilings``: :func:`_ceilings` of ``result``, if worked out)."""
    if ceilings is None:
        ceilings = _ceilings(result)
    return max((ceilings[r] for r in regimes if r in ceilings), key=_BY_RANK, default="clear")


def _floor(result: ScreeningResult, regimes: tuple[str, ...]) -> str:
    return max(
        (result.regimes[r].verdict for r in regimes if r in result.regimes),
        key=_BY_RANK,
        default="clear",
    )


def _excepted_states(references: References, as_of: dt.date) -> set[str]:
    """The excepted foreign states on a date (31 CFR 800.218), from the rulebook's list."""
    return set(references.values("excepted_foreign_states", as_of))


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
    ceiling_only: bool = False,
    excepted_states: set[str] | None = None,
    regimes: tuple[str, ...] | None = None,
    ceilings: _Ceilings | None = None,
) -> MemberResult:
    """The member's own duty (``regimes``: its :func:`member_regimes`; ``ceilings``: those of
    ``result``, :func:`_ceilings`; each worked out here if not given)."""
    if regimes is None:
        regimes = member_regimes(party)
    own_floor = _floor(result, regimes)
    top = max(own_floor, _ceiling(result, regimes, ceilings), key=_BY_RANK)
    floor = "clear" if ceiling_only else own_floor
    decisive = sorted(
        {
            rule
            for rid in regimes
            if rid in result.regimes and result.regimes[rid].verdict == floor
            for rule in result.regimes[rid].rules
        }
    )
    questions = sorted({q.rule_id for q in result.open_questions if q.regime in regimes})
    if ceiling_only and rank(top) > rank(floor):
        questions.append(ACQUIRES_RULE)
    if excepted_states is None:
        excepted_states = _excepted_states(references, as_of)
    at_floor = [r for r in regimes if r in result.regimes and result.regimes[r].verdict == floor]
    if ceiling_only:
        decisive = []
    if rank(floor) == rank("clear") or any(r in CFIUS_REGIMES for r in at_floor):
        duty = _DUTY.get(floor, floor)
    else:
        duty = f"{floor} under {', '.join(at_floor)}"
    if ceiling_only:
        duty = "not known whether it acquires in the deal; if it does, its own screening applies"
    if rank(top) > rank(floor):
        duty += f"; could reach {top} ({len(questions)} open question(s))"
    return build(
        MemberResult,
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


_MEMBER_DEAL_FACTS = frozenset(
    {
        "deal.increases_voting",
        "deal.new_trigger_rights",
        "deal.prior_investment_clearance",
        "deal.prior_control_clearance",
        "deal.prior_investment_cleared",
        "deal.prior_control_cleared",
    }
)


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


ACQUIRES_RULE = "consortium.acquires_in_deal"
SAME_STATE_RULE = "consortium.same_state_instrumentalities"


def _only(result: ScreeningResult, regimes: tuple[str, ...]) -> ScreeningResult:
    """A member's screening cut to the regimes that bind it as a person."""
    return result.model_copy(
        update={
            "regimes": {r: v for r, v in result.regimes.items() if r in regimes},
            "open_questions": [q for q in result.open_questions if q.regime in regimes],
        }
    )


def _acquires_question(name: str, position: int, regime: str, level: str) -> OpenQuestion:
    return build(
        OpenQuestion,
        rule_id=ACQUIRES_RULE,
        regime=regime,
        outcome=level,
        citation="31 CFR 800.236(a)(1); 800.401(a)",
        title="A co-investor with a voting stake may acquire in the deal",
        question=(
            f"Does co-investor {name} (co_investors[{position}]) acquire its interest in this "
            f"deal? It holds a voting stake and the record does not say whether it already held "
            f"it; if it acquires, its own screening could reach {level} under {regime} "
            "(800.236(a)(1): the person acquiring the ownership interest; 800.401(a): the "
            "parties to a transaction)."
        ),
        unknown_facts=[f"co_investors[{position}].acquires_in_deal"],
    )


def _same_state_questions(
    deal: DealRecord,
    screened: list[tuple[int, ScreeningResult, bool | None]],
    verdicts: Mapping[str, str],
    states: _States | None = None,
) -> list[OpenQuestion]:
    """800.208(b): members controlled by one state's governments may control together
    (``verdicts``: the deal's verdict per regime, its members' floors included)."""
    parties = [(None, deal.investor)] + [(i, deal.co_investors[i].party) for i, _, _ in screened]
    out: list[OpenQuestion] = []
    for n, (i, a) in enumerate(parties):
        for j, b in parties[n + 1 :]:
            shared = same_state(a, b, states)
            if not shared:
                continue
            pair = [x for x in (i, j) if x is not None]
            tops = [_ceiling(own, ("cfius_800",)) for k, own, _t in screened if k in pair]
            top = max(tops, key=rank, default="clear")
            if "cfius_800" not in verdicts or rank(top) <= rank(verdicts["cfius_800"]):
                continue
            out.append(
                OpenQuestion(
                    rule_id=SAME_STATE_RULE,
                    regime="cfius_800",
                    outcome=top,
                    citation="31 CFR 800.208(b)",
                    title="Same-state instrumentalities: control by a group not excluded",
                    question=(
                        f"{a.name} and {b.name} are controlled, or may be, by the governments of "
                        f"{', '.join(sorted(shared))}: do they act together? 800.208(b) weighs "
                        '"whether they are agencies or instrumentalities of the national or '
                        'subnational governments of a single foreign state"; each saying it '
                        "acts alone does not settle it."
                    ),
                    unknown_facts=(
                        [f"co_investors[{j}].acts_in_concert"]
                        if i is None
                        else [f"co_investors[{i}].concert_with", f"co_investors[{j}].concert_with"]
                    ),
                )
            )
    return out


def combine(
    deal: DealRecord,
    result: ScreeningResult,
    references: References,
    screen_one: ScreenOne,
) -> ScreeningResult:
    """The deal's result with every consortium member's own CFIUS duty (unchanged if none).
    Run inside :func:`screening.facts.gates.rulebook_reading` for the rulebook screened.

    What the members share is worked out once: each party's governing states (800.208(b)),
    the excepted foreign states on the screening date; each regime result is copied once, with
    all it gains, and a question only when it changes."""
    if not is_consortium(deal):
        return result
    as_of = dt.date.fromisoformat(result.as_of)
    states: _States = {}
    excepted = _excepted_states(references, as_of)
    deal_ceilings = _ceilings(result)
    members = [
        _member(
            result,
            deal.investor,
            references,
            as_of,
            position=None,
            voting=deal.rights.voting_pct,
            concert=None,
            excepted_states=excepted,
            ceilings=deal_ceilings,
        )
    ]
    # (position, its screening, whether it acquires: True, or None = not known: ceiling only)
    screened: list[tuple[int, ScreeningResult, bool | None]] = []
    # Per member position: its member regimes and its screening's ceilings (_ceilings).
    bound: dict[int, tuple[tuple[str, ...], _Ceilings]] = {}
    for i, co in enumerate(deal.co_investors):
        takes = acquires(co)
        if takes is False:
            continue
        record = member_record(deal, i, states=states)
        binding = member_regimes(co.party)
        own = _only(screen_one(record), binding)
        screened.append((i, own, takes))
        bound[i] = (binding, _ceilings(own))
        members.append(
            _member(
                own,
                co.party,
                references,
                as_of,
                position=i,
                voting=record.rights.voting_pct,
                concert=co.acts_in_concert,
                ceiling_only=takes is None,
                excepted_states=excepted,
                regimes=binding,
                ceilings=bound[i][1],
            )
        )
    floors = [(i, own) for i, own, takes in screened if takes]
    regimes = dict(result.regimes)
    verdicts = {rid: regime.verdict for rid, regime in regimes.items()}
    updates: dict[str, dict[str, Any]] = {}  # per member regime, what its result gains
    for rid in MEMBER_REGIMES:
        if rid not in regimes:
            continue
        mine = regimes[rid]
        level = max(
            [
                mine.verdict,
                *(own.regimes[rid].verdict for _, own in floors if rid in own.regimes),
            ],
            key=_BY_RANK,
        )
        rules = set(mine.rules if mine.verdict == level else [])
        for _, own in floors:
            theirs = own.regimes.get(rid)
            if theirs is not None and theirs.verdict == level:
                rules.update(theirs.rules)
        update: dict[str, Any] = {"verdict": level, "rules": sorted(rules)}
        if "ceiling" in RegimeResult.model_fields:  # results with ceilings (floor invariant)
            update["ceiling"] = max(
                [
                    level,
                    deal_ceilings.get(rid, "clear"),  # _ceiling(result, (rid,))
                    *(bound[i][1].get(rid, "clear") for i, _own, _t in screened),
                ],
                key=_BY_RANK,
            )
        updates[rid] = update
        verdicts[rid] = level
    questions = [
        q
        for q in result.open_questions
        if q.regime not in MEMBER_REGIMES or _RANK[q.outcome] > _RANK[verdicts[q.regime]]
    ]
    # A member's question on facts the deal shares (the target's) is the investor's question
    # too: asked once. One on the member's own facts is named by its co-investor entry.
    seen = {(q.rule_id, tuple(q.unknown_facts)) for q in result.open_questions}
    for i, own, takes in screened:
        name = deal.co_investors[i].party.name
        if takes is None:  # its floors hold only if it acquires: each is a question
            for rid in bound[i][0]:
                if rid not in own.regimes or rid not in regimes:
                    continue
                top = max(own.regimes[rid].verdict, bound[i][1].get(rid, "clear"), key=_BY_RANK)
                if _RANK[top] > _RANK[verdicts[rid]]:
                    questions.append(_acquires_question(name, i, rid, top))
        for q in own.open_questions:
            if q.regime not in MEMBER_REGIMES or _RANK[q.outcome] <= _RANK[verdicts[q.regime]]:
                continue
            key = (q.rule_id, tuple([_member_path(f, i) for f in q.unknown_facts]))
            if key not in seen:
                seen.add(key)
                questions.append(_member_question(q, name, i))
    questions += _same_state_questions(deal, screened, verdicts, states)
    if "could_raise_to" in OpenQuestion.model_fields:
        questions = [
            _raising_to(q, max(q.outcome, verdicts[q.regime], key=_BY_RANK))
            if q.regime in MEMBER_REGIMES
            else q
            for q in questions
        ]
    for rid, regime in regimes.items():
        gains = updates.get(rid)
        if gains is not None:
            ceiling = gains.get("ceiling")
            regimes[rid] = regime.model_copy(
                update={
                    **gains,
                    "provisional": any(q.regime == rid for q in questions)
                    if ceiling is None
                    else _RANK[gains["verdict"]] < _RANK[ceiling],
                }
            )
    overall = max((r.verdict for r in regimes.values()), key=_BY_RANK, default="clear")
    consortium = build(
        Consortium,
        members=members,
        verdict=max((m.verdict for m in members), key=_BY_RANK),
        ceiling=max((m.ceiling for m in members), key=_BY_RANK),
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


def _raising_to(q: OpenQuestion, level: str) -> OpenQuestion:
    """The question with ``could_raise_to`` set to ``level`` (itself when it already says so:
    the copy would be equal, field for field, set fields included)."""
    if getattr(q, "could_raise_to", None) == level and "could_raise_to" in q.model_fields_set:
        return q
    return q.model_copy(update={"could_raise_to": level})
