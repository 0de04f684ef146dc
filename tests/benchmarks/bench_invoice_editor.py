"""Issue 7's budgets for the invoice screen (tui/screens/invoice.py), on a 500-line invoice at
80×24 and at 160×50, beside a bare Textual DataTable of 500×15 and a minimal line-API grid
(a ScrollView with render_line and a strip cache) doing the same work on the same machine.

Per key: the process's CPU time (time.process_time, every thread, nothing subtracted) around one
`pilot.press(key)`; Pilot itself waits for the app to go idle, so the figure holds the key's
handling, the messages it set off and the repaint. Median and p95 over REPEATS keys:

1. open the invoice until the grid is painted, as Enter on the home screen's invoice does (the
   worker reads the invoice, the screen opens with its grid filled, `pilot.pause()`): the first
   open of the process, then REPEATS more;
2. a digit that starts editing a cell (E, this period);
3. Enter after two more digits: commit, the line recomputed, totals, header, line detail;
4. the cursor down one row (the view scrolling or not);
5. memory (VmRSS, after gc) on the home screen, then with the invoice open;
6. memory growth per cell edit over 200 edits (VmRSS, and tracemalloc's count of Python
   allocations still held);
7. cold start to the painted home screen against a bare Textual app of the same shape
   (bench_startup.py).

Each subject runs in a fresh interpreter (this file with --child), so that one's memory does not
count in another's. The invoice is built once, in a temporary SQLite database, through payapp's
services, and edited as its invoice contact. Prints a table and whether each budget holds;
asserts nothing on time or memory. Also prints two references: an unbound key and an idle
`pilot.pause()` on the same screen.

Run: python tests/benchmarks/bench_invoice_editor.py [--sizes 80x24,160x50] [--repeats 30]
     [--no-cold-start]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from sqlalchemy import Engine
from sqlmodel import select
from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.pilot import Pilot
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import DataTable, Footer

LINES = 500
TODAY = date(2026, 11, 21)
SIZES = ((80, 24), (160, 50))
REPEATS = 30
EDITS_FOR_MEMORY = 200
WARM_UP_EDITS = 50
EDIT_COLUMN = "this_period"  # data/g703.py THIS_PERIOD: E, work completed this period
UNBOUND_KEY = "f9"
SUBJECTS = ("payapp", "datatable", "linegrid")
TITLES = {"payapp": "payapp", "datatable": "DataTable", "linegrid": "line-API floor"}
BUDGETS_MS = {"open": 200.0, "digit": 10.0, "enter": 16.0, "down": 10.0}
MEMORY_BUDGET_MB = 15.0
GROWTH_BUDGET_MB = 0.02

Figures = dict[str, Any]


# --- the 500-line invoice, through payapp's services -------------------------------------------


def _build(engine: Engine) -> int:
    """A commitment with 500 lines, one earlier approved invoice, and a draft to edit."""
    from data.db import writing
    from data.models import (
        AppUser,
        BillingPeriod,
        Commitment,
        CommitmentContact,
        Company,
        InvoiceStatus,
        Project,
        ProjectAdministrator,
        SovLine,
        UserRole,
    )
    from data.services.actors import actor_for_login
    from data.services.invoice_changes import LineEntry, change_status, create_invoice, save_lines

    with writing(engine) as s:
        gc_co, sub = Company(name="GC", kind="general_contractor"), Company(name="Sub",
                                                                             kind="subcontractor")
        s.add_all([gc_co, sub])
        s.flush()
        assert gc_co.id is not None and sub.id is not None
        project = Project(number="P", name="Bench", gc_company_id=gc_co.id)
        s.add(project)
        s.flush()
        assert project.id is not None
        users = {}
        for login, company, role in (("bench", sub.id, "invoice_contact"),
                                     ("boss", gc_co.id, "invoice_administrator")):
            user = AppUser(login=login, display_name=login, email=f"{login}@x", company_id=company)
            s.add(user)
            s.flush()
            assert user.id is not None
            s.add(UserRole(user_id=user.id, role=role))
            users[login] = user.id
        s.add(ProjectAdministrator(project_id=project.id, user_id=users["boss"]))
        commitment = Commitment(project_id=project.id, number="SC-1", title="Big",
                                contract_company_id=sub.id, accounting_method="amount",
                                work_retainage_e4=100000, stored_retainage_e4=100000,
                                stored_materials_separately=True)
        s.add(commitment)
        s.flush()
        assert commitment.id is not None
        s.add(CommitmentContact(commitment_id=commitment.id, user_id=users["bench"]))
        s.add_all(SovLine(commitment_id=commitment.id, position=n, item_no=str(n),
                          description=f"Line {n} — scope of work", budget_code="01-000",
                          scheduled_value_cents=1_000_000 + n * 137) for n in range(1, LINES + 1))
        first = BillingPeriod(project_id=project.id, starts_on=date(2026, 10, 1),
                              ends_on=date(2026, 10, 31), due_on=date(2026, 10, 31),
                              status="open")
        s.add(first)
        s.flush()
        assert first.id is not None
        contact, boss = actor_for_login(s, "bench"), actor_for_login(s, "boss")
        earlier = create_invoice(s, contact, commitment.id, first.id, today=date(2026, 10, 20))
        assert earlier.id is not None
        ids = [line.id for line in s.exec(select(SovLine)).all()]
        save_lines(s, contact, earlier.id, {i: LineEntry(work=Decimal("1234.56"))
                                           for i in ids if i is not None})
        change_status(s, contact, earlier.id, InvoiceStatus.UNDER_REVIEW)
        change_status(s, boss, earlier.id, InvoiceStatus.APPROVED)
        first.status = "closed"
        s.add(first)
        s.flush()
        second = BillingPeriod(project_id=project.id, starts_on=date(2026, 11, 1),
                               ends_on=date(2026, 11, 30), due_on=date(2026, 11, 30),
                               status="open")
        s.add(second)
        s.flush()
        assert second.id is not None
        draft = create_invoice(s, contact, commitment.id, second.id, today=TODAY)
        assert draft.id is not None
        return draft.id


# --- measuring ---------------------------------------------------------------------------------


def _rss_mb() -> float:
    """The resident set now (not the peak), after a full collection."""
    gc.collect()
    with open("/proc/self/status", encoding="ascii") as status:
        for text in status:
            if text.startswith("VmRSS:"):
                return int(text.split()[1]) / 1024
    return 0.0


async def _cpu_ms(step: Callable[[], Awaitable[object]]) -> float:
    start = time.process_time()
    await step()
    return (time.process_time() - start) * 1000


async def _key_ms(pilot: Pilot[None], key: str) -> float:
    return await _cpu_ms(lambda: pilot.press(key))


class Keys:
    """The per-key figures of one subject (ms), and the edits' memory."""

    def __init__(self) -> None:
        self.digit: list[float] = []
        self.enter: list[float] = []
        self.down: list[float] = []
        self.scrolled: list[bool] = []
        self.unbound: list[float] = []
        self.pause: list[float] = []

    async def run(self, pilot: Pilot[None], repeats: int,
                  scroll_y: Callable[[], float]) -> None:
        """Per repetition: "5" (measured), "0", "0", Enter (measured), down (measured)."""
        for _ in range(repeats):
            self.digit.append(await _key_ms(pilot, "5"))
            await pilot.press("0", "0")
            self.enter.append(await _key_ms(pilot, "enter"))
            top = scroll_y()
            self.down.append(await _key_ms(pilot, "down"))
            self.scrolled.append(scroll_y() != top)
        for _ in range(10):
            self.unbound.append(await _key_ms(pilot, UNBOUND_KEY))
            self.pause.append(await _cpu_ms(pilot.pause))

    def figures(self) -> Figures:
        return {"digit": self.digit, "enter": self.enter, "down": self.down,
                "scrolled": self.scrolled, "unbound": self.unbound, "pause": self.pause}


