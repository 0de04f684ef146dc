"""Screenshots of the main screens, compared with the SVGs under tests/__snapshots__/.

The demo's dates follow "today", which the app takes from `today`: pinned here, so that the
due dates, days left and billing dates in the pictures never move. After an intended change
of the screens, look at the new pictures and accept them with
`pytest tests/test_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine
from textual.pilot import Pilot

from tests.conftest import DEMO_TODAY
from tui.app import PayApp
from tui.screens.home import HomeScreen
from tui.screens.invoice import InvoiceScreen

SIZES = pytest.mark.parametrize("size", [(80, 24), (160, 50)], ids=["80x24", "160x50"])

SnapCompare = Callable[..., bool]


def _app(engine: Engine, login: str) -> PayApp:
    return PayApp(engine, login=login, demo=True, today=lambda: DEMO_TODAY)


async def _settle(pilot: Pilot[Any]) -> None:
    for _ in range(2):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def _inbox(pilot: Pilot[Any]) -> None:
    await _settle(pilot)
    assert isinstance(pilot.app.screen, HomeScreen)


async def _erins_invoice(pilot: Pilot[Any]) -> None:
    await _settle(pilot)
    await pilot.press("enter")  # her newest invoice, #3 in Revise & Resubmit
    await _settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, InvoiceScreen) and screen.view is not None
    assert screen.view.position == 3
    await pilot.wait_for_scheduled_animations()  # the tab underline slides into place
    await pilot.pause()


@SIZES
def test_inbox_of_a_contact_with_an_invite(
        snap_compare: SnapCompare, sqlite_demo_engine: Engine, size: tuple[int, int]) -> None:
    """Dan's home: the Invites tab, his invite for this month not answered yet."""
    assert snap_compare(_app(sqlite_demo_engine, "dan"), terminal_size=size, run_before=_inbox)


@SIZES
def test_invoice_sent_back_for_revision(
        snap_compare: SnapCompare, sqlite_demo_engine: Engine, size: tuple[int, int]) -> None:
    """Erin's invoice #3: the editable schedule of values, line 7 rejected."""
    assert snap_compare(_app(sqlite_demo_engine, "erin"), terminal_size=size,
                        run_before=_erins_invoice)
