"""`dealscreen rules ...`: list, show, lint, test, coverage, diff, and the configuration file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from screening.authoring.examples import BASE_DEAL, merge
from screening.cli.app import main
from screening.errors import UsageError
from screening.rulebook.config import configured_layers, load_config
from tests.authoring_helpers import ROOT, small_rulebook
from tests.conftest import FIXTURES
from tests.rulebook_helpers import rule_file

OURS = """
- id: ours.big_stake
  kind: outcome
  outcome: filing_advised
  title: Our policy - review every foreign stake of 20% or more
  citation: Internal policy 4.2
  when:
    - investor.foreign_person is true
    - rights.voting_pct >= {pct}
  explain: "{{investor.name}} takes {{rights.voting_pct}} of {{target.name}}."
  examples:
    fires:
      - {{example: "25% stake", rights: {{voting_pct: 25, passive_undertaking: false}}}}
    does_not_fire:
      - {{example: "5% (base deal)"}}
"""


@pytest.fixture
def small(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Stand a small rulebook in for the shipped one (layered loads stay fast)."""
    base = small_rulebook(
        tmp_path / "shipped",
        {
            "cfius_800/control.yaml": (ROOT / "rules" / "cfius_800" / "control.yaml").read_text(),
        },
    )
    monkeypatch.setattr("screening.rulebook.book.default_rules_dir", lambda: base)
    return base


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def layer(tmp_path: Path, text: str, name: str = "ours") -> Path:
    path = tmp_path / name / "ours" / "policies.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(rule_file(text), encoding="utf-8")
    return tmp_path / name


def test_list_json_includes_a_layer(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, small: Path
) -> None:
    """`rules list --format json` lists shipped rules and a layer's rules with locations."""
    ours = layer(tmp_path, OURS.format(pct=20))
    code, out, err = run(capsys, "rules", "list", "--format", "json", "--rules", str(ours))
    assert code == 0, err
    rows = {r["id"]: r for r in json.loads(out)}
    assert rows["ours.big_stake"]["location"] == f"{ours}/ours/policies.yaml:3"
    assert rows["cfius.control"]["regime"] == "cfius_800"


def test_list_table_by_regime(capsys: pytest.CaptureFixture[str]) -> None:
    """`rules list --regime R` shows only that regime's rules, one line each, within 100 columns."""
    code, out, _ = run(capsys, "rules", "list", "--regime", "cfius_800")
    assert code == 0
    lines = out.splitlines()
    assert all(line.startswith("cfius.") for line in lines[:-1])
    assert lines[-1].endswith(")") and " rules (rulebook " in lines[-1]
    assert max(len(line) for line in lines) <= 100


def test_list_unknown_regime(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown regime is a usage error with a suggestion."""
    code, _, err = run(capsys, "rules", "list", "--regime", "cfius_80")
    assert code == 2
    assert err.startswith(
        "dealscreen: --regime: unknown-regime: no regime `cfius_80` (did you mean"
    )


def test_show(capsys: pytest.CaptureFixture[str], tmp_path: Path, small: Path) -> None:
    """`rules show` prints citation, conditions with lines, examples and file:line."""
    ours = layer(tmp_path, OURS.format(pct=20))
    code, out, _ = run(capsys, "rules", "show", "ours.big_stake", "--rules", str(ours))
    assert code == 0
    assert out.splitlines()[:9] == [
        f"ours.big_stake  ({ours}/ours/policies.yaml:3)",
        "  Our policy - review every foreign stake of 20% or more",
        "  kind: outcome: filing_advised    regime: cfius_800    confidence: reg",
        "  citation: Internal policy 4.2",
        "when:",
        "  - investor.foreign_person is true  (line 9)",
        "  - rights.voting_pct >= 20  (line 10)",
        "explain:",
        "  {investor.name} takes {rights.voting_pct} of {target.name}.",
    ]
    assert "examples that fire: 1" in out and "  - 25% stake  (line 14)" in out


def test_show_unknown_rule(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown rule id is an error with a suggestion, exit 2."""
    code, _, err = run(capsys, "rules", "show", "cfius.contrl")
    assert (code, err) == (
        2,
        "dealscreen: unknown-rule: no rule `cfius.contrl` (did you mean `cfius.control`?)\n",
    )


def test_lint_errors_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, small: Path
) -> None:
    """`rules lint` prints each problem with file:line and exits 2 on errors."""
    bad = OURS.format(pct=20).replace("investor.foreign_person is true", "rights.voting_pct < 10")
    ours = layer(tmp_path, bad)
    code, out, err = run(capsys, "rules", "lint", "--rules", str(ours))
    assert (code, err) == (2, "dealscreen: lint-errors: 1 error in the rulebook\n")
    assert (
        f"{ours}/ours/policies.yaml:3: error: never-fires: rule `ours.big_stake` can never "
        "fire: `rights.voting_pct >= 20` contradicts `rights.voting_pct < 10`"
    ) in out.splitlines()


