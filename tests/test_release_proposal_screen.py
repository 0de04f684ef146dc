"""Retainage held above a cap that a deductive change order lowered (domain.md §4) is proposed
for release on screen, never paid by itself: the invoice's summary names the amount, and the
strip under the grid names each line's share. Driven at 80×24 as dan, through keys."""

from __future__ import annotations

from sqlalchemy import Engine

from tests.invoice_pilot import make_app, screen_text, settle
from tests.test_retainage_rules import lower_the_concrete_cap_below_what_is_held
from tui.screens.invoice import InvoiceScreen


async def test_the_summary_and_the_line_strip_propose_the_release(
        sqlite_demo_engine: Engine) -> None:
    invoice_id = lower_the_concrete_cap_below_what_is_held(sqlite_demo_engine)
    app = make_app(sqlite_demo_engine, "dan")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("v")  # dan's invoices, the newest first
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, InvoiceScreen) and screen.view is not None
        assert screen.view.invoice_id == invoice_id
        strip = " ".join(screen_text(app).split())
        assert "held above the retainage cap: proposed for release" in strip
        await pilot.press("s")  # the summary
        await settle(pilot)
        shown = " ".join(screen_text(app).split())
        assert "Held above the retainage cap, proposed for release" in shown
        assert "$590.58" in shown
        assert "8 Current Payment Due $0.00" in shown  # never paid by itself
