"""The deliverer's bytes are the email package's bytes: what smtplib's send_message would send."""

from __future__ import annotations

import base64
import datetime as dt
import io
from email.generator import BytesGenerator
from email.message import Message
from email.policy import compat32
from email.utils import formataddr, getaddresses
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.config.settings import MailConfig
from engine.outbox.notices import OutboxItem
from notifications.render import _header, render_message, render_outgoing
from notifications.wire import Outgoing, envelope_recipients, header_line

TZ = ZoneInfo("Europe/Stockholm")
NOW = dt.datetime(2027, 2, 10, 9, 0, tzinfo=dt.UTC)
# Text a person could have typed, control characters left out (render refuses those in a header).
TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\u2028\u2029\x85"),
               max_size=140)
ATEXT = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+/=?^_`{|}~-"
ATOM = st.text(st.sampled_from(ATEXT), min_size=1, max_size=12)
DOT_ATOM = st.builds(lambda local, domain: f"{'.'.join(local)}@{'.'.join(domain)}",
                     st.lists(ATOM, min_size=1, max_size=3),
                     st.lists(st.text(st.sampled_from("abcxyz0-"), min_size=1, max_size=10), min_size=1, max_size=3))
KINDS = st.sampled_from(["assigned", "reminder", "due", "escalation", "your_turn", "case_changed", "commented",
                         "manual_reminder", "renewal_reminder", "period_lapsed", "weekly_digest"])


def _sent(msg: Message) -> tuple[str, list[str], bytes]:
    """The envelope and bytes smtplib's send_message makes of `msg` (compat32, CRLF, From mangled)."""
    out = io.BytesIO()
    BytesGenerator(out).flatten(msg, linesep="\r\n")
    return (getaddresses([msg["From"]])[0][1], [a for _, a in getaddresses([msg["To"]])], out.getvalue())


def _item(n: int, **kw: Any) -> OutboxItem:
    values: dict[str, Any] = {
        "id": n, "key": f"k:{n}", "kind": "assigned", "case_id": 5, "attempts": 0, "created_at": NOW,
        "payload": {"case_id": 5, "title": "T", "due_at": "2027-03-01T22:59:59+00:00"},
        "recipient_id": 3, "email": "a@example.org", "name": "Åsa Öst", "language": "sv"}
    values.update(kw)
    return OutboxItem(**values)


def _same(items: list[OutboxItem], mail: MailConfig | None = None) -> None:
    mail = mail or MailConfig()
    out = render_outgoing(items, mail, TZ, NOW)
    assert isinstance(out, Outgoing)
    assert (out.sender, list(out.recipients), out.data) == _sent(render_message(items, mail, TZ, NOW))


@pytest.mark.parametrize("items", [
    [_item(1)],
    [_item(1, language="en", name="Bob Builder")],
    [_item(n, kind="reminder") for n in range(1, 60)],  # a digest: a long X-Samverkan-Notices header folds
    [_item(1, name="Ann \"Q\" <x@y>, Z", email="ann.q+tag@sub.example.org")],
    [_item(1, name="", payload={"case_id": 5, "title": "From the start\nFrom here " + "å" * 90})],
    [_item(1, payload={"case_id": 5, "title": "x" * 300, "confidential": True})],
    [_item(1, name="A" * 100, language="en", payload={"case_id": 5, "title": "An English title " * 6})],
])
def test_the_bytes_sent_are_what_send_message_would_send(items: list[OutboxItem]) -> None:
    _same(items)


def test_a_from_address_with_a_name_and_a_long_one_fold_as_the_email_package_folds_them() -> None:
    _same([_item(1)], MailConfig(from_address="Samverkan Höör <samverkan@hoor.se>"))
    _same([_item(1)], MailConfig(from_address="Samverkan, trygghetsgruppen i kommunen " * 3 + "<s@hoor.se>"))


def test_a_sender_only_smtputf8_can_carry_goes_the_email_package_s_way() -> None:
    assert render_outgoing([_item(1)], MailConfig(from_address="samverkan@höör.se"), TZ, NOW) is None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=TEXT, title=TEXT, email=DOT_ATOM, lang=st.sampled_from(["sv", "en"]), kind=KINDS,
       confidential=st.booleans(), count=st.integers(1, 4))
def test_any_name_title_and_address_make_the_email_package_s_bytes(
        name: str, title: str, email: str, lang: str, kind: str, confidential: bool, count: int) -> None:
    payload = {"case_id": 7, "title": title, "confidential": confidential, "actor": name,
               "due_at": "2027-03-01T22:59:59+00:00"}
    _same([_item(n, kind=kind, name=name, email=email, language=lang, payload=payload) for n in range(1, count + 1)])


@settings(max_examples=500, deadline=None)
@given(name=st.text(max_size=100), value=st.text(st.characters(max_codepoint=127), max_size=200))
def test_a_header_is_folded_as_the_generator_folds_it(name: str, value: str) -> None:
    name = "X-" + "".join(c for c in name if c.isascii() and c.isalnum())
    try:
        expected = compat32.clone(linesep="\r\n").fold_binary(name, value)
    except Exception as exc:  # noqa: BLE001 - the same refusal either way
        with pytest.raises(type(exc)):
            header_line(name, value)
        return
    assert header_line(name, value) == expected


@settings(max_examples=300, deadline=None)
@given(name=TEXT, email=DOT_ATOM)
def test_the_envelope_recipient_is_what_send_message_reads_from_the_to_header(name: str, email: str) -> None:
    to = formataddr((name, email)) if name.isascii() else formataddr((name.encode().hex(), email))
    assert envelope_recipients(to, email) == tuple(a for _, a in getaddresses([to]))


WORD = st.text(st.sampled_from("=?utf-8b" + "ABCxyz0123456789+/!~-:<"), min_size=1, max_size=90)


@settings(max_examples=1000, deadline=None)
@given(name=st.sampled_from(["Subject", "To", "X-Samverkan-Notices", "A"]),
       words=st.lists(WORD, min_size=1, max_size=8))
def test_words_between_single_spaces_fold_as_the_generator_folds_them(name: str, words: list[str]) -> None:
    value = " ".join(words)
    assert header_line(name, value) == compat32.clone(linesep="\r\n").fold_binary(name, value)


def _words_by_character(text: str) -> str:
    """The encoded words as render made them a character at a time: each as many bytes as fit in 45."""
    words, chunk, size = [], "", 0
    for ch in text:
        width = len(ch.encode())
        if size + width > 45:
            words.append(chunk)
            chunk, size = "", 0
        chunk += ch
        size += width
    words.append(chunk)
    return " ".join(f"=?utf-8?b?{base64.b64encode(w.encode()).decode()}?=" for w in words)


@settings(max_examples=1000, deadline=None)
@given(text=st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=200).filter(
    lambda t: not t.isascii()))
def test_encoded_words_split_at_the_last_character_that_fits_in_45_bytes(text: str) -> None:
    assert _header(text) == _words_by_character(text)

