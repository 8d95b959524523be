"""Who may fire what: every workflow walked along its paths, every persona tried at each step.

Each row is (trigger, actor who fires it, comment, personas allowed to fire it there).
Before a row is fired, every persona that is *not* listed must be refused (Forbidden
or TransitionNotAllowed) and every listed one must see the trigger as allowed.
Personas: chair (trygghetsgruppen), police (polisen + member of trygghetsgruppen),
official (socialnamnden), member (socialnamnden), outsider (kultur_fritid), security
(trygghetsgruppen). A role counts on the cases of the group it is held in; the chair's and
the police's count everywhere (engine/policy/access.py). So the official of Socialnämnden
acts on Socialnämnden's cases and not on the Police's or the safety group's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from engine.accounts.users import actor_for
from engine.cases import waiting
from engine.cases.citizen_info import publish
from engine.cases.commands import assign
from engine.cases.firing import fire
from engine.cases.views import get_case
from engine.kernel.errors import Forbidden, TransitionNotAllowed, ValidationError
from engine.runtime.engine import Engine
from tests.conftest import PERSONAS

ALL = set(PERSONAS) - {"admin"}
C = "Noted."

# workflow -> (open kwargs, assignee or None, [(trigger, actor, comment, allowed personas)])
PATHS: dict[str, tuple[dict[str, Any], str | None, list[tuple[str, str, str | None, set[str]]]]] = {
    "action/verified": ({"group": "socialnamnden", "assignee": "member"}, None, [  # opened held: `assign` not yet fired
        ("assign", "official", None, {"chair", "official", "member"}),
        ("start", "member", None, {"chair", "member"}),
        ("complete", "member", C, {"chair", "member"}),
        ("verify", "official", None, {"chair", "official"}),  # four eyes: not the member who completed it
    ]),
    # The only member of kultur_fritid completed it: nobody else in the group may verify, so the chair does.
    "action/verified#alone": ({"group": "kultur_fritid", "assignee": "outsider"}, None, [
        ("assign", "outsider", None, {"chair", "outsider"}),
        ("start", "outsider", None, {"chair", "outsider"}),
        ("complete", "outsider", C, {"chair", "outsider"}),
        ("verify", "chair", None, {"chair"}),
    ]),
    "action/cancelled": ({"group": "socialnamnden", "assignee": "member"}, None, [  # opened held, not yet `assign`ed
        ("assign", "chair", None, {"chair", "official", "member"}),
        ("start", "member", None, {"chair", "member"}),
        ("complete", "chair", C, {"chair", "member"}),
        ("reopen", "member", C, {"chair", "official", "member"}),
        ("cancel", "official", C, {"chair", "official", "member"}),
    ]),
    "acute_matter/closed": ({"group": "polisen"}, "police", [
        ("triage", "police", None, {"chair", "police"}),
        ("start", "police", None, {"chair", "police"}),
        ("resolve", "police", C, {"chair", "police"}),
        ("report", "police", None, {"chair", "police"}),
        ("close", "chair", None, {"chair"}),
    ]),
    "acute_matter/rejected": ({"group": "polisen"}, None, [
        ("reject", "police", C, {"chair", "police"}),  # not the municipality's officials: the Police's matter
    ]),
    "acute_matter/rejected#socialnamnden": ({"group": "socialnamnden"}, None, [
        ("reject", "official", C, {"chair", "official", "police"}),
    ]),
    "agreement_renewal/extended": ({"group": "trygghetsgruppen"}, None, [
        ("schedule_discussion", "police", None, {"chair", "police"}),
        ("hold_discussion", "chair", C, {"chair", "police"}),
        ("sign", "police", None, {"chair", "police"}),
        ("sign", "chair", None, {"chair"}),  # the Police already signed
    ]),
    "agreement_renewal/revised": ({"group": "trygghetsgruppen"}, None, [
        ("schedule_discussion", "police", None, {"chair", "police"}),
        ("hold_discussion", "police", C, {"chair", "police"}),
        ("propose_revision", "chair", C, {"chair", "police"}),
        ("sign", "chair", None, {"chair", "police"}),
        ("sign", "police", None, {"police"}),
    ]),
    "agreement_renewal/terminated": ({"group": "trygghetsgruppen"}, None, [
        ("schedule_discussion", "chair", None, {"chair", "police"}),
        ("hold_discussion", "chair", C, {"chair", "police"}),
        ("terminate", "police", C, {"chair", "police"}),
    ]),
    "police_annual_report/closed": ({"group": "ksau"}, None, [
        ("prepare", "police", None, {"police"}),
        ("present", "police", C, {"police"}),
        ("close", "chair", None, {"chair"}),
    ]),
    "safety_group_meeting/minutes_approved": ({"group": "trygghetsgruppen"}, None, [
        ("send_agenda", "police", None, {"chair", "police", "security"}),
        ("hold", "chair", C, {"chair", "police", "security"}),
        ("approve_minutes", "police", None, {"chair", "police", "security"}),
    ]),
    "safety_group_meeting/cancelled": ({"group": "trygghetsgruppen"}, None, [
        ("cancel", "chair", C, {"chair"}),  # no official of another group cancels the safety group's meeting
    ]),
    "monthly_review/closed": ({"group": "trygghetsgruppen"}, None, [
        ("hold", "security", None, {"chair", "police", "security"}),
        # Nobody fires it as a button: publishing a text takes the step (engine/cases/citizen_info.py).
        ("publish_information", "police", C, set()),
        ("close", "chair", None, {"chair", "police", "security"}),
    ]),
}


def _waited_for(eng: Engine, case_id: int) -> set[str]:
    with eng.db.read() as s:
        ids = set(waiting.people(s, case_id))
        return {name for name in PERSONAS if actor_for(s, name).user_id in ids}


@pytest.mark.parametrize("path", sorted(PATHS))
def test_who_may_fire_each_transition(eng: Engine, open_case: Callable[..., int], path: str) -> None:
    workflow = path.split("/")[0]
    kwargs, assignee, steps = PATHS[path]
    case_id = open_case(workflow, **kwargs)  # as the chair, or the system for what only the engine opens
    if assignee:
        assign(eng, case_id, "chair", user=assignee)
    for trigger, actor, comment, allowed in steps:
        # Whom the case waits for in person are people who may take this step (a group's untaken case
        # waits for the group as a whole, in its queue, and names nobody here).
        waits_for = _waited_for(eng, case_id)
        assert waits_for <= allowed, f"{path}: waits for {sorted(waits_for - allowed)}, who may not {trigger}"
        assert get_case(eng, case_id, "chair")["waiting_for"], f"{path}: an open case waits for someone"
        for persona in sorted(ALL):
            may = trigger in get_case(eng, case_id, "chair" if persona == "chair" else persona)["allowed_triggers"]
            assert may == (persona in allowed), f"{path}: {persona} {'may' if may else 'may not'} {trigger}"
            if persona not in allowed:
                version = get_case(eng, case_id, "chair")["version"]
                with pytest.raises((Forbidden, TransitionNotAllowed)):
                    fire(eng, case_id, trigger, persona, comment=comment)
                assert get_case(eng, case_id, "chair")["version"] == version, "a refusal changed the case"
        if trigger == "publish_information":
            publish(eng, case_id, "Information", "Vi har gått igenom månaden.", actor, comment=comment)
        else:
            fire(eng, case_id, trigger, actor, comment=comment)
    final = get_case(eng, case_id, "chair")
    assert final["waiting_for"] == [], f"{path}: a closed case waits for nobody"
    assert final["state"] == path.split("/")[1].split("#")[0]
    assert final["allowed_triggers"] == []
    assert [h["seq"] for h in final["history"]] == list(range(1, len(final["history"]) + 1))


def test_comment_required_is_refused_without_one(eng: Engine, open_case: Callable[..., int]) -> None:
    case_id = open_case("acute_matter", group="polisen")
    with pytest.raises(ValidationError, match="needs a comment") as err:
        fire(eng, case_id, "reject", "police", comment="   ")
    assert err.value.field == "comment"
    assert get_case(eng, case_id, "chair")["state"] == "reported"


def test_guard_refusal_says_what_is_missing(eng: Engine, open_case: Callable[..., int]) -> None:
    case_id = open_case("action")
    with pytest.raises(TransitionNotAllowed, match="assigned to a person first"):
        fire(eng, case_id, "assign", "chair")


def test_unknown_trigger_names_the_possible_ones(eng: Engine, open_case: Callable[..., int]) -> None:
    case_id = open_case("action")
    with pytest.raises(TransitionNotAllowed, match="possible from here: assign, cancel"):
        fire(eng, case_id, "verify", "chair")


def test_each_action_of_the_case_says_whether_and_why_not(eng: Engine, open_case: Callable[..., int]) -> None:
    """The case's read model carries, per button, the decision firing would make (for the page to explain)."""
    case_id = open_case("action")
    as_chair = {a["trigger"]: a for a in get_case(eng, case_id, "chair")["actions"]}
    assert list(as_chair) == ["assign", "cancel"]
    assert as_chair["assign"]["refusal"] == {
        "reason": "guard_unmet", "message": "'assign' is not allowed now: the case must be assigned to a person first.",
        "roles": [], "guards": ["has_assignee"]}
    assert (as_chair["cancel"]["allowed"], as_chair["cancel"]["comment_required"]) == (True, True)
    as_outsider = get_case(eng, case_id, "outsider")["actions"]
    assert [(a["trigger"], a["allowed"], a["refusal"]["reason"], a["refusal"]["roles"]) for a in as_outsider] == [
        ("assign", False, "role_missing", ["chair", "group_member", "official"]),
        ("cancel", False, "role_missing", ["chair", "group_member"])]
