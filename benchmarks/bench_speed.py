"""Before/after speed of screening (issue 14), measured side by side in one run.

Run from the repository root, with a checkout of the older code (for example
``git archive <commit> screening rules | tar -x -C /tmp/before``)::

    .venv/bin/python benchmarks/bench_speed.py --before /tmp/before --rounds 5

Each round runs two fresh child processes one after the other, the older code (``--before``,
put first on ``sys.path``) and this checkout, alternating which goes first. Each child loads the
rulebook, validates the same generated deals (``fixtures_gen``, seed 7), screens them once to
warm up, then measures in its own CPU time (``time.process_time``; the machine is shared):

* ``screen()`` throughput, deal after deal, full results (explanations, the engine/evaluator
  cross-check on every rule), serialized to JSON;
* ``screen_many()`` throughput on the same deals (this checkout only), checked byte for byte
  against ``screen()``;
* the CPU time of each single ``screen()`` call over the 97 fixture deals (p50, p90).

Figures are medians over the rounds; the ratios divide this checkout's figure by the older one's.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

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
book = load_rulebook()
deals = [Deal.model_validate(d).root for d in generate(n, seed=7)]
fixtures = [load_deal(p) for p in sorted(Path("fixtures/deals").glob("*.y*ml"))]
one = [screen(d, rulebook=book).model_dump_json() for d in deals]  # warm-up
out = {}
t = time.process_time()
for _ in range(passes):
    for d in deals:
        screen(d, rulebook=book).model_dump_json()
out["screen"] = passes * n / (time.process_time() - t)
many = getattr(screening, "screen_many", None)
if many is not None:
    assert [r.model_dump_json() for r in many(deals, rulebook=book)] == one
    t = time.process_time()
    for _ in range(passes):
        for r in many(deals, rulebook=book):
            r.model_dump_json()
    out["screen_many"] = passes * n / (time.process_time() - t)
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
print(json.dumps(out))
"""


def child(pythonpath: Path | None, deals: int, passes: int) -> dict[str, float]:
    env = dict(os.environ)
    if pythonpath is not None:
        env["BENCH_CODE"] = str(pythonpath.resolve())
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(deals), str(passes)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"child ({pythonpath or 'this checkout'}) failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="checkout of the older code")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--deals", type=int, default=300)
    parser.add_argument("--passes", type=int, default=2)
    args = parser.parse_args()
    before: list[dict[str, float]] = []
    after: list[dict[str, float]] = []
    for r in range(args.rounds):
        order = [(args.before, before), (None, after)]
        for path, sink in order if r % 2 == 0 else order[::-1]:
            sink.append(child(path, args.deals, args.passes))

    def med(runs: list[dict[str, float]], key: str) -> float:
        return statistics.median(run[key] for run in runs)

    load = os.getloadavg()[0]
    print(f"## Speed before/after ({args.rounds} alternating rounds, CPU time, medians)\n")
    print("| figure | before | after | after / before |")
    print("|---|---|---|---|")
    b, a = med(before, "screen"), med(after, "screen")
    print(f"| `screen()` deals/CPU-s | {b:.0f} | {a:.0f} | **{a / b:.2f}×** |")
    m = med(after, "screen_many")
    print(f"| `screen_many()` deals/CPU-s | (n/a) | {m:.0f} | **{m / b:.2f}×** |")
    for key, label in (("p50_ms", "p50"), ("p90_ms", "p90")):
        b, a = med(before, key), med(after, key)
        print(f"| {label} CPU ms of one `screen()` | {b:.2f} | {a:.2f} | {a / b:.2f}× |")
    print(
        f"\n`benchmarks/bench_speed.py --before {args.before} --rounds {args.rounds} "
        f"--deals {args.deals} --passes {args.passes}`; load average at the end {load:.1f}."
    )


if __name__ == "__main__":
    main()
