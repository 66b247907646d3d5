"""Small pieces the command modules share: exit statuses and option parsing."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import click

from screening.errors import UsageError

if TYPE_CHECKING:
    from screening.audit.store import Store

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT, EXIT_FAIL_ON = 0, 1, 2, 3


def parse_date(value: str | None, option: str) -> dt.date | None:
    """A date option (None when not given); a usage error naming the option otherwise."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError.one(
            option, "invalid-date", f"`{value}` is not a date (YYYY-MM-DD)"
        ) from None


def parse_as_of(value: str | None) -> dt.date | None:
    """The ``--as-of`` option as a date (None when not given)."""
    return parse_date(value, "--as-of")


ENV_DB = "DEALSCREEN_DB"

db_option = click.option(
    "--db",
    "db",
    envvar=ENV_DB,
    metavar="URL",
    help="Audit store: a SQLAlchemy URL or a SQLite file path [env DEALSCREEN_DB; default "
    ".dealscreen/audit.db].",
)


def open_store(db: str | None, *, create: bool) -> Store:
    """The audit store at ``db`` (else ``DEALSCREEN_DB``, else the default file).

    ``create=False`` (read-only commands): a store that does not exist is an error, never an
    empty one made on the spot. ``create=True`` says on stderr when it makes a directory.
    """
    from screening.audit.store import Store

    store = Store(db, create=create)
    if store.created_dir is not None:
        click.echo(
            f"dealscreen: created directory {store.created_dir} for the audit store", err=True
        )
    return store
