"""The schedule of values on Textual's line API: hundreds of lines, one strip per row.

`SovGrid` is a `ScrollView`. `render_line(y)` returns a `Strip` from a per-row cache (an
`LRUCache` keyed by row key: the row's segments and the line last joined from them), built with
Rich `Style`s taken once from the widget's component classes: no widget and no Rich renderable
per cell. A row's entry is dropped only when that row changes (`update_row`, marking) or the
layout does (width, group, a widened column, theme; not focus); a cursor move repaints two
lines, a keystroke in a cell one, a commit answered by `update_row` of the line and the totals
two. The row under the cursor is not cached (it is built when its line is painted). The footer
learns of a change in the keys that apply after 0.25 s without a key (`FOOTER_DELAY`): Textual
rebuilds the Footer for that (20–40 ms), which must not delay the echo of a keystroke.

Feeding it (see `tui.widgets.grid_columns`):

- `SovGrid(columns, groups=None, read_only=False)`, or `set_columns(columns, groups)` later.
  Columns are `GridColumn`s: key, caption (1–2 lines), width, align, fixed, editable, groups,
  and `grow` (the description), `max_width`, `overflow`.
- `set_rows(rows)` shows `GridRow`s (key, kind LINE/HEADING/TOTAL, formatted cell texts, cell
  hints, editable, locked columns, edit texts). The TOTAL rows at the end of the list are pinned
  at the bottom (just under the last line when the lines do not fill the grid); a TOTAL row
  elsewhere (a subtotal) scrolls with the lines. The cursor stays on the same row key.
- `update_row(row)` replaces one row by key and repaints only its line; `update_rows(rows)`.
- `row(key)`, `row_keys`, `cursor` (`(row_key, column_key)` or None), `move_cursor(...)`,
  `group`, `groups`, `set_group(name)`, `cycle_group()`, `read_only` (reactive),
  `marks_while_read_only`, `marked`,
  `set_marked(keys)`, `editing`, `edit_text`, `start_edit(text)`, `commit_edit()`,
  `cancel_edit()`, `column_width(key)`; `row_builds` counts row builds per key (tests,
  benchmarks).

Layout. A one-cell mark gutter ("•" on marked lines) and the fixed columns are drawn at the left;
a rule "│" separates them from the scrolled columns, which scroll sideways by whole columns only
(a column is drawn whole or not at all), so nothing ever overlaps the fixed part. The header
shows "◂" on the rule and "▸" at the right end when columns are hidden on that side. The grow
column takes the width left over by the fixed columns and by the scrolled columns that fit.
Only the current group's columns show; `c` cycles the groups (footer: "cols: <group>").

Figures. The grid never formats money. Each column is widened to its widest text by `set_rows`
and by `update_row` (a widening repaints everything; it is rare), up to `max_width`. A text
still wider than its column is drawn as "#" fill ("mark" columns) or cut with "…" ("ellipsis"
columns, for words): never a cut number.

Editing happens in the cursor cell; no Input is mounted and the focus does not move. On an
editable cell (not `read_only`) a digit, "-", ".", "(" or "$" starts editing with that character;
Enter starts with the row's edit text (or the shown text). While editing, printable keys (letters
too) go into the cell and never reach screen or app bindings, Backspace deletes, Esc cancels
(the old text shows again, `EditCancelled`), Enter commits: `CellCommitted(row_key, column_key,
text)`, unless an Enter-started edit was left unchanged. Arrows, PageUp/PageDown, Home/End, Tab
and a click on another cell commit and then move. Losing the focus leaves the edit open. The
cell shows its old text again at once: the screen validates and answers with `update_row`; on a
refusal it says why (the old value stays), and may reopen the cell with `start_edit(text)`.
A start key on a cell that cannot be typed into posts `EditRefused(row_key, column_key, reason)`.

Other messages: `LineMarked(row_key, marked)` (space on a line), `FoldToggled(row_key)` (Enter on
a heading), `CursorMoved(row_key, column_key)`, `GroupChanged(group)`. Every message has `grid`
(also its `control`). Bindings live here, and `check_action` hides those that do not apply:
Edit only on an editable cell of an editable grid, Mark only on lines, Fold only on headings,
Commit/Cancel only while editing. Home/End go to the first/last row, PageUp/PageDown by a page,
Ctrl+PageUp/Ctrl+PageDown by a screenful of columns. A click selects the cell under the pointer;
a double click on an editable cell starts editing it.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal, NamedTuple

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.timer import Timer

from tui.widgets.grid_columns import CellHint, GridColumn, GridRow, RowKind, groups_of

START_KEYS = frozenset("0123456789-.($")
"""Keys that start editing an editable cell with themselves."""

GROUP_BINDING_ID = "sov_grid.group"
MARK_WIDTH = 1
MIN_GROW = 12  # a grow column gives up width down to this on a very narrow terminal
CACHE_ROWS = 1024
FOOTER_DELAY = 0.25  # seconds of quiet before the footer shows a change of the keys that apply

_MARK = "•"
_RULE = "│"
_MORE_LEFT = "◂"
_MORE_RIGHT = "▸"
_FILL = "#"
_ELLIPSIS = "…"

RefusalReason = Literal["read_only", "not_editable"]


class _Placed(NamedTuple):
    column: GridColumn
    width: int


@dataclass(frozen=True)
class _Layout:
    """Where the columns go at one content width, for the current group."""

    width: int
    fixed: tuple[_Placed, ...]
    scrolled: tuple[_Placed, ...]
    fixed_width: int  # mark gutter + fixed columns + rule
    header_height: int
    reserve: int  # 1: the last cell is kept for the header's "▸" (not every column fits)

    @property
    def area(self) -> int:
        return max(0, self.width - self.fixed_width - self.reserve)

    def window_end(self, first: int) -> int:
        """One past the last scrolled column shown whole when `first` is the first one."""
        used, end = 0, first
        for placed in self.scrolled[first:]:
            if used + 1 + placed.width > self.area:
                break
            used += 1 + placed.width
            end += 1
        return end

    def used(self, first: int, end: int) -> int:
        return self.fixed_width + sum(1 + p.width for p in self.scrolled[first:end])


class _View(NamedTuple):
    width: int
    height: int
    scroll_y: int


class _Parts(NamedTuple):
    """One row's segments: the fixed part (gutter, fixed columns, rule), then each scrolled
    column (its gap and its cell)."""

    fixed: tuple[Segment, ...]
    cells: tuple[tuple[Segment, ...], ...]


@dataclass
class _Cached:
    """A row's parts, and the line last joined from them (for `first`, the first scrolled
    column shown)."""

    parts: _Parts
    first: int = -1
    strip: Strip | None = None


@dataclass(frozen=True)
class _Palette:
    base: Style
    even: Style
    header: Style
    heading: Style
    total: Style
    cursor: Style
    cursor_blurred: Style
    editing: Style
    caret: Style
    editable: Style
    mark: Style
    rule: Style
    overflow: Style
    hints: tuple[tuple[CellHint, Style], ...]


@dataclass
class _Edit:
    row_key: str
    column_key: str
    text: str
    initial: str | None  # the text an Enter-started edit began with; None when typed


def _fit(text: str, width: int, align: str, overflow: str) -> tuple[str, bool]:
    """`text` in exactly `width` cells, and whether it did not fit."""
    length = cell_len(text)
    if length <= width:
        pad = " " * (width - length)
        return (pad + text if align == "right" else text + pad), False
    if overflow == "mark":
        return _FILL * width, True
    return set_cell_size(text, width - 1) + _ELLIPSIS, False


def _tail(text: str, cells: int) -> str:
    """The end of `text` that fits in `cells` cells."""
    kept: list[str] = []
    used = 0
    for character in reversed(text):
        size = cell_len(character)
        if used + size > cells:
            break
        kept.append(character)
        used += size
    return "".join(reversed(kept))


class SovGrid(ScrollView, can_focus=True):
    """A G703 grid: fixed columns at the left, column groups, in-cell editing. See the module."""

    DEFAULT_CSS = """
    SovGrid {
        width: 1fr;
        height: 1fr;
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-gutter: stable;
        background: $surface;
        color: $foreground;
        & > .sov-grid--header { text-style: bold; background: $panel; color: $foreground; }
        & > .sov-grid--even-row { background: $surface-lighten-1 50%; }
        &:dark > .sov-grid--even-row { background: $surface-darken-1 40%; }
        & > .sov-grid--heading { text-style: bold; }
        & > .sov-grid--total { text-style: bold; background: $panel; }
        & > .sov-grid--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
        & > .sov-grid--cursor-blurred {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
        }
        & > .sov-grid--editing { background: $accent-darken-2; color: $text; text-style: none; }
        & > .sov-grid--caret { text-style: reverse; }
        & > .sov-grid--editable { text-style: underline; }
        & > .sov-grid--mark { color: $text-warning; text-style: bold; }
        & > .sov-grid--rule { color: $foreground 35%; }
        & > .sov-grid--overflow { color: $text-warning; }
        & > .sov-grid--negative { color: $text-error; }
        & > .sov-grid--override { color: $text-warning; }
        & > .sov-grid--flagged { color: $text-warning; text-style: bold; }
        & > .sov-grid--rejected { color: $text-error; text-style: bold; }
        & > .sov-grid--approved { color: $text-success; }
    }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "sov-grid--header", "sov-grid--even-row", "sov-grid--heading", "sov-grid--total",
        "sov-grid--cursor", "sov-grid--cursor-blurred", "sov-grid--editing", "sov-grid--caret",
        "sov-grid--editable", "sov-grid--mark", "sov-grid--rule", "sov-grid--overflow",
        "sov-grid--negative", "sov-grid--override", "sov-grid--flagged", "sov-grid--rejected",
        "sov-grid--approved",
    }

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Up", show=False, id="sov_grid.up"),
        Binding("down", "cursor_down", "Down", show=False, id="sov_grid.down"),
        Binding("left", "cursor_left", "Left", show=False, id="sov_grid.left"),
        Binding("right", "cursor_right", "Right", show=False, id="sov_grid.right"),
        Binding("home", "cursor_home", "First line", show=False, id="sov_grid.home"),
        Binding("end", "cursor_end", "Last line", show=False, id="sov_grid.end"),
        Binding("pageup", "cursor_page_up", "Page up", show=False, id="sov_grid.page_up"),
        Binding("pagedown", "cursor_page_down", "Page down", show=False,
                id="sov_grid.page_down"),
        Binding("ctrl+pageup", "columns_left", "Columns left", show=False,
                id="sov_grid.columns_left"),
        Binding("ctrl+pagedown", "columns_right", "Columns right", show=False,
                id="sov_grid.columns_right"),
        Binding("enter", "edit", "Edit", id="sov_grid.edit",
                tooltip="Change the figure in this cell (or type a digit)"),
        Binding("enter", "commit", "Commit", id="sov_grid.commit",
                tooltip="Take what you typed"),
        Binding("enter", "fold", "Fold", id="sov_grid.fold",
                tooltip="Fold or unfold this section"),
        Binding("escape", "cancel_edit", "Cancel", id="sov_grid.cancel",
                tooltip="Keep the old value"),
        Binding("tab", "commit_move(1)", "Commit, next", show=False, id="sov_grid.commit_next"),
        Binding("shift+tab", "commit_move(-1)", "Commit, previous", show=False,
                id="sov_grid.commit_previous"),
        Binding("space", "mark", "Mark", show=False, id="sov_grid.mark",
                tooltip="Mark or unmark a line"),
        Binding("c", "cycle_group", "cols", id=GROUP_BINDING_ID,
                tooltip="Show the next group of columns"),
    ]

    read_only: reactive[bool] = reactive(False, init=False)
    """True: nothing can be typed into the grid (marking is off too)."""

    # --- messages --------------------------------------------------------------------------

    class _GridMessage(Message):
        def __init__(self, grid: SovGrid) -> None:
            super().__init__()
            self.grid = grid

        @property
        def control(self) -> SovGrid:
            return self.grid

    class CellCommitted(_GridMessage):
        """Enter (or a move) ended an edit: validate `text`, then `update_row` or say why."""

        def __init__(self, grid: SovGrid, row_key: str, column_key: str, text: str) -> None:
            super().__init__(grid)
            self.row_key, self.column_key, self.text = row_key, column_key, text

    class EditCancelled(_GridMessage):
        def __init__(self, grid: SovGrid, row_key: str, column_key: str) -> None:
            super().__init__(grid)
            self.row_key, self.column_key = row_key, column_key

    class EditRefused(_GridMessage):
        """A figure was typed on a cell that cannot take one."""

        def __init__(self, grid: SovGrid, row_key: str, column_key: str,
                     reason: RefusalReason) -> None:
            super().__init__(grid)
            self.row_key, self.column_key, self.reason = row_key, column_key, reason

    class LineMarked(_GridMessage):
        def __init__(self, grid: SovGrid, row_key: str, marked: bool) -> None:
            super().__init__(grid)
            self.row_key, self.marked = row_key, marked

    class FoldToggled(_GridMessage):
        def __init__(self, grid: SovGrid, row_key: str) -> None:
            super().__init__(grid)
            self.row_key = row_key

    class CursorMoved(_GridMessage):
        def __init__(self, grid: SovGrid, row_key: str, column_key: str | None) -> None:
            super().__init__(grid)
            self.row_key, self.column_key = row_key, column_key

    class GroupChanged(_GridMessage):
        def __init__(self, grid: SovGrid, group: str) -> None:
            super().__init__(grid)
            self.group = group

    # --- building --------------------------------------------------------------------------

    def __init__(self, columns: Sequence[GridColumn] = (), *, groups: Sequence[str] | None = None,
                 read_only: bool = False, name: str | None = None, id: str | None = None,
                 classes: str | None = None, disabled: bool = False) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.set_reactive(SovGrid.read_only, read_only)
        # A reviewer marks lines (Space) to act on several at once without changing figures.
        self.marks_while_read_only = False
        self._columns: tuple[GridColumn, ...] = ()
        self._groups: tuple[str, ...] = ()
        self._group_index = 0
        self._visible: tuple[GridColumn, ...] = ()
        self._widths: dict[str, int] = {}
        self._body: list[GridRow] = []
        self._pinned: list[GridRow] = []
        self._where: dict[str, tuple[bool, int]] = {}  # key -> (pinned, index)
        self._marked: set[str] = set()
        self._row = 0
        self._col_key: str | None = None
        self._first_col = 0
        self._edit: _Edit | None = None
        self._layout: _Layout | None = None
        self._palette: _Palette | None = None
        self._palette_stale = True
        self._cache: LRUCache[str, _Cached] = LRUCache(CACHE_ROWS)
        self._binding_state: tuple[object, ...] | None = None
        self._published_state: tuple[object, ...] | None = None
        self._footer_timer: Timer | None = None
        self._frame: _View | None = None
        self._reported: tuple[str, str | None] | None = None
        self.row_builds: Counter[str] = Counter()
        """How many times each row's segments were built (cache misses and cursor rows)."""
        self.set_columns(columns, groups)

    def set_columns(self, columns: Sequence[GridColumn],
                    groups: Sequence[str] | None = None) -> None:
        """New columns, and the groups `c` cycles through (default: those the columns name,
        then "all"). Column keys must be unique; at most one column grows."""
        keys = [column.key for column in columns]
        if len(set(keys)) != len(keys):
            raise ValueError("column keys must be unique")
        if sum(column.grow for column in columns) > 1:
            raise ValueError("at most one column can grow")
        self._edit = None  # the cell being typed into may be gone
        self._columns = tuple(columns)
        self._groups = tuple(groups) if groups is not None else groups_of(columns)
        if not self._groups:
            raise ValueError("a grid needs at least one column group")
        self._group_index = 0
        self._widths = {column.key: column.width for column in columns}
        self._measure(self._body + self._pinned)
        self._visible = ()
        self._group_changed()

    def set_rows(self, rows: Iterable[GridRow]) -> None:
        """Show these rows (replacing all). The cursor stays on the same row key if it is still
        there, else on the same position; marks on rows that are gone are dropped."""
        rows = list(rows)
        keys = [row.key for row in rows]
        if len(set(keys)) != len(keys):
            raise ValueError("row keys must be unique")
        split = len(rows)
        while split > 0 and rows[split - 1].kind is RowKind.TOTAL:
            split -= 1
        old_key = self._body[self._row].key if self._row < len(self._body) else None
        self._body, self._pinned = rows[:split], rows[split:]
        self._where = {row.key: (False, i) for i, row in enumerate(self._body)}
        self._where.update({row.key: (True, i) for i, row in enumerate(self._pinned)})
        self._marked &= {row.key for row in self._body if row.kind is RowKind.LINE}
        where = self._where.get(old_key) if old_key is not None else None
        if where is not None and not where[0]:
            self._row = where[1]
        self._row = max(0, min(self._row, len(self._body) - 1))
        edit = self._edit
        if edit is not None and not self._still_editable(edit):
            self._edit = None
        self._widths = {column.key: column.width for column in self._columns}
        self._measure(rows)  # from the caller's widths: a column narrows again after a reload
        self._invalidate()
        self._update_virtual_size()
        self._cursor_changed(scroll=True)

    def update_row(self, row: GridRow) -> None:
        """Replace the row with the same key; only its line is repainted (unless a column had
        to widen for it). KeyError when no row has that key."""
        pinned, index = self._where[row.key]
        rows = self._pinned if pinned else self._body
        old = rows[index]
        if (old.kind is RowKind.TOTAL) != (row.kind is RowKind.TOTAL):
            # The row may move between the pinned rows and the lines: lay them out again.
            everything = [*self._body, *self._pinned]
            everything[len(self._body) + index if pinned else index] = row
            self.set_rows(everything)
            return
        rows[index] = row
        if row.kind is not RowKind.LINE:
            self._marked.discard(row.key)
        if self._measure([row]):
            self._invalidate()
        else:
            self._cache.discard(row.key)
            self._refresh_row(pinned, index)
        edit = self._edit
        if edit is not None and edit.row_key == row.key and not self._still_editable(edit):
            self._edit = None
        self._sync_bindings()

    def update_rows(self, rows: Iterable[GridRow]) -> None:
        for row in rows:
            self.update_row(row)

    def _measure(self, rows: Sequence[GridRow]) -> bool:
        """Widen columns to the widest text in `rows` (up to max_width); True if any widened."""
        widened = False
        widths = self._widths
        measured = [c for c in self._columns if not c.grow and
                    (c.max_width is None or widths[c.key] < c.max_width)]
        for column in measured:
            key = column.key
            widest = max((cell_len(row.shown(key)) for row in rows if key in row.cells),
                         default=0)
            widest = max(widest, *(cell_len(line) for line in column.caption_lines))
            if column.max_width is not None:
                widest = min(widest, column.max_width)
            if widest > widths[key]:
                widths[key] = widest
                widened = True
        return widened

    def _still_editable(self, edit: _Edit) -> bool:
        where = self._where.get(edit.row_key)
        if where is None or where[0] or self.read_only:
            return False
        column = next((c for c in self._visible if c.key == edit.column_key), None)
        return column is not None and self._body[where[1]].can_edit(column)

    # --- reading ---------------------------------------------------------------------------

    def has_row(self, key: str) -> bool:
        return key in self._where

    def row(self, key: str) -> GridRow:
        pinned, index = self._where[key]
        return (self._pinned if pinned else self._body)[index]

    @property
    def row_keys(self) -> list[str]:
        return [row.key for row in (*self._body, *self._pinned)]

    @property
    def cursor(self) -> tuple[str, str | None] | None:
        """(row key, column key) under the cursor, or None when there is no line."""
        if not self._body:
            return None
        return self._body[self._row].key, self._col_key

    @property
    def marked(self) -> frozenset[str]:
        return frozenset(self._marked)

    @property
    def group(self) -> str:
        return self._groups[self._group_index]

    @property
    def groups(self) -> tuple[str, ...]:
        return self._groups

    @property
    def editing(self) -> bool:
        return self._edit is not None

    @property
    def edit_text(self) -> str | None:
        return None if self._edit is None else self._edit.text

    @property
    def visible_columns(self) -> tuple[str, ...]:
        """Keys of the current group's columns, fixed first."""
        return tuple(c.key for c in self._visible)

    def measured_width(self, key: str) -> int:
        """The width a column needs for its widest text (shown or not)."""
        return self._widths[key]

    def column_width(self, key: str) -> int:
        """The width a visible column is drawn at now (0 when hidden)."""
        layout = self._get_layout()
        return next((p.width for p in (*layout.fixed, *layout.scrolled)
                     if p.column.key == key), 0)

    # --- changing state --------------------------------------------------------------------

    def move_cursor(self, row_key: str | None = None, column_key: str | None = None) -> None:
        """Put the cursor on a line (by key) and/or a visible column (by key); an open edit is
        committed first."""
        self.commit_edit()
        if row_key is not None:
            pinned, index = self._where[row_key]
            if pinned:
                raise ValueError(f"row {row_key!r} is pinned: the cursor cannot go there")
            self._move(row=index)
        if column_key is not None:
            if column_key not in self.visible_columns:
                raise ValueError(f"column {column_key!r} is not shown in group {self.group!r}")
            self._move(col_key=column_key)

    def set_marked(self, keys: Iterable[str]) -> None:
        wanted = {key for key in keys if key in self._where
                  and self.row(key).kind is RowKind.LINE}
        for key in wanted ^ self._marked:
            self._cache.discard(key)
            self._refresh_row(*self._where[key])
        self._marked = wanted

    def set_group(self, group: str) -> None:
        """Show another group of columns (an open edit is committed first)."""
        self.commit_edit()
        self._group_index = self._groups.index(group)
        self._group_changed()
        self.post_message(self.GroupChanged(self, group))

    def cycle_group(self) -> None:
        self.set_group(self._groups[(self._group_index + 1) % len(self._groups)])

    def _group_changed(self) -> None:
        self._visible = tuple(c for c in self._columns if c.shown_in(self.group))
        keys = [c.key for c in self._visible]
        if self._col_key not in keys:
            scrolled = [c for c in self._visible if not c.fixed]
            choice = (next((c for c in scrolled if c.editable), None)
                      or (scrolled[0] if scrolled else None)
                      or (self._visible[0] if self._visible else None))
            self._col_key = None if choice is None else choice.key
        self._first_col = 0
        self._show_group_in_footer()
        self._invalidate()
        self._update_virtual_size()
        if self.is_mounted:
            self._cursor_changed(scroll=True)

    def _show_group_in_footer(self) -> None:
        description = f"cols: {self.group}"
        key_to_bindings = self._bindings.key_to_bindings
        for key, bindings in list(key_to_bindings.items()):
            if any(b.id == GROUP_BINDING_ID for b in bindings):
                key_to_bindings[key] = [dataclasses.replace(b, description=description)
                                        if b.id == GROUP_BINDING_ID else b for b in bindings]

    def watch_read_only(self, read_only: bool) -> None:
        if read_only:
            self.cancel_edit()
        self._cache.clear()  # the underline on editable cells comes and goes
        self.refresh()
        self._sync_bindings()

    # --- editing ---------------------------------------------------------------------------

    def _cursor_row(self) -> GridRow | None:
        return self._body[self._row] if self._row < len(self._body) else None

    def _cursor_column(self) -> GridColumn | None:
        return next((c for c in self._visible if c.key == self._col_key), None)

    def can_edit_cursor(self) -> bool:
        row, column = self._cursor_row(), self._cursor_column()
        return (not self.read_only and row is not None and column is not None
                and row.can_edit(column))

    def start_edit(self, text: str | None = None) -> bool:
        """Edit the cursor cell, starting from `text` (None: the row's edit text or shown text).
        False when the cell cannot be typed into."""
        row, column = self._cursor_row(), self._cursor_column()
        if row is None or column is None or not self.can_edit_cursor():
            return False
        if text is None:
            initial = row.start_text(column.key)
            self._edit = _Edit(row.key, column.key, initial, initial)
        else:
            self._edit = _Edit(row.key, column.key, text, None)
        self._refresh_row(False, self._row)
        self._sync_bindings()
        return True

    def commit_edit(self) -> bool:
        """End the edit; post CellCommitted unless an Enter-started edit is unchanged."""
        edit = self._edit
        if edit is None:
            return False
        self._edit = None
        self._refresh_row(False, self._row)
        if edit.initial is None or edit.text != edit.initial:
            self.post_message(self.CellCommitted(self, edit.row_key, edit.column_key, edit.text))
        self._sync_bindings()
        return True

    def cancel_edit(self) -> bool:
        edit = self._edit
        if edit is None:
            return False
        self._edit = None
        self._refresh_row(False, self._row)
        self.post_message(self.EditCancelled(self, edit.row_key, edit.column_key))
        self._sync_bindings()
        return True

    def _set_edit_text(self, text: str) -> None:
        assert self._edit is not None
        self._edit.text = text
        self._refresh_row(False, self._row)
        if self._footer_timer is not None:
            self._footer_timer.reset()  # still typing: the footer can wait

    def on_key(self, event: events.Key) -> None:
        edit = self._edit
        if edit is not None:
            if event.key == "backspace":
                self._set_edit_text(edit.text[:-1])
            elif event.is_printable and event.character:
                self._set_edit_text(edit.text + event.character)
            else:
                return  # Enter, Esc, arrows, Tab: the bindings below
            event.stop()
            event.prevent_default()
            return
        character = event.character
        if not event.is_printable or character is None or character not in START_KEYS:
            return
        row, column = self._cursor_row(), self._cursor_column()
        if row is None or column is None:
            return
        event.stop()
        event.prevent_default()
        if not self.start_edit(character):
            reason: RefusalReason = "read_only" if self.read_only else "not_editable"
            self.post_message(self.EditRefused(self, row.key, column.key, reason))

    def on_paste(self, event: events.Paste) -> None:
        lines = event.text.splitlines()
        text = "".join(ch for ch in (lines[0] if lines else "") if ch.isprintable())
        if not text:
            return
        if self._edit is not None:
            event.stop()
            self._set_edit_text(self._edit.text + text)
        elif self.start_edit(text):
            event.stop()

    # --- actions ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        editing = self._edit is not None
        if action in ("commit", "cancel_edit", "commit_move"):
            return editing
        if action in ("edit", "fold", "mark", "cycle_group") and editing:
            return False
        if action == "edit":
            return self.can_edit_cursor()
        if action == "fold":
            row = self._cursor_row()
            return row is not None and row.kind is RowKind.HEADING
        if action == "mark":
            row = self._cursor_row()
            return row is not None and row.kind is RowKind.LINE and self._may_mark()
        if action == "cycle_group":
            return len(self._groups) > 1
        return True

    def action_cursor_up(self) -> None:
        self._commit_and_move(row=self._row - 1)

    def action_cursor_down(self) -> None:
        self._commit_and_move(row=self._row + 1)

    def action_cursor_left(self) -> None:
        self._commit_and_move(col_step=-1)

    def action_cursor_right(self) -> None:
        self._commit_and_move(col_step=1)

    def action_cursor_home(self) -> None:
        self._commit_and_move(row=0)

    def action_cursor_end(self) -> None:
        self._commit_and_move(row=len(self._body) - 1)

    def action_cursor_page_up(self) -> None:
        self._commit_and_move(row=self._row - self._page())

    def action_cursor_page_down(self) -> None:
        self._commit_and_move(row=self._row + self._page())

    def action_columns_left(self) -> None:
        layout = self._get_layout()
        shown = max(1, layout.window_end(self._first_col) - self._first_col)
        self._commit_and_move(col_step=-shown)

    def action_columns_right(self) -> None:
        layout = self._get_layout()
        shown = max(1, layout.window_end(self._first_col) - self._first_col)
        self._commit_and_move(col_step=shown)

    def action_edit(self) -> None:
        self.start_edit()

    def action_commit(self) -> None:
        self.commit_edit()

    def action_commit_move(self, step: int) -> None:
        self._commit_and_move(col_step=step)

    def action_cancel_edit(self) -> None:
        self.cancel_edit()

    def action_fold(self) -> None:
        row = self._cursor_row()
        if row is not None and row.kind is RowKind.HEADING:
            self.post_message(self.FoldToggled(self, row.key))

    def _may_mark(self) -> bool:
        return not self.read_only or self.marks_while_read_only

    def action_mark(self) -> None:
        row = self._cursor_row()
        if row is None or row.kind is not RowKind.LINE or not self._may_mark():
            return
        marked = row.key not in self._marked
        if marked:
            self._marked.add(row.key)
        else:
            self._marked.discard(row.key)
        self._cache.discard(row.key)
        self._refresh_row(False, self._row)
        self.post_message(self.LineMarked(self, row.key, marked))

    def action_cycle_group(self) -> None:
        self.cycle_group()

    def _page(self) -> int:
        return max(1, self._body_lines() - 1)

    def _commit_and_move(self, row: int | None = None, col_step: int = 0) -> None:
        self.commit_edit()
        col_key = None
        if col_step:
            keys = self.visible_columns
            if keys:
                at = keys.index(self._col_key) if self._col_key in keys else 0
                col_key = keys[max(0, min(len(keys) - 1, at + col_step))]
        self._move(row=row, col_key=col_key)

    def _move(self, row: int | None = None, col_key: str | None = None) -> None:
        if not self._body:
            return
        old_row, old_col = self._row, self._col_key
        if row is not None:
            self._row = max(0, min(len(self._body) - 1, row))
        if col_key is not None:
            self._col_key = col_key
        if (self._row, self._col_key) == (old_row, old_col):
            return
        self._refresh_row(False, old_row)
        if self._row != old_row:
            self._refresh_row(False, self._row)
        self._cursor_changed(scroll=True)

    def _cursor_changed(self, *, scroll: bool) -> None:
        if scroll and self.is_mounted:
            self._scroll_cursor_into_view()
        row = self._cursor_row()
        if row is not None and (row.key, self._col_key) != self._reported:
            self._reported = (row.key, self._col_key)
            self.cursor_moved_now(row.key, self._col_key)
            self.post_message(self.CursorMoved(self, row.key, self._col_key))
        self._sync_bindings()

    def cursor_moved_now(self, row_key: str, column_key: str | None) -> None:
        """Called as the cursor moves, before `CursorMoved` is posted: a subclass that shows
        something about the current row updates it here, so that it is painted with the move."""

    def _sync_bindings(self) -> None:
        """Tell the footer when what the keys do here has changed, after FOOTER_DELAY of quiet.

        The keys themselves follow `check_action` at once; only the footer's redraw (Textual
        recomposes it: 20–40 ms) waits until no key came for FOOTER_DELAY, so a keystroke is
        echoed first, and an edit typed in one go (digits, Enter), which ends where it began,
        or a run of cursor moves over headings redraws no footer at all."""
        row = self._cursor_row()
        self._binding_state = (self._edit is not None, self.read_only,
                               row.kind if row else None, self.can_edit_cursor(), self.group)
        self._postpone_footer()

    def _postpone_footer(self) -> None:
        if self._binding_state == self._published_state or not self.is_mounted:
            return
        if self._footer_timer is None:
            self._footer_timer = self.set_timer(FOOTER_DELAY, self._publish_bindings)
        else:
            self._footer_timer.reset()

    def _publish_bindings(self) -> None:
        self._footer_timer = None
        if self._binding_state != self._published_state:
            self._published_state = self._binding_state
            self.refresh_bindings()

    def on_focus(self, _: events.Focus) -> None:
        self._refresh_row(False, self._row)

    def on_blur(self, _: events.Blur) -> None:
        self._refresh_row(False, self._row)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or not self._body:
            return
        layout = self._get_layout()
        top = layout.header_height
        y = offset.y
        if y < top or y >= self._pinned_top(layout):
            return
        index = y - top + int(self.scroll_offset.y)
        if index >= len(self._body):
            return
        col_key = self._column_at(layout, offset.x)
        target = (index, col_key or self._col_key)
        if self._edit is not None and target != (self._row, self._col_key):
            self.commit_edit()
        self._move(row=index, col_key=col_key)
        if event.chain >= 2 and self._edit is None:
            self.start_edit()

    def _column_at(self, layout: _Layout, x: int) -> str | None:
        position = MARK_WIDTH
        for placed in layout.fixed:
            position += 1 + placed.width
            if x < position:
                return placed.column.key
        position += 1 if layout.scrolled else 0
        first = self._first_col
        for placed in layout.scrolled[first:layout.window_end(first)]:
            position += 1 + placed.width
            if x < position:
                return placed.column.key
        return None

    # --- scrolling -------------------------------------------------------------------------

    def _body_lines(self) -> int:
        layout = self._get_layout()
        height = self.scrollable_content_region.height
        return max(1, height - layout.header_height - len(self._pinned))

    def _pinned_top(self, layout: _Layout, view: _View | None = None) -> int:
        """The line where the pinned rows start: the bottom, or under the last line."""
        view = view or self._view()
        return min(layout.header_height + len(self._body) - view.scroll_y,
                   view.height - len(self._pinned))

    def _update_virtual_size(self) -> None:
        header = max((len(c.caption_lines) for c in self._visible), default=1)
        self.virtual_size = Size(0, header + len(self._body) + len(self._pinned))

    def _scroll_cursor_into_view(self) -> None:
        lines = self._body_lines()
        top = int(self.scroll_offset.y)
        if self._row < top:
            self.scroll_to(y=self._row, animate=False)
        elif self._row >= top + lines:
            self.scroll_to(y=self._row - lines + 1, animate=False)
        layout = self._get_layout()
        first = self._fit_first_col(layout) if layout.width > 0 else self._first_col
        if first != self._first_col:
            self._first_col = first
            self.refresh()

    def _fit_first_col(self, layout: _Layout) -> int:
        """The first scrolled column to show: the cursor column in view, the area filled."""
        count = len(layout.scrolled)
        first = max(0, min(self._first_col, count - 1))
        keys = [p.column.key for p in layout.scrolled]
        if self._col_key in keys:
            at = keys.index(self._col_key)
            if at < first:
                first = at
            while first < at and layout.window_end(first) <= at:
                first += 1
        while first > 0 and layout.window_end(first - 1) >= count:
            first -= 1
        return first

    def on_resize(self, _: events.Resize) -> None:
        if self._body:
            self._scroll_cursor_into_view()

    # --- painting --------------------------------------------------------------------------

    def _invalidate(self) -> None:
        self._layout = None
        self._cache.clear()
        self.refresh()

    def _refresh_row(self, pinned: bool, index: int) -> None:
        """Repaint one row's line, if it is on screen."""
        if not self.is_mounted:
            return
        layout = self._get_layout()
        width = max(self.size.width, 1)
        if pinned:
            y = self._pinned_top(layout) + index
        else:
            y = layout.header_height + index - int(self.scroll_offset.y)
            if y < layout.header_height or y >= self._pinned_top(layout):
                return
        self.refresh(Region(0, y, width, 1))

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._palette_stale = True

    def _get_palette(self) -> _Palette:
        if self._palette is not None and not self._palette_stale:
            return self._palette
        style = self.get_component_rich_style

        def fg(name: str) -> Style:
            full = style(name)
            return Style.from_color(full.color) + style(name, partial=True).without_color

        palette = _Palette(
            base=self.rich_style, even=style("sov-grid--even-row"),
            header=style("sov-grid--header"),
            heading=style("sov-grid--heading", partial=True).without_color,
            total=style("sov-grid--total"), cursor=style("sov-grid--cursor"),
            cursor_blurred=style("sov-grid--cursor-blurred"),
            editing=style("sov-grid--editing"),
            caret=style("sov-grid--caret", partial=True),
            editable=style("sov-grid--editable", partial=True),
            mark=fg("sov-grid--mark"), rule=fg("sov-grid--rule"),
            overflow=fg("sov-grid--overflow"),
            hints=tuple((hint, fg(f"sov-grid--{hint.value}")) for hint in CellHint),
        )
        if palette != self._palette:
            # The theme changed; a focus change leaves these styles (and the cache) alone.
            self._cache.clear()
        self._palette, self._palette_stale = palette, False
        return palette

    def _get_layout(self, width: int | None = None) -> _Layout:
        if width is None:
            width = self.scrollable_content_region.width
        layout = self._layout
        if layout is not None and layout.width == width:
            return layout
        new = self._compute_layout(width)
        if layout is None or (layout.fixed, layout.scrolled) != (new.fixed, new.scrolled):
            self._cache.clear()
        self._layout = new
        if width > 0:  # not before the first layout: a zero width would scroll every column
            self._first_col = self._fit_first_col(new)
        return new

    def _compute_layout(self, width: int) -> _Layout:
        widths = self._widths
        fixed = [c for c in self._visible if c.fixed]
        scrolled = tuple(_Placed(c, widths[c.key]) for c in self._visible if not c.fixed)
        rule = 1 if scrolled else 0
        fixed_min = MARK_WIDTH + sum(1 + widths[c.key] for c in fixed) + rule
        area = max(0, width - fixed_min)
        reserve = 1 if sum(1 + p.width for p in scrolled) > area else 0
        area = max(0, area - reserve)
        grow = next((c for c in fixed if c.grow), None)
        extra = 0
        if grow is not None:
            fit = 0
            for placed in scrolled:
                if fit + 1 + placed.width > area:
                    break
                fit += 1 + placed.width
            if fit == 0 and scrolled:
                # Not even one scrolled column fits: the grow column gives up some width.
                need = scrolled[0].width + 1 - area
                extra = -min(need, max(0, widths[grow.key] - MIN_GROW))
            else:
                extra = area - fit
        placed_fixed = tuple(_Placed(c, widths[c.key] + (extra if c is grow else 0))
                             for c in fixed)
        header = max((len(c.caption_lines) for c in self._visible), default=1)
        return _Layout(width, placed_fixed, scrolled, fixed_min + extra, header, reserve)

    def render_lines(self, crop: Region) -> list[Strip]:
        # The view's size and scroll position, read once per paint rather than once per line.
        self._frame = self._view()
        try:
            return super().render_lines(crop)
        finally:
            self._frame = None

    def _view(self) -> _View:
        region = self.scrollable_content_region
        return _View(region.width, region.height, int(self.scroll_offset.y))

    def render_line(self, y: int) -> Strip:
        view = self._frame or self._view()
        layout = self._get_layout(view.width)
        palette = self._get_palette()
        if y < layout.header_height:
            return self._header_line(y, layout, palette)
        pinned_top = self._pinned_top(layout, view)
        if y >= pinned_top:
            index = y - pinned_top
            if index < len(self._pinned):
                return self._line(self._pinned[index], None, layout, palette)
        else:
            index = y - layout.header_height + view.scroll_y
            if index < len(self._body):
                return self._line(self._body[index], index, layout, palette)
        return Strip.blank(layout.width, palette.base)

    def _line(self, row: GridRow, index: int | None, layout: _Layout,
              palette: _Palette) -> Strip:
        first = self._first_col
        if index is not None and index == self._row:
            return self._join(self._build(row, index, layout, palette, cursor=self._col_key),
                              row, index, layout, palette)
        cached = self._cache.get(row.key)
        if cached is None:
            cached = _Cached(self._build(row, index, layout, palette, cursor=None))
            self._cache.set(row.key, cached)
        if cached.strip is None or cached.first != first:
            # The same Strip object on every repaint: Textual's own per-strip caches then hit.
            cached.strip = self._join(cached.parts, row, index, layout, palette)
            cached.first = first
        return cached.strip

    def _join(self, parts: _Parts, row: GridRow, index: int | None, layout: _Layout,
              palette: _Palette) -> Strip:
        """The fixed part and the scrolled columns in view, padded to the width."""
        first = self._first_col
        end = layout.window_end(first)
        segments = list(parts.fixed)
        for cell in parts.cells[first:end]:
            segments.extend(cell)
        used = layout.used(first, end)
        if used < layout.width:
            segments.append(Segment(" " * (layout.width - used),
                                    self._row_base(row, index, palette)))
        # Neighbours of one style become one segment: fewer for Textual to filter and divide.
        strip = Strip(Segment.simplify(segments), max(used, layout.width))
        return strip.crop(0, layout.width) if used > layout.width else strip

    def _row_base(self, row: GridRow, index: int | None, palette: _Palette) -> Style:
        if row.kind is RowKind.TOTAL:
            return palette.total
        base = palette.even if index is not None and index % 2 else palette.base
        return base + palette.heading if row.kind is RowKind.HEADING else base

    def _build(self, row: GridRow, index: int | None, layout: _Layout, palette: _Palette,
               *, cursor: str | None) -> _Parts:
        self.row_builds[row.key] += 1
        base = self._row_base(row, index, palette)
        gap = Segment(" ", base)
        marked = row.key in self._marked
        fixed: list[Segment] = [Segment(_MARK if marked else " ",
                                        base + palette.mark if marked else base)]
        for placed in layout.fixed:
            fixed.append(gap)
            fixed.extend(self._cell(row, placed, base, palette, placed.column.key == cursor))
        if layout.scrolled:
            fixed.append(Segment(_RULE, base + palette.rule))
        cells = tuple((gap, *self._cell(row, placed, base, palette,
                                        placed.column.key == cursor))
                      for placed in layout.scrolled)
        return _Parts(tuple(fixed), cells)

    def _cell(self, row: GridRow, placed: _Placed, base: Style, palette: _Palette,
              cursor: bool) -> list[Segment]:
        column, width = placed
        edit = self._edit
        if cursor and edit is not None and edit.column_key == column.key \
                and edit.row_key == row.key:
            return self._edit_segments(edit.text, width, column.align, palette)
        text, overflowed = _fit(row.shown(column.key), width, column.align, column.overflow)
        if cursor:
            style = palette.cursor if self.has_focus else palette.cursor_blurred
        else:
            style = base
            if not self.read_only and row.can_edit(column):
                style += palette.editable
            hints = row.hints.get(column.key)
            if overflowed:
                style += palette.overflow
            elif hints:
                for hint, hint_style in palette.hints:
                    if hint in hints:
                        style += hint_style
        return [Segment(text, style)]

    @staticmethod
    def _edit_segments(text: str, width: int, align: str, palette: _Palette) -> list[Segment]:
        """The typed text and a block caret after it, showing the end of a long text."""
        room = max(0, width - 1)
        shown = text if cell_len(text) <= room else _ELLIPSIS + _tail(text, room - 1)
        pad = " " * (room - cell_len(shown))
        caret = Segment(" ", palette.editing + palette.caret)
        if align == "right":
            return [Segment(pad + shown, palette.editing), caret]
        return [Segment(shown, palette.editing), caret, Segment(pad, palette.editing)]

    def _header_line(self, y: int, layout: _Layout, palette: _Palette) -> Strip:
        style = palette.header
        height = layout.header_height
        last = y == height - 1

        def caption(placed: _Placed) -> list[Segment]:
            lines = placed.column.caption_lines
            at = y - (height - len(lines))
            text = lines[at] if at >= 0 else ""
            fitted, _ = _fit(text, placed.width, placed.column.align, "ellipsis")
            return [Segment(" ", style), Segment(fitted, style)]

        segments = [Segment(" " * MARK_WIDTH, style)]
        for placed in layout.fixed:
            segments.extend(caption(placed))
        first = self._first_col
        end = layout.window_end(first)
        if layout.scrolled:
            segments.append(Segment(_MORE_LEFT if last and first > 0 else _RULE,
                                    style + palette.rule))
        for placed in layout.scrolled[first:end]:
            segments.extend(caption(placed))
        used = layout.used(first, end)
        more_right = last and end < len(layout.scrolled)
        if used < layout.width:
            segments.append(Segment(" " * (layout.width - used), style))
        strip = Strip(segments, max(used, layout.width)).crop(0, layout.width)
        if more_right and layout.width > 0:
            strip = Strip([*strip.crop(0, layout.width - 1),
                           Segment(_MORE_RIGHT, style + palette.rule)], layout.width)
        return strip
