"""Two processes fire conflicting triggers on one case at the same moment, with the same
expected version: exactly one wins, the other gets Conflict, and the log stays contiguous."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from engine.cases.firing import fire
from engine.cases.views import get_case
from engine.runtime.engine import Engine
from engine.store.audit import verify_chain
from tests.conftest import T0
from tests.race_worker import fire_when_all_ready
from tests.support import SAMVERKAN, run_cli, write_config

pytestmark = pytest.mark.slow

ROUNDS = 20
# Both are allowed from `assigned`: the assignee starts the action while the owning group cancels it.
START = ("start", "member", None)
CANCEL = ("cancel", "official", "Behövs inte längre.")


@pytest.fixture
def workers(eng: Engine) -> Iterator[tuple[list[multiprocessing.Queue], multiprocessing.Queue]]:
    """Two spawned processes with an engine each on the test database, synchronised by a barrier."""
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    results: multiprocessing.Queue = ctx.Queue()
    queues = [ctx.Queue(), ctx.Queue()]
    procs = [ctx.Process(target=fire_when_all_ready, args=(eng.db.url, q, results, barrier), daemon=True)
             for q in queues]
    for p in procs:
        p.start()
    yield queues, results
    for q in queues:
        q.put(None)
    for p in procs:
        p.join(timeout=60)
        if p.is_alive():
            p.terminate()
    assert all(p.exitcode == 0 for p in procs)


def _assigned_action(eng: Engine, open_case: Callable[..., int]) -> int:
    case_id = open_case("action", assignee="member", title="Kapplöpning")
    fire(eng, case_id, "assign", "chair")
    assert get_case(eng, case_id, "chair")["version"] == 2
    return case_id


def _check_one_winner(eng: Engine, case_id: int, outcomes: list[tuple[str, str]]) -> str:
    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["conflict", "ok"], outcomes
    winner = next(detail for kind, detail in outcomes if kind == "ok")
    loser = next(detail for kind, detail in outcomes if kind == "conflict")
    assert f"Case {case_id} was changed by someone else" in loser
    assert "reload it and try again" in loser
    view = get_case(eng, case_id, "chair")
    assert view["state"] == {"start": "in_progress", "cancel": "cancelled"}[winner]
    assert view["version"] == 3
    assert [h["seq"] for h in view["history"]] == [1, 2, 3]
    assert view["history"][-1]["trigger"] == winner
    return winner


def test_conflicting_triggers_from_two_processes(eng: Engine, open_case: Callable[..., int],
                                                 workers: tuple[list[multiprocessing.Queue],
                                                                multiprocessing.Queue]) -> None:
    queues, results = workers
    winners = []
    for i in range(ROUNDS):
        case_id = _assigned_action(eng, open_case)
        now = (T0 + dt.timedelta(minutes=i + 1)).isoformat()
        # Alternate which process gets which trigger so neither side is favoured by start-up order.
        pair = (START, CANCEL) if i % 2 == 0 else (CANCEL, START)
        for q, (trigger, actor, comment) in zip(queues, pair, strict=True):
            q.put((case_id, trigger, actor, comment, 2, now))
        outcomes = [results.get(timeout=120) for _ in queues]
        winners.append(_check_one_winner(eng, case_id, outcomes))
    assert len(winners) == ROUNDS
    with eng.db.read() as s:
        audit = verify_chain(s, eng.audit_keys)
    assert audit.ok, audit
    assert audit.rows == ROUNDS * 3


def test_conflicting_triggers_through_the_cli(eng: Engine, open_case: Callable[..., int], tmp_path: Path) -> None:
    config = write_config(tmp_path, eng.db.url)
    for _ in range(2):
        case_id = _assigned_action(eng, open_case)
        # Both commands start together; each pays the same start-up cost before it fires.
        procs = [subprocess.Popen([str(SAMVERKAN), "--config", str(config), "case", "fire", str(case_id), trigger,
                                   "--as", actor, "--expected-version", "2", *(["--comment", c] if c else [])],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
                 for trigger, actor, c in (START, CANCEL)]
        outs = [(p, *p.communicate(timeout=120)) for p in procs]
        codes = sorted(p.returncode for p, _, _ in outs)
        assert codes == [0, 1], [err for _, _, err in outs]
        loser_err = next(err for p, _, err in outs if p.returncode == 1)
        assert "Traceback" not in loser_err
        assert len(loser_err.strip().splitlines()) == 1
        assert "was changed by someone else" in loser_err
        assert "reload it and try again" in loser_err
        view = get_case(eng, case_id, "chair")
        assert [h["seq"] for h in view["history"]] == [1, 2, 3]
    audit = run_cli(config, "audit", "verify")
    assert audit.returncode == 0, audit.stderr
