"""What runs in the server's worker processes: parse, validate, screen, record, explain, replay.

durable-rules is not thread-safe, so the event loop never calls the engine: every screening (and
every audit question, which re-runs rules) is sent to a pool of worker processes. Each worker
receives the server's rulebook once, compiles it once and opens its own connection to the audit
store (SQLite in WAL mode or PostgreSQL, both safe for several writers).

Everything here returns plain, picklable data: the JSON text of the answer, a
:class:`~screening.server.problems.Failure` for a user's mistake (the located problems), or an
:class:`~screening.server.problems.Internal` holding a traceback for the server's log.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import traceback
from dataclasses import dataclass
from typing import Any, Literal

from screening.server import _deps
from screening.server._deps import (
    DealError,
    DealRecord,
    Rulebook,
    ScreeningError,
    ScreeningResult,
    StoreError,
    screen,
)
from screening.server.problems import Failure, Internal

Outcome = str | Failure | Internal


@dataclass
class _State:
    book: Rulebook | None = None
    db_url: str = ""
    store: _deps.Store | None = None


_STATE = _State()


def init(book: Rulebook, db_url: str) -> None:
    """Set up a worker: the rulebook the server loaded, compiled once; where the store is."""
    _STATE.book = book
    _STATE.db_url = db_url
    _STATE.store = None
    _deps.compiled(book)


def ping() -> int:
    """A no-op task that makes the pool start (and initialise) a worker."""
    return os.getpid()


def _book() -> Rulebook:
    assert _STATE.book is not None, "worker not initialised"
    return _STATE.book


def _store() -> _deps.Store:
    if _STATE.store is None:
        _STATE.store = _deps.Store(_STATE.db_url)
    return _STATE.store


# --------------------------------------------------------------------------------------------
# Deals


def parse_deal(raw: bytes, where: str) -> DealRecord:
    """A deal from JSON text; a DealError locating what is wrong (``where`` names the input)."""
    try:
        text = raw.decode("utf-8")
        data = _deps.loads_json(text)  # a key given twice is an error, as in files
        _deps.check_depth(data, where)
    except _deps.DuplicateKeyError as exc:
        at = "" if where.startswith("line") else f", line {exc.line(text)}"
        raise DealError.one(f"{where}{at}", "duplicate-key", exc.message) from None
    except UnicodeDecodeError:
        raise DealError.one(where, "not-utf8", "not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        at = f"column {exc.colno}" if where.startswith("line") else f"line {exc.lineno}"
        raise DealError.one(f"{where}, {at}", "invalid-json", exc.msg.lower()) from None
    except (RecursionError, _deps.DocumentError):
        raise DealError.one(where, "too-deep", "nested too deeply") from None
    if not isinstance(data, dict):
        raise DealError.one("$", "invalid-deal", "a deal is a mapping of fields")
    try:
        return _deps.validate_deal(_deps.Document("", data, {}))
    except DealError as exc:
        raise DealError([_by_path(p) for p in exc.problems]) from None


def _by_path(problem: _deps.Problem) -> _deps.Problem:
    """``$.a.b: message`` as the location ``$.a.b`` and the message."""
    if problem.message.startswith("$"):
        path, _, message = problem.message.partition(": ")
        return _deps.Problem(path, problem.code, message)
    return problem


def _screen(raw: bytes, where: str, as_of: dt.date | None) -> tuple[DealRecord, ScreeningResult]:
    deal = parse_deal(raw, where)
    return deal, screen(deal, rulebook=_book(), as_of=as_of)


def _answer(result: ScreeningResult, screening_id: int | None, *, compact: bool) -> str:
    """The result as ``screen --format json`` prints it, or compact as ``review --format
    jsonl`` writes it; with ``"screening_id"`` added last when it was recorded."""
    if compact:
        line = result.model_dump_json()
        return line if screening_id is None else f'{line[:-1]},"screening_id":{screening_id}}}'
    if screening_id is None:
        return _deps.render_json(result)
    data: dict[str, Any] = result.model_dump(mode="json")
    data["screening_id"] = screening_id
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def _guarded(fn: Any, *args: Any) -> Outcome:
    try:
        out: Outcome = fn(*args)
    except ScreeningError as exc:
        return Failure.of(exc)
    except Exception:
        return Internal(traceback.format_exc())
    return out


def screen_one(raw: bytes, as_of: dt.date | None, record: bool) -> Outcome:
    """``POST /v1/screen``: the result as ``screen --format json`` prints it (+ screening_id)."""

    def run() -> str:
        deal, result = _screen(raw, "body", as_of)
        sid = _store().record(result, deal, rulebook=_book()) if record else None
        return _answer(result, sid, compact=False)

    return _guarded(run)


def screen_lines(
    lines: list[tuple[int, bytes]], as_of: dt.date | None, record: bool
) -> list[Outcome]:
    """``POST /v1/review``: one compact result (or failure) per input line, in order."""
    done: list[tuple[int, DealRecord, ScreeningResult] | Outcome] = []
    for number, raw in lines:
        try:
            deal, result = _screen(raw, f"line {number}", as_of)
        except ScreeningError as exc:
            done.append(Failure.of(exc))
        except Exception:
            done.append(Internal(traceback.format_exc()))
        else:
            done.append((number, deal, result))
    screened = [d for d in done if isinstance(d, tuple)]
    ids: list[int | None] = [None] * len(screened)
    if record and screened:
        try:
            ids = list(_store().record_many([(r, d) for _, d, r in screened], rulebook=_book()))
        except ScreeningError as exc:
            return [Failure.of(exc) if isinstance(d, tuple) else d for d in done]
    by_line = {n: i for i, (n, _, _) in enumerate(screened)}
    out: list[Outcome] = []
    for d in done:
        if isinstance(d, tuple):
            i = by_line[d[0]]
            out.append(_answer(d[2], ids[i], compact=True))
        else:
            out.append(d)
    return out


# --------------------------------------------------------------------------------------------
# The audit store


def list_screenings(
    limit: int | None, deal_id: str | None, verdict: str | None, since: dt.date | None
) -> Outcome:
    """``GET /v1/screenings``: newest first (``audit list --format json``)."""

    def run() -> str:
        found = _store().summaries(deal_id=deal_id, verdict=verdict, since=since, limit=limit)
        return json.dumps([s.to_json() for s in found], indent=2, ensure_ascii=False) + "\n"

    return _guarded(run)


def show_screening(screening_id: int) -> Outcome:
    """``GET /v1/screenings/{id}`` (``audit show --format json``)."""

    def run() -> str:
        stored = _store().get(screening_id)
        return json.dumps(_deps.stored_json(stored), indent=2, ensure_ascii=False) + "\n"

    return _guarded(run)


def explain(screening_id: int, rule_id: str, question: Literal["why", "why-not"]) -> Outcome:
    """``GET /v1/screenings/{id}/why/{rule}`` and ``/why-not/{rule}``.

    A rule that neither the recorded rulebook nor today's has is an unknown rule (404, with the
    closest recorded ids); one that only today's rulebook has is answered ("did not exist in
    rulebook ...").
    """

    def run() -> str:
        store = _store()
        stored = store.get(screening_id)
        recorded = store.rulebook(stored.result.rulebook_version)
        if rule_id not in recorded.rules and rule_id not in _book().rules:
            raise StoreError.one(
                f"screening {screening_id}",
                "unknown-rule",
                f"no rule `{rule_id}` in rulebook {recorded.version}"
                f"{_deps.suggest(rule_id, recorded.rules)}",
            )
        answer = _deps.explain(store, screening_id, rule_id, question)
        return answer.model_dump_json(indent=2) + "\n"

    return _guarded(run)


def replay(screening_id: int) -> Outcome:
    """``GET /v1/screenings/{id}/replay`` (``audit replay --format json``)."""

    def run() -> str:
        return _deps.replay_json(_deps.replay(_store(), screening_id, rulebook=_book()))

    return _guarded(run)
