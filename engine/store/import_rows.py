"""Reading the lines of an export file into rows to insert: every value, reference and row checked.

A problem is a TransferError that names the line and the table and column, so whoever
edited or broke the file can find it; nothing is inserted past it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import Table

from engine.kernel.errors import EngineError, ValidationError
from engine.kernel.text import check_name
from engine.store.import_checks import BadValue, ForeignKeys, Reader, column_readers

__all__ = ["RowCheck", "RowReader", "TransferError", "fail", "numbered"]


class TransferError(EngineError):
    """The file cannot be imported; the message names the line and the problem."""


# A check of one decoded row against what came before it (stored definitions, configuration):
# given the table's name and the row, what is wrong with it, if anything.
RowCheck = Callable[[str, dict[str, Any]], str | None]


def fail(line: int, problem: str) -> TransferError:
    """The error for `problem` on `line`."""
    return TransferError(f"line {line}: {problem}")


_Parsed = tuple[int, Table, dict[str, Any]]


class RowReader:
    """Turns each line of the file into a row to insert, or a TransferError naming the line and field."""

    def __init__(self, tables: list[Table], fills: dict[tuple[str, str], Callable[[], Any]],
                 optional: set[tuple[str, str]], check_row: RowCheck | None) -> None:
        # tables: in foreign-key order; fills: make the values of the columns an export leaves out;
        # optional: columns that may be absent (added since the file's format version).
        self.tables = {t.name: t for t in tables}
        self.order = list(self.tables)
        self.readers: dict[str, dict[str, Reader]] = {name: column_readers(t) for name, t in self.tables.items()}
        self.fills, self.optional = fills, optional
        self.keys = ForeignKeys(tables)
        self.check_row = check_row

    def decode(self, table: Table, raw: dict[str, Any], line: int) -> dict[str, Any]:
        """The row to insert: every column present, of its type and size, referring only to rows before it."""
        extra = sorted(set(raw) - set(self.readers[table.name]))
        if extra:
            raise fail(line, f"table {table.name} has no column {extra[0]!r}")
        row: dict[str, Any] = {}
        for col in table.columns:
            name = col.name
            if name not in raw:
                fill = self.fills.get((table.name, name))
                if fill is None and (table.name, name) not in self.optional:
                    raise fail(line, f"{table.name} row lacks column {name!r}")
                row[name] = fill() if fill else None
                continue
            try:
                row[name] = self.readers[table.name][name](raw[name])
            except BadValue as exc:
                raise fail(line, f"{table.name}.{name} {exc}") from None
            if row[name] is None and not col.nullable:
                raise fail(line, f"{table.name}.{name} is empty but is required")
        if table.name == "users":
            _check_user_name(row, line)
        problem = self.keys.check(table.name, row)
        if problem is None and self.check_row is not None:
            problem = self.check_row(table.name, row)
        if problem:
            raise fail(line, problem)
        return row

    def parse(self, lines: Iterator[str]) -> Iterator[_Parsed]:
        """Each row of the file with its line number, tables in foreign-key order."""
        position = 0
        for number, text_line in numbered(lines, start=2):
            if not text_line.strip():
                continue
            try:
                item = json.loads(text_line, parse_constant=_no_constant)
            except (ValueError, RecursionError) as exc:  # also numbers too long to read, and NaN
                raise fail(number, f"not valid JSON ({getattr(exc, 'msg', exc)})") from None
            if not isinstance(item, dict) or not isinstance(item.get("row"), dict) or "table" not in item:
                raise fail(number, 'expected {"table": ..., "row": {...}}')
            name = item["table"]
            if name not in self.tables:
                raise fail(number, f"unknown table {name!r}")
            index = self.order.index(name)
            if index < position:
                raise fail(number, f"table {name} comes after {self.order[position]}; rows must be in "
                                    "foreign-key order")
            position = index
            yield number, self.tables[name], self.decode(self.tables[name], item["row"], number)


def _check_user_name(row: dict[str, Any], line: int) -> None:
    """The rule every other way in keeps: a line break in a name would stop the mail to that person."""
    try:
        check_name(row["name"] if isinstance(row.get("name"), str) else "")
    except ValidationError as exc:
        raise fail(line, f"users.name: {exc}") from None


def numbered(lines: Iterator[str], start: int) -> Iterator[tuple[int, str]]:
    """Each line with its number; a line that is not UTF-8 is a TransferError naming it."""
    number = start
    while True:
        try:
            text_line = next(lines)
        except StopIteration:
            return
        except UnicodeDecodeError:
            raise fail(number, "not UTF-8 text; export files are UTF-8") from None
        yield number, text_line
        number += 1


def _no_constant(name: str) -> Any:
    raise BadValue(f"{name} is not a number JSON allows")
