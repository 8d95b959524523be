"""Reading config.toml: typed access that names the full key in every error, and the sections."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from engine.config.settings import (
    AgreementConfig,
    Config,
    FilesConfig,
    Labelled,
    MailConfig,
    ObligationConfig,
    RecurringConfig,
    WebConfig,
)
from engine.kernel.cron import CronError, CronSchedule
from engine.kernel.errors import ConfigError
from engine.kernel.filetypes import KINDS

__all__ = ["Reader", "check_references", "read_agreement", "read_files", "read_labelled", "read_mail", "read_web"]


class Reader:
    """Typed access to one TOML table that names the full key in every error."""

    def __init__(self, path: Path, data: dict[str, Any], prefix: str = "") -> None:
        self.path, self.data, self.prefix = path, data, prefix

    def err(self, key: str, problem: str) -> ConfigError:
        return ConfigError(str(self.path), f"{self.prefix}{key}", problem)

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        if key not in self.data:
            if default is ...:
                raise self.err(key, "is missing")
            return default
        value = self.data[key]
        if isinstance(value, bool) and kind is int or not isinstance(value, kind):
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            raise self.err(key, f"expected {names}, got {value!r}")
        return value

    def table(self, key: str) -> Reader:
        return Reader(self.path, self.get(key, dict), f"{self.prefix}{key}.")

    def tables(self, key: str) -> list[Reader]:
        items = self.get(key, list, [])
        out = []
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise self.err(f"{key}[{i}]", "expected a table")
            out.append(Reader(self.path, item, f"{self.prefix}{key}[{i}]."))
        return out

    def check_unknown(self, allowed: set[str]) -> None:
        for key in self.data:
            if key not in allowed:
                raise self.err(key, f"unknown key; expected one of {', '.join(sorted(allowed))}")


def read_labelled(r: Reader) -> Labelled:
    """A key with sv and en labels."""

    r.check_unknown({"key", "sv", "en"})
    return Labelled(r.get("key", str), r.get("sv", str), r.get("en", str))


def read_mail(r: Reader) -> MailConfig:
    """The [mail] table (all keys optional)."""

    mail = r.table("mail") if "mail" in r.data else Reader(r.path, {}, "mail.")
    mail.check_unknown(set(MailConfig.__dataclass_fields__))
    if mail.get("security", str, "none") not in ("none", "starttls", "ssl"):
        raise mail.err("security", "expected \"none\", \"starttls\" or \"ssl\"")
    for key in ("max_attempts", "backoff_seconds"):
        if mail.get(key, int, 1) < 1:
            raise mail.err(key, "must be at least 1")
    defaults = MailConfig()
    values = {k: mail.get(k, type(getattr(defaults, k))) for k in mail.data}
    if values.get("ca_file"):
        ca_file = r.path.resolve().parent / values["ca_file"]  # an absolute path stays as it is
        if not ca_file.is_file():
            raise mail.err("ca_file", f"file {str(ca_file)!r} not found; give the path of a PEM CA bundle, or \"\"")
        values["ca_file"] = str(ca_file)
    return MailConfig(**values)


def read_web(r: Reader) -> WebConfig:
    """The [web] table (all keys optional)."""
    web = r.table("web") if "web" in r.data else Reader(r.path, {}, "web.")
    web.check_unknown(set(WebConfig.__dataclass_fields__))
    proxies = web.get("trusted_proxies", int, 0)
    if not 0 <= proxies <= 5:
        raise web.err("trusted_proxies", "expected the number of reverse proxies in front of the web server, "
                                         "0 to 5 (0 when browsers connect directly)")
    hours = web.get("session_max_hours", int, 12)
    if not 1 <= hours <= 168:
        raise web.err("session_max_hours", "expected 1 to 168 hours (a week)")
    return WebConfig(trusted_proxies=proxies, session_max_hours=hours)


def read_files(r: Reader) -> FilesConfig:
    """The [files] table (all keys optional): the folder relative to the config file, limits in megabytes."""
    files = r.table("files") if "files" in r.data else Reader(r.path, {}, "files.")
    files.check_unknown({"dir", "max_size_mb", "allowed"})
    folder = files.get("dir", str, "var/files")
    if not folder.strip():
        raise files.err("dir", "expected the folder where attached files are kept, e.g. \"var/files\"")
    size = files.get("max_size_mb", (int, float), 25)
    if isinstance(size, bool) or not 0 < size <= 2048:
        raise files.err("max_size_mb", "expected the largest file in megabytes, more than 0 and at most 2048")
    allowed = files.get("allowed", list, list(KINDS))
    unknown = [k for k in allowed if k not in KINDS]
    if unknown or not allowed:
        raise files.err("allowed", f"expected a non-empty list of {', '.join(repr(k) for k in KINDS)}")
    return FilesConfig(dir=r.path.resolve().parent / folder,  # an absolute path stays as it is
                       max_bytes=int(size * 1024 * 1024), allowed=tuple(dict.fromkeys(allowed)))


def read_agreement(r: Reader, parts: Reader) -> AgreementConfig:
    """An agreement; its groups, recurring obligations and obligations are read from `parts`."""

    nested = {"groups", "recurring", "obligations"} if parts is r else set()
    r.check_unknown({"key", "title", "parties", "start", "period_months", "renewal_lead_days",
                     "renewal_reminder_days", "renewal_workflow", "renewal_group", "renewed_states"} | nested)
    start = r.get("start", dt.date)
    if isinstance(start, dt.datetime):
        raise r.err("start", "expected a date like 2009-10-15, not a date-time")
    months = r.get("period_months", int)
    if months < 1:
        raise r.err("period_months", "must be at least 1")
    reminders = r.get("renewal_reminder_days", list, [90, 30, 7])
    if not all(isinstance(d, int) and d > 0 for d in reminders):
        raise r.err("renewal_reminder_days", "expected a list of positive whole days")
    renewed = r.get("renewed_states", list, ["extended", "revised"])
    if not renewed or not all(isinstance(s, str) for s in renewed):
        raise r.err("renewed_states", "expected a non-empty list of the renewal workflow's end states")
    return AgreementConfig(
        key=r.get("key", str, "default"),
        title=r.get("title", str),
        parties=tuple(r.get("parties", list, [])),
        start=start,
        period_months=months,
        renewal_lead_days=r.get("renewal_lead_days", int, 120),
        renewal_reminder_days=tuple(sorted(reminders, reverse=True)),
        renewal_workflow=r.get("renewal_workflow", str, "agreement_renewal"),
        renewal_group=r.get("renewal_group", str),
        renewed_states=tuple(renewed),
        groups=tuple(read_labelled(t) for t in parts.tables("groups")),
        recurring=tuple(_recurring(t) for t in parts.tables("recurring")),
        obligations=tuple(_obligation(t) for t in parts.tables("obligations")),
    )


def _recurring(r: Reader) -> RecurringConfig:

    r.check_unknown({"key", "workflow", "schedule", "group", "title", "lead_days", "due_days", "focus_area",
                     "on_holiday", "every_years", "from_year"})
    schedule = r.get("schedule", str)
    try:
        CronSchedule.parse(schedule)
    except CronError as exc:
        raise r.err("schedule", f"{exc} (e.g. \"0 9 * * mon#1\" = 09:00 on the first Monday)") from None
    title = r.get("title", str)
    try:
        title.format(year=2000, month="01", date="2000-01-01")
    except (KeyError, IndexError, ValueError):
        raise r.err("title", "may use only {year}, {month} and {date} as placeholders") from None
    return RecurringConfig(
        key=r.get("key", str), workflow=r.get("workflow", str), schedule=schedule, group=r.get("group", str),
        title=title, lead_days=r.get("lead_days", int, 0), due_days=r.get("due_days", int, None),
        focus_area=r.get("focus_area", str, None), on_holiday=_on_holiday(r),
        every_years=_every_years(r), from_year=r.get("from_year", int, 0),
    )


def _every_years(r: Reader) -> int:
    value: int = r.get("every_years", int, 1)
    if not 1 <= value <= 10:
        raise r.err("every_years", f"expected a whole number of years from 1 to 10, got {value}")
    return value


def _on_holiday(r: Reader) -> str:
    value: str = r.get("on_holiday", str, "next_working_day")
    if value not in ("next_working_day", "keep"):
        raise r.err("on_holiday", f'expected "next_working_day" or "keep", got {value!r}')
    return value


def _obligation(r: Reader) -> ObligationConfig:

    r.check_unknown({"key", "sv", "en", "workflow", "states", "required", "required_state", "required_workflow",
                     "count"})
    states = r.get("states", list)
    if not states or not all(isinstance(x, str) for x in states):
        raise r.err("states", "expected a non-empty list of state keys")
    required, required_state = r.get("required", int, None), r.get("required_state", str, None)
    if (required is None) == (required_state is None):
        raise r.err("required", "give exactly one of required = N or required_state = \"state\"")
    required_workflow = r.get("required_workflow", str, None)
    if required_workflow is not None and required_state is None:
        raise r.err("required_workflow", "goes with required_state: the state of that workflow to count")
    count = r.get("count", str, "in_period")
    if count not in ("in_period", "of_period"):
        raise r.err("count", "expected \"in_period\" or \"of_period\"")
    return ObligationConfig(r.get("key", str), r.get("sv", str), r.get("en", str), r.get("workflow", str),
                            tuple(states), required, required_state, count, required_workflow)


def _unique(r: Reader, where: str, keys: list[str]) -> None:
    seen: set[str] = set()
    for i, key in enumerate(keys):
        if key in seen:
            raise r.err(f"{where}[{i}].key", f"duplicate key {key!r}")
        seen.add(key)


def check_references(r: Reader, cfg: Config) -> None:
    """Keys unique; every group an agreement's recurring obligations and renewal name is its own."""
    _unique(r, "agreements", [a.key for a in cfg.agreements])
    _unique(r, "groups", [g.key for g in cfg.groups])
    _unique(r, "roles", [x.key for x in cfg.roles])
    _unique(r, "focus_areas", [x.key for x in cfg.focus_areas])
    for n, a in enumerate(cfg.agreements):
        where = "" if n == 0 else f"agreements[{n - 1}]."
        groups = ", ".join(sorted(a.group_keys))
        _unique(r, f"{where}recurring", [x.key for x in a.recurring])
        for i, rec in enumerate(a.recurring):
            if rec.group not in a.group_keys:
                raise r.err(f"{where}recurring[{i}].group", f"unknown group {rec.group!r}; expected one of {groups}")
            if rec.focus_area is not None and rec.focus_area not in cfg.focus_area_keys:
                raise r.err(f"{where}recurring[{i}].focus_area", f"unknown focus area {rec.focus_area!r}")
        if a.renewal_group not in a.group_keys:
            prefix = "agreement." if n == 0 else where
            raise r.err(f"{prefix}renewal_group", f"unknown group {a.renewal_group!r}; expected one of {groups}")
