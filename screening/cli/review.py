"""The ``review`` command (bulk review into a report) and ``fixtures generate``.

Exit status of ``review``: 0 every deal screened and none reached ``--fail-on``; 2 some input was
invalid and skipped (the report is still written, with every valid deal); 3 a deal reached the
``--fail-on`` level. When both apply, 2 wins: the batch is incomplete, so the gate cannot be
trusted either way.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import shutil
import sys
import typing
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TextIO

import click

from screening.cli.common import EXIT_FAIL_ON, EXIT_INTERNAL, db_option
from screening.cli.common import parse_as_of as _as_of
from screening.engine.verdict import LEVELS, ScreeningResult
from screening.errors import (
    DealError,
    Problem,
    ScreeningError,
    StoreError,
    UsageError,
    printable,
)
from screening.model.deal import DealRecord
from screening.review.bulk import (
    Options,
    Reviewed,
    Summary,
    count_tasks,
    plain_fd,
    run_review,
    stderr_is_interactive,
)
from screening.review.report import FORMATS, SUFFIX_FORMATS, open_report
from screening.rulebook.book import Rulebook, load_rulebook
from screening.rulebook.config import resolve_layers

if TYPE_CHECKING:
    from screening.audit.store import Batch, Store


def default_format(out: Path | None) -> str:
    """The format when ``--format`` is not given: from ``--out``'s suffix, else table on a
    terminal and JSON Lines in a pipe."""
    if out is not None:
        return SUFFIX_FORMATS.get(out.suffix.lower(), "table")
    return "table" if sys.stdout.isatty() else "jsonl"


class _Stdout(io.TextIOBase):
    """Writes to whatever ``sys.stdout`` is at the time of writing.

    While the progress bar runs, rich redirects ``sys.stdout`` so that report lines appear above
    the bar instead of being torn by it; a reference to the original stream would bypass that.
    """

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return sys.stdout.encoding

    def fileno(self) -> int:
        """The descriptor of the process's standard output, while nothing (a progress bar, a
        test harness) has put another stream in its place: a report may copy results to it
        directly (``ResultWriter``), which would bypass such a stream."""
        stdout = sys.__stdout__
        if stdout is None or sys.stdout is not stdout:
            raise io.UnsupportedOperation("sys.stdout is redirected")
        return stdout.fileno()

    def kernel_fd(self) -> int | None:
        """Where ``ResultWriter`` may copy results in the kernel: the process's standard
        output while it is in place and a plain UTF-8 file or pipe (``bulk.plain_fd``)."""
        stdout = sys.__stdout__
        if stdout is None or sys.stdout is not stdout:
            return None
        return plain_fd(stdout)


@contextlib.contextmanager
def _output(path: Path | None) -> Iterator[TextIO]:
    """stdout, or a file written beside its final name and moved into place when complete."""
    if path is None:
        yield typing.cast(TextIO, _Stdout())
        sys.stdout.flush()
        return
    part = path.with_name(path.name + ".part")
    try:
        with part.open("w", encoding="utf-8", newline="") as fh:
            yield fh
        os.replace(part, path)
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise UsageError.one(str(path), "unwritable", exc.strerror or str(exc)) from None
    except BaseException:
        part.unlink(missing_ok=True)
        raise


class _Progress:
    """A rich progress bar on stderr (count, rate, ETA), or nothing in pipes and under CI."""

    def __init__(self, total: int | None) -> None:
        self.bar = None
        if total is None:
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self.bar = Progress(
            TextColumn("reviewing"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self.task = self.bar.add_task("review", total=total, rate="")

    def __enter__(self) -> _Progress:
        if self.bar is not None:
            self.bar.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.bar is not None:
            self.bar.stop()

    def advance(self, n: int) -> None:
        """``n`` more deals done."""
        if self.bar is not None:
            self.bar.advance(self.task, n)
            speed = self.bar.tasks[0].speed
            self.bar.update(self.task, rate=f"{speed:,.0f} deals/s" if speed else "")

    def problem(self, problem: Problem) -> None:
        """Print a problem on stderr (above the bar while it runs)."""
        line = f"dealscreen: {printable(problem.render())}"
        if self.bar is not None:
            self.bar.console.print(line, markup=False, highlight=False, soft_wrap=True)
        else:
            click.echo(line, err=True)


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help="Report format [default: from --out's suffix; else table on a terminal, jsonl in a pipe].",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Write the report to FILE (default: stdout).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    metavar="N",
    help="Worker processes [default: the number of cores].",
)
@click.option(
    "--cluster",
    metavar="local[:N]",
    help="Screen on a Dask LocalCluster of N worker processes, one thread each [N: the number "
    "of cores] (extra `dealscreen[dask]`; docs/review.md).",
)
@click.option(
    "--scheduler",
    metavar="tcp://HOST:PORT",
    help="Screen on an existing Dask cluster (workers need dealscreen, the same rulebook and "
    "the inputs at the same paths; docs/review.md).",
)
@click.option(
    "--work-dir",
    "work_dir",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="With --cluster/--scheduler: where partitions' files go, a directory the driver and "
    "every worker share [default: a temporary directory].",
)
@click.option(
    "--fail-on",
    "fail_on",
    type=click.Choice(LEVELS),
    metavar="LEVEL",
    help=f"Exit 3 if any deal reaches LEVEL or above ({', '.join(LEVELS)}).",
)
@click.option(
    "--csv-hits",
    "csv_hits",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="With --format csv: also write one row per hit to FILE.",
)
@click.option(
    "--as-of",
    "as_of",
    metavar="DATE",
    help="Screen every deal as of this date (default: each deal's completion date).",
)
@click.option(
    "--rules",
    "layers",
    multiple=True,
    metavar="DIR",
    help="A rulebook layer on top of the shipped rules (repeatable).",
)
@db_option
@click.option("--no-store", "no_store", is_flag=True, help="Do not record the screenings.")
@click.option(
    "--mitigate",
    "with_mitigation",
    is_flag=True,
    help="With --format html: add a 'how to lower this' section per deal (slower: a search "
    "per deal, see docs/mitigation.md).",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Do not record again deals the store already holds under this rulebook "
    "version (after an interrupted review).",
)
def review(
    paths: tuple[Path, ...],
    fmt: str | None,
    out: Path | None,
    workers: int | None,
    cluster: str | None,
    scheduler: str | None,
    work_dir: Path | None,
    fail_on: str | None,
    csv_hits: Path | None,
    as_of: str | None,
    layers: tuple[str, ...],
    db: str | None,
    no_store: bool,
    with_mitigation: bool,
    resume: bool,
) -> None:
    """Screen every deal under PATH... (folders, .yaml/.yml/.json files, .jsonl streams).

    Results come out in input order whatever the number of workers. Invalid deals are reported
    on stderr with their file, line and field, skipped, and make the exit status 2 once the
    report is written.
    """
    missing = [p for p in paths if str(p) != "-" and not p.exists()]
    if missing:
        raise UsageError(
            [Problem(str(p), "file-not-found", "no such file or directory") for p in missing]
        )
    fmt = fmt or default_format(out)
    if csv_hits is not None and fmt != "csv":
        raise UsageError.one("--csv-hits", "usage", "`--csv-hits` needs `--format csv`")
    on_dask = _check_cluster(cluster, scheduler, workers, work_dir)
    resolved = tuple(str(p) for p in resolve_layers(layers))
    if with_mitigation and fmt != "html":
        raise UsageError.one("--mitigate", "usage", "`--mitigate` needs `--format html`")
    options = Options(
        layers=resolved, as_of=_as_of(as_of), workers=workers, keep_deals=with_mitigation
    )
    book = load_rulebook([Path(p) for p in resolved])
    mitigation = _mitigation(book, options.as_of) if with_mitigation else None
    interactive = stderr_is_interactive()
    total = count_tasks(list(paths)) if interactive else None
    if resume and no_store:
        raise UsageError.one("--resume", "usage", "`--resume` needs the store (drop `--no-store`)")
    with (
        _open_cluster(cluster, scheduler, work_dir) if on_dask else contextlib.nullcontext()
    ) as dask_cluster:
        if dask_cluster is not None:
            options = replace(options, cluster=dask_cluster)
        summary, sink = _run(
            paths, fmt, out, csv_hits, db, no_store, resume, book, options, mitigation, total
        )
    click.echo(f"dealscreen: {summary.line()}", err=True)
    if sink is not None:
        click.echo(f"dealscreen: {sink.describe()}", err=True)
    _gate(summary, fail_on)


def _check_cluster(
    cluster: str | None, scheduler: str | None, workers: int | None, work_dir: Path | None
) -> bool:
    """Whether to screen on Dask; usage errors (exit 2) before anything starts."""
    from screening.review.distributed import check_address, local_workers

    if cluster is not None and scheduler is not None:
        raise UsageError.one("--cluster", "usage", "give `--cluster` or `--scheduler`, not both")
    if cluster is None and scheduler is None:
        if work_dir is not None:
            raise UsageError.one(
                "--work-dir", "usage", "`--work-dir` needs `--cluster` or `--scheduler`"
            )
        return False
    if workers is not None:
        raise UsageError.one(
            "--workers",
            "usage",
            "`--workers` is for local worker processes: with Dask give `--cluster local:N`",
        )
    if cluster is not None:
        local_workers(cluster)
    else:
        assert scheduler is not None
        check_address(scheduler)
    return True


def _open_cluster(
    cluster: str | None, scheduler: str | None, work_dir: Path | None
) -> contextlib.AbstractContextManager[Any]:
    from screening.review.distributed import local_workers, open_cluster

    if cluster is not None:
        return open_cluster(local=local_workers(cluster), work_dir=work_dir)
    return open_cluster(scheduler=scheduler, work_dir=work_dir)


def _run(
    paths: tuple[Path, ...],
    fmt: str,
    out: Path | None,
    csv_hits: Path | None,
    db: str | None,
    no_store: bool,
    resume: bool,
    book: Rulebook,
    options: Options,
    mitigation: Callable[[Reviewed], Any] | None,
    total: int | None,
) -> tuple[Summary, _StoreSink | None]:
    to_terminal = out is None and sys.stdout.isatty()
    color = to_terminal and not os.environ.get("NO_COLOR")
    width = shutil.get_terminal_size((160, 24)).columns if to_terminal else 160
    with (
        contextlib.nullcontext() if no_store else _StoreSink.open(db, book, resume) as sink,
        _output(out) as stream,
        _output(csv_hits) if csv_hits is not None else contextlib.nullcontext() as hits,
        _Progress(total) as progress,
    ):
        report = open_report(
            fmt,
            stream,
            book=book,
            color=color,
            width=width,
            csv_hits=hits,
            mitigation=mitigation,
        )
        if sink is not None and sink.recorded:
            options = replace(options, skip=frozenset(sink.recorded))
        summary = run_review(
            list(paths),
            report,
            options=options,
            sink=sink,
            progress=progress,
            problems=progress.problem,
            stored=sink.stored if sink is not None else None,
        )
    return summary, sink


def _mitigation(book: Rulebook, as_of: dt.date | None) -> Callable[[Reviewed], Any]:
    """The "how to lower this" section of a reviewed deal (searched in this process)."""
    from screening.mitigation.report import review_section

    def section(item: Reviewed) -> Any:
        return review_section(item.deal(), item.result(), rulebook=book, as_of=as_of)

    return section


class _StoreSink:
    """Records each screened deal in the audit store, committing in batches (a review sink)."""

    def __init__(
        self, batch: Batch, url: str, recorded: set[str] | None, store: Store, version: str
    ) -> None:
        self.batch = batch
        self.url = url
        self.recorded = recorded
        self.store = store
        self.version = version
        self.added = 0
        self.skipped = 0

    @classmethod
    @contextlib.contextmanager
    def open(cls, db: str | None, book: Rulebook, resume: bool) -> Iterator[_StoreSink]:
        """A sink over the store at ``db``; the last partial batch commits on leaving."""
        from screening.cli.common import open_store

        store = open_store(db, create=True)
        recorded = store.recorded(book.version) if resume else None
        with store.batch(200, rulebook=book) as batch:
            yield cls(batch, store.url, recorded, store, book.version)

    def stored(self, deal_hash: str) -> tuple[DealRecord, ScreeningResult]:
        """The recorded deal and result for a deal hash (resume: reported, not screened)."""
        found = self.store.find(deal_hash, self.version)
        if found is None:
            raise StoreError.one(self.url, "not-recorded", f"no screening of deal {deal_hash}")
        self.skipped += 1
        return found.deal, found.result

    def __call__(self, deal: DealRecord, result: ScreeningResult) -> None:
        """Record one screening (unless resuming and the store already has the deal)."""
        if self.recorded is not None:
            from screening.audit.store import deal_hash

            if deal_hash(deal) in self.recorded:
                self.skipped += 1
                return
        self.batch.add(result, deal)
        self.added += 1

    def describe(self) -> str:
        """One line for stderr (deals found recorded count as "already there")."""
        skipped = f", {self.skipped} already there" if self.recorded is not None else ""
        return f"recorded {self.added} screenings in {self.url}{skipped}"


def _gate(summary: Summary, fail_on: str | None) -> None:
    if summary.screened + summary.invalid == 0:
        click.echo(
            "dealscreen: no deal records found (looked for .yaml, .yml, .json and .jsonl files)",
            err=True,
        )
        if fail_on is not None:
            raise UsageError.one(
                "--fail-on",
                "no-deals",
                f"no deals were screened, so none could reach `{fail_on}`: check the paths",
            )
    if summary.failed:
        raise ScreeningError(
            [
                Problem(
                    "",
                    "internal-error",
                    f"{summary.failed} of {summary.total} deals failed with an internal error "
                    "(reported above; the other deals were screened)",
                )
            ],
            exit_code=EXIT_INTERNAL,
        )
    if summary.invalid:
        total = summary.total
        raise DealError.one(
            "", "invalid-input", f"{summary.invalid} of {total} deals were invalid and skipped"
        )
    if fail_on is not None and summary.reached(fail_on):
        raise ScreeningError(
            [
                Problem(
                    "--fail-on",
                    "fail-on-reached",
                    f"{summary.reached(fail_on)} deals reached `{fail_on}` or above",
                )
            ],
            exit_code=EXIT_FAIL_ON,
        )


@click.group()
def fixtures() -> None:
    """Tools for deal fixtures."""


@fixtures.command()
@click.option("--count", type=click.IntRange(min=0), default=1000, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Write to FILE (default: stdout).",
)
def generate(count: int, seed: int, out: Path | None) -> None:
    """Write COUNT synthetic, valid deals as JSON Lines (deterministic for a SEED)."""
    from screening.authoring.fixtures_gen import generate_jsonl

    with _output(out) as stream:
        for line in generate_jsonl(count, seed):
            stream.write(line)


__all__ = ["fixtures", "review"]
