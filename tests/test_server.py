"""The HTTP API over real HTTP: a uvicorn server on loopback, an httpx client, every endpoint,
bad inputs, the bearer token, the body limit, timeouts, internal errors and a concurrent load.

Every response any test receives is checked against docs/openapi.json (tests/server_helpers)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from screening import Deal, load_deal, load_rulebook, screen
from screening.audit.store import Store
from screening.cli.app import cli
from screening.engine.explain import render_json
from screening.server.settings import Settings
from tests.conftest import FIXTURES
from tests.server_helpers import TOKEN, FaultyScreener, Live, client, live_server

MAX_BODY = 256 * 1024


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("server") / "audit.db")


@pytest.fixture(scope="module")
def live(db: str) -> Iterator[Live]:
    with live_server(Settings(db=db, token=TOKEN, workers=2, max_body=MAX_BODY)) as server:
        yield server


@pytest.fixture
def api(live: Live) -> Iterator[httpx.Client]:
    with client(live) as c:
        yield c


def _deals() -> list[tuple[bytes, str]]:
    """(request body, the result in-process `screen()` gives, as `screen --format json`)."""
    out = []
    for path in sorted(FIXTURES.glob("*.yaml")):
        deal = load_deal(path)
        out.append((deal.model_dump_json().encode(), render_json(screen(deal))))
    return out


@pytest.fixture(scope="module")
def deals() -> list[tuple[bytes, str]]:
    return _deals()


def _cli(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def _problems(response: httpx.Response) -> list[tuple[str, str, str]]:
    body = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert body["type"] == f"urn:dealscreen:problem:{body['code']}"
    assert body["status"] == response.status_code
    assert "Traceback" not in response.text
    return [(p["location"], p["code"], p["message"]) for p in body["problems"]]


# --------------------------------------------------------------------------------------------
# health, schema, rules


def test_healthz_needs_no_token(live: Live) -> None:
    """/healthz answers without a token, with the versions the server screens with."""
    with client(live, token=None) as anonymous:
        response = anonymous.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "dealscreen_version": "0.1.0",
        "rulebook_version": load_rulebook().version,
        "workers": 2,
    }


def test_schema_is_the_cli_schema(api: httpx.Client) -> None:
    """GET /v1/schema is byte for byte what `dealscreen schema` prints."""
    response = api.get("/v1/schema")
    assert response.status_code == 200
    assert response.text == _cli("schema")


def test_rules_list_and_show_are_the_cli_json(api: httpx.Client) -> None:
    """GET /v1/rules and /v1/rules/{id} give what `rules list|show --format json` print."""
    assert api.get("/v1/rules").text == _cli("rules", "list", "--format", "json")
    rule_id = "cfius.mandatory.critical_technology"
    assert api.get(f"/v1/rules/{rule_id}").text == _cli(
        "rules", "show", rule_id, "--format", "json"
    )
    cfius = api.get("/v1/rules", params={"regime": "cfius_800"}).json()
    assert cfius and {r["regime"] for r in cfius} == {"cfius_800"}


def test_openapi_json_is_served(live: Live) -> None:
    """GET /openapi.json serves the committed document, without a token."""
    from tests.server_helpers import OPENAPI

    response = httpx.get(f"{live.url}/openapi.json")
    assert response.status_code == 200
    assert response.json() == json.loads(OPENAPI.read_text())


def test_unknown_rule_and_regime_are_404_with_did_you_mean(api: httpx.Client) -> None:
    """An unknown rule id or regime is a located 404 naming the closest one."""
    response = api.get("/v1/rules/cfius.mandatory.critical_technologie")
    assert response.status_code == 404
    assert _problems(response) == [
        (
            "rule_id",
            "unknown-rule",
            "no rule `cfius.mandatory.critical_technologie` (did you mean "
            "`cfius.mandatory.critical_technology`?)",
        )
    ]
    response = api.get("/v1/rules", params={"regime": "cfius_800x"})
    assert response.status_code == 404
    assert _problems(response) == [
        ("regime", "unknown-regime", "no regime `cfius_800x` (did you mean `cfius_800`?)")
    ]


# --------------------------------------------------------------------------------------------
# screen


def test_screen_gives_the_cli_json(api: httpx.Client, deals: list[tuple[bytes, str]]) -> None:
    """POST /v1/screen answers exactly what `screen --format json` prints for the deal."""
    body, expected = deals[0]
    response = api.post("/v1/screen", content=body)
    assert response.status_code == 200
    assert response.text == expected


def test_screen_as_of(api: httpx.Client, deals: list[tuple[bytes, str]]) -> None:
    """`as_of` screens on that date, as `screen --as-of` does."""
    body, _ = deals[0]
    response = api.post("/v1/screen", content=body, params={"as_of": "2024-01-02"})
    deal = Deal.model_validate_json(body).root
    assert response.text == render_json(screen(deal, as_of=dt.date(2024, 1, 2)))


def test_screen_and_record_then_ask_the_audit_store(
    api: httpx.Client, deals: list[tuple[bytes, str]], db: str
) -> None:
    """`record=true` stores the screening; list, show, why, why-not and replay read it back."""
    body, expected = next((b, e) for b, e in deals if '"verdict": "filing_required"' in e)
    response = api.post("/v1/screen", content=body, params={"record": "true"})
    assert response.status_code == 200
    answer = response.json()
    sid = answer.pop("screening_id")
    assert answer == json.loads(expected)

    listed = api.get("/v1/screenings", params={"limit": 1}).json()
    assert [s["id"] for s in listed] == [sid]
    assert listed[0]["deal_id"] == answer["deal_id"]
    assert len(api.get("/v1/screenings").json()) == Store(db).count()

    shown = api.get(f"/v1/screenings/{sid}").json()
    assert shown["id"] == sid
    assert shown["result"] == {**answer, "summary": None}  # the store keeps no memo
    assert shown["deal"] == json.loads(Deal.model_validate_json(body).root.model_dump_json())

    fired = next(h["rule_id"] for h in answer["hits"] if h["kind"] == "outcome")
    why = api.get(f"/v1/screenings/{sid}/why/{fired}").json()
    assert (why["question"], why["rule_id"], why["explanation"]["status"]) == (
        "why",
        fired,
        "fired",
    )
    assert why["answer"].startswith(f"`{fired}` fired in screening {sid}")

    silent = next(
        r for r in load_rulebook().rules if r not in {h["rule_id"] for h in answer["hits"]}
    )
    why_not = api.get(f"/v1/screenings/{sid}/why-not/{silent}").json()
    assert why_not["question"] == "why-not"
    assert why_not["explanation"]["status"] in ("did not fire", "unknown", "not in force")

    replay = api.get(f"/v1/screenings/{sid}/replay").json()
    assert (replay["reproduced"], replay["changed"]) == (True, False)
    assert replay["current"] == answer


def test_unknown_screening_is_404(api: httpx.Client, db: str) -> None:
    """A screening id the store does not hold is a located 404, on every audit route."""
    for route in (
        "",
        "/why/cfius.covered_investment",
        "/why-not/cfius.covered_investment",
        "/replay",
    ):
        response = api.get(f"/v1/screenings/987654{route}")
        assert response.status_code == 404
        assert _problems(response) == [
            (f"sqlite:///{db}", "unknown-screening", "no screening `987654` in the store")
        ]


def test_why_unknown_rule_is_404_with_did_you_mean(
    api: httpx.Client, deals: list[tuple[bytes, str]]
) -> None:
    """why/why-not for a rule neither the recorded nor today's rulebook has: 404, closest id."""
    sid = api.post("/v1/screen", content=deals[1][0], params={"record": "true"}).json()[
        "screening_id"
    ]
    response = api.get(f"/v1/screenings/{sid}/why-not/cfius.covered_investmen")
    assert response.status_code == 404
    assert _problems(response) == [
        (
            f"screening {sid}",
            "unknown-rule",
            f"no rule `cfius.covered_investmen` in rulebook {load_rulebook().version} "
            "(did you mean `cfius.covered_investment`?)",
        )
    ]


