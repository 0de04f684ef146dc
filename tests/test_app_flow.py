"""Flow tests of the app shell with Textual's Pilot, on the demo database."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from sqlalchemy import Engine
from textual.widgets import DataTable, Static

from tests.invoice_pilot import cell, header, screen_text, settle, show_column
from tui.app import PayApp
from tui.parts.invoice_sheet import TOTALS
from tui.parts.summary_part import SummaryPart
from tui.screens.home import HomeScreen
from tui.screens.invoice import InvoiceScreen


def _cell_texts(table: DataTable[Any]) -> list[list[str]]:
    rows = []
    for index in range(table.row_count):
        rows.append([c.plain if isinstance(c, Text) else str(c) for c in table.get_row_at(index)])
    return rows


async def test_contact_sees_home_then_opens_invoice_and_summary(
        sqlite_demo_engine: Engine) -> None:
    app = PayApp(sqlite_demo_engine, login="erin", demo=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        who = app.screen.query_one("#who", Static)
        assert "Erin Walsh" in str(who.render())
        invoices = _cell_texts(app.screen.query_one("#invoices-table", DataTable))
        assert [row[1] for row in invoices] == ["3", "2", "1"]
        assert invoices[0][3] == "Revise & Resubmit"
        assert invoices[0][4] == "$103,278.20"
        assert invoices[1][5] == "Paid"

        await pilot.press("enter")  # the newest invoice has the cursor
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, InvoiceScreen)
        grid = screen.grid
        keys = grid.row_keys
        headings = [grid.row(key).text("description").strip() for key in keys
                    if key.startswith("h:")]
        assert headings == ["▾ Change Orders", "Commitment Change Orders", "Grand Total"]
        assert keys[-1] == TOTALS
        # C, D, E, previous stored, new stored, installed, F: stored switchgear installed.
        assert [cell(screen, "4", column) for column in (
            "scheduled", "previous", "this_period", "previous_stored", "new_stored",
            "installed", "stored")] == ["$148,900.00", "$62,890.00", "$36,010.00",
                                        "$18,000.00", "$0.00", "$18,000.00", "$0.00"]
        assert grid.row(TOTALS).text("completed") == "$354,949.86"  # G702 line 4
        shown = screen_text(app)
        assert "Mobilization and general conditions" in shown
        assert "Due $103,278.20" in shown

        await pilot.press("s")
        await pilot.pause()
        assert screen.query_one(SummaryPart).display
        shown = screen_text(app)
        assert "Current Payment Due" in shown and "$103,278.20" in shown

        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)


async def test_unit_based_invoice_shows_quantities(sqlite_demo_engine: Engine) -> None:
    app = PayApp(sqlite_demo_engine, login="dan", demo=True)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        await pilot.press("v", "enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, InvoiceScreen)
        grid = screen.grid
        await show_column(pilot, screen, "unit")  # `c` until the units group shows
        assert grid.group == "units"
        assert grid.visible_columns[:6] == ("item", "description", "unit", "quantity",
                                            "unit_price", "value")
        assert [cell(screen, "5", column) for column in (
            "unit", "quantity", "unit_price", "value")] == [
            "SF", "31,200", "$4.125", "$128,700.00"]
        asphalt = next(line for line in screen_text(app).splitlines()
                       if "Asphalt paving" in line and "│" in line)
        assert "SF" in asphalt and "31,200" in asphalt and "$4.125" in asphalt
        assert "$128,700.00" in asphalt


async def test_support_sees_every_invoice_and_cannot_edit(sqlite_demo_engine: Engine) -> None:
    app = PayApp(sqlite_demo_engine, login="sam", demo=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        invoices = _cell_texts(app.screen.query_one("#invoices-table", DataTable))
        assert len(invoices) == 5
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, InvoiceScreen)
        assert screen.view is not None and not screen.view.editable
        assert screen.grid.read_only
        assert "read-only" in header(screen) and "read-only" in screen_text(app)


async def test_unknown_login_is_told_what_to_do(sqlite_demo_engine: Engine) -> None:
    app = PayApp(sqlite_demo_engine, login="nobody")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        message = str(app.screen.query_one("#who", Static).render())
        assert "no payapp user" in message and "payapp users add nobody" in message


async def test_demo_can_switch_user_but_a_real_database_cannot(
        sqlite_demo_engine: Engine) -> None:
    app = PayApp(sqlite_demo_engine, login="erin", demo=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.act_as("pat")
        await pilot.pause()
        await settle(pilot)
        assert "Pat Morales" in str(app.screen.query_one("#who", Static).render())
    real = PayApp(sqlite_demo_engine, login="erin", demo=False)
    async with real.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        real.act_as("pat")
        await pilot.pause()
        assert real.login == "erin"
