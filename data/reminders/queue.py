"""Today's reminders, written into the outbox in one transaction with their `invite_reminder`
rows: an email is queued only with the row that the database lets in once per invite and day.

On PostgreSQL the database does it (`payapp_queue_invite_reminders`, migration 0011), for the
members of `payapp_reminder` and only for its own today; on SQLite payapp does it here, with
the same rule (rule.py) and words (words.py).
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session, col, select

from data import audit_chain, notify
from data.db import writing
from data.models import (
    AppUser,
    BillingPeriod,
    Commitment,
    CommitmentContact,
    Invite,
    InviteReminder,
    Invoice,
    Project,
)
from data.refusals import NotAllowed
from data.reminders.rule import reminder_due, still_owes_an_invoice
from data.reminders.words import reminder_words

REMINDER_KIND = "invite_reminder"  # outbox_email.kind
REMINDER_ROLE = "payapp_reminder"


class ReminderError(RuntimeError):
    """The reminders could not be queued; one line, saying what to do."""


@dataclass(frozen=True)
class Queued:
    day: date
    reminders: int  # invites reminded
    emails: int  # one per active contact of each

    def line(self) -> str:
        return (f"{self.reminders} reminder{'' if self.reminders == 1 else 's'} queued "
                f"({self.emails} email{'' if self.emails == 1 else 's'}) for {self.day:%b %d, %Y}")


def database_today(session: Session) -> date:
    """The database clock's date (PostgreSQL: the session's time zone; SQLite: UTC)."""
    if session.get_bind().dialect.name == "postgresql":
        today = session.execute(text("SELECT current_date")).scalar_one()
        assert isinstance(today, date)
        return today
    return date.fromisoformat(str(session.execute(text("SELECT date('now')")).scalar_one()))


def queue_reminders(engine: Engine, *, days_before: int, today: date | None = None) -> Queued:
    """Queue the reminders due on `today` (default: the database clock's date)."""
    try:
        with writing(engine) as session:
            day = today or database_today(session)
            if engine.dialect.name == "postgresql":
                reminders, emails = _queued_by_the_database(session, day, days_before)
            else:
                reminders, emails = _queue_here(session, day, days_before, getpass.getuser())
    except NotAllowed as refusal:
        raise ReminderError(not_allowed_message(engine, refusal)) from refusal
    return Queued(day, reminders, emails)


def _queued_by_the_database(session: Session, day: date, days_before: int) -> tuple[int, int]:
    row = session.execute(text("SELECT reminders, emails FROM payapp_queue_invite_reminders("
                               ":day, :days_before)"),
                          {"day": day, "days_before": days_before}).one()
    return int(row[0]), int(row[1])


def not_allowed_message(engine: Engine, refusal: NotAllowed) -> str:
    cause = refusal.__cause__
    if not (isinstance(cause, DBAPIError) and "permission denied" in str(cause.orig)):
        return str(refusal)  # the queuing function's own words (another day, days_before...)
    with Session(engine) as session:
        role = session.execute(text("SELECT session_user")).scalar_one()
    return (f"the database role {role} may not queue reminders: a system administrator "
            f"allows the jobs account with `payapp reminders allow LOGIN`")


def _queue_here(session: Session, day: date, days_before: int, login: str) -> tuple[int, int]:
    reminders = emails = 0
    candidates = session.exec(
        select(Invite, BillingPeriod, Commitment, Project)
        .join(BillingPeriod, col(BillingPeriod.id) == Invite.period_id)
        .join(Commitment, col(Commitment.id) == Invite.commitment_id)
        .join(Project, col(Project.id) == Commitment.project_id)
        .order_by(col(Invite.id))).all()
    for invite, period, commitment, project in candidates:
        assert invite.id is not None
        invoice = session.exec(select(Invoice).where(
            Invoice.commitment_id == invite.commitment_id,
            Invoice.period_id == invite.period_id)).first()
        if not still_owes_an_invoice(invite.response, period.status,
                                     invoice.status if invoice else None):
            continue
        contacts = _active_contacts(session, invite.commitment_id)
        reminded_on = [reminder.reminder_day for reminder in session.exec(
            select(InviteReminder).where(InviteReminder.invite_id == invite.id)).all()]
        if not contacts or not reminder_due(day, period.due_on, days_before, reminded_on):
            continue
        reminder = _reminder_row(session, invite.id, day)
        if reminder is None:
            continue  # another run reminded this invite today
        words = reminder_words(project, commitment, period, invite.response, day)
        for contact in contacts:
            notify.queue(session, kind=REMINDER_KIND, to_address=contact.email,
                         to_name=contact.display_name, subject=words.subject, body=words.body,
                         invoice_id=invoice.id if invoice else None)
        audit_chain.record(session, login, "remind invite", "invite_reminder", reminder.id,
                           after={"invite": invite.id, "commitment": commitment.number,
                                  "day": day.isoformat(), "emails": len(contacts)})
        reminders += 1
        emails += len(contacts)
    return reminders, emails


def _active_contacts(session: Session, commitment_id: int) -> list[AppUser]:
    return list(session.exec(
        select(AppUser).join(CommitmentContact, col(CommitmentContact.user_id) == AppUser.id)
        .where(CommitmentContact.commitment_id == commitment_id, col(AppUser.active))
        .order_by(col(AppUser.id))).all())


def _reminder_row(session: Session, invite_id: int, day: date) -> InviteReminder | None:
    """The invite's row for `day`, or None when the database already holds one."""
    reminder = InviteReminder(invite_id=invite_id, reminder_day=day)
    try:
        with session.begin_nested():
            session.add(reminder)
    except IntegrityError:
        return None
    return reminder
