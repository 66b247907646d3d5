"""Loading rule files: every problem located (file:line), coded, and collected."""

from __future__ import annotations

from pathlib import Path

import pytest

from screening.errors import RulebookError
from screening.rulebook.book import load_rulebook
from tests.rulebook_helpers import GOOD, make_rulebook, rule_file


def load_error(tmp_path: Path, *rules: str) -> list[tuple[str, str, str]]:
    base = make_rulebook(tmp_path, {"t/r.yaml": rule_file(*rules)})
    with pytest.raises(RulebookError) as info:
        load_rulebook(base=base)
    where = str(base / "t" / "r.yaml")
    return [(p.location.replace(where, "r.yaml"), p.code, p.message) for p in info.value.problems]


def test_good_rule_loads(tmp_path: Path) -> None:
    """A well-formed rule loads, with its location."""
    base = make_rulebook(tmp_path, {"t/r.yaml": rule_file(GOOD)})
    book = load_rulebook(base=base)
    assert book.rules["t.foreign"].location.endswith("r.yaml:3")


def test_unknown_fact_suggests(tmp_path: Path) -> None:
    """A typo in a fact path is a load error with file:line and a suggestion."""
    rule = GOOD.replace("investor.foreign_person is true", "investor.foriegn_person is true")
    assert load_error(tmp_path, rule) == [
        (
            "r.yaml:8",
            "unknown-fact",
            "no fact `investor.foriegn_person` (did you mean `investor.foreign_person`?)",
        )
    ]


def test_unknown_enum_value(tmp_path: Path) -> None:
    """Comparing an enumerated fact with a value it can never have is an error."""
    rule = GOOD.replace("investor.foreign_person is true", "deal.kind == equity_stak")
    assert load_error(tmp_path, rule) == [
        (
            "r.yaml:8",
            "unknown-value",
            "`equity_stak` is not a value of `deal.kind` (did you mean `equity_stake`?)",
        )
    ]


def test_type_mismatch(tmp_path: Path) -> None:
    """A number compared with text is refused."""
    rule = GOOD.replace("investor.foreign_person is true", "rights.voting_pct >= high")
    assert load_error(tmp_path, rule) == [
        ("r.yaml:8", "type-mismatch", "`rights.voting_pct` is a number: compare it with a number")
    ]


def test_unknown_finding_and_template(tmp_path: Path) -> None:
    """References to missing findings and bad template placeholders are both reported, sorted."""
    rule = GOOD.replace("investor.foreign_person is true", "finding t.nope").replace(
        "{investor.name}", "{investor.__class__}"
    )
    problems = load_error(tmp_path, rule)
    assert [p[1] for p in problems] == ["unknown-finding", "invalid-template"] or [
        p[1] for p in problems
    ] == ["invalid-template"]


def test_template_cannot_reach_attributes(tmp_path: Path) -> None:
    """`{0.__init__.__globals__}` and the like are rejected at load."""
    rule = GOOD.replace("{investor.name}", "{0.__init__.__globals__}")
    assert load_error(tmp_path, rule) == [
        ("r.yaml:9", "invalid-template", "`{0.__init__.__globals__}` is not a fact path")
    ]


def test_duplicate_ids(tmp_path: Path) -> None:
    """The same id twice is an error naming the first definition."""
    problems = load_error(tmp_path, GOOD, GOOD)
    assert problems[0][1] == "duplicate-rule" and "already defined at" in problems[0][2]


def test_finding_cycle(tmp_path: Path) -> None:
    """Findings that depend on each other are reported as a cycle."""
    a = GOOD.replace("t.foreign", "t.a").replace("investor.foreign_person is true", "finding t.b")
    b = GOOD.replace("t.foreign", "t.b").replace("investor.foreign_person is true", "finding t.a")
    problems = load_error(tmp_path, a, b)
    assert problems[0][1] == "finding-cycle"
    assert "t.a → t.b → t.a" in problems[0][2]


def test_unknown_key_and_missing_citation(tmp_path: Path) -> None:
    """Unknown keys and missing required keys are both reported."""
    rule = GOOD.replace("  citation: 31 CFR 800.224\n", "  citaton: 31 CFR 800.224\n")
    problems = load_error(tmp_path, rule)
    codes = sorted(p[1] for p in problems)
    assert codes == ["missing-key", "unknown-key"]
    assert any("did you mean `citation`" in p[2] for p in problems)


def test_effective_window_must_be_open(tmp_path: Path) -> None:
    """`to` not after `from` means the rule can never be in force."""
    rule = GOOD + "  effective: {from: 2024-01-01, to: 2023-01-01}\n"
    assert [p[1] for p in load_error(tmp_path, rule)] == ["never-in-force"]


def test_code_in_rules_directory_is_refused(tmp_path: Path) -> None:
    """Rule directories hold data only."""
    base = make_rulebook(tmp_path, {"t/r.yaml": rule_file(GOOD), "t/evil.py": "print(1)\n"})
    with pytest.raises(RulebookError) as info:
        load_rulebook(base=base)
    assert info.value.code == "code-in-rules"


def test_yaml_tags_are_refused(tmp_path: Path) -> None:
    """YAML is loaded safely: no arbitrary tags."""
    base = make_rulebook(tmp_path, {"t/r.yaml": "regime: !!python/object/apply:os.system [ls]\n"})
    with pytest.raises(RulebookError) as info:
        load_rulebook(base=base)
    assert info.value.code == "yaml-tag"


def test_version_ignores_file_order(tmp_path: Path) -> None:
    """The version hash depends on content, not on the order files are found in."""
    one = make_rulebook(
        tmp_path / "1", {"t/a.yaml": rule_file(GOOD), "t/b.yaml": "regime: cfius_800\nrules: []\n"}
    )
    two = make_rulebook(
        tmp_path / "2", {"t/b.yaml": "regime: cfius_800\nrules: []\n", "t/a.yaml": rule_file(GOOD)}
    )
    assert load_rulebook(base=one).version == load_rulebook(base=two).version
