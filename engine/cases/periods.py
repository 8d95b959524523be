"""The agreement and its periods: one year at a time from the configured start."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from engine.config.settings import AgreementConfig, Config
from engine.store.models import Agreement, Group, Period

__all__ = ["add_months", "current_period", "period_bounds", "sync_from_config"]


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` moved by whole months, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise ValueError(day)


def period_bounds(start: dt.date, months: int, number: int) -> tuple[dt.date, dt.date]:
    """[starts_on, ends_on) of period `number` (1-based)."""
    return add_months(start, months * (number - 1)), add_months(start, months * number)


def _number_at(start: dt.date, months: int, today: dt.date) -> int:
    number = max(1, ((today.year - start.year) * 12 + today.month - start.month) // months + 1)
    while period_bounds(start, months, number)[0] > today and number > 1:
        number -= 1
    while period_bounds(start, months, number)[1] <= today:
        number += 1
    return number


def current_period(session: Session, agreement_id: int, now: dt.datetime, tz: ZoneInfo) -> Period | None:
    """The period row that contains today's local date, if one exists."""
    today = now.astimezone(tz).date()
    return session.exec(select(Period).where(
        Period.agreement_id == agreement_id, Period.starts_on <= today, Period.ends_on > today)).first()


def sync_from_config(session: Session, config: Config, now: dt.datetime) -> list[Agreement]:
    """Create or update every configured agreement, its groups and its current period; idempotent."""
    return [_sync_one(session, config, a, now) for a in config.agreements]


def _sync_one(session: Session, config: Config, a: AgreementConfig, now: dt.datetime) -> Agreement:
    agreement = session.exec(select(Agreement).where(Agreement.key == a.key)).first()
    if agreement is None:
        agreement = Agreement(key=a.key, title=a.title, parties=list(a.parties), start_on=a.start,
                              period_months=a.period_months)
    agreement.title, agreement.parties = a.title, list(a.parties)
    agreement.start_on, agreement.period_months = a.start, a.period_months
    session.add(agreement)
    session.flush()
    assert agreement.id is not None
    for g in a.groups:
        group = session.exec(select(Group).where(Group.key == g.key)).first()
        group = group or Group(key=g.key, name_sv="", name_en="")
        group.name_sv, group.name_en, group.agreement_id = g.sv, g.en, agreement.id
        session.add(group)
    # Only the first init places the period in force; after that periods follow renewals.
    if session.exec(select(Period.id).where(Period.agreement_id == agreement.id)).first() is None:
        number = _number_at(a.start, a.period_months, now.astimezone(config.tz).date())
        starts, ends = period_bounds(a.start, a.period_months, number)
        session.add(Period(agreement_id=agreement.id, number=number, starts_on=starts, ends_on=ends))
        session.flush()
    return agreement
