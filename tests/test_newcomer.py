"""The rough edges a newcomer hit, one test each: duplicate JSON keys, read-only commands on a
store that does not exist, a new store directory, review of missing or empty input, unknown rule
ids in audit questions, the screening id in JSON, Ctrl-C at start-up, ``load_rulebook`` with a
string, DEALSCREEN_DB in the help, ``audit list`` limits and ``rules diff`` counts."""

from __future__ import annotations

import builtins
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from screening import load_rulebook
from screening.authoring.examples import BASE_DEAL, merge
from screening.cli.app import main
from screening.errors import DealError
from screening.model.loader import load_deal
from tests.conftest import FIXTURES

DEAL = FIXTURES / "qiantu-trailway-25pct.yaml"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_duplicate_key_in_a_file_is_a_located_error(tmp_path: Path) -> None:
    """A JSON deal naming a key twice is refused at the second key's line (as YAML is)."""
    path = tmp_path / "dup.json"
    path.write_text('{\n  "id": "a",\n  "name": "A",\n  "id": "b"\n}\n', encoding="utf-8")
    with pytest.raises(DealError) as info:
        load_deal(path)
    problem = info.value.problems[0]
    assert (problem.location, problem.code, problem.message) == (
        f"{path}:4",
        "duplicate-key",
        "key `id` appears twice in one object: give each key once",
    )


def test_json_duplicate_key_in_jsonl_is_located_by_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """In a JSONL stream the duplicate is reported at its line, and the other deals are kept."""
    good = json.dumps(merge(BASE_DEAL, {"id": "good"}))
    bad = good.replace('"id": "good"', '"id": "bad", "id": "twice"', 1)
    path = tmp_path / "deals.jsonl"
    path.write_text(good + "\n" + bad + "\n", encoding="utf-8")
    code, _, err = run(capsys, "review", str(path), "--no-store", "--format", "jsonl")
    assert code == 2
    assert f"{path}:2: duplicate-key: key `id` appears twice in one object" in err
    assert "1 screened, 1 invalid" in err


