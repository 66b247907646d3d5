"""``render_json`` (pydantic-core's indented JSON) is byte for byte what Python's ``json.dumps``
makes of ``to_jsonable``: the document the CLI and the HTTP API have always written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from screening import load_deal, screen
from screening.engine.explain import render_json, to_jsonable
from tests.conftest import FIXTURES

DEALS = sorted(FIXTURES.glob("*.yaml"))


def _python(result: Any, screening_id: int | None = None) -> str:
    data = to_jsonable(result, screening_id=screening_id)
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


@pytest.mark.parametrize("path", DEALS[::4], ids=lambda p: p.stem)
def test_render_json_is_json_dumps(path: Path, rulebook: Any) -> None:
    """Same bytes, without and with a screening id (added last)."""
    result = screen(load_deal(path), rulebook=rulebook)
    assert render_json(result) == _python(result)
    assert render_json(result, screening_id=0) == _python(result, 0)
    assert render_json(result, screening_id=123456) == _python(result, 123456)
    assert json.loads(render_json(result, screening_id=7))["screening_id"] == 7


def test_render_json_escapes_as_json_dumps(rulebook: Any) -> None:
    """Names with control characters, quotes, backslashes and characters beyond ASCII are
    written as json.dumps writes them (escaped or as they are)."""
    deal = load_deal(DEALS[0])
    name = 'Ülker "Q" \\ Co.\t\x01\x7f\u2028 😀'
    odd = deal.model_copy(update={"name": name})
    result = screen(odd, rulebook=rulebook)
    assert result.deal_name == name
    assert render_json(result) == _python(result)
