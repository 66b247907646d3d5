"""Bulk review on Dask: a LocalCluster of 2 process workers (one thread each) gives the same
items, reports and store rows as ``--workers 1``; poison deals are isolated; duplicates are found
on the cluster; usage errors exit 2 without a traceback.

Skipped when dask[distributed] is missing, unless DEALSCREEN_REQUIRE_ALL=1 (then they fail).
"""

from __future__ import annotations

import importlib.util
import io
import itertools
import json
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from screening.authoring.examples import BASE_DEAL, merge
from screening.authoring.fixtures_gen import generate_jsonl
from screening.cli.app import main
from screening.review.bulk import Invalid, Options, Reviewed, review, run_review
from screening.review.distributed import (
    POISON_ENV,
    Cluster,
    Part,
    _cut_jsonl,
    decode,
    encode,
    open_cluster,
    partitions,
    split,
)
from screening.review.report import open_report
from screening.rulebook.book import load_rulebook
from tests.conftest import require

ROOT = Path(__file__).resolve().parent.parent
HAVE_DASK = importlib.util.find_spec("distributed") is not None
MISSING = "dask[distributed] is not installed (pip install 'dealscreen[dask]')"
POISON = "poison-pill-deal"


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    """One LocalCluster for the module: 2 process workers, one thread each, small partitions
    (so a few dozen deals make many), and the test-only poison hook armed."""
    require(HAVE_DASK, MISSING)
    previous = os.environ.get(POISON_ENV)
    os.environ[POISON_ENV] = POISON  # workers inherit it when they start (and restart)
    try:
        with open_cluster(local=2) as opened:
            opened.partition_bytes = 4096
            opened.partition_files = 2
            yield opened
    finally:
        if previous is None:
            os.environ.pop(POISON_ENV, None)
        else:
            os.environ[POISON_ENV] = previous


def _deal(i: int, **fragment: object) -> dict[str, object]:
    return merge(BASE_DEAL, {"id": f"deal-{i}", "name": f"Deal {i}", **fragment})  # type: ignore[no-any-return]


@pytest.fixture()
def batch(tmp_path: Path) -> Path:
    """YAML and JSON deal files, two JSONL streams with blank, bad and invalid lines, an
    unsupported file, and ids used twice across partitions (and across files)."""
    folder = tmp_path / "batch"
    (folder / "sub").mkdir(parents=True)
    for i in range(5):
        (folder / f"f{i}.yaml").write_text(json.dumps(_deal(100 + i)), encoding="utf-8")
    (folder / "sub" / "g.json").write_text(json.dumps(_deal(3)), encoding="utf-8")
    (folder / "notes.txt").write_text("not a deal", encoding="utf-8")
    lines = list(generate_jsonl(30, seed=7))
    lines.insert(4, "\n")
    lines.insert(9, "{not json\n")
    bad = _deal(9)
    bad["rights"] = {**bad["rights"], "voting_pct": 101}  # type: ignore[dict-item]
    lines.insert(15, json.dumps(bad) + "\n")
    lines.insert(20, json.dumps(_deal(100, name="again")) + "\n")  # id of f0.yaml
    lines.append(lines[2])  # a generated deal's id again, far from the first
    (folder / "m.jsonl").write_text("".join(lines), encoding="utf-8")
    (folder / "z.ndjson").write_text(
        json.dumps(_deal(3, name="third")) + "\n" + json.dumps(_deal(200)), encoding="utf-8"
    )  # no newline at the end
    return folder


# --- no cluster needed ------------------------------------------------------------------------


def assert_ranges_tile(parts: list[Part], text: bytes) -> None:
    """The byte ranges tile ``text``, each starts at a line start and knows that line's number."""
    assert parts[0].start == 0 and parts[-1].end == len(text)
    for left, right in itertools.pairwise(parts):
        assert left.end == right.start
    for part in parts:
        assert part.start == 0 or text[part.start - 1 : part.start] == b"\n"
        assert part.first_line == text[: part.start].count(b"\n") + 1


