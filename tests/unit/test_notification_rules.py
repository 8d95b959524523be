"""Notification policy without a database: backoff, digest times, what a message may say."""

from __future__ import annotations

import datetime as dt
from email.header import decode_header, make_header
from zoneinfo import ZoneInfo

import pytest

from engine.config.settings import MailConfig
from engine.outbox.notices import OutboxItem
from notifications.deliver import retry_at
from notifications.render import message_id, render_message
from notifications.rules import next_digest_at
from notifications.texts import entry_for

TZ = ZoneInfo("Europe/Stockholm")
NOW = dt.datetime(2027, 2, 10, 9, 0, tzinfo=dt.UTC)


def test_backoff_doubles_until_the_last_attempt_then_gives_up() -> None:
    mail = MailConfig(max_attempts=4, backoff_seconds=60)
    waits = [retry_at(mail, n, NOW) for n in range(4)]
    assert [(w - NOW).total_seconds() if w else None for w in waits] == [60, 120, 240, None]


@pytest.mark.parametrize(("now", "expected_local"), [
    (dt.datetime(2027, 2, 10, 5, 0, tzinfo=dt.UTC), dt.datetime(2027, 2, 10, 7, 0)),   # 06:00 local: today
    (dt.datetime(2027, 2, 10, 6, 0, tzinfo=dt.UTC), dt.datetime(2027, 2, 11, 7, 0)),   # exactly 07:00: tomorrow
    (dt.datetime(2027, 3, 27, 12, 0, tzinfo=dt.UTC), dt.datetime(2027, 3, 28, 7, 0)),  # over the spring DST change
])
def test_daily_digest_goes_out_at_seven_local_time(now: dt.datetime, expected_local: dt.datetime) -> None:
    assert next_digest_at(now, TZ, 7).astimezone(TZ).replace(tzinfo=None) == expected_local


def test_confidential_entry_names_only_the_case_number() -> None:
    entry = entry_for("reminder", {"case_id": 12, "confidential": True}, "sv", "https://x", TZ)
    assert entry.headline == "Påminnelse: ärende 12"
    assert entry.link == "https://x/cases/12"


def _item(key: str, **kw: object) -> OutboxItem:
    values: dict = {"id": 1, "key": key, "kind": "assigned", "case_id": 5, "payload": {"case_id": 5, "title": "T"},
                    "attempts": 0, "created_at": NOW, "recipient_id": 3, "email": "a@example.org", "name": "Åsa Öst",
                    "language": "sv"}
    values.update(kw)
    return OutboxItem(**values)


def test_message_id_is_stable_and_independent_of_order() -> None:
    assert message_id(["a", "b"]) == message_id(["b", "a"]) != message_id(["a"])
    msg = render_message([_item("assigned:5:opened:3")], MailConfig(), TZ, NOW)
    assert msg["Message-ID"] == message_id(["assigned:5:opened:3"])
    assert str(make_header(decode_header(msg["Subject"]))) == "Samverkan: Du har fått ärende 5"


def test_html_escapes_what_people_typed() -> None:
    msg = render_message([_item("k", payload={"case_id": 5, "title": "<script>x</script>"})], MailConfig(), TZ, NOW)
    [html] = [p.get_payload(decode=True).decode() for p in msg.walk() if p.get_content_type() == "text/html"]
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_a_rendered_message_is_what_the_email_package_would_build_and_reads_back_unchanged() -> None:
    """The parts are built by hand for speed: same bytes as MIMEText, and a mail reader gets the text back."""
    from email import message_from_bytes
    from email.charset import QP, Charset
    from email.mime.text import MIMEText

    title = "Åtgärd =?utf-8?q?x?= med rad\tflik, From start och en lång rad " + "ä" * 120
    msg = render_message([_item("k", payload={"case_id": 5, "title": title})], MailConfig(), TZ, NOW)
    qp = Charset("utf-8")
    qp.body_encoding = QP
    for part in msg.get_payload():
        body = part.get_payload(decode=True).decode()
        assert part.as_bytes() == MIMEText(body, part.get_content_subtype(), qp).as_bytes()
    parsed = message_from_bytes(msg.as_bytes())
    boundary = parsed.get_boundary()
    assert boundary is not None
    assert boundary.startswith("=_")
    texts = [p.get_payload(decode=True).decode() for p in parsed.walk() if p.get_content_maintype() == "text"]
    assert len(texts) == 2
    assert all(boundary not in t for t in texts)
    assert "ä" * 120 in texts[0]
