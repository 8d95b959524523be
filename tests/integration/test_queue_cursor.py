"""Keyset pages of a queue: the same order as the offset pages, nothing skipped or repeated."""

from __future__ import annotations

import datetime as dt

import pytest

from engine.cases.firing import fire
from engine.cases.queues import list_queue, queue_page
from engine.kernel.errors import ValidationError


def _walk(eng, queue, limit):
    ids, cursor = [], None
    while True:
        items, cursor = queue_page(eng, "chair", queue, limit=limit, cursor=cursor)
        ids += [c["id"] for c in items]
        if cursor is None:
            return ids


def test_cursor_pages_follow_the_queue_order_dated_first_then_undated(eng, open_case):
    for day in (5, 1, 1, 9, 3):  # two cases share a due date: the id breaks the tie
        open_case(title=f"due {day}", due=dt.date(2027, 4, day))
    for _ in range(3):  # closed cases have no due time: they come last, by id
        fire(eng, open_case(title="cancelled"), "cancel", "chair", comment="not needed")
    expected = [c["id"] for c in list_queue(eng, "chair", "all", limit=100)]
    assert any(c["due_at"] is None for c in list_queue(eng, "chair", "all", limit=100))
    for limit in (1, 2, 3, 7, 100):
        assert _walk(eng, "all", limit) == expected


def test_a_case_opened_between_pages_is_neither_skipped_nor_repeated(eng, open_case):
    first = open_case(title="early", due=dt.date(2027, 4, 1))
    open_case(title="late", due=dt.date(2027, 4, 20))
    items, cursor = queue_page(eng, "chair", "all", limit=1)
    assert [c["id"] for c in items] == [first]
    newer = open_case(title="middle", due=dt.date(2027, 4, 10))
    rest, _cursor = queue_page(eng, "chair", "all", limit=10, cursor=cursor)
    assert newer in [c["id"] for c in rest]
    assert first not in [c["id"] for c in rest]


@pytest.mark.parametrize("cursor", ["garbage", "W251bGwsICJ4Il0", "WyIyMDI3LTA0LTAxVDAwOjAwOjAwIiwgMV0"])
def test_a_foreign_cursor_is_refused_naming_it(eng, cursor):
    with pytest.raises(ValidationError) as refused:
        queue_page(eng, "chair", "all", cursor=cursor)
    assert refused.value.field == "cursor"


def test_a_queue_over_several_groups_pages_in_one_order_read_group_by_group(eng, open_case):
    """The chair's unassigned queue spans the agreement's groups and is read group by group
    (queues._dated_by_group): its offset pages and keyset pages give one order, soonest first."""
    for i, group in enumerate(["socialnamnden", "ksau", "polisen", "socialnamnden", "ksau", "kultur_fritid"] * 2):
        open_case(title=f"case {i}", group=group, due=dt.date(2027, 4, 1 + (i * 7) % 12))
    open_case(title="no due date", group="ksau")
    whole = list_queue(eng, "chair", "unassigned", limit=100)
    assert len({c["group"] for c in whole}) == 4
    dated = [c["due_at"] for c in whole if c["due_at"] is not None]
    assert dated == sorted(dated)
    expected = [c["id"] for c in whole]
    for limit in (1, 2, 5):
        paged = [c["id"] for offset in range(0, len(expected), limit)
                 for c in list_queue(eng, "chair", "unassigned", limit=limit, offset=offset)]
        assert paged == expected
        assert _walk(eng, "unassigned", limit) == expected
