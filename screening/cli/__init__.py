"""Stage 7: the ``dealscreen`` command: one module per command group, plus shared helpers.
Thin: parse, call the library, render, exit code.

:func:`console` is the program's entry point (the ``dealscreen`` script, ``python -m
screening.cli``); :func:`main` runs one command and returns its exit status (tests call it). It
imports the command itself, so that Ctrl-C while the (heavier) modules load exits with status
130 and one line, never a traceback.

Start-up (the imports, the rulebook, a deal) makes a few hundred thousand objects that live as
long as the process and almost no garbage, yet the cyclic garbage collector kept walking them
as they were made: its passes (one over every object of the process among them) were about a
sixth of a cold ``dealscreen screen``. :func:`main` pauses it for start-up; every command but
``screen`` (one deal, then exit) turns it back on before it runs (:func:`resume_gc`), and
:func:`main` turns it back on when it returns. Reference counting frees everything else as
usual while the collector is paused.

The program itself (:func:`console`, the ``dealscreen`` script and ``python -m screening.cli``)
then exits without the interpreter's last full collection over all those objects (another
sixth): it freezes them first (:func:`gc.freeze`). Output is flushed and ``atexit`` handlers
run as ever; what is skipped is finalizing garbage cycles, which Python never promises at exit.
"""

from __future__ import annotations

import gc
import sys

EXIT_INTERRUPTED = 130

_paused = False  # whether main() paused the collector (and it has not been resumed)


def resume_gc() -> None:
    """Turn the cyclic garbage collector back on if :func:`main` paused it."""
    global _paused
    if _paused:
        _paused = False
        gc.enable()


def console() -> int:
    """The ``dealscreen`` program: :func:`main`, then every object frozen for the exit."""
    status = main()
    gc.freeze()
    return status


def main(argv: list[str] | None = None) -> int:
    """Run ``dealscreen``; Ctrl-C at any point (start-up included) exits 130."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True
    try:
        from screening.cli.app import main as run

        return run(argv)
    except KeyboardInterrupt:
        sys.stderr.write("dealscreen: interrupted\n")
        return EXIT_INTERRUPTED
    finally:
        resume_gc()
