"""``python -m screening.cli``: the ``dealscreen`` command (as the tests run it)."""

from screening.cli import main

raise SystemExit(main())
