"""The OpenAPI document, generated from the same pydantic models as the CLI's JSON.

FastAPI describes the routes from their response models (the library's ``ScreeningResult``,
the audit module's answers); this module adds what FastAPI cannot see: the deal schema that
request bodies refer to (exactly ``Deal.model_json_schema()``, the output of ``dealscreen
schema``), the problem-details schema, and the NDJSON review line. ``docs/openapi.json`` is this
document, committed; ``python -m screening.server.openapi`` prints it.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from screening.server._deps import Deal
from screening.server.models import ProblemDetails, ReviewProblem, ScreenAnswer
from screening.server.problems import MEDIA_TYPE

NDJSON = "application/x-ndjson"
_REF = "#/components/schemas/{model}"


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Problem-details responses for these statuses, and for any other 4XX and 5XX."""
    content = {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}}
    described = {
        400: "a malformed request or parameter",
        401: "missing or wrong bearer token",
        404: "no such screening or rule (with the closest ids)",
        409: "the record does not reproduce under its recorded rulebook",
        413: "the request body is larger than the server's limit",
        422: "the deal record is invalid: every problem, located by its data path",
    }
    out: dict[int | str, dict[str, Any]] = {
        s: {"description": described[s], "content": content} for s in statuses
    }
    out["4XX"] = {"description": "a problem with the request", "content": content}
    out["5XX"] = {
        "description": "an internal error (with an error id), a timeout (504) or a restarted "
        "worker (503)",
        "content": content,
    }
    return out


def _add(components: dict[str, Any], name: str, schema: dict[str, Any], exact: bool) -> None:
    if name not in components:
        components[name] = schema
    elif exact and components[name] != schema:
        raise RuntimeError(f"two different schemas named {name} in the OpenAPI document")


def _merge(components: dict[str, Any], model: type[BaseModel], name: str, exact: bool) -> None:
    """Add a model's schema and its definitions; ``exact``: FastAPI must not have its own."""
    schema = model.model_json_schema(ref_template=_REF)
    for sub, sub_schema in schema.pop("$defs", {}).items():
        _add(components, sub, sub_schema, exact)
    _add(components, name, schema, exact)


def build_openapi(app: Any) -> dict[str, Any]:
    """The app's OpenAPI document (cached on the app)."""
    if app.openapi_schema:
        return app.openapi_schema  # type: ignore[no-any-return]
    from fastapi.openapi.utils import get_openapi

    doc = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
        separate_input_output_schemas=False,
    )
    components = doc.setdefault("components", {}).setdefault("schemas", {})
    # The deal schema exactly as `dealscreen schema` prints it (FastAPI never sees the model).
    _merge(components, Deal, "Deal", exact=True)
    # Models only this module refers to; FastAPI's own rendering wins where it has one (it
    # leaves out `"default": null`, which changes nothing a validator checks).
    _merge(components, ProblemDetails, "ProblemDetails", exact=False)
    _merge(components, ReviewProblem, "ReviewProblem", exact=False)
    _merge(components, ScreenAnswer, "ScreenAnswer", exact=False)
    components["ReviewLine"] = {
        "title": "ReviewLine",
        "description": "one line of `POST /v1/review` output",
        "oneOf": [
            {"$ref": _REF.format(model="ScreenAnswer")},
            {"$ref": _REF.format(model="ReviewProblem")},
        ],
    }
    doc["components"]["schemas"] = dict(sorted(components.items()))
    app.openapi_schema = doc
    return doc


def render(doc: dict[str, Any]) -> str:
    """The document as committed in ``docs/openapi.json``."""
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    """Print the OpenAPI document of a default server (``python -m screening.server.openapi``)."""
    import sys
    import tempfile

    from screening.server.app import create_app
    from screening.server.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings(db=f"{tmp}/audit.db"))
        sys.stdout.write(render(app.openapi()))


if __name__ == "__main__":
    main()
