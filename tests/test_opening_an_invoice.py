"""Opening an invoice from home: read first, then the screen opens once, with its figures; an
invoice that cannot be read says why and the person stays on home."""

from __future__ import annotations

import asyncio

from sqlalchemy import Engine, text

from tests.invoice_pilot import ELECTRICAL, make_app, message, settle
from tui.screens.home import HomeScreen
from tui.screens.invoice import InvoiceScreen


async def test_enter_opens_the_invoice_already_showing_its_figures(
        sqlite_demo_engine: Engine) -> None:
    app = make_app(sqlite_demo_engine, "erin")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")  # erin starts on her invoices, the newest (#3) first
        for _ in range(2000):  # the first moment the invoice screen is up
            screen = app.screen
            if isinstance(screen, InvoiceScreen) and screen.is_mounted:
                break
            await asyncio.sleep(0.001)
        assert isinstance(screen, InvoiceScreen)
        assert screen.draft is not None and screen.view is not None
        assert (screen.view.commitment_number, screen.view.position) == (ELECTRICAL, 3)
        said, is_error = message(screen)
        assert "Opening" not in said and not is_error
        assert screen.focused is screen.grid  # straight on the lines


async def test_an_invoice_that_cannot_be_read_says_why_and_home_stays(
        sqlite_demo_engine: Engine) -> None:
    app = make_app(sqlite_demo_engine, "erin")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        with sqlite_demo_engine.begin() as connection:  # erin is taken off her commitments
            connection.execute(text(
                "DELETE FROM commitment_contact WHERE user_id = "
                "(SELECT id FROM app_user WHERE login = 'erin')"))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        shown = [n.message for n in app._notifications]
        assert "Opening the invoice: you have no access to commitment SC-2417-016" in shown
