"""With several agreements, escalations and renewals go to the chair and police of the case's agreement."""

from __future__ import annotations

from pathlib import Path

from engine.accounts.users import add_user
from engine.cases.commands import OpenRequest, open_case
from engine.kernel.events import DeadlineEscalation, DeadlineReminder
from engine.outbox.notices import list_notices
from notifications import install
from tests.conftest import T0
from tests.integration.test_multi_agreement import two_agreement_engine


def test_escalation_and_renewal_reach_the_people_of_the_cases_agreement(tmp_path: Path, db_url: str) -> None:
    eng = two_agreement_engine(tmp_path, db_url)
    install(eng)
    with eng.db.write() as s:
        for name, roles in (("eslovchair", [("chair", "eslov_rad")]), ("eslovpolis", [("police", "eslov_rad")]),
                            ("hoorchair", [("chair", "trygghetsgruppen")]), ("hoorpolis", [("police", "polisen")])):
            add_user(s, eng.config, name, name=name, email=f"{name}@example.org", now=T0, roles=roles)
    action = open_case(eng, OpenRequest("action", "Klotter i Eslöv", group="eslov_rad"), "eslovchair").id
    renewal = open_case(eng, OpenRequest("agreement_renewal", "Förnyelse Eslöv", group="eslov_rad"), "system").id
    with eng.db.write() as s:
        eng.emit(s, DeadlineEscalation(case_id=action, actor="system", at=T0, deadline_id=1, offset_days=1,
                                       state="open", due_at=T0, workflow="action"))
        eng.emit(s, DeadlineReminder(case_id=renewal, actor="system", at=T0, deadline_id=2, offset_days=30,
                                     state="opened", due_at=T0, workflow="agreement_renewal"))
    with eng.db.read() as s:
        told = sorted((n.kind, n.username) for n in list_notices(s))
    eng.db.dispose()
    # kanslichef is configured but not a user in this deployment, so only the roles are told.
    assert told == [("escalation", "eslovchair"), ("renewal_reminder", "eslovchair"),
                    ("renewal_reminder", "eslovpolis")]
