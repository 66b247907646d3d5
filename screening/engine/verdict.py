"""Verdict levels and the result of a screening (pydantic models, JSON-ready).

Levels, lowest first: ``clear`` < ``covered`` < ``filing_advised`` < ``filing_required`` <
``prohibited``; a regime with no rule in force on the screening date is ``not_in_force`` (ranked
below ``clear``). A result holds the overall verdict (the highest regime verdict), a verdict per
regime, every rule hit with its explanation, and the open questions that unknown facts leave.

The floor invariant: ``verdict`` is the level reached under *every* completion of the unknown
facts, ``ceiling`` the highest level reached under *some* completion, and ``provisional`` is
exactly ``verdict < ceiling``. Exemptions count only when known facts establish them; one left
unknown is listed in its regime's ``possible_exemptions`` (it could lower the verdict) and moves
neither bound. Fields added with the floor invariant default to ``None``/empty, which is how a
result recorded before them loads from the audit store.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Set as AbstractSet
from json.encoder import encode_basestring
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from pydantic_core import PydanticSerializationError, SchemaSerializer

from screening.model.levels import LEVELS as LEVELS
from screening.model.levels import NOT_IN_FORCE as NOT_IN_FORCE
from screening.model.levels import VERDICTS as VERDICTS
from screening.model.levels import Level as Level
from screening.model.levels import Verdict as Verdict
from screening.model.levels import rank as rank

DISCLAIMER = (
    "dealscreen informs a decision; it is not legal advice. Have counsel review every filing "
    "decision."
)


class Result(BaseModel):
    """Base of result models: immutable, no unknown keys; built on first use (``defer_build``:
    a command that shows no result of a kind does not pay for its validator at import)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


_R = TypeVar("_R", bound=Result)
_FIELDS: dict[type[Result], list[tuple[str, Any, Any]] | None] = {}
_new = object.__new__
_set = object.__setattr__


def build(cls: type[_R], **values: Any) -> _R:
    """``cls(**values)`` without validating the values again: for the engine's own results,
    whose values it built with the right types (strings, levels, lists of result models).

    Pydantic's ``model_construct`` is slower than validating these small models; this makes the
    very instance validation would (the fields in order, defaults filled in, the fields set
    recorded), and falls back to validation for a model with private attributes or a
    post-init hook. ``tests/test_verdict_build.py`` holds it to ``cls(**values)``.
    """
    fields = _FIELDS.get(cls, ())
    if fields == ():
        fields = _FIELDS[cls] = _fields_of(cls)
    if fields is None:
        return cls(**values)
    data: dict[str, Any] = {}
    matched = 0
    for name, default, factory in fields:
        if name in values:
            data[name] = values[name]
            matched += 1
        elif factory is not None:
            data[name] = factory()
        elif default is _REQUIRED:
            return cls(**values)  # a required field missing: let validation name it
        else:
            data[name] = default
    if matched != len(values):
        return cls(**values)  # an unknown key: let validation name it
    return made(cls, data, values.keys())


def made(cls: type[_R], data: dict[str, Any], given: AbstractSet[str]) -> _R:
    """An instance from ``data``, every field of ``cls`` in field order (defaults written out),
    with ``given`` the fields that count as set: what :func:`build` makes for the same values,
    without its pass over the fields. For the engine's hottest models, whose values it builds
    in full; ``tests/test_verdict_build.py`` holds it to validation too. ``cls`` must be one
    :func:`build` does not validate (``_fields_of(cls)`` is not None)."""
    obj = _new(cls)
    _set(obj, "__dict__", data)
    if given.__class__ is frozenset:
        # One set per set of field names, shared by the instances made with it: a frozen model
        # never adds to it (pydantic copies it in model_copy), and each instance of a kept result
        # would otherwise hold a set of its own (~0.7 KB).
        fields_set = _FIELDS_SET.get(given)
        if fields_set is None:
            fields_set = set(given)
            if len(_FIELDS_SET) < 256:  # the engine's few lists of fields (never grows further)
                _FIELDS_SET[given] = fields_set
        _set(obj, "__pydantic_fields_set__", fields_set)
    else:
        _set(obj, "__pydantic_fields_set__", set(given))
    _set(obj, "__pydantic_extra__", None)
    _set(obj, "__pydantic_private__", None)
    return obj