def test_lint_json_and_today(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, small: Path
) -> None:
    """`--format json --today` reports against the given date; warnings alone exit 0."""
    code, out, _ = run(
        capsys,
        "rules",
        "lint",
        "--format",
        "json",
        "--today",
        "2027-06-01",
        "--rules",
        str(layer(tmp_path, OURS.format(pct=20))),
    )
    assert code == 0
    data = json.loads(out)
    assert data["today"] == "2027-06-01" and data["errors"] == 0
    overdue = {p["message"] for p in data["problems"] if p["code"] == "review-overdue"}
    assert (
        "reference list `excepted_foreign_states` was due for review on 2027-05-31 "
        "(today is 2027-06-01)"
    ) in overdue


def test_lint_bad_today(capsys: pytest.CaptureFixture[str]) -> None:
    """A malformed --today is a usage error."""
    code, _, err = run(capsys, "rules", "lint", "--today", "tomorrow")
    assert (code, err) == (
        2,
        "dealscreen: --today: invalid-date: `tomorrow` is not a date (YYYY-MM-DD)\n",
    )


def test_test_passes_and_fails(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, small: Path
) -> None:
    """`rules test` runs examples; a failing one is reported with file:line and exit 2."""
    good = layer(tmp_path, OURS.format(pct=20), "good")
    code, out, _ = run(capsys, "rules", "test", "--rules", str(good), "--rule", "ours.big_stake")
    assert (code, out) == (0, "2 examples of 1 rules: 2 passed, 0 failed\n")
    bad = layer(tmp_path, OURS.format(pct=30), "bad")
    code, out, err = run(capsys, "rules", "test", "--rules", str(bad), "--rule", "ours.big_stake")
    assert (code, err) == (2, "dealscreen: examples-failed: 1 of 2 examples failed\n")
    assert out.splitlines() == [
        f"{bad}/ours/policies.yaml:14: ours.big_stake (25% stake): should fire, did not fire "
        f"(rule at {bad}/ours/policies.yaml:3)",
        "2 examples of 1 rules: 1 passed, 1 failed",
    ]


