"""Benchmark of the mitigation search (issue 15): time per deal for ``--max-changes 2``.

Run from the repository root::

    .venv/bin/python benchmarks/bench_mitigate.py            # the figures in docs/performance.md
    .venv/bin/python benchmarks/bench_mitigate.py --quick    # the first 20 deals only

For every fixture (``fixtures/deals`` and ``tests/data/mitigation``) whose verdict is above
``clear``, the search ``review --mitigate`` runs (the regime deciding the verdict, one level
lower, at most 2 concessions) is timed in CPU time of this process (``time.process_time``: the
machine is shared, and wall time there measures the neighbours), after one warm-up search per
deal, alongside one
``screen()`` of the same deal, so the cost is also given as a ratio to a screening measured in
the same run. The same searches without pruning (every set re-screened) give the pruning's
effect as a ratio. Reported: per-deal time (median, p90, max), re-screenings per deal, and sets
ruled out by the leaves.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from screening import load_deal, load_rulebook, screen
from screening.mitigation.mitigate import mitigate

ROOT = Path(__file__).resolve().parent.parent


def _deals(quick: bool) -> list[Path]:
    paths = sorted((ROOT / "fixtures" / "deals").glob("*.yaml"))
    paths += sorted((ROOT / "tests" / "data" / "mitigation").glob("*.yaml"))
    return paths[:20] if quick else paths


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    """Measure and print a Markdown table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    book = load_rulebook()
    rows = []
    for path in _deals(args.quick):
        deal = load_deal(path)
        result = screen(deal, rulebook=book)
        top = sorted(r for r in result.regimes if result.regimes[r].verdict == result.verdict)
        if result.verdict == "clear":
            continue
        options = {"regime": top[0], "max_changes": 2, "rulebook": book}
        mitigate(deal, **options)  # warm-up: compiled plan, caches
        started = time.process_time()
        screen(deal, rulebook=book)
        one_screen = time.process_time() - started
        started = time.process_time()
        report = mitigate(deal, **options)
        pruned_time = time.process_time() - started
        started = time.process_time()
        unpruned = mitigate(deal, prune=False, **options)
        unpruned_time = time.process_time() - started
        assert [m.concessions for m in unpruned.mitigations] == [
            m.concessions for m in report.mitigations
        ], path.name
        rows.append((path.stem, pruned_time, unpruned_time, one_screen, report))
    times = [r[1] for r in rows]
    unpruned = [r[2] for r in rows]
    screens = [r[3] for r in rows]
    rescreened = [r[4].stats.rescreened + r[4].stats.verified for r in rows]
    ruled_out = [r[4].stats.pruned_by_leaves for r in rows]
    found = sum(r[4].status == "found" for r in rows)
    print(f"deals searched: {len(rows)} ({found} with a mitigation found)")
    print()
    print("| | median | p90 | max |")
    print("|---|---|---|---|")
    print(
        f"| search, `--max-changes 2` | {statistics.median(times) * 1000:.0f} ms | "
        f"{_pct(times, 0.9) * 1000:.0f} ms | {max(times) * 1000:.0f} ms |"
    )
    print(
        f"| same without pruning | {statistics.median(unpruned) * 1000:.0f} ms | "
        f"{_pct(unpruned, 0.9) * 1000:.0f} ms | {max(unpruned) * 1000:.0f} ms |"
    )
    print(
        f"| one `screen()` of the deal | {statistics.median(screens) * 1000:.1f} ms | "
        f"{_pct(screens, 0.9) * 1000:.1f} ms | {max(screens) * 1000:.1f} ms |"
    )
    print(
        f"| re-screenings per deal | {statistics.median(rescreened):.0f} | "
        f"{_pct(rescreened, 0.9):.0f} | {max(rescreened)} |"
    )
    print(
        f"| sets ruled out by the leaves | {statistics.median(ruled_out):.0f} | "
        f"{_pct(ruled_out, 0.9):.0f} | {max(ruled_out)} |"
    )
    ratio = statistics.median(t / s for t, s in zip(times, screens, strict=True))
    gain = statistics.median(u / t for u, t in zip(unpruned, times, strict=True))
    print()
    print(f"median search / screen ratio: {ratio:.0f}x; median unpruned / pruned: {gain:.2f}x")
    slow = [(r[0], r[1]) for r in rows if r[1] >= 1.0]
    print(f"deals at or over 1 s of CPU: {len(slow)}" + (f" {slow}" if slow else ""))


if __name__ == "__main__":
    main()