def _fields_of(cls: type[Result]) -> list[tuple[str, Any, Any]] | None:
    if cls.__private_attributes__ or cls.__pydantic_post_init__ is not None:
        return None
    out: list[tuple[str, Any, Any]] = []
    for name, info in cls.model_fields.items():
        if info.default_factory is not None:
            if info.default_factory not in (list, dict):
                return None  # a factory that may read other fields: validate
            out.append((name, None, info.default_factory))
        elif info.is_required():
            out.append((name, _REQUIRED, None))
        else:
            out.append((name, info.default, None))
    return out


_REQUIRED = object()
_FIELDS_SET: dict[frozenset[str], set[str]] = {}  # see made (one per model's list of fields given)


def _is_none(value: object) -> bool:
    """A field left out of the serialized result when it is None (``Field(exclude_if=...)``)."""
    return value is None


class ConditionResult(Result):
    """One leaf condition, the value the deal had, and whether it held (None = unknown)."""

    condition: str
    text: str
    path: str | None = None
    value: Any = None
    held: bool | None = None
    # A condition outside any `any:` leaves the key out, so results recorded before the key
    # existed keep their hashes (``exclude_if``, decided in pydantic-core: a wrap serializer
    # would turn the whole result into Python objects on every serialization).
    alternatives: int | None = Field(
        default=None,
        description="conditions with the same number are alternatives (`any:`): one is enough",
        exclude_if=_is_none,
    )


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
    """A rule that would raise its regime's verdict if facts the record leaves unknown turned out
    so; ``could_raise_to`` is the level the regime would then reach at least (``None`` only in a
    result recorded before the field existed)."""

    rule_id: str
    regime: str
    outcome: Level
    citation: str
    title: str
    question: str
    unknown_facts: list[str]
    could_raise_to: Level | None = None


class PossibleExemption(Result):
    """An exemption whose facts are unknown: if they turned out so, it would set aside
    ``suppresses`` and could lower the regime's verdict to ``could_lower_to``. It lowers nothing
    until known facts establish it."""

    rule_id: str
    regime: str
    citation: str
    title: str
    question: str
    unknown_facts: list[str]
    suppresses: list[str]
    could_lower_to: Verdict


class RegimeResult(Result):
    """The verdict of one regime: ``verdict`` is the floor, ``ceiling`` the highest level some
    reading of the unknown facts reaches (``None`` only in results recorded before ceilings)."""

    regime: str
    title: str
    verdict: Verdict
    ceiling: Verdict | None = None
    provisional: bool = False
    rules: list[str] = Field(default_factory=list, description="ids of the decisive hits")
    possible_exemptions: list[PossibleExemption] = Field(default_factory=list)


class DerivedFact(Result):
    """A fact computed from the record, with how it was computed."""

    path: str
    value: Any
    explanation: str


class MemoAction(Result):
    """One regime that is not clear: its level, the deciding rule and what to do, by when."""

    regime: str
    level: Level
    rule_id: str
    rule: str = Field(description="the deciding rule, in words (its title)")
    citation: str
    action: str
    deadline: str | None = Field(default=None, description="ISO date, from the record's dates")
    deadline_rule: str = Field(default="", description="how the deadline is computed, cited")
    past_deadline: bool = Field(
        default=False, description="the deadline is before the screening (as-of) date"
    )
    text: str


class ClearReason(Result):
    """Why a regime is clear (or has no rule in force): the facts that decided it."""

    regime: str
    title: str
    status: str = Field(description="`clear` or `not in force`")
    reasons: list[str]
    text: str


class MemoQuestion(Result):
    """An open question, asked once, with how far it could raise the verdict."""

    question: str
    could_raise_to: Level
    regimes: list[str]
    rule_ids: list[str]
    unknown_facts: list[str]


class ListUsed(Result):
    """A reference list the answer relied on, with its date and completeness."""

    name: str
    title: str
    retrieved: str | None = None
    review_by: str | None = None
    entries: int
    starter: bool = Field(description="a bundled starter set, not the official list")
    past_review: bool = Field(description="the screening date is after the list's review_by")


