"""Who may open and act on what: every demo persona × every workflow × every trigger × three owning groups.

The tables below are the agreement's division of labour, written so that a reader can check them
against it (../shared/DESIGN.md maps the clauses):

- the chair (ordförande) counts everywhere; the Police are a party to the agreement, so the `police`
  role counts wherever a workflow gives the Police a step;
- every other role (official, member, security) counts only in the group it is held in, so
  Socialnämnden's official acts on Socialnämnden's cases, not on the Police's or the safety group's;
- the renewal, the Police's annual report and the recurring meetings are opened by the engine alone.

Each trigger is tried with the case put in a state it leaves from, as each persona, through the
engine (the case's actions) and through the API (the same read model, and firing it: a refusal is a
4xx problem and changes nothing). "Permitted" means the role allows it; guards that want more (an
assignee, the other party's signature, four eyes) are walked in tests/integration/test_transition_table.py.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
from argon2 import PasswordHasher
from flask.testing import FlaskClient
from sqlalchemy import update
from sqlmodel import select

from engine.accounts import users
from engine.accounts.tokens import create_token
from engine.cases.commands import OpenRequest, open_case
from engine.cases.periods import sync_from_config
from engine.cases.views import get_case
from engine.config.settings import Config
from engine.runtime.engine import Engine
from engine.store.models import CaseRow
from samverkan.bootstrap import build_engine
from samverkan.demo import DEMO_USERS
from tests.doubles import FixedClock
from web import create_app

PERSONAS = [name for name, _, _ in DEMO_USERS]
CHAIR = {"ordforande"}
POLICE = {"polis"}
# Everyone in Trygghetsgruppen: every demo persona but the administrator is a member of it.
SAFETY_GROUP = set(PERSONAS) - {"admin"}
GROUPS = ("trygghetsgruppen", "polisen", "socialnamnden")


def _by_group(t: set[str], p: set[str], s: set[str]) -> dict[str, set[str]]:
    return dict(zip(GROUPS, (t, p, s), strict=True))


EVERYWHERE_CHAIR = _by_group(CHAIR, CHAIR, CHAIR)
EVERYWHERE_POLICE = _by_group(POLICE, POLICE, POLICE)
EVERYWHERE_PARTIES = _by_group(CHAIR | POLICE, CHAIR | POLICE, CHAIR | POLICE)
# The group's members (and the chair): in Polisen that is the police officer, in Socialnämnden the social chief.
MEMBERS = _by_group(SAFETY_GROUP, CHAIR | POLICE, CHAIR | {"socialchef"})
# The chair, the group's officials and the Police (nobody holds `official` in Trygghetsgruppen).
OFFICIALS_AND_POLICE = _by_group(CHAIR | POLICE, CHAIR | POLICE, CHAIR | POLICE | {"socialchef"})
MEMBERS_AND_POLICE = _by_group(SAFETY_GROUP, CHAIR | POLICE, CHAIR | POLICE | {"socialchef"})

# workflow → trigger → owning group → the demo personas whose roles permit the trigger there.
MAY_FIRE: dict[str, dict[str, dict[str, set[str]]]] = {
    "action": {  # AKTIVITETER: the group's officer does it, the group approves it
        "assign": MEMBERS, "start": EVERYWHERE_CHAIR, "complete": EVERYWHERE_CHAIR,  # else: the assignee
        "verify": MEMBERS, "reopen": MEMBERS, "cancel": MEMBERS,
    },
    "acute_matter": {  # "följs upp direkt" by the municipality and the Police together
        "triage": OFFICIALS_AND_POLICE, "reject": OFFICIALS_AND_POLICE, "start": EVERYWHERE_CHAIR,
        "resolve": EVERYWHERE_CHAIR, "report": OFFICIALS_AND_POLICE, "close": EVERYWHERE_CHAIR,
    },
    "agreement_renewal": {  # the parties discuss before each renewal; the chair and the Police sign
        "schedule_discussion": OFFICIALS_AND_POLICE, "hold_discussion": OFFICIALS_AND_POLICE,
        "sign": EVERYWHERE_PARTIES, "propose_revision": EVERYWHERE_PARTIES, "terminate": EVERYWHERE_PARTIES,
    },
    "police_annual_report": {  # the Police inform the steering group; the chair closes
        "prepare": EVERYWHERE_POLICE, "present": EVERYWHERE_POLICE, "close": EVERYWHERE_CHAIR,
    },
    "safety_group_meeting": {  # the group meets; no official of another group cancels its meeting
        "send_agenda": MEMBERS, "hold": MEMBERS, "approve_minutes": MEMBERS,
        "cancel": _by_group(CHAIR, CHAIR, CHAIR | {"socialchef"}),
    },
    "monthly_review": {  # the joint review of the municipality and the Police
        "hold": MEMBERS_AND_POLICE, "publish_information": MEMBERS_AND_POLICE, "close": MEMBERS_AND_POLICE,
    },
}

# workflow → owning group → the demo personas who may open one there (through the web, the API, the CLI).
NOBODY = _by_group(set(), set(), set())
MAY_OPEN: dict[str, dict[str, set[str]]] = {
    "action": MEMBERS,
    "acute_matter": MEMBERS_AND_POLICE,  # the Police report an acute matter to whichever group should act
    "agreement_renewal": NOBODY, "police_annual_report": NOBODY, "safety_group_meeting": NOBODY,
    "monthly_review": NOBODY,
}


@pytest.fixture
def matrix(config: Config, clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Engine, Any]]:
    """The demo's people (without its cases) on the test database, the app, and an API token each."""
    monkeypatch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    eng = build_engine(config, clock=clock)
    tokens: dict[str, str] = {}
    with eng.db.write() as s:
        sync_from_config(s, config, clock.now())
        for username, name, roles in DEMO_USERS:
            users.add_user(s, config, username, name=name, email=f"{username}@example.org", now=clock.now(),
                           roles=roles, password="a-long-test-password")
            tokens[username] = create_token(s, username, "matrix", clock.now())[1]
    client = create_app(eng.config, engine=eng, clock=clock, testing=True).test_client()
    yield eng, _Api(client, tokens)
    eng.db.dispose()


