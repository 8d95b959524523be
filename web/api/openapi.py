"""The OpenAPI 3.1 document, built from the endpoint declarations (there is no hand-written copy)."""

from __future__ import annotations

from typing import Any

from web.api.problems import MEDIA_TYPE, TITLES
from web.api.routing import ENDPOINTS, PREFIX, Endpoint, endpoint
from web.api.schemas import COMPONENTS, ref

__all__ = ["document"]

_TAGS = [
    {"name": "cases", "description": "Queues and cases: read, open, act, assign, comment."},
    {"name": "attachments", "description": "Files on a case: attach (multipart), list, download, remove."},
    {"name": "agreement", "description": "The cooperation agreement, its period and obligations."},
    {"name": "workflows", "description": "The workflow definitions in force."},
    {"name": "meta", "description": "This description."},
]


def _problem(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {"description": TITLES.get(status, "Error"),
                                "content": {MEDIA_TYPE: {"schema": ref("Problem")}}}
    if status == 429:
        response["headers"] = {"Retry-After": {"description": "Seconds until a request is allowed again.",
                                               "schema": {"type": "string"}}}
    return response


def _operation(ep: Endpoint) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": ep.operation_id, "summary": ep.summary, "tags": [ep.tag],
        "responses": {str(ep.status): {"description": ep.summary,
                                       "content": {ep.response_media: {"schema": ep.response}}},
                      **{str(code): _problem(code) for code in ep.problems}},
    }
    if ep.params:
        op["parameters"] = [{"name": p.name, "in": p.location, "required": p.required or p.location == "path",
                             "description": p.description, "schema": p.schema} for p in ep.params]
    if ep.body is not None:
        op["requestBody"] = {"required": True, "content": {ep.body_media: {"schema": ep.body}}}
    if ep.public:
        op["security"] = []
    return op


def document() -> dict[str, Any]:
    """The OpenAPI document of every declared endpoint."""
    paths: dict[str, dict[str, Any]] = {}
    for ep in ENDPOINTS:
        paths.setdefault(ep.path, {})[ep.method.lower()] = _operation(ep)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Samverkan API", "version": "1",
                 "description": "Cases, queues, the agreement and the workflows of Samverkan. Authenticate with "
                                "a personal API token (`Authorization: Bearer smv_...`, made with `samverkan "
                                "token create USERNAME`); it acts with its owner's rights. Errors are "
                                "`application/problem+json`. Requests are rate-limited per token; an address that "
                                "sent 20 unknown tokens within 15 minutes gets 429 until they have passed."},
        "servers": [{"url": PREFIX}],
        "tags": _TAGS,
        "security": [{"bearerAuth": []}, {"sessionCookie": []}],
        "paths": paths,
        "components": {
            "schemas": COMPONENTS,
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "description": "A personal API token."},
                "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "samverkan_session",
                                  "description": "The web interface's session; unsafe methods also need the "
                                                 "X-CSRFToken header."},
            },
        },
    }


@endpoint("GET", "/openapi.json", summary="This OpenAPI 3.1 document.", response={"type": "object"}, public=True,
          tag="meta")
def openapi_json() -> dict[str, Any]:
    """The document, served as JSON."""
    return document()
