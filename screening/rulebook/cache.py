"""A cache of parsed rule documents, so a cold start does not run ruamel's composer again.

Parsing the rule files with ruamel's pure-Python composer (needed for exact line numbers) was
most of ``load_rulebook()``'s time. What is cached is only the parsed :class:`Document` (plain
data plus its map of node paths to lines) of each file that parsed without error, as JSON,
under a key that is a SHA-256 of the file's text, the parser's own source and the ruamel
version. Every rulebook check still runs on the cached data exactly as on freshly parsed data;
a file with a YAML error is never cached (it is parsed, and reported, every time).

Where: ``$DEALSCREEN_CACHE_DIR`` if set (an empty value turns the cache off), else
``$XDG_CACHE_HOME/dealscreen``, else ``~/.cache/dealscreen``; entries are under
``documents/``. An entry is used only if it decodes to exactly the shape written (a checksum of
its payload, its key, and every value of an allowed type); anything else (truncated, corrupt,
another format) is ignored and rewritten from a fresh parse. Writes go to a temporary file
renamed into place, so a reader never sees half an entry. A cache that cannot be written (a
read-only home) only costs the parse. The cache guards against corruption, not against someone
who can write the user's cache directory on purpose: such a user can also edit the layers.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from screening.model import _yaml
from screening.model._yaml import Document, PathKey

ENV_DIR = "DEALSCREEN_CACHE_DIR"
FORMAT = 1
_DECIMAL = "\x00decimal"  # YAML text cannot contain NUL, so no mapping has this key


def cache_dir() -> Path | None:
    """The cache directory in use, or None when the cache is turned off."""
    explicit = os.environ.get(ENV_DIR)
    if explicit is not None:
        return Path(explicit) if explicit else None
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    root = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return root / "dealscreen"


@cache
def _salt() -> bytes:
    """What else a cached document depends on: this format, the parser's code, ruamel."""
    import ruamel.yaml

    parser = Path(_yaml.__file__).read_bytes()
    head = f"dealscreen-documents {FORMAT} ruamel {ruamel.yaml.__version__}\n"
    return head.encode() + hashlib.sha256(parser).digest()


def document_key(text: str) -> str:
    """The cache key of a YAML text."""
    return hashlib.sha256(_salt() + text.encode("utf-8")).hexdigest()


def load_document(path: Path) -> Document:
    """``_yaml.load_file(path)``, from the cache when an intact entry for its text exists."""
    text = _yaml.read_text(path)
    if path.suffix.lower() == ".json":
        return _yaml.parse(text, str(path), json_format=True)
    root = cache_dir()
    if root is None:
        return _yaml.parse(text, str(path))
    key = document_key(text)
    entry = root / "documents" / f"{key}.json"
    found = read_entry(entry, key)
    if found is not None:
        data, lines = found
        return Document(str(path), data, lines)
    doc = _yaml.parse(text, str(path))  # raises DocumentError: nothing is written
    write_entry(entry, key, doc)
    return doc


# --- entries ---------------------------------------------------------------------------------


def _encode(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, Decimal):
        return {_DECIMAL: str(value)}
    if value is None or type(value) in (str, int, bool):
        return value
    raise TypeError(f"cannot cache a {type(value).__name__}")


class _Invalid(Exception):
    """An entry that is not exactly what this module writes."""


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if _DECIMAL in value:
            if len(value) != 1 or type(value[_DECIMAL]) is not str:
                raise _Invalid
            return Decimal(value[_DECIMAL])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if value is None or type(value) in (str, int, bool):
        return value
    raise _Invalid  # a float: never written


def _same(a: Any, b: Any) -> bool:
    """Equal and of the same types throughout (``1 == 1.0 == True`` is not enough)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(v, b[k]) for k, v in a.items())
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, Decimal):
        return str(a) == str(b)
    return bool(a == b)


def _payload(doc: Document) -> str:
    lines = [[list(k), n] for k, n in doc.lines.items()]
    return json.dumps({"data": _encode(doc.data), "lines": lines}, separators=(",", ":"))


def _unpack(payload: str) -> tuple[Any, dict[PathKey, int]]:
    body = json.loads(payload)
    if not isinstance(body, dict) or set(body) != {"data", "lines"}:
        raise _Invalid
    lines: dict[PathKey, int] = {}
    for item in body["lines"]:
        key, line = item
        if not isinstance(key, list) or type(line) is not int or line < 1:
            raise _Invalid
        if not all(type(part) in (str, int) for part in key):
            raise _Invalid
        lines[tuple(key)] = line
    return _decode(body["data"]), lines


def read_entry(entry: Path, key: str) -> tuple[Any, dict[PathKey, int]] | None:
    """The data and line map of an intact entry for ``key``; None if absent or not intact."""
    try:
        raw = entry.read_text(encoding="utf-8")
        head, payload = raw.split("\n", 1)
        meta = json.loads(head)
        if meta != {
            "format": FORMAT,
            "key": key,
            "sha256": hashlib.sha256(payload.encode("utf-8")).hexdigest(),
        }:
            return None
        return _unpack(payload)
    except (OSError, ValueError, TypeError, ArithmeticError, RecursionError, _Invalid):
        return None


def write_entry(entry: Path, key: str, doc: Document) -> bool:
    """Write ``doc``'s entry (atomically); False when it cannot be cached exactly or written."""
    try:
        payload = _payload(doc)
        data, lines = _unpack(payload)
    except (TypeError, ValueError, RecursionError, _Invalid):
        return False
    if not _same(data, doc.data) or lines != doc.lines:
        return False  # not exactly representable: parse this file every time
    meta = {
        "format": FORMAT,
        "key": key,
        "sha256": hashlib.sha256(payload.encode("utf-8")).hexdigest(),
    }
    text = json.dumps(meta) + "\n" + payload
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=entry.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(tmp, entry)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        return False
    return True
