"""Deployment configuration: config.toml read once into frozen, typed objects."""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.config_read import Reader, check_references, read_agreement, read_labelled, read_mail
from engine.errors import ConfigError

__all__ = [
    "AgreementConfig",
    "Config",
    "Labelled",
    "MailConfig",
    "NotificationsConfig",
    "ObligationConfig",
    "RecurringConfig",
    "load_config",
    "default_config_path",
]


@dataclass(frozen=True)
class Labelled:
    """A key with a Swedish and an English label (groups, roles, focus areas)."""

    key: str
    sv: str
    en: str

    def label(self, language: str) -> str:
        """The label in `language`, Swedish unless English is asked for."""
        return self.en if language == "en" else self.sv


@dataclass(frozen=True)
class MailConfig:
    host: str = "127.0.0.1"
    port: int = 25
    security: str = "none"
    # CA bundle (PEM) that signs the server's certificate, for "starttls"/"ssl" with a private CA;
    # empty: the system's trusted CAs. Read relative to the config file.
    ca_file: str = ""
    user: str = ""
    password_env: str = "SAMVERKAN_SMTP_PASSWORD"
    from_address: str = "samverkan@localhost"
    base_url: str = "http://127.0.0.1:5000"
    # Delivery attempts before a notice is marked failed, and the first retry's delay
    # (doubled after each further failure).
    max_attempts: int = 8
    backoff_seconds: int = 60


@dataclass(frozen=True)
class NotificationsConfig:
    """Who is told what beyond roles, and when digests go out (local time)."""

    # User name of the chief administrative officer (kanslichef), told about renewals.
    chief_administrative_officer: str = ""
    # Local hour at which daily digests are sent.
    digest_hour: int = 7
    # ISO weekday (1 = Monday) of the chair's weekly digest of overdue cases; 0 = never.
    weekly_digest_weekday: int = 1


@dataclass(frozen=True)
class RecurringConfig:
    """One recurring obligation: a workflow opened on a cron schedule."""

    key: str
    workflow: str
    schedule: str
    group: str
    title: str
    lead_days: int = 0
    due_days: int | None = None
    focus_area: str | None = None
    # An occurrence on a weekend or Swedish public holiday moves to the next working day
    # ("next_working_day", the default) or stays ("keep").
    on_holiday: str = "next_working_day"

    def title_for(self, occurrence_local: dt.datetime) -> str:
        """The title with {year}, {month} and {date} filled in for one occurrence."""
        return self.title.format(year=occurrence_local.year, month=f"{occurrence_local.month:02d}",
                                 date=occurrence_local.date().isoformat())


@dataclass(frozen=True)
class ObligationConfig:
    """Something the agreement requires each period, counted from the transition log.

    A case of `workflow` entering one of `states` counts. `required` is a fixed number,
    or, with `required_state`, the number of cases of the workflow that entered that
    state (e.g. citizen information after each review held). `count = "of_period"`
    counts the cases that belong to the period (the renewal) rather than transitions
    made during it (meetings held).
    """

    key: str
    sv: str
    en: str
    workflow: str
    states: tuple[str, ...]
    required: int | None = None
    required_state: str | None = None
    count: str = "in_period"

    def label(self, language: str) -> str:
        """The label in `language`."""
        return self.en if language == "en" else self.sv


@dataclass(frozen=True)
class AgreementConfig:
    """One agreement followed by the deployment, with its own groups and obligations."""

    key: str
    title: str
    parties: tuple[str, ...]
    start: dt.date
    period_months: int
    renewal_lead_days: int
    renewal_reminder_days: tuple[int, ...]
    renewal_workflow: str = "agreement_renewal"
    renewal_group: str = "trygghetsgruppen"
    renewed_states: tuple[str, ...] = ("extended", "revised")
    groups: tuple[Labelled, ...] = ()
    recurring: tuple[RecurringConfig, ...] = ()
    obligations: tuple[ObligationConfig, ...] = ()

    @property
    def group_keys(self) -> frozenset[str]:
        """Keys of this agreement's groups."""
        return frozenset(g.key for g in self.groups)