def test_invalid_deal_is_422_with_every_problem_located(api: httpx.Client) -> None:
    """A deal that does not validate: 422 listing every problem with its data path."""
    response = api.post(
        "/v1/screen",
        content=b'{"kind": "equity_stake", "id": "x", "rights": {"voting_pct": 200}, "colour": 1}',
    )
    assert response.status_code == 422
    assert _problems(response) == [
        ("$.colour", "invalid-deal", "unknown field"),
        ("$.investor", "invalid-deal", "required field is missing"),
        ("$.name", "invalid-deal", "required field is missing"),
        ("$.rights.voting_pct", "invalid-deal", "input should be less than or equal to 100"),
        ("$.target", "invalid-deal", "required field is missing"),
    ]
    assert response.json()["title"] == "invalid deal"


@pytest.mark.parametrize(
    ("body", "status", "problem"),
    [
        (b'{"id": ', 400, ("body, line 1", "invalid-json", "expecting value")),
        (
            b'{"id": "a",\n "id": "b"}',
            400,
            (
                "body, line 2",
                "duplicate-key",
                "key `id` appears twice in one object: give each key once",
            ),
        ),
        (b"\xff\xfe", 400, ("body", "not-utf8", "not UTF-8 text")),
        (b"[1, 2]", 422, ("$", "invalid-deal", "a deal is a mapping of fields")),
        (b"[" * 300 + b"]" * 300, 400, ("body", "too-deep", "nested too deeply")),
    ],
)
def test_unreadable_body_is_a_located_problem(
    api: httpx.Client, body: bytes, status: int, problem: tuple[str, str, str]
) -> None:
    """Bodies that are not a JSON deal: one located problem, never a traceback."""
    response = api.post("/v1/screen", content=body)
    assert response.status_code == status
    assert _problems(response) == [problem]


