"""Compiling the Python the engine writes out once per rulebook (issue 14).

``evaluate.stratum_source``, ``run._values_function`` and ``compiler.selector`` write Python
source from a rulebook's validated structure; none of it holds data (every rule id, path,
literal and text is a global constant of the generated code, ``k0``, ``k1``, ...). The source
of one rulebook shape is compiled once per process and kept here, bounded.
"""

from __future__ import annotations

from types import CodeType
from typing import Any

_CODE: dict[tuple[str, str], CodeType] = {}
KEPT = 64  # compiled sources kept (a few rulebooks per process, a few functions each)


def define(
    source: str, filename: str, name: str, names: dict[str, Any], constants: list[Any]
) -> Any:
    """The function ``name`` that ``source`` defines, with ``names`` (helpers, and the
    builtins it may use as ``__builtins__``) and ``constants`` (as ``k0``, ``k1``, ...) for
    its globals."""
    key = (filename, source)
    code = _CODE.get(key)
    if code is None:
        if len(_CODE) >= KEPT:
            _CODE.clear()
        code = _CODE[key] = compile(source, filename, "exec")
    namespace = dict(names)
    namespace.update((f"k{i}", value) for i, value in enumerate(constants))
    exec(code, namespace)
    return namespace[name]
