"""Faults injected under the contact's invoice screen: the app stays up, says what failed (and,
for an unexpected error, where its details were logged), and what was typed stays on screen.

No payapp code is mocked: the faults are real ones. The exports folder is a file (which fails
for root too, unlike a read-only folder), a trigger makes the database refuse the save, and a
superuser connection kills the app's PostgreSQL backend.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Iterator
from decimal import Decimal
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, col, select
from textual.pilot import Pilot

from data import migrate
from data.config import locations
from data.db import make_engine
from data.demo import build_demo
from data.models import Commitment, Invoice, InvoiceLine, SovLine
from tests.conftest import DEMO_TODAY
from tui.app import PayApp
from tui.parts.invoice_header import InvoiceHeader
from tui.screens.invoice import InvoiceScreen

ELECTRICAL = "SC-2417-016"
D = Decimal
SIZE = (100, 30)
# Two amounts typed on erin's invoice #3 (E, This Period); the demo has $0.00 on lines 2 and 3.
TYPED = {"2": ("2500", "$2,500.00", D("2500.00")), "3": ("1234.56", "$1,234.56", D("1234.56"))}


@pytest.fixture(autouse=True)
def own_log_file() -> Iterator[None]:
    """Each app logs into its test's own data folder: the "payapp" logger's file handler is
    process-wide, so one left by an earlier test would point the message elsewhere."""

    def drop() -> None:
        logger = logging.getLogger("payapp")
        for handler in list(logger.handlers):
            if isinstance(handler, RotatingFileHandler):
                logger.removeHandler(handler)
                handler.close()

    drop()
    yield
    drop()


# --- driving the app ----------------------------------------------------------------------------


def _app(engine: Engine, login: str = "erin") -> PayApp:
    return PayApp(engine, login=login, demo=True, today=lambda: DEMO_TODAY)


async def _settle(pilot: Pilot[Any]) -> None:
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def _open_invoice_3(pilot: Pilot[Any]) -> InvoiceScreen:
    await _settle(pilot)
    await pilot.press("enter")  # erin's home lists her invoices, #3 first
    await _settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, InvoiceScreen) and screen.view is not None
    assert (screen.view.commitment_number, screen.view.position) == (ELECTRICAL, 3)
    assert screen.view.editable
    return screen


def _row_key(screen: InvoiceScreen, item: str) -> str:
    assert screen.view is not None
    return str(next(ln.sov_line_id for ln in screen.view.lines
                    if ln.result.line.item_no == item))


async def _type_amounts(pilot: Pilot[Any], screen: InvoiceScreen) -> None:
    for item, (typed, _shown, _value) in TYPED.items():
        screen.grid.move_cursor(_row_key(screen, item), "this_period")
        await pilot.pause()
        await pilot.press(*typed)
        assert screen.grid.editing and screen.grid.edit_text == typed  # typed in the cell
        await pilot.press("enter")
        await pilot.pause()
    assert screen.message.text == "Changed; not saved yet (Ctrl+S saves)."


def _assert_typed_on_screen(screen: InvoiceScreen, *, unsaved: bool) -> None:
    """The typed amounts are in the grid's cells and in the draft (unsaved, or as saved)."""
    draft = screen.draft
    assert draft is not None
    assert draft.dirty is unsaved
    entries = draft.entries() if unsaved else {}
    for item, (_typed, shown, value) in TYPED.items():
        key = _row_key(screen, item)
        assert screen.grid.row(key).text("this_period") == shown
        assert draft.line_result(int(key)).line.work_this_period == value
        if unsaved:
            assert entries[int(key)].work == value


def _assert_failure_shown(app: PayApp, screen: InvoiceScreen, what: str, problem: str) -> str:
    """The app runs, the invoice is still on top, and its message line names the failure and
    the log file that holds the traceback."""
    assert app.is_running and app.screen is screen
    message = screen.message
    assert message.is_error, message.text
    assert message.text.startswith(f"{what} failed ("), message.text
    assert problem in message.text
    log = locations().log_file
    assert f"the details are in {log}" in message.text
    assert message.text.endswith("Nothing you typed was lost.")
    logged = log.read_text()
    assert f"{what} failed" in logged and "Traceback" in logged
    return logged


