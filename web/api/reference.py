"""The agreement with its period and obligations, and the workflow definitions, through the API."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from engine.kernel.errors import NotFound, ValidationError
from engine.schedule.obligations import agreement_status
from engine.workflow.definition import Definition
from web.api.routing import Param, caller, endpoint
from web.api.schemas import ref
from web.support import eng, now

__all__: list[str] = []


def _labels(labels: Any) -> dict[str, str]:
    return {"sv": labels.sv, "en": labels.en}


@endpoint("GET", "/agreement", summary="The agreement, its current period and whether each obligation is met.",
          params=(Param("agreement", "query", {"type": "string"}, "The agreement's key; default: the main one."),),
          response=ref("Agreement"), errors=(404,), tag="agreement")
def show_agreement(agreement: str | None) -> dict[str, Any]:
    """What the agreement page shows, as data."""
    config = eng().config
    if agreement is not None and agreement not in {a.key for a in config.agreements}:
        raise ValidationError("agreement", f"Unknown agreement {agreement!r}; known: "
                                           f"{', '.join(a.key for a in config.agreements)}.")
    status = agreement_status(eng(), now(), agreement, viewer=caller())
    if status is None:
        raise NotFound("The agreement has no period yet; run `samverkan init`.")
    return {
        "key": agreement or config.agreement.key, "title": status.title, "parties": status.parties,
        "period": {"number": status.period_number, "starts_on": status.starts_on.isoformat(),
                   "ends_on": status.ends_on.isoformat(), "days_left": status.days_left, "status": status.status},
        "renewal_case_id": status.renewal_case_id, "renewal_state": status.renewal_state,
        "missing_signatures": status.missing_signatures,
        "obligations": [{"key": o.key, "label": {"sv": o.label_sv, "en": o.label_en}, "required": o.required,
                         "done": o.done, "met": o.met, "case_ids": o.case_ids, "expected": o.expected,
                         "pace": o.pace, "open_case_ids": o.open_case_ids} for o in status.obligations],
    }


def _workflow(d: Definition) -> dict[str, Any]:
    return {
        "key": d.key, "version": d.version, "label": _labels(d.label), "description": _labels(d.description),
        "initial": d.initial, "open_roles": sorted(d.open_roles), "system_only": d.system_only,
        "states": [{"key": s.key, "label": _labels(s.label), "terminal": s.terminal,
                    "next": [{"who": n.who, "what": _labels(n.what) if n.what else None} for n in s.next],
                    "deadline": {**asdict(s.deadline), "remind_before_days": list(s.deadline.remind_before_days),
                                 "escalate_after_days": list(s.deadline.escalate_after_days)}
                    if s.deadline else None} for s in d.states.values()],
        "transitions": [{"trigger": t.trigger, "label": _labels(t.label), "sources": list(t.sources),
                         "target": t.target, "roles": sorted(t.roles), "guards": list(t.guards),
                         "comment_required": t.comment_required, "system": t.system,
                         "past": _labels(t.past) if t.past else None, "destructive": t.destructive}
                        for t in d.transitions],
    }


@endpoint("GET", "/workflows", summary="The workflow definitions in force.",
          response={"type": "array", "items": ref("Workflow")}, tag="workflows")
def list_workflows() -> list[dict[str, Any]]:
    """Every workflow, by key."""
    registry = eng().registry
    return [_workflow(registry.current[k]) for k in sorted(registry.current)]


@endpoint("GET", "/workflows/{key}", summary="One workflow definition: states, transitions, deadlines.",
          params=(Param("key", "path", {"type": "string"}, "The workflow's key.", required=True),),
          response=ref("Workflow"), tag="workflows")
def show_workflow(key: str) -> dict[str, Any]:
    """The workflow `key`, or 404."""
    return _workflow(eng().registry.get(key))
