"""Benchmark of bulk review (issue 3): memory stays flat, workers scale, review overhead.

Run from the repository root::

    .venv/bin/python benchmarks/bench_review.py                # the figures in docs/performance.md
    .venv/bin/python benchmarks/bench_review.py --quick        # a smaller, faster run

It measures, on deals from ``dealscreen fixtures generate`` (seed 1):

1. peak resident memory of ``dealscreen review deals.jsonl --format jsonl --no-store`` (the whole
   process tree: the parent and its workers, sampled every 50 ms from /proc) on 1,000 deals and
   on 100,000 deals; the two peaks must be within 50 MB;
2. throughput with ``--workers 1`` and ``--workers 2`` on the same deals, as a ratio;
3. the per-deal overhead of review (reading, parsing, validating, rendering, ordering) against
   ``screen()`` alone on the same, already validated deals, as a ratio;
4. when dask[distributed] is installed: ``review --cluster local:2`` against ``--workers 2`` on
   the same deals, the two commands alternated (``--rounds`` each) and timed end to end (wall
   clock, cluster start-up included) and by the review's own elapsed time (its summary line:
   screening, joining and writing, without start-up), medians; the target is a ratio within
   10%. ``--dask-only`` runs just this part. The load average (``os.getloadavg()``) before and
   after is printed with it: on a shared machine the ratio means little when the load exceeds
   the cores.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from screening import Deal, load_rulebook, screen
from screening.authoring.fixtures_gen import generate, generate_jsonl
from screening.review.bulk import Options, run_review
from screening.review.report.jsonl import JsonlReport

ROOT = Path(__file__).resolve().parent.parent
DEALSCREEN = str(Path(sys.executable).with_name("dealscreen"))


def write_deals(path: Path, count: int, seed: int = 1) -> Path:
    """Write ``count`` generated deals as JSONL."""
    with path.open("w", encoding="utf-8") as fh:
        for line in generate_jsonl(count, seed):
            fh.write(line)
    return path


def _tree_rss_kb(root: int) -> int:
    """Sum of VmRSS over ``root`` and every descendant (Linux /proc, children lists)."""
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/status", encoding="utf-8") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children", encoding="utf-8") as fh:
                    todo.extend(int(c) for c in fh.read().split())
        except (OSError, ValueError):
            continue
    return total


def peak_rss_mb(path: Path, workers: int) -> tuple[float, float]:
    """Peak process-tree RSS (MB) and wall time of a CLI review of ``path``."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [
            DEALSCREEN,
            "review",
            str(path),
            "--format",
            "jsonl",
            "--no-store",
            "--workers",
            str(workers),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "CI": "1"},
    )
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss_kb(proc.pid))
        time.sleep(0.05)
    _, err = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"review failed ({proc.returncode}): {err.decode()}")
    return peak / 1024, time.perf_counter() - started


def review_seconds(path: Path, workers: int) -> float:
    """Seconds to review ``path`` in-process into a JSONL report (rulebook already loaded)."""
    report = JsonlReport(io.StringIO())
    summary = run_review([path], report, options=Options(workers=workers))
    return summary.elapsed


def screen_seconds(count: int, seed: int = 1) -> float:
    """Seconds for ``screen()`` alone on ``count`` already-validated deals."""
    book = load_rulebook()
    deals = [Deal.model_validate(d).root for d in generate(count, seed)]
    screen(deals[0], rulebook=book)
    started = time.perf_counter()
    for deal in deals:
        screen(deal, rulebook=book)
    return time.perf_counter() - started


def _tree_cpu(root: int, seen: dict[int, float]) -> None:
    """Record the CPU seconds so far of ``root`` and every descendant (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    todo = [root]
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/stat", encoding="utf-8") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            seen[pid] = max(seen.get(pid, 0.0), (int(fields[11]) + int(fields[12])) / tick)
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children", encoding="utf-8") as fh:
                    todo.extend(int(c) for c in fh.read().split())
        except (OSError, ValueError, IndexError):
            continue


def cli_review_seconds(path: Path, extra: list[str]) -> tuple[float, float, float]:
    """Wall seconds of a whole ``dealscreen review`` command, its own elapsed seconds, and the
    CPU seconds of its process tree (sampled every 50 ms from /proc: workers, fork server,
    Dask nannies included; the last 50 ms of each process are missed)."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [DEALSCREEN, "review", str(path), "--format", "jsonl", "--no-store", *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "CI": "1"},
    )
    cpu: dict[int, float] = {}
    while proc.poll() is None:
        _tree_cpu(proc.pid, cpu)
        time.sleep(0.05)
    _, raw = proc.communicate()
    wall = time.perf_counter() - started
    err = raw.decode()
    if proc.returncode != 0:
        raise SystemExit(f"review {' '.join(extra)} failed ({proc.returncode}): {err}")
    found = re.search(r"reviewed \d+ deals in ([0-9.]+) s", err)
    if found is None:
        raise SystemExit(f"no summary line from review {' '.join(extra)}: {err}")
    return wall, float(found.group(1)), sum(cpu.values())


