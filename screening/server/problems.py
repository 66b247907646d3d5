"""Errors as RFC 9457 problem details: the CLI's located problems, with an HTTP status each.

A :class:`ApiProblem` carries the same ``(location, code, message)`` problems a
:class:`~screening.ScreeningError` does; its status comes from the code (``unknown-screening`` is
404, ``invalid-deal`` 422, ...) or else from the kind of error (a deal error is 422, a usage error
400, a store error 503). Internal errors carry only an error id: the traceback goes to the
server's log under that id, never to the client.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from http import HTTPStatus

from screening.errors import DealError, RulebookError, ScreeningError, StoreError, UsageError
from screening.server.models import ProblemDetails, ProblemItem

log = logging.getLogger("screening.server")
MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:dealscreen:problem:"

# Status by problem code first (these codes mean the same whatever raised them) ...
_BY_CODE = {
    "invalid-json": 400,
    "duplicate-key": 400,
    "not-utf8": 400,
    "too-deep": 400,
    "invalid-date": 400,
    "invalid-parameter": 400,
    "not-json": 415,
    "unauthorized": 401,
    "not-found": 404,
    "method-not-allowed": 405,
    "unknown-screening": 404,
    "unknown-rule": 404,
    "unknown-rulebook": 404,
    "body-too-large": 413,
    "line-too-large": 413,
    "invalid-deal": 422,
    "missing-date": 422,
    "integrity-error": 409,
    "corrupt-record": 409,
    "corrupt-snapshot": 409,
    "timeout": 504,
    "worker-restarted": 503,
    "internal-error": 500,
}
# ... then by the kind of error.
_BY_KIND = {
    DealError.__name__: 422,
    UsageError.__name__: 400,
    StoreError.__name__: 503,
    RulebookError.__name__: 422,
    ScreeningError.__name__: 400,
}

_TITLES = {
    "invalid-deal": "invalid deal",
    "missing-date": "invalid deal",
    "invalid-json": "invalid JSON",
    "duplicate-key": "invalid JSON",
    "unknown-screening": "unknown screening",
    "unknown-rule": "unknown rule",
    "unauthorized": "missing or wrong bearer token",
    "body-too-large": "request body too large",
    "line-too-large": "review line too large",
    "timeout": "screening timed out",
    "internal-error": "internal error",
    "integrity-error": "the record does not reproduce",
}

Located = tuple[str, str, str]  # (location, code, message), picklable across processes


@dataclass(frozen=True)
class Failure:
    """A user-facing error found in a worker process, as plain data (it crosses a process)."""

    kind: str
    problems: tuple[Located, ...]

    @classmethod
    def of(cls, exc: ScreeningError) -> Failure:
        """The failure a library error stands for."""
        return cls(type(exc).__name__, tuple((p.location, p.code, p.message) for p in exc.problems))


@dataclass(frozen=True)
class Internal:
    """An internal error in a worker process: the traceback text, for the server's log only."""

    traceback: str


@dataclass
class ApiProblem(Exception):
    """An error answer: located problems and the HTTP status they map to."""

    problems: list[Located]
    status: int = 0
    kind: str = ScreeningError.__name__
    error_id: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.problems = sorted(self.problems)
        if not self.status:
            first = self.problems[0][1] if self.problems else ""
            self.status = _BY_CODE.get(first) or _BY_KIND.get(self.kind, 400)
        super().__init__(self.render())

    @classmethod
    def one(cls, location: str, code: str, message: str, **kw: object) -> ApiProblem:
        """A problem with one located message."""
        return cls([(location, code, message)], **kw)  # type: ignore[arg-type]

    @classmethod
    def of(cls, failure: Failure) -> ApiProblem:
        """The answer to a failure a worker reported."""
        return cls(list(failure.problems), kind=failure.kind)

    @property
    def code(self) -> str:
        """The code of the first problem."""
        return self.problems[0][1] if self.problems else "error"

    def render(self) -> str:
        """Every problem on its own line, as the CLI prints it (``location: code: message``)."""
        return "\n".join(
            f"{loc}: {code}: {msg}" if loc else f"{code}: {msg}" for loc, code, msg in self.problems
        )

    def details(self, instance: str) -> ProblemDetails:
        """The RFC 9457 body."""
        return ProblemDetails(
            type=TYPE_PREFIX + self.code,
            title=_TITLES.get(self.code) or HTTPStatus(self.status).phrase.lower(),
            status=self.status,
            detail=self.render(),
            instance=instance,
            code=self.code,
            problems=[ProblemItem(location=w, code=c, message=m) for w, c, m in self.problems],
            error_id=self.error_id,
        )


def internal(error_id: str) -> ApiProblem:
    """The answer to an internal error: an id to quote, nothing else."""
    return ApiProblem.one(
        "",
        "internal-error",
        f"dealscreen failed internally; the server logged it as error `{error_id}`",
        status=500,
        error_id=error_id,
    )


def log_internal(traceback_text: str, what: str) -> ApiProblem:
    """Log an internal error under a fresh id; the answer quotes only the id."""
    error_id = uuid.uuid4().hex[:12]
    log.error("internal error %s in %s:\n%s", error_id, what, traceback_text.rstrip())
    return internal(error_id)
