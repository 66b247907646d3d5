"""Examples in the docs are executed: the README's Python tour and docs/deals.md's record."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from screening import load_deal, screen
from tests.conftest import ROOT

_BLOCK = re.compile(r"```(?P<info>[^\n]*)\n(?P<body>.*?)```", re.S)


def blocks(path: Path) -> list[tuple[str, str]]:
    """(info string, body) of every fenced block in a Markdown file."""
    return [(m.group("info").strip(), m.group("body")) for m in _BLOCK.finditer(path.read_text())]


def test_deals_doc_example_screens_as_stated(tmp_path: Path, rulebook: Any) -> None:
    """The record in docs/deals.md is valid and gives the verdict the page states."""
    info, body = next(
        b for b in blocks(ROOT / "docs" / "deals.md") if b[0].startswith("yaml file=")
    )
    path = tmp_path / info.split("=", 1)[1]
    path.write_text(body)
    result = screen(load_deal(path), rulebook=rulebook)
    assert result.verdict == "filing_required"
    assert {
        "cfius.mandatory.gov_substantial_interest",
        "cfius.mandatory.critical_technology",
    } <= set(result.fired)


def _screened_blocks() -> list[tuple[str, str]]:
    return [
        (info, body)
        for info, body in blocks(ROOT / "docs" / "deals.md")
        if info.startswith("yaml file=") and " verdict=" in info
    ]


@pytest.mark.parametrize(("info", "body"), _screened_blocks(), ids=lambda v: v.split()[1])
def test_deals_doc_examples_give_the_stated_verdict(
    info: str, body: str, tmp_path: Path, rulebook: Any
) -> None:
    """Each record in docs/deals.md marked `verdict=` screens to it; `open=` rules stay open."""
    words = dict(part.split("=", 1) for part in info.split()[1:])
    path = tmp_path / words["file"]
    path.write_text(body)
    result = screen(load_deal(path), rulebook=rulebook)
    assert result.verdict == words["verdict"]
    if "open" in words:
        assert words["open"] in {q.rule_id for q in result.open_questions}


def test_deals_doc_has_range_examples() -> None:
    """The ranges section is executed: at least two marked records use ranges."""
    bodies = [body for _, body in _screened_blocks()]
    assert sum("{min:" in b or "majority" in b or "minority" in b for b in bodies) >= 2


def test_deals_doc_stipulated_no_control_clears_the_supermajority_example(
    tmp_path: Path, rulebook: Any
) -> None:
    """What docs/deals.md says of its supermajority record: with counsel's `control: false`
    the blocking vote no longer counts (800.208 stipulated) and the record is clear."""
    body = next(b for info, b in _screened_blocks() if "supermajority.yaml" in info)
    path = tmp_path / "stipulated.yaml"
    path.write_text(body.replace("  voting_pct: 30\n", "  voting_pct: 30\n  control: false\n"))
    result = screen(load_deal(path), rulebook=rulebook)
    assert "cfius.control" not in result.fired
    assert result.verdict == "clear"


def test_readme_python_tour_runs() -> None:
    """The README's Python snippet runs as written and prints what its comment says."""
    code = next(body for info, body in blocks(ROOT / "README.md") if info == "python")
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert proc.stdout.splitlines()[0] == "filing_required"


_OUTPUT_OF = re.compile(r'^text output-of="(?P<args>[^"]+)"$')


def _output_blocks() -> list[tuple[str, str, str]]:
    found = []
    for doc in (ROOT / "README.md", ROOT / "docs" / "review.md"):
        for info, body in blocks(doc):
            m = _OUTPUT_OF.match(info)
            if m:
                found.append((doc.name, m.group("args"), body))
    return found


def test_documented_output_matches_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    """Each ```text output-of="ARGS"``` block (the memo in the README tour and in
    docs/review.md) is what `dealscreen ARGS` prints: its lines appear in order, `…` standing
    for lines left out and RULEBOOK for the rulebook version."""
    from screening.cli.app import main

    found = _output_blocks()
    assert {name for name, _, _ in found} == {"README.md", "review.md"}
    for name, args, body in found:
        assert main(shlex.split(args)) == 0, (name, args)
        out = capsys.readouterr().out
        out = re.sub(r"\b[0-9a-f]{16}\b", "RULEBOOK", out)
        lines = iter(out.splitlines())
        for wanted in body.splitlines():
            if wanted == "…":
                continue
            assert any(line == wanted for line in lines), f"{name}: `{wanted}` not in {args}"


