"""The signed log: an intact history verifies; any edit of a row, of a chain or of a case behind it is caught."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text, update

from engine.cases.commands import OpenRequest, assign
from engine.cases.commands import open_case as open_case_in
from engine.cases.firing import fire
from engine.config.load import load_config
from engine.runtime.engine import Engine
from engine.store.audit import AuditResult, re_sign, verify_chain
from engine.store.audit_keys import ENV, key_file, key_id
from engine.store.models import Group, TransitionLog, User
from samverkan.bootstrap import build_engine
from samverkan.cli.main import main
from tests.integration.forgery import ATTACKER_KEY, HOW, forge
from tests.support import run_cli, write_config


def _walk(eng: Engine, open_case: Callable[..., int], **fields: Any) -> int:
    case_id = open_case("action", assignee="member", **fields)
    fire(eng, case_id, "assign", "official")
    fire(eng, case_id, "start", "member")
    fire(eng, case_id, "complete", "member", comment="Klottret sanerat.")
    return case_id  # log: @open, assign, start, complete


def _tamper(eng: Engine, sql: str, **params: object) -> None:
    with eng.db.engine.begin() as conn:
        assert conn.execute(text(sql), params).rowcount == 1


def test_intact_chains_verify(eng: Engine, open_case: Callable[..., int]) -> None:
    _walk(eng, open_case)
    other = open_case("acute_matter", group="polisen")
    assign(eng, other, "police", user="police")
    with eng.db.read() as s:
        result = verify_chain(s, eng.audit_keys)
    assert (result.ok, result.cases, result.rows) == (True, 2, 6)


def test_changed_comment_is_caught_with_case_and_seq(eng: Engine, open_case: Callable[..., int]) -> None:
    open_case("action")  # an untouched case before it must not be blamed
    case_id = _walk(eng, open_case)
    _tamper(eng, "UPDATE transition_log SET comment = 'Inget gjort.' WHERE case_id = :c AND seq = 4", c=case_id)
    with eng.db.read() as s:
        result = verify_chain(s, eng.audit_keys)
    assert not result.ok
    assert (result.case_id, result.seq) == (case_id, 4)
    assert "changed after it was written" in (result.problem or "")


def test_changed_target_state_is_caught(eng: Engine, open_case: Callable[..., int]) -> None:
    case_id = _walk(eng, open_case)
    _tamper(eng, "UPDATE transition_log SET to_state = 'verified' WHERE case_id = :c AND seq = 2", c=case_id)
    with eng.db.read() as s:
        result = verify_chain(s, eng.audit_keys)
    assert (result.ok, result.case_id, result.seq) == (False, case_id, 2)


def test_rewritten_row_with_a_fresh_hash_breaks_the_next_link(eng: Engine, open_case: Callable[..., int]) -> None:
    case_id = _walk(eng, open_case)
    _tamper(eng, "UPDATE transition_log SET actor = 'chair', hash = :h WHERE case_id = :c AND seq = 2",
            c=case_id, h="f" * 64)
    with eng.db.read() as s:
        result = verify_chain(s, eng.audit_keys)
    assert (result.ok, result.case_id, result.seq) == (False, case_id, 2)


def test_deleted_row_is_caught_as_a_gap(eng: Engine, open_case: Callable[..., int]) -> None:
    case_id = _walk(eng, open_case)
    _tamper(eng, "DELETE FROM transition_log WHERE case_id = :c AND seq = 3", c=case_id)
    with eng.db.read() as s:
        result = verify_chain(s, eng.audit_keys)
    assert (result.ok, result.case_id, result.seq) == (False, case_id, 4)
    assert "sequence jumps" in (result.problem or "")


def test_case_state_edited_behind_the_log_is_caught(eng: Engine, open_case: Callable[..., int]) -> None:
    case_id = _walk(eng, open_case)
    _tamper(eng, "UPDATE cases SET state = 'verified' WHERE id = :c", c=case_id)
    with eng.db.read() as s:
        result = verify_chain(s, eng.audit_keys)
    assert (result.ok, result.case_id, result.seq) == (False, case_id, 4)


@pytest.mark.slow
def test_cli_audit_verify_exits_1_naming_case_and_seq(eng: Engine, open_case: Callable[..., int],
                                                      tmp_path: Path) -> None:
    case_id = _walk(eng, open_case)
    config = write_config(tmp_path, eng.db.url)
    ok = run_cli(config, "audit", "verify")
    assert ok.returncode == 0, ok.stderr
    assert "every chain intact" in ok.stdout
    _tamper(eng, "UPDATE transition_log SET comment = 'x' WHERE case_id = :c AND seq = 4", c=case_id)
    bad = run_cli(config, "audit", "verify")
    assert bad.returncode == 1
    assert bad.stderr.strip().splitlines() == [
        f"Audit FAILED: case {case_id} seq 4: content does not match its hash (changed after it was written)."]


def _log(eng: Engine, case_id: int) -> list[dict[str, Any]]:
    table = TransitionLog.__table__  # type: ignore[attr-defined]
    with eng.db.engine.connect() as conn:
        rows = conn.execute(select(table).where(table.c.case_id == case_id).order_by(table.c.seq))
        return [dict(r._mapping) for r in rows]


def _rewrite(eng: Engine, rows: list[dict[str, Any]]) -> None:
    table = TransitionLog.__table__  # type: ignore[attr-defined]
    with eng.db.engine.begin() as conn:
        for r in rows:
            conn.execute(update(table).where(table.c.id == r["id"]).values(
                {k: v for k, v in r.items() if k != "id"}))


def _verify(eng: Engine) -> AuditResult:
    with eng.db.read() as s:
        return verify_chain(s, eng.audit_keys)


@pytest.mark.parametrize("how", HOW)
def test_a_rewritten_row_with_a_recomputed_chain_and_a_flipped_case_is_caught(
        eng: Engine, open_case: Callable[..., int], how: str) -> None:
    case_id = _walk(eng, open_case, confidential=True)
    rows = _log(eng, case_id)
    rows[3]["comment"] = "Inget att åtgärda."
    for r in rows:
        r["confidential"] = False
    forge(rows, how)
    _rewrite(eng, rows)
    _tamper(eng, "UPDATE cases SET confidential = :f WHERE id = :c", c=case_id, f=False)
    result = _verify(eng)
    assert (result.ok, result.case_id, result.seq) == (False, case_id, 1)
    assert {"unkeyed": "before the log was signed with a key", "guessed": "changed after it was written",
            "own": f"signed with key {key_id(ATTACKER_KEY)}, which this deployment does not hold"}[how] \
        in (result.problem or "")


@pytest.mark.parametrize(("sql", "said"), [
    ("UPDATE cases SET confidential = :f WHERE id = :c", "confidential False where its log says True"),
    ("UPDATE cases SET assignee_id = NULL WHERE id = :c", "assignee_id None where its log says"),
    ("UPDATE cases SET group_id = (SELECT id FROM groups WHERE key = 'polisen') WHERE id = :c", "group_id"),
    ("UPDATE cases SET version = 7 WHERE id = :c", "version 7 where its log says 4"),
    ("UPDATE cases SET state = 'verified' WHERE id = :c", "state 'verified' where its log says 'done'"),
])
def test_a_case_row_changed_behind_its_log_is_caught(eng: Engine, open_case: Callable[..., int], sql: str,
                                                     said: str) -> None:
    case_id = _walk(eng, open_case, confidential=True)
    _tamper(eng, sql, c=case_id, f=False)
    result = _verify(eng)
    assert (result.ok, result.case_id, result.seq, result.in_case_row) == (False, case_id, 4, True)
    assert said in (result.problem or "")


def test_every_row_records_the_case_as_it_left_it(eng: Engine, open_case: Callable[..., int]) -> None:
    case_id = open_case("action", confidential=True, assignee="member")
    assign(eng, case_id, "chair", group="polisen")
    with eng.db.read() as s:
        groups = dict(s.execute(select(Group.key, Group.id)).all())
        member = s.execute(select(User.id).where(User.username == "member")).scalar_one()
    assert [(r["trigger"], r["assignee_id"], r["group_id"], r["confidential"], r["key_id"])
            for r in _log(eng, case_id)] == [
        ("@open", member, groups["socialnamnden"], True, eng.audit_keys.current),
        ("@assign", None, groups["polisen"], True, eng.audit_keys.current)]


def test_re_sign_checks_unkeyed_rows_of_an_upgraded_database_then_signs_them(
        eng: Engine, open_case: Callable[..., int]) -> None:
    case_id = _walk(eng, open_case, confidential=True)
    rows = _log(eng, case_id)
    for r in rows:  # as the migration leaves rows written before the keys
        r.update(assignee_id=None, group_id=None, confidential=None)
    forge(rows, "unkeyed")
    _rewrite(eng, rows)
    assert "run `samverkan audit re-sign`" in (_verify(eng).problem or "")
    with eng.db.write() as s:
        done = re_sign(s, eng.audit_keys)
    assert (done.ok, done.rows, done.unchecked) == (True, 4, frozenset({"none"}))
    assert _verify(eng).ok
    last = _log(eng, case_id)[-1]
    assert (last["key_id"], last["confidential"]) == (eng.audit_keys.current, True)


def test_re_sign_refuses_an_unkeyed_chain_that_was_changed(eng: Engine, open_case: Callable[..., int]) -> None:
    case_id = _walk(eng, open_case)
    rows = _log(eng, case_id)
    forge(rows, "unkeyed")
    rows[1]["actor"] = "chair"  # after the hash was made
    _rewrite(eng, rows)
    with eng.db.write() as s:
        done = re_sign(s, eng.audit_keys)
    assert (done.ok, done.case_id, done.seq) == (False, case_id, 2)
    assert [r["key_id"] for r in _log(eng, case_id)] == [None] * 4, "nothing was re-signed"


def test_rotated_key_signs_new_rows_and_old_rows_still_verify(eng: Engine, open_case: Callable[..., int],
                                                              tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV)
    config = load_config(write_config(tmp_path, eng.db.url))
    first = build_engine(config, clock=eng.clock)
    case_id = _walk(first, lambda workflow, **kw: open_as_chair(first, workflow, **kw))
    old = first.audit_keys.current
    runner = CliRunner()
    done = runner.invoke(main, ["--config", str(config.path), "audit", "rotate-key"])
    assert done.exit_code == 0, done.output
    second = build_engine(config, clock=eng.clock)  # a process started after the rotation
    new = second.audit_keys.current
    assert new != old
    assert f"New audit key {new}" in done.output
    fire(second, case_id, "verify", "official")
    assert [r["key_id"] for r in _log(second, case_id)] == [old] * 4 + [new]
    done = runner.invoke(main, ["--config", str(config.path), "audit", "verify"])
    assert done.exit_code == 0, done.output
    # Without the old key the rows it signed cannot be verified, and the audit says which key is missing.
    keys = key_file(config.path)
    keys.write_text(keys.read_text().split("# added", 1)[1].split("\n", 1)[1])
    done = runner.invoke(main, ["--config", str(config.path), "audit", "verify"])
    assert done.exit_code == 1
    assert f"case {case_id} seq 1: is signed with key {old}, which this deployment does not hold" in done.output
    first.db.dispose()
    second.db.dispose()


def open_as_chair(eng: Engine, workflow: str, **fields: Any) -> int:
    """Open a case of `socialnamnden` through `eng` (and so signed with its keys)."""
    row = open_case_in(eng, OpenRequest(workflow, "Test case", group="socialnamnden", **fields), "chair")
    assert row.id is not None
    return row.id
