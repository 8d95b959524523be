"""One decision per trigger: the shared machine asks each guard once and says why it refuses."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable

import pytest

from engine.kernel.actors import SYSTEM, Actor
from engine.kernel.errors import Forbidden, TransitionNotAllowed, ValidationError
from engine.policy.access import spans
from engine.workflow.decide import (
    CommentRequired,
    GuardUnmet,
    NotFromHere,
    RoleMissing,
    Take,
    UnknownTrigger,
    decide,
    decide_each,
)
from engine.workflow.definition import parse_definition
from engine.workflow.machine import WorkflowMachine
from engine.workflow.rules import EFFECTS, GUARDS, CaseAdapter, FireContext, Rule

NOW = dt.datetime(2027, 2, 10, 9, 0, tzinfo=dt.UTC)
GROUP = 7

FLOW = """
key = "flow"
label = { sv = "Flöde", en = "Flow" }
initial = "open"

[[states]]
key = "open"
label = { sv = "Öppen", en = "Open" }

[[states]]
key = "ready"
label = { sv = "Klar", en = "Ready" }

[[states]]
key = "closed"
label = { sv = "Stängd", en = "Closed" }
terminal = true

[[transitions]]
trigger = "prepare"
label = { sv = "Förbered", en = "Prepare" }
source = ["open"]
target = "ready"
roles = ["official", "chair"]
guards = ["t_first", "t_second"]
unless = ["t_blocked"]
effects = ["t_stamp"]

[[transitions]]
trigger = "close"
label = { sv = "Stäng", en = "Close" }
source = ["ready"]
target = "closed"
roles = ["chair"]
comment = "required"

