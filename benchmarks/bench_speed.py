"""Before/after speed of screening (issue 14), measured side by side in one run.

Run from the repository root, with a checkout of the older code (for example
``git archive <commit> screening rules | tar -x -C /tmp/before``)::

    .venv/bin/python benchmarks/bench_speed.py --before /tmp/before --rounds 5

Each round runs two fresh child processes one after the other, the older code (``--before``,
put first on ``sys.path``) and this checkout, alternating which goes first. Each child loads the
rulebook, validates the same generated deals (``fixtures_gen``, seed 7), screens some once to
warm up, then measures in its own CPU time (``time.process_time``; the machine is shared):

* ``screen()`` throughput (after a warm-up on other deals), deal after deal, full results
  (explanations, the engine/evaluator cross-check on every rule), serialized to JSON;
* ``screen_many()`` throughput on a third set of deals (this checkout only), checked byte for
  byte against ``screen()`` afterwards;
* the CPU time of each single ``screen()`` call over the fixture deals (p50, p90), and the p50
  again with what the process keeps from earlier screenings of the same names dropped before
  each call (a deal seen for the first time);
* throughput (``screen_many()``, else ``screen()``) with everything loaded frozen by
  ``gc.freeze()``, as a review worker does, against not frozen, in alternating passes;
* with ``--same-rules``, a third child: this checkout on the older checkout's ``rules/`` (the
  issue's "same rules and deals"), with how the timed deals' regime verdicts differ from the
  older code's (today's code derives the facts, so a fixed derivation may change a verdict);
* with ``--split``, this checkout's time per stage of one ``screen()`` of a fixture deal
  (``derive()``, ``run_rules()``, ``assemble()`` without the memo, the memo).

That results stay byte-identical is checked by ``benchmarks/compare_results.py``.

Figures are medians over the rounds; the ratios divide this checkout's figure by the older one's.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, os, sys, time
if os.environ.get("BENCH_CODE"):  # the older checkout ahead of the working directory ('')
    sys.path.insert(0, os.environ["BENCH_CODE"])
from pathlib import Path
import screening
assert os.environ.get("BENCH_CODE", "") in ("", str(Path(screening.__file__).parents[1]))
from screening import Deal, load_deal, load_rulebook, screen
from screening.authoring.fixtures_gen import generate

n, passes = int(sys.argv[1]), int(sys.argv[2])
if os.environ.get("BENCH_RULES"):  # another checkout's rule files (--same-rules)
    book = load_rulebook(base=Path(os.environ["BENCH_RULES"]))
else:
    book = load_rulebook()
# Three runs of distinct deals (distinct names too): a warm-up, the screen() measure and the
# screen_many() measure, so that nothing a checkout keeps from earlier screenings (name
# screenings, memoised reasons) is reused by the deals it is timed on.
generated = [Deal.model_validate(d).root for d in generate(3 * n, seed=7)]
warm, deals, others = generated[:n], generated[n : 2 * n], generated[2 * n :]
names = os.environ.get("BENCH_FIXTURES")
paths = sorted(Path("fixtures/deals").glob("*.y*ml"))
if names is not None:  # the fixtures both checkouts can read
    paths = [p for p in paths if p.name in set(names.split(","))]
fixtures, loaded = [], []
for p in paths:
    try:
        fixtures.append(load_deal(p))
        loaded.append(p.name)
    except Exception:
        pass  # a fixture newer than this code (unknown blocks): not comparable
if os.environ.get("BENCH_PROBE"):
    print(json.dumps({"fixtures": loaded}))
    raise SystemExit

for d in warm:
    screen(d, rulebook=book).model_dump_json()
out = {"fixtures": len(fixtures)}
t = time.process_time()
for _ in range(passes):  # a second pass screens the same deals again
    for d in deals:
        screen(d, rulebook=book).model_dump_json()
out["screen"] = passes * n / (time.process_time() - t)
out["rules"] = len(book.rules)
# Each timed deal's verdict per regime (compared across checkouts by --same-rules).
out["verdicts"] = [
    {r: v.verdict for r, v in sorted(screen(d, rulebook=book).regimes.items())} for d in deals
]
if os.environ.get("BENCH_RULES"):
    print(json.dumps(out))
    raise SystemExit
many = getattr(screening, "screen_many", None)
if many is not None:
    t = time.process_time()
    for _ in range(passes):
        got = [r.model_dump_json() for r in many(others, rulebook=book)]
    out["screen_many"] = passes * n / (time.process_time() - t)
    assert got == [screen(d, rulebook=book).model_dump_json() for d in others]
lat = []
for d in fixtures:
    screen(d, rulebook=book)
for _ in range(3):
    for d in fixtures:
        t = time.process_time()
        screen(d, rulebook=book)
        lat.append(time.process_time() - t)
lat.sort()
out["p50_ms"] = 1000 * lat[len(lat) // 2]
out["p90_ms"] = 1000 * lat[int(len(lat) * 0.9)]


def forget():
    # What a process keeps between screenings that a repeat of the same deal would reuse (name
    # screenings, normalised names, results assemble() keeps): dropped, so the deal is screened
    # as if for the first time. Each checkout drops what it has.
    try:
        from screening.facts.parties import forget_screenings
        forget_screenings(book.references)
    except ImportError:
        pass
    try:
        from screening.facts.names import normalize
        normalize.cache_clear()
    except (ImportError, AttributeError):
        pass
    assembly = book.__dict__.get("_assembly")
    if assembly is not None:  # the results assemble() keeps (open questions and more)
        if hasattr(assembly, "forget"):
            assembly.forget()
        else:
            assembly._questions.clear()


first = []
for _ in range(3):
    for d in fixtures:
        forget()
        t = time.process_time()
        screen(d, rulebook=book)
        first.append(time.process_time() - t)
first.sort()
out["p50_first_ms"] = 1000 * first[len(first) // 2]
if os.environ.get("BENCH_SPLIT") and not os.environ.get("BENCH_CODE"):
    # Where one screen() of a fixture deal goes (this checkout's stages; medians of 3 passes).
    import statistics
    from screening.engine import run as engine
    from screening.engine.memo import build_summary
    from screening.facts.derive import derive
    from screening.model.reference import recording_use
    parts = {"derive": [], "run_rules": [], "assemble": [], "memo": []}
    for _ in range(3):
        for d in fixtures:
            date = engine.resolve_as_of(d, None)
            with recording_use() as used:
                t0 = time.process_time()
                view = derive(d, book.references, date)
                t1 = time.process_time()
                ev = engine.run_rules(book, view)
                t2 = time.process_time()
                res = engine.assemble(d, book, ev, None)
                t3 = time.process_time()
                build_summary(ev, d, res.regimes, res.hits, res.open_questions, used)
                t4 = time.process_time()
            for key, dt in zip(parts, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
                parts[key].append(dt)
    out["split"] = {k: 1000 * statistics.median(v) for k, v in parts.items()}
# gc.freeze(), as a review worker does once its rulebook is compiled: the same batches with
# everything loaded so far frozen, and not, alternating.
import gc, statistics
rates = {True: [], False: []}
for r in range(4):
    for frozen in ((True, False) if r % 2 == 0 else (False, True)):
        if frozen:
            gc.collect()
            gc.freeze()
        t = time.process_time()
        if many is not None:
            for x in many(deals, rulebook=book):
                x.model_dump_json()
        else:
            for d in deals:
                screen(d, rulebook=book).model_dump_json()
        rates[frozen].append(n / (time.process_time() - t))
        if frozen:
            gc.unfreeze()
out["gc_freeze"] = statistics.median(rates[True]) / statistics.median(rates[False])
print(json.dumps(out))
"""


