"""Compiling an invoice backup from home, by keys, at 80×24: Space marks invoices, B asks and
compiles with a progress bar, the report names the file in full and what was left out; Escape
cancels and leaves nothing; contacts are not offered the keys."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from textual.pilot import Pilot

from data.config import locations
from tests.invoice_pilot import make_app, screen_text, settle
from tests.pg_people import ELECTRICAL, invoice_ids
from tests.test_backups import _attach_as_stored, _three_invoices_with_files
from tests.test_pdf_merge import slow_pdf
from tui.dialogs import Report
from tui.screens.home_backups import BackupProgress


async def _wait_for(pilot: Pilot[Any], done: Any, seconds: float = 60) -> None:
    for _ in range(int(seconds * 10)):
        if done():
            return
        await pilot.pause(0.1)
    raise AssertionError(f"still waiting after {seconds} s")


def _said(app: Any) -> list[str]:
    return [n.message for n in app._notifications]


def _flat(app: Any) -> str:
    return " ".join(screen_text(app).split())


async def test_an_administrator_marks_three_invoices_and_compiles_their_backup(
        sqlite_demo_engine: Engine, tmp_path: Path) -> None:
    _three_invoices_with_files(sqlite_demo_engine, tmp_path)
    app = make_app(sqlite_demo_engine, "pat")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        footer = screen_text(app).splitlines()[-1]
        assert "Backup" in footer  # space marks: the B dialog and ? say so
        # Newest first: SC-016 #3, #2, SC-031 #2, SC-016 #1, SC-031 #1. Space marks and moves
        # down: marked are SC-016 #2 and #1 and SC-031 #1, the three with files.
        await pilot.press("down", "space", "down", "space", "space")
        await pilot.pause()
        assert "Invoices (5 · 3 ✓)" in screen_text(app)  # the tab counts the marks
        marks = [line[:3].strip() for line in screen_text(app).splitlines()[5:10]]
        assert marks == ["", "✓", "", "✓", "✓"]
        await pilot.press("B")
        await settle(pilot)
        assert "Compile one PDF of 3 invoices of project 2417" in _flat(app)
        await pilot.press("y")  # the progress screen comes and goes: the test below watches it
        await _wait_for(pilot, lambda: isinstance(app.screen, Report))
        await settle(pilot)
        shown = _flat(app)
        assert "Backup compiled" in shown and "Written to:" in shown
        written = list(locations().exports_dir.glob("Subcontractor invoice backup - *.pdf"))
        assert len(written) == 1 and written[0].stat().st_size > 0
        inside = [line[line.index("█") + 1:line.rindex("█")]
                  for line in screen_text(app).splitlines() if line.count("█") >= 2]
        bare = "".join("".join(inside).split())  # however the dialog wraps the path
        assert "".join(f"{written[0].parent}/".split()) in bare
        assert "".join(written[0].name.split()) in bare


async def test_escape_cancels_the_backup_and_leaves_nothing(sqlite_demo_engine: Engine,
                                                           tmp_path: Path) -> None:
    _three_invoices_with_files(sqlite_demo_engine, tmp_path)
    # A file that takes the merge seconds to read, so that the backup is still running.
    first = invoice_ids(sqlite_demo_engine, ELECTRICAL)[0]
    _attach_as_stored(sqlite_demo_engine, first, "slow.pdf", slow_pdf())
    app = make_app(sqlite_demo_engine, "sam")  # support compiles backups too
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("v", "B")
        await settle(pilot)
        assert "No invoice is marked" in _flat(app)
        await pilot.press("a")  # all the invoices shown
        await settle(pilot)
        await pilot.press("y")
        await _wait_for(pilot, lambda: isinstance(app.screen, BackupProgress))
        await pilot.press("escape")
        await _wait_for(pilot, lambda: not isinstance(app.screen, BackupProgress))
        # The home screen reports the outcome when it next handles its messages.
        await _wait_for(pilot, lambda: bool(_said(app)), seconds=10)
        assert _said(app) == ["The backup was cancelled; nothing was written."]
        folder = locations().exports_dir
        assert not folder.exists() or list(folder.iterdir()) == []


async def test_contacts_are_not_offered_backups(sqlite_demo_engine: Engine) -> None:
    app = make_app(sqlite_demo_engine, "erin")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        footer = screen_text(app).splitlines()[-1]
        assert "Mark" not in footer and "Backup" not in footer
        await pilot.press("B")
        await settle(pilot)
        assert "Compile one PDF" not in _flat(app)
