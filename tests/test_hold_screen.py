"""A held invoice on the administrator's screen, driven by keys at 80×24: it says it is held
and why (wrapped, nothing cut), p refuses the payment naming the reasons and offers the release,
u asks why and releases the hold, then p records a payment; a payment past what is owed is
refused in the dialog, with the amount typed kept, and nothing reaches the database.

The invoice is the worked example of tests/test_payments_and_holds.py: erin's #3, line 1
overbilled ($39,500.00 to date against $38,500.00 scheduled), $11,295.00 due.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import Static

from data.db import reading
from data.models import PaymentHoldRelease
from tests.invoice_pilot import make_app, screen_text, settle, top
from tests.test_payments_and_holds import LINE_1_HELD, approved_and_held, paid
from tui.dialogs import Ask, Choose, Report
from tui.screens.invoice_review import ReviewScreen
from tui.widgets.form import FormScreen


def shown(app: Any) -> str:
    """The screen's words, with the line breaks of wrapping taken out."""
    return " ".join(screen_text(app).split())


def footer(app: Any) -> str:
    return screen_text(app).splitlines()[-1]


async def _type(pilot: Pilot[Any], text: str) -> None:
    await pilot.press(*("space" if ch == " " else ch for ch in text))


async def _open_held_invoice(pilot: Pilot[Any]) -> ReviewScreen:
    await settle(pilot)
    await pilot.press("v", "enter")  # pat's invoices: erin's #3, just approved, first
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ReviewScreen) and screen.view is not None
    assert screen.view.position == 3
    return screen


async def test_a_held_invoice_is_released_with_a_reason_then_paid(
        sqlite_demo_engine: Engine) -> None:
    invoice_id = approved_and_held(sqlite_demo_engine)
    app = make_app(sqlite_demo_engine, "pat")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open_held_invoice(pilot)
        said = (f"Held from payment: {LINE_1_HELD}. p says why; u releases the hold.")
        assert screen.message.text == said
        assert said in shown(app)  # wrapped on the message line's two rows, not cut
        assert "p Paid" in footer(app) and "u Release hold" in footer(app)

        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(top(app), Report)
        assert "u: Release the hold on this invoice's payment, saying why" in shown(app)
        await pilot.press("escape")
        await pilot.pause()

        await pilot.press("p")  # refused, with the reasons, and the release offered
        await pilot.pause()
        choose = top(app)
        assert isinstance(choose, Choose)
        assert "Invoice #3 cannot be paid: it is held from payment." in shown(app)
        assert f"• {LINE_1_HELD}" in choose.question
        assert "• line 1 is overbilled: $39,500.00 to date against" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert top(app) is screen and paid(sqlite_demo_engine, invoice_id) == 0

        await pilot.press("p", "r")  # Release hold
        await pilot.pause()
        ask = top(app)
        assert isinstance(ask, Ask) and LINE_1_HELD in ask.question
        await pilot.press("enter")  # a reason is required
        await pilot.pause()
        assert isinstance(top(app), Ask) and "say why" in shown(app)
        await _type(pilot, "Owner approved the extra mobilization")
        await pilot.press("enter")
        await settle(pilot)
        assert top(app) is screen
        assert "The hold on invoice #3 is released: p records a payment." in shown(app)
        assert screen.holds == [] and "u Release hold" not in footer(app)
        await pilot.press("u")  # not offered any more: nothing happens
        await pilot.pause()
        assert top(app) is screen

        await pilot.press("p")
        await pilot.pause()
        assert isinstance(top(app), FormScreen)
        await pilot.press("ctrl+s")  # the amount offered is what is owed: $11,295.00
        await settle(pilot)
        assert "Payment of $11,295.00 on 2026-11-21 recorded." in shown(app)
        assert "p Paid" not in footer(app)
    assert paid(sqlite_demo_engine, invoice_id) == 1_129_500
    with reading(sqlite_demo_engine) as session:
        [kept] = session.exec(select(PaymentHoldRelease)).all()
    assert (kept.invoice_id, kept.reason) == (invoice_id, "Owner approved the extra mobilization")


async def test_an_over_payment_is_refused_in_the_dialog_with_the_amount_kept(
        sqlite_demo_engine: Engine) -> None:
    invoice_id = approved_and_held(sqlite_demo_engine)
    app = make_app(sqlite_demo_engine, "pat")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open_held_invoice(pilot)
        await pilot.press("u")
        await pilot.pause()
        await _type(pilot, "Owner approved")
        await pilot.press("enter")
        await settle(pilot)
        assert screen.holds == []

        await pilot.press("p")
        await pilot.pause()
        form = top(app)
        assert isinstance(form, FormScreen)
        await pilot.press("end", *["backspace"] * len(form.input("amount").value))
        await _type(pilot, "11295.01")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert top(app) is form and form.input("amount").value == "11295.01"
        problem = str(form.query_one("#error-amount", Static).render())
        assert problem == ("this payment would bring the total paid to $11,295.01, over the "
                           "$11,295.00 due; at most $11,295.00 can still be paid")
        assert "due; at most $11,295.00 can still be" in screen_text(app)  # wrapped, shown
        assert paid(sqlite_demo_engine, invoice_id) == 0

        await pilot.press("backspace", "0", "ctrl+s")  # 11295.00
        await settle(pilot)
        assert top(app) is screen and "recorded" in shown(app)
    assert paid(sqlite_demo_engine, invoice_id) == 1_129_500


async def test_an_invoice_not_held_offers_no_release(sqlite_demo_engine: Engine) -> None:
    app = make_app(sqlite_demo_engine, "pat")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("v", "down", "enter")  # erin's #2: approved, paid in full
        await settle(pilot)
        screen = top(app)
        assert isinstance(screen, ReviewScreen) and screen.holds == []
        assert "Held" not in shown(app) and "u Release hold" not in footer(app)
        await pilot.press("u")
        await pilot.pause()
        assert top(app) is screen
