"""Cases through the API: queues with cursors, search, one case, open, fire, assign, edit, give back, comment."""

from __future__ import annotations

import datetime as dt
from typing import Any

from engine.cases import commands as casework
from engine.cases import editing
from engine.cases.firing import fire
from engine.cases.overview import group_ids
from engine.cases.queues import QUEUES, QueueFilter, queue_page
from engine.cases.search import search_after
from engine.cases.views import CaseView, comment_of, get_case
from engine.kernel.bounds import start_of_day, to_utc
from engine.kernel.errors import NotFound, ValidationError
from web.api.routing import Param, caller, endpoint
from web.api.schemas import ID, VERSION, nullable, ref
from web.support import eng, now

__all__: list[str] = []

_TEXT = {"type": "string", "maxLength": 10_000}
_NAME = {"type": "string", "minLength": 1, "maxLength": 64}
_CASE_ID = Param("case_id", "path", ID, "The case's id.", required=True)

_LIST_PARAMS = (
    Param("queue", "query", {"type": "string", "enum": list(QUEUES), "default": "mine"},
          "Which queue: your cases, your groups', unassigned, overdue, or all you may see."),
    Param("workflow", "query", {"type": "string"}, "Only cases of this workflow key."),
    Param("state", "query", {"type": "string"}, "Only cases in this state."),
    Param("focus_area", "query", {"type": "string"}, "Only cases in this focus area."),
    Param("group", "query", {"type": "string"}, "Only cases owned by this group key."),
    Param("due_before", "query", {"type": "string", "format": "date"}, "Due before this day (exclusive)."),
    Param("due_after", "query", {"type": "string", "format": "date"}, "Due on or after this day."),
    Param("limit", "query", {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
          "Cases per page."),
    Param("cursor", "query", {"type": "string"}, "The `next_cursor` of the previous page."),
    Param("q", "query", {"type": "string", "minLength": 1, "maxLength": 200},
          "Search: words in the title, description and comments (Swedish stemming), or a case number "
          "(`#12` or `12`); answers the best matches first, among every case you may see (the queue "
          "filters apply, `queue` does not), a page at a time like a queue: pass the `next_cursor` with "
          "the same `q` and filters. A case whose rank moves while you page (others edited meanwhile) may "
          "show twice or not at all."),
)


def _filters(workflow: str | None, state: str | None, focus_area: str | None, group: str | None,
             due_before: dt.date | None, due_after: dt.date | None) -> QueueFilter:
    tz = eng().tz
    gid = None
    if group is not None:
        gid = group_ids(eng()).get(group)
        if gid is None:
            raise ValidationError("group", f"Unknown group {group!r}; use a group key, e.g. "
                                           f"{', '.join(sorted(group_ids(eng()))[:3])}.")
    if workflow is not None and workflow not in eng().registry.current:
        raise ValidationError("workflow", f"Unknown workflow {workflow!r}; GET /api/v1/workflows lists them.")
    return QueueFilter(
        workflow=workflow, state=state, focus_area=focus_area, group_id=gid,
        due_before=start_of_day(due_before, tz) if due_before else None,
        due_after=start_of_day(due_after, tz) if due_after else None,
    )


@endpoint("GET", "/cases", summary="List a queue, soonest due first, one page at a time.", params=_LIST_PARAMS,
          response=ref("CasePage"))
def list_cases(queue: str, workflow: str | None, state: str | None, focus_area: str | None, group: str | None,
               due_before: dt.date | None, due_after: dt.date | None, limit: int,
               cursor: str | None, q: str | None) -> dict[str, Any]:
    """A page of the queue, in the same order as the web interface's; or the best matches of a search."""
    filters = _filters(workflow, state, focus_area, group, due_before, due_after)
    if q is not None:
        items, following = search_after(eng(), caller(), q, filters=filters, limit=limit, cursor=cursor, now=now())
        return {"items": items, "next_cursor": following}
    items, following = queue_page(eng(), caller(), queue, filters=filters, limit=limit, cursor=cursor, now=now())
    return {"items": items, "next_cursor": following}


@endpoint("GET", "/cases/{case_id}", summary="One case with its history and the triggers you may fire.",
          params=(_CASE_ID,), response=ref("Case"))
def show_case(case_id: int) -> CaseView:
    """The case, or 404 if it does not exist or is confidential to others."""
    return get_case(eng(), case_id, caller(), now=now())


_OPEN_BODY = {
    "type": "object", "additionalProperties": False, "required": ["workflow", "title"],
    "properties": {
        "workflow": {**_NAME, "description": "The workflow key (GET /api/v1/workflows)."},
        "title": {"type": "string", "minLength": 1, "maxLength": 200},
        "group": {**_NAME, "description": "The owning group's key; default: your first group."},
        "description": _TEXT,
        "focus_area": nullable(_NAME),
        "priority": {"type": "string", "enum": list(casework.PRIORITIES), "default": "normal"},
        "assignee": nullable({**_NAME, "description": "User name of the case officer."}),
        "confidential": {"type": "boolean", "default": False},
        "parent_id": nullable(ID),
        "due": nullable({"type": "string", "format": "date", "description": "Due date (YYYY-MM-DD)."}),
        "event_at": nullable({"type": "string", "format": "date-time",
                              "description": "When the meeting or review takes place (with offset)."}),
    },
}


def _event_at(raw: str | None) -> dt.datetime | None:
    if raw is None:
        return None
    try:
        value = dt.datetime.fromisoformat(raw)
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise ValidationError("event_at", "Write event_at as a date-time with offset, e.g. 2027-03-01T18:00:00+01:00.")
    return to_utc(value, "event_at")


def _open_request(body: dict[str, Any]) -> casework.OpenRequest:
    if body["workflow"] not in eng().registry.current:
        raise ValidationError("workflow", f"Unknown workflow {body['workflow']!r}; GET /api/v1/workflows lists them.")
    due = body.get("due")
    return casework.OpenRequest(
        workflow=body["workflow"], title=body["title"], group=body.get("group"),
        description=body.get("description", ""), focus_area=body.get("focus_area"),
        priority=body.get("priority", "normal"), assignee=body.get("assignee"),
        confidential=body.get("confidential", False), parent_id=body.get("parent_id"),
        due=dt.date.fromisoformat(due) if due else None, event_at=_event_at(body.get("event_at")),
    )


@endpoint("POST", "/cases", summary="Open a case.", body=_OPEN_BODY, status=201, errors=(403,),
          response={"oneOf": [ref("Case"), ref("CaseReceipt")]})
def open_case(body: dict[str, Any]) -> tuple[CaseView | dict[str, Any], dict[str, str]]:
    """Open the case and answer with it as the caller now sees it, or, when the caller may not see it
    (confidential, for another group), with a receipt saying what was created and where it went."""
    req = _open_request(body)
    try:
        case = casework.open_case(eng(), req, caller(), now=now())
    except NotFound as exc:  # the parent case: a field of the body, not this URL
        raise ValidationError("parent_id", str(exc)) from None
    assert case.id is not None
    try:
        return get_case(eng(), case.id, caller(), now=now()), {"Location": f"/api/v1/cases/{case.id}"}
    except NotFound:
        return {"id": case.id, "workflow": case.workflow, "group": req.group or "", "confidential": True,
                "visible": False, "detail": f"Case {case.id} was opened for group {req.group}. It is confidential, "
                                            "so only that group, its case officer and the chair can see it; do not "
                                            "open it again."}, {}


_FIRE_BODY = {
    "type": "object", "additionalProperties": False, "required": ["trigger", "expected_version"],
    "properties": {
        "trigger": {**_NAME, "description": "One of the case's allowed_triggers."},
        "comment": nullable(_TEXT),
        "expected_version": {**VERSION, "description": "The case's version you read; 409 if it changed."},
    },
}


@endpoint("POST", "/cases/{case_id}/fire", summary="Fire a trigger (take an action) on a case.",
          params=(_CASE_ID,), body=_FIRE_BODY, response=ref("Case"), errors=(403, 409))
def fire_trigger(case_id: int, body: dict[str, Any]) -> CaseView:
    """Fire, then answer with the case as it is now."""
    fire(eng(), case_id, body["trigger"], caller(), comment=(body.get("comment") or "").strip() or None,
         expected_version=body["expected_version"], now=now())
    return get_case(eng(), case_id, caller(), now=now())


_ASSIGN_BODY = {
    "type": "object", "additionalProperties": False, "required": ["expected_version"],
    "properties": {
        "user": {**_NAME, "description": "Give the case to this person (or give `group`)."},
        "group": {**_NAME, "description": "Hand the case to this group, unassigned (or give `user`)."},
        "expected_version": VERSION,
    },
}


@endpoint("POST", "/cases/{case_id}/assign", summary="Assign a case to a person, or hand it to another group.",
          params=(_CASE_ID,), body=_ASSIGN_BODY, response=ref("Case"), errors=(403, 409))
def assign_case(case_id: int, body: dict[str, Any]) -> CaseView:
    """Assign, then answer with the case as it is now."""
    user, group = body.get("user"), body.get("group")
    if (user is None) == (group is None):
        raise ValidationError("user", "Give either `user` or `group`, not both or neither.")
    try:
        casework.assign(eng(), case_id, caller(), user=user, group=group,
                        expected_version=body["expected_version"], now=now())
    except ValidationError as exc:
        raise ValidationError("user" if user is not None else "group", str(exc)) from None
    return get_case(eng(), case_id, caller(), now=now())


_COMMENT_BODY = {
    "type": "object", "additionalProperties": False, "required": ["body"],
    "properties": {"body": {"type": "string", "minLength": 1, "maxLength": 10_000}},
}


@endpoint("POST", "/cases/{case_id}/comments", summary="Comment on a case.", params=(_CASE_ID,),
          body=_COMMENT_BODY, response=ref("Comment"), status=201, errors=(403,))
def add_comment(case_id: int, body: dict[str, Any]) -> dict[str, Any]:
    """Add the comment and answer with it."""
    try:
        row = casework.comment(eng(), case_id, caller(), body["body"], now=now())
    except ValidationError as exc:
        raise ValidationError("body", str(exc)) from None
    return dict(comment_of(eng(), row))


_EDIT_BODY = {
    "type": "object", "additionalProperties": False, "required": ["expected_version"],
    "properties": {
        "title": {"type": "string", "minLength": 1, "maxLength": 200},
        "description": _TEXT,
        "priority": {"type": "string", "enum": list(casework.PRIORITIES)},
        "focus_area": {**nullable(_NAME), "description": "A focus area key; null clears it."},
        "due": {"type": "string", "format": "date", "description": "New due date (YYYY-MM-DD); needs `reason`."},
        "event_at": {"type": "string", "format": "date-time",
                     "description": "New time of the meeting or review (with offset); needs `reason`."},
        "group": {**_NAME, "description": "Move the case to this group; nobody holds it there."},
        "reason": {**_TEXT, "description": "Why a date moves, e.g. \"nytt beslut i KSAU\"; shown in the history."},
        "expected_version": {**VERSION, "description": "The case's version you read; 409 if it changed."},
    },
}


@endpoint("PATCH", "/cases/{case_id}", summary="Change fields of a case; each change is a row in its history.",
          params=(_CASE_ID,), body=_EDIT_BODY, response=ref("Case"), errors=(403, 409))
def edit_case(case_id: int, body: dict[str, Any]) -> CaseView:
    """Edit, then answer with the case as it is now (422 names a wrong field, 409 a stale version)."""
    focus = (body["focus_area"] or "") if "focus_area" in body else None
    due = body.get("due")
    req = editing.Edit(title=body.get("title"), description=body.get("description"), priority=body.get("priority"),
                       focus_area=focus, due=dt.date.fromisoformat(due) if due else None,
                       event_at=_event_at(body.get("event_at")), group=body.get("group"), reason=body.get("reason"))
    editing.edit(eng(), case_id, caller(), req, expected_version=body["expected_version"], now=now())
    return get_case(eng(), case_id, caller(), now=now())


_UNASSIGN_BODY = {
    "type": "object", "additionalProperties": False, "required": ["expected_version"],
    "properties": {"expected_version": VERSION},
}


@endpoint("POST", "/cases/{case_id}/unassign", summary="Give a case back, so that nobody holds it.",
          params=(_CASE_ID,), body=_UNASSIGN_BODY, response=ref("Case"), errors=(403, 409))
def unassign_case(case_id: int, body: dict[str, Any]) -> CaseView:
    """Give back, then answer with the case as it is now."""
    editing.unassign(eng(), case_id, caller(), expected_version=body["expected_version"], now=now())
    return get_case(eng(), case_id, caller(), now=now())
