"""Mitigation search: known answers on fixtures, verification, minimality, blockers, CLI."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screening import Deal, load_deal, mitigate, screen
from screening.cli.app import main
from screening.engine.verdict import rank
from screening.errors import RulebookError, UsageError
from screening.mitigation.candidates import ordered
from screening.mitigation.changes import apply_changes
from screening.mitigation.diff import regime_ceiling
from screening.mitigation.mitigate import MitigationReport, ProposedMitigation
from screening.rulebook.book import load_rulebook
from tests.conftest import ROOT
from tests.strategies import full_deals

DATA = ROOT / "tests" / "data" / "mitigation"
LOCATION = DATA / "soe-30pct-seat-location-data.yaml"
CONCERT = DATA / "soe-30pct-concert-critical-tech.yaml"


def _sets(report: MitigationReport) -> list[list[tuple[str, str]]]:
    return [
        [(c.term, ch.option) for c in m.concessions for ch in c.changes] for m in report.mitigations
    ]


def _reaches(result: Any, regimes: list[str], target: str) -> bool:
    return all(
        rank(result.regimes[r].verdict) <= rank(target)
        and rank(regime_ceiling(result, r)) <= rank(target)
        for r in regimes
    )


def _check_verified_and_minimal(deal: Any, report: MitigationReport, as_of: Any = None) -> None:
    regimes = [report.scope] if report.scope != "overall" else list(load_rulebook().regimes)
    for m in report.mitigations:
        changes = [ch for c in m.concessions for ch in c.changes]
        after = screen(apply_changes(deal, ordered(changes)), as_of=as_of)
        assert _reaches(after, regimes, report.target), m
        for size in range(1, len(m.concessions)):
            for sub in itertools.combinations(m.concessions, size):
                sub_changes = [ch for c in sub for ch in c.changes]
                again = screen(apply_changes(deal, ordered(sub_changes)), as_of=as_of)
                assert not _reaches(again, regimes, report.target), (m, sub)


def test_location_data_stake_drops_below_filing_required_below_25pct_or_without_the_seat() -> None:
    """30% + a seat, state-owned, sensitive data: below 25%, no seat, or no data business."""
    deal = load_deal(LOCATION)
    report = mitigate(deal, regime="cfius_800", to="filing_advised")
    assert report.status == "found"
    assert report.level_before == "filing_required"
    assert _sets(report) == [
        [
            ("voting_pct", "--set rights.voting_pct=24.999999"),
            ("voting_pct", "--set rights.equity_pct=24.999999"),
        ],
        [("board_seats", "--set rights.board_seats=0")],
        [
            (
                "sensitive_data_business",
                "--set target.sensitive_data={categories: [], individuals_max_12_months: 0, "
                "business_objective_over_1m: false, data_integral_to_products: false, "
                "targets_us_government_personnel: false, genetic_test_results: false}",
            )
        ],
    ]
    first = report.mitigations[0]
    assert first.level_after == "filing_advised"  # the seat keeps it a covered investment
    stopped = {r.rule_id: r for r in first.diff.rules if r.change == "stopped"}
    assert set(stopped) == {"cfius.mandatory.gov_substantial_interest"}
    why = stopped["cfius.mandatory.gov_substantial_interest"]
    assert why.citation == "31 CFR 800.401(b)"
    assert "investor's voting interest 24.999999% is less than 25%" in "\n".join(why.because)
    assert "substantial interest" in why.explanation  # the rule's own words, from the hit
    _check_verified_and_minimal(deal, report)


def test_an_observer_instead_of_the_seat_does_not_help() -> None:
    """An observer is still an 800.211(b) right: the 800.401(b) declaration stays."""
    deal = load_deal(LOCATION)
    report = mitigate(deal, regime="cfius_800", to="filing_advised", max_changes=1)
    assert "observer_instead_of_seat" not in {
        c.term for m in report.mitigations for c in m.concessions
    }


def test_location_data_to_covered_needs_the_seat_gone() -> None:
    """Below 25% with the seat is still a state-owned investor's covered investment."""
    deal = load_deal(LOCATION)
    report = mitigate(deal, regime="cfius_800", to="covered")
    terms = [[c.term for c in m.concessions] for m in report.mitigations]
    assert terms == [["board_seats"], ["sensitive_data_business"]]
    _check_verified_and_minimal(deal, report)


