"""`dealscreen serve`: the command, its safety rule, its start-up message, and a real run."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from screening.cli.app import main


def _serve(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *args: str) -> dict[str, Any]:
    """Run `dealscreen serve` in-process with uvicorn.run replaced; return what it was given."""
    import uvicorn

    given: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: given.update(app=app, **kw))
    monkeypatch.delenv("DEALSCREEN_API_TOKEN", raising=False)
    code = main(["serve", "--db", str(tmp_path / "audit.db"), *args])
    given["exit"] = code
    return given


def test_without_token_it_says_loopback_only(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With no token the server starts on loopback and says so."""
    given = _serve(monkeypatch, tmp_path, "--port", "8123")
    assert (given["exit"], given["host"], given["port"]) == (0, "127.0.0.1", 8123)
    assert capsys.readouterr().err == (
        "dealscreen: no API token configured (DEALSCREEN_API_TOKEN or --token-file): listening "
        "on loopback only, 127.0.0.1:8123\n"
    )


def test_without_token_it_refuses_other_hosts(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With no token, a non-loopback host is refused before anything is bound (exit 2)."""
    given = _serve(monkeypatch, tmp_path, "--host", "0.0.0.0")
    assert given == {"exit": 2}
    assert capsys.readouterr().err == (
        "dealscreen: --host: token-required: refusing to listen on `0.0.0.0` without a token: set "
        "DEALSCREEN_API_TOKEN or pass --token-file, or listen on 127.0.0.1\n"
    )


def test_token_file_allows_other_hosts(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A token file allows any host; the message says a token is required."""
    token = tmp_path / "token"
    token.write_text("s3cret\n")
    given = _serve(monkeypatch, tmp_path, "--host", "0.0.0.0", "--token-file", str(token))
    assert (given["exit"], given["host"]) == (0, "0.0.0.0")
    assert capsys.readouterr().err == "dealscreen: bearer token required on 0.0.0.0:8000\n"


def test_missing_extra_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without the `server` extra, `serve` says what to install (exit 2, no traceback)."""
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    monkeypatch.delenv("DEALSCREEN_API_TOKEN", raising=False)
    assert main(["serve", "--db", str(tmp_path / "audit.db")]) == 2
    assert capsys.readouterr().err == (
        "dealscreen: serve: missing-extra: the HTTP server needs the `server` extra (uvicorn is not "
        "installed): pip install 'dealscreen[server]'\n"
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_dealscreen_serve_runs(tmp_path: Path) -> None:
    """The installed command serves on loopback with the token from the environment."""
    port = _free_port()
    env = {**os.environ, "DEALSCREEN_API_TOKEN": "s3cret-token"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "screening.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            "1",
            "--db",
            str(tmp_path / "audit.db"),
        ],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            try:
                if httpx.get(f"{url}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not come up"
            time.sleep(0.2)
        assert httpx.get(f"{url}/v1/rules").status_code == 401
        ok = httpx.get(f"{url}/v1/rules", headers={"Authorization": "Bearer s3cret-token"})
        assert ok.status_code == 200 and ok.json()
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0
    assert err.splitlines()[0] == f"dealscreen: bearer token required on 127.0.0.1:{port}"
