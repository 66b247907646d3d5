"""Before/after CPU time of ``derive()`` per generated deal (issue 14), side by side in one run.

Run from the repository root, with a checkout of the older code (for example
``git archive <commit> screening rules | tar -x -C /tmp/before``)::

    .venv/bin/python benchmarks/bench_derive.py --before /tmp/before --rounds 5
    .venv/bin/python benchmarks/bench_derive.py --before /tmp/before --rules /tmp/base14/rules

Each round runs two fresh child processes one after the other, the older code (``--before``,
put first on ``sys.path``) and this checkout, alternating which goes first. Each child loads the
rulebook (``--rules``, else each checkout's own ``rules/``), generates deals (``fixtures_gen``,
``--seed``), screens the first 300 in full to warm up, then derives the facts of the others
(consortium deals left out: their members are derived one by one) as ``screen()`` does, with
the rulebook's reads and the reference lists recorded, and reports its own CPU time
(``time.process_time``) per deal. Every deal timed is one the process has not seen: what is kept
across deals must earn its keep on new ones. Figures are medians over the rounds.
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
sys.path.insert(0, os.environ["BENCH_CODE"])
from pathlib import Path
import screening
assert str(Path(screening.__file__).parents[1]) == os.environ["BENCH_CODE"], screening.__file__
from screening import Deal, load_rulebook, screen
from screening.authoring.fixtures_gen import generate
from screening.engine import consortium
from screening.engine import run as engine
from screening.facts.derive import derive
from screening.model.reference import recording_use

book = load_rulebook(base=Path(os.environ["BENCH_RULES"]))
deals = [Deal.model_validate(d).root for d in generate(int(sys.argv[1]), seed=int(sys.argv[2]))]
for deal in deals[:300]:
    screen(deal, rulebook=book).model_dump_json()
timed = [d for d in deals[300:] if not consortium.is_consortium(d)]
reads = engine.read_paths(book)
dates = [engine.resolve_as_of(d, None) for d in timed]
refs = book.references
start = time.process_time()
for deal, as_of in zip(timed, dates):
    with recording_use():
        derive(deal, refs, as_of, reads=reads)
print(json.dumps({"us_per_deal": 1e6 * (time.process_time() - start) / len(timed),
                  "deals": len(timed)}))
"""


def child(code: Path, rules: Path, deals: int, seed: int) -> dict[str, float]:
    env = {**os.environ, "BENCH_CODE": str(code.resolve()), "BENCH_RULES": str(rules.resolve())}
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(deals), str(seed)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd="/",  # not the checkout: BENCH_CODE alone decides which code runs
    )
    if proc.returncode:
        sys.exit(proc.stderr)
    result: dict[str, float] = json.loads(proc.stdout.splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="checkout of the older code")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--deals", type=int, default=1300, help="generated deals (300 warm up)")
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument("--rules", type=Path, help="one rulebook for both (default: their own)")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    figures: dict[str, list[float]] = {"before": [], "after": []}
    for r in range(args.rounds):
        order = [("before", args.before), ("after", ROOT)]
        for name, code in order if r % 2 == 0 else order[::-1]:
            rules = args.rules or code / "rules"
            figures[name].append(child(code, rules, args.deals, args.seed)["us_per_deal"])
    before, after = (statistics.median(figures[k]) for k in ("before", "after"))
    for name in ("before", "after"):
        runs = ", ".join(f"{x:.1f}" for x in figures[name])
        print(f"{name:6s} derive() {statistics.median(figures[name]):7.1f} us/deal  ({runs})")
    print(f"after/before {after / before:.3f}; load average {load:.1f} -> {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