def test_missing_date_is_422(api: httpx.Client, deals: list[tuple[bytes, str]]) -> None:
    """A deal with no date and no `as_of` is the CLI's located missing-date problem."""
    data = json.loads(deals[0][0])
    data["completion_date"] = data["signing_date"] = None
    response = api.post("/v1/screen", json=data)
    assert response.status_code == 422
    assert _problems(response) == [
        (
            "$.completion_date",
            "missing-date",
            "the deal has no completion_date or signing_date: give one, or pass an as-of date",
        )
    ]


def test_bad_parameters_are_400(api: httpx.Client, deals: list[tuple[bytes, str]]) -> None:
    """A malformed query or path parameter is a 400 naming the parameter."""
    response = api.post("/v1/screen", content=deals[0][0], params={"as_of": "2025-13-01"})
    assert response.status_code == 400
    [(where, code, _message)] = _problems(response)
    assert (where, code) == ("query.as_of", "invalid-parameter")
    response = api.get("/v1/screenings", params={"limit": 0})
    assert response.status_code == 400
    assert _problems(response) == [
        ("query.limit", "invalid-parameter", "input should be greater than or equal to 1")
    ]
    response = api.get("/v1/screenings/abc")
    assert response.status_code == 400
    assert _problems(response)[0][:2] == ("path.screening_id", "invalid-parameter")


def test_unknown_route_and_method(api: httpx.Client) -> None:
    """An unknown path is a 404 problem, a wrong method a 405 problem."""
    response = api.get("/v1/nothing")
    assert response.status_code == 404
    assert _problems(response) == [("", "not-found", "no endpoint `/v1/nothing`")]
    response = api.get("/v1/screen")
    assert response.status_code == 405
    assert _problems(response) == [
        ("", "method-not-allowed", "`GET` is not allowed on `/v1/screen`")
    ]


# --------------------------------------------------------------------------------------------
# safety: token, body limit


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "a valid bearer token is required (`Authorization: Bearer <token>`)"),
        ({"Authorization": "Bearer nope"}, "the bearer token is not the server's"),
        (
            {"Authorization": f"Basic {TOKEN}"},
            "a valid bearer token is required (`Authorization: Bearer <token>`)",
        ),
    ],
)
def test_v1_needs_the_token(live: Live, headers: dict[str, str], message: str) -> None:
    """Every /v1 route answers 401 (with WWW-Authenticate) without the right bearer token."""
    with client(live, token=None, headers=headers) as anonymous:
        for method, path in (
            ("GET", "/v1/rules"),
            ("POST", "/v1/screen"),
            ("GET", "/v1/screenings/1"),
        ):
            response = anonymous.request(method, path, content=b"{}" if method == "POST" else None)
            assert response.status_code == 401
            assert response.headers["www-authenticate"] == "Bearer"
            assert _problems(response) == [("Authorization", "unauthorized", message)]


