"""Worker processes leave their results in part files (``PartText``): the review process copies
them to the report without reading them, and the bytes are those of ``--workers 1``."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import types
from collections.abc import Generator
from pathlib import Path

import pytest

from screening.authoring.fixtures_gen import generate_jsonl
from screening.review import bulk
from screening.review.bulk import (
    Invalid,
    Options,
    PartText,
    Recorded,
    ResultWriter,
    Reviewed,
    Summary,
    review,
    run_review,
)
from screening.review.report.json import JsonReport
from screening.review.report.jsonl import JsonlReport


@pytest.fixture(scope="module")
def deals(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """150 generated deals, one named with letters outside ASCII, one invalid line."""
    lines = list(generate_jsonl(150, seed=11))
    first = json.loads(lines[3])
    first["name"] = "Société Générale — 株式会社 ☃"
    lines[3] = json.dumps(first, ensure_ascii=False) + "\n"
    lines.insert(7, '{"id": "broken"\n')
    path = tmp_path_factory.mktemp("parts") / "deals.jsonl"
    path.write_text("".join(lines), encoding="utf-8")
    return path


@pytest.fixture()
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The temporary directory the review makes its part directory in."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


class _Texts:
    """A report that keeps what kind of text each result came as, and the text (it reads
    each result within ``add``: ``reads_at_once``)."""

    reads_at_once = True

    def __init__(self) -> None:
        self.kinds: list[type] = []
        self.texts: list[str] = []

    def add(self, item: Reviewed) -> None:
        self.kinds.append(type(item.result_text))
        self.texts.append(item.result_json)

    def invalid(self, item: Invalid) -> None:
        pass

    def finish(self, summary: Summary) -> None:
        pass


def test_workers_leave_results_in_parts_and_the_review_removes_them(
    deals: Path, private_tmp: Path
) -> None:
    one, two = _Texts(), _Texts()
    sunk: dict[int, list[str]] = {1: [], 2: []}
    for workers, report in ((1, one), (2, two)):
        run_review(
            [deals],
            report,
            options=Options(workers=workers),
            sink=lambda deal, result, n=workers: sunk[n].append(
                deal.model_dump_json() + result.model_dump_json()
            ),
        )
    assert set(one.kinds) == {str}
    assert set(two.kinds) == {PartText}
    assert two.texts == one.texts
    assert sunk[2] == sunk[1]  # what the audit store records
    assert len(sunk[1]) == 150
    assert len(one.texts) == 150
    assert list(private_tmp.glob("dealscreen-review-*")) == []
    assert bulk._PART_FDS == {}


class _Keeper:
    """A report that keeps the items it is given (no ``reads_at_once``)."""

    def __init__(self) -> None:
        self.items: list[Reviewed] = []

    def add(self, item: Reviewed) -> None:
        self.items.append(item)

    def invalid(self, item: Invalid) -> None:
        pass

    def finish(self, summary: Summary) -> None:
        pass


def test_a_report_that_keeps_items_gets_their_text(deals: Path, private_tmp: Path) -> None:
    one, two = _Keeper(), _Keeper()
    run_review([deals], one, options=Options(workers=1))
    run_review([deals], two, options=Options(workers=2))
    assert {type(i.result_text) for i in two.items} == {str}
    assert [i.result_json for i in two.items] == [i.result_json for i in one.items]


def _report_bytes(kind: str, fmt: str, deals: Path, workers: int, tmp_path: Path) -> bytes:
    """The report of ``deals`` written to a stream of ``kind``."""
    make = JsonlReport if fmt == "jsonl" else JsonReport
    options = Options(workers=workers)
    path = tmp_path / f"{kind}-{fmt}-{workers}"
    if kind == "file":  # a UTF-8 file: copied by the kernel
        with path.open("w", encoding="utf-8", newline="") as fh:
            run_review([deals], make(fh), options=options)
        return path.read_bytes()
    if kind == "unbuffered":  # python -u / PYTHONUNBUFFERED: text straight to the file
        with open(path, "wb", buffering=0) as raw:
            fh = io.TextIOWrapper(raw, encoding="utf-8", newline="", write_through=True)
            run_review([deals], make(fh), options=options)
            fh.flush()
            fh.detach()
        return path.read_bytes()
    if kind == "latin-1":  # another encoding: written as text, as before
        with path.open("w", encoding="latin-1", errors="replace", newline="") as fh:
            run_review([deals], make(fh), options=options)
        return path.read_bytes()
    if kind == "text":  # no descriptor at all
        buffer = io.StringIO()
        run_review([deals], make(buffer), options=options)
        return buffer.getvalue().encode("utf-8")
    assert kind == "pipe"  # a pipe, read by a thread
    read, write = os.pipe()
    received: list[bytes] = []

    def drain() -> None:
        with open(read, "rb") as fh:
            received.append(fh.read())

    reader = threading.Thread(target=drain)
    reader.start()
    with open(write, "w", encoding="utf-8", newline="") as fh:
        run_review([deals], make(fh), options=options)
    reader.join()
    return received[0]


@pytest.mark.parametrize("fmt", ["jsonl", "json"])
def test_reports_copy_parts_byte_for_byte(deals: Path, tmp_path: Path, fmt: str) -> None:
    """Whatever the stream (a file, a pipe, an in-memory text, a file in another encoding),
    two workers write the bytes one worker writes."""
    for kind in ("file", "unbuffered", "pipe", "text", "latin-1"):
        expected = _report_bytes(kind, fmt, deals, 1, tmp_path)
        assert _report_bytes(kind, fmt, deals, 2, tmp_path) == expected, kind
    utf8 = _report_bytes("file", fmt, deals, 1, tmp_path)
    assert "Société Générale — 株式会社 ☃".encode() in utf8
    assert _report_bytes("latin-1", fmt, deals, 1, tmp_path) != utf8


def test_review_gives_every_item_its_text(deals: Path, private_tmp: Path) -> None:
    """The public generator's items keep their results after the review has moved on."""
    items = [i for i in review([deals], Options(workers=2)) if isinstance(i, Reviewed)]
    assert {type(i.result_text) for i in items} == {str}
    one = [i for i in review([deals], Options(workers=1)) if isinstance(i, Reviewed)]
    assert [i.result_json for i in items] == [i.result_json for i in one]
    assert list(private_tmp.glob("dealscreen-review-*")) == []