class Summary(Result):
    """The memo: the answer first, on one screen."""

    verdict: Verdict
    ceiling: Verdict
    range: str
    actions: list[MemoAction] = Field(default_factory=list)
    clear: list[ClearReason] = Field(default_factory=list)
    questions: list[MemoQuestion] = Field(default_factory=list)
    rulebook_version: str
    lists: list[ListUsed] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    order: list[str] = Field(
        default_factory=list,
        description="hit rule ids by consequence: outcomes by level, "
        "then exemptions, then findings",
    )


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
    verdict: Verdict = Field(
        description="its floor: the highest of the regimes that bind it (parts 800 and 802; "
        "for a U.S. person also parts 850 and 202); clear if it may not acquire in the deal",
    )
    ceiling: Verdict = Field(description="the highest its verdict could reach")
    provisional: bool = False
    duty: str = Field(description="its filing duty in words")
    rules: list[str] = Field(default_factory=list, description="its decisive rules")
    open_questions: list[str] = Field(
        default_factory=list, description="CFIUS rules its unknown facts leave open"
    )


class Consortium(Result):
    """Several foreign investors acquiring together: each one's own duties as a person."""

    members: list[MemberResult]
    verdict: Verdict = Field(description="the highest member floor")
    ceiling: Verdict = Field(description="the highest member ceiling")
    basis: str = Field(description="why each member is screened on its own")


class ScreeningResult(Result):
    """The answer for one deal."""

    deal_id: str
    deal_name: str
    deal_kind: str
    as_of: str
    verdict: Verdict
    ceiling: Verdict | None = None
    provisional: bool
    summary: Summary | None = Field(
        default=None,
        description="the memo; computed when the deal is screened (the audit store keeps the "
        "result without it, and recomputes it by replay)",
    )
    regimes: dict[str, RegimeResult]
    hits: list[Hit]
    open_questions: list[OpenQuestion] = Field(default_factory=list)
    derived: list[DerivedFact] = Field(default_factory=list)
    rulebook_version: str
    dealscreen_version: str
    disclaimer: str = DISCLAIMER

    # A deal with no consortium leaves the key out, so results recorded before it existed keep
    # their hashes and bytes.
    consortium: Consortium | None = Field(
        default=None,
        description="for a record whose co-investors acquire too (a `rights` block each): every "
        "member's own CFIUS filing duty; omitted otherwise",
        exclude_if=_is_none,
    )

    def model_dump_json(self, **options: Any) -> str:
        """The result as JSON: with no option, the bytes pydantic writes (compact, fields in
        order), put together from the JSON of the sub-results that results share (written once,
        see :func:`shared`) and of the rest; with any option, or any value the quick way does
        not know (see :func:`_result_json`), pydantic's own ``model_dump_json``."""
        if not options:
            try:
                return _result_json(self)
            except _Unusual:
                pass
        return super().model_dump_json(**options)

    def hit(self, rule_id: str) -> Hit | None:
        """The hit of a rule, if it fired."""
        return next((h for h in self.hits if h.rule_id == rule_id), None)

    @property
    def fired(self) -> list[str]:
        """Ids of every rule that fired (including suppressed ones), sorted."""
        return sorted(h.rule_id for h in self.hits)


# The JSON of a result, as pydantic writes it (``model_dump_json()``: compact, every field in
# order), put together by hand at its top level: the sub-results the engine keeps and shares
# between results (open questions, regime results, derived facts) are written by pydantic once
# each and their JSON reused; the hits, the memo and the rest are written by pydantic, each list
# in one call. A value this does not expect (a subclass, a string pydantic refuses) leaves the
# whole result to pydantic. tests/test_result_json.py holds the two to the same bytes.


class _Unusual(Exception):
    """A value the quick JSON does not write: pydantic writes the result."""


# id -> [a weak reference to the instance, its JSON or None]: an entry goes with its instance
# (when no kept result and no result holds it), so this holds what the engine's bounded stores
# of kept results and the results alive hold, no more.
_SHARED: dict[int, list[Any]] = {}


def shared(obj: _R) -> _R:
    """Mark a result instance that results share (one the engine keeps and reuses, immutable):
    its JSON is written once (see :meth:`ScreeningResult.model_dump_json`)."""
    key = id(obj)
    entry = _SHARED.get(key)
    if entry is not None and entry[0]() is obj:
        return obj  # marked already
    ref = weakref.ref(obj, _gone)
    _REFS[id(ref)] = key
    _SHARED[key] = [ref, None]
    return obj


def _gone(ref: weakref.ref[Any]) -> None:
    key = _REFS.pop(id(ref), None)
    if key is not None:
        entry = _SHARED.get(key)
        if entry is not None and entry[0] is ref:
            del _SHARED[key]


