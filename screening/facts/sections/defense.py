"""Fact-view section `defense`: batteries bought with DoD funds (FY2024 NDAA s.154).

A maker is "named" when the investor in a supply partnership (or any owner in its chains), or a
recorded cell maker, matches an entry of ``ndaa_154_battery_entities`` as a word sequence. The
date DoD funds can no longer buy such batteries is the entries' ``dod_procurement_from``
attribute (Oct. 1, 2027 [src]).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from screening.facts.sections.base import Section, Tri, built, fact
from screening.model.deal import Owner
from screening.model.ext.defense import DefenseSupply
from screening.model.reference import References

BATTERY_NAICS = ("33591", "335999", "336320")


class DefenseFacts(Section):
    """Facts the `dod_batteries` rules read."""

    recorded: bool | None = fact(
        "the deal records defence battery supply"  # unknown: none recorded, battery business
    )
    supplies_dod: bool | None = fact("the target supplies batteries or end items to DoD")
    named_maker: bool | None = fact("a maker of the cells is named in FY2024 NDAA s.154(b)")
    named_makers: str | None = fact("the named makers matched")
    supply_until: dt.date | None = fact("last delivery to defence customers")
    ban_from: dt.date | None = fact("DoD funds may not buy such batteries from")


def _matches(name: str, names: dict[str, str]) -> list[str]:
    return sorted(
        {v for n, v in names.items() if re.search(rf"\b{re.escape(n)}\b", name, re.IGNORECASE)}
    )


def _chain(owners: list[Owner] | None) -> list[str]:
    out: list[str] = []
    for o in owners or []:
        out.append(o.name)
        out.extend(_chain(o.owners))
    return out


def derive(
    deal: Any, references: References, as_of: dt.date
) -> tuple[DefenseFacts, dict[str, str]]:
    """Compute the section from a deal record."""
    ds: DefenseSupply | None = deal.defense_supply
    if ds is None:
        naics = deal.target.naics
        hint: Tri = None if naics is None else naics.startswith(BATTERY_NAICS)
        return built(DefenseFacts, recorded=None if hint is not False else False), {
            "defense.recorded": "no defense_supply block in the deal"
            + {
                True: "; the target is a battery business (NAICS)",
                False: "",
                None: "; the target's NAICS code is unknown",
            }[hint]
        }
    table = references.get("ndaa_154_battery_entities")
    entries = list(table.entries) if table else []
    names = {e.value: e.value for e in entries}
    names.update({str(a): e.value for e in entries for a in e.attributes.get("aliases", [])})
    ban = None
    for e in entries:
        raw = e.attributes.get("dod_procurement_from")
        if raw is not None:
            ban = dt.date.fromisoformat(str(raw))
    candidates = list(ds.cell_makers or [])
    if deal.kind == "supply_partnership":
        candidates += [deal.investor.name, *_chain(deal.investor.owners)]
    hits = sorted({f"{c} ({n})" for c in candidates for n in _matches(c, names)})
    named: Tri = True if hits else (None if ds.cell_makers is None else False)
    d = {
        "defense.named_maker": (
            ("matched: " + "; ".join(hits))
            if hits
            else "no maker named in s.154(b) among "
            + (", ".join(candidates) if candidates else "the recorded makers")
        )
    }
    return (
        built(
            DefenseFacts,
            recorded=True,
            supplies_dod=ds.supplies_dod,
            named_maker=named,
            named_makers="; ".join(hits) or None,
            supply_until=ds.supply_until,
            ban_from=ban,
        ),
        d,
    )