def test_a_part_is_gone_once_the_review_moves_on(deals: Path, private_tmp: Path) -> None:
    """With spans, a result is readable while its chunk is current, never after (an error,
    not an empty or a wrong text); stopping early removes every part."""
    items = iter(bulk._review([deals], Options(workers=2), None, spans=True))
    assert isinstance(items, Generator)
    first = next(items)
    assert isinstance(first, Reviewed) and isinstance(first.result_text, PartText)
    text = first.result_json
    assert json.loads(text)["deal_id"] == first.deal_id
    # the part's name is already gone: only the open descriptor holds it
    assert not Path(first.result_text.path).exists()
    for item in items:
        if isinstance(item, Reviewed) and item.result_text.path != first.result_text.path:  # type: ignore[union-attr]
            break
    with pytest.raises(RuntimeError, match="no longer available"):
        first.result_json  # noqa: B018
    items.close()
    assert list(private_tmp.glob("dealscreen-review-*")) == []
    assert bulk._PART_FDS == {}


def _reviewed(deal_id: str, text: str) -> Reviewed:
    return Reviewed(
        source=f"{deal_id}.yaml",
        deal_id=deal_id,
        deal_name="",
        kind="",
        investor="",
        investor_country="",
        target="",
        naics="",
        verdict="clear",
        provisional=False,
        regimes=(),
        reasons=(),
        result_text=text,
    )


def test_a_text_that_cannot_go_to_a_part_stays_a_string(tmp_path: Path) -> None:
    invalid = Invalid("x.yaml", ())
    items: list[Reviewed | Invalid | Recorded] = [
        _reviewed("a", '{"a": "é"}'),
        invalid,
        _reviewed("b", '{"b": "\ud800"}'),
    ]
    placed = bulk._to_part(list(items), str(tmp_path / "part-0.jsonl"))
    assert placed[1] is invalid
    assert placed[2] == items[2]  # a lone surrogate is not UTF-8: kept as it is
    span = placed[0].result_text  # type: ignore[union-attr]
    assert span == PartText(
        str(tmp_path / "part-0.jsonl"), 0, len('{"a": "é"}'.encode()), newline=True
    )
    assert (tmp_path / "part-0.jsonl").read_bytes() == '{"a": "é"}\n'.encode()
    fd = os.open(span.path, os.O_RDONLY)
    bulk._PART_FDS[span.path] = fd
    try:
        assert placed[0].result_json == '{"a": "é"}'  # type: ignore[union-attr]
        out = io.StringIO()
        ResultWriter(out).write(span)
        assert out.getvalue() == '{"a": "é"}'
    finally:
        del bulk._PART_FDS[span.path]
        os.close(fd)
    # a part that cannot be written: every text stays with its item
    assert bulk._to_part(list(items), str(tmp_path / "missing" / "part-1.jsonl")) == items


