"""Loading config.toml: read once, checked, and turned into a frozen `Config`."""

from __future__ import annotations

import os
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.config.read import (
    Reader,
    check_references,
    read_agreement,
    read_files,
    read_labelled,
    read_mail,
    read_web,
)
from engine.config.settings import Config, NotificationsConfig
from engine.kernel.errors import ConfigError

__all__ = ["default_config_path", "load_config"]


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
                     "roles", "groups", "focus_areas", "mail", "recurring", "obligations", "notifications", "web",
                     "files"})
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
        web=read_web(r),
        files=read_files(r),
    )
    check_references(r, cfg)
    if overrides:
        cfg = replace(cfg, **overrides)
    return cfg
