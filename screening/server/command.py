"""``dealscreen serve``: run the HTTP API on uvicorn.

Imports FastAPI and uvicorn only when it runs, so the rest of the CLI works without the
``server`` extra; without it, ``serve`` says how to install it (exit status 2).
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import click

from screening.errors import UsageError
from screening.server.settings import ENV_TOKEN, MIB, Settings, read_token


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port."
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Worker processes that screen [default: the number of cores].",
)
@click.option(
    "--db",
    envvar="DEALSCREEN_DB",
    metavar="URL",
    help="Audit store: URL or SQLite path [default .dealscreen/audit.db].",
)
@click.option(
    "--rules",
    "layers",
    multiple=True,
    metavar="DIR",
    help="A rulebook layer on top of the shipped rules (repeatable).",
)
@click.option(
    "--token-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help=f"Read the bearer token from this file [default: ${ENV_TOKEN}].",
)
@click.option(
    "--max-body",
    type=click.IntRange(min=1),
    default=MIB,
    show_default=True,
    help="Largest request body (and review line) in bytes.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=30.0,
    show_default=True,
    help="Seconds a request may screen before it is stopped (504).",
)
def serve(
    host: str,
    port: int,
    workers: int | None,
    db: str | None,
    layers: tuple[str, ...],
    token_file: Path | None,
    max_body: int,
    timeout: float,
) -> None:
    """Serve the HTTP API (needs the `server` extra: pip install 'dealscreen[server]').

    Without a token (--token-file or $DEALSCREEN_API_TOKEN) it listens on loopback only.
    """
    settings = Settings(
        host=host,
        port=port,
        workers=workers,
        db=db,
        layers=layers,
        token=read_token(token_file),
        max_body=max_body,
        timeout=timeout,
    )
    settings.check()
    try:
        import uvicorn

        from screening.server.app import create_app
    except ImportError as exc:
        raise UsageError.one(
            "serve",
            "missing-extra",
            f"the HTTP server needs the `server` extra ({exc.name} is not installed): "
            "pip install 'dealscreen[server]'",
        ) from None
    app = create_app(settings)
    if settings.token is None:
        click.echo(
            f"dealscreen: no API token configured ({ENV_TOKEN} or --token-file): listening on "
            f"loopback only, {settings.host}:{settings.port}",
            err=True,
        )
    else:
        click.echo(
            f"dealscreen: bearer token required on {settings.host}:{settings.port}", err=True
        )
    sys.stderr.flush()
    log_config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    # Internal errors (with their error id and traceback) go where uvicorn's own errors go.
    log_config["loggers"]["screening.server"] = {
        "handlers": ["default"],
        "level": "INFO",
        "propagate": False,
    }
    uvicorn.run(
        app,
        log_config=log_config,
        host=settings.host,
        port=settings.port,
        log_level="info",
        server_header=False,
        timeout_graceful_shutdown=10,
    )
