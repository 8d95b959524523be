"""A rendered message as the mail server receives it: the envelope and the bytes after DATA.

`smtplib.SMTP.send_message` reads the envelope back out of the From and To headers and
flattens the message with the email package's generator, folding every header through the
`Header` class: two thirds of what sending a message cost the deliverer, for bytes that are
the same every time for the same headers and parts. `flatten` writes those bytes directly
for the one shape `render` builds (multipart/alternative of two quoted-printable text
parts); what it cannot prove it writes alike it hands to the generator's own folding, so the
bytes are always the generator's (tests/unit/test_wire.py compares them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.mime.nonmultipart import MIMENonMultipart
from email.policy import compat32
from email.utils import getaddresses, quote
from functools import lru_cache

__all__ = ["BOUNDARY_PREFIX", "Outgoing", "envelope_recipients", "envelope_sender", "flatten", "header_line"]

# What BytesGenerator(compat32) uses under send_message: CRLF, lines folded at 78.
_POLICY = compat32.clone(linesep="\r\n")
_MAXLEN = 78
# Printable ASCII words, one space between them: the Header class folds such a value only when
# the line is too long, and leaves it as it is otherwise (tabs, runs of spaces, a trailing space,
# a line break: each has a rule of its own there, so those go to the policy).
_PLAIN = re.compile(r"[!-~]+(?: [!-~]+)*")
# The same without ',' and ';', which the Header class prefers as split points: a line of these
# breaks before the last word that does not fit (RFC 2047 encoded words are such words).
_WORDS = re.compile(r"[!-+\--:<-~]+(?: [!-+\--:<-~]+)*")
# An addr-spec without quotes, comments or brackets: email.utils.getaddresses gives it back as
# it is from "phrase <addr-spec>", whatever the (formataddr-quoted) phrase.
_DOT_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
                       r"@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")
# email.generator's own (private) patterns: line breaks of any kind, and "From " at a line start.
_NLCRE = re.compile(r"\r\n|\r|\n")
_FROM = re.compile(r"^From ", re.MULTILINE)
# Every boundary is this prefix and 32 hex digits, so every Content-Type line folds alike.
BOUNDARY_PREFIX = "=_samverkan_"
_HEX32 = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message as sent: envelope sender, envelope recipients and the bytes of DATA."""

    sender: str
    recipients: tuple[str, ...]
    data: bytes


def header_line(name: str, value: str) -> bytes:
    """`name: value` folded exactly as the email package's generator writes it under send_message."""
    if _PLAIN.fullmatch(value):
        if len(name) + 2 + len(value) <= _MAXLEN:
            return f"{name}: {value}\r\n".encode("ascii")
        if _WORDS.fullmatch(value):
            return _fold_words(name, value)
    return _POLICY.fold_binary(name, value)


def _fold_words(name: str, value: str) -> bytes:
    """What Header(value, header_name=name).encode() makes of words without ',' and ';' between single spaces.

    Its _ValueFormatter, step for step, for such words: a word that does not fit goes to the next
    line with the space before it; a first word too long for the header's own line leaves that
    line empty; a word too long for any line stays whole.
    """
    lines: list[str] = []
    line: list[str] = []
    size, first = len(name) + 2, True  # the header's own line counts "Name: "
    for n, word in enumerate(value.split(" ")):
        part = " " + word if n else word
        line.append(part)
        size += len(part)
        if size <= _MAXLEN:
            continue
        if len(line) > 1:
            lines.append("".join(line[:-1]))
            line, size, first = [part], len(part), False
        elif first:
            lines.append("")
            part = " " + word
            line, size, first = [part], len(part), False
    lines.append("".join(line))
    folded = "\r\n".join(lines)
    return f"{name}: {folded}\r\n".encode("ascii")


@lru_cache(maxsize=8)
def envelope_sender(from_address: str) -> str:
    """The envelope sender send_message takes from the From header `from_address`."""
    return getaddresses([from_address])[0][1]


def envelope_recipients(to_header: str, email: str) -> tuple[str, ...]:
    """The envelope recipients send_message takes from `to_header`, made from `email` and a name."""
    if _DOT_ATOM.fullmatch(email):
        return (email,)
    return tuple(address for _, address in getaddresses([to_header]))


@lru_cache(maxsize=2)
def _part_head(subtype: str) -> bytes:
    # The headers of MIMENonMultipart("text", subtype, charset="utf-8") with its transfer encoding,
    # and the blank line after them: the same for every message.
    part = MIMENonMultipart("text", subtype, charset="utf-8")
    part["Content-Transfer-Encoding"] = "quoted-printable"
    return b"".join(_POLICY.fold_binary(name, value) for name, value in part.raw_items()) + b"\r\n"


@lru_cache(maxsize=1)
def _content_type_template() -> tuple[bytes, bytes]:
    # The folding looks at spaces, tabs, ';' and ',' and at lengths; 32 hex digits hold none of
    # those, so every boundary folds as this one does: fold once, put each boundary in its place.
    placeholder = "0" * 32
    line = header_line("Content-Type", f'multipart/alternative; boundary="{BOUNDARY_PREFIX}{placeholder}"')
    before, after = line.split(placeholder.encode("ascii"))
    return before, after


def _content_type(boundary: str) -> bytes:
    suffix = boundary[len(BOUNDARY_PREFIX):]
    if boundary.startswith(BOUNDARY_PREFIX) and _HEX32.fullmatch(suffix):
        before, after = _content_type_template()
        return before + suffix.encode("ascii") + after
    return header_line("Content-Type", f'multipart/alternative; boundary="{quote(boundary)}"')


def _body(payload: str) -> bytes:
    # Generator._handle_text and _write_lines: ">From " at line starts (mangle_from_ is on under
    # send_message), then every line break as CRLF.
    return "\r\n".join(_NLCRE.split(_FROM.sub(">From ", payload))).encode("ascii", "surrogateescape")


def flatten(boundary: str, headers: list[tuple[str, str]], plain: str, html: str) -> bytes:
    """The bytes send_message sends for MIMEMultipart("alternative", boundary) with `headers` and
    two quoted-printable UTF-8 parts whose payloads are `plain` and `html`."""
    mark = boundary.encode("ascii")
    return b"".join([_content_type(boundary), b"MIME-Version: 1.0\r\n",
                     *(header_line(name, value) for name, value in headers),
                     b"\r\n--", mark, b"\r\n", _part_head("plain"), _body(plain),
                     b"\r\n--", mark, b"\r\n", _part_head("html"), _body(html),
                     b"\r\n--", mark, b"--\r\n"])
