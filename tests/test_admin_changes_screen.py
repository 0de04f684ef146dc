"""An invoice administrator changes a contact's invoice by keys at 80×24: E on the review screen
opens it for editing; the contact then opens it to "Changed by Pat Morales on …", and w lists
what changed. An administrator also starts an invoice on the contact's behalf (b on the
Commitments tab, after the due date too), fills it in and sends it."""

from __future__ import annotations

from sqlalchemy import Engine

from data.db import reading
from data.models import InvoiceStatus
from data.services.actors import actor_for_login
from data.services.invoice_views import load_invoice
from data.wording import SAVED
from tests.invoice_pilot import (
    make_app,
    message,
    open_erins_invoice_3,
    screen_text,
    send_erins_resubmission,
    settle,
    type_into,
)
from tui.dialogs import Report
from tui.screens.invoice import InvoiceScreen
from tui.screens.invoice_review import ReviewScreen


def _flat(app: object) -> str:
    return " ".join(screen_text(app).split())  # type: ignore[arg-type]


async def test_the_contact_reads_what_the_administrator_changed(sqlite_demo_engine: Engine
                                                               ) -> None:
    invoice_id = send_erins_resubmission(sqlite_demo_engine)
    app = make_app(sqlite_demo_engine, "pat")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("v", "enter")  # the invoice under review, first
        await settle(pilot)
        review = app.screen
        assert isinstance(review, ReviewScreen)
        assert "E Edit" in screen_text(app).splitlines()[-1]
        await pilot.press("E")
        await settle(pilot)
        editing = app.screen
        assert isinstance(editing, InvoiceScreen) and editing.invoice_id == invoice_id
        await type_into(pilot, editing, "2", "this_period", "2500")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert message(editing) == (SAVED, False)
        await pilot.press("escape")
        await settle(pilot)
        back = app.screen
        assert back is review and isinstance(back, ReviewScreen)  # read again on return:
        assert back.view is not None and back.view.admin_changes[0].who == "Pat Morales"

    app = make_app(sqlite_demo_engine, "erin")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_erins_invoice_3(pilot)
        said = message(screen)[0]
        assert said.startswith("Changed by Pat Morales on ") and "w shows" in said
        await pilot.press("w")
        await settle(pilot)
        assert isinstance(app.screen, Report)
        shown = _flat(app)
        assert "line 2, work this period:" in shown and "→ $2,500.00" in shown


async def test_an_administrator_bills_on_the_contacts_behalf(sqlite_demo_engine: Engine
                                                            ) -> None:
    app = make_app(sqlite_demo_engine, "pat")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("c", "down")  # SC-2417-031 has no invoice this period yet
        await pilot.pause()
        await pilot.press("b")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, InvoiceScreen) and screen.view is not None
        assert (screen.view.commitment_number, screen.view.status) == (
            "SC-2417-031", InvoiceStatus.DRAFT)
        await type_into(pilot, screen, "2", "new_quantity", "100")
        await pilot.press("ctrl+e")
        await settle(pilot)
        await pilot.press("enter")  # Send
        await settle(pilot)
        invoice_id = screen.invoice_id
    with reading(sqlite_demo_engine) as session:
        view = load_invoice(session, actor_for_login(session, "dan"), invoice_id)
    assert view.status is InvoiceStatus.UNDER_REVIEW
    assert view.admin_changes and view.admin_changes[0].who == "Pat Morales"
