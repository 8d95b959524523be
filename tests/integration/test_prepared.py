"""Statements run on the driver's cursor (engine.store.prepared) read and write what SQLAlchemy would."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from engine.cases.firing import fire
from engine.cases.loaded import load_for_firing
from engine.kernel.actors import SYSTEM
from engine.kernel.errors import NotFound
from engine.runtime.engine import Engine
from engine.store.models import CaseRow, TransitionLog
from engine.store.prepared import Prepared, run_of

_C, _L = CaseRow.__table__, TransitionLog.__table__  # type: ignore[attr-defined]
_READ = Prepared(select(_C.c.id, _C.c.opened_at, _C.c.due_at, _C.c.confidential, _C.c.data, _C.c.is_open)
                 .where(_C.c.id == bindparam("b_id")))
_WRITE = Prepared(update(_C).where(_C.c.id == bindparam("b_id")), ("due_at", "confidential", "data"))


def test_values_written_on_the_cursor_read_back_through_sqlalchemy_as_written(
        eng: Engine, open_case: Callable[..., int]) -> None:
    case_id = open_case()
    due = dt.datetime(2027, 3, 10, 22, 59, 59, 123456, tzinfo=dt.UTC)
    data = {"signatures": {"police": {"by": "polis", "at": "2027-02-10T09:00:00+00:00"}}, "å": [1, None]}
    with eng.db.write() as s:
        assert run_of(s).execute(_WRITE, {"b_id": case_id, "due_at": due, "confidential": True, "data": data}) == 1
    with eng.db.read() as s:
        row = s.execute(select(_C.c.due_at, _C.c.confidential, _C.c.data).where(_C.c.id == case_id)).one()
        mine = run_of(s).first(_READ, {"b_id": case_id})
        orm = s.get_one(CaseRow, case_id)
    assert tuple(row) == (due, True, data)
    assert (mine.id, mine.due_at, mine.confidential, mine.data, mine.is_open) == (case_id, due, True, data, True)
    assert mine.opened_at == orm.opened_at
    assert mine.opened_at.tzinfo is not None


def test_a_driver_error_comes_back_as_sqlalchemys_and_the_transaction_rolls_back(
        eng: Engine, open_case: Callable[..., int]) -> None:
    case_id = open_case()
    again = Prepared(insert(_L), ("case_id", "seq", "trigger", "from_state", "to_state", "actor", "at",
                                  "prev_hash", "hash"))
    row = {"case_id": case_id, "seq": 1, "trigger": "@open", "from_state": None, "to_state": "open",
           "actor": "chair", "at": eng.now(), "prev_hash": "0" * 64, "hash": "0" * 64}
    with pytest.raises(IntegrityError), eng.db.write() as s:  # seq 1 is the opening's row
        run_of(s).execute(again, row)
    fire(eng, case_id, "cancel", "chair", comment="Later writes work")  # the connection is usable again
    with eng.db.read() as s:
        assert s.get_one(CaseRow, case_id).state == "cancelled"


def test_firing_reads_the_case_with_its_group_key_and_assignee_and_hides_what_the_actor_may_not_see(
        eng: Engine, open_case: Callable[..., int]) -> None:
    from engine.accounts.users import actor_for
    case_id = open_case(assignee="official", confidential=True)
    with eng.db.write() as s:
        case = load_for_firing(s, case_id, SYSTEM)
        row = s.get_one(CaseRow, case_id)
        assert (case.group_key, case.assignee_username, case.assignee_name) == ("socialnamnden", "official", "Official")
        assert {k: getattr(case, k) for k in CaseRow.model_fields if hasattr(case, k)} == \
            {k: getattr(row, k) for k in CaseRow.model_fields if hasattr(case, k)}
        stranger = actor_for(s, "outsider")
        with pytest.raises(NotFound):
            load_for_firing(s, case_id, stranger)
        with pytest.raises(NotFound):
            load_for_firing(s, 2**31, SYSTEM)
