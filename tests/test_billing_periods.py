# ruff: noqa: F811  (the fixtures imported from tests.pg_people are parameters here)
"""Billing periods by hand: the invoice administrator opens and closes a project's periods; one
open at a time, none overlapping, a period in use never removed; the same rules hold in psql
as the person's own role, and a contact cannot set periods at all."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlmodel import select

from data.db import reading, writing
from data.models import AuditEntry, BillingPeriod, PeriodStatus
from data.services.actors import actor_for_login
from data.services.billing_periods import (
    close_period,
    open_period,
    periods_of,
    remove_period,
)
from data.services.errors import Invalid, NotAllowed
from tests.invoice_pilot import make_app, run_command, settle
from tests.pg_people import (  # noqa: F401
    Psql,
    admin,
    demo_template,
    demo_url,
    psql,
)
from tui.widgets.form import FormScreen

PROJECT = "2417"
DECEMBER = {"starts_on": date(2026, 12, 1), "ends_on": date(2026, 12, 31),
            "due_on": date(2026, 12, 24)}


def _open_one(engine: Engine) -> int:
    with reading(engine) as session:
        return next(p.period_id for p in periods_of(session, actor_for_login(session, "pat"),
                                                    PROJECT) if p.status is PeriodStatus.OPEN)


def test_one_open_period_no_overlap_and_a_period_in_use_is_kept(demo_engine: Engine) -> None:
    november = _open_one(demo_engine)
    with writing(demo_engine) as session:
        pat = actor_for_login(session, "pat")
        with pytest.raises(Invalid, match="still open: close it first"):
            open_period(session, pat, PROJECT, **DECEMBER)
        with pytest.raises(Invalid, match="in use is kept"):
            remove_period(session, pat, november)
        close_period(session, pat, november)
    with writing(demo_engine) as session:
        pat = actor_for_login(session, "pat")
        with pytest.raises(Invalid, match="overlaps the period Nov 01, 2026"):
            open_period(session, pat, PROJECT, starts_on=date(2026, 11, 20),
                        ends_on=date(2026, 12, 31), due_on=date(2026, 12, 24))
        with pytest.raises(Invalid, match="ends before it starts"):
            open_period(session, pat, PROJECT, starts_on=date(2026, 12, 31),
                        ends_on=date(2026, 12, 1), due_on=date(2026, 12, 24))
        row = open_period(session, pat, PROJECT, **DECEMBER)
        assert (row.status, row.label) == (PeriodStatus.OPEN, "Dec 01, 2026 – Dec 31, 2026")
    with writing(demo_engine) as session:
        pat = actor_for_login(session, "pat")
        remove_period(session, pat, row.period_id)  # opened by mistake, nothing uses it yet
        actions = [e.action for e in session.exec(
            select(AuditEntry).where(AuditEntry.entity == "billing_period")).all()]
        assert {"close billing period", "open billing period",
                "remove billing period"} <= set(actions)


def test_only_the_projects_administrator_sets_periods(demo_engine: Engine) -> None:
    november = _open_one(demo_engine)
    with writing(demo_engine) as session:
        for login in ("erin", "sam"):
            with pytest.raises(NotAllowed):
                close_period(session, actor_for_login(session, login), november)
            with pytest.raises(NotAllowed):
                open_period(session, actor_for_login(session, login), PROJECT, **DECEMBER)


def test_the_database_refuses_an_overlapping_period(demo_engine: Engine) -> None:
    november = _open_one(demo_engine)
    with demo_engine.connect() as connection:
        project_id = connection.execute(text(
            "SELECT project_id FROM billing_period WHERE id = :p"), {"p": november}).scalar_one()
    with pytest.raises(Exception, match="do not overlap"), demo_engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO billing_period (project_id, starts_on, ends_on, due_on, status, "
            "version) VALUES (:p, '2026-11-15', '2026-12-15', '2026-12-10', 'closed', 1)"),
            {"p": project_id})


@pytest.mark.postgres
def test_in_psql_pat_cannot_overlap_or_delete_and_erin_cannot_write(
        admin: Engine, psql: Psql) -> None:
    with admin.connect() as connection:
        november, project_id = connection.execute(text(
            "SELECT id, project_id FROM billing_period WHERE status = 'open'")).one()
    overlapping = ("INSERT INTO billing_period (project_id, starts_on, ends_on, due_on, status, "
                   "version) VALUES (:p, '2026-11-15', '2026-12-15', '2026-12-10', 'closed', 1)")
    with psql("pat").begin() as pat, pytest.raises(Exception, match="do not overlap"):
        pat.execute(text(overlapping), {"p": project_id})
    with psql("pat").begin() as pat, pytest.raises(Exception, match="foreign key"):
        pat.execute(text("DELETE FROM billing_period WHERE id = :id"), {"id": november})
    with psql("pat").begin() as pat, pytest.raises(Exception, match="uq_billing_period_one_open"):
        pat.execute(text("INSERT INTO billing_period (project_id, starts_on, ends_on, due_on, "
                         "status, version) VALUES (:p, '2027-01-01', '2027-01-31', "
                         "'2027-01-25', 'open', 1)"), {"p": project_id})
    with psql("erin").begin() as erin:  # row-level security: a contact writes no period
        changed = erin.execute(text("UPDATE billing_period SET due_on = '2026-11-30' "
                                    "WHERE id = :id"), {"id": november}).rowcount
        assert changed == 0
    with pytest.raises(Exception, match="row-level security"), psql("erin").begin() as erin:
        erin.execute(text("INSERT INTO billing_period (project_id, starts_on, ends_on, due_on, "
                          "status, version) VALUES (:p, '2027-02-01', '2027-02-28', "
                          "'2027-02-25', 'closed', 1)"), {"p": project_id})


async def test_pat_closes_and_opens_a_period_from_the_palette(
        sqlite_demo_engine: Engine) -> None:
    app = make_app(sqlite_demo_engine, "pat")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await run_command(pilot, "Close the open billing period")
        await pilot.press("c")  # Close it
        await settle(pilot)
        assert _notified(app, "Billing period Nov 01, 2026 – Nov 30, 2026 closed.")
        await run_command(pilot, "Open a billing period")
        form = app.screen
        assert isinstance(form, FormScreen)
        await pilot.press("ctrl+s")  # the month after today's, due on its 25th
        await settle(pilot)
        assert _notified(app, "Billing period Dec 01, 2026 – Dec 31, 2026 opened for project "
                              "2417, invoices due Dec 25, 2026.")
    with reading(sqlite_demo_engine) as session:
        periods = session.exec(select(BillingPeriod).where(
            BillingPeriod.status == PeriodStatus.OPEN.value)).all()
        assert [(p.starts_on, p.due_on) for p in periods] == [(date(2026, 12, 1),
                                                              date(2026, 12, 25))]




def _notified(app: Any, text: str) -> bool:
    return any(n.message == text for n in app._notifications)
