"""Shortcuts taken for speed give exactly what the long way gives (issue 14)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

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
    '""',
    "''",
    '"a b"',
    '"a\\"b"',
    "'it''s'",
    '"yes"',
    "US",
    "Yes",
    "YES",
    "On",
    "N",
    "NULL",
    "Null",
    "Infinity",
    "NaN",
    "_x",
    "2025-02-30",
    "2025-7-4",
    "2025-07-04T10:00:00",
    "1999-12-31",
    '["45Y", "48E", "45X"]',
    '["45Y", yes]',
    "[i(a), i(b), ii, xxvii]",
    "[i(a)(b)]",
    "[US, CN]",
    '["a", b]',
    "[a, 'b']",
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
    # Every shipped value is read by the shortcut: a rulebook read from its cache imports no
    # ruamel (test_a_cached_rulebook_imports_no_yaml_parser).
    assert shortcut == len(set(seen)), sorted(r for r in set(seen) if not conditions._plain(r)[0])


def test_literals_are_not_shared_between_conditions() -> None:
    """A remembered list is handed out as a copy: no condition can change another's value."""
    first = conditions._literal("[i(a), ii]")
    first.append("changed")
    assert conditions._literal("[i(a), ii]") == ["i(a)", "ii"]


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


def _printable_char_by_char(text: str, keep_newlines: bool) -> str:
    """`errors.printable` as it was written before it used a regular expression."""
    from screening.errors import BIDI_CONTROLS, _visible

    if text.isprintable():
        return text
    keep = "\n\t" if keep_newlines else ""
    return "".join(
        _visible(ch)
        if ch not in keep and (ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F or ch in BIDI_CONTROLS)
        else ch
        for ch in text
    )


def test_printable_escapes_what_the_character_walk_escaped() -> None:
    import random

    from screening.errors import BIDI_CONTROLS, printable

    alphabet = [chr(i) for i in range(0x200)] + sorted(BIDI_CONTROLS)
    alphabet += ["\u2028", "\u00ad", "\ufeff", "é", "中", "\U0001f600"]
    rng = random.Random(14)  # deterministic
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24)))
        for keep in (True, False):
            assert printable(text, keep_newlines=keep) == _printable_char_by_char(text, keep)


def test_the_collector_is_paused_for_screen_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """`dealscreen screen` runs with the cyclic garbage collector paused (start-up makes long-
    lived objects, one deal little garbage); other commands run with it on; main() leaves it
    as it found it."""
    import gc
    import json

    from screening.cli import main
    from screening.engine import run

    seen: dict[str, bool] = {}
    screen, dumps = run.screen, json.dumps

    def screening(*args: Any, **kwargs: Any) -> Any:
        seen["screen"] = gc.isenabled()
        return screen(*args, **kwargs)

    def dumping(*args: Any, **kwargs: Any) -> str:
        seen.setdefault("schema", gc.isenabled())
        return dumps(*args, **kwargs)

    monkeypatch.setattr(run, "screen", screening)
    monkeypatch.setattr(json, "dumps", dumping)
    fixture = ROOT / "fixtures/deals/atlas-hk-listed-chipmaker-shares.yaml"
    assert gc.isenabled()
    assert main(["screen", str(fixture), "--no-store"]) == 0
    assert gc.isenabled()
    seen.pop("schema", None)  # the screen's own JSON
    assert main(["schema"]) == 0
    assert gc.isenabled()
    assert seen == {"screen": False, "schema": True}
    gc.disable()  # a caller that turned it off itself gets it back off
    try:
        assert main(["schema"]) == 0
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_country_codes_are_pycountrys() -> None:
    """The alpha-2 codes read from pycountry's database file are exactly those pycountry
    knows, in any case (checked for every pair of letters)."""
    import itertools
    import string

    import pycountry

    from screening.model.basetypes import is_alpha_2

    for a, b in itertools.product(string.ascii_letters, repeat=2):
        code = a + b
        assert is_alpha_2(code) == (pycountry.countries.get(alpha_2=code) is not None), code
    with pytest.raises(LookupError):
        pycountry.countries.get(alpha_2=1)  # type: ignore[arg-type]
    with pytest.raises(LookupError):
        is_alpha_2(1)


def test_package_dir_finds_what_import_finds() -> None:
    """The folders read without importing are those of the modules Python imports."""
    import pycountry
    import ruamel.yaml

    from screening.model._files import package_dir

    code = (
        "import sys; from screening.model._files import package_dir; "
        "print(package_dir('pycountry')); print(package_dir('ruamel.yaml')); "
        "print('pycountry' in sys.modules, 'ruamel.yaml' in sys.modules)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    found, yaml_found, imported = proc.stdout.splitlines()
    assert Path(found) == Path(pycountry.__file__).parent
    assert Path(yaml_found) == Path(ruamel.yaml.__file__ or "").parent
    assert imported == "False False"
    assert package_dir("pycountry") == Path(pycountry.__file__).parent  # loaded: its own folder
    assert package_dir("no_such_package_here") is None


def test_the_program_exits_with_its_objects_frozen() -> None:
    """`dealscreen` (console) returns main's status, its output written, with every object
    frozen so that the interpreter's last collection at exit does not walk them."""
    fixture = ROOT / "fixtures/deals/atlas-hk-listed-chipmaker-shares.yaml"
    code = (
        "import gc, sys; from screening.cli import console; rc = console(); "
        "print('FROZEN', gc.get_freeze_count() > 0, gc.isenabled(), file=sys.stderr); "
        "raise SystemExit(rc)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, "screen", str(fixture), "--no-store", "--format", "json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["verdict"]
    assert "FROZEN True True" in proc.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "screening.cli", "screen", str(ROOT / "no-such-deal.yaml")],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert bad.returncode == 2, bad.stderr
