"""The crime-prevention law's cycle on cases: a lägesbild with its sources adopted, a plan drafted
from it with measures opened as actions, the follow-up judging each measure; information to the
citizens published from a monthly review; the recurring lägesbild and follow-up over two years."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlmodel import select

from engine.accounts.users import add_user
from engine.cases.citizen_info import publish, published
from engine.cases.commands import assign
from engine.cases.cycle import cycle_view
from engine.cases.firing import fire
from engine.cases.plans import MeasureRequest, add_source, judge, open_from, open_measure
from engine.config.load import load_config
from engine.kernel.errors import Forbidden, TransitionNotAllowed, ValidationError
from engine.reporting.plan_pdf import render_plan_pdf
from engine.runtime.engine import Engine
from engine.schedule.obligations import agreement_status
from engine.store.audit import verify_chain
from engine.store.db import Database
from engine.store.models import CaseRow
from samverkan.bootstrap import build_engine
from tests.doubles import FixedClock
from tests.support import run_cli, write_config


def _obligations(eng: Engine) -> dict[str, tuple[int, int]]:
    status = agreement_status(eng, eng.now())
    assert status is not None
    return {o.key: (o.done, o.required) for o in status.obligations}


def _adopted_lagesbild(eng: Engine, open_case: Callable[..., int]) -> int:
    lb = open_case("lagesbild", group="ksau", title="Lägesbild 2027")
    fire(eng, lb, "analyse", "chair")
    fire(eng, lb, "submit", "chair", comment="Inbrotten ökar i centrum.")
    fire(eng, lb, "adopt", "chair", comment="KSAU § 12")
    return lb


def test_the_cycle_from_lagesbild_to_follow_up(eng: Engine, open_case: Callable[..., int]) -> None:
    lb = open_case("lagesbild", group="ksau", title="Lägesbild 2027")
    survey = open_case("action", group="trygghetsgruppen", title="Trygghetsmätning 2026", focus_area="safety")
    review = open_case("monthly_review", group="trygghetsgruppen", title="Månadsgenomgång 2027-01")
    add_source(eng, lb, survey, "chair")
    add_source(eng, lb, review, "chair")
    add_source(eng, lb, review, "chair")  # twice is once
    with pytest.raises(ValidationError, match="own source"):
        add_source(eng, lb, lb, "chair")
    assert [s["id"] for s in cycle_view(eng, lb, "chair")["sources"]] == [survey, review]
    assert _obligations(eng)["situation_picture"] == (0, 1)
    with pytest.raises(ValidationError, match="opened from a lagesbild case in state adopted"):
        open_from(eng, lb, "atgardsplan", "Åtgärdsplan 2027", "chair")
    fire(eng, lb, "analyse", "chair")
    fire(eng, lb, "submit", "chair", comment="Inbrotten ökar i centrum.")
    fire(eng, lb, "adopt", "chair", comment="KSAU § 12")
    with pytest.raises(ValidationError, match="past that"):
        add_source(eng, lb, survey, "chair")
    assert _obligations(eng)["situation_picture"] == (1, 1)
    assert _obligations(eng)["action_plan"] == (0, 1)

    plan = open_from(eng, lb, "atgardsplan", "Åtgärdsplan 2027", "chair").id
    assert plan is not None
    measures = [open_measure(eng, plan, MeasureRequest(title, group, area, dt.date(2027, 6, 30)), "chair").id
                for title, group, area in [("Belysning i centrum", "forvaltningen", "burglary"),
                                           ("Föräldravandringar", "socialnamnden", "drugs"),
                                           ("Hastighetskontroller", "polisen", "traffic")]]
    fire(eng, plan, "propose", "chair")
    fire(eng, plan, "decide", "chair", comment="KS § 40")
    assert _obligations(eng)["action_plan"] == (1, 1)
    view = cycle_view(eng, plan, "chair")
    assert [m["id"] for m in view["measures"]] == measures
    assert all(m["due_at"] and m["due_at"].startswith("2027-06-30") for m in view["measures"])
    assert view["measures"][0]["waiting_for"]  # the group, while nobody has it

    done = measures[1]
    assign(eng, done, "chair", user="official")
    fire(eng, done, "start", "official")
    fire(eng, done, "complete", "official", comment="Tolv vandringar genomförda.")

    follow = open_from(eng, plan, "uppfoljning", "Uppföljning 2027", "chair").id
    assert follow is not None
    view = cycle_view(eng, follow, "chair")
    assert [(m["id"], m["outcome"]) for m in view["measures"]][1] == (done, "Tolv vandringar genomförda.")
    judge(eng, follow, measures[0], "not_achieved", "Inte påbörjad.", "chair")
    with pytest.raises(TransitionNotAllowed):
        fire(eng, follow, "submit", "chair")  # two measures unjudged
    with pytest.raises(ValidationError, match="not a measure"):
        judge(eng, follow, survey, "achieved", "", "chair")
    judge(eng, follow, measures[1], "achieved", "Bra uppslutning.", "chair")
    judge(eng, follow, measures[2], "partly", "", "chair")
    fire(eng, follow, "submit", "chair")
    with pytest.raises(ValidationError, match="past that"):
        judge(eng, follow, measures[2], "achieved", "", "chair")
    fire(eng, follow, "adopt", "chair", comment="KSAU § 80")
    view = cycle_view(eng, follow, "chair")
    assert view["measures"][1]["judgement"]["judgement"] == "achieved"
    pdf = render_plan_pdf(view, "sv", tz=eng.tz, now=eng.now(), focus_labels={"drugs": "Narkotika"})
    assert pdf.startswith(b"%PDF")  # the follow-up prints with its judgements
    assert _obligations(eng)["plan_follow_up"] == (1, 1)
    with eng.db.read() as s:  # judgements and sources leave the signed chain whole
        assert verify_chain(s, eng.audit_keys).ok
    # The adopted follow-up feeds the next lägesbild: offered as its source until linked.
    following = open_case("lagesbild", group="ksau", title="Lägesbild 2029")
    assert [c["id"] for c in cycle_view(eng, following, "chair")["suggested_sources"]] == [follow]
    add_source(eng, following, follow, "chair")
    assert cycle_view(eng, following, "chair")["suggested_sources"] == []


def test_only_the_steering_group_works_its_cycle_and_only_the_chair_adopts(
        eng: Engine, open_case: Callable[..., int]) -> None:
    with eng.db.write() as s:
        add_user(s, eng.config, "ksau_official", name="K", email="k@example.org", now=eng.now(),
                 roles=[("official", "ksau")])
    with pytest.raises(Forbidden):
        open_case("lagesbild", group="ksau", as_user="official")  # an official of Socialnämnden
    lb = open_case("lagesbild", group="ksau", as_user="ksau_official")
    survey = open_case("action", group="socialnamnden", title="Trygghetsmätning", focus_area="safety")
    with pytest.raises(Forbidden):  # Socialnämnden's official sees the steering group's case, works it not
        add_source(eng, lb, survey, "official")
    add_source(eng, lb, survey, "ksau_official")
    fire(eng, lb, "analyse", "ksau_official")
    fire(eng, lb, "submit", "ksau_official", comment="Slutsatser")
    with pytest.raises(Forbidden):
        fire(eng, lb, "adopt", "ksau_official", comment="Antas")  # the steering group decides: its chair
    fire(eng, lb, "adopt", "chair", comment="KSAU § 12")
    plan = open_from(eng, lb, "atgardsplan", "Åtgärdsplan", "ksau_official").id
    assert plan is not None
    with pytest.raises(Forbidden):
        open_measure(eng, plan, MeasureRequest("Belysning", "socialnamnden", "burglary", None), "official")
    with pytest.raises(Forbidden):  # a measure for a group one is not in
        open_measure(eng, plan, MeasureRequest("Belysning", "socialnamnden", "burglary", None), "ksau_official")
    open_measure(eng, plan, MeasureRequest("Belysning", "socialnamnden", "burglary", None), "chair")


def test_a_plan_is_opened_from_an_adopted_lagesbild_only(eng: Engine, open_case: Callable[..., int]) -> None:
    with pytest.raises(ValidationError, match="open it from that case's page"):
        open_case("atgardsplan", group="ksau", title="Plan utan lägesbild")
    lb = _adopted_lagesbild(eng, open_case)
    with pytest.raises(ValidationError, match="opened from a atgardsplan"):
        open_from(eng, lb, "uppfoljning", "Uppföljning", "chair")


def test_a_text_naming_a_confidential_case_is_refused(eng: Engine, open_case: Callable[..., int]) -> None:
    secret = open_case("acute_matter", group="polisen", title="Hot mot vittne", confidential=True)
    public = open_case("action", group="socialnamnden", title="Föräldravandring")
    review = open_case("monthly_review", group="trygghetsgruppen", title="Månadsgenomgång 2027-02")
    fire(eng, review, "hold", "police")
    with pytest.raises(TransitionNotAllowed):
        fire(eng, review, "publish_information", "police", comment="Utan text")
    for body in (f"Se ärende #{secret}.", f"Läs [mer](https://samverkan.hoor.se/cases/{secret})."):
        with pytest.raises(ValidationError, match=f"confidential case \\(#{secret}\\)") as exc:
            publish(eng, review, "Februari", body, "police")
        assert exc.value.code == "confidential_reference"
    assert published(eng) == []
    assert _obligations(eng)["citizen_information"] == (0, 1)
    publish(eng, review, "Februari i Höör", f"Polisen och kommunen har gått igenom februari. Se #{public}.", "police")
    texts = published(eng)
    assert [(t.case_id, t.title) for t in texts] == [(review, "Februari i Höör")]
    assert _obligations(eng)["citizen_information"] == (1, 1)
    with eng.db.read() as s:
        assert s.exec(select(CaseRow.state).where(CaseRow.id == review)).one() == "information_published"
    with pytest.raises(ValidationError, match="no step that publishes"):
        publish(eng, review, "Igen", "Text", "police")


@pytest.mark.slow
def test_tick_over_two_years_opens_the_lagesbild_and_the_follow_up_on_time(tmp_path: Path) -> None:
    """`samverkan tick --now` as cron runs it: the lägesbild opens 14 days before 15 January in 2027 and
    2029 (every second year), not in 2028; the follow-up 14 days before 1 November under the decided plan."""
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    config = write_config(tmp_path, url)
    run_cli(config, "init", check=True)

    def tick(day: str) -> list[str]:
        done = run_cli(config, "tick", "--now", f"{day}T09:00:00+01:00", "--json", check=True)
        return [o["occurrence_key"] for o in json.loads(done.stdout)["opened"]
                if o["workflow"] in ("lagesbild", "uppfoljning")]

    assert tick("2026-12-31") == []
    assert tick("2027-01-01") == ["lagesbild:2027-01-15"]
    eng = build_engine(load_config(config), clock=FixedClock(dt.datetime(2027, 3, 1, 9, tzinfo=dt.UTC)))
    try:
        with eng.db.write() as s:
            add_user(s, eng.config, "kerstin", name="Kerstin", email="k@example.org", now=eng.now(),
                     roles=[("chair", "ksau")])
        with eng.db.read() as s:
            lb = s.exec(select(CaseRow.id).where(CaseRow.occurrence_key == "lagesbild:2027-01-15")).one()
        assert tick("2027-10-17") == []  # no plan decided yet: nothing to follow up
        fire(eng, lb, "analyse", "kerstin")
        fire(eng, lb, "submit", "kerstin", comment="Slutsatser")
        fire(eng, lb, "adopt", "kerstin", comment="KSAU § 12")
        plan = open_from(eng, lb, "atgardsplan", "Åtgärdsplan 2027", "kerstin").id
        fire(eng, plan, "propose", "kerstin")
        fire(eng, plan, "decide", "kerstin", comment="KS § 40")
    finally:
        eng.db.dispose()
    assert tick("2027-10-18") == ["uppfoljning:2027-11-01"]
    assert tick("2028-01-01") == []  # 2028 is no lägesbild year
    assert tick("2028-10-18") == ["uppfoljning:2028-11-01"]
    assert tick("2029-01-01") == ["lagesbild:2029-01-15"]
    with Database(url).read() as s:
        parents = s.exec(select(CaseRow.parent_id).where(CaseRow.workflow == "uppfoljning")).all()
    assert parents == [plan, plan]
