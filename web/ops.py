"""Operations: /healthz for load balancers and supervisors, /metrics in Prometheus text format.

Neither needs a log-in and neither shows anything secret: health is the database's
reachability, the freshest scheduler heartbeat and the outbox backlog; metrics are the
engine's totals (read from the database, so every worker reports the same) plus this
worker's own request counts and latencies, measured by two app-wide request hooks.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request
from flask.blueprints import BlueprintSetupState
from sqlalchemy.exc import SQLAlchemyError

from engine.reporting.health import check_health, counters
from web.support import eng, now

__all__ = ["BUCKETS", "RequestMetrics", "bp"]

bp = Blueprint("ops", __name__)

# Upper bounds in seconds: from a cached page to a slow report.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_EXT = "samverkan_metrics"


class RequestMetrics:
    """Request counts by (endpoint, method, status) and a latency histogram by endpoint, for one process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: dict[tuple[str, str, str], int] = defaultdict(int)
        self.buckets: dict[str, list[int]] = {}
        self.sums: dict[str, float] = defaultdict(float)
        self.counts: dict[str, int] = defaultdict(int)

    def observe(self, endpoint: str, method: str, status: int, seconds: float) -> None:
        """Count one answered request."""
        with self._lock:
            self.requests[(endpoint, method, str(status))] += 1
            row = self.buckets.setdefault(endpoint, [0] * len(BUCKETS))
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    row[i] += 1
            self.sums[endpoint] += seconds
            self.counts[endpoint] += 1

    def exposition(self) -> list[str]:
        """The lines of this process's request metrics."""
        with self._lock:
            lines = ["# HELP samverkan_http_requests_total Requests answered by this worker process.",
                     "# TYPE samverkan_http_requests_total counter"]
            for (endpoint, method, status), n in sorted(self.requests.items()):
                lines.append(f"samverkan_http_requests_total{_labels(endpoint=endpoint, method=method, status=status)}"
                             f" {n}")
            lines += ["# HELP samverkan_http_request_duration_seconds Time to answer a request, by endpoint.",
                      "# TYPE samverkan_http_request_duration_seconds histogram"]
            for endpoint in sorted(self.buckets):
                name = "samverkan_http_request_duration_seconds"
                for bound, n in zip(BUCKETS, self.buckets[endpoint], strict=True):
                    lines.append(f"{name}_bucket{_labels(endpoint=endpoint, le=_num(bound))} {n}")
                lines.append(f"{name}_bucket{_labels(endpoint=endpoint, le='+Inf')} {self.counts[endpoint]}")
                lines.append(f"{name}_sum{_labels(endpoint=endpoint)} {_num(self.sums[endpoint])}")
                lines.append(f"{name}_count{_labels(endpoint=endpoint)} {self.counts[endpoint]}")
            return lines


def _num(value: float) -> str:
    return repr(float(value)) if not float(value).is_integer() else f"{value:.1f}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(**labels: str) -> str:
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items()) + "}"


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


def _engine_lines() -> list[str]:
    try:
        totals = counters(eng())
    except SQLAlchemyError:
        return ["# HELP samverkan_database_up Whether the database answered this scrape.",
                "# TYPE samverkan_database_up gauge", "samverkan_database_up 0"]
    lines = ["# HELP samverkan_database_up Whether the database answered this scrape.",
             "# TYPE samverkan_database_up gauge", "samverkan_database_up 1"]
    for name, help_ in (("transitions_total", "Transitions in the log, all processes."),
                        ("due_runs_total", "Due runs recorded by every scheduler's heartbeat.")):
        lines += [f"# HELP samverkan_{name} {help_}", f"# TYPE samverkan_{name} gauge",
                  f"samverkan_{name} {totals.get(name, 0)}"]
    for prefix, help_ in (("deadlines", "Deadline rows by status."), ("notices", "Outbox notices by status.")):
        lines += [f"# HELP samverkan_{prefix} {help_}", f"# TYPE samverkan_{prefix} gauge"]
        for key in sorted(k for k in totals if k.startswith(prefix + "_")):
            lines.append(f"samverkan_{prefix}{_labels(status=key.removeprefix(prefix + '_'))} {totals[key]}")
    return lines


@bp.route("/metrics")
def metrics() -> Any:
    """Prometheus text exposition (version 0.0.4)."""
    lines = _engine_lines() + current_app.extensions[_EXT].exposition()
    response = Response("\n".join(lines) + "\n", headers={"Cache-Control": "no-store"})
    response.headers["Content-Type"] = "text/plain; version=0.0.4; charset=utf-8"
    return response
