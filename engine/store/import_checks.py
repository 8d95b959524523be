"""What an imported value may be, derived from the table metadata: type, range, length, null, JSON shape, key.

Every column gets a reader from its SQLAlchemy type, so a column added to a model is
checked without a word here; a column of a type no reader knows fails the first import
(and the test that imports every table), never silently passes.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import typing
from collections.abc import Callable
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Column, Date, Float, Integer, SmallInteger, String, Table
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel

from engine.store.db import UTCDateTime

__all__ = ["TEXT_LIMIT", "BadValue", "ForeignKeys", "Reader", "column_readers"]

# Text without a declared length: nothing longer can come in through the web (its requests
# are limited to 1 MiB), so nothing longer may come in through an import either.
TEXT_LIMIT = 1_000_000
_INT_BITS = [(BigInteger, 63), (SmallInteger, 15), (Integer, 31)]  # subclasses before Integer


class BadValue(ValueError):
    """A value a column cannot hold; the message says what it is and what was expected."""


Reader = Callable[[Any], Any]


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:40]}... ({len(text)} characters)"


def _time(value: Any) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            raise ValueError
        return parsed.astimezone(dt.UTC)
    except (TypeError, ValueError, AttributeError, OverflowError):
        raise BadValue(f"is {_shown(value)}, not an ISO 8601 UTC time/date") from None


def _date(value: Any) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise BadValue(f"is {_shown(value)}, not an ISO 8601 UTC time/date") from None


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise BadValue(f"is {_shown(value)}, not true or false")
    return value


def _integer(bits: int) -> Reader:
    def read(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise BadValue(f"is {_shown(value)}, not a whole number")
        if not -(2 ** bits) <= value < 2 ** bits:
            raise BadValue(f"is {_shown(value)}, outside the range a {bits + 1}-bit column holds")
        return value
    return read


def _float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise BadValue(f"is {_shown(value)}, not a number")
    return float(value)


def _string(limit: int) -> Reader:
    def read(value: Any) -> str:
        if not isinstance(value, str):
            raise BadValue(f"is {_shown(value)}, not text")
        if len(value) > limit:
            raise BadValue(f"is {len(value)} characters long; at most {limit} fit")
        if "\x00" in value:
            raise BadValue("holds a NUL character, which no database stores in text")
        return value
    return read


def _json(shape: type | None, item: type | None) -> Reader:
    def read(value: Any) -> Any:
        if shape is not None and not isinstance(value, shape):
            wanted = ("a JSON object {...}" if shape is dict else "a JSON list [...]" if shape is list
                      else shape.__name__)
            raise BadValue(f"is {_shown(value)}, not {wanted}")
        if item is not None and isinstance(value, list) and not all(isinstance(v, item) for v in value):
            raise BadValue(f"is {_shown(value)}, not a list of {item.__name__}")
        size = len(json.dumps(value, ensure_ascii=False))
        if size > TEXT_LIMIT:
            raise BadValue(f"is {size} characters of JSON; at most {TEXT_LIMIT} fit")
        return value
    return read


def _json_shape(table: Table, name: str) -> tuple[type | None, type | None]:
    """The container a JSON column's model field declares (dict, list) and a list's item type, if declared."""
    for model in SQLModel.__subclasses__():
        if getattr(model, "__tablename__", None) == table.name and name in model.model_fields:
            annotation = model.model_fields[name].annotation
            origin, args = typing.get_origin(annotation), typing.get_args(annotation)
            item = args[0] if origin is list and args and isinstance(args[0], type) else None
            return (origin if isinstance(origin, type) else None), item
    return None, None


def _reader(table: Table, column: Column[Any]) -> Reader:
    kind = column.type
    if isinstance(kind, UTCDateTime):
        return _time
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance  # e.g. SQLModel's AutoString: a String underneath
    if isinstance(kind, Date):
        return _date
    if isinstance(kind, Boolean):
        return _boolean
    for int_type, bits in _INT_BITS:
        if isinstance(kind, int_type):
            return _integer(bits)
    if isinstance(kind, Float):
        return _float
    if isinstance(kind, String):
        return _string(kind.length or TEXT_LIMIT)
    if isinstance(kind, JSON):
        return _json(*_json_shape(table, column.name))
    raise TypeError(f"no import check for {table.name}.{column.name} of type {kind!r}; add one in {__name__}")


def column_readers(table: Table) -> dict[str, Reader]:
    """For each column of `table`, a function that returns the value to store or raises BadValue.

    None is let through here: whether a column may be empty is the caller's check, so the
    message can say which column is required.
    """
    return {column.name: _or_none(_one_of(column.info.get("choices"), _reader(table, column)))
            for column in table.columns}


def _one_of(choices: tuple[str, ...] | None, read: Reader) -> Reader:
    if not choices:
        return read

    def check(value: Any) -> Any:
        value = read(value)
        if value not in choices:
            raise BadValue(f"is {_shown(value)}, not one of {', '.join(choices)}")
        return value
    return check


def _or_none(read: Reader) -> Reader:
    return lambda value: None if value is None else read(value)


class ForeignKeys:
    """The keys imported so far that rows refer to: a reference to a row not (yet) imported is refused.

    Tables come in foreign-key order and rows by primary key, so whatever a row refers to
    came before it (a case's parent too).
    """

    def __init__(self, tables: list[Table]) -> None:
        self._seen: dict[tuple[str, str], set[Any]] = {}
        self._refs: dict[str, list[tuple[str, tuple[str, str]]]] = {}
        for table in tables:
            for column in table.columns:
                for fk in column.foreign_keys:
                    target = (fk.column.table.name, fk.column.name)
                    self._seen.setdefault(target, set())
                    self._refs.setdefault(table.name, []).append((column.name, target))

    def check(self, table: str, row: dict[str, Any]) -> str | None:
        """What `row` refers to that has not been imported, if anything; then remember its own keys."""
        for name, (target, key) in self._refs.get(table, ()):
            value = row[name]
            if value is not None and value not in self._seen[(target, key)]:
                return f"{table}.{name} is {value!r}, but no {target} row with {key} {value!r} comes before it"
        for (target, key), seen in self._seen.items():
            if target == table:
                seen.add(row[key])
        return None
