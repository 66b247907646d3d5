"""Engine overhead: ``screen()`` against bare durable-rules on the same compiled rulesets.

    .venv/bin/python benchmarks/bench_engine.py [SECTION ...] [--rounds N] [--generated N]
                                                [--rules DIR]

Sections (all of them when none is named):

* ``throughput``  deals per CPU second of ``screen()`` and of bare durable-rules asserting the very
                  same facts into the very same compiled rulesets (facts built once up front, no
                  explanations, no result objects), on the fixtures and on generated deals; the
                  two loops alternate round by round and the ratio is the median of the rounds.
* ``latency``     p50 / p99 of one ``screen()`` over the fixtures after warm-up, next to the bare
                  engine's per-deal latency on the same facts.
* ``cold``        wall time of ``dealscreen screen FIXTURE --no-store`` (import, rulebook load,
                  one screening) as a ratio to ``python -c pass``, alternating runs.
* ``scale``       throughput and ratio as the rulebook grows ×1, ×4, ×16 (synthetic copies of
                  the shipped rules with renamed ids, in the shipped format), and as deals grow
                  (ownership chains of depth 1, 5, 20; 1, 10, 100 critical technologies).
* ``memory``      peak RSS of a fresh process after 1,000 and after ``--memory-n`` screenings.

``--rules DIR`` screens against another rulebook directory than the shipped ``rules/`` (for
instance a fixed copy, ``git archive HEAD rules | tar -x -C /tmp``, so that figures taken while
rule packs change stay comparable).

Throughput is counted in CPU time of this process (``time.process_time``): on a shared machine
wall time mostly measures the neighbours. Latency is wall time, as a caller sees it.

The parallel-review figures (1 versus 2 workers) come from ``benchmarks/bench_review.py``.
Speed is measured here and reported as ratios measured side by side, never asserted in tests.
"""

from __future__ import annotations

import argparse
import copy
import itertools
import json
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from durable import engine as durable_engine

from screening import load_deal, load_rulebook, screen
from screening.authoring.examples import BASE_DEAL, merge
from screening.authoring.fixtures_gen import generate
from screening.engine import _durable
from screening.engine import run as screening_engine
from screening.model.deal import Deal, DealRecord
from screening.rulebook.book import Rulebook

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = sorted((ROOT / "fixtures" / "deals").glob("*.yaml"))
COMMAND = "benchmarks/bench_engine.py"
RULES: Path | None = None  # --rules


def rulebook() -> Rulebook:
    """The rulebook the benchmarks screen against."""
    return load_rulebook(base=RULES)


Facts = list[list[tuple[str, dict[str, Any]]]]  # per deal: (ruleset, fact) in assertion order


# --------------------------------------------------------------------------------------------
# The bare engine: a plain durable-rules Host with no-op actions


class _BareHost(durable_engine.Host):  # type: ignore[misc]
    def _run(self) -> None:  # no timer threads, as in the adapter
        pass

    def get_action(self, action_name: str) -> Callable[[Any], None]:
        return _noop


def _noop(_closure: Any) -> None:
    pass


_BARE = _BareHost()
_BARE_REGISTERED: set[str] = set()
_SIDS = itertools.count(1)


def bare_register(book: Rulebook) -> None:
    """Register the rulebook's compiled rulesets (with the sentinel) under ``bare_`` names."""
    fresh = {}
    for rs in screening_engine.compiled(book):
        name = f"bare_{rs.name}"
        if name not in _BARE_REGISTERED:
            sentinel = {"all": [{"m": {"t": "deal"}}], "run": _durable.SENTINEL}
            fresh[name] = {**copy.deepcopy(rs.definition), _durable.SENTINEL: sentinel}
    if fresh:
        _BARE.set_rulesets(fresh)
        _BARE_REGISTERED.update(fresh)


