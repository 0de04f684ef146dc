# ruff: noqa: F811  (the fixtures imported from tests.pg_people are parameters here)
"""Billing periods on schedule (issue 10, item 4): the rule (monthly from a day of the month,
weekly from a date, due some days before the end), the administrator setting it (payapp and
`payapp periods schedule`), and the daily job advancing it over frozen days on SQLite and on
PostgreSQL, where the database does it for the reminder role only and only for its today."""

from __future__ import annotations

from datetime import date

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import col, select

from data.db import make_engine, reading, writing
from data.models import BillingPeriod, Project, Role
from data.period_schedule import Cadence, period_holding, schedule_problem
from data.refusals import Invalid, NotAllowed
from data.reminders.job import allow
from data.reminders.periods import advance_periods
from data.reminders.queue import ReminderError
from data.roles import add_user
from data.services.actors import actor_for_login
from data.services.billing_periods import schedule_periods
from tests.pg_people import Psql, admin, as_login, demo_template, demo_url, psql, scratch_roles  # noqa: F401

PROJECT = "2417"


def test_monthly_periods_start_on_the_day_of_the_start_date() -> None:
    assert period_holding(Cadence.MONTHLY, date(2026, 12, 5), date(2027, 1, 4)) == (
        date(2026, 12, 5), date(2027, 1, 4))
    assert period_holding(Cadence.MONTHLY, date(2026, 12, 5), date(2027, 1, 5)) == (
        date(2027, 1, 5), date(2027, 2, 4))
    assert period_holding(Cadence.MONTHLY, date(2026, 1, 1), date(2026, 2, 28)) == (
        date(2026, 2, 1), date(2026, 2, 28))
    assert period_holding(Cadence.MONTHLY, date(2026, 12, 5), date(2026, 12, 4)) is None
    assert period_holding(Cadence.MANUAL, date(2026, 12, 5), date(2026, 12, 9)) is None


def test_weekly_periods_are_seven_days_from_the_start_date() -> None:
    assert period_holding(Cadence.WEEKLY, date(2026, 12, 7), date(2026, 12, 20)) == (
        date(2026, 12, 14), date(2026, 12, 20))
    assert period_holding(Cadence.WEEKLY, date(2026, 12, 7), date(2026, 12, 21)) == (
        date(2026, 12, 21), date(2026, 12, 27))


def test_what_cannot_be_kept() -> None:
    assert "1 to 28" in str(schedule_problem(Cadence.MONTHLY, date(2026, 1, 31), 5))
    assert "0 to 6 days" in str(schedule_problem(Cadence.WEEKLY, date(2026, 1, 5), 7))
    assert schedule_problem(Cadence.MONTHLY, date(2026, 1, 28), 27) is None


def _periods(engine: Engine) -> list[tuple[date, date, date, str]]:
    with reading(engine) as session:
        project = session.exec(select(Project).where(Project.number == PROJECT)).one()
        return [(p.starts_on, p.ends_on, p.due_on, p.status) for p in session.exec(
            select(BillingPeriod).where(BillingPeriod.project_id == project.id)
            .order_by(col(BillingPeriod.starts_on))).all()]


def _schedule_monthly_from_december(engine: Engine) -> str:
    with writing(engine) as session:
        return schedule_periods(session, actor_for_login(session, "pat"), PROJECT,
                                cadence=Cadence.MONTHLY, starts_on=date(2026, 12, 1),
                                due_days_before_end=5)


def test_the_job_closes_the_ended_period_and_opens_the_next(
        sqlite_demo_engine: Engine) -> None:
    engine = sqlite_demo_engine
    before = _periods(engine)
    open_now = [p for p in before if p[3] == "open"]
    assert len(open_now) == 1 and open_now[0][1] == date(2026, 11, 30)  # the demo's November
    said = _schedule_monthly_from_december(engine)
    assert "open monthly from Dec 01, 2026, invoices due 5 days before each ends" in said

    assert advance_periods(engine, date(2026, 11, 30)).line() == (
        "billing periods: 0 closed, 0 opened")  # November is not over
    assert advance_periods(engine, date(2026, 12, 1)).line() == (
        "billing periods: 1 closed, 1 opened")
    assert _periods(engine)[-2:] == [
        (date(2026, 11, 1), date(2026, 11, 30), date(2026, 11, 25), "closed"),
        (date(2026, 12, 1), date(2026, 12, 31), date(2026, 12, 26), "open")]
    assert advance_periods(engine, date(2026, 12, 1)).opened == 0  # twice a day: nothing more
    advance_periods(engine, date(2027, 1, 15))  # the job missed two weeks: the current one
    assert _periods(engine)[-1] == (date(2027, 1, 1), date(2027, 1, 31), date(2027, 1, 26),
                                    "open")


