"""Compiling the Python the engine writes out once per rulebook (issue 14).

``evaluate.stratum_source``, ``run._values_function`` and ``compiler.selector`` write Python
source from a rulebook's validated structure; none of it holds data (every rule id, path,
literal and text is a global constant of the generated code, ``k0``, ``k1``, ...), and
:func:`define` refuses a source that holds a string literal or a number other than a plain
integer before compiling it. This is the one module of the package that compiles and runs
code (tests/test_security.py allows exactly its two lines). The source of one rulebook shape
is compiled once per process and kept here, bounded.
"""

from __future__ import annotations

import io
import re
import tokenize
from types import CodeType
from typing import Any

from screening.errors import EngineError

_CODE: dict[tuple[str, str], CodeType] = {}
KEPT = 64  # compiled sources kept (a few rulebooks per process, a few functions each)
_INTEGER = re.compile(r"[0-9]+")


def define(
    source: str, filename: str, name: str, names: dict[str, Any], constants: list[Any]
) -> Any:
    """The function ``name`` that ``source`` defines, with ``names`` (helpers, and the
    builtins it may use as ``__builtins__``) and ``constants`` (as ``k0``, ``k1``, ...) for
    its globals."""
    key = (filename, source)
    code = _CODE.get(key)
    if code is None:
        _holds_no_data(source, filename)
        if len(_CODE) >= KEPT:
            _CODE.clear()
        code = _CODE[key] = compile(source, filename, "exec")
    namespace = dict(names)
    namespace.update((f"k{i}", value) for i, value in enumerate(constants))
    exec(code, namespace)
    return namespace[name]


def _holds_no_data(source: str, filename: str) -> None:
    """Refuse generated source with a string literal or a number other than a plain integer
    (data belongs in the constants)."""
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.STRING or (
            token.type == tokenize.NUMBER and not _INTEGER.fullmatch(token.string)
        ):
            raise EngineError(
                f"generated code {filename} holds a literal ({token.string[:40]!r},"
                f" line {token.start[0]}): data must be a constant"
            )
