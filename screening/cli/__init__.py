"""Stage 7: the ``dealscreen`` command: one module per command group, plus shared helpers.
Thin: parse, call the library, render, exit code.

:func:`main` is the console entry point. It imports the command itself, so that Ctrl-C while
the (heavier) modules load exits with status 130 and one line, never a traceback.
"""

from __future__ import annotations

import sys

EXIT_INTERRUPTED = 130


def main(argv: list[str] | None = None) -> int:
    """Run ``dealscreen``; Ctrl-C at any point (start-up included) exits 130."""
    try:
        from screening.cli.app import main as run

        return run(argv)
    except KeyboardInterrupt:
        sys.stderr.write("dealscreen: interrupted\n")
        return EXIT_INTERRUPTED
