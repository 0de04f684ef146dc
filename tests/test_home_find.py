"""Finding an invoice on home with `/`: by project, commitment, company, number or status; the
tabs count what is shown; Enter opens the row found; `/` with nothing shows every row."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from textual.pilot import Pilot
from textual.widgets import DataTable

from tests.invoice_pilot import make_app, screen_text, settle
from tui.dialogs import Ask
from tui.screens.home import HomeScreen
from tui.screens.invoice import InvoiceScreen


async def _find(pilot: Pilot[Any], words: str) -> None:
    await pilot.press("slash")
    await pilot.pause()
    assert isinstance(pilot.app.screen, Ask)
    await pilot.press("ctrl+a", "ctrl+k")  # the words looked for before are offered: clear them
    await pilot.press(*("space" if ch == " " else ch for ch in words))
    await pilot.press("enter")
    await settle(pilot)


def _invoice_rows(app: Any) -> list[str]:
    table = app.screen.query_one("#invoices-table", DataTable)
    rows = (" ".join(str(cell) for cell in table.get_row_at(i)) for i in range(table.row_count))
    return [row.lstrip(" ✓") for row in rows]  # the backup's mark column comes first


async def test_support_finds_an_invoice_by_company_and_status_and_opens_it(
        sqlite_demo_engine: Engine) -> None:
    app = make_app(sqlite_demo_engine, "sam")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("v")
        every = _invoice_rows(app)
        assert len(every) == 5
        await _find(pilot, "coastline approved")  # the company and the status, any case
        found = _invoice_rows(app)
        assert len(found) == 2 and all("SC-2417-016" in row and "Approved" in row
                                       for row in found)
        assert "Invoices (2 of 5)" in screen_text(app)
        await _find(pilot, "2417 bayside")  # the project's number and the company
        found = _invoice_rows(app)  # dan's: the columns may be laid out wider now
        assert len(found) == sum("SC-2417-031" in row for row in every) >= 1
        assert all(row.startswith("SC-2417-031") for row in found)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, InvoiceScreen) and screen.view is not None
        assert screen.view.commitment_number == "SC-2417-031"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        await _find(pilot, "")
        assert len(_invoice_rows(app)) == 5 and "Invoices (5)" in screen_text(app)


async def test_an_empty_home_says_why_and_what_to_do(sqlite_demo_engine: Engine) -> None:
    from data.models import Role
    from data.roles import add_user

    add_user(sqlite_demo_engine, "newcomer", company="Coastline Electric Co.",
             roles=frozenset({Role.INVOICE_CONTACT}))
    for login, words in (("newcomer", "payapp users assign newcomer --project NUMBER"),):
        app = make_app(sqlite_demo_engine, login)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            assert words in screen_text(app).replace("\n", " ").replace("  ", " "), login


async def test_an_administrator_of_a_project_without_commitments_is_told_how_to_start(
        sqlite_demo_engine: Engine) -> None:
    from data.models import Role
    from data.projects import add_project
    from data.roles import add_user
    from tests.invoice_pilot import run_command, top
    from tui.screens.commitment_setup import CommitmentForm

    add_user(sqlite_demo_engine, "quinn", company="Harbor Point Builders, Inc.",
             roles=frozenset({Role.INVOICE_ADMINISTRATOR}))
    add_project(sqlite_demo_engine, "2502", name="Harbor Clinic",
                general_contractor="Harbor Point Builders, Inc.", administrators=("quinn",))
    app = make_app(sqlite_demo_engine, "quinn")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        shown = " ".join(screen_text(app).split())
        assert "No commitment yet in your project 2502: Ctrl+P, “Set up a commitment” starts " \
               "one." in shown
        assert "payapp users assign" not in shown
        await run_command(pilot, "Set up a commitment")
        form = top(app)
        assert isinstance(form, CommitmentForm) and form.input("project").value == "2502"
