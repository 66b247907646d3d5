"""Reading YAML and JSON documents safely, keeping the line of every node.

Documents become plain Python data (dicts, lists, str, int, float, bool, None, dates as strings)
together with a map from each node's path to its 1-based line, so errors can point at
``file:line``. Tags, anchors and aliases are refused: rule files and deals have no use for them,
and aliases are how "billion laughs" documents blow up memory.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from screening.errors import Problem

PathKey = tuple[str | int, ...]
MAX_BYTES = 5_000_000
MAX_DEPTH = 40


class DocumentError(Exception):
    """A document could not be read or parsed; carries located problems."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.render() for p in problems))
        self.problems = problems


class Document:
    """Plain data read from a file, with the line of each node."""

    def __init__(self, path: str, data: Any, lines: dict[PathKey, int]) -> None:
        self.path = path
        self.data = data
        self.lines = lines

    def line_of(self, key: PathKey) -> int:
        """The line of the node at ``key``, or of its nearest ancestor that has one."""
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return self.lines.get((), 1)

    def where(self, key: PathKey) -> str:
        """``file:line`` of the node at ``key``."""
        return f"{self.path}:{self.line_of(key)}"


def read_text(path: Path) -> str:
    """Read a UTF-8 text file with a size limit; raise DocumentError on failure."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DocumentError([Problem(str(path), "file-not-found", "no such file")]) from None
    except IsADirectoryError:
        raise DocumentError([Problem(str(path), "not-a-file", "is a directory")]) from None
    except OSError as exc:
        raise DocumentError([Problem(str(path), "unreadable", exc.strerror or str(exc))]) from None
    if len(raw) > MAX_BYTES:
        raise DocumentError([Problem(str(path), "too-large", f"larger than {MAX_BYTES:,} bytes")])
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DocumentError(
            [Problem(str(path), "not-utf8", f"not UTF-8 text (byte {exc.start})")]
        ) from None


def load_file(path: Path) -> Document:
    """Load a ``.json``, ``.yaml`` or ``.yml`` file."""
    text = read_text(path)
    return parse(text, str(path), json_format=path.suffix.lower() == ".json")


def parse(text: str, name: str, *, json_format: bool = False) -> Document:
    """Parse YAML (or JSON, which is YAML too, but parsed strictly) into a Document."""
    if json_format:
        return _parse_json(text, name)
    return _parse_yaml(text, name)


class DuplicateKeyError(ValueError):
    """A JSON object names one key twice (JSON allows it; a deal record must not)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key

    def line(self, text: str) -> int:
        """The line of the key's second appearance in ``text`` (1 when it cannot be found)."""
        pattern = re.compile(re.escape(json.dumps(self.key)) + r"\s*:")
        found = [m.start() for m in pattern.finditer(text)]
        at = found[1] if len(found) > 1 else (found[0] if found else 0)
        return text.count("\n", 0, at) + 1

    @property
    def message(self) -> str:
        """The problem message."""
        return f"key `{self.key}` appears twice in one object: give each key once"


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise DuplicateKeyError(key)
        out[key] = value
    return out


def loads_json(text: str) -> Any:
    """Parse JSON text strictly: decimals stay exact, a duplicate key is a
    :class:`DuplicateKeyError` (the standard parser silently keeps the last one)."""
    return json.loads(text, parse_float=Decimal, object_pairs_hook=_no_duplicates)


def _parse_json(text: str, name: str) -> Document:
    try:
        data = loads_json(text)
    except DuplicateKeyError as exc:
        raise DocumentError(
            [Problem(f"{name}:{exc.line(text)}", "duplicate-key", exc.message)]
        ) from None
    except json.JSONDecodeError as exc:
        raise DocumentError(
            [Problem(f"{name}:{exc.lineno}", "invalid-json", exc.msg.lower())]
        ) from None
    except RecursionError:
        raise DocumentError([Problem(name, "too-deep", "nested too deeply")]) from None
    _check_depth(data, name)
    return Document(name, data, {(): 1})


def _parse_yaml(text: str, name: str) -> Document:
    yaml = YAML(typ="rt", pure=True)
    try:
        node = yaml.compose(text)
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


def _check_depth(data: Any, name: str, depth: int = 0) -> None:
    if depth > MAX_DEPTH:
        raise DocumentError([Problem(name, "too-deep", "nested too deeply")])
    if isinstance(data, dict):
        for v in data.values():
            _check_depth(v, name, depth + 1)
    elif isinstance(data, list):
        for v in data:
            _check_depth(v, name, depth + 1)


def iter_jsonl(path: Path) -> Iterator[tuple[int, Document | DocumentError]]:
    """Stream a JSON Lines file: one (line number, document or error) per non-blank line."""
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            where = f"{path}:{number}"
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                yield number, DocumentError([Problem(where, "not-utf8", "not UTF-8 text")])
                continue
            try:
                data = loads_json(text)
                _check_depth(data, where)
            except DuplicateKeyError as exc:
                yield number, DocumentError([Problem(where, "duplicate-key", exc.message)])
                continue
            except json.JSONDecodeError as exc:
                yield number, DocumentError([Problem(where, "invalid-json", exc.msg.lower())])
                continue
            except (RecursionError, DocumentError):
                yield number, DocumentError([Problem(where, "too-deep", "nested too deeply")])
                continue
            yield number, Document(where, data, {(): number})


__all__ = ["CommentedMap", "CommentedSeq", "Document", "DocumentError", "iter_jsonl", "load_file"]
