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

import re
from types import CodeType
from typing import Any

from screening.errors import EngineError

_CODE: dict[tuple[str, str], CodeType] = {}
KEPT = 64  # compiled sources kept (a few rulebooks per process, a few functions each)
# A quote (any string, bytes or f-string literal needs one), or a number token that is not a
# plain decimal integer: a run of word characters and dots that starts with a digit (not inside
# an identifier such as ``k12``) or with a dot and a digit (anywhere). A regular expression, not
# ``tokenize`` (pure Python: a third of a second for the shipped rulebook's sources, at every
# process's first screening); at least as strict (tests/test_engine_codegen.py holds it to
# ``tokenize`` on random sources).
_DATA = re.compile(r"""['"]|(?<!\w)[0-9][\w.]*|\.[0-9][\w.]*""")
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
    for found in _DATA.finditer(source):
        text = found.group()
        if not _INTEGER.fullmatch(text):
            line = source.count("\n", 0, found.start()) + 1
            raise EngineError(
                f"generated code {filename} holds a literal ({text[:40]!r}, line {line}):"
                " data must be a constant"
            )
