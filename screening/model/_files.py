"""Where an installed package's files are, without importing it (importing pycountry or ruamel
costs a cold start, and the rulebook cache and the country check need only a file of each)."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def package_dir(name: str) -> Path | None:
    """The folder of the package ``name`` (dotted): the imported module's own if it is loaded,
    else the first ``sys.path`` entry holding it as a plain folder with ``__init__.py``, as the
    import system's path finder looks; None if neither (a zip, say: callers then import it)."""
    module = sys.modules.get(name)
    if module is not None:
        where = getattr(module, "__file__", None)
        return Path(where).parent if where else None
    for entry in sys.path:
        folder = Path(entry or os.getcwd()).joinpath(*name.split("."))
        if (folder / "__init__.py").is_file():
            return folder
    return None
