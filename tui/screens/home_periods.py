"""Billing periods by hand, from the home screen's command palette (an invoice administrator's):
open a project's next period in one form (project, from, to, due date), close the open one."""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from textual.message import Message

from tui.dialogs import Choose
from tui.service_calls import acting, call_service

if TYPE_CHECKING:
    from sqlmodel import Session
    from textual.screen import Screen

    from data.services.actors import Actor


class PeriodChanged(Message):
    """A billing period was opened or closed; `say` says which."""

    def __init__(self, say: str) -> None:
        super().__init__()
        self.say = say


def _a_date(text: str) -> str | None:
    try:
        date.fromisoformat(text.strip())
    except ValueError:
        return f"“{text.strip()[:20]}” is not a date; write it as YYYY-MM-DD"
    return None


def _in_order(values: Mapping[str, str]) -> str | None:
    if any(_a_date(values[key]) for key in ("starts_on", "ends_on", "due_on")):
        return None  # the fields say what is wrong
    starts, ends, due = (date.fromisoformat(values[key].strip())
                         for key in ("starts_on", "ends_on", "due_on"))
    if ends < starts:
        return "The period ends before it starts."
    if due < starts:
        return "Invoices cannot be due before the period starts."
    return None


def _next_month(today: date) -> tuple[date, date, date]:
    """The month after today's, with invoices due on its 25th: what to offer first."""
    start = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    end = start.replace(day=calendar.monthrange(start.year, start.month)[1])
    return start, end, start.replace(day=25)


def open_period_form(screen: Screen[Any], project_number: str) -> None:
    """Ask for the period, then open it; the screen gets `PeriodChanged` or a refusal."""
    from tui.widgets.form import FormField, FormScreen

    start, end, due = _next_month(acting(screen).today())
    fields = [FormField("project", "Project number", project_number,
                        lambda text: None if text.strip() else "the project's number"),
              FormField("starts_on", "From", start.isoformat(), _a_date),
              FormField("ends_on", "To", end.isoformat(), _a_date),
              FormField("due_on", "Invoices due", due.isoformat(), _a_date)]

    def chosen(values: Mapping[str, str] | None) -> None:
        if values is not None:
            _open(screen, values["project"].strip(),
                  *(date.fromisoformat(values[key].strip())
                    for key in ("starts_on", "ends_on", "due_on")))

    screen.app.push_screen(FormScreen(
        "Open a billing period", fields, check_all=_in_order,
        intro="A project has one open period at a time, and periods do not overlap."), chosen)


def _open(screen: Screen[Any], project: str, starts_on: date, ends_on: date,
          due_on: date) -> None:
    from data.services.billing_periods import open_period

    def work(session: Session, actor: Actor) -> str:
        row = open_period(session, actor, project, starts_on=starts_on, ends_on=ends_on,
                          due_on=due_on)
        return f"Billing period {row.label} opened for project {project}, invoices due " \
            f"{row.due_on:%b %d, %Y}."

    call_service(screen, "Opening the billing period", work, PeriodChanged, writes=True,
                 group="periods")


def close_period_asked(screen: Screen[Any], period_id: int, label: str) -> None:
    """Ask, then close the period; the screen gets `PeriodChanged` or a refusal."""
    from data.services.billing_periods import close_period

    def work(session: Session, actor: Actor) -> str:
        row = close_period(session, actor, period_id)
        return f"Billing period {row.label} closed."

    def answer(choice: str | None) -> None:
        if choice == "close":
            call_service(screen, "Closing the billing period", work, PeriodChanged,
                         writes=True, group="periods")

    screen.app.push_screen(Choose(
        f"Close the billing period {label}? Nobody can answer its invites or start its "
        "invoices afterwards.", [("close", "Close it"), ("keep", "Keep it open")]), answer)


def _cadence(text: str) -> str | None:
    from data.period_schedule import Cadence

    if text.strip().lower() in {cadence.value for cadence in Cadence}:
        return None
    return "monthly, weekly or manual (opened and closed by hand)"


def _whole_days(text: str) -> str | None:
    return None if text.strip().isdigit() else "a number of days, e.g. 5"


def _schedule_kept(values: Mapping[str, str]) -> str | None:
    from data.period_schedule import Cadence, schedule_problem

    if _cadence(values["cadence"]) or _a_date(values["starts_on"]) or _whole_days(
            values["due_days"]):
        return None  # the fields say what is wrong
    cadence = Cadence(values["cadence"].strip().lower())
    if cadence is Cadence.MANUAL:
        return None
    problem = schedule_problem(cadence, date.fromisoformat(values["starts_on"].strip()),
                               int(values["due_days"].strip()))
    return f"{problem[0].upper()}{problem[1:]}." if problem else None


def schedule_form(screen: Screen[Any], project_number: str) -> None:
    """Ask for the project's schedule, then keep it; the screen gets `PeriodChanged`."""
    from tui.widgets.form import FormField, FormScreen

    start, _end, _due = _next_month(acting(screen).today())
    fields = [FormField("project", "Project number", project_number,
                        lambda text: None if text.strip() else "the project's number"),
              FormField("cadence", "Every", "monthly", _cadence,
                        placeholder="monthly, weekly or manual"),
              FormField("starts_on", "From", start.isoformat(), _a_date),
              FormField("due_days", "Due, days before end", "5", _whole_days)]

    def chosen(values: Mapping[str, str] | None) -> None:
        if values is not None:
            _schedule(screen, values["project"].strip(), values["cadence"].strip().lower(),
                      date.fromisoformat(values["starts_on"].strip()),
                      int(values["due_days"].strip()))

    screen.app.push_screen(FormScreen(
        "Billing periods on schedule", fields, check_all=_schedule_kept,
        intro="The daily reminder job (payapp reminders run) closes the open period once it has "
              "ended and opens the one holding the day. Monthly periods start on the From "
              "date's day of the month (1 to 28). Manual: periods are opened by hand again."),
        chosen)


def _schedule(screen: Screen[Any], project: str, cadence: str, starts_on: date,
              due_days: int) -> None:
    from data.period_schedule import Cadence
    from data.services.billing_periods import schedule_periods

    def work(session: Session, actor: Actor) -> str:
        return schedule_periods(session, actor, project, cadence=Cadence(cadence),
                                starts_on=starts_on, due_days_before_end=due_days)

    call_service(screen, "Scheduling the billing periods", work, PeriodChanged, writes=True,
                 group="periods")
