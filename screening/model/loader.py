"""Reading deal records from YAML or JSON files, with located, collected validation errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from screening.errors import DealError, Problem, _problem_sort_key
from screening.model._yaml import Document, DocumentError, load_file
from screening.model.deal import DEAL_KINDS, Deal, DealRecord

DEAL_SUFFIXES = (".yaml", ".yml", ".json")


def json_path(loc: tuple[Any, ...]) -> str:
    """A pydantic ``loc`` as a data path such as ``$.rights.voting_pct`` or ``$.owners[0]``."""
    out = "$"
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}"
    return out


def _clean_loc(loc: tuple[Any, ...], data: Any) -> tuple[Any, ...]:
    """Drop the union-tag segments pydantic inserts (``equity_stake``, ``function-after[…]``)."""
    out: list[Any] = []
    node = data
    for part in loc:
        in_dict = isinstance(node, dict) and isinstance(part, str) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and part < len(node)
        if in_dict or in_list:
            out.append(part)
            node = node[part]
        elif isinstance(part, str) and (part in ("root",) or "[" in part or part in _TAGS):
            continue
        else:
            out.append(part)
            node = None
    return tuple(out)


_TAGS = set(DEAL_KINDS)


def validate_deal(doc: Document) -> DealRecord:
    """Validate a parsed document as a deal; raise DealError with every problem located."""
    try:
        return Deal.model_validate(doc.data).root
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            loc = _clean_loc(tuple(err["loc"]), doc.data)
            if str(err["type"]).startswith("union_tag"):
                loc = (*loc, "kind")
            where = f"{doc.path}:{doc.line_of(tuple(loc))}" if doc.lines.get(()) else doc.path
            message = _message(err)
            problems.append(Problem(where, "invalid-deal", f"{json_path(loc)}: {message}"))
        raise DealError(cap_problems(problems)) from None


MAX_PROBLEMS = 50


def cap_problems(problems: list[Problem]) -> list[Problem]:
    """The first MAX_PROBLEMS problems of a document (in location order), then "and N more"."""
    if len(problems) <= MAX_PROBLEMS:
        return problems
    kept = sorted(problems, key=_problem_sort_key)[:MAX_PROBLEMS]
    rest = len(problems) - MAX_PROBLEMS
    kept.append(Problem(kept[-1].location, "more-problems", f"and {rest} more"))
    return kept


def _message(err: Any) -> str:
    kind = err["type"]
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "union_tag_invalid":
        return "`kind` must be one of " + ", ".join(sorted(_TAGS))
    if kind == "union_tag_not_found":
        return "`kind` is required: one of " + ", ".join(sorted(_TAGS))
    msg = str(err["msg"])
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    return msg[0].lower() + msg[1:] if msg else kind


def load_deal(path: str | Path) -> DealRecord:
    """Read and validate one deal from a ``.yaml``, ``.yml`` or ``.json`` file."""
    p = Path(path)
    if p.suffix.lower() not in DEAL_SUFFIXES and p.exists():
        raise DealError.one(str(p), "unsupported-file", "expected a .yaml, .yml or .json file")
    try:
        doc = load_file(p)
    except DocumentError as exc:
        raise DealError(exc.problems) from None
    if not isinstance(doc.data, dict):
        raise DealError.one(f"{p}:1", "invalid-deal", "$: a deal is a mapping of fields")
    return validate_deal(doc)
