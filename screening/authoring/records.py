"""Helping people write deal records: a commented template per deal kind, and what to find out.

:func:`template` prints every field a screening can use for one deal kind, generated from the
deal model so it never drifts: required fields with a placeholder, every other field commented
out with its description (unknown is left out, never guessed). :func:`settling_facts` reads a
screening's open questions and ranks the unknown facts by how much of the verdict range settling
them would decide.
"""

from __future__ import annotations

import re
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from screening.engine.evaluate import cached_field_info
from screening.engine.verdict import ScreeningResult, rank
from screening.facts.sections.site import listed_installation, unknown_installation
from screening.model.deal import DEAL_KINDS, DealRecord
from screening.model.reference import References

_SKIP = {"expected"}  # fixture metadata, not a fact
_PLACEHOLDERS = {
    ("", "id"): "my-deal",
    ("", "name"): "What the deal is, in one line",
    ("investor", "name"): "Investor name",
    ("investor", "kind"): "company",
    ("target", "name"): "Target name",
}
_BLOCKS = {"data": "data_transaction", "supply": "supply_chain", "offtake": "supply_terms"}
_MAX_DEPTH = 3


def template(kind: str) -> str:
    """A commented YAML template of a deal record of one kind."""
    model = _kind_model(kind)
    lines = [
        f"# A `{kind}` deal record: fill in what you know; leave out what you do not (unknown",
        "# is not false). Uncomment a line to give a fact. `dealscreen check FILE` validates the",
        "# record and lists which facts would settle its open questions.",
    ]
    lines.extend(_fields(model, "", 0, kind))
    return "\n".join(lines) + "\n"


def _kind_model(kind: str) -> type[BaseModel]:
    for model in typing.get_args(DealRecord):
        if model.model_fields["kind"].annotation == typing.Literal[kind]:
            return typing.cast(type[BaseModel], model)
    raise ValueError(f"unknown deal kind `{kind}`: one of {', '.join(DEAL_KINDS)}")


def _record_model(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """The record model inside an annotation, and whether it is a list of them."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    origin = typing.get_origin(annotation)
    for arg in typing.get_args(annotation):
        found, many = _record_model(arg)
        if found is not None:
            return found, many or origin is list
    return None, False


def _fields(model: type[BaseModel], path: str, depth: int, kind: str) -> list[str]:
    pad = "  " * depth
    out: list[str] = []
    for name, info in model.model_fields.items():
        if name in _SKIP:
            continue
        desc = (info.description or "").replace("\n", " ")
        sub, many = _record_model(info.annotation)
        required = info.is_required()
        comment = "" if required else "# "
        if name == "kind" and path == "":
            out.append(f"{pad}kind: {kind}")
            continue
        if sub is not None and sub.__name__ != "Range":
            out.append(f"{pad}{comment}{name}:{'  # ' + desc if desc else ''}")
            if depth >= _MAX_DEPTH or (sub is model):
                out.append(f"{pad}{comment}  # (same fields as the enclosing record)")
                continue
            sub_path = f"{path}.{name}" if path else name
            inner = _fields(sub, sub_path, depth + (2 if many else 1), kind)
            if many and inner:
                # The block's first field starts the list item: `- field: ...`.
                head = inner[0]
                inner[0] = "  " * (depth + 1) + "- " + head[len("  " * (depth + 2)) :]
            if not required:
                inner = [_commented(line, depth + 1) for line in inner]
            out.extend(inner)
            continue
        value = _PLACEHOLDERS.get((path, name), "")
        if required and not value:
            value = "..."
        line = f"{pad}{comment}{name}: {value}".rstrip()
        out.append(f"{line}  # {desc}" if desc else line)
    return out


def _commented(line: str, depth: int) -> str:
    """Comment a line of an optional block out, unless it already is."""
    if line.lstrip().startswith("#"):
        return line
    pad = "  " * depth
    return f"{pad}# {line[len(pad) :]}" if line.startswith(pad) else f"# {line}"


@dataclass(frozen=True)
class Settling:
    """An unknown fact, what it would decide, and how much of the verdict range."""

    path: str
    title: str
    gain: int  # levels above the regime's verdict that the highest question it settles reaches
    questions: tuple[str, ...]
    outcome: str


def settling_facts(result: ScreeningResult) -> list[Settling]:
    """Unknown facts ranked by how much of the verdict range settling them would decide."""
    found: dict[str, list[tuple[int, str, str]]] = {}
    for q in result.open_questions:
        floor = result.regimes[q.regime].verdict if q.regime in result.regimes else "clear"
        gain = rank(q.outcome or "clear") - rank(floor)
        for path in q.unknown_facts:
            found.setdefault(path, []).append((gain, q.rule_id, q.outcome or "clear"))
    # A block the record lacks is asked for as a whole, not fact by fact.
    missing = {p.split(".")[0] for p in found if p.endswith(".recorded")}
    found = {
        p: e for p, e in found.items() if p.endswith(".recorded") or p.split(".")[0] not in missing
    }
    out = []
    for path, entries in found.items():
        best = max(entries)
        out.append(
            Settling(
                path=path,
                title=_title(path),
                gain=best[0],
                questions=tuple(sorted({e[1] for e in entries})),
                outcome=best[2],
            )
        )
    return sorted(out, key=lambda s: (-s.gain, -len(s.questions), s.path))


def record_warnings(deal: DealRecord, references: References) -> list[str]:
    """Things in a valid record that are probably mistakes, each with its field path."""
    out = []
    site = getattr(deal, "site", None)
    name = site.nearest_installation if site is not None else None
    if name and not listed_installation(references, name):
        out.append(f"$.site.nearest_installation: {unknown_installation(references, name)}")
    return out


def ceiling(result: ScreeningResult) -> str:
    """The highest level the verdict could reach once the open questions are answered."""
    given = getattr(result, "ceiling", None)
    if isinstance(given, str):
        return given
    levels = [result.verdict, *(q.outcome or "clear" for q in result.open_questions)]
    return max(levels, key=rank)


_MEMBER = re.compile(r"^co_investors\[(\d+)\]\.(.+)$")


def _title(path: str) -> str:
    member = _MEMBER.match(path)
    if member:  # a consortium member's own fact (screening/engine/consortium.py)
        return f"co-investor {member.group(1)}: {_title(member.group(2))}"
    section, _, name = path.partition(".")
    if name == "recorded":
        return f"the `{_BLOCKS.get(section, section)}` block of the record"
    info = cached_field_info(path)
    return info[1] if info else path


def render_settling(items: list[Settling], limit: int = 20) -> str:
    """The ranked list as text, one fact per line."""
    if not items:
        return "No open questions: every rule is decided by the record.\n"
    lines = ["Facts that would settle open questions (most of the verdict range first):"]
    for s in items[:limit]:
        count = len(s.questions)
        lines.append(
            f"  {s.path}: {s.title} - could decide up to {s.outcome} "
            f"({count} question{'s' if count != 1 else ''}: {', '.join(s.questions[:3])}"
            f"{', ...' if count > 3 else ''})"
        )
    if len(items) > limit:
        lines.append(f"  ... and {len(items) - limit} more")
    return "\n".join(lines) + "\n"
