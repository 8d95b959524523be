"""The composition root: builds the engine and wires renewal, notifications and the scheduler.

The CLI, the web factory, the benchmarks and the tests all build their engine here, so
the domain (`engine/`) never imports its own wiring nor anything of the outer layers.
"""

from __future__ import annotations

import gc
from collections.abc import Callable

import notifications
from engine.config.settings import Config
from engine.kernel.clock import Clock, SystemClock
from engine.runtime.engine import Engine
from engine.schedule import renewal
from engine.schedule.scheduler import Scheduler
from engine.store.db import Database
from engine.workflow.references import check_workflow_references

__all__ = ["build_engine", "build_service", "extra_jobs", "freeze_startup", "start_background", "with_notifications"]


def build_engine(config: Config, *, db: Database | None = None, clock: Clock | None = None) -> Engine:
    """The domain wired: config keys checked against the workflows, the renewal listening.

    A DefinitionError or ConfigError names the broken workflow file or config key.
    """
    eng = Engine(config, db or Database(config.database_url), clock or SystemClock())
    check_workflow_references(config, eng.registry.current)
    renewal.install(eng)
    return eng


def build_service(config: Config, *, db: Database | None = None, clock: Clock | None = None) -> Engine:
    """`build_engine` plus the notice rules, as the CLI, the web and the scheduler run it."""
    return with_notifications(build_engine(config, db=db, clock=clock))


def with_notifications(eng: Engine) -> Engine:
    """Subscribe the notice rules to `eng` (once), so every change tells the right people."""
    notifications.install(eng)
    return eng


def extra_jobs(eng: Engine) -> tuple[tuple[str, Callable[[], object], float], ...]:
    """Periodic jobs of the outer layers that run beside the scheduler: delivering the outbox."""
    return (("deliver", lambda: notifications.deliver_pending(eng, eng.now()), 30.0),)


def start_background(eng: Engine) -> Scheduler:
    """Start the scheduler in this process; call .shutdown() on the result to stop it."""
    scheduler = Scheduler(eng, extra_jobs=extra_jobs(eng))
    scheduler.start()
    return scheduler


def freeze_startup() -> None:
    """Move everything start-up made (modules, templates, the engine's statements) out of the collector's sight.

    A full collection walks every tracked object: about 170,000 once the web app is up, 75-95 ms on this
    stack (measured with a 10,000-case database), which the request that triggers it pays. Those objects
    live as long as the process, so collecting them finds nothing; frozen, a full collection walks only
    what was made since (0.01 ms). In 2,400 mixed requests the slowest went from 92-109 ms to 37-43 ms.
    Called once the server is ready to serve, before its first request.
    """
    gc.collect()
    gc.freeze()

