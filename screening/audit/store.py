"""The audit store: every screening kept with its deal, its rulebook snapshot and a hash chain.

:class:`Store` opens a store at a SQLAlchemy URL, records screenings (one transaction each, or in
batches) and answers queries. The tables are in :mod:`screening.audit.schema`; canonical hashing,
the chain and the mapping of results to rows in :mod:`screening.audit.chain`. :func:`to_rows` maps
a validated :class:`~screening.engine.verdict.ScreeningResult` and its deal to rows;
:meth:`Store.get` maps rows back and validates them through the pydantic models again.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import event, func, insert, inspect
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, SQLModel, col, create_engine, select

from screening._version import __version__
from screening.audit.chain import (
    GENESIS,
    canonical,
    deal_hash,
    from_rows,
    now,
    result_hash,
    row_hash,
    rulebook_hash,
    sha,
    strict_json,
    to_rows,
)
from screening.audit.schema import (
    MIGRATIONS,
    SCHEMA_VERSION,
    TABLES,
    ChainHeadRow,
    HitRow,
    OpenQuestionRow,
    RulebookRow,
    SchemaVersionRow,
    ScreeningRow,
    table,
)
from screening.engine.verdict import ScreeningResult
from screening.errors import ScreeningError, StoreError
from screening.model.deal import Deal, DealRecord
from screening.rulebook.book import Rulebook, _version, load_rulebook

DEFAULT_DB = Path(".dealscreen") / "audit.db"
ENV_DB = "DEALSCREEN_DB"
_LOCK_KEY = 0x6465616C73637231  # "dealscr1": the advisory lock taken while creating tables
_MAX_REPORTED = 50  # rows beyond the head listed one by one

# --------------------------------------------------------------------------------------------
# What the store hands back


@dataclass(frozen=True)
class StoredScreening:
    """A recorded screening: the result, the deal as screened, and who recorded it when."""

    id: int
    created_at: str
    tool_version: str
    host_user: str
    deal_hash: str
    deal: DealRecord
    result: ScreeningResult
    result_hash: str
    prev_hash: str
    row_hash: str

    @property
    def as_of(self) -> dt.date:
        """The screening date."""
        return dt.date.fromisoformat(self.result.as_of)


@dataclass(frozen=True)
class Summary:
    """One line of ``audit list``."""

    id: int
    created_at: str
    deal_id: str
    deal_name: str
    verdict: str
    provisional: bool
    as_of: str
    rulebook_version: str

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data."""
        return dict(self.__dict__)


@dataclass
class VerifyReport:
    """What ``verify`` found: counts, the chain head, and problems (the first broken link first)."""

    screenings: int = 0
    rulebooks: int = 0
    head_hash: str = GENESIS
    problems: list[tuple[str, str]] = field(default_factory=list)  # (where, what)

    @property
    def ok(self) -> bool:
        """Whether the whole record checked out."""
        return not self.problems


# --------------------------------------------------------------------------------------------
# Opening, schema version, migration


def default_url() -> str:
    """``$DEALSCREEN_DB`` if set, else a SQLite file at ``.dealscreen/audit.db`` under cwd."""
    import os

    return os.environ.get(ENV_DB) or str(DEFAULT_DB)