def dask_vs_workers(path: Path, count: int, rounds: int) -> dict[str, float]:
    """``--cluster local:2`` against ``--workers 2``, alternated, medians; with the load."""
    load_before = os.getloadavg()[0]
    runs: dict[str, list[tuple[float, float, float]]] = {"workers": [], "dask": []}
    for _ in range(rounds):
        runs["workers"].append(cli_review_seconds(path, ["--workers", "2"]))
        runs["dask"].append(cli_review_seconds(path, ["--cluster", "local:2"]))
    load_after = os.getloadavg()[0]
    wall = {k: statistics.median(r[0] for r in v) for k, v in runs.items()}
    own = {k: statistics.median(r[1] for r in v) for k, v in runs.items()}
    cpu = {k: statistics.median(r[2] for r in v) for k, v in runs.items()}
    figures = {
        "dask_wall_s": wall["dask"],
        "workers2_wall_s": wall["workers"],
        "dask_wall_ratio": wall["dask"] / wall["workers"],
        "dask_review_s": own["dask"],
        "workers2_review_s": own["workers"],
        "dask_review_ratio": own["dask"] / own["workers"],
        "dask_cpu_s": cpu["dask"],
        "workers2_cpu_s": cpu["workers"],
        "dask_cpu_ratio": cpu["dask"] / cpu["workers"],
        "load_before": load_before,
        "load_after": load_after,
    }
    print(
        f"dask local:2 vs --workers 2 on {count:,} deals ({rounds} rounds each, alternated, "
        f"medians): end to end {wall['dask']:.1f} s vs {wall['workers']:.1f} s, ratio "
        f"{figures['dask_wall_ratio']:.2f}; review alone {own['dask']:.1f} s vs "
        f"{own['workers']:.1f} s, ratio {figures['dask_review_ratio']:.2f}; CPU of the process "
        f"tree {cpu['dask']:.1f} s vs {cpu['workers']:.1f} s, ratio "
        f"{figures['dask_cpu_ratio']:.2f} "
        f"(time with Dask / time with --workers 2; load average {load_before:.2f} before, "
        f"{load_after:.2f} after, on {os.cpu_count()} cores)"
    )
    return figures


def main() -> None:
    """Run the benchmark and print the figures (and JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big", type=int, default=100_000, help="deals for the memory run")
    parser.add_argument("--small", type=int, default=1_000, help="deals for the baseline")
    parser.add_argument("--scale", type=int, default=10_000, help="deals for 1 vs 2 workers")
    parser.add_argument("--overhead", type=int, default=3_000, help="deals for the overhead")
    parser.add_argument("--quick", action="store_true", help="10x smaller runs")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of Dask vs --workers 2")
    parser.add_argument("--dask-only", action="store_true", help="only Dask vs --workers 2")
    args = parser.parse_args()
    have_dask = importlib.util.find_spec("distributed") is not None
    if args.dask_only:
        if not have_dask:
            raise SystemExit("dask[distributed] is not installed: pip install 'dealscreen[dask]'")
        with tempfile.TemporaryDirectory() as tmp:
            scale = write_deals(Path(tmp) / "scale.jsonl", args.scale)
            figures = dask_vs_workers(scale, args.scale, args.rounds)
        if args.json:
            print(json.dumps(figures, indent=2))
        return
    if args.quick:
        args.big, args.scale, args.overhead = args.big // 10, args.scale // 10, args.overhead // 3
    figures: dict[str, float] = {"cores": float(os.cpu_count() or 1)}
    with tempfile.TemporaryDirectory() as tmp:
        big = write_deals(Path(tmp) / "big.jsonl", args.big)
        small = write_deals(Path(tmp) / "small.jsonl", args.small)
        scale = write_deals(Path(tmp) / "scale.jsonl", args.scale)
        over = write_deals(Path(tmp) / "over.jsonl", args.overhead)

        rss_small, _ = peak_rss_mb(small, 2)
        rss_big, wall_big = peak_rss_mb(big, 2)
        figures.update(
            rss_small_mb=rss_small,
            rss_big_mb=rss_big,
            rss_growth_mb=rss_big - rss_small,
            big_wall_s=wall_big,
            big_rate=args.big / wall_big,
        )
        print(
            f"peak RSS (process tree, 2 workers): {args.small:,} deals {rss_small:.1f} MB, "
            f"{args.big:,} deals {rss_big:.1f} MB, growth {rss_big - rss_small:+.1f} MB "
            f"({args.big:,} deals in {wall_big:.0f} s, {args.big / wall_big:,.0f}/s)"
        )

        one = review_seconds(scale, 1)
        two = review_seconds(scale, 2)
        figures.update(
            workers1_rate=args.scale / one, workers2_rate=args.scale / two, workers_ratio=one / two
        )
        print(
            f"throughput on {args.scale:,} deals: 1 worker {args.scale / one:,.0f}/s, "
            f"2 workers {args.scale / two:,.0f}/s, ratio {one / two:.2f}x"
        )

        if have_dask:
            figures.update(dask_vs_workers(scale, args.scale, args.rounds))
        else:
            print("dask local:2 vs --workers 2: skipped (dask[distributed] is not installed)")

        reviewed = review_seconds(over, 1)
        screened = screen_seconds(args.overhead)
        figures.update(
            review_ms=1000 * reviewed / args.overhead,
            screen_ms=1000 * screened / args.overhead,
            overhead_ratio=reviewed / screened,
        )
        print(
            f"per deal on {args.overhead:,} deals (1 worker): review "
            f"{1000 * reviewed / args.overhead:.2f} ms, screen() alone "
            f"{1000 * screened / args.overhead:.2f} ms, ratio {reviewed / screened:.2f}"
        )
    if args.json:
        print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
