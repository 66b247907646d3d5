"""`dealscreen new KIND` and `dealscreen check FILE`."""

from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

from screening.authoring.records import settling_facts, template
from screening.cli.app import main
from screening.model.deal import DEAL_KINDS, Deal
from tests.conftest import ROOT
from tests.test_docs import blocks


@pytest.mark.parametrize("kind", DEAL_KINDS)
def test_the_template_is_a_valid_record_of_its_kind(kind: str) -> None:
    """The uncommented lines of a template form a valid record; every field is there."""
    text = template(kind)
    data = YAML(typ="safe").load(text)
    deal = Deal.model_validate({**data, "completion_date": "2025-01-01"}).root
    assert deal.kind == kind
    for field in ("value_usd", "co_investors_complete", "decision_threshold_pct", "site"):
        assert f"# {field}:" in text


def test_new_prints_the_template(capsys: pytest.CaptureFixture[str]) -> None:
    """`new joint_venture` prints its template and exits 0."""
    assert main(["new", "joint_venture"]) == 0
    out = capsys.readouterr().out
    assert out == template("joint_venture")
    assert "# contributed_assets:" in out


def test_check_ranks_facts_that_settle_the_verdict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`check` validates, states the verdict and its range, and ranks the facts to find out."""
    path = tmp_path / "deal.yaml"
    path.write_text(_undecided_body())
    assert main(["check", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{path}: valid equity_stake record; verdict filing_advised (could rise")
    assert (
        "rights.voting_pct: investor's voting interest - could decide up to filing_required" in out
    )
    # A missing block is asked for once, not fact by fact.
    assert "vehicle.recorded: the `vehicle` block" in out and "vehicle.role" not in out


def test_check_of_an_invalid_record_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad record is reported as `screen` reports it, with exit status 2."""
    path = tmp_path / "bad.yaml"
    path.write_text("id: x\nname: X\nkind: equity_stake\n")
    assert main(["check", str(path)]) == 2
    assert "invalid-deal: $.investor: required field is missing" in capsys.readouterr().err


def _undecided_body() -> str:
    return next(
        body for info, body in blocks(ROOT / "docs" / "deals.md") if "range-undecided" in info
    )


def test_settling_facts_rank_by_reach(rulebook: object) -> None:
    """Facts are listed by how far above its regime's verdict their question reaches."""
    from screening import screen

    result = screen(Deal.model_validate(YAML(typ="safe").load(_undecided_body())))
    gains = [s.gain for s in settling_facts(result)]
    assert gains and gains == sorted(gains, reverse=True)
