"""`samverkan notifications ...` (deliver, list, prefer) and `samverkan calendar ...` (token, revoke)."""

from __future__ import annotations

import signal
import threading
from typing import Any

import click

from samverkan.cli.common import State, emit_json, friendly, parse_time


def _report(summary: Any) -> None:
    click.echo(f"Sent {summary.messages} message{'s' if summary.messages != 1 else ''} "
               f"({summary.notices_sent} notice{'s' if summary.notices_sent != 1 else ''}); "
               f"{summary.retried} to retry later, {summary.failed} failed.")
    if summary.error:
        click.echo(f"warning: {summary.error}; the messages stay queued and are retried later.", err=True)


def _deliver_loop(eng: Any, every: float) -> None:
    """Deliver every `every` seconds until SIGINT/SIGTERM; a failed run is reported and the loop goes on."""
    from notifications import deliver_pending

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    click.echo(f"Delivering every {every:g} s; Ctrl-C to stop.")
    while not stop.is_set():
        try:
            summary = deliver_pending(eng, eng.now())
        except Exception as exc:  # noqa: BLE001 - a daemon outlives a database hiccup; the next run retries
            click.echo(f"error: delivery run failed ({type(exc).__name__}: {exc}); retrying in {every:g} s", err=True)
        else:
            if summary.messages or summary.retried or summary.failed:
                _report(summary)
        stop.wait(every)
    click.echo("Deliverer stopped.")


def register(main: click.Group) -> None:
    """Add the `notifications` and `calendar` command groups to `main`."""
    _register_notifications(main)
    _register_calendar(main)


def _register_notifications(main: click.Group) -> None:
    @main.group()
    def notifications() -> None:
        """The outbox: deliver pending messages, list what was sent or failed."""

    @notifications.command("deliver")
    @click.option("--now", "now_text", metavar="ISO", help="Deliver as if it were this time (simulations).")
    @click.option("--loop", is_flag=True, help="Keep delivering until stopped (Ctrl-C or SIGTERM).")
    @click.option("--every", type=click.FloatRange(0.5, 3600), default=5.0, show_default=True,
                  help="Seconds between runs with --loop.")
    @click.option("--json", "as_json", is_flag=True)
    @click.pass_obj
    @friendly
    def deliver(state: State, now_text: str | None, loop: bool, every: float, as_json: bool) -> None:
        """Send every notice that is due, one message per person.

        What could not be sent for now (the server away, a 4xx answer) is retried later;
        a 5xx refusal is final and the notice is marked failed.
        """
        from notifications import deliver_pending

        if loop and now_text:
            raise click.UsageError("--loop runs on the clock; leave out --now")
        eng = state.engine
        if loop:
            _deliver_loop(eng, every)
            return
        summary = deliver_pending(eng, parse_time(now_text) or eng.now())
        if as_json:
            emit_json(summary.as_dict())
            return
        _report(summary)

    @notifications.command("list")
    @click.option("--status", type=click.Choice(["pending", "sent", "failed"]))
    @click.option("--limit", type=int, default=200, show_default=True)
    @click.option("--json", "as_json", is_flag=True)
    @click.pass_obj
    @friendly
    def list_(state: State, status: str | None, limit: int, as_json: bool) -> None:
        """Show the outbox, newest first."""
        from engine.outbox.notices import list_notices

        with state.engine.db.read() as session:
            items = list_notices(session, status=status, limit=limit)
        if as_json:
            emit_json([i.as_dict() for i in items])
            return
        for i in items:
            when = i.sent_at or i.next_attempt_at
            case = f"case {i.case_id}" if i.case_id else "-"
            error = f"  {i.last_error}" if i.last_error else ""
            click.echo(f"{i.id:>6} {i.status:<8} {i.kind:<20} {case:<10} {i.username:<14} "
                       f"tries {i.attempts}  {when.isoformat() if when else '-'}{error}")

    @notifications.command("prefer")
    @click.argument("username")
    @click.argument("mode", type=click.Choice(["immediate", "daily"]))
    @click.pass_obj
    @friendly
    def prefer(state: State, username: str, mode: str) -> None:
        """Choose immediate messages or one daily digest for USERNAME."""
        from engine.kernel.errors import NotFound
        from engine.outbox.notices import set_mode, user_id_by_name

        eng = state.engine
        with eng.db.write() as session:
            uid = user_id_by_name(session, username)
            if uid is None:
                raise NotFound(f"No active user {username!r}; `samverkan user list` shows who exists.")
            set_mode(session, uid, mode, eng.now())
        click.echo(f"{username} now gets {'one daily digest' if mode == 'daily' else 'every message at once'}.")



def _register_calendar(main: click.Group) -> None:
    @main.group()
    def calendar() -> None:
        """Calendar feed links (iCalendar) for users."""

    @calendar.command("token")
    @click.argument("username")
    @click.pass_obj
    @friendly
    def token(state: State, username: str) -> None:
        """Create a feed link for USERNAME and print it (it is shown only once)."""
        from engine.accounts.calendar_tokens import create_token

        eng = state.engine
        with eng.db.write() as session:
            secret = create_token(session, username, eng.now())
        click.echo(f"{eng.config.mail.base_url.rstrip('/')}/calendar/{secret}.ics")

    @calendar.command("revoke")
    @click.argument("username")
    @click.pass_obj
    @friendly
    def revoke(state: State, username: str) -> None:
        """Revoke every feed link of USERNAME."""
        from engine.accounts.calendar_tokens import revoke_tokens

        eng = state.engine
        with eng.db.write() as session:
            n = revoke_tokens(session, username, eng.now())
        click.echo(f"Revoked {n} calendar link{'s' if n != 1 else ''} of {username}.")
