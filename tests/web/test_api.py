"""The JSON API: auth, every endpoint, problems (401/403/404/409/422/429), and its OpenAPI document."""

from __future__ import annotations

import os
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.accounts.tokens import create_token, revoke_token
from engine.runtime.engine import Engine
from web import create_app

PROBLEM = "application/problem+json"


@pytest.fixture
def make_token(eng: Engine, clock: Any) -> Any:
    """Factory: a fresh personal API token of `username`."""
    def make(username: str = "official") -> str:
        with eng.db.write() as s:
            _info, token = create_token(s, username, "test", clock.now())
        return token
    return make


class Api:
    """Calls the API with one token, like another system would."""

    def __init__(self, client: FlaskClient, token: str | None) -> None:
        self.client, self.token = client, token

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def get(self, url: str, **kw: Any) -> Any:
        return self.client.get(f"/api/v1{url}", headers=self._headers(), **kw)

    def post(self, url: str, body: Any = None, **kw: Any) -> Any:
        return self.client.post(f"/api/v1{url}", json=body, headers=self._headers(), **kw)


@pytest.fixture
def api(client: FlaskClient, make_token: Any) -> Any:
    """Factory: an API caller acting as `username`."""
    return lambda username="official": Api(client, make_token(username))


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json(force=True)
    assert body["status"] == status
    assert body["detail"]
    assert "Traceback" not in body["detail"]
    return body  # type: ignore[no-any-return]


# --- authentication ---------------------------------------------------------------------------

@pytest.mark.parametrize(("method", "url"), [
    ("get", "/cases"), ("get", "/cases/1"), ("post", "/cases"), ("post", "/cases/1/fire"),
    ("post", "/cases/1/assign"), ("post", "/cases/1/comments"), ("get", "/agreement"), ("get", "/workflows"),
    ("get", "/workflows/action"),
])
def test_every_endpoint_but_the_document_needs_authentication(client, method, url):
    response = getattr(client, method)(f"/api/v1{url}", json={})
    body = _problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Bearer" in body["detail"]


@pytest.mark.parametrize("header", ["Bearer smv_not-a-real-token", "Bearer ", "Basic dXNlcjpwYXNz", "smv_x"])
def test_unknown_or_malformed_tokens_are_refused(client, header):
    _problem(client.get("/api/v1/cases", headers={"Authorization": header}), 401)


def test_a_revoked_token_stops_working(eng, clock, client):
    with eng.db.write() as s:
        info, token = create_token(s, "official", "test", clock.now())
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/cases", headers=headers).status_code == 200
    with eng.db.write() as s:
        revoke_token(s, info.id, clock.now())
    _problem(client.get("/api/v1/cases", headers=headers), 401)


def test_the_browser_session_reads_and_must_send_the_csrf_header_to_write(web, open_case):
    case_id = open_case()
    web.login("official")
    assert web.client.get(f"/api/v1/cases/{case_id}").get_json()["id"] == case_id
    refused = web.client.post(f"/api/v1/cases/{case_id}/comments", json={"body": "from the page"})
    assert _problem(refused, 403)["type"] == "urn:samverkan:problem:csrf"
    done = web.client.post(f"/api/v1/cases/{case_id}/comments", json={"body": "from the page"},
                           headers={"X-CSRFToken": web.token()})
    assert done.status_code == 201
    assert done.get_json()["author"] == "official"


def test_a_token_request_needs_no_csrf_token(api, open_case):
    case_id = open_case()
    assert api().post(f"/cases/{case_id}/comments", {"body": "from another system"}).status_code == 201


# --- cases --------------------------------------------------------------------------------------

