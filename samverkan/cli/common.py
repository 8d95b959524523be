"""What the commands share: the engine built on first use, one-line errors, JSON and time input."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from engine.kernel.errors import DefinitionError, EngineError
from engine.runtime.engine import Engine

__all__ = ["State", "emit_json", "friendly", "in_language", "parse_time"]

F = TypeVar("F", bound=Callable[..., Any])


class State:
    """What the commands share: the config path, and the engine built on first use."""

    def __init__(self, config_path: str | None) -> None:
        self.config_path = config_path
        self._engine: Engine | None = None

    @property
    def config(self) -> Any:
        from engine.config.load import load_config
        return self.engine.config if self._engine else load_config(self.config_path)

    @property
    def engine(self) -> Engine:
        """The engine with notifications wired, built by the composition root on first use."""
        if self._engine is None:
            from engine.config.load import load_config
            from samverkan.bootstrap import build_service
            self._engine = build_service(load_config(self.config_path))
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


def in_language(message: str, language: str) -> str:
    """`message` in `language` from the interface's catalogue (as it is when it has no translation)."""
    import importlib.util

    from babel.support import Translations

    # Found without importing `web`, which would pull in Flask for a one-line message.
    spec = importlib.util.find_spec("web")
    if spec is None or not spec.submodule_search_locations:
        return message
    folder = Path(next(iter(spec.submodule_search_locations))) / "translations"
    return Translations.load(str(folder), [language]).gettext(message)


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