class _Api:
    def __init__(self, client: FlaskClient, tokens: dict[str, str]) -> None:
        self.client, self.tokens = client, tokens

    def __call__(self, method: str, who: str, url: str, body: Any = None) -> Any:
        return self.client.open(f"/api/v1{url}", method=method, json=body,
                                headers={"Authorization": f"Bearer {self.tokens[who]}"})


def _source_of(eng: Engine, workflow: str, trigger: str) -> str:
    definition = eng.registry.get(workflow)
    return next(t.sources[0] for t in definition.transitions if t.trigger == trigger)


def _permitted(actions: list[dict[str, Any]], trigger: str) -> bool:
    action = next(a for a in actions if a["trigger"] == trigger)
    return bool(action["allowed"]) or action["refusal"]["reason"] != "role_missing"


@pytest.mark.parametrize("workflow", sorted(MAY_FIRE))
def test_who_may_fire_each_trigger_in_and_out_of_their_group(matrix: tuple[Engine, Any], workflow: str) -> None:
    eng, api = matrix
    assert set(MAY_FIRE[workflow]) == {t.trigger for t in eng.registry.get(workflow).transitions}, \
        "the table names every trigger of the workflow"
    event = eng.now() + dt.timedelta(days=20)
    for group in GROUPS:
        case = open_case(eng, OpenRequest(workflow, f"{workflow} för {group}", group=group, event_at=event
                                          if eng.registry.get(workflow).counts_from_event() else None), "system")
        assert case.id is not None
        for trigger, allowed in MAY_FIRE[workflow].items():
            with eng.db.write() as s:  # put the case where the trigger leaves from
                s.execute(update(CaseRow).where(CaseRow.id == case.id)  # type: ignore[arg-type]
                          .values(state=_source_of(eng, workflow, trigger)))
            for who in PERSONAS:
                expected = who in allowed[group]
                engine_says = _permitted(get_case(eng, case.id, who)["actions"], trigger)  # type: ignore[arg-type]
                assert engine_says == expected, f"engine: {who} on {workflow}/{group} {trigger}"
                view = api("GET", who, f"/cases/{case.id}").get_json()
                assert _permitted(view["actions"], trigger) == expected, f"API: {who} on {workflow}/{group} {trigger}"
                if not expected:
                    refused = api("POST", who, f"/cases/{case.id}/fire",
                                  {"trigger": trigger, "expected_version": view["version"], "comment": "x"})
                    assert refused.status_code in (403, 409), (who, workflow, group, trigger, refused.get_json())
                    assert refused.mimetype == "application/problem+json"
                    assert api("GET", who, f"/cases/{case.id}").get_json()["version"] == view["version"]


