"""A case keeps firing under the definition version it was opened with, after the file changes."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from sqlmodel import select

from engine.cases.commands import OpenRequest, open_case
from engine.cases.firing import fire
from engine.cases.views import get_case
from engine.kernel.errors import DefinitionError, TransitionNotAllowed
from engine.runtime.engine import Engine
from engine.store.models import WorkflowDefinitionRow
from samverkan.bootstrap import build_engine
from tests.doubles import FixedClock
from tests.support import ROOT


def _engine_on(eng: Engine, clock: FixedClock, workflows: Path) -> Engine:
    return build_engine(replace(eng.config, workflows_dir=workflows), db=eng.db, clock=clock)


def test_old_case_fires_under_its_version_after_the_file_changes(eng: Engine, clock: FixedClock,
                                                                 tmp_path: Path) -> None:
    workflows = tmp_path / "workflows"
    shutil.copytree(ROOT / "workflows", workflows)
    before = _engine_on(eng, clock, workflows)
    old = open_case(before, OpenRequest("action", "Före ändringen", group="socialnamnden", assignee="member"),
                    "chair")
    fire(before, old.id, "assign", "chair")
    v1 = before.registry.get("action").version

    # The file changes: `start` is renamed `begin` and only the chair may do it.
    path = workflows / "action.toml"
    source = path.read_text(encoding="utf-8")
    changed = source.replace('trigger = "start"\nlabel = { sv = "Påbörja", en = "Start" }\nsource = ["assigned"]\n'
                             'target = "in_progress"\nroles = ["assignee", "chair"]',
                             'trigger = "begin"\nlabel = { sv = "Börja", en = "Begin" }\nsource = ["assigned"]\n'
                             'target = "in_progress"\nroles = ["chair"]')
    assert changed != source
    path.write_text(changed, encoding="utf-8")
    after = _engine_on(eng, clock, workflows)
    v2 = after.registry.get("action").version
    assert v2 != v1

    new = open_case(after, OpenRequest("action", "Efter ändringen", group="socialnamnden", assignee="member"),
                    "chair")
    fire(after, new.id, "assign", "chair")
    assert get_case(after, old.id, "member")["allowed_triggers"] == ["start", "cancel"]
    assert get_case(after, new.id, "member")["allowed_triggers"] == ["cancel"]
    assert "begin" in get_case(after, new.id, "chair")["allowed_triggers"]

    # The old case keeps the old rules (the assignee may `start`), the new one the new.
    fire(after, old.id, "start", "member")
    with pytest.raises(TransitionNotAllowed, match="not a trigger of this workflow"):
        fire(after, new.id, "start", "member")
    fire(after, new.id, "begin", "chair")

    old_view, new_view = get_case(after, old.id, "chair"), get_case(after, new.id, "chair")
    assert (old_view["state"], old_view["definition_version"]) == ("in_progress", v1)
    assert (new_view["state"], new_view["definition_version"]) == ("in_progress", v2)
    with eng.db.read() as s:
        stored = set(s.exec(select(WorkflowDefinitionRow.version).where(WorkflowDefinitionRow.key == "action")))
    assert stored == {v1, v2}


def test_old_version_survives_a_restart_with_the_file_gone(eng: Engine, clock: FixedClock, tmp_path: Path) -> None:
    """A process that never saw the old file still fires old cases, from the stored source."""
    workflows = tmp_path / "workflows"
    shutil.copytree(ROOT / "workflows", workflows)
    before = _engine_on(eng, clock, workflows)
    old = open_case(before, OpenRequest("action", "Gammal", group="socialnamnden", assignee="member"), "chair")
    path = workflows / "action.toml"
    path.write_text(path.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    fresh = _engine_on(eng, clock, workflows)
    assert fresh.registry.get("action").version != old.definition_version
    fire(fresh, old.id, "assign", "chair")
    assert get_case(fresh, old.id, "chair")["definition_version"] == old.definition_version


def test_broken_workflow_file_stops_the_engine_from_starting(eng: Engine, clock: FixedClock,
                                                             tmp_path: Path) -> None:
    workflows = tmp_path / "workflows"
    shutil.copytree(ROOT / "workflows", workflows)
    path = workflows / "monthly_review.toml"
    path.write_text(path.read_text(encoding="utf-8").replace('target = "closed"', 'target = "klart"'),
                    encoding="utf-8")
    with pytest.raises(DefinitionError) as err:
        _engine_on(eng, clock, workflows)
    assert all(p[0] == str(path) for p in err.value.problems)
    assert any("unknown state 'klart'" in p[2] for p in err.value.problems)
