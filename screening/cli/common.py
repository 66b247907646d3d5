"""Small pieces the command modules share: exit statuses and option parsing."""

from __future__ import annotations

import datetime as dt

from screening.errors import UsageError

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
