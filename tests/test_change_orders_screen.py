"""A commitment's change orders from the home screen's palette, at 80×24 and by keys only: a new
CCO whose badly typed line is refused under the field with everything typed kept, then moved to
Pending and Approved, which adds its lines to the schedule of values and its total to the
contract sum."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Engine
from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import Static

from data.db import reading
from data.models import ChangeOrder, Commitment
from data.services.commitment_setup import contract_sums
from tests.invoice_pilot import make_app, run_command, screen_text, settle, top
from tui.dialogs import Choose
from tui.screens.change_orders import ChangeOrderForm, ChangeOrdersScreen


async def _type(pilot: Pilot[Any], text: str) -> None:
    await pilot.press(*("space" if ch == " " else ch for ch in text))


def _electrical(engine: Engine) -> tuple[int, Decimal]:
    with reading(engine) as session:
        commitment = session.exec(select(Commitment).where(
            Commitment.number == "SC-2417-016")).one()
        assert commitment.id is not None
        original, changes = contract_sums(session, commitment.id)
        return commitment.id, original + changes


async def test_pat_adds_a_change_order_and_approves_it(sqlite_demo_engine: Engine) -> None:
    commitment_id, sum_before = _electrical(sqlite_demo_engine)
    app = make_app(sqlite_demo_engine, "pat")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("c")  # SC-2417-016 highlighted first
        await settle(pilot)
        await run_command(pilot, "Change orders of the highlighted commitment")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ChangeOrdersScreen)
        assert "CCO   001  Added exam-room receptacles" in screen_text(app)
        await pilot.press("n")
        await settle(pilot)
        form = top(app)
        assert isinstance(form, ChangeOrderForm)
        await pilot.press("tab")
        await _type(pilot, "004")
        await pilot.press("tab")
        await _type(pilot, "Pendant lighting")
        await pilot.press("tab")
        await _type(pilot, "Pendant fixtures = 2,500; Credit: cans = minus 1,200")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert top(app) is form  # refused, kept
        assert "Line 2: 'minus 1,200' is not a valid amount" in str(
            form.query_one("#error-lines", Static).render())
        for _ in "minus 1,200":
            await pilot.press("backspace")
        await _type(pilot, "-1,200")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert "CCO 004 created as a Draft." in screen_text(app)
        assert "CCO   004  Pendant lighting              draft     29, 29.1  $1,300.00" \
            in screen_text(app)
        for _ in range(2):
            await pilot.press("down")  # the rows: CCO 001, 002, 004, PCO 003
        await pilot.pause()
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(top(app), Choose)
        await pilot.press("p")  # Pending
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        await pilot.press("a")  # Approved
        await settle(pilot)
        assert "CCO 004 Pendant lighting: approved, 2 lines, $1,300.00" in " ".join(
            screen_text(app).split())
    with reading(sqlite_demo_engine) as session:
        order = session.exec(select(ChangeOrder).where(ChangeOrder.number == "004")).one()
        assert order.status == "approved" and order.commitment_id == commitment_id
    assert _electrical(sqlite_demo_engine)[1] == sum_before + Decimal("1300.00")