def test_stake_terms_only() -> None:
    """`terms` limits the search to a group."""
    report = mitigate(load_deal(LOCATION), regime="cfius_800", terms=["stake"])
    assert report.terms == ["equity_pct", "voting_pct"]
    assert _sets(report) == [
        [
            ("voting_pct", "--set rights.voting_pct=24.999999"),
            ("voting_pct", "--set rights.equity_pct=24.999999"),
        ]
    ]


def test_critical_technology_cannot_be_mitigated_by_governance_alone() -> None:
    """A concert majority keeps control: no governance concession removes the 800.401(c) duty."""
    deal = load_deal(CONCERT)
    report = mitigate(deal, regime="cfius_800", terms=["governance"], max_changes=3)
    assert report.status == "not_found"
    assert report.mitigations == []
    blockers = {b.rule_id: b for b in report.blockers}
    ct = blockers["cfius.mandatory.critical_technology"]
    assert ct.citation == "31 CFR 800.401(c)"
    assert ct.status == "fires"
    # Governance terms touch the covered-investment branch it rests on (800.211(b) rights), but
    # the concert majority keeps the deal a covered control transaction: none lowers it.
    assert set(ct.changed_by) <= {
        "board_seats",
        "involvement",
        "no_mnpti_access",
        "observer_instead_of_seat",
    }
    assert report.stats.sets_considered > 0
    text = _render(report)
    assert "no set of at most 3 concession(s) brings it to filing_advised or lower" in text
    assert "cfius.mandatory.critical_technology (filing_required, 31 CFR 800.401(c))" in text


def test_critical_technology_line_carved_out() -> None:
    """With every term, carving the licensed technology out of the target is the one change."""
    deal = load_deal(CONCERT)
    report = mitigate(deal, regime="cfius_800")
    first = report.mitigations[0]
    assert [c.term for c in first.concessions] == ["critical_technology_line"]
    assert report.mitigations[0].level_after == "filing_advised"
    _check_verified_and_minimal(deal, report)


def test_already_at_target() -> None:
    """A deal already at the target needs nothing, and says so."""
    report = mitigate(load_deal(LOCATION), regime="cfius_800", to="prohibited")
    assert report.status == "already"
    assert report.stats.rescreened == 0


def test_search_is_pruned_and_counted() -> None:
    """The leaves that decided the rules rule sets out before any re-screening, and it is said."""
    report = mitigate(load_deal(CONCERT), regime="cfius_800", max_changes=2)
    s = report.stats
    assert s.pruned_by_leaves > 0
    assert s.rescreened > 0
    assert s.verified == len(report.mitigations)
    assert (
        s.pruned_by_leaves + s.rescreened + s.skipped_not_minimal
        <= s.sets_considered + s.rescreened
    )


def test_deterministic() -> None:
    """The same deal gives the same report, byte for byte."""
    deal = load_deal(LOCATION)
    a = mitigate(deal, regime="cfius_800").model_dump_json()
    b = mitigate(deal, regime="cfius_800").model_dump_json()
    assert a == b


def test_a_change_that_raises_another_regime_is_reported(tmp_path: Path) -> None:
    """A concession that lowers one regime and raises another is reported as raising it.

    Run in a child process: the extra rulebook version registers rulesets that durable-rules
    can never unload, and the test suite's one process already holds many.
    """
    layer = tmp_path / "layer"
    (layer / "x").mkdir(parents=True)
    (layer / "x" / "small.yaml").write_text(
        "regime: ics_vehicles\n"
        "rules:\n"
        "  - id: test.small_stake\n"
        "    kind: outcome\n"
        "    outcome: filing_advised\n"
        "    title: A made-up rule for this test - a stake below 25%\n"
        "    citation: test\n"
        "    when: [rights.voting_pct < 25]\n"
        "    explain: a test rule\n",
        encoding="utf-8",
    )
    data = _child_json(
        "mitigate",
        str(LOCATION),
        "--regime",
        "cfius_800",
        "--rules",
        str(layer),
        "--format",
        "json",
    )
    first = data["mitigations"][0]
    assert first["concessions"][0]["term"] == "voting_pct"
    assert first["raised"] == ["ics_vehicles"]
    assert any(
        r["rule_id"] == "test.small_stake" and r["change"] == "started"
        for r in first["diff"]["rules"]
    )


def _child_json(*args: str) -> Any:
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "screening.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout)


