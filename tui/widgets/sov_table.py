"""The schedule of values as a table: the G703 columns for the commitment's accounting method,
stored-materials columns only when the commitment bills them separately, change orders grouped
under their own heading, and a totals row."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from data.models import AccountingMethod
from data.services.invoices import InvoiceView, SheetLine
from tui.widgets.cells import money, percent, plain, quantity, unit_price

_AMOUNT_COLUMNS = ("Item", "Description", "C Scheduled", "D Previous", "E This Period")
_STORED_COLUMNS = ("Prev. Stored", "New Stored", "F Stored")
_TAIL_COLUMNS = ("G To Date", "G÷C", "H Balance", "I Retainage", "Released")
_UNIT_COLUMNS = ("Item", "Description", "Unit", "Qty", "Unit Price", "C Value", "Prev. Qty",
                 "D Prev. Value", "Total %", "New Qty", "E New Value")


def columns_for(view: InvoiceView) -> list[str]:
    head = list(_UNIT_COLUMNS if view.method is AccountingMethod.UNIT else _AMOUNT_COLUMNS)
    stored = list(_STORED_COLUMNS) if view.stored_separately else []
    return head + stored + list(_TAIL_COLUMNS)


def _row(view: InvoiceView, line: SheetLine) -> list[Text]:
    r = line.result
    li = r.line
    flag = " ⚠" if r.overbilled else ""
    description = plain(li.description + flag, "red" if r.overbilled else "")
    cells: list[Text] = [plain(li.item_no), description]
    if view.method is AccountingMethod.UNIT:
        units = line.units
        if units is None:  # an amount line on a unit-based commitment (a change order)
            cells += [plain(""), plain(""), plain(""), money(li.scheduled_value), plain(""),
                      money(li.previous_work), percent(r.percent_complete), plain(""),
                      money(li.work_this_period)]
        else:
            cells += [plain(units.unit), quantity(units.quantity), unit_price(units.unit_price),
                      money(li.scheduled_value),
                      quantity(units.previous_quantity), money(li.previous_work),
                      percent(units.total_percent), quantity(units.new_quantity),
                      money(li.work_this_period, "yellow" if units.override else "")]
    else:
        cells += [money(li.scheduled_value), money(li.previous_work),
                  money(li.work_this_period)]
    if view.stored_separately:
        cells += [money(li.previous_stored), money(li.new_stored),
                  money(r.materials_presently_stored)]
    cells += [money(r.completed_to_date), percent(r.percent_complete),
              money(r.balance_to_finish), money(r.retainage), money(r.released)]
    return cells


class SovTable(DataTable[Text]):
    """Read-only schedule of values; row keys are SOV line ids ("h:" for headings)."""

    DEFAULT_CSS = """
    SovTable { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)

    def show(self, view: InvoiceView) -> None:
        self.clear(columns=True)
        names = columns_for(view)
        for name in names:
            self.add_column(Text(name, justify="right" if name[:2] not in ("It", "De", "Un")
                                 else "left"), key=name)
        blank = [plain("")] * (len(names) - 2)
        section = ""
        for line in view.lines:
            if line.section != section:
                if not section:
                    self.add_row(plain(""), plain("Change Orders", "bold"), *blank,
                                 key="h:change-orders")
                section = line.section
                self.add_row(plain(""), plain(section, "bold italic"), *blank,
                             key=f"h:{section}")
            self.add_row(*_row(view, line), key=str(line.sov_line_id))
        self.add_row(*self._totals(view), key="h:totals")

    @staticmethod
    def _totals(view: InvoiceView) -> list[Text]:
        s = view.summary
        bold = "bold"
        cells: list[Text] = [plain(""), plain("Totals", bold)]
        if view.method is AccountingMethod.UNIT:
            cells += [plain("")] * 3 + [money(s.contract_sum_to_date, bold), plain(""),
                                        money(s.total_previous_work, bold), plain(""), plain(""),
                                        money(s.total_work_this_period, bold)]
        else:
            cells += [money(s.contract_sum_to_date, bold), money(s.total_previous_work, bold),
                      money(s.total_work_this_period, bold)]
        if view.stored_separately:
            cells += [plain(""), plain(""), money(s.total_stored, bold)]
        g = s.completed_and_stored_to_date
        share = g * 100 / s.contract_sum_to_date if s.contract_sum_to_date else None
        cells += [money(g, bold), percent(share), money(s.total_balance_to_finish, bold),
                  money(s.total_retainage, bold), money(s.total_released, bold)]
        return cells
