"""The YAML half of :mod:`screening.model._yaml`: ruamel's composer, each node converted to
plain data with its line. A module of its own so that only parsing YAML imports ruamel (a
rulebook read from its cache, or a JSON deal, needs none). The rulebook cache's key covers this
file's code as well as ``_yaml.py``'s.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from screening.errors import Problem
from screening.model._yaml import (
    MAX_DEPTH,
    MAX_NODES,
    Document,
    DocumentError,
    PathKey,
    number_problem,
)


class _CountingComposer(Composer):
    """A composer that stops once a document holds more than MAX_NODES nodes."""

    nodes = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            mark = self.parser.peek_event().start_mark
            raise _TooManyNodes(mark.line + 1)
        return super().compose_node(parent, index)


class _TooManyNodes(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


def parse_yaml(text: str, name: str) -> Document:
    """Parse YAML text into a Document (see :mod:`screening.model._yaml`)."""
    yaml = YAML(typ="rt", pure=True)
    yaml.Composer = _CountingComposer
    try:
        node = yaml.compose(text)
    except _TooManyNodes as exc:
        raise DocumentError(
            [Problem(f"{name}:{exc.line}", "too-large", f"more than {MAX_NODES:,} values")]
        ) from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        message = (exc.problem or exc.context or "invalid YAML").strip()
        raise DocumentError([Problem(f"{name}:{line}", "invalid-yaml", message)]) from None
    except YAMLError as exc:
        raise DocumentError([Problem(name, "invalid-yaml", str(exc).splitlines()[0])]) from None
    except RecursionError:
        raise DocumentError([Problem(name, "too-deep", "nested too deeply")]) from None
    if node is None:
        return Document(name, None, {(): 1})
    lines: dict[PathKey, int] = {}
    data = _convert(node, (), lines, name, set())
    return Document(name, data, lines)


def _convert(node: Node, key: PathKey, lines: dict[PathKey, int], name: str, seen: set[int]) -> Any:
    line = node.start_mark.line + 1
    lines[key] = line
    if len(key) > MAX_DEPTH:
        raise DocumentError([Problem(f"{name}:{line}", "too-deep", "nested too deeply")])
    if getattr(node, "anchor", None) or id(node) in seen:
        raise DocumentError(
            [Problem(f"{name}:{line}", "yaml-alias", "anchors and aliases are not allowed")]
        )
    seen.add(id(node))
    tag = node.tag or ""
    if tag and not (tag.startswith("tag:yaml.org,2002:") and "python" not in tag):
        raise DocumentError([Problem(f"{name}:{line}", "yaml-tag", f"tag `{tag}` is not allowed")])
    if isinstance(node, MappingNode):
        out: dict[str, Any] = {}
        for knode, vnode in node.value:
            if not isinstance(knode, ScalarNode):
                raise DocumentError(
                    [Problem(f"{name}:{line}", "invalid-key", "mapping keys must be plain text")]
                )
            k = str(_scalar(knode, name))
            if k in out:
                kl = knode.start_mark.line + 1
                raise DocumentError([Problem(f"{name}:{kl}", "duplicate-key", f"`{k}` twice")])
            lines[(*key, k)] = knode.start_mark.line + 1
            out[k] = _convert(vnode, (*key, k), lines, name, seen)
        return out
    if isinstance(node, SequenceNode):
        return [_convert(v, (*key, i), lines, name, seen) for i, v in enumerate(node.value)]
    if isinstance(node, ScalarNode):
        return _scalar(node, name)
    raise DocumentError([Problem(f"{name}:{line}", "invalid-yaml", "unsupported node")])


_SAFE = YAML(typ="safe", pure=True)


def _scalar(node: ScalarNode, name: str) -> Any:
    tag = node.tag or ""
    if node.style == ">":
        # The round-trip composer marks each fold of a folded scalar with BEL ("\a").
        return node.value.replace("\a", "")
    if tag.endswith(":str") or node.style in ("'", '"', "|"):
        return node.value
    if tag.endswith((":float", ":int")):
        problem = number_problem(node.value.replace("_", ""))
        if problem is not None:
            line = node.start_mark.line + 1
            raise DocumentError([Problem(f"{name}:{line}", "invalid-number", problem)])
    if tag.endswith(":float"):
        try:
            return Decimal(node.value.replace("_", ""))
        except ArithmeticError:
            return node.value
    if tag.endswith(":timestamp"):
        return node.value
    try:
        value = _SAFE.constructor.construct_object(node, deep=True)
    except Exception as exc:  # ruamel raises many types for odd scalars
        line = node.start_mark.line + 1
        message = str(exc).splitlines()[0]
        raise DocumentError([Problem(f"{name}:{line}", "invalid-yaml", message)]) from None
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
