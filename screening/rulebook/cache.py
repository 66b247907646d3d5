"""A cache of parsed rule documents, so a cold start does not run ruamel's composer again.

Parsing the rule files with ruamel's pure-Python composer (needed for exact line numbers) was
most of ``load_rulebook()``'s time. What is cached is only the parsed :class:`Document` (plain
data plus its map of node paths to lines) of each file that parsed without error, as JSON,
under a key that is a SHA-256 of the file's text, the parser's own source and the ruamel
version. Every rulebook check still runs on the cached data exactly as on freshly parsed data;
a file with a YAML error is never cached (it is parsed, and reported, every time).

Where: first ``prebuilt/`` beside this module, the entries of the shipped rule files written
when the package was built (a wheel; not an editable install, whose rule files are the
checkout's, edited in place); then ``$DEALSCREEN_CACHE_DIR`` if set (an empty value turns the
cache off, the prebuilt entries included), else ``$XDG_CACHE_HOME/dealscreen``, else
``~/.cache/dealscreen``, entries under ``documents/``. Both are looked up by the key of the
text actually read, so an edited rule file, a layer, or another parser or ruamel finds no entry
and is parsed (its entry is then written to the user's cache, never to the package). An entry
is used only if it decodes to exactly the shape written (a checksum of its payload, its key,
one positive line number per node, every value of an allowed type); anything else (truncated,
corrupt, another format) is ignored and, in the user's cache, rewritten from a fresh parse.
Writes go to a temporary file renamed into place, so a reader never sees half an entry. A
cache that cannot be written (a read-only home) only costs the parse. The cache guards against
corruption, not against someone who can write the user's cache directory (or the installed
package) on purpose: such a user can also edit the layers (or the shipped rules).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from screening.model import _yaml
from screening.model._files import package_dir
from screening.model._yaml import Document, DocumentError, PathKey

ENV_DIR = "DEALSCREEN_CACHE_DIR"
PREBUILT = Path(__file__).resolve().with_name("prebuilt")  # written by setup.py's build_py
FORMAT = 2  # 2: the line map is a list of lines in document order (1 spelled every path out)
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
    """What else a cached document depends on: this format, the parser's code (both halves),
    ruamel (its ``__init__.py``, which states its version: read, not imported, so that a hit
    needs no ruamel)."""
    code = Path(_yaml.__file__)
    ruamel = package_dir("ruamel.yaml")
    if ruamel is None:  # not a plain folder on sys.path: ask the module itself
        import ruamel.yaml as module

        ruamel = Path(module.__file__ or "").parent
    parts = [
        code.read_bytes(),
        code.with_name("_yamlparse.py").read_bytes(),
        (ruamel / "__init__.py").read_bytes(),
    ]
    head = f"dealscreen-documents {FORMAT}\n".encode()
    return head + b"".join(hashlib.sha256(part).digest() for part in parts)


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
    for where in (PREBUILT / f"{key}.json", entry):
        found = read_entry(where, key)
        if found is not None:
            data, lines = found
            return Document(str(path), data, lines)
    doc = _yaml.parse(text, str(path))  # raises DocumentError: nothing is written
    write_entry(entry, key, doc)
    return doc


def prebuild(rules: Path, out: Path) -> int:
    """Write the entry of every rule file under ``rules`` that parses (and round-trips exactly)
    into ``out``, as the package build does for the shipped rules; the number written."""
    written = 0
    for path in sorted(rules.rglob("*")):
        if path.suffix not in (".yaml", ".yml") or not path.is_file():
            continue
        try:
            text = _yaml.read_text(path)
            doc = _yaml.parse(text, str(path))
        except DocumentError:
            continue  # reported when the rulebook loads, as ever
        key = document_key(text)
        written += write_entry(out / f"{key}.json", key, doc)
    return written


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


def node_paths(data: Any) -> list[PathKey]:
    """The path of every node of ``data`` in document order (the order the parser records
    lines in): the node itself, then each member or item and what it holds."""
    out: list[PathKey] = [()]
    append = out.append

    def walk(key: PathKey, node: Any) -> None:
        members = node.items() if type(node) is dict else enumerate(node)
        for k, value in members:
            path = (*key, k)
            append(path)
            if type(value) is dict or type(value) is list:
                walk(path, value)

    if type(data) is dict or type(data) is list:
        walk((), data)
    return out


def _payload(doc: Document) -> str:
    # Only the lines are written, in document order: the paths are those of the data's nodes.
    # A line map that is not one line per node, in that order, fails the check on writing.
    lines = list(doc.lines.values())
    return json.dumps({"data": _encode(doc.data), "lines": lines}, separators=(",", ":"))


def _decimal_or_mapping(value: dict[str, Any]) -> Any:
    """``json`` object hook: a marked decimal becomes a Decimal; any other mapping stays."""
    if _DECIMAL in value:
        if len(value) != 1 or type(value[_DECIMAL]) is not str:
            raise _Invalid
        return Decimal(value[_DECIMAL])
    return value


def _no_float(text: str) -> Any:
    raise _Invalid  # a float (or NaN, Infinity): never written


def _unpack(payload: str) -> tuple[Any, dict[PathKey, int]]:
    # One pass: decimals are decoded as the parser builds each mapping, and a float is refused.
    body = json.loads(
        payload,
        object_hook=_decimal_or_mapping,
        parse_float=_no_float,
        parse_constant=_no_float,
    )
    if not isinstance(body, dict) or set(body) != {"data", "lines"}:
        raise _Invalid
    data, numbers = body["data"], body["lines"]
    # JSON gives only dicts (str keys), lists, str, int, bool and None; floats were refused
    # and decimals checked above, so the data needs no further check. Lines: positive ints,
    # exactly one per node.
    if type(numbers) is not list or not numbers or set(map(type, numbers)) != {int}:
        raise _Invalid
    paths = node_paths(data)
    if len(paths) != len(numbers) or min(numbers) < 1:
        raise _Invalid
    return data, dict(zip(paths, numbers, strict=True))


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


if __name__ == "__main__":  # python -m screening.rulebook.cache RULES_DIR OUT_DIR (setup.py)
    print(f"prebuilt {prebuild(Path(sys.argv[1]), Path(sys.argv[2]))} rule documents")
