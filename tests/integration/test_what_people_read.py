"""What people read: the history in the past tense, notices per case, the chair's overview, the agreement's pace."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlmodel import col, select

from engine.cases.commands import assign, comment
from engine.cases.firing import fire
from engine.cases.inbox import by_case, mark_case_read, my_notices, open_notice
from engine.cases.overview import chair_overview
from engine.cases.reminders import remind, remind_many
from engine.cases.views import get_case, told
from engine.kernel.errors import NotFound, ValidationError
from engine.runtime.engine import Engine
from engine.schedule.due import run_due
from engine.schedule.obligations import agreement_status, expected_by, pace_of
from engine.store.audit import verify_chain
from engine.store.models import CaseRow, Notice, User
from tests.doubles import FixedClock

STHLM_9 = dt.time(9, 0)


def _named(eng: Engine, **names: str) -> None:
    with eng.db.write() as s:
        for username, name in names.items():
            user = s.exec(select(User).where(User.username == username)).one()
            user.name = name
            s.add(user)


def test_the_history_tells_each_step_once_in_the_past_tense_with_names(
        eng: Engine, clock: FixedClock, open_case: Callable[..., int]) -> None:
    _named(eng, official="Anders Holm", member="Karin Ek", chair="Eva Ordf")
    case_id = open_case("action", title="Sanera klotter")
    for step in (lambda: assign(eng, case_id, "member", user="official"),
                 lambda: fire(eng, case_id, "start", "official"),
                 lambda: fire(eng, case_id, "complete", "official", comment="Klottret är borta."),
                 lambda: remind(eng, case_id, "chair"),
                 lambda: remind(eng, case_id, "chair")):  # a second click the same day adds no line
        clock.advance(minutes=5)
        step()
    view = get_case(eng, case_id, "chair")
    lines = [(h["actor_name"], h["trigger"], (h["past"] or {}).get("sv"), h["assignee_name"], h["to"])
             for h in told(view["history"])]
    assert lines == [
        ("Eva Ordf", "@open", None, None, "open"),
        # one line for the assignment, though the log holds it and the step it fired (two signed rows)
        ("Karin Ek", "@assign", None, "Anders Holm", "assigned"),
        ("Anders Holm", "start", "påbörjade", None, "in_progress"),
        ("Anders Holm", "complete", "markerade ärendet som utfört", None, "done"),
        ("Eva Ordf", "@remind", None, None, "done"),
    ]
    assert len(view["history"]) == len(lines) + 1
    # The completion's account of the work is among the comments too, saying which step it came with.
    clock.advance(minutes=5)
    comment(eng, case_id, "member", "Bra jobbat.")
    comments = get_case(eng, case_id, "chair")["comments"]
    assert [(c["author_name"], c["body"], (c["action"] or {}).get("sv")) for c in comments] == [
        ("Anders Holm", "Klottret är borta.", "Markera som utförd"), ("Karin Ek", "Bra jobbat.", None)]
    # The reminder's log row moved the case's version with it: the signed chain still holds.
    with eng.db.read() as s:
        assert verify_chain(s, eng.audit_keys).ok


def test_a_destructive_step_is_marked_and_a_refused_one_says_why(eng: Engine, open_case: Callable[..., int]) -> None:
    case_id = open_case("action")
    actions = {a["trigger"]: a for a in get_case(eng, case_id, "member")["actions"]}
    assert (actions["cancel"]["destructive"], actions["cancel"]["allowed"]) == (True, True)
    assert actions["assign"]["on_assign"]
    assert not actions["cancel"]["backward"]
    assign(eng, case_id, "member", user="official")
    fire(eng, case_id, "start", "official")
    fire(eng, case_id, "complete", "official", comment="Klart.")
    done = {a["trigger"]: a for a in get_case(eng, case_id, "member")["actions"]}
    assert (done["reopen"]["backward"], done["verify"]["backward"]) == (True, False)  # reopening is never next
    assert actions["assign"]["refusal"] == {"reason": "guard_unmet", "message": actions["assign"]["refusal"]["message"],
                                            "roles": [], "guards": ["has_assignee"]}


def test_an_escalation_does_not_repeat_what_the_chair_was_told_as_a_member(
        eng: Engine, clock: FixedClock) -> None:
    from notifications import install
    install(eng)
    from engine.cases.commands import OpenRequest, open_case
    # Unassigned in the chair's own group: at the due date the group (the chair too) hears "overdue";
    # a catch-up weeks later fires the 1- and 7-day escalations together.
    case = open_case(eng, OpenRequest("action", "Trygghetsvandring", group="trygghetsgruppen",
                                      due=dt.date(2027, 2, 12)), "police")
    clock.at = clock.at + dt.timedelta(days=3)
    run_due(eng, clock.at)  # the due date has passed: "Försenat" to the group
    clock.at = clock.at + dt.timedelta(days=20)
    run_due(eng, clock.at)  # both escalations at once
    with eng.db.read() as s:
        chair = s.exec(select(User.id).where(User.username == "chair")).one()
        kinds = sorted(s.exec(select(Notice.kind).where(Notice.case_id == case.id, Notice.recipient_id == chair,
                                                        col(Notice.kind).in_(["due", "escalation"]))).all())
        others = sorted(s.exec(select(Notice.kind).where(Notice.case_id == case.id, Notice.recipient_id != chair,
                                                         col(Notice.kind).in_(["due", "escalation"]))).all())
    assert kinds == ["due"]
    assert others == ["due", "due"]  # police and security, members of the group


def test_an_escalation_reaches_a_chair_outside_the_group_once_after_a_catch_up(
        eng: Engine, clock: FixedClock, open_case: Callable[..., int]) -> None:
    from notifications import install
    install(eng)
    case_id = open_case("action", as_user="official", due=dt.date(2027, 2, 12))
    clock.at = clock.at + dt.timedelta(days=30)
    run_due(eng, clock.at)  # due, the 1-day and the 7-day escalation all at once
    with eng.db.read() as s:
        chair = s.exec(select(User.id).where(User.username == "chair")).one()
        kinds = s.exec(select(Notice.kind).where(Notice.case_id == case_id, Notice.recipient_id == chair)).all()
    assert sorted(kinds) == ["escalation"]


def test_the_overview_counts_first_sorts_and_remembers_who_reminded(
        eng: Engine, clock: FixedClock, open_case: Callable[..., int]) -> None:
    _named(eng, chair="Eva Ordf")
    a = open_case(title="A", assignee="official", due=dt.date(2027, 2, 20))
    b = open_case(title="B", due=dt.date(2027, 3, 1))
    c = open_case(title="C", group="kultur_fritid", due=dt.date(2027, 2, 25))
    closed = open_case(title="D", due=dt.date(2027, 2, 26))
    open_case("agreement_renewal", group="trygghetsgruppen")  # waits for the chair (and the Police); not late
    clock.at = clock.at + dt.timedelta(days=30)
    result = remind_many(eng, [a, c], "chair", clock.at)
    fire(eng, closed, "cancel", "chair", comment="Dubblett.")
    refused = remind_many(eng, [b, closed], "chair", clock.at)
    assert (result.reminded, refused.reminded, list(refused.refused)) == ([a, c], [b], [closed])
    assert isinstance(refused.refused[closed], ValidationError)
    view = chair_overview(eng, "chair", clock.at)
    assert (view["overdue"], view["by_group"]) == (
        3, [{"group": "socialnamnden", "count": 2}, {"group": "kultur_fritid", "count": 1}])
    assert view["waiting_for_you"] == 1, "the renewal waits for her; the groups' untaken actions do not"
    rows = {r["id"]: r for r in view["cases"]}
    assert [r["id"] for r in view["cases"]] == [a, c, b]  # most days overdue first
    assert (rows[a]["days_overdue"], rows[a]["last_reminded_by"]) == (20, "Eva Ordf")
    assert rows[a]["last_reminded_at"] == clock.at.isoformat().replace("+00:00", "Z")
    assert [r["id"] for r in chair_overview(eng, "chair", clock.at, sort="holder")["cases"]][0] == a
    assert [r["id"] for r in chair_overview(eng, "chair", clock.at, sort="group")["cases"]] == [c, a, b]
    with pytest.raises(ValidationError, match="Sort by"):
        chair_overview(eng, "chair", clock.at, sort="title")


def test_the_overview_pages_through_the_overdue_cases_and_counts_one_agreement_exactly(
        eng: Engine, clock: FixedClock, open_case: Callable[..., int], monkeypatch: pytest.MonkeyPatch) -> None:
    """At national size the overview reads a page of rows in the database's order, never every overdue case;
    across all agreements the total stops at a cap, one agreement's total is exact."""
    import engine.cases.overview as overview
    from engine.cases.overview import agreement_ids
    ids = [open_case(title=f"Sen {i}", due=clock.at.date() + dt.timedelta(days=i + 1)) for i in range(5)]
    clock.at = clock.at + dt.timedelta(days=60)
    first = chair_overview(eng, "chair", clock.at, page_size=2)
    second = chair_overview(eng, "chair", clock.at, page=2, page_size=2)
    last = chair_overview(eng, "chair", clock.at, page=3, page_size=2)
    assert [[r["id"] for r in v["cases"]] for v in (first, second, last)] == [ids[:2], ids[2:4], ids[4:]]
    assert (first["has_next"], second["has_next"], last["has_next"]) == (True, True, False)
    assert (first["overdue"], first["capped"]) == (5, False), "every page says how many there are in all"
    monkeypatch.setattr(overview, "OVERVIEW_CAP", 3)
    capped = chair_overview(eng, "chair", clock.at, page_size=2)
    assert (capped["overdue"], capped["capped"], capped["by_group"]) == (3, True, [])
    hoor = agreement_ids(eng)[eng.config.agreement.key]
    exact = chair_overview(eng, "chair", clock.at, agreement_id=hoor, page_size=2)
    assert (exact["overdue"], exact["capped"], exact["by_group"]) == (
        5, False, [{"group": "socialnamnden", "count": 5}])


