"""Text from other people is never markup: every widget that shows a string from the database
shows its characters and runs nothing. A company named `[@click=app.quit]x[/]` would otherwise
become a link that quits someone else's session."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from sqlalchemy import Engine
from sqlmodel import select
from textual.widgets import DataTable

from data.db import writing
from data.models import AppUser, Commitment, Company, Invoice, Project, SovLine
from tui.app import PayApp
from tui.screens.home import HomeScreen
from tui.screens.invoice import InvoiceScreen
from tui.widgets.sov_table import SovTable

# One distinct string per field, so that each check can only pass where that field is drawn.
COMPANY = "[@click=app.quit]company[/]"
TITLE = "[b]title[/b]"
PROJECT = "[link=https://example.invalid]project[/link]"
ADMIN_NAME = "Pat [red]x[/red]"
CONTACT_NAME = "Erin [@click=app.quit]me[/]"
DESCRIPTION = "[@click=app.quit]line[/]"
INVOICE_NUMBER = "[i]number[/i]"
ITEM = "[1]"


def _plain_cells(table: DataTable[Any]) -> list[str]:
    return [c.plain if isinstance(c, Text) else str(c)
            for index in range(table.row_count) for c in table.get_row_at(index)]


def _drawn(app: PayApp) -> str:
    return app.export_screenshot().replace("&#160;", " ")


def _poison(engine: Engine) -> None:
    """Put markup into every kind of text the screens show."""
    with writing(engine) as session:
        company = session.exec(select(Company).where(Company.name == "Coastline Electric Co.")
                               ).one()
        company.name = COMPANY
        commitment = session.exec(select(Commitment).where(Commitment.number == "SC-2417-016")
                                  ).one()
        commitment.title = TITLE
        project = session.exec(select(Project)).one()
        project.name = PROJECT
        pat = session.exec(select(AppUser).where(AppUser.login == "pat")).one()
        pat.display_name = ADMIN_NAME
        erin = session.exec(select(AppUser).where(AppUser.login == "erin")).one()
        erin.display_name = CONTACT_NAME
        line = session.exec(select(SovLine).where(SovLine.commitment_id == commitment.id,
                                                  SovLine.position == 1)).one()
        line.description = DESCRIPTION
        line.item_no = ITEM
        invoice = session.exec(select(Invoice).where(Invoice.commitment_id == commitment.id,
                                                     Invoice.position == 3)).one()
        invoice.invoice_number = INVOICE_NUMBER
        session.add_all([company, commitment, project, pat, erin, line, invoice])


async def test_every_screen_shows_database_text_literally(sqlite_demo_engine: Engine) -> None:
    _poison(sqlite_demo_engine)
    app = PayApp(sqlite_demo_engine, login="erin", demo=True)
    async with app.run_test(size=(200, 50)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        home = app.screen
        assert isinstance(home, HomeScreen)
        assert CONTACT_NAME in _drawn(app)  # the who-am-I line

        await pilot.press("i")
        await pilot.pause()
        assert f"SC-2417-016 {TITLE}" in _drawn(app) and ADMIN_NAME in _drawn(app)
        await pilot.press("v")
        await pilot.pause()
        assert f"SC-2417-016 {TITLE}" in _drawn(app)
        await pilot.press("c")
        await pilot.pause()
        drawn = _drawn(app)
        assert COMPANY in drawn and TITLE in drawn and f"2417 {PROJECT}" in drawn
        commitments = _plain_cells(home.query_one("#commitments-table", DataTable))
        assert {TITLE, COMPANY, f"2417 {PROJECT}"} <= set(commitments)

        await pilot.press("v", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, InvoiceScreen)
        drawn = _drawn(app)
        for literal in (COMPANY, TITLE, PROJECT, INVOICE_NUMBER, ITEM, DESCRIPTION):
            assert literal in drawn, literal

        # Clicking where the company name and a description are drawn must not quit the app.
        await pilot.click("#general", offset=(10, 1))
        await pilot.click(SovTable, offset=(10, 2))
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, InvoiceScreen)