def test_body_over_the_limit_is_413(api: httpx.Client) -> None:
    """A body over the limit is refused, declared (Content-Length) or streamed (chunked)."""
    big = b" " * (MAX_BODY + 1)
    expected = [
        ("body", "body-too-large", f"the request body is larger than the limit of {MAX_BODY} bytes")
    ]
    response = api.post("/v1/screen", content=big)
    assert response.status_code == 413
    assert _problems(response) == expected

    def chunks() -> Iterator[bytes]:
        for _ in range(MAX_BODY // 4096 + 2):
            yield b" " * 4096

    response = api.post("/v1/screen", content=chunks())
    assert response.status_code == 413
    assert _problems(response) == expected


# --------------------------------------------------------------------------------------------
# review


def test_review_streams_results_and_problems_in_order(
    api: httpx.Client, deals: list[tuple[bytes, str]]
) -> None:
    """NDJSON in, NDJSON out: one line per non-blank line, in order, problems located."""
    good = [body for body, _ in deals[:40]]
    lines = [
        good[0],
        b"",
        b'{"id": ',
        *good[1:35],
        b'{"kind": "equity_stake", "id": "x"}',
        b"   ",
        *good[35:],
    ]
    response = api.post("/v1/review", content=b"\n".join(lines) + b"\n")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-ndjson"
    out = [json.loads(line) for line in response.text.splitlines()]
    assert len(out) == len(good) + 2
    results = [o for o in out if "deal_id" in o]
    assert [json.dumps(r, ensure_ascii=False, indent=2) + "\n" for r in results] == [
        expected for _, expected in deals[:40]
    ]
    problems = [
        (o["line"], [(p["location"], p["code"]) for p in o["problems"]]) for o in out if "line" in o
    ]
    assert problems == [
        (3, [("line 3, column 8", "invalid-json")]),
        (
            38,
            [
                ("$.investor", "invalid-deal"),
                ("$.name", "invalid-deal"),
                ("$.target", "invalid-deal"),
            ],
        ),
    ]
    assert out.index(next(o for o in out if o.get("line") == 3)) == 1
    assert out.index(next(o for o in out if o.get("line") == 38)) == 36


def test_review_as_of(api: httpx.Client, deals: list[tuple[bytes, str]]) -> None:
    """`as_of` on a review screens every line on that date."""
    body = b"\n".join(b for b, _ in deals[:2])
    out = api.post("/v1/review", content=body, params={"as_of": "2024-01-02"}).text.splitlines()
    assert out == [
        screen(Deal.model_validate_json(b).root, as_of=dt.date(2024, 1, 2)).model_dump_json()
        for b, _ in deals[:2]
    ]


def test_review_records_when_asked(
    api: httpx.Client, deals: list[tuple[bytes, str]], db: str
) -> None:
    """`record=true` on a review stores each screening and returns its id on its line."""
    before = Store(db).count()
    body = b"\n".join(b for b, _ in deals[:3])
    out = [
        json.loads(x)
        for x in api.post("/v1/review", content=body, params={"record": "true"}).text.splitlines()
    ]
    ids = [o["screening_id"] for o in out]
    assert Store(db).count() == before + 3
    assert len(set(ids)) == 3  # unique; with several workers not necessarily in line order
    assert [api.get(f"/v1/screenings/{i}").json()["result"]["deal_id"] for i in ids] == [
        o["deal_id"] for o in out
    ]


def test_review_line_over_the_limit_is_a_problem_line(
    api: httpx.Client, deals: list[tuple[bytes, str]]
) -> None:
    """A review line longer than the body limit becomes a 413 problem line; the stream goes on."""
    huge = b'{"id": "' + b"x" * (MAX_BODY + 10) + b'"}'
    body = b"\n".join([deals[0][0], huge, deals[1][0]])
    out = [json.loads(x) for x in api.post("/v1/review", content=body).text.splitlines()]
    assert [o.get("deal_id") or o["code"] for o in out] == [
        json.loads(deals[0][1])["deal_id"],
        "line-too-large",
        json.loads(deals[1][1])["deal_id"],
    ]
    assert (out[1]["line"], out[1]["status"]) == (2, 413)


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def test_review_answers_a_line_before_the_request_ends(
    live: Live, deals: list[tuple[bytes, str]]
) -> None:
    """Full duplex: the result of the first line arrives while the request is still open."""
    host, port = live.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=60) as conn:
        conn.sendall(
            b"POST /v1/review HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n"
            b"Content-Type: application/x-ndjson\r\n"
            + f"Authorization: Bearer {TOKEN}\r\n\r\n".encode()
            + _chunk(deals[0][0] + b"\n")
        )
        received = b""
        first_id = json.loads(deals[0][1])["deal_id"].encode()
        while first_id not in received:
            data = conn.recv(65536)
            assert data, "the server closed the connection"
            received += data
        assert b"HTTP/1.1 200" in received
        conn.sendall(_chunk(deals[1][0] + b"\n") + b"0\r\n\r\n")
        second_id = json.loads(deals[1][1])["deal_id"].encode()
        while not received.endswith(b"0\r\n\r\n"):
            data = conn.recv(65536)
            assert data, "the server closed the connection"
            received += data
        assert second_id in received


