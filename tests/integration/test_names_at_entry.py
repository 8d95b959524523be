"""A name with a line break or another control character is refused wherever users come in: CLI and import."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.accounts.users import list_users
from engine.runtime.engine import Engine
from engine.store.db import Database
from engine.store.models import metadata
from engine.store.transfer import TransferError, export_to, import_from
from samverkan.cli.main import main
from tests.integration.test_cli_schedule import _config as _config_file


@pytest.mark.parametrize("name", ["Olle\r\nBcc: everyone@example.org", "Olle\nOlsson", "Olle\tOlsson",
                                  "Olle\x00", "Olle\x1b[31m", "Olle\u2028Olsson"])
def test_user_add_refuses_a_name_with_a_control_character(eng: Engine, tmp_path: Path, name: str) -> None:
    config = _config_file(tmp_path, str(eng.config.database_url))
    done = CliRunner().invoke(main, ["--config", str(config), "user", "add", "olle", "--name", name,
                                     "--email", "olle@example.org"])
    assert done.exit_code == 1
    assert done.stderr == ("error: A name is one line of text: remove line breaks, tabs and other control "
                           "characters.\n")
    with eng.db.read() as s:
        assert "olle" not in {u.username for u in list_users(s)}


def test_user_add_keeps_a_name_with_letters_from_any_language(eng: Engine, tmp_path: Path) -> None:
    config = _config_file(tmp_path, str(eng.config.database_url))
    done = CliRunner().invoke(main, ["--config", str(config), "user", "add", "aino", "--name", "Åsa-Aino Mäkelä Øst",
                                     "--email", "aino@example.org"])
    assert done.exit_code == 0, done.output
    with eng.db.read() as s:
        assert {u.username: u.name for u in list_users(s)}["aino"] == "Åsa-Aino Mäkelä Øst"


def test_import_names_the_line_of_a_user_whose_name_holds_a_line_break(eng: Engine, tmp_path: Path) -> None:
    out = io.StringIO()
    export_to(eng.db, out, eng.now())
    lines = out.getvalue().splitlines()
    number, row = next((i, json.loads(line)) for i, line in enumerate(lines, start=1)
                       if '"table":"users"' in line and '"username":"official"' in line)
    row["row"]["name"] = "Official\r\nBcc: everyone@example.org"
    lines[number - 1] = json.dumps(row)
    target = Database(f"sqlite:///{tmp_path / 'target.db'}")
    metadata.create_all(target.engine)
    with pytest.raises(TransferError) as err:
        import_from(target, iter(lines), eng.audit_keys)
    assert str(err.value) == (f"line {number}: users.name: A name is one line of text: remove line breaks, "
                              "tabs and other control characters.")
    with target.read() as s:
        assert list_users(s) == [], "a refused import left rows behind"
    target.dispose()
