"""`samverkan tick`, `forecast` and `scheduler`: running and previewing what is due."""

from __future__ import annotations

import datetime as dt
import signal
import threading
from typing import Any

import click

from samverkan.cli.common import State, emit_json, friendly, parse_time


def _local(eng: Any, value: dt.datetime) -> str:
    return value.astimezone(eng.tz).strftime("%Y-%m-%d %H:%M")


def register(main: click.Group) -> None:
    """Add tick, forecast and scheduler to `main`."""

    @main.command()
    @click.option("--now", "now_s", help="Run as if it were this instant (ISO 8601; default: the clock).")
    @click.option("--dry-run", is_flag=True, help="Show what would happen and change nothing.")
    @click.option("--json", "as_json", is_flag=True)
    @click.pass_obj
    @friendly
    def tick(state: State, now_s: str | None, dry_run: bool, as_json: bool) -> None:
        """Run everything due at that instant once (for cron and simulations)."""
        from engine.schedule.due import run_due

        eng = state.engine
        now = parse_time(now_s) or eng.now()
        summary = run_due(eng, now, dry_run=dry_run)
        if as_json:
            emit_json({**summary.as_dict(), "dry_run": dry_run})
            return
        prefix = "Would have" if dry_run else "Did"
        click.echo(f"{prefix} at {_local(eng, now)}: opened {len(summary.opened)} case(s), "
                   f"{summary.reminders} reminder(s), {summary.due} deadline(s), "
                   f"{summary.escalations} escalation(s), {summary.timeouts} timeout transition(s); "
                   f"{summary.retired} retired, {summary.skipped} skipped, {summary.failed} failed"
                   + (f"; period(s) lapsed: {summary.lapsed}" if summary.lapsed else "") + ".")
        for o in summary.opened:
            click.echo(f"  opened #{o['case_id']} {o['workflow']} ({o['occurrence_key']})")
        for item in summary.items:
            if item.get("outcome") == "error":
                what = f"deadline {item['deadline_id']}" if "deadline_id" in item else item.get("stage", "run")
                click.echo(f"  failed: {what}: {item.get('error') or 'see the log'}", err=True)

    @main.command()
    @click.option("--from", "from_s", help="Start date or time (default: now).")
    @click.option("--days", type=click.IntRange(1, 3660), default=30, show_default=True)
    @click.option("--json", "as_json", is_flag=True)
    @click.pass_obj
    @friendly
    def forecast(state: State, from_s: str | None, days: int, as_json: bool) -> None:
        """List what will fall due (openings, reminders, deadlines, escalations, renewal); changes nothing."""
        from engine.schedule.forecast import forecast as compute

        eng = state.engine
        start = parse_time(from_s) or eng.now()
        items = compute(eng, start, days)
        if as_json:
            emit_json([{k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in i.items()}
                       for i in items])
            return
        for i in items:
            case = f"#{i['case_id']} " if i.get("case_id") else ""
            click.echo(f"{_local(eng, i['at'])}  {i['kind']:<12} {case}{i.get('title', '')}")
        click.echo(f"{len(items)} item(s) in the {days} day(s) from {_local(eng, start)}.")

    @main.command()
    @click.option("--sweep-seconds", type=float, default=60.0, show_default=True,
                  help="Safety sweep interval.")
    @click.pass_obj
    @friendly
    def scheduler(state: State, sweep_seconds: float) -> None:
        """Run the scheduler alone (no web) until stopped; several may run against one database."""
        from engine.schedule.scheduler import Scheduler
        from samverkan.bootstrap import extra_jobs

        eng = state.engine
        sched = Scheduler(eng, sweep_seconds=sweep_seconds, extra_jobs=extra_jobs(eng))
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        sched.start()
        click.echo(f"Scheduler {sched.name} running; Ctrl-C to stop.")
        # Wake now and then: the kernel may hand SIGTERM to one of the scheduler's threads, and then a
        # main thread blocked without a timeout never runs the Python handler (a full run under load hung
        # here until killed).
        while not stop.wait(0.5):
            pass
        sched.shutdown()
        click.echo("Scheduler stopped.")
