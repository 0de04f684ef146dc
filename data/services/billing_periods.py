"""Billing periods set by hand: the invoice administrator opens a project's period (from, to,
due date) and closes it. A project has one open period at a time and no two periods overlap; a
period that an invite or invoice points at is closed, never removed. The database holds the same
rules (migration 0007 and the one-open index), so psql cannot get round them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from data import audit_chain
from data.models import BillingPeriod, Invite, Invoice, PeriodStatus, Project
from data.period_schedule import Cadence, schedule_problem
from data.services.access import is_project_admin
from data.services.actors import Actor
from data.services.errors import Invalid, NotAllowed, NotFound, saving


@dataclass(frozen=True)
class PeriodRow:
    period_id: int
    starts_on: date
    ends_on: date
    due_on: date
    status: PeriodStatus

    @property
    def label(self) -> str:
        return f"{self.starts_on:%b %d, %Y} – {self.ends_on:%b %d, %Y}"


def _project(session: Session, actor: Actor, project_number: str) -> Project:
    project = session.exec(select(Project).where(Project.number == project_number)).first()
    if project is None or project.id is None:
        raise NotFound(f"there is no project {project_number}")
    if not is_project_admin(session, actor, project.id):
        raise NotAllowed(f"only an invoice administrator of project {project_number} sets its "
                         "billing periods")
    return project


def _row(period: BillingPeriod) -> PeriodRow:
    assert period.id is not None
    return PeriodRow(period.id, period.starts_on, period.ends_on, period.due_on,
                     PeriodStatus(period.status))


def periods_of(session: Session, actor: Actor, project_number: str) -> list[PeriodRow]:
    project = _project(session, actor, project_number)
    return [_row(period) for period in session.exec(
        select(BillingPeriod).where(BillingPeriod.project_id == project.id)
        .order_by(col(BillingPeriod.starts_on))).all()]


def open_period(session: Session, actor: Actor, project_number: str, *, starts_on: date,
                ends_on: date, due_on: date) -> PeriodRow:
    """Open a new billing period for the project."""
    project = _project(session, actor, project_number)
    if ends_on < starts_on:
        raise Invalid("the period ends before it starts")
    if due_on < starts_on:
        raise Invalid("invoices cannot be due before the period starts")
    existing = [_row(period) for period in session.exec(
        select(BillingPeriod).where(BillingPeriod.project_id == project.id)).all()]
    still_open = [row for row in existing if row.status is PeriodStatus.OPEN]
    if still_open:
        raise Invalid(f"the period {still_open[0].label} is still open: close it first (a "
                      "project has one open period at a time)")
    overlapping = [row for row in existing
                   if row.starts_on <= ends_on and starts_on <= row.ends_on]
    if overlapping:
        raise Invalid(f"it overlaps the period {overlapping[0].label}")
    period = BillingPeriod(project_id=project.id or 0, starts_on=starts_on, ends_on=ends_on,
                           due_on=due_on, status=PeriodStatus.OPEN.value)
    session.add(period)
    with saving("the billing period"):
        session.flush()
    audit_chain.record(session, actor.login, "open billing period", "billing_period", period.id,
                       after={"project": project_number, "starts_on": starts_on,
                              "ends_on": ends_on, "due_on": due_on})
    return _row(period)


def close_period(session: Session, actor: Actor, period_id: int) -> PeriodRow:
    period = _period(session, actor, period_id)
    if period.status == PeriodStatus.CLOSED.value:
        raise Invalid("the period is already closed")
    period.status = PeriodStatus.CLOSED.value
    session.add(period)
    with saving("the billing period"):
        session.flush()
    audit_chain.record(session, actor.login, "close billing period", "billing_period",
                       period_id, before={"status": "open"}, after={"status": "closed"})
    return _row(period)


def remove_period(session: Session, actor: Actor, period_id: int) -> None:
    """Remove a period opened by mistake; one that an invite or invoice uses is only closed."""
    period = _period(session, actor, period_id)
    used = session.exec(select(Invite.id).where(Invite.period_id == period_id)).first() or \
        session.exec(select(Invoice.id).where(Invoice.period_id == period_id)).first()
    if used is not None:
        raise Invalid("invites or invoices belong to this period: close it instead (a period "
                      "in use is kept)")
    before = {"starts_on": period.starts_on, "ends_on": period.ends_on,
              "due_on": period.due_on, "status": period.status}
    session.delete(period)
    with saving("the billing period"):
        session.flush()
    audit_chain.record(session, actor.login, "remove billing period", "billing_period",
                       period_id, before=before)


def _period(session: Session, actor: Actor, period_id: int) -> BillingPeriod:
    period = session.get(BillingPeriod, period_id)
    if period is None:
        raise NotFound(f"there is no billing period {period_id}")
    if not is_project_admin(session, actor, period.project_id):
        raise NotAllowed("only an invoice administrator of the project sets its billing periods")
    return period


def schedule_periods(session: Session, actor: Actor, project_number: str, *, cadence: Cadence,
                     starts_on: date | None = None, due_days_before_end: int = 5) -> str:
    """Keep the project's billing periods on schedule (monthly or weekly from `starts_on`, due
    `due_days_before_end` days before each ends), or by hand again (Cadence.MANUAL). The
    reminder job opens and closes them from its next run. What is now so, in words."""
    project = _project(session, actor, project_number)
    if cadence is Cadence.MANUAL:
        project.period_cadence, project.period_starts_on = Cadence.MANUAL.value, None
    else:
        if starts_on is None:
            raise Invalid("give the date the schedule starts from")
        problem = schedule_problem(cadence, starts_on, due_days_before_end)
        if problem:
            raise Invalid(problem)
        project.period_cadence, project.period_starts_on = cadence.value, starts_on
        project.period_due_days_before_end = due_days_before_end
    session.add(project)
    session.flush()
    audit_chain.record(session, actor.login, "schedule billing periods", "project", project.id,
                       after={"cadence": project.period_cadence, "from": starts_on,
                              "due days before end": due_days_before_end})
    if cadence is Cadence.MANUAL:
        return f"Project {project_number}'s billing periods are opened and closed by hand."
    return (f"Project {project_number}'s billing periods now open {cadence.value} from "
            f"{starts_on:%b %d, %Y}, invoices due {due_days_before_end} days before each "
            "ends; the daily reminder job opens and closes them.")
