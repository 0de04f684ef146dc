"""The top of an invoice: which invoice, its status, and its general information, in two lines.
What does not fit the width is left out whole (`g` shows all of it); nothing is cut mid-figure."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widget import Widget

from data.terminal_text import terminal_safe
from data.wording import word
from tui.widgets.cells import day, fit, money, status
from tui.words import as_shown

if TYPE_CHECKING:
    from data.editing import DraftInvoice


class InvoiceHeader(Widget):
    DEFAULT_CSS = """
    InvoiceHeader { height: 2; padding: 0 1; background: $boost; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._title = Text("Loading…")
        self._state: list[Text] = []
        self._general: list[Text] = []

    def show(self, draft: DraftInvoice, *, editable: bool) -> None:
        view, general = draft.view, draft.general
        dim = "dim"
        rejected = sum(1 for line in view.lines if line.review == "rejected")
        # The invoice's number first: a narrow screen cuts the commitment's title, not it.
        label = word("Invoice #", view.point_of_view)
        self._title = Text(terminal_safe(f"{label}{view.position} · {view.commitment_number} "
                                         f"{view.commitment_title}"), style="bold")
        self._state = [status(view.status_label, as_shown(self, view.status_label))]
        if draft.dirty:
            self._state.append(Text("unsaved changes", style="bold yellow"))
        if rejected:
            self._state.append(Text(f"✗ {rejected} rejected", style="bold red"))
        if not editable:
            self._state.append(Text("read-only", style=dim))
        if view.payment_label != "—":  # only an approved invoice has a payment status
            self._state.append(Text.assemble(("Payment ", dim), view.payment_label))
        number = general.invoice_number if general.invoice_number is not None \
            else view.invoice_number
        self._general = [
            Text.assemble((as_shown(self, "Invoice no.") + " ", dim),
                          terminal_safe(number) or "—"),
            Text.assemble(("Period ", dim), day(general.period_start or view.period_start),
                          " – ", day(general.period_end or view.period_end)),
            Text.assemble(("Billed ", dim), day(general.billing_date or view.billing_date)),
            Text.assemble(("Paid ", dim), money(view.paid)),
            Text.assemble(("Company ", dim), terminal_safe(view.contract_company)),
            Text.assemble(("Type ", dim), view.billing_type_label),
            Text.assemble(("Method ", dim), view.method_label),
        ]
        self.refresh()

    @property
    def text(self) -> str:
        return self.render().plain

    def render(self) -> Text:
        width = max(10, self.size.width - 2)
        state = fit(self._state, max(10, width * 2 // 3), "  ")
        room = max(0, width - state.cell_len - 2)
        title = self._title.copy()
        title.truncate(room, overflow="ellipsis")
        first = Text.assemble(title, " " * max(2, width - title.cell_len - state.cell_len), state)
        return Text("\n").join([first, fit(self._general, width)])
