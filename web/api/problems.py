"""Errors as RFC 9457 problem details (`application/problem+json`): what was wrong and what to do."""

from __future__ import annotations

import logging
from typing import Any

from flask import Response, current_app, json

from engine.kernel.errors import Conflict, EngineError, Forbidden, NotFound, TransitionNotAllowed, ValidationError

__all__ = ["MEDIA_TYPE", "TITLES", "ApiProblem", "from_engine_error", "problem", "unexpected"]

MEDIA_TYPE = "application/problem+json"
_log = logging.getLogger(__name__)

TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    429: "Too many requests",
    500: "Internal server error",
}


class ApiProblem(Exception):
    """Raised inside an API view to answer with a problem document."""

    def __init__(self, status: int, detail: str, *, field: str | None = None, kind: str | None = None,
                 headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.detail, self.field, self.kind = status, detail, field, kind
        self.headers, self.extra = headers or {}, extra

    def response(self) -> Response:
        """This problem as a response."""
        return problem(self.status, self.detail, field=self.field, kind=self.kind, headers=self.headers,
                       **self.extra)


def problem(status: int, detail: str, *, field: str | None = None, kind: str | None = None,
            headers: dict[str, str] | None = None, **extra: Any) -> Response:
    """A problem response; `kind` names the `type` URI's last part (default: the status's title)."""
    slug = kind or TITLES.get(status, "error").lower().replace(" ", "-")
    body: dict[str, Any] = {"type": f"urn:samverkan:problem:{slug}", "title": TITLES.get(status, "Error"),
                            "status": status, "detail": detail}
    if field is not None:
        body["field"] = field
    body.update(extra)
    response = current_app.response_class(json.dumps(body), status=status, mimetype=MEDIA_TYPE)
    response.headers.update(headers or {})
    return response


def from_engine_error(exc: EngineError) -> ApiProblem:
    """The problem for an engine refusal: 403, 404, 409 or 422 (naming the field)."""
    if isinstance(exc, NotFound):
        return ApiProblem(404, str(exc))
    if isinstance(exc, Forbidden):
        return ApiProblem(403, str(exc))
    if isinstance(exc, Conflict):
        return ApiProblem(409, str(exc), kind="stale-version", current_version=exc.actual)
    if isinstance(exc, ValidationError):
        return ApiProblem(422, str(exc), field=exc.field, kind="validation")
    if isinstance(exc, TransitionNotAllowed):
        return ApiProblem(422, str(exc), field="trigger", kind="transition-not-allowed", state=exc.state)
    return ApiProblem(422, str(exc), kind="refused")


def unexpected(exc: BaseException) -> Response:
    """A 500 problem without details; the exception goes to the log, never to the client."""
    _log.error("API request failed", exc_info=exc)
    return problem(500, "An unexpected error occurred and was logged. Try again; if it persists, "
                        "tell an administrator.")
