"""The chair's weekly digest of overdue cases, grouped by group and focus area."""

from __future__ import annotations

import datetime as dt
from itertools import groupby
from typing import Any

from engine.outbox import notices as outbox
from engine.runtime.engine import Engine
from engine.schedule.recurring import lock_mark

__all__ = ["enqueue_weekly_digests"]


def _sections(eng: Engine, cases: list[outbox.CaseBrief]) -> list[dict[str, Any]]:
    groups = {g.key: g for g in eng.config.groups}
    areas = {f.key: f for f in eng.config.focus_areas}
    out = []
    for (gkey, focus), items in groupby(cases, key=lambda c: (c.group_key, c.focus_area)):
        g, f = groups.get(gkey), areas.get(focus or "")
        out.append({
            "group": {"sv": g.sv if g else gkey, "en": g.en if g else gkey},
            "focus": {"sv": f.sv, "en": f.en} if f else None,
            "items": [{"case_id": c.id} if c.confidential else
                      {"case_id": c.id, "title": c.title, "due_at": c.due_at.isoformat() if c.due_at else None}
                      for c in items],
        })
    return out


def enqueue_weekly_digests(eng: Engine, now: dt.datetime) -> int:
    """Queue one digest per chair for the ISO week once its time has come; returns how many.

    Its time is the configured weekday at the digest hour (local time). The first delivery
    run at or after that time handles the week, so a deliverer that was down then still sends
    it when it comes back; a mark records the week as handled even when nothing was overdue,
    so cases that fall overdue later in the week wait for the next week's digest.
    """
    weekday = eng.config.notifications.weekly_digest_weekday
    local = now.astimezone(eng.tz)
    if weekday == 0 or local.isoweekday() < weekday:
        return 0
    digest_day = local.date() - dt.timedelta(days=local.isoweekday() - weekday)
    digest_at = dt.datetime.combine(digest_day, dt.time(eng.config.notifications.digest_hour), tzinfo=eng.tz)
    if local < digest_at:
        return 0
    year, week, _ = local.isocalendar()
    made = 0
    with eng.db.write() as session:
        mark = lock_mark(session, "notifications:weekly_digest", dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
        if mark.last_at >= digest_at:
            return 0  # this week's digest was handled by an earlier run
        mark.last_at = digest_at.astimezone(dt.UTC)
        session.add(mark)
        cases = outbox.overdue_cases(session, now)
        by_agreement: dict[int | None, list[outbox.CaseBrief]] = {}
        for c in cases:
            by_agreement.setdefault(c.agreement_id, []).append(c)
        for agreement_id, items in sorted(by_agreement.items(), key=lambda kv: kv[0] or 0):
            payload = {"count": len(items), "week": f"{year}-W{week:02d}", "sections": _sections(eng, items)}
            for uid in outbox.user_ids_with_role(session, "chair", agreement_id):
                made += outbox.enqueue(session, key=f"weekly_digest:{year}-W{week:02d}:{agreement_id}:{uid}",
                                       kind="weekly_digest", case_id=None, recipient_id=uid, payload=payload,
                                       now=now, deliver_at=now)
    return made
