"""``python -m screening.cli``: the ``dealscreen`` command (as the tests run it)."""

from screening.cli import console

raise SystemExit(console())
