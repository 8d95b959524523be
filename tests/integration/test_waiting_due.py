""""Att göra" read slot by slot in due order: the copy of each case's due time in `case_waiting`
follows the case, and the page and the header's count show what they showed before.

Personas (tests/conftest.py): chair (trygghetsgruppen), police (polisen + member of trygghetsgruppen),
official and member (socialnamnden), outsider (kultur_fritid).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from engine.accounts.users import add_user
from engine.cases.commands import OpenRequest, assign
from engine.cases.commands import open_case as open_in
from engine.cases.editing import Edit, edit
from engine.cases.firing import fire
from engine.cases.overview import navigation
from engine.cases.periods import sync_from_config
from engine.cases.queues import list_queue
from engine.config.load import load_config
from engine.config.settings import Config
from engine.runtime.engine import Engine
from engine.store.db import Database
from engine.store.models import Agreement, CaseRow, CaseWaiting, Group, metadata
from engine.store.schema import upgrade
from engine.store.transfer import export_to, import_from
from engine.workflow.import_references import StoredReferences
from samverkan.bootstrap import build_engine
from tests.conftest import PERSONAS, ROOT
from tests.doubles import FixedClock

_A, _G, _C, _W = (t.__table__ for t in (Agreement, Group, CaseRow, CaseWaiting))  # type: ignore[attr-defined]
C = "Klart."


def _dues(eng: Engine, case_id: int) -> tuple[dt.datetime | None, set[dt.datetime | None]]:
    """The case's due time, and the due times its waiting rows carry."""
    with eng.db.read() as s:
        due = s.execute(select(_C.c.due_at).where(_C.c.id == case_id)).scalar_one()
        copies = set(s.execute(select(_W.c.due_at).where(_W.c.case_id == case_id)).scalars())
    return due, copies


def _follows(eng: Engine, case_id: int) -> dt.datetime | None:
    due, copies = _dues(eng, case_id)
    assert copies == {due}, f"case {case_id} is due {due}, its waiting rows say {copies}"
    return due


def _todo(eng: Engine, who: str, **kw: Any) -> list[int]:
    return [r["id"] for r in list_queue(eng, who, "todo", **kw)]


def test_the_waiting_rows_carry_the_due_time_through_open_fire_and_edits(
        eng: Engine, open_case: Callable[..., int], clock: FixedClock) -> None:
    case = open_case(title="Sanera klotter", due=dt.date(2027, 3, 1))
    opened = _follows(eng, case)
    assert opened is not None
    assign(eng, case, "official", user="member")  # and on to "assigned" by the same step
    clock.advance(days=1)
    fire(eng, case, "start", "member")
    assert _follows(eng, case) == opened
    edit(eng, case, "official", Edit(due=dt.date(2027, 5, 1), reason="nytt beslut i KSAU"))  # postponed
    postponed = _follows(eng, case)
    assert postponed is not None
    assert postponed > opened
    edit(eng, case, "official", Edit(due=dt.date(2027, 2, 20), reason="brådskande"))  # brought forward
    assert _follows(eng, case) < postponed  # type: ignore[operator]
    clock.advance(days=1)
    fire(eng, case, "complete", "member", comment=C)  # "done": a deadline counted from entering it
    done = _follows(eng, case)
    assert done is not None
    assert done != postponed


def test_an_imported_deployment_has_its_waiting_rows_in_due_order(
        config: Config, tmp_path: Path, clock: FixedClock) -> None:
    # The export leaves the copy out (the file's format is unchanged); the import fills it from the cases.
    source = build_engine(load_config(ROOT / "config.toml", database_url=f"sqlite:///{tmp_path / 's.db'}"),
                          clock=clock)
    metadata.create_all(source.db.engine)
    with source.db.write() as s:
        sync_from_config(s, source.config, clock.now())
        for name, roles in PERSONAS.items():
            add_user(s, source.config, name, name=name, email=f"{name}@example.org", now=clock.now(), roles=roles)
    ids = [open_in(source, OpenRequest("action", f"Åtgärd {day}", group="socialnamnden", due=dt.date(2027, 3, day),
                                       assignee="official"), "chair").id for day in (20, 5, 12)]
    out = io.StringIO()
    export_to(source.db, out, clock.now())
    source.db.dispose()
    assert "due_at" not in "".join(line for line in out.getvalue().splitlines() if '"case_waiting"' in line)

    target = build_engine(config, clock=clock)  # an empty database, SQLite or PostgreSQL
    references = StoredReferences(target.config.role_keys, target.config.focus_area_keys)
    import_from(target.db, iter(out.getvalue().splitlines(keepends=True)), target.audit_keys, check_row=references)
    for case in ids:
        assert _follows(target, case) is not None
    assert _todo(target, "official") == [ids[1], ids[2], ids[0]]
    target.db.dispose()


