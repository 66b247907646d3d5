"""Restricted-party name screening at full list size: the blocking index against a full scan.

Builds an SDN-sized list (20,000 entries, ~50,000 aliases; tests/list_generator.py), then screens
the same names two ways in alternating rounds, CPU time, medians:

- ``indexed``: :func:`screening.facts.parties.screen_name` (exact key, blocking index, rapidfuzz
  on the candidates, word alignment);
- ``full scan``: rapidfuzz over every listed name (what the matcher did before the index).

    .venv/bin/python benchmarks/bench_names.py [--entries 20000] [--names 400] [--rounds 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rapidfuzz import fuzz, process

from screening.facts.names import normalize, sorted_tokens
from screening.facts.parties import entry_names, forget_screenings, screen_name
from tests.list_generator import generate_references, queries

ON = dt.date(2026, 6, 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entries", type=int, default=20_000)
    ap.add_argument("--names", type=int, default=400)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    refs = generate_references(args.entries)
    ref = refs.get("restricted_ofac_sdn")
    assert ref is not None
    listed = [sorted_tokens(normalize(n)) for e in ref.entries for n in entry_names(e)]
    names = queries(args.names)
    t = time.process_time()
    screen_name("warm up the index", refs, ON)
    build = time.process_time() - t

    def indexed() -> None:
        forget_screenings(refs)  # the matcher each round, not the screenings kept from the last
        for n in names:
            screen_name(n, refs, ON)

    def full_scan() -> None:
        for n in names:
            process.extract(
                sorted_tokens(normalize(n)), listed, scorer=fuzz.ratio, limit=None, score_cutoff=60
            )

    times: dict[str, list[float]] = {"indexed": [], "full scan": []}
    for _ in range(args.rounds):
        for label, fn in (("indexed", indexed), ("full scan", full_scan)):
            t = time.process_time()
            fn()
            times[label].append((time.process_time() - t) / len(names) * 1000)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(
        f"list: {args.entries} entries, {len(listed)} names and aliases; index build {build:.2f} s"
    )
    for label, ms in med.items():
        print(f"{label:>10}: {ms:.3f} ms CPU per screened name (median of {args.rounds})")
    print(f"ratio full scan / indexed: {med['full scan'] / med['indexed']:.1f}x")


if __name__ == "__main__":
    main()
