"""Stage 7: the ``dealscreen`` command: one module per command group, plus shared helpers.
Thin: parse, call the library, render, exit code.
"""
