"""The workers' fork server is started as soon as a review with worker processes is known to be
coming (screening.review._start): on the command's arguments, and by run_review."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from screening.cli import app
from screening.review import _start, bulk
from screening.review.bulk import Options, run_review
from screening.review.report.jsonl import JsonlReport


@pytest.mark.parametrize(
    ("argv", "wanted"),
    [
        (["review", "deals.jsonl", "--workers", "2"], True),
        (["review", "--workers=3", "deals.jsonl"], True),
        (["--db", "x.db", "review", "deals.jsonl", "--workers", "2"], False),  # --db's value
        (["review", "deals.jsonl", "--workers", "1"], False),
        (["review", "deals.jsonl", "--workers=1"], False),
        (["review", "deals.jsonl", "--workers", "two"], False),
        (["review", "deals.jsonl", "--workers"], None),  # no value: the default
        (["review", "deals.jsonl", "--cluster", "local:2"], False),
        (["review", "deals.jsonl", "--scheduler=tcp://h:1", "--workers", "2"], False),
        (["review", "--help"], False),
        (["review", "deals.jsonl"], None),  # the default: the number of cores
        (["review", "deals.jsonl", "--", "--cluster"], None),
        (["screen", "review.yaml", "--workers", "2"], False),
        (["fixtures", "generate", "review"], False),
        ([], False),
    ],
)
def test_the_arguments_say_whether_workers_are_coming(
    argv: list[str], wanted: bool | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    for cores, default in ((1, False), (2, True)):
        monkeypatch.setattr(_start.os, "cpu_count", lambda cores=cores: cores)
        assert _start.wants_workers(argv) is (default if wanted is None else wanted), argv


def test_the_review_command_starts_the_fork_server_before_its_imports(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: list[bool] = []
    monkeypatch.setattr(_start, "start_server", lambda: started.append(True) or True)
    for argv, expected in (
        (["dealscreen", "review", "d.jsonl", "--workers", "2"], [True]),
        (["dealscreen", "review", "d.jsonl", "--workers", "1"], []),
    ):
        started.clear()
        monkeypatch.setattr(sys, "argv", argv)
        assert app._review().name == "review"
        assert started == expected, argv


def test_run_review_starts_the_fork_server_only_for_worker_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "none.jsonl"
    path.write_text("\n", encoding="utf-8")
    started: list[bool] = []
    monkeypatch.setattr(_start, "start_server", lambda: started.append(True) or True)
    monkeypatch.setattr(bulk, "_in_workers", lambda chunks, options, spans: iter(()))
    for workers, expected in ((1, []), (2, [True])):
        started.clear()
        run_review([path], JsonlReport(sys.stdout), options=Options(workers=workers))
        assert started == expected, workers


def test_the_fork_server_once_started_serves_the_pool() -> None:
    """Started early, the server is the one the pool's workers come from (no second one)."""
    if _start.context().get_start_method() != "forkserver":
        pytest.skip("no fork server on this platform")
    from multiprocessing import forkserver

    assert _start.start_server() is True
    server = forkserver._forkserver._forkserver_pid
    assert server is not None
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=_start.context()) as pool:
        assert pool.submit(len, "abc").result() == 3
    assert forkserver._forkserver._forkserver_pid == server
