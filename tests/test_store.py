"""The audit store: round trips, the hash chain, batches, resume, schema versions, snapshots."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from screening import StoreError, load_deal, load_rulebook, screen
from screening.audit import store as store_mod
from screening.audit.store import Store, deal_hash, result_hash
from screening.rulebook.book import Rulebook
from tests.conftest import FIXTURES
from tests.store_fixtures import BACKENDS, execute, government_deal, make_deal, url_for

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh store URL: SQLite always, PostgreSQL when DEALSCREEN_TEST_PG is set."""
    return url_for(request.param, tmp_path)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite store."""
    return url_for("sqlite", tmp_path)


def fixture_deals() -> list[Path]:
    return sorted(FIXTURES.glob("*.yaml"))


def test_round_trip_fixture_deals(url: str) -> None:
    """record → store → record gives back the same result (less the memo and a consortium's
    per-member section, views the store does not keep) and the same deal, for every fixture."""
    store = Store(url)
    deals = [load_deal(p) for p in fixture_deals()] or [make_deal(), government_deal()]
    results = [screen(d) for d in deals]
    ids = store.record_many(zip(results, deals, strict=True))
    assert ids == list(range(1, len(deals) + 1))
    for i, result, deal in zip(ids, results, deals, strict=True):
        stored = store.get(i)
        assert result.summary is not None
        kept = result.model_copy(update={"summary": None, "consortium": None})
        assert stored.result == kept
        assert stored.result.model_dump_json() == kept.model_dump_json()
        assert stored.deal == deal
        assert stored.deal_hash == deal_hash(deal)
        assert stored.result_hash == result_hash(result)


def test_record_returns_sequential_ids_and_survives_reopening(url: str) -> None:
    """Each record commits on its own; a new Store on the same URL sees everything."""
    deal = government_deal()
    result = screen(deal)
    assert [Store(url).record(result, deal) for _ in range(3)] == [1, 2, 3]
    again = Store(url)
    assert again.count() == 3
    assert again.get(2).result == result.model_copy(update={"summary": None})
    assert again.schema_version == store_mod.SCHEMA_VERSION


def test_result_hash_has_no_timestamp_but_row_hash_does(url: str) -> None:
    """The same result recorded twice has one result hash and two different row hashes."""
    store = Store(url)
    deal = make_deal()
    result = screen(deal)
    a, b = store.get(store.record(result, deal)), store.get(store.record(result, deal))
    assert a.result_hash == b.result_hash == result_hash(result)
    assert a.row_hash != b.row_hash
    assert b.prev_hash == a.row_hash
    assert a.prev_hash == store_mod.GENESIS


def test_deal_hash_identifies_content() -> None:
    """Equal deals hash equal (whatever the dict order), different deals differently."""
    assert deal_hash(make_deal(1)) == deal_hash(make_deal(1))
    assert deal_hash(make_deal(1)) != deal_hash(make_deal(2))
    assert len(deal_hash(make_deal(1))) == 64


def test_has_and_recorded(url: str) -> None:
    """`has` and `recorded` answer for a deal hash and rulebook version (for --resume)."""
    store = Store(url)
    deal = make_deal(7)
    result = screen(deal)
    assert not store.has(deal_hash(deal), result.rulebook_version)
    store.record(result, deal)
    assert store.has(deal_hash(deal), result.rulebook_version)
    assert not store.has(deal_hash(deal), "0000000000000000")
    assert not store.has(deal_hash(make_deal(8)), result.rulebook_version)
    assert store.recorded(result.rulebook_version) == {deal_hash(deal)}


def test_batch_commits_every_n_and_the_rest_on_exit(url: str) -> None:
    """A batch writer commits each full batch, and what is left when the block ends."""
    store = Store(url)
    deals = [make_deal(i) for i in range(7)]
    with store.batch(3) as batch:
        for deal in deals[:6]:
            batch.add(screen(deal), deal)
        assert Store(url).count() == 6
        batch.add(screen(deals[6]), deals[6])
        assert Store(url).count() == 6
    assert store.count() == 7
    assert batch.ids == list(range(1, 8))
    assert store.verify().ok


def test_batch_interrupted_by_an_exception_keeps_committed_and_pending(url: str) -> None:
    """Ctrl-C (KeyboardInterrupt) in a batch: finished screenings are kept, nothing is doubled."""
    store = Store(url)
    with pytest.raises(KeyboardInterrupt), store.batch(4) as batch:
        for i in range(6):
            deal = make_deal(i)
            batch.add(screen(deal), deal)
        raise KeyboardInterrupt
    assert store.count() == 6
    assert store.verify().ok


_KILL_SCRIPT = textwrap.dedent(
    """
    import os, signal, sys
    sys.path.insert(0, {root!r})
    from screening import load_rulebook, screen
    from screening.audit.store import Store, deal_hash
    from tests.store_fixtures import make_deal
    store = Store({url!r})
    book = load_rulebook()
    print(" ".join(deal_hash(make_deal(i)) for i in range(25)), flush=True)
    with store.batch(10, rulebook=book) as batch:
        for i in range(25):
            deal = make_deal(i)
            batch.add(screen(deal, rulebook=book), deal)
            if i == 24:
                os.kill(os.getpid(), signal.SIGKILL)
    """
)


def test_killed_batch_keeps_committed_rows_and_resume_finds_them(url: str) -> None:
    """SIGKILL mid-batch: the committed batches stay, the open one is gone, the chain is whole."""
    proc = subprocess.run(
        [sys.executable, "-c", _KILL_SCRIPT.format(root=str(ROOT), url=url)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == -9, proc.stderr
    store = Store(url)
    assert store.count() == 20
    version = store.get(1).result.rulebook_version
    # The hashes as the killed process computed them (this process's deals could differ if
    # another test changed shared example data).
    hashes = proc.stdout.split()
    assert [store.has(h, version) for h in hashes] == [True] * 20 + [False] * 5
    assert store.recorded(version) == set(hashes[:20])
    # Resume: record only the deals not yet recorded; every deal is then there exactly once.
    book = store.rulebook(version)
    with store.batch(10) as batch:
        for i in range(25):
            stored_deal = make_deal(i)
            if hashes[i] not in store.recorded(version):
                batch.add(screen(stored_deal, rulebook=book), stored_deal)
    ids = sorted(s.deal_id for s in store.summaries())
    assert ids == sorted(f"deal-{i:05d}" for i in range(25))
    assert store.verify().ok


def test_summaries_filter_by_deal_verdict_and_date(url: str) -> None:
    """List filters: deal id, overall verdict, recorded since; newest first; limit."""
    store = Store(url)
    plain, gov = make_deal(1), government_deal(1)
    store.record_many([(screen(plain), plain), (screen(gov), gov), (screen(plain), plain)])
    assert [s.id for s in store.summaries()] == [3, 2, 1]
    assert [s.id for s in store.summaries(deal_id=plain.id)] == [3, 1]
    assert [s.id for s in store.summaries(verdict="filing_advised")] == [2]
    assert store.summaries(since=dt.date.today() + dt.timedelta(days=2)) == []
    assert len(store.summaries(since=dt.date(2000, 1, 1), limit=2)) == 2


def test_rulebook_rebuilt_from_snapshot_is_the_same(url: str) -> None:
    """The snapshot rebuilds the rulebook: same version, same rule locations, same results."""
    store = Store(url)
    deal = government_deal()
    current = load_rulebook()
    result = screen(deal, rulebook=current)
    store.record(result, deal)
    rebuilt = Store(url).rulebook(result.rulebook_version)
    assert rebuilt.version == current.version
    assert rebuilt.files == current.files
    assert {r.id: r.location for r in rebuilt.rules.values()} == {
        r.id: r.location for r in current.rules.values()
    }
    assert all(r.location.startswith("rules/") for r in rebuilt.rules.values())
    assert screen(deal, rulebook=rebuilt) == result


def _layer(tmp_path: Path, body: str) -> Rulebook:
    layer = tmp_path / "layer"
    (layer / "cfius_800").mkdir(parents=True)
    (layer / "cfius_800" / "local.yaml").write_text(body, encoding="utf-8")
    return load_rulebook([layer])


def test_layered_rulebook_is_snapshotted_with_its_layers(url: str, tmp_path: Path) -> None:
    """A rulebook with a layer rebuilds exactly, layer and labels included."""
    book = _layer(
        tmp_path, "regime: cfius_800\nrules: []\ndisable: [cfius.risk.government_controlled]\n"
    )
    deal = government_deal()
    result = screen(deal, rulebook=book)
    assert "cfius.risk.government_controlled" not in result.fired
    store = Store(url)
    with pytest.raises(StoreError) as err:
        store.record(result, deal)
    assert (err.value.code, err.value.location) == ("unknown-rulebook", f"rulebook {book.version}")
    store.record(result, deal, rulebook=book)
    rebuilt = store.rulebook(book.version)
    assert rebuilt.files == book.files
    assert rebuilt.version == book.version
    assert set(rebuilt.rules) == set(book.rules)
    assert screen(deal, rulebook=rebuilt) == result


def test_record_refuses_a_result_of_another_deal(url: str) -> None:
    """The deal given must be the deal screened."""
    with pytest.raises(StoreError) as err:
        Store(url).record(screen(make_deal(1)), make_deal(2))
    assert err.value.code == "deal-mismatch"
    assert err.value.message == "the result is for deal `deal-00001`, not this deal"


def test_unknown_screening_is_a_clear_error(url: str) -> None:
    """Asking for a screening that is not there is a StoreError, not a crash."""
    with pytest.raises(StoreError) as err:
        Store(url).get(42)
    assert (err.value.code, err.value.message) == (
        "unknown-screening",
        "no screening `42` in the store",
    )


def test_verify_ok_on_an_untouched_store(url: str) -> None:
    """A store nobody edited verifies, and the report carries the chain head."""
    store = Store(url)
    ids = store.record_many((screen(make_deal(i)), make_deal(i)) for i in range(5))
    report = store.verify()
    assert report.ok
    assert (report.screenings, report.rulebooks) == (5, 1)
    assert report.head_hash == store.get(ids[-1]).row_hash


def _recorded(url: str, n: int = 4) -> Store:
    store = Store(url)
    deals = [make_deal(0), government_deal(1), make_deal(2), government_deal(3)][:n]
    store.record_many((screen(d), d) for d in deals)
    return store


def test_tamper_with_sqlite_directly_is_found(sqlite_url: str) -> None:
    """Editing a hit's explanation with sqlite3 breaks that screening's link, only that one."""
    store = _recorded(sqlite_url)
    path = sqlite_url.removeprefix("sqlite:///")
    con = sqlite3.connect(path)
    with con:
        con.execute(
            "UPDATE hit SET explanation = 'nothing to see' WHERE screening_id = 2 AND position = 0"
        )
    con.close()
    report = store.verify()
    assert not report.ok
    assert report.problems == [
        (
            "screening 2",
            "the stored result (verdicts, hits or open questions) does not match its hash",
        )
    ]


def test_tamper_with_verdict_and_rehash_is_found(sqlite_url: str) -> None:
    """Lowering a verdict and fixing that row's own hashes still breaks the next link."""
    store = _recorded(sqlite_url)
    row = store.get(2)
    lowered = row.result.model_copy(update={"verdict": "clear"})
    con = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))
    with con:
        con.execute(
            "UPDATE screening SET verdict = 'clear', result_hash = ?, row_hash = ? WHERE id = 2",
            (result_hash(lowered), "f" * 64),
        )
    con.close()
    where, what = store.verify().problems[0]
    assert where == "screening 2"
    assert what == "the row does not match its hash"


