"""`dealscreen screen` recording and `dealscreen audit …`: exit statuses and output."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from screening.audit.store import Store
from screening.cli.app import main
from tests.store_fixtures import BACKENDS, url_for

ROOT = Path(__file__).resolve().parent.parent
GOV_RULE = "cfius.risk.government_controlled"
# The state-owned investor is Chinese, so the country-of-concern risk factor (issue 11) also
# advises a filing; layers that take GOV_RULE away take it away too.
TIE_RULE = "cfius.risk.country_of_concern_tie"
# Fires with GOV_RULE when the government-controlled investor takes control (800.222).
GOV_CONTROL_RULE = "cfius.risk.government_controlled_transaction"


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh store URL, also set as DEALSCREEN_DB."""
    url = url_for(request.param, tmp_path)
    monkeypatch.setenv("DEALSCREEN_DB", url)
    return url


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def deal_file(tmp_path: Path, gov: bool = True, name: str = "deal.json") -> Path:
    """A deal record on disk: the state-owned-enterprise deal (filing advised) or the base one."""
    from tests.store_fixtures import government_deal, make_deal

    deal = government_deal() if gov else make_deal()
    path = tmp_path / name
    path.write_text(json.dumps(deal.model_dump(mode="json")), encoding="utf-8")
    return path


def test_screen_records_by_default_and_not_with_no_store(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`screen` records (saying where on stderr); `--no-store` does not."""
    code, out, err = run(capsys, "screen", str(deal_file(tmp_path)))
    assert code == 0, err
    assert "VERDICT  filing_advised" in out
    assert err.startswith("dealscreen: recorded as screening 1 in ")
    code, _, err = run(capsys, "screen", str(deal_file(tmp_path)), "--no-store")
    assert (code, err) == (0, "")
    assert Store(db).count() == 1


def test_default_store_is_created_under_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --db or DEALSCREEN_DB the store is .dealscreen/audit.db under cwd."""
    monkeypatch.delenv("DEALSCREEN_DB", raising=False)
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "screen", str(deal_file(tmp_path)))
    assert code == 0, err
    assert (tmp_path / ".dealscreen" / "audit.db").is_file()
    code, out, _ = run(capsys, "audit", "list", "--format", "json")
    assert code == 0
    assert [s["id"] for s in json.loads(out)] == [1]


