"""The SOV grid alone (tui/widgets/sov_grid.py): 500 rows × 15 columns in a minimal app (the grid
and a Footer) at 80×24 and 160×50. Process CPU time (time.process_time) for: mounting the grid
with its rows until painted; a digit that starts an edit; Enter committing it, with the app
answering update_row for that line and for the totals row; one cursor move down. Then the growth
of the resident memory (VmRSS from /proc/self/status) over 200 edits.

Every figure includes Textual's own work for the key (Pilot posting it, the screen repainted).
The footer is redrawn only after 0.25 s without a key (see SovGrid._sync_bindings); that cost
is printed on its own line. Budgets aimed at: open ≤ 200 ms, digit ≤ 10 ms,
commit ≤ 16 ms, cursor down ≤ 10 ms, ≤ +0.02 MB per edit.

Run: python tests/benchmarks/bench_sov_grid.py   (prints figures; asserts nothing on time)
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
from collections.abc import Awaitable, Callable

from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import Footer

from tui.widgets.grid_columns import ALL_GROUP, GridColumn, GridRow, RowKind
from tui.widgets.sov_grid import SovGrid

ROWS = 500
EDITS_FOR_MEMORY = 200
REPEATS = 60
SIZES = [(80, 24), (160, 50)]
W = frozenset
COLUMNS = [
    GridColumn("item", "Item", 5, "left", fixed=True, overflow="ellipsis"),
    GridColumn("desc", "Description", 24, "left", fixed=True, grow=True, overflow="ellipsis"),
    GridColumn("c", "C\nScheduled", 14, groups=W({"work"})),
    GridColumn("d", "D\nPrevious", 14, groups=W({"work"})),
    GridColumn("e", "E\nThis Period", 14, editable=True, groups=W({"work"})),
    GridColumn("pct", "G÷C\n%", 7, editable=True, groups=W({"work"})),
    GridColumn("g", "G\nTo Date", 14, groups=W({"work", "stored"})),
    GridColumn("h", "H\nBalance", 14, groups=W({"work"})),
    GridColumn("ps", "Prev.\nStored", 14, groups=W({"stored"})),
    GridColumn("ns", "New\nStored", 14, editable=True, groups=W({"stored"})),
    GridColumn("inst", "Installed", 14, editable=True, groups=W({"stored"})),
    GridColumn("f", "F\nStored", 14, groups=W({"stored"})),
    GridColumn("i", "I\nRetainage", 14, groups=W({"retainage"})),
    GridColumn("rel", "Released", 14, editable=True, groups=W({"retainage"})),
    GridColumn("bal", "Retainage\nBalance", 14, groups=W({"retainage"})),
]
GROUPS = ("work", "stored", "retainage", ALL_GROUP)


def money(cents: int) -> str:
    text = f"${abs(cents) // 100:,}.{abs(cents) % 100:02d}"
    return f"-{text}" if cents < 0 else text


def cents_of(text: str) -> int:
    whole, _, part = text.replace("$", "").replace(",", "").partition(".")
    return int(whole or "0") * 100 + int((part + "00")[:2])


class Sheet:
    """Figures behind the rows, as a screen would hold them."""

    def __init__(self) -> None:
        self.scheduled = {n: 1_000_000 + n * 137 for n in range(1, ROWS + 1)}
        self.work = {n: n * 1000 for n in range(1, ROWS + 1)}

    def row(self, n: int) -> GridRow:
        c, e = self.scheduled[n], self.work[n]
        g = 250_000 + e
        return GridRow(f"line:{n}", {
            "item": str(n), "desc": f"Line {n} — concrete foundations and footings",
            "c": money(c), "d": money(250_000), "e": money(e), "pct": f"{g * 100 / c:.1f}%",
            "g": money(g), "h": money(c - g), "ps": money(0), "ns": money(0), "inst": money(0),
            "f": money(0), "i": money(g // 10), "rel": money(0), "bal": money(g // 10),
        })

    def totals(self) -> GridRow:
        c, e = sum(self.scheduled.values()), sum(self.work.values())
        return GridRow("total", {"desc": "Totals", "c": money(c), "e": money(e),
                                 "g": money(250_000 * ROWS + e)}, RowKind.TOTAL)

    def rows(self) -> list[GridRow]:
        rows = [self.row(n) for n in range(1, ROWS + 1)]
        rows.insert(400, GridRow("heading:CO", {"desc": "▾ Change Orders"}, RowKind.HEADING))
        return [*rows, self.totals()]


class BenchApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.sheet = Sheet()

    def compose(self) -> ComposeResult:
        yield Footer()

    def on_sov_grid_cell_committed(self, message: SovGrid.CellCommitted) -> None:
        n = int(message.row_key.split(":")[1])
        self.sheet.work[n] = cents_of(message.text)
        message.grid.update_row(self.sheet.row(n))
        message.grid.update_row(self.sheet.totals())


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for text in status:
            if text.startswith("VmRSS:"):
                return int(text.split()[1]) / 1024
    return 0.0


async def _cpu_ms(step: Callable[[], Awaitable[None]]) -> float:
    start = time.process_time()
    await step()
    return (time.process_time() - start) * 1000


def _figures(label: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p90 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]
    return (f"{label:<38} median {statistics.median(samples):6.2f} ms   p90 {p90:6.2f} ms   "
            f"max {max(samples):6.2f} ms   (n={len(samples)})")


async def _open(app: BenchApp, pilot: Pilot[None]) -> SovGrid:
    grid = SovGrid(COLUMNS, groups=GROUPS)
    await app.mount(grid, before=0)
    grid.set_rows(app.sheet.rows())
    grid.focus()
    await pilot.pause()
    return grid


async def _measure(size: tuple[int, int]) -> None:
    app = BenchApp()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        opens = []
        for _ in range(5):
            grid: SovGrid | None = None

            async def open_grid() -> None:
                nonlocal grid
                grid = await _open(app, pilot)

            opens.append(await _cpu_ms(open_grid))
            assert grid is not None
            await grid.remove()
        grid = await _open(app, pilot)
        assert grid.cursor == ("line:1", "e")
        builds_after_open = sum(grid.row_builds.values())

        digits: list[float] = []
        commits: list[float] = []
        downs: list[float] = []
        scrolls: list[float] = []
        for _ in range(REPEATS):
            digits.append(await _cpu_ms(lambda: pilot.press("5")))
            await pilot.press("0", "0")
            commits.append(await _cpu_ms(lambda: pilot.press("enter")))
            top = grid.scroll_offset.y
            spent = await _cpu_ms(lambda: pilot.press("down"))
            (downs if grid.scroll_offset.y == top else scrolls).append(spent)
        assert grid.cursor == (f"line:{REPEATS + 1}", "e")
        line = next(text for text in (grid.render_line(y).text for y in range(size[1]))
                    if text[2:].startswith(f"{REPEATS} "))
        assert "$500.00" in line, line

        # A person pausing: the footer shows Commit/Cancel once no key came for 0.25 s after the
        # first digit, and Edit/Mark again after Enter; that redraw (Textual recomposes the
        # Footer) happens in the quiet, not on the keystroke. The loops above type in one go and
        # so redraw no footer.
        footers = []
        for _ in range(10):
            await pilot.press("7")
            footers.append(await _cpu_ms(lambda: asyncio.sleep(0.6)))
            await pilot.press("enter")
            footers.append(await _cpu_ms(lambda: asyncio.sleep(0.6)))

        print(f"\n{ROWS} rows × {len(COLUMNS)} columns at {size[0]}×{size[1]}")
        print(_figures("open: mount + set_rows until painted", opens)
              + f"   rows built: {builds_after_open}")
        print(_figures("digit starting an edit", digits))
        print(_figures("Enter: commit + update_row + totals", commits))
        print(_figures("cursor down (within the view)", downs))
        if scrolls:
            print(_figures("cursor down (scrolls one line)", scrolls))
        print(_figures("footer redraw after a pause (deferred)", footers))

        for _ in range(50):  # warm up Textual's and Rich's caches before measuring memory
            await pilot.press("2", "enter", "down")
        await pilot.press("home")
        gc.collect()
        before = _rss_mb()
        for n in range(EDITS_FOR_MEMORY):
            await pilot.press("1", str(n % 10), "enter", "down" if n % 50 else "home")
        gc.collect()
        growth = _rss_mb() - before
        print(f"{'memory over ' + str(EDITS_FOR_MEMORY) + ' edits':<38} RSS {before:.1f} → "
              f"{before + growth:.1f} MB: {growth / EDITS_FOR_MEMORY * 1000:+.1f} kB per edit "
              f"({growth / EDITS_FOR_MEMORY:+.4f} MB)")


def main() -> None:
    for size in SIZES:
        asyncio.run(_measure(size))


if __name__ == "__main__":
    main()
