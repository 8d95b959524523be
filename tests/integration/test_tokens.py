"""Personal API tokens: shown once, stored hashed, acting with the owner's rights, revocable."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlmodel import select

from engine.accounts.tokens import authenticate, create_token, hash_token, list_tokens, revoke_token
from engine.accounts.users import actor_for
from engine.kernel.errors import Forbidden, ValidationError
from engine.runtime.engine import Engine
from engine.store.models import ApiToken
from samverkan.cli.main import main


def _make(eng: Engine, username: str = "official") -> tuple[int, str]:
    with eng.db.write() as s:
        info, token = create_token(s, username, "Ärendesystemet", eng.now())
    return info.id, token


def test_a_token_acts_as_its_owner_and_only_its_hash_is_stored(eng: Engine) -> None:
    token_id, token = _make(eng)
    with eng.db.write() as s:
        stored = s.exec(select(ApiToken.token_hash)).one()
        actor = authenticate(s, token, eng.now())
    assert stored == hash_token(token) != token
    assert actor is not None
    assert actor.username == "official"
    assert actor.roles == frozenset({"official"})
    with eng.db.read() as s:
        assert list_tokens(s, "official")[0].last_used_at == eng.now()
        assert list_tokens(s, "official")[0].id == token_id


@pytest.mark.parametrize("bad", ["", "smv_", "smv_guess", "Bearer xyz"])
def test_unknown_tokens_are_refused(eng: Engine, bad: str) -> None:
    _make(eng)
    with eng.db.write() as s:
        assert authenticate(s, bad, eng.now()) is None


def test_a_revoked_token_or_a_disabled_owner_stops_working(eng: Engine) -> None:
    token_id, token = _make(eng)
    with eng.db.write() as s:
        revoke_token(s, token_id, eng.now())
    with eng.db.write() as s:
        assert authenticate(s, token, eng.now()) is None
    _, other = _make(eng, "member")
    from engine.store.models import User
    with eng.db.write() as s:
        user = s.exec(select(User).where(User.username == "member")).one()
        user.disabled = True
        s.add(user)
    with eng.db.write() as s:
        assert authenticate(s, other, eng.now()) is None


def test_only_the_owner_or_an_admin_may_revoke(eng: Engine) -> None:
    token_id, _ = _make(eng)
    with eng.db.write() as s, pytest.raises(Forbidden, match="owner or an administrator"):
        revoke_token(s, token_id, eng.now(), by=actor_for(s, "member"))
    with eng.db.write() as s:
        assert revoke_token(s, token_id, eng.now(), by=actor_for(s, "admin")).revoked_at == eng.now()


def test_a_token_needs_a_name(eng: Engine) -> None:
    with eng.db.write() as s, pytest.raises(ValidationError) as err:
        create_token(s, "official", "  ", eng.now())
    assert err.value.field == "name"


def test_cli_creates_lists_and_revokes(eng: Engine, tmp_path: Path) -> None:
    from tests.integration.test_transfer import _config_file

    cfg = str(_config_file(tmp_path, eng.config.database_url))
    runner = CliRunner()
    made = runner.invoke(main, ["--config", cfg, "token", "create", "official", "--name", "GIS"])
    assert made.exit_code == 0, made.output
    token = made.stdout.strip().splitlines()[0]
    assert token.startswith("smv_")
    listed = runner.invoke(main, ["--config", cfg, "token", "list", "official"])
    assert "GIS\tactive" in listed.output
    assert token not in listed.output
    token_id = listed.output.split("\t")[0]
    assert runner.invoke(main, ["--config", cfg, "token", "revoke", token_id]).exit_code == 0
    with eng.db.write() as s:
        assert authenticate(s, token, eng.now()) is None
    missing = runner.invoke(main, ["--config", cfg, "token", "create", "nobody"])
    assert missing.exit_code == 1
    assert "No user 'nobody'" in missing.output
