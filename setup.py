"""The one build step ``pyproject.toml`` cannot state: the wheel carries its rule files already
parsed (``screening/rulebook/prebuilt/``, the rulebook cache's entries for the shipped rules), so
the first ``dealscreen`` run after an install does not parse YAML. See docs/install.md, "The
rulebook cache". An editable install (``pip install -e .``) gets none: its rule files are the
checkout's ``rules/``, edited in place, so it relies on the user's cache alone.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPy(build_py):  # type: ignore[misc]
    """``build_py``, then the shipped rule files parsed into the built package."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        lib = Path(self.build_lib).resolve()
        # The built copy of the package parses the built copy of the rules: -m runs it from
        # `lib` (the working directory comes first on sys.path); -B writes no bytecode there.
        subprocess.run(
            [
                sys.executable,
                "-B",
                "-m",
                "screening.rulebook.cache",
                str(lib / "screening" / "rules"),
                str(lib / "screening" / "rulebook" / "prebuilt"),
            ],
            cwd=lib,
            check=True,
        )


setup(cmdclass={"build_py": BuildPy})
