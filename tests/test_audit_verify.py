"""Issue 19: `audit verify` walks every row, covers every meaningful column, compares canonical
forms, checks an external copy of the chain head, and still verifies stores of schema 1."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from screening import screen
from screening.audit import store as store_mod
from screening.audit.store import Store
from screening.cli.app import main
from tests.store_fixtures import BACKENDS, execute, make_deal, url_for

ROOT = Path(__file__).resolve().parent.parent
V1_STORE = ROOT / "tests" / "data" / "audit_schema_v1.db"


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return url_for(request.param, tmp_path)


def _recorded(url: str, n: int = 3) -> Store:
    store = Store(url)
    for i in range(n):
        deal = make_deal(i)
        store.record(screen(deal), deal)
    return store


_COPY = (
    "INSERT INTO screening SELECT {new} AS id, created_at, tool_version, host_user, deal_id, "
    "deal_name, deal_kind, deal_hash, deal_json, as_of, rulebook_version, dealscreen_version, "
    "verdict, provisional, regimes_json, derived_json, disclaimer, result_hash, prev_hash, "
    "row_hash{extra} FROM screening WHERE id = 1"
)


def _copy_row(url: str, new: int) -> None:
    execute(url, _COPY.format(new=new, extra=", rulebook_hash"))


@pytest.mark.parametrize("forged", [0, -5, 99])
def test_rows_outside_the_chain_are_reported(url: str, forged: int) -> None:
    store = _recorded(url)
    _copy_row(url, forged)
    problems = Store(url).verify().problems
    assert any(where == f"screening {forged}" for where, _ in problems), problems
    # ... never listed, and never trusted by --resume
    assert [s.id for s in Store(url).summaries()] == [3, 2, 1]
    assert Store(url).recorded(store.get(1).result.rulebook_version) == {
        store.get(i).deal_hash for i in (1, 2, 3)
    }


def test_edited_rulebook_labels_are_found(url: str) -> None:
    store = _recorded(url, 1)
    version = store.get(1).result.rulebook_version
    execute(
        url,
        "UPDATE rulebook_version SET labels_json = :labels WHERE version = :v",
        labels='["elsewhere"]',
        v=version,
    )
    problems = Store(url).verify().problems
    assert problems and problems[0][0] in (f"rulebook {version}", "screening 1"), problems


@pytest.mark.parametrize(
    "rewrite",
    [
        # equivalent JSON: same data, other spacing
        "replace(deal_json, '\"kind\":', '\"kind\" :')",
        # a duplicate key: readers keep different values
        'replace(deal_json, \'{"app"\', \'{"app":{"name":"Forged"},"app"\')',
    ],
)
def test_equivalent_or_duplicate_key_rewrites_of_deal_json_are_found(
    url: str, rewrite: str
) -> None:
    _recorded(url, 2)
    execute(url, f"UPDATE screening SET deal_json = {rewrite} WHERE id = 2")
    problems = Store(url).verify().problems
    assert problems and problems[0][0] == "screening 2", problems


def test_expect_head_catches_a_truncated_tail(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = url_for("sqlite", tmp_path)
    store = _recorded(url, 3)
    head = store.verify().head_hash
    assert main(["audit", "verify", "--db", url, "--expect-head", head]) == 0
    # truncate the tail and move the head back: the chain itself stays consistent
    two = store.get(2).row_hash
    for sql in (
        "DELETE FROM hit WHERE screening_id = 3",
        "DELETE FROM open_question WHERE screening_id = 3",
        "DELETE FROM screening WHERE id = 3",
        "UPDATE chain_head SET head_id = 2, head_hash = :h",
    ):
        execute(url, sql, h=two)
    capsys.readouterr()
    assert main(["audit", "verify", "--db", url]) == 0  # undetectable from inside
    assert main(["audit", "verify", "--db", url, "--expect-head", head]) == 2
    assert "expected" in capsys.readouterr().err


def test_a_store_of_schema_1_still_verifies_and_extends(tmp_path: Path) -> None:
    db = tmp_path / "v1.db"
    shutil.copy(V1_STORE, db)
    url = f"sqlite:///{db}"
    store = Store(url)
    report = store.verify()
    assert report.ok, report.problems
    deal = make_deal(7)
    store.record(screen(deal), deal)
    assert Store(url).verify().ok
    done = subprocess.run(
        [sys.executable, "-m", "screening.cli", "audit", "verify", "--db", url],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr


_OPEN = """
import sys, time
from screening.audit import store as store_mod
from screening.audit.store import Store
start = float(sys.argv[2])
while time.time() < start:
    pass
Store(sys.argv[1])
"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_several_processes_creating_the_tables_at_once(backend: str, tmp_path: Path) -> None:
    """Processes opening a new store at the same moment once raced (duplicate pg_type key)."""
    import time

    for _ in range(2):
        url = url_for(backend, tmp_path)
        if backend == "sqlite":
            (tmp_path / "audit.db").unlink(missing_ok=True)
        start = f"{time.time() + 2.5:.3f}"
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", _OPEN, url, start],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                cwd=ROOT,
            )
            for _ in range(6)
        ]
        for proc in procs:
            _, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
        store = Store(url)
        assert store.schema_version == store_mod.SCHEMA_VERSION
        assert store.verify().ok