@pytest.mark.parametrize(
    ("sql", "where", "what"),
    [
        (
            "UPDATE screening SET deal_json = replace(deal_json, 'Example Target', 'Other') "
            "WHERE id = 3",
            "screening 3",
            "the stored deal does not match its hash",
        ),
        (
            "UPDATE screening SET created_at = '2020-01-01T00:00:00.000000Z' WHERE id = 1",
            "screening 1",
            "the row does not match its hash",
        ),
        (
            "DELETE FROM hit WHERE screening_id = 4",
            "screening 4",
            "the stored result (verdicts, hits or open questions) does not match its hash",
        ),
        (
            "UPDATE screening SET prev_hash = :zero WHERE id = 2",
            "screening 2",
            "its link to screening 1 is broken (previous hash differs)",
        ),
    ],
)
def test_tamper_on_any_backend_is_found(url: str, sql: str, where: str, what: str) -> None:
    """Edits made outside dealscreen (any backend) are reported at the first broken link."""
    store = _recorded(url)
    execute(url, sql, zero="0" * 64)
    assert store.verify().problems[0] == (where, what)


def test_deleting_screenings_is_found(url: str) -> None:
    """Removing a row from the middle or the end of the chain is reported."""
    store = _recorded(url)
    execute(url, "DELETE FROM hit WHERE screening_id IN (2, 4)")
    execute(url, "DELETE FROM open_question WHERE screening_id IN (2, 4)")
    execute(url, "DELETE FROM screening WHERE id IN (2, 4)")
    problems = store.verify().problems
    assert problems[0] == ("screening 3", "screenings 2–2 are missing from the chain")
    assert problems[-1][0] == "screening 4"
    assert "screenings were removed" in problems[-1][1]


