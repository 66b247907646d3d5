"""The public API is exactly what `screening.__all__` names, sorted, with docstrings."""

from __future__ import annotations

import screening


def test_all_is_sorted_and_complete() -> None:
    """`__all__` is sorted and lists every public name the package exposes at top level."""

    def isort_style(name: str) -> tuple[int, str]:  # constants, classes, then the rest (RUF022)
        kind = 0 if name.isupper() else 1 if name[:1].isupper() else 2
        return kind, name

    assert screening.__all__ == sorted(screening.__all__, key=isort_style)
    public = {n for n in dir(screening) if not n.startswith("_")}
    modules = {n for n in public if type(getattr(screening, n)).__name__ == "module"}
    assert public - modules == set(screening.__all__) - {"__version__"}


def test_public_names_are_documented() -> None:
    """Every public callable and class has a docstring."""
    for name in screening.__all__:
        obj = getattr(screening, name)
        if callable(obj):
            assert obj.__doc__, name


def test_screen_many_gives_screens_results_byte_for_byte() -> None:
    """`screen_many` is `screen` deal by deal, batched: the same JSON for every deal, in order."""
    from pathlib import Path

    from screening.authoring.fixtures_gen import generate

    fixtures = sorted(
        (Path(__file__).resolve().parent.parent / "fixtures" / "deals").glob("*.y*ml")
    )
    deals = [screening.load_deal(p) for p in fixtures]
    deals += [screening.Deal.model_validate(d).root for d in generate(150, seed=3)]
    many = screening.screen_many(deals)
    assert [r.model_dump_json() for r in many] == [
        screening.screen(d).model_dump_json() for d in deals
    ]
    assert screening.screen_many([]) == []
