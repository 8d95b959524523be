"""A workflows folder holding a binary file, or a deadline of absurd length: `file: field: problem`, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.kernel.errors import DefinitionError
from engine.workflow.definition import MAX_DAYS, load_definitions
from samverkan.cli.main import main
from tests.unit.test_definitions import GOOD, ROLES, ROOT, problems

# A PNG's first bytes: 0x89 is not UTF-8.
BINARY = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01"


@pytest.mark.parametrize(("old", "new", "field"), [
    ("working_days = 5", "working_days = 99999999999", "states[0].deadline.working_days"),
    ("working_days = 5", f"days = {MAX_DAYS + 1}", "states[0].deadline.days"),
    ("working_days = 5", f"days = -{MAX_DAYS + 1}\nanchor = \"event\"", "states[0].deadline.days"),
    ("remind_before_days = [1]", "remind_before_days = [1, 99999999999]", "states[0].deadline.remind_before_days"),
    ("remind_before_days = [1]", "escalate_after_days = [1, 99999999999]", "states[0].deadline.escalate_after_days"),
])
def test_a_deadline_longer_than_ten_years_is_named(old: str, new: str, field: str) -> None:
    assert old in GOOD
    [(_, found, message)] = problems(GOOD.replace(old, new, 1))
    assert found == field
    assert message.startswith(f"at most {MAX_DAYS} days (ten years)")


def test_ten_years_is_still_a_deadline() -> None:
    from engine.workflow.definition import parse_definition
    d = parse_definition(GOOD.replace("working_days = 5", f"days = {MAX_DAYS}"), "workflows/mini.toml", ROLES)
    assert d.states["open"].deadline is not None
    assert d.states["open"].deadline.days == MAX_DAYS


def _folder_with(tmp_path: Path, name: str, content: bytes) -> Path:
    folder = tmp_path / "workflows"
    folder.mkdir()
    for path in (ROOT / "workflows").glob("*.toml"):
        (folder / path.name).write_bytes(path.read_bytes())
    (folder / name).write_bytes(content)
    return folder


def test_a_binary_file_in_the_folder_is_named_and_nothing_loads(tmp_path: Path) -> None:
    folder = _folder_with(tmp_path, "logo.toml", BINARY)
    with pytest.raises(DefinitionError) as err:
        load_definitions(folder.glob("*.toml"), ROLES)
    assert err.value.problems == [(str(folder / "logo.toml"), "(file)",
                                   "not UTF-8 text (byte 0); a workflow file is TOML written in UTF-8, so move "
                                   "any other file out of the folder")]


@pytest.mark.parametrize(("name", "content", "line"), [
    ("logo.toml", BINARY, "logo.toml: (file): not UTF-8 text (byte 0)"),
    ("action.toml", (ROOT / "workflows" / "action.toml").read_bytes().replace(
        b"working_days = 20", b"working_days = 99999999999", 1),
     f"action.toml: states[0].deadline.working_days: at most {MAX_DAYS} days"),
])
def test_workflows_check_says_file_field_problem_without_a_traceback(
        tmp_path: Path, name: str, content: bytes, line: str) -> None:
    folder = _folder_with(tmp_path, name, content)
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text(text.replace('workflows_dir = "workflows"', f'workflows_dir = "{folder}"'), encoding="utf-8")
    done = CliRunner().invoke(main, ["--config", str(config), "workflows", "check"])
    assert done.exit_code == 1
    assert done.exception is None or isinstance(done.exception, SystemExit)
    [message] = done.stderr.splitlines()
    assert message.startswith(f"{folder}/{line}")
