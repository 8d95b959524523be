"""Whose turn it is: what a case waits for, who is told when it is handed over, who follows it.

Personas (tests/conftest.py): chair (trygghetsgruppen), police (polisen + member of trygghetsgruppen),
official and member (socialnamnden), outsider (kultur_fritid); `notify_eng` adds anna (official,
socialnamnden, English) and kanslichef (official, forvaltningen).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from engine.cases.commands import assign, comment
from engine.cases.firing import fire
from engine.cases.queues import list_queue
from engine.cases.views import get_case
from engine.cases.watchers import stop_following
from engine.outbox.notices import list_notices
from engine.runtime.engine import Engine
from tests.doubles import FixedClock
from tests.support import run_cli, write_config

C = "Klart."


def _later(clock: FixedClock) -> None:
    """People act one after another: a notice is one per person, case and instant."""
    clock.advance(minutes=5)


def _notices(eng: Engine) -> list[tuple[str, str, int | None]]:
    """(kind, recipient, case) of every notice written, oldest first."""
    with eng.db.read() as s:
        return [(n.kind, n.username, n.case_id) for n in reversed(list_notices(s))]


def _told(eng: Engine, since: int) -> set[tuple[str, str]]:
    return {(kind, who) for kind, who, _ in _notices(eng)[since:]}


def _waiting(eng: Engine, case_id: int, who: str = "chair") -> list[tuple[str, str, str]]:
    return [(w["kind"], w["key"], w["label"]["sv"]) for w in get_case(eng, case_id, who)["waiting_for"]]


def test_the_renewal_waits_for_both_signatures_then_only_the_missing_one(
        notify_eng: Engine, open_case: Callable[..., int], clock: FixedClock) -> None:
    eng = notify_eng
    case = open_case("agreement_renewal", group="trygghetsgruppen")
    assert _waiting(eng, case) == [("role", "chair", "ordföranden"), ("role", "police", "Polisen")]
    _later(clock)
    fire(eng, case, "schedule_discussion", "police")
    _later(clock)
    fire(eng, case, "hold_discussion", "chair", comment="Förlängning utan ändringar.")
    assert _waiting(eng, case) == [("role", "chair", "ordförandens underskrift"),
                                   ("role", "police", "Polisens underskrift")]
    before = len(_notices(eng))
    _later(clock)
    fire(eng, case, "sign", "chair")
    assert _waiting(eng, case) == [("role", "police", "Polisens underskrift")]
    assert ("your_turn", "police") in _told(eng, before), "the chair's signature tells the Police to sign"
    assert ("your_turn", "chair") not in _told(eng, before)
    assert [row["id"] for row in list_queue(eng, "police", "todo")] == [case]
    assert list_queue(eng, "chair", "todo") == []
    _later(clock)
    fire(eng, case, "sign", "police")
    assert _waiting(eng, case) == []


def test_done_waits_for_the_group_but_not_for_who_did_it_and_tells_them_once(
        notify_eng: Engine, open_case: Callable[..., int], clock: FixedClock) -> None:
    eng = notify_eng
    unheld = open_case(title="Belysning")
    assert _waiting(eng, unheld) == [("group", "socialnamnden", "Socialnämnden")], "nobody holds it: the group"
    case = open_case(title="Sanera klotter", assignee="member")
    assert _waiting(eng, case) == [("user", "member", "Member")]
    before = len(_notices(eng))
    _later(clock)
    assign(eng, case, "official", user="member")  # and on to "assigned" in the same step
    assert [k for k, who, _ in _notices(eng)[before:] if who == "member"] == ["assigned"], "told once"
    assert _waiting(eng, case) == [("user", "member", "Member")]
    _later(clock)
    fire(eng, case, "start", "member")
    before = len(_notices(eng))
    _later(clock)
    fire(eng, case, "complete", "member", comment=C)
    assert _waiting(eng, case) == [("group", "socialnamnden", "godkännande av Socialnämnden")]
    told = _told(eng, before)
    assert {("your_turn", "official"), ("your_turn", "anna")} <= told, "Utförd tells the group to verify"
    assert not {who for _, who in told} & {"member", "outsider", "police"}
    assert case in [r["id"] for r in list_queue(eng, "official", "todo")]
    assert case not in [r["id"] for r in list_queue(eng, "member", "todo")], "not his own approval"


def test_followers_hear_of_changes_and_comments_but_not_their_own_and_can_stop(
        notify_eng: Engine, open_case: Callable[..., int], clock: FixedClock) -> None:
    eng = notify_eng
    case = open_case(title="Belysning i parken", as_user="official")  # the opener follows it
    _later(clock)
    comment(eng, case, "member", "Jag kollar med tekniska.")  # who comments follows it
    assert get_case(eng, case, "member")["following"]
    before = len(_notices(eng))
    _later(clock)
    assign(eng, case, "official", user="official")
    told = _told(eng, before)
    assert ("case_changed", "member") in told
    assert "official" not in {who for _, who in told}, "not for one's own action"
    before = len(_notices(eng))
    _later(clock)
    comment(eng, case, "official", "Beställt, @member och @outsider.")
    told = _told(eng, before)
    assert ("mentioned", "member") in told
    assert ("mentioned", "outsider") in told  # a case that is not confidential: anyone may see it
    assert ("commented", "member") not in told, "one notice per event"
    with eng.db.write() as s:
        stop_following(s, case, _id(eng, "member"), eng.now())
    assert not get_case(eng, case, "member")["following"]
    before = len(_notices(eng))
    _later(clock)
    fire(eng, case, "start", "official")
    _later(clock)
    comment(eng, case, "member", "Tack!")  # commenting again does not follow it again
    _later(clock)
    fire(eng, case, "complete", "official", comment=C)
    assert ("case_changed", "member") not in _told(eng, before)


def test_a_mention_never_reaches_someone_who_may_not_see_a_confidential_case(
        notify_eng: Engine, open_case: Callable[..., int], clock: FixedClock) -> None:
    eng = notify_eng
    case = open_case(title="Hembesök", confidential=True, as_user="official")
    before = len(_notices(eng))
    _later(clock)
    comment(eng, case, "official", "@outsider @member kan ni titta?")
    told = _told(eng, before)
    assert ("mentioned", "member") in told
    assert "outsider" not in {who for _, who in told}
    with eng.db.read() as s:
        payloads = [n.payload for n in list_notices(s) if n.case_id == case]
    assert all("title" not in p and "what" not in p for p in payloads), "a confidential case's notices say no more"



@pytest.mark.slow
def test_case_show_json_says_whom_it_waits_for(tmp_path: Path, empty_url: str) -> None:
    config = write_config(tmp_path, empty_url)
    run_cli(config, "init", check=True)
    run_cli(config, "user", "add", "anders", "--name", "Anders Holm", "--email", "a@example.org",
            "--role", "official", "--group", "kultur_fritid", check=True)
    opened = json.loads(run_cli(config, "case", "open", "action", "--title", "Klotter", "--as", "anders",
                                "--group", "kultur_fritid", "--assignee", "anders", "--json", check=True).stdout)
    run_cli(config, "case", "fire", str(opened["id"]), "assign", "--as", "anders", check=True)
    shown = json.loads(run_cli(config, "case", "show", str(opened["id"]), "--as", "anders", "--json",
                               check=True).stdout)
    assert shown["waiting_for"] == [{"kind": "user", "key": "anders", "group": None,
                                     "label": {"sv": "Anders Holm", "en": "Anders Holm"}}]


def _id(eng: Engine, username: str) -> int:
    from engine.accounts.users import actor_for
    with eng.db.read() as s:
        uid = actor_for(s, username).user_id
    assert uid is not None
    return uid
