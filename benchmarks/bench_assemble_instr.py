"""Instructions per generated deal of ``assemble()`` (without the memo) and of
``model_dump_json()`` (the result as ``screen()`` returns it, memo included), counted by
valgrind's callgrind (deterministic: other load does not change it). Issue 14, seventh round.

Run from the repository root, with a checkout of the older code (for example
``git archive <commit> screening rules | tar -x -C /tmp/before``)::

    .venv/bin/python benchmarks/bench_assemble_instr.py --before /tmp/before [--same-rules DIR]

A child loads the rulebook (each checkout's own ``rules/``, or ``--same-rules DIR`` for both),
screens 150 generated deals (``fixtures_gen``, seed 7) to warm up, derives and runs the rules of
the next 200 (those without a consortium), and then assembles them, or serializes each as
``screen()`` returns it. Each figure is the instructions of that child less those of the same
child doing all but the measured step, divided by the deals: four callgrind runs per checkout,
each about 50 times slower than the plain child.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import os, sys
if os.environ.get("BENCH_CODE"):
    sys.path.insert(0, os.environ["BENCH_CODE"])
from pathlib import Path
from screening import Deal, load_rulebook, screen
from screening.authoring.fixtures_gen import generate
from screening.engine import consortium
from screening.engine import run as engine
from screening.facts.derive import derive
from screening.model.reference import recording_use

rules = os.environ.get("BENCH_RULES") or str(Path(os.environ.get("BENCH_CODE") or ".") / "rules")
book = load_rulebook(base=Path(rules))
deals = [Deal.model_validate(d).root for d in generate(350, seed=7)]
for d in deals[:150]:
    screen(d, rulebook=book).model_dump_json()
mode, do = os.environ["BENCH_MODE"], os.environ["BENCH_DO"] == "1"
prepared = []
for d in deals[150:]:
    if consortium.is_consortium(d):
        continue
    with recording_use() as used:
        ev = engine.run_rules(book, derive(d, book.references, engine.resolve_as_of(d, None)))
        prepared.append(engine.assemble(d, book, ev, used) if mode == "json" else (d, ev))
if do and mode == "json":
    for r in prepared:
        r.model_dump_json()
elif do:
    for d, ev in prepared:
        engine.assemble(d, book, ev, None)
print(len(prepared))
"""


def instructions(code: Path | None, mode: str, do: bool, rules: Path | None) -> tuple[int, int]:
    """(instructions of the child, deals it prepared)."""
    env = {**os.environ, "BENCH_MODE": mode, "BENCH_DO": "1" if do else "0"}
    env.pop("BENCH_CODE", None)
    if code is not None:
        env["BENCH_CODE"] = str(code.resolve())
    if rules is not None:
        env["BENCH_RULES"] = str(rules.resolve())
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        proc = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={out}",
                sys.executable,
                "-c",
                CHILD,
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise SystemExit(f"child ({code or 'this checkout'}) failed:\n{proc.stderr}")
        found = re.search(r"^summary: (\d+)", out.read_text(encoding="utf-8"), re.MULTILINE)
        if found is None:
            raise SystemExit("callgrind wrote no summary")
        return int(found.group(1)), int(proc.stdout.split()[-1])


def per_deal(code: Path | None, mode: str, rules: Path | None) -> float:
    none, _deals = instructions(code, mode, False, rules)
    done, deals = instructions(code, mode, True, rules)
    return (done - none) / deals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="checkout of the reference")
    parser.add_argument("--same-rules", type=Path, help="a rules/ directory both children load")
    args = parser.parse_args()
    for mode in ("assemble", "json"):
        before = per_deal(args.before, mode, args.same_rules)
        after = per_deal(None, mode, args.same_rules)
        print(
            f"{mode}: {before / 1e6:.3f} M -> {after / 1e6:.3f} M per deal ({after / before:.3f}x)"
        )


if __name__ == "__main__":
    main()
