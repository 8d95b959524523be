"""Text people give that other systems carry on one line (mail headers, lists): what it may hold."""

from __future__ import annotations

import re

from engine.kernel.errors import ValidationError

__all__ = ["check_name", "control_character"]

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
