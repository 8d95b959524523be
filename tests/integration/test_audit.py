"""The hash-chained log: an intact history verifies; any edit of a stored row is caught."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text

from engine.cases.commands import assign
from engine.cases.firing import fire
from engine.runtime.engine import Engine
from engine.store.audit import verify_chain
from tests.support import run_cli, write_config


def _walk(eng: Engine, open_case: Callable[..., int]) -> int:
    case_id = open_case("action", assignee="member")
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
        result = verify_chain(s)
    assert (result.ok, result.cases, result.rows) == (True, 2, 6)


def test_changed_comment_is_caught_with_case_and_seq(eng: Engine, open_case: Callable[..., int]) -> None:
    open_case("action")  # an untouched case before it must not be blamed
    case_id = _walk(eng, open_case)
    _tamper(eng, "UPDATE transition_log SET comment = 'Inget gjort.' WHERE case_id = :c AND seq = 4", c=case_id)
    with eng.db.read() as s:
        result = verify_chain(s)
    assert not result.ok
    assert (result.case_id, result.seq) == (case_id, 4)
    assert "changed after it was written" in (result.problem or "")


def test_changed_target_state_is_caught(eng: Engine, open_case: Callable[..., int]) -> None:
    case_id = _walk(eng, open_case)
    _tamper(eng, "UPDATE transition_log SET to_state = 'verified' WHERE case_id = :c AND seq = 2", c=case_id)
    with eng.db.read() as s:
        result = verify_chain(s)
    assert (result.ok, result.case_id, result.seq) == (False, case_id, 2)


def test_rewritten_row_with_a_fresh_hash_breaks_the_next_link(eng: Engine, open_case: Callable[..., int]) -> None:
    case_id = _walk(eng, open_case)
    _tamper(eng, "UPDATE transition_log SET actor = 'chair', hash = :h WHERE case_id = :c AND seq = 2",
            c=case_id, h="f" * 64)
    with eng.db.read() as s:
        result = verify_chain(s)
    assert (result.ok, result.case_id, result.seq) == (False, case_id, 2)


def test_deleted_row_is_caught_as_a_gap(eng: Engine, open_case: Callable[..., int]) -> None:
    case_id = _walk(eng, open_case)
    _tamper(eng, "DELETE FROM transition_log WHERE case_id = :c AND seq = 3", c=case_id)
    with eng.db.read() as s:
        result = verify_chain(s)
    assert (result.ok, result.case_id, result.seq) == (False, case_id, 4)
    assert "sequence jumps" in (result.problem or "")


def test_case_state_edited_behind_the_log_is_caught(eng: Engine, open_case: Callable[..., int]) -> None:
    case_id = _walk(eng, open_case)
    _tamper(eng, "UPDATE cases SET state = 'verified' WHERE id = :c", c=case_id)
    with eng.db.read() as s:
        result = verify_chain(s)
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
