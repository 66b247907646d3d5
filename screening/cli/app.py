"""The ``dealscreen`` command: a thin layer that parses, calls the library, renders, exits.

Exit status: 0 done; 1 internal error (a defect: the traceback is printed); 2 invalid input or
usage (one clear message per problem on stderr, no traceback); 3 a ``--fail-on`` level was
reached.
"""

from __future__ import annotations

import json
import traceback
from pathlib import Path

import click

from screening._version import __version__
from screening.cli.common import EXIT_INPUT, EXIT_INTERNAL, EXIT_OK, parse_as_of
from screening.engine.explain import render_json, render_text
from screening.errors import EngineError, ScreeningError
from screening.rulebook.book import Rulebook, load_rulebook
from screening.rulebook.config import resolve_layers


def _rulebook(layers: tuple[str, ...]) -> Rulebook:
    return load_rulebook(resolve_layers(layers))


rules_option = click.option(
    "--rules",
    "layers",
    multiple=True,
    metavar="DIR",
    help="A rulebook layer on top of the shipped rules (repeatable).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="dealscreen")
def cli() -> None:
    """Screen investment deals against national-security investment rules (CFIUS and more).

    dealscreen informs a decision; it is not legal advice.
    """


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option(
    "--as-of", "as_of", metavar="DATE", help="Screen as of this date (default: completion date)."
)
@rules_option
@click.option("--no-store", "no_store", is_flag=True, help="Do not record the screening.")
@click.option(
    "--db",
    envvar="DEALSCREEN_DB",
    metavar="URL",
    help="Audit store: URL or SQLite path [default .dealscreen/audit.db].",
)
def screen(
    file: Path,
    fmt: str,
    as_of: str | None,
    layers: tuple[str, ...],
    no_store: bool,
    db: str | None,
) -> None:
    """Screen one deal record (YAML or JSON), explain the verdict and record it."""
    from screening.engine.run import screen as screen_deal
    from screening.model.loader import load_deal

    book = _rulebook(layers)
    deal = load_deal(file)
    result = screen_deal(deal, rulebook=book, as_of=parse_as_of(as_of))
    if not no_store:
        from screening.audit.store import Store

        store = Store(db)
        screening_id = store.record(result, deal, rulebook=book)
        click.echo(
            f"dealscreen: recorded as screening {screening_id} in {store.display_url}", err=True
        )
    click.echo(render_json(result) if fmt == "json" else render_text(result), nl=False)


@cli.command()
def schema() -> None:
    """Print the JSON Schema of a deal record."""
    from screening.model.deal import Deal

    click.echo(json.dumps(Deal.model_json_schema(), indent=2, sort_keys=True))


# Subcommands that live in their own modules (imported here: they use the helpers above).
from screening.cli.audit import audit  # noqa: E402
from screening.cli.lists import lists  # noqa: E402
from screening.cli.records import check, new  # noqa: E402
from screening.cli.review import fixtures, review  # noqa: E402
from screening.cli.rules import rules  # noqa: E402
from screening.server.command import serve  # noqa: E402  (FastAPI is imported when it runs)

for _command in (audit, check, fixtures, lists, new, review, rules, serve):
    cli.add_command(_command)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI and map errors to exit statuses."""
    try:
        cli.main(args=argv, prog_name="dealscreen", standalone_mode=False)
    except ScreeningError as exc:
        for problem in exc.problems:
            click.echo(f"dealscreen: {problem.render()}", err=True)
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
        traceback.print_exc()
        click.echo(f"dealscreen: internal error: {exc}", err=True)
        return EXIT_INTERNAL
    except BrokenPipeError:
        return EXIT_OK
    return EXIT_OK
