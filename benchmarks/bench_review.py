"""Benchmark of bulk review (issues 3 and 14): memory stays flat, workers scale, Dask keeps up.

Run from the repository root::

    .venv/bin/python benchmarks/bench_review.py                 # every section, default sizes
    .venv/bin/python benchmarks/bench_review.py --only memory --memory-sizes 1000,20000,100000
    .venv/bin/python benchmarks/bench_review.py --only memory --before /tmp/old  # old code too
    .venv/bin/python benchmarks/bench_review.py --only workers --scale 20000 --rounds 2
    .venv/bin/python benchmarks/bench_review.py --quick         # small sizes, to try it out

The deals come from ``dealscreen fixtures generate --seed 1``: unique deals (their own ids and
party names), written once per size into ``--deals-dir`` (default: a ``dealscreen-bench-deals``
folder in the temporary directory) and reused by later runs; a smaller batch is the first lines
of a larger one (the generator is prefix-stable), and the file names carry a hash of the
generator's source, so a changed generator writes new files. Sections:

1. **memory**: ``dealscreen review FILE --format jsonl --no-store --workers 2`` on each size of
   ``--memory-sizes``; every process of the tree (the review, its fork server and resource
   tracker, the workers) is sampled from /proc every 50 ms: the peak of the tree (the largest sum
   of RSS seen at one instant) and each process's own peak (VmHWM). The growth from the smallest
   to the largest size is the figure (target: within 20 MB from 1,000 to 100,000 deals); the
   growth between the two largest sizes tells growth from warm-up. With ``--before DIR`` (a
   ``git archive REV screening rules`` unpacked there), each size is also reviewed by that
   code, side by side (the order alternating from one size to the next).
2. **workers**: ``--workers 1``, ``--workers 2`` and (with dask[distributed] installed)
   ``--cluster local:2`` on the same ``--scale`` deals, run in turn ``--rounds`` times
   (alternated, so a change of load hits every side), medians. Each run reports its wall time,
   the review's own elapsed time (its summary line: pool or cluster start-up included,
   interpreter start-up not), the CPU time of each process and the load average before and
   after, and the minor page faults per deal of the review process and of the workers (a fault
   is a fresh page from the kernel: a worker that gives its free heap back and takes it again
   pays them deal after deal). The ratios are wall(1)/wall(2) (target >= 1.8 on 20,000 deals) and
   elapsed(Dask)/elapsed(--workers 2) (target within 10%). On a shared machine a wall-time ratio
   says little: the CPU figures say whether the workers were starved (``cores used``: the
   workers' CPU over the wall time) or did more work per deal with two (``worker CPU per
   deal``), which is what the code controls.
3. **overhead**: review with one worker, in-process, against ``screen()`` alone on the same
   already validated deals, per deal, as a ratio.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import io
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from screening import Deal, load_rulebook, screen
from screening.authoring import fixtures_gen
from screening.authoring.fixtures_gen import generate, generate_jsonl
from screening.review.bulk import Options, run_review
from screening.review.report.jsonl import JsonlReport

ROOT = Path(__file__).resolve().parent.parent
DEALSCREEN = str(Path(sys.executable).with_name("dealscreen"))
SEED = 1


# --------------------------------------------------------------------------------------------
# Deals, generated once


def _generator_tag() -> str:
    source = Path(fixtures_gen.__file__).read_bytes()
    return hashlib.sha256(source).hexdigest()[:10]


def deals_file(folder: Path, count: int, seed: int = SEED) -> Path:
    """``count`` generated deals as JSONL, written once into ``folder`` and reused."""
    folder.mkdir(parents=True, exist_ok=True)
    tag = _generator_tag()
    final = folder / f"deals-s{seed}-{tag}-{count}.jsonl"
    if final.exists():
        return final
    larger = sorted(
        (int(m.group(1)), p)
        for p in folder.glob(f"deals-s{seed}-{tag}-*.jsonl")
        if (m := re.fullmatch(rf"deals-s{seed}-{tag}-(\d+)\.jsonl", p.name))
        and int(m.group(1)) > count
    )
    tmp = final.with_name(f"{final.name}.{os.getpid()}.tmp")
    with tmp.open("w", encoding="utf-8", newline="\n") as out:
        if larger:  # the generator is prefix-stable: the first lines of a larger batch
            with larger[0][1].open(encoding="utf-8", newline="\n") as src:
                for _, line in zip(range(count), src, strict=False):
                    out.write(line)
        else:
            for line in generate_jsonl(count, seed):
                out.write(line)
    os.replace(tmp, final)
    return final


# --------------------------------------------------------------------------------------------
# The process tree of one command, sampled from /proc


@dataclass
class Proc:
    """What was seen of one process of the tree."""

    role: str
    rss_kb: int = 0  # the largest VmRSS sampled
    hwm_kb: int = 0  # the last VmHWM sampled (the kernel's own peak)
    cpu_s: float = 0.0  # the last utime + stime sampled
    faults: int = 0  # the last count of minor page faults sampled


@dataclass
class Run:
    """One command: wall time, the review's own elapsed time, its processes, the load."""

    wall_s: float
    elapsed_s: float
    procs: dict[int, Proc]
    tree_peak_kb: int
    load_before: float
    load_after: float
    stderr: str = field(repr=False, default="")

    def cpu(self, role: str) -> float:
        """CPU seconds of the processes of ``role``."""
        return sum(p.cpu_s for p in self.procs.values() if p.role == role)

    def faults(self, role: str) -> int:
        """Minor page faults of the processes of ``role``."""
        return sum(p.faults for p in self.procs.values() if p.role == role)

    def hwm_mb(self, role: str) -> list[float]:
        """The peak RSS (MB) of each process of ``role``, largest first."""
        return sorted(
            (p.hwm_kb / 1024 for p in self.procs.values() if p.role == role), reverse=True
        )


