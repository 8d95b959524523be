"""Upgrading a database whose cases wait for "the Police" of the whole deployment (before 0007)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import insert, select

from engine.store.db import Database
from engine.store.models import Agreement, CaseRow, CaseWaiting, Group
from engine.store.schema import upgrade

_A, _G, _C, _W = (t.__table__ for t in (Agreement, Group, CaseRow, CaseWaiting))  # type: ignore[attr-defined]


def test_a_role_spanning_the_agreement_is_waited_for_in_the_case_s_agreement_after_the_upgrade(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'm.db'}")
    upgrade(db, "0005_edit_search")
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    with db.engine.begin() as conn:
        for key in ("hoor", "eslov"):
            conn.execute(insert(_A).values(key=key, title=key, parties=[], start_on=now.date(), period_months=12))
        agreement = dict(conn.execute(select(_A.c.key, _A.c.id)).all())
        conn.execute(insert(_G).values(key="eslov_rad", name_sv="Rådet", name_en="Council",
                                       agreement_id=agreement["eslov"]))
        conn.execute(insert(_C).values(id=7, agreement_id=agreement["eslov"], workflow="acute_matter",
                                       definition_version="v", title="Skadegörelse", description="", state="reported",
                                       is_open=True, version=1, group_id=1, priority="normal", confidential=False,
                                       opened_by="polis", opened_at=now, updated_at=now, data={}))
        conn.execute(insert(_W), [{"case_id": 7, "slot": slot, "kind": "role", "key": slot[2:],
                                   "label_sv": "x", "label_en": "x"} for slot in ("r:police", "r:official@1")])
    upgrade(db)
    with db.engine.connect() as conn:
        slots = set(conn.execute(select(_W.c.slot)).scalars())
    db.dispose()
    assert slots == {f"r:police#{agreement['eslov']}", "r:official@1"}