[[transitions]]
trigger = "close"
label = { sv = "Stäng", en = "Close" }
source = ["open"]
target = "closed"
system = true
"""


@pytest.fixture
def facts(monkeypatch: pytest.MonkeyPatch) -> dict[str, bool]:
    """The answers of the test guards (changeable per test), registered for the length of a test."""
    answers = {"t_first": True, "t_second": True, "t_blocked": False}
    for name in answers:
        monkeypatch.setitem(GUARDS, name, Rule(name, f"{name} says no", _asking(name, answers)))
    monkeypatch.setitem(EFFECTS, "t_stamp", Rule("t_stamp", "stamps the data",
                                                 lambda ctx: ctx.case.data.update(stamped=ctx.actor.username)))
    return answers


CALLS: Counter[str] = Counter()


def _asking(name: str, answers: dict[str, bool]) -> Callable[[FireContext], bool]:
    def ask(ctx: FireContext) -> bool:
        CALLS[name] += 1
        return answers[name]
    return ask


@pytest.fixture
def machine(facts: dict[str, bool]) -> WorkflowMachine:
    CALLS.clear()
    return WorkflowMachine(parse_definition(FLOW, "workflows/flow.toml", {"official", "chair"}))


def _chair() -> Actor:
    """The chair of the agreement GROUP belongs to, held in another of its groups."""
    held = frozenset({(GROUP + 2, "chair")})
    return Actor("cia", 3, held, spans=spans(held, [(1, GROUP), (1, GROUP + 1), (1, GROUP + 2)]))


def _ctx(state: str = "open", actor: Actor | None = None, comment: str | None = None) -> FireContext:
    who = actor or Actor("olle", 1, frozenset({(GROUP, "official")}))
    return FireContext(CaseAdapter(42, state, None, GROUP, {}), who, NOW, comment)


def test_a_step_that_is_allowed_asks_each_guard_once_and_runs_its_effects_only_when_applied(machine) -> None:
    ctx = _ctx()
    decision = decide(machine, "prepare", ctx)
    assert isinstance(decision, Take)
    assert (decision.transition.trigger, decision.transition.target) == ("prepare", "ready")
    assert CALLS == {"t_first": 1, "t_second": 1, "t_blocked": 1}
    assert (ctx.case.state, ctx.case.data) == ("open", {}), "deciding changes nothing"
    decision.apply()
    assert (ctx.case.state, ctx.case.data) == ("ready", {"stamped": "olle"})


def test_every_unmet_guard_is_named_though_the_machine_stops_at_the_first(machine, facts) -> None:
    facts.update(t_first=False, t_blocked=True)
    decision = decide(machine, "prepare", _ctx())
    assert isinstance(decision, GuardUnmet)
    assert decision.guards == ("t_first", "t_blocked")
    assert decision.descriptions == ("t_first says no", "t_blocked says no")
    assert CALLS == {"t_first": 1, "t_second": 1, "t_blocked": 1}, "explaining asks no guard twice"
    err = decision.error()
    assert isinstance(err, TransitionNotAllowed)
    assert str(err) == "'prepare' is not allowed now: t_blocked says no; t_first says no."


@pytest.mark.parametrize(("trigger", "state", "actor", "kind", "error", "message"), [
    ("fly", "open", None, UnknownTrigger, TransitionNotAllowed,
     "'fly' is not a trigger of this workflow from state 'open' (Open); possible from here: prepare, close."),
    ("close", "closed", None, NotFromHere, TransitionNotAllowed,
     "'close' is not possible from state 'closed' (Closed); possible from here: none (the case is closed)."),
    ("close", "ready", None, RoleMissing, Forbidden,
     "Only chair may 'close' case 42; ask one of them or the case's owning group."),
    ("prepare", "open", SYSTEM, RoleMissing, Forbidden,
     "Only chair, official may 'prepare' case 42; ask one of them or the case's owning group."),
    ("close", "open", None, RoleMissing, Forbidden,
     "Only the system may 'close' case 42; ask one of them or the case's owning group."),
])
def test_a_refusal_carries_its_reason_and_maps_onto_the_engine_error(machine, trigger, state, actor, kind, error,
                                                                     message) -> None:
    decision = decide(machine, trigger, _ctx(state, actor))
    assert type(decision) is kind
    assert isinstance(decision.error(), error)
    assert str(decision.error()) == message


def test_a_role_that_may_not_never_reaches_the_guards(machine) -> None:
    outsider = Actor("ulla", 2, frozenset({(GROUP + 1, "member")}))
    assert isinstance(decide(machine, "prepare", _ctx(actor=outsider)), RoleMissing)
    assert CALLS == {}


def test_a_missing_comment_is_the_last_reason_and_a_validation_error_on_the_comment(machine) -> None:
    chair = _chair()
    decision = decide(machine, "close", _ctx("ready", chair))
    assert isinstance(decision, CommentRequired)
    assert decision.transition.target == "closed"
    err = decision.error()
    assert isinstance(err, ValidationError)
    assert (err.field, err.code, err.params) == ("comment", "comment_required", {"trigger": "close"})
    assert isinstance(decide(machine, "close", _ctx("ready", chair, comment="Klart.")), Take)


def test_the_system_takes_its_own_transition(machine) -> None:
    decision = decide(machine, "close", _ctx("open", SYSTEM))
    assert isinstance(decision, Take)
    assert decision.transition.system


def test_each_trigger_from_the_state_is_decided_in_one_pass(machine, facts) -> None:
    facts["t_second"] = False
    decisions = dict(decide_each(machine, _ctx()))
    assert list(decisions) == ["prepare", "close"]
    assert isinstance(decisions["prepare"], GuardUnmet)
    assert isinstance(decisions["close"], RoleMissing)


def test_the_shared_machine_keeps_no_case_and_no_case_loses_its_state(machine) -> None:
    chair = _chair()
    ctx = _ctx("ready", chair, comment="Klart.")
    assert isinstance(decide(machine, "close", ctx), Take)
    assert ctx.case.state == "ready", "adding the adapter must not reset it to the initial state"
    assert machine._machine.models == []


def test_two_readers_of_the_same_case_at_once_each_get_their_answer(machine) -> None:
    """Two requests load the same case: equal adapters, and the shared machine must tell them apart."""
    first, second = _ctx(), _ctx()
    assert first.case.__dict__ == second.case.__dict__
    with machine.attached(first.case):
        assert isinstance(decide(machine, "prepare", second), Take)
        assert machine._machine.models == [first.case]
    assert machine._machine.models == []
