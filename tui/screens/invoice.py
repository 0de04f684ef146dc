"""One invoice: general information, the schedule of values and the G702 summary (read-only)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, cast

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, Static, TabbedContent, TabPane

from tui.widgets.cells import day, money, status
from tui.widgets.sov_table import SovTable
from tui.widgets.summary import SummaryPanel

if TYPE_CHECKING:
    from data.services.invoices import InvoiceView
    from tui.app import PayApp

BILLING_TYPES = {"progress": "Progress", "final": "Final"}


class InvoiceScreen(Screen[None]):
    DEFAULT_CSS = """
    InvoiceScreen TabbedContent { height: 1fr; }
    InvoiceScreen TabPane { height: 1fr; padding: 0; }
    InvoiceScreen #general { height: auto; padding: 0 1; background: $boost; }
    """
    BINDINGS = [
        Binding("escape", "back", "Back", id="invoice.back"),
        Binding("s", "tab('summary')", "Summary", id="invoice.summary"),
        Binding("l", "tab('sov')", "Lines", id="invoice.lines"),
        Binding("r", "refresh", "Refresh", id="invoice.refresh"),
    ]

    def __init__(self, invoice_id: int) -> None:
        super().__init__()
        self.invoice_id = invoice_id
        self.view: InvoiceView | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Text("Loading…"), id="general")
        with TabbedContent(initial="sov"):
            with TabPane("Schedule of Values", id="sov"):
                yield SovTable(id="sov-table")
            with TabPane("Summary (G702)", id="summary"):
                yield SummaryPanel(id="summary-panel")
        yield Footer()

    @property
    def payapp(self) -> PayApp:
        return cast("PayApp", self.app)

    def on_mount(self) -> None:
        self.load()

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        if tab == "sov":
            self.query_one(SovTable).focus()

    def action_refresh(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="invoice-load")
    def load(self) -> None:
        from data.db import reading
        from data.services.actors import actor_for_login
        from data.services.errors import NotAllowed, NotFound
        from data.services.invoices import load_invoice

        try:
            with reading(self.payapp.engine) as session:
                actor = actor_for_login(session, self.payapp.login)
                view = load_invoice(session, actor, self.invoice_id)
        except (NotFound, NotAllowed) as error:
            self.app.call_from_thread(self._show_problem, str(error))
            return
        self.app.call_from_thread(self._show, view)

    def _show_problem(self, message: str) -> None:
        self.query_one("#general", Static).update(Text(message, style="bold red"))

    def _show(self, view: InvoiceView) -> None:
        self.view = view
        self.sub_title = Text(view.title).plain
        grid = Table.grid(padding=(0, 2), expand=True)
        grid.add_column(no_wrap=True, overflow="ellipsis", ratio=1)
        grid.add_column(no_wrap=True, overflow="ellipsis", ratio=1)
        dim = "dim"
        access = "" if view.editable else "  (read-only)"
        grid.add_row(Text(view.title, style="bold"),
                     Text.assemble(status(view.status_label), ("  Payment ", dim),
                                   view.payment_status.value, (access, dim)))
        grid.add_row(Text.assemble(("Company ", dim), view.contract_company),
                     Text.assemble(("Invoice no. ", dim), view.invoice_number or "—",
                                   ("  Type ", dim), BILLING_TYPES.get(view.billing_type, "")))
        grid.add_row(Text.assemble(("Period ", dim), day(view.period_start), " – ",
                                   day(view.period_end)),
                     Text.assemble(("Billed ", dim), day(view.billing_date),
                                   ("  Method ", dim), view.method.value.title()))
        grid.add_row(Text.assemble(("Project ", dim), f"{view.project_number} {view.project_name}"),
                     Text.assemble(("Current payment due ", dim),
                                   money(view.summary.current_payment_due)))
        self.query_one("#general", Static).update(grid)
        self.query_one(SovTable).show(view)
        self.query_one(SummaryPanel).show(view.summary)
        self.query_one(SovTable).focus()

    def palette_commands(self) -> Iterable[SystemCommand]:
        yield SystemCommand("Show the summary (G702)", "Lines 1 to 9 of this invoice",
                            lambda: self.action_tab("summary"))
        yield SystemCommand("Show the schedule of values", "The G703 lines of this invoice",
                            lambda: self.action_tab("sov"))
        yield SystemCommand("Back to home", "Close this invoice", self.action_back)
