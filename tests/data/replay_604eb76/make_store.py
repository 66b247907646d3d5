"""Write the replay store of tests/test_store_replay_604.py with the release at commit 604eb76.

Run with that release's code first on the path (see the test's docstring for the commands)::

    PYTHONPATH=/tmp/rel604 python make_store.py OUT.db OUT.sql.gz DIR [DIR ...]

Every deal file under each DIR that this release accepts is screened with its shipped rulebook
and recorded, in path order; a file whose bytes were already recorded is skipped, and one the
release refuses is listed and skipped. The store is then dumped as SQL (gzip, no timestamp).
"""

from __future__ import annotations

import gzip
import sqlite3
import sys
from pathlib import Path

import screening
from screening import load_deal, load_rulebook, screen
from screening.audit.store import Store
from screening.errors import DealError


def main(out: Path, dump: Path, dirs: list[Path]) -> None:
    print("dealscreen", screening.__version__, "from", Path(screening.__file__).parent)
    book = load_rulebook()
    seen: set[bytes] = set()
    stored = 0
    with Store(f"sqlite:///{out}") as store:
        for d in dirs:
            for path in sorted(d.rglob("*.yaml")) + sorted(d.rglob("*.json")):
                if path.read_bytes() in seen:
                    continue
                seen.add(path.read_bytes())
                try:
                    deal = load_deal(path)
                except DealError as exc:
                    print("refused", path, str(exc).splitlines()[0])
                    continue
                store.record(screen(deal, rulebook=book), deal, rulebook=book)
                stored += 1
    print("stored", stored, "screenings under rulebook", book.version)
    conn = sqlite3.connect(out)
    try:
        sql = "\n".join(conn.iterdump()) + "\n"
    finally:
        conn.close()
    dump.write_bytes(gzip.compress(sql.encode(), compresslevel=9, mtime=0))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), [Path(a) for a in sys.argv[3:]])