def normalize_url(url: str, *, create: bool = True) -> str:
    """A SQLAlchemy URL; a bare path means a SQLite file (its directory is created when
    ``create``)."""
    if "://" in url:
        return url
    path = Path(url).expanduser()
    if create:
        path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def _sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for another database or an in-memory one)."""
    try:
        parsed = make_url(url)
    except (SQLAlchemyError, ValueError):
        return None
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    if parsed.database == ":memory:" or parsed.database.startswith("file:"):
        return None
    return Path(parsed.database)


def _enable_wal(cur: Any, *, attempts: int = 300, pause: float = 0.1) -> None:
    """Switch a SQLite file to WAL. Several processes opening the same new store at once race
    for the exclusive lock the switch takes, and SQLite then answers "database is locked" at
    once instead of waiting for its busy timeout: retry for up to 30 s, then let it fail."""
    import sqlite3
    import time

    for attempt in range(attempts):
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(pause)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (below)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA busy_timeout=30000")
        _enable_wal(cur)
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # Writers take the write lock up front, so two writers never deadlock on an upgrade.
        write = conn.get_execution_options().get("dealscreen_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


class Store:
    """An audit store at a SQLAlchemy URL (SQLite by default, PostgreSQL works the same)."""

    def __init__(self, url: str | None = None, *, create: bool = True) -> None:
        """Open (``create``: and create if need be) the store; ``created_dir`` names a
        directory made for a new SQLite file. Without ``create`` a store that does not exist
        is a :class:`StoreError` (``store-missing``), so a read-only command never makes an
        empty one and reports on it."""
        raw = url or default_url()
        self.created_dir: Path | None = None
        if "://" not in raw:
            parent = Path(raw).expanduser().parent
            if create and not parent.exists():
                self.created_dir = parent
        self.url = normalize_url(raw, create=create)
        self._create = create
        file = _sqlite_file(self.url)
        if not create and file is not None and not file.is_file():
            raise StoreError.one(
                self._where,
                "store-missing",
                "no audit store here: nothing has been recorded (`dealscreen screen` and "
                "`review` record; give --db or DEALSCREEN_DB to read another store)",
            )
        try:
            self.engine = create_engine(self.url)
        except (SQLAlchemyError, ImportError, ValueError) as exc:
            raise StoreError.one(
                self._where, "store-unavailable", f"cannot open the store: {exc}"
            ) from None
        if self.engine.dialect.name == "sqlite":
            _configure_sqlite(self.engine)
        self._books: dict[str, Rulebook] = {}
        self._known_versions: set[str] = set()
        self._digests: dict[str, str] = {}
        self._guard(self._open)

    def close(self) -> None:
        """Close the store's connections (also done when the store is garbage-collected)."""
        engine = getattr(self, "engine", None)
        if engine is not None:
            engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()

    @property
    def display_url(self) -> str:
        """The URL with any password masked, for messages."""
        try:
            return make_url(self.url).render_as_string(hide_password=True)
        except (SQLAlchemyError, ValueError):
            return self.url.split("@")[-1]

    @property
    def _where(self) -> str:
        return self.display_url

    def _guard(self, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except ScreeningError:
            raise
        except SQLAlchemyError as exc:
            orig = getattr(exc, "orig", None)
            message = str(orig or exc).splitlines()[0]
            raise StoreError.one(
                self._where, "store-error", f"the store failed: {message}"
            ) from None

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            conn.execution_options(dealscreen_write=True)
            with conn.begin():
                yield conn

    def _open(self) -> None:
        if not self._create:
            with self.engine.connect() as conn:
                if not inspect(conn).has_table("schema_version"):
                    raise StoreError.one(
                        self._where,
                        "store-missing",
                        "no audit store here: the database has no dealscreen tables",
                    )
        with self._write() as conn, Session(conn) as session:
            if conn.dialect.name == "postgresql":
                # Processes opening a new store at once would race to create the tables (a
                # duplicate `pg_type` key): one at a time, until this transaction ends. SQLite
                # writers are serialized already (BEGIN IMMEDIATE).
                conn.execute(select(func.pg_advisory_xact_lock(_LOCK_KEY)))
            SQLModel.metadata.create_all(conn, tables=TABLES)
            versions = session.exec(select(SchemaVersionRow.version)).all()
            current = max(versions, default=0)
            if current == 0:
                session.add(
                    SchemaVersionRow(
                        version=SCHEMA_VERSION, applied_at=now(), dealscreen_version=__version__
                    )
                )
                session.add(ChainHeadRow(id=1, head_id=0, head_hash=GENESIS))
                session.flush()
                return
            if current > SCHEMA_VERSION:
                raise StoreError.one(
                    self._where,
                    "store-too-new",
                    f"the store has schema version {current}, newer than this dealscreen "
                    f"{__version__} understands ({SCHEMA_VERSION}): upgrade dealscreen",
                )
            for version in range(current, SCHEMA_VERSION):
                step = MIGRATIONS.get(version)
                if step is None:
                    raise StoreError.one(
                        self._where,
                        "store-too-old",
                        f"no migration from schema version {version} to {version + 1}",
                    )
                step(conn)
                session.add(
                    SchemaVersionRow(
                        version=version + 1, applied_at=now(), dealscreen_version=__version__
                    )
                )
            session.flush()

    @property
    def schema_version(self) -> int:
        """The schema version of the store."""
        with Session(self.engine) as session:
            return max(session.exec(select(SchemaVersionRow.version)).all(), default=0)

    # ----------------------------------------------------------------------------------------
    # Writing

    def record(
        self, result: ScreeningResult, deal: DealRecord | Deal, *, rulebook: Rulebook | None = None
    ) -> int:
        """Record one screening in its own transaction; return its id."""
        return self._guard(lambda: self._insert([(result, deal)], rulebook))[0]  # type: ignore[no-any-return]

    def record_many(
        self,
        items: Iterable[tuple[ScreeningResult, DealRecord | Deal]],
        *,
        rulebook: Rulebook | None = None,
        batch_size: int = 200,
    ) -> list[int]:
        """Record screenings, committing every ``batch_size``; return their ids."""
        ids: list[int] = []
        with self.batch(batch_size, rulebook=rulebook) as batch:
            for result, deal in items:
                batch.add(result, deal)
        ids.extend(batch.ids)
        return ids

    @contextmanager
    def batch(self, size: int = 200, *, rulebook: Rulebook | None = None) -> Iterator[Batch]:
        """A batch writer: ``add`` screenings; every ``size`` of them commit in one transaction.

        On leaving the block the rest is committed, unless the store itself failed. Screenings
        committed before an interruption (Ctrl-C, a killed process) stay recorded.
        """
        batch = Batch(self, size, rulebook)
        try:
            yield batch
        finally:
            batch.flush()

    def _rulebook_row(self, version: str, book: Rulebook | None) -> RulebookRow | None:
        if version in self._known_versions:
            return None
        with Session(self.engine) as session:
            if session.get(RulebookRow, version) is not None:
                self._known_versions.add(version)
                return None
        if book is None or book.version != version:
            current = load_rulebook()
            book = current if current.version == version else None
        if book is None:
            raise StoreError.one(
                f"rulebook {version}",
                "unknown-rulebook",
                "the result's rulebook is not in the store: pass the rulebook that produced it",
            )
        return RulebookRow(
            version=book.version,
            dealscreen_version=__version__,
            labels_json=canonical(list(book.labels)),
            files_json=canonical(book.files),
            created_at=now(),
        )

    def _insert(
        self,
        items: list[tuple[ScreeningResult, DealRecord | Deal]],
        book: Rulebook | None,
    ) -> list[int]:
        if not items:
            return []
        mapped = [to_rows(result, deal) for result, deal in items]
        books = {}
        for row, _, _ in mapped:
            if row["rulebook_version"] not in books:
                books[row["rulebook_version"]] = self._rulebook_row(row["rulebook_version"], book)
        ids: list[int] = []
        with self._write() as conn, Session(conn) as session:
            head = session.exec(
                select(ChainHeadRow).where(ChainHeadRow.id == 1).with_for_update()
            ).one()
            for version, book_row in books.items():
                if book_row is not None and session.get(RulebookRow, version) is None:
                    session.add(book_row)
            session.flush()
            digests = {version: self._rulebook_digest(session, version) for version in books}
            created = now()
            screenings: list[dict[str, Any]] = []
            children: tuple[list[dict[str, Any]], list[dict[str, Any]]] = ([], [])
            for row, hits, questions in mapped:
                row["id"] = head.head_id + 1
                row["created_at"] = created
                row["prev_hash"] = head.head_hash
                row["rulebook_hash"] = digests[row["rulebook_version"]]
                row["row_hash"] = row_hash(row)
                screenings.append(row)
                for child in hits:
                    child["screening_id"] = row["id"]
                for child in questions:
                    child["screening_id"] = row["id"]
                children[0].extend(hits)
                children[1].extend(questions)
                head.head_id, head.head_hash = row["id"], row["row_hash"]
                ids.append(row["id"])
            conn.execute(insert(table("screening")), screenings)
            if children[0]:
                conn.execute(insert(table("hit")), children[0])
            if children[1]:
                conn.execute(insert(table("open_question")), children[1])
            session.add(head)
            session.flush()
        self._known_versions.update(books)
        return ids

    def _rulebook_digest(self, session: Session, version: str) -> str:
        digest = self._digests.get(version)
        if digest is None:
            book_row = session.get(RulebookRow, version)
            if book_row is None:
                raise StoreError.one(
                    f"rulebook {version}", "unknown-rulebook", "the rulebook is not in the store"
                )
            digest = rulebook_hash(
                book_row.version,
                book_row.dealscreen_version,
                book_row.labels_json,
                book_row.files_json,
            )
            self._digests[version] = digest
        return digest

    # ----------------------------------------------------------------------------------------
    # Reading

    def has(self, deal_hash: str, rulebook_version: str) -> bool:
        """Whether a deal with this hash was recorded under this rulebook version."""

        def query() -> bool:
            with Session(self.engine) as session:
                stmt = (
                    select(ScreeningRow.id)
                    .where(
                        ScreeningRow.deal_hash == deal_hash,
                        ScreeningRow.rulebook_version == rulebook_version,
                    )
                    .limit(1)
                )
                return session.exec(stmt).first() is not None

        return self._guard(query)  # type: ignore[no-any-return]

    def recorded(self, rulebook_version: str) -> set[str]:
        """The hashes of every deal recorded under a rulebook version (one query, for resume);
        rows outside the chain (id ≤ 0 or beyond the head) are not trusted."""

        def query() -> set[str]:
            with Session(self.engine) as session:
                head = session.get(ChainHeadRow, 1)
                stmt = select(ScreeningRow.deal_hash).where(
                    ScreeningRow.rulebook_version == rulebook_version,
                    ScreeningRow.id > 0,  # only rows of the chain: never a forged row
                    ScreeningRow.id <= (head.head_id if head else 0),
                )
                return set(session.exec(stmt).all())

        return self._guard(query)  # type: ignore[no-any-return]

    def find(self, deal_hash: str, rulebook_version: str) -> StoredScreening | None:
        """The latest screening of a deal (by content hash) under a rulebook version, if any."""

        def query() -> StoredScreening | None:
            with Session(self.engine) as session:
                head = session.get(ChainHeadRow, 1)
                stmt = (
                    select(ScreeningRow.id)
                    .where(
                        ScreeningRow.deal_hash == deal_hash,
                        ScreeningRow.rulebook_version == rulebook_version,
                        ScreeningRow.id > 0,
                        ScreeningRow.id <= (head.head_id if head else 0),
                    )
                    .order_by(col(ScreeningRow.id).desc())
                    .limit(1)
                )
                found = session.exec(stmt).first()
            return None if found is None else self._get(found)

        return self._guard(query)  # type: ignore[no-any-return]

    def count(self) -> int:
        """How many screenings the store holds."""
        with Session(self.engine) as session:
            return session.exec(select(func.count()).select_from(ScreeningRow)).one()

    def get(self, screening_id: int) -> StoredScreening:
        """A recorded screening; a StoreError if there is none with this id."""
        return self._guard(lambda: self._get(screening_id))  # type: ignore[no-any-return]

    def _get(self, screening_id: int) -> StoredScreening:
        with Session(self.engine) as session:
            row = session.get(ScreeningRow, screening_id)
            if row is None:
                raise StoreError.one(
                    self._where, "unknown-screening", f"no screening `{screening_id}` in the store"
                )
            hits, questions = self._children(session, [screening_id])
            return self._stored(row, hits.get(screening_id, []), questions.get(screening_id, []))

    def _children(
        self, session: Session, ids: list[int]
    ) -> tuple[dict[int, list[HitRow]], dict[int, list[OpenQuestionRow]]]:
        hits: dict[int, list[HitRow]] = {}
        questions: dict[int, list[OpenQuestionRow]] = {}
        for h in session.exec(select(HitRow).where(col(HitRow.screening_id).in_(ids))):
            hits.setdefault(h.screening_id, []).append(h)
        for q in session.exec(
            select(OpenQuestionRow).where(col(OpenQuestionRow.screening_id).in_(ids))
        ):
            questions.setdefault(q.screening_id, []).append(q)
        return hits, questions

    def _stored(
        self, row: ScreeningRow, hits: list[HitRow], questions: list[OpenQuestionRow]
    ) -> StoredScreening:
        try:
            deal = Deal.model_validate(json.loads(row.deal_json)).root
        except (ValidationError, ValueError):
            raise StoreError.one(
                f"screening {row.id}", "corrupt-record", "the stored deal does not validate"
            ) from None
        return StoredScreening(
            id=row.id,
            created_at=row.created_at,
            tool_version=row.tool_version,
            host_user=row.host_user,
            deal_hash=row.deal_hash,
            deal=deal,
            result=from_rows(row, hits, questions),
            result_hash=row.result_hash,
            prev_hash=row.prev_hash,
            row_hash=row.row_hash,
        )

    def summaries(
        self,
        *,
        deal_id: str | None = None,
        verdict: str | None = None,
        since: dt.date | None = None,
        limit: int | None = None,
    ) -> list[Summary]:
        """Screenings of the chain (never a row with an id of 0 or less or beyond the head:
        `verify` reports those), newest first, filtered by deal id, overall verdict and
        recording date."""

        def query() -> list[Summary]:
            with Session(self.engine) as session:
                head = session.get(ChainHeadRow, 1)
            stmt = select(ScreeningRow).where(
                ScreeningRow.id > 0, ScreeningRow.id <= (head.head_id if head else 0)
            )
            if deal_id is not None:
                stmt = stmt.where(ScreeningRow.deal_id == deal_id)
            if verdict is not None:
                stmt = stmt.where(ScreeningRow.verdict == verdict)
            if since is not None:
                stmt = stmt.where(ScreeningRow.created_at >= since.isoformat())
            stmt = stmt.order_by(col(ScreeningRow.id).desc())
            if limit is not None:
                stmt = stmt.limit(limit)
            with Session(self.engine) as session:
                return [
                    Summary(
                        r.id,
                        r.created_at,
                        r.deal_id,
                        r.deal_name,
                        r.verdict,
                        r.provisional,
                        r.as_of,
                        r.rulebook_version,
                    )
                    for r in session.exec(stmt)
                ]

        return self._guard(query)  # type: ignore[no-any-return]

    def iter_screenings(self, chunk: int = 500) -> Iterator[StoredScreening]:
        """Every screening, oldest first, read in chunks."""
        last = 0
        while True:
            with Session(self.engine) as session:
                rows = list(
                    session.exec(
                        select(ScreeningRow)
                        .where(ScreeningRow.id > last)
                        .order_by(col(ScreeningRow.id))
                        .limit(chunk)
                    )
                )
                if not rows:
                    return
                hits, questions = self._children(session, [r.id for r in rows])
                stored = [
                    self._stored(r, hits.get(r.id, []), questions.get(r.id, [])) for r in rows
                ]
            yield from stored
            last = rows[-1].id

    def rulebook_versions(self) -> list[tuple[str, str, str]]:
        """(version, dealscreen version, recorded at) of every stored rulebook."""
        with Session(self.engine) as session:
            rows = session.exec(select(RulebookRow).order_by(col(RulebookRow.created_at)))
            return [(r.version, r.dealscreen_version, r.created_at) for r in rows]

    def snapshot(self, version: str) -> tuple[dict[str, str], list[str], str]:
        """(files, layer labels, dealscreen version) of a stored rulebook."""
        with Session(self.engine) as session:
            row = session.get(RulebookRow, version)
            if row is None:
                raise StoreError.one(
                    self._where, "unknown-rulebook", f"no rulebook version `{version}` in the store"
                )
            return json.loads(row.files_json), json.loads(row.labels_json), row.dealscreen_version

    def rulebook(self, version: str) -> Rulebook:
        """Rebuild a recorded rulebook exactly from its snapshot (checked against its hash)."""
        cached = self._books.get(version)
        if cached is not None:
            return cached
        files, labels, tool_version = self._guard(lambda: self.snapshot(version))
        if _version(files, tool_version) != version:
            raise StoreError.one(
                f"rulebook {version}",
                "corrupt-snapshot",
                "the stored rule files do not hash to the recorded rulebook version",
            )
        with tempfile.TemporaryDirectory(prefix="dealscreen-rulebook-") as tmp:
            dirs = [Path(tmp) / str(i) for i in range(len(labels))]
            for key, content in files.items():
                layer, _, rel = key.partition("/")
                target = Path(tmp) / layer / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(content, encoding="utf-8")
            for d in dirs:
                d.mkdir(exist_ok=True)
            book = load_rulebook(dirs[1:], base=dirs[0], labels=labels)
        # A snapshot that hashes to `version` is that rulebook, whichever dealscreen rebuilds it.
        book = replace(book, version=version, sources=tuple(labels))
        self._books[version] = book
        return book

    # ----------------------------------------------------------------------------------------
    # Integrity

    def verify(self, expect_head: str | None = None) -> VerifyReport:
        """Recompute every rulebook hash and the whole chain; report each broken link.

        Every row is visited whatever its id: rows with an id of 0 or less, or beyond the chain
        head, are reported (they are outside the chain, and nothing trusts them). Stored JSON
        must be exactly as dealscreen wrote it. ``expect_head`` is a copy of the chain head's
        hash kept outside the store: a store whose head differs was truncated or rewritten
        (which the chain alone cannot show).
        """
        return self._guard(lambda: self._verify(expect_head))  # type: ignore[no-any-return]

    def _verify(self, expect_head: str | None = None) -> VerifyReport:
        report = VerifyReport()
        digests: dict[str, str] = {}
        broken: set[str] = set()
        with Session(self.engine) as session:
            head = session.get(ChainHeadRow, 1)
            for book_row in session.exec(select(RulebookRow).order_by(col(RulebookRow.version))):
                report.rulebooks += 1
                where = f"rulebook {book_row.version}"
                try:
                    files = json.loads(book_row.files_json)
                    ok = _version(files, book_row.dealscreen_version) == book_row.version
                except (ValueError, TypeError, AttributeError):
                    ok = False
                if not ok:
                    report.problems.append(
                        (where, "the snapshot of its files does not hash to its version")
                    )
                    broken.add(book_row.version)
                    continue
                try:
                    strict_json(book_row.files_json, sort_keys=True)
                    strict_json(book_row.labels_json, sort_keys=True)
                except ValueError as exc:
                    report.problems.append((where, f"its stored snapshot was rewritten: {exc}"))
                    broken.add(book_row.version)
                    continue
                digests[book_row.version] = rulebook_hash(
                    book_row.version,
                    book_row.dealscreen_version,
                    book_row.labels_json,
                    book_row.files_json,
                )
            outside = session.exec(
                select(ScreeningRow.id).where(ScreeningRow.id <= 0).order_by(col(ScreeningRow.id))
            ).all()
        for forged in outside:
            report.problems.append(
                (f"screening {forged}", "a screening with an id of 0 or less is outside the chain")
            )
        prev_id, prev_hash = 0, GENESIS
        head_id = head.head_id if head else 0
        last = 0
        seen_v2 = False
        while True:
            with Session(self.engine) as session:
                rows = list(
                    session.exec(
                        select(ScreeningRow)
                        .where(ScreeningRow.id > last, ScreeningRow.id <= head_id)
                        .order_by(col(ScreeningRow.id))
                        .limit(500)
                    )
                )
                if not rows:
                    break
                hits, questions = self._children(session, [r.id for r in rows])
            for row in rows:
                report.screenings += 1
                problem = self._check_row(
                    row, hits.get(row.id, []), questions.get(row.id, []), prev_id, prev_hash
                )
                if not problem and row.rulebook_hash:
                    seen_v2 = True
                    digest = digests.get(row.rulebook_version)
                    if digest is None and row.rulebook_version not in broken:
                        problem = f"its rulebook version {row.rulebook_version} is not in the store"
                    elif digest is not None and digest != row.rulebook_hash:
                        problem = (
                            f"its rulebook version {row.rulebook_version} (labels or files) "
                            "was changed after it was recorded"
                        )
                elif not problem and seen_v2:
                    problem = "a row without a rulebook hash follows rows with one (downgraded)"
                if problem:
                    report.problems.append((f"screening {row.id}", problem))
                prev_id, prev_hash = row.id, row.row_hash
            last = rows[-1].id
        if head is not None and (prev_id, prev_hash) != (head.head_id, head.head_hash):
            report.problems.append(
                (
                    f"screening {head.head_id}",
                    f"the chain ends at screening {prev_id}, but the head says {head.head_id}: "
                    "screenings were removed",
                )
            )
        report.head_hash = prev_hash
        with Session(self.engine) as session:
            beyond = session.exec(
                select(ScreeningRow.id)
                .where(ScreeningRow.id > head_id)
                .order_by(col(ScreeningRow.id))
                .limit(_MAX_REPORTED + 1)
            ).all()
            orphans = session.exec(
                select(HitRow.screening_id)
                .where(col(HitRow.screening_id).not_in(select(ScreeningRow.id)))
                .limit(1)
            ).all()
        for extra in beyond[:_MAX_REPORTED]:
            report.problems.append((f"screening {extra}", "a screening lies beyond the chain head"))
        if len(beyond) > _MAX_REPORTED:
            report.problems.append(("screenings", "and more beyond the chain head"))
        for orphan in orphans:
            report.problems.append(
                (f"screening {orphan}", "hits refer to a screening that does not exist")
            )
        if expect_head is not None and expect_head != report.head_hash:
            report.problems.append(
                (
                    "chain head",
                    f"the chain ends at hash {report.head_hash}, expected {expect_head}: the "
                    "store was truncated or rewritten since that head was copied",
                )
            )
        return report

    @staticmethod
    def _check_row(
        row: ScreeningRow,
        hits: list[HitRow],
        questions: list[OpenQuestionRow],
        prev_id: int,
        prev_hash: str,
    ) -> str:
        if row.id != prev_id + 1:
            return f"screenings {prev_id + 1}–{row.id - 1} are missing from the chain"
        if row.prev_hash != prev_hash:
            return f"its link to screening {prev_id} is broken (previous hash differs)"
        try:
            deal_data = strict_json(row.deal_json, sort_keys=True)
        except ValueError:
            try:
                json.loads(row.deal_json)
            except ValueError:
                return "the stored deal is not JSON"
            return "the stored deal was rewritten (not in the form dealscreen writes)"
        if sha(canonical(deal_data)) != row.deal_hash:
            return "the stored deal does not match its hash"
        try:
            for text_ in (row.regimes_json, row.derived_json):
                strict_json(text_, sort_keys=False)
            for h in hits:
                for text_ in (
                    h.suppressed_by_json,
                    h.facts_json,
                    h.conditions_json,
                    h.because_json,
                ):
                    strict_json(text_, sort_keys=False)
            for q in questions:
                strict_json(q.unknown_facts_json, sort_keys=False)
        except ValueError:
            return "a stored result column was rewritten (not in the form dealscreen writes)"
        try:
            result = from_rows(row, hits, questions)
        except StoreError as exc:
            return exc.message
        if result_hash(result) != row.result_hash:
            return "the stored result (verdicts, hits or open questions) does not match its hash"
        if row_hash(row.model_dump()) != row.row_hash:
            return "the row does not match its hash"
        return ""


class Batch:
    """Collects screenings and commits them ``size`` at a time (see :meth:`Store.batch`)."""

    def __init__(self, store: Store, size: int, rulebook: Rulebook | None) -> None:
        self.store = store
        self.size = max(1, size)
        self.rulebook = rulebook
        self.pending: list[tuple[ScreeningResult, DealRecord | Deal]] = []
        self.ids: list[int] = []

    def add(self, result: ScreeningResult, deal: DealRecord | Deal) -> None:
        """Queue one screening; commit the queue when it is full."""
        self.pending.append((result, deal))
        if len(self.pending) >= self.size:
            self.flush()

    def flush(self) -> None:
        """Commit every queued screening in one transaction."""
        if self.pending:
            items, self.pending = self.pending, []
            self.ids.extend(self.store._guard(lambda: self.store._insert(items, self.rulebook)))


__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Batch",
    "Store",
    "StoredScreening",
    "Summary",
    "VerifyReport",
    "deal_hash",
    "default_url",
    "from_rows",
    "result_hash",
    "to_rows",
]
