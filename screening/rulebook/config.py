"""The project configuration: ``dealscreen.toml``, or ``[tool.dealscreen]`` in ``pyproject.toml``.

Read from the current directory only (no search upwards, no environment), so a command's result
depends on what a user can see in the directory they run it from::

    # dealscreen.toml
    rules = ["our-policies", "../shared/part802-update"]   # layers on the shipped rulebook
    today = 2026-12-01                                      # the date `rules lint` reviews against

Paths are relative to the configuration file. ``dealscreen.toml`` wins over ``pyproject.toml``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from screening.errors import UsageError

CONFIG_NAMES = ("dealscreen.toml", "pyproject.toml")
_KEYS = {"rules", "today"}


@dataclass(frozen=True)
class Config:
    """The settings a configuration file gives (empty when there is none)."""

    rules: tuple[Path, ...] = ()
    today: dt.date | None = None
    source: str = ""


def _table(path: Path) -> dict[str, Any] | None:
    import tomllib  # only where a configuration file exists

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError.one(str(path), "invalid-config", f"cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError.one(str(path), "invalid-config", str(exc).splitlines()[0]) from None
    if path.name == "pyproject.toml":
        table = data.get("tool", {}).get("dealscreen")
        return table if isinstance(table, dict) else None
    return data


def load_config(cwd: Path | None = None) -> Config:
    """The configuration in ``cwd`` (default: the current directory)."""
    base = cwd or Path.cwd()
    for name in CONFIG_NAMES:
        path = base / name
        if not path.is_file():
            continue
        table = _table(path)
        if table is None:
            continue
        where = name if name == "dealscreen.toml" else f"{name} [tool.dealscreen]"
        unknown = sorted(set(table) - _KEYS)
        if unknown:
            raise UsageError.one(where, "invalid-config", f"unknown key `{unknown[0]}`")
        rules = table.get("rules", [])
        if not isinstance(rules, list) or not all(isinstance(r, str) for r in rules):
            raise UsageError.one(where, "invalid-config", "`rules` must be a list of directories")
        today = table.get("today")
        if today is not None and not isinstance(today, dt.date):
            try:
                today = dt.date.fromisoformat(str(today))
            except ValueError:
                raise UsageError.one(
                    where, "invalid-config", f"`today` = `{today}` is not a date (YYYY-MM-DD)"
                ) from None
        # Relative to the file; kept relative when it is the current directory, so rule
        # locations read `our-policies/...` rather than an absolute path.
        layers = tuple(Path(r) if cwd is None else base / r for r in rules)
        return Config(layers, today, where)
    return Config()


def configured_layers(cwd: Path | None = None) -> list[Path]:
    """The rulebook layers the configuration lists, in order (before any ``--rules``)."""
    return list(load_config(cwd).rules)


def resolve_layers(layers: tuple[str, ...] | list[str]) -> list[Path]:
    """The rulebook layers a command uses: the configured ones, then each ``--rules`` in order."""
    return [*configured_layers(), *(Path(p) for p in layers)]
