"""Export every table as versioned JSON lines, and import such a file into an empty database.

The format: a header line `{"format": "samverkan-export", "version": 3, "exported_at": ...,
"tables": [...], "counts": {...}}`, then one line `{"table": ..., "row": {...}}` per row,
tables in foreign-key order and rows by primary key, times as ISO 8601 in UTC. Keys are
sorted, so an export of the same data is byte-identical from SQLite and PostgreSQL (apart
from `exported_at`), which is how a deployment moves between the two.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.exc import DataError, IntegrityError
from sqlmodel import Session

from engine.store import (
    models,  # noqa: F401  (registers every table on the metadata)
    search_index,
)
from engine.store.audit import AuditResult, re_sign, verify_chain
from engine.store.audit_keys import AuditKeys
from engine.store.db import Database
from engine.store.file_audit import attached_hashes, verify_files
from engine.store.files import FileStore
from engine.store.import_rows import RowCheck, RowReader, TransferError, fail, numbered
from engine.store.models import metadata

__all__ = ["FORMAT", "SECRET_COLUMNS", "VERSION", "FileSource", "RowCheck", "TransferError", "ImportResult",
           "export_to", "import_from", "tables_in_order"]

FORMAT = "samverkan-export"
VERSION = 3
# Columns added since an older version of the format: absent from such a file, they are empty.
_ADDED_SINCE: dict[int, dict[str, tuple[str, ...]]] = {
    1: {"transition_log": ("key_id", "assignee_id", "group_id", "confidential")},
    2: {"transition_log": ("field", "old_value", "new_value")},
}
# Left out of an export unless secrets are asked for; filled on import so rows stay valid.
SECRET_COLUMNS: dict[str, tuple[str, ...]] = {"users": ("password_hash", "session_nonce"),
                                               "api_tokens": ("token_hash",), "calendar_tokens": ("token_hash",)}
_SECRET_FILL: dict[tuple[str, str], Any] = {
    ("users", "password_hash"): lambda: None,
    # A fresh nonce: sessions of the source deployment must not be valid on the target.
    ("users", "session_nonce"): lambda: secrets.token_hex(16),
    # A hash no token has: the imported token rows stay listed but must be made anew.
    ("api_tokens", "token_hash"): lambda: "x" + secrets.token_hex(31),
    ("calendar_tokens", "token_hash"): lambda: "x" + secrets.token_hex(31),
}
# Copies of another table's values, kept for an index's sake: never in the file (so the format is
# the same as before they were added), filled from their source after an import.
_DERIVED: dict[str, tuple[str, ...]] = {"case_waiting": ("due_at",)}
_BATCH = 500


@dataclass(frozen=True)
class FileSource:
    """Where an import finds the attached files (`source`, a folder `export --files` wrote, or None: they are
    already in place) and the files folder it keeps them in."""

    store: FileStore
    source: FileStore | None = None


@dataclass
class ImportResult:
    rows: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    # The verification of every chain; with re_sign, what was re-signed and taken on trust.
    audit: AuditResult | None = None
    files: int = 0  # attached files brought in (or found in place), each with its hash checked


def tables_in_order() -> list[Table]:
    """Every table, each after the tables it refers to."""
    return list(metadata.sorted_tables)


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _encode(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return _iso(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _exported_columns(table: Table, with_secrets: bool) -> list[Any]:
    hidden = (*(() if with_secrets else SECRET_COLUMNS.get(table.name, ())), *_DERIVED.get(table.name, ()))
    return [c for c in table.columns if c.name not in hidden]


def _dump(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _snapshot(db: Database) -> Any:
    # PostgreSQL: one snapshot for the whole export, so counts and rows agree.
    if db.dialect == "postgresql":
        return db.engine.execution_options(isolation_level="REPEATABLE READ")
    return db.engine


def export_to(db: Database, out: IO[str], now: dt.datetime, *, with_secrets: bool = False) -> dict[str, int]:
    """Write every table of `db` to `out`; returns the row count per table."""
    tables = tables_in_order()
    with Session(_snapshot(db)) as session:
        counts = {t.name: session.execute(select(func.count()).select_from(t)).scalar_one() for t in tables}
        header = {"format": FORMAT, "version": VERSION, "exported_at": _iso(now),
                  "tables": [t.name for t in tables], "counts": counts, "with_secrets": with_secrets}
        out.write(_dump(header) + "\n")
        for table in tables:
            cols = _exported_columns(table, with_secrets)
            stmt = select(*cols).order_by(*table.primary_key.columns)
            for row in session.execute(stmt):
                values = {c.name: _encode(v) for c, v in zip(cols, row, strict=True)}
                # Written by hand so that "table" comes first, as a reader scanning the file expects.
                out.write(f'{{"table":{_dump(table.name)},"row":{_dump(values)}}}\n')
    return counts


def _read_header(first: str | None) -> dict[str, Any]:
    if first is None:
        raise fail(1, "the file is empty; expected a samverkan export header")
    try:
        header = json.loads(first)
    except (ValueError, RecursionError):
        raise fail(1, "not JSON; expected the samverkan export header") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise fail(1, f"not a samverkan export header (format must be {FORMAT!r})")
    if header.get("version") not in range(1, VERSION + 1) or isinstance(header.get("version"), bool):
        raise fail(1, f"export version {header.get('version')!r} is not supported; this program reads "
                       f"versions 1 to {VERSION}")
    known = {t.name for t in tables_in_order()}
    unknown = [t for t in header.get("tables", []) if t not in known]
    if unknown:
        raise fail(1, f"unknown table(s) {', '.join(unknown)}; export with a matching version of samverkan")
    return header


def _non_empty(session: Session) -> str | None:
    for table in tables_in_order():
        n = session.execute(select(func.count()).select_from(table)).scalar_one()
        if n:
            return f"table {table.name} has {n} row(s)"
    return None


def _reset_sequences(session: Session, db: Database) -> None:
    if db.dialect != "postgresql":
        return  # SQLite's INTEGER PRIMARY KEY continues after the largest id by itself.
    quote = db.engine.dialect.identifier_preparer.quote
    for table in tables_in_order():
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or not pk[0].autoincrement or pk[0].type.python_type is not int:
            continue
        t, c = quote(table.name), quote(pk[0].name)
        session.execute(text(
            f"SELECT setval(pg_get_serial_sequence(:t, :c), COALESCE(MAX({c}), 1), MAX({c}) IS NOT NULL) "
            f"FROM {t}"), {"t": t, "c": pk[0].name})


def _flush(session: Session, table: Table, batch: list[dict[str, Any]], first_line: int) -> None:
    try:
        session.execute(insert(table), batch)
    except (IntegrityError, DataError) as exc:
        detail = str(exc.orig).splitlines()[0] if exc.orig else "constraint violated"
        raise fail(first_line, f"{table.name} rows from here on break a constraint ({detail})") from None


def import_from(db: Database, lines: Iterator[str], keys: AuditKeys, *, re_sign_chains: bool = False,
                check_row: RowCheck | None = None, files: FileSource | None = None) -> ImportResult:
    """Load an export into the empty database `db` in one transaction, keeping ids.

    Every value is checked against its column, every reference against the rows before it
    (and `check_row`), and every case's chain against `keys` before anything is committed;
    `re_sign_chains` takes signatures this deployment cannot check on trust and signs the
    rows anew with the current key (the result says which). With `files`, every attached
    file is copied in from its source and must have the hash its log row records.
    """
    header = _read_header(next(numbered(lines, start=1), (1, None))[1])
    optional = {(t, c) for v, added in _ADDED_SINCE.items() if header["version"] <= v
                for t, cols in added.items() for c in cols}
    fills = {**_SECRET_FILL, **{(t, c): _none for t, cols in _DERIVED.items() for c in cols}}
    rows = RowReader(tables_in_order(), fills, optional, check_row)
    result = ImportResult()
    log_lines: dict[tuple[int, int], int] = {}
    case_lines: dict[int, int] = {}
    with db.write() as session:
        busy = _non_empty(session)
        if busy:
            raise TransferError(f"The target database is not empty ({busy}); import only into a new, empty "
                               "database (do not run `samverkan init` on it first).")
        batch: list[dict[str, Any]] = []
        current: Table | None = None
        first_line = 2
        for number, table, row in rows.parse(lines):
            if current is not None and (table is not current or len(batch) >= _BATCH):
                _flush(session, current, batch, first_line)
                batch = []
            if not batch:
                first_line = number
            current = table
            batch.append(row)
            result.counts[table.name] = result.counts.get(table.name, 0) + 1
            if table.name == "transition_log":
                log_lines[(row["case_id"], row["seq"])] = number
            elif table.name == "cases":
                case_lines[row["id"]] = number
        if current is not None and batch:
            _flush(session, current, batch, first_line)
        _check_counts(header, result)
        audit = re_sign(session, keys) if re_sign_chains else verify_chain(session, keys)
        if not audit.ok:
            line = (case_lines.get(audit.case_id or 0) if audit.in_case_row
                    else log_lines.get((audit.case_id or 0, audit.seq or 0)))
            where = f"line {line}: " if line else ""
            raise TransferError(f"{where}case {audit.case_id} seq {audit.seq}: {audit.problem}. Nothing was "
                                "imported.")
        result.audit = audit
        if files is not None:
            result.files = _bring_files(session, files)
        search_index.rebuild(session)  # an index, not data: never in the file, made anew from the rows
        _derive(session)
        _reset_sequences(session, db)
    result.rows = sum(result.counts.values())
    return result


def _none() -> None:
    return None


def _derive(session: Session) -> None:
    """Fill the `_DERIVED` columns from their source: each waiting row gets its case's due time."""
    waiting, cases = metadata.tables["case_waiting"], metadata.tables["cases"]
    session.execute(waiting.update().values(
        due_at=select(cases.c.due_at).where(cases.c.id == waiting.c.case_id).scalar_subquery()))


def _bring_files(session: Session, files: FileSource) -> int:
    """Copy each attached file in from the source (checking its hash), then hold every row to its log row."""
    for sha in sorted(attached_hashes(session)):
        if files.source is not None and files.source.path(sha).is_file():
            problem = files.store.copy_in(files.source.path(sha), sha)
            if problem:
                raise TransferError(f"The attached file {files.source.path(sha)} {problem}. Nothing was imported.")
    checked = verify_files(session, files.store)
    if not checked.ok:
        where = f"the folder {files.source.root}" if files.source is not None else "--files FOLDER"
        raise TransferError(f"{checked.describe()}. Give the files folder the export wrote ({where}); nothing "
                            "was imported.")
    return checked.files


def _check_counts(header: dict[str, Any], result: ImportResult) -> None:
    expected = header.get("counts")
    if not isinstance(expected, dict):
        return
    for name, n in expected.items():
        got = result.counts.get(name, 0)
        if got != n:
            raise TransferError(f"The file holds {got} {name} row(s) but its header announces {n}; "
                               "it is truncated or was edited. Export again.")
