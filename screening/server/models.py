"""The shapes the HTTP API answers with, as pydantic models (the OpenAPI document's source).

Screening results are the library's own :class:`~screening.ScreeningResult` (exactly the object
``dealscreen screen --format json`` prints); audit answers and replays are the audit module's
models (what ``dealscreen audit why|why-not|replay --format json`` prints); deals are the
:class:`~screening.Deal` schema of ``dealscreen schema``. Only what has no library model yet is
defined here: problem details (RFC 9457), the listing rows, rules, and health.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from screening.server._deps import AuditAnswer, Replay, ScreeningResult, Verdict

__all__ = [
    "AuditAnswer",
    "Health",
    "ProblemDetails",
    "ProblemItem",
    "Replay",
    "ReplayAnswer",
    "ReviewProblem",
    "RuleDetail",
    "RuleExample",
    "RuleSummary",
    "ScreenAnswer",
    "ScreeningSummary",
    "StoredScreeningAnswer",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProblemItem(_Model):
    """One located problem, as the CLI prints it: where, a stable code, a one-line message."""

    location: str = Field(
        description="a data path in the request (`$.rights.voting_pct`), a parameter name, "
        "or a place in the server (`screening 12`)"
    )
    code: str = Field(description="a stable code, e.g. `invalid-deal`")
    message: str = Field(description="one line, lowercase, user values in backticks")


class ProblemDetails(_Model):
    """An error answer (RFC 9457 ``application/problem+json``) carrying every located problem."""

    type: str = Field(description="`urn:dealscreen:problem:<code>`")
    title: str
    status: int
    detail: str = Field(description="every problem, one per line, as the CLI renders them")
    instance: str = Field(description="the request path")
    code: str = Field(description="the code of the first problem")
    problems: list[ProblemItem] = Field(default_factory=list)
    error_id: str | None = Field(
        default=None, description="for internal errors: the id under which the server logged it"
    )


class ReviewProblem(ProblemDetails):
    """A line of ``POST /v1/review`` output standing for an input line that was not screened."""

    line: int = Field(description="the line number in the request body (1-based)")


class ScreenAnswer(ScreeningResult):
    """A screening result; ``screening_id`` is present when it was recorded (``record=true``)."""

    screening_id: int | None = Field(
        default=None, description="the id in the audit store (only with `record=true`)"
    )


class ScreeningSummary(_Model):
    """One recorded screening in a listing (``dealscreen audit list --format json``)."""

    id: int
    created_at: str
    deal_id: str
    deal_name: str
    verdict: Verdict
    provisional: bool
    as_of: str
    rulebook_version: str


class StoredScreeningAnswer(_Model):
    """A recorded screening as recorded (``dealscreen audit show --format json``)."""

    id: int
    created_at: str
    tool_version: str
    host_user: str
    deal_hash: str
    # The deal schema is `dealscreen schema`'s, added to the document whole (openapi.py).
    deal: Annotated[
        dict[str, Any], WithJsonSchema({"allOf": [{"$ref": "#/components/schemas/Deal"}]})
    ]
    result: ScreeningResult
    result_hash: str
    prev_hash: str
    row_hash: str


def _with_changed(schema: dict[str, Any]) -> None:
    schema["properties"]["changed"] = {
        "type": "boolean",
        "title": "Changed",
        "description": "whether today's rulebook answers differently",
    }
    schema.setdefault("required", []).append("changed")


class ReplayAnswer(Replay):
    """A replay (``dealscreen audit replay --format json``): today's answer and the diff."""

    model_config = ConfigDict(json_schema_extra=_with_changed)


class RuleSummary(_Model):
    """One rule in the listing (``dealscreen rules list --format json``)."""

    id: str
    kind: str
    outcome: str | None
    regime: str
    title: str
    citation: str
    location: str = Field(description="file:line of the rule in the rulebook")


class RuleExample(_Model):
    """An example the rule carries: a deal fragment that must (not) fire it."""

    fires: bool
    name: str | None
    deal: dict[str, Any]


class RuleAction(_Model):
    """An outcome rule's action: what to do and how its deadline runs from the deal's dates."""

    do: str
    days: int | None
    after: bool
    anchor: str
    citation: str


class RuleDetail(_Model):
    """One rule in full (``dealscreen rules show --format json``)."""

    id: str
    kind: str
    regime: str
    title: str
    citation: str
    when: Any = Field(description="the condition tree: leaves as text, `all`/`any` as mappings")
    explain: str
    outcome: str | None
    suppresses: list[str]
    notes: str
    effective_from: str | None
    effective_to: str | None
    confidence: str
    action: RuleAction | None = Field(
        default=None, description="what the memo tells the deal team to do, and by when"
    )
    examples: list[RuleExample]
    location: str


class Health(_Model):
    """The server is up and can screen."""

    status: Literal["ok"]
    dealscreen_version: str
    rulebook_version: str
    workers: int
