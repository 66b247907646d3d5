"""The audit store shared by the server's worker processes: concurrent recording over HTTP keeps
every screening, with unique ids and an intact hash chain (SQLite in WAL mode; PostgreSQL when
``DEALSCREEN_TEST_PG`` is set)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from screening import load_deal
from screening.audit.store import Store
from screening.server.settings import Settings
from tests.conftest import FIXTURES
from tests.server_helpers import TOKEN, client, live_server
from tests.store_fixtures import BACKENDS, url_for


@pytest.mark.parametrize("backend", BACKENDS)
def test_concurrent_recording_keeps_every_screening(backend: str, tmp_path: Path) -> None:
    """4 clients x 8 recorded screenings at once, 2 workers: 32 rows, unique ids, chain intact."""
    url = url_for(backend, tmp_path)
    bodies = [load_deal(p).model_dump_json().encode() for p in sorted(FIXTURES.glob("*.yaml"))[:32]]
    ids: list[int] = []
    failures: list[str] = []
    with live_server(Settings(db=url, token=TOKEN, workers=2)) as live:

        def record(n: int) -> None:
            with client(live) as c:
                for body in bodies[n * 8 : n * 8 + 8]:
                    response = c.post("/v1/screen", content=body, params={"record": "true"})
                    if response.status_code != 200:
                        failures.append(response.text)
                    else:
                        ids.append(response.json()["screening_id"])

        threads = [threading.Thread(target=record, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        with client(live) as c:
            listed = c.get("/v1/screenings", params={"limit": 100}).json()
    assert failures == []
    assert sorted(ids) == sorted(s["id"] for s in listed) and len(set(ids)) == 32
    store = Store(url)
    assert store.count() == 32
    assert store.verify().ok
    store.close()


def test_a_record_that_does_not_reproduce_is_409(tmp_path: Path) -> None:
    """Replay of a tampered record answers 409 with the CLI's integrity message."""
    from tests.store_fixtures import execute

    url = url_for("sqlite", tmp_path)
    body = load_deal(sorted(FIXTURES.glob("*.yaml"))[0]).model_dump_json().encode()
    with live_server(Settings(db=url, token=TOKEN, workers=1)) as live, client(live) as c:
        sid = c.post("/v1/screen", content=body, params={"record": "true"}).json()["screening_id"]
        execute(
            url,
            "UPDATE hit SET title = 'edited' WHERE screening_id = :sid AND position = 0",
            sid=sid,
        )
        response = c.get(f"/v1/screenings/{sid}/replay")
    assert response.status_code == 409
    problem = response.json()["problems"][0]
    assert (problem["location"], problem["code"]) == (f"screening {sid}", "integrity-error")
    assert problem["message"].endswith(
        "does not reproduce the record: it differs at `$.hits[0].title`"
    )
