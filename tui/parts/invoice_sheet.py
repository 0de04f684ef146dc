"""The invoice's schedule of values: the G703 columns (data/g703.py) on the line-API grid,
showing a `DraftInvoice` and taking what is typed into it.

The sheet checks each typed figure with the draft (the old value stays when it is refused) and
tells its screen with `DraftChanged` or `EntryRefused`; it owns the keys that act on lines:
`%` (percent complete) and `R` (release a percentage of the retainage) for the marked lines,
`i` (the current line in full). Change orders show under a heading that Enter folds.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

from textual.binding import Binding, BindingType
from textual.message import Message

from data import g703
from data.billing import LineResult
from data.g703 import G703Column, Group, Kind, Value, text_of
from data.terminal_text import terminal_safe
from tui.parts.line_detail import LineDetail, line_in_full
from tui.widgets.grid_columns import CellHint, GridColumn, GridRow, RowKind
from tui.widgets.sov_grid import SovGrid

if TYPE_CHECKING:
    from data.editing import DraftInvoice
    from data.services.invoice_figures import UnitFigures
    from data.services.invoice_views import SheetLine

CHANGE_ORDERS = "h:change-orders"
TOTALS = "h:totals"
OVERBILLED_MARK = "⚠"
DESCRIPTION_WIDTH = 24  # at 80 columns the description shows at least this much


@dataclass(frozen=True)
class DraftUnits:
    """A unit-based line's figures with what the person typed (new quantity, total %)."""

    unit: str
    quantity: Decimal
    unit_price: Decimal
    previous_quantity: Decimal
    new_quantity: Decimal
    total_percent: Decimal | None


@dataclass(frozen=True)
class DraftLine:
    """One line as the columns read it, with the draft's figures (g703.Line)."""

    result: LineResult
    units: DraftUnits | None
    budget_code: str


def draft_line(draft: DraftInvoice, line: SheetLine) -> DraftLine:
    result = draft.line_result(line.sov_line_id)
    typed = draft.units(line.sov_line_id)
    units: UnitFigures | None = line.units
    shown = None
    if units is not None and typed is not None:
        shown = DraftUnits(units.unit, units.quantity, units.unit_price,
                           units.previous_quantity, typed[0], typed[1])
    return DraftLine(result, shown, line.budget_code)


def grid_column(column: G703Column) -> GridColumn:
    fixed = column in (g703.ITEM, g703.DESCRIPTION)
    caption = f"{column.letter}\n{column.short}" if column.letter and column.numeric \
        else column.short
    return GridColumn(
        key=column.key, caption=caption,
        width=DESCRIPTION_WIDTH if column is g703.DESCRIPTION else 4,
        align="right" if column.numeric else "left", fixed=fixed,
        editable=column.field is not None,
        groups=frozenset(group.value for group in column.groups),
        grow=column is g703.DESCRIPTION,
        max_width=10 if column is g703.ITEM else None,
        overflow="mark" if column.numeric else "ellipsis")


_NEGATIVE = frozenset({CellHint.NEGATIVE})


def _edit_text(column: G703Column, value: Value) -> str:
    """What Enter puts in a cell to change: the figure without $ and thousands separators."""
    if value is None or isinstance(value, str):
        return ""
    if column.kind is Kind.PERCENT:
        return f"{value:.2f}"
    return f"{value}"