def capture(book: Rulebook, deals: Iterable[DealRecord]) -> Facts:
    """The facts ``screen()`` asserts for each deal, ready for the bare loop."""
    out: Facts = []
    real = _durable.run_text

    def spy(ruleset: str, body: str) -> list[str]:
        # The adapter receives each fact as JSON text without its closing brace.
        fact = json.loads(body + "}")
        current.append((f"bare_{ruleset}", {**fact, "t": "deal", "id": "f1"}))
        return real(ruleset, body)

    _durable.run_text = spy  # type: ignore[assignment]
    try:
        for deal in deals:
            current: list[tuple[str, dict[str, Any]]] = []
            screen(deal, rulebook=book)
            out.append(current)
    finally:
        _durable.run_text = real  # type: ignore[assignment]
    return out


def bare_pass(facts: Facts) -> None:
    """Assert every fact into a fresh session and delete it: the engine's own work."""
    host = _BARE
    for deal_facts in facts:
        for ruleset, fact in deal_facts:
            sid = f"b{next(_SIDS)}"
            fact["sid"] = sid
            host.assert_fact(ruleset, fact)
            host.delete_state(ruleset, sid)


def ours_pass(book: Rulebook, deals: list[DealRecord]) -> None:
    """Screen every deal."""
    for deal in deals:
        screen(deal, rulebook=book)


def side_by_side(
    book: Rulebook, deals: list[DealRecord], rounds: int
) -> tuple[float, float, float]:
    """(ours deals/s, bare deals/s, ratio): alternating rounds, medians."""
    bare_register(book)
    facts = capture(book, deals)
    ours_pass(book, deals)  # warm-up
    bare_pass(facts)
    ours_rates, bare_rates, ratios = [], [], []
    for _ in range(rounds):
        t0 = time.process_time()
        ours_pass(book, deals)
        t1 = time.process_time()
        bare_pass(facts)
        t2 = time.process_time()
        ours_rates.append(len(deals) / (t1 - t0))
        bare_rates.append(len(deals) / (t2 - t1))
        ratios.append((t2 - t1) / (t1 - t0))
    global LAST_BEST_RATIO
    # Best round of each side: the least disturbed by other load on a shared machine.
    LAST_BEST_RATIO = max(ours_rates) / max(bare_rates)
    return statistics.median(ours_rates), statistics.median(bare_rates), statistics.median(ratios)


LAST_BEST_RATIO = 0.0


# --------------------------------------------------------------------------------------------
# Deals


def fixture_deals() -> list[DealRecord]:
    """The 20 fixture deals."""
    return [load_deal(p) for p in FIXTURES]


def generated_deals(n: int, seed: int = 7) -> list[DealRecord]:
    """N deterministic synthetic deals (``dealscreen fixtures generate``)."""
    return [Deal.model_validate(d).root for d in generate(n, seed=seed)]


def _chain(depth: int) -> list[dict[str, Any]]:
    owners: list[dict[str, Any]] = []
    for level in reversed(range(depth)):
        kind = "government" if level == depth - 1 else "company"
        owners = [
            {
                "name": f"Holdco {level}",
                "kind": kind,
                "country": "CN",
                "voting_pct": "60",
                "owners": owners,
            }
        ]
    return owners


def sized_deal(depth: int, technologies: int) -> DealRecord:
    """The base example deal with an ownership chain and a number of critical technologies."""
    techs = [
        {
            "description": f"item {i}",
            "basis": "ccl_multilateral",
            "eccn": "3A001",
            "activity_current": True,
        }
        for i in range(technologies)
    ]
    data = merge(
        BASE_DEAL,
        {
            "id": f"sized-{depth}-{technologies}",
            "investor": {"owners": _chain(depth)},
            "target": {"critical_technologies": techs},
        },
    )
    return Deal.model_validate(data).root


# --------------------------------------------------------------------------------------------
# Synthetic rulebooks: the shipped rules copied with renamed ids

# Where a rule id can appear: its definition, `finding ID` / `not finding ID`, `suppresses: [...]`
# (a rule id may equal a fact path, so ids are renamed in these places only).
_ID_PLACES = re.compile(
    r"(?P<head>(?:-[ \t]+id:[ \t]+|finding[ \t]+))"
    r"(?P<id>[a-z0-9_]+\.[a-z0-9_.]+)"
    r"|(?P<sup>suppresses:\s*\[)(?P<ids>[^\]]*)\]"
)


