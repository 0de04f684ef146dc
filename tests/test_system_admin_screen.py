"""The system administrator's screen (issue 10, item 8), driven by keys at 80×24: a system
administrator lands on it instead of an empty home; adds a user (and a wrong login keeps the
form open with the reason), puts one to work, disables one; sees the outbox's emails not sent
with the server's last answer and releases a failed one; sees the schema revision and checks
the audit trail, which finds an entry changed behind payapp's back. Each step is checked in the
database. On PostgreSQL, with the administrator's own login role, the screen reads what that
role may read and offers no change the role could not make."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, select
from textual.pilot import Pilot

from data.models import AppUser, OutboxEmail, UserRole
from data.outbox_delivery import not_sent
from data.roles import ensure_login_role
from tests.invoice_pilot import make_app, screen_text, settle
from tests.pg_people import admin, as_login, demo_template, demo_url  # noqa: F401
from tui.screens.system_admin import SystemAdminScreen

NARROW = (80, 24)


async def _type(pilot: Pilot[Any], *values: str) -> None:
    """Fills the form's fields in order, Tab between them."""
    for number, value in enumerate(values):
        if number:
            await pilot.press("tab")
        if value:
            await pilot.press(*value)


def _footer(app: Any) -> str:
    return screen_text(app).rstrip("\n").splitlines()[-1]


def _user(engine: Engine, login: str) -> AppUser | None:
    with Session(engine) as session:
        return session.exec(select(AppUser).where(AppUser.login == login)).first()


async def test_a_system_administrator_lands_on_users_and_adds_one(
        sqlite_demo_engine: Engine) -> None:
    app = make_app(sqlite_demo_engine, "alex")
    async with app.run_test(size=NARROW, notifications=True) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, SystemAdminScreen)
        shown = screen_text(app)
        assert "Users (5)" in shown and "Pat Morales" in shown and "administrator" in shown
        assert "a Add" in _footer(app) and "x Disable" in _footer(app)
        assert "t Retry" not in _footer(app) and "v Verify" not in _footer(app)

        await pilot.press("a")
        await settle(pilot)
        await _type(pilot, "Fay Ruiz")  # a login may not hold capitals or spaces
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Add a user" in screen_text(app) and "not a usable login" in screen_text(app)
        assert _user(sqlite_demo_engine, "Fay Ruiz") is None

        await pilot.press(*["backspace"] * 8)
        await _type(pilot, "fay", "Fay Ruiz", "fay@coastline.example", "Coastline Electric Co.",
                    "", "", "", "SC-2417-016")
        await pilot.press("ctrl+s")
        await settle(pilot)
        toasts = " ".join(str(n.message) for n in app._notifications)
        assert "Added fay (Fay Ruiz), Coastline Electric Co. fay now bills" in " ".join(
            toasts.split())
        assert "Users (6)" in screen_text(app) and "Fay Ruiz" in screen_text(app)
    fay = _user(sqlite_demo_engine, "fay")
    assert fay is not None and fay.active and fay.email == "fay@coastline.example"
    with Session(sqlite_demo_engine) as session:
        roles = session.exec(select(UserRole.role).where(UserRole.user_id == fay.id)).all()
    assert list(roles) == ["invoice_contact"]


