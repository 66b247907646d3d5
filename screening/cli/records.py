"""``dealscreen new KIND`` and ``dealscreen check FILE``: writing deal records."""

from __future__ import annotations

from pathlib import Path

import click

from screening.cli.common import parse_as_of
from screening.model.deal import DEAL_KINDS


@click.command()
@click.argument("kind", type=click.Choice(DEAL_KINDS))
def new(kind: str) -> None:
    """Print a commented template of a deal record of KIND (every field a screening can use)."""
    from screening.authoring.records import template

    click.echo(template(kind), nl=False)


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--as-of", "as_of", metavar="DATE", help="Screen as of this date (default: completion date)."
)
def check(file: Path, as_of: str | None) -> None:
    """Validate a deal record and list the facts that would settle its open questions."""
    from screening.authoring.records import (
        ceiling,
        record_warnings,
        render_settling,
        settling_facts,
    )
    from screening.engine.run import screen as screen_deal
    from screening.model.loader import load_deal
    from screening.rulebook.book import load_rulebook

    deal = load_deal(file)
    book = load_rulebook()
    for warning in record_warnings(deal, book.references):
        click.echo(f"dealscreen: {file}: warning: {warning}", err=True)
    result = screen_deal(deal, rulebook=book, as_of=parse_as_of(as_of))
    top = ceiling(result)
    state = f"could rise to {top}" if top != result.verdict else "settled"
    click.echo(f"{file}: valid {deal.kind} record; verdict {result.verdict} ({state})")
    click.echo(render_settling(settling_facts(result)), nl=False)