class InvoiceSheet(SovGrid):
    """The grid of one invoice. `show(draft, editable=...)` fills it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("percent_sign", "bulk_percent", "%Done", show=False, id="sheet.bulk_percent",
                tooltip="Percent complete to date for the marked lines (or this one)"),
        Binding("R", "bulk_release", "Release%", show=False, id="sheet.bulk_release",
                tooltip="Release a percentage of the retainage held on the marked lines"),
        Binding("i", "line_in_full", "Line", show=False, id="sheet.line",
                tooltip="The current line in full: description, figures, reviewer's comment"),
    ]

    class DraftChanged(Message):
        """Figures of the draft changed (typed, or set for marked lines)."""

        def __init__(self, lines: int) -> None:
            super().__init__()
            self.lines = lines

    class EntryRefused(Message):
        """A figure was not taken; `reason` says why (the old value is kept)."""

        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    class LineWanted(Message):
        """The person asked for the current line in full."""

        def __init__(self, sov_line_id: int) -> None:
            super().__init__()
            self.sov_line_id = sov_line_id

    class BulkWanted(Message):
        """% or R: a value for several lines is to be asked."""

        def __init__(self, what: str, sov_line_ids: list[int]) -> None:
            super().__init__()
            self.what = what
            self.sov_line_ids = sov_line_ids

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, read_only=True)
        self.draft: DraftInvoice | None = None
        self.folded = False
        self._spec: tuple[G703Column, ...] = ()
        self._editable = False
        self._detail: LineDetail | None = None
        self._lines_of: object = None  # the view `_by_id` was made from
        self._by_id: dict[int, SheetLine] = {}
        self.shows_approvals = False  # ✓ on approved lines: for the reviewer

    # --- filling ---------------------------------------------------------------------------

    def show(self, draft: DraftInvoice, *, editable: bool) -> None:
        view = draft.view
        spec = g703.sheet_columns(view.method, stored_separately=view.stored_separately)
        first = spec != self._spec
        if first:
            self._spec = spec
            self.set_columns([grid_column(column) for column in spec],
                             [group.value for group in g703.groups_of(spec)])
        self.draft = draft
        self._editable = editable
        self.read_only = not editable
        self.set_rows(self._rows())
        if first and self._all_fit():
            self.set_group(Group.ALL.value)

    def _all_fit(self) -> bool:
        """Every column fits the width with the description at its minimum."""
        needed = 1 + 1 + 2  # the mark gutter, the rule, the scrollbar
        for column in self._spec:
            width = DESCRIPTION_WIDTH if column is g703.DESCRIPTION \
                else self.measured_width(column.key)
            needed += width + 1
        return needed <= (self.size.width or self.app.size.width)

    def update_lines(self, sov_line_ids: list[int]) -> None:
        """After a change to these lines: their rows and the totals, nothing else."""
        assert self.draft is not None
        for sov_line_id in sov_line_ids:
            key = str(sov_line_id)
            if self.has_row(key):  # not folded away
                self.update_row(self._line_row(self.line_of(sov_line_id)))
        self.update_row(self._totals_row())

    def _rows(self) -> Iterator[GridRow]:
        assert self.draft is not None
        section = ""
        for line in self.draft.view.lines:
            if line.section != section:
                if not section:
                    arrow = "▸" if self.folded else "▾"
                    yield GridRow(CHANGE_ORDERS, {"description": f"{arrow} Change Orders"},
                                  kind=RowKind.HEADING)
                section = line.section
                if not self.folded:
                    yield GridRow(f"h:{section}", {"description": f"  {section}"},
                                  kind=RowKind.HEADING)
            if line.section and self.folded:
                continue
            yield self._line_row(line)
        yield self._totals_row()

    def _line_row(self, line: SheetLine) -> GridRow:
        shown = draft_line(self._draft, line)
        result = shown.result
        cells: dict[str, str] = {}
        hints: dict[str, frozenset[CellHint]] = {}
        edit_texts: dict[str, str] = {}
        locked: set[str] = set()
        for column in self._spec:
            value = column.value(shown)  # once: the text and the hints are read from it
            text = text_of(value, column.kind)
            cells[column.key] = text if column.numeric else terminal_safe(text)
            if isinstance(value, Decimal) and value < 0 and column.kind is Kind.MONEY:
                hints[column.key] = _NEGATIVE
            if column.field is not None:
                if column.editable_on(shown):
                    edit_texts[column.key] = _edit_text(column, value)
                else:
                    locked.add(column.key)
        if shown.units is not None:
            typed = self._draft.units(line.sov_line_id)
            if typed is not None and typed[2]:
                hints[g703.NEW_VALUE.key] = frozenset({CellHint.OVERRIDE})
        item = cells[g703.ITEM.key]
        if result.overbilled:
            cells[g703.ITEM.key] = f"{item} {OVERBILLED_MARK}"
            hints[g703.ITEM.key] = frozenset({CellHint.FLAGGED})
            hints[g703.COMPLETED.key] = frozenset({CellHint.FLAGGED})
        if line.review == "rejected":
            hints[g703.ITEM.key] = frozenset({CellHint.REJECTED})
        elif line.review == "approved" and self.shows_approvals:
            hints[g703.ITEM.key] = frozenset({CellHint.APPROVED})
        return GridRow(str(line.sov_line_id), cells, hints=hints, editable=self._editable,
                       locked=frozenset(locked), edit_texts=edit_texts)

    def _totals_row(self) -> GridRow:
        summary = self._draft.result.summary
        cells = {column.key: column.total_text(summary) for column in self._spec}
        return GridRow(TOTALS, cells, kind=RowKind.TOTAL)

    @property
    def _draft(self) -> DraftInvoice:
        assert self.draft is not None
        return self.draft

    # --- where the cursor is ---------------------------------------------------------------

    def current_line(self) -> int | None:
        """The SOV line id under the cursor, or None on a heading or the totals."""
        cursor = self.cursor
        if cursor is None or cursor[0].startswith("h:"):
            return None
        return int(cursor[0])

    def line_ids(self) -> list[int]:
        """The marked lines, or the current one when none is marked."""
        marked = sorted(int(key) for key in self.marked)
        current = self.current_line()
        return marked or ([current] if current is not None else [])

    # --- typing ----------------------------------------------------------------------------

    def on_sov_grid_cell_committed(self, event: SovGrid.CellCommitted) -> None:
        from data.editing import EntryError, Field

        event.stop()
        column = g703.BY_KEY[event.column_key]
        if self.draft is None or column.field is None:
            return
        sov_line_id = int(event.row_key)
        try:
            self.draft.set(sov_line_id, Field(column.field), event.text)
        except EntryError as error:
            self.post_message(self.EntryRefused(str(error)))
            return
        self.update_lines([sov_line_id])
        self.post_message(self.DraftChanged(1))

    def on_sov_grid_fold_toggled(self, event: SovGrid.FoldToggled) -> None:
        event.stop()
        if self.draft is not None:
            self.folded = not self.folded
            self.set_rows(self._rows())

    def set_many(self, sov_line_ids: list[int], what: str, text: str) -> None:
        """One value typed for several lines (all or none); answers like a typed cell."""
        from data.editing import EntryError, Field

        assert self.draft is not None
        field = Field.PERCENT if what == "percent" else Field.RELEASE
        try:
            self.draft.set_many(sov_line_ids, field, text)
        except EntryError as error:
            self.post_message(self.EntryRefused(f"{error} (no line was changed)"))
            return
        self.set_marked(())
        self.update_lines(sov_line_ids)
        self.post_message(self.DraftChanged(len(sov_line_ids)))

    # --- keys --------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("bulk_percent", "bulk_release"):
            return not self.read_only and not self.editing and self.current_line() is not None
        if action == "line_in_full":
            return self.current_line() is not None and not self.editing
        return super().check_action(action, parameters)

    def action_bulk_percent(self) -> None:
        self._bulk("percent")

    def action_bulk_release(self) -> None:
        self._bulk("release")

    def _bulk(self, what: str) -> None:
        lines = self.line_ids()
        if lines and not self.read_only:
            self.post_message(self.BulkWanted(what, lines))

    def action_line_in_full(self) -> None:
        current = self.current_line()
        if current is not None:
            self.post_message(self.LineWanted(current))

    # --- the line detail under the grid ----------------------------------------------------

    def attach_detail(self, detail: LineDetail) -> None:
        """The strip that shows the current line in full; kept in step with the cursor."""
        self._detail = detail

    def cursor_moved_now(self, row_key: str, column_key: str | None) -> None:
        self.show_detail()

    def show_detail(self) -> None:
        detail = self._detail
        if detail is None or self.draft is None:
            return
        current = self.current_line()
        if current is None:
            cursor = self.cursor
            detail.show(["Totals of every line; the Summary tab (s) has the G702 lines."]
                        if cursor and cursor[0] == TOTALS else [])
            return
        line = self.line_of(current)
        detail.show(line_in_full(self.draft, line, self.row(str(current)).cells),
                    rejected=line.review == "rejected")

    def line_of(self, sov_line_id: int) -> SheetLine:
        assert self.draft is not None
        if self._lines_of is not self.draft.view:
            self._lines_of = self.draft.view
            self._by_id = {line.sov_line_id: line for line in self.draft.view.lines}
        return self._by_id[sov_line_id]
