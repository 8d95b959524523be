"""Confidential cases: only the owning group, the assignee and the chair know they exist."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from engine.accounts.users import actor_for
from engine.cases.commands import assign, claim, comment
from engine.cases.firing import fire
from engine.cases.queues import QUEUES, QueueFilter, capped_counts, list_queue
from engine.cases.views import get_case
from engine.kernel.errors import NotFound
from engine.runtime.engine import Engine
from tests.doubles import FixedClock

# police: member of polisen (the owning group); member: assignee from another group; chair.
INSIDERS = ("police", "member", "chair")
OUTSIDERS = ("outsider", "official", "security")


@pytest.fixture
def secret(eng: Engine, open_case: Callable[..., int]) -> int:
    case_id = open_case("acute_matter", as_user="police", group="polisen", confidential=True,
                        title="Oro för narkotikaförsäljning")
    assign(eng, case_id, "police", user="member")
    return case_id


def _ids_in_queues(eng: Engine, who: str) -> set[int]:
    return {row["id"] for q in QUEUES for row in list_queue(eng, who, q)}


@pytest.mark.parametrize("who", INSIDERS)
def test_insiders_see_the_confidential_case(eng: Engine, secret: int, who: str) -> None:
    assert get_case(eng, secret, who)["confidential"] is True
    assert secret in {row["id"] for row in list_queue(eng, who, "all")}


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_get_not_found_as_if_it_did_not_exist(eng: Engine, secret: int, who: str) -> None:
    with pytest.raises(NotFound) as hidden:
        get_case(eng, secret, who)
    with pytest.raises(NotFound) as missing:
        get_case(eng, 999_999, who)
    assert str(hidden.value) == str(missing.value).replace("999999", str(secret))
    with pytest.raises(NotFound):
        fire(eng, secret, "triage", who)
    with pytest.raises(NotFound):
        comment(eng, secret, who, "Vad händer här?")
    with pytest.raises(NotFound):
        claim(eng, secret, who)
    assert get_case(eng, secret, "chair")["version"] == 2, "nothing an outsider tried changed it"


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_queues_and_counts_leave_it_out(eng: Engine, open_case: Callable[..., int], secret: int,
                                                  who: str, clock: FixedClock) -> None:
    public = open_case("acute_matter", as_user="police", group="polisen", title="Inbrottsvåg")
    clock.advance(days=5)  # both are overdue now (triage within one working day)
    seen = _ids_in_queues(eng, who)
    assert public in seen
    assert secret not in seen
    with eng.db.read() as s:
        outsider = capped_counts(s, actor_for(s, who), eng.now(), QueueFilter(), cap=10**6)
        chair = capped_counts(s, actor_for(s, "chair"), eng.now(), QueueFilter(), cap=10**6)
    assert (outsider["overdue"], chair["overdue"]) == (1, 2)


def test_assignee_from_another_group_sees_it_in_mine(eng: Engine, secret: int) -> None:
    assert [row["id"] for row in list_queue(eng, "member", "mine")] == [secret]
    assert secret in {row["id"] for row in list_queue(eng, "police", "group")}


def test_reassigning_away_hides_it_from_the_former_assignee(eng: Engine, secret: int) -> None:
    assign(eng, secret, "police", user="police")
    with pytest.raises(NotFound):
        get_case(eng, secret, "member")
    assert secret not in _ids_in_queues(eng, "member")


def test_confidential_child_is_hidden_in_the_parents_children(eng: Engine, open_case: Callable[..., int]) -> None:
    meeting = open_case("safety_group_meeting", group="trygghetsgruppen")
    child = open_case("acute_matter", as_user="police", group="polisen", confidential=True, parent_id=meeting)
    assert [c["id"] for c in get_case(eng, meeting, "chair")["children"]] == [child]
    assert get_case(eng, meeting, "security")["children"] == []
