"""Text from other people is data twice over: every widget that shows a string from the database
shows its characters and runs nothing.

Not markup: a company named `[@click=app.quit]x[/]` would otherwise become a link that quits
someone else's session. Not terminal control sequences: an invoice number holding
`ESC [2J ESC ]0;PWNED BEL` would clear the screen and retitle the window of whoever opens the
invoice, an attachment name holding `ESC ]52;c;...` would write their clipboard (OSC 52), and
`ESC [?1049l` would drop them out of the alternate screen."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from rich.text import Text
from sqlalchemy import Engine
from sqlmodel import select
from textual._compositor import LayoutUpdate
from textual.widgets import DataTable

from data.db import writing
from data.models import (
    AppUser,
    Attachment,
    Commitment,
    Company,
    Invoice,
    InvoiceLine,
    Project,
    SovLine,
)
from data.services.actors import actor_for_login
from data.services.invoice_changes import LineEntry, save_lines
from data.terminal_text import terminal_safe
from tui.app import PayApp
from tui.dialogs import Choose, Report
from tui.parts.invoice_header import InvoiceHeader
from tui.parts.invoice_sheet import InvoiceSheet
from tui.screens.home import HomeScreen
from tui.screens.invoice import InvoiceScreen
from tui.widgets.form import FormScreen

# What a person with psql could store to take over another person's terminal.
CLEAR = "\x1b[2J"
WINDOW_TITLE = "\x1b]0;PWNED\x07"  # OSC 0
CLIPBOARD = "\x1b]52;c;SGk=\x07"  # OSC 52
LEAVE_ALTERNATE_SCREEN = "\x1b[?1049l"
EIGHT_BIT_CSI = "\x9b2J"  # C1 CSI
RIGHT_TO_LEFT_OVERRIDE = "\u202e"
EVERY_SEQUENCE = (CLEAR + WINDOW_TITLE + CLIPBOARD + LEAVE_ALTERNATE_SCREEN + "\x00" + "\x07"
                  + EIGHT_BIT_CSI + RIGHT_TO_LEFT_OVERRIDE)
BIDI_CONTROLS = {*range(0x202A, 0x202F), *range(0x2066, 0x206A)}


@dataclass(frozen=True)
class Poison:
    """One distinct string per field, so that each check can only pass where that field is
    drawn."""

    company: str
    title: str
    project: str
    admin_name: str
    contact_name: str
    description: str
    invoice_number: str
    item: str
    attachment: str
    comment: str
    other_number: str  # the invoice number someone else saves meanwhile


MARKUP = Poison(
    company="[@click=app.quit]company[/]",
    title="[b]title[/b]",
    project="[link=https://example.invalid]project[/link]",
    admin_name="Pat [red]x[/red]",
    contact_name="Erin [@click=app.quit]me[/]",
    description="[@click=app.quit]line[/]",
    invoice_number="[i]number[/i]",
    item="[1]",
    attachment="[@click=app.quit]backup.pdf[/]",
    comment="[b]see[/b] [@click=app.quit]me[/]",
    other_number="[red]other[/red]",
)
# Every sequence in every field; a different one first in each, where narrow cells cut the rest.
CONTROLS = Poison(
    company="co" + CLIPBOARD + EVERY_SEQUENCE,
    title="ti" + WINDOW_TITLE + EVERY_SEQUENCE,
    project="pr" + LEAVE_ALTERNATE_SCREEN + EVERY_SEQUENCE,
    admin_name="Pat\x00" + EVERY_SEQUENCE,
    contact_name="Erin\x07" + EVERY_SEQUENCE,
    description="de" + EIGHT_BIT_CSI + EVERY_SEQUENCE,
    invoice_number="INV" + CLEAR + WINDOW_TITLE,
    item="1" + CLEAR + EVERY_SEQUENCE,
    attachment="backup.pdf" + CLIPBOARD + EVERY_SEQUENCE,
    comment=RIGHT_TO_LEFT_OVERRIDE + "fdp.exe" + EVERY_SEQUENCE,
    other_number="NEW" + CLIPBOARD,
)


def _plain_cells(table: DataTable[Any]) -> list[str]:
    return [c.plain if isinstance(c, Text) else str(c)
            for index in range(table.row_count) for c in table.get_row_at(index)]


def _drawn(app: PayApp) -> str:
    """What the terminal is told to draw, row by row: the text of every cell on the screen,
    dialogs and the screens under them included (as in a screenshot)."""
    update = app.screen._compositor.render_update(full=True,
                                                  screen_stack=app._background_screens)
    assert isinstance(update, LayoutUpdate)
    drawn = "\n".join("".join(segment.text for strip in row for segment in strip)
                      for row in update.strips)
    raw = sorted({f"U+{ord(c):04X}" for c in drawn
                  if (ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) <= 0x9F
                  or ord(c) in BIDI_CONTROLS})
    assert not raw, f"raw control characters reach the terminal: {raw}"
    return drawn


def _shows(drawn: str, value: str, *, whole: bool = False) -> bool:
    """`value` is drawn in its visible form: whole, or at least up to its first escape symbol
    (a narrow cell or the edge of the screen may cut the rest)."""
    shown = terminal_safe(value)
    if whole:
        return shown in drawn
    first = min((shown.index(c) for c in "␛␀␇\\" if c in shown), default=len(shown) - 1)
    return shown[:first + 1] in drawn


def _poison(engine: Engine, poison: Poison) -> None:
    """Put markup or control sequences into every kind of text the screens show."""
    with writing(engine) as session:
        company = session.exec(select(Company).where(Company.name == "Coastline Electric Co.")
                               ).one()
        company.name = poison.company
        commitment = session.exec(select(Commitment).where(Commitment.number == "SC-2417-016")
                                  ).one()
        commitment.title = poison.title
        project = session.exec(select(Project)).one()
        project.name = poison.project
        pat = session.exec(select(AppUser).where(AppUser.login == "pat")).one()
        pat.display_name = poison.admin_name
        erin = session.exec(select(AppUser).where(AppUser.login == "erin")).one()
        erin.display_name = poison.contact_name
        line = session.exec(select(SovLine).where(SovLine.commitment_id == commitment.id,
                                                  SovLine.position == 1)).one()
        line.description = poison.description
        line.item_no = poison.item
        invoice = session.exec(select(Invoice).where(Invoice.commitment_id == commitment.id,
                                                     Invoice.position == 3)).one()
        invoice.invoice_number = poison.invoice_number
        rejected = session.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id,
                                                          InvoiceLine.review == "rejected")).one()
        rejected.review_comment = poison.comment
        assert invoice.id is not None and erin.id is not None
        attachment = Attachment(invoice_id=invoice.id, sha256="0" * 64,
                                original_name=poison.attachment, size_bytes=2048,
                                uploaded_by_id=erin.id)
        session.add_all([company, commitment, project, pat, erin, line, invoice, rejected,
                         attachment])


@pytest.mark.parametrize("poison", [MARKUP, CONTROLS], ids=["markup", "control-sequences"])
async def test_every_screen_shows_database_text_literally(sqlite_demo_engine: Engine,
                                                          poison: Poison) -> None:
    p = poison
    _poison(sqlite_demo_engine, p)
    app = PayApp(sqlite_demo_engine, login="erin", demo=True)
    async with app.run_test(size=(200, 50), notifications=True) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        home = app.screen
        assert isinstance(home, HomeScreen)
        assert _shows(_drawn(app), p.contact_name, whole=True)  # the who-am-I line

        await pilot.press("i")
        await pilot.pause()
        drawn = _drawn(app)
        assert _shows(drawn, f"SC-2417-016 {p.title}") and _shows(drawn, p.admin_name)
        await pilot.press("v")
        await pilot.pause()
        assert _shows(_drawn(app), f"SC-2417-016 {p.title}")
        await pilot.press("c")
        await pilot.pause()
        drawn = _drawn(app)
        assert _shows(drawn, p.company) and _shows(drawn, p.title)
        assert _shows(drawn, f"2417 {p.project}")
        commitments = _plain_cells(home.query_one("#commitments-table", DataTable))
        assert {terminal_safe(p.title), terminal_safe(p.company),
                terminal_safe(f"2417 {p.project}")} <= set(commitments)

        home.say(f"Refused: {p.other_number}", error=True)  # a notification quoting stored text
        await pilot.pause()
        assert _shows(_drawn(app), f"Refused: {p.other_number}", whole=True)

        await pilot.press("v", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, InvoiceScreen) and screen.view is not None
        drawn = _drawn(app)
        # (The project's name is on home's commitments, above; the invoice screen leaves it out.)
        for value in (p.company, p.title, p.invoice_number, p.item, p.description):
            assert _shows(drawn, value), value
        assert _shows(drawn, f"Company {p.company}", whole=True)
        assert _shows(drawn, f"Invoice no. {p.invoice_number}", whole=True)
        assert _shows(drawn, f"Line {p.item}: {p.description}", whole=True)  # under the grid

        # Clicking where the company name and a description are drawn must not quit the app.
        await pilot.click(InvoiceHeader, offset=(10, 1))
        await pilot.click(InvoiceSheet, offset=(10, 2))
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, InvoiceScreen)

        # The reviewer's comment on the rejected line, under the grid.
        grid = screen.grid
        rejected = next(ln for ln in screen.view.lines if ln.review == "rejected")
        grid.move_cursor(str(rejected.sov_line_id))
        await pilot.pause()
        assert _shows(_drawn(app), p.comment, whole=True)

        # The attachment's name and who added it; the question before removing it.
        await pilot.press("f")
        await pilot.pause()
        drawn = _drawn(app)
        assert _shows(drawn, p.attachment) and _shows(drawn, p.contact_name)
        await pilot.press("delete")
        await pilot.pause()
        assert isinstance(app.screen, Choose)
        assert _shows(_drawn(app), p.attachment)
        await pilot.press("escape")
        await pilot.pause()

        # The invoice number offered for editing; confirmed as shown, it is left as it was.
        await pilot.press("g")
        await pilot.pause()
        assert isinstance(app.screen, FormScreen)
        assert _shows(_drawn(app), p.invoice_number)
        for _ in range(4):  # number, billing date, period start, period end
            await pilot.press("enter")
            await pilot.pause()
        assert app.screen is screen and screen.draft is not None and not screen.draft.dirty

        # Someone else saves another invoice number meanwhile: the dialog that lists what
        # they changed quotes both numbers.
        await pilot.press("l")
        await pilot.pause()
        grid.move_cursor(grid.row_keys[0], "this_period")
        await pilot.pause()
        await pilot.press("5", "enter")
        await pilot.pause()
        with writing(sqlite_demo_engine) as session:
            same = LineEntry(work=rejected.result.line.work_this_period)
            save_lines(session, actor_for_login(session, "pat"), screen.view.invoice_id,
                       {rejected.sov_line_id: same}, version=screen.view.version)
            # Written the way payapp's own service no longer accepts escapes: straight into the
            # row, as a psql session did before the database refused them.
            stored = session.get(Invoice, screen.view.invoice_id)
            assert stored is not None
            stored.invoice_number = p.other_number
            session.add(stored)
        await pilot.press("ctrl+s")
        for _ in range(3):
            await app.workers.wait_for_complete()
            await pilot.pause()
        assert isinstance(app.screen, Report)
        drawn = _drawn(app)
        assert _shows(drawn, p.other_number, whole=True) and _shows(drawn, p.invoice_number)