def test_bad_options_are_usage_errors() -> None:
    """An unknown regime, level or term is a located usage error with a suggestion."""
    deal = load_deal(LOCATION)
    with pytest.raises(UsageError) as exc:
        mitigate(deal, regime="cfius800")
    assert (exc.value.location, exc.value.code, exc.value.message) == (
        "--regime",
        "unknown-regime",
        "no regime `cfius800` (did you mean `cfius_800`?)",
    )
    with pytest.raises(UsageError) as exc:
        mitigate(deal, terms=["voting"])
    assert exc.value.code == "unknown-term"
    assert exc.value.location == "--terms"


@settings(max_examples=8)
@given(full_deals)
def test_every_mitigation_reaches_the_target_and_is_minimal(data: dict[str, Any]) -> None:
    """Property: each proposal re-screens at or below the target; no proper subset does."""
    deal = Deal.model_validate(data).root
    as_of = dt.date(2026, 6, 1)
    report = mitigate(deal, regime="cfius_800", max_changes=2, as_of=as_of)
    _check_verified_and_minimal(deal, report, as_of)
    for m in report.mitigations:
        assert isinstance(m, ProposedMitigation)
        assert rank(m.level_after) <= rank(report.target)


def _render(report: MitigationReport) -> str:
    from screening.mitigation.report import render_mitigation

    return render_mitigation(report)


# ------------------------------------------------------------------------------------------
# Negotiable terms in the rulebook


def test_shipped_terms_load() -> None:
    """The shipped rulebook declares its negotiable terms, each in a group."""
    book = load_rulebook()
    ids = {t.id for t in book.negotiable}
    assert {"voting_pct", "board_seats", "no_mnpti_access", "co_investor"} <= ids
    assert all(t.location.startswith("rules/negotiable.yaml:") for t in book.negotiable)


def test_bad_term_is_a_located_load_error(tmp_path: Path) -> None:
    """A term with an unknown deal path, concession or threshold fact is a load error."""
    layer = tmp_path / "layer"
    layer.mkdir()
    (layer / "terms.yaml").write_text(
        "negotiable:\n"
        "  - id: x\n"
        "    title: x\n"
        "    path: rights.votin_pct\n"
        "    group: stake\n"
        "    concession: lower\n"
        "    thresholds: [rights.voting_pct]\n"
        "  - id: y\n"
        "    title: y\n"
        "    path: rights.mnpti_access\n"
        "    group: governance\n"
        "    concession: lower\n"
        "    thresholds: [rights.board_seat]\n",
        encoding="utf-8",
    )
    with pytest.raises(RulebookError) as exc:
        load_rulebook([layer])
    rendered = [p.render() for p in exc.value.problems]
    where = str(layer / "terms.yaml")
    assert rendered == [
        f"{where}:4: unknown-path: `rights.votin_pct`: no field `rights.votin_pct` in a deal "
        "record (did you mean `voting_pct`?)",
        f"{where}:10: invalid-concession: `lower` needs a path holding a number; "
        "`rights.mnpti_access` does not",
        f"{where}:13: type-mismatch: `rights.board_seat` is not a number",
    ]


# ------------------------------------------------------------------------------------------
# Command line


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_mitigate_text(capsys: pytest.CaptureFixture[str]) -> None:
    """`mitigate` prints ranked mitigations, the search counts and the caveat."""
    code, out, err = run(capsys, "mitigate", str(LOCATION), "--regime", "cfius_800")
    assert code == 0, err
    assert "1. 1 change(s) → cfius_800 filing_advised" in out
    assert "--set rights.voting_pct=24.999999" in out
    assert "re-screened" in out
    assert "not a guarantee" in out
    assert out.count("not legal advice") == 1


def test_cli_mitigate_json(capsys: pytest.CaptureFixture[str]) -> None:
    """`--format json` is the report model."""
    code, out, _ = run(
        capsys,
        "mitigate",
        str(CONCERT),
        "--regime",
        "cfius_800",
        "--terms",
        "governance",
        "--max-changes",
        "3",
        "--format",
        "json",
    )
    assert code == 0
    data = json.loads(out)
    assert data["status"] == "not_found"
    assert data["blockers"][0]["rule_id"] == "cfius.mandatory.critical_technology"


def test_cli_mitigate_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    """A bad option or a missing file exits 2 with one clear line, no traceback."""
    code, _, err = run(capsys, "mitigate", str(LOCATION), "--terms", "nope")
    assert code == 2
    assert err.startswith("dealscreen: --terms: unknown-term: no negotiable term or group `nope`")
    assert "Traceback" not in err
    code, _, err = run(capsys, "mitigate", "missing.yaml")
    assert code == 2