@pytest.mark.parametrize(
    "args",
    [
        ["audit", "list"],
        ["audit", "show", "1"],
        ["audit", "why", "1", "cfius.covered"],
        ["audit", "why-not", "1", "cfius.covered"],
        ["audit", "replay", "1"],
        ["audit", "verify"],
        ["audit", "export"],
    ],
)
def test_read_only_audit_commands_refuse_a_missing_store(
    args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A store that does not exist is an error (exit 2), never an empty one made and reported."""
    db = tmp_path / "nowhere" / "audit.db"
    code, out, err = run(capsys, *args, "--db", str(db))
    assert code == 2 and out == ""
    assert err == (
        f"dealscreen: sqlite:///{db}: store-missing: no audit store here: nothing has been "
        "recorded (`dealscreen screen` and `review` record; give --db or DEALSCREEN_DB to read "
        "another store)\n"
    )
    assert not db.parent.exists()


def test_screen_says_when_it_creates_the_store_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`screen --db` into a missing directory makes it and says so; the next time it is quiet."""
    db = tmp_path / "new" / "dir" / "audit.db"
    code, _, err = run(capsys, "screen", str(DEAL), "--db", str(db))
    assert code == 0
    assert err.splitlines()[0] == f"dealscreen: created directory {db.parent} for the audit store"
    code, _, err = run(capsys, "screen", str(DEAL), "--db", str(db))
    assert code == 0 and "created directory" not in err


def test_screen_json_names_the_recorded_screening(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With recording on, `--format json` includes `screening_id` (last, as the HTTP API)."""
    db = tmp_path / "audit.db"
    run(capsys, "screen", str(DEAL), "--db", str(db))
    code, out, _ = run(capsys, "screen", str(DEAL), "--db", str(db), "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert list(data)[-1] == "screening_id" and data["screening_id"] == 2


def test_review_of_a_missing_path_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Exit 2 naming the path; no report is written."""
    out_file = tmp_path / "report.html"
    missing = tmp_path / "nope"
    code, out, err = run(capsys, "review", str(missing), "--no-store", "--out", str(out_file))
    assert (code, out) == (2, "")
    assert err == f"dealscreen: {missing}: file-not-found: no such file or directory\n"
    assert not out_file.exists()


def test_review_of_empty_input_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An empty folder is reported plainly; with --fail-on, zero deals is an error (exit 2)."""
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = run(capsys, "review", str(empty), "--no-store", "--format", "jsonl")
    assert code == 0
    assert "dealscreen: no deal records found" in err
    code, _, err = run(
        capsys, "review", str(empty), "--no-store", "--format", "jsonl", "--fail-on", "covered"
    )
    assert code == 2
    assert err.splitlines()[-1] == (
        "dealscreen: --fail-on: no-deals: no deals were screened, so none could reach `covered`: "
        "check the paths"
    )


def test_audit_why_with_an_unknown_rule_suggests_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A rule id neither rulebook has: exit 2 with did-you-mean, like `rules show`."""
    db = tmp_path / "audit.db"
    run(capsys, "screen", str(DEAL), "--db", str(db))
    for question in ("why", "why-not"):
        code, out, err = run(capsys, "audit", question, "1", "cfius.coverd", "--db", str(db))
        assert (code, out) == (2, "")
        assert err.startswith("dealscreen: cfius.coverd: unknown-rule: no rule `cfius.coverd` in ")
        assert err.endswith("(did you mean `cfius.covered`?)\n")


def test_ctrl_c_during_start_up_exits_130_without_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ctrl-C while the command's modules load: one line, exit 130, no traceback."""
    import screening.cli

    real_import = builtins.__import__

    def interrupted(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "screening.cli.app":
            raise KeyboardInterrupt
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "screening.cli.app")
    monkeypatch.setattr(builtins, "__import__", interrupted)
    assert screening.cli.main(["--version"]) == 130
    out, err = capsys.readouterr()
    assert (out, err) == ("", "dealscreen: interrupted\n")


def test_the_console_entry_point_imports_lightly() -> None:
    """`import screening` loads no heavy module, so the start-up window Ctrl-C can hit is the
    command's own (and the entry point catches it)."""
    import subprocess

    code = "import sys, screening.cli; print(sorted(m for m in sys.modules if m in ('pydantic', 'click', 'sqlmodel')))"
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert proc.stdout.strip() == "[]"


def test_load_rulebook_takes_strings(tmp_path: Path) -> None:
    """`load_rulebook(layers=...)` accepts str as well as Path, alone or in a list."""
    layer = tmp_path / "layer"
    layer.mkdir()
    (layer / "off.yaml").write_text("regime: cfius_800\nrules: []\ndisable: [cfius.covered]\n")
    for layers in (str(layer), [str(layer)], layer, [layer]):
        book = load_rulebook(layers=layers)  # type: ignore[arg-type]
        assert "cfius.covered" not in book.rules
    assert "cfius.covered" in load_rulebook(base=str(load_rulebook().sources[0])).rules


@pytest.mark.parametrize("command", [["screen"], ["review"], ["audit"], ["audit", "list"]])
def test_help_mentions_dealscreen_db(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """The help of screen, review and audit names the DEALSCREEN_DB variable."""
    code, out, _ = run(capsys, *command, "--help")
    assert code == 0
    assert "DEALSCREEN_DB" in out


def test_audit_list_shows_the_latest_50_unless_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`audit list` shows the newest 50 by default (and says so); --limit and --all widen it."""
    from screening.audit.store import Store
    from screening.engine.run import screen

    db = tmp_path / "audit.db"
    deal = load_deal(DEAL)
    result = screen(deal)
    Store(str(db)).record_many([(result, deal)] * 53)

    def listed(*extra: str) -> tuple[list[int], str]:
        code, out, err = run(capsys, "audit", "list", "--db", str(db), "--format", "json", *extra)
        assert code == 0
        return [s["id"] for s in json.loads(out)], err

    ids, _ = listed()
    assert ids == list(range(53, 3, -1))
    assert listed("--limit", "5")[0] == [53, 52, 51, 50, 49]
    assert listed("--all")[0] == list(range(53, 0, -1))
    code, _, err = run(capsys, "audit", "list", "--db", str(db))
    assert code == 0 and "showing the latest 50; --limit N or --all for more" in err


def test_rules_diff_counts_only_verdict_changes(tmp_path: Path) -> None:
    """A regime verdict that changes while the overall verdict stays is not counted as a
    verdict change; it is said separately."""
    from screening.authoring.rulediff import diff_rulebooks

    layer = tmp_path / "layer"
    layer.mkdir()
    # cfius_800 is filing_advised through the issue 11 risk factors (a PRC investor with a board
    # seat in a TID business) on top of cfius.covered: disable all three to drop it to clear.
    off = "disable: [cfius.covered, cfius.risk.country_of_concern_tie, cfius.risk.tid_non_excepted]"
    (layer / "off.yaml").write_text(f"regime: cfius_800\nrules: []\n{off}\n")
    old, new = load_rulebook(), load_rulebook([layer])
    deal = load_deal(DEAL)  # filing_advised overall (DSP, PAFACA) and in cfius_800
    diff = diff_rulebooks(old, new, [("d", deal)])
    text = diff.render_text()
    assert "! deal d: filing_advised → filing_advised (cfius_800 filing_advised → clear)" in text
    assert text.splitlines()[-1] == (
        "0 of 1 deals change verdict; 1 more change a regime's verdict but not the overall verdict"
    )


def test_missing_chromium_or_postgresql_skips_unless_ci_requires_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On a fresh machine a test needing what is absent skips with the reason; under CI's
    DEALSCREEN_REQUIRE_ALL=1 the same test fails, so CI still proves it."""
    from tests.conftest import require

    require(True, "never raised")
    monkeypatch.delenv("DEALSCREEN_REQUIRE_ALL", raising=False)
    with pytest.raises(pytest.skip.Exception, match="needs Chromium"):
        require(False, "needs Chromium")
    monkeypatch.setenv("DEALSCREEN_REQUIRE_ALL", "1")
    with pytest.raises(pytest.fail.Exception, match=r"needs Chromium .*a failure, not a skip"):
        require(False, "needs Chromium")
    ci = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert "DEALSCREEN_REQUIRE_ALL=1 .venv/bin/pytest" in ci
