"""Turning one person's notices into one email: plain text and HTML from templates."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from dataclasses import dataclass
from email.errors import MessageError
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.quoprimime import body_encode
from email.utils import format_datetime, formataddr
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, Template, select_autoescape

from engine.config.settings import MailConfig
from engine.kernel.text import control_character
from engine.outbox.notices import OutboxItem
from notifications.texts import UI, entry_for
from notifications.wire import BOUNDARY_PREFIX, Outgoing, envelope_recipients, envelope_sender, flatten, header_line

__all__ = ["Unbuildable", "message_id", "render_message", "render_outgoing"]


class Unbuildable(Exception):
    """The stored data cannot make a message (e.g. a name with a line break): trying again will not help."""


@lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                       autoescape=select_autoescape(["html"]), keep_trailing_newline=True,
                       auto_reload=False)


def _header(text: str) -> str:
    """`text` as an RFC 2047 header value: ASCII as is, else base64 encoded words of at most 75 characters.

    The email package's own Header class measures every character for every candidate
    line; this is the same result for a fraction of the cost.
    """
    if text.isascii():
        return text
    data, words, start = text.encode(), [], 0
    while len(data) - start > 45:  # 45 bytes -> 60 base64 characters
        end = start + 45
        while data[end] & 0xC0 == 0x80:  # inside a character: the word ends before it
            end -= 1
        words.append(data[start:end])
        start = end
    words.append(data[start:])
    return " ".join(f"=?utf-8?b?{base64.b64encode(w).decode()}?=" for w in words)


def _one_line(value: str, what: str) -> str:
    # A line break in a header value would start a header of its own: the email package refuses to
    # send it, so say here which stored value it is and what to do.
    if control_character(value) is not None:
        raise Unbuildable(f"{what} {value!r} holds a line break or another control character, which a mail "
                          "header cannot carry; correct it (it was stored before such text was refused)")
    return value


def message_id(keys: list[str]) -> str:
    """A Message-ID derived from the notices' idempotency keys, so a resend carries the same one."""
    digest = hashlib.sha256("\n".join(sorted(keys)).encode()).hexdigest()[:40]
    return f"<{digest}@samverkan>"


@dataclass(frozen=True, slots=True)
class _Composed:
    """What one message says, before it is made a Message or bytes: the same for both."""

    email: str
    boundary: str
    headers: list[tuple[str, str]]  # after Content-Type and MIME-Version, in the order they are written
    plain: str  # the quoted-printable payloads
    html: str


@lru_cache(maxsize=2)
def _template(name: str) -> Template:
    return _env().get_template(name)


def _compose(items: list[OutboxItem], mail: MailConfig, tz: ZoneInfo, now: dt.datetime) -> _Composed:
    first = items[0]
    lang = first.language if first.language in UI else "sv"
    ui = UI[lang]
    base = mail.base_url.rstrip("/")
    entries = [entry_for(i.kind, i.payload, lang, base, tz) for i in items]
    subject = ui["prefix"] + entries[0].headline if len(entries) == 1 else ui["digest"].format(n=len(entries))
    context = {"entries": entries, "ui": ui, "name": first.name, "lang": lang, "subject": subject}
    name = _one_line(first.name, f"the name of user {first.username!r}")
    email = _one_line(first.email, f"the e-mail address of user {first.username!r}")
    mid = message_id([i.key for i in items])
    # A boundary of our own: "=_" can never occur in a quoted-printable body, so the generator need
    # not make a random one and search both parts for it (a regular expression compiled per message).
    boundary = BOUNDARY_PREFIX + mid[1:33]
    to = formataddr((_header(name), email)) if not name.isascii() else formataddr((name, email))
    headers = [("From", mail.from_address), ("To", to),
               ("Subject", _header(_one_line(subject, "the subject, made from a case title or a person's name,"))),
               ("Date", format_datetime(now)), ("Message-ID", mid),
               # Which outbox rows this message carries, so a mail log can be reconciled with the outbox.
               ("X-Samverkan-Notices", " ".join(str(i.id) for i in items)),
               ("Auto-Submitted", "auto-generated"), ("Content-Language", lang)]
    return _Composed(email, boundary, headers, _qp(_template("message.txt").render(context)),
                     _qp(_template("message.html").render(context)))


def render_message(items: list[OutboxItem], mail: MailConfig, tz: ZoneInfo, now: dt.datetime) -> Message:
    """One message to the recipient of `items` (all to the same person), in their language.

    Built with the compat32 MIME classes: four times cheaper to build and flatten than
    EmailMessage, which matters when a run sends thousands.
    """
    composed = _compose(items, mail, tz, now)
    msg = MIMEMultipart("alternative", boundary=composed.boundary)
    for name, value in composed.headers:
        msg[name] = value
    msg.attach(_text_part(composed.plain, "plain"))
    msg.attach(_text_part(composed.html, "html"))
    return msg


def render_outgoing(items: list[OutboxItem], mail: MailConfig, tz: ZoneInfo,
                    now: dt.datetime) -> Outgoing | None:
    """What `render_message` makes, as the envelope and bytes send_message would send for it.

    None when [mail] from_address needs the email package's own path (an envelope sender
    that is not ASCII, which send_message sends with SMTPUTF8, or one the generator refuses).
    """
    if not _plain_sender(mail.from_address):
        return None
    composed = _compose(items, mail, tz, now)
    return Outgoing(envelope_sender(mail.from_address), envelope_recipients(composed.headers[1][1], composed.email),
                    flatten(composed.boundary, composed.headers, composed.plain, composed.html))


@lru_cache(maxsize=8)
def _plain_sender(from_address: str) -> bool:
    try:
        header_line("From", from_address)
    except (MessageError, ValueError):
        return False
    return envelope_sender(from_address).isascii()


def _qp(body: str) -> str:
    """`body` in UTF-8 and quoted-printable, as MIMEText(body, subtype, "utf-8") holds it."""
    return body_encode(body.encode("utf-8").decode("latin-1"))


def _text_part(payload: str, subtype: str) -> Message:
    """What MIMEText(body, subtype) with UTF-8 in quoted-printable builds, the same headers and bytes.

    Set directly: `set_payload` with a charset re-parses the Content-Type header and decodes
    the payload again, which was nearly half the cost of rendering a message.
    """
    part = MIMENonMultipart("text", subtype, charset="utf-8")
    part["Content-Transfer-Encoding"] = "quoted-printable"
    part.set_payload(payload)
    return part
