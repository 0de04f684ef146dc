"""Flow tests of the app shell with Textual's Pilot, on the demo database."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from sqlalchemy import Engine
from textual.widgets import DataTable, Static

from tui.app import PayApp
from tui.screens.home import HomeScreen
from tui.screens.invoice import InvoiceScreen
from tui.widgets.sov_table import SovTable
from tui.widgets.summary import SummaryPanel


def _cell_texts(table: DataTable[Any]) -> list[list[str]]:
    rows = []
    for index in range(table.row_count):
        rows.append([c.plain if isinstance(c, Text) else str(c) for c in table.get_row_at(index)])
    return rows


async def _settle(app: PayApp) -> None:
    await app.workers.wait_for_complete()
    await app.workers.wait_for_complete()


async def test_contact_sees_home_then_opens_invoice_and_summary(
        sqlite_demo_engine: Engine) -> None:
    app = PayApp(sqlite_demo_engine, login="erin", demo=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(app)
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        who = app.screen.query_one("#who", Static)
        assert "Erin Walsh" in str(who.render())
        invoices = _cell_texts(app.screen.query_one("#invoices-table", DataTable))
        assert [row[1] for row in invoices] == ["3", "2", "1"]
        assert invoices[0][3] == "Revise & Resubmit"
        assert invoices[0][4] == "$103,278.20"
        assert invoices[1][5] == "Paid"

        await pilot.press("enter")  # the newest invoice has the cursor
        await _settle(app)
        await pilot.pause()
        assert isinstance(app.screen, InvoiceScreen)
        sov = _cell_texts(app.screen.query_one(SovTable))
        headings = [row[2].strip() for row in sov if row[1] == ""]
        assert headings[:3] == ["▾ Change Orders", "Commitment Change Orders", "Totals"]
        line_four = next(row for row in sov if row[1] == "4")
        # C, D, E, previous stored, new stored, installed, F: stored switchgear installed.
        assert line_four[3:10] == ["$148,900.00", "$62,890.00", "$36,010.00", "$18,000.00",
                                   "$0.00", "$18,000.00", "$0.00"]
        assert sov[-1][2] == "Totals"
        assert "$354,949.86" in sov[-1]  # G702 line 4

        await pilot.press("s")
        await pilot.pause()
        assert app.screen.query_one(SummaryPanel).display
        shown = app.export_screenshot()
        assert "Current&#160;Payment&#160;Due" in shown and "$103,278.20" in shown

        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)


async def test_unit_based_invoice_shows_quantities(sqlite_demo_engine: Engine) -> None:
    app = PayApp(sqlite_demo_engine, login="dan", demo=True)
    async with app.run_test(size=(160, 50)) as pilot:
        await _settle(app)
        await pilot.press("v", "enter")
        await _settle(app)
        await pilot.pause()
        assert isinstance(app.screen, InvoiceScreen)
        table = app.screen.query_one(SovTable)
        header = [c.label.plain for c in table.columns.values()]
        assert header[:7] == ["", "Item", "Description", "Unit", "Qty", "Unit Price",
                              "C Value"]
        rows = _cell_texts(table)
        asphalt = next(row for row in rows if row[1] == "5")
        assert asphalt[3:7] == ["SF", "31,200", "$4.125", "$128,700.00"]


async def test_support_sees_every_invoice_and_cannot_edit(sqlite_demo_engine: Engine) -> None:
    app = PayApp(sqlite_demo_engine, login="sam", demo=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await _settle(app)
        await pilot.pause()
        invoices = _cell_texts(app.screen.query_one("#invoices-table", DataTable))
        assert len(invoices) == 5
        await pilot.press("enter")
        await _settle(app)
        await pilot.pause()
        assert isinstance(app.screen, InvoiceScreen)
        assert app.screen.view is not None and not app.screen.view.editable
        assert "read-only" in app.export_screenshot()


async def test_unknown_login_is_told_what_to_do(sqlite_demo_engine: Engine) -> None:
    app = PayApp(sqlite_demo_engine, login="nobody")
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(app)
        await pilot.pause()
        message = str(app.screen.query_one("#who", Static).render())
        assert "no payapp user" in message and "payapp users add nobody" in message


async def test_demo_can_switch_user_but_a_real_database_cannot(
        sqlite_demo_engine: Engine) -> None:
    app = PayApp(sqlite_demo_engine, login="erin", demo=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(app)
        app.act_as("pat")
        await pilot.pause()
        await _settle(app)
        await pilot.pause()
        assert "Pat Morales" in str(app.screen.query_one("#who", Static).render())
    real = PayApp(sqlite_demo_engine, login="erin", demo=False)
    async with real.run_test(size=(80, 24)) as pilot:
        await _settle(real)
        real.act_as("pat")
        await pilot.pause()
        assert real.login == "erin"
