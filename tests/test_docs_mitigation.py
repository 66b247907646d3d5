"""docs/mitigation.md: every console example prints exactly what the page shows; the Python
example prints its stated output."""

from __future__ import annotations

import shlex
import subprocess
import sys

import pytest

from screening.cli.app import main
from tests.conftest import ROOT
from tests.test_docs import blocks

DOC = ROOT / "docs" / "mitigation.md"
CONSOLE = [body for info, body in blocks(DOC) if info == "console"]


@pytest.mark.parametrize("body", CONSOLE, ids=[b.splitlines()[0][2:60] for b in CONSOLE])
def test_console_example(
    body: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command, run from the repository root, prints the shown output byte for byte."""
    command, _, expected = body.partition("\n")
    args = shlex.split(command.removeprefix("$ "))
    assert args[0] == "dealscreen"
    monkeypatch.chdir(ROOT)
    code = main(args[1:])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out == expected


def test_python_example() -> None:
    """The Python example runs and prints what the page says it prints."""
    found = blocks(DOC)
    index = next(i for i, (info, _) in enumerate(found) if info == "python")
    code, shown = found[index][1], found[index + 1][1]
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert proc.stdout == shown


def test_examples_exist() -> None:
    """The page has its three console examples."""
    assert len(CONSOLE) == 3