async def _type(pilot: Pilot[None], *keys: str) -> None:
    """Keys as Pilot sends them, without its idle waits (≥ 40 ms of wall time a key): each key
    is handled, and the screen repainted, before the next is sent. For the memory loops only."""
    for key in keys:
        character = key if len(key) == 1 else "\r" if key == "enter" else None
        pilot.app.post_message(events.Key(key, character))
        await pilot.pause(0)
        await pilot.pause(0)


async def _edit_memory(pilot: Pilot[None]) -> Figures:
    """VmRSS and Python allocations held, before and after EDITS_FOR_MEMORY cell edits."""
    for n in range(WARM_UP_EDITS):  # Textual's and Rich's caches fill first
        await _type(pilot, "2", "enter", "down" if n % 50 < 49 else "home")
    await _type(pilot, "home")
    await pilot.pause()
    before = _rss_mb()
    tracemalloc.start()
    held_before = tracemalloc.get_traced_memory()[0]
    for n in range(EDITS_FOR_MEMORY):
        await _type(pilot, "1", str(n % 10), "enter", "down" if n % 50 < 49 else "home")
    await pilot.pause()
    gc.collect()
    held_after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    after = _rss_mb()
    return {"rss_edits": [before, after],
            "held_per_edit_mb": (held_after - held_before) / EDITS_FOR_MEMORY / 2**20}


