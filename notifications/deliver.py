"""The deliverer: send what is due from the outbox, one message per person per run.

Claimed notices are grouped by recipient, so many notices to one person in one run
(a daily digest, or a burst of reminders) become one message. A notice that was not
accepted is retried with exponential backoff (`[mail] backoff_seconds`, doubling) until
`[mail] max_attempts`, then marked failed; a 5xx refusal fails it at once. When the mail
server cannot be reached the run stops: what it claimed is released for a later retry and
the rest is not touched, so nothing is lost and nothing is sent twice. A message that cannot
be built from what is stored (a name with a line break, a broken payload) is set aside as
failed, naming why, and the run goes on: one bad row must not stop everyone else's mail.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from email.message import Message
from itertools import groupby
from typing import Any, Protocol

from engine.config.settings import MailConfig
from engine.outbox import notices as outbox
from engine.outbox.notices import OutboxItem
from engine.runtime.engine import Engine
from notifications.digest import enqueue_weekly_digests
from notifications.render import Unbuildable, render_message, render_outgoing
from notifications.smtp import PermanentError, SmtpChannel, TransientError
from notifications.wire import Outgoing

__all__ = ["Channel", "DeliverySummary", "deliver_pending", "retry_at"]

# Marks are written every this many messages, bounding what a crash could resend.
_FLUSH_EVERY = 50


class Channel(Protocol):
    def __enter__(self) -> Any: ...
    def __exit__(self, *exc: object) -> None: ...
    def send(self, msg: Message | Outgoing) -> None: ...


@dataclass
class DeliverySummary:
    """What one run did: messages sent, notices they carried, retries scheduled, failures."""

    messages: int = 0
    notices_sent: int = 0
    retried: int = 0
    failed: int = 0
    weekly_digests: int = 0
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


def retry_at(mail: MailConfig, attempts_before: int, now: dt.datetime) -> dt.datetime | None:
    """When to try again after failure number `attempts_before + 1`, or None to give up."""
    if attempts_before + 1 >= mail.max_attempts:
        return None
    return now + dt.timedelta(seconds=mail.backoff_seconds * 2 ** attempts_before)


class _Run:
    def __init__(self, eng: Engine, now: dt.datetime, channel: Channel) -> None:
        self.eng, self.now, self.channel = eng, now, channel
        self.summary = DeliverySummary()
        self.sent: list[int] = []
        self.failures: list[tuple[int, dt.datetime | None, str]] = []

    def flush(self) -> None:
        outbox.mark_sent(self.eng.db, self.sent, self.now)
        outbox.record_failures(self.eng.db, self.failures)
        self.sent, self.failures = [], []

    def fail(self, items: list[OutboxItem], error: str, permanent: bool) -> None:
        for item in items:
            next_at = None if permanent else retry_at(self.eng.config.mail, item.attempts, self.now)
            self.failures.append((item.id, next_at, error))
            if next_at is None:
                self.summary.failed += 1
            else:
                self.summary.retried += 1

    def batch(self, items: list[OutboxItem]) -> bool:
        """Send one claimed batch; False if the server is unreachable and the run should stop."""
        groups = [list(g) for _, g in groupby(sorted(items, key=lambda i: (i.recipient_id, i.id)),
                                              key=lambda i: i.recipient_id)]
        for n, group in enumerate(groups):
            if group[0].disabled:
                self.fail(group, "the recipient's account is disabled", permanent=True)
                continue
            try:
                mail, tz = self.eng.config.mail, self.eng.tz
                msg = render_outgoing(group, mail, tz, self.now) or render_message(group, mail, tz, self.now)
            except Exception as exc:  # noqa: BLE001 - whatever the stored data breaks, retrying will not mend it
                detail = str(exc) if isinstance(exc, Unbuildable) else f"{type(exc).__name__}: {exc}"
                self.fail(group, f"the message cannot be built: {detail}", permanent=True)
                continue
            try:
                self.channel.send(msg)
            except PermanentError as exc:
                self.fail(group, str(exc), permanent=True)
            except TransientError as exc:
                self.fail(group, str(exc), permanent=False)
                if exc.connection:
                    self.summary.error = str(exc)
                    for rest in groups[n + 1:]:
                        self.fail(rest, str(exc), permanent=False)
                    return False
            else:
                self.sent.extend(i.id for i in group)
                self.summary.messages += 1
                self.summary.notices_sent += len(group)
            if (n + 1) % _FLUSH_EVERY == 0:
                self.flush()
        return True


def deliver_pending(eng: Engine, now: dt.datetime | None = None, *, channel: Channel | None = None,
                    batch_size: int = 500) -> DeliverySummary:
    """Send every notice due by `now` (default: the engine's clock); the scheduler and the CLI call this."""
    now = now or eng.now()
    run = _Run(eng, now, channel or SmtpChannel(eng.config.mail))
    run.summary.weekly_digests = enqueue_weekly_digests(eng, now)
    with run.channel:
        while items := outbox.claim_due(eng.db, now, limit=batch_size):
            try:
                going = run.batch(items)
            finally:
                run.flush()
            if not going:
                break
    return run.summary