def _console_blocks() -> list[str]:
    return [body for info, body in blocks(ROOT / "docs" / "deals.md") if info == "console"]


@pytest.mark.parametrize(
    "body", _console_blocks(), ids=lambda b: b.splitlines()[0][2:70].replace(" ", "_")
)
def test_deals_doc_console_output_is_what_the_tool_prints(
    body: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each ```console``` block of docs/deals.md, run in a directory holding the page's
    records, prints what it shows: byte for byte, or, where `…` stands for lines left out,
    each run of shown lines appears consecutively and in order."""
    from screening.cli.app import main

    for info, record in blocks(ROOT / "docs" / "deals.md"):
        if info.startswith("yaml file="):
            (tmp_path / info.split()[1].split("=", 1)[1]).write_text(record)
    command, _, shown = body.partition("\n")
    args = shlex.split(command.removeprefix("$ "))
    assert args[0] == "dealscreen"
    monkeypatch.chdir(tmp_path)
    code = main(args[1:])
    out, err = capsys.readouterr()
    assert code == 0, err
    if "…" not in shown.splitlines():
        assert out == shown
        return
    lines, at = out.splitlines(), 0
    runs: list[list[str]] = [[]]
    for line in shown.splitlines():
        if line == "…":
            runs.append([])
        else:
            runs[-1].append(line)
    for run in filter(None, runs):
        found = next((i for i in range(at, len(lines)) if lines[i : i + len(run)] == run), None)
        assert found is not None, f"`{command}`: not printed (in order):\n" + "\n".join(run)
        at = found + len(run)


def test_deals_doc_executes_the_issue_12_constructs() -> None:
    """docs/deals.md carries executed examples of governance control (deadlock, largest
    holder, dominant minority, stipulated control, supermajority), asset indicia and history."""
    records = "\n".join(body for _, body in _screened_blocks())
    consoles = "\n".join(_console_blocks())
    for needle in (
        "decision_threshold_pct:",
        "largest_other_holder_pct:",
        "assets:",
        "months_since_operated:",
        "history:",
        "clearances:",
        "mitigation_agreement: true",
        "held_before: false",
    ):
        assert needle in records, needle
    for needle in ("rights.dominant_minority=true", "rights.control=false", "rights.control=true"):
        assert needle in consoles, needle


def test_deals_doc_misspelt_installation_gets_did_you_mean(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What docs/deals.md says of its named-installation record: misspelt, `dealscreen check`
    warns with the listed name."""
    from screening.cli.app import main

    body = next(b for info, b in _screened_blocks() if "named-site.yaml" in info)
    path = tmp_path / "misspelt.yaml"
    path.write_text(body.replace("Grand Forks Air Force Base", "Grand Forks Air Force Bass"))
    assert main(["check", str(path)]) == 0
    err = capsys.readouterr().err
    assert "did you mean `Grand Forks Air Force Base`?" in err


def test_deals_doc_unknown_clearances_leave_the_follow_on_open(
    tmp_path: Path, rulebook: Any
) -> None:
    """What docs/deals.md says of `clearances: null`: the follow-on record is `clear` because
    CFIUS cleared the earlier step (800.304(f)(2)); whether it did not being known, the covered
    investment is open (floor clear, ceiling covered or above), never assumed either way."""
    body = next(b for info, b in _screened_blocks() if "history-followon.yaml" in info)
    path = tmp_path / "unknown-clearances.yaml"
    path.write_text(
        body.replace(
            "  clearances: [{kind: covered_investment, cleared_on: 2024-03-15}]\n",
            "  clearances: null\n",
        )
    )
    result = screen(load_deal(path), rulebook=rulebook)
    cfius = result.regimes["cfius_800"]
    assert cfius.verdict == "clear"
    assert cfius.ceiling is not None and cfius.ceiling != "clear"
    assert "cfius.not_covered.follow_on_no_new_rights" not in result.fired
