"""Driving the invoice screen with Textual's Pilot the way a person does: keys, and what is drawn.

Shared by the flow tests (test_app_flow, test_contact_journeys, test_invoice_screen,
test_markup). Cells are read by row and column key (`grid.row(key).text(column)`, the column
keys of data/g703.py) and the cursor is put on a cell with `grid.move_cursor`; a column hidden
in the current column group is brought into view with `c`, as a person would. What the
terminal shows is read from the screen as drawn (`screen_text`).
"""

from __future__ import annotations

import io
import re
from decimal import Decimal
from typing import Any

from rich.console import Console
from sqlalchemy import Engine
from textual._compositor import LayoutUpdate
from textual.pilot import Pilot
from textual.widgets import TabbedContent

from tests.conftest import DEMO_TODAY
from tui.app import PayApp
from tui.screens.invoice import InvoiceScreen

ELECTRICAL = "SC-2417-016"
CONCRETE = "SC-2417-031"
MONEY = re.compile(r"^-?\$[0-9]{1,3}(,[0-9]{3})*\.[0-9]{2}$")


def make_app(engine: Engine, login: str) -> PayApp:
    return PayApp(engine, login=login, demo=True, today=lambda: DEMO_TODAY)


def top(app: PayApp) -> object:
    """The active screen, as a plain object: mypy would otherwise keep an earlier
    isinstance() narrowing of app.screen after a key press changed it."""
    return app.screen


async def settle(pilot: Pilot[Any], rounds: int = 3) -> None:
    """Wait for the database workers and whatever they start when they finish (a save starts
    a load, which shows the invoice)."""
    for _ in range(rounds):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def screen_text(app: PayApp) -> str:
    """The screen as the terminal draws it, one line per row: dialogs and the screens under
    them included, as in a screenshot (`App.export_screenshot` renders the same update)."""
    update = app.screen._compositor.render_update(full=True,
                                                  screen_stack=app._background_screens)
    assert isinstance(update, LayoutUpdate)
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True,
                      legacy_windows=False, safe_box=False, color_system=None)
    console.print(update)
    return console.export_text()


def screen_lines(app: PayApp) -> list[str]:
    return screen_text(app).splitlines()


async def open_erins_invoice_3(pilot: Pilot[Any]) -> InvoiceScreen:
    await settle(pilot)
    await pilot.press("enter")  # erin starts on her invoices, the newest (#3) first
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, InvoiceScreen) and screen.view is not None
    assert (screen.view.commitment_number, screen.view.position) == (ELECTRICAL, 3)
    return screen


def sov_line_id(screen: InvoiceScreen, item: str) -> int:
    assert screen.view is not None
    return next(ln.sov_line_id for ln in screen.view.lines if ln.result.line.item_no == item)


def row_key(screen: InvoiceScreen, item: str) -> str:
    return str(sov_line_id(screen, item))


def cell(screen: InvoiceScreen, item: str, column: str) -> str:
    """The text of a cell: `item` is the line's item number, `column` a data/g703.py key."""
    return screen.grid.row(row_key(screen, item)).text(column)


async def show_column(pilot: Pilot[Any], screen: InvoiceScreen, column: str) -> None:
    """Press `c` until the column group showing `column` is on screen."""
    grid = screen.grid
    for _ in range(len(grid.groups)):
        if column in grid.visible_columns:
            return
        await pilot.press("c")
        await pilot.pause()
    assert column in grid.visible_columns, f"no column group shows {column!r}"


async def goto(pilot: Pilot[Any], screen: InvoiceScreen, item: str, column: str) -> None:
    if screen.query_one(TabbedContent).active != "sov":
        await pilot.press("l")
    await show_column(pilot, screen, column)
    screen.grid.move_cursor(row_key(screen, item), column)
    await pilot.pause()


async def type_into(pilot: Pilot[Any], screen: InvoiceScreen, item: str, column: str,
                    text: str) -> None:
    """Put the cursor on a cell and type `text` into it, then Enter."""
    await goto(pilot, screen, item, column)
    await pilot.press(*text, "enter")
    await pilot.pause()


def message(screen: InvoiceScreen) -> tuple[str, bool]:
    """The message line's text, and whether it reports a problem."""
    return screen.message.text, screen.message.is_error


def totals(screen: InvoiceScreen) -> str:
    from tui.parts.totals_bar import TotalsBar

    return screen.query_one(TotalsBar).text


def header(screen: InvoiceScreen) -> str:
    from tui.parts.invoice_header import InvoiceHeader

    return screen.query_one(InvoiceHeader).text


def money(value: Decimal) -> str:
    return f"${value:,.2f}"


async def run_command(pilot: Pilot[Any], command: str) -> None:
    """Run a command from the palette (ctrl+p), typed as a person types it."""
    await pilot.press("ctrl+p")
    await pilot.pause()
    await pilot.press(*("space" if ch == " " else ch for ch in command))
    await pilot.pause(0.3)
    await pilot.press("enter")
    await settle(pilot)


def send_erins_resubmission(engine: Engine) -> int:
    """Erin sends her invoice #3 (the demo's Revise & Resubmit) for review again; its id."""
    from sqlmodel import select

    from data.db import writing
    from data.models import Invoice, InvoiceStatus
    from data.services.actors import actor_for_login
    from data.services.invoice_changes import change_status

    with writing(engine) as session:
        invoice = next(i for i in session.exec(select(Invoice)).all()
                       if i.status == InvoiceStatus.REVISE_AND_RESUBMIT.value)
        assert invoice.id is not None
        change_status(session, actor_for_login(session, "erin"), invoice.id,
                      InvoiceStatus.UNDER_REVIEW)
        return invoice.id