def scaled_rulebook(factor: int, tmp: Path) -> Rulebook:
    """The shipped rulebook with ``factor - 1`` renamed copies of every rule file added."""
    base = tmp / f"rules_x{factor}"
    source = RULES or ROOT / "rules"
    shutil.copytree(source, base)
    files = sorted(
        p
        for p in source.rglob("*.yaml")
        if "reference" not in p.relative_to(source).parts and p.name != "regimes.yaml"
    )
    for copy_no in range(1, factor):
        for path in files:
            text = _ID_PLACES.sub(
                lambda m, n=copy_no: _rename_match(m, n),  # type: ignore[misc]
                path.read_text(encoding="utf-8"),
            )
            target = base / path.relative_to(source)
            target.with_name(f"x{copy_no}_{target.name}").write_text(text, encoding="utf-8")
    return load_rulebook(base=base)


def _rename_match(m: re.Match[str], copy_no: int) -> str:
    if m.group("head"):
        return m.group("head") + _renamed(m.group("id"), copy_no)
    ids = [_renamed(i.strip(), copy_no) for i in m.group("ids").split(",") if i.strip()]
    return m.group("sup") + ", ".join(ids) + "]"


def _renamed(rule_id: str, copy_no: int) -> str:
    head, _, rest = rule_id.partition(".")
    return f"{head}.x{copy_no}_{rest}"


# --------------------------------------------------------------------------------------------
# Sections


def _table(title: str, header: list[str], rows: list[list[str]], command: str) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print(f"\n## {title}\n$ {command}\n")
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
    sys.stdout.flush()


def throughput(args: argparse.Namespace) -> None:
    """screen() against the bare engine on fixtures and generated deals."""
    book = rulebook()
    rows = []
    for label, deals in (
        (f"fixtures ({len(FIXTURES)})", fixture_deals()),
        (f"generated ({args.generated})", generated_deals(args.generated)),
    ):
        ours, bare, ratio = side_by_side(book, deals, args.rounds)
        rulesets = len(screening_engine.compiled(book))
        rows.append(
            [
                label,
                f"{len(book.rules)} / {rulesets}",
                f"{ours:,.0f}",
                f"{bare:,.0f}",
                f"{ratio:.0%}",
                f"{LAST_BEST_RATIO:.0%}",
            ]
        )
    _table(
        "Throughput: screen() vs bare durable-rules (deals per CPU second, medians)",
        ["deals", "rules / rulesets", "screen()", "bare engine", "ours / bare", "best / best"],
        rows,
        f"{COMMAND} throughput --rounds {args.rounds} --generated {args.generated}",
    )


def latency(args: argparse.Namespace) -> None:
    """p50/p99 of one screen() over the fixtures, after warm-up."""
    book = rulebook()
    deals = fixture_deals()
    bare_register(book)
    facts = capture(book, deals)
    for _ in range(3):
        ours_pass(book, deals)
        bare_pass(facts)
    ours: list[float] = []
    bare: list[float] = []
    for _ in range(args.latency_passes):
        for deal, deal_facts in zip(deals, facts, strict=True):
            t0 = time.perf_counter()
            screen(deal, rulebook=book)
            t1 = time.perf_counter()
            bare_pass([deal_facts])
            t2 = time.perf_counter()
            ours.append(t1 - t0)
            bare.append(t2 - t1)

    def pct(xs: list[float], q: float) -> float:
        return sorted(xs)[min(len(xs) - 1, int(q * len(xs)))] * 1000

    rows = [
        [name, f"{pct(xs, 0.5):.2f}", f"{pct(xs, 0.99):.2f}", f"{pct(xs, 1.0):.2f}"]
        for name, xs in (("screen()", ours), ("bare engine, same facts", bare))
    ]
    rows.append(
        [
            "ratio screen() / bare",
            f"{pct(ours, 0.5) / pct(bare, 0.5):.1f}×",
            f"{pct(ours, 0.99) / pct(bare, 0.99):.1f}×",
            "",
        ]
    )
    _table(
        f"Latency of one screening over the {len(deals)} fixtures ({len(ours)} calls, ms)",
        ["", "p50", "p99", "max"],
        rows,
        f"{COMMAND} latency --latency-passes {args.latency_passes}",
    )


