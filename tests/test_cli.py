"""The command line: exit statuses, output formats, clean errors (never a traceback)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from screening.cli.app import main
from tests.conftest import FIXTURES


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def any_fixture() -> Path:
    return sorted(FIXTURES.glob("*.yaml"))[0]


def test_screen_text(capsys: pytest.CaptureFixture[str]) -> None:
    """`screen` prints a verdict, per-regime sections and the disclaimer, once."""
    code, out, err = run(capsys, "screen", str(any_fixture()), "--no-store")
    assert code == 0, err
    assert out.count("VERDICT") == 1
    assert out.count("not legal advice") == 1
    assert max(len(line) for line in out.splitlines()) <= 100


def test_screen_json_contract(capsys: pytest.CaptureFixture[str]) -> None:
    """`--format json` has the documented keys (design.md §6)."""
    code, out, _ = run(capsys, "screen", str(any_fixture()), "--format", "json", "--no-store")
    assert code == 0
    data = json.loads(out)
    for key in ("deal_id", "verdict", "regimes", "rulebook_version", "hits"):
        assert key in data
    for hit in data["hits"]:
        for key in ("rule_id", "outcome", "citation", "explanation", "facts"):
            assert key in hit


def test_screen_json_is_deterministic(capsys: pytest.CaptureFixture[str]) -> None:
    """Same input, same output, byte for byte."""
    args = ("screen", str(any_fixture()), "--format", "json", "--no-store")
    assert run(capsys, *args)[1] == run(capsys, *args)[1]


def test_invalid_deal_exits_2_without_traceback(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Bad input: exit 2, one line per problem naming file and field, no traceback."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nname: X\nkind: equity_stake\nrights: {voting_pct: -1}\n")
    code, out, err = run(capsys, "screen", str(bad), "--no-store")
    assert code == 2 and out == ""
    assert "Traceback" not in err
    assert (
        f"dealscreen: {bad}:4: invalid-deal: $.rights.voting_pct: input should be greater than or equal to 0"
        in err
    )


def test_bad_as_of(capsys: pytest.CaptureFixture[str]) -> None:
    """A malformed date option is a usage error (exit 2)."""
    code, _, err = run(capsys, "screen", str(any_fixture()), "--as-of", "yesterday", "--no-store")
    assert code == 2
    assert "`yesterday` is not a date (YYYY-MM-DD)" in err


def test_unknown_option(capsys: pytest.CaptureFixture[str]) -> None:
    """Click usage errors exit 2."""
    code, _, err = run(capsys, "screen", "--bogus")
    assert code == 2 and "Traceback" not in err


def test_schema(capsys: pytest.CaptureFixture[str]) -> None:
    """`schema` prints the JSON Schema of a deal record."""
    code, out, _ = run(capsys, "schema")
    assert code == 0
    schema = json.loads(out)
    assert "discriminator" in json.dumps(schema)
