"""Home at 80×24 and 160×50: every column readable, money whole, a footer that fits, `?` keys.

Flow tests on the demo database, reading what the terminal is told to draw."""

from __future__ import annotations

from typing import Any

import pytest
from rich.text import Text
from sqlalchemy import Engine
from textual._compositor import LayoutUpdate
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import DataTable

from data.db import reading
from data.money import format_money
from data.services.actors import actor_for_login
from data.services.home import Home, home_for
from tests.conftest import DEMO_TODAY
from tui.app import PayApp
from tui.dialogs import Report
from tui.screens.home import HomeScreen

NARROW, WIDE = (80, 24), (160, 50)
SIZES = pytest.mark.parametrize("size", [NARROW, WIDE], ids=["80x24", "160x50"])
LOGINS = pytest.mark.parametrize("login", ["dan", "erin", "pat"])
TABS = {"invites": "i", "invoices": "v", "commitments": "c"}
# Columns that may be cut with "…" when the terminal is narrow (the line under the table then
# shows them whole). Every other column, money first, is shown whole or not at all.
MAY_BE_CUT = {"commitment", "title", "company", "project", "payment"}
FRAME = " █▀▄▁▂▃▄▅▆▇"  # a dialog's frame and its scroll bar, around the text


def _app(engine: Engine, login: str) -> PayApp:
    return PayApp(engine, login=login, demo=True, today=lambda: DEMO_TODAY)


def _home(engine: Engine, login: str) -> Home:
    with reading(engine) as session:
        return home_for(session, actor_for_login(session, login), today=DEMO_TODAY)


async def _settle(pilot: Pilot[Any]) -> None:
    for _ in range(2):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def _lines(app: App[Any]) -> list[str]:
    """The screen as drawn, one string per terminal row (dialogs and what is under them)."""
    update = app.screen._compositor.render_update(full=True,
                                                  screen_stack=app._background_screens)
    assert isinstance(update, LayoutUpdate)
    return ["".join(segment.text for strip in row for segment in strip)
            for row in update.strips]


def _plain(cell: object) -> str:
    return cell.plain if isinstance(cell, Text) else str(cell)


async def _show_tab(pilot: Pilot[Any], tab: str) -> tuple[HomeScreen, DataTable[Any], list[str]]:
    await pilot.press(TABS[tab])
    await pilot.pause()
    home = pilot.app.screen
    assert isinstance(home, HomeScreen)
    return home, home.query_one(f"#{tab}-table", DataTable), _lines(pilot.app)


@SIZES
@LOGINS
async def test_every_column_of_every_tab_is_readable(
        sqlite_demo_engine: Engine, size: tuple[int, int], login: str) -> None:
    home_data = _home(sqlite_demo_engine, login)
    app = _app(sqlite_demo_engine, login)
    async with app.run_test(size=size) as pilot:
        await _settle(pilot)
        for tab in TABS:
            _, table, lines = await _show_tab(pilot, tab)
            columns = list(table.ordered_columns)
            header = next(y for y, line in enumerate(lines)
                          if line.startswith(f" {columns[0].label.plain}"))
            # No sideways scrolling: every column is on screen, its caption in the header.
            assert table.virtual_size.width <= table.scrollable_content_region.width, tab
            for column in columns:
                assert column.label.plain in lines[header], (tab, column.label.plain)
            for index in range(table.row_count):
                drawn = lines[header + 1 + index]
                for column, cell in zip(columns, table.get_row_at(index), strict=True):
                    shown = _plain(cell)
                    if shown in drawn:
                        continue
                    cut = shown[:column.width - 1] + "…"
                    assert column.key.value in MAY_BE_CUT and cut in drawn, \
                        (tab, column.key.value, shown, drawn)
            if size == WIDE:  # room for everything: nothing hidden, nothing cut
                assert "…" not in "".join(lines[header:header + 1 + table.row_count]), tab
            # The line under the table shows the row under the cursor whole, however narrow.
            below = " ".join(line.strip() for line in lines[header + 1 + table.row_count:-1]
                             if line.strip())
            if tab == "invites" and home_data.invites:
                first = home_data.invites[0]
                for part in (first.commitment, first.invite_type, first.invited_by,
                             f"due {first.due_on:%b %d, %Y}", first.response_label):
                    assert part in below, (part, below)
            if tab == "invoices" and home_data.invoices:
                newest = home_data.invoices[0]
                assert f"{newest.commitment_number} {newest.commitment_title}" in below
                assert f"period ending {newest.period_end:%b %d, %Y}" in below
            if tab == "commitments" and home_data.commitments:
                first_c = home_data.commitments[0]
                for part in (first_c.company, first_c.project):
                    assert part in below, (part, below)


