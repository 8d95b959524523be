"""Operations: /healthz for load balancers and supervisors, /metrics for Prometheus.

Neither needs a log-in and neither shows anything secret: health is the database's
reachability, the freshest scheduler heartbeat and the outbox backlog; metrics are the
engine's totals (read from the database at each scrape, so every worker reports the same)
plus the requests answered, counted by prometheus_client from two app-wide request hooks.
Under gunicorn with PROMETHEUS_MULTIPROC_DIR set (`samverkan up`, web/gunicorn_config.py),
every worker writes its request figures there and a scrape sums them over all workers.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request
from flask.blueprints import BlueprintSetupState
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy.exc import SQLAlchemyError

from engine.reporting.health import check_health, counters
from engine.runtime.engine import Engine
from web.support import eng, now

__all__ = ["BUCKETS", "EngineTotals", "RequestMetrics", "bp"]

bp = Blueprint("ops", __name__)

# Upper bounds in seconds: from a cached page to a slow report.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_EXT = "samverkan_metrics"


class RequestMetrics:
    """Requests by (endpoint, method, status) and their latency by endpoint, for one app.

    The metrics belong to no registry of their own: each scrape builds one (see `metrics`), so
    two apps in one process (the tests) keep their figures apart.
    """

    def __init__(self) -> None:
        self.requests = Counter("samverkan_http_requests", "Requests answered (by every worker, under gunicorn).",
                                ["endpoint", "method", "status"], registry=None)
        self.latency = Histogram("samverkan_http_request_duration_seconds", "Time to answer a request, by endpoint.",
                                 ["endpoint"], buckets=BUCKETS, registry=None)

    def observe(self, endpoint: str, method: str, status: int, seconds: float) -> None:
        """Count one answered request."""
        self.requests.labels(endpoint=endpoint, method=method, status=str(status)).inc()
        self.latency.labels(endpoint=endpoint).observe(seconds)


class EngineTotals:
    """A collector of the engine's totals, read from the database when Prometheus scrapes."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        """The totals, or only `samverkan_database_up 0` when the database does not answer."""
        up = GaugeMetricFamily("samverkan_database_up", "Whether the database answered this scrape.")
        try:
            totals = counters(self.engine)
        except SQLAlchemyError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        for name, help_ in (("transitions", "Transitions in the log, all processes."),
                            ("due_runs", "Due runs recorded by every scheduler's heartbeat.")):
            yield CounterMetricFamily(f"samverkan_{name}", help_, value=totals.get(f"{name}_total", 0))
        for prefix, help_ in (("deadlines", "Deadline rows by status."), ("notices", "Outbox notices by status.")):
            family = GaugeMetricFamily(f"samverkan_{prefix}", help_, labels=["status"])
            for key in sorted(k for k in totals if k.startswith(prefix + "_")):
                family.add_metric([key.removeprefix(prefix + "_")], totals[key])
            yield family


def _start_timer() -> None:
    g.ops_started = time.perf_counter()


def _record(response: Response) -> Response:
    started = g.get("ops_started")
    if started is not None:
        # The route's name, never the raw path: unknown URLs must not grow the label set.
        endpoint = request.url_rule.endpoint if request.url_rule is not None else "unmatched"
        current_app.extensions[_EXT].observe(endpoint, request.method, response.status_code,
                                             time.perf_counter() - started)
    return response


@bp.record_once
def _install(state: BlueprintSetupState) -> None:
    app = state.app
    app.extensions[_EXT] = RequestMetrics()
    # First among the before-request hooks, so a request that CSRF or log-in turns away is timed too.
    app.before_request_funcs.setdefault(None, []).insert(0, _start_timer)
    app.after_request_funcs.setdefault(None, []).append(_record)


@bp.route("/healthz")
def healthz() -> Any:
    """200 when the database answers and a scheduler ran in the last five minutes, else 503."""
    health = check_health(eng(), now())
    body = {"status": "ok" if health.ok() else "unhealthy", "database": health.database,
            "scheduler_age_seconds": None if health.scheduler_age_seconds is None
            else round(health.scheduler_age_seconds, 1),
            "outbox_pending": health.outbox_pending, "outbox_failed": health.outbox_failed}
    response = jsonify(body)
    response.status_code = 200 if health.ok() else 503
    response.headers["Cache-Control"] = "no-store"
    return response


def _scraped() -> CollectorRegistry:
    """What this scrape reports: the engine's totals and the requests, of this worker or of all."""
    registry = CollectorRegistry(auto_describe=False)  # describing would query the database twice
    registry.register(EngineTotals(eng()))
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Every worker's files, this one's included: the request metrics are read from there only,
        # registering them too would report this worker twice.
        MultiProcessCollector(registry)
    else:
        figures: RequestMetrics = current_app.extensions[_EXT]
        registry.register(figures.requests)
        registry.register(figures.latency)
    return registry


@bp.route("/metrics")
def metrics() -> Any:
    """The Prometheus exposition, in the text format the scraper asks for (0.0.4 by default)."""
    encode, content_type = choose_encoder(request.headers.get("Accept", ""))
    return Response(encode(_scraped()), headers={"Content-Type": content_type, "Cache-Control": "no-store"})