def _child_cpu(cmd: list[str], env: dict[str, str], cwd: Path = ROOT) -> float:
    """CPU seconds (user + system) of one run of ``cmd`` to completion."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, cwd=cwd, check=True, capture_output=True, env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def cold(args: argparse.Namespace) -> None:
    """Cold start of `dealscreen screen` as a ratio to `python -c pass` (CPU time, one run).

    The parsed-document cache of the rulebook goes to a temporary directory, warmed by one run
    first ("cache warm", the usual case), or is turned off ("no cache": every start parses the
    rule files). ``--before DIR`` adds the same command run from ``DIR`` (a checkout of older code
    and its rules: ``python -m`` puts the working directory first) in the same alternating rounds,
    with its own warm cache (code older than the cache just parses). Bytecode is written and
    reused (``PYTHONDONTWRITEBYTECODE`` is dropped), as for an installed package.
    """
    import os

    # A fixture older checkouts can read too (``--before``), else the first.
    named = [f for f in FIXTURES if f.name == "atlas-hk-listed-chipmaker-shares.yaml"]
    fixture = str((named or FIXTURES)[0].relative_to(ROOT))
    cli = [sys.executable, "-m", "screening.cli", "screen", fixture, "--no-store"]
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as old_tmp:
        base = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        warm = {**base, "DEALSCREEN_CACHE_DIR": tmp}
        off = {**base, "DEALSCREEN_CACHE_DIR": ""}
        commands: dict[str, tuple[list[str], dict[str, str]]] = {
            "python -c pass": ([sys.executable, "-c", "pass"], warm),
            "python -c 'import screening'": ([sys.executable, "-c", "import screening"], warm),
            f"dealscreen screen {fixture} --no-store, cache warm": (cli, warm),
            "same, no cache": (cli, off),
            "dealscreen --help": ([sys.executable, "-m", "screening.cli", "--help"], warm),
        }
        if args.before is not None:
            # Run from the older checkout (`-m` puts the working directory first on sys.path).
            old_cli = [*cli[:4], str(ROOT / fixture), "--no-store"]
            old_env = {**base, "DEALSCREEN_CACHE_DIR": old_tmp, "BENCH_CWD": "1"}
            commands[f"same, code of {args.before}, its cache warm"] = (old_cli, old_env)
            subprocess.run(old_cli, cwd=args.before, check=True, capture_output=True, env=old_env)
        subprocess.run(cli, cwd=ROOT, check=True, capture_output=True, env=warm)  # warm it
        times: dict[str, list[float]] = {k: [] for k in commands}
        for _ in range(args.cold_runs):
            for name, (cmd, env) in commands.items():
                where = args.before if "BENCH_CWD" in env else ROOT
                times[name].append(_child_cpu(cmd, env, where))
    floor = statistics.median(times["python -c pass"])
    rows = [
        [name, f"{statistics.median(ts) * 1000:.0f}", f"{statistics.median(ts) / floor:.1f}×"]
        for name, ts in times.items()
    ]
    before = f" --before {args.before}" if args.before is not None else ""
    _table(
        f"Cold start (CPU time, median of {args.cold_runs} alternating runs; "
        f"load average {os.getloadavg()[0]:.1f})",
        ["command", "CPU ms", "vs python -c pass"],
        rows,
        f"{COMMAND} cold --cold-runs {args.cold_runs}{before}",
    )


def scale(args: argparse.Namespace) -> None:
    """Throughput as rulebooks and deals grow."""
    deals = generated_deals(args.scale_deals)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for factor in (1, 4, 16):
            book = rulebook() if factor == 1 else scaled_rulebook(factor, Path(tmp))
            ours, bare, ratio = side_by_side(book, deals, args.rounds)
            rulesets = len(screening_engine.compiled(book))
            rows.append(
                [
                    f"×{factor}",
                    f"{len(book.rules)}",
                    f"{rulesets}",
                    f"{ours:,.0f}",
                    f"{bare:,.0f}",
                    f"{ratio:.0%}",
                ]
            )
    _table(
        f"Scale: rulebook size ({args.scale_deals} generated deals, deals per CPU second)",
        ["rulebook", "rules", "rulesets", "screen()", "bare engine", "ours / bare"],
        rows,
        f"{COMMAND} scale --rounds {args.rounds} --scale-deals {args.scale_deals}",
    )
    book = rulebook()
    rows = []
    for depth, techs in ((1, 1), (5, 1), (20, 1), (1, 10), (1, 100), (20, 100)):
        deal = sized_deal(depth, techs)
        ours, bare, ratio = side_by_side(book, [deal] * 50, args.rounds)
        rows.append([str(depth), str(techs), f"{ours:,.0f}", f"{bare:,.0f}", f"{ratio:.0%}"])
    _table(
        "Scale: deal size (one deal screened 50 times per round, deals per CPU second)",
        ["ownership depth", "critical technologies", "screen()", "bare engine", "ours / bare"],
        rows,
        f"{COMMAND} scale --rounds {args.rounds}",
    )


def memory(args: argparse.Namespace) -> None:
    """Peak RSS of a fresh process after 1,000 and after N screenings of N unique deals."""
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "_memory_child",
            "--memory-n",
            str(args.memory_n),
            *(["--rules", str(RULES)] if RULES else []),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    first, last, sessions = int(out[0]), int(out[1]), out[2]
    rows = [
        ["after 1,000", f"{first / 1024:.1f}"],
        [f"after {args.memory_n:,}", f"{last / 1024:.1f}"],
        ["growth", f"{(last - first) / 1024:+.1f}"],
        ["sessions left in the engine", sessions],
    ]
    _table(
        "Memory: peak RSS of one process (MB)",
        ["", "MB"],
        rows,
        f"{COMMAND} memory --memory-n {args.memory_n}",
    )


def _memory_child(args: argparse.Namespace) -> None:
    book = rulebook()
    marks = []
    # Every deal is new (its own id and party names, as in a real bulk review): a cache keyed by
    # names or ids that grows with unique inputs shows here, where cycling 1,000 deals hid it.
    for i, data in enumerate(generate(args.memory_n, seed=11)):
        screen(Deal.model_validate(data).root, rulebook=book)
        if i + 1 == 1000:
            marks.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    marks.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    # The sessions of the last screening: each must be gone from its ruleset.
    last = int(_durable.last_session_id()[1:])
    left = sum(
        1
        for sid in range(max(1, last - 200), last + 1)
        for name in _durable.registered()
        if _durable.session_state(name, f"s{sid}") is not None
    )
    # And the facts left in each ruleset's kept session (single facts): none.
    left += sum(
        len(_durable.session_facts(name, _durable.KEPT) or []) for name in _durable.registered()
    )
    print(marks[0], marks[-1], left)


SECTIONS = {
    "throughput": throughput,
    "latency": latency,
    "cold": cold,
    "scale": scale,
    "memory": memory,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "sections",
        nargs="*",
        choices=[*SECTIONS, "_memory_child", []],
        help="sections to run (default: all)",
    )
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds per figure")
    parser.add_argument("--generated", type=int, default=500, help="generated deals")
    parser.add_argument("--scale-deals", type=int, default=200, help="generated deals for scale")
    parser.add_argument("--latency-passes", type=int, default=25, help="passes over the fixtures")
    parser.add_argument("--cold-runs", type=int, default=7, help="runs per cold-start command")
    parser.add_argument(
        "--before", type=Path, help="cold: also run the command with PYTHONPATH=this checkout"
    )
    parser.add_argument("--rules", type=Path, help="rulebook directory (default: shipped rules)")
    parser.add_argument("--memory-n", type=int, default=100_000, help="screenings for memory")
    args = parser.parse_args()
    global RULES
    RULES = args.rules.resolve() if args.rules else None
    if args.sections == ["_memory_child"]:
        _memory_child(args)
        return
    print(f"python {sys.version.split()[0]}; {len(rulebook().rules)} rules in {RULES or 'rules/'}")
    for name in args.sections or SECTIONS:
        SECTIONS[name](args)


if __name__ == "__main__":
    main()