async def test_disabling_asks_first_and_the_user_can_no_longer_log_in(
        sqlite_demo_engine: Engine) -> None:
    app = make_app(sqlite_demo_engine, "alex")
    async with app.run_test(size=NARROW, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("down", "down")  # alex, dan, erin
        await pilot.press("x")
        await settle(pilot)
        assert "Disable erin (Erin Walsh, Coastline Electric Co.)?" in " ".join(
            screen_text(app).split())
        await pilot.press("k")  # Keep
        await settle(pilot)
        user = _user(sqlite_demo_engine, "erin")
        assert user is not None and user.active
        await pilot.press("x", "d")
        await settle(pilot)
        assert "disabled" in screen_text(app)
        assert "x Disable" not in _footer(app)  # already disabled: nothing to do
    user = _user(sqlite_demo_engine, "erin")
    assert user is not None and not user.active


async def test_assign_puts_the_highlighted_user_on_a_project(sqlite_demo_engine: Engine) -> None:
    from data.models import ProjectAdministrator

    app = make_app(sqlite_demo_engine, "alex")
    async with app.run_test(size=NARROW, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("down", "down", "down", "down")  # sam, support
        await pilot.press("g")
        await settle(pilot)
        await pilot.press("ctrl+s")  # nothing given: the form says what is missing
        await settle(pilot)
        assert "Give at least one project or commitment number." in screen_text(app)
        await _type(pilot, "9999")
        await pilot.press("ctrl+s")
        await settle(pilot)
        toasts = " ".join(str(n.message) for n in app._notifications)
        assert "9999" in toasts  # no such project: refused, in its own words
    with Session(sqlite_demo_engine) as session:
        sam = session.exec(select(AppUser).where(AppUser.login == "sam")).one()
        assert session.exec(select(ProjectAdministrator)
                            .where(ProjectAdministrator.user_id == sam.id)).first() is None


async def test_the_outbox_shows_the_last_error_and_releases_a_failed_email(
        sqlite_demo_engine: Engine) -> None:
    with Session(sqlite_demo_engine) as session:
        first = session.exec(select(OutboxEmail).order_by(OutboxEmail.id)).first()  # type: ignore[arg-type]
        assert first is not None
        first.attempts, first.last_error = 3, "451 4.3.0 mailbox busy, try later"
        first.failed_at = first.next_attempt_at = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
        session.add(first)
        session.commit()
        failed_id = first.id
    app = make_app(sqlite_demo_engine, "alex")
    async with app.run_test(size=NARROW, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        shown = " ".join(screen_text(app).split())
        state = next(e.state for e in not_sent(sqlite_demo_engine) if e.id == failed_id)
        assert state != "waiting" and f"{failed_id} {state}" in shown
        assert "last error: 451 4.3.0 mailbox busy" in shown
        assert "t Retry" in _footer(app)
        await pilot.press("down")  # a waiting email: nothing to retry
        assert "t Retry" not in _footer(app)
        await pilot.press("up", "t")
        await settle(pilot)
        await pilot.press("r")  # Retry
        await settle(pilot)
        toasts = " ".join(str(n.message) for n in app._notifications)
        assert f"Email #{failed_id}" in toasts and "next delivery" in toasts
    with Session(sqlite_demo_engine) as session:
        email = session.get(OutboxEmail, failed_id)
        assert email is not None and email.failed_at is None and email.next_attempt_at is None


async def test_the_database_tab_checks_the_audit_trail_and_finds_a_change(
        sqlite_demo_engine: Engine) -> None:
    from data import migrate

    app = make_app(sqlite_demo_engine, "alex")
    async with app.run_test(size=NARROW, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        head = migrate.head_revision()
        assert f"database {head}, payapp {head}" in screen_text(app)
        assert "Not checked yet" in screen_text(app) and "v Verify" in _footer(app)
        await pilot.press("v")
        await settle(pilot)
        assert "the chain is intact" in " ".join(screen_text(app).split())

        with sqlite_demo_engine.begin() as connection:  # someone edits the trail directly
            connection.execute(text("UPDATE audit_entry SET action = 'nothing happened' "
                                    "WHERE id = (SELECT min(id) FROM audit_entry)"))
        await pilot.press("v")
        await settle(pilot)
        assert "problem(s), the first at entry" in " ".join(screen_text(app).split())


@pytest.mark.postgres
async def test_on_postgresql_the_screen_offers_only_what_the_role_may_do(
        admin: Engine, demo_url: str) -> None:  # noqa: F811
    from data.db import make_engine

    ensure_login_role(admin, "alex")
    engine = make_engine(as_login(demo_url, "alex"))
    try:
        app = make_app(engine, "alex")
        async with app.run_test(size=NARROW, notifications=True) as pilot:
            await settle(pilot)
            assert isinstance(app.screen, SystemAdminScreen)
            shown = " ".join(screen_text(app).split())
            assert "alex" in shown
            assert "a Add" not in _footer(app) and "x Disable" not in _footer(app)
            assert "payapp users add" in shown  # where adding is done on a shared database
            await pilot.press("a")  # not offered: does nothing, says nothing wrong
            await settle(pilot)
            assert not [n for n in app._notifications if n.severity == "error"]
            await pilot.press("d")
            await settle(pilot)
            assert "Locks: nobody is waiting for a lock." in screen_text(app)
    finally:
        engine.dispose()
