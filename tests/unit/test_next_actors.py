"""Who a state waits for is someone who may take its next step: each `next` of the shipped workflows
names a role (or the assignee, the group) that some transition from that state lets act."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.workflow.definition import load_definitions

ROOT = Path(__file__).resolve().parent.parent.parent
ROLES = ["chair", "member", "official", "police", "security", "admin"]
SHIPPED = load_definitions(sorted((ROOT / "workflows").glob("*.toml")), ROLES)
# States that wait for work outside their own steps, and why.
ELSEWHERE = {("atgardsplan", "decided"): "in force: the plan waits for its measures and the yearly follow-up; "
                                         "closing it is the chair's step once it is replaced"}


@pytest.mark.parametrize("key", sorted(SHIPPED))
def test_every_open_state_waits_for_someone_who_may_act_there(key: str) -> None:
    definition = SHIPPED[key]
    for state in definition.states.values():
        if state.terminal:
            assert state.next == (), f"{key}.{state.key}: a terminal state waits for nobody"
            continue
        assert state.next, f"{key}.{state.key}: say who acts next"
        if (key, state.key) in ELSEWHERE:
            continue
        may = {r for t in definition.transitions if state.key in t.sources and not t.system for r in t.roles}
        for n in state.next:
            # The assignee stands in for the group while nobody holds the case (assigning is the group's step).
            allowed = may | ({"assignee"} if "group_member" in may or "official" in may else set())
            assert n.who in allowed, f"{key}.{state.key}: next {n.who!r}, but only {sorted(may)} may act there"