# --------------------------------------------------------------------------------------------
# load


def test_concurrent_clients_get_exactly_the_in_process_results(
    live: Live, deals: list[tuple[bytes, str]]
) -> None:
    """8 clients x 60 requests at once: no error, and every answer equals in-process screen()."""
    failures: list[str] = []

    def worker(n: int) -> None:
        try:
            with client(live) as c:
                for i in range(60):
                    body, expected = deals[(n * 60 + i) % len(deals)]
                    response = c.post("/v1/screen", content=body)
                    if response.status_code != 200 or response.text != expected:
                        failures.append(f"client {n} request {i}: {response.status_code}")
        except Exception as exc:
            failures.append(f"client {n}: {exc!r}")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


# --------------------------------------------------------------------------------------------
# timeouts and internal errors


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    from screening.server import _deps

    settings = Settings(
        db=str(tmp_path_factory.mktemp("faulty") / "audit.db"), workers=1, timeout=2
    )
    book = _deps.load_rulebook()
    from screening.server.app import resolve_db

    screener = FaultyScreener(book, resolve_db(settings.db), 1, settings.timeout)
    with live_server(settings, screener) as server:
        yield server


def test_timeout_is_504_and_the_server_recovers(
    faulty: Live, deals: list[tuple[bytes, str]]
) -> None:
    """A screening over the timeout is stopped (504); meanwhile and after, the server answers."""
    screener = faulty.app.state.screener
    answers: list[httpx.Response] = []
    with client(faulty, token=None) as c:
        stuck = threading.Thread(
            target=lambda: answers.append(c.post("/v1/screen", content=b'"sleep"'))
        )
        stuck.start()
        while not screener.pool._pending_work_items and stuck.is_alive():
            time.sleep(0.01)  # wait until the worker holds the stuck task
        assert c.get("/healthz").status_code == 200  # the event loop is not blocked
        stuck.join()
        [response] = answers
        assert response.status_code == 504
        assert _problems(response) == [
            ("", "timeout", "the request took longer than 2 s and was stopped")
        ]
        assert c.get("/healthz").status_code == 200
        body, expected = deals[0]
        assert c.post("/v1/screen", content=body).text == expected


def test_internal_errors_are_500_with_an_id_and_logged(
    faulty: Live, caplog: pytest.LogCaptureFixture
) -> None:
    """An internal error answers 500 with an error id; the traceback is logged under that id."""
    with caplog.at_level(logging.ERROR, logger="screening.server"), client(faulty, token=None) as c:
        for body, where in (
            (b'"internal"', "injected failure in a worker"),
            (b'"crash"', "injected failure in the server process"),
        ):
            response = c.post("/v1/screen", content=body)
            assert response.status_code == 500
            error_id = response.json()["error_id"]
            assert _problems(response) == [
                (
                    "",
                    "internal-error",
                    f"dealscreen failed internally; the server logged it as error `{error_id}`",
                )
            ]
            assert where not in response.text
            logged = [r.getMessage() for r in caplog.records if error_id in r.getMessage()]
            assert len(logged) == 1 and where in logged[0] and "Traceback" in logged[0]


# --------------------------------------------------------------------------------------------
# settings


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("10.0.0.5", False),
        ("example.org", False),
    ],
)
def test_without_a_token_only_loopback(host: str, loopback: bool) -> None:
    """With no token the server refuses any host but loopback; with one it allows any."""
    from screening import UsageError

    Settings(host=host, token="t").check()
    if loopback:
        Settings(host=host).check()
        return
    with pytest.raises(UsageError) as info:
        Settings(host=host).check()
    assert info.value.problems[0].render() == (
        f"--host: token-required: refusing to listen on `{host}` without a token: set "
        "DEALSCREEN_API_TOKEN or pass --token-file, or listen on 127.0.0.1"
    )


def test_token_from_file_or_environment(tmp_path: Path) -> None:
    """The token comes from --token-file (stripped) or else the environment; empty is an error."""
    from screening import UsageError
    from screening.server.settings import read_token

    path = tmp_path / "token"
    path.write_text(" s3cret \n")
    assert read_token(path, {}) == "s3cret"
    assert read_token(None, {"DEALSCREEN_API_TOKEN": "env"}) == "env"
    assert read_token(None, {"DEALSCREEN_API_TOKEN": " "}) is None
    path.write_text("\n")
    with pytest.raises(UsageError) as info:
        read_token(path, {})
    assert info.value.problems[0].render() == f"{path}: empty-token: the token file is empty"
