"""The reminder job's first step: billing periods on schedule (data/period_schedule.py). The open
period of a scheduled project closes once it has ended, and the one holding the day opens,
unless a period set by hand already covers it. On PostgreSQL the database does it
(`payapp_advance_billing_periods`, migration 0017); on SQLite payapp does it here, by the same
rule."""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from data import audit_chain
from data.db import writing
from data.models import BillingPeriod, PeriodStatus, Project
from data.period_schedule import Cadence, due_date, period_holding
from data.refusals import NotAllowed
from data.reminders.queue import ReminderError, database_today, not_allowed_message


@dataclass(frozen=True)
class Advanced:
    closed: int
    opened: int

    def line(self) -> str:
        return f"billing periods: {self.closed} closed, {self.opened} opened"


def advance_periods(engine: Engine, today: date | None = None) -> Advanced:
    """Advance every scheduled project's periods to `today` (default: the database's), in one
    transaction. ReminderError when this role may not."""
    try:
        with writing(engine) as session:
            return advance_billing_periods(session, today or database_today(session))
    except NotAllowed as refusal:
        raise ReminderError(not_allowed_message(engine, refusal)) from refusal


def advance_billing_periods(session: Session, day: date) -> Advanced:
    if session.get_bind().dialect.name == "postgresql":
        row = session.execute(text("SELECT closed, opened FROM "
                                   "payapp_advance_billing_periods(:day)"), {"day": day}).one()
        return Advanced(int(row[0]), int(row[1]))
    closed = opened = 0
    projects = session.exec(select(Project).where(Project.period_cadence != Cadence.MANUAL.value)
                            .order_by(col(Project.id))).all()
    for project in projects:
        if project.period_starts_on is None or project.id is None:
            continue
        periods = session.exec(select(BillingPeriod)
                               .where(BillingPeriod.project_id == project.id)).all()
        for period in periods:
            if period.status == PeriodStatus.OPEN.value and period.ends_on < day:
                period.status = PeriodStatus.CLOSED.value
                session.add(period)
                closed += 1
                _record(session, "close billing period", period)
        if any(p.status == PeriodStatus.OPEN.value for p in periods):
            continue
        holding = period_holding(Cadence(project.period_cadence), project.period_starts_on, day)
        if holding is None or any(p.starts_on <= holding[1] and holding[0] <= p.ends_on
                                  for p in periods):
            continue
        new = BillingPeriod(project_id=project.id, starts_on=holding[0], ends_on=holding[1],
                            due_on=due_date(holding[1], project.period_due_days_before_end),
                            status=PeriodStatus.OPEN.value)
        session.add(new)
        session.flush()
        opened += 1
        _record(session, "open billing period", new)
    session.flush()
    return Advanced(closed, opened)


def _record(session: Session, action: str, period: BillingPeriod) -> None:
    audit_chain.record(session, getpass.getuser(), action, "billing_period", period.id,
                       after={"starts_on": period.starts_on, "ends_on": period.ends_on,
                              "due_on": period.due_on, "on schedule": True})
