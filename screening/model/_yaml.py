"""Reading YAML and JSON documents safely, keeping the line of every node.

Documents become plain Python data (dicts, lists, str, int, float, bool, None, dates as strings)
together with a map from each node's path to its 1-based line, so errors can point at
``file:line``. Tags, anchors and aliases are refused: rule files and deals have no use for them,
and aliases are how "billion laughs" documents blow up memory.

Every document has bounded cost whatever its content (docs/deals.md "Limits"): at most
``MAX_BYTES`` bytes (a file, or one JSON Lines line), ``MAX_NODES`` values, ``MAX_DEPTH`` levels
of nesting, and numbers of at most ``MAX_NUMBER_CHARS`` characters with a decimal exponent within
``MAX_EXPONENT``, checked while parsing: ``1e9999999`` or a 5,000-digit integer is a located
error before anything converts it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from screening.errors import Problem

PathKey = tuple[str | int, ...]
MAX_BYTES = 5_000_000
MAX_DEPTH = 40
MAX_NODES = 100_000
MAX_NUMBER_CHARS = 50
MAX_EXPONENT = 50


class _BadNumber:
    """A number too long or too large to convert, kept as text until it can be located."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def number_problem(text: str) -> str | None:
    """Why a numeral is refused before conversion (too many digits, exponent too large)."""
    if len(text) > MAX_NUMBER_CHARS:
        return f"number `{text[:20]}…` has too many digits (at most {MAX_NUMBER_CHARS} characters)"
    try:
        value = Decimal(text)
    except ArithmeticError:
        return None  # not a number at all: left to the parser or the model
    if value.is_finite() and not value.is_zero() and abs(value.adjusted()) > MAX_EXPONENT:
        return f"number `{text}` is out of range (magnitude 1e-{MAX_EXPONENT} to 1e{MAX_EXPONENT})"
    return None


def _json_int(text: str) -> int | _BadNumber:
    return _BadNumber(text) if number_problem(text) else int(text)


def _json_float(text: str) -> Decimal | _BadNumber:
    return _BadNumber(text) if number_problem(text) else Decimal(text)


def json_loads(text: str | bytes) -> Any:
    """``json.loads`` with exact decimals and numbers refused before conversion (see
    :func:`check_tree`, which locates them)."""
    return json.loads(
        text, parse_float=_json_float, parse_int=_json_int, object_pairs_hook=_no_duplicates
    )


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
    # ruamel is imported only to parse YAML (a rulebook read from its cache needs none).
    from screening.model._yamlparse import parse_yaml

    return parse_yaml(text, name)


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
    """Parse JSON text strictly: decimals stay exact, numbers are capped, a duplicate key is a
    :class:`DuplicateKeyError` (the standard parser silently keeps the last one)."""
    return json_loads(text)


def _parse_json(text: str, name: str) -> Document:
    try:
        data = json_loads(text)
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
    check_tree(data, name)
    return Document(name, data, {(): 1})


def check_tree(data: Any, name: str) -> None:
    """Check parsed JSON: nesting depth, number of values, refused numbers (located by path)."""
    count = 0
    stack: list[tuple[Any, str, int]] = [(data, "$", 0)]
    while stack:
        node, path, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise DocumentError([Problem(name, "too-large", f"more than {MAX_NODES:,} values")])
        if depth > MAX_DEPTH:
            raise DocumentError([Problem(name, "too-deep", "nested too deeply")])
        if isinstance(node, _BadNumber):
            problem = number_problem(node.text) or "number out of range"
            raise DocumentError([Problem(name, "invalid-number", f"{path}: {problem}")])
        if isinstance(node, dict):
            stack.extend((v, f"{path}.{k}", depth + 1) for k, v in reversed(node.items()))
        elif isinstance(node, list):
            stack.extend((v, f"{path}[{i}]", depth + 1) for i, v in reversed(list(enumerate(node))))


_check_depth = check_tree  # the former name, kept for callers outside this module


def read_line(fh: BinaryIO) -> bytes | None:
    """One line of a JSON Lines stream, at most MAX_BYTES read; b"" at the end; None when the
    line was longer (the rest of it is skipped without being held)."""
    raw = fh.readline(MAX_BYTES + 1)
    if len(raw) <= MAX_BYTES or raw.endswith(b"\n"):
        return raw
    while True:
        more = fh.readline(1 << 20)
        if not more or more.endswith(b"\n"):
            return None


def jsonl_lines(fh: BinaryIO) -> Iterator[tuple[int, bytes | None]]:
    """(line number, line or None when over the size cap) for every line of a stream."""
    number = 0
    while True:
        raw = read_line(fh)
        if raw == b"":
            return
        number += 1
        yield number, raw


def too_large_line() -> str:
    """The message for a JSON Lines line over the size cap."""
    return f"line longer than {MAX_BYTES:,} bytes"


def iter_jsonl(path: Path) -> Iterator[tuple[int, Document | DocumentError]]:
    """Stream a JSON Lines file: one (line number, document or error) per non-blank line."""
    with path.open("rb") as fh:
        for number, raw in jsonl_lines(fh):
            where = f"{path}:{number}"
            if raw is None:
                yield number, DocumentError([Problem(where, "too-large", too_large_line())])
                continue
            if not raw.strip():
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                yield number, DocumentError([Problem(where, "not-utf8", "not UTF-8 text")])
                continue
            try:
                data = json_loads(text)
                check_tree(data, where)
            except DuplicateKeyError as exc:
                yield number, DocumentError([Problem(where, "duplicate-key", exc.message)])
                continue
            except json.JSONDecodeError as exc:
                yield number, DocumentError([Problem(where, "invalid-json", exc.msg.lower())])
                continue
            except RecursionError:
                yield number, DocumentError([Problem(where, "too-deep", "nested too deeply")])
                continue
            except DocumentError as exc:
                yield number, exc
                continue
            yield number, Document(where, data, {(): number})


__all__ = ["Document", "DocumentError", "iter_jsonl", "load_file"]
