"""The Engine handle: configuration, database, definitions, clock and events, built once per process."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from engine.config.settings import AgreementConfig, Config
from engine.kernel.clock import Clock
from engine.kernel.errors import NotFound
from engine.kernel.events import Event, Listeners
from engine.store.audit_keys import AuditKeys, load_keys
from engine.store.db import Database
from engine.store.models import Agreement
from engine.workflow.registry import DefinitionRegistry

__all__ = ["Engine"]


class Engine:
    """Everything a service function needs, built once per process (after fork)."""

    def __init__(self, config: Config, db: Database, clock: Clock, audit_keys: AuditKeys | None = None) -> None:
        self.config = config
        self.db = db
        self.clock = clock
        self.tz = config.tz
        self.registry = DefinitionRegistry(config.workflows_dir, config.role_keys, str(config.path))
        self.listeners = Listeners()
        self._agreement_ids: dict[str, int] = {}
        self._audit_keys = audit_keys

    @property
    def audit_keys(self) -> AuditKeys:
        """The keys that sign the transition log, read (or made) on first use, outside the database."""
        if self._audit_keys is None:
            self._audit_keys = load_keys(self.config.path)
        return self._audit_keys

    def now(self) -> dt.datetime:
        """The injected clock's time (UTC)."""
        return self.clock.now()

    def emit(self, session: Session, event: Event) -> None:
        """Dispatch a domain event inside the current transaction."""
        self.listeners.emit(session, event)

    def agreement_id(self, session: Session, key: str | None = None) -> int:
        """Id of the row of agreement `key` (default: the default agreement), made by `samverkan init`."""
        key = key or self.config.agreement.key
        if key not in self._agreement_ids:
            found = session.exec(select(Agreement.id).where(Agreement.key == key)).first()
            if found is None:
                raise NotFound(f"Agreement {key!r} is not in the database yet; run `samverkan init`.")
            self._agreement_ids[key] = found
        return self._agreement_ids[key]

    def agreement_config(self, session: Session, agreement_id: int) -> AgreementConfig:
        """The configuration of the agreement with row id `agreement_id`."""
        for a in self.config.agreements:
            if self.agreement_id(session, a.key) == agreement_id:
                return a
        raise NotFound(f"Agreement {agreement_id} is not in config.toml any more; add it back.")
