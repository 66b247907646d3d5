"""Verdict levels and the result of a screening (pydantic models, JSON-ready).

Levels, lowest first: ``clear`` < ``covered`` < ``filing_advised`` < ``filing_required`` <
``prohibited``. A result holds the overall verdict (the highest regime verdict), a verdict per
regime, every rule hit with its explanation, and the open questions that unknown facts leave.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

from screening.model.levels import LEVELS as LEVELS
from screening.model.levels import Level as Level
from screening.model.levels import rank as rank

DISCLAIMER = (
    "dealscreen informs a decision; it is not legal advice. Have counsel review every filing "
    "decision."
)


class Result(BaseModel):
    """Base of result models: immutable, no unknown keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ConditionResult(Result):
    """One leaf condition, the value the deal had, and whether it held (None = unknown)."""

    condition: str
    text: str
    path: str | None = None
    value: Any = None
    held: bool | None = None


class Because(Result):
    """A finding a hit stood on, with the findings that one stood on in turn."""

    rule_id: str
    title: str
    citation: str
    because: list[Because] = Field(default_factory=list)


class Hit(Result):
    """A rule that fired, and why."""

    rule_id: str
    regime: str
    kind: str
    outcome: Level | None = None
    citation: str
    title: str
    explanation: str
    facts: dict[str, Any] = Field(default_factory=dict)
    conditions: list[ConditionResult] = Field(default_factory=list)
    because: list[Because] = Field(default_factory=list)
    suppressed_by: list[str] = Field(default_factory=list)
    confidence: str = "reg"
    source: str = ""
    notes: str = ""


class OpenQuestion(Result):
    """A rule that would raise the verdict if facts the record leaves unknown turned out so."""

    rule_id: str
    regime: str
    outcome: Level
    citation: str
    title: str
    question: str
    unknown_facts: list[str]


class RegimeResult(Result):
    """The verdict of one regime."""

    regime: str
    title: str
    verdict: Level
    provisional: bool = False
    rules: list[str] = Field(default_factory=list, description="ids of the decisive hits")


class DerivedFact(Result):
    """A fact computed from the record, with how it was computed."""

    path: str
    value: Any
    explanation: str


class MemberResult(Result):
    """One foreign investor of a consortium, screened on its own (CFIUS parts 800 and 802)."""

    position: int | None = Field(
        default=None, description="index in `co_investors`; null for the deal's `investor`"
    )
    name: str
    role: str = Field(description="investor (the record's investor) or co_investor")
    country: str | None = None
    acts_in_concert: bool | None = Field(
        default=None,
        description="acts in concert with the investor (null: not known, or it is the investor)",
    )
    voting_pct: Any = Field(default=None, description="its own voting interest after the deal")
    foreign_person: bool | None = Field(default=None, description="800.224 (null: not known)")
    excepted_investor: bool | None = Field(default=None, description="800.219 (null: not known)")
    verdict: Level = Field(description="its CFIUS floor: the highest of parts 800 and 802")
    ceiling: Level = Field(description="the highest its CFIUS verdict could reach")
    provisional: bool = False
    duty: str = Field(description="its filing duty in words")
    rules: list[str] = Field(default_factory=list, description="its decisive CFIUS rules")
    open_questions: list[str] = Field(
        default_factory=list, description="CFIUS rules its unknown facts leave open"
    )


class Consortium(Result):
    """Several foreign investors acquiring together: each one's own CFIUS filing duty."""

    members: list[MemberResult]
    verdict: Level = Field(description="the highest member floor")
    ceiling: Level = Field(description="the highest member ceiling")
    basis: str = Field(description="why each member is screened on its own")


class ScreeningResult(Result):
    """The answer for one deal."""

    deal_id: str
    deal_name: str
    deal_kind: str
    as_of: str
    verdict: Level
    provisional: bool
    regimes: dict[str, RegimeResult]
    hits: list[Hit]
    open_questions: list[OpenQuestion] = Field(default_factory=list)
    derived: list[DerivedFact] = Field(default_factory=list)
    rulebook_version: str
    dealscreen_version: str
    disclaimer: str = DISCLAIMER
    consortium: Consortium | None = Field(
        default=None,
        description="for a record whose co-investors acquire too (a `rights` block each): every "
        "member's own CFIUS filing duty; omitted otherwise",
    )

    @model_serializer(mode="wrap")
    def _without_empty_consortium(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # A deal with no consortium leaves the key out, so results recorded before it existed
        # keep their hashes and bytes.
        data: dict[str, Any] = handler(self)
        if data.get("consortium") is None:
            data.pop("consortium", None)
        return data

    def hit(self, rule_id: str) -> Hit | None:
        """The hit of a rule, if it fired."""
        return next((h for h in self.hits if h.rule_id == rule_id), None)

    @property
    def fired(self) -> list[str]:
        """Ids of every rule that fired (including suppressed ones), sorted."""
        return sorted(h.rule_id for h in self.hits)
