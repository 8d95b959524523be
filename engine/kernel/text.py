"""Text people give: what every database can store, and what a name (carried on one line, in mail
headers and lists) may hold."""

from __future__ import annotations

import re

from engine.kernel.errors import ValidationError

__all__ = ["check_name", "check_storable", "control_character", "storable"]

# NUL (PostgreSQL text cannot hold it) and lone surrogates (not UTF-8 at all).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# C0 and C1 controls (line breaks, tab, NUL, ESC...) and the Unicode line and paragraph
# separators: none belongs in a name, and a line break in a mail header starts a new header.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def control_character(text: str) -> str | None:
    """The first control character in `text` (a line break, a tab, NUL...), or None."""
    found = _CONTROL.search(text)
    return found.group() if found else None


def check_name(value: str, field: str = "name") -> str:
    """`value` if it is fit to be a name on one line; else a ValidationError naming `field`."""
    if control_character(value) is not None:
        raise ValidationError(field, "A name is one line of text: remove line breaks, tabs and other "
                                     "control characters.", code="control_characters")
    return value


def storable(text: str) -> bool:
    """True if every database can store `text` (and compare with it in a query)."""
    return _UNSTORABLE.search(text) is None


def check_storable(**texts: str | None) -> None:
    """A ValidationError naming the first of `texts` (field=value) no database can store, or nothing."""
    for field, value in texts.items():
        if value is not None and not storable(value):
            raise ValidationError(field, "The text holds a NUL character or a broken Unicode character, which "
                                         "cannot be stored; remove it.", code="unstorable_text")
