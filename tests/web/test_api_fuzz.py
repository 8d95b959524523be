"""A bounded fuzz run: schemathesis sends what the served OpenAPI document allows, and what it does not.

Every answer must be a 2xx or a 4xx problem: a 5xx means some input reached code that
did not expect it. Bounded (a few dozen examples per operation and mode) so that it runs
with the rest of the suite in seconds, not as a separate campaign.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from engine.accounts.tokens import create_token
from web import create_app

# Per operation and mode; SAMVERKAN_FUZZ_EXAMPLES=500 makes a deeper run by hand.
EXAMPLES = int(os.environ.get("SAMVERKAN_FUZZ_EXAMPLES", "10"))


@pytest.fixture
def fuzzed_app(eng: Any, clock: Any) -> Any:
    """The app without the API rate limit: the fuzzer would otherwise mostly meet 429."""
    return create_app(eng.config, engine=eng, clock=clock, testing=True, overrides={"API_RATE_LIMIT": 0})


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
def test_no_request_gets_a_server_error(fuzzed_app: Any, eng: Any, clock: Any, mode: GenerationMode) -> None:
    with eng.db.write() as s:
        _info, token = create_token(s, "chair", "fuzz", clock.now())
    auth = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzzed_app)  # the document as served
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8

    for operation in operations:
        @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def send(case: schemathesis.Case) -> None:
            response = case.call(headers=auth)
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path} query={case.query} body={case.body!r}: {response.text}")
            if response.status_code >= 400:
                assert response.headers["content-type"] == ["application/problem+json"]

        send()
