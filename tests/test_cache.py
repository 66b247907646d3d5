"""The parsed-document cache of rule files, and what a cold start imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from screening.errors import RulebookError
from screening.model import _yaml
from screening.rulebook import book as book_mod
from screening.rulebook import cache
from screening.rulebook.book import default_rules_dir, load_rulebook

ROOT = Path(__file__).resolve().parent.parent
RULE_FILES = sorted(default_rules_dir().rglob("*.yaml"))


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    where = tmp_path / "cache"
    monkeypatch.setenv(cache.ENV_DIR, str(where))
    return where


def _entries(where: Path) -> list[Path]:
    return sorted((where / "documents").glob("*.json"))


def _fresh(path: Path) -> _yaml.Document:
    return _yaml.load_file(path)


def _assert_same(a: _yaml.Document, b: _yaml.Document) -> None:
    assert cache._same(a.data, b.data)
    assert a.lines == b.lines
    assert a.path == b.path


def test_every_shipped_rule_file_round_trips_exactly(cache_dir: Path) -> None:
    for path in RULE_FILES:
        miss = cache.load_document(path)  # parsed by ruamel, written
        hit = cache.load_document(path)  # read back
        _assert_same(miss, _fresh(path))
        _assert_same(hit, _fresh(path))
    assert len(_entries(cache_dir)) == len({p.read_text() for p in RULE_FILES})


def test_decimals_keep_their_exact_text(cache_dir: Path, tmp_path: Path) -> None:
    doc = tmp_path / "d.yaml"
    doc.write_text("a: 1.50\nb: [0.1, 2.0e3, 7]\nc: '1.5'\nd: true\ne: null\n")
    cache.load_document(doc)
    hit = cache.load_document(doc)
    assert hit.data == {"a": Decimal("1.50"), "b": [Decimal("0.1"), Decimal("2.0e3"), 7]} | {
        "c": "1.5",
        "d": True,
        "e": None,
    }
    assert str(hit.data["a"]) == "1.50"
    assert type(hit.data["b"][2]) is int
    _assert_same(hit, _fresh(doc))


def test_cached_rulebook_equals_parsed_rulebook(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(book_mod, "_CACHE", {})
    cold = load_rulebook()
    assert _entries(cache_dir)
    monkeypatch.setattr(book_mod, "_CACHE", {})
    warm = load_rulebook()
    monkeypatch.setenv(cache.ENV_DIR, "")  # off
    monkeypatch.setattr(book_mod, "_CACHE", {})
    plain = load_rulebook()
    for other in (warm, plain):
        assert other is not cold
        assert other.version == cold.version
        assert other.files == cold.files
        assert repr(other.rules) == repr(cold.rules)
        assert repr(other.regimes) == repr(cold.regimes)
        assert repr(other.references) == repr(cold.references)


@pytest.mark.parametrize(
    "damage",
    [
        lambda raw: "",
        lambda raw: raw[: len(raw) // 2],  # truncated
        lambda raw: "not json\n" + raw.split("\n", 1)[1],
        lambda raw: raw.replace('"id"', '"ID"', 1),  # payload changed, checksum stale
        lambda raw: (
            raw.split("\n", 1)[0].replace(f'"format": {cache.FORMAT}', '"format": 99')
            + "\n"
            + raw.split("\n", 1)[1]
        ),
        lambda raw: "\x00\xff garbage",
    ],
)
def test_a_corrupt_entry_is_ignored_and_rebuilt(cache_dir: Path, damage) -> None:  # type: ignore[no-untyped-def]
    path = next(p for p in RULE_FILES if '"id"' in json.dumps(_fresh(p).data, default=str))
    cache.load_document(path)
    (entry,) = _entries(cache_dir)
    entry.write_text(damage(entry.read_text()))
    assert cache.read_entry(entry, cache.document_key(path.read_text())) is None
    _assert_same(cache.load_document(path), _fresh(path))
    # rewritten intact
    assert cache.read_entry(entry, cache.document_key(path.read_text())) is not None


def test_an_entry_whose_checksum_matches_but_shape_does_not_is_ignored(cache_dir: Path) -> None:
    import hashlib

    path = RULE_FILES[0]
    key = cache.document_key(path.read_text())
    entry = cache_dir / "documents" / f"{key}.json"
    entry.parent.mkdir(parents=True)
    for payload in (
        '{"data": 1.5, "lines": [1]}',  # a float is never written
        '{"data": {"\\u0000decimal": "1", "x": 1}, "lines": [1, 1, 1]}',
        '{"data": {}, "lines": [0]}',  # lines start at 1
        '{"data": {}, "lines": [1.5]}',
        '{"data": {}, "lines": [true]}',
        '{"data": {"a": 1}, "lines": [1]}',  # one line per node: 2 here
        '{"data": {"a": 1}, "lines": [1, 2, 3]}',
        '{"data": {}, "lines": []}',
        '{"data": {}, "lines": {"1": 1}}',
        '{"data": {}}',
    ):
        digest = hashlib.sha256(payload.encode()).hexdigest()
        meta = {"format": cache.FORMAT, "key": key, "sha256": digest}
        entry.write_text(json.dumps(meta) + "\n" + payload)
        assert cache.read_entry(entry, key) is None
        _assert_same(cache.load_document(path), _fresh(path))


def test_another_files_entry_is_not_used(cache_dir: Path, tmp_path: Path) -> None:
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text("x: 1\n")
    b.write_text("x: 2\n")
    cache.load_document(a)
    (entry,) = _entries(cache_dir)
    entry.rename(cache_dir / "documents" / f"{cache.document_key(b.read_text())}.json")
    assert cache.load_document(b).data == {"x": 2}


def test_an_edited_file_is_parsed_again(cache_dir: Path, tmp_path: Path) -> None:
    doc = tmp_path / "r.yaml"
    doc.write_text("x: 1\n")
    assert cache.load_document(doc).data == {"x": 1}
    doc.write_text("x: 2\ny: 3\n")
    assert cache.load_document(doc).data == {"x": 2, "y": 3}
    assert len(_entries(cache_dir)) == 2


def test_invalid_yaml_is_never_cached_and_reported_the_same(
    cache_dir: Path, tmp_path: Path
) -> None:
    doc = tmp_path / "bad.yaml"
    doc.write_text("a: 1\na: 2\n")
    for _ in range(2):
        with pytest.raises(_yaml.DocumentError) as info:
            cache.load_document(doc)
        assert [p.render() for p in info.value.problems] == [f"{doc}:2: duplicate-key: `a` twice"]
    assert not _entries(cache_dir)


def test_rulebook_checks_still_run_on_cached_documents(
    cache_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    layer = tmp_path / "layer"
    layer.mkdir()
    (layer / "dup.yaml").write_text(
        (default_rules_dir() / "cfius_800" / "coverage.yaml").read_text()
    )
    for _ in range(2):  # a miss, then a hit: the same duplicate-rule problems
        monkeypatch.setattr(book_mod, "_CACHE", {})
        with pytest.raises(RulebookError) as info:
            load_rulebook([layer])
        assert any(p.code == "duplicate-rule" for p in info.value.problems)


def test_an_unwritable_cache_only_costs_the_parse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv(cache.ENV_DIR, str(blocker / "below-a-file"))
    _assert_same(cache.load_document(RULE_FILES[0]), _fresh(RULE_FILES[0]))


def test_cache_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(cache.ENV_DIR)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache.cache_dir() == tmp_path / "dealscreen"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative")  # not absolute: ignored, as XDG says
    assert cache.cache_dir() == Path.home() / ".cache" / "dealscreen"
    monkeypatch.setenv(cache.ENV_DIR, str(tmp_path / "mine"))
    assert cache.cache_dir() == tmp_path / "mine"
    monkeypatch.setenv(cache.ENV_DIR, "")
    assert cache.cache_dir() is None


# --- what a cold start imports --------------------------------------------------------------

_PROBE = """
import sys
from screening.cli.app import main
status = main(sys.argv[1:])
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("sqlalchemy", "sqlmodel"))
print("HEAVY", heavy, file=sys.stderr)
raise SystemExit(status)
"""


@pytest.mark.parametrize(
    "args",
    [
        [
            "screen",
            str(ROOT / "fixtures/deals/atlas-hk-listed-chipmaker-shares.yaml"),
            "--no-store",
        ],
        ["--help"],
        ["screen", "--help"],
    ],
)
def test_screen_without_store_and_help_do_not_import_the_store(args: list[str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, *args],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "HEAVY []" in proc.stderr, proc.stderr


_DASK_PROBE = _PROBE.replace('("sqlalchemy", "sqlmodel")', '("dask", "distributed")')


@pytest.mark.parametrize(
    "args",
    [
        [
            "screen",
            str(ROOT / "fixtures/deals/atlas-hk-listed-chipmaker-shares.yaml"),
            "--no-store",
        ],
        ["--help"],
        ["review", "--help"],
        [
            "review",
            str(ROOT / "fixtures/deals/atlas-hk-listed-chipmaker-shares.yaml"),
            "--no-store",
            "--workers",
            "1",
        ],
    ],
)
def test_dask_is_imported_only_for_a_review_on_dask(args: list[str]) -> None:
    """`--cluster`/`--scheduler` import dask; nothing else does (it costs the cold start)."""
    proc = subprocess.run(
        [sys.executable, "-c", _DASK_PROBE, *args],
        capture_output=True,
        text=True,
        env={**os.environ, "CI": "1"},
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "HEAVY []" in proc.stderr, proc.stderr


def test_the_cli_names_the_stores_environment_variable() -> None:
    from screening.audit.store import ENV_DB
    from screening.cli.audit import ENV_DB as CLI_ENV_DB

    assert CLI_ENV_DB == ENV_DB


# --- the entries prebuilt when the package is built (setup.py) -----------------------------


@pytest.fixture
def prebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The shipped rules' entries, written as the package build writes them, in use."""
    where = tmp_path / "prebuilt"
    assert cache.prebuild(default_rules_dir(), where) == len({p.read_text() for p in RULE_FILES})
    monkeypatch.setattr(cache, "PREBUILT", where)
    return where


