"""docs/authoring.md is executed: its files are written, its console sessions run, its operator
table parses, in a scratch directory where `rules/` is the shipped rulebook."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest

from screening.cli.app import main
from screening.rulebook.book import load_rulebook
from screening.rulebook.conditions import OPERATORS, Problems, parse_leaf

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "authoring.md"
_BLOCK = re.compile(r"^```(?P<lang>[a-z]*)(?P<info>[^\n]*)\n(?P<body>.*?)^```\s*$", re.M | re.S)
_ROW = re.compile(r"^\| `(?P<op>[^`]+)` \| `(?P<example>[^`]+)` \|", re.M)


def blocks() -> list[tuple[str, dict[str, str], str]]:
    """(language, info attributes, body) of every fenced block, in order."""
    out = []
    for m in _BLOCK.finditer(DOC.read_text(encoding="utf-8")):
        info = dict(part.split("=", 1) for part in m.group("info").split() if "=" in part)
        out.append((m.group("lang"), info, m.group("body")))
    return out


def run_command(line: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    args = shlex.split(line)
    if args[0] == "mkdir":
        Path(args[-1]).mkdir(parents=True, exist_ok=True)
        return 0, ""
    if args[0] == "cp":
        shutil.copy(args[1], args[2])
        return 0, ""
    assert args[0] == "dealscreen", f"docs may only run dealscreen, mkdir and cp: {line}"
    code = main(args[1:])
    out, err = capsys.readouterr()
    return code, out + err


def check_session(body: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Run each `$ command`; each line shown after it must appear in its output, in order."""
    steps: list[tuple[str, list[str]]] = []
    for line in body.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        elif line.strip():
            steps[-1][1].append(line)
    for command, expected in steps:
        code, output = run_command(command, capsys)
        assert code == 0, f"`{command}` exited {code}:\n{output}"
        lines = iter(output.splitlines())
        for want in expected:
            assert any(want in got for got in lines), (
                f"`{command}`: expected a line containing {want!r} (in order) in:\n{output}"
            )


def test_authoring_guide_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every file block is written, every append block appended, every console session passes."""
    (tmp_path / "rules").symlink_to(ROOT / "rules")
    monkeypatch.chdir(tmp_path)
    sessions = 0
    for lang, info, body in blocks():
        if "file" in info:
            path = tmp_path / info["file"]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(body, encoding="utf-8")
        elif "append" in info:
            with (tmp_path / info["append"]).open("a", encoding="utf-8") as f:
                f.write(body)
        elif lang == "console":
            check_session(body, capsys)
            sessions += 1
    assert sessions >= 4


def test_every_operator_has_a_parsing_example() -> None:
    """The operator table covers every operator, and each example is a valid condition."""
    rows = _ROW.findall(DOC.read_text(encoding="utf-8"))
    ops = {op.replace(" @list", "") for op, _ in rows}
    assert set(OPERATORS) | {"is", "finding", "not finding"} <= ops
    refs = load_rulebook().references.lists
    for op, example in rows:
        problems = Problems([])
        leaf = parse_leaf(example, "docs/authoring.md", problems, refs)
        assert leaf is not None and not problems.items, (op, example, problems.items)


def test_every_lint_code_is_documented() -> None:
    """Each lint code appears in the guide's lint table with its severity."""
    from screening.authoring.lint import CODES

    text = DOC.read_text(encoding="utf-8")
    for code, severity in CODES.items():
        assert f"| `{code}` | {severity} |" in text, code
