"""Property: whatever a caller passes to open_case, fire, assign or comment, the engine answers with one of
its own errors (engine/kernel/errors.py) or does it; never a database, overflow or type error."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.cases.commands import OpenRequest, assign, comment, open_case
from engine.cases.firing import fire
from engine.kernel.errors import EngineError
from engine.runtime.engine import Engine
from tests.conftest import PERSONAS

# Any text: empty, huge, NUL, control characters, lone surrogates, right-to-left marks.
TEXT = st.text(st.characters(codec=None, categories=None), max_size=300)
INTS = st.integers() | st.sampled_from([0, 1, 2, -1, 2**31 - 1, 2**31, 2**63, -(2**63) - 1, 2**70])


def _known_or_any(*known: str) -> st.SearchStrategy[str]:
    return st.sampled_from(known) | TEXT


ACTORS = _known_or_any(*PERSONAS, "system")
WORKFLOWS = _known_or_any("action", "acute_matter", "monthly_review", "safety_group_meeting", "agreement_renewal")
GROUPS = _known_or_any("socialnamnden", "polisen", "trygghetsgruppen", "kultur_fritid")
TRIGGERS = _known_or_any("assign", "start", "complete", "cancel", "triage", "reject", "hold", "verify")
DATES = st.dates() | st.dates(dt.date(2027, 1, 1), dt.date(2040, 1, 1))
TIMES = st.datetimes(timezones=st.none() | st.timezones()) | st.datetimes(
    dt.datetime(2026, 1, 1), dt.datetime(2030, 1, 1), timezones=st.timezones())

REQUESTS = st.builds(
    OpenRequest, workflow=WORKFLOWS, title=TEXT, group=st.none() | GROUPS, description=TEXT,
    focus_area=st.none() | _known_or_any("drugs", "traffic", "safety"),
    priority=_known_or_any("low", "normal", "high"), assignee=st.none() | _known_or_any(*PERSONAS),
    confidential=st.booleans(), parent_id=st.none() | INTS, due=st.none() | DATES, event_at=st.none() | TIMES)

CALLS = st.one_of(
    st.tuples(st.just("open"), REQUESTS, ACTORS),
    st.tuples(st.just("fire"), INTS, TRIGGERS, ACTORS, st.none() | TEXT, st.none() | INTS),
    st.tuples(st.just("assign"), INTS, ACTORS, st.none() | _known_or_any(*PERSONAS), st.none() | GROUPS,
              st.none() | INTS),
    st.tuples(st.just("comment"), INTS, ACTORS, TEXT),
)


def _call(eng: Engine, call: tuple[Any, ...]) -> None:
    kind, *args = call
    if kind == "open":
        open_case(eng, args[0], args[1])
    elif kind == "fire":
        case_id, trigger, actor, text, version = args
        fire(eng, case_id, trigger, actor, comment=text, expected_version=version)
    elif kind == "assign":
        case_id, actor, user, group, version = args
        assign(eng, case_id, actor, user=user, group=group, expected_version=version)
    else:
        comment(eng, args[0], args[1], args[2])


def test_any_input_gives_an_engine_error_or_a_result(eng: Engine, open_case: Callable[..., int]) -> None:
    # A few real cases, so that valid ids and triggers meet the arbitrary rest.
    for workflow, group in (("action", "socialnamnden"), ("acute_matter", "polisen")):
        open_case(workflow, group=group)

    @settings(max_examples=300, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(calls=st.lists(CALLS, min_size=1, max_size=4))
    def run(calls: list[tuple[Any, ...]]) -> None:
        for call in calls:
            try:
                _call(eng, call)
            except EngineError:
                pass

    run()
