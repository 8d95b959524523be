"""One deployment following two agreements, each with its own groups, period and obligations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from engine.accounts.users import actor_for, add_user
from engine.cases import waiting
from engine.cases.commands import OpenRequest, open_case
from engine.cases.overview import chair_overview
from engine.cases.periods import sync_from_config
from engine.cases.queues import QueueFilter, list_queue
from engine.config.load import load_config
from engine.kernel.actors import SYSTEM
from engine.kernel.errors import ConfigError
from engine.policy import access
from engine.runtime.engine import Engine
from engine.schedule.due import run_due
from engine.schedule.obligations import agreement_status
from engine.store.models import Agreement, CaseRow, Group
from samverkan.bootstrap import build_engine
from tests.conftest import ROOT, T0
from tests.doubles import FixedClock

ESLOV = '''
[[agreements]]
key = "eslov"
title = "Samverkansöverenskommelse Eslöv"
parties = ["Eslövs kommun", "Polisen"]
start = 2015-03-01
period_months = 24
renewal_lead_days = 90
renewal_group = "eslov_rad"
[[agreements.groups]]
key = "eslov_rad"
sv = "Brottsförebyggande rådet i Eslöv"
en = "Crime prevention council, Eslöv"
[[agreements.recurring]]
key = "monthly_review"
workflow = "monthly_review"
schedule = "0 10 15 * *"
lead_days = 7
group = "eslov_rad"
title = "Månadsgenomgång Eslöv {year}-{month}"
[[agreements.obligations]]
key = "monthly_reviews"
sv = "Månadsgenomgångar"
en = "Monthly reviews"
workflow = "monthly_review"
states = ["held"]
required = 24
'''


def two_agreement_engine(tmp_path: Path, db_url: str) -> Engine:
    """An engine on the shipped Höör config plus ESLOV, synced at T0."""
    path = tmp_path / "config.toml"
    text = (ROOT / "config.toml").read_text(encoding="utf-8").replace(
        'workflows_dir = "workflows"', f'workflows_dir = "{ROOT / "workflows"}"')
    path.write_text(text + ESLOV, encoding="utf-8")
    eng = build_engine(load_config(path, database_url=db_url), clock=FixedClock(T0))
    with eng.db.write() as s:
        sync_from_config(s, eng.config, T0)
    return eng


@pytest.fixture
def two(tmp_path: Path, db_url: str) -> Iterator[Engine]:
    eng = two_agreement_engine(tmp_path, db_url)
    with eng.db.write() as s:
        add_user(s, eng.config, "eslovchair", name="E", email="e@example.org", now=T0,
                 roles=[("chair", "eslov_rad")])
        add_user(s, eng.config, "hoorchair", name="H", email="h@example.org", now=T0,
                 roles=[("chair", "trygghetsgruppen")])
        add_user(s, eng.config, "eslovpolis", name="EP", email="ep@example.org", now=T0,
                 roles=[("police", "eslov_rad")])
        add_user(s, eng.config, "hoorpolis", name="HP", email="hp@example.org", now=T0, roles=[("police", "polisen")])
        add_user(s, eng.config, "regionpolis", name="RP", email="rp@example.org", now=T0,
                 roles=[("police", "polisen"), ("police", "eslov_rad")])
    yield eng
    eng.db.dispose()  # else PostgreSQL connections outlive the test and warn in a later one


def test_each_agreement_has_its_groups_period_cases_and_obligations(two: Engine) -> None:
    with two.db.read() as s:
        agreements = {a.key: a.id for a in s.exec(select(Agreement)).all()}
        eslov_group = s.exec(select(Group).where(Group.key == "eslov_rad")).one()
    assert set(agreements) == {"hoor", "eslov"}
    assert eslov_group.agreement_id == agreements["eslov"]
    case = open_case(two, OpenRequest("action", "Belysning i parken", group="eslov_rad"), "eslovchair")
    assert case.agreement_id == agreements["eslov"]
    eslov = agreement_status(two, T0, "eslov")
    hoor = agreement_status(two, T0)
    assert eslov is not None
    assert hoor is not None
    assert (eslov.starts_on, eslov.ends_on) == (dt.date(2025, 3, 1), dt.date(2027, 3, 1))
    assert (hoor.starts_on, hoor.ends_on) == (dt.date(2026, 10, 15), dt.date(2027, 10, 15))
    assert [o.key for o in eslov.obligations] == ["monthly_reviews"]
    mine = list_queue(two, "eslovchair", "all", filters=QueueFilter(agreement_id=agreements["eslov"]))
    assert [c["id"] for c in mine] == [case.id]
    assert list_queue(two, "eslovchair", "all", filters=QueueFilter(agreement_id=agreements["hoor"])) == []


def test_the_chair_and_the_police_count_in_their_own_agreement_only(two: Engine) -> None:
    """One deployment may follow every municipality's agreement: Höör's chair must not read Eslöv's confidential
    cases, and an acute matter reported in Eslöv waits for the Police working for Eslöv, not for all of them."""
    secret = open_case(two, OpenRequest("action", "Orosanmälan", group="eslov_rad", confidential=True), "eslovchair")
    acute = open_case(two, OpenRequest("acute_matter", "Skadegörelse vid stationen", group="eslov_rad"), "eslovpolis")
    hoor_acute = open_case(two, OpenRequest("acute_matter", "Inbrott i skolan", group="polisen"), "hoorpolis")
    with two.db.read() as s:
        people = {n: actor_for(s, n) for n in ("eslovchair", "hoorchair", "eslovpolis", "hoorpolis", "regionpolis")}
        cases = list(s.exec(select(CaseRow)).all())
        by_id = {c.id: c for c in cases}
        seen = {n: {c.id for c in cases if access.may_see(a, c)} for n, a in people.items()}
        for name, actor in people.items():  # the SQL forms the lists use say the same as the Python forms
            listed = set(s.exec(select(CaseRow.id).where(access.visible(actor))).all())
            assert listed == seen[name], name
            overseen = set(s.exec(select(CaseRow.id).where(access.overseen(access.reach(actor))),
                                  params=access.binds(actor)).all())
            assert overseen == {c.id for c in cases if access.oversees(actor, c)}, name
        waits = {n: {c.id for c in cases if waiting.waits_for(s, c, a)} for n, a in people.items()}
        told = {cid: {u for u in waiting.people(s, cid)} for cid in (acute.id, hoor_acute.id)}
        user_id = {n: a.user_id for n, a in people.items()}
    assert (secret.id in seen["eslovchair"], secret.id in seen["hoorchair"]) == (True, False)
    assert access.oversees(people["eslovchair"], by_id[secret.id])
    assert not access.oversees(people["hoorchair"], by_id[secret.id])
    assert not access.may_manage(people["hoorchair"], by_id[secret.id])
    assert (acute.id in waits["eslovpolis"], acute.id in waits["hoorpolis"], acute.id in waits["regionpolis"]) == \
        (True, False, True)
    assert (hoor_acute.id in waits["eslovpolis"], hoor_acute.id in waits["hoorpolis"]) == (False, True)
    assert told[acute.id] >= {user_id["eslovpolis"], user_id["regionpolis"]}
    assert user_id["hoorpolis"] not in told[acute.id]
    todo = {c["id"] for c in list_queue(two, "hoorpolis", "todo")}
    assert (hoor_acute.id in todo, acute.id in todo) == (True, False)
    assert access.may_act(people["eslovpolis"], by_id[acute.id], frozenset({"police"}))
    assert not access.may_act(people["hoorpolis"], by_id[acute.id], frozenset({"police"}))


def test_renewals_and_recurring_openings_are_per_agreement(two: Engine) -> None:
    summary = run_due(two, T0)
    keys = {o["occurrence_key"] for o in summary.opened}
    # Eslöv's period ends 2027-03-01, so its renewal opened 90 days before; Höör's is not due yet.
    assert "agreement_renewal:eslov:6" in keys
    assert not any(k.startswith("agreement_renewal:hoor") for k in keys)
    assert "eslov:monthly_review:2027-02-15" in keys
    with two.db.read() as s:
        renewal = s.exec(select(CaseRow).where(CaseRow.occurrence_key == "agreement_renewal:eslov:6")).one()
        group = s.get(Group, renewal.group_id)
    assert group is not None
    assert group.key == "eslov_rad"


def test_a_recurring_obligation_must_use_its_own_agreements_group(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    bad = ESLOV.replace('group = "eslov_rad"\ntitle', 'group = "trygghetsgruppen"\ntitle')
    path.write_text((ROOT / "config.toml").read_text(encoding="utf-8") + bad, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"agreements\[0\]\.recurring\[0\]\.group: unknown group 'trygghetsgruppen'"):
        load_config(path)


@pytest.mark.parametrize(("old", "new", "key"), [
    ('renewal_group = "eslov_rad"', 'renewal_group = "eslov_rad"\nrenewed_states = ["extended", "revisd"]',
     "agreements[0].renewed_states"),
    ('workflow = "monthly_review"\nschedule', 'workflow = "monthly"\nschedule', "agreements[0].recurring[0].workflow"),
    ('states = ["held"]', 'states = ["hold"]', "agreements[0].obligations[0].states"),
])
def test_a_further_agreement_s_workflow_keys_are_named_with_its_index(
        tmp_path: Path, old: str, new: str, key: str) -> None:
    assert old in ESLOV
    path = tmp_path / "config.toml"
    text = (ROOT / "config.toml").read_text(encoding="utf-8").replace(
        'workflows_dir = "workflows"', f'workflows_dir = "{ROOT / "workflows"}"')
    path.write_text(text + ESLOV.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        build_engine(load_config(path, database_url="sqlite://"))
    assert err.value.key == key


def test_the_chairs_overview_of_one_agreement_counts_what_waits_for_the_chair_there(two: Engine) -> None:
    """A chair of two agreements looking at one of them is told what waits for them in that one, the number
    "Att göra" shows for it, not what waits in every agreement."""
    with two.db.write() as s:
        add_user(s, two.config, "regionchair", name="R", email="r@example.org", now=T0,
                 roles=[("chair", "trygghetsgruppen"), ("chair", "eslov_rad")])
        ids = {a.key: a.id for a in s.exec(select(Agreement)).all()}
    for group in ("trygghetsgruppen", "eslov_rad", "eslov_rad"):
        open_case(two, OpenRequest("agreement_renewal", "Förnyelse", group=group), SYSTEM)  # as the schedule does
    todo = {key: len(list_queue(two, "regionchair", "todo", filters=QueueFilter(agreement_id=i)))
            for key, i in ids.items()}
    assert todo == {"hoor": 1, "eslov": 2}
    for key, agreement_id in ids.items():
        assert chair_overview(two, "regionchair", T0, agreement_id=agreement_id)["waiting_for_you"] == todo[key]
    assert chair_overview(two, "regionchair", T0)["waiting_for_you"] == 3
    assert chair_overview(two, "regionchair", T0, waiting_for_you=7)["waiting_for_you"] == 7  # counted by the caller
