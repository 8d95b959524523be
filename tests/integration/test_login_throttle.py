"""The log-in throttle under parallel guesses: every web worker counts in one place, one try at a time."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from argon2 import PasswordHasher

from engine.accounts.auth import LoginRefused, log_in
from engine.accounts.throttle import FREE_FAILURES
from engine.runtime.engine import Engine


@pytest.fixture(autouse=True)
def _cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Argon2 with minimal cost (the same code path); the dummy hash is made with it and forgotten after."""
    import engine.accounts.users
    monkeypatch.setattr(engine.accounts.users, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    engine.accounts.users._dummy_hash.cache_clear()
    yield
    engine.accounts.users._dummy_hash.cache_clear()


def _try(eng: Engine, address: str) -> str:
    try:
        log_in(eng, "chair", "wrong-password-x", address, eng.now())
    except LoginRefused as exc:
        return exc.reason
    return "in"


def test_parallel_guesses_from_one_address_get_only_the_free_tries(eng: Engine) -> None:
    """Twelve workers guessing at once: the first few are checked, every later one waits."""
    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(lambda _: _try(eng, "203.0.113.66"), range(12)))
    assert outcomes.count("invalid") == FREE_FAILURES + 1
    assert outcomes.count("throttled") == 12 - FREE_FAILURES - 1
    # Another address for the same account is untouched by all of it.
    assert _try(eng, "198.51.100.20") == "invalid"
