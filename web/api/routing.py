"""Each API endpoint is declared once, as data beside its view; routing and the OpenAPI document read it.

`@endpoint(...)` records the path, method, parameters, request and response schemas in
`ENDPOINTS`, adds the Flask route, and wraps the view with what every call needs: the
caller (token or session), the rate limit, the session's CSRF check, parsing and
validating parameters and body against the declared schemas, and turning refusals into
problem documents.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Response, current_app, g, request
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema import ValidationError as SchemaError
from werkzeug.exceptions import HTTPException
from wtforms import ValidationError as CsrfError

from engine.accounts import tokens
from engine.kernel.actors import Actor
from engine.kernel.errors import EngineError
from web.api.problems import ApiProblem, from_engine_error, unexpected
from web.api.ratelimit import RateLimiter
from web.support import eng, now

__all__ = ["ENDPOINTS", "MULTIPART", "PREFIX", "Endpoint", "Param", "bp", "caller", "endpoint"]

PREFIX = "/api/v1"
MULTIPART = "multipart/form-data"
bp = Blueprint("api", __name__, url_prefix=PREFIX)
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
_WWW = {"WWW-Authenticate": 'Bearer realm="samverkan"'}


@dataclass(frozen=True)
class Param:
    """A path or query parameter and its JSON schema."""

    name: str
    location: str  # "path" | "query"
    schema: dict[str, Any]
    description: str
    required: bool = False


@dataclass(frozen=True)
class Endpoint:
    """One operation: what the OpenAPI document says about it, and the view that serves it."""

    method: str
    path: str
    operation_id: str
    summary: str
    response: dict[str, Any]
    status: int = 200
    params: tuple[Param, ...] = ()
    body: dict[str, Any] | None = None
    errors: tuple[int, ...] = ()
    public: bool = False
    tag: str = "cases"
    view: Callable[..., Any] | None = field(default=None, compare=False, repr=False)
    # multipart/form-data: the view gets the uploaded files as `files`, described by `body`.
    body_media: str = "application/json"
    # Anything but JSON: the view answers with a whole Response (a file).
    response_media: str = "application/json"

    @property
    def problems(self) -> tuple[int, ...]:
        """Every problem status this operation may answer with."""
        codes = set(self.errors) | {500}
        if not self.public:
            codes |= {401, 429} | ({403} if self.method not in _SAFE else set())
        if self.body is not None:
            codes |= {400, 413, 415, 422}
        if any(p.location == "query" for p in self.params):
            codes.add(422)
        if any(p.location == "path" for p in self.params):
            codes.add(404)
        return tuple(sorted(codes))


ENDPOINTS: list[Endpoint] = []


def caller() -> Actor | str:
    """Who this API request acts as: the token's owner, or the logged-in user."""
    return g.api_actor  # type: ignore[no-any-return]


def _limiter() -> RateLimiter:
    """The app's limiter, made on first use from `API_RATE_LIMIT` (requests a minute, default 120; 0 = off)."""
    ext = current_app.extensions
    if "samverkan_api_limiter" not in ext:
        ext.setdefault("samverkan_api_limiter", RateLimiter(int(current_app.config.get("API_RATE_LIMIT", 120))))
    return ext["samverkan_api_limiter"]  # type: ignore[no-any-return]


def _authenticate() -> str:
    """Set the request's actor; returns the key its rate limit is counted under."""
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _sep, token = header.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise ApiProblem(401, "Send a personal API token as 'Authorization: Bearer smv_...'.", headers=_WWW)
        try:
            who = tokens.actor_for_token(eng(), token, now(), request.remote_addr or "unknown")
        except tokens.TokensThrottled as exc:
            raise ApiProblem(429, "Too many unknown API tokens came from your address; wait 15 minutes and try "
                                  "again with a valid token.", headers={"Retry-After": str(exc.retry_after)}) from None
        if who is None:
            raise ApiProblem(401, "The API token is unknown, revoked or its owner is disabled; "
                                  "create a new one with `samverkan token create`.", headers=_WWW)
        g.api_actor = who
        return "token:" + tokens.hash_token(token)[:24]
    if current_user.is_authenticated:
        if request.method not in _SAFE:
            try:
                validate_csrf(request.headers.get("X-CSRFToken", ""))
            except CsrfError:
                raise ApiProblem(403, "A request from the browser session must carry the page's CSRF token "
                                      "in the X-CSRFToken header; reload the page and try again.",
                                 kind="csrf") from None
        g.api_actor = current_user.actor  # read with the session user: no second lookup
        return f"user:{current_user.id}"
    raise ApiProblem(401, "Log in, or send a personal API token as 'Authorization: Bearer smv_...'.",
                     headers=_WWW)


def _check_rate(key: str) -> None:
    limiter = _limiter()
    wait = limiter.take(key)
    if wait > 0:
        raise ApiProblem(429, f"Too many requests; at most {limiter.per_minute} a minute. Wait and try again.",
                         headers={"Retry-After": limiter.retry_after(wait)})


def _storable(value: Any, name: str) -> None:
    """Strings the databases cannot keep (NUL, lone surrogates) are refused, naming the field."""
    if isinstance(value, dict):
        for key, item in value.items():
            _storable(item, key if name == "" else name)
    elif isinstance(value, list):
        for item in value:
            _storable(item, name)
    elif isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ApiProblem(422, "The text is not valid Unicode.", field=name or None, kind="validation") from None
        if "\x00" in value:
            raise ApiProblem(422, "The text contains a NUL character; remove it.", field=name or None,
                             kind="validation")


