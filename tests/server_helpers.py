"""A real uvicorn server on loopback for the HTTP API tests, and a client that checks every
response it receives against the committed OpenAPI document (docs/openapi.json)."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any

import httpx
import jsonschema
import uvicorn

from screening.server import _worker
from screening.server.app import create_app
from screening.server.pool import Screener
from screening.server.problems import Internal
from screening.server.settings import Settings
from tests.conftest import ROOT

OPENAPI = ROOT / "docs" / "openapi.json"
TOKEN = "test-token-0123456789abcdef"


@dataclass
class Live:
    """A running server: its base URL and its app."""

    url: str
    app: Any


@contextmanager
def live_server(settings: Settings, screener: Screener | None = None) -> Iterator[Live]:
    """Run ``create_app(settings)`` on uvicorn on 127.0.0.1, a free port, in a thread."""
    app = create_app(settings, screener=screener)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield Live(f"http://127.0.0.1:{port}", app)
    finally:
        server.should_exit = True
        thread.join(60)
        sock.close()


# --------------------------------------------------------------------------------------------
# Checking responses against the OpenAPI document


@cache
def openapi() -> dict[str, Any]:
    """The committed OpenAPI document."""
    return json.loads(OPENAPI.read_text())  # type: ignore[no-any-return]


@cache
def _routes() -> list[tuple[re.Pattern[str], str]]:
    return [
        (re.compile("^" + re.sub(r"\{[^/]+\}", "[^/]+", path) + "$"), path)
        for path in openapi()["paths"]
    ]


_UNDOCUMENTED = {
    "description": "an unknown route (404) or method (405): a problem",
    "content": {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}
    },
}


def response_spec(method: str, path: str, status: int) -> dict[str, Any]:
    """The OpenAPI response object for a method, a concrete path and a status."""
    doc = openapi()
    template = next((t for pattern, t in _routes() if pattern.match(path)), None)
    operation = doc["paths"][template].get(method.lower()) if template else None
    if operation is None:
        # No route: the only answer the server may give is a 404 or 405 problem.
        assert status in (404, 405), f"{method} {path} is not in the OpenAPI document"
        return _UNDOCUMENTED
    responses = operation["responses"]
    for key in (str(status), f"{status // 100}XX", "default"):
        if key in responses:
            return responses[key]  # type: ignore[no-any-return]
    raise AssertionError(f"{method} {template}: status {status} is not documented")


def validate(method: str, path: str, status: int, content_type: str, body: bytes) -> None:
    """Assert a response (status, media type, body) is one the OpenAPI document allows."""
    spec = response_spec(method, path, status)
    media = content_type.split(";")[0].strip()
    content = spec.get("content", {})
    assert media in content, f"{method} {path} {status}: {media} not in {sorted(content)}"
    schema = {**content[media]["schema"], "components": openapi()["components"]}
    validator = jsonschema.Draft202012Validator(schema)
    text = body.decode("utf-8")
    items = (
        [json.loads(line) for line in text.splitlines()]
        if "ndjson" in media
        else [json.loads(text)]
    )
    for item in items:
        errors = sorted(validator.iter_errors(item), key=lambda e: list(e.path))
        assert not errors, (
            f"{method} {path} {status}: {errors[0].message} at {list(errors[0].path)}"
        )


def _check(response: httpx.Response) -> None:
    response.read()
    validate(
        response.request.method,
        response.request.url.path,
        response.status_code,
        response.headers.get("content-type", ""),
        response.content,
    )


def client(live: Live, token: str | None = TOKEN, **kw: Any) -> httpx.Client:
    """An httpx client for the server; every response is checked against the OpenAPI document."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    headers.update(kw.pop("headers", {}))
    return httpx.Client(
        base_url=live.url,
        headers=headers,
        timeout=120,
        event_hooks={"response": [_check]},
        **kw,
    )


# --------------------------------------------------------------------------------------------
# A screener with faults to order (for the timeout and internal-error tests)


def sleepy(*_args: Any) -> str:
    """A worker task that outlives any test timeout."""
    time.sleep(600)
    return ""


def broken(*_args: Any) -> Internal:
    """A worker task that fails internally, as an engine defect would."""
    try:
        raise RuntimeError("injected failure in a worker")
    except RuntimeError:
        import traceback

        return Internal(traceback.format_exc())


class FaultyScreener(Screener):
    """Screens normally, except the bodies ``"sleep"``, ``"internal"`` and ``"crash"``."""

    async def run(self, fn: Any, *args: Any) -> Any:
        if fn is _worker.screen_one:
            body = args[0]
            if body == b'"sleep"':
                return await super().run(sleepy, *args)
            if body == b'"internal"':
                return await super().run(broken, *args)
            if body == b'"crash"':
                raise RuntimeError("injected failure in the server process")
        return await super().run(fn, *args)