def test_only_an_administrator_schedules_and_what_is_refused(
        sqlite_demo_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    with writing(sqlite_demo_engine) as session, pytest.raises(NotAllowed):
        schedule_periods(session, actor_for_login(session, "erin"), PROJECT,
                         cadence=Cadence.WEEKLY, starts_on=date(2026, 12, 7))
    with writing(sqlite_demo_engine) as session, pytest.raises(Invalid, match="1 to 28"):
        schedule_periods(session, actor_for_login(session, "pat"), PROJECT,
                         cadence=Cadence.MONTHLY, starts_on=date(2026, 12, 30))
    from tui.cli import main

    monkeypatch.setenv("PAYAPP_DATABASE_URL", str(sqlite_demo_engine.url))
    monkeypatch.setattr("getpass.getuser", lambda: "pat")
    done = CliRunner().invoke(main, ["periods", "schedule", "--project", PROJECT, "--weekly",
                                     "--from", "2026-12-07", "--due-days", "2"])
    assert done.exit_code == 0, done.output
    assert "open weekly from Dec 07, 2026, invoices due 2 days before each ends" in done.output
    refused = CliRunner().invoke(main, ["periods", "schedule", "--project", PROJECT,
                                        "--weekly", "--from", "2026-12-07", "--due-days", "9"])
    assert refused.exit_code == 1 and "0 to 6 days" in refused.output


@pytest.mark.postgres
def test_on_postgresql_the_database_advances_them_for_the_reminder_role_only(
        admin: Engine, demo_url: str, psql: Psql, scratch_roles: list[str]) -> None:
    pat = make_engine(as_login(demo_url, "pat"))
    try:
        _schedule_monthly_from_december(pat)
    finally:
        pat.dispose()
    for login in ("erin", "pat", "sam"):
        with psql(login).connect() as c, pytest.raises(DBAPIError, match="permission denied"):
            c.execute(text("SELECT * FROM payapp_advance_billing_periods(current_date)"))
    scratch_roles.append("periodbot")
    add_user(admin, "periodbot", company="Harbor Point Builders, Inc.",
             roles=frozenset({Role.SUPPORT}), display_name="payapp scheduled jobs")
    bot = make_engine(as_login(demo_url, "periodbot"))
    try:
        with pytest.raises(ReminderError, match="may not queue reminders"):
            advance_periods(bot)
        allow(admin, "periodbot")
        with pytest.raises(ReminderError, match="only for the database's today"):
            advance_periods(bot, date(2026, 12, 1))
        advance_periods(bot)  # today, on the server: November (2026) is long over
    finally:
        bot.dispose()
    periods = _periods(admin)
    assert [p for p in periods if p[3] == "open"] == [
        p for p in periods if p[0] <= date.today() <= p[1]]
    assert (date(2026, 11, 1), date(2026, 11, 30), date(2026, 11, 25), "closed") in periods
    assert advance_periods(admin, date(2026, 12, 1)).opened == 0  # a maintainer's other day


async def test_from_the_palette_at_80x24(sqlite_demo_engine: Engine) -> None:
    from tests.invoice_pilot import make_app, run_command, screen_text, settle, top
    from tui.widgets.form import FormScreen

    app = make_app(sqlite_demo_engine, "pat")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await run_command(pilot, "Keep billing periods on schedule")
        form = top(app)
        assert isinstance(form, FormScreen)
        await pilot.press("tab", "tab", *["backspace"] * 10, *"2026-12-30", "ctrl+s")
        await settle(pilot)
        assert top(app) is form  # refused, as typed
        assert "A monthly schedule starts on a day from 1 to 28" in " ".join(
            screen_text(app).split())
        await pilot.press(*["backspace"] * 10, *"2026-12-01", "ctrl+s")
        await settle(pilot)
        toasts = " ".join(str(n.message) for n in app._notifications)
        assert "open monthly from Dec 01, 2026" in toasts
    with reading(sqlite_demo_engine) as session:
        project = session.exec(select(Project).where(Project.number == PROJECT)).one()
        assert (project.period_cadence, project.period_starts_on) == ("monthly",
                                                                      date(2026, 12, 1))