# --- payapp ------------------------------------------------------------------------------------


async def _payapp(size: tuple[int, int], database: str, invoice_id: int,
                  repeats: int) -> Figures:
    from data.db import make_engine
    from tui.app import PayApp
    from tui.screens.home import HomeScreen
    from tui.screens.invoice import InvoiceScreen

    app = PayApp(make_engine(database), login="bench", today=lambda: TODAY)
    async with app.run_test(size=size) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        home_screen = app.screen
        assert isinstance(home_screen, HomeScreen)
        home_rss = _rss_mb()

        async def open_invoice() -> InvoiceScreen:
            # As Enter on the home screen's invoice does: read it, then open its screen.
            home_screen.open_invoice(invoice_id)
            while not (isinstance(app.screen, InvoiceScreen) and app.screen.draft is not None):
                await asyncio.sleep(0.002)
            await pilot.pause()
            return app.screen

        async def back_home() -> None:
            app.pop_screen()
            await pilot.pause()
            await app.workers.wait_for_complete()  # home reads its lists again
            await pilot.pause()

        start = time.process_time()
        screen = await open_invoice()
        first_open = (time.process_time() - start) * 1000
        if len(screen.grid.row_keys) < LINES + 1:
            raise RuntimeError(f"the grid shows {len(screen.grid.row_keys)} rows")
        open_rss = _rss_mb()
        opens = []
        for _ in range(repeats):
            await back_home()
            start = time.process_time()
            screen = await open_invoice()
            opens.append((time.process_time() - start) * 1000)
        assert app.screen is screen and home_screen in app.screen_stack
        reopened_rss = _rss_mb()

        grid = screen.grid
        first_line = grid.row_keys[0]
        grid.move_cursor(row_key=first_line, column_key=EDIT_COLUMN)
        await pilot.pause()
        keys = Keys()
        await keys.run(pilot, repeats, lambda: grid.scroll_offset.y)
        typed = grid.row(first_line).cells[EDIT_COLUMN]
        assert screen.draft is not None
        if typed != "$500.00" or not screen.draft.dirty:
            raise RuntimeError(f"the edit was not taken: line {first_line} shows {typed!r}")
        return {"open": opens, "first_open": first_open, "group": grid.group,
                "rss_open": [home_rss, open_rss], "rss_reopened": reopened_rss,
                **keys.figures(), **await _edit_memory(pilot)}


# --- the baselines: 500×15 figures, a commit recomputing the line and the totals ----------------

COLUMNS = ("item", "desc", "c", "d", "e", "pct", "ps", "ns", "inst", "f", "g", "h", "i", "rel",
           "bal")
WIDTHS = {"item": 5, "desc": 24, "pct": 7}
EDITABLE = "e"


def _money(cents: int) -> str:
    text = f"${abs(cents) // 100:,}.{abs(cents) % 100:02d}"
    return f"-{text}" if cents < 0 else text


def _cents(text: str) -> int:
    whole, _, part = text.replace("$", "").replace(",", "").partition(".")
    return int(whole or "0") * 100 + int((part + "00")[:2])


