"""The line under the grid with the figures that matter most: payment due, retainage, and the
overbilled lines. Figures that do not fit the width are left out whole, never cut."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widget import Widget

from data.terminal_text import terminal_safe
from tui.widgets.cells import fit, money

if TYPE_CHECKING:
    from data.billing import Invoice


class TotalsBar(Widget):
    DEFAULT_CSS = """
    TotalsBar { height: 1; padding: 0 1; background: $boost; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._pieces: list[Text] = []

    def show(self, result: Invoice) -> None:
        summary = result.summary
        over = [terminal_safe(r.line.item_no) for r in result.lines if r.overbilled]
        pieces = [Text.assemble(("Due ", "dim"), money(summary.current_payment_due, "bold"))]
        if over:
            pieces.append(Text(f"⚠ overbilled: {', '.join(over)}", style="bold red"))
        pieces += [
            Text.assemble(("Retainage ", "dim"), money(summary.total_retainage)),
            Text.assemble(("Completed & stored ", "dim"),
                          money(summary.completed_and_stored_to_date)),
        ]
        if over and len(", ".join(over)) > 30:  # many lines: a count, which always fits
            pieces[1] = Text(f"⚠ {len(over)} lines overbilled", style="bold red")
        self._pieces = pieces
        self.refresh()

    @property
    def text(self) -> str:
        return self.render().plain

    def render(self) -> Text:
        return fit(self._pieces, max(1, self.size.width - 2))