def test_cli_audit_mitigate(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """`audit mitigate ID` works on the recorded deal and rulebook version."""
    db = str(tmp_path / "audit.db")
    code, _, err = run(capsys, "screen", str(LOCATION), "--db", db)
    assert code == 0, err
    code, out, err = run(
        capsys, "audit", "mitigate", "1", "--db", db, "--regime", "cfius_800", "--format", "json"
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["screening_id"] == 1
    assert data["terms_source"].startswith("recorded rulebook ")
    assert data["mitigations"][0]["concessions"][0]["term"] == "voting_pct"


def test_review_html_has_a_how_to_lower_this_section(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`review --mitigate` adds each deal's mitigations to the HTML page's deal data."""
    out = tmp_path / "r.html"
    code, _, err = run(
        capsys,
        "review",
        str(LOCATION),
        "--format",
        "html",
        "--mitigate",
        "--no-store",
        "--workers",
        "1",
        "--out",
        str(out),
    )
    assert code == 0, err
    page = out.read_text()
    assert "How to lower this" in page
    data = page.split('id="deal-data">', 1)[1].split("</script>", 1)[0]
    deal = json.loads(data)[0]
    section = deal["mitigation"]
    assert (section["scope"], section["target"], section["status"]) == (
        "cfius_800",
        "filing_advised",
        "found",
    )
    first = section["mitigations"][0]
    assert first["concessions"][0]["changes"] == [
        {"option": "--set rights.voting_pct=24.999999"},
        {"option": "--set rights.equity_pct=24.999999"},
    ]
    assert first["stopped"][0]["citation"] == "31 CFR 800.401(b)"
    assert "not a guarantee" in section["note"]


def test_review_mitigate_needs_html(capsys: pytest.CaptureFixture[str]) -> None:
    """`--mitigate` with another format is a usage error."""
    code, _, err = run(
        capsys, "review", str(LOCATION), "--format", "csv", "--mitigate", "--no-store"
    )
    assert code == 2
    assert "dealscreen: --mitigate: usage: `--mitigate` needs `--format html`" in err


def test_audit_mitigate_on_a_snapshot_without_terms_uses_todays(tmp_path: Path) -> None:
    """A rulebook recorded before negotiable terms existed: today's terms, and it is said.

    Run in a child process (another rulebook version: see the test above).
    """
    import shutil
    import subprocess
    import sys

    from screening.rulebook.book import default_rules_dir

    old = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), old)
    (old / "negotiable.yaml").unlink()
    code = f"""
import json
from pathlib import Path
from screening import load_deal, load_rulebook, screen
from screening.audit.store import Store
from screening.mitigation.mitigate import mitigate_recorded
book = load_rulebook(base=Path({str(old)!r}), labels=["rules"])
assert book.negotiable == ()
deal = load_deal({str(LOCATION)!r})
with Store({str(tmp_path / "audit.db")!r}) as store:
    sid = store.record(screen(deal, rulebook=book), deal, rulebook=book)
    report = mitigate_recorded(store, sid, regime="cfius_800")
print(json.dumps([report.rulebook_version == book.version, report.terms_source,
                  report.mitigations[0].concessions[0].term]))
"""
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    same_version, source, term = json.loads(proc.stdout)
    assert same_version
    assert source.startswith("today's shipped rulebook")
    assert term == "voting_pct"


_FIXTURE_DEALS = [
    LOCATION,
    CONCERT,
    *(
        ROOT / "fixtures" / "deals" / f"{name}.yaml"
        for name in (
            "lumenar-bms-board-seat-change-of-rights",
            "qiantu-trailway-25pct",
            "skybridge-cargo-airlines-25pct-soe",
        )
    ),
]


@settings(max_examples=6)
@given(
    st.sampled_from(_FIXTURE_DEALS),
    st.sampled_from(["clear", "covered", "filing_advised"]),
    st.sampled_from([None, "cfius_800"]),
)
def test_mitigations_of_fixtures_reach_their_target_and_are_minimal(
    path: Path, to: str, regime: str | None
) -> None:
    """Property on deals with real mitigations: verified at or below the target, and minimal."""
    deal = load_deal(path)
    report = mitigate(deal, to=to, regime=regime, max_changes=2)
    _check_verified_and_minimal(deal, report)
