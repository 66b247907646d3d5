"""The FastAPI application: routes, bearer-token check, body limit, errors as problem details.

``create_app(settings)`` loads the rulebook, checks the audit store opens, and returns the app;
the workers start with the app (its lifespan). Every ``/v1`` route needs the bearer token when
one is configured; ``/healthz`` and ``/openapi.json`` never do.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from screening.server import _deps, _worker
from screening.server._deps import Deal, Rulebook, __version__, load_rulebook
from screening.server.models import (
    AuditAnswer,
    Health,
    ReplayAnswer,
    RuleDetail,
    RuleSummary,
    ScreenAnswer,
    ScreeningSummary,
    StoredScreeningAnswer,
)
from screening.server.openapi import NDJSON, build_openapi, problem_responses
from screening.server.pool import Screener
from screening.server.problems import MEDIA_TYPE, ApiProblem, Failure, Internal, log_internal
from screening.server.review import review_stream
from screening.server.settings import ENV_TOKEN, Settings

JSON = "application/json"


def _problem_response(problem: ApiProblem, request_path: str) -> Response:
    body = problem.details(request_path).model_dump_json(exclude_none=True)
    return Response(body, problem.status, headers=problem.headers, media_type=MEDIA_TYPE)


class _InternalErrors:
    """Answer any unhandled exception with a 500 problem and an error id (logged with its trace)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception:
            problem = log_internal(traceback.format_exc(), f"{scope['method']} {scope['path']}")
            if started:
                return  # the response is under way: it ends here, cut short
            await _problem_response(problem, scope["path"])(scope, receive, send)


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it exceeds ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> ApiProblem:
    return ApiProblem.one(
        "body", "body-too-large", f"the request body is larger than the limit of {limit} bytes"
    )


async def outcome(screener: Screener, fn: Callable[..., _worker.Outcome], *args: Any) -> str:
    """Run a worker task; its failure becomes a problem, its internal error a logged 500."""
    result = await screener.run(fn, *args)
    if isinstance(result, Failure):
        raise ApiProblem.of(result)
    if isinstance(result, Internal):
        raise log_internal(result.traceback, fn.__name__)
    return result


def _json(text: str) -> Response:
    return Response(text, media_type=JSON)


def create_app(settings: Settings, *, screener: Screener | None = None) -> FastAPI:
    """The application for ``settings`` (the rulebook is loaded and the store opened here)."""
    book = load_rulebook(_deps.resolve_layers(settings.layers))
    db_url = resolve_db(settings.db)
    _deps.Store(db_url).close()  # creates or migrates it now, or fails with a located message
    work = screener or Screener(book, db_url, settings.worker_count, settings.timeout)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await work.start()
        try:
            yield
        finally:
            work.close()

    app = FastAPI(
        title="dealscreen",
        version=__version__,
        summary="Screen investment deals against national-security investment rules.",
        description="dealscreen informs a decision; it is not legal advice.",
        docs_url=None,  # the Swagger and ReDoc pages load scripts from a CDN: no network
        redoc_url=None,
        separate_input_output_schemas=False,
        lifespan=lifespan,
    )
    app.add_middleware(_InternalErrors)
    app.state.screener = work

    @app.exception_handler(ApiProblem)
    async def _on_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiProblem)
        return _problem_response(exc, request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _on_invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        problems = [
            (".".join(str(p) for p in e["loc"]), "invalid-parameter", _lower(e["msg"]))
            for e in exc.errors()
        ]
        return _problem_response(ApiProblem(problems, status=400), request.url.path)

    @app.exception_handler(StarletteHTTPException)
    async def _on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        code = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        message = {
            404: f"no endpoint `{request.url.path}`",
            405: f"`{request.method}` is not allowed on `{request.url.path}`",
        }.get(exc.status_code, str(exc.detail))
        problem = ApiProblem.one("", code, _lower(message), status=exc.status_code)
        return _problem_response(problem, request.url.path)

    _routes(app, settings, book, work)
    app.openapi = lambda: build_openapi(app)  # type: ignore[method-assign]
    return app


def resolve_db(db: str | None) -> str:
    """The store's URL; a relative SQLite path made absolute (workers may run elsewhere)."""
    url = db or _deps.default_url()
    if "://" not in url:
        url = str(Path(url).expanduser().resolve())
    return _deps.normalize_url(url)


def _lower(text: str) -> str:
    return text[:1].lower() + text[1:]


# Module level: FastAPI resolves the dependency's annotation in this module's namespace.
_SCHEME = HTTPBearer(auto_error=False, description=f"the server's token (`{ENV_TOKEN}`)")


def _bearer(settings: Settings) -> Callable[..., Awaitable[None]]:
    async def check(
        creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_SCHEME)],
    ) -> None:
        if settings.token is None:
            return  # loopback only (Settings.check)
        given = creds.credentials if creds is not None else ""
        if not given or not hmac.compare_digest(given.encode(), settings.token.encode()):
            raise ApiProblem.one(
                "Authorization",
                "unauthorized",
                "a valid bearer token is required (`Authorization: Bearer <token>`)"
                if not given
                else "the bearer token is not the server's",
                status=401,
                headers={"WWW-Authenticate": "Bearer"},
            )

    return check


