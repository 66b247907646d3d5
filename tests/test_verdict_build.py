"""Result models built without validation (``verdict.build``) are the instances validation makes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from screening import load_deal, load_rulebook, screen
from screening.engine import memo, verdict
from screening.engine import run as engine
from screening.engine.verdict import ConditionResult, Hit, RegimeResult, Summary, build

FIXTURES = sorted(Path("fixtures/deals").glob("*.yaml"))[::6]


def _validated(cls: type[Any], **values: Any) -> Any:
    return cls(**values)


def _validated_made(cls: type[Any], data: dict[str, Any], given: frozenset[str]) -> Any:
    """``verdict.made`` by validation: only the fields given, the rest left to their defaults."""
    return cls(**{name: data[name] for name in given})


def _walk(a: Any, b: Any, where: str = "$") -> None:
    """Equal, with the same type, the same fields set and the same repr, all the way down."""
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


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_built_results_are_the_validated_results(
    monkeypatch: pytest.MonkeyPatch, path: Path
) -> None:
    """A screening's result is the same object tree whether its models are built or validated."""
    deal = load_deal(path)
    built = screen(deal)
    monkeypatch.setattr(engine, "build", _validated)
    monkeypatch.setattr(engine, "made", _validated_made)
    monkeypatch.setattr(memo, "build", _validated)
    # What assembling keeps per rulebook (shapes, the results kept from earlier screenings) is
    # made again, by validation: nothing of the built result is reused.
    book = load_rulebook()
    kept = book.__dict__.pop("_assembly", None)
    try:
        validated = screen(deal)
    finally:
        book.__dict__.pop("_assembly", None)
        if kept is not None:
            book.__dict__["_assembly"] = kept
    assert built == validated
    assert repr(built) == repr(validated)
    assert built.model_dump_json() == validated.model_dump_json()
    _walk(built, validated)


def test_build_fills_defaults_and_records_the_fields_set() -> None:
    """Defaults (and default factories) are filled in; only the fields given count as set."""
    made = build(RegimeResult, regime="x", title="X", verdict="clear")
    assert made == RegimeResult(regime="x", title="X", verdict="clear")
    assert made.model_fields_set == {"regime", "title", "verdict"}
    assert made.rules == [] and made.possible_exemptions == []
    assert made.rules is not build(RegimeResult, regime="y", title="Y", verdict="clear").rules


def test_made_is_build_for_the_same_values() -> None:
    """``made`` from every field in order is the instance ``build`` (and validation) makes, with
    only the fields given counted as set."""
    values = {"condition": "c", "text": "t", "held": True, "alternatives": 2}
    data = {"condition": "c", "text": "t", "path": None, "value": None, "held": True}
    made = verdict.made(ConditionResult, {**data, "alternatives": 2}, frozenset(values))
    _walk(made, build(ConditionResult, **values))
    _walk(made, ConditionResult(**values))
    assert made.model_dump_json() == ConditionResult(**values).model_dump_json()


def test_build_leaves_errors_to_validation() -> None:
    """An unknown key or a missing field is reported by pydantic, as ``cls(**values)`` does."""
    with pytest.raises(ValueError, match=r"extra_forbidden|Extra inputs"):
        build(ConditionResult, condition="c", text="t", nonsense=1)
    with pytest.raises(ValueError, match="missing"):
        build(Hit, rule_id="a.b")


def test_every_result_model_can_be_built() -> None:
    """No result model has private attributes, a post-init hook or a factory reading other
    fields (each would make ``build`` fall back to validation)."""
    for cls in (ConditionResult, Hit, RegimeResult, Summary, *_result_models()):
        assert verdict._fields_of(cls) is not None, cls.__name__


def _result_models() -> list[type[verdict.Result]]:
    return [
        obj
        for obj in vars(verdict).values()
        if isinstance(obj, type) and issubclass(obj, verdict.Result) and obj is not verdict.Result
    ]


def test_made_instances_share_one_fields_set_that_copies_leave_alone() -> None:
    """Instances made with the same fields given share one fields-set (kept results would each
    hold one otherwise); ``model_copy(update=...)`` gives the copy its own, leaving theirs."""
    given = frozenset({"condition", "text", "held"})
    data = {"condition": "c", "text": "t", "path": None, "value": None, "held": True}
    one = verdict.made(ConditionResult, {**data, "alternatives": None}, given)
    two = verdict.made(ConditionResult, {**data, "alternatives": 1}, given)
    assert one.model_fields_set is two.model_fields_set
    copied = one.model_copy(update={"path": "deal.x"})
    assert copied.model_fields_set == given | {"path"}
    assert one.model_fields_set == two.model_fields_set == given
