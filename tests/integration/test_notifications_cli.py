"""`samverkan notifications ...` and `samverkan calendar ...` against a real database and SMTP server."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from smtp_sink import SmtpSink

from engine.outbox.notices import list_for_user, mark_read, unread_count, user_id_by_name
from engine.runtime.engine import Engine
from samverkan.cli.main import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def config_file(notify_eng: Engine, smtp: SmtpSink, tmp_path: Path) -> Path:
    """The shipped config.toml pointed at the test database and the test SMTP server."""
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    text = re.sub(r'(?m)^url = .*$', f'url = "{notify_eng.config.database_url}"', text)
    text = re.sub(r'(?m)^port = .*$', f"port = {smtp.port}", text)
    text = re.sub(r'(?m)^workflows_dir = .*$', f'workflows_dir = "{ROOT / "workflows"}"', text)
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def run(config_file: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--config", str(config_file), *args])
    return result.exit_code, result.stdout, result.stderr


def test_deliver_and_list_from_the_command_line(config_file: Path, open_case: Callable[..., int],
                                                smtp: SmtpSink) -> None:
    from engine.accounts.users import add_user
    from engine.config.load import load_config
    from samverkan.bootstrap import build_engine

    eng = build_engine(load_config(config_file))
    with eng.db.write() as s:
        add_user(s, eng.config, "gone", name="Gone", email="bounce@example.org", now=eng.now(),
                 roles=[("official", "socialnamnden")])
    eng.db.dispose()
    open_case(title="A", assignee="official")
    open_case(title="B", assignee="gone")
    code, out, _ = run(config_file, "notifications", "list", "--status", "pending", "--json")
    assert code == 0
    assert len(json.loads(out)) == 2

    code, out, _ = run(config_file, "notifications", "deliver", "--now", "2027-02-10T09:00:00Z")
    assert code == 0
    assert "Sent 1 message (1 notice); 0 to retry later, 1 failed." in out
    assert len(smtp.messages) == 1
    code, out, _ = run(config_file, "notifications", "deliver", "--now", "2027-02-10T09:05:00Z")
    assert "Sent 0 messages" in out
    assert len(smtp.messages) == 1

    code, out, _ = run(config_file, "notifications", "list", "--status", "failed")
    assert code == 0
    assert "gone" in out
    assert "550" in out


def test_deliver_with_server_down_warns_and_keeps_the_messages(
        config_file: Path, open_case: Callable[..., int], smtp: SmtpSink) -> None:
    smtp.stop()
    open_case(title="A", assignee="official")
    code, out, err = run(config_file, "notifications", "deliver", "--now", "2027-02-10T09:00:00Z")
    smtp.start()
    assert code == 0
    assert "1 to retry later" in out
    assert "stay queued" in err
    code, out, _ = run(config_file, "notifications", "list", "--status", "pending", "--json")
    assert json.loads(out)[0]["attempts"] == 1


def test_calendar_token_and_revoke(config_file: Path) -> None:
    code, out, _ = run(config_file, "calendar", "token", "official")
    assert code == 0
    assert re.fullmatch(r"http://127\.0\.0\.1:5000/calendar/[A-Za-z0-9_-]{40,}\.ics\n", out)
    code, out, _ = run(config_file, "calendar", "revoke", "official")
    assert out == "Revoked 1 calendar link of official.\n"
    code, _, err = run(config_file, "calendar", "token", "nobody")
    assert code == 1
    assert err.startswith("error: No active user 'nobody'")


def test_prefer_daily_digest(config_file: Path, notify_eng: Engine) -> None:
    code, out, _ = run(config_file, "notifications", "prefer", "official", "daily")
    assert code == 0
    assert "daily digest" in out
    from engine.outbox.notices import delivery_modes
    with notify_eng.db.read() as s:
        uid = user_id_by_name(s, "official")
        assert uid is not None
        assert delivery_modes(s, [uid]) == {uid: "daily"}


def test_in_app_notices_count_unread_and_mark_read(notify_eng: Engine, open_case: Callable[..., int]) -> None:
    first = open_case(title="A", assignee="official")
    open_case(title="B", assignee="official")
    with notify_eng.db.write() as s:
        uid = user_id_by_name(s, "official")
        assert uid is not None
        assert unread_count(s, uid) == 2
        [newest, oldest] = list_for_user(s, uid)
        assert oldest.case_id == first
        assert mark_read(s, uid, notify_eng.now(), [oldest.id]) == 1
        assert unread_count(s, uid) == 1
        assert mark_read(s, uid, notify_eng.now()) == 1
        assert unread_count(s, uid) == 0
        assert list_for_user(s, uid, unread_only=True) == []


def test_repeated_tick_and_deliver_send_each_reminder_and_escalation_once(
        config_file: Path, open_case: Callable[..., int], smtp: SmtpSink) -> None:
    import datetime as dt

    from test_notifications import body, subject
    case = open_case(title="Sanera klotter i tunneln", assignee="official", due=dt.date(2027, 2, 19))
    for now in ("2027-02-10T10:00:00+01:00", "2027-02-14T09:00:00+01:00",
                "2027-02-18T09:00:00+01:00", "2027-02-20T09:00:00+01:00", "2027-02-23T09:00:00+01:00"):
        for _ in range(2):  # cron ran twice, or two schedulers: still once
            assert run(config_file, "tick", "--now", now)[0] == 0
            assert run(config_file, "notifications", "deliver", "--now", now)[0] == 0
    assert [subject(m) for m in smtp.to("official@example.org")] == [
        f"Samverkan: Du har fått ärende {case}",
        f"Samverkan: Påminnelse: ärende {case} ska vara klart 2027-02-19",
        f"Samverkan: Påminnelse: ärende {case} ska vara klart 2027-02-19",
        f"Samverkan: Försenat: ärende {case} skulle ha varit klart 2027-02-19",
    ]
    chair = "".join(body(m) for m in smtp.to("chair@example.org"))
    assert chair.count(f"Eskalering: ärende {case} är försenat sedan 2027-02-19") == 1
    assert f"http://127.0.0.1:5000/cases/{case}" in chair


@pytest.mark.slow
def test_deliver_loop_sends_what_arrives_and_stops_on_sigterm(config_file: Path, notify_eng: Engine,
                                                              smtp: SmtpSink) -> None:
    import datetime as dt
    import signal
    import subprocess
    import sys
    import time

    from engine.outbox.notices import enqueue
    proc = subprocess.Popen([sys.executable, "-m", "samverkan", "--config", str(config_file), "notifications",
                             "deliver", "--loop", "--every", "0.5"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        wall = dt.datetime.now(dt.UTC)  # the loop runs on the real clock
        with notify_eng.db.write() as s:
            uid = user_id_by_name(s, "official")
            assert uid is not None
            enqueue(s, key="loop-test", kind="manual_reminder", case_id=None, recipient_id=uid,
                    payload={"actor": "chair"}, now=wall, deliver_at=wall - dt.timedelta(minutes=1))
        deadline = time.monotonic() + 30
        while not smtp.messages and time.monotonic() < deadline:  # wait for the event, not for a time
            time.sleep(0.1)
        assert len(smtp.to("official@example.org")) == 1
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert out.splitlines()[-1] == "Deliverer stopped."