@dataclass(frozen=True)
class Config:
    path: Path
    database_url: str
    timezone: str
    language: str
    workflows_dir: Path
    agreements: tuple[AgreementConfig, ...]  # the default ([agreement]) first
    roles: tuple[Labelled, ...]
    focus_areas: tuple[Labelled, ...]
    mail: MailConfig
    notifications: NotificationsConfig = field(default_factory=NotificationsConfig)

    @property
    def agreement(self) -> AgreementConfig:
        """The default agreement (the `[agreement]` table)."""
        return self.agreements[0]

    def agreement_by_key(self, key: str) -> AgreementConfig:
        """The agreement `key`; KeyError if it is not configured."""
        for a in self.agreements:
            if a.key == key:
                return a
        raise KeyError(key)

    @property
    def groups(self) -> tuple[Labelled, ...]:
        """Every group of every agreement."""
        return tuple(g for a in self.agreements for g in a.groups)

    @property
    def tz(self) -> ZoneInfo:
        """The deployment's time zone."""
        return ZoneInfo(self.timezone)

    @property
    def role_keys(self) -> frozenset[str]:
        """Keys of the configured roles."""
        return frozenset(r.key for r in self.roles)

    @property
    def group_keys(self) -> frozenset[str]:
        """Keys of every agreement's groups."""
        return frozenset(g.key for g in self.groups)

    @property
    def focus_area_keys(self) -> frozenset[str]:
        """Keys of the configured focus areas."""
        return frozenset(f.key for f in self.focus_areas)


def default_config_path() -> Path:
    """SAMVERKAN_CONFIG if set, else ./config.toml."""
    return Path(os.environ.get("SAMVERKAN_CONFIG", "config.toml"))


def _database_url(path: Path, url: str) -> str:
    # A relative SQLite path is relative to the config file, so `make run` from
    # anywhere uses the same var/ folder.
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and url != "sqlite://":
        rel = url[len(prefix):]
        if rel and rel != ":memory:":
            return prefix + str((path.parent / rel).resolve())
    return url


def _notifications(r: Reader) -> NotificationsConfig:
    r.check_unknown(set(NotificationsConfig.__dataclass_fields__))
    hour = r.get("digest_hour", int, 7)
    if not 0 <= hour <= 23:
        raise r.err("digest_hour", "expected an hour from 0 to 23")
    weekday = r.get("weekly_digest_weekday", int, 1)
    if not 0 <= weekday <= 7:
        raise r.err("weekly_digest_weekday", "expected 1 (Monday) to 7 (Sunday), or 0 for never")
    return NotificationsConfig(r.get("chief_administrative_officer", str, ""), hour, weekday)


def load_config(path: str | Path | None = None, **overrides: Any) -> Config:
    """Read and check config.toml; `overrides` replace top-level Config fields (tests)."""
    p = Path(path) if path is not None else default_config_path()
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(str(p), "(file)", "not found; pass --config PATH or set SAMVERKAN_CONFIG") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(p), "(syntax)", str(exc)) from None
    r = Reader(p, raw)
    r.check_unknown({"timezone", "language", "workflows_dir", "database", "agreement", "agreements",
                     "roles", "groups", "focus_areas", "mail", "recurring", "obligations", "notifications"})
    tz = r.get("timezone", str, "Europe/Stockholm")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise r.err("timezone", f"unknown time zone {tz!r}; use an IANA name like Europe/Stockholm") from None
    language = r.get("language", str, "sv")
    if language not in ("sv", "en"):
        raise r.err("language", f"expected \"sv\" or \"en\", got {language!r}")
    db = r.table("database")
    db.check_unknown({"url"})
    default = read_agreement(r.table("agreement"), r)
    extra = [read_agreement(t, t) for t in r.tables("agreements")]
    # SAMVERKAN_DATABASE_URL overrides [database] url, so one config file serves every process
    # of a deployment and the password need not be written in it.
    url = os.environ.get("SAMVERKAN_DATABASE_URL") or db.get("url", str)
    cfg = Config(
        path=p.resolve(),
        database_url=_database_url(p.resolve(), url),
        timezone=tz,
        language=language,
        workflows_dir=(p.resolve().parent / r.get("workflows_dir", str, "workflows")),
        agreements=(default, *extra),
        roles=tuple(read_labelled(t) for t in r.tables("roles")),
        focus_areas=tuple(read_labelled(t) for t in r.tables("focus_areas")),
        mail=read_mail(r),
        notifications=_notifications(r.table("notifications") if "notifications" in raw
                                     else Reader(p, {}, "notifications.")),
    )
    check_references(r, cfg)
    if overrides:
        cfg = replace(cfg, **overrides)
    return cfg