@SIZES
@LOGINS
async def test_money_on_home_is_shown_whole(
        sqlite_demo_engine: Engine, size: tuple[int, int], login: str) -> None:
    invoices = _home(sqlite_demo_engine, login).invoices
    app = _app(sqlite_demo_engine, login)
    async with app.run_test(size=size) as pilot:
        await _settle(pilot)
        _, table, lines = await _show_tab(pilot, "invoices")
        # An administrator's list starts with the backup's mark column.
        header = next(y for y, line in enumerate(lines)
                      if line.startswith((" Commitment ", " ✓  Commitment ")))
        rows = lines[header + 1:]
        for index, invoice in enumerate(invoices):
            figure = format_money(invoice.current_payment_due)
            assert f" {figure}" in rows[index], (figure, rows[index])
        assert table.row_count == len(invoices)


async def test_the_invites_columns_fit_at_80_columns(sqlite_demo_engine: Engine) -> None:
    """Dan's invite: due date, days left and answer, all on screen at 80 columns."""
    invite = _home(sqlite_demo_engine, "dan").invites[0]
    app = _app(sqlite_demo_engine, "dan")
    async with app.run_test(size=NARROW) as pilot:
        await _settle(pilot)
        _, _, lines = await _show_tab(pilot, "invites")
        header = next(line for line in lines if line.startswith(" Commitment"))
        row = lines[lines.index(header) + 1]
        for caption in ("Commitment", "Period", "Due", "Left", "Answer"):
            assert caption in header
        assert f"{invite.due_on:%b %d}" in row
        assert f"{invite.days_left} d" in row
        assert row.rstrip().endswith("Not answered")
        assert all(len(line) <= 80 for line in lines)


def _footer_keys(line: str) -> str:
    keys, _, palette = line.rpartition("▏")
    assert palette.strip() == "^p palette", line  # the palette hint is whole, nothing over it
    return keys.strip()


async def test_the_footer_fits_at_80_columns_and_shows_only_keys_that_work(
        sqlite_demo_engine: Engine) -> None:
    app = _app(sqlite_demo_engine, "dan")  # a contact: the most keys to show
    async with app.run_test(size=NARROW) as pilot:
        await _settle(pilot)
        _, _, lines = await _show_tab(pilot, "invites")
        assert _footer_keys(lines[-1]) == ("i Invites v Invoices c Commitments y Yes n No "
                                           "? Keys ^q Quit")
        _, _, lines = await _show_tab(pilot, "invoices")
        assert _footer_keys(lines[-1]) == "i Invites v Invoices c Commitments ? Keys ^q Quit"
        _, _, lines = await _show_tab(pilot, "commitments")
        assert _footer_keys(lines[-1]) == ("i Invites v Invoices c Commitments b Bill "
                                           "? Keys ^q Quit")
    app = _app(sqlite_demo_engine, "pat")  # an administrator: the longest footers
    async with app.run_test(size=NARROW) as pilot:
        await _settle(pilot)
        _, _, lines = await _show_tab(pilot, "invoices")
        assert _footer_keys(lines[-1]) == ("i Invites v Invoices c Commitments s Status "
                                           "B Backup ? Keys ^q Quit")
        _, _, lines = await _show_tab(pilot, "commitments")
        assert _footer_keys(lines[-1]) == ("i Invites v Invoices c Commitments b Bill "
                                           "s Status ? Keys ^q Quit")


