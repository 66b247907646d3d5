"""Verdict ranges in results and every output: ceiling, could_raise_to, possible exemptions,
not_in_force, the concert bound, and results recorded before these fields existed."""

from __future__ import annotations

import copy
import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from screening import load_deal, screen
from screening.audit.chain import dump, result_hash, sha
from screening.audit.store import Store
from screening.authoring.examples import BASE_DEAL
from screening.cli.app import main
from screening.engine.explain import render_text
from screening.engine.verdict import ScreeningResult, rank
from screening.facts.derive import derive
from screening.model.deal import Deal
from tests.conftest import FIXTURES
from tests.store_fixtures import url_for

# filing_advised (issue 11 TID risk factor: a non-excepted Japanese investor's board seat in a
# critical-technology business), could reach prohibited: the target's owners are not recorded,
# so whether it is blocked under OFAC's 50 Percent Rule is an open question.
PROVISIONAL = FIXTURES / "kitase-norwood-gan-stake.yaml"


def deal(**changes: Any) -> Any:
    """The rule-example base deal (every fact known) with changes merged in."""
    data = copy.deepcopy(BASE_DEAL)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key].update(value)
        else:
            data[key] = value
    return Deal.model_validate(data).root


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    return code, capsys.readouterr().out


def test_json_contract_carries_the_range(capsys: pytest.CaptureFixture[str]) -> None:
    """`screen --format json` has `ceiling` overall and per regime, and each open question its
    regime and `could_raise_to` (design.md section 6)."""
    code, out = run(capsys, "screen", str(PROVISIONAL), "--format", "json", "--no-store")
    assert code == 0
    data = json.loads(out)
    assert (data["verdict"], data["ceiling"], data["provisional"]) == (
        "filing_advised",
        "prohibited",
        True,
    )
    cfius = data["regimes"]["cfius_800"]
    assert (cfius["verdict"], cfius["ceiling"]) == ("filing_advised", "filing_advised")
    assert cfius["possible_exemptions"] == []
    for q in data["open_questions"]:
        assert q["could_raise_to"] == q["outcome"]
        regime = data["regimes"][q["regime"]]
        assert rank(regime["verdict"]) < rank(q["could_raise_to"]) <= rank(regime["ceiling"])


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.yaml")), ids=lambda p: p.stem)
def test_text_never_shows_a_bare_level_below_the_ceiling(path: Path) -> None:
    """The headline and every regime line give the range whenever the ceiling is higher."""
    result = screen(load_deal(path))
    text = render_text(result)
    head = next(line for line in text.splitlines() if line.startswith("VERDICT"))
    if rank(result.ceiling or result.verdict) > rank(result.verdict):
        n = len(result.open_questions)
        assert f"{result.verdict} — could reach {result.ceiling}: {n} open question" in head
    else:
        assert "could reach" not in head
    for regime in result.regimes.values():
        assert regime.provisional == (rank(regime.verdict) < rank(regime.ceiling or "clear"))
        if regime.provisional:
            assert f"{regime.regime}: {regime.verdict} — could reach {regime.ceiling}" in text


def test_unknown_air_carrier_keeps_the_covered_investment() -> None:
    """800.211(c): an air-carrier status the record leaves open does not drop a covered
    investment to `clear`; it is a possible exemption that could lower the verdict.

    The base investor is a Chinese company: its observer in a sensitive-data TID business is a
    covered investment that also carries the issue 11 risk factors (a country-of-concern tie; a
    non-excepted investor with an 800.211(b) right in a TID business), so `filing_advised`.
    The exemption sets aside every outcome resting on the covered investment, the risk factors
    included, so it could lower the verdict to `clear`."""
    data = {"categories": ["health"], "individuals_max_12_months": 3_000_000}
    known = deal(rights={"board_observer": True}, target={"sensitive_data": data})
    unknown = deal(
        rights={"board_observer": True},
        target={"sensitive_data": data, "certificated_air_carrier": None},
    )
    known_result = screen(known)
    assert known_result.regimes["cfius_800"].verdict == "filing_advised"
    for rule_id in (
        "cfius.covered",
        "cfius.risk.country_of_concern_tie",
        "cfius.risk.tid_non_excepted",
    ):
        assert known_result.hit(rule_id) is not None
    regime = screen(unknown).regimes["cfius_800"]
    assert (regime.verdict, regime.ceiling, regime.provisional) == (
        "filing_advised",
        "filing_advised",
        False,
    )
    [possible] = [
        e for e in regime.possible_exemptions if e.rule_id == "cfius.exempt.air_carrier_ci"
    ]
    assert possible.could_lower_to == "clear"
    assert possible.unknown_facts == ["target.air_carrier"]
    assert possible.question.startswith("possible exemption, if the target is a certificated")
    carrier = deal(
        rights={"board_observer": True},
        target={"sensitive_data": data, "certificated_air_carrier": True},
    )
    assert screen(carrier).regimes["cfius_800"].verdict == "clear"


