"""Turning one person's notices into one email: plain text and HTML from templates."""

from __future__ import annotations

import datetime as dt
import hashlib
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape

from engine.config import MailConfig
from engine.outbox import OutboxItem
from notifications.texts import UI, entry_for

__all__ = ["message_id", "render_message"]


@lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                       autoescape=select_autoescape(["html"]), keep_trailing_newline=True)


def message_id(keys: list[str]) -> str:
    """A Message-ID derived from the notices' idempotency keys, so a resend carries the same one."""
    digest = hashlib.sha256("\n".join(sorted(keys)).encode()).hexdigest()[:40]
    return f"<{digest}@samverkan>"


def render_message(items: list[OutboxItem], mail: MailConfig, tz: ZoneInfo, now: dt.datetime) -> EmailMessage:
    """One message to the recipient of `items` (all to the same person), in their language."""
    first = items[0]
    lang = first.language if first.language in UI else "sv"
    ui = UI[lang]
    base = mail.base_url.rstrip("/")
    entries = [entry_for(i.kind, i.payload, lang, base, tz) for i in items]
    subject = ui["prefix"] + entries[0].headline if len(entries) == 1 else ui["digest"].format(n=len(entries))
    context = {"entries": entries, "ui": ui, "name": first.name, "lang": lang, "subject": subject}
    msg = EmailMessage()
    msg["From"] = mail.from_address
    msg["To"] = formataddr((first.name, first.email))
    msg["Subject"] = subject
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id([i.key for i in items])
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(_env().get_template("message.txt").render(context))
    msg.add_alternative(_env().get_template("message.html").render(context), subtype="html")
    # After the parts exist: making the message multipart moves Content-* headers into a part.
    msg["Content-Language"] = lang
    return msg