_REFS: dict[int, int] = {}  # id of a mark's weak reference -> id of its instance


def forget_json() -> None:
    """Drop the JSON written of shared sub-results (each is written again when next needed)."""
    for entry in list(_SHARED.values()):
        entry[1] = None
    _LINES.clear()


def _string(text: Any) -> str:
    """The JSON of a field typed ``str`` (``encode_basestring`` writes what pydantic does: the
    characters as they are but for the escapes JSON needs; pydantic refuses a lone
    surrogate)."""
    if text.__class__ is not str or (not text.isascii() and _SURROGATE.search(text) is not None):
        raise _Unusual
    return encode_basestring(text)


_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _items(items: Any, cls: type[Result]) -> str:
    """The JSON of the items of a list of sub-results typed ``cls``, without the brackets: a
    shared one's written once, each run of others in one call."""
    if items.__class__ is not list:
        raise _Unusual
    out: list[str] = []
    run: list[Any] = []
    for obj in items:
        entry = _SHARED.get(id(obj))
        if entry is not None and entry[0]() is obj:
            if run:
                out.append(str(_list_of(cls).to_json(run), "utf-8")[1:-1])
                run = []
            text: str | None = entry[1]
            if text is None:
                text = entry[1] = _model_json(obj, cls)
            out.append(text)
        else:
            run.append(obj)
    if run:
        out.append(str(_list_of(cls).to_json(run), "utf-8")[1:-1])
    return ",".join(out)


def _one(obj: Any, cls: type[Result]) -> str:
    """The JSON of a sub-result typed ``cls``: a shared one's written once."""
    entry = _SHARED.get(id(obj))
    if entry is not None and entry[0]() is obj:
        text: str | None = entry[1]
        if text is None:
            text = entry[1] = _model_json(obj, cls)
        return text
    return _model_json(obj, cls)


def _model_json(obj: Any, cls: type[Result]) -> str:
    if obj.__class__ is not cls:  # a subclass (or not a model): pydantic writes the field
        raise _Unusual
    return str(cls.__pydantic_serializer__.to_json(obj), "utf-8")


_VERDICTS = frozenset(VERDICTS)


def _result_json(result: ScreeningResult) -> str:
    d = result.__dict__
    if result.__class__ is not ScreeningResult or len(d) != _RESULT_FIELD_COUNT:
        raise _Unusual
    summary, regimes, consortium, hits = d["summary"], d["regimes"], d["consortium"], d["hits"]
    provisional, ceiling = d["provisional"], d["ceiling"]
    if (
        d["verdict"] not in _VERDICTS
        or (ceiling is not None and ceiling not in _VERDICTS)
        or provisional.__class__ is not bool
        or regimes.__class__ is not dict
        or hits.__class__ is not list
    ):
        raise _Unusual  # (a value not of its type: pydantic warns as it writes it)
    return "".join(
        (
            '{"deal_id":',
            _string(d["deal_id"]),
            ',"deal_name":',
            _string(d["deal_name"]),
            ',"deal_kind":',
            _string(d["deal_kind"]),
            ',"as_of":',
            _string(d["as_of"]),
            ',"verdict":',
            _string(d["verdict"]),
            ',"ceiling":',
            "null" if ceiling is None else _string(ceiling),
            ',"provisional":',
            "true" if provisional else "false",
            ',"summary":',
            "null" if summary is None else _summary_json(summary),
            ',"regimes":{',
            ",".join(
                [
                    _string(name) + ":" + _one(regime, RegimeResult)
                    for name, regime in regimes.items()
                ]
            ),
            '},"hits":',
            _hits_json(result, hits),
            ',"open_questions":[',
            _items(d["open_questions"], OpenQuestion),
            '],"derived":[',
            _derived_json(result, d["derived"]),
            '],"rulebook_version":',
            _string(d["rulebook_version"]),
            ',"dealscreen_version":',
            _string(d["dealscreen_version"]),
            ',"disclaimer":',
            _string(d["disclaimer"]),
            "}" if consortium is None else ',"consortium":' + _model_json(consortium, Consortium),
            "}" if consortium is not None else "",
        )
    )


_RESULT_FIELD_COUNT = len(ScreeningResult.model_fields)
_LISTS: dict[type[Result], SchemaSerializer] = {}  # list[cls]'s serializer, made on first use


