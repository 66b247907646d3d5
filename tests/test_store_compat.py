"""Stores written by earlier releases of dealscreen still verify and replay with this one.

``tests/data/store_0.1.0_flat_layout.sql.gz`` is a SQL dump of a SQLite store that dealscreen
0.1.0 wrote before ``screening/`` was regrouped into stage packages (commit 5ecf7b8): three
screenings (``jinhai-voltcore-stake``, ``granite-ridge-storage-25pct``,
``wandertrip-travel-app-30pct``) and their rulebook snapshot.
"""

from __future__ import annotations

import gzip
import sqlite3
from pathlib import Path

from screening.audit.store import Store

DUMP = Path(__file__).parent / "data" / "store_0.1.0_flat_layout.sql.gz"


def restore_dump(tmp_path: Path, dump: Path = DUMP) -> Path:
    """The gzipped SQL dump ``dump`` restored into a fresh SQLite file under ``tmp_path``."""
    db = tmp_path / "old.db"
    conn = sqlite3.connect(db)
    try:
        conn.executescript(gzip.decompress(dump.read_bytes()).decode())
    finally:
        conn.close()
    return db


def test_a_store_written_before_the_layout_change_verifies(tmp_path: Path) -> None:
    """The hash chain of an older store is intact under today's code (nothing rehashed)."""
    with Store(f"sqlite:///{restore_dump(tmp_path)}") as store:
        report = store.verify()
        assert report.ok, report.problems
        assert report.screenings == 3
        assert [s.deal_id for s in store.summaries(limit=10)][::-1] == [
            "jinhai-voltcore-stake",
            "granite-ridge-storage-25pct",
            "wandertrip-travel-app-30pct",
        ]


def test_an_older_screening_is_reproduced_from_its_snapshot(tmp_path: Path) -> None:
    """Replaying under the recorded rulebook reaches the recorded decision exactly (verdicts,
    hits, facts, conditions, questions), though today's build words its explanations anew.

    Run in a child process: the recorded rulebook is another rulebook version, whose rulesets
    durable-rules can never unload, and the test suite's one process already holds many.
    """
    import json
    import subprocess
    import sys

    code = (
        "import json, sys\n"
        "from screening.audit.questions import replay\n"
        "from screening.audit.store import Store\n"
        "with Store(sys.argv[1]) as store:\n"
        "    print(json.dumps([replay(store, i).reproduced for i in (1, 2, 3)]))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, f"sqlite:///{restore_dump(tmp_path)}"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.splitlines()[-1]) == [True, True, True]
