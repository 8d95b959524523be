"""Shared read transactions (a web page's reads): one session, and a write ends it."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import select

from engine.runtime.engine import Engine
from engine.store.models import CaseRow


def _count(eng: Engine) -> int:
    with eng.db.read() as s:
        return s.exec(select(func.count()).select_from(CaseRow)).one()


def test_reads_in_a_shared_block_use_one_session_and_see_a_write_made_inside_it(eng: Engine, open_case) -> None:
    with eng.db.shared_reads():
        with eng.db.read() as first, eng.db.read() as second:
            assert first is second
        before = _count(eng)  # on SQLite this fixes the snapshot of the shared transaction...
        open_case(title="Skrivet mitt i sidan")
        assert _count(eng) == before + 1  # ...which the write ended, so the new case is seen
    with eng.db.read() as outside:
        with eng.db.read() as other:
            assert outside is not other


def test_a_shared_block_that_fails_leaves_later_reads_working(eng: Engine, open_case) -> None:
    open_case(title="Finns")
    try:
        with eng.db.shared_reads():
            with eng.db.read() as s:
                s.exec(select(CaseRow)).all()
            raise RuntimeError("the page failed")
    except RuntimeError:
        pass
    assert _count(eng) == 1
