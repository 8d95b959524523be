"""Workflow files: every problem is reported as `file: field: problem`; the shipped six load."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.config.load import load_config
from engine.kernel.errors import DefinitionError
from engine.workflow.definition import load_definitions, parse_definition

ROOT = Path(__file__).resolve().parents[2]
ROLES = load_config(ROOT / "config.toml").role_keys
ACTION = (ROOT / "workflows" / "action.toml").read_text(encoding="utf-8")
SHIPPED = {"acute_matter", "action", "agreement_renewal", "police_annual_report",
           "safety_group_meeting", "monthly_review", "lagesbild", "atgardsplan", "uppfoljning"}

GOOD = """
key = "mini"
label = { sv = "Mini", en = "Mini" }
initial = "open"

[[states]]
key = "open"
label = { sv = "Öppen", en = "Open" }
  [states.deadline]
  working_days = 5
  remind_before_days = [1]

[[states]]
key = "closed"
label = { sv = "Stängd", en = "Closed" }
terminal = true

[[transitions]]
trigger = "close"
label = { sv = "Stäng", en = "Close" }
source = ["open"]
target = "closed"
roles = ["chair", "assignee"]
"""


def problems(source: str, file: str = "workflows/mini.toml") -> list[tuple[str, str, str]]:
    with pytest.raises(DefinitionError) as err:
        parse_definition(source, file, ROLES)
    assert str(err.value).splitlines() == [f"{f}: {field}: {msg}" for f, field, msg in err.value.problems]
    return err.value.problems


def test_the_minimal_definition_is_valid() -> None:
    d = parse_definition(GOOD, "workflows/mini.toml", ROLES)
    assert d.initial == "open"
    assert d.states["open"].deadline is not None
    assert d.states["open"].deadline.working_days == 5
    assert [t.trigger for t in d.transitions] == ["close"]


def test_all_shipped_workflows_load() -> None:
    found = load_definitions((ROOT / "workflows").glob("*.toml"), ROLES)
    assert set(found) == SHIPPED
    for d in found.values():
        assert len(d.version) == 16
        assert any(s.terminal for s in d.states.values())


def test_version_is_a_content_hash() -> None:
    a = parse_definition(GOOD, "workflows/mini.toml", ROLES)
    b = parse_definition(GOOD + "\n# a comment\n", "workflows/mini.toml", ROLES)
    assert a.version != b.version
    assert a.version == parse_definition(GOOD, "elsewhere/mini.toml", ROLES).version


@pytest.mark.parametrize(("old", "new", "field", "problem"), [
    ('initial = "open"', 'initial = "open"\ncolour = "blue"', "colour", "unknown key; expected one of"),
    ("terminal = true", "terminal = true\nfinal = true", "states[1].final", "unknown key"),
    ('target = "closed"', 'target = "closed"\nwhen = "now"', "transitions[0].when", "unknown key"),
    ('source = ["open"]', 'source = ["opened"]', "transitions[0].source", "unknown state 'opened'"),
    ('target = "closed"', 'target = "shut"', "transitions[0].target", "unknown state 'shut'"),
    ('initial = "open"', 'initial = "start"', "initial", "unknown state 'start'"),
    ('roles = ["chair", "assignee"]', 'roles = ["chair", "mayor"]', "transitions[0].roles",
     "unknown role 'mayor'; expected one of"),
    ('roles = ["chair", "assignee"]', "roles = []", "transitions[0].roles", "nobody may fire this transition"),
    ('roles = ["chair", "assignee"]', 'roles = ["chair"]\nguards = ["is_sunny"]', "transitions[0].guards",
     "unregistered guard 'is_sunny'"),
    ('roles = ["chair", "assignee"]', 'roles = ["chair"]\neffects = ["send_flowers"]', "transitions[0].effects",
     "unregistered effect 'send_flowers'"),
    ("working_days = 5", 'working_days = "five"', "states[0].deadline.working_days",
     "expected a whole number of days, got 'five'"),
    ("working_days = 5", "working_days = 5\ndays = 3", "states[0].deadline",
     "give exactly one of days = N or working_days = N"),
    ("working_days = 5", "days = -3", "states[0].deadline.days", 'a negative duration needs anchor = "event"'),
    ("working_days = 5", "working_days = 5\nanchor = \"tomorrow\"", "states[0].deadline.anchor",
     "unknown anchor 'tomorrow'"),
    ("remind_before_days = [1]", "remind_before_days = [0]", "states[0].deadline.remind_before_days",
     "expected a list of positive whole days"),
    ("remind_before_days = [1]", "remind_before_days = [1]\ntimeout_trigger = \"expire\"",
     "states[0].deadline.timeout_trigger", "no system transition 'expire' from 'open'"),
    ('roles = ["chair", "assignee"]', 'roles = ["chair"]\ncomment = "maybe"', "transitions[0].comment",
     'expected "optional" or "required"'),
    ('key = "mini"', 'key = "maxi"', "key", "'maxi' must match the file name 'mini'"),
    ('key = "closed"', 'key = "Closed"', "states[1].key", "must be snake_case"),
    ('label = { sv = "Mini", en = "Mini" }\n', "", "label", 'is missing; expected { sv = "...", en = "..." }'),
    ('label = { sv = "Mini", en = "Mini" }', 'label = "Mini"', "label", 'expected { sv = "...", en = "..." }'),
    ('label = { sv = "Mini", en = "Mini" }', 'label = { sv = "Mini", en = "Mini" }\ndescription = 5',
     "description", 'expected { sv = "...", en = "..." }'),
    ('label = { sv = "Öppen", en = "Open" }\n', "", "states[0].label", "is missing"),
    ('roles = ["chair", "assignee"]', 'roles = ["chair"]\nunless = ["is_sunny"]', "transitions[0].unless",
     "unregistered guard 'is_sunny'"),
    ('roles = ["chair", "assignee"]', 'roles = ["chair"]\nsystem = "no"', "transitions[0].system",
     "expected true or false, got 'no'"),
    ('roles = ["chair", "assignee"]', 'roles = ["chair"]\non_assign = 1', "transitions[0].on_assign",
     "expected true or false, got 1"),
    ("working_days = 5", "working_days = -5", "states[0].deadline.working_days",
     'a negative duration needs anchor = "event"'),
])
def test_each_problem_names_the_file_and_the_field(old: str, new: str, field: str, problem: str) -> None:
    assert old in GOOD
    found = problems(GOOD.replace(old, new, 1))
    matching = [p for p in found if p[1] == field and problem in p[2]]
    assert matching, f"expected {field}: ...{problem}... among {found}"
    assert all(p[0] == "workflows/mini.toml" for p in found)


def test_an_unregistered_unless_guard_is_not_blamed_on_guards() -> None:
    found = problems(GOOD.replace('roles = ["chair", "assignee"]', 'roles = ["chair"]\nunless = ["is_sunny"]'))
    assert [field for _, field, _ in found] == ["transitions[0].unless"]


def test_negative_working_days_before_the_event_are_allowed() -> None:
    source = GOOD.replace("working_days = 5\n  remind_before_days = [1]", 'working_days = -5\n  anchor = "event"')
    rule = parse_definition(source, "workflows/mini.toml", ROLES).states["open"].deadline
    assert rule is not None
    assert rule.working_days == -5


def test_transitions_must_be_tables() -> None:
    source = GOOD.split("[[transitions]]")[0].replace('initial = "open"', 'initial = "open"\ntransitions = 5')
    assert ("workflows/mini.toml", "transitions", "expected [[transitions]] tables") in problems(source)


def test_a_system_transition_is_a_boolean() -> None:
    source = GOOD.replace('roles = ["chair", "assignee"]', 'roles = ["chair"]\nsystem = true')
    assert parse_definition(source, "workflows/mini.toml", ROLES).transitions[0].system is True
    assert parse_definition(GOOD, "workflows/mini.toml", ROLES).transitions[0].system is False


def test_unreachable_state_is_named() -> None:
    source = GOOD + '\n[[states]]\nkey = "limbo"\nlabel = { sv = "L", en = "L" }\nterminal = true\n'
    assert ("workflows/mini.toml", "states[2]", "state 'limbo' cannot be reached from 'open'") in problems(source)


def test_dead_end_non_terminal_state_is_named() -> None:
    source = GOOD.replace('target = "closed"', 'target = "waiting"') + (
        '\n[[states]]\nkey = "waiting"\nlabel = { sv = "Väntar", en = "Waiting" }\n')
    found = problems(source)
    assert ("workflows/mini.toml", "states[2]",
            "state 'waiting' has no way out; add a transition or mark it terminal = true") in found


def test_transition_out_of_a_terminal_state_is_refused() -> None:
    source = GOOD.replace('source = ["open"]', 'source = ["open", "closed"]')
    assert ("workflows/mini.toml", "transitions[0].source",
            "'closed' is terminal; a terminal state has no way out") in problems(source)


def test_syntax_error_names_the_file() -> None:
    found = problems("key = ", "workflows/mini.toml")
    assert found[0][:2] == ("workflows/mini.toml", "(syntax)")


def test_every_problem_of_a_file_is_reported_at_once() -> None:
    broken = (ACTION.replace('roles = ["assignee", "chair"]\nguards = ["has_assignee"]',
                             'roles = ["assignee", "sheriff"]\nguards = ["has_badge"]')
              .replace("working_days = 10", "working_days = 1.5")
              .replace('source = ["done"]\ntarget = "verified"', 'source = ["don"]\ntarget = "verified"'))
    found = problems(broken, "workflows/action.toml")
    fields = {f for _, f, _ in found}
    assert {"transitions[1].roles", "transitions[1].guards", "states[3].deadline.working_days",
            "transitions[3].source"} <= fields
    # 'verified' is reachable only through the broken transition.
    assert any(f == "states[4]" and "cannot be reached" in m for _, f, m in found)


def test_a_broken_file_among_good_ones_loads_nothing(tmp_path: Path) -> None:
    for path in (ROOT / "workflows").glob("*.toml"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "action.toml").write_text(ACTION.replace('"group_member", "chair"]', '"nobody"]', 1),
                                          encoding="utf-8")
    with pytest.raises(DefinitionError) as err:
        load_definitions(tmp_path.glob("*.toml"), ROLES)
    assert {p[0] for p in err.value.problems} == {str(tmp_path / "action.toml")}
    assert all(p[1].startswith("transitions[") for p in err.value.problems)