def _stored_work(engine: Engine) -> dict[str, int]:
    """Work this period (cents) of lines 2 and 3 of invoice #3, as the database holds it."""
    with Session(engine) as session:
        rows = session.exec(
            select(SovLine.item_no, InvoiceLine.work_cents)
            .join(InvoiceLine, InvoiceLine.sov_line_id == SovLine.id)  # type: ignore[arg-type]
            .join(Invoice, Invoice.id == InvoiceLine.invoice_id)  # type: ignore[arg-type]
            .join(Commitment, Commitment.id == Invoice.commitment_id)  # type: ignore[arg-type]
            .where(Commitment.number == ELECTRICAL, Invoice.position == 3,
                   col(SovLine.item_no).in_(list(TYPED)))).all()
    return dict(rows)


SAVED_CENTS = {"2": 250000, "3": 123456}
DEMO_CENTS = {"2": 0, "3": 0}


# --- a. export into a folder that cannot be written -------------------------------------------


async def test_export_into_a_folder_that_cannot_be_written(sqlite_demo_engine: Engine) -> None:
    exports = locations().exports_dir
    exports.parent.mkdir(parents=True, exist_ok=True)
    exports.write_text("a file where the exports folder should be\n")  # fails for root too
    app = _app(sqlite_demo_engine)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_invoice_3(pilot)
        await _type_amounts(pilot, screen)
        await pilot.press("x")  # the PDF shows the invoice as saved: not with unsaved changes
        await pilot.pause()
        assert screen.message.is_error and screen.message.text.startswith("Save first")
        await pilot.press("ctrl+s")
        await _settle(pilot)
        assert screen.message.text == "Saved."
        _assert_typed_on_screen(screen, unsaved=False)

        await pilot.press("x")
        await _settle(pilot)
        logged = _assert_failure_shown(app, screen, "Exporting the PDF", "FileExistsError")
        assert "FileExistsError" in logged
        _assert_typed_on_screen(screen, unsaved=False)
        assert exports.read_text() == "a file where the exports folder should be\n"

        # The app still answers: another amount typed, and the folder put right, export works.
        screen.grid.move_cursor(_row_key(screen, "8"), "this_period")
        await pilot.pause()
        await pilot.press(*"100", "enter", "ctrl+s")
        await _settle(pilot)
        assert screen.message.text == "Saved."
        exports.unlink()
        await pilot.press("x")
        await _settle(pilot)
        assert screen.message.text.startswith("PDF written to ")
        assert not screen.message.is_error
        assert app.is_running
    assert len(list(exports.glob("*.pdf"))) == 1


async def test_export_under_proc_fails_for_root_too_and_is_shown(
        sqlite_demo_engine: Engine, monkeypatch: pytest.MonkeyPatch,
        private_folders: Path) -> None:
    """The exports folder under /proc (the data folder is a link there): nobody, root
    included, can create it."""
    real = private_folders / "real-data"
    (real / "payapp").mkdir(parents=True)
    (real / "payapp" / "exports").symlink_to("/proc/payapp-cannot-exist/exports")
    monkeypatch.setenv("XDG_DATA_HOME", str(real))
    app = _app(sqlite_demo_engine)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_invoice_3(pilot)
        await _type_amounts(pilot, screen)
        await pilot.press("ctrl+s")
        await _settle(pilot)
        assert screen.message.text == "Saved."
        await pilot.press("x")
        await _settle(pilot)
        _assert_failure_shown(app, screen, "Exporting the PDF", "Error")
        _assert_typed_on_screen(screen, unsaved=False)


# --- b. a database error during save ------------------------------------------------------------


def _sqlite_file(engine: Engine) -> str:
    database = engine.url.database
    assert database is not None
    return database


TRIGGERS = ("refuse_line_update", "refuse_line_insert")


def _break_saving(database: str) -> None:
    """From a second connection: the database refuses any change to an invoice line."""
    with sqlite3.connect(database) as connection:
        connection.execute(f"CREATE TRIGGER {TRIGGERS[0]} BEFORE UPDATE ON invoice_line "
                           "BEGIN SELECT RAISE(ABORT, 'disk quota exceeded (injected)'); END")
        connection.execute(f"CREATE TRIGGER {TRIGGERS[1]} BEFORE INSERT ON invoice_line "
                           "BEGIN SELECT RAISE(ABORT, 'disk quota exceeded (injected)'); END")


