"""The HTTP API: ``dealscreen serve`` (install the ``server`` extra: ``dealscreen[server]``).

::

    settings.py   configuration and the loopback-without-token rule (no FastAPI needed)
    command.py    the ``serve`` command (click; imports FastAPI only when it runs)
    app.py        the FastAPI app: routes, bearer token, body limit, problem details
    review.py     POST /v1/review: NDJSON streamed in and out, in order
    pool.py       the worker processes that screen, with the per-request timeout
    _worker.py    what runs in a worker: parse, validate, screen, record, explain, replay
    models.py     response models; openapi.py the OpenAPI document built from them
    problems.py   errors as RFC 9457 problem details
    _deps.py      the library internals the server uses, imported in one place

The API is described in ``docs/api.md`` and ``docs/openapi.json``.
"""

from __future__ import annotations

from screening.server.settings import ENV_TOKEN, Settings

__all__ = ["ENV_TOKEN", "Settings"]
