"""A database from before the keyed log: the migration keeps its rows, `audit re-sign` checks and signs them once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from click.testing import CliRunner
from sqlalchemy import select, update

from engine.accounts.users import add_user
from engine.cases.commands import OpenRequest, open_case
from engine.cases.firing import fire
from engine.cases.periods import sync_from_config
from engine.config.load import load_config
from engine.store.models import TransitionLog
from engine.store.schema import alembic_config, upgrade
from samverkan.bootstrap import build_engine
from samverkan.cli.main import main
from tests.conftest import T0
from tests.doubles import FixedClock
from tests.integration.forgery import forge
from tests.support import write_config

_LOG = TransitionLog.__table__  # type: ignore[attr-defined]



def _as_before_the_keys(conn: Any) -> None:
    """Rewrite every chain as the engine wrote it before: SHA-256 without a key, no case fields."""
    old = [c for c in _LOG.columns if c.name not in ("key_id", "assignee_id", "group_id", "confidential")]
    rows = [dict(r._mapping) for r in conn.execute(select(*old).order_by(_LOG.c.case_id, _LOG.c.seq))]
    for case_id in {r["case_id"] for r in rows}:
        forge([r for r in rows if r["case_id"] == case_id], "unkeyed")
    for r in rows:
        conn.execute(update(_LOG).where(_LOG.c.id == r["id"]).values(prev_hash=r["prev_hash"], hash=r["hash"]))


def test_an_upgraded_log_is_re_signed_once_and_then_verifies(empty_url: str, tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, empty_url))
    eng = build_engine(config, clock=FixedClock(T0))
    upgrade(eng.db)
    with eng.db.write() as s:
        sync_from_config(s, config, T0)
        add_user(s, config, "police", name="Polis", email="polis@example.org", now=T0, roles=[("police", "polisen")])
    case = open_case(eng, OpenRequest("acute_matter", "Hot", group="polisen", confidential=True), "police")
    fire(eng, case.id or 0, "reject", "police", comment="Ingen åtgärd.")
    command.downgrade(alembic_config(eng.db), "0002_web")  # the schema before the keys: the new columns go
    with eng.db.engine.begin() as conn:
        _as_before_the_keys(conn)
    upgrade(eng.db)
    runner = CliRunner()
    args = ["--config", str(config.path), "audit"]
    before = runner.invoke(main, [*args, "verify"])
    assert before.exit_code == 1
    assert "written before the log was signed with a key; run `samverkan audit re-sign` once" in before.output
    signed = runner.invoke(main, [*args, "re-sign"])
    assert signed.exit_code == 0, signed.output
    assert f"Re-signed 2 log row(s) of 1 case(s) with key {eng.audit_keys.current}." in signed.output
    after = runner.invoke(main, [*args, "verify"])
    assert after.exit_code == 0, after.output
    with eng.db.read() as s:
        last = s.execute(select(_LOG.c.confidential, _LOG.c.key_id).where(_LOG.c.seq == 2)).one()
    assert tuple(last) == (True, eng.audit_keys.current)
    eng.db.dispose()
