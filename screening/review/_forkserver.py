"""Preloaded by multiprocessing's fork server (and only there): the fork server dies with the
review process that started it (see :mod:`screening.review._lifeline`)."""

from __future__ import annotations

from screening.review._lifeline import die_with_parent

die_with_parent()
