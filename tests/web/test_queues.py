"""Queues: what a person sees, counts in the navigation, filters, pages, overdue marks."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from web import create_app


def _ids(page: str) -> list[int]:
    """The cases a page lists, in order (each row links its case twice: its title and its main action)."""
    return list(dict.fromkeys(int(x) for x in re.findall(r'href="/cases/(\d+)"', page)))


def test_my_queue_lists_my_cases_soonest_due_first(web, open_case):
    later = open_case(title="Senare", assignee="official", due=dt.date(2027, 6, 1))
    sooner = open_case(title="Tidigare", assignee="official", due=dt.date(2027, 3, 1))
    open_case(title="Någon annans", assignee="member")
    web.login("official")
    page = web.text("/queues/mine")
    assert _ids(page) == [sooner, later]
    assert "Mina ärenden <span class=\"count\">(2)</span>" in page


def test_group_and_unassigned_queues(web, open_case):
    mine = open_case(title="Gruppens", group="socialnamnden")
    open_case(title="Andras", group="kultur_fritid")
    web.login("member")
    assert _ids(web.text("/queues/group")) == [mine]
    assert _ids(web.text("/queues/unassigned")) == [mine]


def test_overdue_is_marked_in_words_not_only_colour(web, open_case, clock):
    cid = open_case(title="Sen", assignee="official")
    clock.advance(days=40)
    web.login("official")
    page = web.text("/queues/overdue")
    assert _ids(page) == [cid]
    assert "⚠ </span>försenad" in page
    assert "Försenade <span class=\"count\">(1)</span>" in page


def test_due_soon_is_marked(web, open_case, clock):
    open_case(title="Snart", assignee="official", due=dt.date(2027, 2, 11))
    web.login("official")
    assert "förfaller snart" in web.text("/queues/mine")


def test_filters_by_focus_area_workflow_and_due_range(web, open_case):
    traffic = open_case(title="Trafik", focus_area="traffic", due=dt.date(2027, 3, 1))
    open_case(title="Droger", focus_area="drugs", due=dt.date(2027, 5, 1))
    web.login("member")
    assert _ids(web.text("/queues/group?focus_area=traffic")) == [traffic]
    assert _ids(web.text("/queues/group?due_from=2027-02-20&due_to=2027-03-05")) == [traffic]
    assert _ids(web.text("/queues/group?workflow=acute_matter")) == []
    assert _ids(web.text("/queues/group?group=socialnamnden&state=open")) != []


def test_bad_filter_values_are_explained(web):
    web.login("member")
    page = web.text("/queues/group?due_from=1%20mars")
    assert "Skriv datumet som ÅÅÅÅ-MM-DD" in page


def test_unknown_queue_is_404(web):
    web.login("member")
    assert web.client.get("/queues/everything").status_code == 404


def test_queue_is_paginated_on_the_server(eng, clock, open_case, make_web):
    app = create_app(eng.config, engine=eng, clock=clock, testing=True, overrides={"PAGE_SIZE": 2})
    ids = [open_case(title=f"Ärende {i}", due=dt.date(2027, 3, i + 1)) for i in range(3)]
    web = make_web(app)
    web.login("member")
    first = web.text("/queues/group?focus_area=")
    assert _ids(first) == ids[:2]
    assert "rel=\"next\"" in first
    second = web.text("/queues/group?page=2")
    assert _ids(second) == ids[2:]
    assert "rel=\"next\"" not in second


@pytest.mark.parametrize("queue", ["overdue", "group", "unassigned", "mine"])
def test_confidential_cases_never_show_for_outsiders(web, open_case, clock, queue):
    open_case(title="Hemlig sak", confidential=True, group="socialnamnden")
    clock.advance(days=40)
    web.login("outsider")
    page = web.text(f"/queues/{queue}")
    assert "Hemlig sak" not in page
    assert "Försenade <span class=\"count\">(0)</span>" in page


def test_a_queue_page_costs_the_same_statements_however_long_and_reads_in_one_transaction(web, open_case, eng):
    """No statement per row (names are joined), and the user, the header's counts and the rows
    are read in one transaction rather than one each."""
    from sqlalchemy import event

    def work(url: str) -> tuple[int, int]:
        statements, transactions = [], []
        on_statement = lambda *a: statements.append(a[2])  # noqa: E731
        on_begin = lambda conn: transactions.append(conn)  # noqa: E731
        event.listen(eng.db.engine, "before_cursor_execute", on_statement)
        event.listen(eng.db.engine, "begin", on_begin)
        try:
            assert web.client.get(url).status_code == 200
        finally:
            event.remove(eng.db.engine, "before_cursor_execute", on_statement)
            event.remove(eng.db.engine, "begin", on_begin)
        return len([s for s in statements if s.lstrip().upper().startswith("SELECT")]), len(transactions)

    open_case(title="Ett", assignee="official", due=dt.date(2027, 3, 1))
    web.login("official")
    few = work("/queues/mine")
    for i in range(12):
        open_case(title=f"Fler {i}", assignee="official", group="kultur_fritid" if i % 2 else "socialnamnden")
    many = work("/queues/mine")
    assert len(_ids(web.text("/queues/mine"))) == 13
    assert many == few
    assert many[1] == 1


def test_an_absurd_page_number_is_the_last_page_one_could_ask_for_not_an_error(web):
    web.login("official")
    r = web.client.get("/queues/mine?page=99999999999999999999")
    assert r.status_code == 200
    assert "Inga ärenden här." in r.get_data(as_text=True)


def test_att_gora_says_in_words_when_each_case_is_due(web, open_case):
    dated = open_case(title="Med datum", group="socialnamnden", due=dt.date(2027, 3, 1))
    web.login("member")
    page = web.text("/todo")
    card = page[page.index(f'href="/cases/{dated}"'):]
    card = card[:card.index("</li>")]
    assert "Ska vara klart 2027-03-01" in card  # the date is the local one, the sentence translated once per page


def test_att_gora_shows_the_soonest_few_and_links_to_all_that_waits(web, open_case):
    ids = [open_case(title=f"Väntar {n}", assignee="official", due=dt.date(2027, 3, 1) + dt.timedelta(days=n))
           for n in (12, 0, 5, 11, 1, 7, 3, 9, 2, 10, 4, 8, 6)]
    soonest_first = [cid for _, cid in sorted(zip((12, 0, 5, 11, 1, 7, 3, 9, 2, 10, 4, 8, 6), ids, strict=True))]
    web.login("official")
    page = web.text("/todo")
    yours = page[page.index('id="h-yours"'):page.index('id="h-untaken"')]
    assert _ids(yours) == soonest_first[:10]  # a phone's few screens, soonest due first
    assert "13 ärenden väntar på dig" in page
    assert '<a href="/queues/todo">Allt som väntar på dig</a>' in yours
    everything = web.text("/queues/todo")
    assert "<h1>Väntar på dig</h1>" in everything
    assert _ids(everything) == soonest_first  # every one, in the same order, on the queue page
    assert re.search(r'<a href="/todo" aria-current="page">Att göra', everything)


def test_the_lists_name_the_case_officer_as_people_know_them(web, eng, open_case):
    """A queue row and an Att göra card say "Anders Holm", not the log-in name "official"."""
    from sqlmodel import select

    from engine.store.models import User

    with eng.db.write() as s:
        user = s.exec(select(User).where(User.username == "official")).one()
        user.name = "Anders Holm"
        s.add(user)
    held = open_case(title="Hålls av Anders", group="socialnamnden", assignee="official", due=dt.date(2027, 3, 1))
    web.login("official")
    table = web.text("/queues/mine")
    row = table[table.index(f'href="/cases/{held}"'):]
    row = row[:row.index("</tr>")]
    assert ">Anders Holm</td>" in row
    assert ">official<" not in row
    page = web.text("/todo")
    card = page[page.index(f'href="/cases/{held}"'):]
    assert "Handläggare: Anders Holm" in card[:card.index("</li>")]