def test_prebuilt_entries_are_read_first(cache_dir: Path, prebuilt: Path) -> None:
    for path in RULE_FILES:
        _assert_same(cache.load_document(path), _fresh(path))
    assert not _entries(cache_dir)  # every document came from the prebuilt entries


def test_a_prebuilt_entry_serves_only_the_text_it_was_built_from(
    cache_dir: Path, prebuilt: Path, tmp_path: Path
) -> None:
    """An edited (or another) rule file misses the prebuilt entries: it is parsed and its entry
    goes to the user's cache, never into the package."""
    edited = tmp_path / "edited.yaml"
    edited.write_text(RULE_FILES[0].read_text() + "\n# edited\n")
    before = sorted(prebuilt.iterdir())
    _assert_same(cache.load_document(edited), _fresh(edited))
    assert len(_entries(cache_dir)) == 1
    assert sorted(prebuilt.iterdir()) == before


@pytest.mark.parametrize(
    "damage",
    [
        lambda raw: "",
        lambda raw: raw[: len(raw) // 2],
        lambda raw: raw.replace('"id"', '"ID"', 1),  # payload changed, checksum stale
        lambda raw: raw.replace(":[", ":[9,", 1),  # a line map that does not fit
    ],
)
def test_a_corrupt_prebuilt_entry_is_ignored(cache_dir: Path, prebuilt: Path, damage) -> None:  # type: ignore[no-untyped-def]
    path = next(p for p in RULE_FILES if '"id"' in json.dumps(_fresh(p).data, default=str))
    entry = prebuilt / f"{cache.document_key(path.read_text())}.json"
    entry.write_text(damage(entry.read_text()))
    _assert_same(cache.load_document(path), _fresh(path))  # parsed again
    assert len(_entries(cache_dir)) == 1  # and cached for the user; the package is not written
    _assert_same(cache.load_document(path), _fresh(path))  # now from the user's cache


def test_the_cache_turned_off_reads_no_prebuilt_entry(
    prebuilt: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(cache.ENV_DIR, "")
    seen: list[Path] = []
    read = cache.read_entry

    def spy(entry: Path, key: str):  # type: ignore[no-untyped-def]
        seen.append(entry)
        return read(entry, key)

    monkeypatch.setattr(cache, "read_entry", spy)
    _assert_same(cache.load_document(RULE_FILES[0]), _fresh(RULE_FILES[0]))
    assert seen == []


def test_a_cache_hit_imports_no_yaml_parser(tmp_path: Path) -> None:
    """Keying an entry reads ruamel's version from its files; it does not import ruamel."""
    code = (
        "import sys; from screening.rulebook import cache; "
        "cache.document_key('x: 1'); print('ruamel.yaml' in sys.modules)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert proc.stdout.strip() == "False"


@pytest.mark.parametrize("deal", ["json", "yaml"])
def test_a_cached_rulebook_imports_no_yaml_parser(tmp_path: Path, deal: str) -> None:
    """`dealscreen screen` of a JSON deal with the rulebook cached imports no ruamel at all; a
    YAML deal needs it for the deal only."""
    source = ROOT / "fixtures/deals/atlas-hk-listed-chipmaker-shares.yaml"
    fixture = source
    if deal == "json":
        fixture = tmp_path / "deal.json"
        fixture.write_text(json.dumps(_fresh(source).data, default=str))
    code = (
        "import sys; from screening.cli.app import main; "
        f"rc = main(['screen', {str(fixture)!r}, '--no-store', '--format', 'json']); "
        "print('ruamel.yaml' in sys.modules, file=sys.stderr); raise SystemExit(rc)"
    )
    env = {**os.environ, cache.ENV_DIR: str(tmp_path / "cache")}
    for _ in range(2):  # a miss (parsed, written), then a hit
        proc = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT
        )
        assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == str(deal == "yaml")
