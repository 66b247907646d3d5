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
from screening.engine.verdict import NOT_IN_FORCE, ScreeningResult, rank
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


# Fields added to results after the store's first schema, with the value that stands for "not
# recorded" in a result recorded before them. The hash leaves a field out while it holds that
# value, so a result recorded before the field existed still hashes as it was recorded.
_LATER_FIELDS: dict[str, tuple[tuple[str, Any], ...]] = {
    "result": (("ceiling", None),),
    "regime": (("ceiling", None), ("possible_exemptions", [])),
    "question": (("could_raise_to", None),),
}


def _without_unrecorded(data: dict[str, Any]) -> dict[str, Any]:
    def strip(item: dict[str, Any], kind: str) -> dict[str, Any]:
        drop = {k for k, empty in _LATER_FIELDS[kind] if k in item and item[k] == empty}
        return {k: v for k, v in item.items() if k not in drop}

    out = strip(data, "result")
    out["regimes"] = {k: strip(v, "regime") for k, v in data["regimes"].items()}
    out["open_questions"] = [strip(q, "question") for q in data["open_questions"]]
    return out


def as_recorded_before_ceilings(data: dict[str, Any]) -> dict[str, Any]:
    """A result's JSON as dealscreen wrote it before ceilings existed: no later fields, a regime
    with no rule in force shown `clear`, and `provisional` meaning "has open questions".

    Replaying a record made then compares today's re-screening in this form (the meaning of the
    old fields is kept; only the new ones are new).
    """
    out = _without_unrecorded(
        {
            **data,
            "ceiling": None,
            "regimes": {
                k: {**r, "ceiling": None, "possible_exemptions": []}
                for k, r in data["regimes"].items()
            },
            "open_questions": [{**q, "could_raise_to": None} for q in data["open_questions"]],
        }
    )
    asked = {q["regime"] for q in data["open_questions"]}
    out["provisional"] = bool(data["open_questions"])
    if out["verdict"] == NOT_IN_FORCE:
        out["verdict"] = "clear"
    for name, regime in out["regimes"].items():
        regime["provisional"] = name in asked
        if regime["verdict"] == NOT_IN_FORCE:
            regime["verdict"] = "clear"
    return out


def hashed_json(data: dict[str, Any]) -> str:
    """The JSON a result's hash covers (its dump, less later fields left unrecorded)."""
    return dump(_without_unrecorded(data))


# Views of a result computed when a deal is screened and not kept in the store (replay
# recomputes them): the memo, and a consortium's per-member duties (the stored verdicts, regimes
# and open questions already carry their effect).
UNSTORED = frozenset({"summary", "consortium"})


def result_hash(result: ScreeningResult) -> str:
    """SHA-256 of the result's JSON, key order kept (a result holds no timestamp).

    The memo (``summary``) is left out: it is a view of the result computed when a deal is
    screened, not kept in the store (replay recomputes it).
    """
    return sha(hashed_json(result.model_dump(mode="json", exclude=set(UNSTORED))))


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
    """The chain hash of a screening row: its content, its time and the previous row's hash.

    Rows written under schema 2 also cover ``rulebook_hash`` (the rulebook's labels and files);
    rows of schema 1 have it empty and are hashed as they were written."""
    fields = {k: row[k] for k in _CHAIN_FIELDS}
    if row.get("rulebook_hash"):
        fields["rulebook_hash"] = row["rulebook_hash"]
    return sha(canonical(fields))


def rulebook_hash(version: str, dealscreen_version: str, labels_json: str, files_json: str) -> str:
    """SHA-256 over every column of a rulebook version that carries meaning."""
    return sha(
        canonical(
            {
                "version": version,
                "dealscreen_version": dealscreen_version,
                "labels": json.loads(labels_json),
                "files": sha(files_json),
            }
        )
    )


class DuplicateKey(ValueError):
    """A JSON object with the same key twice."""


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise DuplicateKey(f"the key `{key}` appears twice")
        out[key] = value
    return out


def strict_json(text_: str, *, sort_keys: bool) -> Any:
    """Parse a stored JSON column and check it is exactly as dealscreen wrote it (canonical or
    compact form, no duplicate key); raise ValueError otherwise. An equivalent rewrite (other
    spacing, other key order, a duplicate key that readers resolve differently) is an edit."""
    data = json.loads(text_, object_pairs_hook=_no_duplicates)
    again = canonical(data) if sort_keys else dump(data)
    if again != text_:
        raise ValueError("the JSON is not in the form dealscreen writes")
    return data


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
        "result_hash": sha(hashed_json(data)),
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
    regimes = json.loads(row.regimes_json)
    # The overall ceiling and each question's could_raise_to are not stored: they follow from
    # what is (the highest regime ceiling; the question's own level). A result recorded before
    # ceilings existed has none, and loads with both left unrecorded.
    recorded = bool(regimes) and all(r.get("ceiling") is not None for r in regimes.values())
    ceiling = max((r["ceiling"] for r in regimes.values()), key=rank) if recorded else None
    data = {
        "deal_id": row.deal_id,
        "deal_name": row.deal_name,
        "deal_kind": row.deal_kind,
        "as_of": row.as_of,
        "verdict": row.verdict,
        "ceiling": ceiling,
        "provisional": row.provisional,
        "regimes": regimes,
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
                "could_raise_to": q.outcome if recorded else None,
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