async def test_answer_and_bill_keys_act_only_where_they_are_shown(
        sqlite_demo_engine: Engine) -> None:
    app = _app(sqlite_demo_engine, "dan")
    async with app.run_test(size=NARROW) as pilot:
        await _settle(pilot)
        home, _, _ = await _show_tab(pilot, "invoices")
        await pilot.press("y", "n", "b")  # not shown on this tab: nothing happens
        await _settle(pilot)
        assert app.screen is home
        assert _home(sqlite_demo_engine, "dan").invites[0].response == "pending"
        assert not app._notifications

        await _show_tab(pilot, "commitments")
        await pilot.press("b")  # shown here: starts the invoice of the open period
        await _settle(pilot)
        assert app.screen is not home
        assert type(app.screen).__name__ == "InvoiceScreen"


@SIZES
async def test_question_mark_lists_the_keys_of_home(
        sqlite_demo_engine: Engine, size: tuple[int, int]) -> None:
    app = _app(sqlite_demo_engine, "dan")
    async with app.run_test(size=size) as pilot:
        await _settle(pilot)
        home = app.screen
        for close in ("escape", "enter", "q"):
            await pilot.press("question_mark")
            await pilot.pause()
            report = app.screen
            assert isinstance(report, Report) and report.title_text == "Keys on this screen"
            seen: set[str] = set()
            for key in ("home", *["down"] * 30):
                await pilot.press(key)
                await pilot.pause()
                seen |= {line.strip(FRAME) for line in _lines(app)}
            text = " ".join(seen)
            for expected in ("i: Show the invites to bill", "y: Yes: bill this period",
                             "n: No: not this period", "b: Start an invoice",
                             "?: This list of keys", "r: Read the lists again",
                             "Ctrl+P: every command, by name", "Ctrl+Q: quit payapp",
                             "Esc, Enter or q to close"):
                assert expected in text, expected
            await pilot.press(close)
            await pilot.pause()
            assert app.screen is home, close


# --- the keys panel / report dialog: scrolls, wraps, closes --------------------------------------


class _ReportApp(App[None]):
    def __init__(self, lines: list[str], footer: str) -> None:
        super().__init__()
        self.lines = lines
        self.footer = footer

    def on_mount(self) -> None:
        self.push_screen(Report("Keys on this screen", self.lines, self.footer))


def _box_text(app: App[Any]) -> str:
    """The words inside the dialog's frame, wrapped lines joined again."""
    inner = [line.strip(FRAME) for line in _lines(app)]
    return " ".join(part for part in inner if part)


async def test_a_long_report_scrolls_and_every_line_can_be_read_at_80x24() -> None:
    lines = [f"L{n:02d} " + " ".join(["word"] * 25) + f" E{n:02d}" for n in range(30)]
    app = _ReportApp(lines, "The footer, whole: F-END")
    async with app.run_test(size=NARROW) as pilot:
        await pilot.pause()
        assert "Esc, Enter or q to close" in _box_text(app)  # the hint is on screen
        seen = ""
        for key in ("home", *["down"] * 80):
            await pilot.press(key)
            await pilot.pause()
            seen += " " + _box_text(app)
        for n in range(30):  # every line's start and its end: wrapped, not cut
            assert f"• L{n:02d} word" in seen and f"word E{n:02d}" in seen, n
        assert "The footer, whole: F-END" in seen

        await pilot.press("home")
        await pilot.pause()
        assert "• L00" in _box_text(app) and "E29" not in _box_text(app)
        await pilot.press("end")
        await pilot.pause()
        assert "E29" in _box_text(app) and "F-END" in _box_text(app)
        assert "• L00" not in _box_text(app)
        await pilot.press("pageup")
        await pilot.pause()
        assert "E29" not in _box_text(app)
        await pilot.press("pagedown")
        await pilot.pause()
        assert "F-END" in _box_text(app)


@pytest.mark.parametrize("key", ["escape", "enter", "q"])
async def test_the_report_closes_with_esc_enter_or_q(key: str) -> None:
    app = _ReportApp(["one line"], "")
    async with app.run_test(size=NARROW) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, Report)
        await pilot.press(key)
        await pilot.pause()
        assert not isinstance(app.screen, Report)
