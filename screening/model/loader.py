"""Reading deal records from YAML or JSON files, with located, collected validation errors."""

from __future__ import annotations

import difflib
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

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
            if err["type"] == "extra_forbidden":
                message += _did_you_mean(doc.data, loc)
            elif _is_country(err) and _country_hint(err.get("input")):
                message = f"`{err['input']}` is not a country code{_country_hint(err['input'])}"
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


_COUNTRY_PATTERN = "^[A-Z]{2}$"


def _is_country(err: Any) -> bool:
    ctx = err.get("ctx") or {}
    return bool(
        err["type"] == "string_pattern_mismatch" and ctx.get("pattern") == _COUNTRY_PATTERN
    ) or "ISO 3166-1 alpha-2" in str(err.get("msg", ""))


def _country_hint(value: Any) -> str:
    """``: use ISO 3166 alpha-2: CN`` when a country was given by name or another code."""
    if not isinstance(value, str):
        return ""
    import pycountry  # only to word an error: importing it costs a cold start

    try:
        country = pycountry.countries.lookup(value.strip())
    except LookupError:
        matches = difflib.get_close_matches(
            value.strip().casefold(),
            [c.name.casefold() for c in pycountry.countries],
            n=1,
            cutoff=0.75,
        )
        if not matches:
            return ""
        country = next(c for c in pycountry.countries if c.name.casefold() == matches[0])
    return f": use ISO 3166 alpha-2: {country.alpha_2}"


def _model_at(data: Any, loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The record model at a location of a deal, following field annotations."""
    kind = data.get("kind") if isinstance(data, dict) else None
    model: Any = next(
        (
            m
            for m in typing.get_args(DealRecord)
            if m.model_fields["kind"].annotation == typing.Literal[kind]
        ),
        None,
    )
    for part in loc:
        if model is None:
            return None
        if isinstance(part, int):
            continue
        info = model.model_fields.get(part)
        if info is None:
            return None
        model = _record_type(info.annotation)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _record_type(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _record_type(arg)
        if found is not None:
            return found
    return None


def _did_you_mean(data: Any, loc: tuple[Any, ...]) -> str:
    """`` (did you mean `x`?)`` for an unknown field, from the fields allowed there."""
    if not loc or not isinstance(loc[-1], str):
        return ""
    model = _model_at(data, loc[:-1])
    if model is None:
        return ""
    match = difflib.get_close_matches(loc[-1], list(model.model_fields), n=1, cutoff=0.6)
    return f" (did you mean `{match[0]}`?)" if match else ""


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