def test_att_gora_lists_by_due_time_across_slots_with_undated_last(
        eng: Engine, open_case: Callable[..., int], clock: FixedClock) -> None:
    # The chair is waited for as the one given an action (u:), as the chair (r:chair#), and on an acute
    # matter reported to the steering group, which has no deadline (undated, shown last, by number).
    given = {day: open_case(title=f"Åtgärd {day}", group="trygghetsgruppen", assignee="chair",
                            due=dt.date(2027, 3, day)) for day in (25, 3, 14)}
    undated = []
    for title in ("Inbrott", "Klotter"):
        acute = open_case("acute_matter", title=title, group="trygghetsgruppen")
        fire(eng, acute, "triage", "chair")
        assign(eng, acute, "chair", user="chair")
        for trigger in ("start", "resolve", "report"):
            clock.advance(minutes=1)
            fire(eng, acute, trigger, "chair", comment=C)
        undated.append(acute)
    meeting = open_case("safety_group_meeting", group="trygghetsgruppen", event_at=dt.datetime(2027, 3, 10, 13,
                                                                                                  tzinfo=dt.UTC))
    dates = {case: _follows(eng, case) for case in (*given.values(), meeting)}
    assert all(_follows(eng, case) is None for case in undated)
    dated = sorted(dates, key=lambda c: (dates[c], c))
    assert _todo(eng, "chair") == [*dated, *undated]
    # Page by page, across the dated and undated halves, as the queue pages and the API read it.
    assert [c for offset in range(0, 7, 2) for c in _todo(eng, "chair", limit=2, offset=offset)] == [*dated, *undated]

    # Moving a due date moves the case in the list: the order is read from the copy.
    edit(eng, given[25], "chair", Edit(due=dt.date(2027, 2, 15), reason="tidigarelagd"))
    assert _todo(eng, "chair", limit=1) == [given[25]]
    assert _todo(eng, "chair", limit=1, offset=len(dated)) == [undated[0]]


def test_att_gora_leaves_out_who_did_it_and_what_one_may_not_see(
        eng: Engine, open_case: Callable[..., int], clock: FixedClock) -> None:
    # Done by the member: the group approves it, but not the member himself (except_user_id).
    case = open_case(title="Sanera klotter")
    assign(eng, case, "official", user="member")
    fire(eng, case, "start", "member")
    clock.advance(minutes=1)
    fire(eng, case, "complete", "member", comment=C)
    assert case in _todo(eng, "official")
    assert case not in _todo(eng, "member")
    assert navigation(eng, "member")[0]["todo"] == 0
    # An acute matter waits for the Police of the agreement; a confidential one only for those who may see it.
    open_ = open_case("acute_matter", title="Hot i skolan", group="socialnamnden")
    secret = open_case("acute_matter", title="Våld i hemmet", group="socialnamnden", confidential=True)
    assert secret in _todo(eng, "official")
    assert _todo(eng, "police") == [open_]
    assert navigation(eng, "police")[0]["todo"] == 1


def test_the_header_counts_each_case_once_and_stops_at_its_cap(
        eng: Engine, open_case: Callable[..., int]) -> None:
    # A monthly review held by the chair waits for the group's members and for the Police: the police
    # officer, a member of the group too, fills both slots and is shown it once.
    review = open_case("monthly_review", group="trygghetsgruppen", event_at=dt.datetime(2027, 3, 1, 9, tzinfo=dt.UTC))
    assign(eng, review, "chair", user="chair")
    with eng.db.read() as s:
        assert len(s.execute(select(_W.c.slot).where(_W.c.case_id == review)).all()) == 2
    acute = [open_case("acute_matter", title=f"Ärende {i}", group="socialnamnden") for i in range(3)]
    assert _todo(eng, "police") == sorted([*acute, review], key=lambda c: (_follows(eng, c), c))
    assert len(_todo(eng, "police")) == 4
    assert navigation(eng, "police")[0]["todo"] == 4
    assert navigation(eng, "police", cap=3)[0]["todo"] == 3
    assert navigation(eng, "police", cap=10)[0]["todo"] == 4


def test_upgrading_fills_the_copy_from_the_cases(empty_url: str) -> None:
    db = Database(empty_url)
    upgrade(db, "0010_agreement_open_due_covering")
    now, due = dt.datetime(2026, 12, 1, tzinfo=dt.UTC), dt.datetime(2026, 12, 14, 22, 59, 59, tzinfo=dt.UTC)
    with db.engine.begin() as conn:
        agreement = conn.execute(insert(_A).values(key="hoor", title="Höör", parties=[], start_on=now.date(),
                                                   period_months=12)).inserted_primary_key[0]
        group = conn.execute(insert(_G).values(key="soc", name_sv="Soc", name_en="Soc",
                                               agreement_id=agreement)).inserted_primary_key[0]
        for case_id, when in ((7, due), (8, None)):
            conn.execute(insert(_C).values(id=case_id, agreement_id=agreement, workflow="action",
                                           definition_version="v", title="x", description="", state="open",
                                           is_open=True, version=1, group_id=group, priority="normal",
                                           confidential=False, opened_by="chair", opened_at=now, updated_at=now,
                                           due_at=when, data={}))
            conn.execute(insert(_W).values(case_id=case_id, slot=f"q:{group}", kind="group", key="soc",
                                           label_sv="x", label_en="x"))
    upgrade(db)
    with db.engine.connect() as conn:
        copies = dict(conn.execute(select(_W.c.case_id, _W.c.due_at)).all())
    db.dispose()
    assert copies == {7: due, 8: None}
