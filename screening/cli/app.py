"""The ``dealscreen`` command: a thin layer that parses, calls the library, renders, exits.

Exit status: 0 done; 1 internal error (a defect: the traceback is printed); 2 invalid input or
usage (one clear message per problem on stderr, no traceback); 3 a ``--fail-on`` level was
reached; 130 interrupted (Ctrl-C); 143 terminated (SIGTERM: partial ``--out`` files removed,
worker processes stopped).
"""

from __future__ import annotations

import json
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from screening._version import __version__
from screening.cli import resume_gc
from screening.cli.common import (
    EXIT_INPUT,
    EXIT_INTERNAL,
    EXIT_OK,
    db_option,
    open_store,
    parse_as_of,
)
from screening.errors import EngineError, ScreeningError, printable

if TYPE_CHECKING:
    from screening.rulebook.book import Rulebook


def _rulebook(layers: tuple[str, ...]) -> Rulebook:
    # Imported here, like every command's own modules: `dealscreen --help` loads none of them.
    from screening.rulebook.book import load_rulebook
    from screening.rulebook.config import resolve_layers

    return load_rulebook(resolve_layers(layers))


rules_option = click.option(
    "--rules",
    "layers",
    multiple=True,
    metavar="DIR",
    help="A rulebook layer on top of the shipped rules (repeatable).",
)


# Subcommands that live in their own modules, imported when one of them runs (or when help lists
# them): `dealscreen screen` need not import review, the store, the server or authoring.
def _audit() -> click.Command:
    from screening.cli.audit import audit
    from screening.cli.whatif import audit_mitigate

    audit.add_command(audit_mitigate)
    return audit


def _check() -> click.Command:
    from screening.cli.records import check

    return check


def _new() -> click.Command:
    from screening.cli.records import new

    return new


def _fixtures() -> click.Command:
    from screening.cli.review import fixtures

    return fixtures


def _lists() -> click.Command:
    from screening.cli.lists import lists

    return lists


def _mitigate() -> click.Command:
    from screening.cli.whatif import mitigate

    return mitigate


def _review() -> click.Command:
    from screening.review import _start

    if _start.wants_workers(sys.argv[1:]):
        # The workers' fork server imports the screening modules while this process does
        # (screening.review._start); `dealscreen review --workers 1` starts none.
        _start.start_server()
    from screening.cli.review import review

    return review


def _rules() -> click.Command:
    from screening.cli.rules import rules

    return rules


def _serve() -> click.Command:
    from screening.server.command import serve  # FastAPI is imported when it runs

    return serve


def _whatif() -> click.Command:
    from screening.cli.whatif import whatif

    return whatif


_LAZY: dict[str, Callable[[], click.Command]] = {
    "audit": _audit,
    "check": _check,
    "fixtures": _fixtures,
    "lists": _lists,
    "mitigate": _mitigate,
    "new": _new,
    "review": _review,
    "rules": _rules,
    "serve": _serve,
    "whatif": _whatif,
}


# Commands that keep the garbage collector paused to the end (see screening.cli): one deal, then
# exit. Every other command turns it back on before it runs.
_ONE_DEAL = frozenset({"screen"})


class _Commands(click.Group):
    """The top-level group: its own commands, and the others loaded on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *_LAZY})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in _ONE_DEAL:
            resume_gc()
        if cmd_name not in self.commands and cmd_name in _LAZY:
            self.add_command(_LAZY[cmd_name](), cmd_name)
        return self.commands.get(cmd_name)


@click.group(
    cls=_Commands,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="dealscreen")
def cli() -> None:
    """Screen investment deals against national-security investment rules (CFIUS and more).

    dealscreen informs a decision; it is not legal advice.
    """


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "memo"]),
    default="text",
    show_default=True,
    help="text: the memo, then every regime; json: the result; memo: the memo as Markdown.",
)
@click.option(
    "--as-of", "as_of", metavar="DATE", help="Screen as of this date (default: completion date)."
)
@click.option("--findings", is_flag=True, help="Text: also list every finding and derived fact.")
@rules_option
@click.option("--no-store", "no_store", is_flag=True, help="Do not record the screening.")
@db_option
@click.option(
    "--mitigate",
    "with_mitigation",
    is_flag=True,
    help="Add 'how to lower this': concessions that lower the deciding regime by one level "
    "(docs/mitigation.md).",
)
def screen(
    file: Path,
    fmt: str,
    as_of: str | None,
    findings: bool,
    layers: tuple[str, ...],
    no_store: bool,
    db: str | None,
    with_mitigation: bool = False,
) -> None:
    """Screen one deal record (YAML or JSON), explain the verdict and record it.

    The answer comes first: a memo of what to do (with deadlines), why each clear regime is
    clear, the open questions ranked, and what the answer rests on. Screenings are recorded in
    the audit store given by --db or the DEALSCREEN_DB environment variable (default
    .dealscreen/audit.db) unless --no-store is given.
    """
    from screening.engine.explain import render_json, render_memo, render_text
    from screening.engine.run import screen as screen_deal
    from screening.model.loader import load_deal

    book = _rulebook(layers)
    deal = load_deal(file)
    result = screen_deal(deal, rulebook=book, as_of=parse_as_of(as_of))
    screening_id: int | None = None
    if not no_store:
        store = open_store(db, create=True)
        screening_id = store.record(result, deal, rulebook=book)
        click.echo(
            f"dealscreen: recorded as screening {screening_id} in {store.display_url}", err=True
        )
    if fmt == "json":
        text = render_json(result, screening_id=screening_id)
    elif fmt == "memo":
        text = render_memo(result)
    else:
        text = printable(render_text(result, findings=findings))
    if with_mitigation:
        from screening.mitigation.report import with_section

        resume_gc()  # a search screens many changed copies of the deal
        text = with_section(text, fmt, deal, result, book)
    click.echo(text, nl=False)


@cli.command()
def schema() -> None:
    """Print the JSON Schema of a deal record."""
    from screening.model.deal import Deal

    click.echo(json.dumps(Deal.model_json_schema(), indent=2, sort_keys=True))


class Terminated(BaseException):
    """SIGTERM arrived: unwind like Ctrl-C (partial outputs removed, workers stopped)."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated


def _catch_sigterm() -> Any:
    """Turn SIGTERM into :class:`Terminated` while a command runs (main thread only)."""
    try:
        return signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread: leave signals alone
        return None


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI and map errors to exit statuses."""
    previous = _catch_sigterm()
    try:
        return _main(argv)
    except Terminated:
        click.echo("dealscreen: terminated", err=True)
        return EXIT_TERMINATED
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


EXIT_TERMINATED = 128 + signal.SIGTERM


def _main(argv: list[str] | None) -> int:
    try:
        cli.main(args=argv, prog_name="dealscreen", standalone_mode=False)
    except ScreeningError as exc:
        for problem in exc.problems:
            click.echo(f"dealscreen: {printable(problem.render())}", err=True)
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.Abort:
        click.echo("dealscreen: interrupted", err=True)
        return 130
    except click.ClickException as exc:
        click.echo(f"dealscreen: {exc.format_message()}", err=True)
        return EXIT_INPUT
    except EngineError as exc:
        import traceback  # only for a defect

        traceback.print_exc()
        click.echo(f"dealscreen: internal error: {exc}", err=True)
        return EXIT_INTERNAL
    except BrokenPipeError:
        return EXIT_OK
    return EXIT_OK
