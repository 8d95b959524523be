"""Database connection: engines, UTC date-times, and read/write transactions.

SQLite gets WAL, a busy timeout, foreign keys and `BEGIN IMMEDIATE` for write
transactions (Python's driver would otherwise start a transaction only at the first
write, so a read-modify-write could lose an update). PostgreSQL runs the same code.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext, suppress
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, DateTime, Engine, create_engine, event, text
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session

__all__ = ["Database", "UTCDateTime", "generic_plan", "make_engine", "utc"]


def utc(value: dt.datetime) -> dt.datetime:
    """`value` as an aware UTC datetime; naive values are refused, never guessed."""
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: pass an aware time (UTC)")
    return value.astimezone(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Stores aware datetimes as UTC; re-attaches UTC on read (SQLite drops offsets)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        value = utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        parsed: dt.datetime = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=dt.UTC)
        return parsed.astimezone(dt.UTC)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An Engine for `url`, with SQLite set up for safe concurrent writes."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
        _tune_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    engine = create_engine(url, **kwargs)
    if engine.dialect.driver == "psycopg":
        _cache_long_statements()
    return engine


# psycopg turns every statement's `%(name)s` placeholders into PostgreSQL's `$n` with a regular expression
# on each execution, and keeps the result only for statements of at most 4 KB and 50 parameters: the
# bounds guard its cache (128 statements) against an ORM's bulk `INSERT ... VALUES (...), (...)`, whose
# text varies with its row count. The pages' own statements are few and fixed but longer: the agreement page's
# 27 KB, a police officer's "Att göra" and group queue 11 KB, the header's counts 4.2 KB; converting them
# anew cost 2-12 ms of CPU a page at 1,000,000 cases (the police group queue 29 -> 17 ms in process). The
# length bound is raised so that they are kept; the bound on parameters, which is what a bulk insert
# exceeds, stays. The cache's worst case is 128 statements of 32 KB, a few MB per process.
PSYCOPG_CACHED_LENGTH = 32 * 1024


def _cache_long_statements() -> None:
    from psycopg import _queries  # a driver constant with no public setting; tests/store check it is honoured

    if getattr(_queries, "MAX_CACHED_STATEMENT_LENGTH", 0) < PSYCOPG_CACHED_LENGTH:
        _queries.MAX_CACHED_STATEMENT_LENGTH = PSYCOPG_CACHED_LENGTH


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control from the driver so BEGIN is ours to issue.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        options = conn.get_execution_options()
        if options.get("samverkan_caller_begins", False):
            return  # `Database.row_connection`: its user has issued BEGIN IMMEDIATE on the driver already
        conn.exec_driver_sql("BEGIN IMMEDIATE" if options.get("samverkan_write", False) else "BEGIN")


_GENERIC, _PLANNED_AS_USUAL = text("SET plan_cache_mode = force_generic_plan"), text("RESET plan_cache_mode")


@contextmanager
def generic_plan(session: Session) -> Iterator[None]:
    """On PostgreSQL, let the statements run in this block use one plan per connection, made once for any
    values (`plan_cache_mode`); nothing on SQLite.

    For a large statement whose plan does not depend on its values (the agreement page's one statement over
    every obligation): PostgreSQL's default planned it anew on every execution, 5 ms of a 3 ms query at
    1,000,000 cases. Not for statements whose best plan depends on their values: planned without them, the
    header's count of what waits for a police officer took 254-306 ms against 1 ms, and the overdue count 14
    against 0.5 (left alone, PostgreSQL keeps those on plans of their own values). The driver prepares a
    statement on its fifth execution on a connection (psycopg's `prepare_threshold`), which a web page's
    autocommit lets it keep (`Database.shared_reads`).
    """
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    session.execute(_GENERIC)
    try:
        yield
    finally:
        # Set back on the connection, which goes back to the pool; in a transaction that failed, its
        # rollback undoes the SET, and the RESET would only fail again.
        with suppress(DBAPIError) if sys.exc_info()[0] is not None else nullcontext():
            session.execute(_PLANNED_AS_USUAL)


class Database:
    """One engine and the two kinds of transaction the engine uses."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self._writer = self.engine.execution_options(samverkan_write=True)
        # A web page's reads (`shared_reads`) run in autocommit on PostgreSQL: under READ COMMITTED (its
        # default) each statement sees its own snapshot inside a transaction too, so BEGIN and ROLLBACK were
        # two round trips a page for nothing; and the ROLLBACK made the driver forget the statements it had
        # prepared (psycopg clears them on every rollback), so the pages' statements were parsed and planned
        # anew on every request. Other reads keep their transaction (a server-side cursor, as `audit verify`
        # streams the log through, needs one); so do SQLite's, where it gives the page one snapshot (WAL).
        self._page_reader = (self.engine.execution_options(isolation_level="AUTOCOMMIT")
                             if self.engine.dialect.name == "postgresql" else self.engine)
        # Other reads on PostgreSQL end with COMMIT, not ROLLBACK (the same for a transaction that wrote
        # nothing): a POST's reads rolled back cleared the connection's prepared statements, so a page that
        # runs once between two POSTs never reached the driver's fifth run and was planned every time.
        self._commit_reads = self.engine.dialect.name == "postgresql"
        self._shared: ContextVar[Session | None] = ContextVar(f"samverkan_shared_read_{id(self)}", default=None)

    @property
    def dialect(self) -> str:
        """"sqlite" or "postgresql"."""
        return self.engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; nothing it does is committed.

        Inside `shared_reads()` every read uses that block's one session (on SQLite its one transaction; on
        PostgreSQL each statement is its own, see `__init__`).
        """
        shared = self._shared.get()
        if shared is not None:
            yield shared
            return
        with Session(self.engine, expire_on_commit=False) as session:
            yield session
            if self._commit_reads:  # see __init__; a read that raised is rolled back as before
                session.expunge_all()  # nothing the read touched is written
                session.commit()

    @contextmanager
    def shared_reads(self) -> Iterator[None]:
        """Let every `read()` in this block (and this thread or task) share one session: a web page's reads.

        A web page reads the user, the header's counts and its own rows: one connection instead of one
        each, and on SQLite one read transaction (on PostgreSQL autocommit, see `__init__`). A `write()`
        inside the block ends the shared session, so what is read after it sees what was written.
        """
        with Session(self._page_reader, expire_on_commit=False) as session:
            token = self._shared.set(session)
            try:
                yield
            finally:
                self._shared.reset(token)

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction, committed on success, rolled back on error.

        On SQLite it takes the write lock at BEGIN so concurrent writers queue up
        instead of overwriting each other.
        """
        shared = self._shared.get()
        if shared is not None:
            shared.close()  # the next read begins a new transaction, after this write
        with Session(self._writer, expire_on_commit=False) as session, session.begin():
            yield session

    def row_connection(self) -> Connection:
        """A pooled connection for a loop of many short write transactions driven on the driver itself.

        For run_due's rows: one checkout instead of one per transaction, and transactions
        the caller begins and ends on the driver connection (SQLite: it must send
        `BEGIN IMMEDIATE` itself; PostgreSQL: the driver begins at the first statement).
        `begin()` on it then only joins that transaction (a Session can be bound to it). The
        caller closes it.
        """
        return self._writer.connect().execution_options(samverkan_caller_begins=True)

    def dispose(self) -> None:
        """Close pooled connections (after fork, at shutdown)."""
        self.engine.dispose()