def test_notices_are_gathered_per_case_and_read_when_opened(
        eng: Engine, clock: FixedClock, open_case: Callable[..., int]) -> None:
    from notifications import install
    install(eng)
    first = open_case(title="Första", assignee="official")
    second = open_case(title="Andra", assignee="official")
    clock.at = clock.at + dt.timedelta(hours=1)
    remind(eng, first, "chair", clock.at)
    groups = by_case(my_notices(eng, "official"))
    assert [(g["case_id"], g["unread"], [n["kind"] for n in g["notices"]]) for g in groups] == [
        (first, 2, ["manual_reminder", "assigned"]), (second, 1, ["assigned"])]
    opened = open_notice(eng, "official", groups[1]["notices"][0]["id"], clock.at)
    assert opened["case_id"] == second
    with pytest.raises(NotFound):
        open_notice(eng, "member", groups[0]["notices"][0]["id"], clock.at)  # not theirs
    assert mark_case_read(eng, "official", first, clock.at) == 2
    assert mark_case_read(eng, "official", first, clock.at) == 0
    assert [g["unread"] for g in by_case(my_notices(eng, "official"))] == [0, 0]


@pytest.mark.parametrize(("required", "today", "expected"), [
    (12, dt.date(2026, 10, 15), 0), (12, dt.date(2027, 2, 10), 3), (3, dt.date(2027, 2, 10), 0),
    (12, dt.date(2027, 10, 14), 11), (12, dt.date(2028, 1, 1), 12), (1, dt.date(2027, 10, 14), 0)])