def test_list_filters_and_formats(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`audit list` filters by deal and verdict, as a table or JSON."""
    run(capsys, "screen", str(deal_file(tmp_path, gov=True, name="a.json")))
    run(capsys, "screen", str(deal_file(tmp_path, gov=False, name="b.json")))
    code, out, _ = run(capsys, "audit", "list")
    assert code == 0
    assert out.splitlines()[0].split() == [
        "ID",
        "RECORDED",
        "DEAL",
        "VERDICT",
        "AS",
        "OF",
        "RULEBOOK",
    ]
    assert [line.split()[0] for line in out.splitlines()[1:]] == ["2", "1"]
    code, out, _ = run(capsys, "audit", "list", "--verdict", "filing_advised", "--format", "json")
    assert [s["deal_id"] for s in json.loads(out)] == ["soe-00000"]
    code, out, _ = run(capsys, "audit", "list", "--deal", "deal-00000", "--db", db)
    assert len(out.splitlines()) == 2
    code, _, err = run(capsys, "audit", "list", "--since", "March")
    assert code == 2
    assert err == "dealscreen: --since: invalid-date: `March` is not a date (YYYY-MM-DD)\n"


def test_show_text_and_json(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`audit show` prints the record header and the recorded report; JSON has deal and result."""
    run(capsys, "screen", str(deal_file(tmp_path)))
    code, out, _ = run(capsys, "audit", "show", "1")
    assert code == 0
    assert out.startswith("Screening 1 · recorded ")
    assert "VERDICT  filing_advised" in out
    code, out, _ = run(capsys, "audit", "show", "1", "--format", "json")
    data = json.loads(out)
    assert data["deal"]["id"] == data["result"]["deal_id"] == "soe-00000"
    assert data["result"]["verdict"] == "filing_advised"
    code, _, err = run(capsys, "audit", "show", "9")
    assert (code, err) == (
        2,
        f"dealscreen: {Store(db)._where}: unknown-screening: no screening `9` in the store\n",
    )


def test_why_gives_the_proof_from_the_record(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`audit why` shows the rule, its location under rules/, and each condition that held."""
    run(capsys, "screen", str(deal_file(tmp_path)))
    code, out, err = run(capsys, "audit", "why", "1", GOV_RULE)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == f"`{GOV_RULE}` fired in screening 1 (deal `soe-00000`, as of 2025-06-30)"
    assert f"{GOV_RULE}: fired — every condition held" in out
    assert "at rules/cfius_800/risk.yaml:" in out
    assert "✓" in out
    code, out, _ = run(capsys, "audit", "why", "1", GOV_RULE, "--format", "json")
    assert json.loads(out)["explanation"]["status"] == "fired"


def test_why_not_a_failed_condition(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`audit why-not` on a rule that did not fire marks the failed condition with its value."""
    run(capsys, "screen", str(deal_file(tmp_path, gov=False)))
    code, out, _ = run(capsys, "audit", "why-not", "1", GOV_RULE)
    assert code == 0
    assert out.splitlines()[0].startswith(f"`{GOV_RULE}` did not fire in screening 1")
    assert "✗" in out


def test_why_not_a_rule_not_in_force(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A screening dated before a rule took effect: why-not says the rule was not in force."""
    run(capsys, "screen", str(deal_file(tmp_path)), "--as-of", "2019-06-01")
    code, out, _ = run(capsys, "audit", "why-not", "1", GOV_RULE)
    assert code == 0
    assert out.splitlines()[0] == (
        f"`{GOV_RULE}` did not fire in screening 1 (deal `soe-00000`, as of 2019-06-01): "
        "it was not in force on that date"
    )
    assert "not in force — the rule is in force from 2020-02-13" in out


def _layer(tmp_path: Path) -> Path:
    layer = tmp_path / "layer"
    (layer / "cfius_800").mkdir(parents=True)
    (layer / "cfius_800" / "local.yaml").write_text(
        f"regime: cfius_800\nrules: []\ndisable: [{GOV_RULE}, {GOV_CONTROL_RULE}, {TIE_RULE}]\n",
        encoding="utf-8",
    )
    return layer


def test_why_not_a_rule_missing_from_the_recorded_rulebook(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A rule the recorded rulebook did not have is said to be missing from that version."""
    run(capsys, "screen", str(deal_file(tmp_path)), "--rules", str(_layer(tmp_path)))
    code, out, _ = run(capsys, "audit", "why-not", "1", GOV_RULE)
    assert code == 0
    assert "did not exist in rulebook" in out.splitlines()[0]
    assert out.splitlines()[1] == "in today's rulebook the rule exists"


def test_replay_same_rulebook_no_change(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Replay under the same rulebook reproduces the record and reports no change."""
    run(capsys, "screen", str(deal_file(tmp_path)))
    code, out, err = run(capsys, "audit", "replay", "1")
    assert code == 0, err
    assert "reproduced exactly from its snapshot" in out
    assert out.splitlines()[-1] == "no change: the verdict is still filing_advised"


def test_replay_shows_what_todays_rulebook_changes(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Recorded under a rulebook without a rule; today's has it: verdict and hits gained shown."""
    run(capsys, "screen", str(deal_file(tmp_path)), "--rules", str(_layer(tmp_path)))
    code, out, err = run(capsys, "audit", "replay", "1")
    assert code == 0, err
    assert "verdict  covered → filing_advised" in out
    assert f"  + {GOV_RULE}" in out
    code, out, _ = run(capsys, "audit", "replay", "1", "--format", "json")
    data = json.loads(out)
    assert (data["verdict_before"], data["verdict_after"], data["changed"]) == (
        "covered",
        "filing_advised",
        True,
    )
    assert data["hits_gained"] == sorted([GOV_RULE, GOV_CONTROL_RULE, TIE_RULE])
    assert data["hits_lost"] == []


def test_replay_of_an_altered_record_is_an_integrity_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A record the recorded rulebook does not reproduce fails replay with exit status 2."""
    url = url_for("sqlite", tmp_path)
    monkeypatch.setenv("DEALSCREEN_DB", url)
    run(capsys, "screen", str(deal_file(tmp_path)))
    con = sqlite3.connect(url.removeprefix("sqlite:///"))
    with con:
        con.execute("UPDATE hit SET title = 'edited' WHERE screening_id = 1 AND position = 0")
    con.close()
    code, out, err = run(capsys, "audit", "replay", "1")
    assert (code, out) == (2, "")
    assert err.startswith(
        "dealscreen: screening 1: integrity-error: re-screening under the recorded"
    )
    assert err.endswith("does not reproduce the record: it differs at `$.hits[0].title`\n")


def test_verify_ok_then_broken(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`audit verify` exits 0 on an intact store and 2 naming the first broken link."""
    for _ in range(3):
        run(capsys, "screen", str(deal_file(tmp_path)))
    code, out, _ = run(capsys, "audit", "verify")
    assert code == 0
    assert "checked 3 screening(s) and 1 rulebook version(s)" in out
    from tests.store_fixtures import execute

    execute(db, "UPDATE screening SET verdict = 'clear' WHERE id = 2")
    code, out, err = run(capsys, "audit", "verify")
    assert code == 2
    assert "BROKEN: first broken link at screening 2: the stored result" in out
    assert err.startswith("dealscreen: screening 2: integrity-error: the stored result")
    code, out, _ = run(capsys, "audit", "verify", "--format", "json")
    assert json.loads(out)["problems"][0]["where"] == "screening 2"


def test_export_jsonl(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`audit export` writes the rulebook snapshot, then every screening, one JSON per line."""
    run(capsys, "screen", str(deal_file(tmp_path)))
    run(capsys, "screen", str(deal_file(tmp_path, gov=False)))
    code, out, _ = run(capsys, "audit", "export", "--format", "jsonl")
    assert code == 0
    items = [json.loads(line) for line in out.splitlines()]
    assert [i["type"] for i in items] == ["rulebook", "screening", "screening"]
    assert items[1]["row_hash"] == items[2]["prev_hash"]
    out_file = tmp_path / "audit.jsonl"
    assert run(capsys, "audit", "export", "--out", str(out_file))[0] == 0
    assert out_file.read_text(encoding="utf-8") == out


CONSORTIUM = ROOT / "fixtures" / "deals" / "gridstore-consortium-three-investors.yaml"
MEMBER_RULE = "cfius.mandatory.gov_substantial_interest"


def test_why_answers_per_consortium_member(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A rule that fired for a consortium member (the state-owned Huaneng's 800.401(b)
    declaration) is answered for that member, by name, on its own record - not only for the
    lead investor, for which it did not fire."""
    code, _, err = run(capsys, "screen", str(CONSORTIUM))
    assert code == 0, err
    code, out, err = run(capsys, "audit", "why", "1", MEMBER_RULE)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith(
        f"For the investor Rheinland Infrastruktur GmbH: `{MEMBER_RULE}` did not fire in "
        "screening 1"
    )
    assert lines[1] == (
        f"For co-investor Huaneng Storage Investment Co., Ltd. (co_investors[0]): `{MEMBER_RULE}` "
        "fired in screening 1 (deal `gridstore-consortium-three-investors`, as of 2025-12-15)"
    )
    assert lines[2].startswith(
        f"For co-investor Sakura Trading Corporation (co_investors[1]): `{MEMBER_RULE}` did not "
        "fire in screening 1"
    )
    assert not any("fired for none" in line for line in lines)
    tree = out.split(
        "co_investors[0] Huaneng Storage Investment Co., Ltd. (screened as the investor of its "
        "own record):\n",
        1,
    )[1]
    assert tree.startswith(f"{MEMBER_RULE}: fired — every condition held")
    assert "Huaneng Storage Investment Co., Ltd. acquires a substantial interest" in tree

    code, out, err = run(capsys, "audit", "why", "1", MEMBER_RULE, "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["explanation"]["status"] == "did not fire"
    assert data["investor"] == "Rheinland Infrastruktur GmbH"
    assert [(m["position"], m["name"], m["explanation"]["status"]) for m in data["members"]] == [
        (0, "Huaneng Storage Investment Co., Ltd.", "fired"),
        (1, "Sakura Trading Corporation", "did not fire"),
    ]


def test_why_not_answers_per_consortium_member(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    """why-not names each member it did not fire for, with that member's refutation; a rule
    of a regime that does not bind the members (part 850 for non-U.S. members) says so."""
    assert run(capsys, "screen", str(CONSORTIUM))[0] == 0
    code, out, err = run(capsys, "audit", "why-not", "1", MEMBER_RULE)
    assert code == 0, err
    assert "(it fired for each of them" not in out
    sakura = out.split(
        "co_investors[1] Sakura Trading Corporation (screened as the investor of its own "
        "record):\n",
        1,
    )[1]
    assert sakura.startswith(f"{MEMBER_RULE}: did not fire — a condition failed")
    assert "✗ finding: A foreign government has a substantial interest" in sakura

    rule = "outbound.activity.prohibited_semiconductors"
    code, out, err = run(capsys, "audit", "why-not", "1", rule)
    assert code == 0, err
    assert (
        f"For co-investor Sakura Trading Corporation (co_investors[1]): `{rule}` is a "
        "rule of outbound_850, which does not bind it as a consortium member"
    ) in out
    assert "co_investors[1] Sakura" not in out.split("rebuilt from the recorded snapshot")[1]


def test_why_of_a_single_investor_deal_is_unchanged(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A deal with no consortium member gets no member answers."""
    assert run(capsys, "screen", str(deal_file(tmp_path)))[0] == 0
    code, out, _ = run(capsys, "audit", "why", "1", GOV_RULE, "--format", "json")
    assert code == 0
    assert json.loads(out)["members"] == []