class Sheet:
    """The figures behind the baselines' rows, as a screen holds them."""

    def __init__(self) -> None:
        self.scheduled = [1_000_000 + n * 137 for n in range(LINES)]
        self.work = [0] * LINES

    def cells(self, n: int) -> dict[str, str]:
        c, e = self.scheduled[n], self.work[n]
        g = 123_456 + e
        return {"item": str(n + 1), "desc": f"Line {n + 1} — scope of work", "c": _money(c),
                "d": _money(123_456), "e": _money(e), "pct": f"{g * 100 / c:.1f}%",
                "ps": _money(0), "ns": _money(0), "inst": _money(0), "f": _money(0),
                "g": _money(g), "h": _money(c - g), "i": _money(g // 10), "rel": _money(0),
                "bal": _money(g // 10)}

    def totals(self) -> dict[str, str]:
        c, e = sum(self.scheduled), sum(self.work)
        g = 123_456 * LINES + e
        return {"desc": "Totals", "c": _money(c), "d": _money(123_456 * LINES), "e": _money(e),
                "g": _money(g), "h": _money(c - g), "i": _money(g // 10),
                "bal": _money(g // 10)}

    def detail(self, n: int) -> str:
        return " · ".join(f"{key} {text}" for key, text in self.cells(n).items())

    def summary(self) -> str:
        totals = self.totals()
        return f"Due {totals['e']}  Retainage {totals['i']}  Completed & stored {totals['g']}"


class Line(Widget):
    """A fixed-height text part (the totals bar, the line detail): refresh, no reflow."""

    DEFAULT_CSS = "Line { height: 1; padding: 0 1; background: $boost; } Line.tall { height: 3; }"

    def __init__(self, tall: bool = False) -> None:
        super().__init__(classes="tall" if tall else "")
        self.text = ""

    def show(self, text: str) -> None:
        self.text = text
        self.refresh()

    def render(self) -> Text:
        return Text(self.text)


class Edited(Message):
    """A baseline grid took a figure, or moved: the app updates the totals and the detail."""

    def __init__(self, row: int) -> None:
        super().__init__()
        self.row = row


class Baseline(App[None]):
    """The shape of the invoice's Lines tab: the grid, the line detail, the totals, a footer."""

    def __init__(self) -> None:
        super().__init__()
        self.sheet = Sheet()
        self.detail = Line(tall=True)
        self.totals = Line()

    def compose(self) -> ComposeResult:
        yield self.detail
        yield self.totals
        yield Footer()

    def grid(self) -> Widget:
        raise NotImplementedError

    def on_edited(self, message: Edited) -> None:
        self.detail.show(self.sheet.detail(message.row))
        self.totals.show(self.sheet.summary())

    async def open(self, pilot: Pilot[None]) -> Widget:
        grid = self.grid()
        grid.add_class("-grid")
        await self.mount(grid, before=0)
        grid.focus()
        self.detail.show(self.sheet.detail(0))
        self.totals.show(self.sheet.summary())
        await pilot.pause()
        return grid


class TableSheet(DataTable[str]):
    """A DataTable typed into: the digits drawn in the cell (update_cell_at), Enter puts the
    recomputed line and totals in with update_cell."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("home", "first_row", "First", show=False),
    ]

    def __init__(self, sheet: Sheet) -> None:
        super().__init__(cursor_type="cell", zebra_stripes=True)
        self.sheet = sheet
        self.typed: str | None = None
        for key in COLUMNS:
            self.add_column(key, width=WIDTHS.get(key, 13), key=key)
        for n in range(LINES):
            self.add_row(*sheet.cells(n).values(), key=str(n))
        totals = sheet.totals()
        self.add_row(*(totals.get(key, "") for key in COLUMNS), key="totals")
        self.cursor_coordinate = self.cursor_coordinate._replace(column=COLUMNS.index(EDITABLE))

    def on_key(self, event: events.Key) -> None:
        if event.key == "enter" and self.typed is not None:
            self._commit()
        elif event.is_printable and event.character and (
                self.typed is not None or event.character.isdigit()):
            self.typed = (self.typed or "") + event.character
            self.update_cell_at(self.cursor_coordinate, f"{self.typed}▏")
        else:
            return
        event.stop()
        event.prevent_default()

    def _commit(self) -> None:
        assert self.typed is not None
        row = self.cursor_coordinate.row
        self.sheet.work[row] = _cents(self.typed)
        self.typed = None
        for key, text in self.sheet.cells(row).items():
            if key in ("e", "pct", "g", "h", "i", "bal"):
                self.update_cell(str(row), key, text)
        for key, text in self.sheet.totals().items():
            self.update_cell("totals", key, text)
        self.post_message(Edited(row))

    def action_first_row(self) -> None:
        self.cursor_coordinate = self.cursor_coordinate._replace(row=0)

    def on_data_table_cell_highlighted(self, event: DataTable.CellHighlighted) -> None:
        if event.coordinate.row < LINES:
            self.post_message(Edited(event.coordinate.row))


class TableApp(Baseline):
    def grid(self) -> Widget:
        return TableSheet(self.sheet)


class LineGrid(ScrollView, can_focus=True):
    """The floor: one strip per row from a dict, a row's strip dropped when it changes, the
    cursor row drawn afresh, the totals pinned at the bottom, the header at the top."""

    DEFAULT_CSS = "LineGrid { height: 1fr; }"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "move(1)", "Down", show=False),
        Binding("up", "move(-1)", "Up", show=False),
        Binding("home", "move(-1000000)", "First", show=False),
    ]

    def __init__(self, sheet: Sheet) -> None:
        super().__init__()
        self.sheet = sheet
        self.strips: dict[int, Strip] = {}
        self.row = 0
        self.typed: str | None = None
        self.styles_for = (Style(color="white", bgcolor="rgb(30,30,40)"),
                           Style(color="white", bgcolor="rgb(40,40,52)"),
                           Style(color="black", bgcolor="rgb(250,200,80)"),
                           Style(bold=True, bgcolor="rgb(60,60,80)"))

    def on_mount(self) -> None:
        self.virtual_size = Size(0, LINES + 2)

    def _strip(self, cells: dict[str, str], style: Style, cursor: bool) -> Strip:
        segments = [Segment(" ", style)]
        for key in COLUMNS:
            width = WIDTHS.get(key, 13)
            text = cells.get(key, "")
            if cursor and key == EDITABLE and self.typed is not None:
                text = self.typed + "▏"
            text = text.ljust(width) if key in ("item", "desc") else text.rjust(width)
            segments.append(Segment(text[:width] + " ", self.styles_for[2]
                                    if cursor and key == EDITABLE else style))
        return Strip(Segment.simplify(segments)).crop_extend(0, self.size.width, style)

    def render_line(self, y: int) -> Strip:
        height = self.scrollable_content_region.height
        base, header = self.styles_for[0], self.styles_for[3]
        if y == 0:
            return self._strip({key: key for key in COLUMNS}, header, False)
        if y == height - 1:
            return self._strip(self.sheet.totals(), header, False)
        index = y - 1 + int(self.scroll_offset.y)
        if index >= LINES:
            return Strip.blank(self.size.width, base)
        if index == self.row:
            return self._strip(self.sheet.cells(index), base, True)
        strip = self.strips.get(index)
        if strip is None:
            strip = self._strip(self.sheet.cells(index), self.styles_for[index % 2], False)
            self.strips[index] = strip
        return strip

    def _refresh_line(self, index: int) -> None:
        y = index + 1 - int(self.scroll_offset.y)
        if 1 <= y < self.scrollable_content_region.height - 1:
            self.refresh(Region(0, y, self.size.width, 1))

    def on_key(self, event: events.Key) -> None:
        if event.key == "enter" and self.typed is not None:
            self.sheet.work[self.row] = _cents(self.typed)
            self.typed = None
            self.strips.pop(self.row, None)
            self._refresh_line(self.row)
            self.refresh(Region(0, self.scrollable_content_region.height - 1,
                                self.size.width, 1))
            self.post_message(Edited(self.row))
        elif event.is_printable and event.character and (
                self.typed is not None or event.character.isdigit()):
            self.typed = (self.typed or "") + event.character
            self._refresh_line(self.row)
        else:
            return
        event.stop()
        event.prevent_default()

    def action_move(self, step: int) -> None:
        old, self.row = self.row, max(0, min(LINES - 1, self.row + step))
        self._refresh_line(old)
        self._refresh_line(self.row)
        body = self.scrollable_content_region.height - 2
        top = int(self.scroll_offset.y)
        if self.row < top:
            self.scroll_to(y=self.row, animate=False)
        elif self.row >= top + body:
            self.scroll_to(y=self.row - body + 1, animate=False)
        self.post_message(Edited(self.row))


class LineGridApp(Baseline):
    def grid(self) -> Widget:
        return LineGrid(self.sheet)


async def _baseline(subject: str, size: tuple[int, int], repeats: int) -> Figures:
    app: Baseline = TableApp() if subject == "datatable" else LineGridApp()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        before = _rss_mb()
        start = time.process_time()
        grid = await app.open(pilot)
        first_open = (time.process_time() - start) * 1000
        open_rss = _rss_mb()
        opens = []
        for _ in range(repeats):
            await grid.remove()
            app.sheet = Sheet()
            start = time.process_time()
            grid = await app.open(pilot)
            opens.append((time.process_time() - start) * 1000)
        if len(app.query(Widget).filter(".-grid")) != 1:
            raise RuntimeError("the grids opened before are still mounted")
        keys = Keys()
        await keys.run(pilot, repeats, lambda: grid.scroll_offset.y)
        if app.sheet.work[0] != 50_000:
            raise RuntimeError(f"the {subject} edit was not taken: {app.sheet.work[:3]}")
        return {"open": opens, "first_open": first_open, "rss_open": [before, open_rss],
                **keys.figures(), **await _edit_memory(pilot)}


# --- the report --------------------------------------------------------------------------------


def _p95(samples: Sequence[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _ms(samples: Sequence[float]) -> str:
    if not samples:
        return "—"
    return f"{statistics.median(samples):6.1f} / {_p95(samples):6.1f}"


def _holds(ok: bool) -> str:
    return "yes" if ok else "NO"


def _report(size: tuple[int, int], results: dict[str, Figures]) -> None:
    mine = results["payapp"]
    subjects = [s for s in SUBJECTS if s in results]
    heads = "".join(f" | {TITLES[s]:>17}" for s in subjects)
    print(f"\n{LINES}-line invoice at {size[0]}×{size[1]}   CPU ms per key: median / p95 "
          f"(n={len(mine['digit'])}); payapp's column group: {mine['group']}")
    print(f"{'measure':<44}{heads} | {'budget':>16} | holds?")
    print("-" * (44 + 20 * len(subjects) + 28))

    def row(label: str, cells: list[str], budget: str, holds: str) -> None:
        print(f"{label:<44}" + "".join(f" | {cell:>17}" for cell in cells)
              + f" | {budget:>16} | {holds}")

    def split(figures: Figures, scrolled: bool) -> list[float]:
        return [ms for ms, s in zip(figures["down"], figures["scrolled"], strict=True)
                if s == scrolled]

    for key, label in (("open", "(1) open the invoice until the grid is painted"),
                       ("digit", "(2) a digit that starts editing a cell"),
                       ("enter", "(3) Enter: commit, recompute, totals, repaint"),
                       ("down", "(4) cursor down one row")):
        budget = BUDGETS_MS[key]
        median, p95 = statistics.median(mine[key]), _p95(mine[key])
        holds = _holds(median <= budget) + ("" if p95 <= budget else " (p95 over)")
        row(label, [_ms(results[s][key]) for s in subjects], f"≤ {budget:.0f} ms", holds)
        if key == "open":
            row("    first open in the process", [f"{results[s]['first_open']:6.1f}"
                                                  for s in subjects],
                f"≤ {budget:.0f} ms", _holds(mine["first_open"] <= budget))
        if key == "down":
            for scrolled, what in ((False, "within the view"), (True, "the view scrolls")):
                row(f"    {what} (n: {len(split(mine, scrolled))})",
                    [_ms(split(results[s], scrolled)) for s in subjects], "", "")
    before, after = mine["rss_open"]
    row("(5) memory: home → invoice open (VmRSS MB)",
        [f"{results[s]['rss_open'][0]:.0f} → {results[s]['rss_open'][1]:.0f}"
         for s in subjects], f"≤ home + {MEMORY_BUDGET_MB:.0f} MB",
        _holds(after - before <= MEMORY_BUDGET_MB) + f" (+{after - before:.1f} MB)")
    row(f"    after {len(mine['open'])} more opens (MB)",
        [f"{mine['rss_reopened']:.0f}"] + ["" for _ in subjects[1:]], "", "")
    per_edit = {s: (results[s]["rss_edits"][1] - results[s]["rss_edits"][0]) / EDITS_FOR_MEMORY
                for s in subjects}
    row(f"(6) growth per edit, {EDITS_FOR_MEMORY} edits (VmRSS MB)",
        [f"{per_edit[s]:+.4f}" for s in subjects], f"≤ +{GROWTH_BUDGET_MB} MB",
        _holds(per_edit["payapp"] <= GROWTH_BUDGET_MB))
    row("    Python allocations held per edit (MB)",
        [f"{results[s]['held_per_edit_mb']:+.4f}" for s in subjects], "", "")
    row(f"reference: an unbound key ({UNBOUND_KEY})", [_ms(results[s]["unbound"])
                                                      for s in subjects], "", "")
    row("reference: an idle pilot.pause()", [_ms(results[s]["pause"]) for s in subjects],
        "", "")


# --- running -----------------------------------------------------------------------------------


def _child(argv: Sequence[str]) -> None:
    subject, size_text, database, invoice_id, repeats = argv
    width, height = (int(n) for n in size_text.split("x"))
    if subject == "payapp":
        figures = asyncio.run(_payapp((width, height), database, int(invoice_id), int(repeats)))
    else:
        figures = asyncio.run(_baseline(subject, (width, height), int(repeats)))
    print("FIGURES " + json.dumps(figures), flush=True)


def _run_child(subject: str, size: tuple[int, int], database: str, invoice_id: int,
               repeats: int, env: dict[str, str]) -> Figures:
    done = subprocess.run([sys.executable, __file__, "--child", subject,
                           f"{size[0]}x{size[1]}", database, str(invoice_id), str(repeats)],
                          env=env, capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("FIGURES ")]
    if done.returncode or not lines:
        raise RuntimeError(f"{subject} at {size}: exit {done.returncode}\n{done.stderr[-3000:]}")
    figures: Figures = json.loads(lines[-1].removeprefix("FIGURES "))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default=",".join(f"{w}x{h}" for w, h in SIZES))
    parser.add_argument("--repeats", type=int, default=REPEATS)
    parser.add_argument("--subjects", default=",".join(SUBJECTS))
    parser.add_argument("--no-cold-start", action="store_true")
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child)
        return

    from data import migrate
    from data.db import make_engine

    sizes = [tuple(int(n) for n in text.split("x")) for text in args.sizes.split(",")]
    subjects = [s for s in SUBJECTS if s in args.subjects.split(",")]
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "XDG_DATA_HOME": f"{folder}/data",
               "XDG_CONFIG_HOME": f"{folder}/config"}
        env.pop("PAYAPP_DATABASE_URL", None)
        os.environ.update(XDG_DATA_HOME=env["XDG_DATA_HOME"],
                          XDG_CONFIG_HOME=env["XDG_CONFIG_HOME"])
        database = f"sqlite:///{Path(folder) / 'bench.sqlite'}"
        engine = make_engine(database)
        migrate.upgrade(engine)
        started = time.perf_counter()
        invoice_id = _build(engine)
        engine.dispose()
        print(f"built: {LINES} SOV lines, one approved invoice and a draft "
              f"({time.perf_counter() - started:.1f} s); {os.cpu_count()} CPUs, load average "
              f"{os.getloadavg()[0]:.2f}")
        for size in sizes:
            assert len(size) == 2
            results = {subject: _run_child(subject, (size[0], size[1]), database, invoice_id,
                                           args.repeats, env)
                       for subject in subjects}
            _report((size[0], size[1]), results)
        if not args.no_cold_start:
            from bench_startup import (  # type: ignore[import-not-found]
                cold_starts,
                demo_env,
                print_cold_starts,
            )

            print("\n(7) cold start to the painted home screen (bench_startup.py)")
            with tempfile.TemporaryDirectory() as home:
                print_cold_starts(cold_starts(demo_env(home)))


if __name__ == "__main__":
    main()
