"""The definitions in force, and every older version a running case still uses."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

from sqlmodel import Session, select

from engine.kernel.errors import ConfigError, NotFound
from engine.store.models import WorkflowDefinitionRow
from engine.store.sql import insert_ignore
from engine.workflow.definition import Definition, load_definitions, parse_definition
from engine.workflow.machine import WorkflowMachine

__all__ = ["DefinitionRegistry", "workflow_files"]


def workflow_files(workflows_dir: Path, config_path: str = "config.toml") -> list[Path]:
    """The workflow files of a deployment; a ConfigError if the folder is missing or holds none."""
    folder = Path(workflows_dir)
    files = sorted(folder.glob("*.toml")) if folder.is_dir() else []
    if not files:
        raise ConfigError(config_path, "workflows_dir",
                          f"{folder} {'holds no *.toml workflow files' if folder.is_dir() else 'is not a folder'}; "
                          f"point workflows_dir at the folder of the workflow definitions")
    return files


class DefinitionRegistry:
    """Loads workflows/*.toml once; builds one machine per (workflow, version)."""

    def __init__(self, workflows_dir: Path, roles: frozenset[str], config_path: str = "config.toml") -> None:
        self.roles = roles
        self.current: dict[str, Definition] = load_definitions(workflow_files(workflows_dir, config_path), roles)
        self._machines: dict[tuple[str, str], WorkflowMachine] = {}
        self._lock = threading.Lock()
        self._stored: set[tuple[str, str]] = set()

    def get(self, key: str) -> Definition:
        """The current definition of workflow `key`."""
        try:
            return self.current[key]
        except KeyError:
            raise NotFound(f"No workflow {key!r}; known: {', '.join(sorted(self.current))}.") from None

    def machine(self, session: Session, key: str, version: str) -> WorkflowMachine:
        """The machine for a case started on `version` of `key` (built once, then shared)."""
        found = self._machines.get((key, version))
        if found is not None:
            return found
        definition = self.current.get(key)
        if definition is None or definition.version != version:
            row = session.exec(select(WorkflowDefinitionRow).where(
                WorkflowDefinitionRow.key == key, WorkflowDefinitionRow.version == version)).first()
            if row is None:
                raise NotFound(f"Definition {key}@{version} is not stored; run `samverkan init`.")
            definition = parse_definition(row.source, f"{key}@{version}", self.roles)
        with self._lock:
            return self._machines.setdefault((key, version), WorkflowMachine(definition))

    def store(self, session: Session, definition: Definition, now: dt.datetime) -> None:
        """Keep the definition's source so cases started on it can fire after it changes."""
        if (definition.key, definition.version) in self._stored:
            return
        insert_ignore(session, WorkflowDefinitionRow, ["key", "version"], key=definition.key,
                      version=definition.version, source=definition.source, loaded_at=now)
        self._stored.add((definition.key, definition.version))
