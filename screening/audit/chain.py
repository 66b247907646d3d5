"""Canonical hashing and the hash chain, and the mapping of a result to rows and back.

Integrity: ``result_hash`` is SHA-256 over the JSON of the result (no timestamps: a result is
deterministic); ``row_hash`` is SHA-256 over the previous row's hash and the row's own content,
``created_at`` included. Editing, deleting or reordering a row breaks the chain at that row;
:meth:`screening.audit.store.Store.verify` finds the first broken link.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
from typing import Any

from pydantic import ValidationError

from screening._version import __version__
from screening.audit.schema import HitRow, OpenQuestionRow, ScreeningRow
from screening.engine.verdict import ScreeningResult
from screening.errors import StoreError
from screening.model.deal import Deal, DealRecord

GENESIS = "0" * 64


def canonical(data: Any) -> str:
    """Canonical JSON: sorted keys, no whitespace, UTF-8 text kept as is."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def dump(data: Any) -> str:
    """Compact JSON that keeps key order (results are byte-for-byte deterministic)."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def sha(text_: str) -> str:
    """SHA-256 of a text, hex."""
    return hashlib.sha256(text_.encode()).hexdigest()


def _deal_record(deal: DealRecord | Deal) -> DealRecord:
    return deal.root if isinstance(deal, Deal) else deal


def deal_hash(deal: DealRecord | Deal) -> str:
    """SHA-256 of the deal's canonical JSON: equal deals, equal hashes (for ``--resume``)."""
    return sha(canonical(_deal_record(deal).model_dump(mode="json")))


# Not kept in the store: a consortium's per-member duties are recomputed by replay (the stored
# verdicts, regimes and open questions already carry their effect).
UNSTORED = frozenset({"consortium"})


def result_hash(result: ScreeningResult) -> str:
    """SHA-256 of the result's JSON, key order kept (a result holds no timestamp)."""
    return sha(dump(result.model_dump(mode="json", exclude=set(UNSTORED))))


_CHAIN_FIELDS = (
    "id",
    "prev_hash",
    "created_at",
    "tool_version",
    "host_user",
    "deal_id",
    "deal_hash",
    "as_of",
    "rulebook_version",
    "verdict",
    "provisional",
    "result_hash",
)


def row_hash(row: dict[str, Any]) -> str:
    """The chain hash of a screening row: its content, its time and the previous row's hash."""
    return sha(canonical({k: row[k] for k in _CHAIN_FIELDS}))


def _host_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in a bare container
        return ""


def now() -> str:
    """The current UTC time as recorded in rows (microseconds, ``Z``)."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


Rows = tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]


def to_rows(result: ScreeningResult, deal: DealRecord | Deal) -> Rows:
    """Map a result and its deal to row values (screening, hits, open questions).

    The chain fields (``id``, ``created_at``, ``prev_hash``, ``row_hash``) and the screening id of
    the hits are filled when the rows are inserted.
    """
    record = _deal_record(deal)
    if record.id != result.deal_id:
        raise StoreError.one(
            f"deal `{record.id}`",
            "deal-mismatch",
            f"the result is for deal `{result.deal_id}`, not this deal",
        )
    deal_data = record.model_dump(mode="json")
    data = result.model_dump(mode="json", exclude=set(UNSTORED))
    row: dict[str, Any] = {
        "tool_version": __version__,
        "host_user": _host_user(),
        "deal_id": result.deal_id,
        "deal_name": result.deal_name,
        "deal_kind": result.deal_kind,
        "deal_hash": sha(canonical(deal_data)),
        "deal_json": canonical(deal_data),
        "as_of": result.as_of,
        "rulebook_version": result.rulebook_version,
        "dealscreen_version": result.dealscreen_version,
        "verdict": result.verdict,
        "provisional": result.provisional,
        "regimes_json": dump(data["regimes"]),
        "derived_json": dump(data["derived"]),
        "disclaimer": result.disclaimer,
        "result_hash": sha(dump(data)),
    }
    hits = [
        {
            "position": i,
            "rule_id": h["rule_id"],
            "regime": h["regime"],
            "kind": h["kind"],
            "outcome": h["outcome"],
            "suppressed_by_json": dump(h["suppressed_by"]),
            "citation": h["citation"],
            "title": h["title"],
            "explanation": h["explanation"],
            "facts_json": dump(h["facts"]),
            "conditions_json": dump(h["conditions"]),
            "because_json": dump(h["because"]),
            "confidence": h["confidence"],
            "source": h["source"],
            "notes": h["notes"],
        }
        for i, h in enumerate(data["hits"])
    ]
    questions = [
        {
            "position": i,
            "rule_id": q["rule_id"],
            "regime": q["regime"],
            "outcome": q["outcome"],
            "citation": q["citation"],
            "title": q["title"],
            "question": q["question"],
            "unknown_facts_json": dump(q["unknown_facts"]),
        }
        for i, q in enumerate(data["open_questions"])
    ]
    return row, hits, questions


def from_rows(
    row: ScreeningRow, hits: list[HitRow], questions: list[OpenQuestionRow]
) -> ScreeningResult:
    """Rebuild (and validate) the result of a screening from its rows."""
    data = {
        "deal_id": row.deal_id,
        "deal_name": row.deal_name,
        "deal_kind": row.deal_kind,
        "as_of": row.as_of,
        "verdict": row.verdict,
        "provisional": row.provisional,
        "regimes": json.loads(row.regimes_json),
        "hits": [
            {
                "rule_id": h.rule_id,
                "regime": h.regime,
                "kind": h.kind,
                "outcome": h.outcome,
                "citation": h.citation,
                "title": h.title,
                "explanation": h.explanation,
                "facts": json.loads(h.facts_json),
                "conditions": json.loads(h.conditions_json),
                "because": json.loads(h.because_json),
                "suppressed_by": json.loads(h.suppressed_by_json),
                "confidence": h.confidence,
                "source": h.source,
                "notes": h.notes,
            }
            for h in sorted(hits, key=lambda h: h.position)
        ],
        "open_questions": [
            {
                "rule_id": q.rule_id,
                "regime": q.regime,
                "outcome": q.outcome,
                "citation": q.citation,
                "title": q.title,
                "question": q.question,
                "unknown_facts": json.loads(q.unknown_facts_json),
            }
            for q in sorted(questions, key=lambda q: q.position)
        ],
        "derived": json.loads(row.derived_json),
        "rulebook_version": row.rulebook_version,
        "dealscreen_version": row.dealscreen_version,
        "disclaimer": row.disclaimer,
    }
    try:
        return ScreeningResult.model_validate(data)
    except ValidationError as exc:
        raise StoreError.one(
            f"screening {row.id}",
            "corrupt-record",
            f"the stored result does not validate: {exc.errors()[0]['msg']}",
        ) from None
