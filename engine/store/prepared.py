"""Statements that run on every transition, compiled once per dialect and run on the driver's cursor.

Measured (bench/transitions.py, SQLite): SQLAlchemy's `execute` of a short statement costs
several times what the driver takes to run it (building parameters, the execution context,
the result object), so a transition's nine statements were mostly Python. A `Prepared`
statement is compiled once per dialect; `Run` executes it on the cursor of the transaction's
own connection (the same transaction as the Session's, so what it writes commits or rolls
back with everything else). Values go through the column types' own bind and result
processors, so what is written and read is exactly what SQLAlchemy would write and read.
sqlite3 keeps each SQL text compiled in its statement cache; psycopg prepares a statement on
the server after a few executions.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.sql.elements import ClauseElement
from sqlmodel import Session

__all__ = ["Prepared", "Run", "run_of"]

_Processor = Callable[[Any], Any]


class _Compiled:
    """One statement's SQL for one dialect, with how to bind its parameters and read its rows."""

    __slots__ = ("fixed", "named", "order", "processors", "results", "row", "sql")

    def __init__(self, stmt: ClauseElement, dialect: Dialect, keys: tuple[str, ...] | None) -> None:
        # `keys`: an INSERT's or UPDATE's columns given at execution; compiled as for executemany,
        # so PostgreSQL's INSERT carries no RETURNING that nobody reads.
        compiled: Any = stmt.compile(dialect=dialect, column_keys=list(keys) if keys is not None else None,
                                for_executemany=keys is not None)
        self.sql = str(compiled)
        self.named = not compiled.positional
        self.order: tuple[str, ...] = tuple(compiled.positiontup or ()) if compiled.positional else tuple(
            compiled.bind_names.values())
        self.processors: dict[str, _Processor] = dict(compiled._bind_processors)
        # Values written into the statement (`status == "pending"`, a LIMIT): bound on every run, converted once.
        self.fixed = {name: self._convert(name, bp.value) for bp, name in compiled.bind_names.items()
                      if not bp.required}
        columns = compiled._result_columns or []
        self.results: tuple[_Processor | None, ...] = tuple(
            c.type._cached_result_processor(dialect, None) for c in columns)
        self.row: Any = namedtuple("Row", [c.keyname for c in columns], rename=True) if columns else None

    def _convert(self, name: str, value: Any) -> Any:
        proc = self.processors.get(name)
        return value if proc is None else proc(value)

    def params(self, values: Mapping[str, Any]) -> Any:
        """The driver's parameters from `values` (by bind name), each converted as its type says."""
        procs, fixed = self.processors, self.fixed
        out = [fixed[k] if k in fixed else procs[k](values[k]) if k in procs else values[k] for k in self.order]
        return dict(zip(self.order, out, strict=True)) if self.named else tuple(out)

    def convert(self, raw: tuple[Any, ...]) -> Any:
        """A fetched row as SQLAlchemy would return it: its values read by their types, by name."""
        return self.row._make(v if p is None or v is None else p(v) for p, v in zip(self.results, raw, strict=True))


class Prepared:
    """A Core statement, compiled on first use for each dialect (build it once, at import)."""

    __slots__ = ("_by_dialect", "keys", "stmt")

    def __init__(self, stmt: ClauseElement, keys: Iterable[str] | None = None) -> None:
        self.stmt = stmt
        self.keys = tuple(keys) if keys is not None else None
        self._by_dialect: dict[str, _Compiled] = {}

    def on(self, dialect: Dialect) -> _Compiled:
        """The statement compiled for `dialect`."""
        found = self._by_dialect.get(dialect.name)
        if found is None:
            found = self._by_dialect[dialect.name] = _Compiled(self.stmt, dialect, self.keys)
        return found


class Run:
    """Runs `Prepared` statements on one connection's driver cursor, inside its current transaction.

    A driver error comes back as SQLAlchemy's (OperationalError, IntegrityError, ...), as if
    SQLAlchemy had run the statement, and a lost connection is invalidated, so callers and the
    pool see what they would see without this shortcut (the web answers 503 to a database away).
    """

    __slots__ = ("conn", "cursor", "dialect", "driver")

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.dialect = conn.dialect
        self.driver = conn.connection.driver_connection
        assert self.driver is not None
        self.cursor = self.driver.cursor()

    def _run(self, c: _Compiled, params: Any, many: bool = False) -> None:
        try:
            (self.cursor.executemany if many else self.cursor.execute)(c.sql, params)
        except self.dialect.loaded_dbapi.Error as exc:
            raise self._translated(exc, c.sql, params) from exc

    def _translated(self, exc: Any, sql: str, params: Any) -> StatementError:
        error = self.dialect.loaded_dbapi.Error
        lost = self.dialect.is_disconnect(exc, self.driver, self.cursor)
        if lost:
            self.conn.invalidate(exc)
        wrapped: StatementError = DBAPIError.instance(sql, params, exc, error, connection_invalidated=lost,
                                                      dialect=self.dialect)
        return wrapped

    def execute(self, stmt: Prepared, values: Mapping[str, Any]) -> int:
        """Run a statement that returns no rows; the number of rows it changed."""
        c = stmt.on(self.dialect)
        self._run(c, c.params(values))
        return int(self.cursor.rowcount)

    def many(self, stmt: Prepared, rows: list[Mapping[str, Any]]) -> None:
        """Run a statement once per row of values (one executemany)."""
        if rows:
            c = stmt.on(self.dialect)
            self._run(c, [c.params(r) for r in rows], many=True)

    def rows(self, stmt: Prepared, values: Mapping[str, Any]) -> list[Any]:
        """Every row a query returns, as named tuples of values read by their column types."""
        c = stmt.on(self.dialect)
        params = c.params(values)
        self._run(c, params)
        try:
            fetched = self.cursor.fetchall()  # to the end: the statement is done
        except self.dialect.loaded_dbapi.Error as exc:
            raise self._translated(exc, c.sql, params) from exc
        return [c.convert(r) for r in fetched]

    def first(self, stmt: Prepared, values: Mapping[str, Any]) -> Any:
        """The first row a query returns, or None."""
        found = self.rows(stmt, values)
        return found[0] if found else None


def run_of(session: Session) -> Run:
    """The `Run` on the connection of `session`'s transaction (begun if it was not yet).

    Made once per database connection and kept in its `info`, which lives as long as the
    driver's connection does (SQLAlchemy empties it when it connects anew).
    """
    conn = session.connection()
    found: Run | None = conn.info.get("samverkan_run")
    if found is None or found.driver is not conn.connection.driver_connection:
        found = conn.info["samverkan_run"] = Run(conn)
    found.conn = conn  # this checkout's: the one to invalidate if the connection is lost
    return found