def _list_of(cls: type[Result]) -> SchemaSerializer:
    """The serializer of a field typed ``list[cls]`` (items written by the field's type)."""
    serializer = _LISTS.get(cls)
    if serializer is None:
        serializer = _LISTS[cls] = TypeAdapter(list[cls]).serializer  # type: ignore[valid-type]
    return serializer


# The hits of a result assemble() made, written from what it made them of (see assembled): each
# hit's rule fields as one text before and one after its fields of the deal (worked out once per
# rule, see hit_frame), its facts and conditions shown as one text (written once for those kept
# and shared between hits, see shown_json), its explanation, findings and exemptions as they are.
# id of a result -> (a weak reference to it, its list of hits, per hit (frame, shown)); an entry
# goes with its result.
_ASSEMBLED: dict[
    int,
    tuple[
        weakref.ref[Any],
        list[Any],
        list[tuple[Any, list[Any]]],
        list[Any],
        list[list[Any] | None],
    ],
] = {}
_FRAME_PROBE = ',"explanation":"","facts":{},"conditions":[],"because":[],"suppressed_by":[],'
_PROBE: dict[str, Any] = {
    "explanation": "",
    "facts": {},
    "conditions": [],
    "because": [],
    "suppressed_by": [],
}


def hit_frame(fields: dict[str, Any]) -> tuple[str, str] | None:
    """The JSON pydantic writes of a hit with these fields of a rule, around its fields of the
    deal: the text up to ``"explanation":`` and the text from ``,"confidence":`` on (None when
    pydantic would warn about one of them, or they hold the probe's text)."""
    # (In the order of ``fields``: pydantic writes a made instance's fields in that order.)
    probe = made(Hit, {k: _PROBE.get(k, v) for k, v in fields.items()}, frozenset(fields))
    try:
        text = str(Hit.__pydantic_serializer__.to_json(probe, warnings="error"), "utf-8")
    except PydanticSerializationError:  # a value pydantic warns about: it writes such hits
        return None
    if text.count(_FRAME_PROBE) != 1:
        return None
    head, tail = text.split(_FRAME_PROBE)
    return head + ',"explanation":', "," + tail


_FACTS: SchemaSerializer | None = None  # a field typed dict[str, Any]'s (Hit.facts)


def shown_json(shown: list[Any]) -> str:
    """``,"facts":{…},"conditions":[…]`` of a hit showing these conditions and facts
    (``[conditions, facts, this JSON or None]``), written once per list."""
    global _FACTS
    text: str | None = shown[2]
    if text is None:
        if _FACTS is None:
            _FACTS = TypeAdapter(dict[str, Any]).serializer
        text = shown[2] = "".join(
            (
                ',"facts":',
                str(_FACTS.to_json(shown[1]), "utf-8"),
                ',"conditions":',
                str(_list_of(ConditionResult).to_json(shown[0]), "utf-8"),
            )
        )
    return text


def assembled(
    result: ScreeningResult,
    pieces: list[tuple[Any, list[Any]]],
    derived: list[list[Any] | None] | None = None,
) -> ScreeningResult:
    """Record what assemble() made the hits and derived facts of a result of: per hit, its
    rule's :func:`hit_frame` and its ``[conditions, facts, JSON or None]`` (see
    :func:`shown_json`); per derived fact, the ``[fact, its JSON or None]`` the engine keeps it
    in (None: not kept)."""
    key = id(result)
    d = result.__dict__
    ref = weakref.ref(result, _unassembled)
    _ASSEMBLED_REFS[id(ref)] = key
    _ASSEMBLED[key] = (
        ref,
        d["hits"],
        pieces,
        d["derived"],
        [None] * len(d["derived"]) if derived is None else derived,
    )
    return result


def _unassembled(ref: weakref.ref[Any]) -> None:
    key = _ASSEMBLED_REFS.pop(id(ref), None)
    if key is not None:
        entry = _ASSEMBLED.get(key)
        if entry is not None and entry[0] is ref:
            del _ASSEMBLED[key]


_ASSEMBLED_REFS: dict[int, int] = {}  # id of an entry's weak reference -> id of its result


