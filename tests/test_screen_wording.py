"""Every screen speaks the project's point of view (domain.md §1; issue 11, item 5): home, the
invoice's lines, summary and files, the keys panel, the decision and backup dialogs, the command
palette and the messages, for the demo project in each of the three wordings, read as the
terminal shows them at 80×24. The checker and the neutral demo text are
tests/test_document_wording.py's: what counts as wrong comes from the dictionary itself."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine
from textual.pilot import Pilot

from data.models import PointOfView
from tests.invoice_pilot import make_app, screen_text, settle
from tests.test_document_wording import _speaking, default_words_in, words_missing


async def _seen(pilot: Pilot[Any], *keys: str) -> str:
    await pilot.press(*keys)
    await settle(pilot)
    return screen_text(pilot.app)  # type: ignore[arg-type]


@pytest.mark.parametrize("point_of_view", list(PointOfView), ids=[p.value for p in PointOfView])
async def test_every_screen_speaks_the_projects_words(sqlite_demo_engine: Engine,
                                                      point_of_view: PointOfView) -> None:
    _speaking(sqlite_demo_engine, point_of_view)  # erin's #3: Pending Owner Approval
    app = make_app(sqlite_demo_engine, "pat")
    screens: dict[str, str] = {}
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        screens["home"] = await _seen(pilot, "v")
        screens["home keys"] = await _seen(pilot, "question_mark")
        screens["backup question"] = await _seen(pilot, "escape", "B")
        screens["backup mark"] = await _seen(pilot, "escape", "space")
        screens["palette"] = await _seen(pilot, "ctrl+p")
        screens["lines"] = await _seen(pilot, "escape", "up", "enter")  # erin's #3
        screens["summary"] = await _seen(pilot, "s")
        screens["files"] = await _seen(pilot, "f")
        screens["invoice keys"] = await _seen(pilot, "question_mark")
        screens["decision"] = await _seen(pilot, "escape", "l", "d")
        screens["invoice palette"] = await _seen(pilot, "escape", "ctrl+p")
        said = " ".join(n.message for n in app._notifications)
    wrong = {name: [line for line in text.splitlines() if default_words_in(line, point_of_view)]
             for name, text in screens.items()}
    assert {name: lines for name, lines in wrong.items() if lines} == {}
    assert "Pending Owner Approval" in screens["lines"] or point_of_view is PointOfView.OWNER
    assert default_words_in(said, point_of_view) == []
    everything = " ".join(screens.values())
    assert words_missing(everything, ["Invoice #", "Invoices"], point_of_view) == []
