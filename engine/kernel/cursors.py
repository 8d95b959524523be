"""The opaque cursors of paged lists: a small JSON value, URL-safe base64 without padding.

The queues' cursor holds the last case's (due time, id), the search's an offset in the ranking; each
checks what it reads back itself. Nothing here is signed: a cursor only says where to go on, and a
forged one reads no more than the person may see.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any, TypeVar

from engine.kernel.errors import ValidationError

__all__ = ["dump", "load"]

T = TypeVar("T")


def dump(value: Any) -> str:
    """`value` (anything JSON holds) as a cursor."""
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def load(cursor: str, read: Callable[[Any], T]) -> T:
    """What `read` makes of the value of a cursor `dump` made. Anything else (bad base64, UTF-8 or JSON, or
    a value `read` refuses with ValueError, TypeError, KeyError or OverflowError) is a ValidationError
    naming `cursor`."""
    try:
        return read(json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))))
    except (ValueError, TypeError, KeyError, OverflowError):  # binascii.Error and UnicodeDecodeError are ValueErrors
        raise ValidationError("cursor", "The cursor is not one this server gave; start again without it.") from None