def test_the_command_copies_to_a_redirected_stdout_and_a_pipe(deals: Path, tmp_path: Path) -> None:
    """``review --workers 2 > file`` and ``| cat`` give the bytes of ``--workers 1``."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "CI": "true", "TMPDIR": str(tmp)}
    base = [sys.executable, "-m", "screening.cli", "review", str(deals), "--no-store"]
    outputs = []
    for workers, how in (("1", "file"), ("2", "file"), ("2", "pipe")):
        args = [*base, "--format", "jsonl", "--workers", workers]
        if how == "file":
            with (tmp_path / "out.jsonl").open("wb") as fh:
                code = subprocess.run(args, stdout=fh, stderr=subprocess.PIPE, env=env).returncode
            outputs.append((tmp_path / "out.jsonl").read_bytes())
        else:
            done = subprocess.run(args, capture_output=True, env=env)
            code = done.returncode
            outputs.append(done.stdout)
        assert code == 2  # the invalid line
    assert outputs[0] == outputs[1] == outputs[2]
    assert len(outputs[0].splitlines()) == 150
    assert list(tmp.glob("dealscreen-review-*")) == []


def test_sigterm_leaves_no_part_behind(tmp_path: Path) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    deals = tmp_path / "deals.jsonl"
    deals.write_text("".join(generate_jsonl(3000, seed=4)), encoding="utf-8")
    env = {**os.environ, "CI": "true", "TMPDIR": str(tmp)}
    args = [sys.executable, "-m", "screening.cli", "review", str(deals), "--no-store"]
    proc = subprocess.Popen(
        [*args, "--workers", "2", "--out", str(tmp_path / "out.jsonl")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        part = tmp_path / "out.jsonl.part"
        if list(tmp.glob("dealscreen-review-*")) and part.exists() and part.stat().st_size:
            break  # results are being copied from the parts
        time.sleep(0.05)
    assert proc.poll() is None, "the review ended before a part was written"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert list(tmp.glob("dealscreen-review-*")) == []
    assert not (tmp_path / "out.jsonl").exists()


def test_without_a_temporary_directory_results_travel_as_strings(
    deals: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> str:
        raise PermissionError(13, "read-only file system")

    # the review's own temporary directory only (multiprocessing makes its own)
    monkeypatch.setattr(bulk, "tempfile", types.SimpleNamespace(mkdtemp=refuse))
    texts = _Texts()
    run_review([deals], texts, options=Options(workers=2))
    assert set(texts.kinds) == {str}
    assert len(texts.texts) == 150


def test_a_wrapping_stream_is_written_to_not_bypassed(deals: Path, tmp_path: Path) -> None:
    """A gzip text stream has the compressed file's descriptor as its ``fileno()``: results
    copied there would land raw in the middle of the gzip data. Two workers write through
    the stream, and the file decompresses to what one worker writes."""
    import gzip

    out: dict[int, bytes] = {}
    for workers in (1, 2):
        path = tmp_path / f"out-{workers}.jsonl.gz"
        with gzip.open(path, "wt", encoding="utf-8", newline="") as fh:
            run_review([deals], JsonlReport(fh), options=Options(workers=workers))
        out[workers] = gzip.decompress(path.read_bytes())
    assert out[2] == out[1] and out[1].count(b"\n") > 100


def test_plain_files_and_pipes_are_copied_by_the_kernel(
    deals: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kernel copy really runs for a plain UTF-8 file and pipe, and never for a stream
    that is not one (the byte comparisons above would pass without it)."""
    if not sys.platform.startswith("linux"):
        pytest.skip("sendfile to any file is Linux's")
    calls: list[int] = []
    real = os.sendfile

    def counting(out_fd: int, in_fd: int, offset: int | None, count: int) -> int:
        calls.append(count)
        return real(out_fd, in_fd, offset, count)

    monkeypatch.setattr(os, "sendfile", counting)
    kinds = {"file": True, "unbuffered": True, "pipe": True, "text": False, "latin-1": False}
    for kind, copied in kinds.items():
        calls.clear()
        _report_bytes(kind, "jsonl", deals, 2, tmp_path)
        assert bool(calls) is copied, kind
    assert bulk.plain_fd(io.BytesIO()) is None