def test_the_pace_spreads_what_is_required_evenly_over_the_period(required: int, today: dt.date,
                                                                  expected: int) -> None:
    assert expected_by(required, dt.date(2026, 10, 15), dt.date(2027, 10, 15), today) == expected


def test_red_only_when_behind_not_merely_unfinished() -> None:
    assert [pace_of(1, 12, 2), pace_of(2, 12, 2), pace_of(12, 12, 12), pace_of(0, 3, 0)] == [
        "behind", "on_track", "met", "on_track"]


def test_the_agreement_shows_the_pace_the_open_cases_and_whose_signature_is_missing(
        eng: Engine, clock: FixedClock) -> None:
    from engine.cases.commands import OpenRequest, open_case
    review = open_case(eng, OpenRequest("monthly_review", "Månadsgenomgång", group="trygghetsgruppen",
                                        event_at=clock.at + dt.timedelta(days=3)), "system")
    status = agreement_status(eng, clock.at, viewer="chair")
    assert status is not None
    reviews = next(o for o in status.obligations if o.key == "monthly_reviews")
    # 10 February: 118 of the period's 365 days have passed, so 3 of the 12 reviews are expected.
    assert (reviews.expected, reviews.done, reviews.pace, reviews.open_case_ids) == (3, 0, "behind", [review.id])
    meetings = next(o for o in status.obligations if o.key == "safety_group_meetings")
    assert (meetings.expected, meetings.pace) == (0, "on_track")
    assert status.missing_signatures == []  # no renewal open yet
    # The renewal opens 120 days before the period ends; after the chair signs, the police's is missing.
    clock.at = dt.datetime(2027, 6, 20, 9, 0, tzinfo=dt.UTC)
    run_due(eng, clock.at)
    with eng.db.read() as s:
        renewal = s.exec(select(CaseRow).where(CaseRow.workflow == "agreement_renewal")).one()
    fire(eng, renewal.id or 0, "schedule_discussion", "chair", now=clock.at)
    fire(eng, renewal.id or 0, "hold_discussion", "police", comment="Förlängning.", now=clock.at)
    assert agreement_status(eng, clock.at).missing_signatures == ["municipality", "police"]  # type: ignore[union-attr]
    fire(eng, renewal.id or 0, "sign", "chair", now=clock.at)
    assert agreement_status(eng, clock.at).missing_signatures == ["police"]  # type: ignore[union-attr]
