"""The audit keys live outside the database: made once in var/audit_keys, or given in the environment."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from engine.kernel.errors import ConfigError
from engine.store.audit_keys import ENV, key_file, key_id, load_keys, parse_keys, rotate

NOW = dt.datetime(2027, 2, 10, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def config_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv(ENV, raising=False)
    return tmp_path / "config.toml"


def test_the_key_file_is_made_once_private_and_kept(config_path: Path) -> None:
    first = load_keys(config_path)
    assert load_keys(config_path).current == first.current
    assert len(first.ids) == 1
    assert key_file(config_path).stat().st_mode & 0o077 == 0


def test_rotation_adds_a_signing_key_and_keeps_the_old_ones(config_path: Path) -> None:
    old = load_keys(config_path).current
    new = rotate(config_path, NOW)
    keys = load_keys(config_path)
    assert (keys.ids, keys.current) == ((old, new), new)
    assert f"# added {NOW.isoformat()}" in key_file(config_path).read_text()
    assert key_file(config_path).stat().st_mode & 0o077 == 0


def test_keys_in_the_environment_win_and_the_last_one_signs(config_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, f"{'aa' * 32}, {'bb' * 32}")
    keys = load_keys(config_path)
    assert keys.ids == (key_id(bytes.fromhex("aa" * 32)), key_id(bytes.fromhex("bb" * 32)))
    assert keys.current == keys.ids[1]
    assert not key_file(config_path).exists(), "no file is made when the environment holds the keys"
    with pytest.raises(ConfigError, match=f"^{ENV}: audit keys: the keys come from this variable"):
        rotate(config_path, NOW)


@pytest.mark.parametrize(("text", "problem"), [
    ("zz" * 32, "audit key 1: is not hexadecimal"),
    (f"{'aa' * 32}\n{'ab' * 8}", "audit key 2: is 8 bytes; a key needs at least 16"),
    ("# only a comment\n", "audit keys: holds no key"),
])
def test_a_broken_key_list_is_named(text: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=f"^var/audit_keys: {problem}"):
        parse_keys(text, "var/audit_keys")


def test_a_key_signs_the_same_body_alike_and_another_key_differently() -> None:
    one, other = parse_keys("11" * 32, "a"), parse_keys("22" * 32, "b")
    assert one.sign(one.current, b"body") == parse_keys("11" * 32, "c").sign(one.current, b"body")
    assert one.sign(one.current, b"body") != other.sign(other.current, b"body")
    assert not one.knows(other.current)
