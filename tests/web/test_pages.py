"""The agreement page, the chair's overview and administration."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import pytest
from sqlmodel import select

from engine.store.models import Notice


@dataclass
class FakeObligation:
    key: str
    label_sv: str
    label_en: str
    required: int
    done: int
    met: bool
    case_ids: list[int] = field(default_factory=list)
    expected: int = 0
    pace: str = ""
    open_case_ids: list[int] = field(default_factory=list)
    case_total: int = 0
    open_total: int = 0


@dataclass
class FakeStatus:
    title: str
    parties: list[str]
    period_number: int
    starts_on: dt.date
    ends_on: dt.date
    days_left: int
    status: str
    renewal_case_id: int | None
    renewal_state: str | None
    obligations: list[FakeObligation]


def _fake_status(_eng, _now, _key=None, viewer=None, shown=None):
    return FakeStatus("Samverkansavtal", ["Höörs kommun", "Polisen"], 18, dt.date(2026, 10, 15),
                      dt.date(2027, 10, 15), 247, "active", None, None,
                      [FakeObligation("police_annual_report", "Polisens information till KSAU",
                                      "Police information to KSAU", 1, 1, True, [7], 0, "met", [], 1),
                       FakeObligation("safety_group_meeting", "Trygghetsgruppens möten", "Safety group meetings",
                                      3, 1, False, [3], 2, "behind", [12], 1, 1),
                       FakeObligation("monthly_reviews", "Månadsgenomgångar", "Monthly reviews",
                                      12, 2, False, [4, 5], 2, "on_track", [], 2)])


def test_agreement_page_shows_period_days_left_and_each_obligation(web, monkeypatch):
    import web.agreement as page_module
    monkeypatch.setattr(page_module, "agreement_status", _fake_status)
    web.login("official")
    page = web.text("/agreement")
    assert "247" in page
    assert "Polisens information till KSAU" in page
    # The pace, red only when behind: 1 of the 2 meetings expected by now is behind, 2 of 2 reviews is not.
    assert "förväntat hittills 2 av 3, utfört 1" in page
    assert re.search(r'<tr class="pace-behind">\s*<td class="title">Trygghetsgruppens möten', page)
    assert re.search(r'<tr class="pace-on_track">\s*<td class="title">Månadsgenomgångar.*?I fas', page, re.S)
    assert "Uppfyllt" in page
    assert 'href="/cases/7"' in page
    assert 'href="/cases/12" aria-label="Öppet ärende 12"' in page  # the open case that would count


def test_agreement_page_lists_the_first_ten_cases_of_an_obligation_and_counts_the_rest(web, eng, open_case):
    from engine.cases.firing import fire

    # A review of the Police's that the official may not see, counted first (lowest id) in both lists.
    hidden_held = open_case("monthly_review", group="polisen", confidential=True)
    hidden_open = open_case("monthly_review", group="polisen", confidential=True)
    held = [open_case("monthly_review", group="trygghetsgruppen") for _ in range(12)]
    waiting = [open_case("monthly_review", group="trygghetsgruppen") for _ in range(12)]
    for review in (hidden_held, *held):
        fire(eng, review, "hold", "police")
    web.login("official")
    page = web.text("/agreement")
    row = page[page.index('<td class="title">Gemensamma månadsgenomgångar'):]
    row = row[:row.index("</tr>")]
    counted, would_count = row.split("<br>")

    def listed(cell):
        return [int(i) for i in re.findall(r'href="/cases/(\d+)"', cell)]

    # Every held review counts, the hidden one too; 10 of the 12 the official may see are listed, 2 more said.
    assert "förväntat hittills 3 av 12, utfört 13" in row
    assert listed(counted) == held[:10]
    assert counted.rstrip().endswith("och 2 till")
    # Open and not held yet: would count. The held ones, still open, are not listed again.
    assert listed(would_count) == waiting[:10]
    assert would_count.rstrip().endswith("och 2 till</td>")
    assert f'/cases/{hidden_held}"' not in page
    assert f'/cases/{hidden_open}"' not in page


def test_chair_overview_gives_totals_first_then_the_cases_sortable(web, open_case, clock):
    older = open_case(title="Äldst", focus_area="traffic", assignee="official", due=dt.date(2027, 2, 20))
    newer = open_case(title="Nyare", focus_area="vandalism", due=dt.date(2027, 3, 1))
    other = open_case(title="Annan grupp", group="kultur_fritid", as_user="chair", due=dt.date(2027, 2, 25))
    clock.advance(days=30)
    web.login("chair")
    page = web.text("/chair")
    # Totals first, then per group (not group × focus area), most overdue first.
    assert page.index("3 försenade") < page.index("2 i Socialnämnden") < page.index("1 i Kultur- och fritidsnämnden")
    assert page.index("1 i Kultur") < page.index(f"#{older} ") < page.index(f"#{other} ") < page.index(f"#{newer} ")
    assert "0 väntar på dig" in page  # nothing here waits for the chair in person: the groups hold it
    assert page.count('type="checkbox" name="case"') == 3
    assert "ingen (gruppen)" in page
    assert "aldrig" in page
    by_holder = web.text("/chair?sort=holder")  # the held one first, the group's own after
    assert by_holder.index(f"#{older} ") < by_holder.index(f"#{other} ")
    by_group = web.text("/chair?sort=group")
    assert by_group.index(f"#{other} ") < by_group.index(f"#{older} ")  # kultur_fritid < socialnamnden


def test_chair_overview_names_the_holder_and_offers_the_group_with_the_holder_chosen(web, eng, open_case, clock):
    from engine.store.models import User
    with eng.db.write() as s:
        holder = s.exec(select(User).where(User.username == "official")).one()
        holder.name = "Anders <Holm>"
        s.add(holder)
    case_id = open_case(title="Sen", assignee="official", due=dt.date(2027, 2, 20))
    clock.advance(days=30)
    web.login("chair")
    page = web.text("/chair")
    row = page[page.index(f'value="{case_id}" id="pick-{case_id}"'):]
    row = row[:row.index("</tr>")]
    # The person, as people know them, not their user name; and the reassign list has them chosen.
    assert '<td data-label="Innehas av">Anders &lt;Holm&gt;</td>' in row
    assert '<option value="official" selected>Anders &lt;Holm&gt;</option>' in row
    assert f'<form method="post" action="/cases/{case_id}/assign">' in row


def test_chair_overview_is_for_the_chair(web):
    web.login("official")
    assert web.client.get("/chair").status_code == 403


@pytest.mark.parametrize("url", ["/admin/users", "/admin/notifications/failed"])
def test_admin_pages_are_for_administrators(web, url):
    web.login("official")
    assert web.client.get(url).status_code == 403


def test_admin_creates_a_user_who_can_log_in(web, make_web):
    web.login("admin")
    r = web.post("/admin/users", {"username": "anna", "name": "Anna A", "email": "anna@hoor.se",
                                  "password": "ett-langt-losenord", "language": "sv",
                                  "roles": "official:socialnamnden"})
    assert r.status_code == 302
    assert "Anna A" in web.text("/admin/users")
    other = make_web()
    assert other.login("anna", "ett-langt-losenord").status_code == 302


def test_admin_form_errors_are_next_to_the_fields(web):
    web.login("admin")
    r = web.post("/admin/users", {"username": "anna", "name": "Anna", "email": "not-an-address",
                                  "password": "short", "language": "sv", "roles": ""})
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert 'id="email-error"' in page
    assert 'id="password-error"' in page
    assert 'value="anna"' in page


def test_admin_unknown_role_is_reported_at_the_roles_field(web):
    web.login("admin")
    r = web.post("/admin/users", {"username": "bo", "name": "Bo", "email": "bo@hoor.se",
                                  "password": "ett-langt-losenord", "language": "sv", "roles": "king:ksau"})
    assert r.status_code == 400
    assert 'id="roles-error"' in r.get_data(as_text=True)


def test_admin_disables_resets_and_changes_roles(web, make_web, eng):
    from engine.accounts.admin import users
    official = make_web()
    official.login("official")
    web.login("admin")
    assert web.post("/admin/users/official/roles", {"roles": "member:ksau"}).status_code == 302
    info = {u.username: u for u in users(eng, "admin")}
    assert info["official"].memberships == (("ksau", "member"),)
    assert web.post("/admin/users/official/password", {"password": "helt-nytt-losenord"}).status_code == 302
    assert official.client.get("/queues/mine").status_code == 302  # the old session ended
    assert make_web().login("official", "helt-nytt-losenord").status_code == 302
    assert web.post("/admin/users/official/disable").status_code == 302
    assert make_web().login("official", "helt-nytt-losenord").status_code == 401
    assert web.post("/admin/users/nosuchuser/disable").status_code == 404


def test_failed_notifications_are_listed_read_only(web, eng, open_case, clock):
    cid = open_case()
    with eng.db.write() as s:
        s.add(Notice(idempotency_key="x1", kind="reminder", case_id=cid, recipient_id=None,
                     created_at=clock.now(), status="failed", attempts=5, last_error="SMTP 550 mailbox unavailable"))
    web.login("admin")
    page = web.text("/admin/notifications/failed")
    assert "SMTP 550 mailbox unavailable" in page
    assert "<form" not in page.split("<main")[1]


def test_bell_counts_unread_notices_and_marks_them_read(web, eng, open_case, clock):
    from engine.accounts.users import actor_for
    cid = open_case(title="Att göra")
    with eng.db.write() as s:
        uid = actor_for(s, "official").user_id
        s.add(Notice(idempotency_key="bell-1", kind="reminder", case_id=cid, recipient_id=uid,
                     created_at=clock.now(), payload={"title": "Att göra"}, status="sent"))
    web.login("official")
    # The notice rules may have told the official about the opening too; the bell counts both.
    count = re.search(r'class="count">([1-9]\d*) (nya?)<', web.text("/queues/mine"))
    assert count is not None
    assert count[2] == ("ny" if count[1] == "1" else "nya")  # "1 ny", "2 nya"
    page = web.text("/notices")
    with eng.db.read() as s:
        bell = s.exec(select(Notice).where(Notice.idempotency_key == "bell-1")).one()
    assert f'href="/notices/{bell.id}"' in page
    assert "Ny:" in page
    assert f"Påminnelse: ärende {cid}" in page  # the notice in words, not its internal kind
    assert f"Ärende {cid}: Att göra" in page  # gathered under its case
    assert "reminder" not in page
    # Opening one marks it read and lands on its case.
    opened = web.client.get(f"/notices/{bell.id}")
    assert (opened.status_code, opened.headers["Location"]) == (302, f"/cases/{cid}")
    with eng.db.read() as s:
        assert s.get(Notice, bell.id).read_at is not None
    assert web.client.get("/notices/999999").status_code == 404  # not theirs, or none: nothing to open
    assert web.post("/notices/read").status_code == 302
    assert not re.search(r'class="count">\d+ nya?<', web.text("/queues/mine"))


def test_the_weekly_digest_in_the_bell_opens_the_chairs_overview(web, eng, clock):
    from engine.accounts.users import actor_for
    with eng.db.write() as s:
        uid = actor_for(s, "chair").user_id
        s.add(Notice(idempotency_key="digest-1", kind="weekly_digest", case_id=None, recipient_id=uid,
                     created_at=clock.now(), payload={"count": 2, "week": "2027-W06", "sections": []},
                     status="sent"))
    web.login("chair")
    page = web.text("/notices")
    assert "Veckosammanställning: 2 försenade ärenden</a>" in page
    with eng.db.read() as s:
        digest = s.exec(select(Notice).where(Notice.idempotency_key == "digest-1")).one()
    assert web.client.get(f"/notices/{digest.id}").headers["Location"] == "/chair"


def test_chair_overview_counts_days_overdue_in_calendar_days(web, open_case, clock):
    open_case(title="Igår", assignee="official", due=dt.date(2027, 2, 10))
    clock.advance(days=1)  # 2027-02-11 10:00 in Stockholm: due yesterday, 10 hours ago
    web.login("chair")
    assert re.search(r"Igår</a>.*?2027-02-10 <span[^>]*>.*?1 dag försenat</span>", web.text("/chair"), re.S)