@pytest.mark.parametrize("size", [1, 7, 100, 1000, 5000, 10**6])
def test_jsonl_is_cut_at_line_ends_with_line_numbers(tmp_path: Path, size: int) -> None:
    """Ranges tile the file, each starts at a line start and knows that line's number."""
    path = tmp_path / "x.jsonl"
    text = b"a\n\nbbb\n" + b"c" * 3000 + b"\n\n\nd\ne"
    path.write_bytes(text)
    assert_ranges_tile(_cut_jsonl(path, "k", size), text)


def test_split_bisects_to_single_lines_and_files(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_bytes(b"".join(b"%d\n" % i for i in range(20)))
    whole = Part("p", str(path), 0, path.stat().st_size, 1)
    halves = split(whole)
    assert halves is not None and [h.first_line for h in halves] == [1, 11]
    quarters = split(halves[0])
    assert quarters is not None and [q.first_line for q in quarters] == [1, 6]
    singles = split(quarters[1])  # at most 8 lines: straight to single lines
    assert singles is not None and [s.first_line for s in singles] == [6, 7, 8, 9, 10]
    assert split(singles[3]) is None and (singles[3].start, singles[3].end) == (16, 18)
    assert split(Part("f", files=("a.yaml",))) is None
    pair = split(Part("f", files=("a.yaml", "b.yaml")))
    assert pair is not None and [p.files for p in pair] == [("a.yaml",), ("b.yaml",)]


def test_part_lines_round_trip(batch: Path) -> None:
    items = list(review([batch], Options(workers=1, keep_deals=True)))
    assert any(isinstance(i, Invalid) for i in items)
    assert [decode(encode(i)) for i in items] == [
        i if i.__class__ is Invalid else _undup(i) for i in items
    ]


def _undup(item: object) -> object:
    from dataclasses import replace

    assert isinstance(item, Reviewed)
    return replace(item, duplicate_of=None)


def test_partitions_keep_input_order(batch: Path) -> None:
    leaves = list(partitions([batch, batch / "notes.txt"], size=4096, files=2, workers=2))
    names = [
        leaf.source if isinstance(leaf, Invalid) else (leaf.files or (leaf.path,))[0]
        for leaf in leaves
    ]
    assert [Path(n).name for n in names[:5]] == [f"f{i}.yaml" for i in range(5)]
    assert [Path(n).name for n in names[-3:]] == ["g.json", "z.ndjson", "notes.txt"]
    assert isinstance(leaves[-1], Invalid) and leaves[-1].problems[0].code == "unsupported-file"
    ranges = [leaf for leaf in leaves if isinstance(leaf, Part) and leaf.path.endswith("m.jsonl")]
    assert len(ranges) > 3 and ranges[0].start == 0


# --- on the cluster ---------------------------------------------------------------------------


def _report(paths: list[Path], fmt: str, options: Options) -> tuple[str, str, dict[str, object]]:
    book = load_rulebook()
    out, hits = io.StringIO(), io.StringIO()
    report = open_report(fmt, out, book=book, csv_hits=hits if fmt == "csv" else None)
    summary = run_review(paths, report, options=options)
    return out.getvalue(), hits.getvalue(), summary.to_jsonable()


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv"])
def test_reports_are_byte_identical_to_one_worker(cluster: Cluster, batch: Path, fmt: str) -> None:
    one = _report([batch], fmt, Options(workers=1))
    dask = _report([batch], fmt, Options(cluster=cluster))
    assert dask == one
    summary = one[2]
    assert summary["duplicates"] == 3 and summary["invalid"] == 2  # type: ignore[comparison-overlap]


def test_items_are_identical_to_one_worker(cluster: Cluster, batch: Path) -> None:
    one = list(review([batch], Options(workers=1, keep_deals=True)))
    dask = list(review([batch], Options(cluster=cluster, keep_deals=True)))
    assert dask == one
    duplicates = [i for i in one if isinstance(i, Reviewed) and i.duplicate_of]
    assert [d.source.removeprefix(f"{batch}/") for d in duplicates] == [
        "m.jsonl:21",
        "m.jsonl:35",
        "z.ndjson:1",
    ]
    assert list(cluster.root.iterdir()) == []  # every part file removed


def test_a_deal_that_kills_its_worker_is_isolated(cluster: Cluster, tmp_path: Path) -> None:
    lines = list(generate_jsonl(24, seed=11))
    poison = _deal(77, name=POISON)
    stream = tmp_path / "p.jsonl"
    stream.write_text("".join([*lines[:13], json.dumps(poison) + "\n", *lines[13:]]), "utf-8")
    clean = tmp_path / "clean.jsonl"
    clean.write_text("".join(lines), "utf-8")
    collected = _Collect()
    summary = run_review([stream], collected, options=Options(cluster=cluster))
    items = collected.items
    assert len(items) == 25
    dead = items[13]
    assert isinstance(dead, Invalid) and dead.internal
    assert dead.source == f"{stream}:14"
    assert dead.problems[0].code == "worker-died"
    expected = list(review([clean], Options(workers=1)))
    rest = [*items[:13], *items[14:]]
    assert [i.result_json for i in rest] == [i.result_json for i in expected]  # type: ignore[union-attr]
    assert [i.source for i in rest] == [f"{stream}:{n}" for n in [*range(1, 14), *range(15, 26)]]
    # counted as a failure (the command's exit status is 1); the report has every other deal
    assert (summary.failed, summary.screened) == (1, 24)
    assert summary.invalid_problems[0].code == "worker-died"


class _Collect:
    """A report that keeps the items it is given."""

    def __init__(self) -> None:
        self.items: list[Reviewed | Invalid] = []

    def add(self, item: Reviewed) -> None:
        self.items.append(item)

    def invalid(self, item: Invalid) -> None:
        self.items.append(item)

    def finish(self, summary: object) -> None:
        pass


def test_resume_skips_the_same_deals_as_one_worker(cluster: Cluster, batch: Path) -> None:
    """With content hashes to skip (``--resume``), workers return the same Recorded items."""
    from screening.model.deal import content_hash

    kept = list(review([batch], Options(workers=1, keep_deals=True)))
    skip = frozenset(content_hash(i.deal()) for i in kept[::3] if isinstance(i, Reviewed))
    one = list(review([batch], Options(workers=1, skip=skip)))
    dask = list(review([batch], Options(cluster=cluster, skip=skip)))
    assert dask == one
    assert sum(1 for i in one if i.__class__.__name__ == "Recorded") >= len(skip) > 0


# --- the command ------------------------------------------------------------------------------


def _cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_cluster_matches_workers_1_and_records_every_deal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--cluster local:2` writes the same report as `--workers 1` and the driver records every
    screening in the (SQLite) store, in input order."""
    require(HAVE_DASK, MISSING)
    folder = tmp_path / "in"
    shutil.copytree(ROOT / "fixtures" / "deals", folder)
    (folder / "extra.jsonl").write_text("".join(generate_jsonl(40, seed=2)), "utf-8")
    runs = {}
    for name, extra in (("one", ["--workers", "1"]), ("dask", ["--cluster", "local:2"])):
        out = tmp_path / f"{name}.html"
        code, _, err = _cli(
            [
                "review",
                str(folder),
                "--out",
                str(out),
                "--db",
                f"sqlite:///{tmp_path / name}.db",
                "--as-of",
                "2026-01-15",
                *extra,
            ],
            capsys,
        )
        assert code == 0, err
        assert "Traceback" not in err
        recorded = [line for line in err.splitlines() if "recorded" in line]
        runs[name] = (out.read_bytes(), recorded[0].split(" in ")[0])
    assert runs["dask"] == runs["one"]
    assert runs["one"][1].startswith("dealscreen: recorded ")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--cluster", "local:0"], "`local:0` is not a cluster"),
        (["--cluster", "remote"], "`remote` is not a cluster"),
        (["--scheduler", "127.0.0.1:8786"], "is not a scheduler address: give `tcp://HOST:PORT`"),
        (["--cluster", "local", "--scheduler", "tcp://h:1"], "not both"),
        (["--cluster", "local:2", "--workers", "2"], "with Dask give `--cluster local:N`"),
        (["--work-dir", "x"], "`--work-dir` needs `--cluster` or `--scheduler`"),
    ],
)
def test_cli_usage_errors(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _cli(["review", str(ROOT / "fixtures/deals"), "--no-store", *args], capsys)
    assert code == 2 and out == ""
    assert message in err and "Traceback" not in err


def test_cli_unreachable_scheduler(capsys: pytest.CaptureFixture[str]) -> None:
    require(HAVE_DASK, MISSING)
    import dask

    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        code, out, err = _cli(
            [
                "review",
                str(ROOT / "fixtures/deals"),
                "--no-store",
                "--scheduler",
                "tcp://127.0.0.1:9",
            ],
            capsys,
        )
    assert code == 2 and out == ""
    assert (
        "dealscreen: --scheduler: unreachable: cannot reach the Dask scheduler at tcp://127.0.0.1:9"
        in err
    )
    assert "Traceback" not in err


def test_cli_without_dask_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails as if not installed
    code, out, err = _cli(
        ["review", str(ROOT / "fixtures/deals"), "--no-store", "--cluster", "local:2"], capsys
    )
    assert code == 2 and out == ""
    assert "needs the `dask` extra, which is not installed: pip install 'dealscreen[dask]'" in err


def test_a_worker_with_another_rulebook_refuses(tmp_path: Path) -> None:
    """The driver's rulebook version travels with each task; a worker whose rulebook differs
    (another dealscreen or other rules installed there) fails the review rather than screen
    with it."""
    from screening.review.distributed import Config, _setup

    config = Config((), "not-this-version", None, False, None, str(tmp_path), 1)
    with pytest.raises(
        RuntimeError, match=r"this worker's rulebook is version .*, the review's not-this-version"
    ):
        _setup(config)


def test_cli_scheduler_uses_a_running_cluster(
    cluster: Cluster, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--scheduler` connects to a cluster already running (here the module's) and writes
    what `--workers 1` writes; the cluster goes on running."""
    stream = tmp_path / "s.jsonl"
    stream.write_text("".join(generate_jsonl(12, seed=4)), "utf-8")
    address = cluster.client.scheduler.address
    outputs = []
    for extra in (["--workers", "1"], ["--scheduler", address, "--work-dir", str(tmp_path / "w")]):
        code, out, err = _cli(
            ["review", str(stream), "--no-store", "--format", "csv", *extra], capsys
        )
        assert code == 0, err
        outputs.append(out)
    assert outputs[0] == outputs[1] and outputs[0].count("\n") == 13
    assert list((tmp_path / "w").iterdir()) == []  # its work files removed
    assert cluster.client.submit(sum, [1, 2]).result() == 3


def test_cli_scheduler_refuses_threaded_workers(capsys: pytest.CaptureFixture[str]) -> None:
    require(HAVE_DASK, MISSING)
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=1,
        threads_per_worker=2,
        processes=False,
        protocol="tcp://",
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
    ) as threaded:
        code, out, err = _cli(
            [
                "review",
                str(ROOT / "fixtures/deals"),
                "--no-store",
                "--scheduler",
                threaded.scheduler_address,
            ],
            capsys,
        )
    assert code == 2 and out == ""
    assert "run several threads" in err and "start them with `--nthreads 1`" in err
    assert "Traceback" not in err
