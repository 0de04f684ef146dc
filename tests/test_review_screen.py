"""The invoice administrator's review, driven by keys at 80×24: reject a line saying why,
approve others, send the invoice back, and the contact reads why; approve an invoice and record
its payment. Home offers an administrator no answers to invites (y, n)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from textual.pilot import Pilot

from data.db import reading
from data.models import InvoiceStatus
from data.services.actors import actor_for_login
from data.services.invoice_views import load_invoice
from tests.invoice_pilot import make_app, screen_text, send_erins_resubmission, settle
from tui.dialogs import Ask
from tui.screens.home import HomeScreen
from tui.screens.invoice_review import ReviewScreen
from tui.widgets.form import FormScreen


async def _open_first_invoice(pilot: Pilot[Any]) -> ReviewScreen:
    await settle(pilot)
    await pilot.press("v", "enter")  # pat's invoices, the one under review first
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ReviewScreen) and screen.view is not None
    assert screen.view.status is InvoiceStatus.UNDER_REVIEW
    return screen


async def _type(pilot: Pilot[Any], text: str) -> None:
    await pilot.press(*("space" if ch == " " else ch for ch in text))


async def test_a_rejected_line_goes_back_to_the_contact_with_the_reason(
        sqlite_demo_engine: Engine) -> None:
    invoice_id = send_erins_resubmission(sqlite_demo_engine)
    app = make_app(sqlite_demo_engine, "pat")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open_first_invoice(pilot)
        assert "y ✓ line" in screen_text(app) and "d Decide" in screen_text(app)
        await pilot.press("down", "space", "down", "space", "y")  # lines 2 and 3 together
        await settle(pilot)
        text = screen_text(app)
        assert "2 ✓" in text and "3 ✓" in text, text
        assert "each of the 2 marked lines: approved" in text.lower().replace("\n", " ")
        await pilot.press("home", "n")  # line 1
        await pilot.pause()
        assert isinstance(app.screen, Ask) and "line 1" in app.screen.question
        assert "Revise & Resubmit" in app.screen.question  # it says what rejecting does
        await pilot.press("enter")  # a reason is required: nothing happens without one
        await pilot.pause()
        assert isinstance(app.screen, Ask)
        await _type(pilot, "Mobilization billed twice")
        await pilot.press("enter")
        await settle(pilot)
        text = screen_text(app)
        assert "1 ✗" in text and "Revise & Resubmit" in text, text
        assert not screen.check_action("mark", ())  # no more review once it is sent back
    with reading(sqlite_demo_engine) as session:
        view = load_invoice(session, actor_for_login(session, "erin"), invoice_id)
        assert view.status is InvoiceStatus.REVISE_AND_RESUBMIT
        assert (view.lines[0].review, view.lines[0].review_comment) == \
            ("rejected", "Mobilization billed twice")
        assert [line.review for line in view.lines[1:3]] == ["approved", "approved"]


async def test_approve_then_record_the_payment(sqlite_demo_engine: Engine) -> None:
    invoice_id = send_erins_resubmission(sqlite_demo_engine)
    app = make_app(sqlite_demo_engine, "pat")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open_first_invoice(pilot)
        assert screen.view is not None
        due = screen.view.summary.current_payment_due
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("a")  # Approve
        await settle(pilot)
        assert "is now Approved" in screen_text(app).replace("\n", " ")
        await pilot.press("p")
        await pilot.pause()
        assert isinstance(app.screen, FormScreen)
        await pilot.press("ctrl+s")  # the amount offered is what is owed
        await settle(pilot)
        assert "recorded" in screen_text(app)
    with reading(sqlite_demo_engine) as session:
        view = load_invoice(session, actor_for_login(session, "pat"), invoice_id)
        assert view.status is InvoiceStatus.APPROVED and view.paid == due


async def test_home_offers_an_administrator_no_invite_answers(sqlite_demo_engine: Engine
                                                              ) -> None:
    app = make_app(sqlite_demo_engine, "pat")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        for tab in ("i", "c"):
            await pilot.press(tab)
            await pilot.pause()
            footer = f" {screen_text(app).splitlines()[-1]} "
            assert " y " not in footer and " n " not in footer, footer
            # b starts an invoice on the contact's behalf, on the Commitments tab only
            assert (" b Bill " in footer) is (tab == "c"), footer
        await pilot.press("i", "y")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)  # nothing answered


async def test_a_paid_invoice_offers_no_payment(sqlite_demo_engine: Engine) -> None:
    app = make_app(sqlite_demo_engine, "pat")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("v", "down", "enter")  # erin's #2: approved and paid in full
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ReviewScreen) and screen.view is not None
        assert screen.view.paid >= screen.view.summary.current_payment_due > 0
        assert "paid in full" in screen_text(app)
        assert " p Paid" not in screen_text(app).splitlines()[-1]
        await pilot.press("p")
        await pilot.pause()
        assert app.screen is screen  # no payment form


async def test_an_invoice_sent_back_can_be_taken_in_for_review_by_the_administrator(
        sqlite_demo_engine: Engine) -> None:
    """Erin's #3 is in Revise & Resubmit: d offers taking it in for review, as her sending
    would (it once closed the app: that move had no words)."""
    app = make_app(sqlite_demo_engine, "pat")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("v", "enter")  # the newest invoice: erin's #3
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        shown = " ".join(screen_text(app).split())
        assert "Under review: take it in for review" in shown
        await pilot.press("u")
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen) and app.screen.view is not None
        assert app.screen.view.status is InvoiceStatus.UNDER_REVIEW
