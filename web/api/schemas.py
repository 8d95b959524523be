"""JSON schemas (OpenAPI 3.1 = JSON Schema 2020-12) of what the API sends and accepts."""

from __future__ import annotations

from typing import Any

__all__ = ["COMPONENTS", "ID", "VERSION", "nullable", "ref"]

ID = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
VERSION = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
_STR = {"type": "string"}
_TIME = {"type": "string", "format": "date-time"}
_DATE = {"type": "string", "format": "date"}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` or null."""
    return {"anyOf": [schema, {"type": "null"}]}


def ref(name: str) -> dict[str, Any]:
    """A reference to component `name`."""
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict[str, Any], *, description: str) -> dict[str, Any]:
    return {"type": "object", "description": description, "properties": properties,
            "required": list(properties)}


_LABELS = _object({"sv": _STR, "en": _STR}, description="A text in Swedish and English.")

_SUMMARY_FIELDS: dict[str, Any] = {
    "id": ID, "workflow": _STR, "title": _STR, "state": _STR, "version": VERSION,
    "assignee": nullable(_STR),
    "assignee_name": {**nullable(_STR),
                      "description": "The case officer's display name (the user name where none is set)."},
    "group": nullable(_STR), "focus_area": nullable(_STR),
    "priority": {"type": "string", "enum": ["low", "normal", "high"]}, "confidential": {"type": "boolean"},
    "parent_id": nullable(ID), "opened_at": _TIME, "due_at": nullable(_TIME), "closed_at": nullable(_TIME),
    "overdue": {"type": "boolean"},
    "waiting_for": {"type": "array", "items": {"$ref": "#/components/schemas/Waiting"},
                    "description": "Whom the case waits for now: its state's next actors, minus those who did their "
                                   "part (empty where a list does not read it)."},
}

_DEADLINE = _object({
    "days": nullable({"type": "integer"}), "working_days": nullable({"type": "integer"}),
    "anchor": {"type": "string", "enum": ["entered", "opened", "event", "period_end"]},
    "remind_before_days": {"type": "array", "items": {"type": "integer"}},
    "escalate_after_days": {"type": "array", "items": {"type": "integer"}},
    "timeout_trigger": nullable(_STR),
}, description="When a case in the state is due, and when reminders and escalations go out.")

COMPONENTS: dict[str, Any] = {
    "Problem": {
        "type": "object", "description": "An error (RFC 9457): `detail` says what was wrong and what to do.",
        "properties": {"type": _STR, "title": _STR, "status": {"type": "integer"}, "detail": _STR,
                       "field": {"type": "string", "description": "The parameter or body field at fault."},
                       "current_version": {"type": "integer", "description": "On 409: the case's version now."},
                       "state": {"type": "string", "description": "On a refused trigger: the case's state."}},
        "required": ["type", "title", "status", "detail"],
    },
    "CaseSummary": _object(_SUMMARY_FIELDS, description="A case as queues list it."),
    "CasePage": _object({"items": {"type": "array", "items": ref("CaseSummary")},
                         "next_cursor": nullable(_STR)},
                        description="One page of a queue; pass `next_cursor` as `cursor` for the next."),
    "HistoryEntry": _object({
        "seq": {"type": "integer"}, "trigger": _STR,
        "label": {**nullable(_LABELS), "description": "The trigger's label in the case's definition version; "
                                                      "null for the engine's own @open, @assign, @remind, "
                                                      "@attach, @detach, @edit, @unassign and @judge."},
        "past": {**nullable(_LABELS), "description": "How the history tells it, in the past tense "
                                                     "(\"påbörjade\"); null where the workflow declares none."},
        "from": nullable(_STR), "to": _STR, "actor": _STR,
        "actor_name": {"type": "string", "description": "The actor's name as people read it."},
        "at": _TIME, "comment": nullable(_STR),
        "assignee": {**nullable(_STR), "description": "@assign: the user the case was given to."},
        "assignee_name": nullable(_STR),
        "group": {**nullable(_STR), "description": "@assign: the group the case was handed to."},
        "with_assign": {"type": "boolean", "description": "The step an assignment fired in the same change "
                                                          "(the workflow marks it on_assign)."},
        "field": {**nullable(_STR), "description": "An @edit: the field it changed (title, description, priority, "
                                                   "focus_area, due, event_at, group); else null."},
        "before": {**nullable(_STR), "description": "An @edit: the field's value before (times in UTC)."},
        "after": {**nullable(_STR), "description": "An @edit: the field's value after (times in UTC)."},
    }, description="One row of the case's transition log (@open, @assign, @remind, @edit, @unassign, the "
                   "triggers fired; @attach and @detach, whose comment names the file, its size and its SHA-256; "
                   "an @edit's comment is its reason)."),
    "Action": _object({
        "trigger": _STR, "label": _LABELS, "allowed": {"type": "boolean"},
        "comment_required": {"type": "boolean", "description": "Taking it asks for a comment."},
        "destructive": {"type": "boolean", "description": "It ends or discards the work (cancel, reject)."},
        "on_assign": {"type": "boolean", "description": "Taken by assigning the case to a person."},
        "backward": {"type": "boolean", "description": "It leads back to an earlier state (reopen)."},
        "refusal": nullable(_object({
            "reason": {"type": "string", "enum": ["unknown_trigger", "not_from_here", "role_missing", "guard_unmet"]},
            "message": _STR,
            "roles": {"type": "array", "items": _STR, "description": "role_missing: the roles that may."},
            "guards": {"type": "array", "items": _STR, "description": "guard_unmet: the guards that refuse."},
        }, description="Why the caller cannot take it now.")),
    }, description="A trigger from the case's state, as the caller may or may not take it now."),
    "Comment": _object({"author": _STR, "author_name": _STR, "at": _TIME, "body": _STR,
                        "action": {**nullable(_LABELS), "description": "The step the comment was given with "
                                                                       "(null: a comment of its own)."}},
                       description="A comment on a case, or the comment a step was taken with."),
    "Waiting": _object({
        "kind": {"type": "string", "enum": ["user", "group", "role"]},
        "key": {"type": "string", "description": "The user name, group key or role key."},
        "group": nullable({"type": "string", "description": "For a role held in the owning group: its key."}),
        "label": {"type": "object", "properties": {"sv": {"type": "string"}, "en": {"type": "string"}},
                  "required": ["sv", "en"]},
    }, description="One party a case waits for, e.g. the Police's signature or approval by a group."),
    "CaseReceipt": _object({
        "id": ID, "workflow": _STR, "group": _STR, "confidential": {"const": True}, "visible": {"const": False},
        "detail": _STR,
    }, description="A case the caller opened but may not see: confidential, for a group the caller is not in."),
    "Attachment": _object({
        "id": ID, "name": _STR, "size": {"type": "integer", "minimum": 1},
        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$", "description": "SHA-256 of the content, as "
                   "recorded in the case's signed log."},
        "media_type": {"type": "string", "description": "What the content was found to be (not what its name says)."},
        "uploaded_by": _STR, "uploaded_at": _TIME,
        "removable": {"type": "boolean", "description": "Whether the caller may remove it."},
    }, description="A file on a case; GET .../attachments/{id} downloads it."),
    "Case": _object({
        **_SUMMARY_FIELDS,
        "description": _STR, "definition_version": _STR,
        "workflow_label": _LABELS,
        "state_labels": {"type": "object", "additionalProperties": _LABELS,
                         "description": "State key → label, from the case's definition version."},
        "event_at": nullable(_TIME),
        "data": {"type": "object"},
        "your_roles": {"type": "array", "items": _STR},
        "allowed_triggers": {"type": "array", "items": _STR,
                             "description": "Triggers the caller may fire now."},
        "actions": {"type": "array", "items": ref("Action"),
                    "description": "Every trigger from the case's state: allowed, or why not."},
        "history": {"type": "array", "items": ref("HistoryEntry")},
        "comments": {"type": "array", "items": ref("Comment")},
        "following": {"type": "boolean", "description": "Whether the caller follows the case."},
        "children": {"type": "array", "items": _object(
            {"id": ID, "workflow": _STR, "title": _STR, "state": _STR, "state_label": _LABELS},
            description="A child case.")},
        "attachments": {"type": "array", "items": ref("Attachment"), "description": "The files on the case."},
    }, description="A case with its history, comments and the triggers the caller may fire."),
    "Obligation": _object({
        "key": _STR, "label": _LABELS, "required": {"type": "integer"}, "done": {"type": "integer"},
        "met": {"type": "boolean"}, "case_ids": {"type": "array", "items": ID},
        "expected": {"type": "integer", "description": "How many should be done by today at an even pace."},
        "pace": {"type": "string", "enum": ["met", "on_track", "behind"]},
        "open_case_ids": {"type": "array", "items": ID, "description": "Open cases that would count."},
    }, description="What the agreement requires this period, whether it is met, and whether it is behind."),
    "Agreement": _object({
        "key": _STR, "title": _STR, "parties": {"type": "array", "items": _STR},
        "period": _object({
            "number": {"type": "integer"}, "starts_on": _DATE,
            "ends_on": {**_DATE, "description": "The first day after the period."},
            "days_left": {"type": "integer"},
            "status": {"type": "string", "enum": ["active", "lapsed", "extended", "revised", "terminated"]},
        }, description="The latest agreement period."),
        "renewal_case_id": nullable(ID), "renewal_state": nullable(_STR),
        "missing_signatures": {"type": "array", "items": {"type": "string", "enum": ["municipality", "police"]},
                               "description": "The parties whose signature the open renewal still lacks."},
        "obligations": {"type": "array", "items": ref("Obligation")},
    }, description="The agreement, its current period and the status of its obligations."),
    "Workflow": _object({
        "key": _STR, "version": _STR, "label": _LABELS, "description": _LABELS, "initial": _STR,
        "open_roles": {"type": "array", "items": _STR, "description": "Who may open one (group_member: a member "
                                                                        "of the group it is opened for)."},
        "system_only": {"type": "boolean", "description": "Opened by the engine alone (the schedule, the renewal)."},
        "states": {"type": "array", "items": _object({
            "key": _STR, "label": _LABELS, "terminal": {"type": "boolean"}, "deadline": nullable(_DEADLINE),
            "next": {"type": "array", "description": "Who acts next in this state (its waiting_for, per case).",
                     "items": _object({"who": _STR, "what": nullable(_LABELS)}, description="A next actor.")},
        }, description="A state of the workflow.")},
        "transitions": {"type": "array", "items": _object({
            "trigger": _STR, "label": _LABELS, "sources": {"type": "array", "items": _STR}, "target": _STR,
            "roles": {"type": "array", "items": _STR}, "guards": {"type": "array", "items": _STR},
            "comment_required": {"type": "boolean"},
            "system": {"type": "boolean", "description": "Fired by the system on a deadline."},
            "past": {**nullable(_LABELS), "description": "How the history tells it (\"påbörjade\")."},
            "destructive": {"type": "boolean", "description": "Asks for a confirmation (cancel, terminate, reject)."},
        }, description="A transition: who may fire which trigger from where to where.")},
    }, description="A workflow definition in force."),
}
