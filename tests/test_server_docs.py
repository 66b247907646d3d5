"""docs/api.md is executed: its files are written, each curl command is replayed with httpx
against a real server (empty store, a token) and must answer the status in its comment, and
the output the page shows is the answer, exactly."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from screening.server.settings import Settings
from tests.conftest import ROOT
from tests.server_helpers import TOKEN, Live, client, live_server
from tests.test_docs import blocks

PAGE = ROOT / "docs" / "api.md"
DOCS_URL = "http://127.0.0.1:8000"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    db = tmp_path_factory.mktemp("api-docs") / "audit.db"
    with live_server(Settings(db=str(db), token=TOKEN, workers=1)) as server:
        yield server


def curl_commands() -> list[tuple[list[str], int]]:
    """(curl arguments, expected status) of every curl command in the page's sh blocks."""
    found = []
    for info, body in blocks(PAGE):
        if info != "sh":
            continue
        for command in body.replace("\\\n", " ").splitlines():
            if not command.startswith("curl "):
                continue
            command, _, expect = command.partition("# → ")
            found.append((shlex.split(command)[1:], int(expect)))
    return found


def replay(args: list[str], api: httpx.Client, files: Path) -> httpx.Response:
    """Send what `curl ARGS` would send (the options the page uses), with httpx."""
    method, headers, data, url = "GET", {}, None, None
    it = iter(args)
    for arg in it:
        if arg == "-s":
            continue
        if arg == "-X":
            method = next(it)
        elif arg == "-H":
            name, _, value = next(it).partition(": ")
            headers[name] = value.replace("$DEALSCREEN_API_TOKEN", TOKEN)
        elif arg == "--data-binary":
            value = next(it)
            data = (files / value[1:]).read_bytes() if value.startswith("@") else value.encode()
        elif arg.startswith("http"):
            url = arg
        else:
            raise AssertionError(f"the test does not know the curl option {arg}")
    assert url is not None and url.startswith(DOCS_URL)
    return api.request(method, url.removeprefix(DOCS_URL), headers=headers, content=data)


def test_curl_examples_answer_as_documented(live: Live, tmp_path: Path) -> None:
    """Each curl command on the page gets the status its comment says; the shown output is exact."""
    for info, body in blocks(PAGE):
        if " file=" in f" {info}":
            (tmp_path / info.split("file=", 1)[1]).write_text(body)
    commands = curl_commands()
    assert len(commands) >= 15
    with client(live, token=None) as api:
        statuses = [replay(args, api, tmp_path) for args, _ in commands]
    assert [r.status_code for r in statuses] == [expect for _, expect in commands]
    shown = next(body for info, body in blocks(PAGE) if info == "json output")
    assert statuses[-1].json() == json.loads(shown)


def test_every_endpoint_has_an_example() -> None:
    """The page shows a curl command for every path of the OpenAPI document."""
    from tests.server_helpers import openapi

    urls = {
        re.sub(r"\?.*", "", next(a for a in args if a.startswith("http"))).removeprefix(DOCS_URL)
        for args, _ in curl_commands()
    }
    for path in openapi()["paths"]:
        pattern = re.compile("^" + re.sub(r"\{[^/]+\}", "[^/]+", path) + "$")
        assert any(pattern.match(u) for u in urls), f"no example for {path}"