def test_a_jsonl_line_is_one_copy_of_result_and_newline(
    deals: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A local worker's part has a newline after each result: a ``jsonl`` line (the result
    and its newline) is one ``sendfile`` and nothing else is written per deal."""
    if not sys.platform.startswith("linux"):
        pytest.skip("sendfile to any file is Linux's")
    calls: list[int] = []
    real = os.sendfile

    def counting(out_fd: int, in_fd: int, offset: int | None, count: int) -> int:
        calls.append(count)
        return real(out_fd, in_fd, offset, count)

    monkeypatch.setattr(os, "sendfile", counting)
    data = _report_bytes("file", "jsonl", deals, 2, tmp_path)
    lines = data.splitlines(keepends=True)
    assert len(calls) == len(lines) == 150
    assert calls == [len(line) for line in lines]


def test_a_result_with_no_newline_after_it_in_its_part(tmp_path: Path) -> None:
    """A Dask part (a tab follows the result) is copied without it, the newline written."""
    part = tmp_path / "part"
    part.write_bytes(b'R\t[]\t{"a": 1}\t\n{"b": 2}\n')
    fd = os.open(part, os.O_RDONLY)
    bulk._PART_FDS[str(part)] = fd
    try:
        tab = PartText(str(part), 5, 8)
        line = PartText(str(part), 15, 8, newline=True)
        with pytest.raises(ValueError, match="no newline follows"):
            tab.send(1, newline=True)
        out = tmp_path / "out"
        with out.open("w", encoding="utf-8", newline="") as fh:
            writer = ResultWriter(fh)
            writer.write(tab, end="\n")
            writer.write(line, end="\n")
            writer.write('{"c": 3}', end="\n")
        assert out.read_bytes() == b'{"a": 1}\n{"b": 2}\n{"c": 3}\n'
        text = io.StringIO()
        writer = ResultWriter(text)  # no descriptor: read and written as text
        writer.write(tab, end="\n")
        writer.write(line, end="\n")
        assert text.getvalue() == '{"a": 1}\n{"b": 2}\n'
    finally:
        del bulk._PART_FDS[str(part)]
        os.close(fd)


def test_a_part_is_written_whole_gathered_or_after_a_short_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``_write_all`` writes every blob in order: more blobs than one ``writev`` takes, and a
    ``writev`` that stops short in the middle of a blob."""
    blobs = [f"{i:05d}-".encode() * (i % 7 + 1) for i in range(2500)]
    path = tmp_path / "whole"
    with open(path, "wb", buffering=0) as fh:
        bulk._write_all(fh.fileno(), blobs)
    assert path.read_bytes() == b"".join(blobs)
    real = os.writev

    def short(fd: int, buffers: list[bytes]) -> int:
        joined = b"".join(buffers)
        return real(fd, [joined[: max(1, len(joined) // 3 + 1)]])

    monkeypatch.setattr(os, "writev", short)
    path = tmp_path / "short"
    with open(path, "wb", buffering=0) as fh:
        bulk._write_all(fh.fileno(), blobs[:40])
    assert path.read_bytes() == b"".join(blobs[:40])


def test_a_sendfile_error_that_is_not_a_refusal_is_raised(tmp_path: Path) -> None:
    """EINVAL and the like mean "not to this descriptor" (the text is written instead); an
    I/O error is an error, raised as a write would raise it."""
    import errno

    part = tmp_path / "part"
    part.write_bytes(b'{"a": 1}')
    fd = os.open(part, os.O_RDONLY)
    bulk._PART_FDS[str(part)] = fd
    try:
        text = PartText(str(part), 0, 8)
        for code, refused in ((errno.EINVAL, True), (errno.EIO, False), (errno.ENOSPC, False)):

            def failing(*_: object, code: int = code) -> int:
                raise OSError(code, os.strerror(code))

            with pytest.MonkeyPatch.context() as mp:
                mp.setattr(os, "sendfile", failing)
                if refused:
                    assert text.send(1) is False
                else:
                    with pytest.raises(OSError):
                        text.send(1)
    finally:
        del bulk._PART_FDS[str(part)]
        os.close(fd)


class _Failing(_Texts):
    def add(self, item: Reviewed) -> None:
        super().add(item)
        if len(self.texts) == 5:
            raise RuntimeError("the report failed")


def test_a_failing_report_stops_the_workers_and_removes_the_parts(
    deals: Path, private_tmp: Path
) -> None:
    """A report (or sink, or progress) raising ends the review at once: its part folder is
    gone when the exception reaches the caller, not when a traceback is freed."""
    try:
        run_review([deals], _Failing(), options=Options(workers=2))  # type: ignore[arg-type]
    except RuntimeError as exc:  # checked while the traceback (and its frames) is alive
        assert str(exc) == "the report failed"
        assert not any(private_tmp.glob("dealscreen-review-*"))
        assert not bulk._PART_FDS
    else:
        pytest.fail("the report's error was not raised")
