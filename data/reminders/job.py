"""One run of the reminder job: queue today's reminders (committed first, so they survive a
failed delivery), then deliver the outbox with data/outbox_delivery.py, the one delivery path.
An email the server could not take waits in the outbox for the next run (or the next
`payapp outbox deliver`)."""

from __future__ import annotations

import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Engine

from data.config import SmtpSettings
from data.models import utc_now
from data.outbox_delivery import TIMEOUT_SECONDS, DeliveryError, Summary, deliver
from data.reminders.periods import Advanced, advance_periods
from data.reminders.queue import REMINDER_ROLE, Queued, ReminderError, queue_reminders
from data.roles import UserError, grant_group_role


@dataclass(frozen=True)
class RunSummary:
    queued: Queued
    delivery: Summary | None  # None when nothing could be delivered
    failure: str | None = None  # why not: the server cannot be reached, refused the login...
    periods: Advanced = field(default_factory=lambda: Advanced(0, 0))

    def line(self) -> str:
        delivered = self.delivery.line() if self.delivery else "not delivered"
        moved = f"{self.periods.line()}; " if self.periods.closed or self.periods.opened else ""
        return f"{moved}{self.queued.line()}; outbox: {delivered}"

    @property
    def exit_code(self) -> int:
        """As `payapp outbox deliver`: 2 when nothing could be delivered, 1 when an email was
        refused or is uncertain, else 0."""
        if self.failure is not None or self.delivery is None:
            return 2
        return 1 if self.delivery.refused or self.delivery.uncertain else 0


def run(engine: Engine, settings: SmtpSettings, password: str | None, *, days_before: int,
        today: date | None = None, now: Callable[[], datetime] = utc_now,
        timeout: float = TIMEOUT_SECONDS, context: ssl.SSLContext | None = None) -> RunSummary:
    """Advance the billing periods kept on schedule, queue the reminders due on `today`
    (default: the database's), then deliver the outbox. ReminderError when the periods could
    not be advanced or the reminders not queued (nothing was)."""
    periods = advance_periods(engine, today)
    queued = queue_reminders(engine, days_before=days_before, today=today)
    try:
        delivery = deliver(engine, settings, password, now=now, timeout=timeout,
                           context=context)
    except DeliveryError as error:
        return RunSummary(queued, None, str(error), periods)
    return RunSummary(queued, delivery, None, periods)


def allow(engine: Engine, login: str) -> None:
    """Let a payapp user's login role queue the reminders (on PostgreSQL: membership of
    payapp_reminder, which may only call the database's queuing function for its today);
    audited like `payapp users mailer`."""
    try:
        grant_group_role(engine, login, REMINDER_ROLE, action="allow reminders",
                         may="queue the invite reminders")
    except UserError as error:
        raise ReminderError(str(error)) from error