def run_child(
    script: str, args: list[str], code: Path | None, extra: dict[str, str] | None = None
) -> Any:
    """Run ``script`` in a fresh interpreter with ``code`` (a checkout) ahead of this one on
    the path (``BENCH_CODE``; ``None``: this checkout) and return its last line, decoded."""
    env = {**os.environ, **(extra or {})}
    if code is not None:
        env["BENCH_CODE"] = str(code.resolve())
    proc = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"child ({code or 'this checkout'}) failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def child(
    pythonpath: Path | None, deals: int, passes: int, extra: dict[str, str] | None = None
) -> dict[str, Any]:
    result: dict[str, Any] = run_child(CHILD, [str(deals), str(passes)], pythonpath, extra)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="checkout of the older code")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--deals", type=int, default=300)
    parser.add_argument(
        "--passes", type=int, default=1, help="times the same deals are screened (2+ repeats them)"
    )
    parser.add_argument(
        "--same-rules",
        action="store_true",
        help="also run this checkout on the older checkout's rules/ (the same rules and deals)",
    )
    parser.add_argument(
        "--split",
        action="store_true",
        help="also time this checkout's stages of one screen() (derive, run_rules, assemble, memo)",
    )
    args = parser.parse_args()
    start_load = os.getloadavg()[0]
    # The fixture deals the older code can read (newer fixtures may use blocks it lacks).
    probe = child(args.before, 1, 1, {"BENCH_PROBE": "1"})
    shared = {"BENCH_FIXTURES": ",".join(probe["fixtures"])}
    if args.split:
        shared["BENCH_SPLIT"] = "1"
    before: list[dict[str, Any]] = []
    after: list[dict[str, Any]] = []
    same: list[dict[str, Any]] = []
    old_rules = {**shared, "BENCH_RULES": str((args.before / "rules").resolve())}
    for r in range(args.rounds):
        order = [(args.before, before, shared), (None, after, shared)]
        if args.same_rules:
            order.append((None, same, old_rules))
        for path, sink, env in order if r % 2 == 0 else order[::-1]:
            sink.append(child(path, args.deals, args.passes, env))

    def med(runs: list[dict[str, Any]], key: str) -> float:
        return statistics.median(run[key] for run in runs)

    load = os.getloadavg()[0]
    print(f"## Speed before/after ({args.rounds} alternating rounds, CPU time, medians)\n")
    print("| figure | before | after | after / before |")
    print("|---|---|---|---|")
    b, a = med(before, "screen"), med(after, "screen")
    print(
        f"| `screen()` deals/CPU-s ({before[0]['rules']} rules before, {after[0]['rules']} after)"
        f" | {b:.0f} | {a:.0f} | **{a / b:.2f}×** |"
    )
    if same:
        sr = med(same, "screen")
        # How the regime verdicts of the timed deals differ between the two (this checkout's
        # facts are derived by today's code, e.g. a regime with no rule in force on the
        # screening date is `not_in_force` now where 655bd0c said `clear`).
        changes: Counter[str] = Counter()
        for x, y in zip(before[0]["verdicts"], same[0]["verdicts"], strict=True):
            for regime in sorted(set(x) | set(y)):
                if x.get(regime) != y.get(regime):
                    changes[f"{x.get(regime)} → {y.get(regime)}"] += 1
        differ = "; ".join(f"{k}: {n}" for k, n in sorted(changes.items())) or "none"
        print(
            f"| `screen()` deals/CPU-s, this checkout on the older checkout's "
            f"{same[0]['rules']} rules (the same rules and deals; regime verdicts that differ "
            f"over {len(same[0]['verdicts'])} deals: {differ}) | {b:.0f} | {sr:.0f} "
            f"| **{sr / b:.2f}×** |"
        )
    m = med(after, "screen_many")
    mb = f"{med(before, 'screen_many'):.0f}" if all("screen_many" in r for r in before) else "(n/a)"
    print(
        f"| `screen_many()` deals/CPU-s | {mb} | {m:.0f} | **{m / b:.2f}×** of `screen()` before |"
    )
    for key, label in (("p50_ms", "p50"), ("p90_ms", "p90")):
        b, a = med(before, key), med(after, key)
        print(f"| {label} CPU ms of one `screen()` | {b:.2f} | {a:.2f} | {a / b:.2f}× |")
    b, a = med(before, "p50_first_ms"), med(after, "p50_first_ms")
    print(
        f"| p50 CPU ms, each deal as if seen for the first time (kept name screenings, "
        f"normalised names and question sentences dropped before each call) | {b:.2f} | {a:.2f} "
        f"| {a / b:.2f}× |"
    )
    b, a = med(before, "gc_freeze"), med(after, "gc_freeze")
    print(f"| throughput with `gc.freeze()` / without | {b:.3f} | {a:.3f} | |")
    if args.split:
        split = {k: statistics.median(run["split"][k] for run in after) for k in after[0]["split"]}
        print(
            "| after, one `screen()` of a fixture deal, median ms per stage | "
            + ", ".join(f"{k} {v:.2f}" for k, v in split.items())
            + " | | |"
        )
    print(
        f"\n`benchmarks/bench_speed.py --before {args.before} --rounds {args.rounds} "
        f"--deals {args.deals} --passes {args.passes}{' --split' if args.split else ''}"
        f"{' --same-rules' if args.same_rules else ''}`; "
        f"{len(probe['fixtures'])} fixture deals for the latencies; load average "
        f"{start_load:.1f} at the start, {load:.1f} at the end."
    )


if __name__ == "__main__":
    main()
