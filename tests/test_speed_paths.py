"""Shortcuts taken for speed give exactly what the long way gives (issue 14)."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from ruamel.yaml import YAML

from screening.review.bulk import _FirstSeen
from screening.rulebook import book, conditions
from tests.conftest import ROOT

_TRICKY = [
    "0",
    "7",
    "010",
    "-5",
    "+5",
    "1_000",
    "0x1F",
    "0o17",
    "1e3",
    "12345678901234567890",
    "3.5",
    ".inf",
    ".nan",
    "true",
    "True",
    "TRUE",
    "false",
    "False",
    "null",
    "Null",
    "~",
    "yes",
    "no",
    "on",
    "off",
    "y",
    "n",
    "NO",
    "US",
    "word",
    "snake_case_2",
    "x1",
    "[a, b]",
    "[a,b]",
    "[yes, no]",
    "[a, null]",
    "[a, 1]",
    "[]",
    "2025-07-04",
    '"48E"',
    "'quoted'",
    "a: b",
]


def _ruamel(raw: str) -> Any:
    return YAML(typ="safe", pure=True).load(raw)


@pytest.mark.parametrize("raw", _TRICKY)
def test_plain_literals_read_as_ruamel_reads_them(raw: str) -> None:
    """Where the shortcut answers, it answers what ruamel answers, type included."""
    known, value = conditions._plain(raw)
    if known:
        expected = _ruamel(raw)
        assert type(value) is type(expected) and value == expected, raw


def test_every_shipped_literal_reads_as_ruamel_reads_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every condition value of the shipped rulebook, read through the shortcut (and its
    memory), equals a fresh ruamel reading of the same text."""
    seen: list[str] = []
    read = conditions._read_literal.__wrapped__

    def spy(raw: str) -> Any:
        seen.append(raw)
        return read(raw)

    monkeypatch.setattr(conditions, "_read_literal", spy)
    book._load([book.default_rules_dir()], ["rules"])
    assert len(seen) > 100
    shortcut = 0
    for raw in set(seen):
        value = conditions._literal(raw)
        expected = _ruamel(raw)
        assert type(value) is type(expected) and value == expected, raw
        shortcut += conditions._plain(raw)[0]
    assert shortcut > len(set(seen)) // 2  # the shortcut is the usual case


def test_literals_are_not_shared_between_conditions() -> None:
    """A remembered list is handed out as a copy: no condition can change another's value."""
    first = conditions._literal("[i(a), ii]")
    first.append("changed")
    assert conditions._literal("[i(a), ii]") == ["i(a)", "ii"]


def test_first_seen_gives_back_the_exact_source() -> None:
    seen = _FirstSeen()
    sources = [
        "in.jsonl:1",
        "a:b.jsonl:007",
        "deal.yaml",
        "c:12",
        "in.jsonl:0",
        "x:²",
        "in.jsonl:3",
    ]
    for i, source in enumerate(sources):
        assert seen.first(f"id{i}", source) is None
        assert seen.first(f"id{i}", source) is None  # the same source again: not a duplicate
        assert seen.first(f"id{i}", source + "9") == source
    seen.close()


def test_screen_imports_no_other_command() -> None:
    """`dealscreen screen --no-store` loads only its own command: review, the store, the
    server and the authoring tools stay unimported."""
    fixture = sorted((ROOT / "fixtures" / "deals").glob("*.yaml"))[0]
    code = (
        "import sys; from screening.cli import main; "
        f"rc = main(['screen', {str(fixture)!r}, '--no-store', '--format', 'json']); "
        "print(sorted(m for m in sys.modules if m.startswith(('screening.review', "
        "'screening.cli.review', 'screening.cli.audit', 'screening.audit', 'screening.server', "
        "'screening.authoring', 'sqlalchemy', 'sqlmodel'))), file=sys.stderr); "
        "raise SystemExit(rc)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == "[]"
