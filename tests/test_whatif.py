"""What-if: changes checked against the deal model, both results and the per-regime diff."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from screening import Change, WhatIf, load_deal, whatif
from screening.cli.app import main
from screening.errors import UsageError
from screening.mitigation.changes import apply_changes, parse_change
from tests.conftest import ROOT

LOCATION = ROOT / "tests" / "data" / "mitigation" / "soe-30pct-seat-location-data.yaml"
CONCERT = ROOT / "tests" / "data" / "mitigation" / "soe-30pct-concert-critical-tech.yaml"


def _error(text: str, op: str = "set") -> tuple[str, str, str]:
    with pytest.raises(UsageError) as exc:
        deal = load_deal(LOCATION)
        apply_changes(deal, [parse_change(text, op)])  # type: ignore[arg-type]
    return exc.value.location, exc.value.code, exc.value.message


def test_parse_values_like_yaml() -> None:
    """Values are read as YAML: numbers exactly, booleans, lists, null."""
    assert parse_change("rights.voting_pct=24.999999").value == Decimal("24.999999")
    assert parse_change("rights.mnpti_access=false").value is False
    assert parse_change("rights.involvement=[critical_technologies]").value == [
        "critical_technologies"
    ]
    assert parse_change("rights.board_observer=null").value is None
    assert parse_change("co_investors[0]", "drop").option == "--drop co_investors[0]"


@pytest.mark.parametrize(
    ("text", "op", "expected"),
    [
        (
            "rights.votin_pct=3",
            "set",
            (
                "--set rights.votin_pct=3",
                "unknown-path",
                "no field `rights.votin_pct` in a deal record (did you mean `voting_pct`?)",
            ),
        ),
        (
            "rights.voting_pct=120",
            "set",
            (
                "--set rights.voting_pct=120",
                "invalid-change",
                "$.rights.voting_pct: input should be less than or equal to 100",
            ),
        ),
        (
            "rights.voting_pct",
            "set",
            ("--set rights.voting_pct", "invalid-change", "expected `PATH=VALUE`"),
        ),
        (
            "rights.voting_pct=",
            "set",
            ("--set rights.voting_pct=", "invalid-change", "expected a value after `=`"),
        ),
        (
            "kind=lending",
            "set",
            ("--set kind=lending", "invalid-change", "the deal kind cannot be changed"),
        ),
        (
            "rights.voting_pct",
            "drop",
            (
                "--drop rights.voting_pct",
                "invalid-change",
                "`--drop` takes a list item: `path[INDEX]`",
            ),
        ),
        (
            "co_investors[3]",
            "drop",
            ("--drop co_investors[3]", "invalid-change", "`co_investors[3]`: no such item"),
        ),
    ],
)
def test_bad_changes_are_located(text: str, op: str, expected: tuple[str, str, str]) -> None:
    """A bad path or value names the change, with a stable code and one-line message."""
    assert _error(text, op) == expected


def test_drop_a_co_investor() -> None:
    """`--drop` removes a list item; the rest of the record is unchanged."""
    deal = load_deal(CONCERT)
    changed = apply_changes(deal, [parse_change("co_investors[0]", "drop")])
    assert changed.co_investors == []
    assert changed.rights == deal.rights


def test_whatif_returns_both_results_and_the_diff() -> None:
    """Below 25%, the 800.401(b) declaration stops, and the diff says why with the values."""
    deal = load_deal(LOCATION)
    answer = whatif(deal, ["rights.voting_pct=24.999999"])
    assert isinstance(answer, WhatIf)
    assert (answer.before.verdict, answer.after.verdict) == ("filing_required", "filing_advised")
    d = answer.diff
    assert d.lowered == ["cfius_800"]
    assert d.raised == []
    stopped = [r for r in d.rules if r.change == "stopped"]
    assert [r.rule_id for r in stopped] == ["cfius.mandatory.gov_substantial_interest"]
    assert "  investor's voting interest 24.999999% is less than 25%" in stopped[0].because
    assert d.changes == [Change(path="rights.voting_pct", value=Decimal("24.999999"))]


def test_whatif_accepts_a_mapping_and_is_deterministic() -> None:
    """A mapping of path to value works the same, and the answer is byte-identical."""
    deal = load_deal(LOCATION)
    a = whatif(deal, {"rights.board_seats": 0}).model_dump_json()
    b = whatif(deal, ["rights.board_seats=0"]).model_dump_json()
    assert a == b


def test_whatif_reports_a_regime_going_up() -> None:
    """A change that raises a regime is reported as raised."""
    deal = load_deal(LOCATION)
    answer = whatif(deal, {"rights.board_seats": 4})  # 4 of 7: a board majority, control
    assert answer.after.hit("cfius.control") is not None
    assert all(r.direction != "lowered" for r in answer.diff.regimes)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_whatif_text_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    """`whatif` prints the per-regime difference; `--format json` has both results and the diff."""
    code, out, err = run(capsys, "whatif", str(LOCATION), "--set", "rights.voting_pct=24.999999")
    assert code == 0, err
    assert "cfius_800: filing_required → filing_advised  LOWERED" in out
    assert (
        "stopped: cfius.mandatory.gov_substantial_interest (filing_required, 31 CFR 800.401(b))"
        in out
    )
    assert out.count("not legal advice") == 1
    code, out, _ = run(
        capsys, "whatif", str(CONCERT), "--drop", "co_investors[0]", "--format", "json"
    )
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"before", "after", "diff"}
    assert data["diff"]["changes"] == [{"path": "co_investors[0]", "op": "drop", "value": None}]


def test_cli_whatif_errors(capsys: pytest.CaptureFixture[str]) -> None:
    """No change, or a bad one, exits 2 with one clear line and no traceback."""
    code, _, err = run(capsys, "whatif", str(LOCATION))
    assert code == 2
    assert "give at least one `--set PATH=VALUE`" in err
    code, _, err = run(capsys, "whatif", str(LOCATION), "--set", "rights.voting_pct=abc")
    assert code == 2
    assert err.startswith(
        "dealscreen: --set rights.voting_pct=abc: invalid-change: $.rights.voting_pct: "
    )
    assert err.count("\n") == 1
    assert "Traceback" not in err