def _derived_json(result: ScreeningResult, derived: Any) -> str:
    """The JSON of a result's derived facts without the brackets: each kept one's written once
    (in the entry the engine keeps it in) when assemble() made this result, else
    :func:`_items`'s."""
    entry = _ASSEMBLED.get(id(result))
    if (
        entry is None
        or entry[0]() is not result
        or entry[3] is not derived
        or len(entry[4]) != len(derived)
    ):
        return _items(derived, DerivedFact)
    out = []
    for item, kept in zip(derived, entry[4], strict=True):
        if kept is None or kept[0] is not item:
            out.append(_model_json(item, DerivedFact))
        else:
            text: str | None = kept[1]
            if text is None:
                text = kept[1] = _model_json(item, DerivedFact)
            out.append(text)
    return ",".join(out)


def _hits_json(result: ScreeningResult, hits: list[Any]) -> str:
    """The JSON of a result's hits: put together from what assemble() made them of when it
    made this result (its very list of hits), else pydantic's."""
    entry = _ASSEMBLED.get(id(result))
    if (
        entry is None
        or entry[0]() is not result
        or entry[1] is not hits
        or len(entry[2]) != len(hits)
    ):
        return str(_list_of(Hit).to_json(hits), "utf-8")
    out = ["["]
    for hit, (frame, shown) in zip(hits, entry[2], strict=True):
        if frame is None or hit.__class__ is not Hit:
            return str(_list_of(Hit).to_json(hits), "utf-8")
        h = hit.__dict__
        because, suppressed_by = h["because"], h["suppressed_by"]
        if because.__class__ is not list or suppressed_by.__class__ is not list:
            raise _Unusual
        out += (
            frame[0],
            _string(h["explanation"]),
            shown_json(shown),
            ',"because":[',
            _items(because, Because) if because else "",
            '],"suppressed_by":[',
            ",".join([_string(t) for t in suppressed_by]) if suppressed_by else "",
            "]",
            frame[1],
            ",",
        )
    if len(out) > 1:
        out.pop()  # the last comma
    out.append("]")
    return "".join(out)


# The memo's lines that the memo keeps and reuses (clear lines, lists used): id -> (the line,
# its JSON). The entry holds the line, so no other instance can have its id while it is there;
# bounded (cleared when full), and a line is immutable (frozen, its lists never changed).
_LINES: dict[int, tuple[Any, str]] = {}
_LINES_KEPT = 1024
_SUMMARY_FIELDS = tuple(Summary.model_fields)


def _lines(items: Any, cls: type[Result]) -> str:
    """The JSON of the items of a list of memo lines typed ``cls``, without the brackets, each
    line's written once (see _LINES)."""
    if items.__class__ is not list:
        raise _Unusual
    out = []
    for obj in items:
        entry = _LINES.get(id(obj))
        if entry is not None and entry[0] is obj:
            out.append(entry[1])
            continue
        text = _model_json(obj, cls)
        if len(_LINES) >= _LINES_KEPT:
            _LINES.clear()
        _LINES[id(obj)] = (obj, text)
        out.append(text)
    return ",".join(out)


def _strings(items: Any) -> str:
    """The JSON of a field typed ``list[str]``."""
    if items.__class__ is not list:
        raise _Unusual
    return "[" + ",".join([_string(t) for t in items]) + "]"


def _summary_json(summary: Any) -> str:
    """The JSON pydantic writes of a memo, its clear lines and lists used written once each
    (see _lines); anything unexpected is pydantic's."""
    d = summary.__dict__
    if summary.__class__ is not Summary or tuple(d) != _SUMMARY_FIELDS:
        return _model_json(summary, Summary)
    if d["verdict"] not in _VERDICTS or d["ceiling"] not in _VERDICTS:
        raise _Unusual  # (pydantic warns as it writes it)
    actions, questions = d["actions"], d["questions"]
    if actions.__class__ is not list or questions.__class__ is not list:
        raise _Unusual
    return "".join(
        (
            '{"verdict":',
            _string(d["verdict"]),
            ',"ceiling":',
            _string(d["ceiling"]),
            ',"range":',
            _string(d["range"]),
            ',"actions":',
            str(_list_of(MemoAction).to_json(actions), "utf-8") if actions else "[]",
            ',"clear":[',
            _lines(d["clear"], ClearReason),
            '],"questions":',
            str(_list_of(MemoQuestion).to_json(questions), "utf-8") if questions else "[]",
            ',"rulebook_version":',
            _string(d["rulebook_version"]),
            ',"lists":[',
            _lines(d["lists"], ListUsed),
            '],"warnings":',
            _strings(d["warnings"]),
            ',"order":',
            _strings(d["order"]),
            "}",
        )
    )