def test_corrupted_rulebook_snapshot_is_found(url: str) -> None:
    """A snapshot that no longer hashes to its version is reported and never rebuilt."""
    store = _recorded(url, 1)
    version = store.get(1).result.rulebook_version
    files, _, _ = store.snapshot(version)
    key = sorted(files)[-1]
    files[key] += "# edited\n"
    execute(
        url,
        "UPDATE rulebook_version SET files_json = :files WHERE version = :v",
        files=json.dumps(files),
        v=version,
    )
    fresh = Store(url)
    assert fresh.verify().problems == [
        (f"rulebook {version}", "the snapshot of its files does not hash to its version")
    ]
    with pytest.raises(StoreError) as err:
        fresh.rulebook(version)
    assert (err.value.code, err.value.location) == ("corrupt-snapshot", f"rulebook {version}")


def test_a_newer_store_is_refused(url: str) -> None:
    """A store written by a newer schema fails with a clear message."""
    Store(url)
    execute(
        url,
        "INSERT INTO schema_version (version, applied_at, dealscreen_version) "
        "VALUES (99, 'later', '9.0')",
    )
    with pytest.raises(StoreError) as err:
        Store(url)
    assert err.value.code == "store-too-new"
    assert err.value.message == (
        "the store has schema version 99, newer than this dealscreen "
        f"0.1.0 understands ({store_mod.SCHEMA_VERSION}): upgrade dealscreen"
    )


