"""What a reminder says: plain words naming the project, the commitment (number and title), the
period and its due date, and what the contact can still do. Migration 0011 words the same email
in SQL on PostgreSQL; the tests compare the two."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from data.models import BillingPeriod, Commitment, InviteResponse, Project


def _day(when: date) -> str:
    return f"{when:%b %d, %Y}"


@dataclass(frozen=True)
class ReminderWords:
    subject: str
    body: str


def reminder_words(project: Project, commitment: Commitment, period: BillingPeriod,
                   response: str, day: date) -> ReminderWords:
    overdue = day > period.due_on
    subject = (f"Reminder: your invoice for {commitment.number} {commitment.title} "
               f"{'was' if overdue else 'is'} due {_day(period.due_on)}")
    opening = (f"The invoice for this billing period was due on {_day(period.due_on)} and has "
               "not been sent." if overdue else
               f"The invoice for this billing period is due on {_day(period.due_on)}.")
    if InviteResponse(response) is InviteResponse.YES:
        action = "Open payapp to finish your invoice and send it."
    elif overdue:
        action = ("The invite can no longer be answered: ask the project's invoice "
                  "administrator to open the invoice for you.")
    else:
        action = ("Open payapp to answer the invite: Yes to bill this period, No if you will "
                  "not (the reminders then stop).")
    body = "\n".join([
        opening,
        "",
        f"Project: {project.number} {project.name}",
        f"Commitment: {commitment.number} {commitment.title}",
        f"Period: {_day(period.starts_on)} to {_day(period.ends_on)}",
        f"Due date: {_day(period.due_on)}",
        "",
        action,
    ])
    return ReminderWords(subject, body)
