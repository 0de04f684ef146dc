"""The G702 summary: lines 1 to 9 of the invoice, and the change-order summary."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from data.billing import Summary
from tui.widgets.cells import money


class SummaryPanel(Static):
    DEFAULT_CSS = """
    SummaryPanel { padding: 0 1; height: auto; }
    """

    def show(self, summary: Summary) -> None:
        table = Table.grid(padding=(0, 1), expand=True)
        table.add_column(width=3, justify="right")
        table.add_column(ratio=1)
        table.add_column(justify="right", no_wrap=True)
        for number, caption, amount in summary.numbered_lines():
            style = "bold" if number in ("3", "6", "8", "9") else ""
            table.add_row(Text(number, style="dim"), Text(caption, style=style),
                          money(amount, style=style))
        if summary.releasable_over_cap:  # a deductive change order lowered the cap
            table.add_row(Text("⚑", style="bold yellow"), Text(
                "Held above the retainage cap, proposed for release (paid once entered as "
                "released on the lines)", style="yellow"), money(summary.releasable_over_cap))
        orders = summary.change_orders
        table.add_row("", "", "")
        table.add_row("", Text("Change order summary", style="bold"), "")
        table.add_row("", Text("Additions, previous months"), money(orders.previous_additions))
        table.add_row("", Text("Deductions, previous months"),
                      money(orders.previous_deductions))
        table.add_row("", Text("Additions, this month"), money(orders.this_period_additions))
        table.add_row("", Text("Deductions, this month"), money(orders.this_period_deductions))
        table.add_row("", Text("Net change by change orders", style="bold"),
                      money(orders.net_change, style="bold"))
        self.update(table)