def test_unknown_control_still_covered_through_the_trigger_right() -> None:
    """Covered = control OR (TID AND a trigger right): with every control indicator unknown, a
    board observer in a TID business is covered on every reading (800.211, 800.210). The base
    investor is a Chinese company, so the issue 11 risk factors (country-of-concern tie; a
    non-excepted investor with control or an 800.211(b) right in a TID business) hold on every
    reading too: `filing_advised`, with the covered-transaction rule fired."""
    data = {"categories": ["health"], "individuals_max_12_months": 3_000_000}
    partial = deal(
        rights={"voting_pct": None, "board_seats": None, "board_observer": True},
        target={"sensitive_data": data},
    )
    result = screen(partial)
    assert result.regimes["cfius_800"].verdict == "filing_advised"
    assert result.hit("cfius.covered") is not None


@pytest.mark.parametrize(
    ("own", "partner", "acts", "expected"),
    [
        (10, 20, None, False),  # at most 30%: no majority on any reading
        (30, 25, None, None),  # 30% alone, 55% with the partner: it depends
        (40, 15, True, True),  # 55% with a known partner
        (45, None, True, None),  # the partner's stake unknown
        (51, 5, None, True),  # a majority alone
    ],
)
def test_concert_majority_is_decided_by_bounds(
    own: int, partner: int | None, acts: bool | None, expected: bool | None, rulebook: Any
) -> None:
    """800.208(b): the concert group's vote is bounded by the sum of the stakes; the bound
    decides where it can."""
    co = {"party": {"name": "Partner Co.", "kind": "company", "country": "CN"}}
    if partner is not None:
        co["voting_pct"] = partner
    if acts is not None:
        co["acts_in_concert"] = acts
    record = deal(rights={"voting_pct": own}, co_investors=[co])
    view = derive(record, rulebook.references, record.completion_date)
    assert view.investor.concert_majority is expected


AS_OF = "2019-06-01"  # before every part 800, 802, 850, DSP, ICTS, PAFACA and energy rule


def test_not_in_force_in_text_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    """A date before a regime's earliest rule gives `not_in_force`, never `clear`."""
    path = str(PROVISIONAL)
    _, text = run(capsys, "screen", path, "--no-store", "--as-of", AS_OF)
    assert f"cfius_800: not in force on {AS_OF}" in text
    assert f"(not in force on {AS_OF}: cfius_800, cfius_802," in text
    _, out = run(capsys, "screen", path, "--no-store", "--as-of", AS_OF, "--format", "json")
    data = json.loads(out)
    cfius = data["regimes"]["cfius_800"]
    assert (cfius["verdict"], cfius["ceiling"], cfius["provisional"]) == (
        "not_in_force",
        "not_in_force",
        False,
    )


def test_not_in_force_in_csv_table_and_html(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The review formats show `not_in_force` for the regime, never `clear`."""
    path = str(PROVISIONAL)
    base = ("review", path, "--no-store", "--as-of", AS_OF, "--workers", "1")
    _, out = run(capsys, *base, "--format", "csv")
    row = next(csv.DictReader(io.StringIO(out)))
    assert row["cfius_800"] == "not_in_force"
    assert row["outbound_850"] == "not_in_force"
    _, out = run(capsys, *base, "--format", "jsonl")
    result = ScreeningResult.model_validate_json(out.splitlines()[0])
    assert result.regimes["cfius_800"].verdict == "not_in_force"
    html = tmp_path / "r.html"
    run(capsys, *base, "--format", "html", "--out", str(html))
    page = html.read_text(encoding="utf-8")
    # the memo in each deal's data says why such a regime was not screened
    assert "no rule of this regime is in force on 2019-06-01: not screened" in page


def test_review_formats_show_the_range(capsys: pytest.CaptureFixture[str]) -> None:
    """CSV has `ceiling` and per-regime ranges; the table shows floor → ceiling."""
    path = str(PROVISIONAL)
    base = ("review", path, "--no-store", "--workers", "1")
    _, out = run(capsys, *base, "--format", "csv")
    row = next(csv.DictReader(io.StringIO(out)))
    assert (row["verdict"], row["ceiling"]) == ("filing_advised", "prohibited")
    result = screen(load_deal(PROVISIONAL))
    for name, regime in result.regimes.items():
        if regime.provisional:
            assert row[name] == f"{regime.verdict} — could reach {regime.ceiling}"
    _, out = run(capsys, *base, "--format", "table")
    assert "filing_advised → prohibited" in out


def test_result_recorded_before_ceilings_loads_and_verifies(tmp_path: Path) -> None:
    """A result without ceilings (recorded before them) loads with them unrecorded, and its hash
    is the hash of its old JSON, so the chain still verifies."""
    record = load_deal(PROVISIONAL)
    new = screen(record)
    new = new.model_copy(update={"summary": None})  # the memo is not stored
    old = new.model_copy(
        update={
            "ceiling": None,
            "regimes": {
                k: r.model_copy(update={"ceiling": None, "possible_exemptions": []})
                for k, r in new.regimes.items()
            },
            "open_questions": [
                q.model_copy(update={"could_raise_to": None}) for q in new.open_questions
            ],
        }
    )
    data = old.model_dump(mode="json", exclude={"summary"})
    del data["ceiling"]
    for regime in data["regimes"].values():
        del regime["ceiling"], regime["possible_exemptions"]
    for q in data["open_questions"]:
        del q["could_raise_to"]
    assert result_hash(old) == sha(dump(data))
    store = Store(url_for("sqlite", tmp_path))
    first, second = store.record_many([(old, record), (new, record)])
    assert store.get(first).result == old
    assert store.get(second).result == new
    report = store.verify()
    assert report.problems == []
