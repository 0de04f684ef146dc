"""The SOV grid on the line API (tui/widgets/sov_grid.py), driven by keys in a tiny app at 80×24
and 160×50; assertions read what the grid draws (`render_line(y).text`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import TypeVar

import pytest
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.pilot import Pilot
from textual.widgets import Footer

from tui.widgets.grid_columns import ALL_GROUP, CellHint, GridColumn, GridRow, RowKind, groups_of
from tui.widgets.sov_grid import SovGrid

M = TypeVar("M", bound=Message)
SIZES = [(80, 24), (160, 50)]
GROUPS = ("work", "stored", "retainage", "units", ALL_GROUP)
W = frozenset
COLUMNS = [
    GridColumn("item", "Item", 5, "left", fixed=True, overflow="ellipsis"),
    GridColumn("desc", "Description", 24, "left", fixed=True, grow=True, overflow="ellipsis"),
    GridColumn("c", "C\nScheduled", 13, groups=W({"work", "units"})),
    GridColumn("d", "D\nPrevious", 13, groups=W({"work"})),
    GridColumn("e", "E\nThis Period", 13, editable=True, groups=W({"work"}), max_width=14),
    GridColumn("pct", "G÷C\n%", 7, editable=True, groups=W({"work"})),
    GridColumn("g", "G\nTo Date", 13, groups=W({"work", "stored"})),
    GridColumn("h", "H\nBalance", 13, groups=W({"work"})),
    GridColumn("ps", "Prev.\nStored", 13, groups=W({"stored"})),
    GridColumn("ns", "New\nStored", 13, editable=True, groups=W({"stored"})),
    GridColumn("f", "F\nStored", 13, groups=W({"stored"})),
    GridColumn("i", "I\nRetainage", 13, groups=W({"retainage"})),
    GridColumn("rel", "Released", 13, editable=True, groups=W({"retainage"})),
    GridColumn("qty", "New\nQty", 9, editable=True, groups=W({"units"})),
    GridColumn("price", "Unit\nPrice", 11, groups=W({"units"})),
]


def money(cents: int) -> str:
    text = f"${abs(cents) // 100:,}.{abs(cents) % 100:02d}"
    return f"-{text}" if cents < 0 else text


def line(n: int, **cells: str) -> GridRow:
    texts = {
        "item": str(n), "desc": f"Line {n} — concrete foundations and footings, east wing",
        "c": money(1_000_000 + n * 137), "d": money(250_000), "e": money(n * 1000),
        "pct": "25.0%", "g": money(250_000 + n * 1000), "h": money(750_000 - n * 1000),
        "ps": money(0), "ns": money(0), "f": money(0), "i": money(25_000), "rel": money(0),
        "qty": "", "price": "",
    }
    texts.update(cells)
    hints = {"h": W({CellHint.NEGATIVE})} if texts["h"].startswith("-") else {}
    return GridRow(f"line:{n}", texts, hints=hints, locked=W({"qty"}),
                   edit_texts={"e": f"{n * 10}.00"})


def sample_rows(count: int = 40) -> list[GridRow]:
    rows = [line(n) for n in range(1, count + 1)]
    rows.insert(5, GridRow("heading:CO", {"desc": "▾ Change Orders"}, RowKind.HEADING))
    rows.append(GridRow("total", {"desc": "Totals", "c": money(99_999_999)}, RowKind.TOTAL))
    return rows


class GridApp(App[None]):
    BINDINGS = [Binding("a", "attach", "Attach"), Binding("escape", "go_back", "Back")]

    def __init__(self, rows: list[GridRow], *, read_only: bool = False,
                 accept: bool = False) -> None:
        super().__init__()
        self.rows = rows
        self.read_only = read_only
        self.accept = accept
        self.attached = 0
        self.backs = 0
        self.messages: list[Message] = []

    def compose(self) -> ComposeResult:
        yield SovGrid(COLUMNS, groups=GROUPS, read_only=self.read_only)
        yield Footer()

    def on_mount(self) -> None:
        grid = self.query_one(SovGrid)
        grid.set_rows(self.rows)
        grid.focus()

    def action_attach(self) -> None:
        self.attached += 1

    def action_go_back(self) -> None:
        self.backs += 1

    def on_sov_grid_cell_committed(self, message: SovGrid.CellCommitted) -> None:
        self.messages.append(message)
        if self.accept:  # what a screen does with a figure it took: show it formatted
            grid = message.grid
            row = grid.row(message.row_key)
            cents = round(float(message.text.replace(",", "").replace("$", "")) * 100)
            grid.update_row(replace(row, cells={**row.cells, message.column_key: money(cents)}))

    def on_sov_grid_edit_cancelled(self, message: SovGrid.EditCancelled) -> None:
        self.messages.append(message)

    def on_sov_grid_edit_refused(self, message: SovGrid.EditRefused) -> None:
        self.messages.append(message)

    def on_sov_grid_line_marked(self, message: SovGrid.LineMarked) -> None:
        self.messages.append(message)

    def on_sov_grid_fold_toggled(self, message: SovGrid.FoldToggled) -> None:
        self.messages.append(message)

    def on_sov_grid_cursor_moved(self, message: SovGrid.CursorMoved) -> None:
        self.messages.append(message)

    def on_sov_grid_group_changed(self, message: SovGrid.GroupChanged) -> None:
        self.messages.append(message)

    def sent(self, kind: type[M]) -> list[M]:
        return [m for m in self.messages if isinstance(m, kind)]


def screen_lines(grid: SovGrid) -> list[str]:
    return [grid.render_line(y).text for y in range(grid.scrollable_content_region.height)]


def line_of(grid: SovGrid, item: str) -> str:
    """The drawn line of the SOV line whose item number is `item`."""
    return next(text for text in screen_lines(grid) if text[2:].split(" ", 1)[0] == item)


def binding_ids(app: App[None]) -> set[str]:
    return {active.binding.id or "" for active in app.screen.active_bindings.values()}


async def started(pilot: Pilot[None]) -> SovGrid:
    await pilot.pause()
    return pilot.app.query_one(SovGrid)


@pytest.mark.parametrize("size", SIZES)
async def test_typed_digits_show_in_the_cell_and_enter_commits_them(
        size: tuple[int, int]) -> None:
    app = GridApp(sample_rows(), accept=True)
    async with app.run_test(size=size) as pilot:
        grid = await started(pilot)
        assert grid.cursor == ("line:1", "e")
        assert "$10.00" in line_of(grid, "1")
        await pilot.press("1", "2", "3", "4", ".", "5")
        assert grid.editing and grid.edit_text == "1234.5"
        drawn = line_of(grid, "1")
        assert "1234.5" in drawn and "$10.00" not in drawn
        assert app.focused is grid and not app.query("Input")  # no editor widget, no focus move
        await pilot.press("enter")
        committed = app.sent(SovGrid.CellCommitted)
        assert [(m.row_key, m.column_key, m.text) for m in committed] == [
            ("line:1", "e", "1234.5")]
        assert not grid.editing
        assert "$1,234.50" in line_of(grid, "1")  # the screen took it and answered update_row


@pytest.mark.parametrize("size", SIZES)
async def test_escape_cancels_and_the_old_value_shows_again(size: tuple[int, int]) -> None:
    app = GridApp(sample_rows())
    async with app.run_test(size=size) as pilot:
        grid = await started(pilot)
        await pilot.press("9", "9")
        assert "99" in line_of(grid, "1")
        await pilot.press("escape")
        assert not grid.editing
        assert "$10.00" in line_of(grid, "1")
        assert app.sent(SovGrid.EditCancelled) and not app.sent(SovGrid.CellCommitted)
        assert app.backs == 0  # the Esc that cancelled did not also run the app's Back
        await pilot.press("escape")
        assert app.backs == 1  # with nothing to cancel, Esc belongs to the app


async def test_letters_go_into_the_cell_and_never_reach_app_bindings() -> None:
    app = GridApp(sample_rows())
    async with app.run_test(size=(80, 24)) as pilot:
        grid = await started(pilot)
        await pilot.press("a")
        assert app.attached == 1  # not editing: the app's key works
        await pilot.press("5", "a", "c", "space")
        assert app.attached == 1
        assert grid.edit_text == "5ac "
        assert grid.group == "work" and not app.sent(SovGrid.GroupChanged)
        assert not app.sent(SovGrid.LineMarked)
        assert "5ac" in line_of(grid, "1")
        await pilot.press("backspace", "backspace", "backspace")
        assert grid.edit_text == "5"


async def test_enter_edits_from_the_current_value_and_an_unchanged_edit_commits_nothing(
        ) -> None:
    app = GridApp(sample_rows())
    async with app.run_test(size=(80, 24)) as pilot:
        grid = await started(pilot)
        await pilot.press("enter")
        assert grid.edit_text == "10.00"
        await pilot.press("enter")
        assert not grid.editing and not app.sent(SovGrid.CellCommitted)
        await pilot.press("enter", "backspace", "backspace", "backspace", "5", "enter")
        assert [m.text for m in app.sent(SovGrid.CellCommitted)] == [
            "105"]


async def test_an_arrow_while_editing_commits_then_moves() -> None:
    app = GridApp(sample_rows())
    async with app.run_test(size=(80, 24)) as pilot:
        grid = await started(pilot)
        await pilot.press("7", "down")
        assert [(m.row_key, m.text) for m in app.sent(SovGrid.CellCommitted)] == [
            ("line:1", "7")]
        assert grid.cursor == ("line:2", "e") and not grid.editing
        await pilot.press("8", "right")
        assert grid.cursor == ("line:2", "pct")
        assert app.sent(SovGrid.CellCommitted)[-1].text == "8"


async def test_group_key_cycles_the_columns_and_the_description_keeps_its_room() -> None:
    app = GridApp(sample_rows())
    async with app.run_test(size=(80, 24)) as pilot:
        grid = await started(pilot)
        assert grid.group == "work"
        assert grid.column_width("desc") >= 24
        assert "Line 1 — concrete foundat" in line_of(grid, "1")  # 25 characters of it show
        header = "\n".join(screen_lines(grid)[:2])
        assert "Scheduled" in header and "Stored" not in header
        assert app.screen.active_bindings["c"].binding.description == "cols: work"
        await pilot.press("c")
        assert grid.group == "stored"
        assert [m.group for m in app.sent(SovGrid.GroupChanged)] == [
            "stored"]
        header = "\n".join(screen_lines(grid)[:2])
        assert "Stored" in header and "Scheduled" not in header
        assert "d" not in grid.visible_columns and "ns" in grid.visible_columns
        assert grid.cursor == ("line:1", "ns")  # E is not shown: the first editable column
        assert app.screen.active_bindings["c"].binding.description == "cols: stored"
        await pilot.press("c", "c", "c")
        assert grid.group == ALL_GROUP and len(grid.visible_columns) == len(COLUMNS)
        await pilot.press("c")
        assert grid.group == "work"


async def test_a_figure_too_wide_for_its_column_shows_a_marker_never_a_cut_number() -> None:
    app = GridApp(sample_rows())
    async with app.run_test(size=(80, 24)) as pilot:
        grid = await started(pilot)
        grid.update_row(line(1, e="$123,456,789,012.00"))  # E is capped at 14 cells
        await pilot.pause()
        drawn = line_of(grid, "1")
        assert "#" * 14 in drawn
        assert "789" not in drawn and "$123" not in drawn
        # A column without a cap is widened to its widest figure instead, and shown whole.
        await pilot.press("left", "left")
        grid.update_row(line(2, c="$1,234,567,890,123.45"))
        await pilot.pause()
        assert grid.column_width("c") == len("$1,234,567,890,123.45")
        assert "$1,234,567,890,123.45" in line_of(grid, "2")


async def test_fixed_columns_are_never_overlapped_when_scrolled_right() -> None:
    rows = sample_rows()
    app = GridApp(rows)
    async with app.run_test(size=(80, 24)) as pilot:
        grid = await started(pilot)
        await pilot.press("c", "c", "c", "c")  # all the columns
        assert grid.group == ALL_GROUP
        await pilot.press(*["right"] * 20)
        assert grid.cursor == ("line:1", "price")
        lines = screen_lines(grid)
        assert lines[1].startswith("  Item  Description")
        assert "◂" in lines[1]
        texts = {row.key: row for row in rows}
        for n in range(1, 15):
            drawn = line_of(grid, str(n))
            fixed, _, scrolled = drawn.partition("│")
            assert fixed.startswith(f"  {n} ") and f"Line {n} — concrete" in fixed
            shown = set(texts[f"line:{n}"].cells.values())
            figures = scrolled.split()
            assert figures, drawn
            for figure in figures:
                assert figure in shown, f"{figure!r} is not a whole cell of line {n}"
                assert figure[0] in "$-(" or figure.endswith("%"), figure


async def test_update_row_repaints_that_row_only() -> None:
    app = GridApp(sample_rows())
    async with app.run_test(size=(80, 24)) as pilot:
        grid = await started(pilot)
        before = Counter(grid.row_builds)
        grid.update_row(line(4, e="$4,444.44"))
        await pilot.pause()
        assert grid.row_builds - before == Counter({"line:4": 1})
        before = Counter(grid.row_builds)
        grid.update_row(GridRow("total", {"desc": "Totals", "c": money(1)}, RowKind.TOTAL))
        await pilot.pause()
        assert grid.row_builds - before == Counter({"total": 1})
        assert "$4,444.44" in line_of(grid, "4")
        assert "$0.01" in screen_lines(grid)[-1]


async def test_losing_the_focus_repaints_the_cursor_row_only() -> None:
    app = GridApp(sample_rows())
    async with app.run_test(size=(160, 50)) as pilot:
        grid = await started(pilot)
        before = Counter(grid.row_builds)
        app.set_focus(None)
        await pilot.pause()
        grid.focus()
        await pilot.pause()
        assert set(grid.row_builds - before) <= {"line:1"}


async def test_a_click_selects_the_cell_under_the_pointer() -> None:
    app = GridApp(sample_rows())
    async with app.run_test(size=(80, 24)) as pilot:
        grid = await started(pilot)
        header = screen_lines(grid)[1]
        x = header.index("Previous")
        assert await pilot.click(SovGrid, offset=(x, 2 + 3))  # two header lines, fourth line
        assert grid.cursor == ("line:4", "d")
        assert [(m.row_key, m.column_key)
                for m in app.sent(SovGrid.CursorMoved)][-1] == ("line:4", "d")
        assert await pilot.click(SovGrid, offset=(10, 2 + 1))  # the description column
        assert grid.cursor == ("line:2", "desc")


async def test_bindings_show_only_what_works_on_the_cell() -> None:
    app = GridApp(sample_rows())
    async with app.run_test(size=(80, 24)) as pilot:
        grid = await started(pilot)
        ids = binding_ids(app)
        assert {"sov_grid.edit", "sov_grid.mark", "sov_grid.group"} <= ids
        await pilot.press("down", "down", "down", "down", "down")
        assert grid.cursor == ("heading:CO", "e")
        ids = binding_ids(app)
        assert "sov_grid.fold" in ids
        assert "sov_grid.edit" not in ids and "sov_grid.mark" not in ids
        await pilot.press("enter")
        assert [m.row_key for m in app.sent(SovGrid.FoldToggled)] == [
            "heading:CO"]
        await pilot.press("up", "left")  # a computed column (D) on a line
        assert grid.cursor == ("line:5", "d")
        ids = binding_ids(app)
        assert "sov_grid.edit" not in ids and "sov_grid.mark" in ids
        await pilot.press("5")
        assert not grid.editing
        refused = app.sent(SovGrid.EditRefused)
        assert [m.reason for m in refused] == ["not_editable"]
        await pilot.press("right", "enter")
        ids = binding_ids(app)
        assert {"sov_grid.commit", "sov_grid.cancel"} <= ids
        assert not ids & {"sov_grid.edit", "sov_grid.mark", "sov_grid.group"}
        await pilot.press("escape")
        grid.read_only = True
        await pilot.pause()
        ids = binding_ids(app)
        assert "sov_grid.edit" not in ids and "sov_grid.mark" not in ids
        await pilot.press("5")
        assert not grid.editing
        assert app.sent(SovGrid.EditRefused)[-1].reason == "read_only"


async def test_a_read_only_grid_takes_no_typing() -> None:
    app = GridApp(sample_rows(), read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        grid = await started(pilot)
        await pilot.press("enter", "1", "space")
        assert not grid.editing and not app.sent(SovGrid.CellCommitted)
        assert not app.sent(SovGrid.LineMarked)
        assert "sov_grid.edit" not in binding_ids(app)


async def test_space_marks_and_unmarks_a_line() -> None:
    app = GridApp(sample_rows())
    async with app.run_test(size=(80, 24)) as pilot:
        grid = await started(pilot)
        await pilot.press("space")
        assert line_of(grid, "1").startswith("•")
        assert grid.marked == {"line:1"}
        await pilot.press("space")
        assert [m.marked for m in app.sent(SovGrid.LineMarked)] == [
            True, False]
        assert line_of(grid, "1").startswith(" ")


@pytest.mark.parametrize("size", SIZES)
async def test_moving_by_pages_and_ends_keeps_the_header_and_pinned_totals(
        size: tuple[int, int]) -> None:
    rows = sample_rows(120)
    app = GridApp(rows)
    async with app.run_test(size=size) as pilot:
        grid = await started(pilot)
        await pilot.press("pagedown")
        assert grid.cursor is not None and grid.cursor[0] != "line:1"
        await pilot.press("end")
        assert grid.cursor == ("line:120", "e")
        lines = screen_lines(grid)
        assert "Scheduled" in lines[1] or "Scheduled" in lines[0]
        assert lines[-1].split()[0] == "Totals"
        assert lines[-2][2:].startswith("120 ")
        await pilot.press("pageup", "home")
        assert grid.cursor == ("line:1", "e")
        assert screen_lines(grid)[2][2:].startswith("1 ")


async def test_text_from_the_database_is_not_markup() -> None:
    rows = [line(1, desc="[@click=app.quit]x[/] [b]bold[/b]"), *sample_rows()[1:]]
    app = GridApp(rows)
    async with app.run_test(size=(160, 50)) as pilot:
        grid = await started(pilot)
        assert "[@click=app.quit]x[/] [b]bold[/b]" in line_of(grid, "1")


def test_groups_come_from_the_columns_in_order() -> None:
    assert groups_of(COLUMNS) == ("units", "work", "stored", "retainage", ALL_GROUP)
    with pytest.raises(ValueError):
        GridColumn("x", "a\nb\nc", 5)
    with pytest.raises(ValueError):
        GridColumn("x", "X", 5, grow=True)


async def test_an_empty_grid_and_a_narrow_terminal_do_not_break_it() -> None:
    app = GridApp([])
    async with app.run_test(size=(40, 10)) as pilot:
        grid = await started(pilot)
        assert grid.cursor is None
        await pilot.press("down", "enter", "5", "space", "c", "right", "end")
        assert not grid.editing and len(screen_lines(grid)) == grid.size.height
        grid.set_rows(sample_rows(30))
        await pilot.pause()
        await pilot.press(*["right"] * 8)
        for text in screen_lines(grid):
            assert len(text) == grid.scrollable_content_region.width