def _mend_saving(database: str) -> None:
    with sqlite3.connect(database) as connection:
        for trigger in TRIGGERS:
            connection.execute(f"DROP TRIGGER {trigger}")


async def test_a_database_error_during_save(sqlite_demo_engine: Engine) -> None:
    database = _sqlite_file(sqlite_demo_engine)
    app = _app(sqlite_demo_engine)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_invoice_3(pilot)
        version = screen.draft.view.version if screen.draft else None
        await _type_amounts(pilot, screen)
        _break_saving(database)

        await pilot.press("ctrl+s")
        await _settle(pilot)
        logged = _assert_failure_shown(app, screen, "Saving", "IntegrityError")
        assert "disk quota exceeded (injected)" in logged
        _assert_typed_on_screen(screen, unsaved=True)
        assert _stored_work(sqlite_demo_engine) == DEMO_CENTS  # rolled back: nothing written
        assert "unsaved changes" in screen.query_one(InvoiceHeader).text

        # A second try while it is still broken fails the same way (no "already saving" stuck).
        await pilot.press("ctrl+s")
        await _settle(pilot)
        _assert_failure_shown(app, screen, "Saving", "IntegrityError")
        _assert_typed_on_screen(screen, unsaved=True)

        # The database mended, the same values are saved from the screen.
        _mend_saving(database)
        await pilot.press("ctrl+s")
        await _settle(pilot)
        assert (screen.message.text, screen.message.is_error) == ("Saved.", False)
        _assert_typed_on_screen(screen, unsaved=False)
        assert screen.draft is not None and screen.draft.view.version == (version or 0) + 1
    assert _stored_work(sqlite_demo_engine) == SAVED_CENTS


async def test_a_database_error_during_save_names_the_databases_reason(
        sqlite_demo_engine: Engine) -> None:
    database = _sqlite_file(sqlite_demo_engine)
    app = _app(sqlite_demo_engine)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_invoice_3(pilot)
        await _type_amounts(pilot, screen)
        _break_saving(database)
        await pilot.press("ctrl+s")
        await _settle(pilot)
        _assert_failure_shown(app, screen, "Saving", "IntegrityError")
        assert "autoflush" not in screen.message.text
        assert "disk quota exceeded (injected)" in screen.message.text


# --- c. a PostgreSQL connection dropped mid-session --------------------------------------------


@pytest.fixture
def postgres_demo(postgres_url: str) -> Iterator[tuple[Engine, Engine, str]]:
    """The demo on a fresh PostgreSQL database: payapp's engine, a superuser engine on the
    server's maintenance database, and the demo database's name."""
    engine = make_engine(postgres_url)
    migrate.upgrade(engine)
    build_demo(engine, DEMO_TODAY)
    engine.dispose()  # the app's engine starts with no connection of the set-up's
    name = make_url(postgres_url).database
    assert name is not None
    admin = create_engine(make_url(postgres_url).set(database="postgres"),
                          isolation_level="AUTOCOMMIT")
    yield engine, admin, name
    with admin.connect() as connection:
        connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
    admin.dispose()
    engine.dispose()


def _payapp_backends(admin: Engine, name: str, *, waiting_for_lock: bool = False) -> list[int]:
    where = " AND wait_event_type = 'Lock'" if waiting_for_lock else ""
    with admin.connect() as connection:
        return list(connection.execute(text(
            "SELECT pid FROM pg_stat_activity WHERE application_name = 'payapp' "
            f"AND datname = :name AND pid <> pg_backend_pid(){where}"), {"name": name}).scalars())


def _kill_payapp(admin: Engine, name: str) -> int:
    with admin.connect() as connection:
        killed = connection.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = 'payapp' AND datname = :name "
            "AND pid <> pg_backend_pid()"), {"name": name}).scalar_one()
    deadline = time.monotonic() + 10
    while _payapp_backends(admin, name) and time.monotonic() < deadline:
        time.sleep(0.05)
    return int(killed)