@pytest.mark.parametrize("workflow", sorted(MAY_OPEN))
def test_who_may_open_each_workflow_for_each_group(matrix: tuple[Engine, Any], workflow: str) -> None:
    eng, api = matrix
    event = "2027-03-20T13:00:00+01:00" if eng.registry.get(workflow).counts_from_event() else None
    for group in GROUPS:
        for who in PERSONAS:
            body = {"workflow": workflow, "title": f"Öppnat av {who}", "group": group}
            if event:
                body["event_at"] = event
            answer = api("POST", who, "/cases", body)
            if who in MAY_OPEN[workflow][group]:
                assert answer.status_code == 201, (who, workflow, group, answer.get_json())
            else:
                assert answer.status_code == 403, (who, workflow, group, answer.get_json())
                assert answer.mimetype == "application/problem+json"


def test_a_confidential_case_opened_for_another_group_says_where_it_went(matrix: tuple[Engine, Any]) -> None:
    """The Police report a confidential acute matter to Socialnämnden: it is created, the Police may not see
    it, and both the API and the form say what was created and where, instead of a 404 that invites a retry."""
    eng, api = matrix
    body = {"workflow": "acute_matter", "title": "Oro för ett barn", "group": "socialnamnden", "confidential": True}
    receipt = api("POST", "polis", "/cases", body)
    assert receipt.status_code == 201
    said = receipt.get_json()
    assert (said["group"], said["confidential"], said["visible"]) == ("socialnamnden", True, False)
    assert "do not open it again" in said["detail"]
    assert api("GET", "polis", f"/cases/{said['id']}").status_code == 404
    assert api("GET", "socialchef", f"/cases/{said['id']}").get_json()["title"] == "Oro för ett barn"
    # The administrator, who manages accounts, opens no case for a group they are not in: nothing is created.
    refused = api("POST", "admin", "/cases", {**body, "workflow": "action"})
    assert refused.status_code == 403
    with eng.db.read() as s:
        assert list(s.exec(select(CaseRow.id))) == [said["id"]], "one case, the one the receipt names"


def test_the_new_case_form_offers_what_the_person_may_open_and_says_where_a_hidden_case_went(
        matrix: tuple[Engine, Any]) -> None:
    eng, api = matrix
    client = api.client
    form = client.get("/login").get_data(as_text=True)
    token = form.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post("/login", data={"username": "polis", "password": "a-long-test-password", "csrf_token": token})
    page = client.get("/cases/new").get_data(as_text=True)
    offered = set(re.findall(r'<option[^>]* value="([a-z_]+)"', page.split('name="group"')[0]))
    assert offered == {"action", "acute_matter"}, "the schedule's workflows are not offered"
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    done = client.post("/cases/new", data={
        "csrf_token": token, "workflow": "acute_matter", "title": "Oro för ett barn", "group": "socialnamnden",
        "priority": "high", "confidential": "y"}, follow_redirects=True)
    text = done.get_data(as_text=True)
    assert done.status_code == 200
    assert "Oro för ett barn" in text
    assert "Socialnämnden" in text
    with eng.db.read() as s:
        assert len(list(s.exec(select(CaseRow.id).where(CaseRow.title == "Oro för ett barn")))) == 1