def test_an_older_store_is_migrated_in_place(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Opening a store of an older schema runs each migration step once and records it."""
    store = Store(url)
    deal = make_deal()
    store.record(screen(deal), deal)
    steps: list[int] = []
    newer = store_mod.SCHEMA_VERSION + 1
    monkeypatch.setattr(store_mod, "SCHEMA_VERSION", newer)
    monkeypatch.setitem(store_mod.MIGRATIONS, newer - 1, lambda conn: steps.append(newer - 1))
    migrated = Store(url)
    assert steps == [newer - 1]
    assert migrated.schema_version == newer
    Store(url)
    assert steps == [newer - 1]
    assert migrated.verify().ok


def test_a_missing_migration_is_a_clear_error(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a migration step the store is not opened (and not changed)."""
    Store(url)
    monkeypatch.setattr(store_mod, "SCHEMA_VERSION", store_mod.SCHEMA_VERSION + 1)
    with pytest.raises(StoreError) as err:
        Store(url)
    assert err.value.code == "store-too-old"


def test_sqlite_store_uses_wal_and_creates_its_directory(tmp_path: Path) -> None:
    """A bare path is a SQLite file, its directory made on first use, in WAL mode."""
    path = tmp_path / "nested" / "dir" / "audit.db"
    Store(str(path))
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    con.close()


def test_unopenable_store_is_a_store_error(tmp_path: Path) -> None:
    """A URL that cannot be opened gives a StoreError, not a traceback."""
    with pytest.raises(StoreError) as err:
        Store("nosuchdialect://x/y")
    assert err.value.code == "store-unavailable"
