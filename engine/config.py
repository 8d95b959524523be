"""Deployment configuration: config.toml read once into frozen, typed objects."""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.cron import CronError, CronSchedule
from engine.errors import ConfigError

__all__ = [
    "AgreementConfig",
    "Config",
    "Labelled",
    "MailConfig",
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
class AgreementConfig:
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


@dataclass(frozen=True)
class MailConfig:
    host: str = "127.0.0.1"
    port: int = 25
    security: str = "none"
    user: str = ""
    password_env: str = "SAMVERKAN_SMTP_PASSWORD"
    from_address: str = "samverkan@localhost"
    base_url: str = "http://127.0.0.1:5000"


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
class Config:
    path: Path
    database_url: str
    timezone: str
    language: str
    workflows_dir: Path
    agreement: AgreementConfig
    roles: tuple[Labelled, ...]
    groups: tuple[Labelled, ...]
    focus_areas: tuple[Labelled, ...]
    mail: MailConfig
    recurring: tuple[RecurringConfig, ...] = field(default=())
    obligations: tuple[ObligationConfig, ...] = field(default=())

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
        """Keys of the configured groups."""
        return frozenset(g.key for g in self.groups)

    @property
    def focus_area_keys(self) -> frozenset[str]:
        """Keys of the configured focus areas."""
        return frozenset(f.key for f in self.focus_areas)


def default_config_path() -> Path:
    """SAMVERKAN_CONFIG if set, else ./config.toml."""
    return Path(os.environ.get("SAMVERKAN_CONFIG", "config.toml"))


class _Reader:
    """Typed access to one TOML table that names the full key in every error."""

    def __init__(self, path: Path, data: dict[str, Any], prefix: str = "") -> None:
        self.path, self.data, self.prefix = path, data, prefix

    def _err(self, key: str, problem: str) -> ConfigError:
        return ConfigError(str(self.path), f"{self.prefix}{key}", problem)

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        if key not in self.data:
            if default is ...:
                raise self._err(key, "is missing")
            return default
        value = self.data[key]
        if isinstance(value, bool) and kind is int or not isinstance(value, kind):
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            raise self._err(key, f"expected {names}, got {value!r}")
        return value

    def table(self, key: str) -> _Reader:
        return _Reader(self.path, self.get(key, dict), f"{self.prefix}{key}.")

    def tables(self, key: str) -> list[_Reader]:
        items = self.get(key, list, [])
        out = []
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise self._err(f"{key}[{i}]", "expected a table")
            out.append(_Reader(self.path, item, f"{self.prefix}{key}[{i}]."))
        return out

    def check_unknown(self, allowed: set[str]) -> None:
        for key in self.data:
            if key not in allowed:
                raise self._err(key, f"unknown key; expected one of {', '.join(sorted(allowed))}")


def _labelled(r: _Reader) -> Labelled:
    r.check_unknown({"key", "sv", "en"})
    return Labelled(r.get("key", str), r.get("sv", str), r.get("en", str))


def _agreement(r: _Reader) -> AgreementConfig:
    r.check_unknown({"key", "title", "parties", "start", "period_months", "renewal_lead_days",
                     "renewal_reminder_days", "renewal_workflow", "renewal_group", "renewed_states"})
    start = r.get("start", dt.date)
    if isinstance(start, dt.datetime):
        raise r._err("start", "expected a date like 2009-10-15, not a date-time")
    months = r.get("period_months", int)
    if months < 1:
        raise r._err("period_months", "must be at least 1")
    reminders = r.get("renewal_reminder_days", list, [90, 30, 7])
    if not all(isinstance(d, int) and d > 0 for d in reminders):
        raise r._err("renewal_reminder_days", "expected a list of positive whole days")
    return AgreementConfig(
        key=r.get("key", str, "default"),
        title=r.get("title", str),
        parties=tuple(r.get("parties", list, [])),
        start=start,
        period_months=months,
        renewal_lead_days=r.get("renewal_lead_days", int, 120),
        renewal_reminder_days=tuple(sorted(reminders, reverse=True)),
        renewal_workflow=r.get("renewal_workflow", str, "agreement_renewal"),
        renewal_group=r.get("renewal_group", str, "trygghetsgruppen"),
        renewed_states=tuple(r.get("renewed_states", list, ["extended", "revised"])),
    )


def _recurring(r: _Reader) -> RecurringConfig:
    r.check_unknown({"key", "workflow", "schedule", "group", "title", "lead_days", "due_days", "focus_area"})
    schedule = r.get("schedule", str)
    try:
        CronSchedule.parse(schedule)
    except CronError as exc:
        raise r._err("schedule", f"{exc} (e.g. \"0 9 * * mon#1\" = 09:00 on the first Monday)") from None
    title = r.get("title", str)
    try:
        title.format(year=2000, month="01", date="2000-01-01")
    except (KeyError, IndexError, ValueError):
        raise r._err("title", "may use only {year}, {month} and {date} as placeholders") from None
    return RecurringConfig(
        key=r.get("key", str),
        workflow=r.get("workflow", str),
        schedule=schedule,
        group=r.get("group", str),
        title=title,
        lead_days=r.get("lead_days", int, 0),
        due_days=r.get("due_days", int, None),
        focus_area=r.get("focus_area", str, None),
    )


def _obligation(r: _Reader) -> ObligationConfig:
    r.check_unknown({"key", "sv", "en", "workflow", "states", "required", "required_state", "count"})
    states = r.get("states", list)
    if not states or not all(isinstance(x, str) for x in states):
        raise r._err("states", "expected a non-empty list of state keys")
    required, required_state = r.get("required", int, None), r.get("required_state", str, None)
    if (required is None) == (required_state is None):
        raise r._err("required", "give exactly one of required = N or required_state = \"state\"")
    count = r.get("count", str, "in_period")
    if count not in ("in_period", "of_period"):
        raise r._err("count", "expected \"in_period\" or \"of_period\"")
    return ObligationConfig(r.get("key", str), r.get("sv", str), r.get("en", str), r.get("workflow", str),
                            tuple(states), required, required_state, count)


def _database_url(path: Path, url: str) -> str:
    # A relative SQLite path is relative to the config file, so `make run` from
    # anywhere uses the same var/ folder.
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and url != "sqlite://":
        rel = url[len(prefix):]
        if rel and rel != ":memory:":
            return prefix + str((path.parent / rel).resolve())
    return url


def load_config(path: str | Path | None = None, **overrides: Any) -> Config:
    """Read and check config.toml; `overrides` replace top-level Config fields (tests)."""
    p = Path(path) if path is not None else default_config_path()
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(str(p), "(file)", "not found; pass --config PATH or set SAMVERKAN_CONFIG") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(p), "(syntax)", str(exc)) from None
    r = _Reader(p, raw)
    r.check_unknown({"timezone", "language", "workflows_dir", "database", "agreement",
                     "roles", "groups", "focus_areas", "mail", "recurring", "obligations"})
    tz = r.get("timezone", str, "Europe/Stockholm")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise r._err("timezone", f"unknown time zone {tz!r}; use an IANA name like Europe/Stockholm") from None
    language = r.get("language", str, "sv")
    if language not in ("sv", "en"):
        raise r._err("language", f"expected \"sv\" or \"en\", got {language!r}")
    db = r.table("database")
    db.check_unknown({"url"})
    mail = r.table("mail") if "mail" in raw else _Reader(p, {}, "mail.")
    mail.check_unknown({f for f in MailConfig.__dataclass_fields__})
    if mail.get("security", str, "none") not in ("none", "starttls", "ssl"):
        raise mail._err("security", "expected \"none\", \"starttls\" or \"ssl\"")
    cfg = Config(
        path=p.resolve(),
        database_url=_database_url(p.resolve(), db.get("url", str)),
        timezone=tz,
        language=language,
        workflows_dir=(p.resolve().parent / r.get("workflows_dir", str, "workflows")),
        agreement=_agreement(r.table("agreement")),
        roles=tuple(_labelled(t) for t in r.tables("roles")),
        groups=tuple(_labelled(t) for t in r.tables("groups")),
        focus_areas=tuple(_labelled(t) for t in r.tables("focus_areas")),
        mail=MailConfig(**{k: mail.get(k, type(v)) for k, v in mail.data.items()}),
        recurring=tuple(_recurring(t) for t in r.tables("recurring")),
        obligations=tuple(_obligation(t) for t in r.tables("obligations")),
    )
    _check_references(r, cfg)
    if overrides:
        from dataclasses import replace
        cfg = replace(cfg, **overrides)
    return cfg


def _check_references(r: _Reader, cfg: Config) -> None:
    groups = ", ".join(sorted(cfg.group_keys))
    for i, rec in enumerate(cfg.recurring):
        if rec.group not in cfg.group_keys:
            raise r._err(f"recurring[{i}].group", f"unknown group {rec.group!r}; expected one of {groups}")
        if rec.focus_area is not None and rec.focus_area not in cfg.focus_area_keys:
            raise r._err(f"recurring[{i}].focus_area", f"unknown focus area {rec.focus_area!r}")
        if len({x.key for x in cfg.recurring[: i + 1]}) != i + 1:
            raise r._err(f"recurring[{i}].key", f"duplicate key {rec.key!r}")
    if cfg.agreement.renewal_group not in cfg.group_keys:
        raise r._err("agreement.renewal_group", f"unknown group {cfg.agreement.renewal_group!r}; "
                     f"expected one of {groups}")
    for name, items in (("roles", cfg.roles), ("groups", cfg.groups), ("focus_areas", cfg.focus_areas)):
        seen: set[str] = set()
        for i, item in enumerate(items):
            if item.key in seen:
                raise r._err(f"{name}[{i}].key", f"duplicate key {item.key!r}")
            seen.add(item.key)
