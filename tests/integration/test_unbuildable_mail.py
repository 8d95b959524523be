"""One bad stored value (a name with a line break, a broken payload) fails its own message, never the run."""

from __future__ import annotations

from collections.abc import Callable
from email.mime.text import MIMEText
from pathlib import Path

import pytest
from smtp_sink import SmtpSink
from sqlalchemy import update
from test_notifications_cli import config_file, run  # noqa: F401  (config_file is a fixture)

from engine.accounts.users import add_user
from engine.outbox.notices import enqueue, list_notices, user_id_by_name
from engine.runtime.engine import Engine
from engine.store.models import User
from notifications import deliver_pending
from notifications.smtp import PermanentError, SmtpChannel

BROKEN = "Olle Olsson\r\nBcc: everyone@example.org"


def _user(eng: Engine, username: str, *, stored_name: str | None = None) -> None:
    """A user; `stored_name` is then written straight into the row, as an old row or an import left it."""
    with eng.db.write() as s:
        add_user(s, eng.config, username, name=username.title(), email=f"{username}@example.org",
                 now=eng.now(), roles=[("official", "socialnamnden")])
        if stored_name is not None:
            s.execute(update(User).where(User.username == username).values(name=stored_name))  # type: ignore[arg-type]


def test_a_name_with_a_line_break_fails_its_message_and_everyone_after_still_gets_mail(
        config_file: Path, notify_eng: Engine, open_case: Callable[..., int],  # noqa: F811
        smtp: SmtpSink) -> None:
    _user(notify_eng, "olle", stored_name=BROKEN)
    _user(notify_eng, "efter")  # delivered after olle: recipients go in id order
    for assignee in ("official", "olle", "efter"):
        open_case(title=f"Till {assignee}", assignee=assignee)

    code, out, err = run(config_file, "notifications", "deliver", "--now", "2027-02-10T09:00:00Z")
    assert code == 0, err
    assert "Sent 2 messages (2 notices); 0 to retry later, 1 failed." in out
    assert sorted(rcpt for _, [rcpt] in smtp.recorder.envelopes) == ["efter@example.org", "official@example.org"]
    assert "everyone@example.org" not in str(smtp.recorder.envelopes)

    code, out, _ = run(config_file, "notifications", "list", "--status", "failed")
    assert code == 0
    [line] = out.splitlines()
    assert "olle" in line
    assert "the message cannot be built: the name of user 'olle'" in line
    assert "line break" in line

    code, out, _ = run(config_file, "notifications", "deliver", "--now", "2027-02-10T09:30:00Z")
    assert code == 0
    assert "Sent 0 messages (0 notices); 0 to retry later, 0 failed." in out
    assert len(smtp.messages) == 2


def test_a_notice_whose_payload_cannot_be_rendered_is_set_aside_and_the_rest_go(
        notify_eng: Engine, open_case: Callable[..., int], smtp: SmtpSink) -> None:
    with notify_eng.db.write() as s:
        uid = user_id_by_name(s, "chair")
        assert uid is not None
        enqueue(s, key="broken", kind="reminder", case_id=None, recipient_id=uid,
                payload={"case_id": 1, "due_at": "next Tuesday"}, now=notify_eng.now(), deliver_at=notify_eng.now())
    open_case(title="Fungerar", assignee="official")

    summary = deliver_pending(notify_eng)

    assert (summary.messages, summary.failed, summary.retried) == (1, 1, 0)
    assert [m["To"] for m in smtp.messages] == ["Official <official@example.org>"]
    with notify_eng.db.read() as s:
        [failed] = list_notices(s, status="failed")
    assert failed.username == "chair"
    assert failed.last_error is not None
    assert failed.last_error.startswith("the message cannot be built: ValueError")


def test_a_message_the_email_package_cannot_flatten_is_refused_for_good_and_the_connection_goes_on(
        notify_eng: Engine, smtp: SmtpSink) -> None:
    bad = MIMEText("text")
    bad["From"], bad["To"], bad["Subject"] = "samverkan@example.org", "a@example.org", "One\r\nBcc: b@example.org"
    good = MIMEText("text")
    good["From"], good["To"], good["Subject"] = "samverkan@example.org", "a@example.org", "Two"
    with SmtpChannel(notify_eng.config.mail) as channel:
        with pytest.raises(PermanentError, match="cannot be formatted for sending"):
            channel.send(bad)
        channel.send(good)
    assert [m["Subject"] for m in smtp.messages] == ["Two"]
