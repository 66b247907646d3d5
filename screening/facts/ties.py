"""Risk-factor facts about the investor: ties to a country of concern and government control.

These feed the written risk-factor policy of ``filing_advised`` (docs/regimes/cfius_800.md):
they are screening judgments resting on 31 CFR 800.102 (threat: the intent and capability of
the foreign person), not coverage tests. Both are three-valued: ``None`` where the record does
not settle the answer.

A *tie to a country of concern*: the investor, or any person controlling it or holding 10% or
more at any level of its ownership chain (owners of 10% or more, parents, recorded controllers,
and a fund's limited partners of 10% or more), is organized in, has its principal place of
business in, or (for individuals) is a national or resident of a country on the list
``countries_of_concern_cfius``. The explanation names the chain link that ties the investor.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from screening.facts.ownership import StateBounds, is_parent, lp_foreign, others_max
from screening.facts.sections.base import HUNDRED, Tri, and3, field_or_none, or3
from screening.model.deal import Controller, LimitedPartner, Owner, Party, PartyKind
from screening.model.numbers import Num, ge, render

_NAMES = {
    "CN": "PRC",
    "HK": "Hong Kong",
    "MO": "Macau",
    "RU": "Russian",
    "IR": "Iranian",
    "KP": "North Korean",
    "CU": "Cuban",
    "VE": "Venezuelan",
}

Node = Party | Owner | Controller | LimitedPartner


@dataclass
class Ties:
    """The outcome of the tie search: a three-valued answer and the links that tie."""

    tied: Tri = False
    links: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)


def _label(node: Node) -> str:
    country = getattr(node, "country", None)
    return f"{node.name} ({country})" if country else node.name


def _own_tie(node: Node, coc: AbstractSet[str]) -> tuple[Tri, str]:
    """Whether a person is itself tied to a country of concern, and how."""
    kind = node.kind
    if kind == PartyKind.individual:
        nats: Sequence[str] | None = getattr(node, "nationalities", None) or (
            [node.country] if node.country else None
        )
        residences: Sequence[str] | None = getattr(node, "residences", None)
        hit_nat = sorted(set(nats or []) & coc)
        if hit_nat:
            return True, f"{node.name}, a {_NAMES.get(hit_nat[0], hit_nat[0])} national"
        hit_res = sorted(set(residences or []) & coc)
        if hit_res:
            return True, f"{node.name}, a resident of {hit_res[0]}"
        if nats is None or residences is None:
            return None, f"nationality or residence of {node.name}"
        return False, ""
    if kind == PartyKind.government:
        if node.country is None:
            return None, f"state of {node.name}"
        if node.country in coc:
            return True, f"{node.name}, the government of {node.country}"
        return False, ""
    if node.country is not None and node.country in coc:
        return True, f"{node.name}, organized in {node.country}"
    ppb = getattr(node, "principal_place_of_business", None)
    if ppb is not None and ppb in coc:
        return True, f"{_label(node)}, with its principal place of business in {ppb}"
    if node.country is None or ppb is None:
        return None, f"country of organization or principal place of business of {node.name}"
    return False, ""


def _relevant(owner: Owner | LimitedPartner) -> Tri:
    """Whether a holder counts: it controls (a parent) or holds 10% or more."""
    voting = getattr(owner, "voting_pct", None)
    equity = owner.equity_pct
    gp = bool(getattr(owner, "is_general_partner", None))
    parent: Tri = is_parent(owner) if isinstance(owner, Owner) else None
    return or3([parent, gp, ge(voting, 10), ge(equity, 10)])


def _how(owner: Owner | LimitedPartner) -> str:
    voting = getattr(owner, "voting_pct", None)
    if getattr(owner, "is_general_partner", None):
        return "is the general partner of"
    if isinstance(owner, LimitedPartner):
        pct = owner.equity_pct
        return f"is a limited partner ({_pct(pct)}) of" if pct is not None else "is an LP of"
    pct = voting if voting is not None else owner.equity_pct
    if pct is None:
        return "holds an unknown share of"
    return f"{'controls' if ge(pct, 50) else 'holds'} {_pct(pct)} of"


def _pct(p: Num | None) -> str:
    return "?" if p is None else render(p, "%")


def _fixed(text: str) -> Callable[[], str]:
    """A path down to the investor already written."""
    return lambda: text


_NOWHERE = _fixed("")


def _via(
    who: str, holder: Owner | LimitedPartner | None, node: Node, below: Callable[[], str]
) -> Callable[[], str]:
    """The path down to the investor from a person who controls (``holder`` None) or holds
    ``node``, written only when a link is found (most searches find none): the words are those
    of the record as it is, which the derivation does not change."""

    def written() -> str:
        how = "controls" if holder is None else _how(holder)
        return f", {who} {how} {_label(node)}{below()}"

    return written


def _search(
    node: Node, coc: AbstractSet[str], below: Callable[[], str], out: Ties, depth: int = 0
) -> Tri:
    """Search one person and everyone above it; ``below()`` renders the path down to the
    investor."""
    if depth > 20:
        out.unknown.append(f"ownership chain above {node.name} is deeper than 20 levels")
        return None
    results: list[Tri] = []
    own, how = _own_tie(node, coc)
    if own:
        out.links.append(how + below())
    elif own is None:
        out.unknown.append(how)
    results.append(own)
    controller = getattr(node, "controlled_by", None)
    if controller is not None:
        who = "who" if controller.kind == PartyKind.individual else "which"
        results.append(_search(controller, coc, _via(who, None, node, below), out, depth + 1))
    if node.kind in (PartyKind.individual, PartyKind.government):
        return or3(results)
    if (
        field_or_none(node, "controlled_by_foreign_person")
        and controller is None
        and not any(is_parent(o) for o in getattr(node, "owners", None) or [])
    ):
        # A foreign person controls the entity (wherever organized) other than through a recorded
        # parent, and the record does not say who.
        out.unknown.append(f"who controls {node.name}")
        results.append(None)
    owners: list[Owner] | None = getattr(node, "owners", None)
    if owners is None and isinstance(node, Party | Owner):
        out.unknown.append(f"owners of {node.name}")
        results.append(None)
    complete = getattr(node, "owners_complete", True)
    if owners is not None and others_max(owners, complete) >= 10:
        # Holders left off an incomplete owners list may hold 10% or more and be tied.
        out.unknown.append(f"holders left off the owners list of {node.name}")
        results.append(None)
    for owner in owners or []:
        relevant = _relevant(owner)
        if relevant is False:
            continue
        who = "who" if owner.kind == PartyKind.individual else "which"
        found = _search(owner, coc, _via(who, owner, node, below), out, depth + 1)
        results.append(and3([relevant, found]))
    if isinstance(node, Party) and node.kind == PartyKind.fund and node.limited_partners is None:
        # The policy counts limited partners of 10% or more; unrecorded ones may be tied.
        out.unknown.append(f"limited partners of {node.name}")
        results.append(None)
    for lp in field_or_none(node, "limited_partners") or []:
        relevant = _relevant(lp)
        if relevant is False:
            continue
        who = "who" if lp.kind == PartyKind.individual else "which"
        found = _search(lp, coc, _via(who, lp, node, below), out, depth + 1)
        results.append(and3([relevant, found]))
    return or3(results)


def country_of_concern_ties(party: Party, coc: AbstractSet[str]) -> Ties:
    """Ties of the investor to a country of concern through its control and ownership chain."""
    out = Ties()
    out.tied = _search(party, coc, _NOWHERE, out)
    out.links = sorted(set(out.links), key=lambda s: (len(s), s))
    out.unknown = sorted(set(out.unknown))
    return out


def government_control(
    party: Party, bounds: StateBounds, counts: Callable[[str], bool]
) -> tuple[Tri, str]:
    """Whether a foreign government of a counted state controls the investor, and how.

    Counted per state on the attributed interest: the investor is such a government; a single
    counted state's governments hold 49% or more of it through the chain (800.244, parents as
    100%); a parent or recorded controller is such a government or a state-owned enterprise of
    such a state. A state-owned enterprise with no recorded government owner is taken to be
    controlled by the government of its country of organization.
    """
    if party.kind == PartyKind.government:
        if party.country is None:
            return None, ""
        return counts(party.country), f"{party.name} is the government of {party.country}"
    results: list[Tri] = []
    why = ""
    by_interest = bounds.decide(counts, Decimal(49))
    if by_interest:
        state = max(
            (s for s in bounds.low if counts(s)), key=lambda s: (bounds.low[s], s), default=""
        )
        why = f"the governments of {state} hold {_pct(bounds.low.get(state))} of {party.name}"
    results.append(by_interest)
    results.append(_gov_controller(party.controlled_by, counts))
    if party.kind == PartyKind.state_owned_enterprise and not any(bounds.high.values()):
        soe: Tri = None if party.country is None else counts(party.country)
        results.append(soe)
        if soe and not why:
            why = f"{party.name} is a state-owned enterprise of {party.country}"
    for owner, tri in _parent_govs(party.owners, counts, party.owners_complete):
        results.append(tri)
        if tri and not why:
            why = f"{owner} controls {party.name}"
    if results[1] and not why and party.controlled_by is not None:
        why = f"{party.controlled_by.name} controls {party.name}"
    return or3(results), why


def _gov_controller(controller: Controller | None, counts: Callable[[str], bool]) -> Tri:
    if controller is None:
        return False
    if controller.kind in (PartyKind.government, PartyKind.state_owned_enterprise):
        return None if controller.country is None else counts(controller.country)
    return _gov_controller(controller.controlled_by, counts)


def _parent_govs(
    owners: list[Owner] | None, counts: Callable[[str], bool], complete: bool = True
) -> list[tuple[str, Tri]]:
    out: list[tuple[str, Tri]] = []
    if owners is not None and others_max(owners, complete) >= 50:
        # A holder left off an incomplete owners list could be a government parent.
        out.append(("a holder not listed", None))
    for owner in owners or []:
        parent = is_parent(owner)
        if parent is False:
            continue
        if owner.kind in (PartyKind.government, PartyKind.state_owned_enterprise):
            tri: Tri = None if owner.country is None else counts(owner.country)
            out.append((_label(owner), and3([parent, tri])))
        out.extend(
            (name, and3([parent, t]))
            for name, t in _parent_govs(owner.owners, counts, owner.owners_complete)
        )
        if owner.controlled_by is not None:
            out.append(
                (_label(owner), and3([parent, _gov_controller(owner.controlled_by, counts)]))
            )
    return out


def lp_facts(party: Party, coc: AbstractSet[str] | None = None) -> dict[str, Any]:
    """Facts about a fund investor's foreign limited partners (800.307, 800.401(j)(3)).

    ``foreign_lp_coc_tie``: a foreign LP that gets MNPTI, an 800.211(b) right or control of the
    fund (so has its own covered investment in a TID business) is tied to a country of concern,
    tested on that LP and everyone controlling or holding 10% or more of it.
    """
    lps = party.limited_partners
    if lps is None:
        return {
            "foreign_lp_with_rights": None,
            "foreign_lp_ct_authorization": None,
            "foreign_lp_coc_tie": None,
            "foreign_lp_coc_tie_link": None,
        }
    with_rights: list[Tri] = []
    authorization: list[Tri] = []
    tied: list[Tri] = []
    links: list[str] = []
    for lp in lps:
        foreign = lp_foreign(lp)
        rights = or3([lp.mnpti_access, lp.portfolio_rights, lp.controls_fund])
        with_rights.append(and3([foreign, rights]))
        authorization.append(and3([foreign, rights, lp.ct_authorization_required]))
        if coc is not None and and3([foreign, rights]) is not False:
            out = Ties()
            found = _search(
                lp, coc, _fixed(f", a limited partner of {party.name} with rights"), out
            )
            tied.append(and3([foreign, rights, found]))
            if found:
                links.extend(out.links)
    return {
        "foreign_lp_with_rights": or3(with_rights),
        "foreign_lp_ct_authorization": or3(authorization),
        "foreign_lp_coc_tie": or3(tied),
        "foreign_lp_coc_tie_link": "; ".join(sorted(set(links), key=lambda x: (len(x), x))[:3])
        or None,
    }


__all__ = ["HUNDRED", "Ties", "country_of_concern_ties", "government_control", "lp_facts"]