_TICK = os.sysconf("SC_CLK_TCK")


def _read_proc(pid: int) -> tuple[int, int, int, float, list[int], str, int] | None:
    """(ppid, VmRSS kB, VmHWM kB, CPU s, children, cmdline, minor faults) of ``pid``; None
    once it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        rss = hwm = 0
        with open(f"/proc/{pid}/status", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
                elif line.startswith("VmHWM:"):
                    hwm = int(line.split()[1])
        children: list[int] = []
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="utf-8") as fh:
                children.extend(int(c) for c in fh.read().split())
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            cmd = fh.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except (OSError, ValueError, IndexError):
        return None
    cpu = (int(fields[11]) + int(fields[12])) / _TICK
    return int(fields[1]), rss, hwm, cpu, children, cmd, int(fields[7])


def _role(pid: int, root: int, ppid: int, cmd: str) -> str:
    if pid == root:
        return "parent"
    if "resource_tracker" in cmd:
        return "tracker"
    if ppid == root and "forkserver" in cmd:
        return "forkserver"
    # the pool's workers (forked by the fork server) or Dask's worker processes (spawned by
    # the nannies, which run inside the review process)
    return "worker"


def run_command(path: Path, extra: list[str], code: Path | None = None) -> Run:
    """Run ``dealscreen review PATH --format jsonl --no-store EXTRA`` and sample its tree;
    with ``code`` (a ``git archive`` of ``screening`` and ``rules``), that code's review."""
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    env = {**os.environ, "CI": "1"}
    if code is not None:
        env["PYTHONPATH"] = str(code.resolve())
    proc = subprocess.Popen(
        [DEALSCREEN, "review", str(path), "--format", "jsonl", "--no-store", *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    procs: dict[int, Proc] = {}
    peak = 0
    while proc.poll() is None:
        total, todo = 0, [proc.pid]
        while todo:
            pid = todo.pop()
            seen = _read_proc(pid)
            if seen is None:
                continue
            ppid, rss, hwm, cpu, children, cmd, faults = seen
            entry = procs.setdefault(pid, Proc(""))
            # a child seen before its exec still shows its parent's command: ask every time
            entry.role = _role(pid, proc.pid, ppid, cmd)
            entry.rss_kb = max(entry.rss_kb, rss)
            entry.hwm_kb = max(entry.hwm_kb, hwm)
            entry.cpu_s = max(entry.cpu_s, cpu)
            entry.faults = max(entry.faults, faults)
            total += rss
            todo.extend(children)
        peak = max(peak, total)
        time.sleep(0.05)
    _, raw = proc.communicate()
    wall = time.perf_counter() - started
    err = raw.decode()
    if proc.returncode != 0:
        raise SystemExit(f"review {' '.join(extra)} failed ({proc.returncode}): {err}")
    found = re.search(r"reviewed \d+ deals in ([0-9.]+) s", err)
    if found is None:
        raise SystemExit(f"no summary line from review {' '.join(extra)}: {err}")
    return Run(wall, float(found.group(1)), procs, peak, load_before, os.getloadavg()[0], err)


# --------------------------------------------------------------------------------------------
# Sections


def memory(
    folder: Path,
    sizes: list[int],
    workers: int,
    before: Path | None = None,
    one_process: bool = True,
) -> dict[str, float]:
    """Peak RSS of the review's process tree at each size, and of each process; with
    ``before`` (older code), each size is reviewed by both, the order alternating by size;
    with ``one_process``, also ``--workers 1`` (one process reads, screens and writes)."""
    args = ["--workers", str(workers)]
    if before is None:
        runs = {size: run_command(deals_file(folder, size), args) for size in sizes}
        figures = _memory_figures(runs, sizes, workers, "")
        if one_process:
            figures.update(_one_process(folder, sizes))
        return figures
    now: dict[int, Run] = {}
    old: dict[int, Run] = {}
    for i, size in enumerate(sizes):
        path = deals_file(folder, size)
        for side in ("after", "before") if i % 2 == 0 else ("before", "after"):
            if side == "after":
                now[size] = run_command(path, args)
            else:
                old[size] = run_command(path, args, before)
    figures = _memory_figures(old, sizes, workers, "before")
    figures = {f"before_{k}": v for k, v in figures.items()}
    figures.update(_memory_figures(now, sizes, workers, "after"))
    return figures


def _one_process(folder: Path, sizes: list[int]) -> dict[str, float]:
    """``--workers 1`` at each size: the one process's own peak (VmHWM) and its growth."""
    figures: dict[str, float] = {}
    for size in sizes:
        run = run_command(deals_file(folder, size), ["--workers", "1"])
        peak = run.hwm_mb("parent")[0]
        figures[f"one_process_peak_mb_{size}"] = peak
        print(
            f"memory, {size:,} deals, --workers 1 (one process): peak {peak:.1f} MB; "
            f"{run.elapsed_s:.0f} s ({size / run.elapsed_s:,.0f}/s), load average "
            f"{run.load_before:.1f} -> {run.load_after:.1f}",
            flush=True,
        )
    if len(sizes) >= 2:
        pairs = [(sizes[0], sizes[-1])] + ([(sizes[-2], sizes[-1])] if len(sizes) > 2 else [])
        for small, big in pairs:
            growth = figures[f"one_process_peak_mb_{big}"] - figures[f"one_process_peak_mb_{small}"]
            figures[f"one_process_growth_mb_{small}_{big}"] = growth
            print(
                f"memory growth, one process, {small:,} -> {big:,} unique deals: {growth:+.1f} MB "
                "(target: within 5 MB over 100,000)",
                flush=True,
            )
    return figures


def _memory_figures(
    runs: dict[int, Run], sizes: list[int], workers: int, label: str
) -> dict[str, float]:
    figures: dict[str, float] = {}
    tag = f" ({label})" if label else ""
    for size in sizes:
        run = runs[size]
        parent = run.hwm_mb("parent")[0]
        workers_mb = run.hwm_mb("worker")
        others = sum(run.hwm_mb("forkserver") + run.hwm_mb("tracker"))
        print(
            f"memory{tag}, {size:,} deals, --workers {workers}: tree peak "
            f"{run.tree_peak_kb / 1024:.1f} MB "
            f"(sum of the processes' own peaks {parent + sum(workers_mb) + others:.1f}): parent "
            f"{parent:.1f}, workers {' + '.join(f'{w:.1f}' for w in workers_mb)}, fork server and "
            f"tracker {others:.1f}; {run.elapsed_s:.0f} s ({size / run.elapsed_s:,.0f}/s), "
            f"load average {run.load_before:.1f} -> {run.load_after:.1f}",
            flush=True,
        )
        figures[f"tree_peak_mb_{size}"] = run.tree_peak_kb / 1024
        figures[f"parent_peak_mb_{size}"] = parent
        figures[f"workers_peak_mb_{size}"] = sum(workers_mb)
    if len(sizes) >= 2:
        pairs = [(sizes[0], sizes[-1])] + ([(sizes[-2], sizes[-1])] if len(sizes) > 2 else [])
        for small, big in pairs:
            a, b = runs[small], runs[big]
            tree = (b.tree_peak_kb - a.tree_peak_kb) / 1024
            parent = b.hwm_mb("parent")[0] - a.hwm_mb("parent")[0]
            work = sum(b.hwm_mb("worker")) - sum(a.hwm_mb("worker"))
            print(
                f"memory growth{tag} {small:,} -> {big:,} deals: tree peak {tree:+.1f} MB "
                f"(parent {parent:+.1f}, workers together {work:+.1f})",
                flush=True,
            )
            figures[f"tree_growth_mb_{small}_{big}"] = tree
            figures[f"parent_growth_mb_{small}_{big}"] = parent
            figures[f"workers_growth_mb_{small}_{big}"] = work
    return figures


SIDES = {
    "workers1": ["--workers", "1"],
    "workers2": ["--workers", "2"],
    "dask2": ["--cluster", "local:2"],
}


def _screening_cpu(run: Run, side: str) -> float:
    """The screening CPU of a run: with one worker the parent screens (in-process), else the
    workers."""
    return run.cpu("worker") + (run.cpu("parent") if side == "workers1" else 0.0)


def scaling(
    path: Path, count: int, rounds: int, with_dask: bool, before: Path | None = None
) -> dict[str, float]:
    """--workers 1, --workers 2 and --cluster local:2 in turn, ``rounds`` times; medians;
    with ``before`` (older code), its --workers 2 too, for the review process's own CPU."""
    sides = [s for s in SIDES if with_dask or s != "dask2"]
    if before is not None:
        sides.append("workers2_before")
    runs: dict[str, list[Run]] = {s: [] for s in sides}
    for r in range(rounds):
        order = sides if r % 2 == 0 else list(reversed(sides))
        for side in order:
            code = before if side == "workers2_before" else None
            run = run_command(path, SIDES[side.removesuffix("_before")], code)
            runs[side].append(run)
            screening = _screening_cpu(run, side)
            others = (
                sum(p.cpu_s for p in run.procs.values()) - run.cpu("parent") - run.cpu("worker")
            )
            print(
                f"  round {r + 1} {' '.join(SIDES[side.removesuffix('_before')])}"
                f"{' (before)' if code else ''}: wall {run.wall_s:.1f} s, review "
                f"{run.elapsed_s:.1f} s ({count / run.elapsed_s:,.0f}/s); CPU parent "
                f"{run.cpu('parent'):.1f} s, workers {run.cpu('worker'):.1f} s "
                f"({1000 * screening / count:.2f} ms/deal), others "
                f"{others:.1f} s; minor page faults per deal: parent "
                f"{run.faults('parent') / count:.1f}, workers {run.faults('worker') / count:.1f}; "
                f"load average {run.load_before:.1f} -> {run.load_after:.1f}",
                flush=True,
            )
    med = {
        s: {k: statistics.median(getattr(r, k) for r in v) for k in ("wall_s", "elapsed_s")}
        for s, v in runs.items()
    }
    figures: dict[str, float] = {}
    for side in sides:
        per_deal = statistics.median(_screening_cpu(r, side) / count for r in runs[side])
        used = statistics.median(_screening_cpu(r, side) / r.elapsed_s for r in runs[side])
        figures[f"{side}_wall_s"] = med[side]["wall_s"]
        figures[f"{side}_review_s"] = med[side]["elapsed_s"]
        figures[f"{side}_cpu_ms_per_deal"] = 1000 * per_deal
        figures[f"{side}_cores_used"] = used
        figures[f"{side}_parent_cpu_s"] = statistics.median(r.cpu("parent") for r in runs[side])
    loads = [x for v in runs.values() for r in v for x in (r.load_before, r.load_after)]
    figures["load_min"], figures["load_max"] = min(loads), max(loads)
    w1, w2 = figures["workers1_review_s"], figures["workers2_review_s"]
    figures["workers_ratio"] = w1 / w2
    figures["workers_wall_ratio"] = figures["workers1_wall_s"] / figures["workers2_wall_s"]
    print(
        f"workers on {count:,} deals ({rounds} rounds, alternated, medians): --workers 1 "
        f"{w1:.1f} s, --workers 2 {w2:.1f} s: **{w1 / w2:.2f}x** (whole command "
        f"{figures['workers_wall_ratio']:.2f}x); screening CPU per deal "
        f"{figures['workers1_cpu_ms_per_deal']:.2f} vs "
        f"{figures['workers2_cpu_ms_per_deal']:.2f} ms; cores used "
        f"{figures['workers1_cores_used']:.2f} vs {figures['workers2_cores_used']:.2f}; load "
        f"average {figures['load_min']:.1f}-{figures['load_max']:.1f} on {os.cpu_count()} cores",
        flush=True,
    )
    # The review process's own CPU with workers (reading, ordering, writing): what a wall-time
    # ratio on two cores cannot hide, and what load does not distort much.
    parent = figures["workers2_parent_cpu_s"]
    line = (
        f"review process CPU with --workers 2: {parent:.2f} s ({1e6 * parent / count:.0f} µs/deal)"
    )
    if before is not None:
        old_parent = figures["workers2_before_parent_cpu_s"]
        line += f"; before {old_parent:.2f} s ({1e6 * old_parent / count:.0f} µs/deal)"
    print(line, flush=True)
    if with_dask:
        d = figures["dask2_review_s"]
        figures["dask_ratio"] = d / w2
        figures["dask_wall_ratio"] = figures["dask2_wall_s"] / figures["workers2_wall_s"]
        print(
            f"dask local:2 vs --workers 2: review {d:.1f} s vs {w2:.1f} s: **{d / w2:.2f}** "
            f"(whole command, cluster start-up included, {figures['dask_wall_ratio']:.2f}); "
            f"screening CPU per deal {figures['dask2_cpu_ms_per_deal']:.2f} vs "
            f"{figures['workers2_cpu_ms_per_deal']:.2f} ms; cores used "
            f"{figures['dask2_cores_used']:.2f} vs {figures['workers2_cores_used']:.2f}",
            flush=True,
        )
    return figures


def review_seconds(path: Path, workers: int) -> float:
    """Seconds to review ``path`` in-process into a JSONL report (rulebook already loaded)."""
    report = JsonlReport(io.StringIO())
    return run_review([path], report, options=Options(workers=workers)).elapsed


def screen_seconds(count: int, seed: int = SEED) -> float:
    """Seconds for ``screen()`` alone on ``count`` already-validated deals."""
    book = load_rulebook()
    deals = [Deal.model_validate(d).root for d in generate(count, seed)]
    screen(deals[0], rulebook=book)
    started = time.perf_counter()
    for deal in deals:
        screen(deal, rulebook=book)
    return time.perf_counter() - started


def overhead(folder: Path, count: int) -> dict[str, float]:
    """Review with one worker against ``screen()`` alone, per deal."""
    reviewed = review_seconds(deals_file(folder, count), 1)
    screened = screen_seconds(count)
    print(
        f"per deal on {count:,} deals (1 worker): review {1000 * reviewed / count:.2f} ms, "
        f"screen() alone {1000 * screened / count:.2f} ms, ratio {reviewed / screened:.2f}",
        flush=True,
    )
    return {
        "review_ms": 1000 * reviewed / count,
        "screen_ms": 1000 * screened / count,
        "overhead_ratio": reviewed / screened,
    }


def main() -> None:
    """Run the benchmark and print the figures (and JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--memory-sizes",
        default="1000,20000,100000",
        help="deal counts of the memory runs, smallest first (comma-separated)",
    )
    parser.add_argument("--memory-workers", type=int, default=2, help="workers of the memory runs")
    parser.add_argument(
        "--no-one-process",
        action="store_true",
        help="leave out the one-process (--workers 1) memory runs",
    )
    parser.add_argument(
        "--before",
        type=Path,
        help="older code to compare, side by side: every memory size, and --workers 2 in the "
        "workers section (a directory holding `git archive REV screening rules`, put first on "
        "PYTHONPATH)",
    )
    parser.add_argument("--scale", type=int, default=20_000, help="deals for the workers section")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of the workers section")
    parser.add_argument("--overhead", type=int, default=3_000, help="deals for the overhead")
    parser.add_argument(
        "--no-dask", action="store_true", help="leave Dask out of the workers section"
    )
    parser.add_argument(
        "--deals-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "dealscreen-bench-deals",
        help="where generated deals are kept between runs",
    )
    parser.add_argument("--clean", action="store_true", help="remove --deals-dir afterwards")
    parser.add_argument("--quick", action="store_true", help="small sizes (1,000 / 5,000 deals)")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    parser.add_argument(
        "--only",
        choices=("memory", "workers", "overhead"),
        action="append",
        help="run only these sections (repeatable; default: all)",
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.memory_sizes.split(",")]
    if args.quick:
        sizes, args.scale, args.overhead = [1000, 5000], 2000, 1000
    with_dask = not args.no_dask and importlib.util.find_spec("distributed") is not None
    sections = set(args.only or ("memory", "workers", "overhead"))
    figures: dict[str, float] = {"cores": float(os.cpu_count() or 1)}
    print(f"load average at start {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    try:
        if "memory" in sections:
            figures.update(
                memory(
                    args.deals_dir,
                    sizes,
                    args.memory_workers,
                    args.before,
                    one_process=not args.no_one_process,
                )
            )
        if "workers" in sections:
            if not with_dask:
                print("dask local:2: left out (--no-dask, or dask[distributed] not installed)")
            path = deals_file(args.deals_dir, args.scale)
            figures.update(scaling(path, args.scale, args.rounds, with_dask, args.before))
        if "overhead" in sections:
            figures.update(overhead(args.deals_dir, args.overhead))
    finally:
        if args.clean:
            shutil.rmtree(args.deals_dir, ignore_errors=True)
    if args.json:
        print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
