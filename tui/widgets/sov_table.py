"""The schedule of values as a grid: the G703 columns for the commitment's accounting method,
stored-materials columns only when the commitment bills them separately, change orders grouped
under a heading that folds, a totals row, and the cells a person may type into highlighted.

Row keys are SOV line ids; headings and totals have keys starting with "h:".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from rich.text import Text
from textual import events
from textual.coordinate import Coordinate
from textual.widgets import DataTable

from data.billing import LineResult
from data.editing import DraftInvoice, Field
from data.models import AccountingMethod
from data.money import HUNDRED
from data.services.invoice_views import SheetLine
from tui.widgets.cells import money, percent, plain, quantity, unit_price

EDITABLE_STYLE = "underline"
CHANGE_ORDERS = "h:change-orders"
TOTALS = "h:totals"


@dataclass(frozen=True)
class Row:
    """What one grid row shows: the line as loaded, its figures now, and its unit figures."""

    line: SheetLine
    result: LineResult
    units: tuple[Decimal, Decimal, bool] | None  # (new quantity, total %, override)
    marked: bool


@dataclass(frozen=True)
class Column:
    label: str
    render: Callable[[Row], Text]
    field: Field | None = None
    right: bool = True
    # A fixed width spares the grid from measuring every cell of every row (500 lines × 20
    # columns); money columns hold up to $999,999,999.99.
    width: int = 15


def _mark(row: Row) -> Text:
    return Text("•" if row.marked else " ", style="bold yellow")


def _item(row: Row) -> Text:
    rejected = row.line.review == "rejected"
    return plain(row.line.result.line.item_no + (" ✗" if rejected else ""),
                 "bold red" if rejected else "")


def _description(row: Row) -> Text:
    flag = " ⚠ overbilled" if row.result.overbilled else ""
    return plain(row.line.result.line.description + flag, "red" if row.result.overbilled else "")


def _value_or_override(row: Row) -> Text:
    override = bool(row.units and row.units[2])
    cell = money(row.result.line.work_this_period, "yellow" if override else "")
    if override:
        cell.append("*")
    return cell


def _unit(attribute: str) -> Callable[[Row], Text]:
    def render(row: Row) -> Text:
        units = row.line.units
        return plain("") if units is None else quantity(getattr(units, attribute))
    return render


def _new_quantity(row: Row) -> Text:
    return plain("") if row.units is None else quantity(row.units[0])


def _total_percent(row: Row) -> Text:
    return percent(None if row.units is None else row.units[1])


def _columns(method: AccountingMethod, stored: bool) -> list[Column]:
    head = [
        Column("", _mark, right=False, width=1),
        Column("Item", _item, right=False, width=6),
        Column("Description", _description, right=False, width=44),
    ]
    if method is AccountingMethod.UNIT:
        head += [
            Column("Unit", lambda r: plain(r.line.units.unit if r.line.units else ""),
                   right=False, width=5),
            Column("Qty", _unit("quantity"), width=12),
            Column("Unit Price", lambda r: unit_price(r.line.units.unit_price)
                   if r.line.units else plain("")),
            Column("C Value", lambda r: money(r.result.line.scheduled_value)),
            Column("Prev. Qty", _unit("previous_quantity"), width=12),
            Column("D Prev. Value", lambda r: money(r.result.line.previous_work)),
            Column("Total %", _total_percent, Field.PERCENT, width=8),
            Column("New Qty", _new_quantity, Field.NEW_QUANTITY, width=12),
            Column("E New Value", _value_or_override, Field.NEW_VALUE),
        ]
    else:
        head += [
            Column("C Scheduled", lambda r: money(r.result.line.scheduled_value)),
            Column("D Previous", lambda r: money(r.result.line.previous_work)),
            Column("E This Period", lambda r: money(r.result.line.work_this_period),
                   Field.WORK),
        ]
    if stored:
        head += [
            Column("Prev. Stored", lambda r: money(r.result.line.previous_stored)),
            Column("New Stored", lambda r: money(r.result.line.new_stored), Field.NEW_STORED),
            Column("Installed", lambda r: money(r.result.line.stored_installed),
                   Field.INSTALLED),
            Column("F Stored", lambda r: money(r.result.materials_presently_stored)),
        ]
    tail = [Column("G To Date", lambda r: money(r.result.completed_to_date))]
    if method is AccountingMethod.AMOUNT:
        tail.append(Column("G÷C", lambda r: percent(r.result.percent_complete), Field.PERCENT,
                           width=8))
    tail += [
        Column("H Balance", lambda r: money(r.result.balance_to_finish)),
        Column("I Retainage", lambda r: money(r.result.retainage)),
        Column("Released", lambda r: money(r.result.released), Field.RELEASE),
    ]
    return head + tail


class SovTable(DataTable[Text]):
    """The grid. It shows a DraftInvoice; the screen does the typing and saving."""

    # The gutter is kept for the vertical scrollbar from the start: the width does not change
    # when it appears, so the current cell is never left half under it.
    DEFAULT_CSS = """
    SovTable { height: 1fr; scrollbar-gutter: stable; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        # Mark, item and description stay in view while the figures scroll sideways.
        super().__init__(id=id, cursor_type="cell", zebra_stripes=True, fixed_columns=3)
        self.columns_spec: list[Column] = []
        self.editable = False
        self.marked: set[int] = set()
        self.folded = False
        self._draft: DraftInvoice | None = None
        # The screen's handler for keys typed on the grid (figures, and keys meant for an
        # editor that has not taken the focus yet); it returns True when it used the key.
        self.key_sink: Callable[[events.Key], bool] | None = None

    def on_key(self, event: events.Key) -> None:
        if self.key_sink is not None and self.key_sink(event):
            event.stop()
            event.prevent_default()

    # --- building --------------------------------------------------------------------------

    def show(self, draft: DraftInvoice, *, editable: bool) -> None:
        self._draft = draft
        self.editable = editable
        view = draft.view
        self.columns_spec = _columns(view.method, view.stored_separately)
        first_time = not self.columns
        cursor = self.cursor_coordinate
        self.clear(columns=True)
        narrow = self.app.size.width < 120
        for column in self.columns_spec:
            # At 80 columns a short description leaves C, D and E in view without scrolling;
            # the line under the grid shows the current line's description in full.
            width = min(column.width, 14) if narrow and column.label == "Description" \
                else column.width
            self.add_column(Text(column.label, justify="right" if column.right else "left"),
                            key=column.label or "mark", width=width)
        blank = [plain("")] * (len(self.columns_spec) - 3)
        section = ""
        for line in view.lines:
            if line.section != section:
                if not section:
                    arrow = "▸" if self.folded else "▾"
                    self.add_row(plain(""), plain(""),
                                 plain(f"{arrow} Change Orders", "bold"), *blank,
                                 key=CHANGE_ORDERS)
                section = line.section
                if not self.folded:
                    self.add_row(plain(""), plain(""), plain(f"  {section}", "bold italic"),
                                 *blank, key=f"h:{section}")
            if line.section and self.folded:
                continue
            self.add_row(*self._cells(line), key=str(line.sov_line_id))
        self.add_row(*self._totals(), key=TOTALS)
        if first_time or not self.is_valid_coordinate(cursor):
            cursor = Coordinate(0, self.first_editable_column() or 1)
        self.cursor_coordinate = cursor

    def update_lines(self, sov_line_ids: list[int]) -> None:
        """After a change: the changed lines and the totals, without rebuilding the grid."""
        assert self._draft is not None
        lines = {line.sov_line_id: line for line in self._draft.view.lines}
        for sov_line_id in sov_line_ids:
            key = str(sov_line_id)
            if key not in self.rows:
                continue  # folded away
            for column, cell in zip(self.columns_spec, self._cells(lines[sov_line_id]),
                                    strict=True):
                self.update_cell(key, column.label or "mark", cell)
        for column, cell in zip(self.columns_spec, self._totals(), strict=True):
            self.update_cell(TOTALS, column.label or "mark", cell)

    def _row(self, line: SheetLine) -> Row:
        assert self._draft is not None
        units = self._draft.units(line.sov_line_id)
        return Row(line, self._draft.line_result(line.sov_line_id), units,
                   line.sov_line_id in self.marked)

    def _cells(self, line: SheetLine) -> list[Text]:
        row = self._row(line)
        cells = []
        for column in self.columns_spec:
            cell = column.render(row)
            if self.editable and column.field is not None and self._applies(column, line):
                cell.stylize(EDITABLE_STYLE)
            cells.append(cell)
        return cells

    @staticmethod
    def _applies(column: Column, line: SheetLine) -> bool:
        if column.field in (Field.NEW_QUANTITY, Field.NEW_VALUE):
            return line.units is not None
        return True

    def _totals(self) -> list[Text]:
        assert self._draft is not None
        s = self._draft.result.summary
        bold = "bold"
        by_label = {
            "Description": plain("Totals", bold),
            "C Scheduled": money(s.contract_sum_to_date, bold),
            "C Value": money(s.contract_sum_to_date, bold),
            "D Previous": money(s.total_previous_work, bold),
            "D Prev. Value": money(s.total_previous_work, bold),
            "E This Period": money(s.total_work_this_period, bold),
            "E New Value": money(s.total_work_this_period, bold),
            "F Stored": money(s.total_stored, bold),
            "G To Date": money(s.completed_and_stored_to_date, bold),
            "G÷C": percent(s.completed_and_stored_to_date * HUNDRED / s.contract_sum_to_date
                           if s.contract_sum_to_date else None),
            "H Balance": money(s.total_balance_to_finish, bold),
            "I Retainage": money(s.total_retainage, bold),
            "Released": money(s.total_released, bold),
        }
        return [by_label.get(column.label, plain("")) for column in self.columns_spec]

    # --- where the cursor is ---------------------------------------------------------------

    def line_at(self, coordinate: Coordinate | None = None) -> int | None:
        coordinate = coordinate or self.cursor_coordinate
        if not self.is_valid_coordinate(coordinate):
            return None
        key = self.coordinate_to_cell_key(coordinate).row_key.value or ""
        return None if key.startswith("h:") else int(key)

    def field_at(self, coordinate: Coordinate | None = None) -> Field | None:
        coordinate = coordinate or self.cursor_coordinate
        sov_line_id = self.line_at(coordinate)
        if sov_line_id is None or not self.editable or self._draft is None:
            return None
        column = self.columns_spec[coordinate.column]
        line = next(ln for ln in self._draft.view.lines if ln.sov_line_id == sov_line_id)
        return column.field if column.field and self._applies(column, line) else None

    def first_editable_column(self) -> int | None:
        return next((i for i, c in enumerate(self.columns_spec) if c.field), None)

    def cell_screen_region(self, coordinate: Coordinate) -> tuple[int, int, int]:
        """(x, y, width) of a cell on the screen, for the in-place editor."""
        region = self._get_cell_region(coordinate)
        origin = self.content_region
        return (origin.x + region.x - int(self.scroll_x),
                origin.y + region.y - int(self.scroll_y), region.width)
