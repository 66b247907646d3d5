"""How a server is configured, and the one safety rule checked before anything is bound.

Imports nothing of the ``server`` extra, so ``dealscreen serve`` can refuse a bad configuration
with a clear message even where FastAPI is not installed.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from screening.errors import UsageError

ENV_TOKEN = "DEALSCREEN_API_TOKEN"
MIB = 1024 * 1024


@dataclass(frozen=True)
class Settings:
    """Where the server listens, what it screens with, and its limits."""

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int | None = None
    db: str | None = None
    layers: tuple[str, ...] = ()
    token: str | None = None
    max_body: int = MIB
    timeout: float = 30.0
    review_buffer: int = 64 * MIB

    @property
    def worker_count(self) -> int:
        """Worker processes that screen (default: the number of cores)."""
        return max(1, self.workers or os.cpu_count() or 1)

    def check(self) -> None:
        """Refuse to listen beyond loopback without a token."""
        if self.token is None and not is_loopback(self.host):
            raise UsageError.one(
                "--host",
                "token-required",
                f"refusing to listen on `{self.host}` without a token: set {ENV_TOKEN} or pass "
                "--token-file, or listen on 127.0.0.1",
            )


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address (``localhost``, ``127.0.0.0/8``, ``::1``)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def read_token(token_file: Path | None, environ: dict[str, str] | None = None) -> str | None:
    """The bearer token: from ``token_file`` if given, else ``$DEALSCREEN_API_TOKEN``."""
    if token_file is not None:
        try:
            token = token_file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError.one(
                str(token_file), "unreadable-token", f"cannot read the token file: {exc}"
            ) from None
        if not token:
            raise UsageError.one(str(token_file), "empty-token", "the token file is empty")
        return token
    env = os.environ if environ is None else environ
    token = env.get(ENV_TOKEN, "").strip()
    return token or None
