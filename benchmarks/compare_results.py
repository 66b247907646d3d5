"""Byte-for-byte comparison of screening results between two checkouts (issue 14).

Speed work must not change a single byte of any result. This script screens every fixture deal
and several hundred generated deals through ``screen()`` and ``screen_many()`` in a child
process per checkout, serializes each result to JSON (``model_dump_json`` and the CLI's
``render_json``), and compares the two checkouts deal by deal. Run from the repository root,
with a checkout of the reference code (for example
``git archive 604eb76 screening rules | tar -x -C /tmp/ref``)::

    .venv/bin/python benchmarks/compare_results.py --before /tmp/ref --deals 600

Both checkouts read their own ``screening`` package and their own ``rules/``; the deals are this
checkout's fixtures and ``fixtures_gen`` batches (seeds 7 and 11). Exit status 0 when every
result is identical, 1 (with the first differences listed) otherwise.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bench_speed import run_child  # the same child runner (this script runs beside it)

CHILD = r"""
import hashlib, json, os, sys
if os.environ.get("BENCH_CODE"):
    sys.path.insert(0, os.environ["BENCH_CODE"])
from pathlib import Path
import screening
assert os.environ.get("BENCH_CODE", "") in ("", str(Path(screening.__file__).parents[1]))
from screening import Deal, load_deal, load_rulebook, screen, screen_many
from screening.authoring.fixtures_gen import generate
from screening.engine.explain import render_json
from screening.errors import ScreeningError

n = int(sys.argv[1])
book = load_rulebook()  # each checkout's own rules/
deals = {}
for p in sorted(Path("fixtures/deals").glob("*.y*ml")):
    deals["fixture:" + p.name] = load_deal(p)
for seed, count in ((7, n - n // 3), (11, n // 3)):
    for i, d in enumerate(generate(count, seed=seed)):
        deals[f"gen:{seed}:{i}"] = Deal.model_validate(d).root

def digest(text):
    return hashlib.sha256(text.encode()).hexdigest()

out = {}
for key, deal in deals.items():
    try:
        r = screen(deal, rulebook=book)
        out[key] = [digest(r.model_dump_json()), digest(render_json(r))]
    except ScreeningError as exc:
        out[key] = ["error", f"{type(exc).__name__}: {exc}"]
keys = [k for k in deals if out[k][0] != "error"]
many = screen_many([deals[k] for k in keys], rulebook=book)
for k, r in zip(keys, many, strict=True):
    out[k].append(digest(r.model_dump_json()))
print(json.dumps(out))
"""


def run(code: Path | None, deals: int) -> dict[str, list[str]]:
    result: dict[str, list[str]] = run_child(CHILD, [str(deals)], code)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="checkout of the reference")
    parser.add_argument("--deals", type=int, default=600, help="generated deals (2 seeds)")
    args = parser.parse_args()
    before, after = run(args.before, args.deals), run(None, args.deals)
    differ = [k for k in after if before.get(k) != after[k]]
    missing = sorted(set(before) - set(after))
    screened = sum(1 for v in after.values() if v[0] != "error")
    print(
        f"{len(after)} deals ({screened} screened, {len(after) - screened} refused), "
        f"screen() JSON, render_json and screen_many() JSON each compared: "
        f"{len(differ)} differ, {len(missing)} missing"
    )
    for key in differ[:20]:
        print(f"  differs: {key}: before {before.get(key)} after {after[key]}")
    # The result of screen() and of screen_many() must be the same bytes, deal by deal.
    split = [k for k, v in after.items() if v[0] != "error" and v[0] != v[2]]
    for key in split[:20]:
        print(f"  screen() and screen_many() differ: {key}")
    raise SystemExit(1 if differ or missing or split else 0)


if __name__ == "__main__":
    main()
