"""The OpenAPI document: committed as generated, built from the CLI's own models, and a checker
that rejects what the document does not allow (so the response checks in test_server mean it)."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest

from screening import Deal, ScreeningResult
from screening.server.app import create_app
from screening.server.openapi import render
from screening.server.settings import Settings
from tests.server_helpers import OPENAPI, openapi, validate


def test_committed_document_is_the_generated_one(tmp_path: Path) -> None:
    """docs/openapi.json is what the server generates (`python -m screening.server.openapi`)."""
    app = create_app(Settings(db=str(tmp_path / "audit.db")))
    assert OPENAPI.read_text() == render(app.openapi()), (
        "docs/openapi.json is stale: python -m screening.server.openapi > docs/openapi.json"
    )


def test_deal_schema_is_dealscreen_schema() -> None:
    """The request body schema is `Deal.model_json_schema()`, the output of `dealscreen schema`."""
    components = openapi()["components"]["schemas"]
    deal = Deal.model_json_schema(ref_template="#/components/schemas/{model}")
    defs = deal.pop("$defs")
    assert components["Deal"] == deal
    assert {name: components[name] for name in defs} == defs
    body = openapi()["paths"]["/v1/screen"]["post"]["requestBody"]["content"]
    assert body["application/json"]["schema"] == {"$ref": "#/components/schemas/Deal"}


def test_results_are_the_screening_result_model() -> None:
    """The screen answer is `ScreeningResult` plus an optional `screening_id`."""
    answer = openapi()["components"]["schemas"]["ScreenAnswer"]
    assert set(answer["properties"]) == set(ScreeningResult.model_fields) | {"screening_id"}
    assert set(answer["required"]) == {
        n for n, f in ScreeningResult.model_fields.items() if f.is_required()
    }


def test_every_component_is_a_valid_json_schema() -> None:
    """Each schema in the document is valid JSON Schema 2020-12 (OpenAPI 3.1's dialect)."""
    assert openapi()["openapi"].startswith("3.1")
    for schema in openapi()["components"]["schemas"].values():
        jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize(
    ("method", "path", "status", "media", "body"),
    [
        ("POST", "/v1/screen", 200, "application/json", b'{"verdict": "maybe"}'),
        ("POST", "/v1/screen", 200, "text/plain", b"{}"),
        ("GET", "/healthz", 200, "application/json", b'{"status": "ok"}'),
        ("GET", "/v1/rules", 418, "application/json", b"[]"),
        ("GET", "/v1/rules/x", 404, "application/problem+json", b'{"status": 404}'),
        ("POST", "/v1/review", 200, "application/x-ndjson", b'{"line": 1}\n'),
        ("GET", "/v1/elsewhere", 200, "application/json", b"{}"),
    ],
)
def test_checker_rejects_what_the_document_does_not_allow(
    method: str, path: str, status: int, media: str, body: bytes
) -> None:
    """A body, media type, status or path the document does not describe fails the check."""
    with pytest.raises(AssertionError):
        validate(method, path, status, media, body)