def test_coverage_cli(capsys: pytest.CaptureFixture[str]) -> None:
    """`rules coverage fixtures/ --format json` reports a summary over every fixture."""
    code, out, _ = run(capsys, "rules", "coverage", str(FIXTURES), "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert len(data["deals"]) == len(list(FIXTURES.glob("*.yaml")))
    assert set(data["summary"]) == {
        "rules",
        "rules_fired",
        "rules_pct",
        "conditions",
        "conditions_covered",
        "conditions_pct",
    }


def test_diff_directories_with_deals(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """`rules diff OLD NEW --deals` lists rule changes and the deals whose verdict changes."""
    old = small_rulebook(tmp_path / "old", {"ours/p.yaml": rule_file(OURS.format(pct=20))})
    new = tmp_path / "new"
    shutil.copytree(old, new)
    (new / "ours" / "p.yaml").write_text(rule_file(OURS.format(pct=30)), encoding="utf-8")
    deal = tmp_path / "deal-25.json"
    deal.write_text(json.dumps(merge(BASE_DEAL, {"id": "deal-25", "rights": {"voting_pct": 25}})))
    code, out, err = run(capsys, "rules", "diff", str(old), str(new), "--deals", str(deal))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[1:] == [
        "~ rule ours.big_stake: when",
        f"! deal {deal}: filing_advised → clear (cfius_800 filing_advised → clear)",
        "    - no longer fires ours.big_stake",
        "1 of 1 deals change verdict",
    ]


def test_diff_layer_and_json(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, small: Path
) -> None:
    """A directory without regimes.yaml is a layer on the shipped rulebook."""
    ours = layer(tmp_path, OURS.format(pct=20))
    code, out, _ = run(capsys, "rules", "diff", str(small), str(ours), "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["rules"] == {"added": ["ours.big_stake"], "removed": [], "changed": {}}


def test_diff_unknown(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Neither a directory nor a recorded version: a usage error."""
    code, _, err = run(capsys, "rules", "diff", str(tmp_path / "nope"), "rules")
    assert (code, err) == (
        2,
        f"dealscreen: {tmp_path}/nope: unknown-rulebook: neither a rulebook directory nor a "
        "recorded rulebook version\n",
    )


def test_config_file_layers(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    small: Path,
) -> None:
    """`dealscreen.toml` in the current directory lists layers, relative to itself."""
    layer(tmp_path, OURS.format(pct=20))
    (tmp_path / "dealscreen.toml").write_text('rules = ["ours"]\ntoday = 2027-01-01\n')
    monkeypatch.chdir(tmp_path)
    assert configured_layers() == [Path("ours")]
    code, out, _ = run(capsys, "rules", "show", "ours.big_stake", "--format", "json")
    assert code == 0 and json.loads(out)["location"] == "ours/ours/policies.yaml:3"
    code, out, _ = run(capsys, "rules", "lint", "--format", "json")
    assert json.loads(out)["today"] == "2027-01-01"


def test_config_in_pyproject(tmp_path: Path) -> None:
    """`[tool.dealscreen]` in pyproject.toml is read when there is no dealscreen.toml."""
    (tmp_path / "pyproject.toml").write_text('[tool.dealscreen]\nrules = ["a", "b"]\n')
    assert configured_layers(tmp_path) == [tmp_path / "a", tmp_path / "b"]
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert configured_layers(tmp_path) == []


def test_config_errors(tmp_path: Path) -> None:
    """Unknown keys and wrong types in the configuration are usage errors."""
    (tmp_path / "dealscreen.toml").write_text('rule = ["a"]\n')
    with pytest.raises(UsageError) as info:
        load_config(tmp_path)
    assert (info.value.location, info.value.code, info.value.message) == (
        "dealscreen.toml",
        "invalid-config",
        "unknown key `rule`",
    )
    (tmp_path / "dealscreen.toml").write_text('rules = "a"\n')
    with pytest.raises(UsageError) as info:
        load_config(tmp_path)
    assert info.value.message == "`rules` must be a list of directories"


def test_diff_recorded_version(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, small: Path
) -> None:
    """A rulebook version recorded in the audit store can stand for OLD."""
    from screening.audit.store import Store
    from screening.engine.run import screen
    from screening.model.loader import load_deal
    from screening.rulebook.book import load_rulebook

    book = load_rulebook()
    deal_file = tmp_path / "deal.json"
    deal_file.write_text(json.dumps(merge(BASE_DEAL, {"id": "deal"})))
    deal = load_deal(deal_file)
    db = str(tmp_path / "audit.db")
    with Store(db) as store:
        store.record(screen(deal, rulebook=book), deal, rulebook=book)
    ours = layer(tmp_path, OURS.format(pct=20))
    code, out, err = run(capsys, "rules", "diff", book.version, str(ours), "--db", db)
    assert code == 0, err
    assert out.splitlines()[1:] == ["+ rule ours.big_stake"]
