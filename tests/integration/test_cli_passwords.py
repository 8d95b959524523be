"""Setting a password from the command line: a weak one is refused saying why, in the deployment's language."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.accounts.auth import log_in
from engine.runtime.engine import Engine
from samverkan.cli.main import main
from tests.support import write_config


@pytest.fixture
def config_file(eng: Engine, tmp_path: Path) -> Path:
    """The shipped config.toml (language "sv") pointed at the test database."""
    return write_config(tmp_path, eng.config.database_url)


def _run(config_file: Path, *args: str, password: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--config", str(config_file), *args], input=password + "\n")
    return result.exit_code, result.stdout, result.stderr


def test_user_add_refuses_a_common_password_in_swedish(config_file: Path) -> None:
    code, _out, err = _run(config_file, "user", "add", "karin", "--name", "Karin Lund", "--email", "k@hoor.se",
                           "--password-stdin", password="password1234")
    assert code == 1
    assert err.strip() == "error: Lösenordet finns i en lista över de vanligaste lösenorden; välj ett annat."


def test_user_password_sets_a_strong_one_and_refuses_a_short_one(config_file: Path, eng: Engine) -> None:
    code, _out, err = _run(config_file, "user", "password", "official", "--password-stdin", password="kort")
    assert (code, err.splitlines()[0]) == (1, "error: Ett lösenord behöver minst 12 tecken; några ord som inte hör "
                                              "ihop blir ett långt lösenord som är lätt att komma ihåg.")
    code, out, _err = _run(config_file, "user", "password", "official", "--password-stdin",
                           password="lingon-och-regn-i-höör")
    assert code == 0, _err
    assert "official" in out
    person, _nonce = log_in(eng, "official", "lingon-och-regn-i-höör", "127.0.0.1", eng.now())
    assert person.username == "official"
