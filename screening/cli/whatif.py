"""``dealscreen whatif``, ``dealscreen mitigate`` and ``dealscreen audit mitigate``.

``whatif`` screens a deal as it is and with ``--set``/``--drop`` changes, and prints the
difference per regime. ``mitigate`` searches the rulebook's negotiable terms for the smallest
sets of concessions that bring the verdict to a target, each verified by re-screening. Neither
records anything in the audit store. Bad changes and options exit with status 2.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from screening.cli.common import parse_as_of
from screening.engine.verdict import LEVELS

F = TypeVar("F", bound=Callable[..., Any])


def _format(fn: F) -> F:
    return click.option(
        "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
    )(fn)


def _search_options(fn: F) -> F:
    for option in reversed(
        (
            click.option(
                "--to",
                "to",
                type=click.Choice(LEVELS),
                metavar="LEVEL",
                help="Target level [default: one below the current verdict].",
            ),
            click.option("--regime", metavar="R", help="Target one regime's verdict (an id)."),
            click.option(
                "--max-changes",
                "max_changes",
                type=click.IntRange(min=1, max=5),
                default=2,
                show_default=True,
                help="At most this many concessions in one mitigation.",
            ),
            click.option(
                "--terms",
                "terms",
                multiple=True,
                metavar="TERM",
                help="Only these negotiable terms or groups (stake, governance, parties, "
                "structure); repeatable.",
            ),
            click.option(
                "--limit",
                type=click.IntRange(min=1),
                default=10,
                show_default=True,
                help="List at most this many mitigations.",
            ),
        )
    ):
        fn = option(fn)
    return fn


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="PATH=VALUE",
    help="Change a field of the deal, e.g. rights.voting_pct=24.9 (repeatable).",
)
@click.option(
    "--drop",
    "drops",
    multiple=True,
    metavar="PATH[i]",
    help="Drop an item of a list, e.g. co_investors[0] (repeatable).",
)
@_format
@click.option("--as-of", "as_of", metavar="DATE", help="Screen as of this date.")
@click.option("--rules", "layers", multiple=True, metavar="DIR", help="A rulebook layer.")
def whatif(
    file: Path,
    sets: tuple[str, ...],
    drops: tuple[str, ...],
    fmt: str,
    as_of: str | None,
    layers: tuple[str, ...],
) -> None:
    """Screen a deal as it is and as changed, and show what differs per regime."""
    from screening.errors import UsageError
    from screening.mitigation.changes import parse_change
    from screening.mitigation.run import render_whatif
    from screening.mitigation.run import whatif as run_whatif
    from screening.model.loader import load_deal
    from screening.rulebook.book import load_rulebook
    from screening.rulebook.config import resolve_layers

    if not sets and not drops:
        raise UsageError.one("--set", "usage", "give at least one `--set PATH=VALUE` or `--drop`")
    changes = [parse_change(s) for s in sets] + [parse_change(d, "drop") for d in drops]
    book = load_rulebook(resolve_layers(layers))
    result = run_whatif(load_deal(file), changes, rulebook=book, as_of=parse_as_of(as_of))
    if fmt == "json":
        click.echo(result.model_dump_json(indent=2))
    else:
        click.echo(render_whatif(result), nl=False)


def _emit(report: Any, fmt: str) -> None:
    from screening.mitigation.report import render_mitigation

    if fmt == "json":
        click.echo(json.dumps(report.model_dump(mode="json"), indent=2, ensure_ascii=False))
    else:
        click.echo(render_mitigation(report), nl=False)


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@_search_options
@_format
@click.option("--as-of", "as_of", metavar="DATE", help="Screen as of this date.")
@click.option("--rules", "layers", multiple=True, metavar="DIR", help="A rulebook layer.")
def mitigate(
    file: Path,
    to: str | None,
    regime: str | None,
    max_changes: int,
    terms: tuple[str, ...],
    limit: int,
    fmt: str,
    as_of: str | None,
    layers: tuple[str, ...],
) -> None:
    """Find the smallest concessions that lower a deal's verdict, verified by re-screening.

    A mitigation is a structuring idea for counsel to test, not a guarantee.
    """
    from screening.mitigation.mitigate import mitigate as run_mitigate
    from screening.model.loader import load_deal
    from screening.rulebook.book import load_rulebook
    from screening.rulebook.config import resolve_layers

    book = load_rulebook(resolve_layers(layers))
    report = run_mitigate(
        load_deal(file),
        to=to,
        regime=regime,
        max_changes=max_changes,
        terms=terms or None,
        limit=limit,
        rulebook=book,
        as_of=parse_as_of(as_of),
    )
    _emit(report, fmt)


@click.command("mitigate")
@click.argument("screening_id", type=int)
@_search_options
@_format
@click.option("--db", "db", envvar="DEALSCREEN_DB", metavar="URL", help="Audit store URL or path.")
def audit_mitigate(
    screening_id: int,
    to: str | None,
    regime: str | None,
    max_changes: int,
    terms: tuple[str, ...],
    limit: int,
    fmt: str,
    db: str | None,
) -> None:
    """Mitigation for a recorded screening, on its deal, date and rulebook version."""
    from screening.audit.store import Store
    from screening.mitigation.mitigate import mitigate_recorded

    report = mitigate_recorded(
        Store(db),
        screening_id,
        to=to,
        regime=regime,
        max_changes=max_changes,
        terms=terms or None,
        limit=limit,
    )
    _emit(report, fmt)


__all__ = ["audit_mitigate", "mitigate", "whatif"]
