"""The `samverkan` command line: the composition root for scripts, cron and operators."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from engine.errors import DefinitionError, EngineError

F = TypeVar("F", bound=Callable[..., Any])


class State:
    """What the commands share: the config path, and the engine built on first use."""

    def __init__(self, config_path: str | None) -> None:
        self.config_path = config_path
        self._engine: Any = None

    @property
    def config(self) -> Any:
        from engine.config import load_config
        return self.engine.config if self._engine else load_config(self.config_path)

    @property
    def engine(self) -> Any:
        if self._engine is None:
            from engine.app import build_engine
            from engine.config import load_config
            from notifications import install
            self._engine = build_engine(load_config(self.config_path))
            install(self._engine)
        return self._engine

    def close(self) -> None:
        """Release the engine's pooled connections when the command ends."""
        if self._engine is not None:
            self._engine.db.dispose()


def friendly(fn: F) -> F:
    """Turn engine errors into one clear line on stderr and exit code 1, never a traceback."""
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except DefinitionError as exc:
            for file, field, problem in exc.problems:
                click.echo(f"{file}: {field}: {problem}", err=True)
            sys.exit(1)
        except EngineError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
        except Exception as exc:
            # A database that is missing, not initialised or unreachable is an operator's
            # problem to fix, not a stack trace to read.
            from sqlalchemy.exc import SQLAlchemyError
            if not isinstance(exc, SQLAlchemyError):
                raise
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            click.echo(f"error: the database cannot be used ({reason}); check [database] url in the "
                       f"config and run `samverkan init`.", err=True)
            sys.exit(1)
    return wrapper  # type: ignore[return-value]


def emit_json(data: Any) -> None:
    """Print `data` as indented JSON (dates as ISO strings)."""
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def parse_time(value: str | None) -> dt.datetime | None:
    """An ISO 8601 time; without an offset it is read in UTC, never in the host's zone."""
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 time like 2027-03-01T08:00:00+01:00") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(dir_okay=False), envvar="SAMVERKAN_CONFIG",
              help="Deployment file (default ./config.toml, or $SAMVERKAN_CONFIG).")
@click.pass_context
def main(ctx: click.Context, config_path: str | None) -> None:
    """Samverkan: follow up the cooperation agreement between the Police and the municipality."""
    ctx.obj = State(config_path)
    ctx.call_on_close(ctx.obj.close)


@main.command()
@click.option("--demo", is_flag=True, help="Also add demo role accounts and cases (printed password).")
@click.option("--create-database", is_flag=True, help="Create the PostgreSQL database first if it is missing.")
@click.pass_obj
@friendly
def init(state: State, demo: bool, create_database: bool) -> None:
    """Create or upgrade the database and load groups and the agreement from the config."""
    from engine.agreements import sync_from_config
    from engine.demo import DEMO_PASSWORD, DEMO_USERS, load_demo
    from engine.schema import ensure_database, upgrade

    if create_database and ensure_database(state.config.database_url):
        click.echo("Database created.")
    eng = state.engine
    upgrade(eng.db)
    now = eng.now()
    with eng.db.write() as session:
        sync_from_config(session, eng.config, now)
        for definition in eng.registry.current.values():
            eng.registry.store(session, definition, now)
    click.echo(f"Database ready: {eng.db.engine.url.render_as_string(hide_password=True)}")
    if demo:
        added = load_demo(eng, now)
        click.echo("Demo data added." if added else "Demo data already present.")
        click.echo(f"Demo log-ins (password for all: {DEMO_PASSWORD}):")
        for username, name, _ in DEMO_USERS:
            click.echo(f"  {username:<14} {name}")


def _register_groups() -> None:
    from samverkan import (
        cli_audit,
        cli_cases,
        cli_notifications,
        cli_report,
        cli_schedule,
        cli_serve,
        cli_tokens,
        cli_transfer,
        cli_users,
        cli_workflows,
        cluster,
    )

    for module in (cli_cases, cli_users, cli_workflows, cli_audit, cli_schedule, cli_serve, cluster,
                   cli_notifications, cli_transfer, cli_report, cli_tokens):
        module.register(main)


_register_groups()


def run() -> None:
    """Entry point used by tests that need the exit code."""
    main(standalone_mode=True)


__all__ = ["emit_json", "friendly", "main", "parse_time", "State", "Path"]
