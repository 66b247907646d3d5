"""Fact views built without validation (``sections.base.built``) are the validated fact views."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from screening import Deal, load_deal, load_rulebook
from screening.authoring.fixtures_gen import generate
from screening.engine.run import resolve_as_of
from screening.facts.derive import derive
from screening.facts.sections import base
from screening.facts.sections.base import AtLeast, built
from screening.facts.sections.parties import PartyFacts
from screening.facts.view import FactView, InvestorFacts, RightsFacts

FIXTURES = sorted(Path("fixtures/deals").glob("*.yaml"))


def _walk(a: Any, b: Any, where: str = "$") -> None:
    """Equal, with the same types, the same fields set and the same field order, all the way."""
    assert type(a) is type(b), where
    if isinstance(a, BaseModel):
        assert a.model_fields_set == b.model_fields_set, where
        assert list(a.__dict__) == list(b.__dict__), where
        for name in type(a).model_fields:
            _walk(getattr(a, name), getattr(b, name), f"{where}.{name}")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _walk(x, y, f"{where}[{i}]")
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for key in a:
            _walk(a[key], b[key], f"{where}.{key}")
    else:
        assert a == b, where


def _deals() -> list[Any]:
    fixtures = [load_deal(p) for p in FIXTURES]
    return fixtures + [Deal.model_validate(d).root for d in generate(300, seed=7)]


def test_built_fact_views_are_the_validated_fact_views(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every fixture and 300 generated deals: the fact view built is the one validation makes
    (types, values, fields set, field order, JSON and repr)."""
    book = load_rulebook()
    deals = _deals()
    built_views = [derive(d, book.references, resolve_as_of(d, None)) for d in deals]
    monkeypatch.setattr(base, "_SPECS", {})
    monkeypatch.setattr(base, "_ONE", {})
    monkeypatch.setattr(base, "_spec", lambda cls: None)  # every model validated
    for deal, fast in zip(deals, built_views, strict=True):
        slow = derive(deal, book.references, resolve_as_of(deal, None))
        _walk(fast, slow)
        assert fast == slow
        assert repr(fast) == repr(slow)
        assert fast.model_dump_json() == slow.model_dump_json()
        for name, section in fast.extra.items():
            assert section.model_dump_json() == slow.extra[name].model_dump_json()


def test_built_fills_defaults_and_records_the_fields_set() -> None:
    """Defaults and default factories are filled in; only the fields given count as set."""
    made = built(RightsFacts, voting_pct=None, board_seats=2)
    assert made == RightsFacts(voting_pct=None, board_seats=2)
    assert made.model_fields_set == {"voting_pct", "board_seats"}
    assert made.minority_protections == [] and made.control_stated == "not_stated"
    assert made.minority_protections is not built(RightsFacts).minority_protections
    assert list(made.__dict__) == list(RightsFacts.model_fields)
    party = built(PartyFacts, party_lists=AtLeast(known=["ofac_sdn"]))
    assert (
        party.model_dump_json()
        == PartyFacts(party_lists=AtLeast(known=["ofac_sdn"])).model_dump_json()
    )


def test_one_fact_sections_are_made_once_and_only_when_frozen() -> None:
    """A frozen section of one None/True/False fact is shared; any other is made anew."""
    from screening.facts.sections.apps import AppFacts

    first = built(AppFacts, recorded=False)
    assert built(AppFacts, recorded=False) is first
    assert first == AppFacts(recorded=False) and first.model_fields_set == {"recorded"}
    assert built(AppFacts, recorded=None) is not first
    assert built(AppFacts, recorded=True).recorded is True

    class Loose(BaseModel):
        flag: bool | None = None

    assert built(Loose, flag=True) is not built(Loose, flag=True)
    assert built(Loose, flag=True) == Loose(flag=True)


def test_built_falls_back_to_validation_for_what_it_cannot_vouch_for() -> None:
    """An unknown key or a missing required field is reported by validation, as before."""
    with pytest.raises(ValidationError, match="not_a_fact"):
        built(PartyFacts, not_a_fact=1)
    with pytest.raises(ValidationError, match="name"):
        built(InvestorFacts, kind="company")
    with pytest.raises(ValidationError):
        built(FactView, derivations={})
