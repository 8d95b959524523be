"""The deployment's configuration as frozen, typed objects (read by `engine.config.load`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from zoneinfo import ZoneInfo

__all__ = [
    "AgreementConfig",
    "Config",
    "FilesConfig",
    "Labelled",
    "MailConfig",
    "NotificationsConfig",
    "ObligationConfig",
    "RecurringConfig",
    "WebConfig",
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
class WebConfig:
    """How the web interface meets the network and how long a log-in lasts."""

    # Reverse proxies in front of the web server whose X-Forwarded-For (and -Proto, -Host)
    # are believed; 0: none, the address is the connection's (a forged header counts nothing).
    trusted_proxies: int = 0
    # Hours after logging in that a session ends even if it is in use (then log in again).
    session_max_hours: int = 12


@dataclass(frozen=True)
class FilesConfig:
    """Where attached files are kept and which are accepted."""

    # Folder of the content-addressed files (absolute once loaded; relative to the config file in it).
    dir: Path = Path("var/files")
    # The largest file accepted, in bytes (config.toml gives megabytes).
    max_bytes: int = 25 * 1024 * 1024
    # Kinds of file accepted, recognised by their content: "pdf", "image", "office", "text".
    allowed: tuple[str, ...] = ("pdf", "image", "office", "text")


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
    # Only every N-th year's occurrences open (a lägesbild every second year): the years
    # `from_year`, `from_year + N`, ... (default: the years divisible by N).
    every_years: int = 1
    from_year: int = 0

    def in_year(self, year: int) -> bool:
        """Whether occurrences in `year` open."""
        return year >= self.from_year and (year - self.from_year) % self.every_years == 0

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
    # With required_state: count that state in this workflow instead (a plan per adopted lägesbild).
    required_workflow: str | None = None

    @property
    def requiring_workflow(self) -> str:
        """The workflow whose `required_state` sets how many are required."""
        return self.required_workflow or self.workflow

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
    web: WebConfig = field(default_factory=WebConfig)
    files: FilesConfig = field(default_factory=FilesConfig)

    @property
    def agreement(self) -> AgreementConfig:
        """The default agreement (the `[agreement]` table)."""
        return self.agreements[0]

    @cached_property
    def agreement_keys(self) -> Mapping[str, AgreementConfig]:
        """The agreements by key (every page asks whether a key is one of a national deployment's 290)."""
        return MappingProxyType({a.key: a for a in self.agreements})

    def agreement_by_key(self, key: str) -> AgreementConfig:
        """The agreement `key`; KeyError if it is not configured."""
        return self.agreement_keys[key]

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
