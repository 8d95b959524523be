"""/healthz and /metrics: no log-in, no secrets, the engine's totals and this worker's request figures."""

from __future__ import annotations

import datetime as dt
import re

from flask import Flask
from flask.testing import FlaskClient

from engine.cases.commands import OpenRequest, open_case
from engine.runtime.engine import Engine
from engine.store.models import SchedulerHeartbeat
from tests.conftest import T0
from tests.web.conftest import Web
from web import create_app


def _beat(eng: Engine, at: dt.datetime) -> None:
    with eng.db.write() as s:
        s.add(SchedulerHeartbeat(name="scheduler-test", beat_at=at, runs=3))


def test_healthz_is_ok_when_a_scheduler_beat_recently(client: FlaskClient, eng: Engine) -> None:
    _beat(eng, T0 - dt.timedelta(seconds=30))
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body == {"status": "ok", "database": True, "scheduler_age_seconds": 30.0,
                    "outbox_pending": 0, "outbox_failed": 0}


def test_healthz_is_503_without_a_scheduler(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["scheduler_age_seconds"] is None


def test_healthz_is_503_with_a_stale_scheduler(client: FlaskClient, eng: Engine) -> None:
    _beat(eng, T0 - dt.timedelta(minutes=10))
    assert client.get("/healthz").status_code == 503


def test_healthz_is_503_and_tells_no_secrets_when_the_database_is_unreachable(eng: Engine, tmp_path) -> None:
    from dataclasses import replace

    url = "postgresql+psycopg://samverkan:hunter2@127.0.0.1:1/nowhere"
    broken = create_app(replace(eng.config, database_url=url), testing=True)
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] is False
    text = response.get_data(as_text=True)
    assert "hunter2" not in text
    assert "127.0.0.1" not in text


def _sample(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = "^" + re.escape(name) + (r"\{" + re.escape(wanted) + r"\}" if labels else "") + r" (\S+)$"
    found = re.search(pattern, text, re.MULTILINE)
    assert found, f"no sample {name}{{{wanted}}} in:\n{text}"
    return float(found.group(1))


def test_metrics_report_engine_totals_by_status(client: FlaskClient, eng: Engine) -> None:
    open_case(eng, OpenRequest("action", "Belysning", group="socialnamnden"), "chair")
    _beat(eng, T0)
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    text = response.get_data(as_text=True)
    assert _sample(text, "samverkan_database_up") == 1
    assert _sample(text, "samverkan_transitions_total") == 1
    assert _sample(text, "samverkan_due_runs_total") == 3
    assert _sample(text, "samverkan_deadlines", status="pending") >= 1
    assert "# TYPE samverkan_deadlines gauge" in text
    assert "# TYPE samverkan_transitions_total counter" in text  # only grows: rate() applies


def test_metrics_speak_openmetrics_to_a_scraper_that_asks_for_it(client: FlaskClient) -> None:
    # Prometheus asks for OpenMetrics first; a plain `curl` gets the classic text format.
    response = client.get("/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"})
    assert response.headers["Content-Type"].startswith("application/openmetrics-text; version=1.0.0")
    text = response.get_data(as_text=True)
    assert "# TYPE samverkan_transitions counter" in text
    assert _sample(text, "samverkan_database_up") == 1
    assert text.endswith("# EOF\n")


def test_metrics_count_requests_by_endpoint_and_status_with_a_latency_histogram(client: FlaskClient) -> None:
    for _ in range(3):
        assert client.get("/login").status_code == 200
    assert client.get("/queues/mine").status_code == 302  # not logged in: sent to the log-in page
    assert client.get("/no/such/page").status_code == 404
    text = client.get("/metrics").get_data(as_text=True)
    assert _sample(text, "samverkan_http_requests_total", endpoint="auth.login", method="GET", status="200") == 3
    assert _sample(text, "samverkan_http_requests_total", endpoint="queues.queue", method="GET", status="302") == 1
    assert _sample(text, "samverkan_http_requests_total", endpoint="unmatched", method="GET", status="404") == 1
    name = "samverkan_http_request_duration_seconds"
    assert _sample(text, f"{name}_count", endpoint="auth.login") == 3
    assert _sample(text, f"{name}_bucket", endpoint="auth.login", le="+Inf") == 3
    buckets = [float(v) for v in re.findall(rf'{name}_bucket\{{endpoint="auth.login",le="[^"]+"\}} (\S+)', text)]
    assert buckets == sorted(buckets), "histogram buckets must be cumulative"
    assert "/no/such/page" not in text


def test_a_post_refused_by_csrf_is_counted(client: FlaskClient) -> None:
    assert client.post("/login", data={"username": "chair", "password": "x"}).status_code == 400
    text = client.get("/metrics").get_data(as_text=True)
    assert _sample(text, "samverkan_http_requests_total", endpoint="auth.login", method="POST", status="400") == 1


def test_each_app_keeps_its_own_request_figures(app: Flask, eng: Engine) -> None:
    other = create_app(eng.config, engine=eng, testing=True)
    app.test_client().get("/login")
    text = other.test_client().get("/metrics").get_data(as_text=True)
    assert 'endpoint="auth.login"' not in text


def test_a_database_that_does_not_answer_gives_a_503_page_that_says_to_wait(eng: Engine) -> None:
    from dataclasses import replace

    from tests.web.conftest import _TOKEN

    broken = create_app(replace(eng.config, database_url="postgresql+psycopg://x:hunter2@127.0.0.1:1/db"), testing=True)
    client = broken.test_client()
    token = _TOKEN.search(client.get("/login").get_data(as_text=True))
    assert token
    response = client.post("/login", data={"username": "chair", "password": "pw", "csrf_token": token.group(1)})
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "Databasen svarar inte just nu" in page
    assert "hunter2" not in page
    assert "Traceback" not in page


def test_a_logged_in_person_gets_the_503_page_when_the_database_goes_away(web, monkeypatch) -> None:
    from sqlalchemy.exc import OperationalError

    from web import auth

    web.login("official")
    assert web.client.get("/queues/mine").status_code == 200

    def gone(*_args: object) -> None:
        raise OperationalError("SELECT 1", {}, Exception("FATAL: the database system is shutting down"))

    monkeypatch.setattr(auth, "session_user", gone)
    response = web.client.get("/queues/mine")
    assert response.status_code == 503
    assert "Databasen svarar inte just nu" in response.get_data(as_text=True)


def test_the_floor_page_is_empty_and_only_for_people_logged_in(client: FlaskClient, web: Web) -> None:
    """/floor, the page the benches measure every page against, shows nothing and needs a log-in."""
    anonymous = client.get("/floor")
    assert anonymous.status_code == 302
    assert "/login" in anonymous.headers["Location"]
    web.login("official")
    response = client.get("/floor")
    assert response.status_code == 204
    assert response.data == b""
