"""Automatic billing periods (domain.md §2, issue 10 item 4): a project's periods every month or
every week from a start date, each due a number of days before it ends. Each day the reminder
job (`payapp reminders run`) closes the open period once it has ended and opens the one that
holds the day; a project whose periods are set by hand is left alone. On PostgreSQL the
database does it (`payapp_advance_billing_periods`, migration 0017) with the same rule, for the
reminder job's role.

Monthly periods start on the start date's day of the month, which is 1 to 28 so that every
month has it: from Dec 5, the periods are Dec 5 – Jan 4, Jan 5 – Feb 4...
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum


class Cadence(StrEnum):
    MANUAL = "manual"
    MONTHLY = "monthly"
    WEEKLY = "weekly"


def _add_months(day: date, months: int) -> date:
    total = day.year * 12 + day.month - 1 + months
    return day.replace(year=total // 12, month=total % 12 + 1)


def period_holding(cadence: Cadence, starts_on: date, day: date) -> tuple[date, date] | None:
    """(first day, last day) of the scheduled period that holds `day`; None before the schedule
    starts, or for periods set by hand."""
    if cadence is Cadence.MANUAL or day < starts_on:
        return None
    if cadence is Cadence.WEEKLY:
        start = starts_on + timedelta(days=(day - starts_on).days // 7 * 7)
        return start, start + timedelta(days=6)
    months = (day.year - starts_on.year) * 12 + day.month - starts_on.month
    if day.day < starts_on.day:
        months -= 1
    start = _add_months(starts_on, months)
    return start, _add_months(starts_on, months + 1) - timedelta(days=1)


def due_date(ends_on: date, days_before_end: int) -> date:
    return ends_on - timedelta(days=days_before_end)


def schedule_problem(cadence: Cadence, starts_on: date, days_before_end: int) -> str | None:
    """Why this schedule cannot be kept, or None."""
    if cadence is Cadence.MONTHLY and starts_on.day > 28:
        return "a monthly schedule starts on a day from 1 to 28, which every month has"
    longest = 6 if cadence is Cadence.WEEKLY else 27
    if not 0 <= days_before_end <= longest:
        return (f"invoices are due 0 to {longest} days before a "
                f"{'weekly' if cadence is Cadence.WEEKLY else 'monthly'} period ends")
    return None
