"""A case keeps firing, and is shown, under the definition version it was opened with, after the file changes."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlmodel import select

from engine.accounts.tokens import create_token
from engine.cases.commands import OpenRequest, open_case
from engine.cases.firing import fire
from engine.cases.views import get_case
from engine.kernel.errors import DefinitionError, TransitionNotAllowed, ValidationError
from engine.runtime.engine import Engine
from engine.store.models import CaseRow, WorkflowDefinitionRow
from samverkan.bootstrap import build_engine
from samverkan.cli.main import main as cli
from tests.doubles import FixedClock
from tests.support import ROOT, write_config
from tests.web.conftest import Web
from web import create_app


def _engine_on(eng: Engine, clock: FixedClock, workflows: Path) -> Engine:
    return build_engine(replace(eng.config, workflows_dir=workflows), db=eng.db, clock=clock)


def _assigned_action(eng: Engine, clock: FixedClock, tmp_path: Path) -> tuple[Path, Engine, CaseRow]:
    """A copy of the workflow files, an engine on it, and an action assigned to `member` under it."""
    workflows = tmp_path / "workflows"
    shutil.copytree(ROOT / "workflows", workflows)
    before = _engine_on(eng, clock, workflows)
    old = open_case(before, OpenRequest("action", "Före ändringen", group="socialnamnden", assignee="member"),
                    "chair")
    fire(before, old.id, "assign", "chair")
    return workflows, before, old


def test_old_case_fires_under_its_version_after_the_file_changes(eng: Engine, clock: FixedClock,
                                                                 tmp_path: Path) -> None:
    workflows, before, old = _assigned_action(eng, clock, tmp_path)
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


# Between opening and finishing an action, the file renames two of its triggers, relabels them
# and a state, and lets the renamed `complete` go without a comment.
_RENAMED = (
    ('trigger = "start"\nlabel = { sv = "Påbörja", en = "Start" }',
     'trigger = "begin"\nlabel = { sv = "Sätt igång", en = "Get going" }'),
    ('trigger = "complete"\nlabel = { sv = "Markera som utförd", en = "Complete" }\nsource = ["in_progress"]\n'
     'target = "done"\nroles = ["assignee", "chair"]\ncomment = "required"',
     'trigger = "finish"\nlabel = { sv = "Slutför", en = "Finish" }\nsource = ["in_progress"]\n'
     'target = "done"\nroles = ["assignee", "chair"]\ncomment = "optional"'),
    ('key = "in_progress"\nlabel = { sv = "Pågår", en = "In progress" }',
     'key = "in_progress"\nlabel = { sv = "Under arbete", en = "Under way" }'),
)
_OLD_LABELS = {"complete": {"sv": "Markera som utförd", "en": "Complete"},
               "cancel": {"sv": "Avbryt ärendet", "en": "Cancel the case"}}


def _assert_old_version(view: dict[str, Any], version: str) -> None:
    """The case's JSON as the API and `case show --json` print it: everything from `version`."""
    assert view["definition_version"] == version
    assert view["allowed_triggers"] == ["complete", "cancel"]
    assert {a["trigger"]: a["label"] for a in view["actions"] if a["allowed"]} == _OLD_LABELS
    assert [a["comment_required"] for a in view["actions"]] == [True, True]
    assert [(h["trigger"], h["label"]) for h in view["history"]] == [
        ("@open", None), ("assign", {"sv": "Tilldela", "en": "Assign"}), ("start", {"sv": "Påbörja", "en": "Start"})]
    assert view["state_labels"][view["state"]] == {"sv": "Pågår", "en": "In progress"}


def test_an_old_case_keeps_its_versions_labels_and_comment_rule_after_triggers_are_renamed(
        eng: Engine, clock: FixedClock, tmp_path: Path) -> None:
    workflows, before, old = _assigned_action(eng, clock, tmp_path)
    fire(before, old.id, "start", "member")
    v1 = old.definition_version

    path = workflows / "action.toml"
    source = path.read_text(encoding="utf-8")
    for was, becomes in _RENAMED:
        assert was in source
        source = source.replace(was, becomes)
    path.write_text(source, encoding="utf-8")
    after = _engine_on(eng, clock, workflows)
    assert after.registry.get("action").version != v1
    new = open_case(after, OpenRequest("action", "Efter ändringen", group="socialnamnden", assignee="member"),
                    "chair")
    fire(after, new.id, "assign", "chair")
    fire(after, new.id, "begin", "member")

    # The engine's read model, the API's JSON and `case show --json` (the CLI in this process).
    _assert_old_version(dict(get_case(after, old.id, "member")), v1)
    app = create_app(after.config, engine=after, clock=clock, testing=True)
    with after.db.write() as s:
        _info, token = create_token(s, "member", "test", clock.now())
    api = app.test_client().get(f"/api/v1/cases/{old.id}", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200, api.get_data(as_text=True)
    _assert_old_version(api.get_json(), v1)
    config = write_config(tmp_path, after.config.database_url, workflows)
    shown = CliRunner().invoke(cli, ["--config", str(config), "case", "show", str(old.id), "--as", "member",
                                     "--json"])
    assert shown.exit_code == 0, shown.output
    _assert_old_version(json.loads(shown.stdout), v1)
    # The new case, beside it, is labelled from the new version.
    fresh = get_case(after, new.id, "member")
    assert [(a["trigger"], a["label"]["sv"], a["comment_required"]) for a in fresh["actions"]] == [
        ("finish", "Slutför", False), ("cancel", "Avbryt ärendet", True)]
    assert fresh["history"][-1]["label"] == {"sv": "Sätt igång", "en": "Get going"}

    # The page: the old button with its label and its comment field, the old history and state labels.
    web = Web(app.test_client(), after)
    web.login("member")
    page = web.text(f"/cases/{old.id}")
    assert ">Markera som utförd</button>" in page
    assert '<textarea id="comment-complete" name="comment" rows="3" required' in page
    assert "Member påbörjade <span class=\"muted\">(Pågår)</span>" in page  # told as the old version tells it
    assert "<strong>Pågår</strong>" in page
    assert [s for s in (">complete</button>", "Slutför", "Sätt igång", "Under arbete") if s in page] == []

    # The old comment rule holds: `complete` without a comment is refused, on the page and in the engine.
    refused = web.post(f"/cases/{old.id}/fire", {"trigger": "complete", "comment": "",
                                                 "expected_version": get_case(after, old.id, "member")["version"]})
    assert refused.status_code == 400
    assert 'id="comment-complete-error"' in refused.get_data(as_text=True)
    with pytest.raises(ValidationError) as err:
        fire(after, old.id, "complete", "member")
    assert err.value.code == "comment_required"
    fire(after, old.id, "complete", "member", comment="Klart.")
    done = get_case(after, old.id, "member")
    assert (done["state"], done["history"][-1]["label"]) == ("done", _OLD_LABELS["complete"])
    assert "Member markerade ärendet som utfört" in web.text(f"/cases/{old.id}")
