"""Who is reminded, and on which days (domain.md §2).

An invite is reminded while its contacts still owe an answer or an invoice: the invite is not
answered or answered Yes, no invoice of its commitment and period has gone beyond Draft (sent
for review or further), and the period is still open. On such an invite the contacts get:

- one reminder in the last `days_before` days before the due date, on the first run in those
  days (the due date itself included), so that a missed run does not lose it;
- one reminder every day after the due date.

Never two on one day: the database holds one `invite_reminder` row per invite and day.
migration 0011's `payapp_queue_invite_reminders` applies the same rule on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from data.models import InviteResponse, InvoiceStatus, PeriodStatus

STILL_OWED_ANSWERS = frozenset({InviteResponse.PENDING, InviteResponse.YES})


def still_owes_an_invoice(response: str, period_status: str, invoice_status: str | None) -> bool:
    """The invite's contacts have neither said No nor sent an invoice, and the period is open."""
    return (InviteResponse(response) in STILL_OWED_ANSWERS
            and period_status == PeriodStatus.OPEN.value
            and (invoice_status is None or invoice_status == InvoiceStatus.DRAFT.value))


def reminder_due(day: date, due_on: date, days_before: int, reminded_on: Iterable[date]) -> bool:
    """Is `day` a reminder day for an invite whose period is due on `due_on`, which was
    reminded on the days `reminded_on`?"""
    reminded = set(reminded_on)
    if day > due_on:
        return day not in reminded
    window_opens = due_on - timedelta(days=days_before)
    if day < window_opens:
        return False
    return not any(window_opens <= earlier <= due_on for earlier in reminded)
