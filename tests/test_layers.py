"""Layered rulebooks: a layer adds rules, overrides with `override: true`, disables by id and
replaces reference lists; the rulebook version hash covers every layer."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from screening.errors import RulebookError
from screening.rulebook.book import load_rulebook
from tests.authoring_helpers import small_rulebook as make_rulebook
from tests.rulebook_helpers import rule_file

RULE = """
- id: t.big_stake
  kind: outcome
  outcome: filing_advised
  title: A large stake
  citation: 31 CFR 800.101
  when:
    - rights.voting_pct >= {pct}
  explain: "{{investor.name}} takes a large stake."
  {override}
"""


def rule(pct: int, override: bool = False) -> str:
    return RULE.format(pct=pct, override="override: true" if override else "")


def write(directory: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return directory


@pytest.fixture
def base(tmp_path: Path) -> Path:
    return make_rulebook(tmp_path, {"t/r.yaml": rule_file(rule(25))})


def test_layer_adds_a_rule(base: Path, tmp_path: Path) -> None:
    """A rule with a new id in a layer is added, located in the layer."""
    layer = write(
        tmp_path / "ours", {"ours/r.yaml": rule_file(rule(10).replace("t.big", "ours.big"))}
    )
    book = load_rulebook([layer], base=base)
    assert set(book.rules) == {"t.big_stake", "ours.big_stake"}
    assert book.rules["ours.big_stake"].location == f"{layer}/ours/r.yaml:3"


def test_override_replaces_the_rule(base: Path, tmp_path: Path) -> None:
    """`override: true` in a later layer replaces the rule of the same id."""
    layer = write(tmp_path / "ours", {"t/r.yaml": rule_file(rule(40, override=True))})
    book = load_rulebook([layer], base=base)
    assert book.rules["t.big_stake"].when.children[0].value == 40  # type: ignore[union-attr]
    assert book.rules["t.big_stake"].location == f"{layer}/t/r.yaml:3"


def test_same_id_without_override_is_an_error(base: Path, tmp_path: Path) -> None:
    """Redefining a rule without `override: true` is a located error naming both places."""
    layer = write(tmp_path / "ours", {"t/r.yaml": rule_file(rule(40))})
    with pytest.raises(RulebookError) as info:
        load_rulebook([layer], base=base)
    assert [(p.location, p.code, p.message) for p in info.value.problems] == [
        (
            f"{layer}/t/r.yaml:3",
            "duplicate-rule",
            f"rule `t.big_stake` is already defined at {base}/t/r.yaml:3; a layer replaces it "
            "with `override: true`",
        ),
    ]


def test_later_layer_wins(base: Path, tmp_path: Path) -> None:
    """Of two overriding layers, the one given last takes precedence."""
    first = write(tmp_path / "first", {"t/r.yaml": rule_file(rule(40, override=True))})
    second = write(tmp_path / "second", {"t/r.yaml": rule_file(rule(60, override=True))})
    book = load_rulebook([first, second], base=base)
    assert book.rules["t.big_stake"].when.children[0].value == 60  # type: ignore[union-attr]


def test_disable_removes_a_rule(base: Path, tmp_path: Path) -> None:
    """`disable: [ids]` in a layer file removes shipped rules."""
    layer = write(
        tmp_path / "ours", {"ours/off.yaml": "regime: cfius_800\ndisable: [t.big_stake]\n"}
    )
    assert "t.big_stake" not in load_rulebook([layer], base=base).rules


def test_disable_unknown_rule_is_an_error(base: Path, tmp_path: Path) -> None:
    """Disabling a rule that does not exist is an error."""
    layer = write(tmp_path / "ours", {"ours/off.yaml": "regime: cfius_800\ndisable: [t.nope]\n"})
    with pytest.raises(RulebookError) as info:
        load_rulebook([layer], base=base)
    (problem,) = info.value.problems
    assert problem.location.endswith("off.yaml:2")  # issue 19: once an empty location
    assert (problem.code, problem.message) == (
        "unknown-rule",
        "cannot disable `t.nope`: no such rule",
    )


def test_layer_replaces_a_reference_list(base: Path, tmp_path: Path) -> None:
    """A reference list of the same name in a layer replaces the earlier one entirely."""
    layer = write(
        tmp_path / "ours",
        {
            "reference/excepted.yaml": """
        reference: excepted_foreign_states
        title: Excepted foreign states (our reading)
        source: test
        retrieved: 2026-01-01
        review_by: 2027-01-01
        entries:
          - {value: GB, from: 2020-02-13}
        """
        },
    )
    before = load_rulebook(base=base).references.values("excepted_foreign_states")
    after = load_rulebook([layer], base=base).references.get("excepted_foreign_states")
    assert len(before) > 1
    assert after is not None and [e.value for e in after.entries] == ["GB"]
    assert after.location == f"{layer}/reference/excepted.yaml:1"


def test_version_covers_every_layer(base: Path, tmp_path: Path) -> None:
    """Adding a layer, or changing any file of a layer, changes the rulebook version."""
    layer = write(
        tmp_path / "ours", {"ours/r.yaml": rule_file(rule(10).replace("t.big", "ours.big"))}
    )
    plain = load_rulebook(base=base).version
    layered = load_rulebook([layer], base=base).version
    (layer / "ours" / "r.yaml").write_text(
        rule_file(rule(11).replace("t.big", "ours.big")), encoding="utf-8"
    )
    changed = load_rulebook([layer], base=base).version
    (layer / "ours" / "notes.yaml").write_text(
        "regime: cfius_800\nnotes: a note\n", encoding="utf-8"
    )
    noted = load_rulebook([layer], base=base).version
    assert len({plain, layered, changed, noted}) == 4
