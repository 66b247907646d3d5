"""Recording overhead of the audit store: screening with and without recording, per deal.

    .venv/bin/python benchmarks/bench_store.py [--deals N] [--batch N] [--db URL]

Screens N deals (the fixture deals, repeated with distinct ids) three ways and prints the time
per deal and the ratios against screening alone:

* ``screen``             screen() only (the engine, no store);
* ``screen + batch``     screened and recorded the way ``review`` records: one transaction per
                         ``--batch`` screenings;
* ``screen + record``    screened and recorded one transaction per screening (``dealscreen
                         screen``).

The store is a fresh SQLite file in a temporary directory unless ``--db`` names one (give an
empty PostgreSQL database to measure PostgreSQL). Speed is measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from screening import ScreeningError, load_deal, load_rulebook, screen
from screening.audit.store import Store
from screening.model.deal import Deal, DealRecord

ROOT = Path(__file__).resolve().parent.parent


def deals(n: int) -> list[DealRecord]:
    """N distinct deals built from the fixture deals (fixtures that do not load are left out)."""
    base = []
    for path in sorted((ROOT / "fixtures/deals").glob("*.yaml")):
        try:
            base.append(load_deal(path).model_dump(mode="json"))
        except ScreeningError:
            continue
    out = []
    for i in range(n):
        data = dict(base[i % len(base)])
        data["id"] = f"{data['id']}-{i:06d}"
        out.append(Deal.model_validate(data).root)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--db", help="store URL (default: a fresh SQLite file)")
    args = parser.parse_args()

    book = load_rulebook()
    items = deals(args.deals)
    for deal in items[:20]:  # warm up: compile and register the rulebook
        screen(deal, rulebook=book)

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        for deal in items:
            screen(deal, rulebook=book)
        bare = (time.perf_counter() - t0) / len(items)

        store = Store(args.db or str(Path(tmp) / "batch.db"))
        t0 = time.perf_counter()
        with store.batch(args.batch, rulebook=book) as batch:
            for deal in items:
                batch.add(screen(deal, rulebook=book), deal)
        batched = (time.perf_counter() - t0) / len(items)
        store.close()

        single_n = min(len(items), 300)
        store = Store(args.db or str(Path(tmp) / "single.db"))
        t0 = time.perf_counter()
        for deal in items[:single_n]:
            store.record(screen(deal, rulebook=book), deal, rulebook=book)
        single = (time.perf_counter() - t0) / single_n
        store.close()

    print(f"{len(items)} deals, batch {args.batch}, store {args.db or 'SQLite (temporary file)'}")
    print(f"screen                  {bare * 1e3:8.3f} ms/deal   1.00x")
    print(f"screen + batch record   {batched * 1e3:8.3f} ms/deal   {batched / bare:.2f}x")
    print(
        f"screen + record each    {single * 1e3:8.3f} ms/deal   {single / bare:.2f}x"
        f"   ({single_n} deals)"
    )


if __name__ == "__main__":
    main()
