"""The exception tree of dealscreen.

Every error a user can cause is a :class:`ScreeningError` with a stable ``code``, a one-line
``message`` and a ``location`` (``file:line`` for rule files, a data path such as
``$.rights.voting_pct`` for deals). Several problems found at once travel together in one error
(``problems``), sorted by location, so a user sees them all rather than one per run.

::

    ScreeningError                 (exit status 2 on the command line)
    ├── DealError                  a deal record is unreadable or invalid
    ├── RulebookError              a rule file or reference list is invalid
    ├── StoreError                 the audit store cannot be opened or written
    └── UsageError                 a command was called with arguments that do not fit
    EngineError (not a ScreeningError: an internal defect, exit status 1)

An ``EngineError`` means dealscreen itself misbehaved (an exception inside a rule action, a fact
the engine thinks it has seen before, the two evaluators disagreeing). It is never swallowed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Problem:
    """One located problem: where, a stable code, and a one-line message."""

    location: str
    code: str
    message: str

    def render(self) -> str:
        """Return ``location: code: message`` on one line."""
        where = f"{self.location}: " if self.location else ""
        return f"{where}{self.code}: {self.message}"


@dataclass
class ScreeningError(Exception):
    """Root of every error a user's input or usage can cause."""

    problems: list[Problem] = field(default_factory=list)
    exit_code: int = 2

    def __post_init__(self) -> None:
        self.problems = sorted(self.problems, key=_problem_sort_key)
        super().__init__(self.render())

    @classmethod
    def one(cls, location: str, code: str, message: str) -> ScreeningError:
        """Build an error holding a single problem."""
        return cls([Problem(location, code, message)])

    @property
    def code(self) -> str:
        """The code of the first problem."""
        return self.problems[0].code if self.problems else "error"

    @property
    def location(self) -> str:
        """The location of the first problem."""
        return self.problems[0].location if self.problems else ""

    @property
    def message(self) -> str:
        """The message of the first problem."""
        return self.problems[0].message if self.problems else ""

    def render(self) -> str:
        """All problems, one per line."""
        return "\n".join(p.render() for p in self.problems)

    def __str__(self) -> str:
        return self.render()


class DealError(ScreeningError):
    """A deal record could not be read or did not validate."""


class RulebookError(ScreeningError):
    """A rule file, reference list or rulebook layer is invalid."""


class StoreError(ScreeningError):
    """The audit store could not be opened, read or written."""


class UsageError(ScreeningError):
    """A command or function was called with arguments that do not fit."""


class EngineError(Exception):
    """An internal defect in rule evaluation; never a user's mistake, never swallowed."""


BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def _visible(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(text: str, *, keep_newlines: bool = True) -> str:
    """Text safe to print on a terminal: control characters (C0, DEL, C1: escape sequences,
    bell, carriage return) and bidirectional overrides are shown as ``\\x1b``-style escapes.
    Newlines (and tabs) are kept when ``keep_newlines``."""
    if text.isprintable():
        return text
    unsafe = _UNSAFE_KEEPING_NEWLINES if keep_newlines else _UNSAFE
    return unsafe.sub(lambda m: _visible(m.group()), text)


# C0 controls, DEL, C1 controls and the bidirectional controls; the first also spares \n and \t.
_CONTROLS = "\x7f-\x9f" + "".join(sorted(BIDI_CONTROLS))
_UNSAFE = re.compile(f"[\x00-\x1f{_CONTROLS}]")
_UNSAFE_KEEPING_NEWLINES = re.compile(f"[\x00-\x08\x0b-\x1f{_CONTROLS}]")


def _problem_sort_key(p: Problem) -> tuple[str, int, str, str]:
    # Sort file:line locations numerically by line, so line 9 comes before line 10.
    path, _, rest = p.location.partition(":")
    line = int(rest) if rest.isdigit() else 0
    return (path, line, p.code, p.message)