Question = Literal["why", "why-not"]
Level = Literal["clear", "covered", "filing_advised", "filing_required", "prohibited"]


def _routes(app: FastAPI, settings: Settings, book: Rulebook, work: Screener) -> None:
    v1 = APIRouter(prefix="/v1", dependencies=[Depends(_bearer(settings))])
    schema_text = json.dumps(Deal.model_json_schema(), indent=2, sort_keys=True) + "\n"
    rules_text = (
        json.dumps(
            [
                RuleSummary(
                    id=r.id,
                    kind=r.kind,
                    outcome=r.outcome,
                    regime=r.regime,
                    title=r.title,
                    citation=r.citation,
                    location=r.location,
                ).model_dump(mode="json")
                for r in book.rules.values()
            ],
            indent=2,
        )
        + "\n"
    )
    deal_body = {"$ref": "#/components/schemas/Deal"}

    @app.get("/healthz", response_model=Health, tags=["health"])
    async def healthz() -> Health:
        """The server is up; the dealscreen and rulebook versions it screens with."""
        return Health(
            status="ok",
            dealscreen_version=__version__,
            rulebook_version=book.version,
            workers=work.workers,
        )

    @v1.post(
        "/screen",
        response_model=ScreenAnswer,
        responses=problem_responses(400, 413, 422),
        openapi_extra={
            "requestBody": {
                "required": True,
                "description": "one deal record (the schema of `dealscreen schema`)",
                "content": {JSON: {"schema": deal_body}},
            }
        },
        tags=["screen"],
    )
    async def screen(
        request: Request,
        record: Annotated[
            bool, Query(description="record the screening in the audit store")
        ] = False,
        as_of: Annotated[dt.date | None, Query(description="screen as of this date")] = None,
    ) -> Response:
        """Screen one deal: the result `dealscreen screen --format json` prints."""
        body = await read_body(request, settings.max_body)
        return _json(await outcome(work, _worker.screen_one, body, as_of, record))

    @v1.post(
        "/review",
        response_class=Response,
        responses={
            200: {
                "description": "one line per non-blank input line, in input order: a "
                "compact screening result, or a problem (with its `line`) for a line that "
                "could not be screened",
                "content": {NDJSON: {"schema": {"$ref": "#/components/schemas/ReviewLine"}}},
            },
            **problem_responses(),
        },
        openapi_extra={
            "requestBody": {
                "required": True,
                "description": "deal records, one JSON object per line (blank lines skipped)",
                "content": {NDJSON: {"schema": deal_body}},
            }
        },
        tags=["screen"],
    )
    async def review(
        request: Request,
        record: Annotated[
            bool, Query(description="record each screening in the audit store")
        ] = False,
        as_of: Annotated[dt.date | None, Query(description="screen as of this date")] = None,
    ) -> Response:
        """Screen a stream of deals (NDJSON in, NDJSON out, streamed, in order)."""
        return review_stream(request, work, settings, as_of, record)

    @v1.get(
        "/screenings",
        response_model=list[ScreeningSummary],
        responses=problem_responses(),
        tags=["audit"],
    )
    async def screenings(
        limit: Annotated[
            int, Query(ge=1, le=10_000, description="at most this many, newest first")
        ] = 100,
        deal_id: Annotated[str | None, Query(description="only this deal id")] = None,
        verdict: Annotated[Level | None, Query(description="only this overall verdict")] = None,
        since: Annotated[
            dt.date | None, Query(description="only those recorded on or after")
        ] = None,
    ) -> Response:
        """Recorded screenings, newest first (`dealscreen audit list --format json`)."""
        return _json(await outcome(work, _worker.list_screenings, limit, deal_id, verdict, since))

    @v1.get(
        "/screenings/{screening_id}",
        response_model=StoredScreeningAnswer,
        responses=problem_responses(404),
        tags=["audit"],
    )
    async def screening(screening_id: int) -> Response:
        """One recorded screening as recorded (`dealscreen audit show --format json`)."""
        return _json(await outcome(work, _worker.show_screening, screening_id))

    async def _explain(screening_id: int, rule_id: str, question: Question) -> Response:
        return _json(await outcome(work, _worker.explain, screening_id, rule_id, question))

    @v1.get(
        "/screenings/{screening_id}/why/{rule_id}",
        response_model=AuditAnswer,
        responses=problem_responses(404, 409),
        tags=["audit"],
    )
    async def why(screening_id: int, rule_id: str) -> Response:
        """Why a rule fired in a recorded screening (`dealscreen audit why`)."""
        return await _explain(screening_id, rule_id, "why")

    @v1.get(
        "/screenings/{screening_id}/why-not/{rule_id}",
        response_model=AuditAnswer,
        responses=problem_responses(404, 409),
        tags=["audit"],
    )
    async def why_not(screening_id: int, rule_id: str) -> Response:
        """Why a rule did not fire in a recorded screening (`dealscreen audit why-not`)."""
        return await _explain(screening_id, rule_id, "why-not")

    @v1.get(
        "/screenings/{screening_id}/replay",
        response_model=ReplayAnswer,
        responses=problem_responses(404, 409),
        tags=["audit"],
    )
    async def replay(screening_id: int) -> Response:
        """Re-screen a recorded deal with the server's rulebook (`dealscreen audit replay`)."""
        return _json(await outcome(work, _worker.replay, screening_id))

    @v1.get(
        "/rules",
        response_model=list[RuleSummary],
        responses=problem_responses(),
        tags=["rules"],
    )
    async def rules(
        regime: Annotated[str | None, Query(description="only the rules of this regime")] = None,
    ) -> Response:
        """The rules of the server's rulebook (`dealscreen rules list --format json`)."""
        if regime is None:
            return _json(rules_text)
        if regime not in book.regimes:
            raise ApiProblem.one(
                "regime",
                "unknown-regime",
                f"no regime `{regime}`{_deps.suggest(regime, book.regimes)}",
                status=404,
            )
        chosen = [r for r in json.loads(rules_text) if r["regime"] == regime]
        return _json(json.dumps(chosen, indent=2) + "\n")

    @v1.get(
        "/rules/{rule_id}",
        response_model=RuleDetail,
        responses=problem_responses(404),
        tags=["rules"],
    )
    async def rule(rule_id: str) -> Response:
        """One rule in full (`dealscreen rules show --format json`)."""
        if rule_id not in book.rules:
            raise ApiProblem.one(
                "rule_id",
                "unknown-rule",
                f"no rule `{rule_id}`{_deps.suggest(rule_id, book.rules)}",
            )
        found = book.rules[rule_id]
        data = {**_deps.normalize(found), "location": found.location}
        return _json(json.dumps(data, indent=2) + "\n")

    @v1.get(
        "/schema",
        response_class=Response,
        responses={
            200: {
                "description": "the JSON Schema of a deal record (`dealscreen schema`)",
                "content": {JSON: {"schema": {"type": "object"}}},
            },
            **problem_responses(),
        },
        tags=["rules"],
    )
    async def schema() -> Response:
        """The JSON Schema of a deal record, exactly as `dealscreen schema` prints it."""
        return _json(schema_text)

    app.include_router(v1)
