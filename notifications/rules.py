"""Who is told what: listeners on the engine's events that write notices to the outbox.

Each listener runs inside the transaction of the change, so a notice exists exactly when
the change does. Idempotency keys name the cause and the recipient, so an event seen twice
(a retried tick, a replayed deadline) makes no second notice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlmodel import Session

from engine.cases import deadlines, waiting, watchers
from engine.kernel.events import (
    Assigned,
    CaseOpened,
    Commented,
    DeadlineEvent,
    DeadlineReminder,
    Event,
    PeriodLapsed,
    Reminded,
    Transitioned,
)
from engine.outbox import notices as outbox
from engine.outbox.notices import CaseBrief
from engine.runtime.engine import Engine

__all__ = ["Rules", "case_payload", "next_digest_at"]


def next_digest_at(now: dt.datetime, tz: Any, hour: int) -> dt.datetime:
    """The next daily digest time (`hour`:00 local) strictly after `now`, in UTC."""
    local = now.astimezone(tz)
    at = dt.datetime.combine(local.date(), dt.time(hour), tzinfo=tz)
    if at <= local:
        at = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(hour), tzinfo=tz)
    return at.astimezone(dt.UTC)


def case_payload(brief: CaseBrief, **extra: Any) -> dict[str, Any]:
    """What a message may say about a case; a confidential case gives only its number."""
    payload: dict[str, Any] = {"case_id": brief.id, "workflow": brief.workflow, "confidential": brief.confidential}
    if not brief.confidential:
        payload.update(title=brief.title, state=brief.state, group=brief.group_key, focus_area=brief.focus_area,
                       due_at=brief.due_at.isoformat() if brief.due_at else None)
    payload.update(extra)
    return payload


class Rules:
    """The notice rules for one engine; `install` subscribes them."""

    def __init__(self, eng: Engine) -> None:
        self.eng = eng
        # Asked for every deadline event: one set, not one per event over hundreds of agreements.
        self.renewals = frozenset(a.renewal_workflow for a in eng.config.agreements)

    def install(self) -> None:
        """Subscribe every rule to its event class."""
        listeners = self.eng.listeners
        listeners.subscribe(CaseOpened, self.on_opened)
        listeners.subscribe(Assigned, self.on_assigned)
        listeners.subscribe(DeadlineEvent, self.on_deadline)  # reminders, due and escalations alike
        listeners.subscribe(PeriodLapsed, self.on_period_lapsed)
        listeners.subscribe(Reminded, self.on_manual_reminder)
        listeners.subscribe(Transitioned, self.on_transitioned)
        listeners.subscribe(Commented, self.on_commented)

    # --- recipients -------------------------------------------------------------------

    def _responsible(self, session: Session, brief: CaseBrief) -> list[int]:
        """The assignee, or the owning group's members while nobody (or a disabled account) holds it."""
        if brief.assignee_id is not None and outbox.is_active(session, brief.assignee_id):
            return [brief.assignee_id]
        return outbox.group_member_ids(session, brief.group_id)

    def _renewal_people(self, session: Session, agreement_id: int | None) -> list[int]:
        """The chair, the police representative (of the agreement) and the chief administrative officer."""
        ids = (set(outbox.user_ids_with_role(session, "chair", agreement_id))
               | set(outbox.user_ids_with_role(session, "police", agreement_id)))
        cao = self.eng.config.notifications.chief_administrative_officer
        if cao and (uid := outbox.user_id_by_name(session, cao)) is not None:
            ids.add(uid)
        return sorted(ids)

    def _tell(self, session: Session, event: Event, recipients: Iterable[int], *, kind: str, key: str,
              payload: dict[str, Any], skip_actor: bool = True) -> None:
        ids = set(recipients)
        if skip_actor and event.actor != "system":
            actor_id = outbox.user_id_by_name(session, event.actor, active=False)
            ids.discard(actor_id)
        if not ids:
            return
        cfg = self.eng.config
        daily = next_digest_at(event.at, cfg.tz, cfg.notifications.digest_hour)
        for uid, mode in sorted(outbox.delivery_modes(session, ids).items()):
            outbox.enqueue(session, key=f"{key}:{uid}", kind=kind, case_id=event.case_id, recipient_id=uid,
                           payload=payload, now=event.at, deliver_at=daily if mode == "daily" else event.at)

    # --- rules ------------------------------------------------------------------------

    def on_opened(self, session: Session, event: CaseOpened) -> None:
        """Opened with an assignee: tell them. Opened by a person: tell those it now waits for (an acute
        matter reported tells its group and the Police), and the group when it is another's."""
        assignee = event.assignee_id
        brief = outbox.case_brief(session, event.case_id)
        if brief is None:
            return
        key = f"handover:{brief.id}:{event.at.isoformat()}"
        if assignee is not None:
            self._tell(session, event, [assignee], kind="assigned", key=key,
                       payload=case_payload(brief, actor=event.actor))
            return
        if event.actor == "system":
            return  # recurring openings: the group hears at the reminders, not every month
        self._your_turn(session, event, brief, key)
        members = outbox.group_member_ids(session, brief.group_id)
        if outbox.user_id_by_name(session, event.actor, active=False) in members:
            return  # opened within one's own group: it is in the group's queue already
        self._tell(session, event, members, kind="assigned_group", key=key,
                   payload=case_payload(brief, actor=event.actor))

    def _your_turn(self, session: Session, event: Event, brief: CaseBrief, key: str) -> set[int]:
        """Tell the people the case waits for now that it is their turn; who was told."""
        told = set(waiting.people(session, brief.id))
        what = waiting.views_of(session, [brief.id])[brief.id]
        labels = {lang: ", ".join(w["label"][lang] for w in what) for lang in ("sv", "en")}
        extra = {} if brief.confidential else {"what": labels}  # whom it waits for is a detail too
        self._tell(session, event, told, kind="your_turn", key=key, payload=case_payload(
            brief, actor=outbox.display_name(session, event.actor), **extra))
        return told

    def on_assigned(self, session: Session, event: Assigned) -> None:
        """Assigned to a person: tell them; handed to a group: tell its members."""
        brief = outbox.case_brief(session, event.case_id)
        if brief is None:
            return
        kind = "assigned" if event.assignee_id is not None else "assigned_group"
        # The key of a hand-over, shared with `on_transitioned`: giving an open action to a person also
        # moves it to "assigned", and the person hears of it once.
        self._tell(session, event, self._responsible(session, brief), kind=kind,
                   key=f"handover:{brief.id}:{event.at.isoformat()}", payload=case_payload(brief, actor=event.actor))

    def on_deadline(self, session: Session, event: DeadlineEvent) -> None:
        """Reminders and due to the responsible; escalations to the chair; renewals to the three."""
        brief = outbox.case_brief(session, event.case_id)
        if brief is None:
            return
        step = event.kind
        days_left = event.offset_days
        if event.workflow in self.renewals:
            if not isinstance(event, DeadlineReminder):
                # The renewal is due when the period ends; past that the period has lapsed and
                # `on_period_lapsed` tells the same people once. A "ends today" sent in the last
                # second of the day, or an escalation the morning after, would only repeat it.
                return
            if brief.due_at is not None:  # a reminder moved off a weekend is more days ahead
                tz = self.eng.config.tz
                days_left = (brief.due_at.astimezone(tz).date() - event.due_at.astimezone(tz).date()).days
            recipients = set(self._renewal_people(session, brief.agreement_id))
            if brief.assignee_id is not None:
                recipients.add(brief.assignee_id)
            kind = f"renewal_{step}"
        elif step == "escalation":
            recipients, kind = set(outbox.user_ids_with_role(session, "chair", brief.agreement_id)), "escalation"
            recipients -= self._told_overdue(session, event, recipients)
        else:
            recipients, kind = set(self._responsible(session, brief)), step
        payload = case_payload(brief, offset_days=days_left, step=step)
        if brief.due_at is None and not brief.confidential:
            payload["due_at"] = event.due_at.isoformat()
        self._tell(session, event, recipients, kind=kind, skip_actor=False, payload=payload,
                   key=f"deadline:{event.deadline_id}:{step}")

    def _told_overdue(self, session: Session, event: DeadlineEvent, people: set[int]) -> set[int]:
        """Who of `people` this escalation would tell nothing new about the same due date.

        A chair who is also in the owning group heard "Försenat" as a member: an "Eskalering" of
        the same due date would say it twice. And an earlier escalation written since this one
        was planned (a catch-up after downtime fires the 1- and 7-day escalations together)
        already said it.
        """
        keys: dict[str, int] = {}
        recent: dict[str, int] = {}
        for row_id, kind in deadlines.planned_with(session, event.deadline_id):
            if kind in ("due", "escalation"):
                for uid in people:
                    (keys if kind == "due" else recent)[f"deadline:{row_id}:{kind}:{uid}"] = uid
        told = outbox.existing_keys(session, keys) | outbox.existing_keys(session, recent, since=event.due_at)
        return {keys.get(k) or recent[k] for k in told}

    def on_transitioned(self, session: Session, event: Transitioned) -> None:
        """A hand-over: tell the people the case now waits for that it is their turn (once per hand-over),
        then the case's followers that it changed state (not the one who changed it)."""
        brief = outbox.case_brief(session, event.case_id)
        if brief is None:
            return
        key = f"handover:{brief.id}:{event.at.isoformat()}"  # shared with `on_assigned`: one notice each
        told = self._your_turn(session, event, brief, key) if not event.terminal else set()
        extra = {} if brief.confidential else {"state_label": self._state_label(session, brief)}
        self._tell(session, event, set(watchers.followers(session, brief.id)) - told, kind="case_changed",
                   key=key, payload=case_payload(brief, actor=outbox.display_name(session, event.actor), **extra))

    def on_commented(self, session: Session, event: Commented) -> None:
        """A comment: tell the people it names (`@user`, if they may see the case), then the followers."""
        brief = outbox.case_brief(session, event.case_id)
        if brief is None:
            return
        key = f"comment:{brief.id}:{event.at.isoformat()}"
        named = set(waiting.mentioned(session, brief.id, event.body))
        payload = case_payload(brief, actor=outbox.display_name(session, event.actor))
        self._tell(session, event, named, kind="mentioned", key=key, payload=payload)
        self._tell(session, event, set(watchers.followers(session, brief.id)) - named, kind="commented",
                   key=key, payload=payload)

    def _state_label(self, session: Session, brief: CaseBrief) -> dict[str, str]:
        definition = self.eng.registry.machine(session, brief.workflow, brief.definition_version).definition
        label = definition.states[brief.state].label
        return {"sv": label.sv, "en": label.en}

    def on_period_lapsed(self, session: Session, event: PeriodLapsed) -> None:
        """The agreement period ended unsigned: tell the chair, the police and the kanslichef."""
        payload = {"case_id": event.case_id, "ends_on": event.ends_on.isoformat(), "period_id": event.period_id}
        agreement = outbox.agreement_of_period(session, event.period_id)
        self._tell(session, event, self._renewal_people(session, agreement), kind="period_lapsed", skip_actor=False,
                   key=f"period_lapsed:{event.period_id}", payload=payload)

    def on_manual_reminder(self, session: Session, event: Reminded) -> None:
        """The chair reminds the responsible of a case."""
        brief = outbox.case_brief(session, event.case_id)
        if brief is None:
            return
        day = event.at.astimezone(self.eng.config.tz).date().isoformat()  # a second click that day adds nothing
        self._tell(session, event, self._responsible(session, brief), kind="manual_reminder",
                   key=f"manual_reminder:{brief.id}:{day}",
                   payload=case_payload(brief, actor=outbox.display_name(session, event.actor)))
