"""``dealscreen audit``: list, show, explain, replay, verify and export recorded screenings.

Every subcommand takes ``--db URL`` (or ``DEALSCREEN_DB``); the default is a SQLite file at
``.dealscreen/audit.db`` under the current directory, created on first use. An integrity failure
(``verify`` finding a broken link, ``replay`` not reproducing the record) exits with status 2.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from screening.cli.common import db_option, open_store, parse_date
from screening.engine.verdict import LEVELS
from screening.errors import StoreError

if TYPE_CHECKING:
    from screening.audit import questions as lib
    from screening.audit.store import Store

# The store and its questions (SQLModel, SQLAlchemy) are imported by the commands that use them,
# so that `dealscreen screen --no-store` and `--help` start without them.
ENV_DB = "DEALSCREEN_DB"  # screening.audit.store.ENV_DB (a test keeps them equal)

F = TypeVar("F", bound=Callable[..., Any])
LIST_LIMIT = 50


def _store(db: str | None) -> Store:
    """Read-only commands open an existing store; they never create one."""
    return open_store(db, create=False)


def _format(*choices: str) -> Callable[[F], F]:
    return click.option(
        "--format", "fmt", type=click.Choice(list(choices)), default=choices[0], show_default=True
    )


@click.group()
def audit() -> None:
    """The audit store: every screening kept, explained, verified and replayable.

    The store is given by --db or the DEALSCREEN_DB environment variable (default
    .dealscreen/audit.db under the current directory); these commands only read it, and refuse
    a store that does not exist.
    """


@audit.command("list")
@click.option("--deal", "deal_id", metavar="ID", help="Only this deal id.")
@click.option("--verdict", type=click.Choice(list(LEVELS)), help="Only this overall verdict.")
@click.option("--since", metavar="DATE", help="Only screenings recorded on or after DATE.")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=LIST_LIMIT,
    show_default=True,
    help="At most this many (newest first).",
)
@click.option("--all", "show_all", is_flag=True, help="Every matching screening (no limit).")
@_format("table", "json")
@db_option
def list_(
    deal_id: str | None,
    verdict: str | None,
    since: str | None,
    limit: int,
    show_all: bool,
    fmt: str,
    db: str | None,
) -> None:
    """List recorded screenings, newest first (the latest 50 unless --limit or --all)."""
    from screening.audit import questions as lib

    store = _store(db)
    found = lib.list_screenings(
        store,
        deal_id=deal_id,
        verdict=verdict,
        since=parse_date(since, "--since"),
        limit=None if show_all else limit,
    )
    click.echo(lib.render_list(found, fmt), nl=False)
    if not show_all and len(found) == limit and fmt == "table":
        click.echo(f"dealscreen: showing the latest {limit}; --limit N or --all for more", err=True)


@audit.command()
@click.argument("screening_id", type=int)
@_format("text", "json")
@db_option
def show(screening_id: int, fmt: str, db: str | None) -> None:
    """Show a recorded screening as it was recorded."""
    import json

    from screening.audit import questions as lib

    store = _store(db)
    stored = lib.show(store, screening_id)
    lists = lib.lists_of(store, stored)
    if fmt == "json":
        data = lib.stored_json(stored)
        data["lists"] = [
            {**use.__dict__, "retrieved": use.retrieved, "review_by": use.review_by}
            for use in lists
        ]
        click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))
    else:
        click.echo(lib.render_show(stored, lists), nl=False)


def _explain(
    question: lib.Question, screening_id: int, rule_id: str, fmt: str, db: str | None
) -> None:
    from screening.audit import questions as lib

    answer = lib.explain(_store(db), screening_id, rule_id, question)
    if fmt == "json":
        click.echo(answer.model_dump_json(indent=2))
    else:
        click.echo(lib.render_answer(answer), nl=False)


@audit.command()
@click.argument("screening_id", type=int)
@click.argument("rule_id")
@_format("text", "json")
@db_option
def why(screening_id: int, rule_id: str, fmt: str, db: str | None) -> None:
    """Why a rule fired in a recorded screening: the proof, with the facts as they were."""
    _explain("why", screening_id, rule_id, fmt, db)


@audit.command("why-not")
@click.argument("screening_id", type=int)
@click.argument("rule_id")
@_format("text", "json")
@db_option
def why_not(screening_id: int, rule_id: str, fmt: str, db: str | None) -> None:
    """Why a rule did not fire: failed conditions, missing findings, exemptions, dates."""
    _explain("why-not", screening_id, rule_id, fmt, db)


@audit.command()
@click.option(
    "--lists-changed",
    is_flag=True,
    help="Deals whose parties match a restricted-list entry added, changed or removed since.",
)
@click.option(
    "--rulebook-changed",
    is_flag=True,
    help="Every deal recorded under another rulebook version.",
)
@click.option(
    "--rules",
    "layers",
    multiple=True,
    metavar="DIR",
    help="A layer on top of today's shipped rulebook (repeatable).",
)
@click.option("--dry-run", is_flag=True, help="Screen and report; record nothing.")
@_format("text", "json")
@db_option
def rescreen(
    lists_changed: bool,
    rulebook_changed: bool,
    layers: tuple[str, ...],
    dry_run: bool,
    fmt: str,
    db: str | None,
) -> None:
    """Re-screen the recorded deals a change of lists or rulebook can affect, and record them.

    The latest screening of each deal is compared with today's rulebook (with --rules layers,
    e.g. one holding lists from `dealscreen lists update`); each deal selected is screened
    again on its recorded as-of date, recorded in the chain (unless --dry-run), and every
    verdict change is reported.
    """
    import json

    from screening.audit.rescreen import render
    from screening.audit.rescreen import rescreen as run
    from screening.rulebook.book import load_rulebook
    from screening.rulebook.config import resolve_layers

    if not (lists_changed or rulebook_changed):
        raise click.UsageError("say what changed: --lists-changed or --rulebook-changed")
    book = load_rulebook(resolve_layers(layers))
    done = run(
        _store(db),
        book,
        lists_changed=lists_changed,
        rulebook_changed=rulebook_changed,
        dry_run=dry_run,
    )
    if fmt == "json":
        data = [{**r.model_dump(mode="json"), "changed": r.changed} for r in done]
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        click.echo(render(done), nl=False)


@audit.command()
@click.argument("screening_id", type=int)
@_format("text", "json")
@click.option(
    "--rules",
    "layers",
    multiple=True,
    metavar="DIR",
    help="A layer on top of today's shipped rulebook (repeatable).",
)
@db_option
def replay(screening_id: int, fmt: str, layers: tuple[str, ...], db: str | None) -> None:
    """Re-screen a recorded deal with today's rulebook and show what changed.

    First the recorded rulebook is rebuilt from its snapshot and must reproduce the record
    exactly; any difference is an integrity error.
    """
    from screening.audit import questions as lib
    from screening.rulebook.book import load_rulebook
    from screening.rulebook.config import resolve_layers

    book = load_rulebook(resolve_layers(layers))
    result = lib.replay(_store(db), screening_id, rulebook=book)
    click.echo(lib.replay_json(result) if fmt == "json" else lib.render_replay(result), nl=False)


@audit.command()
@_format("text", "json")
@db_option
@click.option(
    "--expect-head",
    "expect_head",
    metavar="HASH",
    help="The chain head hash you kept from an earlier verify: fail if the chain no longer "
    "ends there (a truncated or rewritten store).",
)
def verify(fmt: str, db: str | None, expect_head: str | None) -> None:
    """Check the integrity of the whole record (hash chain and rulebook snapshots).

    With --expect-head HASH (a chain head printed by an earlier verify and kept outside the
    store), also check that the chain still ends there: this catches a truncated tail or a
    rewritten chain, which the chain alone cannot show.
    """
    from screening.audit import questions as lib

    report = lib.verify(_store(db), expect_head=expect_head)
    click.echo(lib.verify_json(report) if fmt == "json" else lib.render_verify(report), nl=False)
    if not report.ok:
        where, what = report.problems[0]
        raise StoreError.one(where, "integrity-error", what)


@audit.command()
@_format("jsonl")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write here.")
@db_option
def export(fmt: str, out: Path | None, db: str | None) -> None:
    """Export every rulebook snapshot and screening as JSON lines."""
    from screening.audit import questions as lib

    del fmt  # jsonl is the one format
    store = _store(db)
    if out is None:
        for line in lib.export_jsonl(store):
            click.echo(line, nl=False)
        return
    with out.open("w", encoding="utf-8") as fh:
        for line in lib.export_jsonl(store):
            fh.write(line)
