"""Notices reach the right people once, by real SMTP, in their language, with a link to the case."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from email.message import Message

import pytest
from smtp_sink import SmtpSink, free_port

from engine.cases.commands import assign
from engine.kernel.events import DeadlineEscalation, DeadlineReached, DeadlineReminder, PeriodLapsed
from engine.outbox.notices import list_notices
from engine.runtime.engine import Engine
from notifications import deliver_pending
from notifications.render import message_id

BASE = "https://samverkan.example.org"


def _at(iso: str) -> dt.datetime:
    """A deadline row's due time, as run_due reads it."""
    return dt.datetime.fromisoformat(iso)


def body(msg: Message) -> str:
    """The plain-text part of `msg`."""
    for part in msg.walk():
        if part.get_content_type() == "text/plain":
            return str(part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8"))
    raise AssertionError("no text/plain part")


def html(msg: Message) -> str:
    for part in msg.walk():
        if part.get_content_type() == "text/html":
            return str(part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8"))
    raise AssertionError("no text/html part")


def subject(msg: Message) -> str:
    from email.header import decode_header, make_header
    return str(make_header(decode_header(msg["Subject"])))


def test_assignment_reaches_the_assignee_once_in_swedish(notify_eng: Engine, open_case: Callable[..., int],
                                                         smtp: SmtpSink) -> None:
    case = open_case(title="Sanera klotter", assignee="official")
    first = deliver_pending(notify_eng)
    again = deliver_pending(notify_eng)
    assert (first.messages, again.messages) == (1, 0)
    [msg] = smtp.to("official@example.org")
    assert subject(msg) == f"Samverkan: Du har fått ärende {case}"
    assert f"{BASE}/cases/{case}" in body(msg)
    assert "Sanera klotter" in body(msg)
    assert f'href="{BASE}/cases/{case}"' in html(msg)
    assert msg["Content-Language"] == "sv"


def test_reassignment_tells_the_new_assignee_but_not_the_one_who_assigned(
        notify_eng: Engine, open_case: Callable[..., int], smtp: SmtpSink) -> None:
    case = open_case(title="Trygghetsvandring", as_user="official")
    assign(notify_eng, case, "official", user="member")
    assign(notify_eng, case, "member", user="official")  # member hands it back to official
    deliver_pending(notify_eng)
    assert [subject(m) for m in smtp.to("member@example.org")] == [f"Samverkan: Du har fått ärende {case}"]
    assert [subject(m) for m in smtp.to("official@example.org")] == [f"Samverkan: Du har fått ärende {case}"]
    assert len(smtp.messages) == 2


def test_reminder_goes_to_every_group_member_while_unassigned(
        notify_eng: Engine, open_case: Callable[..., int], emit: Callable[..., None], smtp: SmtpSink) -> None:
    case = open_case(title="Föräldramöte", due=dt.date(2027, 3, 12), as_user="official")
    emit(DeadlineReminder, case, deadline_id=7, offset_days=5, state="open",
         due_at=_at("2027-03-05T07:00:00+00:00"), workflow="action")
    deliver_pending(notify_eng)
    to = sorted(a for _, rcpts in smtp.recorder.envelopes for a in rcpts)
    assert to == ["anna@example.org", "member@example.org", "official@example.org"]
    [sv] = smtp.to("official@example.org")
    assert subject(sv) == f"Samverkan: Påminnelse: ärende {case} ska vara klart 2027-03-12"
    [en] = smtp.to("anna@example.org")
    assert subject(en) == f"Samverkan: Reminder: case {case} is due 2027-03-12"
    assert en["Content-Language"] == "en"
    assert f"{BASE}/cases/{case}" in body(en)


def test_due_passing_tells_the_assignee_and_escalation_tells_the_chair(
        notify_eng: Engine, open_case: Callable[..., int], emit: Callable[..., None], smtp: SmtpSink) -> None:
    case = open_case(title="Mopedtrafik", assignee="anna", due=dt.date(2027, 3, 12))
    deliver_pending(notify_eng)  # the assignment
    emit(DeadlineReached, case, deadline_id=8, offset_days=0, state="open",
         due_at=_at("2027-03-12T22:59:59+00:00"), workflow="action")
    emit(DeadlineEscalation, case, deadline_id=9, offset_days=1, state="open",
         due_at=_at("2027-03-15T07:00:00+00:00"), workflow="action")
    deliver_pending(notify_eng)
    assert [subject(m) for m in smtp.to("anna@example.org")] == [
        f"Samverkan: You have been given case {case}", f"Samverkan: Overdue: case {case} was due 2027-03-12"]
    [chair] = smtp.to("chair@example.org")
    assert subject(chair) == f"Samverkan: Eskalering: ärende {case} är försenat sedan 2027-03-12"
    assert len(smtp.messages) == 3


def test_renewal_reminder_and_lapse_reach_chair_police_and_chief_administrative_officer(
        notify_eng: Engine, open_case: Callable[..., int], emit: Callable[..., None], smtp: SmtpSink) -> None:
    case = open_case("agreement_renewal", title="Avtalsförnyelse 2027", group="trygghetsgruppen")
    emit(DeadlineReminder, case, deadline_id=11, offset_days=90, state="opened",
         due_at=_at("2027-07-16T06:00:00+00:00"), workflow="agreement_renewal")
    emit(PeriodLapsed, case, period_id=18, ends_on=dt.date(2027, 10, 15))
    summary = deliver_pending(notify_eng)
    want = ["chair@example.org", "kanslichef@example.org", "police@example.org"]
    assert sorted(a for _, rcpts in smtp.recorder.envelopes for a in rcpts) == want
    assert summary.messages == 3
    assert summary.notices_sent == 6
    text = body(smtp.to("kanslichef@example.org")[0])
    assert "Avtalsförnyelse: avtalsperioden slutar" in text
    assert "om 90 dagar" in text
    assert "Avtalsperioden slutade 2027-10-14 utan att avtalet förnyats" in text
    assert f"{BASE}/cases/{case}" in text


def test_a_reminder_moved_off_a_weekend_counts_the_real_days_and_renewal_due_and_escalation_stay_quiet(
        notify_eng: Engine, open_case: Callable[..., int], emit: Callable[..., None], smtp: SmtpSink) -> None:
    case = open_case("agreement_renewal", title="Avtalsförnyelse 2027", group="trygghetsgruppen")
    # The renewal is due 2027-10-14; its 7-day reminder day, a Thursday... moved to Tuesday the 5th.
    emit(DeadlineReminder, case, deadline_id=31, offset_days=7, state="opened",
         due_at=_at("2027-10-05T06:00:00+00:00"), workflow="agreement_renewal")
    emit(DeadlineReached, case, deadline_id=32, offset_days=0, state="opened",
         due_at=_at("2027-10-14T21:59:59+00:00"), workflow="agreement_renewal")
    emit(DeadlineEscalation, case, deadline_id=33, offset_days=1, state="opened",
         due_at=_at("2027-10-15T06:00:00+00:00"), workflow="agreement_renewal")
    deliver_pending(notify_eng)
    [msg] = smtp.to("chair@example.org")
    assert "avtalsperioden slutar 2027-10-14, om 9 dagar" in body(msg)
    assert "Avtalsförnyelse" in subject(msg)  # one message: the reminder alone


def test_a_case_held_by_a_disabled_account_reminds_its_group_instead(
        notify_eng: Engine, open_case: Callable[..., int], emit: Callable[..., None], smtp: SmtpSink) -> None:
    from engine.accounts.users import disable_user
    case = open_case(title="Hålls av en som slutat", assignee="member")
    with notify_eng.db.write() as s:
        disable_user(s, "member")
    deliver_pending(notify_eng)
    smtp.messages.clear()
    smtp.recorder.envelopes.clear()
    emit(DeadlineReminder, case, deadline_id=41, offset_days=1, state="open",
         due_at=_at("2027-03-11T07:00:00+00:00"), workflow="action")
    deliver_pending(notify_eng)
    assert smtp.to("member@example.org") == []
    [msg] = smtp.to("official@example.org")  # the other member of socialnamnden
    assert f"Påminnelse: ärende {case}" in body(msg)


def test_a_manual_reminder_names_the_sender_as_people_know_them(
        notify_eng: Engine, open_case: Callable[..., int], smtp: SmtpSink) -> None:
    from engine.cases.reminders import remind
    case = open_case(title="Påminns", assignee="official")
    deliver_pending(notify_eng)
    smtp.messages.clear()
    smtp.recorder.envelopes.clear()
    remind(notify_eng, case, "chair")
    remind(notify_eng, case, "chair")  # a double click
    deliver_pending(notify_eng)
    [msg] = smtp.to("official@example.org")
    assert body(msg).count(f"Påminnelse från Chair: ärende {case}") == 1


def test_the_same_deadline_seen_twice_makes_one_message(
        notify_eng: Engine, open_case: Callable[..., int], emit: Callable[..., None], smtp: SmtpSink) -> None:
    case = open_case(title="Inbrottsförebyggande", assignee="official")
    fields = {"deadline_id": 21, "offset_days": 1, "state": "open", "due_at": _at("2027-03-11T07:00:00+00:00"),
              "workflow": "action"}
    emit(DeadlineReminder, case, **fields)
    deliver_pending(notify_eng)
    emit(DeadlineReminder, case, **fields)  # a replayed tick
    assert deliver_pending(notify_eng).messages == 0
    [msg] = smtp.to("official@example.org")  # the assignment and the reminder, in one message
    assert subject(msg) == "Samverkan: 2 meddelanden"
    assert body(msg).count(f"Påminnelse: ärende {case}") == 1


def test_message_id_is_derived_from_the_idempotency_key(
        notify_eng: Engine, open_case: Callable[..., int], smtp: SmtpSink) -> None:
    case = open_case(title="X", assignee="official")
    deliver_pending(notify_eng)
    [msg] = smtp.messages
    official = next(n for n in list_notices_all(notify_eng) if n.case_id == case)
    assert msg["Message-ID"] == message_id([official.key])


def list_notices_all(eng: Engine, status: str | None = None) -> list:  # type: ignore[type-arg]
    with eng.db.read() as s:
        return list_notices(s, status=status)


def test_confidential_case_message_names_only_the_number_and_link(
        notify_eng: Engine, open_case: Callable[..., int], smtp: SmtpSink) -> None:
    case = open_case(title="Orosanmälan Bengtsson", assignee="official", confidential=True)
    deliver_pending(notify_eng)
    [msg] = smtp.messages
    everything = subject(msg) + body(msg) + html(msg)
    assert "Bengtsson" not in everything
    assert "Orosanmälan" not in everything
    assert f"ärende {case}" in subject(msg)
    assert f"{BASE}/cases/{case}" in body(msg)
    assert all("Bengtsson" not in str(n.payload) for n in list_notices_all(notify_eng))


def test_smtp_down_delays_without_losing_then_delivers_once(
        notify_eng: Engine, open_case: Callable[..., int], smtp: SmtpSink, clock) -> None:  # type: ignore[no-untyped-def]
    import dataclasses
    up = notify_eng.config
    notify_eng.config = dataclasses.replace(up, mail=dataclasses.replace(up.mail, port=free_port()))
    case = open_case(title="Klotter vid stationen", assignee="official")
    down = deliver_pending(notify_eng)
    assert (down.messages, down.retried, down.failed) == (0, 1, 0)
    assert "cannot reach" in (down.error or "")
    [pending] = list_notices_all(notify_eng, "pending")
    assert pending.attempts == 1
    assert pending.next_attempt_at == clock.now() + dt.timedelta(seconds=60)

    notify_eng.config = up  # the server is back, but the backoff has not passed
    clock.advance(seconds=30)
    assert deliver_pending(notify_eng).messages == 0
    assert smtp.messages == []
    clock.advance(seconds=31)
    assert deliver_pending(notify_eng).messages == 1
    assert deliver_pending(notify_eng).messages == 0
    [msg] = smtp.messages
    assert f"{BASE}/cases/{case}" in body(msg)
    [sent] = list_notices_all(notify_eng, "sent")
    assert sent.attempts == 2
    assert sent.last_error is None


def test_backoff_doubles_and_gives_up_after_max_attempts(
        notify_eng: Engine, open_case: Callable[..., int], clock) -> None:  # type: ignore[no-untyped-def]
    import dataclasses
    cfg = notify_eng.config
    notify_eng.config = dataclasses.replace(cfg, mail=dataclasses.replace(cfg.mail, port=free_port()))
    open_case(title="Y", assignee="official")
    start = clock.now()
    deliver_pending(notify_eng)
    clock.advance(seconds=60)
    deliver_pending(notify_eng)
    [n] = list_notices_all(notify_eng, "pending")
    assert n.attempts == 2
    assert n.next_attempt_at == start + dt.timedelta(seconds=60 + 120)
    clock.advance(seconds=120)
    last = deliver_pending(notify_eng)
    assert last.failed == 1
    [failed] = list_notices_all(notify_eng, "failed")
    assert failed.attempts == 3
    assert "cannot reach" in (failed.last_error or "")


def test_permanently_refused_address_ends_failed_and_others_still_arrive(
        notify_eng: Engine, open_case: Callable[..., int], smtp: SmtpSink) -> None:
    from engine.accounts.users import add_user
    with notify_eng.db.write() as s:
        add_user(s, notify_eng.config, "gone", name="Gone", email="bounce@example.org", now=notify_eng.now(),
                 roles=[("official", "socialnamnden")])
    open_case(title="Z", assignee="gone")
    open_case(title="W", assignee="official")
    summary = deliver_pending(notify_eng)
    assert (summary.messages, summary.failed, summary.retried) == (1, 1, 0)
    [failed] = list_notices_all(notify_eng, "failed")
    assert failed.username == "gone"
    assert failed.last_error
    assert failed.last_error.startswith("550")
    assert deliver_pending(notify_eng).messages == 0
    assert len(smtp.to("official@example.org")) == 1


def test_daily_digest_merges_several_notices_into_one_message(
        notify_eng: Engine, open_case: Callable[..., int], smtp: SmtpSink, clock) -> None:  # type: ignore[no-untyped-def]
    from engine.outbox.notices import set_mode
    with notify_eng.db.write() as s:
        set_mode(s, 3, "daily", clock.now())  # official (third persona)
    cases = [open_case(title=f"Åtgärd {n}", assignee="official") for n in range(3)]
    assert deliver_pending(notify_eng).messages == 0  # 10:00 local: waits for tomorrow 07:00
    clock.at = dt.datetime(2027, 2, 11, 6, 0, tzinfo=dt.UTC)  # 07:00 in Stockholm (CET)
    summary = deliver_pending(notify_eng)
    assert (summary.messages, summary.notices_sent) == (1, 3)
    [msg] = smtp.messages
    assert subject(msg) == "Samverkan: 3 meddelanden"
    assert all(f"{BASE}/cases/{c}" in body(msg) for c in cases)


def test_chair_weekly_digest_groups_overdue_cases_by_group_and_focus_area(
        notify_eng: Engine, open_case: Callable[..., int], smtp: SmtpSink, clock) -> None:  # type: ignore[no-untyped-def]
    a = open_case(title="Narkotikainsats", focus_area="drugs", due=dt.date(2027, 2, 12))
    b = open_case(title="Cykelstölder", focus_area="burglary", group="kultur_fritid", due=dt.date(2027, 2, 12))
    open_case(title="Inte försenad", focus_area="drugs", due=dt.date(2027, 4, 1))
    clock.at = dt.datetime(2027, 2, 15, 7, 30, tzinfo=dt.UTC)  # Monday 08:30 local
    deliver_pending(notify_eng)
    deliver_pending(notify_eng)  # same week: no second digest
    [msg] = smtp.to("chair@example.org")
    text = body(msg)
    assert subject(msg) == "Samverkan: Veckosammanställning: 2 försenade ärenden"
    assert "Kultur- och fritidsnämnden · Inbrott" in text
    assert "Socialnämnden · Narkotika" in text
    assert "Cykelstölder" in text
    assert "Inte försenad" not in text
    assert f"{BASE}/cases/{a}" in text
    assert f"{BASE}/cases/{b}" in text


def test_a_weekly_digest_missed_on_its_day_is_sent_once_at_the_next_run_that_week(
        notify_eng: Engine, open_case: Callable[..., int], smtp: SmtpSink, clock) -> None:  # type: ignore[no-untyped-def]
    open_case(title="Försenad", due=dt.date(2027, 2, 12))
    clock.at = dt.datetime(2027, 2, 15, 5, 30, tzinfo=dt.UTC)  # Monday 06:30 local: not yet its hour
    deliver_pending(notify_eng)
    assert smtp.to("chair@example.org") == []
    clock.at = dt.datetime(2027, 2, 17, 12, 0, tzinfo=dt.UTC)  # no run since; Wednesday
    deliver_pending(notify_eng)
    clock.at = dt.datetime(2027, 2, 21, 20, 0, tzinfo=dt.UTC)  # Sunday: still that week
    deliver_pending(notify_eng)
    [msg] = smtp.to("chair@example.org")
    assert subject(msg) == "Samverkan: Veckosammanställning: 1 försenat ärende"
    assert f"{BASE}/chair" in body(msg)  # the chair's overview, where the overdue cases are
    clock.at = dt.datetime(2027, 2, 22, 6, 30, tzinfo=dt.UTC)  # the next Monday 07:30: the next week's
    deliver_pending(notify_eng)
    assert len(smtp.to("chair@example.org")) == 2


def test_a_week_with_nothing_overdue_at_digest_time_gets_no_digest_later_that_week(
        notify_eng: Engine, open_case: Callable[..., int], smtp: SmtpSink, clock) -> None:  # type: ignore[no-untyped-def]
    open_case(title="Förfaller onsdag", due=dt.date(2027, 2, 17))
    clock.at = dt.datetime(2027, 2, 15, 7, 30, tzinfo=dt.UTC)  # Monday 08:30: nothing overdue yet
    deliver_pending(notify_eng)
    clock.at = dt.datetime(2027, 2, 18, 12, 0, tzinfo=dt.UTC)  # Thursday: overdue now
    deliver_pending(notify_eng)
    assert [subject(m) for m in smtp.to("chair@example.org")
            if "Veckosammanställning" in subject(m)] == []  # it waits for Monday's digest
    clock.at = dt.datetime(2027, 2, 22, 7, 30, tzinfo=dt.UTC)
    deliver_pending(notify_eng)
    assert [subject(m) for m in smtp.to("chair@example.org") if "Veckosammanställning" in subject(m)] == [
        "Samverkan: Veckosammanställning: 1 försenat ärende"]


def test_renewal_season_through_run_due_tells_the_three_once_per_step(
        notify_eng: Engine, smtp: SmtpSink) -> None:
    from engine.schedule.due import run_due
    steps = ["2027-06-20T09:00:00+02:00", "2027-07-20T09:00:00+02:00", "2027-09-20T09:00:00+02:00",
             "2027-10-12T09:00:00+02:00", "2027-10-16T09:00:00+02:00"]
    for step in steps:
        at = _at(step)
        for _ in range(2):
            run_due(notify_eng, at)
            deliver_pending(notify_eng, at)
    for who in ("chair", "police", "kanslichef"):
        text = "".join(body(m) for m in smtp.to(f"{who}@example.org"))
        for days in (90, 30, 7):
            assert text.count(f"avtalsperioden slutar 2027-10-14, om {days} dagar") == 1, (who, days)
        assert text.count("Avtalsperioden slutade 2027-10-14 utan att avtalet förnyats") == 1, who
    # Others are not told about the renewal (official gets only the recurring Örebromodellen action's).
    assert not any("vtal" in body(m) for m in smtp.to("official@example.org"))


def test_two_deliverers_never_claim_the_same_notice(notify_eng: Engine, open_case: Callable[..., int]) -> None:
    from engine.outbox.notices import claim_due
    for n in range(3):
        open_case(title=f"C{n}", assignee="official")
    first = claim_due(notify_eng.db, notify_eng.now())
    second = claim_due(notify_eng.db, notify_eng.now())
    assert len(first) == 3
    assert second == []
    # A deliverer that died holding the claim: the notices come back when the lease ends.
    later = claim_due(notify_eng.db, notify_eng.now() + dt.timedelta(minutes=11))
    assert sorted(i.id for i in later) == sorted(i.id for i in first)


def test_disabled_recipient_is_not_mailed_and_the_notice_shows_as_failed(
        notify_eng: Engine, open_case: Callable[..., int], smtp: SmtpSink) -> None:
    from engine.accounts.users import disable_user
    open_case(title="Q", assignee="official")
    with notify_eng.db.write() as s:
        disable_user(s, "official")
    summary = deliver_pending(notify_eng)
    assert (summary.messages, summary.failed) == (0, 1)
    assert smtp.messages == []
    [failed] = list_notices_all(notify_eng, "failed")
    assert failed.last_error == "the recipient's account is disabled"


def test_case_opened_for_another_group_tells_that_group_but_not_when_opened_within_it(
        notify_eng: Engine, open_case: Callable[..., int], smtp: SmtpSink) -> None:
    handed = open_case("acute_matter", title="Oro vid skolan")  # the chair -> socialnamnden
    open_case(title="Eget ärende", as_user="official")  # official is in socialnamnden
    deliver_pending(notify_eng)
    to = sorted(a for _, rcpts in smtp.recorder.envelopes for a in rcpts)
    assert to == ["anna@example.org", "member@example.org", "official@example.org", "police@example.org"]
    # It waits for the assessment of the Police and of Socialnämnden's official: their turn, once each.
    turn = f"Samverkan: Din tur: ärende {handed} väntar på Polisens bedömning, bedömning av Socialnämnden"
    assert [subject(m) for m in smtp.to("official@example.org")] == [turn]
    assert [subject(m) for m in smtp.to("police@example.org")] == [turn]
    [msg] = smtp.to("member@example.org")
    assert subject(msg) == f"Samverkan: Din grupp har fått ärende {handed}, som ingen har tagit ännu"


def test_login_uses_the_password_from_the_named_environment_variable(
        notify_eng: Engine, open_case: Callable[..., int], monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses
    server = SmtpSink(credentials=("samverkan", "hemligt")).start()
    try:
        cfg = notify_eng.config
        notify_eng.config = dataclasses.replace(cfg, mail=dataclasses.replace(
            cfg.mail, port=server.port, user="samverkan", password_env="TEST_SMTP_PASSWORD"))
        open_case(title="A", assignee="official")
        monkeypatch.setenv("TEST_SMTP_PASSWORD", "fel")
        wrong = deliver_pending(notify_eng)
        assert (wrong.messages, wrong.retried) == (0, 1)
        assert "refused the log-in as 'samverkan'" in (wrong.error or "")
        assert "TEST_SMTP_PASSWORD" in (wrong.error or "")
        monkeypatch.setenv("TEST_SMTP_PASSWORD", "hemligt")
        notify_eng.clock.advance(seconds=60)  # type: ignore[attr-defined]
        assert deliver_pending(notify_eng).messages == 1
        assert len(server.to("official@example.org")) == 1
        assert server.recorder.authenticated == [True]
    finally:
        server.stop()
