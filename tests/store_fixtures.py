"""Helpers shared by the audit-store tests: database URLs (SQLite always, PostgreSQL when
``DEALSCREEN_TEST_PG`` is set), deals, and direct row edits for tamper tests."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from screening.authoring.examples import BASE_DEAL
from screening.model.deal import Deal, DealRecord
from tests.conftest import require

PG_URL = os.environ.get("DEALSCREEN_TEST_PG")
BACKENDS = ["sqlite", "postgresql"]
STORE_TABLES = (
    "open_question",
    "hit",
    "screening",
    "rulebook_version",
    "chain_head",
    "schema_version",
)


def url_for(backend: str, tmp_path: Path) -> str:
    """A fresh, empty store URL for a backend (PostgreSQL: the store's tables dropped)."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'audit.db'}"
    require(bool(PG_URL), "PostgreSQL tests need DEALSCREEN_TEST_PG (see .ci/start-postgres)")
    assert PG_URL
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        for table in STORE_TABLES:
            conn.execute(text(f"DROP TABLE IF EXISTS {table} CASCADE"))
    engine.dispose()
    return PG_URL


def execute(url: str, sql: str, **params: Any) -> None:
    """Run one statement on the store's database, outside dealscreen (a tamperer's view)."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(sql), params)
    engine.dispose()


def make_deal(n: int = 0, **changes: Any) -> DealRecord:
    """The base example deal with a distinct id (and top-level changes)."""
    data = copy.deepcopy(BASE_DEAL)
    data["id"] = f"deal-{n:05d}"
    data["name"] = f"Generated deal {n}"
    data.update(changes)
    return Deal.model_validate(data).root


def government_deal(n: int = 0) -> DealRecord:
    """A deal whose investor is a state-owned enterprise taking 60%: a filing is advised."""
    data = copy.deepcopy(BASE_DEAL)
    data["id"] = f"soe-{n:05d}"
    data["investor"]["kind"] = "state_owned_enterprise"
    data["investor"]["owners"] = [
        {"name": "SASAC", "kind": "government", "country": "CN", "voting_pct": 100}
    ]
    data["rights"] = {**data.get("rights", {}), "voting_pct": 60, "passive_undertaking": False}
    return Deal.model_validate(data).root