@pytest.mark.postgres
async def test_postgres_connection_killed_between_keys(
        postgres_demo: tuple[Engine, Engine, str]) -> None:
    """The app's idle connection is killed while the person types: the save either fails and
    says so, or reconnects (the pool pings first) and lands; nothing typed is lost."""
    engine, admin, name = postgres_demo
    app = _app(engine)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_invoice_3(pilot)
        await _type_amounts(pilot, screen)
        assert _kill_payapp(admin, name) >= 1
        await pilot.press("ctrl+s")
        await _settle(pilot)
        assert app.is_running and app.screen is screen
        if screen.message.text != "Saved.":  # no reconnect: shown, kept, and saved on a retry
            _assert_failure_shown(app, screen, "Saving", "terminating connection")
            _assert_typed_on_screen(screen, unsaved=True)
            await pilot.press("ctrl+s")
            await _settle(pilot)
        assert (screen.message.text, screen.message.is_error) == ("Saved.", False)
        _assert_typed_on_screen(screen, unsaved=False)
    assert _stored_work(engine) == SAVED_CENTS


@pytest.mark.postgres
async def test_postgres_connection_killed_while_saving(
        postgres_demo: tuple[Engine, Engine, str]) -> None:
    """The save waits for a lock held from psql and its backend is killed meanwhile: the save
    fails and says where the details are; the values stay; the next Ctrl+S saves them."""
    engine, admin, name = postgres_demo
    app = _app(engine)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_invoice_3(pilot)
        await _type_amounts(pilot, screen)
        invoice_id = screen.invoice_id
        holder = create_engine(engine.url, isolation_level="READ COMMITTED")
        with holder.connect() as locker:
            locker.execute(text("SELECT id FROM invoice WHERE id = :id FOR UPDATE"),
                           {"id": invoice_id})
            await pilot.press("ctrl+s")
            deadline = time.monotonic() + 4  # well inside payapp's 5 s lock timeout
            while not _payapp_backends(admin, name, waiting_for_lock=True):
                assert time.monotonic() < deadline, "the save never waited for the lock"
                await asyncio.sleep(0.05)
            assert _kill_payapp(admin, name) >= 1
            await _settle(pilot)
            locker.rollback()
        holder.dispose()
        _assert_failure_shown(app, screen, "Saving", "terminating connection")
        _assert_typed_on_screen(screen, unsaved=True)
        assert _stored_work(engine) == DEMO_CENTS

        await pilot.press("ctrl+s")
        await _settle(pilot)
        assert (screen.message.text, screen.message.is_error) == ("Saved.", False)
        _assert_typed_on_screen(screen, unsaved=False)
    assert _stored_work(engine) == SAVED_CENTS


@pytest.mark.postgres
async def test_postgres_unreachable_after_the_kill_then_back(
        postgres_demo: tuple[Engine, Engine, str]) -> None:
    """The connection is killed and the database refuses new ones (as during a restart): the
    save fails without closing the app; once the database is back, Ctrl+S saves."""
    engine, admin, name = postgres_demo
    app = _app(engine)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_invoice_3(pilot)
        await _type_amounts(pilot, screen)
        with admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
        assert _kill_payapp(admin, name) >= 1

        await pilot.press("ctrl+s")
        await _settle(pilot)
        _assert_failure_shown(app, screen, "Saving", "OperationalError")
        _assert_typed_on_screen(screen, unsaved=True)

        with admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        await pilot.press("ctrl+s")
        await _settle(pilot)
        assert (screen.message.text, screen.message.is_error) == ("Saved.", False)
        _assert_typed_on_screen(screen, unsaved=False)
    assert _stored_work(engine) == SAVED_CENTS


@pytest.mark.parametrize(("key", "what"), [("X", "Exporting the CSV"),
                                           ("h", "Reading the history")])
async def test_csv_and_history_into_a_folder_that_cannot_be_written(
        sqlite_demo_engine: Engine, key: str, what: str) -> None:
    exports = locations().exports_dir
    exports.parent.mkdir(parents=True, exist_ok=True)
    exports.write_text("a file where the exports folder should be\n")  # fails for root too
    app = _app(sqlite_demo_engine)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_invoice_3(pilot)
        await _type_amounts(pilot, screen)
        await pilot.press("ctrl+s")
        await _settle(pilot)
        await pilot.press(key)
        await _settle(pilot)
        logged = _assert_failure_shown(app, screen, what, "FileExistsError")
        assert "FileExistsError" in logged
        _assert_typed_on_screen(screen, unsaved=False)
        assert app.is_running and app.screen is screen
