"""The audit store's tables (SQLModel rows) and the schema version with its migrations.

SQLModel tables (``table=True``) live here and only here; they are persistence rows, never domain
objects (sqlmodel skips validation on table models).

Tables::

    schema_version     one row per schema version applied (the highest is the store's version)
    rulebook_version   content hash, dealscreen version, layer labels, snapshot of the rule files
    screening          deal id, deal hash, deal JSON, as-of, rulebook version, verdicts, metadata,
                       result hash, rulebook hash (schema 2), previous row hash, row hash (the
                       chain)
    hit                one row per rule that fired, with its explanation and matched facts
    open_question      one row per open question
    chain_head         the id and hash of the last screening (serializes writers, guards the tail)
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Column, Index, Table, Text
from sqlalchemy.engine import Connection
from sqlmodel import Field, SQLModel

SCHEMA_VERSION = 2


class SchemaVersionRow(SQLModel, table=True):
    """A schema version applied to this store."""

    __tablename__ = "schema_version"
    version: int = Field(primary_key=True)
    applied_at: str
    dealscreen_version: str


class RulebookRow(SQLModel, table=True):
    """A rulebook version and the snapshot of its files."""

    __tablename__ = "rulebook_version"
    version: str = Field(primary_key=True, max_length=64)
    dealscreen_version: str
    labels_json: str = Field(sa_column=Column(Text, nullable=False))
    files_json: str = Field(sa_column=Column(Text, nullable=False))
    created_at: str


class ScreeningRow(SQLModel, table=True):
    """One recorded screening."""

    __tablename__ = "screening"
    __table_args__ = (
        Index("ix_screening_deal_rulebook", "deal_hash", "rulebook_version"),
        Index("ix_screening_verdict_created", "verdict", "created_at"),
    )
    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    created_at: str = Field(index=True)
    tool_version: str
    host_user: str
    deal_id: str = Field(index=True)
    deal_name: str
    deal_kind: str
    deal_hash: str = Field(max_length=64)
    deal_json: str = Field(sa_column=Column(Text, nullable=False))
    as_of: str
    rulebook_version: str = Field(foreign_key="rulebook_version.version")
    dealscreen_version: str
    verdict: str
    provisional: bool
    regimes_json: str = Field(sa_column=Column(Text, nullable=False))
    derived_json: str = Field(sa_column=Column(Text, nullable=False))
    disclaimer: str = Field(sa_column=Column(Text, nullable=False))
    result_hash: str = Field(max_length=64)
    # Schema 2: SHA-256 over the rulebook version's row (version, dealscreen version, labels,
    # files), covered by row_hash, so an edit to a rulebook's labels breaks the chain. Empty in
    # rows written under schema 1 (their row_hash does not cover it).
    rulebook_hash: str = Field(
        default="", max_length=64, sa_column_kwargs={"server_default": "", "nullable": False}
    )
    prev_hash: str = Field(max_length=64)
    row_hash: str = Field(max_length=64)


class HitRow(SQLModel, table=True):
    """A rule that fired in a screening."""

    __tablename__ = "hit"
    id: int | None = Field(default=None, primary_key=True)
    screening_id: int = Field(foreign_key="screening.id", index=True)
    position: int
    rule_id: str = Field(index=True)
    regime: str
    kind: str
    outcome: str | None = None
    suppressed_by_json: str
    citation: str
    title: str
    explanation: str = Field(sa_column=Column(Text, nullable=False))
    facts_json: str = Field(sa_column=Column(Text, nullable=False))
    conditions_json: str = Field(sa_column=Column(Text, nullable=False))
    because_json: str = Field(sa_column=Column(Text, nullable=False))
    confidence: str
    source: str
    notes: str = Field(sa_column=Column(Text, nullable=False))


class OpenQuestionRow(SQLModel, table=True):
    """An open question a screening left."""

    __tablename__ = "open_question"
    id: int | None = Field(default=None, primary_key=True)
    screening_id: int = Field(foreign_key="screening.id", index=True)
    position: int
    rule_id: str
    regime: str
    outcome: str
    citation: str
    title: str
    question: str = Field(sa_column=Column(Text, nullable=False))
    unknown_facts_json: str


class ChainHeadRow(SQLModel, table=True):
    """The last screening of the chain; locked by every write so writers take turns."""

    __tablename__ = "chain_head"
    id: int = Field(primary_key=True)
    head_id: int
    head_hash: str


def table(name: str) -> Table:
    """The SQLAlchemy table of a row class, by table name."""
    return SQLModel.metadata.tables[name]


TABLES = [
    table(name)
    for name in (
        "schema_version",
        "rulebook_version",
        "screening",
        "hit",
        "open_question",
        "chain_head",
    )
]


def _add_rulebook_hash(conn: Connection) -> None:
    """1 → 2: the screening row gains ``rulebook_hash`` (empty for the rows already there)."""
    conn.exec_driver_sql(
        "ALTER TABLE screening ADD COLUMN rulebook_hash VARCHAR(64) NOT NULL DEFAULT ''"
    )


# Migrations from schema version N to N+1, applied in place in one transaction each, in order.
# Each entry is documented in docs/audit.md ("Schema versions and migration").
MIGRATIONS: dict[int, Callable[[Connection], None]] = {1: _add_rulebook_hash}