def test_list_a_queue_page_by_page_with_cursors(api, open_case):
    ids = [open_case(title=f"Case {n}", assignee="official") for n in range(5)]
    caller = api()
    seen, cursor, pages = [], None, 0
    while True:
        page = caller.get("/cases", query_string={"queue": "mine", "limit": 2, **({"cursor": cursor} if cursor
                                                                                     else {})}).get_json()
        seen += [c["id"] for c in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(ids)
    assert len(seen) == len(set(seen))
    assert pages == 3


def test_list_filters_by_workflow_and_rejects_unknown_filters_naming_them(api, open_case):
    action = open_case(assignee="official")
    caller = api()
    items = caller.get("/cases", query_string={"queue": "all", "workflow": "action"}).get_json()["items"]
    assert [c["id"] for c in items] == [action]
    assert caller.get("/cases", query_string={"queue": "all", "workflow": "acute_matter"}).get_json()["items"] == []
    assert _problem(caller.get("/cases?queue=nonsense"), 422)["field"] == "queue"
    assert _problem(caller.get("/cases?workflow=nonsense"), 422)["field"] == "workflow"
    assert _problem(caller.get("/cases?due_before=tomorrow"), 422)["field"] == "due_before"
    assert _problem(caller.get("/cases?limit=0"), 422)["field"] == "limit"
    assert _problem(caller.get("/cases?cursor=garbage"), 422)["field"] == "cursor"
    assert _problem(caller.get("/cases?group=nonsense"), 422)["field"] == "group"


def test_get_a_case_with_history_and_allowed_triggers(api, open_case):
    case_id = open_case()
    body = api("chair").get(f"/cases/{case_id}").get_json()
    assert body["id"] == case_id
    assert body["state"] == "open"
    assert body["history"][0]["trigger"] == "@open"
    assert "cancel" in body["allowed_triggers"]


def test_confidential_cases_are_not_found_for_outsiders(api, open_case):
    case_id = open_case(confidential=True)
    assert _problem(api("outsider").get(f"/cases/{case_id}"), 404)
    assert api("official").get(f"/cases/{case_id}").status_code == 200
    assert case_id not in [c["id"] for c in api("outsider").get("/cases?queue=all").get_json()["items"]]


def test_unknown_case_and_unknown_address_are_404_problems(api):
    caller = api()
    _problem(caller.get("/cases/999999"), 404)
    _problem(caller.get("/nothing-here"), 404)
    _problem(caller.client.delete("/api/v1/cases", headers=caller._headers()), 405)


def test_open_a_case(api):
    response = api().post("/cases", {"workflow": "action", "title": "Fix the lights in the park",
                                     "focus_area": "safety", "due": "2027-04-01"})
    assert response.status_code == 201
    body = response.get_json()
    assert response.headers["Location"] == f"/api/v1/cases/{body['id']}"
    assert body["group"] == "socialnamnden"
    assert body["state"] == "open"
    assert body["focus_area"] == "safety"


@pytest.mark.parametrize(("body", "field"), [
    ({"title": "No workflow"}, "workflow"),
    ({"workflow": "action"}, "title"),
    ({"workflow": "action", "title": ""}, "title"),
    ({"workflow": "action", "title": "x", "priority": "urgent"}, "priority"),
    ({"workflow": "action", "title": "x", "due": "next week"}, "due"),
    ({"workflow": "action", "title": "x", "colour": "red"}, "colour"),
    ({"workflow": "nonsense", "title": "x"}, "workflow"),
    ({"workflow": "action", "title": "x", "focus_area": "weather"}, "focus_area"),
    ({"workflow": "action", "title": "x", "group": "nonsense"}, "group"),
    ({"workflow": "action", "title": "x", "assignee": "nobody"}, "assignee"),
    ({"workflow": "action", "title": "x", "parent_id": 99999}, "parent_id"),
    ({"workflow": "action", "title": "x", "event_at": "2027-03-01T18:00:00"}, "event_at"),
    ({"workflow": "action", "title": "nul \x00 inside"}, "title"),
])
def test_opening_with_a_bad_body_is_422_naming_the_field(api, body, field):
    assert _problem(api().post("/cases", body), 422)["field"] == field


def test_malformed_json_and_wrong_media_type(api):
    caller = api()
    headers = {**caller._headers(), "Content-Type": "application/json"}
    _problem(caller.client.post("/api/v1/cases", data="{not json", headers=headers), 400)
    _problem(caller.client.post("/api/v1/cases", data="[1, 2]", headers=headers), 400)
    _problem(caller.client.post("/api/v1/cases", data="title=x", headers={**caller._headers(),
             "Content-Type": "application/x-www-form-urlencoded"}), 415)


def test_a_body_over_the_size_limit_is_413(api):
    caller = api()
    huge = '{"workflow": "action", "title": "' + "x" * (2 * 1024 * 1024) + '"}'
    _problem(caller.client.post("/api/v1/cases", data=huge, headers={**caller._headers(),
                                                                      "Content-Type": "application/json"}), 413)


def test_opening_for_a_group_one_is_not_in_is_403(api):
    _problem(api("outsider").post("/cases", {"workflow": "action", "title": "x", "group": "socialnamnden"}), 403)


def test_fire_a_trigger_and_a_stale_version_is_409_with_the_current_version(api, open_case):
    case_id = open_case(assignee="official")
    chair = api("chair")
    version = chair.get(f"/cases/{case_id}").get_json()["version"]
    fired = chair.post(f"/cases/{case_id}/fire", {"trigger": "assign", "expected_version": version})
    assert fired.status_code == 200, fired.get_json()
    assert fired.get_json()["state"] == "assigned"
    assert fired.get_json()["history"][-1]["trigger"] == "assign"
    stale = _problem(chair.post(f"/cases/{case_id}/fire", {"trigger": "start", "expected_version": version}), 409)
    assert stale["current_version"] == version + 1


def test_fire_refusals_name_the_field(api, open_case):
    case_id = open_case(assignee="official")
    caller = api("official")
    version = caller.get(f"/cases/{case_id}").get_json()["version"]
    not_now = _problem(caller.post(f"/cases/{case_id}/fire", {"trigger": "complete", "expected_version": version}),
                       422)
    assert not_now["field"] == "trigger"
    missing = _problem(caller.post(f"/cases/{case_id}/fire", {"trigger": "assign"}), 422)
    assert missing["field"] == "expected_version"
    wrong_type = _problem(caller.post(f"/cases/{case_id}/fire", {"trigger": "assign", "expected_version": "1"}),
                          422)
    assert wrong_type["field"] == "expected_version"


def test_a_comment_required_trigger_without_comment_is_422_on_comment(api, open_case):
    case_id = open_case(assignee="official")
    chair = api("chair")
    for trigger in ("assign", "start"):
        version = chair.get(f"/cases/{case_id}").get_json()["version"]
        assert chair.post(f"/cases/{case_id}/fire", {"trigger": trigger, "expected_version": version}).status_code \
            == 200
    version = chair.get(f"/cases/{case_id}").get_json()["version"]
    refused = _problem(chair.post(f"/cases/{case_id}/fire", {"trigger": "complete", "expected_version": version}),
                       422)
    assert refused["field"] == "comment"


def test_fire_on_a_case_one_may_see_but_not_act_on_is_403(api, open_case):
    case_id = open_case(assignee="official")
    version = api().get(f"/cases/{case_id}").get_json()["version"]
    _problem(api("outsider").post(f"/cases/{case_id}/fire", {"trigger": "assign", "expected_version": version}),
             403)


def test_assign_to_a_user_and_to_a_group(api, open_case):
    case_id = open_case()
    caller = api("official")
    version = caller.get(f"/cases/{case_id}").get_json()["version"]
    body = caller.post(f"/cases/{case_id}/assign", {"user": "member", "expected_version": version}).get_json()
    assert body["assignee"] == "member"
    handed = caller.post(f"/cases/{case_id}/assign", {"group": "polisen", "expected_version": body["version"]})
    assert handed.get_json()["group"] == "polisen"
    assert handed.get_json()["assignee"] is None


def test_assign_refusals(api, open_case):
    case_id = open_case()
    caller = api("official")
    assert _problem(caller.post(f"/cases/{case_id}/assign", {"expected_version": 1}), 422)["field"] == "user"
    assert _problem(caller.post(f"/cases/{case_id}/assign", {"user": "nobody", "expected_version": 1}),
                    422)["field"] == "user"
    assert _problem(caller.post(f"/cases/{case_id}/assign", {"group": "nonsense", "expected_version": 1}),
                    422)["field"] == "group"
    _problem(caller.post(f"/cases/{case_id}/assign", {"user": "member", "expected_version": 7}), 409)
    _problem(api("outsider").post(f"/cases/{case_id}/assign", {"user": "outsider", "expected_version": 1}), 403)


def test_comment_on_a_case(api, open_case):
    case_id = open_case()
    caller = api()
    response = caller.post(f"/cases/{case_id}/comments", {"body": "Called the school."})
    assert response.status_code == 201
    assert response.get_json()["body"] == "Called the school."
    said = response.get_json()
    assert (said["author_name"], said["action"]) == ("Official", None)  # as the case lists it
    assert caller.get(f"/cases/{case_id}").get_json()["comments"][-1]["body"] == "Called the school."
    assert _problem(caller.post(f"/cases/{case_id}/comments", {"body": "   "}), 422)["field"] == "body"
    assert _problem(caller.post(f"/cases/{case_id}/comments", {}), 422)["field"] == "body"


def test_commenting_on_a_confidential_case_of_others_is_404(api, open_case):
    case_id = open_case(confidential=True)
    _problem(api("outsider").post(f"/cases/{case_id}/comments", {"body": "hello"}), 404)


# --- agreement and workflows ----------------------------------------------------------------------

def test_the_agreement_with_period_and_obligations(api, eng, clock):
    from engine.schedule.obligations import agreement_status

    caller = api()
    body = caller.get("/agreement").get_json()
    status = agreement_status(eng, clock.now())
    assert body["period"]["number"] == status.period_number
    assert body["period"]["ends_on"] == status.ends_on.isoformat()
    assert body["period"]["status"] == "active"
    assert body["obligations"]
    assert {"key", "label", "required", "done", "met", "case_ids"} <= set(body["obligations"][0])
    assert _problem(caller.get("/agreement?agreement=nonsense"), 422)["field"] == "agreement"


def test_the_workflows_with_states_transitions_and_deadlines(api, eng):
    caller = api()
    keys = [w["key"] for w in caller.get("/workflows").get_json()]
    assert keys == sorted(eng.registry.current)
    action = caller.get("/workflows/action").get_json()
    assert action["initial"] == "open"
    states = {s["key"]: s for s in action["states"]}
    assert states["open"]["deadline"]["working_days"] == 20
    assert any(t["trigger"] == "complete" and t["comment_required"] for t in action["transitions"])
    assert (action["open_roles"], action["system_only"]) == (["chair", "group_member"], False)
    assert states["done"]["next"] == [{"who": "group_member", "what": {"sv": "godkännande av {group}",
                                                                       "en": "approval by {group}"}}]
    cancel = next(t for t in action["transitions"] if t["trigger"] == "cancel")
    assert cancel["destructive"]
    renewal = caller.get("/workflows/agreement_renewal").get_json()
    assert renewal["system_only"]
    assert {n["who"] for s in renewal["states"] if s["key"] == "discussed" for n in s["next"]} == {"chair", "police"}
    _problem(caller.get("/workflows/nonsense"), 404)


# --- rate limit, errors ---------------------------------------------------------------------------

def test_requests_beyond_the_rate_limit_are_429_per_token(eng, clock, make_token):
    app = create_app(eng.config, engine=eng, clock=clock, testing=True, overrides={"API_RATE_LIMIT": 3})
    client = app.test_client()
    first, second = make_token("official"), make_token("official")
    for _ in range(3):
        assert client.get("/api/v1/workflows", headers={"Authorization": f"Bearer {first}"}).status_code == 200
    refused = client.get("/api/v1/workflows", headers={"Authorization": f"Bearer {first}"})
    _problem(refused, 429)
    assert int(refused.headers["Retry-After"]) >= 1
    assert client.get("/api/v1/workflows", headers={"Authorization": f"Bearer {second}"}).status_code == 200


def test_the_bucket_refills_with_time():
    from web.api.ratelimit import RateLimiter
    now = [0.0]
    limiter = RateLimiter(60, clock=lambda: now[0])
    assert all(limiter.take("k") == 0.0 for _ in range(60))
    assert limiter.take("k") == pytest.approx(1.0)
    now[0] += 1.0
    assert limiter.take("k") == 0.0
    assert limiter.take("other") == 0.0


def test_an_unexpected_error_is_a_500_problem_without_details(api, monkeypatch):
    import web.api.reference

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("secret internals")
    monkeypatch.setattr(web.api.reference, "agreement_status", broken)
    body = _problem(api().get("/agreement"), 500)
    assert "secret" not in body["detail"]


def test_the_rest_of_the_site_keeps_its_html_error_pages(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"


# --- the OpenAPI document -------------------------------------------------------------------------

def test_the_openapi_document_is_public_and_valid(client):
    from openapi_spec_validator import validate

    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.get_json()
    validate(doc)
    assert doc["openapi"].startswith("3.1")
    assert {"Case", "CaseSummary", "HistoryEntry", "Problem", "Agreement", "Workflow"} <= set(
        doc["components"]["schemas"])
    assert set(doc["paths"]) == {"/cases", "/cases/{case_id}", "/cases/{case_id}/fire", "/cases/{case_id}/assign",
                                 "/cases/{case_id}/unassign", "/cases/{case_id}/comments",
                                 "/cases/{case_id}/attachments", "/cases/{case_id}/attachments/{attachment_id}",
                                 "/agreement", "/workflows", "/workflows/{key}", "/openapi.json"}


def test_every_api_route_is_in_the_document(app: Flask):
    from web.api.openapi import document

    doc = document()
    routed = {(r.rule, m) for r in app.url_map.iter_rules() if r.endpoint.startswith("api.")
              for m in r.methods - {"HEAD", "OPTIONS"}}
    documented = {("/api/v1" + re.sub(r"{(\w+_id)}", r"<int:\1>", path).replace("{key}", "<key>"), m.upper())
                  for path, ops in doc["paths"].items() for m in ops}
    assert routed == documented


# --- schemathesis: generated requests against the served document ----------------------------------

# SAMVERKAN_API_FUZZ=N: N random (not derandomized) examples per operation, for a longer hunt by hand.
_FUZZ = int(os.environ.get("SAMVERKAN_API_FUZZ", "0") or 0)

@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_generated_requests_get_no_server_error_and_answers_match_the_document(eng, clock, make_token, open_case,
                                                                                 mode):
    """Requests generated from /api/v1/openapi.json, in-process over WSGI, with a chair's token.

    Bounded (15 examples per operation, derandomized) so it runs in seconds in CI.
    """
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    for n in range(3):
        open_case(title=f"Existing {n}", assignee="official")
    open_case(confidential=True, group="polisen", as_user="police")
    app = create_app(eng.config, engine=eng, clock=clock, testing=True, overrides={"API_RATE_LIMIT": 0})
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {make_token('chair')}"}
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    generation = GenerationMode.POSITIVE if mode == "positive" else GenerationMode.NEGATIVE
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 15

    for operation in operations:
        @settings(max_examples=_FUZZ or 15, deadline=None, database=None, derandomize=not _FUZZ,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=generation))
        def run(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=checks)

        run()


def test_an_address_sending_many_unknown_tokens_is_told_to_stop_but_a_good_token_still_works(
        eng, clock, client, make_token):
    """Behind one proxy a guesser shares its address with everyone: a live token (256 random bits) is never refused."""
    from engine.accounts.tokens import ADDRESS_LIMIT
    good = {"Authorization": f"Bearer {make_token('official')}"}
    guesser = {"REMOTE_ADDR": "198.51.100.7"}
    for n in range(ADDRESS_LIMIT):
        _problem(client.get("/api/v1/cases", headers={"Authorization": f"Bearer smv_guess{n}"},
                            environ_base=guesser), 401)
    held = client.get("/api/v1/cases", headers={"Authorization": "Bearer smv_guess-more"}, environ_base=guesser)
    assert "wait 15 minutes" in _problem(held, 429)["detail"]
    assert int(held.headers["Retry-After"]) == 900
    assert client.get("/api/v1/cases", headers=good, environ_base=guesser).status_code == 200
    clock.advance(minutes=16)
    _problem(client.get("/api/v1/cases", headers={"Authorization": "Bearer smv_guess-later"},
                        environ_base=guesser), 401)