def _query_value(p: Param, raw: str) -> Any:
    schema = p.schema
    if schema.get("type") == "integer":
        if not re.fullmatch(r"-?\d{1,12}", raw.strip()):
            raise ApiProblem(422, f"'{p.name}' must be a whole number.", field=p.name, kind="validation")
        value: Any = int(raw)
        if value < schema.get("minimum", value) or value > schema.get("maximum", value):
            raise ApiProblem(422, f"'{p.name}' must be between {schema.get('minimum')} and "
                                  f"{schema.get('maximum')}.", field=p.name, kind="validation")
        return value
    if schema.get("format") == "date":
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            raise ApiProblem(422, f"Write '{p.name}' as YYYY-MM-DD, for example 2027-03-01.", field=p.name,
                             kind="validation") from None
    if "enum" in schema and raw not in schema["enum"]:
        raise ApiProblem(422, f"'{p.name}' is one of: {', '.join(schema['enum'])}.", field=p.name,
                         kind="validation")
    _storable(raw, p.name)
    return raw


def _arguments(ep: Endpoint, path_args: dict[str, Any]) -> dict[str, Any]:
    args: dict[str, Any] = {}
    for p in ep.params:
        if p.location == "path":
            value = path_args[p.name]
            if isinstance(value, int) and not p.schema.get("minimum", 0) <= value <= p.schema.get("maximum", value):
                raise ApiProblem(404, f"There is no {p.name.replace('_', ' ')} {value}.")
            args[p.name] = value
        elif request.args.get(p.name, "") != "":
            args[p.name] = _query_value(p, request.args[p.name])
        else:
            args[p.name] = p.schema.get("default")
    if ep.body is not None and ep.body_media == MULTIPART:
        args["files"] = _files()
    elif ep.body is not None:
        args["body"] = _body(ep.body)
    return args


def _files() -> list[Any]:
    """The files of a multipart upload (field `file`, repeated for several)."""
    if request.mimetype != MULTIPART:
        raise ApiProblem(415, "Send the files as 'multipart/form-data', each in a part named 'file'.")
    files = [f for f in request.files.getlist("file") if f.filename]
    if not files:
        raise ApiProblem(422, "Send at least one file, in a part named 'file' with a filename.", field="file",
                         kind="validation")
    return files


def _field(error: SchemaError) -> str | None:
    """The body field a schema error is about (the missing or unknown one for required/additional)."""
    path = [str(p) for p in error.absolute_path]
    if error.validator == "required" and isinstance(error.validator_value, list) and isinstance(error.instance, dict):
        missing = [k for k in error.validator_value if k not in error.instance]
        path.append(missing[0] if missing else "")
    elif (error.validator == "additionalProperties" and isinstance(error.instance, dict)
          and isinstance(error.schema, dict)):
        known = error.schema.get("properties", {})
        extra = [k for k in error.instance if k not in known]
        path.append(extra[0] if extra else "")
    return ".".join(path) or None


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    if request.mimetype != "application/json":
        raise ApiProblem(415, "Send the body as JSON with 'Content-Type: application/json'.")
    try:
        data = json.loads(request.get_data(cache=True) or b"null")
    except (ValueError, UnicodeDecodeError):
        raise ApiProblem(400, "The body is not valid JSON; send one JSON object.", kind="malformed-json") from None
    if not isinstance(data, dict):
        raise ApiProblem(400, "The body must be one JSON object.", kind="malformed-json")
    error = next(iter(sorted(Draft202012Validator(schema, format_checker=FormatChecker()).iter_errors(data),
                             key=lambda e: (len(e.absolute_path), str(e.absolute_path)))), None)
    if error is not None:
        name = _field(error)
        message = error.message if len(error.message) <= 200 else error.message[:200] + "..."
        raise ApiProblem(422, f"'{name}': {message}" if name else message, field=name, kind="validation")
    _storable(data, "")
    return data


def _respond(ep: Endpoint, result: Any) -> Response:
    if isinstance(result, Response):
        return result
    status, headers = ep.status, {}
    if isinstance(result, tuple):
        result, headers = result
    return current_app.response_class(json.dumps(result, ensure_ascii=False), status=status,
                                      mimetype="application/json", headers=headers)


def _handle(ep: Endpoint, path_args: dict[str, Any]) -> Response:
    try:
        if not ep.public:
            _check_rate(_authenticate())
        assert ep.view is not None
        return _respond(ep, ep.view(**_arguments(ep, path_args)))
    except ApiProblem as exc:
        return exc.response()
    except EngineError as exc:
        return from_engine_error(exc).response()
    except HTTPException as exc:
        code = exc.code or 500
        return ApiProblem(code, exc.description or "The request could not be served.").response()
    except Exception as exc:  # noqa: BLE001 - the client gets a plain 500, the log the details
        return unexpected(exc)


def _rule(path: str, params: tuple[Param, ...]) -> str:
    ints = {p.name for p in params if p.location == "path" and p.schema.get("type") == "integer"}
    return re.sub(r"{(\w+)}", lambda m: f"<int:{m[1]}>" if m[1] in ints else f"<{m[1]}>", path)


def endpoint(method: str, path: str, *, summary: str, response: dict[str, Any], status: int = 200,
             params: tuple[Param, ...] = (), body: dict[str, Any] | None = None, errors: tuple[int, ...] = (),
             public: bool = False, tag: str = "cases", body_media: str = "application/json",
             response_media: str = "application/json") -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare an API operation on the view below; it is routed and documented from this one place."""

    def register(view: Callable[..., Any]) -> Callable[..., Any]:
        ep = Endpoint(method, path, view.__name__, summary, response, status, params, body, errors, public, tag,
                      view, body_media, response_media)
        ENDPOINTS.append(ep)
        bp.add_url_rule(_rule(path, params), view.__name__, lambda **kw: _handle(ep, kw), methods=[method])
        return view

    return register
