"""Small pieces the command modules share: exit statuses and option parsing."""

from __future__ import annotations

import datetime as dt

from .errors import UsageError

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT, EXIT_FAIL_ON = 0, 1, 2, 3


def parse_as_of(value: str | None) -> dt.date | None:
    """The ``--as-of`` option as a date (None when not given)."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError.one(
            "--as-of", "invalid-date", f"`{value}` is not a date (YYYY-MM-DD)"
        ) from None
