"""Assigning and claiming: who may, what it records, and what it refuses."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from engine.accounts.users import disable_user
from engine.cases.commands import assign, claim
from engine.cases.firing import fire
from engine.cases.queues import list_queue
from engine.cases.views import get_case, told
from engine.kernel.errors import Conflict, Forbidden, ValidationError
from engine.runtime.engine import Engine


def test_group_member_claims_an_unassigned_case(eng: Engine, open_case: Callable[..., int]) -> None:
    case_id = open_case("action")
    assert case_id in {r["id"] for r in list_queue(eng, "member", "unassigned")}
    claim(eng, case_id, "member")
    view = get_case(eng, case_id, "member")
    assert (view["assignee"], view["version"], view["state"]) == ("member", 3, "assigned")
    keys = ("seq", "trigger", "from", "to", "actor", "comment", "label", "assignee", "with_assign")
    assert [{k: h[k] for k in keys} for h in view["history"][-2:]] == [  # type: ignore[literal-required]
        {"seq": 2, "trigger": "@assign", "from": "open", "to": "open", "actor": "member",
         "comment": "user:member", "label": None, "assignee": "member", "with_assign": False},
        # the definition marks `assign` on_assign: taking the case moves it on in the same step
        {"seq": 3, "trigger": "assign", "from": "open", "to": "assigned", "actor": "member",
         "comment": None, "label": {"sv": "Tilldela", "en": "Assign"}, "assignee": None, "with_assign": True}]
    # ...and the history people read tells it once: "Member took the case", now assigned
    assert [(h["trigger"], h["to"]) for h in told(view["history"])][-1] == ("@assign", "assigned")
    assert [r["id"] for r in list_queue(eng, "member", "mine")] == [case_id]
    assert case_id not in {r["id"] for r in list_queue(eng, "member", "unassigned")}
    assert "start" in view["allowed_triggers"]


def test_claiming_someone_elses_case_is_a_conflict(eng: Engine, open_case: Callable[..., int]) -> None:
    case_id = open_case("action")
    claim(eng, case_id, "member")
    with pytest.raises(Conflict, match="reload it and try again"):
        claim(eng, case_id, "official")
    assert get_case(eng, case_id, "chair")["assignee"] == "member"


def test_claiming_again_is_harmless(eng: Engine, open_case: Callable[..., int]) -> None:
    case_id = open_case("action")
    claim(eng, case_id, "member")
    claim(eng, case_id, "member")
    assert get_case(eng, case_id, "chair")["assignee"] == "member"


def test_only_the_owning_group_may_claim(eng: Engine, open_case: Callable[..., int]) -> None:
    case_id = open_case("action")
    with pytest.raises(Forbidden, match="group you belong to"):
        claim(eng, case_id, "outsider")


def test_assign_to_a_user_and_hand_over_to_a_group(eng: Engine, open_case: Callable[..., int]) -> None:
    case_id = open_case("action")
    assign(eng, case_id, "official", user="member")
    assert get_case(eng, case_id, "chair")["assignee"] == "member"
    assign(eng, case_id, "chair", group="kultur_fritid")
    view = get_case(eng, case_id, "outsider")
    assert (view["group"], view["assignee"], view["version"]) == ("kultur_fritid", None, 4)
    assert [(h["trigger"], h["comment"]) for h in view["history"]] == [
        ("@open", None), ("@assign", "user:member"), ("assign", None), ("@assign", "group:kultur_fritid")]
    # The new group now manages it; the old one no longer may.
    assert case_id in {r["id"] for r in list_queue(eng, "outsider", "unassigned")}
    with pytest.raises(Forbidden):
        assign(eng, case_id, "member", user="member")


def test_assign_refusals(eng: Engine, open_case: Callable[..., int]) -> None:
    case_id = open_case("action")
    with pytest.raises(Forbidden, match="owning group's members or the chair"):
        assign(eng, case_id, "outsider", user="outsider")
    with pytest.raises(ValidationError, match="No user 'nobody'"):
        assign(eng, case_id, "chair", user="nobody")
    with eng.db.write() as s:
        disable_user(s, "official")
    with pytest.raises(ValidationError, match="disabled; choose someone else"):
        assign(eng, case_id, "chair", user="official")
    with pytest.raises(ValidationError, match="Unknown group 'nowhere'"):
        assign(eng, case_id, "chair", group="nowhere")
    with pytest.raises(Conflict):
        assign(eng, case_id, "chair", user="member", expected_version=7)
    assert get_case(eng, case_id, "chair")["version"] == 1


def test_closed_case_cannot_be_assigned(eng: Engine, open_case: Callable[..., int]) -> None:
    case_id = open_case("action")
    fire(eng, case_id, "cancel", "chair", comment="Dubblett.")
    with pytest.raises(ValidationError, match="is closed"):
        assign(eng, case_id, "chair", user="member")


def test_disabled_user_may_not_act(eng: Engine, open_case: Callable[..., int]) -> None:
    case_id = open_case("action", assignee="member")
    with eng.db.write() as s:
        disable_user(s, "member")
    with pytest.raises(Forbidden, match="disabled"):
        fire(eng, case_id, "assign", "member")
