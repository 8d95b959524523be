"""What runs beside the web server in `samverkan serve`: the scheduler (and its extra jobs)."""

from __future__ import annotations

from typing import Any

from engine.app import Engine
from engine.scheduler import Scheduler

__all__ = ["extra_jobs", "start_background"]


def extra_jobs(eng: Engine) -> tuple[tuple[str, Any, float], ...]:
    """Periodic jobs of the outer layers (notification delivery once it is installed)."""
    try:
        import notifications
    except ImportError:  # pragma: no cover - notifications is part of this project
        return ()
    deliver = getattr(notifications, "deliver_pending", None)
    if deliver is None:
        return ()
    return (("deliver", lambda: deliver(eng, eng.now()), 30.0),)


def start_background(eng: Engine) -> Scheduler:
    """Start the scheduler in this process; call .shutdown() on the result to stop it."""
    scheduler = Scheduler(eng, extra_jobs=extra_jobs(eng))
    scheduler.start()
    return scheduler
